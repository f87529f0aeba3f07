/* CRS and ICANS grades to ASTCT (Lee et al., Biol Blood Marrow Transplant 2019;25:625).
 *
 * Preferred path: regrade from the components a trial recorded (cart.md A.4):
 *   crs_present = maximum temperature >= 38.0 C
 *   hypotension = 0 none | 2 hypotension without vasopressor | 3 one vasopressor (vasopressin not
 *                 counted) | 4 two or more vasopressors
 *   hypoxia     = 0 none | 2 low-flow nasal cannula <= 6 L/min or blow-by | 3 high-flow nasal
 *                 cannula > 6 L/min, facemask, non-rebreather or Venturi mask | 4 CPAP, BiPAP or
 *                 mechanical ventilation
 *   ASTCT       = crs_present ? max(1, hypotension, hypoxia) : 0; 5 when death is attributed to CRS
 * Otherwise the trial's reported grade and scale go through the mapping table: a point value and
 * the [min, max] interval the scale's wording allows; `bound` picks which one is used. */
#include "internal.h"

#include <carta/alloc.h>

#include <math.h>
#include <string.h>
#include <strings.h>

#define MAX_GRADE 5

typedef struct map_row {
    char *syndrome, *scale;
    int grade, point, min, max;
} map_row;

struct carta_grade_map {
    char *version;
    map_row *rows;
    size_t n;
};

void carta_grade_map_free(carta_grade_map *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->n; i++) {
        carta_free(m->rows[i].syndrome);
        carta_free(m->rows[i].scale);
    }
    carta_free(m->rows);
    carta_free(m->version);
    carta_free(m);
}

const char *carta_grade_map_version(const carta_grade_map *m) { return m->version; }

int carta_grade_map_lookup(const carta_grade_map *m, const char *syndrome, const char *scale, int grade, int *point,
                           int *min, int *max)
{
    for (size_t i = 0; i < m->n; i++) {
        const map_row *r = &m->rows[i];
        if (r->grade == grade && strcasecmp(r->syndrome, syndrome) == 0 && strcasecmp(r->scale, scale) == 0) {
            *point = r->point;
            *min = r->min;
            *max = r->max;
            return 0;
        }
    }
    return -1;
}

/* An integer cell in 0..MAX_GRADE, or -1 (missing or out of range). */
static int grade_at(const carta_column *c, size_t i)
{
    double v = carta_column_number(c, i);
    if (isnan(v) || v != floor(v) || v < 0 || v > MAX_GRADE) return -1;
    return (int)v;
}

int carta_grade_map_from_table(const carta_table *t, carta_grade_map **out, carta_error *err)
{
    *out = NULL;
    const char *names[] = { "VERSION", "SYNDROME", "SCALE", "GRADE", "POINT", "MIN", "MAX" };
    const carta_column *c[7];
    for (int k = 0; k < 7; k++)
        if (!(c[k] = need_column(t, names[k], k < 3 ? CARTA_STR : CARTA_I64, err))) return CARTA_EDATA;
    size_t n = carta_table_nrows(t);
    carta_grade_map *m = carta_calloc(1, sizeof *m);
    if (!m || !(m->rows = carta_calloc(n ? n : 1, sizeof *m->rows))) {
        carta_grade_map_free(m);
        return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory for the mapping table");
    }
    int rc = CARTA_OK;
    for (size_t i = 0; i < n && rc == CARTA_OK; i++) {
        carta_where at = { .file = carta_table_source(t), .row = (long)i + 2 };
        const char *ver = carta_column_str(c[0], i), *syn = carta_column_str(c[1], i), *sc = carta_column_str(c[2], i);
        int g = grade_at(c[3], i), p = grade_at(c[4], i), lo = grade_at(c[5], i), hi = grade_at(c[6], i);
        if (!ver || !syn || !sc || g < 1 || p < 0 || lo < 0 || hi < 0) {
            rc = carta_error_set(err, CARTA_EDATA, &at, "every cell must be set, grades whole numbers 0 to 5");
        } else if (!(lo <= p && p <= hi)) {
            rc = carta_error_set(err, CARTA_EDATA, &at, "expected MIN <= POINT <= MAX, got %d, %d, %d", lo, p, hi);
        } else if (m->version && strcmp(m->version, ver) != 0) {
            rc = carta_error_set(err, CARTA_EDATA, &at, "one VERSION per table expected, found %s and %s", m->version, ver);
        } else {
            int dp, dl, dh;
            if (carta_grade_map_lookup(m, syn, sc, g, &dp, &dl, &dh) == 0) {
                rc = carta_error_set(err, CARTA_EDATA, &at, "%s %s grade %d is listed twice", syn, sc, g);
            } else {
                map_row *r = &m->rows[m->n++];
                r->grade = g;
                r->point = p;
                r->min = lo;
                r->max = hi;
                if ((!m->version && !(m->version = carta_strdup(ver))) || !(r->syndrome = carta_strdup(syn)) ||
                    !(r->scale = carta_strdup(sc)))
                    rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory for the mapping table");
            }
        }
    }
    if (rc == CARTA_OK && m->n == 0) rc = carta_error_set(err, CARTA_EDATA, NULL, "the mapping table has no rows");
    if (rc) {
        carta_grade_map_free(m);
        return rc;
    }
    *out = m;
    return CARTA_OK;
}

/* Signs columns of ADAE (any may be absent: then the trial did not record signs). */
typedef struct sign_cols {
    const carta_column *tmax, *hypot, *vaso_n, *o2dev, *o2flow, *death;
} sign_cols;

static int is_yes(const carta_column *c, size_t i)
{
    const char *s = c && c->type == CARTA_STR ? carta_column_str(c, i) : NULL;
    return s && (strcasecmp(s, "Y") == 0 || strcasecmp(s, "YES") == 0);
}

/* The component rule; -1 when this record has no signs. */
static int astct_from_signs(const sign_cols *s, size_t i)
{
    if (!s->tmax || !s->vaso_n || !s->o2dev || !s->hypot) return -1;
    double tmax = carta_column_number(s->tmax, i);
    double vaso = carta_column_number(s->vaso_n, i);
    const char *dev = s->o2dev->type == CARTA_STR ? carta_column_str(s->o2dev, i) : NULL;
    if (isnan(tmax) || isnan(vaso) || !dev) return -1;
    if (is_yes(s->death, i)) return 5;
    if (tmax < 38.0) return 0;
    int hypo = vaso >= 2 ? 4 : vaso >= 1 ? 3 : is_yes(s->hypot, i) ? 2 : 0;
    double flow = s->o2flow ? carta_column_number(s->o2flow, i) : (double)NAN;
    int hypox = 0;
    if (strcasecmp(dev, "CPAP") == 0 || strcasecmp(dev, "BIPAP") == 0 || strcasecmp(dev, "MECHANICAL VENTILATION") == 0 ||
        strcasecmp(dev, "INTUBATION") == 0)
        hypox = 4;
    else if (strcasecmp(dev, "HIGH-FLOW NASAL CANNULA") == 0 || strcasecmp(dev, "FACEMASK") == 0 ||
             strcasecmp(dev, "NON-REBREATHER") == 0 || strcasecmp(dev, "VENTURI MASK") == 0)
        hypox = 3;
    else if (strcasecmp(dev, "LOW-FLOW NASAL CANNULA") == 0)
        hypox = !isnan(flow) && flow > 6 ? 3 : 2; /* > 6 L/min is high flow whatever the device is called */
    else if (strcasecmp(dev, "BLOW-BY") == 0)
        hypox = 2;
    int g = hypo > hypox ? hypo : hypox;
    return g > 1 ? g : 1;
}

int carta_harmonize_grades(const carta_grade_map *map, carta_bound bound, const carta_table *studies,
                           const carta_table *adae, carta_table **out, carta_harmonize_report *report, carta_error *err)
{
    *out = NULL;
    int rc = report_init(report, studies, err);
    if (rc) return rc;
    const carta_column *sid = need_column(adae, "STUDYID", CARTA_STR, err);
    const carta_column *usub = sid ? need_column(adae, "USUBJID", CARTA_STR, err) : NULL;
    const carta_column *term = usub ? need_column(adae, "AEDECOD", CARTA_STR, err) : NULL;
    const carta_column *grade = term ? need_column(adae, "AETOXGR", CARTA_I64, err) : NULL;
    if (!grade) return CARTA_EDATA;
    if (!report->mapping_version && !(report->mapping_version = carta_strdup(map->version)))
        return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    report->bound = bound;
    sign_cols s = { carta_table_find(adae, "CRSTMAX"), carta_table_find(adae, "HYPOTFL"), carta_table_find(adae, "VASONUM"),
                    carta_table_find(adae, "O2DEV"), carta_table_find(adae, "O2FLOW"), carta_table_find(adae, "CRSDTHFL") };

    /* One registry lookup per distinct STUDYID, not per record. */
    carta_harmonize_study **by_code = carta_calloc(sid->n_levels ? sid->n_levels : 1, sizeof *by_code);
    carta_table *t = NULL;
    if (!by_code) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    for (size_t k = 0; k < sid->n_levels; k++) by_code[k] = report_study(report, sid->levels[k]);
    if ((rc = carta_table_clone(adae, NULL, &t, err))) goto done;
    carta_column *g_out, *lo_out, *hi_out, *src_out;
    if ((rc = carta_table_add_column(t, "ASTCTGR", CARTA_I64, &g_out, err)) ||
        (rc = carta_table_add_column(t, "ASTCTLO", CARTA_I64, &lo_out, err)) ||
        (rc = carta_table_add_column(t, "ASTCTHI", CARTA_I64, &hi_out, err)) ||
        (rc = carta_table_add_column(t, "ASTCTSRC", CARTA_STR, &src_out, err)))
        goto done;
    size_t n = carta_table_nrows(adae);
    if (carta_column_reserve(g_out, n) || carta_column_reserve(lo_out, n) || carta_column_reserve(hi_out, n) ||
        carta_column_reserve(src_out, n)) {
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const char *ae = carta_column_str(term, i);
        int crs = ae && strcasecmp(ae, "Cytokine release syndrome") == 0;
        int icans = ae && strcasecmp(ae, "Immune effector cell-associated neurotoxicity syndrome") == 0;
        if (!crs && !icans) {
            if (carta_column_push_missing(g_out) || carta_column_push_missing(lo_out) ||
                carta_column_push_missing(hi_out) || carta_column_push_missing(src_out))
                goto oom;
            continue;
        }
        const char *study = carta_column_str(sid, i), *who = carta_column_str(usub, i);
        carta_where at = { .file = carta_table_source(adae), .row = (long)i + 2, .field = "STUDYID" };
        carta_harmonize_study *st = study ? by_code[sid->code[i]] : NULL;
        if (!st) {
            rc = carta_error_set(err, CARTA_EDATA, &at, "study %s (subject %s) is not in the study registry",
                                 study ? study : "(missing)", who ? who : "(missing)");
            goto done;
        }
        int reported = grade_at(grade, i);
        at.field = "AETOXGR";
        if (reported < 1) {
            rc = carta_error_set(err, CARTA_EDATA, &at, "study %s, subject %s: %s grade must be 1 to 5", study,
                                 who ? who : "(missing)", crs ? "CRS" : "ICANS");
            goto done;
        }
        const char *scale = crs ? st->crs_scale : st->icans_scale;
        int a = crs ? astct_from_signs(&s, i) : -1, lo, hi, point;
        const char *how;
        if (a >= 0) {
            lo = hi = a;
            how = "SIGNS";
            st->from_signs++;
        } else if (carta_grade_map_lookup(map, crs ? "CRS" : "ICANS", scale, reported, &point, &lo, &hi) == 0) {
            a = bound == CARTA_BOUND_MIN ? lo : bound == CARTA_BOUND_MAX ? hi : point;
            int ident = strcasecmp(scale, "ASTCT") == 0;
            how = ident ? "IDENTITY" : "MAPPING";
            if (crs && ident) st->identity++;
            else if (crs) st->mapped++;
        } else {
            rc = carta_error_set(err, CARTA_EDATA, &at,
                                 "study %s: the mapping table (%s) has no %s grade %d on scale %s", study, map->version,
                                 crs ? "CRS" : "ICANS", reported, scale);
            goto done;
        }
        if (crs) {
            st->crs_records++;
            if (a != reported) st->changed++;
        } else {
            st->icans_records++;
        }
        if (carta_column_push_i64(g_out, a) || carta_column_push_i64(lo_out, lo) || carta_column_push_i64(hi_out, hi) ||
            carta_column_push_str(src_out, how, strlen(how)))
            goto oom;
    }
    goto done;
oom:
    rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory for harmonized grades");
done:
    carta_free(by_code);
    if (rc) {
        carta_table_free(t);
        return rc;
    }
    *out = t;
    return CARTA_OK;
}
