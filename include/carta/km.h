/* carta/km.h: Kaplan-Meier survival and Nelson-Aalen cumulative hazard curves, one per group,
 * with Greenwood standard errors, confidence limits, quantiles, RMST and survival at given times,
 * agreeing with R survival 3.5-3 (survfit, quantile.survfit, summary.survfit, print(rmean=)).
 *
 * Shape as every estimator: carta_km_spec_default, change fields, carta_km_spec_check before any
 * data is read, carta_km_fit, carta_km_result_free. Methods, formulas and references are at the
 * top of src/fit/km.c. */
#ifndef CARTA_KM_H
#define CARTA_KM_H

#include <stddef.h>
#include <carta/error.h>
#include <carta/surv.h>

/* Confidence interval transforms, as R's survfit conf.type. */
enum {
    CARTA_KM_CONF_LOG    = 0, /* "log": R's default */
    CARTA_KM_CONF_LOGLOG = 1, /* "log-log" */
    CARTA_KM_CONF_PLAIN  = 2, /* "plain" */
    CARTA_KM_CONF_LOGIT  = 3, /* "logit" */
    CARTA_KM_CONF_ARCSIN = 4, /* "arcsin" */
    CARTA_KM_CONF_NONE   = 5  /* no limits (lower, upper and quantile limits are NaN) */
};

/* Variance of S and H. */
enum {
    CARTA_KM_VAR_AUTO      = 0, /* as R's survfit: Greenwood, but the infinitesimal jackknife when
                                   some weight is not a whole number, or when an id (d->id) has
                                   two or more events */
    CARTA_KM_VAR_GREENWOOD = 1, /* Greenwood / Nelson-Aalen always (R's robust = FALSE) */
    CARTA_KM_VAR_IJ        = 2  /* infinitesimal jackknife (R's robust = TRUE): clustered by
                                   d->id when given, else each row its own cluster */
};

/* What the result keeps per distinct time. */
enum {
    CARTA_KM_TABLE_FULL    = 0, /* every column as an array of the curve (default) */
    CARTA_KM_TABLE_COMPACT = 1  /* only `time` and the counts (unweighted counts as 1-, 2- or
                                   4-byte integers); n_risk ... cumhaz_se are NULL and every row
                                   is recomputed exactly, in order, by carta_km_rows_next */
};

/* Options. Array pointers are borrowed for the length of carta_km_fit. */
typedef struct carta_km_spec {
    int conf_type;          /* CARTA_KM_CONF_*; default log */
    double conf_level;      /* in (0, 1); default 0.95 */
    int ctype;              /* cumulative hazard: 1 Nelson-Aalen (default), 2 Fleming-Harrington
                               tie correction (R's ctype = 2); survival is Kaplan-Meier either way */
    const double *probs;    /* n_probs quantile probabilities in [0, 1]; NULL = 0.25, 0.5, 0.75 */
    size_t n_probs;
    double tau;             /* RMST horizon; NaN (default) = the largest observed time over all groups */
    const double *times;    /* n_times times for the summary table (any order, finite); NULL = none */
    size_t n_times;
    int variance;           /* CARTA_KM_VAR_*: default AUTO */
    int timefix;            /* 1 (default, as R): merge times closer than sqrt(DBL_EPSILON), R's
                               aeqSurv, for right-censored data; 0: use times as given */
    int table;              /* CARTA_KM_TABLE_*: default FULL */
} carta_km_spec;

/* One quantile: the time at which S first reaches 1 - p, with limits from the confidence band;
   NaN where unreached. */
typedef struct carta_km_quantile {
    double p, time, lower, upper;
} carta_km_quantile;

/* One curve (a group). Table arrays have n_rows entries, one per distinct time with an event or a
   censoring in the group, ascending. Counts are weighted sums. std_err is the standard error of
   S(t) (R's std.err, which is that of -log S, times S). Undefined values are NaN.
   With CARTA_KM_TABLE_COMPACT only `time` is an array (the other nine are NULL): read the rows
   with carta_km_rows_begin / carta_km_rows_next. */
struct carta_km_store; /* compact per-time counts (private to km.c) */
typedef struct carta_km_curve {
    char *label;            /* owned copy of the group label ("1" style number when none given) */
    size_t n;               /* rows in the group (R's n) */
    double events;          /* weighted number of events */
    size_t n_rows;
    double *time, *n_risk, *n_event, *n_censor, *surv, *std_err, *lower, *upper, *cumhaz, *cumhaz_se;
    double median, median_lower, median_upper;
    size_t n_quantiles;     /* = spec n_probs */
    carta_km_quantile *quantiles;
    double rmst, rmst_se;   /* restricted at the result's tau */
    /* summary(fit, times = spec times): rows for the requested times (sorted) that are not past
       the curve's last time; counts per interval (previous requested time, t]. */
    size_t n_summary;
    double *sum_time, *sum_n_risk, *sum_n_event, *sum_n_censor, *sum_surv, *sum_std_err,
           *sum_lower, *sum_upper;
    struct carta_km_store *store; /* compact table only (NULL with the full table) */
} carta_km_curve;

/* One row of a curve's table. */
typedef struct carta_km_row {
    double time, n_risk, n_event, n_censor, surv, std_err, lower, upper, cumhaz, cumhaz_se;
} carta_km_row;

/* A walk over one curve's rows in time order (either table kind). Fields are private. */
typedef struct carta_km_rows {
    const carta_km_curve *curve;
    size_t j;
    double km, v1, nelson, v2, gs, gh, ms, mh, w2, exited;
} carta_km_rows;

typedef struct carta_km_result {
    int conf_type;
    double conf_level;
    int ctype;
    double tau;             /* the horizon used for rmst */
    size_t n_curves;        /* = n_groups (1 when the data has no groups) */
    carta_km_curve *curves;
} carta_km_result;

/* Fills spec with the defaults above. */
void carta_km_spec_default(carta_km_spec *spec);

/* Checks the options (no data needed): CARTA_ECONFIG naming the field on a bad value. */
int carta_km_spec_check(const carta_km_spec *spec, carta_error *err);

/* Fits one Kaplan-Meier curve per group of d (d->group, d->n_groups; strata and cluster are
   ignored). With d->id, rows of one id are one subject, as R's survfit(..., id = id): the IJ
   variance (see CARTA_KM_VAR_AUTO; also chosen when an id has two or more events) clusters by
   id, and for (start, stop] data a censored row continued by the same id in the same group (next
   start = its stop) is not a censoring. d is borrowed. On success *out is a new result the caller frees with
   carta_km_result_free. Errors: CARTA_ECONFIG (spec),
   CARTA_EDATA naming the 1-based row (time or start not finite, start >= stop, negative or NaN
   weight, status not 0/1, group out of range), CARTA_ENOMEM. Zero weights are allowed (the row adds its time to the table and nothing else);
   a group with no rows gives a curve with n = 0, no table rows and NaN summaries. */
int carta_km_fit(const carta_km_spec *spec, const carta_surv_data *d, carta_km_result **out,
                 carta_error *err);

/* Starts a walk over the rows of curve `curve` (< r->n_curves) of r (borrowed; it must outlive
   the walk). Either table kind; nothing is allocated, so there is nothing to free. */
void carta_km_rows_begin(const carta_km_result *r, size_t curve, carta_km_rows *it);

/* Fills *row with the next row and returns 1, or returns 0 after the last row. With the compact
   table each row costs O(1) (the same arithmetic as the fit, so the values are identical to the
   full table's). */
int carta_km_rows_next(carta_km_rows *it, carta_km_row *row);

/* Frees a result and everything it owns. NULL is a no-op. */
void carta_km_result_free(carta_km_result *r);

#endif
