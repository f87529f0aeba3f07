/* Unit tests of the HTML model card (src/report/card_html.c) and its SVG writer (svg.c): the two
 * real reference cards and a hand-made Kaplan-Meier / cumulative incidence fixture render into
 * well-formed, script-free, URL-free HTML with every section and one <svg> per expected plot;
 * hostile text is escaped; the output is byte-identical for the same card; non-cards are
 * CARTA_EDATA; odd types and failed allocations are survived. The SVG writer's nice ticks,
 * pixel mapping and number formatting are checked by hand. */
#include <carta/alloc.h>
#include <carta/error.h>
#include <carta/report.h>
#include <carta/svg.h>

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The whole file, or NULL when it is absent. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    cr_assert_not_null(s);
    cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static char *render(const char *path)
{
    char *card = slurp(path);
    if (!card) cr_skip_test("%s is absent", path);
    char *html = NULL;
    carta_error err;
    carta_error_clear(&err);
    int rc = carta_card_html(card, &html, &err);
    cr_assert_eq(rc, CARTA_OK, "%s: %s", path, err.msg);
    cr_assert_not_null(html);
    free(card);
    return html;
}

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = strstr(s, what); p; p = strstr(p + 1, what)) n++;
    return n;
}

/* Every tag opened is closed in order (void elements and "/>" aside), nothing but tags uses '<',
   and every '&' starts an entity. Returns NULL or a description of the first problem. */
static const char *well_formed(const char *s, char *why, size_t cap)
{
    static const char *const voids[] = { "meta", "br", "hr", "img", "link", "input" };
    char stack[256][24];
    size_t depth = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '&') {
            const char *q = p + 1;
            if (*q == '#') q++;
            while (isalnum((unsigned char)*q)) q++;
            if (*q != ';' || q == p + 1) {
                snprintf(why, cap, "bare & at byte %zu", (size_t)(p - s));
                return why;
            }
            continue;
        }
        if (*p != '<') continue;
        if (strncmp(p, "<!DOCTYPE html>", 15) == 0) continue;
        int closing = p[1] == '/';
        const char *q = p + 1 + closing;
        char name[24];
        size_t k = 0;
        while ((isalnum((unsigned char)*q)) && k < sizeof name - 1) name[k++] = (char)tolower((unsigned char)*q++);
        name[k] = '\0';
        if (k == 0) {
            snprintf(why, cap, "'<' that starts no tag at byte %zu", (size_t)(p - s));
            return why;
        }
        const char *end = strchr(q, '>');
        if (!end) return "unterminated tag";
        /* No raw '<' inside a tag (attribute values are escaped). */
        const char *lt = memchr(q, '<', (size_t)(end - q));
        if (lt) {
            snprintf(why, cap, "'<' inside tag %s", name);
            return why;
        }
        int self = end[-1] == '/';
        int isvoid = 0;
        for (size_t v = 0; v < sizeof voids / sizeof voids[0]; v++) isvoid |= strcmp(name, voids[v]) == 0;
        if (closing) {
            if (depth == 0 || strcmp(stack[depth - 1], name) != 0) {
                snprintf(why, cap, "</%s> closes <%s>", name, depth ? stack[depth - 1] : "(nothing)");
                return why;
            }
            depth--;
        } else if (!self && !isvoid) {
            if (depth == 256) return "nesting too deep";
            snprintf(stack[depth++], sizeof stack[0], "%s", name);
        }
        p = end;
    }
    if (depth) {
        snprintf(why, cap, "<%s> never closed", stack[depth - 1]);
        return why;
    }
    return NULL;
}

/* What a card adds to its base plots when the validation wrote them: a decision curve and a
   calibration-at-the-horizon plot per model that has one (curves), and a second (pooled)
   diamond per model with a random-effects pooled AUC or C (metrics, slice "pooled"). */
static void extras(const char *path, size_t *plots, size_t *pooled)
{
    *plots = *pooled = 0;
    char *text = slurp(path);
    cJSON *card = text ? cJSON_Parse(text) : NULL;
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItem(card, "models")) {
        const cJSON *v = cJSON_GetObjectItem(m, "validation"), *curves = cJSON_GetObjectItem(v, "curves"), *x;
        *plots += cJSON_GetObjectItem(curves, "decision_curve") != NULL;
        *plots += cJSON_GetObjectItem(curves, "calibration_horizon") != NULL;
        cJSON_ArrayForEach(x, cJSON_GetObjectItem(v, "metrics")) {
            const cJSON *n = cJSON_GetObjectItem(x, "name"), *s = cJSON_GetObjectItem(x, "slice");
            if (cJSON_IsString(n) && cJSON_IsString(s) && strcmp(s->valuestring, "pooled") == 0 &&
                (strcmp(n->valuestring, "auc") == 0 || strcmp(n->valuestring, "c_harrell") == 0))
                *pooled += 1;
        }
    }
    cJSON_Delete(card);
    free(text);
}

static void check_page(const char *html, size_t svgs)
{
    char why[200];
    const char *bad = well_formed(html, why, sizeof why);
    cr_assert_null(bad, "not well formed: %s", bad ? bad : "");
    cr_assert_null(strstr(html, "<script"), "a script element");
    cr_assert_null(strstr(html, "http://"), "a URL");
    cr_assert_null(strstr(html, "https://"), "a URL");
    cr_assert_null(strstr(html, "url("), "a CSS url()");
    cr_assert_null(strstr(html, "@import"), "a CSS import");
    static const char *const sections[] = {
        "<h2>Intended use</h2>", "<h2>Outcome and harmonization</h2>", "<h2>Data</h2>", "<h2>Predictors</h2>",
        "<h2>Models</h2>", "<h2>Performance</h2>", "<h2>Limitations and considerations</h2>",
        "<h2>TRIPOD+AI items</h2>", "<h2>Reproducibility</h2>",
    };
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
        cr_assert_not_null(strstr(html, sections[i]), "missing %s", sections[i]);
    cr_assert_not_null(strstr(html, "class=\"box\""), "no header box");
    cr_assert_not_null(strstr(html, "@media print"), "no print layout");
    cr_assert_eq(count(html, "<svg"), svgs, "expected %zu plots, found %zu", svgs, count(html, "<svg"));
    cr_assert_eq(count(html, "</svg>"), svgs);
}

Test(card_html, renders_the_binary_reference_card)
{
    char *html = render("models/crs_severe/card.json");
    /* Two logistic models and one xgboost model under leave-one-study-out: each has ROC,
       calibration and per-study forest plots; xgboost adds gain importance (its mean |SHAP|
       are all 0 in this card, so no SHAP plot); decision curves where the card has them. */
    size_t extra, pooled;
    extras("models/crs_severe/card.json", &extra, &pooled);
    check_page(html, 3 + 3 + 3 + 1 + extra);
    cr_assert_eq(count(html, "<title>ROC curve</title>"), 3);
    cr_assert_eq(count(html, "<title>Calibration plot</title>"), 3);
    cr_assert_eq(count(html, "<title>Performance per slice</title>"), 3);
    /* 21 held-out studies and the overall diamond in each forest plot (and the pooled one). */
    cr_assert_eq(count(html, ">STUDYID=CART001</text>"), 3);
    cr_assert_eq(count(html, "<polygon"), 3 + pooled);
    /* The hash and the headline (the first model's overall AUC with its interval, 4 significant
       digits), read from the card itself so that a regenerated reference run still passes. */
    char *text = slurp("models/crs_severe/card.json");
    cJSON *card = cJSON_Parse(text);
    cr_assert_not_null(card);
    cr_assert_not_null(strstr(html, cJSON_GetObjectItem(card, "card_sha256")->valuestring));
    const cJSON *m0 = cJSON_GetArrayItem(cJSON_GetObjectItem(card, "models"), 0);
    const cJSON *auc = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(m0, "validation"), "metrics"), 0);
    cr_assert_str_eq(cJSON_GetObjectItem(auc, "name")->valuestring, "auc");
    cr_assert_str_eq(cJSON_GetObjectItem(auc, "slice")->valuestring, "overall");
    char want[200];
    snprintf(want, sizeof want, "AUC %.4g (%s CI %.4g to %.4g)", cJSON_GetObjectItem(auc, "value")->valuedouble,
             cJSON_GetObjectItem(auc, "ci_method")->valuestring, cJSON_GetObjectItem(auc, "lower")->valuedouble,
             cJSON_GetObjectItem(auc, "upper")->valuedouble);
    cr_assert_not_null(strstr(html, want), "no headline %s", want);
    cJSON_Delete(card);
    free(text);
    carta_free(html);
}

Test(card_html, renders_the_survival_reference_card)
{
    char *html = render("models/cdisc_pilot_gbm/card.json");
    /* Cox forest plot of hazard ratios and the xgboost gain bars, each of the two models a
       per-slice plot of its fairness slices (SEX, AGE), and calibration at the horizon where
       the card has it. */
    size_t extra, pooled;
    extras("models/cdisc_pilot_gbm/card.json", &extra, &pooled);
    check_page(html, 2 + 2 + extra);
    cr_assert_eq(count(html, "<title>Performance per slice</title>"), 2);
    cr_assert_eq(count(html, ">SEX=F</text>"), 2);
    cr_assert_eq(count(html, "<title>Forest plot of hazard ratios</title>"), 1);
    /* Each term's row: its name at the left, "HR (lower to upper)" at the right (4 significant
       digits), from the card's own values. */
    char *text = slurp("models/cdisc_pilot_gbm/card.json");
    cJSON *card = cJSON_Parse(text);
    cr_assert_not_null(card);
    const cJSON *m0 = cJSON_GetArrayItem(cJSON_GetObjectItem(card, "models"), 0);
    const cJSON *co = cJSON_GetObjectItem(cJSON_GetObjectItem(m0, "result"), "coefficients"), *t;
    cr_assert_gt(cJSON_GetArraySize(co), 0);
    cJSON_ArrayForEach(t, co) {
        char want[300];
        snprintf(want, sizeof want, ">%s</text>", cJSON_GetObjectItem(t, "term")->valuestring);
        cr_assert_not_null(strstr(html, want), "no row %s", want);
        snprintf(want, sizeof want, ">%.4g (%.4g to %.4g)</text>", cJSON_GetObjectItem(t, "hr")->valuedouble,
                 cJSON_GetObjectItem(t, "hr_lower")->valuedouble, cJSON_GetObjectItem(t, "hr_upper")->valuedouble);
        cr_assert_not_null(strstr(html, want), "no HR %s", want);
    }
    cJSON_Delete(card);
    free(text);
    carta_free(html);
}

/* A copy of the plot whose <svg> holds the marker, up to its </svg>. */
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

/* The texts of the number-at-risk table, in order. */
static size_t risk_cells(const char *html, char cells[][16], size_t cap)
{
    const char *p = strstr(html, ">Number at risk</text>");
    cr_assert_not_null(p);
    const char *stop = strstr(p, "</svg>");
    size_t n = 0;
    p += strlen(">Number at risk</text>");
    for (const char *e = strstr(p, "</text>"); e && e < stop && n < cap; e = strstr(e + 1, "</text>")) {
        const char *b = e;
        while (b > p && b[-1] != '>') b--;
        snprintf(cells[n++], 16, "%.*s", (int)(e - b), b);
    }
    return n;
}

Test(card_html, renders_km_and_cif_with_numbers_at_risk)
{
    char *html = render("tests/fixtures/card/km_cif.json");
    /* One KM plot, one CIF plot per cause (two causes), the Cox forest plot and its predicted
       survival curves, xgboost gain and mean |SHAP| bars, and the per-study forest plot of
       Harrell's C. */
    check_page(html, 8);
    cr_assert_eq(count(html, "<title>Predicted survival curves</title>"), 1);
    cr_assert_not_null(strstr(html, ">0.6 (0.146 to 2.46)</text>"));
    /* Log axis over 0.127..2.83: 1-2-5 ticks, each labelled with its own decimals. */
    char *forest = plot_of(html, "<title>Forest plot of hazard ratios</title>");
    static const char *const ticks[] = { ">0.2</text>", ">0.5</text>", ">1</text>", ">2</text>" };
    for (size_t i = 0; i < 4; i++) cr_assert_not_null(strstr(forest, ticks[i]), "tick %s", ticks[i]);
    cr_assert_null(strstr(forest, ">1.0</text>"));
    free(forest);
    cr_assert_eq(count(html, "<title>Feature importance</title>"), 2);
    /* Two studies with a C (S3's is null), the overall diamond; S2 has no interval. */
    cr_assert_eq(count(html, ">STUDYID=S1</text>"), 1);
    cr_assert_eq(count(html, ">STUDYID=S2</text>"), 1);
    cr_assert_eq(count(html, ">STUDYID=S3</text>"), 0);
    cr_assert_eq(count(html, "<polygon"), 1);
    cr_assert_not_null(strstr(html, ">0.61 (no interval)</text>"));
    /* Bars largest first: the escaped LDH label comes before AGE in both charts. */
    const char *ldh = strstr(html, ">LDH &lt;high&gt; &amp; &quot;x&quot;</text>"), *age = strstr(html, ">AGE</text>");
    cr_assert(ldh && age && ldh < age);
    cr_assert_eq(count(html, "<title>Kaplan-Meier curves</title>"), 1);
    cr_assert_eq(count(html, "<title>Cumulative incidence curves</title>"), 2);
    /* Times up to 9: tick step 2, so the axis runs to 10 with ticks 0, 2, ..., 10. At risk at
       t = n_risk of the first row with time >= t; 0 past the last row; suppressed counts as
       written. Group 1 (times 2 3 5 7, n_risk 5 <5 <5 <5): 5 5 <5 <5 0 0. Group 2 (times
       1 4 6 7 9, n_risk 6 5 <5 <5 <5): 6 5 5 <5 <5 0. */
    char cells[16][16];
    size_t n = risk_cells(html, cells, 16);
    static const char *const want[] = { "5", "5", "&lt;5", "&lt;5", "0", "0", "6", "5", "5", "&lt;5", "&lt;5", "0" };
    cr_assert_eq(n, 12, "found %zu cells", n);
    for (size_t i = 0; i < 12; i++) cr_assert_str_eq(cells[i], want[i], "cell %zu", i);
    cr_assert_not_null(strstr(html, "Gray's test: chi-square 0.52 on 1 df, p = 0.47."));
    /* Censoring marks where n_censor is > 0 or suppressed: group 1 at t = 3, group 2 at t = 6
       and t = 9; none on the cumulative incidence curves. */
    char *km = plot_of(html, "<title>Kaplan-Meier curves</title>");
    cr_assert_eq(count(km, " v8"), 3, "%zu marks", count(km, " v8"));
    free(km);
    char *cif = plot_of(html, "<title>Cumulative incidence curves</title>");
    cr_assert_eq(count(cif, " v8"), 0);
    free(cif);
    carta_free(html);
}

Test(card_html, escapes_hostile_text)
{
    char *html = render("tests/fixtures/card/km_cif.json");
    const char *esc = "A&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;";
    /* Title, header, intended use, limitation, KM table, legends of the three plots. */
    cr_assert_geq(count(html, esc), 8, "escaped %zu times", count(html, esc));
    cr_assert_null(strstr(html, "A<script>"));
    cr_assert_null(strstr(html, "\"x\" &"));
    carta_free(html);
}

Test(card_html, same_card_same_bytes)
{
    static const char *const cards[] = { "models/crs_severe/card.json", "tests/fixtures/card/km_cif.json" };
    for (size_t i = 0; i < 2; i++) {
        char *a = render(cards[i]), *b = render(cards[i]);
        cr_assert_str_eq(a, b, "%s renders differently twice", cards[i]);
        carta_free(a);
        carta_free(b);
    }
}

Test(card_html, rejects_what_is_not_a_card)
{
    static const char *const bad[] = { "", "not json", "[]", "{\"a\": 1}", "{\"schema\": \"other/1.0\"}", "{\"schema\": 3}" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        static char untouched[] = "untouched";
        char *out = untouched;
        carta_error err;
        carta_error_clear(&err);
        cr_assert_eq(carta_card_html(bad[i], &out, &err), CARTA_EDATA, "input %zu", i);
        cr_assert_null(out);
        cr_assert(strlen(err.msg) > 0);
    }
    char *out = NULL;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_card_html(NULL, &out, &err), CARTA_EDATA);
}

Test(card_html, survives_a_minimal_card)
{
    char *html = NULL;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_card_html("{\"schema\": \"carta-model-card/1.0\"}", &html, &err), CARTA_OK, "%s", err.msg);
    check_page(html, 0);
    carta_free(html);
}

Test(card_html, survives_odd_types_and_missing_fields)
{
    /* A card-shaped text whose results have wrong types, missing arrays and impossible values:
       the page still renders, well formed, and leaves out what it cannot draw. */
    static const char odd[] =
        "{\"schema\": \"carta-model-card/1.0\", \"model_details\": {\"name\": 7},"
        " \"models\": ["
        "  {\"name\": \"k\", \"type\": \"km\", \"result\": {\"strata\": [{\"label\": 3, \"table\": {\"time\": [1, 2], \"surv\": [0.5]}},"
        "                                                        {\"table\": {\"time\": [1, null, 3], \"surv\": [0.9, 0.8, null], \"n_risk\": \"x\"}}]}},"
        "  {\"name\": \"c\", \"type\": \"cif\", \"result\": {\"causes\": {\"a\": 1}}},"
        "  {\"name\": \"x\", \"type\": \"cox\", \"result\": {\"coefficients\": [{\"hr\": -1, \"hr_lower\": 0, \"hr_upper\": 2}], \"curves\": 5}},"
        "  {\"name\": \"g\", \"type\": \"xgboost\", \"result\": {\"importance\": [{\"gain\": \"x\"}, 4]}},"
        "  {\"name\": \"l\", \"type\": \"logistic\", \"result\": null, \"validation\": {\"metrics\": [{\"name\": \"auc\", \"slice\": \"overall\", \"value\": 0.5}],"
        "   \"curves\": {\"roc\": {\"fpr\": [0, 1], \"tpr\": [0]}, \"calibration\": {\"predicted\": [], \"observed\": []}}}},"
        "  {\"type\": \"unknown\"}, 3, null]}";
    char *html = NULL;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_card_html(odd, &html, &err), CARTA_OK, "%s", err.msg);
    /* Only the KM curves can be drawn (the first stratum's arrays disagree in length, the
       second's has gaps); its risk table shows NA where n_risk is not an array. */
    check_page(html, 1);
    cr_assert_not_null(strstr(html, ">NA</text>"));
    carta_free(html);
}

Test(card_html, reports_out_of_memory_without_leaking)
{
    char *card = slurp("tests/fixtures/card/km_cif.json");
    cr_assert_not_null(card);
    /* cJSON's own allocations bypass carta's allocator; the page and plot buffers do not. */
    int failed = 0;
    for (long k = 1; k < 40; k++) {
        char *html = NULL;
        carta_error err;
        carta_error_clear(&err);
        carta_alloc_fail_at(k);
        int rc = carta_card_html(card, &html, &err);
        carta_alloc_fail_at(0);
        if (rc == CARTA_OK) {
            carta_free(html);
            continue;
        }
        failed++;
        cr_assert_eq(rc, CARTA_ENOMEM, "k = %ld: %d", k, rc);
        cr_assert_null(html);
    }
    cr_assert_gt(failed, 0);
    free(card);
}

Test(svg, nice_ticks_by_hand)
{
    double t[32];
    int dec;
    /* 0..1462 in about 6 ticks: raw step 292.4 -> 200. */
    size_t n = carta_svg_ticks(0, 1462, 6, t, 32, &dec);
    cr_assert_eq(n, 8);
    for (size_t i = 0; i < n; i++) cr_assert_eq(t[i], 200.0 * (double)i);
    cr_assert_eq(dec, 0);
    /* 0..1 in 6: step 0.2, one decimal, exact multiples. */
    n = carta_svg_ticks(0, 1, 6, t, 32, &dec);
    cr_assert_eq(n, 6);
    cr_assert_eq(dec, 1);
    cr_assert_eq(t[3], 3 * 0.2);
    cr_assert_eq(t[5], 1.0);
    /* -0.35..0.35 in 5: step 0.2 (raw 0.175); ticks -0.2, 0, 0.2 with an exact zero. */
    n = carta_svg_ticks(-0.35, 0.35, 5, t, 32, &dec);
    cr_assert_eq(n, 3);
    cr_assert_eq(t[1], 0.0);
    cr_assert(!signbit(t[1]));
    cr_assert_eq(carta_svg_ticks(1, 1, 5, t, 32, &dec), 0);
    cr_assert_eq(carta_svg_ticks(0, NAN, 5, t, 32, &dec), 0);
}

Test(svg, log_ticks_by_hand)
{
    double t[32];
    int dec;
    size_t n = carta_svg_log_ticks(0.05, 20, t, 32, &dec);
    static const double want[] = { 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20 };
    cr_assert_eq(n, 9);
    for (size_t i = 0; i < n; i++) cr_assert(fabs(t[i] - want[i]) < 1e-12 * want[i], "tick %zu: %g", i, t[i]);
    cr_assert_eq(dec, -1);
    /* Narrow ranges use linear nice ticks: 0.8..1.3 -> 0.8 0.9 1.0 1.1 1.2 1.3. */
    n = carta_svg_log_ticks(0.8, 1.3, t, 32, &dec);
    cr_assert_eq(n, 6);
    cr_assert_eq(dec, 1);
    cr_assert_eq(carta_svg_log_ticks(0, 1, t, 32, &dec), 0);
}

Test(svg, formats_and_escapes_with_fixed_rules)
{
    char b[32];
    cr_assert_str_eq(carta_svg_fmt(-0.0, 2, b, sizeof b), "0.00");
    cr_assert_str_eq(carta_svg_fmt(-0.001, 1, b, sizeof b), "0.0");
    cr_assert_str_eq(carta_svg_fmt(0.25, 2, b, sizeof b), "0.25");
    cr_assert_str_eq(carta_svg_fmt(1400, 0, b, sizeof b), "1400");
    carta_svg g;
    carta_svg_begin(&g, 100, 50, 10, 10, 5, 15, "a<b & \"c\"");
    carta_svg_range(&g, 0, 10, 0, 0, 1, 0);
    /* Data to pixels: x 0..10 -> 10..90, y 0..1 -> 35..5; outside values clamp. */
    cr_assert_eq(carta_svg_px(&g, 5), 50.0);
    cr_assert_eq(carta_svg_py(&g, 1), 5.0);
    cr_assert_eq(carta_svg_px(&g, -3), 10.0);
    double x[] = { 2, 4 }, y[] = { 0.5, NAN };
    carta_svg_step(&g, 0, 1, x, y, 2, 10, "#000000", 0);
    char *s = NULL;
    cr_assert_eq(carta_svg_end(&g, &s), 0);
    cr_assert_not_null(strstr(s, "<title>a&lt;b &amp; &quot;c&quot;</title>"));
    /* From (0,1) to t=2, down to 0.5, held to t=4 where the curve becomes undefined. */
    cr_assert_not_null(strstr(s, "<path d=\"M10.00 5.00 H26.00 V20.00 H42.00\""), "%s", s);
    carta_free(s);
}
