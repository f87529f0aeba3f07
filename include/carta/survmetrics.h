/* carta/survmetrics.h: IPCW survival metrics (censoring distribution, Uno's C, cumulative/dynamic
   time-dependent AUC, IPCW Brier score and integrated Brier score, calibration at a horizon) and
   the remaining binary metrics (lowess, integrated calibration index, E50/E90, net benefit).
   Definitions, conventions and worked anchors: ../shared/domain/metrics.md.

   Risk direction: every `risk` array is a risk score, larger = worse (a Cox linear predictor, as
   carta_concordance with reverse = 1). `surv` arrays are predicted event-free probabilities.

   Confidence intervals: none of the survival metrics here has an analytic interval in carta;
   their carta_metric lower/upper/se are NaN and the caller bootstraps. */
#ifndef CARTA_SURVMETRICS_H
#define CARTA_SURVMETRICS_H

#include <stddef.h>
#include <carta/error.h>
#include <carta/evaluate.h>

/* The weight convention at a subject's own time (metrics.md sections 0, 2).
   CARTA_IPCW_R (default): G(T_i-), and Uno's C keeps events with T_i <= tau; as R survival
   concordance(timewt = "n/G2", ymax = tau), pec, riskRegression and timeROC.
   CARTA_IPCW_SKSURV: G(T_i), and Uno's C keeps T_i < tau; as scikit-survival. */
typedef enum carta_ipcw_convention {
    CARTA_IPCW_R = 0,
    CARTA_IPCW_SKSURV = 1
} carta_ipcw_convention;

/* The censoring distribution G, the "reverse" Kaplan-Meier in which, at tied times, events leave
   the risk set first: G(t) = prod_{t_k <= t} (1 - c_k / (n_k - d_k)). A right-continuous step
   function stored at its distinct observed times. */
typedef struct carta_censoring {
    size_t m;     /* distinct observed times */
    double *t;    /* ascending, m values */
    double *g;    /* G(t[k]) (includes the censorings at t[k]) */
} carta_censoring;

/* Fits G on (training) outcomes: n times (finite) and status (1 event, 0 censored); arrays are
   borrowed. *out is owned by the caller (carta_censoring_free). Errors: CARTA_EDATA for a
   non-finite time or a status other than 0/1 (row named), CARTA_ENUMERIC for n = 0,
   CARTA_ENOMEM. */
int carta_censoring_fit(size_t n, const double *time, const int *status, carta_censoring **out,
                        carta_error *err);
/* G(t), right-continuous (1 before the first time). O(log m). */
double carta_censoring_at(const carta_censoring *g, double t);
/* G(t-) = the product over t_k < t only. O(log m). */
double carta_censoring_before(const carta_censoring *g, double t);
void carta_censoring_free(carta_censoring *g);

/* Uno's concordance (IPCW, each comparable pair weighted by G(T_i*)^-2 of its event subject,
   events past tau weighted 0; Harrell's comparable pairs and ties in risk counted 1/2), in
   O(n log n) with a Fenwick tree. g is fitted on the training outcomes (pass the test outcomes
   for R concordance's behaviour). tau = INFINITY for no truncation. Test arrays (n each) are
   borrowed. out->value is C; lower/upper/se NaN (bootstrap). Errors: CARTA_EDATA (bad time,
   status or non-finite risk, row named), CARTA_ENUMERIC when a needed G weight is 0 ("censoring
   survival function is zero", as sksurv) or there is no comparable pair, CARTA_ENOMEM. */
int carta_uno_c(const carta_censoring *g, size_t n, const double *time, const int *status,
                const double *risk, double tau, carta_ipcw_convention conv, carta_metric *out,
                carta_error *err);

/* Cumulative/dynamic time-dependent AUC at k times (cases T_i <= t with an event, weight
   1/G(T_i*); controls T_j > t; subjects censored at or before t ignored; risk ties 1/2).
   risk is column-major n x risk_cols with risk_cols 1 (one score for all times) or k (column j
   scores time j, e.g. 1 - S_i(t_j)). auc receives k values (lower/upper/se NaN). mean_auc
   (may be NULL) receives sksurv's summary sum_j AUC(t_j)(S(t_{j-1}) - S(t_j)) / (1 - S(t_k)),
   S the KM of the test outcomes, S(t_0) = 1; times must then be ascending. Cost O(cols n log n
   + k n). Errors: CARTA_EDATA (bad inputs), CARTA_ENUMERIC when a time has no case or no
   control or a needed G is 0, CARTA_ENOMEM. */
int carta_td_auc(const carta_censoring *g, size_t n, const double *time, const int *status,
                 const double *risk, size_t risk_cols, size_t k, const double *times,
                 carta_ipcw_convention conv, carta_metric *auc, double *mean_auc, carta_error *err);

/* IPCW Brier score (Graf et al. 1999) at k times: BS(t) = (1/n) sum_i [1(T_i <= t, event)
   S_i(t)^2 / G(T_i*) + 1(T_i > t) (1 - S_i(t))^2 / G(t)]; subjects censored at or before t
   contribute 0 but stay in n. surv is column-major n x k (S_i(t_j) in surv[i + j n]). bs
   receives k values (lower/upper/se NaN). Errors: CARTA_EDATA (bad inputs, surv outside [0, 1]),
   CARTA_ENUMERIC (a needed G is 0, n = 0), CARTA_ENOMEM. */
int carta_brier_ipcw(const carta_censoring *g, size_t n, const double *time, const int *status,
                     const double *surv, size_t k, const double *times, carta_ipcw_convention conv,
                     carta_metric *bs, carta_error *err);

/* Integrated Brier score, sksurv's definition: the trapezoid rule over the given grid divided by
   its range, sum_j (t_{j+1} - t_j)(BS_j + BS_{j+1}) / 2 / (t_k - t_1). k >= 2 strictly ascending
   times. CARTA_EDATA otherwise. */
int carta_ibs_trapezoid(size_t k, const double *times, const double *bs, double *out, carta_error *err);

/* Integrated Brier score, pec's crps/ibs definition (pec:::Dint): the left Riemann sum of the
   step function BS over the grid on [start, tau), sum_{x_j < tau} BS(x_j)(x_{j+1} - x_j) /
   (tau - start) with x_{k+1} = tau. times ascending, times[0] = start (pec uses start = 0 with
   BS(0) = 0), tau > start. CARTA_EDATA otherwise. */
int carta_ibs_step(size_t k, const double *times, const double *bs, double tau, double *out,
                   carta_error *err);

/* Calibration at a horizon: subjects sorted by predicted risk 1 - S_i(t) and cut into `groups`
   groups as dplyr::ntile (group of the r-th smallest, r = 1..n: floor(groups (r - 1) / n); tied
   predictions keep their input order), and per group the mean predicted risk against the
   Kaplan-Meier observed risk 1 - KM(t) with its Greenwood standard error and the log-scale
   interval of survfit's default (conf.type = "log"), on 1 - S. */
typedef struct carta_calib_group {
    size_t n;            /* subjects in the group */
    size_t events;       /* events at or before the horizon */
    double predicted;    /* mean of 1 - S_i(t) */
    double observed;     /* 1 - KM(t) within the group */
    double se;           /* Greenwood SE of KM(t) (= of the observed risk) */
    double lower, upper; /* interval for the observed risk at conf_level */
} carta_calib_group;

/* surv: n predicted S_i(horizon) in [0, 1]; groups in 1..n. out receives `groups` rows (caller
   allocated). Errors: CARTA_EDATA (bad inputs), CARTA_ENOMEM. */
int carta_surv_calibration(size_t n, const double *time, const int *status, const double *surv,
                           double horizon, size_t groups, double conf_level, carta_calib_group *out,
                           carta_error *err);

/* ---- Binary outcomes ---- */

/* R's lowess() (Cleveland 1979, R's clowess): the robust locally weighted linear smoother of y on
   x with span f, `iter` robustness iterations and delta = 0.01 * range(x) as R's default.
   fitted receives n smoothed values in the INPUT order (the value R gives at each sorted x, put
   back at its subject; tied x are ordered stably as R's order()). Errors: CARTA_EDATA (non-finite
   input, f <= 0), CARTA_ENOMEM. */
int carta_lowess(size_t n, const double *x, const double *y, double f, int iter, double *fitted,
                 carta_error *err);

/* Integrated calibration index (Austin & Steyerberg 2019) with the lowess smoother of y on p
   (f, iter as carta_lowess; R's defaults f = 2/3, iter = 3; rms::val.prob's Eavg uses iter = 0):
   ici = mean |s_i - p_i|, e50 = median, e90 = 0.9 quantile (R's type 7), emax = max. Errors as
   carta_lowess; y must be 0/1 and p in [0, 1]. Any out-pointer may be NULL. */
int carta_ici(size_t n, const double *y, const double *p, double f, int iter, double *ici,
              double *e50, double *e90, double *emax, carta_error *err);

/* Net benefit (Vickers & Elkin 2006) at k thresholds pt in (0, 1): a subject is treated when
   p_i >= pt; nb[j] = TP/n - FP/n * pt/(1 - pt). treat_all (may be NULL) receives the treat-all
   strategy's prevalence - (1 - prevalence) pt/(1 - pt). Errors: CARTA_EDATA. */
int carta_net_benefit(size_t n, const double *y, const double *p, size_t k, const double *thresholds,
                      double *nb, double *treat_all, carta_error *err);

#endif
