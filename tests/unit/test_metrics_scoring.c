/* Scoring of out-of-fold predictions in `carta run` (src/run/scoring.c) and the pooling and
   bootstrap helpers (src/evaluate/pool.c): DerSimonian-Laird against metafor, percentile limits
   against R's quantile(type = 7), the survival scoring (Uno's C, AUC(t), IPCW Brier at the
   horizons, IBS, O/E and calibration at a horizon) against survival / riskRegression
   (tests/reference/scoring), hand-worked pooling, the Cox baseline against the Cox module's own
   predicted curves (survfit-validated), and properties of the bootstrap and binary curves. */
#include <carta/alloc.h>
#include <carta/config.h>
#include <carta/cox.h>
#include <carta/evaluate.h>
#include <carta/numfmt.h>
#include <carta/survmetrics.h>
#include <carta/survpred.h>

#include "../../src/run/internal.h"
#include "check.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    cr_assert(v != NULL, "reference lacks %s", k);
    return v->valuedouble;
}

/* ---- DerSimonian-Laird ---- */

Test(metrics_scoring, meta_dl_matches_metafor)
{
    cJSON *ref = ref_load("tests/reference/scoring/meta.json");
    const cJSON *c;
    cJSON_ArrayForEach(c, ref) {
        const char *name = cJSON_GetObjectItem(c, "case")->valuestring;
        size_t k, k2;
        double *est = ref_doubles(c, "est", &k), *se = ref_doubles(c, "se", &k2);
        const cJSON *e = cJSON_GetObjectItem(c, "expected");
        carta_meta_result r;
        carta_error err;
        carta_error_clear(&err);
        cr_assert_eq(carta_meta_dl(k, est, se, 0.95, &r, &err), CARTA_OK, "%s: %s", name, err.msg);
        cr_expect_eq(r.k, k);
        cr_expect(check_rel(r.estimate, num(e, "estimate"), ref_tol(c, "estimate"), "%s estimate", name));
        cr_expect(check_rel(r.se, num(e, "se"), ref_tol(c, "se"), "%s se", name));
        cr_expect(check_rel(r.lower, num(e, "lower"), ref_tol(c, "estimate"), "%s lower", name));
        cr_expect(check_rel(r.upper, num(e, "upper"), ref_tol(c, "estimate"), "%s upper", name));
        cr_expect(check_rel(r.q, num(e, "q"), ref_tol(c, "q"), "%s Q", name));
        cr_expect(check_rel(r.q_p, num(e, "q_p"), ref_tol(c, "q_p"), "%s Q p", name));
        cr_expect(check_rel(r.i2, num(e, "i2"), ref_tol(c, "i2"), "%s I2", name));
        cr_expect(check_rel(r.tau2, num(e, "tau2"), ref_tol(c, "tau2"), "%s tau2", name));
        cr_expect_eq(r.q_df, (double)(k - 1));
        free(est);
        free(se);
    }
    cJSON_Delete(ref);
}

/* Two studies, SE 0.1 each, 0.6 and 0.8: w = 100, fixed 0.7, Q = 2, tau2 = (2 - 1)/(200 - 100)
   = 0.01, random weights 50 each, pooled 0.7 with SE 0.1, I2 = 50%, P(chi2_1 >= 2) = erfc(1). */
Test(metrics_scoring, meta_dl_hand_worked)
{
    double est[] = { 0.6, 0.8 }, se[] = { 0.1, 0.1 };
    carta_meta_result r;
    carta_error err;
    cr_assert_eq(carta_meta_dl(2, est, se, 0.95, &r, &err), CARTA_OK);
    cr_expect(check_rel(r.estimate, 0.7, 1e-14, "pooled"));
    cr_expect(check_rel(r.q, 2, 1e-13, "Q"));
    cr_expect(check_rel(r.tau2, 0.01, 1e-12, "tau2"));
    cr_expect(check_rel(r.se, 0.1, 1e-12, "se"));
    cr_expect(check_rel(r.i2, 50, 1e-12, "I2"));
    cr_expect(check_rel(r.q_p, erfc(1.0), 1e-12, "Q p"));
    /* Identical estimates: no heterogeneity, the common value, the fixed-effect SE. */
    double same[] = { 0.7, 0.7, 0.7 }, s3[] = { 0.1, 0.2, 0.2 };
    cr_assert_eq(carta_meta_dl(3, same, s3, 0.95, &r, &err), CARTA_OK);
    cr_expect_eq(r.tau2, 0);
    cr_expect_eq(r.i2, 0);
    cr_expect(check_rel(r.estimate, 0.7, 1e-14, "common value"));
    cr_expect(check_rel(r.se, 1 / sqrt(100 + 25 + 25), 1e-14, "fixed-effect SE"));
    cr_expect(check_rel(r.q_p, 1, 1e-14, "Q p at Q = 0"));
}

Test(metrics_scoring, meta_dl_rejects_bad_input)
{
    double est[] = { 0.6, NAN }, se[] = { 0.1, 0.1 }, se0[] = { 0.1, 0 };
    carta_meta_result r;
    carta_error err;
    carta_error_clear(&err);
    cr_expect_eq(carta_meta_dl(1, est, se, 0.95, &r, &err), CARTA_EDATA);
    carta_error_clear(&err);
    cr_expect_eq(carta_meta_dl(2, est, se, 0.95, &r, &err), CARTA_EDATA);
    cr_expect_eq(err.row, 2);
    double ok[] = { 0.6, 0.7 };
    cr_expect_eq(carta_meta_dl(2, ok, se0, 0.95, &r, &err), CARTA_EDATA);
    cr_expect_eq(carta_meta_dl(2, ok, se, 1.5, &r, &err), CARTA_EDATA);
}

/* ---- Percentile interval ---- */

Test(metrics_scoring, percentile_interval_matches_r)
{
    cJSON *ref = ref_load("tests/reference/scoring/percentile.json");
    size_t n;
    double *v = ref_doubles(ref, "values", &n);
    const cJSON *e = cJSON_GetObjectItem(ref, "expected");
    double lo, hi, tol = ref_tol(ref, "limits");
    size_t used;
    carta_error err;
    cr_assert_eq(carta_percentile_interval(n, v, num(ref, "conf_level"), &lo, &hi, &used, &err), CARTA_OK);
    cr_expect_eq(used, n);
    cr_expect(check_rel(lo, num(e, "lower"), tol, "lower"));
    cr_expect(check_rel(hi, num(e, "upper"), tol, "upper"));
    /* NaN replicates are left out: the same limits with NaNs added. */
    double *w = malloc((n + 3) * sizeof *w);
    memcpy(w + 3, v, n * sizeof *v);
    w[0] = w[1] = w[2] = NAN;
    double lo2, hi2;
    cr_assert_eq(carta_percentile_interval(n + 3, w, 0.95, &lo2, &hi2, &used, &err), CARTA_OK);
    cr_expect_eq(used, n);
    cr_expect_eq(lo2, lo);
    cr_expect_eq(hi2, hi);
    cr_expect(isnan(w[0]) && w[3] == v[0], "input left unchanged");
    cr_assert_eq(carta_percentile_interval(4, w, 0.95, &lo2, &hi2, &used, &err), CARTA_OK);
    cr_expect(isnan(lo2) && isnan(hi2) && used == 1, "one usable replicate gives no interval");
    free(w);
    free(v);
    cJSON_Delete(ref);
}

/* ---- A fitted_model by hand: one split predicting every row ---- */

typedef struct oof_case {
    carta_config cfg;
    carta_outcome y;
    fitted_model f;
    cJSON *ref;
    double *time, *lp, *bt, *bh;
    int *status;
    size_t n, m;
} oof_case;

static void oof_setup(oof_case *c, long bootstrap, unsigned long seed)
{
    memset(c, 0, sizeof *c);
    c->ref = ref_load("tests/reference/scoring/survival_oof.json");
    size_t k;
    double *st = ref_doubles(c->ref, "status", &k);
    c->time = ref_doubles(c->ref, "time", &c->n);
    c->lp = ref_doubles(c->ref, "lp", &k);
    c->bt = ref_doubles(c->ref, "base_time", &c->m);
    c->bh = ref_doubles(c->ref, "base_cumhaz", &k);
    c->status = malloc(c->n * sizeof *c->status);
    for (size_t i = 0; i < c->n; i++) c->status[i] = (int)st[i];
    free(st);
    c->cfg.seed = seed;
    c->cfg.validation.scheme = CARTA_CFG_SCHEME_KFOLD;
    c->cfg.validation.bootstrap = bootstrap;
    c->cfg.validation.conf_level = 0.95;
    c->y.type = CARTA_OUTCOME_SURVIVAL;
    c->y.n = c->n;
    c->y.time = c->time;
    c->y.status = c->status;
    fitted_model *f = &c->f;
    f->oof = carta_malloc(c->n * sizeof *f->oof);
    f->oof_split = carta_calloc(c->n, sizeof *f->oof_split);
    f->splits = carta_calloc(1, sizeof *f->splits);
    f->splits->s = carta_calloc(1, sizeof *f->splits->s);
    f->splits->n = 1;
    f->splits->s[0].label = carta_strdup("fold=1");
    f->bases = carta_calloc(1, sizeof *f->bases);
    split_baseline *b = &f->bases[0];
    b->n = 1;
    b->exp_pred = 1;
    b->label = carta_calloc(1, sizeof *b->label);
    b->label[0] = carta_strdup("");
    b->base = carta_calloc(1, sizeof *b->base);
    b->base[0].m = c->m;
    b->base[0].time = carta_malloc(c->m * sizeof(double));
    b->base[0].cumhaz = carta_malloc(c->m * sizeof(double));
    memcpy(b->base[0].time, c->bt, c->m * sizeof(double));
    memcpy(b->base[0].cumhaz, c->bh, c->m * sizeof(double));
    for (size_t i = 0; i < c->n; i++) {
        f->oof[i] = c->lp[i];
        f->oof_split[i] = f->splits->s[0].label;
    }
}

static void oof_teardown(oof_case *c)
{
    fitted_model_clear(&c->f);
    free(c->time), free(c->lp), free(c->bt), free(c->bh), free(c->status);
    cJSON_Delete(c->ref);
}

static const carta_card_metric *find_metric(const fitted_model *f, const char *name, const char *slice)
{
    for (size_t k = 0; k < f->n_metrics; k++)
        if (strcmp(f->metrics[k].name, name) == 0 && (!slice || strcmp(f->metrics[k].slice, slice) == 0))
            return &f->metrics[k];
    return NULL;
}

static double events_of(const oof_case *c)
{
    double ev = 0;
    for (size_t i = 0; i < c->n; i++) ev += c->status[i];
    return ev;
}

Test(metrics_scoring, survival_scoring_matches_r)
{
    oof_case c;
    oof_setup(&c, 0, 1);
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(score_survival(&c.cfg, &c.y, &c.f, events_of(&c), &err), CARTA_OK, "%s", err.msg);
    const cJSON *e = cJSON_GetObjectItem(c.ref, "expected");
    size_t k, kg;
    double *h = ref_doubles(e, "horizons", &k), *auc = ref_doubles(e, "auc_t", &k), *bs = ref_doubles(e, "brier_t", &k);
    double *grid = ref_doubles(e, "grid", &kg);
    const carta_card_metric *m = find_metric(&c.f, "c_uno", "overall");
    cr_assert(m != NULL, "c_uno missing");
    cr_expect(check_rel(m->value, num(e, "c_uno"), ref_tol(c.ref, "c"), "Uno's C"));
    cr_expect(m->ci_method == NULL && isnan(m->lower), "no bootstrap asked: no interval");
    for (size_t j = 0; j < 3; j++) {
        char slice[64], num_[32];
        snprintf(slice, sizeof slice, "time=%s", carta_numfmt(h[j], num_, sizeof num_));
        m = find_metric(&c.f, "auc_t", slice);
        cr_assert(m != NULL, "auc_t %s missing", slice);
        cr_expect(check_rel(m->value, auc[j], ref_tol(c.ref, "auc"), "AUC(%g)", h[j]));
        m = find_metric(&c.f, "brier", slice);
        cr_assert(m != NULL, "brier %s missing", slice);
        cr_expect(check_rel(m->value, bs[j], ref_tol(c.ref, "brier"), "BS(%g)", h[j]));
        cr_expect_eq(m->n, c.n);
    }
    m = find_metric(&c.f, "ibs", NULL);
    cr_assert(m != NULL, "ibs missing");
    cr_expect(check_rel(m->value, num(e, "ibs"), ref_tol(c.ref, "ibs"), "IBS"));
    char slice[64], num_[32];
    snprintf(slice, sizeof slice, "time=%s", carta_numfmt(h[1], num_, sizeof num_));
    m = find_metric(&c.f, "observed_expected", slice);
    cr_assert(m != NULL, "observed_expected missing");
    cr_expect(check_rel(m->value, num(e, "oe"), ref_tol(c.ref, "oe"), "O/E"));
    /* The calibration-at-a-horizon curve (aggregates only). */
    cr_assert(c.f.curves_json != NULL);
    cJSON *cj = cJSON_Parse(c.f.curves_json);
    cr_assert(cj != NULL, "curves_json is not JSON: %s", c.f.curves_json);
    const cJSON *ch = cJSON_GetObjectItem(cj, "calibration_horizon");
    cr_assert(ch != NULL, "no calibration_horizon");
    cr_expect(check_rel(num(ch, "horizon"), h[1], 0, "horizon"));
    static const char *const keys[][2] = { { "predicted", "cal_predicted" }, { "observed", "cal_observed" },
                                           { "lower", "cal_lower" }, { "upper", "cal_upper" }, { "n", "cal_n" } };
    for (size_t q = 0; q < 5; q++) {
        size_t a, b;
        double *got = ref_doubles(ch, keys[q][0], &a), *want = ref_doubles(e, keys[q][1], &b);
        cr_expect_eq(a, b, "%s: %zu groups vs %zu", keys[q][0], a, b);
        cr_expect_eq(check_vec(got, want, a < b ? a : b, ref_tol(c.ref, "calibration"), keys[q][0]), 0);
        free(got);
        free(want);
    }
    cJSON_Delete(cj);
    free(h), free(auc), free(bs), free(grid);
    oof_teardown(&c);
}

/* Percentile bootstrap: an interval per metric without an analytic one, reproducible from the
   seed, changed by another seed. */
/* The horizons' slice labels ("time=T") read back to the horizon itself, an event time of the
   data, to the bit: carta predict takes its default horizons from them. Times scaled so that
   they need more than 6 significant digits (which %g would cut). */
Test(metrics_scoring, horizon_labels_read_back_to_the_event_times)
{
    oof_case c;
    oof_setup(&c, 0, 1);
    for (size_t i = 0; i < c.n; i++) c.time[i] *= 1.000000123;
    for (size_t i = 0; i < c.m; i++) c.f.bases[0].base[0].time[i] *= 1.000000123;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(score_survival(&c.cfg, &c.y, &c.f, events_of(&c), &err), CARTA_OK, "%s", err.msg);
    size_t labels = 0;
    for (size_t k = 0; k < c.f.n_metrics; k++) {
        const char *sl = c.f.metrics[k].slice;
        if (!sl || strncmp(sl, "time=", 5) != 0) continue;
        const char *p = sl + 5;
        do {
            char *end;
            double t = strtod(p, &end);
            int found = 0;
            for (size_t i = 0; i < c.n && !found; i++) found = c.time[i] == t;
            /* the IBS grid's last point is the last horizon; its first, the first event time */
            cr_expect(found, "%s: %.17g is not a time of the data", sl, t);
            p = strncmp(end, "..", 2) == 0 ? end + 2 : NULL;
            labels++;
        } while (p);
    }
    cr_expect_geq(labels, 7, "too few time labels (%zu)", labels);
    oof_teardown(&c);
}

Test(metrics_scoring, survival_bootstrap_intervals)
{
    oof_case a, b, d;
    oof_setup(&a, 40, 11);
    oof_setup(&b, 40, 11);
    oof_setup(&d, 40, 12);
    carta_error err;
    cr_assert_eq(score_survival(&a.cfg, &a.y, &a.f, events_of(&a), &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(score_survival(&b.cfg, &b.y, &b.f, events_of(&b), &err), CARTA_OK);
    cr_assert_eq(score_survival(&d.cfg, &d.y, &d.f, events_of(&d), &err), CARTA_OK);
    cr_assert_eq(a.f.n_metrics, b.f.n_metrics);
    cr_assert(a.f.n_metrics >= 9, "expected Uno's C, 3 AUC(t), 3 BS(t), IBS, O/E; got %zu", a.f.n_metrics);
    int differs = 0;
    for (size_t k = 0; k < a.f.n_metrics; k++) {
        const carta_card_metric *m = &a.f.metrics[k];
        cr_expect(m->ci_method && strcmp(m->ci_method, "bootstrap") == 0, "%s %s: ci %s", m->name, m->slice,
                  m->ci_method ? m->ci_method : "none");
        cr_expect(m->lower <= m->upper, "%s %s: [%g, %g]", m->name, m->slice, m->lower, m->upper);
        cr_expect(m->lower <= m->value && m->value <= m->upper, "%s %s: %g outside [%g, %g]", m->name, m->slice,
                  m->value, m->lower, m->upper);
        cr_expect_eq(m->lower, b.f.metrics[k].lower, "same seed, same interval");
        cr_expect_eq(m->upper, b.f.metrics[k].upper);
        differs += m->lower != d.f.metrics[k].lower;
        cr_expect_eq(m->value, d.f.metrics[k].value, "the point estimate does not depend on the seed");
    }
    cr_expect(differs > 0, "another seed must give other intervals");
    oof_teardown(&a);
    oof_teardown(&b);
    oof_teardown(&d);
}

/* No calibration group smaller than the card's small-count threshold: 240 subjects, threshold 30,
   8 groups of 30. */
Test(metrics_scoring, calibration_groups_respect_small_counts)
{
    oof_case c;
    oof_setup(&c, 0, 1);
    c.cfg.card.small_count_threshold = 30;
    carta_error err;
    cr_assert_eq(score_survival(&c.cfg, &c.y, &c.f, events_of(&c), &err), CARTA_OK);
    cJSON *cj = cJSON_Parse(c.f.curves_json);
    cr_assert(cj != NULL);
    size_t k;
    double *n = ref_doubles(cJSON_GetObjectItem(cj, "calibration_horizon"), "n", &k);
    cr_expect_eq(k, 8);
    for (size_t j = 0; j < k; j++) cr_expect(n[j] >= 30, "group %zu has %g", j, n[j]);
    free(n);
    cJSON_Delete(cj);
    oof_teardown(&c);
}

/* Without a baseline (e.g. an AFT booster) there are no probabilities: Uno's C and AUC(t) only. */
Test(metrics_scoring, survival_without_baseline)
{
    oof_case c;
    oof_setup(&c, 0, 1);
    split_baseline_clear(&c.f.bases[0]);
    carta_error err;
    cr_assert_eq(score_survival(&c.cfg, &c.y, &c.f, events_of(&c), &err), CARTA_OK);
    cr_expect(find_metric(&c.f, "c_uno", "overall") != NULL);
    cr_expect(find_metric(&c.f, "brier", NULL) == NULL);
    cr_expect(find_metric(&c.f, "ibs", NULL) == NULL);
    cr_expect(c.f.curves_json == NULL);
    oof_teardown(&c);
}

/* An xgboost survival:aft model (predictions are times exp(margin), no baseline): its survival
   probabilities are S_i(t) = 1 - F((log t - margin_i) / sigma) (carta_survpred_aft, checked
   against R in test_survpred), so the run's Brier scores at the horizons are the IPCW Brier
   score (carta_brier_ipcw, checked against R in test_surv_metrics) of those probabilities, and
   the IBS, O/E and the calibration at a horizon are there too. Logistic distribution, sigma 0.7. */
Test(metrics_scoring, aft_booster_gets_survival_probabilities)
{
    oof_case c;
    oof_setup(&c, 0, 1);
    split_baseline_clear(&c.f.bases[0]);
    carta_free(c.f.bases);
    c.f.bases = NULL;
    c.f.oof_is_time = 1;
    c.f.aft = 1;
    c.f.aft_dist = CARTA_SURVPRED_AFT_LOGISTIC;
    c.f.aft_sigma = 0.7;
    for (size_t i = 0; i < c.n; i++) c.f.oof[i] = exp(6.0 - c.lp[i]); /* a higher risk, a shorter time */
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(score_survival(&c.cfg, &c.y, &c.f, events_of(&c), &err), CARTA_OK, "%s", err.msg);
    /* the horizons: the quartiles of the event times, as the scoring takes them */
    double *et = malloc(c.n * sizeof *et);
    size_t ne = 0;
    for (size_t i = 0; i < c.n; i++) if (c.status[i]) et[ne++] = c.time[i];
    for (size_t a = 1; a < ne; a++)
        for (size_t b = a; b > 0 && et[b - 1] > et[b]; b--) { double v = et[b]; et[b] = et[b - 1]; et[b - 1] = v; }
    double h[3] = { et[ne / 4], et[ne / 2], et[(3 * ne) / 4] };
    double *sv = malloc(3 * c.n * sizeof *sv);
    for (size_t j = 0; j < 3; j++)
        for (size_t i = 0; i < c.n; i++)
            sv[i + j * c.n] = carta_survpred_aft(CARTA_SURVPRED_AFT_LOGISTIC, 0.7, log(c.f.oof[i]), h[j]);
    carta_censoring *g = NULL;
    carta_metric bs[3];
    cr_assert_eq(carta_censoring_fit(c.n, c.time, c.status, &g, &err), CARTA_OK);
    cr_assert_eq(carta_brier_ipcw(g, c.n, c.time, c.status, sv, 3, h, CARTA_IPCW_R, bs, &err), CARTA_OK, "%s", err.msg);
    for (size_t j = 0; j < 3; j++) {
        char slice[64], num_[32];
        snprintf(slice, sizeof slice, "time=%s", carta_numfmt(h[j], num_, sizeof num_));
        const carta_card_metric *m = find_metric(&c.f, "brier", slice);
        cr_assert(m != NULL, "brier %s missing", slice);
        cr_expect(check_rel(m->value, bs[j].value, 1e-12, "Brier(%g)", h[j]));
    }
    cr_expect(find_metric(&c.f, "ibs", NULL) != NULL, "ibs missing");
    cr_expect(find_metric(&c.f, "observed_expected", NULL) != NULL, "O/E missing");
    cr_expect(c.f.curves_json && strstr(c.f.curves_json, "calibration_horizon"), "no calibration at a horizon");
    carta_censoring_free(g);
    free(sv);
    free(et);
    oof_teardown(&c);
}

/* A stratified elastic-net Cox model's split baseline: Breslow's estimator per stratum of the
   training rows, with their linear predictors as offsets, against R (lung, strata by sex:
   tests/reference/gbm_baseline/lung_strata.json), each stratum under its outcome label. */
Test(metrics_scoring, stratified_breslow_baseline_matches_r)
{
    cJSON *ref = ref_load("tests/reference/gbm_baseline/lung_strata.json");
    size_t n, k;
    double *t = ref_doubles(ref, "time", &n), *lp = ref_doubles(ref, "lp", &k), *st = ref_doubles(ref, "status", &k);
    double *sg = ref_doubles(ref, "stratum", &k);
    int *status = malloc(n * sizeof *status), *strata = malloc(n * sizeof *strata);
    for (size_t i = 0; i < n; i++) {
        status[i] = (int)st[i];
        strata[i] = (int)sg[i];
    }
    char l1[] = "sex=1", l2[] = "sex=2", *labels[2] = { l1, l2 };
    carta_outcome y = { .type = CARTA_OUTCOME_SURVIVAL, .n = n, .time = t, .status = status, .strata = strata,
                        .strata_labels = labels, .n_strata = 2 };
    split_baseline b;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(split_baseline_breslow(&y, lp, 1, &b, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(b.n, 2);
    cr_expect_eq(b.exp_pred, 1);
    const cJSON *rs = cJSON_GetObjectItem(ref, "strata");
    for (size_t s = 0; s < 2; s++) {
        const cJSON *r = cJSON_GetArrayItem(rs, (int)s);
        size_t m;
        double *rt = ref_doubles(r, "time", &m), *rh = ref_doubles(r, "cumhaz", &m);
        cr_expect_str_eq(b.label[s], cJSON_GetObjectItem(r, "label")->valuestring);
        cr_assert_eq(b.base[s].m, m, "stratum %zu: %zu times, R %zu", s, b.base[s].m, m);
        cr_expect_eq(check_vec(b.base[s].time, rt, m, 0, "times"), 0);
        cr_expect_eq(check_vec(b.base[s].cumhaz, rh, m, ref_tol(ref, "cumhaz"), "cumulative hazard"), 0);
        free(rt);
        free(rh);
    }
    split_baseline_clear(&b);
    free(t), free(lp), free(st), free(sg), free(status), free(strata);
    cJSON_Delete(ref);
}

/* ---- Cox baseline: S_i(t) from the split baseline equals the Cox module's predicted curve ---- */

Test(metrics_scoring, cox_baseline_gives_survfit_curves)
{
    enum { N = 60, P = 2, NEW = 3 };
    double x[N * P], t[N], nd[NEW * P];
    int st[N];
    for (int i = 0; i < N; i++) {
        x[i] = (double)((i * 37) % 17) / 17;
        x[i + N] = i % 3 == 0;
        t[i] = 1 + (i * 29) % 50;
        st[i] = (i * 7) % 5 != 0;
    }
    for (int r = 0; r < NEW; r++) {
        nd[r] = x[r * 7];
        nd[r + NEW] = x[r * 7 + N];
    }
    const char *names[] = { "x1", "x2" };
    carta_matrix xm = { N, P, x, names }, nm = { NEW, P, nd, names };
    carta_surv_data d = { .n = N, .time = t, .status = st };
    carta_cox_spec s;
    carta_cox_spec_default(&s);
    s.newdata = &nm;
    s.zph = CARTA_COX_ZPH_NONE;
    carta_cox_result *r = NULL;
    carta_error err;
    cr_assert_eq(carta_cox_fit(&s, &d, &xm, &r, &err), CARTA_OK, "%s", err.msg);
    split_baseline b;
    cr_assert_eq(split_baseline_cox(r, &b, &err), CARTA_OK);
    cr_assert_eq(b.n, 1);
    cr_expect(b.exp_pred == 1);
    cr_assert_eq(r->n_curves, NEW);
    for (size_t q = 0; q < r->n_curves; q++) {
        const carta_cox_curve *cu = &r->curves[q];
        double lp = 0;
        for (size_t j = 0; j < P; j++) lp += r->terms[j].coef * (nd[cu->row + j * NEW] - r->means[j]);
        for (size_t k = 0; k < cu->n_time; k++) {
            /* The step function at time k: the baseline's last step at or before it. */
            double h = 0;
            for (size_t m = 0; m < b.base[0].m && b.base[0].time[m] <= cu->time[k]; m++) h = b.base[0].cumhaz[m];
            cr_expect(check_rel(exp(-h * exp(lp)), cu->surv[k], 1e-12, "row %zu S(%g)", cu->row, cu->time[k]));
        }
    }
    split_baseline_clear(&b);
    carta_cox_result_free(r);
}

/* Breslow's baseline from training linear predictors, by hand: times 1, 2, 2, 3 (events at 1, 2,
   3; censored at 2), relative hazards 2, 1, 1, 1: H0 steps 1/5, 1/5 + 1/3, 1/5 + 1/3 + 1. */
Test(metrics_scoring, breslow_split_baseline_hand_worked)
{
    double t[] = { 1, 2, 2, 3 }, lp[] = { log(2.0), 0, 0, 0 };
    int st[] = { 1, 1, 0, 1 };
    carta_outcome y;
    memset(&y, 0, sizeof y);
    y.type = CARTA_OUTCOME_SURVIVAL;
    y.n = 4;
    y.time = t;
    y.status = st;
    split_baseline b;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(split_baseline_breslow(&y, lp, 1, &b, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(b.n, 1);
    cr_expect_str_eq(b.label[0], "");
    cr_expect_eq(b.exp_pred, 1, "the prediction is the linear predictor");
    double want[] = { 1.0 / 5, 1.0 / 5 + 1.0 / 3, 1.0 / 5 + 1.0 / 3 + 1 };
    for (int k = 0; k < 3; k++) {
        double h = 0;
        for (size_t m = 0; m < b.base[0].m && b.base[0].time[m] <= (double)(k + 1); m++) h = b.base[0].cumhaz[m];
        cr_expect(check_rel(h, want[k], 1e-15, "H0(%d)", k + 1));
    }
    split_baseline_clear(&b);
    cr_assert_eq(split_baseline_breslow(&y, lp, 0, &b, &err), CARTA_OK);
    cr_expect_eq(b.exp_pred, 0, "the prediction is the hazard ratio");
    split_baseline_clear(&b);
}

/* ---- Binary curves and bootstrap ---- */

Test(metrics_scoring, binary_curves_and_intervals)
{
    enum { N = 300 };
    double y[N], p[N];
    for (int i = 0; i < N; i++) {
        p[i] = 0.02 + 0.9 * (double)((i * 61) % N) / N;
        y[i] = ((i * 13) % 100) < 100 * p[i] * 0.9 + 3;
    }
    carta_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.seed = 5;
    cfg.validation.bootstrap = 30;
    cfg.validation.conf_level = 0.95;
    fitted_model f;
    memset(&f, 0, sizeof f);
    carta_error err;
    double ev = 0;
    for (int i = 0; i < N; i++) ev += y[i];
    cr_assert_eq(score_binary(&cfg, N, y, p, ev, &f, &err), CARTA_OK, "%s", err.msg);
    cJSON *cj = cJSON_Parse(f.curves_json);
    cr_assert(cj != NULL);
    const cJSON *dc = cJSON_GetObjectItem(cj, "decision_curve");
    cr_assert(dc != NULL, "no decision_curve");
    size_t k, k2, k3;
    double *th = ref_doubles(dc, "threshold", &k), *nb = ref_doubles(dc, "model", &k2), *all = ref_doubles(dc, "treat_all", &k3);
    cr_assert(k == 50 && k2 == 50 && k3 == 50);
    double want[50], want_all[50];
    cr_assert_eq(carta_net_benefit(N, y, p, 50, th, want, want_all, &err), CARTA_OK);
    cr_expect(check_rel(th[0], 0.01, 1e-15, "first threshold") && check_rel(th[49], 0.5, 1e-15, "last threshold"));
    cr_expect_eq(check_vec(nb, want, 50, 1e-15, "decision curve, model"), 0);
    cr_expect_eq(check_vec(all, want_all, 50, 1e-15, "decision curve, treat all"), 0);
    const cJSON *cal = cJSON_GetObjectItem(cj, "calibration");
    const cJSON *sm = cal ? cJSON_GetObjectItem(cal, "smoothed") : NULL;
    cr_assert(sm != NULL, "no calibration.smoothed");
    double *sp = ref_doubles(sm, "predicted", &k), *so = ref_doubles(sm, "observed", &k2);
    cr_assert(k == k2 && k == 100, "smoothed: %zu points", k);
    double fit[N];
    cr_assert_eq(carta_lowess(N, p, y, 2.0 / 3.0, 0, fit, &err), CARTA_OK); /* the run smooths with iter = 0 */
    int imin = 0, imax = 0;
    for (int i = 0; i < N; i++) {
        if (p[i] < p[imin]) imin = i;
        if (p[i] > p[imax]) imax = i;
    }
    cr_expect_eq(sp[0], p[imin]);
    cr_expect_eq(sp[99], p[imax]);
    cr_expect(check_rel(so[0], fit[imin], 1e-15, "smoothed at the smallest p"));
    cr_expect(check_rel(so[99], fit[imax], 1e-15, "smoothed at the largest p"));
    for (size_t j = 1; j < k; j++)
        cr_expect(check_rel(sp[j] - sp[j - 1], (p[imax] - p[imin]) / 99, 1e-9, "smoothed grid step %zu", j));
    /* Inner points: linear interpolation between the fitted values of the nearest subjects. */
    for (size_t j = 1; j + 1 < k; j += 7) {
        int lo = -1, hi = -1;
        for (int i = 0; i < N; i++) {
            if (p[i] <= sp[j] && (lo < 0 || p[i] > p[lo])) lo = i;
            if (p[i] > sp[j] && (hi < 0 || p[i] < p[hi])) hi = i;
        }
        cr_assert(lo >= 0 && hi >= 0);
        double want_s = fit[lo] + (fit[hi] - fit[lo]) * (sp[j] - p[lo]) / (p[hi] - p[lo]);
        cr_expect(check_rel(so[j], want_s, 1e-12, "smoothed at %g", sp[j]));
    }
    /* Metrics without an analytic interval carry a bootstrap one; the others keep theirs. */
    const carta_card_metric *m = find_metric(&f, "ici", "overall");
    cr_assert(m != NULL);
    double ici;
    cr_assert_eq(carta_ici(N, y, p, 2.0 / 3.0, 0, &ici, NULL, NULL, NULL, &err), CARTA_OK);
    cr_expect_eq(m->value, ici);
    cr_expect(m->ci_method && strcmp(m->ci_method, "bootstrap") == 0 && m->lower < m->upper);
    m = find_metric(&f, "net_benefit", "threshold=0.1");
    cr_assert(m != NULL);
    cr_expect(m->ci_method && strcmp(m->ci_method, "bootstrap") == 0 && m->lower <= m->value && m->value <= m->upper);
    m = find_metric(&f, "brier", "overall");
    cr_assert(m != NULL);
    cr_expect(m->ci_method && strcmp(m->ci_method, "normal") == 0);
    free(th), free(nb), free(all), free(sp), free(so);
    cJSON_Delete(cj);
    fitted_model_clear(&f);
}

/* Pooling appends the pooled estimate and the heterogeneity metrics, as carta_meta_dl. */
Test(metrics_scoring, pool_studies_metrics)
{
    carta_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.validation.conf_level = 0.95;
    fitted_model f;
    memset(&f, 0, sizeof f);
    double est[] = { 0.71, 0.78, 0.66, 0.83 }, se[] = { 0.04, 0.035, 0.05, 0.03 };
    carta_error err;
    cr_assert_eq(pool_studies(&cfg, &f, "auc", 4, est, se, 400, 100, &err), CARTA_OK);
    carta_meta_result r;
    cr_assert_eq(carta_meta_dl(4, est, se, 0.95, &r, &err), CARTA_OK);
    const carta_card_metric *m = find_metric(&f, "auc", "pooled");
    cr_assert(m != NULL);
    cr_expect(m->value == r.estimate && m->lower == r.lower && m->upper == r.upper);
    cr_expect_str_eq(m->ci_method, "DerSimonian-Laird");
    cr_expect(find_metric(&f, "heterogeneity_q", "studies") && find_metric(&f, "heterogeneity_q", "studies")->value == r.q);
    cr_expect(find_metric(&f, "heterogeneity_p", "studies") && find_metric(&f, "heterogeneity_p", "studies")->value == r.q_p);
    cr_expect(find_metric(&f, "heterogeneity_i2", "studies") && find_metric(&f, "heterogeneity_i2", "studies")->value == r.i2);
    cr_expect(find_metric(&f, "heterogeneity_tau2", "studies") && find_metric(&f, "heterogeneity_tau2", "studies")->value == r.tau2);
    fitted_model_clear(&f);
    /* One study: nothing to pool. */
    memset(&f, 0, sizeof f);
    cr_assert_eq(pool_studies(&cfg, &f, "auc", 1, est, se, 100, 20, &err), CARTA_OK);
    cr_expect_eq(f.n_metrics, 0);
}

/* Out of memory at every allocation of the scoring: CARTA_ENOMEM, no leak (the sanitizer build
   checks), and success once no allocation fails. */
Test(metrics_scoring, out_of_memory_at_every_allocation)
{
    int done = 0, failures = 0;
    for (long k = 1; k < 5000 && !done; k++) {
        oof_case c;
        oof_setup(&c, 2, 3);
        carta_error err;
        carta_error_clear(&err);
        carta_alloc_fail_at(k);
        int rc = score_survival(&c.cfg, &c.y, &c.f, events_of(&c), &err);
        carta_alloc_fail_at(0);
        if (rc == CARTA_OK) done = 1;
        else {
            cr_assert_eq(rc, CARTA_ENOMEM, "survival, k = %ld: %d (%s)", k, rc, err.msg);
            failures++;
        }
        oof_teardown(&c);
    }
    cr_expect(done, "score_survival never succeeded");
    cr_expect(failures > 20, "only %d allocations failed", failures);
    failures = 0;
    enum { N = 60 };
    double y[N], p[N];
    for (int i = 0; i < N; i++) {
        p[i] = 0.05 + 0.9 * (double)((i * 7) % N) / N;
        y[i] = (i * 11) % 4 == 0;
    }
    carta_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.validation.bootstrap = 2;
    cfg.validation.conf_level = 0.95;
    done = 0;
    for (long k = 1; k < 5000 && !done; k++) {
        fitted_model f;
        memset(&f, 0, sizeof f);
        carta_error err;
        carta_error_clear(&err);
        carta_alloc_fail_at(k);
        int rc = score_binary(&cfg, N, y, p, 15, &f, &err);
        carta_alloc_fail_at(0);
        if (rc == CARTA_OK) done = 1;
        else {
            cr_assert_eq(rc, CARTA_ENOMEM, "binary, k = %ld: %d (%s)", k, rc, err.msg);
            failures++;
        }
        fitted_model_clear(&f);
    }
    cr_expect(done, "score_binary never succeeded");
    cr_expect(failures > 10, "only %d allocations failed", failures);
}
