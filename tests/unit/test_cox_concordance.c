/* Harrell's concordance (carta_concordance): R's concordance() references, the worked anchors of
 * shared/domain/metrics.md, and a brute-force O(n^2) pair count. */
#include <carta/concordance.h>

#include "check.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int *opt_ints(const cJSON *j, const char *key, size_t n)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!a) return NULL;
    int *v = malloc(n * sizeof *v);
    size_t i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, a) v[i++] = (int)e->valuedouble;
    return v;
}

static void ref_case(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "tests/reference/cox/%s.json", name);
    cJSON *j = ref_load(path);
    size_t n, k;
    double *score = ref_doubles(j, "score", &n);
    double *time = ref_doubles(j, "time", &k);
    double *start = cJSON_GetObjectItemCaseSensitive(j, "start") ? ref_doubles(j, "start", &k) : NULL;
    double *w = cJSON_GetObjectItemCaseSensitive(j, "weights") ? ref_doubles(j, "weights", &k) : NULL;
    int *status = opt_ints(j, "status", n), *strata = opt_ints(j, "strata", n), *cluster = opt_ints(j, "cluster", n);
    carta_concordance_result r;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_concordance(n, time, start, status, score, w, strata, cluster, 1, &r, &err), CARTA_OK);
    double *c = ref_doubles(j, "concordance", &k);
    cr_expect(check_rel(r.c, c[0], ref_tol(j, "concordance"), "%s C", name));
    cr_expect(check_rel(r.se, c[1], ref_tol(j, "concordance_se"), "%s se", name));
    double *cnt = ref_doubles(j, "counts", &k);
    cr_expect_eq(check_vec(r.counts, cnt, 5, ref_tol(j, "counts"), name), 0);
    free(c); free(cnt); free(score); free(time); free(start); free(w); free(status); free(strata); free(cluster);
    cJSON_Delete(j);
}

Test(cox_concordance, r_s1_ties_in_time_and_risk) { ref_case("concordance_s1"); }
Test(cox_concordance, r_lung_strata_weights_clusters) { ref_case("concordance_lung_weighted"); }
Test(cox_concordance, r_heart_start_stop) { ref_case("concordance_heart"); }

/* metrics.md S2 (no ties): C = 16/18, 16 concordant and 2 discordant pairs. */
Test(cox_concordance, metrics_anchor_s2)
{
    const double t[8] = { 2, 3, 5, 7, 11, 13, 17, 19 }, risk[8] = { .8, .3, .6, .7, .2, .4, .1, .5 };
    const int ev[8] = { 1, 0, 1, 1, 0, 1, 0, 1 };
    carta_concordance_result r;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_concordance(8, t, NULL, ev, risk, NULL, NULL, NULL, 1, &r, &err), CARTA_OK);
    cr_expect(fabs(r.c - 0.8888888888888888) <= 1e-12, "C %.17g", r.c);
    cr_expect_eq(r.counts[0], 16);
    cr_expect_eq(r.counts[1], 2);
}

/* Brute force: every pair (i event, j at risk after t_i in the same stratum) with weights
   w_i w_j, on (start, stop] data with tied times and tied scores. */
Test(cox_concordance, counts_equal_a_brute_force_pair_count)
{
    enum { N = 300 };
    double t[N], st[N], sc[N], w[N];
    int ev[N], s[N];
    unsigned long long x = 99;
#define U01() ((x = x * 6364136223846793005ULL + 1442695040888963407ULL), (double)(x >> 11) / 9007199254740992.0)
    for (int i = 0; i < N; i++) {
        t[i] = 1 + floor(20 * U01());
        st[i] = U01() < 0.5 ? 0 : floor(t[i] * U01());
        if (st[i] >= t[i]) st[i] = t[i] - 1;
        ev[i] = U01() < 0.6;
        sc[i] = floor(8 * U01());
        w[i] = 1 + floor(3 * U01());
        s[i] = U01() < 0.4;
    }
#undef U01
    double cnt[5] = { 0 };
    for (int i = 0; i < N; i++) {
        if (!ev[i]) continue;
        for (int j = 0; j < N; j++) {
            if (j == i || s[j] != s[i] || !(st[j] < t[i])) continue;
            int later = t[j] > t[i] || (t[j] == t[i] && !ev[j]);
            if (later) {
                /* larger risk for the earlier event: concordant */
                if (sc[i] > sc[j]) cnt[0] += w[i] * w[j];
                else if (sc[i] < sc[j]) cnt[1] += w[i] * w[j];
                else cnt[2] += w[i] * w[j];
            } else if (t[j] == t[i] && ev[j] && j < i) {
                if (sc[i] == sc[j]) cnt[4] += w[i] * w[j];
                else cnt[3] += w[i] * w[j];
            }
        }
    }
    carta_concordance_result r;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_concordance(N, t, st, ev, sc, w, s, NULL, 1, &r, &err), CARTA_OK);
    cr_expect_eq(check_vec(r.counts, cnt, 5, 1e-12, "brute-force counts"), 0);
    cr_expect(check_rel(r.c, (cnt[0] + cnt[2] / 2) / (cnt[0] + cnt[1] + cnt[2]), 1e-13, "C"));
}
