/* The per-term proportional-hazards test (R's cox.zph(terms = TRUE)) through a run: the run gives
 * the Cox library the term of each design column (src/run/models.c), the card writes one row per
 * term (result.zph.by_term, src/report/card.c), card.md and card.html show the term table.
 *
 * The data are a small synthetic table written by the test (a 3-level factor ARM, numeric AGE, a
 * 2-level SEX, an ARM:AGE interaction, a stratum column GRP). Every number the card holds is
 * compared with the library fitted directly on a matrix the test builds itself (treatment
 * dummies in R's model.matrix order), with term_of written out by hand as R's `assign`
 * (ARM = 0, AGE = 1, SEX = 2, ARM:AGE = 3). The library's per-term test itself is validated
 * against R in tests/unit/test_cox_ref.c. Identities: a one-column term's row equals its
 * per-column row (cox.zph gives the same test either way); the factor's df is 2. */
#include <carta/alloc.h>
#include <carta/cox.h>
#include <carta/error.h>
#include <carta/report.h>
#include <carta/run.h>
#include "check.h"
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N 180
#define P 6

static char work[256];
static double t_[N], age_[N];
static int st_[N], arm_[N], sex_[N], grp_[N];

/* A fixed linear congruential sequence in (0, 1): the data must not depend on a library's RNG. */
static double lcg(unsigned long *s)
{
    *s = (*s * 6364136223846793005UL + 1442695040888963407UL);
    return ((double)(*s >> 11) + 0.5) / 9007199254740992.0;
}

static void make_data(void)
{
    unsigned long s = 20261129;
    for (int i = 0; i < N; i++) {
        arm_[i] = i % 3;
        sex_[i] = (i / 3) % 2;
        grp_[i] = (i / 6) % 2;
        age_[i] = 40 + (double)((i * 7) % 31);
        /* hazard rises with arm, and arm C's effect fades with time (non-proportional) */
        double lp = 0.4 * (arm_[i] == 1) + 0.9 * (arm_[i] == 2) + 0.02 * (age_[i] - 55) + 0.3 * sex_[i];
        double u = lcg(&s), e = -log(u) / exp(lp);
        if (arm_[i] == 2 && e > 0.5) e = 0.5 + (e - 0.5) * 3;
        t_[i] = round(e * 1000) / 1000 + 0.001;
        st_[i] = lcg(&s) < 0.8;
    }
}

static const char *cfg_text =
    "{\"name\": \"zph\", \"seed\": 1,\n"
    " \"data\": {\"tables\": {\"t\": {\"path\": \"t.csv\"}}},\n"
    " \"outcome\": {\"type\": \"survival\", \"time\": \"TIME\", \"event\": \"STATUS == 1\"},\n"
    " \"features\": [{\"name\": \"ARM\", \"type\": \"categorical\"}, {\"name\": \"AGE\"},\n"
    "              {\"name\": \"SEX\", \"type\": \"categorical\", \"reference\": \"F\"}],\n"
    " \"interactions\": [[\"ARM\", \"AGE\"]],\n"
    " \"models\": [{\"name\": \"cox\", \"type\": \"cox\"},\n"
    "            {\"name\": \"cox_strat\", \"type\": \"cox\", \"strata\": [\"GRP\"]},\n"
    "            {\"name\": \"cox_exact\", \"type\": \"cox\", \"ties\": \"exact\"}],\n"
    " \"output\": \"out\"}\n";

static char *card_text;

static void setup(void)
{
    make_data();
    snprintf(work, sizeof work, "/tmp/carta-zphwire-XXXXXX");
    cr_assert(mkdtemp(work), "mkdtemp");
    char path[512];
    snprintf(path, sizeof path, "%s/t.csv", work);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fprintf(f, "ID,TIME,STATUS,ARM,AGE,SEX,GRP\n");
    for (int i = 0; i < N; i++)
        fprintf(f, "S%d,%.17g,%d,%c,%.17g,%c,%s\n", i + 1, t_[i], st_[i], "ABC"[arm_[i]], age_[i], "FM"[sex_[i]],
                grp_[i] ? "g2" : "g1");
    fclose(f);
    carta_run_opts o = { .quiet = 1, .threads = 1 };
    carta_error err;
    carta_error_clear(&err);
    card_text = NULL;
    cr_assert_eq(carta_run_card(cfg_text, strlen(cfg_text), "zph.json", work, &o, "0", &card_text, &err), CARTA_OK,
                 "%s", err.msg);
}

static void teardown(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/t.csv", work);
    remove(path);
    rmdir(work);
    carta_free(card_text);
    card_text = NULL;
}

/* The library fitted on the test's own matrix: ARMB, ARMC, AGE, SEXM, ARMB:AGE, ARMC:AGE. */
static carta_cox_result *library_fit(int strata, int ties)
{
    static double x[N * P];
    static const char *const names[P] = { "ARMB", "ARMC", "AGE", "SEXM", "ARMB:AGE", "ARMC:AGE" };
    static const size_t term_of[P] = { 0, 0, 1, 2, 3, 3 };
    static const char *const slabels[2] = { "GRP=g1", "GRP=g2" };
    for (int i = 0; i < N; i++) {
        x[i] = arm_[i] == 1;
        x[i + N] = arm_[i] == 2;
        x[i + 2 * N] = age_[i];
        x[i + 3 * N] = sex_[i];
        x[i + 4 * N] = (arm_[i] == 1) * age_[i];
        x[i + 5 * N] = (arm_[i] == 2) * age_[i];
    }
    carta_matrix m = { N, P, x, names };
    carta_surv_data d;
    memset(&d, 0, sizeof d);
    d.n = N;
    d.time = t_;
    d.status = st_;
    if (strata) {
        d.strata = grp_;
        d.n_strata = 2;
        d.strata_labels = slabels;
    }
    carta_cox_spec s;
    carta_cox_spec_default(&s);
    s.ties = ties;
    s.term_of = term_of;
    s.n_terms = 4;
    carta_cox_result *r = NULL;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_cox_fit(&s, &d, &m, &r, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(r->n_zph_by_term, 4);
    return r;
}

static const cJSON *model(const cJSON *card, const char *name)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(card, "models")) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(m, "name");
        if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0) return m;
    }
    cr_assert_fail("model %s not in the card", name);
    return NULL;
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    cr_assert(cJSON_IsNumber(v), "%s is not a number", k);
    return v->valuedouble;
}

/* Same computation on the same numbers: equal to rounding of the printed shortest double. */
static void close_to(double got, double want, const char *what)
{
    cr_assert(fabs(got - want) <= 1e-12 * fmax(1, fabs(want)), "%s: card %.17g, library %.17g", what, got, want);
}

static void check_model(const cJSON *card, const char *name, int strata, int ties)
{
    const cJSON *zph = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(model(card, name), "result"), "zph");
    cr_assert(cJSON_IsObject(zph), "%s: no zph", name);
    const cJSON *bt = cJSON_GetObjectItemCaseSensitive(zph, "by_term");
    const cJSON *cols = cJSON_GetObjectItemCaseSensitive(zph, "terms");
    cr_assert_eq(cJSON_GetArraySize(bt), 4, "%s: %d term rows", name, cJSON_GetArraySize(bt));
    cr_assert_eq(cJSON_GetArraySize(cols), P, "%s: the per-column table keeps one row per column", name);
    static const char *const labels[4] = { "ARM", "AGE", "SEX", "ARM:AGE" };
    static const int ncols[4] = { 2, 1, 1, 2 };
    carta_cox_result *r = library_fit(strata, ties);
    for (int t = 0; t < 4; t++) {
        const cJSON *row = cJSON_GetArrayItem(bt, t);
        const cJSON *term = cJSON_GetObjectItemCaseSensitive(row, "term");
        cr_assert(cJSON_IsString(term) && strcmp(term->valuestring, labels[t]) == 0, "%s: term %d is %s", name, t,
                  cJSON_IsString(term) ? term->valuestring : "not a string");
        cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(row, "columns")), ncols[t]);
        cr_assert_eq(num(row, "df"), (double)ncols[t], "%s: df of %s", name, labels[t]);
        close_to(num(row, "chisq"), r->zph_by_term[t].stat, labels[t]);
        close_to(num(row, "p"), r->zph_by_term[t].p, labels[t]);
        cr_assert(r->zph_by_term[t].stat > 0);
    }
    /* the factor's columns are named in model.matrix order */
    const cJSON *c0 = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(bt, 0), "columns");
    cr_assert_str_eq(cJSON_GetArrayItem(c0, 0)->valuestring, "ARMB");
    cr_assert_str_eq(cJSON_GetArrayItem(c0, 1)->valuestring, "ARMC");
    /* one-column terms: the per-term row is the per-column row (AGE is column 2, SEXM column 3) */
    close_to(num(cJSON_GetArrayItem(bt, 1), "chisq"), num(cJSON_GetArrayItem(cols, 2), "chisq"), "AGE per term/column");
    close_to(num(cJSON_GetArrayItem(bt, 2), "chisq"), num(cJSON_GetArrayItem(cols, 3), "chisq"), "SEX per term/column");
    /* a two-column term is not a per-column row */
    cr_assert(fabs(num(cJSON_GetArrayItem(bt, 0), "chisq") - num(cJSON_GetArrayItem(cols, 0), "chisq")) > 1e-9);
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(zph, "global");
    close_to(num(g, "chisq"), r->zph_global.stat, "global");
    cr_assert_eq(num(g, "df"), (double)P);
    carta_cox_result_free(r);
}

TestSuite(zphwire, .init = setup, .fini = teardown, .timeout = 120);

Test(zphwire, card_has_one_row_per_term_as_the_library)
{
    cJSON *card = cJSON_Parse(card_text);
    cr_assert(card);
    check_model(card, "cox", 0, CARTA_COX_TIES_EFRON);
    check_model(card, "cox_strat", 1, CARTA_COX_TIES_EFRON);
    /* exact ties: cox.zph in the Breslow form at the exact coefficients, as R's */
    check_model(card, "cox_exact", 0, CARTA_COX_TIES_EXACT);
    cJSON_Delete(card);
}

Test(zphwire, markdown_shows_the_term_table_then_the_columns)
{
    char *md = NULL;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_card_markdown(card_text, &md, &err), CARTA_OK, "%s", err.msg);
    const char *sec = strstr(md, "### cox (cox)");
    cr_assert(sec);
    const char *ph = strstr(sec, "Proportional hazards");
    cr_assert(ph, "no PH section");
    const char *arm = strstr(ph, "| ARM | "), *inter = strstr(ph, "| ARM:AGE | "), *global = strstr(ph, "| GLOBAL | ");
    const char *percol = strstr(ph, "Per column"), *armb = strstr(ph, "| ARMB | ");
    cr_assert(arm && inter && global && percol && armb, "%.1500s", ph);
    cr_assert(arm < inter && inter < global && global < percol && percol < armb, "term table first, then columns");
    /* the factor row says df 2 */
    cr_assert(strncmp(strstr(arm, " | 2 | ") ? strstr(arm, " | 2 | ") : "", " | 2 | ", 7) == 0 &&
              strstr(arm, " | 2 | ") < strchr(arm, '\n'), "%.200s", arm);
    /* the exact-ties model has its PH section too (R's cox.zph gives one) */
    const char *ex = strstr(md, "### cox_exact (cox)");
    cr_assert(ex);
    const char *next = strstr(ex + 1, "\n### ");
    const char *exph = strstr(ex, "Proportional hazards");
    cr_assert(exph && (!next || exph < next), "cox_exact has no PH table");
    carta_free(md);
}

Test(zphwire, html_shows_the_term_table)
{
    char *html = NULL;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_card_html(card_text, &html, &err), CARTA_OK, "%s", err.msg);
    const char *t = strstr(html, "<table class=\"zph\">");
    cr_assert(t, "no zph table");
    const char *end = strstr(t, "</table>");
    const char *arm = strstr(t, "<tr><td>ARM</td>"), *g = strstr(t, "<tr><td>GLOBAL</td>");
    cr_assert(arm && g && arm < g && g < end);
    cr_assert(strstr(t, "<th>term</th>") && strstr(t, "<th>term</th>") < end);
    /* the factor row: df 2 */
    cr_assert(strstr(arm, "<td class=\"n\">2</td>") && strstr(arm, "<td class=\"n\">2</td>") < strstr(arm, "</tr>"));
    /* the per-column rows follow, folded (the factor and the interaction have two columns) */
    const char *det = strstr(end, "<details><summary>Per column"), *armb = strstr(t, "<td>ARMB</td>");
    cr_assert(det && armb && armb > det, "per-column rows after the term table");
    carta_free(html);
}

/* A Cox result without per-term tests (no term_of) still renders: per-column rows. */
Test(zphwire, card_without_term_rows_renders_columns)
{
    static const char *card =
        "{\"schema\": \"carta-model-card/1.0\", \"models\": [{\"name\": \"c\", \"type\": \"cox\", \"spec\": {},"
        " \"result\": {\"n\": 10, \"events\": 5, \"coefficients\": [], \"tests\": {}, \"concordance\": {},"
        " \"zph\": {\"transform\": \"km\", \"terms\": [{\"term\": \"x<1\", \"chisq\": 1.5, \"df\": 1, \"p\": 0.22}],"
        " \"by_term\": [], \"global\": {\"chisq\": 1.5, \"df\": 1, \"p\": 0.22}}},"
        " \"validation\": {\"scheme\": \"none\", \"metrics\": [], \"curves\": null}}]}";
    char *html = NULL, *md = NULL;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_card_html(card, &html, &err), CARTA_OK, "%s", err.msg);
    cr_assert(strstr(html, "<th>column</th>") && strstr(html, "<tr><td>x&lt;1</td>"), "escaped column row");
    cr_assert_eq(carta_card_markdown(card, &md, &err), CARTA_OK, "%s", err.msg);
    cr_assert(strstr(md, "| x<1 | 1.5 | 1 | 0.22 |") && !strstr(md, "Per column"), "%s", md);
    carta_free(html);
    carta_free(md);
}

/* The card writer alone, from the library's result and hand-written predictors: names from the
   predictors; without them the terms cannot be named (null, never a wrong name); under fault
   injection every allocation failure is CARTA_ENOMEM and nothing leaks (the sanitizer build). */
static char *card_of(const carta_cox_result *r, const carta_card_predictor *preds, size_t np, int *rc_out)
{
    carta_card_model m = { .name = "cox", .type = "cox", .spec_json = "{}", .cox = r, .validation_scheme = "none" };
    carta_card_input in;
    memset(&in, 0, sizeof in);
    in.name = "zph card";
    in.small_count_threshold = 5;
    in.predictors = preds;
    in.n_predictors = np;
    in.models = &m;
    in.n_models = 1;
    char *out = NULL;
    size_t len = 0;
    carta_error err;
    carta_error_clear(&err);
    *rc_out = carta_card_json(&in, &out, &len, &err);
    return out;
}

static const cJSON *by_term(const cJSON *card)
{
    const cJSON *m = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(card, "models"), 0);
    return cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "result"), "zph"), "by_term");
}

Test(zphwire, card_writer_names_terms_from_the_predictors)
{
    carta_cox_result *r = library_fit(0, CARTA_COX_TIES_EFRON);
    static const carta_card_predictor preds[3] = {
        { .name = "ARM", .type = "categorical", .transform = "none", .terms = "ARMB, ARMC" },
        { .name = "AGE", .type = "numeric", .transform = "none", .terms = "AGE" },
        { .name = "SEX", .type = "categorical", .transform = "none", .terms = "SEXM" },
    };
    int rc;
    char *text = card_of(r, preds, 3, &rc);
    cr_assert_eq(rc, CARTA_OK);
    cJSON *card = cJSON_Parse(text);
    const cJSON *bt = by_term(card);
    cr_assert_eq(cJSON_GetArraySize(bt), 4);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(bt, 3), "term")->valuestring, "ARM:AGE");
    close_to(num(cJSON_GetArrayItem(bt, 3), "chisq"), r->zph_by_term[3].stat, "ARM:AGE");
    cJSON_Delete(card);
    carta_free(text);

    /* no predictors: ARMB and ARMC would be two terms, which is not the result's grouping */
    text = card_of(r, NULL, 0, &rc);
    cr_assert_eq(rc, CARTA_OK);
    card = cJSON_Parse(text);
    bt = by_term(card);
    cr_assert_eq(cJSON_GetArraySize(bt), 4, "the tests are still written");
    for (int t = 0; t < 4; t++) {
        cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(bt, t), "term")));
        cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(bt, t), "columns")));
        close_to(num(cJSON_GetArrayItem(bt, t), "chisq"), r->zph_by_term[t].stat, "unnamed term");
    }
    cJSON_Delete(card);
    carta_free(text);

    /* allocation failures */
    int ok = 0;
    for (long k = 1; k < 100000 && !ok; k++) {
        carta_alloc_fail_at(k);
        text = card_of(r, preds, 3, &rc);
        carta_alloc_fail_at(0);
        cr_assert(rc == CARTA_OK || rc == CARTA_ENOMEM, "k = %ld: rc %d", k, rc);
        cr_assert((rc == CARTA_OK) == (text != NULL));
        ok = rc == CARTA_OK;
        carta_free(text);
    }
    cr_assert(ok);
    carta_cox_result_free(r);
}
