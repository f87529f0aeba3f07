/* carta/numfmt.h: the shortest decimal text that reads back to the same double. */
#ifndef CARTA_NUMFMT_H
#define CARTA_NUMFMT_H

#include <stddef.h>

/* Writes x into buf (cap >= 32) as the shortest of %.15g, %.16g, %.17g whose strtod gives back
   the same bits; non-finite values are written as "null" (the card contract). Returns buf. */
char *carta_numfmt(double x, char *buf, size_t cap);

#endif
