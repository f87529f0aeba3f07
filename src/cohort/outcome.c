/* Outcome definitions: binary (a condition), survival (right-censored time and event, or
   (start, stop] rows with an id), competing risks (time and a cause column), plus the group,
   strata and cluster codes the estimators read through carta_surv_data.

   Level order follows ARCHITECTURE "Conventions for all estimators": numbers ascending, strings
   in byte order; combinations of several columns ordered with the first column varying slowest
   (as R's survfit orders strata), and only combinations that occur are kept. Labels are
   `column=value`, several joined by ", ". Cause labels of competing risks are sorted the same
   way, the censoring value excluded, so the status codes 1..K are deterministic. */
#include "internal.h"

#include <carta/alloc.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct octx {
    const carta_table *t;
    const char *name;            /* "/outcome" */
    const carta_column *subject; /* for examples, or NULL */
    const carta_declared_levels *declared; /* level orders of group/strata columns */
    size_t n_declared;
    carta_error *err;
} octx;

static int oerr(const octx *x, int code, const char *field, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int oerr(const octx *x, int code, const char *field, const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    carta_where at = { .field = x->name };
    if (field) return carta_error_set(x->err, code, &at, "column %s: %s", field, msg);
    return carta_error_set(x->err, code, &at, "%s", msg);
}

static int onomem(const octx *x) { return oerr(x, CARTA_ENOMEM, NULL, "no memory for the outcome"); }

/* "row 3 (01-701-1015)" for a 0-based row. */
static void row_text(const octx *x, size_t r, char *buf, size_t cap)
{
    if (x->subject) {
        char s[200];
        cohort_value_text(x->subject, r, s, sizeof s);
        snprintf(buf, cap, "row %zu (%s)", r + 1, s);
    } else {
        snprintf(buf, cap, "row %zu", r + 1);
    }
}

static void add_row(const octx *x, examples *ex, size_t r)
{
    char buf[260];
    row_text(x, r, buf, sizeof buf);
    examples_add(ex, buf);
}

static int rows_error(const octx *x, const char *field, const examples *ex, const char *what)
{
    return oerr(x, CARTA_EDATA, field, "%zu row%s with %s: %s", ex->count, ex->count == 1 ? "" : "s", what, ex->text);
}

static const carta_column *ocol(const octx *x, const char *name, const char *role, int numeric)
{
    const carta_column *c = carta_table_find(x->t, name);
    if (!c) {
        oerr(x, CARTA_EDATA, NULL, "the %s column %s is not in the analysis table", role, name);
        return NULL;
    }
    if (numeric && (c->type == CARTA_STR || c->type == CARTA_DATE)) {
        oerr(x, CARTA_EDATA, name, "the %s must be a number (of days), not a %s%s", role, carta_type_name(c->type),
             c->type == CARTA_DATE ? " (derive it with days_between)" : "");
        return NULL;
    }
    return c;
}

/* Numeric values of a time column; missing and negative values are errors. */
static int read_times(const octx *x, const char *name, const char *role, double **out)
{
    const carta_column *c = ocol(x, name, role, 1);
    if (!c) return CARTA_EDATA;
    size_t n = carta_table_nrows(x->t);
    double *v = carta_malloc((n ? n : 1) * sizeof *v);
    if (!v) return onomem(x);
    examples miss = { 0 }, neg = { 0 };
    for (size_t r = 0; r < n; r++) {
        v[r] = carta_column_number(c, r);
        if (isnan(v[r])) add_row(x, &miss, r);
        else if (v[r] < 0 || isinf(v[r])) add_row(x, &neg, r);
    }
    int rc = CARTA_OK;
    if (miss.count) rc = rows_error(x, name, &miss, "a missing time");
    else if (neg.count) rc = rows_error(x, name, &neg, "a negative or infinite time");
    if (rc) {
        carta_free(v);
        return rc;
    }
    *out = v;
    return CARTA_OK;
}

/* Evaluates the event condition; a missing result is an error. */
static int read_event(const octx *x, const char *text, uint8_t **out)
{
    char ename[160];
    snprintf(ename, sizeof ename, "%s/event", x->name);
    carta_expr *e = NULL;
    size_t n = carta_table_nrows(x->t);
    uint8_t *v = NULL;
    int rc = carta_expr_parse(text, ename, &e, x->err);
    if (rc == CARTA_OK) rc = carta_expr_bind(e, x->t, x->err);
    if (rc == CARTA_OK && carta_expr_result_type(e) != CARTA_EXPR_BOOL) {
        carta_where at = { .field = ename, .col = 1 };
        rc = carta_error_set(x->err, CARTA_ECONFIG, &at, "%s is not a condition (write e.g. \"CNSR == 0\")", text);
    }
    if (rc == CARTA_OK && !(v = carta_malloc(n ? n : 1))) rc = onomem(x);
    if (rc == CARTA_OK) rc = carta_expr_eval_bool(e, x->t, v, x->err);
    carta_expr_free(e);
    if (rc == CARTA_OK) {
        examples miss = { 0 };
        for (size_t r = 0; r < n; r++)
            if (v[r] == CARTA_MISSING) add_row(x, &miss, r);
        if (miss.count) {
            char what[300];
            snprintf(what, sizeof what, "a missing event (%s is unknown)", text);
            carta_where at = { .field = ename };
            rc = carta_error_set(x->err, CARTA_EDATA, &at, "%zu row%s with %s: %s", miss.count, miss.count == 1 ? "" : "s",
                                 what, miss.text);
        }
    }
    if (rc) {
        carta_free(v);
        return rc;
    }
    *out = v;
    return CARTA_OK;
}

/* ---- levels and combinations ---------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The sort rank of each row's value in column c (numbers ascending, strings in byte order);
   ranks are dense over the distinct values. Missing rows get UINT32_MAX. */
static int value_ranks(const carta_column *c, size_t n, uint32_t *rank)
{
    if (c->type == CARTA_STR) {
        size_t k = c->n_levels;
        size_t *perm = carta_malloc((k ? k : 1) * sizeof *perm);
        uint32_t *lr = carta_malloc((k ? k : 1) * sizeof *lr);
        if (!perm || !lr) {
            carta_free(perm);
            carta_free(lr);
            return CARTA_ENOMEM;
        }
        /* Insertion by binary search keeps this O(k log k) comparisons without a global for qsort. */
        for (size_t i = 0; i < k; i++) {
            size_t lo = 0, hi = i;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (strcmp(c->levels[perm[mid]], c->levels[i]) < 0) lo = mid + 1;
                else hi = mid;
            }
            memmove(perm + lo + 1, perm + lo, (i - lo) * sizeof *perm);
            perm[lo] = i;
        }
        for (size_t i = 0; i < k; i++) lr[perm[i]] = (uint32_t)i;
        for (size_t r = 0; r < n; r++) rank[r] = carta_column_is_missing(c, r) ? UINT32_MAX : lr[c->code[r]];
        carta_free(perm);
        carta_free(lr);
        return CARTA_OK;
    }
    double *u = carta_malloc((n ? n : 1) * sizeof *u);
    if (!u) return CARTA_ENOMEM;
    size_t m = 0;
    for (size_t r = 0; r < n; r++) {
        double v = carta_column_number(c, r);
        if (!isnan(v)) u[m++] = v;
    }
    qsort(u, m, sizeof *u, cmp_double);
    size_t k = 0;
    for (size_t i = 0; i < m; i++)
        if (k == 0 || u[i] != u[k - 1]) u[k++] = u[i];
    for (size_t r = 0; r < n; r++) {
        double v = carta_column_number(c, r);
        if (isnan(v)) {
            rank[r] = UINT32_MAX;
            continue;
        }
        size_t lo = 0, hi = k;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (u[mid] < v) lo = mid + 1;
            else hi = mid;
        }
        rank[r] = (uint32_t)lo;
    }
    carta_free(u);
    return CARTA_OK;
}

/* Sorting rows by their tuple of ranks (first column slowest); ties by row for stability. */
typedef struct tuple_sort {
    uint32_t **ranks;
    size_t k;
} tuple_sort;

static int tuple_cmp(const tuple_sort *ts, size_t a, size_t b)
{
    for (size_t j = 0; j < ts->k; j++) {
        uint32_t x = ts->ranks[j][a], y = ts->ranks[j][b];
        if (x != y) return x < y ? -1 : 1;
    }
    return 0;
}

/* Merge sort of idx[0..n) by tuple (stable), with scratch tmp. */
static void merge_sort(const tuple_sort *ts, size_t *idx, size_t *tmp, size_t n)
{
    if (n < 2) return;
    if (n <= 16) {
        for (size_t i = 1; i < n; i++) {
            size_t v = idx[i], j = i;
            while (j > 0 && tuple_cmp(ts, idx[j - 1], v) > 0) {
                idx[j] = idx[j - 1];
                j--;
            }
            idx[j] = v;
        }
        return;
    }
    size_t h = n / 2;
    merge_sort(ts, idx, tmp, h);
    merge_sort(ts, idx + h, tmp, n - h);
    size_t i = 0, j = h, o = 0;
    while (i < h && j < n) tmp[o++] = tuple_cmp(ts, idx[j], idx[i]) < 0 ? idx[j++] : idx[i++];
    while (i < h) tmp[o++] = idx[i++];
    while (j < n) tmp[o++] = idx[j++];
    memcpy(idx, tmp, n * sizeof *idx);
}

static void free_labels(char **labels, size_t n)
{
    if (!labels) return;
    for (size_t i = 0; i < n; i++) carta_free(labels[i]);
    carta_free(labels);
}

/* Replaces natural ranks by positions in a declared level order. The natural ranks are dense
   over the distinct values, so each distinct value is looked up once (by the text of one row
   holding it). A value not declared is an error naming rows. */
static int declared_ranks(const octx *x, const carta_column *c, const carta_declared_levels *d, size_t n,
                          uint32_t *rank)
{
    uint32_t k = 0;
    for (size_t r = 0; r < n; r++)
        if (rank[r] + 1 > k) k = rank[r] + 1;
    size_t *rep = carta_malloc((k ? k : 1) * sizeof *rep);
    uint32_t *map = carta_malloc((k ? k : 1) * sizeof *map);
    if (!rep || !map) {
        carta_free(rep);
        carta_free(map);
        return onomem(x);
    }
    for (size_t r = 0; r < n; r++) rep[rank[r]] = r;
    for (uint32_t v = 0; v < k; v++) {
        char buf[400];
        cohort_value_text(c, rep[v], buf, sizeof buf);
        map[v] = UINT32_MAX;
        for (size_t i = 0; i < d->n_levels; i++)
            if (strcmp(d->levels[i], buf) == 0) {
                map[v] = (uint32_t)i;
                break;
            }
    }
    examples bad = { 0 };
    for (size_t r = 0; r < n; r++) {
        if (map[rank[r]] == UINT32_MAX) {
            char e[700], v[400];
            row_text(x, r, e, sizeof e);
            cohort_value_text(c, r, v, sizeof v);
            size_t len = strlen(e);
            snprintf(e + len, sizeof e - len, " \"%s\"", v);
            examples_add(&bad, e);
        }
        rank[r] = map[rank[r]];
    }
    carta_free(rep);
    carta_free(map);
    if (bad.count) return rows_error(x, c->name, &bad, "a value that is not one of the declared levels");
    return CARTA_OK;
}

/* Codes of the distinct combinations of columns cols[0..k) over the rows of x->t, in level order;
   labels "col=value, ..." when labels is not NULL. A missing value is an error naming rows. */
static int combo_codes(const octx *x, const char *const *cols, size_t k, const char *role, int **codes_out,
                       char ***labels_out, size_t *n_out)
{
    size_t n = carta_table_nrows(x->t);
    int rc = CARTA_OK;
    const carta_column **cc = carta_calloc(k, sizeof *cc);
    uint32_t **ranks = carta_calloc(k, sizeof *ranks);
    size_t *idx = carta_malloc((n ? n : 1) * sizeof *idx);
    size_t *tmp = carta_malloc((n ? n : 1) * sizeof *tmp);
    int *codes = carta_malloc((n ? n : 1) * sizeof *codes);
    char **labels = NULL;
    size_t n_codes = 0;
    if (!cc || !ranks || !idx || !tmp || !codes) {
        rc = onomem(x);
        goto done;
    }
    for (size_t j = 0; j < k; j++) {
        if (!(cc[j] = ocol(x, cols[j], role, 0))) {
            rc = CARTA_EDATA;
            goto done;
        }
        examples miss = { 0 };
        for (size_t r = 0; r < n; r++)
            if (carta_column_is_missing(cc[j], r)) add_row(x, &miss, r);
        if (miss.count) {
            char what[200];
            snprintf(what, sizeof what, "a missing %s value (filter them out with cohort.where)", role);
            rc = rows_error(x, cols[j], &miss, what);
            goto done;
        }
        if (!(ranks[j] = carta_malloc((n ? n : 1) * sizeof *ranks[j])) || value_ranks(cc[j], n, ranks[j])) {
            rc = onomem(x);
            goto done;
        }
        for (size_t d = 0; d < x->n_declared; d++)
            if (strcmp(x->declared[d].column, cols[j]) == 0) {
                if ((rc = declared_ranks(x, cc[j], &x->declared[d], n, ranks[j]))) goto done;
                break;
            }
    }
    for (size_t r = 0; r < n; r++) idx[r] = r;
    tuple_sort ts = { ranks, k };
    merge_sort(&ts, idx, tmp, n);
    /* Walk the sorted rows; a new tuple starts a new code. tmp[code] = its first row. */
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || tuple_cmp(&ts, idx[i - 1], idx[i]) != 0) tmp[n_codes++] = idx[i];
        codes[idx[i]] = (int)(n_codes - 1);
    }
    if (labels_out) {
        if (!(labels = carta_calloc(n_codes ? n_codes : 1, sizeof *labels))) {
            rc = onomem(x);
            goto done;
        }
        for (size_t g = 0; g < n_codes; g++) {
            char buf[1024];
            size_t used = 0;
            for (size_t j = 0; j < k && used < sizeof buf; j++) {
                char v[400];
                cohort_value_text(cc[j], tmp[g], v, sizeof v);
                used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s=%s", j ? ", " : "", cols[j], v);
            }
            if (!(labels[g] = carta_strdup(buf))) {
                rc = onomem(x);
                goto done;
            }
        }
    }
done:
    if (ranks)
        for (size_t j = 0; j < k; j++) carta_free(ranks[j]);
    carta_free(ranks);
    carta_free(cc);
    carta_free(idx);
    carta_free(tmp);
    if (rc) {
        carta_free(codes);
        free_labels(labels, n_codes);
        return rc;
    }
    *codes_out = codes;
    if (labels_out) *labels_out = labels;
    *n_out = n_codes;
    return CARTA_OK;
}

/* ---- the outcome ---------------------------------------------------------------------------- */

void carta_outcome_free(carta_outcome *o)
{
    if (!o) return;
    carta_free(o->y);
    carta_free(o->time);
    carta_free(o->start);
    carta_free(o->status);
    free_labels(o->cause_labels, o->n_causes);
    carta_free(o->weight);
    carta_free(o->offset);
    carta_free(o->group);
    carta_free(o->strata);
    carta_free(o->cluster);
    carta_free(o->id);
    free_labels(o->group_labels, o->n_groups);
    free_labels(o->strata_labels, o->n_strata);
    carta_free(o);
}

static void set_view(carta_outcome *o)
{
    carta_surv_data *d = &o->surv;
    memset(d, 0, sizeof *d);
    d->n = o->n;
    d->time = o->time;
    d->start = o->start;
    d->status = o->status;
    d->n_causes = o->type == CARTA_OUTCOME_COMPETING ? o->n_causes : 0;
    d->cause_labels = (const char *const *)o->cause_labels;
    d->weight = o->weight;
    d->group = o->group;
    d->n_groups = o->group ? o->n_groups : 0;
    d->group_labels = (const char *const *)o->group_labels;
    d->strata = o->strata;
    d->n_strata = o->strata ? o->n_strata : 0;
    d->strata_labels = (const char *const *)o->strata_labels;
    d->cluster = o->cluster;
    d->n_clusters = o->n_clusters;
    d->id = o->id;
}

/* (start, stop] rows: stop > start, and the intervals of one id do not overlap. */
static int check_intervals(const octx *x, carta_outcome *o, const char *stop_name)
{
    examples bad = { 0 };
    for (size_t r = 0; r < o->n; r++)
        if (!(o->time[r] > o->start[r])) add_row(x, &bad, r);
    if (bad.count) return rows_error(x, stop_name, &bad, "stop <= start");
    size_t *idx = carta_malloc((o->n ? o->n : 1) * sizeof *idx);
    size_t *tmp = carta_malloc((o->n ? o->n : 1) * sizeof *tmp);
    uint32_t *r_id = carta_malloc((o->n ? o->n : 1) * sizeof *r_id);
    uint32_t *r_start = carta_malloc((o->n ? o->n : 1) * sizeof *r_start);
    int rc = CARTA_OK;
    if (!idx || !tmp || !r_id || !r_start) {
        rc = onomem(x);
        goto done;
    }
    /* Rank starts to sort (id, start) with the integer tuple sort. */
    double *u = carta_malloc((o->n ? o->n : 1) * sizeof *u);
    if (!u) {
        rc = onomem(x);
        goto done;
    }
    memcpy(u, o->start, o->n * sizeof *u);
    qsort(u, o->n, sizeof *u, cmp_double);
    for (size_t r = 0; r < o->n; r++) {
        size_t lo = 0, hi = o->n;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (u[mid] < o->start[r]) lo = mid + 1;
            else hi = mid;
        }
        r_start[r] = (uint32_t)lo;
        r_id[r] = (uint32_t)o->id[r];
        idx[r] = r;
    }
    carta_free(u);
    uint32_t *ranks[2] = { r_id, r_start };
    tuple_sort ts = { ranks, 2 };
    merge_sort(&ts, idx, tmp, o->n);
    for (size_t i = 1; i < o->n; i++) {
        size_t a = idx[i - 1], b = idx[i];
        if (o->id[a] == o->id[b] && o->start[b] < o->time[a]) {
            char ra[260], rb[260];
            row_text(x, a, ra, sizeof ra);
            row_text(x, b, rb, sizeof rb);
            rc = oerr(x, CARTA_EDATA, stop_name, "the (start, stop] intervals of one id overlap: %s (%g, %g] and %s (%g, %g]",
                      ra, o->start[a], o->time[a], rb, o->start[b], o->time[b]);
            break;
        }
    }
done:
    carta_free(idx);
    carta_free(tmp);
    carta_free(r_id);
    carta_free(r_start);
    return rc;
}

static int cmp_label_num(const void *a, const void *b)
{
    double x = strtod(*(char *const *)a, NULL), y = strtod(*(char *const *)b, NULL);
    return (x > y) - (x < y);
}

static int cmp_label_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Competing risks: status 0 for censor, else 1 + the index of the value among the sorted causes. */
static int competing_status(const octx *x, const carta_outcome_spec *s, carta_outcome *o)
{
    const carta_column *c = ocol(x, s->cause, "cause", 0);
    if (!c) return CARTA_EDATA;
    int numeric = c->type != CARTA_STR;
    size_t n = o->n;
    char **labels = NULL;
    size_t k = 0, cap = 0;
    examples miss = { 0 }, unknown = { 0 };
    int rc = CARTA_OK;
    char buf[400];
    /* The cause labels: the declared causes, or the distinct values present (censor excluded). */
    if (s->causes) {
        cap = s->n_causes;
        if (!(labels = carta_calloc(cap ? cap : 1, sizeof *labels))) return onomem(x);
        for (size_t i = 0; i < s->n_causes; i++) {
            if (!(labels[k] = carta_strdup(s->causes[i]))) {
                rc = onomem(x);
                goto done;
            }
            k++;
        }
    } else {
        for (size_t r = 0; r < n; r++) {
            if (carta_column_is_missing(c, r)) continue;
            cohort_value_text(c, r, buf, sizeof buf);
            if (strcmp(buf, s->censor) == 0) continue;
            size_t i = 0;
            while (i < k && strcmp(labels[i], buf) != 0) i++;
            if (i < k) continue;
            if (k == cap) {
                cap = cap ? cap * 2 : 8;
                char **nl = carta_realloc(labels, cap * sizeof *nl);
                if (!nl) {
                    rc = onomem(x);
                    goto done;
                }
                labels = nl;
            }
            if (!(labels[k] = carta_strdup(buf))) {
                rc = onomem(x);
                goto done;
            }
            k++;
        }
    }
    if (k > 1) qsort(labels, k, sizeof *labels, numeric ? cmp_label_num : cmp_label_str);
    for (size_t r = 0; r < n; r++) {
        if (carta_column_is_missing(c, r)) {
            add_row(x, &miss, r);
            continue;
        }
        cohort_value_text(c, r, buf, sizeof buf);
        if (strcmp(buf, s->censor) == 0) {
            o->status[r] = 0;
            continue;
        }
        size_t i = 0;
        while (i < k && strcmp(labels[i], buf) != 0) i++;
        if (i == k) {
            char e[700];
            row_text(x, r, e, sizeof e);
            size_t len = strlen(e);
            snprintf(e + len, sizeof e - len, " \"%s\"", buf);
            examples_add(&unknown, e);
            continue;
        }
        o->status[r] = (int)(i + 1);
        o->n_events++;
    }
    if (miss.count) rc = rows_error(x, s->cause, &miss, "a missing cause");
    else if (unknown.count) {
        char what[900];
        size_t used = (size_t)snprintf(what, sizeof what, "a cause that is neither the censoring value \"%s\" nor one of",
                                       s->censor);
        for (size_t i = 0; i < k && used < sizeof what; i++)
            used += (size_t)snprintf(what + used, sizeof what - used, "%s \"%s\"", i ? "," : "", labels[i]);
        rc = rows_error(x, s->cause, &unknown, what);
    }
done:
    if (rc) {
        free_labels(labels, k);
        return rc;
    }
    o->cause_labels = labels;
    o->n_causes = k;
    return CARTA_OK;
}

int carta_outcome_build(const carta_outcome_spec *spec, const carta_table *t, carta_outcome **out, carta_error *err)
{
    *out = NULL;
    const carta_outcome_spec *s = spec;
    octx x = { .t = t, .name = s->name ? s->name : "outcome", .err = err, .declared = s->declared,
               .n_declared = s->n_declared };
    x.subject = carta_table_find(t, s->subject ? s->subject : "USUBJID");
    size_t n = carta_table_nrows(t);
    carta_outcome *o = carta_calloc(1, sizeof *o);
    uint8_t *ev = NULL;
    int rc = CARTA_OK;
    if (!o) return onomem(&x);
    o->type = s->type;
    o->n = n;
    switch (s->type) {
    case CARTA_OUTCOME_BINARY:
        if (!s->event) {
            rc = oerr(&x, CARTA_ECONFIG, NULL, "a binary outcome needs an event condition");
            break;
        }
        if ((rc = read_event(&x, s->event, &ev))) break;
        if (!(o->y = carta_malloc((n ? n : 1) * sizeof *o->y))) {
            rc = onomem(&x);
            break;
        }
        for (size_t r = 0; r < n; r++) {
            o->y[r] = ev[r] == CARTA_TRUE;
            o->n_events += ev[r] == CARTA_TRUE;
        }
        if (o->n_events == 0) rc = oerr(&x, CARTA_EDATA, NULL, "no events: %s is false for all %zu rows", s->event, n);
        else if (o->n_events == n)
            rc = oerr(&x, CARTA_EDATA, NULL, "only events: %s is true for all %zu rows (nothing to compare)", s->event, n);
        break;
    case CARTA_OUTCOME_SURVIVAL:
        if (!s->time || !s->event) {
            rc = oerr(&x, CARTA_ECONFIG, NULL, "a survival outcome needs a time column and an event condition");
            break;
        }
        if (s->start && !s->id) {
            rc = oerr(&x, CARTA_ECONFIG, NULL, "(start, stop] rows need an id column naming the subject");
            break;
        }
        if ((rc = read_times(&x, s->time, "time", &o->time))) break;
        if (s->start && (rc = read_times(&x, s->start, "start", &o->start))) break;
        if ((rc = read_event(&x, s->event, &ev))) break;
        if (!(o->status = carta_malloc((n ? n : 1) * sizeof *o->status))) {
            rc = onomem(&x);
            break;
        }
        for (size_t r = 0; r < n; r++) {
            o->status[r] = ev[r] == CARTA_TRUE;
            o->n_events += (size_t)o->status[r];
        }
        if (o->n_events == 0) {
            rc = oerr(&x, CARTA_EDATA, NULL, "no events: %s is false for all %zu rows", s->event, n);
            break;
        }
        if (s->start) {
            const char *idc[1] = { s->id };
            if ((rc = combo_codes(&x, idc, 1, "id", &o->id, NULL, &o->n_ids))) break;
            rc = check_intervals(&x, o, s->time);
        }
        break;
    case CARTA_OUTCOME_COMPETING:
        if (!s->time || !s->cause || !s->censor) {
            rc = oerr(&x, CARTA_ECONFIG, NULL, "a competing-risks outcome needs time, cause and censor");
            break;
        }
        if (s->start && !s->id) {
            rc = oerr(&x, CARTA_ECONFIG, NULL, "(start, stop] rows need an id column naming the subject");
            break;
        }
        if ((rc = read_times(&x, s->time, "time", &o->time))) break;
        if (s->start && (rc = read_times(&x, s->start, "start", &o->start))) break;
        if (!(o->status = carta_malloc((n ? n : 1) * sizeof *o->status))) {
            rc = onomem(&x);
            break;
        }
        if ((rc = competing_status(&x, s, o))) break;
        if (o->n_events == 0) {
            rc = oerr(&x, CARTA_EDATA, s->cause, "no events: every row is censored (%s == \"%s\")", s->cause, s->censor);
            break;
        }
        if (s->start) { /* delayed entry (left truncation) for Aalen-Johansen */
            const char *idc[1] = { s->id };
            if ((rc = combo_codes(&x, idc, 1, "id", &o->id, NULL, &o->n_ids))) break;
            rc = check_intervals(&x, o, s->time);
        }
        break;
    default: rc = oerr(&x, CARTA_ECONFIG, NULL, "unknown outcome type %d", (int)s->type); break;
    }
    if (rc == CARTA_OK && s->n_group)
        rc = combo_codes(&x, s->group, s->n_group, "group", &o->group, &o->group_labels, &o->n_groups);
    if (rc == CARTA_OK && s->n_strata)
        rc = combo_codes(&x, s->strata, s->n_strata, "strata", &o->strata, &o->strata_labels, &o->n_strata);
    if (rc == CARTA_OK && s->cluster) {
        const char *cc[1] = { s->cluster };
        rc = combo_codes(&x, cc, 1, "cluster", &o->cluster, NULL, &o->n_clusters);
    }
    if (rc == CARTA_OK && s->weight) {
        const carta_column *wc = ocol(&x, s->weight, "weight", 1);
        if (!wc) rc = CARTA_EDATA;
        else if (!(o->weight = carta_malloc((n ? n : 1) * sizeof *o->weight))) rc = onomem(&x);
        examples bad = { 0 };
        for (size_t r = 0; rc == CARTA_OK && r < n; r++) {
            o->weight[r] = carta_column_number(wc, r);
            if (!(o->weight[r] > 0) || isinf(o->weight[r])) add_row(&x, &bad, r);
        }
        if (rc == CARTA_OK && bad.count) rc = rows_error(&x, s->weight, &bad, "a missing, infinite or non-positive weight");
    }
    if (rc == CARTA_OK && s->offset) {
        octx xo = x; /* its errors name the offset's key */
        if (s->offset_name) xo.name = s->offset_name;
        const carta_column *oc = ocol(&xo, s->offset, "offset", 0);
        if (!oc) rc = CARTA_EDATA;
        else if (oc->type == CARTA_STR || oc->type == CARTA_DATE)
            rc = oerr(&xo, CARTA_EDATA, s->offset, "the offset must be a number, not a %s", carta_type_name(oc->type));
        else if (!(o->offset = carta_malloc((n ? n : 1) * sizeof *o->offset))) rc = onomem(&xo);
        examples bad = { 0 };
        for (size_t r = 0; rc == CARTA_OK && r < n; r++) {
            o->offset[r] = carta_column_number(oc, r);
            if (!isfinite(o->offset[r])) add_row(&xo, &bad, r);
        }
        if (rc == CARTA_OK && bad.count) rc = rows_error(&xo, s->offset, &bad, "a missing or infinite offset");
    }
    carta_free(ev);
    if (rc) {
        carta_outcome_free(o);
        return rc;
    }
    set_view(o);
    *out = o;
    return CARTA_OK;
}

/* Copies codes of the chosen rows and renumbers them over the codes still used (in order). */
static int recode(const int *src, const size_t *rows, size_t n, size_t n_levels, int **dst, char *const *labels,
                  char ***dst_labels, size_t *n_out)
{
    int *map = carta_malloc((n_levels ? n_levels : 1) * sizeof *map);
    int *codes = carta_malloc((n ? n : 1) * sizeof *codes);
    char **lab = NULL;
    if (!map || !codes) goto fail;
    for (size_t g = 0; g < n_levels; g++) map[g] = -1;
    for (size_t i = 0; i < n; i++) map[src[rows[i]]] = 0;
    size_t k = 0;
    for (size_t g = 0; g < n_levels; g++)
        if (map[g] == 0) map[g] = (int)k++;
    for (size_t i = 0; i < n; i++) codes[i] = map[src[rows[i]]];
    if (labels) {
        if (!(lab = carta_calloc(k ? k : 1, sizeof *lab))) goto fail;
        for (size_t g = 0; g < n_levels; g++)
            if (map[g] >= 0 && !(lab[map[g]] = carta_strdup(labels[g]))) {
                free_labels(lab, k);
                lab = NULL;
                goto fail;
            }
    }
    carta_free(map);
    *dst = codes;
    if (dst_labels) *dst_labels = lab;
    *n_out = k;
    return CARTA_OK;
fail:
    carta_free(map);
    carta_free(codes);
    return CARTA_ENOMEM;
}

static int copy_d(const double *src, const size_t *rows, size_t n, double **dst)
{
    if (!src) return CARTA_OK;
    if (!(*dst = carta_malloc((n ? n : 1) * sizeof **dst))) return CARTA_ENOMEM;
    for (size_t i = 0; i < n; i++) (*dst)[i] = src[rows[i]];
    return CARTA_OK;
}

int carta_outcome_subset(const carta_outcome *o, const size_t *rows, size_t n, carta_outcome **out, carta_error *err)
{
    *out = NULL;
    for (size_t i = 0; i < n; i++)
        if (rows[i] >= o->n)
            return carta_error_set(err, CARTA_EDATA, NULL, "outcome subset: row %zu is beyond the %zu rows", rows[i] + 1, o->n);
    carta_outcome *s = carta_calloc(1, sizeof *s);
    if (!s) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory for the outcome");
    s->type = o->type;
    s->n = n;
    int rc = CARTA_OK;
    if (copy_d(o->y, rows, n, &s->y) || copy_d(o->time, rows, n, &s->time) || copy_d(o->start, rows, n, &s->start) ||
        copy_d(o->weight, rows, n, &s->weight) || copy_d(o->offset, rows, n, &s->offset))
        rc = CARTA_ENOMEM;
    if (rc == CARTA_OK && o->status) {
        if (!(s->status = carta_malloc((n ? n : 1) * sizeof *s->status))) rc = CARTA_ENOMEM;
        for (size_t i = 0; rc == CARTA_OK && i < n; i++) s->status[i] = o->status[rows[i]];
    }
    if (rc == CARTA_OK && o->cause_labels) {
        /* Causes keep their codes (and labels) even when a cause no longer occurs. */
        if (!(s->cause_labels = carta_calloc(o->n_causes ? o->n_causes : 1, sizeof *s->cause_labels))) rc = CARTA_ENOMEM;
        for (size_t k = 0; rc == CARTA_OK && k < o->n_causes; k++) {
            if (!(s->cause_labels[k] = carta_strdup(o->cause_labels[k]))) rc = CARTA_ENOMEM;
            else s->n_causes = k + 1;
        }
        s->n_causes = o->n_causes;
    }
    if (rc == CARTA_OK && o->group)
        rc = recode(o->group, rows, n, o->n_groups, &s->group, o->group_labels, &s->group_labels, &s->n_groups);
    if (rc == CARTA_OK && o->strata)
        rc = recode(o->strata, rows, n, o->n_strata, &s->strata, o->strata_labels, &s->strata_labels, &s->n_strata);
    if (rc == CARTA_OK && o->cluster) rc = recode(o->cluster, rows, n, o->n_clusters, &s->cluster, NULL, NULL, &s->n_clusters);
    if (rc == CARTA_OK && o->id) rc = recode(o->id, rows, n, o->n_ids, &s->id, NULL, NULL, &s->n_ids);
    if (rc) {
        carta_outcome_free(s);
        return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory for the outcome");
    }
    for (size_t i = 0; i < n; i++) s->n_events += s->y ? s->y[i] == 1 : s->status[i] > 0;
    set_view(s);
    *out = s;
    return CARTA_OK;
}
