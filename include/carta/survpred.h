/* carta/survpred.h: survival curves S(t | x) of boosted survival models, which xgboost does not
   give: a baseline cumulative hazard estimated from a survival:cox model's margins (saved beside
   the model at `carta run`), and the closed-form survival function of a survival:aft model. */
#ifndef CARTA_SURVPRED_H
#define CARTA_SURVPRED_H

#include <stddef.h>
#include <stdio.h>
#include <carta/error.h>

typedef enum carta_survpred_ties {
    CARTA_SURVPRED_BRESLOW, /* dH(t) = d(t) / sum_{risk set} exp(lp) */
    CARTA_SURVPRED_EFRON    /* Efron's tie correction, as survfit.coxph with ties = "efron" */
} carta_survpred_ties;

/* A baseline cumulative hazard H0(t) at lp = 0: a right-continuous step function over the
   distinct observed times (events and censorings, ascending, as R's survfit lists them). */
typedef struct carta_survpred_baseline {
    size_t n;               /* distinct times */
    double *time;           /* ascending */
    double *n_risk;         /* subjects with time >= time[k] */
    double *n_event;        /* events at time[k] */
    double *cumhaz;         /* H0(time[k]) */
} carta_survpred_baseline;

/* The baseline cumulative hazard of a proportional-hazards score: time (finite, >= 0), status
   (0 censored, 1 event) and lp (the linear predictor or boosted margin, finite) for n >= 1 rows,
   all borrowed. Equals R's survfit(coxph(Surv(time, status) ~ offset(lp), ties = ties),
   newdata = data.frame(lp = 0))$cumhaz. Errors: CARTA_EDATA naming the (1-based) row of a bad
   value, CARTA_EUSAGE for n = 0, CARTA_ENOMEM. *out (free with carta_survpred_baseline_free)
   is set only on success. */
int carta_survpred_breslow(const double *time, const int *status, const double *lp, size_t n,
                           carta_survpred_ties ties, carta_survpred_baseline **out, carta_error *err);

void carta_survpred_baseline_free(carta_survpred_baseline *b);

/* H0(t): the cumulative hazard at the last time <= t, 0 before the first time, NaN for NaN t. */
double carta_survpred_cumhaz_at(const carta_survpred_baseline *b, double t);

/* Writes b as CSV: header `time,n_risk,n_event,cumhaz`, one row per time, numbers as the
   shortest text that reads back to the same double. CARTA_EIO when fp reports an error. */
int carta_survpred_write_csv(const carta_survpred_baseline *b, FILE *fp, carta_error *err);

/* Reads the CSV written by carta_survpred_write_csv (text of len bytes; shown names it in
   messages). Errors: CARTA_EDATA naming the line (wrong header, a bad number, times not
   ascending, a negative or decreasing cumulative hazard), CARTA_ENOMEM. */
int carta_survpred_read_csv(const char *text, size_t len, const char *shown, carta_survpred_baseline **out,
                            carta_error *err);

typedef enum carta_survpred_aft_dist {
    CARTA_SURVPRED_AFT_NORMAL,
    CARTA_SURVPRED_AFT_LOGISTIC,
    CARTA_SURVPRED_AFT_EXTREME
} carta_survpred_aft_dist;

/* xgboost's aft_loss_distribution name ("normal", "logistic", "extreme") into *dist;
   CARTA_EDATA for another name. */
int carta_survpred_aft_dist_parse(const char *name, carta_survpred_aft_dist *dist, carta_error *err);

/* S(t) of a survival:aft model: log T = margin + sigma Z, so S(t) = 1 - F((log t - margin) / sigma)
   with F the standard normal, standard logistic or minimum extreme-value cdf 1 - exp(-exp(z)).
   S(0) = 1; NaN for t < 0, NaN t or margin, or sigma <= 0. */
double carta_survpred_aft(carta_survpred_aft_dist dist, double sigma, double margin, double t);

#endif
