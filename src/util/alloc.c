/* The allocator wrapper: one place where allocations can be made to fail on purpose, so that
   tests can check that every failure ends in CARTA_ENOMEM with nothing leaked (SQLite's
   do_faultsim_test). The switch is the only process-wide state in the library. */
#include <carta/alloc.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static long fail_at;   /* 0 = disarmed */
static long n_calls;

static int should_fail(void)
{
    n_calls++;
    return fail_at > 0 && n_calls >= fail_at;
}

void *carta_malloc(size_t size)
{
    if (should_fail()) return NULL;
    return malloc(size ? size : 1);
}

void *carta_calloc(size_t count, size_t size)
{
    if (should_fail()) return NULL;
    if (count == 0 || size == 0) return calloc(1, 1);
    return calloc(count, size);
}

void *carta_realloc(void *ptr, size_t size)
{
    if (should_fail()) return NULL;
    return realloc(ptr, size ? size : 1);
}

void carta_free(void *ptr) { free(ptr); }

char *carta_strndup(const char *s, size_t len)
{
    char *d = carta_malloc(len + 1);
    if (!d) return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

char *carta_strdup(const char *s)
{
    return s ? carta_strndup(s, strlen(s)) : NULL;
}

int carta_size_mul(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a) return -1;
    *out = a * b;
    return 0;
}

void carta_alloc_fail_at(long k)
{
    fail_at = k > 0 ? k : 0;
    n_calls = 0;
}

long carta_alloc_count(void) { return n_calls; }
