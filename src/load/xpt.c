/* SAS XPORT and SAS7BDAT files into a carta_table, through ReadStat's push parser: ReadStat calls
   back once per variable and once per value (row-major), and each value goes straight into its
   column. This is the only file that includes <readstat.h>.

   ReadStat facts this file relies on (libreadstat 1.1.8, checked):
   - XPORT headers carry no row count (readstat_get_row_count gives -1), so rows are counted as
     they arrive; the column arrays grow by doubling.
   - ReadStat's XPORT reader stops at the first short read without an error, so a file cut in
     the middle of a row silently loses that row. carta checks the 80-byte record structure
     itself: the size must be a multiple of 80, and whatever follows the last row ReadStat
     delivered must be blank padding.
   - ReadStat trims trailing blanks of character values and converts SAS7BDAT strings to UTF-8
     from the encoding in the file header; it does not convert XPORT strings (they have no
     declared encoding), so carta does (WINDOWS-1252 for anything that is not UTF-8).
   - readstat_error_message(READSTAT_OK) is NULL; messages are copied before use.
   SAS dates count days from 1960-01-01 and datetimes seconds from 1960-01-01T00:00:00;
   1960-01-01 is day 3653 after 1970-01-01. */
#include <carta/xpt.h>
#include <carta/alloc.h>

#include <readstat.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define SAS_EPOCH_DAYS 3653          /* days from 1970-01-01 to 1960-01-01 */
#define SAS_EPOCH_SECONDS 315619200.0 /* the same in seconds */
#define MAX_DATE_ABS 1e15            /* |SAS date| beyond this cannot be a date */
#define RESERVE_CAP (1u << 20)       /* never pre-size a column beyond this many rows */
#define XPORT_RECORD 80

enum kind { K_STR, K_NUM, K_DATE, K_DATETIME, K_TIME };

typedef struct var_info {
    carta_column *col;
    enum kind kind;
} var_info;

/* What the callbacks build, and the first error they met. */
typedef struct sink {
    const char *shown;
    carta_table *t;
    var_info *vars;
    size_t nvars, cap_vars;
    long row_count;      /* from the header; -1 when unknown (XPORT) */
    size_t row_width;    /* bytes per row: the sum of the storage widths */
    char *scratch;       /* UTF-8 conversion buffer */
    size_t scratch_cap;
    carta_error *err;
    int rc;              /* CARTA_OK until a callback fails */
    char rs_msg[256];    /* the first message ReadStat's error handler sent */
} sink;

/* ---- format names ---------------------------------------------------------------------- */

/* SAS formats whose values are days since 1960-01-01. */
static const char *const date_formats[] = {
    "DATE", "DAY", "DDMMYY", "DDMMYYB", "DDMMYYC", "DDMMYYD", "DDMMYYN", "DDMMYYP", "DDMMYYS",
    "DOWNAME", "E8601DA", "B8601DA", "EURDFDD", "EURDFDE", "EURDFDN", "EURDFDWN", "EURDFMN",
    "EURDFMY", "EURDFWDX", "EURDFWKX", "JULDAY", "JULIAN", "MINGUO", "MMDDYY", "MMDDYYB",
    "MMDDYYC", "MMDDYYD", "MMDDYYN", "MMDDYYP", "MMDDYYS", "MMYY", "MMYYC", "MMYYD", "MMYYN",
    "MMYYP", "MMYYS", "MONNAME", "MONTH", "MONYY", "NENGO", "NLDATE", "NLDATEL", "NLDATEM",
    "NLDATEMD", "NLDATEMDL", "NLDATEMDM", "NLDATEMDS", "NLDATEMN", "NLDATES", "NLDATEW",
    "NLDATEWN", "NLDATEYM", "NLDATEYML", "NLDATEYMM", "NLDATEYMS", "NLDATEYQ", "NLDATEYQL",
    "NLDATEYQM", "NLDATEYQS", "NLDATEYR", "NLDATEYW", "PDJULG", "PDJULI", "QTR", "QTRR",
    "WEEKDATE", "WEEKDATX", "WEEKDAY", "WEEKU", "WEEKV", "WEEKW", "WORDDATE", "WORDDATX",
    "XYYMMDD", "YEAR", "YYMM", "YYMMC", "YYMMD", "YYMMN", "YYMMP", "YYMMS", "YYMMDD", "YYMMDDB",
    "YYMMDDC", "YYMMDDD", "YYMMDDN", "YYMMDDP", "YYMMDDS", "YYMON", "YYQ", "YYQC", "YYQD",
    "YYQN", "YYQP", "YYQS", "YYQR", "YYQRC", "YYQRD", "YYQRN", "YYQRP", "YYQRS", "YYWEEKU",
    "YYWEEKV", "YYWEEKW", NULL
};

/* SAS formats whose values are seconds since 1960-01-01T00:00:00. */
static const char *const datetime_formats[] = {
    "DATETIME", "DATEAMPM", "DTDATE", "DTMONYY", "DTWKDATX", "DTYEAR", "DTYYQC", "E8601DN",
    "E8601DT", "E8601DX", "E8601DZ", "E8601LX", "B8601DN", "B8601DT", "B8601DX", "B8601DZ",
    "B8601LX", "EURDFDT", "MDYAMPM", "NLDATM", "NLDATMAP", "NLDATMDT", "NLDATML", "NLDATMM",
    "NLDATMMD", "NLDATMMDL", "NLDATMMDM", "NLDATMMDS", "NLDATMMN", "NLDATMS", "NLDATMTM",
    "NLDATMTZ", "NLDATMW", "NLDATMWN", "NLDATMWZ", "NLDATMYM", "NLDATMYML", "NLDATMYMM",
    "NLDATMYMS", "NLDATMYQ", "NLDATMYQL", "NLDATMYQM", "NLDATMYQS", "NLDATMYR", "NLDATMYW",
    "NLDATMZ", NULL
};

/* SAS formats whose values are seconds since midnight. */
static const char *const time_formats[] = {
    "TIME", "TIMEAMPM", "TOD", "HHMM", "HOUR", "MMSS", "E8601TM", "E8601TX", "E8601TZ",
    "E8601LZ", "B8601TM", "B8601TX", "B8601TZ", "B8601LZ", "NLTIME", "NLTIMAP", NULL
};

static int in_list(const char *const *list, const char *name)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], name) == 0) return 1;
    return 0;
}

/* The kind of a numeric variable from its format. ReadStat gives the format as name + width
   (+ "." + decimals): "DATE9", "E8601DA10", "8.2", "BEST". The name is what is left after
   dropping the decimals and the trailing width digits, upper-cased. */
static enum kind numeric_kind(const char *format)
{
    char name[64];
    size_t n = 0;
    if (!format) return K_NUM;
    for (const char *p = format; *p && *p != '.' && n < sizeof name - 1; p++)
        name[n++] = (char)toupper((unsigned char)*p);
    while (n > 0 && isdigit((unsigned char)name[n - 1])) n--;
    name[n] = '\0';
    if (n == 0) return K_NUM;
    if (in_list(date_formats, name)) return K_DATE;
    if (in_list(datetime_formats, name)) return K_DATETIME;
    if (in_list(time_formats, name)) return K_TIME;
    return K_NUM;
}

/* The format as SAS writes it: ReadStat's "DATE9" becomes "DATE9.", "$12" becomes "$12.";
   "8.2" already has its dot. NULL for no format. Newly allocated. */
static char *sas_format_text(const char *format, int *oom)
{
    *oom = 0;
    if (!format || !format[0]) return NULL;
    size_t n = strlen(format);
    char *s = carta_malloc(n + 2);
    if (!s) {
        *oom = 1;
        return NULL;
    }
    memcpy(s, format, n);
    if (!strchr(format, '.')) s[n++] = '.';
    s[n] = '\0';
    return s;
}

/* ---- strings --------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence starting at s (at most n bytes), or 0 when invalid
   (overlong forms, surrogates and code points above U+10FFFF are invalid). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && s[1] < 0xA0) return 0;  /* overlong */
        if (c == 0xED && s[1] >= 0xA0) return 0; /* surrogate */
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90) return 0;  /* overlong */
        if (c == 0xF4 && s[1] >= 0x90) return 0; /* above U+10FFFF */
        return 4;
    }
    return 0;
}

static int utf8_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        if (u[i] < 0x80) { i++; continue; }
        size_t k = utf8_seq(u + i, n - i);
        if (!k) return 0;
        i += k;
    }
    return 1;
}

/* WINDOWS-1252 bytes 0x80-0x9F as Unicode; the five unassigned bytes map to the C1 controls
   of the same value, as Windows' own conversion does. 0xA0-0xFF equal Latin-1. */
static const unsigned short cp1252_high[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178
};

/* Converts n WINDOWS-1252 bytes into UTF-8 in the sink's scratch buffer (at most 3 bytes per
   byte); *len gets the length. CARTA_ENOMEM. */
static int cp1252_to_utf8(sink *k, const char *s, size_t n, size_t *len)
{
    size_t need;
    if (carta_size_mul(n, 3, &need)) return CARTA_ENOMEM;
    if (need + 1 > k->scratch_cap) {
        char *p = carta_realloc(k->scratch, need + 1);
        if (!p) return CARTA_ENOMEM;
        k->scratch = p;
        k->scratch_cap = need + 1;
    }
    char *o = k->scratch;
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned char)s[i];
        if (c >= 0x80 && c < 0xA0) c = cp1252_high[c - 0x80];
        if (c < 0x80) {
            *o++ = (char)c;
        } else if (c < 0x800) {
            *o++ = (char)(0xC0 | (c >> 6));
            *o++ = (char)(0x80 | (c & 0x3F));
        } else {
            *o++ = (char)(0xE0 | (c >> 12));
            *o++ = (char)(0x80 | ((c >> 6) & 0x3F));
            *o++ = (char)(0x80 | (c & 0x3F));
        }
    }
    *o = '\0';
    *len = (size_t)(o - k->scratch);
    return CARTA_OK;
}

/* s as UTF-8: itself when valid, else its WINDOWS-1252 reading in the sink's scratch buffer
   (valid until the next conversion). NULL stays NULL; *oom is set when out of memory. */
static const char *utf8_text(sink *k, const char *s, int *oom)
{
    size_t n, len;
    *oom = 0;
    if (!s || utf8_valid(s, n = strlen(s))) return s;
    if (cp1252_to_utf8(k, s, n, &len)) {
        *oom = 1;
        return NULL;
    }
    return k->scratch;
}

/* ---- ReadStat callbacks ---------------------------------------------------------------- */

/* Records an error met inside a callback and tells ReadStat to stop. */
static int fail(sink *k, int code, long row, const char *field, const char *msg)
{
    carta_where at = { .file = k->shown, .row = row, .field = field };
    k->rc = carta_error_set(k->err, code, &at, "%s", msg);
    return READSTAT_HANDLER_ABORT;
}

static int on_metadata(readstat_metadata_t *m, void *ctx)
{
    sink *k = ctx;
    k->row_count = readstat_get_row_count(m);
    int nv = readstat_get_var_count(m);
    if (nv > 0) {
        k->vars = carta_calloc((size_t)nv, sizeof *k->vars);
        if (!k->vars) return fail(k, CARTA_ENOMEM, 0, NULL, "no memory for the variable list");
        k->cap_vars = (size_t)nv;
    }
    return READSTAT_HANDLER_OK;
}

static int on_variable(int index, readstat_variable_t *v, const char *val_labels, void *ctx)
{
    sink *k = ctx;
    (void)val_labels;
    int oom;
    /* XPORT names and labels carry no encoding either: the same UTF-8 / WINDOWS-1252 rule as
       for values. The name is copied by the table before the label reuses the buffer. */
    const char *name = utf8_text(k, readstat_variable_get_name(v), &oom);
    if (oom) return fail(k, CARTA_ENOMEM, 0, NULL, "no memory for a variable name");
    if (index < 0 || (size_t)index != k->nvars)
        return fail(k, CARTA_EDEP, 0, name, "ReadStat listed the variables out of order");
    if (k->nvars == k->cap_vars) {
        size_t cap = k->cap_vars ? k->cap_vars * 2 : 16;
        var_info *p = carta_realloc(k->vars, cap * sizeof *p);
        if (!p) return fail(k, CARTA_ENOMEM, 0, name, "no memory for the variable list");
        k->vars = p;
        k->cap_vars = cap;
    }
    const char *format = readstat_variable_get_format(v);
    enum kind kind = readstat_variable_get_type_class(v) == READSTAT_TYPE_CLASS_STRING
                         ? K_STR : numeric_kind(format);
    carta_type type = kind == K_STR ? CARTA_STR : kind == K_DATE ? CARTA_DATE : CARTA_F64;
    carta_column *c;
    int rc = carta_table_add_column(k->t, name ? name : "", type, &c, k->err);
    if (rc) {
        k->rc = rc;
        return READSTAT_HANDLER_ABORT;
    }
    name = NULL; /* it may point into the scratch buffer, which the label conversion reuses */
    k->vars[k->nvars].col = c;
    k->vars[k->nvars].kind = kind;
    k->nvars++;
    k->row_width += readstat_variable_get_storage_width(v);

    char *fmt = sas_format_text(format, &oom);
    const char *label = oom ? NULL : utf8_text(k, readstat_variable_get_label(v), &oom);
    if (oom || carta_column_set_meta(c, label && label[0] ? label : NULL, NULL, fmt)) {
        carta_free(fmt);
        return fail(k, CARTA_ENOMEM, 0, c->name, "no memory for the column metadata");
    }
    carta_free(fmt);
    if (k->row_count > 0) {
        size_t n = (size_t)k->row_count < RESERVE_CAP ? (size_t)k->row_count : RESERVE_CAP;
        if (carta_column_reserve(c, n))
            return fail(k, CARTA_ENOMEM, 0, c->name, "no memory for the column");
    }
    return READSTAT_HANDLER_OK;
}

static int push_string(sink *k, carta_column *c, const char *s, long row)
{
    size_t n = s ? strlen(s) : 0;
    while (n > 0 && s[n - 1] == ' ') n--; /* SAS pads with blanks; ReadStat trims, this is a guard */
    if (n > 0 && !utf8_valid(s, n)) {
        size_t len;
        if (cp1252_to_utf8(k, s, n, &len))
            return fail(k, CARTA_ENOMEM, row, c->name, "no memory for a string value");
        s = k->scratch;
        n = len;
    }
    if (carta_column_push_str(c, n ? s : "", n))
        return fail(k, CARTA_ENOMEM, row, c->name, "no memory for a string value");
    return READSTAT_HANDLER_OK;
}

static int on_value(int obs_index, readstat_variable_t *v, readstat_value_t val, void *ctx)
{
    sink *k = ctx;
    int i = readstat_variable_get_index(v);
    if (i < 0 || (size_t)i >= k->nvars)
        return fail(k, CARTA_EDEP, 0, NULL, "ReadStat gave a value of an unknown variable");
    var_info *vi = &k->vars[i];
    carta_column *c = vi->col;
    long row = (long)obs_index + 1;
    /* Values arrive row-major; a column that is not exactly at this row means ReadStat skipped
       or repeated something, and pushing on would misalign the table. */
    if (obs_index < 0 || (size_t)obs_index != c->n)
        return fail(k, CARTA_EDEP, row, c->name, "ReadStat delivered a value out of order");

    if (vi->kind == K_STR) return push_string(k, c, readstat_string_value(val), row);

    int rc;
    /* ".", ".A"-".Z" and "._" are all missing: carta has one kind of missing value. */
    if (readstat_value_is_system_missing(val) || readstat_value_is_tagged_missing(val)) {
        rc = carta_column_push_missing(c);
    } else {
        double d = readstat_double_value(val);
        switch (vi->kind) {
        case K_DATE:
            if (!isfinite(d) || fabs(d) > MAX_DATE_ABS) {
                char msg[96];
                snprintf(msg, sizeof msg, "date value %.17g is out of range", d);
                return fail(k, CARTA_EDATA, row, c->name, msg);
            }
            rc = carta_column_push_i64(c, (int64_t)floor(d) - SAS_EPOCH_DAYS);
            break;
        case K_DATETIME: rc = carta_column_push_f64(c, d - SAS_EPOCH_SECONDS); break;
        case K_TIME:
        case K_NUM:
        case K_STR:
        default: rc = carta_column_push_f64(c, d); break;
        }
    }
    if (rc) return fail(k, CARTA_ENOMEM, row, c->name, "no memory for a value");
    return READSTAT_HANDLER_OK;
}

static void on_error(const char *msg, void *ctx)
{
    sink *k = ctx;
    if (msg && !k->rs_msg[0]) {
        snprintf(k->rs_msg, sizeof k->rs_msg, "%s", msg);
        size_t n = strlen(k->rs_msg); /* ReadStat's messages end with a newline */
        while (n > 0 && (k->rs_msg[n - 1] == '\n' || k->rs_msg[n - 1] == ' ')) k->rs_msg[--n] = '\0';
    }
}

/* ---- file checks ----------------------------------------------------------------------- */

static const unsigned char sas7bdat_magic[32] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc2, 0xea, 0x81, 0x60,
    0xb3, 0x14, 0x11, 0xcf, 0xbd, 0x92, 0x08, 0x00, 0x09, 0xc7, 0x31, 0x8c, 0x18, 0x1f, 0x10, 0x11
};
static const char xport_lib[] = "HEADER RECORD*******LIB";     /* LIBRARY (v5) or LIBV8 */
static const char xport_member[] = "HEADER RECORD*******MEMB";  /* MEMBER or MEMBV8 */
static const char xport_obs[] = "HEADER RECORD*******OBS";      /* OBS or OBSV8 */

/* What the first bytes of a file that is not the expected SAS format look like, for the
   message. */
static const char *describe(const unsigned char *b, size_t n)
{
    if (n >= sizeof sas7bdat_magic && memcmp(b, sas7bdat_magic, sizeof sas7bdat_magic) == 0)
        return "it is a SAS7BDAT data set";
    if (n >= sizeof xport_lib - 1 && memcmp(b, xport_lib, sizeof xport_lib - 1) == 0)
        return "it is a SAS XPORT transport file";
    if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) return "it is gzip-compressed";
    size_t i = 0;
    if (n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) i = 3;
    while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n')) i++;
    if (i < n && (b[i] == '{' || b[i] == '[')) return "it looks like JSON";
    size_t printable = 0;
    for (size_t j = 0; j < n; j++)
        if (b[j] >= 0x20 || b[j] == '\t' || b[j] == '\r' || b[j] == '\n') printable++;
    if (n > 0 && printable == n) return "it looks like a text file (CSV?)";
    return "its first bytes match no SAS format";
}

/* Opens path into *out, checks it is a non-empty regular file and reads its first bytes. */
static int open_checked(const char *path, const char *shown, unsigned char *head, size_t *nhead,
                        long long *size, FILE **out, carta_error *err)
{
    carta_where at = { .file = shown };
    int rc = CARTA_OK;
    struct stat st;
    FILE *fp = fopen(path, "rb");
    if (!fp) return carta_error_set(err, CARTA_EIO, &at, "cannot open: %s", strerror(errno));
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = carta_error_set(err, CARTA_EIO, &at, "cannot read: not a regular file");
    } else if (st.st_size == 0) {
        rc = carta_error_set(err, CARTA_EDATA, &at, "the file is empty");
    } else {
        *size = (long long)st.st_size;
        *nhead = fread(head, 1, *nhead, fp);
        if (ferror(fp)) rc = carta_error_set(err, CARTA_EIO, &at, "cannot read: %s", strerror(errno));
    }
    if (rc) fclose(fp);
    else *out = fp;
    return rc;
}

/* The XPORT record layout: where the first member's data begins, and how many members there
   are. Every record boundary is checked, so this reads the file once. */
typedef struct xport_layout {
    long long size;
    long long data_start; /* offset of the first byte after the first OBS header; -1 if none */
    int members;
} xport_layout;

static int xport_scan(FILE *fp, const char *shown, xport_layout *lay, carta_error *err)
{
    carta_where at = { .file = shown };
    enum { CHUNK = 819 * XPORT_RECORD }; /* 65520 bytes: whole records */
    unsigned char *buf = carta_malloc(CHUNK);
    if (!buf) return carta_error_set(err, CARTA_ENOMEM, &at, "no memory to read the file");
    lay->data_start = -1;
    lay->members = 0;
    long long off = 0;
    int rc = CARTA_OK;
    if (fseek(fp, 0, SEEK_SET) != 0) {
        rc = carta_error_set(err, CARTA_EIO, &at, "cannot read: %s", strerror(errno));
        goto done;
    }
    for (;;) {
        size_t n = fread(buf, 1, CHUNK, fp);
        if (ferror(fp)) {
            rc = carta_error_set(err, CARTA_EIO, &at, "cannot read: %s", strerror(errno));
            goto done;
        }
        for (size_t r = 0; r + XPORT_RECORD <= n; r += XPORT_RECORD) {
            const unsigned char *rec = buf + r;
            if (rec[0] != 'H' || memcmp(rec, "HEADER RECORD*******", 20) != 0) continue;
            if (memcmp(rec, xport_member, sizeof xport_member - 1) == 0) lay->members++;
            else if (lay->data_start < 0 && memcmp(rec, xport_obs, sizeof xport_obs - 1) == 0)
                lay->data_start = off + (long long)r + XPORT_RECORD;
        }
        off += (long long)n;
        if (n < CHUNK) break;
    }
done:
    carta_free(buf);
    return rc;
}

/* After ReadStat is done: whatever follows the rows it delivered must be blank padding (or
   blank rows, which ReadStat drops at the end of a file); anything else is a row cut short. */
static int xport_check_tail(FILE *fp, const char *shown, const xport_layout *lay, size_t rows,
                            size_t width, carta_error *err)
{
    carta_where at = { .file = shown };
    if (width == 0 || lay->data_start < 0) return CARTA_OK;
    size_t used;
    if (carta_size_mul(rows, width, &used) || (unsigned long long)used > (unsigned long long)lay->size)
        return CARTA_OK;
    long long from = lay->data_start + (long long)used;
    if (from >= lay->size) return CARTA_OK;
    if (fseeko(fp, (off_t)from, SEEK_SET) != 0)
        return carta_error_set(err, CARTA_EIO, &at, "cannot read: %s", strerror(errno));
    long long left = lay->size - from;
    int c;
    while (left-- > 0 && (c = fgetc(fp)) != EOF) {
        if (c != ' ') {
            at.row = (long)rows + 1;
            return carta_error_set(err, CARTA_EDATA, &at,
                                   "the file is truncated: it ends inside row %zu (%lld bytes "
                                   "after the last whole row; rows are %zu bytes)",
                                   rows + 1, lay->size - from, width);
        }
    }
    if (ferror(fp)) return carta_error_set(err, CARTA_EIO, &at, "cannot read: %s", strerror(errno));
    return CARTA_OK;
}

/* ---- the driver ------------------------------------------------------------------------ */

static int read_sas(const char *path, const char *shown, int xport, carta_table **out,
                    carta_error *err)
{
    const char *what = xport ? "SAS XPORT" : "SAS7BDAT";
    unsigned char head[XPORT_RECORD];
    size_t nhead = sizeof head;
    xport_layout lay = { 0, -1, 0 };
    readstat_parser_t *p = NULL;
    sink k;
    int rc = CARTA_OK;

    *out = NULL;
    if (!shown) shown = path;
    memset(&k, 0, sizeof k);
    k.shown = shown;
    k.err = err;
    k.row_count = -1;
    carta_where at = { .file = shown };

    FILE *fp = NULL;
    if ((rc = open_checked(path, shown, head, &nhead, &lay.size, &fp, err))) return rc;

    /* The format is checked here, so that a mislabelled file gets a message saying what it is
       rather than ReadStat's generic "Invalid file". */
    int is_xport = nhead >= sizeof xport_lib - 1 && memcmp(head, xport_lib, sizeof xport_lib - 1) == 0;
    int is_sas7bdat = nhead >= sizeof sas7bdat_magic &&
                      memcmp(head, sas7bdat_magic, sizeof sas7bdat_magic) == 0;
    if (xport ? !is_xport : !is_sas7bdat) {
        rc = carta_error_set(err, CARTA_EDATA, &at, "not a %s file: %s", what, describe(head, nhead));
        goto done;
    }
    if (xport) {
        if (lay.size % XPORT_RECORD != 0) {
            rc = carta_error_set(err, CARTA_EDATA, &at,
                                 "the file is truncated: XPORT files are made of 80-byte records, "
                                 "but this one is %lld bytes (%lld past the last whole record)",
                                 lay.size, lay.size % XPORT_RECORD);
            goto done;
        }
        if ((rc = xport_scan(fp, shown, &lay, err))) goto done;
        if (lay.data_start < 0) {
            rc = carta_error_set(err, CARTA_EDATA, &at,
                                 "the file is truncated or damaged: the header ends before the "
                                 "observation (OBS) record");
            goto done;
        }
        if (lay.members > 1) {
            rc = carta_error_set(err, CARTA_EDATA, &at,
                                 "the file holds %d data sets (members); carta reads XPORT files "
                                 "with one", lay.members);
            goto done;
        }
    }

    if (!(k.t = carta_table_new(shown)) || !(p = readstat_parser_init())) {
        rc = carta_error_set(err, CARTA_ENOMEM, &at, "no memory for the table");
        goto done;
    }
    readstat_set_metadata_handler(p, on_metadata);
    readstat_set_variable_handler(p, on_variable);
    readstat_set_value_handler(p, on_value);
    readstat_set_error_handler(p, on_error);
    /* UTF-8 output is ReadStat's default; set it anyway, since carta's strings are UTF-8. */
    readstat_set_handler_character_encoding(p, "UTF-8");

    readstat_error_t e = xport ? readstat_parse_xport(p, path, &k) : readstat_parse_sas7bdat(p, path, &k);
    if (k.rc != CARTA_OK) {
        rc = k.rc;
        goto done;
    }
    if (e != READSTAT_OK) {
        const char *m = readstat_error_message(e);
        char detail[400];
        /* The handler's message often repeats the code's text with errno noise; keep it only
           when it says something else. */
        const char *said = k.rs_msg;
        if (strncmp(said, "ReadStat: ", 10) == 0) said += 10;
        int extra = said[0] && !(m && strncmp(said, m, strlen(m)) == 0);
        snprintf(detail, sizeof detail, "ReadStat: %s%s%s", m ? m : "unknown error",
                 extra ? "; " : "", extra ? said : "");
        if (e == READSTAT_ERROR_MALLOC)
            rc = carta_error_set(err, CARTA_ENOMEM, &at, "out of memory (%s)", detail);
        else if (e == READSTAT_ERROR_OPEN)
            rc = carta_error_set(err, CARTA_EIO, &at, "cannot open (%s)", detail);
        else if (e == READSTAT_ERROR_READ || e == READSTAT_ERROR_SEEK)
            rc = carta_error_set(err, CARTA_EDATA, &at, "the file is truncated or damaged (%s)", detail);
        else
            rc = carta_error_set(err, CARTA_EDATA, &at, "not a valid %s file, or damaged (%s)", what,
                                 detail);
        goto done;
    }
    if (k.nvars == 0) {
        rc = carta_error_set(err, CARTA_EDATA, &at, "the file holds no variables");
        goto done;
    }
    if ((rc = carta_table_check(k.t, err))) goto done;
    size_t rows = carta_table_nrows(k.t);
    if (k.row_count >= 0 && (size_t)k.row_count != rows) {
        rc = carta_error_set(err, CARTA_EDATA, &at, "the header promises %ld rows but %zu were read",
                             k.row_count, rows);
        goto done;
    }
    if (xport) rc = xport_check_tail(fp, shown, &lay, rows, k.row_width, err);

done:
    fclose(fp);
    if (p) readstat_parser_free(p);
    carta_free(k.vars);
    carta_free(k.scratch);
    if (rc == CARTA_OK) *out = k.t;
    else carta_table_free(k.t);
    return rc;
}

int carta_xpt_read(const char *path, const char *shown, carta_table **out, carta_error *err)
{
    return read_sas(path, shown, 1, out, err);
}

int carta_sas7bdat_read(const char *path, const char *shown, carta_table **out, carta_error *err)
{
    return read_sas(path, shown, 0, out, err);
}
