/* Binary-outcome metrics with confidence intervals.
 *
 * AUC: the Mann-Whitney estimate with ties counted 1/2. Its DeLong variance is computed from
 * midranks (Sun & Xu, IEEE Signal Process Lett 2014;21:1389): with m cases X and k controls Y,
 * Tz the midranks in the pooled sample, Tx within cases and Ty within controls,
 *   AUC = (sum_i Tz(X_i) - m(m+1)/2) / (m k)
 *   V10_i = (Tz(X_i) - Tx(X_i)) / k,  V01_j = 1 - (Tz(Y_j) - Ty(Y_j)) / m
 *   Var(AUC) = var(V10) / m + var(V01) / k   (sample variances)
 * which is DeLong, DeLong & Clarke-Pearson (Biometrics 1988;44:837) in O(n log n).
 * Calibration: logistic recalibration (Cox 1958; Van Calster et al., J Clin Epidemiol 2016)
 * through carta's logistic regression. */
#include <carta/evaluate.h>
#include <carta/alloc.h>
#include <carta/logistic.h>

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct ranked {
    double v;
    size_t i;
} ranked;

static int by_value(const void *a, const void *b)
{
    double x = ((const ranked *)a)->v, y = ((const ranked *)b)->v;
    if (x < y) return -1;
    if (x > y) return 1;
    size_t i = ((const ranked *)a)->i, j = ((const ranked *)b)->i;
    return (i > j) - (i < j);
}

/* Midranks (1-based, ties averaged) of v[0..n) into r. */
static int midranks(const double *v, size_t n, double *r)
{
    ranked *s = carta_malloc((n ? n : 1) * sizeof *s);
    if (!s) return CARTA_ENOMEM;
    for (size_t i = 0; i < n; i++) s[i] = (ranked){ v[i], i };
    qsort(s, n, sizeof *s, by_value);
    for (size_t a = 0; a < n;) {
        size_t b = a;
        while (b + 1 < n && s[b + 1].v == s[a].v) b++;
        double mid = 0.5 * ((double)a + (double)b) + 1;
        for (size_t k = a; k <= b; k++) r[s[k].i] = mid;
        a = b + 1;
    }
    carta_free(s);
    return CARTA_OK;
}

static double sample_var(const double *x, size_t n)
{
    if (n < 2) return 0;
    double m = 0, s = 0;
    for (size_t i = 0; i < n; i++) m += x[i];
    m /= (double)n;
    for (size_t i = 0; i < n; i++) s += (x[i] - m) * (x[i] - m);
    return s / (double)(n - 1);
}

static double zq(double conf_level) { return gsl_cdf_ugaussian_Pinv(0.5 + conf_level / 2); }

int carta_auc(size_t n, const double *y, const double *score, double conf_level, carta_metric *out, carta_error *err)
{
    size_t m = 0, k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(y[i] == 0 || y[i] == 1) || !isfinite(score[i]))
            return carta_error_set(err, CARTA_EDATA, &(carta_where){ .row = (long)i + 1 }, "auc: outcome must be 0/1 and the score finite");
        if (y[i] == 1) m++; else k++;
    }
    if (m == 0 || k == 0) return carta_error_set(err, CARTA_ENUMERIC, NULL, "auc: needs both outcome classes (%zu events in %zu)", m, n);
    double *buf = carta_malloc(2 * n * sizeof *buf + 2 * n * sizeof *buf);
    if (!buf) return carta_error_set(err, CARTA_ENOMEM, NULL, "auc: no memory");
    double *tz = buf, *xs = buf + n, *ys = buf + n + m, *tx = buf + 2 * n, *ty = buf + 2 * n + m;
    size_t a = 0, b = 0;
    for (size_t i = 0; i < n; i++) {
        if (y[i] == 1) xs[a++] = score[i]; else ys[b++] = score[i];
    }
    int rc = midranks(score, n, tz);
    if (!rc) rc = midranks(xs, m, tx);
    if (!rc) rc = midranks(ys, k, ty);
    if (rc) {
        carta_free(buf);
        return carta_error_set(err, CARTA_ENOMEM, NULL, "auc: no memory");
    }
    /* Reuse xs and ys for the placement values V10 and V01. */
    double sum = 0;
    a = b = 0;
    for (size_t i = 0; i < n; i++) {
        if (y[i] == 1) {
            sum += tz[i];
            xs[a] = (tz[i] - tx[a]) / (double)k;
            a++;
        } else {
            ys[b] = 1 - (tz[i] - ty[b]) / (double)m;
            b++;
        }
    }
    out->value = (sum - (double)m * ((double)m + 1) / 2) / ((double)m * (double)k);
    out->se = sqrt(sample_var(xs, m) / (double)m + sample_var(ys, k) / (double)k);
    double z = zq(conf_level);
    out->lower = fmax(0, out->value - z * out->se);
    out->upper = fmin(1, out->value + z * out->se);
    carta_free(buf);
    return CARTA_OK;
}

int carta_brier(size_t n, const double *y, const double *p, double conf_level, carta_metric *out, carta_error *err)
{
    if (n == 0) return carta_error_set(err, CARTA_ENUMERIC, NULL, "brier: no rows");
    double s = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        double e = (p[i] - y[i]) * (p[i] - y[i]);
        s += e;
        s2 += e * e;
    }
    double mean = s / (double)n;
    double var = n > 1 ? (s2 - (double)n * mean * mean) / (double)(n - 1) : 0;
    out->value = mean;
    out->se = sqrt(fmax(var, 0) / (double)n);
    double z = zq(conf_level);
    out->lower = out->value - z * out->se;
    out->upper = out->value + z * out->se;
    return CARTA_OK;
}

int carta_calibration(size_t n, const double *y, const double *p, double conf_level, carta_metric *slope,
                      carta_metric *intercept, carta_metric *oe, carta_error *err)
{
    double *lp = carta_malloc((n ? n : 1) * sizeof *lp);
    if (!lp) return carta_error_set(err, CARTA_ENOMEM, NULL, "calibration: no memory");
    double obs = 0, exp_ = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(p[i] > 0 && p[i] < 1)) {
            carta_free(lp);
            return carta_error_set(err, CARTA_EDATA, &(carta_where){ .row = (long)i + 1 },
                                   "calibration: predicted probability %g is not in (0, 1)", p[i]);
        }
        lp[i] = log(p[i] / (1 - p[i]));
        obs += y[i];
        exp_ += p[i];
    }
    const char *names[] = { "logit(p)" };
    carta_matrix x = { n, 1, lp, names }, none = { n, 0, NULL, NULL };
    carta_logistic_spec spec;
    carta_logistic_spec_default(&spec);
    spec.conf_level = conf_level;
    carta_logistic_result *r = NULL;
    double z = zq(conf_level);
    int rc = carta_logistic_fit(&spec, y, &x, &r, err);
    if (!rc) {
        *slope = (carta_metric){ r->terms[1].coef, r->terms[1].coef - z * r->terms[1].se,
                                 r->terms[1].coef + z * r->terms[1].se, r->terms[1].se };
        carta_logistic_result_free(r);
        r = NULL;
        spec.offset = lp;
        rc = carta_logistic_fit(&spec, y, &none, &r, err);
    }
    if (!rc) {
        *intercept = (carta_metric){ r->terms[0].coef, r->terms[0].coef - z * r->terms[0].se,
                                     r->terms[0].coef + z * r->terms[0].se, r->terms[0].se };
        double ratio = obs / exp_, se = obs > 0 ? 1 / sqrt(obs) : (double)NAN;
        *oe = (carta_metric){ ratio, ratio * exp(-z * se), ratio * exp(z * se), se };
    }
    carta_logistic_result_free(r);
    carta_free(lp);
    if (rc) carta_error_prefix(err, "calibration: ");
    return rc;
}
