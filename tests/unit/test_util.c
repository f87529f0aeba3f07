/* Unit tests of util/: errors, number formatting, allocation hooks, atomic writes, dates. */
#include <carta/alloc.h>
#include <carta/error.h>
#include <carta/fs.h>
#include <carta/numfmt.h>
#include <carta/table.h>

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

Test(error, keeps_the_first_error_and_puts_the_location_first)
{
    carta_error err;
    carta_error_clear(&err);
    carta_where at = { .file = "adtte.csv", .row = 1043, .field = "AVAL" };
    int rc = carta_error_set(&err, CARTA_EDATA, &at, "\"%s\" is not a number", "12,5");
    cr_assert_eq(rc, CARTA_EDATA);
    cr_assert_str_eq(err.msg, "adtte.csv:1043: column AVAL: \"12,5\" is not a number");
    cr_assert_eq(err.row, 1043);
    carta_error_set(&err, CARTA_EIO, NULL, "later");
    cr_assert_eq(err.code, CARTA_EDATA);
    carta_error_prefix(&err, "table %s: ", "adtte");
    cr_assert_str_eq(err.msg, "table adtte: adtte.csv:1043: column AVAL: \"12,5\" is not a number");
}

Test(error, names_a_json_pointer_and_a_text_position)
{
    carta_error err;
    carta_error_clear(&err);
    carta_where at = { .file = "config.json", .field = "/models/1/ties" };
    carta_error_set(&err, CARTA_ECONFIG, &at, "bad");
    cr_assert_str_eq(err.msg, "config.json: /models/1/ties: bad");
    carta_error_clear(&err);
    carta_where at2 = { .file = "config.json", .line = 14, .col = 9 };
    carta_error_set(&err, CARTA_ECONFIG, &at2, "expected ',' or '}'");
    cr_assert_str_eq(err.msg, "config.json:14:9: expected ',' or '}'");
}

Test(numfmt, writes_the_shortest_text_that_reads_back_exactly)
{
    char buf[40];
    cr_assert_str_eq(carta_numfmt(0.1 + 0.2, buf, sizeof buf), "0.30000000000000004");
    cr_assert_str_eq(carta_numfmt(0.3, buf, sizeof buf), "0.3");
    cr_assert_str_eq(carta_numfmt(1.0 / 3.0, buf, sizeof buf), "0.3333333333333333");
    cr_assert_str_eq(carta_numfmt(NAN, buf, sizeof buf), "null");
    cr_assert_str_eq(carta_numfmt(-INFINITY, buf, sizeof buf), "null");
    cr_assert_str_eq(carta_numfmt(1e300, buf, sizeof buf), "1e+300");
    /* Round trip over awkward values. */
    const double xs[] = { 2.385, 5e-324, 1.7976931348623157e308, 0.1, 123456789.123456789, -7.0 / 72 };
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++)
        cr_expect_eq(strtod(carta_numfmt(xs[i], buf, sizeof buf), NULL), xs[i], "%s", buf);
}

Test(alloc, fails_the_kth_allocation_when_armed)
{
    carta_alloc_fail_at(2);
    void *a = carta_malloc(8);
    void *b = carta_malloc(8);
    carta_alloc_fail_at(0);
    cr_assert_not_null(a);
    cr_assert_null(b);
    carta_free(a);
    size_t out;
    cr_assert_eq(carta_size_mul((size_t)1 << 40, (size_t)1 << 40, &out), -1);
}

Test(fs, writes_all_or_nothing_and_refuses_to_overwrite)
{
    char dir[] = "/tmp/carta-fs-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[512];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_file_write(path, "abc", 3, 0, &err), CARTA_OK);
    cr_assert_eq(carta_file_write(path, "xyz", 3, 0, &err), CARTA_EIO);
    cr_assert(strstr(err.msg, "--force"));
    carta_error_clear(&err);
    cr_assert_eq(carta_file_write(path, "xyz", 3, 1, &err), CARTA_OK);
    char *text;
    size_t len;
    cr_assert_eq(carta_file_read(path, "out.txt", &text, &len, &err), CARTA_OK);
    cr_assert_str_eq(text, "xyz");
    carta_free(text);
    /* An aborted write leaves neither the temporary nor a new file. */
    char p2[600];
    snprintf(p2, sizeof p2, "%s/never.txt", dir);
    carta_out o;
    cr_assert_eq(carta_out_open(&o, p2, 0, &err), CARTA_OK);
    fputs("partial", o.fp);
    carta_out_abort(&o);
    cr_assert(!carta_path_exists(p2));
    snprintf(p2, sizeof p2, "%s/never.txt.tmp", dir);
    cr_assert(!carta_path_exists(p2));
    unlink(path);
    rmdir(dir);
}

Test(fs, resolves_paths_from_the_config_folder)
{
    char *p = carta_path_resolve("configs", "../data/x.csv");
    cr_assert_str_eq(p, "configs/../data/x.csv");
    carta_free(p);
    p = carta_path_resolve("configs", "/abs/x.csv");
    cr_assert_str_eq(p, "/abs/x.csv");
    carta_free(p);
    p = carta_path_dirname("a/b/c.json");
    cr_assert_str_eq(p, "a/b");
    carta_free(p);
    p = carta_path_dirname("c.json");
    cr_assert_str_eq(p, ".");
    carta_free(p);
}

Test(dates, convert_both_ways_and_reject_impossible_days)
{
    int64_t d;
    cr_assert_eq(carta_parse_date("1970-01-01", 10, &d), 0);
    cr_assert_eq(d, 0);
    cr_assert_eq(carta_parse_date("1960-01-01", 10, &d), 0);
    cr_assert_eq(d, -3653); /* SAS day 0 */
    cr_assert_eq(carta_parse_date("2014-01-02T10:00:00", 19, &d), 0);
    cr_assert_eq(d + 3653, 19725); /* the SAS date the pilot README quotes */
    cr_assert_eq(carta_parse_date("2023-02-29", 10, &d), -1);
    cr_assert_eq(carta_parse_date("2024-02-29", 10, &d), 0);
    cr_assert_eq(carta_parse_date("2024-13-01", 10, &d), -1);
    int64_t y;
    unsigned m, dd;
    carta_civil_from_days(19725 - 3653, &y, &m, &dd);
    cr_assert(y == 2014 && m == 1 && dd == 2);
}

#include <carta/sha256.h>

/* Digests from FIPS 180-4's examples, and a file checked against coreutils' sha256sum. */
Test(sha256, matches_the_standard_examples_and_sha256sum)
{
    struct { const char *in; const char *hex; } v[] = {
        { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
        { "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
        { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
    };
    for (size_t i = 0; i < 3; i++) {
        carta_sha256 s;
        char hex[65];
        carta_sha256_init(&s);
        carta_sha256_update(&s, v[i].in, strlen(v[i].in));
        carta_sha256_final(&s, hex);
        cr_expect_str_eq(hex, v[i].hex);
    }
    /* A million 'a' fed in uneven pieces. */
    carta_sha256 s;
    char hex[65], chunk[997];
    memset(chunk, 'a', sizeof chunk);
    carta_sha256_init(&s);
    size_t left = 1000000;
    while (left) {
        size_t k = left < sizeof chunk ? left : sizeof chunk;
        carta_sha256_update(&s, chunk, k);
        left -= k;
    }
    carta_sha256_final(&s, hex);
    cr_expect_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");

    char path[] = "/tmp/carta-sha-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    for (int i = 0; i < 5000; i++) fprintf(fp, "row %d,%g\n", i, i * 2.385);
    fclose(fp);
    char cmd[600], want[200];
    snprintf(cmd, sizeof cmd, "sha256sum %s", path);
    FILE *p = popen(cmd, "r");
    cr_assert(p && fgets(want, sizeof want, p));
    pclose(p);
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_sha256_file(path, "x", hex, &err), CARTA_OK);
    cr_expect_eq(strncmp(hex, want, 64), 0, "%s vs %.64s", hex, want);
    unlink(path);
}

#include <carta/jsonw.h>
#include <cjson/cJSON.h>

Test(jsonw, writes_keys_in_order_with_exact_numbers)
{
    carta_jsonw *w = carta_jsonw_new(2);
    carta_jsonw_begin_object(w);
    carta_jsonw_kstring(w, "z", "quote\" back\\ nl\n tab\t \x01");
    carta_jsonw_knumber(w, "a", 0.1 + 0.2);
    carta_jsonw_knumber(w, "nan", NAN);
    carta_jsonw_kint(w, "n", -42);
    double xs[] = { 1, 2.5, INFINITY };
    carta_jsonw_knumbers(w, "xs", xs, 3);
    carta_jsonw_key(w, "empty");
    carta_jsonw_begin_array(w);
    carta_jsonw_end_array(w);
    carta_jsonw_key(w, "o");
    carta_jsonw_begin_object(w);
    carta_jsonw_kbool(w, "t", 1);
    carta_jsonw_end_object(w);
    carta_jsonw_end_object(w);
    const char *text;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_jsonw_finish(w, &text, NULL, &err), CARTA_OK);
    const char *want = "{\n  \"z\": \"quote\\\" back\\\\ nl\\n tab\\t \\u0001\",\n  \"a\": 0.30000000000000004,\n"
                       "  \"nan\": null,\n  \"n\": -42,\n  \"xs\": [1,2.5,null],\n  \"empty\": [],\n"
                       "  \"o\": {\n    \"t\": true\n  }\n}\n";
    cr_assert_str_eq(text, want);
    cJSON *j = cJSON_Parse(text);
    cr_assert_not_null(j);
    cr_assert_eq(cJSON_GetObjectItem(j, "a")->valuedouble, 0.1 + 0.2);
    cJSON_Delete(j);
    carta_jsonw_free(w);
}

Test(jsonw, reports_unbalanced_calls)
{
    carta_jsonw *w = carta_jsonw_new(0);
    carta_jsonw_begin_object(w);
    carta_jsonw_begin_array(w);
    carta_jsonw_end_object(w);
    const char *text;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_jsonw_finish(w, &text, NULL, &err), CARTA_EUSAGE);
    carta_jsonw_free(w);
}

Test(jsonw, suppresses_small_counts)
{
    carta_jsonw *w = carta_jsonw_new(0);
    carta_jsonw_begin_array(w);
    const double v[] = { 0, 1, 4, 5, 12, 2.5, -3 };
    for (size_t i = 0; i < 7; i++) carta_jsonw_count(w, v[i], 5);
    carta_jsonw_count(w, 3, 0); /* threshold 0: suppression off */
    carta_jsonw_end_array(w);
    const char *text;
    carta_error err;
    carta_error_clear(&err);
    cr_assert_eq(carta_jsonw_finish(w, &text, NULL, &err), CARTA_OK);
    cr_expect_str_eq(text, "[0,\"<5\",\"<5\",5,12,2.5,-3,3]");
    carta_jsonw_free(w);
}

#include <carta/csvout.h>

Test(csvout, quotes_only_when_needed_and_writes_exact_numbers)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    carta_csv_write_text(fp, "plain");
    putc('|', fp);
    carta_csv_write_text(fp, "a,b \"q\"");
    putc('|', fp);
    carta_csv_write_text(fp, NULL);
    putc('|', fp);
    carta_csv_write_number(fp, 0.1 + 0.2);
    putc('|', fp);
    carta_csv_write_number(fp, NAN);
    fclose(fp);
    cr_expect_str_eq(buf, "plain|\"a,b \"\"q\"\"\"||0.30000000000000004|");
    free(buf);
}
