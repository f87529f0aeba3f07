/* Gradient boosting through libxgboost: parameter checks, agreement with Python's xgboost on
   the same data (tests/reference/gbm), save/load, determinism, early stopping, bad labels. */
#include <carta/gbm.h>

#include "check.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct gcase {
    cJSON *json;
    size_t n, p;
    double *x, *y, *time, *lower, *upper;
    int *status;
    char **names;
    carta_matrix m;
    carta_gbm_param params[16];
    carta_gbm_spec spec;
} gcase;

static void load(const char *name, carta_gbm_objective obj, gcase *c)
{
    char path[256];
    snprintf(path, sizeof path, "tests/reference/gbm/%s.json", name);
    memset(c, 0, sizeof *c);
    c->json = ref_load(path);
    const cJSON *xs = cJSON_GetObjectItem(c->json, "x"), *nm = cJSON_GetObjectItem(c->json, "names");
    c->p = (size_t)cJSON_GetArraySize(xs);
    c->names = calloc(c->p, sizeof *c->names);
    for (size_t j = 0; j < c->p; j++) {
        size_t k;
        double *col = ref_doubles(cJSON_GetArrayItem(xs, (int)j), NULL, &k);
        if (!c->x) { c->n = k; c->x = malloc(k * c->p * sizeof *c->x); }
        memcpy(c->x + j * c->n, col, k * sizeof *col);
        free(col);
        c->names[j] = cJSON_GetArrayItem(nm, (int)j)->valuestring;
    }
    size_t k;
    if (cJSON_GetObjectItem(c->json, "y")) c->y = ref_doubles(c->json, "y", &k);
    if (cJSON_GetObjectItem(c->json, "time")) {
        c->time = ref_doubles(c->json, "time", &k);
        double *s = ref_doubles(c->json, "status", &k);
        c->status = malloc(k * sizeof *c->status);
        for (size_t i = 0; i < k; i++) c->status[i] = (int)s[i];
        free(s);
    }
    if (cJSON_GetObjectItem(c->json, "lower")) {
        c->lower = ref_doubles(c->json, "lower", &k);
        c->upper = ref_doubles(c->json, "upper", &k);
        for (size_t i = 0; i < k; i++)
            if (isnan(c->upper[i])) c->upper[i] = INFINITY; /* null = right-censored */
    }
    c->m = (carta_matrix){ c->n, c->p, c->x, (const char *const *)c->names };
    carta_gbm_spec_default(&c->spec);
    c->spec.objective = obj;
    c->spec.rounds = cJSON_GetObjectItem(c->json, "rounds")->valueint;
    c->spec.seed = 7;
    c->spec.nthread = 1;
    const cJSON *pr;
    size_t np = 0;
    cJSON_ArrayForEach(pr, cJSON_GetObjectItem(c->json, "params")) {
        c->params[np].key = pr->string;
        if (cJSON_IsString(pr)) c->params[np].text = pr->valuestring;
        else c->params[np].number = pr->valuedouble;
        np++;
    }
    c->spec.params = c->params;
    c->spec.n_params = np;
}

static void unload(gcase *c)
{
    free(c->x);
    free(c->y);
    free(c->time);
    free(c->status);
    free(c->lower);
    free(c->upper);
    free(c->names);
    cJSON_Delete(c->json);
}

static void agrees_with_python(const char *name, carta_gbm_objective obj)
{
    gcase c;
    load(name, obj, &c);
    carta_gbm_model *m;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_gbm_fit(&c.spec, &c.m, c.y, c.time, c.status, c.lower, c.upper, &m, &err), CARTA_OK, "%s", err.msg);
    double *pred = malloc(c.n * sizeof *pred);
    cr_assert_eq(carta_gbm_predict(m, &c.m, 0, pred, &err), CARTA_OK, "%s", err.msg);
    size_t k;
    double *want = ref_doubles(cJSON_GetObjectItem(c.json, "expected"), "pred", &k);
    cr_assert_eq(k, c.n);
    char what[64];
    snprintf(what, sizeof what, "%s pred", name);
    cr_expect_eq(check_vec(pred, want, c.n, ref_tol(c.json, "pred"), what), 0);
    free(want);
    free(pred);
    carta_gbm_free(m);
    unload(&c);
}

Test(gbm, binary_agrees_with_python_xgboost) { agrees_with_python("binary_hist", CARTA_GBM_BINARY); }
Test(gbm, cox_agrees_with_python_xgboost) { agrees_with_python("cox_hist", CARTA_GBM_COX); }
Test(gbm, aft_agrees_with_python_xgboost) { agrees_with_python("aft_hist", CARTA_GBM_AFT); }

Test(gbm, importance_agrees_and_saved_models_reload_identically)
{
    gcase c;
    load("binary_hist", CARTA_GBM_BINARY, &c);
    c.spec.shap = 1;
    carta_gbm_model *m, *m2, *back;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_gbm_fit(&c.spec, &c.m, c.y, NULL, NULL, NULL, NULL, &m, &err), CARTA_OK, "%s", err.msg);
    size_t n;
    const carta_gbm_importance *imp = carta_gbm_importance_of(m, &n);
    size_t k;
    double *gain = ref_doubles(cJSON_GetObjectItem(c.json, "expected"), "gain", &k);
    cr_assert_eq(n, k);
    for (size_t j = 0; j < n; j++) {
        cr_expect(check_rel(imp[j].gain, gain[j], 1e-6, "gain[%zu]", j));
        cr_expect_str_eq(imp[j].feature, c.names[j]);
    }
    /* x0 carries the strongest signal and x4 none: SHAP ranks them so. */
    cr_expect_gt(imp[0].mean_abs_shap, imp[4].mean_abs_shap);
    free(gain);
    /* Determinism: a second fit gives the same bytes; a reload predicts identically. */
    cr_assert_eq(carta_gbm_fit(&c.spec, &c.m, c.y, NULL, NULL, NULL, NULL, &m2, &err), CARTA_OK);
    char *j1, *j2;
    size_t l1, l2;
    cr_assert_eq(carta_gbm_save_json(m, &j1, &l1, &err), CARTA_OK);
    cr_assert_eq(carta_gbm_save_json(m2, &j2, &l2, &err), CARTA_OK);
    cr_expect(l1 == l2 && memcmp(j1, j2, l1) == 0, "two fits with one seed differ");
    cr_assert_eq(carta_gbm_load_json(j1, l1, (const char *const *)c.names, c.p, CARTA_GBM_BINARY, &back, &err), CARTA_OK, "%s", err.msg);
    cr_expect_eq(carta_gbm_rounds(back), 40);
    double *a = malloc(c.n * sizeof *a), *b = malloc(c.n * sizeof *b);
    carta_gbm_predict(m, &c.m, 1, a, &err);
    carta_gbm_predict(back, &c.m, 1, b, &err);
    cr_expect_eq(memcmp(a, b, c.n * sizeof *a), 0, "reloaded model predicts differently");
    free(a);
    free(b);
    free(j1);
    free(j2);
    carta_gbm_free(m);
    carta_gbm_free(m2);
    carta_gbm_free(back);
    unload(&c);
}

Test(gbm, early_stopping_keeps_the_best_iteration)
{
    gcase c;
    load("binary_hist", CARTA_GBM_BINARY, &c);
    c.spec.rounds = 2000;
    c.spec.early_stopping_rounds = 10;
    carta_gbm_param fast[] = { { "eta", NULL, 0.5 }, { "max_depth", NULL, 6 } };
    c.spec.params = fast;
    c.spec.n_params = 2;
    carta_gbm_model *m;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_gbm_fit(&c.spec, &c.m, c.y, NULL, NULL, NULL, NULL, &m, &err), CARTA_OK, "%s", err.msg);
    /* With eta 0.5 and depth 6 on 480 rows the held-out loss turns up within a few dozen rounds. */
    cr_expect_lt(carta_gbm_rounds(m), 200);
    cr_expect_gt(carta_gbm_rounds(m), 0);
    carta_gbm_free(m);
    unload(&c);
}

/* The progress hook sees every round trained, in order, and early stopping ends the calls. */
typedef struct rounds_seen { int calls, last, total; } rounds_seen;

static void count_round(void *ctx, int round, int rounds)
{
    rounds_seen *r = ctx;
    if (round == r->last + 1) r->last = round;
    r->calls++;
    r->total = rounds;
}

Test(gbm, progress_hook_sees_every_round)
{
    gcase c;
    load("binary_hist", CARTA_GBM_BINARY, &c);
    c.spec.rounds = 7;
    rounds_seen seen = { 0, 0, 0 };
    c.spec.on_round = count_round;
    c.spec.on_round_ctx = &seen;
    carta_gbm_model *m;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_gbm_fit(&c.spec, &c.m, c.y, NULL, NULL, NULL, NULL, &m, &err), CARTA_OK, "%s", err.msg);
    cr_expect_eq(seen.calls, 7);
    cr_expect_eq(seen.last, 7, "rounds out of order: last in-order round %d", seen.last);
    cr_expect_eq(seen.total, 7);
    carta_gbm_free(m);
    /* With early stopping the hook stops with training: one call per round kept or tried. */
    c.spec.rounds = 2000;
    c.spec.early_stopping_rounds = 10;
    carta_gbm_param fast[] = { { "eta", NULL, 0.5 }, { "max_depth", NULL, 6 } };
    c.spec.params = fast;
    c.spec.n_params = 2;
    seen = (rounds_seen){ 0, 0, 0 };
    cr_assert_eq(carta_gbm_fit(&c.spec, &c.m, c.y, NULL, NULL, NULL, NULL, &m, &err), CARTA_OK, "%s", err.msg);
    cr_expect_eq(seen.calls, carta_gbm_rounds(m) + 10);
    cr_expect_eq(seen.last, seen.calls);
    carta_gbm_free(m);
    unload(&c);
}

Test(gbm, parameters_are_checked_before_training)
{
    carta_error err;
    struct { carta_gbm_param p; const char *says; } bad[] = {
        { { "max_dept", NULL, 3 }, "did you mean \"max_depth\"" },
        { { "max_depth", NULL, -3 }, "out of range" },
        { { "max_depth", NULL, 2.5 }, "whole number" },
        { { "eta", NULL, 0 }, "out of range" },
        { { "updater", "shotgun", 0 }, "not reproducible" },
        { { "tree_method", "gpu_hist", 0 }, "is not one of" },
        { { "nthread", NULL, 4 }, "--threads" },
        { { "subsample", "0.5", 0 }, "expected a number" },
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        carta_error_clear(&err);
        cr_expect_eq(carta_gbm_param_check(&bad[k].p, &err), CARTA_ECONFIG, "%s", bad[k].p.key);
        cr_expect(strstr(err.msg, bad[k].says), "%s: %s", bad[k].p.key, err.msg);
        cr_expect_str_eq(err.field, bad[k].p.key);
    }
    carta_gbm_param good[] = { { "max_depth", NULL, 4 }, { "eta", NULL, 0.05 }, { "updater", "coord_descent", 0 } };
    for (size_t k = 0; k < 3; k++) {
        carta_error_clear(&err);
        cr_expect_eq(carta_gbm_param_check(&good[k], &err), CARTA_OK, "%s", err.msg);
    }
}

Test(gbm, bad_labels_are_clear_errors)
{
    double x[] = { 1, 2, 3, 4 }, lower[] = { 1, 5, 2, 3 }, upper[] = { 2, 4, INFINITY, 3 };
    double time[] = { 3, 0, 2, 1 };
    int status[] = { 1, 0, 1, 1 };
    const char *names[] = { "x0" };
    carta_matrix m = { 4, 1, x, names };
    carta_gbm_spec spec;
    carta_gbm_spec_default(&spec);
    spec.rounds = 2;
    spec.objective = CARTA_GBM_AFT;
    carta_gbm_model *g;
    carta_error err;
    carta_error_clear(&err);
    cr_expect_eq(carta_gbm_fit(&spec, &m, NULL, NULL, NULL, lower, upper, &g, &err), CARTA_EDATA);
    cr_expect_eq(err.row, 2, "%s", err.msg);
    spec.objective = CARTA_GBM_COX;
    carta_error_clear(&err);
    cr_expect_eq(carta_gbm_fit(&spec, &m, NULL, time, status, NULL, NULL, &g, &err), CARTA_EDATA);
    cr_expect(err.row == 2 && strstr(err.msg, "times > 0"), "%s", err.msg);
    double y[] = { 0, 1, 2, 1 };
    spec.objective = CARTA_GBM_BINARY;
    carta_error_clear(&err);
    cr_expect_eq(carta_gbm_fit(&spec, &m, y, NULL, NULL, NULL, NULL, &g, &err), CARTA_EDATA);
    cr_expect_eq(err.row, 3);
}
