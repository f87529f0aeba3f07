/* Survival curves of boosted survival models (xgboost gives neither).
 *
 * survival:cox. xgboost's margin m(x) is a log relative hazard fitted by Cox's partial likelihood
 * (Breslow's handling of ties), so S(t | x) = exp(-H0(t) exp(m(x))) once a baseline cumulative
 * hazard is estimated from the full-data fit's margins m_i, treated as a fixed offset:
 *
 *   Breslow (1972):  H0(t) = sum_{t_k <= t} d_k / R_k,          R_k = sum_{i: time_i >= t_k} exp(m_i)
 *   Efron (1977):    H0(t) = sum_{t_k <= t} sum_{r=0}^{d_k-1} 1 / (R_k - (r / d_k) D_k),
 *                    D_k = sum_{i: time_i = t_k, event} exp(m_i)
 *
 * with d_k the events at the distinct time t_k. These are survfit.coxph's estimators for an
 * offset-only model (Therneau & Grambsch, Modeling Survival Data, 2000, sections 3.2 and 10.2;
 * R: survfit(coxph(Surv(time, status) ~ offset(m), ties = ...), newdata = data.frame(m = 0))).
 * The sums are taken with exp(m_i - c), c = max m_i, and the result multiplied by exp(-c), so
 * large margins cannot overflow.
 *
 * survival:aft. xgboost models log T = m(x) + sigma Z with Z standard normal, standard logistic or
 * "extreme" (xgboost's ExtremeDistribution: F(z) = 1 - exp(-exp(z)), the minimum extreme-value law,
 * i.e. a Weibull time); the margin is the location of log T and sigma is
 * aft_loss_distribution_scale (xgboost documentation, "Survival Analysis with Accelerated Failure
 * Time"; Barnwal, Cho & Hocking, J. Comput. Graph. Stat. 2022). Hence
 *
 *   S(t | x) = 1 - F((log t - m(x)) / sigma),
 *
 * through GSL's upper-tail cdfs: gsl_cdf_ugaussian_Q, gsl_cdf_logistic_Q(z, 1), and for the
 * extreme law 1 - F(z) = exp(-exp(z)) = gsl_cdf_gumbel1_P(-z, 1, 1) (GSL's type-1 Gumbel cdf
 * exp(-b exp(-a x)) is the maximum law; the minimum law is its mirror image). */
#include <carta/survpred.h>
#include <carta/alloc.h>
#include <carta/csvout.h>
#include <carta/survsort.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static carta_survpred_baseline *baseline_alloc(size_t n)
{
    carta_survpred_baseline *b = carta_calloc(1, sizeof *b);
    if (!b) return NULL;
    size_t k = n ? n : 1;
    b->time = carta_malloc(k * sizeof *b->time);
    b->n_risk = carta_malloc(k * sizeof *b->n_risk);
    b->n_event = carta_malloc(k * sizeof *b->n_event);
    b->cumhaz = carta_malloc(k * sizeof *b->cumhaz);
    if (!b->time || !b->n_risk || !b->n_event || !b->cumhaz) {
        carta_survpred_baseline_free(b);
        return NULL;
    }
    b->n = n;
    return b;
}

void carta_survpred_baseline_free(carta_survpred_baseline *b)
{
    if (!b) return;
    carta_free(b->time);
    carta_free(b->n_risk);
    carta_free(b->n_event);
    carta_free(b->cumhaz);
    carta_free(b);
}

int carta_survpred_breslow(const double *time, const int *status, const double *lp, size_t n,
                           carta_survpred_ties ties, carta_survpred_baseline **out, carta_error *err)
{
    if (n == 0) return carta_error_set(err, CARTA_EUSAGE, NULL, "baseline hazard: no rows");
    double c = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        carta_where at = { .row = (long)i + 1 };
        if (!isfinite(time[i]) || time[i] < 0)
            return carta_error_set(err, CARTA_EDATA, &at, "baseline hazard: time %g is not a finite number >= 0", time[i]);
        if (status[i] != 0 && status[i] != 1)
            return carta_error_set(err, CARTA_EDATA, &at, "baseline hazard: status %d is not 0 or 1", status[i]);
        if (!isfinite(lp[i]))
            return carta_error_set(err, CARTA_EDATA, &at, "baseline hazard: the linear predictor is not finite");
        if (lp[i] > c) c = lp[i];
    }
    size_t *ord = carta_malloc(n * sizeof *ord);
    double *w = carta_malloc(n * sizeof *w);
    carta_survpred_baseline *b = NULL;
    if (!ord || !w) goto nomem;
    gsl_sort_index(ord, time, 1, n);
    size_t nt = 0;
    for (size_t r = 0; r < n; r++)
        if (r == 0 || time[ord[r]] != time[ord[r - 1]]) nt++;
    if (!(b = baseline_alloc(nt))) goto nomem;
    for (size_t i = 0; i < n; i++) w[i] = exp(lp[i] - c);
    /* Risk sums from the last time backwards; then the increments forwards. */
    double risk = 0;
    size_t k = nt, r = n;
    while (r > 0) {
        double t = time[ord[r - 1]], dsum = 0, nev = 0;
        while (r > 0 && time[ord[r - 1]] == t) {
            size_t i = ord[--r];
            risk += w[i];
            if (status[i]) { dsum += w[i]; nev += 1; }
        }
        k--;
        b->time[k] = t;
        b->n_risk[k] = (double)(n - r);
        b->n_event[k] = nev;
        /* cumhaz holds the increment (scaled by exp(c)) until the forward pass. */
        double inc = 0;
        if (nev > 0 && ties == CARTA_SURVPRED_EFRON) {
            for (size_t q = 0; q < (size_t)nev; q++) inc += 1.0 / (risk - ((double)q / nev) * dsum);
        } else if (nev > 0) {
            inc = nev / risk;
        }
        b->cumhaz[k] = inc;
    }
    double scale = exp(-c), h = 0;
    for (size_t j = 0; j < nt; j++) {
        h += b->cumhaz[j];
        b->cumhaz[j] = h * scale;
    }
    carta_free(ord);
    carta_free(w);
    *out = b;
    return CARTA_OK;
nomem:
    carta_free(ord);
    carta_free(w);
    carta_survpred_baseline_free(b);
    return carta_error_set(err, CARTA_ENOMEM, NULL, "baseline hazard: no memory for %zu rows", n);
}

double carta_survpred_cumhaz_at(const carta_survpred_baseline *b, double t)
{
    if (isnan(t)) return (double)NAN;
    size_t lo = carta_survsort_upper(b->time, b->n, t); /* after the last time <= t */
    return lo == 0 ? 0.0 : b->cumhaz[lo - 1];
}

int carta_survpred_write_csv(const carta_survpred_baseline *b, FILE *fp, carta_error *err)
{
    fputs("time,n_risk,n_event,cumhaz\n", fp);
    for (size_t k = 0; k < b->n; k++) {
        carta_csv_write_number(fp, b->time[k]);
        putc(',', fp);
        carta_csv_write_number(fp, b->n_risk[k]);
        putc(',', fp);
        carta_csv_write_number(fp, b->n_event[k]);
        putc(',', fp);
        carta_csv_write_number(fp, b->cumhaz[k]);
        putc('\n', fp);
    }
    if (ferror(fp)) return carta_error_set(err, CARTA_EIO, NULL, "cannot write the baseline hazard");
    return CARTA_OK;
}

/* One number field of [s, e): the whole field must be a finite number. */
static int parse_field(const char *s, const char *e, double *v)
{
    char buf[64];
    size_t k = (size_t)(e - s);
    if (k == 0 || k >= sizeof buf) return 0;
    memcpy(buf, s, k);
    buf[k] = 0;
    char *end;
    *v = strtod(buf, &end);
    return *end == 0 && isfinite(*v);
}

int carta_survpred_read_csv(const char *text, size_t len, const char *shown, carta_survpred_baseline **out,
                            carta_error *err)
{
    static const char header[] = "time,n_risk,n_event,cumhaz";
    const char *p = text, *end = text + len;
    carta_where at = { .file = shown, .line = 1 };
    size_t hl = sizeof header - 1;
    if (len < hl || memcmp(text, header, hl) || (len > hl && text[hl] != '\n' && text[hl] != '\r'))
        return carta_error_set(err, CARTA_EDATA, &at, "expected the header \"%s\"", header);
    size_t lines = 0;
    for (const char *q = text; q < end; q++) lines += *q == '\n';
    carta_survpred_baseline *b = baseline_alloc(lines + 1);
    if (!b) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    p = memchr(text, '\n', len);
    p = p ? p + 1 : end;
    size_t n = 0;
    long line = 1;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
        line++;
        if (le > p && le[-1] == '\r') le--;
        if (le == p) { p = nl ? nl + 1 : end; continue; }
        double v[4];
        const char *f = p;
        int ok = 1;
        for (int j = 0; j < 4 && ok; j++) {
            const char *c = memchr(f, ',', (size_t)(le - f));
            const char *fe = j < 3 ? c : le;
            if (!fe || (j == 3 && c)) { ok = 0; break; }
            ok = parse_field(f, fe, &v[j]);
            f = fe + 1;
        }
        at.line = line;
        if (!ok) {
            carta_survpred_baseline_free(b);
            return carta_error_set(err, CARTA_EDATA, &at, "expected four numbers: time, n_risk, n_event, cumhaz");
        }
        if (v[0] < 0 || (n > 0 && !(v[0] > b->time[n - 1])) || v[3] < 0 || (n > 0 && v[3] < b->cumhaz[n - 1])) {
            carta_survpred_baseline_free(b);
            return carta_error_set(err, CARTA_EDATA, &at,
                                   "times must be >= 0 and increasing, cumulative hazards >= 0 and non-decreasing");
        }
        b->time[n] = v[0];
        b->n_risk[n] = v[1];
        b->n_event[n] = v[2];
        b->cumhaz[n] = v[3];
        n++;
        p = nl ? nl + 1 : end;
    }
    if (n == 0) {
        carta_survpred_baseline_free(b);
        at.line = 2;
        return carta_error_set(err, CARTA_EDATA, &at, "no rows");
    }
    b->n = n;
    *out = b;
    return CARTA_OK;
}

int carta_survpred_aft_dist_parse(const char *name, carta_survpred_aft_dist *dist, carta_error *err)
{
    if (name && !strcmp(name, "normal")) *dist = CARTA_SURVPRED_AFT_NORMAL;
    else if (name && !strcmp(name, "logistic")) *dist = CARTA_SURVPRED_AFT_LOGISTIC;
    else if (name && !strcmp(name, "extreme")) *dist = CARTA_SURVPRED_AFT_EXTREME;
    else
        return carta_error_set(err, CARTA_EDATA, NULL, "aft_loss_distribution \"%s\" is not normal, logistic or extreme",
                               name ? name : "(none)");
    return CARTA_OK;
}

double carta_survpred_aft(carta_survpred_aft_dist dist, double sigma, double margin, double t)
{
    if (isnan(t) || isnan(margin) || !(sigma > 0) || t < 0) return (double)NAN;
    if (t == 0) return 1.0;
    double z = (log(t) - margin) / sigma;
    switch (dist) {
    case CARTA_SURVPRED_AFT_NORMAL: return gsl_cdf_ugaussian_Q(z);
    case CARTA_SURVPRED_AFT_LOGISTIC: return gsl_cdf_logistic_Q(z, 1.0);
    case CARTA_SURVPRED_AFT_EXTREME: return gsl_cdf_gumbel1_P(-z, 1.0, 1.0);
    }
    return (double)NAN;
}
