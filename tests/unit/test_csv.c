/* Unit tests of load/csv.c: RFC 4180 cases, encodings, separators, missing tokens, type
   inference and declared types, exact number conversion (against strtod), every bad input
   (code, row, column), thread-count invariance, fault injection, and the shared ADaM files. */
#include <carta/alloc.h>
#include <carta/csv.h>
#include <carta/error.h>
#include <carta/table.h>

#include "check.h"

#include <criterion/criterion.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A private temporary folder per test (tests run in parallel processes). */
static char tmp_dir[64];

/* Removes a file made with tmp_path, and the folder with it. */
static void tmp_remove(const char *path)
{
    unlink(path);
    if (tmp_dir[0]) rmdir(tmp_dir);
    tmp_dir[0] = '\0';
}

static const char *tmp_path(const char *name)
{
    static char path[160];
    if (!tmp_dir[0]) {
        snprintf(tmp_dir, sizeof tmp_dir, "/tmp/carta-csv-XXXXXX");
        cr_assert_not_null(mkdtemp(tmp_dir));
    }
    snprintf(path, sizeof path, "%s/%s", tmp_dir, name);
    return path;
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* Writes len bytes to t.csv and reads it with the options o (NULL = defaults); shown "t.csv". */
static int loadn(const char *data, size_t len, const carta_csv_options *o, carta_table **t, carta_error *err)
{
    const char *path = tmp_path("t.csv");
    write_file(path, data, len);
    carta_error_clear(err);
    *t = NULL;
    int rc = carta_csv_read(path, "t.csv", o, t, err);
    tmp_remove(path);
    return rc;
}

static int load(const char *text, const carta_csv_options *o, carta_table **t, carta_error *err)
{
    return loadn(text, strlen(text), o, t, err);
}

/* Loads text that must be read; the table is returned. */
static carta_table *must_load(const char *text, const carta_csv_options *o)
{
    carta_table *t;
    carta_error err;
    int rc = load(text, o, &t, &err);
    cr_assert_eq(rc, CARTA_OK, "load failed: %s", err.msg);
    return t;
}

/* Loads text that must fail with code, at row (0 = do not check) and column (NULL = none). */
static void must_fail(const char *data, size_t len, const carta_csv_options *o, int code, long row,
                      const char *field, const char *needle)
{
    carta_table *t;
    carta_error err;
    int rc = loadn(data, len, o, &t, &err);
    cr_assert_eq(rc, code, "expected code %d, got %d (%s)", code, rc, err.msg);
    cr_assert_null(t);
    cr_assert_eq(err.code, code);
    if (row) cr_assert_eq(err.row, row, "row %ld, expected %ld (%s)", err.row, row, err.msg);
    if (field) cr_assert_str_eq(err.field, field, "%s", err.msg);
    else cr_assert_str_eq(err.field, "", "%s", err.msg);
    cr_assert_str_eq(err.file, "t.csv");
    cr_assert(strncmp(err.msg, "t.csv", 5) == 0, "message does not start with the file: %s", err.msg);
    if (needle) cr_assert(strstr(err.msg, needle), "message \"%s\" lacks \"%s\"", err.msg, needle);
}

#define FAIL(text, code, row, field, needle) must_fail(text, sizeof(text) - 1, NULL, code, row, field, needle)

static const char *str_at(const carta_table *t, const char *col, size_t i)
{
    carta_column *c = carta_table_find(t, col);
    cr_assert_not_null(c, "no column %s", col);
    cr_assert_eq(c->type, CARTA_STR, "column %s is %s", col, carta_type_name(c->type));
    return carta_column_str(c, i);
}

static carta_column *col_of(const carta_table *t, const char *col, carta_type type)
{
    carta_column *c = carta_table_find(t, col);
    cr_assert_not_null(c, "no column %s", col);
    cr_assert_eq(c->type, type, "column %s is %s, expected %s", col, carta_type_name(c->type), carta_type_name(type));
    return c;
}

/* ------------------------------------------------------------------------------------------ */

Test(csv_rfc, quoted_fields_hold_separators_newlines_and_doubled_quotes)
{
    carta_table *t = must_load("a,b,c\n"
                               "\"x,y\",\"line1\nline2\",\"say \"\"hi\"\"\"\n"
                               "plain,\"\",\"\"\"\"\n",
                               NULL);
    cr_assert_eq(carta_table_nrows(t), 2);
    cr_assert_eq(carta_table_ncols(t), 3);
    cr_assert_str_eq(str_at(t, "a", 0), "x,y");
    cr_assert_str_eq(str_at(t, "b", 0), "line1\nline2");
    cr_assert_str_eq(str_at(t, "c", 0), "say \"hi\"");
    cr_assert_str_eq(str_at(t, "a", 1), "plain");
    cr_assert_null(str_at(t, "b", 1)); /* "" is the empty token: missing */
    cr_assert_str_eq(str_at(t, "c", 1), "\"");
    carta_table_free(t);
}

Test(csv_rfc, quoted_header_names_and_numbers)
{
    carta_table *t = must_load("\"A,1\",\"B\"\"\"\n\"12\",\"2.5\"\n3,4\n", NULL);
    carta_column *a = col_of(t, "A,1", CARTA_I64), *b = col_of(t, "B\"", CARTA_F64);
    cr_assert_eq(a->i64[0], 12);
    cr_assert_eq(a->i64[1], 3);
    cr_assert_eq(b->f64[0], 2.5);
    cr_assert_eq(b->f64[1], 4.0);
    carta_table_free(t);
}

Test(csv_rfc, rows_count_records_not_lines)
{
    /* The bad value is on the 5th line but in the 3rd record: data row 3 as a spreadsheet shows it. */
    const char text[] = "id,x\n1,\"a\nb\nc\"\n2,\"q\"z\n";
    must_fail(text, sizeof text - 1, NULL, CARTA_EDATA, 3, "x", "after a closing quote");
}

Test(csv_rfc, last_record_without_line_end_and_trailing_blank_lines)
{
    carta_table *t = must_load("a,b\n1,2", NULL);
    cr_assert_eq(carta_table_nrows(t), 1);
    carta_table_free(t);
    t = must_load("a,b\n1,2\n\n\r\n\n", NULL);
    cr_assert_eq(carta_table_nrows(t), 1);
    carta_table_free(t);
    /* A last empty field before the end. */
    t = must_load("a,b\n1,", NULL);
    cr_assert(carta_column_is_missing(carta_table_find(t, "b"), 0));
    carta_table_free(t);
}

Test(csv_format, strips_a_bom_and_reads_crlf)
{
    carta_table *t = must_load("\xEF\xBB\xBFid,name\r\n1,\"a\r\nb\"\r\n2,\xC3\xA9t\xC3\xA9\r\n", NULL);
    cr_assert_not_null(carta_table_find(t, "id"));
    carta_column *id = col_of(t, "id", CARTA_I64);
    cr_assert_eq(id->i64[1], 2);
    cr_assert_str_eq(str_at(t, "name", 0), "a\r\nb"); /* inside quotes CRLF is content */
    cr_assert_str_eq(str_at(t, "name", 1), "\xC3\xA9t\xC3\xA9");
    carta_table_free(t);
}

Test(csv_format, other_separators)
{
    carta_csv_options o;
    carta_csv_options_default(&o);
    o.sep = ';';
    carta_table *t = must_load("a;b\n1,5;\"x;y\"\n", &o);
    cr_assert_str_eq(str_at(t, "a", 0), "1,5");
    cr_assert_str_eq(str_at(t, "b", 0), "x;y");
    carta_table_free(t);
    o.sep = '\t';
    t = must_load("a\tb\n1\t2.5\n", &o);
    cr_assert_eq(col_of(t, "b", CARTA_F64)->f64[0], 2.5);
    carta_table_free(t);
    o.sep = '"';
    carta_error err;
    cr_assert_eq(load("a\n1\n", &o, &t, &err), CARTA_ECONFIG);
    o.sep = '.';
    cr_assert_eq(load("a\n1\n", &o, &t, &err), CARTA_ECONFIG);
    o.sep = ',';
    o.threads = -1;
    cr_assert_eq(load("a\n1\n", &o, &t, &err), CARTA_ECONFIG);
}

Test(csv_format, an_empty_line_is_a_missing_value_in_a_one_column_table)
{
    carta_table *t = must_load("x\n1\n\n3\n", NULL);
    carta_column *x = col_of(t, "x", CARTA_I64);
    cr_assert_eq(x->n, 3);
    cr_assert(carta_column_is_missing(x, 1));
    cr_assert_eq(x->n_missing, 1);
    cr_assert_eq(x->i64[2], 3);
    carta_table_free(t);
}

Test(csv_na, default_tokens_quoted_or_not)
{
    carta_table *t = must_load("x,s,d\n1,a,2020-01-01\nNA,NA,.\n.,\"NA\",\n,\"\",2020-01-03\n", NULL);
    carta_column *x = col_of(t, "x", CARTA_I64), *s = col_of(t, "s", CARTA_STR), *d = col_of(t, "d", CARTA_DATE);
    cr_assert_eq(x->n_missing, 3);
    cr_assert_eq(s->n_missing, 3);
    cr_assert_eq(d->n_missing, 2);
    cr_assert_eq(x->i64[1], 0); /* missing integers hold 0 (table.h) */
    cr_assert(carta_column_is_missing(d, 1) && carta_column_is_missing(d, 2) && !carta_column_is_missing(d, 3));
    cr_assert_eq(d->i64[3], 18264);
    cr_assert_eq(s->n_levels, 1);
    carta_table_free(t);
}

Test(csv_na, custom_tokens_including_a_number)
{
    const char *const na[] = { "-999", "missing", NULL };
    carta_csv_options o;
    carta_csv_options_default(&o);
    o.na = na;
    carta_table *t = must_load("x,s\n1.5,NA\n-999,missing\n,.\n", &o);
    carta_column *x = col_of(t, "x", CARTA_STR); /* "" is no longer missing: x has "" */
    cr_assert_eq(x->n_missing, 1);
    cr_assert(carta_column_is_missing(x, 1));
    cr_assert_str_eq(carta_column_str(x, 2), "");
    cr_assert_str_eq(str_at(t, "s", 0), "NA");
    cr_assert_str_eq(str_at(t, "s", 2), ".");
    carta_table_free(t);
    t = must_load("x\n1.5\n-999\n2\n", &o);
    x = col_of(t, "x", CARTA_F64);
    cr_assert(isnan(x->f64[1]) && carta_column_is_missing(x, 1));
    cr_assert_eq(x->f64[2], 2.0);
    carta_table_free(t);
}

Test(csv_types, inference_over_all_values)
{
    carta_table *t = must_load("i,n,d,s,m,e,big\n"
                               "1,1,2020-02-29,1,NA,NA,9007199254740993\n"
                               "-2,2.5,2021-12-31,x,NA,,1\n"
                               "+3,1e3,NA,2020-01-01,NA,.,-9223372036854775808\n"
                               " 4 ,-0,1970-01-01,3,NA,NA,0.5\n",
                               NULL);
    carta_column *i = col_of(t, "i", CARTA_I64);
    cr_assert_eq(i->i64[0], 1);
    cr_assert_eq(i->i64[1], -2);
    cr_assert_eq(i->i64[2], 3);
    cr_assert_eq(i->i64[3], 4);
    carta_column *n = col_of(t, "n", CARTA_F64);
    cr_assert_eq(n->f64[0], 1.0);
    cr_assert_eq(n->f64[2], 1000.0);
    cr_assert(n->f64[3] == 0.0 && signbit(n->f64[3]), "-0 keeps its sign");
    carta_column *d = col_of(t, "d", CARTA_DATE);
    cr_assert_eq(d->i64[0], 18321);
    cr_assert_eq(d->i64[3], 0);
    cr_assert(carta_column_is_missing(d, 2));
    col_of(t, "s", CARTA_STR);
    cr_assert_str_eq(str_at(t, "s", 2), "2020-01-01");
    carta_column *m = col_of(t, "m", CARTA_STR);
    cr_assert_eq(m->n_missing, 4);
    col_of(t, "e", CARTA_STR);
    carta_column *big = col_of(t, "big", CARTA_F64);
    cr_assert_eq(big->f64[0], strtod("9007199254740993", NULL));
    cr_assert_eq(big->f64[2], -9223372036854775808.0);
    carta_table_free(t);
}

Test(csv_types, inference_edge_literals)
{
    /* "1e" and "NaN" and "0x10" and "1e400" are not numbers; ".5" and "5." are. */
    const char *cases[][2] = { { "x\n1\n1e\n", "string" },   { "x\n1\nNaN\n", "string" },
                               { "x\n1\n0x10\n", "string" }, { "x\n1\n1e400\n", "string" },
                               { "x\n.5\n5.\n", "number" },  { "x\n1\n-0\n", "number" },
                               { "x\n1\n99999999999999999999\n", "number" },
                               { "x\n2020-01-01\n1\n", "string" }, { "x\n2020-01-01T10:00\n", "string" },
                               { "x\n2020-02-30\n", "string" }, { "x\n\"1\"\"\"\n", "string" } };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        carta_table *t = must_load(cases[k][0], NULL);
        cr_expect_str_eq(carta_type_name(carta_table_column(t, 0)->type), cases[k][1], "case %zu", k);
        carta_table_free(t);
    }
}

Test(csv_types, declared_types)
{
    const char *names[] = { "a", "b", "c", "d", "e", "absent" };
    const carta_type types[] = { CARTA_F64, CARTA_I64, CARTA_BOOL, CARTA_DATE, CARTA_STR, CARTA_I64 };
    carta_csv_options o;
    carta_csv_options_default(&o);
    o.n_types = 6;
    o.type_names = names;
    o.types = types;
    carta_table *t = must_load("a,b,c,d,e\n"
                               "1,-0,true,2020-01-01T10:30,007\n"
                               " 2.5 ,\" 3 \",FALSE,2020-01-02,1.5\n"
                               "NA,NA,1,NA,NA\n"
                               "-1e-2,9223372036854775807,0,1969-12-31,\"\"\"q\"\"\"\n",
                               &o);
    carta_column *a = col_of(t, "a", CARTA_F64), *b = col_of(t, "b", CARTA_I64), *c = col_of(t, "c", CARTA_BOOL),
                 *d = col_of(t, "d", CARTA_DATE);
    cr_assert_eq(a->f64[0], 1.0);
    cr_assert_eq(a->f64[1], 2.5);
    cr_assert(isnan(a->f64[2]) && carta_column_is_missing(a, 2));
    cr_assert_eq(a->f64[3], strtod("-1e-2", NULL));
    cr_assert_eq(b->i64[0], 0);
    cr_assert_eq(b->i64[1], 3);
    cr_assert_eq(b->i64[3], INT64_MAX);
    cr_assert_eq(c->i64[0], 1);
    cr_assert_eq(c->i64[1], 0);
    cr_assert_eq(c->i64[2], 1);
    cr_assert_eq(c->i64[3], 0);
    cr_assert_eq(d->i64[0], 18262);
    cr_assert_eq(d->i64[3], -1);
    cr_assert_str_eq(str_at(t, "e", 0), "007");
    cr_assert_str_eq(str_at(t, "e", 1), "1.5");
    cr_assert_null(str_at(t, "e", 2));
    cr_assert_str_eq(str_at(t, "e", 3), "\"q\"");
    cr_assert_null(carta_table_find(t, "absent"));
    carta_table_free(t);
}

/* Tiny deterministic generator for test data (not for statistics). */
static uint64_t next_u64(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A random decimal literal in one of several shapes, some inside the exact fast path, some
   just outside it (many digits, large exponents, subnormals, halfway-looking cases). */
static int random_literal(uint64_t *s, char *buf, size_t cap)
{
    uint64_t r = next_u64(s);
    const char *sign = (r & 1) ? "-" : "";
    uint64_t m = next_u64(s);
    switch ((r >> 1) % 8) {
    case 0: return snprintf(buf, cap, "%s%" PRIu64, sign, m % 10000000);
    case 1: return snprintf(buf, cap, "%s%" PRIu64 ".%06" PRIu64, sign, m % 100000, (m >> 20) % 1000000);
    case 2: return snprintf(buf, cap, "%s%.17g", sign, (double)(m >> 11) * 0x1p-53 * 1000.0);
    case 3: return snprintf(buf, cap, "%s%" PRIu64 "e%d", sign, m % UINT64_C(100000000000), (int)((r >> 8) % 60) - 30);
    case 4: return snprintf(buf, cap, "%s0.%019" PRIu64 "%05" PRIu64, sign, m % UINT64_C(10000000000000000000), r % 100000);
    case 5: return snprintf(buf, cap, "%s%" PRIu64 "e-%d", sign, m % 1000, 300 + (int)((r >> 8) % 26));
    case 6: return snprintf(buf, cap, "%s9007199254740993.%d", sign, (int)((r >> 9) % 10));
    default: return snprintf(buf, cap, "%s%" PRIu64 ".%" PRIu64 "e%d", sign, m % 1000, (m >> 30) % 1000,
                             (int)((r >> 8) % 44) - 22);
    }
}

Test(csv_types, numbers_are_exactly_what_strtod_gives)
{
    enum { N = 20000 };
    static char text[N * 96 + 16];
    static double want[N];
    uint64_t s = 88172645463325252ULL;
    size_t o = (size_t)snprintf(text, sizeof text, "x,y\n");
    for (size_t i = 0; i < N; i++) {
        char lit[40];
        random_literal(&s, lit, sizeof lit);
        want[i] = strtod(lit, NULL);
        o += (size_t)snprintf(text + o, sizeof text - o, "%s,%s\n", lit, lit);
    }
    const char *names[] = { "y" };
    const carta_type types[] = { CARTA_F64 };
    carta_csv_options opt;
    carta_csv_options_default(&opt);
    opt.n_types = 1;
    opt.type_names = names;
    opt.types = types;
    carta_table *t = must_load(text, &opt);
    carta_column *x = col_of(t, "x", CARTA_F64), *y = col_of(t, "y", CARTA_F64);
    for (size_t i = 0; i < N; i++) {
        cr_assert(memcmp(&x->f64[i], &want[i], 8) == 0, "row %zu: %.17g vs strtod %.17g", i, x->f64[i], want[i]);
        cr_assert(memcmp(&y->f64[i], &want[i], 8) == 0, "row %zu: %.17g vs strtod %.17g", i, y->f64[i], want[i]);
    }
    carta_table_free(t);
}

Test(csv_types, a_long_literal_at_the_very_end_of_a_page_sized_file)
{
    /* 4096 bytes, no final line end, the last field a 200-character literal that only strtod
       converts: it is read in place up to the end of the file. */
    static char text[4097];
    size_t o = 0;
    memcpy(text, "x\n", 2);
    o = 2;
    for (size_t k = 0; k < 1947; k++, o += 2) memcpy(text + o, "1\n", 2);
    char lit[201];
    memcpy(lit, "0.", 2);
    memset(lit + 2, '0', 197);
    lit[199] = '7';
    lit[200] = '\0';
    memcpy(text + o, lit, 200);
    o += 200;
    cr_assert_eq(o, 4096);
    carta_table *t;
    carta_error err;
    cr_assert_eq(loadn(text, o, NULL, &t, &err), CARTA_OK, "%s", err.msg);
    carta_column *x = col_of(t, "x", CARTA_F64);
    cr_assert_eq(x->n, 1948);
    cr_assert_eq(x->f64[1947], strtod(lit, NULL));
    cr_assert_eq(x->f64[0], 1.0);
    carta_table_free(t);
}

/* ------------------------------------------------------------------------------------------ */
/* Bad input: code, row (header = 1), column. */

Test(csv_bad, empty_file_and_header_only)
{
    FAIL("", CARTA_EDATA, 0, NULL, "empty file");
    FAIL("\xEF\xBB\xBF\n\n", CARTA_EDATA, 0, NULL, "empty file");
    FAIL("a,b\n", CARTA_EDATA, 1, NULL, "no data rows");
    FAIL("a,b", CARTA_EDATA, 1, NULL, "no data rows");
}

Test(csv_bad, ragged_rows)
{
    FAIL("a,b,c\n1,2,3\n4,5\n", CARTA_EDATA, 3, NULL, "row has 2 fields, expected 3");
    FAIL("a,b,c\n1,2,3\n4,5,6,7,8\n", CARTA_EDATA, 3, NULL, "row has 5 fields, expected 3");
    FAIL("a,b\n1,2\n\n3,4\n", CARTA_EDATA, 3, NULL, "row has 1 field, expected 2");
}

Test(csv_bad, unterminated_quote_names_the_row_where_it_opened)
{
    FAIL("a,b\n1,2\n3,\"x\n4,5\n6,7\n", CARTA_EDATA, 3, "b", "quote opened at line 3");
}

Test(csv_bad, stray_quotes_and_bare_cr)
{
    FAIL("a,b\n1,x\"y\n", CARTA_EDATA, 2, "b", "quote inside an unquoted field");
    FAIL("a,b\n1,\"x\"y\n", CARTA_EDATA, 2, "b", "after a closing quote");
    FAIL("a,b\n1,2\r3,4\n", CARTA_EDATA, 2, "b", "carriage return");
    FAIL("a,b\n1,1e5\r3,4\n", CARTA_EDATA, 2, "b", "carriage return");
}

Test(csv_bad, invalid_utf8_and_nul)
{
    FAIL("a,b\n1,ok\n2,x\xFFy\n", CARTA_EDATA, 3, "b", "invalid UTF-8 (byte 0xFF at offset 12)");
    FAIL("a,b\n1,\"\xC3\"\n", CARTA_EDATA, 2, "b", "invalid UTF-8 (byte 0xC3 at offset 7)");
    FAIL("a,b\n1,\xED\xA0\x80\n", CARTA_EDATA, 2, "b", "invalid UTF-8"); /* a surrogate */
    FAIL("a,b\n1,\xC0\xAF\n", CARTA_EDATA, 2, "b", "invalid UTF-8");     /* overlong */
    FAIL("a,b\n1,2\n3,x\0y\n", CARTA_EDATA, 3, "b", "NUL byte at offset 11");
    FAIL("a,\xFF\n1,2\n", CARTA_EDATA, 1, NULL, "invalid UTF-8");
}

Test(csv_bad, long_values_are_cut_in_messages_and_four_byte_utf8_is_valid)
{
    const char *names[] = { "x" };
    const carta_type types[] = { CARTA_F64 };
    carta_csv_options o;
    carta_csv_options_default(&o);
    o.n_types = 1;
    o.type_names = names;
    o.types = types;
    char buf[400];
    snprintf(buf, sizeof buf, "x\n1\n%s\n", "\xF0\x9F\x98\x80 is a smile and this value goes on far longer than sixty bytes of text");
    must_fail(buf, strlen(buf), &o, CARTA_EDATA, 3, "x", "\"\xF0\x9F\x98\x80 is a smile and this value goes on far longer than sixty...\" is not a number");
    FAIL("a,b\n1,\xF5\x80\x80\x80\n", CARTA_EDATA, 2, "b", "invalid UTF-8 (byte 0xF5");
    FAIL("a,b\n1,\xF4\x90\x80\x80\n", CARTA_EDATA, 2, "b", "invalid UTF-8 (byte 0xF4"); /* above U+10FFFF */
    FAIL("a,b\n1,2,x\"y\n", CARTA_EDATA, 2, NULL, "row has more than 2 fields");
    carta_table *t = must_load("s\n\xF0\x9F\x98\x80\n\"\xF4\x8F\xBF\xBF\"\n", NULL);
    cr_assert_str_eq(str_at(t, "s", 0), "\xF0\x9F\x98\x80");
    cr_assert_str_eq(str_at(t, "s", 1), "\xF4\x8F\xBF\xBF");
    carta_table_free(t);
}

Test(csv_na, a_token_with_a_quote_matches_the_unquoted_content)
{
    const char *const na[] = { "a\"b", NULL };
    carta_csv_options o;
    carta_csv_options_default(&o);
    o.na = na;
    carta_table *t = must_load("s\n\"a\"\"b\"\n\"a\"\"c\"\n\"a\"\"bc\"\n", &o);
    carta_column *c = col_of(t, "s", CARTA_STR);
    cr_assert(carta_column_is_missing(c, 0));
    cr_assert_str_eq(carta_column_str(c, 1), "a\"c");
    cr_assert_str_eq(carta_column_str(c, 2), "a\"bc");
    carta_table_free(t);
}

Test(csv_bad, bad_header_names)
{
    FAIL("a,b,a\n1,2,3\n", CARTA_EDATA, 1, "a", "duplicate column name (columns 1 and 3");
    FAIL("a,,c\n1,2,3\n", CARTA_EDATA, 1, NULL, "column 2 of the header has an empty name");
    FAIL("a,b,\n1,2,3\n", CARTA_EDATA, 1, NULL, "column 3 of the header has an empty name");
}

Test(csv_bad, values_not_of_the_declared_type)
{
    const char *names[] = { "AVAL", "N", "B", "D" };
    const carta_type types[] = { CARTA_F64, CARTA_I64, CARTA_BOOL, CARTA_DATE };
    carta_csv_options o;
    carta_csv_options_default(&o);
    o.n_types = 4;
    o.type_names = names;
    o.types = types;
    const char *ok = "AVAL,N,B,D\n1,1,true,2020-01-01\n";
    char buf[256];
    snprintf(buf, sizeof buf, "%s\"12,5\",3,true,2020-01-03\n", ok);
    must_fail(buf, strlen(buf), &o, CARTA_EDATA, 3, "AVAL", "t.csv:3: column AVAL: \"12,5\" is not a number");
    snprintf(buf, sizeof buf, "%s1e999,1,true,2020-01-01\n", ok);
    must_fail(buf, strlen(buf), &o, CARTA_EDATA, 3, "AVAL", "overflows");
    snprintf(buf, sizeof buf, "%s1,1.5,true,2020-01-01\n", ok);
    must_fail(buf, strlen(buf), &o, CARTA_EDATA, 3, "N", "\"1.5\" is not an integer");
    snprintf(buf, sizeof buf, "%s1,9223372036854775808,true,2020-01-01\n", ok);
    must_fail(buf, strlen(buf), &o, CARTA_EDATA, 3, "N", "in the 64-bit range");
    snprintf(buf, sizeof buf, "%s1,1,yes,2020-01-01\n", ok);
    must_fail(buf, strlen(buf), &o, CARTA_EDATA, 3, "B", "\"yes\" is not a boolean");
    snprintf(buf, sizeof buf, "%s1,1,true,2020-13-01\n", ok);
    must_fail(buf, strlen(buf), &o, CARTA_EDATA, 3, "D", "\"2020-13-01\" is not a date");
    snprintf(buf, sizeof buf, "%s,\"a\nb\",true,2020-01-01\n", ok);
    must_fail(buf, strlen(buf), &o, CARTA_EDATA, 3, "N", "\"a\\nb\" is not an integer");
}

Test(csv_bad, io_errors)
{
    carta_table *t = NULL;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_csv_read("/nonexistent/x.csv", "x.csv", NULL, &t, &err), CARTA_EIO);
    cr_assert_null(t);
    cr_assert(strstr(err.msg, "x.csv: cannot open"), "%s", err.msg);
    carta_error_clear(&err);
    cr_assert_eq(carta_csv_read("/tmp", NULL, NULL, &t, &err), CARTA_EIO);
    cr_assert(strstr(err.msg, "/tmp: is a folder"), "%s", err.msg);
}

/* ------------------------------------------------------------------------------------------ */
/* Threads */

/* Writes a few-MB file whose columns change inferred type part-way, so that chunks disagree:
   id (integer), x (integers then decimals: number), y (decimals with NA), d (dates), s
   (strings, some quoted with separators, newlines and quotes), m (integers then one string at
   the end: string), z (all missing), big (integers beyond 2^53 then one decimal). */
static void write_mixed(const char *path, size_t n, double *y_want, size_t bad_row, const char *bad)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    fputs("id,x,y,d,s,m,z,big\n", f);
    uint64_t s = 0x9E3779B97F4A7C15ULL;
    static const char *const words[] = { "alpha", "\"be,ta\"", "\"ga\nmma\"", "\"de\"\"lta\"", "NA", "eps" };
    for (size_t i = 0; i < n; i++) {
        uint64_t r = next_u64(&s);
        char y[40];
        if (r % 17 == 0) {
            strcpy(y, "NA");
            y_want[i] = NAN;
        } else {
            random_literal(&s, y, sizeof y);
            y_want[i] = strtod(y, NULL);
        }
        if (i == bad_row) fputs(bad, f);
        char x[32];
        if (i < n * 2 / 5) snprintf(x, sizeof x, "%" PRIu64, r % 1000);
        else snprintf(x, sizeof x, "%" PRIu64 ".%" PRIu64, r % 1000, (r >> 12) % 100);
        int64_t day = (int64_t)(r >> 20) % 40000 - 10000, yy;
        unsigned mm, dd;
        carta_civil_from_days(day, &yy, &mm, &dd);
        char d[16];
        if (r % 23 == 0) strcpy(d, "");
        else snprintf(d, sizeof d, "%04d-%02u-%02u", (int)yy, mm, dd);
        char m[16];
        if (i == n - 3) strcpy(m, "abc");
        else snprintf(m, sizeof m, "%" PRIu64, (r >> 7) % 50);
        char big[32];
        if (i == n / 2 + 7) strcpy(big, "0.25");
        else snprintf(big, sizeof big, "%" PRIu64, (UINT64_C(1) << 53) + (r >> 40));
        fprintf(f, "%zu,%s,%s,%s,%s,%s,%s,%s%s", i + 1, x, y, d, words[(r >> 33) % 6], m, i % 2 ? "NA" : "",
                big, i % 3 ? "\n" : "\r\n");
    }
    fclose(f);
}

static void same_tables(const carta_table *a, const carta_table *b)
{
    cr_assert_eq(carta_table_ncols(a), carta_table_ncols(b));
    cr_assert_eq(carta_table_nrows(a), carta_table_nrows(b));
    size_t n = carta_table_nrows(a);
    for (size_t j = 0; j < carta_table_ncols(a); j++) {
        const carta_column *x = carta_table_column(a, j), *y = carta_table_column(b, j);
        cr_assert_str_eq(x->name, y->name);
        cr_assert_eq(x->type, y->type, "column %s", x->name);
        cr_assert_eq(x->n_missing, y->n_missing, "column %s", x->name);
        cr_assert_eq(x->missing == NULL, y->missing == NULL);
        if (x->missing) cr_assert(memcmp(x->missing, y->missing, (n + 7) / 8) == 0, "column %s", x->name);
        switch (x->type) {
        case CARTA_F64: cr_assert(memcmp(x->f64, y->f64, n * 8) == 0, "column %s", x->name); break;
        case CARTA_I64:
        case CARTA_BOOL:
        case CARTA_DATE: cr_assert(memcmp(x->i64, y->i64, n * 8) == 0, "column %s", x->name); break;
        case CARTA_STR:
            cr_assert(memcmp(x->code, y->code, n * 4) == 0, "column %s", x->name);
            cr_assert_eq(x->n_levels, y->n_levels);
            for (size_t k = 0; k < x->n_levels; k++) cr_assert_str_eq(x->levels[k], y->levels[k]);
            break;
        }
    }
}

Test(csv_threads, results_do_not_depend_on_the_thread_count)
{
    enum { N = 60000 };
    static double y_want[N];
    const char *path = tmp_path("mixed.csv");
    write_mixed(path, N, y_want, SIZE_MAX, NULL);
    carta_table *ref = NULL;
    const int counts[] = { 1, 2, 3, 4, 7, 16 };
    for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
        carta_csv_options o;
        carta_csv_options_default(&o);
        o.threads = counts[k];
        carta_table *t = NULL;
        carta_error err;
        carta_error_clear(&err);
        cr_assert_eq(carta_csv_read(path, "mixed.csv", &o, &t, &err), CARTA_OK, "%s", err.msg);
        if (!ref) {
            ref = t;
            continue;
        }
        same_tables(ref, t);
        carta_table_free(t);
    }
    tmp_remove(path);
    /* The reference itself, against what was written. */
    cr_assert_eq(carta_table_nrows(ref), N);
    carta_column *id = col_of(ref, "id", CARTA_I64), *y = col_of(ref, "y", CARTA_F64);
    for (size_t i = 0; i < N; i++) {
        cr_assert_eq(id->i64[i], (int64_t)i + 1);
        if (isnan(y_want[i])) cr_assert(carta_column_is_missing(y, i) && isnan(y->f64[i]));
        else cr_assert(memcmp(&y->f64[i], &y_want[i], 8) == 0, "row %zu", i);
    }
    col_of(ref, "x", CARTA_F64);
    col_of(ref, "d", CARTA_DATE);
    carta_column *s = col_of(ref, "s", CARTA_STR);
    cr_assert_eq(s->n_levels, 5);
    cr_assert_geq(carta_column_level(s, "ga\nmma"), 0);
    cr_assert_geq(carta_column_level(s, "de\"lta"), 0);
    cr_assert_geq(carta_column_level(s, "be,ta"), 0);
    carta_column *m = col_of(ref, "m", CARTA_STR);
    cr_assert_str_eq(carta_column_str(m, N - 3), "abc");
    cr_assert_eq(col_of(ref, "z", CARTA_STR)->n_missing, N);
    carta_column *big = col_of(ref, "big", CARTA_F64);
    cr_assert_eq(big->f64[N / 2 + 7], 0.25);
    carta_table_free(ref);
}

Test(csv_threads, an_error_is_reported_in_file_order_whatever_the_thread_count)
{
    enum { N = 40000 };
    static double y_want[N];
    const char *path = tmp_path("bad.csv");
    write_mixed(path, N, y_want, SIZE_MAX, NULL);
    /* Append a bad row at the end and put a second one near the start: the first wins. */
    FILE *f = fopen(path, "ab");
    fputs("1,2,3\n", f);
    fclose(f);
    for (int th = 1; th <= 4; th++) {
        carta_csv_options o;
        carta_csv_options_default(&o);
        o.threads = th;
        carta_table *t = NULL;
        carta_error err;
        carta_error_clear(&err);
        cr_assert_eq(carta_csv_read(path, "bad.csv", &o, &t, &err), CARTA_EDATA);
        cr_assert_eq(err.row, N + 2, "threads %d: %s", th, err.msg);
        cr_assert(strstr(err.msg, "row has 3 fields, expected 8"), "%s", err.msg);
    }
    tmp_remove(path);
}

/* ------------------------------------------------------------------------------------------ */

Test(csv_fault, every_failed_allocation_ends_in_enomem_without_leaks)
{
    const char *text = "id,name,x,d,flag,empty\n"
                       "1,\"a \"\"b\"\"\",1.5,2020-01-01,true,NA\n"
                       "2,c,NA,2020-01-02,false,NA\n"
                       "3,\"multi\nline\",2,NA,1,NA\n";
    const char *path = tmp_path("fault.csv");
    write_file(path, text, strlen(text));
    const char *names[] = { "flag" };
    const carta_type types[] = { CARTA_BOOL };
    carta_csv_options o;
    carta_csv_options_default(&o);
    o.threads = 1; /* the fault-injection switch is not thread-safe */
    o.n_types = 1;
    o.type_names = names;
    o.types = types;
    int ok = 0;
    for (long k = 1; k < 500 && !ok; k++) {
        carta_table *t = NULL;
        carta_error err;
        carta_error_clear(&err);
        carta_alloc_fail_at(k);
        int rc = carta_csv_read(path, "fault.csv", &o, &t, &err);
        carta_alloc_fail_at(0);
        if (rc == CARTA_OK) {
            ok = 1;
            cr_assert_eq(carta_table_nrows(t), 3);
            cr_assert_str_eq(str_at(t, "name", 0), "a \"b\"");
            carta_table_free(t);
        } else {
            cr_assert_eq(rc, CARTA_ENOMEM, "k=%ld: %d %s", k, rc, err.msg);
            cr_assert_null(t);
        }
    }
    cr_assert(ok, "never succeeded");
    tmp_remove(path);
}

/* ------------------------------------------------------------------------------------------ */

Test(csv_shared, reads_the_pharmaverse_adam_files)
{
    const char *adsl = shared_path("data/pharmaverseadam-onco/adsl.csv");
    if (!adsl) cr_skip_test("shared data absent");
    carta_table *t = NULL;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_csv_read(adsl, "adsl.csv", NULL, &t, &err), CARTA_OK, "%s", err.msg);
    /* Counts from shared/data/README.md. */
    cr_assert_eq(carta_table_nrows(t), 306);
    cr_assert_eq(carta_table_ncols(t), 55);
    col_of(t, "USUBJID", CARTA_STR);
    col_of(t, "AGE", CARTA_I64);
    carta_column *trtsdt = carta_table_find(t, "TRTSDT");
    cr_assert_not_null(trtsdt);
    cr_assert_eq(trtsdt->type, CARTA_DATE);
    cr_assert_str_eq(str_at(t, "USUBJID", 0), "01-701-1015");
    cr_assert_eq(trtsdt->i64[0], carta_days_from_civil(2014, 1, 2));
    carta_table_free(t);

    const char *adtte = shared_path("data/pharmaverseadam-onco/adtte_onco.csv");
    cr_assert_not_null(adtte);
    carta_error_clear(&err);
    cr_assert_eq(carta_csv_read(adtte, "adtte_onco.csv", NULL, &t, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(carta_table_nrows(t), 512);
    cr_assert_eq(carta_table_ncols(t), 20);
    carta_column *aval = carta_table_find(t, "AVAL");
    cr_assert_not_null(aval);
    cr_assert_eq(carta_column_number(aval, 0), 182.0);
    carta_column *cnsr = col_of(t, "CNSR", CARTA_I64);
    int events = 0;
    carta_column *paramcd = col_of(t, "PARAMCD", CARTA_STR);
    for (size_t i = 0; i < 512; i++)
        if (strcmp(carta_column_str(paramcd, i), "OS") == 0 && cnsr->i64[i] == 0) events++;
    cr_assert_eq(events, 3); /* README: OS has 3 events */
    carta_table_free(t);
}

/* A bad row in the middle: whatever the cuts between threads (misplaced after a stray quote),
   the error is the one a serial read reports. */
static void same_error_for_every_thread_count(const char *bad, const char *needle)
{
    enum { N = 40000 };
    static double y_want[N];
    const char *path = tmp_path("mid.csv");
    write_mixed(path, N, y_want, N / 3, bad);
    carta_error first;
    carta_error_clear(&first);
    for (int th = 1; th <= 5; th++) {
        carta_csv_options o;
        carta_csv_options_default(&o);
        o.threads = th;
        carta_table *t = NULL;
        carta_error err;
        carta_error_clear(&err);
        cr_assert_eq(carta_csv_read(path, "mid.csv", &o, &t, &err), CARTA_EDATA, "threads %d", th);
        cr_assert_null(t);
        if (th == 1) {
            first = err;
            cr_assert(strstr(err.msg, needle), "%s", err.msg);
            cr_assert_geq(err.row, N / 3 + 2, "%s", err.msg);
        } else {
            cr_assert_str_eq(err.msg, first.msg, "threads %d", th);
            cr_assert_eq(err.row, first.row);
        }
    }
    tmp_remove(path);
}

Test(csv_threads, a_stray_quote_mid_file_gives_the_serial_error)
{
    same_error_for_every_thread_count("1,2,3,2020-01-01,x\"y,1,,1\n", "quote inside an unquoted field");
}

Test(csv_threads, a_quote_opened_mid_file_gives_the_serial_error)
{
    /* The quote opened here closes at the next quote of a later row; what follows it is the
       error a serial read finds, far from the place where the threads' cuts were made. */
    same_error_for_every_thread_count("1,2,3,2020-01-01,\"open,1,,1\n", "after a closing quote");
}

Test(csv_threads, random_corruptions_read_the_same_on_any_thread_count)
{
    /* Files of 130-280 kB built from rows with quotes, NA, -0, dates and CRLF, then 1-3 bytes
       replaced, inserted or deleted (quotes, separators, line ends, NUL, 0xFF, ...): the
       outcome (table, or error code and message) must not depend on the thread count. */
    static const char *const rows[] = { "1,2.5,\"a,b\",2020-01-01\n", "2,NA,\"x\"\"y\",2020-02-30\n",
                                        "3,-0,\"multi\nline\",\n",      "4,1e5,plain,2021-12-31\r\n",
                                        "5,.5,\"\",NA\n",               "6,7,q,2020-01-02\n" };
    static const char alpha[] = ",\"\n\ra1.-e N\0\xff";
    static char buf[300000];
    uint64_t s = 20261129;
    const char *path = tmp_path("fuzz.csv");
    int loaded = 0, failed = 0;
    for (int it = 0; it < 60; it++) {
        size_t o = (size_t)sprintf(buf, "id,x,s,d\n");
        size_t target = 130000 + next_u64(&s) % 150000;
        while (o < target) {
            const char *r = rows[next_u64(&s) % 6];
            memcpy(buf + o, r, strlen(r));
            o += strlen(r);
        }
        for (int m = 0, muts = 1 + (int)(next_u64(&s) % 3); m < muts; m++) {
            size_t pos = next_u64(&s) % o;
            char c = alpha[next_u64(&s) % (sizeof alpha - 1)];
            switch (next_u64(&s) % 3) {
            case 0: buf[pos] = c; break;
            case 1: memmove(buf + pos + 1, buf + pos, o - pos); buf[pos] = c; o++; break;
            default: memmove(buf + pos, buf + pos + 1, o - pos - 1); o--; break;
            }
        }
        write_file(path, buf, o);
        carta_table *t1 = NULL, *tk = NULL;
        carta_error e1, ek;
        carta_error_clear(&e1);
        carta_error_clear(&ek);
        carta_csv_options opt;
        carta_csv_options_default(&opt);
        opt.threads = 1;
        int r1 = carta_csv_read(path, "fuzz.csv", &opt, &t1, &e1);
        opt.threads = 2 + (int)(next_u64(&s) % 4);
        int rk = carta_csv_read(path, "fuzz.csv", &opt, &tk, &ek);
        cr_assert_eq(r1, rk, "iteration %d, %d threads: %s | %s", it, opt.threads, e1.msg, ek.msg);
        cr_assert_str_eq(e1.msg, ek.msg, "iteration %d, %d threads", it, opt.threads);
        if (r1 == CARTA_OK) {
            same_tables(t1, tk);
            loaded++;
        } else {
            cr_assert_eq(r1, CARTA_EDATA, "%s", e1.msg);
            failed++;
        }
        carta_table_free(t1);
        carta_table_free(tk);
    }
    tmp_remove(path);
    cr_assert(loaded > 0 && failed > 0, "%d loaded, %d failed: both outcomes should occur", loaded, failed);
}
