/* Elastic-net penalized logistic and Cox regression by cyclical coordinate descent along a
 * lambda path with warm starts, and its cross-validation: R's glmnet 4.1 (Friedman, Hastie &
 * Tibshirani, J Stat Softw 2010;33(1); Simon, Friedman, Hastie & Tibshirani, J Stat Softw
 * 2011;39(5) for Cox).
 *
 * Weights w are scaled to sum 1 (glmnet's convention). Columns are centred by their weighted
 * mean m_j and, with standardize, divided by s_j = sqrt(sum_i w_i (x_ij - m_j)^2); constant
 * columns are left out (coefficient 0). Penalty factors v_j are rescaled to sum p. At each
 * lambda the objective, in the standardized coordinates b, is
 *   logistic:  -sum_i w_i [y_i eta_i - log(1 + e^eta_i)] + lambda P(b),  eta = b0 + X b
 *   Cox:       -sum_k [sum_{i in D_k} w_i eta_i - d_k log sum_{i in R_k} w_i e^eta_i] + lambda P(b)
 *              (Breslow ties: D_k the deaths at the k-th distinct death time, d_k their weight,
 *              R_k the rows of the same stratum still at risk, time >= t_k: a censored row tied
 *              with a death is at risk. glmnet intends the same (it adds 100 DBL_EPSILON to
 *              censored times) but the shift is lost for times above about 200, where its
 *              answers then depend on the time scale; carta's do not.)
 *   P(b) = sum_j v_j [alpha |b_j| + (1 - alpha) b_j^2 / 2].
 * Each outer step replaces the loss by its quadratic expansion in eta with the exact gradient r
 * and diagonal weights q (logistic w p (1 - p); Cox the diagonal of the Hessian, as coxnet does)
 * and minimises it by coordinate descent: with g_j = x_j' r + xv_j b_j, xv_j = sum_i q_i x_ij^2,
 *   b_j <- S(g_j, lambda alpha v_j) / (xv_j + lambda (1 - alpha) v_j),  S the soft threshold;
 * the intercept is unpenalized. A pass is converged when max_j xv_j (db_j)^2 < thresh * D0
 * (D0 the null deviance with weights summing to 1); the outer loop when a whole outer step moves
 * no coefficient by more than that. Full passes alternate with passes over the nonzero set.
 * Coefficients are reported on the original scale: beta_j = b_j / s_j, beta0 = b0 - sum m_j beta_j.
 *
 * Path: lambda_max = max_{j: v_j > 0} |x_j' r0| / v_j / max(alpha, 1e-3), r0 the gradient at the
 * model with every penalized b_j = 0 (columns with v_j = 0 fitted, as glmnet does),
 * lambda_m = lambda_max * ratio^(m / (nlambda - 1)); at lambda_max every coefficient is 0. The
 * default path stops after at least 5 lambdas: logistic when the deviance ratio exceeds 0.999 or
 * rose by less than 1e-5 since the previous lambda; Cox when it exceeds 0.99 or rose by less than
 * 1e-3 of itself over the last 4 lambdas (glmnet's fdev/devmax rules; the Cox form is cox.path's,
 * and coxnet's default paths end at the same lambda on the reference cases).
 *
 * Strata: each stratum has its own risk sets (glmnet's stratifySurv); verified against survival's
 * coxph with a ridge penalty (alpha = 0), because glmnet's cox.path does not converge on it.
 * Deviance: logistic -2 sum w log-lik with the caller's weights; Cox 2 (l_sat - l) with weights
 * scaled to sum n and l_sat = -sum_k d_k log d_k (glmnet's coxnet.deviance).
 * Cross-validation (cv.glmnet 4.1, type.measure = "deviance", grouped = TRUE): each fold's model
 * is fitted on the other folds along its own default path (or the user's lambdas) and read at the
 * full-data lambdas by linear interpolation in lambda, clamped to its ends (lambda.interp). Logistic: fold loss = weighted mean of
 * -2 [y log p + (1 - y) log(1 - p)] over its rows, p clamped to [1e-5, 1 - 1e-5], fold weight the
 * sum of its weights. Cox (Verweij & van Houwelingen, Stat Med 1993;12:2305): fold loss =
 * (Dev_all(beta_-k) - Dev_-k(beta_-k)) / e_k, e_k the weighted events in fold k, fold weight e_k.
 * cvm = weighted mean of the fold losses, cvsd = sqrt(weighted mean of (loss - cvm)^2 / (K - 1)). */
#include <carta/glmnet.h>
#include <carta/alloc.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One fitting problem: the selected rows, standardized. */
typedef struct prob {
    int family;
    size_t n, p;          /* rows in this problem, columns */
    double *xs;           /* n x p centred (and scaled) columns */
    double *xm, *xsd;     /* p */
    int *ju;              /* p: 1 = usable (not constant) */
    double *vp;           /* p penalty factors, rescaled */
    double *w;            /* n weights summing to 1 */
    double wsum;          /* sum of the caller's weights of these rows */
    double *y;            /* n: logistic outcome, Cox status */
    /* Cox: rows sorted by (stratum, time) into blocks of equal (stratum, time) */
    size_t *ord, *bstart; /* n; nblk + 1 */
    int *bstrat;          /* nblk */
    double *dk, *s0;      /* nblk */
    size_t nblk;
    double lsat;          /* Cox: -sum d_k log d_k (weights summing to 1) */
    double dev0;          /* null deviance, weights summing to 1 */
    double a0null;        /* logistic: logit of the weighted mean */
    /* solver state */
    double *b, a0, *eta, *r, *q, *xv, *bold;
    int *xv_ok;
} prob;

typedef struct sortkey {
    int s;
    double t;
    size_t i;
} sortkey;

static int cmp_key(const void *a, const void *b)
{
    const sortkey *x = a, *y = b;
    if (x->s != y->s) return x->s < y->s ? -1 : 1;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return x->i < y->i ? -1 : (x->i > y->i);
}

static void prob_free(prob *P)
{
    if (!P) return;
    carta_free(P->xs);
    carta_free(P->xm);
    carta_free(P->xsd);
    carta_free(P->ju);
    carta_free(P->vp);
    carta_free(P->w);
    carta_free(P->y);
    carta_free(P->ord);
    carta_free(P->bstart);
    carta_free(P->bstrat);
    carta_free(P->dk);
    carta_free(P->s0);
    carta_free(P->b);
    carta_free(P->eta);
    carta_free(P->r);
    carta_free(P->q);
    carta_free(P->xv);
    carta_free(P->bold);
    carta_free(P->xv_ok);
    carta_free(P);
}

void carta_glmnet_spec_default(carta_glmnet_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->family = CARTA_GLMNET_LOGISTIC;
    spec->alpha = 1;
    spec->nlambda = 100;
    spec->standardize = 1;
    spec->thresh = 1e-7;
    spec->max_iter = 100000;
}

int carta_glmnet_spec_check(const carta_glmnet_spec *spec, carta_error *err)
{
    carta_where at = { 0 };
    if (spec->family != CARTA_GLMNET_LOGISTIC && spec->family != CARTA_GLMNET_COX) {
        at.field = "family";
        return carta_error_set(err, CARTA_ECONFIG, &at, "must be logistic or cox");
    }
    if (!(spec->alpha >= 0 && spec->alpha <= 1)) {
        at.field = "alpha";
        return carta_error_set(err, CARTA_ECONFIG, &at, "must be in [0, 1]");
    }
    if (!spec->lambdas && spec->nlambda < 1) {
        at.field = "nlambda";
        return carta_error_set(err, CARTA_ECONFIG, &at, "must be at least 1");
    }
    if (!(spec->lambda_min_ratio == 0 || (spec->lambda_min_ratio > 0 && spec->lambda_min_ratio < 1))) {
        at.field = "lambda_min_ratio";
        return carta_error_set(err, CARTA_ECONFIG, &at, "must be in (0, 1) (0 = default)");
    }
    if (spec->lambdas) {
        at.field = "lambdas";
        if (spec->n_lambdas < 1) return carta_error_set(err, CARTA_ECONFIG, &at, "must not be empty");
        for (size_t m = 0; m < spec->n_lambdas; m++) {
            if (!(spec->lambdas[m] >= 0) || !isfinite(spec->lambdas[m]))
                return carta_error_set(err, CARTA_ECONFIG, &at, "value %zu (%g) is not a finite number >= 0", m + 1,
                                       spec->lambdas[m]);
            if (m > 0 && spec->lambdas[m] > spec->lambdas[m - 1])
                return carta_error_set(err, CARTA_ECONFIG, &at, "must be decreasing (value %zu > value %zu)", m + 1, m);
        }
    }
    if (!(spec->thresh > 0 && spec->thresh < 1)) {
        at.field = "thresh";
        return carta_error_set(err, CARTA_ECONFIG, &at, "must be in (0, 1)");
    }
    if (spec->max_iter < 1) {
        at.field = "max_iter";
        return carta_error_set(err, CARTA_ECONFIG, &at, "must be at least 1");
    }
    return CARTA_OK;
}

/* Checks the data of all rows (once, before any fold is built). */
static int check_data(const carta_glmnet_spec *spec, const carta_matrix *x, const double *y,
                      const carta_surv_data *surv, carta_error *err)
{
    carta_where at = { 0 };
    size_t n = x->n, p = x->p;
    if (n < 2 || p < 1) return carta_error_set(err, CARTA_EDATA, NULL, "need at least 2 rows and 1 column (have %zu x %zu)", n, p);
    if (spec->penalty_factor)
        for (size_t j = 0; j < p; j++)
            if (!(spec->penalty_factor[j] >= 0) || !isfinite(spec->penalty_factor[j])) {
                at.field = "penalty_factor";
                return carta_error_set(err, CARTA_ECONFIG, &at, "value %zu (%g) is not a finite number >= 0", j + 1,
                                       spec->penalty_factor[j]);
            }
    for (size_t j = 0; j < p; j++)
        for (size_t i = 0; i < n; i++)
            if (!isfinite(x->data[i + j * n])) {
                at.row = (long)i + 1;
                at.field = x->names ? x->names[j] : NULL;
                return carta_error_set(err, CARTA_EDATA, &at, "value is not a finite number");
            }
    at.field = NULL;
    if (spec->family == CARTA_GLMNET_LOGISTIC) {
        if (!y) return carta_error_set(err, CARTA_EDATA, NULL, "logistic model without an outcome");
        double ev = 0, tot = 0;
        for (size_t i = 0; i < n; i++) {
            double wi = spec->weight ? spec->weight[i] : 1.0;
            at.row = (long)i + 1;
            if (!(wi >= 0) || !isfinite(wi)) return carta_error_set(err, CARTA_EDATA, &at, "weight %g is not a finite number >= 0", wi);
            if (!(y[i] == 0 || y[i] == 1)) return carta_error_set(err, CARTA_EDATA, &at, "outcome %g is not 0 or 1", y[i]);
            ev += wi * y[i];
            tot += wi;
        }
        if (ev == 0 || ev == tot)
            return carta_error_set(err, CARTA_ENUMERIC, NULL, "the outcome has only one class (%g events in %g)", ev, tot);
    } else {
        if (!surv || surv->n != n)
            return carta_error_set(err, CARTA_EDATA, NULL, "survival data has %zu rows, the design %zu", surv ? surv->n : 0, n);
        if (surv->start) {
            at.field = "start";
            return carta_error_set(err, CARTA_ECONFIG, &at, "(start, stop] data is not supported by the penalized Cox model");
        }
        double ev = 0;
        for (size_t i = 0; i < n; i++) {
            double wi = surv->weight ? surv->weight[i] : 1.0;
            at.row = (long)i + 1;
            if (!(wi >= 0) || !isfinite(wi)) return carta_error_set(err, CARTA_EDATA, &at, "weight %g is not a finite number >= 0", wi);
            if (!isfinite(surv->time[i])) return carta_error_set(err, CARTA_EDATA, &at, "time is not a finite number");
            if (surv->status[i] != 0 && surv->status[i] != 1) return carta_error_set(err, CARTA_EDATA, &at, "status %d is not 0 or 1", surv->status[i]);
            if (surv->strata && (surv->strata[i] < 0 || (size_t)surv->strata[i] >= (surv->n_strata ? surv->n_strata : 1)))
                return carta_error_set(err, CARTA_EDATA, &at, "stratum %d out of range", surv->strata[i]);
            ev += wi * surv->status[i];
        }
        if (!(ev > 0)) return carta_error_set(err, CARTA_ENUMERIC, NULL, "no events");
    }
    return CARTA_OK;
}

static double log1pexp(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }

/* Cox: log partial likelihood at P->eta, and when grad the gradient r and the Hessian diagonal
   q with respect to eta. Weights sum to 1. */
static double cox_eval(prob *P, int grad)
{
    double ll = 0, S0 = 0;
    for (size_t k = P->nblk; k-- > 0;) {
        if (k + 1 == P->nblk || P->bstrat[k] != P->bstrat[k + 1]) S0 = 0;
        for (size_t t = P->bstart[k]; t < P->bstart[k + 1]; t++) {
            size_t i = P->ord[t];
            S0 += P->w[i] * exp(P->eta[i]);
        }
        P->s0[k] = S0;
        if (P->dk[k] > 0) {
            for (size_t t = P->bstart[k]; t < P->bstart[k + 1]; t++) {
                size_t i = P->ord[t];
                if (P->y[i] > 0) ll += P->w[i] * P->eta[i];
            }
            ll -= P->dk[k] * log(S0);
        }
    }
    if (!grad) return ll;
    double C1 = 0, C2 = 0;
    for (size_t k = 0; k < P->nblk; k++) {
        if (k == 0 || P->bstrat[k] != P->bstrat[k - 1]) C1 = C2 = 0;
        if (P->dk[k] > 0) {
            C1 += P->dk[k] / P->s0[k];
            C2 += P->dk[k] / (P->s0[k] * P->s0[k]);
        }
        for (size_t t = P->bstart[k]; t < P->bstart[k + 1]; t++) {
            size_t i = P->ord[t];
            double ew = P->w[i] * exp(P->eta[i]);
            P->r[i] = P->w[i] * P->y[i] - ew * C1;
            double h = ew * C1 - ew * ew * C2;
            P->q[i] = h > 0 ? h : 0;
        }
    }
    return ll;
}

/* Logistic log-likelihood (weights summing to 1) at P->eta; with grad, r and q. */
static double logit_eval(prob *P, int grad)
{
    double ll = 0;
    for (size_t i = 0; i < P->n; i++) {
        double e = P->eta[i];
        ll += P->w[i] * (P->y[i] * e - log1pexp(e));
        if (grad) {
            double pr = 1.0 / (1.0 + exp(-e));
            P->r[i] = P->w[i] * (P->y[i] - pr);
            double v = pr * (1 - pr);
            /* a floor on the working weight keeps the step finite near saturation (glmnet
               bounds it likewise); the fixed point depends only on the exact gradient r */
            P->q[i] = P->w[i] * (v > 1e-5 ? v : 1e-5);
        }
    }
    return ll;
}

static double loglik(prob *P, int grad) { return P->family == CARTA_GLMNET_COX ? cox_eval(P, grad) : logit_eval(P, grad); }

/* Builds a problem from the rows listed in rows[nr] (NULL = all rows). Data already checked. */
static int prob_build(const carta_glmnet_spec *spec, const carta_matrix *x, const double *y,
                      const carta_surv_data *surv, const size_t *rows, size_t nr, prob **out)
{
    size_t N = x->n, p = x->p, n = rows ? nr : N, np;
    if (carta_size_mul(n, p, &np)) return CARTA_ENOMEM;
    prob *P = carta_calloc(1, sizeof *P);
    if (!P) return CARTA_ENOMEM;
    P->family = spec->family;
    P->n = n;
    P->p = p;
    P->xs = carta_malloc(np * sizeof *P->xs);
    P->xm = carta_calloc(p, sizeof *P->xm);
    P->xsd = carta_calloc(p, sizeof *P->xsd);
    P->ju = carta_calloc(p, sizeof *P->ju);
    P->vp = carta_calloc(p, sizeof *P->vp);
    P->w = carta_malloc(n * sizeof *P->w);
    P->y = carta_malloc(n * sizeof *P->y);
    P->b = carta_calloc(p, sizeof *P->b);
    P->bold = carta_calloc(p, sizeof *P->bold);
    P->xv = carta_calloc(p, sizeof *P->xv);
    P->xv_ok = carta_calloc(p, sizeof *P->xv_ok);
    P->eta = carta_calloc(n, sizeof *P->eta);
    P->r = carta_calloc(n, sizeof *P->r);
    P->q = carta_calloc(n, sizeof *P->q);
    if (!P->xs || !P->xm || !P->xsd || !P->ju || !P->vp || !P->w || !P->y || !P->b || !P->bold || !P->xv ||
        !P->xv_ok || !P->eta || !P->r || !P->q) {
        prob_free(P);
        return CARTA_ENOMEM;
    }
    const double *cw = spec->family == CARTA_GLMNET_COX ? surv->weight : spec->weight;
    double sw = 0;
    for (size_t k = 0; k < n; k++) {
        size_t i = rows ? rows[k] : k;
        P->w[k] = cw ? cw[i] : 1.0;
        sw += P->w[k];
        P->y[k] = spec->family == CARTA_GLMNET_COX ? (double)surv->status[i] : y[i];
    }
    if (!(sw > 0)) {
        prob_free(P);
        return CARTA_ENUMERIC;
    }
    P->wsum = sw;
    for (size_t k = 0; k < n; k++) P->w[k] /= sw;
    double vsum = 0;
    size_t nvar = 0;
    for (size_t j = 0; j < p; j++) {
        const double *col = x->data + j * N;
        double *xj = P->xs + j * n, m = 0, s = 0;
        int constant = 1;
        for (size_t k = 0; k < n; k++) {
            xj[k] = col[rows ? rows[k] : k];
            if (xj[k] != xj[0]) constant = 0;
            m += P->w[k] * xj[k];
        }
        for (size_t k = 0; k < n; k++) {
            xj[k] -= m;
            s += P->w[k] * xj[k] * xj[k];
        }
        s = sqrt(s);
        P->xm[j] = m;
        P->ju[j] = !constant && s > 0;
        P->xsd[j] = spec->standardize && P->ju[j] ? s : 1.0;
        if (spec->standardize && P->ju[j])
            for (size_t k = 0; k < n; k++) xj[k] /= s;
        double v = spec->penalty_factor ? spec->penalty_factor[j] : 1.0;
        P->vp[j] = v;
        vsum += v;
        nvar++;
    }
    /* glmnet rescales the penalty factors to sum to the number of variables */
    if (vsum > 0)
        for (size_t j = 0; j < p; j++) P->vp[j] *= (double)nvar / vsum;
    if (spec->family == CARTA_GLMNET_LOGISTIC) {
        double ybar = 0;
        for (size_t k = 0; k < n; k++) ybar += P->w[k] * P->y[k];
        if (!(ybar > 0 && ybar < 1)) {
            prob_free(P);
            return CARTA_ENUMERIC;
        }
        P->a0null = log(ybar / (1 - ybar));
        P->dev0 = -2 * (ybar * log(ybar) + (1 - ybar) * log(1 - ybar));
    } else {
        sortkey *key = carta_malloc(n * sizeof *key);
        P->ord = carta_malloc(n * sizeof *P->ord);
        P->bstart = carta_malloc((n + 1) * sizeof *P->bstart);
        P->bstrat = carta_malloc(n * sizeof *P->bstrat);
        P->dk = carta_calloc(n, sizeof *P->dk);
        P->s0 = carta_calloc(n, sizeof *P->s0);
        if (!key || !P->ord || !P->bstart || !P->bstrat || !P->dk || !P->s0) {
            carta_free(key);
            prob_free(P);
            return CARTA_ENOMEM;
        }
        for (size_t k = 0; k < n; k++) {
            size_t i = rows ? rows[k] : k;
            key[k] = (sortkey){ surv->strata ? surv->strata[i] : 0, surv->time[i], k };
        }
        qsort(key, n, sizeof *key, cmp_key);
        size_t nb = 0;
        for (size_t t = 0; t < n; t++) {
            P->ord[t] = key[t].i;
            if (t == 0 || key[t].s != key[t - 1].s || key[t].t != key[t - 1].t) {
                P->bstart[nb] = t;
                P->bstrat[nb] = key[t].s;
                nb++;
            }
            P->dk[nb - 1] += P->w[key[t].i] * P->y[key[t].i];
        }
        P->bstart[nb] = n;
        P->nblk = nb;
        carta_free(key);
        double ev = 0, ls = 0;
        for (size_t k = 0; k < nb; k++) {
            ev += P->dk[k];
            if (P->dk[k] > 0) ls -= P->dk[k] * log(P->dk[k]);
        }
        if (!(ev > 0)) {
            prob_free(P);
            return CARTA_ENUMERIC;
        }
        P->lsat = ls;
        memset(P->eta, 0, n * sizeof *P->eta);
        P->dev0 = 2 * (ls - cox_eval(P, 0));
    }
    *out = P;
    return CARTA_OK;
}

/* Sets eta from a0 and b. */
static void set_eta(prob *P)
{
    for (size_t i = 0; i < P->n; i++) P->eta[i] = P->a0;
    for (size_t j = 0; j < P->p; j++)
        if (P->b[j] != 0) {
            const double *xj = P->xs + j * P->n;
            for (size_t i = 0; i < P->n; i++) P->eta[i] += P->b[j] * xj[i];
        }
}

/* One coordinate step for column j at lambda; returns xv_j (db)^2. */
static double coord(prob *P, size_t j, double l1, double l2)
{
    size_t n = P->n;
    const double *xj = P->xs + j * n;
    if (!P->xv_ok[j]) {
        double s = 0;
        for (size_t i = 0; i < n; i++) s += P->q[i] * xj[i] * xj[i];
        P->xv[j] = s;
        P->xv_ok[j] = 1;
    }
    double bj = P->b[j], g = 0;
    for (size_t i = 0; i < n; i++) g += xj[i] * P->r[i];
    g += P->xv[j] * bj;
    double u = fabs(g) - l1 * P->vp[j], nb = 0;
    if (u > 0) nb = copysign(u, g) / (P->xv[j] + l2 * P->vp[j]);
    if (nb == bj) return 0;
    double d = nb - bj;
    P->b[j] = nb;
    for (size_t i = 0; i < n; i++) {
        P->r[i] -= d * P->q[i] * xj[i];
        P->eta[i] += d * xj[i];
    }
    return P->xv[j] * d * d;
}

/* Intercept step (logistic); returns (sum q) d^2. */
static double coord0(prob *P)
{
    if (P->family != CARTA_GLMNET_LOGISTIC) return 0;
    double sr = 0, sq = 0;
    for (size_t i = 0; i < P->n; i++) {
        sr += P->r[i];
        sq += P->q[i];
    }
    if (!(sq > 0)) return 0;
    double d = sr / sq;
    P->a0 += d;
    for (size_t i = 0; i < P->n; i++) {
        P->r[i] -= d * P->q[i];
        P->eta[i] += d;
    }
    return sq * d * d;
}

/* Minimises the penalized objective at lambda from the current state. Returns 0 on convergence,
   1 when *passes reached max_passes. */
static int solve(prob *P, double lambda, double alpha, double thresh, long *passes, long max_passes)
{
    double thr = thresh * P->dev0, l1 = lambda * alpha, l2 = lambda * (1 - alpha);
    size_t p = P->p;
    for (;;) {
        loglik(P, 1);
        memset(P->xv_ok, 0, p * sizeof *P->xv_ok);
        memcpy(P->bold, P->b, p * sizeof *P->b);
        double a0old = P->a0;
        for (;;) {
            /* a full pass over every usable column */
            double dlx = coord0(P);
            for (size_t j = 0; j < p; j++)
                if (P->ju[j]) {
                    double c = coord(P, j, l1, l2);
                    if (c > dlx) dlx = c;
                }
            if (++*passes >= max_passes) return 1;
            if (dlx < thr) break;
            /* passes over the nonzero set until it settles */
            for (;;) {
                dlx = coord0(P);
                for (size_t j = 0; j < p; j++)
                    if (P->ju[j] && P->b[j] != 0) {
                        double c = coord(P, j, l1, l2);
                        if (c > dlx) dlx = c;
                    }
                if (++*passes >= max_passes) return 1;
                if (dlx < thr) break;
            }
        }
        /* the outer (quadratic-approximation) step: converged when it moved nothing */
        double sq = 0, dmax = 0;
        for (size_t i = 0; i < P->n; i++) sq += P->q[i];
        double d0 = P->a0 - a0old;
        if (P->family == CARTA_GLMNET_LOGISTIC) dmax = sq * d0 * d0;
        for (size_t j = 0; j < p; j++) {
            double d = P->b[j] - P->bold[j];
            if (d != 0 && P->xv[j] * d * d > dmax) dmax = P->xv[j] * d * d;
        }
        if (dmax < thr) return 0;
        /* recompute eta from scratch now and then against drift of the running updates */
        set_eta(P);
    }
}

static carta_glmnet_path *path_new(size_t p, size_t nl)
{
    carta_glmnet_path *r = carta_calloc(1, sizeof *r);
    if (!r) return NULL;
    r->p = p;
    r->names = carta_calloc(p, sizeof *r->names);
    r->lambda = carta_calloc(nl, sizeof *r->lambda);
    r->coef = carta_calloc(p * nl, sizeof *r->coef);
    r->intercept = carta_calloc(nl, sizeof *r->intercept);
    r->deviance = carta_calloc(nl, sizeof *r->deviance);
    r->dev_ratio = carta_calloc(nl, sizeof *r->dev_ratio);
    r->df = carta_calloc(nl, sizeof *r->df);
    if (!r->names || !r->lambda || !r->coef || !r->intercept || !r->deviance || !r->dev_ratio || !r->df) {
        carta_glmnet_path_free(r);
        return NULL;
    }
    return r;
}

void carta_glmnet_path_free(carta_glmnet_path *r)
{
    if (!r) return;
    if (r->names)
        for (size_t j = 0; j < r->p; j++) carta_free(r->names[j]);
    carta_free(r->names);
    carta_free(r->lambda);
    carta_free(r->coef);
    carta_free(r->intercept);
    carta_free(r->deviance);
    carta_free(r->dev_ratio);
    carta_free(r->df);
    carta_free(r);
}

void carta_glmnet_cv_free(carta_glmnet_cv_result *cv)
{
    if (!cv) return;
    carta_free(cv->lambda);
    carta_free(cv->cvm);
    carta_free(cv->cvsd);
    carta_glmnet_path_free(cv->fit);
    carta_free(cv);
}

/* Deviance on the caller's scale from a log-likelihood with weights summing to 1. */
static double deviance_of(const prob *P, double ll)
{
    if (P->family == CARTA_GLMNET_LOGISTIC) return -2 * ll * P->wsum;
    return 2 * (P->lsat - ll) * (double)P->n;
}

/* Fits the path on problem P: user lambdas ulam[nul] or the default path. */
static int fit_path(const carta_glmnet_spec *spec, prob *P, const double *ulam, size_t nul, carta_glmnet_path **out)
{
    size_t p = P->p, nl = ulam ? nul : spec->nlambda;
    carta_glmnet_path *R = path_new(p, nl);
    if (!R) return CARTA_ENOMEM;
    R->family = spec->family;
    R->n = P->n;
    R->converged = 1;
    /* the null model and its gradient give lambda_max */
    memset(P->b, 0, p * sizeof *P->b);
    P->a0 = P->family == CARTA_GLMNET_LOGISTIC ? P->a0null : 0;
    set_eta(P);
    double ll0 = loglik(P, 1), al0 = 0;
    R->null_deviance = deviance_of(P, ll0);
    /* unpenalized columns (factor 0) are in the model at every lambda: lambda_max is read from
       the gradient after fitting them with every penalized coefficient held at 0 */
    int unpen = 0;
    for (size_t j = 0; j < p; j++) unpen |= P->ju[j] && P->vp[j] == 0;
    long passes = 0, maxp = spec->max_iter;
    if (unpen) {
        if (solve(P, 1e300, 1.0, spec->thresh, &passes, maxp)) R->converged = 0;
        loglik(P, 1);
    }
    for (size_t j = 0; j < p; j++)
        if (P->ju[j] && P->vp[j] > 0) {
            const double *xj = P->xs + j * P->n;
            double g = 0;
            for (size_t i = 0; i < P->n; i++) g += xj[i] * P->r[i];
            g = fabs(g) / P->vp[j];
            if (g > al0) al0 = g;
        }
    al0 /= spec->alpha > 1e-3 ? spec->alpha : 1e-3;
    double ratio = spec->lambda_min_ratio > 0 ? spec->lambda_min_ratio : (P->n > p ? 1e-4 : 1e-2);
    if (ratio < 1e-6) ratio = 1e-6;
    /* glmnet's Fortran coxnet computes the exponent 1/(nlambda - 1) in single precision (a REAL
       literal); its R cox.path (strata) and lognet in double. Reproduced so that the default
       paths agree to rounding, not just to 1e-8. */
    double expo = nl > 1 ? 1.0 / (double)(nl - 1) : 0;
    int stratified = 0;
    if (P->family == CARTA_GLMNET_COX)
        for (size_t k = 1; k < P->nblk && !stratified; k++) stratified = P->bstrat[k] != P->bstrat[0];
    if (P->family == CARTA_GLMNET_COX && !stratified && nl > 1) expo = (double)(1.0f / (float)(nl - 1));
    double alf = pow(ratio, expo);
    size_t mnl = nl < 5 ? nl : 5, m;
    for (m = 0; m < nl; m++) {
        double lam = ulam ? ulam[m] : al0 * pow(alf, (double)m);
        if (ulam || m > 0) {
            if (solve(P, lam, spec->alpha, spec->thresh, &passes, maxp)) {
                R->converged = 0;
                break;
            }
        } else {
            /* at lambda_max every penalized coefficient is 0; fit any unpenalized ones */
            if (solve(P, al0, spec->alpha, spec->thresh, &passes, maxp)) {
                R->converged = 0;
                break;
            }
        }
        double ll = loglik(P, 0);
        R->lambda[m] = lam;
        R->deviance[m] = deviance_of(P, ll);
        R->dev_ratio[m] = 1 - R->deviance[m] / R->null_deviance;
        double a0 = P->a0;
        int df = 0;
        for (size_t j = 0; j < p; j++) {
            double bj = P->b[j] / P->xsd[j];
            R->coef[j + m * p] = bj;
            a0 -= bj * P->xm[j];
            df += bj != 0;
        }
        R->intercept[m] = P->family == CARTA_GLMNET_LOGISTIC ? a0 : 0;
        R->df[m] = df;
        if (ulam || m + 1 < mnl) continue;
        const double *dr = R->dev_ratio;
        if (P->family == CARTA_GLMNET_LOGISTIC) {
            if (dr[m] > 0.999 || dr[m] - dr[m - 1] < 1e-5) { m++; break; }
        } else if (dr[m] > 0.99 || dr[m] - dr[m - mnl + 1] < 1e-3 * dr[m]) {
            m++;
            break;
        }
    }
    R->nlambda = m;
    R->passes = passes;
    *out = R;
    return CARTA_OK;
}

static int copy_names(carta_glmnet_path *R, const carta_matrix *x)
{
    if (!x->names) return CARTA_OK;
    for (size_t j = 0; j < x->p; j++)
        if (x->names[j] && !(R->names[j] = carta_strdup(x->names[j]))) return CARTA_ENOMEM;
    return CARTA_OK;
}

static int nomem(carta_error *err) { return carta_error_set(err, CARTA_ENOMEM, NULL, "out of memory in the penalized model"); }

int carta_glmnet_fit(const carta_glmnet_spec *spec, const carta_matrix *x, const double *y,
                     const carta_surv_data *surv, carta_glmnet_path **out, carta_error *err)
{
    int rc = carta_glmnet_spec_check(spec, err);
    if (rc) return rc;
    if ((rc = check_data(spec, x, y, surv, err))) return rc;
    prob *P = NULL;
    if ((rc = prob_build(spec, x, y, surv, NULL, 0, &P)))
        return rc == CARTA_ENOMEM ? nomem(err) : carta_error_set(err, rc, NULL, "no usable rows");
    carta_glmnet_path *R = NULL;
    rc = fit_path(spec, P, spec->lambdas, spec->n_lambdas, &R);
    prob_free(P);
    if (rc == CARTA_OK && (rc = copy_names(R, x)) != CARTA_OK) carta_glmnet_path_free(R);
    if (rc) return nomem(err);
    *out = R;
    return CARTA_OK;
}

void carta_glmnet_predict(const carta_glmnet_path *path, size_t m, const carta_matrix *x, double *eta)
{
    size_t n = x->n, p = path->p;
    for (size_t i = 0; i < n; i++) eta[i] = path->intercept[m];
    for (size_t j = 0; j < p; j++) {
        double b = path->coef[j + m * p];
        if (b == 0) continue;
        const double *xj = x->data + j * n;
        for (size_t i = 0; i < n; i++) eta[i] += b * xj[i];
    }
}

/* eta of problem P's rows (rows[k] of x, NULL = all) from original-scale coefficients b, a0. */
static void eta_rows(prob *P, const double *b, double a0, const carta_matrix *x, const size_t *rows)
{
    for (size_t k = 0; k < P->n; k++) P->eta[k] = a0;
    for (size_t j = 0; j < x->p; j++) {
        if (b[j] == 0) continue;
        const double *xj = x->data + j * x->n;
        for (size_t k = 0; k < P->n; k++) P->eta[k] += b[j] * xj[rows ? rows[k] : k];
    }
}

/* Coefficients of path F at lambda s, linearly interpolated in lambda between its neighbours
   and clamped to the ends of its path (predict.glmnet's lambda.interp, which cv.glmnet uses to
   read each fold's own path at the full-data lambdas). */
static void interp_coef(const carta_glmnet_path *F, double s, double *b, double *a0)
{
    size_t K = F->nlambda, p = F->p, lo = 0, hi = 0;
    double frac = 1;
    if (K > 1) {
        const double *L = F->lambda;
        if (s >= L[0]) lo = hi = 0;
        else if (s <= L[K - 1]) lo = hi = K - 1;
        else {
            while (lo + 1 < K && L[lo + 1] >= s) lo++;
            hi = lo + 1 < K ? lo + 1 : lo;
            if (hi != lo && L[lo] - L[hi] > 0) frac = (s - L[hi]) / (L[lo] - L[hi]);
        }
    }
    for (size_t j = 0; j < p; j++) b[j] = frac * F->coef[j + lo * p] + (1 - frac) * F->coef[j + hi * p];
    *a0 = frac * F->intercept[lo] + (1 - frac) * F->intercept[hi];
}

int carta_glmnet_cv(const carta_glmnet_spec *spec, const carta_matrix *x, const double *y,
                    const carta_surv_data *surv, const int *foldid, size_t nfolds,
                    carta_glmnet_cv_result **out, carta_error *err)
{
    int rc = carta_glmnet_spec_check(spec, err);
    if (rc) return rc;
    if ((rc = check_data(spec, x, y, surv, err))) return rc;
    size_t n = x->n;
    if (nfolds < 3 || nfolds > n) return carta_error_set(err, CARTA_EDATA, NULL, "nfolds %zu must be in 3..n (%zu)", nfolds, n);
    size_t *fsize = carta_calloc(nfolds, sizeof *fsize);
    if (!fsize) return nomem(err);
    for (size_t i = 0; i < n; i++) {
        if (foldid[i] < 1 || (size_t)foldid[i] > nfolds) {
            carta_free(fsize);
            carta_where at = { .row = (long)i + 1, .field = "foldid" };
            return carta_error_set(err, CARTA_EDATA, &at, "fold %d is not in 1..%zu", foldid[i], nfolds);
        }
        fsize[foldid[i] - 1]++;
    }
    for (size_t k = 0; k < nfolds; k++)
        if (fsize[k] == 0 || fsize[k] == n) {
            carta_free(fsize);
            return carta_error_set(err, CARTA_EDATA, NULL, "fold %zu has %zu rows", k + 1, fsize[k]);
        }
    carta_free(fsize);

    carta_glmnet_cv_result *cv = carta_calloc(1, sizeof *cv);
    prob *full = NULL, *P = NULL;
    size_t *rows = carta_malloc(n * sizeof *rows);
    double *loss = NULL, *fw = NULL, *bm = NULL;
    carta_glmnet_path *F = NULL;
    if (!cv || !rows) { rc = CARTA_ENOMEM; goto fail; }
    if ((rc = carta_glmnet_fit(spec, x, y, surv, &cv->fit, err))) goto done;
    size_t nl = cv->fit->nlambda;
    cv->nlambda = nl;
    cv->nfolds = nfolds;
    cv->lambda = carta_malloc(nl * sizeof *cv->lambda);
    cv->cvm = carta_calloc(nl, sizeof *cv->cvm);
    cv->cvsd = carta_calloc(nl, sizeof *cv->cvsd);
    loss = carta_calloc(nfolds * nl, sizeof *loss);
    fw = carta_calloc(nfolds, sizeof *fw);
    bm = carta_malloc(x->p * sizeof *bm);
    if (!cv->lambda || !cv->cvm || !cv->cvsd || !loss || !fw || !bm) { rc = CARTA_ENOMEM; goto fail; }
    memcpy(cv->lambda, cv->fit->lambda, nl * sizeof *cv->lambda);
    int cox = spec->family == CARTA_GLMNET_COX;
    if (cox && (rc = prob_build(spec, x, y, surv, NULL, 0, &full))) goto fail;
    const double *cw = cox ? surv->weight : spec->weight;
    for (size_t k = 0; k < nfolds; k++) {
        size_t nr = 0;
        for (size_t i = 0; i < n; i++)
            if ((size_t)foldid[i] != k + 1) rows[nr++] = i;
        if ((rc = prob_build(spec, x, y, surv, rows, nr, &P))) goto fail;
        /* cv.glmnet 4.1 fits each fold on its own default path (or the user's lambdas) and
           reads it at the full-data lambdas by interpolation */
        if ((rc = fit_path(spec, P, spec->lambdas, spec->n_lambdas, &F))) goto fail;
        for (size_t i = 0; i < n; i++)
            if ((size_t)foldid[i] == k + 1) fw[k] += (cw ? cw[i] : 1.0) * (cox ? surv->status[i] : 1);
        for (size_t m = 0; m < nl; m++) {
            if (F->nlambda == 0) { loss[k * nl + m] = NAN; continue; }
            double a0;
            interp_coef(F, cv->lambda[m], bm, &a0);
            if (cox) {
                eta_rows(full, bm, 0, x, NULL);
                double dall = deviance_of(full, cox_eval(full, 0));
                eta_rows(P, bm, 0, x, rows);
                double dk = deviance_of(P, cox_eval(P, 0));
                loss[k * nl + m] = (dall - dk) / fw[k];
            } else {
                double s = 0, sw = 0;
                for (size_t i = 0; i < n; i++) {
                    if ((size_t)foldid[i] != k + 1) continue;
                    double e = a0;
                    for (size_t j = 0; j < x->p; j++)
                        if (bm[j] != 0) e += bm[j] * x->data[i + j * n];
                    double pr = 1.0 / (1.0 + exp(-e)), wi = cw ? cw[i] : 1.0;
                    if (pr < 1e-5) pr = 1e-5;
                    if (pr > 1 - 1e-5) pr = 1 - 1e-5;
                    s += wi * -2 * (y[i] * log(pr) + (1 - y[i]) * log(1 - pr));
                    sw += wi;
                }
                loss[k * nl + m] = s / sw;
            }
        }
        prob_free(P);
        P = NULL;
        carta_glmnet_path_free(F);
        F = NULL;
    }
    double W = 0;
    for (size_t k = 0; k < nfolds; k++) W += fw[k];
    for (size_t m = 0; m < nl; m++) {
        double s = 0;
        for (size_t k = 0; k < nfolds; k++) s += fw[k] * loss[k * nl + m];
        cv->cvm[m] = s / W;
        double v = 0;
        for (size_t k = 0; k < nfolds; k++) {
            double d = loss[k * nl + m] - cv->cvm[m];
            v += fw[k] * d * d;
        }
        cv->cvsd[m] = sqrt(v / W / (double)(nfolds - 1));
    }
    /* lambda.min: the largest lambda reaching the smallest cvm; lambda.1se: the largest lambda
       whose cvm is within one standard error of it (getOptcv.glmnet) */
    size_t imin = 0;
    for (size_t m = 1; m < nl; m++)
        if (cv->cvm[m] < cv->cvm[imin]) imin = m;
    double lim = cv->cvm[imin] + cv->cvsd[imin];
    size_t i1 = imin;
    for (size_t m = 0; m < nl; m++)
        if (cv->cvm[m] <= lim) { i1 = m; break; }
    cv->index_min = imin;
    cv->index_1se = i1;
    cv->lambda_min = cv->lambda[imin];
    cv->lambda_1se = cv->lambda[i1];
    rc = CARTA_OK;
    goto done;
fail:
    if (rc == CARTA_ENOMEM) nomem(err);
    else if (rc) carta_error_set(err, rc, NULL, "a cross-validation fold has no usable rows or events");
done:
    prob_free(P);
    prob_free(full);
    carta_glmnet_path_free(F);
    carta_free(rows);
    carta_free(loss);
    carta_free(fw);
    carta_free(bm);
    if (rc) {
        carta_glmnet_cv_free(cv);
        return rc;
    }
    *out = cv;
    return CARTA_OK;
}
