/* carta/validate.h: checks loaded tables against their Table Schemas (carta/schema.h) and
   collects every violation, grouped by rule, with the first examples and a total count.

   Row numbers. Every row number in a result is the row as the user finds it in the file:
   a loader passes first_data_row, the number of the table's first data row (2 for a CSV with
   a header row, as a spreadsheet shows it; 1 for XPORT, sas7bdat and Dataset-JSON, whose rows
   are counted from 1). Row i (0-based) of the table is reported as first_data_row + i.

   Values. A value is checked in its text form when the loaded column type differs from the
   declared type: a string column under a number field is valid when every value reads as a
   number, and each value that does not is a "type" violation naming the value. An F64 column
   under an integer field is valid when its values are whole numbers (XPORT stores every number
   as a double). A date field takes CARTA_DATE columns; a datetime field also takes an F64
   column with a SAS datetime format (DATETIME20., E8601DT., ...), which carta's SAS reader
   fills with seconds since 1970-01-01T00:00:00 (carta/xpt.h).

   Missing values. A cell is missing when its column's missing bit is set, or when it is a
   string listed in the field's missingValues (carta's default: "", "NA", "."). A missing
   value breaks only "required"; the other constraints skip it. Keys (primaryKey, uniqueKeys,
   unique, foreignKeys) skip tuples with a missing part, except that primary-key fields are
   required.

   Rules, as they appear in carta_vgroup.rule:
     "field"       a schema field is not a column (and is not x-optional), or, under fieldsMatch
                   exact/equal, a column is not a field or is out of order
     "required"    a missing value where the field is required (or in the primary key)
     "type"        a value that is not of the declared type
     "enum", "minimum", "maximum", "pattern", "minLength", "maxLength"   the constraints
     "unique"      a repeated value in a unique field
     "primaryKey"  a repeated primary-key tuple (each example names both rows)
     "uniqueKey"   a repeated uniqueKeys tuple
     "foreignKey"  a key tuple absent from the referenced table (an orphan row)
   and notes (severity CARTA_VALIDATE_NOTE, not counted as violations):
     "extra"       columns that are not in the schema (allowed under fieldsMatch subset); one
                   group per table, its column the names joined by ", ", its count how many
     "absent"      optional fields that are not columns (one group, as "extra")
     "loaded-type" a column loaded with a type other than the declared one whose values all
                   conform (tell the loader the declared type)
     "not-checked" a key that could not be checked (its table or one of its columns is absent) */
#ifndef CARTA_VALIDATE_H
#define CARTA_VALIDATE_H

#include <stddef.h>
#include <stdio.h>
#include <carta/error.h>
#include <carta/schema.h>
#include <carta/table.h>

enum { CARTA_VALIDATE_ERROR = 0, CARTA_VALIDATE_NOTE = 1 };

/* One offending cell or row. */
typedef struct carta_vexample {
    long row;      /* the row as the user counts it (see above); 0 for a column-level finding */
    long row2;     /* for duplicates: the first row holding the same key; 0 otherwise */
    char *value;   /* the value as text (a tuple as "A, B"); NULL when missing */
} carta_vexample;

/* All violations of one rule on one column (or key) of one table. */
typedef struct carta_vgroup {
    char *table;   /* the table's name (as in the config) */
    char *file;    /* the file it came from as shown to the user (the table's source), or NULL */
    char *column;  /* column name, or "A, B" for a key */
    char *rule;    /* see the list above */
    char *detail;  /* the rule with its parameter: "minimum 18", "one of F, M", "is not a number" */
    int severity;  /* CARTA_VALIDATE_ERROR or CARTA_VALIDATE_NOTE */
    size_t count;  /* rows (or columns) in violation, in total */
    size_t n_examples;           /* <= max_examples */
    carta_vexample *examples;    /* the first ones, in row order of discovery */
} carta_vgroup;

/* What a table held, for the report: one entry per column of the table. */
typedef struct carta_vcolumn {
    char *name;
    carta_type type;        /* as loaded */
    int in_schema;          /* 1 when the schema declares it */
    carta_schema_kind kind; /* the declared type (meaningful when in_schema) */
    size_t n_missing;       /* missing cells, including strings in missingValues */
} carta_vcolumn;

typedef struct carta_vtable {
    char *table, *file;
    size_t rows, cols;
    size_t n_errors;        /* violations found in this table (foreign keys included) */
    carta_vcolumn *columns; /* cols entries */
} carta_vtable;

/* The result of validating one or more tables. Read the fields; change it only through the
   functions below. */
typedef struct carta_validation {
    carta_vtable *tables;
    size_t n_tables;
    carta_vgroup *groups;   /* errors and notes, in the order found */
    size_t n_groups;
    size_t n_errors;        /* total violations over all error groups */
    size_t cap_tables, cap_groups; /* private */
} carta_validation;

/* A new empty result (free with carta_validation_free); NULL when out of memory. */
carta_validation *carta_validation_new(void);

/* Frees the result; NULL is a no-op. */
void carta_validation_free(carta_validation *v);

/* Checks table t, named table_name (copied; used in messages and to match foreign keys),
   against schema s, and appends its summary and its violations to v. Row numbers are reported
   from first_data_row (>= 1; see above). At most max_examples examples are kept per group
   (counts are always complete). t and s are borrowed for the call.
   Returns CARTA_OK when the check ran, whatever it found (see carta_validation_count and
   carta_validation_status); CARTA_ENOMEM, in which case v holds what was found so far and must
   still be freed; CARTA_EDATA when the table's columns differ in length; CARTA_EUSAGE for
   first_data_row < 1 or NULL arguments. */
int carta_validate_table(const carta_table *t, const char *table_name, const carta_schema *s,
                         long first_data_row, size_t max_examples, carta_validation *v,
                         carta_error *err);

/* One table of a data set, for carta_validate_foreign_keys. schema may be NULL (a table
   without a schema declares no foreign keys). */
typedef struct carta_vinput {
    const char *name;          /* as in the config; foreign keys name it as "resource" */
    const carta_table *table;
    const carta_schema *schema;
    long first_data_row;
} carta_vinput;

/* Checks every foreign key of every table in tables[0..n): each key tuple of the child rows
   (tuples with a missing part are skipped) must exist in the referenced table's columns.
   A key whose referenced table is not among tables, or one of whose columns is absent, is
   reported as a "not-checked" note. Orphans are "foreignKey" violations of the child table.
   O(n log n) in the rows. Errors as carta_validate_table. */
int carta_validate_foreign_keys(const carta_vinput *tables, size_t n, size_t max_examples,
                                carta_validation *v, carta_error *err);

/* Total violations (notes are not counted). */
size_t carta_validation_count(const carta_validation *v);

/* CARTA_OK when there are no violations; otherwise CARTA_ECHECK with err describing the first
   error group ("adsl.csv: 3 rows violate AGE minimum 18, e.g. row 14: 12, ..."), err->file,
   err->row and err->field set from its first example. */
int carta_validation_status(const carta_validation *v, carta_error *err);

/* Writes one group as a sentence, without a newline, into buf (always NUL-terminated):
   "adsl.csv: 3 rows violate AGE minimum 18, e.g. row 14: 12, row 201: 9, row 230: 3".
   Returns buf. */
char *carta_vgroup_describe(const carta_vgroup *g, char *buf, size_t cap);

/* Writes the human report: per table its file, rows and columns, a line per column (name,
   loaded type, declared type, missing count), then its errors and notes, one per line; last a
   total. Returns CARTA_OK or CARTA_EIO when writing fails. */
int carta_validation_format(const carta_validation *v, FILE *fp);

#endif
