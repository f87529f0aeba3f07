/* Lab units to one convention. Each record is converted from the unit it carries (AVALU, or
   LBSTRESU), not from a per-trial assumption: a trial may change its lab vendor mid-study. */
#include "internal.h"

#include <carta/alloc.h>

#include <math.h>
#include <string.h>
#include <strings.h>

typedef struct unit_row {
    char *paramcd, *unit, *canonical;
    double mul, div;
} unit_row;

struct carta_unit_map {
    unit_row *rows;
    size_t n;
};

void carta_unit_map_free(carta_unit_map *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->n; i++) {
        carta_free(m->rows[i].paramcd);
        carta_free(m->rows[i].unit);
        carta_free(m->rows[i].canonical);
    }
    carta_free(m->rows);
    carta_free(m);
}

/* The row for (paramcd, unit) or NULL; *known says whether the parameter is in the table. */
static const unit_row *find_unit(const carta_unit_map *m, const char *paramcd, const char *unit, int *known)
{
    *known = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (strcasecmp(m->rows[i].paramcd, paramcd) != 0) continue;
        *known = 1;
        if (unit && strcmp(m->rows[i].unit, unit) == 0) return &m->rows[i];
    }
    return NULL;
}

int carta_unit_map_from_table(const carta_table *t, carta_unit_map **out, carta_error *err)
{
    *out = NULL;
    const char *names[] = { "PARAMCD", "UNIT", "CANONICAL", "MULTIPLY", "DIVIDE" };
    const carta_column *c[5];
    for (int k = 0; k < 5; k++)
        if (!(c[k] = need_column(t, names[k], k < 3 ? CARTA_STR : CARTA_F64, err))) return CARTA_EDATA;
    size_t n = carta_table_nrows(t);
    carta_unit_map *m = carta_calloc(1, sizeof *m);
    if (!m || !(m->rows = carta_calloc(n ? n : 1, sizeof *m->rows))) {
        carta_unit_map_free(m);
        return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory for the unit table");
    }
    int rc = CARTA_OK;
    for (size_t i = 0; i < n && rc == CARTA_OK; i++) {
        carta_where at = { .file = carta_table_source(t), .row = (long)i + 2 };
        const char *p = carta_column_str(c[0], i), *u = carta_column_str(c[1], i), *cu = carta_column_str(c[2], i);
        double mul = carta_column_number(c[3], i), div = carta_column_number(c[4], i);
        int known;
        if (!p || !u || !cu || !(mul > 0) || !(div > 0) || !isfinite(mul) || !isfinite(div)) {
            rc = carta_error_set(err, CARTA_EDATA, &at, "every cell must be set and the factors positive");
            continue;
        }
        if (find_unit(m, p, u, &known)) {
            rc = carta_error_set(err, CARTA_EDATA, &at, "%s in %s is listed twice", p, u);
            continue;
        }
        for (size_t j = 0; j < m->n; j++)
            if (strcasecmp(m->rows[j].paramcd, p) == 0 && strcmp(m->rows[j].canonical, cu) != 0)
                rc = carta_error_set(err, CARTA_EDATA, &at, "%s has two canonical units, %s and %s", p,
                                     m->rows[j].canonical, cu);
        if (rc) continue;
        unit_row *r = &m->rows[m->n++];
        r->mul = mul;
        r->div = div;
        if (!(r->paramcd = carta_strdup(p)) || !(r->unit = carta_strdup(u)) || !(r->canonical = carta_strdup(cu)))
            rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory for the unit table");
    }
    if (rc) {
        carta_unit_map_free(m);
        return rc;
    }
    *out = m;
    return CARTA_OK;
}

/* Copies column `from` of src into a new column `to` of t (values and missingness). */
static int copy_column(carta_table *t, const carta_column *from, const char *to, carta_error *err)
{
    carta_column *c;
    int rc = carta_table_add_column(t, to, from->type, &c, err);
    if (rc) return rc;
    if (carta_column_reserve(c, from->n)) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    for (size_t i = 0; i < from->n; i++) {
        int bad;
        if (carta_column_is_missing(from, i)) bad = carta_column_push_missing(c);
        else if (from->type == CARTA_STR) bad = carta_column_push_str(c, carta_column_str(from, i), strlen(carta_column_str(from, i)));
        else if (from->type == CARTA_F64) bad = carta_column_push_f64(c, from->f64[i]);
        else bad = carta_column_push_i64(c, from->i64[i]);
        if (bad) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    }
    return CARTA_OK;
}

/* Replaces a numeric column by a float column holding conv[i] (NaN = missing). */
static int replace_numeric(carta_table *t, const char *name, const double *conv, size_t n, carta_error *err)
{
    carta_column *old = carta_table_find(t, name);
    char *label = old && old->label ? carta_strdup(old->label) : NULL;
    carta_table_drop_column(t, name);
    carta_column *c;
    int rc = carta_table_add_column(t, name, CARTA_F64, &c, err);
    if (!rc && label) rc = carta_column_set_meta(c, label, NULL, NULL);
    carta_free(label);
    if (rc) return rc;
    if (carta_column_reserve(c, n)) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    for (size_t i = 0; i < n; i++)
        if (carta_column_push_f64(c, conv[i])) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    return CARTA_OK;
}

int carta_harmonize_units(const carta_unit_map *map, const carta_table *studies, const carta_table *adlb,
                          carta_table **out, carta_harmonize_report *report, carta_error *err)
{
    *out = NULL;
    int rc = report_init(report, studies, err);
    if (rc) return rc;
    const carta_column *sid = need_column(adlb, "STUDYID", CARTA_STR, err);
    const carta_column *param = sid ? need_column(adlb, "PARAMCD", CARTA_STR, err) : NULL;
    const carta_column *aval = param ? need_column(adlb, "AVAL", CARTA_F64, err) : NULL;
    if (!aval) return CARTA_EDATA;
    const char *unit_name = carta_table_find(adlb, "AVALU") ? "AVALU" : "LBSTRESU";
    const carta_column *unit = need_column(adlb, unit_name, CARTA_STR, err);
    if (!unit) return CARTA_EDATA;
    const carta_column *base = carta_table_find(adlb, "BASE");
    if (base && base->type == CARTA_STR) base = NULL;

    size_t n = carta_table_nrows(adlb);
    double *v = carta_malloc((n ? n : 1) * sizeof *v), *b = carta_malloc((n ? n : 1) * sizeof *b);
    const char **canon = carta_calloc(n ? n : 1, sizeof *canon);
    carta_harmonize_study **by_code = carta_calloc(sid->n_levels ? sid->n_levels : 1, sizeof *by_code);
    carta_table *t = NULL;
    if (!v || !b || !canon || !by_code) {
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory to convert lab units");
        goto done;
    }
    for (size_t k = 0; k < sid->n_levels; k++) by_code[k] = report_study(report, sid->levels[k]);
    for (size_t i = 0; i < n; i++) {
        const char *study = carta_column_str(sid, i), *p = carta_column_str(param, i), *u = carta_column_str(unit, i);
        carta_harmonize_study *st = study ? by_code[sid->code[i]] : NULL;
        carta_where at = { .file = carta_table_source(adlb), .row = (long)i + 2, .field = unit_name };
        if (!st) {
            rc = carta_error_set(err, CARTA_EDATA, &at, "study %s is not in the study registry", study ? study : "(missing)");
            goto done;
        }
        st->lab_records++;
        int known = 0;
        const unit_row *r = p ? find_unit(map, p, u, &known) : NULL;
        double x = carta_column_number(aval, i), y = base ? carta_column_number(base, i) : (double)NAN;
        if (!known) { /* a parameter the unit table does not govern is copied as it is */
            v[i] = x;
            b[i] = y;
            canon[i] = u;
            continue;
        }
        if (!r) {
            rc = carta_error_set(err, CARTA_EDATA, &at, "study %s, test %s: unknown unit \"%s\"", study, p,
                                 u ? u : "(missing)");
            goto done;
        }
        v[i] = x * r->mul / r->div;
        b[i] = y * r->mul / r->div;
        canon[i] = r->canonical;
        if (strcmp(r->unit, r->canonical) != 0) st->lab_converted++;
    }
    if ((rc = carta_table_clone(adlb, NULL, &t, err)) || (rc = copy_column(t, aval, "AVALORIG", err)) ||
        (rc = copy_column(t, unit, "AVALUORIG", err)) || (rc = replace_numeric(t, "AVAL", v, n, err)) ||
        (base && (rc = replace_numeric(t, "BASE", b, n, err))))
        goto done;
    carta_table_drop_column(t, unit_name);
    carta_column *cu;
    if ((rc = carta_table_add_column(t, unit_name, CARTA_STR, &cu, err))) goto done;
    for (size_t i = 0; i < n; i++) {
        int bad = canon[i] ? carta_column_push_str(cu, canon[i], strlen(canon[i])) : carta_column_push_missing(cu);
        if (bad) {
            rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
            goto done;
        }
    }
done:
    carta_free(v);
    carta_free(b);
    carta_free(canon);
    carta_free(by_code);
    if (rc) {
        carta_table_free(t);
        return rc;
    }
    *out = t;
    return CARTA_OK;
}
