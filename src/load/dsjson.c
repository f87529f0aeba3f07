/* CDISC Dataset-JSON v1.1 into a carta_table (spec: cdisc-org/DataExchange-DatasetJson,
   doc/dataset-json1-1.md, final 2024-12-05; NDJSON and compressed forms from the same repo).

   How it reads. The decoded text (plain, or inflated by zlib on the fly) passes through one
   window buffer. carta finds the extent of the next JSON value itself (brackets and strings,
   nothing else) and hands exactly that span to cJSON, so cJSON only ever sees one metadata
   value or one row: memory holds the table, the column metadata, one row and the window, for
   .json and .ndjson alike. The top-level object is walked key by key:
     "columns"  parsed into the column list (carta columns are created at once),
     "rows"     an array walked element by element, each row converted and dropped,
     "records", "datasetJSONVersion" checked; every other key is skipped.
   After the object, more text means NDJSON: one row array per line.

   Quirks tolerated, because their meaning is unambiguous (the RConsortium Pilot 5 files have
   them): integers written with a fractional zero (63.0); decimals with blanks around them
   (" 0.00000000000000"); a decimal as a JSON number; a blank decimal string as missing;
   "sourceSystem" (or any key carta does not use) of any type. Everything else that departs
   from the spec is an error. */
#include <carta/dsjson.h>
#include <carta/alloc.h>

#include <cjson/cJSON.h>
#include <zlib.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define WINDOW 65536            /* initial window and compressed-chunk size */
#define RESERVE_CAP (1u << 20)  /* never pre-size a column beyond this many rows */

/* ---- input: a window over the decoded text ----------------------------------------------- */

enum mode { MODE_PLAIN, MODE_ZLIB, MODE_RAW };

typedef struct input {
    FILE *fp;
    const char *shown;
    carta_error *err;
    enum mode mode;
    z_stream zs;
    int z_ready, z_done, zin_eof;
    unsigned char *zin;     /* compressed bytes read from the file */
    char *buf;              /* decoded text: buf[i] is the byte at offset base + i */
    size_t cap, len;
    long long base;
    long long keep;         /* bytes before this offset may be discarded */
    long lines_before;      /* newlines before base */
    long long last_nl;      /* offset of the last newline before base; -1 for none */
    int eof;                /* the decoded text is complete */
} input;

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    return carta_calloc(items, size);
}

static void z_free(voidpf opaque, voidpf p)
{
    (void)opaque;
    carta_free(p);
}

static int io_error(input *in, const char *what)
{
    carta_where at = { .file = in->shown };
    return carta_error_set(in->err, CARTA_EIO, &at, "cannot read (%s): %s", what, strerror(errno));
}

static int data_error(input *in, const char *msg)
{
    carta_where at = { .file = in->shown };
    return carta_error_set(in->err, CARTA_EDATA, &at, "%s", msg);
}

/* Drops the bytes before in->keep once they are half the window, counting their newlines so
   that line numbers stay right. */
static void discard(input *in)
{
    size_t k = (size_t)(in->keep - in->base);
    if (k == 0 || (k < in->len / 2 && in->len < in->cap)) return;
    for (const char *p = in->buf, *e = in->buf + k; (p = memchr(p, '\n', (size_t)(e - p))); p++) {
        in->lines_before++;
        in->last_nl = in->base + (p - in->buf);
    }
    memmove(in->buf, in->buf + k, in->len - k);
    in->len -= k;
    in->base += (long long)k;
}

/* Inflates more text into the window. */
static int inflate_more(input *in)
{
    size_t room = in->cap - in->len;
    for (;;) {
        if (in->zs.avail_in == 0 && !in->zin_eof) {
            size_t n = fread(in->zin, 1, WINDOW, in->fp);
            if (ferror(in->fp)) return io_error(in, "compressed data");
            if (n == 0) in->zin_eof = 1;
            in->zs.next_in = in->zin;
            in->zs.avail_in = (uInt)n;
        }
        if (in->z_done) {
            if (in->zs.avail_in == 0) {
                in->eof = 1;
                return CARTA_OK;
            }
            /* gzip allows several members back to back (pigz, cat a.gz b.gz). */
            if (in->mode == MODE_ZLIB && in->zs.next_in[0] == 0x1f) {
                if (inflateReset(&in->zs) != Z_OK) return data_error(in, "cannot restart zlib");
                in->z_done = 0;
                continue;
            }
            return data_error(in, "unexpected bytes after the end of the compressed stream");
        }
        in->zs.next_out = (Bytef *)in->buf + in->len;
        in->zs.avail_out = (uInt)room;
        int zr = inflate(&in->zs, Z_NO_FLUSH);
        size_t got = room - in->zs.avail_out;
        in->len += got;
        room -= got;
        switch (zr) {
        case Z_STREAM_END: in->z_done = 1; break;
        case Z_OK: break;
        case Z_BUF_ERROR:
            if (in->zs.avail_in == 0 && in->zin_eof)
                return data_error(in, "the compressed stream is truncated (it ends before its end marker)");
            break;
        case Z_MEM_ERROR: {
            carta_where at = { .file = in->shown };
            return carta_error_set(in->err, CARTA_ENOMEM, &at, "no memory to decompress");
        }
        default: {
            carta_where at = { .file = in->shown };
            return carta_error_set(in->err, CARTA_EDATA, &at, "the compressed data is corrupt (zlib: %s)",
                                   in->zs.msg ? in->zs.msg : "bad data");
        }
        }
        if (zr == Z_OK && got == 0 && in->zs.avail_in == 0 && in->zin_eof)
            return data_error(in, "the compressed stream is truncated (it ends before its end marker)");
        if (got > 0 || room == 0) return CARTA_OK;
    }
}

/* Makes more text available at the end of the window, or sets in->eof. */
static int fill(input *in)
{
    if (in->eof) return CARTA_OK;
    discard(in);
    if (in->len == in->cap) {
        if (in->cap > SIZE_MAX / 2 || in->cap * 2 > (size_t)UINT_MAX) {
            carta_where at = { .file = in->shown };
            return carta_error_set(in->err, CARTA_ENOMEM, &at, "a single JSON value is too large");
        }
        char *b = carta_realloc(in->buf, in->cap * 2);
        if (!b) {
            carta_where at = { .file = in->shown };
            return carta_error_set(in->err, CARTA_ENOMEM, &at, "no memory for the read buffer");
        }
        in->buf = b;
        in->cap *= 2;
    }
    if (in->mode != MODE_PLAIN) return inflate_more(in);
    size_t n = fread(in->buf + in->len, 1, in->cap - in->len, in->fp);
    if (ferror(in->fp)) return io_error(in, "the file");
    if (n == 0) in->eof = 1;
    in->len += n;
    return CARTA_OK;
}

/* The byte at offset pos, or -1 at the end of the text; *rc gets an error. */
static int byte_at(input *in, long long pos, int *rc)
{
    while (pos - in->base >= (long long)in->len) {
        if (in->eof) return -1;
        if ((*rc = fill(in))) return -1;
    }
    return (unsigned char)in->buf[pos - in->base];
}

/* Skips JSON whitespace from *pos; returns the next byte (or -1 at the end). */
static int skip_ws(input *in, long long *pos, int *rc)
{
    for (;;) {
        int c = byte_at(in, *pos, rc);
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return c;
        in->keep = ++*pos;
    }
}

/* Line and column (1-based, in bytes) of offset pos, which must be in the window. */
static void locate(const input *in, long long pos, long *line, long *col)
{
    long l = in->lines_before + 1;
    long long last = in->last_nl;
    size_t lim = (size_t)(pos - in->base);
    if (lim > in->len) lim = in->len;
    for (size_t i = 0; i < lim; i++) {
        if (in->buf[i] == '\n') {
            l++;
            last = in->base + (long long)i;
        }
    }
    *line = l;
    *col = (long)(pos - last);
}

/* A syntax error at offset pos: "file:line:col: msg". */
static int syntax_error(input *in, long long pos, const char *msg)
{
    carta_where at = { .file = in->shown };
    locate(in, pos, &at.line, &at.col);
    return carta_error_set(in->err, CARTA_EDATA, &at, "invalid JSON: %s", msg);
}

/* Finds the end of the JSON value that starts at offset start (a non-blank byte): a
   container ends at its matching bracket, a string at its closing quote, a number or literal
   at the next delimiter. Only bracket depth and string state are tracked; cJSON checks the
   rest. *end gets the offset just past the value. */
static int scan_value(input *in, long long start, long long *end)
{
    int rc = CARTA_OK;
    in->keep = start;
    int first = byte_at(in, start, &rc);
    if (rc) return rc;
    enum { CONTAINER, STRING, SCALAR } kind =
        first == '{' || first == '[' ? CONTAINER : first == '"' ? STRING : SCALAR;
    long depth = 0;
    int in_str = kind == STRING, esc = 0;
    long long pos = kind == STRING ? start + 1 : start;
    for (;;) {
        size_t i = (size_t)(pos - in->base);
        const char *b = in->buf;
        for (; i < in->len; i++) {
            char ch = b[i];
            if (in_str) {
                /* A raw control character is never valid inside a JSON string; stopping here
                   keeps an unbalanced quote from swallowing the rest of the file, so the
                   error names the line where it happened. */
                if ((unsigned char)ch < 0x20)
                    return syntax_error(in, in->base + (long long)i,
                                        ch == '\n' || ch == '\r'
                                        ? "a string runs past the end of the line (a missing '\"'?)"
                                        : "a control character inside a string must be escaped");
                if (esc) esc = 0;
                else if (ch == '\\') esc = 1;
                else if (ch == '"') {
                    in_str = 0;
                    if (kind == STRING) {
                        *end = in->base + (long long)i + 1;
                        return CARTA_OK;
                    }
                }
            } else if (kind == SCALAR) {
                if (ch == ',' || ch == ']' || ch == '}' || ch == ' ' || ch == '\t' || ch == '\n' ||
                    ch == '\r') {
                    *end = in->base + (long long)i;
                    return CARTA_OK;
                }
            } else if (ch == '"') {
                in_str = 1;
            } else if (ch == '{' || ch == '[') {
                depth++;
            } else if (ch == '}' || ch == ']') {
                if (--depth == 0) {
                    *end = in->base + (long long)i + 1;
                    return CARTA_OK;
                }
            }
        }
        pos = in->base + (long long)i;
        if (in->eof) {
            if (kind == SCALAR) {
                *end = pos;
                return CARTA_OK;
            }
            return syntax_error(in, pos, kind == STRING
                                ? "the file ends inside a string (is it truncated?)"
                                : "the file ends inside an array or object (is it truncated?)");
        }
        if ((rc = fill(in))) return rc;
    }
}

/* Parses the value at [start, end) with cJSON into *out. */
static int parse_span(input *in, long long start, long long end, cJSON **out)
{
    const char *p = in->buf + (start - in->base);
    size_t n = (size_t)(end - start);
    const char *ep = NULL;
    cJSON *v = cJSON_ParseWithLengthOpts(p, n, &ep, 0);
    if (!v || ep != p + n) {
        cJSON_Delete(v);
        long long at = ep ? start + (ep - p) : start;
        char msg[160];
        int c = at - in->base < (long long)in->len ? (unsigned char)in->buf[at - in->base] : -1;
        if (c >= 0x20 && c < 0x7f) snprintf(msg, sizeof msg, "unexpected '%c'", c);
        else snprintf(msg, sizeof msg, "unexpected byte 0x%02x", c < 0 ? 0 : c);
        return syntax_error(in, at, msg);
    }
    *out = v;
    return CARTA_OK;
}

/* Scans and parses the next value, which starts at *pos; *pos moves past it. */
static int next_value(input *in, long long *pos, cJSON **out)
{
    long long end = *pos;
    int rc = scan_value(in, *pos, &end);
    if (rc) return rc;
    if ((rc = parse_span(in, *pos, end, out))) return rc;
    *pos = end;
    return CARTA_OK;
}

/* ---- columns and values ------------------------------------------------------------------ */

enum vkind { V_STRING, V_INTEGER, V_DECIMAL, V_FLOAT, V_BOOLEAN, V_DATE, V_DATETIME, V_TIME };

typedef struct colspec {
    carta_column *col;
    enum vkind kind;
    const char *data_type; /* the dataType as written, for messages (static text) */
} colspec;

typedef struct doc {
    input *in;
    const char *shown;
    carta_error *err;
    carta_table *t;
    colspec *cols;
    size_t ncols;
    int have_columns, have_rows, have_records, ndjson;
    long long records;
    cJSON *deferred;       /* rows met before "columns" */
    size_t nrows;
    long long row_start;   /* offset of the row being converted, for its line number */
    int row_in_window;     /* row_start is still in the window */
} doc;

static const char *const data_types[] = {
    "string", "integer", "decimal", "float", "double", "boolean", "datetime", "date", "time", "URI",
    NULL
};

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0)) return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90)) return 0;
        return 4;
    }
    return 0;
}

static int utf8_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        if (u[i] < 0x80) { i++; continue; }
        size_t k = utf8_seq(u + i, n - i);
        if (!k) return 0;
        i += k;
    }
    return 1;
}

/* An error in the metadata, at a JSON pointer. */
static int meta_error(doc *d, const char *pointer, const char *msg)
{
    carta_where at = { .file = d->shown, .field = pointer };
    return carta_error_set(d->err, CARTA_EDATA, &at, "%s", msg);
}

/* Short text of a JSON value for messages: a string quoted (cut at 40 bytes), a number, or
   the kind of value. */
static const char *value_text(const cJSON *v, char *buf, size_t cap)
{
    if (cJSON_IsString(v)) {
        size_t n = strlen(v->valuestring);
        snprintf(buf, cap, "\"%.40s%s\"", v->valuestring, n > 40 ? "..." : "");
    } else if (cJSON_IsNumber(v)) {
        snprintf(buf, cap, "%.17g", v->valuedouble);
    } else if (cJSON_IsBool(v)) {
        snprintf(buf, cap, "%s", cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsArray(v)) {
        snprintf(buf, cap, "an array");
    } else if (cJSON_IsObject(v)) {
        snprintf(buf, cap, "an object");
    } else {
        snprintf(buf, cap, "null");
    }
    return buf;
}

/* A value that does not fit its column: names the row, the column and, for NDJSON, the line. */
static int value_error(doc *d, long row, const colspec *cs, const cJSON *v, const char *why)
{
    char text[64], where[48] = "";
    carta_where at = { .file = d->shown, .row = row, .field = cs ? cs->col->name : NULL };
    if (d->ndjson && d->row_in_window) {
        long line, col;
        locate(d->in, d->row_start, &line, &col);
        snprintf(where, sizeof where, " (line %ld)", line);
    }
    if (!cs) return carta_error_set(d->err, CARTA_EDATA, &at, "%s%s", why, where);
    return carta_error_set(d->err, CARTA_EDATA, &at, "%s %s (dataType \"%s\")%s",
                           value_text(v, text, sizeof text), why, cs->data_type, where);
}

static int two_digits(const char *s, int *v)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9') return -1;
    *v = (s[0] - '0') * 10 + (s[1] - '0');
    return 0;
}

/* "hh:mm[:ss[.fff]]" exactly, into seconds since midnight; -1 when malformed. */
static int parse_time(const char *s, size_t n, double *sec)
{
    int h, m, x = 0;
    if (n < 5 || s[2] != ':' || two_digits(s, &h) || two_digits(s + 3, &m)) return -1;
    if (h > 23 || m > 59) return -1;
    double frac = 0;
    size_t i = 5;
    if (i < n) {
        if (s[i] != ':' || n < i + 3 || two_digits(s + i + 1, &x) || x > 59) return -1;
        i += 3;
        if (i < n) {
            if (s[i] != '.' || i + 1 >= n) return -1;
            for (size_t j = i + 1; j < n; j++)
                if (s[j] < '0' || s[j] > '9') return -1;
            char tmp[40];
            size_t k = n - i < sizeof tmp - 2 ? n - i : sizeof tmp - 2;
            tmp[0] = '0';
            memcpy(tmp + 1, s + i, k);
            tmp[k + 1] = '\0';
            frac = strtod(tmp, NULL);
        }
    }
    *sec = h * 3600.0 + m * 60.0 + x + frac;
    return 0;
}

/* Checks the decimal grammar [+-]digits[.digits][(e|E)[+-]digits] (digits on at least one
   side of the point), so that strtod cannot take "nan", "inf" or hex. */
static int decimal_syntax(const char *s, size_t n)
{
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    while (i < n && s[i] >= '0' && s[i] <= '9') { i++; digits++; }
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') { i++; digits++; }
    }
    if (!digits) return -1;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        size_t e = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') { i++; e++; }
        if (!e) return -1;
    }
    return i == n ? 0 : -1;
}

/* Converts one JSON value into its column. */
static int put_value(doc *d, long row, colspec *cs, const cJSON *v)
{
    carta_column *c = cs->col;
    int rc;
    if (cJSON_IsNull(v)) {
        rc = carta_column_push_missing(c);
    } else {
        switch (cs->kind) {
        case V_STRING: {
            if (!cJSON_IsString(v)) return value_error(d, row, cs, v, "is not a string");
            size_t n = strlen(v->valuestring);
            if (!utf8_valid(v->valuestring, n)) return value_error(d, row, cs, v, "is not valid UTF-8");
            rc = carta_column_push_str(c, v->valuestring, n);
            break;
        }
        case V_INTEGER:
            /* 63.0 is accepted: it is the integer 63 written by a float formatter. */
            if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || floor(v->valuedouble) != v->valuedouble)
                return value_error(d, row, cs, v, "is not an integer");
            rc = carta_column_push_f64(c, v->valuedouble);
            break;
        case V_DECIMAL: {
            if (cJSON_IsNumber(v)) {
                if (!isfinite(v->valuedouble)) return value_error(d, row, cs, v, "is out of range");
                rc = carta_column_push_f64(c, v->valuedouble);
                break;
            }
            if (!cJSON_IsString(v)) return value_error(d, row, cs, v, "is not a decimal string");
            const char *s = v->valuestring;
            size_t n = strlen(s);
            while (n > 0 && (*s == ' ' || *s == '\t')) { s++; n--; }
            while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
            if (n == 0) {
                rc = carta_column_push_missing(c);
                break;
            }
            if (n > 400 || decimal_syntax(s, n)) return value_error(d, row, cs, v, "is not a decimal number");
            char tmp[402];
            memcpy(tmp, s, n);
            tmp[n] = '\0';
            double x = strtod(tmp, NULL);
            if (!isfinite(x)) return value_error(d, row, cs, v, "is out of range");
            rc = carta_column_push_f64(c, x);
            break;
        }
        case V_FLOAT:
            if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
                return value_error(d, row, cs, v, "is not a number");
            rc = carta_column_push_f64(c, v->valuedouble);
            break;
        case V_BOOLEAN:
            if (!cJSON_IsBool(v)) return value_error(d, row, cs, v, "is not true or false");
            rc = carta_column_push_i64(c, cJSON_IsTrue(v) ? 1 : 0);
            break;
        case V_DATE: {
            int64_t days;
            if (!cJSON_IsString(v) || strlen(v->valuestring) != 10 ||
                carta_parse_date(v->valuestring, 10, &days))
                return value_error(d, row, cs, v, "is not a date (YYYY-MM-DD)");
            rc = carta_column_push_i64(c, days);
            break;
        }
        case V_DATETIME: {
            int64_t days;
            double sec;
            const char *s = cJSON_IsString(v) ? v->valuestring : "";
            size_t n = strlen(s);
            if (n < 16 || (s[10] != 'T' && s[10] != ' ') || carta_parse_date(s, 10, &days) ||
                parse_time(s + 11, n - 11, &sec))
                return value_error(d, row, cs, v, "is not a datetime (YYYY-MM-DDThh:mm:ss)");
            rc = carta_column_push_f64(c, (double)days * 86400.0 + sec);
            break;
        }
        case V_TIME: {
            double sec;
            if (!cJSON_IsString(v) || parse_time(v->valuestring, strlen(v->valuestring), &sec))
                return value_error(d, row, cs, v, "is not a time (hh:mm:ss)");
            rc = carta_column_push_f64(c, sec);
            break;
        }
        default: rc = CARTA_ENOMEM; break;
        }
    }
    if (rc) {
        carta_where at = { .file = d->shown, .row = row, .field = c->name };
        return carta_error_set(d->err, CARTA_ENOMEM, &at, "no memory for a value");
    }
    return CARTA_OK;
}

/* Converts one row (a JSON array with one value per column). */
static int add_row(doc *d, const cJSON *r)
{
    long row = (long)d->nrows + 1;
    if (!cJSON_IsArray(r)) return value_error(d, row, NULL, r, "the row is not a JSON array");
    size_t n = 0;
    for (const cJSON *v = r->child; v; v = v->next) n++;
    if (n != d->ncols) {
        char why[128];
        snprintf(why, sizeof why, "the row has %zu values but there are %zu columns", n, d->ncols);
        return value_error(d, row, NULL, r, why);
    }
    size_t j = 0;
    for (const cJSON *v = r->child; v; v = v->next, j++) {
        int rc = put_value(d, row, &d->cols[j], v);
        if (rc) return rc;
    }
    d->nrows++;
    return CARTA_OK;
}

/* A string member of a column object: NULL when absent; an error when present but not a
   string. */
static int opt_string(doc *d, const cJSON *obj, size_t i, const char *key, const char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NULL;
    if (!v) return CARTA_OK;
    if (!cJSON_IsString(v) || !utf8_valid(v->valuestring, strlen(v->valuestring))) {
        char ptr[64];
        snprintf(ptr, sizeof ptr, "/columns/%zu/%s", i, key);
        return meta_error(d, ptr, "must be a UTF-8 string");
    }
    *out = v->valuestring;
    return CARTA_OK;
}

/* Creates the table's columns from the "columns" array. */
static int make_columns(doc *d, const cJSON *cols)
{
    if (!cJSON_IsArray(cols)) return meta_error(d, "/columns", "must be an array of column objects");
    size_t n = 0;
    for (const cJSON *c = cols->child; c; c = c->next) n++;
    if (n == 0) return meta_error(d, "/columns", "the data set has no columns");
    if (!(d->cols = carta_calloc(n, sizeof *d->cols))) {
        carta_where at = { .file = d->shown };
        return carta_error_set(d->err, CARTA_ENOMEM, &at, "no memory for the columns");
    }
    size_t i = 0;
    for (const cJSON *c = cols->child; c; c = c->next, i++) {
        char ptr[64];
        snprintf(ptr, sizeof ptr, "/columns/%zu", i);
        if (!cJSON_IsObject(c)) return meta_error(d, ptr, "must be an object");
        for (const cJSON *a = c->child; a; a = a->next)
            for (const cJSON *b = a->next; b; b = b->next)
                if (strcmp(a->string, b->string) == 0) {
                    snprintf(ptr, sizeof ptr, "/columns/%zu/%s", i, a->string);
                    return meta_error(d, ptr, "the key appears twice");
                }
        const char *name, *label, *format, *dtype, *target;
        int rc;
        if ((rc = opt_string(d, c, i, "name", &name)) || (rc = opt_string(d, c, i, "label", &label)) ||
            (rc = opt_string(d, c, i, "displayFormat", &format)) ||
            (rc = opt_string(d, c, i, "dataType", &dtype)) ||
            (rc = opt_string(d, c, i, "targetDataType", &target)))
            return rc;
        if (!name || !name[0]) {
            snprintf(ptr, sizeof ptr, "/columns/%zu/name", i);
            return meta_error(d, ptr, "every column needs a non-empty name");
        }
        snprintf(ptr, sizeof ptr, "/columns/%zu/dataType", i);
        if (!dtype) return meta_error(d, ptr, "every column needs a dataType");
        size_t k = 0;
        while (data_types[k] && strcmp(data_types[k], dtype) != 0) k++;
        if (!data_types[k]) {
            char msg[200];
            snprintf(msg, sizeof msg, "\"%.40s\" is not one of string, integer, decimal, float, "
                     "double, boolean, datetime, date, time, URI", dtype);
            return meta_error(d, ptr, msg);
        }
        if (target && strcmp(target, "integer") != 0 && strcmp(target, "decimal") != 0) {
            snprintf(ptr, sizeof ptr, "/columns/%zu/targetDataType", i);
            return meta_error(d, ptr, "must be \"integer\" or \"decimal\"");
        }
        enum vkind kind;
        switch (k) {
        case 1: kind = V_INTEGER; break;
        case 2: kind = V_DECIMAL; break;
        case 3:
        case 4: kind = V_FLOAT; break;
        case 5: kind = V_BOOLEAN; break;
        /* With a targetDataType the ISO text stands for a SAS numeric date/datetime/time
           (ADaM); without one it is character data (SDTM --DTC) and stays a string. */
        case 6: kind = target ? V_DATETIME : V_STRING; break;
        case 7: kind = target ? V_DATE : V_STRING; break;
        case 8: kind = target ? V_TIME : V_STRING; break;
        default: kind = V_STRING; break;
        }
        carta_type type = kind == V_STRING ? CARTA_STR : kind == V_BOOLEAN ? CARTA_BOOL
                        : kind == V_DATE ? CARTA_DATE : CARTA_F64;
        carta_column *col;
        if ((rc = carta_table_add_column(d->t, name, type, &col, d->err))) return rc;
        d->cols[i].col = col;
        d->cols[i].kind = kind;
        d->cols[i].data_type = data_types[k];
        d->ncols = i + 1;
        if (carta_column_set_meta(col, label && label[0] ? label : NULL, NULL,
                                  format && format[0] ? format : NULL)) {
            carta_where at = { .file = d->shown, .field = name };
            return carta_error_set(d->err, CARTA_ENOMEM, &at, "no memory for the column metadata");
        }
        if (d->have_records && d->records > 0) {
            size_t want = (unsigned long long)d->records < RESERVE_CAP ? (size_t)d->records : RESERVE_CAP;
            if (carta_column_reserve(col, want)) {
                carta_where at = { .file = d->shown, .field = name };
                return carta_error_set(d->err, CARTA_ENOMEM, &at, "no memory for the column");
            }
        }
    }
    d->have_columns = 1;
    return CARTA_OK;
}

/* Handles one top-level key other than "rows". */
static int top_member(doc *d, const char *key, cJSON *v)
{
    char ptr[160];
    snprintf(ptr, sizeof ptr, "/%.150s", key);
    if (strcmp(key, "columns") == 0) {
        if (d->have_columns) return meta_error(d, ptr, "the key appears twice");
        return make_columns(d, v);
    }
    if (strcmp(key, "records") == 0) {
        if (d->have_records) return meta_error(d, ptr, "the key appears twice");
        if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9e15 ||
            floor(v->valuedouble) != v->valuedouble)
            return meta_error(d, ptr, "must be a whole number of rows");
        d->records = (long long)v->valuedouble;
        d->have_records = 1;
        return CARTA_OK;
    }
    if (strcmp(key, "datasetJSONVersion") == 0) {
        if (!cJSON_IsString(v)) return meta_error(d, ptr, "must be a string such as \"1.1.0\"");
        if (strncmp(v->valuestring, "1.", 2) != 0) {
            char msg[160];
            snprintf(msg, sizeof msg, "version \"%.40s\" is not supported; carta reads Dataset-JSON 1.1",
                     v->valuestring);
            return meta_error(d, ptr, msg);
        }
        return CARTA_OK;
    }
    if (strcmp(key, "clinicalData") == 0 || strcmp(key, "referenceData") == 0)
        return meta_error(d, ptr, "this is the Dataset-JSON 1.0 layout, which carta does not read; "
                                  "convert the file to Dataset-JSON 1.1");
    return CARTA_OK; /* every other key is metadata carta does not use */
}

/* Walks the "rows" array, whose '[' is at *pos. */
static int read_rows(doc *d, long long *pos)
{
    input *in = d->in;
    int rc = CARTA_OK;
    ++*pos; /* the '[' */
    int c = skip_ws(in, pos, &rc);
    if (rc) return rc;
    if (c == ']') {
        ++*pos;
        return CARTA_OK;
    }
    for (;;) {
        if (c < 0) return syntax_error(in, *pos, "the file ends inside \"rows\" (is it truncated?)");
        cJSON *r;
        d->row_start = *pos;
        if ((rc = next_value(in, pos, &r))) return rc;
        if (d->have_columns) {
            rc = add_row(d, r);
            cJSON_Delete(r);
            if (rc) return rc;
        } else {
            if (!d->deferred && !(d->deferred = cJSON_CreateArray())) {
                cJSON_Delete(r);
                carta_where at = { .file = d->shown };
                return carta_error_set(d->err, CARTA_ENOMEM, &at, "no memory for the rows");
            }
            cJSON_AddItemToArray(d->deferred, r);
        }
        c = skip_ws(in, pos, &rc);
        if (rc) return rc;
        if (c == ']') {
            ++*pos;
            return CARTA_OK;
        }
        if (c != ',') return c < 0 ? syntax_error(in, *pos, "the file ends inside \"rows\" (is it truncated?)")
                                   : syntax_error(in, *pos, "expected ',' or ']' after a row");
        ++*pos;
        c = skip_ws(in, pos, &rc);
        if (rc) return rc;
    }
}

/* The whole document: the top-level object, then NDJSON rows if any follow. */
static int read_document(doc *d)
{
    input *in = d->in;
    long long pos = 0;
    int rc = CARTA_OK;
    /* A UTF-8 byte order mark is allowed before the text. */
    if (byte_at(in, 0, &rc) == 0xEF && byte_at(in, 1, &rc) == 0xBB && byte_at(in, 2, &rc) == 0xBF)
        pos = 3;
    if (rc) return rc;
    int c = skip_ws(in, &pos, &rc);
    if (rc) return rc;
    if (c != '{')
        return syntax_error(in, pos, c < 0 ? "the file holds no JSON value"
                                           : "expected '{': a Dataset-JSON file is one JSON object "
                                             "(or NDJSON whose first line is one)");
    ++pos;
    c = skip_ws(in, &pos, &rc);
    if (rc) return rc;
    if (c == '}') ++pos;
    while (c != '}') {
        if (c != '"') return c < 0 ? syntax_error(in, pos, "the file ends inside the top-level object (is it truncated?)")
                                   : syntax_error(in, pos, "expected a key (a string)");
        cJSON *key = NULL;
        if ((rc = next_value(in, &pos, &key))) return rc;
        c = skip_ws(in, &pos, &rc);
        if (rc || c != ':') {
            cJSON_Delete(key);
            return rc ? rc : syntax_error(in, pos, "expected ':' after a key");
        }
        ++pos;
        c = skip_ws(in, &pos, &rc);
        if (rc || c < 0) {
            cJSON_Delete(key);
            return rc ? rc : syntax_error(in, pos, "the file ends after a key (is it truncated?)");
        }
        if (strcmp(key->valuestring, "rows") == 0) {
            cJSON_Delete(key);
            if (d->have_rows) return meta_error(d, "/rows", "the key appears twice");
            d->have_rows = 1;
            if (c != '[') return meta_error(d, "/rows", "must be an array of row arrays");
            if ((rc = read_rows(d, &pos))) return rc;
        } else {
            cJSON *v = NULL;
            if ((rc = next_value(in, &pos, &v))) {
                cJSON_Delete(key);
                return rc;
            }
            rc = top_member(d, key->valuestring, v);
            cJSON_Delete(key);
            cJSON_Delete(v);
            if (rc) return rc;
        }
        c = skip_ws(in, &pos, &rc);
        if (rc) return rc;
        if (c == ',') {
            ++pos;
            c = skip_ws(in, &pos, &rc);
            if (rc) return rc;
            if (c == '}') return syntax_error(in, pos, "unexpected '}' after ','");
        } else if (c == '}') {
            ++pos;
        } else {
            return c < 0 ? syntax_error(in, pos, "the file ends inside the top-level object (is it truncated?)")
                         : syntax_error(in, pos, "expected ',' or '}'");
        }
    }
    if (!d->have_columns) return meta_error(d, "/columns", "missing: the file does not describe its columns");
    if (d->deferred) {
        for (const cJSON *r = d->deferred->child; r; r = r->next)
            if ((rc = add_row(d, r))) return rc;
    }

    /* Anything after the object is NDJSON: one row array per line. */
    c = skip_ws(in, &pos, &rc);
    if (rc) return rc;
    if (c >= 0 && d->have_rows)
        return syntax_error(in, pos, "unexpected text after the data set object, which already has \"rows\"");
    d->ndjson = c >= 0;
    while (c >= 0) {
        if (c != '[') return syntax_error(in, pos, "expected a row (a JSON array) on this line");
        cJSON *r;
        d->row_start = pos;
        d->row_in_window = 1;
        if ((rc = next_value(in, &pos, &r))) return rc;
        rc = add_row(d, r);
        cJSON_Delete(r);
        if (rc) return rc;
        c = skip_ws(in, &pos, &rc);
        if (rc) return rc;
    }
    if (d->have_records && (long long)d->nrows != d->records) {
        char msg[200];
        snprintf(msg, sizeof msg, "\"records\" is %lld but the file holds %zu rows (is it truncated?)",
                 d->records, d->nrows);
        return meta_error(d, "/records", msg);
    }
    return CARTA_OK;
}

/* ---- opening: plain or compressed -------------------------------------------------------- */

/* 1 when the first bytes look like a zlib header (deflate, 32K window, valid check bits). */
static int zlib_header(const unsigned char *b, size_t n)
{
    return n >= 2 && (b[0] & 0x0F) == 8 && (b[0] >> 4) <= 7 && ((b[0] << 8) | b[1]) % 31 == 0;
}

/* 1 when the chunk inflates as raw DEFLATE into text that starts like a JSON object. */
static int raw_deflate_json(const unsigned char *b, size_t n)
{
    z_stream zs;
    unsigned char out[256];
    memset(&zs, 0, sizeof zs);
    zs.zalloc = z_alloc;
    zs.zfree = z_free;
    if (inflateInit2(&zs, -15) != Z_OK) return 0;
    zs.next_in = (Bytef *)(uintptr_t)b;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = sizeof out;
    int zr = inflate(&zs, Z_NO_FLUSH);
    size_t got = sizeof out - zs.avail_out;
    inflateEnd(&zs);
    if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) return 0;
    size_t i = 0;
    if (got >= 3 && out[0] == 0xEF && out[1] == 0xBB && out[2] == 0xBF) i = 3;
    while (i < got && (out[i] == ' ' || out[i] == '\t' || out[i] == '\r' || out[i] == '\n')) i++;
    return i < got && out[i] == '{';
}

static int open_input(input *in, const char *path)
{
    carta_where at = { .file = in->shown };
    if (!(in->fp = fopen(path, "rb")))
        return carta_error_set(in->err, CARTA_EIO, &at, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fileno(in->fp), &st) != 0 || !S_ISREG(st.st_mode))
        return carta_error_set(in->err, CARTA_EIO, &at, "cannot read: not a regular file");
    if (st.st_size == 0) return carta_error_set(in->err, CARTA_EDATA, &at, "the file is empty");
    if (!(in->zin = carta_malloc(WINDOW)) || !(in->buf = carta_malloc(WINDOW)))
        return carta_error_set(in->err, CARTA_ENOMEM, &at, "no memory for the read buffer");
    in->cap = WINDOW;
    in->last_nl = -1;
    size_t n = fread(in->zin, 1, WINDOW, in->fp);
    if (ferror(in->fp)) return io_error(in, "the file");
    const unsigned char *b = in->zin;
    if (n >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF)))
        return carta_error_set(in->err, CARTA_EDATA, &at, "the file is UTF-16 text; Dataset-JSON must be UTF-8");
    size_t i = 0;
    while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n')) i++;
    int texty = i < n && (b[i] == '{' || b[i] == '[' || b[i] == 0xEF);
    if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) in->mode = MODE_ZLIB;
    else if (!texty && zlib_header(b, n)) in->mode = MODE_ZLIB;
    else if (!texty && raw_deflate_json(b, n)) in->mode = MODE_RAW;
    else in->mode = MODE_PLAIN;

    if (in->mode == MODE_PLAIN) {
        memcpy(in->buf, in->zin, n);
        in->len = n;
        return CARTA_OK;
    }
    in->zs.zalloc = z_alloc;
    in->zs.zfree = z_free;
    in->zs.next_in = in->zin;
    in->zs.avail_in = (uInt)n;
    int zr = inflateInit2(&in->zs, in->mode == MODE_RAW ? -15 : 15 + 32);
    if (zr == Z_MEM_ERROR) return carta_error_set(in->err, CARTA_ENOMEM, &at, "no memory to decompress");
    if (zr != Z_OK) return carta_error_set(in->err, CARTA_EDEP, &at, "zlib failed to start (%d)", zr);
    in->z_ready = 1;
    return CARTA_OK;
}

static void close_input(input *in)
{
    if (in->z_ready) inflateEnd(&in->zs);
    if (in->fp) fclose(in->fp);
    carta_free(in->zin);
    carta_free(in->buf);
}

int carta_dsjson_read(const char *path, const char *shown, carta_table **out, carta_error *err)
{
    input in;
    doc d;
    int rc;

    *out = NULL;
    if (!shown) shown = path;
    memset(&in, 0, sizeof in);
    memset(&d, 0, sizeof d);
    in.shown = d.shown = shown;
    in.err = d.err = err;
    d.in = &in;

    if ((rc = open_input(&in, path))) goto done;
    if (!(d.t = carta_table_new(shown))) {
        carta_where at = { .file = shown };
        rc = carta_error_set(err, CARTA_ENOMEM, &at, "no memory for the table");
        goto done;
    }
    if ((rc = read_document(&d))) goto done;
    rc = carta_table_check(d.t, err);

done:
    close_input(&in);
    cJSON_Delete(d.deferred);
    carta_free(d.cols);
    if (rc == CARTA_OK) *out = d.t;
    else carta_table_free(d.t);
    return rc;
}
