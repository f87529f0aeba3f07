/* tests/lib/check.h: numeric comparison with gsl_test_rel's semantics, and reference JSON access. */
#ifndef CARTA_TEST_CHECK_H
#define CARTA_TEST_CHECK_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include <carta/table.h>

/* Compares obs with exp: NaN matches only NaN, +-Inf only the same Inf, exp == 0 is compared
   absolutely (|obs| <= rtol), otherwise |obs - exp| / |exp| <= rtol. On failure prints
   "<what>: obs vs exp (rel r > rtol)" to stderr and returns 0; returns 1 on a match. */
int check_rel(double obs, double exp, double rtol, const char *what, ...)
    __attribute__((format(printf, 4, 5)));

/* check_rel over n elements; what names the case and field ("lung_efron coef"). Returns the
   number of mismatches (0 = all match); prints each mismatch with its index. */
int check_vec(const double *obs, const double *exp, size_t n, double rtol, const char *what);

/* Loads a JSON file relative to the repository root (the tests run from there). Aborts the
   test with a message when it cannot be read or parsed. Free with cJSON_Delete. */
cJSON *ref_load(const char *path);

/* The tolerance named field in ref's "tol" object; aborts the test when absent, so that
   tolerances live beside the reference, never in the test code. */
double ref_tol(const cJSON *ref, const char *field);

/* A newly allocated double array from a JSON array of numbers (null -> NaN); *n its length.
   Aborts the test when key is absent or not an array. Free with free(). */
double *ref_doubles(const cJSON *obj, const char *key, size_t *n);

/* The shared data folder (../shared, or $CARTA_SHARED), or NULL when it is absent. */
const char *shared_dir(void);

/* Path of a file under the shared data folder in a static buffer; NULL when absent. */
const char *shared_path(const char *rel);

/* The carta binary to drive in CLI tests ($CARTA_BIN, else build/rel/carta). */
const char *carta_bin(void);

/* Runs a shell command, capturing stdout+stderr (up to cap bytes) into out; returns the exit
   status (or -1 when it could not run). */
int run_capture(const char *cmd, char *out, size_t cap);

/* A file's whole text, NUL-terminated (free with free()); aborts the test when it cannot be
   read. */
char *read_file_text(const char *path);

/* Field k (0-based) of a CSV line without quoted fields, copied into buf (at most cap - 1
   bytes); NULL when the line has fewer fields. */
const char *csv_field(const char *line, int k, char *buf, size_t cap);

/* The 0-based index of the column called name in a CSV header line, or -1. */
int csv_col_index(const char *header, const char *name);

/* Appends a column of n numbers, or of n strings (NULL = missing), to t; aborts the test on
   failure. */
void col_f64(carta_table *t, const char *name, const double *v, size_t n);
void col_str(carta_table *t, const char *name, const char *const *v, size_t n);

/* A run's full-data prediction of `model` for subject usubjid, as text in out, from the text of
   its predictions.csv (USUBJID in field 1, model in field 3, prediction in field 4), or NULL. */
const char *run_prediction_text(const char *preds, const char *model, const char *usubjid, char *out, size_t cap);

#endif
