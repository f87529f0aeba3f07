/* Typed, strict getters over a cJSON tree: each names the JSON pointer and the expectation when
   a value is missing, of the wrong type or out of range. */
#include "config_int.h"

#include <carta/numfmt.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

size_t cfg_enter(cfg_reader *r, const char *key)
{
    return cfg_ptr_push_key(r->ptr, sizeof r->ptr, &r->plen, key);
}

size_t cfg_enter_index(cfg_reader *r, size_t i)
{
    return cfg_ptr_push_index(r->ptr, sizeof r->ptr, &r->plen, i);
}

void cfg_leave(cfg_reader *r, size_t saved)
{
    cfg_ptr_pop(r->ptr, &r->plen, saved);
}

static int vfail(cfg_reader *r, const char *fmt, va_list ap)
{
    char msg[768];
    vsnprintf(msg, sizeof msg, fmt, ap);
    carta_where at = { .file = r->shown, .field = r->ptr };
    return carta_error_set(r->err, CARTA_ECONFIG, &at, "%s", msg);
}

int cfg_fail(cfg_reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail(r, fmt, ap);
    va_end(ap);
    return rc;
}

int cfg_fail_key(cfg_reader *r, const char *key, const char *fmt, ...)
{
    size_t saved = cfg_enter(r, key);
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail(r, fmt, ap);
    va_end(ap);
    cfg_leave(r, saved);
    return rc;
}

int cfg_oom(cfg_reader *r)
{
    carta_where at = { .file = r->shown };
    return carta_error_set(r->err, CARTA_ENOMEM, &at, "out of memory while reading the config");
}

const char *cfg_kind(const cJSON *v)
{
    if (cJSON_IsString(v)) return "a string";
    if (cJSON_IsNumber(v)) return "a number";
    if (cJSON_IsBool(v)) return "a boolean";
    if (cJSON_IsNull(v)) return "null";
    if (cJSON_IsArray(v)) return "an array";
    if (cJSON_IsObject(v)) return "an object";
    return "an invalid value";
}

char *cfg_range_text(char *buf, size_t cap, const cfg_range *rg)
{
    char lo[40], hi[40];
    carta_numfmt(rg->lo, lo, sizeof lo);
    carta_numfmt(rg->hi, hi, sizeof hi);
    if (isfinite(rg->lo) && isfinite(rg->hi))
        snprintf(buf, cap, "in %c%s, %s%c", rg->lo_open ? '(' : '[', lo, hi, rg->hi_open ? ')' : ']');
    else if (isfinite(rg->lo))
        snprintf(buf, cap, "%s %s", rg->lo_open ? ">" : ">=", lo);
    else if (isfinite(rg->hi))
        snprintf(buf, cap, "%s %s", rg->hi_open ? "<" : "<=", hi);
    else
        snprintf(buf, cap, "finite");
    return buf;
}

static int in_list(const char *s, const char *const *list)
{
    for (size_t i = 0; list && list[i]; i++)
        if (strcmp(s, list[i]) == 0) return 1;
    return 0;
}

int cfg_check_keys(cfg_reader *r, const cJSON *obj, const char *const *allowed,
                   const char *const *elsewhere, const char *owner)
{
    char list[1024];
    for (const cJSON *c = obj->child; c; c = c->next) {
        if (in_list(c->string, allowed)) continue;
        if (in_list(c->string, elsewhere))
            return cfg_fail_key(r, c->string, "not an option of %s (its options: %s)", owner,
                                cfg_join(list, sizeof list, allowed));
        const char *near = cfg_nearest(c->string, allowed);
        if (near) return cfg_fail_key(r, c->string, "unknown key (did you mean \"%s\"?)", near);
        return cfg_fail_key(r, c->string, "unknown key (expected one of: %s)",
                            cfg_join(list, sizeof list, allowed));
    }
    return CARTA_OK;
}

/* Finds obj[key]; 1 when the caller should read it, 0 when absent or an accepted null (the
   default stays), negative on a missing required key. */
static int member(cfg_reader *r, const cJSON *obj, const char *key, int flags, const char *what,
                  const cJSON **v)
{
    *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    if (!*v) {
        if (flags & CFG_REQ) return cfg_fail_key(r, key, "required key is missing (expected %s)", what);
        return 0;
    }
    if (cJSON_IsNull(*v) && (flags & CFG_NULL)) return 0;
    return 1;
}

int cfg_get_object(cfg_reader *r, const cJSON *obj, const char *key, int flags, const cJSON **out)
{
    const cJSON *v;
    *out = NULL;
    int k = member(r, obj, key, flags, "an object", &v);
    if (k <= 0) return k;
    if (!cJSON_IsObject(v)) return cfg_fail_key(r, key, "expected an object, got %s", cfg_kind(v));
    *out = v;
    return CARTA_OK;
}

int cfg_get_str(cfg_reader *r, const cJSON *obj, const char *key, int flags, const char **out)
{
    const cJSON *v;
    int k = member(r, obj, key, flags, "a string", &v);
    if (k < 0) return k;
    if (k == 0) {
        if (v && cJSON_IsNull(v)) *out = NULL;
        return CARTA_OK;
    }
    if (!cJSON_IsString(v)) return cfg_fail_key(r, key, "expected a string, got %s", cfg_kind(v));
    if (!v->valuestring[0]) return cfg_fail_key(r, key, "must not be empty");
    char *s = cfg_arena_strdup(r->a, v->valuestring);
    if (!s) return cfg_oom(r);
    *out = s;
    return CARTA_OK;
}

/* The error for a value that is not one of names, with the nearest as a suggestion. */
static int not_one_of(cfg_reader *r, const char *value, const char *const *names)
{
    char list[512];
    const char *near = cfg_nearest(value, names);
    cfg_join(list, sizeof list, names);
    if (near) return cfg_fail(r, "\"%.80s\" is not one of %s (did you mean \"%s\"?)", value, list, near);
    return cfg_fail(r, "\"%.80s\" is not one of %s", value, list);
}

int cfg_get_enum(cfg_reader *r, const cJSON *obj, const char *key, const char *const *names,
                 int flags, int *out)
{
    char list[512], what[540];
    const cJSON *v;
    snprintf(what, sizeof what, "one of %s", cfg_join(list, sizeof list, names));
    int k = member(r, obj, key, flags, what, &v);
    if (k <= 0) return k;
    if (!cJSON_IsString(v))
        return cfg_fail_key(r, key, "expected a string (%s), got %s", what, cfg_kind(v));
    for (int i = 0; names[i]; i++)
        if (strcmp(v->valuestring, names[i]) == 0) { *out = i; return CARTA_OK; }
    size_t saved = cfg_enter(r, key);
    int rc = not_one_of(r, v->valuestring, names);
    cfg_leave(r, saved);
    return rc;
}

/* Checks one number against a range at the current pointer. */
static int check_num(cfg_reader *r, const cJSON *v, const cfg_range *rg, double *out)
{
    char rt[96], num[40];
    if (!cJSON_IsNumber(v)) return cfg_fail(r, "expected a number, got %s", cfg_kind(v));
    double x = v->valuedouble;
    if (!isfinite(x)) return cfg_fail(r, "the number is too large");
    if (rg) {
        int below = rg->lo_open ? !(x > rg->lo) : !(x >= rg->lo);
        int above = rg->hi_open ? !(x < rg->hi) : !(x <= rg->hi);
        if (below || above)
            return cfg_fail(r, "%s is out of range (must be %s)", carta_numfmt(x, num, sizeof num),
                            cfg_range_text(rt, sizeof rt, rg));
    }
    *out = x;
    return CARTA_OK;
}

int cfg_get_num(cfg_reader *r, const cJSON *obj, const char *key, int flags, const cfg_range *rg,
                double *out)
{
    const cJSON *v;
    int k = member(r, obj, key, flags, "a number", &v);
    if (k < 0) return k;
    if (k == 0) {
        if (v && cJSON_IsNull(v)) *out = NAN;
        return CARTA_OK;
    }
    size_t saved = cfg_enter(r, key);
    int rc = check_num(r, v, rg, out);
    cfg_leave(r, saved);
    return rc;
}

int cfg_get_long(cfg_reader *r, const cJSON *obj, const char *key, int flags, long lo, long hi,
                 long *out)
{
    const cJSON *v;
    char num[40];
    int k = member(r, obj, key, flags, "an integer", &v);
    if (k <= 0) return k;
    if (!cJSON_IsNumber(v)) return cfg_fail_key(r, key, "expected an integer, got %s", cfg_kind(v));
    double x = v->valuedouble;
    if (!isfinite(x) || x != floor(x))
        return cfg_fail_key(r, key, "expected an integer, got %s", carta_numfmt(x, num, sizeof num));
    if (x < (double)lo || x > (double)hi) {
        if (hi == LONG_MAX_CFG)
            return cfg_fail_key(r, key, "%s is out of range (must be >= %ld)", carta_numfmt(x, num, sizeof num), lo);
        return cfg_fail_key(r, key, "%s is out of range (must be in [%ld, %ld])",
                            carta_numfmt(x, num, sizeof num), lo, hi);
    }
    *out = (long)x;
    return CARTA_OK;
}

int cfg_get_bool(cfg_reader *r, const cJSON *obj, const char *key, int flags, int *out)
{
    const cJSON *v;
    int k = member(r, obj, key, flags, "true or false", &v);
    if (k <= 0) return k;
    if (!cJSON_IsBool(v)) return cfg_fail_key(r, key, "expected true or false, got %s", cfg_kind(v));
    *out = cJSON_IsTrue(v) ? 1 : 0;
    return CARTA_OK;
}

int cfg_get_strs(cfg_reader *r, const cJSON *obj, const char *key, int flags, size_t at_least,
                 carta_cfg_strings *out)
{
    const cJSON *v;
    int k = member(r, obj, key, flags, "an array of strings", &v);
    if (k <= 0) return k;
    if (!cJSON_IsArray(v)) return cfg_fail_key(r, key, "expected an array of strings, got %s", cfg_kind(v));
    size_t n = (size_t)cJSON_GetArraySize(v);
    if (n < at_least)
        return cfg_fail_key(r, key, "needs at least %zu entr%s", at_least, at_least == 1 ? "y" : "ies");
    const char **s = cfg_arena_array(r->a, n + 1, sizeof *s) /* NULL-terminated */;
    if (!s) return cfg_oom(r);
    size_t saved = cfg_enter(r, key), i = 0;
    int rc = CARTA_OK;
    for (const cJSON *e = v->child; e && rc == CARTA_OK; e = e->next, i++) {
        size_t at = cfg_enter_index(r, i);
        if (!cJSON_IsString(e)) rc = cfg_fail(r, "expected a string, got %s", cfg_kind(e));
        else if (!e->valuestring[0]) rc = cfg_fail(r, "must not be empty");
        for (size_t j = 0; rc == CARTA_OK && j < i; j++)
            if (strcmp(s[j], e->valuestring) == 0) rc = cfg_fail(r, "\"%.80s\" appears twice", s[j]);
        if (rc == CARTA_OK && !(s[i] = cfg_arena_strdup(r->a, e->valuestring))) rc = cfg_oom(r);
        cfg_leave(r, at);
    }
    cfg_leave(r, saved);
    if (rc != CARTA_OK) return rc;
    out->v = s;
    out->n = n;
    return CARTA_OK;
}

int cfg_get_nums(cfg_reader *r, const cJSON *obj, const char *key, int flags, const cfg_range *rg,
                 int ascending, carta_cfg_numbers *out)
{
    const cJSON *v;
    char a[40], b[40];
    int k = member(r, obj, key, flags, "an array of numbers", &v);
    if (k <= 0) return k;
    if (!cJSON_IsArray(v)) return cfg_fail_key(r, key, "expected an array of numbers, got %s", cfg_kind(v));
    size_t n = (size_t)cJSON_GetArraySize(v);
    double *x = cfg_arena_array(r->a, n ? n : 1, sizeof *x);
    if (!x) return cfg_oom(r);
    size_t saved = cfg_enter(r, key), i = 0;
    int rc = CARTA_OK;
    for (const cJSON *e = v->child; e && rc == CARTA_OK; e = e->next, i++) {
        size_t at = cfg_enter_index(r, i);
        rc = check_num(r, e, rg, &x[i]);
        if (rc == CARTA_OK && ascending && i > 0 && !(x[i] > x[i - 1]))
            rc = cfg_fail(r, "%s is not greater than the value before it (%s): values must be "
                          "strictly ascending", carta_numfmt(x[i], a, sizeof a),
                          carta_numfmt(x[i - 1], b, sizeof b));
        cfg_leave(r, at);
    }
    cfg_leave(r, saved);
    if (rc != CARTA_OK) return rc;
    out->v = x;
    out->n = n;
    return CARTA_OK;
}
