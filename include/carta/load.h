/* carta/load.h: one entry point for every table format carta reads. */
#ifndef CARTA_LOAD_H
#define CARTA_LOAD_H

#include <stddef.h>
#include <carta/error.h>
#include <carta/table.h>

typedef enum carta_format {
    CARTA_FORMAT_AUTO = 0,  /* from the file name's extension (.csv .xpt .sas7bdat .json .ndjson
                               .dsjc, with an optional .gz) */
    CARTA_FORMAT_CSV,
    CARTA_FORMAT_XPT,
    CARTA_FORMAT_SAS7BDAT,
    CARTA_FORMAT_DSJSON     /* CDISC Dataset-JSON, .json or .ndjson, plain or compressed */
} carta_format;

typedef struct carta_load_spec {
    const char *path;              /* the file to open */
    const char *shown;             /* its name in messages (as the user wrote it); NULL = path */
    carta_format format;
    char sep;                      /* CSV separator; 0 = ',' */
    const char *const *na;         /* CSV missing-value tokens, NULL-terminated; NULL = default */
    size_t n_types;                /* CSV: declared column types (from the table's schema) */
    const char *const *type_names;
    const carta_type *types;
    int threads;                   /* CSV parser threads; 0 = one per core */
} carta_load_spec;

/* The format the extension of path names, or CARTA_FORMAT_AUTO when it names none. */
carta_format carta_format_from_path(const char *path);

/* The format's name ("csv", "xpt", "sas7bdat", "dataset-json"). */
const char *carta_format_name(carta_format f);

/* Loads the table the spec names into *out (carta_table_free). *first_data_row (may be NULL)
   receives the number a user gives the table's first data row: 2 for CSV (the header is row
   1), 1 for the others. Errors are the readers': CARTA_EIO, CARTA_EDATA, CARTA_ENOMEM, and
   CARTA_ECONFIG for a file whose format cannot be told from its name. */
int carta_load_table(const carta_load_spec *spec, carta_table **out, long *first_data_row, carta_error *err);

#endif
