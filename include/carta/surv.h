/* carta/surv.h: the outcome data every survival estimator reads (made by the cohort stage). */
#ifndef CARTA_SURV_H
#define CARTA_SURV_H

#include <stddef.h>

/* Survival outcome for n subjects (or n (start, stop] rows). All arrays are borrowed: the
   estimators read them for the length of a call and never keep them. Rows need not be sorted. */
typedef struct carta_surv_data {
    size_t n;
    const double *time;   /* exit (stop) time, finite */
    const double *start;  /* entry time for (start, stop] data; NULL = all enter at -inf */
    const int *status;    /* 0 = censored; 1 = event; for competing risks 1..n_causes names the cause */
    size_t n_causes;      /* competing risks: number of causes (0 or 1 = ordinary survival) */
    const char *const *cause_labels; /* n_causes labels of causes 1..n_causes (NULL = "1", "2", ...) */
    const double *weight; /* case weights, > 0; NULL = all 1 */
    const int *group;     /* group of each row for `by` / k-sample tests, 0..n_groups-1; NULL = one group */
    size_t n_groups;
    const char *const *group_labels; /* n_groups labels, "sex=1" style; NULL = none */
    const int *strata;    /* stratum of each row, 0..n_strata-1; NULL = one stratum */
    size_t n_strata;
    const char *const *strata_labels;
    const int *cluster;   /* cluster id of each row for robust variances; NULL = each row its own */
    size_t n_clusters;
    const int *id;        /* subject id for (start, stop] data with several rows per subject; NULL */
} carta_surv_data;

#endif
