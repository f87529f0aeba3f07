/* carta/logrank.h: the G-rho family of k-sample tests (log-rank, Peto-Peto), stratified, as R
 * survival 3.5-3's survdiff. Shape as every estimator: spec_default, spec_check, fit, result_free.
 * Formulas and references at the top of src/fit/logrank.c. */
#ifndef CARTA_LOGRANK_H
#define CARTA_LOGRANK_H

#include <stddef.h>
#include <carta/error.h>
#include <carta/surv.h>

typedef struct carta_logrank_spec {
    double rho;             /* weight S(t-)^rho; 0 (default) log-rank, 1 Peto & Peto; finite, >= 0 */
    int timefix;            /* 1 (default, as survdiff): merge near-tied times (R's aeqSurv) */
} carta_logrank_spec;

typedef struct carta_logrank_group {
    char *label;            /* owned copy of the group label ("1", "2", ... when none given) */
    size_t n;               /* rows in the group */
    double observed, expected; /* summed over strata; weighted by S(t-)^rho when rho != 0, as R */
} carta_logrank_group;

typedef struct carta_logrank_result {
    double rho;
    double chisq, df, p;    /* p = P(chi2_df > chisq) */
    size_t n_groups;
    carta_logrank_group *groups;
    double *var;            /* n_groups x n_groups variance of observed - expected (row-major,
                               symmetric), summed over strata */
    size_t n_strata;
    double *observed_strata, *expected_strata; /* n_strata x n_groups (row = stratum) */
} carta_logrank_result;

void carta_logrank_spec_default(carta_logrank_spec *spec);
/* CARTA_ECONFIG (field "rho") when rho is negative or not finite. */
int carta_logrank_spec_check(const carta_logrank_spec *spec, carta_error *err);

/* Tests equality of the survival curves of d's groups (d->group, d->n_groups), stratified by
   d->strata. d is borrowed; *out is new on success (free with carta_logrank_result_free).
   Groups with no rows (or no expected events) stay in the result with zeros and are left out
   of the chi-square and its df, as survdiff leaves out groups with zero expected.
   Errors: CARTA_EDATA for a bad row (see survsort.h), (start, stop] data or case weights
   (survdiff takes neither), fewer than two groups with rows; CARTA_ENUMERIC when the variance
   matrix is singular; CARTA_ENOMEM. */
int carta_logrank_fit(const carta_logrank_spec *spec, const carta_surv_data *d,
                      carta_logrank_result **out, carta_error *err);

void carta_logrank_result_free(carta_logrank_result *r);

#endif
