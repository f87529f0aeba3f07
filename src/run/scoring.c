/* Scoring the out-of-fold predictions of a run beyond discrimination: the binary curves
 * (ROC, binned and lowess-smoothed calibration, decision curve), survival probabilities from each
 * split's own baseline hazard (IPCW Brier score at the horizons, integrated Brier score,
 * calibration at a horizon), percentile bootstrap intervals for the metrics without an analytic
 * one, and the random-effects pooling of per-study discrimination.
 *
 * Survival probabilities: S_i(t) = exp(-H0_s(t) * hr_i), H0_s the baseline cumulative hazard of
 * the model of the split s that predicted subject i (within the subject's stratum for a
 * stratified Cox model) and hr_i its relative hazard. Cox: the model's baseline hazard at
 * covariates 0 (R basehaz(fit, centered = FALSE), Efron or Breslow as the fit's ties) times
 * exp(beta'means), since the prediction is the centred linear predictor. xgboost survival:cox:
 * Breslow's estimator with the training rows' margins as offsets (carta_survpred_breslow, as R's
 * survfit(coxph(Surv(T, d) ~ offset(margin), ties = "breslow"), newdata = margin 0)); an
 * elastic-net Cox model (glmnet's Breslow partial likelihood): the same with its linear
 * predictors.
 *
 * Bootstrap: B = validation.bootstrap resamples of the subjects (with replacement) of the
 * out-of-fold predictions, no refit; each statistic recomputed on the resample (IPCW metrics
 * refit the censoring distribution on it, as they do on the full data); percentile interval
 * (carta_percentile_interval). Replicates where a statistic is undefined (one class, a needed
 * censoring weight of 0) are left out of that statistic. One GSL mt19937 generator per model,
 * seeded with the config's seed, draws n indices per replicate with gsl_rng_uniform_int.
 *
 * Pooling: DerSimonian-Laird over the per-split estimates (leave-one-study-out: one per study)
 * with their analytic standard errors (DeLong for AUC, the infinitesimal jackknife for Harrell's
 * C); carta_meta_dl. */
#include "internal.h"

#include <carta/alloc.h>
#include <carta/jsonw.h>
#include <carta/numfmt.h>
#include <carta/survmetrics.h>
#include <carta/survpred.h>
#include <carta/survsort.h>

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int oom(carta_error *err) { return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory"); }

/* ---- Split baselines ---- */

void split_baseline_clear(split_baseline *b)
{
    if (!b) return;
    for (size_t k = 0; k < b->n; k++) {
        carta_free(b->label[k]);
        if (b->base) {
            carta_free(b->base[k].time);
            carta_free(b->base[k].cumhaz);
        }
    }
    carta_free(b->label);
    carta_free(b->base);
    memset(b, 0, sizeof *b);
}

static int baseline_alloc(split_baseline *b, size_t n)
{
    b->label = carta_calloc(n ? n : 1, sizeof *b->label);
    b->base = carta_calloc(n ? n : 1, sizeof *b->base);
    if (!b->label || !b->base) {
        carta_free(b->label);
        carta_free(b->base);
        b->label = NULL;
        b->base = NULL;
        return CARTA_ENOMEM;
    }
    b->n = n;
    return CARTA_OK;
}

int split_baseline_cox(const carta_cox_result *r, split_baseline *out, carta_error *err)
{
    memset(out, 0, sizeof *out);
    if (r->n_basehaz == 0) return CARTA_OK; /* no baseline, no probabilities */
    /* The prediction is (x - means)'beta; the baseline is at x = 0. */
    double shift = 0;
    for (size_t j = 0; j < r->p; j++)
        if (!isnan(r->terms[j].coef)) shift += r->terms[j].coef * r->means[j];
    double scale = exp(shift);
    if (baseline_alloc(out, r->n_basehaz)) return oom(err);
    out->exp_pred = 1;
    for (size_t k = 0; k < r->n_basehaz; k++) {
        const carta_cox_basehaz *h = &r->basehaz[k];
        struct hazard_steps *b = &out->base[k];
        out->label[k] = carta_strdup(h->label ? h->label : "");
        if (!out->label[k]) goto fail;
        b->time = carta_malloc((h->n_time ? h->n_time : 1) * sizeof *b->time);
        b->cumhaz = carta_malloc((h->n_time ? h->n_time : 1) * sizeof *b->cumhaz);
        if (!b->time || !b->cumhaz) goto fail;
        b->m = h->n_time;
        for (size_t i = 0; i < h->n_time; i++) {
            b->time[i] = h->time[i];
            b->cumhaz[i] = h->cumhaz[i] * scale;
        }
    }
    return CARTA_OK;
fail:
    split_baseline_clear(out);
    return oom(err);
}

int split_baseline_breslow(const carta_outcome *ytr, const double *lp, int pred_is_lp, split_baseline *out,
                           carta_error *err)
{
    memset(out, 0, sizeof *out);
    /* one baseline per stratum of the training rows (a stratified fit), else one for all */
    size_t ns = ytr->strata && ytr->strata_labels && ytr->n_strata > 1 ? ytr->n_strata : 1, n = ytr->n;
    double *tm = carta_malloc((n ? n : 1) * sizeof *tm), *eta = carta_malloc((n ? n : 1) * sizeof *eta);
    int *st = carta_malloc((n ? n : 1) * sizeof *st);
    int rc = CARTA_OK;
    if (!tm || !eta || !st || baseline_alloc(out, ns)) {
        rc = oom(err);
        goto done;
    }
    for (size_t k = 0; k < ns && !rc; k++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            if (ns > 1 && (size_t)ytr->strata[i] != k) continue;
            tm[m] = ytr->time[i];
            st[m] = ytr->status[i] != 0;
            eta[m++] = lp[i];
        }
        carta_survpred_baseline *b = NULL;
        if ((rc = carta_survpred_breslow(tm, st, eta, m, CARTA_SURVPRED_BRESLOW, &b, err))) break;
        struct hazard_steps *h = &out->base[k];
        if (!(out->label[k] = carta_strdup(ns > 1 ? ytr->strata_labels[k] : "")) ||
            !(h->time = carta_malloc((b->n ? b->n : 1) * sizeof(double))) ||
            !(h->cumhaz = carta_malloc((b->n ? b->n : 1) * sizeof(double)))) {
            carta_survpred_baseline_free(b);
            rc = oom(err);
            break;
        }
        h->m = b->n;
        memcpy(h->time, b->time, b->n * sizeof(double));
        memcpy(h->cumhaz, b->cumhaz, b->n * sizeof(double));
        carta_survpred_baseline_free(b);
    }
    /* The out-of-fold prediction of a survival:cox booster is the hazard ratio exp(margin); that of
       an elastic-net Cox model its linear predictor. */
    out->exp_pred = pred_is_lp;
done:
    carta_free(tm);
    carta_free(eta);
    carta_free(st);
    if (rc) split_baseline_clear(out);
    return rc;
}

/* H(t) of a step function: the last step at or before t, 0 before the first. */
static double steps_at(const struct hazard_steps *h, double t)
{
    size_t lo = carta_survsort_upper(h->time, h->m, t);
    return lo == 0 ? 0 : h->cumhaz[lo - 1];
}

/* S_i(t) of analysis row i, or NaN when its split has no baseline for its stratum. */
static double surv_of(const fitted_model *f, const carta_outcome *y, size_t i, double t)
{
    if (f->aft) {
        /* an AFT booster's prediction is its predicted time exp(margin) */
        double s_t = f->oof[i] > 0 ? carta_survpred_aft(f->aft_dist, f->aft_sigma, log(f->oof[i]), t) : (double)NAN;
        return isfinite(s_t) ? s_t : (double)NAN;
    }
    if (!f->bases || !f->splits || !f->oof_split[i]) return (double)NAN;
    size_t s = 0;
    while (s < f->splits->n && f->splits->s[s].label != f->oof_split[i]) s++;
    if (s == f->splits->n) return (double)NAN;
    const split_baseline *b = &f->bases[s];
    const struct hazard_steps *h = NULL;
    if (b->n == 1 && b->label[0][0] == '\0') h = &b->base[0];
    else if (y->strata && y->strata_labels) {
        const char *lab = y->strata_labels[y->strata[i]];
        for (size_t k = 0; k < b->n && !h; k++)
            if (strcmp(b->label[k], lab) == 0) h = &b->base[k];
    }
    if (!h) return (double)NAN;
    double hr = b->exp_pred ? exp(f->oof[i]) : f->oof[i];
    double s_t = exp(-steps_at(h, t) * hr);
    return isfinite(s_t) ? s_t : (double)NAN;
}

/* ---- Bootstrap ---- */

/* One replicate: fills n_stat values from the resampled rows idx[0..n) (NaN where undefined). */
typedef int (*stat_fn)(void *ctx, size_t n, const size_t *idx, double *out, carta_error *err);

/* Percentile intervals of n_stat statistics over B resamples. lower/upper receive NaN with B = 0. */
static int bootstrap(const carta_config *c, size_t n, size_t n_stat, stat_fn fn, void *ctx, double *lower,
                     double *upper, carta_error *err)
{
    size_t b = c->validation.bootstrap > 0 ? (size_t)c->validation.bootstrap : 0;
    for (size_t k = 0; k < n_stat; k++) lower[k] = upper[k] = NAN;
    if (b == 0 || n == 0) return CARTA_OK;
    double *rep = carta_malloc(b * n_stat * sizeof *rep), *col = carta_malloc(b * sizeof *col);
    size_t *idx = carta_malloc(n * sizeof *idx);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    int rc = CARTA_OK;
    if (!rep || !col || !idx || !r) {
        rc = oom(err);
        goto done;
    }
    gsl_rng_set(r, c->seed);
    for (size_t j = 0; j < b && !rc; j++) {
        for (size_t i = 0; i < n; i++) idx[i] = (size_t)gsl_rng_uniform_int(r, n);
        rc = fn(ctx, n, idx, rep + j * n_stat, err);
    }
    for (size_t k = 0; k < n_stat && !rc; k++) {
        for (size_t j = 0; j < b; j++) col[j] = rep[j * n_stat + k];
        rc = carta_percentile_interval(b, col, c->validation.conf_level, &lower[k], &upper[k], NULL, err);
    }
done:
    if (r) gsl_rng_free(r);
    carta_free(rep);
    carta_free(col);
    carta_free(idx);
    return rc;
}

/* ---- Binary outcomes ---- */

/* Net-benefit thresholds reported as metrics in the card (the decision curve has them all). */
static const double NB_THRESHOLDS[] = { 0.05, 0.10, 0.20 };
#define N_NB 3
/* The decision curve: thresholds 0.01, 0.02, ..., 0.50. */
#define N_DC 50

typedef struct binary_ctx {
    const double *y, *p;
    double *yb, *pb;
} binary_ctx;

/* The calibration smoother: lowess with span 2/3 and NO robustness iterations, as
   rms::val.prob (lowess(p, y, iter = 0)). R's default iter = 3 treats the events of a rare
   binary outcome as outliers and pulls the curve to 0, so that the ICI becomes the mean
   predicted risk. */
#define CALIB_SPAN (2.0 / 3.0)
#define CALIB_ITER 0

/* ICI, E50, E90 (lowess, CALIB_SPAN and CALIB_ITER), then net benefit of the model and of
   treat-all at NB_THRESHOLDS: 3 + 2 N_NB values. */
static int binary_stats(size_t n, const double *y, const double *p, double *out, carta_error *err)
{
    carta_error local;
    carta_error_clear(&local);
    for (size_t k = 0; k < 3 + 2 * N_NB; k++) out[k] = NAN;
    int rc = carta_ici(n, y, p, CALIB_SPAN, CALIB_ITER, &out[0], &out[1], &out[2], NULL, &local);
    if (rc == CARTA_ENOMEM) return oom(err);
    carta_error_clear(&local);
    rc = carta_net_benefit(n, y, p, N_NB, NB_THRESHOLDS, out + 3, out + 3 + N_NB, &local);
    if (rc == CARTA_ENOMEM) return oom(err);
    if (rc) for (size_t k = 3; k < 3 + 2 * N_NB; k++) out[k] = NAN;
    return CARTA_OK;
}

static int binary_rep(void *ctx, size_t n, const size_t *idx, double *out, carta_error *err)
{
    binary_ctx *b = ctx;
    for (size_t i = 0; i < n; i++) {
        b->yb[i] = b->y[idx[i]];
        b->pb[i] = b->p[idx[i]];
    }
    return binary_stats(n, b->yb, b->pb, out, err);
}

typedef struct scored {
    double p, y;
} scored;

static int by_score_desc(const void *a, const void *b)
{
    double x = ((const scored *)a)->p, y = ((const scored *)b)->p;
    return (x < y) - (x > y);
}

typedef struct pfit {
    double p, s;
} pfit;

static int by_p(const void *a, const void *b)
{
    double x = ((const pfit *)a)->p, y = ((const pfit *)b)->p;
    return (x > y) - (x < y);
}

/* Indices of at most `keep` points spread evenly over 0..m-1, first and last kept. */
static size_t thin_index(size_t k, size_t keep, size_t m)
{
    return keep > 1 ? (size_t)((double)k * (double)(m - 1) / (double)(keep - 1) + 0.5) : 0;
}

/* The ROC curve (at most 101 points, one per distinct threshold kept, from (0,0) to (1,1)), the
   calibration table by tenths of predicted risk (mean predicted, observed share, n) with the
   lowess-smoothed calibration curve (100 equally spaced predicted risks), and the
   decision curve (net benefit of the model and of treating all at thresholds 0.01..0.50): only
   aggregates, never a patient's row. NULL when out of memory. */
static char *binary_curves(size_t n, const double *y, const double *p)
{
    scored *s = carta_malloc((n ? n : 1) * sizeof *s);
    double *fpr = carta_malloc((n + 2) * sizeof *fpr), *tpr = carta_malloc((n + 2) * sizeof *tpr);
    double *fit = carta_malloc((n ? n : 1) * sizeof *fit);
    pfit *pf = carta_malloc((n ? n : 1) * sizeof *pf);
    double *fx = carta_malloc(101 * sizeof *fx), *ty = carta_malloc(101 * sizeof *ty);
    carta_jsonw *w = carta_jsonw_new(0);
    char *out = NULL;
    if (!s || !fpr || !tpr || !fit || !pf || !fx || !ty || !w) goto done;
    double pos = 0, neg = 0;
    for (size_t i = 0; i < n; i++) {
        s[i] = (scored){ p[i], y[i] };
        pos += y[i];
        neg += 1 - y[i];
    }
    qsort(s, n, sizeof *s, by_score_desc);
    size_t m = 0;
    double tp = 0, fp = 0;
    fpr[m] = tpr[m] = 0;
    m++;
    for (size_t i = 0; i < n; i++) {
        tp += s[i].y;
        fp += 1 - s[i].y;
        if (i + 1 < n && s[i + 1].p == s[i].p) continue; /* one point per distinct threshold */
        fpr[m] = neg > 0 ? fp / neg : 0;
        tpr[m] = pos > 0 ? tp / pos : 0;
        m++;
    }
    size_t keep = m < 101 ? m : 101;
    carta_jsonw_begin_object(w);
    carta_jsonw_key(w, "roc");
    carta_jsonw_begin_object(w);
    for (size_t k = 0; k < keep; k++) {
        size_t i = thin_index(k, keep, m);
        fx[k] = fpr[i];
        ty[k] = tpr[i];
    }
    carta_jsonw_knumbers(w, "fpr", fx, keep);
    carta_jsonw_knumbers(w, "tpr", ty, keep);
    carta_jsonw_end_object(w);
    /* Calibration by tenths of the sorted predictions (ascending risk). */
    double bp[10], bo[10], bn[10];
    size_t nb = 0;
    for (size_t b = 0; b < 10 && n >= 10; b++) {
        size_t lo = n - (b + 1) * n / 10, hi = n - b * n / 10; /* s is descending */
        double sp = 0, so = 0;
        for (size_t i = lo; i < hi; i++) {
            sp += s[i].p;
            so += s[i].y;
        }
        bp[nb] = sp / (double)(hi - lo);
        bo[nb] = so / (double)(hi - lo);
        bn[nb] = (double)(hi - lo);
        nb++;
    }
    carta_jsonw_key(w, "calibration");
    carta_jsonw_begin_object(w);
    carta_jsonw_knumbers(w, "predicted", bp, nb);
    carta_jsonw_knumbers(w, "observed", bo, nb);
    carta_jsonw_knumbers(w, "n", bn, nb);
    /* The lowess curve of the outcome on the prediction that the ICI integrates (CALIB_SPAN,
       CALIB_ITER), left out when the smoother fails. */
    carta_error local;
    carta_error_clear(&local);
    int sm = carta_lowess(n, p, y, CALIB_SPAN, CALIB_ITER, fit, &local);
    if (sm == CARTA_ENOMEM) goto done;
    if (sm == CARTA_OK && n > 0) {
        for (size_t i = 0; i < n; i++) pf[i] = (pfit){ p[i], fit[i] };
        qsort(pf, n, sizeof *pf, by_p);
        /* The curve on 100 equally spaced predicted risks from the smallest to the largest,
           interpolated linearly between the subjects' fitted values (R's approx()); lowess gives
           tied predictions one fitted value, so the interpolation is well defined. */
        size_t ks = pf[n - 1].p > pf[0].p ? 100 : 1, i = 0;
        for (size_t k = 0; k < ks; k++) {
            double g = k + 1 == ks ? pf[n - 1].p : pf[0].p + (pf[n - 1].p - pf[0].p) * ((double)k / (double)(ks - 1 ? ks - 1 : 1));
            while (i + 1 < n && pf[i + 1].p <= g) i++;
            double v = pf[i].s;
            if (i + 1 < n && pf[i + 1].p > pf[i].p && g > pf[i].p)
                v = pf[i].s + (pf[i + 1].s - pf[i].s) * (g - pf[i].p) / (pf[i + 1].p - pf[i].p);
            fx[k] = g;
            ty[k] = v;
        }
        carta_jsonw_key(w, "smoothed");
        carta_jsonw_begin_object(w);
        carta_jsonw_knumbers(w, "predicted", fx, ks);
        carta_jsonw_knumbers(w, "observed", ty, ks);
        carta_jsonw_end_object(w);
    }
    carta_jsonw_end_object(w);
    double th[N_DC], nbm[N_DC], nba[N_DC];
    for (size_t k = 0; k < N_DC; k++) th[k] = (double)(k + 1) / 100;
    carta_error_clear(&local);
    int dc = carta_net_benefit(n, y, p, N_DC, th, nbm, nba, &local);
    if (dc == CARTA_OK) {
        carta_jsonw_key(w, "decision_curve");
        carta_jsonw_begin_object(w);
        carta_jsonw_knumbers(w, "threshold", th, N_DC);
        carta_jsonw_knumbers(w, "model", nbm, N_DC);
        carta_jsonw_knumbers(w, "treat_all", nba, N_DC);
        carta_jsonw_end_object(w);
    }
    carta_jsonw_end_object(w);
    const char *t;
    carta_error_clear(&local);
    if (carta_jsonw_finish(w, &t, NULL, &local) == CARTA_OK) out = carta_jsonw_take(w);
done:
    carta_jsonw_free(w);
    carta_free(s);
    carta_free(fpr);
    carta_free(tpr);
    carta_free(fit);
    carta_free(pf);
    carta_free(fx);
    carta_free(ty);
    return out;
}

int score_binary(const carta_config *c, size_t n, const double *y, const double *p, double ev, fitted_model *f,
                 carta_error *err)
{
    double cl = c->validation.conf_level;
    carta_metric mt;
    int rc;
    if (!(f->curves_json = binary_curves(n, y, p))) return oom(err);
    double est[3 + 2 * N_NB], lo[3 + 2 * N_NB], hi[3 + 2 * N_NB];
    if ((rc = binary_stats(n, y, p, est, err))) return rc;
    binary_ctx bc = { y, p, carta_malloc((n ? n : 1) * sizeof(double)), carta_malloc((n ? n : 1) * sizeof(double)) };
    if (!bc.yb || !bc.pb) rc = oom(err);
    if (!rc) rc = bootstrap(c, n, 3 + 2 * N_NB, binary_rep, &bc, lo, hi, err);
    carta_free(bc.yb);
    carta_free(bc.pb);
    if (rc) return rc;
    const char *ci = c->validation.bootstrap > 0 ? "bootstrap" : NULL;
    static const char *const names[] = { "ici", "e50", "e90" };
    for (int k = 0; k < 3; k++) {
        if (isnan(est[k])) continue;
        mt = (carta_metric){ est[k], lo[k], hi[k], NAN };
        if (add_metric(f, names[k], "overall", &mt, ci, n, ev)) return oom(err);
    }
    for (int k = 0; k < N_NB; k++) {
        if (isnan(est[3 + k])) continue;
        char slice[64], slice_all[64];
        snprintf(slice, sizeof slice, "threshold=%g", NB_THRESHOLDS[k]);
        snprintf(slice_all, sizeof slice_all, "threshold=%g, treat all", NB_THRESHOLDS[k]);
        carta_metric a = { est[3 + k], lo[3 + k], hi[3 + k], NAN };
        carta_metric b = { est[3 + N_NB + k], lo[3 + N_NB + k], hi[3 + N_NB + k], NAN };
        if (add_metric(f, "net_benefit", slice, &a, ci, n, ev) || add_metric(f, "net_benefit", slice_all, &b, ci, n, ev))
            return oom(err);
    }
    if ((rc = carta_brier(n, y, p, cl, &mt, err)) || (rc = add_metric(f, "brier", "overall", &mt, "normal", n, ev)))
        return rc == CARTA_ENOMEM ? oom(err) : rc;
    carta_metric slope, citl, oe;
    carta_error local;
    carta_error_clear(&local);
    if (carta_calibration(n, y, p, cl, &slope, &citl, &oe, &local) == CARTA_OK) {
        if (add_metric(f, "calibration_slope", "overall", &slope, "wald", n, ev) ||
            add_metric(f, "calibration_intercept", "overall", &citl, "wald", n, ev) ||
            add_metric(f, "observed_expected", "overall", &oe, "poisson", n, ev))
            return oom(err);
    }
    return CARTA_OK;
}

/* ---- Survival outcomes ---- */

#define N_GRID 20 /* integrated Brier score: grid points from the first event time to the last horizon */

typedef struct surv_ctx {
    size_t n;
    const double *time, *risk, *surv; /* surv: n x (3 + N_GRID) column-major, NULL without probabilities */
    const int *status;
    const double *h, *grid;
    double *tb, *rb, *sb;
    int *stb;
} surv_ctx;

/* A metric's slice at time t: "time=T", T the shortest text that reads back to t (carta predict
   takes its default horizons from these labels: %g would cut them to 6 digits). */
static void time_slice(char *buf, size_t cap, double t)
{
    char num[32];
    snprintf(buf, cap, "time=%s", carta_numfmt(t, num, sizeof num));
}

/* Statistics on n subjects: Uno's C, AUC(t) at the 3 horizons, then (with probabilities) the
   Brier score at the 3 horizons, the IBS over the grid, and O/E at the middle horizon (1 - KM
   over the mean predicted risk): 9 values, NaN where undefined. */
#define N_SURV 9
static int surv_stats(size_t n, const double *time, const int *status, const double *risk, const double *surv,
                      const double *h, const double *grid, double *out, carta_error *err)
{
    for (size_t k = 0; k < N_SURV; k++) out[k] = NAN;
    carta_censoring *g = NULL;
    carta_error local;
    carta_error_clear(&local);
    int rc = carta_censoring_fit(n, time, status, &g, &local);
    if (rc == CARTA_ENOMEM) return oom(err);
    if (rc) return CARTA_OK;
    carta_metric m, auc[3], bs[3 + N_GRID];
    carta_error_clear(&local);
    if ((rc = carta_uno_c(g, n, time, status, risk, (double)INFINITY, CARTA_IPCW_R, &m, &local)) == CARTA_OK) out[0] = m.value;
    if (rc == CARTA_ENOMEM) goto nomem;
    carta_error_clear(&local);
    if ((rc = carta_td_auc(g, n, time, status, risk, 1, 3, h, CARTA_IPCW_R, auc, NULL, &local)) == CARTA_OK)
        for (int k = 0; k < 3; k++) out[1 + k] = auc[k].value;
    if (rc == CARTA_ENOMEM) goto nomem;
    if (surv) {
        double times[3 + N_GRID];
        for (int k = 0; k < 3; k++) times[k] = h[k];
        for (int k = 0; k < N_GRID; k++) times[3 + k] = grid[k];
        carta_error_clear(&local);
        if ((rc = carta_brier_ipcw(g, n, time, status, surv, 3 + N_GRID, times, CARTA_IPCW_R, bs, &local)) == CARTA_OK) {
            double b[N_GRID], ibs;
            for (int k = 0; k < 3; k++) out[4 + k] = bs[k].value;
            for (int k = 0; k < N_GRID; k++) b[k] = bs[3 + k].value;
            carta_error_clear(&local);
            if (carta_ibs_trapezoid(N_GRID, grid, b, &ibs, &local) == CARTA_OK) out[7] = ibs;
        }
        if (rc == CARTA_ENOMEM) goto nomem;
        /* O/E at the middle horizon: one calibration group is the whole sample. */
        carta_calib_group one;
        carta_error_clear(&local);
        if ((rc = carta_surv_calibration(n, time, status, surv + n, h[1], 1, 0.95, &one, &local)) == CARTA_OK &&
            one.predicted > 0)
            out[8] = one.observed / one.predicted;
        if (rc == CARTA_ENOMEM) goto nomem;
    }
    carta_censoring_free(g);
    return CARTA_OK;
nomem:
    carta_censoring_free(g);
    return oom(err);
}

static int surv_rep(void *ctx, size_t n, const size_t *idx, double *out, carta_error *err)
{
    surv_ctx *s = ctx;
    size_t cols = 3 + N_GRID;
    for (size_t i = 0; i < n; i++) {
        s->tb[i] = s->time[idx[i]];
        s->stb[i] = s->status[idx[i]];
        s->rb[i] = s->risk[idx[i]];
        if (s->surv)
            for (size_t k = 0; k < cols; k++) s->sb[i + k * n] = s->surv[idx[i] + k * n];
    }
    return surv_stats(n, s->tb, s->stb, s->rb, s->surv ? s->sb : NULL, s->h, s->grid, out, err);
}

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The calibration-at-a-horizon curve as JSON: {"calibration_horizon": {...}}, or NULL. */
static char *horizon_json(double horizon, const carta_calib_group *g, size_t k)
{
    carta_jsonw *w = carta_jsonw_new(0);
    double *a = carta_malloc(5 * (k ? k : 1) * sizeof *a);
    char *out = NULL;
    if (!w || !a) goto done;
    for (size_t j = 0; j < k; j++) {
        a[j] = g[j].predicted;
        a[k + j] = g[j].observed;
        a[2 * k + j] = g[j].lower;
        a[3 * k + j] = g[j].upper;
        a[4 * k + j] = (double)g[j].n;
    }
    carta_jsonw_begin_object(w);
    carta_jsonw_key(w, "calibration_horizon");
    carta_jsonw_begin_object(w);
    carta_jsonw_knumber(w, "horizon", horizon);
    carta_jsonw_knumbers(w, "predicted", a, k);
    carta_jsonw_knumbers(w, "observed", a + k, k);
    carta_jsonw_knumbers(w, "lower", a + 2 * k, k);
    carta_jsonw_knumbers(w, "upper", a + 3 * k, k);
    carta_jsonw_knumbers(w, "n", a + 4 * k, k);
    carta_jsonw_end_object(w);
    carta_jsonw_end_object(w);
    const char *t;
    carta_error e;
    carta_error_clear(&e);
    if (carta_jsonw_finish(w, &t, NULL, &e) == CARTA_OK) out = carta_jsonw_take(w);
done:
    carta_jsonw_free(w);
    carta_free(a);
    return out;
}

int score_survival(const carta_config *c, const carta_outcome *y, fitted_model *f, double ev, carta_error *err)
{
    size_t n = 0, cols = 3 + N_GRID;
    for (size_t i = 0; i < y->n; i++) n += !isnan(f->oof[i]);
    if (n == 0) return CARTA_OK;
    double *tt = carta_malloc(n * sizeof *tt), *rr = carta_malloc(n * sizeof *rr), *et = carta_malloc(n * sizeof *et);
    double *sv = carta_malloc(n * cols * sizeof *sv);
    int *ss = carta_malloc(n * sizeof *ss);
    surv_ctx sc = { 0 };
    carta_calib_group *cg = NULL;
    int rc = CARTA_OK;
    if (!tt || !rr || !et || !sv || !ss) {
        rc = oom(err);
        goto done;
    }
    size_t k = 0, ne = 0;
    for (size_t i = 0; i < y->n; i++) {
        if (isnan(f->oof[i])) continue;
        tt[k] = y->time[i];
        ss[k] = y->status[i] != 0;
        rr[k] = f->oof_is_time ? -f->oof[i] : f->oof[i]; /* a risk score: larger = worse */
        if (ss[k]) et[ne++] = tt[k];
        k++;
    }
    if (ne < 4) goto done; /* no horizons */
    qsort(et, ne, sizeof *et, by_double);
    /* Horizons: the 25th, 50th and 75th percentiles of the event times; the IBS grid: N_GRID
       equally spaced times from the first event time to the last horizon. */
    double h[3] = { et[ne / 4], et[ne / 2], et[(3 * ne) / 4] }, grid[N_GRID];
    for (int j = 0; j < N_GRID; j++) grid[j] = et[0] + (h[2] - et[0]) * ((double)j / (N_GRID - 1));
    int have_surv = (f->bases != NULL || f->aft) && !y->start && h[2] > et[0];
    for (size_t i = 0, r = 0; have_surv && i < y->n; i++) {
        if (isnan(f->oof[i])) continue;
        for (size_t j = 0; j < cols && have_surv; j++) {
            double s = surv_of(f, y, i, j < 3 ? h[j] : grid[j - 3]);
            if (isnan(s)) have_surv = 0;
            sv[r + j * n] = s;
        }
        r++;
    }
    double est[N_SURV], lo[N_SURV], hi[N_SURV];
    if ((rc = surv_stats(n, tt, ss, rr, have_surv ? sv : NULL, h, grid, est, err))) goto done;
    sc = (surv_ctx){ n, tt, rr, have_surv ? sv : NULL, ss, h, grid, carta_malloc(n * sizeof(double)),
                     carta_malloc(n * sizeof(double)), have_surv ? carta_malloc(n * cols * sizeof(double)) : NULL,
                     carta_malloc(n * sizeof(int)) };
    if (!sc.tb || !sc.rb || !sc.stb || (have_surv && !sc.sb)) {
        rc = oom(err);
        goto done;
    }
    if ((rc = bootstrap(c, n, N_SURV, surv_rep, &sc, lo, hi, err))) goto done;
    const char *ci = c->validation.bootstrap > 0 ? "bootstrap" : NULL;
    carta_metric m;
    if (!isnan(est[0])) {
        m = (carta_metric){ est[0], lo[0], hi[0], NAN };
        if (add_metric(f, "c_uno", "overall", &m, ci, n, ev)) goto nomem;
    }
    for (int j = 0; j < 3; j++) {
        if (isnan(est[1 + j])) continue;
        char slice[64];
        time_slice(slice, sizeof slice, h[j]);
        m = (carta_metric){ est[1 + j], lo[1 + j], hi[1 + j], NAN };
        if (add_metric(f, "auc_t", slice, &m, ci, n, ev)) goto nomem;
    }
    if (!have_surv) goto done;
    for (int j = 0; j < 3; j++) {
        if (isnan(est[4 + j])) continue;
        char slice[64];
        time_slice(slice, sizeof slice, h[j]);
        m = (carta_metric){ est[4 + j], lo[4 + j], hi[4 + j], NAN };
        if (add_metric(f, "brier", slice, &m, ci, n, ev)) goto nomem;
    }
    if (!isnan(est[7])) {
        char slice[96];
        char a[32], b[32];
        snprintf(slice, sizeof slice, "time=%s..%s", carta_numfmt(grid[0], a, sizeof a),
                 carta_numfmt(grid[N_GRID - 1], b, sizeof b));
        m = (carta_metric){ est[7], lo[7], hi[7], NAN };
        if (add_metric(f, "ibs", slice, &m, ci, n, ev)) goto nomem;
    }
    if (!isnan(est[8])) {
        char slice[64];
        time_slice(slice, sizeof slice, h[1]);
        m = (carta_metric){ est[8], lo[8], hi[8], NAN };
        if (add_metric(f, "observed_expected", slice, &m, ci, n, ev)) goto nomem;
    }
    /* Calibration at the middle horizon by tenths of predicted risk (fifths below 200 subjects),
       fewer groups when a group would hold fewer subjects than the card's small-count
       threshold. */
    size_t groups = n >= 200 ? 10 : 5;
    long thr = c->card.small_count_threshold;
    if (thr > 1 && groups > n / (size_t)thr) groups = n / (size_t)thr;
    if (groups >= 2 && n >= groups) {
        carta_error local;
        carta_error_clear(&local);
        if (!(cg = carta_malloc(groups * sizeof *cg))) goto nomem;
        int r2 = carta_surv_calibration(n, tt, ss, sv + n, h[1], groups, c->validation.conf_level, cg, &local);
        if (r2 == CARTA_ENOMEM) goto nomem;
        if (r2 == CARTA_OK && !f->curves_json && !(f->curves_json = horizon_json(h[1], cg, groups))) goto nomem;
    }
    goto done;
nomem:
    rc = oom(err);
done:
    carta_free(cg);
    carta_free(sc.tb);
    carta_free(sc.rb);
    carta_free(sc.sb);
    carta_free(sc.stb);
    carta_free(tt);
    carta_free(rr);
    carta_free(et);
    carta_free(sv);
    carta_free(ss);
    return rc;
}

/* ---- Pooling across studies ---- */

int pool_studies(const carta_config *c, fitted_model *f, const char *name, size_t k, const double *est,
                 const double *se, size_t n, double ev, carta_error *err)
{
    if (k < 2) return CARTA_OK;
    carta_meta_result r;
    carta_error local;
    carta_error_clear(&local);
    if (carta_meta_dl(k, est, se, c->validation.conf_level, &r, &local) != CARTA_OK) return CARTA_OK;
    carta_metric p = { r.estimate, r.lower, r.upper, r.se }, q = { r.q, NAN, NAN, NAN }, qp = { r.q_p, NAN, NAN, NAN },
                 i2 = { r.i2, NAN, NAN, NAN }, t2 = { r.tau2, NAN, NAN, NAN };
    if (add_metric(f, name, "pooled", &p, "DerSimonian-Laird", n, ev) ||
        add_metric(f, "heterogeneity_q", "studies", &q, NULL, n, ev) ||
        add_metric(f, "heterogeneity_p", "studies", &qp, NULL, n, ev) ||
        add_metric(f, "heterogeneity_i2", "studies", &i2, NULL, n, ev) ||
        add_metric(f, "heterogeneity_tau2", "studies", &t2, NULL, n, ev))
        return oom(err);
    return CARTA_OK;
}
