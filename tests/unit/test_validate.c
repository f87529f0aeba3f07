/* Unit tests of validate/: every rule finds the right row, column and value; a valid table
   passes; grouping keeps the first examples and a full count; foreign keys; the report text;
   fault injection; and (when the XPORT reader is built) the CDISC pilot files against the
   shipped schemas. Tables are built in code so that each case shows its data. */
#include <carta/alloc.h>
#include <carta/schema.h>
#include <carta/table.h>
#include <carta/validate.h>

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#include <carta/xpt.h>

/* ---- building tables ---------------------------------------------------------------- */

static carta_column *col(carta_table *t, const char *name, carta_type type)
{
    carta_error err;
    carta_error_clear(&err);
    carta_column *c = NULL;
    cr_assert_eq(carta_table_add_column(t, name, type, &c, &err), CARTA_OK, "%s", err.msg);
    return c;
}

/* Strings; NULL is a missing value. */
static void strs(carta_table *t, const char *name, const char *const *v, size_t n)
{
    carta_column *c = col(t, name, CARTA_STR);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(v[i] ? carta_column_push_str(c, v[i], strlen(v[i])) : carta_column_push_missing(c), CARTA_OK);
}

/* Doubles; NaN is a missing value. */
static void nums(carta_table *t, const char *name, const double *v, size_t n)
{
    carta_column *c = col(t, name, CARTA_F64);
    for (size_t i = 0; i < n; i++) cr_assert_eq(carta_column_push_f64(c, v[i]), CARTA_OK);
}

/* Integers; the value INT64_MIN is a missing value. */
static void ints(carta_table *t, const char *name, carta_type type, const int64_t *v, size_t n)
{
    carta_column *c = col(t, name, type);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(v[i] == INT64_MIN ? carta_column_push_missing(c) : carta_column_push_i64(c, v[i]), CARTA_OK);
}

/* Dates from "YYYY-MM-DD"; NULL is missing. */
static void dates(carta_table *t, const char *name, const char *const *v, size_t n)
{
    carta_column *c = col(t, name, CARTA_DATE);
    for (size_t i = 0; i < n; i++) {
        int64_t d = 0;
        if (!v[i]) { cr_assert_eq(carta_column_push_missing(c), CARTA_OK); continue; }
        cr_assert_eq(carta_parse_date(v[i], strlen(v[i]), &d), 0);
        cr_assert_eq(carta_column_push_i64(c, d), CARTA_OK);
    }
}

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MISS INT64_MIN

static carta_schema *schema(const char *json)
{
    carta_error err;
    carta_error_clear(&err);
    carta_schema *s = NULL;
    cr_assert_eq(carta_schema_parse(json, strlen(json), "s.json", &s, &err), CARTA_OK, "%s", err.msg);
    return s;
}

static carta_validation *run(const carta_table *t, const char *name, const carta_schema *s, long first, size_t max_ex)
{
    carta_error err;
    carta_error_clear(&err);
    carta_validation *v = carta_validation_new();
    cr_assert_not_null(v);
    cr_assert_eq(carta_validate_table(t, name, s, first, max_ex, v, &err), CARTA_OK, "%s", err.msg);
    return v;
}

/* The only group with this column and rule; fails the test when there is none or several. */
static const carta_vgroup *group(const carta_validation *v, const char *column, const char *rule)
{
    const carta_vgroup *g = NULL;
    for (size_t i = 0; i < v->n_groups; i++)
        if (strcmp(v->groups[i].column, column) == 0 && strcmp(v->groups[i].rule, rule) == 0) {
            cr_assert_null(g, "two groups for %s %s", column, rule);
            g = &v->groups[i];
        }
    cr_assert_not_null(g, "no group for %s %s", column, rule);
    return g;
}

static int has_group(const carta_validation *v, const char *column, const char *rule)
{
    for (size_t i = 0; i < v->n_groups; i++)
        if (strcmp(v->groups[i].column, column) == 0 && strcmp(v->groups[i].rule, rule) == 0) return 1;
    return 0;
}

static void example_is(const carta_vgroup *g, size_t k, long row, const char *value)
{
    cr_assert_lt(k, g->n_examples, "%s %s has only %zu examples", g->column, g->rule, g->n_examples);
    cr_assert_eq(g->examples[k].row, row, "%s %s example %zu: row %ld, want %ld", g->column, g->rule, k,
                 g->examples[k].row, row);
    if (value) cr_assert_str_eq(g->examples[k].value, value);
    else cr_assert_null(g->examples[k].value);
}

/* ---- a valid table passes -------------------------------------------------------------- */

static const char *const full_schema =
    "{\"fields\":["
    "{\"name\":\"STUDYID\",\"constraints\":{\"required\":true}},"
    "{\"name\":\"USUBJID\",\"constraints\":{\"required\":true,\"pattern\":\"S[0-9]+-[0-9]{3}\",\"maxLength\":8}},"
    "{\"name\":\"AGE\",\"type\":\"integer\",\"constraints\":{\"minimum\":18,\"maximum\":90}},"
    "{\"name\":\"SEX\",\"constraints\":{\"enum\":[\"F\",\"M\"]}},"
    "{\"name\":\"AVAL\",\"type\":\"number\",\"constraints\":{\"exclusiveMinimum\":0}},"
    "{\"name\":\"TRTSDT\",\"type\":\"date\",\"constraints\":{\"minimum\":\"2014-01-01\"}},"
    "{\"name\":\"GRADE\",\"type\":\"integer\",\"constraints\":{\"enum\":[1,2,3,4,5]}},"
    "{\"name\":\"FL\",\"type\":\"boolean\",\"x-optional\":true}],"
    "\"primaryKey\":[\"STUDYID\",\"USUBJID\"]}";

static carta_table *valid_table(void)
{
    carta_table *t = carta_table_new("adsl.csv");
    const char *st[] = { "S1", "S1", "S1", "S2" };
    const char *us[] = { "S1-001", "S1-002", "S1-003", "S1-001" }; /* same USUBJID, other study */
    const int64_t age[] = { 18, 45, 90, MISS };
    const char *sex[] = { "F", "M", "NA", "M" };                     /* "NA" is missing */
    const double aval[] = { 0.5, 12, NAN, 3e2 };
    const char *dt[] = { "2014-01-01", "2015-06-30", NULL, "2020-02-29" };
    const char *gr[] = { "1", "5", "3", "" };                        /* strings that are integers */
    strs(t, "STUDYID", st, 4);
    strs(t, "USUBJID", us, 4);
    ints(t, "AGE", CARTA_I64, age, 4);
    strs(t, "SEX", sex, 4);
    nums(t, "AVAL", aval, 4);
    dates(t, "TRTSDT", dt, 4);
    strs(t, "GRADE", gr, 4);
    return t;
}

Test(validate, a_valid_table_passes)
{
    carta_schema *s = schema(full_schema);
    carta_table *t = valid_table();
    carta_validation *v = run(t, "adsl", s, 2, 5);
    for (size_t i = 0; i < v->n_groups; i++)
        cr_expect_eq(v->groups[i].severity, CARTA_VALIDATE_NOTE, "unexpected %s %s", v->groups[i].column, v->groups[i].rule);
    cr_assert_eq(carta_validation_count(v), 0);
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_validation_status(v, &err), CARTA_OK);
    /* The summary: rows, columns, types, missing counts (bitmap plus missingValues strings). */
    cr_assert_eq(v->n_tables, 1);
    const carta_vtable *vt = &v->tables[0];
    cr_assert_str_eq(vt->table, "adsl");
    cr_assert_str_eq(vt->file, "adsl.csv");
    cr_assert_eq(vt->rows, 4);
    cr_assert_eq(vt->cols, 7);
    cr_assert_eq(vt->columns[2].type, CARTA_I64);
    cr_assert_eq(vt->columns[2].kind, CARTA_SCHEMA_INTEGER);
    cr_assert_eq(vt->columns[2].n_missing, 1);
    cr_assert_eq(vt->columns[3].n_missing, 1, "SEX \"NA\" counts as missing");
    cr_assert_eq(vt->columns[6].n_missing, 1, "GRADE \"\" counts as missing");
    cr_assert_eq(vt->columns[0].n_missing, 0);
    /* The optional FL is absent: a note, not an error; GRADE loaded as strings is noted. */
    cr_assert(has_group(v, "FL", "absent"));
    cr_assert(has_group(v, "GRADE", "loaded-type"));
    carta_validation_free(v);
    carta_table_free(t);
    carta_schema_free(s);
    carta_validation_free(NULL);
}

/* ---- each rule ------------------------------------------------------------------------ */

Test(validate, required_finds_missing_values_and_missing_tokens)
{
    carta_schema *s = schema("{\"fields\":[{\"name\":\"ID\",\"constraints\":{\"required\":true}},"
                             "{\"name\":\"X\",\"type\":\"number\",\"constraints\":{\"required\":true}}]}");
    carta_table *t = carta_table_new("t.csv");
    const char *id[] = { "a", NULL, "c", ".", "NA", "f" };
    const double x[] = { 1, 2, NAN, 4, 5, 6 };
    strs(t, "ID", id, 6);
    nums(t, "X", x, 6);
    carta_validation *v = run(t, "t", s, 2, 10);
    const carta_vgroup *g = group(v, "ID", "required");
    cr_assert_eq(g->count, 3);
    example_is(g, 0, 3, NULL);
    example_is(g, 1, 5, NULL);
    example_is(g, 2, 6, NULL);
    g = group(v, "X", "required");
    cr_assert_eq(g->count, 1);
    example_is(g, 0, 4, NULL);
    cr_assert_eq(carta_validation_count(v), 4);
    cr_assert_eq(v->tables[0].n_errors, 4);
    carta_validation_free(v);
    carta_table_free(t);
    carta_schema_free(s);
}

Test(validate, type_lists_the_values_that_are_not_of_the_declared_type)
{
    carta_schema *s = schema("{\"fields\":[{\"name\":\"AVAL\",\"type\":\"number\"},{\"name\":\"N\",\"type\":\"integer\"},"
                             "{\"name\":\"D\",\"type\":\"date\"},{\"name\":\"B\",\"type\":\"boolean\"},"
                             "{\"name\":\"F\",\"type\":\"integer\"},{\"name\":\"DT\",\"type\":\"datetime\"},"
                             "{\"name\":\"ND\",\"type\":\"number\"}]}");
    carta_table *t = carta_table_new("adtte.csv");
    /* As a CSV loader that fell back to strings would hand them over. */
    const char *aval[] = { "12.5", "12,5", "1e3", "0x10", " 7", "-.5" };
    const char *n[] = { "3", "3.0", "-12", "+4", "9223372036854775808", "" };
    const char *d[] = { "2014-01-02", "2014-02-30", "2014-1-2", "2016-02-29", "2014-01-02T10:00", "NA" };
    const char *b[] = { "true", "FALSE", "1", "yes", "0", "True" };
    const double f[] = { 1, 2.5, -3, 4, NAN, 1e6 };
    const char *dt[] = { "2014-01-02T10:20:30Z", "2014-01-02", "2014-01-02T25:00", "2014-01-02T10:20:30+01:00",
                         "2014-01-02 10:20", "2014-01-02T10:20:30.25" };
    const char *nd[] = { "2014-01-02", NULL, NULL, NULL, NULL, NULL };
    strs(t, "AVAL", aval, 6);
    strs(t, "N", n, 6);
    strs(t, "D", d, 6);
    strs(t, "B", b, 6);
    nums(t, "F", f, 6);
    strs(t, "DT", dt, 6);
    dates(t, "ND", nd, 6);
    carta_validation *v = run(t, "adtte", s, 2, 10);
    const carta_vgroup *g = group(v, "AVAL", "type");
    cr_assert_eq(g->count, 3);
    example_is(g, 0, 3, "12,5");
    example_is(g, 1, 5, "0x10");
    example_is(g, 2, 6, " 7");
    cr_assert_str_eq(g->detail, "type number");
    g = group(v, "N", "type");
    cr_assert_eq(g->count, 2);
    example_is(g, 0, 3, "3.0");
    example_is(g, 1, 6, "9223372036854775808");
    g = group(v, "D", "type");
    cr_assert_eq(g->count, 3);
    example_is(g, 0, 3, "2014-02-30");
    example_is(g, 1, 4, "2014-1-2");
    example_is(g, 2, 6, "2014-01-02T10:00");
    g = group(v, "B", "type");
    cr_assert_eq(g->count, 1);
    example_is(g, 0, 5, "yes");
    g = group(v, "F", "type");
    cr_assert_eq(g->count, 1);
    example_is(g, 0, 3, "2.5");
    g = group(v, "DT", "type");
    cr_assert_eq(g->count, 2);
    example_is(g, 0, 4, "2014-01-02T25:00");
    example_is(g, 1, 6, "2014-01-02 10:20");
    /* A date column where a number is declared: every value is a type violation. */
    g = group(v, "ND", "type");
    cr_assert_eq(g->count, 1);
    example_is(g, 0, 2, "2014-01-02");
    /* No loaded-type note for columns that have type violations. */
    cr_assert_not(has_group(v, "AVAL", "loaded-type"));
    carta_validation_free(v);
    carta_table_free(t);
    carta_schema_free(s);
}

Test(validate, enum_bounds_pattern_and_length)
{
    carta_schema *s = schema(full_schema);
    carta_table *t = carta_table_new("adsl.csv");
    const char *st[] = { "S1", "S1", "S1", "S1", "S1" };
    const char *us[] = { "S1-001", "S1-02", "XS1-003", "S12345-004", "S1-005" };
    const int64_t age[] = { 17, 18, 90, 91, 40 };
    const char *sex[] = { "F", "f", "M", "Male", "" };
    const double aval[] = { 0, 1e-300, -1, 5, NAN };
    const char *dt[] = { "2013-12-31", "2014-01-01", NULL, "1999-05-05", "2030-01-01" };
    const char *gr[] = { "0", "1", "6", "5", "2" };
    strs(t, "STUDYID", st, 5);
    strs(t, "USUBJID", us, 5);
    ints(t, "AGE", CARTA_I64, age, 5);
    strs(t, "SEX", sex, 5);
    nums(t, "AVAL", aval, 5);
    dates(t, "TRTSDT", dt, 5);
    strs(t, "GRADE", gr, 5);
    carta_validation *v = run(t, "adsl", s, 2, 10);
    const carta_vgroup *g = group(v, "AGE", "minimum");
    cr_assert_eq(g->count, 1);
    example_is(g, 0, 2, "17");
    cr_assert_str_eq(g->detail, "minimum 18");
    g = group(v, "AGE", "maximum");
    example_is(g, 0, 5, "91");
    cr_assert_eq(g->count, 1);
    g = group(v, "SEX", "enum");
    cr_assert_eq(g->count, 2, "case matters; \"\" is missing, not an enum violation");
    example_is(g, 0, 3, "f");
    example_is(g, 1, 5, "Male");
    cr_assert_str_eq(g->detail, "enum F, M");
    g = group(v, "AVAL", "minimum");
    cr_assert_str_eq(g->detail, "exclusiveMinimum 0");
    cr_assert_eq(g->count, 2);
    example_is(g, 0, 2, "0");
    example_is(g, 1, 4, "-1");
    g = group(v, "TRTSDT", "minimum");
    cr_assert_eq(g->count, 2);
    example_is(g, 0, 2, "2013-12-31");
    example_is(g, 1, 5, "1999-05-05");
    /* The pattern must match the whole value: "XS1-003" contains a match but is not one. */
    g = group(v, "USUBJID", "pattern");
    cr_assert_eq(g->count, 2);
    example_is(g, 0, 3, "S1-02");
    example_is(g, 1, 4, "XS1-003");
    g = group(v, "USUBJID", "maxLength");
    cr_assert_eq(g->count, 1);
    example_is(g, 0, 5, "S12345-004");
    /* Integer enums compare values: "6" and "0" are out. */
    g = group(v, "GRADE", "enum");
    cr_assert_eq(g->count, 2);
    example_is(g, 0, 2, "0");
    example_is(g, 1, 4, "6");
    cr_assert_eq(carta_validation_count(v), 13);
    carta_validation_free(v);
    carta_table_free(t);
    carta_schema_free(s);
}

Test(validate, lengths_count_characters_not_bytes)
{
    carta_schema *s = schema("{\"fields\":[{\"name\":\"T\",\"constraints\":{\"minLength\":2,\"maxLength\":3}}]}");
    carta_table *t = carta_table_new(NULL);
    const char *v3[] = { "\xc3\xa9t\xc3\xa9", "a", "abcd", "ab" }; /* "été" is 3 characters, 5 bytes */
    strs(t, "T", v3, 4);
    carta_validation *v = run(t, "t", s, 1, 10);
    const carta_vgroup *g = group(v, "T", "minLength");
    cr_assert_eq(g->count, 1);
    example_is(g, 0, 2, "a");
    g = group(v, "T", "maxLength");
    cr_assert_eq(g->count, 1);
    example_is(g, 0, 3, "abcd");
    cr_assert_null(v->groups[0].file, "a table without a source has no file");
    carta_validation_free(v);
    carta_table_free(t);
    carta_schema_free(s);
}

Test(validate, duplicates_name_both_rows_in_row_order)
{
    carta_schema *s = schema("{\"fields\":[{\"name\":\"S\"},{\"name\":\"U\"},{\"name\":\"K\",\"type\":\"integer\","
                             "\"constraints\":{\"unique\":true}}],\"primaryKey\":[\"S\",\"U\"],\"uniqueKeys\":[[\"U\",\"K\"]]}");
    carta_table *t = carta_table_new("adsl.csv");
    const char *st[] = { "A", "A", "B", "A", "A", "B", "A" };
    const char *us[] = { "1", "2", "1", "1", "3", "1", "2" };
    const double k[] = { 10, 11, 12, 13, 10, 12.0, NAN }; /* a missing K is never a duplicate */
    strs(t, "S", st, 7);
    strs(t, "U", us, 7);
    nums(t, "K", k, 7);
    carta_validation *v = run(t, "adsl", s, 2, 10);
    const carta_vgroup *g = group(v, "S, U", "primaryKey");
    cr_assert_eq(g->count, 3);
    /* Row 5 repeats row 2 (A,1); row 7 repeats row 4 (B,1); row 8 repeats row 3 (A,2). */
    example_is(g, 0, 5, "A, 1");
    cr_assert_eq(g->examples[0].row2, 2);
    example_is(g, 1, 7, "B, 1");
    cr_assert_eq(g->examples[1].row2, 4);
    example_is(g, 2, 8, "A, 2");
    cr_assert_eq(g->examples[2].row2, 3);
    g = group(v, "K", "unique");
    cr_assert_eq(g->count, 2);
    example_is(g, 0, 6, "10");
    cr_assert_eq(g->examples[0].row2, 2);
    example_is(g, 1, 7, "12");
    cr_assert_eq(g->examples[1].row2, 4);
    g = group(v, "U, K", "uniqueKey");
    cr_assert_eq(g->count, 1);
    example_is(g, 0, 7, "1, 12");
    cr_assert_eq(g->examples[0].row2, 4);
    carta_validation_free(v);
    carta_table_free(t);
    carta_schema_free(s);
}

Test(validate, numbers_compare_by_value_in_keys)
{
    /* "1" and "1.0" are the same number: a duplicate in a number key. */
    carta_schema *s = schema("{\"fields\":[{\"name\":\"X\",\"type\":\"number\",\"constraints\":{\"unique\":true}},"
                             "{\"name\":\"Y\",\"constraints\":{\"unique\":true}}]}");
    carta_table *t = carta_table_new("t.csv");
    const char *x[] = { "1", "1.0", "-0", "0" };
    const char *y[] = { "1", "1.0", "-0", "0" };
    strs(t, "X", x, 4);
    strs(t, "Y", y, 4);
    carta_validation *v = run(t, "t", s, 2, 10);
    const carta_vgroup *g = group(v, "X", "unique");
    cr_assert_eq(g->count, 2);
    example_is(g, 0, 3, "1.0");
    example_is(g, 1, 5, "0");
    cr_assert_not(has_group(v, "Y", "unique"), "strings compare as text");
    carta_validation_free(v);
    carta_table_free(t);
    carta_schema_free(s);
}

Test(validate, groups_keep_the_first_examples_and_count_all)
{
    carta_schema *s = schema("{\"fields\":[{\"name\":\"AGE\",\"type\":\"integer\",\"constraints\":{\"minimum\":18}}]}");
    carta_table *t = carta_table_new("adsl.csv");
    int64_t age[300];
    for (int i = 0; i < 300; i++) age[i] = 40;
    age[12] = 12;
    age[199] = 9;
    age[228] = 3;
    age[250] = 17;
    ints(t, "AGE", CARTA_I64, age, 300);
    carta_validation *v = run(t, "adsl", s, 2, 3);
    const carta_vgroup *g = group(v, "AGE", "minimum");
    cr_assert_eq(g->count, 4);
    cr_assert_eq(g->n_examples, 3);
    example_is(g, 0, 14, "12");
    example_is(g, 1, 201, "9");
    example_is(g, 2, 230, "3");
    char buf[512];
    cr_assert_str_eq(carta_vgroup_describe(g, buf, sizeof buf),
                     "adsl.csv: 4 rows violate AGE minimum 18, e.g. row 14: 12, row 201: 9, row 230: 3, ...");
    /* From another format the first data row is 1. */
    carta_validation *v1 = run(t, "adsl", s, 1, 0);
    g = group(v1, "AGE", "minimum");
    cr_assert_eq(g->count, 4);
    cr_assert_eq(g->n_examples, 0);
    cr_assert_str_eq(carta_vgroup_describe(g, buf, sizeof buf), "adsl.csv: 4 rows violate AGE minimum 18");
    carta_validation_free(v1);
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_validation_status(v, &err), CARTA_ECHECK);
    cr_assert_eq(err.code, CARTA_ECHECK);
    cr_assert_eq(err.row, 14);
    cr_assert_str_eq(err.field, "AGE");
    cr_assert_str_eq(err.file, "adsl.csv");
    cr_assert(strstr(err.msg, "4 rows violate AGE minimum 18"), "%s", err.msg);
    carta_validation_free(v);
    carta_table_free(t);
    carta_schema_free(s);
}

Test(validate, describe_quotes_text_and_names_duplicates)
{
    char a1[] = "A, 1", table[] = "adsl", column[] = "S, U", pk[] = "primaryKey", req[] = "required", x[] = "X";
    carta_vexample ex[2] = { { 5, 2, a1 }, { 9, 0, NULL } };
    carta_vgroup g = { table, NULL, column, pk, pk, CARTA_VALIDATE_ERROR, 2, 2, ex };
    char buf[256];
    cr_assert_str_eq(carta_vgroup_describe(&g, buf, sizeof buf),
                     "adsl: 2 rows violate S, U primaryKey, e.g. row 5 (same as row 2): \"A, 1\", row 9: (missing)");
    g.count = 1;
    g.n_examples = 1;
    g.rule = req;
    g.detail = req;
    g.column = x;
    ex[0].row2 = 0;
    cr_assert_str_eq(carta_vgroup_describe(&g, buf, sizeof buf), "adsl: 1 row violates X required, e.g. row 5: \"A, 1\"");
    /* Never overruns a short buffer. */
    char small[12];
    carta_vgroup_describe(&g, small, sizeof small);
    cr_assert_eq(strlen(small), sizeof small - 1);
}

/* ---- columns against fields ------------------------------------------------------------ */

Test(validate, absent_fields_and_extra_columns)
{
    carta_schema *s = schema("{\"fields\":[{\"name\":\"A\"},{\"name\":\"B\"},{\"name\":\"C\",\"x-optional\":true}]}");
    carta_table *t = carta_table_new("t.csv");
    const char *x[] = { "1" };
    strs(t, "A", x, 1);
    strs(t, "X", x, 1);
    strs(t, "Y", x, 1);
    carta_validation *v = run(t, "t", s, 2, 5);
    const carta_vgroup *g = group(v, "B", "field");
    cr_assert_eq(g->severity, CARTA_VALIDATE_ERROR);
    cr_assert_eq(carta_validation_count(v), 1);
    g = group(v, "X, Y", "extra");
    cr_assert_eq(g->severity, CARTA_VALIDATE_NOTE);
    cr_assert_eq(g->count, 2);
    g = group(v, "C", "absent");
    cr_assert_eq(g->severity, CARTA_VALIDATE_NOTE);
    char buf[256];
    cr_assert_str_eq(carta_vgroup_describe(group(v, "B", "field"), buf, sizeof buf),
                     "t.csv: column B is a schema field but not a column of the table");
    cr_assert_str_eq(carta_vgroup_describe(group(v, "X, Y", "extra"), buf, sizeof buf),
                     "t.csv: 2 columns not in the schema: X, Y");
    cr_assert_str_eq(carta_vgroup_describe(group(v, "C", "absent"), buf, sizeof buf), "t.csv: 1 optional column absent: C");
    carta_validation_free(v);
    carta_table_free(t);
    carta_schema_free(s);
}

Test(validate, fields_match_modes)
{
    carta_table *t = carta_table_new("t.csv");
    const char *x[] = { "1" };
    strs(t, "B", x, 1);
    strs(t, "A", x, 1);
    strs(t, "X", x, 1);
    /* exact: order matters and extra columns are errors. */
    carta_schema *s = schema("{\"fields\":[{\"name\":\"A\"},{\"name\":\"B\"}],\"fieldsMatch\":\"exact\"}");
    carta_validation *v = run(t, "t", s, 2, 5);
    cr_assert(has_group(v, "X", "field"));
    cr_assert(has_group(v, "A", "field"), "A comes after B in the table");
    carta_validation_free(v);
    carta_schema_free(s);
    /* equal: order does not matter. */
    s = schema("{\"fields\":[{\"name\":\"A\"},{\"name\":\"B\"}],\"fieldsMatch\":\"equal\"}");
    v = run(t, "t", s, 2, 5);
    cr_assert(has_group(v, "X", "field"));
    cr_assert_eq(carta_validation_count(v), 1);
    carta_validation_free(v);
    carta_schema_free(s);
    /* superset: fields may be absent, extra columns may not. */
    s = schema("{\"fields\":[{\"name\":\"A\"},{\"name\":\"B\"},{\"name\":\"Z\"}],\"fieldsMatch\":\"superset\"}");
    v = run(t, "t", s, 2, 5);
    cr_assert(has_group(v, "X", "field"));
    cr_assert(has_group(v, "Z", "absent"));
    cr_assert_eq(carta_validation_count(v), 1);
    carta_validation_free(v);
    carta_schema_free(s);
    /* partial: one common field is enough. */
    s = schema("{\"fields\":[{\"name\":\"Q\"},{\"name\":\"R\"}],\"fieldsMatch\":\"partial\"}");
    v = run(t, "t", s, 2, 5);
    cr_assert(has_group(v, "(all)", "field"));
    carta_validation_free(v);
    carta_schema_free(s);
    carta_table_free(t);
}

Test(validate, a_key_with_an_absent_column_is_not_checked)
{
    carta_schema *s = schema("{\"fields\":[{\"name\":\"S\"},{\"name\":\"Q\",\"x-optional\":true}],\"primaryKey\":[\"S\",\"Q\"]}");
    carta_table *t = carta_table_new("t.csv");
    const char *x[] = { "1", "1" };
    strs(t, "S", x, 2);
    carta_validation *v = run(t, "t", s, 2, 5);
    const carta_vgroup *g = group(v, "S, Q", "not-checked");
    cr_assert_eq(g->severity, CARTA_VALIDATE_NOTE);
    cr_assert_eq(carta_validation_count(v), 0);
    carta_validation_free(v);
    carta_table_free(t);
    carta_schema_free(s);
}

Test(validate, numeric_columns_under_string_fields_compare_as_text)
{
    /* SITEID 701 loaded as an integer: valid under a string field with a pattern, and noted. */
    carta_schema *s = schema("{\"fields\":[{\"name\":\"SITEID\",\"constraints\":{\"pattern\":\"[0-9]{3}\","
                             "\"enum\":[\"701\",\"702\",\"1000\"]}}]}");
    carta_table *t = carta_table_new("t.csv");
    const int64_t site[] = { 701, 702, 1000 };
    ints(t, "SITEID", CARTA_I64, site, 3);
    carta_validation *v = run(t, "t", s, 2, 5);
    const carta_vgroup *g = group(v, "SITEID", "pattern");
    cr_assert_eq(g->count, 1);
    example_is(g, 0, 4, "1000");
    cr_assert_not(has_group(v, "SITEID", "enum"));
    carta_validation_free(v);
    carta_table_free(t);
    carta_schema_free(s);
}

Test(validate, doubles_under_integer_fields_and_datetimes)
{
    /* XPORT gives every number as a double, and datetimes as F64 seconds with their SAS format. */
    carta_schema *s = schema("{\"fields\":[{\"name\":\"AGE\",\"type\":\"integer\",\"constraints\":{\"maximum\":100}},"
                             "{\"name\":\"DTM\",\"type\":\"datetime\",\"constraints\":{\"minimum\":\"2014-01-01T00:00:00Z\"}},"
                             "{\"name\":\"D\",\"type\":\"date\",\"format\":\"any\"}]}");
    carta_table *t = carta_table_new("adsl.xpt");
    const double age[] = { 51, 88, 101 };
    const double dtm[] = { 1388534400.0 + 3600, 1388534400.0 - 1, NAN }; /* 2014-01-01T01:00, one second before */
    nums(t, "AGE", age, 3);
    nums(t, "DTM", dtm, 3);
    cr_assert_eq(carta_column_set_meta(carta_table_find(t, "DTM"), NULL, NULL, "DATETIME20."), CARTA_OK);
    const char *d[] = { "2014-01-02T10:00:00", "2014-01-02", NULL };
    strs(t, "D", d, 3);
    carta_validation *v = run(t, "adsl", s, 1, 5);
    const carta_vgroup *g = group(v, "AGE", "maximum");
    example_is(g, 0, 3, "101");
    cr_assert_not(has_group(v, "AGE", "type"));
    cr_assert_not(has_group(v, "AGE", "loaded-type"), "integers as doubles are expected from XPORT");
    g = group(v, "DTM", "minimum");
    cr_assert_eq(g->count, 1);
    example_is(g, 0, 2, "2013-12-31T23:59:59");
    cr_assert_not(has_group(v, "D", "type"), "format any takes a date with a time");
    cr_assert_eq(carta_validation_count(v), 2);
    carta_validation_free(v);
    carta_table_free(t);
    carta_schema_free(s);
}

Test(validate, bad_arguments)
{
    carta_schema *s = schema("{\"fields\":[{\"name\":\"A\"}]}");
    carta_table *t = carta_table_new("t.csv");
    carta_validation *v = carta_validation_new();
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_validate_table(t, "t", s, 0, 5, v, &err), CARTA_EUSAGE);
    carta_error_clear(&err);
    cr_assert_eq(carta_validate_table(t, NULL, s, 1, 5, v, &err), CARTA_EUSAGE);
    carta_validation_free(v);
    carta_table_free(t);
    carta_schema_free(s);
}

/* ---- foreign keys ----------------------------------------------------------------------- */

static const char *const parent_schema =
    "{\"fields\":[{\"name\":\"STUDYID\"},{\"name\":\"USUBJID\"}],\"primaryKey\":[\"STUDYID\",\"USUBJID\"],"
    "\"foreignKeys\":[{\"fields\":\"STUDYID\",\"reference\":{\"resource\":\"studies\",\"fields\":\"STUDYID\"}}]}";
static const char *const child_schema =
    "{\"fields\":[{\"name\":\"STUDYID\"},{\"name\":\"USUBJID\"},{\"name\":\"SEQ\",\"type\":\"integer\"},"
    "{\"name\":\"PREV\",\"type\":\"integer\",\"x-optional\":true}],"
    "\"foreignKeys\":[{\"fields\":[\"STUDYID\",\"USUBJID\"],\"reference\":{\"resource\":\"adsl\","
    "\"fields\":[\"STUDYID\",\"USUBJID\"]}},"
    "{\"fields\":\"PREV\",\"reference\":{\"resource\":\"\",\"fields\":\"SEQ\"}}]}";

Test(validate, foreign_keys_report_orphans)
{
    carta_schema *ps = schema(parent_schema), *cs = schema(child_schema);
    carta_table *p = carta_table_new("adsl.csv"), *c = carta_table_new("adae.xpt");
    const char *pst[] = { "S1", "S1", "S2" };
    const char *pus[] = { "001", "002", "001" };
    strs(p, "STUDYID", pst, 3);
    strs(p, "USUBJID", pus, 3);
    const char *cst[] = { "S1", "S2", "S2", "S3", NULL, "S1", "S1" };
    const char *cus[] = { "002", "001", "002", "001", "009", "001", "NA" };
    const int64_t seq[] = { 1, 2, 3, 4, 5, 6, 7 };
    const double prev[] = { NAN, 1, 2, 9, 3, 4, 8 };
    strs(c, "STUDYID", cst, 7);
    strs(c, "USUBJID", cus, 7);
    ints(c, "SEQ", CARTA_I64, seq, 7);
    nums(c, "PREV", prev, 7);
    carta_validation *v = carta_validation_new();
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_validate_table(p, "adsl", ps, 2, 5, v, &err), CARTA_OK);
    cr_assert_eq(carta_validate_table(c, "adae", cs, 1, 5, v, &err), CARTA_OK);
    carta_vinput in[] = { { "adsl", p, ps, 2 }, { "adae", c, cs, 1 } };
    cr_assert_eq(carta_validate_foreign_keys(in, 2, 5, v, &err), CARTA_OK, "%s", err.msg);
    /* (S2, 002) and (S3, 001) are not in adsl; rows with a missing part are skipped. */
    const carta_vgroup *g = group(v, "STUDYID, USUBJID", "foreignKey");
    cr_assert_str_eq(g->table, "adae");
    cr_assert_str_eq(g->file, "adae.xpt");
    cr_assert_eq(g->count, 2);
    example_is(g, 0, 3, "S2, 002");
    example_is(g, 1, 4, "S3, 001");
    cr_assert_str_eq(g->detail, "foreignKey to adsl (STUDYID, USUBJID)");
    /* The self-reference: PREV 9 and 8 are no SEQ. */
    g = group(v, "PREV", "foreignKey");
    cr_assert_eq(g->count, 2);
    example_is(g, 0, 4, "9");
    example_is(g, 1, 7, "8");
    /* adsl's key to studies cannot be checked: no such table. */
    g = group(v, "STUDYID", "not-checked");
    cr_assert_str_eq(g->table, "adsl");
    cr_assert_eq(carta_validation_count(v), 4);
    /* Counted into adae's summary. */
    cr_assert_eq(v->tables[1].n_errors, 4);
    cr_assert_eq(v->tables[0].n_errors, 0);
    carta_validation_free(v);
    carta_table_free(p);
    carta_table_free(c);
    carta_schema_free(ps);
    carta_schema_free(cs);
}

Test(validate, foreign_keys_across_loaded_types)
{
    /* The parent's SITEID loaded as integers, the child's as strings, and the other way round. */
    carta_schema *ps = schema("{\"fields\":[{\"name\":\"SITE\",\"type\":\"integer\"},{\"name\":\"NAME\"}]}");
    carta_schema *cs = schema("{\"fields\":[{\"name\":\"SITE\",\"type\":\"integer\"},{\"name\":\"NAME\"}],"
                              "\"foreignKeys\":[{\"fields\":\"SITE\",\"reference\":{\"resource\":\"sites\",\"fields\":\"SITE\"}},"
                              "{\"fields\":\"NAME\",\"reference\":{\"resource\":\"sites\",\"fields\":\"NAME\"}}]}");
    carta_table *p = carta_table_new("sites.csv"), *c = carta_table_new("x.csv");
    const int64_t psite[] = { 701, 702 };
    const char *pname[] = { "1", "2" };
    ints(p, "SITE", CARTA_I64, psite, 2);
    strs(p, "NAME", pname, 2);
    const char *csite[] = { "701", "+702", "703", "x" };
    const int64_t cname[] = { 1, 2, 3, 2 };
    strs(c, "SITE", csite, 4);
    ints(c, "NAME", CARTA_I64, cname, 4);
    carta_validation *v = carta_validation_new();
    carta_error err;
    carta_error_clear(&err);
    carta_vinput in[] = { { "sites", p, ps, 2 }, { "x", c, cs, 2 } };
    cr_assert_eq(carta_validate_foreign_keys(in, 2, 5, v, &err), CARTA_OK, "%s", err.msg);
    const carta_vgroup *g = group(v, "SITE", "foreignKey");
    cr_assert_eq(g->count, 2);
    example_is(g, 0, 4, "703");
    example_is(g, 1, 5, "x");
    g = group(v, "NAME", "foreignKey");
    cr_assert_eq(g->count, 1);
    example_is(g, 0, 4, "3");
    carta_validation_free(v);
    carta_table_free(p);
    carta_table_free(c);
    carta_schema_free(ps);
    carta_schema_free(cs);
}

/* ---- the report --------------------------------------------------------------------------- */

Test(validate, the_report_lists_tables_columns_and_findings)
{
    carta_schema *s = schema(full_schema);
    carta_table *t = valid_table();
    carta_column *age = carta_table_find(t, "AGE");
    age->i64[1] = 12; /* row 3 */
    carta_validation *v = run(t, "adsl", s, 2, 5);
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    cr_assert_not_null(fp);
    cr_assert_eq(carta_validation_format(v, fp), CARTA_OK);
    fclose(fp);
    cr_assert(strstr(buf, "adsl (adsl.csv): 4 rows, 7 columns, 1 violation\n"), "%s", buf);
    cr_assert(strstr(buf, "  AGE      integer  integer   1\n"), "%s", buf);
    cr_assert(strstr(buf, "  GRADE    string   integer   1\n"), "%s", buf);
    cr_assert(strstr(buf, "  error: adsl.csv: 1 row violates AGE minimum 18, e.g. row 3: 12\n"), "%s", buf);
    cr_assert(strstr(buf, "  note: adsl.csv: 1 optional column absent: FL\n"), "%s", buf);
    cr_assert(strstr(buf, "1 violation in 1 table\n"), "%s", buf);
    free(buf);
    carta_validation_free(v);
    carta_table_free(t);
    carta_schema_free(s);
}

/* ---- scale --------------------------------------------------------------------------------- */

Test(validate, keys_of_a_large_table_sort_in_n_log_n)
{
    enum { N_ROWS = 200000 };
    carta_schema *s = schema("{\"fields\":[{\"name\":\"S\"},{\"name\":\"U\",\"type\":\"integer\"}],\"primaryKey\":[\"S\",\"U\"]}");
    carta_table *t = carta_table_new("big.csv");
    carta_column *a = col(t, "S", CARTA_STR), *b = col(t, "U", CARTA_I64);
    for (long i = 0; i < N_ROWS; i++) {
        char st[16];
        snprintf(st, sizeof st, "S%ld", i == N_ROWS - 1 ? 0 : i % 7);
        cr_assert_eq(carta_column_push_str(a, st, strlen(st)), CARTA_OK);
        /* One duplicate: the last row repeats row 0's key (S0, 0). */
        cr_assert_eq(carta_column_push_i64(b, i == N_ROWS - 1 ? 0 : (i * 7919) % (N_ROWS - 1)), CARTA_OK);
    }
    /* (S(i%7), i*7919 mod (N-1)) is distinct for i < N-1 because 7919 is prime to N-1 = 199999. */
    carta_validation *v = run(t, "big", s, 2, 5);
    const carta_vgroup *g = group(v, "S, U", "primaryKey");
    cr_assert_eq(g->count, 1);
    cr_assert_eq(g->examples[0].row, N_ROWS + 1);
    cr_assert_eq(g->examples[0].row2, 2);
    cr_assert_str_eq(g->examples[0].value, "S0, 0");
    carta_validation_free(v);
    carta_table_free(t);
    carta_schema_free(s);
}

/* ---- fault injection -------------------------------------------------------------------- */

Test(validate, survives_every_allocation_failure)
{
    carta_schema *ps = schema(parent_schema), *cs = schema(child_schema), *fs = schema(full_schema);
    carta_table *p = carta_table_new("adsl.csv"), *c = carta_table_new("adae.xpt");
    const char *pst[] = { "S1", "S1", "S1" };
    const char *pus[] = { "001", "002", "001" };
    strs(p, "STUDYID", pst, 3);
    strs(p, "USUBJID", pus, 3);
    strs(p, "EXTRA", pus, 3);
    const char *cst[] = { "S1", "S2", "S1" };
    const char *cus[] = { "002", "001", "009" };
    const int64_t seq[] = { 1, 2, 3 };
    const double prev[] = { 3, 1, 7 };
    strs(c, "STUDYID", cst, 3);
    strs(c, "USUBJID", cus, 3);
    ints(c, "SEQ", CARTA_I64, seq, 3);
    nums(c, "PREV", prev, 3);
    carta_table *t = valid_table();
    carta_table_find(t, "AGE")->i64[0] = 3;
    int ok = 0;
    for (long k = 1; k < 2000 && !ok; k++) {
        carta_error err;
        carta_error_clear(&err);
        carta_alloc_fail_at(k);
        carta_validation *v = carta_validation_new();
        int rc = v ? CARTA_OK : CARTA_ENOMEM;
        if (!rc) rc = carta_validate_table(p, "adsl", ps, 2, 2, v, &err);
        if (!rc) rc = carta_validate_table(c, "adae", cs, 1, 2, v, &err);
        if (!rc) rc = carta_validate_table(t, "x", fs, 2, 2, v, &err);
        carta_vinput in[] = { { "adsl", p, ps, 2 }, { "adae", c, cs, 1 } };
        if (!rc) rc = carta_validate_foreign_keys(in, 2, 2, v, &err);
        carta_alloc_fail_at(0);
        cr_assert(rc == CARTA_OK || rc == CARTA_ENOMEM, "k=%ld: rc %d (%s)", k, rc, err.msg);
        if (rc == CARTA_OK) {
            ok = 1;
            /* adsl: one duplicate key; adae: (S2,001) and (S1,009) orphans, PREV 7 orphan; x: AGE. */
            cr_assert_eq(carta_validation_count(v), 5, "k=%ld", k);
        } else if (v) {
            cr_assert_eq(err.code, CARTA_ENOMEM, "k=%ld: %s", k, err.msg);
        }
        carta_validation_free(v);
    }
    cr_assert(ok, "never succeeded");
    carta_table_free(p);
    carta_table_free(c);
    carta_table_free(t);
    carta_schema_free(ps);
    carta_schema_free(cs);
    carta_schema_free(fs);
}

/* ---- the CDISC pilot against the shipped schemas ------------------------------------------- */

Test(validate, cdisc_pilot_xpt_files_match_the_shipped_schemas)
{
    static const char *const names[] = { "adsl", "adtte", "adae" };
    carta_table *tabs[3] = { NULL, NULL, NULL };
    carta_schema *schs[3] = { NULL, NULL, NULL };
    if (!shared_path("data/cdisc-pilot/adam/adsl.xpt")) cr_skip_test("shared data absent (../shared/data)");
    carta_validation *v = carta_validation_new();
    carta_vinput in[3];
    for (int i = 0; i < 3; i++) {
        char rel[128], sch[128];
        carta_error err;
        carta_error_clear(&err);
        snprintf(rel, sizeof rel, "data/cdisc-pilot/adam/%s.xpt", names[i]);
        snprintf(sch, sizeof sch, "data-schemas/%s.json", names[i]);
        const char *path = shared_path(rel);
        cr_assert_not_null(path, "%s", rel);
        cr_assert_eq(carta_xpt_read(path, rel, &tabs[i], &err), CARTA_OK, "%s", err.msg);
        cr_assert_eq(carta_schema_read(sch, NULL, &schs[i], &err), CARTA_OK, "%s", err.msg);
        cr_assert_eq(carta_validate_table(tabs[i], names[i], schs[i], 1, 5, v, &err), CARTA_OK, "%s", err.msg);
        in[i] = (carta_vinput){ names[i], tabs[i], schs[i], 1 };
    }
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_validate_foreign_keys(in, 3, 5, v, &err), CARTA_OK, "%s", err.msg);
    char line[2048];
    for (size_t i = 0; i < v->n_groups; i++)
        if (v->groups[i].severity == CARTA_VALIDATE_ERROR)
            cr_expect_fail("%s", carta_vgroup_describe(&v->groups[i], line, sizeof line));
    cr_assert_eq(carta_validation_count(v), 0);
    cr_assert_eq(v->tables[0].rows, 254);
    cr_assert_eq(v->tables[2].rows, 1191);
    /* The foreign keys to adsl were checked (no not-checked note for them). */
    for (size_t i = 0; i < v->n_groups; i++)
        if (strcmp(v->groups[i].rule, "not-checked") == 0)
            cr_expect(strstr(v->groups[i].detail, "studies"), "%s", carta_vgroup_describe(&v->groups[i], line, sizeof line));
    carta_validation_free(v);
    for (int i = 0; i < 3; i++) {
        carta_table_free(tabs[i]);
        carta_schema_free(schs[i]);
    }
}

/* ---- pharmaverseadam CSVs and carta's synthetic cohort against the shipped schemas -------- */

#include <carta/csv.h>
#include <carta/fs.h>
#include <carta/simulate.h>

/* Loads each (name, csv path, schema) with carta's CSV reader, validates tables and foreign
   keys, and expects no violation (each one is printed when there are some). */
static void csv_set_validates(const char *const (*set)[3], size_t n)
{
    carta_table *tabs[8] = { NULL };
    carta_schema *schs[8] = { NULL };
    carta_vinput in[8];
    carta_validation *v = carta_validation_new();
    cr_assert(n <= 8);
    for (size_t i = 0; i < n; i++) {
        carta_error err;
        carta_error_clear(&err);
        cr_assert_eq(carta_schema_read(set[i][2], NULL, &schs[i], &err), CARTA_OK, "%s", err.msg);
        cr_assert_eq(carta_csv_read(set[i][1], NULL, NULL, &tabs[i], &err), CARTA_OK, "%s", err.msg);
        cr_assert_eq(carta_validate_table(tabs[i], set[i][0], schs[i], 2, 5, v, &err), CARTA_OK, "%s", err.msg);
        in[i] = (carta_vinput){ set[i][0], tabs[i], schs[i], 2 };
    }
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_validate_foreign_keys(in, n, 5, v, &err), CARTA_OK, "%s", err.msg);
    char line[2048];
    for (size_t i = 0; i < v->n_groups; i++)
        if (v->groups[i].severity == CARTA_VALIDATE_ERROR)
            cr_expect_fail("%s", carta_vgroup_describe(&v->groups[i], line, sizeof line));
    cr_expect_eq(carta_validation_count(v), 0);
    carta_validation_free(v);
    for (size_t i = 0; i < n; i++) {
        carta_table_free(tabs[i]);
        carta_schema_free(schs[i]);
    }
}

Test(validate, pharmaverseadam_csvs_match_the_shipped_schemas)
{
    static const char *const rel[4] = { "data/pharmaverseadam-onco/adsl.csv", "data/pharmaverseadam-onco/adtte_onco.csv",
                                        "data/pharmaverseadam-onco/adae.csv", "data/pharmaverseadam-onco/adlb_baseline.csv" };
    char paths[4][1024];
    for (int i = 0; i < 4; i++) {
        const char *p = shared_path(rel[i]);
        if (!p) cr_skip_test("shared data absent (%s)", rel[i]);
        snprintf(paths[i], sizeof paths[i], "%s", p);
    }
    const char *const set[4][3] = { { "adsl", paths[0], "data-schemas/adsl.json" },
                                    { "adtte", paths[1], "data-schemas/adtte.json" },
                                    { "adae", paths[2], "data-schemas/adae.json" },
                                    { "adlb", paths[3], "data-schemas/adlb.json" } };
    csv_set_validates(set, 4);
}

Test(validate, the_synthetic_cohort_matches_the_shipped_schemas)
{
    char dir[] = "/tmp/carta-validate-XXXXXX", out[600];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(out, sizeof out, "%s/synth", dir);
    carta_sim_options o;
    carta_sim_options_default(&o);
    o.trials = 7;
    o.patients = 350;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_simulate(&o, out, &err), CARTA_OK, "%s", err.msg);
    static const char *const names[] = { "studies", "adsl", "adae", "adtte", "adlb" };
    enum { N_SIM = sizeof names / sizeof names[0] };
    char paths[N_SIM][700], schemas[N_SIM][64];
    const char *set[N_SIM][3];
    for (int i = 0; i < N_SIM; i++) {
        snprintf(paths[i], sizeof paths[i], "%s/%s.csv", out, names[i]);
        snprintf(schemas[i], sizeof schemas[i], "data-schemas/%s.json", names[i]);
        set[i][0] = names[i];
        set[i][1] = paths[i];
        set[i][2] = schemas[i];
    }
    csv_set_validates((const char *const (*)[3])set, N_SIM);
    carta_remove_tree(dir);
}

/* A small CSV with one fault of each common kind, read as `carta validate` reads it (types
   inferred): row numbers count the header as row 1. */
Test(validate, a_bad_csv_is_reported_with_spreadsheet_rows)
{
    carta_error err;
    carta_error_clear(&err);
    carta_table *t = NULL;
    carta_schema *s = NULL;
    cr_assert_eq(carta_csv_read("tests/fixtures/validate/adsl_bad.csv", "adsl_bad.csv", NULL, &t, &err), CARTA_OK, "%s",
                 err.msg);
    cr_assert_eq(carta_schema_read("data-schemas/adsl.json", NULL, &s, &err), CARTA_OK, "%s", err.msg);
    carta_validation *v = carta_validation_new();
    cr_assert_eq(carta_validate_table(t, "adsl", s, 2, 5, v, &err), CARTA_OK, "%s", err.msg);
    const carta_vgroup *g = group(v, "AGE", "type");
    example_is(g, 0, 3, "12.5");
    g = group(v, "AGE", "maximum");
    example_is(g, 0, 6, "130");
    g = group(v, "SEX", "enum");
    example_is(g, 0, 4, "Male");
    g = group(v, "ECOG", "maximum");
    example_is(g, 0, 4, "7");
    g = group(v, "USUBJID", "required");
    example_is(g, 0, 5, NULL);
    g = group(v, "TRTSDT", "type");
    example_is(g, 0, 5, "2016-13-01");
    g = group(v, "STUDYID, USUBJID", "primaryKey");
    example_is(g, 0, 4, "CART001, CART001-101-00001");
    cr_assert_eq(g->examples[0].row2, 2);
    cr_assert_eq(carta_validation_count(v), 7);
    char line[512];
    cr_assert_str_eq(carta_vgroup_describe(group(v, "AGE", "type"), line, sizeof line),
                     "adsl_bad.csv: 1 row violates AGE type integer, e.g. row 3: 12.5");
    carta_validation_free(v);
    carta_table_free(t);
    carta_schema_free(s);
}
