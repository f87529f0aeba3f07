/* Missing values: complete-case row selection (R's na.omit), the training median (numeric) used
   for imputation, missing indicators, and the mean and standard deviation for standardisation.

   R's mean (summary.c) sums in long double, divides by n, then adds the mean of the residuals
   as a correction; R's sd (cov.c) uses the same mean and sum((x - mean)^2) / (n - 1). Both are
   reproduced here so that standardize(x) agrees with R's (x - mean(x)) / sd(x). */
#include "internal.h"

#include <carta/alloc.h>

#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

int design_select_rows(const carta_column *const *cols, size_t nf, size_t n_input,
                       carta_missing missing, size_t **rows, size_t *n_kept, size_t *n_missing)
{
    size_t *r = carta_malloc((n_input ? n_input : 1) * sizeof *r);
    if (!r) return CARTA_ENOMEM;
    int any = 0;
    for (size_t f = 0; f < nf; f++) {
        n_missing[f] = cols[f]->missing ? cols[f]->n_missing : 0;
        any |= n_missing[f] > 0;
    }
    size_t m = 0;
    if (missing != CARTA_MISSING_OMIT || !any) {
        for (size_t i = 0; i < n_input; i++) r[i] = i;
        m = n_input;
    } else {
        /* OR the features' missing bitmaps once; a row is kept when its bit stays clear. */
        size_t nb = (n_input + 7) / 8;
        uint8_t *mask = carta_calloc(nb ? nb : 1, 1);
        if (!mask) {
            carta_free(r);
            return CARTA_ENOMEM;
        }
        for (size_t f = 0; f < nf; f++)
            if (cols[f]->missing)
                for (size_t b = 0; b < nb; b++) mask[b] |= cols[f]->missing[b];
        for (size_t i = 0; i < n_input; i++)
            if (!((mask[i >> 3] >> (i & 7)) & 1)) r[m++] = i;
        carta_free(mask);
    }
    *rows = r;
    *n_kept = m;
    return CARTA_OK;
}

size_t design_count_missing(const carta_column *c, const size_t *rows, size_t n)
{
    size_t k = 0;
    if (!c->missing) return 0;
    for (size_t i = 0; i < n; i++) k += (size_t)carta_column_is_missing(c, rows[i]);
    return k;
}

int design_median(const carta_column *c, const size_t *rows, size_t n, double *median,
                  const char *source, carta_error *err)
{
    carta_where at = { .file = source, .field = c->name };
    double *v = carta_malloc((n ? n : 1) * sizeof *v);
    if (!v) return carta_error_set(err, CARTA_ENOMEM, &at, "no memory for the median");
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (carta_column_is_missing(c, rows[i])) continue;
        double x = carta_column_number(c, rows[i]);
        if (!isfinite(x)) {
            carta_free(v);
            at.row = (long)rows[i] + 1;
            return carta_error_set(err, CARTA_EDATA, &at, "value %g is not finite", x);
        }
        v[m++] = x;
    }
    if (m == 0) {
        carta_free(v);
        return carta_error_set(err, CARTA_EDATA, &at, "every training value is missing: nothing to impute from");
    }
    /* R's median: the middle value, or for an even count the mean of the two middle ones, which
       R takes in long double (no overflow, one rounding). GSL's quickselect (>= 2.5) finds them
       in O(m), rearranging v. */
    double med = gsl_stats_select(v, 1, m, (m - 1) / 2);
    if (m % 2 == 0) {
        double hi = gsl_stats_select(v, 1, m, m / 2);
        med = (double)(((long double)med + (long double)hi) / 2);
    }
    carta_free(v);
    *median = med == 0 ? 0.0 : med; /* -0 would not survive the JSON round trip */
    return CARTA_OK;
}

int design_mean_sd(const double *x, size_t n, double *mean, double *sd, const char *name,
                   const char *source, carta_error *err)
{
    carta_where at = { .file = source, .field = name };
    long double s = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i])) {
            s += x[i];
            m++;
        }
    if (m < 2)
        return carta_error_set(err, CARTA_EDATA, &at, "standardize needs at least two non-missing training values (has %zu)", m);
    s /= (long double)m;
    long double t = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i])) t += x[i] - s;
    s += t / (long double)m;
    double mu = (double)s;
    long double q = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i])) {
            long double dx = (long double)x[i] - mu; /* R keeps the mean in a long double here */
            q += dx * dx;
        }
    double v = (double)(q / (long double)(m - 1));
    double s_d = sqrt(v);
    if (!(s_d > 0) || !isfinite(s_d))
        return carta_error_set(err, CARTA_EDATA, &at,
                               "cannot standardize: the training standard deviation is %g (the column is constant)", s_d);
    *mean = mu == 0 ? 0.0 : mu;
    *sd = s_d;
    return CARTA_OK;
}

void design_fill_indicator(const carta_column *c, const size_t *rows, size_t n, double *out)
{
    for (size_t i = 0; i < n; i++) out[i] = carta_column_is_missing(c, rows[i]) ? 1.0 : 0.0;
}
