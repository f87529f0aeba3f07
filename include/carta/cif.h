/* carta/cif.h: cumulative incidence under competing risks (Aalen-Johansen) for every cause at
 * once, by group, with the infinitesimal-jackknife standard errors and limits R survival 3.5-3's
 * multi-state survfit reports, and Gray's k-sample test per cause as cmprsk::cuminc.
 * Shape as every estimator: spec_default, spec_check, fit, result_free. Formulas and references
 * at the top of src/fit/cif.c. */
#ifndef CARTA_CIF_H
#define CARTA_CIF_H

#include <stddef.h>
#include <carta/error.h>
#include <carta/km.h>
#include <carta/surv.h>

typedef struct carta_cif_spec {
    int conf_type;          /* CARTA_KM_CONF_* (default log, as survfit) */
    double conf_level;      /* in (0, 1); default 0.95 */
    double rho;             /* Gray's test weight (1 - F(t-))^rho; default 0, finite */
    int gray;               /* 1 (default): Gray's test per cause when there are >= 2 groups */
    int timefix;            /* 1 (default, as survfit): merge near-tied times (R's aeqSurv) for the
                               curves; Gray's test uses the times as given, as cuminc does */
} carta_cif_spec;

/* One group's curve for one cause: rows at every distinct time of the group (event of any cause
   or censoring), ascending. std_err is the standard error of the incidence. */
typedef struct carta_cif_curve {
    char *label;            /* owned copy of the group label */
    size_t n;               /* rows in the group */
    size_t n_rows;
    double *time, *cif, *std_err, *lower, *upper;
} carta_cif_curve;

typedef struct carta_cif_cause {
    char *cause;            /* owned copy of the cause label ("1", "2", ... when none given) */
    size_t n_curves;        /* = n_groups */
    carta_cif_curve *curves;
    int has_gray;           /* 1 when Gray's test was computed */
    double gray_chisq, gray_df, gray_p; /* NaN when the score variance is singular (cmprsk: -1) */
} carta_cif_cause;

typedef struct carta_cif_result {
    int conf_type;
    double conf_level, rho;
    size_t n_causes;
    carta_cif_cause *causes;
} carta_cif_result;

void carta_cif_spec_default(carta_cif_spec *spec);
int carta_cif_spec_check(const carta_cif_spec *spec, carta_error *err);

/* Fits the cumulative incidence of causes 1..d->n_causes (status 0 = censored) in each group of d;
   with d->start, (start, stop] data (delayed entry; the risk set at t is start < t <= stop; the
   standard errors cluster the rows by d->id, as R's multi-state survfit with id, or treat each
   row as its own subject when d->id is NULL). Gray's test is stratified by
   d->strata and needs unweighted right-censored data (cmprsk has no weights; with weights
   has_gray = 0). d is borrowed; *out is new on success (carta_cif_result_free).
   Errors: CARTA_EDATA for a bad row (see survsort.h), n_causes < 1, or (start, stop] data with
   gray = 1 and two or more groups with rows (cmprsk::cuminc has no delayed entry: set gray = 0
   for the curves alone); CARTA_ENOMEM. A group with no rows gives curves with no rows and is left
   out of Gray's test (as cuminc drops empty groups). */
int carta_cif_fit(const carta_cif_spec *spec, const carta_surv_data *d, carta_cif_result **out,
                  carta_error *err);

void carta_cif_result_free(carta_cif_result *r);

#endif
