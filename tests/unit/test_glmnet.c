/* Elastic-net logistic and Cox paths against R's glmnet 4.1-6 (tests/reference/glmnet), the
   optimality (KKT) conditions, invariances, and the error paths. */
#include <carta/glmnet.h>
#include <carta/alloc.h>

#include "check.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct gcase {
    cJSON *json;
    const cJSON *exp;
    size_t n, p;
    double *x, *y, *w, *pf, *time;
    int *status, *strata, *foldid;
    char **names;
    carta_matrix m;
    carta_surv_data sd;
    carta_glmnet_spec spec;
} gcase;

static int *ints(const cJSON *j, const char *key, size_t n)
{
    size_t k;
    double *d = ref_doubles(j, key, &k);
    cr_assert_eq(k, n, "%s has %zu values, want %zu", key, k, n);
    int *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) v[i] = (int)d[i];
    free(d);
    return v;
}

static void load_case(const char *name, gcase *c)
{
    char path[256];
    snprintf(path, sizeof path, "tests/reference/glmnet/%s.json", name);
    memset(c, 0, sizeof *c);
    c->json = ref_load(path);
    c->exp = cJSON_GetObjectItem(c->json, "expected");
    const cJSON *xs = cJSON_GetObjectItem(c->json, "x"), *names = cJSON_GetObjectItem(c->json, "names");
    c->p = (size_t)cJSON_GetArraySize(xs);
    double *col0 = ref_doubles(cJSON_GetArrayItem(xs, 0), NULL, &c->n);
    free(col0);
    c->x = malloc(c->n * c->p * sizeof *c->x);
    c->names = calloc(c->p, sizeof *c->names);
    for (size_t j = 0; j < c->p; j++) {
        size_t k;
        double *col = ref_doubles(cJSON_GetArrayItem(xs, (int)j), NULL, &k);
        cr_assert_eq(k, c->n);
        memcpy(c->x + j * c->n, col, c->n * sizeof *col);
        free(col);
        c->names[j] = cJSON_GetArrayItem(names, (int)j)->valuestring;
    }
    c->m = (carta_matrix){ c->n, c->p, c->x, (const char *const *)c->names };
    carta_glmnet_spec_default(&c->spec);
    const char *fam = cJSON_GetObjectItem(c->json, "family")->valuestring;
    c->spec.family = strcmp(fam, "cox") == 0 ? CARTA_GLMNET_COX : CARTA_GLMNET_LOGISTIC;
    c->spec.alpha = cJSON_GetObjectItem(c->json, "alpha")->valuedouble;
    size_t k;
    if (cJSON_IsArray(cJSON_GetObjectItem(c->json, "weights"))) c->w = ref_doubles(c->json, "weights", &k);
    if (cJSON_IsArray(cJSON_GetObjectItem(c->json, "penalty_factor"))) c->pf = ref_doubles(c->json, "penalty_factor", &k);
    if (cJSON_IsArray(cJSON_GetObjectItem(c->json, "foldid"))) c->foldid = ints(c->json, "foldid", c->n);
    c->spec.penalty_factor = c->pf;
    if (c->spec.family == CARTA_GLMNET_LOGISTIC) {
        c->y = ref_doubles(c->json, "y", &k);
        c->spec.weight = c->w;
    } else {
        c->time = ref_doubles(c->json, "time", &k);
        c->status = ints(c->json, "status", c->n);
        c->sd.n = c->n;
        c->sd.time = c->time;
        c->sd.status = c->status;
        c->sd.weight = c->w;
        if (cJSON_IsArray(cJSON_GetObjectItem(c->json, "strata"))) {
            c->strata = ints(c->json, "strata", c->n);
            c->sd.strata = c->strata;
            c->sd.n_strata = 2;
        }
    }
}

static void free_case(gcase *c)
{
    free(c->x);
    free(c->y);
    free(c->w);
    free(c->pf);
    free(c->time);
    free(c->status);
    free(c->strata);
    free(c->foldid);
    free(c->names);
    cJSON_Delete(c->json);
}

static int fit(gcase *c, carta_glmnet_path **out)
{
    carta_error err = { 0 };
    int rc = carta_glmnet_fit(&c->spec, &c->m, c->y, c->spec.family == CARTA_GLMNET_COX ? &c->sd : NULL, out, &err);
    if (rc) fprintf(stderr, "glmnet fit: %s\n", err.msg);
    return rc;
}

/* Reference values below 1e-12 in magnitude are R's rounding noise at lambda_max (its refit at
   the reported lambda_max, a rounded value); they are compared as 0 (see the JSON tol_reason). */
static void noise_to_zero(double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fabs(v[i]) < 1e-12) v[i] = 0;
}

/* The default path (lambda values and glmnet's early stop), then the refit at R's lambdas. */
static void check_path(const char *name)
{
    gcase c;
    load_case(name, &c);
    size_t nl, k;
    double *lam = ref_doubles(c.exp, "lambda", &nl);
    cr_assert_eq((size_t)cJSON_GetObjectItem(c.exp, "nlambda")->valuedouble, nl);

    /* the default path at a tight threshold: glmnet's stop rule on the deviance ratios is then
       decided by the exact fits (at thresh 1e-7 both programs' ratios carry convergence noise) */
    c.spec.thresh = 1e-18;
    carta_glmnet_path *P = NULL;
    cr_assert_eq(fit(&c, &P), CARTA_OK);
    char what[128];
    snprintf(what, sizeof what, "%s default path length", name);
    cr_expect_eq(P->nlambda, nl, "%s: %zu lambdas, R %zu", what, P->nlambda, nl);
    size_t nc = P->nlambda < nl ? P->nlambda : nl;
    snprintf(what, sizeof what, "%s lambda", name);
    cr_expect_eq(check_vec(P->lambda, lam, nc, ref_tol(c.json, "lambda"), what), 0);
    carta_glmnet_path_free(P);

    /* R refitted at its own path with thresh 1e-20 */
    c.spec.lambdas = lam;
    c.spec.n_lambdas = nl;
    c.spec.thresh = 1e-18;
    cr_assert_eq(fit(&c, &P), CARTA_OK);
    cr_assert_eq(P->nlambda, nl);
    cr_assert(P->converged);
    double *coef = ref_doubles(c.exp, "coef", &k);
    cr_assert_eq(k, nl * c.p);
    noise_to_zero(coef, k);
    snprintf(what, sizeof what, "%s coef", name);
    cr_expect_eq(check_vec(P->coef, coef, k, ref_tol(c.json, "coef"), what), 0);
    if (c.spec.family == CARTA_GLMNET_LOGISTIC) {
        double *a0 = ref_doubles(c.exp, "intercept", &k);
        snprintf(what, sizeof what, "%s intercept", name);
        cr_expect_eq(check_vec(P->intercept, a0, nl, ref_tol(c.json, "intercept"), what), 0);
        free(a0);
    }
    double *dev = ref_doubles(c.exp, "deviance", &k), *dr = ref_doubles(c.exp, "dev_ratio", &k);
    snprintf(what, sizeof what, "%s deviance", name);
    cr_expect_eq(check_vec(P->deviance, dev, nl, ref_tol(c.json, "deviance"), what), 0);
    noise_to_zero(dr, nl);
    for (size_t m = 0; m < nl; m++)
        if (dr[m] == 0) cr_expect(fabs(P->dev_ratio[m]) < 1e-12, "%s dev_ratio at lambda_max %g", name, P->dev_ratio[m]);
    snprintf(what, sizeof what, "%s dev_ratio", name);
    cr_expect_eq(check_vec(P->dev_ratio + 1, dr + 1, nl - 1, ref_tol(c.json, "dev_ratio"), what), 0);
    /* nonzero counts from the reference coefficients (R's own df counts its rounding noise) */
    /* (not at m = 0: refitted at R's rounded lambda_max, either side may keep a coefficient of
       rounding size, 1e-15, which the coefficient comparison above already bounds) */
    for (size_t m = 1; m < nl; m++) {
        int df = 0;
        for (size_t j = 0; j < c.p; j++) df += coef[j + m * c.p] != 0;
        cr_expect_eq(P->df[m], df, "%s df at %zu: %d vs %d", name, m, P->df[m], df);
    }
    cr_expect_str_eq(P->names[0], "x1");
    carta_glmnet_path_free(P);
    free(dev);
    free(dr);
    free(coef);
    free(lam);
    free_case(&c);
}

Test(glmnet, logit_lasso) { check_path("logit_a1"); }
Test(glmnet, logit_enet_weights) { check_path("logit_a05_w"); }
Test(glmnet, logit_ridgeish_penalty_factor) { check_path("logit_a005_pf"); }
Test(glmnet, cox_lasso) { check_path("cox_a1"); }
Test(glmnet, cox_enet) { check_path("cox_a05"); }
Test(glmnet, cox_ridgeish) { check_path("cox_a005"); }
Test(glmnet, cox_heavy_ties) { check_path("cox_ties"); }
Test(glmnet, cox_unpenalized_column) { check_path("cox_pf0"); }
Test(glmnet, logit_unpenalized_column) { check_path("logit_pf0"); }

static void check_cv(const char *name)
{
    gcase c;
    load_case(name, &c);
    const cJSON *e = cJSON_GetObjectItem(c.exp, "cv");
    cr_assert(e && c.foldid);
    size_t nl, k;
    double *lam = ref_doubles(e, "lambda", &nl), *cvm = ref_doubles(e, "cvm", &k), *cvsd = ref_doubles(e, "cvsd", &k);
    c.spec.thresh = 1e-18;
    carta_glmnet_cv_result *cv = NULL;
    carta_error err = { 0 };
    int rc = carta_glmnet_cv(&c.spec, &c.m, c.y, c.spec.family == CARTA_GLMNET_COX ? &c.sd : NULL, c.foldid, 5, &cv, &err);
    cr_assert_eq(rc, CARTA_OK, "%s", err.msg);
    cr_assert_eq(cv->nlambda, nl, "%s: %zu lambdas, R %zu", name, cv->nlambda, nl);
    char what[128];
    snprintf(what, sizeof what, "%s cv lambda", name);
    cr_expect_eq(check_vec(cv->lambda, lam, nl, ref_tol(c.json, "lambda"), what), 0);
    snprintf(what, sizeof what, "%s cvm", name);
    cr_expect_eq(check_vec(cv->cvm, cvm, nl, ref_tol(c.json, "cvm"), what), 0);
    snprintf(what, sizeof what, "%s cvsd", name);
    cr_expect_eq(check_vec(cv->cvsd, cvsd, nl, ref_tol(c.json, "cvsd"), what), 0);
    cr_expect_eq(cv->index_min, (size_t)cJSON_GetObjectItem(e, "index_min")->valuedouble, "%s index_min %zu", name, cv->index_min);
    cr_expect_eq(cv->index_1se, (size_t)cJSON_GetObjectItem(e, "index_1se")->valuedouble, "%s index_1se %zu", name, cv->index_1se);
    cr_expect(check_rel(cv->lambda_min, cJSON_GetObjectItem(e, "lambda_min")->valuedouble, ref_tol(c.json, "lambda"), "%s lambda.min", name));
    cr_expect(check_rel(cv->lambda_1se, cJSON_GetObjectItem(e, "lambda_1se")->valuedouble, ref_tol(c.json, "lambda"), "%s lambda.1se", name));
    carta_glmnet_cv_free(cv);
    free(lam);
    free(cvm);
    free(cvsd);
    free_case(&c);
}

Test(glmnet, cv_logit_lasso) { check_cv("logit_a1"); }
Test(glmnet, cv_logit_enet_weights) { check_cv("logit_a05_w"); }
Test(glmnet, cv_cox_lasso) { check_cv("cox_a1"); }
Test(glmnet, cv_cox_enet) { check_cv("cox_a05"); }
Test(glmnet, cv_cox_heavy_ties) { check_cv("cox_ties"); }

/* KKT conditions of the logistic lasso at every lambda, from the definition (standardized
   columns, weights summing to 1): |x_j' w (y - p)| <= lambda alpha for b_j = 0, and equality
   with the sign of b_j otherwise (ridge part added). Checked on the original scale via the
   chain rule: the standardized gradient is s_j times the original one. */
Test(glmnet, logit_kkt)
{
    gcase c;
    load_case("logit_a05_w", &c);
    c.spec.thresh = 1e-18;
    carta_glmnet_path *P = NULL;
    cr_assert_eq(fit(&c, &P), CARTA_OK);
    size_t n = c.n, p = c.p;
    double sw = 0;
    for (size_t i = 0; i < n; i++) sw += c.w[i];
    double *eta = malloc(n * sizeof *eta);
    for (size_t m = 1; m < P->nlambda; m += 7) {
        carta_glmnet_predict(P, m, &c.m, eta);
        double lam = P->lambda[m], a = c.spec.alpha, g0 = 0;
        for (size_t i = 0; i < n; i++) g0 += c.w[i] / sw * (c.y[i] - 1 / (1 + exp(-eta[i])));
        cr_expect(fabs(g0) < 1e-8, "intercept score %g at %zu", g0, m);
        for (size_t j = 0; j < p; j++) {
            const double *xj = c.x + j * n;
            double mj = 0, s = 0, g = 0;
            for (size_t i = 0; i < n; i++) mj += c.w[i] / sw * xj[i];
            for (size_t i = 0; i < n; i++) s += c.w[i] / sw * (xj[i] - mj) * (xj[i] - mj);
            s = sqrt(s);
            for (size_t i = 0; i < n; i++) g += c.w[i] / sw * (xj[i] - mj) / s * (c.y[i] - 1 / (1 + exp(-eta[i])));
            double bs = P->coef[j + m * p] * s; /* standardized coefficient */
            if (bs == 0) cr_expect(fabs(g) <= lam * a * (1 + 1e-6), "kkt zero j=%zu m=%zu |g|=%g > %g", j, m, fabs(g), lam * a);
            else cr_expect(fabs(g - lam * (a * (bs > 0 ? 1 : -1) + (1 - a) * bs)) < 1e-6 * lam,
                           "kkt active j=%zu m=%zu g=%g", j, m, g);
        }
    }
    free(eta);
    carta_glmnet_path_free(P);
    free_case(&c);
}

/* Standardize makes the fit invariant to rescaling a column: its coefficient scales inversely. */
Test(glmnet, cox_scale_invariance)
{
    gcase c;
    load_case("cox_a05", &c);
    c.spec.thresh = 1e-18;
    carta_glmnet_path *A = NULL, *B = NULL;
    cr_assert_eq(fit(&c, &A), CARTA_OK);
    for (size_t i = 0; i < c.n; i++) c.x[i + 2 * c.n] *= 10;
    c.spec.lambdas = A->lambda;
    c.spec.n_lambdas = A->nlambda;
    cr_assert_eq(fit(&c, &B), CARTA_OK);
    for (size_t m = 0; m < A->nlambda; m++) {
        cr_expect(check_rel(B->coef[2 + m * c.p] * 10, A->coef[2 + m * c.p], 1e-6, "scaled col at %zu", m));
        cr_expect(check_rel(B->coef[0 + m * c.p], A->coef[0 + m * c.p], 1e-6, "other col at %zu", m));
    }
    cr_expect(A->coef[0] == 0 && A->df[0] == 0, "all coefficients are 0 at lambda_max");
    cr_expect(A->df[1] >= 1, "one coefficient enters after lambda_max");
    carta_glmnet_path_free(A);
    carta_glmnet_path_free(B);
    free_case(&c);
}

Test(glmnet, spec_check)
{
    carta_glmnet_spec s;
    carta_error err = { 0 };
    carta_glmnet_spec_default(&s);
    cr_assert_eq(carta_glmnet_spec_check(&s, &err), CARTA_OK);
    s.alpha = 1.5;
    cr_assert_eq(carta_glmnet_spec_check(&s, &err), CARTA_ECONFIG);
    cr_assert_str_eq(err.field, "alpha");
    carta_glmnet_spec_default(&s);
    double lam[] = { 0.1, 0.2 };
    s.lambdas = lam;
    s.n_lambdas = 2;
    carta_error_clear(&err);
    cr_assert_eq(carta_glmnet_spec_check(&s, &err), CARTA_ECONFIG);
    cr_assert_str_eq(err.field, "lambdas");
    carta_glmnet_spec_default(&s);
    s.lambda_min_ratio = 1;
    carta_error_clear(&err);
    cr_assert_eq(carta_glmnet_spec_check(&s, &err), CARTA_ECONFIG);
    cr_assert_str_eq(err.field, "lambda_min_ratio");
    carta_glmnet_spec_default(&s);
    s.thresh = 0;
    carta_error_clear(&err);
    cr_assert_eq(carta_glmnet_spec_check(&s, &err), CARTA_ECONFIG);
    cr_assert_str_eq(err.field, "thresh");
}

Test(glmnet, bad_data)
{
    gcase c;
    load_case("logit_a1", &c);
    carta_glmnet_path *P = NULL;
    carta_error err = { 0 };
    c.y[4] = 2;
    cr_assert_eq(carta_glmnet_fit(&c.spec, &c.m, c.y, NULL, &P, &err), CARTA_EDATA);
    cr_assert_eq(err.row, 5);
    c.y[4] = 1;
    c.x[7 + c.n] = NAN;
    carta_error_clear(&err);
    cr_assert_eq(carta_glmnet_fit(&c.spec, &c.m, c.y, NULL, &P, &err), CARTA_EDATA);
    cr_assert_eq(err.row, 8);
    cr_assert_str_eq(err.field, "x2");
    c.x[7 + c.n] = 0;
    for (size_t i = 0; i < c.n; i++) c.y[i] = 1;
    carta_error_clear(&err);
    cr_assert_eq(carta_glmnet_fit(&c.spec, &c.m, c.y, NULL, &P, &err), CARTA_ENUMERIC);
    cr_assert_null(P);
    free_case(&c);
}

Test(glmnet, bad_foldid)
{
    gcase c;
    load_case("cox_a1", &c);
    carta_glmnet_cv_result *cv = NULL;
    carta_error err = { 0 };
    c.foldid[3] = 6;
    cr_assert_eq(carta_glmnet_cv(&c.spec, &c.m, NULL, &c.sd, c.foldid, 5, &cv, &err), CARTA_EDATA);
    cr_assert_eq(err.row, 4);
    cr_assert_null(cv);
    free_case(&c);
}

/* Every allocation failure is reported as CARTA_ENOMEM without leaks (the sanitizer build
   checks the leaks). */
Test(glmnet, alloc_failures)
{
    gcase c;
    load_case("cox_a1", &c);
    c.spec.nlambda = 6;
    c.spec.lambda_min_ratio = 0.3;
    int succeeded = 0;
    for (long k = 1; k < 5000 && !succeeded; k++) {
        carta_glmnet_cv_result *cv = NULL;
        carta_error err = { 0 };
        carta_alloc_fail_at(k);
        int rc = carta_glmnet_cv(&c.spec, &c.m, NULL, &c.sd, c.foldid, 5, &cv, &err);
        carta_alloc_fail_at(0);
        if (rc == CARTA_OK) {
            cr_assert_not_null(cv);
            carta_glmnet_cv_free(cv);
            succeeded = 1;
            continue;
        }
        cr_assert_eq(rc, CARTA_ENOMEM, "k=%ld: %s", k, err.msg);
        cr_assert_null(cv);
    }
    cr_assert(succeeded, "the cross-validation never ran to the end");
    free_case(&c);
}

/* KKT conditions of the Cox elastic net from the definition of the Breslow partial likelihood
   (unit weights scaled to 1/n; tied deaths share one risk set {time >= t}), by an O(n^2) sum. */
Test(glmnet, cox_kkt)
{
    gcase c;
    load_case("cox_a05", &c);
    c.spec.thresh = 1e-18;
    carta_glmnet_path *P = NULL;
    cr_assert_eq(fit(&c, &P), CARTA_OK);
    size_t n = c.n, p = c.p;
    double *eta = malloc(n * sizeof *eta), *res = malloc(n * sizeof *res);
    for (size_t m = 2; m < P->nlambda; m += 9) {
        carta_glmnet_predict(P, m, &c.m, eta);
        /* res_i = d_i - sum over death rows k with time_k <= time_i of e^eta_i / S0(time_k) */
        for (size_t i = 0; i < n; i++) res[i] = c.status[i];
        for (size_t k = 0; k < n; k++) {
            if (!c.status[k]) continue;
            double s0 = 0;
            for (size_t i = 0; i < n; i++)
                if (c.time[i] >= c.time[k]) s0 += exp(eta[i]);
            for (size_t i = 0; i < n; i++)
                if (c.time[i] >= c.time[k]) res[i] -= exp(eta[i]) / s0;
        }
        double lam = P->lambda[m], a = c.spec.alpha;
        for (size_t j = 0; j < p; j++) {
            const double *xj = c.x + j * n;
            double mj = 0, s = 0, g = 0;
            for (size_t i = 0; i < n; i++) mj += xj[i] / (double)n;
            for (size_t i = 0; i < n; i++) s += (xj[i] - mj) * (xj[i] - mj) / (double)n;
            s = sqrt(s);
            for (size_t i = 0; i < n; i++) g += xj[i] / s * res[i] / (double)n;
            double bs = P->coef[j + m * p] * s;
            if (bs == 0) cr_expect(fabs(g) <= lam * a * (1 + 1e-6), "kkt zero j=%zu m=%zu |g|=%g > %g", j, m, fabs(g), lam * a);
            else cr_expect(fabs(g - lam * (a * (bs > 0 ? 1 : -1) + (1 - a) * bs)) < 1e-6 * lam,
                           "kkt active j=%zu m=%zu g=%g want %g", j, m, g, lam * (a * (bs > 0 ? 1 : -1) + (1 - a) * bs));
        }
    }
    free(eta);
    free(res);
    carta_glmnet_path_free(P);
    free_case(&c);
}

/* (start, stop] data are refused with a config error naming the field. */
Test(glmnet, cox_refused_inputs)
{
    gcase c;
    load_case("cox_a1", &c);
    carta_glmnet_path *P = NULL;
    carta_error err = { 0 };
    c.sd.start = c.time;
    cr_assert_eq(carta_glmnet_fit(&c.spec, &c.m, NULL, &c.sd, &P, &err), CARTA_ECONFIG);
    cr_assert_str_eq(err.field, "start");
    cr_assert_null(P);
    free_case(&c);
}

/* Stratified Cox, ridge (alpha = 0) at user lambdas, against survival's coxph with a ridge
   penalty and strata (the mapping is in make_glmnet.R); a stratum shared by all rows must give
   the unstratified fit exactly. */
Test(glmnet, cox_strata_ridge)
{
    gcase c;
    load_case("cox_strata_ridge", &c);
    c.sd.n_strata = 3;
    size_t nl, k;
    double *lam = ref_doubles(c.json, "lambdas", &nl), *coef = ref_doubles(c.exp, "coef", &k);
    cr_assert_eq(k, nl * c.p);
    c.spec.lambdas = lam;
    c.spec.n_lambdas = nl;
    c.spec.thresh = 1e-18;
    carta_glmnet_path *P = NULL, *Q = NULL, *U = NULL;
    cr_assert_eq(fit(&c, &P), CARTA_OK);
    cr_assert_eq(P->nlambda, nl);
    cr_expect_eq(check_vec(P->coef, coef, k, ref_tol(c.json, "coef"), "cox_strata_ridge coef"), 0);
    for (size_t i = 0; i < c.n; i++) c.strata[i] = 1;
    cr_assert_eq(fit(&c, &Q), CARTA_OK);
    c.sd.strata = NULL;
    c.sd.n_strata = 0;
    cr_assert_eq(fit(&c, &U), CARTA_OK);
    for (size_t j = 0; j < k; j++) cr_expect_eq(Q->coef[j], U->coef[j], "one stratum = no strata at %zu", j);
    cr_expect(fabs(Q->coef[0] - P->coef[0]) > 1e-6, "the strata change the fit");
    carta_glmnet_path_free(P);
    carta_glmnet_path_free(Q);
    carta_glmnet_path_free(U);
    free(lam);
    free(coef);
    free_case(&c);
}
