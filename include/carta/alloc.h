/* carta/alloc.h: the allocator every carta module uses, with a fault-injection switch for tests. */
#ifndef CARTA_ALLOC_H
#define CARTA_ALLOC_H

#include <stddef.h>

/* malloc/calloc/realloc/free with the same contracts as the C library. When fault injection is
   armed, the k-th call from then on (counting malloc, calloc and realloc) returns NULL, and so
   does every later one until the switch is disarmed. */
void *carta_malloc(size_t size);
void *carta_calloc(size_t count, size_t size);
void *carta_realloc(void *ptr, size_t size);
void  carta_free(void *ptr);

/* Duplicates a NUL-terminated string (or the first len bytes of s); NULL on failure. */
char *carta_strdup(const char *s);
char *carta_strndup(const char *s, size_t len);

/* Multiplies a * b into *out; returns 0 on success, -1 on size_t overflow. */
int carta_size_mul(size_t a, size_t b, size_t *out);

/* Test hook: fail the k-th allocation from now on (k >= 1); k = 0 disarms. Not thread-safe:
   arm it only in single-threaded tests. */
void carta_alloc_fail_at(long k);
/* Test hook: how many allocations were made since the switch was last set. */
long carta_alloc_count(void);

#endif
