/* The streaming JSON writer. Errors (out of memory) are sticky and reported once by
   carta_jsonw_finish, so that writing code stays a flat list of calls. */
#include <carta/jsonw.h>
#include <carta/alloc.h>
#include <carta/numfmt.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 64

struct carta_jsonw {
    char *buf;
    size_t len, cap;
    int indent;
    int depth;
    int count[MAX_DEPTH]; /* values written so far at each level */
    char kind[MAX_DEPTH]; /* '{' or '[' */
    int after_key;
    int oom, unbalanced;
};

carta_jsonw *carta_jsonw_new(int indent)
{
    carta_jsonw *w = carta_calloc(1, sizeof *w);
    if (!w) return NULL;
    w->indent = indent;
    return w;
}

void carta_jsonw_free(carta_jsonw *w)
{
    if (!w) return;
    carta_free(w->buf);
    carta_free(w);
}

static void put(carta_jsonw *w, const char *s, size_t n)
{
    if (w->oom) return;
    if (w->len + n + 1 > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->len + n + 1) cap *= 2;
        char *b = carta_realloc(w->buf, cap);
        if (!b) { w->oom = 1; return; }
        w->buf = b;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void puts_(carta_jsonw *w, const char *s) { put(w, s, strlen(s)); }

static void newline(carta_jsonw *w)
{
    if (!w->indent) return;
    put(w, "\n", 1);
    for (int i = 0; i < w->depth * w->indent; i++) put(w, " ", 1);
}

/* Separator and indentation before a value (or a key) at the current level. */
static void before_value(carta_jsonw *w)
{
    if (w->after_key) { w->after_key = 0; return; }
    if (w->depth > 0) {
        if (w->count[w->depth - 1]++ > 0) put(w, ",", 1);
        newline(w);
    }
}

static void quote(carta_jsonw *w, const char *s)
{
    put(w, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        switch (*p) {
        case '"': puts_(w, "\\\""); break;
        case '\\': puts_(w, "\\\\"); break;
        case '\n': puts_(w, "\\n"); break;
        case '\r': puts_(w, "\\r"); break;
        case '\t': puts_(w, "\\t"); break;
        case '\b': puts_(w, "\\b"); break;
        case '\f': puts_(w, "\\f"); break;
        default:
            if (*p < 0x20) {
                snprintf(esc, sizeof esc, "\\u%04x", *p);
                puts_(w, esc);
            } else {
                put(w, (const char *)p, 1);
            }
        }
    }
    put(w, "\"", 1);
}

static void open_(carta_jsonw *w, char kind)
{
    before_value(w);
    put(w, kind == '{' ? "{" : "[", 1);
    if (w->depth >= MAX_DEPTH) { w->unbalanced = 1; return; }
    w->kind[w->depth] = kind;
    w->count[w->depth] = 0;
    w->depth++;
}

static void close_(carta_jsonw *w, char kind)
{
    if (w->depth == 0 || w->kind[w->depth - 1] != kind) { w->unbalanced = 1; return; }
    int had = w->count[w->depth - 1] > 0;
    w->depth--;
    if (had) newline(w);
    put(w, kind == '{' ? "}" : "]", 1);
}

void carta_jsonw_begin_object(carta_jsonw *w) { open_(w, '{'); }
void carta_jsonw_end_object(carta_jsonw *w) { close_(w, '{'); }
void carta_jsonw_begin_array(carta_jsonw *w) { open_(w, '['); }
void carta_jsonw_end_array(carta_jsonw *w) { close_(w, '['); }

void carta_jsonw_key(carta_jsonw *w, const char *key)
{
    if (w->depth == 0 || w->kind[w->depth - 1] != '{') w->unbalanced = 1;
    before_value(w);
    quote(w, key);
    put(w, w->indent ? ": " : ":", w->indent ? 2 : 1);
    w->after_key = 1;
}

void carta_jsonw_string(carta_jsonw *w, const char *s)
{
    before_value(w);
    if (s) quote(w, s); else puts_(w, "null");
}

void carta_jsonw_number(carta_jsonw *w, double x)
{
    char buf[40];
    before_value(w);
    puts_(w, carta_numfmt(x, buf, sizeof buf));
}

void carta_jsonw_int(carta_jsonw *w, int64_t x)
{
    char buf[32];
    before_value(w);
    snprintf(buf, sizeof buf, "%" PRId64, x);
    puts_(w, buf);
}

void carta_jsonw_count(carta_jsonw *w, double count, long threshold)
{
    if (threshold > 0 && count > 0 && count < (double)threshold && count == (double)(int64_t)count) {
        char buf[32];
        snprintf(buf, sizeof buf, "<%ld", threshold);
        carta_jsonw_string(w, buf);
    } else if (count == (double)(int64_t)count && count > -9e15 && count < 9e15) {
        carta_jsonw_int(w, (int64_t)count);
    } else {
        carta_jsonw_number(w, count);
    }
}

void carta_jsonw_bool(carta_jsonw *w, int b) { before_value(w); puts_(w, b ? "true" : "false"); }
void carta_jsonw_null(carta_jsonw *w) { before_value(w); puts_(w, "null"); }
void carta_jsonw_raw(carta_jsonw *w, const char *json) { before_value(w); puts_(w, json); }

void carta_jsonw_kstring(carta_jsonw *w, const char *key, const char *s) { carta_jsonw_key(w, key); carta_jsonw_string(w, s); }
void carta_jsonw_knumber(carta_jsonw *w, const char *key, double x) { carta_jsonw_key(w, key); carta_jsonw_number(w, x); }
void carta_jsonw_kint(carta_jsonw *w, const char *key, int64_t x) { carta_jsonw_key(w, key); carta_jsonw_int(w, x); }
void carta_jsonw_kbool(carta_jsonw *w, const char *key, int b) { carta_jsonw_key(w, key); carta_jsonw_bool(w, b); }

void carta_jsonw_knumbers(carta_jsonw *w, const char *key, const double *x, size_t n)
{
    carta_jsonw_key(w, key);
    /* Number arrays are written on one line even when indenting: curve tables stay readable. */
    int saved = w->indent;
    carta_jsonw_begin_array(w);
    w->indent = 0;
    for (size_t i = 0; i < n; i++) carta_jsonw_number(w, x[i]);
    carta_jsonw_end_array(w);
    w->indent = saved;
}

int carta_jsonw_finish(carta_jsonw *w, const char **out, size_t *len, carta_error *err)
{
    if (w->oom) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory to write JSON");
    if (w->unbalanced || w->depth != 0 || w->after_key)
        return carta_error_set(err, CARTA_EUSAGE, NULL, "internal error: unbalanced JSON writer calls");
    if (w->indent) put(w, "\n", 1);
    if (w->oom) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory to write JSON");
    if (!w->buf) put(w, "", 0);
    if (w->oom) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory to write JSON");
    *out = w->buf;
    if (len) *len = w->len;
    return CARTA_OK;
}

char *carta_jsonw_take(carta_jsonw *w)
{
    char *b = w->buf;
    w->buf = NULL;
    w->len = w->cap = 0;
    return b;
}
