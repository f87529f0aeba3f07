/* survsort.c: one sort of the survival rows for Kaplan-Meier, log-rank and Aalen-Johansen.
 *
 * Rows are distributed (stably, by counting) into buckets by (stratum, group, status), and each
 * bucket is sorted by time with an LSD radix sort on order-preserving 64-bit keys (16-bit
 * digits; a pass whose digit is the same for the whole bucket is skipped, so times in whole days
 * need only two passes). Every estimator then walks a cell's distinct times with a merge of its
 * status buckets: O(n log n) work is replaced by O(n * passes), and the extra memory is one key
 * per row plus scratch for the largest bucket (and a weight per row when weights are given). */
#include <carta/survsort.h>
#include <carta/alloc.h>
#include <carta/km.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

uint64_t carta_survsort_key(double t)
{
    uint64_t u;
    t = t + 0.0; /* -0 and +0 are one time, as in R */
    memcpy(&u, &t, sizeof u);
    /* IEEE order: flip all bits of negatives, set the sign bit of non-negatives */
    return (u >> 63) ? ~u : (u | ((uint64_t)1 << 63));
}

double carta_survsort_time(uint64_t key)
{
    uint64_t u = (key >> 63) ? (key & ~((uint64_t)1 << 63)) : ~key;
    double t;
    memcpy(&t, &u, sizeof t);
    return t;
}

/* Stable insertion sort of a small bucket (keys with their weights). */
static void insertion(uint64_t *k, double *w, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint64_t kk = k[i];
        double ww = w ? w[i] : 0.0;
        size_t j = i;
        while (j > 0 && k[j - 1] > kk) {
            k[j] = k[j - 1];
            if (w) w[j] = w[j - 1];
            j--;
        }
        k[j] = kk;
        if (w) w[j] = ww;
    }
}

/* LSD radix sort of k (and w alongside) using scratch sk/sw of n entries and a 65536-entry count
   array. Stable. */
static void radix(uint64_t *k, double *w, size_t n, uint64_t *sk, double *sw, size_t *cnt)
{
    if (n < 256) { insertion(k, w, n); return; }
    uint64_t *src = k, *dst = sk;
    double *wsrc = w, *wdst = sw;
    for (int pass = 0; pass < 4; pass++) {
        int shift = 16 * pass;
        memset(cnt, 0, 65536 * sizeof *cnt);
        for (size_t i = 0; i < n; i++) cnt[(src[i] >> shift) & 0xFFFF]++;
        /* a digit shared by every key does not reorder anything */
        if (cnt[(src[0] >> shift) & 0xFFFF] == n) continue;
        size_t sum = 0;
        for (size_t b = 0; b < 65536; b++) { size_t c = cnt[b]; cnt[b] = sum; sum += c; }
        if (wsrc) {
            for (size_t i = 0; i < n; i++) {
                size_t p = cnt[(src[i] >> shift) & 0xFFFF]++;
                dst[p] = src[i];
                wdst[p] = wsrc[i];
            }
        } else {
            for (size_t i = 0; i < n; i++) dst[cnt[(src[i] >> shift) & 0xFFFF]++] = src[i];
        }
        uint64_t *t = src; src = dst; dst = t;
        double *tw = wsrc; wsrc = wdst; wdst = tw;
    }
    if (src != k) {
        memcpy(k, src, n * sizeof *k);
        if (w) memcpy(w, wsrc, n * sizeof *w);
    }
}

void carta_survsort_free(carta_survsort *s)
{
    if (!s) return;
    carta_free(s->off);
    carta_free(s->key);
    carta_free(s->w);
    carta_free(s->eoff);
    carta_free(s->ekey);
    carta_free(s->ew);
    carta_free(s->cell_n);
    carta_free(s->cell_w);
    carta_free(s);
}

static int row_error(carta_error *err, size_t i, const char *field, const char *what)
{
    carta_where at = { .row = (long)i + 1, .field = field };
    return carta_error_set(err, CARTA_EDATA, &at, "%s", what);
}

/* Checks every row before anything is allocated for it. */
static int validate(const carta_surv_data *d, int use_groups, int use_strata, size_t n_kinds,
                    carta_error *err)
{
    for (size_t i = 0; i < d->n; i++) {
        if (!isfinite(d->time[i])) return row_error(err, i, "time", "time is not a finite number");
        if (d->start) {
            if (!isfinite(d->start[i]))
                return row_error(err, i, "start", "start time is not a finite number");
            if (!(d->start[i] < d->time[i]))
                return row_error(err, i, "start", "entry time is not before the exit time");
        }
        if (d->status[i] < 0 || (size_t)d->status[i] >= n_kinds) {
            carta_where at = { .row = (long)i + 1, .field = "status" };
            return carta_error_set(err, CARTA_EDATA, &at, "status %d is not one of 0..%zu",
                                   d->status[i], n_kinds - 1);
        }
        if (d->weight && !(isfinite(d->weight[i]) && d->weight[i] >= 0))
            return row_error(err, i, "weight", "weight is negative or not a finite number");
        if (use_groups && d->group && (d->group[i] < 0 || (size_t)d->group[i] >= d->n_groups))
            return row_error(err, i, "group", "group code is out of range");
        if (use_strata && d->strata && (d->strata[i] < 0 || (size_t)d->strata[i] >= d->n_strata))
            return row_error(err, i, "strata", "stratum code is out of range");
    }
    return CARTA_OK;
}

/* ---- R's aeqSurv (timefix): stop times whose gap to the previous distinct time is at most
   tol = sqrt(DBL_EPSILON), absolutely or relative to the mean of the distinct times, become that
   previous time's run start (survfit and survdiff do this by default). Done on the sorted buckets
   with a k-way merge (a binary heap of bucket heads), rewriting keys in place: no extra memory
   beyond the heap. ---- */
typedef struct heap { uint64_t *k; size_t *b; size_t n; } heap;

static void sift(heap *h, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && (h->k[l] < h->k[m] || (h->k[l] == h->k[m] && h->b[l] < h->b[m]))) m = l;
        if (r < h->n && (h->k[r] < h->k[m] || (h->k[r] == h->k[m] && h->b[r] < h->b[m]))) m = r;
        if (m == i) return;
        uint64_t tk = h->k[i]; h->k[i] = h->k[m]; h->k[m] = tk;
        size_t tb = h->b[i]; h->b[i] = h->b[m]; h->b[m] = tb;
        i = m;
    }
}

static void heap_fill(heap *h, const carta_survsort *s, size_t *pos, size_t nb)
{
    h->n = 0;
    for (size_t b = 0; b < nb; b++) {
        pos[b] = s->off[b];
        if (pos[b] < s->off[b + 1]) { h->k[h->n] = s->key[pos[b]]; h->b[h->n] = b; h->n++; }
    }
    for (size_t i = h->n / 2 + 1; i-- > 0;) sift(h, i);
}

/* Pops the smallest head: returns its position in key[] and advances that bucket. */
static size_t heap_pop(heap *h, const carta_survsort *s, size_t *pos)
{
    size_t b = h->b[0], p = pos[b]++;
    if (pos[b] < s->off[b + 1]) h->k[0] = s->key[pos[b]];
    else { h->n--; h->k[0] = h->k[h->n]; h->b[0] = h->b[h->n]; }
    if (h->n) sift(h, 0);
    return p;
}

/* One merge pass: the mean of |distinct times| is only known at the end, so every distinct time
   whose gap to the previous one is within tol * max(1, max |t|) (a bound on tol * max(1, mean))
   is kept as a candidate with the positions of its rows; the exact rule is then applied to the
   candidates in time order. Few candidates in practice (none for whole-day data). */
typedef struct cand { uint64_t key, prev; size_t pos; } cand;

/* With the exact mean known: one more merge applying the rule to every distinct time, rewriting
   the keys of merged rows in place (used when the candidates would be too many to keep). */
static void timefix_exact(carta_survsort *s, heap *h, size_t *pos, double mean)
{
    const double tol = 1.4901161193847656e-08;
    size_t nb = s->n_cells * s->n_kinds, cnt = 0;
    uint64_t kprev = 0, cut = 0;
    heap_fill(h, s, pos, nb);
    while (h->n) {
        size_t p = heap_pop(h, s, pos);
        uint64_t k = s->key[p];
        if (!(cnt && k == kprev)) {
            uint64_t c = k;
            if (cnt) {
                double dy = carta_survsort_time(k) - carta_survsort_time(kprev);
                if (dy <= tol || dy / mean <= tol) c = cut; /* the predecessor's cut */
            }
            cnt++;
            kprev = k;
            cut = c;
        }
        if (cut != k) s->key[p] = cut;
    }
}

static int timefix(carta_survsort *s, double tmax_abs, double row_mean)
{
    const double tol = 1.4901161193847656e-08; /* sqrt(.Machine$double.eps) */
    size_t nb = s->n_cells * s->n_kinds, nc = 0, capc = 0;
    /* candidates beyond this many (dense continuous times, where the bound below is loose) are
       not kept: the exact rule is then applied by a second merge, in place */
    size_t n_all = s->off[nb], cap = n_all / 8 + 1024;
    int overflow = 0;
    heap h = { 0 };
    cand *c = NULL;
    int rc = CARTA_ENOMEM;
    size_t *pos = carta_malloc((nb ? nb : 1) * sizeof *pos);
    h.k = carta_malloc((nb ? nb : 1) * sizeof *h.k);
    h.b = carta_malloc((nb ? nb : 1) * sizeof *h.b);
    if (!pos || !h.k || !h.b) goto done;
    /* the rule's threshold is tol * max(1, mean of the distinct times), known only at the end:
       candidates are kept under a guess of 1.1 times the mean over rows (close to it unless
       times are heavily tied), capped by max |t| (a sure bound); if the mean turns out larger
       than the guess, or the candidates are too many, a second merge applies the exact rule */
    double guess = 1.1 * row_mean;
    if (guess > tmax_abs) guess = tmax_abs;
    double bound = tol * (guess > 1 ? guess : 1.0);
    double sum = 0.0, yprev = 0.0;
    size_t cnt = 0;
    uint64_t kprev = 0, kpred = 0;
    int is_cand = 0;
    heap_fill(&h, s, pos, nb);
    while (h.n) {
        size_t p = heap_pop(&h, s, pos);
        uint64_t k = s->key[p];
        if (!(cnt && k == kprev)) { /* a new distinct time; kprev is the one before it */
            double y = carta_survsort_time(k);
            is_cand = cnt && (y - yprev <= bound);
            kpred = kprev;
            sum += fabs(y);
            cnt++;
            kprev = k;
            yprev = y;
        }
        if (is_cand && !overflow) {
            if (nc == cap) { overflow = 1; continue; }
            if (nc == capc) {
                size_t nn = capc ? 2 * capc : 1024;
                if (nn > cap) nn = cap;
                cand *t = carta_realloc(c, nn * sizeof *t);
                if (!t) goto done;
                c = t; capc = nn;
            }
            c[nc].key = k; c[nc].prev = kpred; c[nc].pos = p; nc++;
        }
    }
    rc = CARTA_OK;
    /* exact rule, in time order: a tied time takes the cut of its predecessor; a predecessor
       that is not a candidate is never tied, so its cut is itself */
    double mean = cnt ? sum / (double)cnt : 0.0;
    if (tol * (mean > 1 ? mean : 1.0) > bound) overflow = 1; /* the guess was too small */
    if (overflow) {
        carta_free(c);
        c = NULL;
        timefix_exact(s, &h, pos, mean);
        goto done;
    }
    uint64_t last_key = 0, last_cut = 0;
    int have_last = 0;
    for (size_t i = 0; i < nc; i++) {
        uint64_t k = c[i].key;
        if (!(have_last && k == last_key)) {
            uint64_t pk = c[i].prev;
            double dy = carta_survsort_time(k) - carta_survsort_time(pk);
            uint64_t cut = k;
            if (dy <= tol || dy / mean <= tol) cut = (have_last && pk == last_key) ? last_cut : pk;
            last_key = k;
            last_cut = cut;
            have_last = 1;
        }
        s->key[c[i].pos] = last_cut;
    }
done:
    carta_free(c);
    carta_free(pos); carta_free(h.k); carta_free(h.b);
    return rc;
}

int carta_survsort_build(const carta_surv_data *d, int use_groups, int use_strata, size_t n_kinds,
                         int fix, carta_survsort **out, carta_error *err)
{
    carta_survsort *s = NULL;
    uint64_t *sk = NULL;
    double *sw = NULL;
    size_t *cnt = NULL;
    int rc;

    *out = NULL;
    if (!d || !d->time || !d->status)
        return carta_error_set(err, CARTA_EDATA, NULL, "survival data has no time or status");
    rc = validate(d, use_groups, use_strata, n_kinds, err);
    if (rc) return rc;

    size_t ng = (use_groups && d->group) ? d->n_groups : 1;
    size_t ns = (use_strata && d->strata) ? d->n_strata : 1;
    if (ng == 0) ng = 1;
    if (ns == 0) ns = 1;
    size_t n = d->n, ncell = ng * ns, nb = ncell * n_kinds;
    s = carta_calloc(1, sizeof *s);
    if (!s) goto nomem;
    s->n_cells = ncell; s->n_groups = ng; s->n_strata = ns; s->n_kinds = n_kinds;
    s->off = carta_calloc(nb + 1, sizeof *s->off);
    s->cell_n = carta_calloc(ncell, sizeof *s->cell_n);
    s->cell_w = carta_calloc(ncell, sizeof *s->cell_w);
    s->key = carta_malloc((n ? n : 1) * sizeof *s->key);
    if (!s->off || !s->cell_n || !s->cell_w || !s->key) goto nomem;
    if (d->weight && !(s->w = carta_malloc((n ? n : 1) * sizeof *s->w))) goto nomem;

    /* count rows per bucket, then turn counts into start offsets (off[b+1] moves as rows land) */
#define CELL(i) ((size_t)((use_strata && d->strata) ? d->strata[i] : 0) * ng + \
                 (size_t)((use_groups && d->group) ? d->group[i] : 0))
    for (size_t i = 0; i < n; i++) {
        size_t c = CELL(i);
        s->off[c * n_kinds + (size_t)d->status[i] + 1]++;
        s->cell_n[c]++;
        s->cell_w[c] += d->weight ? d->weight[i] : 1.0;
    }
    for (size_t b = 0; b < nb; b++) s->off[b + 1] += s->off[b];
    {
        size_t *fill = carta_malloc((nb ? nb : 1) * sizeof *fill);
        if (!fill) goto nomem;
        memcpy(fill, s->off, nb * sizeof *fill);
        for (size_t i = 0; i < n; i++) {
            size_t b = CELL(i) * n_kinds + (size_t)d->status[i];
            size_t p = fill[b]++;
            s->key[p] = carta_survsort_key(d->time[i]);
            if (s->w) s->w[p] = d->weight[i];
        }
        carta_free(fill);
    }
    size_t maxb = 0;
    for (size_t b = 0; b < nb; b++)
        if (s->off[b + 1] - s->off[b] > maxb) maxb = s->off[b + 1] - s->off[b];

    if (d->start) {
        s->eoff = carta_calloc(ncell + 1, sizeof *s->eoff);
        s->ekey = carta_malloc((n ? n : 1) * sizeof *s->ekey);
        if (!s->eoff || !s->ekey) goto nomem;
        if (d->weight && !(s->ew = carta_malloc((n ? n : 1) * sizeof *s->ew))) goto nomem;
        for (size_t c = 0; c < ncell; c++) s->eoff[c + 1] = s->eoff[c] + s->cell_n[c];
        size_t *fill = carta_malloc(ncell * sizeof *fill);
        if (!fill) goto nomem;
        memcpy(fill, s->eoff, ncell * sizeof *fill);
        for (size_t i = 0; i < n; i++) {
            size_t p = fill[CELL(i)]++;
            s->ekey[p] = carta_survsort_key(d->start[i]);
            if (s->ew) s->ew[p] = d->weight[i];
        }
        carta_free(fill);
        for (size_t c = 0; c < ncell; c++)
            if (s->cell_n[c] > maxb) maxb = s->cell_n[c];
    }
#undef CELL

    if (maxb >= 256) {
        sk = carta_malloc(maxb * sizeof *sk);
        cnt = carta_malloc(65536 * sizeof *cnt);
        if (!sk || !cnt) goto nomem;
        if (d->weight && !(sw = carta_malloc(maxb * sizeof *sw))) goto nomem;
    }
    for (size_t b = 0; b < nb; b++)
        radix(s->key + s->off[b], s->w ? s->w + s->off[b] : NULL, s->off[b + 1] - s->off[b], sk, sw, cnt);
    if (d->start)
        for (size_t c = 0; c < ncell; c++)
            radix(s->ekey + s->eoff[c], s->ew ? s->ew + s->eoff[c] : NULL, s->cell_n[c], sk, sw, cnt);
    carta_free(sk);
    carta_free(sw);
    carta_free(cnt);
    sk = NULL; sw = NULL; cnt = NULL;
    if (fix && !d->start) {
        /* whole numbers below 1/tol can have no near-ties: skip the merge (whole days) */
        double tmax = 0.0, asum = 0.0;
        int whole = 1;
        for (size_t i = 0; i < n; i++) {
            double a = fabs(d->time[i]);
            if (a > tmax) tmax = a;
            asum += a;
            if (whole && d->time[i] != floor(d->time[i])) whole = 0;
        }
        if (!(whole && tmax < 6.7e7) && timefix(s, tmax, n ? asum / (double)n : 0.0)) goto nomem;
    }
    *out = s;
    return CARTA_OK;
nomem:
    carta_free(sk);
    carta_free(sw);
    carta_free(cnt);
    carta_survsort_free(s);
    return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory to sort %zu survival rows", d->n);
}

int carta_survsort_cursor_init(const carta_survsort *s, size_t cell, carta_survsort_cursor *c)
{
    memset(c, 0, sizeof *c);
    c->cell = cell;
    c->pos = carta_malloc(s->n_kinds * sizeof *c->pos);
    if (!c->pos) return CARTA_ENOMEM;
    for (size_t k = 0; k < s->n_kinds; k++) c->pos[k] = s->off[cell * s->n_kinds + k];
    if (s->eoff) {
        c->epos = s->eoff[cell];
        c->entered = 0.0;
    } else {
        c->entered = s->cell_w[cell];
    }
    return CARTA_OK;
}

void carta_survsort_cursor_free(carta_survsort_cursor *c)
{
    if (c) { carta_free(c->pos); c->pos = NULL; }
}

int carta_survsort_tick_init(const carta_survsort *s, carta_survsort_tick *t)
{
    memset(t, 0, sizeof *t);
    t->w = carta_calloc(3 * s->n_kinds, sizeof *t->w);
    if (!t->w) return CARTA_ENOMEM;
    t->cnt = t->w + s->n_kinds;
    t->w2 = t->w + 2 * s->n_kinds;
    return CARTA_OK;
}

void carta_survsort_tick_free(carta_survsort_tick *t)
{
    if (t) { carta_free(t->w); t->w = NULL; t->cnt = NULL; t->w2 = NULL; }
}

uint64_t carta_survsort_peek(const carta_survsort *s, const carta_survsort_cursor *c)
{
    uint64_t best = UINT64_MAX;
    for (size_t k = 0; k < s->n_kinds; k++) {
        size_t end = s->off[c->cell * s->n_kinds + k + 1];
        if (c->pos[k] < end && s->key[c->pos[k]] < best) best = s->key[c->pos[k]];
    }
    return best;
}

void carta_survsort_at(const carta_survsort *s, carta_survsort_cursor *c, uint64_t k,
                       carta_survsort_tick *t)
{
    if (s->eoff) {
        /* (start, stop]: a row is in the risk set at k once its start is < k */
        size_t end = s->eoff[c->cell + 1];
        while (c->epos < end && s->ekey[c->epos] < k) {
            c->entered += s->ew ? s->ew[c->epos] : 1.0;
            c->epos++;
        }
    }
    t->key = k;
    t->time = carta_survsort_time(k);
    t->n_risk = c->entered - c->exited;
    for (size_t j = 0; j < s->n_kinds; j++) {
        size_t end = s->off[c->cell * s->n_kinds + j + 1];
        size_t p = c->pos[j];
        double w = 0.0, w2 = 0.0;
        size_t m = 0;
        if (s->w) {
            while (p < end && s->key[p] == k) { w += s->w[p]; w2 += s->w[p] * s->w[p]; p++; m++; }
        } else {
            while (p < end && s->key[p] == k) { p++; m++; }
            w = w2 = (double)m;
        }
        t->w[j] = w;
        t->w2[j] = w2;
        t->cnt[j] = (double)m;
        c->exited += w;
        c->pos[j] = p;
    }
}

/* R's pmax/pmin: NaN in, NaN out (C's fmax would drop it). */
static double rmax(double a, double b) { return (isnan(a) || isnan(b)) ? (double)NAN : (a > b ? a : b); }
static double rmin(double a, double b) { return (isnan(a) || isnan(b)) ? (double)NAN : (a < b ? a : b); }

/* R's survfit_confint with logse = TRUE: p the estimate, se the standard error of -log p. */
void carta_survsort_confint(int type, double z, double p, double se, double *lo, double *hi)
{
    double xx, se2;
    switch (type) {
    case CARTA_KM_CONF_PLAIN:
        se2 = se * p * z;
        *lo = rmax(p - se2, 0.0);
        *hi = rmin(p + se2, 1.0);
        return;
    case CARTA_KM_CONF_LOG:
        xx = (p == 0) ? (double)NAN : p;
        se2 = z * se;
        *lo = exp(log(xx) - se2);
        *hi = rmin(exp(log(xx) + se2), 1.0);
        return;
    case CARTA_KM_CONF_LOGLOG:
        /* R: exp(-exp(log(-log p) -/+ z se / log p)); with L = log p and E = exp(z se / log p)
           that is exp(L / E) and exp(L E): one log and three exps per row */
        xx = (p == 0 || p == 1) ? (double)NAN : p;
        {
            double L = log(xx), E = exp(z * se / L);
            *lo = exp(L / E);
            *hi = exp(L * E);
        }
        return;
    case CARTA_KM_CONF_LOGIT:
        xx = (p == 0) ? (double)NAN : p;
        se2 = z * se * (1 + xx / (1 - xx));
        *lo = 1 - 1 / (1 + exp(log(p / (1 - p)) - se2));
        *hi = 1 - 1 / (1 + exp(log(p / (1 - p)) + se2));
        return;
    case CARTA_KM_CONF_ARCSIN:
        xx = (p == 0) ? (double)NAN : p;
        se2 = 0.5 * z * se * sqrt(xx / (1 - xx));
        *lo = pow(sin(rmax(0.0, asin(sqrt(xx)) - se2)), 2);
        *hi = pow(sin(rmin(1.5707963267948966, asin(sqrt(xx)) + se2)), 2);
        return;
    default:
        *lo = *hi = (double)NAN;
        return;
    }
}

size_t carta_survsort_upper(const double *x, size_t m, double v)
{
    size_t lo = 0, hi = m;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x[mid] <= v) lo = mid + 1; else hi = mid;
    }
    return lo;
}

static int event_cmp(const void *x, const void *y)
{
    const carta_survsort_event *a = x, *b = y;
    if (a->id != b->id) return a->id < b->id ? -1 : 1;
    if (a->j != b->j) return a->j < b->j ? -1 : 1;
    if (a->row != b->row) return a->row < b->row ? -1 : 1;
    return a->exit - b->exit;
}

size_t carta_survsort_subject_events(const carta_surv_data *d, int use_group, size_t g, const double *times,
                                     size_t m, carta_survsort_event *ev)
{
    size_t nr = 0;
    for (size_t i = 0; i < d->n; i++) {
        if (use_group && d->group && (size_t)d->group[i] != g) continue;
        if (d->weight && d->weight[i] == 0) continue;
        int sid = d->id ? d->id[i] : (int)(nr / 2); /* without ids: each row alone */
        size_t je = d->start ? carta_survsort_upper(times, m, d->start[i]) : 0;
        size_t jl = carta_survsort_upper(times, m, d->time[i]) - 1; /* the row's own time */
        ev[nr++] = (carta_survsort_event){ sid, je, i, 0 };
        ev[nr++] = (carta_survsort_event){ sid, jl, i, 1 };
    }
    if (d->id) qsort(ev, nr, sizeof *ev, event_cmp);
    return nr;
}

int carta_survsort_check_conf(int conf_type, double conf_level, carta_error *err)
{
    carta_where at = { 0 };
    if (conf_type < CARTA_KM_CONF_LOG || conf_type > CARTA_KM_CONF_NONE) {
        at.field = "conf_type";
        return carta_error_set(err, CARTA_ECONFIG, &at, "%d is not a confidence interval type", conf_type);
    }
    if (!(conf_level > 0 && conf_level < 1)) {
        at.field = "conf_level";
        return carta_error_set(err, CARTA_ECONFIG, &at, "%g is not in (0, 1)", conf_level);
    }
    return CARTA_OK;
}
