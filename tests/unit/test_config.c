/* Unit tests of config/: the strict experiment-config reader and its resolved (canonical) form.
   Errors are asserted on their code and JSON pointer (err.field); the message is asserted in
   full only for the documented examples. */
#include <carta/alloc.h>
#include <carta/config.h>
#include <carta/error.h>

#include <criterion/criterion.h>
#include <float.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The two configs of ARCHITECTURE.md ("The experiment config"), verbatim. */
static const char MINIMAL[] =
    "{\n"
    "  \"name\": \"lung_cox\",\n"
    "  \"seed\": 1,\n"
    "  \"data\": { \"tables\": { \"lung\": { \"path\": \"lung.csv\" } } },\n"
    "  \"outcome\": { \"type\": \"survival\", \"time\": \"time\", \"event\": \"status == 2\" },\n"
    "  \"features\": [ { \"name\": \"age\" }, { \"name\": \"sex\", \"type\": \"categorical\", \"reference\": \"1\" } ],\n"
    "  \"models\": [\n"
    "    { \"name\": \"km_by_sex\", \"type\": \"km\", \"by\": [\"sex\"], \"conf_type\": \"log-log\" },\n"
    "    { \"name\": \"cox\", \"type\": \"cox\", \"ties\": \"efron\" }\n"
    "  ],\n"
    "  \"output\": \"out/lung_cox\"\n"
    "}\n";

static const char FULL[] =
    "{\n"
    "  \"name\": \"crs_severe\",\n"
    "  \"description\": \"ASTCT grade >= 3 CRS within 28 days of infusion, from pre-infusion data\",\n"
    "  \"seed\": 20231207,\n"
    "  \"data\": {\n"
    "    \"tables\": {\n"
    "      \"studies\": { \"path\": \"../data/synth/studies.csv\", \"schema\": \"../data-schemas/studies.json\" },\n"
    "      \"adsl\":    { \"path\": \"../data/synth/adsl.csv\",    \"schema\": \"../data-schemas/adsl.json\" },\n"
    "      \"adae\":    { \"path\": \"../data/synth/adae.csv\",    \"schema\": \"../data-schemas/adae.json\" },\n"
    "      \"adlb\":    { \"path\": \"../data/synth/adlb.csv\",    \"schema\": \"../data-schemas/adlb.json\" }\n"
    "    },\n"
    "    \"harmonize\": { \"crs_scale\": \"ASTCT\", \"mapping_bound\": \"point\", \"units\": \"conventional\" }\n"
    "  },\n"
    "  \"cohort\": { \"where\": \"SAFFL == 'Y' && AGE >= 18\" },\n"
    "  \"outcome\": { \"type\": \"binary\", \"event\": \"CRS\", \"grade_at_least\": 3, \"within_days\": 28 },\n"
    "  \"features\": [\n"
    "    { \"name\": \"AGE\" },\n"
    "    { \"name\": \"PRODUCT\", \"type\": \"categorical\", \"reference\": \"axi-cel\" },\n"
    "    { \"name\": \"LDH\", \"from\": \"adlb\", \"baseline\": true, \"transform\": \"log2\" },\n"
    "    { \"name\": \"M_EASIX\", \"derive\": \"m_easix\", \"transform\": \"log2\" }\n"
    "  ],\n"
    "  \"missing\": { \"strategy\": \"median\", \"indicators\": true },\n"
    "  \"models\": [\n"
    "    { \"name\": \"logit\", \"type\": \"logistic\" },\n"
    "    { \"name\": \"gbm\", \"type\": \"xgboost\", \"params\": { \"objective\": \"binary:logistic\", \"max_depth\": 4, \"eta\": 0.05 }, \"rounds\": 300 }\n"
    "  ],\n"
    "  \"validation\": { \"scheme\": \"leave_one_study_out\", \"bootstrap\": 500 },\n"
    "  \"card\": { \"intended_use\": \"...\", \"limitations\": [\"...\"] },\n"
    "  \"output\": \"../models/crs_severe\"\n"
    "}\n";

/* Survival outcome with every survival model and many non-default options. */
static const char SURV_ALL[] =
    "{ \"name\": \"all-surv.1\", \"description\": \"every option\", \"seed\": 4294967295,"
    "  \"data\": { \"tables\": { \"adtte\": { \"path\": \"/abs/adtte.sas7bdat\", \"schema\": \"s/adtte.json\" },"
    "                           \"lab\": { \"path\": \"lab.TSV\", \"na\": [\"\", \".\", \"NA\"] },"
    "                           \"x\": { \"path\": \"x.data\", \"format\": \"ndjson\" },"
    "                           \"y\": { \"path\": \"sub.dir/y.JSON.gz\" } } },"
    "  \"cohort\": { \"where\": null },"
    "  \"outcome\": { \"type\": \"survival\", \"time\": \"STOP\", \"event\": \"CNSR == 0\", \"start\": \"START\","
    "               \"id\": \"USUBJID\", \"table\": \"adtte\", \"paramcd\": \"OS\" },"
    "  \"features\": [ { \"name\": \"bili\", \"transform\": \"log\", \"clip\": [0.1, 30] },"
    "                { \"name\": \"trt\", \"type\": \"categorical\", \"levels\": [\"b\", \"a\"], \"reference\": \"a\", \"pool_rare\": 10 },"
    "                { \"name\": \"DAYS\", \"derive\": \"days_between\", \"args\": [\"TRTSDT\", \"ADT\"], \"from\": \"lab\" },"
    "                { \"name\": \"crp\", \"clip\": [null, 5] },"
    "                { \"name\": \"EASIX\", \"derive\": \"easix\", \"args\": [\"LDH\", \"CREAT\", \"PLT\"] } ],"
    "  \"interactions\": [ [\"trt\", \"bili\"], [\"crp\", \"trt\"] ],"
    "  \"missing\": { \"strategy\": \"none\" },"
    "  \"models\": ["
    "    { \"name\": \"km\", \"type\": \"km\", \"by\": [\"trt\", \"sex\"], \"weights\": \"w\", \"conf_type\": \"arcsin\","
    "      \"conf_level\": 0.9, \"probs\": [0.1, 0.5], \"tau\": 365.25, \"times\": [0, 30.5, 100], \"ctype\": 2 },"
    "    { \"name\": \"lr\", \"type\": \"logrank\", \"by\": [\"trt\"], \"strata\": [\"site\"], \"rho\": 1 },"
    "    { \"name\": \"cox\", \"type\": \"cox\", \"ties\": \"breslow\", \"strata\": [\"site\"], \"weights\": \"w\","
    "      \"cluster\": \"USUBJID\", \"eps\": 1e-12, \"toler_chol\": 1e-10, \"max_iter\": 50,"
    "      \"conf_level\": 0.99, \"zph_transform\": \"none\", \"step_tol\": 1e-6, \"toler_inf\": 1e-4, \"residuals\": [\"schoenfeld\", \"martingale\"],"
    "      \"newdata\": [ { \"bili\": 1.5, \"trt\": \"b\" }, { \"bili\": 0.30000000000000004, \"trt\": \"a\" } ] },"
    "    { \"name\": \"aft\", \"type\": \"xgboost\", \"params\": { \"objective\": \"survival:aft\", \"aft_loss_distribution\": \"logistic\","
    "      \"booster\": \"dart\", \"rate_drop\": 0.1, \"one_drop\": true }, \"rounds\": 20,"
    "      \"early_stopping_rounds\": 5, \"early_stopping_fraction\": 0.3, \"shap\": true }"
    "  ],"
    "  \"validation\": { \"scheme\": \"repeated_kfold\", \"folds\": 10, \"repeats\": 3, \"stratify\": false, \"bootstrap\": 100, \"conf_level\": 0.9 },"
    "  \"card\": { \"users\": [\"analysts\"], \"out_of_scope\": [\"clinical use\"], \"tradeoffs\": [\"t\"],"
    "            \"caveats\": [\"c\"], \"references\": [\"r\"], \"small_count_threshold\": 0 }"
    "}";

static const char BINARY_ALL[] =
    "{ \"name\": \"bin\", \"data\": { \"tables\": { \"a\": { \"path\": \"a.xpt\" } },"
    "  \"harmonize\": { \"mapping_bound\": \"max\", \"units\": \"si\" } },"
    "  \"outcome\": { \"type\": \"binary\", \"event\": \"AVAL > 2\" },"
    "  \"models\": [ { \"name\": \"firth\", \"type\": \"logistic\", \"firth\": true, \"weights\": \"w\", \"max_iter\": 40, \"max_halving\": 0 },"
    "              { \"name\": \"enet\", \"type\": \"logistic\", \"lambda\": 0.01, \"alpha\": 0.5 },"
    "              { \"name\": \"lin\", \"type\": \"xgboost\", \"params\": { \"booster\": \"gblinear\", \"feature_selector\": \"shuffle\","
    "                \"eval_metric\": \"logloss\", \"scale_pos_weight\": 2 } } ],"
    "  \"validation\": { \"scheme\": \"holdout\", \"holdout\": 0.3 } }";

static const char COMPETING[] =
    "{ \"name\": \"cr\", \"data\": { \"tables\": { \"a\": { \"path\": \"a.json\" } } },"
    "  \"outcome\": { \"type\": \"competing\", \"time\": \"T\", \"cause\": \"CAUSE\", \"censor\": \"censored\","
    "               \"causes\": [\"relapse\", \"death\"] },"
    "  \"models\": [ { \"name\": \"cif\", \"type\": \"cif\", \"by\": [\"arm\"], \"conf_type\": \"log-log\", \"times\": [1, 2] } ],"
    "  \"validation\": { \"scheme\": \"grouped_kfold\", \"group\": \"SITEID\", \"folds\": 3 } }";

static carta_config *parse_ok(const char *text)
{
    carta_error err;
    carta_error_clear(&err);
    carta_config *c = NULL;
    int rc = carta_config_parse(text, strlen(text), "config.json", "cfgdir", &c, &err);
    if (rc != CARTA_OK) cr_assert_fail("parse failed: %s", err.msg);
    cr_assert_not_null(c);
    return c;
}

/* Parses text expecting failure; returns the code and leaves the error in err. */
static int parse_err(const char *text, carta_error *err)
{
    carta_error_clear(err);
    carta_config *c = (carta_config *)1;
    int rc = carta_config_parse(text, strlen(text), "config.json", "cfgdir", &c, err);
    cr_assert_neq(rc, CARTA_OK, "expected an error for: %s", text);
    cr_assert_null(c, "out-pointer set on failure");
    cr_assert_eq(err->code, rc);
    return rc;
}

/* A config made from MINIMAL with one substring replaced. */
static char *minimal_with(const char *from, const char *to)
{
    const char *at = strstr(MINIMAL, from);
    cr_assert_not_null(at, "fixture lacks %s", from);
    size_t a = (size_t)(at - MINIMAL), n = strlen(MINIMAL) - strlen(from) + strlen(to) + 1;
    char *s = malloc(n);
    cr_assert_not_null(s);
    memcpy(s, MINIMAL, a);
    strcpy(s + a, to);
    strcat(s, at + strlen(from));
    return s;
}

static void expect_error(const char *from, const char *to, int code, const char *field, const char *needle)
{
    carta_error err;
    char *text = minimal_with(from, to);
    int rc = parse_err(text, &err);
    cr_expect_eq(rc, code, "%s -> %s: code %d (%s)", from, to, rc, err.msg);
    if (field) cr_expect_str_eq(err.field, field, "%s -> %s: field (%s)", from, to, err.msg);
    if (needle) cr_expect_not_null(strstr(err.msg, needle), "message lacks \"%s\": %s", needle, err.msg);
    free(text);
}

Test(config, minimal_config_parses_with_defaults_filled_in)
{
    carta_config *c = parse_ok(MINIMAL);
    cr_assert_str_eq(c->name, "lung_cox");
    cr_assert_eq(c->seed, 1);
    cr_assert_null(c->description);
    cr_assert_eq(c->n_tables, 1);
    cr_assert_str_eq(c->tables[0].name, "lung");
    cr_assert_str_eq(c->tables[0].path, "lung.csv");
    cr_assert_str_eq(c->tables[0].path_resolved, "cfgdir/lung.csv");
    cr_assert_null(c->tables[0].schema);
    cr_assert_eq(c->tables[0].format, CARTA_CFG_FORMAT_CSV);
    cr_assert_eq(c->tables[0].sep, ',');
    cr_assert_eq(c->tables[0].na.n, 2);
    cr_assert_str_eq(c->tables[0].na.v[0], "");
    cr_assert_str_eq(c->tables[0].na.v[1], "NA");
    cr_assert_null(c->tables[0].na.v[2], "string lists are NULL-terminated");
    cr_assert_eq(c->harmonize.enabled, 0);
    cr_assert_null(c->where);
    cr_assert_eq(c->outcome.type, CARTA_CFG_OUTCOME_SURVIVAL);
    cr_assert_str_eq(c->outcome.time, "time");
    cr_assert_str_eq(c->outcome.event, "status == 2");
    cr_assert_null(c->outcome.start);
    cr_assert_eq(c->n_features, 2);
    cr_assert_eq(c->features[0].type, CARTA_CFG_FEATURE_NUMERIC);
    cr_assert_eq(c->features[0].transform, CARTA_CFG_TRANSFORM_NONE);
    cr_assert_eq(c->features[1].type, CARTA_CFG_FEATURE_CATEGORICAL);
    cr_assert_str_eq(c->features[1].reference, "1");
    cr_assert_eq(c->missing.strategy, CARTA_CFG_MISSING_COMPLETE_CASE);
    cr_assert_eq(c->n_models, 2);
    const carta_km_config *km = &c->models[0].km;
    cr_assert_eq(c->models[0].type, CARTA_CFG_MODEL_KM);
    cr_assert_eq(km->by.n, 1);
    cr_assert_str_eq(km->by.v[0], "sex");
    cr_assert_null(km->by.v[1]);
    cr_assert_eq(km->conf_type, CARTA_CFG_CONF_LOGLOG);
    cr_assert_eq(km->conf_level, 0.95);
    cr_assert_eq(km->probs.n, 3);
    cr_assert_eq(km->probs.v[0], 0.25);
    cr_assert_eq(km->probs.v[2], 0.75);
    cr_assert(isnan(km->tau));
    cr_assert_eq(km->times.n, 0);
    cr_assert_eq(km->ctype, 1);
    const carta_cox_config *cox = &c->models[1].cox;
    cr_assert_eq(cox->ties, CARTA_CFG_TIES_EFRON);
    cr_assert_eq(cox->robust, 0);
    cr_assert_eq(cox->eps, 1e-12);
    cr_assert_eq(cox->step_tol, 1e-7);
    cr_assert_eq(cox->toler_inf, 1e-5);
    cr_assert_eq(cox->max_iter, 20);
    cr_assert_eq(cox->toler_chol, pow(DBL_EPSILON, 0.75)); /* R: .Machine$double.eps^0.75 */
    cr_assert_eq(cox->conf_level, 0.95);
    cr_assert_eq(cox->zph_transform, CARTA_CFG_ZPH_KM);
    cr_assert_eq(cox->residuals, 0u);
    cr_assert_eq(c->validation.scheme, CARTA_CFG_SCHEME_NONE);
    cr_assert_eq(c->validation.bootstrap, 200);
    cr_assert_eq(c->card.small_count_threshold, 5);
    cr_assert_str_eq(c->output, "out/lung_cox");
    cr_assert_str_eq(c->output_resolved, "cfgdir/out/lung_cox");
    carta_config_free(c);
}

Test(config, full_config_parses)
{
    carta_config *c = parse_ok(FULL);
    cr_assert_eq(c->seed, 20231207);
    cr_assert_eq(c->n_tables, 4);
    cr_assert_str_eq(c->tables[3].name, "adlb");
    cr_assert_str_eq(c->tables[0].schema_resolved, "cfgdir/../data-schemas/studies.json");
    cr_assert_str_eq(c->tables[1].path_resolved, "cfgdir/../data/synth/adsl.csv");
    cr_assert_eq(c->harmonize.enabled, 1);
    cr_assert_str_eq(c->harmonize.crs_scale, "ASTCT");
    cr_assert_eq(c->harmonize.mapping_bound, CARTA_CFG_BOUND_POINT);
    cr_assert_str_eq(c->where, "SAFFL == 'Y' && AGE >= 18");
    cr_assert_eq(c->outcome.type, CARTA_CFG_OUTCOME_BINARY);
    cr_assert_eq(c->outcome.grade_at_least, 3);
    cr_assert_eq(c->outcome.within_days, 28);
    cr_assert_str_eq(c->features[2].from, "adlb");
    cr_assert_eq(c->features[2].baseline, 1);
    cr_assert_eq(c->features[2].transform, CARTA_CFG_TRANSFORM_LOG2);
    cr_assert_eq(c->features[3].derive, CARTA_CFG_DERIVE_M_EASIX);
    cr_assert_eq(c->missing.strategy, CARTA_CFG_MISSING_MEDIAN);
    cr_assert_eq(c->missing.indicators, 1);
    cr_assert_eq(c->models[0].type, CARTA_CFG_MODEL_LOGISTIC);
    cr_assert(isnan(c->models[0].logistic.lambda));
    cr_assert_eq(c->models[0].logistic.firth, 0);
    cr_assert_eq(c->models[0].logistic.alpha, 1);
    cr_assert_eq(c->models[0].logistic.eps, 1e-10);
    cr_assert_eq(c->models[0].logistic.max_iter, 25);
    cr_assert_eq(c->models[0].logistic.max_halving, 30);
    cr_assert_eq(c->models[0].logistic.conf_level, 0.95);
    cr_assert_eq(c->n_interactions, 0);
    const carta_xgboost_config *x = &c->models[1].xgboost;
    cr_assert_eq(x->rounds, 300);
    cr_assert_eq(x->early_stopping_rounds, 0);
    const carta_cfg_xgb_param *p = carta_xgboost_config_param(x, "max_depth");
    cr_assert_not_null(p);
    cr_assert_eq(p->kind, CARTA_CFG_XGB_INT);
    cr_assert_str_eq(p->text, "4");
    cr_assert_str_eq(carta_xgboost_config_param(x, "eta")->text, "0.05");
    cr_assert_str_eq(carta_xgboost_config_param(x, "objective")->text, "binary:logistic");
    /* Defaults in scope are filled in; those of other boosters and objectives are not. */
    cr_assert_str_eq(carta_xgboost_config_param(x, "tree_method")->text, "hist");
    cr_assert_str_eq(carta_xgboost_config_param(x, "lambda")->text, "1");
    cr_assert_null(carta_xgboost_config_param(x, "rate_drop"));
    cr_assert_null(carta_xgboost_config_param(x, "aft_loss_distribution"));
    cr_assert_null(carta_xgboost_config_param(x, "updater"));
    for (size_t i = 1; i < x->n_params; i++)
        cr_assert_lt(strcmp(x->params[i - 1].key, x->params[i].key), 0, "params sorted by key");
    cr_assert_eq(c->validation.scheme, CARTA_CFG_SCHEME_LEAVE_ONE_STUDY_OUT);
    cr_assert_str_eq(c->validation.group, "STUDYID");
    cr_assert_eq(c->validation.bootstrap, 500);
    cr_assert_str_eq(c->card.intended_use, "...");
    cr_assert_eq(c->card.limitations.n, 1);
    carta_config_free(c);
}

Test(config, non_default_options_are_kept)
{
    carta_config *c = parse_ok(SURV_ALL);
    cr_assert_eq(c->seed, 4294967295UL);
    cr_assert_str_eq(c->tables[0].path_resolved, "/abs/adtte.sas7bdat");
    cr_assert_eq(c->tables[0].format, CARTA_CFG_FORMAT_SAS7BDAT);
    cr_assert_str_eq(c->tables[0].schema_resolved, "cfgdir/s/adtte.json");
    cr_assert_eq(c->tables[1].format, CARTA_CFG_FORMAT_CSV);
    cr_assert_eq(c->tables[1].sep, '\t');
    cr_assert_eq(c->tables[1].na.n, 3);
    cr_assert_eq(c->tables[2].format, CARTA_CFG_FORMAT_NDJSON);
    cr_assert_eq(c->tables[3].format, CARTA_CFG_FORMAT_JSON, "format from the name without .gz");
    cr_assert_eq(c->features[3].clip[0], -INFINITY);
    cr_assert_eq(c->features[3].clip[1], 5);
    cr_assert_eq(c->features[4].args.n, 3);
    cr_assert_eq(c->n_interactions, 2);
    cr_assert_str_eq(c->interactions[0].a, "trt");
    cr_assert_str_eq(c->interactions[0].b, "bili");
    cr_assert_str_eq(c->outcome.start, "START");
    cr_assert_eq(c->features[0].has_clip, 1);
    cr_assert_eq(c->features[0].clip[1], 30);
    cr_assert_eq(c->features[1].levels.n, 2);
    cr_assert_eq(c->features[1].pool_rare, 10);
    cr_assert_eq(c->features[2].derive, CARTA_CFG_DERIVE_DAYS_BETWEEN);
    cr_assert_str_eq(c->features[2].args.v[1], "ADT");
    const carta_km_config *km = &c->models[0].km;
    cr_assert_eq(km->conf_type, CARTA_CFG_CONF_ARCSIN);
    cr_assert_eq(km->tau, 365.25);
    cr_assert_eq(km->times.v[1], 30.5);
    cr_assert_eq(km->ctype, 2);
    cr_assert_eq(c->models[1].logrank.rho, 1);
    const carta_cox_config *cox = &c->models[2].cox;
    cr_assert_eq(cox->robust, 1, "cluster implies robust");
    cr_assert_eq(cox->residuals, (unsigned)(CARTA_CFG_RESID_MARTINGALE | CARTA_CFG_RESID_SCHOENFELD));
    cr_assert_eq(cox->n_newdata, 2);
    cr_assert_eq(cox->zph_transform, CARTA_CFG_ZPH_NONE);
    cr_assert_eq(cox->step_tol, 1e-6);
    cr_assert_eq(cox->newdata[1].v[0].num, 0.1 + 0.2);
    cr_assert_str_eq(cox->newdata[1].v[1].str, "a");
    const carta_xgboost_config *x = &c->models[3].xgboost;
    cr_assert_str_eq(carta_xgboost_config_param(x, "one_drop")->text, "1");
    cr_assert_str_eq(carta_xgboost_config_param(x, "aft_loss_distribution_scale")->text, "1");
    cr_assert_str_eq(carta_xgboost_config_param(x, "normalize_type")->text, "tree");
    cr_assert_eq(x->early_stopping_rounds, 5);
    cr_assert_eq(x->shap, 1);
    cr_assert_eq(c->validation.repeats, 3);
    cr_assert_eq(c->validation.stratify, 0);
    cr_assert_str_eq(c->output, "models/all-surv.1");
    carta_config_free(c);

    c = parse_ok(BINARY_ALL);
    cr_assert_eq(c->harmonize.mapping_bound, CARTA_CFG_BOUND_MAX);
    cr_assert_eq(c->models[0].logistic.firth, 1);
    cr_assert_eq(c->models[1].logistic.lambda, 0.01);
    const carta_xgboost_config *lin = &c->models[2].xgboost;
    cr_assert_str_eq(carta_xgboost_config_param(lin, "updater")->text, "coord_descent");
    cr_assert_str_eq(carta_xgboost_config_param(lin, "lambda")->text, "0", "gblinear's own default");
    cr_assert_str_eq(carta_xgboost_config_param(lin, "eta")->text, "0.5");
    cr_assert_null(carta_xgboost_config_param(lin, "max_depth"));
    cr_assert_eq(c->validation.holdout, 0.3);
    cr_assert_eq(c->validation.stratify, 1);
    carta_config_free(c);

    c = parse_ok(COMPETING);
    cr_assert_eq(c->outcome.type, CARTA_CFG_OUTCOME_COMPETING);
    cr_assert_str_eq(c->outcome.censor, "censored");
    cr_assert_eq(c->outcome.causes.n, 2);
    cr_assert_eq(c->models[0].cif.conf_type, CARTA_CFG_CONF_LOGLOG);
    cr_assert_eq(c->validation.folds, 3);
    carta_config_free(c);
}

Test(config, documented_messages_name_the_pointer_and_the_nearest_value)
{
    carta_error err;
    char *text = minimal_with("\"ties\": \"efron\"", "\"ties\": \"efrn\"");
    cr_assert_eq(parse_err(text, &err), CARTA_ECONFIG);
    cr_assert_str_eq(err.field, "/models/1/ties");
    cr_assert_str_eq(err.file, "config.json");
    cr_assert_str_eq(err.msg, "config.json: /models/1/ties: \"efrn\" is not one of efron, breslow, exact "
                              "(did you mean \"efron\"?)");
    free(text);
    text = minimal_with("\"conf_type\"", "\"conf_typ\"");
    cr_assert_eq(parse_err(text, &err), CARTA_ECONFIG);
    cr_assert_str_eq(err.msg, "config.json: /models/0/conf_typ: unknown key (did you mean \"conf_type\"?)");
    free(text);
}

Test(config, each_error_class_names_its_pointer)
{
    /* wrong types */
    expect_error("\"seed\": 1", "\"seed\": \"1\"", CARTA_ECONFIG, "/seed", "expected an integer, got a string");
    expect_error("\"seed\": 1", "\"seed\": 1.5", CARTA_ECONFIG, "/seed", "expected an integer");
    expect_error("\"seed\": 1", "\"seed\": -1", CARTA_ECONFIG, "/seed", "out of range");
    /* exact ties: what R's exact method does not give either is refused at its key */
    expect_error("\"ties\": \"efron\"", "\"ties\": \"exact\", \"robust\": true", CARTA_ECONFIG,
                 "/models/1/robust", "no robust variance");
    expect_error("\"ties\": \"efron\"", "\"ties\": \"exact\", \"cluster\": \"site\"", CARTA_ECONFIG,
                 "/models/1/cluster", "no robust (cluster) variance");
    expect_error("\"ties\": \"efron\"", "\"ties\": \"exact\", \"weights\": \"w\"", CARTA_ECONFIG,
                 "/models/1/weights", "no case weights");
    expect_error("\"ties\": \"efron\"", "\"ties\": \"exact\", \"residuals\": [\"martingale\", \"score\"]",
                 CARTA_ECONFIG, "/models/1/residuals", "martingale and deviance residuals only");
    /* an offset names a column: a string */
    expect_error("\"ties\": \"efron\"", "\"ties\": \"efron\", \"offset\": 3", CARTA_ECONFIG,
                 "/models/1/offset", "expected a string");
    expect_error("\"by\": [\"sex\"]", "\"by\": \"sex\"", CARTA_ECONFIG, "/models/0/by", "expected an array");
    expect_error("\"by\": [\"sex\"]", "\"by\": [\"sex\", 3]", CARTA_ECONFIG, "/models/0/by/1", "expected a string");
    expect_error("\"by\": [\"sex\"]", "\"by\": [\"sex\", \"sex\"]", CARTA_ECONFIG, "/models/0/by/1", "twice");
    expect_error("\"output\": \"out/lung_cox\"", "\"output\": 3", CARTA_ECONFIG, "/output", "expected a string");
    expect_error("\"output\": \"out/lung_cox\"", "\"output\": \"\"", CARTA_ECONFIG, "/output", "empty");
    /* unknown keys */
    expect_error("\"seed\": 1", "\"sed\": 1", CARTA_ECONFIG, "/sed", "did you mean \"seed\"");
    expect_error("\"seed\": 1", "\"zzzzzz\": 1", CARTA_ECONFIG, "/zzzzzz", "expected one of");
    expect_error("\"path\": \"lung.csv\"", "\"path\": \"lung.csv\", \"shema\": \"x\"", CARTA_ECONFIG,
                 "/data/tables/lung/shema", "did you mean \"schema\"");
    /* a key of another model type */
    expect_error("\"conf_type\": \"log-log\"", "\"ties\": \"efron\"", CARTA_ECONFIG, "/models/0/ties",
                 "not an option of model type km");
    /* missing required keys */
    expect_error("\"type\": \"survival\", ", "", CARTA_ECONFIG, "/outcome/type", "required");
    expect_error("\"name\": \"lung_cox\",", "", CARTA_ECONFIG, "/name", "required");
    expect_error("\"time\": \"time\", ", "", CARTA_ECONFIG, "/outcome/time", "required");
    expect_error("\"name\": \"cox\", ", "", CARTA_ECONFIG, "/models/1/name", "required");
    /* bad values, before any data is opened */
    expect_error("\"conf_type\": \"log-log\"", "\"conf_level\": 1.5", CARTA_ECONFIG, "/models/0/conf_level", "(0, 1)");
    expect_error("\"conf_type\": \"log-log\"", "\"conf_level\": 0", CARTA_ECONFIG, "/models/0/conf_level", "out of range");
    expect_error("\"conf_type\": \"log-log\"", "\"probs\": [0.5, 0.25]", CARTA_ECONFIG, "/models/0/probs/1", "ascending");
    expect_error("\"conf_type\": \"log-log\"", "\"probs\": [0.5, 1]", CARTA_ECONFIG, "/models/0/probs/1", "out of range");
    expect_error("\"conf_type\": \"log-log\"", "\"tau\": -1", CARTA_ECONFIG, "/models/0/tau", "> 0");
    expect_error("\"conf_type\": \"log-log\"", "\"ctype\": 3", CARTA_ECONFIG, "/models/0/ctype", "[1, 2]");
    expect_error("\"conf_type\": \"log-log\"", "\"conf_type\": \"loglog\"", CARTA_ECONFIG, "/models/0/conf_type",
                 "did you mean \"log-log\"");
    expect_error("\"ties\": \"efron\"", "\"ties\": \"efron\", \"max_iter\": 0", CARTA_ECONFIG, "/models/1/max_iter", NULL);
    expect_error("\"ties\": \"efron\"", "\"cluster\": \"id\", \"robust\": false", CARTA_ECONFIG, "/models/1/robust", NULL);
    expect_error("\"ties\": \"efron\"", "\"residuals\": [\"martingal\"]", CARTA_ECONFIG, "/models/1/residuals/0",
                 "did you mean \"martingale\"");
    expect_error("\"ties\": \"efron\"", "\"newdata\": [{\"age\": true}]", CARTA_ECONFIG, "/models/1/newdata/0/age", NULL);
    expect_error("\"type\": \"cox\"", "\"type\": \"logistic\"", CARTA_ECONFIG, "/models/1/type", "needs a binary outcome");
    expect_error("\"type\": \"cox\"", "\"type\": \"coxph\"", CARTA_ECONFIG, "/models/1/type", "did you mean \"cox\"");
    expect_error("\"name\": \"cox\"", "\"name\": \"km_by_sex\"", CARTA_ECONFIG, "/models/1/name", "already");
    expect_error("\"name\": \"cox\"", "\"name\": \"a/b\"", CARTA_ECONFIG, "/models/1/name", NULL);
    expect_error("\"models\": [", "\"models\": [], \"x\": [", CARTA_ECONFIG, NULL, NULL);
    expect_error("\"path\": \"lung.csv\"", "\"path\": \"lung.dat\"", CARTA_ECONFIG, "/data/tables/lung/path", "format");
    expect_error("\"path\": \"lung.csv\"", "\"path\": \"lung.xpt\", \"sep\": \";\"", CARTA_ECONFIG,
                 "/data/tables/lung/sep", "only for CSV");
    expect_error("\"path\": \"lung.csv\"", "\"path\": \"lung.csv\", \"sep\": \";;\"", CARTA_ECONFIG,
                 "/data/tables/lung/sep", "one character");
    expect_error("{ \"lung\":", "{ \"lu/ng\":", CARTA_ECONFIG, "/data/tables/lu~1ng", NULL);
    expect_error("\"tables\": {", "\"tables\": {}, \"t\": {", CARTA_ECONFIG, "/data/t", NULL);
    /* features */
    expect_error("{ \"name\": \"age\" }", "{ \"name\": \"age\", \"from\": \"lng\" }", CARTA_ECONFIG,
                 "/features/0/from", "did you mean \"lung\"");
    expect_error("{ \"name\": \"age\" }", "{ \"name\": \"sex\" }", CARTA_ECONFIG, "/features/1/name", "already");
    expect_error("{ \"name\": \"age\" }", "{ \"name\": \"age\", \"reference\": \"x\" }", CARTA_ECONFIG,
                 "/features/0/reference", "only for categorical");
    expect_error("\"reference\": \"1\"", "\"reference\": \"1\", \"transform\": \"log\"", CARTA_ECONFIG,
                 "/features/1/transform", "only for numeric");
    expect_error("\"reference\": \"1\"", "\"reference\": \"3\", \"levels\": [\"1\", \"2\"]", CARTA_ECONFIG,
                 "/features/1/reference", "not one of the levels");
    expect_error("{ \"name\": \"age\" }", "{ \"name\": \"age\", \"transform\": \"log10\" }", CARTA_ECONFIG,
                 "/features/0/transform", "did you mean \"log\"");
    expect_error("{ \"name\": \"age\" }", "{ \"name\": \"age\", \"clip\": [1, 2, 3] }", CARTA_ECONFIG,
                 "/features/0/clip", "[lower, upper]");
    expect_error("{ \"name\": \"age\" }", "{ \"name\": \"age\", \"derive\": \"days_between\" }", CARTA_ECONFIG,
                 "/features/0/args", "required");
    expect_error("{ \"name\": \"age\" }", "{ \"name\": \"age\", \"args\": [\"a\", \"b\"] }", CARTA_ECONFIG,
                 "/features/0/args", "derived feature");
    /* outcome */
    expect_error("\"event\": \"status == 2\"", "\"event\": \"status == 2\", \"cause\": \"c\"", CARTA_ECONFIG,
                 "/outcome/cause", "not an option of outcome type survival");
    expect_error("\"event\": \"status == 2\"", "\"event\": \"status == 2\", \"table\": \"lungs\"", CARTA_ECONFIG,
                 "/outcome/table", "did you mean \"lung\"");
    expect_error("\"event\": \"status == 2\"", "\"event\": \"status == 2\", \"paramcd\": \"OS\"", CARTA_ECONFIG,
                 "/outcome/paramcd", "needs \"table\"");
    /* validation, missing, card */
    expect_error("\"output\"", "\"validation\": { \"scheme\": \"kfold\", \"folds\": 1 }, \"output\"", CARTA_ECONFIG,
                 "/validation/folds", ">= 2");
    expect_error("\"output\"", "\"validation\": { \"scheme\": \"kfold\", \"repeats\": 2 }, \"output\"", CARTA_ECONFIG,
                 "/validation/repeats", "not an option of scheme kfold");
    expect_error("\"output\"", "\"validation\": { \"scheme\": \"grouped_kfold\" }, \"output\"", CARTA_ECONFIG,
                 "/validation/group", "required");
    expect_error("\"output\"", "\"validation\": { \"scheme\": \"bootstrap\", \"bootstrap\": 0 }, \"output\"", CARTA_ECONFIG,
                 "/validation/bootstrap", NULL);
    expect_error("\"output\"", "\"validation\": { \"scheme\": \"holdout\", \"holdout\": 1 }, \"output\"", CARTA_ECONFIG,
                 "/validation/holdout", NULL);
    expect_error("\"output\"", "\"missing\": { \"strategy\": \"none\", \"indicators\": true }, \"output\"", CARTA_ECONFIG,
                 "/missing/indicators", "median");
    expect_error("\"output\"", "\"card\": { \"small_count_threshold\": -1 }, \"output\"", CARTA_ECONFIG,
                 "/card/small_count_threshold", NULL);
    expect_error("\"output\"", "\"card\": [], \"output\"", CARTA_ECONFIG, "/card", "expected an object");
}

Test(config, interactions_causes_intervals_and_derived_inputs_are_checked)
{
    const char *feat = "{ \"name\": \"age\" }";
    expect_error("\"models\": [", "\"interactions\": [[\"age\", \"sx\"]], \"models\": [", CARTA_ECONFIG,
                 "/interactions/0/1", "did you mean \"sex\"");
    expect_error("\"models\": [", "\"interactions\": [[\"age\", \"age\"]], \"models\": [", CARTA_ECONFIG,
                 "/interactions/0", "itself");
    expect_error("\"models\": [", "\"interactions\": [[\"age\", \"sex\"], [\"sex\", \"age\"]], \"models\": [",
                 CARTA_ECONFIG, "/interactions/1", "same pair");
    expect_error("\"models\": [", "\"interactions\": [[\"age\"]], \"models\": [", CARTA_ECONFIG, "/interactions/0", "pair");
    expect_error("\"event\": \"status == 2\"", "\"event\": \"status == 2\", \"start\": \"t0\"", CARTA_ECONFIG,
                 "/outcome/start", "\"id\"");
    expect_error(feat, "{ \"name\": \"age\", \"clip\": [5, 1] }", CARTA_ECONFIG, "/features/0/clip", "below");
    expect_error(feat, "{ \"name\": \"age\", \"clip\": [null, null] }", CARTA_ECONFIG, "/features/0/clip", NULL);
    expect_error(feat, "{ \"name\": \"age\", \"clip\": [0, \"9\"] }", CARTA_ECONFIG, "/features/0/clip/1", NULL);
    expect_error(feat, "{ \"name\": \"age\", \"derive\": \"m_easix\", \"args\": [\"LDH\", \"CRP\"] }", CARTA_ECONFIG,
                 "/features/0/args", "m_easix takes 3 columns, got 2");
    expect_error(feat, "{ \"name\": \"age\", \"derive\": \"easix\", \"type\": \"categorical\" }", CARTA_ECONFIG,
                 "/features/0/type", "numeric");
    carta_error err;
    const char *comp = "{ \"name\": \"cr\", \"data\": { \"tables\": { \"a\": { \"path\": \"a.json\" } } },"
                       "  \"outcome\": { \"type\": \"competing\", \"time\": \"T\", \"cause\": \"C\", \"censor\": \"0\","
                       "                \"causes\": [\"1\", \"0\"] },"
                       "  \"models\": [ { \"name\": \"cif\", \"type\": \"cif\" } ] }";
    cr_assert_eq(parse_err(comp, &err), CARTA_ECONFIG);
    cr_assert_str_eq(err.field, "/outcome/causes/1");
}

Test(config, logrank_rho_and_strata_are_checked)
{
    expect_error("{ \"name\": \"cox\", \"type\": \"cox\", \"ties\": \"efron\" }",
                 "{ \"name\": \"lr\", \"type\": \"logrank\", \"by\": [\"sex\"], \"rho\": -0.5 }",
                 CARTA_ECONFIG, "/models/1/rho", ">= 0");
    expect_error("{ \"name\": \"cox\", \"type\": \"cox\", \"ties\": \"efron\" }",
                 "{ \"name\": \"lr\", \"type\": \"logrank\" }", CARTA_ECONFIG, "/models/1/by", "required");
    expect_error("{ \"name\": \"cox\", \"type\": \"cox\", \"ties\": \"efron\" }",
                 "{ \"name\": \"lr\", \"type\": \"logrank\", \"by\": [] }", CARTA_ECONFIG, "/models/1/by", "at least 1 entry");
}

Test(config, xgboost_params_are_checked_against_the_allow_list)
{
    const char *cox = "{ \"name\": \"cox\", \"type\": \"cox\", \"ties\": \"efron\" }";
    expect_error(cox, "{ \"name\": \"g\", \"type\": \"xgboost\", \"params\": { \"max_dept\": 3 } }", CARTA_ECONFIG,
                 "/models/1/params/max_dept", "did you mean \"max_depth\"");
    expect_error(cox, "{ \"name\": \"g\", \"type\": \"xgboost\", \"params\": { \"max_depth\": -3 } }", CARTA_ECONFIG,
                 "/models/1/params/max_depth", "out of range (must be >= 0)");
    expect_error(cox, "{ \"name\": \"g\", \"type\": \"xgboost\", \"params\": { \"max_depth\": 2.5 } }", CARTA_ECONFIG,
                 "/models/1/params/max_depth", "expected an integer");
    expect_error(cox, "{ \"name\": \"g\", \"type\": \"xgboost\", \"params\": { \"eta\": \"0.1\" } }", CARTA_ECONFIG,
                 "/models/1/params/eta", "expected a number");
    expect_error(cox, "{ \"name\": \"g\", \"type\": \"xgboost\", \"params\": { \"subsample\": 0 } }", CARTA_ECONFIG,
                 "/models/1/params/subsample", "(0, 1]");
    expect_error(cox, "{ \"name\": \"g\", \"type\": \"xgboost\", \"params\": { \"booster\": \"gblinear\", \"updater\": \"shotgun\" } }",
                 CARTA_ECONFIG, "/models/1/params/updater", "shotgun");
    expect_error(cox, "{ \"name\": \"g\", \"type\": \"xgboost\", \"params\": { \"booster\": \"gblinear\", \"max_depth\": 3 } }",
                 CARTA_ECONFIG, "/models/1/params/max_depth", "not used with booster gblinear");
    expect_error(cox, "{ \"name\": \"g\", \"type\": \"xgboost\", \"params\": { \"objective\": \"binary:logistic\" } }",
                 CARTA_ECONFIG, "/models/1/params/objective", "does not fit a survival outcome");
    expect_error(cox, "{ \"name\": \"g\", \"type\": \"xgboost\", \"params\": { \"objective\": \"survival:coxx\" } }",
                 CARTA_ECONFIG, "/models/1/params/objective", "did you mean \"survival:cox\"");
    expect_error(cox, "{ \"name\": \"g\", \"type\": \"xgboost\", \"params\": { \"aft_loss_distribution\": \"normal\" } }",
                 CARTA_ECONFIG, "/models/1/params/aft_loss_distribution", "survival:aft");
    expect_error(cox, "{ \"name\": \"g\", \"type\": \"xgboost\", \"params\": { \"seed\": 3 } }",
                 CARTA_ECONFIG, "/models/1/params/seed", "/seed");
    expect_error(cox, "{ \"name\": \"g\", \"type\": \"xgboost\", \"params\": { \"nthread\": 3 } }",
                 CARTA_ECONFIG, "/models/1/params/nthread", "--threads");
    expect_error(cox, "{ \"name\": \"g\", \"type\": \"xgboost\", \"params\": { \"learning_rate\": 0.1 } }",
                 CARTA_ECONFIG, "/models/1/params/learning_rate", "use \"eta\"");
    expect_error(cox, "{ \"name\": \"g\", \"type\": \"xgboost\", \"params\": { \"eval_metric\": \"logloss\" } }",
                 CARTA_ECONFIG, "/models/1/params/eval_metric", "does not fit");
    expect_error(cox, "{ \"name\": \"g\", \"type\": \"xgboost\", \"params\": { \"tree_method\": \"gpu_hist\" } }",
                 CARTA_ECONFIG, "/models/1/params/tree_method", "not one of");
    expect_error(cox, "{ \"name\": \"g\", \"type\": \"xgboost\", \"rounds\": 0 }", CARTA_ECONFIG, "/models/1/rounds", NULL);
    expect_error("\"type\": \"survival\", \"time\": \"time\", \"event\": \"status == 2\"", "\"type\": \"binary\", \"event\": \"status == 2\"",
                 CARTA_ECONFIG, "/models/0/type", "needs a survival outcome");
    expect_error(cox, "{ \"name\": \"g\", \"type\": \"xgboost\", \"params\": { \"max_depth\": 0 } }", CARTA_ECONFIG,
                 "/models/1/params/max_depth", "lossguide");
    expect_error(cox, "{ \"name\": \"g\", \"type\": \"xgboost\", \"params\": { \"eval_metric\": \"auc\" } }", CARTA_ECONFIG,
                 "/models/1/params/eval_metric", "does not fit");
    expect_error(cox, "{ \"name\": \"g\", \"type\": \"xgboost\", \"early_stopping_fraction\": 0.5 }", CARTA_ECONFIG,
                 "/models/1/early_stopping_fraction", "early_stopping_rounds");
    expect_error(cox, "{ \"name\": \"g\", \"type\": \"xgboost\", \"params\": { \"max_depth\": 3, \"max_depth\": 4 } }",
                 CARTA_ECONFIG, "/models/1/params/max_depth", "duplicate");
}

Test(config, xgboost_base_score_must_be_a_probability_for_logistic_objectives)
{
    carta_error err;
    const char *text = "{ \"name\": \"b\", \"data\": { \"tables\": { \"a\": { \"path\": \"a.xpt\" } } },"
                       "  \"outcome\": { \"type\": \"binary\", \"event\": \"Y == 1\" },"
                       "  \"models\": [ { \"name\": \"g\", \"type\": \"xgboost\", \"params\": { \"base_score\": 1.5 } } ] }";
    cr_assert_eq(parse_err(text, &err), CARTA_ECONFIG);
    cr_assert_str_eq(err.field, "/models/0/params/base_score");
    carta_config *c = parse_ok("{ \"name\": \"b\", \"data\": { \"tables\": { \"a\": { \"path\": \"a.xpt\" } } },"
                               "  \"outcome\": { \"type\": \"binary\", \"event\": \"Y == 1\" },"
                               "  \"models\": [ { \"name\": \"g\", \"type\": \"xgboost\", \"params\": { \"base_score\": 0.2 } } ] }");
    cr_assert_str_eq(carta_xgboost_config_param(&c->models[0].xgboost, "base_score")->text, "0.2");
    carta_config_free(c);
}

Test(config, duplicate_keys_are_rejected_anywhere)
{
    carta_error err;
    cr_assert_eq(parse_err("{\"name\": \"a\", \"name\": \"b\"}", &err), CARTA_ECONFIG);
    cr_assert_str_eq(err.field, "/name");
    cr_assert_not_null(strstr(err.msg, "duplicate key"));
    expect_error("\"ties\": \"efron\"", "\"ties\": \"efron\", \"ties\": \"breslow\"", CARTA_ECONFIG, "/models/1/ties",
                 "duplicate key");
    expect_error("{ \"lung\":", "{ \"lung\": { \"path\": \"a.csv\" }, \"lung\":", CARTA_ECONFIG, "/data/tables/lung",
                 "duplicate key");
}

Test(config, duplicate_keys_in_a_large_object_are_found)
{
    /* 200 distinct newdata columns and then one repeated: the sorted path of the check. */
    size_t cap = 16384, len = 0;
    char *text = malloc(cap);
    cr_assert_not_null(text);
    len += (size_t)snprintf(text + len, cap - len, "{\"name\": \"x\", \"data\": {\"tables\": {\"t\": {\"path\": \"t.csv\"}}},"
                            " \"outcome\": {\"type\": \"survival\", \"time\": \"T\", \"event\": \"E\"},"
                            " \"models\": [{\"name\": \"c\", \"type\": \"cox\", \"newdata\": [{");
    for (int i = 0; i < 200; i++) len += (size_t)snprintf(text + len, cap - len, "\"c%d\": %d, ", i, i);
    len += (size_t)snprintf(text + len, cap - len, "\"c150\": 1, \"c7\": 2}]}]}");
    carta_error err;
    cr_assert_eq(parse_err(text, &err), CARTA_ECONFIG);
    cr_assert_str_eq(err.field, "/models/0/newdata/0/c150", "the first repeat in document order");
    /* Without the repeats it parses. */
    strcpy(strstr(text, ", \"c150\": 1, \"c7\""), "}]}]}");
    carta_config *c = parse_ok(text);
    cr_assert_eq(c->models[0].cox.newdata[0].n, 200);
    carta_config_free(c);
    free(text);
}

Test(config, invalid_json_reports_line_and_column)
{
    carta_error err;
    const char *missing_comma = "{\n  \"name\": \"x\",\n  \"seed\": 1\n  \"data\": {}\n}\n";
    cr_assert_eq(parse_err(missing_comma, &err), CARTA_ECONFIG);
    cr_assert_eq(err.line, 4);
    cr_assert_eq(err.col, 3);
    cr_assert_eq(strncmp(err.msg, "config.json:4:3: invalid JSON", 29), 0, "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "','"), "%s", err.msg);
    cr_assert_eq(parse_err("{\"name\": \"x\",}", &err), CARTA_ECONFIG);
    cr_assert_eq(err.line, 1);
    cr_assert_eq(err.col, 14);
    cr_assert_eq(parse_err("{\"name\": \"x\"}\n  x", &err), CARTA_ECONFIG);
    cr_assert_eq(err.line, 2);
    cr_assert_eq(err.col, 3);
    cr_assert_eq(parse_err("  \n", &err), CARTA_ECONFIG);
    cr_assert_not_null(strstr(err.msg, "empty"));
    cr_assert_eq(parse_err("[1, 2]", &err), CARTA_ECONFIG);
    cr_assert_str_eq(err.field, "");
    cr_assert_not_null(strstr(err.msg, "expected an object"));
    cr_assert_eq(parse_err("{\"name\": \"x\", \"seed\": 1e999}", &err), CARTA_ECONFIG);
    cr_assert_str_eq(err.field, "/seed");
    /* text with a NUL byte inside */
    carta_config *c = NULL;
    carta_error_clear(&err);
    cr_assert_eq(carta_config_parse("{\"a\"\0}", 6, "config.json", NULL, &c, &err), CARTA_ECONFIG);
    cr_assert_eq(err.col, 5);
}

/* One syntax error: the message names what was expected, at line:col. */
static void expect_syntax(const char *text, long line, long col, const char *needle)
{
    carta_error err;
    cr_assert_eq(parse_err(text, &err), CARTA_ECONFIG, "%s", text);
    cr_expect_eq(err.line, line, "%s: line %ld (%s)", text, err.line, err.msg);
    cr_expect_eq(err.col, col, "%s: col %ld (%s)", text, err.col, err.msg);
    cr_expect_not_null(strstr(err.msg, needle), "message lacks \"%s\": %s", needle, err.msg);
    cr_expect_str_eq(err.field, "");
}

Test(config, syntax_errors_say_what_was_expected)
{
    expect_syntax("{\"a\": 1 \"b\": 2}", 1, 9, "expected ',' or '}'");
    expect_syntax("{\"a\": [1 2]}", 1, 10, "expected ',' or ']'");
    expect_syntax("{\"a\": [1, 2,]}", 1, 13, "a comma before ']'");
    expect_syntax("{\n\"a\": \"abc\n}", 2, 6, "unterminated string");
    expect_syntax("{\"a\": \"abc", 1, 7, "unterminated string");
    expect_syntax("{\"a\": 1", 1, 8, "unexpected end of the file");
    expect_syntax("{\"a\" 1}", 1, 6, "expected ':'");
    expect_syntax("{'a': 1}", 1, 2, "double quotes");
    expect_syntax("{\"a\": 'x'}", 1, 7, "double quotes");
    expect_syntax("{\"a\": 01}", 1, 7, "leading zeros");
    expect_syntax("{\"a\": 1.}", 1, 7, "invalid number");
    expect_syntax("{\"a\": +1}", 1, 7, "expected a value");
    expect_syntax("{\"a\": tru}", 1, 7, "unknown word");
    expect_syntax("{\"a\": True}", 1, 7, "unknown word");
    expect_syntax("{\"a\": 1 // note\n}", 1, 9, "comments");
    expect_syntax("{\"a\": \"\\x\"}", 1, 8, "invalid escape");
    expect_syntax("{\"a\": \"\\u12\"}", 1, 8, "four hex digits");
    expect_syntax("{\"a\": \"\\uDC00\"}", 1, 8, "surrogate");
    expect_syntax("{\"a\": \"\\uD800\\u0041\"}", 1, 8, "surrogate");
    expect_syntax("{\"a\": \"tab\there\"}", 1, 11, "control character");
    expect_syntax("{} {}", 1, 4, "after the end");
    /* 1001 nested arrays: deeper than cJSON's limit. */
    char deep[2100];
    size_t k = 0;
    deep[k++] = '{';
    memcpy(deep + k, "\"a\":", 4);
    k += 4;
    for (int i = 0; i < 1001; i++) deep[k++] = '[';
    deep[k] = '\0';
    expect_syntax(deep, 1, 1005, "nested too deeply");
}

Test(config, the_syntax_checker_accepts_what_cjson_accepts)
{
    /* Valid JSON in unusual forms reaches the config checks (here: an unknown key), so the syntax
       checker did not refuse it. */
    const char *valid[] = {
        "{\"x\": -0.5e-3}", "{\"x\": [ ]}", "{\"x\": { }}", "{\"x\": \"\\u00e9\\ud83d\\ude00\\\"\\/\"}",
        "{\"x\": [true, false, null, 0, 1E+2, \"\"]}", " \r\n\t{\"x\": 1}\r\n", "\xEF\xBB\xBF{\"x\": 1}",
        "{\"x\": \"caf\xC3\xA9\"}",
    };
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        carta_error err;
        cr_assert_eq(parse_err(valid[i], &err), CARTA_ECONFIG);
        cr_expect_str_eq(err.field, "/x", "%s: %s", valid[i], err.msg);
    }
}

/* Writes text to dir/name; returns the path in a static buffer. */
static const char *write_file(const char *dir, const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    cr_assert_not_null(fp);
    fputs(text, fp);
    fclose(fp);
    return path;
}

Test(config, load_resolves_paths_from_the_config_folder)
{
    char dir[] = "/tmp/carta-config-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char sub[600];
    snprintf(sub, sizeof sub, "%s/exp", dir);
    cr_assert_eq(mkdir(sub, 0700), 0);
    const char *path = write_file(sub, "lung.json", MINIMAL);
    carta_error err;
    carta_error_clear(&err);
    carta_config *c = NULL;
    cr_assert_eq(carta_config_load(path, &c, &err), CARTA_OK, "%s", err.msg);
    char want[700];
    snprintf(want, sizeof want, "%s/lung.csv", sub);
    cr_assert_str_eq(c->tables[0].path_resolved, want);
    cr_assert_str_eq(c->file, path);
    carta_config_free(c);

    /* A missing file is an I/O error; a bad one names the path as given. */
    char missing[700];
    snprintf(missing, sizeof missing, "%s/nope.json", sub);
    carta_error_clear(&err);
    cr_assert_eq(carta_config_load(missing, &c, &err), CARTA_EIO);
    cr_assert_null(c);
    char bad_path[700];
    snprintf(bad_path, sizeof bad_path, "%s", write_file(sub, "bad.json", "{\"name\": 1}"));
    carta_error_clear(&err);
    cr_assert_eq(carta_config_load(bad_path, &c, &err), CARTA_ECONFIG);
    cr_assert_str_eq(err.file, bad_path);
    cr_assert_str_eq(err.field, "/name");
    unlink(bad_path);
    unlink(path);
    rmdir(sub);
    rmdir(dir);
}

/* Resolved JSON of text; parsing it again must give the same bytes. */
static void check_round_trip(const char *text)
{
    carta_error err;
    carta_error_clear(&err);
    carta_config *c = parse_ok(text), *c2 = NULL;
    char *j1 = NULL, *j2 = NULL;
    cr_assert_eq(carta_config_resolved_json(c, &j1, &err), CARTA_OK, "%s", err.msg);
    int rc = carta_config_parse(j1, strlen(j1), "resolved.json", "cfgdir", &c2, &err);
    cr_assert_eq(rc, CARTA_OK, "resolved JSON does not parse: %s\n%s", err.msg, j1);
    cr_assert_eq(carta_config_resolved_json(c2, &j2, &err), CARTA_OK);
    cr_assert_str_eq(j1, j2);
    carta_free(j1);
    carta_free(j2);
    carta_config_free(c);
    carta_config_free(c2);
}

Test(config, resolved_json_round_trips_byte_for_byte)
{
    check_round_trip(MINIMAL);
    check_round_trip(FULL);
    check_round_trip(SURV_ALL);
    check_round_trip(BINARY_ALL);
    check_round_trip(COMPETING);
}

Test(config, resolved_json_writes_defaults_in_a_fixed_order)
{
    carta_error err;
    carta_error_clear(&err);
    carta_config *c = parse_ok(MINIMAL);
    char *j = NULL;
    cr_assert_eq(carta_config_resolved_json(c, &j, &err), CARTA_OK);
    const char *km = "{\"name\":\"km_by_sex\",\"type\":\"km\",\"by\":[\"sex\"],\"weights\":null,\"conf_type\":\"log-log\","
                     "\"conf_level\":0.95,\"probs\":[0.25,0.5,0.75],\"tau\":null,\"times\":[],\"ctype\":1}";
    cr_assert_not_null(strstr(j, km), "%s", j);
    cr_assert_not_null(strstr(j, "\"ties\":\"efron\""));
    cr_assert_eq(strncmp(j, "{\"name\":\"lung_cox\",\"description\":null,\"seed\":1,\"data\":", 54), 0, "%s", j);
    cr_assert_null(strstr(j, "cfgdir"), "resolved paths never appear");
    carta_free(j);
    carta_config_free(c);

    /* Exact doubles survive: 0.1 + 0.2 is not written as 0.3. */
    c = parse_ok(SURV_ALL);
    cr_assert_eq(carta_config_resolved_json(c, &j, &err), CARTA_OK);
    cr_assert_not_null(strstr(j, "0.30000000000000004"));
    carta_free(j);
    carta_config_free(c);
}

Test(config, allocation_failures_end_in_enomem_without_leaks)
{
    const char *texts[] = { FULL, SURV_ALL };
    for (size_t t = 0; t < 2; t++) {
        int ok = 0;
        for (long k = 1; k < 10000 && !ok; k++) {
            carta_error err;
            carta_error_clear(&err);
            carta_config *c = NULL;
            char *j = NULL;
            carta_alloc_fail_at(k);
            int rc = carta_config_parse(texts[t], strlen(texts[t]), "config.json", "cfgdir", &c, &err);
            if (rc == CARTA_OK) rc = carta_config_resolved_json(c, &j, &err);
            carta_alloc_fail_at(0);
            cr_assert(rc == CARTA_OK || rc == CARTA_ENOMEM, "k=%ld: rc %d (%s)", k, rc, err.msg);
            if (rc == CARTA_OK) {
                ok = 1;
                cr_assert_not_null(j);
            } else {
                cr_assert_eq(err.code, CARTA_ENOMEM);
            }
            carta_free(j);
            carta_config_free(c);
        }
        cr_assert(ok, "never succeeded");
    }
}

Test(config, load_under_allocation_failures_ends_in_enomem)
{
    char dir[] = "/tmp/carta-config-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[600];
    snprintf(path, sizeof path, "%s", write_file(dir, "full.json", FULL));
    int ok = 0;
    for (long k = 1; k < 10000 && !ok; k++) {
        carta_error err;
        carta_error_clear(&err);
        carta_config *c = NULL;
        carta_alloc_fail_at(k);
        int rc = carta_config_load(path, &c, &err);
        carta_alloc_fail_at(0);
        cr_assert(rc == CARTA_OK || rc == CARTA_ENOMEM, "k=%ld: rc %d (%s)", k, rc, err.msg);
        if (rc == CARTA_OK) ok = 1;
        else cr_assert_null(c);
        carta_config_free(c);
    }
    cr_assert(ok);
    unlink(path);
    rmdir(dir);
}

/* Every prefix and many one-byte corruptions of a valid config end in CARTA_OK or CARTA_ECONFIG
   (never a crash or another code), and no message shows the folder carta resolved paths from. */
Test(config, truncated_and_corrupted_text_fails_cleanly)
{
    size_t len = strlen(FULL);
    char *buf = malloc(len + 1);
    cr_assert_not_null(buf);
    for (size_t k = 0; k <= len; k++) {
        carta_error err;
        carta_error_clear(&err);
        carta_config *c = NULL;
        int rc = carta_config_parse(FULL, k, "config.json", "/secret/dir", &c, &err);
        /* Only the whole text (or the whole text minus its final newline) is a valid config. */
        if (k >= len - 1) cr_assert_eq(rc, CARTA_OK, "k=%zu: %s", k, err.msg);
        else cr_assert_eq(rc, CARTA_ECONFIG, "k=%zu: rc %d", k, rc);
        cr_assert_null(strstr(err.msg, "/secret"));
        carta_config_free(c);
    }
    const char subst[] = { '"', '{', '}', '[', ',', ':', '0', 'x', '\\', ' ' };
    for (size_t i = 0; i < len; i++) {
        for (size_t j = 0; j < sizeof subst; j++) {
            memcpy(buf, FULL, len + 1);
            if (buf[i] == subst[j]) continue;
            buf[i] = subst[j];
            carta_error err;
            carta_error_clear(&err);
            carta_config *c = NULL;
            int rc = carta_config_parse(buf, len, "config.json", "/secret/dir", &c, &err);
            cr_assert(rc == CARTA_OK || rc == CARTA_ECONFIG, "byte %zu -> '%c': rc %d (%s)", i, subst[j], rc, err.msg);
            cr_assert_null(strstr(err.msg, "/secret"));
            if (rc == CARTA_OK) {
                /* A corruption that still parses (e.g. inside a string) must still round-trip. */
                char *j1 = NULL, *j2 = NULL;
                carta_config *c2 = NULL;
                cr_assert_eq(carta_config_resolved_json(c, &j1, &err), CARTA_OK);
                cr_assert_eq(carta_config_parse(j1, strlen(j1), "r.json", "/secret/dir", &c2, &err), CARTA_OK,
                             "byte %zu -> '%c': %s", i, subst[j], err.msg);
                cr_assert_eq(carta_config_resolved_json(c2, &j2, &err), CARTA_OK);
                cr_assert_str_eq(j1, j2);
                carta_free(j1);
                carta_free(j2);
                carta_config_free(c2);
            }
            carta_config_free(c);
        }
    }
    free(buf);
}

Test(config, example_configs_parse)
{
    glob_t g;
    if (glob("configs/*.json", 0, NULL, &g) != 0) cr_skip_test("no configs/*.json (run from the repository root)");
    for (size_t i = 0; i < g.gl_pathc; i++) {
        carta_error err;
        carta_error_clear(&err);
        carta_config *c = NULL;
        int rc = carta_config_load(g.gl_pathv[i], &c, &err);
        cr_expect_eq(rc, CARTA_OK, "%s: %s", g.gl_pathv[i], err.msg);
        carta_config_free(c);
    }
    globfree(&g);
}

Test(config, free_null_is_a_no_op)
{
    carta_config_free(NULL);
    cr_assert_str_eq(carta_cfg_conf_type_name(CARTA_CFG_CONF_LOGLOG), "log-log");
    cr_assert_str_eq(carta_cfg_scheme_name(CARTA_CFG_SCHEME_LEAVE_ONE_STUDY_OUT), "leave_one_study_out");
}
