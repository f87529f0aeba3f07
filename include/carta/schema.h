/* carta/schema.h: Frictionless Table Schemas (https://specs.frictionlessdata.io/table-schema/)
   as carta reads them: the declared columns of an input table, their types and constraints,
   its primary, unique and foreign keys. The checks themselves are in carta/validate.h.

   What carta accepts (README "Table schemas" has the full list):
   - top level: fields (required), missingValues, primaryKey, uniqueKeys, foreignKeys,
     fieldsMatch, and the descriptive $schema, name, title, description, profile;
   - per field: name (required), type, format, title, description, example, unit, rdfType,
     missingValues, trueValues, falseValues, decimalChar, groupChar, bareNumber, constraints,
     and carta's "x-optional" (the column may be absent from the table);
   - constraints: required, unique, enum, minimum, maximum, exclusiveMinimum, exclusiveMaximum,
     pattern, minLength, maxLength.
   Keys starting with "x-" are extensions and are ignored unless listed above; any other
   unknown key is an error (it is usually a typo: "minimun"). */
#ifndef CARTA_SCHEMA_H
#define CARTA_SCHEMA_H

#include <stddef.h>
#include <carta/error.h>
#include <carta/table.h>

typedef struct carta_schema carta_schema;

/* The Frictionless field types carta supports. */
typedef enum carta_schema_kind {
    CARTA_SCHEMA_STRING,
    CARTA_SCHEMA_NUMBER,
    CARTA_SCHEMA_INTEGER,
    CARTA_SCHEMA_BOOLEAN,
    CARTA_SCHEMA_DATE,
    CARTA_SCHEMA_DATETIME,
    CARTA_SCHEMA_ANY
} carta_schema_kind;

/* How the table's columns must match the schema's fields (Frictionless v2 "fieldsMatch").
   carta's default is SUBSET: every field must be a column unless it is "x-optional", and
   columns not in the schema are allowed (reported as a note). */
typedef enum carta_schema_match {
    CARTA_SCHEMA_MATCH_SUBSET,   /* schema fields ⊆ columns; extra columns allowed */
    CARTA_SCHEMA_MATCH_SUPERSET, /* columns ⊆ schema fields; any field may be absent */
    CARTA_SCHEMA_MATCH_EQUAL,    /* same set of names, any order */
    CARTA_SCHEMA_MATCH_EXACT,    /* same names in the same order */
    CARTA_SCHEMA_MATCH_PARTIAL   /* at least one field is a column */
} carta_schema_match;

/* Reads and checks a Table Schema JSON file. shown is the name used in messages (e.g. the path
   as written in the config); NULL means path. On success *out owns the schema (free with
   carta_schema_free); on failure *out is untouched.
   Errors: CARTA_EIO (unreadable file), CARTA_ENOMEM, CARTA_ECONFIG for invalid JSON
   (err->line/col set) or an invalid schema, naming the JSON pointer in err->field and the
   message ("adsl.json: /fields/3/type: \"nuber\" is not one of ... (did you mean \"number\"?)"). */
int carta_schema_read(const char *path, const char *shown, carta_schema **out, carta_error *err);

/* As carta_schema_read, from JSON text of len bytes (need not be NUL-terminated). */
int carta_schema_parse(const char *text, size_t len, const char *shown, carta_schema **out,
                       carta_error *err);

/* Frees the schema; NULL is a no-op. */
void carta_schema_free(carta_schema *s);

/* The name shown in messages (never NULL). */
const char *carta_schema_source(const carta_schema *s);

/* Number of fields; the i-th field's name (borrowed, i < nfields); the index of the field
   named name, or -1 when there is none. */
size_t      carta_schema_nfields(const carta_schema *s);
const char *carta_schema_field_name(const carta_schema *s, size_t i);
long        carta_schema_field_index(const carta_schema *s, const char *name);

/* The declared type of field i. */
carta_schema_kind carta_schema_field_kind(const carta_schema *s, size_t i);

/* The column type a loader should produce for field i: string -> CARTA_STR, number -> F64,
   integer -> I64, boolean -> BOOL, date -> DATE. datetime and any have no column type of their
   own: this returns CARTA_STR for them, and a loader that infers types should check
   carta_schema_field_kind() == CARTA_SCHEMA_ANY and infer as it would without a schema. */
carta_type carta_schema_field_type(const carta_schema *s, size_t i);

/* The field's unit (carta extension "unit"), title and description; NULL when absent. */
const char *carta_schema_field_unit(const carta_schema *s, size_t i);
const char *carta_schema_field_title(const carta_schema *s, size_t i);
const char *carta_schema_field_description(const carta_schema *s, size_t i);

/* 1 when field i may be absent from the table ("x-optional": true, or fieldsMatch lets it). */
int carta_schema_field_optional(const carta_schema *s, size_t i);

/* 1 when field i has constraints.required (or is part of the primary key). */
int carta_schema_field_required(const carta_schema *s, size_t i);

/* The strings that mean "missing" for field i (its own missingValues, else the schema's, else
   carta's default "", "NA", "."). *n receives the count; the array is borrowed. */
const char *const *carta_schema_missing_values(const carta_schema *s, size_t i, size_t *n);

/* The primary key: number of fields, and the field index of the k-th (k < n). */
size_t carta_schema_primary_key_size(const carta_schema *s);
size_t carta_schema_primary_key_field(const carta_schema *s, size_t k);

/* Number of foreign keys; the referenced table ("resource"; "" means this table) of the j-th. */
size_t      carta_schema_nforeign_keys(const carta_schema *s);
const char *carta_schema_foreign_key_resource(const carta_schema *s, size_t j);

/* The fieldsMatch mode. */
carta_schema_match carta_schema_fields_match(const carta_schema *s);

/* The name of a kind: "string", "number", "integer", "boolean", "date", "datetime", "any". */
const char *carta_schema_kind_name(carta_schema_kind k);

#endif
