/* The fairness attributes performance is sliced by (the card's fairness section): from
 * validation.fairness, or by default SEX, PRODUCT and AGE cut at 65 when the analysis table has
 * them. A text attribute's slices are its levels (first appearance order, or the listed ones in
 * the listed order), labelled "COL=level"; a numeric attribute cut at c1 < ... < ck has the
 * slices COL<c1, c1<=COL<c2, ..., COL>=ck. Rows with a missing value, or a level not listed,
 * are in no slice of that attribute. */
#include "internal.h"

#include <carta/alloc.h>
#include <carta/numfmt.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The defaults, as carta has always sliced: two text columns and age at 65. */
static const double AGE_CUT[] = { 65 };
static const carta_cfg_fairness_attr DEFAULTS[] = {
    { "SEX", { NULL, 0 }, { NULL, 0 } },
    { "PRODUCT", { NULL, 0 }, { NULL, 0 } },
    { "AGE", { AGE_CUT, 1 }, { NULL, 0 } },
};

/* The attributes that apply: the listed ones, or the defaults present in t with their type. */
static size_t attrs_of(const carta_config *c, const carta_table *t, const carta_cfg_fairness_attr **out)
{
    if (!c->validation.fairness_default) {
        for (size_t k = 0; k < c->validation.n_fairness; k++) out[k] = &c->validation.fairness[k];
        return c->validation.n_fairness;
    }
    size_t n = 0;
    for (size_t k = 0; k < sizeof DEFAULTS / sizeof DEFAULTS[0]; k++) {
        const carta_column *col = carta_table_find(t, DEFAULTS[k].column);
        if (!col || (DEFAULTS[k].cuts.n > 0) != (col->type != CARTA_STR)) continue;
        out[n++] = &DEFAULTS[k];
    }
    return n;
}

size_t fairness_attributes(const carta_config *c, const carta_table *t, const char **out)
{
    const carta_cfg_fairness_attr *a[CARTA_CFG_MAX_FAIRNESS];
    size_t n = attrs_of(c, t, a);
    for (size_t k = 0; k < n; k++) out[k] = a[k]->column;
    return n;
}

void fairness_free(fairness_attr *a, size_t n)
{
    if (!a) return;
    for (size_t k = 0; k < n; k++) {
        for (size_t g = 0; a[k].labels && g < a[k].n_groups; g++) carta_free(a[k].labels[g]);
        carta_free(a[k].labels);
        carta_free(a[k].group);
    }
    carta_free(a);
}

/* A config error at /validation/fairness/<k>/<key>[/<j>]. */
static int cfg_error(const carta_config *c, carta_error *err, size_t k, const char *key, long j, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static int cfg_error(const carta_config *c, carta_error *err, size_t k, const char *key, long j, const char *fmt, ...)
{
    char ptr[128], msg[512];
    if (j >= 0) snprintf(ptr, sizeof ptr, "/validation/fairness/%zu/%s/%ld", k, key, j);
    else snprintf(ptr, sizeof ptr, "/validation/fairness/%zu/%s", k, key);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    carta_where at = { .file = c->file, .field = ptr };
    return carta_error_set(err, CARTA_ECONFIG, &at, "%s", msg);
}

/* Slices of one attribute over the rows of t into f. */
static int build_one(const carta_config *c, const carta_table *t, size_t k, const carta_cfg_fairness_attr *a,
                     fairness_attr *f, carta_error *err)
{
    const carta_column *col = carta_table_find(t, a->column);
    size_t n = carta_table_nrows(t);
    f->column = a->column;
    if (!col)
        return cfg_error(c, err, k, "column", -1, "no column %.80s in the analysis table (fairness attributes name columns of the "
                         "cohort's table)", a->column);
    int text = col->type == CARTA_STR;
    if (text && a->cuts.n)
        return cfg_error(c, err, k, "cuts", -1, "column %.80s is text: give \"levels\" (or nothing), not \"cuts\"",
                         a->column);
    if (!text && !a->cuts.n)
        return cfg_error(c, err, k, "column", -1, "column %.80s is numeric: give \"cuts\" (e.g. [65]) to group it",
                         a->column);
    if (!text && a->levels.n)
        return cfg_error(c, err, k, "levels", -1, "column %.80s is numeric: give \"cuts\", not \"levels\"", a->column);
    /* level index in the column -> slice (or -1 when not listed) */
    size_t nl = text ? col->n_levels : 0;
    int *slice_of = carta_malloc((nl ? nl : 1) * sizeof *slice_of);
    if (!slice_of) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    for (size_t l = 0; l < nl; l++) slice_of[l] = a->levels.n ? -1 : (int)l;
    for (size_t j = 0; j < a->levels.n; j++) {
        size_t l = 0;
        while (l < nl && strcmp(col->levels[l], a->levels.v[j]) != 0) l++;
        if (l == nl) {
            carta_free(slice_of);
            return cfg_error(c, err, k, "levels", (long)j, "level \"%.80s\" does not occur in column %.80s", a->levels.v[j],
                             a->column);
        }
        slice_of[l] = (int)j;
    }
    f->n_groups = text ? (a->levels.n ? a->levels.n : nl) : a->cuts.n + 1;
    f->labels = carta_calloc(f->n_groups ? f->n_groups : 1, sizeof *f->labels);
    f->group = carta_malloc((n ? n : 1) * sizeof *f->group);
    int rc = !f->labels || !f->group ? carta_error_set(err, CARTA_ENOMEM, NULL, "no memory") : CARTA_OK;
    for (size_t g = 0; !rc && g < f->n_groups; g++) {
        char buf[320], lo[40], hi[40];
        if (text) {
            const char *lev = a->levels.n ? a->levels.v[g] : col->levels[g];
            snprintf(buf, sizeof buf, "%s=%s", a->column, lev);
        } else if (g == 0) {
            snprintf(buf, sizeof buf, "%s<%s", a->column, carta_numfmt(a->cuts.v[0], hi, sizeof hi));
        } else if (g == a->cuts.n) {
            snprintf(buf, sizeof buf, "%s>=%s", a->column, carta_numfmt(a->cuts.v[g - 1], lo, sizeof lo));
        } else {
            snprintf(buf, sizeof buf, "%s<=%s<%s", carta_numfmt(a->cuts.v[g - 1], lo, sizeof lo), a->column,
                     carta_numfmt(a->cuts.v[g], hi, sizeof hi));
        }
        if (!(f->labels[g] = carta_strdup(buf))) rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    }
    for (size_t i = 0; !rc && i < n; i++) {
        if (carta_column_is_missing(col, i)) {
            f->group[i] = -1;
        } else if (text) {
            f->group[i] = slice_of[col->code[i]];
        } else {
            double v = carta_column_number(col, i);
            size_t g = 0;
            while (g < a->cuts.n && v >= a->cuts.v[g]) g++;
            f->group[i] = (int)g;
        }
    }
    carta_free(slice_of);
    return rc;
}

int fairness_build(const carta_config *c, const carta_table *t, fairness_attr **out, size_t *n_out, carta_error *err)
{
    const carta_cfg_fairness_attr *a[CARTA_CFG_MAX_FAIRNESS];
    size_t n = attrs_of(c, t, a);
    *out = NULL;
    *n_out = 0;
    fairness_attr *f = carta_calloc(n ? n : 1, sizeof *f);
    if (!f) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    int rc = CARTA_OK;
    for (size_t k = 0; k < n && !rc; k++) rc = build_one(c, t, k, a[k], &f[k], err);
    if (rc) {
        fairness_free(f, n);
        return rc;
    }
    *out = f;
    *n_out = n;
    return CARTA_OK;
}
