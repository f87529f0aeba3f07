/* The design stage: checks a design spec, fits it on a training table (encode.c for levels and
   names, impute.c for missing values), and applies a fitted design to any table. Fit computes
   the parameters only; the matrix always comes from carta_design_apply, so the training matrix
   and a later scoring of the same rows run the same code on the same parameters and agree to
   the bit. */
#include "internal.h"

#include <carta/alloc.h>

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

void carta_feature_spec_default(carta_feature_spec *f)
{
    memset(f, 0, sizeof *f);
    f->clip_lo = -INFINITY;
    f->clip_hi = INFINITY;
}

void carta_design_spec_default(carta_design_spec *s)
{
    memset(s, 0, sizeof *s);
    s->missing = CARTA_MISSING_OMIT;
}

/* ---- Spec check -------------------------------------------------------------------------------- */

static int spec_fail(carta_error *err, const char *ptr, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A config error at JSON pointer ptr. */
static int spec_fail(carta_error *err, const char *ptr, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    carta_where at = { .field = ptr };
    return carta_error_set(err, CARTA_ECONFIG, &at, "%s", msg);
}

static long feature_index(const carta_design_spec *s, const char *name)
{
    for (size_t i = 0; i < s->n_features; i++)
        if (s->features[i].name && strcmp(s->features[i].name, name) == 0) return (long)i;
    return -1;
}

int carta_design_spec_check(const carta_design_spec *s, carta_error *err)
{
    char ptr[128];
    if (s->n_features && !s->features) return spec_fail(err, "/features", "is missing");
    if ((unsigned)s->missing > CARTA_MISSING_NAN)
        return spec_fail(err, "/missing/strategy", "is not one of complete_case, median, none");
    if (s->indicators && s->missing != CARTA_MISSING_MEDIAN)
        return spec_fail(err, "/missing/indicators", "missing indicators need the median strategy");
    for (size_t i = 0; i < s->n_features; i++) {
        const carta_feature_spec *f = &s->features[i];
        if (!f->name || !f->name[0]) {
            snprintf(ptr, sizeof ptr, "/features/%zu/name", i);
            return spec_fail(err, ptr, "a feature needs a column name");
        }
        for (size_t j = 0; j < i; j++)
            if (s->features[j].name && strcmp(s->features[j].name, f->name) == 0) {
                snprintf(ptr, sizeof ptr, "/features/%zu/name", i);
                return spec_fail(err, ptr, "feature \"%s\" is listed twice", f->name);
            }
        if ((unsigned)f->type > CARTA_FEATURE_CATEGORICAL) {
            snprintf(ptr, sizeof ptr, "/features/%zu/type", i);
            return spec_fail(err, ptr, "is not one of numeric, categorical");
        }
        if ((unsigned)f->transform > CARTA_TRANSFORM_STANDARDIZE) {
            snprintf(ptr, sizeof ptr, "/features/%zu/transform", i);
            return spec_fail(err, ptr, "is not one of none, log, log2, standardize");
        }
        int cat_opts = f->reference || f->levels || f->n_levels || f->pool_min_count || f->pool_min_fraction != 0;
        int num_opts = f->transform != CARTA_TRANSFORM_NONE || f->clip;
        if (f->type == CARTA_FEATURE_NUMERIC && cat_opts) {
            snprintf(ptr, sizeof ptr, "/features/%zu/%s", i,
                     f->reference ? "reference" : f->levels || f->n_levels ? "levels" : "pool_rare");
            return spec_fail(err, ptr, "feature \"%s\" is numeric; this applies to categorical features", f->name);
        }
        if (f->type == CARTA_FEATURE_CATEGORICAL && num_opts) {
            snprintf(ptr, sizeof ptr, "/features/%zu/%s", i, f->clip ? "clip" : "transform");
            return spec_fail(err, ptr, "feature \"%s\" is categorical; this applies to numeric features", f->name);
        }
        if (f->clip && (isnan(f->clip_lo) || isnan(f->clip_hi) || f->clip_lo > f->clip_hi)) {
            snprintf(ptr, sizeof ptr, "/features/%zu/clip", i);
            return spec_fail(err, ptr, "needs lower <= upper");
        }
        if (!(f->pool_min_fraction >= 0 && f->pool_min_fraction < 1)) {
            snprintf(ptr, sizeof ptr, "/features/%zu/pool_rare/min_fraction", i);
            return spec_fail(err, ptr, "must be in [0, 1)");
        }
        if (f->n_levels && !f->levels) {
            snprintf(ptr, sizeof ptr, "/features/%zu/levels", i);
            return spec_fail(err, ptr, "is missing");
        }
        if (f->levels && f->n_levels == 0) {
            snprintf(ptr, sizeof ptr, "/features/%zu/levels", i);
            return spec_fail(err, ptr, "must list at least two levels");
        }
        for (size_t k = 0; f->levels && k < f->n_levels; k++) {
            snprintf(ptr, sizeof ptr, "/features/%zu/levels/%zu", i, k);
            if (!f->levels[k]) return spec_fail(err, ptr, "is missing");
            for (size_t j = 0; j < k; j++)
                if (strcmp(f->levels[j], f->levels[k]) == 0)
                    return spec_fail(err, ptr, "level \"%s\" is listed twice", f->levels[k]);
        }
        if (f->reference && f->levels) {
            size_t k = 0;
            while (k < f->n_levels && strcmp(f->levels[k], f->reference) != 0) k++;
            if (k == f->n_levels && strcmp(f->reference, DESIGN_OTHER) != 0) {
                snprintf(ptr, sizeof ptr, "/features/%zu/reference", i);
                return spec_fail(err, ptr, "\"%s\" is not among the declared levels", f->reference);
            }
        }
    }
    if (s->n_interactions && !s->interactions) return spec_fail(err, "/interactions", "is missing");
    for (size_t k = 0; k < s->n_interactions; k++) {
        const carta_interaction_spec *ia = &s->interactions[k];
        snprintf(ptr, sizeof ptr, "/interactions/%zu", k);
        if (!ia->a || !ia->b) return spec_fail(err, ptr, "an interaction names two features");
        if (feature_index(s, ia->a) < 0) return spec_fail(err, ptr, "\"%s\" is not a listed feature", ia->a);
        if (feature_index(s, ia->b) < 0) return spec_fail(err, ptr, "\"%s\" is not a listed feature", ia->b);
        if (strcmp(ia->a, ia->b) == 0) return spec_fail(err, ptr, "\"%s\" cannot interact with itself", ia->a);
        for (size_t j = 0; j < k; j++) {
            const carta_interaction_spec *o = &s->interactions[j];
            if ((strcmp(o->a, ia->a) == 0 && strcmp(o->b, ia->b) == 0) ||
                (strcmp(o->a, ia->b) == 0 && strcmp(o->b, ia->a) == 0))
                return spec_fail(err, ptr, "%s:%s is listed twice", ia->a, ia->b);
        }
    }
    return CARTA_OK;
}

/* ---- The design value -------------------------------------------------------------------------- */

carta_design *design_new(size_t n_features, size_t n_inter)
{
    carta_design *d = carta_calloc(1, sizeof *d);
    if (!d) return NULL;
    d->features = carta_calloc(n_features ? n_features : 1, sizeof *d->features);
    d->inter = carta_calloc(n_inter ? n_inter : 1, sizeof *d->inter);
    if (!d->features || !d->inter) {
        carta_free(d->features);
        carta_free(d->inter);
        carta_free(d);
        return NULL;
    }
    d->n_features = n_features;
    d->n_inter = n_inter;
    return d;
}

void design_feature_clear(carta_design_feature *f)
{
    carta_free((char *)(uintptr_t)f->name);
    for (size_t k = 0; f->levels && k < f->n_levels; k++) carta_free(f->levels[k]);
    carta_free(f->levels);
    carta_free(f->values);
    for (size_t k = 0; f->pooled && k < f->n_pooled; k++) carta_free(f->pooled[k]);
    carta_free(f->pooled);
    carta_free(f->pooled_values);
    memset(f, 0, sizeof *f);
}

void carta_design_free(carta_design *d)
{
    if (!d) return;
    for (size_t i = 0; i < d->n_features; i++) design_feature_clear(&d->features[i]);
    carta_free(d->features);
    carta_free(d->inter);
    for (size_t j = 0; d->terms && j < d->p; j++) carta_free(d->terms[j]);
    carta_free(d->terms);
    carta_free(d);
}

size_t carta_design_p(const carta_design *d) { return d->p; }
const char *carta_design_term(const carta_design *d, size_t j) { return j < d->p ? d->terms[j] : NULL; }
size_t carta_design_nfeatures(const carta_design *d) { return d->n_features; }
const carta_design_feature *carta_design_feature_at(const carta_design *d, size_t i)
{
    return i < d->n_features ? &d->features[i] : NULL;
}
carta_missing carta_design_missing(const carta_design *d) { return d->missing; }
size_t carta_design_ntrain(const carta_design *d) { return d->n_train; }
size_t carta_design_ndropped(const carta_design *d) { return d->n_dropped; }
size_t carta_design_ninteractions(const carta_design *d) { return d->n_inter; }
void carta_design_interaction(const carta_design *d, size_t k, size_t *a, size_t *b)
{
    *a = d->inter[k].a;
    *b = d->inter[k].b;
}

/* ---- Fit --------------------------------------------------------------------------------------- */

/* Resolves and checks the column of feature i of the spec. */
static int fit_column(const carta_design_spec *spec, size_t i, const carta_table *t, const carta_column **out,
                      int *categorical, carta_error *err)
{
    const carta_feature_spec *fs = &spec->features[i];
    const char *src = carta_table_source(t);
    carta_where at = { .file = src, .field = fs->name };
    char ptr[96];
    const carta_column *c = carta_table_find(t, fs->name);
    if (!c) return carta_error_set(err, CARTA_EDATA, &at, "no such column in the analysis table (feature %zu)", i + 1);
    if (fs->type == CARTA_FEATURE_NUMERIC && c->type == CARTA_STR)
        return carta_error_set(err, CARTA_EDATA, &at, "is a string column; declare the feature \"type\": \"categorical\"");
    /* As in R: a string column is a factor, a logical column gives the dummy "nameTRUE". */
    int cat = fs->type == CARTA_FEATURE_CATEGORICAL ||
              (fs->type == CARTA_FEATURE_AUTO && (c->type == CARTA_STR || c->type == CARTA_BOOL));
    at.file = NULL;
    at.field = ptr;
    if (cat && (fs->transform != CARTA_TRANSFORM_NONE || fs->clip)) {
        snprintf(ptr, sizeof ptr, "/features/%zu/%s", i, fs->clip ? "clip" : "transform");
        return carta_error_set(err, CARTA_ECONFIG, &at, "feature \"%s\" is a %s column, so categorical; "
                               "transforms apply to numeric features", fs->name, carta_type_name(c->type));
    }
    if (!cat && (fs->reference || fs->levels || fs->pool_min_count || fs->pool_min_fraction != 0)) {
        snprintf(ptr, sizeof ptr, "/features/%zu/%s", i, fs->reference ? "reference" : fs->levels ? "levels" : "pool_rare");
        return carta_error_set(err, CARTA_ECONFIG, &at, "feature \"%s\" is numeric; declare \"type\": \"categorical\" "
                               "to use levels", fs->name);
    }
    *out = c;
    *categorical = cat;
    return CARTA_OK;
}

static int fit_numeric(const carta_feature_spec *fs, const carta_column *c, const size_t *rows, size_t n,
                       carta_missing missing, carta_design_feature *f, double *tmp, const char *src,
                       carta_error *err)
{
    int rc;
    f->transform = fs->transform;
    f->clip = fs->clip;
    if (f->clip) {
        /* -0 and 0 clamp differently in sign; keep +0 so that the JSON text means the same bits. */
        f->clip_lo = fs->clip_lo == 0 ? 0.0 : fs->clip_lo;
        f->clip_hi = fs->clip_hi == 0 ? 0.0 : fs->clip_hi;
    }
    f->centre = 0;
    f->scale = 1;
    if (missing == CARTA_MISSING_MEDIAN && (rc = design_median(c, rows, n, &f->impute, src, err))) return rc;
    if (f->transform == CARTA_TRANSFORM_STANDARDIZE) {
        /* Centre and scale are those of the values that enter the matrix: clipped, imputed. */
        f->transform = CARTA_TRANSFORM_NONE;
        rc = design_fill_numeric(f, c, rows, n, missing, tmp, src, err);
        f->transform = CARTA_TRANSFORM_STANDARDIZE;
        if (rc) return rc;
        return design_mean_sd(tmp, n, &f->centre, &f->scale, f->name, src, err);
    }
    /* Check once to report a bad value (log of 0, infinity) at fit time, by row. */
    return design_fill_numeric(f, c, rows, n, missing, NULL, src, err);
}

int carta_design_fit(const carta_design_spec *spec, const carta_table *train, carta_design **out,
                     carta_error *err)
{
    *out = NULL;
    int rc = carta_design_spec_check(spec, err);
    if (rc) return rc;
    if ((rc = carta_table_check(train, err))) return rc;
    const char *src = carta_table_source(train);
    const size_t nf = spec->n_features, n_input = carta_table_nrows(train);
    carta_design *d = design_new(nf, spec->n_interactions);
    const carta_column **cols = carta_calloc(nf ? nf : 1, sizeof *cols);
    int *cat = carta_calloc(nf ? nf : 1, sizeof *cat);
    size_t *nmiss = carta_calloc(nf ? nf : 1, sizeof *nmiss);
    size_t *rows = NULL, n = 0;
    double *tmp = NULL;
    if (!d || !cols || !cat || !nmiss) {
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "design: no memory");
        goto done;
    }
    d->missing = spec->missing;
    d->indicators = spec->indicators;
    d->intercept = spec->intercept;
    for (size_t i = 0; i < nf; i++)
        if ((rc = fit_column(spec, i, train, &cols[i], &cat[i], err))) goto done;
    if ((rc = design_select_rows(cols, nf, n_input, spec->missing, &rows, &n, nmiss))) {
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "design: no memory for %zu row indices", n_input);
        goto done;
    }
    if (n == 0) {
        carta_where at = { .file = src };
        rc = carta_error_set(err, CARTA_EDATA, &at, n_input ? "design: none of the %zu rows is complete in the features"
                                                            : "design: the training table has %zu rows", n_input);
        goto done;
    }
    d->n_train = n_input;
    d->n_dropped = n_input - n;
    /* Scratch for the values a standardized feature is centred and scaled on. */
    int any_std = 0;
    for (size_t i = 0; i < nf; i++) any_std |= spec->features[i].transform == CARTA_TRANSFORM_STANDARDIZE;
    if (any_std && !(tmp = carta_malloc(n * sizeof *tmp))) {
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "design: no memory for %zu rows", n);
        goto done;
    }
    for (size_t i = 0; i < nf; i++) {
        const carta_feature_spec *fs = &spec->features[i];
        carta_design_feature *f = &d->features[i];
        if (!(f->name = carta_strdup(fs->name))) {
            rc = carta_error_set(err, CARTA_ENOMEM, NULL, "design: no memory");
            goto done;
        }
        f->categorical = cat[i];
        f->source = cols[i]->type;
        f->scale = 1;
        f->n_missing = nmiss[i];
        f->n_imputed = spec->missing == CARTA_MISSING_MEDIAN ? nmiss[i] : 0;
        f->indicator = spec->indicators && spec->missing == CARTA_MISSING_MEDIAN && nmiss[i] > 0;
        rc = cat[i] ? design_fit_categorical(fs, cols[i], rows, n, spec->missing, f, src, err)
                    : fit_numeric(fs, cols[i], rows, n, spec->missing, f, tmp, src, err);
        if (rc) goto done;
    }
    for (size_t k = 0; k < spec->n_interactions; k++) {
        size_t a = (size_t)feature_index(spec, spec->interactions[k].a);
        size_t b = (size_t)feature_index(spec, spec->interactions[k].b);
        /* R names and orders an interaction's columns by the order its variables were listed. */
        d->inter[k].a = a < b ? a : b;
        d->inter[k].b = a < b ? b : a;
    }
    rc = design_build_terms(d, err);
done:
    carta_free(cols);
    carta_free(cat);
    carta_free(nmiss);
    carta_free(rows);
    carta_free(tmp);
    if (rc == CARTA_OK) *out = d;
    else carta_design_free(d);
    return rc;
}

/* ---- Apply ------------------------------------------------------------------------------------- */

void carta_design_matrix_free(carta_design_matrix *m)
{
    if (!m) return;
    for (size_t j = 0; m->names && j < m->x.p; j++) carta_free(m->names[j]);
    carta_free(m->names);
    carta_free(m->data);
    carta_free(m->rows);
    carta_free(m->n_missing);
    carta_free(m->n_imputed);
    carta_free(m);
}

/* The column of fitted feature f in t, with the same kind (string or number) as at fit time. */
static int apply_column(const carta_design_feature *f, const carta_table *t, const carta_column **out,
                        carta_error *err)
{
    carta_where at = { .file = carta_table_source(t), .field = f->name };
    const carta_column *c = carta_table_find(t, f->name);
    if (!c) return carta_error_set(err, CARTA_EDATA, &at, "no such column, but the design uses feature %s", f->name);
    if ((c->type == CARTA_STR) != (f->source == CARTA_STR))
        return carta_error_set(err, CARTA_EDATA, &at, "is a %s column, but feature %s was fitted on a %s column",
                               carta_type_name(c->type), f->name, carta_type_name(f->source));
    *out = c;
    return CARTA_OK;
}

int carta_design_apply(const carta_design *d, const carta_table *t, carta_design_matrix **out,
                       carta_error *err)
{
    *out = NULL;
    int rc = carta_table_check(t, err);
    if (rc) return rc;
    const char *src = carta_table_source(t);
    const size_t nf = d->n_features, n_input = carta_table_nrows(t), p = d->p;
    const carta_column **cols = carta_calloc(nf ? nf : 1, sizeof *cols);
    carta_design_matrix *m = carta_calloc(1, sizeof *m);
    size_t n = 0, cells, bytes;
    if (!cols || !m || !(m->n_missing = carta_calloc(nf ? nf : 1, sizeof *m->n_missing)) ||
        !(m->n_imputed = carta_calloc(nf ? nf : 1, sizeof *m->n_imputed))) {
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "design: no memory");
        goto done;
    }
    m->n_features = nf;
    m->n_input = n_input;
    for (size_t i = 0; i < nf; i++)
        if ((rc = apply_column(&d->features[i], t, &cols[i], err))) goto done;
    if ((rc = design_select_rows(cols, nf, n_input, d->missing, &m->rows, &n, m->n_missing))) {
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "design: no memory for %zu row indices", n_input);
        goto done;
    }
    if (n == 0) {
        carta_where at = { .file = src };
        rc = carta_error_set(err, CARTA_EDATA, &at, n_input ? "design: none of the %zu rows is complete in the features"
                                                            : "design: the table has %zu rows", n_input);
        goto done;
    }
    m->n_dropped = n_input - n;
    /* One allocation for the whole matrix, its size checked for overflow. */
    if (carta_size_mul(n, p ? p : 1, &cells) || carta_size_mul(cells, sizeof(double), &bytes) ||
        !(m->data = carta_malloc(bytes))) {
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "design: no memory for a %zu x %zu matrix", n, p);
        goto done;
    }
    if (!(m->names = carta_calloc(p ? p : 1, sizeof *m->names))) {
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "design: no memory for term names");
        goto done;
    }
    m->x.p = p; /* names[0..p) are freed by carta_design_matrix_free from here on */
    for (size_t j = 0; j < p; j++)
        if (!(m->names[j] = carta_strdup(d->terms[j]))) {
            rc = carta_error_set(err, CARTA_ENOMEM, NULL, "design: no memory for term names");
            goto done;
        }
    if (d->intercept)
        for (size_t i = 0; i < n; i++) m->data[i] = 1.0;
    for (size_t i = 0; i < nf; i++) {
        const carta_design_feature *f = &d->features[i];
        double *col = m->data + f->first_term * n;
        rc = f->categorical ? design_fill_categorical(f, cols[i], m->rows, n, d->missing, col, src, err)
                            : design_fill_numeric(f, cols[i], m->rows, n, d->missing, col, src, err);
        if (rc) goto done;
        if (d->missing == CARTA_MISSING_MEDIAN) m->n_imputed[i] = m->n_missing[i];
        if (f->indicator) design_fill_indicator(cols[i], m->rows, n, col + f->n_terms * n);
    }
    for (size_t k = 0; k < d->n_inter; k++) design_fill_interaction(d, k, m->data, n);
    m->x.n = n;
    m->x.data = m->data;
    m->x.names = (const char *const *)m->names;
done:
    carta_free(cols);
    if (rc == CARTA_OK) *out = m;
    else carta_design_matrix_free(m);
    return rc;
}

int carta_design_row_major_f32(const carta_matrix *x, float **out, carta_error *err)
{
    size_t cells, bytes;
    *out = NULL;
    float *y;
    if (carta_size_mul(x->n, x->p, &cells) || carta_size_mul(cells ? cells : 1, sizeof *y, &bytes) ||
        !(y = carta_malloc(bytes)))
        return carta_error_set(err, CARTA_ENOMEM, NULL, "design: no memory for a %zu x %zu float matrix", x->n, x->p);
    /* Blocks of rows keep both the strided reads and the contiguous writes in cache. */
    const size_t block = 256, n = x->n, p = x->p;
    for (size_t i0 = 0; i0 < n; i0 += block) {
        size_t i1 = i0 + block < n ? i0 + block : n;
        for (size_t j = 0; j < p; j++) {
            const double *col = x->data + j * n;
            for (size_t i = i0; i < i1; i++) y[i * p + j] = (float)col[i];
        }
    }
    *out = y;
    return CARTA_OK;
}
