/* cif.c: Aalen-Johansen cumulative incidence for competing risks, and Gray's test.
 *
 * Aalen & Johansen (1978), for one group, at each distinct time t with weighted number at risk n
 * and weighted events d_k of cause k (h_k = d_k / n, h = sum_k h_k, S = overall survival):
 *   F_k(t) = F_k(t-) + S(t-) h_k,      S(t) = S(t-) (1 - h).
 * Ties are handled exactly (all events at t enter one step; no jittering).
 *
 * Standard error: the infinitesimal jackknife (IJ), which is what R survival >= 3 reports for a
 * multi-state survfit (survfitCI; robust = TRUE is its only variance). With U_i the derivative of
 * (S, F_1..F_K) with respect to the weight w_i of row i, times w_i,
 *   U_i[S](t)   = U_i[S](t-) (1 - h) - S(t-) w_i (dN_i(t) - Y_i(t) h) / n
 *   U_i[F_k](t) = U_i[F_k](t-) + U_i[S](t-) h_k + S(t-) w_i (dN_ik(t) - Y_i(t) h_k) / n
 * and var F_k(t) = sum_i U_i[F_k](t)^2. Evaluated without the n x T matrix: every row still at
 * risk has U_i = w_i g for one common vector g, and rows that have left evolve by the same linear
 * map (s -> (1-h) s, f_k -> f_k + h_k s), so carrying the second moments of the departed rows
 * (sum s^2, sum s f_k, sum f_k^2) and sum w_i^2 of the rows at risk gives the exact IJ variance in
 * O(K) per time. Limits as R's survfit_confint(logse = FALSE): the standard error of log F is
 * se / F. (start, stop] data (delayed entry, risk set start < t <= stop): the same estimator,
 * and the IJ variance from per-row entry and exit terms, clustered by id (ij_entry), as R's
 * multi-state survfit with id.
 *
 * Gray (1988) k-sample test for the cause of interest, with weight (1 - F0(t-))^rho, stratified,
 * as cmprsk::cuminc (unweighted counts). In each stratum, at each time with an event, for group j
 * with n_j at risk, overall Kaplan-Meier S_j(t-) and incidence F_j(t-) of the cause:
 *   R_j = n_j (1 - F_j(t-)) / S_j(t-),  hsum = sum_j n_j / S_j(t-),  F0 += d1 / hsum,
 *   score_j += w (d1_j - d1 R_j / sum_r R_r)                      (groups 1..G-1)
 * and the variance of the scores follows Gray's Section 2: with a_ij = w t_i ([i = j] - t_j / hsum),
 * t_i = n_i / S_i(t-), and c_ij = sum over past times of a_ij d1 / (hsum (1 - F0(t-))), each event
 * of the cause adds (a_ik - q_k c_ik)(a_jk - q_k c_jk) s_k with q_k = 1 - (1 - F0(t)) / S_k(t),
 * s_k = (1 - (d1 - 1)/(hsum S_k(t-) - 1)) S_k(t-) d1 / (hsum n_k), and each competing event in
 * group k adds (q'_k c_ik)(q'_k c_jk) s'_k with q'_k = (1 - F0(t)) / S_k(t),
 * s'_k = (1 - (d2_k - 1)/(n_k - 1)) S_k(t-)^2 d2_k / n_k^2; the cross terms with the final c are
 * added at the end of the stratum (sum_k c_ik c_jk v3_k + c_ik v2_jk + c_jk v2_ik, with v2, v3
 * the accumulated a - q c and q^2 s parts). Statistic s' V^-1 s on G - 1 df (groups with rows);
 * p = 1 - P(chi2 <= s' V^-1 s), computed as cuminc does. */
#include <carta/cif.h>
#include <carta/alloc.h>
#include <carta/survsort.h>

#include <gsl/gsl_cdf.h>
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void carta_cif_spec_default(carta_cif_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->conf_type = CARTA_KM_CONF_LOG;
    spec->conf_level = 0.95;
    spec->rho = 0.0;
    spec->gray = 1;
    spec->timefix = 1;
}

int carta_cif_spec_check(const carta_cif_spec *spec, carta_error *err)
{
    carta_where at = { 0 };
    int rc = carta_survsort_check_conf(spec->conf_type, spec->conf_level, err);
    if (rc) return rc;
    if (!isfinite(spec->rho)) {
        at.field = "rho";
        return carta_error_set(err, CARTA_ECONFIG, &at, "rho must be finite");
    }
    return CARTA_OK;
}

void carta_cif_result_free(carta_cif_result *r)
{
    if (!r) return;
    for (size_t c = 0; c < r->n_causes && r->causes; c++) {
        carta_cif_cause *ca = &r->causes[c];
        carta_free(ca->cause);
        for (size_t g = 0; g < ca->n_curves && ca->curves; g++) {
            carta_free(ca->curves[g].label);
            carta_free(ca->curves[g].time); /* one block per curve */
        }
        carta_free(ca->curves);
    }
    carta_free(r->causes);
    carta_free(r);
}

static size_t distinct_times(const carta_survsort *s, size_t cell, carta_survsort_cursor *c,
                             carta_survsort_tick *t)
{
    size_t m = 0;
    uint64_t k;
    while ((k = carta_survsort_peek(s, c)) != UINT64_MAX) { carta_survsort_at(s, c, k, t); m++; }
    (void)cell;
    return m;
}

/* Curves of every cause for one group (cell g of s). mom holds 3K + 1 + K + 1 doubles. */
static int group_curves(const carta_survsort *s, size_t g, size_t K, int conf_type, double z,
                        carta_cif_result *r, double *mom, carta_survsort_tick *t)
{
    carta_survsort_cursor c;
    if (carta_survsort_cursor_init(s, g, &c)) return CARTA_ENOMEM;
    size_t m = distinct_times(s, g, &c, t);
    carta_survsort_cursor_free(&c);
    for (size_t k = 0; k < K; k++) {
        carta_cif_curve *cv = &r->causes[k].curves[g];
        cv->n = s->cell_n[g];
        cv->n_rows = m;
        double *blk = carta_malloc((m ? m : 1) * 5 * sizeof *blk);
        if (!blk) return CARTA_ENOMEM;
        cv->time = blk; cv->cif = blk + m; cv->std_err = blk + 2 * m; cv->lower = blk + 3 * m;
        cv->upper = blk + 4 * m;
    }
    if (carta_survsort_cursor_init(s, g, &c)) return CARTA_ENOMEM;
    /* moments: ss, sq[K], qq[K] of departed rows; g_s, g_q[K] per unit weight at risk; F[K] */
    double *sq = mom + 1, *qq = sq + K, *gq = qq + K, *F = gq + K;
    double ss = 0.0, gs = 0.0, S = 1.0, W2 = 0.0;
    memset(mom, 0, (4 * K + 1) * sizeof *mom);
    /* sum of squared weights of the group */
    {
        size_t a = s->off[g * s->n_kinds], b = s->off[(g + 1) * s->n_kinds];
        if (s->w) for (size_t i = a; i < b; i++) W2 += s->w[i] * s->w[i];
        else W2 = (double)(b - a);
    }
    for (size_t j = 0; j < m; j++) {
        uint64_t key = carta_survsort_peek(s, &c);
        carta_survsort_at(s, &c, key, t);
        double n = t->n_risk, Sm = S, h = 0.0;
        for (size_t k = 0; k < K; k++) h += t->w[k + 1] / n;
        if (h > 0) {
            /* departed rows: the common linear map, old values on the right */
            for (size_t k = 0; k < K; k++) {
                double hk = t->w[k + 1] / n;
                qq[k] += 2 * hk * sq[k] + hk * hk * ss;
                sq[k] = (1 - h) * (sq[k] + hk * ss);
            }
            ss *= (1 - h) * (1 - h);
            /* rows at risk (no event): g' */
            double gs_old = gs;
            gs = gs_old * (1 - h) + Sm * h / n;
            for (size_t k = 0; k < K; k++) {
                double hk = t->w[k + 1] / n;
                gq[k] = gq[k] + gs_old * hk - Sm * hk / n;
                F[k] += Sm * hk;
            }
            S = Sm * (1 - h);
        }
        /* rows leaving at t: events of cause k carry g' + delta_k, censored rows g' */
        double leave2 = t->w2[0];
        ss += t->w2[0] * gs * gs;
        for (size_t k = 0; k < K; k++) {
            sq[k] += t->w2[0] * gs * gq[k];
            qq[k] += t->w2[0] * gq[k] * gq[k];
        }
        for (size_t e = 0; e < K; e++) {
            double e2 = t->w2[e + 1];
            if (e2 == 0) continue;
            leave2 += e2;
            double us = gs - Sm / n;
            ss += e2 * us * us;
            for (size_t k = 0; k < K; k++) {
                double uq = gq[k] + (k == e ? Sm / n : 0.0);
                sq[k] += e2 * us * uq;
                qq[k] += e2 * uq * uq;
            }
        }
        W2 -= leave2;
        for (size_t k = 0; k < K; k++) {
            carta_cif_curve *cv = &r->causes[k].curves[g];
            double v = qq[k] + W2 * gq[k] * gq[k];
            double se = sqrt(v > 0 ? v : 0.0);
            cv->time[j] = t->time;
            cv->cif[j] = F[k];
            cv->std_err[j] = se;
            /* survfit_confint(logse = FALSE): se of log F is se / F (0 when se is 0) */
            double sl = (se == 0) ? 0.0 : se / F[k];
            carta_survsort_confint(conf_type, z, F[k], sl, &cv->lower[j], &cv->upper[j]);
        }
    }
    carta_survsort_cursor_free(&c);
    return CARTA_OK;
}

/* The IJ standard errors (and limits) of group g's curves for (start, stop] data, replacing the
   right-censored ones of group_curves; clustered by d->id when given (R's multi-state survfit
   with id), else each row its own subject. Per unit weight, a row at risk from the start has the
   influence G = (G0 on S, G_k on F_k) of group_curves; the departed evolve by the map
   s -> (1 - h) s, f_k -> f_k + h_k s, i.e. over (e, t] by s P(t)/P(e), f_k + s (Q_k(t) - Q_k(e))/P(e)
   with P(t) = prod (1 - h) and Q_k(t) = sum P(t-) h_k. So a row entering at e has, while at risk,
   u_k(t) = G_k(t) - b_k - a Q_k(t) with a = G0(e)/P(e), b_k = G_k(e) - a Q_k(e), and after leaving
   at L with influence (us, uk), u_k(t) = c_k + q Q_k(t) with q = us/P(L), c_k = uk - q Q_k(L). A
   subject has at most one row at risk, so its influence on F_k is x G_k(t) + Y_k + Z Q_k(t) with
   x its weight at risk (or 0) and Y_k, Z constants that change only when one of its rows enters
   or leaves; var F_k(t) = sum over subjects of that squared, a quadratic in G_k(t) and Q_k(t)
   whose coefficient sums are updated at entry and exit times (found by bisection in the group's
   times): O(n log n + m K). When h = 1 (P = 0) nobody with weight stays at risk and S = 0: F is
   frozen, so Y_k absorbs Z Q_k and Z becomes 0, and P, Q, G restart (an epoch). */
static int ij_entry(const carta_survsort *s, const carta_surv_data *d, size_t g, size_t K, int conf_type,
                    double z, carta_cif_result *r, carta_survsort_tick *t)
{
    const double *times = r->causes[0].curves[g].time;
    size_t m = r->causes[0].curves[g].n_rows, mm = m ? m : 1, nr = 0;
    size_t per = 6 + 5 * K; /* doubles per time, besides the epoch numbers */
    double *blk = carta_calloc(per * mm + (mm + 1) + 6 * K + 3 * K, sizeof *blk);
    carta_survsort_event *ev = carta_malloc((d->n ? 2 * d->n : 1) * sizeof *ev);
    size_t *RI = carta_malloc((mm + 1) * sizeof *RI); /* index of each restart, by epoch */
    if (!blk || !ev || !RI) { carta_free(blk); carta_free(ev); carta_free(RI); return CARTA_ENOMEM; }
    double *G0 = blk, *PP = G0 + mm, *ES = PP + mm, *GK = ES + mm, *QK = GK + K * mm;
    double *dXX = QK + K * mm, *dZZ = dXX + mm, *dXZ = dZZ + mm;
    double *dYY = dXZ + mm, *dXY = dYY + K * mm, *dYZ = dXY + K * mm;
    double *EP = dYZ + K * mm; /* m + 1: restarts at indices < j */
    double *gk = EP + mm + 1, *q = gk + K, *Y = q + K, *Y1 = Y + K, *bk = Y1 + K, *SYY = bk + K,
           *SXY = SYY + K, *SYZ = SXY + K, *ck = SYZ + K;
    /* forward: the influences G and the map's P, Q after each time (before a restart) */
    carta_survsort_cursor c;
    if (carta_survsort_cursor_init(s, g, &c)) { carta_free(blk); carta_free(ev); carta_free(RI); return CARTA_ENOMEM; }
    double S = 1.0, gs = 0.0, P = 1.0;
    size_t nres = 0;
    EP[0] = 0.0;
    for (size_t j = 0; j < m; j++) {
        uint64_t key = carta_survsort_peek(s, &c);
        carta_survsort_at(s, &c, key, t);
        double n = t->n_risk, Sm = S, h = 0.0;
        for (size_t k = 0; k < K; k++) h += t->w[k + 1] / n;
        if (h > 0) {
            double gs_old = gs, P_old = P;
            gs = gs_old * (1 - h) + Sm * h / n;
            for (size_t k = 0; k < K; k++) {
                double hk = t->w[k + 1] / n;
                gk[k] = gk[k] + gs_old * hk - Sm * hk / n;
                q[k] += P_old * hk;
            }
            P = P_old * (1 - h);
            S = Sm * (1 - h);
        }
        G0[j] = gs; PP[j] = P; ES[j] = Sm / n;
        for (size_t k = 0; k < K; k++) { GK[k * mm + j] = gk[k]; QK[k * mm + j] = q[k]; }
        EP[j + 1] = EP[j] + (P == 0);
        if (P == 0) {
            RI[nres++] = j;
            gs = 0.0; P = 1.0;
            for (size_t k = 0; k < K; k++) gk[k] = q[k] = 0.0;
        }
    }
    carta_survsort_cursor_free(&c);
    nr = carta_survsort_subject_events(d, 1, g, times, m, ev);
    for (size_t r0 = 0; r0 < nr;) {
        size_t r1 = r0 + 1;
        while (r1 < nr && ev[r1].id == ev[r0].id) r1++;
        /* one subject's events in time order; (x, Y, Z) its terms */
        double x = 0.0, Z = 0.0;
        size_t jstate = 0;
        memset(Y, 0, K * sizeof *Y);
        for (size_t rr = r0; rr < r1; rr++) {
            size_t i = ev[rr].row, j = ev[rr].j;
            double w = d->weight ? d->weight[i] : 1.0;
            if (EP[j] != EP[jstate]) { /* a restart since: F frozen at its time */
                size_t ri = RI[(size_t)EP[jstate]];
                for (size_t k = 0; k < K; k++) Y[k] += Z * QK[k * mm + ri];
                Z = 0.0;
            }
            size_t je = d->start ? carta_survsort_upper(times, m, d->start[i]) : 0;
            double a = 0.0;
            int live = je > 0 && PP[je - 1] != 0;
            if (live) a = G0[je - 1] / PP[je - 1];
            for (size_t k = 0; k < K; k++) bk[k] = live ? GK[k * mm + je - 1] - a * QK[k * mm + je - 1] : 0.0;
            double x1, Z1;
            if (!ev[rr].exit) { /* at risk: w (G_k - b_k - a Q_k) */
                x1 = x + w;
                Z1 = Z - w * a;
                for (size_t k = 0; k < K; k++) Y1[k] = Y[k] - w * bk[k];
            } else {              /* departed: w (c_k + q Q_k) */
                int cause = d->status[i];
                double us = G0[j] - a * PP[j] - (cause > 0 ? ES[j] : 0.0);
                double qq = PP[j] != 0 ? us / PP[j] : 0.0;
                x1 = x - w;
                Z1 = Z + w * a + w * qq;
                for (size_t k = 0; k < K; k++) {
                    size_t e = k * mm + j;
                    double uk = GK[e] - bk[k] - a * QK[e] + ((size_t)cause == k + 1 ? ES[j] : 0.0);
                    ck[k] = uk - qq * QK[e];
                    Y1[k] = Y[k] + w * bk[k] + w * ck[k];
                }
            }
            dXX[j] += x1 * x1 - x * x; dZZ[j] += Z1 * Z1 - Z * Z; dXZ[j] += x1 * Z1 - x * Z;
            for (size_t k = 0; k < K; k++) {
                size_t e = k * mm + j;
                dYY[e] += Y1[k] * Y1[k] - Y[k] * Y[k]; dXY[e] += x1 * Y1[k] - x * Y[k];
                dYZ[e] += Y1[k] * Z1 - Y[k] * Z;
                Y[k] = Y1[k];
            }
            x = x1; Z = Z1;
            jstate = j;
        }
        r0 = r1;
    }
    /* sweep: the variance of each F_k at each time */
    double SXX = 0.0, SZZ = 0.0, SXZ = 0.0;
    for (size_t j = 0; j < m; j++) {
        SXX += dXX[j]; SZZ += dZZ[j]; SXZ += dXZ[j];
        for (size_t k = 0; k < K; k++) {
            size_t e = k * mm + j;
            SYY[k] += dYY[e]; SXY[k] += dXY[e]; SYZ[k] += dYZ[e];
            double Gk = GK[e], Qk = QK[e];
            double v = Gk * Gk * SXX + SYY[k] + Qk * Qk * SZZ + 2 * Gk * SXY[k] + 2 * Gk * Qk * SXZ +
                       2 * Qk * SYZ[k];
            carta_cif_curve *cv = &r->causes[k].curves[g];
            double se = sqrt(v > 0 ? v : 0.0);
            cv->std_err[j] = se;
            double sl = (se == 0) ? 0.0 : se / cv->cif[j];
            carta_survsort_confint(conf_type, z, cv->cif[j], sl, &cv->lower[j], &cv->upper[j]);
            if (PP[j] == 0) { /* a restart: Y absorbs Z Q, Z and x become 0 */
                SYY[k] += 2 * Qk * SYZ[k] + Qk * Qk * SZZ;
                SXY[k] = SYZ[k] = 0.0;
            }
        }
        if (PP[j] == 0) SXX = SZZ = SXZ = 0.0;
    }
    carta_free(ev);
    carta_free(RI);
    carta_free(blk);
    return CARTA_OK;
}

/* Gray's test for cause `cause` (1-based) over the groups listed in gi[0..G-1]; s2 is sorted
   with strata. ws: workspace of 8 G + 4 G^2 doubles. */
static int gray_test(const carta_survsort *s2, size_t cause, const size_t *gi, size_t G, double rho,
                     carta_cif_cause *out, double *ws, carta_survsort_cursor *cur,
                     carta_survsort_tick *t)
{
    size_t G1 = G - 1;
    double *score = ws, *nrisk = ws + G, *Sm = ws + 2 * G, *Sp = ws + 3 * G, *Fm = ws + 4 * G,
           *Fp = ws + 5 * G, *v3 = ws + 6 * G, *d1 = ws + 7 * G;
    double *A = ws + 8 * G, *C = A + G * G, *V2 = C + G * G, *V = V2 + G * G;
    double *d2 = V + G * G; /* G more */
    memset(score, 0, G * sizeof *score);
    memset(V, 0, G * G * sizeof *V);
    for (size_t h = 0; h < s2->n_strata; h++) {
        for (size_t a = 0; a < G; a++) {
            Sm[a] = Sp[a] = 1.0; Fm[a] = Fp[a] = 0.0; v3[a] = 0.0;
        }
        memset(C, 0, G * G * sizeof *C);
        memset(V2, 0, G * G * sizeof *V2);
        double F0m = 0.0, F0 = 0.0;
        for (size_t a = 0; a < G; a++)
            if (carta_survsort_cursor_init(s2, h * s2->n_groups + gi[a], &cur[a])) {
                for (size_t b = 0; b < a; b++) carta_survsort_cursor_free(&cur[b]);
                return CARTA_ENOMEM;
            }
        for (;;) {
            uint64_t k = UINT64_MAX;
            for (size_t a = 0; a < G; a++) {
                uint64_t ka = carta_survsort_peek(s2, &cur[a]);
                if (ka < k) k = ka;
            }
            if (k == UINT64_MAX) break;
            double D1 = 0.0, D2 = 0.0;
            for (size_t a = 0; a < G; a++) {
                carta_survsort_at(s2, &cur[a], k, t);
                nrisk[a] = t->n_risk;
                d1[a] = t->cnt[cause];
                double all = 0.0;
                for (size_t q = 1; q < s2->n_kinds; q++) all += t->cnt[q];
                d2[a] = all - d1[a];
                D1 += d1[a];
                D2 += d2[a];
            }
            if (D1 == 0 && D2 == 0) continue;
            double hsum = 0.0, rsum = 0.0;
            for (size_t a = 0; a < G; a++) {
                if (nrisk[a] <= 0) continue;
                Sp[a] = Sm[a] * (nrisk[a] - d1[a] - d2[a]) / nrisk[a];
                Fp[a] = Fm[a] + Sm[a] * d1[a] / nrisk[a];
                hsum += nrisk[a] / Sm[a];
                rsum += nrisk[a] * (1 - Fm[a]) / Sm[a];
            }
            F0 = F0m + D1 / hsum;
            double wt = pow(1 - F0m, rho);
            for (size_t a = 0; a < G; a++)
                for (size_t b = 0; b < G; b++) {
                    double val = 0.0;
                    if (nrisk[a] > 0 && nrisk[b] > 0) {
                        double ta = nrisk[a] / Sm[a], tb = nrisk[b] / Sm[b];
                        val = wt * ta * ((a == b ? 1.0 : 0.0) - tb / hsum);
                    }
                    A[a * G + b] = val;
                    C[a * G + b] += val * D1 / (hsum * (1 - F0m));
                }
            for (size_t a = 0; a < G1; a++)
                if (nrisk[a] > 0) score[a] += wt * (d1[a] - D1 * nrisk[a] * (1 - Fm[a]) / (Sm[a] * rsum));
            if (D1 > 0) {
                for (size_t q = 0; q < G; q++) {
                    if (nrisk[q] <= 0) continue;
                    double t4 = Sp[q] > 0 ? 1 - (1 - F0) / Sp[q] : 1.0;
                    double t5 = D1 > 1 ? 1 - (D1 - 1) / (hsum * Sm[q] - 1) : 1.0;
                    double t3 = t5 * Sm[q] * D1 / (hsum * nrisk[q]);
                    v3[q] += t4 * t4 * t3;
                    for (size_t a = 0; a < G1; a++) {
                        double t1 = A[a * G + q] - t4 * C[a * G + q];
                        V2[a * G + q] += t1 * t4 * t3;
                        for (size_t b = 0; b <= a; b++) {
                            double t2 = A[b * G + q] - t4 * C[b * G + q];
                            V[a * G + b] += t1 * t2 * t3;
                        }
                    }
                }
            }
            if (D2 > 0) {
                for (size_t q = 0; q < G; q++) {
                    if (!(Sp[q] > 0) || d2[q] <= 0) continue;
                    double t4 = (1 - F0) / Sp[q];
                    double t5 = d2[q] > 1 ? 1 - (d2[q] - 1) / (nrisk[q] - 1) : 1.0;
                    double t3 = t5 * Sm[q] * Sm[q] * d2[q] / (nrisk[q] * nrisk[q]);
                    v3[q] += t4 * t4 * t3;
                    for (size_t a = 0; a < G1; a++) {
                        double t1 = t4 * C[a * G + q];
                        V2[a * G + q] -= t1 * t4 * t3;
                        for (size_t b = 0; b <= a; b++) {
                            double t2 = t4 * C[b * G + q];
                            V[a * G + b] += t1 * t2 * t3;
                        }
                    }
                }
            }
            F0m = F0;
            for (size_t a = 0; a < G; a++) { Fm[a] = Fp[a]; Sm[a] = Sp[a]; }
        }
        for (size_t a = 0; a < G; a++) carta_survsort_cursor_free(&cur[a]);
        for (size_t a = 0; a < G1; a++)
            for (size_t b = 0; b <= a; b++)
                for (size_t q = 0; q < G; q++)
                    V[a * G + b] += C[a * G + q] * C[b * G + q] * v3[q] + C[a * G + q] * V2[b * G + q]
                                    + C[b * G + q] * V2[a * G + q];
    }
    /* s' V^-1 s on the G - 1 scores (lower triangle filled; symmetrise into a packed copy) */
    double *M = A, *x = nrisk;
    for (size_t a = 0; a < G1; a++)
        for (size_t b = 0; b < G1; b++) M[a * G1 + b] = (b <= a) ? V[a * G + b] : V[b * G + a];
    memcpy(x, score, G1 * sizeof *x);
    lapack_int *ipiv = carta_malloc(G1 * sizeof *ipiv);
    if (!ipiv) return CARTA_ENOMEM;
    lapack_int info = LAPACKE_dgesv(LAPACK_ROW_MAJOR, (lapack_int)G1, 1, M, (lapack_int)G1, ipiv, x, 1);
    carta_free(ipiv);
    out->has_gray = 1;
    out->gray_df = (double)G1;
    if (info != 0) {
        out->gray_chisq = out->gray_p = NAN;
        return CARTA_OK;
    }
    double chi = 0.0;
    for (size_t a = 0; a < G1; a++) chi += x[a] * score[a];
    out->gray_chisq = chi;
    out->gray_p = 1 - gsl_cdf_chisq_P(chi, (double)G1); /* cuminc: 1 - pchisq(stat, df) */
    return CARTA_OK;
}

int carta_cif_fit(const carta_cif_spec *spec, const carta_surv_data *d, carta_cif_result **out,
                  carta_error *err)
{
    carta_cif_result *r = NULL;
    carta_survsort *s = NULL, *s2 = NULL;
    carta_survsort_tick t = { 0 };
    carta_survsort_cursor *cur = NULL;
    double *ws = NULL;
    size_t *gi = NULL;
    int rc;

    *out = NULL;
    if ((rc = carta_cif_spec_check(spec, err))) return rc;
    size_t K = d->n_causes;
    if (K < 1)
        return carta_error_set(err, CARTA_EDATA, NULL, "cif: n_causes must be at least 1");
    if ((rc = carta_survsort_build(d, 1, 0, K + 1, spec->timefix, &s, err))) return rc;
    rc = CARTA_ENOMEM;
    size_t ng = s->n_groups;
    r = carta_calloc(1, sizeof *r);
    if (!r) goto fail;
    r->conf_type = spec->conf_type;
    r->conf_level = spec->conf_level;
    r->rho = spec->rho;
    r->causes = carta_calloc(K, sizeof *r->causes);
    if (!r->causes) goto fail;
    r->n_causes = K;
    for (size_t k = 0; k < K; k++) {
        char num[32];
        const char *lab = d->cause_labels ? d->cause_labels[k] : NULL;
        if (!lab) { snprintf(num, sizeof num, "%zu", k + 1); lab = num; }
        if (!(r->causes[k].cause = carta_strdup(lab))) goto fail;
        r->causes[k].gray_chisq = r->causes[k].gray_df = r->causes[k].gray_p = NAN;
        if (!(r->causes[k].curves = carta_calloc(ng, sizeof *r->causes[k].curves))) goto fail;
        r->causes[k].n_curves = ng;
        for (size_t g = 0; g < ng; g++) {
            const char *gl = (d->group && d->group_labels) ? d->group_labels[g] : NULL;
            if (!gl) { snprintf(num, sizeof num, "%zu", g + 1); gl = num; }
            if (!(r->causes[k].curves[g].label = carta_strdup(gl))) goto fail;
        }
    }
    ws = carta_malloc((9 * ng + 4 * ng * ng + 4 * K + 2) * sizeof *ws);
    gi = carta_malloc(ng * sizeof *gi);
    cur = carta_calloc(ng, sizeof *cur);
    if (!ws || !gi || !cur || carta_survsort_tick_init(s, &t)) goto fail;
    double z = gsl_cdf_ugaussian_Pinv(1 - (1 - spec->conf_level) / 2);
    for (size_t g = 0; g < ng; g++) {
        if (group_curves(s, g, K, spec->conf_type, z, r, ws, &t)) goto fail;
        /* delayed entry (R's multi-state survfit takes ids with (start, stop] rows only; it
           refuses overlapping rows of one id) */
        if (d->start && ij_entry(s, d, g, K, spec->conf_type, z, r, &t)) goto fail;
    }

    /* Gray's test: groups with rows, unweighted data */
    size_t G = 0;
    for (size_t g = 0; g < ng; g++) if (s->cell_n[g] > 0) gi[G++] = g;
    if (spec->gray && G >= 2 && d->start) {
        /* cmprsk::cuminc, which defines the test, takes no entry times */
        carta_where at = { .field = "start" };
        rc = carta_error_set(err, CARTA_EDATA, &at,
                             "cif: Gray's test needs right-censored data (cmprsk::cuminc has no delayed "
                             "entry); the curves alone are available with gray off");
        goto fail_rc;
    }
    if (spec->gray && G >= 2 && !d->weight) {
        /* cuminc neither merges near-ties nor ignores strata: sort again when either matters */
        if ((d->strata && d->n_strata > 1) || spec->timefix) {
            if ((rc = carta_survsort_build(d, 1, 1, K + 1, 0, &s2, err))) goto fail_rc;
            rc = CARTA_ENOMEM;
        }
        for (size_t k = 0; k < K; k++)
            if (gray_test(s2 ? s2 : s, k + 1, gi, G, spec->rho, &r->causes[k], ws, cur, &t)) goto fail;
    }
    carta_survsort_tick_free(&t);
    carta_free(ws); carta_free(gi); carta_free(cur);
    carta_survsort_free(s); carta_survsort_free(s2);
    *out = r;
    return CARTA_OK;
fail:
    carta_error_set(err, CARTA_ENOMEM, NULL, "cif: no memory for %zu rows", d->n);
fail_rc:
    carta_survsort_tick_free(&t);
    carta_free(ws); carta_free(gi); carta_free(cur);
    carta_survsort_free(s); carta_survsort_free(s2);
    carta_cif_result_free(r);
    return rc;
}
