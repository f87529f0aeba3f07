/* carta/logistic.h: logistic regression by maximum likelihood (Newton-Raphson / IRLS) or by
   Firth's penalized likelihood, with standard errors, Wald and likelihood-ratio tests. */
#ifndef CARTA_LOGISTIC_H
#define CARTA_LOGISTIC_H

#include <stddef.h>
#include <carta/error.h>
#include <carta/matrix.h>

typedef struct carta_logistic_spec {
    int firth;            /* 1 = Firth's penalized likelihood (bias-reduced, finite under separation) */
    int max_iter;         /* Newton iterations (default 100) */
    double eps;           /* converged when every |step| <= eps * (|beta| + 1) (default 1e-10) */
    int max_halving;      /* step-halvings per iteration when the (penalized) log-likelihood drops (default 30) */
    double conf_level;    /* confidence level of the odds-ratio limits (default 0.95) */
    const double *weight; /* case weights, >= 0 (borrowed; NULL = all 1) */
    const double *offset; /* added to the linear predictor (borrowed; NULL = none) */
} carta_logistic_spec;

typedef struct carta_logistic_term {
    char *term;           /* "(Intercept)", then the design's names */
    double coef, se, z, p;
    double odds_ratio, or_lower, or_upper;
} carta_logistic_term;

typedef struct carta_logistic_test {
    double stat, df, p;
} carta_logistic_test;

typedef struct carta_logistic_result {
    size_t n;             /* rows used (weight > 0) */
    double events;        /* weighted number of y = 1 */
    size_t p;             /* coefficients, intercept included */
    carta_logistic_term *terms;
    double *vcov;         /* p x p, column-major: inverse of the information at the estimate */
    double loglik, loglik_null;      /* ordinary log-likelihoods (for Firth: at the penalized estimate) */
    double penalized_loglik;         /* loglik + log|I|/2 (Firth); equals loglik otherwise */
    double deviance, null_deviance, aic;
    carta_logistic_test lr;          /* 2 (loglik - loglik_null), df p - 1 */
    carta_logistic_test wald;        /* all coefficients but the intercept */
    int iterations, converged;
    int firth;
    int separation;                  /* 1 when (quasi-)complete separation was detected (ML only) */
    char *separation_term;           /* the term running to infinity, or NULL */
} carta_logistic_result;

/* Fills the defaults above. */
void carta_logistic_spec_default(carta_logistic_spec *spec);

/* Checks the spec's values before any data is seen: CARTA_ECONFIG naming the field. */
int carta_logistic_spec_check(const carta_logistic_spec *spec, carta_error *err);

/* Fits logit P(y = 1) = b0 + x b. y[i] is 0 or 1 for the n = x->n rows; x is borrowed and holds
   no intercept column (one is added, named "(Intercept)"). Non-convergence and separation are
   reported in the result, not as errors. CARTA_EDATA for y outside {0, 1}, a non-finite value
   in x or a negative weight (naming the row and column); CARTA_ENUMERIC when there is only one
   outcome class, or when the information matrix is singular (naming the column that is
   collinear with those before it); CARTA_ENOMEM. The result is owned by the caller. */
int carta_logistic_fit(const carta_logistic_spec *spec, const double *y, const carta_matrix *x,
                       carta_logistic_result **out, carta_error *err);

/* Predicted probabilities for the rows of x (same columns as the fit, no intercept column) into
   prob[x->n]; offset may be NULL. */
void carta_logistic_predict(const carta_logistic_result *r, const carta_matrix *x, const double *offset, double *prob);

/* Frees a result; NULL is a no-op. */
void carta_logistic_result_free(carta_logistic_result *r);

#endif
