/* Cox regression: a hand-worked case in exact fractions, identities (finite differences,
 * invariances), bad input and allocation faults. R agreement is in test_cox_ref.c. */
#include <carta/alloc.h>
#include <carta/cox.h>

#include "../../src/fit/cox_internal.h"
#include "check.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The hand case (Therneau & Grambsch appendix style): a death and a censoring at t = 1, two tied
   deaths and a censoring at t = 2, a death alone at t = 3, a censoring alone at t = 4.
     i     1  2  3  4  5  6  7
     time  1  1  2  2  2  3  4
     stat  1  0  1  1  0  1  0
     x     1  0  1  0  1  0  1
   With r = exp(beta) = 2.385 the risk sets are
     t=1: S0 = 4r + 3, S1 = 4r (one death, x = 1)
     t=2: S0 = 3r + 2, S1 = 3r, tied deaths x = 1, 0: E0 = r + 1, E1 = r
     t=3: S0 = r + 1,  S1 = r  (one death, x = 0)
   Breslow: log L = 2 beta - log(4r+3) - 2 log(3r+2) - log(r+1)
            U = 2 - 4r/(4r+3) - 6r/(3r+2) - r/(r+1)
            I = 12r/(4r+3)^2 + 12r/(3r+2)^2 + r/(r+1)^2
   Efron, at t=2 the second death's denominator is 3r+2 - (r+1)/2 = (5r+3)/2, its mean 5r/(5r+3):
            log L = 2 beta - log(4r+3) - log(3r+2) - log((5r+3)/2) - log(r+1)
            U = 2 - 4r/(4r+3) - 3r/(3r+2) - 5r/(5r+3) - r/(r+1)
            I = 12r/(4r+3)^2 + 6r/(3r+2)^2 + 15r/(5r+3)^2 + r/(r+1)^2          */
static const double H_TIME[7] = { 1, 1, 2, 2, 2, 3, 4 };
static const int H_STAT[7] = { 1, 0, 1, 1, 0, 1, 0 };
static const double H_X[7] = { 1, 0, 1, 0, 1, 0, 1 };

static void hand_expect(int efron, double r, double *ll, double *u, double *info)
{
    double b = log(r);
    if (!efron) {
        *ll = 2 * b - log(4 * r + 3) - 2 * log(3 * r + 2) - log(r + 1);
        *u = 2 - 4 * r / (4 * r + 3) - 6 * r / (3 * r + 2) - r / (r + 1);
        *info = 12 * r / ((4 * r + 3) * (4 * r + 3)) + 12 * r / ((3 * r + 2) * (3 * r + 2)) + r / ((r + 1) * (r + 1));
    } else {
        *ll = 2 * b - log(4 * r + 3) - log(3 * r + 2) - log((5 * r + 3) / 2) - log(r + 1);
        *u = 2 - 4 * r / (4 * r + 3) - 3 * r / (3 * r + 2) - 5 * r / (5 * r + 3) - r / (r + 1);
        *info = 12 * r / ((4 * r + 3) * (4 * r + 3)) + 6 * r / ((3 * r + 2) * (3 * r + 2)) +
                15 * r / ((5 * r + 3) * (5 * r + 3)) + r / ((r + 1) * (r + 1));
    }
}

static void hand_data(carta_surv_data *d, carta_matrix *x)
{
    static const char *const names[1] = { "x" };
    memset(d, 0, sizeof *d);
    d->n = 7;
    d->time = H_TIME;
    d->status = H_STAT;
    x->n = 7;
    x->p = 1;
    x->data = H_X;
    x->names = names;
}

/* The workspace centres x on its mean (4/7): the log-likelihood, score and information are
   invariant to that, so the seam is evaluated at beta = log 2.385 directly. */
static void hand_eval(int ties)
{
    carta_surv_data d;
    carta_matrix x;
    carta_cox_spec spec;
    carta_error err;
    cox_work *w = NULL;
    hand_data(&d, &x);
    carta_cox_spec_default(&spec);
    spec.ties = ties;
    carta_error_clear(&err);
    cr_assert_eq(cox_work_new(&spec, &d, &x, NULL, &w, &err), CARTA_OK, "%s", err.msg);
    double beta = log(2.385), ll, u, info, ell, eu, einfo;
    cr_assert_eq(cox_eval(w, &beta, &ll, &u, &info, &err), CARTA_OK);
    hand_expect(ties == CARTA_COX_TIES_EFRON, 2.385, &ell, &eu, &einfo);
    cr_expect(check_rel(ll, ell, 1e-14, "hand loglik"));
    cr_expect(check_rel(u, eu, 1e-13, "hand score"));
    cr_expect(check_rel(info, einfo, 1e-13, "hand information"));
    cox_work_free(w);
}

Test(cox, hand_case_breslow_exact_fractions) { hand_eval(CARTA_COX_TIES_BRESLOW); }
Test(cox, hand_case_efron_exact_fractions) { hand_eval(CARTA_COX_TIES_EFRON); }

/* The fitted coefficient solves U(beta) = 0 of the closed form (bisection, independent of the
   library's Newton iterations); the model-based SE is I^-1/2 there. */
Test(cox, hand_case_fit_solves_the_closed_form_score)
{
    for (int ties = 0; ties < 2; ties++) {
        double lo = -5, hi = 5, ll, u, info;
        for (int it = 0; it < 200; it++) {
            double mid = (lo + hi) / 2;
            hand_expect(ties == CARTA_COX_TIES_EFRON, exp(mid), &ll, &u, &info);
            if (u > 0) lo = mid; else hi = mid;
        }
        double bhat = (lo + hi) / 2;
        hand_expect(ties == CARTA_COX_TIES_EFRON, exp(bhat), &ll, &u, &info);
        carta_surv_data d;
        carta_matrix x;
        carta_cox_spec spec;
        carta_error err;
        carta_cox_result *r = NULL;
        hand_data(&d, &x);
        carta_cox_spec_default(&spec);
        spec.ties = ties;
        carta_error_clear(&err);
        cr_assert_eq(carta_cox_fit(&spec, &d, &x, &r, &err), CARTA_OK, "%s", err.msg);
        cr_expect(r->converged);
        cr_expect(check_rel(r->terms[0].coef, bhat, 1e-10, "hand coef ties=%d", ties));
        cr_expect(check_rel(r->terms[0].se, 1 / sqrt(info), 1e-8, "hand se ties=%d", ties));
        cr_expect(check_rel(r->loglik[1], ll, 1e-12, "hand loglik ties=%d", ties));
        carta_cox_result_free(r);
    }
}

/* ---- synthetic data for the identities ---- */
typedef struct synth {
    size_t n, p;
    double *time, *start, *w, *x, *off;
    int *status, *strata;
    char *names[4];
} synth;

/* Deterministic pseudo-data (a fixed LCG, no dependence on platform RNGs). ties: times rounded. */
static void synth_make(synth *s, size_t n, int ties, int counting)
{
    static char nm[4][8] = { "a", "b", "c", "d" };
    unsigned long long st = 12345;
#define U01() ((st = st * 6364136223846793005ULL + 1442695040888963407ULL), (double)(st >> 11) / 9007199254740992.0)
    s->n = n;
    s->p = 3;
    s->time = malloc(n * sizeof *s->time);
    s->start = counting ? malloc(n * sizeof *s->start) : NULL;
    s->w = malloc(n * sizeof *s->w);
    s->x = malloc(3 * n * sizeof *s->x);
    s->off = malloc(n * sizeof *s->off);
    s->status = malloc(n * sizeof *s->status);
    s->strata = malloc(n * sizeof *s->strata);
    for (int k = 0; k < 4; k++) s->names[k] = nm[k];
    for (size_t i = 0; i < n; i++) {
        double a = U01() < 0.5, b = U01() * 2 - 1, c = 50 + 20 * U01();
        s->x[i] = a; s->x[i + n] = b; s->x[i + 2 * n] = c;
        double h = exp(0.7 * a - 0.5 * b + 0.02 * (c - 60));
        double t = -log(1 - U01()) / h * 10, cens = 15 * U01();
        s->time[i] = t < cens ? t : cens;
        s->status[i] = t < cens;
        if (ties) s->time[i] = ceil(s->time[i]);
        if (counting) {
            s->start[i] = s->time[i] * U01() * 0.5;
            if (ties) s->start[i] = floor(s->start[i]);
            if (!(s->start[i] < s->time[i])) s->start[i] = s->time[i] - 1;
        }
        s->w[i] = 0.5 + U01();
        s->off[i] = 0.1 * U01();
        s->strata[i] = U01() < 0.3;
    }
#undef U01
}

static void synth_free(synth *s)
{
    free(s->time); free(s->start); free(s->w); free(s->x); free(s->off); free(s->status); free(s->strata);
}

static carta_cox_result *fit_synth(const synth *s, int ties, int use_w, int use_strata,
                                   const double *x, const double *time, const double *start,
                                   const double *w, const int *status, const int *strata)
{
    carta_surv_data d = { 0 };
    carta_matrix m = { 0 };
    carta_cox_spec spec;
    carta_error err;
    carta_cox_result *r = NULL;
    d.n = s->n;
    d.time = time ? time : s->time;
    d.start = start;
    d.status = status ? status : s->status;
    d.weight = use_w ? (w ? w : s->w) : NULL;
    d.strata = use_strata ? (strata ? strata : s->strata) : NULL;
    d.n_strata = use_strata ? 2 : 0;
    m.n = s->n;
    m.p = s->p;
    m.data = x ? x : s->x;
    m.names = (const char *const *)s->names;
    carta_cox_spec_default(&spec);
    spec.ties = ties;
    carta_error_clear(&err);
    cr_assert_eq(carta_cox_fit(&spec, &d, &m, &r, &err), CARTA_OK, "%s", err.msg);
    return r;
}

/* Score and information against central differences of the log-likelihood, with strata,
   weights, an offset and (start, stop] data with ties. */
Test(cox, score_and_information_match_finite_differences)
{
    for (int ties = 0; ties < 2; ties++) {
        synth s;
        synth_make(&s, 300, 1, 1);
        carta_surv_data d = { .n = s.n, .time = s.time, .start = s.start, .status = s.status,
                              .weight = s.w, .strata = s.strata, .n_strata = 2 };
        carta_matrix m = { .n = s.n, .p = 3, .data = s.x, .names = (const char *const *)s.names };
        carta_cox_spec spec;
        carta_error err;
        cox_work *w = NULL;
        carta_cox_spec_default(&spec);
        spec.ties = ties;
        spec.offset = s.off;
        carta_error_clear(&err);
        cr_assert_eq(cox_work_new(&spec, &d, &m, NULL, &w, &err), CARTA_OK);
        double beta[3] = { 0.6, -0.4, 0.03 }, ll, u[3], info[9];
        cox_eval(w, beta, &ll, u, info, &err);
        double h = 1e-5;
        for (int j = 0; j < 3; j++) {
            double bp[3], bm[3], lp, lm, up[3], um[3], ip[9], im[9];
            memcpy(bp, beta, sizeof bp);
            memcpy(bm, beta, sizeof bm);
            bp[j] += h;
            bm[j] -= h;
            cox_eval(w, bp, &lp, up, ip, &err);
            cox_eval(w, bm, &lm, um, im, &err);
            cr_expect(check_rel(u[j], (lp - lm) / (2 * h), 1e-6, "ties=%d U[%d] vs FD", ties, j));
            for (int k = 0; k < 3; k++)
                cr_expect(check_rel(info[k + 3 * j], -(up[k] - um[k]) / (2 * h), 1e-6, "ties=%d I[%d,%d] vs FD", ties, k, j));
        }
        cox_work_free(w);
        synth_free(&s);
    }
}

/* The bucket path (one or several sequential passes) and the gather path (rows in time order)
   give the same sums. */
Test(cox, bucket_and_gather_paths_agree)
{
    for (int ties = 0; ties < 2; ties++)
        for (int counting = 0; counting < 2; counting++) {
            synth s;
            synth_make(&s, 500, 1, counting);
            carta_surv_data d = { .n = s.n, .time = s.time, .start = s.start, .status = s.status,
                                  .weight = s.w, .strata = s.strata, .n_strata = 2 };
            carta_matrix m = { .n = s.n, .p = 3, .data = s.x, .names = (const char *const *)s.names };
            carta_cox_spec spec;
            carta_error err;
            cox_work *w = NULL;
            carta_cox_spec_default(&spec);
            spec.ties = ties;
            spec.offset = s.off;
            carta_error_clear(&err);
            cr_assert_eq(cox_work_new(&spec, &d, &m, NULL, &w, &err), CARTA_OK);
            cr_assert(w->bk1 != NULL, "small data should take the bucket path");
            double beta[3] = { 0.6, -0.4, 0.03 }, l1, l2, u1[3], u2[3], i1[9], i2[9];
            cox_eval(w, beta, &l1, u1, i1, &err);
            /* several passes of 7 event groups each, then the gather path */
            cox_work_set_chunk(w, 7);
            cox_eval(w, beta, &l2, u2, i2, &err);
            cr_expect(check_rel(l2, l1, 1e-14, "chunked loglik"));
            cr_expect_eq(check_vec(u2, u1, 3, 1e-11, "chunked score"), 0);
            cr_expect_eq(check_vec(i2, i1, 9, 1e-11, "chunked information"), 0);
            cox_work_drop_buckets(w);
            cox_eval(w, beta, &l2, u2, i2, &err);
            cr_expect(check_rel(l2, l1, 1e-14, "loglik"));
            cr_expect_eq(check_vec(u2, u1, 3, 1e-11, "score"), 0);
            cr_expect_eq(check_vec(i2, i1, 9, 1e-11, "information"), 0);
            cox_work_free(w);
            synth_free(&s);
        }
}

/* The passes over the design on two threads (eta halves; X' diag(r c) X and the score beside the
   buckets) give bit-identical sums: every sum is formed by one thread in a fixed order. Also with
   several bucket passes, where only the first one is shared. */
Test(cox, two_threads_give_bit_identical_sums)
{
    for (int ties = 0; ties < 2; ties++)
        for (int counting = 0; counting < 2; counting++)
            for (int chunked = 0; chunked < 2; chunked++) {
                synth s;
                synth_make(&s, 10000, 1, counting); /* > 2 row blocks: the eta halves split */
                carta_surv_data d = { .n = s.n, .time = s.time, .start = s.start, .status = s.status,
                                      .weight = s.w, .strata = s.strata, .n_strata = 2 };
                carta_matrix m = { .n = s.n, .p = 3, .data = s.x, .names = (const char *const *)s.names };
                carta_cox_spec spec;
                carta_error err;
                cox_work *w = NULL;
                carta_cox_spec_default(&spec);
                spec.ties = ties;
                spec.offset = s.off;
                carta_error_clear(&err);
                cr_assert_eq(cox_work_new(&spec, &d, &m, NULL, &w, &err), CARTA_OK);
                cr_assert(w->bk1 != NULL);
                if (chunked) cox_work_set_chunk(w, 5);
                double beta[3] = { 0.6, -0.4, 0.03 }, l1, l2, u1[3], u2[3], i1[9], i2[9];
                w->threads = 1;
                cr_assert_eq(cox_eval(w, beta, &l1, u1, i1, &err), CARTA_OK);
                double *eta1 = malloc(s.n * sizeof *eta1);
                cr_assert(eta1 != NULL);
                memcpy(eta1, w->eta, s.n * sizeof *eta1);
                w->threads = 2;
                cr_assert_eq(cox_eval(w, beta, &l2, u2, i2, &err), CARTA_OK);
                cr_expect(memcmp(eta1, w->eta, s.n * sizeof *eta1) == 0, "eta differs with two threads");
                cr_expect(l1 == l2 && memcmp(u1, u2, sizeof u1) == 0 && memcmp(i1, i2, sizeof i1) == 0,
                          "ties %d counting %d chunked %d: sums differ with two threads", ties, counting, chunked);
                /* and they are the right sums: the gather path, single-threaded */
                cox_work_drop_buckets(w);
                w->threads = 1;
                cr_assert_eq(cox_eval(w, beta, &l1, u1, i1, &err), CARTA_OK);
                cr_expect(check_rel(l2, l1, 1e-13, "loglik"));
                cr_expect_eq(check_vec(u2, u1, 3, 1e-10, "score"), 0);
                cr_expect_eq(check_vec(i2, i1, 9, 1e-11, "information"), 0);
                free(eta1);
                cox_work_free(w);
                synth_free(&s);
            }
}

/* Continuous times (the sorted path's case) with some ties: every 25th row shares the time of
   the row before, and the rows around the median time share one time (a tied group across the
   middle position, where the sorted path splits its rows). */
static void synth_untied(synth *s, size_t n)
{
    synth_make(s, n, 0, 0);
    double *t = malloc(n * sizeof *t);
    memcpy(t, s->time, n * sizeof *t);
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && t[j - 1] > t[j]; j--) { double v = t[j]; t[j] = t[j - 1]; t[j - 1] = v; }
    double lo = t[n / 2 - n / 50], hi = t[n / 2 + n / 50];
    for (size_t i = 0; i < n; i++) {
        if (s->time[i] >= lo && s->time[i] <= hi) s->time[i] = hi;
        if (i % 25 == 0 && i > 0) { s->time[i] = s->time[i - 1]; s->status[i] = 1; }
    }
    free(t);
}

/* synth_untied's data as a fit takes it: a writable copy of the design (returned; free it) in
   *m, and time, status, weights and (when strata) the two strata in *d. */
static double *untied_case(synth *s, size_t n, int strata, carta_surv_data *d, carta_matrix *m)
{
    synth_untied(s, n);
    double *xm = malloc(3 * s->n * sizeof *xm);
    cr_assert(xm != NULL);
    memcpy(xm, s->x, 3 * s->n * sizeof *xm);
    *d = (carta_surv_data){ .n = s->n, .time = s->time, .status = s->status, .weight = s->w,
                            .strata = strata ? s->strata : NULL, .n_strata = strata ? 2 : 0 };
    *m = (carta_matrix){ .n = s->n, .p = 3, .data = xm, .names = (const char *const *)s->names };
    return xm;
}

/* The sorted path (design reordered in place, cox_reorder.c) gives the sums of the bucket and
   gather paths, with and without strata (its second half then starts inside a stratum, or not),
   the same to the bit on one thread or two, and puts the design back bit for bit. */
Test(cox, sorted_path_agrees_with_the_other_paths)
{
    for (int ties = 0; ties < 2; ties++)
        for (int strata = 0; strata < 2; strata++) {
            synth s;
            carta_surv_data d;
            carta_matrix m;
            double *xm = untied_case(&s, 4000, strata, &d, &m);
            size_t n = s.n;
            carta_cox_spec spec;
            carta_error err;
            cox_work *w = NULL, *g = NULL;
            carta_cox_spec_default(&spec);
            spec.ties = ties;
            spec.offset = s.off;
            carta_error_clear(&err);
            cr_assert_eq(cox_work_new(&spec, &d, &m, xm, &w, &err), CARTA_OK, "%s", err.msg);
            cr_assert(w->sortable && w->bk1 == NULL, "continuous times should take the sorted path");
            cr_assert_eq(cox_design_sort(w, &err), CARTA_OK);
            cr_assert(w->xrow != NULL);
            cr_expect(memcmp(xm, s.x, 3 * n * sizeof *xm) != 0, "the design was not reordered");
            double beta[3] = { 0.6, -0.4, 0.03 }, l1, l2, l3, u1[3], u2[3], u3[3], i1[9], i2[9], i3[9];
            w->threads = 1;
            cr_assert_eq(cox_eval(w, beta, &l1, u1, i1, &err), CARTA_OK);
            w->threads = 2;
            cr_assert_eq(cox_eval(w, beta, &l2, u2, i2, &err), CARTA_OK);
            cr_expect(l1 == l2 && memcmp(u1, u2, sizeof u1) == 0 && memcmp(i1, i2, sizeof i1) == 0,
                      "ties %d strata %d: sorted sums differ with two threads", ties, strata);
            /* the score alone (no information) too */
            cr_assert_eq(cox_eval(w, beta, &l3, u3, NULL, &err), CARTA_OK);
            cr_expect_eq(check_vec(u3, u1, 3, 1e-12, "score alone"), 0);
            /* the same data through the bucket path (several passes) and the gather path */
            carta_matrix m0 = m;
            m0.data = s.x; /* (xm is reordered now) */
            cr_assert_eq(cox_work_new(&spec, &d, &m0, NULL, &g, &err), CARTA_OK);
            cr_assert(!g->sortable && g->bk1 != NULL);
            cr_assert_eq(cox_eval(g, beta, &l3, u3, i3, &err), CARTA_OK);
            cr_expect(check_rel(l1, l3, 1e-13, "loglik vs buckets"));
            cr_expect_eq(check_vec(u1, u3, 3, 1e-10, "score vs buckets"), 0);
            cr_expect_eq(check_vec(i1, i3, 9, 1e-11, "information vs buckets"), 0);
            cox_work_drop_buckets(g);
            cr_assert_eq(cox_eval(g, beta, &l3, u3, i3, &err), CARTA_OK);
            cr_expect(check_rel(l1, l3, 1e-13, "loglik vs gather"));
            cr_expect_eq(check_vec(u1, u3, 3, 1e-10, "score vs gather"), 0);
            cr_expect_eq(check_vec(i1, i3, 9, 1e-11, "information vs gather"), 0);
            /* eta, r and c go back to input order with the design */
            cr_assert_eq(cox_eval(w, beta, &l1, NULL, NULL, &err), CARTA_OK);
            cox_design_restore(w);
            cr_expect(w->xrow == NULL);
            cr_expect(memcmp(xm, s.x, 3 * n * sizeof *xm) == 0, "the design was not put back");
            cr_expect(memcmp(w->eta, g->eta, n * sizeof *w->eta) == 0, "eta differs after the way back");
            cr_expect_eq(check_vec(w->c, g->c, n, 1e-11, "c after the way back"), 0);
            cox_work_free(g);
            cox_work_free(w);
            free(xm);
            synth_free(&s);
        }
}

/* carta_cox_fit_reorder: the same fit as carta_cox_fit (every output), the design put back bit
   for bit, and a writable pointer that is not the matrix's own data refused. */
Test(cox, reorder_fit_matches_the_fit_and_puts_the_design_back)
{
    synth s;
    carta_surv_data d;
    carta_matrix m;
    double *xm = untied_case(&s, 3000, 1, &d, &m);
    size_t n = s.n;
    carta_matrix nd = { .n = 2, .p = 3, .data = s.x, .names = NULL };
    carta_cox_spec spec;
    carta_error err;
    carta_cox_result *a = NULL, *b = NULL;
    carta_cox_spec_default(&spec);
    spec.offset = s.off;
    spec.residuals = 31u;
    spec.robust = 1;
    spec.newdata = &nd;
    carta_error_clear(&err);
    cr_assert_eq(carta_cox_fit(&spec, &d, &m, &a, &err), CARTA_OK, "%s", err.msg);
    cr_assert_eq(carta_cox_fit_reorder(&spec, &d, &m, xm, &b, &err), CARTA_OK, "%s", err.msg);
    cr_expect(memcmp(xm, s.x, 3 * n * sizeof *xm) == 0, "the design was not put back");
    for (int j = 0; j < 3; j++) {
        cr_expect(check_rel(b->terms[j].coef, a->terms[j].coef, 1e-11, "coef %d", j));
        cr_expect(check_rel(b->terms[j].se, a->terms[j].se, 1e-10, "se %d", j));
        cr_expect(check_rel(b->terms[j].robust_se, a->terms[j].robust_se, 1e-10, "robust se %d", j));
        cr_expect(check_rel(b->zph_terms[j].stat, a->zph_terms[j].stat, 1e-9, "zph %d", j));
    }
    cr_expect(check_rel(b->loglik[1], a->loglik[1], 1e-13, "loglik"));
    cr_expect(check_rel(b->score.stat, a->score.stat, 1e-11, "score test"));
    cr_expect(check_rel(b->concordance, a->concordance, 1e-12, "C"));
    cr_expect_eq(check_vec(b->linear_predictors, a->linear_predictors, n, 1e-10, "lp"), 0);
    cr_expect_eq(check_vec(b->martingale, a->martingale, n, 1e-10, "martingale"), 0);
    cr_expect_eq(check_vec(b->dfbeta, a->dfbeta, 3 * n, 1e-8, "dfbeta"), 0);
    cr_assert_eq(b->n_curves, a->n_curves);
    cr_expect_eq(check_vec(b->curves[0].surv, a->curves[0].surv, a->curves[0].n_time, 1e-10, "curve"), 0);
    carta_cox_result_free(b);
    b = NULL;
    cr_expect_eq(carta_cox_fit_reorder(&spec, &d, &m, s.x, &b, &err), CARTA_EUSAGE);
    cr_expect_null(b);
    carta_cox_result_free(a);
    free(xm);
    synth_free(&s);
}

Test(cox, row_permutation_leaves_the_fit_unchanged)
{
    synth s;
    synth_make(&s, 400, 1, 0);
    size_t n = s.n;
    double *x2 = malloc(3 * n * sizeof *x2), *t2 = malloc(n * sizeof *t2), *w2 = malloc(n * sizeof *w2);
    int *st2 = malloc(n * sizeof *st2), *sr2 = malloc(n * sizeof *sr2);
    for (size_t i = 0; i < n; i++) {
        size_t k = (i * 7919) % n; /* n = 400 and 7919 are coprime: a permutation */
        t2[i] = s.time[k]; w2[i] = s.w[k]; st2[i] = s.status[k]; sr2[i] = s.strata[k];
        for (int j = 0; j < 3; j++) x2[i + j * n] = s.x[k + j * n];
    }
    carta_cox_result *a = fit_synth(&s, CARTA_COX_TIES_EFRON, 1, 1, NULL, NULL, NULL, NULL, NULL, NULL);
    carta_cox_result *b = fit_synth(&s, CARTA_COX_TIES_EFRON, 1, 1, x2, t2, NULL, w2, st2, sr2);
    for (int j = 0; j < 3; j++) {
        cr_expect(check_rel(b->terms[j].coef, a->terms[j].coef, 1e-10, "perm coef %d", j));
        cr_expect(check_rel(b->terms[j].se, a->terms[j].se, 1e-10, "perm se %d", j));
    }
    cr_expect(check_rel(b->loglik[1], a->loglik[1], 1e-12, "perm loglik"));
    cr_expect(check_rel(b->concordance, a->concordance, 1e-12, "perm C"));
    carta_cox_result_free(a);
    carta_cox_result_free(b);
    free(x2); free(t2); free(w2); free(st2); free(sr2);
    synth_free(&s);
}

/* Breslow: a row of weight 2 is the same as the row twice (Efron is not: duplicated deaths form
   a tie, one death of weight 2 does not). */
Test(cox, weight_two_equals_a_duplicated_row_under_breslow)
{
    synth s;
    synth_make(&s, 200, 1, 0);
    size_t n = s.n, n2 = 0;
    double *w = malloc(n * sizeof *w);
    for (size_t i = 0; i < n; i++) { w[i] = 1 + (i % 3 == 0); n2 += (size_t)w[i]; }
    synth s2 = s;
    s2.n = n2;
    double *x2 = malloc(3 * n2 * sizeof *x2), *t2 = malloc(n2 * sizeof *t2);
    int *st2 = malloc(n2 * sizeof *st2);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        for (int rep = 0; rep < (int)w[i]; rep++, k++) {
            t2[k] = s.time[i]; st2[k] = s.status[i];
            for (int j = 0; j < 3; j++) x2[k + j * n2] = s.x[i + j * n];
        }
    carta_cox_result *a = fit_synth(&s, CARTA_COX_TIES_BRESLOW, 1, 0, NULL, NULL, NULL, w, NULL, NULL);
    carta_cox_result *b = fit_synth(&s2, CARTA_COX_TIES_BRESLOW, 0, 0, x2, t2, NULL, NULL, st2, NULL);
    for (int j = 0; j < 3; j++) {
        cr_expect(check_rel(a->terms[j].coef, b->terms[j].coef, 1e-10, "dup coef %d", j));
        cr_expect(check_rel(a->terms[j].se, b->terms[j].se, 1e-9, "dup se %d", j));
    }
    cr_expect(check_rel(a->loglik[1], b->loglik[1], 1e-12, "dup loglik"));
    carta_cox_result_free(a);
    carta_cox_result_free(b);
    free(w); free(x2); free(t2); free(st2);
    synth_free(&s);
}

Test(cox, scaling_a_covariate_divides_its_coefficient)
{
    synth s;
    synth_make(&s, 300, 1, 1);
    size_t n = s.n;
    double *x2 = malloc(3 * n * sizeof *x2);
    memcpy(x2, s.x, 3 * n * sizeof *x2);
    for (size_t i = 0; i < n; i++) x2[i + 2 * n] *= 12.5;
    carta_cox_result *a = fit_synth(&s, CARTA_COX_TIES_EFRON, 1, 1, NULL, NULL, s.start, NULL, NULL, NULL);
    carta_cox_result *b = fit_synth(&s, CARTA_COX_TIES_EFRON, 1, 1, x2, NULL, s.start, NULL, NULL, NULL);
    cr_expect(check_rel(b->terms[2].coef, a->terms[2].coef / 12.5, 1e-10, "scaled coef"));
    cr_expect(check_rel(b->terms[2].se, a->terms[2].se / 12.5, 1e-9, "scaled se"));
    cr_expect(check_rel(b->terms[0].coef, a->terms[0].coef, 1e-10, "other coef"));
    carta_cox_result_free(a);
    carta_cox_result_free(b);
    free(x2);
    synth_free(&s);
}

/* Without ties the exact likelihood is Breslow's (and Efron's); the exact score and information
   also match finite differences with tied data. */
Test(cox, exact_equals_breslow_without_ties_and_matches_finite_differences)
{
    synth s;
    synth_make(&s, 120, 0, 0);
    carta_cox_result *a = fit_synth(&s, CARTA_COX_TIES_EXACT, 0, 1, NULL, NULL, NULL, NULL, NULL, NULL);
    carta_cox_result *b = fit_synth(&s, CARTA_COX_TIES_BRESLOW, 0, 1, NULL, NULL, NULL, NULL, NULL, NULL);
    for (int j = 0; j < 3; j++) {
        cr_expect(check_rel(a->terms[j].coef, b->terms[j].coef, 1e-11, "coef %d", j));
        cr_expect(check_rel(a->terms[j].se, b->terms[j].se, 1e-10, "se %d", j));
    }
    cr_expect(check_rel(a->loglik[1], b->loglik[1], 1e-13, "loglik"));
    carta_cox_result_free(a);
    carta_cox_result_free(b);
    synth_free(&s);

    synth_make(&s, 150, 1, 0);
    carta_surv_data d = { .n = s.n, .time = s.time, .status = s.status, .strata = s.strata, .n_strata = 2 };
    carta_matrix m = { .n = s.n, .p = 3, .data = s.x, .names = (const char *const *)s.names };
    carta_cox_spec spec;
    carta_error err;
    cox_work *w = NULL;
    carta_cox_spec_default(&spec);
    spec.ties = CARTA_COX_TIES_EXACT;
    carta_error_clear(&err);
    cr_assert_eq(cox_work_new(&spec, &d, &m, NULL, &w, &err), CARTA_OK);
    double beta[3] = { 0.6, -0.4, 0.03 }, ll, u[3], info[9], h = 1e-5;
    cox_eval(w, beta, &ll, u, info, &err);
    for (int j = 0; j < 3; j++) {
        double bp[3], bm[3], lp, lm, up[3], um[3], ip[9], im[9];
        memcpy(bp, beta, sizeof bp);
        memcpy(bm, beta, sizeof bm);
        bp[j] += h;
        bm[j] -= h;
        cox_eval(w, bp, &lp, up, ip, &err);
        cox_eval(w, bm, &lm, um, im, &err);
        cr_expect(check_rel(u[j], (lp - lm) / (2 * h), 1e-6, "exact U[%d] vs FD", j));
        for (int k = 0; k < 3; k++)
            cr_expect(check_rel(info[k + 3 * j], -(up[k] - um[k]) / (2 * h), 1e-6, "exact I[%d,%d] vs FD", k, j));
    }
    cox_work_free(w);
    synth_free(&s);
}

/* Strata with no event (all censored) and a single-row stratum add nothing to the partial
   likelihood: the fit equals the fit without those rows. */
Test(cox, strata_without_events_change_nothing)
{
    synth s;
    synth_make(&s, 200, 1, 0);
    size_t n = s.n, n2 = n + 6;
    double *x2 = malloc(3 * n2 * sizeof *x2), *t2 = malloc(n2 * sizeof *t2);
    int *st2 = malloc(n2 * sizeof *st2), *sr2 = malloc(n2 * sizeof *sr2);
    for (size_t i = 0; i < n2; i++) {
        size_t k = i < n ? i : i - n;
        t2[i] = s.time[k];
        st2[i] = i < n ? s.status[k] : 0;             /* stratum 2: five censored rows */
        sr2[i] = i < n ? s.strata[k] : (i + 1 == n2 ? 3 : 2); /* stratum 3: one event row */
        if (i + 1 == n2) st2[i] = 1;
        for (int j = 0; j < 3; j++) x2[i + j * n2] = s.x[k + j * n] + (i < n ? 0 : 0.37 * (double)i);
    }
    carta_cox_result *a = fit_synth(&s, CARTA_COX_TIES_EFRON, 0, 1, NULL, NULL, NULL, NULL, NULL, NULL);
    carta_surv_data d = { .n = n2, .time = t2, .status = st2, .strata = sr2, .n_strata = 4 };
    carta_matrix m = { .n = n2, .p = 3, .data = x2, .names = (const char *const *)s.names };
    carta_cox_spec spec;
    carta_error err;
    carta_cox_result *b = NULL;
    carta_cox_spec_default(&spec);
    carta_error_clear(&err);
    cr_assert_eq(carta_cox_fit(&spec, &d, &m, &b, &err), CARTA_OK, "%s", err.msg);
    for (int j = 0; j < 3; j++) {
        cr_expect(check_rel(b->terms[j].coef, a->terms[j].coef, 1e-10, "coef %d", j));
        cr_expect(check_rel(b->terms[j].se, a->terms[j].se, 1e-9, "se %d", j));
    }
    cr_expect(check_rel(b->loglik[1], a->loglik[1], 1e-12, "loglik"));
    cr_expect_eq(b->n_basehaz, 4);
    carta_cox_result_free(a);
    carta_cox_result_free(b);
    free(x2); free(t2); free(st2); free(sr2);
    synth_free(&s);
}

Test(cox, breslow_equals_efron_without_ties)
{
    synth s;
    synth_make(&s, 300, 0, 0);
    carta_cox_result *a = fit_synth(&s, CARTA_COX_TIES_EFRON, 1, 1, NULL, NULL, NULL, NULL, NULL, NULL);
    carta_cox_result *b = fit_synth(&s, CARTA_COX_TIES_BRESLOW, 1, 1, NULL, NULL, NULL, NULL, NULL, NULL);
    for (int j = 0; j < 3; j++) {
        cr_expect(check_rel(a->terms[j].coef, b->terms[j].coef, 1e-12, "coef %d", j));
        cr_expect(check_rel(a->terms[j].se, b->terms[j].se, 1e-12, "se %d", j));
    }
    cr_expect(check_rel(a->loglik[1], b->loglik[1], 1e-13, "loglik"));
    carta_cox_result_free(a);
    carta_cox_result_free(b);
    synth_free(&s);
}

/* ---- bad input ---- */
static int fit_hand_variant(const double *time, const double *start, const int *status,
                            const double *w, const double *x, size_t p, size_t n,
                            carta_cox_result **r, carta_error *err)
{
    static const char *const names[3] = { "age", "dose", "flag" };
    carta_surv_data d = { .n = n, .time = time, .start = start, .status = status, .weight = w };
    carta_matrix m = { .n = n, .p = p, .data = x, .names = names };
    carta_cox_spec spec;
    carta_cox_spec_default(&spec);
    carta_error_clear(err);
    *r = NULL;
    return carta_cox_fit(&spec, &d, &m, r, err);
}

/* A term index beyond n_terms is a configuration error naming the field; a valid grouping
   of single columns gives per-term zph tests equal to the per-column ones. */
Test(cox, zph_term_of_is_checked_and_single_column_terms_match_columns)
{
    carta_surv_data d = { .n = 7, .time = H_TIME, .status = H_STAT };
    double x2[14];
    for (size_t i = 0; i < 7; i++) { x2[i] = H_X[i]; x2[7 + i] = (double)((i * 3) % 5); }
    carta_matrix m = { .n = 7, .p = 2, .data = x2 };
    size_t bad[2] = { 0, 2 }, good[2] = { 0, 1 };
    carta_cox_spec spec;
    carta_cox_spec_default(&spec);
    spec.term_of = bad;
    spec.n_terms = 2;
    carta_cox_result *r = NULL;
    carta_error err;
    carta_error_clear(&err);
    cr_expect_eq(carta_cox_fit(&spec, &d, &m, &r, &err), CARTA_ECONFIG);
    cr_expect_null(r);
    cr_expect_str_eq(err.field, "term_of");
    spec.term_of = good;
    carta_error_clear(&err);
    cr_assert_eq(carta_cox_fit(&spec, &d, &m, &r, &err), CARTA_OK, "%s", err.msg);
    cr_assert(r->zph_by_term != NULL && r->n_zph_by_term == 2);
    for (size_t k = 0; k < 2; k++) {
        cr_expect(check_rel(r->zph_by_term[k].stat, r->zph_terms[k].stat, 1e-12, "term %zu chisq", k));
        cr_expect_eq(r->zph_by_term[k].df, 1.0);
    }
    carta_cox_result_free(r);
}

Test(cox, no_events_is_a_numeric_error)
{
    int st[7] = { 0 };
    carta_cox_result *r;
    carta_error err;
    cr_expect_eq(fit_hand_variant(H_TIME, NULL, st, NULL, H_X, 1, 7, &r, &err), CARTA_ENUMERIC);
    cr_expect_null(r);
    cr_expect(strstr(err.msg, "no events") != NULL, "%s", err.msg);
}

Test(cox, a_single_subject_is_a_data_error)
{
    carta_cox_result *r;
    carta_error err;
    cr_expect_eq(fit_hand_variant(H_TIME, NULL, H_STAT, NULL, H_X, 1, 1, &r, &err), CARTA_EDATA);
    cr_expect_null(r);
}

Test(cox, nan_in_a_covariate_names_column_and_row)
{
    double x[14];
    memcpy(x, H_X, sizeof H_X);
    for (int i = 0; i < 7; i++) x[7 + i] = i * 0.5;
    x[7 + 4] = NAN;
    carta_cox_result *r;
    carta_error err;
    cr_expect_eq(fit_hand_variant(H_TIME, NULL, H_STAT, NULL, x, 2, 7, &r, &err), CARTA_EDATA);
    cr_expect_eq(err.row, 5);
    cr_expect_str_eq(err.field, "dose");
    x[7 + 4] = INFINITY;
    carta_error_clear(&err);
    cr_expect_eq(fit_hand_variant(H_TIME, NULL, H_STAT, NULL, x, 2, 7, &r, &err), CARTA_EDATA);
    cr_expect_eq(err.row, 5);
}

Test(cox, negative_weight_names_the_row)
{
    double w[7] = { 1, 1, 1, -2, 1, 1, 1 };
    carta_cox_result *r;
    carta_error err;
    cr_expect_eq(fit_hand_variant(H_TIME, NULL, H_STAT, w, H_X, 1, 7, &r, &err), CARTA_EDATA);
    cr_expect_eq(err.row, 4);
    cr_expect(strstr(err.msg, "weight") != NULL, "%s", err.msg);
}

Test(cox, stop_not_after_start_names_the_row)
{
    double start[7] = { 0, 0, 0, 0, 0, 3, 0 };
    carta_cox_result *r;
    carta_error err;
    cr_expect_eq(fit_hand_variant(H_TIME, start, H_STAT, NULL, H_X, 1, 7, &r, &err), CARTA_EDATA);
    cr_expect_eq(err.row, 6);
    cr_expect(strstr(err.msg, "start") != NULL, "%s", err.msg);
}

/* A constant covariate is aliased (R gives NA) and named in the warnings; the fit goes on. */
Test(cox, constant_covariate_is_aliased_and_named)
{
    double x[14];
    memcpy(x, H_X, sizeof H_X);
    for (int i = 0; i < 7; i++) x[7 + i] = 3.0;
    carta_cox_result *r;
    carta_error err;
    cr_assert_eq(fit_hand_variant(H_TIME, NULL, H_STAT, NULL, x, 2, 7, &r, &err), CARTA_OK, "%s", err.msg);
    cr_expect(r->terms[1].aliased);
    cr_expect(isnan(r->terms[1].coef));
    cr_expect(!r->terms[0].aliased && isfinite(r->terms[0].coef));
    cr_expect(strstr(r->warnings, "dose") != NULL, "%s", r->warnings);
    cr_expect_eq(r->lr.df, 1);
    carta_cox_result_free(r);
}

Test(cox, all_covariates_constant_is_a_numeric_error)
{
    double x[14];
    for (int i = 0; i < 14; i++) x[i] = 2.0;
    carta_cox_result *r;
    carta_error err;
    cr_expect_eq(fit_hand_variant(H_TIME, NULL, H_STAT, NULL, x, 2, 7, &r, &err), CARTA_ENUMERIC);
    cr_expect_null(r);
    cr_expect(strstr(err.msg, "age") != NULL, "%s", err.msg);
}

/* x = 1 for every death and 0 for every censored subject: the coefficient runs to +infinity. */
Test(cox, monotone_likelihood_stops_with_a_warning_naming_the_term)
{
    double t[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    int st[8] = { 1, 0, 1, 0, 1, 0, 1, 0 };
    double x[16] = { 1, 0, 1, 0, 1, 0, 1, 0, 0.3, 0.1, 0.9, 0.4, 0.2, 0.8, 0.5, 0.7 };
    carta_cox_result *r;
    carta_error err;
    cr_assert_eq(fit_hand_variant(t, NULL, st, NULL, x, 2, 8, &r, &err), CARTA_OK, "%s", err.msg);
    cr_expect_eq(r->converged, 0);
    cr_expect(strstr(r->warnings, "age") != NULL && strstr(r->warnings, "infinite") != NULL, "%s", r->warnings);
    cr_expect(r->terms[0].coef > 5, "coef %g", r->terms[0].coef);
    carta_cox_result_free(r);
}

Test(cox, spec_check_rejects_bad_options_before_data)
{
    carta_cox_spec spec;
    carta_error err;
    carta_cox_spec_default(&spec);
    cr_expect_eq(carta_cox_spec_check(&spec, &err), CARTA_OK);
    spec.ties = 7;
    carta_error_clear(&err);
    cr_expect_eq(carta_cox_spec_check(&spec, &err), CARTA_ECONFIG);
    cr_expect_str_eq(err.field, "ties");
    carta_cox_spec_default(&spec);
    spec.conf_level = 1.5;
    carta_error_clear(&err);
    cr_expect_eq(carta_cox_spec_check(&spec, &err), CARTA_ECONFIG);
    cr_expect_str_eq(err.field, "conf_level");
    carta_cox_spec_default(&spec);
    spec.ties = CARTA_COX_TIES_EXACT;
    carta_error_clear(&err);
    cr_expect_eq(carta_cox_spec_check(&spec, &err), CARTA_OK);
    /* exact ties: martingale and deviance residuals as R gives them; no score, Schoenfeld or
       dfbeta residuals and no robust variance (R has none), refused before any data is read */
    spec.residuals = CARTA_COX_RESID_MARTINGALE | CARTA_COX_RESID_DEVIANCE;
    carta_error_clear(&err);
    cr_expect_eq(carta_cox_spec_check(&spec, &err), CARTA_OK);
    static const unsigned refused[] = { CARTA_COX_RESID_SCORE, CARTA_COX_RESID_SCHOENFELD, CARTA_COX_RESID_DFBETA };
    for (size_t k = 0; k < 3; k++) {
        spec.residuals = CARTA_COX_RESID_MARTINGALE | refused[k];
        carta_error_clear(&err);
        cr_expect_eq(carta_cox_spec_check(&spec, &err), CARTA_ECONFIG, "residuals %u", refused[k]);
        cr_expect_str_eq(err.field, "ties");
    }
    spec.residuals = 0;
    spec.robust = 1;
    carta_error_clear(&err);
    cr_expect_eq(carta_cox_spec_check(&spec, &err), CARTA_ECONFIG);
    carta_cox_spec_default(&spec);
    spec.threads = -1;
    carta_error_clear(&err);
    cr_expect_eq(carta_cox_spec_check(&spec, &err), CARTA_ECONFIG);
    cr_expect_str_eq(err.field, "threads");
}

/* spec.threads = 1 keeps a design large enough for two threads on one (carta run --threads 1). */
Test(cox, threads_one_keeps_a_large_fit_on_one_thread)
{
    synth s;
    synth_make(&s, 360000, 0, 0); /* 360000 x 3 cells: past the two-thread size */
    carta_surv_data d = { .n = s.n, .time = s.time, .status = s.status };
    carta_matrix m = { .n = s.n, .p = 3, .data = s.x, .names = (const char *const *)s.names };
    carta_cox_spec spec;
    carta_error err;
    cox_work *w = NULL;
    carta_cox_spec_default(&spec);
    carta_error_clear(&err);
    cr_assert_eq(cox_work_new(&spec, &d, &m, NULL, &w, &err), CARTA_OK, "%s", err.msg);
    cr_expect_eq(w->threads, 2);
    cox_work_free(w);
    spec.threads = 1;
    cr_assert_eq(cox_work_new(&spec, &d, &m, NULL, &w, &err), CARTA_OK, "%s", err.msg);
    cr_expect_eq(w->threads, 1);
    cox_work_free(w);
    synth_free(&s);
}

/* Fails allocation 1, 2, ... of one fit in turn (up to the first that succeeds): each failure
   must be CARTA_ENOMEM with no result; with a writable design xm (carta_cox_fit_reorder), the
   design must equal x0 after every attempt. Returns whether a fit succeeded. */
static int each_allocation_fails_cleanly(const carta_cox_spec *spec, const carta_surv_data *d,
                                         const carta_matrix *m, double *xm, const double *x0,
                                         const char *what)
{
    for (long k = 1; k < 400; k++) {
        carta_cox_result *r = NULL;
        carta_error err;
        carta_error_clear(&err);
        carta_alloc_fail_at(k);
        int rc = xm ? carta_cox_fit_reorder(spec, d, m, xm, &r, &err) : carta_cox_fit(spec, d, m, &r, &err);
        carta_alloc_fail_at(0);
        if (xm) cr_expect(memcmp(xm, x0, m->n * m->p * sizeof *xm) == 0, "%s k=%ld: the design was left reordered", what, k);
        if (rc == CARTA_OK) {
            carta_cox_result_free(r);
            return 1;
        }
        cr_expect_eq(rc, CARTA_ENOMEM, "%s k=%ld: %s", what, k, err.msg);
        cr_expect_null(r);
    }
    return 0;
}

/* Every allocation failure ends in CARTA_ENOMEM with no result and (under SANITIZE=1) no leak. */
Test(cox, allocation_failures_are_clean)
{
    synth s;
    synth_make(&s, 60, 1, 1);
    carta_surv_data d = { .n = s.n, .time = s.time, .start = s.start, .status = s.status,
                          .weight = s.w, .strata = s.strata, .n_strata = 2 };
    carta_matrix m = { .n = s.n, .p = 3, .data = s.x, .names = (const char *const *)s.names };
    carta_matrix nd = { .n = 2, .p = 3, .data = s.x, .names = NULL };
    carta_cox_spec spec;
    carta_cox_spec_default(&spec);
    spec.residuals = 31u;
    spec.robust = 1;
    spec.newdata = &nd;
    nd.n = 1;
    cr_expect(each_allocation_fails_cleanly(&spec, &d, &m, NULL, NULL, "fit"), "the fit never succeeded");
    /* the same for exact ties (right-censored, unweighted) */
    carta_surv_data de = { .n = s.n, .time = s.time, .status = s.status, .strata = s.strata, .n_strata = 2 };
    carta_cox_spec_default(&spec);
    spec.ties = CARTA_COX_TIES_EXACT;
    cr_expect(each_allocation_fails_cleanly(&spec, &de, &m, NULL, NULL, "exact"), "the exact fit never succeeded");
    synth_free(&s);

    /* the sorted path (a reordered design): every failure leaves the design as it was */
    carta_surv_data du;
    carta_matrix mu;
    double *xm = untied_case(&s, 2000, 0, &du, &mu);
    carta_cox_spec_default(&spec);
    spec.residuals = 31u;
    cr_expect(each_allocation_fails_cleanly(&spec, &du, &mu, xm, s.x, "reorder"), "the reordering fit never succeeded");
    free(xm);
    synth_free(&s);
}
