/* Survival curves of boosted survival models (src/fit/survpred.c, src/run/gbm_baseline.c,
   src/run/predict.c):
   - the baseline cumulative hazard from fixed margins against R survival
     (tests/reference/gbm_baseline/, coxph(Surv(t, d) ~ offset(m)) + survfit), hand-worked exact
     fractions, the shift identity H0[m + c] = exp(-c) H0[m], the CSV round trip, bad input and
     allocation failures;
   - the AFT survival function against R's pnorm/plogis/exp(-exp(z)) and by hand;
   - `carta run` + `carta predict` on a small simulated cohort with xgboost survival:cox and
     survival:aft models: the prediction column equals predictions.csv's full-data prediction;
     the saved baseline equals the estimator applied to the training outcome and the margins
     predict writes; S(t) equals exp(-H0(t) exp(lp)) with H0 read here from the CSV, and for AFT
     the extreme-value survival computed here with libm from the margin. */
#define _XOPEN_SOURCE 700
#include <carta/alloc.h>
#include <carta/export.h>
#include <carta/fs.h>
#include <carta/load.h>
#include <carta/run.h>
#include <carta/simulate.h>
#include <carta/survpred.h>

#include "check.h"

#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the estimator ---- */

static void check_case(const char *file)
{
    cJSON *ref = ref_load(file);
    size_t n, k;
    double *time = ref_doubles(ref, "time", &n), *st = ref_doubles(ref, "status", &k), *lp = ref_doubles(ref, "lp", &k);
    int *status = malloc(n * sizeof *status);
    for (size_t i = 0; i < n; i++) status[i] = (int)st[i];
    static const char *const names[] = { "breslow", "efron" };
    for (int t = 0; t < 2; t++) {
        const cJSON *want = cJSON_GetObjectItem(ref, names[t]);
        size_t m;
        double *wt = ref_doubles(want, "time", &m), *wr = ref_doubles(want, "n_risk", &m),
               *we = ref_doubles(want, "n_event", &m), *wh = ref_doubles(want, "cumhaz", &m);
        carta_survpred_baseline *b = NULL;
        carta_error err = { 0 };
        cr_assert_eq(carta_survpred_breslow(time, status, lp, n, t ? CARTA_SURVPRED_EFRON : CARTA_SURVPRED_BRESLOW, &b,
                                            &err),
                     CARTA_OK, "%s", err.msg);
        cr_assert_eq(b->n, m, "%s %s: %zu times, R %zu", file, names[t], b->n, m);
        char what[200];
        snprintf(what, sizeof what, "%s %s time", file, names[t]);
        cr_expect_eq(check_vec(b->time, wt, m, ref_tol(ref, "count"), what), 0);
        snprintf(what, sizeof what, "%s %s n_risk", file, names[t]);
        cr_expect_eq(check_vec(b->n_risk, wr, m, ref_tol(ref, "count"), what), 0);
        snprintf(what, sizeof what, "%s %s n_event", file, names[t]);
        cr_expect_eq(check_vec(b->n_event, we, m, ref_tol(ref, "count"), what), 0);
        snprintf(what, sizeof what, "%s %s cumhaz", file, names[t]);
        cr_expect_eq(check_vec(b->cumhaz, wh, m, ref_tol(ref, "cumhaz"), what), 0);
        carta_survpred_baseline_free(b);
        free(wt); free(wr); free(we); free(wh);
    }
    free(time); free(st); free(lp); free(status);
    cJSON_Delete(ref);
}

Test(survpred, r_hand_ties) { check_case("tests/reference/gbm_baseline/hand_ties.json"); }
Test(survpred, r_lung_margins) { check_case("tests/reference/gbm_baseline/lung_margins.json"); }

/* Exact fractions: lp = 0, log 3, 0 at tied time 1 (two events, weights 1 and 3) and a
   censoring at 2 with weight 1, then an event at 3 (weight 1).
   Breslow: dH(1) = 2 / 6 ... risk at 1 = 1 + 3 + 1 + 1 = 6 (4 rows), at 3 = 1.
   Efron at 1: D = 4, 1 / 6 + 1 / (6 - 2) = 5 / 12. */
Test(survpred, hand_fractions)
{
    const double time[] = { 1, 1, 2, 3 }, lp[] = { 0, log(3.0), 0, 0 };
    const int status[] = { 1, 1, 0, 1 };
    carta_survpred_baseline *b = NULL, *e = NULL;
    carta_error err = { 0 };
    cr_assert_eq(carta_survpred_breslow(time, status, lp, 4, CARTA_SURVPRED_BRESLOW, &b, &err), CARTA_OK);
    cr_assert_eq(carta_survpred_breslow(time, status, lp, 4, CARTA_SURVPRED_EFRON, &e, &err), CARTA_OK);
    cr_assert_eq(b->n, 3);
    const double nr[] = { 4, 2, 1 }, ne[] = { 2, 0, 1 };
    const double hb[] = { 2.0 / 6, 2.0 / 6, 2.0 / 6 + 1 }, he[] = { 5.0 / 12, 5.0 / 12, 5.0 / 12 + 1 };
    for (size_t k = 0; k < 3; k++) {
        cr_expect_eq(b->n_risk[k], nr[k]);
        cr_expect_eq(b->n_event[k], ne[k]);
        cr_expect(check_rel(b->cumhaz[k], hb[k], 1e-15, "breslow %zu", k));
        cr_expect(check_rel(e->cumhaz[k], he[k], 1e-15, "efron %zu", k));
    }
    /* The step function: 0 before the first time, right-continuous, flat after the last. */
    cr_expect_eq(carta_survpred_cumhaz_at(b, 0.999), 0.0);
    cr_expect_eq(carta_survpred_cumhaz_at(b, 1), b->cumhaz[0]);
    cr_expect_eq(carta_survpred_cumhaz_at(b, 2.5), b->cumhaz[1]);
    cr_expect_eq(carta_survpred_cumhaz_at(b, 3), b->cumhaz[2]);
    cr_expect_eq(carta_survpred_cumhaz_at(b, 1e9), b->cumhaz[2]);
    cr_expect(isnan(carta_survpred_cumhaz_at(b, NAN)));
    carta_survpred_baseline_free(b);
    carta_survpred_baseline_free(e);
}

/* H0 estimated with margins m + c equals exp(-c) times that with m (the margin's constant, such
   as xgboost's base_score, cancels in S(t)); large margins do not overflow. */
Test(survpred, shift_identity)
{
    cJSON *ref = ref_load("tests/reference/gbm_baseline/lung_margins.json");
    size_t n, k;
    double *time = ref_doubles(ref, "time", &n), *st = ref_doubles(ref, "status", &k), *lp = ref_doubles(ref, "lp", &k);
    int *status = malloc(n * sizeof *status);
    double *lp2 = malloc(n * sizeof *lp2);
    for (size_t i = 0; i < n; i++) status[i] = (int)st[i];
    const double shifts[] = { 50, -50, 600 };
    for (int s = 0; s < 3; s++) {
        for (size_t i = 0; i < n; i++) lp2[i] = lp[i] + shifts[s];
        carta_survpred_baseline *a = NULL, *b = NULL;
        carta_error err = { 0 };
        cr_assert_eq(carta_survpred_breslow(time, status, lp, n, CARTA_SURVPRED_EFRON, &a, &err), CARTA_OK);
        cr_assert_eq(carta_survpred_breslow(time, status, lp2, n, CARTA_SURVPRED_EFRON, &b, &err), CARTA_OK);
        cr_assert_eq(a->n, b->n);
        for (size_t j = 0; j < a->n; j++) {
            cr_assert(isfinite(b->cumhaz[j]) && b->cumhaz[j] >= 0, "shift %g: %g at %zu", shifts[s], b->cumhaz[j], j);
            cr_expect(check_rel(b->cumhaz[j] * exp(shifts[s]), a->cumhaz[j], 1e-12, "shift %g, %zu", shifts[s], j));
        }
        carta_survpred_baseline_free(a);
        carta_survpred_baseline_free(b);
    }
    free(time); free(st); free(lp); free(status); free(lp2);
    cJSON_Delete(ref);
}

Test(survpred, csv_round_trip_and_errors)
{
    cJSON *ref = ref_load("tests/reference/gbm_baseline/lung_margins.json");
    size_t n, k;
    double *time = ref_doubles(ref, "time", &n), *st = ref_doubles(ref, "status", &k), *lp = ref_doubles(ref, "lp", &k);
    int *status = malloc(n * sizeof *status);
    for (size_t i = 0; i < n; i++) status[i] = (int)st[i];
    carta_survpred_baseline *b = NULL, *r = NULL;
    carta_error err = { 0 };
    cr_assert_eq(carta_survpred_breslow(time, status, lp, n, CARTA_SURVPRED_BRESLOW, &b, &err), CARTA_OK);
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    cr_assert_eq(carta_survpred_write_csv(b, mem, &err), CARTA_OK);
    fclose(mem);
    cr_assert(!strncmp(text, "time,n_risk,n_event,cumhaz\n", 27));
    cr_assert_eq(carta_survpred_read_csv(text, len, "b.csv", &r, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(r->n, b->n);
    for (size_t j = 0; j < b->n; j++) {
        cr_assert_eq(r->time[j], b->time[j]);
        cr_assert_eq(r->cumhaz[j], b->cumhaz[j], "cumhaz %zu does not round-trip", j);
        cr_assert_eq(r->n_risk[j], b->n_risk[j]);
    }
    carta_survpred_baseline_free(r);
    free(text);
    static const char *const bad[] = { "time,cumhaz\n1,0.5\n", "time,n_risk,n_event,cumhaz\n1,2,1,0.5\n1,1,1,0.7\n",
                                       "time,n_risk,n_event,cumhaz\n1,2,1,0.5\n2,1,1,0.4\n",
                                       "time,n_risk,n_event,cumhaz\n1,2,1\n", "time,n_risk,n_event,cumhaz\n1,2,x,0.5\n",
                                       "time,n_risk,n_event,cumhaz\n" };
    for (size_t j = 0; j < sizeof bad / sizeof bad[0]; j++) {
        carta_error_clear(&err);
        r = NULL;
        cr_expect_eq(carta_survpred_read_csv(bad[j], strlen(bad[j]), "bad.csv", &r, &err), CARTA_EDATA, "case %zu", j);
        cr_expect_null(r);
        cr_expect(strstr(err.msg, "bad.csv") && err.line >= 1, "case %zu: file or line not named: %s", j, err.msg);
    }
    /* Bad rows are named. */
    int s2[] = { 1, 2, 0 };
    double t2[] = { 1, 2, 3 }, l2[] = { 0, 0, 0 };
    carta_error_clear(&err);
    cr_expect_eq(carta_survpred_breslow(t2, s2, l2, 3, CARTA_SURVPRED_BRESLOW, &r, &err), CARTA_EDATA);
    cr_expect_eq(err.row, 2);
    s2[1] = 1;
    l2[2] = NAN;
    carta_error_clear(&err);
    cr_expect_eq(carta_survpred_breslow(t2, s2, l2, 3, CARTA_SURVPRED_BRESLOW, &r, &err), CARTA_EDATA);
    cr_expect_eq(err.row, 3);
    carta_error_clear(&err);
    cr_expect_eq(carta_survpred_breslow(t2, s2, l2, 0, CARTA_SURVPRED_BRESLOW, &r, &err), CARTA_EUSAGE);
    carta_survpred_baseline_free(b);
    free(time); free(st); free(lp); free(status);
    cJSON_Delete(ref);
}

Test(survpred, allocation_failures)
{
    const double time[] = { 3, 1, 2, 2, 5 }, lp[] = { 0.1, -0.2, 0.3, 0, 1 };
    const int status[] = { 1, 1, 0, 1, 0 };
    int ok = 0;
    for (long k = 1; k < 50 && !ok; k++) {
        carta_survpred_baseline *b = NULL;
        carta_error err = { 0 };
        carta_alloc_fail_at(k);
        int rc = carta_survpred_breslow(time, status, lp, 5, CARTA_SURVPRED_EFRON, &b, &err);
        carta_alloc_fail_at(0);
        cr_assert(rc == CARTA_OK || (rc == CARTA_ENOMEM && !b), "allocation %ld: %d", k, rc);
        if (rc == CARTA_OK) {
            ok = 1;
            const char *csv = "time,n_risk,n_event,cumhaz\n1,5,1,0.2\n2,4,1,0.45\n";
            int rok = 0;
            for (long j = 1; j < 50 && !rok; j++) {
                carta_survpred_baseline *r = NULL;
                carta_alloc_fail_at(j);
                int rr = carta_survpred_read_csv(csv, strlen(csv), "x.csv", &r, &err);
                carta_alloc_fail_at(0);
                cr_assert(rr == CARTA_OK || (rr == CARTA_ENOMEM && !r));
                rok = rr == CARTA_OK;
                carta_survpred_baseline_free(r);
            }
            cr_assert(rok);
        }
        carta_survpred_baseline_free(b);
    }
    cr_assert(ok);
}

/* ---- AFT ---- */

Test(survpred, aft_against_r)
{
    cJSON *ref = ref_load("tests/reference/gbm_baseline/aft_survival.json");
    double tol = ref_tol(ref, "surv");
    const cJSON *c;
    size_t checked = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(ref, "cases")) {
        carta_survpred_aft_dist dist;
        carta_error err = { 0 };
        cr_assert_eq(carta_survpred_aft_dist_parse(cJSON_GetObjectItem(c, "distribution")->valuestring, &dist, &err), CARTA_OK);
        double sigma = cJSON_GetObjectItem(c, "sigma")->valuedouble;
        size_t n, k;
        double *m = ref_doubles(c, "margin", &n), *t = ref_doubles(c, "t", &k), *s = ref_doubles(c, "surv", &k);
        for (size_t i = 0; i < n; i++, checked++)
            cr_expect(check_rel(carta_survpred_aft(dist, sigma, m[i], t[i]), s[i], tol, "%s sigma %g margin %g t %g",
                                cJSON_GetObjectItem(c, "distribution")->valuestring, sigma, m[i], t[i]));
        free(m); free(t); free(s);
    }
    cr_assert_geq(checked, 100);
    cJSON_Delete(ref);
}

/* By hand: z = 0 gives 1/2 (normal, logistic) and exp(-1) (extreme); S(0) = 1; bad input NaN. */
Test(survpred, aft_by_hand)
{
    cr_expect(check_rel(carta_survpred_aft(CARTA_SURVPRED_AFT_NORMAL, 2, log(7.0), 7), 0.5, 1e-15, "normal"));
    cr_expect(check_rel(carta_survpred_aft(CARTA_SURVPRED_AFT_LOGISTIC, 0.3, 1, exp(1.0)), 0.5, 1e-15, "logistic"));
    cr_expect(check_rel(carta_survpred_aft(CARTA_SURVPRED_AFT_EXTREME, 1.5, 2, exp(2.0)), exp(-1.0), 1e-15, "extreme"));
    /* logistic z = log 3: S = 1 / (1 + 3) */
    cr_expect(check_rel(carta_survpred_aft(CARTA_SURVPRED_AFT_LOGISTIC, 1, 0, 3), 0.25, 1e-15, "logistic 3"));
    cr_expect_eq(carta_survpred_aft(CARTA_SURVPRED_AFT_EXTREME, 1, 0, 0), 1.0);
    cr_expect(isnan(carta_survpred_aft(CARTA_SURVPRED_AFT_NORMAL, 0, 0, 1)));
    cr_expect(isnan(carta_survpred_aft(CARTA_SURVPRED_AFT_NORMAL, 1, 0, -1)));
    carta_survpred_aft_dist d;
    carta_error err = { 0 };
    cr_expect_eq(carta_survpred_aft_dist_parse("weibull", &d, &err), CARTA_EDATA);
}

/* ---- carta run + carta predict ---- */

static char work[256];

static const char *surv_cfg =
    "{\"name\": \"ps_surv\", \"seed\": 11,\n"
    " \"data\": {\"tables\": {\n"
    "   \"adsl\": {\"path\": \"synth/adsl.csv\", \"schema\": \"%s/data-schemas/adsl.json\"},\n"
    "   \"adtte\": {\"path\": \"synth/adtte.csv\"}}},\n"
    " \"outcome\": {\"type\": \"survival\", \"time\": \"AVAL\", \"event\": \"CNSR == 0\", \"table\": \"adtte\", \"paramcd\": \"OS\"},\n"
    " \"features\": [{\"name\": \"AGE\", \"from\": \"adsl\"}, {\"name\": \"PRODUCT\", \"from\": \"adsl\", \"type\": \"categorical\", \"reference\": \"axi-cel\"}],\n"
    " \"models\": [\n"
    "   {\"name\": \"gbm_cox\", \"type\": \"xgboost\", \"params\": {\"objective\": \"survival:cox\", \"max_depth\": 2}, \"rounds\": 15},\n"
    "   {\"name\": \"gbm_aft\", \"type\": \"xgboost\", \"params\": {\"objective\": \"survival:aft\", \"max_depth\": 2,\n"
    "      \"aft_loss_distribution\": \"extreme\", \"aft_loss_distribution_scale\": 1.5}, \"rounds\": 15}],\n"
    " \"validation\": {\"scheme\": \"kfold\", \"folds\": 3},\n"
    " \"output\": \"run\"}\n";

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void setup(void)
{
    snprintf(work, sizeof work, "/tmp/carta-survpred-XXXXXX");
    cr_assert(mkdtemp(work), "mkdtemp");
    char cwd[512], path[600], cfg[4096];
    cr_assert(getcwd(cwd, sizeof cwd));
    carta_sim_options so = { .trials = 3, .patients = 300, .seed = 23 };
    carta_error err = { 0 };
    snprintf(path, sizeof path, "%s/synth", work);
    cr_assert_eq(carta_simulate(&so, path, &err), CARTA_OK, "%s", err.msg);
    carta_run_opts o = { .quiet = 1, .threads = 1 };
    snprintf(cfg, sizeof cfg, surv_cfg, cwd);
    snprintf(path, sizeof path, "%s/surv.json", work);
    FILE *fp = fopen(path, "w");
    cr_assert(fp);
    fputs(cfg, fp);
    fclose(fp);
    cr_assert_eq(carta_run_command(path, &o, &err), CARTA_OK, "%s", err.msg);
}
#pragma GCC diagnostic pop

static void cleanup(void)
{
    if (work[0]) carta_remove_tree(work);
}

static char *predict(const char *model, const double *times, size_t nt, int want, carta_error *err)
{
    char rp[600], dp[600], op[700];
    snprintf(rp, sizeof rp, "%s/run", work);
    snprintf(dp, sizeof dp, "%s/synth/adsl.csv", work);
    snprintf(op, sizeof op, "%s/pred-%s-%zu.csv", work, model, nt);
    unlink(op);
    int rc = carta_predict_command(rp, dp, model, times, nt, op, 0, NULL, err);
    cr_assert_eq(rc, want, "predict %s: %d %s", model, rc, err->msg);
    return rc ? NULL : read_file_text(op);
}

/* Every scored subject's prediction equals the run's full-data prediction text; returns the
   number compared. */
static size_t same_as_run(const char *out, const char *model)
{
    char pp[600];
    snprintf(pp, sizeof pp, "%s/run/predictions.csv", work);
    char *preds = read_file_text(pp);
    int ku = csv_col_index(out, "USUBJID"), kp = csv_col_index(out, "prediction");
    cr_assert(ku >= 0 && kp >= 0, "header: %.80s", out);
    size_t n = 0;
    for (const char *l = strchr(out, '\n') + 1; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        char u[64], p[64], q[64];
        csv_field(l, ku, u, sizeof u);
        csv_field(l, kp, p, sizeof p);
        const char *r = run_prediction_text(preds, model, u, q, sizeof q);
        if (!r) continue;
        cr_assert_str_eq(p, r, "%s %s: predict %s, run %s", model, u, p, r);
        n++;
    }
    carta_free(preds);
    return n;
}

/* The card's auc_t horizons of a model, as text "time=T" -> T. */
static size_t card_horizons(const char *model, double *h)
{
    char pp[600];
    snprintf(pp, sizeof pp, "%s/run/card.json", work);
    char *card = read_file_text(pp);
    cJSON *c = cJSON_Parse(card);
    size_t n = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItem(cJSON_GetObjectItem(c, "performance"), "metrics")) {
        if (strcmp(cJSON_GetObjectItem(m, "model")->valuestring, model) ||
            strcmp(cJSON_GetObjectItem(m, "name")->valuestring, "auc_t"))
            continue;
        h[n++] = atof(cJSON_GetObjectItem(m, "slice")->valuestring + 5);
    }
    cJSON_Delete(c);
    carta_free(card);
    return n;
}

TestSuite(predictsurv, .init = setup, .fini = cleanup, .timeout = 300);

/* Cox: predictions as in the run; S(t) at the card's horizons = exp(-H0(t) exp(lp)) with H0 read
   from the saved CSV by this test's own parser; and the saved H0 is the estimator applied to the
   training outcome (read from adtte.csv here) and the margins predict writes. */
Test(predictsurv, gbm_cox)
{
    carta_error err = { 0 };
    char *out = predict("gbm_cox", NULL, 0, CARTA_OK, &err);
    cr_assert_geq(same_as_run(out, "gbm_cox"), 250);
    double h[8];
    size_t nh = card_horizons("gbm_cox", h);
    cr_assert_eq(nh, 3, "the card has %zu auc_t horizons", nh);
    int kl = csv_col_index(out, "lp"), ku = csv_col_index(out, "USUBJID"), kp = csv_col_index(out, "prediction");
    cr_assert(kl >= 0);
    char b[64];
    for (size_t k = 0; k < nh; k++) {
        cr_assert(!strncmp(csv_field(out, kl + 1 + (int)k, b, sizeof b), "surv_", 5), "%.100s", out);
        cr_assert_eq(atof(b + 5), h[k], "column %s, card horizon %g", b, h[k]);
    }
    /* The saved baseline, parsed here. */
    char pp[600];
    snprintf(pp, sizeof pp, "%s/run/gbm_cox.baseline.csv", work);
    char *csv = read_file_text(pp);
    cr_assert(!strncmp(csv, "time,n_risk,n_event,cumhaz\n", 27), "%.60s", csv);
    double bt[2000], bh[2000];
    size_t nb = 0;
    for (char *l = strchr(csv, '\n') + 1; l && *l && nb < 2000; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        bt[nb] = atof(csv_field(l, 0, b, sizeof b));
        bh[nb++] = strtod(csv_field(l, 3, b, sizeof b), NULL);
    }
    cr_assert_gt(nb, 10);
    size_t n = 0;
    for (char *l = strchr(out, '\n') + 1; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (!*csv_field(l, kl, b, sizeof b)) continue;
        double lp = strtod(b, NULL);
        /* prediction = exp(margin) in float */
        cr_expect(check_rel(strtod(csv_field(l, kp, b, sizeof b), NULL), exp(lp), 1e-6, "exp(lp)"));
        for (size_t k = 0; k < nh; k++) {
            double H = 0;
            for (size_t j = 0; j < nb && bt[j] <= h[k]; j++) H = bh[j];
            double s = strtod(csv_field(l, kl + 1 + (int)k, b, sizeof b), NULL);
            cr_assert(check_rel(s, exp(-H * exp(lp)), 1e-15, "S(%g) row %.20s", h[k], l));
        }
        n++;
    }
    cr_assert_geq(n, 250);

    /* Training outcome: adtte OS rows of the subjects in the run's predictions. */
    char tp[600];
    snprintf(tp, sizeof tp, "%s/synth/adtte.csv", work);
    carta_table *t = NULL;
    carta_load_spec ls = { .path = tp, .shown = tp };
    cr_assert_eq(carta_load_table(&ls, &t, NULL, &err), CARTA_OK, "%s", err.msg);
    const carta_column *cu = carta_table_find(t, "USUBJID"), *cp = carta_table_find(t, "PARAMCD"),
                       *ca = carta_table_find(t, "AVAL"), *cc = carta_table_find(t, "CNSR");
    cr_assert(cu && cp && ca && cc);
    size_t nr = carta_table_nrows(t), m = 0;
    double *tt = malloc(nr * sizeof *tt), *ll = malloc(nr * sizeof *ll);
    int *dd = malloc(nr * sizeof *dd);
    for (char *l = strchr(out, '\n') + 1; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        char u[64];
        if (!*csv_field(l, kl, b, sizeof b)) continue;
        double lp = strtod(b, NULL);
        csv_field(l, ku, u, sizeof u);
        for (size_t r = 0; r < nr; r++) {
            if (strcmp(carta_column_str(cu, r), u) || strcmp(carta_column_str(cp, r), "OS")) continue;
            tt[m] = carta_column_number(ca, r);
            dd[m] = carta_column_number(cc, r) == 0;
            ll[m++] = lp;
            break;
        }
    }
    cr_assert_geq(m, 250);
    carta_survpred_baseline *ref = NULL;
    cr_assert_eq(carta_survpred_breslow(tt, dd, ll, m, CARTA_SURVPRED_BRESLOW, &ref, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(ref->n, nb, "baseline rows %zu, recomputed %zu", nb, ref->n);
    for (size_t j = 0; j < nb; j++) {
        cr_expect_eq(bt[j], ref->time[j]);
        cr_expect(check_rel(bh[j], ref->cumhaz[j], 1e-12, "cumhaz %zu", j));
    }
    carta_survpred_baseline_free(ref);
    free(tt); free(ll); free(dd);
    carta_table_free(t);
    carta_free(csv);
    carta_free(out);
}

/* AFT (extreme, scale 1.5): predictions as in the run; lp = log(prediction) to float precision;
   S(t) = exp(-exp((log t - lp) / 1.5)) computed here with libm, at the card's horizons and at
   explicit --time values. */
Test(predictsurv, gbm_aft)
{
    carta_error err = { 0 };
    char *out = predict("gbm_aft", NULL, 0, CARTA_OK, &err);
    cr_assert_geq(same_as_run(out, "gbm_aft"), 250);
    double h[8];
    size_t nh = card_horizons("gbm_aft", h);
    cr_assert_eq(nh, 3);
    int kl = csv_col_index(out, "lp"), kp = csv_col_index(out, "prediction");
    cr_assert(kl >= 0);
    char b[64];
    size_t n = 0;
    for (char *l = strchr(out, '\n') + 1; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (!*csv_field(l, kl, b, sizeof b)) continue;
        double lp = strtod(b, NULL);
        cr_expect(check_rel(strtod(csv_field(l, kp, b, sizeof b), NULL), exp(lp), 1e-6, "exp(lp)"));
        for (size_t k = 0; k < nh; k++) {
            double s = strtod(csv_field(l, kl + 1 + (int)k, b, sizeof b), NULL);
            cr_assert(check_rel(s, exp(-exp((log(h[k]) - lp) / 1.5)), 1e-13, "S(%g)", h[k]));
        }
        n++;
    }
    cr_assert_geq(n, 250);
    carta_free(out);
    const double times[] = { 0, 30, 365.25 };
    out = predict("gbm_aft", times, 3, CARTA_OK, &err);
    cr_assert(!strncmp(out, "STUDYID,USUBJID,row,prediction,lp,surv_0,surv_30,surv_365.25,note\n", 66), "%.90s", out);
    char *l = strchr(out, '\n') + 1;
    double lp = strtod(csv_field(l, kl, b, sizeof b), NULL);
    cr_expect_str_eq(csv_field(l, kl + 1, b, sizeof b), "1");
    cr_expect(check_rel(strtod(csv_field(l, kl + 3, b, sizeof b), NULL), exp(-exp((log(365.25) - lp) / 1.5)), 1e-13, "S(365.25)"));
    carta_free(out);
}

/* A run folder without the baseline file (an older run): lp only by default; with --time a named
   error. The AFT model needs no file. */
Test(predictsurv, missing_baseline)
{
    char pp[600];
    snprintf(pp, sizeof pp, "%s/run/gbm_cox.baseline.csv", work);
    cr_assert_eq(unlink(pp), 0);
    carta_error err = { 0 };
    char *out = predict("gbm_cox", NULL, 0, CARTA_OK, &err);
    cr_assert(!strncmp(out, "STUDYID,USUBJID,row,prediction,lp,note\n", 39), "%.80s", out);
    carta_free(out);
    const double times[] = { 30 };
    predict("gbm_cox", times, 1, CARTA_EDATA, &err);
    cr_assert(strstr(err.msg, "gbm_cox.baseline.csv"), "%s", err.msg);
}

Test(predictsurv, allocation_failures)
{
    char rp[600], dp[600];
    snprintf(rp, sizeof rp, "%s/run", work);
    snprintf(dp, sizeof dp, "%s/synth/adsl.csv", work);
    static const char *const models[] = { "gbm_cox", "gbm_aft" };
    for (int m = 0; m < 2; m++) {
        int ok = 0;
        for (long k = 1; k < 20000 && !ok; k += k < 200 ? 1 : 37) {
            carta_error err = { 0 };
            FILE *fp = tmpfile();
            carta_alloc_fail_at(k);
            int rc = carta_predict_write(rp, dp, models[m], NULL, 0, fp, &err);
            carta_alloc_fail_at(0);
            fclose(fp);
            if (rc == CARTA_OK) ok = 1;
            else cr_assert(rc == CARTA_ENOMEM || rc == CARTA_EDEP || rc == CARTA_EIO || rc == CARTA_EDATA,
                           "%s allocation %ld: %d %s", models[m], k, rc, err.msg);
        }
        cr_assert(ok, "%s never succeeded", models[m]);
    }
}
