/* Cox proportional hazards: options, input checks, Newton-Raphson, and the reported numbers.
 *
 * Model (Cox 1972): hazard h(t | x) = h0_s(t) exp(x'beta + offset) in stratum s, fitted by
 * maximising the log partial likelihood with Efron (1977) or Breslow (1974) handling of ties;
 * (start, stop] data as counting processes (Andersen & Gill 1982). The sums are in cox_sums.c.
 * Newton-Raphson with step halving (Therneau & Grambsch 2000, section 3.3): beta <- beta + I^-1 U;
 * when the log-likelihood falls, the step is halved. Converged when the relative change of log L
 * is <= spec.eps AND the step just taken is <= spec.step_tol * (1 + |beta_j|) in every coordinate,
 * so that (quadratic convergence) beta is within ~step_tol^2 of the optimum; or, earlier, when the
 * step predicted at beta is <= step_tol / 100 (and its predicted gain in log L <= eps): that last
 * step is then taken with log L alone (no score or information), as the numbers show it lands on
 * the optimum to round-off.
 * Aliasing: a term whose information, after removing the earlier kept terms (a Cholesky of the
 * kept block by LAPACK), is below toler_chol times the largest diagonal is aliased, as R's
 * cholesky2 decides; its coefficient is NaN (R's NA) and the fit continues without it.
 * Monotone likelihood: log L has converged but the Newton step of a term stays large
 * (> toler_inf |beta_j|): the term runs to infinity; the fit stops with a warning naming it.
 * Variance: V = I^-1 at the fit (dpotrf/dpotri). Robust (Lin & Wei 1989): V D'D V with D the
 * cluster sums of w_i times the score residuals (grouped dfbeta), R's coxph(robust/cluster).
 * Tests as R's summary.coxph: LR = 2 (log L1 - log L0); score = U0' I0^-1 U0 at beta = 0; Wald =
 * b' V^-1 b (robust V when robust); robust score = u' (T'T)^-1 u with T the cluster sums of the
 * weighted score residuals at beta = 0 (linear predictor 0, as R sets it) and u = sum of T. */
#include "cox_internal.h"

#include <carta/alloc.h>
#include <carta/concordance.h>

#include <cblas.h>
#include <gsl/gsl_cdf.h>
#include <lapacke.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void carta_cox_spec_default(carta_cox_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->ties = CARTA_COX_TIES_EFRON;
    spec->conf_level = 0.95;
    spec->max_iter = 50;
    spec->eps = 1e-12;
    spec->step_tol = 1e-7;
    spec->toler_chol = 1.818989403545856e-12; /* .Machine$double.eps^0.75 */
    spec->toler_inf = 1e-5;
    spec->concordance = 1;
    spec->zph = CARTA_COX_ZPH_KM;
    spec->basehaz = 1;
}

int carta_cox_spec_check(const carta_cox_spec *spec, carta_error *err)
{
    carta_where at = { 0 };
    if (spec->ties != CARTA_COX_TIES_EFRON && spec->ties != CARTA_COX_TIES_BRESLOW &&
        spec->ties != CARTA_COX_TIES_EXACT) {
        at.field = "ties";
        return carta_error_set(err, CARTA_ECONFIG, &at, "%d is not one of efron, breslow, exact", spec->ties);
    }
    if (spec->ties == CARTA_COX_TIES_EXACT &&
        (spec->robust || (spec->residuals & ~(unsigned)(CARTA_COX_RESID_MARTINGALE | CARTA_COX_RESID_DEVIANCE)))) {
        at.field = "ties";
        return carta_error_set(err, CARTA_ECONFIG, &at, "\"exact\" ties have no robust variance and no score, Schoenfeld or dfbeta residuals (nor has R): use efron or breslow for those");
    }
    if (spec->threads < 0) {
        at.field = "threads";
        return carta_error_set(err, CARTA_ECONFIG, &at, "%d: give 0 (carta decides) or a positive number", spec->threads);
    }
    if (!(spec->conf_level > 0 && spec->conf_level < 1)) {
        at.field = "conf_level";
        return carta_error_set(err, CARTA_ECONFIG, &at, "%g is not in (0, 1)", spec->conf_level);
    }
    if (spec->max_iter < 1 || spec->max_iter > 10000) {
        at.field = "max_iter";
        return carta_error_set(err, CARTA_ECONFIG, &at, "%d is not in 1..10000", spec->max_iter);
    }
    if (!(spec->eps > 0 && spec->eps < 1) || !(spec->step_tol > 0 && spec->step_tol < 1) ||
        !(spec->toler_chol > 0 && spec->toler_chol < 1) || !(spec->toler_inf > 0)) {
        at.field = "eps";
        return carta_error_set(err, CARTA_ECONFIG, &at, "tolerances must be positive and below 1");
    }
    if (spec->zph < CARTA_COX_ZPH_NONE || spec->zph > CARTA_COX_ZPH_LOG) {
        at.field = "zph";
        return carta_error_set(err, CARTA_ECONFIG, &at, "%d is not one of none, km, identity, rank, log", spec->zph);
    }
    if (spec->residuals & ~31u) {
        at.field = "residuals";
        return carta_error_set(err, CARTA_ECONFIG, &at, "unknown residual kind (bits 0x%x)", spec->residuals & ~31u);
    }
    return CARTA_OK;
}

/* Appends a sentence to the result's warnings. */
static void warn(carta_cox_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(carta_cox_result *r, const char *fmt, ...)
{
    size_t used = strlen(r->warnings);
    if (used + 2 >= sizeof r->warnings) return;
    if (used) { r->warnings[used++] = ' '; r->warnings[used] = '\0'; }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->warnings + used, sizeof r->warnings - used, fmt, ap);
    va_end(ap);
}

static int check_data(const carta_cox_spec *spec, const carta_surv_data *d, const carta_matrix *x,
                      carta_error *err)
{
    carta_where at = { 0 };
    if (!d->time || !d->status || !x->data || x->n != d->n)
        return carta_error_set(err, CARTA_EDATA, NULL, "cox: the design has %zu rows but the outcome %zu (or time/status is missing)", x->n, d->n);
    if (d->n < 2)
        return carta_error_set(err, CARTA_EDATA, NULL, "cox: needs at least 2 rows (got %zu)", d->n);
    if (x->p == 0)
        return carta_error_set(err, CARTA_EDATA, NULL, "cox: the design has no columns");
    for (size_t i = 0; i < d->n; i++) {
        at.row = (long)i + 1;
        if (!isfinite(d->time[i]))
            return carta_error_set(err, CARTA_EDATA, &at, "cox: time %g is not finite", d->time[i]);
        if (d->status[i] != 0 && d->status[i] != 1)
            return carta_error_set(err, CARTA_EDATA, &at, "cox: status %d is not 0 or 1", d->status[i]);
        if (d->start && !(isfinite(d->start[i]) && d->start[i] < d->time[i]))
            return carta_error_set(err, CARTA_EDATA, &at, "cox: stop time %g is not after start time %g", d->time[i], d->start[i]);
        if (d->weight && !(isfinite(d->weight[i]) && d->weight[i] > 0))
            return carta_error_set(err, CARTA_EDATA, &at, "cox: weight %g is not a positive number", d->weight[i]);
        if (spec->offset && !isfinite(spec->offset[i]))
            return carta_error_set(err, CARTA_EDATA, &at, "cox: offset %g is not finite", spec->offset[i]);
        if (d->strata && d->strata[i] < 0)
            return carta_error_set(err, CARTA_EDATA, &at, "cox: stratum %d is negative", d->strata[i]);
        if (d->cluster && d->cluster[i] < 0)
            return carta_error_set(err, CARTA_EDATA, &at, "cox: cluster %d is negative", d->cluster[i]);
    }
    for (size_t k = 0; k < x->p; k++) {
        const double *col = x->data + k * x->n;
        for (size_t i = 0; i < x->n; i++)
            if (!isfinite(col[i])) {
                at.row = (long)i + 1;
                at.field = x->names ? x->names[k] : NULL;
                return carta_error_set(err, CARTA_EDATA, &at, "cox: covariate value %g (column %zu) is not finite", col[i], k + 1);
            }
    }
    if (spec->ties == CARTA_COX_TIES_EXACT && (d->start || d->weight || d->cluster))
        return carta_error_set(err, CARTA_EDATA, NULL, "cox: ties \"exact\" supports right-censored, unweighted, unclustered data only (as here: small data); use efron");
    if (spec->term_of)
        for (size_t k = 0; k < x->p; k++)
            if (spec->term_of[k] >= spec->n_terms) {
                at.field = "term_of";
                return carta_error_set(err, CARTA_ECONFIG, &at, "cox: column %zu belongs to term %zu, but there are %zu terms", k + 1, spec->term_of[k], spec->n_terms);
            }
    if (spec->newdata && (spec->newdata->p != x->p || (spec->newdata->n && !spec->newdata->data)))
        return carta_error_set(err, CARTA_EDATA, NULL, "cox: newdata has %zu columns, the design %zu", spec->newdata->p, x->p);
    return CARTA_OK;
}

/* Solves A s = b for symmetric positive definite A (q x q, column-major); A is copied into tmp.
   Returns the LAPACK info (0 = success). */
static int spd_solve(size_t q, const double *a, const double *b, double *tmp, double *s)
{
    memcpy(tmp, a, q * q * sizeof *tmp);
    memcpy(s, b, q * sizeof *s);
    return LAPACKE_dposv(LAPACK_COL_MAJOR, 'U', (lapack_int)q, 1, tmp, (lapack_int)q, s, (lapack_int)q);
}

/* inv = A^-1 (full), for symmetric positive definite A; returns the LAPACK info. */
static int spd_inverse(size_t q, const double *a, double *inv)
{
    memcpy(inv, a, q * q * sizeof *inv);
    int info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'U', (lapack_int)q, inv, (lapack_int)q);
    if (info == 0) info = LAPACKE_dpotri(LAPACK_COL_MAJOR, 'U', (lapack_int)q, inv, (lapack_int)q);
    if (info == 0)
        for (size_t a1 = 0; a1 < q; a1++)
            for (size_t b1 = 0; b1 < a1; b1++) inv[a1 + b1 * q] = inv[b1 + a1 * q];
    return info;
}

/* b' A^-1 b for a symmetric positive definite A. */
static double quad_form(size_t q, const double *a, const double *b, double *tmp, double *s)
{
    if (q == 0) return 0;
    if (spd_solve(q, a, b, tmp, s) != 0) return NAN;
    double v = 0;
    for (size_t k = 0; k < q; k++) v += b[k] * s[k];
    return v;
}

/* Decides the kept columns from the full information at beta = 0 (R's cholesky2 rule, applied
   in column order with LAPACK Cholesky factorisations of the growing kept block). */
static size_t alias_cols(size_t p, const double *info, double toler, size_t *cols, double *tmp)
{
    double mx = 0;
    for (size_t j = 0; j < p; j++) if (info[j + j * p] > mx) mx = info[j + j * p];
    size_t q = 0;
    if (!(mx > 0)) return 0;
    for (size_t j = 0; j < p; j++) {
        cols[q] = j;
        size_t m = q + 1;
        for (size_t a = 0; a < m; a++)
            for (size_t b = 0; b < m; b++) tmp[a + b * m] = info[cols[a] + cols[b] * p];
        int rc = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'U', (lapack_int)m, tmp, (lapack_int)m);
        if (rc != 0) continue;
        double dlast = tmp[q + q * m];
        if (!(dlast * dlast >= toler * mx)) continue;
        q++;
    }
    return q;
}

/* Compacts a p x p matrix to the q x q block of cols (in place is fine: q <= p, forward copy). */
static void compact(size_t p, const double *full, size_t q, const size_t *cols, double *out)
{
    for (size_t b = 0; b < q; b++)
        for (size_t a = 0; a < q; a++) out[a + b * q] = full[cols[a] + cols[b] * p];
}

static carta_cox_test chisq_test(double stat, double df)
{
    carta_cox_test t = { stat, df, NAN };
    if (isfinite(stat) && df > 0) t.p = gsl_cdf_chisq_Q(stat, df);
    return t;
}

/* Robust pieces: cluster sums of w_i * score residuals (G x q, column-major) at the current
   evaluation. Returns CARTA_OK or CARTA_ENOMEM. */
static int cluster_scores(cox_work *w, const carta_surv_data *d, size_t G, double *sres,
                          double *tsum)
{
    size_t n = w->n, q = w->q;
    cox_score_resid(w, sres, NULL);
    memset(tsum, 0, G * q * sizeof *tsum);
    for (size_t c = 0; c < q; c++)
        for (size_t i = 0; i < n; i++) {
            size_t g = d->cluster ? (size_t)d->cluster[i] : i;
            tsum[g + c * G] += (d->weight ? d->weight[i] : 1.0) * sres[i + c * n];
        }
    return CARTA_OK;
}

void carta_cox_result_free(carta_cox_result *r)
{
    if (!r) return;
    if (r->terms) for (size_t k = 0; k < r->p; k++) carta_free(r->terms[k].term);
    carta_free(r->terms);
    carta_free(r->vcov); carta_free(r->robust_vcov);
    carta_free(r->zph_terms); carta_free(r->zph_by_term);
    for (size_t k = 0; k < r->n_basehaz; k++) {
        carta_free(r->basehaz[k].label); carta_free(r->basehaz[k].time); carta_free(r->basehaz[k].cumhaz);
    }
    carta_free(r->basehaz);
    for (size_t k = 0; k < r->n_curves; k++) {
        carta_cox_curve *c = &r->curves[k];
        carta_free(c->label); carta_free(c->time); carta_free(c->surv); carta_free(c->std_err);
        carta_free(c->lower); carta_free(c->upper); carta_free(c->cumhaz);
    }
    carta_free(r->curves);
    carta_free(r->martingale); carta_free(r->deviance); carta_free(r->score_resid);
    carta_free(r->dfbeta); carta_free(r->schoenfeld_row); carta_free(r->schoenfeld);
    carta_free(r->scaled_schoenfeld); carta_free(r->means); carta_free(r->linear_predictors);
    carta_free(r);
}

static carta_cox_result *result_new(size_t n, size_t p, const carta_matrix *x)
{
    carta_cox_result *r = carta_calloc(1, sizeof *r);
    if (!r) return NULL;
    r->p = p;
    r->terms = carta_calloc(p, sizeof *r->terms);
    r->vcov = carta_malloc(p * p * sizeof *r->vcov);
    r->means = carta_malloc(p * sizeof *r->means);
    r->linear_predictors = carta_malloc(n * sizeof *r->linear_predictors);
    if (!r->terms || !r->vcov || !r->means || !r->linear_predictors) goto fail;
    for (size_t k = 0; k < p; k++) {
        char nm[32];
        const char *s = x->names && x->names[k] ? x->names[k] : nm;
        if (s == nm) snprintf(nm, sizeof nm, "x%zu", k + 1);
        if (!(r->terms[k].term = carta_strdup(s))) goto fail;
    }
    r->concordance = r->concordance_se = NAN;
    r->robust_score.stat = r->robust_score.df = r->robust_score.p = NAN;
    return r;
fail:
    carta_cox_result_free(r);
    return NULL;
}

/* The Newton-Raphson driver on the kept columns. beta (q) starts at 0; l0/u0/i0 are the
   evaluation there. On return beta and *ll are the fit and the workspace's state is at beta;
   u and info are the last full evaluation (at beta, or one negligible Newton step before it). */
static int newton(const carta_cox_spec *spec, cox_work *w, carta_cox_result *r, double *beta,
                  double *ll, double *u, double *info, double *bnew, double *step, double *tmp,
                  double *unew, double *inew, carta_error *err)
{
    size_t q = w->q;
    double l = *ll;
    int rc;
    r->converged = 0;
    r->iterations = 0;
    for (int it = 1; it <= spec->max_iter; it++) {
        if (spd_solve(q, info, u, tmp, step) != 0) {
            warn(r, "The information matrix is not positive definite at iteration %d; the fit stopped there.", it);
            return CARTA_OK;
        }
        double lnew = NAN;
        /* Converged already when the Newton step predicted at beta is tiny: beta + step is
           then the optimum to round-off (quadratic convergence: its distance is ~|step|^2),
           and the information at beta differs from the one there by O(|step|), far below the
           variance's tolerance. That last step is evaluated for log L (and eta, r, c for what
           follows) only, which saves the full evaluation of score and information that
           confirming convergence by a last small step would cost. */
        double pbig = 0, gain = 0;
        for (size_t k = 0; k < q; k++) {
            double s = fabs(step[k]) / (1 + fabs(beta[k]));
            if (s > pbig) pbig = s;
            gain += 0.5 * u[k] * step[k];
        }
        if (pbig <= 0.01 * spec->step_tol && fabs(gain) <= spec->eps * fmax(1.0, fabs(l))) {
            for (size_t k = 0; k < q; k++) bnew[k] = beta[k] + step[k];
            if ((rc = cox_eval(w, bnew, &lnew, NULL, NULL, err)) != CARTA_OK) return rc;
            r->iterations = it;
            r->converged = 1;
            if (isfinite(lnew) && lnew >= l - spec->eps * fmax(1.0, fabs(l))) {
                memcpy(beta, bnew, q * sizeof *beta);
                l = lnew;
            } else if ((rc = cox_eval(w, beta, &l, NULL, NULL, err)) != CARTA_OK) {
                return rc; /* (round-off made the step worse: stay at beta) */
            }
            break;
        }
        int halvings = 0;
        for (;;) {
            for (size_t k = 0; k < q; k++) bnew[k] = beta[k] + step[k];
            if ((rc = cox_eval(w, bnew, &lnew, unew, inew, err)) != CARTA_OK) return rc;
            /* a fall smaller than the convergence tolerance is round-off, not a worse point */
            if (isfinite(lnew) && lnew >= l - spec->eps * fmax(1.0, fabs(l))) break;
            if (++halvings > 60) break;
            for (size_t k = 0; k < q; k++) step[k] *= 0.5;
        }
        r->iterations = it;
        if (!(isfinite(lnew) && lnew >= l - spec->eps * fmax(1.0, fabs(l)))) {
            /* could not improve at all: stay at beta (its evaluation is in u/info already) */
            if ((rc = cox_eval(w, beta, &l, u, info, err)) != CARTA_OK) return rc;
            warn(r, "Step halving could not increase the log-likelihood at iteration %d.", it);
            break;
        }
        double dl = lnew - l, big = 0;
        for (size_t k = 0; k < q; k++) {
            double s = fabs(step[k]) / (1 + fabs(bnew[k]));
            if (s > big) big = s;
        }
        memcpy(beta, bnew, q * sizeof *beta);
        memcpy(u, unew, q * sizeof *u);
        memcpy(info, inew, q * q * sizeof *info);
        l = lnew;
        if (fabs(dl) <= spec->eps * fmax(1.0, fabs(l))) {
            if (big <= spec->step_tol) { r->converged = 1; break; }
            /* log L has converged while a step stays large: monotone likelihood */
            if (spd_solve(q, info, u, tmp, step) == 0) {
                int any = 0;
                for (size_t k = 0; k < q; k++)
                    if (fabs(step[k]) > spec->toler_inf * fabs(beta[k]) &&
                        fabs(step[k]) > spec->step_tol * (1 + fabs(beta[k]))) {
                        warn(r, "Log-likelihood converged before %s: its coefficient may be infinite (monotone likelihood).",
                             r->terms[w->cols[k]].term);
                        any = 1;
                    }
                if (any) break;
            }
        }
    }
    if (!r->converged && r->iterations >= spec->max_iter)
        warn(r, "Ran out of iterations (%d) and did not converge.", spec->max_iter);
    *ll = l;
    return CARTA_OK;
}

static int fit(const carta_cox_spec *spec, const carta_surv_data *d, const carta_matrix *x,
               double *xmut, carta_cox_result **out, carta_error *err)
{
    carta_cox_result *r = NULL;
    cox_work *w = NULL, *wb = NULL; /* wb: Breslow forms after an exact fit */
    double *mem = NULL, *sres = NULL, *tsum = NULL;
    size_t *cols = NULL;
    int rc;

    *out = NULL;
    if ((rc = carta_cox_spec_check(spec, err)) != CARTA_OK) return rc;
    if ((rc = check_data(spec, d, x, err)) != CARTA_OK) return rc;
    size_t n = d->n, p = x->p;
    if (!(r = result_new(n, p, x))) {
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "cox: no memory for the result");
        goto done;
    }
    if ((rc = cox_work_new(spec, d, x, xmut, &w, err)) != CARTA_OK) goto done;
    if ((rc = cox_design_sort(w, err)) != CARTA_OK) goto done; /* (when it pays; cox_reorder.c) */
    r->n = n;
    r->ties = spec->ties;
    for (size_t i = 0; i < n; i++) r->events += d->status[i] == 1;
    memcpy(r->means, w->mean, p * sizeof *r->means);

    /* scratch: beta, bnew, step, u, unew, s (p each); info, inew, tmp, i0, v (p*p each) */
    size_t pp = p * p;
    mem = carta_malloc((6 * p + 5 * pp) * sizeof *mem);
    cols = carta_malloc(p * sizeof *cols);
    if (!mem || !cols) { rc = carta_error_set(err, CARTA_ENOMEM, NULL, "cox: no memory"); goto done; }
    double *beta = mem, *bnew = beta + p, *step = bnew + p, *u = step + p, *unew = u + p, *s = unew + p;
    double *info = s + p, *inew = info + pp, *tmp = inew + pp, *i0 = tmp + pp, *vq = i0 + pp;
    memset(beta, 0, p * sizeof *beta);

    /* beta = 0 on every column: null log-likelihood, aliasing, score test */
    double l0;
    if ((rc = cox_eval(w, beta, &l0, u, info, err)) != CARTA_OK) goto done;
    for (size_t k = 0; k < pp; k++)
        if (!isfinite(info[k])) { rc = carta_error_set(err, CARTA_ENUMERIC, NULL, "cox: the information matrix is not finite"); goto done; }
    size_t q = alias_cols(p, info, spec->toler_chol, cols, tmp);
    if (q == 0) {
        rc = carta_error_set(err, CARTA_ENUMERIC, NULL, "cox: no estimable covariate: every column (%s%s) is constant within the risk sets or collinear",
                             r->terms[0].term, p > 1 ? ", ..." : "");
        goto done;
    }
    for (size_t k = 0, c = 0; k < p; k++) {
        if (c < q && cols[c] == k) { c++; continue; }
        r->terms[k].aliased = 1;
        warn(r, "%s is aliased (constant, or collinear with earlier terms): its coefficient is NA.", r->terms[k].term);
    }
    if (q < p) {
        compact(p, info, q, cols, tmp);
        memcpy(info, tmp, q * q * sizeof *info);
        for (size_t k = 0; k < q; k++) unew[k] = u[cols[k]];
        memcpy(u, unew, q * sizeof *u);
    }
    cox_work_set_cols(w, cols, q);
    memcpy(i0, info, q * q * sizeof *i0);
    r->loglik[0] = l0;
    r->score = chisq_test(quad_form(q, info, u, tmp, s), (double)q);

    double ll = l0;
    if ((rc = newton(spec, w, r, beta, &ll, u, info, bnew, step, tmp, unew, inew, err)) != CARTA_OK) goto done;
    r->loglik[1] = ll;
    if (spd_inverse(q, info, vq) != 0) {
        rc = carta_error_set(err, CARTA_ENUMERIC, NULL, "cox: the information matrix at the fit is singular");
        goto done;
    }
    /* the buckets serve only the Newton steps: free them before the concordance and residuals
       allocate theirs, which keeps the peak memory of the fit down (and put a reordered design
       back in input order: the residuals, zph and curves read it so) */
    cox_work_drop_buckets(w);
    /* linear predictors as R reports them: centred, plus offset */
    memcpy(r->linear_predictors, w->eta, n * sizeof *r->linear_predictors);

    /* robust variance (before anything else changes the evaluation state) */
    double *rv = NULL;
    size_t G = 0;
    int robust = spec->robust || d->cluster != NULL;
    if (robust) {
        G = n;
        if (d->cluster) {
            G = d->n_clusters;
            for (size_t i = 0; i < n; i++) if ((size_t)d->cluster[i] + 1 > G) G = (size_t)d->cluster[i] + 1;
        }
        size_t nq, gq;
        if (carta_size_mul(n, q, &nq) || carta_size_mul(G, q, &gq) ||
            !(sres = carta_malloc(nq * sizeof *sres)) || !(tsum = carta_malloc(gq * sizeof *tsum)) ||
            !(r->robust_vcov = carta_malloc(pp * sizeof *r->robust_vcov))) {
            rc = carta_error_set(err, CARTA_ENOMEM, NULL, "cox: no memory for the robust variance");
            goto done;
        }
        /* D'D with D = T V: robust = V (T'T) V */
        cluster_scores(w, d, G, sres, tsum);
        double *ttt = inew;
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, (int)q, (int)G, 1.0, tsum, (int)G, 0.0, ttt, (int)q);
        for (size_t a = 0; a < q; a++) for (size_t b = 0; b < a; b++) ttt[a + b * q] = ttt[b + a * q];
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)q, (int)q, (int)q, 1.0, vq, (int)q, ttt, (int)q, 0.0, tmp, (int)q);
        rv = i0 + 0; /* reuse after the score test: i0 is no longer needed */
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)q, (int)q, (int)q, 1.0, tmp, (int)q, vq, (int)q, 0.0, rv, (int)q);
        r->robust = 1;
    }

    /* coefficients and their variances, expanded to p with NaN for aliased terms */
    double z = gsl_cdf_ugaussian_Pinv((1 + spec->conf_level) / 2);
    for (size_t k = 0; k < pp; k++) r->vcov[k] = NAN;
    if (r->robust_vcov) for (size_t k = 0; k < pp; k++) r->robust_vcov[k] = NAN;
    for (size_t k = 0; k < p; k++) {
        carta_cox_term *t = &r->terms[k];
        t->coef = t->se = t->robust_se = t->hr = t->hr_lower = t->hr_upper = t->z = t->p = NAN;
    }
    for (size_t a = 0; a < q; a++) {
        for (size_t b = 0; b < q; b++) {
            r->vcov[cols[a] + cols[b] * p] = vq[a + b * q];
            if (rv) r->robust_vcov[cols[a] + cols[b] * p] = rv[a + b * q];
        }
        carta_cox_term *t = &r->terms[cols[a]];
        t->coef = beta[a];
        t->se = sqrt(vq[a + a * q]);
        if (rv) t->robust_se = sqrt(rv[a + a * q]);
        double se = rv ? t->robust_se : t->se;
        t->hr = exp(t->coef);
        t->hr_lower = exp(t->coef - z * se);
        t->hr_upper = exp(t->coef + z * se);
        t->z = t->coef / se;
        t->p = gsl_cdf_chisq_Q(t->z * t->z, 1.0);
    }
    r->lr = chisq_test(2 * (r->loglik[1] - r->loglik[0]), (double)q);
    r->wald = chisq_test(quad_form(q, rv ? rv : vq, beta, tmp, s), (double)q);

    /* Residuals at the fit (the evaluation state is at beta). */
    unsigned want = spec->residuals;
    /* An exact fit's martingale residuals, zph, baseline hazard and curves are R's Breslow forms
       at its coefficients (coxexact.fit's coxmart2; cox.zph and survfit.coxph treat "exact" as
       Breslow): a Breslow workspace evaluated at beta serves them (its information, for zph, in
       inew). */
    cox_work *wp = w;
    if (w->exact && ((want & (CARTA_COX_RESID_MARTINGALE | CARTA_COX_RESID_DEVIANCE)) ||
                     spec->zph != CARTA_COX_ZPH_NONE || spec->basehaz || spec->newdata)) {
        carta_cox_spec sb = *spec;
        double ldummy;
        sb.ties = CARTA_COX_TIES_BRESLOW;
        if ((rc = cox_work_new(&sb, d, x, NULL, &wb, err)) != CARTA_OK) goto done;
        cox_work_set_cols(wb, cols, q);
        if ((rc = cox_eval(wb, beta, &ldummy, unew, inew, err)) != CARTA_OK) goto done;
        wp = wb;
    }
    if (want & (CARTA_COX_RESID_MARTINGALE | CARTA_COX_RESID_DEVIANCE)) {
        if (!(r->martingale = carta_malloc(n * sizeof *r->martingale)) ||
            ((want & CARTA_COX_RESID_DEVIANCE) && !(r->deviance = carta_malloc(n * sizeof *r->deviance)))) {
            rc = carta_error_set(err, CARTA_ENOMEM, NULL, "cox: no memory for residuals");
            goto done;
        }
        for (size_t i = 0; i < n; i++) {
            double rho = wp->r[i] / (d->weight ? d->weight[i] : 1.0);
            r->martingale[i] = d->status[i] - rho * wp->c[i];
        }
        if (r->deviance)
            for (size_t i = 0; i < n; i++) {
                double m = r->martingale[i], st = d->status[i];
                double dv = -2 * (m + (st == 0 ? 0 : st * log(st - m)));
                r->deviance[i] = (m > 0 ? 1 : m < 0 ? -1 : 0) * sqrt(dv > 0 ? dv : 0);
            }
    }
    if (want & (CARTA_COX_RESID_SCORE | CARTA_COX_RESID_DFBETA | CARTA_COX_RESID_SCHOENFELD)) {
        size_t np_;
        double *sch = NULL;
        if (carta_size_mul(n, p, &np_)) { rc = carta_error_set(err, CARTA_ENOMEM, NULL, "cox: residuals too large"); goto done; }
        if (!sres && !(sres = carta_malloc(n * q * sizeof *sres))) { rc = carta_error_set(err, CARTA_ENOMEM, NULL, "cox: no memory for residuals"); goto done; }
        if ((want & CARTA_COX_RESID_SCHOENFELD) && !(sch = carta_malloc(n * q * sizeof *sch))) {
            rc = carta_error_set(err, CARTA_ENOMEM, NULL, "cox: no memory for residuals");
            goto done;
        }
        cox_score_resid(w, sres, sch);
        if (want & CARTA_COX_RESID_SCORE) {
            if (!(r->score_resid = carta_malloc(np_ * sizeof *r->score_resid))) { carta_free(sch); rc = carta_error_set(err, CARTA_ENOMEM, NULL, "cox: no memory"); goto done; }
            for (size_t k = 0; k < np_; k++) r->score_resid[k] = NAN;
            for (size_t a = 0; a < q; a++) memcpy(r->score_resid + cols[a] * n, sres + a * n, n * sizeof *sres);
        }
        if (want & CARTA_COX_RESID_DFBETA) {
            double *db = carta_malloc(n * q * sizeof *db);
            if (!db || !(r->dfbeta = carta_malloc(np_ * sizeof *r->dfbeta))) { carta_free(db); carta_free(sch); rc = carta_error_set(err, CARTA_ENOMEM, NULL, "cox: no memory"); goto done; }
            cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)q, (int)q, 1.0, sres, (int)n, vq, (int)q, 0.0, db, (int)n);
            for (size_t k = 0; k < np_; k++) r->dfbeta[k] = NAN;
            /* R's residuals(type = "dfbeta") are weighted by the case weights */
            for (size_t a = 0; a < q; a++)
                for (size_t i = 0; i < n; i++)
                    r->dfbeta[i + cols[a] * n] = db[i + a * n] * (d->weight ? d->weight[i] : 1.0);
            carta_free(db);
        }
        if (sch) {
            size_t ne = r->events, e = 0;
            r->n_schoenfeld = ne;
            r->schoenfeld_row = carta_malloc((ne ? ne : 1) * sizeof *r->schoenfeld_row);
            r->schoenfeld = carta_malloc((ne ? ne : 1) * p * sizeof *r->schoenfeld);
            r->scaled_schoenfeld = carta_malloc((ne ? ne : 1) * p * sizeof *r->scaled_schoenfeld);
            if (!r->schoenfeld_row || !r->schoenfeld || !r->scaled_schoenfeld) { carta_free(sch); rc = carta_error_set(err, CARTA_ENOMEM, NULL, "cox: no memory"); goto done; }
            for (size_t k = 0; k < ne * p; k++) r->schoenfeld[k] = r->scaled_schoenfeld[k] = NAN;
            for (size_t i = 0; i < n; i++) {
                if (d->status[i] != 1) continue;
                r->schoenfeld_row[e] = i;
                for (size_t a = 0; a < q; a++) {
                    r->schoenfeld[e + cols[a] * ne] = sch[i + a * n];
                    /* scaled (Grambsch & Therneau 1994): events * V r + beta, R's "scaledsch" */
                    double v = 0;
                    for (size_t b = 0; b < q; b++) v += sch[i + b * n] * vq[b + a * q];
                    r->scaled_schoenfeld[e + cols[a] * ne] = (double)ne * v + beta[a];
                }
                e++;
            }
            carta_free(sch);
        }
    }

    if (robust) {
        /* robust score test at linear predictor 0 (R: fit2$linear.predictors <- 0, offset too) */
        const double *off = w->offset;
        double ldummy;
        w->offset = NULL;
        memset(bnew, 0, q * sizeof *bnew);
        rc = cox_eval(w, bnew, &ldummy, NULL, NULL, err);
        w->offset = off;
        if (rc != CARTA_OK) goto done;
        cluster_scores(w, d, G, sres, tsum);
        double *ttt = inew;
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, (int)q, (int)G, 1.0, tsum, (int)G, 0.0, ttt, (int)q);
        for (size_t a = 0; a < q; a++) for (size_t b = 0; b < a; b++) ttt[a + b * q] = ttt[b + a * q];
        for (size_t a = 0; a < q; a++) {
            double sum = 0;
            for (size_t g = 0; g < G; g++) sum += tsum[g + a * G];
            unew[a] = sum;
        }
        r->robust_score = chisq_test(quad_form(q, ttt, unew, tmp, s), (double)q);
        /* back to the fitted state for what follows */
        if ((rc = cox_eval(w, beta, &ldummy, NULL, NULL, err)) != CARTA_OK) goto done;
    }

    if (spec->zph != CARTA_COX_ZPH_NONE && (rc = cox_zph(wp, spec, wp != w ? inew : info, r, err)) != CARTA_OK) goto done;
    if ((spec->basehaz || spec->newdata) && (rc = cox_curves(wp, spec, d, beta, rv ? rv : vq, r, err)) != CARTA_OK) goto done;

    /* The concordance last, on the linear predictors at the fit, after the workspace is freed:
       its own arrays then do not add to the workspace's in the fit's peak memory. */
    cox_work_free(w);
    cox_work_free(wb);
    w = wb = NULL;
    if (spec->concordance) {
        carta_concordance_result cr;
        if ((rc = carta_concordance(n, d->time, d->start, d->status, r->linear_predictors, d->weight,
                                    d->strata, d->cluster, 1, &cr, err)) != CARTA_OK)
            goto done;
        r->concordance = cr.c;
        r->concordance_se = cr.se;
        memcpy(r->conc_counts, cr.counts, sizeof r->conc_counts);
    }

done:
    cox_work_free(wb);
    carta_free(mem);
    carta_free(cols);
    carta_free(sres);
    carta_free(tsum);
    cox_work_free(w);
    if (rc == CARTA_OK) *out = r;
    else carta_cox_result_free(r);
    return rc;
}

int carta_cox_fit(const carta_cox_spec *spec, const carta_surv_data *d, const carta_matrix *x,
                  carta_cox_result **out, carta_error *err)
{
    return fit(spec, d, x, NULL, out, err);
}

int carta_cox_fit_reorder(const carta_cox_spec *spec, const carta_surv_data *d, const carta_matrix *x,
                          double *data, carta_cox_result **out, carta_error *err)
{
    *out = NULL;
    if (!x || !data || x->data != data)
        return carta_error_set(err, CARTA_EUSAGE, NULL, "cox: the writable design must be the matrix's own data (x->data)");
    return fit(spec, d, x, data, out, err);
}
