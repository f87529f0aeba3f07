/* Reads a Frictionless Table Schema (JSON) into a carta_schema, checking it fully on the way:
   every error names the JSON pointer of the offending value, and a misspelt key gets a
   "did you mean". This is the only file of validate/ that sees cJSON; validate.c works on the
   checked struct (schema_int.h).

   Spec: Frictionless Table Schema v1 (https://specs.frictionlessdata.io/table-schema/) with the
   v2 additions fieldsMatch, uniqueKeys, exclusiveMinimum/-Maximum and per-field missingValues,
   plus carta's "x-optional" and "unit". */
#include "schema_int.h"

#include <carta/alloc.h>
#include <carta/fs.h>
#include <carta/numfmt.h>

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* carta's default missingValues: the spec's "" plus the two spellings ADaM/R exports use. */
static const char *const default_missing[] = { "", "NA", "." };

typedef struct ctx {
    const char *shown;
    carta_error *err;
} ctx;

/* A JSON pointer being built; 512 bytes is far more than any schema path. */
typedef struct ptr {
    char s[512];
} ptr;

static void ptr_key(ptr *out, const ptr *base, const char *key)
{
    /* RFC 6901: "~" is written "~0" and "/" is written "~1". */
    size_t n = strlen(base->s);
    memcpy(out->s, base->s, n + 1);
    if (n + 1 < sizeof out->s) out->s[n++] = '/';
    for (const char *k = key; *k && n + 2 < sizeof out->s; k++) {
        if (*k == '~' || *k == '/') {
            out->s[n++] = '~';
            out->s[n++] = *k == '~' ? '0' : '1';
        } else {
            out->s[n++] = *k;
        }
    }
    out->s[n] = '\0';
}

static void ptr_index(ptr *out, const ptr *base, size_t i)
{
    char num[32];
    snprintf(num, sizeof num, "%zu", i);
    ptr_key(out, base, num);
}

static int fail(ctx *c, int code, const char *pointer, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(ctx *c, int code, const char *pointer, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    carta_where at = { .file = c->shown, .field = pointer };
    return carta_error_set(c->err, code, &at, "%s", msg);
}

static int nomem(ctx *c) { return fail(c, CARTA_ENOMEM, NULL, "no memory to read the schema"); }

/* Levenshtein distance, for "did you mean": keys are short, so the O(nm) table is tiny. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 63 || m > 63) return (size_t)-1;
    size_t d[64][64];
    for (size_t i = 0; i <= n; i++) d[i][0] = i;
    for (size_t j = 0; j <= m; j++) d[0][j] = j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            size_t sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
            d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
    return d[n][m];
}

/* The closest of the candidates to word, or NULL when none is close (a third of the length). */
static const char *nearest(const char *word, const char *const *cand, size_t n)
{
    const char *best = NULL;
    size_t bd = (size_t)-1, len = strlen(word), limit = len / 3 > 2 ? len / 3 : 2;
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(word, cand[i]);
        if (d < bd) { bd = d; best = cand[i]; }
    }
    return bd <= limit ? best : NULL;
}

/* Refuses duplicate keys (cJSON keeps both and returns the first) and unknown keys other
   than "x-" extensions. */
static int check_keys(ctx *c, const cJSON *obj, const ptr *at, const char *const *known, size_t n)
{
    for (const cJSON *k = obj->child; k; k = k->next) {
        ptr p;
        ptr_key(&p, at, k->string);
        for (const cJSON *e = obj->child; e != k; e = e->next)
            if (strcmp(e->string, k->string) == 0)
                return fail(c, CARTA_ECONFIG, p.s, "duplicate key \"%s\"", k->string);
        if (strncmp(k->string, "x-", 2) == 0) continue;
        size_t i = 0;
        while (i < n && strcmp(known[i], k->string) != 0) i++;
        if (i < n) continue;
        const char *near = nearest(k->string, known, n);
        if (near) return fail(c, CARTA_ECONFIG, p.s, "unknown key \"%s\" (did you mean \"%s\"?)", k->string, near);
        return fail(c, CARTA_ECONFIG, p.s, "unknown key \"%s\"", k->string);
    }
    return CARTA_OK;
}

static const char *json_kind(const cJSON *v)
{
    if (cJSON_IsString(v)) return "a string";
    if (cJSON_IsNumber(v)) return "a number";
    if (cJSON_IsBool(v)) return "a boolean";
    if (cJSON_IsNull(v)) return "null";
    if (cJSON_IsArray(v)) return "an array";
    if (cJSON_IsObject(v)) return "an object";
    return "invalid";
}

/* Copies an optional string member into *dst. */
static int get_string(ctx *c, const cJSON *obj, const ptr *at, const char *key, char **dst)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) return CARTA_OK;
    ptr p;
    ptr_key(&p, at, key);
    if (!cJSON_IsString(v)) return fail(c, CARTA_ECONFIG, p.s, "must be a string, not %s", json_kind(v));
    if (!(*dst = carta_strdup(v->valuestring))) return nomem(c);
    return CARTA_OK;
}

static int get_bool(ctx *c, const cJSON *obj, const ptr *at, const char *key, int *dst)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) return CARTA_OK;
    ptr p;
    ptr_key(&p, at, key);
    if (!cJSON_IsBool(v)) return fail(c, CARTA_ECONFIG, p.s, "must be true or false, not %s", json_kind(v));
    *dst = cJSON_IsTrue(v);
    return CARTA_OK;
}

static void free_strings(char **v, size_t n)
{
    if (!v) return;
    for (size_t i = 0; i < n; i++) carta_free(v[i]);
    carta_free(v);
}

/* An array of strings (may be empty) into a new array. */
static int get_strings(ctx *c, const cJSON *v, const ptr *at, char ***dst, size_t *n)
{
    if (!cJSON_IsArray(v)) return fail(c, CARTA_ECONFIG, at->s, "must be an array of strings, not %s", json_kind(v));
    size_t k = (size_t)cJSON_GetArraySize(v), i = 0;
    char **out = carta_calloc(k ? k : 1, sizeof *out);
    if (!out) return nomem(c);
    for (const cJSON *e = v->child; e; e = e->next, i++) {
        ptr p;
        ptr_index(&p, at, i);
        if (!cJSON_IsString(e)) {
            free_strings(out, i);
            return fail(c, CARTA_ECONFIG, p.s, "must be a string, not %s", json_kind(e));
        }
        if (!(out[i] = carta_strdup(e->valuestring))) {
            free_strings(out, i);
            return nomem(c);
        }
    }
    *dst = out;
    *n = k;
    return CARTA_OK;
}

static const char *const kind_names[] = { "string", "number", "integer", "boolean", "date", "datetime", "any" };
#define N_KINDS (sizeof kind_names / sizeof kind_names[0])

const char *carta_schema_kind_name(carta_schema_kind k)
{
    return (size_t)k < N_KINDS ? kind_names[k] : "unknown";
}

/* A bound (minimum, maximum, exclusive*) in the field's type; text is kept for messages. */
static int get_bound(ctx *c, const cJSON *con, const ptr *at, const char *key, const char *which, schema_field *f,
                     int *has, double *val, char **text)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(con, key);
    if (!v) return CARTA_OK;
    ptr p;
    ptr_key(&p, at, key);
    if (*has) return fail(c, CARTA_ECONFIG, p.s, "give %s or its exclusive form, not both", which);
    char buf[40];
    switch (f->kind) {
    case CARTA_SCHEMA_NUMBER:
    case CARTA_SCHEMA_INTEGER:
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
            return fail(c, CARTA_ECONFIG, p.s, "must be a number for a %s field", kind_names[f->kind]);
        *val = v->valuedouble;
        carta_numfmt(*val, buf, sizeof buf);
        break;
    case CARTA_SCHEMA_DATE:
    case CARTA_SCHEMA_DATETIME: {
        int ok = cJSON_IsString(v);
        if (ok) {
            size_t len = strlen(v->valuestring);
            ok = f->kind == CARTA_SCHEMA_DATE ? carta_validate_parse_date(v->valuestring, len, 0, val) == 0
                                              : carta_validate_parse_datetime(v->valuestring, len, 1, val) == 0;
        }
        if (!ok)
            return fail(c, CARTA_ECONFIG, p.s, "must be a %s written as \"%s\"", kind_names[f->kind],
                        f->kind == CARTA_SCHEMA_DATE ? "YYYY-MM-DD" : "YYYY-MM-DDThh:mm:ssZ");
        snprintf(buf, sizeof buf, "%s", v->valuestring);
        break;
    }
    case CARTA_SCHEMA_STRING:
    case CARTA_SCHEMA_BOOLEAN:
    case CARTA_SCHEMA_ANY:
    default:
        return fail(c, CARTA_ECONFIG, p.s, "%s applies to number, integer, date and datetime fields, not %s",
                    key, kind_names[f->kind]);
    }
    if (!(*text = carta_strdup(buf))) return nomem(c);
    *has = 1;
    return CARTA_OK;
}

static int get_length(ctx *c, const cJSON *con, const ptr *at, const char *key, const schema_field *f, int *has,
                      size_t *val)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(con, key);
    if (!v) return CARTA_OK;
    ptr p;
    ptr_key(&p, at, key);
    if (f->kind != CARTA_SCHEMA_STRING && f->kind != CARTA_SCHEMA_ANY)
        return fail(c, CARTA_ECONFIG, p.s, "%s applies to string fields, not %s", key, kind_names[f->kind]);
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e15 || floor(v->valuedouble) != v->valuedouble)
        return fail(c, CARTA_ECONFIG, p.s, "must be a whole number >= 0");
    *val = (size_t)v->valuedouble;
    *has = 1;
    return CARTA_OK;
}

static int get_enum(ctx *c, const cJSON *v, const ptr *at, schema_field *f)
{
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
        return fail(c, CARTA_ECONFIG, at->s, "must be a non-empty array");
    size_t n = (size_t)cJSON_GetArraySize(v), i = 0;
    if (!(f->enum_text = carta_calloc(n, sizeof *f->enum_text)) || !(f->enum_num = carta_calloc(n, sizeof *f->enum_num)))
        return nomem(c);
    f->n_enum = n;
    for (const cJSON *e = v->child; e; e = e->next, i++) {
        ptr p;
        ptr_index(&p, at, i);
        char buf[40];
        const char *text = NULL;
        int ok = 0;
        switch (f->kind) {
        case CARTA_SCHEMA_STRING:
        case CARTA_SCHEMA_ANY:
            ok = cJSON_IsString(e);
            text = ok ? e->valuestring : NULL;
            break;
        case CARTA_SCHEMA_NUMBER:
        case CARTA_SCHEMA_INTEGER:
            /* Numbers, or strings holding numbers (the spec's "logical or physical" values). */
            if (cJSON_IsNumber(e) && isfinite(e->valuedouble)) {
                ok = 1;
                f->enum_num[i] = e->valuedouble;
                text = carta_numfmt(e->valuedouble, buf, sizeof buf);
            } else if (cJSON_IsString(e)) {
                size_t len = strlen(e->valuestring);
                ok = (f->kind == CARTA_SCHEMA_NUMBER ? carta_validate_parse_number(e->valuestring, len, &f->enum_num[i])
                                                     : carta_validate_parse_integer(e->valuestring, len, &f->enum_num[i])) == 0;
                text = e->valuestring;
            }
            if (ok && f->kind == CARTA_SCHEMA_INTEGER && floor(f->enum_num[i]) != f->enum_num[i]) ok = 0;
            break;
        case CARTA_SCHEMA_BOOLEAN:
            ok = cJSON_IsBool(e);
            f->enum_num[i] = cJSON_IsTrue(e);
            text = cJSON_IsTrue(e) ? "true" : "false";
            break;
        case CARTA_SCHEMA_DATE:
        case CARTA_SCHEMA_DATETIME:
            ok = cJSON_IsString(e) &&
                 (f->kind == CARTA_SCHEMA_DATE
                      ? carta_validate_parse_date(e->valuestring, strlen(e->valuestring), 0, &f->enum_num[i])
                      : carta_validate_parse_datetime(e->valuestring, strlen(e->valuestring), 1, &f->enum_num[i])) == 0;
            text = ok ? e->valuestring : NULL;
            break;
        }
        if (!ok) return fail(c, CARTA_ECONFIG, p.s, "%s is not a valid %s value", json_kind(e), kind_names[f->kind]);
        if (!(f->enum_text[i] = carta_strdup(text))) return nomem(c);
    }
    return CARTA_OK;
}

static int get_pattern(ctx *c, const cJSON *v, const ptr *at, schema_field *f)
{
    if (f->kind != CARTA_SCHEMA_STRING && f->kind != CARTA_SCHEMA_ANY)
        return fail(c, CARTA_ECONFIG, at->s, "pattern applies to string fields, not %s", kind_names[f->kind]);
    if (!cJSON_IsString(v)) return fail(c, CARTA_ECONFIG, at->s, "must be a string, not %s", json_kind(v));
    if (!(f->pattern = carta_strdup(v->valuestring))) return nomem(c);
    /* The spec anchors patterns: the whole value must match, so compile ^(p)$. */
    size_t len = strlen(v->valuestring);
    char *anchored = carta_malloc(len + 5);
    if (!anchored) return nomem(c);
    snprintf(anchored, len + 5, "^(%s)$", v->valuestring);
    int rc = regcomp(&f->re, anchored, REG_EXTENDED | REG_NOSUB);
    carta_free(anchored);
    if (rc != 0) {
        char why[200];
        regerror(rc, NULL, why, sizeof why);
        return fail(c, CARTA_ECONFIG, at->s, "\"%s\" is not a POSIX extended regular expression: %s",
                    v->valuestring, why);
    }
    f->has_re = 1;
    return CARTA_OK;
}

static int read_constraints(ctx *c, const cJSON *con, const ptr *at, schema_field *f)
{
    static const char *const known[] = { "required", "unique", "enum", "minimum", "maximum", "exclusiveMinimum",
                                         "exclusiveMaximum", "pattern", "minLength", "maxLength" };
    if (!cJSON_IsObject(con)) return fail(c, CARTA_ECONFIG, at->s, "must be an object, not %s", json_kind(con));
    int rc;
    if ((rc = check_keys(c, con, at, known, sizeof known / sizeof known[0]))) return rc;
    if ((rc = get_bool(c, con, at, "required", &f->required)) || (rc = get_bool(c, con, at, "unique", &f->unique)))
        return rc;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(con, "enum");
    ptr p;
    if (v) {
        ptr_key(&p, at, "enum");
        if ((rc = get_enum(c, v, &p, f))) return rc;
    }
    if ((rc = get_bound(c, con, at, "minimum", "minimum", f, &f->has_min, &f->min, &f->min_text))) return rc;
    if ((rc = get_bound(c, con, at, "exclusiveMinimum", "minimum", f, &f->has_min, &f->min, &f->min_text))) return rc;
    if (cJSON_GetObjectItemCaseSensitive(con, "exclusiveMinimum")) f->min_excl = 1;
    if ((rc = get_bound(c, con, at, "maximum", "maximum", f, &f->has_max, &f->max, &f->max_text))) return rc;
    if ((rc = get_bound(c, con, at, "exclusiveMaximum", "maximum", f, &f->has_max, &f->max, &f->max_text))) return rc;
    if (cJSON_GetObjectItemCaseSensitive(con, "exclusiveMaximum")) f->max_excl = 1;
    if (f->has_min && f->has_max && f->min > f->max)
        return fail(c, CARTA_ECONFIG, at->s, "minimum %s is greater than maximum %s", f->min_text, f->max_text);
    if ((v = cJSON_GetObjectItemCaseSensitive(con, "pattern"))) {
        ptr_key(&p, at, "pattern");
        if ((rc = get_pattern(c, v, &p, f))) return rc;
    }
    if ((rc = get_length(c, con, at, "minLength", f, &f->has_minlen, &f->minlen)) ||
        (rc = get_length(c, con, at, "maxLength", f, &f->has_maxlen, &f->maxlen)))
        return rc;
    if (f->has_minlen && f->has_maxlen && f->minlen > f->maxlen)
        return fail(c, CARTA_ECONFIG, at->s, "minLength %zu is greater than maxLength %zu", f->minlen, f->maxlen);
    return CARTA_OK;
}

static int read_field(ctx *c, const cJSON *fj, const ptr *at, schema_field *f)
{
    static const char *const known[] = { "name", "type", "format", "title", "description", "example", "unit",
                                         "rdfType", "missingValues", "trueValues", "falseValues", "decimalChar",
                                         "groupChar", "bareNumber", "constraints" };
    if (!cJSON_IsObject(fj)) return fail(c, CARTA_ECONFIG, at->s, "a field must be an object, not %s", json_kind(fj));
    int rc;
    if ((rc = check_keys(c, fj, at, known, sizeof known / sizeof known[0]))) return rc;
    ptr p;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(fj, "name");
    ptr_key(&p, at, "name");
    if (!v) return fail(c, CARTA_ECONFIG, at->s, "a field needs a \"name\"");
    if (!cJSON_IsString(v) || !v->valuestring[0]) return fail(c, CARTA_ECONFIG, p.s, "must be a non-empty string");
    if (!(f->name = carta_strdup(v->valuestring))) return nomem(c);

    /* The v1 default type is string. */
    f->kind = CARTA_SCHEMA_STRING;
    if ((v = cJSON_GetObjectItemCaseSensitive(fj, "type"))) {
        ptr_key(&p, at, "type");
        if (!cJSON_IsString(v)) return fail(c, CARTA_ECONFIG, p.s, "must be a string, not %s", json_kind(v));
        size_t k = 0;
        while (k < N_KINDS && strcmp(kind_names[k], v->valuestring) != 0) k++;
        if (k == N_KINDS) {
            static const char *const other[] = { "object", "array", "time", "year", "yearmonth", "duration",
                                                 "geopoint", "geojson", "list" };
            for (size_t j = 0; j < sizeof other / sizeof other[0]; j++)
                if (strcmp(other[j], v->valuestring) == 0)
                    return fail(c, CARTA_ECONFIG, p.s, "type \"%s\" is not supported by carta (use string, number, "
                                "integer, boolean, date, datetime or any)", v->valuestring);
            const char *near = nearest(v->valuestring, kind_names, N_KINDS);
            if (near)
                return fail(c, CARTA_ECONFIG, p.s, "\"%s\" is not one of string, number, integer, boolean, date, "
                            "datetime, any (did you mean \"%s\"?)", v->valuestring, near);
            return fail(c, CARTA_ECONFIG, p.s, "\"%s\" is not one of string, number, integer, boolean, date, "
                        "datetime, any", v->valuestring);
        }
        f->kind = (carta_schema_kind)k;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(fj, "format"))) {
        ptr_key(&p, at, "format");
        if (!cJSON_IsString(v)) return fail(c, CARTA_ECONFIG, p.s, "must be a string, not %s", json_kind(v));
        const char *fmt = v->valuestring;
        int ok = strcmp(fmt, "default") == 0;
        if ((f->kind == CARTA_SCHEMA_DATE || f->kind == CARTA_SCHEMA_DATETIME) && strcmp(fmt, "any") == 0)
            ok = f->date_any = 1;
        if (f->kind == CARTA_SCHEMA_DATE && strcmp(fmt, "%Y-%m-%d") == 0) ok = 1;
        if (f->kind == CARTA_SCHEMA_DATETIME && strcmp(fmt, "%Y-%m-%dT%H:%M:%SZ") == 0) ok = 1;
        if (!ok)
            return fail(c, CARTA_ECONFIG, p.s, "format \"%s\" is not supported for a %s field (carta reads "
                        "\"default\"%s)", fmt, kind_names[f->kind],
                        f->kind == CARTA_SCHEMA_DATE || f->kind == CARTA_SCHEMA_DATETIME ? " and \"any\"" : "");
    }
    if ((rc = get_string(c, fj, at, "title", &f->title)) || (rc = get_string(c, fj, at, "description", &f->description)) ||
        (rc = get_string(c, fj, at, "unit", &f->unit)))
        return rc;
    const cJSON *opt = cJSON_GetObjectItemCaseSensitive(fj, "x-optional");
    if (opt) {
        ptr_key(&p, at, "x-optional");
        if (!cJSON_IsBool(opt)) return fail(c, CARTA_ECONFIG, p.s, "must be true or false, not %s", json_kind(opt));
        f->optional = cJSON_IsTrue(opt);
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(fj, "missingValues"))) {
        ptr_key(&p, at, "missingValues");
        if ((rc = get_strings(c, v, &p, &f->missing, &f->n_missing))) return rc;
        f->has_missing = 1;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(fj, "trueValues"))) {
        ptr_key(&p, at, "trueValues");
        if ((rc = get_strings(c, v, &p, &f->true_values, &f->n_true))) return rc;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(fj, "falseValues"))) {
        ptr_key(&p, at, "falseValues");
        if ((rc = get_strings(c, v, &p, &f->false_values, &f->n_false))) return rc;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(fj, "constraints"))) {
        ptr_key(&p, at, "constraints");
        if ((rc = read_constraints(c, v, &p, f))) return rc;
    }
    return CARTA_OK;
}

static long field_index(const carta_schema *s, const char *name)
{
    for (size_t i = 0; i < s->n_fields; i++)
        if (strcmp(s->fields[i].name, name) == 0) return (long)i;
    return -1;
}

/* A key given as one field name or an array of them; each must name a field of this schema
   (check_names = 1) and none may repeat. Names go to *names when it is not NULL. */
static int read_key(ctx *c, const carta_schema *s, const cJSON *v, const ptr *at, int check_names, schema_key *key,
                    char ***names)
{
    size_t n = cJSON_IsString(v) ? 1 : cJSON_IsArray(v) ? (size_t)cJSON_GetArraySize(v) : 0;
    if (n == 0) return fail(c, CARTA_ECONFIG, at->s, "must be a field name or a non-empty array of field names");
    if (!(key->fields = carta_calloc(n, sizeof *key->fields))) return nomem(c);
    key->n = n;
    if (names && !(*names = carta_calloc(n, sizeof **names))) return nomem(c);
    const cJSON *e = cJSON_IsString(v) ? v : v->child;
    for (size_t i = 0; i < n; i++, e = e->next) {
        ptr p;
        if (cJSON_IsString(v)) p = *at; else ptr_index(&p, at, i);
        if (!cJSON_IsString(e)) return fail(c, CARTA_ECONFIG, p.s, "must be a field name, not %s", json_kind(e));
        if (names && !((*names)[i] = carta_strdup(e->valuestring))) return nomem(c);
        if (!check_names) continue;
        long k = field_index(s, e->valuestring);
        if (k < 0) return fail(c, CARTA_ECONFIG, p.s, "\"%s\" is not a field of this schema", e->valuestring);
        for (size_t j = 0; j < i; j++)
            if (key->fields[j] == (size_t)k) return fail(c, CARTA_ECONFIG, p.s, "\"%s\" is listed twice", e->valuestring);
        key->fields[i] = (size_t)k;
    }
    return CARTA_OK;
}

static int read_foreign_key(ctx *c, carta_schema *s, const cJSON *v, const ptr *at, schema_fkey *fk)
{
    static const char *const known[] = { "fields", "reference" };
    static const char *const known_ref[] = { "resource", "fields" };
    if (!cJSON_IsObject(v)) return fail(c, CARTA_ECONFIG, at->s, "a foreign key must be an object, not %s", json_kind(v));
    int rc;
    if ((rc = check_keys(c, v, at, known, 2))) return rc;
    ptr p, q;
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(v, "fields");
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(v, "reference");
    if (!f || !ref) return fail(c, CARTA_ECONFIG, at->s, "a foreign key needs \"fields\" and \"reference\"");
    ptr_key(&p, at, "fields");
    if ((rc = read_key(c, s, f, &p, 1, &fk->key, NULL))) return rc;
    ptr_key(&p, at, "reference");
    if (!cJSON_IsObject(ref)) return fail(c, CARTA_ECONFIG, p.s, "must be an object, not %s", json_kind(ref));
    if ((rc = check_keys(c, ref, &p, known_ref, 2))) return rc;
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(ref, "resource");
    ptr_key(&q, &p, "resource");
    if (res && !cJSON_IsString(res)) return fail(c, CARTA_ECONFIG, q.s, "must be a table name, not %s", json_kind(res));
    if (!(fk->resource = carta_strdup(res ? res->valuestring : ""))) return nomem(c);
    const cJSON *rf = cJSON_GetObjectItemCaseSensitive(ref, "fields");
    ptr_key(&q, &p, "fields");
    if (!rf) return fail(c, CARTA_ECONFIG, p.s, "a reference needs \"fields\"");
    schema_key rkey = { 0, NULL };
    rc = read_key(c, s, rf, &q, 0, &rkey, &fk->ref_fields);
    fk->n_ref = rkey.n;
    carta_free(rkey.fields);
    if (rc) return rc;
    if (fk->n_ref != fk->key.n)
        return fail(c, CARTA_ECONFIG, q.s, "names %zu fields where the foreign key has %zu", fk->n_ref, fk->key.n);
    return CARTA_OK;
}

static void field_free(schema_field *f)
{
    carta_free(f->name);
    carta_free(f->title);
    carta_free(f->description);
    carta_free(f->unit);
    carta_free(f->min_text);
    carta_free(f->max_text);
    carta_free(f->pattern);
    if (f->has_re) regfree(&f->re);
    free_strings(f->enum_text, f->n_enum);
    carta_free(f->enum_num);
    free_strings(f->true_values, f->n_true);
    free_strings(f->false_values, f->n_false);
    free_strings(f->missing, f->n_missing);
}

void carta_schema_free(carta_schema *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n_fields; i++) field_free(&s->fields[i]);
    carta_free(s->fields);
    free_strings(s->missing, s->n_missing);
    carta_free(s->pk.fields);
    for (size_t i = 0; i < s->n_uniq; i++) carta_free(s->uniq[i].fields);
    carta_free(s->uniq);
    for (size_t i = 0; i < s->n_fk; i++) {
        carta_free(s->fk[i].key.fields);
        carta_free(s->fk[i].resource);
        free_strings(s->fk[i].ref_fields, s->fk[i].n_ref);
    }
    carta_free(s->fk);
    carta_free(s->source);
    carta_free(s);
}

static int read_schema(ctx *c, const cJSON *root, carta_schema *s)
{
    static const char *const known[] = { "fields", "missingValues", "primaryKey", "uniqueKeys", "foreignKeys",
                                         "fieldsMatch", "$schema", "name", "title", "description", "profile" };
    ptr root_ptr = { "" }, p;
    int rc;
    if (!cJSON_IsObject(root)) return fail(c, CARTA_ECONFIG, "", "a Table Schema must be a JSON object, not %s", json_kind(root));
    if ((rc = check_keys(c, root, &root_ptr, known, sizeof known / sizeof known[0]))) return rc;

    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(root, "fields");
    if (!fields) return fail(c, CARTA_ECONFIG, "", "a Table Schema needs \"fields\"");
    ptr_key(&p, &root_ptr, "fields");
    if (!cJSON_IsArray(fields) || cJSON_GetArraySize(fields) == 0)
        return fail(c, CARTA_ECONFIG, p.s, "must be a non-empty array of fields");
    size_t n = (size_t)cJSON_GetArraySize(fields), i = 0;
    if (!(s->fields = carta_calloc(n, sizeof *s->fields))) return nomem(c);
    for (const cJSON *f = fields->child; f; f = f->next, i++) {
        ptr q;
        ptr_index(&q, &p, i);
        s->n_fields = i + 1;
        if ((rc = read_field(c, f, &q, &s->fields[i]))) return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->fields[j].name, s->fields[i].name) == 0) {
                ptr qn;
                ptr_key(&qn, &q, "name");
                return fail(c, CARTA_ECONFIG, qn.s, "field \"%s\" is declared twice (also /fields/%zu)",
                            s->fields[i].name, j);
            }
    }

    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "missingValues");
    if (v) {
        ptr_key(&p, &root_ptr, "missingValues");
        if ((rc = get_strings(c, v, &p, &s->missing, &s->n_missing))) return rc;
    } else {
        size_t k = sizeof default_missing / sizeof default_missing[0];
        if (!(s->missing = carta_calloc(k, sizeof *s->missing))) return nomem(c);
        for (size_t j = 0; j < k; j++) {
            s->n_missing = j + 1;
            if (!(s->missing[j] = carta_strdup(default_missing[j]))) return nomem(c);
        }
    }

    s->match = CARTA_SCHEMA_MATCH_SUBSET;
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "fieldsMatch"))) {
        static const char *const modes[] = { "subset", "superset", "equal", "exact", "partial" };
        ptr_key(&p, &root_ptr, "fieldsMatch");
        size_t k = 0;
        while (cJSON_IsString(v) && k < 5 && strcmp(modes[k], v->valuestring) != 0) k++;
        if (!cJSON_IsString(v) || k == 5)
            return fail(c, CARTA_ECONFIG, p.s, "must be one of subset, superset, equal, exact, partial");
        s->match = (carta_schema_match)k;
    }

    if ((v = cJSON_GetObjectItemCaseSensitive(root, "primaryKey"))) {
        ptr_key(&p, &root_ptr, "primaryKey");
        if ((rc = read_key(c, s, v, &p, 1, &s->pk, NULL))) return rc;
        /* Primary-key fields may not be missing (the spec makes them implicitly required). */
        for (size_t k = 0; k < s->pk.n; k++) s->fields[s->pk.fields[k]].required = 1;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "uniqueKeys"))) {
        ptr_key(&p, &root_ptr, "uniqueKeys");
        if (!cJSON_IsArray(v)) return fail(c, CARTA_ECONFIG, p.s, "must be an array of keys");
        size_t k = (size_t)cJSON_GetArraySize(v), j = 0;
        if (!(s->uniq = carta_calloc(k ? k : 1, sizeof *s->uniq))) return nomem(c);
        for (const cJSON *e = v->child; e; e = e->next, j++) {
            ptr q;
            ptr_index(&q, &p, j);
            s->n_uniq = j + 1;
            if (!cJSON_IsArray(e)) return fail(c, CARTA_ECONFIG, q.s, "must be an array of field names");
            if ((rc = read_key(c, s, e, &q, 1, &s->uniq[j], NULL))) return rc;
        }
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "foreignKeys"))) {
        ptr_key(&p, &root_ptr, "foreignKeys");
        if (!cJSON_IsArray(v)) return fail(c, CARTA_ECONFIG, p.s, "must be an array of foreign keys");
        size_t k = (size_t)cJSON_GetArraySize(v), j = 0;
        if (!(s->fk = carta_calloc(k ? k : 1, sizeof *s->fk))) return nomem(c);
        for (const cJSON *e = v->child; e; e = e->next, j++) {
            ptr q;
            ptr_index(&q, &p, j);
            s->n_fk = j + 1;
            if ((rc = read_foreign_key(c, s, e, &q, &s->fk[j]))) return rc;
        }
    }
    static const char *const texts[] = { "name", "title", "description", "$schema", "profile" };
    for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, texts[k]);
        ptr_key(&p, &root_ptr, texts[k]);
        if (d && !cJSON_IsString(d)) return fail(c, CARTA_ECONFIG, p.s, "must be a string, not %s", json_kind(d));
    }
    return CARTA_OK;
}

/* line:col of a byte offset, for JSON syntax errors. */
static void text_position(const char *text, size_t off, long *line, long *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && text[i]; i++) {
        if (text[i] == '\n') { ++*line; *col = 1; } else { ++*col; }
    }
}

int carta_schema_parse(const char *text, size_t len, const char *shown, carta_schema **out, carta_error *err)
{
    ctx c = { shown ? shown : "(schema)", err };
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) {
        carta_where at = { .file = c.shown };
        size_t off = end && end >= text ? (size_t)(end - text) : 0;
        text_position(text, off < len ? off : len, &at.line, &at.col);
        return carta_error_set(err, CARTA_ECONFIG, &at, "not valid JSON");
    }
    /* Anything but white space after the value is an error too. */
    for (const char *q = end; q && q < text + len; q++)
        if (*q != ' ' && *q != '\t' && *q != '\n' && *q != '\r') {
            carta_where at = { .file = c.shown };
            text_position(text, (size_t)(q - text), &at.line, &at.col);
            cJSON_Delete(root);
            return carta_error_set(err, CARTA_ECONFIG, &at, "unexpected text after the JSON value");
        }
    carta_schema *s = carta_calloc(1, sizeof *s);
    int rc = s && (s->source = carta_strdup(c.shown)) ? read_schema(&c, root, s) : nomem(&c);
    cJSON_Delete(root);
    if (rc != CARTA_OK) {
        carta_schema_free(s);
        return rc;
    }
    *out = s;
    return CARTA_OK;
}

int carta_schema_read(const char *path, const char *shown, carta_schema **out, carta_error *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc = carta_file_read(path, shown ? shown : path, &text, &len, err);
    if (rc != CARTA_OK) return rc;
    rc = carta_schema_parse(text, len, shown ? shown : path, out, err);
    carta_free(text);
    return rc;
}

/* Accessors. */
const char *carta_schema_source(const carta_schema *s) { return s->source; }
size_t carta_schema_nfields(const carta_schema *s) { return s->n_fields; }
const char *carta_schema_field_name(const carta_schema *s, size_t i) { return s->fields[i].name; }
long carta_schema_field_index(const carta_schema *s, const char *name) { return field_index(s, name); }
carta_schema_kind carta_schema_field_kind(const carta_schema *s, size_t i) { return s->fields[i].kind; }
const char *carta_schema_field_unit(const carta_schema *s, size_t i) { return s->fields[i].unit; }
const char *carta_schema_field_title(const carta_schema *s, size_t i) { return s->fields[i].title; }
const char *carta_schema_field_description(const carta_schema *s, size_t i) { return s->fields[i].description; }
int carta_schema_field_required(const carta_schema *s, size_t i) { return s->fields[i].required; }
size_t carta_schema_primary_key_size(const carta_schema *s) { return s->pk.n; }
size_t carta_schema_primary_key_field(const carta_schema *s, size_t k) { return s->pk.fields[k]; }
size_t carta_schema_nforeign_keys(const carta_schema *s) { return s->n_fk; }
const char *carta_schema_foreign_key_resource(const carta_schema *s, size_t j) { return s->fk[j].resource; }
carta_schema_match carta_schema_fields_match(const carta_schema *s) { return s->match; }

int carta_schema_field_optional(const carta_schema *s, size_t i)
{
    return s->fields[i].optional || s->match == CARTA_SCHEMA_MATCH_SUPERSET || s->match == CARTA_SCHEMA_MATCH_PARTIAL;
}

carta_type carta_schema_field_type(const carta_schema *s, size_t i)
{
    switch (s->fields[i].kind) {
    case CARTA_SCHEMA_NUMBER: return CARTA_F64;
    case CARTA_SCHEMA_INTEGER: return CARTA_I64;
    case CARTA_SCHEMA_BOOLEAN: return CARTA_BOOL;
    case CARTA_SCHEMA_DATE: return CARTA_DATE;
    case CARTA_SCHEMA_STRING:
    case CARTA_SCHEMA_DATETIME:
    case CARTA_SCHEMA_ANY: return CARTA_STR;
    }
    return CARTA_STR;
}

const char *const *carta_schema_missing_values(const carta_schema *s, size_t i, size_t *n)
{
    const schema_field *f = &s->fields[i];
    if (f->has_missing) {
        *n = f->n_missing;
        return (const char *const *)f->missing;
    }
    *n = s->n_missing;
    return (const char *const *)s->missing;
}
