/* Logistic regression: maximum likelihood by Newton-Raphson (IRLS), or Firth's penalized
 * likelihood.
 *
 * With p_i = 1 / (1 + exp(-eta_i)), eta = X b + offset, and case weights w:
 *   log-likelihood  l(b) = sum_i w_i [y_i eta_i - log(1 + exp(eta_i))]
 *   information     I(b) = X' W X,  W = diag(w_i p_i (1 - p_i))
 *   score           U(b) = X' (w (y - p))
 * Firth (Biometrika 1993;80:27) maximises l(b) + log|I(b)| / 2, whose score is
 *   U*(b) = X' (w (y - p) + h (1/2 - p)),  h = diag(W^1/2 X I^-1 X' W^1/2)
 * (Heinze & Schemper, Stat Med 2002;21:2409): the estimates stay finite under separation.
 * Each Newton step solves I d = U with the Cholesky factor of I (LAPACKE dpotrf/dpotrs); I is
 * formed as Z'Z with Z = W^1/2 X by one dsyrk, and h from the rows of Z L^-T (one dtrsm).
 * Step-halving keeps the (penalized) log-likelihood from decreasing. Standard errors are the
 * square roots of diag(I^-1) at the estimate (as R's glm and brglm2 report them); p-values and
 * odds-ratio limits are Wald (normal) ones, as summary.glm and confint.default give. */
#include <carta/logistic.h>
#include <carta/alloc.h>

#include <cblas.h>
#include <gsl/gsl_cdf.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

typedef struct work {
    size_t n, p;
    double *x;     /* n x p with the intercept column first */
    double *eta, *prob, *h, *resid;
    double *z;     /* n x p: W^1/2 X, then Z L^-T */
    double *info, *chol; /* p x p */
    double *score, *step, *beta, *trial;
} work;

static void work_free(work *w)
{
    if (!w) return;
    carta_free(w->x);
    carta_free(w->eta);
    carta_free(w->prob);
    carta_free(w->h);
    carta_free(w->resid);
    carta_free(w->z);
    carta_free(w->info);
    carta_free(w->chol);
    carta_free(w->score);
    carta_free(w->step);
    carta_free(w->beta);
    carta_free(w->trial);
    carta_free(w);
}

static work *work_new(size_t n, size_t p)
{
    size_t np, pp;
    if (carta_size_mul(n, p, &np) || carta_size_mul(p, p, &pp)) return NULL;
    work *w = carta_calloc(1, sizeof *w);
    if (!w) return NULL;
    w->n = n;
    w->p = p;
    w->x = carta_malloc(np * sizeof *w->x);
    w->z = carta_malloc(np * sizeof *w->z);
    w->eta = carta_malloc(n * sizeof *w->eta);
    w->prob = carta_malloc(n * sizeof *w->prob);
    w->h = carta_calloc(n, sizeof *w->h);
    w->resid = carta_malloc(n * sizeof *w->resid);
    w->info = carta_malloc(pp * sizeof *w->info);
    w->chol = carta_malloc(pp * sizeof *w->chol);
    w->score = carta_malloc(p * sizeof *w->score);
    w->step = carta_malloc(p * sizeof *w->step);
    w->beta = carta_calloc(p, sizeof *w->beta);
    w->trial = carta_malloc(p * sizeof *w->trial);
    if (!w->x || !w->z || !w->eta || !w->prob || !w->h || !w->resid || !w->info || !w->chol || !w->score ||
        !w->step || !w->beta || !w->trial) {
        work_free(w);
        return NULL;
    }
    return w;
}

/* log(1 + exp(x)) without overflow. */
static double log1pexp(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }

void carta_logistic_spec_default(carta_logistic_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->max_iter = 100;
    spec->eps = 1e-10;
    spec->max_halving = 30;
    spec->conf_level = 0.95;
}

int carta_logistic_spec_check(const carta_logistic_spec *spec, carta_error *err)
{
    carta_where at = { 0 };
    if (spec->max_iter < 1) { at.field = "max_iter"; return carta_error_set(err, CARTA_ECONFIG, &at, "must be at least 1"); }
    if (!(spec->eps > 0 && spec->eps < 1)) { at.field = "eps"; return carta_error_set(err, CARTA_ECONFIG, &at, "must be in (0, 1)"); }
    if (spec->max_halving < 0) { at.field = "max_halving"; return carta_error_set(err, CARTA_ECONFIG, &at, "must be >= 0"); }
    if (!(spec->conf_level > 0 && spec->conf_level < 1)) {
        at.field = "conf_level";
        return carta_error_set(err, CARTA_ECONFIG, &at, "must be in (0, 1)");
    }
    return CARTA_OK;
}

/* Evaluates eta, p, the log-likelihood and (when want_info) the information's Cholesky factor,
   its log-determinant, and for Firth the leverages h. Returns 0, or the 1-based index of the
   failing leading minor when I is not positive definite. */
static int evaluate(work *w, const double *beta, const double *y, const carta_logistic_spec *spec, int want_info,
                    double *loglik, double *logdet)
{
    size_t n = w->n, p = w->p;
    cblas_dgemv(CblasColMajor, CblasNoTrans, (int)n, (int)p, 1.0, w->x, (int)n, beta, 1, 0.0, w->eta, 1);
    double ll = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = spec->weight ? spec->weight[i] : 1.0;
        if (spec->offset) w->eta[i] += spec->offset[i];
        w->prob[i] = 1.0 / (1.0 + exp(-w->eta[i]));
        if (wi > 0) ll += wi * (y[i] * w->eta[i] - log1pexp(w->eta[i]));
    }
    *loglik = ll;
    if (!want_info) return 0;
    for (size_t i = 0; i < n; i++) {
        double wi = spec->weight ? spec->weight[i] : 1.0;
        double s = sqrt(wi * w->prob[i] * (1 - w->prob[i]));
        for (size_t j = 0; j < p; j++) w->z[i + j * n] = s * w->x[i + j * n];
    }
    cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, (int)p, (int)n, 1.0, w->z, (int)n, 0.0, w->info, (int)p);
    memcpy(w->chol, w->info, p * p * sizeof *w->chol);
    lapack_int info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', (lapack_int)p, w->chol, (lapack_int)p);
    if (info != 0) return (int)info;
    double ld = 0;
    for (size_t j = 0; j < p; j++) ld += 2 * log(w->chol[j + j * p]);
    *logdet = ld;
    if (spec->firth) {
        /* Rows of Z L^-T are L^-1 z_i; their squared norms are the leverages. */
        cblas_dtrsm(CblasColMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, (int)n, (int)p, 1.0, w->chol,
                    (int)p, w->z, (int)n);
        for (size_t i = 0; i < n; i++) {
            double s = 0;
            for (size_t j = 0; j < p; j++) s += w->z[i + j * n] * w->z[i + j * n];
            w->h[i] = s;
        }
    }
    return 0;
}

/* Score (modified for Firth) at the state evaluate() left. */
static void compute_score(work *w, const double *y, const carta_logistic_spec *spec)
{
    for (size_t i = 0; i < w->n; i++) {
        double wi = spec->weight ? spec->weight[i] : 1.0;
        w->resid[i] = wi * (y[i] - w->prob[i]) + (spec->firth ? w->h[i] * (0.5 - w->prob[i]) : 0);
    }
    cblas_dgemv(CblasColMajor, CblasTrans, (int)w->n, (int)w->p, 1.0, w->x, (int)w->n, w->resid, 1, 0.0, w->score, 1);
}

/* Log-likelihood of the intercept-only model (with the offset), by one-dimensional Newton;
   for Firth, its penalized log-likelihood. */
static double null_loglik(const double *y, const carta_logistic_spec *spec, size_t n, double *pen)
{
    double sw = 0, sy = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = spec->weight ? spec->weight[i] : 1.0;
        sw += wi;
        sy += wi * y[i];
    }
    double a = log((sy + 0.5) / (sw - sy + 0.5)), ll = 0, info = 0;
    for (int it = 0; it < 200; it++) {
        double u = 0, d3 = 0;
        ll = 0;
        info = 0;
        for (size_t i = 0; i < n; i++) {
            double wi = spec->weight ? spec->weight[i] : 1.0;
            double e = a + (spec->offset ? spec->offset[i] : 0), q = 1.0 / (1.0 + exp(-e));
            u += wi * (y[i] - q);
            info += wi * q * (1 - q);
            d3 += wi * q * (1 - q) * (1 - 2 * q);
            ll += wi * (y[i] * e - log1pexp(e));
        }
        /* Firth in one dimension: U* = U + (1/2) d log I / da = U + d3 / (2 I). */
        if (spec->firth) u += 0.5 * d3 / info;
        double step = u / info;
        a += step;
        if (fabs(step) <= 1e-14 * (fabs(a) + 1)) break;
    }
    ll = 0;
    info = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = spec->weight ? spec->weight[i] : 1.0;
        double e = a + (spec->offset ? spec->offset[i] : 0), q = 1.0 / (1.0 + exp(-e));
        info += wi * q * (1 - q);
        ll += wi * (y[i] * e - log1pexp(e));
    }
    *pen = ll + 0.5 * log(info);
    return ll;
}

static int check_input(const double *y, const carta_matrix *x, const carta_logistic_spec *spec, carta_error *err,
                       double *events, double *total)
{
    *events = *total = 0;
    for (size_t i = 0; i < x->n; i++) {
        carta_where at = { .row = (long)i + 1 };
        double wi = spec->weight ? spec->weight[i] : 1.0;
        if (!(wi >= 0) || !isfinite(wi)) return carta_error_set(err, CARTA_EDATA, &at, "weight %g is not a finite number >= 0", wi);
        if (!(y[i] == 0 || y[i] == 1)) return carta_error_set(err, CARTA_EDATA, &at, "outcome %g is not 0 or 1", y[i]);
        if (spec->offset && !isfinite(spec->offset[i])) return carta_error_set(err, CARTA_EDATA, &at, "offset is not finite");
        for (size_t j = 0; j < x->p; j++)
            if (!isfinite(x->data[i + j * x->n])) {
                at.field = x->names ? x->names[j] : NULL;
                return carta_error_set(err, CARTA_EDATA, &at, "value is not a finite number");
            }
        *events += wi * y[i];
        *total += wi;
    }
    if (*events == 0 || *events == *total)
        return carta_error_set(err, CARTA_ENUMERIC, NULL, "the outcome has only one class (%g events in %g)", *events, *total);
    return CARTA_OK;
}

static carta_logistic_result *result_new(size_t p)
{
    carta_logistic_result *r = carta_calloc(1, sizeof *r);
    if (!r) return NULL;
    r->p = p;
    r->terms = carta_calloc(p, sizeof *r->terms);
    r->vcov = carta_calloc(p * p, sizeof *r->vcov);
    if (!r->terms || !r->vcov) {
        carta_logistic_result_free(r);
        return NULL;
    }
    return r;
}

void carta_logistic_result_free(carta_logistic_result *r)
{
    if (!r) return;
    if (r->terms)
        for (size_t j = 0; j < r->p; j++) carta_free(r->terms[j].term);
    carta_free(r->terms);
    carta_free(r->vcov);
    carta_free(r->separation_term);
    carta_free(r);
}

/* The Wald test of every coefficient but the intercept: b' V^-1 b on the sub-block. */
static int wald_test(const carta_logistic_result *r, carta_logistic_test *t)
{
    size_t q = r->p - 1;
    t->df = (double)q;
    t->stat = t->p = NAN;
    if (q == 0) return 0;
    double *v = carta_malloc(q * q * sizeof *v), *b = carta_malloc(q * sizeof *b);
    if (!v || !b) {
        carta_free(v);
        carta_free(b);
        return CARTA_ENOMEM;
    }
    for (size_t j = 0; j < q; j++) {
        b[j] = r->terms[j + 1].coef;
        for (size_t k = 0; k < q; k++) v[j + k * q] = r->vcov[(j + 1) + (k + 1) * r->p];
    }
    double *vb = carta_malloc(q * sizeof *vb);
    if (vb && LAPACKE_dposv(LAPACK_COL_MAJOR, 'L', (lapack_int)q, 1, v, (lapack_int)q, memcpy(vb, b, q * sizeof *b),
                            (lapack_int)q) == 0) {
        double s = 0;
        for (size_t j = 0; j < q; j++) s += b[j] * vb[j];
        t->stat = s;
        t->p = gsl_cdf_chisq_Q(s, (double)q);
    }
    int rc = vb ? 0 : CARTA_ENOMEM;
    carta_free(vb);
    carta_free(v);
    carta_free(b);
    return rc;
}

int carta_logistic_fit(const carta_logistic_spec *spec, const double *y, const carta_matrix *x,
                       carta_logistic_result **out, carta_error *err)
{
    *out = NULL;
    int rc = carta_logistic_spec_check(spec, err);
    if (rc) return rc;
    double events, total;
    if ((rc = check_input(y, x, spec, err, &events, &total))) return rc;
    size_t n = x->n, p = x->p + 1;
    work *w = work_new(n, p);
    carta_logistic_result *r = result_new(p);
    if (!w || !r) {
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "logistic: no memory for %zu x %zu", n, p);
        goto done;
    }
    for (size_t i = 0; i < n; i++) w->x[i] = 1.0;
    if (x->p) memcpy(w->x + n, x->data, n * x->p * sizeof *x->data);
    /* Start from the intercept-only fit's neighbourhood: logit of the event rate. */
    w->beta[0] = log((events + 0.5) / (total - events + 0.5));

    double ll, ld = 0, obj;
    int minor = evaluate(w, w->beta, y, spec, 1, &ll, &ld);
    int it, converged = 0, lost_information = 0;
    for (it = 1; it <= spec->max_iter && !minor; it++) {
        obj = ll + (spec->firth ? 0.5 * ld : 0);
        compute_score(w, y, spec);
        memcpy(w->step, w->score, p * sizeof *w->step);
        LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', (lapack_int)p, 1, w->chol, (lapack_int)p, w->step, (lapack_int)p);
        /* Step-halving: never accept a step that lowers the objective (or makes it non-finite). */
        double scale = 1, ll_new = ll, ld_new = ld;
        int ok = 0;
        for (int half = 0; half <= spec->max_halving; half++, scale *= 0.5) {
            for (size_t j = 0; j < p; j++) w->trial[j] = w->beta[j] + scale * w->step[j];
            int m = evaluate(w, w->trial, y, spec, spec->firth, &ll_new, &ld_new);
            double obj_new = ll_new + (spec->firth ? 0.5 * ld_new : 0);
            if (!m && isfinite(obj_new) && obj_new >= obj - 1e-12 * fabs(obj)) { ok = 1; break; }
        }
        if (!ok) break;
        double biggest = 0;
        for (size_t j = 0; j < p; j++) {
            double rel = fabs(scale * w->step[j]) / (fabs(w->trial[j]) + 1);
            if (rel > biggest) biggest = rel;
        }
        /* Under separation the fitted probabilities of whole groups reach 0 or 1 and the
           information becomes numerically singular: stop at the last estimate that had one. */
        if (evaluate(w, w->trial, y, spec, 1, &ll_new, &ld_new) != 0) {
            lost_information = 1;
            minor = evaluate(w, w->beta, y, spec, 1, &ll, &ld);
            break;
        }
        memcpy(w->beta, w->trial, p * sizeof *w->beta);
        ll = ll_new;
        ld = ld_new;
        if (biggest <= spec->eps) { converged = 1; break; }
    }
    if (minor) {
        carta_where at = { .field = minor > 1 ? x->names[minor - 2] : "(Intercept)" };
        rc = carta_error_set(err, CARTA_ENUMERIC, &at,
                             "logistic: information matrix is singular (the column is constant or collinear with "
                             "those before it)");
        goto done;
    }
    r->iterations = it > spec->max_iter ? spec->max_iter : it;
    r->converged = converged;
    r->firth = spec->firth;
    r->n = 0;
    for (size_t i = 0; i < n; i++) r->n += !spec->weight || spec->weight[i] > 0;
    r->events = events;
    r->loglik = ll;
    r->penalized_loglik = ll + (spec->firth ? 0.5 * ld : 0);
    double pen0;
    r->loglik_null = null_loglik(y, spec, n, &pen0);
    r->deviance = -2 * ll;
    r->null_deviance = -2 * r->loglik_null;
    r->aic = r->deviance + 2.0 * (double)p;
    /* For Firth the likelihood-ratio test compares penalized log-likelihoods (as logistf does). */
    r->lr.stat = spec->firth ? 2 * (r->penalized_loglik - pen0) : 2 * (ll - r->loglik_null);
    r->lr.df = (double)(p - 1);
    r->lr.p = p > 1 ? gsl_cdf_chisq_Q(r->lr.stat, r->lr.df) : (double)NAN;

    memcpy(r->vcov, w->chol, p * p * sizeof *r->vcov);
    LAPACKE_dpotri(LAPACK_COL_MAJOR, 'L', (lapack_int)p, r->vcov, (lapack_int)p);
    for (size_t j = 0; j < p; j++)
        for (size_t k = j + 1; k < p; k++) r->vcov[j + k * p] = r->vcov[k + j * p];
    double zq = gsl_cdf_ugaussian_Pinv(0.5 + spec->conf_level / 2);
    for (size_t j = 0; j < p; j++) {
        carta_logistic_term *t = &r->terms[j];
        if (!(t->term = carta_strdup(j == 0 ? "(Intercept)" : x->names[j - 1]))) {
            rc = carta_error_set(err, CARTA_ENOMEM, NULL, "logistic: no memory");
            goto done;
        }
        t->coef = w->beta[j];
        t->se = sqrt(r->vcov[j + j * p]);
        t->z = t->coef / t->se;
        t->p = 2 * gsl_cdf_ugaussian_Q(fabs(t->z));
        t->odds_ratio = exp(t->coef);
        t->or_lower = exp(t->coef - zq * t->se);
        t->or_upper = exp(t->coef + zq * t->se);
    }
    if ((rc = wald_test(r, &r->wald))) {
        carta_error_set(err, rc, NULL, "logistic: no memory");
        goto done;
    }
    /* Separation: without Firth the likelihood has no maximum, Newton keeps walking and the
       fitted probabilities reach 0 or 1. The term that runs away is the one whose coefficient,
       scaled by its column's spread, is largest. */
    if (!spec->firth && !converged) {
        int extreme = lost_information;
        for (size_t i = 0; i < n; i++) extreme |= w->prob[i] < 1e-8 || w->prob[i] > 1 - 1e-8;
        if (extreme) {
            r->separation = 1;
            double worst = -1;
            size_t jw = 1;
            for (size_t j = 1; j < p; j++) {
                double lo = INFINITY, hi = -INFINITY;
                for (size_t i = 0; i < n; i++) {
                    lo = fmin(lo, w->x[i + j * n]);
                    hi = fmax(hi, w->x[i + j * n]);
                }
                double s = fabs(w->beta[j]) * (hi - lo);
                if (s > worst) { worst = s; jw = j; }
            }
            if (p > 1 && !(r->separation_term = carta_strdup(x->names[jw - 1]))) {
                rc = carta_error_set(err, CARTA_ENOMEM, NULL, "logistic: no memory");
                goto done;
            }
        }
    }
done:
    work_free(w);
    if (rc) {
        carta_logistic_result_free(r);
        return rc;
    }
    *out = r;
    return CARTA_OK;
}

void carta_logistic_predict(const carta_logistic_result *r, const carta_matrix *x, const double *offset, double *prob)
{
    for (size_t i = 0; i < x->n; i++) {
        double e = r->terms[0].coef + (offset ? offset[i] : 0);
        for (size_t j = 0; j < x->p; j++) e += r->terms[j + 1].coef * x->data[i + j * x->n];
        prob[i] = 1.0 / (1.0 + exp(-e));
    }
}
