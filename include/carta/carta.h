/* carta/carta.h: library start-up and versions. */
#ifndef CARTA_CARTA_H
#define CARTA_CARTA_H

#include <stddef.h>
#include <carta/error.h>

#define CARTA_VERSION "0.1.0"

/* Call once before any other carta function: turns GSL's aborting error handler off, so every
   GSL status is returned to carta and reported with context. */
void carta_init(void);

/* carta's version string. */
const char *carta_version(void);

/* Writes "name version" lines for carta and each linked library (GSL, OpenBLAS, LAPACK,
   xgboost, cJSON, ReadStat) into buf, one per line. Returns buf. */
char *carta_versions(char *buf, size_t cap);

#endif
