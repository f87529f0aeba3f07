/* Cox risk-set sums: the log partial likelihood, score and information for a given beta.
 *
 * Notation (Therneau & Grambsch 2000, ch. 3; distributed.md section 2): rows j with weight w_j,
 * centred covariates x_j, linear predictor eta_j = x_j'beta + offset_j, r_j = w_j exp(eta_j).
 * At an event time t_k (per stratum) with m tied events of total weight D:
 *   S0 = sum_{at risk} r_j, S1 = sum r_j x_j, E0, E1 the same sums over the m tied events.
 * A row is at risk at t_k when start_j < t_k <= stop_j (start = -inf for right-censored data).
 *   Breslow (1974):  log L = sum_events w eta - sum_k D log S0,  U = sum_events w x - sum_k D S1/S0
 *   Efron (1977):    with meanwt = D/m, f_l = l/m (l = 0..m-1), den_l = S0 - f_l E0,
 *                    log L = sum_events w eta - sum_k sum_l meanwt log den_l,
 *                    U = sum_events w x - sum_k sum_l meanwt (S1 - f_l E1)/den_l.
 * Information by two symmetric rank-k updates (distributed.md section 2.1, 3):
 *   I = X' diag(r_j c_j) X - A'A,  c_j = H(stop_j) - H(start_j) - [j is an event] q_k(j),
 *   H(t) = sum_{t_k <= t} g_k, g_k = sum_l meanwt/den_l (Breslow: D/S0), q_k = sum_l meanwt f_l/den_l
 *   (Breslow: 0), and A has one row sqrt(meanwt) (S1 - f_l E1)/den_l per event (Breslow: one row
 *   sqrt(D) S1/S0 per event time; with m tied events the m Efron rows collapse to two, see
 *   group_rows). For (start, stop] data the same identity holds because the rows at risk at t_k
 *   are exactly those with H(stop) - H(start) counting g_k.
 * How the sums are formed (the design is column-major and is never copied or sorted):
 *   - the score needs no risk-set sums of x: with c_j as above,
 *       U = sum_j (w_j delta_j - r_j c_j) x_j = X'(w delta - r c)
 *     (sum_k g_k S1_k = sum_j r_j x_j sum_{k: j at risk} g_k, and the E1 terms are the events'
 *     q_k), so it comes from the same sequential pass as X' diag(r c) X.
 *   - the rows of A need S1 (and E1) at every event time. Bucket path (the default): each row
 *     knows the event group where it enters the risk set (kstop) and, for (start, stop] data,
 *     where it leaves (kstart). S0/E0 and S1/E1 per group are buckets filled by sequential passes
 *     over the rows in input order; a running sum over the groups of each stratum (descending
 *     time) then gives the risk-set sums, as agfit4's add/remove walk does. S1 buckets are limited
 *     to an eighth of the design's memory: with more event times (untied data) the groups are
 *     taken in chunks, one pass per chunk that reads only the rows with a bucket in it.
 *   - sorted path (carta_cox_fit_reorder, right-censored data with more event times than one
 *     pass of buckets holds): the caller's design is reordered in place into time order for the
 *     Newton steps (cox_reorder.c), and each half of the rows is read once per evaluation with a
 *     running S1; there the information takes Welford's form, one rank-k update over the rows
 *     (with untied times A has nearly as many rows as X: half the work; see half_job_run).
 *   - gather path (after the fit, and in tests): rows are visited in time order (sorted once by
 *     stop, once by start), gathering COX_BLOCK rows at a time.
 *   - threads: the passes over the design run on two threads: eta by halves of the rows; with
 *     one chunk of small buckets, the score, X' diag(r c) X and the buckets by halves of the rows,
 *     each half into its own partial sums, added in a fixed order; with several chunks, the score
 *     and X' diag(r c) X beside the first chunk's buckets, then each chunk by halves of its groups
 *     (disjoint buckets). The results are the same with one thread or two (w->threads).
 * eta is shifted by its maximum within each stratum before exp(): every quantity above is
 * invariant to a constant added to eta within a stratum. */
#include "cox_internal.h"

#include <carta/alloc.h>

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ord = rows by (stratum asc, t desc, row asc); keys is n scratch */
static int sort_rows(cox_sort *so, size_t n, const double *t, const int *strata, uint64_t *keys,
                     size_t *ord)
{
    for (size_t i = 0; i < n; i++) { so->a[i].idx = i; }
    for (size_t i = 0; i < n; i++) keys[i] = cox_key_double(t[i], 1);
    cox_sort_by(so, keys);
    if (strata) {
        for (size_t i = 0; i < n; i++) keys[i] = (uint64_t)(uint32_t)strata[i];
        cox_sort_by(so, keys);
    }
    for (size_t i = 0; i < n; i++) ord[i] = so->a[i].idx;
    return 0;
}

/* Runs f(a) on a second thread while g(b) runs on this one, when w->threads > 1 (else, or when
   no thread can be started, one after the other). f and g write disjoint memory; each sum is
   formed by one of them in a fixed order, so the results do not depend on the threading. */
static void both(const cox_work *w, void *(*f)(void *), void *a, void *(*g)(void *), void *b)
{
    pthread_t th;
    int started = w->threads > 1 && pthread_create(&th, NULL, f, a) == 0;
    g(b);
    if (started) pthread_join(th, NULL);
    else f(a);
}

/* Weighted column means (R's coxph centres the same way); pairwise-safe enough in a straight
   sum because they only set the centring point, not a reported number. */
static void *means_job_run(void *arg)
{
    cox_work *w = arg;
    size_t n = w->n;
    double sw = 0;
    for (size_t i = 0; i < n; i++) sw += w->wt ? w->wt[i] : 1.0;
    for (size_t k = 0; k < w->p; k++) {
        const double *col = w->x + k * n;
        double s = 0;
        if (w->wt) for (size_t i = 0; i < n; i++) s += w->wt[i] * col[i];
        else for (size_t i = 0; i < n; i++) s += col[i];
        w->mean[k] = s / sw;
    }
    return NULL;
}

typedef struct sort_job {
    cox_work *w;
    cox_sort *so;
    const carta_surv_data *d;
    uint64_t *keys;
    int rc;
} sort_job;

/* ord (and ord2 for counting data) */
static void *sort_job_run(void *arg)
{
    sort_job *j = arg;
    cox_work *w = j->w;
    j->rc = CARTA_OK;
    sort_rows(j->so, w->n, j->d->time, j->d->strata, j->keys, w->ord);
    if (w->counting) {
        if (!(w->ord2 = carta_malloc(w->n * sizeof *w->ord2))) { j->rc = CARTA_ENOMEM; return NULL; }
        sort_rows(j->so, w->n, j->d->start, j->d->strata, j->keys, w->ord2);
    }
    return NULL;
}

void cox_work_free(cox_work *w)
{
    if (!w) return;
    cox_design_restore(w); /* the caller's design is never left reordered */
    carta_free(w->cols); carta_free(w->mean);
    carta_free(w->ord); carta_free(w->ord2);
    carta_free(w->bbeg); carta_free(w->bbeg2); carta_free(w->bsid); carta_free(w->bgrp);
    carta_free(w->g_beg); carta_free(w->g_end); carta_free(w->g_rm); carta_free(w->g_m);
    carta_free(w->g_d);
    carta_free(w->kstop); carta_free(w->kstart); carta_free(w->g_tie);
    carta_free(w->bk1); carta_free(w->bke); carta_free(w->blk_idx); carta_free(w->blk_w);
    carta_free(w->tbuf); carta_free(w->b0); carta_free(w->g_nin); carta_free(w->sid_blk);
    carta_free(w->eta); carta_free(w->r); carta_free(w->c); carta_free(w->shift);
    carta_free(w->g_s0); carta_free(w->g_e0); carta_free(w->g_h); carta_free(w->g_q);
    carta_free(w->buf); carta_free(w->abuf); carta_free(w->s1); carta_free(w->e1);
    carta_free(w->t1); carta_free(w->xw); carta_free(w->upart); carta_free(w->hscr);
    carta_free(w->ex_f); carta_free(w->ex_g); carta_free(w->ex_h); carta_free(w->ex_x);
    carta_free(w);
}

void cox_work_drop_buckets(cox_work *w)
{
    cox_design_restore(w); /* what follows the Newton steps reads the design in input order */
    w->sortable = 0;
    carta_free(w->kstop); carta_free(w->kstart); carta_free(w->g_tie);
    carta_free(w->bk1); carta_free(w->bke); carta_free(w->blk_idx);
    carta_free(w->tbuf); carta_free(w->b0); carta_free(w->g_nin);
    w->g_nin = NULL;
    w->tbuf = NULL;
    w->b0 = NULL;
    w->blk_idx = NULL;
    w->kstop = w->kstart = w->g_tie = NULL;
    w->bk1 = w->bke = NULL;
    w->ntie = 0;
    w->chunk = w->tie_cap = 0;
}

void cox_work_set_chunk(cox_work *w, size_t groups)
{
    /* only smaller than the allocated size; the tie capacity still covers a chunk */
    if (w->bk1 && groups >= 1 && groups < w->chunk) {
        w->chunk = groups;
        w->bsplit = 0;
        if (w->tie_cap > groups) w->tie_cap = groups;
    }
}

void cox_work_set_cols(cox_work *w, const size_t *cols, size_t q)
{
    for (size_t k = 0; k < q; k++) w->cols[k] = cols[k];
    w->q = q;
}

/* Rows per sub-block of the bucket scatter and of the sorted path's tiles: the row-major
   sub-block (COX_SUB x q) stays in L1 while it is transposed from the column-major design, so
   the transposition costs no cache misses (a 2048-row block transposed at once spills L2 on its
   strided stores). */
#define COX_SUB 64

/* Doubles of one half's scratch on the sorted path: the tile (COX_SUB x p) and the rows of the
   "sub" accumulator (COX_BLOCK x p), s1, e1, the two accumulators' v (p each) and the second
   half's sub sum (p x p). (The "add" rows go into buf, their sums into t1.) */
static size_t hscr_per(size_t p)
{
    size_t pp = p ? p : 1;
    return (COX_SUB + COX_BLOCK) * pp + 4 * pp + pp * pp;
}

static inline int sid(const cox_work *w, size_t i) { return w->strata ? w->strata[i] : 0; }
static inline double wgt(const cox_work *w, size_t i) { return w->wt ? w->wt[i] : 1.0; }

int cox_work_new(const carta_cox_spec *spec, const carta_surv_data *d, const carta_matrix *x,
                 double *xmut, cox_work **out, carta_error *err)
{
    size_t n = d->n, p = x->p, np;
    cox_work *w = carta_calloc(1, sizeof *w);
    uint64_t *keys = NULL;
    cox_sort so = { 0 };
    int rc = CARTA_ENOMEM;

    *out = NULL;
    if (!w || carta_size_mul(COX_BLOCK, p ? p : 1, &np)) goto fail;
    w->n = n; w->p = p; w->q = p;
    w->efron = spec->ties == CARTA_COX_TIES_EFRON;
    w->exact = spec->ties == CARTA_COX_TIES_EXACT;
    w->counting = d->start != NULL;
    /* two threads for the passes over the design once it is large enough to repay them */
    w->threads = spec->threads != 1 && (double)n * (double)p >= 1048576.0 ? 2 : 1;
    w->x = x->data; w->time = d->time; w->start = d->start; w->wt = d->weight;
    w->offset = spec->offset; w->status = d->status; w->strata = d->strata;

    w->cols = carta_malloc((p ? p : 1) * sizeof *w->cols);
    w->mean = carta_calloc(p ? p : 1, sizeof *w->mean);
    w->ord = carta_malloc(n * sizeof *w->ord);
    keys = carta_malloc(n * sizeof *keys);
    w->eta = carta_malloc(n * sizeof *w->eta);
    w->r = carta_malloc(n * sizeof *w->r);
    w->c = carta_malloc(n * sizeof *w->c);
    w->buf = carta_malloc(2 * np * sizeof *w->buf); /* two scratch sets (pass_x) */
    w->abuf = carta_malloc(np * sizeof *w->abuf);
    w->s1 = carta_malloc((p ? p : 1) * sizeof *w->s1);
    w->e1 = carta_malloc((p ? p : 1) * sizeof *w->e1);
    w->t1 = carta_malloc(2 * (p ? p * p : 1) * sizeof *w->t1);
    w->upart = carta_malloc(2 * (p ? p : 1) * sizeof *w->upart);
    w->xw = carta_malloc((p ? p : 1) * sizeof *w->xw);
    w->blk_w = carta_malloc(4 * COX_BLOCK * sizeof *w->blk_w);
    if (cox_sort_new(&so, n) != CARTA_OK) goto fail;
    if (!w->cols || !w->mean || !w->ord || !keys || !w->eta || !w->r || !w->c || !w->buf ||
        !w->abuf || !w->s1 || !w->e1 || !w->t1 || !w->xw || !w->blk_w || !w->upart)
        goto fail;
    for (size_t k = 0; k < p; k++) w->cols[k] = k;

    /* the column means on a second thread while the rows are sorted here */
    {
        sort_job js = { w, &so, d, keys, CARTA_OK };
        both(w, means_job_run, w, sort_job_run, &js);
        if (js.rc != CARTA_OK) goto fail;
    }
    carta_free(keys);
    keys = NULL;
    cox_sort_free(&so);

    /* Stratum blocks */
    size_t nblk = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || sid(w, w->ord[i]) != sid(w, w->ord[i - 1])) nblk++;
    w->nblk = nblk;
    w->bbeg = carta_malloc((nblk + 1) * sizeof *w->bbeg);
    w->bbeg2 = carta_malloc((nblk + 1) * sizeof *w->bbeg2);
    w->bsid = carta_malloc((nblk + 1) * sizeof *w->bsid);
    w->bgrp = carta_malloc((nblk + 1) * sizeof *w->bgrp);
    w->shift = carta_malloc(3 * (nblk + 1) * sizeof *w->shift); /* + two halves' maxima */
    if (!w->bbeg || !w->bbeg2 || !w->bsid || !w->bgrp || !w->shift) goto fail;
    for (size_t i = 0, b = 0; i < n; i++)
        if (i == 0 || sid(w, w->ord[i]) != sid(w, w->ord[i - 1])) {
            w->bbeg[b] = i;
            w->bsid[b] = sid(w, w->ord[i]);
            b++;
        }
    w->bbeg[nblk] = n;
    if (d->strata) {
        int smax = 0;
        for (size_t b = 0; b < nblk; b++) if (w->bsid[b] > smax) smax = w->bsid[b];
        if (!(w->sid_blk = carta_malloc(((size_t)smax + 1) * sizeof *w->sid_blk))) goto fail;
        for (size_t b = 0; b < nblk; b++) w->sid_blk[w->bsid[b]] = (int)b;
    }
    /* ord2 has the same strata in the same (ascending) order, with the same sizes */
    for (size_t b = 0; b <= nblk; b++) w->bbeg2[b] = w->bbeg[b];

    /* Event groups */
    size_t ngrp = 0;
    for (size_t b = 0; b < nblk; b++)
        for (size_t i = w->bbeg[b]; i < w->bbeg[b + 1];) {
            size_t e = i;
            int ev = 0;
            double t = w->time[w->ord[i]];
            while (e < w->bbeg[b + 1] && w->time[w->ord[e]] == t) ev |= w->status[w->ord[e++]] == 1;
            ngrp += ev;
            i = e;
        }
    w->ngrp = ngrp;
    if (ngrp == 0) {
        rc = carta_error_set(err, CARTA_ENUMERIC, NULL, "cox: no events (every status is 0)");
        goto fail;
    }
    w->g_beg = carta_malloc(ngrp * sizeof *w->g_beg);
    w->g_end = carta_malloc(ngrp * sizeof *w->g_end);
    w->g_m = carta_malloc(ngrp * sizeof *w->g_m);
    w->g_d = carta_malloc(ngrp * sizeof *w->g_d);
    w->g_s0 = carta_malloc(ngrp * sizeof *w->g_s0);
    w->g_e0 = carta_malloc(ngrp * sizeof *w->g_e0);
    w->g_h = carta_malloc(ngrp * sizeof *w->g_h);
    w->g_q = carta_malloc(ngrp * sizeof *w->g_q);
    if (w->counting) w->g_rm = carta_malloc(ngrp * sizeof *w->g_rm);
    if (!w->g_beg || !w->g_end || !w->g_m || !w->g_d || !w->g_s0 || !w->g_e0 || !w->g_h ||
        !w->g_q || (w->counting && !w->g_rm))
        goto fail;
    size_t k = 0;
    for (size_t b = 0; b < nblk; b++) {
        size_t i2 = w->bbeg2[b];
        w->bgrp[b] = k;
        for (size_t i = w->bbeg[b]; i < w->bbeg[b + 1];) {
            size_t e = i, m = 0;
            double t = w->time[w->ord[i]], dw = 0;
            while (e < w->bbeg[b + 1] && w->time[w->ord[e]] == t) {
                size_t j = w->ord[e++];
                if (w->status[j] == 1) { m++; dw += wgt(w, j); }
            }
            if (m > 0) {
                w->g_beg[k] = i; w->g_end[k] = e; w->g_m[k] = m; w->g_d[k] = dw;
                if (w->counting) {
                    /* rows entering at or after t_k are not at risk at t_k */
                    while (i2 < w->bbeg2[b + 1] && w->start[w->ord2[i2]] >= t) i2++;
                    w->g_rm[k] = i2;
                }
                k++;
            }
            i = e;
        }
    }
    w->bgrp[nblk] = k;

    /* The bucket path: the buckets of a pass take at most an eighth of the design's memory (with
       the per-row and per-group arrays the fit then stays under half the design on top of it);
       when the event times need more, the groups are taken in chunks, one sequential pass over
       the design per chunk (reading only the rows with a bucket in the chunk). */
    size_t ntie = 0;
    for (size_t g = 0; g < ngrp; g++) ntie += w->g_m[g] > 1 && w->efron;
    if (w->exact) {
        size_t dmax = 0, pp1 = p ? p : 1, sz;
        for (size_t g = 0; g < ngrp; g++) if (w->g_m[g] > dmax) dmax = w->g_m[g];
        if (carta_size_mul(dmax + 1, pp1 * pp1, &sz)) goto fail;
        w->ex_f = carta_malloc((dmax + 1) * sizeof *w->ex_f);
        w->ex_g = carta_malloc((dmax + 1) * pp1 * sizeof *w->ex_g);
        w->ex_h = carta_malloc(sz * sizeof *w->ex_h);
        w->ex_x = carta_malloc(pp1 * sizeof *w->ex_x);
        if (!w->ex_f || !w->ex_g || !w->ex_h || !w->ex_x) goto fail;
    } else {
        size_t cap = n / 8 + 512;             /* bucket rows (of p doubles) per pass */
        size_t gc = ngrp, tc = ntie;
        if (gc + tc > cap) {
            gc = ntie ? cap / 2 : cap;
            if (gc < 1) gc = 1;
            tc = ntie < gc ? ntie : gc;
        }
        w->chunk = gc;
        w->tie_cap = tc;
        /* Several bucket passes would be needed, and the caller lets the design be reordered:
           the sorted path (cox_reorder.c) reads it once per evaluation in time order instead,
           with no buckets at all (without cox_design_sort the gather path serves). */
        w->xmut = xmut;
        w->sortable = xmut && !w->counting && gc < ngrp;
        if (w->sortable) {
            if (!(w->hscr = carta_malloc(2 * hscr_per(p) * sizeof *w->hscr))) goto fail;
            *out = w;
            return CARTA_OK;
        }
        w->kstop = carta_malloc(n * sizeof *w->kstop);
        w->g_tie = carta_malloc(ngrp * sizeof *w->g_tie);
        /* one pass and small buckets: two copies, so that two threads can each fill them from
           half the rows (each then reads only its half of the design) */
        w->bk1_len = (gc + COX_DUMMY) * (p ? p : 1);
        w->bke_len = (tc + COX_DUMMY) * (p ? p : 1);
        w->bsplit = gc >= ngrp && (w->bk1_len + w->bke_len) * sizeof(double) <= ((size_t)8 << 20);
        w->bk1 = carta_malloc((w->bsplit ? 2 : 1) * w->bk1_len * sizeof *w->bk1);
        w->bke = carta_malloc((w->bsplit ? 2 : 1) * w->bke_len * sizeof *w->bke);
        w->blk_idx = carta_malloc(8 * COX_BLOCK * sizeof *w->blk_idx); /* two scratch sets */
        w->tbuf = carta_malloc(COX_BLOCK * (p ? p : 1) * sizeof *w->tbuf);
        w->b0 = carta_malloc(2 * ngrp * sizeof *w->b0);
        w->g_nin = carta_calloc(ngrp, sizeof *w->g_nin);
        if (w->counting) w->kstart = carta_malloc(n * sizeof *w->kstart);
        if (!w->kstop || !w->g_tie || !w->bk1 || !w->bke || !w->blk_idx || !w->tbuf || !w->b0 ||
            !w->g_nin || (w->counting && !w->kstart))
            goto fail;
        w->ntie = ntie;
        for (size_t g = 0, t = 0; g < ngrp; g++) w->g_tie[g] = (w->g_m[g] > 1 && w->efron) ? t++ : SIZE_MAX;
        for (size_t b = 0; b < nblk; b++) {
            size_t kk = w->bgrp[b], kend = w->bgrp[b + 1];
            for (size_t ii = w->bbeg[b]; ii < w->bbeg[b + 1]; ii++) {
                size_t j = w->ord[ii];
                while (kk < kend && w->time[w->ord[w->g_beg[kk]]] > w->time[j]) kk++;
                w->kstop[j] = kk < kend ? kk : SIZE_MAX;
                if (kk < kend) w->g_nin[kk]++;
            }
            if (!w->counting) continue;
            kk = w->bgrp[b];
            for (size_t ii = w->bbeg2[b]; ii < w->bbeg2[b + 1]; ii++) {
                size_t j = w->ord2[ii];
                while (kk < kend && w->time[w->ord[w->g_beg[kk]]] > w->start[j]) kk++;
                w->kstart[j] = kk < kend ? kk : SIZE_MAX;
            }
        }
    }
    *out = w;
    return CARTA_OK;
fail:
    carta_free(keys);
    cox_sort_free(&so);
    cox_work_free(w);
    if (rc == CARTA_ENOMEM)
        carta_error_set(err, CARTA_ENOMEM, NULL, "cox: no memory for the workspace (%zu rows x %zu columns)", n, p);
    return rc;
}

void cox_gather(const cox_work *w, const size_t *idx, size_t m, double *buf)
{
    size_t q = w->q, n = w->n;
    for (size_t c = 0; c < q; c++) {
        const double *col = w->x + w->cols[c] * n;
        double mu = w->mean[w->cols[c]];
        for (size_t i = 0; i < m; i++) buf[i * q + c] = col[idx[i]] - mu;
    }
}

/* Adds sign * r_j x_j of rows ord[a..b) to s1; events at positions >= gbeg also go to e1, and
   (sign > 0) w_j x_j of every event to xw. Gathers COX_BLOCK rows at a time. */
static void accum(cox_work *w, const size_t *ord, size_t a, size_t b, double sign, size_t gbeg,
                  double *xw)
{
    size_t q = w->q;
    for (size_t s = a; s < b; s += COX_BLOCK) {
        size_t m = b - s < COX_BLOCK ? b - s : COX_BLOCK;
        cox_gather(w, ord + s, m, w->buf);
        for (size_t i = 0; i < m; i++) {
            size_t j = ord[s + i];
            const double *xr = w->buf + i * q;
            double rj = sign * w->r[j];
            for (size_t c = 0; c < q; c++) w->s1[c] += rj * xr[c];
            if (sign > 0 && w->status[j] == 1) {
                double wj = wgt(w, j);
                for (size_t c = 0; c < q; c++) xw[c] += wj * xr[c];
                if (s + i >= gbeg)
                    for (size_t c = 0; c < q; c++) w->e1[c] += w->r[j] * xr[c];
            }
        }
    }
}

/* Where the rows of A go: abuf (COX_BLOCK x q, row-major) is flushed into ata by dsyrk when full.
   S1 and E1 of a group are read from s1, e1. With corr, the sorted path's second half also sums
   alpha_i a_i into v and alpha_i^2 into sa, alpha_i being row i's coefficient of S1 (see
   half_job_run: the S1 there lacks the rows before the half). */
typedef struct a_acc {
    double *s1, *e1;
    double *abuf, *ata;
    size_t na;
    int corr;
    double *v, sa;
} a_acc;

/* Adds A'A of the buffered rows into ata, then empties the buffer. */
static void flush_a(const cox_work *w, a_acc *a)
{
    if (a->na == 0) return;
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, (int)w->q, (int)a->na, 1.0, a->abuf,
                (int)w->q, 1.0, a->ata, (int)w->q);
    a->na = 0;
}

/* Counts in the row just written at the buffer's next place (a->abuf + a->na q); alpha is its
   coefficient of the S1 prefix it lacks (a->corr, see half_job_run). */
static void push_row(const cox_work *w, a_acc *a, double alpha)
{
    if (a->corr && alpha != 0) {
        const double *row = a->abuf + a->na * w->q;
        for (size_t c = 0; c < w->q; c++) a->v[c] += alpha * row[c];
        a->sa += alpha * alpha;
    }
    if (++a->na == COX_BLOCK) flush_a(w, a);
}

/* Appends a row alpha S1 + beta E1 to the buffer. */
static void a_row(const cox_work *w, a_acc *a, double alpha, double beta)
{
    size_t q = w->q;
    double *row = a->abuf + a->na * q;
    if (beta == 0) for (size_t c = 0; c < q; c++) row[c] = alpha * a->s1[c];
    else for (size_t c = 0; c < q; c++) row[c] = alpha * a->s1[c] + beta * a->e1[c];
    push_row(w, a, alpha);
}

/* Independent partial sums in the score's dot products (scale_dot). */
#define COX_LANES 8

/* d[i] = sc[i] (col[i] - mu) for i < m (unless d is NULL), and the dot product
   sum_i aw[i] (col[i] - mu), in COX_LANES partial sums added in a fixed order (a single running
   sum is one long chain of dependent adds; the lanes vectorise). */
static inline double scale_dot(const double *restrict col, double mu, const double *restrict sc,
                               const double *restrict aw, double *restrict d, size_t m)
{
    double lane[COX_LANES] = { 0 }, su = 0;
    size_t i = 0;
    if (d) {
        for (; i + COX_LANES <= m; i += COX_LANES)
            for (size_t l = 0; l < COX_LANES; l++) {
                double xv = col[i + l] - mu;
                d[i + l] = sc[i + l] * xv;
                lane[l] += aw[i + l] * xv;
            }
        for (; i < m; i++) {
            double xv = col[i] - mu;
            d[i] = sc[i] * xv;
            lane[0] += aw[i] * xv;
        }
    } else {
        for (; i + COX_LANES <= m; i += COX_LANES)
            for (size_t l = 0; l < COX_LANES; l++) lane[l] += aw[i + l] * (col[i + l] - mu);
        for (; i < m; i++) lane[0] += aw[i] * (col[i] - mu);
    }
    for (size_t l = 0; l < COX_LANES; l++) su += lane[l];
    return su;
}

/* One sequential pass over the kept columns in input order, COX_BLOCK rows at a time.
   With u: adds the score U = X'(w delta - r c) (the identity of the top comment: the risk-set
   means enter the score only through c), so the score needs no buckets. With do_t1:
   accumulates X' diag(r c) X into w->t1 by dsyrk on row blocks scaled by sqrt(r_j c_j).
   With buckets: adds r_j x_j to the bucket of the group where row j enters the risk set
   (subtracts it where it leaves) and r_j x_j of events to their tied group's E1 bucket, for the
   groups k0..k1 of this chunk only; only the rows with a bucket in the chunk are read for it.
   Fusing the three halves the reads of the design, which bound the time. */
typedef struct pass_job {
    cox_work *w;
    int do_buckets, do_t1;
    double *u;
    size_t kb, k0, k1, t0; /* bucket 0 is group kb; this job fills the buckets of k0..k1 */
    int slot;              /* scratch set (0 or 1): buf, t1, blk_w, blk_idx, tbuf */
    size_t ra, rb;         /* rows of the score and X' diag(r c) X part (block-aligned ra) */
    int brows;             /* the buckets too from rows ra..rb only (else from every row) */
    double *bk1, *bke;     /* the buckets this job adds to */
} pass_job;

static void pass_x(const pass_job *job)
{
    cox_work *w = job->w;
    int do_buckets = job->do_buckets, do_t1 = job->do_t1;
    double *u = job->u;
    size_t kb = job->kb, k0 = job->k0, k1 = job->k1, t0 = job->t0;
    size_t n = w->n, q = w->q, gc = w->chunk, tc = w->tie_cap;
    const size_t *ks = w->kstop, *ke = w->kstart, *gt = w->g_tie;
    const int *st = w->status;
    const double *r = w->r;
    /* per-block row scratch: the selected rows and their bucket indices relative to the chunk
       (gc / tc: "no bucket here") */
    size_t *sel = NULL, *i1 = NULL, *i2 = NULL, *te = NULL; /* (no buckets: no scratch) */
    if (w->blk_idx) {
        sel = w->blk_idx + (size_t)job->slot * 4 * COX_BLOCK;
        i1 = sel + COX_BLOCK; i2 = i1 + COX_BLOCK; te = i2 + COX_BLOCK;
    }
    double *aw = w->blk_w + (size_t)job->slot * 2 * COX_BLOCK; /* m score weights w delta - r c */
    double *sc = aw + COX_BLOCK;                               /* m scale factors sqrt(r c) */
    double *t1 = w->t1 + (size_t)job->slot * q * q, *bf = w->buf + (size_t)job->slot * COX_BLOCK * q;
    if (do_t1) memset(t1, 0, q * q * sizeof *t1);
    if (u) memset(u, 0, q * sizeof *u);
    for (size_t s = 0; s < n; s += COX_BLOCK) {
        size_t m = n - s < COX_BLOCK ? n - s : COX_BLOCK;
        int rows = s >= job->ra && s < job->rb;
        if (rows && job->rb - s < m) m = job->rb - s;
        if (rows && (do_t1 || u))
            for (size_t i = 0; i < m; i++) {
                size_t j = s + i;
                double v = r[j] * w->c[j];
                sc[i] = v > 0 ? sqrt(v) : 0;
                /* (a reordered design: every per-row array is in its row order, see cox_reorder.c) */
                aw[i] = (w->xrow ? w->dw_s[j] : st[j] == 1 ? (w->wt ? w->wt[j] : 1.0) : 0.0) - v;
            }
        if (rows && (do_t1 || u))
            for (size_t c = 0; c < q; c++) {
                const double *col = w->x + w->cols[c] * n + s;
                double su = scale_dot(col, w->mean[w->cols[c]], sc, aw, do_t1 ? bf + c * m : NULL, m);
                if (u) u[c] += su;
            }
        if (rows && do_t1)
            cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, (int)q, (int)m, 1.0, bf, (int)m,
                        1.0, t1, (int)q);
        if (!do_buckets || (job->brows && !rows)) continue;
        m = n - s < COX_BLOCK ? n - s : COX_BLOCK;
        if (job->brows && job->rb - s < m) m = job->rb - s;
        /* the rows of this block with a bucket in the chunk */
        size_t ns = 0;
        for (size_t i = 0; i < m; i++) {
            size_t j = s + i, k = ks[j], kr = ke ? ke[j] : SIZE_MAX;
            int in = k != SIZE_MAX && k >= k0 && k < k1;
            size_t b1 = in ? k - kb : gc;
            size_t b2 = kr != SIZE_MAX && kr >= k0 && kr < k1 ? kr - kb : gc;
            size_t bt = st[j] == 1 && in && gt[k] != SIZE_MAX ? gt[k] - t0 : tc;
            if (b1 == gc && b2 == gc) continue; /* (a tied event's bt needs b1 in the chunk) */
            sel[ns] = i; i1[ns] = b1; i2[ns] = b2; te[ns] = bt;
            ns++;
        }
        for (size_t h = 0; h < ns; h += COX_SUB) {
            size_t mh = ns - h < COX_SUB ? ns - h : COX_SUB;
            const size_t *sh = sel + h;
            double *tb = w->tbuf + (size_t)job->slot * COX_SUB * q; /* mh x q row-major: r_j (x_j - mean) */
            for (size_t c = 0; c < q; c++) {
                const double *col = w->x + w->cols[c] * n + s;
                double mu = w->mean[w->cols[c]];
                for (size_t i = 0; i < mh; i++) tb[i * q + c] = r[s + sh[i]] * (col[sh[i]] - mu);
            }
            for (size_t i = 0; i < mh; i++) {
                const double *xr = tb + i * q;
                size_t a1 = i1[h + i], a2 = i2[h + i], at = te[h + i];
                if (a1 < gc) {
                    double *b1 = job->bk1 + a1 * q;
                    for (size_t c = 0; c < q; c++) b1[c] += xr[c];
                }
                if (a2 < gc) {
                    double *b2 = job->bk1 + a2 * q;
                    for (size_t c = 0; c < q; c++) b2[c] -= xr[c];
                }
                if (at < tc) {
                    double *be = job->bke + at * q;
                    for (size_t c = 0; c < q; c++) be[c] += xr[c];
                }
            }
        }
    }
}

/* Adds the rows of A of event group k. */
static void group_rows(const cox_work *w, size_t k, a_acc *a)
{
    size_t m = w->efron ? w->g_m[k] : 1;
    double s0 = w->g_s0[k], e0 = w->g_e0[k], mw = w->g_d[k] / (double)m;
    if (m == 1) {
        /* one row sqrt(D) S1/S0 */
        a_row(w, a, sqrt(mw) / s0, 0);
        return;
    }
    /* Efron, m tied events: sum_l mw a_l a_l' with a_l = alpha_l S1 - beta_l E1
       (alpha = 1/den_l, beta = f_l/den_l) is [S1 E1] C [S1 E1]' with the 2 x 2
       C = sum_l mw (alpha, -beta)(alpha, -beta)'. With C = L L' (LAPACK) two rows
       L00 S1 + L10 E1 and L11 E1 replace the m rows. */
    double caa = 0, cab = 0, cbb = 0;
    for (size_t l = 0; l < m; l++) {
        double f = (double)l / (double)m, den = s0 - f * e0, al = 1 / den, be = f / den;
        caa += mw * al * al; cab -= mw * al * be; cbb += mw * be * be;
    }
    double cm[4] = { caa, cab, cab, cbb };
    if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', 2, cm, 2) == 0) {
        a_row(w, a, cm[0], cm[1]);
        a_row(w, a, 0, cm[3]);
    } else {
        /* C numerically singular: one row per tied event instead */
        double sq = sqrt(mw);
        for (size_t l = 0; l < m; l++) {
            double f = (double)l / (double)m, den = s0 - f * e0;
            a_row(w, a, sq / den, -sq * f / den);
        }
    }
}

/* Log-likelihood term of event group k from its S0 and E0, and its hazard increments g_k (kept
   in g_h until cumulated) and q_k. */
static double group_hazard(cox_work *w, size_t k, double s0, double e0)
{
    double dk = w->g_d[k], g = 0, qk = 0, ll = 0;
    w->g_s0[k] = s0;
    w->g_e0[k] = e0;
    if (!w->efron || w->g_m[k] == 1) {
        ll -= dk * log(s0);
        g = dk / s0;
    } else {
        size_t m = w->g_m[k];
        double mw = dk / (double)m;
        for (size_t l = 0; l < m; l++) {
            double f = (double)l / (double)m, den = s0 - f * e0;
            ll -= mw * log(den);
            g += mw / den;
            qk += mw * f / den;
        }
    }
    w->g_h[k] = g;
    w->g_q[k] = qk;
    return ll;
}


/* A half of the rows for the row-wise parts of the scalar sums (scalar_job_run in input order,
   sorted_job_run in the design's time order). */
typedef struct scalar_job {
    cox_work *w;
    size_t a, b;  /* rows (input order) or positions (sorted path) */
    int phase;    /* 0: block maxima of eta; 1: r and the events' part of log L; 2: c */
    double *mx;   /* phase 0: nblk maxima of these rows */
    double ll;    /* phase 1 */
} scalar_job;

/* Phases 0 and 1 of run on the two halves of the rows (two threads): the block maxima of eta
   into w->shift, then r; returns the events' part of log L (the halves added in a fixed order).
   ja and jb are left set up for phase 2 (scalar_c). */
static double scalar_r(cox_work *w, void *(*run)(void *), scalar_job *ja, scalar_job *jb)
{
    size_t n = w->n, nb = w->nblk, mid = n / 2;
    double *mxa = w->shift + (nb + 1), *mxb = mxa + (nb + 1);
    *ja = (scalar_job){ w, 0, mid, 0, mxa, 0 };
    *jb = (scalar_job){ w, mid, n, 0, mxb, 0 };
    both(w, run, ja, run, jb);
    for (size_t b = 0; b < nb; b++) w->shift[b] = mxa[b] > mxb[b] ? mxa[b] : mxb[b];
    ja->phase = jb->phase = 1;
    both(w, run, ja, run, jb);
    return ja->ll + jb->ll;
}

/* Phase 2 of run (c), once the groups' hazards are cumulated. */
static void scalar_c(cox_work *w, void *(*run)(void *), scalar_job *ja, scalar_job *jb)
{
    ja->phase = jb->phase = 2;
    both(w, run, ja, run, jb);
}

/* H at each event time of block b: the increments g_k (in g_h) cumulated from the earliest
   time, the last group in block order. */
static void cumulate_hazard(cox_work *w, size_t b)
{
    double h = 0;
    for (size_t k = w->bgrp[b + 1]; k-- > w->bgrp[b];) { h += w->g_h[k]; w->g_h[k] = h; }
}

static void *scalar_job_run(void *arg)
{
    scalar_job *j = arg;
    cox_work *w = j->w;
    if (j->phase == 0) {
        for (size_t b = 0; b < w->nblk; b++) j->mx[b] = -INFINITY;
        for (size_t i = j->a; i < j->b; i++) {
            size_t b = w->strata ? (size_t)w->sid_blk[w->strata[i]] : 0;
            if (w->eta[i] > j->mx[b]) j->mx[b] = w->eta[i];
        }
    } else if (j->phase == 1) {
        double ll = 0;
        for (size_t i = j->a; i < j->b; i++) {
            size_t b = w->strata ? (size_t)w->sid_blk[w->strata[i]] : 0;
            double e = w->eta[i] - w->shift[b];
            w->r[i] = wgt(w, i) * exp(e);
            if (w->status[i] == 1) ll += wgt(w, i) * e;
        }
        j->ll = ll;
    } else {
        /* c_j = H(stop_j) - H(start_j) - [event] q_k */
        for (size_t i = j->a; i < j->b; i++) {
            size_t k = w->kstop[i];
            double ci = k != SIZE_MAX ? w->g_h[k] : 0;
            if (w->status[i] == 1) ci -= w->g_q[k];
            if (w->kstart && w->kstart[i] != SIZE_MAX) ci -= w->g_h[w->kstart[i]];
            w->c[i] = ci;
        }
    }
    return NULL;
}

/* The scalar sums in input order (bucket path): no access to rows in time order, which at
   n = 1e7 costs a cache miss per row and array. S0 and E0 per event group come from buckets
   filled in one sequential pass (added where a row enters the risk set, removed where it
   leaves), then a running sum over the groups of each stratum. The row-wise parts (maxima,
   exp, c) run on two threads by halves of the rows (partial results combined in a fixed
   order: the same numbers with one thread or two). */
static double scalar_sequential(cox_work *w)
{
    size_t n = w->n, ng = w->ngrp, nb = w->nblk;
    double *b0 = w->b0, *be0 = w->b0 + ng;
    scalar_job ja, jb;
    double ll = scalar_r(w, scalar_job_run, &ja, &jb);
    memset(b0, 0, 2 * ng * sizeof *b0);
    for (size_t i = 0; i < n; i++) {
        size_t k = w->kstop[i];
        double ri = w->r[i];
        if (k != SIZE_MAX) b0[k] += ri;
        if (w->kstart && w->kstart[i] != SIZE_MAX) b0[w->kstart[i]] -= ri;
        if (w->status[i] == 1) be0[k] += ri;
    }
    for (size_t b = 0; b < nb; b++) {
        double s0 = 0;
        for (size_t k = w->bgrp[b]; k < w->bgrp[b + 1]; k++) {
            s0 += b0[k];
            ll += group_hazard(w, k, s0, be0[k]);
        }
        cumulate_hazard(w, b);
    }
    scalar_c(w, scalar_job_run, &ja, &jb);
    return ll;
}


/* The first event group (in block order) whose rows end after position pos: g_end > pos
   (ngrp when none). Positions increase with the group index across blocks. */
static size_t group_ending_after(const cox_work *w, size_t pos)
{
    size_t lo = 0, hi = w->ngrp;
    while (lo < hi) {
        size_t h = lo + (hi - lo) / 2;
        if (w->g_end[h] > pos) hi = h; else lo = h + 1;
    }
    return lo;
}

/* The row-wise parts of the scalar sums on the sorted path, positions a..b (every per-row array
   is in the design's row order there: eta, r, c and w_s, dw_s). */
static void *sorted_job_run(void *arg)
{
    scalar_job *j = arg;
    cox_work *w = j->w;
    size_t blk = 0, k = 0;
    while (blk + 1 < w->nblk && w->bbeg[blk + 1] <= j->a) blk++;
    if (j->phase == 0)
        for (size_t b = 0; b < w->nblk; b++) j->mx[b] = -INFINITY;
    if (j->phase == 2) k = group_ending_after(w, j->a);
    double ll = 0;
    for (size_t i = j->a; i < j->b; i++) {
        while (blk + 1 < w->nblk && i >= w->bbeg[blk + 1]) blk++;
        if (j->phase == 0) {
            if (w->eta[i] > j->mx[blk]) j->mx[blk] = w->eta[i];
        } else if (j->phase == 1) {
            double e = w->eta[i] - w->shift[blk];
            w->r[i] = (w->w_s ? w->w_s[i] : 1.0) * exp(e);
            if (w->dw_s[i] > 0) ll += w->dw_s[i] * e;
        } else {
            /* c = H(t) - [event] q_k: the group at or after this position, in its stratum */
            while (k < w->ngrp && w->g_end[k] <= i) k++;
            int in = k < w->bgrp[blk + 1];
            double ci = in ? w->g_h[k] : 0;
            if (in && w->dw_s[i] > 0) ci -= w->g_q[k];
            w->c[i] = ci;
        }
    }
    j->ll = ll;
    return NULL;
}

/* The scalar sums on the sorted path: the row-wise parts on two threads by halves of the
   positions (combined in a fixed order); S0 and E0 per event group by a running sum over the
   positions of each stratum, which are in descending time. */
static double scalar_sorted(cox_work *w)
{
    scalar_job ja, jb;
    double ll = scalar_r(w, sorted_job_run, &ja, &jb);
    for (size_t b = 0; b < w->nblk; b++) {
        double s0 = 0;
        size_t i = w->bbeg[b];
        for (size_t k = w->bgrp[b]; k < w->bgrp[b + 1]; k++) {
            double e0 = 0;
            for (; i < w->g_beg[k]; i++) s0 += w->r[i];
            for (; i < w->g_end[k]; i++) {
                s0 += w->r[i];
                if (w->dw_s[i] > 0) e0 += w->r[i];
            }
            ll += group_hazard(w, k, s0, e0);
        }
        cumulate_hazard(w, b);
    }
    scalar_c(w, sorted_job_run, &ja, &jb);
    return ll;
}

typedef struct eta_job {
    cox_work *w;
    const double *beta;
    double mb;
    size_t a, b; /* design rows */
} eta_job;

/* eta = x'beta + offset - mean'beta for rows a..b, in row blocks that stay in cache while every
   column adds its term (one read of the design, not q passes over eta). A plain loop rather than
   BLAS: every row then gets the same operations in the same order (no FMA under
   -ffp-contract=off, no kernel-dependent tail handling), so rows with equal covariates get
   bit-equal eta and the concordance sees their tie exactly as R does. */
static void *eta_job_run(void *arg)
{
    const eta_job *j = arg;
    cox_work *w = j->w;
    size_t n = w->n, q = w->q;
    /* (a reordered design: eta and the offsets are in its row order too, see cox_reorder.c) */
    const double *off = w->xrow ? w->off_s : w->offset;
    for (size_t s = j->a; s < j->b; s += COX_BLOCK) {
        size_t m = j->b - s < COX_BLOCK ? j->b - s : COX_BLOCK;
        double *e = w->eta + s;
        if (off) memcpy(e, off + s, m * sizeof *e);
        else memset(e, 0, m * sizeof *e);
        for (size_t c = 0; c < q; c++) {
            const double *col = w->x + w->cols[c] * n + s;
            double bc = j->beta[c];
            if (bc == 0) continue;
            for (size_t i = 0; i < m; i++) e[i] += bc * col[i];
        }
        if (j->mb != 0) for (size_t i = 0; i < m; i++) e[i] -= j->mb;
    }
    return NULL;
}

static void *pass_job_run(void *arg)
{
    const pass_job *j = arg;
    if (j->do_buckets || j->do_t1 || j->u) pass_x(j);
    return NULL;
}

/* The sorted path (design reordered into time order, w->xrow = ord): each half of the
   positions [a, b) on its own thread reads its rows of the design once, COX_BLOCK rows at a time,
   and forms from them the score (as pass_x) and the information in Welford's form, which needs
   one rank-k update over the rows instead of two (X' diag(r c) X and A'A, the latter with a row
   per event time: as many again with untied times).
   Rows enter the risk set in this order (and, right-censored, never leave). Within a stratum,
   with S0, S1 the sums before row i enters and S0' = S0 + r_i after, the risk-set "scatter"
   C = S2 - S1 S1'/S0 grows by u_i u_i' with u_i = sqrt(r_i S0/S0') (x_i - S1/S0) (Welford
   1962), so C_k at event time k is the sum of u_i u_i' over the rows at risk there, and
     sum_k g_k C_k = sum_i H_i u_i u_i'   (H_i = sum_{k: i at risk} g_k: c_i without the q term).
   For Breslow ties and untied Efron groups the information is exactly that (D S2/S0 - D S1 S1'/S0^2
   = (D/S0) C). An Efron group of m > 1 tied events adds, on top, g S1 S1'/S0 (row
   sqrt(g/S0) S1, added), less its rows of A (group_rows, subtracted) and less q_k r_j x_j x_j'
   for each of its events (rows sqrt(q_k r_j) x_j, subtracted): two accumulators, "add" (into t1)
   and "sub" (into acc.ata), and I = add - sub.
   The second half starts without the rows before it: when it begins inside a stratum, its S1
   lacks P, the first half's S1 at the split (its S0 there, s0_0, comes from the scalar pass's r),
   so each row of either accumulator lacks alpha_i P (alpha_i: its coefficient of S1), and
   sum (a_i + alpha_i P)(a_i + alpha_i P)' = A'A + v P' + P v' + sa P P' with v = sum alpha_i a_i,
   sa = sum alpha_i^2 (cox_eval adds the terms). No tied group straddles the split. */
typedef struct half_job {
    cox_work *w;
    size_t a, b;       /* positions */
    size_t k0;         /* the first event group ending after a */
    double s0_0;       /* S0 of the rows of a's stratum before a (0 at a stratum's start) */
    int slot;          /* scratch set: buf, blk_w, t1, upart, hscr */
    double *u;         /* q: the score of these rows (may be NULL) */
    double *tile;      /* COX_SUB x q */
    a_acc acc, add;    /* "sub" (rows of A, E2 rows; s1, e1 live here) and "add" (u_i, S1 rows;
                          its ata is t1) */
} half_job;

/* The rows of an Efron group of m > 1 tied events, at its last row: A into sub, as group_rows,
   and sqrt(g/S0) S1 into add (g = sum_l meanwt/den_l, the group's hazard increment). */
static void tied_group_rows(const cox_work *w, size_t k, a_acc *sub, a_acc *add)
{
    size_t m = w->g_m[k], q = w->q;
    double s0 = w->g_s0[k], e0 = w->g_e0[k], mw = w->g_d[k] / (double)m, g = 0;
    for (size_t l = 0; l < m; l++) g += mw / (s0 - (double)l / (double)m * e0);
    group_rows(w, k, sub);
    double al = sqrt(g / s0), *row = add->abuf + add->na * q;
    for (size_t c = 0; c < q; c++) row[c] = al * sub->s1[c];
    push_row(w, add, al);
}

static void *half_job_run(void *arg)
{
    half_job *j = arg;
    cox_work *w = j->w;
    size_t n = w->n, q = w->q, ng = w->ngrp;
    double *aw = w->blk_w + (size_t)j->slot * 2 * COX_BLOCK, *tile = j->tile;
    a_acc *sub = &j->acc, *add = &j->add;
    double *s1 = sub->s1, *e1 = sub->e1;
    if (j->u) memset(j->u, 0, q * sizeof *j->u);
    memset(s1, 0, q * sizeof *s1);
    memset(e1, 0, q * sizeof *e1);
    size_t blk = 0;
    while (blk + 1 < w->nblk && w->bbeg[blk + 1] <= j->a) blk++;
    sub->corr = add->corr = j->a > w->bbeg[blk];
    double s0 = j->s0_0;
    size_t k = j->k0;
    int tied = k < ng && w->efron && w->g_m[k] > 1;
    for (size_t s = j->a; s < j->b; s += COX_BLOCK) {
        size_t m = j->b - s < COX_BLOCK ? j->b - s : COX_BLOCK;
        for (size_t i = 0; i < m; i++) aw[i] = w->dw_s[s + i] - w->r[s + i] * w->c[s + i];
        /* sub-blocks of COX_SUB rows, so that the tile (COX_SUB x q) stays in L1 while it is
           transposed from the columns and then walked row by row */
        for (size_t h = 0; h < m; h += COX_SUB) {
            size_t mh = m - h < COX_SUB ? m - h : COX_SUB;
            for (size_t c = 0; c < q; c++) {
                const double *restrict col = w->x + w->cols[c] * n + s + h;
                double mu = w->mean[w->cols[c]], *restrict tc = tile + c;
                /* some 50 short column streams defeat the hardware prefetcher: ask for the next
                   sub-block's lines of this column now */
                for (size_t l = mh; l < mh + COX_SUB && s + h + l < j->b; l += 8) __builtin_prefetch(col + l);
                if (j->u) j->u[c] += scale_dot(col, mu, NULL, aw + h, NULL, mh);
                /* (a loop of its own: the strided stores would keep scale_dot's from
                   vectorising) */
                for (size_t i = 0; i < mh; i++) tc[i * q] = col[i] - mu;
            }
            for (size_t i = 0; i < mh; i++) {
                size_t pos = s + h + i;
                const double *restrict x = tile + i * q;
                while (blk + 1 < w->nblk && pos >= w->bbeg[blk + 1]) {
                    /* a new stratum: its risk sets start empty (and owe nothing to the other half) */
                    blk++;
                    memset(s1, 0, q * sizeof *s1);
                    s0 = 0;
                    sub->corr = add->corr = 0;
                }
                double ri = w->r[pos], s0a = s0 + ri;
                /* H: the hazard summed over the event times at which the row is at risk */
                double hi = k < w->bgrp[blk + 1] ? w->g_h[k] : 0;
                if (hi > 0 && ri > 0 && s0 > 0) {
                    double ga = sqrt(hi * ri * s0 / s0a), be = ga / s0, *row = add->abuf + add->na * q;
                    for (size_t c = 0; c < q; c++) row[c] = ga * x[c] - be * s1[c];
                    push_row(w, add, -be);
                }
                s0 = s0a;
                for (size_t c = 0; c < q; c++) s1[c] += ri * x[c];
                if (tied && pos >= w->g_beg[k] && w->dw_s[pos] > 0) {
                    double ge = sqrt(w->g_q[k] * ri), *row = sub->abuf + sub->na * q;
                    for (size_t c = 0; c < q; c++) {
                        e1[c] += ri * x[c];
                        row[c] = ge * x[c];
                    }
                    push_row(w, sub, 0);
                }
                if (k < ng && pos + 1 == w->g_end[k]) {
                    if (tied) {
                        tied_group_rows(w, k, sub, add);
                        memset(e1, 0, q * sizeof *e1);
                    }
                    k++;
                    tied = k < ng && w->efron && w->g_m[k] > 1;
                }
            }
        }
    }
    flush_a(w, sub);
    flush_a(w, add);
    return NULL;
}

/* The split of the sorted path's positions: about half, moved past a tied group it would cut;
   *k1 is the first event group ending after it. */
static size_t sorted_split(const cox_work *w, size_t *k1)
{
    size_t mid = w->n / 2, k = group_ending_after(w, mid);
    if (k < w->ngrp && w->g_beg[k] < mid) mid = w->g_end[k++];
    *k1 = k;
    return mid;
}

int cox_eval(cox_work *w, const double *beta, double *loglik, double *u, double *info,
             carta_error *err)
{
    size_t n = w->n, q = w->q;
    if (w->exact) return cox_exact_eval(w, beta, loglik, u, info, err);

    /* eta (see eta_job_run) */
    double mb = 0;
    for (size_t c = 0; c < q; c++) mb += beta[c] * w->mean[w->cols[c]];
    {
        /* the two halves of the rows on two threads (a block boundary between them) */
        size_t mid = w->threads > 1 ? (n / 2 / COX_BLOCK) * COX_BLOCK : 0;
        eta_job ja = { w, beta, mb, mid, n }, jb = { w, beta, mb, 0, mid };
        both(w, eta_job_run, &ja, eta_job_run, &jb);
    }

    double ll = 0;
    if (w->xrow) ll = scalar_sorted(w);
    else if (w->b0) ll = scalar_sequential(w);
    else for (size_t b = 0; b < w->nblk; b++) {
        double mx = -INFINITY;
        for (size_t i = w->bbeg[b]; i < w->bbeg[b + 1]; i++)
            if (w->eta[w->ord[i]] > mx) mx = w->eta[w->ord[i]];
        w->shift[b] = mx;
        for (size_t i = w->bbeg[b]; i < w->bbeg[b + 1]; i++) {
            size_t j = w->ord[i];
            w->r[j] = wgt(w, j) * exp(w->eta[j] - mx);
        }

        /* Descending pass: S0 and E0 per event time; log L; the hazard increments g_k, q_k. */
        double s0 = 0;
        size_t nrisk = 0, i = w->bbeg[b], i2 = w->bbeg2[b];
        for (size_t k = w->bgrp[b]; k < w->bgrp[b + 1]; k++) {
            for (; i < w->g_end[k]; i++) { s0 += w->r[w->ord[i]]; nrisk++; }
            if (w->counting)
                for (; i2 < w->g_rm[k]; i2++) { s0 -= w->r[w->ord2[i2]]; nrisk--; }
            if (nrisk == 0) s0 = 0; /* drop round-off left by add/remove */
            double e0 = 0;
            for (size_t e = w->g_beg[k]; e < w->g_end[k]; e++) {
                size_t j = w->ord[e];
                if (w->status[j] == 1) {
                    e0 += w->r[j];
                    ll += wgt(w, j) * (w->eta[j] - mx);
                }
            }
            ll += group_hazard(w, k, s0, e0); /* g_k in g_h for now; cumulated below */
        }
        cumulate_hazard(w, b);

        /* c_j = H(stop_j) - H(start_j) - [event] q_k */
        size_t k = w->bgrp[b], kend = w->bgrp[b + 1];
        for (size_t ii = w->bbeg[b]; ii < w->bbeg[b + 1]; ii++) {
            size_t j = w->ord[ii];
            double t = w->time[j];
            while (k < kend && w->time[w->ord[w->g_beg[k]]] > t) k++;
            double cj = k < kend ? w->g_h[k] : 0;
            if (w->status[j] == 1) cj -= w->g_q[k]; /* an event row sits in group k */
            w->c[j] = cj;
        }
        if (w->counting) {
            k = w->bgrp[b];
            for (size_t ii = w->bbeg2[b]; ii < w->bbeg2[b + 1]; ii++) {
                size_t j = w->ord2[ii];
                double t = w->start[j];
                while (k < kend && w->time[w->ord[w->g_beg[k]]] > t) k++;
                if (k < kend) w->c[j] -= w->g_h[k];
            }
        }
    }
    *loglik = ll;
    if (!u && !info) return CARTA_OK;

    /* The score from one sequential pass (U = X'(w delta - r c)), fused with X' diag(r c) X;
       S1, E1 per event group only for the rows of A. */
    double *ata = info;
    if (ata) memset(ata, 0, q * q * sizeof *ata);
    a_acc acc = { w->s1, w->e1, w->abuf, ata, 0, 0, NULL, 0 }; /* bucket and gather paths */
    int two = 0; /* X' diag(r c) X in two halves (slots 0 and 1 of t1) */
    double *t1 = w->t1; /* X' diag(r c) X from pass_x (sorted path: the "add" sums) */
    if (w->xrow && info) {
        /* sorted path: two halves of the rows, one on a second thread (see half_job_run) */
        size_t k1, mid = sorted_split(w, &k1), per = hscr_per(w->p), pp = w->p ? w->p : 1;
        size_t blk = 0;
        double s0_mid = 0;
        while (blk + 1 < w->nblk && w->bbeg[blk + 1] <= mid) blk++;
        for (size_t i = w->bbeg[blk]; i < mid; i++) s0_mid += w->r[i];
        half_job h[2];
        for (int t = 0; t < 2; t++) {
            double *sc = w->hscr + (size_t)t * per;
            h[t] = (half_job){ w, t ? mid : 0, t ? n : mid, t ? k1 : 0, t ? s0_mid : 0, t, NULL, sc,
                               { 0 }, { 0 } };
            h[t].u = u ? w->upart + (size_t)t * q : NULL;
            h[t].acc.abuf = sc + COX_SUB * pp;
            h[t].acc.s1 = h[t].acc.abuf + COX_BLOCK * pp;
            h[t].acc.e1 = h[t].acc.s1 + pp;
            h[t].acc.v = h[t].acc.e1 + pp;
            h[t].add.v = h[t].acc.v + pp;
            h[t].acc.ata = t ? h[t].add.v + pp : ata;
            h[t].add.abuf = w->buf + (size_t)t * COX_BLOCK * q;
            h[t].add.ata = w->t1 + (size_t)t * q * q;
            memset(h[t].acc.ata, 0, q * q * sizeof *ata);
            memset(h[t].add.ata, 0, q * q * sizeof *ata);
            memset(h[t].acc.v, 0, q * sizeof *ata);
            memset(h[t].add.v, 0, q * sizeof *ata);
        }
        both(w, half_job_run, &h[1], half_job_run, &h[0]);
        if (u) for (size_t c = 0; c < q; c++) u[c] = h[0].u[c] + h[1].u[c];
        two = 1;
        /* the second half's own sums and, when it began inside a stratum, the terms for the
           first half's S1 at the split (P = that half's final S1, same stratum) */
        const double *P = h[0].acc.s1;
        for (int t = 0; t < 2; t++) {
            const a_acc *a2 = t ? &h[1].add : &h[1].acc;
            double *dst = t ? h[1].add.ata : ata;
            const double *v = a2->v;
            double sa = a2->sa;
            for (size_t a = 0; a < q; a++)
                for (size_t b2 = 0; b2 <= a; b2++) {
                    double own = t ? 0 : a2->ata[b2 + a * q];
                    dst[b2 + a * q] += own + v[b2] * P[a] + P[b2] * v[a] + sa * P[b2] * P[a];
                }
        }
    } else if (w->xrow) {
        pass_job ju = { w, 0, 0, u, 0, 0, 0, 0, 0, 0, n, 0, NULL, NULL };
        pass_x(&ju);
    } else if (w->bk1) {
        /* bucket path: per chunk of event groups one sequential pass, then the running sums */
        size_t blk = 0, t0 = 0;
        if (!info) {
            pass_job ju = { w, 0, 0, u, 0, 0, 0, 0, 0, 0, n, 0, NULL, NULL };
            pass_x(&ju);
        } else for (size_t k0 = 0; k0 < w->ngrp; k0 += w->chunk) {
            size_t k1 = w->ngrp - k0 < w->chunk ? w->ngrp : k0 + w->chunk;
            size_t l1 = (w->chunk + COX_DUMMY) * q, le = (w->tie_cap + COX_DUMMY) * q;
            double *bk1b = w->bk1 + w->bk1_len, *bkeb = w->bke + w->bke_len; /* second copies */
            memset(w->bk1, 0, l1 * sizeof *w->bk1);
            memset(w->bke, 0, le * sizeof *w->bke);
            if (k0 == 0 && w->bsplit) {
                /* two jobs, one on a second thread: each the score, X' diag(r c) X and the
                   buckets of half the rows, on its own scratch and bucket copy; then the sums */
                size_t mid = (n / 2 / COX_BLOCK) * COX_BLOCK;
                double *ua = u ? w->upart : NULL, *ub = u ? w->upart + q : NULL;
                memset(bk1b, 0, l1 * sizeof *bk1b);
                memset(bkeb, 0, le * sizeof *bkeb);
                pass_job ja = { w, 1, 1, ua, k0, k0, k1, t0, 1, 0, mid, 1, bk1b, bkeb },
                         jb = { w, 1, 1, ub, k0, k0, k1, t0, 0, mid, n, 1, w->bk1, w->bke };
                both(w, pass_job_run, &ja, pass_job_run, &jb);
                if (u) for (size_t c = 0; c < q; c++) u[c] = ua[c] + ub[c];
                for (size_t k = 0; k < l1; k++) w->bk1[k] += bk1b[k];
                for (size_t k = 0; k < le; k++) w->bke[k] += bkeb[k];
                two = 1;
            } else if (k0 == 0) {
                /* X' diag(r c) X and the score on a second thread, the buckets here (two reads
                   of the design at once, on separate scratch) */
                pass_job jt = { w, 0, 1, u, 0, 0, 0, 0, 0, 0, n, 0, NULL, NULL },
                         jb = { w, 1, 0, NULL, k0, k0, k1, t0, 1, 0, 0, 0, w->bk1, w->bke };
                both(w, pass_job_run, &jt, pass_job_run, &jb);
            } else {
                /* later chunks: the two halves of the chunk's groups (about equal rows entering
                   them) on two threads: disjoint buckets, each thread reads the rows of its half */
                size_t km = k0, half = 0, tot = 0;
                for (size_t k = k0; k < k1; k++) tot += w->g_nin[k];
                while (km < k1 && 2 * (half + w->g_nin[km]) <= tot) half += w->g_nin[km++];
                pass_job ja = { w, 1, 0, NULL, k0, k0, km, t0, 1, 0, 0, 0, w->bk1, w->bke },
                         jb = { w, 1, 0, NULL, k0, km, k1, t0, 0, 0, 0, 0, w->bk1, w->bke };
                both(w, pass_job_run, &ja, pass_job_run, &jb);
            }
            for (size_t k = k0; k < k1; k++) {
                while (k >= w->bgrp[blk + 1]) blk++;
                if (k == w->bgrp[blk]) memset(w->s1, 0, q * sizeof *w->s1); /* a new stratum */
                const double *b1 = w->bk1 + (k - k0) * q;
                for (size_t c = 0; c < q; c++) w->s1[c] += b1[c];
                if (w->g_tie[k] != SIZE_MAX)
                    memcpy(w->e1, w->bke + (w->g_tie[k] - t0) * q, q * sizeof *w->e1);
                group_rows(w, k, &acc);
            }
            for (size_t k = k0; k < k1; k++) t0 += w->g_tie[k] != SIZE_MAX;
        }
    } else {
        /* gather path: rows in time order */
        pass_job jg = { w, 0, info != NULL, u, 0, 0, 0, 0, 0, 0, n, 0, NULL, NULL };
        pass_x(&jg);
        if (info)
            for (size_t b = 0; b < w->nblk; b++) {
                size_t i = w->bbeg[b], i2 = w->bbeg2[b], nrisk = 0;
                memset(w->s1, 0, q * sizeof *w->s1);
                for (size_t k = w->bgrp[b]; k < w->bgrp[b + 1]; k++) {
                    memset(w->e1, 0, q * sizeof *w->e1);
                    accum(w, w->ord, i, w->g_end[k], 1.0, w->g_beg[k], w->xw);
                    nrisk += w->g_end[k] - i;
                    i = w->g_end[k];
                    if (w->counting) {
                        accum(w, w->ord2, i2, w->g_rm[k], -1.0, SIZE_MAX, w->xw);
                        nrisk -= w->g_rm[k] - i2;
                        i2 = w->g_rm[k];
                    }
                    if (nrisk == 0) memset(w->s1, 0, q * sizeof *w->s1);
                    group_rows(w, k, &acc);
                }
            }
    }
    if (!info) return CARTA_OK;
    flush_a(w, &acc);

    if (two) for (size_t k = 0; k < q * q; k++) t1[k] += t1[q * q + k];
    for (size_t a = 0; a < q; a++)
        for (size_t b2 = 0; b2 <= a; b2++) {
            double v = t1[b2 + a * q] - info[b2 + a * q];
            info[b2 + a * q] = v;
            info[a + b2 * q] = v;
        }
    return CARTA_OK;
}
