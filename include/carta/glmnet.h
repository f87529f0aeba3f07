/* carta/glmnet.h: elastic-net penalized logistic and Cox regression (R's glmnet 4.1, to 1e-6).
 *
 * Shape as every estimator: fill a spec (carta_glmnet_spec_default, then change fields), check
 * it before any data is read (carta_glmnet_spec_check), fit a lambda path (carta_glmnet_fit) or
 * cross-validate it (carta_glmnet_cv), free the result. Formulas and references are at the top
 * of src/fit/glmnet.c. */
#ifndef CARTA_GLMNET_H
#define CARTA_GLMNET_H

#include <stddef.h>
#include <carta/error.h>
#include <carta/matrix.h>
#include <carta/surv.h>

enum {
    CARTA_GLMNET_LOGISTIC = 0, /* glmnet's family = "binomial" (with an unpenalized intercept) */
    CARTA_GLMNET_COX      = 1  /* glmnet's family = "cox", Breslow ties, no intercept */
};

/* The model's options. All pointers are borrowed for the length of a call. */
typedef struct carta_glmnet_spec {
    int family;               /* CARTA_GLMNET_*; default logistic */
    double alpha;             /* mixing: 1 = lasso, 0 = ridge; in [0, 1]; default 1 */
    size_t nlambda;           /* length of the default path; default 100 (>= 1) */
    double lambda_min_ratio;  /* smallest / largest lambda of the default path; 0 = glmnet's
                                 default (1e-4 when n > p, else 1e-2); else in (0, 1) */
    const double *lambdas;    /* user path (n_lambdas values > 0, decreasing), or NULL */
    size_t n_lambdas;
    int standardize;          /* 1: penalize the coefficients of x scaled to (weighted) unit
                                 variance; they are reported on the original scale (default 1) */
    double thresh;            /* coordinate-descent convergence threshold (default 1e-7) */
    int max_iter;             /* coordinate-descent passes over all lambdas (default 100000) */
    const double *penalty_factor; /* p factors >= 0 (rescaled to sum p, as glmnet does), or NULL */
    const double *weight;     /* logistic: n case weights >= 0, or NULL (Cox: surv->weight) */
} carta_glmnet_spec;

/* A fitted path. coef is p x nlambda, column-major (coef[j + m * p]) on the original scale. */
typedef struct carta_glmnet_path {
    int family;
    size_t n, p, nlambda;
    char **names;             /* p owned copies of the column names (NULL entries when unnamed) */
    double *lambda;           /* nlambda values, decreasing */
    double *coef;             /* p x nlambda */
    double *intercept;        /* nlambda intercepts (logistic; all 0 for Cox) */
    double *deviance;         /* nlambda: logistic -2 sum w log-lik; Cox 2 (l_sat - l) with
                                 weights scaled to sum n (glmnet's coxnet.deviance) */
    double null_deviance;     /* the same at the null model (intercept only / beta = 0) */
    double *dev_ratio;        /* 1 - deviance / null_deviance */
    int *df;                  /* nonzero coefficients at each lambda */
    long passes;              /* coordinate-descent passes used */
    int converged;            /* 0 when max_iter was reached (the path then stops there) */
} carta_glmnet_path;

/* Cross-validation of a path (cv.glmnet with type.measure = "deviance", grouped = TRUE). */
typedef struct carta_glmnet_cv_result {
    size_t nlambda, nfolds;
    double *lambda, *cvm, *cvsd; /* nlambda each */
    double lambda_min, lambda_1se;
    size_t index_min, index_1se; /* 0-based indices into lambda */
    carta_glmnet_path *fit;      /* the path fitted to all rows (owned) */
} carta_glmnet_cv_result;

/* Fills the defaults above. */
void carta_glmnet_spec_default(carta_glmnet_spec *spec);

/* Checks the spec's values before any data is seen: CARTA_ECONFIG naming the field
   (family, alpha, nlambda, lambda_min_ratio, lambdas, thresh, max_iter). */
int carta_glmnet_spec_check(const carta_glmnet_spec *spec, carta_error *err);

/* Fits the elastic-net path. x (n x p, no intercept column) is borrowed. Logistic: y[n] in
   {0, 1}, surv unused (may be NULL); Cox: surv with surv->n == x->n (time, status 0/1, optional
   weight and strata (surv->strata in 0..n_strata-1); start must be NULL), y unused (may be NULL). The default path stops early
   as glmnet's does (deviance ratio above 0.999 or no longer changing). Errors: CARTA_ECONFIG (bad
   spec, penalty_factor < 0, (start, stop] data), CARTA_EDATA (non-finite x, y outside {0, 1},
   negative weight, bad status; naming row and column), CARTA_ENUMERIC (one outcome class, no
   events, all columns constant), CARTA_ENOMEM. *out is owned by the caller. */
int carta_glmnet_fit(const carta_glmnet_spec *spec, const carta_matrix *x, const double *y,
                     const carta_surv_data *surv, carta_glmnet_path **out, carta_error *err);

/* Cross-validates: fits the path to all rows, then for each fold k = 1..nfolds fits the rows with
   foldid != k along their own default path (or spec->lambdas), reads it at the full-data lambdas
   by linear interpolation in lambda (as cv.glmnet 4.1 does) and scores the rows with foldid == k (foldid[n] in
   1..nfolds, each fold non-empty, nfolds >= 3 as cv.glmnet requires). Loss: logistic binomial
   deviance of the held-out rows (probabilities clamped to [1e-5, 1 - 1e-5]); Cox the grouped
   partial-likelihood deviance (Verweij & van Houwelingen 1993). lambda_min is the largest lambda
   with the smallest cvm, lambda_1se the largest lambda with cvm <= cvm[min] + cvsd[min].
   Errors as carta_glmnet_fit, and CARTA_EDATA for a bad foldid. *out is owned by the caller. */
int carta_glmnet_cv(const carta_glmnet_spec *spec, const carta_matrix *x, const double *y,
                    const carta_surv_data *surv, const int *foldid, size_t nfolds,
                    carta_glmnet_cv_result **out, carta_error *err);

/* Linear predictors x b (+ intercept) at path index m for the rows of x into eta[x->n]. */
void carta_glmnet_predict(const carta_glmnet_path *path, size_t m, const carta_matrix *x, double *eta);

/* Free a result; NULL is a no-op. */
void carta_glmnet_path_free(carta_glmnet_path *path);
void carta_glmnet_cv_free(carta_glmnet_cv_result *cv);

#endif
