/* Cox score and Schoenfeld residuals (Therneau & Grambsch 2000, ch. 4), Efron forms.
 *
 * Score residual of row i (Therneau, Grambsch & Fleming 1990; R's coxscore2 / agscore2):
 *   L_i = delta_i (x_i - abar_k(i)) - rho_i sum_{k: i at risk} sum_l hz_l (x_i - a_l) [(1 - f_l) if
 *         i is one of the tied events at t_k],
 * with rho_i = exp(eta_i), a_l = (S1 - f_l E1)/den_l, hz_l = meanwt/den_l, abar_k = mean_l a_l
 * (Breslow: m = 1, f = 0). Written as L_i = delta_i (x_i - abar) - rho_i x_i c_i + rho_i (B(stop_i)
 * - B(start_i) - delta_i b'_k) with b_k = sum_l hz_l a_l, b'_k = sum_l hz_l f_l a_l and B the
 * cumulative sum of b over event times; c_i is the dsyrk weight of cox_sums.c. B(t) = Btot -
 * R(t), where R(t) sums b over event times after t, is accumulated in the one descending pass.
 * The Schoenfeld residual of an event row is x_i - abar_k(i) (R's coxscho). */
#include "cox_internal.h"

#include <string.h>

/* sres[j, .] += coef * v for row j (n x q column-major) */
static void add_row(double *sres, size_t n, size_t q, size_t j, double coef, const double *v)
{
    for (size_t c = 0; c < q; c++) sres[j + c * n] += coef * v[c];
}

/* Adds (sign > 0) or removes rows ord[a..b) from s1/e1 and charges each row rho_j * sign * R. */
static void pass_rows(cox_work *w, const size_t *ord, size_t a, size_t b, double sign,
                      size_t gbeg, const double *rb, double *sres)
{
    size_t q = w->q, n = w->n;
    for (size_t s = a; s < b; s += COX_BLOCK) {
        size_t m = b - s < COX_BLOCK ? b - s : COX_BLOCK;
        cox_gather(w, ord + s, m, w->buf);
        for (size_t i = 0; i < m; i++) {
            size_t j = ord[s + i];
            const double *xr = w->buf + i * q;
            double rj = sign * w->r[j];
            for (size_t c = 0; c < q; c++) w->s1[c] += rj * xr[c];
            if (sign > 0 && w->status[j] == 1 && s + i >= gbeg)
                for (size_t c = 0; c < q; c++) w->e1[c] += w->r[j] * xr[c];
            if (sres) {
                double rho = w->r[j] / (w->wt ? w->wt[j] : 1.0);
                add_row(sres, n, q, j, -sign * rho, rb);
            }
        }
    }
}

int cox_score_resid(cox_work *w, double *sres, double *sch)
{
    size_t n = w->n, q = w->q;
    /* scratch for b_k, b'_k, abar, R (q each) lives after abuf's first row block */
    double *bk = w->abuf, *bk2 = bk + q, *abar = bk2 + q, *rb = abar + q, *a = rb + q;
    if (sres) memset(sres, 0, n * q * sizeof *sres);

    for (size_t blk = 0; blk < w->nblk; blk++) {
        size_t i = w->bbeg[blk], i2 = w->bbeg2[blk];
        memset(w->s1, 0, q * sizeof *w->s1);
        memset(rb, 0, q * sizeof *rb);
        size_t nrisk = 0;
        for (size_t k = w->bgrp[blk]; k < w->bgrp[blk + 1]; k++) {
            memset(w->e1, 0, q * sizeof *w->e1);
            pass_rows(w, w->ord, i, w->g_end[k], 1.0, w->g_beg[k], rb, sres);
            nrisk += w->g_end[k] - i;
            i = w->g_end[k];
            if (w->counting) {
                pass_rows(w, w->ord2, i2, w->g_rm[k], -1.0, (size_t)-1, rb, sres);
                nrisk -= w->g_rm[k] - i2;
                i2 = w->g_rm[k];
            }
            if (nrisk == 0) memset(w->s1, 0, q * sizeof *w->s1);
            size_t m = w->efron ? w->g_m[k] : 1;
            double s0 = w->g_s0[k], e0 = w->g_e0[k], mw = w->g_d[k] / (double)m;
            memset(bk, 0, 3 * q * sizeof *bk);
            for (size_t l = 0; l < m; l++) {
                double f = (double)l / (double)m, den = s0 - f * e0, hz = mw / den;
                for (size_t c = 0; c < q; c++) {
                    a[c] = (w->s1[c] - f * w->e1[c]) / den;
                    bk[c] += hz * a[c];
                    bk2[c] += hz * f * a[c];
                    abar[c] += a[c] / (double)m;
                }
            }
            /* the tied events of this group: x_j - abar, and their (1 - f_l) down-weighting */
            for (size_t e = w->g_beg[k]; e < w->g_end[k]; e++) {
                size_t j = w->ord[e];
                if (w->status[j] != 1) continue;
                cox_gather(w, &j, 1, w->buf);
                double rho = w->r[j] / (w->wt ? w->wt[j] : 1.0);
                for (size_t c = 0; c < q; c++) {
                    double sr = w->buf[c] - abar[c];
                    if (sres) sres[j + c * n] += sr - rho * bk2[c];
                    if (sch) sch[j + c * n] = sr;
                }
            }
            for (size_t c = 0; c < q; c++) rb[c] += bk[c];
        }
        if (!sres) continue;
        /* rows below every event time were never added: R(stop) = Btot */
        for (size_t ii = i; ii < w->bbeg[blk + 1]; ii++) {
            size_t j = w->ord[ii];
            add_row(sres, n, q, j, -w->r[j] / (w->wt ? w->wt[j] : 1.0), rb);
        }
        if (!w->counting) {
            /* B(start) = 0: every row gets + rho Btot */
            for (size_t ii = w->bbeg[blk]; ii < w->bbeg[blk + 1]; ii++) {
                size_t j = w->ord[ii];
                add_row(sres, n, q, j, w->r[j] / (w->wt ? w->wt[j] : 1.0), rb);
            }
        } else {
            /* rows never removed entered before every event time: R(start) = Btot */
            for (size_t ii = i2; ii < w->bbeg2[blk + 1]; ii++) {
                size_t j = w->ord2[ii];
                add_row(sres, n, q, j, w->r[j] / (w->wt ? w->wt[j] : 1.0), rb);
            }
        }
    }
    if (sres) {
        /* - rho_i x_i c_i, in input order */
        for (size_t c = 0; c < q; c++) {
            const double *col = w->x + w->cols[c] * n;
            double mu = w->mean[w->cols[c]];
            double *dst = sres + c * n;
            for (size_t j = 0; j < n; j++) {
                double rho = w->r[j] / (w->wt ? w->wt[j] : 1.0);
                dst[j] -= rho * w->c[j] * (col[j] - mu);
            }
        }
    }
    return CARTA_OK;
}
