/* carta/csvout.h: writing CSV fields (run folders, predictions) the way carta reads them. */
#ifndef CARTA_CSVOUT_H
#define CARTA_CSVOUT_H

#include <stdio.h>

/* Writes s as one CSV field, quoted (RFC 4180, quotes doubled) only when it holds a separator,
   a quote or a line break; NULL writes an empty (missing) field. */
void carta_csv_write_text(FILE *fp, const char *s);

/* Writes x as the shortest decimal that reads back to the same double; NaN writes an empty
   (missing) field. */
void carta_csv_write_number(FILE *fp, double x);

#endif
