/* Unit tests of validate/schema.c: reading Table Schemas, refusing malformed ones with the
   JSON pointer of the fault, and every shipped schema under data-schemas/. */
#include <carta/alloc.h>
#include <carta/schema.h>

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>

static carta_schema *parse_ok(const char *json)
{
    carta_error err;
    carta_error_clear(&err);
    carta_schema *s = NULL;
    int rc = carta_schema_parse(json, strlen(json), "t.json", &s, &err);
    cr_assert_eq(rc, CARTA_OK, "%s", err.msg);
    cr_assert_not_null(s);
    return s;
}

/* Parses json expecting CARTA_ECONFIG at pointer; returns the message in msg. */
static void parse_bad(const char *json, const char *pointer, const char *needle)
{
    carta_error err;
    carta_error_clear(&err);
    carta_schema *s = (carta_schema *)0x1;
    int rc = carta_schema_parse(json, strlen(json), "t.json", &s, &err);
    cr_assert_eq(rc, CARTA_ECONFIG, "expected a config error for %s (got %d: %s)", json, rc, err.msg);
    cr_assert_eq(s, (carta_schema *)0x1, "out-pointer must stay untouched on failure");
    cr_assert_str_eq(err.field, pointer, "pointer for %s: %s", json, err.msg);
    cr_assert_str_eq(err.file, "t.json");
    if (needle) cr_assert(strstr(err.msg, needle), "message \"%s\" lacks \"%s\"", err.msg, needle);
}

Test(schema, reads_fields_types_and_defaults)
{
    carta_schema *s = parse_ok(
        "{\"fields\":[{\"name\":\"ID\",\"constraints\":{\"required\":true}},"
        "{\"name\":\"AGE\",\"type\":\"integer\",\"unit\":\"years\",\"title\":\"Age\"},"
        "{\"name\":\"AVAL\",\"type\":\"number\",\"x-optional\":true},"
        "{\"name\":\"D\",\"type\":\"date\",\"missingValues\":[\"-\"]},"
        "{\"name\":\"T\",\"type\":\"datetime\"},{\"name\":\"B\",\"type\":\"boolean\"},{\"name\":\"X\",\"type\":\"any\"}],"
        "\"primaryKey\":\"ID\",\"x-note\":\"extensions are ignored\"}");
    cr_assert_eq(carta_schema_nfields(s), 7);
    cr_assert_str_eq(carta_schema_field_name(s, 1), "AGE");
    cr_assert_eq(carta_schema_field_index(s, "AVAL"), 2);
    cr_assert_eq(carta_schema_field_index(s, "nope"), -1);
    /* The v1 default type is string. */
    cr_assert_eq(carta_schema_field_kind(s, 0), CARTA_SCHEMA_STRING);
    cr_assert_eq(carta_schema_field_type(s, 0), CARTA_STR);
    cr_assert_eq(carta_schema_field_type(s, 1), CARTA_I64);
    cr_assert_eq(carta_schema_field_type(s, 2), CARTA_F64);
    cr_assert_eq(carta_schema_field_type(s, 3), CARTA_DATE);
    cr_assert_eq(carta_schema_field_type(s, 4), CARTA_STR);
    cr_assert_eq(carta_schema_field_type(s, 5), CARTA_BOOL);
    cr_assert_eq(carta_schema_field_kind(s, 6), CARTA_SCHEMA_ANY);
    cr_assert_str_eq(carta_schema_field_unit(s, 1), "years");
    cr_assert_str_eq(carta_schema_field_title(s, 1), "Age");
    cr_assert_null(carta_schema_field_unit(s, 0));
    cr_assert(carta_schema_field_optional(s, 2));
    cr_assert_not(carta_schema_field_optional(s, 1));
    cr_assert(carta_schema_field_required(s, 0));
    cr_assert_not(carta_schema_field_required(s, 1));
    cr_assert_eq(carta_schema_primary_key_size(s), 1);
    cr_assert_eq(carta_schema_primary_key_field(s, 0), 0);
    cr_assert_eq(carta_schema_fields_match(s), CARTA_SCHEMA_MATCH_SUBSET);
    /* carta's default missing values, and a field's own list. */
    size_t n;
    const char *const *mv = carta_schema_missing_values(s, 0, &n);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(mv[0], "");
    cr_assert_str_eq(mv[1], "NA");
    cr_assert_str_eq(mv[2], ".");
    mv = carta_schema_missing_values(s, 3, &n);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(mv[0], "-");
    cr_assert_str_eq(carta_schema_kind_name(CARTA_SCHEMA_DATETIME), "datetime");
    carta_schema_free(s);
    carta_schema_free(NULL);
}

Test(schema, primary_key_fields_become_required_and_keys_are_read)
{
    carta_schema *s = parse_ok(
        "{\"fields\":[{\"name\":\"S\"},{\"name\":\"U\"},{\"name\":\"P\"}],\"missingValues\":[\"\"],"
        "\"primaryKey\":[\"S\",\"U\"],\"uniqueKeys\":[[\"U\",\"P\"]],\"fieldsMatch\":\"superset\","
        "\"foreignKeys\":[{\"fields\":[\"S\",\"U\"],\"reference\":{\"resource\":\"adsl\",\"fields\":[\"STUDYID\",\"USUBJID\"]}},"
        "{\"fields\":\"P\",\"reference\":{\"fields\":\"S\"}}]}");
    cr_assert(carta_schema_field_required(s, 0));
    cr_assert(carta_schema_field_required(s, 1));
    cr_assert_not(carta_schema_field_required(s, 2));
    cr_assert_eq(carta_schema_primary_key_size(s), 2);
    cr_assert_eq(carta_schema_primary_key_field(s, 1), 1);
    cr_assert_eq(carta_schema_nforeign_keys(s), 2);
    cr_assert_str_eq(carta_schema_foreign_key_resource(s, 0), "adsl");
    cr_assert_str_eq(carta_schema_foreign_key_resource(s, 1), "");
    cr_assert_eq(carta_schema_fields_match(s), CARTA_SCHEMA_MATCH_SUPERSET);
    /* Under superset every field may be absent. */
    cr_assert(carta_schema_field_optional(s, 0));
    size_t n;
    carta_schema_missing_values(s, 0, &n);
    cr_assert_eq(n, 1);
    carta_schema_free(s);
}

Test(schema, malformed_schemas_name_the_json_pointer)
{
    parse_bad("[1,2]", "", "must be a JSON object");
    parse_bad("{}", "", "needs \"fields\"");
    parse_bad("{\"fields\":[]}", "/fields", "non-empty array");
    parse_bad("{\"fields\":[{\"type\":\"string\"}]}", "/fields/0", "needs a \"name\"");
    parse_bad("{\"fields\":[{\"name\":\"A\"},{\"name\":\"B\",\"type\":\"nuber\"}]}", "/fields/1/type", "did you mean \"number\"");
    parse_bad("{\"fields\":[{\"name\":\"A\",\"type\":\"geopoint\"}]}", "/fields/0/type", "not supported");
    parse_bad("{\"fields\":[{\"name\":\"A\",\"constraints\":{\"minimun\":1}}]}", "/fields/0/constraints/minimun",
              "did you mean \"minimum\"");
    parse_bad("{\"fields\":[{\"name\":\"A\",\"tpye\":\"string\"}]}", "/fields/0/tpye", "did you mean \"type\"");
    parse_bad("{\"fields\":[{\"name\":\"A\"}],\"primarykey\":\"A\"}", "/primarykey", "did you mean \"primaryKey\"");
    parse_bad("{\"fields\":[{\"name\":\"A\"},{\"name\":\"A\"}]}", "/fields/1/name", "declared twice");
    parse_bad("{\"fields\":[{\"name\":\"A\",\"name\":\"B\"}]}", "/fields/0/name", "duplicate key");
    parse_bad("{\"fields\":[{\"name\":\"A\",\"type\":\"integer\",\"constraints\":{\"minimum\":\"x\"}}]}",
              "/fields/0/constraints/minimum", "must be a number");
    parse_bad("{\"fields\":[{\"name\":\"A\",\"type\":\"string\",\"constraints\":{\"maximum\":3}}]}",
              "/fields/0/constraints/maximum", "applies to number");
    parse_bad("{\"fields\":[{\"name\":\"A\",\"type\":\"number\",\"constraints\":{\"minimum\":5,\"maximum\":1}}]}",
              "/fields/0/constraints", "greater than maximum");
    parse_bad("{\"fields\":[{\"name\":\"A\",\"type\":\"number\",\"constraints\":{\"minimum\":0,\"exclusiveMinimum\":1}}]}",
              "/fields/0/constraints/exclusiveMinimum", "not both");
    parse_bad("{\"fields\":[{\"name\":\"A\",\"type\":\"date\",\"constraints\":{\"minimum\":\"2014-02-30\"}}]}",
              "/fields/0/constraints/minimum", "YYYY-MM-DD");
    parse_bad("{\"fields\":[{\"name\":\"A\",\"constraints\":{\"pattern\":\"(ab\"}}]}", "/fields/0/constraints/pattern",
              "regular expression");
    parse_bad("{\"fields\":[{\"name\":\"A\",\"type\":\"number\",\"constraints\":{\"pattern\":\"1\"}}]}",
              "/fields/0/constraints/pattern", "string fields");
    parse_bad("{\"fields\":[{\"name\":\"A\",\"constraints\":{\"enum\":[]}}]}", "/fields/0/constraints/enum", "non-empty");
    parse_bad("{\"fields\":[{\"name\":\"A\",\"type\":\"integer\",\"constraints\":{\"enum\":[1,2.5]}}]}",
              "/fields/0/constraints/enum/1", "not a valid integer");
    parse_bad("{\"fields\":[{\"name\":\"A\",\"constraints\":{\"enum\":[\"x\",3]}}]}", "/fields/0/constraints/enum/1",
              "a number is not a valid string");
    parse_bad("{\"fields\":[{\"name\":\"A\",\"constraints\":{\"minLength\":-1}}]}", "/fields/0/constraints/minLength",
              "whole number");
    parse_bad("{\"fields\":[{\"name\":\"A\",\"constraints\":{\"required\":\"yes\"}}]}", "/fields/0/constraints/required",
              "true or false");
    parse_bad("{\"fields\":[{\"name\":\"A\",\"x-optional\":1}]}", "/fields/0/x-optional", "true or false");
    parse_bad("{\"fields\":[{\"name\":\"A\",\"type\":\"date\",\"format\":\"%d/%m/%Y\"}]}", "/fields/0/format", "not supported");
    parse_bad("{\"fields\":[{\"name\":\"A\"}],\"primaryKey\":[\"A\",\"B\"]}", "/primaryKey/1", "not a field");
    parse_bad("{\"fields\":[{\"name\":\"A\"}],\"primaryKey\":[\"A\",\"A\"]}", "/primaryKey/1", "listed twice");
    parse_bad("{\"fields\":[{\"name\":\"A\"}],\"primaryKey\":[]}", "/primaryKey", "non-empty");
    parse_bad("{\"fields\":[{\"name\":\"A\"}],\"uniqueKeys\":[\"A\"]}", "/uniqueKeys/0", "array of field names");
    parse_bad("{\"fields\":[{\"name\":\"A\"}],\"fieldsMatch\":\"some\"}", "/fieldsMatch", "one of subset");
    parse_bad("{\"fields\":[{\"name\":\"A\"}],\"missingValues\":[\"\",0]}", "/missingValues/1", "must be a string");
    parse_bad("{\"fields\":[{\"name\":\"A\"}],\"foreignKeys\":[{\"fields\":\"A\"}]}", "/foreignKeys/0", "needs \"fields\" and");
    parse_bad("{\"fields\":[{\"name\":\"A\"}],\"foreignKeys\":[{\"fields\":\"A\",\"reference\":{\"resource\":\"x\","
              "\"fields\":[\"P\",\"Q\"]}}]}", "/foreignKeys/0/reference/fields", "names 2 fields");
    parse_bad("{\"fields\":[{\"name\":\"A\"}],\"foreignKeys\":[{\"fields\":\"Z\",\"reference\":{\"resource\":\"x\","
              "\"fields\":\"P\"}}]}", "/foreignKeys/0/fields", "not a field");
    parse_bad("{\"fields\":[{\"name\":\"A\"}],\"foreignKeys\":[{\"fields\":\"A\",\"reference\":{\"resourse\":\"x\","
              "\"fields\":\"P\"}}]}", "/foreignKeys/0/reference/resourse", "did you mean \"resource\"");
    parse_bad("{\"fields\":[{\"name\":\"A\"}],\"title\":3}", "/title", "must be a string");
    /* Keys with "/" and "~" are escaped in the pointer (RFC 6901). */
    parse_bad("{\"fields\":[{\"name\":\"A\",\"a/b~c\":1}]}", "/fields/0/a~1b~0c", "unknown key");
}

Test(schema, json_syntax_errors_give_line_and_column)
{
    carta_error err;
    carta_error_clear(&err);
    carta_schema *s = NULL;
    const char *text = "{\n  \"fields\": [\n    {\"name\": \"A\",}\n  ]\n}\n";
    cr_assert_eq(carta_schema_parse(text, strlen(text), "t.json", &s, &err), CARTA_ECONFIG);
    cr_assert_null(s);
    cr_assert_eq(err.line, 3, "%s", err.msg);
    cr_assert_gt(err.col, 1, "%s", err.msg);
    cr_assert(strstr(err.msg, "t.json:3:"), "%s", err.msg);
    carta_error_clear(&err);
    text = "{\"fields\":[{\"name\":\"A\"}]} x";
    cr_assert_eq(carta_schema_parse(text, strlen(text), "t.json", &s, &err), CARTA_ECONFIG);
    cr_assert(strstr(err.msg, "after the JSON value"), "%s", err.msg);
}

Test(schema, an_unreadable_file_is_an_io_error)
{
    carta_error err;
    carta_error_clear(&err);
    carta_schema *s = NULL;
    cr_assert_eq(carta_schema_read("/nonexistent/x.json", "x.json", &s, &err), CARTA_EIO);
    cr_assert_null(s);
    cr_assert_str_eq(err.file, "x.json");
}

/* Every allocation failure while reading a schema ends in CARTA_ENOMEM with nothing leaked
   (the sanitizer build checks the leaks), and the loop ends in success. */
Test(schema, survives_every_allocation_failure)
{
    const char *json =
        "{\"fields\":[{\"name\":\"ID\",\"title\":\"t\",\"description\":\"d\",\"unit\":\"u\"},"
        "{\"name\":\"A\",\"type\":\"integer\",\"constraints\":{\"minimum\":0,\"maximum\":9,\"enum\":[1,2,3],\"unique\":true}},"
        "{\"name\":\"S\",\"missingValues\":[\"-\"],\"constraints\":{\"pattern\":\"[A-Z]+\",\"enum\":[\"A\",\"B\"]}},"
        "{\"name\":\"B\",\"type\":\"boolean\",\"trueValues\":[\"Y\"],\"falseValues\":[\"N\"]}],"
        "\"primaryKey\":[\"ID\"],\"uniqueKeys\":[[\"ID\",\"A\"]],"
        "\"foreignKeys\":[{\"fields\":[\"ID\"],\"reference\":{\"resource\":\"p\",\"fields\":[\"ID\"]}}]}";
    int ok = 0;
    for (long k = 1; k < 500 && !ok; k++) {
        carta_error err;
        carta_error_clear(&err);
        carta_schema *s = NULL;
        carta_alloc_fail_at(k);
        int rc = carta_schema_parse(json, strlen(json), "t.json", &s, &err);
        carta_alloc_fail_at(0);
        cr_assert(rc == CARTA_OK || rc == CARTA_ENOMEM, "k=%ld: rc %d (%s)", k, rc, err.msg);
        if (rc == CARTA_OK) {
            ok = 1;
            cr_assert_eq(carta_schema_nfields(s), 4);
            carta_schema_free(s);
        } else {
            cr_assert_null(s);
        }
    }
    cr_assert(ok, "never succeeded");
}

/* The shipped Table Schemas all read (config.schema.json and card.schema.json are JSON
   Schemas, not Table Schemas). */
Test(schema, every_shipped_table_schema_reads)
{
    DIR *d = opendir("data-schemas");
    cr_assert_not_null(d, "run the tests from the repository root");
    struct dirent *e;
    size_t n = 0;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0) continue;
        if (strcmp(e->d_name, "config.schema.json") == 0 || strcmp(e->d_name, "card.schema.json") == 0) continue;
        char path[512];
        snprintf(path, sizeof path, "data-schemas/%s", e->d_name);
        carta_error err;
        carta_error_clear(&err);
        carta_schema *s = NULL;
        cr_expect_eq(carta_schema_read(path, path, &s, &err), CARTA_OK, "%s", err.msg);
        if (s) {
            /* STUDYID is the first column of every carta table. */
            cr_expect_str_eq(carta_schema_field_name(s, 0), "STUDYID", "%s", path);
            cr_expect(carta_schema_field_required(s, 0), "%s: STUDYID must be required", path);
        }
        carta_schema_free(s);
        n++;
    }
    closedir(d);
    cr_assert_geq(n, 5, "expected studies, adsl, adtte, adae and adlb schemas, found %zu", n);
}

Test(schema, shipped_schemas_declare_their_keys)
{
    static const struct { const char *file; size_t pk; const char *fk; } want[] = {
        { "data-schemas/studies.json", 1, NULL },
        { "data-schemas/adsl.json", 2, "studies" },
        { "data-schemas/adtte.json", 3, "adsl" },
        { "data-schemas/adae.json", 3, "adsl" },
        { "data-schemas/adlb.json", 0, "adsl" },
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        carta_error err;
        carta_error_clear(&err);
        carta_schema *s = NULL;
        cr_assert_eq(carta_schema_read(want[i].file, NULL, &s, &err), CARTA_OK, "%s", err.msg);
        cr_expect_eq(carta_schema_primary_key_size(s), want[i].pk, "%s", want[i].file);
        if (want[i].fk) {
            cr_assert_eq(carta_schema_nforeign_keys(s), 1, "%s", want[i].file);
            cr_expect_str_eq(carta_schema_foreign_key_resource(s, 0), want[i].fk);
        } else {
            cr_expect_eq(carta_schema_nforeign_keys(s), 0);
        }
        carta_schema_free(s);
    }
}
