/* The fitted design as JSON ("format": "carta-design", "version": 1), saved with every model so
   that `carta predict` re-applies exactly the training encoding. Writing goes through carta's
   JSON writer (numbers as the shortest text that reads back to the same double: cJSON 1.7.15
   would round them); reading uses cJSON, whose parser reads numbers with strtod (exact), and
   checks every key, type and length, so that a hand-edited or truncated file is an error naming
   its JSON pointer rather than a silently different model. The term names are stored too and
   must equal the ones the design rebuilds. */
#include "internal.h"

#include <carta/alloc.h>
#include <carta/jsonw.h>

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *missing_name(carta_missing m)
{
    switch (m) {
    case CARTA_MISSING_OMIT: return "complete_case";
    case CARTA_MISSING_MEDIAN: return "median";
    case CARTA_MISSING_NAN: return "none";
    }
    return "complete_case";
}

static const char *transform_name(carta_transform t)
{
    switch (t) {
    case CARTA_TRANSFORM_NONE: return "none";
    case CARTA_TRANSFORM_LOG: return "log";
    case CARTA_TRANSFORM_LOG2: return "log2";
    case CARTA_TRANSFORM_STANDARDIZE: return "standardize";
    }
    return "none";
}

static void write_strings(carta_jsonw *w, const char *key, char *const *s, size_t n)
{
    carta_jsonw_key(w, key);
    carta_jsonw_begin_array(w);
    for (size_t k = 0; k < n; k++) carta_jsonw_string(w, s[k]);
    carta_jsonw_end_array(w);
}

static void write_feature(carta_jsonw *w, const carta_design *d, const carta_design_feature *f)
{
    carta_jsonw_begin_object(w);
    carta_jsonw_kstring(w, "name", f->name);
    carta_jsonw_kstring(w, "type", f->categorical ? "categorical" : "numeric");
    carta_jsonw_kstring(w, "source", carta_type_name(f->source));
    if (!f->categorical) {
        carta_jsonw_kstring(w, "transform", transform_name(f->transform));
        if (f->clip) {
            /* An open side is written as null (JSON has no infinity). */
            carta_jsonw_key(w, "clip");
            carta_jsonw_begin_array(w);
            carta_jsonw_number(w, f->clip_lo);
            carta_jsonw_number(w, f->clip_hi);
            carta_jsonw_end_array(w);
        }
        if (f->transform == CARTA_TRANSFORM_STANDARDIZE) {
            carta_jsonw_knumber(w, "centre", f->centre);
            carta_jsonw_knumber(w, "scale", f->scale);
        }
        if (d->missing == CARTA_MISSING_MEDIAN) carta_jsonw_knumber(w, "impute", f->impute);
    } else {
        write_strings(w, "levels", f->levels, f->n_levels);
        size_t kept = f->n_levels - (f->n_pooled > 0);
        if (f->values) carta_jsonw_knumbers(w, "values", f->values, kept);
        carta_jsonw_kstring(w, "reference", f->levels[f->reference]);
        if (f->n_pooled) {
            write_strings(w, "pooled", f->pooled, f->n_pooled);
            if (f->pooled_values) carta_jsonw_knumbers(w, "pooled_values", f->pooled_values, f->n_pooled);
        }
        if (d->missing == CARTA_MISSING_MEDIAN) carta_jsonw_kstring(w, "impute", f->levels[f->impute_level]);
    }
    carta_jsonw_kbool(w, "indicator", f->indicator);
    carta_jsonw_kint(w, "n_missing", (int64_t)f->n_missing);
    carta_jsonw_kint(w, "n_imputed", (int64_t)f->n_imputed);
    carta_jsonw_end_object(w);
}

int carta_design_to_json(const carta_design *d, char **out, carta_error *err)
{
    *out = NULL;
    carta_jsonw *w = carta_jsonw_new(2);
    if (!w) return carta_error_set(err, CARTA_ENOMEM, NULL, "design: no memory for JSON");
    carta_jsonw_begin_object(w);
    carta_jsonw_kstring(w, "format", "carta-design");
    carta_jsonw_kint(w, "version", 1);
    carta_jsonw_kstring(w, "missing", missing_name(d->missing));
    carta_jsonw_kbool(w, "indicators", d->indicators);
    carta_jsonw_kbool(w, "intercept", d->intercept);
    carta_jsonw_kint(w, "n_train", (int64_t)d->n_train);
    carta_jsonw_kint(w, "n_dropped", (int64_t)d->n_dropped);
    carta_jsonw_key(w, "features");
    carta_jsonw_begin_array(w);
    for (size_t i = 0; i < d->n_features; i++) write_feature(w, d, &d->features[i]);
    carta_jsonw_end_array(w);
    carta_jsonw_key(w, "interactions");
    carta_jsonw_begin_array(w);
    for (size_t k = 0; k < d->n_inter; k++) {
        carta_jsonw_begin_array(w);
        carta_jsonw_string(w, d->features[d->inter[k].a].name);
        carta_jsonw_string(w, d->features[d->inter[k].b].name);
        carta_jsonw_end_array(w);
    }
    carta_jsonw_end_array(w);
    write_strings(w, "terms", d->terms, d->p);
    carta_jsonw_end_object(w);
    const char *text;
    size_t len;
    int rc = carta_jsonw_finish(w, &text, &len, err);
    if (rc == CARTA_OK) *out = carta_jsonw_take(w);
    carta_jsonw_free(w);
    return rc;
}

/* ---- Reading ---------------------------------------------------------------------------------- */

typedef struct reader {
    const char *shown;
    carta_error *err;
} reader;

static int bad(reader *r, const char *ptr, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A data error at JSON pointer ptr of the design file. */
static int bad(reader *r, const char *ptr, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    carta_where at = { .file = r->shown, .field = ptr };
    return carta_error_set(r->err, CARTA_EDATA, &at, "%s", msg);
}

/* Rejects keys of obj that are not in the NULL-terminated list. */
static int only_keys(reader *r, const cJSON *obj, const char *ptr, const char *const *keys)
{
    for (const cJSON *c = obj->child; c; c = c->next) {
        size_t k = 0;
        while (keys[k] && strcmp(keys[k], c->string) != 0) k++;
        if (!keys[k]) return bad(r, ptr, "unknown key \"%s\"", c->string);
    }
    return CARTA_OK;
}

static const cJSON *member(reader *r, const cJSON *obj, const char *ptr, const char *key, int optional,
                           int (*is)(const cJSON *), const char *what, int *rc)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    char p[256];
    snprintf(p, sizeof p, "%s/%s", ptr, key);
    if (!v) {
        if (!optional) *rc = bad(r, p, "is missing");
        return NULL;
    }
    if (!is(v)) {
        *rc = bad(r, p, "must be %s", what);
        return NULL;
    }
    return v;
}

static int is_string(const cJSON *v) { return cJSON_IsString(v); }
static int is_bool(const cJSON *v) { return cJSON_IsBool(v); }
static int is_array(const cJSON *v) { return cJSON_IsArray(v); }
static int is_count(const cJSON *v)
{
    return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 9007199254740992.0 &&
           v->valuedouble == floor(v->valuedouble);
}
static int is_finite_number(const cJSON *v) { return cJSON_IsNumber(v) && isfinite(v->valuedouble); }

/* Copies a JSON array of strings into *out (owned, n entries). */
static int read_strings(reader *r, const cJSON *a, const char *ptr, char ***out, size_t *n)
{
    size_t m = (size_t)cJSON_GetArraySize(a), k = 0;
    char **s = carta_calloc(m ? m : 1, sizeof *s);
    if (!s) return carta_error_set(r->err, CARTA_ENOMEM, NULL, "design: no memory");
    *out = s;
    *n = 0;
    for (const cJSON *c = a->child; c; c = c->next, k++) {
        if (!cJSON_IsString(c)) {
            char p[160];
            snprintf(p, sizeof p, "%s/%zu", ptr, k);
            return bad(r, p, "must be a string");
        }
        if (!(s[k] = carta_strdup(c->valuestring))) return carta_error_set(r->err, CARTA_ENOMEM, NULL, "design: no memory");
        *n = k + 1;
    }
    return CARTA_OK;
}

/* Copies a JSON array of exactly n finite numbers into *out (owned). */
static int read_numbers(reader *r, const cJSON *a, const char *ptr, size_t n, double **out)
{
    if ((size_t)cJSON_GetArraySize(a) != n) return bad(r, ptr, "must hold %zu numbers", n);
    double *x = carta_malloc((n ? n : 1) * sizeof *x);
    if (!x) return carta_error_set(r->err, CARTA_ENOMEM, NULL, "design: no memory");
    *out = x;
    size_t k = 0;
    for (const cJSON *c = a->child; c; c = c->next, k++) {
        if (!is_finite_number(c)) {
            char p[160];
            snprintf(p, sizeof p, "%s/%zu", ptr, k);
            return bad(r, p, "must be a number");
        }
        x[k] = c->valuedouble;
    }
    return CARTA_OK;
}

static long find_label(char *const *labels, size_t n, const char *s)
{
    for (size_t k = 0; k < n; k++)
        if (strcmp(labels[k], s) == 0) return (long)k;
    return -1;
}

static int parse_type(const char *s, carta_type *t)
{
    static const carta_type all[] = { CARTA_F64, CARTA_I64, CARTA_BOOL, CARTA_DATE, CARTA_STR };
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        if (strcmp(carta_type_name(all[k]), s) == 0) {
            *t = all[k];
            return 0;
        }
    return -1;
}

static int read_feature(reader *r, const cJSON *o, const char *ptr, carta_missing missing,
                        carta_design_feature *f)
{
    static const char *const keys[] = { "name", "type", "source", "transform", "clip", "centre", "scale",
                                        "impute", "levels", "values", "reference", "pooled", "pooled_values",
                                        "indicator", "n_missing", "n_imputed", NULL };
    int rc = CARTA_OK;
    char p[160];
    if (!cJSON_IsObject(o)) return bad(r, ptr, "must be an object");
    if ((rc = only_keys(r, o, ptr, keys))) return rc;
    const cJSON *name = member(r, o, ptr, "name", 0, is_string, "a string", &rc);
    const cJSON *type = member(r, o, ptr, "type", 0, is_string, "a string", &rc);
    const cJSON *source = member(r, o, ptr, "source", 0, is_string, "a string", &rc);
    const cJSON *ind = member(r, o, ptr, "indicator", 0, is_bool, "true or false", &rc);
    const cJSON *nm = member(r, o, ptr, "n_missing", 0, is_count, "a count", &rc);
    const cJSON *ni = member(r, o, ptr, "n_imputed", 0, is_count, "a count", &rc);
    if (rc) return rc;
    if (!name->valuestring[0]) return bad(r, ptr, "feature name is empty");
    if (!(f->name = carta_strdup(name->valuestring))) return carta_error_set(r->err, CARTA_ENOMEM, NULL, "design: no memory");
    snprintf(p, sizeof p, "%s/source", ptr);
    if (parse_type(source->valuestring, &f->source)) return bad(r, p, "\"%s\" is not a column type", source->valuestring);
    f->indicator = cJSON_IsTrue(ind);
    f->n_missing = (size_t)nm->valuedouble;
    f->n_imputed = (size_t)ni->valuedouble;
    f->scale = 1;
    if (strcmp(type->valuestring, "numeric") == 0) {
        static const char *const num_only[] = { "levels", "values", "reference", "pooled", "pooled_values" };
        for (size_t k = 0; k < 5; k++)
            if (cJSON_GetObjectItemCaseSensitive(o, num_only[k])) {
                snprintf(p, sizeof p, "%s/%s", ptr, num_only[k]);
                return bad(r, p, "is not a key of a numeric feature");
            }
        if (f->source == CARTA_STR) return bad(r, ptr, "a numeric feature cannot come from a string column");
        const cJSON *tr = member(r, o, ptr, "transform", 0, is_string, "a string", &rc);
        if (rc) return rc;
        static const carta_transform all[] = { CARTA_TRANSFORM_NONE, CARTA_TRANSFORM_LOG, CARTA_TRANSFORM_LOG2,
                                               CARTA_TRANSFORM_STANDARDIZE };
        size_t k = 0;
        while (k < 4 && strcmp(transform_name(all[k]), tr->valuestring) != 0) k++;
        snprintf(p, sizeof p, "%s/transform", ptr);
        if (k == 4) return bad(r, p, "\"%s\" is not one of none, log, log2, standardize", tr->valuestring);
        f->transform = all[k];
        const cJSON *clip = member(r, o, ptr, "clip", 1, is_array, "[lower, upper]", &rc);
        if (rc) return rc;
        if (clip) {
            snprintf(p, sizeof p, "%s/clip", ptr);
            const cJSON *lo = cJSON_GetArrayItem(clip, 0), *hi = cJSON_GetArrayItem(clip, 1);
            if (cJSON_GetArraySize(clip) != 2 || !(cJSON_IsNull(lo) || is_finite_number(lo)) ||
                !(cJSON_IsNull(hi) || is_finite_number(hi)))
                return bad(r, p, "must be [lower, upper] (numbers or null)");
            f->clip = 1;
            f->clip_lo = cJSON_IsNull(lo) ? -(double)INFINITY : lo->valuedouble;
            f->clip_hi = cJSON_IsNull(hi) ? (double)INFINITY : hi->valuedouble;
            if (f->clip_lo > f->clip_hi) return bad(r, p, "needs lower <= upper");
        }
        const int std = f->transform == CARTA_TRANSFORM_STANDARDIZE;
        const cJSON *ce = member(r, o, ptr, "centre", !std, is_finite_number, "a number", &rc);
        const cJSON *sc = member(r, o, ptr, "scale", !std, is_finite_number, "a number", &rc);
        const cJSON *im = member(r, o, ptr, "impute", missing != CARTA_MISSING_MEDIAN, is_finite_number, "a number", &rc);
        if (rc) return rc;
        if (!std && (ce || sc)) return bad(r, ptr, "centre and scale belong to a standardized feature");
        if (std) {
            f->centre = ce->valuedouble;
            f->scale = sc->valuedouble;
            snprintf(p, sizeof p, "%s/scale", ptr);
            if (!(f->scale > 0)) return bad(r, p, "must be > 0");
        }
        if (im && missing != CARTA_MISSING_MEDIAN) return bad(r, ptr, "impute is only used with the median strategy");
        if (im) f->impute = im->valuedouble;
        return CARTA_OK;
    }
    snprintf(p, sizeof p, "%s/type", ptr);
    if (strcmp(type->valuestring, "categorical") != 0) return bad(r, p, "\"%s\" is not one of numeric, categorical", type->valuestring);
    f->categorical = 1;
    static const char *const cat_only[] = { "transform", "clip", "centre", "scale" };
    for (size_t k = 0; k < 4; k++)
        if (cJSON_GetObjectItemCaseSensitive(o, cat_only[k])) {
            snprintf(p, sizeof p, "%s/%s", ptr, cat_only[k]);
            return bad(r, p, "is not a key of a categorical feature");
        }
    const cJSON *lv = member(r, o, ptr, "levels", 0, is_array, "an array of strings", &rc);
    const cJSON *ref = member(r, o, ptr, "reference", 0, is_string, "a string", &rc);
    const cJSON *vals = member(r, o, ptr, "values", f->source == CARTA_STR, is_array, "an array of numbers", &rc);
    const cJSON *pl = member(r, o, ptr, "pooled", 1, is_array, "an array of strings", &rc);
    const cJSON *pv = member(r, o, ptr, "pooled_values", f->source == CARTA_STR || !pl, is_array,
                             "an array of numbers", &rc);
    const cJSON *im = member(r, o, ptr, "impute", missing != CARTA_MISSING_MEDIAN, is_string, "a string", &rc);
    if (rc) return rc;
    if (f->source == CARTA_STR && (vals || pv)) return bad(r, ptr, "values belong to a feature from a numeric column");
    if (pv && !pl) return bad(r, ptr, "pooled_values without pooled levels");
    if (im && missing != CARTA_MISSING_MEDIAN) return bad(r, ptr, "impute is only used with the median strategy");
    snprintf(p, sizeof p, "%s/levels", ptr);
    if ((rc = read_strings(r, lv, p, &f->levels, &f->n_levels))) return rc;
    if (f->n_levels < 2) return bad(r, p, "a categorical feature needs at least two levels");
    if (pl) {
        snprintf(p, sizeof p, "%s/pooled", ptr);
        if ((rc = read_strings(r, pl, p, &f->pooled, &f->n_pooled))) return rc;
        if (f->n_pooled == 0) return bad(r, p, "is empty (leave it out)");
        if (strcmp(f->levels[f->n_levels - 1], DESIGN_OTHER) != 0)
            return bad(r, p, "pooled levels need \"%s\" as the last level", DESIGN_OTHER);
    }
    size_t kept = f->n_levels - (f->n_pooled > 0);
    for (size_t k = 0; k < f->n_levels; k++)
        for (size_t j = 0; j < k; j++)
            if (strcmp(f->levels[j], f->levels[k]) == 0) {
                snprintf(p, sizeof p, "%s/levels/%zu", ptr, k);
                return bad(r, p, "level \"%s\" is listed twice", f->levels[k]);
            }
    if (f->source != CARTA_STR) {
        snprintf(p, sizeof p, "%s/values", ptr);
        if ((rc = read_numbers(r, vals, p, kept, &f->values))) return rc;
        if (f->n_pooled) {
            snprintf(p, sizeof p, "%s/pooled_values", ptr);
            if ((rc = read_numbers(r, pv, p, f->n_pooled, &f->pooled_values))) return rc;
        }
        /* Labels of numeric levels are derived from their values; they must agree. */
        char buf[64];
        for (size_t k = 0; k < kept + f->n_pooled; k++) {
            double v = k < kept ? f->values[k] : f->pooled_values[k - kept];
            const char *label = k < kept ? f->levels[k] : f->pooled[k - kept];
            design_level_label(f->source, v, buf, sizeof buf);
            if (strcmp(buf, label) != 0) {
                snprintf(p, sizeof p, "%s/%s/%zu", ptr, k < kept ? "values" : "pooled_values", k < kept ? k : k - kept);
                return bad(r, p, "value %s does not match its level \"%s\"", buf, label);
            }
        }
    }
    long k = find_label(f->levels, f->n_levels, ref->valuestring);
    snprintf(p, sizeof p, "%s/reference", ptr);
    if (k < 0) return bad(r, p, "\"%s\" is not one of the levels", ref->valuestring);
    f->reference = (size_t)k;
    if (im) {
        k = find_label(f->levels, f->n_levels, im->valuestring);
        snprintf(p, sizeof p, "%s/impute", ptr);
        if (k < 0) return bad(r, p, "\"%s\" is not one of the levels", im->valuestring);
        f->impute_level = (size_t)k;
    }
    return CARTA_OK;
}

/* Line and column (1-based) of position pos in text, for syntax errors. */
static void text_position(const char *text, size_t pos, long *line, long *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < pos; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static int read_design(reader *r, const cJSON *root, carta_design **out)
{
    static const char *const keys[] = { "format", "version", "missing", "indicators", "intercept", "n_train",
                                        "n_dropped", "features", "interactions", "terms", NULL };
    int rc = CARTA_OK;
    char p[64];
    if (!cJSON_IsObject(root)) return bad(r, "", "a design must be a JSON object");
    if ((rc = only_keys(r, root, "", keys))) return rc;
    const cJSON *fmt = member(r, root, "", "format", 0, is_string, "a string", &rc);
    const cJSON *ver = member(r, root, "", "version", 0, is_count, "a version number", &rc);
    if (rc) return rc;
    if (strcmp(fmt->valuestring, "carta-design") != 0) return bad(r, "/format", "\"%s\" is not \"carta-design\"", fmt->valuestring);
    if (ver->valuedouble != 1) return bad(r, "/version", "version %g is not supported (this carta reads version 1)", ver->valuedouble);
    const cJSON *mis = member(r, root, "", "missing", 0, is_string, "a string", &rc);
    const cJSON *ind = member(r, root, "", "indicators", 0, is_bool, "true or false", &rc);
    const cJSON *icp = member(r, root, "", "intercept", 0, is_bool, "true or false", &rc);
    const cJSON *ntr = member(r, root, "", "n_train", 0, is_count, "a count", &rc);
    const cJSON *ndr = member(r, root, "", "n_dropped", 0, is_count, "a count", &rc);
    const cJSON *fe = member(r, root, "", "features", 0, is_array, "an array", &rc);
    const cJSON *in = member(r, root, "", "interactions", 0, is_array, "an array", &rc);
    const cJSON *te = member(r, root, "", "terms", 0, is_array, "an array", &rc);
    if (rc) return rc;
    static const carta_missing strategies[] = { CARTA_MISSING_OMIT, CARTA_MISSING_MEDIAN, CARTA_MISSING_NAN };
    size_t s = 0;
    while (s < 3 && strcmp(missing_name(strategies[s]), mis->valuestring) != 0) s++;
    if (s == 3) return bad(r, "/missing", "\"%s\" is not one of complete_case, median, none", mis->valuestring);
    size_t nf = (size_t)cJSON_GetArraySize(fe), ni = (size_t)cJSON_GetArraySize(in);
    carta_design *d = design_new(nf, ni);
    if (!d) return carta_error_set(r->err, CARTA_ENOMEM, NULL, "design: no memory");
    d->missing = strategies[s];
    d->indicators = cJSON_IsTrue(ind);
    d->intercept = cJSON_IsTrue(icp);
    d->n_train = (size_t)ntr->valuedouble;
    d->n_dropped = (size_t)ndr->valuedouble;
    size_t i = 0;
    for (const cJSON *c = fe->child; c && rc == CARTA_OK; c = c->next, i++) {
        snprintf(p, sizeof p, "/features/%zu", i);
        rc = read_feature(r, c, p, d->missing, &d->features[i]);
        for (size_t j = 0; rc == CARTA_OK && j < i; j++)
            if (strcmp(d->features[j].name, d->features[i].name) == 0)
                rc = bad(r, p, "feature \"%s\" is listed twice", d->features[i].name);
        if (rc == CARTA_OK && d->features[i].indicator && d->missing != CARTA_MISSING_MEDIAN)
            rc = bad(r, p, "an indicator needs the median strategy");
    }
    size_t k = 0;
    for (const cJSON *c = in->child; c && rc == CARTA_OK; c = c->next, k++) {
        snprintf(p, sizeof p, "/interactions/%zu", k);
        const cJSON *a = cJSON_GetArrayItem(c, 0), *b = cJSON_GetArrayItem(c, 1);
        if (!cJSON_IsArray(c) || cJSON_GetArraySize(c) != 2 || !cJSON_IsString(a) || !cJSON_IsString(b)) {
            rc = bad(r, p, "must be [feature, feature]");
            break;
        }
        long ia = -1, ib = -1;
        for (size_t j = 0; j < nf; j++) {
            if (strcmp(d->features[j].name, a->valuestring) == 0) ia = (long)j;
            if (strcmp(d->features[j].name, b->valuestring) == 0) ib = (long)j;
        }
        if (ia < 0 || ib < 0 || ia >= ib) {
            rc = bad(r, p, "must name two features in feature order");
            break;
        }
        d->inter[k].a = (size_t)ia;
        d->inter[k].b = (size_t)ib;
        for (size_t j = 0; j < k && rc == CARTA_OK; j++)
            if (d->inter[j].a == d->inter[k].a && d->inter[j].b == d->inter[k].b) rc = bad(r, p, "is listed twice");
    }
    if (rc == CARTA_OK) rc = design_build_terms(d, r->err);
    /* The stored names must be the ones this design produces: a cheap check of the whole file. */
    if (rc == CARTA_OK && (size_t)cJSON_GetArraySize(te) != d->p)
        rc = bad(r, "/terms", "has %d names, but the design makes %zu columns", cJSON_GetArraySize(te), d->p);
    k = 0;
    for (const cJSON *c = te->child; c && rc == CARTA_OK; c = c->next, k++) {
        if (!cJSON_IsString(c) || strcmp(c->valuestring, d->terms[k]) != 0) {
            snprintf(p, sizeof p, "/terms/%zu", k);
            rc = bad(r, p, "does not match the design's column \"%s\"", d->terms[k]);
        }
    }
    if (rc != CARTA_OK) {
        carta_design_free(d);
        return rc;
    }
    *out = d;
    return CARTA_OK;
}

int carta_design_from_json(const char *text, size_t len, const char *shown, carta_design **out,
                           carta_error *err)
{
    *out = NULL;
    reader r = { .shown = shown, .err = err };
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) {
        carta_where at = { .file = shown };
        size_t pos = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
        text_position(text, pos, &at.line, &at.col);
        return carta_error_set(err, CARTA_EDATA, &at, "not valid JSON (a carta design file was expected)");
    }
    int rc = read_design(&r, root, out);
    cJSON_Delete(root);
    return rc;
}
