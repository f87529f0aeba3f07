/* Checks a loaded carta_table against a Table Schema (schema_int.h) and collects violations
   grouped by (table, column, rule), keeping the first examples and a complete count.

   How it stays fast on big tables: a string column is dictionary-encoded, so every check that
   depends only on the value (missing token, type, enum, bounds, pattern, length) is computed
   once per distinct string and looked up per row. Keys (unique, primaryKey, uniqueKeys) are
   found by one stable merge sort of the key tuples, O(n log n); foreign keys sort the parent's
   tuples once and binary-search each child tuple.

   Semantics follow the Frictionless Table Schema spec; the choices the spec leaves open are
   documented in carta/validate.h. */
#include "schema_int.h"

#include <carta/alloc.h>
#include <carta/numfmt.h>
#include <carta/validate.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------- */
/* Text parsers (shared with schema.c).                                                      */

static int is_digit(char ch) { return ch >= '0' && ch <= '9'; }

/* A plain decimal number: [+-] digits [. digits] [e [+-] digits], or with only a fraction.
   strtod would also take hex, "inf", "nan" and leading blanks, which a data file should not
   hold where a number is declared. */
int carta_validate_parse_number(const char *s, size_t len, double *v)
{
    size_t i = 0, digits = 0;
    if (len == 0 || len > 300) return -1;
    if (s[i] == '+' || s[i] == '-') i++;
    while (i < len && is_digit(s[i])) { i++; digits++; }
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && is_digit(s[i])) { i++; digits++; }
    }
    if (digits == 0) return -1;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        size_t e = 0;
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-')) i++;
        while (i < len && is_digit(s[i])) { i++; e++; }
        if (e == 0) return -1;
    }
    if (i != len) return -1;
    char buf[302];
    memcpy(buf, s, len);
    buf[len] = '\0';
    double x = strtod(buf, NULL);
    if (!isfinite(x)) return -1;
    *v = x;
    return 0;
}

int carta_validate_parse_integer(const char *s, size_t len, double *v)
{
    size_t i = 0;
    int neg = 0;
    if (len == 0) return -1;
    if (s[0] == '+' || s[0] == '-') { neg = s[0] == '-'; i++; }
    if (i == len) return -1;
    uint64_t x = 0;
    for (; i < len; i++) {
        if (!is_digit(s[i])) return -1;
        if (x > (UINT64_MAX - 9) / 10) return -1;
        x = x * 10 + (uint64_t)(s[i] - '0');
    }
    if (x > (uint64_t)INT64_MAX) return -1;
    *v = neg ? -(double)x : (double)x;
    return 0;
}

int carta_validate_parse_date(const char *s, size_t len, int lenient, double *days)
{
    int64_t d;
    if (len != 10 && !lenient) return -1;
    if (carta_parse_date(s, len, &d) != 0) return -1;
    *days = (double)d;
    return 0;
}

static int two_digits(const char *s, int *v)
{
    if (!is_digit(s[0]) || !is_digit(s[1])) return -1;
    *v = (s[0] - '0') * 10 + (s[1] - '0');
    return 0;
}

/* ISO 8601: YYYY-MM-DD, optionally Thh:mm[:ss[.fff]] and Z or +hh:mm / -hh:mm / +hhmm.
   A date alone is midnight UTC (SDTM --DTC values are often dates). lenient also accepts a
   blank instead of the T. */
int carta_validate_parse_datetime(const char *s, size_t len, int lenient, double *secs)
{
    int64_t d;
    if (len < 10 || carta_parse_date(s, 10, &d) != 0) return -1;
    double t = (double)d * 86400.0;
    if (len == 10) { *secs = t; return 0; }
    if (s[10] != 'T' && !(lenient && s[10] == ' ')) return -1;
    int h, m, sec = 0;
    size_t i = 11;
    if (len < i + 5 || two_digits(s + i, &h) || s[i + 2] != ':' || two_digits(s + i + 3, &m)) return -1;
    i += 5;
    double frac = 0;
    if (i < len && s[i] == ':') {
        if (len < i + 3 || two_digits(s + i + 1, &sec)) return -1;
        i += 3;
        if (i < len && s[i] == '.') {
            double scale = 0.1;
            size_t k = ++i;
            while (i < len && is_digit(s[i])) { frac += (s[i] - '0') * scale; scale /= 10; i++; }
            if (i == k) return -1;
        }
    }
    if (h > 24 || m > 59 || sec > 60) return -1;
    double off = 0;
    if (i < len && s[i] == 'Z') {
        i++;
    } else if (i < len && (s[i] == '+' || s[i] == '-')) {
        int oh, om = 0, sign = s[i] == '-' ? -1 : 1;
        i++;
        if (len < i + 2 || two_digits(s + i, &oh)) return -1;
        i += 2;
        if (i < len && s[i] == ':') i++;
        if (i + 2 <= len && !two_digits(s + i, &om)) i += 2;
        off = sign * (oh * 3600.0 + om * 60.0);
    }
    if (i != len) return -1;
    *secs = t + h * 3600.0 + m * 60.0 + sec + frac - off;
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Results.                                                                                  */

carta_validation *carta_validation_new(void) { return carta_calloc(1, sizeof(carta_validation)); }

static void vtable_free(carta_vtable *t)
{
    carta_free(t->table);
    carta_free(t->file);
    if (t->columns)
        for (size_t i = 0; i < t->cols; i++) carta_free(t->columns[i].name);
    carta_free(t->columns);
}

static void group_free(carta_vgroup *g)
{
    carta_free(g->table);
    carta_free(g->file);
    carta_free(g->column);
    carta_free(g->rule);
    carta_free(g->detail);
    for (size_t i = 0; i < g->n_examples; i++) carta_free(g->examples[i].value);
    carta_free(g->examples);
}

void carta_validation_free(carta_validation *v)
{
    if (!v) return;
    for (size_t i = 0; i < v->n_tables; i++) vtable_free(&v->tables[i]);
    carta_free(v->tables);
    for (size_t i = 0; i < v->n_groups; i++) group_free(&v->groups[i]);
    carta_free(v->groups);
    carta_free(v);
}

size_t carta_validation_count(const carta_validation *v) { return v ? v->n_errors : 0; }

/* What a check of one table is working with. */
typedef struct vctx {
    carta_validation *v;
    const char *table, *file;
    long first_row;
    size_t max_examples;
    long vt;            /* index of the table's summary in v->tables, -1 when none */
} vctx;

/* A new group; returns its index or -1 when out of memory. */
static long group_new(vctx *c, const char *column, const char *rule, const char *detail, int severity)
{
    carta_validation *v = c->v;
    if (v->n_groups == v->cap_groups) {
        size_t cap = v->cap_groups ? v->cap_groups * 2 : 16;
        carta_vgroup *g = carta_realloc(v->groups, cap * sizeof *g);
        if (!g) return -1;
        v->groups = g;
        v->cap_groups = cap;
    }
    carta_vgroup *g = &v->groups[v->n_groups];
    memset(g, 0, sizeof *g);
    g->severity = severity;
    if (!(g->table = carta_strdup(c->table)) || (c->file && !(g->file = carta_strdup(c->file))) ||
        !(g->column = carta_strdup(column)) || !(g->rule = carta_strdup(rule)) || !(g->detail = carta_strdup(detail))) {
        group_free(g);
        return -1;
    }
    return (long)v->n_groups++;
}

/* Values are kept up to this many bytes (cut at a UTF-8 boundary, "..." appended). */
enum { VALUE_MAX = 80 };

static char *value_copy(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s);
    if (n <= VALUE_MAX) return carta_strdup(s);
    size_t k = VALUE_MAX;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
    char *d = carta_malloc(k + 4);
    if (!d) return NULL;
    memcpy(d, s, k);
    memcpy(d + k, "...", 4);
    return d;
}

/* Counts one violation in group g, keeping it as an example while there is room. */
static int group_add(vctx *c, long g, long row, long row2, const char *value)
{
    carta_vgroup *gr = &c->v->groups[g];
    gr->count++;
    if (gr->severity == CARTA_VALIDATE_ERROR) {
        c->v->n_errors++;
        if (c->vt >= 0) c->v->tables[c->vt].n_errors++;
    }
    if (gr->n_examples >= c->max_examples) return CARTA_OK;
    if (!gr->examples && !(gr->examples = carta_calloc(c->max_examples, sizeof *gr->examples))) return CARTA_ENOMEM;
    carta_vexample *e = &gr->examples[gr->n_examples];
    e->row = row;
    e->row2 = row2;
    e->value = NULL;
    if (value && !(e->value = value_copy(value))) return CARTA_ENOMEM;
    gr->n_examples++;
    return CARTA_OK;
}

/* A finding about a column rather than rows (absent field, extra columns, ...). */
static int column_finding(vctx *c, const char *column, const char *rule, const char *detail, int severity, size_t count)
{
    long g = group_new(c, column, rule, detail, severity);
    if (g < 0) return CARTA_ENOMEM;
    carta_vgroup *gr = &c->v->groups[g];
    gr->count = count;
    if (severity == CARTA_VALIDATE_ERROR) {
        c->v->n_errors += count;
        if (c->vt >= 0) c->v->tables[c->vt].n_errors += count;
    }
    return CARTA_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* Cells.                                                                                    */

enum {
    F_MISSING = 1u << 0, F_TYPE = 1u << 1, F_ENUM = 1u << 2, F_MIN = 1u << 3, F_MAX = 1u << 4,
    F_PATTERN = 1u << 5, F_MINLEN = 1u << 6, F_MAXLEN = 1u << 7
};
enum { N_RULES = 8 };
static const char *const rule_names[N_RULES] = { "required", "type", "enum", "minimum", "maximum", "pattern",
                                                 "minLength", "maxLength" };

/* carta's SAS reader (carta/xpt.h) turns date-formatted numbers into CARTA_DATE columns and
   datetime-formatted numbers into F64 seconds since 1970-01-01T00:00:00 that keep their SAS
   format ("DATETIME20."): such a column is a datetime. */
enum { SAS_NONE = 0, SAS_DATETIME = 2 };

static int sas_format(const char *fmt)
{
    static const char *const dt[] = { "DATETIME", "E8601DT", "IS8601DT", "B8601DT", "E8601DZ", "B8601DZ",
                                      "DATEAMPM", "MDYAMPM", "DTDATE", "DTMONYY", "DTWKDATX", "DTYEAR", "E8601DN" };
    if (!fmt) return SAS_NONE;
    char up[32];
    size_t n = 0;
    for (; fmt[n] && n < sizeof up - 1; n++) up[n] = (char)(fmt[n] >= 'a' && fmt[n] <= 'z' ? fmt[n] - 32 : fmt[n]);
    up[n] = '\0';
    /* The name is followed by an optional width and a dot: strip them. */
    while (n > 0 && (up[n - 1] == '.' || is_digit(up[n - 1]))) up[--n] = '\0';
    for (size_t i = 0; i < sizeof dt / sizeof dt[0]; i++)
        if (strcmp(up, dt[i]) == 0) return SAS_DATETIME;
    return SAS_NONE;
}

/* A column as one schema field sees it. */
typedef struct colinfo {
    const carta_column *col;
    const schema_field *f;        /* NULL: no field (a parent column without a schema) */
    carta_schema_kind kind;
    int sas;                      /* SAS_DATETIME: an F64 column of datetimes (xpt.h) */
    const char *const *miss;
    size_t n_miss;
    unsigned *lflags;             /* CARTA_STR: flags per level */
    double *lnum;                 /* CARTA_STR: the level's value when it parses */
} colinfo;

static int is_numeric_kind(carta_schema_kind k)
{
    return k == CARTA_SCHEMA_NUMBER || k == CARTA_SCHEMA_INTEGER || k == CARTA_SCHEMA_BOOLEAN ||
           k == CARTA_SCHEMA_DATE || k == CARTA_SCHEMA_DATETIME;
}

static size_t utf8_length(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static int in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0) return 1;
    return 0;
}

/* The constraint flags of a value that is present and of the right type. */
static unsigned constraint_flags(const schema_field *f, carta_schema_kind kind, const char *text, double num)
{
    unsigned fl = 0;
    if (!f) return 0;
    if (f->n_enum) {
        int hit = 0;
        for (size_t k = 0; k < f->n_enum && !hit; k++)
            hit = is_numeric_kind(kind) ? f->enum_num[k] == num : text && strcmp(f->enum_text[k], text) == 0;
        if (!hit) fl |= F_ENUM;
    }
    if (f->has_min && (f->min_excl ? !(num > f->min) : num < f->min)) fl |= F_MIN;
    if (f->has_max && (f->max_excl ? !(num < f->max) : num > f->max)) fl |= F_MAX;
    if (!text) return fl; /* numeric kinds: the rest are string constraints */
    if (f->has_re && regexec(&f->re, text, 0, NULL, 0) != 0) fl |= F_PATTERN;
    if (f->has_minlen || f->has_maxlen) {
        size_t n = utf8_length(text);
        if (f->has_minlen && n < f->minlen) fl |= F_MINLEN;
        if (f->has_maxlen && n > f->maxlen) fl |= F_MAXLEN;
    }
    return fl;
}

static const char *const default_true[] = { "true", "True", "TRUE", "1" };
static const char *const default_false[] = { "false", "False", "FALSE", "0" };

/* Parses text as the field's kind: 0 and *num on success, -1 when it is not of the kind. */
static int parse_as(const colinfo *ci, const char *text, double *num)
{
    size_t len = strlen(text);
    const schema_field *f = ci->f;
    switch (ci->kind) {
    case CARTA_SCHEMA_NUMBER: return carta_validate_parse_number(text, len, num);
    case CARTA_SCHEMA_INTEGER: return carta_validate_parse_integer(text, len, num);
    case CARTA_SCHEMA_DATE: return carta_validate_parse_date(text, len, f && f->date_any, num);
    case CARTA_SCHEMA_DATETIME: return carta_validate_parse_datetime(text, len, f && f->date_any, num);
    case CARTA_SCHEMA_BOOLEAN:
        if (f && f->n_true ? in_list(text, (const char *const *)f->true_values, f->n_true)
                           : in_list(text, default_true, 4)) { *num = 1; return 0; }
        if (f && f->n_false ? in_list(text, (const char *const *)f->false_values, f->n_false)
                            : in_list(text, default_false, 4)) { *num = 0; return 0; }
        return -1;
    case CARTA_SCHEMA_STRING:
    case CARTA_SCHEMA_ANY: *num = NAN; return 0;
    }
    return -1;
}

/* Flags of a string value (one level of a string column). */
static unsigned text_flags(const colinfo *ci, const char *text, double *num)
{
    for (size_t k = 0; k < ci->n_miss; k++)
        if (strcmp(text, ci->miss[k]) == 0) return F_MISSING;
    if (parse_as(ci, text, num) != 0) return F_TYPE;
    return constraint_flags(ci->f, ci->kind, text, *num);
}

/* The text of a cell of a non-string column (buf has >= 40 bytes). */
static const char *number_text(const colinfo *ci, size_t i, char *buf, size_t cap)
{
    const carta_column *c = ci->col;
    if (c->type == CARTA_DATE || ci->sas) {
        double x = carta_column_number(c, i);
        int64_t days = c->type == CARTA_DATE ? (int64_t)x : (int64_t)floor(x / 86400.0);
        int64_t y;
        unsigned m, d;
        carta_civil_from_days(days, &y, &m, &d);
        snprintf(buf, cap, "%04" PRId64 "-%02u-%02u", y, m, d);
        if (ci->sas == SAS_DATETIME) {
            double s = fmod(x, 86400.0);
            if (s < 0) s += 86400.0;
            size_t n = strlen(buf);
            snprintf(buf + n, cap - n, "T%02d:%02d:%02d", (int)(s / 3600), (int)fmod(s / 60, 60), (int)fmod(s, 60));
        }
        return buf;
    }
    if (c->type == CARTA_BOOL) return c->i64[i] ? "true" : "false";
    if (c->type == CARTA_I64) {
        snprintf(buf, cap, "%" PRId64, c->i64[i]);
        return buf;
    }
    return carta_numfmt(c->f64[i], buf, cap);
}

/* The text of cell i (NULL when missing); buf (>= 48 bytes) may receive it. */
static const char *cell_text(const colinfo *ci, size_t i, char *buf, size_t cap)
{
    const carta_column *c = ci->col;
    if (carta_column_is_missing(c, i)) return NULL;
    return c->type == CARTA_STR ? c->levels[c->code[i]] : number_text(ci, i, buf, cap);
}

/* The flags and value of cell i. *text receives the cell's text when it was needed for the
   checks (string columns, and string or any fields), else NULL: formatting every number of
   a large table only to drop it would cost more than all the checks. Use cell_text for it. */
static unsigned cell(const colinfo *ci, size_t i, double *num, char *buf, size_t cap, const char **text)
{
    const carta_column *c = ci->col;
    *text = NULL;
    *num = NAN;
    if (carta_column_is_missing(c, i)) return F_MISSING;
    if (c->type == CARTA_STR) {
        *text = c->levels[c->code[i]];
        *num = ci->lnum[c->code[i]];
        return ci->lflags[c->code[i]];
    }
    if (!is_numeric_kind(ci->kind)) *text = number_text(ci, i, buf, cap);
    double x = carta_column_number(c, i);
    int ok = 0;
    /* A numeric column as each declared kind: dates only from date columns (or SAS date
       formats), numbers only from non-date columns. */
    int is_date = c->type == CARTA_DATE || ci->sas;
    switch (ci->kind) {
    case CARTA_SCHEMA_NUMBER: ok = !is_date; *num = x; break;
    case CARTA_SCHEMA_INTEGER: ok = !is_date && floor(x) == x; *num = x; break;
    case CARTA_SCHEMA_BOOLEAN: ok = !is_date && (x == 0 || x == 1); *num = x; break;
    case CARTA_SCHEMA_DATE:
        /* A datetime column is a valid date only under format "any" (the time is dropped). */
        ok = c->type == CARTA_DATE || (ci->sas && ci->f && ci->f->date_any);
        *num = c->type == CARTA_DATE ? x : floor(x / 86400.0);
        break;
    case CARTA_SCHEMA_DATETIME:
        ok = is_date;
        *num = c->type == CARTA_DATE ? x * 86400.0 : x;
        break;
    case CARTA_SCHEMA_STRING:
    case CARTA_SCHEMA_ANY: ok = 1; *num = NAN; break;
    }
    if (!ok) return F_TYPE;
    return constraint_flags(ci->f, ci->kind, *text, *num);
}

static void colinfo_free(colinfo *ci)
{
    carta_free(ci->lflags);
    carta_free(ci->lnum);
    ci->lflags = NULL;
    ci->lnum = NULL;
}

/* Prepares column c as field f (f may be NULL: then the kind follows the column type, and the
   missing tokens are the given defaults). */
static int colinfo_init(colinfo *ci, const carta_column *c, const schema_field *f, const char *const *miss,
                        size_t n_miss)
{
    memset(ci, 0, sizeof *ci);
    ci->col = c;
    ci->f = f;
    ci->miss = miss;
    ci->n_miss = n_miss;
    ci->sas = c->type == CARTA_F64 || c->type == CARTA_I64 ? sas_format(c->format) : SAS_NONE;
    if (f) {
        ci->kind = f->kind;
    } else {
        ci->kind = c->type == CARTA_STR ? CARTA_SCHEMA_STRING
                 : c->type == CARTA_DATE ? CARTA_SCHEMA_DATE
                 : ci->sas == SAS_DATETIME ? CARTA_SCHEMA_DATETIME : CARTA_SCHEMA_NUMBER;
    }
    if (c->type != CARTA_STR) return CARTA_OK;
    size_t n = c->n_levels ? c->n_levels : 1;
    if (!(ci->lflags = carta_calloc(n, sizeof *ci->lflags)) || !(ci->lnum = carta_calloc(n, sizeof *ci->lnum))) {
        colinfo_free(ci);
        return CARTA_ENOMEM;
    }
    for (size_t k = 0; k < c->n_levels; k++) ci->lflags[k] = text_flags(ci, c->levels[k], &ci->lnum[k]);
    return CARTA_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* Keys.                                                                                     */

/* A key component: (tag, value). Tag 0: a number (the bits of a double, -0 folded into +0);
   tag 1: a string code of the column's dictionary. */
static void cell_key(const colinfo *ci, size_t i, uint64_t k[2])
{
    double num;
    const carta_column *c = ci->col;
    int numeric = is_numeric_kind(ci->kind);
    if (c->type == CARTA_STR) {
        uint32_t code = c->code[i];
        if (numeric && !(ci->lflags[code] & F_TYPE)) {
            num = ci->lnum[code];
        } else {
            k[0] = 1;
            k[1] = code;
            return;
        }
    } else {
        char buf[64];
        const char *text;
        cell(ci, i, &num, buf, sizeof buf, &text);
        if (!numeric || isnan(num)) num = carta_column_number(c, i);
    }
    if (num == 0) num = 0; /* -0 == +0 */
    k[0] = 0;
    memcpy(&k[1], &num, sizeof num);
}

static int cell_is_missing(const colinfo *ci, size_t i)
{
    const carta_column *c = ci->col;
    if (carta_column_is_missing(c, i)) return 1;
    return c->type == CARTA_STR && (ci->lflags[c->code[i]] & F_MISSING);
}

/* Stable bottom-up merge sort of idx[0..n) with a comparator that takes a context (qsort has
   none in C11), O(n log n) and deterministic. */
typedef int (*cmp_fn)(const void *ctx, size_t a, size_t b);

static void merge_sort(size_t *idx, size_t *tmp, size_t n, cmp_fn cmp, const void *ctx)
{
    size_t *src = idx, *dst = tmp;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t a = lo, b = mid, k = lo;
            while (a < mid && b < hi) dst[k++] = cmp(ctx, src[b], src[a]) < 0 ? src[b++] : src[a++];
            while (a < mid) dst[k++] = src[a++];
            while (b < hi) dst[k++] = src[b++];
        }
        size_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != idx) memcpy(idx, src, n * sizeof *idx);
}

typedef struct keyset {
    size_t width;      /* 2 words per component */
    uint64_t *k;       /* m tuples */
} keyset;

static int cmp_tuple(const void *ctx, size_t a, size_t b)
{
    const keyset *ks = ctx;
    const uint64_t *x = ks->k + a * ks->width, *y = ks->k + b * ks->width;
    for (size_t j = 0; j < ks->width; j++)
        if (x[j] != y[j]) return x[j] < y[j] ? -1 : 1;
    return 0;
}

static int cmp_index(const void *ctx, size_t a, size_t b)
{
    (void)ctx;
    return a < b ? -1 : a > b;
}

/* Joins the texts of the key's cells in row i: "S1, 01-701". */
static void key_text(colinfo *const *cis, size_t nk, size_t i, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t j = 0; j < nk && used + 1 < cap; j++) {
        char buf[64];
        const char *text = cell_text(cis[j], i, buf, sizeof buf);
        int k = snprintf(out + used, cap - used, "%s%s", j ? ", " : "", text ? text : "");
        if (k < 0) break;
        used += (size_t)k < cap - used ? (size_t)k : cap - used - 1;
    }
}

/* Names of the key's columns joined: "STUDYID, USUBJID". */
static void key_names(colinfo *const *cis, size_t nk, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t j = 0; j < nk && used + 1 < cap; j++) {
        int k = snprintf(out + used, cap - used, "%s%s", j ? ", " : "", cis[j]->col->name);
        if (k < 0) break;
        used += (size_t)k < cap - used ? (size_t)k : cap - used - 1;
    }
}

/* Builds the tuples of the rows where no part is missing: rows[m] and ks->k[m * width]. */
static int build_keys(colinfo *const *cis, size_t nk, size_t n, keyset *ks, size_t **rows, size_t *m)
{
    size_t words;
    ks->width = 2 * nk;
    ks->k = NULL;
    *rows = NULL;
    if (carta_size_mul(n ? n : 1, ks->width * sizeof(uint64_t), &words)) return CARTA_ENOMEM;
    if (!(ks->k = carta_malloc(words)) || !(*rows = carta_malloc((n ? n : 1) * sizeof **rows))) {
        carta_free(ks->k);
        ks->k = NULL;
        return CARTA_ENOMEM;
    }
    size_t cnt = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < nk && !cell_is_missing(cis[j], i)) j++;
        if (j < nk) continue;
        for (j = 0; j < nk; j++) cell_key(cis[j], i, ks->k + cnt * ks->width + 2 * j);
        (*rows)[cnt++] = i;
    }
    *m = cnt;
    return CARTA_OK;
}

/* Finds repeated tuples of the key and reports each repeat (with the first row holding the
   same tuple) in row order. */
static int check_unique(vctx *c, colinfo *const *cis, size_t nk, size_t n, const char *rule, const char *detail)
{
    keyset ks;
    size_t *rows = NULL, *idx = NULL, *tmp = NULL, *dup = NULL, *first = NULL, m = 0;
    int rc = build_keys(cis, nk, n, &ks, &rows, &m);
    if (rc) return rc;
    rc = CARTA_ENOMEM;
    size_t cap = m ? m : 1;
    if (!(idx = carta_malloc(cap * sizeof *idx)) || !(tmp = carta_malloc(cap * sizeof *tmp))) goto done;
    for (size_t i = 0; i < m; i++) idx[i] = i;
    merge_sort(idx, tmp, m, cmp_tuple, &ks);
    /* Count the repeats first, so that the lists below are sized by them, not by the table. */
    size_t nd = 0;
    for (size_t j = 1; j < m; j++) nd += cmp_tuple(&ks, idx[j - 1], idx[j]) == 0;
    rc = CARTA_OK;
    if (nd == 0) goto done;
    rc = CARTA_ENOMEM;
    if (!(dup = carta_malloc(nd * sizeof *dup)) || !(first = carta_malloc(m * sizeof *first))) goto done;
    /* first[p] = the earliest position holding the same tuple as position p: the sort is
       stable, so each run of equal tuples starts with its earliest row. */
    nd = 0;
    for (size_t a = 0; a < m;) {
        size_t b = a + 1;
        while (b < m && cmp_tuple(&ks, idx[a], idx[b]) == 0) b++;
        for (size_t j = a + 1; j < b; j++) {
            first[idx[j]] = idx[a];
            dup[nd++] = idx[j];
        }
        a = b;
    }
    /* Report in row order. */
    merge_sort(dup, tmp, nd, cmp_index, NULL);
    char names[256];
    key_names(cis, nk, names, sizeof names);
    long g = group_new(c, names, rule, detail, CARTA_VALIDATE_ERROR);
    rc = g < 0 ? CARTA_ENOMEM : CARTA_OK;
    for (size_t j = 0; j < nd && rc == CARTA_OK; j++) {
        char text[256];
        key_text(cis, nk, rows[dup[j]], text, sizeof text);
        rc = group_add(c, g, c->first_row + (long)rows[dup[j]], c->first_row + (long)rows[first[dup[j]]], text);
    }
done:
    carta_free(ks.k);
    carta_free(rows);
    carta_free(idx);
    carta_free(tmp);
    carta_free(dup);
    carta_free(first);
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* One table.                                                                                */

static const char *kind_detail(carta_schema_kind k)
{
    switch (k) {
    case CARTA_SCHEMA_NUMBER: return "type number";
    case CARTA_SCHEMA_INTEGER: return "type integer";
    case CARTA_SCHEMA_BOOLEAN: return "type boolean";
    case CARTA_SCHEMA_DATE: return "type date (YYYY-MM-DD)";
    case CARTA_SCHEMA_DATETIME: return "type datetime (YYYY-MM-DDThh:mm:ss)";
    case CARTA_SCHEMA_STRING: return "type string";
    case CARTA_SCHEMA_ANY: return "type any";
    }
    return "type";
}

/* The detail text of rule r of field f ("minimum 18", "enum F, M"). */
static void rule_detail(const schema_field *f, int r, char *out, size_t cap)
{
    switch (r) {
    case 0: snprintf(out, cap, "required"); break;
    case 1: snprintf(out, cap, "%s", kind_detail(f->kind)); break;
    case 2: {
        size_t used = (size_t)snprintf(out, cap, "enum ");
        for (size_t k = 0; k < f->n_enum && used + 1 < cap; k++) {
            if (used + strlen(f->enum_text[k]) + 8 >= cap) {
                snprintf(out + used, cap - used, ", ...");
                break;
            }
            used += (size_t)snprintf(out + used, cap - used, "%s%s", k ? ", " : "", f->enum_text[k]);
        }
        break;
    }
    case 3: snprintf(out, cap, "%s %s", f->min_excl ? "exclusiveMinimum" : "minimum", f->min_text); break;
    case 4: snprintf(out, cap, "%s %s", f->max_excl ? "exclusiveMaximum" : "maximum", f->max_text); break;
    case 5: snprintf(out, cap, "pattern %s", f->pattern); break;
    case 6: snprintf(out, cap, "minLength %zu", f->minlen); break;
    case 7: snprintf(out, cap, "maxLength %zu", f->maxlen); break;
    default: snprintf(out, cap, "?"); break;
    }
}

/* The value checks of one present column: one pass over the rows. */
static int check_column(vctx *c, const colinfo *ci, size_t n)
{
    const schema_field *f = ci->f;
    long groups[N_RULES];
    for (int r = 0; r < N_RULES; r++) groups[r] = -1;
    for (size_t i = 0; i < n; i++) {
        char buf[64];
        double num;
        const char *text;
        unsigned fl = cell(ci, i, &num, buf, sizeof buf, &text);
        if (fl & F_MISSING) {
            if (!f->required) continue;
            fl = F_MISSING;
        } else if (fl & F_TYPE) {
            fl = F_TYPE;
        }
        for (int r = 0; fl && r < N_RULES; r++) {
            if (!(fl & (1u << r))) continue;
            if (groups[r] < 0) {
                char detail[512];
                rule_detail(f, r, detail, sizeof detail);
                if ((groups[r] = group_new(c, f->name, rule_names[r], detail, CARTA_VALIDATE_ERROR)) < 0)
                    return CARTA_ENOMEM;
            }
            if (!text && r != 0) text = cell_text(ci, i, buf, sizeof buf);
            int rc = group_add(c, groups[r], c->first_row + (long)i, 0, r == 0 ? NULL : text);
            if (rc) return rc;
        }
    }
    return CARTA_OK;
}

/* Appends a comma-separated name to a growing list (truncates quietly past cap). */
static void list_add(char *list, size_t cap, const char *name)
{
    size_t used = strlen(list);
    if (used + 1 >= cap) return;
    snprintf(list + used, cap - used, "%s%s", used ? ", " : "", name);
}

static int table_summary(vctx *c, const carta_table *t, const carta_schema *s, colinfo *cols_info, long *field_of)
{
    carta_validation *v = c->v;
    if (v->n_tables == v->cap_tables) {
        size_t cap = v->cap_tables ? v->cap_tables * 2 : 8;
        carta_vtable *nt = carta_realloc(v->tables, cap * sizeof *nt);
        if (!nt) return CARTA_ENOMEM;
        v->tables = nt;
        v->cap_tables = cap;
    }
    carta_vtable *vt = &v->tables[v->n_tables];
    memset(vt, 0, sizeof *vt);
    size_t nc = carta_table_ncols(t);
    vt->rows = carta_table_nrows(t);
    if (!(vt->table = carta_strdup(c->table)) || (c->file && !(vt->file = carta_strdup(c->file))) ||
        !(vt->columns = carta_calloc(nc ? nc : 1, sizeof *vt->columns))) {
        vtable_free(vt);
        return CARTA_ENOMEM;
    }
    for (size_t j = 0; j < nc; j++) {
        const carta_column *col = carta_table_column(t, j);
        carta_vcolumn *vc = &vt->columns[j];
        vt->cols = j + 1;
        if (!(vc->name = carta_strdup(col->name))) {
            vtable_free(vt);
            return CARTA_ENOMEM;
        }
        vc->type = col->type;
        vc->in_schema = field_of[j] >= 0;
        vc->kind = vc->in_schema ? s->fields[field_of[j]].kind : CARTA_SCHEMA_ANY;
        size_t miss = col->n_missing;
        const colinfo *ci = &cols_info[j];
        if (col->type == CARTA_STR)
            for (size_t i = 0; i < col->n; i++)
                if (!carta_column_is_missing(col, i) && (ci->lflags[col->code[i]] & F_MISSING)) miss++;
        vc->n_missing = miss;
    }
    c->vt = (long)v->n_tables++;
    return CARTA_OK;
}

/* A column loaded with another type than declared whose values all conform: the next stages
   would see the loaded type, so say so. Groups from n_groups_before on are this column's. */
static int note_loaded_type(vctx *c, const colinfo *ci, size_t n_groups_before)
{
    const schema_field *f = ci->f;
    carta_type want = f->kind == CARTA_SCHEMA_NUMBER ? CARTA_F64 : f->kind == CARTA_SCHEMA_INTEGER ? CARTA_I64
                    : f->kind == CARTA_SCHEMA_BOOLEAN ? CARTA_BOOL : f->kind == CARTA_SCHEMA_DATE ? CARTA_DATE : CARTA_STR;
    carta_type got = ci->col->type;
    if (f->kind == CARTA_SCHEMA_ANY || f->kind == CARTA_SCHEMA_DATETIME || got == want) return CARTA_OK;
    /* Numbers declared integer may be loaded as doubles (XPORT), and SAS dates are numbers. */
    if ((want == CARTA_I64 && got == CARTA_F64) || (want == CARTA_F64 && got == CARTA_I64)) return CARTA_OK;
    if (want == CARTA_DATE && ci->sas) return CARTA_OK;
    for (size_t g = n_groups_before; g < c->v->n_groups; g++)
        if (strcmp(c->v->groups[g].column, f->name) == 0 && strcmp(c->v->groups[g].rule, "type") == 0) return CARTA_OK;
    char detail[160];
    snprintf(detail, sizeof detail, "is declared %s but was loaded as %s (its values conform; give the loader "
             "the declared type)", carta_schema_kind_name(f->kind), carta_type_name(got));
    return column_finding(c, f->name, "loaded-type", detail, CARTA_VALIDATE_NOTE, 1);
}

/* Keys of the schema (primaryKey, uniqueKeys, unique fields); a key with an absent column is
   noted as not checked. */
static int check_keys_of(vctx *c, const carta_schema *s, colinfo *field_ci, const long *col_of, size_t n,
                         const schema_key *key, const char *rule, const char *detail)
{
    colinfo *cis[64];
    char absent[256] = "";
    if (key->n > 64) return CARTA_OK;
    for (size_t j = 0; j < key->n; j++) {
        size_t fi = key->fields[j];
        if (col_of[fi] < 0) list_add(absent, sizeof absent, s->fields[fi].name);
        cis[j] = &field_ci[fi];
    }
    if (absent[0]) {
        char names[256] = "", d[400];
        for (size_t j = 0; j < key->n; j++) list_add(names, sizeof names, s->fields[key->fields[j]].name);
        snprintf(d, sizeof d, "%s not checked: column %s absent", rule, absent);
        return column_finding(c, names, "not-checked", d, CARTA_VALIDATE_NOTE, 1);
    }
    return check_unique(c, cis, key->n, n, rule, detail);
}

int carta_validate_table(const carta_table *t, const char *table_name, const carta_schema *s, long first_data_row,
                         size_t max_examples, carta_validation *v, carta_error *err)
{
    if (!t || !s || !v || !table_name || first_data_row < 1)
        return carta_error_set(err, CARTA_EUSAGE, NULL, "carta_validate_table: bad arguments");
    const char *file = carta_table_source(t);
    vctx c = { v, table_name, file, first_data_row, max_examples, -1 };
    carta_where at = { .file = file ? file : table_name };
    size_t nc = carta_table_ncols(t), nf = s->n_fields, n = carta_table_nrows(t);
    long *field_of = carta_malloc((nc ? nc : 1) * sizeof *field_of);  /* column -> field or -1 */
    long *col_of = carta_malloc((nf ? nf : 1) * sizeof *col_of);      /* field -> column or -1 */
    colinfo *cinfo = carta_calloc(nc ? nc : 1, sizeof *cinfo);          /* per column */
    colinfo *finfo = carta_calloc(nf ? nf : 1, sizeof *finfo);          /* per field (copies) */
    int rc = CARTA_ENOMEM;
    if (!field_of || !col_of || !cinfo || !finfo) goto done;

    if ((rc = carta_table_check(t, err))) goto done;
    for (size_t i = 0; i < nf; i++) col_of[i] = -1;
    for (size_t j = 0; j < nc; j++) {
        const carta_column *col = carta_table_column(t, j);
        long fi = carta_schema_field_index(s, col->name);
        field_of[j] = fi;
        if (fi >= 0) col_of[fi] = (long)j;
        size_t nm;
        const char *const *miss = fi >= 0 ? carta_schema_missing_values(s, (size_t)fi, &nm)
                                          : (nm = s->n_missing, (const char *const *)s->missing);
        rc = colinfo_init(&cinfo[j], col, fi >= 0 ? &s->fields[fi] : NULL, miss, nm);
        if (rc) goto done;
    }
    for (size_t i = 0; i < nf; i++)
        if (col_of[i] >= 0) finfo[i] = cinfo[col_of[i]];
    if ((rc = table_summary(&c, t, s, cinfo, field_of))) goto done;

    /* Columns against fields (fieldsMatch). */
    {
        char extra[1024] = "", absent[1024] = "";
        size_t n_extra = 0, n_absent = 0, n_present = 0;
        int extra_is_error = s->match == CARTA_SCHEMA_MATCH_SUPERSET || s->match == CARTA_SCHEMA_MATCH_EQUAL ||
                             s->match == CARTA_SCHEMA_MATCH_EXACT;
        for (size_t i = 0; i < nf; i++) {
            if (col_of[i] >= 0) { n_present++; continue; }
            if (carta_schema_field_optional(s, i)) {
                list_add(absent, sizeof absent, s->fields[i].name);
                n_absent++;
                continue;
            }
            char d[256];
            snprintf(d, sizeof d, "is a schema field but not a column of the table");
            if ((rc = column_finding(&c, s->fields[i].name, "field", d, CARTA_VALIDATE_ERROR, 1))) goto done;
        }
        for (size_t j = 0; j < nc; j++) {
            if (field_of[j] >= 0) continue;
            const char *name = carta_table_column(t, j)->name;
            if (extra_is_error) {
                if ((rc = column_finding(&c, name, "field", "is a column but not a field of the schema",
                                         CARTA_VALIDATE_ERROR, 1)))
                    goto done;
            } else {
                list_add(extra, sizeof extra, name);
                n_extra++;
            }
        }
        if (s->match == CARTA_SCHEMA_MATCH_PARTIAL && n_present == 0 &&
            (rc = column_finding(&c, "(all)", "field", "no schema field is a column of the table",
                                 CARTA_VALIDATE_ERROR, 1)))
            goto done;
        if (s->match == CARTA_SCHEMA_MATCH_EXACT) {
            /* The present columns must come in the schema's order. */
            long last = -1;
            for (size_t j = 0; j < nc; j++) {
                if (field_of[j] < 0) continue;
                if (field_of[j] < last) {
                    char d[256];
                    snprintf(d, sizeof d, "is column %zu of the table, out of the schema's order (fieldsMatch exact)",
                             j + 1);
                    if ((rc = column_finding(&c, carta_table_column(t, j)->name, "field", d, CARTA_VALIDATE_ERROR, 1)))
                        goto done;
                    break;
                }
                last = field_of[j];
            }
        }
        if (n_extra) {
            char d[64];
            snprintf(d, sizeof d, "not in the schema");
            if ((rc = column_finding(&c, extra, "extra", d, CARTA_VALIDATE_NOTE, n_extra))) goto done;
        }
        if (n_absent) {
            char d[64];
            snprintf(d, sizeof d, "absent");
            if ((rc = column_finding(&c, absent, "absent", d, CARTA_VALIDATE_NOTE, n_absent))) goto done;
        }
    }

    /* Values, column by column in schema order. */
    for (size_t i = 0; i < nf; i++) {
        if (col_of[i] < 0) continue;
        size_t before = v->n_groups;
        if ((rc = check_column(&c, &finfo[i], n))) goto done;
        if ((rc = note_loaded_type(&c, &finfo[i], before))) goto done;
    }

    /* Keys. */
    if (s->pk.n && (rc = check_keys_of(&c, s, finfo, col_of, n, &s->pk, "primaryKey", "primaryKey"))) goto done;
    for (size_t k = 0; k < s->n_uniq; k++)
        if ((rc = check_keys_of(&c, s, finfo, col_of, n, &s->uniq[k], "uniqueKey", "uniqueKeys"))) goto done;
    for (size_t i = 0; i < nf; i++) {
        if (!s->fields[i].unique) continue;
        /* A one-field primary key is already checked. */
        if (s->pk.n == 1 && s->pk.fields[0] == i) continue;
        schema_key one = { 1, &i };
        if ((rc = check_keys_of(&c, s, finfo, col_of, n, &one, "unique", "unique"))) goto done;
    }
    rc = CARTA_OK;
done:
    if (cinfo)
        for (size_t j = 0; j < nc; j++) colinfo_free(&cinfo[j]);
    carta_free(cinfo);
    carta_free(finfo);
    carta_free(field_of);
    carta_free(col_of);
    if (rc == CARTA_ENOMEM) return carta_error_set(err, CARTA_ENOMEM, &at, "no memory to validate table %s", table_name);
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Foreign keys.                                                                             */

/* Maps the child's cell i into the parent column's key space (see cell_key). Returns 0, or -1
   when no parent value can equal it (an orphan whatever the parent holds). */
static int map_to_parent(const colinfo *ch, size_t i, const colinfo *pa, uint64_t k[2])
{
    char buf[64];
    double num;
    const char *text;
    unsigned fl = cell(ch, i, &num, buf, sizeof buf, &text);
    if (!text) text = cell_text(ch, i, buf, sizeof buf);
    int child_num_ok = is_numeric_kind(ch->kind) && !(fl & F_TYPE) && !isnan(num);
    if (pa->col->type == CARTA_STR) {
        if (is_numeric_kind(pa->kind)) {
            /* The parent compares parsed values; a level that did not parse compares by code. */
            double x;
            if (child_num_ok || parse_as(pa, text, &x) == 0) {
                if (child_num_ok) x = num;
                if (x == 0) x = 0;
                k[0] = 0;
                memcpy(&k[1], &x, sizeof x);
                return 0;
            }
        }
        long code = carta_column_level(pa->col, text);
        if (code < 0) return -1;
        if (is_numeric_kind(pa->kind) && !(pa->lflags[code] & F_TYPE)) return -1;
        k[0] = 1;
        k[1] = (uint64_t)code;
        return 0;
    }
    double x;
    if (ch->col->type != CARTA_STR) {
        x = child_num_ok ? num : carta_column_number(ch->col, i);
    } else if ((is_numeric_kind(pa->kind) ? parse_as(pa, text, &x)
                                          : carta_validate_parse_number(text, strlen(text), &x)) != 0) {
        return -1;
    }
    if (x == 0) x = 0;
    k[0] = 0;
    memcpy(&k[1], &x, sizeof x);
    return 0;
}

static const char *const no_missing_default[] = { "", "NA", "." };

/* The parent column named name as a key part: its schema field when the parent has a schema
   declaring it. */
static int parent_colinfo(const carta_vinput *p, const carta_column *col, colinfo *ci)
{
    if (p->schema) {
        long fi = carta_schema_field_index(p->schema, col->name);
        size_t nm;
        if (fi >= 0) {
            const char *const *miss = carta_schema_missing_values(p->schema, (size_t)fi, &nm);
            return colinfo_init(ci, col, &p->schema->fields[fi], miss, nm);
        }
        return colinfo_init(ci, col, NULL, (const char *const *)p->schema->missing, p->schema->n_missing);
    }
    return colinfo_init(ci, col, NULL, no_missing_default, 3);
}


/* Binary search of the probe tuple among the sorted parent tuples. */
static int find_tuple(const keyset *ks, const size_t *idx, size_t m, const uint64_t *key)
{
    size_t lo = 0, hi = m;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const uint64_t *y = ks->k + idx[mid] * ks->width;
        int c = 0;
        for (size_t j = 0; j < ks->width && !c; j++)
            if (key[j] != y[j]) c = key[j] < y[j] ? -1 : 1;
        if (c == 0) return 1;
        if (c < 0) hi = mid; else lo = mid + 1;
    }
    return 0;
}

static int check_one_fk(vctx *c, const carta_vinput *child, const schema_fkey *fk, const carta_vinput *parent)
{
    const carta_schema *s = child->schema;
    size_t nk = fk->key.n;
    colinfo ch[64], pa[64];
    colinfo *chp[64] = { 0 }, *pap[64] = { 0 };
    char names[256] = "", absent[256] = "", d[512];
    int rc = CARTA_OK;
    size_t n_ch = 0, n_pa = 0;
    if (nk > 64) return CARTA_OK;
    for (size_t j = 0; j < nk; j++) list_add(names, sizeof names, s->fields[fk->key.fields[j]].name);
    for (size_t j = 0; j < nk; j++) {
        if (!carta_table_find(child->table, s->fields[fk->key.fields[j]].name))
            list_add(absent, sizeof absent, s->fields[fk->key.fields[j]].name);
        if (!carta_table_find(parent->table, fk->ref_fields[j])) {
            char q[160];
            snprintf(q, sizeof q, "%s.%s", parent->name, fk->ref_fields[j]);
            list_add(absent, sizeof absent, q);
        }
    }
    if (absent[0]) {
        snprintf(d, sizeof d, "foreignKey to %s not checked: column %s absent", parent->name, absent);
        return column_finding(c, names, "not-checked", d, CARTA_VALIDATE_NOTE, 1);
    }
    keyset ks = { 0, NULL };
    size_t *rows = NULL, *idx = NULL, *tmp = NULL, m = 0;
    uint64_t *probe_key = NULL;
    for (size_t j = 0; j < nk; j++, n_ch++) {
        const carta_column *col = carta_table_find(child->table, s->fields[fk->key.fields[j]].name);
        size_t nm;
        const char *const *miss = carta_schema_missing_values(s, fk->key.fields[j], &nm);
        if ((rc = colinfo_init(&ch[j], col, &s->fields[fk->key.fields[j]], miss, nm))) goto done;
        chp[j] = &ch[j];
    }
    for (size_t j = 0; j < nk; j++, n_pa++) {
        if ((rc = parent_colinfo(parent, carta_table_find(parent->table, fk->ref_fields[j]), &pa[j]))) goto done;
        pap[j] = &pa[j];
    }
    size_t pn = carta_table_nrows(parent->table), cn = carta_table_nrows(child->table);
    if ((rc = build_keys(pap, nk, pn, &ks, &rows, &m))) goto done;
    rc = CARTA_ENOMEM;
    if (!(idx = carta_malloc((m ? m : 1) * sizeof *idx)) || !(tmp = carta_malloc((m ? m : 1) * sizeof *tmp)) ||
        !(probe_key = carta_malloc(2 * nk * sizeof *probe_key)))
        goto done;
    for (size_t i = 0; i < m; i++) idx[i] = i;
    merge_sort(idx, tmp, m, cmp_tuple, &ks);
    rc = CARTA_OK;
    long g = -1;
    char refs[256] = "";
    for (size_t j = 0; j < nk; j++) list_add(refs, sizeof refs, fk->ref_fields[j]);
    snprintf(d, sizeof d, "foreignKey to %s (%s)", parent->name, refs);
    for (size_t i = 0; i < cn && rc == CARTA_OK; i++) {
        size_t j = 0;
        while (j < nk && !cell_is_missing(chp[j], i)) j++;
        if (j < nk) continue;
        int found = 1;
        for (j = 0; j < nk && found; j++) found = map_to_parent(chp[j], i, pap[j], probe_key + 2 * j) == 0;
        if (found && find_tuple(&ks, idx, m, probe_key)) continue;
        if (g < 0 && (g = group_new(c, names, "foreignKey", d, CARTA_VALIDATE_ERROR)) < 0) {
            rc = CARTA_ENOMEM;
            break;
        }
        char text[256];
        key_text(chp, nk, i, text, sizeof text);
        rc = group_add(c, g, c->first_row + (long)i, 0, text);
    }
done:
    for (size_t j = 0; j < n_ch; j++) colinfo_free(&ch[j]);
    for (size_t j = 0; j < n_pa; j++) colinfo_free(&pa[j]);
    carta_free(ks.k);
    carta_free(rows);
    carta_free(idx);
    carta_free(tmp);
    carta_free(probe_key);
    return rc;
}

int carta_validate_foreign_keys(const carta_vinput *tables, size_t n, size_t max_examples, carta_validation *v,
                                carta_error *err)
{
    if ((!tables && n) || !v) return carta_error_set(err, CARTA_EUSAGE, NULL, "carta_validate_foreign_keys: bad arguments");
    for (size_t i = 0; i < n; i++) {
        const carta_vinput *ti = &tables[i];
        if (!ti->schema || !ti->table || !ti->name || ti->first_data_row < 1) continue;
        const char *file = carta_table_source(ti->table);
        vctx c = { v, ti->name, file, ti->first_data_row, max_examples, -1 };
        for (size_t k = v->n_tables; k-- > 0;)
            if (strcmp(v->tables[k].table, ti->name) == 0) { c.vt = (long)k; break; }
        for (size_t j = 0; j < ti->schema->n_fk; j++) {
            const schema_fkey *fk = &ti->schema->fk[j];
            const carta_vinput *parent = NULL;
            if (!fk->resource[0]) {
                parent = ti;
            } else {
                for (size_t k = 0; k < n && !parent; k++)
                    if (tables[k].name && tables[k].table && strcmp(tables[k].name, fk->resource) == 0) parent = &tables[k];
            }
            int rc;
            if (!parent) {
                char names[256] = "", d[400];
                for (size_t k = 0; k < fk->key.n; k++) list_add(names, sizeof names, ti->schema->fields[fk->key.fields[k]].name);
                snprintf(d, sizeof d, "foreignKey to %s not checked: table %s is not loaded", fk->resource, fk->resource);
                rc = column_finding(&c, names, "not-checked", d, CARTA_VALIDATE_NOTE, 1);
            } else {
                rc = check_one_fk(&c, ti, fk, parent);
            }
            if (rc) {
                carta_where at = { .file = file ? file : ti->name };
                return carta_error_set(err, rc, &at, "no memory to check the foreign keys of table %s", ti->name);
            }
        }
    }
    return CARTA_OK;
}
