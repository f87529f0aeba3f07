/* Unit tests of the Dataset-JSON reader (src/load/dsjson.c): every dataType, JSON and NDJSON,
   gzip / zlib / raw DEFLATE, the tolerated quirks, the bad-input catalogue (each error's code
   and location checked), long files that cross the read window, and fault injection. The
   expected values are written here by hand from the Dataset-JSON 1.1 spec. */
#include <carta/alloc.h>
#include <carta/dsjson.h>
#include <carta/error.h>
#include <carta/table.h>

#include "check.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static char tmpdir[64];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/carta-dsjson-XXXXXX");
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

/* Compresses text: fmt 0 = zlib, 1 = gzip, 2 = raw DEFLATE. Caller frees. */
static unsigned char *deflate_text(const char *text, size_t n, int fmt, size_t *out_n)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    int bits = fmt == 0 ? 15 : fmt == 1 ? 15 + 16 : -15;
    cr_assert_eq(deflateInit2(&zs, 6, Z_DEFLATED, bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&zs, (uLong)n) + 64;
    unsigned char *out = malloc(cap);
    zs.next_in = (Bytef *)(uintptr_t)text;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    cr_assert_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
    *out_n = cap - zs.avail_out;
    deflateEnd(&zs);
    return out;
}

/* Reads text written to a temporary file named name; returns rc, fills *t and err. */
static int read_text(const char *name, const char *text, carta_table **t, carta_error *err)
{
    write_bytes(tmp_path(name), text, strlen(text));
    carta_error_clear(err);
    *t = NULL;
    return carta_dsjson_read(tmp_path(name), name, t, err);
}

static int64_t days(int y, unsigned m, unsigned d) { return carta_days_from_civil(y, m, d); }

static carta_column *col(const carta_table *t, const char *name)
{
    carta_column *c = carta_table_find(t, name);
    cr_assert_not_null(c, "no column %s", name);
    return c;
}

/* ---- every dataType ------------------------------------------------------------------------ */

#define META_HEAD \
    "{\"datasetJSONCreationDateTime\":\"2024-11-11T15:09:14\",\"datasetJSONVersion\":\"1.1.0\"," \
    "\"itemGroupOID\":\"IG.T\",\"records\":3,\"name\":\"T\",\"label\":\"All types\","
#define COLUMNS \
    "\"columns\":[" \
    "{\"itemOID\":\"IT.S\",\"name\":\"S\",\"label\":\"A string\",\"dataType\":\"string\",\"length\":8}," \
    "{\"itemOID\":\"IT.I\",\"name\":\"I\",\"label\":\"An integer\",\"dataType\":\"integer\"}," \
    "{\"itemOID\":\"IT.D\",\"name\":\"D\",\"label\":\"A decimal\",\"dataType\":\"decimal\",\"targetDataType\":\"decimal\"}," \
    "{\"itemOID\":\"IT.F\",\"name\":\"F\",\"label\":\"A float\",\"dataType\":\"float\"}," \
    "{\"itemOID\":\"IT.B\",\"name\":\"B\",\"label\":\"A boolean\",\"dataType\":\"boolean\"}," \
    "{\"itemOID\":\"IT.DT\",\"name\":\"DT\",\"label\":\"A date\",\"dataType\":\"date\",\"targetDataType\":\"integer\",\"displayFormat\":\"DATE9.\"}," \
    "{\"itemOID\":\"IT.DTM\",\"name\":\"DTM\",\"label\":\"A datetime\",\"dataType\":\"datetime\",\"targetDataType\":\"integer\",\"displayFormat\":\"E8601DT19.\"}," \
    "{\"itemOID\":\"IT.TM\",\"name\":\"TM\",\"label\":\"A time\",\"dataType\":\"time\",\"targetDataType\":\"integer\"}," \
    "{\"itemOID\":\"IT.DTC\",\"name\":\"DTC\",\"label\":\"ISO text\",\"dataType\":\"date\"}," \
    "{\"itemOID\":\"IT.U\",\"name\":\"U\",\"label\":\"\",\"dataType\":\"URI\"}]"
#define ROW1 "[\"a\", 63, \"12.50\", 1.5, true, \"2014-01-02\", \"2015-02-02T14:42:12.5\", \"14:42:12\", \"2014-01\", \"http://x\"]"
#define ROW2 "[\"\", 63.0, \" 0.1 \", -2e-3, false, \"1948-09-16\", \"1960-01-01T00:00\", \"00:00\", \"\", null]"
#define ROW3 "[null, null, null, null, null, null, null, null, null, \"u\"]"

static const char all_types_json[] = META_HEAD COLUMNS ",\"rows\":[" ROW1 "," ROW2 "," ROW3 "]}";
static const char all_types_ndjson[] = META_HEAD COLUMNS "}\n" ROW1 "\n" ROW2 "\n" ROW3 "\n";
/* The same with "rows" before "columns" (allowed; the rows wait for the columns). */
static const char all_types_rows_first[] =
    META_HEAD "\"rows\":[" ROW1 "," ROW2 "," ROW3 "]," COLUMNS "}";

static void check_all_types(const carta_table *t)
{
    cr_assert_eq(carta_table_nrows(t), 3);
    cr_assert_eq(carta_table_ncols(t), 10);
    carta_column *s = col(t, "S"), *i = col(t, "I"), *d = col(t, "D"), *f = col(t, "F"),
                 *b = col(t, "B"), *dt = col(t, "DT"), *dtm = col(t, "DTM"), *tm = col(t, "TM"),
                 *dtc = col(t, "DTC"), *u = col(t, "U");
    cr_expect_eq(s->type, CARTA_STR);
    cr_expect_str_eq(s->label, "A string");
    cr_expect_str_eq(carta_column_str(s, 0), "a");
    cr_expect_str_eq(carta_column_str(s, 1), ""); /* "" is the empty string */
    cr_expect(carta_column_is_missing(s, 2));     /* null is missing */

    cr_expect_eq(i->type, CARTA_F64);
    cr_expect_eq(i->f64[0], 63.0);
    cr_expect_eq(i->f64[1], 63.0); /* 63.0 tolerated */
    cr_expect(carta_column_is_missing(i, 2));

    cr_expect_eq(d->type, CARTA_F64);
    cr_expect_eq(d->f64[0], 12.5);
    cr_expect_eq(d->f64[1], 0.1); /* blanks around a decimal tolerated; strtod of "0.1" */
    cr_expect(carta_column_is_missing(d, 2));

    cr_expect_eq(f->f64[0], 1.5);
    cr_expect_eq(f->f64[1], -2e-3);

    cr_expect_eq(b->type, CARTA_BOOL);
    cr_expect_eq(b->i64[0], 1);
    cr_expect_eq(b->i64[1], 0);
    cr_expect(carta_column_is_missing(b, 2));

    cr_expect_eq(dt->type, CARTA_DATE);
    cr_expect_str_eq(dt->format, "DATE9.");
    cr_expect_eq(dt->i64[0], days(2014, 1, 2));
    cr_expect_eq(dt->i64[1], days(1948, 9, 16));
    cr_expect(carta_column_is_missing(dt, 2));

    cr_expect_eq(dtm->type, CARTA_F64);
    cr_expect_eq(dtm->f64[0], (double)days(2015, 2, 2) * 86400 + 52932.5);
    cr_expect_eq(dtm->f64[1], (double)days(1960, 1, 1) * 86400);

    cr_expect_eq(tm->type, CARTA_F64);
    cr_expect_eq(tm->f64[0], 52932.0);
    cr_expect_eq(tm->f64[1], 0.0);

    cr_expect_eq(dtc->type, CARTA_STR); /* a date without targetDataType stays text */
    cr_expect_str_eq(carta_column_str(dtc, 0), "2014-01");

    cr_expect_eq(u->type, CARTA_STR);
    cr_expect_null(u->label); /* an empty label is no label */
    cr_expect(carta_column_is_missing(u, 1));
    cr_expect_str_eq(carta_column_str(u, 2), "u");
}

Test(dsjson, reads_every_data_type_from_json_ndjson_and_rows_first)
{
    make_tmpdir();
    carta_table *t;
    carta_error err;
    cr_assert_eq(read_text("t.json", all_types_json, &t, &err), CARTA_OK, "%s", err.msg);
    check_all_types(t);
    cr_expect_str_eq(carta_table_source(t), "t.json");
    carta_table_free(t);
    cr_assert_eq(read_text("t.ndjson", all_types_ndjson, &t, &err), CARTA_OK, "%s", err.msg);
    check_all_types(t);
    carta_table_free(t);
    cr_assert_eq(read_text("r.json", all_types_rows_first, &t, &err), CARTA_OK, "%s", err.msg);
    check_all_types(t);
    carta_table_free(t);
    remove_tmpdir();
}

/* The RConsortium Pilot 5 files' departures from the schema (shared/data/README.md "Not
   included"): sourceSystem as a plain string, a Windows path in fileOID, integers written as
   63.0, decimals with leading blanks. Each is unambiguous, so each is read. */
Test(dsjson, tolerates_the_pilot5_quirks)
{
    make_tmpdir();
    static const char text[] =
        "{\"datasetJSONCreationDateTime\": \"2023-05-12T10:00:00\", \"datasetJSONVersion\": \"1.1.0\",\n"
        " \"fileOID\": \"C:\\\\Users\\\\pilot5\\\\adam\\\\adsl.json\", \"sourceSystem\": \"R 4.2.3\",\n"
        " \"itemGroupOID\": \"IG.ADSL\", \"records\": 2, \"name\": \"ADSL\", \"label\": \"Subject-Level\",\n"
        " \"columns\": [{\"itemOID\": \"IT.ADSL.AGE\", \"name\": \"AGE\", \"label\": \"Age\", \"dataType\": \"integer\"},\n"
        "   {\"itemOID\": \"IT.ADSL.BMIBL\", \"name\": \"BMIBL\", \"label\": \"BMI\", \"dataType\": \"decimal\", \"targetDataType\": \"decimal\"}],\n"
        " \"rows\": [[63.0, \" 25.10000000000000\"], [64.0, \" 0.00000000000000\"]]}\n";
    carta_table *t;
    carta_error err;
    cr_assert_eq(read_text("pilot5.json", text, &t, &err), CARTA_OK, "%s", err.msg);
    carta_column *age = col(t, "AGE"), *bmi = col(t, "BMIBL");
    cr_expect_eq(age->f64[0], 63.0);
    cr_expect_eq(age->f64[1], 64.0);
    cr_expect_eq(bmi->f64[0], 25.1); /* strtod("25.10000000000000") == strtod("25.1") */
    cr_expect_eq(bmi->f64[1], 0.0);
    cr_expect_eq(bmi->n_missing, 0);
    carta_table_free(t);
    /* shown = NULL names the path itself. */
    carta_error_clear(&err);
    t = NULL;
    cr_expect_eq(carta_dsjson_read(tmp_path("absent.json"), NULL, &t, &err), CARTA_EIO);
    cr_expect_str_eq(err.file, tmp_path("absent.json"));
    remove_tmpdir();
}

/* Compression is found from the bytes: a gzip, zlib or raw-DEFLATE file named .json reads. */
Test(dsjson, reads_gzip_zlib_and_raw_deflate_whatever_the_name)
{
    make_tmpdir();
    const char *texts[] = { all_types_json, all_types_ndjson };
    for (int k = 0; k < 2; k++) {
        for (int fmt = 0; fmt < 3; fmt++) {
            size_t n;
            unsigned char *z = deflate_text(texts[k], strlen(texts[k]), fmt, &n);
            write_bytes(tmp_path("z.json"), z, n);
            carta_table *t = NULL;
            carta_error err;
            carta_error_clear(&err);
            cr_assert_eq(carta_dsjson_read(tmp_path("z.json"), "z.json", &t, &err), CARTA_OK,
                         "text %d fmt %d: %s", k, fmt, err.msg);
            check_all_types(t);
            carta_table_free(t);
            /* Cut short, each is a data error, never a crash. */
            for (size_t cut = 1; cut < n; cut += 7) {
                write_bytes(tmp_path("z.json"), z, cut);
                carta_error_clear(&err);
                t = NULL;
                int rc = carta_dsjson_read(tmp_path("z.json"), "z.json", &t, &err);
                cr_expect_eq(rc, CARTA_EDATA, "text %d fmt %d cut %zu: rc %d %s", k, fmt, cut, rc, err.msg);
                cr_expect_null(t);
            }
            free(z);
        }
    }
    /* Two gzip members back to back (as `cat a.gz b.gz` makes) are one stream. */
    size_t n1, n2;
    size_t half = strlen(all_types_ndjson) / 2;
    unsigned char *z1 = deflate_text(all_types_ndjson, half, 1, &n1);
    unsigned char *z2 = deflate_text(all_types_ndjson + half, strlen(all_types_ndjson) - half, 1, &n2);
    unsigned char *both = malloc(n1 + n2);
    memcpy(both, z1, n1);
    memcpy(both + n1, z2, n2);
    write_bytes(tmp_path("two.ndjson.gz"), both, n1 + n2);
    carta_table *t = NULL;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_dsjson_read(tmp_path("two.ndjson.gz"), "two.ndjson.gz", &t, &err), CARTA_OK, "%s", err.msg);
    check_all_types(t);
    carta_table_free(t);
    free(z1);
    free(z2);
    free(both);
    remove_tmpdir();
}

/* ---- the bad-input catalogue ------------------------------------------------------------- */

typedef struct bad_case {
    const char *name;  /* file name, also the shown name */
    const char *text;
    long row, line, col;
    const char *field;
    const char *msg;   /* must appear in err.msg */
} bad_case;

#define COLS2 "\"columns\":[{\"itemOID\":\"IT.A\",\"name\":\"A\",\"label\":\"a\",\"dataType\":\"integer\"}," \
              "{\"itemOID\":\"IT.B\",\"name\":\"B\",\"label\":\"b\",\"dataType\":\"date\",\"targetDataType\":\"integer\"}]"

static const bad_case bad_cases[] = {
    { "syntax.json", "{\"name\": \"T\",\n  \"columns\": [\n    {\"name\": \"A\" \"dataType\": \"string\"}\n  ]\n}",
      0, 3, 18, NULL, "invalid JSON" },
    { "nocolumns.json", "{\"name\": \"T\", \"records\": 1, \"rows\": [[1]]}", 0, 0, 0, "/columns", "missing" },
    { "columnsnotarray.json", "{\"columns\": {\"name\": \"A\"}, \"rows\": []}", 0, 0, 0, "/columns", "must be an array" },
    { "nocolumn.json", "{\"columns\": [], \"rows\": []}", 0, 0, 0, "/columns", "no columns" },
    { "width.json", "{" COLS2 ", \"rows\": [[1, \"2014-01-02\"], [2]]}", 2, 0, 0, NULL,
      "the row has 1 values but there are 2 columns" },
    { "type.json", "{" COLS2 ", \"rows\": [[1, \"2014-01-02\"], [2, \"2014-01-03\"], [\"3\", \"2014-01-04\"]]}",
      3, 0, 0, "A", "\"3\" is not an integer" },
    { "fraction.json", "{" COLS2 ", \"rows\": [[1.5, \"2014-01-02\"]]}", 1, 0, 0, "A", "1.5 is not an integer" },
    { "date.json", "{" COLS2 ", \"rows\": [[1, \"2014-01-02\"], [2, \"2014-02-30\"]]}", 2, 0, 0, "B",
      "\"2014-02-30\" is not a date" },
    { "partialdate.json", "{" COLS2 ", \"rows\": [[1, \"2014-01\"]]}", 1, 0, 0, "B", "is not a date" },
    { "datenumber.json", "{" COLS2 ", \"rows\": [[1, 19725]]}", 1, 0, 0, "B", "19725 is not a date" },
    { "rownotarray.json", "{" COLS2 ", \"rows\": [{\"A\": 1}]}", 1, 0, 0, NULL, "not a JSON array" },
    { "ndjsonline.ndjson", "{" COLS2 "}\n[1, \"2014-01-02\"]\n[2, \"2014-01-03\"]\n[3, \"2014-01-04\" 4]\n[5, \"2014-01-05\"]\n",
      0, 4, 18, NULL, "invalid JSON: unexpected '4'" },
    { "ndjsonvalue.ndjson", "{" COLS2 "}\n[1, \"2014-01-02\"]\n[true, \"2014-01-03\"]\n", 2, 0, 0, "A",
      "true is not an integer (dataType \"integer\") (line 3)" },
    { "ndjsonquote.ndjson", "{" COLS2 "}\n[1, \"2014-01-02\"]\n[2, \"2014-01-03]\n[3, \"2014-01-04\"]\n",
      0, 3, 17, NULL, "runs past the end of the line" },
    { "ndjsonobject.ndjson", "{" COLS2 "}\n{\"A\": 1}\n", 0, 2, 1, NULL, "expected a row" },
    { "records.ndjson", "{\"records\": 3, " COLS2 "}\n[1, \"2014-01-02\"]\n[2, \"2014-01-03\"]\n", 0, 0, 0,
      "/records", "\"records\" is 3 but the file holds 2 rows" },
    { "truncated.json", "{" COLS2 ", \"rows\": [[1, \"2014-01-02\"], [2, \"2014-0", 0, 1, 0, NULL,
      "truncated" },
    { "trailing.json", "{" COLS2 ", \"rows\": [[1, \"2014-01-02\"]]}\n[2, \"2014-01-03\"]", 0, 2, 1, NULL,
      "unexpected text after the data set object" },
    { "empty.json", "", 0, 0, 0, NULL, "the file is empty" },
    { "blank.json", "  \n\n", 0, 3, 1, NULL, "holds no JSON value" },
    { "utf16.json", "\xFF\xFE{", 0, 0, 0, NULL, "UTF-16" },
    { "csv.json", "STUDYID,USUBJID\nX,1\n", 0, 1, 1, NULL, "expected '{'" },
    { "array.json", "[[1, 2]]", 0, 1, 1, NULL, "expected '{'" },
    { "v10.json", "{\"creationDateTime\": \"2020\", \"datasetJSONVersion\": \"1.0.0\", \"clinicalData\": {}}",
      0, 0, 0, "/clinicalData", "Dataset-JSON 1.0 layout" },
    { "v2.json", "{\"datasetJSONVersion\": \"2.0.0\", " COLS2 "}", 0, 0, 0, "/datasetJSONVersion", "not supported" },
    { "dtype.json", "{\"columns\": [{\"name\": \"A\", \"dataType\": \"text\"}]}", 0, 0, 0,
      "/columns/0/dataType", "\"text\" is not one of" },
    { "nodtype.json", "{\"columns\": [{\"name\": \"A\"}]}", 0, 0, 0, "/columns/0/dataType", "needs a dataType" },
    { "noname.json", "{\"columns\": [{\"name\": \"A\", \"dataType\": \"string\"}, {\"dataType\": \"string\"}]}",
      0, 0, 0, "/columns/1/name", "non-empty name" },
    { "target.json", "{\"columns\": [{\"name\": \"A\", \"dataType\": \"date\", \"targetDataType\": \"days\"}]}",
      0, 0, 0, "/columns/0/targetDataType", "\"integer\" or \"decimal\"" },
    { "labeltype.json", "{\"columns\": [{\"name\": \"A\", \"dataType\": \"string\", \"label\": 7}]}",
      0, 0, 0, "/columns/0/label", "must be a UTF-8 string" },
    { "dupkey.json", "{\"columns\": [{\"name\": \"A\", \"dataType\": \"string\", \"name\": \"B\"}]}",
      0, 0, 0, "/columns/0/name", "appears twice" },
    { "dupcolumns.json", "{" COLS2 ", " COLS2 "}", 0, 0, 0, "/columns", "appears twice" },
    { "dupname.json", "{\"columns\": [{\"name\": \"A\", \"dataType\": \"string\"}, {\"name\": \"A\", \"dataType\": \"integer\"}]}",
      0, 0, 0, "A", "duplicate column name" },
    { "records.json", "{\"records\": -1, " COLS2 "}", 0, 0, 0, "/records", "whole number" },
    { "decimal.json", "{\"columns\": [{\"name\": \"D\", \"dataType\": \"decimal\"}], \"rows\": [[\"1.5\"], [\"1,5\"]]}",
      2, 0, 0, "D", "\"1,5\" is not a decimal number" },
    { "decimalnan.json", "{\"columns\": [{\"name\": \"D\", \"dataType\": \"decimal\"}], \"rows\": [[\"nan\"]]}",
      1, 0, 0, "D", "is not a decimal number" },
    { "decimalbig.json", "{\"columns\": [{\"name\": \"D\", \"dataType\": \"decimal\"}], \"rows\": [[\"1e999\"]]}",
      1, 0, 0, "D", "is out of range" },
    { "float.json", "{\"columns\": [{\"name\": \"F\", \"dataType\": \"double\"}], \"rows\": [[\"1.5\"]]}",
      1, 0, 0, "F", "is not a number" },
    { "bool.json", "{\"columns\": [{\"name\": \"X\", \"dataType\": \"boolean\"}], \"rows\": [[1]]}",
      1, 0, 0, "X", "is not true or false" },
    { "datetime.json", "{\"columns\": [{\"name\": \"X\", \"dataType\": \"datetime\", \"targetDataType\": \"integer\"}], \"rows\": [[\"2015-02-02T25:00:00\"]]}",
      1, 0, 0, "X", "is not a datetime" },
    { "datetimetz.json", "{\"columns\": [{\"name\": \"X\", \"dataType\": \"datetime\", \"targetDataType\": \"integer\"}], \"rows\": [[\"2015-02-02T10:00:00+01:00\"]]}",
      1, 0, 0, "X", "is not a datetime" },
    { "time.json", "{\"columns\": [{\"name\": \"X\", \"dataType\": \"time\", \"targetDataType\": \"integer\"}], \"rows\": [[\"12:60\"]]}",
      1, 0, 0, "X", "is not a time" },
    { "utf8.json", "{\"columns\": [{\"name\": \"S\", \"dataType\": \"string\"}], \"rows\": [[\"caf\xE9\"]]}",
      1, 0, 0, "S", "is not valid UTF-8" },
    { "comma.json", "{\"columns\": [{\"name\": \"S\", \"dataType\": \"string\"}],}", 0, 1, 51, NULL,
      "unexpected '}' after ','" },
    { "trailingcomma.json", "{\"columns\": [{\"name\": \"S\", \"dataType\": \"string\"}], \"rows\": [[\"a\"],]}",
      0, 1, 67, NULL, "unexpected ']'" },
};

Test(dsjson, each_bad_input_is_a_data_error_naming_the_place)
{
    make_tmpdir();
    for (size_t k = 0; k < sizeof bad_cases / sizeof bad_cases[0]; k++) {
        const bad_case *c = &bad_cases[k];
        carta_table *t;
        carta_error err;
        int rc = read_text(c->name, c->text, &t, &err);
        cr_expect_eq(rc, CARTA_EDATA, "%s: rc %d: %s", c->name, rc, err.msg);
        cr_expect_null(t, "%s", c->name);
        carta_table_free(t);
        cr_expect_str_eq(err.file, c->name);
        cr_expect(strncmp(err.msg, c->name, strlen(c->name)) == 0, "%s: %s", c->name, err.msg);
        cr_expect(strstr(err.msg, c->msg), "%s: message lacks \"%s\": %s", c->name, c->msg, err.msg);
        if (c->row) cr_expect_eq(err.row, c->row, "%s: row %ld: %s", c->name, err.row, err.msg);
        if (c->line) cr_expect_eq(err.line, c->line, "%s: line %ld: %s", c->name, err.line, err.msg);
        if (c->col) cr_expect_eq(err.col, c->col, "%s: col %ld: %s", c->name, err.col, err.msg);
        if (c->field) cr_expect_str_eq(err.field, c->field, "%s: %s", c->name, err.msg);
    }
    remove_tmpdir();
}

/* Nesting deeper than cJSON's limit (1000) is an error, not a stack overflow. */
Test(dsjson, deep_nesting_is_an_error_not_a_crash)
{
    make_tmpdir();
    size_t depth = 100000;
    char *text = malloc(2 * depth + 200);
    int k = snprintf(text, 200, "{\"columns\": [{\"name\": \"S\", \"dataType\": \"string\"}], \"x\": ");
    memset(text + k, '[', depth);
    memset(text + k + depth, ']', depth);
    strcpy(text + k + 2 * depth, "}");
    carta_table *t;
    carta_error err;
    cr_expect_eq(read_text("deep.json", text, &t, &err), CARTA_EDATA);
    cr_expect(strstr(err.msg, "deep.json:1:"), "%s", err.msg);
    cr_expect_null(t);
    free(text);
    remove_tmpdir();
}

Test(dsjson, unreadable_files_are_io_errors)
{
    make_tmpdir();
    carta_table *t = NULL;
    carta_error err;
    carta_error_clear(&err);
    cr_expect_eq(carta_dsjson_read(tmp_path("nothere.json"), "nothere.json", &t, &err), CARTA_EIO);
    cr_expect(strstr(err.msg, "nothere.json: cannot open"), "%s", err.msg);
    carta_error_clear(&err);
    cr_expect_eq(carta_dsjson_read(tmpdir, "folder", &t, &err), CARTA_EIO);
    cr_expect_null(t);
    remove_tmpdir();
}

/* ---- long files: the read window moves, line numbers stay right ------------------------------ */

Test(dsjson, long_ndjson_keeps_line_numbers_across_the_read_window)
{
    make_tmpdir();
    size_t cap = 1 << 20, n = 0;
    char *text = malloc(cap);
    n += (size_t)snprintf(text + n, cap - n, "{" COLS2 "}\n");
    /* 5000 rows of about 40 bytes: 200 KB, three times the initial 64 KiB window. A bad date
       on data row 4321 (line 4322). */
    for (int r = 1; r <= 5000; r++)
        n += (size_t)snprintf(text + n, cap - n, "[%d, \"%s\"]\n", r, r == 4321 ? "2014-13-01" : "2014-01-02");
    write_bytes(tmp_path("long.ndjson"), text, n);
    carta_table *t = NULL;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_dsjson_read(tmp_path("long.ndjson"), "long.ndjson", &t, &err), CARTA_EDATA);
    cr_expect_eq(err.row, 4321);
    cr_expect(strstr(err.msg, "(line 4322)"), "%s", err.msg);
    /* A syntax error further on: the column is counted within its line. */
    char *p = strstr(text, "[4999, ");
    p[5] = ';';
    char *q = strstr(text, "2014-13-01");
    memcpy(q, "2014-12-01", 10);
    write_bytes(tmp_path("long.ndjson"), text, n);
    carta_error_clear(&err);
    cr_assert_eq(carta_dsjson_read(tmp_path("long.ndjson"), "long.ndjson", &t, &err), CARTA_EDATA);
    cr_expect_eq(err.line, 5000, "%s", err.msg);
    cr_expect_eq(err.col, 6, "%s", err.msg);
    /* Fixed, it reads: all 5000 rows, the values in order. */
    p[5] = ',';
    write_bytes(tmp_path("long.ndjson"), text, n);
    carta_error_clear(&err);
    cr_assert_eq(carta_dsjson_read(tmp_path("long.ndjson"), "long.ndjson", &t, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(carta_table_nrows(t), 5000);
    carta_column *a = col(t, "A");
    for (size_t i = 0; i < 5000; i++) cr_assert_eq(a->f64[i], (double)(i + 1));
    cr_expect_eq(col(t, "B")->i64[4320], days(2014, 12, 1));
    carta_table_free(t);
    free(text);
    remove_tmpdir();
}

/* One value larger than the window (a 300 KB string) makes the window grow. */
Test(dsjson, a_value_larger_than_the_window_is_read_whole)
{
    make_tmpdir();
    size_t big = 300000;
    char *text = malloc(big + 200);
    int k = snprintf(text, 200, "{\"columns\": [{\"name\": \"S\", \"dataType\": \"string\"}], \"rows\": [[\"");
    memset(text + k, 'x', big);
    strcpy(text + k + big, "\"], [\"y\"]]}");
    carta_table *t;
    carta_error err;
    cr_assert_eq(read_text("big.json", text, &t, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(carta_table_nrows(t), 2);
    cr_expect_eq(strlen(carta_column_str(col(t, "S"), 0)), big);
    cr_expect_str_eq(carta_column_str(col(t, "S"), 1), "y");
    carta_table_free(t);
    free(text);
    remove_tmpdir();
}

/* ---- the shipped pilot files ----------------------------------------------------------------- */

Test(dsjson, pilot_files_have_the_known_dimensions)
{
    const struct { const char *rel; size_t rows, cols; } f[] = {
        { "data/cdisc-pilot/adam/adsl.json", 254, 49 }, { "data/cdisc-pilot/adam/adsl.ndjson", 254, 49 },
        { "data/cdisc-pilot/adam/adtte.json", 254, 26 }, { "data/cdisc-pilot/adam/adtte.ndjson", 254, 26 },
        { "data/cdisc-pilot/adam/adae.json", 1191, 55 }, { "data/cdisc-pilot/adam/adae.ndjson", 1191, 55 },
        { "data/cdisc-pilot/sdtm/dm.json", 18, 26 }, { "data/cdisc-pilot/sdtm/ae.json", 74, 37 },
        { "data/cdisc-pilot/sdtm/lb.json", 3488, 23 },
    };
    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
        const char *p = shared_path(f[k].rel);
        if (!p) cr_skip_test("../shared/data is absent: %s not tested", f[k].rel);
        char path[4096];
        snprintf(path, sizeof path, "%s", p);
        carta_table *t = NULL;
        carta_error err;
        carta_error_clear(&err);
        cr_assert_eq(carta_dsjson_read(path, f[k].rel, &t, &err), CARTA_OK, "%s", err.msg);
        cr_expect_eq(carta_table_nrows(t), f[k].rows, "%s", f[k].rel);
        cr_expect_eq(carta_table_ncols(t), f[k].cols, "%s", f[k].rel);
        carta_table_free(t);
    }
}

/* ---- fault injection ---------------------------------------------------------------------- */

static void fault_sweep(const char *path)
{
    int ok = 0;
    for (long k = 1; k < 10000 && !ok; k++) {
        carta_table *t = NULL;
        carta_error err;
        carta_error_clear(&err);
        carta_alloc_fail_at(k);
        int rc = carta_dsjson_read(path, "t", &t, &err);
        carta_alloc_fail_at(0);
        if (rc == CARTA_OK) {
            check_all_types(t);
            carta_table_free(t);
            ok = 1;
        } else {
            cr_assert_eq(rc, CARTA_ENOMEM, "k=%ld: %s", k, err.msg);
            cr_assert_null(t);
        }
    }
    cr_assert(ok);
}

Test(dsjson, every_failed_allocation_ends_in_enomem)
{
    make_tmpdir();
    write_bytes(tmp_path("t.json"), all_types_rows_first, strlen(all_types_rows_first));
    fault_sweep(tmp_path("t.json"));
    size_t n;
    unsigned char *z = deflate_text(all_types_ndjson, strlen(all_types_ndjson), 1, &n);
    write_bytes(tmp_path("t.ndjson.gz"), z, n);
    fault_sweep(tmp_path("t.ndjson.gz"));
    free(z);
    remove_tmpdir();
}
