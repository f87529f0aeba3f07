/* tests/lib/check.h: numeric comparison with gsl_test_rel's semantics, and reference JSON access. */
#ifndef CARTA_TEST_CHECK_H
#define CARTA_TEST_CHECK_H

#include <stddef.h>
#include <cjson/cJSON.h>

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

#endif
