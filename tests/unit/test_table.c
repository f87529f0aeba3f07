/* Unit tests of the columnar table. */
#include <carta/alloc.h>
#include <carta/table.h>

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

Test(table, stores_typed_columns_with_missing_values)
{
    carta_error err;
    carta_error_clear(&err);
    carta_table *t = carta_table_new("x.csv");
    carta_column *a, *s;
    cr_assert_eq(carta_table_add_column(t, "AVAL", CARTA_F64, &a, &err), CARTA_OK);
    cr_assert_eq(carta_table_add_column(t, "SEX", CARTA_STR, &s, &err), CARTA_OK);
    for (int i = 0; i < 1000; i++) {
        cr_assert_eq(i % 7 == 3 ? carta_column_push_missing(a) : carta_column_push_f64(a, i * 2.385), CARTA_OK);
        const char *v = i % 3 == 0 ? "F" : i % 3 == 1 ? "M" : "";
        cr_assert_eq(i % 11 == 5 ? carta_column_push_missing(s) : carta_column_push_str(s, v, strlen(v)), CARTA_OK);
    }
    cr_assert_eq(carta_table_check(t, &err), CARTA_OK);
    cr_assert_eq(carta_table_nrows(t), 1000);
    cr_assert_eq(s->n_levels, 3);
    cr_assert(carta_column_is_missing(a, 3));
    cr_assert(isnan(carta_column_number(a, 10)));
    cr_assert_eq(carta_column_number(a, 4), 4 * 2.385);
    cr_assert_null(carta_column_str(s, 5));
    cr_assert_str_eq(carta_column_str(s, 6), "F");
    cr_assert_str_eq(carta_column_str(s, 2), "");
    cr_assert_eq(carta_column_level(s, "M"), 1);
    cr_assert_eq(carta_column_level(s, "X"), -1);
    size_t miss = 0;
    for (size_t i = 0; i < 1000; i++) miss += carta_column_is_missing(a, i);
    cr_assert_eq(miss, a->n_missing);
    cr_assert_eq(carta_table_find(t, "SEX"), s);
    cr_assert_null(carta_table_find(t, "sex"));
    carta_table_free(t);
}

Test(table, rejects_duplicate_names_and_ragged_columns)
{
    carta_error err;
    carta_error_clear(&err);
    carta_table *t = carta_table_new("x.csv");
    carta_column *a, *b;
    cr_assert_eq(carta_table_add_column(t, "A", CARTA_I64, &a, &err), CARTA_OK);
    cr_assert_eq(carta_table_add_column(t, "A", CARTA_F64, &b, &err), CARTA_EDATA);
    cr_assert(strstr(err.msg, "duplicate column name"));
    carta_error_clear(&err);
    cr_assert_eq(carta_table_add_column(t, "B", CARTA_I64, &b, &err), CARTA_OK);
    carta_column_push_i64(a, 1);
    cr_assert_eq(carta_table_check(t, &err), CARTA_EDATA);
    cr_assert_str_eq(err.field, "B");
    carta_table_free(t);
}

Test(table, every_failed_allocation_ends_cleanly)
{
    /* Fault injection: fail the k-th allocation for every k until a build succeeds. */
    for (long k = 1; k < 200; k++) {
        carta_error err;
        carta_error_clear(&err);
        carta_alloc_fail_at(k);
        int rc = CARTA_OK;
        carta_table *t = carta_table_new("x.csv");
        carta_column *s = NULL;
        if (!t) rc = CARTA_ENOMEM;
        if (!rc) rc = carta_table_add_column(t, "S", CARTA_STR, &s, &err);
        for (int i = 0; !rc && i < 100; i++) {
            char v[8];
            snprintf(v, sizeof v, "v%d", i % 40);
            rc = i % 9 == 0 ? carta_column_push_missing(s) : carta_column_push_str(s, v, strlen(v));
        }
        carta_alloc_fail_at(0);
        cr_assert(rc == CARTA_OK || rc == CARTA_ENOMEM);
        carta_table_free(t);
        if (rc == CARTA_OK) return;
    }
    cr_assert_fail("never succeeded");
}

Test(table, clones_deeply_and_drops_columns)
{
    carta_error err;
    carta_error_clear(&err);
    carta_table *t = carta_table_new("x.csv");
    carta_column *a, *s;
    carta_table_add_column(t, "A", CARTA_F64, &a, &err);
    carta_table_add_column(t, "S", CARTA_STR, &s, &err);
    carta_column_set_meta(a, "Analysis value", "days", NULL);
    for (int i = 0; i < 300; i++) {
        cr_assert_eq(i % 5 ? carta_column_push_f64(a, i / 7.0) : carta_column_push_missing(a), CARTA_OK);
        char v[8];
        snprintf(v, sizeof v, "L%d", i % 13);
        cr_assert_eq(carta_column_push_str(s, v, strlen(v)), CARTA_OK);
    }
    carta_table *c;
    cr_assert_eq(carta_table_clone(t, "y.csv", &c, &err), CARTA_OK);
    carta_table_free(t); /* the clone must not point into the original */
    cr_assert_str_eq(carta_table_source(c), "y.csv");
    carta_column *ca = carta_table_find(c, "A"), *cs = carta_table_find(c, "S");
    cr_assert_str_eq(ca->unit, "days");
    cr_assert_eq(ca->n_missing, 60);
    cr_assert(carta_column_is_missing(ca, 10));
    cr_assert_eq(carta_column_number(ca, 11), 11 / 7.0);
    cr_assert_str_eq(carta_column_str(cs, 27), "L1");
    cr_assert_eq(carta_column_level(cs, "L12"), 12);
    cr_assert_eq(carta_column_push_str(cs, "L3", 2), CARTA_OK); /* the rebuilt dictionary works */
    cr_assert_eq(cs->code[300], 3);
    carta_table_drop_column(c, "A");
    cr_assert_eq(carta_table_ncols(c), 1);
    cr_assert_null(carta_table_find(c, "A"));
    carta_table_free(c);
}

Test(table, takes_rows_in_any_order_with_repeats)
{
    carta_error err;
    carta_error_clear(&err);
    carta_table *t = carta_table_new("x.csv");
    carta_column *a, *s, *d;
    carta_table_add_column(t, "A", CARTA_F64, &a, &err);
    carta_table_add_column(t, "S", CARTA_STR, &s, &err);
    carta_table_add_column(t, "D", CARTA_DATE, &d, &err);
    const char *v[] = { "x", "y", "z", "y" };
    for (int i = 0; i < 4; i++) {
        if (i == 2) carta_column_push_missing(a); else carta_column_push_f64(a, i + 0.5);
        if (i == 1) carta_column_push_missing(s); else carta_column_push_str(s, v[i], 1);
        carta_column_push_i64(d, 18000 + i);
    }
    size_t rows[] = { 3, 0, 2, 3 };
    carta_table *c;
    cr_assert_eq(carta_table_take(t, rows, 4, &c, &err), CARTA_OK);
    carta_column *ca = carta_table_find(c, "A"), *cs = carta_table_find(c, "S"), *cd = carta_table_find(c, "D");
    cr_expect_eq(ca->f64[0], 3.5);
    cr_expect_eq(ca->f64[1], 0.5);
    cr_expect(carta_column_is_missing(ca, 2));
    cr_expect_eq(ca->n_missing, 1);
    cr_expect_str_eq(carta_column_str(cs, 0), "y");
    cr_expect_str_eq(carta_column_str(cs, 1), "x");
    cr_expect_eq(cs->n_levels, 3); /* the dictionary keeps every level, in the same order */
    cr_expect_eq(cd->i64[2], 18002);
    cr_expect_eq(cd->type, CARTA_DATE);
    size_t bad[] = { 4 };
    carta_table *x;
    cr_expect_eq(carta_table_take(t, bad, 1, &x, &err), CARTA_EDATA);
    carta_table_free(c);
    carta_table_free(t);
}
