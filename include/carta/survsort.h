/* carta/survsort.h: survival rows sorted once by time within (stratum, group, status) cells,
 * and a cursor that walks a cell's distinct times with its risk set. Shared by km.c, logrank.c and
 * cif.c (owner: the km helper). Internal to fit/; not part of the public estimator API. */
#ifndef CARTA_SURVSORT_H
#define CARTA_SURVSORT_H

#include <stddef.h>
#include <stdint.h>
#include <carta/error.h>
#include <carta/surv.h>

/* Stop times of all rows, bucketed by cell = stratum * n_groups + group and by kind = status
   (0 censored, k = event of cause k), each bucket sorted ascending (stable). Times are held as
   order-preserving 64-bit keys (carta_survsort_key); -0 is stored as +0. With timefix, times
   closer than sqrt(DBL_EPSILON) (absolutely, or relative to the mean distinct time) to the
   previous distinct time are merged into it, as R's aeqSurv (right-censored data only). The extra
   memory of the sort is one key per row, scratch for the largest bucket and, for the timefix,
   at most n/8 candidates of 24 bytes (beyond that a second merge applies the rule in place). */
typedef struct carta_survsort {
    size_t n_cells, n_groups, n_strata, n_kinds;
    size_t *off;        /* n_cells * n_kinds + 1 offsets into key / w */
    uint64_t *key;      /* n keys of stop times */
    double *w;          /* n weights aligned with key; NULL when the data is unweighted */
    size_t *eoff;       /* n_cells + 1 offsets into ekey / ew; NULL without start times */
    uint64_t *ekey;     /* entry (start) times, sorted within each cell */
    double *ew;
    size_t *cell_n;     /* rows per cell */
    double *cell_w;     /* weight per cell */
} carta_survsort;

/* What happened at one distinct time of a cell. Arrays have n_kinds entries (index 0 = censored). */
typedef struct carta_survsort_tick {
    uint64_t key;
    double time;
    double n_risk;      /* weighted: start < t <= stop */
    double *w;          /* weighted count of rows ending at t, by kind */
    double *cnt;        /* unweighted count of rows ending at t, by kind */
    double *w2;         /* sum of squared weights of rows ending at t, by kind */
} carta_survsort_tick;

/* A position in one cell. Owned by the caller; init with carta_survsort_cursor_init. */
typedef struct carta_survsort_cursor {
    size_t cell;
    size_t *pos;        /* n_kinds positions */
    size_t epos;
    double entered, exited;
} carta_survsort_cursor;

/* Maps a double to a key whose unsigned order is the order of the doubles, and back. */
uint64_t carta_survsort_key(double t);
double carta_survsort_time(uint64_t key);

/* Validates d and builds the sorted cells. use_groups / use_strata choose whether d->group /
   d->strata split the cells; n_kinds = 1 + number of event kinds (2 for ordinary survival).
   fix = 1 applies R's timefix (aeqSurv) to right-censored data; (start, stop] data is never
   changed. Errors: CARTA_EDATA naming the 1-based row (time or start not finite, start >= stop,
   weight negative or not finite, status outside 0..n_kinds-1, group or stratum out of range),
   CARTA_ENOMEM. On success *out is owned by the caller (carta_survsort_free). */
int carta_survsort_build(const carta_surv_data *d, int use_groups, int use_strata, size_t n_kinds,
                         int fix, carta_survsort **out, carta_error *err);
void carta_survsort_free(carta_survsort *s);

/* Cursor over one cell, and the tick buffer it fills (3 * n_kinds doubles, owned by caller). */
int  carta_survsort_cursor_init(const carta_survsort *s, size_t cell, carta_survsort_cursor *c);
void carta_survsort_cursor_free(carta_survsort_cursor *c);
int  carta_survsort_tick_init(const carta_survsort *s, carta_survsort_tick *t);
void carta_survsort_tick_free(carta_survsort_tick *t);

/* The key of the cell's next distinct stop time, or UINT64_MAX when the cell is exhausted. */
uint64_t carta_survsort_peek(const carta_survsort *s, const carta_survsort_cursor *c);

/* Moves the cursor to time key k (k >= every time consumed so far): fills t with the risk set at
   k and the rows whose stop time equals k (all zero when none), and consumes those rows. */
void carta_survsort_at(const carta_survsort *s, carta_survsort_cursor *c, uint64_t k,
                       carta_survsort_tick *t);

/* R's survfit_confint with logse = TRUE: limits of the estimate p (in [0, 1]) from se, the
   standard error of -log p (or of log p), for conf type CARTA_KM_CONF_* and z = the normal
   quantile. Undefined limits (log of 0, log-log at 0 or 1, ...) are NaN, as R's NA. */
void carta_survsort_confint(int type, double z, double p, double se, double *lo, double *hi);

/* Checks a curve's interval settings: conf_type one of CARTA_KM_CONF_*, conf_level in (0, 1).
   CARTA_ECONFIG naming the field. */
int carta_survsort_check_conf(int conf_type, double conf_level, carta_error *err);

/* First index of x[0..m-1] (ascending) greater than v (m when none). */
size_t carta_survsort_upper(const double *x, size_t m, double v);

/* A row's entry (exit = 0) or exit at time index j of a curve, for the infinitesimal jackknife
   clustered by subject (KM and Aalen-Johansen on (start, stop] data or with ids). */
typedef struct carta_survsort_event { int id; size_t j, row; int exit; } carta_survsort_event;

/* Fills ev (room for 2 d->n) with the entry and exit of every row of group g (every row when
   use_group is 0 or d->group is NULL) with non-zero weight, at their indices in the curve's
   times[0..m-1]: entry = first time after the row's start (0 without start), exit = the row's own
   time. With d->id the events are sorted by subject, time index, row, entry first; without ids
   every row is its own subject. Returns the number of events. */
size_t carta_survsort_subject_events(const carta_surv_data *d, int use_group, size_t g, const double *times,
                                     size_t m, carta_survsort_event *ev);

#endif
