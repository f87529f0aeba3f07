/* The inside of carta_schema, shared by schema.c (which builds it from JSON) and validate.c
   (which checks tables against it). Private to src/validate/. */
#ifndef CARTA_VALIDATE_SCHEMA_INT_H
#define CARTA_VALIDATE_SCHEMA_INT_H

#include <carta/schema.h>

#include <regex.h>
#include <stddef.h>

typedef struct schema_field {
    char *name, *title, *description, *unit;
    carta_schema_kind kind;
    int date_any;          /* format "any": dates may carry a time part, datetimes may be dates */
    int optional;          /* x-optional, or implied by fieldsMatch */
    int required, unique;
    /* minimum/maximum for number, integer, date (days since 1970-01-01) and datetime (seconds
       since 1970-01-01T00:00:00Z). */
    int has_min, has_max, min_excl, max_excl;
    double min, max;
    char *min_text, *max_text; /* as written in the schema, for messages */
    int has_minlen, has_maxlen;
    size_t minlen, maxlen;     /* in characters (UTF-8 code points) */
    char *pattern;             /* as written; re is compiled anchored: ^(pattern)$ */
    int has_re;
    regex_t re;
    size_t n_enum;
    char **enum_text;          /* as written (strings; numbers as JSON text) */
    double *enum_num;          /* number, integer, boolean (0/1), date, datetime: the value */
    char **true_values, **false_values;
    size_t n_true, n_false;
    char **missing;            /* field-level missingValues, NULL = use the schema's */
    size_t n_missing;
    int has_missing;
} schema_field;

/* A key: field indices into carta_schema.fields. */
typedef struct schema_key {
    size_t n;
    size_t *fields;
} schema_key;

typedef struct schema_fkey {
    schema_key key;
    char *resource;            /* "" = this table */
    char **ref_fields;         /* n_ref names in the referenced table (== key.n once read) */
    size_t n_ref;
} schema_fkey;

struct carta_schema {
    char *source;
    schema_field *fields;
    size_t n_fields;
    char **missing;
    size_t n_missing;
    schema_key pk;
    schema_key *uniq;
    size_t n_uniq;
    schema_fkey *fk;
    size_t n_fk;
    carta_schema_match match;
};

/* Parsers shared by schema.c and validate.c (defined in validate.c). Each parses exactly len
   bytes and returns 0 on success, -1 when the text is not of the type. */
int carta_validate_parse_number(const char *s, size_t len, double *v);
int carta_validate_parse_integer(const char *s, size_t len, double *v);
int carta_validate_parse_date(const char *s, size_t len, int lenient, double *days);
int carta_validate_parse_datetime(const char *s, size_t len, int lenient, double *secs);

#endif
