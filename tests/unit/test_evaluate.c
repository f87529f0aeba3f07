/* Resampling splits and binary metrics (AUC with DeLong CI, Brier, recalibration) against R's
   pROC and glm (tests/reference/metrics). */
#include <carta/evaluate.h>
#include <carta/alloc.h>

#include "check.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static double num(const cJSON *o, const char *k) { return cJSON_GetObjectItem(o, k)->valuedouble; }

Test(evaluate, binary_metrics_agree_with_pROC_and_glm)
{
    cJSON *ref = ref_load("tests/reference/metrics/binary.json");
    size_t n, k;
    double *y = ref_doubles(ref, "y", &n), *p = ref_doubles(ref, "p", &k);
    const cJSON *e = cJSON_GetObjectItem(ref, "expected");
    carta_metric auc, brier, slope, citl, oe;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_auc(n, y, p, 0.95, &auc, &err), CARTA_OK, "%s", err.msg);
    cr_expect(check_rel(auc.value, num(e, "auc"), ref_tol(ref, "auc"), "auc"));
    cr_expect(check_rel(auc.se, num(e, "auc_se"), ref_tol(ref, "auc_ci"), "auc se"));
    cr_expect(check_rel(auc.lower, num(e, "auc_lower"), ref_tol(ref, "auc_ci"), "auc lower"));
    cr_expect(check_rel(auc.upper, num(e, "auc_upper"), ref_tol(ref, "auc_ci"), "auc upper"));
    cr_assert_eq(carta_brier(n, y, p, 0.95, &brier, &err), CARTA_OK);
    cr_expect(check_rel(brier.value, num(e, "brier"), ref_tol(ref, "brier"), "brier"));
    cr_assert_eq(carta_calibration(n, y, p, 0.95, &slope, &citl, &oe, &err), CARTA_OK, "%s", err.msg);
    cr_expect(check_rel(slope.value, num(e, "slope"), ref_tol(ref, "slope"), "slope"));
    cr_expect(check_rel(slope.se, num(e, "slope_se"), ref_tol(ref, "se"), "slope se"));
    cr_expect(check_rel(citl.value, num(e, "citl"), ref_tol(ref, "slope"), "calibration in the large"));
    cr_expect(check_rel(citl.se, num(e, "citl_se"), ref_tol(ref, "se"), "citl se"));
    cr_expect(check_rel(oe.value, num(e, "oe"), ref_tol(ref, "oe"), "O/E"));
    free(y);
    free(p);
    cJSON_Delete(ref);
}

/* Worked by hand: cases {0.8, 0.4, 0.4}, controls {0.4, 0.2}: of 6 pairs, 4 concordant and 2
   tied at 0.4, so AUC = (4 + 2/2) / 6 = 5/6. */
Test(evaluate, auc_counts_ties_as_half)
{
    double y[] = { 1, 1, 1, 0, 0 }, s[] = { 0.8, 0.4, 0.4, 0.4, 0.2 };
    carta_metric a;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_auc(5, y, s, 0.95, &a, &err), CARTA_OK);
    cr_expect(check_rel(a.value, 5.0 / 6, 1e-15, "auc"));
    double one[] = { 1, 1 };
    cr_expect_eq(carta_auc(2, one, s, 0.95, &a, &err), CARTA_ENUMERIC);
}

static void expect_partition(const carta_splits *s, size_t n, int test_once)
{
    int *seen = calloc(n, sizeof *seen);
    for (size_t k = 0; k < s->n; k++) {
        const carta_split *sp = &s->s[k];
        cr_expect_eq(sp->n_train + sp->n_test, n, "%s", sp->label);
        int *in = calloc(n, sizeof *in);
        for (size_t i = 0; i < sp->n_test; i++) in[sp->test[i]]++;
        for (size_t i = 0; i < sp->n_train; i++) cr_expect_eq(in[sp->train[i]], 0, "%s: row in both sets", sp->label);
        for (size_t i = 0; i < sp->n_test; i++) seen[sp->test[i]]++;
        free(in);
    }
    if (test_once)
        for (size_t i = 0; i < n; i++) cr_expect_eq(seen[i], test_once, "row %zu tested %d times", i, seen[i]);
    free(seen);
}

Test(evaluate, stratified_kfold_partitions_and_balances)
{
    size_t n = 103;
    int strata[103];
    for (size_t i = 0; i < n; i++) strata[i] = i % 5 == 0; /* 21 events */
    carta_split_spec spec = { .kind = CARTA_SPLIT_KFOLD, .folds = 5, .seed = 42 };
    carta_splits *s, *s2;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_splits_make(&spec, n, strata, NULL, NULL, 0, NULL, &s, &err), CARTA_OK, "%s", err.msg);
    cr_expect_eq(s->n, 5);
    expect_partition(s, n, 1);
    for (size_t k = 0; k < s->n; k++) {
        size_t ev = 0;
        for (size_t i = 0; i < s->s[k].n_test; i++) ev += strata[s->s[k].test[i]];
        cr_expect(ev == 4 || ev == 5, "fold %zu has %zu events", k, ev);
        cr_expect(s->s[k].n_test == 20 || s->s[k].n_test == 21);
    }
    /* The same seed gives the same splits; another seed, others. */
    cr_assert_eq(carta_splits_make(&spec, n, strata, NULL, NULL, 0, NULL, &s2, &err), CARTA_OK);
    cr_expect_eq(memcmp(s->s[2].test, s2->s[2].test, s->s[2].n_test * sizeof(size_t)), 0);
    carta_splits_free(s2);
    spec.seed = 43;
    cr_assert_eq(carta_splits_make(&spec, n, strata, NULL, NULL, 0, NULL, &s2, &err), CARTA_OK);
    int differ = 0;
    for (size_t k = 0; k < 5; k++)
        differ |= s->s[k].n_test != s2->s[k].n_test || memcmp(s->s[k].test, s2->s[k].test, s->s[k].n_test * sizeof(size_t));
    cr_expect(differ);
    carta_splits_free(s);
    carta_splits_free(s2);
}

Test(evaluate, leave_one_group_out_and_grouped_folds_keep_groups_whole)
{
    size_t n = 40;
    int group[40];
    for (size_t i = 0; i < n; i++) group[i] = (int)(i % 4);
    const char *labels[] = { "S1", "S2", "S3", "S4" };
    carta_split_spec spec = { .kind = CARTA_SPLIT_LEAVE_ONE_GROUP_OUT, .seed = 1 };
    carta_splits *s;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_splits_make(&spec, n, NULL, group, labels, 4, "STUDYID", &s, &err), CARTA_OK);
    cr_expect_eq(s->n, 4);
    cr_expect_str_eq(s->s[2].label, "STUDYID=S3");
    for (size_t i = 0; i < s->s[2].n_test; i++) cr_expect_eq(group[s->s[2].test[i]], 2);
    expect_partition(s, n, 1);
    carta_splits_free(s);
    spec.kind = CARTA_SPLIT_GROUPED_KFOLD;
    spec.folds = 2;
    cr_assert_eq(carta_splits_make(&spec, n, NULL, group, labels, 4, "STUDYID", &s, &err), CARTA_OK);
    expect_partition(s, n, 1);
    for (size_t k = 0; k < s->n; k++)
        for (size_t i = 0; i < s->s[k].n_train; i++)
            for (size_t j = 0; j < s->s[k].n_test; j++) cr_expect_neq(group[s->s[k].train[i]], group[s->s[k].test[j]]);
    carta_splits_free(s);
    spec.folds = 5;
    carta_error_clear(&err);
    cr_expect_eq(carta_splits_make(&spec, n, NULL, group, labels, 4, "STUDYID", &s, &err), CARTA_EDATA);
}

Test(evaluate, holdout_and_bootstrap)
{
    size_t n = 200;
    int strata[200];
    for (size_t i = 0; i < n; i++) strata[i] = i < 50;
    carta_split_spec spec = { .kind = CARTA_SPLIT_HOLDOUT, .holdout = 0.25, .seed = 9 };
    carta_splits *s;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_splits_make(&spec, n, strata, NULL, NULL, 0, NULL, &s, &err), CARTA_OK);
    cr_expect_eq(s->s[0].n_test, 51); /* each stratum rounds its share: 37.5 -> 38 and 12.5 -> 13 */
    size_t ev = 0;
    for (size_t i = 0; i < s->s[0].n_test; i++) ev += strata[s->s[0].test[i]];
    cr_expect_eq(ev, 13); /* round(50 * 0.25) events, stratified */
    carta_splits_free(s);
    spec.kind = CARTA_SPLIT_BOOTSTRAP;
    spec.bootstrap = 3;
    cr_assert_eq(carta_splits_make(&spec, n, NULL, NULL, NULL, 0, NULL, &s, &err), CARTA_OK);
    cr_expect_eq(s->n, 3);
    int dup = 0;
    for (size_t i = 1; i < n; i++) for (size_t j = 0; j < i && !dup; j++) dup |= s->s[0].train[i] == s->s[0].train[j];
    cr_expect(dup, "a bootstrap sample of 200 draws repeats some row");
    carta_splits_free(s);
}
