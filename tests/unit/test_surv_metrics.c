/* IPCW survival metrics, lowess/ICI and net benefit (survmetrics.h) against R (prodlim reverse KM,
   survival::concordance timewt = "n/G2", riskRegression::Score, pec::crps, survfit, lowess,
   rms::val.prob; tests/reference/survmetrics), the worked anchors of metrics.md section 7 (the
   scikit-survival convention numbers come from there), hand-worked fractions and identities. */
#include <carta/survmetrics.h>
#include <carta/alloc.h>

#include "check.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct scase {
    cJSON *ref;
    const cJSON *e;
    size_t n, k;
    double *time, *risk, *times, *surv, tau;
    int *status;
} scase;

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    cr_assert(v != NULL, "reference lacks %s", k);
    return v->valuedouble;
}

static scase load(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "tests/reference/survmetrics/%s.json", name);
    scase c;
    memset(&c, 0, sizeof c);
    c.ref = ref_load(path);
    c.e = cJSON_GetObjectItem(c.ref, "expected");
    size_t m;
    double *st = ref_doubles(c.ref, "status", &m);
    c.time = ref_doubles(c.ref, "time", &c.n);
    c.risk = ref_doubles(c.ref, "risk", &m);
    c.times = ref_doubles(c.ref, "times", &c.k);
    c.surv = ref_doubles(c.ref, "surv", &m);
    cr_assert_eq(m, c.n * c.k);
    c.tau = num(c.ref, "tau");
    c.status = malloc(c.n * sizeof *c.status);
    for (size_t i = 0; i < c.n; i++) c.status[i] = (int)st[i];
    free(st);
    return c;
}

static void drop(scase *c)
{
    free(c->time), free(c->risk), free(c->times), free(c->surv), free(c->status);
    cJSON_Delete(c->ref);
}

static const char *const cases[] = { "S1", "S2", "S3", "random" };

Test(survmetrics, censoring_distribution_matches_prodlim_reverse)
{
    for (size_t q = 0; q < 4; q++) {
        scase c = load(cases[q]);
        carta_censoring *g = NULL;
        carta_error err;
        carta_error_clear(&err);
        cr_assert_eq(carta_censoring_fit(c.n, c.time, c.status, &g, &err), CARTA_OK, "%s", err.msg);
        size_t m;
        double *ut = ref_doubles(c.e, "g_times", &m), *at = ref_doubles(c.e, "g_at", &m), *bf = ref_doubles(c.e, "g_before", &m);
        double tol = ref_tol(c.ref, "g");
        cr_expect_eq(g->m, m);
        for (size_t j = 0; j < m; j++) {
            cr_expect(check_rel(carta_censoring_at(g, ut[j]), at[j], tol, "%s G(%g)", cases[q], ut[j]));
            cr_expect(check_rel(carta_censoring_before(g, ut[j]), bf[j], tol, "%s G(%g-)", cases[q], ut[j]));
        }
        free(ut), free(at), free(bf);
        carta_censoring_free(g);
        drop(&c);
    }
}

/* metrics.md S1 table, as exact fractions: G(2) = 1 - 1/10, G(4) = 9/10 (1 - 1/7) (the event at
   4 leaves first, so 7 remain), G(5) = 27/35 (1 - 1/6), G(8) = 9/14 (1 - 1/3), G(10) = 0. */
Test(survmetrics, censoring_distribution_hand_worked_s1)
{
    double time[] = { 1, 2, 2, 3, 4, 4, 5, 6, 7, 8, 9, 10 };
    int status[] = { 1, 1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0 };
    carta_censoring *g = NULL;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_censoring_fit(12, time, status, &g, &err), CARTA_OK);
    cr_expect_eq(carta_censoring_at(g, 0.5), 1.0);
    cr_expect(check_rel(carta_censoring_at(g, 1), 1, 1e-15, "G(1)"));
    cr_expect(check_rel(carta_censoring_at(g, 2), 0.9, 1e-15, "G(2)"));
    cr_expect(check_rel(carta_censoring_before(g, 2), 1, 1e-15, "G(2-)"));
    cr_expect(check_rel(carta_censoring_at(g, 4.5), 27.0 / 35, 1e-15, "G(4.5)"));
    cr_expect(check_rel(carta_censoring_at(g, 5), 9.0 / 14, 1e-15, "G(5)"));
    cr_expect(check_rel(carta_censoring_at(g, 8), 3.0 / 7, 1e-15, "G(8)"));
    cr_expect(check_rel(carta_censoring_before(g, 10), 3.0 / 7, 1e-15, "G(10-)"));
    cr_expect_eq(carta_censoring_at(g, 10), 0.0);
    cr_expect_eq(carta_censoring_at(g, 99), 0.0);
    carta_censoring_free(g);
    carta_censoring_free(NULL);
    int bad[] = { 1, 2 };
    cr_expect_eq(carta_censoring_fit(2, time, bad, &g, &err), CARTA_EDATA);
    cr_expect_eq(err.row, 2);
}

Test(survmetrics, uno_c_matches_R_concordance_n_over_G2)
{
    for (size_t q = 0; q < 4; q++) {
        scase c = load(cases[q]);
        carta_censoring *g = NULL;
        carta_error err;
        carta_error_clear(&err);
        cr_assert_eq(carta_censoring_fit(c.n, c.time, c.status, &g, &err), CARTA_OK);
        carta_metric u, ut;
        cr_assert_eq(carta_uno_c(g, c.n, c.time, c.status, c.risk, INFINITY, CARTA_IPCW_R, &u, &err), CARTA_OK, "%s", err.msg);
        cr_assert_eq(carta_uno_c(g, c.n, c.time, c.status, c.risk, c.tau, CARTA_IPCW_R, &ut, &err), CARTA_OK, "%s", err.msg);
        cr_expect(check_rel(u.value, num(c.e, "uno"), ref_tol(c.ref, "uno"), "%s Uno C", cases[q]));
        cr_expect(check_rel(ut.value, num(c.e, "uno_tau"), ref_tol(c.ref, "uno"), "%s Uno C tau", cases[q]));
        cr_expect(isnan(u.lower) && isnan(u.upper) && isnan(u.se));
        carta_censoring_free(g);
        drop(&c);
    }
}

/* metrics.md section 7 anchors, both conventions (sksurv's numbers from its formulas). */
Test(survmetrics, uno_c_anchors_both_conventions)
{
    scase s1 = load("S1"), s3 = load("S3");
    carta_censoring *g1 = NULL, *g3 = NULL;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_censoring_fit(s1.n, s1.time, s1.status, &g1, &err), CARTA_OK);
    cr_assert_eq(carta_censoring_fit(s3.n, s3.time, s3.status, &g3, &err), CARTA_OK);
    carta_metric u;
    struct { scase *c; carta_censoring *g; double tau; carta_ipcw_convention conv; double want; } a[] = {
        { &s1, g1, INFINITY, CARTA_IPCW_R, 0.8789389708815318 },
        { &s1, g1, INFINITY, CARTA_IPCW_SKSURV, 0.8770947445582457 },
        { &s1, g1, 8, CARTA_IPCW_R, 0.9154821780013122 },
        { &s1, g1, 8, CARTA_IPCW_SKSURV, 0.9102498781622436 },
        { &s3, g3, INFINITY, CARTA_IPCW_R, 0.7395439407296971 },
        { &s3, g3, INFINITY, CARTA_IPCW_SKSURV, 0.739189069156236 },
        { &s3, g3, 50, CARTA_IPCW_R, 0.788379932620977 },
        { &s3, g3, 50, CARTA_IPCW_SKSURV, 0.7867486882093052 },
    };
    for (size_t q = 0; q < sizeof a / sizeof *a; q++) {
        cr_assert_eq(carta_uno_c(a[q].g, a[q].c->n, a[q].c->time, a[q].c->status, a[q].c->risk, a[q].tau, a[q].conv, &u, &err), CARTA_OK);
        cr_expect(fabs(u.value - a[q].want) <= 1e-12, "anchor %zu: %.17g vs %.17g", q, u.value, a[q].want);
    }
    carta_censoring_free(g1), carta_censoring_free(g3);
    drop(&s1), drop(&s3);
}

/* The Fenwick sweep against the O(n^2) definition, with G fitted on a separate training set,
   ties in time and risk, both conventions; and invariance to a monotone transform of risk. */
Test(survmetrics, uno_c_equals_pairwise_definition)
{
    enum { N = 90, NT = 60 };
    double time[N], risk[N], risk2[N], ttr[NT];
    int st[N], sttr[NT];
    unsigned s = 12345;
    for (size_t i = 0; i < N; i++) {
        s = s * 1103515245u + 12345u;
        time[i] = 1 + (s >> 16) % 25;
        s = s * 1103515245u + 12345u;
        st[i] = (s >> 16) % 3 != 0;
        s = s * 1103515245u + 12345u;
        risk[i] = (double)((s >> 16) % 15);
        risk2[i] = exp(risk[i] / 3);
    }
    for (size_t i = 0; i < NT; i++) {
        s = s * 1103515245u + 12345u;
        ttr[i] = 1 + (s >> 16) % 30;
        s = s * 1103515245u + 12345u;
        sttr[i] = (s >> 16) % 2;
    }
    carta_censoring *g = NULL;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_censoring_fit(NT, ttr, sttr, &g, &err), CARTA_OK);
    for (int conv = 0; conv < 2; conv++) {
        double tau = 20, num_ = 0, den = 0;
        for (size_t i = 0; i < N; i++) {
            if (!st[i] || (conv ? !(time[i] < tau) : !(time[i] <= tau))) continue;
            double gi = conv ? carta_censoring_at(g, time[i]) : carta_censoring_before(g, time[i]);
            if (!(gi > 0)) continue;
            for (size_t j = 0; j < N; j++) {
                if (!(time[j] > time[i] || (time[j] == time[i] && !st[j]))) continue;
                num_ += (risk[i] > risk[j] ? 1 : risk[i] == risk[j] ? 0.5 : 0) / (gi * gi);
                den += 1 / (gi * gi);
            }
        }
        carta_metric u, u2;
        int rc = carta_uno_c(g, N, time, st, risk, tau, (carta_ipcw_convention)conv, &u, &err);
        if (rc == CARTA_ENUMERIC) continue; /* G hit 0 within tau: the pairwise loop above skipped it */
        cr_assert_eq(rc, CARTA_OK, "%s", err.msg);
        cr_expect(check_rel(u.value, num_ / den, 1e-13, "pairwise conv %d", conv));
        cr_assert_eq(carta_uno_c(g, N, time, st, risk2, tau, (carta_ipcw_convention)conv, &u2, &err), CARTA_OK);
        cr_expect(check_rel(u2.value, u.value, 1e-15, "monotone invariance"));
    }
    carta_censoring_free(g);
}

Test(survmetrics, uno_c_zero_censoring_weight_is_an_error)
{
    /* The last censoring at 3 makes G(3) = 0; the event at 5 (comparable with the subject
       censored at 6) then needs 1/G(5-) = 1/0. */
    double time[] = { 1, 2, 3, 5, 6 }, risk[] = { 5, 4, 3, 2, 1 };
    int status[] = { 1, 1, 0, 1, 0 };
    double ttr[] = { 1, 3 };
    int sttr[] = { 1, 0 };
    carta_censoring *g = NULL;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_censoring_fit(2, ttr, sttr, &g, &err), CARTA_OK);
    carta_metric u;
    cr_expect_eq(carta_uno_c(g, 5, time, status, risk, INFINITY, CARTA_IPCW_R, &u, &err), CARTA_ENUMERIC);
    cr_expect(strstr(err.msg, "censoring survival function is zero") != NULL, "%s", err.msg);
    carta_error_clear(&err);
    /* Truncated before 5 it is fine: the 4 + 3 pairs of the events at 1 and 2 are concordant. */
    cr_expect_eq(carta_uno_c(g, 5, time, status, risk, 4, CARTA_IPCW_R, &u, &err), CARTA_OK);
    cr_expect_eq(u.value, 1.0);
    carta_censoring_free(g);
}

Test(survmetrics, td_auc_matches_riskRegression_Score)
{
    for (size_t q = 0; q < 4; q++) {
        scase c = load(cases[q]);
        carta_censoring *g = NULL;
        carta_error err;
        carta_error_clear(&err);
        cr_assert_eq(carta_censoring_fit(c.n, c.time, c.status, &g, &err), CARTA_OK);
        size_t m;
        double *ac = ref_doubles(c.e, "auc_const", &m), *am = ref_doubles(c.e, "auc_model", &m);
        double *r1 = malloc(c.n * c.k * sizeof *r1);
        for (size_t i = 0; i < c.n * c.k; i++) r1[i] = 1 - c.surv[i];
        carta_metric *a = malloc(c.k * sizeof *a);
        double tol = ref_tol(c.ref, "auc");
        cr_assert_eq(carta_td_auc(g, c.n, c.time, c.status, c.risk, 1, c.k, c.times, CARTA_IPCW_R, a, NULL, &err), CARTA_OK, "%s", err.msg);
        for (size_t j = 0; j < c.k; j++) cr_expect(check_rel(a[j].value, ac[j], tol, "%s AUC(%g) score", cases[q], c.times[j]));
        cr_assert_eq(carta_td_auc(g, c.n, c.time, c.status, r1, c.k, c.k, c.times, CARTA_IPCW_R, a, NULL, &err), CARTA_OK, "%s", err.msg);
        for (size_t j = 0; j < c.k; j++) cr_expect(check_rel(a[j].value, am[j], tol, "%s AUC(%g) 1-S", cases[q], c.times[j]));
        free(ac), free(am), free(r1), free(a);
        carta_censoring_free(g);
        drop(&c);
    }
}

Test(survmetrics, td_auc_anchors_and_mean_auc)
{
    struct { const char *name; carta_ipcw_convention conv; double auc[4]; double mean; } a[] = {
        { "S1", CARTA_IPCW_R, { 1.0, 0.9780701754385964, 0.9326923076923078, 1.0 }, 0.9790772093403671 },
        { "S1", CARTA_IPCW_SKSURV, { 1.0, 0.9760928961748634, 0.9359756097560975, 1.0 }, 0.9791744918194341 },
        { "S2", CARTA_IPCW_R, { 0.8923076923076924, 1.0, 0.6818181818181819 }, 0.8510330578512397 },
        { "S3", CARTA_IPCW_R, { 0.8471313248232276, 0.8587419513340527, 0.846550891420381 }, 0.8511226211405998 },
        { "S3", CARTA_IPCW_SKSURV, { 0.847078742439649, 0.8587603005383011, 0.8465405241187621 }, 0.851112350148955 },
    };
    for (size_t q = 0; q < sizeof a / sizeof *a; q++) {
        scase c = load(a[q].name);
        carta_censoring *g = NULL;
        carta_error err;
        carta_error_clear(&err);
        cr_assert_eq(carta_censoring_fit(c.n, c.time, c.status, &g, &err), CARTA_OK);
        carta_metric r[4];
        double mean = 0;
        cr_assert_eq(carta_td_auc(g, c.n, c.time, c.status, c.risk, 1, c.k, c.times, a[q].conv, r, &mean, &err), CARTA_OK, "%s", err.msg);
        for (size_t j = 0; j < c.k; j++)
            cr_expect(fabs(r[j].value - a[q].auc[j]) <= 1e-12, "%s conv %d AUC(%g) %.17g", a[q].name, a[q].conv, c.times[j], r[j].value);
        cr_expect(fabs(mean - a[q].mean) <= 1e-12, "%s mean AUC %.17g vs %.17g", a[q].name, mean, a[q].mean);
        carta_censoring_free(g);
        drop(&c);
    }
}

Test(survmetrics, td_auc_needs_cases_and_controls)
{
    double time[] = { 1, 2, 3 }, risk[] = { 3, 2, 1 }, t0[] = { 0.5 }, t9[] = { 9 };
    int status[] = { 1, 1, 0 };
    carta_censoring *g = NULL;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_censoring_fit(3, time, status, &g, &err), CARTA_OK);
    carta_metric a;
    cr_expect_eq(carta_td_auc(g, 3, time, status, risk, 1, 1, t0, CARTA_IPCW_R, &a, NULL, &err), CARTA_ENUMERIC);
    carta_error_clear(&err);
    cr_expect_eq(carta_td_auc(g, 3, time, status, risk, 1, 1, t9, CARTA_IPCW_R, &a, NULL, &err), CARTA_ENUMERIC);
    carta_error_clear(&err);
    cr_expect_eq(carta_td_auc(g, 3, time, status, risk, 2, 1, t9, CARTA_IPCW_R, &a, NULL, &err), CARTA_EDATA);
    carta_censoring_free(g);
}

Test(survmetrics, brier_matches_riskRegression_and_pec)
{
    for (size_t q = 0; q < 4; q++) {
        scase c = load(cases[q]);
        carta_censoring *g = NULL;
        carta_error err;
        carta_error_clear(&err);
        cr_assert_eq(carta_censoring_fit(c.n, c.time, c.status, &g, &err), CARTA_OK);
        size_t m;
        double *want = ref_doubles(c.e, "brier", &m);
        carta_metric *bs = malloc(c.k * sizeof *bs);
        cr_assert_eq(carta_brier_ipcw(g, c.n, c.time, c.status, c.surv, c.k, c.times, CARTA_IPCW_R, bs, &err), CARTA_OK, "%s", err.msg);
        double tol = ref_tol(c.ref, "brier");
        for (size_t j = 0; j < c.k; j++) cr_expect(check_rel(bs[j].value, want[j], tol, "%s BS(%g)", cases[q], c.times[j]));
        /* pec: BS on the grid {0, times} (S = 1 at 0), then crps up to the last time. */
        double *grid = malloc((c.k + 1) * sizeof *grid), *b = malloc((c.k + 1) * sizeof *b), ibs;
        double *s2 = malloc(c.n * (c.k + 1) * sizeof *s2), *wp = ref_doubles(c.e, "brier_pec", &m);
        carta_metric *bs2 = malloc((c.k + 1) * sizeof *bs2);
        grid[0] = 0;
        for (size_t i = 0; i < c.n; i++) s2[i] = 1;
        memcpy(s2 + c.n, c.surv, c.n * c.k * sizeof *s2);
        memcpy(grid + 1, c.times, c.k * sizeof *grid);
        cr_assert_eq(carta_brier_ipcw(g, c.n, c.time, c.status, s2, c.k + 1, grid, CARTA_IPCW_R, bs2, &err), CARTA_OK);
        for (size_t j = 0; j <= c.k; j++) {
            b[j] = bs2[j].value;
            cr_expect(check_rel(b[j], wp[j], tol, "%s pec BS(%g)", cases[q], grid[j]));
        }
        cr_assert_eq(carta_ibs_step(c.k + 1, grid, b, c.times[c.k - 1], &ibs, &err), CARTA_OK);
        cr_expect(check_rel(ibs, num(c.e, "ibs_pec"), ref_tol(c.ref, "ibs"), "%s pec crps", cases[q]));
        free(s2), free(wp), free(bs2);
        free(want), free(bs), free(grid), free(b);
        carta_censoring_free(g);
        drop(&c);
    }
}

Test(survmetrics, brier_and_ibs_anchors)
{
    struct { const char *name; carta_ipcw_convention conv; double bs[4]; double ibs; } a[] = {
        { "S1", CARTA_IPCW_R, { 0.10063224953703703, 0.16814672370370373, 0.21431088018518518, 0.24089391694444448 }, 0.18440689570987656 },
        { "S1", CARTA_IPCW_SKSURV, { 0.1062945087962963, 0.1819527274074074, 0.22489625682098766, 0.2491220468209877 }, 0.19485242067901234 },
        { "S2", CARTA_IPCW_R, { 0.1597533332759759, 0.1528376274601872, 0.21131672885474154 }, 0.16918632926277297 },
        { "S3", CARTA_IPCW_R, { 0.14301109005042428, 0.20893455336794162, 0.14707174857703825 }, 0.17698798634083643 },
        { "S3", CARTA_IPCW_SKSURV, { 0.14303400150927578, 0.20894864838131974, 0.14709213833637858 }, 0.17700585915207345 },
    };
    for (size_t q = 0; q < sizeof a / sizeof *a; q++) {
        scase c = load(a[q].name);
        carta_censoring *g = NULL;
        carta_error err;
        carta_error_clear(&err);
        cr_assert_eq(carta_censoring_fit(c.n, c.time, c.status, &g, &err), CARTA_OK);
        carta_metric bs[4];
        double v[4], ibs;
        cr_assert_eq(carta_brier_ipcw(g, c.n, c.time, c.status, c.surv, c.k, c.times, a[q].conv, bs, &err), CARTA_OK);
        for (size_t j = 0; j < c.k; j++) {
            v[j] = bs[j].value;
            cr_expect(fabs(v[j] - a[q].bs[j]) <= 1e-12, "%s conv %d BS(%g) %.17g", a[q].name, a[q].conv, c.times[j], v[j]);
        }
        cr_assert_eq(carta_ibs_trapezoid(c.k, c.times, v, &ibs, &err), CARTA_OK);
        cr_expect(fabs(ibs - a[q].ibs) <= 1e-12, "%s IBS %.17g", a[q].name, ibs);
        carta_censoring_free(g);
        drop(&c);
    }
    /* pec crps anchor of S1: grid {0, 2, 4, 6, 8}. */
    double grid[] = { 0, 2, 4, 6, 8 }, b[] = { 0, 0.10063224953703703, 0.16814672370370373, 0.21431088018518518, 0.24089391694444448 }, ibs;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_ibs_step(5, grid, b, 8, &ibs, &err), CARTA_OK);
    cr_expect(fabs(ibs - 0.120772463356481) <= 1e-14, "%.17g", ibs);
    double bad[] = { 2, 2 };
    cr_expect_eq(carta_ibs_trapezoid(2, bad, b, &ibs, &err), CARTA_EDATA);
}

Test(survmetrics, calibration_at_horizon_matches_survfit)
{
    for (size_t q = 0; q < 4; q++) {
        scase c = load(cases[q]);
        size_t G = (size_t)num(c.e, "calib_groups"), m;
        double h = num(c.e, "calib_horizon");
        const double *s = c.surv + c.n; /* the second time's column */
        cr_assert_eq(h, c.times[1]);
        carta_calib_group *out = malloc(G * sizeof *out);
        carta_error err;
        carta_error_clear(&err);
        cr_assert_eq(carta_surv_calibration(c.n, c.time, c.status, s, h, G, 0.95, out, &err), CARTA_OK, "%s", err.msg);
        double *wn = ref_doubles(c.e, "calib_n", &m), *we = ref_doubles(c.e, "calib_events", &m),
               *wp = ref_doubles(c.e, "calib_predicted", &m), *wo = ref_doubles(c.e, "calib_observed", &m),
               *ws = ref_doubles(c.e, "calib_se", &m), *wl = ref_doubles(c.e, "calib_lower", &m),
               *wu = ref_doubles(c.e, "calib_upper", &m);
        double tol = ref_tol(c.ref, "calib"), tse = ref_tol(c.ref, "calib_se");
        for (size_t gi = 0; gi < G; gi++) {
            cr_expect_eq((double)out[gi].n, wn[gi]);
            cr_expect_eq((double)out[gi].events, we[gi]);
            cr_expect(check_rel(out[gi].predicted, wp[gi], tol, "%s group %zu predicted", cases[q], gi));
            cr_expect(check_rel(out[gi].observed, wo[gi], tol, "%s group %zu observed", cases[q], gi));
            cr_expect(check_rel(out[gi].se, ws[gi], tse, "%s group %zu se", cases[q], gi));
            cr_expect(check_rel(out[gi].lower, wl[gi], tse, "%s group %zu lower", cases[q], gi));
            cr_expect(check_rel(out[gi].upper, wu[gi], tse, "%s group %zu upper", cases[q], gi));
        }
        free(wn), free(we), free(wp), free(wo), free(ws), free(wl), free(wu), free(out);
        drop(&c);
    }
}

static void load_binary(const char *name, cJSON **ref, double **y, double **p, size_t *n)
{
    char path[256];
    snprintf(path, sizeof path, "tests/reference/survmetrics/%s.json", name);
    *ref = ref_load(path);
    size_t m;
    *y = ref_doubles(*ref, "y", n);
    *p = ref_doubles(*ref, "p", &m);
    cr_assert_eq(m, *n);
}

Test(survmetrics, lowess_ici_and_net_benefit_match_R)
{
    const char *names[] = { "B1", "binary_random" };
    for (size_t q = 0; q < 2; q++) {
        cJSON *ref;
        double *y, *p;
        size_t n, m, k;
        load_binary(names[q], &ref, &y, &p, &n);
        const cJSON *e = cJSON_GetObjectItem(ref, "expected");
        double *want = ref_doubles(e, "lowess", &m), *want0 = ref_doubles(e, "lowess_iter0", &m);
        double *fit = malloc(n * sizeof *fit);
        carta_error err;
        carta_error_clear(&err);
        cr_assert_eq(carta_lowess(n, p, y, 2.0 / 3, 3, fit, &err), CARTA_OK, "%s", err.msg);
        cr_expect_eq(check_vec(fit, want, n, ref_tol(ref, "lowess"), names[q]), 0);
        cr_assert_eq(carta_lowess(n, p, y, 2.0 / 3, 0, fit, &err), CARTA_OK);
        cr_expect_eq(check_vec(fit, want0, n, ref_tol(ref, "lowess"), "lowess iter 0"), 0);
        double ici, e50, e90, emax, ici0;
        cr_assert_eq(carta_ici(n, y, p, 2.0 / 3, 3, &ici, &e50, &e90, &emax, &err), CARTA_OK);
        double tol = ref_tol(ref, "ici");
        cr_expect(check_rel(ici, num(e, "ici"), tol, "%s ICI", names[q]));
        cr_expect(check_rel(e50, num(e, "e50"), tol, "%s E50", names[q]));
        cr_expect(check_rel(e90, num(e, "e90"), tol, "%s E90", names[q]));
        cr_expect(check_rel(emax, num(e, "emax"), tol, "%s Emax", names[q]));
        cr_assert_eq(carta_ici(n, y, p, 2.0 / 3, 0, &ici0, NULL, NULL, NULL, &err), CARTA_OK);
        cr_expect(check_rel(ici0, num(e, "valprob_eavg"), ref_tol(ref, "valprob"), "%s rms::val.prob Eavg", names[q]));
        double *th = ref_doubles(ref, "thresholds", &k), *wnb = ref_doubles(e, "net_benefit", &m), *wta = ref_doubles(e, "treat_all", &m);
        double *nb = malloc(k * sizeof *nb), *ta = malloc(k * sizeof *ta);
        cr_assert_eq(carta_net_benefit(n, y, p, k, th, nb, ta, &err), CARTA_OK);
        cr_expect_eq(check_vec(nb, wnb, k, ref_tol(ref, "nb"), "net benefit"), 0);
        cr_expect_eq(check_vec(ta, wta, k, ref_tol(ref, "nb"), "treat all"), 0);
        free(want), free(want0), free(fit), free(th), free(wnb), free(wta), free(nb), free(ta), free(y), free(p);
        cJSON_Delete(ref);
    }
}

/* B1 by hand: at pt = 1/2 the treated are p in {0.8, 0.9, 0.65}, all events: NB = 3/10. At
   pt = 0.4 add the three 0.40 (one event): TP 4, FP 2, NB = 4/10 - 2/10 * 2/3 = 4/15. Treat all:
   1/2 - 1/2 * 1 = 0 at 1/2. */
Test(survmetrics, net_benefit_hand_worked)
{
    double y[] = { 0, 0, 1, 1, 0, 1, 0, 1, 1, 0 }, p[] = { 0.10, 0.40, 0.35, 0.80, 0.40, 0.90, 0.20, 0.40, 0.65, 0.05 };
    double th[] = { 0.5, 0.4 }, nb[2], ta[2];
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_net_benefit(10, y, p, 2, th, nb, ta, &err), CARTA_OK);
    cr_expect(check_rel(nb[0], 0.3, 1e-15, "NB(0.5)"));
    cr_expect(check_rel(nb[1], 4.0 / 15, 1e-15, "NB(0.4)"));
    cr_expect(fabs(ta[0]) <= 1e-16);
    double one[] = { 1.0 };
    cr_expect_eq(carta_net_benefit(10, y, p, 1, one, nb, ta, &err), CARTA_EDATA);
}

/* lowess reproduces a straight line exactly (the local linear fit is exact, residuals 0). */
Test(survmetrics, lowess_reproduces_a_line)
{
    double x[40], y[40], f[40];
    for (size_t i = 0; i < 40; i++) {
        x[i] = (double)((i * 17) % 40);
        y[i] = 2 - 0.25 * x[i];
    }
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_lowess(40, x, y, 2.0 / 3, 3, f, &err), CARTA_OK);
    for (size_t i = 0; i < 40; i++) cr_expect(fabs(f[i] - y[i]) <= 1e-12, "%zu: %g vs %g", i, f[i], y[i]);
}

/* Every allocation failure is reported as CARTA_ENOMEM and leaks nothing (sanitizer build). */
Test(survmetrics, allocation_failures_are_clean)
{
    scase c = load("S1");
    carta_error err;
    for (long k = 1; k < 12; k++) {
        carta_censoring *g = NULL;
        carta_metric m[4];
        carta_calib_group cg[2];
        double mean, fit[12];
        double yy[12], pp[12];
        for (size_t i = 0; i < 12; i++) yy[i] = c.status[i], pp[i] = c.risk[i];
        carta_error_clear(&err);
        carta_alloc_fail_at(k);
        int rc = carta_censoring_fit(c.n, c.time, c.status, &g, &err);
        carta_alloc_fail_at(0);
        if (rc) {
            cr_expect_eq(rc, CARTA_ENOMEM);
            cr_expect_null(g);
            continue;
        }
        int r[5];
        carta_alloc_fail_at(k);
        r[0] = carta_uno_c(g, c.n, c.time, c.status, c.risk, INFINITY, CARTA_IPCW_R, m, &err);
        carta_alloc_fail_at(k);
        r[1] = carta_td_auc(g, c.n, c.time, c.status, c.risk, 1, c.k, c.times, CARTA_IPCW_R, m, &mean, &err);
        carta_alloc_fail_at(k);
        r[2] = carta_surv_calibration(c.n, c.time, c.status, c.surv, 4, 2, 0.95, cg, &err);
        carta_alloc_fail_at(k);
        r[3] = carta_lowess(12, pp, yy, 2.0 / 3, 3, fit, &err);
        carta_alloc_fail_at(k);
        r[4] = carta_ici(12, yy, pp, 2.0 / 3, 3, &mean, NULL, NULL, NULL, &err);
        carta_alloc_fail_at(0);
        for (int q = 0; q < 5; q++) cr_expect(r[q] == CARTA_OK || r[q] == CARTA_ENOMEM, "call %d: %d", q, r[q]);
        carta_censoring_free(g);
    }
    drop(&c);
}

Test(survmetrics, bad_inputs_are_named)
{
    double time[] = { 1, 2, 3 }, surv[] = { 0.9, 1.2, 0.5 }, ok[] = { 0.9, 0.8, 0.5 }, t2[] = { 2 };
    int status[] = { 1, 0, 1 };
    carta_censoring *g = NULL;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_censoring_fit(3, time, status, &g, &err), CARTA_OK);
    carta_metric bs;
    cr_expect_eq(carta_brier_ipcw(g, 3, time, status, surv, 1, t2, CARTA_IPCW_R, &bs, &err), CARTA_EDATA);
    cr_expect_eq(err.row, 2, "row %ld", err.row);
    carta_calib_group cg[4];
    carta_error_clear(&err);
    cr_expect_eq(carta_surv_calibration(3, time, status, ok, 2, 0, 0.95, cg, &err), CARTA_EDATA);
    carta_error_clear(&err);
    cr_expect_eq(carta_surv_calibration(3, time, status, ok, 2, 4, 0.95, cg, &err), CARTA_EDATA);
    carta_error_clear(&err);
    double risk[] = { 1, NAN, 0 };
    carta_metric u;
    cr_expect_eq(carta_uno_c(g, 3, time, status, risk, INFINITY, CARTA_IPCW_R, &u, &err), CARTA_EDATA);
    cr_expect_eq(err.row, 2);
    double one = 0.5, fit;
    carta_error_clear(&err);
    cr_expect_eq(carta_lowess(1, &one, &one, 2.0 / 3, 3, &fit, &err), CARTA_OK);
    cr_expect_eq(fit, 0.5);
    cr_expect_eq(carta_lowess(1, &one, &one, 0, 3, &fit, &err), CARTA_EDATA);
    carta_censoring_free(g);
}
