/* Constant and collinear column detection: against R's lm (aliased coefficients and rank,
   tests/reference/design/collinear.json), and on hand-built matrices whose dependencies are
   exact: names, the columns a dependency involves, NaN rows, several QR blocks, the tolerance
   and the fail option. */
#include <carta/alloc.h>
#include <carta/design.h>

#include "check.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Test(design_check, matches_the_columns_r_lm_leaves_aliased)
{
    cJSON *ref = ref_load("tests/reference/design/collinear.json");
    const cJSON *cols = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ref, "data"), "columns");
    size_t p = (size_t)cJSON_GetArraySize(cols), n = 0;
    double *x = NULL;
    const char *names[16];
    for (size_t j = 0; j < p; j++) {
        const cJSON *c = cJSON_GetArrayItem(cols, (int)j);
        names[j] = cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring;
        size_t k;
        double *v = ref_doubles(c, "values", &k);
        if (!x) {
            n = k;
            x = malloc(n * p * sizeof *x);
        }
        cr_assert_eq(k, n);
        memcpy(x + j * n, v, n * sizeof *x);
        free(v);
    }
    carta_matrix m = { .n = n, .p = p, .data = x, .names = names };
    carta_design_check_result *r;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_design_check(&m, NULL, &r, &err), CARTA_OK, "%s", err.msg);
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(ref, "expected");
    const cJSON *aliased = cJSON_GetObjectItemCaseSensitive(exp, "aliased");
    cr_expect_eq(r->rank, (size_t)cJSON_GetObjectItemCaseSensitive(exp, "rank")->valuedouble);
    /* R lists aliased columns in column order; carta lists constant ones first. Compare as sets. */
    cr_assert_eq(r->n_issues, (size_t)cJSON_GetArraySize(aliased));
    const cJSON *a;
    cJSON_ArrayForEach(a, aliased) {
        size_t k = 0;
        while (k < r->n_issues && strcmp(names[r->issues[k].column], a->valuestring) != 0) k++;
        cr_expect(k < r->n_issues, "R aliases %s, carta does not report it", a->valuestring);
    }
    carta_design_check_free(r);
    free(x);
    cJSON_Delete(ref);
}

Test(design_check, names_constant_and_collinear_columns_and_their_partners)
{
    enum { n = 12, p = 8 };
    double x[n * p];
    const char *names[p] = { "(Intercept)", "x1", "sexM", "x2", "x3", "fa", "fb", "fc" };
    for (size_t i = 0; i < n; i++) {
        double x1 = (double)((i * 7) % 11), x2 = (double)((i * i) % 5);
        x[i + 0 * n] = 1;
        x[i + 1 * n] = x1;
        x[i + 2 * n] = 1;               /* constant */
        x[i + 3 * n] = x2;
        x[i + 4 * n] = x1 - 3 * x2;     /* exact in doubles: small integers */
        x[i + 5 * n] = i % 3 == 0;      /* full dummy coding: fa + fb + fc = 1 */
        x[i + 6 * n] = i % 3 == 1;
        x[i + 7 * n] = i % 3 == 2;
    }
    carta_matrix m = { .n = n, .p = p, .data = x, .names = names };
    carta_design_check_result *r;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_design_check(&m, NULL, &r, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(r->n_issues, 3);
    cr_expect_str_eq(r->issues[0].message, "column sexM is constant");
    cr_expect_eq(r->issues[0].constant, 1);
    cr_expect_str_eq(r->issues[1].message, "column x3 is collinear with x1, x2");
    cr_expect_eq(r->issues[1].column, 4);
    cr_expect_eq(r->issues[1].n_with, 2);
    cr_expect_str_eq(r->issues[2].message, "column fc is collinear with fa, fb");
    cr_expect_eq(r->rank, 4); /* x1, x2, fa, fb */
    cr_expect_eq(r->n_rows_used, n);
    carta_design_check_free(r);

    /* As an error: CARTA_ENUMERIC naming the first problem, and no report. */
    carta_design_check_spec spec;
    carta_design_check_spec_default(&spec);
    spec.fail = 1;
    r = NULL;
    carta_error_clear(&err);
    cr_assert_eq(carta_design_check(&m, &spec, &r, &err), CARTA_ENUMERIC);
    cr_assert_null(r);
    cr_assert(strstr(err.msg, "column sexM is constant"), "%s", err.msg);
}

Test(design_check, rows_with_nan_are_left_out_and_the_tolerance_decides_near_collinearity)
{
    enum { n = 30, p = 3 };
    double x[n * p];
    const char *names[p] = { "a", "b", "c" };
    for (size_t i = 0; i < n; i++) {
        double a = (double)((i * 13) % 17) - 8;
        x[i] = a;
        x[i + n] = i == 4 ? (double)NAN : 2 * a + 1;                   /* b = 2a + 1 where present */
        x[i + 2 * n] = a + 1e-4 * (double)((i * i) % 7);       /* nearly a */
    }
    x[9 + n] = 99; /* break b = 2a + 1 on a row... */
    x[9] = NAN;     /* ...that has a NaN elsewhere, so it is left out */
    carta_matrix m = { .n = n, .p = p, .data = x, .names = names };
    carta_design_check_result *r;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_design_check(&m, NULL, &r, &err), CARTA_OK, "%s", err.msg);
    cr_expect_eq(r->n_rows_used, n - 2);
    cr_assert_eq(r->n_issues, 1);
    cr_expect_str_eq(r->issues[0].message, "column b is collinear with a");
    carta_design_check_free(r);
    /* c is not collinear at 1e-7, but is at a tolerance of 1e-2. */
    carta_design_check_spec spec = { .tol = 1e-2, .fail = 0 };
    cr_assert_eq(carta_design_check(&m, &spec, &r, &err), CARTA_OK);
    cr_assert_eq(r->n_issues, 2);
    cr_expect_str_eq(r->issues[1].message, "column c is collinear with a");
    carta_design_check_free(r);
}

Test(design_check, works_across_many_qr_blocks)
{
    const size_t n = 10007, p = 4;
    double *x = malloc(n * p * sizeof *x);
    const char *names[] = { "u", "v", "w", "z" };
    for (size_t i = 0; i < n; i++) {
        x[i] = (double)(i % 97);
        x[i + n] = (double)((i * i) % 101);
        x[i + 2 * n] = (double)((i * 31) % 89);
        x[i + 3 * n] = x[i] - 3 * x[i + n] + 0.5 * x[i + 2 * n];
    }
    carta_matrix m = { .n = n, .p = p, .data = x, .names = names };
    carta_design_check_result *r;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_design_check(&m, NULL, &r, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(r->n_issues, 1);
    cr_expect_str_eq(r->issues[0].message, "column z is collinear with u, v, w");
    cr_expect_eq(r->rank, 3);
    carta_design_check_free(r);
    /* Break the relation in the last block only: full rank. */
    x[n - 1 + 3 * n] += 1;
    cr_assert_eq(carta_design_check(&m, NULL, &r, &err), CARTA_OK);
    cr_expect_eq(r->n_issues, 0);
    cr_expect_eq(r->rank, 4);
    carta_design_check_free(r);
    free(x);
}

Test(design_check, a_well_conditioned_matrix_is_clear)
{
    const size_t n = 5000, p = 6;
    double *x = malloc(n * p * sizeof *x);
    const char *names[] = { "a", "b", "c", "d", "e", "f" };
    uint64_t s = 12345;
    for (size_t k = 0; k < n * p; k++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        x[k] = (double)(s >> 11) / 9007199254740992.0 + (k >= 3 * n ? 1e6 : 0); /* large means too */
    }
    carta_matrix m = { .n = n, .p = p, .data = x, .names = names };
    carta_design_check_result *r;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_design_check(&m, NULL, &r, &err), CARTA_OK, "%s", err.msg);
    cr_expect_eq(r->n_issues, 0);
    cr_expect_eq(r->rank, p);
    carta_design_check_free(r);
    /* The same with column e replaced by a + 2 d: found whichever path decides. */
    for (size_t i = 0; i < n; i++) x[i + 4 * n] = x[i] + 2 * x[i + 3 * n];
    cr_assert_eq(carta_design_check(&m, NULL, &r, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(r->n_issues, 1);
    cr_expect_str_eq(r->issues[0].message, "column e is collinear with a, d");
    carta_design_check_free(r);
    free(x);
}
