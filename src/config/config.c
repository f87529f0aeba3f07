/* The experiment config reader: JSON text -> a checked, typed carta_config with every default
   filled in. Duplicate keys are looked for first, anywhere in the document; then the sections
   are read in this order (root keys, name, seed, data, cohort, outcome, features, interactions,
   missing, models, validation, card, output), stopping at the first error, which names its JSON
   pointer. Only checks that need no data happen here; columns are checked by later stages when
   the tables are loaded. */
#include <carta/config.h>
#include <carta/alloc.h>
#include <carta/fs.h>

#include "config_int.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- ranges used by several keys ---- */
static const cfg_range R_OPEN01 = { 0, 1, 1, 1 };     /* (0, 1) */
static const cfg_range R_NONNEG = { 0, INFINITY, 0, 0 };
static const cfg_range R_POS = { 0, INFINITY, 1, 0 };
static const cfg_range R_TOL = { 0, 1, 1, 1 };         /* convergence tolerances */

/* R's .Machine$double.eps^0.75, coxph.control's toler.chol. */
#define COX_TOLER_CHOL 1.8189894035458565e-12

/* ---- key lists ---- */
static const char *const ROOT_KEYS[] = { "$schema", "name", "description", "seed", "data", "cohort",
    "outcome", "features", "interactions", "missing", "models", "validation", "card", "output", NULL };
static const char *const DATA_KEYS[] = { "tables", "harmonize", NULL };
static const char *const TABLE_KEYS[] = { "path", "schema", "format", "sep", "na", NULL };
static const char *const HARMONIZE_KEYS[] = { "crs_scale", "mapping_bound", "units", NULL };
static const char *const CRS_SCALES[] = { "ASTCT", NULL };
static const char *const COHORT_KEYS[] = { "where", NULL };
static const char *const OUTCOME_ALL[] = { "type", "id", "table", "paramcd", "time", "event", "start",
    "cause", "censor", "causes", "grade_at_least", "within_days", NULL };
static const char *const OUTCOME_KEYS[][10] = {
    [CARTA_CFG_OUTCOME_BINARY] = { "type", "id", "table", "paramcd", "event", "grade_at_least", "within_days", NULL },
    [CARTA_CFG_OUTCOME_SURVIVAL] = { "type", "id", "table", "paramcd", "time", "event", "start", NULL },
    [CARTA_CFG_OUTCOME_COMPETING] = { "type", "id", "table", "paramcd", "time", "start", "cause", "censor", "causes", NULL },
};
static const char *const FEATURE_KEYS[] = { "name", "type", "reference", "levels", "from", "baseline",
    "transform", "clip", "derive", "args", "pool_rare", NULL };
static const char *const MISSING_KEYS[] = { "strategy", "indicators", NULL };
static const char *const MODEL_ALL[] = { "name", "type", "by", "weights", "conf_type", "conf_level", "probs",
    "tau", "times", "ctype", "strata", "rho", "ties", "cluster", "offset", "robust", "eps", "step_tol",
    "toler_chol", "toler_inf", "max_iter", "zph_transform", "residuals", "newdata", "firth", "lambda", "alpha",
    "max_halving", "params", "rounds", "early_stopping_rounds", "early_stopping_fraction", "shap", "lambda_cv", NULL };
static const char *const MODEL_KEYS[][24] = {
    [CARTA_CFG_MODEL_KM] = { "name", "type", "by", "weights", "conf_type", "conf_level", "probs", "tau",
                             "times", "ctype", NULL },
    [CARTA_CFG_MODEL_LOGRANK] = { "name", "type", "by", "strata", "rho", NULL },
    [CARTA_CFG_MODEL_CIF] = { "name", "type", "by", "conf_type", "conf_level", "times", NULL },
    [CARTA_CFG_MODEL_COX] = { "name", "type", "ties", "strata", "weights", "cluster", "offset", "robust",
                              "eps", "step_tol", "toler_chol", "toler_inf", "max_iter", "conf_level",
                              "zph_transform", "residuals", "newdata", "lambda", "alpha", "lambda_cv", NULL },
    [CARTA_CFG_MODEL_LOGISTIC] = { "name", "type", "firth", "lambda", "alpha", "weights", "offset", "eps",
                                   "max_iter", "max_halving", "conf_level", "lambda_cv", NULL },
    [CARTA_CFG_MODEL_XGBOOST] = { "name", "type", "params", "rounds", "early_stopping_rounds",
                                  "early_stopping_fraction", "shap", NULL },
};
static const char *const VALIDATION_ALL[] = { "scheme", "folds", "repeats", "group", "bootstrap", "holdout",
    "stratify", "conf_level", "fairness", NULL };
static const char *const VALIDATION_KEYS[][10] = {
    [CARTA_CFG_SCHEME_NONE] = { "scheme", "bootstrap", "conf_level", "fairness", NULL },
    [CARTA_CFG_SCHEME_KFOLD] = { "scheme", "folds", "stratify", "bootstrap", "conf_level", "fairness", NULL },
    [CARTA_CFG_SCHEME_REPEATED_KFOLD] = { "scheme", "folds", "repeats", "stratify", "bootstrap", "conf_level", "fairness", NULL },
    [CARTA_CFG_SCHEME_GROUPED_KFOLD] = { "scheme", "folds", "group", "bootstrap", "conf_level", "fairness", NULL },
    [CARTA_CFG_SCHEME_LEAVE_ONE_STUDY_OUT] = { "scheme", "group", "bootstrap", "conf_level", "fairness", NULL },
    [CARTA_CFG_SCHEME_HOLDOUT] = { "scheme", "holdout", "stratify", "bootstrap", "conf_level", "fairness", NULL },
    [CARTA_CFG_SCHEME_BOOTSTRAP] = { "scheme", "bootstrap", "conf_level", "fairness", NULL },
};
static const char *const CARD_KEYS[] = { "intended_use", "users", "out_of_scope", "limitations", "tradeoffs",
    "caveats", "references", "small_count_threshold", NULL };

/* Names used as folder names (the model name, the experiment name) and table names. */
static int name_ok(const char *s, int allow_dash_dot)
{
    if (!*s) return 0;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (!(isalnum(c) || c == '_' || (allow_dash_dot && (c == '-' || c == '.')))) return 0;
    }
    return strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

/* Copies a newly allocated carta string into the arena and frees it. */
static const char *adopt(cfg_reader *r, char *s)
{
    if (!s) return NULL;
    char *d = cfg_arena_strdup(r->a, s);
    carta_free(s);
    return d;
}

/* The table names declared under data.tables, NULL-terminated (for "did you mean"). */
static const char **table_names(cfg_reader *r, const carta_config *c)
{
    const char **v = cfg_arena_array(r->a, c->n_tables + 1, sizeof *v);
    if (!v) return NULL;
    for (size_t i = 0; i < c->n_tables; i++) v[i] = c->tables[i].name;
    return v;
}

/* obj[key], when given, must name a declared table. */
static int check_table_ref(cfg_reader *r, const carta_config *c, const char *key, const char *name)
{
    if (!name) return CARTA_OK;
    for (size_t i = 0; i < c->n_tables; i++)
        if (strcmp(c->tables[i].name, name) == 0) return CARTA_OK;
    const char **names = table_names(r, c);
    if (!names) return cfg_oom(r);
    char list[512];
    const char *near = cfg_nearest(name, names);
    if (near) return cfg_fail_key(r, key, "no table \"%.80s\" under /data/tables (did you mean \"%s\"?)", name, near);
    return cfg_fail_key(r, key, "no table \"%.80s\" under /data/tables (declared: %s)", name,
                        cfg_join(list, sizeof list, names));
}

/* ---- duplicate keys: cJSON keeps both and returns the first, so look for them everywhere ---- */

typedef struct key_at {
    const char *name;
    size_t index;
} key_at;

static int by_name_then_index(const void *pa, const void *pb)
{
    const key_at *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);
    return c ? c : (a->index > b->index) - (a->index < b->index);
}

/* The first key of obj (in document order) that repeats an earlier one, or NULL. Small objects
   are scanned pairwise; large ones (a hostile file) are sorted, so the cost stays n log n. */
static int first_repeat(cfg_reader *r, const cJSON *obj, const char **repeat)
{
    size_t n = (size_t)cJSON_GetArraySize(obj), i = 0;
    *repeat = NULL;
    if (n <= 32) {
        for (const cJSON *c = obj->child; c; c = c->next)
            for (const cJSON *d = obj->child; d != c; d = d->next)
                if (strcmp(d->string, c->string) == 0) { *repeat = c->string; return CARTA_OK; }
        return CARTA_OK;
    }
    key_at *k = carta_malloc(n * sizeof *k);
    if (!k) return cfg_oom(r);
    for (const cJSON *c = obj->child; c; c = c->next, i++) k[i] = (key_at){ c->string, i };
    qsort(k, n, sizeof *k, by_name_then_index);
    size_t best = (size_t)-1;
    for (i = 1; i < n; i++)
        if (strcmp(k[i - 1].name, k[i].name) == 0 && k[i].index < best) { best = k[i].index; *repeat = k[i].name; }
    carta_free(k);
    return CARTA_OK;
}

static int find_duplicates(cfg_reader *r, const cJSON *v)
{
    if (cJSON_IsObject(v)) {
        const char *dup;
        int rc = first_repeat(r, v, &dup);
        if (rc) return rc;
        if (dup) return cfg_fail_key(r, dup, "duplicate key (each key may appear once in an object)");
    }
    size_t i = 0;
    for (const cJSON *c = v->child; c; c = c->next, i++) {
        size_t saved = cJSON_IsObject(v) ? cfg_enter(r, c->string) : cfg_enter_index(r, i);
        int rc = find_duplicates(r, c);
        cfg_leave(r, saved);
        if (rc) return rc;
    }
    return CARTA_OK;
}

/* ---- data ---- */

static carta_cfg_format format_from_extension(const char *path)
{
    const char *base = carta_path_basename(path);
    size_t n = strlen(base);
    /* A gzip-compressed file is named for its contents plus ".gz" (the loaders read both). */
    if (n > 3 && strcmp(base + n - 3, ".gz") == 0) n -= 3;
    const char *dot = NULL;
    for (size_t i = 0; i < n; i++)
        if (base[i] == '.') dot = base + i;
    if (!dot) return CARTA_CFG_FORMAT_AUTO;
    size_t ext_len = (size_t)(base + n - dot);
    static const struct { const char *ext; carta_cfg_format f; } map[] = {
        { ".csv", CARTA_CFG_FORMAT_CSV }, { ".tsv", CARTA_CFG_FORMAT_CSV }, { ".xpt", CARTA_CFG_FORMAT_XPT },
        { ".sas7bdat", CARTA_CFG_FORMAT_SAS7BDAT }, { ".json", CARTA_CFG_FORMAT_JSON },
        { ".ndjson", CARTA_CFG_FORMAT_NDJSON },
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (strlen(map[i].ext) != ext_len) continue;
        size_t k = 0;
        while (k < ext_len && tolower((unsigned char)dot[k]) == map[i].ext[k]) k++;
        if (k == ext_len) return map[i].f;
    }
    return CARTA_CFG_FORMAT_AUTO;
}

static int read_table(cfg_reader *r, const cJSON *v, const char *base_dir, carta_cfg_table *t)
{
    int rc, fmt = CARTA_CFG_FORMAT_AUTO;
    if (!cJSON_IsObject(v)) return cfg_fail(r, "expected an object with \"path\", got %s", cfg_kind(v));
    if ((rc = cfg_check_keys(r, v, TABLE_KEYS, NULL, NULL))) return rc;
    if ((rc = cfg_get_str(r, v, "path", CFG_REQ, &t->path))) return rc;
    if ((rc = cfg_get_str(r, v, "schema", CFG_NULL, &t->schema))) return rc;
    if ((rc = cfg_get_enum(r, v, "format", cfg_format_names, 0, &fmt))) return rc;
    if (fmt == CARTA_CFG_FORMAT_AUTO) {
        fmt = format_from_extension(t->path);
        if (fmt == CARTA_CFG_FORMAT_AUTO)
            return cfg_fail_key(r, "path", "cannot tell the format of \"%.120s\" from its extension; set "
                                "\"format\" (one of csv, xpt, sas7bdat, json, ndjson)", t->path);
    }
    t->format = (carta_cfg_format)fmt;
    if (!(t->path_resolved = adopt(r, carta_path_resolve(base_dir, t->path)))) return cfg_oom(r);
    if (t->schema && !(t->schema_resolved = adopt(r, carta_path_resolve(base_dir, t->schema)))) return cfg_oom(r);

    const cJSON *sep = cJSON_GetObjectItemCaseSensitive(v, "sep");
    const cJSON *na = cJSON_GetObjectItemCaseSensitive(v, "na");
    if (t->format != CARTA_CFG_FORMAT_CSV) {
        if (sep) return cfg_fail_key(r, "sep", "only for CSV tables (this one is %s)", cfg_format_names[t->format]);
        if (na) return cfg_fail_key(r, "na", "only for CSV tables (this one is %s)", cfg_format_names[t->format]);
        return CARTA_OK;
    }
    const char *s = NULL;
    if ((rc = cfg_get_str(r, v, "sep", 0, &s))) return rc;
    t->sep = strstr(carta_path_basename(t->path), ".tsv") || strstr(carta_path_basename(t->path), ".TSV") ? '\t' : ',';
    if (s) {
        if (strlen(s) != 1 || s[0] == '"' || s[0] == '\n' || s[0] == '\r')
            return cfg_fail_key(r, "sep", "expected one character other than a quote or a line break, got \"%.20s\"", s);
        t->sep = s[0];
    }
    if (na) {
        /* Unlike most string lists, "" is a meaningful missing-value token here. */
        if (!cJSON_IsArray(na)) return cfg_fail_key(r, "na", "expected an array of strings, got %s", cfg_kind(na));
        size_t n = (size_t)cJSON_GetArraySize(na), i = 0;
        const char **w = cfg_arena_array(r->a, n + 1, sizeof *w) /* NULL-terminated */;
        if (!w) return cfg_oom(r);
        size_t saved = cfg_enter(r, "na");
        for (const cJSON *e = na->child; e; e = e->next, i++) {
            size_t at = cfg_enter_index(r, i);
            if (!cJSON_IsString(e)) rc = cfg_fail(r, "expected a string, got %s", cfg_kind(e));
            for (size_t j = 0; !rc && j < i; j++)
                if (strcmp(w[j], e->valuestring) == 0) rc = cfg_fail(r, "\"%.40s\" appears twice", w[j]);
            if (!rc && !(w[i] = cfg_arena_strdup(r->a, e->valuestring))) rc = cfg_oom(r);
            cfg_leave(r, at);
            if (rc) { cfg_leave(r, saved); return rc; }
        }
        cfg_leave(r, saved);
        t->na.v = w;
        t->na.n = n;
    } else {
        static const char *const default_na[] = { "", "NA", NULL };
        t->na.v = default_na;
        t->na.n = 2;
    }
    return CARTA_OK;
}

static int read_data(cfg_reader *r, const cJSON *root, const char *base_dir, carta_config *c)
{
    const cJSON *data, *tables, *h;
    int rc;
    if ((rc = cfg_get_object(r, root, "data", CFG_REQ, &data))) return rc;
    size_t saved = cfg_enter(r, "data");
    if ((rc = cfg_check_keys(r, data, DATA_KEYS, NULL, NULL))) goto done;
    if ((rc = cfg_get_object(r, data, "tables", CFG_REQ, &tables))) goto done;
    size_t n = (size_t)cJSON_GetArraySize(tables), i = 0;
    if (n == 0) { rc = cfg_fail_key(r, "tables", "needs at least one table"); goto done; }
    carta_cfg_table *t = cfg_arena_array(r->a, n, sizeof *t);
    if (!t) { rc = cfg_oom(r); goto done; }
    size_t at_tables = cfg_enter(r, "tables");
    for (const cJSON *e = tables->child; e && !rc; e = e->next, i++) {
        size_t at = cfg_enter(r, e->string);
        if (!name_ok(e->string, 0))
            rc = cfg_fail(r, "a table name may only hold letters, digits and '_'");
        else if (!(t[i].name = cfg_arena_strdup(r->a, e->string)))
            rc = cfg_oom(r);
        else
            rc = read_table(r, e, base_dir, &t[i]);
        cfg_leave(r, at);
    }
    cfg_leave(r, at_tables);
    if (rc) goto done;
    c->tables = t;
    c->n_tables = n;

    if ((rc = cfg_get_object(r, data, "harmonize", 0, &h)) || !h) goto done;
    size_t at_h = cfg_enter(r, "harmonize");
    int bound = CARTA_CFG_BOUND_POINT, units = CARTA_CFG_UNITS_CONVENTIONAL, scale = 0;
    if (!(rc = cfg_check_keys(r, h, HARMONIZE_KEYS, NULL, NULL)) &&
        !(rc = cfg_get_enum(r, h, "crs_scale", CRS_SCALES, 0, &scale)) &&
        !(rc = cfg_get_enum(r, h, "mapping_bound", cfg_bound_names, 0, &bound)) &&
        !(rc = cfg_get_enum(r, h, "units", cfg_units_names, 0, &units))) {
        c->harmonize.enabled = 1;
        c->harmonize.crs_scale = CRS_SCALES[scale];
        c->harmonize.mapping_bound = (carta_cfg_bound)bound;
        c->harmonize.units = (carta_cfg_units)units;
    }
    cfg_leave(r, at_h);
done:
    cfg_leave(r, saved);
    return rc;
}

/* ---- cohort and outcome ---- */

static int read_cohort(cfg_reader *r, const cJSON *root, carta_config *c)
{
    const cJSON *o;
    int rc;
    if ((rc = cfg_get_object(r, root, "cohort", 0, &o)) || !o) return rc;
    size_t saved = cfg_enter(r, "cohort");
    if (!(rc = cfg_check_keys(r, o, COHORT_KEYS, NULL, NULL)))
        rc = cfg_get_str(r, o, "where", CFG_NULL, &c->where);
    cfg_leave(r, saved);
    return rc;
}

static int read_outcome(cfg_reader *r, const cJSON *root, carta_config *c)
{
    const cJSON *o;
    int rc, type = 0;
    carta_cfg_outcome *out = &c->outcome;
    if ((rc = cfg_get_object(r, root, "outcome", CFG_REQ, &o))) return rc;
    size_t saved = cfg_enter(r, "outcome");
    out->within_days = NAN;
    if ((rc = cfg_get_enum(r, o, "type", cfg_outcome_names, CFG_REQ, &type))) goto done;
    out->type = (carta_cfg_outcome_type)type;
    char owner[64];
    snprintf(owner, sizeof owner, "outcome type %s", cfg_outcome_names[type]);
    if ((rc = cfg_check_keys(r, o, OUTCOME_KEYS[type], OUTCOME_ALL, owner))) goto done;
    int surv = out->type != CARTA_CFG_OUTCOME_BINARY;
    if ((rc = cfg_get_str(r, o, "id", CFG_NULL, &out->id))) goto done;
    if ((rc = cfg_get_str(r, o, "table", CFG_NULL, &out->table))) goto done;
    if ((rc = cfg_get_str(r, o, "paramcd", CFG_NULL, &out->paramcd))) goto done;
    if ((rc = cfg_get_str(r, o, "time", surv ? CFG_REQ : 0, &out->time))) goto done;
    if ((rc = cfg_get_str(r, o, "event", out->type != CARTA_CFG_OUTCOME_COMPETING ? CFG_REQ : 0, &out->event))) goto done;
    if ((rc = cfg_get_str(r, o, "start", CFG_NULL, &out->start))) goto done;
    int comp = out->type == CARTA_CFG_OUTCOME_COMPETING;
    if ((rc = cfg_get_str(r, o, "cause", comp ? CFG_REQ : 0, &out->cause))) goto done;
    if ((rc = cfg_get_str(r, o, "censor", comp ? CFG_REQ : 0, &out->censor))) goto done;
    if ((rc = cfg_get_strs(r, o, "causes", 0, 1, &out->causes))) goto done;
    for (size_t i = 0; i < out->causes.n && !rc; i++)
        if (strcmp(out->causes.v[i], out->censor) == 0) {
            size_t at = cfg_enter(r, "causes");
            cfg_enter_index(r, i);
            rc = cfg_fail(r, "\"%.80s\" is the censor value, not a cause", out->censor);
            cfg_leave(r, at);
        }
    if (rc) goto done;
    if ((rc = cfg_get_long(r, o, "grade_at_least", CFG_NULL, 1, 5, &out->grade_at_least))) goto done;
    if ((rc = cfg_get_num(r, o, "within_days", CFG_NULL, &R_POS, &out->within_days))) goto done;
    if ((rc = check_table_ref(r, c, "table", out->table))) goto done;
    if (out->start && !out->id) {
        rc = cfg_fail_key(r, "start", "(start, stop] data needs \"id\", the subject column, to check that a "
                          "subject's intervals do not overlap");
        goto done;
    }
    if (out->paramcd && !out->table)
        rc = cfg_fail_key(r, "paramcd", "needs \"table\" (the table whose PARAMCD it selects)");
done:
    cfg_leave(r, saved);
    return rc;
}

/* ---- features ---- */

/* clip: [lower, upper] with lower < upper; null for an open side (-inf or inf). */
static int read_clip(cfg_reader *r, const cJSON *v, carta_cfg_feature *f)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(v, "clip");
    if (!a || cJSON_IsNull(a)) return CARTA_OK;
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 2)
        return cfg_fail_key(r, "clip", "expected [lower, upper] (numbers, or null for an open side), got %s",
                            cJSON_IsArray(a) ? "another number of values" : cfg_kind(a));
    size_t saved = cfg_enter(r, "clip"), i = 0;
    int rc = CARTA_OK;
    for (const cJSON *e = a->child; e && !rc; e = e->next, i++) {
        size_t at = cfg_enter_index(r, i);
        if (cJSON_IsNull(e)) f->clip[i] = i == 0 ? -INFINITY : INFINITY;
        else if (!cJSON_IsNumber(e)) rc = cfg_fail(r, "expected a number or null, got %s", cfg_kind(e));
        else if (!isfinite(e->valuedouble)) rc = cfg_fail(r, "the number is too large");
        else f->clip[i] = e->valuedouble;
        cfg_leave(r, at);
    }
    if (!rc && !(f->clip[0] < f->clip[1])) rc = cfg_fail(r, "the lower bound must be below the upper bound");
    if (!rc && isinf(f->clip[0]) && isinf(f->clip[1])) rc = cfg_fail(r, "clips nothing: give at least one bound");
    cfg_leave(r, saved);
    if (!rc) f->has_clip = 1;
    return rc;
}

static int read_feature(cfg_reader *r, const cJSON *v, const carta_config *c, carta_cfg_feature *f)
{
    int rc, type = -1, tr = -1, der = CARTA_CFG_DERIVE_NONE;
    if (!cJSON_IsObject(v)) return cfg_fail(r, "expected an object with \"name\", got %s", cfg_kind(v));
    if ((rc = cfg_check_keys(r, v, FEATURE_KEYS, NULL, NULL))) return rc;
    if ((rc = cfg_get_str(r, v, "name", CFG_REQ, &f->name))) return rc;
    if ((rc = cfg_get_enum(r, v, "type", cfg_feature_type_names, 0, &type))) return rc;
    if ((rc = cfg_get_enum(r, v, "derive", cfg_derive_names, 0, &der))) return rc;
    f->derive = (carta_cfg_derive)der;
    if (der != CARTA_CFG_DERIVE_NONE && type == CARTA_CFG_FEATURE_CATEGORICAL)
        return cfg_fail_key(r, "type", "a derived feature (%s) is numeric", cfg_derive_names[der]);
    f->type = type < 0 ? CARTA_CFG_FEATURE_NUMERIC : (carta_cfg_feature_type)type;
    int cat = f->type == CARTA_CFG_FEATURE_CATEGORICAL;
    static const char *const cat_only[] = { "reference", "levels", "pool_rare", NULL };
    static const char *const num_only[] = { "transform", "clip", NULL };
    for (size_t i = 0; !cat && cat_only[i]; i++)
        if (cJSON_GetObjectItemCaseSensitive(v, cat_only[i]))
            return cfg_fail_key(r, cat_only[i], "only for categorical features (add \"type\": \"categorical\")");
    for (size_t i = 0; cat && num_only[i]; i++)
        if (cJSON_GetObjectItemCaseSensitive(v, num_only[i]))
            return cfg_fail_key(r, num_only[i], "only for numeric features");
    if ((rc = cfg_get_str(r, v, "reference", CFG_NULL, &f->reference))) return rc;
    if ((rc = cfg_get_strs(r, v, "levels", 0, 1, &f->levels))) return rc;
    if (f->reference && f->levels.n) {
        size_t i;
        for (i = 0; i < f->levels.n; i++)
            if (strcmp(f->levels.v[i], f->reference) == 0) break;
        if (i == f->levels.n) {
            const char *near = cfg_nearest(f->reference, f->levels.v);
            if (near) return cfg_fail_key(r, "reference", "\"%.80s\" is not one of the levels (did you mean \"%s\"?)", f->reference, near);
            return cfg_fail_key(r, "reference", "\"%.80s\" is not one of the levels", f->reference);
        }
    }
    if ((rc = cfg_get_long(r, v, "pool_rare", 0, 0, LONG_MAX_CFG, &f->pool_rare))) return rc;
    if ((rc = cfg_get_str(r, v, "from", CFG_NULL, &f->from))) return rc;
    if ((rc = check_table_ref(r, c, "from", f->from))) return rc;
    if ((rc = cfg_get_bool(r, v, "baseline", 0, &f->baseline))) return rc;
    if ((rc = cfg_get_enum(r, v, "transform", cfg_transform_names, 0, &tr))) return rc;
    f->transform = tr < 0 ? CARTA_CFG_TRANSFORM_NONE : (carta_cfg_transform)tr;
    if ((rc = read_clip(r, v, f))) return rc;
    /* Input columns of a derived feature: how many each kind takes (days_between has no default). */
    static const size_t n_args[] = { 0, 3, 3, 2, 5, 2 };
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(v, "args");
    if (der == CARTA_CFG_DERIVE_NONE) {
        if (args) return cfg_fail_key(r, "args", "only for a derived feature (with \"derive\")");
        return CARTA_OK;
    }
    if ((rc = cfg_get_strs(r, v, "args", der == CARTA_CFG_DERIVE_DAYS_BETWEEN ? CFG_REQ : 0, 1, &f->args))) return rc;
    if (args && f->args.n != n_args[der])
        return cfg_fail_key(r, "args", "%s takes %zu columns, got %zu", cfg_derive_names[der], n_args[der], f->args.n);
    return CARTA_OK;
}

static int read_features(cfg_reader *r, const cJSON *root, carta_config *c)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "features");
    if (!v) return CARTA_OK;
    if (!cJSON_IsArray(v)) return cfg_fail_key(r, "features", "expected an array of objects, got %s", cfg_kind(v));
    size_t n = (size_t)cJSON_GetArraySize(v), i = 0;
    carta_cfg_feature *f = cfg_arena_array(r->a, n ? n : 1, sizeof *f);
    if (!f) return cfg_oom(r);
    size_t saved = cfg_enter(r, "features");
    int rc = CARTA_OK;
    for (const cJSON *e = v->child; e && !rc; e = e->next, i++) {
        size_t at = cfg_enter_index(r, i);
        rc = read_feature(r, e, c, &f[i]);
        for (size_t j = 0; !rc && j < i; j++)
            if (strcmp(f[j].name, f[i].name) == 0)
                rc = cfg_fail_key(r, "name", "\"%.80s\" is already the name of /features/%zu", f[i].name, j);
        cfg_leave(r, at);
    }
    cfg_leave(r, saved);
    if (rc) return rc;
    c->features = f;
    c->n_features = n;
    return CARTA_OK;
}

/* interactions: [[a, b], ...], two different features each, no pair twice. */
static int read_interactions(cfg_reader *r, const cJSON *root, carta_config *c)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "interactions");
    if (!v) return CARTA_OK;
    if (!cJSON_IsArray(v)) return cfg_fail_key(r, "interactions", "expected an array of [feature, feature] pairs, got %s", cfg_kind(v));
    size_t n = (size_t)cJSON_GetArraySize(v), i = 0;
    carta_cfg_interaction *x = cfg_arena_array(r->a, n ? n : 1, sizeof *x);
    const char **names = cfg_arena_array(r->a, c->n_features + 1, sizeof *names);
    if (!x || !names) return cfg_oom(r);
    for (size_t j = 0; j < c->n_features; j++) names[j] = c->features[j].name;
    size_t saved = cfg_enter(r, "interactions");
    int rc = CARTA_OK;
    for (const cJSON *e = v->child; e && !rc; e = e->next, i++) {
        size_t at = cfg_enter_index(r, i), k = 0;
        if (!cJSON_IsArray(e) || cJSON_GetArraySize(e) != 2)
            rc = cfg_fail(r, "expected a pair [feature, feature]");
        for (const cJSON *m = e->child; m && !rc; m = m->next, k++) {
            size_t at2 = cfg_enter_index(r, k), j;
            if (!cJSON_IsString(m)) {
                rc = cfg_fail(r, "expected a feature name, got %s", cfg_kind(m));
            } else {
                for (j = 0; j < c->n_features; j++)
                    if (strcmp(names[j], m->valuestring) == 0) break;
                if (j == c->n_features) {
                    const char *near = cfg_nearest(m->valuestring, names);
                    rc = near ? cfg_fail(r, "\"%.80s\" is not a feature (did you mean \"%s\"?)", m->valuestring, near)
                              : cfg_fail(r, "\"%.80s\" is not a feature (listed under /features)", m->valuestring);
                } else if (k == 0) {
                    x[i].a = names[j];
                } else {
                    x[i].b = names[j];
                }
            }
            cfg_leave(r, at2);
        }
        if (!rc && x[i].a == x[i].b) rc = cfg_fail(r, "a feature cannot interact with itself");
        for (size_t j = 0; !rc && j < i; j++)
            if ((x[j].a == x[i].a && x[j].b == x[i].b) || (x[j].a == x[i].b && x[j].b == x[i].a))
                rc = cfg_fail(r, "the same pair as /interactions/%zu", j);
        cfg_leave(r, at);
    }
    cfg_leave(r, saved);
    if (rc) return rc;
    c->interactions = x;
    c->n_interactions = n;
    return CARTA_OK;
}

static int read_missing(cfg_reader *r, const cJSON *root, carta_config *c)
{
    const cJSON *m;
    int rc, s = CARTA_CFG_MISSING_COMPLETE_CASE;
    if ((rc = cfg_get_object(r, root, "missing", 0, &m)) || !m) return rc;
    size_t saved = cfg_enter(r, "missing");
    if (!(rc = cfg_check_keys(r, m, MISSING_KEYS, NULL, NULL)) &&
        !(rc = cfg_get_enum(r, m, "strategy", cfg_missing_names, 0, &s)) &&
        !(rc = cfg_get_bool(r, m, "indicators", 0, &c->missing.indicators))) {
        c->missing.strategy = (carta_cfg_missing_strategy)s;
        if (c->missing.indicators && s != CARTA_CFG_MISSING_MEDIAN)
            rc = cfg_fail_key(r, "indicators", "missing-value indicators need \"strategy\": \"median\"");
    }
    cfg_leave(r, saved);
    return rc;
}

/* ---- models ---- */

static int read_km(cfg_reader *r, const cJSON *v, carta_km_config *k)
{
    static const double probs[] = { 0.25, 0.5, 0.75 };
    int rc, ct = CARTA_CFG_CONF_LOG;
    long ctype = 1;
    k->conf_level = 0.95;
    k->probs.v = probs;
    k->probs.n = 3;
    k->tau = NAN;
    if ((rc = cfg_get_strs(r, v, "by", 0, 0, &k->by))) return rc;
    if ((rc = cfg_get_str(r, v, "weights", CFG_NULL, &k->weights))) return rc;
    if ((rc = cfg_get_enum(r, v, "conf_type", cfg_conf_names, 0, &ct))) return rc;
    k->conf_type = (carta_cfg_conf_type)ct;
    if ((rc = cfg_get_num(r, v, "conf_level", 0, &R_OPEN01, &k->conf_level))) return rc;
    if ((rc = cfg_get_nums(r, v, "probs", 0, &R_OPEN01, 1, &k->probs))) return rc;
    if ((rc = cfg_get_num(r, v, "tau", CFG_NULL, &R_POS, &k->tau))) return rc;
    if ((rc = cfg_get_nums(r, v, "times", 0, &R_NONNEG, 1, &k->times))) return rc;
    if ((rc = cfg_get_long(r, v, "ctype", 0, 1, 2, &ctype))) return rc;
    k->ctype = (int)ctype;
    return CARTA_OK;
}

static int read_logrank(cfg_reader *r, const cJSON *v, carta_logrank_config *k)
{
    int rc;
    if ((rc = cfg_get_strs(r, v, "by", CFG_REQ, 1, &k->by))) return rc;
    if ((rc = cfg_get_strs(r, v, "strata", 0, 0, &k->strata))) return rc;
    return cfg_get_num(r, v, "rho", 0, &R_NONNEG, &k->rho);
}

static int read_cif(cfg_reader *r, const cJSON *v, carta_cif_config *k)
{
    int rc, ct = CARTA_CFG_CONF_LOG;
    k->conf_level = 0.95;
    if ((rc = cfg_get_strs(r, v, "by", 0, 0, &k->by))) return rc;
    if ((rc = cfg_get_enum(r, v, "conf_type", cfg_conf_names, 0, &ct))) return rc;
    k->conf_type = (carta_cfg_conf_type)ct;
    if ((rc = cfg_get_num(r, v, "conf_level", 0, &R_OPEN01, &k->conf_level))) return rc;
    return cfg_get_nums(r, v, "times", 0, &R_NONNEG, 1, &k->times);
}

static int read_newdata(cfg_reader *r, const cJSON *v, carta_cox_config *k)
{
    const cJSON *nd = cJSON_GetObjectItemCaseSensitive(v, "newdata");
    if (!nd) return CARTA_OK;
    if (!cJSON_IsArray(nd)) return cfg_fail_key(r, "newdata", "expected an array of objects, got %s", cfg_kind(nd));
    size_t n = (size_t)cJSON_GetArraySize(nd), i = 0;
    carta_cfg_row *rows = cfg_arena_array(r->a, n ? n : 1, sizeof *rows);
    if (!rows) return cfg_oom(r);
    size_t saved = cfg_enter(r, "newdata");
    int rc = CARTA_OK;
    for (const cJSON *e = nd->child; e && !rc; e = e->next, i++) {
        size_t at = cfg_enter_index(r, i);
        if (!cJSON_IsObject(e)) {
            rc = cfg_fail(r, "expected an object of column: value, got %s", cfg_kind(e));
        } else {
            size_t m = (size_t)cJSON_GetArraySize(e), j = 0;
            carta_cfg_value *vals = cfg_arena_array(r->a, m ? m : 1, sizeof *vals);
            if (!vals) rc = cfg_oom(r);
            for (const cJSON *x = e->child; x && !rc; x = x->next, j++) {
                size_t at2 = cfg_enter(r, x->string);
                vals[j].column = cfg_arena_strdup(r->a, x->string);
                if (!vals[j].column) rc = cfg_oom(r);
                else if (cJSON_IsString(x)) {
                    vals[j].is_string = 1;
                    if (!(vals[j].str = cfg_arena_strdup(r->a, x->valuestring))) rc = cfg_oom(r);
                } else if (cJSON_IsNumber(x) && isfinite(x->valuedouble)) {
                    vals[j].num = x->valuedouble;
                } else {
                    rc = cfg_fail(r, "expected a number or a string, got %s", cfg_kind(x));
                }
                cfg_leave(r, at2);
            }
            rows[i].v = vals;
            rows[i].n = m;
        }
        cfg_leave(r, at);
    }
    cfg_leave(r, saved);
    if (rc) return rc;
    k->newdata = rows;
    k->n_newdata = n;
    return CARTA_OK;
}

static int read_cox(cfg_reader *r, const cJSON *v, carta_cox_config *k)
{
    int rc, ties = CARTA_CFG_TIES_EFRON, zph = CARTA_CFG_ZPH_KM, robust = -1;
    k->eps = 1e-12;
    k->step_tol = 1e-7;
    k->toler_chol = COX_TOLER_CHOL;
    k->toler_inf = 1e-5;
    k->max_iter = 20;
    k->conf_level = 0.95;
    if ((rc = cfg_read_penalty(r, v, &k->lambda, &k->alpha, &k->lambda_rule, &k->lambda_cv))) return rc;
    if (!isnan(k->lambda) || k->lambda_rule != CARTA_CFG_LAMBDA_FIXED) {
        /* The elastic-net Cox model (glmnet's) has Breslow ties and no Newton-Raphson options,
           robust variances, residuals or curves: such keys are errors, not silently ignored. */
        static const char *const unpenalized_only[] = { "cluster", "robust", "offset", "eps", "step_tol", "toler_chol",
            "toler_inf", "max_iter", "conf_level", "zph_transform", "residuals", "newdata", NULL };
        if ((rc = cfg_get_enum(r, v, "ties", cfg_ties_names, 0, &ties))) return rc;
        if (cJSON_GetObjectItemCaseSensitive(v, "ties") && ties != CARTA_CFG_TIES_BRESLOW)
            return cfg_fail_key(r, "ties", "the elastic-net Cox model (\"lambda\") handles ties by Breslow's method only "
                                "(as glmnet); set \"ties\": \"breslow\" or leave it out");
        for (int j = 0; unpenalized_only[j]; j++)
            if (cJSON_GetObjectItemCaseSensitive(v, unpenalized_only[j]))
                return cfg_fail_key(r, unpenalized_only[j], "not available with an elastic-net penalty (\"lambda\"): "
                                    "only ties, strata, weights, alpha and lambda_cv are");
        ties = CARTA_CFG_TIES_BRESLOW;
        zph = CARTA_CFG_ZPH_NONE;
    }
    if ((rc = cfg_get_enum(r, v, "ties", cfg_ties_names, 0, &ties))) return rc;
    k->ties = (carta_cfg_ties)ties;
    if ((rc = cfg_get_strs(r, v, "strata", 0, 0, &k->strata))) return rc;
    if ((rc = cfg_get_str(r, v, "weights", CFG_NULL, &k->weights))) return rc;
    if ((rc = cfg_get_str(r, v, "cluster", CFG_NULL, &k->cluster))) return rc;
    if ((rc = cfg_get_str(r, v, "offset", CFG_NULL, &k->offset))) return rc;
    if ((rc = cfg_get_bool(r, v, "robust", 0, &robust))) return rc;
    if (k->cluster && robust == 0)
        return cfg_fail_key(r, "robust", "\"cluster\" always gives robust variances (as in R); remove \"robust\": false");
    k->robust = robust == 1 || k->cluster != NULL;
    if ((rc = cfg_get_num(r, v, "eps", 0, &R_TOL, &k->eps))) return rc;
    if ((rc = cfg_get_num(r, v, "step_tol", 0, &R_TOL, &k->step_tol))) return rc;
    if ((rc = cfg_get_num(r, v, "toler_chol", 0, &R_TOL, &k->toler_chol))) return rc;
    if ((rc = cfg_get_num(r, v, "toler_inf", 0, &R_TOL, &k->toler_inf))) return rc;
    if ((rc = cfg_get_long(r, v, "max_iter", 0, 1, 1000, &k->max_iter))) return rc;
    if ((rc = cfg_get_num(r, v, "conf_level", 0, &R_OPEN01, &k->conf_level))) return rc;
    if ((rc = cfg_get_enum(r, v, "zph_transform", cfg_zph_names, 0, &zph))) return rc;
    k->zph_transform = (carta_cfg_zph_transform)zph;
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(v, "residuals");
    if (res) {
        if (!cJSON_IsArray(res)) return cfg_fail_key(r, "residuals", "expected an array of strings, got %s", cfg_kind(res));
        size_t saved = cfg_enter(r, "residuals"), i = 0;
        for (const cJSON *e = res->child; e && !rc; e = e->next, i++) {
            size_t at = cfg_enter_index(r, i);
            int j;
            if (!cJSON_IsString(e)) {
                rc = cfg_fail(r, "expected a string, got %s", cfg_kind(e));
            } else {
                for (j = 0; cfg_resid_names[j]; j++)
                    if (strcmp(cfg_resid_names[j], e->valuestring) == 0) break;
                if (!cfg_resid_names[j]) {
                    const char *near = cfg_nearest(e->valuestring, cfg_resid_names);
                    char list[256];
                    cfg_join(list, sizeof list, cfg_resid_names);
                    rc = near ? cfg_fail(r, "\"%.80s\" is not one of %s (did you mean \"%s\"?)", e->valuestring, list, near)
                              : cfg_fail(r, "\"%.80s\" is not one of %s", e->valuestring, list);
                } else if (k->residuals & (1u << j)) {
                    rc = cfg_fail(r, "\"%s\" appears twice", cfg_resid_names[j]);
                } else {
                    k->residuals |= 1u << j;
                }
            }
            cfg_leave(r, at);
        }
        cfg_leave(r, saved);
        if (rc) return rc;
    }
    if (k->ties == CARTA_CFG_TIES_EXACT) {
        /* what R's exact method does not give either: refused here, naming the key, rather
           than when the model is fitted */
        if (k->weights) return cfg_fail_key(r, "weights", "\"ties\": \"exact\" takes no case weights (nor does R's); use efron or breslow");
        if (k->cluster) return cfg_fail_key(r, "cluster", "\"ties\": \"exact\" has no robust (cluster) variance (nor has R); use efron or breslow");
        if (k->robust) return cfg_fail_key(r, "robust", "\"ties\": \"exact\" has no robust variance (nor has R); use efron or breslow");
        if (k->residuals & ~(unsigned)(CARTA_CFG_RESID_MARTINGALE | CARTA_CFG_RESID_DEVIANCE))
            return cfg_fail_key(r, "residuals", "\"ties\": \"exact\" gives martingale and deviance residuals only (as R); "
                                "use efron or breslow for score, schoenfeld or dfbeta");
    }
    return read_newdata(r, v, k);
}

static int read_logistic(cfg_reader *r, const cJSON *v, carta_logistic_config *k)
{
    int rc;
    k->eps = 1e-10;
    k->max_iter = 25;
    k->max_halving = 30;
    k->conf_level = 0.95;
    if ((rc = cfg_get_bool(r, v, "firth", 0, &k->firth))) return rc;
    if ((rc = cfg_read_penalty(r, v, &k->lambda, &k->alpha, &k->lambda_rule, &k->lambda_cv))) return rc;
    if (k->firth && (!isnan(k->lambda) || k->lambda_rule != CARTA_CFG_LAMBDA_FIXED))
        return cfg_fail_key(r, "lambda", "Firth's penalty and an elastic-net penalty cannot be combined");
    if ((rc = cfg_get_str(r, v, "weights", CFG_NULL, &k->weights))) return rc;
    if ((rc = cfg_get_str(r, v, "offset", CFG_NULL, &k->offset))) return rc;
    /* the elastic-net fit (glmnet's) takes no offset: refused, not silently left out */
    if (k->offset && (!isnan(k->lambda) || k->lambda_rule != CARTA_CFG_LAMBDA_FIXED))
        return cfg_fail_key(r, "offset", "not available with an elastic-net penalty (\"lambda\"): "
                            "fit the unpenalized model, or leave the offset out");
    if ((rc = cfg_get_num(r, v, "eps", 0, &R_TOL, &k->eps))) return rc;
    if ((rc = cfg_get_long(r, v, "max_iter", 0, 1, 1000, &k->max_iter))) return rc;
    if ((rc = cfg_get_long(r, v, "max_halving", 0, 0, 1000, &k->max_halving))) return rc;
    return cfg_get_num(r, v, "conf_level", 0, &R_OPEN01, &k->conf_level);
}

static int read_xgboost(cfg_reader *r, const cJSON *v, carta_cfg_outcome_type outcome, carta_xgboost_config *k)
{
    const cJSON *params;
    int rc;
    k->rounds = 100;
    k->early_stopping_fraction = 0.2;
    if ((rc = cfg_get_object(r, v, "params", 0, &params))) return rc;
    if ((rc = cfg_read_xgboost_params(r, params, outcome, k))) return rc;
    if ((rc = cfg_get_long(r, v, "rounds", 0, 1, 1000000, &k->rounds))) return rc;
    if ((rc = cfg_get_long(r, v, "early_stopping_rounds", CFG_NULL, 1, 1000000, &k->early_stopping_rounds))) return rc;
    if (cJSON_GetObjectItemCaseSensitive(v, "early_stopping_fraction") && k->early_stopping_rounds == 0)
        return cfg_fail_key(r, "early_stopping_fraction", "only with \"early_stopping_rounds\"");
    if ((rc = cfg_get_num(r, v, "early_stopping_fraction", 0, &R_OPEN01, &k->early_stopping_fraction))) return rc;
    return cfg_get_bool(r, v, "shap", 0, &k->shap);
}

/* Which outcome types each model type fits. */
static int model_fits(carta_cfg_model_type m, carta_cfg_outcome_type o, const char **need)
{
    switch (m) {
    case CARTA_CFG_MODEL_KM:
    case CARTA_CFG_MODEL_LOGRANK:
    case CARTA_CFG_MODEL_COX: *need = "a survival outcome"; return o == CARTA_CFG_OUTCOME_SURVIVAL;
    case CARTA_CFG_MODEL_CIF: *need = "a competing outcome"; return o == CARTA_CFG_OUTCOME_COMPETING;
    case CARTA_CFG_MODEL_LOGISTIC: *need = "a binary outcome"; return o == CARTA_CFG_OUTCOME_BINARY;
    case CARTA_CFG_MODEL_XGBOOST: *need = "a binary or survival outcome"; return o != CARTA_CFG_OUTCOME_COMPETING;
    }
    *need = "?";
    return 0;
}

static int read_model(cfg_reader *r, const cJSON *v, const carta_config *c, carta_cfg_model *m)
{
    int rc, type = 0;
    const char *need;
    if (!cJSON_IsObject(v)) return cfg_fail(r, "expected an object with \"name\" and \"type\", got %s", cfg_kind(v));
    if ((rc = cfg_get_enum(r, v, "type", cfg_model_names, CFG_REQ, &type))) return rc;
    m->type = (carta_cfg_model_type)type;
    if (!model_fits(m->type, c->outcome.type, &need))
        return cfg_fail_key(r, "type", "model type %s needs %s (the outcome is %s)", cfg_model_names[type], need,
                            cfg_outcome_names[c->outcome.type]);
    char owner[64];
    snprintf(owner, sizeof owner, "model type %s", cfg_model_names[type]);
    if ((rc = cfg_check_keys(r, v, MODEL_KEYS[type], MODEL_ALL, owner))) return rc;
    if ((rc = cfg_get_str(r, v, "name", CFG_REQ, &m->name))) return rc;
    if (!name_ok(m->name, 1))
        return cfg_fail_key(r, "name", "a model name may only hold letters, digits, '_', '-' and '.'");
    switch (m->type) {
    case CARTA_CFG_MODEL_KM: return read_km(r, v, &m->km);
    case CARTA_CFG_MODEL_LOGRANK: return read_logrank(r, v, &m->logrank);
    case CARTA_CFG_MODEL_CIF: return read_cif(r, v, &m->cif);
    case CARTA_CFG_MODEL_COX:
        if ((rc = read_cox(r, v, &m->cox))) return rc;
        if (c->outcome.start && (!isnan(m->cox.lambda) || m->cox.lambda_rule != CARTA_CFG_LAMBDA_FIXED))
            return cfg_fail_key(r, "lambda", "the elastic-net Cox model takes right-censored data only, not "
                                "(start, stop] rows (/outcome/start)");
        return CARTA_OK;
    case CARTA_CFG_MODEL_LOGISTIC: return read_logistic(r, v, &m->logistic);
    case CARTA_CFG_MODEL_XGBOOST: return read_xgboost(r, v, c->outcome.type, &m->xgboost);
    }
    return cfg_fail(r, "internal error: unknown model type");
}

static int read_models(cfg_reader *r, const cJSON *root, carta_config *c)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "models");
    if (!v) return cfg_fail_key(r, "models", "required key is missing (expected an array of models)");
    if (!cJSON_IsArray(v)) return cfg_fail_key(r, "models", "expected an array of objects, got %s", cfg_kind(v));
    size_t n = (size_t)cJSON_GetArraySize(v), i = 0;
    if (n == 0) return cfg_fail_key(r, "models", "needs at least one model");
    carta_cfg_model *m = cfg_arena_array(r->a, n, sizeof *m);
    if (!m) return cfg_oom(r);
    size_t saved = cfg_enter(r, "models");
    int rc = CARTA_OK;
    for (const cJSON *e = v->child; e && !rc; e = e->next, i++) {
        size_t at = cfg_enter_index(r, i);
        rc = read_model(r, e, c, &m[i]);
        for (size_t j = 0; !rc && j < i; j++)
            if (strcmp(m[j].name, m[i].name) == 0)
                rc = cfg_fail_key(r, "name", "\"%.80s\" is already the name of /models/%zu", m[i].name, j);
        cfg_leave(r, at);
    }
    cfg_leave(r, saved);
    if (rc) return rc;
    c->models = m;
    c->n_models = n;
    return CARTA_OK;
}

/* ---- validation, card, output ---- */

static int read_validation(cfg_reader *r, const cJSON *root, carta_config *c)
{
    const cJSON *o;
    int rc, scheme = CARTA_CFG_SCHEME_NONE;
    carta_cfg_validation *v = &c->validation;
    v->holdout = NAN;
    v->conf_level = 0.95;
    v->fairness_default = 1;
    v->bootstrap = 200; /* metric intervals where no analytic one exists; optimism under the bootstrap scheme */
    if ((rc = cfg_get_object(r, root, "validation", 0, &o)) || !o) return rc;
    size_t saved = cfg_enter(r, "validation");
    if ((rc = cfg_get_enum(r, o, "scheme", cfg_scheme_names, 0, &scheme))) goto done;
    v->scheme = (carta_cfg_scheme)scheme;
    char owner[64];
    snprintf(owner, sizeof owner, "scheme %s", cfg_scheme_names[scheme]);
    if ((rc = cfg_check_keys(r, o, VALIDATION_KEYS[scheme], VALIDATION_ALL, owner))) goto done;
    if (scheme == CARTA_CFG_SCHEME_KFOLD || scheme == CARTA_CFG_SCHEME_REPEATED_KFOLD ||
        scheme == CARTA_CFG_SCHEME_GROUPED_KFOLD) {
        v->folds = 5;
        if ((rc = cfg_get_long(r, o, "folds", 0, 2, LONG_MAX_CFG, &v->folds))) goto done;
    }
    if (scheme == CARTA_CFG_SCHEME_REPEATED_KFOLD) {
        v->repeats = 10;
        if ((rc = cfg_get_long(r, o, "repeats", 0, 1, 100000, &v->repeats))) goto done;
    }
    if (scheme == CARTA_CFG_SCHEME_LEAVE_ONE_STUDY_OUT) v->group = "STUDYID";
    if ((rc = cfg_get_str(r, o, "group", scheme == CARTA_CFG_SCHEME_GROUPED_KFOLD ? CFG_REQ : 0, &v->group))) goto done;
    if (scheme == CARTA_CFG_SCHEME_HOLDOUT) {
        v->holdout = 0.25;
        if ((rc = cfg_get_num(r, o, "holdout", 0, &R_OPEN01, &v->holdout))) goto done;
    }
    if (scheme == CARTA_CFG_SCHEME_KFOLD || scheme == CARTA_CFG_SCHEME_REPEATED_KFOLD ||
        scheme == CARTA_CFG_SCHEME_HOLDOUT) {
        v->stratify = 1;
        if ((rc = cfg_get_bool(r, o, "stratify", 0, &v->stratify))) goto done;
    }
    int boot = scheme == CARTA_CFG_SCHEME_BOOTSTRAP;
    if ((rc = cfg_get_long(r, o, "bootstrap", 0, boot ? 1 : 0, 1000000, &v->bootstrap))) goto done;
    if ((rc = cfg_get_num(r, o, "conf_level", 0, &R_OPEN01, &v->conf_level))) goto done;
    rc = cfg_read_fairness(r, o, v);
done:
    cfg_leave(r, saved);
    return rc;
}

static int read_card(cfg_reader *r, const cJSON *root, carta_config *c)
{
    const cJSON *o;
    int rc;
    carta_cfg_card *k = &c->card;
    k->small_count_threshold = 5;
    if ((rc = cfg_get_object(r, root, "card", 0, &o)) || !o) return rc;
    size_t saved = cfg_enter(r, "card");
    if (!(rc = cfg_check_keys(r, o, CARD_KEYS, NULL, NULL)) &&
        !(rc = cfg_get_str(r, o, "intended_use", CFG_NULL, &k->intended_use)) &&
        !(rc = cfg_get_strs(r, o, "users", 0, 0, &k->users)) &&
        !(rc = cfg_get_strs(r, o, "out_of_scope", 0, 0, &k->out_of_scope)) &&
        !(rc = cfg_get_strs(r, o, "limitations", 0, 0, &k->limitations)) &&
        !(rc = cfg_get_strs(r, o, "tradeoffs", 0, 0, &k->tradeoffs)) &&
        !(rc = cfg_get_strs(r, o, "caveats", 0, 0, &k->caveats)) &&
        !(rc = cfg_get_strs(r, o, "references", 0, 0, &k->references)))
        rc = cfg_get_long(r, o, "small_count_threshold", 0, 0, 1000000, &k->small_count_threshold);
    cfg_leave(r, saved);
    return rc;
}

static int read_root(cfg_reader *r, const cJSON *root, const char *base_dir, carta_config *c)
{
    int rc;
    long seed = 1;
    const char *schema = NULL;
    if (!cJSON_IsObject(root)) return cfg_fail(r, "expected an object, got %s", cfg_kind(root));
    if ((rc = find_duplicates(r, root))) return rc;
    if ((rc = cfg_check_keys(r, root, ROOT_KEYS, NULL, NULL))) return rc;
    if ((rc = cfg_get_str(r, root, "$schema", 0, &schema))) return rc;
    if ((rc = cfg_get_str(r, root, "name", CFG_REQ, &c->name))) return rc;
    if (!name_ok(c->name, 1))
        return cfg_fail_key(r, "name", "an experiment name may only hold letters, digits, '_', '-' and '.'");
    if ((rc = cfg_get_str(r, root, "description", CFG_NULL, &c->description))) return rc;
    /* Seeds are 32-bit so that every RNG carta may use takes them unchanged. */
    if ((rc = cfg_get_long(r, root, "seed", 0, 0, 4294967295L, &seed))) return rc;
    c->seed = (unsigned long)seed;
    if ((rc = read_data(r, root, base_dir, c))) return rc;
    if ((rc = read_cohort(r, root, c))) return rc;
    if ((rc = read_outcome(r, root, c))) return rc;
    if ((rc = read_features(r, root, c))) return rc;
    if ((rc = read_interactions(r, root, c))) return rc;
    if ((rc = read_missing(r, root, c))) return rc;
    if ((rc = read_models(r, root, c))) return rc;
    if ((rc = read_validation(r, root, c))) return rc;
    if ((rc = read_card(r, root, c))) return rc;
    if ((rc = cfg_get_str(r, root, "output", 0, &c->output))) return rc;
    if (!c->output) {
        size_t n = strlen(c->name) + sizeof "models/";
        char *o = cfg_arena_alloc(r->a, n);
        if (!o) return cfg_oom(r);
        snprintf(o, n, "models/%s", c->name);
        c->output = o;
    }
    if (!(c->output_resolved = adopt(r, carta_path_resolve(base_dir, c->output)))) return cfg_oom(r);
    return CARTA_OK;
}

/* ---- entry points ---- */

/* Line and column (1-based, in bytes) of offset pos in text. */
static void line_col(const char *text, size_t pos, long *line, long *col)
{
    long l = 1, c = 1;
    for (size_t i = 0; i < pos; i++) {
        if (text[i] == '\n') { l++; c = 1; } else c++;
    }
    *line = l;
    *col = c;
}

static int syntax_error(const char *shown, carta_error *err, const char *text, size_t len, size_t pos,
                        const char *what)
{
    carta_where at = { .file = shown };
    line_col(text, pos, &at.line, &at.col);
    if (pos >= len) return carta_error_set(err, CARTA_ECONFIG, &at, "invalid JSON: %s", what);
    /* Show the text where parsing stopped, up to the end of the line. */
    size_t k = 0;
    while (pos + k < len && k < 16 && text[pos + k] != '\n' && text[pos + k] != '\r') k++;
    return carta_error_set(err, CARTA_ECONFIG, &at, "invalid JSON: %s, here: %.*s", what, (int)k, text + pos);
}

int carta_config_parse(const char *text, size_t len, const char *shown, const char *base_dir,
                       carta_config **out, carta_error *err)
{
    *out = NULL;
    if (!shown) shown = "config";
    if (!base_dir || !*base_dir) base_dir = ".";
    size_t skip = 0;
    /* A UTF-8 byte-order mark is harmless; line and column still count from the file's start. */
    if (len >= 3 && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB && (unsigned char)text[2] == 0xBF)
        skip = 3;
    size_t i = skip;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) i++;
    if (i == len) return syntax_error(shown, err, text, len, len, "the file is empty");
    if (len - skip > 2147483647u) return syntax_error(shown, err, text, len, 0, "the file is too large");
    if (memchr(text, '\0', len))
        return syntax_error(shown, err, text, len, (size_t)((const char *)memchr(text, '\0', len) - text),
                            "a NUL byte");

    /* Syntax first, with carta's own checker: it names what was expected and where, which
       cJSON does not. cJSON then builds the tree. */
    size_t at;
    const char *what;
    if (cfg_json_syntax(text + skip, len - skip, &at, &what))
        return syntax_error(shown, err, text, len, skip + at, what);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text + skip, len - skip, &end, 0);
    if (!root) {
        /* Valid JSON by the checker that cJSON still refused (out of memory, or a case the two
           read differently): report where cJSON stopped. */
        size_t pos = end ? (size_t)(end - text) : len;
        return syntax_error(shown, err, text, len, pos > len ? len : pos, "the JSON parser stopped");
    }

    int rc;
    cfg_reader r = { .shown = shown, .err = err };
    carta_config *c = NULL;
    if (!(r.a = cfg_arena_new()) || !(c = cfg_arena_alloc(r.a, sizeof *c)) ||
        !(c->file = cfg_arena_strdup(r.a, shown)) || !(c->base_dir = cfg_arena_strdup(r.a, base_dir))) {
        rc = cfg_oom(&r);
    } else {
        c->arena_ = r.a;
        rc = read_root(&r, root, base_dir, c);
    }
    cJSON_Delete(root);
    if (rc != CARTA_OK) {
        cfg_arena_free(r.a);
        return rc;
    }
    *out = c;
    return CARTA_OK;
}

int carta_config_load(const char *path, carta_config **out, carta_error *err)
{
    char *text = NULL, *dir = NULL;
    size_t len = 0;
    *out = NULL;
    int rc = carta_file_read(path, path, &text, &len, err);
    if (rc != CARTA_OK) return rc;
    if (!(dir = carta_path_dirname(path))) {
        carta_where at = { .file = path };
        rc = carta_error_set(err, CARTA_ENOMEM, &at, "out of memory while reading the config");
    } else {
        rc = carta_config_parse(text, len, path, dir, out, err);
    }
    carta_free(dir);
    carta_free(text);
    return rc;
}

void carta_config_free(carta_config *c)
{
    if (!c) return;
    cfg_arena_free(c->arena_);
}
