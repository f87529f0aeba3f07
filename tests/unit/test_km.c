/* Unit tests of fit/km.c: R references (tests/reference/km/), a hand-worked case in fractions,
   identities (weight 2 = duplicated row, row permutation, one-cause CIF) and bad input. */
#include <carta/alloc.h>
#include <carta/error.h>
#include <carta/km.h>

#include "check.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A JSON number or array as doubles (jsonlite writes length-1 vectors as scalars). */
static double *arr(const cJSON *obj, const char *key, size_t *n)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!a) { *n = 0; return NULL; }
    if (cJSON_IsNumber(a) || cJSON_IsNull(a)) {
        double *v = malloc(sizeof *v);
        *v = cJSON_IsNumber(a) ? a->valuedouble : (double)NAN;
        *n = 1;
        return v;
    }
    return ref_doubles(obj, key, n);
}

static double num(const cJSON *obj, const char *key)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(a) ? a->valuedouble : (double)NAN;
}

static int conf_of(const char *s)
{
    if (!strcmp(s, "log")) return CARTA_KM_CONF_LOG;
    if (!strcmp(s, "log-log")) return CARTA_KM_CONF_LOGLOG;
    if (!strcmp(s, "plain")) return CARTA_KM_CONF_PLAIN;
    if (!strcmp(s, "logit")) return CARTA_KM_CONF_LOGIT;
    if (!strcmp(s, "arcsin")) return CARTA_KM_CONF_ARCSIN;
    cr_assert_fail("unknown conf_type %s", s);
    return -1;
}

static const cJSON *skip_list; /* the case's "skip" array: fields R gets wrong (with the reason) */

static int skipped(const char *key)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, skip_list) if (cJSON_IsString(e) && !strcmp(e->valuestring, key)) return 1;
    return 0;
}

static int cmp(const double *obs, size_t nobs, const cJSON *cv, const char *key, double tol,
               const char *cname, const char *label)
{
    size_t n;
    if (skipped(key)) return 0;
    double *e = arr(cv, key, &n);
    char what[256];
    snprintf(what, sizeof what, "%s %s %s", cname, label, key);
    if (n != nobs) {
        fprintf(stderr, "%s: %zu values vs %zu expected\n", what, nobs, n);
        free(e);
        return 1;
    }
    int bad = check_vec(obs, e, n, tol, what);
    free(e);
    return bad;
}

/* Same value or both NaN, to the bit (the compact table replays the fit's own arithmetic). */
static int same(double a, double b) { return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0; }

/* The compact table gives, row by row through carta_km_rows_next, exactly the full table, and
   the same quantiles, RMST and summary; the full table's walk gives its arrays. */
static void expect_compact_equal(const carta_km_spec *spec, const carta_surv_data *d,
                                 const carta_km_result *full, const char *name)
{
    carta_km_spec cs = *spec;
    cs.table = CARTA_KM_TABLE_COMPACT;
    carta_error err;
    carta_error_clear(&err);
    carta_km_result *r = NULL;
    cr_assert_eq(carta_km_fit(&cs, d, &r, &err), CARTA_OK, "%s compact: %s", name, err.msg);
    for (size_t c = 0; c < r->n_curves; c++) {
        const carta_km_curve *x = &full->curves[c], *y = &r->curves[c];
        cr_assert_eq(x->n_rows, y->n_rows);
        cr_expect(y->surv == NULL && y->std_err == NULL && y->n_risk == NULL, "%s: compact has columns", name);
        carta_km_rows it, itf;
        carta_km_row a, b;
        carta_km_rows_begin(r, c, &it);
        carta_km_rows_begin(full, c, &itf);
        size_t j = 0, bad = 0;
        while (carta_km_rows_next(&it, &a)) {
            cr_assert(carta_km_rows_next(&itf, &b), "%s: full walk ends early", name);
            const double va[10] = { a.time, a.n_risk, a.n_event, a.n_censor, a.surv, a.std_err, a.lower, a.upper, a.cumhaz, a.cumhaz_se };
            const double vf[10] = { x->time[j], x->n_risk[j], x->n_event[j], x->n_censor[j], x->surv[j], x->std_err[j],
                                    x->lower[j], x->upper[j], x->cumhaz[j], x->cumhaz_se[j] };
            const double vb[10] = { b.time, b.n_risk, b.n_event, b.n_censor, b.surv, b.std_err, b.lower, b.upper, b.cumhaz, b.cumhaz_se };
            for (int k = 0; k < 10; k++) bad += !same(va[k], vf[k]) + !same(vb[k], vf[k]);
            j++;
        }
        cr_expect_eq(j, x->n_rows, "%s: compact walk has %zu rows", name, j);
        cr_expect_eq(bad, 0, "%s curve %zu: %zu compact values differ from the full table", name, c, bad);
        cr_expect(same(x->median, y->median) && same(x->median_lower, y->median_lower) &&
                  same(x->median_upper, y->median_upper) && same(x->rmst, y->rmst) &&
                  same(x->rmst_se, y->rmst_se) && same(x->events, y->events), "%s: summaries differ", name);
        for (size_t q = 0; q < x->n_quantiles; q++)
            cr_expect(same(x->quantiles[q].time, y->quantiles[q].time) && same(x->quantiles[q].lower, y->quantiles[q].lower) &&
                      same(x->quantiles[q].upper, y->quantiles[q].upper), "%s: quantile %zu differs", name, q);
        cr_assert_eq(x->n_summary, y->n_summary);
        for (size_t q = 0; q < x->n_summary; q++)
            cr_expect(same(x->sum_surv[q], y->sum_surv[q]) && same(x->sum_n_risk[q], y->sum_n_risk[q]) &&
                      same(x->sum_std_err[q], y->sum_std_err[q]) && same(x->sum_upper[q], y->sum_upper[q]),
                      "%s: summary row %zu differs", name, q);
    }
    carta_km_result_free(r);
}

static void run_case(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "tests/reference/km/%s.json", name);
    cJSON *j = ref_load(path);
    size_t n, k;
    skip_list = cJSON_GetObjectItemCaseSensitive(j, "skip");
    double *time = arr(j, "time", &n);
    double *st = arr(j, "status", &k);
    int *status = malloc(n * sizeof *status), *group = NULL;
    for (size_t i = 0; i < n; i++) status[i] = (int)st[i];
    double *g = arr(j, "group", &k), *w = arr(j, "weights", &k), *start = arr(j, "start", &k),
           *idd = arr(j, "id", &k);
    int *id = NULL;
    if (idd) {
        id = malloc(n * sizeof *id);
        for (size_t i = 0; i < n; i++) id[i] = (int)idd[i];
    }
    const cJSON *labs = cJSON_GetObjectItemCaseSensitive(j, "group_labels");
    size_t ng = labs ? (size_t)cJSON_GetArraySize(labs) : 0;
    const char **labels = NULL;
    if (g) {
        group = malloc(n * sizeof *group);
        for (size_t i = 0; i < n; i++) group[i] = (int)g[i];
        labels = malloc(ng * sizeof *labels);
        for (size_t i = 0; i < ng; i++) labels[i] = cJSON_GetArrayItem(labs, (int)i)->valuestring;
    }
    carta_surv_data d = { .n = n, .time = time, .start = start, .status = status, .weight = w,
                          .group = group, .n_groups = ng, .group_labels = labels, .id = id };
    carta_km_spec spec;
    carta_km_spec_default(&spec);
    spec.conf_type = conf_of(cJSON_GetObjectItemCaseSensitive(j, "conf_type")->valuestring);
    spec.conf_level = num(j, "conf_level");
    spec.ctype = (int)num(j, "ctype");
    size_t np, nt;
    double *probs = arr(j, "probs", &np), *times = arr(j, "times", &nt);
    spec.probs = probs; spec.n_probs = np;
    spec.times = times; spec.n_times = nt;
    spec.tau = num(j, "tau");
    const cJSON *rob = cJSON_GetObjectItemCaseSensitive(j, "robust");
    if (rob) spec.variance = cJSON_IsTrue(rob) ? CARTA_KM_VAR_IJ : CARTA_KM_VAR_GREENWOOD;
    carta_error err;
    carta_error_clear(&err);
    carta_km_result *r = NULL;
    cr_assert_eq(carta_km_fit(&spec, &d, &r, &err), CARTA_OK, "%s: %s", name, err.msg);
    cr_expect(check_rel(r->tau, num(j, "tau_used"), 0, "%s tau", name));
    double ts = ref_tol(j, "surv"), th = ref_tol(j, "cumhaz"), tc = ref_tol(j, "count"),
           tse = ref_tol(j, "std_err"), tl = ref_tol(j, "limit"), tq = ref_tol(j, "quantile"),
           trm = ref_tol(j, "rmst"), trs = ref_tol(j, "rmst_se");
    const cJSON *curves = cJSON_GetObjectItemCaseSensitive(j, "curves");
    cr_assert_eq((size_t)cJSON_GetArraySize(curves), r->n_curves, "%s: number of curves", name);
    int bad = 0;
    for (size_t c = 0; c < r->n_curves; c++) {
        const cJSON *cv = cJSON_GetArrayItem(curves, (int)c);
        carta_km_curve *o = &r->curves[c];
        const char *lab = o->label;
        cr_expect_str_eq(o->label, cJSON_GetObjectItemCaseSensitive(cv, "label")->valuestring);
        bad += !check_rel((double)o->n, num(cv, "n"), 0, "%s %s n", name, lab);
        bad += !check_rel(o->events, num(cv, "events"), tc, "%s %s events", name, lab);
        size_t m = o->n_rows;
        bad += cmp(o->time, m, cv, "time", 0, name, lab);
        bad += cmp(o->n_risk, m, cv, "n_risk", tc, name, lab);
        bad += cmp(o->n_event, m, cv, "n_event", tc, name, lab);
        bad += cmp(o->n_censor, m, cv, "n_censor", tc, name, lab);
        bad += cmp(o->surv, m, cv, "surv", ts, name, lab);
        bad += cmp(o->std_err, m, cv, "std_err", tse, name, lab);
        bad += cmp(o->lower, m, cv, "lower", tl, name, lab);
        bad += cmp(o->upper, m, cv, "upper", tl, name, lab);
        bad += cmp(o->cumhaz, m, cv, "cumhaz", th, name, lab);
        bad += cmp(o->cumhaz_se, m, cv, "cumhaz_se", tse, name, lab);
        double q[3][64];
        cr_assert(o->n_quantiles <= 64);
        for (size_t i = 0; i < o->n_quantiles; i++) {
            q[0][i] = o->quantiles[i].time; q[1][i] = o->quantiles[i].lower; q[2][i] = o->quantiles[i].upper;
        }
        bad += cmp(q[0], o->n_quantiles, cv, "q_time", tq, name, lab);
        bad += cmp(q[1], o->n_quantiles, cv, "q_lower", tq, name, lab);
        bad += cmp(q[2], o->n_quantiles, cv, "q_upper", tq, name, lab);
        bad += !check_rel(o->median, num(cv, "median"), tq, "%s %s median", name, lab);
        if (!skipped("median_lower"))
            bad += !check_rel(o->median_lower, num(cv, "median_lower"), tq, "%s %s median_lower", name, lab);
        if (!skipped("median_upper"))
            bad += !check_rel(o->median_upper, num(cv, "median_upper"), tq, "%s %s median_upper", name, lab);
        bad += !check_rel(o->rmst, num(cv, "rmst"), trm, "%s %s rmst", name, lab);
        bad += !check_rel(o->rmst_se, num(cv, "rmst_se"), trs, "%s %s rmst_se", name, lab);
        if (nt) {
            size_t ns = o->n_summary;
            bad += cmp(o->sum_time, ns, cv, "sum_time", 0, name, lab);
            bad += cmp(o->sum_n_risk, ns, cv, "sum_n_risk", tc, name, lab);
            bad += cmp(o->sum_n_event, ns, cv, "sum_n_event", tc, name, lab);
            bad += cmp(o->sum_n_censor, ns, cv, "sum_n_censor", tc, name, lab);
            bad += cmp(o->sum_surv, ns, cv, "sum_surv", ts, name, lab);
            bad += cmp(o->sum_std_err, ns, cv, "sum_std_err", tse, name, lab);
            bad += cmp(o->sum_lower, ns, cv, "sum_lower", tl, name, lab);
            bad += cmp(o->sum_upper, ns, cv, "sum_upper", tl, name, lab);
        }
    }
    cr_expect_eq(bad, 0, "%s: %d mismatches (listed above)", name, bad);
    expect_compact_equal(&spec, &d, r, name);
    carta_km_result_free(r);
    free(time); free(st); free(status); free(group); free(g); free(w); free(start);
    free(labels); free(probs); free(times); free(idd); free(id);
    skip_list = NULL;
    cJSON_Delete(j);
}

Test(km, r_lung_overall) { run_case("lung_overall"); }
Test(km, r_lung_sex_log) { run_case("lung_sex_log"); }
Test(km, r_lung_sex_loglog) { run_case("lung_sex_loglog"); }
Test(km, r_lung_sex_plain) { run_case("lung_sex_plain"); }
Test(km, r_lung_sex_logit) { run_case("lung_sex_logit"); }
Test(km, r_lung_sex_arcsin) { run_case("lung_sex_arcsin"); }
Test(km, r_lung_loglog_90) { run_case("lung_loglog_90"); }
Test(km, r_aml_ctype2) { run_case("aml_ctype2"); }
Test(km, r_ovarian_unreached) { run_case("ovarian_rx"); }
Test(km, r_veteran_weights) { run_case("veteran_weights"); }
Test(km, r_veteran_fracweights) { run_case("veteran_fracweights"); }
Test(km, r_heart_counting) { run_case("heart_counting"); }
Test(km, r_veteran_fracweights_ij) { run_case("veteran_fracweights_ij"); }
Test(km, r_veteran_fracweights_ij_ctype2) { run_case("veteran_fracweights_ij_ctype2"); }
Test(km, r_aml_robust) { run_case("aml_robust"); }
Test(km, r_heart_counting_tx) { run_case("heart_counting_tx"); }
Test(km, r_flat_stretch) { run_case("flat_stretch"); }
Test(km, r_negative_times) { run_case("negative_times"); }
Test(km, r_adtte_trta) { run_case("adtte_trta"); }
Test(km, r_heart_counting_fracweights_ij) { run_case("heart_counting_fracweights"); }
Test(km, r_heart_counting_fracweights_one_ij) { run_case("heart_counting_fracweights_one"); }
Test(km, r_entry_after_empty_ij) { run_case("entry_after_empty_ij"); }
Test(km, r_heart_counting_fracweights_id) { run_case("heart_counting_fracweights_id"); }
Test(km, r_heart_counting_id) { run_case("heart_counting_id"); }
Test(km, r_recurrent_id) { run_case("recurrent_id"); }
Test(km, r_aml_id_pairs_ij) { run_case("aml_id_pairs"); }
Test(km, r_veteran_fracweights_id_ij) { run_case("veteran_fracweights_id"); }

/* ---- hand-worked: tied deaths (t=3), a death and a censoring at one time (t=4), a death alone
   (t=1, t=7), a censoring alone (t=2, t=5). Rows deliberately out of time order. ---- */
static const double hand_t[8] = { 4, 1, 3, 7, 2, 4, 3, 5 };
static const int hand_s[8] = { 0, 1, 1, 1, 0, 1, 1, 0 };

static carta_km_result *fit_km(const carta_km_spec *spec, const carta_surv_data *d)
{
    carta_error err;
    carta_error_clear(&err);
    carta_km_result *r = NULL;
    int rc = carta_km_fit(spec, d, &r, &err);
    cr_assert_eq(rc, CARTA_OK, "%s", err.msg);
    return r;
}

Test(km, hand_worked_fractions)
{
    carta_surv_data d = { .n = 8, .time = hand_t, .status = hand_s };
    carta_km_spec spec;
    carta_km_spec_default(&spec);
    double times[2] = { 3.5, 0.5 };
    spec.times = times; spec.n_times = 2;
    carta_km_result *r = fit_km(&spec, &d);
    carta_km_curve *c = &r->curves[0];
    cr_assert_eq(c->n_rows, 6);
    const double t[6] = { 1, 2, 3, 4, 5, 7 }, nr[6] = { 8, 7, 6, 4, 2, 1 }, ne[6] = { 1, 0, 2, 1, 0, 1 },
                 nc[6] = { 0, 1, 0, 1, 1, 0 };
    const double S[6] = { 7.0 / 8, 7.0 / 8, 7.0 / 12, 7.0 / 16, 7.0 / 16, 0 };
    const double H[6] = { 1.0 / 8, 1.0 / 8, 11.0 / 24, 17.0 / 24, 17.0 / 24, 41.0 / 24 };
    const double VH[6] = { 1.0 / 64, 1.0 / 64, 1.0 / 64 + 1.0 / 18, 1.0 / 64 + 1.0 / 18 + 1.0 / 16,
                           1.0 / 64 + 1.0 / 18 + 1.0 / 16, 1.0 / 64 + 1.0 / 18 + 1.0 / 16 + 1 };
    const double G[5] = { 1.0 / 56, 1.0 / 56, 1.0 / 56 + 1.0 / 12, 31.0 / 168, 31.0 / 168 };
    for (int i = 0; i < 6; i++) {
        cr_expect(check_rel(c->time[i], t[i], 0, "time[%d]", i));
        cr_expect(check_rel(c->n_risk[i], nr[i], 0, "n_risk[%d]", i));
        cr_expect(check_rel(c->n_event[i], ne[i], 0, "n_event[%d]", i));
        cr_expect(check_rel(c->n_censor[i], nc[i], 0, "n_censor[%d]", i));
        cr_expect(check_rel(c->surv[i], S[i], 1e-15, "surv[%d]", i));
        cr_expect(check_rel(c->cumhaz[i], H[i], 1e-15, "cumhaz[%d]", i));
        cr_expect(check_rel(c->cumhaz_se[i], sqrt(VH[i]), 1e-15, "cumhaz_se[%d]", i));
        if (i < 5) cr_expect(check_rel(c->std_err[i], S[i] * sqrt(G[i]), 1e-15, "std_err[%d]", i));
    }
    /* S = 0 after the last death: R's std.err is Inf, its product with S undefined, limits NA */
    cr_expect(isnan(c->std_err[5]) && isnan(c->lower[5]) && isnan(c->upper[5]));
    /* log limits at t = 4: S exp(-/+ z sqrt(31/168)), upper capped at 1 */
    double z = 1.959963984540054;
    cr_expect(check_rel(c->lower[3], 7.0 / 16 * exp(-z * sqrt(31.0 / 168)), 1e-14, "lower[3]"));
    cr_expect(check_rel(c->upper[3], fmin(1.0, 7.0 / 16 * exp(z * sqrt(31.0 / 168))), 1e-14, "upper[3]"));
    /* quantiles: S <= 0.75 first at 3, S <= 0.5 first at 4 */
    cr_expect(check_rel(c->quantiles[0].time, 3, 0, "q25"));
    cr_expect(check_rel(c->median, 4, 0, "median"));
    cr_expect(check_rel(c->quantiles[2].time, 7, 0, "q75")); /* S reaches 0 <= 0.25 at 7 */
    /* RMST to tau = 7 (largest time): 1 + 2 (7/8) + 1 (7/12) + 3 (7/16) = 223/48 */
    cr_expect(check_rel(r->tau, 7, 0, "tau"));
    cr_expect(check_rel(c->rmst, 223.0 / 48, 1e-15, "rmst"));
    /* var: areas after t=1, 3, 4 (t=7 has n = d: term 0) */
    double a4 = 3 * 7.0 / 16, a3 = a4 + 7.0 / 12, a1 = a3 + 2 * 7.0 / 8;
    double v = a1 * a1 * (1.0 / 56) + a3 * a3 * (2.0 / 24) + a4 * a4 * (1.0 / 12);
    cr_expect(check_rel(c->rmst_se, sqrt(v), 1e-14, "rmst_se"));
    /* summary at 0.5 and 3.5 (sorted): before any time S = 1, n at risk 8; then S(3) = 7/12,
       4 at risk at 3.5 (first time >= 3.5 is 4), 3 deaths and 1 censoring in (0.5, 3.5] */
    cr_assert_eq(c->n_summary, 2);
    cr_expect(check_rel(c->sum_time[0], 0.5, 0, "sum t0"));
    cr_expect(check_rel(c->sum_surv[0], 1, 0, "sum s0"));
    cr_expect(check_rel(c->sum_n_risk[0], 8, 0, "sum n0"));
    cr_expect(check_rel(c->sum_surv[1], 7.0 / 12, 1e-15, "sum s1"));
    cr_expect(check_rel(c->sum_n_risk[1], 4, 0, "sum n1"));
    cr_expect(check_rel(c->sum_n_event[1], 3, 0, "sum e1"));
    cr_expect(check_rel(c->sum_n_censor[1], 1, 0, "sum c1"));
    carta_km_result_free(r);

    /* Fleming-Harrington (ctype 2): the two tied deaths at 3 add 1/6 + 1/5 */
    spec.ctype = 2;
    r = fit_km(&spec, &d);
    c = &r->curves[0];
    cr_expect(check_rel(c->cumhaz[2], 1.0 / 8 + 1.0 / 6 + 1.0 / 5, 1e-15, "fh cumhaz"));
    cr_expect(check_rel(c->cumhaz_se[2], sqrt(1.0 / 64 + 1.0 / 36 + 1.0 / 25), 1e-15, "fh se"));
    cr_expect(check_rel(c->surv[2], 7.0 / 12, 1e-15, "fh keeps KM survival"));
    carta_km_result_free(r);
}

Test(km, weight_two_equals_a_duplicated_row)
{
    double t2[9], w[8];
    int s2[9];
    for (int i = 0; i < 8; i++) { t2[i] = hand_t[i]; s2[i] = hand_s[i]; w[i] = 1; }
    t2[8] = hand_t[2]; s2[8] = hand_s[2]; w[2] = 2; /* row 3 (a death at 3) twice */
    carta_surv_data dw = { .n = 8, .time = hand_t, .status = hand_s, .weight = w };
    carta_surv_data dd = { .n = 9, .time = t2, .status = s2 };
    carta_km_spec spec;
    carta_km_spec_default(&spec);
    spec.conf_type = CARTA_KM_CONF_LOGLOG;
    carta_km_result *a = fit_km(&spec, &dw), *b = fit_km(&spec, &dd);
    carta_km_curve *x = &a->curves[0], *y = &b->curves[0];
    cr_assert_eq(x->n_rows, y->n_rows);
    for (size_t i = 0; i < x->n_rows; i++) {
        cr_expect(check_rel(x->n_risk[i], y->n_risk[i], 0, "n_risk[%zu]", i));
        cr_expect(check_rel(x->surv[i], y->surv[i], 1e-15, "surv[%zu]", i));
        cr_expect(check_rel(x->std_err[i], y->std_err[i], 1e-15, "std_err[%zu]", i));
        cr_expect(check_rel(x->lower[i], y->lower[i], 1e-14, "lower[%zu]", i));
        cr_expect(check_rel(x->cumhaz_se[i], y->cumhaz_se[i], 1e-15, "cumhaz_se[%zu]", i));
    }
    cr_expect(check_rel(x->rmst_se, y->rmst_se, 1e-14, "rmst_se"));
    carta_km_result_free(a);
    carta_km_result_free(b);
}

Test(km, row_permutation_gives_identical_results)
{
    cJSON *j = ref_load("tests/reference/km/lung_sex_log.json");
    size_t n, k;
    double *time = arr(j, "time", &n), *st = arr(j, "status", &k), *g = arr(j, "group", &k);
    int *status = malloc(n * sizeof *status), *group = malloc(n * sizeof *group);
    double *pt = malloc(n * sizeof *pt);
    int *ps = malloc(n * sizeof *ps), *pg = malloc(n * sizeof *pg);
    for (size_t i = 0; i < n; i++) {
        status[i] = (int)st[i]; group[i] = (int)g[i];
        size_t p = (i * 37 + 11) % n; /* n = 228 and 37 are coprime: a permutation */
        pt[p] = time[i]; ps[p] = (int)st[i]; pg[p] = (int)g[i];
    }
    carta_surv_data a = { .n = n, .time = time, .status = status, .group = group, .n_groups = 2 };
    carta_surv_data b = { .n = n, .time = pt, .status = ps, .group = pg, .n_groups = 2 };
    carta_km_spec spec;
    carta_km_spec_default(&spec);
    carta_km_result *ra = fit_km(&spec, &a), *rb = fit_km(&spec, &b);
    for (size_t c = 0; c < 2; c++) {
        carta_km_curve *x = &ra->curves[c], *y = &rb->curves[c];
        cr_assert_eq(x->n_rows, y->n_rows);
        cr_expect(memcmp(x->time, y->time, x->n_rows * sizeof(double)) == 0, "times differ");
        cr_expect(memcmp(x->n_risk, y->n_risk, 9 * x->n_rows * sizeof(double)) == 0, "table differs");
        cr_expect(x->median == y->median && x->rmst == y->rmst && x->rmst_se == y->rmst_se);
    }
    carta_km_result_free(ra);
    carta_km_result_free(rb);
    free(time); free(st); free(g); free(status); free(group); free(pt); free(ps); free(pg);
    cJSON_Delete(j);
}

/* ---- bad input ---- */
Test(km, all_censored_is_flat_at_one_with_no_median)
{
    const double t[4] = { 2, 5, 5, 9 };
    const int s[4] = { 0, 0, 0, 0 };
    carta_surv_data d = { .n = 4, .time = t, .status = s };
    carta_km_spec spec;
    carta_km_spec_default(&spec);
    carta_km_result *r = fit_km(&spec, &d);
    carta_km_curve *c = &r->curves[0];
    cr_assert_eq(c->n_rows, 3);
    for (size_t i = 0; i < 3; i++) {
        cr_expect(c->surv[i] == 1 && c->std_err[i] == 0 && c->cumhaz[i] == 0);
        cr_expect(c->lower[i] == 1 && c->upper[i] == 1);
    }
    cr_expect(isnan(c->median) && isnan(c->median_lower) && isnan(c->median_upper));
    cr_expect(c->events == 0);
    cr_expect(check_rel(c->rmst, 9, 0, "rmst = tau"));
    carta_km_result_free(r);
}

Test(km, a_group_without_rows_gives_an_empty_curve)
{
    const int grp[8] = { 0, 0, 2, 2, 0, 2, 0, 2 };
    const char *labs[3] = { "arm=A", "arm=B", "arm=C" };
    carta_surv_data d = { .n = 8, .time = hand_t, .status = hand_s, .group = grp, .n_groups = 3,
                          .group_labels = labs };
    carta_km_spec spec;
    carta_km_spec_default(&spec);
    carta_km_result *r = fit_km(&spec, &d);
    cr_assert_eq(r->n_curves, 3);
    cr_expect_str_eq(r->curves[1].label, "arm=B");
    cr_expect(r->curves[1].n == 0 && r->curves[1].n_rows == 0);
    cr_expect(isnan(r->curves[1].median) && isnan(r->curves[1].rmst));
    cr_expect(r->curves[0].n == 4 && r->curves[2].n == 4);
    carta_km_result_free(r);
}

static void expect_row_error(const carta_surv_data *d, long row)
{
    carta_km_spec spec;
    carta_km_spec_default(&spec);
    carta_error err;
    carta_error_clear(&err);
    carta_km_result *r = NULL;
    cr_expect_eq(carta_km_fit(&spec, d, &r, &err), CARTA_EDATA);
    cr_expect_null(r);
    cr_expect_eq(err.row, row, "row %ld expected, got %ld (%s)", row, err.row, err.msg);
}

Test(km, bad_rows_are_named)
{
    double t[8], w[8], st[8];
    int s[8];
    for (int i = 0; i < 8; i++) { t[i] = hand_t[i]; s[i] = hand_s[i]; w[i] = 1; st[i] = t[i] - 1; }
    carta_surv_data d = { .n = 8, .time = t, .status = s };
    t[4] = NAN;
    expect_row_error(&d, 5);
    t[4] = INFINITY;
    expect_row_error(&d, 5);
    t[4] = 2;
    w[6] = -1;
    d.weight = w;
    expect_row_error(&d, 7);
    w[6] = NAN;
    expect_row_error(&d, 7);
    w[6] = 1;
    st[2] = t[2]; /* entry at exit */
    d.start = st;
    expect_row_error(&d, 3);
    st[2] = t[2] + 1; /* entry after exit */
    expect_row_error(&d, 3);
    st[2] = t[2] - 1;
    s[5] = 2;
    expect_row_error(&d, 6);
}

Test(km, zero_weight_rows_add_their_time_and_nothing_else)
{
    double w[8] = { 1, 1, 1, 0, 1, 1, 1, 1 }; /* the death at 7 weighs nothing */
    carta_surv_data d = { .n = 8, .time = hand_t, .status = hand_s, .weight = w };
    carta_km_spec spec;
    carta_km_spec_default(&spec);
    carta_km_result *r = fit_km(&spec, &d);
    carta_km_curve *c = &r->curves[0];
    cr_assert_eq(c->n_rows, 6);
    cr_expect(c->time[5] == 7 && c->n_event[5] == 0 && c->n_risk[5] == 0);
    /* the row also leaves every risk set: 6/7 * 3/5 * 2/3 at t = 4, unchanged at 7 */
    cr_expect(check_rel(c->surv[3], 12.0 / 35, 1e-15, "surv(4)"));
    cr_expect(check_rel(c->surv[5], 12.0 / 35, 1e-15, "surv stays"));
    cr_expect(c->n == 8);
    carta_km_result_free(r);
}

Test(km, spec_check_names_the_field)
{
    carta_km_spec spec;
    carta_error err;
    carta_km_spec_default(&spec);
    spec.conf_level = 1;
    carta_error_clear(&err);
    cr_expect_eq(carta_km_spec_check(&spec, &err), CARTA_ECONFIG);
    cr_expect_str_eq(err.field, "conf_level");
    carta_km_spec_default(&spec);
    spec.ctype = 3;
    carta_error_clear(&err);
    cr_expect_eq(carta_km_spec_check(&spec, &err), CARTA_ECONFIG);
    cr_expect_str_eq(err.field, "ctype");
    double p[1] = { 1.5 };
    carta_km_spec_default(&spec);
    spec.probs = p; spec.n_probs = 1;
    carta_error_clear(&err);
    cr_expect_eq(carta_km_spec_check(&spec, &err), CARTA_ECONFIG);
}

Test(km, failed_allocations_leak_nothing)
{
    const int grp[8] = { 0, 1, 0, 1, 0, 1, 0, 1 };
    double st[8], times[2] = { 2, 4 };
    for (int i = 0; i < 8; i++) st[i] = hand_t[i] - 1.5;
    carta_surv_data d = { .n = 8, .time = hand_t, .start = st, .status = hand_s, .group = grp, .n_groups = 2 };
    carta_km_spec spec;
    carta_km_spec_default(&spec);
    spec.times = times; spec.n_times = 2;
    for (int pass = 0; pass < 2; pass++) {
    if (pass == 1) { /* the (start, stop] IJ and the compact table */
        spec.variance = CARTA_KM_VAR_IJ;
        spec.table = CARTA_KM_TABLE_COMPACT;
    }
    int ok = 0;
    for (long k = 1; k < 200 && !ok; k++) {
        carta_error err;
        carta_error_clear(&err);
        carta_km_result *r = NULL;
        carta_alloc_fail_at(k);
        int rc = carta_km_fit(&spec, &d, &r, &err);
        carta_alloc_fail_at(0);
        cr_assert(rc == CARTA_OK || rc == CARTA_ENOMEM, "k=%ld rc=%d", k, rc);
        if (rc == CARTA_OK) ok = 1; else cr_expect_null(r);
        carta_km_result_free(r);
    }
    cr_expect(ok, "never succeeded");
    }
}

Test(km, r_near_ties_timefix) { run_case("near_ties"); }

/* Dense near-ties (more candidates than timefix keeps): the exact rule by a second merge. Times
   1000 + k and 1000 + k + 1e-6 (k = 0..19999) are 20000 times of two rows each for R's aeqSurv
   (1e-6 / mean < sqrt(eps), 1 / mean is not); with timefix off they stay 40000 times. */
Test(km, dense_near_ties_use_the_exact_rule)
{
    size_t n = 40000;
    double *t = malloc(n * sizeof *t);
    int *s = malloc(n * sizeof *s);
    for (size_t i = 0; i < n; i++) {
        size_t p = (i * 7919) % n; /* shuffled */
        t[p] = 1000.0 + (double)(i / 2) + (i % 2 ? 1e-6 : 0.0);
        s[p] = (int)(i % 3 == 0);
    }
    carta_surv_data d = { .n = n, .time = t, .status = s };
    carta_km_spec spec;
    carta_km_spec_default(&spec);
    spec.table = CARTA_KM_TABLE_COMPACT;
    carta_km_result *r = fit_km(&spec, &d);
    cr_assert_eq(r->curves[0].n_rows, 20000);
    carta_km_rows it;
    carta_km_row row;
    carta_km_rows_begin(r, 0, &it);
    size_t j = 0, bad = 0;
    while (carta_km_rows_next(&it, &row)) {
        bad += row.time != 1000.0 + (double)j || row.n_event + row.n_censor != 2 || row.n_risk != (double)(n - 2 * j);
        j++;
    }
    cr_expect_eq(bad, 0, "%zu rows are not the merged pairs", bad);
    carta_km_result_free(r);
    spec.timefix = 0;
    r = fit_km(&spec, &d);
    cr_expect_eq(r->curves[0].n_rows, n);
    carta_km_result_free(r);
    free(t);
    free(s);
}

/* (start, stop] data whose every row enters before the first time is right-censored data: the
   (start, stop] IJ (per-row entry and exit terms) equals the right-censored IJ (moments). */
Test(km, ij_with_early_entry_equals_right_censored_ij)
{
    cJSON *j = ref_load("tests/reference/km/veteran_fracweights_ij.json");
    size_t n, k;
    double *time = arr(j, "time", &n), *st = arr(j, "status", &k), *g = arr(j, "group", &k), *w = arr(j, "weights", &k);
    int *status = malloc(n * sizeof *status), *group = malloc(n * sizeof *group);
    double *start = malloc(n * sizeof *start);
    for (size_t i = 0; i < n; i++) { status[i] = (int)st[i]; group[i] = (int)g[i]; start[i] = -1; }
    carta_surv_data a = { .n = n, .time = time, .status = status, .group = group, .n_groups = 4, .weight = w };
    carta_surv_data b = a;
    b.start = start;
    carta_km_spec spec;
    carta_km_spec_default(&spec);
    spec.timefix = 0; /* (start, stop] times are never merged */
    carta_km_result *ra = fit_km(&spec, &a), *rb = fit_km(&spec, &b);
    for (size_t c = 0; c < 4; c++) {
        carta_km_curve *x = &ra->curves[c], *y = &rb->curves[c];
        cr_assert_eq(x->n_rows, y->n_rows);
        for (size_t i = 0; i < x->n_rows; i++) {
            cr_expect(check_rel(y->std_err[i], x->std_err[i], 1e-11, "std_err[%zu]", i));
            cr_expect(check_rel(y->cumhaz_se[i], x->cumhaz_se[i], 1e-11, "cumhaz_se[%zu]", i));
        }
    }
    carta_km_result_free(ra);
    carta_km_result_free(rb);
    free(time); free(st); free(g); free(w); free(status); free(group); free(start);
    cJSON_Delete(j);
}
