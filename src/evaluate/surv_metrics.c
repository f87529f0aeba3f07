/* IPCW survival metrics and the remaining binary metrics. Formulas (../shared/domain/metrics.md):
 *
 * Censoring distribution ("reverse" KM, events leave the risk set first at tied times; sksurv
 * and prodlim): G(t) = prod_{t_k <= t} (1 - c_k / (n_k - d_k)), n_k = #{T >= t_k}, d_k events
 * and c_k censorings at t_k. G(t-) is the product over t_k < t.
 * Weight at a subject's own time T_i*: G(T_i-) in R survival concordance(timewt = "n/G2"), pec,
 * riskRegression, timeROC (our default); G(T_i) in scikit-survival (the switch).
 * Uno's C (Uno et al., Stat Med 2011;30:1105): sum_i d_i w_i sum_{j comparable} [1(r_i > r_j) +
 * 1/2 1(r_i = r_j)] / sum_i d_i w_i #{j comparable}, w_i = G(T_i*)^-2, 0 past tau (R keeps
 * T_i <= tau as concordance(ymax = tau); sksurv T_i < tau). Comparable: T_j > T_i or (T_j = T_i,
 * j censored). Fenwick tree over risk ranks, times descending (metrics.md section 6).
 * Cumulative/dynamic AUC (Heagerty et al. 2000; Uno et al. 2007; Hung & Chiang 2010): cases
 * T_i <= t with an event, weight 1/G(T_i*); controls T_j > t; AUC = sum_{case, control} w_i
 * [1(r_i > r_j) + 1/2 1(r_i = r_j)] / (sum_case w_i #controls). Summary AUC as sksurv mean_auc.
 * IPCW Brier (Graf et al., Stat Med 1999;18:2529): BS(t) = (1/n) sum_i [1(T_i <= t, event)
 * S_i(t)^2 / G(T_i*) + 1(T_i > t) (1 - S_i(t))^2 / G(t)]. IBS: sksurv's trapezoid or pec's
 * left Riemann sum (pec:::Dint).
 * Calibration at a horizon: KM within groups of predicted risk (Greenwood variance, log-scale
 * interval as R survfit's default).
 * lowess: Cleveland (JASA 1979;74:829), following R's clowess (stats/src/lowess.c) step for
 * step: tricube weights on the ns = max(2, min(n, floor(f n + 1e-7))) nearest points, weighted
 * linear fit, interpolation across points within delta, bisquare robustness weights from
 * 6 * median |residual|.
 * ICI, E50, E90, Emax: Austin & Steyerberg (Stat Med 2019;38:4051). Net benefit: Vickers & Elkin
 * (Med Decis Making 2006;26:565), treated when p >= pt as Vickers' dca. */
#include <carta/survmetrics.h>

#include <carta/alloc.h>

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct keyed {
    double v;
    size_t i;
} keyed;

/* Ascending by value, then by index: a stable order (R's order()). */
static int by_key(const void *a, const void *b)
{
    double x = ((const keyed *)a)->v, y = ((const keyed *)b)->v;
    if (x < y) return -1;
    if (x > y) return 1;
    size_t i = ((const keyed *)a)->i, j = ((const keyed *)b)->i;
    return (i > j) - (i < j);
}

/* A newly allocated stable ordering of v[0..n) (values and indices), or NULL. */
static keyed *sorted(const double *v, size_t n)
{
    keyed *s = carta_malloc((n ? n : 1) * sizeof *s);
    if (!s) return NULL;
    for (size_t i = 0; i < n; i++) s[i] = (keyed){ v[i], i };
    qsort(s, n, sizeof *s, by_key);
    return s;
}

static int check_outcomes(const char *what, size_t n, const double *time, const int *status, carta_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(time[i]))
            return carta_error_set(err, CARTA_EDATA, &(carta_where){ .row = (long)i + 1 }, "%s: time is not finite", what);
        if (status[i] != 0 && status[i] != 1)
            return carta_error_set(err, CARTA_EDATA, &(carta_where){ .row = (long)i + 1 },
                                   "%s: status must be 0 (censored) or 1 (event), got %d", what, status[i]);
    }
    return CARTA_OK;
}

static const carta_metric no_ci = { NAN, NAN, NAN, NAN };

/* ---- Censoring distribution ---- */

int carta_censoring_fit(size_t n, const double *time, const int *status, carta_censoring **out, carta_error *err)
{
    if (n == 0) return carta_error_set(err, CARTA_ENUMERIC, NULL, "censoring distribution: no subjects");
    int rc = check_outcomes("censoring distribution", n, time, status, err);
    if (rc) return rc;
    keyed *s = sorted(time, n);
    carta_censoring *g = carta_calloc(1, sizeof *g);
    double *t = carta_malloc(n * sizeof *t), *gv = carta_malloc(n * sizeof *gv);
    if (!s || !g || !t || !gv) {
        carta_free(s), carta_free(g), carta_free(t), carta_free(gv);
        return carta_error_set(err, CARTA_ENOMEM, NULL, "censoring distribution: no memory");
    }
    double prod = 1;
    size_t m = 0;
    for (size_t a = 0; a < n;) {
        size_t b = a, d = 0, c = 0;
        while (b < n && s[b].v == s[a].v) {
            if (status[s[b].i]) d++; else c++;
            b++;
        }
        size_t at_risk = n - a - d; /* events at this time leave first */
        if (c > 0) prod *= 1 - (double)c / (double)at_risk;
        t[m] = s[a].v;
        gv[m] = prod;
        m++;
        a = b;
    }
    carta_free(s);
    g->m = m, g->t = t, g->g = gv;
    *out = g;
    return CARTA_OK;
}

/* Number of stored times <= t (strict = 0) or < t (strict = 1). */
static size_t count_below(const carta_censoring *g, double t, int strict)
{
    size_t lo = 0, hi = g->m;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strict ? g->t[mid] < t : g->t[mid] <= t) lo = mid + 1; else hi = mid;
    }
    return lo;
}

double carta_censoring_at(const carta_censoring *g, double t)
{
    size_t k = count_below(g, t, 0);
    return k ? g->g[k - 1] : 1.0;
}

double carta_censoring_before(const carta_censoring *g, double t)
{
    size_t k = count_below(g, t, 1);
    return k ? g->g[k - 1] : 1.0;
}

void carta_censoring_free(carta_censoring *g)
{
    if (!g) return;
    carta_free(g->t);
    carta_free(g->g);
    carta_free(g);
}

static double g_own(const carta_censoring *g, double t, carta_ipcw_convention conv)
{
    return conv == CARTA_IPCW_SKSURV ? carta_censoring_at(g, t) : carta_censoring_before(g, t);
}

/* ---- Kaplan-Meier of a subset at t, with the Greenwood sum ---- */

/* KM of the subjects idx[0..m) at time t (right-continuous) and sum d/(n(n-d)) over t_k <= t.
   s is scratch of m entries. */
static void km_at(const double *time, const int *status, const size_t *idx, size_t m, double t,
                  keyed *s, double *surv, double *greenwood)
{
    for (size_t a = 0; a < m; a++) s[a] = (keyed){ time[idx[a]], idx[a] };
    qsort(s, m, sizeof *s, by_key);
    double prod = 1, gw = 0;
    for (size_t a = 0; a < m && s[a].v <= t;) {
        size_t b = a, d = 0;
        while (b < m && s[b].v == s[a].v) {
            if (status[s[b].i]) d++;
            b++;
        }
        double nr = (double)(m - a);
        if (d > 0) {
            prod *= 1 - (double)d / nr;
            /* Greenwood's term is infinite once the KM reaches 0; R reports NaN SE then. */
            gw += (double)d / (nr * (nr - (double)d));
        }
        a = b;
    }
    *surv = prod;
    *greenwood = gw;
}

/* ---- Uno's C ---- */

typedef struct fenwick {
    int64_t *f;
    size_t k;
} fenwick;

static void fw_add(fenwick *t, size_t i)
{
    for (; i <= t->k; i += i & (~i + 1)) t->f[i]++;
}

static int64_t fw_prefix(const fenwick *t, size_t i)
{
    int64_t s = 0;
    for (; i > 0; i -= i & (~i + 1)) s += t->f[i];
    return s;
}

static int check_risk(const char *what, size_t n, const double *risk, carta_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(risk[i]))
            return carta_error_set(err, CARTA_EDATA, &(carta_where){ .row = (long)i + 1 }, "%s: risk score is not finite", what);
    return CARTA_OK;
}

int carta_uno_c(const carta_censoring *g, size_t n, const double *time, const int *status,
                const double *risk, double tau, carta_ipcw_convention conv, carta_metric *out,
                carta_error *err)
{
    int rc = check_outcomes("Uno's C", n, time, status, err);
    if (!rc) rc = check_risk("Uno's C", n, risk, err);
    if (rc) return rc;
    keyed *byr = sorted(risk, n), *byt = sorted(time, n);
    size_t *rank = carta_malloc((n ? n : 1) * sizeof *rank);
    fenwick fw = { carta_calloc(n + 1, sizeof(int64_t)), 0 };
    if (!byr || !byt || !rank || !fw.f) {
        carta_free(byr), carta_free(byt), carta_free(rank), carta_free(fw.f);
        return carta_error_set(err, CARTA_ENOMEM, NULL, "Uno's C: no memory");
    }
    /* Tied risks share a rank (1-based). */
    for (size_t a = 0, r = 0; a < n; a++) {
        if (a == 0 || byr[a].v != byr[a - 1].v) r++;
        rank[byr[a].i] = r;
        fw.k = r;
    }
    double num = 0, den = 0;
    int64_t total = 0;
    /* Groups of equal time, from the largest to the smallest. */
    for (size_t b = n; b > 0 && !rc;) {
        size_t a = b - 1;
        while (a > 0 && byt[a - 1].v == byt[b - 1].v) a--;
        double t = byt[a].v;
        for (size_t q = a; q < b; q++)
            if (!status[byt[q].i]) fw_add(&fw, rank[byt[q].i]), total++;
        int kept = conv == CARTA_IPCW_SKSURV ? t < tau : t <= tau;
        for (size_t q = a; q < b && kept; q++) {
            size_t i = byt[q].i;
            if (!status[i] || total == 0) continue;
            double gi = g_own(g, t, conv);
            if (!(gi > 0)) {
                rc = carta_error_set(err, CARTA_ENUMERIC, &(carta_where){ .row = (long)i + 1 },
                                     "Uno's C: censoring survival function is zero at time %g", t);
                break;
            }
            double w = 1 / (gi * gi);
            int64_t less = fw_prefix(&fw, rank[i] - 1), tie = fw_prefix(&fw, rank[i]) - less;
            num += w * ((double)less + 0.5 * (double)tie);
            den += w * (double)total;
        }
        for (size_t q = a; q < b; q++)
            if (status[byt[q].i]) fw_add(&fw, rank[byt[q].i]), total++;
        b = a;
    }
    carta_free(byr), carta_free(byt), carta_free(rank), carta_free(fw.f);
    if (rc) return rc;
    if (!(den > 0)) return carta_error_set(err, CARTA_ENUMERIC, NULL, "Uno's C: no comparable pair (no event before tau?)");
    *out = no_ci;
    out->value = num / den;
    return CARTA_OK;
}

/* ---- Time-dependent AUC ---- */

static int check_times(const char *what, size_t k, const double *times, int ascending, carta_error *err)
{
    for (size_t j = 0; j < k; j++) {
        if (!isfinite(times[j])) return carta_error_set(err, CARTA_EDATA, NULL, "%s: time %zu is not finite", what, j + 1);
        if (ascending && j > 0 && !(times[j] > times[j - 1]))
            return carta_error_set(err, CARTA_EDATA, NULL, "%s: times must be strictly ascending (%g after %g)", what, times[j], times[j - 1]);
    }
    return CARTA_OK;
}

int carta_td_auc(const carta_censoring *g, size_t n, const double *time, const int *status,
                 const double *risk, size_t risk_cols, size_t k, const double *times,
                 carta_ipcw_convention conv, carta_metric *auc, double *mean_auc, carta_error *err)
{
    if (risk_cols != 1 && risk_cols != k)
        return carta_error_set(err, CARTA_EDATA, NULL, "time-dependent AUC: risk has %zu columns, expected 1 or %zu", risk_cols, k);
    int rc = check_outcomes("time-dependent AUC", n, time, status, err);
    if (!rc) rc = check_risk("time-dependent AUC", n * risk_cols, risk, err);
    if (!rc) rc = check_times("time-dependent AUC", k, times, mean_auc != NULL, err);
    if (rc) return rc;
    keyed *byr = NULL;
    double *w = carta_malloc((n ? n : 1) * sizeof *w);
    if (!w) return carta_error_set(err, CARTA_ENOMEM, NULL, "time-dependent AUC: no memory");
    for (size_t i = 0; i < n; i++) w[i] = status[i] ? g_own(g, time[i], conv) : 0;
    for (size_t j = 0; j < k && !rc; j++) {
        if (j == 0 || risk_cols > 1) {
            carta_free(byr);
            byr = sorted(risk + (risk_cols > 1 ? j * n : 0), n);
            if (!byr) {
                rc = carta_error_set(err, CARTA_ENOMEM, NULL, "time-dependent AUC: no memory");
                break;
            }
        }
        double t = times[j], num = 0, wcase = 0;
        size_t below = 0; /* controls with a smaller risk than the current group */
        for (size_t a = 0; a < n;) {
            size_t b = a, tie = 0;
            double wsum = 0;
            while (b < n && byr[b].v == byr[a].v) {
                size_t i = byr[b].i;
                if (time[i] > t) tie++;
                else if (status[i]) {
                    if (!(w[i] > 0)) {
                        rc = carta_error_set(err, CARTA_ENUMERIC, &(carta_where){ .row = (long)i + 1 },
                                             "time-dependent AUC: censoring survival function is zero at time %g", time[i]);
                        break;
                    }
                    wsum += 1 / w[i];
                }
                b++;
            }
            if (rc) break;
            num += wsum * ((double)below + 0.5 * (double)tie);
            wcase += wsum;
            below += tie;
            a = b;
        }
        if (rc) break;
        if (!(wcase > 0) || below == 0) {
            rc = carta_error_set(err, CARTA_ENUMERIC, NULL, "time-dependent AUC: no %s at time %g",
                                 below == 0 ? "control (subject event-free past it)" : "case (event at or before it)", t);
            break;
        }
        auc[j] = no_ci;
        auc[j].value = num / (wcase * (double)below);
    }
    carta_free(byr);
    if (!rc && mean_auc) {
        size_t *all = carta_malloc((n ? n : 1) * sizeof *all);
        keyed *scratch = carta_malloc((n ? n : 1) * sizeof *scratch);
        if (!all || !scratch) rc = carta_error_set(err, CARTA_ENOMEM, NULL, "time-dependent AUC: no memory");
        else {
            for (size_t i = 0; i < n; i++) all[i] = i;
            double prev = 1, s = 1, gw, acc = 0;
            for (size_t j = 0; j < k; j++) {
                km_at(time, status, all, n, times[j], scratch, &s, &gw);
                acc += auc[j].value * (prev - s);
                prev = s;
            }
            if (!(1 - s > 0)) rc = carta_error_set(err, CARTA_ENUMERIC, NULL, "time-dependent AUC: no event up to the last time, no summary AUC");
            else *mean_auc = acc / (1 - s);
        }
        carta_free(all), carta_free(scratch);
    }
    carta_free(w);
    return rc;
}

/* ---- Brier score ---- */

int carta_brier_ipcw(const carta_censoring *g, size_t n, const double *time, const int *status,
                     const double *surv, size_t k, const double *times, carta_ipcw_convention conv,
                     carta_metric *bs, carta_error *err)
{
    if (n == 0) return carta_error_set(err, CARTA_ENUMERIC, NULL, "Brier score: no subjects");
    int rc = check_outcomes("Brier score", n, time, status, err);
    if (!rc) rc = check_times("Brier score", k, times, 0, err);
    if (rc) return rc;
    for (size_t q = 0; q < n * k; q++)
        if (!(surv[q] >= 0 && surv[q] <= 1))
            return carta_error_set(err, CARTA_EDATA, &(carta_where){ .row = (long)(q % n) + 1 },
                                   "Brier score: predicted survival %g at time %g is not in [0, 1]", surv[q], times[q / n]);
    for (size_t j = 0; j < k; j++) {
        double t = times[j], gt = carta_censoring_at(g, t), sum = 0;
        const double *s = surv + j * n;
        for (size_t i = 0; i < n; i++) {
            if (time[i] <= t && status[i]) {
                double gi = g_own(g, time[i], conv);
                if (!(gi > 0))
                    return carta_error_set(err, CARTA_ENUMERIC, &(carta_where){ .row = (long)i + 1 },
                                           "Brier score: censoring survival function is zero at time %g", time[i]);
                sum += s[i] * s[i] / gi;
            } else if (time[i] > t) {
                if (!(gt > 0))
                    return carta_error_set(err, CARTA_ENUMERIC, NULL, "Brier score: censoring survival function is zero at time %g", t);
                sum += (1 - s[i]) * (1 - s[i]) / gt;
            }
        }
        bs[j] = no_ci;
        bs[j].value = sum / (double)n;
    }
    return CARTA_OK;
}

int carta_ibs_trapezoid(size_t k, const double *times, const double *bs, double *out, carta_error *err)
{
    if (k < 2) return carta_error_set(err, CARTA_EDATA, NULL, "integrated Brier score: needs at least 2 times");
    int rc = check_times("integrated Brier score", k, times, 1, err);
    if (rc) return rc;
    double s = 0;
    for (size_t j = 0; j + 1 < k; j++) s += (times[j + 1] - times[j]) * (bs[j] + bs[j + 1]) / 2;
    *out = s / (times[k - 1] - times[0]);
    return CARTA_OK;
}

int carta_ibs_step(size_t k, const double *times, const double *bs, double tau, double *out, carta_error *err)
{
    if (k < 1) return carta_error_set(err, CARTA_EDATA, NULL, "integrated Brier score: needs at least 1 time");
    int rc = check_times("integrated Brier score", k, times, 1, err);
    if (rc) return rc;
    if (!(tau > times[0])) return carta_error_set(err, CARTA_EDATA, NULL, "integrated Brier score: tau %g must exceed the start %g", tau, times[0]);
    double s = 0;
    for (size_t j = 0; j < k && times[j] < tau; j++) {
        double next = j + 1 < k && times[j + 1] < tau ? times[j + 1] : tau;
        s += bs[j] * (next - times[j]);
    }
    *out = s / (tau - times[0]);
    return CARTA_OK;
}

/* ---- Calibration at a horizon ---- */

int carta_surv_calibration(size_t n, const double *time, const int *status, const double *surv,
                           double horizon, size_t groups, double conf_level, carta_calib_group *out,
                           carta_error *err)
{
    int rc = check_outcomes("calibration at a horizon", n, time, status, err);
    if (rc) return rc;
    if (groups < 1 || groups > n) return carta_error_set(err, CARTA_EDATA, NULL, "calibration at a horizon: %zu groups for %zu subjects", groups, n);
    if (!isfinite(horizon)) return carta_error_set(err, CARTA_EDATA, NULL, "calibration at a horizon: horizon is not finite");
    for (size_t i = 0; i < n; i++)
        if (!(surv[i] >= 0 && surv[i] <= 1))
            return carta_error_set(err, CARTA_EDATA, &(carta_where){ .row = (long)i + 1 },
                                   "calibration at a horizon: predicted survival %g is not in [0, 1]", surv[i]);
    double *risk = carta_malloc(n * sizeof *risk);
    size_t *idx = carta_malloc(n * sizeof *idx);
    keyed *scratch = carta_malloc(n * sizeof *scratch), *byr = NULL;
    if (risk) {
        for (size_t i = 0; i < n; i++) risk[i] = 1 - surv[i];
        byr = sorted(risk, n);
    }
    if (!risk || !idx || !scratch || !byr) {
        carta_free(risk), carta_free(idx), carta_free(scratch), carta_free(byr);
        return carta_error_set(err, CARTA_ENOMEM, NULL, "calibration at a horizon: no memory");
    }
    double z = gsl_cdf_ugaussian_Pinv(0.5 + conf_level / 2);
    for (size_t gi = 0, r = 0; gi < groups; gi++) {
        size_t m = 0, ev = 0;
        double pred = 0;
        /* ntile: the r-th smallest (0-based) falls in group floor(groups r / n). */
        while (r < n && (groups * r) / n == gi) {
            size_t i = byr[r].i;
            idx[m++] = i;
            pred += risk[i];
            if (status[i] && time[i] <= horizon) ev++;
            r++;
        }
        double s, gw;
        km_at(time, status, idx, m, horizon, scratch, &s, &gw);
        double se_log = sqrt(gw);
        carta_calib_group *o = &out[gi];
        o->n = m;
        o->events = ev;
        o->predicted = pred / (double)m;
        o->observed = 1 - s;
        o->se = s * se_log;
        /* survfit's "log" interval for S, clipped at 1, turned into one for 1 - S. */
        o->lower = s > 0 ? 1 - fmin(1, s * exp(z * se_log)) : (double)NAN;
        o->upper = s > 0 ? 1 - s * exp(-z * se_log) : (double)NAN;
    }
    carta_free(risk), carta_free(idx), carta_free(scratch), carta_free(byr);
    return CARTA_OK;
}

/* ---- lowess ---- */

/* R's lowest(): the fitted value ys at xs from points nleft..nright (1-based arrays x, y, w, rw
   of n + 1 entries; ties on the right are picked up). Returns 0 when all weights are zero. */
static int lowest(const double *x, const double *y, size_t n, double xs, double *ys, size_t nleft,
                  size_t nright, double *w, int userw, const double *rw)
{
    double range = x[n] - x[1];
    double h = fmax(xs - x[nleft], x[nright] - xs);
    double h9 = 0.999 * h, h1 = 0.001 * h;
    double a = 0;
    size_t j = nleft;
    while (j <= n) {
        w[j] = 0;
        double r = fabs(x[j] - xs);
        if (r <= h9) {
            if (r <= h1) w[j] = 1;
            else {
                double q = r / h;
                q = 1 - q * q * q;
                w[j] = q * q * q;
            }
            if (userw) w[j] *= rw[j];
            a += w[j];
        } else if (x[j] > xs) break;
        j++;
    }
    size_t nrt = j - 1;
    if (a <= 0) return 0;
    for (j = nleft; j <= nrt; j++) w[j] /= a;
    if (h > 0) {
        /* Linear fit about the weighted centre of the x values, when they are spread out. */
        a = 0;
        for (j = nleft; j <= nrt; j++) a += w[j] * x[j];
        double b = xs - a, c = 0;
        for (j = nleft; j <= nrt; j++) c += w[j] * (x[j] - a) * (x[j] - a);
        if (sqrt(c) > 0.001 * range) {
            b /= c;
            for (j = nleft; j <= nrt; j++) w[j] *= b * (x[j] - a) + 1;
        }
    }
    double s = 0;
    for (j = nleft; j <= nrt; j++) s += w[j] * y[j];
    *ys = s;
    return 1;
}

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* R's clowess() on sorted x, 1-based arrays of n + 1 entries. work: 2 (n + 1) doubles. */
static void clowess(const double *x, const double *y, size_t n, double f, int nsteps, double delta,
                    double *ys, double *rw, double *res, double *work)
{
    if (n < 2) {
        ys[1] = y[1];
        return;
    }
    size_t ns = (size_t)(f * (double)n + 1e-7);
    if (ns > n) ns = n;
    if (ns < 2) ns = 2;
    for (int iter = 1; iter <= nsteps + 1; iter++) {
        size_t nleft = 1, nright = ns, last = 0, i = 1;
        for (;;) {
            if (nright < n) {
                /* Move the window right while that shrinks the radius. */
                double d1 = x[i] - x[nleft], d2 = x[nright + 1] - x[i];
                if (d1 > d2) {
                    nleft++;
                    nright++;
                    continue;
                }
            }
            if (!lowest(x, y, n, x[i], &ys[i], nleft, nright, res, iter > 1, rw)) ys[i] = y[i];
            if (last < i - 1) {
                /* Points skipped within delta: interpolate linearly. */
                double denom = x[i] - x[last];
                for (size_t j = last + 1; j < i; j++) {
                    double alpha = (x[j] - x[last]) / denom;
                    ys[j] = alpha * ys[i] + (1 - alpha) * ys[last];
                }
            }
            last = i;
            double cut = x[last] + delta;
            for (i = last + 1; i <= n; i++) {
                if (x[i] > cut) break;
                if (x[i] == x[last]) {
                    ys[i] = ys[last];
                    last = i;
                }
            }
            i = last + 1 > i - 1 ? last + 1 : i - 1;
            if (last >= n) break;
        }
        for (size_t q = 1; q <= n; q++) res[q] = y[q] - ys[q];
        double sc = 0;
        for (size_t q = 1; q <= n; q++) sc += fabs(res[q]);
        sc /= (double)n;
        if (iter > nsteps) break;
        /* cmad = 6 * median |residual| (R: 3 (r[m1] + r[m2]) for even n, 0-based m1 = n/2,
           m2 = n - m1 - 1). */
        for (size_t q = 0; q < n; q++) work[q] = fabs(res[q + 1]);
        qsort(work, n, sizeof *work, by_double);
        size_t m1 = n / 2;
        double cmad = n % 2 == 0 ? 3 * (work[m1] + work[n - m1 - 1]) : 6 * work[m1];
        if (cmad < 1e-7 * sc) break;
        double c9 = 0.999 * cmad, c1 = 0.001 * cmad;
        for (size_t q = 1; q <= n; q++) {
            double r = fabs(res[q]);
            if (r <= c1) rw[q] = 1;
            else if (r <= c9) {
                double u = r / cmad;
                rw[q] = (1 - u * u) * (1 - u * u);
            } else rw[q] = 0;
        }
    }
}

int carta_lowess(size_t n, const double *x, const double *y, double f, int iter, double *fitted, carta_error *err)
{
    if (n == 0) return carta_error_set(err, CARTA_EDATA, NULL, "lowess: no points");
    if (!(f > 0) || iter < 0) return carta_error_set(err, CARTA_EDATA, NULL, "lowess: span f must be > 0 and iter >= 0");
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]) || !isfinite(y[i]))
            return carta_error_set(err, CARTA_EDATA, &(carta_where){ .row = (long)i + 1 }, "lowess: non-finite value");
    keyed *s = sorted(x, n);
    double *buf = carta_malloc(7 * (n + 1) * sizeof *buf);
    if (!s || !buf) {
        carta_free(s), carta_free(buf);
        return carta_error_set(err, CARTA_ENOMEM, NULL, "lowess: no memory");
    }
    double *xs = buf, *yv = buf + (n + 1), *ys = buf + 2 * (n + 1), *rw = buf + 3 * (n + 1),
           *res = buf + 4 * (n + 1), *work = buf + 5 * (n + 1);
    for (size_t q = 0; q < n; q++) {
        xs[q + 1] = s[q].v;
        yv[q + 1] = y[s[q].i];
        rw[q + 1] = 1;
    }
    double delta = 0.01 * (xs[n] - xs[1]);
    clowess(xs, yv, n, f, iter, delta, ys, rw, res, work);
    for (size_t q = 0; q < n; q++) fitted[s[q].i] = ys[q + 1];
    carta_free(s), carta_free(buf);
    return CARTA_OK;
}

/* R's quantile(type = 7) of sorted v[0..n). */
static double quantile7(const double *v, size_t n, double p)
{
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n) return v[n - 1];
    return v[lo] + (h - (double)lo) * (v[lo + 1] - v[lo]);
}

int carta_ici(size_t n, const double *y, const double *p, double f, int iter, double *ici,
              double *e50, double *e90, double *emax, carta_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (!(y[i] == 0 || y[i] == 1) || !(p[i] >= 0 && p[i] <= 1))
            return carta_error_set(err, CARTA_EDATA, &(carta_where){ .row = (long)i + 1 },
                                   "integrated calibration index: outcome must be 0/1 and the probability in [0, 1]");
    double *sm = carta_malloc((n ? n : 1) * sizeof *sm);
    if (!sm) return carta_error_set(err, CARTA_ENOMEM, NULL, "integrated calibration index: no memory");
    int rc = carta_lowess(n, p, y, f, iter, sm, err);
    if (rc) {
        carta_free(sm);
        carta_error_prefix(err, "integrated calibration index: ");
        return rc;
    }
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        sm[i] = fabs(sm[i] - p[i]);
        s += sm[i];
    }
    qsort(sm, n, sizeof *sm, by_double);
    if (ici) *ici = s / (double)n;
    if (e50) *e50 = quantile7(sm, n, 0.5);
    if (e90) *e90 = quantile7(sm, n, 0.9);
    if (emax) *emax = sm[n - 1];
    carta_free(sm);
    return CARTA_OK;
}

int carta_net_benefit(size_t n, const double *y, const double *p, size_t k, const double *thresholds,
                      double *nb, double *treat_all, carta_error *err)
{
    if (n == 0) return carta_error_set(err, CARTA_EDATA, NULL, "net benefit: no subjects");
    double prev = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(y[i] == 0 || y[i] == 1) || !(p[i] >= 0 && p[i] <= 1))
            return carta_error_set(err, CARTA_EDATA, &(carta_where){ .row = (long)i + 1 },
                                   "net benefit: outcome must be 0/1 and the probability in [0, 1]");
        prev += y[i];
    }
    prev /= (double)n;
    for (size_t j = 0; j < k; j++)
        if (!(thresholds[j] > 0 && thresholds[j] < 1))
            return carta_error_set(err, CARTA_EDATA, NULL, "net benefit: threshold %g is not in (0, 1)", thresholds[j]);
    for (size_t j = 0; j < k; j++) {
        double pt = thresholds[j], odds = pt / (1 - pt);
        size_t tp = 0, fp = 0;
        for (size_t i = 0; i < n; i++)
            if (p[i] >= pt) {
                if (y[i] == 1) tp++; else fp++;
            }
        nb[j] = (double)tp / (double)n - (double)fp / (double)n * odds;
        if (treat_all) treat_all[j] = prev - (1 - prev) * odds;
    }
    return CARTA_OK;
}
