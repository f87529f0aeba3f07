/* Constant and collinear columns of a design matrix, found before any model sees them.

   Method. Constant columns (every non-NaN value equal) are reported first and left out. The
   other columns are centred (their means over the rows without NaN), which is the same as
   projecting out an intercept (for Cox, the baseline hazard plays that role). The n x q centred
   matrix X is reduced to its q x q triangular factor R (X = QR) by a blocked "tall and skinny"
   Householder QR: blocks of 4096 rows are stacked under the current R and refactored with
   LAPACKE_dgeqrf, so no copy of X is made and the result is the R of X itself (Demmel et al.,
   "Communication-optimal parallel and sequential QR", SIAM J. Sci. Comput. 2012). Column
   relations of X are those of R (Q is orthonormal). Each column of R is scaled to unit norm, then
   taken in column order, as R's lm (LINPACK dqrdc2 with limited pivoting) does: a column whose
   residual after projection onto the span of the earlier independent columns (two rounds of
   Gram-Schmidt with BLAS dgemv) has norm <= tol is collinear, and is reported with the earlier
   columns it depends on (least squares with LAPACKE_dgels; coefficients above 1e-6 in the unit-norm
   scale are named). The residual norm is sqrt(1 - R^2) of the column regressed on the earlier
   ones, so tol = 1e-7 flags R^2 >= 1 - 1e-14.

   Before the QR, a cheaper screen (gram_screen below: BLAS-3 dsyrk and the smallest eigenvalue
   of the correlation matrix) proves most full-rank matrices clear, so that the QR runs only when
   some column may be collinear. */
#include "internal.h"

#include <carta/alloc.h>

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define QR_BLOCK 4096
#define COEF_NAMED 1e-6
#define SCREEN_EIG 1e-8

void carta_design_check_spec_default(carta_design_check_spec *spec)
{
    spec->tol = 1e-7;
    spec->fail = 0;
}

void carta_design_check_free(carta_design_check_result *r)
{
    if (!r) return;
    for (size_t k = 0; k < r->n_issues; k++) {
        carta_free(r->issues[k].with);
        carta_free(r->issues[k].message);
    }
    carta_free(r->issues);
    carta_free(r);
}

static const char *col_name(const carta_matrix *x, size_t j, char *buf, size_t cap)
{
    if (x->names && x->names[j]) return x->names[j];
    snprintf(buf, cap, "%zu", j + 1);
    return buf;
}

/* Appends an issue; its message is built from the names of the columns involved. */
static int add_issue(carta_design_check_result *res, const carta_matrix *x, int constant, int all_missing,
                     size_t column, size_t *with, size_t n_with)
{
    char buf[32];
    carta_design_issue *is = &res->issues[res->n_issues];
    memset(is, 0, sizeof *is);
    is->constant = constant;
    is->column = column;
    is->with = with;
    is->n_with = n_with;
    res->n_issues++;
    const char *name = col_name(x, column, buf, sizeof buf);
    size_t len = strlen(name) + 64;
    for (size_t k = 0; k < n_with; k++) len += strlen(col_name(x, with[k], buf, sizeof buf)) + 2;
    if (!(is->message = carta_malloc(len))) return CARTA_ENOMEM;
    int w = snprintf(is->message, len, "column %s %s", name,
                     constant ? (all_missing ? "has no non-missing values" : "is constant")
                              : "is collinear with ");
    size_t used = w > 0 ? (size_t)w : 0;
    for (size_t k = 0; k < n_with && used < len; k++) {
        w = snprintf(is->message + used, len - used, "%s%s", k ? ", " : "", col_name(x, with[k], buf, sizeof buf));
        if (w > 0) used += (size_t)w;
    }
    return CARTA_OK;
}

/* Copies block rows [i0, i1) of the used columns, centred, under the current R in w; returns the
   number of rows copied (rows with a NaN are skipped). Column by column, so reads and writes
   are both contiguous. */
static size_t load_block(const carta_matrix *x, const uint8_t *nan_row, const size_t *use, size_t q,
                         const double *mean, size_t i0, size_t i1, double *w, size_t ldw)
{
    size_t r = q;
    for (size_t j = 0; j < q; j++) {
        const double *col = x->data + use[j] * x->n;
        double *dst = w + j * ldw;
        r = q;
        for (size_t i = i0; i < i1; i++)
            if (!nan_row[i]) dst[r++] = col[i] - mean[j];
    }
    return r - q;
}

/* The screen: the Gram matrix of the centred columns (dsyrk over the same blocks), scaled to a
   correlation matrix, and its smallest eigenvalue (dsyev). Every column's residual on any set of
   other columns is at least the smallest singular value sqrt(lambda_min) of the unit-norm
   centred matrix, so lambda_min > SCREEN_EIG (residuals > 1e-4, far above tol) proves that no
   column is collinear; the eigenvalue's error, about eps * q, is far below that margin. Only
   when the screen cannot decide does the exact QR run (it costs twice the flops at BLAS-2
   speed). g is q x q scratch. *clear = 1 when proven clear. */
static int gram_screen(const carta_matrix *x, const uint8_t *nan_row, const size_t *use, size_t q,
                       const double *mean, double *w, size_t ldw, double *g, int *clear, carta_error *err)
{
    *clear = 0;
    memset(g, 0, q * q * sizeof *g);
    for (size_t i0 = 0; i0 < x->n; i0 += QR_BLOCK) {
        size_t i1 = i0 + QR_BLOCK < x->n ? i0 + QR_BLOCK : x->n;
        size_t m = load_block(x, nan_row, use, q, mean, i0, i1, w, ldw);
        if (m) cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, (int)q, (int)m, 1.0, w + q, (int)ldw, 1.0, g, (int)q);
    }
    for (size_t j = 0; j < q; j++)
        if (!(g[j + j * q] > 0)) return CARTA_OK; /* constant on the rows used: let the QR say so */
    for (size_t j = 0; j < q; j++)
        for (size_t i = 0; i < j; i++) g[i + j * q] /= sqrt(g[i + i * q]) * sqrt(g[j + j * q]);
    for (size_t j = 0; j < q; j++) g[j + j * q] = 1;
    double *ev = carta_malloc(q * sizeof *ev), wq;
    if (!ev) return carta_error_set(err, CARTA_ENOMEM, NULL, "design check: no memory");
    lapack_int info = LAPACKE_dsyev_work(LAPACK_COL_MAJOR, 'N', 'U', (lapack_int)q, g, (lapack_int)q, ev, &wq, -1);
    double *work = info == 0 ? carta_malloc(((size_t)wq > 1 ? (size_t)wq : 1) * sizeof *work) : NULL;
    if (info == 0 && !work) {
        carta_free(ev);
        return carta_error_set(err, CARTA_ENOMEM, NULL, "design check: no memory");
    }
    if (info == 0)
        info = LAPACKE_dsyev_work(LAPACK_COL_MAJOR, 'N', 'U', (lapack_int)q, g, (lapack_int)q, ev, work,
                                  (lapack_int)((size_t)wq > 1 ? (size_t)wq : 1));
    /* dsyev failing to converge (info > 0) is not an error here: the exact QR decides instead. */
    if (info < 0) {
        carta_free(ev);
        carta_free(work);
        return carta_error_set(err, CARTA_EDEP, NULL, "design check: LAPACKE_dsyev failed (info %d)", (int)info);
    }
    *clear = info == 0 && ev[0] > SCREEN_EIG;
    carta_free(ev);
    carta_free(work);
    return CARTA_OK;
}

int carta_design_check(const carta_matrix *x, const carta_design_check_spec *spec,
                       carta_design_check_result **out, carta_error *err)
{
    carta_design_check_spec def;
    if (!spec) {
        carta_design_check_spec_default(&def);
        spec = &def;
    }
    *out = NULL;
    const size_t n = x->n, p = x->p;
    int rc = CARTA_OK;
    carta_design_check_result *res = carta_calloc(1, sizeof *res);
    uint8_t *nan_row = carta_calloc(n ? n : 1, 1);
    size_t *use = carta_malloc((p ? p : 1) * sizeof *use);
    double *mean = NULL, *w = NULL, *tau = NULL, *work = NULL, *rs = NULL, *qb = NULL, *v = NULL, *c = NULL;
    if (!res || !nan_row || !use || !(res->issues = carta_calloc(p ? p : 1, sizeof *res->issues))) goto nomem;
    res->p = p;

    /* Constant columns, judged on all non-NaN values; rows with a NaN anywhere are marked. */
    size_t q = 0;
    for (size_t j = 0; j < p; j++) {
        const double *col = x->data + j * n;
        size_t first = 0;
        while (first < n && isnan(col[first])) first++;
        int constant = 1;
        for (size_t i = first; i < n; i++) {
            if (isnan(col[i])) nan_row[i] = 1;
            else if (col[i] != col[first]) constant = 0;
        }
        if (x->names && x->names[j] && strcmp(x->names[j], "(Intercept)") == 0) continue;
        if (constant) {
            if (add_issue(res, x, 1, first == n, j, NULL, 0)) goto nomem;
        } else {
            use[q++] = j;
        }
    }
    for (size_t i = 0; i < n; i++) res->n_rows_used += !nan_row[i];

    if (q > 0 && res->n_rows_used > 0) {
        const size_t ldw = QR_BLOCK + q;
        size_t cells;
        if (carta_size_mul(ldw, q, &cells)) goto nomem;
        if (!(mean = carta_calloc(q, sizeof *mean)) || !(w = carta_calloc(cells, sizeof *w)) ||
            !(tau = carta_malloc(q * sizeof *tau)) || !(rs = carta_calloc(q * q, sizeof *rs)) ||
            !(qb = carta_calloc(q * q, sizeof *qb)) || !(v = carta_malloc(q * sizeof *v)) ||
            !(c = carta_malloc(q * sizeof *c)))
            goto nomem;
        /* Means over the rows used: a sum, then R's correction by the mean residual. */
        for (size_t j = 0; j < q; j++) {
            const double *col = x->data + use[j] * n;
            long double s = 0, t = 0;
            for (size_t i = 0; i < n; i++)
                if (!nan_row[i]) s += col[i];
            s /= (long double)res->n_rows_used;
            for (size_t i = 0; i < n; i++)
                if (!nan_row[i]) t += col[i] - s;
            mean[j] = (double)(s + t / (long double)res->n_rows_used);
        }
        int clear;
        if ((rc = gram_screen(x, nan_row, use, q, mean, w, ldw, rs, &clear, err))) goto done;
        if (clear) {
            res->rank = q;
            goto checked;
        }
        memset(w, 0, cells * sizeof *w);
        memset(rs, 0, q * q * sizeof *rs);
        /* Workspace size for the tallest stacked block. */
        double wq;
        lapack_int info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, (lapack_int)ldw, (lapack_int)q, w, (lapack_int)ldw,
                                              tau, &wq, -1);
        if (info != 0) {
            rc = carta_error_set(err, CARTA_EDEP, NULL, "design check: LAPACKE_dgeqrf workspace query failed (info %d)", (int)info);
            goto done;
        }
        size_t lwork = (size_t)wq > q ? (size_t)wq : q;
        if (!(work = carta_malloc(lwork * sizeof *work))) goto nomem;
        for (size_t i0 = 0; i0 < n; i0 += QR_BLOCK) {
            size_t i1 = i0 + QR_BLOCK < n ? i0 + QR_BLOCK : n;
            size_t m = load_block(x, nan_row, use, q, mean, i0, i1, w, ldw);
            if (m == 0) continue;
            info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, (lapack_int)(q + m), (lapack_int)q, w, (lapack_int)ldw, tau,
                                       work, (lapack_int)lwork);
            if (info != 0) {
                rc = carta_error_set(err, CARTA_EDEP, NULL, "design check: LAPACKE_dgeqrf failed (info %d)", (int)info);
                goto done;
            }
            /* Keep R: clear the reflectors stored below its diagonal. */
            for (size_t j = 0; j < q; j++)
                for (size_t i = j + 1; i < q; i++) w[i + j * ldw] = 0;
        }
        /* Unit-norm columns of R (the norms are those of the centred columns of X). */
        for (size_t j = 0; j < q; j++) {
            double nrm = cblas_dnrm2((int)q, w + j * ldw, 1);
            for (size_t i = 0; i < q; i++) rs[i + j * q] = nrm > 0 ? w[i + j * ldw] / nrm : 0;
        }
        size_t r = 0;
        size_t *acc = use; /* reused in place: acc[k] <= the index being scanned */
        size_t *acc_pos = carta_malloc(q * sizeof *acc_pos);
        if (!acc_pos) goto nomem;
        size_t n_acc = 0;
        for (size_t j = 0; j < q; j++) {
            memcpy(v, rs + j * q, q * sizeof *v);
            double nv = cblas_dnrm2((int)q, v, 1);
            for (int round = 0; round < 2 && r > 0; round++) {
                cblas_dgemv(CblasColMajor, CblasTrans, (int)q, (int)r, 1.0, qb, (int)q, v, 1, 0.0, c, 1);
                cblas_dgemv(CblasColMajor, CblasNoTrans, (int)q, (int)r, -1.0, qb, (int)q, c, 1, 1.0, v, 1);
            }
            double rho = nv > 0 ? cblas_dnrm2((int)q, v, 1) : 0;
            if (rho > spec->tol) {
                for (size_t i = 0; i < q; i++) qb[i + r * q] = v[i] / rho;
                r++;
                acc_pos[n_acc++] = j;
                continue;
            }
            if (!(nv > 0)) {
                /* Constant on the rows without NaN, though not on all rows. */
                if (add_issue(res, x, 1, 0, acc[j], NULL, 0)) {
                    carta_free(acc_pos);
                    goto nomem;
                }
                continue;
            }
            /* Collinear: which earlier columns explain it (least squares on unit-norm columns). */
            size_t *with = NULL, n_with = 0;
            if (n_acc > 0) {
                double *a = carta_malloc(q * n_acc * sizeof *a);
                double *bvec = carta_malloc(q * sizeof *bvec);
                with = carta_malloc(n_acc * sizeof *with);
                if (!a || !bvec || !with) {
                    carta_free(a);
                    carta_free(bvec);
                    carta_free(with);
                    carta_free(acc_pos);
                    goto nomem;
                }
                for (size_t k = 0; k < n_acc; k++) memcpy(a + k * q, rs + acc_pos[k] * q, q * sizeof *a);
                memcpy(bvec, rs + j * q, q * sizeof *bvec);
                info = LAPACKE_dgels(LAPACK_COL_MAJOR, 'N', (lapack_int)q, (lapack_int)n_acc, 1, a, (lapack_int)q,
                                     bvec, (lapack_int)q);
                if (info == 0)
                    for (size_t k = 0; k < n_acc; k++)
                        if (fabs(bvec[k]) > COEF_NAMED) with[n_with++] = acc[acc_pos[k]];
                carta_free(a);
                carta_free(bvec);
                if (info < 0) {
                    carta_free(with);
                    carta_free(acc_pos);
                    rc = carta_error_set(err, CARTA_EDEP, NULL, "design check: LAPACKE_dgels failed (info %d)", (int)info);
                    goto done;
                }
            }
            if (add_issue(res, x, 0, 0, acc[j], with, n_with)) {
                if (res->issues[res->n_issues - 1].with != with) carta_free(with);
                carta_free(acc_pos);
                goto nomem;
            }
        }
        carta_free(acc_pos);
        res->rank = r;
    }
checked:
    /* Constant issues were added first; collinear ones follow, each group in column order. */
    if (spec->fail && res->n_issues > 0) {
        rc = carta_error_set(err, CARTA_ENUMERIC, NULL, "design: %s%s", res->issues[0].message,
                             res->n_issues > 1 ? " (and more: see the design check)" : "");
        goto done;
    }
    goto done;
nomem:
    rc = carta_error_set(err, CARTA_ENOMEM, NULL, "design check: no memory for %zu columns", p);
done:
    carta_free(nan_row);
    carta_free(use);
    carta_free(mean);
    carta_free(w);
    carta_free(tau);
    carta_free(work);
    carta_free(rs);
    carta_free(qb);
    carta_free(v);
    carta_free(c);
    if (rc == CARTA_OK) *out = res;
    else carta_design_check_free(res);
    return rc;
}
