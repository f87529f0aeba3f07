/* Harrell's concordance (carta_concordance): R's concordance() references, the worked anchors of
 * shared/domain/metrics.md, brute-force O(n^2) pair counts and jackknife, invariances (row order,
 * time shift) and out-of-memory paths. */
#include <carta/concordance.h>
#include <carta/alloc.h>

#include "check.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
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

/* A random (start, stop] sample with tied times, tied scores, non-integer weights, three strata
   and clusters of two or three rows; times shifted by `shift` (a negative shift makes the sort
   take status and time as two keys instead of one). */
enum { RN = 400 };
typedef struct rsample {
    double t[RN], st[RN], sc[RN], w[RN];
    int ev[RN], s[RN], cl[RN];
} rsample;

static void rsample_fill(rsample *r, unsigned long long seed, double shift)
{
    unsigned long long x = seed;
#define U01() ((x = x * 6364136223846793005ULL + 1442695040888963407ULL), (double)(x >> 11) / 9007199254740992.0)
    for (int i = 0; i < RN; i++) {
        r->t[i] = 1 + floor(25 * U01());
        r->st[i] = U01() < 0.5 ? 0 : floor(r->t[i] * U01());
        if (r->st[i] >= r->t[i]) r->st[i] = r->t[i] - 1;
        r->t[i] += shift;
        r->st[i] += shift;
        r->ev[i] = U01() < 0.6;
        r->sc[i] = U01() < 0.5 ? floor(10 * U01()) : U01();
        r->w[i] = 0.25 + 2 * U01();
        r->s[i] = (int)(3 * U01());
        r->cl[i] = i / 3 + (U01() < 0.3);
    }
#undef U01
}

/* Brute force of the jackknife: every comparable pair (i event, j at risk after t_i in the same
   stratum, entered before t_i) adds w_j to i's count and w_i to j's, in its class (j's score
   larger, smaller, tied); dfbeta_r = w_r ((I_c - I_d) / npair - d / npair (I_c + I_d + I_t)),
   summed within clusters; se = sqrt(sum dfbeta^2 / 4) (the formula of the file header, R's
   concordance3/4 with timewt = "n"). reverse = 1. */
static void brute_jackknife(const rsample *r, double *c, double *se)
{
    static double im[RN][3], dfb[RN];
    double cnt[3] = { 0, 0, 0 };
    memset(im, 0, sizeof im);
    memset(dfb, 0, sizeof dfb);
    for (int i = 0; i < RN; i++) {
        if (!r->ev[i]) continue;
        for (int j = 0; j < RN; j++) {
            if (j == i || r->s[j] != r->s[i] || !(r->st[j] < r->t[i])) continue;
            if (!(r->t[j] > r->t[i] || (r->t[j] == r->t[i] && !r->ev[j]))) continue;
            int k = r->sc[j] > r->sc[i] ? 0 : r->sc[j] < r->sc[i] ? 1 : 2;
            cnt[k] += r->w[i] * r->w[j];
            im[i][k] += r->w[j];
            im[j][k] += r->w[i];
        }
    }
    double npair = cnt[0] + cnt[1] + cnt[2], somer = (cnt[0] - cnt[1]) / npair, var = 0;
    for (int i = 0; i < RN; i++)
        dfb[r->cl[i]] += r->w[i] * ((im[i][0] - im[i][1]) / npair - somer / npair * (im[i][0] + im[i][1] + im[i][2]));
    for (int g = 0; g < RN; g++) var += dfb[g] * dfb[g];
    *c = 1 - (somer + 1) / 2;
    *se = sqrt(var / 4);
}

Test(cox_concordance, se_equals_a_brute_force_jackknife)
{
    static rsample r;
    rsample_fill(&r, 2026, 0);
    double c, se;
    brute_jackknife(&r, &c, &se);
    carta_concordance_result res;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_concordance(RN, r.t, r.st, r.ev, r.sc, r.w, r.s, r.cl, 1, &res, &err), CARTA_OK);
    cr_expect(check_rel(res.c, c, 1e-12, "C"));
    cr_expect(check_rel(res.se, se, 1e-12, "se"));
    /* without start times: every row at risk from the origin */
    for (int i = 0; i < RN; i++) r.st[i] = -1e300;
    brute_jackknife(&r, &c, &se);
    cr_assert_eq(carta_concordance(RN, r.t, NULL, r.ev, r.sc, r.w, r.s, r.cl, 1, &res, &err), CARTA_OK);
    cr_expect(check_rel(res.c, c, 1e-12, "C, no start"));
    cr_expect(check_rel(res.se, se, 1e-12, "se, no start"));
}

/* Only the order of the times matters: shifting every time (and start) below zero changes
   nothing, to the bit (the sort then takes status and time as two keys). */
Test(cox_concordance, shifted_times_give_the_same_bits)
{
    static rsample a, b;
    rsample_fill(&a, 7, 0);
    rsample_fill(&b, 7, -1000);
    carta_concordance_result ra, rb;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_concordance(RN, a.t, a.st, a.ev, a.sc, a.w, a.s, a.cl, 1, &ra, &err), CARTA_OK);
    cr_assert_eq(carta_concordance(RN, b.t, b.st, b.ev, b.sc, b.w, b.s, b.cl, 1, &rb, &err), CARTA_OK);
    cr_expect(ra.c == rb.c && ra.se == rb.se, "C %.17g vs %.17g, se %.17g vs %.17g", ra.c, rb.c, ra.se, rb.se);
    cr_expect_eq(memcmp(ra.counts, rb.counts, sizeof ra.counts), 0);
}

/* The rows' order is not part of the input: a shuffled copy (strata, clusters, weights, start
   times moved with their rows) gives the same C and se to 1e-12, with and without start times. */
Test(cox_concordance, shuffled_rows_give_the_same_c_and_se)
{
    static rsample a, b;
    rsample_fill(&a, 11, 0);
    unsigned long long x = 5;
    int perm[RN];
    for (int i = 0; i < RN; i++) perm[i] = i;
    for (int i = RN - 1; i > 0; i--) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        int k = (int)((x >> 33) % (unsigned long long)(i + 1)), t = perm[i];
        perm[i] = perm[k];
        perm[k] = t;
    }
    for (int i = 0; i < RN; i++) {
        int j = perm[i];
        b.t[i] = a.t[j]; b.st[i] = a.st[j]; b.sc[i] = a.sc[j]; b.w[i] = a.w[j];
        b.ev[i] = a.ev[j]; b.s[i] = a.s[j]; b.cl[i] = a.cl[j];
    }
    carta_error err;
    carta_error_clear(&err);
    for (int with_start = 0; with_start < 2; with_start++) {
        carta_concordance_result ra, rb;
        cr_assert_eq(carta_concordance(RN, a.t, with_start ? a.st : NULL, a.ev, a.sc, a.w, a.s, a.cl, 1, &ra, &err), CARTA_OK);
        cr_assert_eq(carta_concordance(RN, b.t, with_start ? b.st : NULL, b.ev, b.sc, b.w, b.s, b.cl, 1, &rb, &err), CARTA_OK);
        cr_expect(check_rel(rb.c, ra.c, 1e-12, "shuffled C (start %d)", with_start));
        cr_expect(check_rel(rb.se, ra.se, 1e-12, "shuffled se (start %d)", with_start));
        cr_expect_eq(check_vec(rb.counts, ra.counts, 5, 1e-12, "shuffled counts"), 0);
    }
}

/* Every allocation failing in turn ends in CARTA_ENOMEM (the sanitizer build checks that nothing
   leaks), with start times, strata, weights and clusters (every allocation path); past the last
   allocation the result is the usual one. */
Test(cox_concordance, out_of_memory_at_every_allocation)
{
    static rsample r;
    rsample_fill(&r, 3, 0);
    carta_concordance_result ref, res;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_concordance(RN, r.t, r.st, r.ev, r.sc, r.w, r.s, r.cl, 1, &ref, &err), CARTA_OK);
    int failed = 0, ok = 0;
    for (long k = 1; k < 40; k++) {
        carta_error_clear(&err);
        carta_alloc_fail_at(k);
        int rc = carta_concordance(RN, r.t, r.st, r.ev, r.sc, r.w, r.s, r.cl, 1, &res, &err);
        carta_alloc_fail_at(0);
        if (rc == CARTA_OK) {
            ok++;
            cr_expect(res.c == ref.c && res.se == ref.se, "k = %ld: C %.17g se %.17g", k, res.c, res.se);
            continue;
        }
        failed++;
        cr_assert_eq(rc, CARTA_ENOMEM, "k = %ld: %d", k, rc);
    }
    cr_assert_gt(failed, 5);
    cr_assert_gt(ok, 0);
}

/* Bad input is an error naming the row and the array (a negative cluster id would index out of
   bounds; a NaN score or time would corrupt the sorts), and the first bad row is the one named. */
Test(cox_concordance, bad_input_names_the_row)
{
    double t[4] = { 1, 2, 3, 4 }, st[4] = { 0, 0, 0, 0 }, sc[4] = { 0.1, 0.2, 0.3, 0.4 }, w[4] = { 1, 1, 1, 1 };
    int ev[4] = { 1, 0, 1, 1 }, s[4] = { 0, 0, 1, 1 }, cl[4] = { 0, 1, 2, 3 };
    struct { const char *field; int row; } cases[] = {
        { "time", 2 }, { "start", 3 }, { "status", 4 }, { "score", 1 }, { "weight", 2 }, { "strata", 3 }, { "cluster", 4 },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        double t2[4], st2[4], sc2[4], w2[4];
        int ev2[4], s2[4], cl2[4];
        memcpy(t2, t, sizeof t); memcpy(st2, st, sizeof st); memcpy(sc2, sc, sizeof sc); memcpy(w2, w, sizeof w);
        memcpy(ev2, ev, sizeof ev); memcpy(s2, s, sizeof s); memcpy(cl2, cl, sizeof cl);
        int r = cases[k].row - 1;
        switch (k) {
        case 0: t2[r] = NAN; break;
        case 1: st2[r] = t2[r]; break;
        case 2: ev2[r] = 2; break;
        case 3: sc2[r] = NAN; break;
        case 4: w2[r] = 0; break;
        case 5: s2[r] = -1; break;
        default: cl2[r] = -1; break;
        }
        carta_concordance_result res;
        carta_error err;
        carta_error_clear(&err);
        int rc = carta_concordance(4, t2, st2, ev2, sc2, w2, s2, cl2, 1, &res, &err);
        cr_expect_eq(rc, CARTA_EDATA, "%s: rc %d", cases[k].field, rc);
        cr_expect_eq(err.row, cases[k].row, "%s: row %ld", cases[k].field, err.row);
        cr_expect_str_eq(err.field, cases[k].field);
    }
    /* more rows than the 32-bit row numbers of the sort can hold: refused before any array is
       read (the arrays here are far shorter than n) */
    {
        carta_concordance_result res;
        carta_error err;
        carta_error_clear(&err);
        cr_expect_eq(carta_concordance((size_t)UINT32_MAX + 1, t, NULL, ev, sc, NULL, NULL, NULL, 1, &res, &err), CARTA_EDATA);
        cr_expect(strstr(err.msg, "at most") != NULL, "%s", err.msg);
    }
    /* infinite scores are ranked, not refused */
    double sc3[4] = { -INFINITY, 0.2, 0.3, INFINITY };
    carta_concordance_result res;
    carta_error err;
    carta_error_clear(&err);
    cr_expect_eq(carta_concordance(4, t, NULL, ev, sc3, NULL, NULL, NULL, 1, &res, &err), CARTA_OK, "%s", err.msg);
}
