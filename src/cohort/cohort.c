/* The cohort builder: the subject table (copied once by carta_cohort_new, taken over without a
   copy by carta_cohort_adopt) as the "wide" table, a keep-mask over its rows, and the flow
   record. Joins and reductions add columns to the wide table for every row; exclusions only
   clear keep bits and add a flow step. When the analysis table is asked for after exclusions,
   the wide table is compacted to the kept rows column by column (each old column is freed as
   soon as its kept rows are copied), so the analysis table is the wide table itself and never
   exists beside a second full copy: a chain of steps costs O(rows x added columns), and memory
   stays at one table plus one column. The key index keeps working across a compaction: it is
   remapped to the new rows (ROW_GONE for subjects that left), and the original key columns are
   kept because the index holds their dictionary codes. */
#include "internal.h"

#include <carta/alloc.h>
#include <carta/numfmt.h>

#include <stdio.h>
#include <string.h>

void examples_add(examples *x, const char *s)
{
    x->count++;
    if (x->shown >= COHORT_EXAMPLES) {
        if (x->shown == COHORT_EXAMPLES) {
            size_t k = strlen(x->text);
            snprintf(x->text + k, sizeof x->text - k, ", ...");
            x->shown++;
        }
        return;
    }
    size_t k = strlen(x->text);
    snprintf(x->text + k, sizeof x->text - k, "%s%s", x->shown ? ", " : "", s);
    x->shown++;
}

void cohort_value_text(const carta_column *col, size_t r, char *buf, size_t cap)
{
    if (carta_column_is_missing(col, r)) {
        snprintf(buf, cap, "NA");
        return;
    }
    switch (col->type) {
    case CARTA_STR: snprintf(buf, cap, "%s", col->levels[col->code[r]]); return;
    case CARTA_DATE: {
        int64_t y;
        unsigned m, d;
        carta_civil_from_days(col->i64[r], &y, &m, &d);
        snprintf(buf, cap, "%04lld-%02u-%02u", (long long)y, m, d);
        return;
    }
    case CARTA_BOOL: snprintf(buf, cap, "%s", col->i64[r] ? "TRUE" : "FALSE"); return;
    case CARTA_I64: snprintf(buf, cap, "%lld", (long long)col->i64[r]); return;
    case CARTA_F64: {
        char tmp[40];
        snprintf(buf, cap, "%s", carta_numfmt(col->f64[r], tmp, sizeof tmp));
        return;
    }
    }
}

void cohort_key_text(const carta_cohort *c, size_t w, char *buf, size_t cap)
{
    char s[128] = "", u[128] = "";
    const carta_column *sc = c->study_col ? carta_table_find(c->wide, c->study_col) : NULL;
    const carta_column *uc = c->subject_col ? carta_table_find(c->wide, c->subject_col) : NULL;
    if (uc) cohort_value_text(uc, w, u, sizeof u);
    else snprintf(u, sizeof u, "row %zu", w + 1);
    if (sc) {
        cohort_value_text(sc, w, s, sizeof s);
        snprintf(buf, cap, "%s/%s", s, u);
    } else {
        snprintf(buf, cap, "%s", u);
    }
}

int cohort_flow_add(carta_cohort *c, const char *description, size_t n_excluded, const char *reason,
                    carta_error *err)
{
    carta_flow_step *s = carta_realloc(c->flow.steps, (c->flow.n + 1) * sizeof *s);
    if (!s) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory for the cohort flow");
    c->flow.steps = s;
    carta_flow_step *st = &s[c->flow.n];
    st->description = carta_strdup(description ? description : "");
    st->reason = carta_strdup(reason ? reason : "");
    if (!st->description || !st->reason) {
        carta_free(st->description);
        carta_free(st->reason);
        return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory for the cohort flow");
    }
    st->n_excluded = n_excluded;
    st->n_remaining = c->n_keep;
    c->flow.n++;
    return CARTA_OK;
}

int cohort_usable(const carta_cohort *c, carta_error *err)
{
    if (!c->lost) return CARTA_OK;
    return carta_error_set(err, CARTA_ENOMEM, NULL,
                           "the cohort was lost to an earlier out-of-memory error while its analysis table was built");
}

const carta_table *cohort_key_table(const carta_cohort *c) { return c->keys ? c->keys : c->wide; }

int cohort_drop(carta_cohort *c, const uint8_t *drop, const char *description, const char *reason,
                carta_error *err)
{
    /* The flow step is added first (with the counts it will have), so that a failed allocation
       leaves the cohort unchanged. */
    size_t n = 0;
    for (size_t w = 0; w < c->n_all; w++) n += c->keep[w] && drop[w];
    size_t before = c->n_keep;
    c->n_keep -= n;
    int rc = cohort_flow_add(c, description, n, reason, err);
    if (rc) {
        c->n_keep = before;
        return rc;
    }
    for (size_t w = 0; w < c->n_all; w++)
        if (drop[w]) c->keep[w] = 0;
    return CARTA_OK;
}

int cohort_new_column(carta_cohort *c, const char *name, carta_type type, carta_column **out,
                      const char *what, carta_error *err)
{
    *out = NULL;
    int rc = cohort_usable(c, err);
    if (rc) return rc;
    if (carta_table_find(c->wide, name)) {
        carta_where at = { .field = name };
        return carta_error_set(err, CARTA_EDATA, &at, "%s: the analysis table already has a column %s%s", what,
                               name, " (choose another name or a prefix)");
    }
    rc = carta_table_add_column(c->wide, name, type, out, err);
    if (rc == CARTA_OK) {
        if (carta_column_reserve(*out, c->n_all)) {
            carta_table_drop_column(c->wide, name);
            *out = NULL;
            return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory for column %s", name);
        }
    }
    return rc;
}

int cohort_copy_values(carta_column *dst, const carta_column *src, const uint32_t *rows, size_t n)
{
    for (size_t w = 0; w < n; w++) {
        uint32_t r = rows ? rows[w] : (uint32_t)w;
        int rc;
        if (r >= ROW_MISSING_KEY || carta_column_is_missing(src, r)) {
            rc = carta_column_push_missing(dst);
        } else {
            switch (src->type) {
            case CARTA_F64: rc = carta_column_push_f64(dst, src->f64[r]); break;
            case CARTA_STR: {
                const char *s = src->levels[src->code[r]];
                rc = carta_column_push_str(dst, s, strlen(s));
                break;
            }
            case CARTA_I64:
            case CARTA_BOOL:
            case CARTA_DATE:
            default: rc = carta_column_push_i64(dst, src->i64[r]); break;
            }
        }
        if (rc) return CARTA_ENOMEM;
    }
    return CARTA_OK;
}

/* A copy of t whose columns are sized as carta_column_reserve sizes them (capacities rounded up
   to a power of two), not exactly as carta_table_clone sizes them: the compaction frees these
   columns one by one while it allocates the compacted ones through carta_column_reserve, and
   with equal size classes the allocator can reuse each freed column for the next new one
   (measured with glibc: about 260 MB less resident at 1e6 x 46 than after carta_table_clone,
   whose exactly-sized holes are slightly too small for the new columns). Dictionaries are
   rebuilt in order of first appearance, which is the source's order when it has no unused
   levels. CARTA_ENOMEM. */
static int copy_table(const carta_table *t, carta_table **out, carta_error *err)
{
    *out = NULL;
    size_t n = carta_table_nrows(t);
    carta_table *c = carta_table_new(carta_table_source(t));
    int rc = c ? CARTA_OK : carta_error_set(err, CARTA_ENOMEM, NULL, "no memory to copy the subject table");
    for (size_t j = 0; rc == CARTA_OK && j < carta_table_ncols(t); j++) {
        const carta_column *src = carta_table_column(t, j);
        carta_column *dst;
        if ((rc = carta_table_add_column(c, src->name, src->type, &dst, err))) break;
        if (carta_column_set_meta(dst, src->label, src->unit, src->format) || carta_column_reserve(dst, n) ||
            cohort_copy_values(dst, src, NULL, n))
            rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory to copy the subject table");
    }
    if (rc) {
        carta_table_free(c);
        return rc;
    }
    *out = c;
    return CARTA_OK;
}

/* Both constructors: owned is the subject table taken over (adopt), or NULL to copy subjects. */
static int cohort_start(const carta_table *subjects, carta_table *owned, const char *source,
                        const carta_cohort_keys *keys, const carta_key_policy *policy, carta_cohort **out,
                        carta_error *err)
{
    *out = NULL;
    const char *src = source ? source : carta_table_source(subjects) ? carta_table_source(subjects) : "subjects";
    carta_cohort *c = carta_calloc(1, sizeof *c);
    int rc = CARTA_OK;
    if (!c || !(c->source = carta_strdup(src))) {
        carta_free(c);
        return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory for the cohort");
    }
    const char *study = keys ? keys->study : "STUDYID";
    const char *subject = keys ? keys->subject : "USUBJID";
    if ((subject && !(c->subject_col = carta_strdup(subject))) || (subject && study && !(c->study_col = carta_strdup(study)))) {
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory for the cohort");
        goto done;
    }
    if (owned) c->wide = owned;
    else if ((rc = copy_table(subjects, &c->wide, err))) goto done;
    c->n_all = carta_table_nrows(c->wide);
    if (c->n_all >= ROW_GONE) {
        carta_where at = { .file = c->source };
        rc = carta_error_set(err, CARTA_EDATA, &at, "%zu rows: a cohort holds fewer than %u subjects", c->n_all,
                             (unsigned)ROW_GONE);
        goto done;
    }
    if (!(c->keep = carta_malloc(c->n_all ? c->n_all : 1))) {
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory for the cohort");
        goto done;
    }
    memset(c->keep, 1, c->n_all);
    c->n_keep = c->n_all;
    char desc[300];
    snprintf(desc, sizeof desc, "subjects in %s", c->source);
    if ((rc = cohort_flow_add(c, desc, 0, "", err))) goto done;
    if (c->subject_col) rc = cohort_index_build(c, policy ? policy->duplicate : CARTA_KEY_ERROR, err);
done:
    if (rc) {
        if (owned) c->wide = NULL; /* on failure the caller keeps its table, unchanged */
        carta_cohort_free(c);
        return rc;
    }
    *out = c;
    return CARTA_OK;
}

int carta_cohort_new(const carta_table *subjects, const char *source, const carta_cohort_keys *keys,
                     const carta_key_policy *policy, carta_cohort **out, carta_error *err)
{
    return cohort_start(subjects, NULL, source, keys, policy, out, err);
}

int carta_cohort_adopt(carta_table *subjects, const char *source, const carta_cohort_keys *keys,
                       const carta_key_policy *policy, carta_cohort **out, carta_error *err)
{
    return cohort_start(subjects, subjects, source, keys, policy, out, err);
}

void carta_cohort_free(carta_cohort *c)
{
    if (!c) return;
    cohort_index_free(c);
    carta_table_free(c->wide);
    carta_table_free(c->keys);
    for (size_t i = 0; i < c->flow.n; i++) {
        carta_free(c->flow.steps[i].description);
        carta_free(c->flow.steps[i].reason);
    }
    carta_free(c->flow.steps);
    carta_free(c->keep);
    carta_free(c->study_col);
    carta_free(c->subject_col);
    carta_free(c->source);
    carta_free(c);
}

const carta_flow *carta_cohort_flow(const carta_cohort *c) { return &c->flow; }
size_t carta_cohort_n(const carta_cohort *c) { return c->n_keep; }

int carta_cohort_where(carta_cohort *c, const char *text, const char *where_name, carta_error *err)
{
    carta_expr *e = NULL;
    uint8_t *v = NULL;
    int rc = cohort_usable(c, err);
    if (rc == CARTA_OK) rc = carta_expr_parse(text, where_name, &e, err);
    if (rc == CARTA_OK) rc = carta_expr_bind(e, c->wide, err);
    if (rc == CARTA_OK && carta_expr_result_type(e) != CARTA_EXPR_BOOL) {
        carta_where at = { .col = 1, .field = where_name };
        rc = carta_error_set(err, CARTA_ECONFIG, &at, "%s is not a condition (compare it with something)", text);
    }
    if (rc == CARTA_OK && !(v = carta_malloc(c->n_all ? c->n_all : 1)))
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory to filter the cohort");
    if (rc == CARTA_OK) rc = carta_expr_eval_bool(e, c->wide, v, err);
    if (rc == CARTA_OK) {
        size_t n_false = 0, n_missing = 0;
        for (size_t w = 0; w < c->n_all; w++) {
            if (!c->keep[w]) continue;
            n_false += v[w] == CARTA_FALSE;
            n_missing += v[w] == CARTA_MISSING;
            v[w] = v[w] != CARTA_TRUE; /* now: drop */
        }
        char desc[600], reason[200];
        snprintf(desc, sizeof desc, "where %s", text);
        if (n_false + n_missing == 0) reason[0] = '\0';
        else if (n_missing == 0) snprintf(reason, sizeof reason, "condition false for %zu", n_false);
        else snprintf(reason, sizeof reason, "condition false for %zu, missing (unknown) for %zu", n_false, n_missing);
        rc = cohort_drop(c, v, desc, reason, err);
    }
    carta_free(v);
    carta_expr_free(e);
    return rc;
}

int carta_cohort_exclude(carta_cohort *c, const uint8_t *keep, const char *description, const char *reason,
                         carta_error *err)
{
    int rc = cohort_usable(c, err);
    if (rc) return rc;
    uint8_t *drop = carta_calloc(c->n_all ? c->n_all : 1, 1);
    if (!drop) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory to filter the cohort");
    /* keep[] runs over the current analysis rows, i.e. the kept wide rows in order. */
    size_t i = 0;
    for (size_t w = 0; w < c->n_all; w++)
        if (c->keep[w]) drop[w] = !keep[i++];
    rc = cohort_drop(c, drop, description, reason, err);
    carta_free(drop);
    return rc;
}

static int is_key_column(const carta_cohort *c, const char *name)
{
    return (c->subject_col && strcmp(name, c->subject_col) == 0) || (c->study_col && strcmp(name, c->study_col) == 0);
}

/* Removes the rows of subjects that left from the wide table. Each column is copied to a new
   table (kept rows only, so string dictionaries hold the levels still present, in order of first
   appearance) and the old column is freed at once: the peak is the wide table plus one column.
   The first time, the old key columns are kept in c->keys (the index holds their codes). Until
   the first column moves nothing has changed; a failure after that leaves the cohort lost. */
static int compact(carta_cohort *c, carta_error *err)
{
    size_t na = c->n_all, nk = c->n_keep;
    uint32_t *rows = carta_malloc((nk ? nk : 1) * sizeof *rows);
    uint32_t *map = carta_malloc((na ? na : 1) * sizeof *map);
    carta_table *v = carta_table_new(carta_table_source(c->wide));
    if (!rows || !map || !v) {
        carta_free(rows);
        carta_free(map);
        carta_table_free(v);
        return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory for the analysis table");
    }
    size_t k = 0;
    for (size_t w = 0; w < na; w++) {
        map[w] = c->keep[w] ? (uint32_t)k : ROW_GONE;
        if (c->keep[w]) rows[k++] = (uint32_t)w;
    }
    int keep_keys = !c->keys && c->subject_col;
    int rc = CARTA_OK;
    size_t j = 0;
    while (j < carta_table_ncols(c->wide)) {
        const carta_column *src = carta_table_column(c->wide, j);
        carta_column *dst;
        if ((rc = carta_table_add_column(v, src->name, src->type, &dst, err))) break;
        if (carta_column_set_meta(dst, src->label, src->unit, src->format) || carta_column_reserve(dst, nk) ||
            cohort_copy_values(dst, src, rows, nk)) {
            rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory for the analysis table");
            break;
        }
        if (keep_keys && is_key_column(c, src->name)) j++;
        else carta_table_drop_column(c->wide, dst->name); /* dst->name: src->name is freed by the drop */
    }
    carta_free(rows);
    if (rc) {
        /* Some columns have moved, the others have not: nothing consistent is left to return to. */
        c->lost = 1;
        carta_free(map);
        carta_table_free(v);
        return rc;
    }
    if (keep_keys) c->keys = c->wide; /* now only the key columns, with every original row */
    else carta_table_free(c->wide);
    c->wide = v;
    for (size_t s = 0; s < c->index.cap; s++) {
        uint32_t r = c->index.rows[s];
        if (r && r - 1 < ROW_GONE) c->index.rows[s] = map[r - 1] + 1;
    }
    carta_free(map);
    /* The cached key match holds old rows. */
    carta_free(c->match_rows);
    c->match_rows = NULL;
    c->n_all = nk;
    memset(c->keep, 1, nk);
    return CARTA_OK;
}

int carta_cohort_table(carta_cohort *c, const carta_table **out, carta_error *err)
{
    *out = NULL;
    int rc = cohort_usable(c, err);
    if (rc == CARTA_OK && c->n_keep != c->n_all) rc = compact(c, err);
    if (rc) return rc;
    *out = c->wide;
    return CARTA_OK;
}
