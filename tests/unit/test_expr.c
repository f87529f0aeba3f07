/* Unit tests of the expression language (src/cohort/expr.c): precedence, three-valued logic,
   in-lists, dates, functions, every parse and type error with its position, "did you mean",
   chunked evaluation and allocation failures. */
#include <carta/alloc.h>
#include <carta/expr.h>
#include <carta/table.h>

#include "check.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define M 2 /* CARTA_MISSING, short for the tables below */

/* Integer-like column (I64, BOOL, DATE); miss[i] nonzero = missing. */
static void col_int(carta_table *t, const char *name, carta_type type, const int64_t *v, const int *miss, size_t n)
{
    carta_column *c;
    carta_error err = { 0 };
    cr_assert_eq(carta_table_add_column(t, name, type, &c, &err), CARTA_OK);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(miss && miss[i] ? carta_column_push_missing(c) : carta_column_push_i64(c, v[i]), CARTA_OK);
}

/* AGE 30, 17, NA, 65 | SEX M, F, F, NA | N 1, 2, 3, NA | D 2014-01-02, 2014-01-01, NA,
   2015-06-30 | FL TRUE, FALSE, NA, TRUE | ABLFL "Y", "", "Y", "N" | NAME "O'Brien", ... */
static carta_table *sample(void)
{
    carta_table *t = carta_table_new("sample.csv");
    const double age[] = { 30, 17, NAN, 65 };
    const char *sex[] = { "M", "F", "F", NULL };
    const int64_t nn[] = { 1, 2, 3, 0 };
    const int nmiss[] = { 0, 0, 0, 1 };
    const int64_t d[] = { carta_days_from_civil(2014, 1, 2), carta_days_from_civil(2014, 1, 1), 0,
                          carta_days_from_civil(2015, 6, 30) };
    const int dmiss[] = { 0, 0, 1, 0 };
    const int64_t fl[] = { 1, 0, 0, 1 };
    const int flmiss[] = { 0, 0, 1, 0 };
    const char *abl[] = { "Y", "", "Y", "N" };
    const char *name[] = { "O'Brien", "say \"hi\"", "a", "b" };
    col_f64(t, "AGE", age, 4);
    col_str(t, "SEX", sex, 4);
    col_int(t, "N", CARTA_I64, nn, nmiss, 4);
    col_int(t, "D", CARTA_DATE, d, dmiss, 4);
    col_int(t, "FL", CARTA_BOOL, fl, flmiss, 4);
    col_str(t, "ABLFL", abl, 4);
    col_str(t, "NAME", name, 4);
    return t;
}

/* Evaluates text as a condition over t and compares with want[0..n). */
static void expect_bool(const carta_table *t, const char *text, const uint8_t *want)
{
    carta_error err = { 0 };
    size_t n = carta_table_nrows(t);
    uint8_t *out = malloc(n ? n : 1);
    int rc = carta_expr_filter(text, "/test", t, out, &err);
    cr_assert_eq(rc, CARTA_OK, "%s: %s", text, err.msg);
    for (size_t i = 0; i < n; i++) cr_expect_eq(out[i], want[i], "%s: row %zu is %d, expected %d", text, i, out[i], want[i]);
    free(out);
}

static void expect_num(const carta_table *t, const char *text, const double *want)
{
    carta_error err = { 0 };
    carta_expr *e = NULL;
    size_t n = carta_table_nrows(t);
    double *out = malloc(n * sizeof *out);
    cr_assert_eq(carta_expr_parse(text, "/test", &e, &err), CARTA_OK, "%s: %s", text, err.msg);
    cr_assert_eq(carta_expr_bind(e, t, &err), CARTA_OK, "%s: %s", text, err.msg);
    cr_assert_eq(carta_expr_eval_num(e, t, out, &err), CARTA_OK, "%s: %s", text, err.msg);
    for (size_t i = 0; i < n; i++) {
        if (isnan(want[i])) cr_expect(isnan(out[i]), "%s: row %zu is %g, expected missing", text, i, out[i]);
        else cr_expect_eq(out[i], want[i], "%s: row %zu is %.17g, expected %.17g", text, i, out[i], want[i]);
    }
    carta_expr_free(e);
    free(out);
}

/* Parse (and bind to the sample) must fail with code and column col; returns the message. */
static void expect_error(const char *text, int code, long col, const char *msg_part)
{
    carta_table *t = sample();
    carta_error err = { 0 };
    carta_expr *e = NULL;
    int rc = carta_expr_parse(text, "/cohort/where", &e, &err);
    if (rc == CARTA_OK) rc = carta_expr_bind(e, t, &err);
    cr_expect_eq(rc, code, "%s: rc %d (%s)", text, rc, err.msg);
    cr_expect_eq(err.code, code, "%s", text);
    cr_expect_eq(err.col, col, "%s: column %ld, expected %ld (%s)", text, err.col, col, err.msg);
    cr_expect_str_eq(err.field, "/cohort/where", "%s", text);
    char head[64];
    snprintf(head, sizeof head, "/cohort/where: column %ld: ", col);
    cr_expect(strncmp(err.msg, head, strlen(head)) == 0, "%s: message \"%s\" should start with \"%s\"", text, err.msg, head);
    cr_expect(strstr(err.msg, msg_part) != NULL, "%s: message \"%s\" lacks \"%s\"", text, err.msg, msg_part);
    carta_expr_free(e);
    carta_table_free(t);
}

Test(expr, and_binds_tighter_than_or)
{
    carta_table *t = sample();
    /* Read as true || (false && false) = true; (true || false) && false would be false. */
    const uint8_t all_true[] = { 1, 1, 1, 1 }, all_false[] = { 0, 0, 0, 0 };
    expect_bool(t, "true || false && false", all_true);
    expect_bool(t, "false && false || true", all_true);
    expect_bool(t, "(true || false) && false", all_false);
    /* With data: AGE > 60 || AGE > 20 && SEX == 'F'; row 4 (65, NA) is true || (true && NA) = true,
       where (a || b) && c would give missing. */
    const uint8_t w[] = { 0, 0, M, 1 };
    expect_bool(t, "AGE > 60 || AGE > 20 && SEX == 'F'", w);
    carta_table_free(t);
}

Test(expr, not_applies_to_the_whole_comparison)
{
    carta_table *t = sample();
    /* !SEX == 'M' is !(SEX == 'M'), as in R and SQL. */
    const uint8_t w[] = { 0, 1, 1, M };
    expect_bool(t, "!SEX == 'M'", w);
    expect_bool(t, "!(SEX == 'M')", w);
    const uint8_t w2[] = { 1, 0, 0, M };
    expect_bool(t, "!!(SEX == 'M')", w2);
    /* ! binds tighter than &&: !false && false is (!false) && false = false. */
    const uint8_t f[] = { 0, 0, 0, 0 };
    expect_bool(t, "!false && false", f);
    carta_table_free(t);
}

Test(expr, arithmetic_precedence_and_associativity)
{
    carta_table *t = sample();
    const uint8_t all[] = { 1, 1, 1, 1 };
    expect_bool(t, "1 + 2 * 3 == 7", all);
    expect_bool(t, "(1 + 2) * 3 == 9", all);
    expect_bool(t, "10 - 4 - 3 == 3", all);
    expect_bool(t, "8 / 4 / 2 == 1", all);
    expect_bool(t, "-2 * 3 == -6", all);
    expect_bool(t, "- -2 == 2", all);
    expect_bool(t, "2.5e1 == 25 && .5 == 0.5 && 1E-2 == 0.01", all);
    const double w[] = { 61, 35, NAN, 131 };
    expect_num(t, "AGE * 2 + 1", w);
    expect_num(t, "-AGE + N * 1 - 0", (const double[]){ -29, -15, NAN, NAN });
    const double w3[] = { 30, 8.5, NAN, NAN };
    expect_num(t, "AGE / N", w3);
    carta_table_free(t);
}

Test(expr, kleene_truth_table)
{
    /* Every pair of {false, true, missing} in columns A and B. */
    carta_table *t = carta_table_new("kleene");
    const int64_t a[] = { 0, 0, 0, 1, 1, 1, 0, 0, 0 }, b[] = { 0, 1, 0, 0, 1, 0, 0, 1, 0 };
    const int am[] = { 0, 0, 0, 0, 0, 0, 1, 1, 1 }, bm[] = { 0, 0, 1, 0, 0, 1, 0, 0, 1 };
    col_int(t, "A", CARTA_BOOL, a, am, 9);
    col_int(t, "B", CARTA_BOOL, b, bm, 9);
    /* Rows: (F,F) (F,T) (F,M) (T,F) (T,T) (T,M) (M,F) (M,T) (M,M). */
    const uint8_t and_[] = { 0, 0, 0, 0, 1, M, 0, M, M };
    const uint8_t or_[] = { 0, 1, M, 1, 1, 1, M, 1, M };
    const uint8_t not_a[] = { 1, 1, 1, 0, 0, 0, M, M, M };
    const uint8_t a_miss[] = { 0, 0, 0, 0, 0, 0, 1, 1, 1 };
    const uint8_t a_eq_b[] = { 1, 0, M, 0, 1, M, M, M, M };
    expect_bool(t, "A && B", and_);
    expect_bool(t, "A || B", or_);
    expect_bool(t, "!A", not_a);
    expect_bool(t, "A is missing", a_miss);
    expect_bool(t, "A == B", a_eq_b);
    const uint8_t a_not_miss[] = { 1, 1, 1, 1, 1, 1, 0, 0, 0 };
    expect_bool(t, "A is not missing", a_not_miss);
    carta_table_free(t);
}

Test(expr, comparisons_with_missing_values_are_missing)
{
    carta_table *t = sample();
    const uint8_t ge[] = { 1, 0, M, 1 };
    expect_bool(t, "AGE >= 18", ge);
    const uint8_t sexf[] = { 0, 1, 1, M };
    expect_bool(t, "SEX == 'F'", sexf);
    expect_bool(t, "'F' == SEX", sexf);
    const uint8_t ne[] = { 1, 0, 0, M };
    expect_bool(t, "SEX != \"F\"", ne);
    const uint8_t miss[] = { 0, 0, 1, 0 };
    expect_bool(t, "AGE is missing", miss);
    const uint8_t smiss[] = { 1, 1, 1, 0 };
    expect_bool(t, "SEX is not missing", smiss);
    /* An empty string is a value, not a missing one. */
    const uint8_t blank[] = { 0, 1, 0, 0 };
    expect_bool(t, "ABLFL == ''", blank);
    expect_bool(t, "ABLFL is missing", (const uint8_t[]){ 0, 0, 0, 0 });
    /* Byte-order string comparisons, and two string columns. */
    const uint8_t lt[] = { 0, 1, 1, M };
    expect_bool(t, "SEX < 'G'", lt);
    const uint8_t same[] = { 0, 0, 0, M };
    expect_bool(t, "SEX == ABLFL", same);
    /* Quotes doubled inside literals. */
    const uint8_t ob[] = { 1, 0, 0, 0 };
    expect_bool(t, "NAME == 'O''Brien'", ob);
    const uint8_t hi[] = { 0, 1, 0, 0 };
    expect_bool(t, "NAME == \"say \"\"hi\"\"\"", hi);
    /* A quoted column name. */
    expect_bool(t, "`AGE` >= 18", ge);
    carta_table_free(t);
}

Test(expr, in_lists)
{
    carta_table *t = sample();
    const uint8_t s[] = { 0, 1, 1, M };
    expect_bool(t, "SEX in ('F', 'X')", s);
    const uint8_t n13[] = { 1, 0, 1, M };
    expect_bool(t, "N in (1, 3)", n13);
    const uint8_t neg[] = { 0, 1, 0, M };
    expect_bool(t, "N in (-1, 2)", neg);
    const uint8_t notin[] = { 1, 0, 0, M };
    expect_bool(t, "!SEX in ('F')", notin);
    const uint8_t d[] = { 1, 0, M, 1 };
    expect_bool(t, "D in ('2014-01-02', date '2015-06-30')", d);
    const uint8_t lit[] = { 1, 1, 1, 1 };
    expect_bool(t, "'b' in ('a', 'b')", lit);
    /* not in: the negation, still missing for a missing value (SQL's NOT IN). */
    expect_bool(t, "SEX not in ('F')", notin);
    const uint8_t n_not13[] = { 0, 1, 0, M };
    expect_bool(t, "N not in (1, 3) && true", n_not13);
    carta_table_free(t);
}

Test(expr, dates)
{
    carta_table *t = sample();
    const uint8_t ge[] = { 1, 0, M, 1 };
    expect_bool(t, "D >= date '2014-01-02'", ge);
    expect_bool(t, "D > '2014-01-01'", ge);
    expect_bool(t, "'2014-01-01' < D", ge);
    const double days[] = { 1, 0, NAN, 545 };
    expect_num(t, "D - date '2014-01-01'", days);
    const uint8_t plus[] = { 1, 0, M, 0 };
    expect_bool(t, "D + 1 == date '2014-01-03'", plus);
    expect_bool(t, "1 + D == '2014-01-03'", plus);
    /* A date evaluated as a number is days since 1970-01-01. */
    const double raw[] = { 16072, 16071, NAN, 16616 };
    expect_num(t, "D", raw);
    carta_table_free(t);
}

Test(expr, functions)
{
    carta_table *t = sample();
    const uint8_t all[] = { 1, 1, 1, 1 };
    expect_bool(t, "log(100) / log(10) == 2 && log2(8) == 3 && exp(0) == 1 && abs(-3) == 3", all);
    const double mn[] = { 30, 17, NAN, 40 };
    expect_num(t, "min(AGE, 40, 50)", mn);
    const double mx[] = { 30, 18, NAN, 65 };
    expect_num(t, "max(18, AGE)", mx);
    const double lg[] = { log2(30), log2(17), NAN, log2(65) };
    expect_num(t, "log2(AGE)", lg);
    /* Not-a-number results are missing; log(0) is -Inf and x/0 is Inf, as in R. */
    const double nan4[] = { NAN, NAN, NAN, NAN };
    expect_num(t, "log(-1)", nan4);
    expect_num(t, "0 / 0", nan4);
    const double inf[] = { -INFINITY, -INFINITY, -INFINITY, -INFINITY };
    expect_num(t, "log(0)", inf);
    const uint8_t m4[] = { M, M, M, M };
    expect_bool(t, "log(-1) > 0", m4);
    /* Booleans count as 0/1 in arithmetic and comparisons. */
    const double fl[] = { 2, 1, NAN, 2 };
    expect_num(t, "FL + 1", fl);
    const uint8_t fl1[] = { 1, 0, M, 1 };
    expect_bool(t, "FL == 1", fl1);
    expect_bool(t, "FL", fl1);
    /* A function name not followed by '(' is a column. */
    carta_table *u = carta_table_new("u");
    const double lv[] = { 1, 2 };
    col_f64(u, "log", lv, 2);
    expect_bool(u, "log > 1 || log(log) < 0", (const uint8_t[]){ 0, 1 });
    carta_table_free(u);
    carta_table_free(t);
}

Test(expr, parse_errors_point_at_the_character)
{
    expect_error("AGE >= 18 && (SEX == 'F'", CARTA_ECONFIG, 25, "expected ')'");
    expect_error("AGE = 18", CARTA_ECONFIG, 5, "'=' is not an operator");
    expect_error("AGE > 1 & AGE < 3", CARTA_ECONFIG, 9, "use '&&'");
    expect_error("AGE > 1 | AGE < 3", CARTA_ECONFIG, 9, "use '||'");
    expect_error("SEX == 'F", CARTA_ECONFIG, 8, "unterminated string");
    expect_error("1.2.3 > 1", CARTA_ECONFIG, 1, "bad number '1.2.3'");
    expect_error("AGE > 1e+", CARTA_ECONFIG, 7, "bad number");
    expect_error("", CARTA_ECONFIG, 1, "empty expression");
    expect_error("   ", CARTA_ECONFIG, 4, "empty expression");
    expect_error("AGE >", CARTA_ECONFIG, 6, "expected a value");
    expect_error("lg(AGE) > 1", CARTA_ECONFIG, 1, "unknown function 'lg' (did you mean log?)");
    expect_error("foobar(AGE) > 1", CARTA_ECONFIG, 1, "unknown function 'foobar' (functions:");
    expect_error("log(AGE, 2) > 1", CARTA_ECONFIG, 1, "log takes 1 argument, got 2");
    expect_error("exp() > 1", CARTA_ECONFIG, 1, "exp takes 1 argument, got 0");
    expect_error("min(AGE) > 1", CARTA_ECONFIG, 1, "min takes 2 or more arguments, got 1");
    expect_error("max(AGE, 2 > 1", CARTA_ECONFIG, 15, "expected ',' or ')'");
    expect_error("1 < AGE < 3", CARTA_ECONFIG, 9, "cannot be chained");
    expect_error("AGE is nothing", CARTA_ECONFIG, 8, "expected 'missing' or 'not missing'");
    expect_error("SEX in 'F'", CARTA_ECONFIG, 8, "expected '(' after 'in'");
    expect_error("SEX in (AGE)", CARTA_ECONFIG, 9, "expected a number, string or date in the list");
    expect_error("SEX in ('F' 'M')", CARTA_ECONFIG, 13, "expected ',' or ')' in the list");
    expect_error("date '2014-13-01' < D", CARTA_ECONFIG, 6, "'2014-13-01' is not a date");
    expect_error("AGE 18", CARTA_ECONFIG, 5, "expected an operator or the end");
    expect_error("AGE > 1)", CARTA_ECONFIG, 8, "unmatched ')'");
    expect_error("AGE @ 1", CARTA_ECONFIG, 5, "unexpected character '@'");
    expect_error("`` > 1", CARTA_ECONFIG, 1, "empty quoted name");
    expect_error("!", CARTA_ECONFIG, 2, "expected a value");
    expect_error("SEX not ('F')", CARTA_ECONFIG, 9, "expected 'in' after 'not'");
    expect_error("SEX in ('F') not in ('M')", CARTA_ECONFIG, 14, "cannot be chained");
}

Test(expr, nesting_and_length_are_bounded)
{
    char deep[700];
    size_t k = 0;
    for (int i = 0; i < 300; i++) deep[k++] = '(';
    deep[k++] = '1';
    deep[k] = '\0';
    carta_error err = { 0 };
    carta_expr *e = NULL;
    cr_assert_eq(carta_expr_parse(deep, "/w", &e, &err), CARTA_ECONFIG);
    cr_assert_not_null(strstr(err.msg, "nested too deeply"), "%s", err.msg);
    cr_assert_eq(err.col, 201);
    cr_assert_null(e);
    /* A flat chain builds a tall tree: refused before the evaluator could recurse too deep. */
    size_t cap = 5000;
    char *chain = malloc(cap);
    k = 0;
    for (int i = 0; i < 1500; i++) {
        chain[k++] = '1';
        chain[k++] = '+';
    }
    chain[k++] = '1';
    chain[k] = '\0';
    carta_error_clear(&err);
    cr_assert_eq(carta_expr_parse(chain, "/w", &e, &err), CARTA_ECONFIG);
    cr_assert_not_null(strstr(err.msg, "too long"), "%s", err.msg);
    free(chain);
}

Test(expr, a_plain_name_is_printed_in_the_message)
{
    carta_error err = { 0 };
    carta_expr *e = NULL;
    cr_assert_eq(carta_expr_parse("AGE >= 18 && (SEX == 'F'", "cohort.where", &e, &err), CARTA_ECONFIG);
    cr_assert_str_eq(err.msg, "cohort.where: column 25: expected ')', found the end of the expression");
    cr_assert_str_eq(err.field, "cohort.where");
    cr_assert_eq(err.col, 25);
}

Test(expr, type_errors_and_unknown_columns_at_bind_time)
{
    expect_error("AEG > 18", CARTA_ECONFIG, 1, "unknown column AEG (did you mean AGE?)");
    expect_error("age > 18", CARTA_ECONFIG, 1, "unknown column age (did you mean AGE?)");
    expect_error("ABLFLL == 'Y'", CARTA_ECONFIG, 1, "unknown column ABLFLL (did you mean ABLFL?)");
    expect_error("XYZQW > 1", CARTA_ECONFIG, 1, "unknown column XYZQW");
    expect_error("AGE > 1 && SEX == 1", CARTA_ECONFIG, 16, "cannot compare SEX (string) with 1 (number)");
    expect_error("SEX + 1 > 2", CARTA_ECONFIG, 5, "cannot compute SEX + 1 (string + number)");
    expect_error("AGE && FL", CARTA_ECONFIG, 1, "&& needs a condition, but AGE is a number");
    expect_error("FL || N", CARTA_ECONFIG, 7, "|| needs a condition, but N is a number");
    expect_error("!AGE", CARTA_ECONFIG, 2, "! needs a condition, but AGE is a number");
    expect_error("D > 5", CARTA_ECONFIG, 3, "cannot compare D (date) with 5 (number)");
    expect_error("D == 'yesterday'", CARTA_ECONFIG, 6, "'yesterday' is compared with a date but is not a date");
    expect_error("D * 2 > 1", CARTA_ECONFIG, 3, "cannot compute D * 2 (date * number)");
    expect_error("N in (1, 'a')", CARTA_ECONFIG, 10, "cannot compare N (number) with 'a' (string) in the list");
    expect_error("log(SEX) > 1", CARTA_ECONFIG, 5, "log needs a number, but SEX is a string");
    expect_error("-SEX == 1", CARTA_ECONFIG, 1, "cannot negate SEX");
    expect_error("'a' == 1", CARTA_ECONFIG, 5, "cannot compare 'a' (string) with 1 (number)");
    expect_error("D - D > D", CARTA_ECONFIG, 7, "cannot compare D - D (number) with D (date)");

    carta_table *t = sample();
    carta_error err = { 0 };
    carta_expr *e = NULL;
    uint8_t out[4];
    cr_assert_eq(carta_expr_parse("AGE + 1", "/w", &e, &err), CARTA_OK);
    cr_assert_eq(carta_expr_bind(e, t, &err), CARTA_OK);
    cr_assert_eq(carta_expr_result_type(e), CARTA_EXPR_NUM);
    cr_assert_eq(carta_expr_eval_bool(e, t, out, &err), CARTA_ECONFIG);
    cr_assert_not_null(strstr(err.msg, "is a number, not a condition"), "%s", err.msg);
    carta_expr_free(e);
    /* Evaluating before binding is refused. */
    carta_error_clear(&err);
    cr_assert_eq(carta_expr_parse("AGE > 1", "/w", &e, &err), CARTA_OK);
    cr_assert_eq(carta_expr_eval_bool(e, t, out, &err), CARTA_ECONFIG);
    carta_expr_free(e);
    carta_table_free(t);
}

Test(expr, a_changed_table_is_caught_at_evaluation)
{
    carta_table *t = sample();
    carta_error err = { 0 };
    carta_expr *e = NULL;
    cr_assert_eq(carta_expr_parse("N > 1", "/w", &e, &err), CARTA_OK);
    cr_assert_eq(carta_expr_bind(e, t, &err), CARTA_OK);
    carta_table *u = carta_table_new("u");
    const char *s[] = { "a" };
    col_str(u, "N", s, 1);
    uint8_t out[4];
    cr_assert_eq(carta_expr_eval_bool(e, u, out, &err), CARTA_EDATA);
    cr_assert_not_null(strstr(err.msg, "column N is a string here but was a integer"), "%s", err.msg);
    /* Rebinding to the new table gives the proper type error. */
    carta_error_clear(&err);
    cr_assert_eq(carta_expr_bind(e, u, &err), CARTA_ECONFIG);
    carta_table_free(u);
    carta_expr_free(e);
    carta_table_free(t);
}

Test(expr, columns_used_are_listed_once)
{
    carta_error err = { 0 };
    carta_expr *e = NULL;
    cr_assert_eq(carta_expr_parse("AGE > 1 && (SEX == 'F' || AGE < log(LDH))", "/w", &e, &err), CARTA_OK);
    cr_assert_eq(carta_expr_ncolumns(e), 3);
    cr_assert_str_eq(carta_expr_column(e, 0), "AGE");
    cr_assert_str_eq(carta_expr_column(e, 1), "SEX");
    cr_assert_str_eq(carta_expr_column(e, 2), "LDH");
    cr_assert_null(carta_expr_column(e, 3));
    cr_assert_str_eq(carta_expr_text(e), "AGE > 1 && (SEX == 'F' || AGE < log(LDH))");
    cr_assert_str_eq(carta_expr_name(e), "/w");
    carta_expr_free(e);
    carta_expr_free(NULL);
}

Test(expr, evaluation_crosses_chunk_boundaries)
{
    size_t n = 3 * CARTA_EXPR_CHUNK + 17;
    double *v = malloc(n * sizeof *v);
    const char **s = malloc(n * sizeof *s);
    for (size_t i = 0; i < n; i++) {
        v[i] = i % 7 == 3 ? (double)NAN : (double)i;
        s[i] = i % 3 == 0 ? "a" : i % 3 == 1 ? "b" : NULL;
    }
    carta_table *t = carta_table_new("big");
    col_f64(t, "X", v, n);
    col_str(t, "S", s, n);
    uint8_t *out = malloc(n);
    double *num = malloc(n * sizeof *num);
    carta_error err = { 0 };
    cr_assert_eq(carta_expr_filter("X >= 1000 && X < 2100 || S == 'a' && X > 3000", "/w", t, out, &err), CARTA_OK);
    for (size_t i = 0; i < n; i++) {
        /* The expected value, computed row by row with the Kleene rules. */
        int xm = i % 7 == 3, sm = i % 3 == 2;
        int a = xm ? M : (v[i] >= 1000 && v[i] < 2100);
        int sa = sm ? M : i % 3 == 0;
        int xb = xm ? M : v[i] > 3000;
        int b = (sa == 0 || xb == 0) ? 0 : (sa == M || xb == M) ? M : 1;
        int want = (a == 1 || b == 1) ? 1 : (a == M || b == M) ? M : 0;
        cr_expect_eq(out[i], want, "row %zu", i);
    }
    carta_expr *e = NULL;
    cr_assert_eq(carta_expr_parse("X * 2 - 1", "/w", &e, &err), CARTA_OK);
    cr_assert_eq(carta_expr_bind(e, t, &err), CARTA_OK);
    cr_assert_eq(carta_expr_eval_num(e, t, num, &err), CARTA_OK);
    for (size_t i = 0; i < n; i++) {
        if (isnan(v[i])) cr_expect(isnan(num[i]));
        else cr_expect_eq(num[i], v[i] * 2 - 1, "row %zu", i);
    }
    carta_expr_free(e);
    carta_table_free(t);
    free(v);
    free(s);
    free(out);
    free(num);
}

Test(expr, edit_distance)
{
    cr_assert_eq(carta_expr_edit_distance("AEG", "AGE"), 2);
    cr_assert_eq(carta_expr_edit_distance("age", "AGE"), 0);
    cr_assert_eq(carta_expr_edit_distance("", "ABC"), 3);
    cr_assert_eq(carta_expr_edit_distance("kitten", "sitting"), 3);
}

Test(expr, allocation_failures_end_in_enomem_without_leaks)
{
    carta_table *t = sample();
    const char *text = "AGE >= 18 && SEX in ('F', 'M') || D > date '2014-01-01' && log(N) < 2 && NAME != 'x'";
    uint8_t out[4];
    int ok = 0;
    for (long k = 1; k < 500 && !ok; k++) {
        carta_error err = { 0 };
        carta_expr *e = NULL;
        carta_alloc_fail_at(k);
        int rc = carta_expr_parse(text, "/w", &e, &err);
        if (rc == CARTA_OK) rc = carta_expr_bind(e, t, &err);
        if (rc == CARTA_OK) rc = carta_expr_eval_bool(e, t, out, &err);
        carta_alloc_fail_at(0);
        cr_assert(rc == CARTA_OK || rc == CARTA_ENOMEM, "k=%ld: rc %d (%s)", k, rc, err.msg);
        if (rc == CARTA_ENOMEM) cr_assert_eq(err.code, CARTA_ENOMEM);
        if (rc == CARTA_OK) ok = 1;
        carta_expr_free(e);
    }
    cr_assert(ok, "never succeeded");
    const uint8_t want[] = { 1, 0, M, M };
    for (int i = 0; i < 4; i++) cr_expect_eq(out[i], want[i], "row %d", i);
    carta_table_free(t);
}
