/* Unit tests of the cohort's memory behaviour (src/cohort/cohort.c): carta_cohort_adopt takes the
   subject table without a copy; the analysis table after exclusions is the cohort's own table
   compacted to the kept rows (no second copy), with the same contents as the copying path; the
   key index keeps working after a compaction (records of subjects who left are not orphans,
   others still are); and out-of-memory during a compaction leaves a cohort that only fails and
   frees. Tables are built in code; expected values are written out by hand from the data. */
#include <carta/alloc.h>
#include <carta/cohort.h>
#include <carta/table.h>

#include "check.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static void col_date(carta_table *t, const char *name, const int64_t *v, size_t n)
{
    carta_column *c;
    carta_error err = { 0 };
    cr_assert_eq(carta_table_add_column(t, name, CARTA_DATE, &c, &err), CARTA_OK);
    for (size_t i = 0; i < n; i++) cr_assert_eq(carta_column_push_i64(c, v[i]), CARTA_OK);
}

/* Six subjects S1/1..S1/6. SAFFL N for 2 and 4; ARM level "C" only on subject 2 (who leaves
   under SAFFL == 'Y'); TRTSDT day 100 * id. */
static carta_table *adsl(void)
{
    carta_table *t = carta_table_new("adsl.csv");
    const char *st[] = { "S1", "S1", "S1", "S1", "S1", "S1" };
    const char *id[] = { "1", "2", "3", "4", "5", "6" };
    const char *saf[] = { "Y", "N", "Y", "N", "Y", "Y" };
    const char *arm[] = { "A", "C", "B", "A", "B", "A" };
    const double age[] = { 31, 32, 33, 34, 35, 36 };
    const int64_t trt[] = { 100, 200, 300, 400, 500, 600 };
    col_str(t, "STUDYID", st, 6);
    col_str(t, "USUBJID", id, 6);
    col_str(t, "SAFFL", saf, 6);
    col_str(t, "ARM", arm, 6);
    col_f64(t, "AGE", age, 6);
    col_date(t, "TRTSDT", trt, 6);
    return t;
}

/* A long lab table: for every subject one LDH baseline record (value 100 * id) and one later
   record; plus, when orphan is set, a record of S1/9, who is not in ADSL. */
static carta_table *adlb(int orphan)
{
    carta_table *t = carta_table_new("adlb.csv");
    const char *st[13], *id[13], *pc[13], *fl[13];
    double v[13];
    static const char *const ids[] = { "1", "2", "3", "4", "5", "6", "9" };
    size_t n = 0;
    /* Records in reverse subject order, so that lab rows and subject rows differ. */
    for (int k = 5; k >= 0; k--) {
        for (int b = 0; b < 2; b++) {
            st[n] = "S1";
            id[n] = ids[k];
            pc[n] = "LDH";
            fl[n] = b ? NULL : "Y";
            v[n] = b ? 1 : 100.0 * (k + 1);
            n++;
        }
    }
    if (orphan) {
        st[n] = "S1";
        id[n] = ids[6];
        pc[n] = "LDH";
        fl[n] = "Y";
        v[n] = 900;
        n++;
    }
    col_str(t, "STUDYID", st, n);
    col_str(t, "USUBJID", id, n);
    col_str(t, "PARAMCD", pc, n);
    col_str(t, "ABLFL", fl, n);
    col_f64(t, "AVAL", v, n);
    return t;
}

/* AE records: (subject, grade, day from treatment start as a date offset). */
static carta_table *adae(void)
{
    carta_table *t = carta_table_new("adae.csv");
    const char *st[] = { "S1", "S1", "S1", "S1", "S1" };
    const char *id[] = { "2", "3", "3", "6", "1" };
    const double gr[] = { 4, 2, 3, 1, 5 };
    /* Days from TRTSDT: 2: +5; 3: +10 and +40 (outside [0, 28]); 6: +0; 1: -3 (outside). */
    const int64_t dt[] = { 205, 310, 340, 600, 97 };
    col_str(t, "STUDYID", st, 5);
    col_str(t, "USUBJID", id, 5);
    col_f64(t, "AETOXGR", gr, 5);
    col_date(t, "ASTDT", dt, 5);
    return t;
}

static void expect_num(const carta_table *a, const char *name, const double *want, size_t n)
{
    const carta_column *c = carta_table_find(a, name);
    cr_assert_not_null(c, "no column %s", name);
    cr_assert_eq(carta_table_nrows(a), n, "%zu rows, expected %zu", carta_table_nrows(a), n);
    for (size_t i = 0; i < n; i++) {
        double v = carta_column_number(c, i);
        if (isnan(want[i])) cr_expect(isnan(v), "%s[%zu] = %g, expected missing", name, i, v);
        else cr_expect_eq(v, want[i], "%s[%zu] = %.17g, expected %.17g", name, i, v, want[i]);
    }
}

static void expect_str(const carta_table *a, const char *name, const char *const *want, size_t n)
{
    const carta_column *c = carta_table_find(a, name);
    cr_assert_not_null(c, "no column %s", name);
    cr_assert_eq(carta_table_nrows(a), n);
    for (size_t i = 0; i < n; i++) {
        const char *s = carta_column_str(c, i);
        cr_assert_not_null(s, "%s[%zu] missing", name, i);
        cr_expect_str_eq(s, want[i], "%s[%zu] = %s, expected %s", name, i, s, want[i]);
    }
}

static carta_cohort *adopt(carta_table *t)
{
    carta_cohort *c = NULL;
    carta_error err = { 0 };
    cr_assert_eq(carta_cohort_adopt(t, "adsl", NULL, NULL, &c, &err), CARTA_OK, "%s", err.msg);
    return c;
}

static const carta_table *table_of(carta_cohort *c)
{
    const carta_table *a = NULL;
    carta_error err = { 0 };
    cr_assert_eq(carta_cohort_table(c, &a, &err), CARTA_OK, "%s", err.msg);
    return a;
}

static void baseline_ldh(carta_cohort *c, const carta_table *lb, carta_key_action orphan, int want_rc)
{
    carta_reduce_spec r;
    carta_reduce_spec_default(&r);
    r.source = "adlb";
    r.name = "LDH";
    r.param = "LDH";
    r.policy.orphan = orphan;
    r.policy.absent = CARTA_KEY_ERROR;
    carta_error err = { 0 };
    int rc = carta_cohort_reduce(c, lb, &r, &err);
    cr_assert_eq(rc, want_rc, "rc %d (%s)", rc, err.msg);
}

Test(cohort, adopt_uses_the_subject_table_itself)
{
    carta_table *s = adsl();
    carta_table *lb = adlb(0);
    carta_cohort *c = adopt(s);
    /* No exclusion: the analysis table is the adopted table, with the new column added to it. */
    baseline_ldh(c, lb, CARTA_KEY_ERROR, CARTA_OK);
    const carta_table *a = table_of(c);
    cr_expect_eq(a, s, "the analysis table is not the adopted table");
    cr_expect_not_null(carta_table_find(s, "LDH"));
    expect_num(a, "LDH", (const double[]){ 100, 200, 300, 400, 500, 600 }, 6);
    carta_cohort_free(c); /* frees s too (the sanitizer build checks for leaks and double frees) */
    carta_table_free(lb);
}

Test(cohort, adopt_failure_leaves_the_table_with_the_caller)
{
    carta_table *s = adsl();
    /* A second row for S1/1 makes the key duplicate: an error under the default policy. */
    carta_column *st = carta_table_column(s, 0), *id = carta_table_column(s, 1);
    cr_assert_eq(carta_column_push_str(st, "S1", 2), CARTA_OK);
    cr_assert_eq(carta_column_push_str(id, "1", 1), CARTA_OK);
    for (size_t j = 2; j < carta_table_ncols(s); j++)
        cr_assert_eq(carta_column_push_missing(carta_table_column(s, j)), CARTA_OK);
    carta_cohort *c = NULL;
    carta_error err = { 0 };
    cr_assert_eq(carta_cohort_adopt(s, "adsl", NULL, NULL, &c, &err), CARTA_EDATA);
    cr_expect_null(c);
    cr_expect(strstr(err.msg, "S1/1") != NULL, "%s", err.msg);
    cr_expect_eq(carta_table_nrows(s), 7);
    cr_expect_eq(carta_table_ncols(s), 6);
    carta_table_free(s);
}

/* The compacted table of the adopting path and of the copying path are the same, row for row,
   and string columns keep only the levels still present. */
Test(cohort, compaction_keeps_rows_in_order_and_prunes_levels)
{
    carta_table *orig = adsl(), *s = adsl();
    carta_table *lb = adlb(0);
    carta_cohort *c[2] = { NULL, NULL };
    carta_error err = { 0 };
    cr_assert_eq(carta_cohort_new(orig, "adsl", NULL, NULL, &c[0], &err), CARTA_OK, "%s", err.msg);
    c[1] = adopt(s);
    for (int k = 0; k < 2; k++) {
        baseline_ldh(c[k], lb, CARTA_KEY_ERROR, CARTA_OK);
        cr_assert_eq(carta_cohort_where(c[k], "SAFFL == 'Y'", "/w", &err), CARTA_OK, "%s", err.msg);
        const carta_table *a = table_of(c[k]);
        cr_expect_eq(carta_cohort_n(c[k]), 4);
        expect_num(a, "AGE", (const double[]){ 31, 33, 35, 36 }, 4);
        expect_num(a, "TRTSDT", (const double[]){ 100, 300, 500, 600 }, 4);
        expect_num(a, "LDH", (const double[]){ 100, 300, 500, 600 }, 4);
        expect_str(a, "USUBJID", (const char *const[]){ "1", "3", "5", "6" }, 4);
        expect_str(a, "ARM", (const char *const[]){ "A", "B", "B", "A" }, 4);
        const carta_column *arm = carta_table_find(a, "ARM");
        cr_expect_eq(arm->n_levels, 2, "ARM keeps %zu levels", arm->n_levels);
        cr_expect_eq(carta_column_level(arm, "C"), -1);
        cr_expect_eq(carta_table_find(a, "LDH")->n_missing, 0);
        /* Asking again changes nothing. */
        cr_expect_eq(table_of(c[k]), a);
        carta_cohort_free(c[k]);
    }
    /* The copying path left the caller's table as it was. */
    cr_expect_eq(carta_table_nrows(orig), 6);
    cr_expect_null(carta_table_find(orig, "LDH"));
    carta_table_free(orig);
    carta_table_free(lb);
}

/* After a compaction, records of subjects who left are recognised (not orphans, even under an
   ERROR orphan policy) and values land on the right rows; a subject not in ADSL is still an
   orphan; date windows use the compacted reference dates. */
Test(cohort, the_key_index_survives_compaction)
{
    carta_table *lb = adlb(0), *lbo = adlb(1), *ae = adae();
    carta_cohort *c = adopt(adsl());
    carta_error err = { 0 };
    cr_assert_eq(carta_cohort_where(c, "SAFFL == 'Y'", "/w", &err), CARTA_OK, "%s", err.msg);
    table_of(c); /* compacts: subjects 2 and 4 leave the table */
    baseline_ldh(c, lb, CARTA_KEY_ERROR, CARTA_OK);
    /* S1/9 is an orphan, and still reported as one. */
    carta_reduce_spec r;
    carta_reduce_spec_default(&r);
    r.source = "adlb";
    r.name = "LDH2";
    r.param = "LDH";
    r.policy.orphan = CARTA_KEY_ERROR;
    cr_assert_eq(carta_cohort_reduce(c, lbo, &r, &err), CARTA_EDATA);
    cr_expect(strstr(err.msg, "1 record of subjects not in adsl: S1/9") != NULL, "%s", err.msg);
    /* Worst grade in days [0, 28] from TRTSDT: 1 -> none (0), 3 -> 2, 5 -> none, 6 -> 1. Subject
       2's grade 4 must not land anywhere. */
    carta_reduce_spec w;
    carta_reduce_spec_default(&w);
    w.rule = CARTA_REDUCE_WORST;
    w.source = "adae";
    w.name = "WORST";
    w.date_col = "ASTDT";
    w.window_lo = 0;
    w.window_hi = 28;
    cr_assert_eq(carta_cohort_reduce(c, ae, &w, &err), CARTA_OK, "%s", err.msg);
    /* A one-row-per-subject join (the baseline records only) with absent as an error: the
       subjects who left have records, which must not be orphans either. */
    carta_join_spec j = { .source = "adlb", .columns = (const char *const[]){ "AVAL" }, .n_columns = 1,
                          .prefix = "BL_", .param = "LDH" };
    carta_table *base = adlb(0);
    /* Keep only the baseline rows: drop the later records by a where-free route (a new table). */
    carta_table *bl = carta_table_new("bl");
    {
        const char *st[6], *id[6], *pc[6];
        double v[6];
        const carta_column *ic = carta_table_find(base, "USUBJID"), *vc = carta_table_find(base, "AVAL");
        for (size_t i = 0, k = 0; i < carta_table_nrows(base); i += 2, k++) {
            st[k] = "S1";
            id[k] = carta_column_str(ic, i);
            pc[k] = "LDH";
            v[k] = vc->f64[i];
        }
        col_str(bl, "STUDYID", st, 6);
        col_str(bl, "USUBJID", id, 6);
        col_str(bl, "PARAMCD", pc, 6);
        col_f64(bl, "AVAL", v, 6);
    }
    j.policy.orphan = CARTA_KEY_ERROR;
    j.policy.absent = CARTA_KEY_ERROR;
    cr_assert_eq(carta_cohort_join(c, bl, &j, &err), CARTA_OK, "%s", err.msg);
    const carta_table *a = table_of(c);
    expect_num(a, "LDH", (const double[]){ 100, 300, 500, 600 }, 4);
    expect_num(a, "WORST", (const double[]){ 0, 2, 0, 1 }, 4);
    expect_num(a, "BL_AVAL", (const double[]){ 100, 300, 500, 600 }, 4);
    cr_expect_null(carta_table_find(a, "LDH2"));
    carta_cohort_free(c);
    carta_table_free(lb);
    carta_table_free(lbo);
    carta_table_free(ae);
    carta_table_free(base);
    carta_table_free(bl);
}

/* Two compactions in a row: exclusions after the first are over the compacted rows. */
Test(cohort, a_second_compaction_and_the_flow)
{
    carta_table *lb = adlb(0);
    carta_cohort *c = adopt(adsl());
    carta_error err = { 0 };
    cr_assert_eq(carta_cohort_where(c, "SAFFL == 'Y'", "/w", &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(carta_table_nrows(table_of(c)), 4);
    /* Current rows: subjects 1, 3, 5, 6; drop 3. */
    const uint8_t keep[] = { 1, 0, 1, 1 };
    cr_assert_eq(carta_cohort_exclude(c, keep, "not 3", "by hand", &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(carta_cohort_where(c, "AGE < 36", "/w2", &err), CARTA_OK, "%s", err.msg);
    baseline_ldh(c, lb, CARTA_KEY_ERROR, CARTA_OK);
    const carta_table *a = table_of(c);
    expect_str(a, "USUBJID", (const char *const[]){ "1", "5" }, 2);
    expect_num(a, "LDH", (const double[]){ 100, 500 }, 2);
    const carta_flow *f = carta_cohort_flow(c);
    cr_assert_eq(f->n, 4);
    const size_t remaining[] = { 6, 4, 3, 2 }, excluded[] = { 0, 2, 1, 1 };
    for (size_t k = 0; k < 4; k++) {
        cr_expect_eq(f->steps[k].n_remaining, remaining[k], "step %zu", k);
        cr_expect_eq(f->steps[k].n_excluded, excluded[k], "step %zu", k);
    }
    cr_expect_str_eq(f->steps[2].description, "not 3");
    /* Subjects who left at either compaction are still known. */
    carta_reduce_spec r;
    carta_reduce_spec_default(&r);
    r.source = "adlb";
    r.name = "LDH_AGAIN";
    r.param = "LDH";
    r.policy.orphan = CARTA_KEY_ERROR;
    cr_assert_eq(carta_cohort_reduce(c, lb, &r, &err), CARTA_OK, "%s", err.msg);
    expect_num(table_of(c), "LDH_AGAIN", (const double[]){ 100, 500 }, 2);
    carta_cohort_free(c);
    carta_table_free(lb);
}

/* Numeric subject keys (no study column) across a compaction. */
Test(cohort, numeric_keys_survive_compaction)
{
    carta_table *s = carta_table_new("dm");
    col_f64(s, "SUBJID", (const double[]){ 11, 12, 13, 14 }, 4);
    col_f64(s, "AGE", (const double[]){ 50, 60, 70, 80 }, 4);
    carta_table *lb = carta_table_new("lb");
    col_f64(lb, "SUBJID", (const double[]){ 14, 13, 12, 11 }, 4);
    col_str(lb, "PARAMCD", (const char *const[]){ "LDH", "LDH", "LDH", "LDH" }, 4);
    col_str(lb, "ABLFL", (const char *const[]){ "Y", "Y", "Y", "Y" }, 4);
    col_f64(lb, "AVAL", (const double[]){ 4, 3, 2, 1 }, 4);
    carta_cohort_keys keys = { NULL, "SUBJID" };
    carta_cohort *c = NULL;
    carta_error err = { 0 };
    cr_assert_eq(carta_cohort_adopt(s, NULL, &keys, NULL, &c, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(carta_cohort_where(c, "AGE != 60", "/w", &err), CARTA_OK, "%s", err.msg);
    table_of(c);
    baseline_ldh(c, lb, CARTA_KEY_ERROR, CARTA_OK);
    expect_num(table_of(c), "LDH", (const double[]){ 1, 3, 4 }, 3);
    carta_cohort_free(c);
    carta_table_free(lb);
}

/* Out of memory at each allocation of a compaction: either nothing changed (the allocations
   before the first column moves) and a retry succeeds, or the cohort is lost and every later
   call fails cleanly; both kinds must occur, and no run may leak (sanitizer build). */
Test(cohort, out_of_memory_while_compacting)
{
    carta_table *lb = adlb(0);
    int recovered = 0, lost = 0, ok = 0;
    for (long k = 1; k < 400 && !ok; k++) {
        carta_cohort *c = adopt(adsl());
        carta_error err = { 0 };
        baseline_ldh(c, lb, CARTA_KEY_ERROR, CARTA_OK);
        cr_assert_eq(carta_cohort_where(c, "SAFFL == 'Y'", "/w", &err), CARTA_OK, "%s", err.msg);
        const carta_table *a = NULL;
        carta_alloc_fail_at(k);
        int rc = carta_cohort_table(c, &a, &err);
        carta_alloc_fail_at(0);
        if (rc == CARTA_OK) {
            ok = 1;
            expect_num(a, "LDH", (const double[]){ 100, 300, 500, 600 }, 4);
        } else {
            cr_assert_eq(rc, CARTA_ENOMEM, "k=%ld: rc %d (%s)", k, rc, err.msg);
            cr_expect_null(a);
            err = (carta_error){ 0 }; /* only the first error is kept */
            rc = carta_cohort_table(c, &a, &err);
            if (rc == CARTA_OK) {
                recovered++;
                expect_num(a, "AGE", (const double[]){ 31, 33, 35, 36 }, 4);
                expect_num(a, "LDH", (const double[]){ 100, 300, 500, 600 }, 4);
            } else {
                lost++;
                cr_assert_eq(rc, CARTA_ENOMEM);
                cr_expect(strstr(err.msg, "lost") != NULL, "%s", err.msg);
                cr_expect_eq(carta_cohort_where(c, "AGE > 0", "/w", &err), CARTA_ENOMEM);
                cr_expect_eq(carta_cohort_exclude(c, (const uint8_t[]){ 1, 1, 1, 1 }, "x", "", &err), CARTA_ENOMEM);
                carta_derive_spec d = { .kind = CARTA_DERIVE_S_EASIX, .name = "S" };
                cr_expect_eq(carta_cohort_derive(c, &d, &err), CARTA_ENOMEM);
                carta_reduce_spec r;
                carta_reduce_spec_default(&r);
                r.source = "adlb";
                r.name = "X";
                r.param = "LDH";
                cr_expect_eq(carta_cohort_reduce(c, lb, &r, &err), CARTA_ENOMEM);
                carta_join_spec j = { .source = "adlb", .param = "LDH" };
                cr_expect_eq(carta_cohort_join(c, lb, &j, &err), CARTA_ENOMEM);
                /* The flow and the count can still be read. */
                cr_expect_eq(carta_cohort_n(c), 4);
                cr_expect_eq(carta_cohort_flow(c)->n, 2);
            }
        }
        carta_cohort_free(c);
    }
    cr_expect(ok, "never succeeded");
    cr_expect(recovered > 0, "no failure before the compaction started");
    cr_expect(lost > 0, "no failure during the compaction");
    carta_table_free(lb);
}

/* Out of memory anywhere in adopt, where, the analysis table and a reduction after it: each
   call fails with CARTA_ENOMEM or succeeds; a failed adopt leaves the table to the caller. */
Test(cohort, out_of_memory_anywhere)
{
    carta_table *lb = adlb(0);
    int ok = 0;
    for (long k = 1; k < 2000 && !ok; k++) {
        carta_table *s = adsl();
        carta_cohort *c = NULL;
        const carta_table *a = NULL;
        carta_error err = { 0 };
        carta_alloc_fail_at(k);
        int rc = carta_cohort_adopt(s, "adsl", NULL, NULL, &c, &err);
        if (rc) {
            carta_alloc_fail_at(0);
            cr_assert_eq(rc, CARTA_ENOMEM, "k=%ld: rc %d (%s)", k, rc, err.msg);
            cr_assert_null(c);
            carta_table_free(s);
            continue;
        }
        rc = carta_cohort_where(c, "SAFFL == 'Y'", "/w", &err);
        if (rc == CARTA_OK) rc = carta_cohort_table(c, &a, &err);
        carta_reduce_spec r;
        carta_reduce_spec_default(&r);
        r.source = "adlb";
        r.name = "LDH";
        r.param = "LDH";
        if (rc == CARTA_OK) rc = carta_cohort_reduce(c, lb, &r, &err);
        if (rc == CARTA_OK) rc = carta_cohort_table(c, &a, &err);
        carta_alloc_fail_at(0);
        cr_assert(rc == CARTA_OK || rc == CARTA_ENOMEM, "k=%ld: rc %d (%s)", k, rc, err.msg);
        if (rc == CARTA_OK) {
            ok = 1;
            expect_num(a, "LDH", (const double[]){ 100, 300, 500, 600 }, 4);
        }
        carta_cohort_free(c);
    }
    cr_assert(ok, "never succeeded");
    carta_table_free(lb);
}
