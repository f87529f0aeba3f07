/* carta/error.h: status codes and the caller-owned error record every fallible call fills. */
#ifndef CARTA_ERROR_H
#define CARTA_ERROR_H

#include <stddef.h>

/* Status codes: 0 is success, negative values name the kind of failure. */
enum {
    CARTA_OK       = 0,
    CARTA_EUSAGE   = -1, /* bad command line */
    CARTA_ECONFIG  = -2, /* invalid JSON, unknown key, wrong type, bad value */
    CARTA_EDATA    = -3, /* input violates its schema or cannot be parsed */
    CARTA_EIO      = -4, /* open, read, write, rename */
    CARTA_ENOMEM   = -5, /* an allocation failed */
    CARTA_ENUMERIC = -6, /* singular matrix, no events, non-finite values */
    CARTA_EDEP     = -7, /* a dependency failed: xgboost, LAPACKE, ReadStat, GSL */
    CARTA_ECHECK   = -8  /* a check failed: verify drift, invalid data found by validation */
};

/* Where an error happened. Every field is optional (NULL or 0 = not known). */
typedef struct carta_where {
    const char *file;  /* as the user named it, never an absolute path made up by carta */
    long row;          /* 1-based data row, as a spreadsheet shows it */
    long line, col;    /* 1-based text position for syntax errors */
    const char *field; /* column name or JSON pointer ("/models/1/ties") */
} carta_where;

/* The error record. Owned by the caller (usually on the stack); zero-initialise it or call
   carta_error_clear() before use. Only the first error is kept: later ones would hide the cause. */
typedef struct carta_error {
    int  code;            /* CARTA_OK until the first error */
    long row, line, col;
    char file[256];
    char field[128];
    char msg[1024];       /* the full sentence, location first */
} carta_error;

/* Resets err to "no error". */
void carta_error_clear(carta_error *err);

/* Records an error unless one is already recorded, and returns code (so callers can write
   `return carta_error_set(...)`). The message is "file:row: column F: <fmt>" built from `at`;
   at may be NULL. err may be NULL, in which case only code is returned. */
int carta_error_set(carta_error *err, int code, const carta_where *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Prepends outer context to an existing message, e.g. "model \"cox\": ". No-op without an error. */
void carta_error_prefix(carta_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A short name of a status code ("config error", "I/O error", ...); never NULL. */
const char *carta_strerror(int code);

#endif
