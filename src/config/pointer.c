/* JSON pointers (RFC 6901), "did you mean" by edit distance, and the config's small arena. */
#include "config_int.h"

#include <carta/alloc.h>

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* ---- arena ---- */

/* One block of the arena; data follows the header, aligned for any type. */
typedef struct cfg_block {
    struct cfg_block *next;
    size_t cap, used;
    max_align_t data[];
} cfg_block;

struct cfg_arena {
    cfg_block *head;
};

cfg_arena *cfg_arena_new(void)
{
    return carta_calloc(1, sizeof(cfg_arena));
}

void cfg_arena_free(cfg_arena *a)
{
    if (!a) return;
    cfg_block *b = a->head;
    while (b) {
        cfg_block *next = b->next;
        carta_free(b);
        b = next;
    }
    carta_free(a);
}

void *cfg_arena_alloc(cfg_arena *a, size_t size)
{
    const size_t align = sizeof(max_align_t);
    if (size == 0) size = 1;
    if (size > ((size_t)-1) / 2) return NULL;
    size = (size + align - 1) / align * align;
    cfg_block *b = a->head;
    if (!b || b->cap - b->used < size) {
        /* Small pieces share 4 KiB blocks; a big array gets a block of its own. */
        size_t cap = size > 4096 ? size : 4096;
        b = carta_malloc(sizeof(cfg_block) + cap);
        if (!b) return NULL;
        b->cap = cap;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    unsigned char *p = (unsigned char *)b->data + b->used;
    b->used += size;
    memset(p, 0, size);
    return p;
}

void *cfg_arena_array(cfg_arena *a, size_t count, size_t size)
{
    size_t total;
    if (carta_size_mul(count, size, &total) != 0) return NULL;
    return cfg_arena_alloc(a, total);
}

char *cfg_arena_strdup(cfg_arena *a, const char *s)
{
    size_t n = strlen(s);
    char *d = cfg_arena_alloc(a, n + 1);
    if (d) memcpy(d, s, n + 1);
    return d;
}

/* ---- JSON pointers ---- */

static void append(char *buf, size_t cap, size_t *len, const char *s, size_t n)
{
    if (*len + 1 >= cap) return;
    if (n > cap - 1 - *len) n = cap - 1 - *len;
    memcpy(buf + *len, s, n);
    *len += n;
    buf[*len] = '\0';
}

size_t cfg_ptr_push_key(char *buf, size_t cap, size_t *len, const char *key)
{
    size_t saved = *len;
    append(buf, cap, len, "/", 1);
    for (const char *p = key; *p; p++) {
        if (*p == '~') append(buf, cap, len, "~0", 2);
        else if (*p == '/') append(buf, cap, len, "~1", 2);
        else append(buf, cap, len, p, 1);
    }
    return saved;
}

size_t cfg_ptr_push_index(char *buf, size_t cap, size_t *len, size_t index)
{
    char tmp[32];
    int k = snprintf(tmp, sizeof tmp, "/%zu", index);
    size_t saved = *len;
    append(buf, cap, len, tmp, (size_t)k);
    return saved;
}

void cfg_ptr_pop(char *buf, size_t *len, size_t saved)
{
    *len = saved;
    buf[saved] = '\0';
}

/* ---- did you mean ---- */

size_t cfg_edit_distance(const char *a, const char *b)
{
    /* Two-row-plus-one dynamic programme over short words (keys and enumeration values); longer
       inputs are compared on their first 63 bytes, which is plenty to rank suggestions. */
    enum { M = 64 };
    size_t n = strlen(a), m = strlen(b);
    if (n > M - 1) n = M - 1;
    if (m > M - 1) m = M - 1;
    size_t prev2[M], prev[M], cur[M];
    for (size_t j = 0; j <= m; j++) prev[j] = j;
    for (size_t j = 0; j <= m; j++) prev2[j] = 0;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = i;
        int ca = tolower((unsigned char)a[i - 1]);
        for (size_t j = 1; j <= m; j++) {
            int cb = tolower((unsigned char)b[j - 1]);
            size_t cost = ca == cb ? 0 : 1;
            size_t best = prev[j] + 1;
            if (cur[j - 1] + 1 < best) best = cur[j - 1] + 1;
            if (prev[j - 1] + cost < best) best = prev[j - 1] + cost;
            /* A swap of two neighbouring letters ("ties" vs "tise") counts as one edit. */
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && prev2[j - 2] + 1 < best)
                best = prev2[j - 2] + 1;
            cur[j] = best;
        }
        memcpy(prev2, prev, sizeof prev);
        memcpy(prev, cur, sizeof cur);
    }
    return prev[m];
}

const char *cfg_nearest(const char *word, const char *const *cands)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1, len = strlen(word);
    for (size_t i = 0; cands && cands[i]; i++) {
        size_t d = cfg_edit_distance(word, cands[i]);
        if (d < best_d) { best_d = d; best = cands[i]; }
    }
    if (!best || best_d > 2 || best_d >= len) return NULL;
    return best;
}

char *cfg_join(char *buf, size_t cap, const char *const *cands)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; cands && cands[i]; i++) {
        if (i) append(buf, cap, &len, ", ", 2);
        append(buf, cap, &len, cands[i], strlen(cands[i]));
    }
    return buf;
}
