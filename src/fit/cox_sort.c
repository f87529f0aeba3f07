/* Stable orders for the Cox fit and the concordance: LSD radix sort on 64-bit keys.
 *
 * A comparison sort of 1e6 rows on a composite key (stratum, time, status, score) costs more
 * than a whole Newton step of the fit, so rows are ordered by stable radix passes instead: the
 * least significant key first, each key mapped to an unsigned integer whose order is the
 * double's order (sign bit flipped for positives, all bits for negatives). Sorting starts from
 * the row order 0..n-1 and every pass is stable, so ties end in row order (deterministic). */
#include "cox_internal.h"

#include <carta/alloc.h>

#include <string.h>

uint64_t cox_key_double(double v, int descending)
{
    uint64_t u;
    if (v == 0) v = 0.0; /* -0.0 and 0.0 are one value */
    memcpy(&u, &v, sizeof u);
    u = (u >> 63) ? ~u : (u | (1ULL << 63));
    return descending ? ~u : u;
}

int cox_sort_new(cox_sort *s, size_t n)
{
    memset(s, 0, sizeof *s);
    s->n = n;
    s->a = carta_malloc((n ? n : 1) * sizeof *s->a);
    s->b = carta_malloc((n ? n : 1) * sizeof *s->b);
    s->count = carta_malloc(65536 * sizeof *s->count);
    if (!s->a || !s->b || !s->count) { cox_sort_free(s); return CARTA_ENOMEM; }
    for (size_t i = 0; i < n; i++) { s->a[i].key = 0; s->a[i].idx = i; }
    return CARTA_OK;
}

void cox_sort_free(cox_sort *s)
{
    carta_free(s->a);
    carta_free(s->b);
    carta_free(s->count);
    s->a = s->b = NULL;
    s->count = NULL;
}

/* Reorders the current order stably by key[row] (ascending), 16 bits per pass; passes whose
   digit is the same for every row are skipped. */
void cox_sort_by(cox_sort *s, const uint64_t *key)
{
    size_t n = s->n;
    for (size_t i = 0; i < n; i++) s->a[i].key = key[s->a[i].idx];
    for (int shift = 0; shift < 64; shift += 16) {
        memset(s->count, 0, 65536 * sizeof *s->count);
        for (size_t i = 0; i < n; i++) s->count[(s->a[i].key >> shift) & 0xFFFF]++;
        if (n == 0 || s->count[(s->a[0].key >> shift) & 0xFFFF] == n) continue;
        size_t sum = 0;
        for (size_t d = 0; d < 65536; d++) { size_t c = s->count[d]; s->count[d] = sum; sum += c; }
        for (size_t i = 0; i < n; i++) s->b[s->count[(s->a[i].key >> shift) & 0xFFFF]++] = s->a[i];
        cox_sort_pair *t = s->a; s->a = s->b; s->b = t;
    }
}
