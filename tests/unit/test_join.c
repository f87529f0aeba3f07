/* Unit tests of the cohort builder (src/cohort/join.c, cohort.c): the key index, joins of
   one-row-per-subject tables, each reduction rule, key problems under both policies, where and
   the cohort flow, the analysis table, and allocation failures. Tables are built in code. */
#include <carta/alloc.h>
#include <carta/cohort.h>
#include <carta/table.h>

#include "check.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NA_ NAN

/* Dates as "YYYY-MM-DD" (NULL = missing). */
static void col_date(carta_table *t, const char *name, const char *const *v, size_t n)
{
    carta_column *c;
    carta_error err = { 0 };
    cr_assert_eq(carta_table_add_column(t, name, CARTA_DATE, &c, &err), CARTA_OK);
    for (size_t i = 0; i < n; i++) {
        int64_t d;
        if (!v[i]) {
            cr_assert_eq(carta_column_push_missing(c), CARTA_OK);
            continue;
        }
        cr_assert_eq(carta_parse_date(v[i], strlen(v[i]), &d), 0);
        cr_assert_eq(carta_column_push_i64(c, d), CARTA_OK);
    }
}

/* Five subjects: S1/1..S1/4 and S2/1 (same USUBJID as S1/1 in another study). */
static carta_table *adsl_age(const double *age)
{
    carta_table *t = carta_table_new("adsl.xpt");
    const char *st[] = { "S1", "S1", "S1", "S1", "S2" };
    const char *id[] = { "1", "2", "3", "4", "1" };
    const char *saf[] = { "Y", "Y", "N", "Y", "Y" };
    const char *trt[] = { "2020-01-10", "2020-02-01", "2020-03-01", "2020-04-01", "2020-05-01" };
    col_str(t, "STUDYID", st, 5);
    col_str(t, "USUBJID", id, 5);
    col_f64(t, "AGE", age, 5);
    col_str(t, "SAFFL", saf, 5);
    col_date(t, "TRTSDT", trt, 5);
    return t;
}

static carta_table *adsl(void)
{
    const double age[] = { 30, 40, 50, 60, 70 };
    return adsl_age(age);
}

/* ADTTE: OS for S1/1, S1/2, S1/3, S2/1 and an orphan S9/9; PFS for S1/1. S1/4 has no record. */
static carta_table *adtte(void)
{
    carta_table *t = carta_table_new("adtte.xpt");
    const char *st[] = { "S1", "S1", "S1", "S2", "S9", "S1" };
    const char *id[] = { "2", "1", "3", "1", "9", "1" };
    const char *pc[] = { "OS", "OS", "OS", "OS", "OS", "PFS" };
    const double aval[] = { 20, 10, 30, 40, 50, 5 };
    const double cnsr[] = { 0, 1, 0, 0, 1, 0 };
    const double age[] = { 40, 30, 50, 70, 99, 30 };
    col_str(t, "STUDYID", st, 6);
    col_str(t, "USUBJID", id, 6);
    col_str(t, "PARAMCD", pc, 6);
    col_f64(t, "AVAL", aval, 6);
    col_f64(t, "CNSR", cnsr, 6);
    col_f64(t, "AGE", age, 6);
    return t;
}

static carta_cohort *cohort_of(carta_table *t)
{
    carta_cohort *c = NULL;
    carta_error err = { 0 };
    cr_assert_eq(carta_cohort_new(t, "adsl", NULL, NULL, &c, &err), CARTA_OK, "%s", err.msg);
    return c;
}

static const carta_table *table_of(carta_cohort *c)
{
    const carta_table *a = NULL;
    carta_error err = { 0 };
    cr_assert_eq(carta_cohort_table(c, &a, &err), CARTA_OK, "%s", err.msg);
    return a;
}

static void expect_col(const carta_table *a, const char *name, const double *want, size_t n)
{
    const carta_column *c = carta_table_find(a, name);
    cr_assert_not_null(c, "no column %s", name);
    cr_assert_eq(carta_table_nrows(a), n);
    for (size_t i = 0; i < n; i++) {
        double v = carta_column_number(c, i);
        if (isnan(want[i])) cr_expect(isnan(v), "%s[%zu] = %g, expected missing", name, i, v);
        else cr_expect_eq(v, want[i], "%s[%zu] = %.17g, expected %.17g", name, i, v, want[i]);
    }
}

Test(join, new_cohort_records_the_subjects)
{
    carta_table *s = adsl();
    carta_cohort *c = cohort_of(s);
    cr_assert_eq(carta_cohort_n(c), 5);
    const carta_flow *f = carta_cohort_flow(c);
    cr_assert_eq(f->n, 1);
    cr_assert_str_eq(f->steps[0].description, "subjects in adsl");
    cr_assert_eq(f->steps[0].n_remaining, 5);
    cr_assert_eq(f->steps[0].n_excluded, 0);
    /* The analysis table is a copy: freeing the input does not matter. */
    carta_table_free(s);
    const carta_table *a = table_of(c);
    cr_assert_eq(carta_table_nrows(a), 5);
    cr_assert_str_eq(carta_column_str(carta_table_find(a, "USUBJID"), 4), "1");
    carta_cohort_free(c);
    carta_cohort_free(NULL);
}

Test(join, duplicate_and_missing_subject_keys)
{
    carta_table *t = carta_table_new("adsl");
    const char *st[] = { "S1", "S1", "S1", "S1", "S1", "S1" };
    const char *id[] = { "1", "2", "2", "3", NULL, "2" };
    const double age[] = { 1, 2, 3, 4, 5, 6 };
    col_str(t, "STUDYID", st, 6);
    col_str(t, "USUBJID", id, 6);
    col_f64(t, "AGE", age, 6);
    carta_cohort *c = NULL;
    carta_error err = { 0 };
    cr_assert_eq(carta_cohort_new(t, "adsl", NULL, NULL, &c, &err), CARTA_EDATA);
    cr_assert_null(c);
    cr_assert_str_eq(err.msg, "adsl: 1 key (STUDYID, USUBJID) appears on more than one row (3 rows): S1/2", "%s", err.msg);

    carta_key_policy pol = { .duplicate = CARTA_KEY_EXCLUDE };
    carta_error_clear(&err);
    cr_assert_eq(carta_cohort_new(t, "adsl", NULL, &pol, &c, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(carta_cohort_n(c), 2);
    const carta_flow *f = carta_cohort_flow(c);
    cr_assert_eq(f->n, 2);
    cr_assert_eq(f->steps[1].n_excluded, 4);
    cr_assert_eq(f->steps[1].n_remaining, 2);
    cr_assert_not_null(strstr(f->steps[1].reason, "1 key on more than one row (S1/2)"), "%s", f->steps[1].reason);
    cr_assert_not_null(strstr(f->steps[1].reason, "1 row with a missing key: row 5"), "%s", f->steps[1].reason);
    expect_col(table_of(c), "AGE", (const double[]){ 1, 4 }, 2);
    carta_cohort_free(c);

    /* Only a missing key. */
    carta_table *u = carta_table_new("adsl");
    const char *id2[] = { "1", NULL };
    col_str(u, "USUBJID", id2, 2);
    carta_cohort_keys keys = { NULL, "USUBJID" };
    carta_error_clear(&err);
    cr_assert_eq(carta_cohort_new(u, "adsl", &keys, NULL, &c, &err), CARTA_EDATA);
    cr_assert_str_eq(err.msg, "adsl: 1 row with a missing key USUBJID: row 2", "%s", err.msg);
    /* A missing key column. */
    carta_error_clear(&err);
    cr_assert_eq(carta_cohort_new(u, "adsl", NULL, NULL, &c, &err), CARTA_EDATA);
    cr_assert_str_eq(err.msg, "adsl: no key column STUDYID", "%s", err.msg);
    carta_table_free(u);
    carta_table_free(t);
}

Test(join, one_parameter_of_a_long_table_with_both_policies)
{
    carta_table *s = adsl(), *tte = adtte();
    carta_cohort *c = cohort_of(s);
    carta_error err = { 0 };
    const char *cols[] = { "AVAL", "CNSR" };
    carta_join_spec j = { .source = "adtte", .columns = cols, .n_columns = 2, .prefix = "OS_", .param = "OS" };
    /* Default policy: errors, orphans first. */
    cr_assert_eq(carta_cohort_join(c, tte, &j, &err), CARTA_EDATA);
    cr_assert_str_eq(err.msg, "adtte (PARAMCD == OS): 1 record of subjects not in adsl: S9/9", "%s", err.msg);
    cr_assert_null(carta_table_find(table_of(c), "OS_AVAL"), "a failed join changes nothing");
    j.policy.orphan = CARTA_KEY_EXCLUDE;
    carta_error_clear(&err);
    cr_assert_eq(carta_cohort_join(c, tte, &j, &err), CARTA_EDATA);
    cr_assert_str_eq(err.msg, "adtte (PARAMCD == OS): 1 subject of adsl without a record: S1/4", "%s", err.msg);
    cr_assert_eq(carta_cohort_flow(c)->n, 1, "a failed join records nothing");

    /* Absent subjects kept with missing values. */
    j.policy.absent = CARTA_KEY_MISSING;
    carta_error_clear(&err);
    cr_assert_eq(carta_cohort_join(c, tte, &j, &err), CARTA_OK, "%s", err.msg);
    const carta_table *a = table_of(c);
    expect_col(a, "OS_AVAL", (const double[]){ 10, 20, 30, NA_, 40 }, 5);
    expect_col(a, "OS_CNSR", (const double[]){ 1, 0, 0, NA_, 0 }, 5);
    const carta_flow *f = carta_cohort_flow(c);
    cr_assert_eq(f->n, 2);
    cr_assert_str_eq(f->steps[1].description, "records of adtte (PARAMCD == OS) whose subject is not in adsl ignored");
    cr_assert_str_eq(f->steps[1].reason, "1 record: S9/9");
    cr_assert_eq(f->steps[1].n_excluded, 0);

    /* The same join again: the names now clash. */
    carta_error_clear(&err);
    cr_assert_eq(carta_cohort_join(c, tte, &j, &err), CARTA_EDATA);
    cr_assert_not_null(strstr(err.msg, "already has this column"), "%s", err.msg);

    /* Absent subjects excluded: a flow step. */
    j.policy.absent = CARTA_KEY_EXCLUDE;
    j.prefix = "OS2_";
    carta_error_clear(&err);
    cr_assert_eq(carta_cohort_join(c, tte, &j, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(carta_cohort_n(c), 4);
    f = carta_cohort_flow(c);
    cr_assert_str_eq(f->steps[f->n - 1].description, "no record in adtte (PARAMCD == OS)");
    cr_assert_str_eq(f->steps[f->n - 1].reason, "1 subject: S1/4");
    cr_assert_eq(f->steps[f->n - 1].n_excluded, 1);
    cr_assert_eq(f->steps[f->n - 1].n_remaining, 4);
    a = table_of(c);
    expect_col(a, "OS2_AVAL", (const double[]){ 10, 20, 30, 40 }, 4);
    expect_col(a, "AGE", (const double[]){ 30, 40, 50, 70 }, 4);
    carta_cohort_free(c);
    carta_table_free(s);
    carta_table_free(tte);
}

Test(join, duplicates_in_a_joined_table)
{
    carta_table *s = adsl(), *tte = adtte();
    carta_cohort *c = cohort_of(s);
    carta_error err = { 0 };
    /* Without the parameter, S1/1 has an OS and a PFS record. */
    carta_join_spec j = { .source = "adtte", .policy = { .orphan = CARTA_KEY_EXCLUDE, .absent = CARTA_KEY_MISSING } };
    cr_assert_eq(carta_cohort_join(c, tte, &j, &err), CARTA_EDATA);
    cr_assert_str_eq(err.msg, "adtte: 1 subject with more than one record: S1/1", "%s", err.msg);
    j.policy.duplicate = CARTA_KEY_EXCLUDE;
    carta_error_clear(&err);
    cr_assert_eq(carta_cohort_join(c, tte, &j, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(carta_cohort_n(c), 4);
    const carta_table *a = table_of(c);
    /* All columns not yet present: AGE of ADTTE is not copied again (ADSL's stays). */
    expect_col(a, "AGE", (const double[]){ 40, 50, 60, 70 }, 4);
    expect_col(a, "AVAL", (const double[]){ 20, 30, NA_, 40 }, 4);
    cr_assert_not_null(carta_table_find(a, "PARAMCD"));
    const carta_flow *f = carta_cohort_flow(c);
    cr_assert_str_eq(f->steps[f->n - 1].description, "more than one record in adtte");
    cr_assert_str_eq(f->steps[f->n - 1].reason, "1 subject: S1/1");
    carta_cohort_free(c);
    carta_table_free(s);
    carta_table_free(tte);
}

Test(join, numeric_keys_and_kind_mismatch)
{
    carta_table *s = carta_table_new("dm");
    const double id[] = { 101, 102, 103 };
    col_f64(s, "ID", id, 3);
    carta_cohort_keys keys = { NULL, "ID" };
    carta_cohort *c = NULL;
    carta_error err = { 0 };
    cr_assert_eq(carta_cohort_new(s, "dm", &keys, NULL, &c, &err), CARTA_OK, "%s", err.msg);
    /* An integer column matches the double keys. */
    carta_table *t = carta_table_new("lab");
    carta_column *ic;
    cr_assert_eq(carta_table_add_column(t, "ID", CARTA_I64, &ic, &err), CARTA_OK);
    const int64_t ids[] = { 103, 101, 102 };
    for (int i = 0; i < 3; i++) carta_column_push_i64(ic, ids[i]);
    const double x[] = { 3.5, 1.5, 2.5 };
    col_f64(t, "X", x, 3);
    carta_join_spec j = { .source = "lab" };
    cr_assert_eq(carta_cohort_join(c, t, &j, &err), CARTA_OK, "%s", err.msg);
    expect_col(table_of(c), "X", (const double[]){ 1.5, 2.5, 3.5 }, 3);
    /* A string key against numeric keys. */
    carta_table *u = carta_table_new("bad");
    const char *sid[] = { "101" };
    col_str(u, "ID", sid, 1);
    carta_join_spec j2 = { .source = "bad" };
    carta_error_clear(&err);
    cr_assert_eq(carta_cohort_join(c, u, &j2, &err), CARTA_EDATA);
    cr_assert_str_eq(err.msg, "bad: column ID: key column is a string here but a number in the subject table", "%s", err.msg);
    carta_table_free(u);
    carta_table_free(t);
    carta_table_free(s);
    carta_cohort_free(c);
}

/* ADLB: LDH and PLAT records; AVALU per record. */
static carta_table *adlb(const char *unit_of_last)
{
    carta_table *t = carta_table_new("adlb.csv");
    const char *st[] = { "S1", "S1", "S1", "S1", "S2", "S1" };
    const char *id[] = { "1", "1", "2", "3", "1", "4" };
    const char *pc[] = { "LDH", "LDH", "LDH", "PLAT", "LDH", "LDH" };
    const char *fl[] = { "Y", "", "Y", "Y", "Y", "Y" };
    const double aval[] = { 250, 300, 180, 150, 400, 220 };
    const double base[] = { 250, 250, 180, 150, 400, 220 };
    const char *u[] = { "U/L", "U/L", "U/L", "10^9/L", "U/L", unit_of_last };
    col_str(t, "STUDYID", st, 6);
    col_str(t, "USUBJID", id, 6);
    col_str(t, "PARAMCD", pc, 6);
    col_str(t, "ABLFL", fl, 6);
    col_f64(t, "AVAL", aval, 6);
    col_f64(t, "BASE", base, 6);
    col_str(t, "AVALU", u, 6);
    return t;
}

Test(join, baseline_rule)
{
    carta_table *s = adsl(), *lb = adlb("U/L");
    carta_cohort *c = cohort_of(s);
    carta_error err = { 0 };
    carta_reduce_spec r;
    carta_reduce_spec_default(&r);
    r.source = "adlb";
    r.name = "LDH";
    r.param = "LDH";
    cr_assert_eq(carta_cohort_reduce(c, lb, &r, &err), CARTA_OK, "%s", err.msg);
    const carta_table *a = table_of(c);
    /* S1/3 has no LDH baseline: missing (the default absent policy). The non-baseline 300 is skipped. */
    expect_col(a, "LDH", (const double[]){ 250, 180, NA_, 220, 400 }, 5);
    cr_assert_str_eq(carta_table_find(a, "LDH")->unit, "U/L");
    /* BASE as the value column, and PLAT. */
    r.name = "LDH_BASE";
    r.value = "BASE";
    cr_assert_eq(carta_cohort_reduce(c, lb, &r, &err), CARTA_OK, "%s", err.msg);
    expect_col(table_of(c), "LDH_BASE", (const double[]){ 250, 180, NA_, 220, 400 }, 5);
    /* No baseline is an error when asked. */
    r.name = "PLAT";
    r.param = "PLAT";
    r.value = NULL;
    r.policy.absent = CARTA_KEY_ERROR;
    cr_assert_eq(carta_cohort_reduce(c, lb, &r, &err), CARTA_EDATA);
    cr_assert_str_eq(err.msg, "adlb (PARAMCD == PLAT, ABLFL == Y): 4 subjects of adsl without a record: S1/1, S1/2, S1/4, S2/1",
                     "%s", err.msg);
    cr_assert_null(carta_table_find(table_of(c), "PLAT"));
    /* A rule without its parameter. */
    r.param = NULL;
    carta_error_clear(&err);
    cr_assert_eq(carta_cohort_reduce(c, lb, &r, &err), CARTA_ECONFIG);
    carta_cohort_free(c);
    carta_table_free(lb);

    /* Mixed units among the chosen records. */
    lb = adlb("ukat/L");
    c = cohort_of(s);
    carta_reduce_spec_default(&r);
    r.source = "adlb";
    r.name = "LDH";
    r.param = "LDH";
    carta_error_clear(&err);
    cr_assert_eq(carta_cohort_reduce(c, lb, &r, &err), CARTA_EDATA);
    cr_assert_not_null(strstr(err.msg, "more than one unit (U/L: 3, ukat/L: 1, ...): harmonize units first"), "%s", err.msg);
    carta_cohort_free(c);
    carta_table_free(lb);
    carta_table_free(s);
}

Test(join, baseline_duplicates)
{
    carta_table *s = adsl(), *lb = adlb("U/L");
    carta_column *fl = carta_table_find(lb, "ABLFL");
    /* Make the second LDH record of S1/1 a baseline too: two baselines. */
    fl->code[1] = fl->code[0];
    carta_cohort *c = cohort_of(s);
    carta_error err = { 0 };
    carta_reduce_spec r;
    carta_reduce_spec_default(&r);
    r.source = "adlb";
    r.name = "LDH";
    r.param = "LDH";
    cr_assert_eq(carta_cohort_reduce(c, lb, &r, &err), CARTA_EDATA);
    cr_assert_str_eq(err.msg, "adlb (PARAMCD == LDH, ABLFL == Y): 1 subject with more than one record: S1/1", "%s", err.msg);
    r.policy.duplicate = CARTA_KEY_EXCLUDE;
    carta_error_clear(&err);
    cr_assert_eq(carta_cohort_reduce(c, lb, &r, &err), CARTA_OK, "%s", err.msg);
    expect_col(table_of(c), "LDH", (const double[]){ 180, NA_, 220, 400 }, 4);
    carta_cohort_free(c);
    carta_table_free(lb);
    carta_table_free(s);
}

/* ADAE with CRS records at study days and dates; AETOXGR as strings, as in ADaM. */
static carta_table *adae(const char *bad_grade)
{
    carta_table *t = carta_table_new("adae.xpt");
    const char *st[] = { "S1", "S1", "S1", "S1", "S1", "S1", "S2", "S9" };
    const char *id[] = { "1", "1", "1", "2", "2", "3", "1", "9" };
    const char *term[] = { "Cytokine release syndrome", "Cytokine release syndrome", "Pyrexia",
                           "Cytokine release syndrome", "Cytokine release syndrome", "Cytokine release syndrome",
                           "Pyrexia", "Cytokine release syndrome" };
    const char *gr[] = { "2", "4", "3", "1", "", bad_grade, "2", "5" };
    /* S1/1 treated 2020-01-10: days 2 and 39; S1/2 (2020-02-01): day 0 and 4; S1/3 (2020-03-01): day 1. */
    const double astdy[] = { 3, 40, 2, 1, 5, 2, 1, 1 };
    const char *astdt[] = { "2020-01-12", "2020-02-18", "2020-01-11", "2020-02-01", "2020-02-05", "2020-03-02",
                            "2020-05-01", "2020-01-01" };
    const char *te[] = { "Y", "Y", "Y", "Y", "Y", "Y", "Y", "Y" };
    col_str(t, "STUDYID", st, 8);
    col_str(t, "USUBJID", id, 8);
    col_str(t, "AEDECOD", term, 8);
    col_str(t, "AETOXGR", gr, 8);
    col_f64(t, "ASTDY", astdy, 8);
    col_date(t, "ASTDT", astdt, 8);
    col_str(t, "TRTEMFL", te, 8);
    return t;
}

Test(join, worst_grade_in_a_window)
{
    carta_table *s = adsl(), *ae = adae("");
    carta_cohort *c = cohort_of(s);
    carta_error err = { 0 };
    carta_reduce_spec r;
    carta_reduce_spec_default(&r);
    r.rule = CARTA_REDUCE_WORST;
    r.source = "adae";
    r.name = "CRS_WORST";
    r.term = "Cytokine release syndrome";
    r.window_lo = 0;
    r.window_hi = 28;
    cr_assert_eq(carta_cohort_reduce(c, ae, &r, &err), CARTA_OK, "%s", err.msg);
    /* S1/1: grade 2 on day 2 (grade 4 on day 39 is outside); S1/2: grade 1 (a record without a
       grade is ignored); S1/3: only an ungraded record: missing; S1/4, S2/1: no CRS: 0. */
    expect_col(table_of(c), "CRS_WORST", (const double[]){ 2, 1, NA_, 0, 0 }, 5);
    /* The same from dates (ASTDT - TRTSDT). */
    r.name = "CRS_WORST_DT";
    r.date_col = "ASTDT";
    cr_assert_eq(carta_cohort_reduce(c, ae, &r, &err), CARTA_OK, "%s", err.msg);
    expect_col(table_of(c), "CRS_WORST_DT", (const double[]){ 2, 1, NA_, 0, 0 }, 5);
    /* Without a window, grade 4 counts; with none_value missing, subjects without CRS are missing. */
    r.name = "CRS_ANY";
    r.date_col = NULL;
    r.window_lo = -INFINITY;
    r.window_hi = INFINITY;
    r.none_value = NAN;
    cr_assert_eq(carta_cohort_reduce(c, ae, &r, &err), CARTA_OK, "%s", err.msg);
    expect_col(table_of(c), "CRS_ANY", (const double[]){ 4, 1, NA_, NA_, NA_ }, 5);
    /* An extra condition as an expression. */
    r.name = "CRS_LOW";
    r.none_value = 0;
    r.match = "AETOXGR != '4' && TRTEMFL == 'Y'";
    cr_assert_eq(carta_cohort_reduce(c, ae, &r, &err), CARTA_OK, "%s", err.msg);
    expect_col(table_of(c), "CRS_LOW", (const double[]){ 2, 1, NA_, 0, 0 }, 5);
    /* A bad expression names its position. */
    r.name = "CRS_BAD";
    r.match = "AETOXGR == 4";
    r.match_name = "/features/2/match";
    carta_error_clear(&err);
    cr_assert_eq(carta_cohort_reduce(c, ae, &r, &err), CARTA_ECONFIG);
    cr_assert_eq(err.col, 9);
    cr_assert_str_eq(err.field, "/features/2/match");
    /* The orphan record was noted in the flow (once per reduction). */
    const carta_flow *f = carta_cohort_flow(c);
    cr_assert_eq(f->n, 5);
    cr_assert_str_eq(f->steps[1].reason, "1 record: S9/9");
    carta_cohort_free(c);
    carta_table_free(ae);

    /* A grade that is not a number. */
    ae = adae("high");
    c = cohort_of(s);
    carta_reduce_spec_default(&r);
    r.rule = CARTA_REDUCE_WORST;
    r.source = "adae";
    r.name = "CRS_WORST";
    r.term = "Cytokine release syndrome";
    carta_error_clear(&err);
    cr_assert_eq(carta_cohort_reduce(c, ae, &r, &err), CARTA_EDATA);
    cr_assert_str_eq(err.msg, "adae:6: column AETOXGR: \"high\" is not a number", "%s", err.msg);
    cr_assert_eq(err.row, 6);
    carta_cohort_free(c);
    carta_table_free(ae);
    carta_table_free(s);
}

Test(join, first_event_and_param_rules)
{
    carta_table *s = adsl(), *ae = adae("3"), *tte = adtte();
    carta_cohort *c = cohort_of(s);
    carta_error err = { 0 };
    carta_reduce_spec r;
    carta_reduce_spec_default(&r);
    r.rule = CARTA_REDUCE_FIRST;
    r.source = "adae";
    r.name = "CRS_DAY";
    r.term = "Cytokine release syndrome";
    cr_assert_eq(carta_cohort_reduce(c, ae, &r, &err), CARTA_OK, "%s", err.msg);
    /* ASTDY 3 and 40 -> days 2 and 39 (SDTM has no day 0); S1/2: ASTDY 1 -> day 0. */
    expect_col(table_of(c), "CRS_DAY", (const double[]){ 2, 0, 1, NA_, NA_ }, 5);
    r.name = "CRS_DAY0";
    r.day_origin = CARTA_DAY_ZERO;
    cr_assert_eq(carta_cohort_reduce(c, ae, &r, &err), CARTA_OK, "%s", err.msg);
    expect_col(table_of(c), "CRS_DAY0", (const double[]){ 3, 1, 2, NA_, NA_ }, 5);
    /* The grade of the first record (a copy of the string column). */
    r.name = "CRS_FIRST_GRADE";
    r.day_origin = CARTA_DAY_SDTM;
    r.value = "AETOXGR";
    cr_assert_eq(carta_cohort_reduce(c, ae, &r, &err), CARTA_OK, "%s", err.msg);
    const carta_column *g = carta_table_find(table_of(c), "CRS_FIRST_GRADE");
    cr_assert_eq(g->type, CARTA_STR);
    cr_assert_str_eq(carta_column_str(g, 0), "2");
    cr_assert_str_eq(carta_column_str(g, 1), "1");
    cr_assert_str_eq(carta_column_str(g, 2), "3");
    cr_assert_null(carta_column_str(g, 3));

    /* PARAM: the OS record's CNSR. */
    carta_reduce_spec p;
    carta_reduce_spec_default(&p);
    p.rule = CARTA_REDUCE_PARAM;
    p.source = "adtte";
    p.name = "OS_CNSR";
    p.param = "OS";
    p.value = "CNSR";
    cr_assert_eq(carta_cohort_reduce(c, tte, &p, &err), CARTA_OK, "%s", err.msg);
    expect_col(table_of(c), "OS_CNSR", (const double[]){ 1, 0, 0, NA_, 0 }, 5);
    /* A name already used. */
    carta_error_clear(&err);
    cr_assert_eq(carta_cohort_reduce(c, tte, &p, &err), CARTA_EDATA);
    /* A missing value column. */
    p.name = "X";
    p.value = "AVALX";
    carta_error_clear(&err);
    cr_assert_eq(carta_cohort_reduce(c, tte, &p, &err), CARTA_EDATA);
    cr_assert_str_eq(err.msg, "adtte: no column AVALX (the value) (did you mean AVAL?)", "%s", err.msg);
    carta_cohort_free(c);
    carta_table_free(s);
    carta_table_free(ae);
    carta_table_free(tte);
}

Test(join, where_and_the_flow)
{
    const double age[] = { 30, 40, 50, NAN, 70 }; /* S1/4: unknown age */
    carta_table *s = adsl_age(age);
    carta_cohort *c = cohort_of(s);
    carta_error err = { 0 };
    cr_assert_eq(carta_cohort_where(c, "SAFFL == 'Y' && AGE >= 35", "/cohort/where", &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(carta_cohort_n(c), 2);
    const carta_flow *f = carta_cohort_flow(c);
    cr_assert_eq(f->n, 2);
    cr_assert_str_eq(f->steps[1].description, "where SAFFL == 'Y' && AGE >= 35");
    cr_assert_str_eq(f->steps[1].reason, "condition false for 2, missing (unknown) for 1");
    cr_assert_eq(f->steps[1].n_excluded, 3);
    cr_assert_eq(f->steps[1].n_remaining, 2);
    const carta_table *a = table_of(c);
    expect_col(a, "AGE", (const double[]){ 40, 70 }, 2);
    cr_assert_str_eq(carta_column_str(carta_table_find(a, "STUDYID"), 1), "S2");
    /* A second where counts only the remaining subjects. */
    cr_assert_eq(carta_cohort_where(c, "AGE < 100", "/w", &err), CARTA_OK);
    f = carta_cohort_flow(c);
    cr_assert_eq(f->steps[2].n_excluded, 0);
    cr_assert_str_eq(f->steps[2].reason, "");
    /* Errors: position in the expression; not a condition. */
    carta_error_clear(&err);
    cr_assert_eq(carta_cohort_where(c, "SAFFL == 'Y' && (AGE > 1", "/cohort/where", &err), CARTA_ECONFIG);
    cr_assert_str_eq(err.msg, "/cohort/where: column 25: expected ')', found the end of the expression");
    carta_error_clear(&err);
    cr_assert_eq(carta_cohort_where(c, "AGE + 1", "/cohort/where", &err), CARTA_ECONFIG);
    /* Exclusion by mask, over the current rows. */
    uint8_t keep[2] = { 1, 0 };
    cr_assert_eq(carta_cohort_exclude(c, keep, "manual", "reviewer's decision", &err), CARTA_OK);
    a = table_of(c);
    expect_col(a, "AGE", (const double[]){ 40 }, 1);
    f = carta_cohort_flow(c);
    cr_assert_str_eq(f->steps[f->n - 1].reason, "reviewer's decision");
    cr_assert_eq(f->steps[f->n - 1].n_remaining, 1);
    /* Joins after exclusions still work, and the view is rebuilt. */
    carta_table *lb = adlb("U/L");
    carta_reduce_spec r;
    carta_reduce_spec_default(&r);
    r.source = "adlb";
    r.name = "LDH";
    r.param = "LDH";
    cr_assert_eq(carta_cohort_reduce(c, lb, &r, &err), CARTA_OK, "%s", err.msg);
    expect_col(table_of(c), "LDH", (const double[]){ 180 }, 1);
    carta_table_free(lb);
    carta_cohort_free(c);
    carta_table_free(s);
}

Test(join, no_keys_means_no_joins)
{
    carta_table *s = adsl(), *tte = adtte();
    carta_cohort_keys keys = { NULL, NULL };
    carta_cohort *c = NULL;
    carta_error err = { 0 };
    cr_assert_eq(carta_cohort_new(s, "lung", &keys, NULL, &c, &err), CARTA_OK);
    carta_join_spec j = { .source = "adtte" };
    cr_assert_eq(carta_cohort_join(c, tte, &j, &err), CARTA_ECONFIG);
    cr_assert_eq(carta_cohort_where(c, "AGE > 45", "/w", &(carta_error){ 0 }), CARTA_OK);
    cr_assert_eq(carta_cohort_n(c), 3);
    carta_cohort_free(c);
    carta_table_free(s);
    carta_table_free(tte);
}

Test(join, allocation_failures_end_in_enomem_without_leaks)
{
    carta_table *s = adsl(), *tte = adtte(), *lb = adlb("U/L"), *ae = adae("3");
    int ok = 0;
    for (long k = 1; k < 2000 && !ok; k++) {
        carta_error err = { 0 };
        carta_cohort *c = NULL;
        const carta_table *a = NULL;
        carta_alloc_fail_at(k);
        int rc = carta_cohort_new(s, "adsl", NULL, NULL, &c, &err);
        carta_join_spec j = { .source = "adtte", .param = "OS",
                              .policy = { .orphan = CARTA_KEY_EXCLUDE, .absent = CARTA_KEY_EXCLUDE } };
        if (rc == CARTA_OK) rc = carta_cohort_join(c, tte, &j, &err);
        carta_reduce_spec r;
        carta_reduce_spec_default(&r);
        r.source = "adlb";
        r.name = "LDH";
        r.param = "LDH";
        if (rc == CARTA_OK) rc = carta_cohort_reduce(c, lb, &r, &err);
        carta_reduce_spec w;
        carta_reduce_spec_default(&w);
        w.rule = CARTA_REDUCE_WORST;
        w.source = "adae";
        w.name = "CRS";
        w.match = "AEDECOD == 'Cytokine release syndrome'";
        w.window_lo = 0;
        w.window_hi = 28;
        if (rc == CARTA_OK) rc = carta_cohort_reduce(c, ae, &w, &err);
        if (rc == CARTA_OK) rc = carta_cohort_where(c, "SAFFL == 'Y'", "/w", &err);
        if (rc == CARTA_OK) rc = carta_cohort_table(c, &a, &err);
        carta_alloc_fail_at(0);
        cr_assert(rc == CARTA_OK || rc == CARTA_ENOMEM, "k=%ld: rc %d (%s)", k, rc, err.msg);
        if (rc == CARTA_OK) {
            ok = 1;
            expect_col(a, "AVAL", (const double[]){ 10, 20, 40 }, 3);
            expect_col(a, "LDH", (const double[]){ 250, 180, 400 }, 3);
            expect_col(a, "CRS", (const double[]){ 2, 1, 0 }, 3);
        }
        carta_cohort_free(c);
    }
    cr_assert(ok, "never succeeded");
    carta_table_free(s);
    carta_table_free(tte);
    carta_table_free(lb);
    carta_table_free(ae);
}

/* Two lab tables with the same shape and the same code pattern but different subjects: the
   match of the first must not be reused for the second. */
Test(join, key_matches_are_not_reused_across_different_tables)
{
    carta_table *s = adsl();
    carta_cohort *c = cohort_of(s);
    carta_error err = { 0 };
    const char *st[] = { "S1", "S1" };
    const char *pc[] = { "LDH", "LDH" };
    const char *fl[] = { "Y", "Y" };
    const double v1[] = { 100, 200 }, v2[] = { 300, 400 };
    const char *id1[] = { "1", "2" }, *id2[] = { "3", "4" };
    carta_table *a = carta_table_new("a"), *b = carta_table_new("b");
    col_str(a, "STUDYID", st, 2);
    col_str(a, "USUBJID", id1, 2);
    col_str(a, "PARAMCD", pc, 2);
    col_str(a, "ABLFL", fl, 2);
    col_f64(a, "AVAL", v1, 2);
    col_str(b, "STUDYID", st, 2);
    col_str(b, "USUBJID", id2, 2);
    col_str(b, "PARAMCD", pc, 2);
    col_str(b, "ABLFL", fl, 2);
    col_f64(b, "AVAL", v2, 2);
    carta_reduce_spec r;
    carta_reduce_spec_default(&r);
    r.source = "a";
    r.name = "LDH_A";
    r.param = "LDH";
    cr_assert_eq(carta_cohort_reduce(c, a, &r, &err), CARTA_OK, "%s", err.msg);
    r.source = "b";
    r.name = "LDH_B";
    cr_assert_eq(carta_cohort_reduce(c, b, &r, &err), CARTA_OK, "%s", err.msg);
    r.source = "a";
    r.name = "LDH_A2";
    cr_assert_eq(carta_cohort_reduce(c, a, &r, &err), CARTA_OK, "%s", err.msg);
    const carta_table *an = table_of(c);
    expect_col(an, "LDH_A", (const double[]){ 100, 200, NA_, NA_, NA_ }, 5);
    expect_col(an, "LDH_B", (const double[]){ NA_, NA_, 300, 400, NA_ }, 5);
    expect_col(an, "LDH_A2", (const double[]){ 100, 200, NA_, NA_, NA_ }, 5);
    carta_table_free(a);
    carta_table_free(b);
    carta_cohort_free(c);
    carta_table_free(s);
}

Test(join, missing_keys_and_bad_day_columns_in_a_long_table)
{
    carta_table *s = adsl();
    carta_cohort *c = cohort_of(s);
    carta_error err = { 0 };
    carta_table *t = carta_table_new("adae");
    const char *st[] = { "S1", "S1" };
    const char *id[] = { "1", NULL };
    const char *day[] = { "3", "4" };
    const double g[] = { 1, 2 };
    col_str(t, "STUDYID", st, 2);
    col_str(t, "USUBJID", id, 2);
    col_f64(t, "AETOXGR", g, 2);
    col_str(t, "ASTDY", day, 2);
    carta_reduce_spec r;
    carta_reduce_spec_default(&r);
    r.rule = CARTA_REDUCE_WORST;
    r.source = "adae";
    r.name = "G";
    r.policy.orphan = CARTA_KEY_ERROR;
    cr_assert_eq(carta_cohort_reduce(c, t, &r, &err), CARTA_EDATA);
    cr_assert_str_eq(err.msg, "adae: 1 record of subjects not in adsl: row 2 (missing key)", "%s", err.msg);
    /* A window needs a numeric day. */
    r.policy.orphan = CARTA_KEY_EXCLUDE;
    r.window_lo = 0;
    r.window_hi = 7;
    carta_error_clear(&err);
    cr_assert_eq(carta_cohort_reduce(c, t, &r, &err), CARTA_EDATA);
    cr_assert_str_eq(err.msg, "adae: column ASTDY: is a string column, not a day number", "%s", err.msg);
    /* Dates need the reference column in the analysis table. */
    r.date_col = "AETOXGR";
    r.ref_col = "RFSTDT";
    carta_error_clear(&err);
    cr_assert_eq(carta_cohort_reduce(c, t, &r, &err), CARTA_EDATA);
    cr_assert_str_eq(err.msg, "adsl: no column RFSTDT (the reference date)", "%s", err.msg);
    /* Without a window the grades are read: S1/1 grade 1, the orphan row is noted. */
    r.date_col = NULL;
    r.window_lo = -INFINITY;
    r.window_hi = INFINITY;
    cr_assert_eq(carta_cohort_reduce(c, t, &r, &err), CARTA_OK, "%s", err.msg);
    expect_col(table_of(c), "G", (const double[]){ 1, 0, 0, 0, 0 }, 5);
    carta_table_free(t);
    carta_cohort_free(c);
    carta_table_free(s);
}

Test(join, first_ignores_records_without_a_day)
{
    carta_table *s = adsl();
    carta_cohort *c = cohort_of(s);
    carta_error err = { 0 };
    carta_table *t = carta_table_new("adae");
    const char *st[] = { "S1", "S1", "S1" };
    const char *id[] = { "1", "1", "2" };
    const char *g[] = { "4", "2", "3" };
    const double day[] = { NAN, 5, NAN };
    col_str(t, "STUDYID", st, 3);
    col_str(t, "USUBJID", id, 3);
    col_str(t, "AETOXGR", g, 3);
    col_f64(t, "ASTDY", day, 3);
    carta_reduce_spec r;
    carta_reduce_spec_default(&r);
    r.rule = CARTA_REDUCE_FIRST;
    r.source = "adae";
    r.name = "FIRST_DAY";
    cr_assert_eq(carta_cohort_reduce(c, t, &r, &err), CARTA_OK, "%s", err.msg);
    expect_col(table_of(c), "FIRST_DAY", (const double[]){ 4, NA_, NA_, NA_, NA_ }, 5);
    r.name = "FIRST_GRADE";
    r.value = "AETOXGR";
    cr_assert_eq(carta_cohort_reduce(c, t, &r, &err), CARTA_OK, "%s", err.msg);
    const carta_column *fg = carta_table_find(table_of(c), "FIRST_GRADE");
    cr_assert_str_eq(carta_column_str(fg, 0), "2");
    cr_assert_null(carta_column_str(fg, 1));
    carta_table_free(t);
    carta_cohort_free(c);
    carta_table_free(s);
}
