/* The sorted path of the Cox fit: the caller's design reordered in place into time order.
 *
 * With many distinct event times (continuous times), the risk-set sums S1 at every event time
 * need either rows in time order (a random read of every row from the column-major design) or
 * buckets per event time, which at ~0.7 n event times cost as much memory as the design and are
 * therefore filled in several passes (cox_sums.c). When the caller allows it
 * (carta_cox_fit_reorder), each column is instead permuted once into time order (one scatter
 * per column through an n-double scratch), and so are the per-row arrays the evaluations use (eta,
 * r, c and copies of w delta, the weights and the offsets), so that every evaluation reads all
 * of them sequentially. Afterwards everything is put back in input order. A permutation only
 * moves values, so the restored design is bit-identical to the given one. The columns are
 * permuted on two threads, each with its own scratch. */
#include "cox_internal.h"

#include <carta/alloc.h>

#include <pthread.h>
#include <string.h>

typedef struct perm_job {
    const size_t *to;    /* value i goes to position to[i]: the inverse of ord on the way in,
                            ord on the way back (scatters both ways: measured faster than
                            gathers, as no load waits on another) */
    size_t n;
    double *const *cols; /* the arrays to permute */
    size_t c0, c1;
    double *tmp;         /* n */
} perm_job;

static void *perm_job_run(void *arg)
{
    const perm_job *j = arg;
    size_t n = j->n;
    for (size_t c = j->c0; c < j->c1; c++) {
        double *col = j->cols[c];
        for (size_t i = 0; i < n; i++) j->tmp[j->to[i]] = col[i];
        memcpy(col, j->tmp, n * sizeof *col);
    }
    return NULL;
}

/* Moves value i of each of the k arrays cols[0..k) (n values each) to position to[i], half of
   the arrays on a second thread. */
static void permute(const cox_work *w, double *const *cols, size_t k, const size_t *to)
{
    size_t mid = w->threads > 1 ? k / 2 : 0;
    perm_job ja = { to, w->n, cols, 0, mid, w->ptmp + w->n },
             jb = { to, w->n, cols, mid, k, w->ptmp };
    pthread_t th;
    int started = mid > 0 && pthread_create(&th, NULL, perm_job_run, &ja) == 0;
    perm_job_run(&jb);
    if (started) pthread_join(th, NULL);
    else perm_job_run(&ja);
}

/* The design's columns as permutable arrays (w->xmut is the caller's writable copy of w->x). */
static int design_cols(const cox_work *w, double ***out)
{
    double **cols = carta_malloc((w->p ? w->p : 1) * sizeof *cols);
    if (!cols) return CARTA_ENOMEM;
    for (size_t c = 0; c < w->p; c++) cols[c] = w->xmut + c * w->n;
    *out = cols;
    return CARTA_OK;
}

int cox_design_sort(cox_work *w, carta_error *err)
{
    if (!w->sortable || w->xrow) return CARTA_OK;
    size_t n = w->n, k = 1 + (w->wt != NULL) + (w->offset != NULL), *pos = NULL;
    double **cols = NULL;
    if (k < 2) k = 2;
    if (!(w->ptmp = carta_malloc(k * n * sizeof *w->ptmp)) || !(pos = carta_malloc(n * sizeof *pos)) ||
        design_cols(w, &cols) != CARTA_OK) {
        carta_free(w->ptmp);
        carta_free(pos);
        w->ptmp = NULL;
        return carta_error_set(err, CARTA_ENOMEM, NULL, "cox: no memory to reorder the design (%zu rows)", n);
    }
    for (size_t i = 0; i < n; i++) pos[w->ord[i]] = i; /* row j goes to position pos[j] */
    permute(w, cols, w->p, pos);
    carta_free(pos);
    carta_free(cols);
    /* the per-row data in the same order (the scratch is free until the way back) */
    double *next = w->ptmp;
    w->dw_s = next; next += n;
    if (w->wt) { w->w_s = next; next += n; }
    if (w->offset) w->off_s = next;
    for (size_t i = 0; i < n; i++) {
        size_t j = w->ord[i];
        w->dw_s[i] = w->status[j] == 1 ? (w->wt ? w->wt[j] : 1.0) : 0.0;
        if (w->w_s) w->w_s[i] = w->wt[j];
        if (w->off_s) w->off_s[i] = w->offset[j];
    }
    w->xrow = w->ord;
    return CARTA_OK;
}

void cox_design_restore(cox_work *w)
{
    if (!w->xrow) return;
    w->dw_s = w->w_s = w->off_s = NULL;
    double *rows[3] = { w->eta, w->r, w->c };
    permute(w, rows, 3, w->ord);
    /* the design: one column at a time when no memory is left for the list of columns */
    double **cols = NULL;
    if (design_cols(w, &cols) == CARTA_OK) {
        permute(w, cols, w->p, w->ord);
        carta_free(cols);
    } else {
        for (size_t c = 0; c < w->p; c++) {
            double *one[1] = { w->xmut + c * w->n };
            permute(w, one, 1, w->ord);
        }
    }
    w->xrow = NULL;
    carta_free(w->ptmp);
    w->ptmp = NULL;
}
