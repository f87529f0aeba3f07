/* Unit tests of the elastic-net part of card.html (src/report/card_html.c): a card written by
 * the card writer (carta_card_json) from a hand-filled elastic-net fit (a logistic model with
 * lambda chosen by cross-validation, a Cox model at a fixed lambda) renders as an elastic net:
 * family, alpha, lambda, the CV rule, folds, lambda_min and lambda_1se, df, the deviance
 * explained and the term/coefficient table with the values put in, no "NA" cell and no column
 * of the plain models (OR, HR, se, p); the CV curve is drawn once, with one point per lambda;
 * card.md names the same terms and rule; odd cv objects and failed allocations are survived. */
#include <carta/alloc.h>
#include <carta/error.h>
#include <carta/glmnet.h>
#include <carta/report.h>

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = strstr(s, what); p; p = strstr(p + 1, what)) n++;
    return n;
}

/* The text of model section k (1-based) of the page, in a new string (free). */
static char *section(const char *html, int k)
{
    char id[32];
    snprintf(id, sizeof id, "id=\"model-%d\"", k);
    const char *a = strstr(html, id);
    cr_assert_not_null(a, "no %s", id);
    const char *b = strstr(a, "</section>");
    cr_assert_not_null(b);
    size_t n = (size_t)(b - a);
    char *s = malloc(n + 1);
    cr_assert_not_null(s);
    memcpy(s, a, n);
    s[n] = '\0';
    return s;
}

/* The two fits, by hand; the card writer reads only these fields. */
static char age[] = "AGE", ecog[] = "ECOG1", ldh[] = "LDH_log", sex[] = "SEX<M>";
static char *names_l[] = { age, ecog, ldh };
static double lambda_l[] = { 0.01234 }, coef_l[] = { 0.1234, 0, -0.5678 }, icpt_l[] = { -1.25 };
static double dev_l[] = { 812.5 }, ratio_l[] = { 0.09722 };
static int df_l[] = { 2 };
static char *names_c[] = { age, sex };
static double lambda_c[] = { 0.1 }, coef_c[] = { 0.02, 0 }, icpt_c[] = { 0 };
static double dev_c[] = { 1500.25 }, ratio_c[] = { 0.0312 };
static int df_c[] = { 1 };

/* As run/penalized.c writes result.cv. */
static const char cv_json[] =
    "{\"rule\":\"cv_1se\",\"measure\":\"binomial deviance\",\"folds\":5,\"fold_seed\":7,"
    "\"lambda_min\":0.004321,\"lambda_1se\":0.01234,\"index_min\":2,\"index_1se\":1,\"cvm_min\":1.1,\"cvsd_min\":0.05,"
    "\"curve\":{\"lambda\":[0.05,0.01234,0.004321,0.001],\"cvm\":[1.3,1.15,1.1,1.12],"
    "\"cvsd\":[0.04,0.05,0.05,0.06],\"df\":[0,2,3,3]}}";

/* card.json from the card writer with the two elastic-net models (carta_free). */
static char *enet_card(void)
{
    static carta_glmnet_path lg = { .family = CARTA_GLMNET_LOGISTIC, .n = 200, .p = 3, .nlambda = 1,
                                    .names = names_l, .lambda = lambda_l, .coef = coef_l, .intercept = icpt_l,
                                    .deviance = dev_l, .null_deviance = 900, .dev_ratio = ratio_l, .df = df_l,
                                    .converged = 1 };
    static carta_glmnet_path cx = { .family = CARTA_GLMNET_COX, .n = 200, .p = 2, .nlambda = 1,
                                    .names = names_c, .lambda = lambda_c, .coef = coef_c, .intercept = icpt_c,
                                    .deviance = dev_c, .null_deviance = 1549, .dev_ratio = ratio_c, .df = df_c,
                                    .converged = 1 };
    carta_card_model models[2];
    memset(models, 0, sizeof models);
    models[0] = (carta_card_model){ .name = "enet", .type = "logistic",
                                    .spec_json = "{\"name\":\"enet\",\"type\":\"logistic\",\"lambda\":\"cv_1se\",\"alpha\":0.5}",
                                    .glmnet = &lg, .validation_scheme = "none", .glmnet_cv_json = cv_json };
    models[1] = (carta_card_model){ .name = "lasso_cox", .type = "cox",
                                    .spec_json = "{\"name\":\"lasso_cox\",\"type\":\"cox\",\"lambda\":0.1,\"alpha\":1}",
                                    .glmnet = &cx, .validation_scheme = "none" };
    carta_card_input in;
    memset(&in, 0, sizeof in);
    in.name = "enet card";
    in.small_count_threshold = 5;
    in.outcome_type = "binary";
    in.models = models;
    in.n_models = 2;
    char *out = NULL;
    size_t len = 0;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_card_json(&in, &out, &len, &err), CARTA_OK, "%s", err.msg);
    return out;
}

Test(card_enet, logistic_with_cv_renders_as_an_elastic_net)
{
    char *card = enet_card(), *html = NULL;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_card_html(card, &html, &err), CARTA_OK, "%s", err.msg);
    char *s = section(html, 1);
    static const char *const want[] = {
        "Elastic net (binomial)", "alpha 0.5", "at lambda 0.01234", "2 nonzero coefficients",
        "deviance explained 0.09722", "(deviance 812.5, null deviance 900)", "converged: yes",
        "5-fold cross-validation (cv_1se; binomial deviance)", "lambda_min 0.004321", "lambda_1se 0.01234",
        "<td>(Intercept)</td><td class=\"n\">-1.25</td>", "<td>AGE</td><td class=\"n\">0.1234</td>",
        "<td>ECOG1</td><td class=\"n\">0</td>", "<td>LDH_log</td><td class=\"n\">-0.5678</td>",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) cr_assert_not_null(strstr(s, want[i]), "missing %s", want[i]);
    /* Nothing the plain logistic table would show: no empty cells, no OR or p column. */
    cr_assert_null(strstr(s, "NA"), "an NA in the elastic-net section");
    cr_assert_null(strstr(s, "<th>OR</th>"));
    cr_assert_null(strstr(s, "<th>p</th>"));
    cr_assert_eq(count(s, "<tr>"), 1 + 4, "header and four terms");
    /* The CV curve: one plot, a point per lambda of the curve. */
    cr_assert_eq(count(s, "<svg"), 1);
    cr_assert_eq(count(s, "<circle"), 4);
    cr_assert_not_null(strstr(s, "Cross-validation curve"));
    /* log(lambda) runs left to right with 3 % padding on a 280-pixel plot area from x = 80:
       lambda 0.001 at 80 + 280 * 0.03 / 1.06 = 87.92, lambda 0.05 at 360 - 7.92 = 352.08; the
       dashed lines go through the points of lambda_min (the third) and lambda_1se (the second). */
    char cx[4][32], dash[2][32];
    const char *q = s;
    for (int i = 0; i < 4; i++) {
        q = strstr(q, "<circle cx=\"");
        cr_assert_not_null(q);
        q += strlen("<circle cx=\"");
        cr_assert_eq(sscanf(q, "%31[^\"]", cx[i]), 1);
    }
    cr_assert_str_eq(cx[0], "352.08");
    cr_assert_str_eq(cx[3], "87.92");
    cr_assert(atof(cx[0]) > atof(cx[1]) && atof(cx[1]) > atof(cx[2]) && atof(cx[2]) > atof(cx[3]));
    q = s;
    for (int i = 0; i < 2; i++) {
        const char *d = strstr(q, "stroke-dasharray=\"5 4\"");
        cr_assert_not_null(d, "dashed line %d", i);
        const char *l = d;
        while (l > s && strncmp(l, "<line x1=\"", 10) != 0) l--;
        cr_assert_eq(sscanf(l + 10, "%31[^\"]", dash[i]), 1);
        q = d + 1;
    }
    cr_assert_str_eq(dash[0], cx[2], "lambda_min line");
    cr_assert_str_eq(dash[1], cx[1], "lambda_1se line");
    free(s);
    carta_free(html);
    carta_free(card);
}

Test(card_enet, cox_at_a_fixed_lambda_renders_as_an_elastic_net)
{
    char *card = enet_card(), *html = NULL;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_card_html(card, &html, &err), CARTA_OK, "%s", err.msg);
    char *s = section(html, 2);
    static const char *const want[] = {
        "Elastic net (cox)", "alpha 1", "at lambda 0.1", "1 nonzero coefficients", "deviance explained 0.0312",
        "<td>AGE</td><td class=\"n\">0.02</td>", "<td>SEX&lt;M&gt;</td><td class=\"n\">0</td>",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) cr_assert_not_null(strstr(s, want[i]), "missing %s", want[i]);
    cr_assert_null(strstr(s, "NA"), "an NA in the elastic-net section");
    cr_assert_null(strstr(s, "<th>HR</th>"));
    cr_assert_null(strstr(s, "SEX<M>"), "a term name not escaped");
    cr_assert_null(strstr(s, "(Intercept)"), "a Cox model has no intercept");
    cr_assert_null(strstr(s, "cross-validation"), "no cv object, no CV text");
    cr_assert_eq(count(s, "<svg"), 0, "no CV curve and no forest plot without intervals");
    free(s);
    carta_free(html);
    carta_free(card);
}

Test(card_enet, plot_file_and_markdown_agree)
{
    char *card = enet_card(), *md = NULL;
    carta_card_plot *p = NULL;
    size_t n = 0;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_card_plots(card, &p, &n, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(p[0].name, "enet_cv_curve.svg");
    cr_assert_str_eq(p[0].model, "enet");
    carta_card_plots_free(p, n);
    /* card.md says the same: terms, alpha, rule and folds, lambda, lambda.min and lambda.1se. */
    cr_assert_eq(carta_card_markdown(card, &md, &err), CARTA_OK, "%s", err.msg);
    static const char *const want[] = { "Elastic net (binomial)", "Elastic net (cox)", "0.01234", "LDH_log", "ECOG1",
                                        "(Intercept)", "5-fold cross-validation (cv_1se)",
                                        "Elastic net (binomial), alpha 0.5, at lambda 0.01234",
                                        "lambda.min 0.004321, lambda.1se 0.01234" };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) cr_assert_not_null(strstr(md, want[i]), "card.md lacks %s", want[i]);
    carta_free(md);
    carta_free(card);
}

Test(card_enet, survives_odd_cv_objects)
{
    /* Curves whose arrays disagree, hold no positive lambda, or are not arrays, and a null cv:
       the text is written (NA where a number is missing) and no plot is drawn. */
    static const char odd[] =
        "{\"schema\": \"carta-model-card/1.0\", \"models\": ["
        " {\"name\": \"a\", \"type\": \"logistic\", \"result\": {\"lambda\": 0.5, \"coefficients\": [{\"term\": \"x\"}],"
        "  \"cv\": {\"curve\": {\"lambda\": [1, 2], \"cvm\": [1], \"cvsd\": [1, 1]}}}},"
        " {\"name\": \"b\", \"type\": \"cox\", \"result\": {\"lambda\": null, \"cv\": {\"curve\": {\"lambda\": [0, -1], \"cvm\": [1, 2], \"cvsd\": [0, 0]}}}},"
        " {\"name\": \"c\", \"type\": \"cox\", \"result\": {\"lambda\": 1, \"coefficients\": 3, \"cv\": {\"curve\": 4, \"folds\": \"x\"}}},"
        " {\"name\": \"d\", \"type\": \"logistic\", \"result\": {\"lambda\": 2, \"cv\": null}}]}";
    char *html = NULL;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_card_html(odd, &html, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(count(html, "<svg"), 0);
    cr_assert_eq(count(html, "Elastic net ("), 4);
    /* A null cv is no cross-validation. */
    cr_assert_eq(count(html, "-fold cross-validation"), 3);
    cr_assert_not_null(strstr(html, "<td>x</td><td>NA</td>"), "a missing coefficient is NA");
    carta_free(html);
}

Test(card_enet, reports_out_of_memory_without_leaking)
{
    char *card = enet_card();
    int failed = 0;
    for (long k = 1; k < 60; k++) {
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
    carta_free(card);
}
