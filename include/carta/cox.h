/* carta/cox.h: Cox proportional hazards regression (R survival's coxph, to 1e-8).
 *
 * Shape as every estimator: fill a spec (carta_cox_spec_default, then change fields), check it
 * before any data is read (carta_cox_spec_check), fit (carta_cox_fit), free the result
 * (carta_cox_result_free). Methods, formulas and references are at the top of src/fit/cox_fit.c
 * and src/fit/cox_sums.c. */
#ifndef CARTA_COX_H
#define CARTA_COX_H

#include <stddef.h>
#include <carta/error.h>
#include <carta/matrix.h>
#include <carta/surv.h>

/* Handling of tied event times. */
enum {
    CARTA_COX_TIES_EFRON   = 0, /* Efron (1977) approximation; R's default */
    CARTA_COX_TIES_BRESLOW = 1, /* Breslow (1974) */
    CARTA_COX_TIES_EXACT   = 2  /* exact discrete conditional likelihood (R's "exact"): small,
                                   right-censored, unweighted data. Martingale and deviance
                                   residuals, zph, basehaz and curves come in the Breslow forms
                                   at its coefficients, as R computes them; no robust variance and
                                   no score, Schoenfeld or dfbeta residuals (R has none) */
};

/* Time transform of cox.zph (Grambsch & Therneau 1994, survival >= 3 score-test form). */
enum {
    CARTA_COX_ZPH_NONE     = 0, /* do not compute the test */
    CARTA_COX_ZPH_KM       = 1, /* 1 - Kaplan-Meier (R's default "km") */
    CARTA_COX_ZPH_IDENTITY = 2,
    CARTA_COX_ZPH_RANK     = 3,
    CARTA_COX_ZPH_LOG      = 4
};

/* Residual kinds, OR-ed into spec.residuals. */
enum {
    CARTA_COX_RESID_MARTINGALE = 1,
    CARTA_COX_RESID_DEVIANCE   = 2,
    CARTA_COX_RESID_SCORE      = 4,
    CARTA_COX_RESID_SCHOENFELD = 8,  /* raw and scaled */
    CARTA_COX_RESID_DFBETA     = 16
};

/* The model's options. All pointers are borrowed for the length of carta_cox_fit. */
typedef struct carta_cox_spec {
    int ties;              /* CARTA_COX_TIES_*; default efron */
    int robust;            /* 1: robust (sandwich) variance even without a cluster column
                              (per-row dfbeta, R's robust = TRUE); a cluster in the data always
                              gives the grouped (cluster) sandwich. Default 0. (R also turns it
                              on by itself for non-integer weights; carta does not.) */
    double conf_level;     /* for hazard-ratio and curve limits; default 0.95, in (0, 1) */
    int max_iter;          /* Newton-Raphson iterations; default 50 */
    double eps;            /* convergence: relative change of the log partial likelihood; default 1e-12 */
    double step_tol;       /* ... and max |step_j| / (1 + |beta_j|) of the last step; default 1e-7 */
    double toler_chol;     /* aliasing: a term whose residual information is below toler_chol
                              times the largest diagonal is aliased; default 1.8e-12 (R's eps^0.75) */
    double toler_inf;      /* monotone likelihood: a step larger than toler_inf * |beta| after the
                              log-likelihood has converged marks an infinite coefficient; default 1e-5 */
    const double *offset;  /* n offsets added to the linear predictor, or NULL. Borrowed. This is
                              here, not in carta_surv_data, because surv.h has no offset. */
    int concordance;       /* 1: Harrell's C and its standard error (default 1) */
    int zph;               /* CARTA_COX_ZPH_*; default CARTA_COX_ZPH_KM */
    unsigned residuals;    /* OR of CARTA_COX_RESID_*; default 0 */
    int basehaz;           /* 1: baseline cumulative hazard per stratum (default 1) */
    const carta_matrix *newdata; /* rows (same p and column order as x) for predicted survival
                              curves, or NULL. Each row gives one curve per stratum. Borrowed. */
    const size_t *term_of; /* p: the term (0 .. n_terms - 1) each design column belongs to (a
                              factor's indicator columns share one), or NULL. With it, cox.zph
                              also reports one test per term, as R's cox.zph(terms = TRUE).
                              Borrowed. */
    size_t n_terms;        /* number of terms when term_of is set */
    int threads;           /* threads of the passes over the design: 0 (default) = two once the
                              design has about a million cells, else one; 1 = always one. The
                              numbers are the same to the bit either way. */
} carta_cox_spec;

typedef struct carta_cox_test {
    double stat, df, p;
} carta_cox_test;

/* One coefficient. Aliased terms (collinear or constant) have coef and all derived values NaN
   (R's NA), aliased = 1. When the fit is robust, z, p and the limits use robust_se, as R does. */
typedef struct carta_cox_term {
    char *term;            /* owned copy of the column name */
    int aliased;
    double coef, se, robust_se, hr, hr_lower, hr_upper, z, p;
} carta_cox_term;

/* A baseline cumulative hazard (covariates all 0, offset 0: R's basehaz(fit, centered = FALSE))
   for one stratum, at every distinct event or censoring time of the stratum. */
typedef struct carta_cox_basehaz {
    char *label;           /* owned; "" without strata, else the stratum label */
    size_t n_time;
    double *time, *cumhaz;
} carta_cox_basehaz;

/* A predicted survival curve for one newdata row in one stratum, as survfit.coxph(fit, newdata).
   std_err is the standard error of S(t) (R's summary std.err: S times the s.e. of the cumulative
   hazard), lower/upper are log-scale limits (conf.type "log", upper capped at 1). The variance
   of beta in std_err is the robust one for a robust fit, as survfit.coxph uses fit$var. */
typedef struct carta_cox_curve {
    char *label;           /* owned; "row=<k>" plus ", <stratum label>" with strata */
    size_t row, stratum;   /* the newdata row (0-based) and the stratum (0-based) */
    size_t n_time;
    double *time, *surv, *std_err, *lower, *upper, *cumhaz;
} carta_cox_curve;

typedef struct carta_cox_result {
    size_t n;              /* rows used */
    size_t events;         /* rows with status 1 */
    size_t n_dropped;      /* always 0 here: the cohort stage drops missing rows */
    int iterations, converged;
    int ties;
    int robust;            /* 1 when robust_se / robust_vcov are present */
    size_t p;              /* number of terms (including aliased ones) */
    carta_cox_term *terms; /* p terms */
    double *vcov;          /* p x p (column-major), model-based; NaN rows/cols for aliased terms */
    double *robust_vcov;   /* p x p or NULL */
    double loglik[2];      /* [null model (beta = 0, with offset), fitted] */
    carta_cox_test lr, wald, score, robust_score; /* robust_score is NaN unless robust */
    double concordance, concordance_se;  /* NaN when not computed */
    double conc_counts[5]; /* concordant, discordant, tied.x, tied.y, tied.xy (weighted) */
    /* cox.zph (per column, R's terms = FALSE): chisq, df, p per term (NaN for aliased terms) and
       global; zph_terms is NULL when not computed (zph = NONE) */
    int zph_transform;
    carta_cox_test *zph_terms;
    carta_cox_test zph_global;
    /* cox.zph per term (R's terms = TRUE): n_terms tests when spec.term_of is set, else NULL.
       A term's test uses all its kept columns (df = their number; NaN when all are aliased). */
    size_t n_zph_by_term;
    carta_cox_test *zph_by_term;
    size_t n_basehaz;          /* one per stratum with rows (0 unless spec.basehaz) */
    carta_cox_basehaz *basehaz;
    size_t n_curves;
    carta_cox_curve *curves;
    /* Residuals, in input row order; NULL unless asked for. score and dfbeta are n x p
       column-major (0 in aliased columns). Schoenfeld rows are one per event row, in input row
       order; schoenfeld_row[k] is the input row of event k. */
    double *martingale, *deviance, *score_resid, *dfbeta; /* dfbeta weighted by w, as R's */
    size_t n_schoenfeld;
    size_t *schoenfeld_row;
    double *schoenfeld, *scaled_schoenfeld; /* n_schoenfeld x p, column-major */
    double *means;         /* p weighted column means used for centring */
    double *linear_predictors; /* n values (x - means)'beta + offset, input order: R's
                              fit$linear.predictors (the concordance is computed on these) */
    char warnings[1024];   /* "" or sentences, e.g. "coefficient of x may be infinite" */
} carta_cox_result;

/* Fills spec with the defaults listed above. */
void carta_cox_spec_default(carta_cox_spec *spec);

/* Checks the options alone (no data): ties, conf_level, tolerances, zph transform. Returns
   CARTA_OK or CARTA_ECONFIG with a message naming the option. */
int carta_cox_spec_check(const carta_cox_spec *spec, carta_error *err);

/* Fits the model to d (time, start, status, weight, strata, cluster are read; status 0/1) and the
   n x p design x (n == d->n). On success *out owns a new result (free with
   carta_cox_result_free). Errors: CARTA_ECONFIG (bad spec), CARTA_EDATA (NaN/Inf in a covariate
   naming column and row; a non-positive or non-finite weight, stop <= start, a bad status or time,
   naming the row; dimension mismatch), CARTA_ENUMERIC (no events; no estimable covariate),
   CARTA_ENOMEM, CARTA_EDEP (LAPACK). Non-convergence is not an error: converged = 0. */
int carta_cox_fit(const carta_cox_spec *spec, const carta_surv_data *d, const carta_matrix *x,
                  carta_cox_result **out, carta_error *err);

/* As carta_cox_fit, with write access to the design (data must be x->data): for data with many
   distinct event times (more than about n/8, e.g. continuous times) the fit then reorders the
   rows of the design in place into time order for its Newton steps, so that each step reads it
   sequentially with no per-event-time buckets (faster, and less memory), and puts them back
   before it returns, on errors too: on return data holds exactly what it held before. Nothing
   may read data from another thread meanwhile. Same result as carta_cox_fit up to round-off in
   the order of summation. CARTA_EUSAGE when data is not x->data. */
int carta_cox_fit_reorder(const carta_cox_spec *spec, const carta_surv_data *d, const carta_matrix *x,
                          double *data, carta_cox_result **out, carta_error *err);

/* Frees a result; NULL is a no-op. */
void carta_cox_result_free(carta_cox_result *r);

#endif
