/* Unit tests of the SAS readers (src/load/xpt.c): XPORT and SAS7BDAT.
   - A hand-built XPORT file (written here byte by byte, with its own IBM-float encoder, so the
     expected values do not come from ReadStat): types, dates, special missing values, blanks,
     WINDOWS-1252 text, truncation at every interesting length, fault injection.
   - The CDISC pilot ADaM .xpt files against R's foreign::read.xport
     (tests/reference/sas/xport.json, written by make_sas.R).
   - The haven .sas7bdat fixtures against the values haven's own tests state.
   - Mislabelled, empty, missing and truncated files. */
#include <carta/alloc.h>
#include <carta/error.h>
#include <carta/table.h>
#include <carta/xpt.h>

#include "check.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------------------------- */

static char tmpdir[64];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/carta-xpt-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

static const char *tmp_path(const char *name)
{
    static char p[2][256];
    static int k;
    k ^= 1;
    snprintf(p[k], sizeof p[k], "%s/%s", tmpdir, name);
    return p[k];
}

static void write_bytes(const char *path, const void *b, size_t n)
{
    FILE *fp = fopen(path, "wb");
    cr_assert_not_null(fp);
    cr_assert_eq(fwrite(b, 1, n, fp), n);
    fclose(fp);
}

static unsigned char *read_all(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    cr_assert_not_null(fp, "cannot open %s", path);
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    cr_assert_eq(fread(b, 1, (size_t)len, fp), (size_t)len);
    fclose(fp);
    *n = (size_t)len;
    return b;
}

static int64_t days(int y, unsigned m, unsigned d) { return carta_days_from_civil(y, m, d); }

static carta_column *col(const carta_table *t, const char *name)
{
    carta_column *c = carta_table_find(t, name);
    cr_assert_not_null(c, "no column %s", name);
    return c;
}

/* ---- a hand-built XPORT v5 file ------------------------------------------------------------ */

/* IBM System/360 double: sign bit, 7-bit excess-64 exponent of 16, 56-bit fraction in
   [1/16, 1). Written here from the format's definition, independently of ReadStat. */
static void ibm_double(double x, unsigned char out[8])
{
    memset(out, 0, 8);
    if (x == 0) return;
    int sign = x < 0, e = 0;
    if (sign) x = -x;
    while (x >= 1) { x /= 16; e++; }
    while (x < 1.0 / 16) { x *= 16; e--; }
    uint64_t m = (uint64_t)ldexp(x, 56);
    out[0] = (unsigned char)((sign << 7) | (e + 64));
    for (int i = 7; i >= 1; i--) { out[i] = (unsigned char)(m & 0xff); m >>= 8; }
}

typedef struct xvar {
    const char *name, *label, *format;
    int chr;        /* 1 = character */
    int len;        /* storage length */
    int fmt_width;
} xvar;

typedef struct xbuf {
    unsigned char *b;
    size_t n, cap;
} xbuf;

static void put(xbuf *x, const void *p, size_t n)
{
    if (x->n + n > x->cap) {
        x->cap = (x->n + n) * 2 + 1024;
        x->b = realloc(x->b, x->cap);
    }
    memcpy(x->b + x->n, p, n);
    x->n += n;
}

/* A blank-padded text field. */
static void put_text(xbuf *x, const char *s, size_t width)
{
    char f[256];
    memset(f, ' ', width);
    memcpy(f, s, strlen(s) < width ? strlen(s) : width);
    put(x, f, width);
}

static void pad80(xbuf *x)
{
    while (x->n % 80) put(x, " ", 1);
}

static void put_be16(unsigned char *p, int v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static void put_member(xbuf *x, const char *dsname, const xvar *v, int nv)
{
    put_text(x, "HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!000000000000000001600000000140", 80);
    put_text(x, "HEADER RECORD*******DSCRPTR HEADER RECORD!!!!!!!000000000000000000000000000000", 80);
    char rec[81];
    snprintf(rec, sizeof rec, "SAS     %-8sSASDATA 9.4     X64_7PRO                        01JAN24:00:00:00",
             dsname);
    put_text(x, rec, 80);
    snprintf(rec, sizeof rec, "01JAN24:00:00:00                %-40s        ", "Hand-built test data");
    put_text(x, rec, 80);
    snprintf(rec, sizeof rec, "HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!000000%04d00000000000000000000", nv);
    put_text(x, rec, 80);
    int pos = 0;
    for (int i = 0; i < nv; i++) {
        unsigned char ns[140];
        memset(ns, 0, sizeof ns);
        put_be16(ns + 0, v[i].chr ? 2 : 1);
        put_be16(ns + 4, v[i].len);
        put_be16(ns + 6, i + 1);
        memset(ns + 8, ' ', 8 + 40 + 8);
        memcpy(ns + 8, v[i].name, strlen(v[i].name));
        memcpy(ns + 16, v[i].label, strlen(v[i].label));
        memcpy(ns + 56, v[i].format, strlen(v[i].format));
        put_be16(ns + 64, v[i].fmt_width);
        memset(ns + 72, ' ', 8);
        ns[84] = (unsigned char)(pos >> 24);
        ns[85] = (unsigned char)(pos >> 16);
        ns[86] = (unsigned char)(pos >> 8);
        ns[87] = (unsigned char)pos;
        pos += v[i].len;
        put(x, ns, sizeof ns);
    }
    pad80(x);
    put_text(x, "HEADER RECORD*******OBS     HEADER RECORD!!!!!!!000000000000000000000000000000", 80);
}

static void put_library(xbuf *x)
{
    put_text(x, "HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!000000000000000000000000000000", 80);
    put_text(x, "SAS     SAS     SASLIB  9.4     X64_7PRO                        01JAN24:00:00:00", 80);
    put_text(x, "01JAN24:00:00:00", 80);
}

/* A numeric cell: a value, or a missing value written as SAS does (the letter, then zeros). */
static void put_num(xbuf *x, double v, char missing)
{
    unsigned char b[8];
    if (missing) {
        memset(b, 0, 8);
        b[0] = (unsigned char)missing;
    } else {
        ibm_double(v, b);
    }
    put(x, b, 8);
}

static const xvar hand_vars[] = {
    { "ID", "Subject", "", 1, 8, 0 },
    { "AGE", "Age in years", "", 0, 8, 3 },
    { "TRTSDT", "Start date", "DATE", 0, 8, 9 },
    { "ADTM", "Analysis datetime", "DATETIME", 0, 8, 20 },
    { "NOTE", "Remarque \xE9" "crite", "$", 1, 12, 12 }, /* a WINDOWS-1252 label */
    { "X", "", "", 0, 8, 0 },
};

/* Three rows: values, "." and the special missing values .A and ._, a blank string, a
   WINDOWS-1252 e-acute (0xE9), UTF-8 text, dates before and after 1960. */
static xbuf hand_xpt(int members)
{
    xbuf x = { 0 };
    put_library(&x);
    for (int m = 0; m < members; m++) {
        put_member(&x, m ? "SECOND" : "HAND", hand_vars, 6);
        put_text(&x, "S1", 8);
        put_num(&x, 63, 0);
        put_num(&x, 19725, 0);        /* SAS day: 2014-01-02 */
        put_num(&x, 1738507332, 0);   /* SAS seconds: 2015-02-02T14:42:12 */
        put_text(&x, "Caf\xE9", 12);
        put_num(&x, 2.5, 0);

        put_text(&x, "S2", 8);
        put_num(&x, 0, '.');
        put_num(&x, -4124, 0);        /* 1948-09-16 */
        put_num(&x, 0, '.');
        put_text(&x, "", 12);
        put_num(&x, 0, 'A');

        put_text(&x, "S3", 8);
        put_num(&x, -0.125, 0);
        put_num(&x, 0, '.');
        put_num(&x, 0, 0);            /* 1960-01-01T00:00:00 */
        put_text(&x, "na\xC3\xAFve", 12);
        put_num(&x, 0, '_');
        pad80(&x);
    }
    return x;
}

static void check_hand_table(const carta_table *t)
{
    cr_assert_eq(carta_table_nrows(t), 3);
    cr_assert_eq(carta_table_ncols(t), 6);
    carta_column *id = col(t, "ID"), *age = col(t, "AGE"), *dt = col(t, "TRTSDT"),
                 *dtm = col(t, "ADTM"), *note = col(t, "NOTE"), *x = col(t, "X");
    cr_expect_eq(id->type, CARTA_STR);
    cr_expect_str_eq(carta_column_str(id, 0), "S1");
    cr_expect_str_eq(carta_column_str(id, 2), "S3");
    cr_expect_str_eq(id->label, "Subject");
    cr_expect_null(id->format);

    cr_expect_eq(age->type, CARTA_F64);
    cr_expect_str_eq(age->format, "3.");
    cr_expect_eq(age->f64[0], 63.0);
    cr_expect(carta_column_is_missing(age, 1));
    cr_expect_eq(age->f64[2], -0.125);

    cr_expect_eq(dt->type, CARTA_DATE);
    cr_expect_str_eq(dt->format, "DATE9.");
    cr_expect_eq(dt->i64[0], days(2014, 1, 2));
    cr_expect_eq(dt->i64[1], days(1948, 9, 16));
    cr_expect(carta_column_is_missing(dt, 2));

    cr_expect_eq(dtm->type, CARTA_F64);
    cr_expect_str_eq(dtm->format, "DATETIME20.");
    cr_expect_eq(dtm->f64[0], (double)days(2015, 2, 2) * 86400 + 14 * 3600 + 42 * 60 + 12);
    cr_expect(carta_column_is_missing(dtm, 1));
    cr_expect_eq(dtm->f64[2], (double)days(1960, 1, 1) * 86400);

    cr_expect_eq(note->type, CARTA_STR);
    cr_expect_str_eq(note->format, "$12.");
    cr_expect_str_eq(note->label, "Remarque \xC3\xA9" "crite");
    cr_expect_str_eq(carta_column_str(note, 0), "Caf\xC3\xA9"); /* WINDOWS-1252 -> UTF-8 */
    cr_expect_str_eq(carta_column_str(note, 1), "");            /* blank: empty, not missing */
    cr_expect_str_eq(carta_column_str(note, 2), "na\xC3\xAFve"); /* UTF-8 kept */
    cr_expect_eq(note->n_missing, 0);

    cr_expect_null(x->label);
    cr_expect_eq(x->f64[0], 2.5);
    cr_expect(carta_column_is_missing(x, 1)); /* .A */
    cr_expect(carta_column_is_missing(x, 2)); /* ._ */
    cr_expect_eq(x->n_missing, 2);
}

Test(xpt, reads_a_hand_built_file_with_every_kind_of_value)
{
    make_tmpdir();
    xbuf x = hand_xpt(1);
    write_bytes(tmp_path("hand.xpt"), x.b, x.n);
    carta_table *t = NULL;
    carta_error err;
    carta_error_clear(&err);
    int rc = carta_xpt_read(tmp_path("hand.xpt"), "hand.xpt", &t, &err);
    cr_assert_eq(rc, CARTA_OK, "%s", err.msg);
    cr_assert_str_eq(carta_table_source(t), "hand.xpt");
    check_hand_table(t);
    carta_table_free(t);
    free(x.b);
    remove_tmpdir();
}

Test(xpt, refuses_a_file_with_two_members)
{
    make_tmpdir();
    xbuf x = hand_xpt(2);
    write_bytes(tmp_path("two.xpt"), x.b, x.n);
    carta_table *t = NULL;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_xpt_read(tmp_path("two.xpt"), "two.xpt", &t, &err), CARTA_EDATA);
    cr_assert_null(t);
    cr_expect(strstr(err.msg, "2 data sets"), "%s", err.msg);
    free(x.b);
    remove_tmpdir();
}

/* Every cut of the hand-built file is an error or (for the cuts that are indistinguishable
   from a complete file: at the end of the header, with no rows) a table of fewer rows; never a
   crash, and never a table with a half row. */
Test(xpt, every_truncation_of_a_small_file_is_an_error_or_whole_rows)
{
    make_tmpdir();
    xbuf x = hand_xpt(1);
    size_t data_start = x.n - 160; /* 3 rows of 52 bytes, padded to 160 */
    for (size_t len = 0; len < x.n; len++) {
        write_bytes(tmp_path("cut.xpt"), x.b, len);
        carta_table *t = NULL;
        carta_error err;
        carta_error_clear(&err);
        int rc = carta_xpt_read(tmp_path("cut.xpt"), "cut.xpt", &t, &err);
        if (rc == CARTA_OK) {
            /* Only a cut at the end of the header leaves a valid (empty) file. */
            cr_expect_eq(len, data_start, "cut at %zu accepted", len);
            cr_expect_eq(carta_table_nrows(t), 0);
            carta_table_free(t);
            continue;
        }
        cr_expect_eq(rc, CARTA_EDATA, "cut at %zu: %s", len, err.msg);
        cr_expect_null(t);
        cr_expect_str_eq(err.file, "cut.xpt");
        cr_expect(strncmp(err.msg, "cut.xpt", 7) == 0, "%s", err.msg);
        if (len > data_start && len % 80 == 0)
            cr_expect_eq(err.row, (long)((len - data_start) / 52 + 1), "cut at %zu: %s", len, err.msg);
    }
    free(x.b);
    remove_tmpdir();
}

/* Fault injection: the k-th allocation fails, for every k until the read succeeds. Each run
   ends in CARTA_ENOMEM or CARTA_OK, with nothing leaked (the sanitizer build checks). */
Test(xpt, every_failed_allocation_ends_in_enomem)
{
    make_tmpdir();
    xbuf x = hand_xpt(1);
    write_bytes(tmp_path("hand.xpt"), x.b, x.n);
    int ok = 0;
    for (long k = 1; k < 10000 && !ok; k++) {
        carta_table *t = NULL;
        carta_error err;
        carta_error_clear(&err);
        carta_alloc_fail_at(k);
        int rc = carta_xpt_read(tmp_path("hand.xpt"), "hand.xpt", &t, &err);
        carta_alloc_fail_at(0);
        if (rc == CARTA_OK) {
            check_hand_table(t);
            carta_table_free(t);
            ok = 1;
        } else {
            cr_assert_eq(rc, CARTA_ENOMEM, "k=%ld: %s", k, err.msg);
            cr_assert_null(t);
        }
    }
    cr_assert(ok);
    free(x.b);
    remove_tmpdir();
}

/* ---- the CDISC pilot files against R's foreign ---------------------------------------------- */

/* The format name without width and decimals, as foreign's lookup.xport gives it: "$12." ->
   "$", "DATE9." -> "DATE", "3." -> "". */
static void format_name(const char *f, char *out, size_t cap)
{
    size_t n = 0;
    for (; f && *f && *f != '.' && n + 1 < cap; f++) out[n++] = *f;
    while (n > 0 && out[n - 1] >= '0' && out[n - 1] <= '9') n--;
    out[n] = '\0';
}

Test(xpt, pilot_adam_files_match_r_foreign)
{
    if (!shared_dir()) cr_skip_test("../shared/data is absent: pilot XPORT files not tested");
    cJSON *ref = ref_load("tests/reference/sas/xport.json");
    double tol_sum = ref_tol(ref, "sum"), tol_value = ref_tol(ref, "value");
    const cJSON *ds;
    cJSON_ArrayForEach(ds, cJSON_GetObjectItem(ref, "datasets"))
    {
        char rel[256], path[4096];
        snprintf(rel, sizeof rel, "data/%s", cJSON_GetObjectItem(ds, "file")->valuestring);
        const char *p = shared_path(rel);
        if (!p) cr_skip_test("%s is absent", rel);
        snprintf(path, sizeof path, "%s", p);
        carta_table *t = NULL;
        carta_error err;
        carta_error_clear(&err);
        cr_assert_eq(carta_xpt_read(path, rel, &t, &err), CARTA_OK, "%s", err.msg);
        cr_assert_eq(carta_table_nrows(t), (size_t)cJSON_GetObjectItem(ds, "nrow")->valueint, "%s", rel);
        cr_assert_eq(carta_table_ncols(t), (size_t)cJSON_GetObjectItem(ds, "ncol")->valueint, "%s", rel);
        size_t j = 0;
        const cJSON *rc;
        cJSON_ArrayForEach(rc, cJSON_GetObjectItem(ds, "columns"))
        {
            carta_column *c = carta_table_column(t, j++);
            const char *name = cJSON_GetObjectItem(rc, "name")->valuestring;
            cr_assert_str_eq(c->name, name, "%s column %zu", rel, j);
            const char *label = cJSON_GetObjectItem(rc, "label")->valuestring;
            cr_expect_str_eq(c->label ? c->label : "", label, "%s %s label", rel, name);
            char fname[64];
            format_name(c->format, fname, sizeof fname);
            const char *rformat = cJSON_GetObjectItem(rc, "format")->valuestring;
            cr_expect_str_eq(fname, rformat, "%s %s format %s", rel, name, c->format ? c->format : "-");
            const cJSON *head = cJSON_GetObjectItem(rc, "head");
            if (strcmp(cJSON_GetObjectItem(rc, "type")->valuestring, "character") == 0) {
                cr_assert_eq(c->type, CARTA_STR, "%s %s", rel, name);
                size_t blank = 0;
                for (size_t i = 0; i < c->n; i++) blank += carta_column_str(c, i)[0] == '\0';
                cr_expect_eq(blank, (size_t)cJSON_GetObjectItem(rc, "n_blank")->valueint, "%s %s blanks", rel, name);
                cr_expect_eq(c->n_levels, (size_t)cJSON_GetObjectItem(rc, "n_distinct")->valueint,
                             "%s %s distinct", rel, name);
                cr_expect_eq(c->n_missing, 0);
                for (size_t i = 0; i < 3; i++)
                    cr_expect_str_eq(carta_column_str(c, i), cJSON_GetArrayItem(head, (int)i)->valuestring,
                                     "%s %s row %zu", rel, name, i + 1);
            } else {
                /* A numeric is a date exactly when its format is a date format. */
                int is_date = strcmp(rformat, "DATE") == 0;
                cr_assert_eq(c->type, is_date ? CARTA_DATE : CARTA_F64, "%s %s", rel, name);
                double shift = is_date ? 3653.0 : 0.0, sum = 0;
                size_t miss = 0;
                for (size_t i = 0; i < c->n; i++) {
                    if (carta_column_is_missing(c, i)) miss++;
                    else sum += carta_column_number(c, i) + shift;
                }
                cr_expect_eq(miss, (size_t)cJSON_GetObjectItem(rc, "n_missing")->valueint, "%s %s missing", rel, name);
                cr_expect(check_rel(sum, cJSON_GetObjectItem(rc, "sum")->valuedouble, tol_sum, "%s %s sum", rel, name));
                for (size_t i = 0; i < 3; i++) {
                    const cJSON *h = cJSON_GetArrayItem(head, (int)i);
                    double want = cJSON_IsNumber(h) ? h->valuedouble : (double)NAN;
                    double got = carta_column_number(c, i) + shift;
                    cr_expect(check_rel(got, want, tol_value, "%s %s row %zu", rel, name, i + 1));
                }
            }
        }
        carta_table_free(t);
    }
    cJSON_Delete(ref);
}

/* Cuts of a real file: mid-header, mid-NAMESTR, mid-record (both off and on an 80-byte
   boundary), and one byte short. */
Test(xpt, truncated_pilot_file_is_a_data_error_naming_the_row)
{
    const char *p = shared_path("data/cdisc-pilot/adam/adsl.xpt");
    if (!p) cr_skip_test("../shared/data is absent: adsl.xpt not tested");
    make_tmpdir();
    size_t n;
    unsigned char *b = read_all(p, &n);
    /* adsl.xpt: header up to byte 7600, then 254 rows of 434 bytes, padded to 117840. */
    const size_t cuts[] = { 1, 40, 80, 400, 1000, 3000, 7560, 7601, 7600 + 80 * 3, 10000,
                            117760, 117839 };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        write_bytes(tmp_path("adsl.xpt"), b, cuts[i]);
        carta_table *t = NULL;
        carta_error err;
        carta_error_clear(&err);
        int rc = carta_xpt_read(tmp_path("adsl.xpt"), "adsl.xpt", &t, &err);
        cr_expect_eq(rc, CARTA_EDATA, "cut at %zu: rc %d %s", cuts[i], rc, err.msg);
        cr_expect_null(t);
        cr_expect_str_eq(err.file, "adsl.xpt");
        if (cuts[i] == 7600 + 80 * 3) cr_expect_eq(err.row, 1, "%s", err.msg);
        if (cuts[i] == 117760) cr_expect_eq(err.row, 254, "%s", err.msg);
        carta_table_free(t);
    }
    free(b);
    remove_tmpdir();
}

/* ---- mislabelled, empty, missing -------------------------------------------------------- */

static void expect_error(int rc, int want, const carta_error *err, const char *file, const char *text)
{
    cr_expect_eq(rc, want, "rc %d: %s", rc, err->msg);
    cr_expect_str_eq(err->file, file);
    if (text) cr_expect(strstr(err->msg, text), "message lacks \"%s\": %s", text, err->msg);
}

Test(xpt, mislabelled_empty_and_missing_files_are_named_errors)
{
    make_tmpdir();
    carta_table *t = NULL;
    carta_error err;

    write_bytes(tmp_path("csv.xpt"), "STUDYID,USUBJID\nX,1\n", 20);
    carta_error_clear(&err);
    expect_error(carta_xpt_read(tmp_path("csv.xpt"), "csv.xpt", &t, &err), CARTA_EDATA, &err, "csv.xpt",
                 "not a SAS XPORT file: it looks like a text file");
    write_bytes(tmp_path("json.xpt"), "{\"columns\": []}", 15);
    carta_error_clear(&err);
    expect_error(carta_xpt_read(tmp_path("json.xpt"), "json.xpt", &t, &err), CARTA_EDATA, &err,
                 "json.xpt", "looks like JSON");
    write_bytes(tmp_path("empty.xpt"), "", 0);
    carta_error_clear(&err);
    expect_error(carta_xpt_read(tmp_path("empty.xpt"), "empty.xpt", &t, &err), CARTA_EDATA, &err,
                 "empty.xpt", "empty");
    carta_error_clear(&err);
    expect_error(carta_sas7bdat_read(tmp_path("empty.xpt"), "empty.sas7bdat", &t, &err), CARTA_EDATA,
                 &err, "empty.sas7bdat", "empty");
    carta_error_clear(&err);
    expect_error(carta_xpt_read(tmp_path("nothere.xpt"), "nothere.xpt", &t, &err), CARTA_EIO, &err,
                 "nothere.xpt", "cannot open");
    carta_error_clear(&err);
    expect_error(carta_sas7bdat_read(tmpdir, "folder", &t, &err), CARTA_EIO, &err, "folder",
                 "not a regular file");

    /* An XPORT file named .sas7bdat, and the reverse. */
    xbuf x = hand_xpt(1);
    write_bytes(tmp_path("x.sas7bdat"), x.b, x.n);
    carta_error_clear(&err);
    expect_error(carta_sas7bdat_read(tmp_path("x.sas7bdat"), "x.sas7bdat", &t, &err), CARTA_EDATA, &err,
                 "x.sas7bdat", "not a SAS7BDAT file: it is a SAS XPORT transport file");
    free(x.b);
    const char *p = shared_path("data/sas7bdat-fixtures/iris.sas7bdat");
    if (p) {
        carta_error_clear(&err);
        expect_error(carta_xpt_read(p, "iris.xpt", &t, &err), CARTA_EDATA, &err, "iris.xpt",
                     "not a SAS XPORT file: it is a SAS7BDAT data set");
    }
    cr_expect_null(t);
    /* shown = NULL names the path itself. */
    carta_error_clear(&err);
    carta_xpt_read(tmp_path("csv.xpt"), NULL, &t, &err);
    cr_expect_str_eq(err.file, tmp_path("csv.xpt"));
    remove_tmpdir();
}

/* ---- SAS7BDAT fixtures (values from haven's tests/testthat/test-read-sas.R) ------------------ */

static carta_table *read_fixture(const char *name)
{
    char rel[128];
    snprintf(rel, sizeof rel, "data/sas7bdat-fixtures/%s", name);
    const char *p = shared_path(rel);
    if (!p) return NULL;
    carta_table *t = NULL;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_sas7bdat_read(p, name, &t, &err), CARTA_OK, "%s", err.msg);
    return t;
}

Test(sas7bdat, hadley_reads_8_by_7_with_labels_blanks_and_missing)
{
    carta_table *t = read_fixture("hadley.sas7bdat");
    if (!t) cr_skip_test("../shared/data is absent: hadley.sas7bdat not tested");
    cr_assert_eq(carta_table_nrows(t), 8);
    cr_assert_eq(carta_table_ncols(t), 7);
    const char *names[] = { "id", "workshop", "gender", "q1", "q2", "q3", "q4" };
    for (size_t j = 0; j < 7; j++) cr_expect_str_eq(carta_table_column(t, j)->name, names[j]);
    carta_column *g = col(t, "gender");
    cr_expect_null(g->label); /* haven: attr(df$gender, "label") is NULL */
    cr_expect_str_eq(col(t, "q1")->label, "The instructor was well prepared");
    cr_expect_eq(g->type, CARTA_STR);
    cr_expect_str_eq(carta_column_str(g, 0), "f");
    cr_expect_str_eq(carta_column_str(g, 3), ""); /* the blank gender: empty, not missing */
    cr_expect_str_eq(carta_column_str(g, 7), "m");
    cr_expect_eq(g->n_missing, 0);
    carta_column *q3 = col(t, "q3");
    cr_expect_eq(q3->n_missing, 1);
    cr_expect(carta_column_is_missing(q3, 3));
    carta_column *id = col(t, "id");
    for (size_t i = 0; i < 8; i++) cr_expect_eq(id->f64[i], (double)(i + 1));
    cr_expect_str_eq(col(t, "workshop")->format, "WORKSHOP.");
    carta_table_free(t);
}

Test(sas7bdat, datetime_maps_dates_datetimes_and_times_including_before_1960)
{
    carta_table *t = read_fixture("datetime.sas7bdat");
    if (!t) cr_skip_test("../shared/data is absent: datetime.sas7bdat not tested");
    cr_assert_eq(carta_table_nrows(t), 4);
    cr_assert_eq(carta_table_ncols(t), 5);
    carta_column *v1 = col(t, "VAR1"), *v5 = col(t, "VAR5");
    /* haven: VAR1[1] == ISOdatetime(2015, 02, 02, 14, 42, 12, "UTC"). */
    cr_expect_eq(v1->type, CARTA_F64);
    cr_expect_str_eq(v1->format, "DATETIME.");
    cr_expect_eq(v1->f64[0], (double)days(2015, 2, 2) * 86400 + 14 * 3600 + 42 * 60 + 12);
    /* haven: VAR2..VAR4[1] == as.Date("2015-02-02") with formats MMDDYY, DATE, WEEKDATE. */
    const char *dnames[] = { "VAR2", "VAR3", "VAR4" };
    for (size_t k = 0; k < 3; k++) {
        carta_column *c = col(t, dnames[k]);
        cr_expect_eq(c->type, CARTA_DATE, "%s", dnames[k]);
        cr_expect_eq(c->i64[0], days(2015, 2, 2), "%s", dnames[k]);
        /* Row 4 is SAS day -4124: R's as.Date(-4124, origin = "1960-01-01") = 1948-09-16. */
        cr_expect_eq(c->i64[3], days(1948, 9, 16), "%s", dnames[k]);
    }
    /* Row 4 of VAR1 is -356840880 SAS seconds: R gives 1948-09-09 21:32:00 UTC. */
    cr_expect_eq(v1->f64[3], (double)days(1948, 9, 9) * 86400 + 21 * 3600 + 32 * 60);
    /* haven: VAR5[1] == hms::hms(52932); a time stays seconds since midnight. */
    cr_expect_eq(v5->type, CARTA_F64);
    cr_expect_str_eq(v5->format, "TIME.");
    cr_expect_eq(v5->f64[0], 52932.0);
    carta_table_free(t);
}

Test(sas7bdat, tagged_missing_values_are_missing)
{
    carta_table *t = read_fixture("tagged-na.sas7bdat");
    if (!t) cr_skip_test("../shared/data is absent: tagged-na.sas7bdat not tested");
    cr_assert_eq(carta_table_nrows(t), 8);
    carta_column *x = col(t, "x");
    /* haven: na_tag(x) == c(rep(NA, 5), "A", "H", "Z"). */
    for (size_t i = 0; i < 5; i++) {
        cr_expect(!carta_column_is_missing(x, i));
        cr_expect_eq(x->f64[i], (double)(i + 1));
    }
    for (size_t i = 5; i < 8; i++) cr_expect(carta_column_is_missing(x, i));
    cr_expect_eq(x->n_missing, 3);
    carta_table_free(t);
}

Test(sas7bdat, iris_spans_pages_and_matches_r_iris)
{
    carta_table *t = read_fixture("iris.sas7bdat");
    if (!t) cr_skip_test("../shared/data is absent: iris.sas7bdat not tested");
    cJSON *ref = ref_load("tests/reference/sas/xport.json");
    const cJSON *iris = cJSON_GetObjectItem(ref, "iris");
    size_t n;
    double *sums = ref_doubles(iris, "sums", &n);
    cr_assert_eq(carta_table_nrows(t), (size_t)cJSON_GetObjectItem(iris, "n")->valueint);
    cr_assert_eq(carta_table_ncols(t), 5);
    for (size_t j = 0; j < 4; j++) {
        carta_column *c = carta_table_column(t, j);
        double s = 0;
        for (size_t i = 0; i < c->n; i++) s += c->f64[i];
        cr_expect(check_rel(s, sums[j], ref_tol(ref, "sum"), "iris %s sum", c->name));
    }
    carta_column *sp = col(t, "Species");
    cr_assert_eq(sp->n_levels, 3);
    const cJSON *lv;
    size_t k = 0;
    /* The fixture stores Species with a width of 6 bytes (its own NAMESTR says so, and the
       file's bytes read "versic", "virgin"), so R's level names are compared cut to 6. */
    cJSON_ArrayForEach(lv, cJSON_GetObjectItem(iris, "species"))
    {
        char want[7];
        snprintf(want, sizeof want, "%s", lv->valuestring);
        cr_expect_str_eq(sp->levels[k], want);
        size_t count = 0;
        for (size_t i = 0; i < sp->n; i++) count += sp->code[i] == k;
        cr_expect_eq(count, 50);
        k++;
    }
    free(sums);
    cJSON_Delete(ref);
    carta_table_free(t);
}

Test(sas7bdat, truncated_files_are_data_errors)
{
    const char *p = shared_path("data/sas7bdat-fixtures/iris.sas7bdat");
    if (!p) cr_skip_test("../shared/data is absent: iris.sas7bdat not tested");
    make_tmpdir();
    size_t n;
    unsigned char *b = read_all(p, &n);
    const size_t cuts[] = { 16, 100, 1024, 4096, 65536, 65536 + 100, n - 4096, n - 1 };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        write_bytes(tmp_path("iris.sas7bdat"), b, cuts[i]);
        carta_table *t = NULL;
        carta_error err;
        carta_error_clear(&err);
        int rc = carta_sas7bdat_read(tmp_path("iris.sas7bdat"), "iris.sas7bdat", &t, &err);
        cr_expect_eq(rc, CARTA_EDATA, "cut at %zu: rc %d %s", cuts[i], rc, err.msg);
        cr_expect_null(t);
        cr_expect_str_eq(err.file, "iris.sas7bdat");
        carta_table_free(t);
    }
    free(b);
    remove_tmpdir();
}

Test(sas7bdat, every_failed_allocation_ends_in_enomem)
{
    const char *p = shared_path("data/sas7bdat-fixtures/tagged-na.sas7bdat");
    if (!p) cr_skip_test("../shared/data is absent: tagged-na.sas7bdat not tested");
    char path[4096];
    snprintf(path, sizeof path, "%s", p);
    int ok = 0;
    for (long k = 1; k < 10000 && !ok; k++) {
        carta_table *t = NULL;
        carta_error err;
        carta_error_clear(&err);
        carta_alloc_fail_at(k);
        int rc = carta_sas7bdat_read(path, "tagged-na.sas7bdat", &t, &err);
        carta_alloc_fail_at(0);
        if (rc == CARTA_OK) {
            cr_expect_eq(carta_table_nrows(t), 8);
            carta_table_free(t);
            ok = 1;
        } else {
            cr_assert_eq(rc, CARTA_ENOMEM, "k=%ld: %s", k, err.msg);
            cr_assert_null(t);
        }
    }
    cr_assert(ok);
}
