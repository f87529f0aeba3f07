/* Unit tests of the design stage: spec checks, level order and labels, pooling, missing-value
   strategies with their counts, errors naming the feature and level, JSON round trips and
   corrupt files, the row-major float copy, and fault injection. The comparisons with R's
   model.matrix are in test_design_ref.c; constant/collinear detection in test_design_check.c. */
#include <carta/alloc.h>
#include <carta/design.h>

#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add_f64(carta_table *t, const char *name, const double *v, size_t n)
{
    carta_error err;
    carta_error_clear(&err);
    carta_column *c;
    cr_assert_eq(carta_table_add_column(t, name, CARTA_F64, &c, &err), CARTA_OK);
    for (size_t i = 0; i < n; i++) cr_assert_eq(carta_column_push_f64(c, v[i]), CARTA_OK);
}

/* INT64_MIN marks a missing value. */
static void add_i64(carta_table *t, const char *name, carta_type type, const int64_t *v, size_t n)
{
    carta_error err;
    carta_error_clear(&err);
    carta_column *c;
    cr_assert_eq(carta_table_add_column(t, name, type, &c, &err), CARTA_OK);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(v[i] == INT64_MIN ? carta_column_push_missing(c) : carta_column_push_i64(c, v[i]), CARTA_OK);
}

/* NULL marks a missing value. */
static void add_str(carta_table *t, const char *name, const char *const *v, size_t n)
{
    carta_error err;
    carta_error_clear(&err);
    carta_column *c;
    cr_assert_eq(carta_table_add_column(t, name, CARTA_STR, &c, &err), CARTA_OK);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(v[i] ? carta_column_push_str(c, v[i], strlen(v[i])) : carta_column_push_missing(c), CARTA_OK);
}

static carta_design_spec spec_of(carta_feature_spec *f, size_t n)
{
    carta_design_spec s;
    carta_design_spec_default(&s);
    s.features = f;
    s.n_features = n;
    return s;
}

static carta_feature_spec feat(const char *name)
{
    carta_feature_spec f;
    carta_feature_spec_default(&f);
    f.name = name;
    return f;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Spec checks ---- */

Test(design, spec_check_names_the_json_pointer)
{
    carta_error err;
    carta_feature_spec f[3] = { feat("age"), feat("sex"), feat("age") };
    carta_design_spec s = spec_of(f, 3);
    carta_error_clear(&err);
    cr_assert_eq(carta_design_spec_check(&s, &err), CARTA_ECONFIG);
    cr_assert_str_eq(err.field, "/features/2/name");
    cr_assert(strstr(err.msg, "listed twice"), "%s", err.msg);

    f[2] = feat("LDH");
    f[2].transform = CARTA_TRANSFORM_LOG;
    f[2].type = CARTA_FEATURE_CATEGORICAL;
    carta_error_clear(&err);
    cr_assert_eq(carta_design_spec_check(&s, &err), CARTA_ECONFIG);
    cr_assert_str_eq(err.field, "/features/2/transform");

    f[2] = feat("LDH");
    f[2].clip = 1;
    f[2].clip_lo = 5;
    f[2].clip_hi = 1;
    carta_error_clear(&err);
    cr_assert_eq(carta_design_spec_check(&s, &err), CARTA_ECONFIG);
    cr_assert_str_eq(err.field, "/features/2/clip");

    const char *lv[] = { "F", "M", "F" };
    f[2] = feat("LDH");
    f[1].type = CARTA_FEATURE_CATEGORICAL;
    f[1].levels = lv;
    f[1].n_levels = 3;
    carta_error_clear(&err);
    cr_assert_eq(carta_design_spec_check(&s, &err), CARTA_ECONFIG);
    cr_assert_str_eq(err.field, "/features/1/levels/2");

    f[1].n_levels = 2;
    f[1].reference = "X";
    carta_error_clear(&err);
    cr_assert_eq(carta_design_spec_check(&s, &err), CARTA_ECONFIG);
    cr_assert_str_eq(err.field, "/features/1/reference");

    f[1].reference = "M";
    f[1].pool_min_fraction = 1.5;
    carta_error_clear(&err);
    cr_assert_eq(carta_design_spec_check(&s, &err), CARTA_ECONFIG);
    cr_assert_str_eq(err.field, "/features/1/pool_rare/min_fraction");

    f[1].pool_min_fraction = 0.05;
    carta_interaction_spec ia[2] = { { "age", "sex" }, { "sex", "age" } };
    s.interactions = ia;
    s.n_interactions = 2;
    carta_error_clear(&err);
    cr_assert_eq(carta_design_spec_check(&s, &err), CARTA_ECONFIG);
    cr_assert_str_eq(err.field, "/interactions/1");
    ia[1] = (carta_interaction_spec){ "age", "AGE" };
    carta_error_clear(&err);
    cr_assert_eq(carta_design_spec_check(&s, &err), CARTA_ECONFIG);
    cr_assert(strstr(err.msg, "\"AGE\" is not a listed feature"), "%s", err.msg);
    s.n_interactions = 1;

    s.indicators = 1;
    carta_error_clear(&err);
    cr_assert_eq(carta_design_spec_check(&s, &err), CARTA_ECONFIG);
    cr_assert_str_eq(err.field, "/missing/indicators");
    s.missing = CARTA_MISSING_MEDIAN;
    carta_error_clear(&err);
    cr_assert_eq(carta_design_spec_check(&s, &err), CARTA_OK, "%s", err.msg);
}

/* ---- Levels ---- */

Test(design, numeric_levels_sort_as_numbers_and_dates_and_booleans_get_r_labels)
{
    carta_table *t = carta_table_new("t.csv");
    const int64_t g[] = { 10, 2, 1, 2, 10, 1 };
    const int64_t day[] = { 19000, 18000, 19000, 18000, 18500, 18500 };
    const int64_t b[] = { 1, 0, 0, 1, 1, 0 };
    add_i64(t, "g", CARTA_I64, g, 6);
    add_i64(t, "day", CARTA_DATE, day, 6);
    add_i64(t, "b", CARTA_BOOL, b, 6);
    carta_feature_spec f[3] = { feat("g"), feat("day"), feat("b") };
    for (int i = 0; i < 2; i++) f[i].type = CARTA_FEATURE_CATEGORICAL; /* b: a boolean is a factor by default */
    carta_design_spec s = spec_of(f, 3);
    carta_error err;
    carta_error_clear(&err);
    carta_design *d;
    cr_assert_eq(carta_design_fit(&s, t, &d, &err), CARTA_OK, "%s", err.msg);
    const char *want[] = { "g2", "g10", "day2020-08-26", "day2022-01-08", "bTRUE" };
    cr_assert_eq(carta_design_p(d), 5);
    for (size_t j = 0; j < 5; j++) cr_expect_str_eq(carta_design_term(d, j), want[j]);
    /* 18000 days after 1970-01-01 is 2019-04-14: the reference, first in date order. */
    cr_expect_str_eq(carta_design_feature_at(d, 1)->levels[0], "2019-04-14");
    carta_design_matrix *m;
    cr_assert_eq(carta_design_apply(d, t, &m, &err), CARTA_OK, "%s", err.msg);
    /* Row 0: g = 10, day = 19000 (2022-01-08), b = TRUE. */
    const double row0[] = { 0, 1, 0, 1, 1 };
    for (size_t j = 0; j < 5; j++) cr_expect_eq(m->x.data[0 + j * 6], row0[j], "column %zu", j);
    carta_design_matrix_free(m);
    carta_design_free(d);
    carta_table_free(t);
}

Test(design, declared_levels_fix_the_order_and_reject_undeclared_values)
{
    carta_table *t = carta_table_new("t.csv");
    const char *ecog[] = { "0", "1", "2", "1", "0", "2" };
    add_str(t, "ECOG", ecog, 6);
    const char *lv[] = { "2", "1", "0" };
    carta_feature_spec f[1] = { feat("ECOG") };
    f[0].levels = lv;
    f[0].n_levels = 3;
    carta_design_spec s = spec_of(f, 1);
    carta_error err;
    carta_error_clear(&err);
    carta_design *d;
    cr_assert_eq(carta_design_fit(&s, t, &d, &err), CARTA_OK, "%s", err.msg);
    cr_expect_str_eq(carta_design_term(d, 0), "ECOG1");
    cr_expect_str_eq(carta_design_term(d, 1), "ECOG0");
    carta_design_free(d);
    f[0].n_levels = 2; /* "0" is no longer declared */
    carta_error_clear(&err);
    cr_assert_eq(carta_design_fit(&s, t, &d, &err), CARTA_EDATA);
    cr_assert_str_eq(err.field, "ECOG");
    cr_assert(strstr(err.msg, "level \"0\" (2 rows) is not among the declared levels"), "%s", err.msg);
    carta_table_free(t);
}

Test(design, reference_must_occur_and_one_level_is_an_error)
{
    carta_table *t = carta_table_new("t.csv");
    const char *sex[] = { "F", "F", "F" };
    add_str(t, "sex", sex, 3);
    carta_feature_spec f[1] = { feat("sex") };
    carta_design_spec s = spec_of(f, 1);
    carta_error err;
    carta_design *d;
    carta_error_clear(&err);
    cr_assert_eq(carta_design_fit(&s, t, &d, &err), CARTA_EDATA);
    cr_assert(strstr(err.msg, "has 1 level (\"F\")"), "%s", err.msg);
    f[0].reference = "M";
    carta_error_clear(&err);
    cr_assert_eq(carta_design_fit(&s, t, &d, &err), CARTA_EDATA);
    cr_assert(strstr(err.msg, "reference level \"M\" does not occur"), "%s", err.msg);
    carta_table_free(t);
}

/* ---- Pooling ---- */

Test(design, pooling_keeps_an_explicit_rare_reference_and_merges_a_real_other)
{
    carta_table *t = carta_table_new("t.csv");
    const char *p[] = { "a", "a", "a", "b", "b", "b", "c", "other", "d", "a" };
    add_str(t, "p", p, N(p));
    carta_feature_spec f[1] = { feat("p") };
    f[0].pool_min_count = 2;
    f[0].reference = "d";
    carta_design_spec s = spec_of(f, 1);
    carta_error err;
    carta_error_clear(&err);
    carta_design *d;
    cr_assert_eq(carta_design_fit(&s, t, &d, &err), CARTA_OK, "%s", err.msg);
    const carta_design_feature *fd = carta_design_feature_at(d, 0);
    /* Levels: a, b, d (kept: reference), other (= c + the real "other"). */
    cr_assert_eq(fd->n_levels, 4);
    cr_expect_str_eq(fd->levels[2], "d");
    cr_expect_str_eq(fd->levels[3], "other");
    cr_assert_eq(fd->n_pooled, 2);
    cr_expect_str_eq(fd->pooled[0], "c");
    cr_expect_str_eq(fd->pooled[1], "other");
    cr_expect_str_eq(carta_design_term(d, 0), "pa");
    cr_expect_str_eq(carta_design_term(d, 2), "pother");

    /* New data: a pooled level maps to "other"; an unseen level is an error naming it. */
    carta_table *u = carta_table_new("new.csv");
    const char *q[] = { "c", "a", "d" };
    add_str(u, "p", q, 3);
    carta_design_matrix *m;
    cr_assert_eq(carta_design_apply(d, u, &m, &err), CARTA_OK, "%s", err.msg);
    cr_expect_eq(m->x.data[0 + 2 * 3], 1.0);
    cr_expect_eq(m->x.data[0 + 0 * 3], 0.0);
    cr_expect_eq(m->x.data[2 + 0 * 3] + m->x.data[2 + 1 * 3] + m->x.data[2 + 2 * 3], 0.0);
    carta_design_matrix_free(m);
    carta_table *v = carta_table_new("new2.csv");
    const char *r[] = { "a", "e", "e", "b" };
    add_str(v, "p", r, 4);
    carta_error_clear(&err);
    cr_assert_eq(carta_design_apply(d, v, &m, &err), CARTA_EDATA);
    cr_assert_null(m);
    cr_assert_str_eq(err.field, "p");
    cr_assert_eq(err.row, 2);
    cr_assert(strstr(err.msg, "unseen level \"e\""), "%s", err.msg);
    cr_assert(strstr(err.msg, "in 2 rows (data rows 2, 3)"), "%s", err.msg);
    carta_table_free(u);
    carta_table_free(v);
    carta_design_free(d);
    carta_table_free(t);
}

Test(design, a_numeric_reference_that_does_not_occur_is_an_error_also_with_pooling)
{
    carta_table *t = carta_table_new("t.csv");
    const int64_t g[] = { 1, 1, 2, 2, 3, 7 };
    add_i64(t, "g", CARTA_I64, g, 6);
    carta_feature_spec f[1] = { feat("g") };
    f[0].type = CARTA_FEATURE_CATEGORICAL;
    f[0].pool_min_count = 2;
    f[0].reference = "5";
    carta_design_spec s = spec_of(f, 1);
    carta_error err;
    carta_error_clear(&err);
    carta_design *d;
    cr_assert_eq(carta_design_fit(&s, t, &d, &err), CARTA_EDATA);
    cr_assert(strstr(err.msg, "reference level \"5\" does not occur"), "%s", err.msg);
    f[0].reference = "other"; /* 3 and 7 pooled: "other" is a level and may be the reference */
    carta_error_clear(&err);
    cr_assert_eq(carta_design_fit(&s, t, &d, &err), CARTA_OK, "%s", err.msg);
    cr_expect_str_eq(carta_design_term(d, 0), "g1");
    cr_expect_str_eq(carta_design_term(d, 1), "g2");
    carta_design_free(d);
    carta_table_free(t);
}

Test(design, numeric_categorical_unseen_value_and_wrong_column_type_are_errors)
{
    carta_table *t = carta_table_new("t.csv");
    const int64_t g[] = { 1, 2, 3, 1, 2, 3 };
    add_i64(t, "g", CARTA_I64, g, 6);
    carta_feature_spec f[1] = { feat("g") };
    f[0].type = CARTA_FEATURE_CATEGORICAL;
    carta_design_spec s = spec_of(f, 1);
    carta_error err;
    carta_error_clear(&err);
    carta_design *d;
    carta_design_matrix *m;
    cr_assert_eq(carta_design_fit(&s, t, &d, &err), CARTA_OK, "%s", err.msg);
    carta_table *u = carta_table_new("new.csv");
    const double g2[] = { 1, 2.5, 3 };
    add_f64(u, "g", g2, 3); /* a float column is fine, its values must be levels */
    cr_assert_eq(carta_design_apply(d, u, &m, &err), CARTA_EDATA);
    cr_assert(strstr(err.msg, "unseen level \"2.5\""), "%s", err.msg);
    carta_table *v = carta_table_new("new2.csv");
    const char *gs[] = { "1", "2", "3" };
    add_str(v, "g", gs, 3);
    carta_error_clear(&err);
    cr_assert_eq(carta_design_apply(d, v, &m, &err), CARTA_EDATA);
    cr_assert(strstr(err.msg, "is a string column, but feature g was fitted on a integer column"), "%s", err.msg);
    carta_table *w = carta_table_new("new3.csv");
    add_f64(w, "h", g2, 3);
    carta_error_clear(&err);
    cr_assert_eq(carta_design_apply(d, w, &m, &err), CARTA_EDATA);
    cr_assert_str_eq(err.field, "g");
    cr_assert(strstr(err.msg, "new3.csv: column g: no such column"), "%s", err.msg);
    carta_table_free(u);
    carta_table_free(v);
    carta_table_free(w);
    carta_design_free(d);
    carta_table_free(t);
}

/* ---- Numeric transforms and their errors ---- */

Test(design, log_of_non_positive_values_names_the_column_count_and_rows)
{
    carta_table *t = carta_table_new("lab.csv");
    const double x[] = { 1, 0, 3, -2, 5, 6, 0, 8 };
    add_f64(t, "LDH", x, N(x));
    carta_feature_spec f[1] = { feat("LDH") };
    f[0].transform = CARTA_TRANSFORM_LOG2;
    carta_design_spec s = spec_of(f, 1);
    carta_error err;
    carta_error_clear(&err);
    carta_design *d;
    cr_assert_eq(carta_design_fit(&s, t, &d, &err), CARTA_EDATA);
    cr_assert_null(d);
    cr_assert_str_eq(err.field, "LDH");
    cr_assert_eq(err.row, 2);
    cr_assert(strstr(err.msg, "lab.csv:2: column LDH: log2 needs values > 0, but 3 values are <= 0 (first 0; data rows 2, 4, 7)"),
              "%s", err.msg);
    /* Clipping first makes it valid: the clamped values are >= 0.5. */
    f[0].clip = 1;
    f[0].clip_lo = 0.5;
    carta_error_clear(&err);
    cr_assert_eq(carta_design_fit(&s, t, &d, &err), CARTA_OK, "%s", err.msg);
    carta_design_matrix *m;
    cr_assert_eq(carta_design_apply(d, t, &m, &err), CARTA_OK);
    cr_expect_eq(m->x.data[1], -1.0);   /* log2(0.5) */
    cr_expect_eq(m->x.data[7], 3.0);    /* log2(8) */
    cr_expect_str_eq(m->x.names[0], "log2(LDH)");
    carta_design_matrix_free(m);
    carta_design_free(d);
    carta_table_free(t);
}

Test(design, standardized_training_column_has_mean_zero_and_sd_one)
{
    carta_table *t = carta_table_new("t.csv");
    const double x[] = { 3.1, 4.7, NAN, 9.25, 1.5, 6.0, 2.2, 8.8 };
    add_f64(t, "x", x, N(x));
    carta_feature_spec f[1] = { feat("x") };
    f[0].transform = CARTA_TRANSFORM_STANDARDIZE;
    carta_design_spec s = spec_of(f, 1);
    carta_error err;
    carta_error_clear(&err);
    carta_design *d;
    carta_design_matrix *m;
    cr_assert_eq(carta_design_fit(&s, t, &d, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(carta_design_apply(d, t, &m, &err), CARTA_OK);
    cr_assert_eq(m->x.n, 7); /* complete case drops the NaN row, and the centre ignores it */
    double sum = 0, ss = 0;
    for (size_t i = 0; i < m->x.n; i++) sum += m->x.data[i];
    for (size_t i = 0; i < m->x.n; i++) ss += m->x.data[i] * m->x.data[i];
    cr_expect(fabs(sum) < 1e-14, "mean %g", sum / 7);
    cr_expect(fabs(ss / 6 - 1) < 1e-14, "var %.17g", ss / 6);
    /* mean of the 7 values = 35.55 / 7 */
    cr_expect(fabs(carta_design_feature_at(d, 0)->centre - 35.55 / 7) < 1e-15);
    carta_design_matrix_free(m);
    carta_design_free(d);

    const double c[] = { 2, 2, 2 };
    carta_table *u = carta_table_new("u.csv");
    add_f64(u, "x", c, 3);
    carta_error_clear(&err);
    cr_assert_eq(carta_design_fit(&s, u, &d, &err), CARTA_EDATA);
    cr_assert(strstr(err.msg, "standard deviation is 0"), "%s", err.msg);
    carta_table_free(u);
    carta_table_free(t);
}

Test(design, missing_columns_string_as_numeric_and_infinite_values_are_errors)
{
    carta_table *t = carta_table_new("t.csv");
    const double x[] = { 1, INFINITY, 3 };
    const char *sx[] = { "a", "b", "a" };
    add_f64(t, "x", x, 3);
    add_str(t, "s", sx, 3);
    carta_feature_spec f[1] = { feat("nope") };
    carta_design_spec s = spec_of(f, 1);
    carta_error err;
    carta_design *d;
    carta_error_clear(&err);
    cr_assert_eq(carta_design_fit(&s, t, &d, &err), CARTA_EDATA);
    cr_assert(strstr(err.msg, "t.csv: column nope: no such column"), "%s", err.msg);
    f[0] = feat("s");
    f[0].type = CARTA_FEATURE_NUMERIC;
    carta_error_clear(&err);
    cr_assert_eq(carta_design_fit(&s, t, &d, &err), CARTA_EDATA);
    cr_assert(strstr(err.msg, "is a string column"), "%s", err.msg);
    f[0] = feat("s");
    f[0].transform = CARTA_TRANSFORM_LOG; /* auto type: a string column is categorical */
    carta_error_clear(&err);
    cr_assert_eq(carta_design_fit(&s, t, &d, &err), CARTA_ECONFIG);
    cr_assert_str_eq(err.field, "/features/0/transform");
    const char *lv[] = { "1", "3" };
    f[0] = feat("x");
    f[0].levels = lv; /* auto type: a number column is numeric, so levels do not apply */
    f[0].n_levels = 2;
    carta_error_clear(&err);
    cr_assert_eq(carta_design_fit(&s, t, &d, &err), CARTA_ECONFIG);
    cr_assert_str_eq(err.field, "/features/0/levels");
    f[0] = feat("x");
    carta_error_clear(&err);
    cr_assert_eq(carta_design_fit(&s, t, &d, &err), CARTA_EDATA);
    cr_assert_eq(err.row, 2);
    cr_assert(strstr(err.msg, "not finite"), "%s", err.msg);
    carta_table_free(t);
}

Test(design, duplicate_term_names_are_an_error)
{
    carta_table *t = carta_table_new("t.csv");
    const char *a[] = { "b1", "b2", "b1" };
    const double ab1[] = { 1, 2, 3 };
    add_str(t, "a", a, 3);
    add_f64(t, "ab2", ab1, 3);
    carta_feature_spec f[2] = { feat("a"), feat("ab2") };
    carta_design_spec s = spec_of(f, 2);
    carta_error err;
    carta_error_clear(&err);
    carta_design *d;
    cr_assert_eq(carta_design_fit(&s, t, &d, &err), CARTA_EDATA);
    cr_assert(strstr(err.msg, "\"ab2\""), "%s", err.msg);
    carta_table_free(t);
}

/* ---- Missing values ---- */

Test(design, complete_case_counts_and_kept_rows)
{
    carta_table *t = carta_table_new("t.csv");
    const double x[] = { 1, NAN, 3, 4, NAN, 6 };
    const char *g[] = { "a", "b", NULL, "a", "b", "b" };
    add_f64(t, "x", x, 6);
    add_str(t, "g", g, 6);
    carta_feature_spec f[2] = { feat("x"), feat("g") };
    carta_design_spec s = spec_of(f, 2);
    carta_error err;
    carta_error_clear(&err);
    carta_design *d;
    carta_design_matrix *m;
    cr_assert_eq(carta_design_fit(&s, t, &d, &err), CARTA_OK, "%s", err.msg);
    cr_expect_eq(carta_design_ntrain(d), 6);
    cr_expect_eq(carta_design_ndropped(d), 3);
    cr_expect_eq(carta_design_feature_at(d, 0)->n_missing, 2);
    cr_expect_eq(carta_design_feature_at(d, 1)->n_missing, 1);
    cr_assert_eq(carta_design_apply(d, t, &m, &err), CARTA_OK);
    cr_assert_eq(m->x.n, 3);
    cr_expect_eq(m->rows[0], 0);
    cr_expect_eq(m->rows[1], 3);
    cr_expect_eq(m->rows[2], 5);
    cr_expect_eq(m->n_dropped, 3);
    cr_expect_eq(m->n_missing[0], 2);
    cr_expect_eq(m->n_imputed[0], 0);
    cr_expect_eq(m->x.data[2], 6.0);
    cr_expect_eq(m->x.data[3 + 2], 1.0); /* gb at row 5 */
    carta_design_matrix_free(m);
    carta_design_free(d);

    const double none[] = { NAN, NAN };
    carta_table *u = carta_table_new("u.csv");
    add_f64(u, "x", none, 2);
    carta_feature_spec f1[1] = { feat("x") };
    carta_design_spec s1 = spec_of(f1, 1);
    carta_error_clear(&err);
    cr_assert_eq(carta_design_fit(&s1, u, &d, &err), CARTA_EDATA);
    cr_assert(strstr(err.msg, "none of the 2 rows is complete"), "%s", err.msg);
    carta_table_free(u);
    carta_table_free(t);
}

Test(design, the_median_of_an_even_count_does_not_overflow)
{
    carta_table *t = carta_table_new("t.csv");
    const double x[] = { 1.5e308, NAN, 1.7e308, -1, 1.6e308, 1.79e308, 1.75e308 }; /* middle: 1.6e308, 1.7e308 */
    add_f64(t, "x", x, N(x));
    carta_feature_spec f[1] = { feat("x") };
    carta_design_spec s = spec_of(f, 1);
    s.missing = CARTA_MISSING_MEDIAN;
    carta_error err;
    carta_error_clear(&err);
    carta_design *d;
    cr_assert_eq(carta_design_fit(&s, t, &d, &err), CARTA_OK, "%s", err.msg);
    /* R 4.2.2: median(c(-1, 1.5e308, 1.6e308, 1.7e308, 1.75e308, 1.79e308)) printed with %.17g. */
    cr_expect_eq(carta_design_feature_at(d, 0)->impute, 1.6499999999999999e+308);
    carta_design_free(d);
    carta_table_free(t);
}

Test(design, median_imputation_on_new_data_uses_the_training_values)
{
    carta_table *t = carta_table_new("t.csv");
    const double x[] = { 4, NAN, 1, 10, 2 };   /* median of 1, 2, 4, 10 = 3 */
    const char *g[] = { "a", "b", "b", NULL, "c" }; /* mode b */
    add_f64(t, "x", x, 5);
    add_str(t, "g", g, 5);
    carta_feature_spec f[2] = { feat("x"), feat("g") };
    carta_design_spec s = spec_of(f, 2);
    s.missing = CARTA_MISSING_MEDIAN;
    s.indicators = 1;
    carta_error err;
    carta_error_clear(&err);
    carta_design *d;
    carta_design_matrix *m;
    cr_assert_eq(carta_design_fit(&s, t, &d, &err), CARTA_OK, "%s", err.msg);
    cr_expect_eq(carta_design_feature_at(d, 0)->impute, 3.0);
    cr_expect_eq(carta_design_feature_at(d, 0)->n_imputed, 1);
    cr_expect_str_eq(carta_design_feature_at(d, 1)->levels[carta_design_feature_at(d, 1)->impute_level], "b");
    const char *names[] = { "x", "x_missing", "gb", "gc", "g_missing" };
    cr_assert_eq(carta_design_p(d), 5);
    for (size_t j = 0; j < 5; j++) cr_expect_str_eq(carta_design_term(d, j), names[j]);
    /* New patients: the training median and mode, whatever the new data hold. */
    carta_table *u = carta_table_new("new.csv");
    const double y[] = { NAN, 100, NAN };
    const char *h[] = { NULL, "c", "a" };
    add_f64(u, "x", y, 3);
    add_str(u, "g", h, 3);
    cr_assert_eq(carta_design_apply(d, u, &m, &err), CARTA_OK, "%s", err.msg);
    const double want[] = { 3, 100, 3, 1, 0, 1, 1, 0, 0, 0, 1, 0, 1, 0, 0 };
    for (size_t k = 0; k < 15; k++) cr_expect_eq(m->x.data[k], want[k], "cell %zu", k);
    cr_expect_eq(m->n_imputed[0], 2);
    cr_expect_eq(m->n_imputed[1], 1);
    carta_design_matrix_free(m);
    carta_table_free(u);
    carta_design_free(d);
    carta_table_free(t);
}

/* ---- Invariances ---- */

Test(design, applying_to_a_subset_gives_the_same_rows_and_row_order_does_not_change_the_fit)
{
    const double x[] = { 3, 1, 4, 1, 5, 9, 2, 6 };
    const char *g[] = { "q", "p", "r", "p", "q", "r", "p", "q" };
    const int perm[] = { 7, 2, 5, 0, 3, 6, 1, 4 };
    double xp[8];
    const char *gp[8];
    for (int i = 0; i < 8; i++) {
        xp[i] = x[perm[i]];
        gp[i] = g[perm[i]];
    }
    carta_table *t = carta_table_new("t.csv"), *tp = carta_table_new("t.csv"), *sub = carta_table_new("t.csv");
    add_f64(t, "x", x, 8);
    add_str(t, "g", g, 8);
    add_f64(tp, "x", xp, 8);
    add_str(tp, "g", gp, 8);
    add_f64(sub, "x", x + 5, 3);
    add_str(sub, "g", g + 5, 3);
    carta_feature_spec f[2] = { feat("x"), feat("g") };
    f[0].transform = CARTA_TRANSFORM_STANDARDIZE;
    carta_interaction_spec ia[1] = { { "g", "x" } };
    carta_design_spec s = spec_of(f, 2);
    s.interactions = ia;
    s.n_interactions = 1;
    carta_error err;
    carta_error_clear(&err);
    carta_design *d, *dp;
    carta_design_matrix *m, *ms;
    cr_assert_eq(carta_design_fit(&s, t, &d, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(carta_design_fit(&s, tp, &dp, &err), CARTA_OK, "%s", err.msg);
    char *j1, *j2;
    cr_assert_eq(carta_design_to_json(d, &j1, &err), CARTA_OK);
    cr_assert_eq(carta_design_to_json(dp, &j2, &err), CARTA_OK);
    cr_expect_str_eq(j1, j2); /* integer data: sums are exact in any order */
    cr_assert_eq(carta_design_apply(d, t, &m, &err), CARTA_OK);
    cr_assert_eq(carta_design_apply(d, sub, &ms, &err), CARTA_OK);
    for (size_t j = 0; j < m->x.p; j++)
        for (size_t i = 0; i < 3; i++)
            cr_expect_eq(memcmp(&ms->x.data[i + j * 3], &m->x.data[5 + i + j * 8], sizeof(double)), 0);
    carta_free(j1);
    carta_free(j2);
    carta_design_matrix_free(m);
    carta_design_matrix_free(ms);
    carta_design_free(d);
    carta_design_free(dp);
    carta_table_free(t);
    carta_table_free(tp);
    carta_table_free(sub);
}

/* ---- JSON ---- */

static char *fitted_json(carta_table **tout, carta_design **dout)
{
    carta_table *t = carta_table_new("t.csv");
    const double x[] = { 0.1, 0.2, 0.30000000000000004, 7.0 / 72, NAN, 1e-300 };
    const int64_t g[] = { 3, 1, 2, 3, 1, 4 };
    add_f64(t, "x", x, 6);
    add_i64(t, "g", CARTA_I64, g, 6);
    carta_feature_spec f[2] = { feat("x"), feat("g") };
    f[0].transform = CARTA_TRANSFORM_STANDARDIZE;
    f[0].clip = 1;
    f[0].clip_lo = -INFINITY;
    f[0].clip_hi = 0.25;
    f[1].type = CARTA_FEATURE_CATEGORICAL;
    f[1].pool_min_count = 2;
    f[1].reference = "3";
    carta_design_spec s = spec_of(f, 2);
    s.missing = CARTA_MISSING_MEDIAN;
    s.indicators = 1;
    s.intercept = 1;
    carta_error err;
    carta_error_clear(&err);
    carta_design *d;
    cr_assert_eq(carta_design_fit(&s, t, &d, &err), CARTA_OK, "%s", err.msg);
    char *json;
    cr_assert_eq(carta_design_to_json(d, &json, &err), CARTA_OK);
    *tout = t;
    *dout = d;
    return json;
}

Test(design, json_round_trip_is_exact_for_awkward_doubles_and_pooled_numeric_levels)
{
    carta_table *t;
    carta_design *d, *d2;
    char *json = fitted_json(&t, &d), *json2;
    carta_error err;
    carta_error_clear(&err);
    cr_assert(strstr(json, "\"pooled_values\": [2,4]"), "%s", json);
    cr_assert(strstr(json, "null,\n        0.25"), "%s", json);
    cr_assert_eq(carta_design_from_json(json, strlen(json), "d.json", &d2, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(carta_design_to_json(d2, &json2, &err), CARTA_OK);
    cr_expect_str_eq(json, json2);
    const carta_design_feature *a = carta_design_feature_at(d, 0), *b = carta_design_feature_at(d2, 0);
    cr_expect_eq(memcmp(&a->centre, &b->centre, sizeof(double)), 0);
    cr_expect_eq(memcmp(&a->scale, &b->scale, sizeof(double)), 0);
    cr_expect_eq(memcmp(&a->impute, &b->impute, sizeof(double)), 0);
    carta_design_matrix *m, *m2;
    cr_assert_eq(carta_design_apply(d, t, &m, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(carta_design_apply(d2, t, &m2, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(m->x.p, 5); /* (Intercept), standardize(x), x_missing, g1, gother */
    cr_expect_str_eq(m->x.names[4], "gother");
    cr_assert_eq(memcmp(m->data, m2->data, m->x.n * m->x.p * sizeof(double)), 0);
    carta_free(json);
    carta_free(json2);
    carta_design_matrix_free(m);
    carta_design_matrix_free(m2);
    carta_design_free(d);
    carta_design_free(d2);
    carta_table_free(t);
}

/* Replaces the first occurrence of from by to in a copy of s. */
static char *edit(const char *s, const char *from, const char *to)
{
    const char *at = strstr(s, from);
    cr_assert_not_null(at, "edit: \"%s\" not found", from);
    size_t a = (size_t)(at - s), lf = strlen(from), lt = strlen(to), ls = strlen(s);
    char *r = malloc(ls - lf + lt + 1);
    memcpy(r, s, a);
    memcpy(r + a, to, lt);
    memcpy(r + a + lt, at + lf, ls - a - lf + 1);
    return r;
}

Test(design, corrupt_design_files_are_errors_with_a_json_pointer)
{
    carta_table *t;
    carta_design *d, *d2 = NULL;
    char *json = fitted_json(&t, &d);
    struct {
        const char *from, *to, *field, *msg;
    } cases[] = {
        { "\"version\": 1", "\"version\": 2", "/version", "not supported" },
        { "\"missing\": \"median\"", "\"missing\": \"mean\"", "/missing", "is not one of" },
        { "\"transform\": \"standardize\"", "\"transform\": \"sqrt\"", "/features/0/transform", "is not one of" },
        { "\"reference\": \"3\"", "\"reference\": \"5\"", "/features/1/reference", "is not one of the levels" },
        { "\"values\": [1,3]", "\"values\": [1,3.5]", "/features/1/values/1", "does not match its level" },
        { "\"values\": [1,3]", "\"values\": [1]", "/features/1/values", "must hold 2 numbers" },
        { "\"n_missing\": 1", "\"n_missing\": -1", "/features/0/n_missing", "must be a count" },
        { "\"indicator\": true", "\"indicator\": true, \"colour\": 1", "/features/0", "unknown key \"colour\"" },
        { "\"gother\"", "\"g_other\"", "/terms/4", "does not match" },
        { "\"scale\": ", "\"scale\": -", "/features/0/scale", "must be > 0" },
    };
    carta_error err;
    for (size_t k = 0; k < N(cases); k++) {
        char *bad = edit(json, cases[k].from, cases[k].to);
        carta_error_clear(&err);
        cr_expect_eq(carta_design_from_json(bad, strlen(bad), "m/design.json", &d2, &err), CARTA_EDATA, "case %zu", k);
        cr_expect_null(d2);
        cr_expect_str_eq(err.field, cases[k].field, "case %zu: %s", k, err.msg);
        cr_expect(strstr(err.msg, cases[k].msg) != NULL, "case %zu: %s", k, err.msg);
        cr_expect(strncmp(err.msg, "m/design.json: ", 15) == 0, "case %zu: %s", k, err.msg);
        free(bad);
    }
    /* A syntax error gives line and column. */
    carta_error_clear(&err);
    const char *broken = "{\n  \"format\": \"carta-design\",\n  \"version\" 1\n}";
    cr_assert_eq(carta_design_from_json(broken, strlen(broken), "m/design.json", &d2, &err), CARTA_EDATA);
    cr_expect_eq(err.line, 3, "%s", err.msg);
    carta_free(json);
    carta_design_free(d);
    carta_table_free(t);
}

/* ---- Row-major float copy ---- */

Test(design, row_major_float_copy_keeps_values_and_nan)
{
    double x[3 * 300];
    for (size_t i = 0; i < 300; i++)
        for (size_t j = 0; j < 3; j++) x[i + j * 300] = i == 7 && j == 1 ? (double)NAN : (double)i * 10 + (double)j + 0.5;
    carta_matrix m = { .n = 300, .p = 3, .data = x, .names = NULL };
    float *y;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_design_row_major_f32(&m, &y, &err), CARTA_OK);
    for (size_t i = 0; i < 300; i++)
        for (size_t j = 0; j < 3; j++) {
            if (i == 7 && j == 1) cr_expect(isnan(y[i * 3 + j]));
            else cr_expect_eq(y[i * 3 + j], (float)x[i + j * 300], "%zu,%zu", i, j);
        }
    carta_free(y);
}

/* ---- Fault injection ---- */

Test(design, every_failed_allocation_ends_in_enomem_or_success_without_leaks)
{
    carta_table *t;
    carta_design *d0;
    char *json0 = fitted_json(&t, &d0);
    const double x[] = { 1, 2, 3, 4, 5, 6 };
    carta_column *c;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_table_add_column(t, "z", CARTA_F64, &c, &err), CARTA_OK);
    for (size_t i = 0; i < 6; i++) carta_column_push_f64(c, x[i] * x[i]);
    carta_feature_spec f[3] = { feat("x"), feat("g"), feat("z") };
    f[1].type = CARTA_FEATURE_CATEGORICAL;
    f[1].pool_min_count = 2;
    f[2].transform = CARTA_TRANSFORM_LOG;
    carta_interaction_spec ia[1] = { { "z", "g" } };
    carta_design_spec s = spec_of(f, 3);
    s.missing = CARTA_MISSING_MEDIAN;
    s.indicators = 1;
    s.interactions = ia;
    s.n_interactions = 1;
    long done = 0;
    for (long k = 1; k < 100000 && !done; k++) {
        carta_design *d = NULL, *d2 = NULL;
        carta_design_matrix *m = NULL;
        carta_design_check_result *r = NULL;
        char *json = NULL;
        carta_error_clear(&err);
        carta_alloc_fail_at(k);
        int rc = carta_design_fit(&s, t, &d, &err);
        if (rc == CARTA_OK) rc = carta_design_apply(d, t, &m, &err);
        if (rc == CARTA_OK) rc = carta_design_to_json(d, &json, &err);
        if (rc == CARTA_OK) rc = carta_design_from_json(json0, strlen(json0), "d.json", &d2, &err);
        if (rc == CARTA_OK) rc = carta_design_check(&m->x, NULL, &r, &err);
        carta_alloc_fail_at(0);
        cr_assert(rc == CARTA_OK || rc == CARTA_ENOMEM, "k=%ld rc=%d %s", k, rc, err.msg);
        if (rc == CARTA_OK) done = k;
        carta_design_check_free(r);
        carta_free(json);
        carta_design_free(d2);
        carta_design_matrix_free(m);
        carta_design_free(d);
    }
    /* Every allocation of the run failed once before the first clean run. */
    cr_assert(done > 50, "only %ld allocations were injected", done);
    carta_free(json0);
    carta_design_free(d0);
    carta_table_free(t);
}

Test(design, json_round_trip_keeps_levels_with_quotes_tabs_and_utf8)
{
    carta_table *t = carta_table_new("t.csv");
    const char *g[] = { "a\"b", "caf\xc3\xa9", "tab\there", "a\"b", "back\\slash" };
    add_str(t, "g", g, 5);
    carta_feature_spec f[1] = { feat("g") };
    carta_design_spec s = spec_of(f, 1);
    carta_error err;
    carta_error_clear(&err);
    carta_design *d, *d2;
    char *json, *json2;
    cr_assert_eq(carta_design_fit(&s, t, &d, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(carta_design_to_json(d, &json, &err), CARTA_OK);
    cr_assert_eq(carta_design_from_json(json, strlen(json), "d.json", &d2, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(carta_design_to_json(d2, &json2, &err), CARTA_OK);
    cr_expect_str_eq(json, json2);
    cr_expect_str_eq(carta_design_term(d2, 1), "gcaf\xc3\xa9"); /* byte order: a"b (reference) < back\\slash < café < tab */
    carta_design_matrix *m;
    cr_assert_eq(carta_design_apply(d2, t, &m, &err), CARTA_OK, "%s", err.msg);
    cr_expect_eq(m->x.data[1 + 1 * 5], 1.0);
    carta_design_matrix_free(m);
    carta_free(json);
    carta_free(json2);
    carta_design_free(d);
    carta_design_free(d2);
    carta_table_free(t);
}
