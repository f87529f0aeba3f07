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
 *   - bucket path (the default): each row knows the event group where it enters the risk set
 *     (kstop) and, for (start, stop] data, where it leaves (kstart). S0/E0 and S1/E1 per group
 *     are buckets filled by sequential passes over the rows in input order; a running sum over
 *     the groups of each stratum (descending time) then gives the risk-set sums, as agfit4's
 *     add/remove walk does. S1 buckets are limited to a quarter of the design's memory: with
 *     more event times the groups are taken in chunks, one pass over the design per chunk.
 *   - gather path (after the fit, and in tests): rows are visited in time order (sorted once by
 *     stop, once by start), gathering COX_BLOCK rows at a time.
 * eta is shifted by its maximum within each stratum before exp(): every quantity above is
 * invariant to a constant added to eta within a stratum. */
#include "cox_internal.h"

#include <carta/alloc.h>

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
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

void cox_work_free(cox_work *w)
{
    if (!w) return;
    carta_free(w->cols); carta_free(w->mean);
    carta_free(w->ord); carta_free(w->ord2);
    carta_free(w->bbeg); carta_free(w->bbeg2); carta_free(w->bsid); carta_free(w->bgrp);
    carta_free(w->g_beg); carta_free(w->g_end); carta_free(w->g_rm); carta_free(w->g_m);
    carta_free(w->g_d);
    carta_free(w->kstop); carta_free(w->kstart); carta_free(w->g_tie);
    carta_free(w->bk1); carta_free(w->bke); carta_free(w->blk_idx); carta_free(w->blk_w);
    carta_free(w->tbuf); carta_free(w->b0); carta_free(w->sid_blk);
    carta_free(w->eta); carta_free(w->r); carta_free(w->c); carta_free(w->shift);
    carta_free(w->g_s0); carta_free(w->g_e0); carta_free(w->g_h); carta_free(w->g_q);
    carta_free(w->buf); carta_free(w->abuf); carta_free(w->s1); carta_free(w->e1);
    carta_free(w->t1); carta_free(w->xw);
    carta_free(w->ex_f); carta_free(w->ex_g); carta_free(w->ex_h); carta_free(w->ex_x);
    carta_free(w);
}

void cox_work_drop_buckets(cox_work *w)
{
    carta_free(w->kstop); carta_free(w->kstart); carta_free(w->g_tie);
    carta_free(w->bk1); carta_free(w->bke); carta_free(w->blk_idx); carta_free(w->blk_w);
    carta_free(w->tbuf); carta_free(w->b0);
    w->tbuf = NULL;
    w->b0 = NULL;
    w->blk_idx = NULL;
    w->blk_w = NULL;
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
        if (w->tie_cap > groups) w->tie_cap = groups;
    }
}

void cox_work_set_cols(cox_work *w, const size_t *cols, size_t q)
{
    for (size_t k = 0; k < q; k++) w->cols[k] = cols[k];
    w->q = q;
}

static inline int sid(const cox_work *w, size_t i) { return w->strata ? w->strata[i] : 0; }
static inline double wgt(const cox_work *w, size_t i) { return w->wt ? w->wt[i] : 1.0; }

int cox_work_new(const carta_cox_spec *spec, const carta_surv_data *d, const carta_matrix *x,
                 cox_work **out, carta_error *err)
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
    w->x = x->data; w->time = d->time; w->start = d->start; w->wt = d->weight;
    w->offset = spec->offset; w->status = d->status; w->strata = d->strata;

    w->cols = carta_malloc((p ? p : 1) * sizeof *w->cols);
    w->mean = carta_calloc(p ? p : 1, sizeof *w->mean);
    w->ord = carta_malloc(n * sizeof *w->ord);
    keys = carta_malloc(n * sizeof *keys);
    w->eta = carta_malloc(n * sizeof *w->eta);
    w->r = carta_malloc(n * sizeof *w->r);
    w->c = carta_malloc(n * sizeof *w->c);
    w->buf = carta_malloc(np * sizeof *w->buf);
    w->abuf = carta_malloc(np * sizeof *w->abuf);
    w->s1 = carta_malloc((p ? p : 1) * sizeof *w->s1);
    w->e1 = carta_malloc((p ? p : 1) * sizeof *w->e1);
    w->t1 = carta_malloc((p ? p * p : 1) * sizeof *w->t1);
    w->xw = carta_malloc((p ? p : 1) * sizeof *w->xw);
    if (cox_sort_new(&so, n) != CARTA_OK) goto fail;
    if (!w->cols || !w->mean || !w->ord || !keys || !w->eta || !w->r || !w->c || !w->buf ||
        !w->abuf || !w->s1 || !w->e1 || !w->t1 || !w->xw)
        goto fail;
    for (size_t k = 0; k < p; k++) w->cols[k] = k;

    /* Weighted column means (R's coxph centres the same way); pairwise-safe enough in a
       straight sum because they only set the centring point, not a reported number. */
    {
        double sw = 0;
        for (size_t i = 0; i < n; i++) sw += wgt(w, i);
        for (size_t k = 0; k < p; k++) {
            const double *col = w->x + k * n;
            double s = 0;
            if (w->wt) for (size_t i = 0; i < n; i++) s += w->wt[i] * col[i];
            else for (size_t i = 0; i < n; i++) s += col[i];
            w->mean[k] = s / sw;
        }
    }

    sort_rows(&so, n, d->time, d->strata, keys, w->ord);
    if (w->counting) {
        if (!(w->ord2 = carta_malloc(n * sizeof *w->ord2))) goto fail;
        sort_rows(&so, n, d->start, d->strata, keys, w->ord2);
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
    w->shift = carta_malloc((nblk + 1) * sizeof *w->shift);
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

    /* The bucket path: the buckets of a pass take at most a quarter of the design's memory
       (so the fit's peak stays near 1.25x the design); when the event times need more, the
       groups are taken in chunks, one sequential pass over the design per chunk. */
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
        size_t cap = n / 4 + 512;             /* bucket rows (of p doubles) per pass */
        size_t gc = ngrp, tc = ntie;
        if (gc + tc > cap) {
            gc = ntie ? cap / 2 : cap;
            if (gc < 1) gc = 1;
            tc = ntie < gc ? ntie : gc;
        }
        w->chunk = gc;
        w->tie_cap = tc;
        w->kstop = carta_malloc(n * sizeof *w->kstop);
        w->g_tie = carta_malloc(ngrp * sizeof *w->g_tie);
        w->bk1 = carta_malloc((gc + COX_DUMMY) * (p ? p : 1) * sizeof *w->bk1);
        w->bke = carta_malloc((tc + COX_DUMMY) * (p ? p : 1) * sizeof *w->bke);
        w->blk_idx = carta_malloc(3 * COX_BLOCK * sizeof *w->blk_idx);
        w->blk_w = carta_malloc(COX_BLOCK * sizeof *w->blk_w);
        w->tbuf = carta_malloc(COX_BLOCK * (p ? p : 1) * sizeof *w->tbuf);
        w->b0 = carta_malloc(2 * ngrp * sizeof *w->b0);
        if (w->counting) w->kstart = carta_malloc(n * sizeof *w->kstart);
        if (!w->kstop || !w->g_tie || !w->bk1 || !w->bke || !w->blk_idx || !w->blk_w || !w->tbuf || !w->b0 ||
            (w->counting && !w->kstart))
            goto fail;
        w->ntie = ntie;
        for (size_t g = 0, t = 0; g < ngrp; g++) w->g_tie[g] = (w->g_m[g] > 1 && w->efron) ? t++ : SIZE_MAX;
        for (size_t b = 0; b < nblk; b++) {
            size_t kk = w->bgrp[b], kend = w->bgrp[b + 1];
            for (size_t ii = w->bbeg[b]; ii < w->bbeg[b + 1]; ii++) {
                size_t j = w->ord[ii];
                while (kk < kend && w->time[w->ord[w->g_beg[kk]]] > w->time[j]) kk++;
                w->kstop[j] = kk < kend ? kk : SIZE_MAX;
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

/* Subtracts A'A of the buffered rows (row-major, na x q) into ata, then empties the buffer. */
static void flush_a(cox_work *w, size_t *na, double *ata)
{
    if (*na == 0) return;
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, (int)w->q, (int)*na, 1.0, w->abuf,
                (int)w->q, 1.0, ata, (int)w->q);
    *na = 0;
}

/* One sequential pass over the kept columns in input order, COX_BLOCK rows at a time. With
   buckets: adds r_j x_j to the bucket of the group where row j enters the risk set (subtracts it
   where it leaves), r_j x_j of events to their tied group's E1 bucket, w_j x_j of events to
   w->xw. With do_t1: accumulates X' diag(r c) X into w->t1 by dsyrk on row blocks scaled by
   sqrt(r_j c_j). Fusing both halves the reads of the design, which bound the time. */
static void pass_x(cox_work *w, int do_buckets, int do_t1, size_t k0, size_t k1, size_t t0)
{
    size_t n = w->n, q = w->q, gc = w->chunk, tc = w->tie_cap, lg = gc + COX_DUMMY, lt = tc + COX_DUMMY;
    (void)lg; (void)lt;
    const size_t *ks = w->kstop, *ke = w->kstart, *gt = w->g_tie;
    const int *st = w->status;
    const double *r = w->r;
    /* per-block row scratch: bucket indices relative to the chunk, with COX_DUMMY dummy
       buckets at the end for "not in this chunk" (rotating, so that the adds to them do not
       form one serial dependency chain), so the inner loops have no branches */
    size_t *i1 = w->blk_idx, *i2 = i1 + COX_BLOCK, *te = i2 + COX_BLOCK;
    double *wev = w->blk_w;
    int first = k0 == 0;
    if (do_buckets) {
        memset(w->bk1, 0, lg * q * sizeof *w->bk1);
        memset(w->bke, 0, lt * q * sizeof *w->bke);
        if (first) memset(w->xw, 0, q * sizeof *w->xw);
    }
    if (do_t1) memset(w->t1, 0, q * q * sizeof *w->t1);
    for (size_t s = 0; s < n; s += COX_BLOCK) {
        size_t m = n - s < COX_BLOCK ? n - s : COX_BLOCK;
        double *sc = w->abuf; /* m scale factors */
        if (do_t1)
            for (size_t i = 0; i < m; i++) {
                double v = r[s + i] * w->c[s + i];
                sc[i] = v > 0 ? sqrt(v) : 0;
            }
        if (do_buckets)
            for (size_t i = 0; i < m; i++) {
                size_t j = s + i, k = ks[j], kr = ke ? ke[j] : SIZE_MAX;
                int ev = st[j] == 1, in = k != SIZE_MAX && k >= k0 && k < k1;
                size_t dm = i % COX_DUMMY;
                i1[i] = in ? k - k0 : gc + dm;
                i2[i] = kr != SIZE_MAX && kr >= k0 && kr < k1 ? kr - k0 : gc + dm;
                te[i] = ev && in && gt[k] != SIZE_MAX ? gt[k] - t0 : tc + dm;
                wev[i] = ev && first ? (w->wt ? w->wt[j] : 1.0) : 0.0;
            }
        /* read the block once, column by column (sequential): the centred values go to the
           row-major tb for the buckets and, scaled, to the column-major buf for dsyrk */
        double *tb = w->tbuf;
        for (size_t c = 0; c < q; c++) {
            const double *col = w->x + w->cols[c] * n + s;
            double mu = w->mean[w->cols[c]], *dst = w->buf + c * m, sxw = 0;
            if (do_buckets) {
                for (size_t i = 0; i < m; i++) {
                    double xv = col[i] - mu;
                    tb[i * q + c] = xv;
                    sxw += wev[i] * xv;
                }
                if (first) w->xw[c] += sxw;
            }
            if (do_t1) for (size_t i = 0; i < m; i++) dst[i] = sc[i] * (col[i] - mu);
        }
        if (do_buckets)
            /* row-major buckets: each row adds q contiguous values to its bucket row(s) */
            for (size_t i = 0; i < m; i++) {
                double ri = r[s + i];
                const double *xr = tb + i * q;
                if (i1[i] < gc) {
                    double *b1 = w->bk1 + i1[i] * q;
                    for (size_t c = 0; c < q; c++) b1[c] += ri * xr[c];
                }
                if (ke && i2[i] < gc) {
                    double *b2 = w->bk1 + i2[i] * q;
                    for (size_t c = 0; c < q; c++) b2[c] -= ri * xr[c];
                }
                if (w->ntie && te[i] < tc) {
                    double *be = w->bke + te[i] * q;
                    for (size_t c = 0; c < q; c++) be[c] += ri * xr[c];
                }
            }
        if (do_t1)
            cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, (int)q, (int)m, 1.0, w->buf, (int)m,
                        1.0, w->t1, (int)q);
    }
}

/* Adds the A rows of event group k (and its part of the score) from w->s1 and w->e1. */
static void group_rows(cox_work *w, size_t k, double *u, double *ata, size_t *na)
{
    size_t q = w->q;
    size_t m = w->efron ? w->g_m[k] : 1;
    double s0 = w->g_s0[k], e0 = w->g_e0[k], mw = w->g_d[k] / (double)m;
    if (m == 1) {
        /* one row sqrt(D) S1/S0 */
        double sq = sqrt(mw), *arow = w->abuf + *na * q;
        for (size_t c = 0; c < q; c++) {
            double a = w->s1[c] / s0;
            if (u) u[c] -= mw * a;
            arow[c] = sq * a;
        }
        if (++*na == COX_BLOCK) { if (ata) flush_a(w, na, ata); else *na = 0; }
        return;
    }
    /* Efron, m tied events: sum_l mw a_l a_l' with a_l = alpha_l S1 - beta_l E1
       (alpha = 1/den_l, beta = f_l/den_l) is [S1 E1] C [S1 E1]' with the 2 x 2
       C = sum_l mw (alpha, -beta)(alpha, -beta)'. With C = L L' (LAPACK) two rows
       L00 S1 + L10 E1 and L11 E1 replace the m rows. */
    double ca = 0, cb = 0, caa = 0, cab = 0, cbb = 0;
    for (size_t l = 0; l < m; l++) {
        double f = (double)l / (double)m, den = s0 - f * e0, al = 1 / den, be = f / den;
        ca += mw * al; cb += mw * be;
        caa += mw * al * al; cab -= mw * al * be; cbb += mw * be * be;
    }
    if (u) for (size_t c = 0; c < q; c++) u[c] -= ca * w->s1[c] - cb * w->e1[c];
    double cm[4] = { caa, cab, cab, cbb };
    if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', 2, cm, 2) == 0) {
        double *r1 = w->abuf + *na * q;
        for (size_t c = 0; c < q; c++) r1[c] = cm[0] * w->s1[c] + cm[1] * w->e1[c];
        if (++*na == COX_BLOCK) { if (ata) flush_a(w, na, ata); else *na = 0; }
        double *r2 = w->abuf + *na * q;
        for (size_t c = 0; c < q; c++) r2[c] = cm[3] * w->e1[c];
        if (++*na == COX_BLOCK) { if (ata) flush_a(w, na, ata); else *na = 0; }
    } else {
        /* C numerically singular: one row per tied event instead */
        double sq = sqrt(mw);
        for (size_t l = 0; l < m; l++) {
            double f = (double)l / (double)m, den = s0 - f * e0, *arow = w->abuf + *na * q;
            for (size_t c = 0; c < q; c++) arow[c] = sq * (w->s1[c] - f * w->e1[c]) / den;
            if (++*na == COX_BLOCK) { if (ata) flush_a(w, na, ata); else *na = 0; }
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

/* The scalar sums in input order (bucket path): no access to rows in time order, which at
   n = 1e7 costs a cache miss per row and array. S0 and E0 per event group come from buckets
   filled in one sequential pass (added where a row enters the risk set, removed where it
   leaves), then a running sum over the groups of each stratum. */
static double scalar_sequential(cox_work *w)
{
    size_t n = w->n, ng = w->ngrp;
    double ll = 0, *b0 = w->b0, *be0 = w->b0 + ng;
    for (size_t b = 0; b < w->nblk; b++) w->shift[b] = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        size_t b = w->strata ? (size_t)w->sid_blk[w->strata[i]] : 0;
        if (w->eta[i] > w->shift[b]) w->shift[b] = w->eta[i];
    }
    memset(b0, 0, 2 * ng * sizeof *b0);
    for (size_t i = 0; i < n; i++) {
        size_t b = w->strata ? (size_t)w->sid_blk[w->strata[i]] : 0, k = w->kstop[i];
        double ri = wgt(w, i) * exp(w->eta[i] - w->shift[b]);
        w->r[i] = ri;
        if (k != SIZE_MAX) b0[k] += ri;
        if (w->kstart && w->kstart[i] != SIZE_MAX) b0[w->kstart[i]] -= ri;
        if (w->status[i] == 1) {
            be0[k] += ri;
            ll += wgt(w, i) * (w->eta[i] - w->shift[b]);
        }
    }
    for (size_t b = 0; b < w->nblk; b++) {
        double s0 = 0, h = 0;
        for (size_t k = w->bgrp[b]; k < w->bgrp[b + 1]; k++) {
            s0 += b0[k];
            ll += group_hazard(w, k, s0, be0[k]);
        }
        for (size_t k = w->bgrp[b + 1]; k-- > w->bgrp[b];) { h += w->g_h[k]; w->g_h[k] = h; }
    }
    /* c_j = H(stop_j) - H(start_j) - [event] q_k */
    for (size_t i = 0; i < n; i++) {
        size_t k = w->kstop[i];
        double ci = k != SIZE_MAX ? w->g_h[k] : 0;
        if (w->status[i] == 1) ci -= w->g_q[k];
        if (w->kstart && w->kstart[i] != SIZE_MAX) ci -= w->g_h[w->kstart[i]];
        w->c[i] = ci;
    }
    return ll;
}

int cox_eval(cox_work *w, const double *beta, double *loglik, double *u, double *info,
             carta_error *err)
{
    size_t n = w->n, q = w->q;
    if (w->exact) return cox_exact_eval(w, beta, loglik, u, info, err);

    /* eta = x'beta + offset - mean'beta, in row blocks that stay in cache while every column
       adds its term (one read of the design, not q passes over eta). A plain loop rather than
       BLAS: every row then gets the same operations in the same order (no FMA under
       -ffp-contract=off, no kernel-dependent tail handling), so rows with equal covariates get
       bit-equal eta and the concordance sees their tie exactly as R does. */
    double mb = 0;
    for (size_t c = 0; c < q; c++) mb += beta[c] * w->mean[w->cols[c]];
    for (size_t s = 0; s < n; s += COX_BLOCK) {
        size_t m = n - s < COX_BLOCK ? n - s : COX_BLOCK;
        double *e = w->eta + s;
        if (w->offset) memcpy(e, w->offset + s, m * sizeof *e);
        else memset(e, 0, m * sizeof *e);
        for (size_t c = 0; c < q; c++) {
            const double *col = w->x + w->cols[c] * n + s;
            double bc = beta[c];
            if (bc == 0) continue;
            for (size_t i = 0; i < m; i++) e[i] += bc * col[i];
        }
        if (mb != 0) for (size_t i = 0; i < m; i++) e[i] -= mb;
    }

    double ll = 0;
    if (w->b0) ll = scalar_sequential(w);
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
        /* H at each event time: cumulate from the earliest (last in block order). */
        double h = 0;
        for (size_t k = w->bgrp[b + 1]; k-- > w->bgrp[b];) { h += w->g_h[k]; w->g_h[k] = h; }

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

    /* S1, E1: the score and the rows of A. */
    double *xw = w->xw;
    double *ata = info;
    if (u) memset(u, 0, q * sizeof *u);
    if (ata) memset(ata, 0, q * q * sizeof *ata);
    size_t na = 0;
    if (w->bk1) {
        /* bucket path: per chunk of event groups one sequential pass, then the running sums */
        size_t blk = 0, t0 = 0;
        for (size_t k0 = 0; k0 < w->ngrp; k0 += w->chunk) {
            size_t k1 = w->ngrp - k0 < w->chunk ? w->ngrp : k0 + w->chunk;
            pass_x(w, 1, info != NULL && k0 == 0, k0, k1, t0);
            for (size_t k = k0; k < k1; k++) {
                while (k >= w->bgrp[blk + 1]) blk++;
                if (k == w->bgrp[blk]) memset(w->s1, 0, q * sizeof *w->s1); /* a new stratum */
                const double *b1 = w->bk1 + (k - k0) * q;
                for (size_t c = 0; c < q; c++) w->s1[c] += b1[c];
                if (w->g_tie[k] != SIZE_MAX)
                    memcpy(w->e1, w->bke + (w->g_tie[k] - t0) * q, q * sizeof *w->e1);
                group_rows(w, k, u, ata, &na);
            }
            for (size_t k = k0; k < k1; k++) t0 += w->g_tie[k] != SIZE_MAX;
        }
    } else {
        /* gather path: rows in time order */
        if (info) pass_x(w, 0, 1, 0, 0, 0);
        memset(xw, 0, q * sizeof *xw);
        for (size_t b = 0; b < w->nblk; b++) {
            size_t i = w->bbeg[b], i2 = w->bbeg2[b], nrisk = 0;
            memset(w->s1, 0, q * sizeof *w->s1);
            for (size_t k = w->bgrp[b]; k < w->bgrp[b + 1]; k++) {
                memset(w->e1, 0, q * sizeof *w->e1);
                accum(w, w->ord, i, w->g_end[k], 1.0, w->g_beg[k], xw);
                nrisk += w->g_end[k] - i;
                i = w->g_end[k];
                if (w->counting) {
                    accum(w, w->ord2, i2, w->g_rm[k], -1.0, SIZE_MAX, xw);
                    nrisk -= w->g_rm[k] - i2;
                    i2 = w->g_rm[k];
                }
                if (nrisk == 0) memset(w->s1, 0, q * sizeof *w->s1);
                group_rows(w, k, u, ata, &na);
            }
        }
    }
    if (ata) flush_a(w, &na, ata);
    if (u) for (size_t c = 0; c < q; c++) u[c] += xw[c];
    if (!info) return CARTA_OK;

    double *t1 = w->t1; /* X' diag(r c) X from pass_x */
    for (size_t a = 0; a < q; a++)
        for (size_t b2 = 0; b2 <= a; b2++) {
            double v = t1[b2 + a * q] - info[b2 + a * q];
            info[b2 + a * q] = v;
            info[a + b2 * q] = v;
        }
    return CARTA_OK;
}
