/* Harrell's concordance (Harrell et al. 1982) with R survival's infinitesimal-jackknife variance.
 *
 * A pair (i, j) is comparable when i has an event at t_i and j is still at risk after t_i (T_j > t_i,
 * or censored at t_i; for (start, stop] data j must also have entered before t_i). Events tied in
 * time are not comparable (tied.y). With a larger score meaning a longer survival, the pair is
 * concordant when score_j > score_i, discordant when smaller, tied.x when equal; C = (concordant +
 * tied.x / 2) / (concordant + discordant + tied.x); reverse swaps concordant and discordant.
 * Variance (Therneau & Watson, survival vignette "Concordance", section on the variance): Somers'
 * d = (c - d)/npair; each row's influence counts (its concordant, discordant, tied.x pairs, as the
 * earlier or the later member) give dfbeta_i = w_i ((I_c - I_d)/npair - d/npair (I_c + I_d + I_t)),
 * summed within clusters; var(C) = sum dfbeta^2 / 4. This follows R's concordance3/concordance4
 * (timewt = "n"), with Fenwick trees over the within-stratum ranks of the score instead of R's
 * balanced binary tree (metrics.md section 6): O(n log n). */
#include <carta/concordance.h>

#include <carta/alloc.h>

#include "cox_internal.h" /* the stable radix ordering */

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct fen {
    double *f;     /* Fenwick sums */
    double *pt;    /* the weight at each rank itself (tied counts need no second walk) */
    size_t k;
    double total;
} fen;

static void fen_add(fen *t, size_t i, double v)
{
    t->total += v;
    t->pt[i] += v;
    for (; i <= t->k; i += i & (~i + 1)) t->f[i] += v;
}

static double fen_prefix(const fen *t, size_t i)
{
    double s = 0;
    for (; i > 0; i -= i & (~i + 1)) s += t->f[i];
    return s;
}

/* weights in the tree with a larger rank, a smaller rank, the same rank */
static void fen_walk(const fen *t, size_t rank, double sums[3])
{
    double below = fen_prefix(t, rank - 1), tied = t->pt[rank];
    sums[0] = t->total - below - tied;
    sums[1] = below;
    sums[2] = tied;
}

/* im holds three influence counts per row, interleaved (one cache line per row) */
static void influence(const fen *dt, size_t rank, double sign, double *im, size_t j)
{
    double ws[3];
    fen_walk(dt, rank, ws);
    im[3 * j] += sign * ws[1];
    im[3 * j + 1] += sign * ws[0];
    im[3 * j + 2] += sign * ws[2];
}

int carta_concordance(size_t n, const double *time, const double *start, const int *status,
                      const double *score, const double *weight, const int *strata,
                      const int *cluster, int reverse, carta_concordance_result *out,
                      carta_error *err)
{
    uint64_t *keys = NULL;
    cox_sort so = { 0 };
    size_t *ord = NULL, *ord2 = NULL, *rank = NULL;
    double *im = NULL, *tree = NULL, *dfb = NULL;
    int rc = CARTA_OK;
    double count[5] = { 0, 0, 0, 0, 0 };

    out->c = out->se = NAN;
    memset(out->counts, 0, sizeof out->counts);
    if (n == 0) return CARTA_OK;
    keys = carta_malloc(n * sizeof *keys);
    ord = carta_malloc(n * sizeof *ord);
    rank = carta_malloc(n * sizeof *rank);
    im = carta_calloc(3 * n, sizeof *im);
    tree = carta_calloc(4 * (n + 1), sizeof *tree);
    if (start) ord2 = carta_malloc(n * sizeof *ord2);
    if (!keys || !ord || !rank || !im || !tree || (start && !ord2) || cox_sort_new(&so, n) != CARTA_OK) {
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "concordance: no memory for %zu rows", n);
        goto done;
    }
#define W(j) (weight ? weight[(j)] : 1.0)
#define ST(j) (strata ? strata[(j)] : 0)
    /* ranks of the score within each stratum (tied scores share a rank): order by
       (stratum, score) */
    for (size_t i = 0; i < n; i++) keys[i] = cox_key_double(score[i], 0);
    cox_sort_by(&so, keys);
    if (strata) {
        for (size_t i = 0; i < n; i++) keys[i] = (uint64_t)(uint32_t)strata[i];
        cox_sort_by(&so, keys);
    }
    for (size_t i = 0, r = 0; i < n; i++) {
        size_t j = so.a[i].idx, jp = i ? so.a[i - 1].idx : 0;
        if (i == 0 || ST(j) != ST(jp)) r = 1;
        else if (score[j] != score[jp]) r++;
        rank[j] = r;
    }
    /* rows by (stratum, time desc, censored before events, score asc, row) */
    for (size_t i = 0; i < n; i++) so.a[i].idx = i;
    for (size_t i = 0; i < n; i++) keys[i] = cox_key_double(score[i], 0);
    cox_sort_by(&so, keys);
    for (size_t i = 0; i < n; i++) keys[i] = status[i] == 1;
    cox_sort_by(&so, keys);
    for (size_t i = 0; i < n; i++) keys[i] = cox_key_double(time[i], 1);
    cox_sort_by(&so, keys);
    if (strata) {
        for (size_t i = 0; i < n; i++) keys[i] = (uint64_t)(uint32_t)strata[i];
        cox_sort_by(&so, keys);
    }
    for (size_t i = 0; i < n; i++) ord[i] = so.a[i].idx;
    if (start) {
        for (size_t i = 0; i < n; i++) so.a[i].idx = i;
        for (size_t i = 0; i < n; i++) keys[i] = cox_key_double(start[i], 1);
        cox_sort_by(&so, keys);
        if (strata) {
            for (size_t i = 0; i < n; i++) keys[i] = (uint64_t)(uint32_t)strata[i];
            cox_sort_by(&so, keys);
        }
        for (size_t i = 0; i < n; i++) ord2[i] = so.a[i].idx;
    }

    for (size_t a = 0, a2 = 0; a < n;) {
        int s = ST(ord[a]);
        size_t b = a, b2 = a2, kmax = 0;
        while (b < n && ST(ord[b]) == s) { if (rank[ord[b]] > kmax) kmax = rank[ord[b]]; b++; }
        if (start) while (b2 < n && ST(ord2[b2]) == s) b2++;
        fen all = { tree, tree + (n + 1), kmax, 0 }, dth = { tree + 2 * (n + 1), tree + 3 * (n + 1), kmax, 0 };
        for (int t4 = 0; t4 < 4; t4++) memset(tree + (size_t)t4 * (n + 1), 0, (kmax + 1) * sizeof *tree);
        size_t i = a, i2 = a2;
        while (i < b) {
            size_t j = ord[i];
            if (status[j] != 1) {
                influence(&dth, rank[j], -1, im, j);
                fen_add(&all, rank[j], W(j));
                i++;
                continue;
            }
            if (start)
                for (; i2 < b2 && start[ord2[i2]] >= time[j]; i2++) {
                    size_t jj = ord2[i2];
                    influence(&dth, rank[jj], 1, im, jj);
                    fen_add(&all, rank[jj], -W(jj));
                }
            /* the tied events at this time (censored ones came first in the order) */
            size_t e = i;
            double dwt = 0, dwt2 = 0, xsave = score[j];
            while (e < b && time[ord[e]] == time[j]) {
                size_t jj = ord[e];
                double ws[3], wj = W(jj);
                count[3] += wj * dwt;
                dwt += wj;
                if (score[jj] != xsave) { dwt2 = 0; xsave = score[jj]; }
                count[4] += wj * dwt2;
                dwt2 += wj;
                fen_walk(&all, rank[jj], ws);
                for (int k = 0; k < 3; k++) {
                    count[k] += wj * ws[k];
                    im[3 * jj + (size_t)k] += ws[k];
                }
                fen_add(&dth, rank[jj], wj);
                e++;
            }
            for (size_t g = i; g < e; g++) {
                size_t jj = ord[g];
                influence(&dth, rank[jj], -1, im, jj);
                fen_add(&all, rank[jj], W(jj));
            }
            i = e;
        }
        /* pairs with the events after each row's entry into the tree: flip the signs back. The
           event tree is final now, so its prefix sums are taken once (in place of the Fenwick
           sums, which are not needed any more) and each row costs O(1). */
        double *cum = dth.f, acc = 0;
        cum[0] = 0;
        for (size_t r = 1; r <= kmax; r++) { acc += dth.pt[r]; cum[r] = acc; }
        for (size_t g = start ? i2 : a; g < (start ? b2 : b); g++) {
            size_t j = start ? ord2[g] : ord[g], rk = rank[j];
            double below = cum[rk - 1], tied = dth.pt[rk];
            im[3 * j] += below;
            im[3 * j + 1] += dth.total - below - tied;
            im[3 * j + 2] += tied;
        }
        a = b;
        a2 = b2;
    }
    count[3] -= count[4];

    double npair = count[0] + count[1] + count[2];
    if (!(npair > 0)) goto done;
    double somer = (count[0] - count[1]) / npair, var = 0;
    if (cluster) {
        size_t g = 0;
        for (size_t i = 0; i < n; i++) if ((size_t)cluster[i] + 1 > g) g = (size_t)cluster[i] + 1;
        if (!(dfb = carta_calloc(g, sizeof *dfb))) {
            rc = carta_error_set(err, CARTA_ENOMEM, NULL, "concordance: no memory for %zu clusters", g);
            goto done;
        }
        for (size_t i = 0; i < n; i++)
            dfb[cluster[i]] += W(i) * ((im[3 * i] - im[3 * i + 1]) / npair - somer / npair * (im[3 * i] + im[3 * i + 1] + im[3 * i + 2]));
        for (size_t k = 0; k < g; k++) var += dfb[k] * dfb[k];
    } else {
        for (size_t i = 0; i < n; i++) {
            double v = W(i) * ((im[3 * i] - im[3 * i + 1]) / npair - somer / npair * (im[3 * i] + im[3 * i + 1] + im[3 * i + 2]));
            var += v * v;
        }
    }
    var /= 4;
    out->c = (somer + 1) / 2;
    out->se = sqrt(var);
    if (reverse) {
        out->c = 1 - out->c;
        double t = count[0]; count[0] = count[1]; count[1] = t;
    }
    memcpy(out->counts, count, sizeof count);
#undef W
#undef ST
done:
    cox_sort_free(&so);
    carta_free(keys); carta_free(ord); carta_free(ord2); carta_free(rank);
    carta_free(im); carta_free(tree); carta_free(dfb);
    return rc;
}
