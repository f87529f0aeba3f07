/* Config-level elastic net (lambda chosen by cross-validation; penalized Cox) and configurable
   fairness attributes: the config keys and their errors (asserted on the JSON pointer), the
   choice of lambda against R's cv.glmnet given the same fold ids (tests/reference/glmnet), the
   folds drawn from the seed, fairness slices on a hand-made table, and whole runs (the card's
   result.cv and fairness slices; held-out rows of an outer fold never reach its model). */
#include <carta/alloc.h>
#include <carta/config.h>
#include <carta/error.h>
#include <carta/glmnet.h>
#include <carta/run.h>

#include "../../src/run/internal.h"
#include "check.h"

#include <criterion/criterion.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- config ---- */

/* A survival config whose second model is replaced by the text given. */
static char *surv_config(const char *model, const char *validation)
{
    static const char fmt[] =
        "{ \"name\": \"t\", \"data\": { \"tables\": { \"d\": { \"path\": \"d.csv\" } } },"
        "  \"outcome\": { \"type\": \"survival\", \"time\": \"T\", \"event\": \"E == 1\"%s },"
        "  \"features\": [ { \"name\": \"x1\" } ],"
        "  \"models\": [ { \"name\": \"km\", \"type\": \"km\" }, %s ]%s%s }";
    size_t n = sizeof fmt + strlen(model) + (validation ? strlen(validation) : 0) + 64;
    char *s = malloc(n);
    snprintf(s, n, fmt, "", model, validation ? ", \"validation\": " : "", validation ? validation : "");
    return s;
}

static carta_config *parse_ok(const char *text)
{
    carta_error err;
    carta_error_clear(&err);
    carta_config *c = NULL;
    int rc = carta_config_parse(text, strlen(text), "config.json", "cfgdir", &c, &err);
    if (rc != CARTA_OK) cr_assert_fail("parse failed: %s\n%s", err.msg, text);
    return c;
}

static void expect_error_text(const char *text, const char *field, const char *needle)
{
    carta_error err;
    carta_error_clear(&err);
    carta_config *c = NULL;
    int rc = carta_config_parse(text, strlen(text), "config.json", "cfgdir", &c, &err);
    cr_expect_eq(rc, CARTA_ECONFIG, "expected a config error for %s (got %d: %s)", text, rc, err.msg);
    cr_expect_null(c);
    cr_expect_str_eq(err.field, field, "field of \"%s\"", err.msg);
    if (needle) cr_expect_not_null(strstr(err.msg, needle), "message lacks \"%s\": %s", needle, err.msg);
    carta_config_free(c);
}

static void expect_model_error(const char *model, const char *field, const char *needle)
{
    char *t = surv_config(model, NULL);
    expect_error_text(t, field, needle);
    free(t);
}

static void round_trip(const char *text)
{
    carta_error err;
    carta_error_clear(&err);
    carta_config *c = parse_ok(text);
    char *j1 = NULL, *j2 = NULL;
    cr_assert_eq(carta_config_resolved_json(c, &j1, &err), CARTA_OK);
    carta_config *c2 = parse_ok(j1);
    cr_assert_eq(carta_config_resolved_json(c2, &j2, &err), CARTA_OK);
    cr_expect_str_eq(j1, j2);
    carta_free(j1);
    carta_free(j2);
    carta_config_free(c);
    carta_config_free(c2);
}

Test(modelcfg, penalty_keys_parse_with_defaults)
{
    char *t = surv_config("{ \"name\": \"c\", \"type\": \"cox\", \"lambda\": \"cv_1se\", \"alpha\": 0.5, \"strata\": [\"S\"] },"
                          "{ \"name\": \"f\", \"type\": \"cox\", \"lambda\": 0.25, \"ties\": \"breslow\" },"
                          "{ \"name\": \"g\", \"type\": \"cox\", \"lambda\": \"cv_min\", \"lambda_cv\": { \"folds\": 5, \"nlambda\": 30, \"lambda_min_ratio\": 0.01 } },"
                          "{ \"name\": \"plain\", \"type\": \"cox\" }",
                          "{ \"scheme\": \"kfold\", \"fairness\": [ { \"column\": \"SEX\" }, { \"column\": \"AGE\", \"cuts\": [50, 65] },"
                          " { \"column\": \"ARM\", \"levels\": [\"B\", \"A\"] } ] }");
    carta_config *c = parse_ok(t);
    const carta_cox_config *k = &c->models[1].cox;
    cr_expect_eq(k->lambda_rule, CARTA_CFG_LAMBDA_CV_1SE);
    cr_expect(isnan(k->lambda));
    cr_expect_eq(k->alpha, 0.5);
    cr_expect_eq(k->ties, CARTA_CFG_TIES_BRESLOW, "penalized Cox defaults to Breslow ties");
    cr_expect_eq(k->lambda_cv.folds, 10);
    cr_expect_eq(k->lambda_cv.nlambda, 100);
    cr_expect(isnan(k->lambda_cv.lambda_min_ratio));
    cr_expect_eq(c->models[2].cox.lambda, 0.25);
    cr_expect_eq(c->models[2].cox.lambda_rule, CARTA_CFG_LAMBDA_FIXED);
    cr_expect_eq(c->models[3].cox.lambda_cv.folds, 5);
    cr_expect_eq(c->models[3].cox.lambda_cv.nlambda, 30);
    cr_expect_eq(c->models[3].cox.lambda_cv.lambda_min_ratio, 0.01);
    cr_expect(isnan(c->models[4].cox.lambda));
    cr_expect_eq(c->models[4].cox.ties, CARTA_CFG_TIES_EFRON, "unpenalized Cox keeps Efron");
    cr_expect_eq(c->validation.fairness_default, 0);
    cr_assert_eq(c->validation.n_fairness, 3);
    cr_expect_str_eq(c->validation.fairness[1].column, "AGE");
    cr_expect_eq(c->validation.fairness[1].cuts.n, 2);
    cr_expect_str_eq(c->validation.fairness[2].levels.v[0], "B");
    cr_expect_str_eq(carta_cfg_lambda_rule_name(CARTA_CFG_LAMBDA_CV_MIN), "cv_min");
    carta_config_free(c);
    round_trip(t);
    free(t);

    /* Without the key, the default attributes; an empty list turns slicing off. */
    t = surv_config("{ \"name\": \"c\", \"type\": \"cox\" }", "{ \"scheme\": \"kfold\" }");
    c = parse_ok(t);
    cr_expect_eq(c->validation.fairness_default, 1);
    carta_config_free(c);
    round_trip(t);
    free(t);
    t = surv_config("{ \"name\": \"c\", \"type\": \"cox\" }", "{ \"scheme\": \"kfold\", \"fairness\": [] }");
    c = parse_ok(t);
    cr_expect_eq(c->validation.fairness_default, 0);
    cr_expect_eq(c->validation.n_fairness, 0);
    carta_config_free(c);
    round_trip(t);
    free(t);

    /* logistic: the same keys */
    static const char bin[] =
        "{ \"name\": \"b\", \"data\": { \"tables\": { \"d\": { \"path\": \"d.csv\" } } },"
        "  \"outcome\": { \"type\": \"binary\", \"event\": \"Y == 1\" }, \"features\": [ { \"name\": \"x1\" } ],"
        "  \"models\": [ { \"name\": \"e\", \"type\": \"logistic\", \"lambda\": \"cv_min\", \"alpha\": 0.25, \"lambda_cv\": { \"folds\": 3 } } ] }";
    c = parse_ok(bin);
    cr_expect_eq(c->models[0].logistic.lambda_rule, CARTA_CFG_LAMBDA_CV_MIN);
    cr_expect_eq(c->models[0].logistic.lambda_cv.folds, 3);
    cr_expect_eq(c->models[0].logistic.alpha, 0.25);
    carta_config_free(c);
    round_trip(bin);
    expect_error_text("{ \"name\": \"b\", \"data\": { \"tables\": { \"d\": { \"path\": \"d.csv\" } } },"
                      "  \"outcome\": { \"type\": \"binary\", \"event\": \"Y == 1\" },"
                      "  \"models\": [ { \"name\": \"e\", \"type\": \"logistic\", \"firth\": true, \"lambda\": \"cv_1se\" } ] }",
                      "/models/0/lambda", "Firth");
}

Test(modelcfg, penalty_errors_name_the_pointer)
{
    expect_model_error("{ \"name\": \"c\", \"type\": \"cox\", \"lambda\": \"cv_mni\" }", "/models/1/lambda",
                       "did you mean \"cv_min\"");
    expect_model_error("{ \"name\": \"c\", \"type\": \"cox\", \"lambda\": true }", "/models/1/lambda",
                       "expected a number >= 0, null, \"cv_min\" or \"cv_1se\"");
    expect_model_error("{ \"name\": \"c\", \"type\": \"cox\", \"lambda\": -1 }", "/models/1/lambda", "out of range");
    expect_model_error("{ \"name\": \"c\", \"type\": \"cox\", \"lambda\": 0.1, \"alpha\": 1.5 }", "/models/1/alpha", NULL);
    expect_model_error("{ \"name\": \"c\", \"type\": \"cox\", \"lambda\": 0.1, \"lambda_cv\": { \"folds\": 5 } }",
                       "/models/1/lambda_cv", "only with");
    expect_model_error("{ \"name\": \"c\", \"type\": \"cox\", \"lambda\": \"cv_min\", \"lambda_cv\": { \"folds\": 2 } }",
                       "/models/1/lambda_cv/folds", "out of range");
    expect_model_error("{ \"name\": \"c\", \"type\": \"cox\", \"lambda\": \"cv_min\", \"lambda_cv\": { \"fold\": 5 } }",
                       "/models/1/lambda_cv/fold", "did you mean \"folds\"");
    expect_model_error("{ \"name\": \"c\", \"type\": \"cox\", \"lambda\": \"cv_min\", \"lambda_cv\": { \"lambda_min_ratio\": 1 } }",
                       "/models/1/lambda_cv/lambda_min_ratio", NULL);
    expect_model_error("{ \"name\": \"c\", \"type\": \"cox\", \"lambda\": 0.1, \"ties\": \"efron\" }", "/models/1/ties",
                       "Breslow");
    expect_model_error("{ \"name\": \"c\", \"type\": \"cox\", \"ties\": \"exact\", \"lambda\": \"cv_min\" }", "/models/1/ties",
                       "Breslow");
    expect_model_error("{ \"name\": \"c\", \"type\": \"cox\", \"lambda\": 0.1, \"cluster\": \"ID\" }", "/models/1/cluster",
                       "not available with an elastic-net penalty");
    /* an offset is not applied by the elastic-net fits: refused for both models */
    expect_model_error("{ \"name\": \"c\", \"type\": \"cox\", \"lambda\": 0.1, \"offset\": \"OFF\" }",
                       "/models/1/offset", "not available with an elastic-net penalty");
    expect_error_text("{ \"name\": \"t\", \"data\": { \"tables\": { \"d\": { \"path\": \"d.csv\" } } },"
                      "  \"outcome\": { \"type\": \"binary\", \"event\": \"E == 1\" }, \"features\": [ { \"name\": \"x1\" } ],"
                      "  \"models\": [ { \"name\": \"l\", \"type\": \"logistic\", \"lambda\": \"cv_1se\", \"offset\": \"OFF\" } ] }",
                      "/models/0/offset", "not available with an elastic-net penalty");
    expect_model_error("{ \"name\": \"c\", \"type\": \"cox\", \"lambda\": 0.1, \"residuals\": [\"martingale\"] }",
                       "/models/1/residuals", "not available");
    expect_model_error("{ \"name\": \"c\", \"type\": \"cox\", \"lambda_cv\": { \"folds\": 5 } }", "/models/1/lambda_cv",
                       "only with");
    expect_model_error("{ \"name\": \"c\", \"type\": \"km\", \"lambda\": 0.1 }", "/models/1/lambda", "not an option of model type km");
    /* (start, stop] data cannot be penalized */
    static const char ss[] =
        "{ \"name\": \"t\", \"data\": { \"tables\": { \"d\": { \"path\": \"d.csv\" } } },"
        "  \"outcome\": { \"type\": \"survival\", \"time\": \"T\", \"start\": \"T0\", \"id\": \"ID\", \"event\": \"E == 1\" },"
        "  \"models\": [ { \"name\": \"c\", \"type\": \"cox\", \"lambda\": \"cv_min\" } ] }";
    expect_error_text(ss, "/models/0/lambda", "(start, stop]");
}

Test(modelcfg, fairness_errors_name_the_pointer)
{
    static const char *const bad[][3] = {
        { "{ \"fairness\": {} }", "/validation/fairness", "expected an array" },
        { "{ \"fairness\": [ \"SEX\" ] }", "/validation/fairness/0", "expected an object" },
        { "{ \"fairness\": [ { \"cuts\": [65] } ] }", "/validation/fairness/0/column", "required" },
        { "{ \"fairness\": [ { \"column\": \"AGE\", \"cuts\": [65, 50] } ] }", "/validation/fairness/0/cuts/1", NULL },
        { "{ \"fairness\": [ { \"column\": \"AGE\", \"cuts\": [] } ] }", "/validation/fairness/0/cuts", "at least one" },
        { "{ \"fairness\": [ { \"column\": \"AGE\", \"cuts\": [65], \"levels\": [\"x\"] } ] }", "/validation/fairness/0/levels",
          "exclude each other" },
        { "{ \"fairness\": [ { \"column\": \"SEX\" }, { \"column\": \"SEX\", \"levels\": [\"F\"] } ] }",
          "/validation/fairness/1/column", "already" },
        { "{ \"fairness\": [ { \"column\": \"SEX\", \"level\": [\"F\"] } ] }", "/validation/fairness/0/level",
          "did you mean \"levels\"" },
        { "{ \"scheme\": \"kfold\", \"fairnes\": [] }", "/validation/fairnes", "did you mean \"fairness\"" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *t = surv_config("{ \"name\": \"c\", \"type\": \"cox\" }", bad[i][0]);
        expect_error_text(t, bad[i][1], bad[i][2]);
        free(t);
    }
}

/* ---- the choice of lambda against R's cv.glmnet, same fold ids ---- */

typedef struct refcase {
    cJSON *json;
    size_t n, p;
    double *x, *y, *w, *time;
    int *status, *foldid;
    char **names;
    carta_matrix m;
    carta_outcome out;
} refcase;

static int *ints_of(const cJSON *j, const char *key, size_t n)
{
    size_t k;
    double *d = ref_doubles(j, key, &k);
    cr_assert_eq(k, n);
    int *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) v[i] = (int)d[i];
    free(d);
    return v;
}

static void load_ref(const char *name, refcase *c)
{
    char path[256];
    snprintf(path, sizeof path, "tests/reference/glmnet/%s.json", name);
    memset(c, 0, sizeof *c);
    c->json = ref_load(path);
    const cJSON *xs = cJSON_GetObjectItem(c->json, "x"), *names = cJSON_GetObjectItem(c->json, "names");
    c->p = (size_t)cJSON_GetArraySize(xs);
    free(ref_doubles(cJSON_GetArrayItem(xs, 0), NULL, &c->n));
    c->x = malloc(c->n * c->p * sizeof *c->x);
    c->names = calloc(c->p, sizeof *c->names);
    for (size_t j = 0; j < c->p; j++) {
        size_t k;
        double *col = ref_doubles(cJSON_GetArrayItem(xs, (int)j), NULL, &k);
        memcpy(c->x + j * c->n, col, c->n * sizeof *col);
        free(col);
        c->names[j] = cJSON_GetArrayItem(names, (int)j)->valuestring;
    }
    c->m = (carta_matrix){ c->n, c->p, c->x, (const char *const *)c->names };
    size_t k;
    c->foldid = ints_of(c->json, "foldid", c->n);
    if (cJSON_IsArray(cJSON_GetObjectItem(c->json, "weights"))) c->w = ref_doubles(c->json, "weights", &k);
    c->out.n = c->n;
    c->out.weight = c->w;
    if (strcmp(cJSON_GetObjectItem(c->json, "family")->valuestring, "cox") == 0) {
        c->time = ref_doubles(c->json, "time", &k);
        c->status = ints_of(c->json, "status", c->n);
        c->out.type = CARTA_OUTCOME_SURVIVAL;
        c->out.surv = (carta_surv_data){ .n = c->n, .time = c->time, .status = c->status, .weight = c->w };
    } else {
        c->y = ref_doubles(c->json, "y", &k);
        c->out.type = CARTA_OUTCOME_BINARY;
        c->out.y = c->y;
    }
}

static void free_ref(refcase *c)
{
    free(c->x);
    free(c->y);
    free(c->w);
    free(c->time);
    free(c->status);
    free(c->foldid);
    free(c->names);
    cJSON_Delete(c->json);
}

/* penalized_fit as a config model would call it, with R's fold ids: the chosen lambda is R's
   lambda.min / lambda.1se, the CV summary names it, and the refit at it reproduces R's
   coefficients at that lambda. */
static void check_choice(const char *name, carta_cfg_lambda_rule rule)
{
    refcase c;
    load_ref(name, &c);
    const cJSON *e = cJSON_GetObjectItem(cJSON_GetObjectItem(c.json, "expected"), "cv");
    carta_cfg_model m;
    memset(&m, 0, sizeof m);
    m.name = "m";
    carta_cfg_lambda_cv cv = { 5, 100, NAN };
    double alpha = cJSON_GetObjectItem(c.json, "alpha")->valuedouble;
    int cox = c.out.type == CARTA_OUTCOME_SURVIVAL;
    if (cox) {
        m.type = CARTA_CFG_MODEL_COX;
        m.cox.lambda = NAN;
        m.cox.alpha = alpha;
        m.cox.lambda_rule = rule;
        m.cox.lambda_cv = cv;
    } else {
        m.type = CARTA_CFG_MODEL_LOGISTIC;
        m.logistic.lambda = NAN;
        m.logistic.alpha = alpha;
        m.logistic.lambda_rule = rule;
        m.logistic.lambda_cv = cv;
    }
    cr_assert(model_penalized(&m));
    carta_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.file = "config.json";
    cfg.seed = 1;
    carta_glmnet_path *path = NULL;
    char *json = NULL;
    carta_error err;
    carta_error_clear(&err);
    int rc = penalized_fit(&cfg, &m, &c.m, &c.out, c.foldid, &path, &json, &err);
    cr_assert_eq(rc, CARTA_OK, "%s: %s", name, err.msg);
    const char *key = rule == CARTA_CFG_LAMBDA_CV_MIN ? "lambda_min" : "lambda_1se";
    double want = cJSON_GetObjectItem(e, key)->valuedouble;
    cr_assert_eq(path->nlambda, 1);
    cr_expect(check_rel(path->lambda[0], want, ref_tol(c.json, "lambda"), "%s %s", name, key));
    /* R's coefficients at that lambda (its path refitted at thresh 1e-20) */
    size_t idx = (size_t)cJSON_GetObjectItem(e, rule == CARTA_CFG_LAMBDA_CV_MIN ? "index_min" : "index_1se")->valuedouble, k;
    double *coef = ref_doubles(cJSON_GetObjectItem(c.json, "expected"), "coef", &k);
    cr_assert(k >= (idx + 1) * c.p);
    char what[96];
    snprintf(what, sizeof what, "%s coef at %s", name, key);
    cr_expect_eq(check_vec(path->coef, coef + idx * c.p, c.p, ref_tol(c.json, "coef"), what), 0);
    if (!cox) {
        double *a0 = ref_doubles(cJSON_GetObjectItem(c.json, "expected"), "intercept", &k);
        cr_expect(check_rel(path->intercept[0], a0[idx], ref_tol(c.json, "intercept"), "%s intercept", name));
        free(a0);
    }
    /* the summary the card keeps */
    cJSON *s = cJSON_Parse(json);
    cr_assert_not_null(s, "%s", json);
    cr_expect(check_rel(cJSON_GetObjectItem(s, key)->valuedouble, want, ref_tol(c.json, "lambda"), "%s json %s", name, key));
    cr_expect_eq((size_t)cJSON_GetObjectItem(s, "index_min")->valuedouble,
                 (size_t)cJSON_GetObjectItem(e, "index_min")->valuedouble);
    cr_expect_eq(cJSON_GetObjectItem(s, "folds")->valuedouble, 5);
    cr_expect_null(cJSON_GetObjectItem(s, "fold_seed"), "fold ids were given, not drawn");
    cr_expect_str_eq(cJSON_GetObjectItem(s, "rule")->valuestring, rule == CARTA_CFG_LAMBDA_CV_MIN ? "cv_min" : "cv_1se");
    const cJSON *curve = cJSON_GetObjectItem(s, "curve");
    cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(curve, "cvm")), cJSON_GetArraySize(cJSON_GetObjectItem(curve, "lambda")));
    cJSON_Delete(s);
    free(coef);
    carta_free(json);
    carta_glmnet_path_free(path);
    free_ref(&c);
}

Test(modelcfg, cv_min_logit_matches_cv_glmnet) { check_choice("logit_a1", CARTA_CFG_LAMBDA_CV_MIN); }
Test(modelcfg, cv_1se_logit_weighted_matches_cv_glmnet) { check_choice("logit_a05_w", CARTA_CFG_LAMBDA_CV_1SE); }
Test(modelcfg, cv_min_cox_matches_cv_glmnet) { check_choice("cox_a1", CARTA_CFG_LAMBDA_CV_MIN); }
Test(modelcfg, cv_1se_cox_ties_matches_cv_glmnet) { check_choice("cox_ties", CARTA_CFG_LAMBDA_CV_1SE); }

/* The folds of the cross-validation are dealt from the seed: every row in exactly one fold,
   sizes within one of each other, the same for the same seed, different for another seed. */
Test(modelcfg, cv_folds_come_from_the_seed)
{
    enum { N = 103, K = 10 };
    int a[N], b[N], d[N];
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(penalized_foldid(7, N, K, a, &err), CARTA_OK);
    cr_assert_eq(penalized_foldid(7, N, K, b, &err), CARTA_OK);
    cr_assert_eq(penalized_foldid(8, N, K, d, &err), CARTA_OK);
    size_t size[K + 1] = { 0 }, differ = 0;
    for (size_t i = 0; i < N; i++) {
        cr_assert(a[i] >= 1 && a[i] <= K);
        size[a[i]]++;
        cr_expect_eq(a[i], b[i]);
        differ += a[i] != d[i];
    }
    for (int k = 1; k <= K; k++) cr_expect(size[k] == N / K || size[k] == N / K + 1, "fold %d has %zu rows", k, size[k]);
    cr_expect_gt(differ, 0, "another seed deals other folds");
}

/* ---- fairness slices on a hand-made table ---- */

static carta_table *fair_table(void)
{
    carta_table *t = carta_table_new("t");
    carta_column *sex, *age, *arm;
    cr_assert_eq(carta_table_add_column(t, "SEX", CARTA_STR, &sex, NULL), CARTA_OK);
    cr_assert_eq(carta_table_add_column(t, "AGE", CARTA_F64, &age, NULL), CARTA_OK);
    cr_assert_eq(carta_table_add_column(t, "ARM", CARTA_STR, &arm, NULL), CARTA_OK);
    static const char *const sx[] = { "M", "F", "F", NULL, "M", "F" };
    static const double ag[] = { 40, 50, 64.9, 65, NAN, 80 };
    static const char *const am[] = { "A", "B", "C", "A", "B", "C" };
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(sx[i] ? carta_column_push_str(sex, sx[i], 1) : carta_column_push_missing(sex), CARTA_OK);
        cr_assert_eq(isnan(ag[i]) ? carta_column_push_missing(age) : carta_column_push_f64(age, ag[i]), CARTA_OK);
        cr_assert_eq(carta_column_push_str(arm, am[i], 1), CARTA_OK);
    }
    return t;
}

Test(modelcfg, fairness_slices_from_the_config)
{
    carta_table *t = fair_table();
    char *text = surv_config("{ \"name\": \"c\", \"type\": \"cox\" }",
                             "{ \"scheme\": \"kfold\", \"fairness\": [ { \"column\": \"AGE\", \"cuts\": [50, 65] },"
                             " { \"column\": \"ARM\", \"levels\": [\"C\", \"A\"] }, { \"column\": \"SEX\" } ] }");
    carta_config *c = parse_ok(text);
    fairness_attr *fa = NULL;
    size_t n = 0;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(fairness_build(c, t, &fa, &n, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(n, 3);
    /* AGE: [-inf, 50), [50, 65), [65, inf); 64.9 below 65, 65 at or above; missing in none */
    cr_assert_eq(fa[0].n_groups, 3);
    cr_expect_str_eq(fa[0].labels[0], "AGE<50");
    cr_expect_str_eq(fa[0].labels[1], "50<=AGE<65");
    cr_expect_str_eq(fa[0].labels[2], "AGE>=65");
    static const int age_g[] = { 0, 1, 1, 2, -1, 2 };
    for (int i = 0; i < 6; i++) cr_expect_eq(fa[0].group[i], age_g[i], "AGE row %d", i);
    /* ARM: the listed levels in the listed order; B is in no slice */
    cr_assert_eq(fa[1].n_groups, 2);
    cr_expect_str_eq(fa[1].labels[0], "ARM=C");
    cr_expect_str_eq(fa[1].labels[1], "ARM=A");
    static const int arm_g[] = { 1, -1, 0, 1, -1, 0 };
    for (int i = 0; i < 6; i++) cr_expect_eq(fa[1].group[i], arm_g[i], "ARM row %d", i);
    /* SEX: every level, first appearance order; the missing row in none */
    cr_assert_eq(fa[2].n_groups, 2);
    cr_expect_str_eq(fa[2].labels[0], "SEX=M");
    static const int sex_g[] = { 0, 1, 1, -1, 0, 1 };
    for (int i = 0; i < 6; i++) cr_expect_eq(fa[2].group[i], sex_g[i], "SEX row %d", i);
    const char *names[CARTA_CFG_MAX_FAIRNESS];
    cr_expect_eq(fairness_attributes(c, t, names), 3);
    cr_expect_str_eq(names[1], "ARM");
    fairness_free(fa, n);
    carta_config_free(c);
    free(text);

    /* default: SEX (text) and AGE (numeric, at 65); PRODUCT is absent */
    text = surv_config("{ \"name\": \"c\", \"type\": \"cox\" }", "{ \"scheme\": \"kfold\" }");
    c = parse_ok(text);
    cr_assert_eq(fairness_build(c, t, &fa, &n, &err), CARTA_OK);
    cr_assert_eq(n, 2);
    cr_expect_str_eq(fa[0].column, "SEX");
    cr_expect_str_eq(fa[1].labels[0], "AGE<65");
    cr_expect_str_eq(fa[1].labels[1], "AGE>=65");
    fairness_free(fa, n);
    carta_config_free(c);
    free(text);

    /* errors that need the table: the JSON pointer and the column */
    static const char *const bad[][3] = {
        { "[ { \"column\": \"SEX\" }, { \"column\": \"RACE\" } ]", "/validation/fairness/1/column", "no column RACE" },
        { "[ { \"column\": \"AGE\" } ]", "/validation/fairness/0/column", "numeric: give \"cuts\"" },
        { "[ { \"column\": \"SEX\", \"cuts\": [1] } ]", "/validation/fairness/0/cuts", "is text" },
        { "[ { \"column\": \"ARM\", \"levels\": [\"A\", \"D\"] } ]", "/validation/fairness/0/levels/1", "level \"D\"" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char v[256];
        snprintf(v, sizeof v, "{ \"scheme\": \"kfold\", \"fairness\": %s }", bad[i][0]);
        text = surv_config("{ \"name\": \"c\", \"type\": \"cox\" }", v);
        c = parse_ok(text);
        carta_error_clear(&err);
        fa = (fairness_attr *)1;
        cr_expect_eq(fairness_build(c, t, &fa, &n, &err), CARTA_ECONFIG, "%s", bad[i][0]);
        cr_expect_null(fa);
        cr_expect_str_eq(err.field, bad[i][1], "%s", err.msg);
        cr_expect_not_null(strstr(err.msg, bad[i][2]), "%s", err.msg);
        cr_expect_not_null(strstr(err.msg, "config.json"), "names the config: %s", err.msg);
        carta_config_free(c);
        free(text);
    }
    carta_table_free(t);
}

/* ---- whole runs ---- */

/* n rows: USUBJID, x1..x3, SEX, AGE, Y (binary), T, E; with flip, Y is inverted on rows with
   flip[i] set. Written to dir/d.csv. */
static void write_data(const char *dir, size_t n, const int *flip)
{
    char path[512];
    snprintf(path, sizeof path, "%s/d.csv", dir);
    FILE *fp = fopen(path, "w");
    cr_assert_not_null(fp);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 42);
    fprintf(fp, "USUBJID,x1,x2,x3,SEX,AGE,Y,T,E\n");
    for (size_t i = 0; i < n; i++) {
        double x1 = gsl_ran_gaussian(r, 1), x2 = gsl_ran_gaussian(r, 1), x3 = gsl_ran_gaussian(r, 1);
        double lp = 0.9 * x1 - 0.5 * x2;
        int y = gsl_rng_uniform(r) < 1 / (1 + exp(-(lp - 0.5)));
        double t = gsl_ran_exponential(r, 10 * exp(-lp)), cz = gsl_ran_exponential(r, 15);
        int sex = gsl_rng_uniform(r) < 0.5;
        double age = 30 + floor(gsl_rng_uniform(r) * 50);
        if (flip && flip[i]) y = !y;
        fprintf(fp, "S%03zu,%.6f,%.6f,%.6f,%s,%g,%d,%.4f,%d\n", i, x1, x2, x3, sex ? "F" : "M", age, y,
                t < cz ? t : cz, t < cz);
    }
    gsl_rng_free(r);
    fclose(fp);
}

static char *run_card(const char *dir, const char *text, carta_error *err)
{
    carta_run_opts o = { 0 };
    o.quiet = 1;
    char *card = NULL;
    carta_error_clear(err);
    int rc = carta_run_card(text, strlen(text), "config.json", dir, &o, "0", &card, err);
    return rc == CARTA_OK ? card : NULL;
}

static const cJSON *model_named(const cJSON *card, const char *name)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItem(card, "models"))
        if (strcmp(cJSON_GetObjectItem(m, "name")->valuestring, name) == 0) return m;
    cr_assert_fail("no model %s", name);
    return NULL;
}

static int has_slice(const cJSON *model, const char *metric, const char *slice)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(cJSON_GetObjectItem(model, "validation"), "metrics"))
        if (!strcmp(cJSON_GetObjectItem(x, "name")->valuestring, metric) &&
            !strcmp(cJSON_GetObjectItem(x, "slice")->valuestring, slice))
            return 1;
    return 0;
}

Test(modelcfg, run_writes_the_cv_choice_and_configured_fairness_slices)
{
    char dir[] = "/tmp/carta-modelcfg-XXXXXX";
    cr_assert(mkdtemp(dir));
    write_data(dir, 240, NULL);
    static const char cfg[] =
        "{ \"name\": \"r\", \"seed\": 5, \"data\": { \"tables\": { \"d\": { \"path\": \"d.csv\" } } },"
        "  \"outcome\": { \"type\": \"survival\", \"time\": \"T\", \"event\": \"E == 1\" },"
        "  \"features\": [ { \"name\": \"x1\" }, { \"name\": \"x2\" }, { \"name\": \"x3\" } ],"
        "  \"models\": [ { \"name\": \"enet\", \"type\": \"cox\", \"lambda\": \"cv_min\", \"alpha\": 0.5, \"lambda_cv\": { \"folds\": 4, \"nlambda\": 30 } },"
        "                { \"name\": \"fixed\", \"type\": \"cox\", \"lambda\": 0.05 } ],"
        "  \"validation\": { \"scheme\": \"kfold\", \"folds\": 3, \"fairness\": [ { \"column\": \"AGE\", \"cuts\": [45, 60] } ] } }";
    carta_error err;
    char *text = run_card(dir, cfg, &err);
    cr_assert_not_null(text, "%s", err.msg);
    cJSON *card = cJSON_Parse(text);
    cr_assert_not_null(card);
    const cJSON *m = model_named(card, "enet"), *res = cJSON_GetObjectItem(m, "result");
    cr_expect_str_eq(cJSON_GetObjectItem(res, "family")->valuestring, "cox");
    const cJSON *cv = cJSON_GetObjectItem(res, "cv");
    cr_assert_not_null(cv, "result.cv");
    cr_expect_eq(cJSON_GetObjectItem(res, "lambda")->valuedouble, cJSON_GetObjectItem(cv, "lambda_min")->valuedouble);
    cr_expect_eq(cJSON_GetObjectItem(cv, "fold_seed")->valuedouble, 5);
    cr_expect_eq(cJSON_GetObjectItem(cv, "folds")->valuedouble, 4);
    cr_expect_leq(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(cv, "curve"), "lambda")), 30);
    cr_expect_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "spec"), "lambda")->valuestring, "cv_min");
    /* each outer split chose its own lambda, inside its training rows */
    const cJSON *sp = cJSON_GetObjectItem(cv, "splits");
    cr_assert_not_null(sp, "cv.splits");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(sp, "label")), 3);
    cr_expect_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(sp, "label"), 2)->valuestring, "fold=3");
    for (int k = 0; k < 3; k++) {
        const cJSON *l = cJSON_GetArrayItem(cJSON_GetObjectItem(sp, "lambda"), k);
        cr_expect(cJSON_IsNumber(l) && l->valuedouble > 0, "split %d lambda", k);
    }
    /* no intercept row for Cox; the strongest true effect (x1) is kept by the lasso part */
    const cJSON *co = cJSON_GetObjectItem(res, "coefficients");
    cr_expect_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(co, 0), "term")->valuestring, "x1");
    cr_expect_gt(cJSON_GetObjectItem(cJSON_GetArrayItem(co, 0), "coef")->valuedouble, 0.3);
    cr_expect(has_slice(m, "c_harrell", "overall"));
    cr_expect(has_slice(m, "c_harrell", "AGE<45"));
    cr_expect(has_slice(m, "c_harrell", "45<=AGE<60"));
    cr_expect(has_slice(m, "c_harrell", "AGE>=60"));
    cr_expect(!has_slice(m, "c_harrell", "SEX=F"), "SEX is not listed");
    const cJSON *fixed = cJSON_GetObjectItem(model_named(card, "fixed"), "result");
    cr_expect_eq(cJSON_GetObjectItem(fixed, "lambda")->valuedouble, 0.05);
    cr_expect_null(cJSON_GetObjectItem(fixed, "cv"));
    const cJSON *attrs = cJSON_GetObjectItem(cJSON_GetObjectItem(card, "fairness"), "attributes");
    cr_assert_eq(cJSON_GetArraySize(attrs), 1);
    cr_expect_str_eq(cJSON_GetArrayItem(attrs, 0)->valuestring, "AGE");
    cJSON_Delete(card);
    carta_free(text);

    /* the same run again gives the same card (folds from the seed) */
    char *again = run_card(dir, cfg, &err);
    char *first = run_card(dir, cfg, &err);
    cr_assert(again && first);
    cr_expect_str_eq(again, first);
    carta_free(again);
    carta_free(first);

    /* a listed column the analysis table lacks: a config error naming the pointer */
    static const char missing[] =
        "{ \"name\": \"r\", \"data\": { \"tables\": { \"d\": { \"path\": \"d.csv\" } } },"
        "  \"outcome\": { \"type\": \"survival\", \"time\": \"T\", \"event\": \"E == 1\" },"
        "  \"features\": [ { \"name\": \"x1\" } ], \"models\": [ { \"name\": \"c\", \"type\": \"cox\" } ],"
        "  \"validation\": { \"scheme\": \"kfold\", \"folds\": 3, \"fairness\": [ { \"column\": \"SEX\" }, { \"column\": \"RACE\" } ] } }";
    cr_expect_null(run_card(dir, missing, &err));
    cr_expect_eq(err.code, CARTA_ECONFIG, "%s", err.msg);
    cr_expect_str_eq(err.field, "/validation/fairness/1/column", "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "RACE"), "%s", err.msg);

    char path[512];
    snprintf(path, sizeof path, "%s/d.csv", dir);
    unlink(path);
    rmdir(dir);
}

/* Leakage: the lambda of an outer fold's model is chosen inside that fold's training rows. The
   outcomes of the rows held out in fold 1 are inverted; the out-of-fold predictions of fold 1
   (made by the model that never saw those rows, cross-validation of lambda included) are the
   same to the last bit, while other folds' predictions change. */
static void oof_by_row(const char *dir, const char *cfg, double *oof, char (*split)[16], size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/c.json", dir);
    FILE *fp = fopen(path, "w");
    cr_assert_not_null(fp);
    fputs(cfg, fp);
    fclose(fp);
    carta_run_opts o = { 0 };
    o.quiet = 1;
    o.force = 1;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_run_command(path, &o, &err), CARTA_OK, "%s", err.msg);
    snprintf(path, sizeof path, "%s/out/predictions.csv", dir);
    fp = fopen(path, "r");
    cr_assert_not_null(fp);
    char line[512];
    cr_assert_not_null(fgets(line, sizeof line, fp));
    cr_assert(strstr(line, "row,model,prediction,oof_prediction,split"), "%s", line);
    while (fgets(line, sizeof line, fp)) {
        /* USUBJID,row,model,prediction,oof_prediction,split */
        char *f[8] = { 0 };
        size_t k = 0;
        for (char *s = strtok(line, ",\n"); s && k < 8; s = strtok(NULL, ",\n")) f[k++] = s;
        cr_assert_geq(k, 6);
        size_t row = (size_t)atol(f[1]) - 1;
        cr_assert_lt(row, n);
        oof[row] = strtod(f[4], NULL);
        snprintf(split[row], sizeof split[row], "%s", f[5]);
    }
    fclose(fp);
}

Test(modelcfg, lambda_is_chosen_inside_the_outer_training_rows)
{
    enum { N = 150 };
    char dir[] = "/tmp/carta-modelcfg-XXXXXX";
    cr_assert(mkdtemp(dir));
    static const char cfg[] =
        "{ \"name\": \"leak\", \"seed\": 3, \"data\": { \"tables\": { \"d\": { \"path\": \"d.csv\" } } },"
        "  \"outcome\": { \"type\": \"binary\", \"event\": \"Y == 1\" },"
        "  \"features\": [ { \"name\": \"x1\" }, { \"name\": \"x2\" }, { \"name\": \"x3\" } ],"
        "  \"models\": [ { \"name\": \"enet\", \"type\": \"logistic\", \"lambda\": \"cv_1se\", \"lambda_cv\": { \"folds\": 5, \"nlambda\": 20 } } ],"
        "  \"validation\": { \"scheme\": \"kfold\", \"folds\": 3, \"stratify\": false }, \"output\": \"out\" }";
    static double a[N], b[N];
    static char sa[N][16], sb[N][16];
    write_data(dir, N, NULL);
    oof_by_row(dir, cfg, a, sa, N);
    int flip[N];
    for (size_t i = 0; i < N; i++) flip[i] = strcmp(sa[i], "fold=1") == 0;
    write_data(dir, N, flip);
    oof_by_row(dir, cfg, b, sb, N);
    size_t held = 0, changed = 0;
    for (size_t i = 0; i < N; i++) {
        cr_assert_str_eq(sa[i], sb[i], "the outer splits do not depend on the outcome (stratify false)");
        if (flip[i]) {
            held++;
            cr_expect_eq(a[i], b[i], "row %zu of fold 1: %.17g vs %.17g", i + 1, a[i], b[i]);
        } else {
            changed += a[i] != b[i];
        }
    }
    cr_expect_gt(held, 0);
    cr_expect_gt(changed, 0, "the inverted outcomes did change the other folds' models");
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}

/* Fault injection: every allocation of the cross-validated fit (folds from the seed, the CV,
   the refit, the summary) and of the fairness slices fails cleanly (CARTA_ENOMEM, nothing set,
   nothing leaked: the sanitizer build checks), until one run gets through. */
Test(modelcfg, allocation_failures_end_in_enomem)
{
    refcase c;
    load_ref("cox_a1", &c);
    carta_cfg_model m;
    memset(&m, 0, sizeof m);
    m.name = "m";
    m.type = CARTA_CFG_MODEL_COX;
    m.cox.lambda = NAN;
    m.cox.alpha = 1;
    m.cox.lambda_rule = CARTA_CFG_LAMBDA_CV_1SE;
    m.cox.lambda_cv = (carta_cfg_lambda_cv){ 3, 5, 0.3 };
    carta_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.file = "config.json";
    cfg.seed = 9;
    int succeeded = 0;
    for (long k = 1; k < 20000 && !succeeded; k++) {
        carta_glmnet_path *path = (carta_glmnet_path *)1;
        char *json = (char *)1;
        carta_error err;
        carta_error_clear(&err);
        carta_alloc_fail_at(k);
        int rc = penalized_fit(&cfg, &m, &c.m, &c.out, NULL, &path, &json, &err);
        carta_alloc_fail_at(0);
        if (rc == CARTA_OK) {
            cr_assert(path && json);
            cr_expect_not_null(strstr(json, "\"fold_seed\":9"), "%s", json);
            carta_glmnet_path_free(path);
            carta_free(json);
            succeeded = 1;
            continue;
        }
        cr_assert_eq(rc, CARTA_ENOMEM, "k=%ld: %s", k, err.msg);
        cr_assert_null(path);
        cr_assert_null(json);
    }
    cr_assert(succeeded, "the cross-validated fit never ran to the end");
    free_ref(&c);

    carta_table *t = fair_table();
    char *text = surv_config("{ \"name\": \"c\", \"type\": \"cox\" }",
                             "{ \"scheme\": \"kfold\", \"fairness\": [ { \"column\": \"AGE\", \"cuts\": [50, 65] }, { \"column\": \"SEX\" } ] }");
    carta_config *cc = parse_ok(text);
    succeeded = 0;
    for (long k = 1; k < 1000 && !succeeded; k++) {
        fairness_attr *fa = (fairness_attr *)1;
        size_t n = 7;
        carta_error err;
        carta_error_clear(&err);
        carta_alloc_fail_at(k);
        int rc = fairness_build(cc, t, &fa, &n, &err);
        carta_alloc_fail_at(0);
        if (rc == CARTA_OK) {
            cr_assert_eq(n, 2);
            fairness_free(fa, n);
            succeeded = 1;
            continue;
        }
        cr_assert_eq(rc, CARTA_ENOMEM, "k=%ld: %s", k, err.msg);
        cr_assert_null(fa);
        cr_assert_eq(n, 0);
    }
    cr_assert(succeeded);
    carta_config_free(cc);
    free(text);
    carta_table_free(t);
}
