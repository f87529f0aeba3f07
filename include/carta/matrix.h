/* carta/matrix.h: a dense column-major design matrix handed to the estimators (and BLAS). */
#ifndef CARTA_MATRIX_H
#define CARTA_MATRIX_H

#include <stddef.h>

/* n x p, column-major: element (i, j) is data[i + j * n]. names[j] is column j's term name as R
   names it ("age", "sexM", "log(bili)"). Borrowed by estimators for the length of a call. */
typedef struct carta_matrix {
    size_t n, p;
    const double *data;
    const char *const *names;
} carta_matrix;

#endif
