/* Subject keys, joins and per-subject reductions.

   The key index maps (study, subject) to a row of the subject table in O(1): each key column's
   values get small integer codes (a string column's dictionary code, or a code from a hash of
   the number), and the pair of codes, packed in 64 bits, is hashed by open addressing. Another
   table's key values are translated into those codes once per dictionary level (strings) or
   once per row (numbers), so matching a 1e7-row lab table costs two array loads and one probe
   per row. Every step is O(rows): no sort is needed. */
#include "internal.h"

#include <carta/alloc.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INF ((double)INFINITY)

/* ---- hashing -------------------------------------------------------------------------------- */

/* splitmix64's finaliser: a fast, well-mixed 64-bit hash (Steele et al. 2014). */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static uint64_t double_bits(double v)
{
    if (v == 0) v = 0.0; /* -0 and +0 are the same key */
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

static size_t pow2_at_least(size_t n)
{
    size_t cap = 16;
    while (cap < n) cap *= 2;
    return cap;
}

static void numdict_free(numdict *d)
{
    carta_free(d->bits);
    carta_free(d->code);
    memset(d, 0, sizeof *d);
}

/* The code of v, or ROW_NONE when absent. */
static uint32_t numdict_get(const numdict *d, double v)
{
    if (!d->cap) return ROW_NONE;
    uint64_t b = double_bits(v);
    size_t j = mix64(b) & (d->cap - 1);
    while (d->code[j]) {
        if (d->bits[j] == b) return d->code[j] - 1;
        j = (j + 1) & (d->cap - 1);
    }
    return ROW_NONE;
}

/* The code of v, added when absent (the table has room: it was sized for every row). */
static uint32_t numdict_put(numdict *d, double v)
{
    uint64_t b = double_bits(v);
    size_t j = mix64(b) & (d->cap - 1);
    while (d->code[j]) {
        if (d->bits[j] == b) return d->code[j] - 1;
        j = (j + 1) & (d->cap - 1);
    }
    d->bits[j] = b;
    d->code[j] = (uint32_t)(++d->n);
    return (uint32_t)(d->n - 1);
}

static int numdict_init(numdict *d, size_t n)
{
    d->cap = pow2_at_least(2 * n + 1);
    d->n = 0;
    d->bits = carta_malloc(d->cap * sizeof *d->bits);
    d->code = carta_calloc(d->cap, sizeof *d->code);
    if (!d->bits || !d->code) {
        numdict_free(d);
        return CARTA_ENOMEM;
    }
    return CARTA_OK;
}

void cohort_index_free(carta_cohort *c)
{
    numdict_free(&c->study_num);
    numdict_free(&c->subject_num);
    carta_free(c->index.keys);
    carta_free(c->index.rows);
    memset(&c->index, 0, sizeof c->index);
    carta_free(c->match_rows);
    c->match_rows = NULL;
}

/* ---- key columns ---------------------------------------------------------------------------- */

/* Translates the key values of one column of a table into the subject table's codes. */
typedef struct keymap {
    const carta_column *col;   /* the column in the table being matched */
    const numdict *nd;         /* numeric keys: the subject table's dictionary */
    uint32_t *lut;             /* string keys: level of col -> code in the subject column */
} keymap;

static int is_string(const carta_column *c) { return c->type == CARTA_STR; }

static int keymap_init(keymap *m, const carta_column *ref, const numdict *nd, const carta_column *col,
                       const char *source, carta_error *err)
{
    memset(m, 0, sizeof *m);
    m->col = col;
    if (is_string(ref) != is_string(col)) {
        carta_where at = { .file = source, .field = col->name };
        return carta_error_set(err, CARTA_EDATA, &at, "key column is a %s here but a %s in the subject table",
                               carta_type_name(col->type), carta_type_name(ref->type));
    }
    if (!is_string(col)) {
        m->nd = nd;
        return CARTA_OK;
    }
    m->lut = carta_malloc((col->n_levels ? col->n_levels : 1) * sizeof *m->lut);
    if (!m->lut) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory to match keys");
    for (size_t k = 0; k < col->n_levels; k++) {
        long code = col == ref ? (long)k : carta_column_level(ref, col->levels[k]);
        m->lut[k] = code < 0 ? ROW_NONE : (uint32_t)code;
    }
    return CARTA_OK;
}

static inline uint32_t keymap_get(const keymap *m, size_t r)
{
    if (carta_column_is_missing(m->col, r)) return ROW_MISSING_KEY;
    if (m->lut) return m->lut[m->col->code[r]];
    return numdict_get(m->nd, carta_column_number(m->col, r));
}

static uint64_t pair(uint32_t s, uint32_t u) { return (uint64_t)s << 32 | u; }

/* The row of a key pair in the index, or ROW_NONE. */
static uint32_t index_get(const subject_index *ix, uint64_t key)
{
    size_t j = mix64(key) & (ix->cap - 1);
    while (ix->rows[j]) {
        if (ix->keys[j] == key) return ix->rows[j] - 1;
        j = (j + 1) & (ix->cap - 1);
    }
    return ROW_NONE;
}

static const carta_column *key_column(const carta_table *t, const char *name, const char *source, carta_error *err)
{
    const carta_column *col = carta_table_find(t, name);
    if (!col) {
        carta_where at = { .file = source };
        carta_error_set(err, CARTA_EDATA, &at, "no key column %s", name);
    }
    return col;
}

int cohort_index_build(carta_cohort *c, carta_key_action duplicate, carta_error *err)
{
    const carta_column *sc = NULL, *uc = key_column(c->wide, c->subject_col, c->source, err);
    if (!uc) return CARTA_EDATA;
    if (c->study_col && !(sc = key_column(c->wide, c->study_col, c->source, err))) return CARTA_EDATA;
    size_t n = c->n_all;
    int rc = CARTA_OK;
    uint8_t *drop = carta_calloc(n ? n : 1, 1);
    uint8_t *flagged = carta_calloc(n ? n : 1, 1);
    c->index.cap = pow2_at_least(2 * n + 1);
    c->index.keys = carta_malloc(c->index.cap * sizeof *c->index.keys);
    c->index.rows = carta_calloc(c->index.cap, sizeof *c->index.rows);
    if (!drop || !flagged || !c->index.keys || !c->index.rows ||
        (sc && !is_string(sc) && numdict_init(&c->study_num, n)) || (!is_string(uc) && numdict_init(&c->subject_num, n))) {
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory for the subject index");
        goto done;
    }
    examples dups = { 0 }, missing = { 0 };
    size_t dup_rows = 0;
    for (size_t w = 0; w < n; w++) {
        uint32_t s = 0, u;
        int miss = carta_column_is_missing(uc, w) || (sc && carta_column_is_missing(sc, w));
        if (miss) {
            char buf[32];
            snprintf(buf, sizeof buf, "row %zu", w + 1);
            examples_add(&missing, buf);
            drop[w] = 1;
            continue;
        }
        if (sc) s = is_string(sc) ? sc->code[w] : numdict_put(&c->study_num, carta_column_number(sc, w));
        u = is_string(uc) ? uc->code[w] : numdict_put(&c->subject_num, carta_column_number(uc, w));
        uint64_t key = pair(s, u);
        size_t j = mix64(key) & (c->index.cap - 1);
        while (c->index.rows[j] && c->index.keys[j] != key) j = (j + 1) & (c->index.cap - 1);
        if (!c->index.rows[j]) {
            c->index.keys[j] = key;
            c->index.rows[j] = (uint32_t)(w + 1);
            continue;
        }
        size_t first = c->index.rows[j] - 1;
        if (!flagged[first]) {
            char buf[260];
            cohort_key_text(c, first, buf, sizeof buf);
            examples_add(&dups, buf);
            flagged[first] = 1;
            drop[first] = 1;
            dup_rows++;
        }
        drop[w] = 1;
        dup_rows++;
    }
    char keyname[300];
    if (sc) snprintf(keyname, sizeof keyname, "(%s, %s)", c->study_col, c->subject_col);
    else snprintf(keyname, sizeof keyname, "%s", c->subject_col);
    carta_where at = { .file = c->source };
    if (dups.count && duplicate != CARTA_KEY_EXCLUDE) {
        rc = carta_error_set(err, CARTA_EDATA, &at, "%zu key%s %s appear%s on more than one row (%zu rows): %s",
                             dups.count, dups.count == 1 ? "" : "s", keyname, dups.count == 1 ? "s" : "",
                             dup_rows, dups.text);
        goto done;
    }
    if (missing.count && duplicate != CARTA_KEY_EXCLUDE) {
        rc = carta_error_set(err, CARTA_EDATA, &at, "%zu row%s with a missing key %s: %s", missing.count,
                             missing.count == 1 ? "" : "s", keyname, missing.text);
        goto done;
    }
    if (dups.count || missing.count) {
        char reason[1200], desc[300];
        snprintf(desc, sizeof desc, "duplicate or missing keys in %s", c->source);
        snprintf(reason, sizeof reason, "%zu key%s on more than one row%s%s%s; %zu row%s with a missing key%s%s",
                 dups.count, dups.count == 1 ? "" : "s", dups.count ? " (" : "", dups.text, dups.count ? ")" : "",
                 missing.count, missing.count == 1 ? "" : "s", missing.count ? ": " : "", missing.text);
        rc = cohort_drop(c, drop, desc, reason, err);
    }
done:
    carta_free(drop);
    carta_free(flagged);
    return rc;
}

/* The key of row r of t as text, for messages. */
static void foreign_key_text(const keymap *sm, const keymap *um, size_t r, char *buf, size_t cap)
{
    char s[128], u[128];
    cohort_value_text(um->col, r, u, sizeof u);
    if (sm && sm->col) {
        cohort_value_text(sm->col, r, s, sizeof s);
        snprintf(buf, cap, "%s/%s", s, u);
    } else {
        snprintf(buf, cap, "%s", u);
    }
}

/* A 64-bit hash of a key column's contents: its codes and level strings (strings) or its values
   (numbers), and its missing bits. Words are folded with a multiply-xorshift step (cheap enough
   to run over 1e7 rows in a few milliseconds). */
static uint64_t fold(uint64_t h, uint64_t w)
{
    h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
    return h ^ (h >> 29);
}

static uint64_t column_hash(const carta_column *col, size_t n, uint64_t h)
{
    h = fold(h, (uint64_t)col->type);
    if (col->type == CARTA_STR) {
        size_t i = 0;
        for (; i + 1 < n; i += 2) h = fold(h, (uint64_t)col->code[i] << 32 | col->code[i + 1]);
        if (i < n) h = fold(h, col->code[i]);
        h = fold(h, col->n_levels);
        for (size_t k = 0; k < col->n_levels; k++) {
            const unsigned char *s = (const unsigned char *)col->levels[k];
            uint64_t w = 0;
            size_t j = 0;
            for (; s[j]; j++) {
                w = w << 8 | s[j];
                if ((j & 7) == 7) h = fold(h, w);
            }
            h = fold(h, w ^ (uint64_t)j << 56);
        }
    } else {
        for (size_t i = 0; i < n; i++) h = fold(h, double_bits(carta_column_number(col, i)));
    }
    if (col->missing)
        for (size_t i = 0; i < (n + 7) / 8; i++) h = fold(h, col->missing[i]);
    return fold(h, col->missing ? 1 : 0);
}

int cohort_match(carta_cohort *c, const carta_table *t, const char *source, const uint32_t **out, carta_error *err)
{
    *out = NULL;
    if (!c->subject_col) {
        carta_where at = { .file = source };
        return carta_error_set(err, CARTA_ECONFIG, &at, "the cohort has no key columns to join on");
    }
    keymap sm = { 0 }, um = { 0 };
    const carta_column *uc = key_column(t, c->subject_col, source, err);
    const carta_column *sc = c->study_col ? key_column(t, c->study_col, source, err) : NULL;
    if (!uc || (c->study_col && !sc)) return CARTA_EDATA;
    size_t n = carta_table_nrows(t);
    uint64_t h = column_hash(uc, n, sc ? column_hash(sc, n, 1) : 2);
    if (c->match_rows && c->match_hash == h && c->match_n == n) {
        *out = c->match_rows;
        return CARTA_OK;
    }
    /* The index holds the codes of the original key columns (kept aside after a compaction). */
    const carta_table *kt = cohort_key_table(c);
    int rc = keymap_init(&um, carta_table_find(kt, c->subject_col), &c->subject_num, uc, source, err);
    if (rc == CARTA_OK && sc)
        rc = keymap_init(&sm, carta_table_find(kt, c->study_col), &c->study_num, sc, source, err);
    uint32_t *rows = NULL;
    if (rc == CARTA_OK && !(rows = carta_malloc((n ? n : 1) * sizeof *rows)))
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory to match keys");
    /* Long tables are usually grouped by subject: the previous row's answer is reused while the
       key stays the same, which saves most hash probes. */
    uint32_t last_s = ROW_NONE, last_u = ROW_NONE, last_row = ROW_NONE;
    for (size_t r = 0; rc == CARTA_OK && r < n; r++) {
        uint32_t s = sc ? keymap_get(&sm, r) : 0, u = keymap_get(&um, r);
        if (s == ROW_MISSING_KEY || u == ROW_MISSING_KEY) rows[r] = ROW_MISSING_KEY;
        else if (s == ROW_NONE || u == ROW_NONE) rows[r] = ROW_NONE;
        else if (s == last_s && u == last_u) rows[r] = last_row;
        else rows[r] = last_row = index_get(&c->index, pair(last_s = s, last_u = u));
    }
    carta_free(sm.lut);
    carta_free(um.lut);
    if (rc) {
        carta_free(rows);
        return rc;
    }
    carta_free(c->match_rows);
    c->match_rows = rows;
    c->match_hash = h;
    c->match_n = n;
    *out = rows;
    return CARTA_OK;
}

/* ---- record selection ----------------------------------------------------------------------- */

/* " (did you mean X?)" for the column of t nearest to name, or "" when none is close. */
static void suggest(const carta_table *t, const char *name, char *buf, size_t cap)
{
    const char *best = NULL;
    size_t bd = (size_t)-1, len = strlen(name), lim = len / 3 > 2 ? len / 3 : 2;
    for (size_t i = 0; i < carta_table_ncols(t); i++) {
        const char *cn = carta_table_column(t, i)->name;
        size_t d = carta_expr_edit_distance(name, cn);
        if (d < bd) {
            bd = d;
            best = cn;
        }
    }
    if (best && bd <= lim) snprintf(buf, cap, " (did you mean %s?)", best);
    else buf[0] = '\0';
}

static const carta_column *need_col(const carta_table *t, const char *name, const char *source, const char *role,
                                    carta_error *err)
{
    const carta_column *col = carta_table_find(t, name);
    if (!col) {
        char hint[200];
        suggest(t, name, hint, sizeof hint);
        carta_where at = { .file = source };
        carta_error_set(err, CARTA_EDATA, &at, "no column %s (%s)%s", name, role, hint);
    }
    return col;
}

/* sel[r] &= (col[r] == value) for a string column. */
static int select_equal(const carta_table *t, const char *name, const char *value, const char *source,
                        const char *role, uint8_t *sel, carta_error *err)
{
    const carta_column *col = need_col(t, name, source, role, err);
    if (!col) return CARTA_EDATA;
    size_t n = carta_table_nrows(t);
    if (col->type != CARTA_STR) {
        /* A numeric selector column (PARAMN, a numeric flag) is compared with the value as a number. */
        char *end;
        double v = strtod(value, &end);
        if (end == value || *end) {
            carta_where at = { .file = source, .field = name };
            return carta_error_set(err, CARTA_EDATA, &at, "is a %s column; \"%s\" is not a number (%s)",
                                   carta_type_name(col->type), value, role);
        }
        for (size_t r = 0; r < n; r++) sel[r] &= carta_column_number(col, r) == v;
        return CARTA_OK;
    }
    long code = carta_column_level(col, value);
    if (code < 0) {
        memset(sel, 0, n);
        return CARTA_OK;
    }
    const uint32_t k = (uint32_t)code;
    for (size_t r = 0; r < n; r++) sel[r] &= col->code[r] == k;
    if (col->missing) /* a missing row's code is 0, which may be the value's code */
        for (size_t r = 0; r < n; r++) sel[r] &= !carta_column_is_missing(col, r);
    return CARTA_OK;
}

/* Text describing the selection, for messages and the flow: "adlb (PARAMCD == LDH, ABLFL == Y)". */
static void selection_text(const carta_reduce_spec *s, const char *param_col, const char *flag_col,
                           const char *term_col, char *buf, size_t cap)
{
    size_t k = (size_t)snprintf(buf, cap, "%s", s->source);
    const char *sep = " (";
    if (s->param && k < cap) { k += (size_t)snprintf(buf + k, cap - k, "%s%s == %s", sep, param_col, s->param); sep = ", "; }
    if (flag_col && k < cap) { k += (size_t)snprintf(buf + k, cap - k, "%s%s == Y", sep, flag_col); sep = ", "; }
    if (s->term && k < cap) { k += (size_t)snprintf(buf + k, cap - k, "%s%s == %s", sep, term_col, s->term); sep = ", "; }
    if (s->match && k < cap) { k += (size_t)snprintf(buf + k, cap - k, "%s%s", sep, s->match); sep = ", "; }
    if (strcmp(sep, ", ") == 0 && k < cap) snprintf(buf + k, cap - k, ")");
}

/* Per-subject bookkeeping shared by joins and reductions: for each subject (wide row) the chosen
   record of t, and the three kinds of key problem. */
typedef struct pick {
    uint32_t *src;     /* per wide row: chosen row of t, or ROW_NONE */
    uint8_t *dup;      /* per wide row: more than one candidate record */
    examples orphans, dups, absent;
} pick;

static void pick_free(pick *p)
{
    carta_free(p->src);
    carta_free(p->dup);
}

static int pick_init(pick *p, size_t n_all, carta_error *err)
{
    memset(p, 0, sizeof *p);
    p->src = carta_malloc((n_all ? n_all : 1) * sizeof *p->src);
    p->dup = carta_calloc(n_all ? n_all : 1, 1);
    if (!p->src || !p->dup) {
        pick_free(p);
        return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory to join");
    }
    for (size_t w = 0; w < n_all; w++) p->src[w] = ROW_NONE;
    return CARTA_OK;
}

/* Collects the orphans among the selected rows (keys text from t). */
static int orphans_of(const carta_cohort *c, const carta_table *t, const uint32_t *subj, const uint8_t *sel,
                      examples *x)
{
    const carta_column *uc = carta_table_find(t, c->subject_col);
    const carta_column *sc = c->study_col ? carta_table_find(t, c->study_col) : NULL;
    keymap um = { .col = uc }, sm = { .col = sc };
    size_t n = carta_table_nrows(t);
    for (size_t r = 0; r < n; r++) {
        /* ROW_GONE (a subject that left and was compacted away) is not an orphan. */
        if ((sel && !sel[r]) || subj[r] < ROW_MISSING_KEY) continue;
        char buf[260];
        if (subj[r] == ROW_MISSING_KEY) snprintf(buf, sizeof buf, "row %zu (missing key)", r + 1);
        else foreign_key_text(sc ? &sm : NULL, &um, r, buf, sizeof buf);
        examples_add(x, buf);
    }
    return CARTA_OK;
}

/* Chooses, for each kept subject, its one selected record (sel NULL = all rows); a second
   selected record is a duplicate. When `better` is set, the record it prefers wins instead
   (FIRST: the earliest day), and several records are not a problem. */
static void pick_one(const carta_cohort *c, const uint32_t *subj, const uint8_t *sel, size_t n, pick *p,
                     const double *order)
{
    for (size_t r = 0; r < n; r++) {
        if ((sel && !sel[r]) || subj[r] >= ROW_GONE) continue;
        uint32_t w = subj[r];
        if (!c->keep[w]) continue;
        if (p->src[w] == ROW_NONE) {
            p->src[w] = (uint32_t)r;
        } else if (order) {
            /* Ties keep the earlier row (a stable choice). */
            if (order[r] < order[p->src[w]]) p->src[w] = (uint32_t)r;
        } else if (!p->dup[w]) {
            p->dup[w] = 1;
            char buf[260];
            cohort_key_text(c, w, buf, sizeof buf);
            examples_add(&p->dups, buf);
        }
    }
}

static void absent_of(const carta_cohort *c, pick *p)
{
    for (size_t w = 0; w < c->n_all; w++) {
        if (!c->keep[w] || p->src[w] != ROW_NONE) continue;
        char buf[260];
        cohort_key_text(c, w, buf, sizeof buf);
        examples_add(&p->absent, buf);
    }
}

/* Applies the policy to the problems found: an error, or flow steps. what describes the records
   ("adtte (PARAMCD == TTDE)"). check_only: only report errors (nothing changes). */
static int apply_policy(carta_cohort *c, const pick *p, const carta_key_policy *pol, const char *what,
                        int check_only, carta_error *err)
{
    carta_where at = { .file = what };
    if (check_only) {
        if (p->orphans.count && pol->orphan != CARTA_KEY_EXCLUDE)
            return carta_error_set(err, CARTA_EDATA, &at, "%zu record%s of subjects not in %s: %s", p->orphans.count,
                                   p->orphans.count == 1 ? "" : "s", c->source, p->orphans.text);
        if (p->dups.count && pol->duplicate != CARTA_KEY_EXCLUDE)
            return carta_error_set(err, CARTA_EDATA, &at, "%zu subject%s with more than one record: %s", p->dups.count,
                                   p->dups.count == 1 ? "" : "s", p->dups.text);
        if (p->absent.count && pol->absent == CARTA_KEY_ERROR)
            return carta_error_set(err, CARTA_EDATA, &at, "%zu subject%s of %s without a record: %s", p->absent.count,
                                   p->absent.count == 1 ? "" : "s", c->source, p->absent.text);
        return CARTA_OK;
    }
    char desc[900], reason[1200];
    int rc = CARTA_OK;
    if (p->orphans.count) {
        snprintf(desc, sizeof desc, "records of %s whose subject is not in %s ignored", what, c->source);
        snprintf(reason, sizeof reason, "%zu record%s: %s", p->orphans.count, p->orphans.count == 1 ? "" : "s",
                 p->orphans.text);
        if ((rc = cohort_flow_add(c, desc, 0, reason, err))) return rc;
    }
    uint8_t *drop = NULL;
    if (p->dups.count || (p->absent.count && pol->absent == CARTA_KEY_EXCLUDE)) {
        if (!(drop = carta_calloc(c->n_all ? c->n_all : 1, 1)))
            return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory to join");
    }
    if (p->dups.count) {
        for (size_t w = 0; w < c->n_all; w++) drop[w] = p->dup[w];
        snprintf(desc, sizeof desc, "more than one record in %s", what);
        snprintf(reason, sizeof reason, "%zu subject%s: %s", p->dups.count, p->dups.count == 1 ? "" : "s", p->dups.text);
        rc = cohort_drop(c, drop, desc, reason, err);
    }
    if (rc == CARTA_OK && p->absent.count && pol->absent == CARTA_KEY_EXCLUDE) {
        /* Subjects just dropped as duplicates have records, so the two sets do not overlap. */
        for (size_t w = 0; w < c->n_all; w++) drop[w] = c->keep[w] && p->src[w] == ROW_NONE;
        snprintf(desc, sizeof desc, "no record in %s", what);
        snprintf(reason, sizeof reason, "%zu subject%s: %s", p->absent.count, p->absent.count == 1 ? "" : "s",
                 p->absent.text);
        rc = cohort_drop(c, drop, desc, reason, err);
    }
    carta_free(drop);
    return rc;
}

/* ---- joins ---------------------------------------------------------------------------------- */

int carta_cohort_join(carta_cohort *c, const carta_table *t, const carta_join_spec *spec, carta_error *err)
{
    if (cohort_usable(c, err)) return CARTA_ENOMEM;
    if (!spec->source) return carta_error_set(err, CARTA_ECONFIG, NULL, "join: the table needs a name");
    const char *source = spec->source;
    const char *param_col = spec->param_col ? spec->param_col : "PARAMCD";
    size_t n = carta_table_nrows(t);
    const uint32_t *subj = NULL;
    uint8_t *sel = NULL;
    pick p;
    int rc = pick_init(&p, c->n_all, err);
    if (rc) return rc;
    char what[600];
    if (spec->param) snprintf(what, sizeof what, "%s (%s == %s)", source, param_col, spec->param);
    else snprintf(what, sizeof what, "%s", source);
    size_t added = 0;
    const char **names = NULL; /* the new columns, to undo on failure */
    if ((rc = cohort_match(c, t, source, &subj, err))) goto done;
    if (spec->param) {
        if (!(sel = carta_malloc(n ? n : 1))) {
            rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory to join");
            goto done;
        }
        memset(sel, 1, n);
        if ((rc = select_equal(t, param_col, spec->param, source, "the parameter", sel, err))) goto done;
    }
    /* Check the columns before changing anything. */
    size_t ncols = spec->columns ? spec->n_columns : carta_table_ncols(t);
    if (!(names = carta_calloc(ncols ? ncols : 1, sizeof *names))) {
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory to join");
        goto done;
    }
    for (size_t j = 0; j < ncols; j++) {
        const char *cn = spec->columns ? spec->columns[j] : carta_table_column(t, j)->name;
        if (spec->columns && !carta_table_find(t, cn)) {
            char hint[200];
            suggest(t, cn, hint, sizeof hint);
            carta_where at = { .file = source };
            rc = carta_error_set(err, CARTA_EDATA, &at, "no column %s to join%s", cn, hint);
            goto done;
        }
        char full[300];
        snprintf(full, sizeof full, "%s%s", spec->prefix ? spec->prefix : "", cn);
        if (carta_table_find(c->wide, full) && (spec->columns || spec->prefix)) {
            carta_where at = { .file = source, .field = full };
            rc = carta_error_set(err, CARTA_EDATA, &at, "the analysis table already has this column (give a prefix)");
            goto done;
        }
    }
    orphans_of(c, t, subj, sel, &p.orphans);
    pick_one(c, subj, sel, n, &p, NULL);
    absent_of(c, &p);
    if ((rc = apply_policy(c, &p, &spec->policy, what, 1, err))) goto done;
    for (size_t j = 0; j < ncols; j++) {
        const carta_column *src = spec->columns ? carta_table_find(t, spec->columns[j]) : carta_table_column(t, j);
        char full[300];
        snprintf(full, sizeof full, "%s%s", spec->prefix ? spec->prefix : "", src->name);
        /* All columns: ADSL copies and the key columns are skipped. */
        if (!spec->columns && (strcmp(src->name, c->subject_col) == 0 ||
                               (c->study_col && strcmp(src->name, c->study_col) == 0)))
            continue;
        if (carta_table_find(c->wide, full)) continue;
        carta_column *dst;
        if ((rc = cohort_new_column(c, full, src->type, &dst, source, err))) goto done;
        names[added++] = dst->name;
        if (carta_column_set_meta(dst, src->label, src->unit, src->format) ||
            cohort_copy_values(dst, src, p.src, c->n_all)) {
            rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory to join %s", source);
            goto done;
        }
    }
    rc = apply_policy(c, &p, &spec->policy, what, 0, err);
done:
    if (rc && names) {
        /* Undo: the cohort is left as it was (names point into the columns; copy first). */
        for (size_t j = added; j-- > 0;) {
            char nm[300];
            snprintf(nm, sizeof nm, "%s", names[j]);
            carta_table_drop_column(c->wide, nm);
        }
    }
    carta_free(names);
    carta_free(sel);
    pick_free(&p);
    return rc;
}

/* ---- reductions ----------------------------------------------------------------------------- */

void carta_reduce_spec_default(carta_reduce_spec *s)
{
    memset(s, 0, sizeof *s);
    s->rule = CARTA_REDUCE_BASELINE;
    s->window_lo = -INF;
    s->window_hi = INF;
    s->none_value = 0;
    s->policy.duplicate = CARTA_KEY_ERROR;
    s->policy.orphan = CARTA_KEY_EXCLUDE;
    s->policy.absent = CARTA_KEY_MISSING;
}

/* A numeric value per row of column col: numbers as they are; strings parsed once per level
   (blank = missing). CARTA_EDATA naming the first value that is not a number. */
static int numeric_values(const carta_column *col, const uint8_t *sel, size_t n, const char *source, double **out,
                          carta_error *err)
{
    *out = NULL;
    double *v = carta_malloc((n ? n : 1) * sizeof *v);
    double *lv = NULL;
    if (!v) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory to reduce %s", source);
    if (col->type != CARTA_STR) {
        for (size_t r = 0; r < n; r++) v[r] = carta_column_number(col, r);
        *out = v;
        return CARTA_OK;
    }
    if (!(lv = carta_malloc((col->n_levels ? col->n_levels : 1) * sizeof *lv))) {
        carta_free(v);
        return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory to reduce %s", source);
    }
    for (size_t k = 0; k < col->n_levels; k++) {
        const char *s = col->levels[k];
        while (*s == ' ') s++;
        char *end;
        double x = strtod(s, &end);
        while (*end == ' ') end++;
        lv[k] = !*s ? (double)NAN : (end == s || *end) ? INF : x; /* INF marks "not a number" */
    }
    for (size_t r = 0; r < n; r++) {
        if (carta_column_is_missing(col, r)) {
            v[r] = (double)NAN;
            continue;
        }
        v[r] = lv[col->code[r]];
        if (v[r] == INF && (!sel || sel[r])) {
            carta_where at = { .file = source, .row = (long)r + 1, .field = col->name };
            int rc = carta_error_set(err, CARTA_EDATA, &at, "\"%s\" is not a number", col->levels[col->code[r]]);
            carta_free(lv);
            carta_free(v);
            return rc;
        }
    }
    carta_free(lv);
    *out = v;
    return CARTA_OK;
}

/* The unit of the chosen records (AVALU, else LBSTRESU): one distinct non-empty unit is copied
   to the new column; several are an error (the table needs unit harmonisation first). */
static int chosen_unit(const carta_table *t, const pick *p, size_t n_all, const uint8_t *keep, const char *what,
                       const char **unit, carta_error *err)
{
    *unit = NULL;
    const carta_column *uc = carta_table_find(t, "AVALU");
    if (!uc || uc->type != CARTA_STR) uc = carta_table_find(t, "LBSTRESU");
    if (!uc || uc->type != CARTA_STR) return CARTA_OK;
    long first = -1, second = -1;
    size_t n_first = 0, n_second = 0;
    for (size_t w = 0; w < n_all; w++) {
        if (!keep[w] || p->src[w] == ROW_NONE || carta_column_is_missing(uc, p->src[w])) continue;
        long code = uc->code[p->src[w]];
        if (!uc->levels[code][0]) continue;
        if (first < 0 || code == first) {
            first = code;
            n_first++;
        } else {
            if (second < 0) second = code;
            if (code == second) n_second++;
        }
    }
    if (second >= 0) {
        carta_where at = { .file = what, .field = uc->name };
        return carta_error_set(err, CARTA_EDATA, &at,
                               "the records are in more than one unit (%s: %zu, %s: %zu, ...): harmonize units first",
                               uc->levels[first], n_first, uc->levels[second], n_second);
    }
    if (first >= 0) *unit = uc->levels[first];
    return CARTA_OK;
}

int carta_cohort_reduce(carta_cohort *c, const carta_table *t, const carta_reduce_spec *spec, carta_error *err)
{
    const carta_reduce_spec *s = spec;
    if (cohort_usable(c, err)) return CARTA_ENOMEM;
    if (!s->source || !s->name || !s->name[0])
        return carta_error_set(err, CARTA_ECONFIG, NULL, "reduce: the table and the new column need names");
    if ((s->rule == CARTA_REDUCE_BASELINE || s->rule == CARTA_REDUCE_PARAM) && !s->param) {
        carta_where at = { .field = s->name };
        return carta_error_set(err, CARTA_ECONFIG, &at, "%s: the %s rule needs a parameter (PARAMCD value)", s->source,
                               s->rule == CARTA_REDUCE_BASELINE ? "baseline" : "param");
    }
    if (carta_table_find(c->wide, s->name)) {
        carta_where at = { .field = s->name };
        return carta_error_set(err, CARTA_EDATA, &at, "the analysis table already has this column");
    }
    const char *source = s->source;
    const char *param_col = s->param_col ? s->param_col : "PARAMCD";
    const char *flag_col = s->rule == CARTA_REDUCE_BASELINE ? (s->flag_col ? s->flag_col : "ABLFL") : NULL;
    const char *term_col = s->term_col ? s->term_col : "AEDECOD";
    const char *value = s->value;
    if (!value && s->rule != CARTA_REDUCE_FIRST) value = s->rule == CARTA_REDUCE_WORST ? "AETOXGR" : "AVAL";
    int windowed = s->window_lo > -INF || s->window_hi < INF;
    int need_day = windowed || s->rule == CARTA_REDUCE_FIRST;
    size_t n = carta_table_nrows(t);
    char what[700];
    selection_text(s, param_col, flag_col, term_col, what, sizeof what);

    int rc = CARTA_OK;
    const uint32_t *subj = NULL;
    uint8_t *sel = NULL, *mv = NULL;
    double *day = NULL, *val = NULL, *best = NULL;
    carta_expr *e = NULL;
    carta_column *dst = NULL;
    pick p;
    if ((rc = pick_init(&p, c->n_all, err))) return rc;
    const carta_column *vcol = NULL;
    if (value && !(vcol = need_col(t, value, source, "the value", err))) {
        rc = CARTA_EDATA;
        goto done;
    }
    if ((rc = cohort_match(c, t, source, &subj, err))) goto done;
    if (!(sel = carta_malloc(n ? n : 1))) {
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory to reduce %s", source);
        goto done;
    }
    memset(sel, 1, n);
    if (s->param && (rc = select_equal(t, param_col, s->param, source, "the parameter", sel, err))) goto done;
    if (flag_col && (rc = select_equal(t, flag_col, "Y", source, "the baseline flag", sel, err))) goto done;
    if (s->term && (rc = select_equal(t, term_col, s->term, source, "the term", sel, err))) goto done;
    if (s->match) {
        if ((rc = carta_expr_parse(s->match, s->match_name ? s->match_name : "match", &e, err)) ||
            (rc = carta_expr_bind(e, t, err)))
            goto done;
        if (!(mv = carta_malloc(n ? n : 1))) {
            rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory to reduce %s", source);
            goto done;
        }
        if ((rc = carta_expr_eval_bool(e, t, mv, err))) goto done;
        for (size_t r = 0; r < n; r++) sel[r] &= mv[r] == CARTA_TRUE;
    }
    if (need_day) {
        if (!(day = carta_malloc((n ? n : 1) * sizeof *day))) {
            rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory to reduce %s", source);
            goto done;
        }
        if (s->date_col) {
            const char *ref_name = s->ref_col ? s->ref_col : "TRTSDT";
            const carta_column *dc = need_col(t, s->date_col, source, "the record date", err);
            const carta_column *rcol = carta_table_find(c->wide, ref_name);
            if (!dc) {
                rc = CARTA_EDATA;
                goto done;
            }
            if (!rcol) {
                carta_where at = { .file = c->source };
                rc = carta_error_set(err, CARTA_EDATA, &at, "no column %s (the reference date)", ref_name);
                goto done;
            }
            if (dc->type == CARTA_STR || rcol->type == CARTA_STR) {
                carta_where at = { .file = dc->type == CARTA_STR ? source : c->source,
                                   .field = dc->type == CARTA_STR ? dc->name : rcol->name };
                rc = carta_error_set(err, CARTA_EDATA, &at, "is a string column, not a date");
                goto done;
            }
            for (size_t r = 0; r < n; r++)
                day[r] = subj[r] < ROW_GONE ? carta_column_number(dc, r) - carta_column_number(rcol, subj[r])
                                                   : (double)NAN;
        } else {
            const carta_column *dc = need_col(t, s->day_col ? s->day_col : "ASTDY", source, "the study day", err);
            if (!dc) {
                rc = CARTA_EDATA;
                goto done;
            }
            if (dc->type == CARTA_STR) {
                carta_where at = { .file = source, .field = dc->name };
                rc = carta_error_set(err, CARTA_EDATA, &at, "is a string column, not a day number");
                goto done;
            }
            for (size_t r = 0; r < n; r++) {
                double d = carta_column_number(dc, r);
                /* SDTM days have no day 0: day 1 is the reference date itself. */
                if (s->day_origin == CARTA_DAY_SDTM && d >= 1) d -= 1;
                day[r] = d;
            }
        }
    }
    /* Orphans are counted before the window, which cannot be computed for them. */
    orphans_of(c, t, subj, sel, &p.orphans);
    if (windowed)
        for (size_t r = 0; r < n; r++) sel[r] &= day[r] >= s->window_lo && day[r] <= s->window_hi;
    /* FIRST orders by day: a record without one cannot be placed, so it is not used. */
    if (s->rule == CARTA_REDUCE_FIRST)
        for (size_t r = 0; r < n; r++) sel[r] &= !isnan(day[r]);

    if (s->rule == CARTA_REDUCE_WORST) {
        if ((rc = numeric_values(vcol, sel, n, source, &val, err))) goto done;
        if (!(best = carta_malloc((c->n_all ? c->n_all : 1) * sizeof *best))) {
            rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory to reduce %s", source);
            goto done;
        }
        /* best = -inf: records seen, none with a value; NaN: no record at all. */
        for (size_t w = 0; w < c->n_all; w++) best[w] = (double)NAN;
        for (size_t r = 0; r < n; r++) {
            if (!sel[r] || subj[r] >= ROW_GONE) continue;
            uint32_t w = subj[r];
            if (isnan(best[w])) best[w] = -INF;
            if (!isnan(val[r]) && val[r] > best[w]) best[w] = val[r];
        }
        if ((rc = apply_policy(c, &p, &s->policy, what, 1, err))) goto done;
        if ((rc = cohort_new_column(c, s->name, CARTA_F64, &dst, source, err))) goto done;
        for (size_t w = 0; w < c->n_all; w++) {
            double b = isnan(best[w]) ? s->none_value : best[w] == -INF ? (double)NAN : best[w];
            if (carta_column_push_f64(dst, b)) {
                rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory to reduce %s", source);
                goto done;
            }
        }
    } else {
        pick_one(c, subj, sel, n, &p, s->rule == CARTA_REDUCE_FIRST ? day : NULL);
        if (s->rule != CARTA_REDUCE_FIRST) absent_of(c, &p);
        if ((rc = apply_policy(c, &p, &s->policy, what, 1, err))) goto done;
        const char *unit = NULL;
        if (vcol && vcol->type != CARTA_STR && (rc = chosen_unit(t, &p, c->n_all, c->keep, what, &unit, err))) goto done;
        if (vcol) {
            if ((rc = cohort_new_column(c, s->name, vcol->type, &dst, source, err))) goto done;
            if (carta_column_set_meta(dst, vcol->label, unit ? unit : vcol->unit, vcol->format) ||
                cohort_copy_values(dst, vcol, p.src, c->n_all)) {
                rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory to reduce %s", source);
                goto done;
            }
        } else {
            /* FIRST without a value column: the day of the first record (days from the reference). */
            if ((rc = cohort_new_column(c, s->name, CARTA_F64, &dst, source, err))) goto done;
            for (size_t w = 0; w < c->n_all; w++) {
                if (carta_column_push_f64(dst, p.src[w] == ROW_NONE ? (double)NAN : day[p.src[w]])) {
                    rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory to reduce %s", source);
                    goto done;
                }
            }
        }
    }
    rc = apply_policy(c, &p, &s->policy, what, 0, err);
done:
    if (rc && dst) carta_table_drop_column(c->wide, s->name);
    carta_expr_free(e);
    carta_free(sel);
    carta_free(mv);
    carta_free(day);
    carta_free(val);
    carta_free(best);
    pick_free(&p);
    return rc;
}
