/* carta predict: scoring the training patients with a finished run folder reproduces the run's
   own full-data predictions (predictions.csv) byte for byte for logistic and xgboost models; Cox
   linear predictors differ from the run's centred ones by one constant (the centring) and S(t)
   follows the card's baseline hazard; bad inputs are named errors. The run folders are made
   here by carta_run_command on a small simulated cohort, so the reference is the fitting code's
   own prediction path (models.c), independent of predict.c's re-implementation from the card. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <carta/alloc.h>
#include <carta/export.h>
#include <carta/fs.h>
#include <carta/run.h>
#include <carta/simulate.h>

#include "check.h"

#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char work[256];

static void put(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    cr_assert(fp, "cannot write %s", path);
    fputs(text, fp);
    fclose(fp);
}

static const char *binary_cfg =
    "{\"name\": \"p_bin\", \"seed\": 5,\n"
    " \"data\": {\"tables\": {\n"
    "   \"studies\": {\"path\": \"synth/studies.csv\", \"schema\": \"%s/data-schemas/studies.json\"},\n"
    "   \"adsl\": {\"path\": \"synth/adsl.csv\", \"schema\": \"%s/data-schemas/adsl.json\"},\n"
    "   \"adae\": {\"path\": \"synth/adae.csv\", \"schema\": \"%s/data-schemas/adae.json\"},\n"
    "   \"adlb\": {\"path\": \"synth/adlb.csv\", \"schema\": \"%s/data-schemas/adlb.json\"}},\n"
    "   \"harmonize\": {\"crs_scale\": \"ASTCT\", \"mapping_bound\": \"point\", \"units\": \"conventional\"}},\n"
    " \"outcome\": {\"type\": \"binary\", \"event\": \"CRS\", \"grade_at_least\": 2, \"within_days\": 28},\n"
    " \"features\": [{\"name\": \"AGE\"}, {\"name\": \"PRODUCT\", \"type\": \"categorical\", \"reference\": \"axi-cel\"},\n"
    "   {\"name\": \"TUMBURD\", \"type\": \"categorical\", \"reference\": \"LOW\"}, {\"name\": \"DOSE\", \"transform\": \"log\"}],\n"
    " \"missing\": {\"strategy\": \"median\", \"indicators\": true},\n"
    " \"models\": [{\"name\": \"logit\", \"type\": \"logistic\"},\n"
    "   {\"name\": \"gbm\", \"type\": \"xgboost\", \"params\": {\"objective\": \"binary:logistic\", \"max_depth\": 2}, \"rounds\": 15}],\n"
    " \"output\": \"run_bin\"}\n";

static const char *surv_cfg =
    "{\"name\": \"p_surv\", \"seed\": 5,\n"
    " \"data\": {\"tables\": {\n"
    "   \"adsl\": {\"path\": \"synth/adsl.csv\", \"schema\": \"%s/data-schemas/adsl.json\"},\n"
    "   \"adtte\": {\"path\": \"synth/adtte.csv\"}}},\n"
    " \"outcome\": {\"type\": \"survival\", \"time\": \"AVAL\", \"event\": \"CNSR == 0\", \"table\": \"adtte\", \"paramcd\": \"OS\"},\n"
    " \"features\": [{\"name\": \"AGE\", \"from\": \"adsl\"}, {\"name\": \"PRODUCT\", \"from\": \"adsl\", \"type\": \"categorical\", \"reference\": \"axi-cel\"}],\n"
    " \"models\": [{\"name\": \"cox\", \"type\": \"cox\"},\n"
    "   {\"name\": \"gbm_cox\", \"type\": \"xgboost\", \"params\": {\"objective\": \"survival:cox\", \"max_depth\": 2}, \"rounds\": 15}],\n"
    " \"output\": \"run_surv\"}\n";

/* Simulates a small cohort and runs both configs into a fresh folder (each test runs in its own
   process, so each gets its own; about a second). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void setup(void)
{
    snprintf(work, sizeof work, "/tmp/carta-predict-XXXXXX");
    cr_assert(mkdtemp(work), "mkdtemp");
    char cwd[512], path[600], cfg[4096];
    cr_assert(getcwd(cwd, sizeof cwd));
    carta_sim_options so = { .trials = 4, .patients = 400, .seed = 17 };
    carta_error err = { 0 };
    snprintf(path, sizeof path, "%s/synth", work);
    cr_assert_eq(carta_simulate(&so, path, &err), CARTA_OK, "%s", err.msg);
    carta_run_opts o = { .quiet = 1, .threads = 1 };
    snprintf(cfg, sizeof cfg, binary_cfg, cwd, cwd, cwd, cwd);
    snprintf(path, sizeof path, "%s/bin.json", work);
    put(path, cfg);
    cr_assert_eq(carta_run_command(path, &o, &err), CARTA_OK, "%s", err.msg);
    snprintf(cfg, sizeof cfg, surv_cfg, cwd);
    snprintf(path, sizeof path, "%s/surv.json", work);
    put(path, cfg);
    cr_assert_eq(carta_run_command(path, &o, &err), CARTA_OK, "%s", err.msg);
}
#pragma GCC diagnostic pop

static void cleanup(void)
{
    if (work[0]) carta_remove_tree(work);
}

static char *predict(const char *run, const char *data, const char *model, int want, carta_error *err)
{
    char rp[600], dp[600], op[700];
    snprintf(rp, sizeof rp, "%s/%s", work, run);
    snprintf(dp, sizeof dp, "%s/%s", work, data);
    snprintf(op, sizeof op, "%s/pred-%s-%s.csv", work, run, model ? model : "default");
    unlink(op);
    int rc = carta_predict_command(rp, dp, model, NULL, 0, op, 0, NULL, err);
    cr_assert_eq(rc, want, "predict %s with %s: %d %s", run, model ? model : "default", rc, err->msg);
    return rc ? NULL : read_file_text(op);
}

/* Every scored subject's prediction equals the run's full-data prediction text. */
static void same_as_run(const char *run, const char *model, const char *data, size_t min_rows)
{
    carta_error err = { 0 };
    char *out = predict(run, data, model, CARTA_OK, &err);
    char pp[600];
    snprintf(pp, sizeof pp, "%s/%s/predictions.csv", work, run);
    char *preds = read_file_text(pp);
    int ku = csv_col_index(out, "USUBJID"), kp = csv_col_index(out, "prediction");
    cr_assert(ku >= 0 && kp >= 0, "header: %.80s", out);
    size_t n = 0;
    for (char *l = strchr(out, '\n') + 1; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        char u[64], p[64], q[64];
        csv_field(l, ku, u, sizeof u);
        csv_field(l, kp, p, sizeof p);
        const char *r = run_prediction_text(preds, model, u, q, sizeof q);
        if (!r) continue; /* not in the analysis cohort */
        cr_assert_str_eq(p, r, "%s %s: predict %s, run %s", model, u, p, r);
        n++;
    }
    cr_assert_geq(n, min_rows, "only %zu subjects compared", n);
    carta_free(out);
    carta_free(preds);
}

TestSuite(predict, .init = setup, .fini = cleanup, .timeout = 300);

Test(predict, logistic_reproduces_run) { same_as_run("run_bin", "logit", "synth/adsl.csv", 300); }
Test(predict, xgboost_binary_reproduces_run) { same_as_run("run_bin", "gbm", "synth/adsl.csv", 300); }
Test(predict, xgboost_cox_reproduces_run) { same_as_run("run_surv", "gbm_cox", "synth/adsl.csv", 300); }

Test(predict, default_model_is_first_predictive)
{
    carta_error err = { 0 };
    char *a = predict("run_bin", "synth/adsl.csv", NULL, CARTA_OK, &err);
    char *b = predict("run_bin", "synth/adsl.csv", "logit", CARTA_OK, &err);
    cr_assert_str_eq(a, b);
    carta_free(a);
    carta_free(b);
}

/* Cox: lp = x'b uncentred; the run's centred lp differs by the constant b'mean; S(t) in (0, 1]
   and decreasing in t, and equal to exp(-H0(t) exp(lp)) with H0 read independently here. */
Test(predict, cox_lp_and_survival)
{
    carta_error err = { 0 };
    char *out = predict("run_surv", "synth/adsl.csv", "cox", CARTA_OK, &err);
    char pp[600];
    snprintf(pp, sizeof pp, "%s/run_surv/predictions.csv", work);
    char *preds = read_file_text(pp);
    int ku = csv_col_index(out, "USUBJID"), kl = csv_col_index(out, "lp"), ks = csv_col_index(out, "surv_");
    cr_assert(ku >= 0 && kl >= 0, "header: %.120s", out);
    (void)ks;
    int s1 = kl + 1; /* three surv columns follow lp */
    char hb[64];
    cr_assert(csv_field(out, s1, hb, sizeof hb) && !strncmp(hb, "surv_", 5), "no S(t) columns: %.120s", out);
    cr_assert(csv_field(out, s1 + 2, hb, sizeof hb) && !strncmp(hb, "surv_", 5));
    double shift = NAN;
    size_t n = 0;
    for (char *l = strchr(out, '\n') + 1; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        char u[64], b[64], q[64];
        csv_field(l, ku, u, sizeof u);
        double lp = atof(csv_field(l, kl, b, sizeof b));
        double s[3];
        for (int k = 0; k < 3; k++) s[k] = atof(csv_field(l, s1 + k, b, sizeof b));
        cr_assert(s[0] <= 1 && s[0] >= s[1] && s[1] >= s[2] && s[2] > 0, "S(t) of %s not decreasing in (0, 1]", u);
        const char *r = run_prediction_text(preds, "cox", u, q, sizeof q);
        if (!r) continue;
        double d = lp - atof(r);
        if (isnan(shift)) shift = d;
        cr_assert(fabs(d - shift) <= 1e-12 * (1 + fabs(shift)), "%s: lp - centred lp = %.17g, first %.17g", u, d, shift);
        n++;
    }
    cr_assert_geq(n, 300);
    /* One S(t) by hand from the card's baseline hazard: first data line, first time. */
    snprintf(pp, sizeof pp, "%s/run_surv/card.json", work);
    char *card = read_file_text(pp);
    cJSON *c = cJSON_Parse(card);
    cJSON *cox = cJSON_GetArrayItem(cJSON_GetObjectItem(c, "models"), 0);
    cJSON *bh = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(cox, "result"), "basehaz"), 0);
    cJSON *tm = cJSON_GetObjectItem(bh, "time"), *ch = cJSON_GetObjectItem(bh, "cumhaz");
    char b[64];
    double t = atof(csv_field(out, s1, b, sizeof b) + 5);
    char *l1 = strchr(out, '\n') + 1;
    double lp = atof(csv_field(l1, kl, b, sizeof b)), s = atof(csv_field(l1, s1, b, sizeof b)), h = 0;
    for (int i = 0; i < cJSON_GetArraySize(tm); i++)
        if (cJSON_GetArrayItem(tm, i)->valuedouble <= t) h = cJSON_GetArrayItem(ch, i)->valuedouble;
    cr_assert(h > 0);
    cr_assert(fabs(s - exp(-h * exp(lp))) <= 1e-15, "S(%g) = %.17g, by hand %.17g", t, s, exp(-h * exp(lp)));
    cJSON_Delete(c);
    carta_free(card);
    carta_free(out);
    carta_free(preds);
}

/* Rewrites synth/adsl.csv into name, applying edit to each data line (1-based index). */
static void adsl_variant(const char *name, void (*edit)(char *line, size_t i, FILE *fp))
{
    char in[600], outp[600];
    snprintf(in, sizeof in, "%s/synth/adsl.csv", work);
    snprintf(outp, sizeof outp, "%s/%s", work, name);
    char *t = read_file_text(in);
    FILE *fp = fopen(outp, "w");
    cr_assert(fp);
    size_t i = 0;
    for (char *l = strtok(t, "\n"); l; l = strtok(NULL, "\n"), i++) edit(l, i, fp);
    fclose(fp);
    carta_free(t);
}

/* Drops the PRODUCT column (index 8 in the simulated ADSL). */
static void drop_product(char *l, size_t i, FILE *fp)
{
    (void)i;
    int k = 0;
    for (char *s = l; *s; s++) {
        if (*s == ',') k++;
        if (k == 8 || (k == 9 && *s == ',' && 0)) continue;
        putc(*s, fp);
    }
    putc('\n', fp);
}

static void new_level(char *l, size_t i, FILE *fp)
{
    char *p = strstr(l, ",axi-cel,");
    if (i == 3 && p) { *p = 0; fprintf(fp, "%s,zeta-cel,%s\n", l, p + 9); }
    else fprintf(fp, "%s\n", l);
}

static void blank_age(char *l, size_t i, FILE *fp)
{
    /* AGE is field 4. */
    if (i != 2) { fprintf(fp, "%s\n", l); return; }
    int k = 0;
    for (char *s = l; *s; s++) {
        if (k == 4 && *s != ',') continue;
        if (*s == ',') k++;
        putc(*s, fp);
    }
    putc('\n', fp);
}

Test(predict, missing_column_is_named)
{
    adsl_variant("noproduct.csv", drop_product);
    carta_error err = { 0 };
    predict("run_bin", "noproduct.csv", "logit", CARTA_EDATA, &err);
    cr_assert(strstr(err.msg, "PRODUCT"), "message does not name the column: %s", err.msg);
}

Test(predict, unknown_level_is_named)
{
    adsl_variant("newlevel.csv", new_level);
    carta_error err = { 0 };
    predict("run_bin", "newlevel.csv", "logit", CARTA_EDATA, &err);
    cr_assert(strstr(err.msg, "zeta-cel") || strstr(err.msg, "PRODUCT"), "message: %s", err.msg);
}

/* Complete case (the survival run's default): the row is written, unscored, with a note. */
Test(predict, dropped_rows_are_reported)
{
    adsl_variant("noage.csv", blank_age);
    carta_error err = { 0 };
    char *out = predict("run_surv", "noage.csv", "cox", CARTA_OK, &err);
    char *l2 = strchr(strchr(out, '\n') + 1, '\n') + 1; /* second data line = input row 2 */
    char b[64];
    int kr = csv_col_index(out, "row"), kp = csv_col_index(out, "prediction");
    cr_assert_str_eq(csv_field(l2, kr, b, sizeof b), "2");
    cr_assert_str_eq(csv_field(l2, kp, b, sizeof b), "");
    cr_assert(strstr(l2, "not scored: missing AGE"), "no note: %.200s", l2);
    carta_free(out);
}

Test(predict, refuses_to_overwrite_and_unknown_model)
{
    carta_error err = { 0 };
    char rp[600], dp[600], op[700];
    snprintf(rp, sizeof rp, "%s/run_bin", work);
    snprintf(dp, sizeof dp, "%s/synth/adsl.csv", work);
    snprintf(op, sizeof op, "%s/twice.csv", work);
    cr_assert_eq(carta_predict_command(rp, dp, NULL, NULL, 0, op, 0, NULL, &err), CARTA_OK, "%s", err.msg);
    carta_error_clear(&err);
    cr_assert_eq(carta_predict_command(rp, dp, NULL, NULL, 0, op, 0, NULL, &err), CARTA_EIO);
    carta_error_clear(&err);
    cr_assert_eq(carta_predict_command(rp, dp, NULL, NULL, 0, op, 1, NULL, &err), CARTA_OK, "%s", err.msg);
    carta_error_clear(&err);
    cr_assert_eq(carta_predict_command(rp, dp, "nope", NULL, 0, op, 1, NULL, &err), CARTA_EUSAGE);
    cr_assert(strstr(err.msg, "nope"));
}

/* ---- model-card-toolkit export ------------------------------------------------------------- */

/* 1 when every key of object o is among the NULL-terminated allowed names. */
static int keys_within(const cJSON *o, const char *const *allowed, const char *where)
{
    const cJSON *k;
    cJSON_ArrayForEach(k, o) {
        int ok = 0;
        for (const char *const *a = allowed; *a; a++) ok |= !strcmp(k->string, *a);
        if (!ok) {
            fprintf(stderr, "%s: key %s is not in the model-card-toolkit schema\n", where, k->string);
            return 0;
        }
    }
    return 1;
}

static int items_within(const cJSON *a, const char *const *allowed, const char *where)
{
    const cJSON *e;
    if (!a) return 1;
    if (!cJSON_IsArray(a)) return 0;
    cJSON_ArrayForEach(e, a) if (!cJSON_IsObject(e) || !keys_within(e, allowed, where)) return 0;
    return 1;
}

/* The fields of model_card.schema.json v0.0.2 (model-cards.md section 4). */
static const char *const K_TOP[] = { "schema_version", "model_details", "model_parameters", "quantitative_analysis",
                                     "considerations", NULL };
static const char *const K_DETAILS[] = { "name", "overview", "documentation", "owners", "version", "licenses",
                                         "references", "citations", "path", NULL };
static const char *const K_VERSION[] = { "name", "date", "diff", NULL };
static const char *const K_REF[] = { "reference", NULL };
static const char *const K_PARAMS[] = { "model_architecture", "data", "input_format", "output_format",
                                        "output_format_map", NULL };
static const char *const K_DATA[] = { "name", "link", "description", "sensitive", "graphics", NULL };
static const char *const K_QA[] = { "performance_metrics", "graphics", NULL };
static const char *const K_METRIC[] = { "type", "value", "slice", "confidence_interval", NULL };
static const char *const K_CI[] = { "lower_bound", "upper_bound", NULL };
static const char *const K_CONS[] = { "users", "use_cases", "limitations", "tradeoffs", "ethical_considerations", NULL };
static const char *const K_DESC[] = { "description", NULL };
static const char *const K_ETHIC[] = { "name", "mitigation_strategy", NULL };

static void check_mct_schema(const cJSON *m)
{
    cr_assert(keys_within(m, K_TOP, "/"));
    const cJSON *d = cJSON_GetObjectItem(m, "model_details");
    cr_assert(cJSON_IsObject(d) && keys_within(d, K_DETAILS, "/model_details"));
    const cJSON *v = cJSON_GetObjectItem(d, "version");
    cr_assert(!v || keys_within(v, K_VERSION, "/model_details/version"));
    cr_assert(items_within(cJSON_GetObjectItem(d, "references"), K_REF, "/model_details/references"));
    const cJSON *p = cJSON_GetObjectItem(m, "model_parameters");
    cr_assert(!p || keys_within(p, K_PARAMS, "/model_parameters"));
    cr_assert(items_within(cJSON_GetObjectItem(p, "data"), K_DATA, "/model_parameters/data"));
    const cJSON *q = cJSON_GetObjectItem(m, "quantitative_analysis");
    cr_assert(!q || keys_within(q, K_QA, "/quantitative_analysis"));
    const cJSON *pm = cJSON_GetObjectItem(q, "performance_metrics"), *e;
    cr_assert(items_within(pm, K_METRIC, "/quantitative_analysis/performance_metrics"));
    cJSON_ArrayForEach(e, pm) {
        const cJSON *ci = cJSON_GetObjectItem(e, "confidence_interval");
        cr_assert(!ci || keys_within(ci, K_CI, "confidence_interval"));
        /* The toolkit's proto types these as strings. */
        cr_assert(cJSON_IsString(cJSON_GetObjectItem(e, "type")));
        cr_assert(!cJSON_GetObjectItem(e, "value") || cJSON_IsString(cJSON_GetObjectItem(e, "value")));
    }
    const cJSON *c = cJSON_GetObjectItem(m, "considerations");
    cr_assert(!c || keys_within(c, K_CONS, "/considerations"));
    cr_assert(items_within(cJSON_GetObjectItem(c, "users"), K_DESC, "users"));
    cr_assert(items_within(cJSON_GetObjectItem(c, "use_cases"), K_DESC, "use_cases"));
    cr_assert(items_within(cJSON_GetObjectItem(c, "limitations"), K_DESC, "limitations"));
    cr_assert(items_within(cJSON_GetObjectItem(c, "tradeoffs"), K_DESC, "tradeoffs"));
    cr_assert(items_within(cJSON_GetObjectItem(c, "ethical_considerations"), K_ETHIC, "ethical_considerations"));
}

Test(mct, reference_cards_fit_the_schema)
{
    const char *cards[] = { "models/crs_severe/card.json", "models/cdisc_pilot_gbm/card.json" };
    for (int k = 0; k < 2; k++) {
        if (access(cards[k], R_OK)) cr_skip_test("%s absent", cards[k]);
        char *card = read_file_text(cards[k]), *out = NULL;
        carta_error err = { 0 };
        cr_assert_eq(carta_mct_json(card, &out, &err), CARTA_OK, "%s", err.msg);
        cJSON *m = cJSON_Parse(out), *c = cJSON_Parse(card);
        cr_assert(m, "not JSON");
        check_mct_schema(m);
        cr_assert_str_eq(cJSON_GetObjectItem(m, "schema_version")->valuestring, "0.0.2");
        cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "model_details"), "name")->valuestring,
                         cJSON_GetObjectItem(cJSON_GetObjectItem(c, "model_details"), "name")->valuestring);
        /* Every metric, with value and bounds that read back to the card's doubles. */
        const cJSON *cm = cJSON_GetObjectItem(cJSON_GetObjectItem(c, "performance"), "metrics");
        const cJSON *mm = cJSON_GetObjectItem(cJSON_GetObjectItem(m, "quantitative_analysis"), "performance_metrics");
        cr_assert_eq(cJSON_GetArraySize(mm), cJSON_GetArraySize(cm));
        for (int i = 0; i < cJSON_GetArraySize(cm); i++) {
            const cJSON *a = cJSON_GetArrayItem(cm, i), *b = cJSON_GetArrayItem(mm, i);
            cr_assert(strtod(cJSON_GetObjectItem(b, "value")->valuestring, NULL) ==
                      cJSON_GetObjectItem(a, "value")->valuedouble);
            const cJSON *ci = cJSON_GetObjectItem(b, "confidence_interval");
            int bounded = cJSON_IsNumber(cJSON_GetObjectItem(a, "lower")) && cJSON_IsNumber(cJSON_GetObjectItem(a, "upper"));
            cr_assert_eq(ci != NULL, bounded, "metric %d: interval %s", i, bounded ? "lost" : "made up");
            if (!bounded) continue;
            cr_assert(strtod(cJSON_GetObjectItem(ci, "lower_bound")->valuestring, NULL) ==
                      cJSON_GetObjectItem(a, "lower")->valuedouble);
            cr_assert(strtod(cJSON_GetObjectItem(ci, "upper_bound")->valuestring, NULL) ==
                      cJSON_GetObjectItem(a, "upper")->valuedouble);
            char want[200];
            snprintf(want, sizeof want, "%s: %s", cJSON_GetObjectItem(a, "model")->valuestring,
                     cJSON_GetObjectItem(a, "name")->valuestring);
            cr_assert_str_eq(cJSON_GetObjectItem(b, "type")->valuestring, want);
        }
        /* Limitations carried over. */
        const cJSON *lim = cJSON_GetObjectItem(cJSON_GetObjectItem(c, "considerations"), "limitations");
        const cJSON *ml = cJSON_GetObjectItem(cJSON_GetObjectItem(m, "considerations"), "limitations");
        cr_assert_geq(cJSON_GetArraySize(ml), cJSON_GetArraySize(lim));
        cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(ml, 0), "description")->valuestring,
                         cJSON_GetArrayItem(lim, 0)->valuestring);
        cJSON_Delete(m);
        cJSON_Delete(c);
        carta_free(out);
        carta_free(card);
    }
}

Test(mct, hand_card)
{
    const char *card = "{\"model_details\": {\"name\": \"h\"}, \"performance\": {\"metrics\": ["
                       "{\"model\": \"m\", \"name\": \"auc\", \"value\": 0.1, \"lower\": null, \"upper\": null, \"slice\": \"overall\"}]}}";
    char *out = NULL;
    carta_error err = { 0 };
    cr_assert_eq(carta_mct_json(card, &out, &err), CARTA_OK, "%s", err.msg);
    cJSON *m = cJSON_Parse(out);
    check_mct_schema(m);
    const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "quantitative_analysis"), "performance_metrics"), 0);
    cr_assert_str_eq(cJSON_GetObjectItem(e, "value")->valuestring, "0.1");
    cr_assert_str_eq(cJSON_GetObjectItem(e, "slice")->valuestring, "overall");
    cr_assert_null(cJSON_GetObjectItem(e, "confidence_interval"), "no interval without bounds");
    cJSON_Delete(m);
    carta_free(out);
    carta_error_clear(&err);
    out = NULL;
    cr_assert_eq(carta_mct_json("[1, 2", &out, &err), CARTA_EDATA);
    cr_assert_null(out);
}

/* ---- notebook ----------------------------------------------------------------------------- */

Test(notebook, structure_and_determinism)
{
    if (access("models/crs_severe/card.json", R_OK)) cr_skip_test("models/crs_severe absent");
    char *card = read_file_text("models/crs_severe/card.json"), *md = read_file_text("models/crs_severe/card.md");
    char *a = NULL, *b = NULL;
    carta_error err = { 0 };
    cr_assert_eq(carta_notebook_json(card, md, "../models/crs_\"severe", &a, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(carta_notebook_json(card, md, "../models/crs_\"severe", &b, &err), CARTA_OK, "%s", err.msg);
    cr_assert_str_eq(a, b, "not deterministic");
    cJSON *nb = cJSON_Parse(a);
    cr_assert(nb);
    cr_assert_eq(cJSON_GetObjectItem(nb, "nbformat")->valueint, 4);
    const cJSON *cells = cJSON_GetObjectItem(nb, "cells"), *c;
    size_t n_md = 0, n_code = 0;
    int saw_path = 0, saw_intended = 0;
    cJSON_ArrayForEach(c, cells) {
        const char *type = cJSON_GetObjectItem(c, "cell_type")->valuestring;
        const cJSON *src = cJSON_GetObjectItem(c, "source"), *l;
        cr_assert(cJSON_IsArray(src));
        cJSON_ArrayForEach(l, src) {
            if (strstr(l->valuestring, "RUN = Path(\"../models/crs_\\\"severe\")")) saw_path = 1;
            if (!strcmp(l->valuestring, "## Intended use\n")) saw_intended = 1;
        }
        if (!strcmp(type, "markdown")) n_md++;
        else {
            cr_assert_str_eq(type, "code");
            cr_assert(cJSON_IsNull(cJSON_GetObjectItem(c, "execution_count")));
            cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(c, "outputs")), 0);
            n_code++;
        }
    }
    cr_assert(saw_path, "the run folder path is not a quoted Python string");
    cr_assert(saw_intended, "card sections are not Markdown cells");
    cr_assert_geq(n_md, 8);
    cr_assert_eq(n_code, 6);
    cJSON_Delete(nb);
    carta_free(a);
    carta_free(b);
    carta_free(md);
    carta_free(card);
}

Test(notebook, command_writes_relative_path)
{
    if (access("models/crs_severe/card.json", R_OK)) cr_skip_test("models/crs_severe absent");
    char dir[] = "/tmp/carta-nb-XXXXXX", out[128], cwd[512];
    cr_assert(mkdtemp(dir));
    cr_assert(getcwd(cwd, sizeof cwd));
    snprintf(out, sizeof out, "%s/deep/er/nb.ipynb", dir);
    carta_error err = { 0 };
    cr_assert_eq(carta_notebook_command("models/crs_severe", out, 0, &err), CARTA_OK, "%s", err.msg);
    char *nb = read_file_text(out);
    /* The relative path written must lead from the notebook's folder to the run folder. */
    char *p = strstr(nb, "RUN = Path(\\\"");
    cr_assert(p);
    p += strlen("RUN = Path(\\\"");
    char rel[400];
    size_t n = strcspn(p, "\\");
    memcpy(rel, p, n);
    rel[n] = 0;
    char joined[1200], a[4096], b[4096];
    snprintf(joined, sizeof joined, "%s/deep/er/%s", dir, rel);
    cr_assert(realpath(joined, a), "%s does not exist", joined);
    char run[600];
    snprintf(run, sizeof run, "%s/models/crs_severe", cwd);
    cr_assert(realpath(run, b));
    cr_assert_str_eq(a, b);
    carta_error_clear(&err);
    cr_assert_eq(carta_notebook_command("models/crs_severe", out, 0, &err), CARTA_EIO, "must refuse to overwrite");
    carta_error_clear(&err);
    cr_assert_eq(carta_notebook_command("models/crs_severe", out, 1, &err), CARTA_OK, "%s", err.msg);
    carta_free(nb);
    carta_remove_tree(dir);
}

/* ---- fault injection: every allocation failure is CARTA_ENOMEM (or a clean error), no leak ---- */

Test(predict, allocation_failures)
{
    carta_error err = { 0 };
    char rp[600], dp[600];
    snprintf(rp, sizeof rp, "%s/run_surv", work);
    snprintf(dp, sizeof dp, "%s/synth/adsl.csv", work);
    int ok = 0;
    for (long k = 1; k < 20000 && !ok; k += k < 200 ? 1 : 37) {
        FILE *fp = tmpfile();
        carta_error_clear(&err);
        carta_alloc_fail_at(k);
        int rc = carta_predict_write(rp, dp, "cox", NULL, 0, fp, &err);
        carta_alloc_fail_at(0);
        fclose(fp);
        if (rc == CARTA_OK) ok = 1;
        else cr_assert(rc == CARTA_ENOMEM || rc == CARTA_EDEP || rc == CARTA_EIO || rc == CARTA_EDATA,
                       "allocation %ld: %d %s", k, rc, err.msg);
    }
    cr_assert(ok, "never succeeded");
}

Test(mct, allocation_failures)
{
    if (access("models/crs_severe/card.json", R_OK)) cr_skip_test("models/crs_severe absent");
    char *card = read_file_text("models/crs_severe/card.json"), *md = read_file_text("models/crs_severe/card.md");
    int ok_mct = 0, ok_nb = 0;
    for (long k = 1; k < 5000 && !(ok_mct && ok_nb); k++) {
        carta_error err = { 0 };
        char *out = NULL;
        carta_alloc_fail_at(k);
        int rc = ok_mct ? CARTA_OK : carta_mct_json(card, &out, &err);
        carta_alloc_fail_at(0);
        if (!ok_mct) {
            cr_assert(rc == CARTA_OK || rc == CARTA_ENOMEM, "mct %ld: %d", k, rc);
            ok_mct = rc == CARTA_OK;
            carta_free(out);
        }
        out = NULL;
        carta_error_clear(&err);
        carta_alloc_fail_at(k);
        rc = ok_nb ? CARTA_OK : carta_notebook_json(card, md, "../run", &out, &err);
        carta_alloc_fail_at(0);
        if (!ok_nb) {
            cr_assert(rc == CARTA_OK || rc == CARTA_ENOMEM, "notebook %ld: %d", k, rc);
            ok_nb = rc == CARTA_OK;
            carta_free(out);
        }
    }
    cr_assert(ok_mct && ok_nb);
    carta_free(md);
    carta_free(card);
}

/* Explicit S(t) times: before the first event S = 1; the columns are named by the times. */
Test(predict, explicit_times)
{
    carta_error err = { 0 };
    char rp[600], dp[600], op[700];
    snprintf(rp, sizeof rp, "%s/run_surv", work);
    snprintf(dp, sizeof dp, "%s/synth/adsl.csv", work);
    snprintf(op, sizeof op, "%s/times.csv", work);
    const double times[] = { 0, 365.25 };
    cr_assert_eq(carta_predict_command(rp, dp, "cox", times, 2, op, 0, NULL, &err), CARTA_OK, "%s", err.msg);
    char *out = read_file_text(op);
    cr_assert(!strncmp(out, "STUDYID,USUBJID,row,prediction,lp,surv_0,surv_365.25,note\n", 57), "%.80s", out);
    char b[64];
    cr_assert_str_eq(csv_field(strchr(out, '\n') + 1, 5, b, sizeof b), "1");
    carta_free(out);
    const double bad[] = { -1 };
    carta_error_clear(&err);
    cr_assert_eq(carta_predict_command(rp, dp, "cox", bad, 1, op, 1, NULL, &err), CARTA_EUSAGE);
}
