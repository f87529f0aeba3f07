/* src/fit/cox_internal.h: the Cox workspace shared by the cox_*.c files (not a public header).
 *
 * The workspace is sized once per fit from (n, p, number of event-time groups) and reused by
 * every evaluation of the log partial likelihood, score and information (cox_eval), which is the
 * seam where an MPI build would all-reduce (1 + q + q*q doubles per Newton step). */
#ifndef CARTA_COX_INTERNAL_H
#define CARTA_COX_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <carta/cox.h>

/* Rows gathered per block for dsyrk and for the sorted accumulation. 512 rows keep a block of
   the design and its scaled copy in L2 between the reads of one pass (distributed.md section 3:
   the dsyrk rate itself hardly depends on the block size). */
#define COX_BLOCK 512
/* Spare bucket rows after the chunk's (padding; pass_x skips rows without a bucket instead). */
#define COX_DUMMY 8

typedef struct cox_work {
    size_t n, p, q;        /* rows, columns, columns kept (not aliased) */
    int efron, counting, exact;
    int threads;           /* 1 or 2 threads for the passes over the design (tests may set it) */
    const double *x;       /* borrowed n x p column-major design */
    double *xmut;          /* the same memory when the caller lets the fit reorder its rows in
                              place (carta_cox_fit_reorder), else NULL */
    int sortable;          /* reordering pays: right-censored data, Efron or Breslow ties, and
                              more event times than one pass of buckets can hold (cox_work_new) */
    const size_t *xrow;    /* while the design is reordered: design row i holds data row xrow[i]
                              (xrow = ord, so the rows are in time order); NULL otherwise. eta,
                              r and c are then in the design's row order too */
    double *ptmp;          /* while reordered: scratch of the permutations (2 x n), and between
                              them the per-row data in the design's row order: */
    double *dw_s;          /*   w_j delta_j */
    double *w_s;           /*   the weights (NULL: all 1) */
    double *off_s;         /*   the offsets (NULL: none) */
    double *hscr;          /* sortable: the two halves' scratch of the sorted path */
    const double *time, *start, *wt, *offset;
    const int *status, *strata;
    size_t *cols;          /* q kept columns */
    double *mean;          /* p weighted column means: covariates are centred on them */

    size_t *ord;           /* rows by (stratum asc, stop desc, row asc) */
    size_t *ord2;          /* counting data: rows by (stratum asc, start desc, row asc); else NULL */
    size_t nblk;           /* stratum blocks (non-empty strata) */
    size_t *bbeg, *bbeg2;  /* nblk + 1 boundaries in ord / ord2 */
    int *bsid;             /* stratum id of each block */
    size_t *bgrp;          /* nblk + 1 boundaries of event groups per block */

    /* Event-time groups (a stratum and a stop time with at least one event), in block order and
       descending time within a block. Built once: they do not depend on beta. */
    size_t ngrp;
    size_t *g_beg, *g_end; /* positions in ord of the rows whose stop time equals t_k */
    size_t *g_rm;          /* counting: end position in ord2 of rows with start >= t_k */
    size_t *g_m;           /* number of events */
    double *g_d;           /* weighted number of events */

    /* Bucket path (used when the buckets are small next to the design, e.g. day-rounded times):
       S1 at each event time is a running sum over per-group buckets filled in ONE sequential
       pass over x in input order, instead of gathering rows in time order (random access). */
    size_t *kstop;         /* n: group at which the row enters the risk set (SIZE_MAX: never) */
    size_t *kstart;        /* counting: group at which the row leaves (SIZE_MAX: never) */
    size_t *g_tie;         /* ngrp: index of the group among the tied ones (m > 1), else SIZE_MAX */
    size_t ntie;
    size_t chunk, tie_cap; /* event groups per pass, tied groups a pass can hold */
    size_t bk1_len, bke_len; /* doubles in one copy of bk1 / bke */
    int bsplit;            /* two copies of the buckets (one pass, small buckets) */
    double *bk1, *bke;     /* (chunk + COX_DUMMY) x q and (tie_cap + COX_DUMMY) x q buckets
                              (row-major: bucket k is q contiguous values), twice over when
                              bsplit (the second copy at bk1 + bk1_len, bke + bke_len); NULL on
                              the gather path */
    size_t *blk_idx;       /* 2 x 4 x COX_BLOCK selected rows and bucket indices of a row block */
    double *blk_w;         /* 2 x 2 x COX_BLOCK score weights and scale factors of a row block */
    double *tbuf;          /* COX_BLOCK x p row-major centred block */
    double *b0;            /* 2 x ngrp buckets of S0 and E0 (bucket path) */
    size_t *g_nin;         /* ngrp: rows entering the risk set at each group (bucket path) */
    int *sid_blk;          /* stratum id -> block index (NULL without strata) */
    double *ex_f, *ex_g, *ex_h, *ex_x; /* exact ties: (dmax+1), (dmax+1) p, (dmax+1) p^2, p */

    /* Filled by each evaluation */
    double *eta;           /* n: centred linear predictor + offset, input order */
    double *r;             /* n: w * exp(eta - shift of its block) */
    double *c;             /* n: sum over the event times at which the row is at risk of the
                              (Efron-adjusted) hazard increment: the dsyrk weight */
    double *shift;         /* nblk: max eta in the block (keeps exp() from overflowing) */
    double *g_s0, *g_e0;   /* risk-set and tied-event sums of r */
    double *g_h;           /* cumulative hazard increment sum H(t_k) = sum_{t_j <= t_k} g_j */
    double *g_q;           /* Efron: sum_l meanwt f_l / den_l (0 for Breslow) */

    double *buf;           /* 2 x COX_BLOCK x p gather buffers (two scratch sets of pass_x) */
    double *abuf;          /* COX_BLOCK x p rows of A */
    double *s1, *e1;       /* p */
    double *t1;            /* 2 x p x p: X' diag(r c) X, in two halves */
    double *upart;         /* 2 x p: the score, in two halves */
    double *xw;            /* p: sum over events of w_j x_j */
} cox_work;

/* Stable LSD radix ordering (cox_sort.c). cox_sort_new starts from rows 0..n-1; each
   cox_sort_by(key) reorders stably by key[row] ascending, so calls go from the least to the most
   significant key; the order is then s->a[i].idx. */
typedef struct cox_sort_pair { uint64_t key; size_t idx; } cox_sort_pair;
typedef struct cox_sort {
    size_t n;
    cox_sort_pair *a, *b;
    size_t *count;
} cox_sort;
int cox_sort_new(cox_sort *s, size_t n);
void cox_sort_free(cox_sort *s);
void cox_sort_by(cox_sort *s, const uint64_t *key);
/* An unsigned key whose order is v's order (descending: reversed). */
uint64_t cox_key_double(double v, int descending);

/* Allocates the workspace, sorts the rows and builds the event groups. spec, d, x are borrowed
   and must outlive the workspace. xmut: x->data, writable, when the design may be reordered in
   place (then no buckets are allocated when w->sortable), else NULL. Returns CARTA_OK, CARTA_ENOMEM or CARTA_ENUMERIC (no events). */
int cox_work_new(const carta_cox_spec *spec, const carta_surv_data *d, const carta_matrix *x,
                 double *xmut, cox_work **out, carta_error *err);
void cox_work_free(cox_work *w);

/* Switches the workspace to the gather path (frees the buckets); for tests of both paths. */
void cox_work_drop_buckets(cox_work *w);

/* Test hook: at most `groups` event groups per bucket pass (forces several passes). */
void cox_work_set_chunk(cox_work *w, size_t groups);

/* The sorted path (cox_reorder.c). cox_design_sort reorders the rows of the caller's design in
   place into time order (ord) when w->sortable; cox_eval then reads it sequentially, with no
   buckets. cox_design_restore puts the rows back, bit for bit; it cannot fail (its scratch is
   allocated by cox_design_sort) and is a no-op when the design is not reordered. Returns
   CARTA_OK (also when not sortable: nothing is done) or CARTA_ENOMEM. */
int cox_design_sort(cox_work *w, carta_error *err);
void cox_design_restore(cox_work *w);

/* Sets the kept columns (q of them, indices into 0..p-1). */
void cox_work_set_cols(cox_work *w, const size_t *cols, size_t q);

/* Evaluates, at beta (q values for the kept columns, centred covariates), the log partial
   likelihood and, when u / info are not NULL, the score (q) and the information (q x q,
   column-major, full). Leaves eta, r, c and the group sums for residuals and curves. */
int cox_eval(cox_work *w, const double *beta, double *loglik, double *u, double *info,
             carta_error *err);

/* The exact (discrete) partial likelihood, score and information (cox_exact.c); cox_eval calls
   it when the ties are exact. Also sets eta, r and shift. */
int cox_exact_eval(cox_work *w, const double *beta, double *loglik, double *u, double *info,
                   carta_error *err);

/* Gathers rows ord_pos[0..m) (positions given through idx) of the kept, centred columns into
   buf (row-major, m x q). */
void cox_gather(const cox_work *w, const size_t *idx, size_t m, double *buf);

/* Score residuals at the current evaluation (after cox_eval at the fitted beta), unweighted as
   R's residuals(type = "score") (coxscore2 / agscore2, Efron forms): sres is n x q column-major
   (input order) or NULL; sch, when not NULL, receives for each event row j the Schoenfeld
   residual x_j - mean of the Efron-weighted risk-set means, in row j of an n x q matrix (rows of
   censored subjects are left untouched). Returns CARTA_OK. */
int cox_score_resid(cox_work *w, double *sres, double *sch);

/* Predicted curves and baseline hazards (cox_surv.c), at the fitted state of w. beta has q
   values (kept columns), vq is the q x q model-based variance. */
int cox_curves(cox_work *w, const carta_cox_spec *spec, const carta_surv_data *d,
               const double *beta, const double *vq, carta_cox_result *r, carta_error *err);

/* cox.zph score test (cox_zph.c), at the fitted state of w; info is the q x q information there. */
int cox_zph(cox_work *w, const carta_cox_spec *spec, const double *info, carta_cox_result *r,
            carta_error *err);

#endif
