/* The CSV reader (RFC 4180). Format rules, types and messages are documented in carta/csv.h.

   How it works, and why:
   1. The file is mapped read-only. Pages behind each parser are handed back with
      madvise(MADV_DONTNEED) every few MiB, so the resident set stays near the size of the
      parsed columns, never the file plus its columns.
   2. The header is parsed alone; the table's columns are created from it.
   3. Scan (parallel): the data is cut into T pieces at arbitrary bytes; each thread counts the
      quotes of its piece and the LFs at even and odd quote parity (relative to the piece
      start). Since a valid file only has structural quotes (opening, closing, or doubled
      pairs), a LF is a record end exactly when the number of quotes before it is even. Summing
      the quote counts gives each piece's parity at its start, hence its first true record end
      (the cut) and the number of records before every cut: the row count n and each chunk's
      first row are known before any value is parsed. A file whose quotes are not all
      structural has an error in the chunk that holds the first stray quote; that chunk starts
      at a true record start, and later chunks' results (possibly from misplaced cuts) are
      discarded. The failing chunk's own error may come from its cut, so unless it is the last
      chunk the file is parsed again on one thread, and the error reported is always the one a
      serial read finds.
   4. Parse (parallel): each chunk writes its values straight into 8-byte column arrays of n rows
      at its own rows, so there is no per-chunk copy to concatenate. A column without a declared
      type is parsed speculatively: integer, widened in place to double when a non-integer
      number appears, or date; when a value fits none, the chunk stops storing it (string).
      Per-chunk inferred types are joined (integer + number = number, anything + string =
      string, date + number = string) and integer chunks of a number column are widened. The
      widening is exact: (double)int64 is the correctly rounded value, as strtod gives.
      Missing bits go into one bitmap per column with an atomic OR, because a byte of the bitmap
      can hold rows of two chunks.
   5. Strings (one thread): columns that are strings are filled by a second pass through the
      file, pushing into the column's dictionary in row order, so codes are in order of first
      appearance whatever the thread count. A value equal to the column's previous one reuses
      its code without a dictionary lookup.
   Numbers: a decimal literal with at most 19 significant digits whose mantissa is at most 2^53
   and whose decimal exponent is within +-22 is converted as w * 10^e or w / 10^-e in double
   arithmetic: both operands are exact doubles, so the one IEEE rounding gives the correctly
   rounded result (Clinger 1990, "How to read floating point numbers accurately", the fast
   path). The hot loop handles the common shape [-]digits[.digits] with at most 15 digits
   (w < 10^15 < 2^53, at most 15 decimals) in the same pass that finds the field's end. Every
   other literal goes to strtod (C locale: carta never calls setlocale), read in place: the
   file is mapped with a zero page after it, so even its last byte is followed by a NUL.

   Ownership note: the column arrays are allocated here at their final size n and handed to the
   table's columns at the end (type, data array, n, cap, missing bitmap, n_missing), the layout
   documented in carta/table.h; string columns go through the table's push functions. */
#define _DEFAULT_SOURCE /* madvise(MADV_DONTNEED): glibc's posix_madvise ignores DONTNEED */
#include <carta/csv.h>
#include <carta/alloc.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
    MIN_PIECE = 64 * 1024,        /* smaller files are not split between threads */
    RELEASE_EVERY = 8 << 20,      /* hand parsed pages back every 8 MiB */
    MAX_THREADS = 64
};

/* What pass A does with a column. */
enum { ACT_SKIP, ACT_F64, ACT_I64, ACT_BOOL, ACT_DATE, ACT_INFER };
/* Inferred type of a column within a chunk; the order is not a lattice (see join_state). */
enum { ST_NONE, ST_INT, ST_NUM, ST_DATE, ST_STR };

static const char *const default_na[] = { "", "NA", ".", NULL };

typedef struct parser {
    const char *base;     /* offset 0 of the file */
    size_t size;          /* mapped bytes */
    const char *shown;
    char sep;
    unsigned char uq[256];    /* bytes that stop the scan of an unquoted field */
    unsigned char qq[256];    /* bytes that stop the scan of a quoted field */
    const char *const *na;
    size_t n_na, *na_len;
    int na_numeric;           /* some token is a number literal: test tokens before numbers */
    size_t p;                 /* columns */
    const char **names;       /* borrowed from the table */
    const int *act;           /* pass A action per column */
    void **slots;             /* 8-byte arrays of n rows (NULL for ACT_SKIP) */
    uint8_t **bits;           /* missing bitmaps of n rows (NULL for ACT_SKIP) */
} parser;

typedef struct field {
    const char *s;
    size_t len;
    int escaped;  /* holds "" pairs: the content is s with each "" read as " */
} field;

/* The result of lexing a decimal literal. */
typedef struct numlex {
    uint64_t w;   /* significant digits, at most 19 of them */
    long e10;     /* value = w * 10^e10 (when !many) */
    int neg, is_int, many;
} numlex;

/* Field terminators. */
enum { T_SEP, T_EOL, T_END };

typedef struct chunk {
    const parser *ps;
    const char *beg, *lim;  /* records in [beg, lim) */
    size_t row0, nrows;     /* 0-based index of the first data row; rows expected */
    uint8_t *state;         /* per column, ST_* */
    size_t *nmiss;          /* per column */
    int rc;
    carta_error err;
} chunk;

/* ------------------------------------------------------------------------------------------ */
/* Errors                                                                                     */

/* Writes at most ~60 bytes of a value for a message, with control characters escaped and ""
   read as ", cut at a UTF-8 character boundary. */
static void show_value(char *buf, size_t cap, const char *s, size_t len, int escaped)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 8 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (escaped && c == '"' && i + 1 < len && s[i + 1] == '"') i++;
        if (o >= 60 && (c & 0xC0) != 0x80) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (c == '\n') { buf[o++] = '\\'; buf[o++] = 'n'; }
        else if (c == '\r') { buf[o++] = '\\'; buf[o++] = 'r'; }
        else if (c == '\t') { buf[o++] = '\\'; buf[o++] = 't'; }
        else if (c < 0x20) o += (size_t)snprintf(buf + o, cap - o, "\\x%02X", c);
        else buf[o++] = (char)c;
    }
    buf[o] = '\0';
}

/* Sets an error at data row index row (0-based; SIZE_MAX = the header) and column j (or none
   when j >= p). */
static int fail_at(carta_error *err, const parser *ps, size_t row, size_t j, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int fail_at(carta_error *err, const parser *ps, size_t row, size_t j, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    carta_where at = { .file = ps->shown, .row = row == SIZE_MAX ? 1 : (long)row + 2,
                       .field = j < ps->p && ps->names ? ps->names[j] : NULL };
    return carta_error_set(err, CARTA_EDATA, &at, "%s", msg);
}

/* 1-based line of the byte at q (counted only on the error path). */
static long line_of(const parser *ps, const char *q)
{
    long line = 1;
    for (const char *s = ps->base; (s = memchr(s, '\n', (size_t)(q - s))) != NULL; s++) line++;
    return line;
}

/* ------------------------------------------------------------------------------------------ */
/* Tokenizing                                                                                 */

/* Length of the valid UTF-8 sequence starting with a byte >= 0x80 at s, or 0 when invalid
   (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF). */
static size_t utf8_len(const char *s, const char *lim)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t left = (size_t)(lim - s);
    unsigned char c = u[0], lo = 0x80, hi = 0xBF;
    size_t n;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else return 0;
    if (left < n || u[1] < lo || u[1] > hi) return 0;
    for (size_t k = 2; k < n; k++)
        if ((u[k] & 0xC0) != 0x80) return 0;
    return n;
}

static int bad_byte(const parser *ps, const char *q, size_t row, size_t j, carta_error *err)
{
    if (*q == '\0')
        return fail_at(err, ps, row, j, "NUL byte at offset %zu", (size_t)(q - ps->base));
    return fail_at(err, ps, row, j, "invalid UTF-8 (byte 0x%02X at offset %zu)", (unsigned char)*q,
                   (size_t)(q - ps->base));
}

/* Reads the field at *pp (the records end at lim) into f and its terminator into *term;
   *pp moves past the terminator. Checks quotes, UTF-8 and NUL bytes. */
static int read_field(const parser *ps, const char **pp, const char *lim, field *f, int *term, size_t row,
                      size_t j, carta_error *err)
{
    const char *q = *pp;
    f->escaped = 0;
    if (q < lim && *q == '"') {
        const char *open = q++;
        for (;;) {
            while (q < lim && !ps->qq[(unsigned char)*q]) q++;
            if (q == lim)
                return fail_at(err, ps, row, j,
                               "unterminated quoted field: the quote opened at line %ld (offset %zu) "
                               "is never closed",
                               line_of(ps, open), (size_t)(open - ps->base));
            if (*q == '"') {
                if (q + 1 < lim && q[1] == '"') {
                    f->escaped = 1;
                    q += 2;
                    continue;
                }
                break;
            }
            size_t k = *q ? utf8_len(q, lim) : 0;
            if (!k) return bad_byte(ps, q, row, j, err);
            q += k;
        }
        f->s = open + 1;
        f->len = (size_t)(q - f->s);
        q++;
        if (q < lim && *q != ps->sep && *q != '\n' && *q != '\r') {
            char shown[16];
            show_value(shown, sizeof shown, q, 1, 0);
            return fail_at(err, ps, row, j,
                           "'%s' after a closing quote (expected a separator or a line end; a quote "
                           "inside a quoted field is written \"\")",
                           shown);
        }
    } else {
        f->s = q;
        for (;;) {
            while (q < lim && !ps->uq[(unsigned char)*q]) q++;
            if (q == lim || *q == ps->sep || *q == '\n' || *q == '\r') break;
            if (*q == '"')
                return fail_at(err, ps, row, j,
                               "quote inside an unquoted field (a field holding quotes must be "
                               "quoted, with each inner quote doubled)");
            size_t k = *q ? utf8_len(q, lim) : 0;
            if (!k) return bad_byte(ps, q, row, j, err);
            q += k;
        }
        f->len = (size_t)(q - f->s);
    }
    if (q == lim) *term = T_END;
    else if (*q == ps->sep) { q++; *term = T_SEP; }
    else if (*q == '\n') { q++; *term = T_EOL; }
    else if (q + 1 < lim && q[1] == '\n') { q += 2; *term = T_EOL; }
    else return fail_at(err, ps, row, j, "carriage return not followed by a line feed (offset %zu)",
                        (size_t)(q - ps->base));
    *pp = q;
    return CARTA_OK;
}

/* 1 when the field's content equals s (len bytes). */
static int content_eq(const field *f, const char *s, size_t len)
{
    if (!f->escaped) return f->len == len && memcmp(f->s, s, len) == 0;
    size_t i = 0, k = 0;
    for (; i < f->len; i++, k++) {
        if (k == len || f->s[i] != s[k]) return 0;
        if (f->s[i] == '"') i++; /* "" is one quote */
    }
    return k == len;
}

static int is_na(const parser *ps, const field *f)
{
    for (size_t t = 0; t < ps->n_na; t++)
        if (content_eq(f, ps->na[t], ps->na_len[t])) return 1;
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Numbers                                                                                    */

static const double pow10_exact[] = { 1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };

/* Lexes [+-]digits[.digits][(e|E)[+-]digits] at s (at least one mantissa digit). Returns the
   end of the literal, or NULL when s does not start with one. "1e" lexes as "1". */
static inline const char *lex_number(const char *s, const char *lim, numlex *nm)
{
    const char *q = s;
    uint64_t w = 0;
    long e10 = 0;
    nm->neg = 0;
    if (q < lim && (*q == '-' || *q == '+')) nm->neg = *q++ == '-';
    const char *d0 = q;
    while (q < lim && *q == '0') q++; /* leading zeros are not significant */
    const char *sig = q;
    /* w wraps past 19 digits; many then sends the literal to strtod. */
    while (q < lim && (unsigned)(*q - '0') < 10) w = w * 10 + (unsigned)(*q++ - '0');
    size_t nsig = (size_t)(q - sig), ndig = (size_t)(q - d0);
    nm->is_int = 1;
    if (q < lim && *q == '.') {
        nm->is_int = 0;
        const char *f0 = ++q;
        if (nsig == 0) { /* 0.000123: zeros after the point are not significant either */
            while (q < lim && *q == '0') q++;
            sig = q;
        }
        while (q < lim && (unsigned)(*q - '0') < 10) w = w * 10 + (unsigned)(*q++ - '0');
        e10 = -(long)(q - f0);
        ndig += (size_t)(q - f0);
        nsig = nsig ? nsig + (size_t)(q - f0) : (size_t)(q - sig);
    }
    if (ndig == 0) return NULL;
    if (q < lim && (*q == 'e' || *q == 'E')) {
        const char *r = q + 1;
        int eneg = 0;
        if (r < lim && (*r == '-' || *r == '+')) eneg = *r++ == '-';
        if (r < lim && (unsigned)(*r - '0') < 10) {
            long ex = 0;
            for (; r < lim && (unsigned)(*r - '0') < 10; r++)
                if (ex < 1000000) ex = ex * 10 + (*r - '0');
            e10 += eneg ? -ex : ex;
            nm->is_int = 0;
            q = r;
        }
    }
    nm->w = w;
    nm->e10 = e10;
    nm->many = nsig > 19;
    return q;
}

/* The integer value of a lexed literal: 0, or -1 when it is not an integer literal, -2 when out
   of the int64 range. */
static inline int lex_i64(const numlex *nm, int64_t *v)
{
    if (!nm->is_int) return -1; /* "1." is not an integer literal either */
    if (nm->many || nm->w > (uint64_t)INT64_MAX + nm->neg) return -2;
    *v = nm->neg ? (int64_t)(0 - nm->w) : (int64_t)nm->w;
    return 0;
}

/* The double value of the lexed literal s..q: 0, or -2 when it overflows a double. */
static inline int lex_f64(const numlex *nm, const char *s, const char *q, double *v)
{
    if (!nm->many) {
        if (nm->w == 0) {
            *v = nm->neg ? -0.0 : 0.0;
            return 0;
        }
        if (nm->w <= (UINT64_C(1) << 53) && nm->e10 >= -22 && nm->e10 <= 22) {
            double d = (double)nm->w;
            d = nm->e10 < 0 ? d / pow10_exact[-nm->e10] : d * pow10_exact[nm->e10];
            *v = nm->neg ? -d : d;
            return 0;
        }
    }
    /* strtod reads the literal in place: it stops at q, which holds a separator, CR, LF, a
       quote, a blank, or the NUL of the zero page mapped after the file (see map_file). No copy
       and no allocation, so worker threads never allocate. */
    char *stop;
    double d = strtod(s, &stop);
    if (stop != q) return -1; /* cannot happen: the lexer accepted exactly s..q */
    if (isinf(d)) return -2;
    *v = d;
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Pass A: values                                                                             */

static inline void put_missing(chunk *ch, size_t j, size_t row)
{
    const parser *ps = ch->ps;
    ((int64_t *)ps->slots[j])[row] = 0;
    __atomic_fetch_or(&ps->bits[j][row >> 3], (uint8_t)(1u << (row & 7)), __ATOMIC_RELAXED);
    ch->nmiss[j]++;
}

/* Widens the chunk's integer values of column j (rows row0..row-1) to doubles in place. */
static void widen(chunk *ch, size_t j, size_t row)
{
    int64_t *ip = ch->ps->slots[j];
    double *dp = ch->ps->slots[j];
    for (size_t i = ch->row0; i < row; i++) {
        int64_t v = ip[i];
        dp[i] = (double)v;
    }
}

/* Stores a lexed number (the whole field s..q) into column j, row row. Returns 0, or 1 when the
   value does not fit the column's (declared) type and the caller should report it. */
static int store_number(chunk *ch, size_t j, size_t row, const numlex *nm, const char *s, const char *q)
{
    const parser *ps = ch->ps;
    int act = ps->act[j];
    if (act == ACT_I64) {
        int64_t v;
        if (lex_i64(nm, &v)) return 1;
        ((int64_t *)ps->slots[j])[row] = v;
        return 0;
    }
    if (act == ACT_F64) {
        double v;
        if (lex_f64(nm, s, q, &v) != 0) return 1;
        ((double *)ps->slots[j])[row] = v;
        return 0;
    }
    /* ACT_INFER, state NONE, INT or NUM. "-0" is not taken as an integer: as a number it
       keeps its sign, and every widening path must give the same bits. */
    uint8_t *st = &ch->state[j];
    if (*st != ST_NUM) {
        int64_t v;
        if (lex_i64(nm, &v) == 0 && !(nm->neg && nm->w == 0)) {
            ((int64_t *)ps->slots[j])[row] = v;
            *st = ST_INT;
            return 0;
        }
    }
    double v;
    if (lex_f64(nm, s, q, &v) != 0) {
        *st = ST_STR; /* overflows a double: not a number */
        return 0;
    }
    if (*st != ST_NUM) { /* written only on a change: the states of chunks share memory */
        if (*st == ST_INT) widen(ch, j, row);
        *st = ST_NUM;
    }
    ((double *)ps->slots[j])[row] = v;
    return 0;
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

static int parse_bool(const char *s, size_t n, int64_t *v)
{
    static const char *const yes[] = { "true", "True", "TRUE", "1" };
    static const char *const no[] = { "false", "False", "FALSE", "0" };
    for (size_t k = 0; k < 4; k++) {
        if (strlen(yes[k]) == n && memcmp(yes[k], s, n) == 0) { *v = 1; return 0; }
        if (strlen(no[k]) == n && memcmp(no[k], s, n) == 0) { *v = 0; return 0; }
    }
    return -1;
}

/* Handles the value of field f in column j (generic path, after tokenizing). */
static int store_field(chunk *ch, size_t j, size_t row, const field *f)
{
    const parser *ps = ch->ps;
    int act = ps->act[j];
    if (act == ACT_SKIP || (act == ACT_INFER && ch->state[j] == ST_STR)) return CARTA_OK;
    if (is_na(ps, f)) {
        put_missing(ch, j, row);
        return CARTA_OK;
    }
    const char *s = f->s, *e = f->s + f->len;
    while (s < e && is_blank(*s)) s++;
    while (e > s && is_blank(e[-1])) e--;
    char shown[96];
    /* A field holding "" is never a number, date or boolean. */
    int plain = !f->escaped;
    if (act == ACT_DATE || act == ACT_BOOL) {
        int64_t v = 0;
        int bad = !plain || (act == ACT_DATE ? carta_parse_date(s, (size_t)(e - s), &v)
                                            : parse_bool(s, (size_t)(e - s), &v));
        if (bad) {
            show_value(shown, sizeof shown, f->s, f->len, f->escaped);
            return fail_at(&ch->err, ps, row, j, "\"%s\" is not a %s", shown,
                           act == ACT_DATE ? "date (expected YYYY-MM-DD)"
                                           : "boolean (expected true, false, 1 or 0)");
        }
        ((int64_t *)ps->slots[j])[row] = v;
        return CARTA_OK;
    }
    numlex nm;
    int try_number = plain && !(act == ACT_INFER && ch->state[j] == ST_DATE);
    const char *q = try_number ? lex_number(s, e, &nm) : NULL;
    if (q == e && q != NULL) {
        if (store_number(ch, j, row, &nm, s, q) == 0) return CARTA_OK;
        show_value(shown, sizeof shown, f->s, f->len, f->escaped);
        if (act == ACT_I64)
            return fail_at(&ch->err, ps, row, j, "\"%s\" is not an integer%s", shown,
                           lex_i64(&nm, &(int64_t){ 0 }) == -2 ? " in the 64-bit range" : "");
        return fail_at(&ch->err, ps, row, j, "\"%s\" is not a number (it overflows a double)", shown);
    }
    if (act == ACT_INFER) {
        uint8_t *st = &ch->state[j];
        int64_t v;
        if ((*st == ST_NONE || *st == ST_DATE) && plain && e - s == 10 &&
            carta_parse_date(s, 10, &v) == 0) {
            ((int64_t *)ps->slots[j])[row] = v;
            *st = ST_DATE;
        } else {
            *st = ST_STR;
        }
        return CARTA_OK;
    }
    show_value(shown, sizeof shown, f->s, f->len, f->escaped);
    return fail_at(&ch->err, ps, row, j, "\"%s\" is not %s", shown,
                   act == ACT_I64 ? "an integer" : "a number");
}

/* Counts the fields of a row from p on (after the header's count was exceeded), for the
   message. Returns the count, or 0 when the rest of the row does not tokenize. */
static size_t count_rest(const parser *ps, const char *p, const char *lim, size_t row)
{
    size_t n = 0;
    int term = T_SEP;
    carta_error scratch;
    carta_error_clear(&scratch);
    while (term == T_SEP) {
        field f;
        if (read_field(ps, &p, lim, &f, &term, row, SIZE_MAX, &scratch)) return 0;
        n++;
    }
    return n;
}

/* Hands pages before q back to the kernel (they are re-read from the page cache if needed). */
static void release(const parser *ps, const char **mark, const char *q)
{
    if (q - *mark < RELEASE_EVERY) return;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t a = (size_t)(*mark - ps->base) / page * page, b = (size_t)(q - ps->base) / page * page;
    if (b > a) madvise((void *)(uintptr_t)(ps->base + a), b - a, MADV_DONTNEED);
    *mark = q;
}

static void *parse_chunk(void *arg)
{
    chunk *ch = arg;
    const parser *ps = ch->ps;
    const char *p = ch->beg, *lim = ch->lim, *mark = p;
    const char sep = ps->sep;
    const int *acts = ps->act, na_numeric = ps->na_numeric;
    uint8_t *state = ch->state;
    void **slots = ps->slots;
    const size_t ncol = ps->p;
    size_t row = ch->row0, row_end = ch->row0 + ch->nrows;
    field f;
    int term, rc = CARTA_OK;
    while (p < lim) {
        if (row >= row_end) {
            rc = fail_at(&ch->err, ps, row, SIZE_MAX, "more records than found by the scan (a stray quote?)");
            goto out;
        }
        for (size_t j = 0;; j++) {
            int act = j < ncol ? acts[j] : ACT_SKIP;
            if ((act == ACT_F64 || act == ACT_I64 || (act == ACT_INFER && state[j] <= ST_NUM)) &&
                !na_numeric && p < lim) {
                /* Fastest path: [-]digits[.digits] with at most 15 digits, unquoted, ending at a
                   terminator: w < 10^15 < 2^53 and at most 15 decimals, so w / 10^k is exact
                   (Clinger's fast path) and the literal is read once. */
                const char *q = p;
                int neg = *q == '-', dot = 0;
                q += neg;
                const char *d0 = q;
                uint64_t w = 0;
                while (q < lim && (unsigned)(*q - '0') < 10) w = w * 10 + (unsigned)(*q++ - '0');
                size_t nd = (size_t)(q - d0), nf = 0;
                if (q < lim && *q == '.') {
                    const char *f0 = ++q;
                    dot = 1;
                    while (q < lim && (unsigned)(*q - '0') < 10) w = w * 10 + (unsigned)(*q++ - '0');
                    nf = (size_t)(q - f0);
                    nd += nf;
                }
                if (nd >= 1 && nd <= 15 && (q == lim || *q == sep || *q == '\n' || *q == '\r')) {
                    int st = act == ACT_INFER ? state[j] : ST_NONE;
                    int stored = 1;
                    if (dot || act == ACT_F64 || st == ST_NUM) {
                        if (act == ACT_I64) stored = 0; /* "1.5" in an integer column: reported below */
                        else {
                            double d = nf ? (double)w / pow10_exact[nf] : (double)w;
                            ((double *)slots[j])[row] = neg ? -d : d;
                            if (act == ACT_INFER && st != ST_NUM) {
                                if (st == ST_INT) widen(ch, j, row);
                                state[j] = ST_NUM;
                            }
                        }
                    } else if (neg && w == 0 && act == ACT_INFER) {
                        stored = 0; /* "-0": a number, by the general path */
                    } else {
                        ((int64_t *)slots[j])[row] = neg ? -(int64_t)w : (int64_t)w;
                        if (act == ACT_INFER && st == ST_NONE) state[j] = ST_INT;
                    }
                    if (stored) {
                        if (q == lim) term = T_END;
                        else if (*q == sep) { q++; term = T_SEP; }
                        else if (*q == '\n') { q++; term = T_EOL; }
                        else if (q + 1 < lim && q[1] == '\n') { q += 2; term = T_EOL; }
                        else goto generic; /* a bare CR: read_field reports it */
                        p = q;
                        goto next;
                    }
                }
                /* Fast path: any other unquoted number ending at a terminator. */
                numlex nm;
                q = lex_number(p, lim, &nm);
                if (q && (q == lim || *q == sep || *q == '\n' || *q == '\r')) {
                    if (store_number(ch, j, row, &nm, p, q) == 0) {
                        if (q == lim) term = T_END;
                        else if (*q == sep) { q++; term = T_SEP; }
                        else if (*q == '\n') { q++; term = T_EOL; }
                        else if (q + 1 < lim && q[1] == '\n') { q += 2; term = T_EOL; }
                        else goto generic; /* a bare CR: read_field reports it */
                        p = q;
                        goto next;
                    }
                }
            }
        generic:
            if ((rc = read_field(ps, &p, lim, &f, &term, row, j, &ch->err)) != 0) goto out;
            if (j < ps->p && (rc = store_field(ch, j, row, &f)) != 0) goto out;
        next:
            if (term == T_SEP) {
                if (j + 1 == ps->p) {
                    size_t more = count_rest(ps, p, lim, row);
                    if (more)
                        rc = fail_at(&ch->err, ps, row, SIZE_MAX, "row has %zu fields, expected %zu (as in the header)",
                                     ps->p + more, ps->p);
                    else
                        rc = fail_at(&ch->err, ps, row, SIZE_MAX, "row has more than %zu fields, expected %zu (as in the header)",
                                     ps->p, ps->p);
                    goto out;
                }
                continue;
            }
            if (j + 1 < ps->p) {
                rc = fail_at(&ch->err, ps, row, SIZE_MAX, "row has %zu field%s, expected %zu (as in the header)", j + 1,
                             j ? "s" : "", ps->p);
                goto out;
            }
            break;
        }
        row++;
        release(ps, &mark, p);
    }
    if (row != row_end) rc = fail_at(&ch->err, ps, row, SIZE_MAX, "fewer records than found by the scan");
out:
    ch->rc = rc;
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Scan                                                                                       */

typedef struct piece {
    const parser *ps;
    const char *beg, *end;
    size_t quotes;
    size_t nl[2];            /* LFs at even / odd quote parity from the piece start */
    const char *first[2];    /* the first of each, or NULL */
} piece;

static void *scan_piece(void *arg)
{
    piece *pc = arg;
    const char *p = pc->beg, *end = pc->end, *mark = p;
    int par = 0;
    /* In windows, so that pages are released as the scan goes. */
    while (p < end) {
        const char *wend = (size_t)(end - p) > RELEASE_EVERY ? p + RELEASE_EVERY : end;
        while (p < wend) {
            const char *q = memchr(p, '"', (size_t)(wend - p));
            const char *stop = q ? q : wend;
            for (const char *s = p; (s = memchr(s, '\n', (size_t)(stop - s))) != NULL; s++) {
                if (!pc->first[par]) pc->first[par] = s;
                pc->nl[par]++;
            }
            if (!q) {
                p = wend;
                break;
            }
            pc->quotes++;
            par ^= 1;
            p = q + 1;
        }
        release(pc->ps, &mark, p);
    }
    return NULL;
}

/* Runs fn on each of m items of size sz, on m threads (the first in the calling thread; an item
   whose thread cannot be started runs here too). */
static void run_parallel(void *(*fn)(void *), void *items, size_t m, size_t sz)
{
    pthread_t tid[MAX_THREADS];
    int started[MAX_THREADS] = { 0 };
    char *it = items;
    for (size_t k = 1; k < m; k++) started[k] = pthread_create(&tid[k], NULL, fn, it + k * sz) == 0;
    fn(it);
    for (size_t k = 1; k < m; k++) {
        if (started[k]) pthread_join(tid[k], NULL);
        else fn(it + k * sz);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Driver                                                                                     */

void carta_csv_options_default(carta_csv_options *o)
{
    memset(o, 0, sizeof *o);
    o->sep = ',';
}

/* Joins two chunks' inferred types (in either order). */
static int join_state(int a, int b)
{
    if (a == ST_NONE) return b;
    if (b == ST_NONE || a == b) return a;
    if ((a == ST_INT && b == ST_NUM) || (a == ST_NUM && b == ST_INT)) return ST_NUM;
    return ST_STR;
}

/* Reads the header record at *pp into the table's columns. */
static int read_header(parser *ps, const char **pp, const char *lim, carta_table *t, carta_error *err)
{
    int term = T_SEP, rc = CARTA_OK;
    char *buf = NULL;
    size_t cap = 0;
    for (size_t j = 0; term == T_SEP; j++) {
        field f;
        if ((rc = read_field(ps, pp, lim, &f, &term, SIZE_MAX, SIZE_MAX, err)) != 0) break;
        if (f.len + 1 > cap) {
            size_t ncap = f.len + 64;
            char *nb = carta_realloc(buf, ncap);
            if (!nb) {
                rc = carta_error_set(err, CARTA_ENOMEM, NULL, "%s: no memory for the header", ps->shown);
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t n = 0;
        for (size_t i = 0; i < f.len; i++) {
            buf[n++] = f.s[i];
            if (f.escaped && f.s[i] == '"') i++;
        }
        buf[n] = '\0';
        carta_where at = { .file = ps->shown, .row = 1, .field = n ? buf : NULL };
        if (n == 0) {
            rc = carta_error_set(err, CARTA_EDATA, &at, "column %zu of the header has an empty name", j + 1);
            break;
        }
        if (memchr(buf, '\0', n)) { /* cannot happen: NUL bytes are refused by read_field */
            rc = carta_error_set(err, CARTA_EDATA, &at, "NUL byte in a column name");
            break;
        }
        if (carta_table_find(t, buf)) {
            size_t first = 0;
            while (strcmp(carta_table_column(t, first)->name, buf) != 0) first++;
            rc = carta_error_set(err, CARTA_EDATA, &at, "duplicate column name (columns %zu and %zu of the header)",
                                 first + 1, j + 1);
            break;
        }
        carta_column *c;
        if ((rc = carta_table_add_column(t, buf, CARTA_F64, &c, err)) != 0) break;
    }
    carta_free(buf);
    return rc;
}

/* The state of one read, freed in one place. */
typedef struct reader {
    parser ps;
    carta_table *t;
    int *act;
    const char **names;
    void **slots;
    uint8_t **bits;
    size_t *na_len;
    chunk *chunks;
    size_t nchunks;
    uint8_t *states;
    size_t *nmiss;
    uint8_t *is_str;
    char *scratch;
    size_t scap;
} reader;

static void reader_free(reader *r)
{
    for (size_t j = 0; j < r->ps.p; j++) {
        if (r->slots) carta_free(r->slots[j]);
        if (r->bits) carta_free(r->bits[j]);
    }
    carta_free(r->slots);
    carta_free(r->bits);
    carta_free(r->act);
    carta_free(r->names);
    carta_free(r->na_len);
    carta_free(r->chunks);
    carta_free(r->states);
    carta_free(r->nmiss);
    carta_free(r->is_str);
    carta_free(r->scratch);
    carta_table_free(r->t);
}

/* The previous value of a string column in pass B, to skip the dictionary lookup when a value
   repeats (STUDYID, PARAMCD, USUBJID within a subject: runs are common in clinical tables). */
typedef struct last_value {
    const char *s;  /* raw field bytes in the mapping; NULL = none */
    size_t len;
    int escaped;
    uint32_t code;
} last_value;

/* Pass B: fills the string columns (is_str[j]) in row order from the data [beg, end). Each
   column was reserved for all its rows, so a repeated code can be stored directly. */
static int fill_strings(reader *r, const char *beg, const char *end, const uint8_t *is_str, carta_error *err)
{
    const parser *ps = &r->ps;
    const char *p = beg, *mark = beg;
    size_t row = 0;
    last_value *last = carta_calloc(ps->p, sizeof *last);
    if (!last) return carta_error_set(err, CARTA_ENOMEM, NULL, "%s: no memory for string columns", ps->shown);
    int rc = CARTA_OK;
    while (p < end && !rc) {
        int term = T_SEP;
        for (size_t j = 0; term == T_SEP && j < ps->p; j++) {
            field f;
            if ((rc = read_field(ps, &p, end, &f, &term, row, j, err)) != 0) break;
            if (!is_str[j]) continue;
            carta_column *c = carta_table_column(r->t, j);
            last_value *lv = &last[j];
            if (lv->s && lv->len == f.len && lv->escaped == f.escaped && memcmp(lv->s, f.s, f.len) == 0 &&
                c->n < c->cap) {
                c->code[c->n++] = lv->code;
                continue;
            }
            if (is_na(ps, &f)) {
                rc = carta_column_push_missing(c);
                lv->s = NULL;
            } else if (!f.escaped) {
                rc = carta_column_push_str(c, f.s, f.len);
            } else {
                if (f.len + 1 > r->scap) {
                    char *nb = carta_realloc(r->scratch, f.len + 64);
                    if (!nb) rc = CARTA_ENOMEM;
                    else {
                        r->scratch = nb;
                        r->scap = f.len + 64;
                    }
                }
                size_t n = 0;
                for (size_t i = 0; !rc && i < f.len; i++) {
                    r->scratch[n++] = f.s[i];
                    if (f.s[i] == '"') i++;
                }
                if (!rc) rc = carta_column_push_str(c, r->scratch, n);
            }
            if (rc) {
                carta_where at = { .file = ps->shown, .row = (long)row + 2, .field = ps->names[j] };
                rc = carta_error_set(err, CARTA_ENOMEM, &at, "no memory for a string value");
                break;
            }
            if (!carta_column_is_missing(c, c->n - 1)) *lv = (last_value){ f.s, f.len, f.escaped, c->code[c->n - 1] };
        }
        row++;
        release(ps, &mark, p);
    }
    carta_free(last);
    return rc;
}

/* Maps the file read-only with at least one zero byte after it: an anonymous zero page is
   reserved first and the file mapped over its start (the rest of the file's last page reads as
   zeros too). strtod can then read any literal in place, even the last byte of a file without a
   final line end. *span is the length to unmap. NULL (errno set) on failure. */
static void *map_file(int fd, size_t size, size_t *span)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (size > SIZE_MAX - 2 * page) {
        errno = EFBIG;
        return NULL;
    }
    *span = (size + 1 + page - 1) / page * page;
    void *region = mmap(NULL, *span, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED) return NULL;
    void *map = mmap(region, size, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
    if (map == MAP_FAILED) {
        int e = errno;
        munmap(region, *span);
        errno = e;
        return NULL;
    }
    return map;
}

/* Sets up the parser's tables and tokens from the options. */
static int setup(reader *r, const carta_csv_options *o, carta_error *err)
{
    parser *ps = &r->ps;
    carta_where at = { .file = ps->shown };
    unsigned char sep = (unsigned char)o->sep;
    /* Characters of number literals are refused too: the number lexer would read across them. */
    if (sep == 0 || sep == '"' || sep == '\n' || sep == '\r' || sep >= 0x80 || (sep >= '0' && sep <= '9') ||
        strchr(".+-eE", sep))
        return carta_error_set(err, CARTA_ECONFIG, &at, "the separator must be an ASCII character other than a "
                                                        "quote, CR, LF, NUL, a digit or one of . + - e E");
    if (o->threads < 0) return carta_error_set(err, CARTA_ECONFIG, &at, "threads must be 0 or more");
    if (o->n_types && (!o->type_names || !o->types))
        return carta_error_set(err, CARTA_ECONFIG, &at, "declared types without names or types");
    ps->sep = (char)sep;
    for (int c = 0x80; c < 256; c++) ps->uq[c] = ps->qq[c] = 1;
    ps->uq[0] = ps->qq[0] = 1;
    ps->uq['"'] = ps->qq['"'] = 1;
    ps->uq['\n'] = ps->uq['\r'] = ps->uq[sep] = 1;
    ps->na = o->na ? o->na : default_na;
    while (ps->na[ps->n_na]) ps->n_na++;
    if (!(r->na_len = carta_calloc(ps->n_na ? ps->n_na : 1, sizeof *r->na_len)))
        return carta_error_set(err, CARTA_ENOMEM, &at, "no memory");
    for (size_t k = 0; k < ps->n_na; k++) {
        size_t len = strlen(ps->na[k]);
        numlex nm;
        r->na_len[k] = len;
        if (len && lex_number(ps->na[k], ps->na[k] + len, &nm) == ps->na[k] + len) ps->na_numeric = 1;
    }
    ps->na_len = r->na_len;
    return CARTA_OK;
}

int carta_csv_read(const char *path, const char *shown, const carta_csv_options *o, carta_table **out,
                   carta_error *err)
{
    carta_csv_options defaults;
    if (!o) {
        carta_csv_options_default(&defaults);
        o = &defaults;
    }
    if (!shown) shown = path;
    reader r;
    memset(&r, 0, sizeof r);
    parser *ps = &r.ps;
    ps->shown = shown;
    carta_where at = { .file = shown };
    int rc = setup(&r, o, err);
    if (rc) {
        reader_free(&r);
        return rc;
    }

    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        reader_free(&r);
        return carta_error_set(err, CARTA_EIO, &at, "cannot open: %s", strerror(errno));
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || S_ISDIR(sb.st_mode)) {
        int e = errno;
        close(fd);
        reader_free(&r);
        if (S_ISDIR(sb.st_mode)) return carta_error_set(err, CARTA_EIO, &at, "is a folder, not a CSV file");
        return carta_error_set(err, CARTA_EIO, &at, "cannot read: %s", strerror(e));
    }
    if (sb.st_size == 0) {
        close(fd);
        reader_free(&r);
        return carta_error_set(err, CARTA_EDATA, &at, "empty file (a header row is required)");
    }
    if ((uintmax_t)sb.st_size > SIZE_MAX) {
        close(fd);
        reader_free(&r);
        return carta_error_set(err, CARTA_EIO, &at, "file too large to map");
    }
    size_t size = (size_t)sb.st_size, span;
    void *map = map_file(fd, size, &span);
    int map_errno = errno;
    close(fd);
    if (!map) {
        reader_free(&r);
        return carta_error_set(err, CARTA_EIO, &at, "cannot map the file: %s", strerror(map_errno));
    }
    madvise(map, size, MADV_SEQUENTIAL);
    ps->base = map;
    ps->size = size;

    /* The data region: after a BOM, without the line ends after the last record. */
    const char *p = ps->base, *end = ps->base + size;
    if (size >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;
    while (end > p && (end[-1] == '\n' || end[-1] == '\r')) end--;
    if (end == p) {
        rc = carta_error_set(err, CARTA_EDATA, &at, "empty file (a header row is required)");
        goto done;
    }
    if (!(r.t = carta_table_new(shown))) {
        rc = carta_error_set(err, CARTA_ENOMEM, &at, "no memory for a table");
        goto done;
    }
    if ((rc = read_header(ps, &p, end, r.t, err)) != 0) goto done;
    if (p >= end) {
        carta_where at1 = { .file = shown, .row = 1 };
        rc = carta_error_set(err, CARTA_EDATA, &at1, "no data rows (the file holds only a header)");
        goto done;
    }
    size_t ncol = carta_table_ncols(r.t);
    ps->p = ncol;
    r.act = carta_calloc(ncol, sizeof *r.act);
    r.names = carta_calloc(ncol, sizeof *r.names);
    r.slots = carta_calloc(ncol, sizeof *r.slots);
    r.bits = carta_calloc(ncol, sizeof *r.bits);
    if (!r.act || !r.names || !r.slots || !r.bits) {
        rc = carta_error_set(err, CARTA_ENOMEM, &at, "no memory for the columns");
        goto done;
    }
    ps->names = r.names;
    ps->act = r.act;
    ps->slots = r.slots;
    ps->bits = r.bits;
    for (size_t j = 0; j < ncol; j++) {
        carta_column *c = carta_table_column(r.t, j);
        r.names[j] = c->name;
        r.act[j] = ACT_INFER;
        for (size_t k = 0; k < o->n_types; k++) {
            if (!o->type_names[k] || strcmp(o->type_names[k], c->name) != 0) continue;
            switch (o->types[k]) {
            case CARTA_F64: r.act[j] = ACT_F64; break;
            case CARTA_I64: r.act[j] = ACT_I64; break;
            case CARTA_BOOL: r.act[j] = ACT_BOOL; break;
            case CARTA_DATE: r.act[j] = ACT_DATE; break;
            case CARTA_STR: r.act[j] = ACT_SKIP; break;
            }
            break;
        }
    }

    /* Scan: cut points and row counts. */
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    size_t threads = o->threads > 0 ? (size_t)o->threads : online > 0 ? (size_t)online : 1;
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    size_t len = (size_t)(end - p);
    size_t m = len / MIN_PIECE;
    if (m > threads) m = threads;
    if (m < 1) m = 1;
    piece pieces[MAX_THREADS];
    memset(pieces, 0, sizeof pieces);
    for (size_t k = 0; k < m; k++) {
        pieces[k].ps = ps;
        pieces[k].beg = p + len / m * k;
        pieces[k].end = k + 1 == m ? end : p + len / m * (k + 1);
    }
    run_parallel(scan_piece, pieces, m, sizeof *pieces);
    r.chunks = carta_calloc(m, sizeof *r.chunks);
    /* Each chunk's states and counts on cache lines of their own (no false sharing). */
    size_t sstride = (ncol + 63) / 64 * 64 + 64, mstride = (ncol + 7) / 8 * 8 + 8;
    r.states = carta_calloc(m, sstride);
    r.nmiss = carta_calloc(m, mstride * sizeof *r.nmiss);
    if (!r.chunks || !r.states || !r.nmiss) {
        rc = carta_error_set(err, CARTA_ENOMEM, &at, "no memory for the parser");
        goto done;
    }
    size_t before = 0, nch = 0; /* unquoted LFs before the current piece */
    int parity = 0;
    for (size_t k = 0; k < m; k++) {
        const piece *pc = &pieces[k];
        if (k == 0) {
            r.chunks[0].beg = p;
            r.chunks[0].row0 = 0;
            nch = 1;
        } else if (pc->first[parity]) {
            r.chunks[nch].beg = pc->first[parity] + 1;
            r.chunks[nch].row0 = before + 1;
            nch++;
        }
        before += pc->nl[parity];
        parity ^= (int)(pc->quotes & 1);
    }
    size_t n = before + 1;
    for (size_t k = 0; k < nch; k++) {
        chunk *ch = &r.chunks[k];
        ch->ps = ps;
        ch->lim = k + 1 < nch ? r.chunks[k + 1].beg : end;
        ch->nrows = (k + 1 < nch ? r.chunks[k + 1].row0 : n) - ch->row0;
        ch->state = r.states + k * sstride;
        ch->nmiss = r.nmiss + k * mstride;
    }
    r.nchunks = nch;

    /* Column arrays at their final size. */
    size_t bytes;
    if (carta_size_mul(n, 8, &bytes) || n > (size_t)LONG_MAX - 2) {
        rc = carta_error_set(err, CARTA_ENOMEM, &at, "too many rows (%zu)", n);
        goto done;
    }
    for (size_t j = 0; j < ncol; j++) {
        if (r.act[j] == ACT_SKIP) continue;
        if (!(r.slots[j] = carta_malloc(bytes)) || !(r.bits[j] = carta_calloc((n + 7) / 8, 1))) {
            carta_where atc = { .file = shown, .field = r.names[j] };
            rc = carta_error_set(err, CARTA_ENOMEM, &atc, "no memory for %zu rows", n);
            goto done;
        }
    }

    /* Parse. */
    run_parallel(parse_chunk, r.chunks, nch, sizeof *r.chunks);
    size_t bad = 0;
    while (bad < nch && r.chunks[bad].rc == CARTA_OK) bad++;
    if (bad + 1 < nch && r.chunks[bad].rc == CARTA_EDATA) {
        /* The first failing chunk started at a true record boundary (the chunks before it only
           hold structural quotes), but its error may come from its end: a quoted field that
           runs past the cut, which only an earlier stray quote can cause. Parse the whole file
           again on this thread, so that the error reported is the one a serial read finds.
           Errors are rare; this costs time only on invalid files. */
        chunk *ch = &r.chunks[0];
        ch->lim = end;
        ch->nrows = n;
        ch->rc = CARTA_OK;
        carta_error_clear(&ch->err);
        memset(ch->state, 0, ncol);
        memset(ch->nmiss, 0, ncol * sizeof *ch->nmiss);
        for (size_t j = 0; j < ncol; j++)
            if (r.bits[j]) memset(r.bits[j], 0, (n + 7) / 8);
        parse_chunk(ch);
        nch = r.nchunks = 1;
        bad = ch->rc ? 0 : 1;
    }
    if (bad < nch) {
        rc = r.chunks[bad].rc;
        if (err && err->code == CARTA_OK) *err = r.chunks[bad].err;
        goto done;
    }

    /* Final types; widen integer chunks of number columns; hand the arrays to the columns. */
    uint8_t *is_str = carta_calloc(ncol, 1);
    int any_str = 0;
    if (!is_str) {
        rc = carta_error_set(err, CARTA_ENOMEM, &at, "no memory for the columns");
        goto done;
    }
    r.is_str = is_str;
    for (size_t j = 0; j < ncol; j++) {
        carta_column *c = carta_table_column(r.t, j);
        int st = ST_NONE;
        size_t nmiss = 0;
        for (size_t k = 0; k < nch; k++) {
            st = join_state(st, r.chunks[k].state[j]);
            nmiss += r.chunks[k].nmiss[j];
        }
        carta_type type = CARTA_STR;
        switch (r.act[j]) {
        case ACT_F64: type = CARTA_F64; break;
        case ACT_I64: type = CARTA_I64; break;
        case ACT_BOOL: type = CARTA_BOOL; break;
        case ACT_DATE: type = CARTA_DATE; break;
        case ACT_SKIP: type = CARTA_STR; break;
        case ACT_INFER:
            type = st == ST_INT ? CARTA_I64 : st == ST_NUM ? CARTA_F64 : st == ST_DATE ? CARTA_DATE : CARTA_STR;
            break;
        default: break;
        }
        is_str[j] = type == CARTA_STR;
        if (type == CARTA_STR) {
            carta_free(r.slots[j]);
            carta_free(r.bits[j]);
            r.slots[j] = NULL;
            r.bits[j] = NULL;
            c->type = CARTA_STR;
            any_str = 1;
            if (carta_column_reserve(c, n)) {
                carta_where atc = { .file = shown, .field = c->name };
                rc = carta_error_set(err, CARTA_ENOMEM, &atc, "no memory for %zu rows", n);
                goto done;
            }
            continue;
        }
        if (type == CARTA_F64) {
            double *v = r.slots[j];
            for (size_t k = 0; k < nch; k++)
                if (r.act[j] == ACT_INFER && r.chunks[k].state[j] == ST_INT)
                    widen(&r.chunks[k], j, r.chunks[k].row0 + r.chunks[k].nrows);
            /* Missing rows hold NaN in a number column (table.h). */
            for (size_t b = 0; nmiss && b < (n + 7) / 8; b++)
                for (unsigned bit = 0; r.bits[j][b] && bit < 8; bit++)
                    if (r.bits[j][b] >> bit & 1) v[b * 8 + bit] = NAN;
            c->f64 = v;
        } else {
            c->i64 = r.slots[j];
        }
        c->type = type;
        c->n = c->cap = n;
        r.slots[j] = NULL;
        if (nmiss) c->missing = r.bits[j];
        else carta_free(r.bits[j]);
        r.bits[j] = NULL;
        c->n_missing = nmiss;
    }
    if (any_str && (rc = fill_strings(&r, r.chunks[0].beg, end, is_str, err)) != 0) goto done;
    if ((rc = carta_table_check(r.t, err)) != 0) goto done;
    *out = r.t;
    r.t = NULL;
done:
    munmap(map, span);
    reader_free(&r);
    return rc;
}
