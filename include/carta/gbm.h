/* carta/gbm.h: gradient boosting through libxgboost's C API. xgboost handles never leave
   src/fit/gbm.c; a fitted model is an opaque carta_gbm_model. */
#ifndef CARTA_GBM_H
#define CARTA_GBM_H

#include <stddef.h>
#include <carta/error.h>
#include <carta/matrix.h>

typedef enum carta_gbm_objective {
    CARTA_GBM_BINARY,     /* binary:logistic: y in {0, 1} */
    CARTA_GBM_COX,        /* survival:cox: time > 0 and status */
    CARTA_GBM_AFT,        /* survival:aft: lower and upper bounds (+inf upper = right-censored) */
    CARTA_GBM_REGRESSION  /* reg:squarederror */
} carta_gbm_objective;

/* One booster parameter as the config gives it: text for strings, number otherwise. */
typedef struct carta_gbm_param {
    const char *key;
    const char *text;     /* NULL for a number */
    double number;
} carta_gbm_param;

typedef struct carta_gbm_spec {
    carta_gbm_objective objective;
    const carta_gbm_param *params; /* borrowed; checked by carta_gbm_param_check */
    size_t n_params;
    int rounds;                /* boosting rounds (default 100) */
    int early_stopping_rounds; /* 0 = off; else stop when the inner validation metric has not
                                  improved for this many rounds and keep the best iteration */
    double validation_fraction;/* share of rows held out for early stopping (default 0.2) */
    unsigned long seed;        /* xgboost's seed and the inner split's */
    int nthread;               /* 0 = xgboost's default */
    int shap;                  /* 1 = compute SHAP contributions on the training rows */
    /* Called after every boosting round (round from 1 to rounds) when set: progress for a
       terminal. It must not touch the model; ctx is passed through. */
    void (*on_round)(void *ctx, int round, int rounds);
    void *on_round_ctx;
} carta_gbm_spec;

/* Per-feature summaries. */
typedef struct carta_gbm_importance {
    char *feature;
    double weight, gain, cover, total_gain, mean_abs_shap;
} carta_gbm_importance;

typedef struct carta_gbm_model carta_gbm_model;

/* Fills the defaults above (objective binary). */
void carta_gbm_spec_default(carta_gbm_spec *spec);

/* Checks one parameter against the booster parameters carta knows: an unknown key is an error
   naming the nearest known one; values are checked for type and range; `updater=shotgun`
   (not reproducible) and `nthread`/`seed` (set by carta from --threads and the config's seed)
   are refused. CARTA_ECONFIG; the message starts with the key. */
int carta_gbm_param_check(const carta_gbm_param *param, carta_error *err);

/* Checks the whole spec (every parameter, rounds, fractions). CARTA_ECONFIG. */
int carta_gbm_spec_check(const carta_gbm_spec *spec, carta_error *err);

/* Trains on x (borrowed, NaN = missing). Labels by objective: BINARY and REGRESSION use y;
   COX uses time (> 0) and status (1 event, 0 censored); AFT uses lower and upper
   (0 <= lower <= upper, upper may be +inf). Unused label arrays may be NULL. CARTA_EDATA naming
   the row for a bad label; CARTA_EDEP with xgboost's first message line for a library failure;
   CARTA_ENOMEM. The model is owned by the caller. */
int carta_gbm_fit(const carta_gbm_spec *spec, const carta_matrix *x, const double *y, const double *time,
                  const int *status, const double *lower, const double *upper, carta_gbm_model **out,
                  carta_error *err);

/* Predictions for the rows of x: probability (BINARY), hazard ratio exp(margin) (COX),
   predicted time (AFT), value (REGRESSION); margin = 1 gives the raw margin. out has x->n. */
int carta_gbm_predict(const carta_gbm_model *m, const carta_matrix *x, int margin, double *out, carta_error *err);

/* The boosting rounds kept (the best iteration + 1 under early stopping). */
int carta_gbm_rounds(const carta_gbm_model *m);

/* Importance per feature in the design's column order (borrowed; valid while m lives). */
const carta_gbm_importance *carta_gbm_importance_of(const carta_gbm_model *m, size_t *n);

/* The model as xgboost JSON (loadable by Python's and R's xgboost); *json is newly allocated
   (carta_free). */
int carta_gbm_save_json(const carta_gbm_model *m, char **json, size_t *len, carta_error *err);

/* Loads a model saved by carta_gbm_save_json, with the feature names it was trained on. */
int carta_gbm_load_json(const char *json, size_t len, const char *const *features, size_t p,
                        carta_gbm_objective objective, carta_gbm_model **out, carta_error *err);

void carta_gbm_free(carta_gbm_model *m);

#endif
