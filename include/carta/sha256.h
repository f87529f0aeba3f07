/* carta/sha256.h: SHA-256 (FIPS 180-4) for the data and config hashes the model card pins. */
#ifndef CARTA_SHA256_H
#define CARTA_SHA256_H

#include <stddef.h>
#include <stdint.h>
#include <carta/error.h>

typedef struct carta_sha256 {
    uint32_t h[8];
    uint64_t bytes;
    unsigned char block[64];
    size_t fill;
} carta_sha256;

void carta_sha256_init(carta_sha256 *s);
void carta_sha256_update(carta_sha256 *s, const void *data, size_t len);
/* Writes the digest as 64 lowercase hex digits plus NUL into hex[65]. */
void carta_sha256_final(carta_sha256 *s, char hex[65]);

/* Hashes a whole file, streaming. shown names it in messages. CARTA_EIO when unreadable. */
int carta_sha256_file(const char *path, const char *shown, char hex[65], carta_error *err);

#endif
