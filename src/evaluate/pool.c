/* Pooling across studies and percentile bootstrap intervals.
 *
 * DerSimonian-Laird random effects (DerSimonian & Laird, Control Clin Trials 1986;7:177; as R
 * metafor::rma(method = "DL")): with y_i the study estimates, v_i = se_i^2 and w_i = 1/v_i,
 *   fixed = sum w_i y_i / sum w_i,  Q = sum w_i (y_i - fixed)^2,  df = k - 1,
 *   tau2 = max(0, (Q - df) / (sum w_i - sum w_i^2 / sum w_i)),
 *   w*_i = 1/(v_i + tau2),  pooled = sum w*_i y_i / sum w*_i,  SE = 1/sqrt(sum w*_i),
 *   interval pooled +- z SE;  P(Q) = P(chi2_df >= Q);  I^2 = max(0, (Q - df)/Q) * 100
 *   (Higgins & Thompson, Stat Med 2002;21:1539).
 * Percentile bootstrap interval (Efron & Tibshirani 1993, ch. 13): quantiles (1 -+ level)/2 of
 *   the replicates, R's quantile type 7 (GSL's gsl_stats_quantile_from_sorted_data). */
#include <carta/evaluate.h>

#include <carta/alloc.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>

int carta_meta_dl(size_t k, const double *est, const double *se, double conf_level, carta_meta_result *out,
                  carta_error *err)
{
    if (k < 2) return carta_error_set(err, CARTA_EDATA, NULL, "random-effects pooling needs 2 or more studies, got %zu", k);
    if (!(conf_level > 0 && conf_level < 1))
        return carta_error_set(err, CARTA_EDATA, NULL, "conf_level must lie in (0, 1), got %g", conf_level);
    double sw = 0, sw2 = 0, swy = 0;
    for (size_t i = 0; i < k; i++) {
        if (!isfinite(est[i]))
            return carta_error_set(err, CARTA_EDATA, &(carta_where){ .row = (long)i + 1 }, "study estimate is not finite");
        if (!isfinite(se[i]) || !(se[i] > 0))
            return carta_error_set(err, CARTA_EDATA, &(carta_where){ .row = (long)i + 1 },
                                   "study standard error must be finite and > 0, got %g", se[i]);
        double w = 1 / (se[i] * se[i]);
        sw += w;
        sw2 += w * w;
        swy += w * est[i];
    }
    double fixed = swy / sw, q = 0;
    for (size_t i = 0; i < k; i++) {
        double d = est[i] - fixed;
        q += d * d / (se[i] * se[i]);
    }
    double df = (double)(k - 1);
    double tau2 = (q - df) / (sw - sw2 / sw);
    if (!(tau2 > 0)) tau2 = 0;
    double sr = 0, sry = 0;
    for (size_t i = 0; i < k; i++) {
        double w = 1 / (se[i] * se[i] + tau2);
        sr += w;
        sry += w * est[i];
    }
    double z = gsl_cdf_ugaussian_Pinv(0.5 + conf_level / 2);
    carta_meta_result r;
    r.k = k;
    r.estimate = sry / sr;
    r.se = 1 / sqrt(sr);
    r.lower = r.estimate - z * r.se;
    r.upper = r.estimate + z * r.se;
    r.q = q;
    r.q_df = df;
    r.q_p = gsl_cdf_chisq_Q(q, df);
    r.i2 = q > 0 && q > df ? (q - df) / q * 100 : 0;
    r.tau2 = tau2;
    *out = r;
    return CARTA_OK;
}

int carta_percentile_interval(size_t b, const double *values, double conf_level, double *lower, double *upper,
                              size_t *used, carta_error *err)
{
    if (!(conf_level > 0 && conf_level < 1))
        return carta_error_set(err, CARTA_EDATA, NULL, "conf_level must lie in (0, 1), got %g", conf_level);
    double *v = carta_malloc((b ? b : 1) * sizeof *v);
    if (!v) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    size_t m = 0;
    for (size_t i = 0; i < b; i++)
        if (!isnan(values[i])) v[m++] = values[i];
    double lo = NAN, hi = NAN;
    if (m >= 2) {
        gsl_sort(v, 1, m);
        lo = gsl_stats_quantile_from_sorted_data(v, 1, m, (1 - conf_level) / 2);
        hi = gsl_stats_quantile_from_sorted_data(v, 1, m, (1 + conf_level) / 2);
    }
    carta_free(v);
    *lower = lo;
    *upper = hi;
    if (used) *used = m;
    return CARTA_OK;
}
