/* Unit tests of the card's standalone plots (carta_card_plots: the SVG files of the run
 * folder), of the validation plots added to card.html (decision curve, lowess calibration,
 * survival calibration at a horizon, the random-effects pooled diamond), of the per-study table
 * (carta_card_studies_json: counts, quartiles and small-count suppression worked by hand) and
 * of its rendering in card.md and card.html. The cards are hand-made; pixel positions are
 * worked out below from the plot geometry in card_html.c. */
#include <carta/alloc.h>
#include <carta/error.h>
#include <carta/export.h>
#include <carta/report.h>
#include <carta/table.h>

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = strstr(s, what); p; p = strstr(p + 1, what)) n++;
    return n;
}

/* A binary model "m" validated leave-one-study-out, with every curve the metrics stage writes. */
static const char card[] =
    "{\"schema\": \"carta-model-card/1.0\", \"card_sha256\": \"abc\", \"model_details\": {\"name\": \"demo\"},"
    " \"models\": [{\"name\": \"m 1\", \"type\": \"logistic\", \"result\": null, \"validation\": {\"scheme\": \"leave_one_study_out\","
    "  \"metrics\": ["
    "   {\"name\": \"auc\", \"slice\": \"overall\", \"value\": 0.7, \"lower\": 0.6, \"upper\": 0.8, \"ci_method\": \"delong\", \"n\": 100, \"events\": 20},"
    "   {\"name\": \"auc\", \"slice\": \"STUDYID=A\", \"value\": 0.65, \"lower\": 0.5, \"upper\": 0.8},"
    "   {\"name\": \"auc\", \"slice\": \"STUDYID=B\", \"value\": 0.75, \"lower\": 0.6, \"upper\": 0.9},"
    "   {\"name\": \"auc\", \"slice\": \"pooled\", \"value\": 0.71, \"lower\": 0.62, \"upper\": 0.79, \"ci_method\": \"DerSimonian-Laird\"}],"
    "  \"curves\": {"
    "   \"roc\": {\"fpr\": [0, 0.5, 1], \"tpr\": [0, 0.8, 1]},"
    "   \"calibration\": {\"predicted\": [0.1, 0.2, 0.3], \"observed\": [0.12, 0.18, 0.35], \"n\": [30, 30, 40],"
    "                     \"smoothed\": {\"predicted\": [0.05, 0.15, 0.25, 0.4], \"observed\": [0.06, 0.14, 0.27, 0.38]}},"
    "   \"decision_curve\": {\"threshold\": [0.1, 0.2, 0.3, 0.4, 0.5], \"model\": [0.2, 0.15, 0.1, 0.05, 0],"
    "                        \"treat_all\": [0.18, 0.1, -0.04, -0.3, -0.8]},"
    "   \"calibration_horizon\": {\"horizon\": 365, \"predicted\": [0.1, 0.3, 0.5], \"observed\": [0.12, 0.28, 0.55],"
    "                             \"lower\": [0.05, 0.2, 0.45], \"upper\": [0.2, 0.36, 0.7], \"n\": [40, 40, 40]}}}}],"
    " \"data\": {\"studies\": [{\"studyid\": \"A\", \"product\": \"axi-cel\", \"crs_scale_reported\": \"LEE2014\", \"n\": 6, \"events\": \"<5\","
    "   \"table1\": [{\"variable\": \"AGE\", \"type\": \"numeric\", \"n\": 6, \"missing\": 0, \"median\": 65, \"q1\": 52.5, \"q3\": 77.5},"
    "              {\"variable\": \"SEX\", \"type\": \"categorical\", \"missing\": 0, \"levels\": [{\"level\": \"F\", \"n\": \"<5\", \"percent\": null},"
    "                                                                             {\"level\": \"M\", \"n\": 6, \"percent\": 100}]}]}]}}";

static carta_card_plot *plots_of(const char *text, size_t *n)
{
    carta_card_plot *p = NULL;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_card_plots(text, &p, n, &err), CARTA_OK, "%s", err.msg);
    return p;
}

static char *html_of(const char *text)
{
    char *h = NULL;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_card_html(text, &h, &err), CARTA_OK, "%s", err.msg);
    return h;
}

/* The plot whose <svg> holds the marker, up to its </svg>, as a new string. */
static char *plot_of(const char *html, const char *marker)
{
    const char *b = strstr(html, marker);
    cr_assert_not_null(b, "no plot with %s", marker);
    const char *e = strstr(b, "</svg>");
    cr_assert_not_null(e);
    char *s = malloc((size_t)(e - b) + 1);
    cr_assert_not_null(s);
    memcpy(s, b, (size_t)(e - b));
    s[e - b] = '\0';
    return s;
}

Test(card_plots, one_standalone_document_per_inline_plot)
{
    size_t n = 0;
    carta_card_plot *p = plots_of(card, &n);
    char *html = html_of(card);
    /* Page order; the model name "m 1" becomes "m_1" in file names. */
    static const char *const want[] = { "m_1_roc.svg", "m_1_calibration.svg", "m_1_calibration_horizon.svg",
                                        "m_1_decision_curve.svg", "m_1_slices_auc.svg" };
    cr_assert_eq(n, 5, "%zu plots", n);
    cr_assert_eq(count(html, "<svg"), n);
    static const char head[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\"";
    for (size_t i = 0; i < n; i++) {
        cr_assert_str_eq(p[i].name, want[i]);
        cr_assert_str_eq(p[i].model, "m 1");
        cr_assert_gt(strlen(p[i].caption), 20);
        cr_assert_eq(strncmp(p[i].svg, head, sizeof head - 1), 0, "%s starts %.80s", p[i].name, p[i].svg);
        cr_assert_eq(count(p[i].svg, "<svg"), 1);
        cr_assert_eq(count(p[i].svg, "</svg>"), 1);
        /* The same element as inlined in card.html, apart from the namespace. */
        const char *body = p[i].svg + strlen("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"");
        char *inline_svg = malloc(strlen(body) + 8);
        cr_assert_not_null(inline_svg);
        snprintf(inline_svg, strlen(body) + 8, "<svg%s", body);
        cr_assert_not_null(strstr(html, inline_svg), "%s differs from the inline plot", p[i].name);
        free(inline_svg);
    }
    /* The page itself still has no URL (the namespace is only in the files). */
    cr_assert_null(strstr(html, "http://"));
    carta_card_plots_free(p, n);
    carta_free(html);
}

Test(card_plots, decision_curve_by_hand)
{
    char *html = html_of(card);
    char *dc = plot_of(html, "<title>Decision curve</title>");
    /* Plot area 480 x 360 with margins 70/120/16/54: x in [70, 360], y in [16, 306]. Thresholds
       to 0.5 (x axis 0..0.5); highest net benefit 0.2 (not above 0.2: hundredths), so y runs
       from -ceil(0.2/4/0.01)*0.01 = -0.05 to 0.2, 290 px for 0.25. Model at (0.1, 0.2) is
       x = 70 + 0.1/0.5*290 = 128, y = 306 - 0.25/0.25*290 = 16. */
    cr_assert_not_null(strstr(dc, "<polyline points=\"128.00,16.00 186.00,74.00 244.00,132.00 302.00,190.00 360.00,248.00\""),
                       "model line: %s", dc);
    /* Treat all keeps 0.18, 0.1, -0.04 and leaves out -0.3 and -0.8 (below the axis):
       y = 306 - 0.23/0.25*290 = 39.2, 306 - 0.15/0.25*290 = 132, 306 - 0.01/0.25*290 = 294.4. */
    cr_assert_not_null(strstr(dc, "<polyline points=\"128.00,39.20 186.00,132.00 244.00,294.40\""), "treat-all line: %s", dc);
    /* Treat none: net benefit 0 at y = 306 - 0.05/0.25*290 = 248, dashed, across the plot. */
    cr_assert_not_null(strstr(dc, "<line x1=\"70.00\" y1=\"248.00\" x2=\"360.00\" y2=\"248.00\" stroke=\"#009E73\" stroke-width=\"1.2\" stroke-dasharray"));
    cr_assert_not_null(strstr(dc, ">treat none</text>"));
    cr_assert_not_null(strstr(dc, ">treat all</text>"));
    free(dc);
    carta_free(html);
}

Test(card_plots, calibration_with_lowess_and_at_the_horizon)
{
    char *html = html_of(card);
    char *cal = plot_of(html, "<title>Calibration plot</title>");
    /* Highest value 0.4 (the smoother's): axes to 0.4 (tenths). Area 380 x 360 with margins
       70/20/16/54: [70, 360] x [16, 306]; 290 px for 0.4. Smoother: (0.05, 0.06) ->
       70 + 36.25 = 106.25, 306 - 43.5 = 262.5. */
    cr_assert_eq(count(cal, "<polyline"), 2);
    cr_assert_not_null(strstr(cal, "<polyline points=\"106.25,262.50 "), "%s", cal);
    cr_assert_not_null(strstr(cal, ">lowess</text>"));
    free(cal);
    char *hz = plot_of(html, "<title>Calibration at the horizon</title>");
    /* Highest upper limit 0.7: axes to 0.7. One error bar per group, from lower to upper:
       group 1 at x = 70 + 0.1/0.7*290 = 111.43, y from 306 - 0.05/0.7*290 = 285.29 to
       306 - 0.2/0.7*290 = 223.14. */
    cr_assert_not_null(strstr(hz, "<line x1=\"111.43\" y1=\"285.29\" x2=\"111.43\" y2=\"223.14\" stroke=\"#0072B2\""), "%s", hz);
    cr_assert_eq(count(hz, "<circle"), 3);
    free(hz);
    cr_assert_not_null(strstr(html, "at t = 365: Kaplan-Meier observed risk with its confidence limits"));
    carta_free(html);
}

Test(card_plots, pooled_estimate_is_a_second_diamond)
{
    char *html = html_of(card);
    char *f = plot_of(html, "<title>Performance per slice</title>");
    /* Two study rows, then overall and pooled as diamonds; "pooled" is never a study row. */
    cr_assert_eq(count(f, "<polygon"), 2);
    cr_assert_eq(count(f, "<rect"), 2);
    cr_assert_not_null(strstr(f, ">pooled (random effects)</text>"));
    cr_assert_not_null(strstr(f, ">0.71 (0.62 to 0.79)</text>"));
    cr_assert_null(strstr(f, ">pooled</text>"));
    free(f);
    cr_assert_not_null(strstr(html, "random-effects pooled estimate over the studies (DerSimonian-Laird)"));
    /* The overall table lists the pooled row too. */
    cr_assert_not_null(strstr(html, "<td>auc</td><td>pooled</td>"));
    carta_free(html);
    /* Without a pooled metric only the overall diamond is drawn. */
    char *plain = malloc(sizeof card);
    cr_assert_not_null(plain);
    memcpy(plain, card, sizeof card);
    char *pl = strstr(plain, "\"slice\": \"pooled\"");
    cr_assert_not_null(pl);
    memcpy(pl, "\"slice\": \"pooleX\"", 17);
    html = html_of(plain);
    f = plot_of(html, "<title>Performance per slice</title>");
    /* An unknown slice is a row like any other. */
    cr_assert_eq(count(f, "<polygon"), 1);
    cr_assert_eq(count(f, "<rect"), 3);
    free(f);
    carta_free(html);
    free(plain);
}

Test(card_plots, markdown_lists_the_plot_files_and_the_studies)
{
    char *md = NULL;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_card_markdown(card, &md, &err), CARTA_OK, "%s", err.msg);
    cr_assert_not_null(strstr(md, "- `plots/m_1_decision_curve.svg`: Decision curve of m 1: net benefit"));
    cr_assert_not_null(strstr(md, "- `plots/m_1_calibration.svg`: Calibration of m 1"));
    cr_assert_not_null(strstr(md, "lowess smoother"));
    cr_assert_eq(count(md, "`plots/"), 5);
    cr_assert_not_null(strstr(md, "| study | product | CRS scale reported | n | events | AGE, median [IQR] | SEX, n (%) |"));
    cr_assert_not_null(strstr(md, "| A | axi-cel | LEE2014 | 6 | <5 | 65 [52.5, 77.5] | F <5, M 6 (100%) |"), "%s", md);
    carta_free(md);
    char *html = html_of(card);
    cr_assert_not_null(strstr(html, "<td>65 [52.5, 77.5]</td><td>F &lt;5, M 6 (100%)</td>"));
    cr_assert_not_null(strstr(html, "<th>AGE, median [IQR]</th>"));
    cr_assert_not_null(strstr(html, "<tr><td>A</td><td>axi-cel</td><td>LEE2014</td><td class=\"n\">6</td><td class=\"n\">&lt;5</td>"));
    carta_free(html);
    /* Without registry facts (e.g. a single non-CAR-T trial) the product and scale columns go. */
    char *bare = malloc(sizeof card + 16);
    cr_assert_not_null(bare);
    memcpy(bare, card, sizeof card);
    char *p = strstr(bare, "\"axi-cel\"");
    memcpy(p, "null     ", 9);
    p = strstr(bare, "\"LEE2014\"");
    memcpy(p, "null     ", 9);
    carta_error_clear(&err);
    cr_assert_eq(carta_card_markdown(bare, &md, &err), CARTA_OK, "%s", err.msg);
    cr_assert_not_null(strstr(md, "\n| study | n | events | AGE, median [IQR] | SEX, n (%) |\n|---|---|---|---|---|\n| A | 6 | <5 |"), "%s", md);
    carta_free(md);
    html = html_of(bare);
    cr_assert_not_null(strstr(html, "<tr><td>A</td><td class=\"n\">6</td>"));
    cr_assert_null(strstr(html, "<th>product</th>"));
    carta_free(html);
    free(bare);
}

Test(card_plots, no_plots_and_not_a_card)
{
    size_t n = 7;
    carta_card_plot *p = plots_of("{\"schema\": \"carta-model-card/1.0\"}", &n);
    cr_assert_null(p);
    cr_assert_eq(n, 0);
    carta_card_plots_free(NULL, 0);
    carta_error err;
    carta_error_clear(&err);
    p = (carta_card_plot *)1;
    cr_assert_eq(carta_card_plots("[1]", &p, &n, &err), CARTA_EDATA);
    cr_assert_null(p);
    cr_assert_eq(n, 0);
}

Test(card_plots, out_of_memory_leaks_nothing)
{
    int failed = 0;
    for (long k = 1; k < 60; k++) {
        carta_card_plot *p = NULL;
        size_t n = 0;
        carta_error err;
        carta_error_clear(&err);
        carta_alloc_fail_at(k);
        int rc = carta_card_plots(card, &p, &n, &err);
        carta_alloc_fail_at(0);
        if (rc == CARTA_OK) {
            carta_card_plots_free(p, n);
            continue;
        }
        failed++;
        cr_assert_eq(rc, CARTA_ENOMEM, "k = %ld: %d", k, rc);
        cr_assert_null(p);
    }
    cr_assert_gt(failed, 0);
}

Test(card_plots, writes_the_files_into_a_plots_folder)
{
    char dir[] = "/tmp/carta_plots_XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    size_t n = 0;
    carta_card_plot *p = plots_of(card, &n);
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_card_plots_write(p, n, dir, &err), CARTA_OK, "%s", err.msg);
    for (size_t i = 0; i < n; i++) {
        char path[300];
        snprintf(path, sizeof path, "%s/plots/%s", dir, p[i].name);
        FILE *f = fopen(path, "rb");
        cr_assert_not_null(f, "%s", path);
        char buf[64] = "";
        cr_assert_gt(fread(buf, 1, sizeof buf - 1, f), 0);
        fclose(f);
        cr_assert_eq(strncmp(buf, "<?xml", 5), 0);
        remove(path);
    }
    char sub[300];
    snprintf(sub, sizeof sub, "%s/plots", dir);
    cr_assert_eq(rmdir(sub), 0);
    cr_assert_eq(rmdir(dir), 0);
    carta_card_plots_free(p, n);
}

/* ---- the per-study table -------------------------------------------------------------------- */

static carta_column *col(carta_table *t, const char *name, carta_type type)
{
    carta_column *c = NULL;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_table_add_column(t, name, type, &c, &err), CARTA_OK, "%s", err.msg);
    return c;
}

static void str_push(carta_column *c, const char *s)
{
    if (s) cr_assert_eq(carta_column_push_str(c, s, strlen(s)), CARTA_OK);
    else cr_assert_eq(carta_column_push_missing(c), CARTA_OK);
}

/* Study B (6 patients, listed first to check the byte order of studies), study A (3 patients);
   one row of A is not analysed. */
static carta_table *analysis_table(void)
{
    carta_table *t = carta_table_new("hand");
    cr_assert_not_null(t);
    carta_column *id = col(t, "STUDYID", CARTA_STR), *age = col(t, "AGE", CARTA_F64), *sex = col(t, "SEX", CARTA_STR);
    carta_column *prod = col(t, "PRODUCT", CARTA_STR), *ldh = col(t, "LDH", CARTA_F64);
    static const char *const ids[] = { "B", "B", "B", "B", "B", "B", "A", "A", "A", "A" };
    static const double ages[] = { 90, 40, 60, 80, 50, 70, 30, 31, 32, 99 };
    static const char *const sexes[] = { "F", "M", "M", "F", "M", "M", "F", NULL, "M", "F" };
    static const char *const prods[] = { "x", "x", "x", "x", "x", "x", "z", "y", "y", "w" };
    static const double ldh_v[] = { 1, 2, NAN, 4, 5, 6, 7, 8, 9, 10 };
    for (size_t i = 0; i < 10; i++) {
        str_push(id, ids[i]);
        cr_assert_eq(carta_column_push_f64(age, ages[i]), CARTA_OK);
        str_push(sex, sexes[i]);
        str_push(prod, prods[i]);
        cr_assert_eq(carta_column_push_f64(ldh, ldh_v[i]), CARTA_OK);
    }
    return t;
}

static cJSON *studies(const carta_card_studies_spec *sp)
{
    char *out = NULL;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_card_studies_json(sp, &out, &err), CARTA_OK, "%s", err.msg);
    cJSON *j = cJSON_Parse(out);
    cr_assert_not_null(j, "%s", out);
    carta_free(out);
    return j;
}

static const cJSON *var(const cJSON *study, const char *name)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, cJSON_GetObjectItem(study, "table1"))
        if (strcmp(cJSON_GetObjectItem(v, "variable")->valuestring, name) == 0) return v;
    return NULL;
}

Test(card_studies, counts_quartiles_and_suppression_by_hand)
{
    carta_table *t = analysis_table();
    /* Registry: study B's scale and product; A is not in it. */
    carta_table *reg = carta_table_new("registry");
    carta_column *rid = col(reg, "STUDYID", CARTA_STR), *rp = col(reg, "PRODUCT", CARTA_STR), *rs = col(reg, "CRSSCALE", CARTA_STR);
    str_push(rid, "B");
    str_push(rp, "x-cel");
    str_push(rs, "PENN");
    static const size_t rows[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8 };
    static const double ev[] = { 1, 0, 1, 0, 1, 1, 1, 0, 0 };
    static const char *const vars[] = { "LDH", "AGE", "PRODUCT", "NOPE" };
    carta_card_studies_spec sp = { t, rows, 9, ev, reg, vars, 4, 5 };
    cJSON *j = studies(&sp);
    cr_assert_eq(cJSON_GetArraySize(j), 2);
    const cJSON *a = cJSON_GetArrayItem(j, 0), *b = cJSON_GetArrayItem(j, 1);
    cr_assert_str_eq(cJSON_GetObjectItem(a, "studyid")->valuestring, "A");
    cr_assert_str_eq(cJSON_GetObjectItem(b, "studyid")->valuestring, "B");
    /* B: from the registry; A: the analysed rows' products in byte order ("w" is not analysed). */
    cr_assert_str_eq(cJSON_GetObjectItem(b, "product")->valuestring, "x-cel");
    cr_assert_str_eq(cJSON_GetObjectItem(b, "crs_scale_reported")->valuestring, "PENN");
    cr_assert_str_eq(cJSON_GetObjectItem(a, "product")->valuestring, "y, z");
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(a, "crs_scale_reported")));
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(a, "costim")));
    /* n and events: B 6 and 4 (suppressed below 5), A 3 and 1. */
    cr_assert_eq(cJSON_GetObjectItem(b, "n")->valuedouble, 6);
    cr_assert_str_eq(cJSON_GetObjectItem(b, "events")->valuestring, "<5");
    cr_assert_str_eq(cJSON_GetObjectItem(a, "n")->valuestring, "<5");
    cr_assert_str_eq(cJSON_GetObjectItem(a, "events")->valuestring, "<5");
    /* Variables: AGE, SEX first, then LDH (AGE not twice, PRODUCT and unknown columns left out). */
    const cJSON *tb = cJSON_GetObjectItem(b, "table1");
    cr_assert_eq(cJSON_GetArraySize(tb), 3);
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(tb, 0), "variable")->valuestring, "AGE");
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(tb, 1), "variable")->valuestring, "SEX");
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(tb, 2), "variable")->valuestring, "LDH");
    /* B's ages 40 50 60 70 80 90: median 65; type-7 quartiles at positions 1.25 and 3.75:
       52.5 and 77.5. */
    const cJSON *age = var(b, "AGE");
    cr_assert_eq(cJSON_GetObjectItem(age, "median")->valuedouble, 65);
    cr_assert_eq(cJSON_GetObjectItem(age, "q1")->valuedouble, 52.5);
    cr_assert_eq(cJSON_GetObjectItem(age, "q3")->valuedouble, 77.5);
    /* B's LDH: 5 values (1 2 4 5 6; one missing, suppressed): median 4, quartiles 2 and 5. */
    const cJSON *ldh = var(b, "LDH");
    cr_assert_eq(cJSON_GetObjectItem(ldh, "n")->valuedouble, 5);
    cr_assert_str_eq(cJSON_GetObjectItem(ldh, "missing")->valuestring, "<5");
    cr_assert_eq(cJSON_GetObjectItem(ldh, "median")->valuedouble, 4);
    cr_assert_eq(cJSON_GetObjectItem(ldh, "q1")->valuedouble, 2);
    cr_assert_eq(cJSON_GetObjectItem(ldh, "q3")->valuedouble, 5);
    /* B's sex: F 2 (suppressed, no percent), M 4 (suppressed). */
    const cJSON *lv = cJSON_GetObjectItem(var(b, "SEX"), "levels");
    cr_assert_eq(cJSON_GetArraySize(lv), 2);
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(lv, 0), "level")->valuestring, "F");
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(lv, 0), "n")->valuestring, "<5");
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(lv, 0), "percent")));
    /* A: 3 ages, fewer than 5: no median; one sex missing. */
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(var(a, "AGE"), "median")));
    cr_assert_str_eq(cJSON_GetObjectItem(var(a, "SEX"), "missing")->valuestring, "<5");
    cJSON_Delete(j);

    /* Without suppression (threshold 0) every count and percent is a number: B's F 2 of 6. */
    sp.threshold = 0;
    j = studies(&sp);
    b = cJSON_GetArrayItem(j, 1);
    lv = cJSON_GetObjectItem(var(b, "SEX"), "levels");
    cr_assert_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(lv, 0), "n")->valuedouble, 2);
    cr_assert_float_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(lv, 0), "percent")->valuedouble, 100.0 * 2 / 6, 1e-12);
    cr_assert_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "events")->valuedouble, 1);
    cr_assert_eq(cJSON_GetObjectItem(var(cJSON_GetArrayItem(j, 0), "AGE"), "median")->valuedouble, 31);
    cJSON_Delete(j);

    /* No events given: events null. No STUDYID column: an empty array. */
    sp.events = NULL;
    j = studies(&sp);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "events")));
    cJSON_Delete(j);
    carta_card_studies_spec none = { reg, NULL, 0, NULL, NULL, NULL, 0, 5 };
    carta_table *noid = carta_table_new("x");
    col(noid, "AGE", CARTA_F64);
    none.table = noid;
    j = studies(&none);
    cr_assert_eq(cJSON_GetArraySize(j), 0);
    cJSON_Delete(j);
    carta_table_free(noid);
    carta_table_free(reg);
    carta_table_free(t);
}

Test(card_studies, out_of_memory_leaks_nothing)
{
    carta_table *t = analysis_table();
    static const char *const vars[] = { "LDH" };
    carta_card_studies_spec sp = { t, NULL, 0, NULL, NULL, vars, 1, 5 };
    int failed = 0;
    for (long k = 1; k < 80; k++) {
        char *out = NULL;
        carta_error err;
        carta_error_clear(&err);
        carta_alloc_fail_at(k);
        int rc = carta_card_studies_json(&sp, &out, &err);
        carta_alloc_fail_at(0);
        if (rc == CARTA_OK) {
            carta_free(out);
            continue;
        }
        failed++;
        cr_assert_eq(rc, CARTA_ENOMEM);
        cr_assert_null(out);
    }
    cr_assert_gt(failed, 0);
    carta_table_free(t);
}

/* ---- model-card-toolkit graphics ------------------------------------------------------------ */

/* Decodes standard base64; returns the length, or -1 on a character outside the alphabet. */
static long unbase64(const char *in, unsigned char *out)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    long n = 0;
    unsigned v = 0;
    int bits = 0;
    for (const char *p = in; *p && *p != '='; p++) {
        const char *k = strchr(al, *p);
        if (!k) return -1;
        v = v << 6 | (unsigned)(k - al);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)(v >> bits & 0xff);
        }
    }
    return n;
}

Test(card_plots, mct_graphics_hold_the_plots_in_base64)
{
    char *out = NULL;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_mct_json(card, &out, &err), CARTA_OK, "%s", err.msg);
    cJSON *m = cJSON_Parse(out);
    cr_assert_not_null(m);
    const cJSON *g = cJSON_GetObjectItem(cJSON_GetObjectItem(m, "quantitative_analysis"), "graphics");
    cr_assert(cJSON_IsString(cJSON_GetObjectItem(g, "description")));
    const cJSON *coll = cJSON_GetObjectItem(g, "collection");
    size_t n = 0;
    carta_card_plot *p = plots_of(card, &n);
    cr_assert_eq((size_t)cJSON_GetArraySize(coll), n);
    for (size_t i = 0; i < n; i++) {
        const cJSON *e = cJSON_GetArrayItem(coll, (int)i), *k;
        /* Only the schema's two keys. */
        cJSON_ArrayForEach(k, e) cr_assert(!strcmp(k->string, "name") || !strcmp(k->string, "image"), "key %s", k->string);
        cr_assert_str_eq(cJSON_GetObjectItem(e, "name")->valuestring, p[i].name);
        const char *img = cJSON_GetObjectItem(e, "image")->valuestring;
        size_t len = strlen(p[i].svg);
        cr_assert_eq(strlen(img), 4 * ((len + 2) / 3), "padded length");
        unsigned char *dec = malloc(len + 4);
        cr_assert_not_null(dec);
        cr_assert_eq(unbase64(img, dec), (long)len);
        cr_assert_eq(memcmp(dec, p[i].svg, len), 0, "%s does not decode to the plot", p[i].name);
        free(dec);
    }
    /* A hand-worked encoding: "<?x" is 0x3c 0x3f 0x78 -> "PD94". */
    cr_assert_eq(strncmp(cJSON_GetObjectItem(cJSON_GetArrayItem(coll, 0), "image")->valuestring, "PD94", 4), 0);
    carta_card_plots_free(p, n);
    cJSON_Delete(m);
    carta_free(out);
    /* A JSON object that is not a carta card exports without graphics. */
    cr_assert_eq(carta_mct_json("{\"model_details\": {\"name\": \"x\"}}", &out, &err), CARTA_OK, "%s", err.msg);
    cr_assert_null(strstr(out, "graphics"));
    carta_free(out);
}

Test(card_studies, card_json_carries_the_table_and_tripod_20b)
{
    carta_card_input in;
    memset(&in, 0, sizeof in);
    in.name = "t";
    in.small_count_threshold = 5;
    in.outcome_type = "binary";
    static const char studies_text[] = "[{\"studyid\":\"A\",\"product\":null,\"costim\":null,\"disease\":null,"
                                       "\"crs_scale_reported\":null,\"n\":\"<5\",\"events\":0,\"table1\":[]}]";
    for (int with = 0; with < 2; with++) {
        in.studies_json = with ? studies_text : NULL;
        char *out = NULL;
        size_t len = 0;
        carta_error err;
        carta_error_clear(&err);
        cr_assert_eq(carta_card_json(&in, &out, &len, &err), CARTA_OK, "%s", err.msg);
        cJSON *c = cJSON_Parse(out);
        cr_assert_not_null(c);
        const cJSON *data = cJSON_GetObjectItem(c, "data"), *st = cJSON_GetObjectItem(data, "studies");
        cr_assert(cJSON_IsArray(st));
        cr_assert_eq(cJSON_GetArraySize(st), with);
        /* Between the files and the cohort, in that order. */
        cr_assert_str_eq(data->child->string, "files");
        cr_assert_str_eq(data->child->next->string, "studies");
        cr_assert_str_eq(data->child->next->next->string, "cohort");
        if (with) cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(st, 0), "n")->valuestring, "<5");
        const cJSON *item;
        int seen = 0;
        cJSON_ArrayForEach(item, cJSON_GetObjectItem(c, "tripod_ai")) {
            if (strcmp(cJSON_GetObjectItem(item, "item")->valuestring, "20b") != 0) continue;
            seen = 1;
            cr_assert_str_eq(cJSON_GetObjectItem(item, "status")->valuestring, with ? "reported" : "not reported");
            cr_assert_str_eq(cJSON_GetObjectItem(item, "pointer")->valuestring, "/data/studies");
        }
        cr_assert(seen, "no TRIPOD+AI item 20b");
        cJSON_Delete(c);
        carta_free(out);
    }
}

Test(card_plots, decision_curve_without_treat_all)
{
    /* Only the model's curve: no treat-all line or legend entry; treat none takes the second
       legend colour. */
    static const char c2[] =
        "{\"schema\": \"carta-model-card/1.0\", \"models\": [{\"name\": \"m\", \"type\": \"logistic\", \"result\": null,"
        " \"validation\": {\"scheme\": \"kfold\", \"metrics\": [], \"curves\": {\"decision_curve\": {\"threshold\": [0.1, 0.2],"
        " \"model\": [0.05, null]}}}}]}";
    char *html = html_of(c2);
    char *dc = plot_of(html, "<title>Decision curve</title>");
    cr_assert_null(strstr(dc, ">treat all</text>"));
    cr_assert_not_null(strstr(dc, ">treat none</text>"));
    cr_assert_not_null(strstr(dc, "stroke=\"#D55E00\" stroke-width=\"1.2\" stroke-dasharray"));
    /* One finite point: no line piece is drawn for it. */
    cr_assert_eq(count(dc, "<polyline"), 0);
    free(dc);
    carta_free(html);
}
