/* carta/table.h: the one columnar in-memory table every loader produces and every later stage
   reads. Columns are typed; each has a missing-value bitmap, and optionally a label, a unit and a
   display format (from SAS or Dataset-JSON metadata). */
#ifndef CARTA_TABLE_H
#define CARTA_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <carta/error.h>

typedef enum carta_type {
    CARTA_F64,  /* double */
    CARTA_I64,  /* 64-bit integer */
    CARTA_BOOL, /* 0 or 1, stored in i64 */
    CARTA_DATE, /* days since 1970-01-01, stored in i64 */
    CARTA_STR   /* dictionary-encoded UTF-8 string */
} carta_type;

typedef struct carta_dict carta_dict; /* private string-to-code map of a CARTA_STR column */

/* A column. Read its fields directly; change it only through the functions below. */
typedef struct carta_column {
    char *name;
    char *label;      /* NULL when the source has none */
    char *unit;       /* NULL when the source has none */
    char *format;     /* display format from the source (e.g. "DATE9."), NULL when none */
    carta_type type;
    size_t n;         /* number of rows */
    double *f64;      /* CARTA_F64 values (NaN where missing) */
    int64_t *i64;     /* CARTA_I64, CARTA_BOOL and CARTA_DATE values (0 where missing) */
    uint32_t *code;   /* CARTA_STR: index into levels (0 where missing) */
    char **levels;    /* CARTA_STR: distinct strings, in order of first appearance */
    size_t n_levels;
    uint8_t *missing; /* bit i set = row i missing; NULL while no row is missing */
    size_t n_missing;
    /* Private to table.c. */
    size_t cap;
    carta_dict *dict;
} carta_column;

typedef struct carta_table carta_table;

/* A new empty table; source is the file name used in messages (copied; may be NULL).
   NULL when out of memory. Free with carta_table_free. */
carta_table *carta_table_new(const char *source);

/* Frees the table and all its columns; NULL is a no-op. */
void carta_table_free(carta_table *t);

/* Adds an empty column named name (copied). *out points to it, owned by the table, valid until
   the table is freed. CARTA_EDATA for a duplicate or empty name, CARTA_ENOMEM. */
int carta_table_add_column(carta_table *t, const char *name, carta_type type, carta_column **out,
                           carta_error *err);

/* Number of columns; number of rows (0 for a table without columns). */
size_t carta_table_ncols(const carta_table *t);
size_t carta_table_nrows(const carta_table *t);

/* The i-th column (0-based, i < ncols), or the column named name (NULL when absent). */
carta_column *carta_table_column(const carta_table *t, size_t i);
carta_column *carta_table_find(const carta_table *t, const char *name);

/* The source name given to carta_table_new (NULL if none). */
const char *carta_table_source(const carta_table *t);

/* A deep copy of t (every column, its dictionary and metadata); source renamed when source is
   not NULL. CARTA_ENOMEM. */
int carta_table_clone(const carta_table *t, const char *source, carta_table **out, carta_error *err);

/* A new table holding rows rows[0..n) of t (in that order; an index may repeat, as bootstrap
   samples do), every column with its metadata and dictionary. CARTA_ENOMEM, CARTA_EDATA for an
   index out of range. */
int carta_table_take(const carta_table *t, const size_t *rows, size_t n, carta_table **out, carta_error *err);

/* Removes the column named name (a no-op when absent). */
void carta_table_drop_column(carta_table *t, const char *name);

/* Checks that every column has the same number of rows; CARTA_EDATA naming the column if not. */
int carta_table_check(const carta_table *t, carta_error *err);

/* Sets label, unit and format (each copied; NULL leaves the field unchanged). CARTA_ENOMEM. */
int carta_column_set_meta(carta_column *c, const char *label, const char *unit, const char *format);

/* Makes room for at least n rows in total. CARTA_ENOMEM (or overflow) on failure. */
int carta_column_reserve(carta_column *c, size_t n);

/* Appends one value. push_f64 is for CARTA_F64; push_i64 for CARTA_I64, CARTA_BOOL and
   CARTA_DATE; push_str for CARTA_STR (s need not be NUL-terminated; len bytes are copied into
   the dictionary). push_missing appends a missing value of any type. All return CARTA_OK or
   CARTA_ENOMEM. A NaN pushed to an F64 column is recorded as missing. */
int carta_column_push_f64(carta_column *c, double v);
int carta_column_push_i64(carta_column *c, int64_t v);
int carta_column_push_str(carta_column *c, const char *s, size_t len);
int carta_column_push_missing(carta_column *c);

/* 1 when row i is missing. */
static inline int carta_column_is_missing(const carta_column *c, size_t i)
{
    return c->missing && (c->missing[i >> 3] >> (i & 7)) & 1;
}

/* The string of row i of a CARTA_STR column, or NULL when missing. Borrowed from the column. */
static inline const char *carta_column_str(const carta_column *c, size_t i)
{
    return carta_column_is_missing(c, i) ? NULL : c->levels[c->code[i]];
}

/* The value of row i as a double (F64 as is; I64, BOOL, DATE converted); NaN when missing or
   for a CARTA_STR column. */
double carta_column_number(const carta_column *c, size_t i);

/* Looks a string up in a CARTA_STR column's dictionary: its code, or -1 when absent. */
long carta_column_level(const carta_column *c, const char *s);

/* The name of a type: "number", "integer", "boolean", "date", "string". */
const char *carta_type_name(carta_type t);

/* Converts a date to days since 1970-01-01 and back (proleptic Gregorian calendar). */
int64_t carta_days_from_civil(int64_t y, unsigned m, unsigned d);
void    carta_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

/* Parses "YYYY-MM-DD" (exactly len bytes; a trailing "Thh:mm[:ss]" time part is accepted and
   dropped) into days since 1970-01-01. Returns 0 on success, -1 when not a valid date. */
int carta_parse_date(const char *s, size_t len, int64_t *days);

#endif
