/* The cohort builder: the subject table copied once ("wide"), a keep-mask over its rows, and the
   flow record. Joins and reductions add columns to the wide table for every row; exclusions only
   clear keep bits and add a flow step; the analysis table (the kept rows) is copied once, when
   it is asked for. So a chain of steps costs O(rows x added columns), not a copy per step. */
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

void cohort_changed(carta_cohort *c) { c->view_dirty = 1; }

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
    if (n) cohort_changed(c);
    return CARTA_OK;
}

int cohort_new_column(carta_cohort *c, const char *name, carta_type type, carta_column **out,
                      const char *what, carta_error *err)
{
    *out = NULL;
    if (carta_table_find(c->wide, name)) {
        carta_where at = { .field = name };
        return carta_error_set(err, CARTA_EDATA, &at, "%s: the analysis table already has a column %s%s", what,
                               name, " (choose another name or a prefix)");
    }
    int rc = carta_table_add_column(c->wide, name, type, out, err);
    if (rc == CARTA_OK) {
        cohort_changed(c);
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

int carta_cohort_new(const carta_table *subjects, const char *source, const carta_cohort_keys *keys,
                     const carta_key_policy *policy, carta_cohort **out, carta_error *err)
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
    if ((rc = carta_table_clone(subjects, NULL, &c->wide, err))) goto done;
    c->n_all = carta_table_nrows(c->wide);
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
        carta_cohort_free(c);
        return rc;
    }
    *out = c;
    return CARTA_OK;
}

void carta_cohort_free(carta_cohort *c)
{
    if (!c) return;
    cohort_index_free(c);
    carta_table_free(c->wide);
    carta_table_free(c->view);
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
    int rc = carta_expr_parse(text, where_name, &e, err);
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
    uint8_t *drop = carta_calloc(c->n_all ? c->n_all : 1, 1);
    if (!drop) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory to filter the cohort");
    /* keep[] runs over the current analysis rows, i.e. the kept wide rows in order. */
    size_t i = 0;
    for (size_t w = 0; w < c->n_all; w++)
        if (c->keep[w]) drop[w] = !keep[i++];
    int rc = cohort_drop(c, drop, description, reason, err);
    carta_free(drop);
    return rc;
}

int carta_cohort_table(carta_cohort *c, const carta_table **out, carta_error *err)
{
    *out = NULL;
    if (c->n_keep == c->n_all) {
        *out = c->wide;
        return CARTA_OK;
    }
    if (c->view && !c->view_dirty) {
        *out = c->view;
        return CARTA_OK;
    }
    uint32_t *rows = carta_malloc((c->n_keep ? c->n_keep : 1) * sizeof *rows);
    carta_table *v = carta_table_new(carta_table_source(c->wide));
    int rc = CARTA_OK;
    if (!rows || !v) rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory for the analysis table");
    size_t k = 0;
    for (size_t w = 0; rc == CARTA_OK && w < c->n_all; w++)
        if (c->keep[w]) rows[k++] = (uint32_t)w;
    for (size_t j = 0; rc == CARTA_OK && j < carta_table_ncols(c->wide); j++) {
        const carta_column *src = carta_table_column(c->wide, j);
        carta_column *dst;
        rc = carta_table_add_column(v, src->name, src->type, &dst, err);
        if (rc) break;
        if (carta_column_set_meta(dst, src->label, src->unit, src->format) || carta_column_reserve(dst, c->n_keep) ||
            cohort_copy_values(dst, src, rows, c->n_keep))
            rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory for the analysis table");
    }
    carta_free(rows);
    if (rc) {
        carta_table_free(v);
        return rc;
    }
    carta_table_free(c->view);
    c->view = v;
    c->view_dirty = 0;
    *out = v;
    return CARTA_OK;
}
