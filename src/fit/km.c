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
 * With weights that are not whole numbers R switches to the infinitesimal jackknife (IJ):
 * U_i[S](t) = U_i[S](t-)(1 - h) - S(t-) w_i (dN_i - Y_i h)/n, U_i[H] += w_i (dN_i - Y_i h)/n
 * (ctype 2: survfitkm's Fleming-Harrington terms), var = sum_i U_i^2. Every row still at risk
 * has the same influence per unit weight, so the sum is carried as moments in O(1) per time
 * (as in cif.c); std.err is then that of S itself (R's logse = FALSE).
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
}

int carta_km_spec_check(const carta_km_spec *spec, carta_error *err)
{
    carta_where at = { 0 };
    if (spec->conf_type < CARTA_KM_CONF_LOG || spec->conf_type > CARTA_KM_CONF_NONE) {
        at.field = "conf_type";
        return carta_error_set(err, CARTA_ECONFIG, &at, "%d is not a confidence interval type", spec->conf_type);
    }
    if (!(spec->conf_level > 0 && spec->conf_level < 1)) {
        at.field = "conf_level";
        return carta_error_set(err, CARTA_ECONFIG, &at, "%g is not in (0, 1)", spec->conf_level);
    }
    if (spec->variance < CARTA_KM_VAR_AUTO || spec->variance > CARTA_KM_VAR_IJ) {
        at.field = "variance";
        return carta_error_set(err, CARTA_ECONFIG, &at, "%d is not a variance type", spec->variance);
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

static void curve_free(carta_km_curve *c)
{
    carta_free(c->label);
    carta_free(c->time); /* one block holds all ten table arrays */
    carta_free(c->quantiles);
    carta_free(c->sum_time); /* one block holds all eight summary arrays */
}

void carta_km_result_free(carta_km_result *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->n_curves; i++) curve_free(&r->curves[i]);
    carta_free(r->curves);
    carta_free(r);
}

/* R's findq (survival:::findq) on x = (firstx, time), y = (0, 1 - curve): see the file comment.
   The knots are prepared once per curve (fq_prepare) and searched for each set of
   probabilities (fq_eval), because R calls findq separately for quantile(probs) and the median,
   and its "max(y) < min(p): all NA" rule depends on the set. */
typedef struct fq {
    /* knot j of the compacted (NaN-free) sequence that approx() searches */
    int fast;              /* 1: the knots are (0, 0) and rows a..b-1 of the curve itself */
    const double *time, *curve;
    size_t a, b;           /* fast path: rows [a, b) hold no NaN (virtual knots a+1..b) */
    const double *Xc, *Yc; /* slow path: copied knots after duplicated(y) without NaN */
    size_t kc;
    int sorted;
    int last_nan;          /* R's y[n] (last knot after duplicated(y)) is NA */
    double ylast, ymax, ymin, ytop, x0, xmax;
} fq;

static double fq_x(const fq *f, size_t j)
{
    if (!f->fast) return f->Xc[j];
    return j ? f->time[f->a + j - 1] : 0.0;
}

static double fq_y(const fq *f, size_t j)
{
    if (!f->fast) return f->Yc[j];
    return j ? 1 - f->curve[f->a + j - 1] : 0.0;
}

/* Prepares the knots of one curve. The estimate and, nearly always, the limit curves are
   monotone with NaN only in a leading or trailing block: then the curve is searched in place
   (duplicates need no removal, since a bisection finds a value's first occurrence). Otherwise
   the knots are copied into *scratch (4 (m + 1) doubles, allocated here on first need and freed
   by the caller). Returns CARTA_OK or CARTA_ENOMEM. */
static int fq_prepare(fq *f, const double *time, const double *curve, size_t m, double **scratch)
{
    memset(f, 0, sizeof *f);
    f->time = time; f->curve = curve;
    f->xmax = m ? time[m - 1] : 0.0;
    /* fast path check: NaN block, values, NaN block; values non-decreasing in 1 - curve */
    size_t i = 0;
    while (i < m && isnan(curve[i])) i++;
    size_t a = i;
    double prev = 0.0;
    int ok = 1;
    while (i < m && !isnan(curve[i])) {
        double y = 1 - curve[i];
        if (y < prev) { ok = 0; break; }
        prev = y;
        i++;
    }
    size_t b = i;
    if (ok) for (; i < m; i++) if (!isnan(curve[i])) { ok = 0; break; }
    if (ok) {
        f->fast = 1; f->a = a; f->b = b; f->kc = 1 + (b - a); f->sorted = 1;
        f->ymin = 0.0;
        f->ytop = f->ymax = (b > a) ? 1 - curve[b - 1] : 0.0;
        f->ylast = f->ytop;
        int any_nan = (a > 0) || (b < m);
        if (any_nan) {
            /* the first NaN (row a - 1 when there is a leading block, else row b) against the
               first occurrence of the last distinct value */
            size_t first_nan = (a > 0) ? 1 : b + 1; /* as a virtual knot index */
            size_t first_last = 0;                  /* knot 0 when the last value is 0 */
            if (f->ylast != 0.0) {
                size_t lo = a, hi = b;
                while (lo < hi) {
                    size_t mid = lo + (hi - lo) / 2;
                    if (1 - curve[mid] >= f->ylast) hi = mid; else lo = mid + 1;
                }
                first_last = lo + 1;
            }
            f->last_nan = first_nan > first_last;
        }
        return CARTA_OK;
    }
    /* slow path: R's duplicated(y) on a non-monotone curve */
    if (!*scratch && !(*scratch = carta_malloc(4 * (m + 1) * sizeof **scratch))) return CARTA_ENOMEM;
    double *X = *scratch, *Y = X + m + 1, *Xc = X + 2 * (m + 1), *Yc = X + 3 * (m + 1);
    size_t k = 0, kc = 0;
    int seen_nan = 0, sorted = 1;
    double ymax = -INFINITY;
    for (size_t v = 0; v <= m; v++) {
        double x = v ? time[v - 1] : 0.0, y = v ? 1 - curve[v - 1] : 0.0;
        if (isnan(y)) {
            if (seen_nan) continue;
            seen_nan = 1;
        } else {
            /* a repeat of the previous value; a non-adjacent repeat in a non-monotone limit
               curve (R would drop it too) is kept: exact equality there is practically absent */
            if (kc > 0 && Yc[kc - 1] == y) continue;
            if (y > ymax) ymax = y;
            if (kc > 0 && !(y > Yc[kc - 1])) sorted = 0;
            Xc[kc] = x; Yc[kc] = y; kc++;
        }
        X[k] = x; Y[k] = y; k++;
    }
    f->Xc = Xc; f->Yc = Yc; f->kc = kc; f->sorted = sorted; f->ymax = ymax;
    f->ymin = INFINITY; f->ytop = -INFINITY;
    for (size_t j = 0; j < kc; j++) {
        if (Yc[j] < f->ymin) f->ymin = Yc[j];
        if (Yc[j] > f->ytop) f->ytop = Yc[j];
    }
    f->last_nan = isnan(Y[k - 1]);
    f->ylast = Y[k - 1];
    return CARTA_OK;
}

static void fq_eval(const fq *f, const double *p, size_t np, double *out)
{
    const double tol = sqrt(2.220446049250313e-16);
    double pmin = INFINITY;
    for (size_t i = 0; i < np; i++) if (p[i] < pmin) pmin = p[i];
    if (f->ymax < pmin) { for (size_t i = 0; i < np; i++) out[i] = (double)NAN; return; }
    for (size_t i = 0; i < np; i++) {
        double pp = p[i];
        /* approx(y + tol, 1:k, p, "constant", f = 1): the knot at or just above p, i.e. the
           smallest y with y + tol >= p (i1), and with y - tol >= p (i2) */
        long i1 = -1, i2 = -1;
        for (int pass = 0; pass < 2; pass++) {
            double sh = pass ? -tol : tol;
            long *ix = pass ? &i2 : &i1;
            if (!(pp >= f->ymin + sh && pp <= f->ytop + sh)) continue;
            if (f->sorted) {
                size_t lo = 0, hi = f->kc; /* first j with y_j + sh >= pp */
                while (lo < hi) {
                    size_t mid = lo + (hi - lo) / 2;
                    if (fq_y(f, mid) + sh >= pp) hi = mid; else lo = mid + 1;
                }
                if (lo < f->kc) *ix = (long)lo;
            } else {
                for (size_t j = 0; j < f->kc; j++)
                    if (f->Yc[j] + sh >= pp && (*ix < 0 || f->Yc[j] < f->Yc[*ix])) *ix = (long)j;
            }
        }
        double q = (i1 >= 0 && i2 >= 0) ? (fq_x(f, (size_t)i1) + fq_x(f, (size_t)i2)) / 2 : (double)NAN;
        if (pp == 0) q = 0.0; /* x[1], the first knot: firstx = 0 */
        /* the last knot: a flat stretch at p that runs to the end ends at the last time */
        if (!f->last_nan && fabs(pp - f->ylast) < tol)
            q = (i1 >= 0) ? (fq_x(f, (size_t)i1) + f->xmax) / 2 : (double)NAN;
        out[i] = q;
    }
}

/* Counts distinct times of a cell. */
static int count_rows(const carta_survsort *s, size_t cell, size_t *rows)
{
    carta_survsort_cursor c;
    if (carta_survsort_cursor_init(s, cell, &c)) return CARTA_ENOMEM;
    size_t m = 0;
    uint64_t prev = 0;
    int first = 1;
    /* merge of the censored and event buckets, counting distinct keys */
    size_t a = c.pos[0], ae = s->off[cell * s->n_kinds + 1];
    size_t b = c.pos[1], be = s->off[cell * s->n_kinds + 2];
    while (a < ae || b < be) {
        uint64_t k;
        if (b >= be || (a < ae && s->key[a] <= s->key[b])) k = s->key[a++];
        else k = s->key[b++];
        if (first || k != prev) { m++; prev = k; first = 0; }
    }
    carta_survsort_cursor_free(&c);
    *rows = m;
    return CARTA_OK;
}

/* Table, quantiles, RMST and summary of one curve. */
static int fit_curve(const carta_km_spec *spec, const carta_survsort *s, size_t cell, double z,
                     double time0, double tau, int ij, carta_km_curve *cv)
{
    size_t m;
    int rc = CARTA_ENOMEM;
    carta_survsort_cursor c = { 0 };
    carta_survsort_tick t = { 0 };
    double *scratch = NULL, *qbuf = NULL;

    if (count_rows(s, cell, &m)) return CARTA_ENOMEM;
    cv->n = s->cell_n[cell];
    cv->n_rows = m;
    double *blk = carta_malloc((m ? m : 1) * 10 * sizeof *blk);
    if (!blk) return CARTA_ENOMEM;
    cv->time = blk; cv->n_risk = blk + m; cv->n_event = blk + 2 * m; cv->n_censor = blk + 3 * m;
    cv->surv = blk + 4 * m; cv->std_err = blk + 5 * m; cv->lower = blk + 6 * m; cv->upper = blk + 7 * m;
    cv->cumhaz = blk + 8 * m; cv->cumhaz_se = blk + 9 * m;
    if (carta_survsort_cursor_init(s, cell, &c) || carta_survsort_tick_init(s, &t)) goto done;

    double km = 1.0, v1 = 0.0, nelson = 0.0, v2 = 0.0, events = 0.0;
    /* IJ moments (see the file comment): per unit weight influence of a row still at risk on S
       (gs) and H (gh); sums of squares of the rows that left (ms, mh); sum w^2 at risk (w2) */
    double gs = 0.0, gh = 0.0, ms = 0.0, mh = 0.0, w2 = 0.0;
    if (ij) {
        size_t a = s->off[cell * s->n_kinds], b = s->off[(cell + 1) * s->n_kinds];
        if (s->w) for (size_t i = a; i < b; i++) w2 += s->w[i] * s->w[i];
        else w2 = (double)(b - a);
    }
    for (size_t j = 0; j < m; j++) {
        uint64_t k = carta_survsort_peek(s, &c);
        carta_survsort_at(s, &c, k, &t);
        double nrisk = t.n_risk, d1 = t.w[1], d0 = t.cnt[1];
        if (spec->ctype == 1) {
            if (d0 > 0 && d1 > 0) { nelson += d1 / nrisk; v2 += d1 / (nrisk * nrisk); }
        } else {
            for (double e = 0; e < d0; e++) {
                double dt = nrisk - e * d1 / d0;
                nelson += d1 / (d0 * dt);
                v2 += d1 / (d0 * dt * dt);
            }
        }
        double km_before = km; /* S(t-) */
        if (d0 > 0 && d1 > 0) {
            km *= (nrisk - d1) / nrisk;
            v1 += d1 / (nrisk * (nrisk - d1)); /* Inf when everyone left dies: R's std.err */
        }
        events += d1;
        double se = sqrt(v1);
        cv->time[j] = t.time; cv->n_risk[j] = nrisk; cv->n_event[j] = d1; cv->n_censor[j] = t.w[0];
        cv->surv[j] = km;
        cv->std_err[j] = km * se;
        cv->cumhaz[j] = nelson;
        cv->cumhaz_se[j] = sqrt(v2);
        if (ij) {
            double sm = km_before;
            double es = 0.0, eh = 0.0; /* extra influence of an event row, per unit weight */
            if (d0 > 0 && d1 > 0) {
                double haz = d1 / nrisk;
                ms *= (1 - haz) * (1 - haz);
                gs = gs * (1 - haz) + sm * haz / nrisk;
                es = -sm / nrisk;
                if (spec->ctype == 1) {
                    gh -= haz / nrisk;
                    eh = 1 / nrisk;
                } else { /* survfitkm's Fleming-Harrington influence */
                    double dt = 0.0, dt2 = 0.0, dt3 = 0.0, rest = nrisk - d1;
                    for (double e = d0; e > 0; e--) {
                        double frac = e / d0, bb = 1 / (rest + frac * d1);
                        dt += bb; dt2 += bb * bb * frac; dt3 += bb * bb;
                    }
                    dt /= d0;
                    if (d1 != d0) { dt2 *= d1 / d0; dt3 *= d1 / d0; }
                    gh -= dt3;
                    eh = dt + dt3 - dt2;
                }
            }
            /* rows leaving at t: censored carry w g, events w (g + e) */
            ms += t.w2[0] * gs * gs + t.w2[1] * (gs + es) * (gs + es);
            mh += t.w2[0] * gh * gh + t.w2[1] * (gh + eh) * (gh + eh);
            w2 -= t.w2[0] + t.w2[1];
            double vs = ms + w2 * gs * gs, vh = mh + w2 * gh * gh;
            cv->std_err[j] = sqrt(vs > 0 ? vs : 0.0);
            cv->cumhaz_se[j] = sqrt(vh > 0 ? vh : 0.0);
            /* R: logse = FALSE, the se of log S is se / S */
            se = (cv->std_err[j] == 0) ? 0.0 : cv->std_err[j] / km;
        }
        carta_survsort_confint(spec->conf_type, z, km, se, &cv->lower[j], &cv->upper[j]);
    }
    cv->events = events;

    /* quantiles and median */
    size_t np = spec->probs ? spec->n_probs : 3;
    const double *probs = spec->probs ? spec->probs : default_probs;
    qbuf = carta_malloc(3 * (np + 1) * sizeof *qbuf);
    cv->quantiles = carta_calloc(np ? np : 1, sizeof *cv->quantiles);
    if (!qbuf || !cv->quantiles) goto done;
    cv->n_quantiles = np;
    double *qv = qbuf, *ql = qv + np + 1, *qu = ql + np + 1;
    double half = 0.5, med[3];
    int has_ci = spec->conf_type != CARTA_KM_CONF_NONE;
    med[1] = med[2] = (double)NAN;
    {
        fq f;
        if (fq_prepare(&f, cv->time, cv->surv, m, &scratch)) goto done;
        fq_eval(&f, probs, np, qv);
        fq_eval(&f, &half, 1, &med[0]);
        if (has_ci) {
            if (fq_prepare(&f, cv->time, cv->lower, m, &scratch)) goto done;
            fq_eval(&f, probs, np, ql);
            fq_eval(&f, &half, 1, &med[1]);
            if (fq_prepare(&f, cv->time, cv->upper, m, &scratch)) goto done;
            fq_eval(&f, probs, np, qu);
            fq_eval(&f, &half, 1, &med[2]);
        }
    }
    for (size_t i = 0; i < np; i++) {
        cv->quantiles[i].p = probs[i];
        cv->quantiles[i].time = m ? qv[i] : (double)NAN;
        cv->quantiles[i].lower = (has_ci && m) ? ql[i] : (double)NAN;
        cv->quantiles[i].upper = (has_ci && m) ? qu[i] : (double)NAN;
    }
    cv->median = m ? med[0] : (double)NAN;
    cv->median_lower = m ? med[1] : (double)NAN;
    cv->median_upper = m ? med[2] : (double)NAN;

    /* RMST (survmean on survfit0): rows are the time0 row (unless the first time is time0) and
       the table; the area runs from time0 to tau; see the file comment. */
    if (m == 0) {
        cv->rmst = cv->rmst_se = (double)NAN;
    } else {
        int add0 = !(cv->time[0] == time0);
        double area = 0.0, prev_t = time0, prev_s = 1.0;
        size_t last = 0; /* rows (of fit0) with time <= tau */
        if (add0 && time0 <= tau) last = 1;
        for (size_t j = 0; j < m && cv->time[j] <= tau; j++) last = (size_t)add0 + j + 1;
        /* rectangles: row r spans (T_{r-1}, T_r] at height S_{r-1}; the last to tau */
        size_t nf = (size_t)add0 + m;
        double a_after = 0.0, var = 0.0;
        /* forward area */
        for (size_t r = 0; r < last; r++) {
            double tr = (add0 && r == 0) ? time0 : cv->time[r - (size_t)add0];
            double sr = (add0 && r == 0) ? 1.0 : cv->surv[r - (size_t)add0];
            area += (tr - prev_t) * prev_s;
            prev_t = tr; prev_s = sr;
        }
        if (last == 0) { prev_t = time0; prev_s = 1.0; }
        area += (tau - prev_t) * prev_s;
        cv->rmst = area + time0;
        /* backward: A for row r is the area from T_r to tau */
        double seg_end = tau;
        for (size_t r = last; r-- > 0;) {
            double tr = (add0 && r == 0) ? time0 : cv->time[r - (size_t)add0];
            double sr = (add0 && r == 0) ? 1.0 : cv->surv[r - (size_t)add0];
            a_after += (seg_end - tr) * sr;
            seg_end = tr;
            if (!(add0 && r == 0)) {
                size_t j = r - (size_t)add0;
                double nr = cv->n_risk[j], ne = cv->n_event[j];
                double hh = (nr - ne == 0) ? 0.0 : ne / (nr * (nr - ne));
                var += a_after * a_after * hh;
            }
        }
        (void)nf;
        cv->rmst_se = sqrt(var);
    }

    /* summary(fit, times =) on survfit0 */
    if (spec->n_times && m > 0) {
        size_t nt = spec->n_times;
        double *ts = carta_malloc(nt * sizeof *ts);
        if (!ts) goto done;
        memcpy(ts, spec->times, nt * sizeof *ts);
        for (size_t i = 1; i < nt; i++) { /* insertion sort: few times */
            double v = ts[i]; size_t j = i;
            while (j > 0 && ts[j - 1] > v) { ts[j] = ts[j - 1]; j--; }
            ts[j] = v;
        }
        double tmax = cv->time[m - 1];
        size_t ns = 0;
        for (size_t i = 0; i < nt; i++) if (ts[i] <= tmax) ns++;
        double *sb = carta_malloc((ns ? ns : 1) * 8 * sizeof *sb);
        if (!sb) { carta_free(ts); goto done; }
        cv->sum_time = sb; cv->sum_n_risk = sb + ns; cv->sum_n_event = sb + 2 * ns;
        cv->sum_n_censor = sb + 3 * ns; cv->sum_surv = sb + 4 * ns; cv->sum_std_err = sb + 5 * ns;
        cv->sum_lower = sb + 6 * ns; cv->sum_upper = sb + 7 * ns;
        cv->n_summary = ns;
        int add0 = !(cv->time[0] == time0);
        double cum_e = 0.0, cum_c = 0.0, prev_e = 0.0, prev_c = 0.0;
        size_t j = 0, o = 0;
        for (size_t i = 0; i < nt; i++) {
            double tt = ts[i];
            if (!(tt <= tmax)) continue;
            while (j < m && cv->time[j] <= tt) { cum_e += cv->n_event[j]; cum_c += cv->n_censor[j]; j++; }
            /* j = table rows with time <= t; the first row with time >= t gives n at risk */
            size_t jr = j;
            if (j > 0 && cv->time[j - 1] == tt) jr = j - 1;
            cv->sum_time[o] = tt;
            cv->sum_n_risk[o] = (jr < m) ? cv->n_risk[jr] : 0.0;
            cv->sum_n_event[o] = cum_e - prev_e;
            cv->sum_n_censor[o] = cum_c - prev_c;
            prev_e = cum_e; prev_c = cum_c;
            if (j == 0) { /* the time0 row (or the first row when it is at time0) */
                if (add0) {
                    cv->sum_surv[o] = 1.0; cv->sum_std_err[o] = 0.0;
                    cv->sum_lower[o] = cv->sum_upper[o] = has_ci ? 1.0 : (double)NAN;
                } else {
                    cv->sum_surv[o] = cv->surv[0]; cv->sum_std_err[o] = cv->std_err[0];
                    cv->sum_lower[o] = cv->lower[0]; cv->sum_upper[o] = cv->upper[0];
                }
            } else {
                cv->sum_surv[o] = cv->surv[j - 1]; cv->sum_std_err[o] = cv->std_err[j - 1];
                cv->sum_lower[o] = cv->lower[j - 1]; cv->sum_upper[o] = cv->upper[j - 1];
            }
            o++;
        }
        carta_free(ts);
    }
    rc = CARTA_OK;
done:
    carta_free(scratch);
    carta_free(qbuf);
    carta_survsort_cursor_free(&c);
    carta_survsort_tick_free(&t);
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
    if (spec->variance == CARTA_KM_VAR_IJ && d->start) {
        carta_where at = { .field = "variance" };
        return carta_error_set(err, CARTA_ECONFIG, &at, "the ij variance needs right-censored data (no start times)");
    }
    if ((rc = carta_survsort_build(d, 1, 0, 2, spec->timefix, &s, err))) return rc;
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
    /* R's survfit: weights that are not whole numbers switch to the infinitesimal jackknife
       (robust) variance, each row its own cluster; done here for right-censored data */
    int ij = 0;
    if (d->weight && !d->start && spec->variance != CARTA_KM_VAR_GREENWOOD)
        for (size_t i = 0; i < d->n && !ij; i++) ij = d->weight[i] != floor(d->weight[i]);
    if (spec->variance == CARTA_KM_VAR_IJ) ij = 1;

    for (size_t g = 0; g < s->n_groups; g++) {
        carta_km_curve *cv = &r->curves[g];
        char num[32];
        const char *lab = (d->group && d->group_labels) ? d->group_labels[g] : NULL;
        if (!lab) { snprintf(num, sizeof num, "%zu", g + 1); lab = num; }
        if (!(cv->label = carta_strdup(lab))) goto nomem;
        if (fit_curve(spec, s, g, z, tmin, r->tau, ij, cv)) goto nomem;
    }
    carta_survsort_free(s);
    *out = r;
    return CARTA_OK;
nomem:
    carta_survsort_free(s);
    carta_km_result_free(r);
    return carta_error_set(err, CARTA_ENOMEM, NULL, "km: no memory for %zu rows", d->n);
}
