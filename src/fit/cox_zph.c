/* The proportional-hazards test of cox.zph (survival >= 3; Grambsch & Therneau 1994).
 *
 * Each covariate x_j gets a companion x_j g(t), g = transform(t) - mean over events of it
 * (transform "km": 1 - KM(t-) of all rows, unweighted and unstratified as R computes it;
 * "identity": t; "rank": rank(t) with averaged ties; "log": log t). The score test of the
 * companions at (beta_hat, 0) is u' M^-1 u with u = (0, U2) and M the information of the augmented
 * model: U2 = sum_k g_k (sum_events w x - sum_l meanwt a_l), M = [[I, I_g], [I_g, I_gg]] where
 * I_g and I_gg weight each event time's information contribution by g_k and g_k^2. Per term the
 * test uses the rows (1..q, q + j); the global test all 2q rows (R's zph1/zph2, terms = FALSE);
 * a term of several columns (spec.term_of; R's default terms = TRUE) the rows 1..q and q + j for
 * each kept column j of the term, with df = their number.
 * The weighted informations reuse the dsyrk identity of cox_sums.c with group weights:
 *   I_gamma = X' diag(r c^gamma) X - A' diag(gamma) A,
 *   c^gamma_j = sum_{k at risk} gamma_k g_k - [event] gamma_k(j) q_k(j). */
#include "cox_internal.h"

#include <carta/alloc.h>

#include <cblas.h>
#include <gsl/gsl_cdf.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct tk { double t; size_t i; } tk;

static int cmp_tk(const void *a, const void *b)
{
    const tk *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return x->i < y->i ? -1 : (x->i > y->i);
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* number of values in sorted v[0..n) that are >= t */
static size_t count_ge(const double *v, size_t n, double t)
{
    size_t lo = 0, hi = n;
    while (lo < hi) { size_t mid = lo + (hi - lo) / 2; if (v[mid] < t) lo = mid + 1; else hi = mid; }
    return n - lo;
}

/* transformed times; returns CARTA_OK or CARTA_ENOMEM */
static int transform_times(const cox_work *w, int kind, double *tt)
{
    size_t n = w->n;
    if (kind == CARTA_COX_ZPH_IDENTITY) { memcpy(tt, w->time, n * sizeof *tt); return CARTA_OK; }
    if (kind == CARTA_COX_ZPH_LOG) { for (size_t i = 0; i < n; i++) tt[i] = log(w->time[i]); return CARTA_OK; }
    if (kind == CARTA_COX_ZPH_RANK) {
        tk *k = carta_malloc(n * sizeof *k);
        if (!k) return CARTA_ENOMEM;
        for (size_t i = 0; i < n; i++) { k[i].t = w->time[i]; k[i].i = i; }
        qsort(k, n, sizeof *k, cmp_tk);
        for (size_t a = 0; a < n;) {
            size_t b = a;
            while (b < n && k[b].t == k[a].t) b++;
            double avg = ((double)(a + 1) + (double)b) / 2; /* ranks a+1..b */
            for (size_t c = a; c < b; c++) tt[k[c].i] = avg;
            a = b;
        }
        carta_free(k);
        return CARTA_OK;
    }
    /* km: 1 - S(t-) of the unweighted, unstratified (counting-process) Kaplan-Meier */
    double *stop = carta_malloc(n * sizeof *stop), *st = carta_malloc(n * sizeof *st);
    double *ev = carta_malloc(n * sizeof *ev), *surv = carta_malloc(n * sizeof *surv);
    int rc = CARTA_OK;
    if (!stop || !st || !ev || !surv) { rc = CARTA_ENOMEM; goto done; }
    size_t ne = 0;
    for (size_t i = 0; i < n; i++) {
        stop[i] = w->time[i];
        st[i] = w->start ? w->start[i] : -(double)INFINITY;
        if (w->status[i] == 1) ev[ne++] = w->time[i];
    }
    qsort(stop, n, sizeof *stop, cmp_dbl);
    qsort(st, n, sizeof *st, cmp_dbl);
    qsort(ev, ne, sizeof *ev, cmp_dbl);
    size_t nu = 0;
    double s = 1;
    for (size_t a = 0; a < ne;) {
        size_t b = a;
        while (b < ne && ev[b] == ev[a]) b++;
        double nrisk = (double)count_ge(stop, n, ev[a]) - (double)count_ge(st, n, ev[a]);
        s *= 1 - (double)(b - a) / nrisk;
        ev[nu] = ev[a];
        surv[nu++] = s;
        a = b;
    }
    for (size_t i = 0; i < n; i++) {
        /* largest event time strictly below t_i */
        size_t lo = 0, hi = nu;
        while (lo < hi) { size_t mid = lo + (hi - lo) / 2; if (ev[mid] < w->time[i]) lo = mid + 1; else hi = mid; }
        tt[i] = 1 - (lo == 0 ? 1.0 : surv[lo - 1]);
    }
done:
    carta_free(stop); carta_free(st); carta_free(ev); carta_free(surv);
    return rc;
}

/* c[j] = sum over the event times at which row j is at risk of gamma_k^power g_k, minus
   gamma^power q_k for an event row (the Efron down-weighting); h is ngrp scratch. */
static void cum_weights(const cox_work *w, const double *gam, int power, double *h, double *c)
{
    for (size_t b = 0; b < w->nblk; b++) {
        size_t k0 = w->bgrp[b], kend = w->bgrp[b + 1];
        double acc = 0;
        for (size_t k = kend; k-- > k0;) {
            double g = w->g_h[k] - (k + 1 < kend ? w->g_h[k + 1] : 0);
            acc += (power == 2 ? gam[k] * gam[k] : gam[k]) * g;
            h[k] = acc;
        }
        size_t k = k0;
        for (size_t ii = w->bbeg[b]; ii < w->bbeg[b + 1]; ii++) {
            size_t j = w->ord[ii];
            while (k < kend && w->time[w->ord[w->g_beg[k]]] > w->time[j]) k++;
            c[j] = k < kend ? h[k] : 0;
            if (w->status[j] == 1) c[j] -= (power == 2 ? gam[k] * gam[k] : gam[k]) * w->g_q[k];
        }
        if (!w->counting) continue;
        k = k0;
        for (size_t ii = w->bbeg2[b]; ii < w->bbeg2[b + 1]; ii++) {
            size_t j = w->ord2[ii];
            while (k < kend && w->time[w->ord[w->g_beg[k]]] > w->start[j]) k++;
            if (k < kend) c[j] -= h[k];
        }
    }
}

/* u' M^-1 u for a symmetric positive definite M (m x m); NaN when not positive definite */
static double quad(size_t m, double *mat, double *u, double *sol)
{
    memcpy(sol, u, m * sizeof *sol);
    if (LAPACKE_dposv(LAPACK_COL_MAJOR, 'U', (lapack_int)m, 1, mat, (lapack_int)m, sol, (lapack_int)m) != 0)
        return NAN;
    double v = 0;
    for (size_t k = 0; k < m; k++) v += u[k] * sol[k];
    return v;
}

int cox_zph(cox_work *w, const carta_cox_spec *spec, const double *info, carta_cox_result *r,
            carta_error *err)
{
    size_t n = w->n, q = w->q, p = w->p, ng = w->ngrp, m2 = 2 * q;
    double *tt = NULL, *gam = NULL, *cg = NULL, *cg2 = NULL, *a1 = NULL, *a2 = NULL, *xb = NULL;
    double *ig = NULL, *igg = NULL, *u2 = NULL, *big = NULL, *sub = NULL, *uu = NULL, *sol = NULL, *ew = NULL;
    int rc = CARTA_OK;

    r->zph_transform = spec->zph;
    tt = carta_malloc(n * sizeof *tt);
    gam = carta_malloc(ng * sizeof *gam);
    cg = carta_malloc(n * sizeof *cg);
    cg2 = carta_malloc(n * sizeof *cg2);
    a1 = carta_malloc(COX_BLOCK * q * sizeof *a1);
    a2 = carta_malloc(COX_BLOCK * q * sizeof *a2);
    xb = carta_malloc(COX_BLOCK * q * sizeof *xb);
    ig = carta_calloc(q * q, sizeof *ig);
    igg = carta_calloc(q * q, sizeof *igg);
    u2 = carta_calloc(q, sizeof *u2);
    ew = carta_calloc(q, sizeof *ew);
    big = carta_malloc(m2 * m2 * sizeof *big);
    sub = carta_malloc((q + 1) * (q + 1) * sizeof *sub);
    uu = carta_calloc(m2, sizeof *uu);
    sol = carta_malloc(m2 * sizeof *sol);
    r->zph_terms = carta_malloc(p * sizeof *r->zph_terms);
    if (!tt || !gam || !cg || !cg2 || !a1 || !a2 || !xb || !ig || !igg || !u2 || !ew || !big ||
        !sub || !uu || !sol || !r->zph_terms || transform_times(w, spec->zph, tt) != CARTA_OK) {
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "cox.zph: no memory");
        goto done;
    }
    /* g = transform - its mean over event rows */
    double mean = 0;
    size_t nev = 0;
    for (size_t i = 0; i < n; i++) if (w->status[i] == 1) { mean += tt[i]; nev++; }
    mean /= (double)nev;
    for (size_t k = 0; k < ng; k++) gam[k] = tt[w->ord[w->g_beg[k]]] - mean;

    /* Sorted pass: U2 and A' diag(gamma) A, A' diag(gamma^2) A */
    size_t na = 0;
    for (size_t b = 0; b < w->nblk; b++) {
        size_t i = w->bbeg[b], i2 = w->bbeg2[b], nrisk = 0;
        memset(w->s1, 0, q * sizeof *w->s1);
        for (size_t k = w->bgrp[b]; k < w->bgrp[b + 1]; k++) {
            memset(w->e1, 0, q * sizeof *w->e1);
            memset(ew, 0, q * sizeof *ew);
            /* add rows [i, g_end): S1; events of this group: E1 and sum w x */
            for (size_t s = i; s < w->g_end[k]; s += COX_BLOCK) {
                size_t m = w->g_end[k] - s < COX_BLOCK ? w->g_end[k] - s : COX_BLOCK;
                cox_gather(w, w->ord + s, m, w->buf);
                for (size_t ii = 0; ii < m; ii++) {
                    size_t j = w->ord[s + ii];
                    const double *xr = w->buf + ii * q;
                    for (size_t c = 0; c < q; c++) w->s1[c] += w->r[j] * xr[c];
                    if (w->status[j] == 1 && s + ii >= w->g_beg[k]) {
                        double wj = w->wt ? w->wt[j] : 1.0;
                        for (size_t c = 0; c < q; c++) { w->e1[c] += w->r[j] * xr[c]; ew[c] += wj * xr[c]; }
                    }
                }
            }
            nrisk += w->g_end[k] - i;
            i = w->g_end[k];
            if (w->counting) {
                for (size_t s = i2; s < w->g_rm[k]; s += COX_BLOCK) {
                    size_t m = w->g_rm[k] - s < COX_BLOCK ? w->g_rm[k] - s : COX_BLOCK;
                    cox_gather(w, w->ord2 + s, m, w->buf);
                    for (size_t ii = 0; ii < m; ii++) {
                        size_t j = w->ord2[s + ii];
                        for (size_t c = 0; c < q; c++) w->s1[c] -= w->r[j] * w->buf[ii * q + c];
                    }
                }
                nrisk -= w->g_rm[k] - i2;
                i2 = w->g_rm[k];
            }
            if (nrisk == 0) memset(w->s1, 0, q * sizeof *w->s1);
            size_t mm = w->efron ? w->g_m[k] : 1;
            double s0 = w->g_s0[k], e0 = w->g_e0[k], mw = w->g_d[k] / (double)mm, sq = sqrt(mw);
            for (size_t c = 0; c < q; c++) u2[c] += gam[k] * ew[c];
            for (size_t l = 0; l < mm; l++) {
                double f = (double)l / (double)mm, den = s0 - f * e0;
                for (size_t c = 0; c < q; c++) {
                    double a = (w->s1[c] - f * w->e1[c]) / den;
                    u2[c] -= gam[k] * mw * a;
                    a1[na * q + c] = sq * a;
                    a2[na * q + c] = gam[k] * sq * a;
                }
                if (++na == COX_BLOCK || (l + 1 == mm && k + 1 == w->bgrp[w->nblk])) {
                    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, (int)q, (int)q, (int)na, -1.0, a1, (int)q, a2, (int)q, 1.0, ig, (int)q);
                    cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, (int)q, (int)na, -1.0, a2, (int)q, 1.0, igg, (int)q);
                    na = 0;
                }
            }
        }
    }
    if (na) {
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, (int)q, (int)q, (int)na, -1.0, a1, (int)q, a2, (int)q, 1.0, ig, (int)q);
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, (int)q, (int)na, -1.0, a2, (int)q, 1.0, igg, (int)q);
    }

    /* c^gamma and c^gamma^2 per row */
    cum_weights(w, gam, 1, tt, cg);
    cum_weights(w, gam, 2, tt, cg2);

    /* X' diag(r c^gamma) X and X' diag(r c^gamma^2) X in input order */
    for (size_t s = 0; s < n; s += COX_BLOCK) {
        size_t m = n - s < COX_BLOCK ? n - s : COX_BLOCK;
        for (size_t c = 0; c < q; c++) {
            const double *col = w->x + w->cols[c] * n + s;
            double mu = w->mean[w->cols[c]];
            for (size_t i = 0; i < m; i++) {
                double xv = col[i] - mu;
                xb[i + c * m] = xv;
                a1[i + c * m] = w->r[s + i] * cg[s + i] * xv;
                a2[i + c * m] = w->r[s + i] * cg2[s + i] * xv;
            }
        }
        cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)q, (int)q, (int)m, 1.0, xb, (int)m, a1, (int)m, 1.0, ig, (int)q);
        cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)q, (int)q, (int)m, 1.0, xb, (int)m, a2, (int)m, 1.0, igg, (int)q);
    }
    /* igg's A-part went into the upper triangle only: symmetrise it; ig is full (symmetric) */
    for (size_t a = 0; a < q; a++)
        for (size_t b = 0; b < a; b++) {
            /* the X-part of igg is full; the A-part only upper: rebuild lower from upper */
            igg[a + b * q] = igg[b + a * q];
        }

    /* per-term and global tests */
    for (size_t k = 0; k < p; k++) r->zph_terms[k].stat = r->zph_terms[k].df = r->zph_terms[k].p = NAN;
    for (size_t j = 0; j < q; j++) {
        size_t m = q + 1;
        for (size_t a = 0; a < q; a++) {
            for (size_t b = 0; b < q; b++) sub[a + b * m] = info[a + b * q];
            sub[a + q * m] = sub[q + a * m] = ig[a + j * q];
        }
        sub[q + q * m] = igg[j + j * q];
        memset(uu, 0, m * sizeof *uu);
        uu[q] = u2[j];
        double t = quad(m, sub, uu, sol);
        carta_cox_test *z = &r->zph_terms[w->cols[j]];
        z->stat = t; z->df = 1; z->p = isfinite(t) ? gsl_cdf_chisq_Q(t, 1) : (double)NAN;
    }
    for (size_t a = 0; a < q; a++)
        for (size_t b = 0; b < q; b++) {
            big[a + b * m2] = info[a + b * q];
            big[(q + a) + b * m2] = ig[a + b * q];
            big[a + (q + b) * m2] = ig[b + a * q];
            big[(q + a) + (q + b) * m2] = igg[a + b * q];
        }
    memset(uu, 0, m2 * sizeof *uu);
    for (size_t a = 0; a < q; a++) uu[q + a] = u2[a];
    double t = quad(m2, big, uu, sol);
    r->zph_global.stat = t;
    r->zph_global.df = (double)q;
    r->zph_global.p = isfinite(t) ? gsl_cdf_chisq_Q(t, (double)q) : (double)NAN;

    /* per term (R's terms = TRUE): rows 1..q and the companions of the term's kept columns */
    if (spec->term_of && spec->n_terms > 0) {
        size_t nt = spec->n_terms, *jj = carta_malloc(q * sizeof *jj);
        if (!jj || !(r->zph_by_term = carta_malloc(nt * sizeof *r->zph_by_term))) {
            carta_free(jj);
            rc = carta_error_set(err, CARTA_ENOMEM, NULL, "cox.zph: no memory");
            goto done;
        }
        r->n_zph_by_term = nt;
        for (size_t tm = 0; tm < nt; tm++) {
            carta_cox_test *z = &r->zph_by_term[tm];
            size_t d = 0;
            for (size_t j = 0; j < q; j++) if (spec->term_of[w->cols[j]] == tm) jj[d++] = j;
            z->stat = z->df = z->p = NAN;
            if (d == 0) continue; /* every column of the term aliased */
            size_t m = q + d; /* big (2q x 2q) is free again: the global test is done */
            for (size_t a = 0; a < q; a++)
                for (size_t b = 0; b < q; b++) big[a + b * m] = info[a + b * q];
            for (size_t a = 0; a < q; a++)
                for (size_t e = 0; e < d; e++)
                    big[a + (q + e) * m] = big[(q + e) + a * m] = ig[a + jj[e] * q];
            for (size_t e = 0; e < d; e++)
                for (size_t f = 0; f < d; f++) big[(q + e) + (q + f) * m] = igg[jj[e] + jj[f] * q];
            memset(uu, 0, m * sizeof *uu);
            for (size_t e = 0; e < d; e++) uu[q + e] = u2[jj[e]];
            double st = quad(m, big, uu, sol);
            z->stat = st;
            z->df = (double)d;
            z->p = isfinite(st) ? gsl_cdf_chisq_Q(st, (double)d) : (double)NAN;
        }
        carta_free(jj);
    }
done:
    carta_free(tt); carta_free(gam); carta_free(cg); carta_free(cg2); carta_free(a1); carta_free(a2);
    carta_free(xb); carta_free(ig); carta_free(igg); carta_free(u2); carta_free(ew); carta_free(big);
    carta_free(sub); carta_free(uu); carta_free(sol);
    return rc;
}
