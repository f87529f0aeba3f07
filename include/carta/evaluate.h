/* carta/evaluate.h: resampling splits and the performance metrics clinicians trust, each with
   its confidence interval. Formulas and conventions: README "Validation and metrics" and
   ../shared/domain/metrics.md. */
#ifndef CARTA_EVALUATE_H
#define CARTA_EVALUATE_H

#include <stddef.h>
#include <carta/error.h>

/* ---- Splits ---- */

typedef enum carta_split_kind {
    CARTA_SPLIT_KFOLD = 0,       /* k folds, stratified on `strata` when given */
    CARTA_SPLIT_REPEATED_KFOLD,  /* `repeats` times k folds, each repeat reshuffled */
    CARTA_SPLIT_GROUPED_KFOLD,   /* whole groups to folds (k folds of groups) */
    CARTA_SPLIT_LEAVE_ONE_GROUP_OUT, /* one split per group: leave-one-study-out */
    CARTA_SPLIT_HOLDOUT,         /* one split: a `holdout` share for testing, stratified */
    CARTA_SPLIT_BOOTSTRAP        /* `bootstrap` resamples of n with replacement; test = all rows */
} carta_split_kind;

typedef struct carta_split_spec {
    carta_split_kind kind;
    size_t folds;        /* k-fold kinds, >= 2 */
    size_t repeats;      /* repeated k-fold, >= 1 */
    double holdout;      /* holdout share in (0, 1) */
    size_t bootstrap;    /* bootstrap resamples, >= 1 */
    unsigned long seed;  /* every split comes from this seed (GSL mt19937) */
} carta_split_spec;

typedef struct carta_split {
    char *label;         /* "fold=3", "repeat=2, fold=1", "study=CART004", "bootstrap=17" */
    size_t *train, n_train;
    size_t *test, n_test;
} carta_split;

typedef struct carta_splits {
    carta_split *s;
    size_t n;
} carta_splits;

/* Makes the splits of rows 0..n-1. strata (n codes >= 0, may be NULL) stratifies k-fold and
   holdout; group (n codes 0..n_groups-1 with labels, required for the grouped kinds) keeps
   groups whole. Row lists are ascending (bootstrap training rows keep their draw order).
   CARTA_EDATA when a fold would be empty (more folds than rows or groups), CARTA_ENOMEM. */
int carta_splits_make(const carta_split_spec *spec, size_t n, const int *strata, const int *group,
                      const char *const *group_labels, size_t n_groups, const char *group_column,
                      carta_splits **out, carta_error *err);
void carta_splits_free(carta_splits *s);

/* ---- Metrics ---- */

typedef struct carta_metric {
    double value, lower, upper, se;
} carta_metric;

/* ROC AUC of score for y in {0, 1} (ties count 1/2), with DeLong's variance (DeLong, DeLong &
   Clarke-Pearson 1988; the midrank algorithm of Sun & Xu 2014, O(n log n)) and a Wald interval
   at conf_level clipped to [0, 1], as pROC's ci.auc(method = "delong"). CARTA_ENUMERIC when a
   class is empty. */
int carta_auc(size_t n, const double *y, const double *score, double conf_level, carta_metric *out, carta_error *err);

/* Brier score mean((p - y)^2); se = sd of the squared errors / sqrt(n), normal interval. */
int carta_brier(size_t n, const double *y, const double *p, double conf_level, carta_metric *out, carta_error *err);

/* Logistic recalibration on the logit of p: the calibration slope (coefficient of logit(p) in
   glm(y ~ logit(p))) and calibration-in-the-large (intercept of glm(y ~ offset(logit(p)))),
   with Wald intervals; and O/E = sum(y) / sum(p) with the interval exp(log(O/E) +- z /
   sqrt(O)). p must lie in (0, 1). */
int carta_calibration(size_t n, const double *y, const double *p, double conf_level, carta_metric *slope,
                      carta_metric *intercept, carta_metric *oe, carta_error *err);

/* ---- Pooling across studies, bootstrap intervals ---- */

/* A random-effects meta-analysis (DerSimonian & Laird, Control Clin Trials 1986;7:177), as R
   metafor::rma(yi, sei = se, method = "DL"). */
typedef struct carta_meta_result {
    size_t k;            /* studies pooled */
    double estimate, se, lower, upper; /* pooled estimate, its SE and Wald interval */
    double q, q_df, q_p; /* Cochran's Q, k - 1, and P(chi2_{k-1} >= Q) */
    double i2;           /* Higgins' I^2 in percent: max(0, (Q - df) / Q) * 100 (0 when Q = 0) */
    double tau2;         /* between-study variance max(0, (Q - df) / (sum w - sum w^2 / sum w)) */
} carta_meta_result;

/* Pools k >= 2 estimates est[] with standard errors se[] (> 0, finite). Weights w_i = 1/se_i^2
   give Q = sum w_i (est_i - fixed)^2; the random-effects weights 1/(se_i^2 + tau2) give the
   pooled estimate and SE = 1/sqrt(sum of them). Errors: CARTA_EDATA (k < 2, a non-finite
   estimate, an SE <= 0 or non-finite, conf_level outside (0, 1)). */
int carta_meta_dl(size_t k, const double *est, const double *se, double conf_level, carta_meta_result *out,
                  carta_error *err);

/* Percentile bootstrap interval of b replicate values (NaN replicates are left out; the array is
   not changed): the (1 - conf_level)/2 and (1 + conf_level)/2 quantiles by R's quantile(type = 7)
   (GSL gsl_stats_quantile_from_sorted_data). *used receives the replicates kept (may be NULL).
   Limits are NaN when fewer than 2 replicates are usable. CARTA_ENOMEM, CARTA_EDATA for a bad
   conf_level. */
int carta_percentile_interval(size_t b, const double *values, double conf_level, double *lower, double *upper,
                              size_t *used, carta_error *err);


#endif
