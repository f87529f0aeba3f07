/* Exact (discrete conditional) partial likelihood for tied event times (R's ties = "exact",
 * coxexact; Kalbfleisch & Prentice 2002, section 4.2.3; Gail, Lubin & Rubinstein 1981).
 *
 * At an event time with d tied events in a risk set R, the contribution is
 *   sum_{events} eta - log f(d),   f(d) = sum over all d-subsets S of R of prod_{i in S} r_i,
 * r_i = exp(eta_i). f follows the recursion over the members k of R (a knapsack in d):
 *   f_k(j) = f_{k-1}(j) + r_k f_{k-1}(j-1),  f(0) = 1,
 * and its first and second derivatives in beta by differentiating it:
 *   g_k(j) = g_{k-1}(j) + r_k [g_{k-1}(j-1) + x_k f_{k-1}(j-1)]
 *   h_k(j) = h_{k-1}(j) + r_k [h_{k-1}(j-1) + x_k g_{k-1}(j-1)' + g_{k-1}(j-1) x_k' + x_k x_k' f_{k-1}(j-1)].
 * Then U += sum_events x - g(d)/f(d) and I += h(d)/f(d) - g(d) g(d)'/f(d)^2.
 * Cost O(|R| d p^2) per event time: meant for small data, as in R. Right-censored data with
 * strata; no case weights, no (start, stop] data (refused by the fit). eta is shifted per stratum
 * as in cox_sums.c; the contribution is invariant to it. */
#include "cox_internal.h"

#include <math.h>
#include <string.h>

int cox_exact_eval(cox_work *w, const double *beta, double *loglik, double *u, double *info,
                   carta_error *err)
{
    size_t n = w->n, q = w->q;
    size_t qq = q * q;
    /* scratch sized once per fit in cox_work_new (largest tie + 1 entries of f, g, h) */
    double *f = w->ex_f, *g = w->ex_g, *h = w->ex_h, *xr = w->ex_x;
    (void)err;
    double mb = 0;
    for (size_t c = 0; c < q; c++) mb += beta[c] * w->mean[w->cols[c]];
    for (size_t i = 0; i < n; i++) {
        double e = (w->offset ? w->offset[i] : 0) - mb;
        for (size_t c = 0; c < q; c++) e += beta[c] * w->x[i + w->cols[c] * n];
        w->eta[i] = e;
    }
    double ll = 0;
    if (u) memset(u, 0, q * sizeof *u);
    if (info) memset(info, 0, qq * sizeof *info);
    for (size_t b = 0; b < w->nblk; b++) {
        double mx = -INFINITY;
        for (size_t i = w->bbeg[b]; i < w->bbeg[b + 1]; i++)
            if (w->eta[w->ord[i]] > mx) mx = w->eta[w->ord[i]];
        w->shift[b] = mx;
        for (size_t i = w->bbeg[b]; i < w->bbeg[b + 1]; i++) {
            size_t j = w->ord[i];
            w->r[j] = exp(w->eta[j] - mx);
        }
        for (size_t k = w->bgrp[b]; k < w->bgrp[b + 1]; k++) {
            size_t d = w->g_m[k];
            memset(f, 0, (d + 1) * sizeof *f);
            memset(g, 0, (d + 1) * q * sizeof *g);
            memset(h, 0, (d + 1) * qq * sizeof *h);
            f[0] = 1;
            /* the risk set: rows of the block with stop >= t_k, i.e. ord positions up to g_end */
            for (size_t ii = w->bbeg[b], cnt = 0; ii < w->g_end[k]; ii++, cnt++) {
                size_t j = w->ord[ii];
                double rk = w->r[j];
                cox_gather(w, &j, 1, xr);
                size_t top = cnt + 1 < d ? cnt + 1 : d;
                for (size_t jj = top; jj >= 1; jj--) {
                    double fp = f[jj - 1];
                    const double *gp = g + (jj - 1) * q;
                    double *gj = g + jj * q;
                    if (info) {
                        const double *hp = h + (jj - 1) * qq;
                        double *hj = h + jj * qq;
                        for (size_t a = 0; a < q; a++)
                            for (size_t c = 0; c < q; c++)
                                hj[a + c * q] += rk * (hp[a + c * q] + xr[a] * gp[c] + gp[a] * xr[c] + xr[a] * xr[c] * fp);
                    }
                    for (size_t a = 0; a < q; a++) gj[a] += rk * (gp[a] + xr[a] * fp);
                    f[jj] += rk * fp;
                }
            }
            double fd = f[d];
            const double *gd = g + d * q, *hd = h + d * qq;
            ll -= log(fd);
            for (size_t e = w->g_beg[k]; e < w->g_end[k]; e++) {
                size_t j = w->ord[e];
                if (w->status[j] != 1) continue;
                ll += w->eta[j] - mx;
                if (u) {
                    cox_gather(w, &j, 1, xr);
                    for (size_t a = 0; a < q; a++) u[a] += xr[a];
                }
            }
            if (u) for (size_t a = 0; a < q; a++) u[a] -= gd[a] / fd;
            if (info)
                for (size_t a = 0; a < q; a++)
                    for (size_t c = 0; c < q; c++)
                        info[a + c * q] += hd[a + c * q] / fd - gd[a] * gd[c] / (fd * fd);
        }
    }
    *loglik = ll;
    return CARTA_OK;
}
