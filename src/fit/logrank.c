/* logrank.c: G-rho k-sample tests (Harrington & Fleming 1982), as R survival's survdiff.
 *
 * Within each stratum, at each distinct time t with n at risk (n_g in group g) and d deaths
 * (d_g in group g), and weight w = S(t-)^rho where S is the Kaplan-Meier of the stratum's pooled
 * data, left-continuous (survdiff2.c):
 *   O_g += w d_g,     E_g += w d n_g / n,
 *   V_gh += w^2 d (n - d) / (n (n - 1)) * (n_g [g = h] - n_g n_h / n)      (n > 1)
 * O, E and V are summed over strata. rho = 0 is the log-rank test (Mantel 1966, Peto & Peto
 * 1972), rho = 1 the Peto & Peto modification of the Gehan-Wilcoxon test.
 * Chi-square as survdiff: keep the groups with E_g > 0, drop the first of them, and
 * chisq = (O - E)' V^-1 (O - E) on the rest (LU solve, LAPACKE_dgesv); df = (groups with
 * E_g > 0) - 1; p = P(chi2_df > chisq) (GSL). */
#include <carta/logrank.h>
#include <carta/alloc.h>
#include <carta/survsort.h>

#include <gsl/gsl_cdf.h>
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void carta_logrank_spec_default(carta_logrank_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->rho = 0.0;
    spec->timefix = 1;
}

int carta_logrank_spec_check(const carta_logrank_spec *spec, carta_error *err)
{
    if (!(isfinite(spec->rho) && spec->rho >= 0)) {
        carta_where at = { .field = "rho" };
        return carta_error_set(err, CARTA_ECONFIG, &at, "%g is not a finite number >= 0", spec->rho);
    }
    return CARTA_OK;
}

void carta_logrank_result_free(carta_logrank_result *r)
{
    if (!r) return;
    for (size_t g = 0; g < r->n_groups && r->groups; g++) carta_free(r->groups[g].label);
    carta_free(r->groups);
    carta_free(r->var);
    carta_free(r->observed_strata);
    carta_free(r->expected_strata);
    carta_free(r);
}

/* One stratum: merges the groups' cells time by time. */
static int stratum(const carta_survsort *s, size_t h, double rho, carta_logrank_result *r,
                   carta_survsort_cursor *cur, carta_survsort_tick *tk, double *nr, double *dd)
{
    size_t ng = s->n_groups;
    for (size_t g = 0; g < ng; g++)
        if (carta_survsort_cursor_init(s, h * ng + g, &cur[g])) return CARTA_ENOMEM;
    double *obs = r->observed_strata + h * ng, *exp_ = r->expected_strata + h * ng;
    double km = 1.0;
    for (;;) {
        uint64_t k = UINT64_MAX;
        for (size_t g = 0; g < ng; g++) {
            uint64_t kg = carta_survsort_peek(s, &cur[g]);
            if (kg < k) k = kg;
        }
        if (k == UINT64_MAX) break;
        double n = 0.0, d = 0.0;
        for (size_t g = 0; g < ng; g++) {
            carta_survsort_at(s, &cur[g], k, tk);
            nr[g] = tk->n_risk;
            dd[g] = tk->w[1];
            n += nr[g];
            d += dd[g];
        }
        if (d <= 0) continue;
        double w = (rho != 0) ? pow(km, rho) : 1.0;
        for (size_t g = 0; g < ng; g++) {
            obs[g] += w * dd[g];
            exp_[g] += w * d * nr[g] / n;
        }
        if (n > 1) {
            double kt = w * w * d * (n - d) / (n * (n - 1));
            for (size_t a = 0; a < ng; a++) {
                if (nr[a] == 0) continue;
                r->var[a * ng + a] += kt * nr[a];
                for (size_t b = 0; b < ng; b++) r->var[a * ng + b] -= kt * nr[a] * nr[b] / n;
            }
        }
        km *= (n - d) / n;
    }
    for (size_t g = 0; g < ng; g++) carta_survsort_cursor_free(&cur[g]);
    return CARTA_OK;
}

int carta_logrank_fit(const carta_logrank_spec *spec, const carta_surv_data *d,
                      carta_logrank_result **out, carta_error *err)
{
    carta_logrank_result *r = NULL;
    carta_survsort *s = NULL;
    carta_survsort_cursor *cur = NULL;
    carta_survsort_tick tk = { 0 };
    double *work = NULL;
    lapack_int *ipiv = NULL;
    int rc;

    *out = NULL;
    if ((rc = carta_logrank_spec_check(spec, err))) return rc;
    if (d->start)
        return carta_error_set(err, CARTA_EDATA, NULL, "logrank: (start, stop] data is not supported (survdiff takes right-censored data only)");
    if (d->weight)
        return carta_error_set(err, CARTA_EDATA, NULL, "logrank: case weights are not supported (survdiff has none)");
    if ((rc = carta_survsort_build(d, 1, 1, 2, spec->timefix, &s, err))) return rc;
    size_t ng = s->n_groups, ns = s->n_strata;
    rc = CARTA_ENOMEM;
    r = carta_calloc(1, sizeof *r);
    if (!r) goto fail;
    r->rho = spec->rho;
    r->n_groups = ng;
    r->n_strata = ns;
    r->groups = carta_calloc(ng, sizeof *r->groups);
    r->var = carta_calloc(ng * ng, sizeof *r->var);
    r->observed_strata = carta_calloc(ns * ng, sizeof *r->observed_strata);
    r->expected_strata = carta_calloc(ns * ng, sizeof *r->expected_strata);
    cur = carta_calloc(ng, sizeof *cur);
    work = carta_malloc((3 * ng + ng * ng) * sizeof *work);
    ipiv = carta_malloc(ng * sizeof *ipiv);
    if (!r->groups || !r->var || !r->observed_strata || !r->expected_strata || !cur || !work || !ipiv)
        goto fail;
    if (carta_survsort_tick_init(s, &tk)) goto fail;
    size_t nonempty = 0;
    for (size_t g = 0; g < ng; g++) {
        char num[32];
        const char *lab = (d->group && d->group_labels) ? d->group_labels[g] : NULL;
        if (!lab) { snprintf(num, sizeof num, "%zu", g + 1); lab = num; }
        if (!(r->groups[g].label = carta_strdup(lab))) goto fail;
        for (size_t h = 0; h < ns; h++) r->groups[g].n += s->cell_n[h * ng + g];
        nonempty += r->groups[g].n > 0;
    }
    if (nonempty < 2) {
        rc = carta_error_set(err, CARTA_EDATA, NULL, "logrank: needs at least two groups with rows (%zu found)", nonempty);
        goto fail;
    }
    for (size_t h = 0; h < ns; h++)
        if (stratum(s, h, spec->rho, r, cur, &tk, work, work + ng)) goto fail;
    for (size_t g = 0; g < ng; g++)
        for (size_t h = 0; h < ns; h++) {
            r->groups[g].observed += r->observed_strata[h * ng + g];
            r->groups[g].expected += r->expected_strata[h * ng + g];
        }

    /* survdiff: groups with expected > 0, the first of them dropped */
    size_t nk = 0;
    size_t *idx = carta_malloc(ng * sizeof *idx);
    if (!idx) goto fail;
    for (size_t g = 0; g < ng; g++) if (r->groups[g].expected > 0) idx[nk++] = g;
    r->df = nk >= 1 ? (double)nk - 1 : 0.0;
    if (nk < 2) {
        r->chisq = 0.0;
    } else {
        size_t m = nk - 1;
        double *A = work + 3 * ng, *b = work;
        for (size_t i = 0; i < m; i++) {
            size_t gi = idx[i + 1];
            b[i] = r->groups[gi].observed - r->groups[gi].expected;
            for (size_t j = 0; j < m; j++) A[i * m + j] = r->var[gi * ng + idx[j + 1]];
        }
        double *bb = work + ng;
        memcpy(bb, b, m * sizeof *bb);
        lapack_int info = LAPACKE_dgesv(LAPACK_ROW_MAJOR, (lapack_int)m, 1, A, (lapack_int)m, ipiv, bb, 1);
        if (info != 0) {
            carta_free(idx);
            rc = carta_error_set(err, info > 0 ? CARTA_ENUMERIC : CARTA_EDEP, NULL,
                                 "logrank: variance matrix is singular (LAPACKE_dgesv info %d)", (int)info);
            goto fail;
        }
        double chi = 0.0;
        for (size_t i = 0; i < m; i++) chi += bb[i] * b[i];
        r->chisq = chi;
    }
    carta_free(idx);
    r->p = (r->df > 0) ? gsl_cdf_chisq_Q(r->chisq, r->df) : 0.0; /* R: pchisq(0, 0, lower = FALSE) = 0 */
    carta_survsort_tick_free(&tk);
    carta_free(cur);
    carta_free(work);
    carta_free(ipiv);
    carta_survsort_free(s);
    *out = r;
    return CARTA_OK;
fail:
    if (cur) for (size_t g = 0; g < ng; g++) carta_survsort_cursor_free(&cur[g]);
    carta_survsort_tick_free(&tk);
    carta_free(cur);
    carta_free(work);
    carta_free(ipiv);
    carta_survsort_free(s);
    carta_logrank_result_free(r);
    if (rc == CARTA_ENOMEM) carta_error_set(err, CARTA_ENOMEM, NULL, "logrank: no memory for %zu rows", d->n);
    return rc;
}
