/* Unit tests of outcome definitions (src/cohort/outcome.c): binary, right-censored survival,
   (start, stop] rows, competing risks, group/strata labels and order, weights and clusters,
   subsets, every outcome error, and the CDISC pilot end to end (ADSL + ADTTE + ADAE through the
   cohort builder to a survival outcome by arm: 254 subjects, 152 events, per
   ../shared/data/README.md). */
#include <carta/alloc.h>
#include <carta/cohort.h>
#include <carta/table.h>

#include <carta/xpt.h>

#include <carta/csv.h>

#include "check.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Six subjects with a time, censoring flag, arm, numeric sex, CRS grade and cause. */
static carta_table *analysis(const double *time, const double *crs, const char *const *cause)
{
    carta_table *t = carta_table_new("analysis");
    const char *id[] = { "P1", "P2", "P3", "P4", "P5", "P6" };
    const double cnsr[] = { 0, 1, 0, 0, 1, 0 };
    const char *arm[] = { "b", "a", "B", "a", "b", "a" };
    const double sex[] = { 2, 10, 1, 2, 10, 2 };
    const double w[] = { 1, 2, 0.5, 1, 1, 3 };
    col_str(t, "USUBJID", id, 6);
    col_f64(t, "AVAL", time, 6);
    col_f64(t, "CNSR", cnsr, 6);
    col_str(t, "ARM", arm, 6);
    col_f64(t, "SEX", sex, 6);
    col_f64(t, "CRS", crs, 6);
    col_str(t, "CAUSE", cause, 6);
    col_f64(t, "W", w, 6);
    return t;
}

static const double T0[] = { 5, 8, 8, 12, 20, 3 };
static const double C0[] = { 0, 3, 4, 1, 2, 5 };
static const char *const K0[] = { "relapse", "none", "death", "relapse", "none", "death" };

static carta_table *plain(void) { return analysis(T0, C0, K0); }

static carta_outcome *build(const carta_outcome_spec *s, const carta_table *t)
{
    carta_outcome *o = NULL;
    carta_error err = { 0 };
    cr_assert_eq(carta_outcome_build(s, t, &o, &err), CARTA_OK, "%s", err.msg);
    return o;
}

static void expect_fail(const carta_outcome_spec *s, const carta_table *t, int code, const char *msg)
{
    carta_outcome *o = NULL;
    carta_error err = { 0 };
    cr_assert_eq(carta_outcome_build(s, t, &o, &err), code, "%s", err.msg);
    cr_assert_null(o);
    cr_assert_str_eq(err.msg, msg);
}

Test(outcome, binary_from_a_condition)
{
    carta_table *t = plain();
    carta_outcome_spec s = { .type = CARTA_OUTCOME_BINARY, .name = "/outcome", .event = "CRS >= 3" };
    carta_outcome *o = build(&s, t);
    const double y[] = { 0, 1, 1, 0, 0, 1 };
    for (int i = 0; i < 6; i++) cr_expect_eq(o->y[i], y[i], "y[%d]", i);
    cr_assert_eq(o->n, 6);
    cr_assert_eq(o->n_events, 3);
    cr_assert_null(o->time);
    carta_outcome_free(o);
    carta_outcome_free(NULL);

    s.event = "CRS >= 6";
    expect_fail(&s, t, CARTA_EDATA, "/outcome: no events: CRS >= 6 is false for all 6 rows");
    s.event = "CRS >= 0";
    expect_fail(&s, t, CARTA_EDATA, "/outcome: only events: CRS >= 0 is true for all 6 rows (nothing to compare)");
    s.event = "CRS + 1";
    expect_fail(&s, t, CARTA_ECONFIG, "/outcome/event: CRS + 1 is not a condition (write e.g. \"CNSR == 0\")");
    s.event = "CRS >= (3";
    expect_fail(&s, t, CARTA_ECONFIG, "/outcome/event: column 10: expected ')', found the end of the expression");
    s.event = NULL;
    expect_fail(&s, t, CARTA_ECONFIG, "/outcome: a binary outcome needs an event condition");
    carta_table_free(t);

    const double crs[] = { 0, NAN, 4, 1, 2, 5 };
    t = analysis(T0, crs, K0);
    s.event = "CRS >= 3";
    expect_fail(&s, t, CARTA_EDATA, "/outcome/event: 1 row with a missing event (CRS >= 3 is unknown): row 2 (P2)");
    /* A missing value that the condition does not need is fine (Kleene: false && missing). */
    s.event = "CRS >= 3 && CNSR == 0 || CRS is missing";
    carta_outcome *o2 = build(&s, t);
    cr_assert_eq(o2->n_events, 3); /* rows 2 (missing CRS), 3 and 6 */
    carta_outcome_free(o2);
    carta_table_free(t);
}

Test(outcome, right_censored_survival_with_groups)
{
    carta_table *t = plain();
    const char *arm[] = { "ARM" };
    carta_outcome_spec s = { .type = CARTA_OUTCOME_SURVIVAL, .name = "/outcome", .time = "AVAL", .event = "CNSR == 0",
                             .group = arm, .n_group = 1 };
    carta_outcome *o = build(&s, t);
    const int st[] = { 1, 0, 1, 1, 0, 1 };
    /* Byte order: "B" < "a" < "b". */
    const int g[] = { 2, 1, 0, 1, 2, 1 };
    for (int i = 0; i < 6; i++) {
        cr_expect_eq(o->time[i], T0[i]);
        cr_expect_eq(o->status[i], st[i], "status[%d]", i);
        cr_expect_eq(o->group[i], g[i], "group[%d]", i);
    }
    cr_assert_eq(o->n_events, 4);
    cr_assert_eq(o->n_groups, 3);
    cr_assert_str_eq(o->group_labels[0], "ARM=B");
    cr_assert_str_eq(o->group_labels[1], "ARM=a");
    cr_assert_str_eq(o->group_labels[2], "ARM=b");
    /* The carta_surv_data view. */
    const carta_surv_data *d = &o->surv;
    cr_assert_eq(d->n, 6);
    cr_assert_eq(d->time, o->time);
    cr_assert_null(d->start);
    cr_assert_eq(d->status, o->status);
    cr_assert_eq(d->n_causes, 0);
    cr_assert_eq(d->group, o->group);
    cr_assert_eq(d->n_groups, 3);
    cr_assert_str_eq(d->group_labels[2], "ARM=b");
    cr_assert_null(d->strata);
    cr_assert_null(d->weight);
    carta_outcome_free(o);

    /* Numbers ascending, not as text: 1 < 2 < 10. Two columns: the first varies slowest. */
    const char *both[] = { "ARM", "SEX" };
    const char *sex[] = { "SEX" };
    s.group = both;
    s.n_group = 2;
    s.strata = sex;
    s.n_strata = 1;
    s.weight = "W";
    s.cluster = "ARM";
    o = build(&s, t);
    const int g2[] = { 3, 2, 0, 1, 4, 1 };
    const int st2[] = { 1, 2, 0, 1, 2, 1 };
    const char *lab[] = { "ARM=B, SEX=1", "ARM=a, SEX=2", "ARM=a, SEX=10", "ARM=b, SEX=2", "ARM=b, SEX=10" };
    cr_assert_eq(o->n_groups, 5);
    for (int i = 0; i < 5; i++) cr_expect_str_eq(o->group_labels[i], lab[i]);
    for (int i = 0; i < 6; i++) {
        cr_expect_eq(o->group[i], g2[i], "group[%d]", i);
        cr_expect_eq(o->strata[i], st2[i], "strata[%d]", i);
        cr_expect_eq(o->cluster[i], g[i], "cluster[%d]", i);
    }
    cr_assert_str_eq(o->strata_labels[0], "SEX=1");
    cr_assert_str_eq(o->strata_labels[2], "SEX=10");
    cr_assert_eq(o->surv.n_strata, 3);
    cr_assert_eq(o->surv.n_clusters, 3);
    cr_assert_eq(o->surv.weight[2], 0.5);
    carta_outcome_free(o);
    carta_table_free(t);
}

Test(outcome, survival_errors_name_rows_and_subjects)
{
    carta_outcome_spec s = { .type = CARTA_OUTCOME_SURVIVAL, .name = "/outcome", .time = "AVAL", .event = "CNSR == 0" };
    const double tm[] = { 5, NAN, 8, 12, NAN, 3 };
    carta_table *t = analysis(tm, C0, K0);
    expect_fail(&s, t, CARTA_EDATA, "/outcome: column AVAL: 2 rows with a missing time: row 2 (P2), row 5 (P5)");
    carta_table_free(t);
    const double neg[] = { -1, 8, 8, 12, 20, INFINITY };
    t = analysis(neg, C0, K0);
    expect_fail(&s, t, CARTA_EDATA, "/outcome: column AVAL: 2 rows with a negative or infinite time: row 1 (P1), row 6 (P6)");
    carta_table_free(t);

    t = plain();
    s.time = "ARM";
    expect_fail(&s, t, CARTA_EDATA, "/outcome: column ARM: the time must be a number (of days), not a string");
    s.time = "AVALX";
    expect_fail(&s, t, CARTA_EDATA, "/outcome: the time column AVALX is not in the analysis table");
    s.time = "AVAL";
    s.event = "CNSR == 5";
    expect_fail(&s, t, CARTA_EDATA, "/outcome: no events: CNSR == 5 is false for all 6 rows");
    s.event = "CNSR == 0";
    s.weight = "W";
    carta_table_free(t);
    const double badw[] = { 1, 0, 1, 1, 1, 1 };
    t = plain();
    carta_table_drop_column(t, "W");
    col_f64(t, "W", badw, 6);
    expect_fail(&s, t, CARTA_EDATA, "/outcome: column W: 1 row with a missing, infinite or non-positive weight: row 2 (P2)");
    s.weight = NULL;
    carta_table_free(t);
    const char *k[] = { "relapse", "none", NULL, "relapse", "none", "death" };
    t = analysis(T0, C0, k);
    const char *g[] = { "CAUSE" };
    s.group = g;
    s.n_group = 1;
    expect_fail(&s, t, CARTA_EDATA,
                "/outcome: column CAUSE: 1 row with a missing group value (filter them out with cohort.where): row 3 (P3)");
    s.group = NULL;
    s.n_group = 0;
    s.event = NULL;
    expect_fail(&s, t, CARTA_ECONFIG, "/outcome: a survival outcome needs a time column and an event condition");
    s.event = "CNSR == 0";
    s.start = "AVAL";
    expect_fail(&s, t, CARTA_ECONFIG, "/outcome: (start, stop] rows need an id column naming the subject");
    carta_table_free(t);
}

static carta_table *counting(const double *start, const double *stop)
{
    carta_table *t = carta_table_new("tv");
    const char *id[] = { "1", "1", "2", "2", "3" };
    const double ev[] = { 0, 1, 0, 0, 1 };
    col_str(t, "ID", id, 5);
    col_f64(t, "START", start, 5);
    col_f64(t, "STOP", stop, 5);
    col_f64(t, "EV", ev, 5);
    return t;
}

Test(outcome, start_stop_rows)
{
    const double start[] = { 0, 5, 0, 4, 0 }, stop[] = { 5, 9, 4, 10, 7 };
    carta_table *t = counting(start, stop);
    carta_outcome_spec s = { .type = CARTA_OUTCOME_SURVIVAL, .name = "/outcome", .time = "STOP", .start = "START",
                             .id = "ID", .event = "EV == 1" };
    carta_outcome *o = build(&s, t);
    cr_assert_eq(o->n_events, 2);
    cr_assert_eq(o->n_ids, 3);
    const int id[] = { 0, 0, 1, 1, 2 };
    for (int i = 0; i < 5; i++) {
        cr_expect_eq(o->start[i], start[i]);
        cr_expect_eq(o->id[i], id[i]);
    }
    cr_assert_eq(o->surv.start, o->start);
    cr_assert_eq(o->surv.id, o->id);
    carta_outcome_free(o);
    carta_table_free(t);

    const double stop2[] = { 5, 9, 0, 10, 7 };
    t = counting(start, stop2);
    expect_fail(&s, t, CARTA_EDATA, "/outcome: column STOP: 1 row with stop <= start: row 3");
    carta_table_free(t);
    const double start3[] = { 0, 4, 0, 4, 0 };
    t = counting(start3, stop);
    expect_fail(&s, t, CARTA_EDATA,
                "/outcome: column STOP: the (start, stop] intervals of one id overlap: row 1 (0, 5] and row 2 (4, 9]");
    carta_table_free(t);
    const double start4[] = { 0, 5, -2, 4, 0 };
    t = counting(start4, stop);
    expect_fail(&s, t, CARTA_EDATA, "/outcome: column START: 1 row with a negative or infinite time: row 3");
    carta_table_free(t);
}

/* Competing risks with delayed entry: entry times and ids reach the estimator's view, and the
   (start, stop] checks apply as for a survival outcome. */
Test(outcome, competing_risks_delayed_entry)
{
    const double start[] = { 0, 5, 0, 4, 0 }, stop[] = { 5, 9, 4, 10, 7 };
    carta_table *t = counting(start, stop);
    const char *cause[] = { "none", "relapse", "none", "death", "relapse" };
    col_str(t, "CAUSE", cause, 5);
    carta_outcome_spec s = { .type = CARTA_OUTCOME_COMPETING, .name = "/outcome", .time = "STOP", .start = "START",
                             .id = "ID", .cause = "CAUSE", .censor = "none" };
    carta_outcome *o = build(&s, t);
    cr_assert_eq(o->n_events, 3);
    cr_assert_eq(o->n_ids, 3);
    const int st[] = { 0, 2, 0, 1, 2 }, id[] = { 0, 0, 1, 1, 2 };
    for (int i = 0; i < 5; i++) {
        cr_expect_eq(o->status[i], st[i], "status[%d]", i);
        cr_expect_eq(o->start[i], start[i]);
        cr_expect_eq(o->id[i], id[i]);
    }
    cr_assert_eq(o->surv.start, o->start);
    cr_assert_eq(o->surv.id, o->id);
    carta_outcome_free(o);
    carta_table_free(t);

    const double stop2[] = { 5, 9, 0, 10, 7 };
    t = counting(start, stop2);
    col_str(t, "CAUSE", cause, 5);
    expect_fail(&s, t, CARTA_EDATA, "/outcome: column STOP: 1 row with stop <= start: row 3");
    s.id = NULL;
    expect_fail(&s, t, CARTA_ECONFIG, "/outcome: (start, stop] rows need an id column naming the subject");
    carta_table_free(t);
}

Test(outcome, competing_risks)
{
    carta_table *t = plain();
    carta_outcome_spec s = { .type = CARTA_OUTCOME_COMPETING, .name = "/outcome", .time = "AVAL", .cause = "CAUSE",
                             .censor = "none" };
    carta_outcome *o = build(&s, t);
    const int st[] = { 2, 0, 1, 2, 0, 1 };
    for (int i = 0; i < 6; i++) cr_expect_eq(o->status[i], st[i], "status[%d]", i);
    cr_assert_eq(o->n_causes, 2);
    cr_assert_str_eq(o->cause_labels[0], "death");
    cr_assert_str_eq(o->cause_labels[1], "relapse");
    cr_assert_eq(o->surv.n_causes, 2);
    cr_assert_str_eq(o->surv.cause_labels[1], "relapse");
    cr_assert_eq(o->n_events, 4);
    carta_outcome_free(o);

    /* Declared causes: sorted, and a declared cause that does not occur keeps its code. */
    const char *decl[] = { "relapse", "gvhd", "death" };
    s.causes = decl;
    s.n_causes = 3;
    o = build(&s, t);
    const int st3[] = { 3, 0, 1, 3, 0, 1 };
    for (int i = 0; i < 6; i++) cr_expect_eq(o->status[i], st3[i], "status[%d]", i);
    cr_assert_str_eq(o->cause_labels[1], "gvhd");
    carta_outcome_free(o);
    /* A value that is not declared. */
    s.n_causes = 1;
    expect_fail(&s, t, CARTA_EDATA,
                "/outcome: column CAUSE: 2 rows with a cause that is neither the censoring value \"none\" nor one of "
                "\"relapse\": row 3 (P3) \"death\", row 6 (P6) \"death\"");
    s.causes = NULL;
    s.n_causes = 0;
    s.censor = NULL;
    expect_fail(&s, t, CARTA_ECONFIG, "/outcome: a competing-risks outcome needs time, cause and censor");
    carta_table_free(t);

    /* Numeric causes sort as numbers. */
    t = plain();
    const double cn[] = { 1, 0, 10, 2, 0, 1 };
    col_f64(t, "CAUSEN", cn, 6);
    s.cause = "CAUSEN";
    s.censor = "0";
    o = build(&s, t);
    const int stn[] = { 1, 0, 3, 2, 0, 1 };
    for (int i = 0; i < 6; i++) cr_expect_eq(o->status[i], stn[i], "status[%d]", i);
    cr_assert_str_eq(o->cause_labels[2], "10");
    carta_outcome_free(o);
    carta_table_free(t);

    const char *k1[] = { "relapse", NULL, "death", "relapse", "none", "death" };
    t = analysis(T0, C0, k1);
    s.cause = "CAUSE";
    s.censor = "none";
    expect_fail(&s, t, CARTA_EDATA, "/outcome: column CAUSE: 1 row with a missing cause: row 2 (P2)");
    carta_table_free(t);
    const char *k2[] = { "none", "none", "none", "none", "none", "none" };
    t = analysis(T0, C0, k2);
    expect_fail(&s, t, CARTA_EDATA, "/outcome: column CAUSE: no events: every row is censored (CAUSE == \"none\")");
    carta_table_free(t);
}

Test(outcome, subset_renumbers_groups)
{
    carta_table *t = plain();
    const char *arm[] = { "ARM" };
    carta_outcome_spec s = { .type = CARTA_OUTCOME_SURVIVAL, .name = "/outcome", .time = "AVAL", .event = "CNSR == 0",
                             .group = arm, .n_group = 1 };
    carta_outcome *o = build(&s, t), *u = NULL;
    carta_error err = { 0 };
    const size_t rows[] = { 0, 1, 4 };
    cr_assert_eq(carta_outcome_subset(o, rows, 3, &u, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(u->n, 3);
    cr_assert_eq(u->n_groups, 2);
    cr_assert_str_eq(u->group_labels[0], "ARM=a");
    cr_assert_str_eq(u->group_labels[1], "ARM=b");
    const int g[] = { 1, 0, 1 };
    const double tm[] = { 5, 8, 20 };
    for (int i = 0; i < 3; i++) {
        cr_expect_eq(u->group[i], g[i]);
        cr_expect_eq(u->time[i], tm[i]);
    }
    cr_assert_eq(u->n_events, 1);
    cr_assert_eq(u->surv.n, 3);
    cr_assert_eq(u->surv.time, u->time);
    carta_outcome_free(u);
    const size_t bad[] = { 6 };
    cr_assert_eq(carta_outcome_subset(o, bad, 1, &u, &err), CARTA_EDATA);
    carta_outcome_free(o);
    carta_table_free(t);
}

Test(outcome, allocation_failures_end_in_enomem_without_leaks)
{
    carta_table *t = plain();
    const char *both[] = { "ARM", "SEX" };
    carta_outcome_spec s = { .type = CARTA_OUTCOME_COMPETING, .name = "/outcome", .time = "AVAL", .cause = "CAUSE",
                             .censor = "none", .group = both, .n_group = 2, .strata = both, .n_strata = 1,
                             .weight = "W", .cluster = "SEX" };
    int ok = 0;
    for (long k = 1; k < 500 && !ok; k++) {
        carta_error err = { 0 };
        carta_outcome *o = NULL, *u = NULL;
        const size_t rows[] = { 5, 0 };
        carta_alloc_fail_at(k);
        int rc = carta_outcome_build(&s, t, &o, &err);
        if (rc == CARTA_OK) rc = carta_outcome_subset(o, rows, 2, &u, &err);
        carta_alloc_fail_at(0);
        cr_assert(rc == CARTA_OK || rc == CARTA_ENOMEM, "k=%ld: %d %s", k, rc, err.msg);
        if (rc == CARTA_OK) {
            ok = 1;
            cr_assert_eq(u->status[0], 1);
            cr_assert_eq(u->status[1], 2);
        }
        carta_outcome_free(o);
        carta_outcome_free(u);
    }
    cr_assert(ok);
    carta_table_free(t);
}

static carta_table *pilot(const char *name)
{
    char rel[128];
    snprintf(rel, sizeof rel, "data/cdisc-pilot/adam/%s.xpt", name);
    const char *path = shared_path(rel);
    if (!path) return NULL;
    carta_table *t = NULL;
    carta_error err = { 0 };
    cr_assert_eq(carta_xpt_read(path, name, &t, &err), CARTA_OK, "%s", err.msg);
    return t;
}

Test(outcome, cdisc_pilot_end_to_end)
{
    carta_table *adsl = pilot("adsl");
    if (!adsl) cr_skip_test("shared data ../shared/data/cdisc-pilot is absent");
    carta_table *adtte = pilot("adtte"), *adae = pilot("adae");
    carta_cohort *c = NULL;
    carta_error err = { 0 };
    cr_assert_eq(carta_cohort_new(adsl, "adsl", NULL, NULL, &c, &err), CARTA_OK, "%s", err.msg);
    const char *cols[] = { "AVAL", "CNSR", "TRTA", "STARTDT" };
    carta_join_spec j = { .source = "adtte", .columns = cols, .n_columns = 4, .param = "TTDE" };
    cr_assert_eq(carta_cohort_join(c, adtte, &j, &err), CARTA_OK, "%s", err.msg);
    /* The first treatment-emergent dermatologic event from ADAE, in days from TRTSDT. */
    carta_reduce_spec r;
    carta_reduce_spec_default(&r);
    r.rule = CARTA_REDUCE_FIRST;
    r.source = "adae";
    r.name = "DERM_DAY";
    r.match = "CQ01NAM == 'DERMATOLOGIC EVENTS' && TRTEMFL == 'Y'";
    r.date_col = "ASTDT";
    r.ref_col = "TRTSDT";
    r.policy.orphan = CARTA_KEY_ERROR; /* every ADAE subject is in ADSL */
    cr_assert_eq(carta_cohort_reduce(c, adae, &r, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(carta_cohort_where(c, "SAFFL == 'Y'", "/cohort/where", &err), CARTA_OK, "%s", err.msg);
    const carta_table *a = NULL;
    cr_assert_eq(carta_cohort_table(c, &a, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(carta_table_nrows(a), 254);
    const carta_flow *f = carta_cohort_flow(c);
    cr_assert_eq(f->steps[f->n - 1].n_remaining, 254);

    const char *by[] = { "TRTA" };
    carta_outcome_spec s = { .type = CARTA_OUTCOME_SURVIVAL, .name = "/outcome", .time = "AVAL", .event = "CNSR == 0",
                             .group = by, .n_group = 1 };
    carta_outcome *o = NULL;
    cr_assert_eq(carta_outcome_build(&s, a, &o, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(o->n, 254);
    cr_assert_eq(o->n_events, 152);
    cr_assert_eq(o->n_groups, 3);
    /* README known answers: n 86 / 84 / 84 and events 29 / 61 / 62, labels in byte order. */
    cr_assert_str_eq(o->group_labels[0], "TRTA=Placebo");
    cr_assert_str_eq(o->group_labels[1], "TRTA=Xanomeline High Dose");
    cr_assert_str_eq(o->group_labels[2], "TRTA=Xanomeline Low Dose");
    size_t n[3] = { 0 }, ev[3] = { 0 };
    for (size_t i = 0; i < o->n; i++) {
        n[o->group[i]]++;
        ev[o->group[i]] += (size_t)o->status[i];
    }
    cr_assert_eq(n[0], 86);
    cr_assert_eq(n[1], 84);
    cr_assert_eq(n[2], 84);
    cr_assert_eq(ev[0], 29);
    cr_assert_eq(ev[1], 61);
    cr_assert_eq(ev[2], 62);
    /* ADTTE derives AVAL = ADT - STARTDT + 1 from the first dermatologic event: the ADAE reduction
       must reproduce it for every event (an independent derivation of the same number). */
    const carta_column *dd = carta_table_find(a, "DERM_DAY"), *sd = carta_table_find(a, "STARTDT"),
                       *tr = carta_table_find(a, "TRTSDT");
    size_t agree = 0;
    for (size_t i = 0; i < o->n; i++) {
        if (!o->status[i]) continue;
        double day = carta_column_number(dd, i) + carta_column_number(tr, i) - carta_column_number(sd, i);
        agree += day + 1 == o->time[i];
    }
    cr_assert_eq(agree, 152, "%zu of 152 events agree with ADAE", agree);
    carta_outcome_free(o);
    carta_cohort_free(c);
    carta_table_free(adsl);
    carta_table_free(adtte);
    carta_table_free(adae);
}

Test(outcome, declared_level_order)
{
    carta_table *t = plain();
    const char *arm_levels[] = { "b", "a", "B" }, *sex_levels[] = { "10", "2", "1" };
    carta_declared_levels decl[] = { { "ARM", arm_levels, 3 }, { "SEX", sex_levels, 3 } };
    const char *both[] = { "ARM", "SEX" };
    carta_outcome_spec s = { .type = CARTA_OUTCOME_SURVIVAL, .name = "/outcome", .time = "AVAL", .event = "CNSR == 0",
                             .group = both, .n_group = 2, .declared = decl, .n_declared = 2 };
    carta_outcome *o = build(&s, t);
    /* Rows: (b,2) (a,10) (B,1) (a,2) (b,10) (a,2) in the declared orders b < a < B, 10 < 2 < 1. */
    const char *lab[] = { "ARM=b, SEX=10", "ARM=b, SEX=2", "ARM=a, SEX=10", "ARM=a, SEX=2", "ARM=B, SEX=1" };
    const int g[] = { 1, 2, 4, 3, 0, 3 };
    cr_assert_eq(o->n_groups, 5);
    for (int i = 0; i < 5; i++) cr_expect_str_eq(o->group_labels[i], lab[i]);
    for (int i = 0; i < 6; i++) cr_expect_eq(o->group[i], g[i], "group[%d]", i);
    carta_outcome_free(o);
    /* A value outside the declared levels. */
    decl[1].n_levels = 2;
    expect_fail(&s, t, CARTA_EDATA,
                "/outcome: column SEX: 1 row with a value that is not one of the declared levels: row 3 (P3) \"1\"");
    carta_table_free(t);
}

static carta_table *pharmaverse(const char *name)
{
    char rel[128];
    snprintf(rel, sizeof rel, "data/pharmaverseadam-onco/%s.csv", name);
    const char *path = shared_path(rel);
    if (!path) return NULL;
    carta_table *t = NULL;
    carta_error err = { 0 };
    cr_assert_eq(carta_csv_read(path, name, NULL, &t, &err), CARTA_OK, "%s", err.msg);
    return t;
}

/* pharmaverseadam: 306 ADSL subjects (52 screen failures), OS in ADTTE for the 254 treated (3
   deaths), baseline platelets for 252 of them (counts per ../shared/data/README.md and the files). */
Test(outcome, pharmaverse_flow_baseline_and_units)
{
    carta_table *adsl = pharmaverse("adsl");
    if (!adsl) cr_skip_test("shared data ../shared/data/pharmaverseadam-onco is absent");
    carta_table *adtte = pharmaverse("adtte_onco"), *adlb = pharmaverse("adlb_baseline");
    carta_cohort *c = NULL;
    carta_error err = { 0 };
    cr_assert_eq(carta_cohort_new(adsl, "adsl", NULL, NULL, &c, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(carta_cohort_n(c), 306);
    const char *cols[] = { "AVAL", "CNSR" };
    carta_join_spec j = { .source = "adtte", .columns = cols, .n_columns = 2, .prefix = "OS_", .param = "OS",
                          .policy = { .absent = CARTA_KEY_EXCLUDE } };
    cr_assert_eq(carta_cohort_join(c, adtte, &j, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(carta_cohort_n(c), 254);
    const carta_flow *f = carta_cohort_flow(c);
    cr_assert_eq(f->n, 2);
    cr_assert_str_eq(f->steps[1].description, "no record in adtte (PARAMCD == OS)");
    cr_assert_eq(f->steps[1].n_excluded, 52);
    /* The first screen failures in ADSL order (checked against the CSV files independently). */
    const char *want = "52 subjects: CDISCPILOT01/01-701-1057, CDISCPILOT01/01-701-1145, ";
    cr_assert(strncmp(f->steps[1].reason, want, strlen(want)) == 0, "%s", f->steps[1].reason);
    carta_reduce_spec r;
    carta_reduce_spec_default(&r);
    r.source = "adlb";
    r.name = "PLAT";
    r.param = "PLAT";
    cr_assert_eq(carta_cohort_reduce(c, adlb, &r, &err), CARTA_OK, "%s", err.msg);
    r.name = "CREAT";
    r.param = "CREAT";
    cr_assert_eq(carta_cohort_reduce(c, adlb, &r, &err), CARTA_OK, "%s", err.msg);
    const carta_table *a = NULL;
    cr_assert_eq(carta_cohort_table(c, &a, &err), CARTA_OK);
    const carta_column *plat = carta_table_find(a, "PLAT");
    cr_assert_not_null(plat->unit);
    size_t have = 0;
    for (size_t i = 0; i < carta_table_nrows(a); i++) have += !carta_column_is_missing(plat, i);
    cr_assert_eq(have, 252);
    /* Creatinine is in umol/L here (SI): EASIX refuses it until units are harmonised. */
    carta_derive_spec d = { .kind = CARTA_DERIVE_EASIX, .name = "EASIX" };
    const char *args[] = { "AGE", "CREAT", "PLAT" }; /* AGE stands in for LDH: it has no unit */
    d.args = args;
    d.n_args = 3;
    cr_assert_eq(carta_cohort_derive(c, &d, &err), CARTA_EDATA);
    cr_assert_not_null(strstr(err.msg, "needs CREAT in mg/dL, but it is in"), "%s", err.msg);
    carta_outcome_spec s = { .type = CARTA_OUTCOME_SURVIVAL, .name = "/outcome", .time = "OS_AVAL", .event = "OS_CNSR == 0" };
    carta_outcome *o = NULL;
    cr_assert_eq(carta_outcome_build(&s, a, &o, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(o->n, 254);
    cr_assert_eq(o->n_events, 3);
    carta_outcome_free(o);
    carta_cohort_free(c);
    carta_table_free(adsl);
    carta_table_free(adtte);
    carta_table_free(adlb);
}
