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
 * balanced binary tree (metrics.md section 6): O(n log n).
 *
 * Layout, for speed at n = 1e6 (every sum is formed from the same terms in the same order as in
 * the plain one-row-at-a-time version, so the results are the same to the bit, and do not depend
 * on anything but the input):
 * - One stable radix sort by (stratum, score, row) gives the ranks; that order is the starting
 *   point of the stable sort by (stratum, time desc, censored before events), so the score is
 *   sorted once, and (time desc, status) is one 64-bit key when no time is negative. The sorted
 *   rows carry their rank (16 bytes a row), so no rank array is scattered and gathered again.
 * - Time, status and weight are copied into sweep order once; the sweep walks contiguous arrays
 *   and keeps the influence counts in sweep order; they go back to row order only for the final
 *   sums (which run in row order, as before).
 * - The two Fenwick trees (rows at risk, events) and the weight at each rank share one node of
 *   four doubles, so both trees' walks at a rank touch the same cache lines, and the nodes the
 *   walks of the row 16 places ahead will touch are prefetched.
 * - An event alone at its time needs the sums below its rank from both trees (adding it to the
 *   event tree does not change them): one walk down serves both, and one walk up inserts it in
 *   both. Tied events keep the two-pass order (all of them into the event tree first).
 * - The sort scratch is freed before the trees are allocated (the peak stays below the old one). */
#include <carta/concordance.h>

#include <carta/alloc.h>

#include "cox_internal.h" /* cox_key_double: a double as an order-preserving integer */

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A row in the sorts and then in sweep order: the sort key (the time once sorted), the row, the
   score's rank within the stratum (1..kmax). 32-bit row numbers keep it at 16 bytes, so n is
   limited to UINT32_MAX. */
typedef struct elem {
    union {
        uint64_t key;
        double time;  /* once sorted: the row's time, next to its rank for the sweep */
    };
    uint32_t idx, rank;
} elem;

/* LSD radix sort on the 16-byte rows (cox_sort moves a row number only), 11-bit digits: all six
   digit counts (96 KB) are taken in one read; measured as fast as 16-bit digits at n = 1e6. */
#define RADIX_BITS 11
#define RADIX_N ((size_t)1 << RADIX_BITS)
#define RADIX_PASSES 6

/* Fenwick node r of the two trees: N_FA the sums of the tree of rows at risk, N_FD those of the
   tree of events, N_PA / N_PD the weight at rank r itself in each (tied counts need no second
   walk). Four doubles: one node never straddles two cache lines. */
enum { N_FA, N_FD, N_PA, N_PD, N_W };
#define NODE(nd, r, c) ((nd)[(size_t)N_W * (r) + (c)])

/* How many rows ahead the sweep prefetches the tree nodes a row's walks will touch: the walks of
   the rows in between hide the memory latency (8 to 24 measured alike at n = 1e6). */
#define PF_AHEAD 16
#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(p) __builtin_prefetch((p), 1, 3)
#else
#define PREFETCH(p) ((void)(p))
#endif

typedef struct trees {
    double *nd;
    size_t k;        /* ranks 1..k */
    double tot_a, tot_d;
} trees;

static size_t lowbit(size_t i) { return i & (~i + 1); }

/* sum of component c over ranks 1..i */
static double prefix1(const trees *t, size_t i, int c)
{
    double s = 0;
    for (; i > 0; i -= lowbit(i)) s += NODE(t->nd, i, c);
    return s;
}

/* both trees' sums over ranks 1..i in one walk */
static void prefix2(const trees *t, size_t i, double *sa, double *sd)
{
    double a = 0, d = 0;
    for (; i > 0; i -= lowbit(i)) {
        a += NODE(t->nd, i, N_FA);
        d += NODE(t->nd, i, N_FD);
    }
    *sa = a;
    *sd = d;
}

static void add_all(trees *t, size_t i, double v)
{
    t->tot_a += v;
    NODE(t->nd, i, N_PA) += v;
    for (; i <= t->k; i += lowbit(i)) NODE(t->nd, i, N_FA) += v;
}

static void add_dth(trees *t, size_t i, double v)
{
    t->tot_d += v;
    NODE(t->nd, i, N_PD) += v;
    for (; i <= t->k; i += lowbit(i)) NODE(t->nd, i, N_FD) += v;
}

/* the Fenwick sums only (the caller updates totals and the weight at the rank): va into the
   tree at risk, vd into the event tree, in one walk up */
static void walk_up_both(trees *t, size_t i, double va, double vd)
{
    for (; i <= t->k; i += lowbit(i)) {
        NODE(t->nd, i, N_FA) += va;
        NODE(t->nd, i, N_FD) += vd;
    }
}

/* A row's influence counts (concordant c, discordant d, tied t pairs it is part of) enter its
   dfbeta only as c - d and c + d + t, so those two are kept (16 bytes a row, not 24). */
static void add_counts(double *im, double sign, double c, double d, double t)
{
    im[0] += sign * (c - d);
    im[1] += sign * (c + d + t);
}

/* A row enters the tree at risk (sign -1) or leaves it at its entry time (sign +1): its counts as
   the later member of a pair are the events after it entered, so the events already in the event
   tree are taken off now and the final tree is added at the end. below = the event tree's sum
   under rank. */
static void influence(const trees *t, size_t rank, double below, double sign, double *im)
{
    double tied = NODE(t->nd, rank, N_PD);
    add_counts(im, sign, below, t->tot_d - below - tied, tied);
}

/* The nodes the walks down from rank - 1 and up from rank will touch (all of them: measured
   faster at n = 1e6 than the bottom levels only) */
static void prefetch_walks(const trees *t, size_t rank)
{
    for (size_t i = rank - 1; i > 0; i -= lowbit(i)) PREFETCH(&NODE(t->nd, i, 0));
    for (size_t i = rank; i <= t->k; i += lowbit(i)) PREFETCH(&NODE(t->nd, i, 0));
}

/* Prefetches the walks of the rows from *pf up to (not including) upto, each row once: the sweep
   calls it before each row, for the row PF_AHEAD places ahead (also inside a group of tied events,
   which the sweep takes in one step). */
static void prefetch_upto(const trees *t, const elem *ea, size_t *pf, size_t upto)
{
    for (; *pf < upto; (*pf)++) prefetch_walks(t, ea[*pf].rank);
}

/* Sorts (*a)[0..n) stably by key ascending, with *b as scratch of n elements; on return *a points
   at the sorted rows and *b at the scratch (the two swap after every pass). count: RADIX_PASSES *
   RADIX_N. All digit counts come from one read; a digit the same for every row is skipped. */
static void radix_sort(elem **a, elem **b, size_t n, size_t *count)
{
    memset(count, 0, RADIX_PASSES * RADIX_N * sizeof *count);
    for (size_t i = 0; i < n; i++) {
        uint64_t k = (*a)[i].key;
        for (int p = 0; p < RADIX_PASSES; p++) count[(size_t)p * RADIX_N + ((k >> (p * RADIX_BITS)) & (RADIX_N - 1))]++;
    }
    for (int p = 0; p < RADIX_PASSES; p++) {
        size_t *c = count + (size_t)p * RADIX_N, sum = 0;
        int shift = p * RADIX_BITS;
        if (c[((*a)[0].key >> shift) & (RADIX_N - 1)] == n) continue;
        for (size_t d = 0; d < RADIX_N; d++) { size_t t = c[d]; c[d] = sum; sum += t; }
        elem *src = *a, *dst = *b;
        for (size_t i = 0; i < n; i++) dst[c[(src[i].key >> shift) & (RADIX_N - 1)]++] = src[i];
        *a = dst;
        *b = src;
    }
}

/* Sorts the rows by (stratum, score, row) and gives each its rank (tied scores share one);
   then re-sorts that order stably by (stratum, time desc, censored before events), so the score
   (sorted once) stays the order within those ties, as a sort of its own would leave it. */
static void sweep_order(elem **a, elem **b, size_t n, size_t *count, const double *time,
                        const int *status, const double *score, const int *strata)
{
    for (size_t i = 0; i < n; i++) {
        (*a)[i].key = cox_key_double(score[i], 0);
        (*a)[i].idx = (uint32_t)i;
    }
    radix_sort(a, b, n, count);
    if (strata) {
        for (size_t p = 0; p < n; p++) (*a)[p].key = (uint64_t)(uint32_t)strata[(*a)[p].idx];
        radix_sort(a, b, n, count);
    }
    elem *e = *a;
    for (size_t p = 0, r = 0; p < n; p++) {
        if (p == 0) r = 1;
        else if (strata) {
            if (e[p].key != e[p - 1].key) r = 1;
            else if (score[e[p].idx] != score[e[p - 1].idx]) r++;
        } else if (e[p].key != e[p - 1].key) {
            r++; /* the key is the score's: equal keys are equal scores (no NaN: checked) */
        }
        e[p].rank = (uint32_t)r;
    }
    /* (time desc, status) in one key when no time is negative (the descending key then has a
       free top bit); else status, then time */
    uint64_t top = 0;
    for (size_t p = 0; p < n; p++) {
        uint32_t j = e[p].idx;
        uint64_t tk = cox_key_double(time[j], 1);
        top |= tk;
        e[p].key = (tk << 1) | (uint64_t)(status[j] == 1);
    }
    if (top >> 63) {
        for (size_t p = 0; p < n; p++) e[p].key &= 1;
        radix_sort(a, b, n, count);
        e = *a;
        for (size_t p = 0; p < n; p++) e[p].key = cox_key_double(time[e[p].idx], 1);
    }
    radix_sort(a, b, n, count);
    if (strata) {
        for (size_t p = 0; p < n; p++) (*a)[p].key = (uint64_t)(uint32_t)strata[(*a)[p].idx];
        radix_sort(a, b, n, count);
    }
}

/* The inputs' contract (concordance.h), row by row: a bad value would corrupt the sorts or index
   out of bounds (a negative cluster id), so it is an error naming the row. */
static int check_inputs(size_t n, const double *time, const double *start, const int *status,
                        const double *score, const double *weight, const int *strata,
                        const int *cluster, carta_error *err)
{
    for (size_t i = 0; i < n; i++) {
        carta_where at = { .row = (long)i + 1 };
        const char *what = NULL;
        if (!isfinite(time[i])) at.field = "time", what = "time is not a finite number";
        else if (start && !(isfinite(start[i]) && start[i] < time[i]))
            at.field = "start", what = "start is not a finite number before the time";
        else if (status[i] != 0 && status[i] != 1) at.field = "status", what = "status is not 0 or 1";
        else if (isnan(score[i])) at.field = "score", what = "score is NaN";
        else if (weight && !(isfinite(weight[i]) && weight[i] > 0)) at.field = "weight", what = "weight is not a positive number";
        else if (strata && strata[i] < 0) at.field = "strata", what = "stratum is negative";
        else if (cluster && cluster[i] < 0) at.field = "cluster", what = "cluster is negative";
        if (what) return carta_error_set(err, CARTA_EDATA, &at, "concordance: %s", what);
    }
    return CARTA_OK;
}

int carta_concordance(size_t n, const double *time, const double *start, const int *status,
                      const double *score, const double *weight, const int *strata,
                      const int *cluster, int reverse, carta_concordance_result *out,
                      carta_error *err)
{
    elem *ea = NULL, *eb = NULL;
    size_t *hist = NULL;
    uint32_t *pos2 = NULL;
    unsigned char *ev = NULL;
    int *sst = NULL;
    double *wt = NULL, *im = NULL, *nd = NULL, *dfb = NULL, *st2 = NULL;
    int rc = CARTA_OK;
    double count[5] = { 0, 0, 0, 0, 0 };

    out->c = out->se = NAN;
    memset(out->counts, 0, sizeof out->counts);
    if (n == 0) return CARTA_OK;
    if (n > UINT32_MAX)
        return carta_error_set(err, CARTA_EDATA, NULL, "concordance: %zu rows: at most %u are supported", n, (unsigned)UINT32_MAX);
    if ((rc = check_inputs(n, time, start, status, score, weight, strata, cluster, err)) != CARTA_OK) return rc;
    ea = carta_malloc(n * sizeof *ea);
    eb = carta_malloc(n * sizeof *eb);
    hist = carta_malloc(RADIX_PASSES * RADIX_N * sizeof *hist);
    if (!ea || !eb || !hist) goto nomem;

    sweep_order(&ea, &eb, n, hist, time, status, score, strata);
    if (start) {
        /* rows by (stratum, start desc, row) in eb; pos2 = each one's place in the sweep order */
        elem *ec = carta_malloc(n * sizeof *ec);
        pos2 = carta_malloc(n * sizeof *pos2);
        st2 = carta_malloc(n * sizeof *st2);
        if (!ec || !pos2 || !st2) { carta_free(ec); goto nomem; }
        for (size_t p = 0; p < n; p++) pos2[ea[p].idx] = (uint32_t)p; /* the inverse order, for now */
        for (size_t i = 0; i < n; i++) {
            eb[i].key = cox_key_double(start[i], 1);
            eb[i].idx = (uint32_t)i;
        }
        radix_sort(&eb, &ec, n, hist);
        if (strata) {
            for (size_t g = 0; g < n; g++) eb[g].key = (uint64_t)(uint32_t)strata[eb[g].idx];
            radix_sort(&eb, &ec, n, hist);
        }
        carta_free(ec);
        for (size_t g = 0; g < n; g++) {
            uint32_t j = eb[g].idx;
            st2[g] = start[j];
            eb[g].rank = pos2[j];
        }
        for (size_t g = 0; g < n; g++) pos2[g] = eb[g].rank;
    }
    /* the scratch of the sorts is not needed any more: free it before the trees (peak memory) */
    carta_free(eb);
    eb = NULL;
    carta_free(hist);
    hist = NULL;
    ev = carta_malloc(n);
    if (weight) wt = carta_malloc(n * sizeof *wt);
    if (strata) sst = carta_malloc(n * sizeof *sst);
    if (!ev || (weight && !wt) || (strata && !sst)) goto nomem;
    for (size_t p = 0; p < n; p++) {
        uint32_t j = ea[p].idx;
        ea[p].time = time[j];
        ev[p] = status[j] == 1;
        if (weight) wt[p] = weight[j];
        if (strata) sst[p] = strata[j];
    }
    im = carta_calloc(2 * n, sizeof *im);
    nd = carta_malloc((size_t)N_W * (n + 1) * sizeof *nd);
    if (!im || !nd) goto nomem;
#define W(p) (wt ? wt[(p)] : 1.0)

    for (size_t a = 0, a2 = 0; a < n;) {
        size_t b = a, b2 = a2, kmax = 0;
        if (strata) {
            while (b < n && sst[b] == sst[a]) { if (ea[b].rank > kmax) kmax = ea[b].rank; b++; }
            /* the start order holds the same strata in the same order (both sorted by stratum) */
            if (start) b2 = a2 + (b - a);
        } else {
            for (; b < n; b++) if (ea[b].rank > kmax) kmax = ea[b].rank;
            b2 = n;
        }
        trees t = { nd, kmax, 0, 0 };
        memset(nd, 0, (size_t)N_W * (kmax + 1) * sizeof *nd);
        size_t i = a, i2 = a2, pf = a;
        while (i < b) {
            prefetch_upto(&t, ea, &pf, i + PF_AHEAD < b ? i + PF_AHEAD : b);
            size_t rk = ea[i].rank;
            double ti = ea[i].time;
            if (!ev[i]) {
                influence(&t, rk, prefix1(&t, rk - 1, N_FD), -1, im + 2 * i);
                add_all(&t, rk, W(i));
                i++;
                continue;
            }
            if (start)
                for (; i2 < b2 && st2[i2] >= ti; i2++) {
                    size_t p = pos2[i2], rp = ea[p].rank;
                    /* rows leave in start order: their places in the sweep order are random */
                    if (i2 + PF_AHEAD < b2) {
                        size_t q = pos2[i2 + PF_AHEAD];
                        prefetch_walks(&t, ea[q].rank);
                        PREFETCH(im + 2 * q);
                    }
                    influence(&t, rp, prefix1(&t, rp - 1, N_FD), 1, im + 2 * p);
                    add_all(&t, rp, -W(p));
                }
            /* the tied events at this time (censored ones came first in the order) */
            size_t e = i + 1;
            while (e < b && ea[e].time == ti) e++;
            if (e == i + 1) {
                /* alone at its time: the event tree's sums below its rank do not change when
                   it is added there, so one walk serves both trees */
                double below_a, below_d, wj = W(i), tied = NODE(nd, rk, N_PA);
                double ws[3];
                prefix2(&t, rk - 1, &below_a, &below_d);
                ws[0] = t.tot_a - below_a - tied;
                ws[1] = below_a;
                ws[2] = tied;
                for (int k = 0; k < 3; k++) count[k] += wj * ws[k];
                add_counts(im + 2 * i, 1, ws[0], ws[1], ws[2]);
                /* no tied event: the tie counts gain wj * 0, as in the general case below */
                count[3] += wj * 0.0;
                count[4] += wj * 0.0;
                /* into the event tree first (its counts include itself as a tie), then the
                   tree at risk; the Fenwick sums of both in one walk up */
                t.tot_d += wj;
                NODE(nd, rk, N_PD) += wj;
                influence(&t, rk, below_d, -1, im + 2 * i);
                t.tot_a += wj;
                NODE(nd, rk, N_PA) += wj;
                walk_up_both(&t, rk, wj, wj);
                i = e;
                continue;
            }
            double dwt = 0, dwt2 = 0;
            size_t xsave = rk;
            for (size_t g = i; g < e; g++) {
                size_t rg = ea[g].rank;
                prefetch_upto(&t, ea, &pf, g + PF_AHEAD < b ? g + PF_AHEAD : b);
                double ws[3], wj = W(g), below = prefix1(&t, rg - 1, N_FA), tied = NODE(nd, rg, N_PA);
                count[3] += wj * dwt;
                dwt += wj;
                if (rg != xsave) { dwt2 = 0; xsave = rg; }
                count[4] += wj * dwt2;
                dwt2 += wj;
                ws[0] = t.tot_a - below - tied;
                ws[1] = below;
                ws[2] = tied;
                for (int k = 0; k < 3; k++) count[k] += wj * ws[k];
                add_counts(im + 2 * g, 1, ws[0], ws[1], ws[2]);
                add_dth(&t, rg, wj);
            }
            for (size_t g = i; g < e; g++) {
                size_t rg = ea[g].rank;
                influence(&t, rg, prefix1(&t, rg - 1, N_FD), -1, im + 2 * g);
                add_all(&t, rg, W(g));
            }
            i = e;
        }
        /* pairs with the events after each row's entry into the tree: flip the signs back. The
           event tree is final now, so its prefix sums are taken once (in place of the Fenwick
           sums, which are not needed any more) and each row costs O(1). */
        double acc = 0;
        NODE(nd, 0, N_FD) = 0;
        for (size_t r = 1; r <= kmax; r++) { acc += NODE(nd, r, N_PD); NODE(nd, r, N_FD) = acc; }
        for (size_t g = start ? i2 : a; g < (start ? b2 : b); g++) {
            size_t p = start ? pos2[g] : g, rp = ea[p].rank;
            if (!start && g + PF_AHEAD < b) PREFETCH(&NODE(nd, ea[g + PF_AHEAD].rank - 1, 0));
            double below = NODE(nd, rp - 1, N_FD), tied = NODE(nd, rp, N_PD);
            add_counts(im + 2 * p, 1, below, t.tot_d - below - tied, tied);
        }
        a = b;
        a2 = b2;
    }
    count[3] -= count[4];

    double npair = count[0] + count[1] + count[2];
    if (!(npair > 0)) goto done;
    double somer = (count[0] - count[1]) / npair, var = 0;
    /* each row's dfbeta back in row order (nd is free now and holds at least n doubles), so the
       sums below run in row order */
    double *dfr = nd;
    for (size_t p = 0; p < n; p++)
        dfr[ea[p].idx] = W(p) * (im[2 * p] / npair - somer / npair * im[2 * p + 1]);
#undef W
    if (cluster) {
        size_t g = 0;
        for (size_t i = 0; i < n; i++) if ((size_t)cluster[i] + 1 > g) g = (size_t)cluster[i] + 1;
        if (!(dfb = carta_calloc(g, sizeof *dfb))) {
            rc = carta_error_set(err, CARTA_ENOMEM, NULL, "concordance: no memory for %zu clusters", g);
            goto done;
        }
        for (size_t i = 0; i < n; i++) dfb[cluster[i]] += dfr[i];
        for (size_t k = 0; k < g; k++) var += dfb[k] * dfb[k];
    } else {
        for (size_t i = 0; i < n; i++) var += dfr[i] * dfr[i];
    }
    var /= 4;
    out->c = (somer + 1) / 2;
    out->se = sqrt(var);
    if (reverse) {
        out->c = 1 - out->c;
        double tmp = count[0]; count[0] = count[1]; count[1] = tmp;
    }
    memcpy(out->counts, count, sizeof count);
    goto done;
nomem:
    rc = carta_error_set(err, CARTA_ENOMEM, NULL, "concordance: no memory for %zu rows", n);
done:
    carta_free(ea); carta_free(eb); carta_free(hist); carta_free(pos2); carta_free(st2);
    carta_free(ev); carta_free(wt); carta_free(sst); carta_free(im); carta_free(nd); carta_free(dfb);
    return rc;
}
