/* Logistic regression against R's glm and brglm2 (tests/reference/logistic), hand-worked
   closed forms, finite differences and invariances. */
#include <carta/logistic.h>
#include <carta/alloc.h>

#include "check.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ref_case {
    cJSON *json;
    size_t n, p;
    double *x, *y, *w, *off;
    char **names;
    carta_matrix m;
    carta_logistic_spec spec;
} ref_case;

static void load_case(const char *name, ref_case *c)
{
    char path[256];
    snprintf(path, sizeof path, "tests/reference/logistic/%s.json", name);
    memset(c, 0, sizeof *c);
    c->json = ref_load(path);
    c->y = ref_doubles(c->json, "y", &c->n);
    const cJSON *xs = cJSON_GetObjectItem(c->json, "x"), *names = cJSON_GetObjectItem(c->json, "names");
    c->p = (size_t)cJSON_GetArraySize(xs);
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
    size_t k;
    if (cJSON_IsArray(cJSON_GetObjectItem(c->json, "weights"))) c->w = ref_doubles(c->json, "weights", &k);
    if (cJSON_IsArray(cJSON_GetObjectItem(c->json, "offset"))) c->off = ref_doubles(c->json, "offset", &k);
    c->m = (carta_matrix){ c->n, c->p, c->x, (const char *const *)c->names };
    carta_logistic_spec_default(&c->spec);
    c->spec.firth = cJSON_IsTrue(cJSON_GetObjectItem(c->json, "firth"));
    c->spec.weight = c->w;
    c->spec.offset = c->off;
}

static void free_case(ref_case *c)
{
    free(c->x);
    free(c->y);
    free(c->w);
    free(c->off);
    free(c->names);
    cJSON_Delete(c->json);
}

static double num(const cJSON *o, const char *k) { return cJSON_GetObjectItem(o, k)->valuedouble; }

static void check_against_r(const char *name)
{
    ref_case c;
    load_case(name, &c);
    carta_logistic_result *r;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_logistic_fit(&c.spec, c.y, &c.m, &r, &err), CARTA_OK, "%s", err.msg);
    cr_expect(r->converged, "%s did not converge", name);
    const cJSON *e = cJSON_GetObjectItem(c.json, "expected");
    size_t p;
    double *coef = ref_doubles(e, "coef", &p), *se = ref_doubles(e, "se", &p), *z = ref_doubles(e, "z", &p);
    double *pv = ref_doubles(e, "p", &p), *vcov = ref_doubles(e, "vcov", &p);
    cr_assert_eq(r->p, c.p + 1);
    double obs[64];
    char what[128];
#define CHECK(field, tolname, expr)                                                    \
    for (size_t j = 0; j < r->p; j++) obs[j] = (expr);                                 \
    snprintf(what, sizeof what, "%s %s", name, #field);                                \
    cr_expect_eq(check_vec(obs, field##_ref, r->p, ref_tol(c.json, tolname), what), 0);
    double *coef_ref = coef, *se_ref = se, *z_ref = z, *p_ref = pv;
    CHECK(coef, "coef", r->terms[j].coef)
    CHECK(se, "se", r->terms[j].se)
    CHECK(z, "z", r->terms[j].z)
    CHECK(p, "p", r->terms[j].p)
#undef CHECK
    cr_expect_eq(check_vec(r->vcov, vcov, r->p * r->p, ref_tol(c.json, "se"), "vcov"), 0);
    cr_expect(check_rel(r->loglik, num(e, "loglik"), ref_tol(c.json, "loglik"), "%s loglik", name));
    cr_expect(check_rel(r->deviance, num(e, "deviance"), ref_tol(c.json, "deviance"), "%s deviance", name));
    cr_expect(check_rel(r->loglik_null, num(e, "loglik_null"), ref_tol(c.json, "loglik"), "%s loglik_null", name));
    cr_expect(check_rel(r->wald.stat, num(e, "wald"), ref_tol(c.json, "wald"), "%s wald", name));
    if (!c.spec.firth) cr_expect(check_rel(r->lr.stat, num(e, "lr"), ref_tol(c.json, "lr"), "%s lr", name));
    for (size_t j = 0; j < r->p; j++)
        cr_expect_str_eq(r->terms[j].term, cJSON_GetArrayItem(cJSON_GetObjectItem(e, "terms"), (int)j)->valuestring);
    free(coef);
    free(se);
    free(z);
    free(pv);
    free(vcov);
    carta_logistic_result_free(r);
    free_case(&c);
}

Test(logistic, agrees_with_glm) { check_against_r("infert_ml"); }
Test(logistic, agrees_with_glm_with_weights_and_offset) { check_against_r("infert_weights_offset"); }
Test(logistic, firth_agrees_with_brglm2_under_separation) { check_against_r("endometrial_firth"); }
Test(logistic, firth_agrees_with_brglm2) { check_against_r("infert_firth"); }

Test(logistic, detects_separation_and_names_the_term)
{
    ref_case c;
    load_case("endometrial_firth", &c);
    c.spec.firth = 0;
    c.spec.max_iter = 60;
    carta_logistic_result *r;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_logistic_fit(&c.spec, c.y, &c.m, &r, &err), CARTA_OK, "%s", err.msg);
    cr_expect(!r->converged);
    cr_expect(r->separation);
    cr_expect_str_eq(r->separation_term, "NV");
    carta_logistic_result_free(r);
    free_case(&c);
}

/* Intercept only: the MLE is logit(k/n) with SE sqrt(1/k + 1/(n-k)); Firth's estimate is
   logit((k + 1/2) / (n + 1)). Here k = 3 events in n = 8. */
Test(logistic, intercept_only_closed_forms)
{
    double y[] = { 1, 0, 0, 1, 0, 0, 1, 0 };
    carta_matrix m = { 8, 0, NULL, NULL };
    carta_logistic_spec spec;
    carta_logistic_spec_default(&spec);
    carta_logistic_result *r;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_logistic_fit(&spec, y, &m, &r, &err), CARTA_OK, "%s", err.msg);
    cr_expect(check_rel(r->terms[0].coef, log(3.0 / 5.0), 1e-12, "ml intercept"));
    cr_expect(check_rel(r->terms[0].se, sqrt(1.0 / 3 + 1.0 / 5), 1e-12, "ml se"));
    cr_expect(check_rel(r->loglik, 3 * log(3.0 / 8) + 5 * log(5.0 / 8), 1e-12, "ml loglik"));
    carta_logistic_result_free(r);
    spec.firth = 1;
    cr_assert_eq(carta_logistic_fit(&spec, y, &m, &r, &err), CARTA_OK, "%s", err.msg);
    cr_expect(check_rel(r->terms[0].coef, log(3.5 / 5.5), 1e-12, "firth intercept"));
    carta_logistic_result_free(r);
}

/* One binary covariate: the MLE is the log odds ratio of the 2x2 table (a=4, b=2 / c=1, d=5). */
Test(logistic, binary_covariate_gives_the_log_odds_ratio)
{
    double x[12], y[12];
    /* x = 1: 4 events, 2 non-events; x = 0: 1 event, 5 non-events */
    for (int i = 0; i < 12; i++) {
        x[i] = i < 6;
        y[i] = i < 4 || i == 6;
    }
    const char *names[] = { "exposed" };
    carta_matrix m = { 12, 1, x, names };
    carta_logistic_spec spec;
    carta_logistic_spec_default(&spec);
    carta_logistic_result *r;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_logistic_fit(&spec, y, &m, &r, &err), CARTA_OK, "%s", err.msg);
    cr_expect(check_rel(r->terms[1].coef, log((4.0 * 5) / (2.0 * 1)), 1e-12, "log OR"));
    cr_expect(check_rel(r->terms[1].se, sqrt(1.0 / 4 + 1.0 / 2 + 1.0 / 1 + 1.0 / 5), 1e-10, "Woolf SE"));
    cr_expect(check_rel(r->terms[0].coef, log(1.0 / 5), 1e-12, "intercept"));
    carta_logistic_result_free(r);
}

Test(logistic, weight_two_equals_a_duplicated_row)
{
    ref_case c;
    load_case("infert_ml", &c);
    /* Duplicate the first 40 rows, and compare with weight 2 on them. */
    size_t n2 = c.n + 40;
    double *x2 = malloc(n2 * c.p * sizeof *x2), *y2 = malloc(n2 * sizeof *y2), *w = malloc(c.n * sizeof *w);
    for (size_t j = 0; j < c.p; j++) {
        memcpy(x2 + j * n2, c.x + j * c.n, c.n * sizeof *x2);
        memcpy(x2 + j * n2 + c.n, c.x + j * c.n, 40 * sizeof *x2);
    }
    memcpy(y2, c.y, c.n * sizeof *y2);
    memcpy(y2 + c.n, c.y, 40 * sizeof *y2);
    for (size_t i = 0; i < c.n; i++) w[i] = i < 40 ? 2 : 1;
    carta_matrix m2 = { n2, c.p, x2, (const char *const *)c.names };
    carta_logistic_result *a, *b;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_logistic_fit(&c.spec, y2, &m2, &a, &err), CARTA_OK);
    c.spec.weight = w;
    cr_assert_eq(carta_logistic_fit(&c.spec, c.y, &c.m, &b, &err), CARTA_OK);
    for (size_t j = 0; j < a->p; j++) {
        cr_expect(check_rel(b->terms[j].coef, a->terms[j].coef, 1e-9, "coef[%zu]", j));
        cr_expect(check_rel(b->terms[j].se, a->terms[j].se, 1e-9, "se[%zu]", j));
    }
    cr_expect(check_rel(b->loglik, a->loglik, 1e-12, "loglik"));
    carta_logistic_result_free(a);
    carta_logistic_result_free(b);
    free(x2);
    free(y2);
    free(w);
    free_case(&c);
}

Test(logistic, scaling_a_covariate_divides_its_coefficient)
{
    ref_case c;
    load_case("infert_ml", &c);
    carta_logistic_result *a, *b;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_logistic_fit(&c.spec, c.y, &c.m, &a, &err), CARTA_OK);
    for (size_t i = 0; i < c.n; i++) c.x[i + 2 * c.n] *= 2.385; /* age */
    cr_assert_eq(carta_logistic_fit(&c.spec, c.y, &c.m, &b, &err), CARTA_OK);
    cr_expect(check_rel(b->terms[3].coef, a->terms[3].coef / 2.385, 1e-9, "scaled coef"));
    cr_expect(check_rel(b->terms[3].z, a->terms[3].z, 1e-9, "scaled z"));
    cr_expect(check_rel(b->loglik, a->loglik, 1e-12, "loglik"));
    carta_logistic_result_free(a);
    carta_logistic_result_free(b);
    free_case(&c);
}

Test(logistic, bad_input_is_a_clear_error)
{
    double x[] = { 1, 2, 3, 4, NAN, 6 }, y[] = { 0, 1, 0, 1, 0, 1 };
    const char *names[] = { "LDH" };
    carta_matrix m = { 6, 1, x, names };
    carta_logistic_spec spec;
    carta_logistic_spec_default(&spec);
    carta_logistic_result *r;
    carta_error err;
    carta_error_clear(&err);
    cr_expect_eq(carta_logistic_fit(&spec, y, &m, &r, &err), CARTA_EDATA);
    cr_expect(err.row == 5 && strcmp(err.field, "LDH") == 0, "%s", err.msg);
    x[4] = 5;
    y[2] = 2;
    carta_error_clear(&err);
    cr_expect_eq(carta_logistic_fit(&spec, y, &m, &r, &err), CARTA_EDATA);
    cr_expect_eq(err.row, 3);
    double ones[] = { 1, 1, 1, 1, 1, 1 };
    carta_error_clear(&err);
    cr_expect_eq(carta_logistic_fit(&spec, ones, &m, &r, &err), CARTA_ENUMERIC);
    cr_expect(strstr(err.msg, "only one class"), "%s", err.msg);
    /* A constant column is collinear with the intercept. */
    double cx[] = { 2, 2, 2, 2, 2, 2 }, cy[] = { 0, 1, 0, 1, 1, 0 };
    carta_matrix cm = { 6, 1, cx, names };
    carta_error_clear(&err);
    cr_expect_eq(carta_logistic_fit(&spec, cy, &cm, &r, &err), CARTA_ENUMERIC);
    cr_expect_str_eq(err.field, "LDH");
    spec.conf_level = 1.5;
    carta_error_clear(&err);
    cr_expect_eq(carta_logistic_spec_check(&spec, &err), CARTA_ECONFIG);
    cr_expect_str_eq(err.field, "conf_level");
}

Test(logistic, every_failed_allocation_ends_cleanly)
{
    ref_case c;
    load_case("infert_firth", &c);
    for (long k = 1; k < 200; k++) {
        carta_logistic_result *r = NULL;
        carta_error err;
        carta_error_clear(&err);
        carta_alloc_fail_at(k);
        int rc = carta_logistic_fit(&c.spec, c.y, &c.m, &r, &err);
        carta_alloc_fail_at(0);
        cr_assert(rc == CARTA_OK || rc == CARTA_ENOMEM, "k=%ld rc=%d", k, rc);
        carta_logistic_result_free(r);
        if (rc == CARTA_OK) break;
    }
    free_case(&c);
}
