/* Unit tests of fit/cif.c: R references (multi-state survfit and cmprsk::cuminc, in
   tests/reference/cif/), the one-cause identity with Kaplan-Meier, and bad input. */
#include <carta/alloc.h>
#include <carta/cif.h>
#include <carta/error.h>
#include <carta/km.h>

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
    if (cJSON_IsNumber(a) || cJSON_IsNull(a)) {
        double *v = malloc(sizeof *v);
        *v = cJSON_IsNumber(a) ? a->valuedouble : (double)NAN;
        *n = 1;
        return v;
    }
    return ref_doubles(obj, key, n);
}

static int *ints(const double *v, size_t n)
{
    if (!v) return NULL;
    int *o = malloc(n * sizeof *o);
    for (size_t i = 0; i < n; i++) o[i] = (int)v[i];
    return o;
}

static int conf_of(const char *s)
{
    if (!strcmp(s, "log")) return CARTA_KM_CONF_LOG;
    if (!strcmp(s, "log-log")) return CARTA_KM_CONF_LOGLOG;
    if (!strcmp(s, "plain")) return CARTA_KM_CONF_PLAIN;
    cr_assert_fail("conf_type %s", s);
    return -1;
}

static int cmp(const double *obs, size_t nobs, const cJSON *cv, const char *key, double tol, const char *what)
{
    size_t n;
    double *e = arr(cv, key, &n);
    char w[256];
    snprintf(w, sizeof w, "%s %s", what, key);
    if (n != nobs) { fprintf(stderr, "%s: %zu values vs %zu expected\n", w, nobs, n); free(e); return 1; }
    int bad = check_vec(obs, e, n, tol, w);
    free(e);
    return bad;
}

static void run_case(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "tests/reference/cif/%s.json", name);
    cJSON *j = ref_load(path);
    size_t n, k;
    double *time = arr(j, "time", &n), *st = arr(j, "status", &k), *g = arr(j, "group", &k),
           *sv = arr(j, "strata", &k), *w = arr(j, "weights", &k), *sa = arr(j, "start", &k);
    double *idd = arr(j, "id", &k);
    int *status = ints(st, n), *group = ints(g, n), *strata = ints(sv, n), *id = ints(idd, n);
    const cJSON *gl = cJSON_GetObjectItemCaseSensitive(j, "group_labels");
    size_t ng = gl ? (size_t)cJSON_GetArraySize(gl) : 0;
    const char **labels = NULL;
    if (gl) {
        labels = malloc(ng * sizeof *labels);
        for (size_t i = 0; i < ng; i++) labels[i] = cJSON_GetArrayItem(gl, (int)i)->valuestring;
    }
    const cJSON *nsj = cJSON_GetObjectItemCaseSensitive(j, "n_strata");
    carta_surv_data d = { .n = n, .time = time, .start = sa, .id = id, .status = status, .weight = w, .group = group,
                          .n_groups = ng, .group_labels = labels, .strata = strata,
                          .n_strata = nsj ? (size_t)nsj->valuedouble : 0,
                          .n_causes = (size_t)cJSON_GetObjectItemCaseSensitive(j, "n_causes")->valuedouble };
    carta_cif_spec spec;
    carta_cif_spec_default(&spec);
    spec.conf_type = conf_of(cJSON_GetObjectItemCaseSensitive(j, "conf_type")->valuestring);
    spec.conf_level = cJSON_GetObjectItemCaseSensitive(j, "conf_level")->valuedouble;
    spec.rho = cJSON_GetObjectItemCaseSensitive(j, "rho")->valuedouble;
    carta_error err;
    carta_error_clear(&err);
    carta_cif_result *r = NULL;
    if (sa && ng > 1) {
        /* delayed entry: Gray's test (cmprsk has no entry times) is refused, naming why */
        cr_assert_eq(carta_cif_fit(&spec, &d, &r, &err), CARTA_EDATA, "%s: Gray's test accepted entry times", name);
        cr_expect(strstr(err.msg, "delayed entry") != NULL, "%s: %s", name, err.msg);
        cr_expect_null(r);
        spec.gray = 0;
        carta_error_clear(&err);
    }
    cr_assert_eq(carta_cif_fit(&spec, &d, &r, &err), CARTA_OK, "%s: %s", name, err.msg);
    const cJSON *causes = cJSON_GetObjectItemCaseSensitive(j, "causes");
    cr_assert_eq((size_t)cJSON_GetArraySize(causes), r->n_causes);
    int bad = 0;
    for (size_t c = 0; c < r->n_causes; c++) {
        const cJSON *cj = cJSON_GetArrayItem(causes, (int)c);
        const cJSON *curves = cJSON_GetObjectItemCaseSensitive(cj, "curves");
        carta_cif_cause *ca = &r->causes[c];
        cr_assert_eq((size_t)cJSON_GetArraySize(curves), ca->n_curves);
        for (size_t h = 0; h < ca->n_curves; h++) {
            const cJSON *cv = cJSON_GetArrayItem(curves, (int)h);
            carta_cif_curve *o = &ca->curves[h];
            char what[128];
            snprintf(what, sizeof what, "%s cause %zu %s", name, c + 1, o->label);
            bad += cmp(o->time, o->n_rows, cv, "time", 0, what);
            bad += cmp(o->cif, o->n_rows, cv, "cif", ref_tol(j, "cif"), what);
            bad += cmp(o->std_err, o->n_rows, cv, "std_err", ref_tol(j, "std_err"), what);
            bad += cmp(o->lower, o->n_rows, cv, "lower", ref_tol(j, "limit"), what);
            bad += cmp(o->upper, o->n_rows, cv, "upper", ref_tol(j, "limit"), what);
        }
        const cJSON *gr = cJSON_GetObjectItemCaseSensitive(cj, "gray");
        if (gr) {
            cr_expect(ca->has_gray, "%s cause %zu: no Gray test", name, c + 1);
            bad += !check_rel(ca->gray_chisq, cJSON_GetObjectItemCaseSensitive(gr, "stat")->valuedouble, ref_tol(j, "gray"), "%s cause %zu gray stat", name, c + 1);
            bad += !check_rel(ca->gray_p, cJSON_GetObjectItemCaseSensitive(gr, "pv")->valuedouble, ref_tol(j, "p"), "%s cause %zu gray p", name, c + 1);
            bad += !check_rel(ca->gray_df, cJSON_GetObjectItemCaseSensitive(gr, "df")->valuedouble, 0, "%s cause %zu gray df", name, c + 1);
        } else {
            cr_expect(!ca->has_gray, "%s cause %zu: Gray test without a reference", name, c + 1);
        }
    }
    cr_expect_eq(bad, 0, "%s: %d mismatches (listed above)", name, bad);
    carta_cif_result_free(r);
    free(time); free(st); free(g); free(sv); free(w); free(sa); free(idd); free(id); free(status); free(group); free(strata); free(labels);
    cJSON_Delete(j);
}

Test(cif, r_mgus2_sex_gray) { run_case("mgus2_sex"); }
Test(cif, r_mgus2_overall_loglog_90) { run_case("mgus2_overall_loglog"); }
Test(cif, r_sim3_strata_rho1_gray) { run_case("sim3_strata_rho1"); }
Test(cif, r_sim3_plain_gray) { run_case("sim3"); }
Test(cif, r_sim3_weights) { run_case("sim3_weights"); }
Test(cif, r_sim_entry) { run_case("sim_entry"); }
Test(cif, r_sim_entry_weights_loglog) { run_case("sim_entry_weights_loglog"); }
Test(cif, r_entry_after_empty) { run_case("entry_after_empty"); }
Test(cif, r_sim_entry_id_clustered) { run_case("sim_entry_id"); }

/* (start, stop] data whose rows all enter before the first time: the per-row IJ of delayed entry
   equals the right-censored IJ (moments of the departed rows). */
Test(cif, entry_before_every_time_equals_right_censored)
{
    cJSON *j = ref_load("tests/reference/cif/sim3_weights.json");
    size_t n, k;
    double *time = arr(j, "time", &n), *st = arr(j, "status", &k), *g = arr(j, "group", &k), *w = arr(j, "weights", &k);
    int *status = ints(st, n), *group = ints(g, n);
    double *start = malloc(n * sizeof *start);
    for (size_t i = 0; i < n; i++) start[i] = -1;
    carta_surv_data a = { .n = n, .time = time, .status = status, .group = group, .n_groups = 3, .weight = w, .n_causes = 3 };
    carta_surv_data b = a;
    b.start = start;
    carta_cif_spec spec;
    carta_cif_spec_default(&spec);
    spec.gray = 0;
    carta_error err;
    carta_error_clear(&err);
    carta_cif_result *ra = NULL, *rb = NULL;
    cr_assert_eq(carta_cif_fit(&spec, &a, &ra, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(carta_cif_fit(&spec, &b, &rb, &err), CARTA_OK, "%s", err.msg);
    for (size_t c = 0; c < 3; c++)
        for (size_t h = 0; h < 3; h++) {
            carta_cif_curve *x = &ra->causes[c].curves[h], *y = &rb->causes[c].curves[h];
            cr_assert_eq(x->n_rows, y->n_rows);
            for (size_t i = 0; i < x->n_rows; i++) {
                cr_expect(check_rel(y->cif[i], x->cif[i], 1e-14, "cif[%zu]", i));
                cr_expect(check_rel(y->std_err[i], x->std_err[i], 1e-11, "std_err[%zu]", i));
            }
        }
    carta_cif_result_free(ra);
    carta_cif_result_free(rb);
    free(time); free(st); free(g); free(w); free(status); free(group); free(start);
    cJSON_Delete(j);
}

Test(cif, one_cause_is_one_minus_kaplan_meier)
{
    cJSON *j = ref_load("tests/reference/km/lung_sex_log.json");
    size_t n, k;
    double *time = arr(j, "time", &n), *st = arr(j, "status", &k), *g = arr(j, "group", &k);
    int *status = ints(st, n), *group = ints(g, n);
    carta_surv_data d = { .n = n, .time = time, .status = status, .group = group, .n_groups = 2, .n_causes = 1 };
    carta_cif_spec cs;
    carta_cif_spec_default(&cs);
    carta_km_spec ks;
    carta_km_spec_default(&ks);
    carta_error err;
    carta_error_clear(&err);
    carta_cif_result *c = NULL;
    carta_km_result *m = NULL;
    cr_assert_eq(carta_cif_fit(&cs, &d, &c, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(carta_km_fit(&ks, &d, &m, &err), CARTA_OK, "%s", err.msg);
    for (size_t h = 0; h < 2; h++) {
        carta_cif_curve *a = &c->causes[0].curves[h];
        carta_km_curve *b = &m->curves[h];
        cr_assert_eq(a->n_rows, b->n_rows);
        for (size_t i = 0; i < a->n_rows; i++) {
            cr_expect(a->time[i] == b->time[i]);
            cr_expect(fabs(a->cif[i] - (1 - b->surv[i])) <= 1e-15, "row %zu", i);
        }
    }
    /* one cause, two groups: Gray's test is computed and is finite */
    cr_expect(c->causes[0].has_gray && isfinite(c->causes[0].gray_chisq));
    carta_cif_result_free(c);
    carta_km_result_free(m);
    free(time); free(st); free(g); free(status); free(group);
    cJSON_Delete(j);
}

Test(cif, hand_worked_ties)
{
    /* times 1 (cause 1), 2 (cause 1, cause 2, censored), 3 (cause 2), 4 (censored): n = 6 */
    const double t[6] = { 2, 1, 2, 3, 2, 4 };
    const int s[6] = { 2, 1, 0, 2, 1, 0 };
    carta_surv_data d = { .n = 6, .time = t, .status = s, .n_causes = 2 };
    carta_cif_spec spec;
    carta_cif_spec_default(&spec);
    carta_error err;
    carta_error_clear(&err);
    carta_cif_result *r = NULL;
    cr_assert_eq(carta_cif_fit(&spec, &d, &r, &err), CARTA_OK, "%s", err.msg);
    /* t=1: n=6, F1 = 1/6, S = 5/6; t=2: n=5, F1 += 5/6 * 1/5 = 1/3, F2 = 1/6, S = 5/6 * 3/5 = 1/2;
       t=3: n=2, F2 += 1/2 * 1/2 -> 5/12 */
    carta_cif_curve *c1 = &r->causes[0].curves[0], *c2 = &r->causes[1].curves[0];
    cr_assert_eq(c1->n_rows, 4);
    cr_expect(check_rel(c1->cif[0], 1.0 / 6, 1e-15, "F1(1)"));
    cr_expect(check_rel(c1->cif[1], 1.0 / 3, 1e-15, "F1(2)"));
    cr_expect(check_rel(c2->cif[1], 1.0 / 6, 1e-15, "F2(2)"));
    cr_expect(check_rel(c2->cif[2], 5.0 / 12, 1e-15, "F2(3)"));
    cr_expect(check_rel(c2->cif[3], 5.0 / 12, 1e-15, "F2(4)"));
    /* IJ at t=1: influence of the death is (1 - 1/6)/6 = 5/36, of the 5 others -1/36 each:
       var = 25/1296 + 5/1296 = 30/1296 */
    cr_expect(check_rel(c1->std_err[0], sqrt(30.0 / 1296), 1e-14, "se F1(1)"));
    carta_cif_result_free(r);
}

Test(cif, bad_input)
{
    const double t[4] = { 3, 2, 4, 1 }, st[4] = { 0, 2, 0, 0 }; /* row 2 enters at its exit */
    const int s[4] = { 1, 3, 0, 1 };
    carta_cif_spec spec;
    carta_cif_spec_default(&spec);
    carta_error err;
    carta_cif_result *r = NULL;
    carta_surv_data d = { .n = 4, .time = t, .status = s, .n_causes = 2 };
    carta_error_clear(&err);
    cr_expect_eq(carta_cif_fit(&spec, &d, &r, &err), CARTA_EDATA); /* status 3 > n_causes */
    cr_expect_eq(err.row, 2);
    d.n_causes = 3; d.start = st;
    carta_error_clear(&err);
    cr_expect_eq(carta_cif_fit(&spec, &d, &r, &err), CARTA_EDATA); /* entry at exit */
    cr_expect_eq(err.row, 2);
    d.start = NULL; d.n_causes = 0;
    carta_error_clear(&err);
    cr_expect_eq(carta_cif_fit(&spec, &d, &r, &err), CARTA_EDATA);
    cr_expect_null(r);
}

Test(cif, failed_allocations_leak_nothing)
{
    const double t[8] = { 2, 1, 2, 3, 2, 4, 5, 1 };
    const int s[8] = { 2, 1, 0, 2, 1, 0, 1, 2 }, g[8] = { 0, 1, 0, 1, 0, 1, 0, 1 }, h[8] = { 0, 0, 1, 1, 0, 0, 1, 1 };
    carta_surv_data d = { .n = 8, .time = t, .status = s, .n_causes = 2, .group = g, .n_groups = 2,
                          .strata = h, .n_strata = 2 };
    carta_cif_spec spec;
    carta_cif_spec_default(&spec);
    const double en[8] = { 0, 0, 1, 0, 0.5, 1, 2, 0 };
    for (int pass = 0; pass < 2; pass++) {
    if (pass == 1) { d.start = en; spec.gray = 0; } /* delayed entry */
    int ok = 0;
    for (long k = 1; k < 300 && !ok; k++) {
        carta_error err;
        carta_error_clear(&err);
        carta_cif_result *r = NULL;
        carta_alloc_fail_at(k);
        int rc = carta_cif_fit(&spec, &d, &r, &err);
        carta_alloc_fail_at(0);
        cr_assert(rc == CARTA_OK || rc == CARTA_ENOMEM, "k=%ld rc=%d", k, rc);
        if (rc == CARTA_OK) ok = 1; else cr_expect_null(r);
        carta_cif_result_free(r);
    }
    cr_expect(ok);
    }
}
