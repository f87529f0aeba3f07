/* Encodings: numeric transforms, treatment contrasts with rare-level pooling, interactions, and
   the term names, all as R's model.matrix builds them (checked in tests/reference/design/).

   Treatment contrasts (R's contr.treatment): a factor with levels l_1..l_L and reference l_r
   gives L - 1 columns, one per non-reference level in level order, 1 where the row has that
   level and 0 elsewhere; the column is named name + level with no separator.
   Interactions (R's model.matrix): the columns of a:b are the elementwise products of every
   column of a with every column of b, the columns of a varying fastest, named "ca:cb"; a and b
   are taken in the order the features are listed, whatever order the interaction names them. */
#include "internal.h"

#include <carta/alloc.h>
#include <carta/numfmt.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Distinct values a numeric categorical column may have before its values are sorted. */
#define SMALL_DISTINCT 256

void design_level_label(carta_type src, double v, char *buf, size_t cap)
{
    switch (src) {
    case CARTA_BOOL:
        snprintf(buf, cap, "%s", v != 0 ? "TRUE" : "FALSE");
        return;
    case CARTA_DATE: {
        int64_t y;
        unsigned m, d;
        carta_civil_from_days((int64_t)v, &y, &m, &d);
        snprintf(buf, cap, "%04" PRId64 "-%02u-%02u", y, m, d);
        return;
    }
    case CARTA_I64:
        if (fabs(v) < 9.2e18 && v == floor(v)) {
            snprintf(buf, cap, "%" PRId64, (int64_t)v);
            return;
        }
        break;
    case CARTA_F64:
    case CARTA_STR:
        break;
    }
    carta_numfmt(v, buf, cap);
}

int design_level_parse(carta_type src, const char *s, double *v)
{
    char *end;
    switch (src) {
    case CARTA_BOOL:
        if (strcmp(s, "TRUE") == 0 || strcmp(s, "1") == 0) { *v = 1; return 0; }
        if (strcmp(s, "FALSE") == 0 || strcmp(s, "0") == 0) { *v = 0; return 0; }
        return -1;
    case CARTA_DATE: {
        int64_t days;
        if (carta_parse_date(s, strlen(s), &days)) return -1;
        *v = (double)days;
        return 0;
    }
    case CARTA_I64:
    case CARTA_F64: {
        if (!s[0]) return -1;
        errno = 0;
        double x = strtod(s, &end);
        if (*end || errno == ERANGE || !isfinite(x)) return -1;
        if (src == CARTA_I64 && x != floor(x)) return -1;
        *v = x;
        return 0;
    }
    case CARTA_STR:
        return -1;
    }
    return -1;
}

char *design_numeric_term(const carta_design_feature *f)
{
    const char *fn = NULL;
    switch (f->transform) {
    case CARTA_TRANSFORM_NONE: return carta_strdup(f->name);
    case CARTA_TRANSFORM_LOG: fn = "log"; break;
    case CARTA_TRANSFORM_LOG2: fn = "log2"; break;
    case CARTA_TRANSFORM_STANDARDIZE: fn = "standardize"; break;
    }
    if (!fn) return NULL;
    size_t len = strlen(fn) + strlen(f->name) + 3;
    char *s = carta_malloc(len);
    if (s) snprintf(s, len, "%s(%s)", fn, f->name);
    return s;
}

/* Concatenates a and b (with sep between them when sep is not NULL) into a new string. */
static char *concat(const char *a, const char *sep, const char *b)
{
    size_t la = strlen(a), ls = sep ? strlen(sep) : 0, lb = strlen(b);
    char *s = carta_malloc(la + ls + lb + 1);
    if (!s) return NULL;
    memcpy(s, a, la);
    if (ls) memcpy(s + la, sep, ls);
    memcpy(s + la + ls, b, lb);
    s[la + ls + lb] = '\0';
    return s;
}

static int cmp_str_ptr(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

int design_build_terms(carta_design *d, carta_error *err)
{
    /* Count the columns first (overflow-checked), then name them in layout order. */
    size_t p = d->intercept ? 1 : 0;
    for (size_t i = 0; i < d->n_features; i++) {
        carta_design_feature *f = &d->features[i];
        f->first_term = p;
        f->n_terms = f->categorical ? f->n_levels - 1 : 1;
        p += f->n_terms + (f->indicator ? 1 : 0);
    }
    for (size_t k = 0; k < d->n_inter; k++) {
        design_inter *ia = &d->inter[k];
        size_t m;
        if (carta_size_mul(d->features[ia->a].n_terms, d->features[ia->b].n_terms, &m) || p + m < p)
            return carta_error_set(err, CARTA_ENOMEM, NULL, "design: too many interaction columns");
        ia->first_term = p;
        ia->n_terms = m;
        p += m;
    }
    char **names = carta_calloc(p ? p : 1, sizeof *names);
    if (!names) return carta_error_set(err, CARTA_ENOMEM, NULL, "design: no memory for %zu term names", p);
    int rc = CARTA_OK;
    size_t j = 0;
    if (d->intercept && !(names[j++] = carta_strdup("(Intercept)"))) rc = CARTA_ENOMEM;
    for (size_t i = 0; rc == CARTA_OK && i < d->n_features; i++) {
        const carta_design_feature *f = &d->features[i];
        if (!f->categorical) {
            if (!(names[j++] = design_numeric_term(f))) rc = CARTA_ENOMEM;
        } else {
            for (size_t k = 0; rc == CARTA_OK && k < f->n_levels; k++) {
                if (k == f->reference) continue;
                if (!(names[j++] = concat(f->name, NULL, f->levels[k]))) rc = CARTA_ENOMEM;
            }
        }
        if (rc == CARTA_OK && f->indicator && !(names[j++] = concat(f->name, NULL, "_missing")))
            rc = CARTA_ENOMEM;
    }
    for (size_t k = 0; rc == CARTA_OK && k < d->n_inter; k++) {
        const design_inter *ia = &d->inter[k];
        const carta_design_feature *fa = &d->features[ia->a], *fb = &d->features[ia->b];
        for (size_t jb = 0; rc == CARTA_OK && jb < fb->n_terms; jb++)
            for (size_t ja = 0; rc == CARTA_OK && ja < fa->n_terms; ja++)
                if (!(names[j++] = concat(names[fa->first_term + ja], ":", names[fb->first_term + jb])))
                    rc = CARTA_ENOMEM;
    }
    /* Two features can produce the same name (feature "a" level "b1" and feature "ab" level
       "1"); the card and the coefficients are keyed by term, so that is an error. */
    const char **sorted = NULL;
    if (rc == CARTA_OK && p > 1) {
        if (!(sorted = carta_malloc(p * sizeof *sorted))) rc = CARTA_ENOMEM;
        else {
            memcpy(sorted, names, p * sizeof *sorted);
            qsort(sorted, p, sizeof *sorted, cmp_str_ptr);
            for (size_t k = 1; k < p; k++) {
                if (strcmp(sorted[k - 1], sorted[k]) == 0) {
                    rc = carta_error_set(err, CARTA_EDATA, NULL,
                                         "design: two columns would both be named \"%s\"; rename a "
                                         "feature or a level", sorted[k]);
                    break;
                }
            }
            carta_free(sorted);
        }
    }
    if (rc == CARTA_ENOMEM) carta_error_set(err, CARTA_ENOMEM, NULL, "design: no memory for term names");
    if (rc != CARTA_OK) {
        for (size_t k = 0; k < p; k++) carta_free(names[k]);
        carta_free(names);
        return rc;
    }
    for (size_t k = 0; k < d->p; k++) carta_free(d->terms[k]);
    carta_free(d->terms);
    d->terms = names;
    d->p = p;
    return CARTA_OK;
}

/* ---- Fitting a categorical feature ------------------------------------------------------------ */

/* A candidate level: its label (borrowed), value (numeric source) and training count. */
typedef struct cand {
    const char *label;
    double value;
    size_t count;
    int rare;
} cand;

static int cmp_cand_label(const void *x, const void *y)
{
    return strcmp(((const cand *)x)->label, ((const cand *)y)->label);
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* Lists "a, b, c" of the first rows (1-based) into buf. */
static void list_rows(const size_t *rows, size_t k, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < k && used + 1 < cap; i++) {
        int w = snprintf(buf + used, cap - used, "%s%zu", i ? ", " : "", rows[i] + 1);
        if (w < 0) break;
        used += (size_t)w;
    }
}

/* Candidates of a string column: declared levels in order, or the observed ones in byte order. */
static int string_cands(const carta_feature_spec *fs, const carta_column *c, const size_t *rows,
                        size_t n, cand **out, size_t *n_out, size_t *nonmiss, const char *source,
                        carta_error *err)
{
    carta_where at = { .file = source, .field = fs->name };
    size_t *counts = carta_calloc(c->n_levels ? c->n_levels : 1, sizeof *counts);
    if (!counts) return carta_error_set(err, CARTA_ENOMEM, &at, "no memory");
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (carta_column_is_missing(c, rows[i])) continue;
        counts[c->code[rows[i]]]++;
        m++;
    }
    *nonmiss = m;
    size_t nc = fs->levels ? fs->n_levels : 0;
    if (!fs->levels)
        for (size_t k = 0; k < c->n_levels; k++) nc += counts[k] > 0;
    cand *cs = carta_calloc(nc ? nc : 1, sizeof *cs);
    if (!cs) {
        carta_free(counts);
        return carta_error_set(err, CARTA_ENOMEM, &at, "no memory");
    }
    if (fs->levels) {
        for (size_t j = 0; j < nc; j++) {
            long code = carta_column_level(c, fs->levels[j]);
            cs[j].label = fs->levels[j];
            if (code >= 0) {
                cs[j].count = counts[code];
                counts[code] = 0; /* what stays non-zero was not declared */
            }
        }
        for (size_t k = 0; k < c->n_levels; k++) {
            if (counts[k] == 0) continue;
            carta_error_set(err, CARTA_EDATA, &at, "level \"%s\" (%zu rows) is not among the declared levels",
                            c->levels[k], counts[k]);
            carta_free(counts);
            carta_free(cs);
            return CARTA_EDATA;
        }
    } else {
        size_t j = 0;
        for (size_t k = 0; k < c->n_levels; k++)
            if (counts[k] > 0) cs[j++] = (cand){ .label = c->levels[k], .count = counts[k] };
        qsort(cs, nc, sizeof *cs, cmp_cand_label);
    }
    carta_free(counts);
    *out = cs;
    *n_out = nc;
    return CARTA_OK;
}

/* Candidates of a numeric column declared categorical: declared levels in order, or the
   observed values ascending. Labels are formatted into one owned block *labels. */
static int numeric_cands(const carta_feature_spec *fs, const carta_column *c, const size_t *rows,
                         size_t n, cand **out, size_t *n_out, size_t *nonmiss, char **labels,
                         const char *source, carta_error *err)
{
    carta_where at = { .file = source, .field = fs->name };
    double *v = NULL, *decl = NULL;
    size_t *cnt = NULL;
    cand *cs = NULL;
    char *lab = NULL;
    int rc = CARTA_OK;
    size_t m = 0, u = 0, nc = 0;
    /* Codes usually take few distinct values: keep them sorted in a small array (binary search,
       no copy of the column). Past SMALL_DISTINCT values, copy and sort every value instead. */
    double sv[SMALL_DISTINCT];
    size_t sc[SMALL_DISTINCT];
    int many = 0;
    for (size_t i = 0; i < n && !many; i++) {
        if (carta_column_is_missing(c, rows[i])) continue;
        double x = carta_column_number(c, rows[i]);
        if (!isfinite(x)) {
            at.row = (long)rows[i] + 1;
            return carta_error_set(err, CARTA_EDATA, &at, "value %g is not finite", x);
        }
        if (x == 0) x = 0.0; /* -0 and 0 are one level */
        size_t lo = 0, hi = u;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (sv[mid] < x) lo = mid + 1;
            else hi = mid;
        }
        if (lo < u && sv[lo] == x) {
            sc[lo]++;
        } else if (u < SMALL_DISTINCT) {
            memmove(sv + lo + 1, sv + lo, (u - lo) * sizeof *sv);
            memmove(sc + lo + 1, sc + lo, (u - lo) * sizeof *sc);
            sv[lo] = x;
            sc[lo] = 1;
            u++;
        } else {
            many = 1;
        }
        m++;
    }
    if (!many) {
        if (!(v = carta_malloc((u ? u : 1) * sizeof *v)) || !(cnt = carta_malloc((u ? u : 1) * sizeof *cnt))) {
            rc = carta_error_set(err, CARTA_ENOMEM, &at, "no memory");
            goto done;
        }
        memcpy(v, sv, u * sizeof *v);
        memcpy(cnt, sc, u * sizeof *cnt);
    } else {
        if (!(v = carta_malloc((n ? n : 1) * sizeof *v))) {
            rc = carta_error_set(err, CARTA_ENOMEM, &at, "no memory");
            goto done;
        }
        m = 0;
        for (size_t i = 0; i < n; i++) {
            if (carta_column_is_missing(c, rows[i])) continue;
            double x = carta_column_number(c, rows[i]);
            if (!isfinite(x)) {
                at.row = (long)rows[i] + 1;
                rc = carta_error_set(err, CARTA_EDATA, &at, "value %g is not finite", x);
                goto done;
            }
            v[m++] = x == 0 ? 0.0 : x;
        }
        qsort(v, m, sizeof *v, cmp_double);
        /* Compress to distinct values with their counts. */
        u = 0;
        for (size_t i = 0; i < m; i++)
            if (i == 0 || v[i] != v[i - 1]) u++;
        if (!(cnt = carta_calloc(u ? u : 1, sizeof *cnt))) {
            rc = carta_error_set(err, CARTA_ENOMEM, &at, "no memory");
            goto done;
        }
        u = 0;
        for (size_t i = 0; i < m; i++) {
            if (i == 0 || v[i] != v[i - 1]) v[u++] = v[i];
            cnt[u - 1]++;
        }
    }
    *nonmiss = m;
    nc = fs->levels ? fs->n_levels : u;
    if (!(cs = carta_calloc(nc ? nc : 1, sizeof *cs)) || !(lab = carta_malloc((nc ? nc : 1) * 48))) {
        rc = carta_error_set(err, CARTA_ENOMEM, &at, "no memory");
        goto done;
    }
    if (fs->levels) {
        if (!(decl = carta_malloc((nc ? nc : 1) * sizeof *decl))) {
            rc = carta_error_set(err, CARTA_ENOMEM, &at, "no memory");
            goto done;
        }
        size_t matched = 0;
        for (size_t j = 0; j < nc; j++) {
            if (design_level_parse(c->type, fs->levels[j], &decl[j])) {
                rc = carta_error_set(err, CARTA_EDATA, &at, "declared level \"%s\" is not a %s value",
                                     fs->levels[j], carta_type_name(c->type));
                goto done;
            }
            if (decl[j] == 0) decl[j] = 0.0;
            for (size_t j2 = 0; j2 < j; j2++) {
                if (decl[j2] != decl[j]) continue;
                rc = carta_error_set(err, CARTA_EDATA, &at, "declared levels \"%s\" and \"%s\" are the same value",
                                     fs->levels[j2], fs->levels[j]);
                goto done;
            }
            cs[j].value = decl[j];
            const double *hit = bsearch(&decl[j], v, u, sizeof *v, cmp_double);
            if (hit) {
                cs[j].count = cnt[hit - v];
                matched += cs[j].count;
            }
        }
        if (matched < m) {
            /* Some observed value is not declared: name the first one. */
            for (size_t i = 0; i < u; i++) {
                size_t j = 0;
                while (j < nc && decl[j] != v[i]) j++;
                if (j < nc) continue;
                char buf[48];
                design_level_label(c->type, v[i], buf, sizeof buf);
                rc = carta_error_set(err, CARTA_EDATA, &at, "level \"%s\" (%zu rows) is not among the declared levels",
                                     buf, cnt[i]);
                break;
            }
            if (rc == CARTA_OK) rc = carta_error_set(err, CARTA_EDATA, &at, "the declared levels do not cover the data");
            goto done;
        }
    } else {
        for (size_t i = 0; i < u; i++) cs[i] = (cand){ .value = v[i], .count = cnt[i] };
    }
    for (size_t j = 0; j < nc; j++) {
        design_level_label(c->type, cs[j].value, lab + 48 * j, 48);
        cs[j].label = lab + 48 * j;
    }
done:
    carta_free(v);
    carta_free(cnt);
    carta_free(decl);
    if (rc != CARTA_OK) {
        carta_free(cs);
        carta_free(lab);
        return rc;
    }
    *out = cs;
    *n_out = nc;
    *labels = lab;
    return CARTA_OK;
}

/* 1 when candidate k is the explicitly chosen reference. */
static int is_reference(const carta_feature_spec *fs, carta_type src, const cand *k)
{
    if (!fs->reference) return 0;
    if (src == CARTA_STR) return strcmp(fs->reference, k->label) == 0;
    double v;
    return design_level_parse(src, fs->reference, &v) == 0 && v == k->value;
}

int design_fit_categorical(const carta_feature_spec *fs, const carta_column *c, const size_t *rows,
                           size_t n, carta_missing missing, carta_design_feature *f,
                           const char *source, carta_error *err)
{
    carta_where at = { .file = source, .field = fs->name };
    cand *cs = NULL;
    char *labels = NULL;
    size_t nc = 0, nonmiss = 0;
    int rc = c->type == CARTA_STR ? string_cands(fs, c, rows, n, &cs, &nc, &nonmiss, source, err)
                                  : numeric_cands(fs, c, rows, n, &cs, &nc, &nonmiss, &labels, source, err);
    if (rc) return rc;
    size_t *counts = NULL;

    /* Pooling is decided on the training rows used: a level is rare when its count is below
       pool_min_count or its share of the non-missing values below pool_min_fraction. */
    size_t n_rare = 0;
    int pooling = fs->pool_min_count > 0 || fs->pool_min_fraction > 0;
    for (size_t k = 0; pooling && k < nc; k++) {
        if (is_reference(fs, c->type, &cs[k])) continue;
        int rare = (fs->pool_min_count > 0 && cs[k].count < fs->pool_min_count) ||
                   (fs->pool_min_fraction > 0 &&
                    (nonmiss == 0 || (double)cs[k].count / (double)nonmiss < fs->pool_min_fraction));
        cs[k].rare = rare;
        n_rare += (size_t)rare;
    }
    /* A real level named "other" joins the pool, so that one label means one level. */
    if (n_rare > 0 && c->type == CARTA_STR)
        for (size_t k = 0; k < nc; k++)
            if (!cs[k].rare && strcmp(cs[k].label, DESIGN_OTHER) == 0) {
                cs[k].rare = 1;
                n_rare++;
            }
    size_t kept = nc - n_rare;
    f->n_levels = kept + (n_rare > 0);
    f->n_pooled = n_rare;
    f->levels = carta_calloc(f->n_levels ? f->n_levels : 1, sizeof *f->levels);
    f->pooled = carta_calloc(n_rare ? n_rare : 1, sizeof *f->pooled);
    counts = carta_calloc(f->n_levels ? f->n_levels : 1, sizeof *counts);
    if (c->type != CARTA_STR) {
        f->values = carta_calloc(kept ? kept : 1, sizeof *f->values);
        f->pooled_values = carta_calloc(n_rare ? n_rare : 1, sizeof *f->pooled_values);
    }
    if (!f->levels || !f->pooled || !counts || (c->type != CARTA_STR && (!f->values || !f->pooled_values))) {
        rc = carta_error_set(err, CARTA_ENOMEM, &at, "no memory");
        goto done;
    }
    size_t a = 0, b = 0;
    for (size_t k = 0; k < nc; k++) {
        if (cs[k].rare) {
            if (!(f->pooled[b] = carta_strdup(cs[k].label))) goto nomem;
            if (f->pooled_values) f->pooled_values[b] = cs[k].value;
            b++;
            if (n_rare) counts[kept] += cs[k].count;
        } else {
            if (!(f->levels[a] = carta_strdup(cs[k].label))) goto nomem;
            if (f->values) f->values[a] = cs[k].value;
            counts[a] = cs[k].count;
            a++;
        }
    }
    if (n_rare && !(f->levels[kept] = carta_strdup(DESIGN_OTHER))) goto nomem;

    f->reference = 0;
    if (fs->reference) {
        size_t k = 0;
        if (c->type == CARTA_STR || strcmp(fs->reference, DESIGN_OTHER) == 0) {
            while (k < f->n_levels && strcmp(f->levels[k], fs->reference) != 0) k++;
        } else {
            double v;
            if (design_level_parse(c->type, fs->reference, &v) == 0)
                while (k < kept && f->values[k] != v) k++;
            if (k >= kept) k = f->n_levels; /* not a kept level (and not "other", tested above) */
        }
        if (k >= f->n_levels) {
            rc = carta_error_set(err, CARTA_EDATA, &at,
                                 "reference level \"%s\" does not occur in the training data", fs->reference);
            goto done;
        }
        f->reference = k;
    }
    if (f->n_levels < 2) {
        rc = carta_error_set(err, CARTA_EDATA, &at,
                             "has %zu level%s%s%s%s in the training data; a categorical feature needs at least two",
                             f->n_levels, f->n_levels == 1 ? "" : "s", f->n_levels ? " (\"" : "",
                             f->n_levels ? f->levels[0] : "", f->n_levels ? "\")" : "");
        goto done;
    }
    /* The mode: the most frequent level, the first in level order on a tie (R's which.max). */
    f->impute_level = 0;
    if (missing == CARTA_MISSING_MEDIAN)
        for (size_t k = 1; k < f->n_levels; k++)
            if (counts[k] > counts[f->impute_level]) f->impute_level = k;
    goto done;
nomem:
    rc = carta_error_set(err, CARTA_ENOMEM, &at, "no memory");
done:
    carta_free(counts);
    carta_free(cs);
    carta_free(labels);
    return rc;
}

/* ---- Filling columns -------------------------------------------------------------------------- */

int design_fill_numeric(const carta_design_feature *f, const carta_column *c, const size_t *rows,
                        size_t n, carta_missing missing, double *out, const char *source,
                        carta_error *err)
{
    size_t n_bad = 0, n_inf = 0, bad[DESIGN_EXAMPLES], inf_rows[DESIGN_EXAMPLES];
    double first_bad = 0, first_inf = 0;
    const int is_f64 = c->type == CARTA_F64;
    for (size_t i = 0; i < n; i++) {
        size_t r = rows[i];
        double v;
        if (carta_column_is_missing(c, r)) {
            if (missing != CARTA_MISSING_MEDIAN) {
                if (out) out[i] = NAN;
                continue;
            }
            v = f->impute;
        } else {
            v = is_f64 ? c->f64[r] : (double)c->i64[r];
            if (!isfinite(v)) {
                if (n_inf < DESIGN_EXAMPLES) inf_rows[n_inf] = r;
                if (n_inf++ == 0) first_inf = v;
                continue;
            }
        }
        /* Clipping comes before the transform, so that log sees the clamped value. */
        if (f->clip) v = v < f->clip_lo ? f->clip_lo : v > f->clip_hi ? f->clip_hi : v;
        switch (f->transform) {
        case CARTA_TRANSFORM_NONE: break;
        case CARTA_TRANSFORM_LOG:
        case CARTA_TRANSFORM_LOG2:
            if (!(v > 0)) {
                if (n_bad < DESIGN_EXAMPLES) bad[n_bad] = r;
                if (n_bad++ == 0) first_bad = v;
                continue;
            }
            if (out) v = f->transform == CARTA_TRANSFORM_LOG ? log(v) : log2(v);
            break;
        case CARTA_TRANSFORM_STANDARDIZE: v = (v - f->centre) / f->scale; break;
        }
        if (out) out[i] = v;
    }
    char list[128];
    if (n_inf) {
        carta_where at = { .file = source, .row = (long)inf_rows[0] + 1, .field = f->name };
        list_rows(inf_rows, n_inf < DESIGN_EXAMPLES ? n_inf : DESIGN_EXAMPLES, list, sizeof list);
        return carta_error_set(err, CARTA_EDATA, &at, "%zu value%s not finite (first %g; data rows %s%s)",
                               n_inf, n_inf == 1 ? " is" : "s are", first_inf, list,
                               n_inf > DESIGN_EXAMPLES ? ", ..." : "");
    }
    if (n_bad) {
        carta_where at = { .file = source, .row = (long)bad[0] + 1, .field = f->name };
        list_rows(bad, n_bad < DESIGN_EXAMPLES ? n_bad : DESIGN_EXAMPLES, list, sizeof list);
        return carta_error_set(err, CARTA_EDATA, &at,
                               "%s needs values > 0, but %zu value%s <= 0 (first %g; data rows %s%s)",
                               f->transform == CARTA_TRANSFORM_LOG ? "log" : "log2", n_bad,
                               n_bad == 1 ? " is" : "s are", first_bad, list, n_bad > DESIGN_EXAMPLES ? ", ..." : "");
    }
    return CARTA_OK;
}

/* A (value, level) pair for looking numeric levels up by binary search. */
typedef struct vlev {
    double value;
    size_t level;
} vlev;

static int cmp_vlev(const void *x, const void *y)
{
    double a = ((const vlev *)x)->value, b = ((const vlev *)y)->value;
    return (a > b) - (a < b);
}

int design_fill_categorical(const carta_design_feature *f, const carta_column *c, const size_t *rows,
                            size_t n, carta_missing missing, double *out, const char *source,
                            carta_error *err)
{
    const size_t nt = f->n_levels - 1, other = f->n_levels - 1, kept = f->n_levels - (f->n_pooled > 0);
    long *map = NULL;
    vlev *vl = NULL;
    size_t nvl = kept + f->n_pooled;
    carta_where at = { .file = source, .field = f->name };

    if (c->type == CARTA_STR) {
        if (!(map = carta_malloc((c->n_levels ? c->n_levels : 1) * sizeof *map)))
            return carta_error_set(err, CARTA_ENOMEM, &at, "no memory");
        for (size_t k = 0; k < c->n_levels; k++) map[k] = -1;
        for (size_t k = 0; k < kept; k++) {
            long code = carta_column_level(c, f->levels[k]);
            if (code >= 0) map[code] = (long)k;
        }
        for (size_t k = 0; k < f->n_pooled; k++) {
            long code = carta_column_level(c, f->pooled[k]);
            if (code >= 0) map[code] = (long)other;
        }
    } else {
        if (!(vl = carta_malloc((nvl ? nvl : 1) * sizeof *vl)))
            return carta_error_set(err, CARTA_ENOMEM, &at, "no memory");
        for (size_t k = 0; k < kept; k++) vl[k] = (vlev){ f->values[k], k };
        for (size_t k = 0; k < f->n_pooled; k++) vl[kept + k] = (vlev){ f->pooled_values[k], other };
        qsort(vl, nvl, sizeof *vl, cmp_vlev);
    }
    /* All-zero bytes are 0.0: the dummies start at 0 and each row sets at most one 1. */
    memset(out, 0, n * nt * sizeof *out);
    size_t n_unseen = 0, unseen[DESIGN_EXAMPLES];
    for (size_t i = 0; i < n; i++) {
        size_t r = rows[i], k;
        if (carta_column_is_missing(c, r)) {
            if (missing != CARTA_MISSING_MEDIAN) {
                for (size_t j = 0; j < nt; j++) out[i + j * n] = NAN;
                continue;
            }
            k = f->impute_level;
        } else if (map) {
            long m = map[c->code[r]];
            if (m < 0) {
                if (n_unseen < DESIGN_EXAMPLES) unseen[n_unseen] = r;
                n_unseen++;
                continue;
            }
            k = (size_t)m;
        } else {
            vlev key = { carta_column_number(c, r), 0 };
            if (key.value == 0) key.value = 0.0;
            const vlev *hit = bsearch(&key, vl, nvl, sizeof *vl, cmp_vlev);
            if (!hit) {
                if (n_unseen < DESIGN_EXAMPLES) unseen[n_unseen] = r;
                n_unseen++;
                continue;
            }
            k = hit->level;
        }
        if (k != f->reference) out[i + (k < f->reference ? k : k - 1) * n] = 1.0;
    }
    int rc = CARTA_OK;
    if (n_unseen) {
        char label[64], list[128];
        size_t r0 = unseen[0];
        if (c->type == CARTA_STR)
            snprintf(label, sizeof label, "%s", c->levels[c->code[r0]]);
        else
            design_level_label(c->type, carta_column_number(c, r0), label, sizeof label);
        list_rows(unseen, n_unseen < DESIGN_EXAMPLES ? n_unseen : DESIGN_EXAMPLES, list, sizeof list);
        at.row = (long)r0 + 1;
        rc = carta_error_set(err, CARTA_EDATA, &at,
                             "unseen level \"%s\" (not in the training data of feature %s) in %zu row%s (data rows %s%s)",
                             label, f->name, n_unseen, n_unseen == 1 ? "" : "s", list,
                             n_unseen > DESIGN_EXAMPLES ? ", ..." : "");
    }
    carta_free(map);
    carta_free(vl);
    return rc;
}

void design_fill_interaction(const carta_design *d, size_t k, double *data, size_t n)
{
    const design_inter *ia = &d->inter[k];
    const carta_design_feature *fa = &d->features[ia->a], *fb = &d->features[ia->b];
    double *dst = data + ia->first_term * n;
    for (size_t jb = 0; jb < fb->n_terms; jb++) {
        const double *y = data + (fb->first_term + jb) * n;
        for (size_t ja = 0; ja < fa->n_terms; ja++) {
            const double *x = data + (fa->first_term + ja) * n;
            for (size_t i = 0; i < n; i++) dst[i] = x[i] * y[i];
            dst += n;
        }
    }
}
