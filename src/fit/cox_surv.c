/* Baseline cumulative hazard and predicted survival curves after a Cox fit (R's survfit.coxph,
 * basehaz(fit, centered = FALSE)).
 *
 * Per stratum, at each event time t_k (Therneau & Grambsch 2000, section 10.2; Efron-type hazard
 * when ties = "efron", as survfit.coxph's ctype defaults from the fit's ties):
 *   dH_k = sum_l meanwt / den_l                        (Breslow: D / S0)
 *   dV_k = sum_l meanwt / den_l^2                      (Breslow: D / S0^2)
 *   dXb_k = sum_l meanwt (S1 - f_l E1) / den_l^2       (Breslow: D S1 / S0^2)
 * For a covariate row z with risk rz = exp(z'beta) on the same scale as the risk sums:
 *   Lambda(t | z) = rz H(t),  S = exp(-Lambda),
 *   var Lambda = rz^2 [ V(t) + d(t)' Var(beta) d(t) ],  d(t) = H(t) z - Xb(t)   (Tsiatis 1981),
 * std_err of S is S sqrt(var Lambda) and the "log" limits are S exp(-+ z_a sqrt(var Lambda)), the
 * upper one capped at 1 (R's survfit_confint). The baseline hazard is Lambda(t | 0) with offset 0.
 * Curves list every distinct stop time of the stratum (events and censorings), ascending. */
#include "cox_internal.h"

#include <carta/alloc.h>

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* label of block b: the stratum's label, "" without strata */
static int block_label(const cox_work *w, const carta_surv_data *d, size_t b, char *buf, size_t cap)
{
    if (!w->strata) { buf[0] = '\0'; return 0; }
    int s = w->bsid[b];
    if (d->strata_labels && (size_t)s < d->n_strata && d->strata_labels[s]) snprintf(buf, cap, "%s", d->strata_labels[s]);
    else snprintf(buf, cap, "stratum=%d", s);
    return 0;
}

int cox_curves(cox_work *w, const carta_cox_spec *spec, const carta_surv_data *d,
               const double *beta, const double *vq, carta_cox_result *r, carta_error *err)
{
    size_t q = w->q, nb = w->nblk, nnew = spec->newdata ? spec->newdata->n : 0;
    double *ut = NULL, *H = NULL, *V = NULL, *XB = NULL, *dt = NULL, *a = NULL, *z = NULL;
    size_t *bt = NULL;
    int rc = CARTA_OK;
    char lab[256];

    double mb = 0;
    for (size_t c = 0; c < q; c++) mb += beta[c] * w->mean[w->cols[c]];
    double zq = gsl_cdf_ugaussian_Pinv((1 + spec->conf_level) / 2);

    /* distinct stop times per block: bt[b]..bt[b+1] in ut */
    size_t n = w->n, nut = 0;
    bt = carta_malloc((nb + 1) * sizeof *bt);
    ut = carta_malloc(n * sizeof *ut);
    if (!bt || !ut) goto oom;
    for (size_t b = 0; b < nb; b++) {
        bt[b] = nut;
        for (size_t i = w->bbeg[b + 1]; i-- > w->bbeg[b];) {
            double t = w->time[w->ord[i]];
            if (nut == bt[b] || ut[nut - 1] != t) ut[nut++] = t;
        }
    }
    bt[nb] = nut;
    H = carta_calloc(nut, sizeof *H);
    V = carta_calloc(nut, sizeof *V);
    if (!H || !V) goto oom;
    if (nnew) {
        size_t sz;
        if (carta_size_mul(nut, q, &sz) || !(XB = carta_calloc(sz, sizeof *XB))) goto oom;
        dt = carta_malloc(q * sizeof *dt);
        a = carta_malloc(q * sizeof *a);
        z = carta_malloc(q * sizeof *z);
        if (!dt || !a || !z) goto oom;
    }

    /* increments at the event times, then cumulated ascending */
    for (size_t b = 0; b < nb; b++) {
        size_t i = w->bbeg[b], i2 = w->bbeg2[b], nrisk = 0;
        memset(w->s1, 0, q * sizeof *w->s1);
        for (size_t k = w->bgrp[b]; k < w->bgrp[b + 1]; k++) {
            double tk = w->time[w->ord[w->g_beg[k]]];
            /* index of t_k among the block's ascending distinct times */
            size_t lo = bt[b], hi = bt[b + 1];
            while (lo < hi) { size_t mid = lo + (hi - lo) / 2; if (ut[mid] < tk) lo = mid + 1; else hi = mid; }
            size_t m = w->efron ? w->g_m[k] : 1;
            double s0 = w->g_s0[k], e0 = w->g_e0[k], mw = w->g_d[k] / (double)m, dh = 0, dv = 0;
            for (size_t l = 0; l < m; l++) {
                double den = s0 - (double)l / (double)m * e0;
                dh += mw / den;
                dv += mw / (den * den);
            }
            H[lo] = dh;
            V[lo] = dv;
            if (!nnew) continue;
            /* S1, E1 at t_k (same add/remove walk as the fit) */
            memset(w->e1, 0, q * sizeof *w->e1);
            for (; i < w->g_end[k]; i++) {
                size_t j = w->ord[i];
                cox_gather(w, &j, 1, w->buf);
                for (size_t c = 0; c < q; c++) w->s1[c] += w->r[j] * w->buf[c];
                if (w->status[j] == 1 && i >= w->g_beg[k])
                    for (size_t c = 0; c < q; c++) w->e1[c] += w->r[j] * w->buf[c];
                nrisk++;
            }
            if (w->counting)
                for (; i2 < w->g_rm[k]; i2++) {
                    size_t j = w->ord2[i2];
                    cox_gather(w, &j, 1, w->buf);
                    for (size_t c = 0; c < q; c++) w->s1[c] -= w->r[j] * w->buf[c];
                    nrisk--;
                }
            if (nrisk == 0) memset(w->s1, 0, q * sizeof *w->s1);
            memset(a, 0, q * sizeof *a);
            for (size_t l = 0; l < m; l++) {
                double f = (double)l / (double)m, den = s0 - f * e0;
                for (size_t c = 0; c < q; c++) a[c] += mw * (w->s1[c] - f * w->e1[c]) / (den * den);
            }
            memcpy(XB + lo * q, a, q * sizeof *a);
        }
        for (size_t t = bt[b] + 1; t < bt[b + 1]; t++) {
            H[t] += H[t - 1];
            V[t] += V[t - 1];
            if (nnew) for (size_t c = 0; c < q; c++) XB[t * q + c] += XB[(t - 1) * q + c];
        }
    }

    if (spec->basehaz) {
        if (!(r->basehaz = carta_calloc(nb, sizeof *r->basehaz))) goto oom;
        r->n_basehaz = nb;
        for (size_t b = 0; b < nb; b++) {
            carta_cox_basehaz *bh = &r->basehaz[b];
            size_t nt = bt[b + 1] - bt[b];
            block_label(w, d, b, lab, sizeof lab);
            bh->n_time = nt;
            bh->label = carta_strdup(lab);
            bh->time = carta_malloc((nt ? nt : 1) * sizeof *bh->time);
            bh->cumhaz = carta_malloc((nt ? nt : 1) * sizeof *bh->cumhaz);
            if (!bh->label || !bh->time || !bh->cumhaz) goto oom;
            /* back to covariates 0 and offset 0: risk of z = 0 on the block's scale */
            double r0 = exp(-mb - w->shift[b]);
            for (size_t t = 0; t < nt; t++) {
                bh->time[t] = ut[bt[b] + t];
                bh->cumhaz[t] = r0 * H[bt[b] + t];
            }
        }
    }

    if (nnew) {
        const carta_matrix *nd = spec->newdata;
        if (!(r->curves = carta_calloc(nnew * nb, sizeof *r->curves))) goto oom;
        r->n_curves = nnew * nb;
        for (size_t row = 0; row < nnew; row++) {
            double xb = 0;
            for (size_t c = 0; c < q; c++) {
                z[c] = nd->data[row + w->cols[c] * nd->n] - w->mean[w->cols[c]];
                xb += beta[c] * z[c];
            }
            for (size_t b = 0; b < nb; b++) {
                carta_cox_curve *cu = &r->curves[row * nb + b];
                size_t nt = bt[b + 1] - bt[b];
                block_label(w, d, b, lab, sizeof lab);
                char full[300];
                snprintf(full, sizeof full, "row=%zu%s%s", row + 1, lab[0] ? ", " : "", lab);
                cu->label = carta_strdup(full);
                cu->row = row;
                cu->stratum = (size_t)w->bsid[b];
                cu->n_time = nt;
                size_t cap = nt ? nt : 1;
                cu->time = carta_malloc(cap * sizeof *cu->time);
                cu->surv = carta_malloc(cap * sizeof *cu->surv);
                cu->std_err = carta_malloc(cap * sizeof *cu->std_err);
                cu->lower = carta_malloc(cap * sizeof *cu->lower);
                cu->upper = carta_malloc(cap * sizeof *cu->upper);
                cu->cumhaz = carta_malloc(cap * sizeof *cu->cumhaz);
                if (!cu->label || !cu->time || !cu->surv || !cu->std_err || !cu->lower || !cu->upper || !cu->cumhaz) goto oom;
                double rz = exp(xb - w->shift[b]);
                for (size_t t = 0; t < nt; t++) {
                    size_t u = bt[b] + t;
                    double quad = 0;
                    for (size_t c = 0; c < q; c++) dt[c] = H[u] * z[c] - XB[u * q + c];
                    for (size_t c1 = 0; c1 < q; c1++)
                        for (size_t c2 = 0; c2 < q; c2++) quad += dt[c1] * vq[c1 + c2 * q] * dt[c2];
                    double lam = rz * H[u], se = rz * sqrt(V[u] + quad), s = exp(-lam);
                    cu->time[t] = ut[u];
                    cu->cumhaz[t] = lam;
                    cu->surv[t] = s;
                    cu->std_err[t] = s * se;
                    cu->lower[t] = exp(-lam - zq * se);
                    double up = exp(-lam + zq * se);
                    cu->upper[t] = up > 1 ? 1 : up;
                }
            }
        }
    }
    goto done;
oom:
    rc = carta_error_set(err, CARTA_ENOMEM, NULL, "cox: no memory for the baseline hazard and curves");
done:
    carta_free(bt); carta_free(ut); carta_free(H); carta_free(V); carta_free(XB);
    carta_free(dt); carta_free(a); carta_free(z);
    return rc;
}
