/* carta/jsonw.h: a small streaming JSON writer for canonical outputs (card.json, model files).
   Keys come out in the order they are written, numbers as the shortest text that reads back to
   the same double (carta_numfmt), non-finite numbers as null, strings escaped per RFC 8259. */
#ifndef CARTA_JSONW_H
#define CARTA_JSONW_H

#include <stddef.h>
#include <stdint.h>
#include <carta/error.h>

typedef struct carta_jsonw carta_jsonw;

/* A writer into a growing memory buffer; indent = spaces per level (0 = compact, one line).
   NULL when out of memory. */
carta_jsonw *carta_jsonw_new(int indent);
void carta_jsonw_free(carta_jsonw *w);

/* Structure. A key is given with carta_jsonw_key before a value inside an object. */
void carta_jsonw_begin_object(carta_jsonw *w);
void carta_jsonw_end_object(carta_jsonw *w);
void carta_jsonw_begin_array(carta_jsonw *w);
void carta_jsonw_end_array(carta_jsonw *w);
void carta_jsonw_key(carta_jsonw *w, const char *key);

/* Values. */
void carta_jsonw_string(carta_jsonw *w, const char *s); /* NULL writes null */
void carta_jsonw_number(carta_jsonw *w, double x);       /* non-finite writes null */
void carta_jsonw_int(carta_jsonw *w, int64_t x);
void carta_jsonw_bool(carta_jsonw *w, int b);
void carta_jsonw_null(carta_jsonw *w);
/* A count that may identify patients: a whole count in [1, threshold) is written as the string
   "<threshold" (small-count suppression in model cards); other values, and every value when
   threshold <= 0, as numbers. */
void carta_jsonw_count(carta_jsonw *w, double count, long threshold);

/* Inserts already-valid JSON text as one value (e.g. a nested canonical document). */
void carta_jsonw_raw(carta_jsonw *w, const char *json);

/* Shorthands for "key": value. */
void carta_jsonw_kstring(carta_jsonw *w, const char *key, const char *s);
void carta_jsonw_knumber(carta_jsonw *w, const char *key, double x);
void carta_jsonw_kint(carta_jsonw *w, const char *key, int64_t x);
void carta_jsonw_kbool(carta_jsonw *w, const char *key, int b);
/* "key": [x0, x1, ...] with n numbers. */
void carta_jsonw_knumbers(carta_jsonw *w, const char *key, const double *x, size_t n);

/* Finishes the document: CARTA_ENOMEM if any write ran out of memory, CARTA_EUSAGE if the
   nesting is unbalanced; on success *out is the NUL-terminated text (owned by the writer until
   carta_jsonw_take, which hands it to the caller: carta_free). */
int carta_jsonw_finish(carta_jsonw *w, const char **out, size_t *len, carta_error *err);
char *carta_jsonw_take(carta_jsonw *w);

#endif
