/* Private to src/run: the analysis dataset of a run and the models fitted on it. */
#ifndef CARTA_RUN_INTERNAL_H
#define CARTA_RUN_INTERNAL_H

#include <carta/run.h>
#include <carta/cohort.h>
#include <carta/design.h>
#include <carta/evaluate.h>
#include <carta/glmnet.h>
#include <carta/report.h>
#include <carta/survpred.h>

/* The analysis dataset: the cohort's table (one row per subject) and the design fitted on all
   of it. */
typedef struct analysis {
    carta_cohort *cohort;
    const carta_table *table;        /* owned by the cohort */
    char *binary_event;              /* the binary outcome as a condition over the table, or NULL */
    char *outcome_definition;        /* a sentence for the card */
    carta_feature_spec *features;    /* design spec built from the config (names borrowed) */
    carta_interaction_spec *interactions;
    carta_design_spec dspec;
    carta_design *design;            /* NULL without features */
    carta_design_matrix *dm;         /* the design applied to the whole table */
    carta_design_check_result *check;/* constant and collinear columns of dm, by name */
} analysis;

/* config + data -> cohort, analysis table and design. */
/* The subject table is handed to the cohort without a copy (its slot in d becomes NULL, with its
   counts kept in n_rows, n_cols): nothing after this stage reads the loaded subject table. */
int analysis_build(const carta_config *c, carta_dataset *d, analysis *a, carta_error *err);
void analysis_free(analysis *a);

/* The outcome a model needs (its `by`, `strata`, weights and cluster) over the analysis table's
   rows. */
int outcome_for_model(const carta_config *c, const analysis *a, const carta_cfg_model *m, const carta_table *t,
                      carta_outcome **out, carta_error *err);

/* The baseline cumulative hazard of one split's survival model, per stratum, on the scale of its
   out-of-fold prediction: S_i(t) = exp(-H(t) exp(pred_i)) when exp_pred, else exp(-H(t) pred_i)
   (pred a hazard ratio). n = 0: the split's model gives no survival probabilities. */
typedef struct split_baseline {
    size_t n;                /* strata; one with label "" = every row */
    char **label;            /* n owned stratum labels (the outcome's strata_labels) */
    struct hazard_steps {    /* H(t) = cumhaz[k] at the last time[k] <= t, 0 before time[0] */
        size_t m;
        double *time, *cumhaz;   /* owned, m each */
    } *base;                 /* n */
    int exp_pred;
} split_baseline;

/* A fitted model with what the card and the run folder need. */
typedef struct fitted_model {
    const carta_cfg_model *cfg;
    char *spec_json;
    carta_cox_result *cox;
    carta_logistic_result *logistic;
    carta_glmnet_path *glmnet;
    carta_gbm_model *gbm;
    char *result_json;               /* km, logrank, cif results already written as JSON */
    char *curves_csv;                /* km, cif: the curve tables as CSV text (one row per time) */
    carta_card_metric *metrics;
    size_t n_metrics;
    char *curves_json;               /* ROC and calibration curves of the out-of-fold predictions */
    char **metric_text;              /* owned strings the metrics point to */
    size_t n_metric_text;
    /* Out-of-fold and full-data predictions, per analysis-table row (NaN where none). */
    double *oof, *full;
    char **oof_split;                /* label of the split that predicted each row (borrowed) */
    char *oof_label;                 /* repeated k-fold: one owned buffer of the rows' split labels
                                        ("repeat=1, fold=2; repeat=2, fold=1; ...") that oof_split
                                        points into, else NULL */
    carta_splits *splits;
    split_baseline *bases;           /* per split (survival models with probabilities), or NULL */
    int oof_is_time;                 /* predictions are survival times (xgboost survival:aft):
                                        larger = better, so the risk score is -prediction */
    int aft;                         /* xgboost survival:aft: S(t | x) = 1 - F((log t - margin) /
                                        sigma), margin = log of the predicted time */
    carta_survpred_aft_dist aft_dist;
    double aft_sigma;
    char *glmnet_cv_json;            /* lambda chosen by cross-validation: the card's result.cv */
    double *split_lambda;            /* cv rules: the lambda each validation split's fit chose
                                        (NaN where none), or NULL */
} fitted_model;

/* src/run/scoring.c: split baselines (from a Cox fit; Breslow's from training margins),
   binary and survival scoring with bootstrap intervals, random-effects pooling of per-study
   discrimination. Metrics are appended with add_metric; errors only for memory. */
int split_baseline_cox(const carta_cox_result *r, split_baseline *out, carta_error *err);
/* lp: the training rows' margins or linear predictors; pred_is_lp: the out-of-fold prediction is
   that linear predictor (elastic-net Cox), else its exponential (xgboost's hazard ratio). */
int split_baseline_breslow(const carta_outcome *ytr, const double *lp, int pred_is_lp, split_baseline *out,
                           carta_error *err);
void split_baseline_clear(split_baseline *b);
/* ROC/calibration/smoothed/decision curves into f->curves_json; ICI, E50, E90, net benefit
   (bootstrap intervals), Brier, calibration slope, CITL, O/E. */
int score_binary(const carta_config *c, size_t n, const double *y, const double *p, double ev, fitted_model *f,
                 carta_error *err);
/* Uno's C, AUC(t), Brier(t), IBS, O/E at a horizon (bootstrap intervals) and the calibration at a
   horizon curve of the out-of-fold predictions (rows of y with a prediction). */
int score_survival(const carta_config *c, const carta_outcome *y, fitted_model *f, double ev, carta_error *err);
/* DerSimonian-Laird pooled `name` (slice "pooled") and heterogeneity metrics (slice "studies")
   over k per-study estimates with standard errors. */
int pool_studies(const carta_config *c, fitted_model *f, const char *name, size_t k, const double *est,
                 const double *se, size_t n, double ev, carta_error *err);
/* Appends a metric to f (name and ci borrowed, slice copied). CARTA_ENOMEM. */
int add_metric(fitted_model *f, const char *name, const char *slice, const carta_metric *m, const char *ci,
               size_t n, double events);

/* Kaplan-Meier, log-rank and cumulative incidence: fitted on the whole cohort, written as JSON. */
int fit_descriptive(const carta_config *c, const analysis *a, const carta_cfg_model *m, fitted_model *f,
                    carta_error *err);

/* Cutting values out of canonical compact JSON text without re-printing them (re-printing through
   cJSON would lose digits): the top-level member `key` of an object, and item `index` of an
   array. Newly allocated (carta_free), or NULL when absent or out of memory. */
char *json_member_text(const char *json, const char *key);
char *json_item_text(const char *array_json, size_t index);

/* ---- Fairness attributes (fairness.c) ---- */

/* One attribute's slices over the analysis table's rows. */
typedef struct fairness_attr {
    const char *column;              /* borrowed (config or a literal) */
    size_t n_groups;
    char **labels;                   /* n_groups owned slice labels: "SEX=F", "AGE<65", "50<=AGE<65" */
    int *group;                      /* per table row: 0..n_groups-1, or -1 (missing, or not listed) */
} fairness_attr;

/* The names of the fairness attributes of the run (validation.fairness, or the defaults SEX,
   PRODUCT and AGE present in t); out has room for CARTA_CFG_MAX_FAIRNESS. */
size_t fairness_attributes(const carta_config *c, const carta_table *t, const char **out);

/* Builds every attribute's slices over t. CARTA_ECONFIG naming /validation/fairness/<k>/column
   for a listed column absent from t (and .../cuts, .../levels/<j> for cuts on a text column, a
   numeric column without cuts, a listed level that does not occur); CARTA_ENOMEM. *out is owned
   by the caller (fairness_free). */
int fairness_build(const carta_config *c, const carta_table *t, fairness_attr **out, size_t *n, carta_error *err);
void fairness_free(fairness_attr *a, size_t n);

/* ---- Elastic-net cox and logistic models (penalized.c) ---- */

/* 1 when m is a cox or logistic model with an elastic-net penalty (a lambda or a cv rule). */
int model_penalized(const carta_cfg_model *m);

/* Fits m's elastic net on (x, y): at the fixed lambda, or at the lambda that K-fold
   cross-validation over these rows chooses (foldid[x->n] in 1..K, or NULL to deal the folds from
   the config's seed). *out holds one lambda; *cv_json (cv rules only, when cv_json is not NULL)
   the CV summary as canonical JSON. Errors of carta_glmnet_fit / carta_glmnet_cv; CARTA_EDATA
   when there are fewer rows than folds. Both outputs are owned by the caller. */
int penalized_fit(const carta_config *c, const carta_cfg_model *m, const carta_matrix *x, const carta_outcome *y,
                  const int *foldid, carta_glmnet_path **out, char **cv_json, carta_error *err);

/* Records the lambda that split k's cross-validated fit g chose (f->split_lambda, allocated for
   f->splits->n on first use). CARTA_ENOMEM. */
int penalized_note_split(fitted_model *f, size_t k, const carta_glmnet_path *g, carta_error *err);

/* Adds the split lambdas to f->glmnet_cv_json as "splits": { "label": [...], "lambda": [...] }
   (no-op without either). CARTA_ENOMEM. */
int penalized_add_splits(fitted_model *f, carta_error *err);

/* The fold (1..folds) of each of n rows, dealt from seed as the cross-validation of lambda does. */
int penalized_foldid(unsigned long seed, size_t n, size_t folds, int *foldid, carta_error *err);

int fit_model(const carta_config *c, const analysis *a, const carta_cfg_model *m, const carta_run_opts *o,
              fitted_model *f, carta_error *err);
void fitted_model_clear(fitted_model *f);

#endif
