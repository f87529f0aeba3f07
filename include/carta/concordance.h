/* carta/concordance.h: Harrell's concordance and its infinitesimal-jackknife standard error, as R
   survival's concordance() / coxph()$concordance compute them (timewt = "n"). */
#ifndef CARTA_CONCORDANCE_H
#define CARTA_CONCORDANCE_H

#include <stddef.h>
#include <carta/error.h>

typedef struct carta_concordance_result {
    double c;          /* (concordant + tied.x / 2) / (concordant + discordant + tied.x) */
    double se;         /* infinitesimal jackknife standard error (R's sqrt(var)) */
    double counts[5];  /* weighted pairs: concordant, discordant, tied.x, tied.y, tied.xy */
} carta_concordance_result;

/* Concordance of a score with a (start, stop] or right-censored outcome within strata, in
   O(n log n) (Fenwick trees over the ranks of score). reverse = 1 when a larger score means a
   shorter survival (a risk score; R's reverse = TRUE, as coxph uses). start, weight, strata and
   cluster may be NULL (no delayed entry, unit weights, one stratum, each row its own cluster);
   the cluster ids (>= 0) group the jackknife terms as R's cluster argument does. All arrays are
   borrowed (n values each); n is at most UINT32_MAX (the sort carries 32-bit row numbers: a
   larger n fails with CARTA_EDATA before any array is read). The results do not depend on the order of the rows beyond
   the rounding of the final sums, and are the same to the bit from run to run. Errors:
   CARTA_EDATA naming the first bad row and its array: a time that is not finite, a start not
   finite or not before its time, a status other than 0 and 1, a NaN score (infinite scores are
   ranked), a weight that is not positive and finite, a negative stratum or cluster (R drops rows
   with NA; carta asks the caller to); CARTA_ENOMEM. No comparable pair is not an error: c and se
   are then NaN and CARTA_OK is returned. */
int carta_concordance(size_t n, const double *time, const double *start, const int *status,
                      const double *score, const double *weight, const int *strata,
                      const int *cluster, int reverse, carta_concordance_result *out,
                      carta_error *err);

#endif
