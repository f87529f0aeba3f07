/* Unit tests of fit/logrank.c: R survdiff references (tests/reference/logrank/), a hand-worked
   two-group case in fractions, invariances and bad input. */
#include <carta/alloc.h>
#include <carta/error.h>
#include <carta/logrank.h>

#include "check.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double *arr(const cJSON *obj, const char *key, size_t *n)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!a) { *n = 0; return NULL; }
    if (cJSON_IsNumber(a)) { double *v = malloc(sizeof *v); *v = a->valuedouble; *n = 1; return v; }
    return ref_doubles(obj, key, n);
}

static int *ints(const double *v, size_t n)
{
    if (!v) return NULL;
    int *o = malloc(n * sizeof *o);
    for (size_t i = 0; i < n; i++) o[i] = (int)v[i];
    return o;
}

static void run_case(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "tests/reference/logrank/%s.json", name);
    cJSON *j = ref_load(path);
    size_t n, k;
    double *time = arr(j, "time", &n), *st = arr(j, "status", &k), *g = arr(j, "group", &k);
    double *sv = arr(j, "strata", &k);
    int *status = ints(st, n), *group = ints(g, n), *strata = ints(sv, n);
    const cJSON *gl = cJSON_GetObjectItemCaseSensitive(j, "group_labels");
    const cJSON *sl = cJSON_GetObjectItemCaseSensitive(j, "strata_labels");
    carta_surv_data d = { .n = n, .time = time, .status = status, .group = group,
                          .n_groups = (size_t)cJSON_GetArraySize(gl), .strata = strata,
                          .n_strata = sl ? (size_t)cJSON_GetArraySize(sl) : 0 };
    carta_logrank_spec spec;
    carta_logrank_spec_default(&spec);
    spec.rho = cJSON_GetObjectItemCaseSensitive(j, "rho")->valuedouble;
    carta_error err;
    carta_error_clear(&err);
    carta_logrank_result *r = NULL;
    cr_assert_eq(carta_logrank_fit(&spec, &d, &r, &err), CARTA_OK, "%s: %s", name, err.msg);
    size_t ng = r->n_groups, m;
    double *o = malloc(ng * sizeof *o), *e = malloc(ng * sizeof *e), *nn = malloc(ng * sizeof *nn);
    for (size_t i = 0; i < ng; i++) { o[i] = r->groups[i].observed; e[i] = r->groups[i].expected; nn[i] = (double)r->groups[i].n; }
    int bad = 0;
    double *x = arr(j, "observed", &m); cr_assert_eq(m, ng);
    bad += check_vec(o, x, ng, ref_tol(j, "observed"), name); free(x);
    x = arr(j, "expected", &m);
    bad += check_vec(e, x, ng, ref_tol(j, "expected"), name); free(x);
    x = arr(j, "group_n", &m);
    bad += check_vec(nn, x, ng, 0, name); free(x);
    x = arr(j, "var", &m); cr_assert_eq(m, ng * ng);
    bad += check_vec(r->var, x, ng * ng, ref_tol(j, "var"), name); free(x); /* symmetric: order moot */
    if (d.strata) {
        x = arr(j, "observed_strata", &m); cr_assert_eq(m, ng * d.n_strata);
        bad += check_vec(r->observed_strata, x, m, ref_tol(j, "observed"), name); free(x);
        x = arr(j, "expected_strata", &m);
        bad += check_vec(r->expected_strata, x, m, ref_tol(j, "expected"), name); free(x);
    }
    bad += !check_rel(r->chisq, cJSON_GetObjectItemCaseSensitive(j, "chisq")->valuedouble, ref_tol(j, "chisq"), "%s chisq", name);
    bad += !check_rel(r->df, cJSON_GetObjectItemCaseSensitive(j, "df")->valuedouble, 0, "%s df", name);
    bad += !check_rel(r->p, cJSON_GetObjectItemCaseSensitive(j, "p")->valuedouble, ref_tol(j, "p"), "%s p", name);
    cr_expect_eq(bad, 0, "%s: %d mismatches (listed above)", name, bad);
    carta_logrank_result_free(r);
    free(o); free(e); free(nn); free(time); free(st); free(g); free(sv); free(status); free(group); free(strata);
    cJSON_Delete(j);
}

Test(logrank, r_lung_sex) { run_case("lung_sex"); }
Test(logrank, r_lung_sex_rho1) { run_case("lung_sex_rho1"); }
Test(logrank, r_lung_ecog_strat_sex) { run_case("lung_ecog_strat_sex"); }
Test(logrank, r_lung_ecog_strat_sex_rho05) { run_case("lung_ecog_strat_sex_rho05"); }
Test(logrank, r_veteran_celltype_strat_rho1) { run_case("veteran_celltype"); }
Test(logrank, r_aml_x) { run_case("aml_x"); }
Test(logrank, r_adtte_trta) { run_case("adtte_trta"); }

/* ---- hand-worked: A = {1 death, 3 death}, B = {2 death, 4 censored} ---- */
Test(logrank, hand_worked_fractions)
{
    const double t[4] = { 3, 2, 4, 1 };
    const int s[4] = { 1, 1, 0, 1 }, g[4] = { 0, 1, 1, 0 };
    carta_surv_data d = { .n = 4, .time = t, .status = s, .group = g, .n_groups = 2 };
    carta_logrank_spec spec;
    carta_logrank_spec_default(&spec);
    carta_error err;
    carta_error_clear(&err);
    carta_logrank_result *r = NULL;
    cr_assert_eq(carta_logrank_fit(&spec, &d, &r, &err), CARTA_OK, "%s", err.msg);
    /* E_A = 2/4 + 1/3 + 1/2; V_AA = 1/4 + 2/9 + 1/4; chisq = (2/3)^2 / (13/18) */
    cr_expect(check_rel(r->groups[0].observed, 2, 0, "O_A"));
    cr_expect(check_rel(r->groups[0].expected, 4.0 / 3, 1e-15, "E_A"));
    cr_expect(check_rel(r->groups[1].expected, 5.0 / 3, 1e-15, "E_B"));
    cr_expect(check_rel(r->var[0], 13.0 / 18, 1e-15, "V_AA"));
    cr_expect(check_rel(r->var[1], -13.0 / 18, 1e-15, "V_AB"));
    cr_expect(check_rel(r->chisq, 8.0 / 13, 1e-14, "chisq"));
    cr_expect(r->df == 1);
    carta_logrank_result_free(r);
    /* rho = 1: weights S(t-) = 1, 3/4, 1/2 */
    spec.rho = 1;
    cr_assert_eq(carta_logrank_fit(&spec, &d, &r, &err), CARTA_OK, "%s", err.msg);
    cr_expect(check_rel(r->groups[0].observed, 1.5, 1e-15, "O_A rho1"));
    cr_expect(check_rel(r->groups[0].expected, 1, 1e-15, "E_A rho1"));
    cr_expect(check_rel(r->groups[1].observed, 0.75, 1e-15, "O_B rho1"));
    cr_expect(check_rel(r->var[0], 7.0 / 16, 1e-15, "V rho1"));
    cr_expect(check_rel(r->chisq, 4.0 / 7, 1e-14, "chisq rho1"));
    carta_logrank_result_free(r);
}

Test(logrank, bad_input)
{
    const double t[4] = { 3, 2, 4, 1 }, w[4] = { 1, 1, 1, 1 }, st[4] = { 0, 0, 0, 0 };
    const int s[4] = { 1, 1, 0, 1 }, g1[4] = { 0, 0, 0, 0 }, g3[4] = { 0, 2, 2, 0 };
    carta_logrank_spec spec;
    carta_logrank_spec_default(&spec);
    carta_error err;
    carta_logrank_result *r = NULL;
    /* one group with rows */
    carta_surv_data d = { .n = 4, .time = t, .status = s, .group = g1, .n_groups = 2 };
    carta_error_clear(&err);
    cr_expect_eq(carta_logrank_fit(&spec, &d, &r, &err), CARTA_EDATA);
    cr_expect_null(r);
    /* an empty middle group: kept with zeros, left out of the df */
    d.group = g3; d.n_groups = 3;
    carta_error_clear(&err);
    cr_assert_eq(carta_logrank_fit(&spec, &d, &r, &err), CARTA_OK, "%s", err.msg);
    cr_expect(r->groups[1].n == 0 && r->groups[1].expected == 0 && r->df == 1);
    cr_expect(check_rel(r->chisq, 8.0 / 13, 1e-14, "chisq with an empty group"));
    carta_logrank_result_free(r);
    r = NULL;
    d.weight = w;
    carta_error_clear(&err);
    cr_expect_eq(carta_logrank_fit(&spec, &d, &r, &err), CARTA_EDATA);
    d.weight = NULL; d.start = st;
    carta_error_clear(&err);
    cr_expect_eq(carta_logrank_fit(&spec, &d, &r, &err), CARTA_EDATA);
    spec.rho = -1;
    carta_error_clear(&err);
    cr_expect_eq(carta_logrank_spec_check(&spec, &err), CARTA_ECONFIG);
}

Test(logrank, r_near_ties_timefix) { run_case("near_ties"); }

Test(logrank, failed_allocations_leak_nothing)
{
    const double t[8] = { 3, 2, 4, 1, 5, 2, 6, 3 };
    const int s[8] = { 1, 1, 0, 1, 1, 0, 1, 1 }, g[8] = { 0, 1, 1, 0, 2, 2, 0, 1 }, h[8] = { 0, 0, 1, 1, 0, 1, 0, 1 };
    carta_surv_data d = { .n = 8, .time = t, .status = s, .group = g, .n_groups = 3, .strata = h, .n_strata = 2 };
    carta_logrank_spec spec;
    carta_logrank_spec_default(&spec);
    int ok = 0;
    for (long k = 1; k < 200 && !ok; k++) {
        carta_error err;
        carta_error_clear(&err);
        carta_logrank_result *r = NULL;
        carta_alloc_fail_at(k);
        int rc = carta_logrank_fit(&spec, &d, &r, &err);
        carta_alloc_fail_at(0);
        cr_assert(rc == CARTA_OK || rc == CARTA_ENOMEM, "k=%ld rc=%d %s", k, rc, err.msg);
        if (rc == CARTA_OK) ok = 1; else cr_expect_null(r);
        carta_logrank_result_free(r);
    }
    cr_expect(ok);
}
