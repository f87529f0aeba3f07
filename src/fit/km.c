/* km.c: Kaplan-Meier survival and Nelson-Aalen cumulative hazard, as R survival 3.5-3's survfit.
 *
 * At each distinct time t_j of a group (an event or a censoring), with weighted number at risk
 * n_j (rows with start < t_j <= stop) and weighted events d_j (e_j unweighted):
 *   S(t)      = prod_{t_j <= t} (1 - d_j / n_j)                   Kaplan & Meier (1958)
 *   var(-log S) = sum d_j / (n_j (n_j - d_j))                     Greenwood (1926); R's std.err^2
 *   H(t)      = sum d_j / n_j,  var H = sum d_j / n_j^2          Nelson (1972), Aalen (1978)
 *   ctype 2:  H += sum_{k=0}^{e_j-1} (d_j/e_j) / (n_j - k d_j/e_j), var likewise with squares
 *             (Fleming & Harrington 1984 tie correction; R's ctype = 2)
 * A step only happens when e_j > 0 and d_j > 0 (R's survfitkm). std_err of S is S * std.err.
 * With weights that are not whole numbers (or an id with two events) R switches to the
 * infinitesimal jackknife (IJ):
 * U_i[S](t) = U_i[S](t-)(1 - h) - S(t-) w_i (dN_i - Y_i h)/n, U_i[H] += w_i (dN_i - Y_i h)/n
 * (ctype 2: survfitkm's Fleming-Harrington terms), var = sum_i U_i^2. Every row still at risk
 * has the same influence per unit weight, so the sum is carried as moments in O(1) per time
 * (as in cif.c); std.err is then that of S itself (R's logse = FALSE). For (start, stop] data a
 * row entering at e has, while at risk, the influence G(t) - G(e) P(t)/P(e) (P = prod (1 - h)),
 * and a subject (id) x G(t) + y P(t) with x, y changing only at its rows' entries and exits, so
 * the sum over subjects is kept as three sums updated at those times (ij_counting; used for
 * (start, stop] data and for right-censored data with ids: R's survfit with id clusters by
 * subject, without id each row is its own cluster). For (start, stop] data with ids, a censored
 * row continued by the same id in the same group is no censoring (R's survflag).
 * Storage: per distinct time only the time and the counts are kept (unweighted counts as 1-, 2-
 * or 4-byte integers; sums of weights, squared weights and the (start, stop] risk set when they
 * cannot be derived); every other column is recomputed in time order by the same arithmetic
 * (eng_step), into arrays (the full table) or on demand (the compact table, carta_km_rows_next).
 * Quantiles, RMST and the summary at times are computed from that replay in one pass.
 * Limits (R's survfit_confint, z = Phi^-1(1 - (1 - level)/2), s = std.err of -log S):
 *   plain  S -/+ z s S (clipped to [0, 1]);  log  S exp(-/+ z s) (upper <= 1, NaN at S = 0);
 *   log-log exp(-exp(log(-log S) -/+ z s / log S)) (NaN at S = 0 or 1);
 *   logit  1 - 1/(1 + exp(logit S -/+ z s (1 + S/(1-S))));
 *   arcsin sin^2(asin sqrt S -/+ z s sqrt(S/(1-S)) / 2) (clipped to [0, pi/2]).
 * Quantiles as quantile.survfit (findq): the first time 1 - S reaches p; when 1 - S equals p
 * (within sqrt(eps)) over a flat stretch, the midpoint of the stretch (the last stretch ends at the
 * last time); limits from the same rule on the limit curves; unreached = NaN.
 * RMST as R's survmean on survfit0(fit): area under S from min(0, all times) to tau, and
 * var = sum_j A_j^2 d_j / (n_j (n_j - d_j)) with A_j the area from t_j to tau (0 when n_j = d_j).
 * Summary at times as summary.survfit(times =): S at the last time <= t, n at risk at the first
 * time >= t, events and censorings in (previous time, t]. */
#include <carta/km.h>
#include <carta/alloc.h>
#include <carta/survsort.h>

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static const double default_probs[3] = { 0.25, 0.5, 0.75 };

void carta_km_spec_default(carta_km_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->conf_type = CARTA_KM_CONF_LOG;
    spec->conf_level = 0.95;
    spec->ctype = 1;
    spec->probs = NULL;
    spec->n_probs = 0;
    spec->tau = (double)NAN;
    spec->timefix = 1;
    spec->table = CARTA_KM_TABLE_FULL;
}

int carta_km_spec_check(const carta_km_spec *spec, carta_error *err)
{
    carta_where at = { 0 };
    int rc = carta_survsort_check_conf(spec->conf_type, spec->conf_level, err);
    if (rc) return rc;
    if (spec->variance < CARTA_KM_VAR_AUTO || spec->variance > CARTA_KM_VAR_IJ) {
        at.field = "variance";
        return carta_error_set(err, CARTA_ECONFIG, &at, "%d is not a variance type", spec->variance);
    }
    if (spec->table != CARTA_KM_TABLE_FULL && spec->table != CARTA_KM_TABLE_COMPACT) {
        at.field = "table";
        return carta_error_set(err, CARTA_ECONFIG, &at, "%d is not a table kind", spec->table);
    }
    if (spec->ctype != 1 && spec->ctype != 2) {
        at.field = "ctype";
        return carta_error_set(err, CARTA_ECONFIG, &at, "%d is not 1 or 2", spec->ctype);
    }
    if (spec->n_probs && !spec->probs) {
        at.field = "probs";
        return carta_error_set(err, CARTA_ECONFIG, &at, "%zu probabilities but no array", spec->n_probs);
    }
    for (size_t i = 0; i < spec->n_probs; i++)
        if (!(spec->probs[i] >= 0 && spec->probs[i] <= 1)) {
            at.field = "probs";
            return carta_error_set(err, CARTA_ECONFIG, &at, "%g is not a probability in [0, 1]", spec->probs[i]);
        }
    if (!isnan(spec->tau) && !isfinite(spec->tau)) {
        at.field = "tau";
        return carta_error_set(err, CARTA_ECONFIG, &at, "tau must be finite");
    }
    if (spec->n_times && !spec->times) {
        at.field = "times";
        return carta_error_set(err, CARTA_ECONFIG, &at, "%zu times but no array", spec->n_times);
    }
    for (size_t i = 0; i < spec->n_times; i++)
        if (!isfinite(spec->times[i])) {
            at.field = "times";
            return carta_error_set(err, CARTA_ECONFIG, &at, "summary times must be finite");
        }
    return CARTA_OK;
}

/* ---- the per-time store: what cannot be derived (times and counts), and the replay that
   derives every other column from it in time order with the fit's own arithmetic. ---- */
struct carta_km_store {
    int width;              /* bytes per stored count: 1, 2 or 4 */
    void *ev, *ce;          /* unweighted data: events and censorings per time */
    void *ecnt;             /* weighted data: unweighted number of events per time */
    double *wev, *wce;      /* weighted data: sums of weights of events and censorings */
    double *w2e, *w2c;      /* weighted data with the IJ variance: sums of squared weights */
    double *nrisk;          /* (start, stop] data: n at risk (not derivable from the exits) */
    double *se_s, *se_h;    /* (start, stop] data with the IJ variance: standard errors */
    double cell_w, cell_w2; /* total weight and squared weight of the group */
    int ij, ctype, conf_type;
    double z;
};

static void store_free(struct carta_km_store *st)
{
    if (!st) return;
    carta_free(st->ev); carta_free(st->ce); carta_free(st->ecnt);
    carta_free(st->wev); carta_free(st->wce); carta_free(st->w2e); carta_free(st->w2c);
    carta_free(st->nrisk); carta_free(st->se_s); carta_free(st->se_h);
    carta_free(st);
}

static double cnt_get(const void *a, int width, size_t j)
{
    switch (width) {
    case 1: return (double)((const uint8_t *)a)[j];
    case 2: return (double)((const uint16_t *)a)[j];
    default: return (double)((const uint32_t *)a)[j];
    }
}

static void cnt_put(void *a, int width, size_t j, double v)
{
    switch (width) {
    case 1: ((uint8_t *)a)[j] = (uint8_t)v; break;
    case 2: ((uint16_t *)a)[j] = (uint16_t)v; break;
    default: ((uint32_t *)a)[j] = (uint32_t)v; break;
    }
}

static void curve_free(carta_km_curve *c)
{
    carta_free(c->label);
    carta_free(c->time);
    carta_free(c->n_risk); /* one block holds the nine derived columns (full table) */
    carta_free(c->quantiles);
    carta_free(c->sum_time); /* one block holds all eight summary arrays */
    store_free(c->store);
}

void carta_km_result_free(carta_km_result *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->n_curves; i++) curve_free(&r->curves[i]);
    carta_free(r->curves);
    carta_free(r);
}

/* Replay state: the running sums of the file comment. */
typedef struct eng {
    double km, v1, nelson, v2, gs, gh, ms, mh, w2, exited;
} eng;

/* survfitkm's Fleming-Harrington (ctype 2) influence terms at a time with d0 tied events of
   weight d1 among nrisk at risk: the decrement of the running H influence and the extra
   influence of an event row. */
static void fh_influence(double d0, double d1, double nrisk, double *dgh, double *eh)
{
    double dt = 0.0, dt2 = 0.0, dt3 = 0.0, rest = nrisk - d1;
    for (double k = d0; k > 0; k--) {
        double frac = k / d0, bb = 1 / (rest + frac * d1);
        dt += bb; dt2 += bb * bb * frac; dt3 += bb * bb;
    }
    dt /= d0;
    if (d1 != d0) { dt2 *= d1 / d0; dt3 *= d1 / d0; }
    *dgh = dt3;
    *eh = dt + dt3 - dt2;
}

static void eng_init(const struct carta_km_store *st, eng *e)
{
    memset(e, 0, sizeof *e);
    e->km = 1.0;
    e->w2 = st->cell_w2;
}

/* Row j of the table from the store: the fit's loop body (survsort adds the censored weight to
   the exits before the events', and so does the replay, so n at risk is bit-identical). */
static void eng_step(const carta_km_curve *cv, const struct carta_km_store *st, size_t j, eng *e,
                     carta_km_row *o)
{
    double nrisk, d1, d0, c1, w2e, w2c;
    if (st->wev) {
        d1 = st->wev[j]; c1 = st->wce[j]; d0 = cnt_get(st->ecnt, st->width, j);
        w2e = st->w2e ? st->w2e[j] : 0.0;
        w2c = st->w2c ? st->w2c[j] : 0.0;
    } else {
        d1 = d0 = w2e = cnt_get(st->ev, st->width, j);
        c1 = w2c = cnt_get(st->ce, st->width, j);
    }
    nrisk = st->nrisk ? st->nrisk[j] : st->cell_w - e->exited;
    e->exited += c1;
    e->exited += d1;
    if (st->ctype == 1) {
        if (d0 > 0 && d1 > 0) { e->nelson += d1 / nrisk; e->v2 += d1 / (nrisk * nrisk); }
    } else {
        for (double k = 0; k < d0; k++) {
            double dt = nrisk - k * d1 / d0;
            e->nelson += d1 / (d0 * dt);
            e->v2 += d1 / (d0 * dt * dt);
        }
    }
    double km_before = e->km; /* S(t-) */
    if (d0 > 0 && d1 > 0) {
        e->km *= (nrisk - d1) / nrisk;
        e->v1 += d1 / (nrisk * (nrisk - d1)); /* Inf when everyone left dies: R's std.err */
    }
    double km = e->km, se = sqrt(e->v1);
    o->time = cv->time[j]; o->n_risk = nrisk; o->n_event = d1; o->n_censor = c1;
    o->surv = km;
    o->std_err = km * se;
    o->cumhaz = e->nelson;
    o->cumhaz_se = sqrt(e->v2);
    if (st->se_s) {
        /* (start, stop] data with the IJ variance: computed per row by ij_counting */
        o->std_err = st->se_s[j];
        o->cumhaz_se = st->se_h[j];
        se = (o->std_err == 0) ? 0.0 : o->std_err / km;
    } else if (st->ij) {
        double sm = km_before;
        double es = 0.0, eh = 0.0; /* extra influence of an event row, per unit weight */
        if (d0 > 0 && d1 > 0) {
            double haz = d1 / nrisk;
            e->ms *= (1 - haz) * (1 - haz);
            e->gs = e->gs * (1 - haz) + sm * haz / nrisk;
            es = -sm / nrisk;
            if (st->ctype == 1) {
                e->gh -= haz / nrisk;
                eh = 1 / nrisk;
            } else { /* survfitkm's Fleming-Harrington influence */
                double dgh;
                fh_influence(d0, d1, nrisk, &dgh, &eh);
                e->gh -= dgh;
            }
        }
        /* rows leaving at t: censored carry w g, events w (g + e) */
        e->ms += w2c * e->gs * e->gs + w2e * (e->gs + es) * (e->gs + es);
        e->mh += w2c * e->gh * e->gh + w2e * (e->gh + eh) * (e->gh + eh);
        e->w2 -= w2c + w2e;
        double vs = e->ms + e->w2 * e->gs * e->gs, vh = e->mh + e->w2 * e->gh * e->gh;
        o->std_err = sqrt(vs > 0 ? vs : 0.0);
        o->cumhaz_se = sqrt(vh > 0 ? vh : 0.0);
        /* R: logse = FALSE, the se of log S is se / S */
        se = (o->std_err == 0) ? 0.0 : o->std_err / km;
    }
    carta_survsort_confint(st->conf_type, st->z, km, se, &o->lower, &o->upper);
}

void carta_km_rows_begin(const carta_km_result *r, size_t curve, carta_km_rows *it)
{
    memset(it, 0, sizeof *it);
    it->curve = &r->curves[curve];
    if (it->curve->store) {
        eng e;
        eng_init(it->curve->store, &e);
        it->km = e.km; it->w2 = e.w2;
    }
}

int carta_km_rows_next(carta_km_rows *it, carta_km_row *row)
{
    const carta_km_curve *cv = it->curve;
    size_t j = it->j;
    if (j >= cv->n_rows) return 0;
    if (cv->store) {
        eng e = { it->km, it->v1, it->nelson, it->v2, it->gs, it->gh, it->ms, it->mh, it->w2, it->exited };
        eng_step(cv, cv->store, j, &e, row);
        it->km = e.km; it->v1 = e.v1; it->nelson = e.nelson; it->v2 = e.v2; it->gs = e.gs;
        it->gh = e.gh; it->ms = e.ms; it->mh = e.mh; it->w2 = e.w2; it->exited = e.exited;
    } else {
        *row = (carta_km_row){ cv->time[j], cv->n_risk[j], cv->n_event[j], cv->n_censor[j], cv->surv[j],
                               cv->std_err[j], cv->lower[j], cv->upper[j], cv->cumhaz[j], cv->cumhaz_se[j] };
    }
    it->j = j + 1;
    return 1;
}

/* ---- R's findq (survival:::findq) on x = (0, time), y = (0, 1 - curve), in one pass over the
   rows (no copy of the curve). R drops NA knots except the first and values equal to the previous
   kept one (duplicated(y), adjacent in every monotone curve); approx(y + tol, 1:k, p, "constant",
   f = 1) then picks, for each p, the first knot of smallest y with y + tol >= p (i1), and with
   y - tol >= p (i2); the quantile is the midpoint of their x. Removing later repeats does not change
   which knot is first with the smallest y, so the pass keeps, per p and tolerance sign, the first
   knot of smallest qualifying y. The set of probabilities matters (max(y) < min(p): all NA), so
   quantile(probs) and the median are evaluated as two sets from the same pass. ---- */
typedef struct qacc {
    size_t np;              /* probabilities p[0..np-1] */
    const double *p;
    double *by, *bx;        /* 2 np: best y and its x per (p, sign); by = +Inf when none yet */
    double ymax, ymin, lastkept, xmax, prev;
    double thr;             /* while monotone: the smallest p - sign tol not yet reached */
    size_t v, lastkept_v, first_nan_v, nfound;
    int have_kept, any_nan, mono;
} qacc;

static void qacc_init(qacc *q, const double *p, size_t np, double *buf)
{
    memset(q, 0, sizeof *q);
    q->np = np; q->p = p; q->by = buf; q->bx = buf + 2 * np;
    for (size_t i = 0; i < 2 * np; i++) { q->by[i] = INFINITY; q->bx[i] = (double)NAN; }
    q->ymax = -INFINITY; q->ymin = INFINITY; q->mono = 1; q->prev = -INFINITY; q->thr = -INFINITY;
}

static void qacc_add(qacc *q, double x, double y)
{
    const double tol = 1.4901161193847656e-08; /* sqrt(.Machine$double.eps) */
    size_t v = q->v++;
    q->xmax = x;
    if (isnan(y)) {
        if (!q->any_nan) { q->any_nan = 1; q->first_nan_v = v; }
        return;
    }
    if (!q->have_kept || y != q->lastkept) { q->lastkept = y; q->lastkept_v = v; q->have_kept = 1; }
    if (y > q->ymax) q->ymax = y;
    if (y < q->ymin) q->ymin = y;
    if (y < q->prev) q->mono = 0;
    q->prev = y;
    /* while the curve is non-decreasing, a (p, sign) that has its knot keeps it, and one that has
       not gets it at the first y with y + sign tol >= p: nothing to do below that threshold */
    if (q->mono && y < q->thr) return;
    double thr = INFINITY;
    for (size_t i = 0; i < q->np; i++)
        for (int s = 0; s < 2; s++) {
            size_t k = 2 * i + (size_t)s;
            double sh = s ? -tol : tol;
            if (y + sh >= q->p[i] && y < q->by[k]) {
                if (isinf(q->by[k])) q->nfound++;
                q->by[k] = y; q->bx[k] = x;
            }
            /* (a margin far above rounding, so that y < thr surely means y + sh < p) */
            if (isinf(q->by[k]) && q->p[i] - sh - 1e-12 < thr) thr = q->p[i] - sh - 1e-12;
        }
    q->thr = thr;
}

/* Quantiles of the probabilities [lo, hi) of the pass (one R findq call); xmax is the last time
   (the end of the last flat stretch). */
static void qacc_eval(const qacc *q, size_t lo, size_t hi, double xmax, double *out)
{
    const double tol = 1.4901161193847656e-08;
    double pmin = INFINITY;
    for (size_t i = lo; i < hi; i++) if (q->p[i] < pmin) pmin = q->p[i];
    int last_nan = q->any_nan && q->first_nan_v > q->lastkept_v;
    for (size_t i = lo; i < hi; i++) {
        double pp = q->p[i];
        if (q->ymax < pmin) { out[i - lo] = (double)NAN; continue; }
        int ok1 = pp >= q->ymin + tol && pp <= q->ymax + tol && !isinf(q->by[2 * i]);
        int ok2 = pp >= q->ymin - tol && pp <= q->ymax - tol && !isinf(q->by[2 * i + 1]);
        double x1 = q->bx[2 * i], x2 = q->bx[2 * i + 1];
        double v = (ok1 && ok2) ? (x1 + x2) / 2 : (double)NAN;
        if (pp == 0) v = 0.0; /* x[1], the first knot: firstx = 0 */
        /* the last knot: a flat stretch at p that runs to the end ends at the last time */
        if (!last_nan && fabs(pp - q->lastkept) < tol) v = ok1 ? (x1 + xmax) / 2 : (double)NAN;
        out[i - lo] = v;
    }
}

/* Distinct times of a cell (a k-way merge of its kinds' buckets) and the largest number of rows
   of one kind at one time. */
static int count_rows(const carta_survsort *s, size_t cell, size_t *rows, size_t *maxc)
{
    size_t m = 0, mx = 0, nk = s->n_kinds;
    size_t pos[3], end[3]; /* KM has 2 kinds, or 3 with continued rows */
    for (size_t k = 0; k < nk; k++) {
        pos[k] = s->off[cell * nk + k];
        end[k] = s->off[cell * nk + k + 1];
    }
    for (;;) {
        uint64_t key = UINT64_MAX;
        int any = 0;
        for (size_t k = 0; k < nk; k++)
            if (pos[k] < end[k] && (!any || s->key[pos[k]] < key)) { key = s->key[pos[k]]; any = 1; }
        if (!any) break;
        for (size_t k = 0; k < nk; k++) {
            size_t c = 0;
            while (pos[k] < end[k] && s->key[pos[k]] == key) { pos[k]++; c++; }
            if (c > mx) mx = c;
        }
        m++;
    }
    *rows = m;
    *maxc = mx;
    return CARTA_OK;
}

/* Data with ids. For (start, stop] data, as R's survflag: a censored row followed, for the same
   id (and the same group), by a row that starts at its stop continues the subject and is not a
   censoring; returns a status copy with 2 for those rows (*st2 = NULL when there are none). Also
   whether some id has two or more events (R's default is then the robust variance, by id). */
typedef struct id_row { int id; double stop; size_t row; } id_row;

static int id_row_cmp(const void *x, const void *y)
{
    const id_row *a = x, *b = y;
    if (a->id != b->id) return a->id < b->id ? -1 : 1;
    if (a->stop != b->stop) return a->stop < b->stop ? -1 : 1;
    return a->row < b->row ? -1 : (a->row > b->row);
}

static int continued_rows(const carta_surv_data *d, int **st2, int *dup_events)
{
    size_t n = d->n;
    *st2 = NULL;
    *dup_events = 0;
    id_row *v = carta_malloc((n ? n : 1) * sizeof *v);
    if (!v) return CARTA_ENOMEM;
    for (size_t i = 0; i < n; i++) { v[i].id = d->id[i]; v[i].stop = d->time[i]; v[i].row = i; }
    qsort(v, n, sizeof *v, id_row_cmp);
    int *out = NULL;
    size_t run_events = 0; /* events so far in the current id's rows (adjacent in this order) */
    for (size_t i = 0; i < n; i++) {
        size_t r = v[i].row;
        if (i == 0 || v[i].id != v[i - 1].id) run_events = 0;
        if (d->status[r] == 1 && ++run_events == 2) *dup_events = 1;
        if (!d->start) continue; /* continuations are a (start, stop] notion */
        if (d->status[r] != 0 || i + 1 == n || v[i + 1].id != v[i].id) continue;
        if (d->time[r] < d->start[v[i + 1].row]) continue; /* a gap: the run ends here */
        /* moving to another group leaves this group's curve: a censoring there */
        if (d->group && d->group[r] != d->group[v[i + 1].row]) continue;
        if (!out) {
            if (!(out = carta_malloc((n ? n : 1) * sizeof *out))) { carta_free(v); return CARTA_ENOMEM; }
            memcpy(out, d->status, n * sizeof *out);
        }
        out[r] = 2;
    }
    carta_free(v);
    *st2 = out;
    return CARTA_OK;
}

/* Pass 1: the store of one group (times, counts) from the sorted rows. */
static int build_store(const carta_survsort *s, size_t cell, int ij, int start, const carta_km_spec *spec,
                       double z, carta_km_curve *cv)
{
    size_t m, mx;
    carta_survsort_cursor c = { 0 };
    carta_survsort_tick t = { 0 };
    count_rows(s, cell, &m, &mx);
    cv->n = s->cell_n[cell];
    cv->n_rows = m;
    struct carta_km_store *st = carta_calloc(1, sizeof *st);
    if (!st) return CARTA_ENOMEM;
    cv->store = st;
    st->width = mx <= UINT8_MAX ? 1 : (mx <= UINT16_MAX ? 2 : 4);
    st->ij = ij; st->ctype = spec->ctype; st->conf_type = spec->conf_type; st->z = z;
    st->cell_w = s->cell_w[cell];
    size_t mm = m ? m : 1, wb = mm * (size_t)st->width;
    if (!(cv->time = carta_malloc(mm * sizeof *cv->time))) return CARTA_ENOMEM;
    if (s->w) {
        if (!(st->wev = carta_malloc(mm * sizeof(double))) || !(st->wce = carta_malloc(mm * sizeof(double))) ||
            !(st->ecnt = carta_malloc(wb)))
            return CARTA_ENOMEM;
        if (ij && (!(st->w2e = carta_malloc(mm * sizeof(double))) || !(st->w2c = carta_malloc(mm * sizeof(double)))))
            return CARTA_ENOMEM;
    } else if (!(st->ev = carta_malloc(wb)) || !(st->ce = carta_malloc(wb))) {
        return CARTA_ENOMEM;
    }
    if (start && !(st->nrisk = carta_malloc(mm * sizeof(double)))) return CARTA_ENOMEM;
    if (ij) { /* sum of squared weights of the group, in the sorted order (as the fit always did) */
        size_t a = s->off[cell * s->n_kinds], b = s->off[(cell + 1) * s->n_kinds];
        if (s->w) for (size_t i = a; i < b; i++) st->cell_w2 += s->w[i] * s->w[i];
        else st->cell_w2 = (double)(b - a);
    }
    int rc = CARTA_ENOMEM;
    if (carta_survsort_cursor_init(s, cell, &c) || carta_survsort_tick_init(s, &t)) goto done;
    for (size_t j = 0; j < m; j++) {
        uint64_t k = carta_survsort_peek(s, &c);
        carta_survsort_at(s, &c, k, &t);
        cv->time[j] = t.time;
        if (s->w) {
            st->wev[j] = t.w[1]; st->wce[j] = t.w[0];
            cnt_put(st->ecnt, st->width, j, t.cnt[1]);
            if (st->w2e) { st->w2e[j] = t.w2[1]; st->w2c[j] = t.w2[0]; }
        } else {
            cnt_put(st->ev, st->width, j, t.cnt[1]);
            cnt_put(st->ce, st->width, j, t.cnt[0]);
        }
        if (st->nrisk) st->nrisk[j] = t.n_risk;
    }
    rc = CARTA_OK;
done:
    carta_survsort_cursor_free(&c);
    carta_survsort_tick_free(&t);
    return rc;
}

/* The IJ variance of S and H for (start, stop] data, or right-censored data with ids (R's
   robust variance: the default for non-integer weights, or for an id with several events),
   clustered by d->id when given (R's survfit with id) and otherwise each row its own cluster. A
   row entering at e has influence 0 until its first time > e; while it is at risk its influence
   per unit weight on S is G(t) - a P(t), with G the influence of a row at risk from the start
   (the right-censored recursion of the file comment), P(t) = prod (1 - h) and a = G(e) / P(e)
   (two solutions of one linear recursion differ by a multiple of P); on H it is GH(t) - GH(e).
   After it leaves at L its influence on S is u(L) P(t) / P(L), and that on H stays u_H(L). So a
   subject's influence is x G(t) + y P(t) on S and x GH(t) + z on H, with x the weight of its rows
   at risk and y, z constants that change only when one of its rows enters or leaves. The
   variance sum_i U_i^2 is then G^2 sum x^2 + 2 G P sum x y + P^2 sum y^2 (and likewise for H): the
   three sums are updated at each entry and exit time (rows found by bisection in the group's
   times): O(n log n). When h = 1 (P = 0) every row at risk leaves and every influence on S is 0
   from then on: P and G restart at 1 and 0, and so do the S terms of every subject (an epoch). */
static int ij_counting(const carta_surv_data *d, size_t g, int grouped, carta_km_curve *cv)
{
    struct carta_km_store *st = cv->store;
    size_t m = cv->n_rows, mm = m ? m : 1, nr = 0;
    double *blk = carta_calloc(13 * mm + 1, sizeof *blk);
    carta_survsort_event *ev = carta_malloc((d->n ? 2 * d->n : 1) * sizeof *ev);
    st->se_s = carta_malloc(mm * sizeof *st->se_s);
    st->se_h = carta_malloc(mm * sizeof *st->se_h);
    if (!blk || !ev || !st->se_s || !st->se_h) { carta_free(blk); carta_free(ev); return CARTA_ENOMEM; }
    double *GS = blk, *PP = GS + mm, *GH = PP + mm, *ES = GH + mm, *EH = ES + mm,
           *dXX = EH + mm, *dXY = dXX + mm, *dYY = dXY + mm, *dXZ = dYY + mm, *dZZ = dXZ + mm,
           *EP = dZZ + mm; /* EP: m + 1 epoch numbers (resets at indices < j) */
    /* forward: G, P, GH after each time, the extra influence of an event row, the hazard */
    double km = 1.0, G = 0.0, P = 1.0, gh = 0.0, exited = 0.0;
    EP[0] = 0.0;
    for (size_t j = 0; j < m; j++) {
        double nrisk, d1, d0, c1;
        if (st->wev) { d1 = st->wev[j]; c1 = st->wce[j]; d0 = cnt_get(st->ecnt, st->width, j); }
        else { d1 = d0 = cnt_get(st->ev, st->width, j); c1 = cnt_get(st->ce, st->width, j); }
        /* right-censored data (clustered by id): n at risk from the exits, as eng_step */
        nrisk = st->nrisk ? st->nrisk[j] : st->cell_w - exited;
        exited += c1;
        exited += d1;
        double sm = km, es = 0.0, eh = 0.0;
        if (d0 > 0 && d1 > 0) {
            double haz = d1 / nrisk;
            G = G * (1 - haz) + sm * haz / nrisk;
            P *= 1 - haz;
            es = -sm / nrisk;
            if (st->ctype == 1) {
                gh -= haz / nrisk;
                eh = 1 / nrisk;
            } else {
                double dgh;
                fh_influence(d0, d1, nrisk, &dgh, &eh);
                gh -= dgh;
            }
            km *= (nrisk - d1) / nrisk;
        }
        GS[j] = G; PP[j] = P; GH[j] = gh; ES[j] = es; EH[j] = eh;
        EP[j + 1] = EP[j] + (P == 0);
        if (P == 0) { G = 0.0; P = 1.0; }
    }
    nr = carta_survsort_subject_events(d, grouped, g, cv->time, m, ev);
    for (size_t r0 = 0; r0 < nr;) {
        size_t r1 = r0 + 1;
        while (r1 < nr && ev[r1].id == ev[r0].id) r1++;
        /* one subject's events in time order; (x, y, z) its current terms */
        double x = 0.0, y = 0.0, z = 0.0;
        size_t jstate = 0;
        for (size_t r = r0; r < r1; r++) {
            size_t i = ev[r].row, j = ev[r].j;
            double w = d->weight ? d->weight[i] : 1.0;
            if (EP[j] != EP[jstate]) y = 0.0; /* a restart since: its S terms are 0 */
            size_t je = d->start ? carta_survsort_upper(cv->time, m, d->start[i]) : 0;
            double Ge = 0.0, Pe = 1.0, b = 0.0;
            if (je > 0) {
                if (PP[je - 1] != 0) { Ge = GS[je - 1]; Pe = PP[je - 1]; }
                b = GH[je - 1];
            }
            double a = Ge / Pe, x1 = x, y1 = y, z1 = z;
            if (!ev[r].exit) { /* at risk: w (G - a P) on S, w (GH - b) on H */
                x1 += w; y1 -= w * a; z1 -= w * b;
            } else {             /* departed: w u(L) P(t)/P(L) on S, w u_H(L) on H */
                double e1 = d->status[i] == 1 ? 1.0 : 0.0;
                double us = GS[j] + e1 * ES[j] - a * PP[j];
                x1 -= w;
                y1 += w * a + (PP[j] != 0 ? w * us / PP[j] : 0.0);
                z1 += w * (GH[j] + e1 * EH[j]);
            }
            dXX[j] += x1 * x1 - x * x; dXY[j] += x1 * y1 - x * y; dYY[j] += y1 * y1 - y * y;
            dXZ[j] += x1 * z1 - x * z; dZZ[j] += z1 * z1 - z * z;
            x = x1; y = y1; z = z1;
            jstate = j;
        }
        r0 = r1;
    }
    /* sweep */
    double XX = 0.0, XY = 0.0, YY = 0.0, XZ = 0.0, ZZ = 0.0;
    for (size_t j = 0; j < m; j++) {
        XX += dXX[j]; XY += dXY[j]; YY += dYY[j]; XZ += dXZ[j]; ZZ += dZZ[j];
        double Gj = GS[j], Pj = PP[j], hj = GH[j];
        double vs = Gj * Gj * XX + 2 * Gj * Pj * XY + Pj * Pj * YY;
        double vh = hj * hj * XX + 2 * hj * XZ + ZZ;
        st->se_s[j] = sqrt(vs > 0 ? vs : 0.0);
        st->se_h[j] = sqrt(vh > 0 ? vh : 0.0);
        if (Pj == 0) XY = YY = 0.0; /* a restart: every influence on S is 0 */
    }
    carta_free(ev);
    carta_free(blk);
    return CARTA_OK;
}

/* Pass 2: every column in time order (into the full table, or only streamed), quantiles, RMST
   and the summary at requested times. */
static int finish_curve(const carta_km_spec *spec, carta_km_curve *cv, double time0, double tau)
{
    const struct carta_km_store *st = cv->store;
    size_t m = cv->n_rows, mm = m ? m : 1;
    int full = spec->table == CARTA_KM_TABLE_FULL;
    int has_ci = spec->conf_type != CARTA_KM_CONF_NONE;
    size_t np = spec->probs ? spec->n_probs : 3;
    const double *probs = spec->probs ? spec->probs : default_probs;
    double *pall = NULL, *qbuf = NULL, *ts = NULL;
    int rc = CARTA_ENOMEM;

    if (full) {
        double *blk = carta_malloc(mm * 9 * sizeof *blk);
        if (!blk) return CARTA_ENOMEM;
        cv->n_risk = blk; cv->n_event = blk + m; cv->n_censor = blk + 2 * m; cv->surv = blk + 3 * m;
        cv->std_err = blk + 4 * m; cv->lower = blk + 5 * m; cv->upper = blk + 6 * m;
        cv->cumhaz = blk + 7 * m; cv->cumhaz_se = blk + 8 * m;
    }
    /* quantiles: the probabilities and 0.5 (the median), for the estimate and both limits */
    pall = carta_malloc((np + 1) * sizeof *pall);
    qbuf = carta_malloc(3 * 4 * (np + 1) * sizeof *qbuf);
    cv->quantiles = carta_calloc(np ? np : 1, sizeof *cv->quantiles);
    if (!pall || !qbuf || !cv->quantiles) goto done;
    cv->n_quantiles = np;
    if (np) memcpy(pall, probs, np * sizeof *pall);
    pall[np] = 0.5;
    qacc qa[3];
    for (int c = 0; c < 3; c++) {
        qacc_init(&qa[c], pall, np + 1, qbuf + (size_t)c * 4 * (np + 1));
        qacc_add(&qa[c], 0.0, 0.0);
    }

    /* summary(fit, times =): requested times sorted; those after the last time left out */
    size_t nt = (spec->n_times && m > 0) ? spec->n_times : 0, ns = 0;
    if (nt) {
        if (!(ts = carta_malloc(nt * sizeof *ts))) goto done;
        memcpy(ts, spec->times, nt * sizeof *ts);
        for (size_t i = 1; i < nt; i++) { /* insertion sort: few times */
            double v = ts[i]; size_t j = i;
            while (j > 0 && ts[j - 1] > v) { ts[j] = ts[j - 1]; j--; }
            ts[j] = v;
        }
        for (size_t i = 0; i < nt; i++) if (ts[i] <= cv->time[m - 1]) ns++;
        double *sb = carta_malloc((ns ? ns : 1) * 8 * sizeof *sb);
        if (!sb) goto done;
        cv->sum_time = sb; cv->sum_n_risk = sb + ns; cv->sum_n_event = sb + 2 * ns;
        cv->sum_n_censor = sb + 3 * ns; cv->sum_surv = sb + 4 * ns; cv->sum_std_err = sb + 5 * ns;
        cv->sum_lower = sb + 6 * ns; cv->sum_upper = sb + 7 * ns;
        cv->n_summary = ns;
    }
    int add0 = m > 0 && !(cv->time[0] == time0);
    double tmax = m ? cv->time[m - 1] : 0.0;
    double cum_e = 0.0, cum_c = 0.0, prev_e = 0.0, prev_c = 0.0;
    size_t ti = 0, o = 0;
    carta_km_row prev = { 0 }, row;
    int have_prev = 0;
    /* RMST (survmean on survfit0): the area from time0 to tau; the time0 row is S = 1 */
    double area = 0.0, prev_t = time0, prev_s = 1.0, events = 0.0;

    eng e;
    eng_init(st, &e);
    for (size_t j = 0; j < m; j++) {
        eng_step(cv, st, j, &e, &row);
        events += row.n_event;
        if (full) {
            cv->n_risk[j] = row.n_risk; cv->n_event[j] = row.n_event; cv->n_censor[j] = row.n_censor;
            cv->surv[j] = row.surv; cv->std_err[j] = row.std_err; cv->lower[j] = row.lower;
            cv->upper[j] = row.upper; cv->cumhaz[j] = row.cumhaz; cv->cumhaz_se[j] = row.cumhaz_se;
        }
        qacc_add(&qa[0], row.time, 1 - row.surv);
        if (has_ci) {
            qacc_add(&qa[1], row.time, 1 - row.lower);
            qacc_add(&qa[2], row.time, 1 - row.upper);
        }
        if (row.time <= tau) {
            area += (row.time - prev_t) * prev_s;
            prev_t = row.time; prev_s = row.surv;
        }
        /* requested times before this row: S of the previous row (1 before the first, unless the
           first row is at time0), n at risk at the first row >= t, counts since the last one */
        while (ti < nt && ts[ti] < row.time) {
            double tt = ts[ti++];
            cv->sum_time[o] = tt;
            cv->sum_n_risk[o] = (have_prev && prev.time == tt) ? prev.n_risk : row.n_risk;
            cv->sum_n_event[o] = cum_e - prev_e;
            cv->sum_n_censor[o] = cum_c - prev_c;
            prev_e = cum_e; prev_c = cum_c;
            const carta_km_row *src = have_prev ? &prev : &row;
            if (!have_prev && add0) {
                cv->sum_surv[o] = 1.0; cv->sum_std_err[o] = 0.0;
                cv->sum_lower[o] = cv->sum_upper[o] = has_ci ? 1.0 : (double)NAN;
            } else {
                cv->sum_surv[o] = src->surv; cv->sum_std_err[o] = src->std_err;
                cv->sum_lower[o] = src->lower; cv->sum_upper[o] = src->upper;
            }
            o++;
        }
        cum_e += row.n_event; cum_c += row.n_censor;
        prev = row;
        have_prev = 1;
    }
    for (; ti < nt; ti++) { /* times at the last time (later ones are left out) */
        double tt = ts[ti];
        if (!(tt <= tmax)) continue;
        cv->sum_time[o] = tt;
        cv->sum_n_risk[o] = prev.n_risk;
        cv->sum_n_event[o] = cum_e - prev_e;
        cv->sum_n_censor[o] = cum_c - prev_c;
        prev_e = cum_e; prev_c = cum_c;
        cv->sum_surv[o] = prev.surv; cv->sum_std_err[o] = prev.std_err;
        cv->sum_lower[o] = prev.lower; cv->sum_upper[o] = prev.upper;
        o++;
    }
    cv->events = events;

    double med[3];
    {
        double *out = carta_malloc(3 * (np + 1) * sizeof *out);
        if (!out) goto done;
        for (int c = 0; c < 3; c++) {
            if (c > 0 && !has_ci) {
                for (size_t i = 0; i <= np; i++) out[(size_t)c * (np + 1) + i] = (double)NAN;
                continue;
            }
            qacc_eval(&qa[c], 0, np, tmax, out + (size_t)c * (np + 1));
            qacc_eval(&qa[c], np, np + 1, tmax, out + (size_t)c * (np + 1) + np);
        }
        for (size_t i = 0; i < np; i++) {
            cv->quantiles[i].p = probs[i];
            cv->quantiles[i].time = m ? out[i] : (double)NAN;
            cv->quantiles[i].lower = m ? out[(np + 1) + i] : (double)NAN;
            cv->quantiles[i].upper = m ? out[2 * (np + 1) + i] : (double)NAN;
        }
        for (int c = 0; c < 3; c++) med[c] = m ? out[(size_t)c * (np + 1) + np] : (double)NAN;
        carta_free(out);
    }
    cv->median = med[0];
    cv->median_lower = med[1];
    cv->median_upper = med[2];

    /* RMST and its variance sum_j A_j^2 d_j / (n_j (n_j - d_j)) with A_j = area - R(t_j), R the
       area from time0 to t_j: a second replay of S (no limits) over the rows up to tau */
    if (m == 0) {
        cv->rmst = cv->rmst_se = (double)NAN;
    } else {
        area += (tau - prev_t) * prev_s;
        cv->rmst = area + time0;
        double var = 0.0, R = 0.0, pt = time0, ps = 1.0, km = 1.0, exited = 0.0;
        for (size_t j = 0; j < m && cv->time[j] <= tau; j++) {
            double nr, ne, d0, c1;
            if (st->wev) { ne = st->wev[j]; c1 = st->wce[j]; d0 = cnt_get(st->ecnt, st->width, j); }
            else { ne = d0 = cnt_get(st->ev, st->width, j); c1 = cnt_get(st->ce, st->width, j); }
            nr = st->nrisk ? st->nrisk[j] : st->cell_w - exited;
            exited += c1;
            exited += ne;
            R += (cv->time[j] - pt) * ps;
            if (d0 > 0 && ne > 0) km *= (nr - ne) / nr;
            pt = cv->time[j]; ps = km;
            double A = area - R, hh = (nr - ne == 0) ? 0.0 : ne / (nr * (nr - ne));
            var += A * A * hh;
        }
        cv->rmst_se = sqrt(var);
    }
    rc = CARTA_OK;
done:
    carta_free(pall);
    carta_free(qbuf);
    carta_free(ts);
    return rc;
}

int carta_km_fit(const carta_km_spec *spec, const carta_surv_data *d, carta_km_result **out,
                 carta_error *err)
{
    carta_km_result *r = NULL;
    carta_survsort *s = NULL;
    int rc;

    *out = NULL;
    if ((rc = carta_km_spec_check(spec, err))) return rc;
    /* (start, stop] rows with ids: continued rows are exits but not censorings (kind 2) */
    int *st2 = NULL, dup_events = 0;
    carta_surv_data dd = *d;
    if (d->id) {
        /* a status other than 0/1 would pass as kind 2 below: the plain build names its row */
        for (size_t i = 0; i < d->n; i++)
            if (d->status[i] < 0 || d->status[i] > 1) {
                rc = carta_survsort_build(d, 1, 0, 2, 0, &s, err);
                carta_survsort_free(s);
                return rc ? rc : carta_error_set(err, CARTA_EDATA, NULL, "km: status is not 0 or 1");
            }
        if (continued_rows(d, &st2, &dup_events))
            return carta_error_set(err, CARTA_ENOMEM, NULL, "km: no memory for %zu rows", d->n);
        if (st2) dd.status = st2;
    }
    rc = carta_survsort_build(&dd, 1, 0, st2 ? 3 : 2, spec->timefix, &s, err);
    carta_free(st2);
    if (rc) return rc;
    r = carta_calloc(1, sizeof *r);
    if (!r) goto nomem;
    r->conf_type = spec->conf_type;
    r->conf_level = spec->conf_level;
    r->ctype = spec->ctype;
    r->curves = carta_calloc(s->n_groups, sizeof *r->curves);
    if (!r->curves) goto nomem;
    r->n_curves = s->n_groups;

    /* survfit0's start and the default tau span every group */
    double tmin = 0.0, tmax = -INFINITY;
    for (size_t i = 0; i < d->n; i++) {
        if (d->time[i] < tmin) tmin = d->time[i];
        if (d->time[i] > tmax) tmax = d->time[i];
    }
    r->tau = isnan(spec->tau) ? tmax : spec->tau;
    double z = gsl_cdf_ugaussian_Pinv(1 - (1 - spec->conf_level) / 2);
    /* R's survfit: weights that are not whole numbers (or an id with two events) switch to the
       infinitesimal jackknife (robust) variance: clustered by id for (start, stop] data with
       ids, otherwise each row its own cluster */
    int ij = 0;
    if (d->weight && spec->variance != CARTA_KM_VAR_GREENWOOD)
        for (size_t i = 0; i < d->n && !ij; i++) ij = d->weight[i] != floor(d->weight[i]);
    if (dup_events && spec->variance != CARTA_KM_VAR_GREENWOOD) ij = 1; /* an id with two events */
    if (spec->variance == CARTA_KM_VAR_IJ) ij = 1;

    /* pass 1: every group's store while the sorted rows exist; then they are freed */
    for (size_t g = 0; g < s->n_groups; g++) {
        carta_km_curve *cv = &r->curves[g];
        char num[32];
        const char *lab = (d->group && d->group_labels) ? d->group_labels[g] : NULL;
        if (!lab) { snprintf(num, sizeof num, "%zu", g + 1); lab = num; }
        if (!(cv->label = carta_strdup(lab))) goto nomem;
        if (build_store(s, g, ij, d->start != NULL, spec, z, cv)) goto nomem;
    }
    carta_survsort_free(s);
    s = NULL;
    for (size_t g = 0; g < r->n_curves; g++) {
        carta_km_curve *cv = &r->curves[g];
        /* (start, stop] data, or right-censored data clustered by id: per-subject terms */
        if (ij && (d->start || d->id) && ij_counting(d, g, d->group != NULL, cv)) goto nomem;
        if (finish_curve(spec, cv, tmin, r->tau)) goto nomem;
        if (spec->table == CARTA_KM_TABLE_FULL) { store_free(cv->store); cv->store = NULL; }
    }
    *out = r;
    return CARTA_OK;
nomem:
    carta_survsort_free(s);
    carta_km_result_free(r);
    return carta_error_set(err, CARTA_ENOMEM, NULL, "km: no memory for %zu rows", d->n);
}
