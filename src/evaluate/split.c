/* Resampling splits. Every split is drawn from the config's seed with GSL's mt19937, one
 * generator per call, so the same seed gives the same splits on any machine.
 * - k-fold: rows are shuffled within each stratum (e.g. event / no event), then dealt to the
 *   folds in turn, so each fold holds about 1/k of each stratum (scikit-learn's
 *   StratifiedKFold idea, not its exact assignment).
 * - grouped k-fold: groups are shuffled and dealt to the folds whole.
 * - leave one group out: one split per group, in label order (internal-external validation
 *   across trials; Steyerberg & Harrell, J Clin Epidemiol 2016;69:245).
 * - holdout: a stratified share of rows for testing.
 * - bootstrap: n rows drawn with replacement for training; the test set is every row (the
 *   apparent-vs-test comparison of Harrell's optimism correction). */
#include <carta/evaluate.h>
#include <carta/alloc.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <string.h>

void carta_splits_free(carta_splits *s)
{
    if (!s) return;
    for (size_t k = 0; k < s->n; k++) {
        carta_free(s->s[k].label);
        carta_free(s->s[k].train);
        carta_free(s->s[k].test);
    }
    carta_free(s->s);
    carta_free(s);
}

/* Fills split k from a fold assignment: test = rows whose fold is f. */
static int from_folds(carta_split *sp, const int *fold, size_t n, int f, const char *label)
{
    size_t nt = 0;
    for (size_t i = 0; i < n; i++) nt += fold[i] == f;
    sp->label = carta_strdup(label);
    sp->test = carta_malloc((nt ? nt : 1) * sizeof *sp->test);
    sp->train = carta_malloc((n - nt ? n - nt : 1) * sizeof *sp->train);
    if (!sp->label || !sp->test || !sp->train) return CARTA_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (fold[i] == f) sp->test[sp->n_test++] = i;
        else sp->train[sp->n_train++] = i;
    }
    return CARTA_OK;
}

/* Deals rows to k folds, shuffled within strata. */
static void deal(gsl_rng *r, size_t n, const int *strata, size_t k, int *fold, size_t *order)
{
    int max_stratum = 0;
    for (size_t i = 0; i < n; i++)
        if (strata && strata[i] > max_stratum) max_stratum = strata[i];
    size_t next = 0; /* continue the deal across strata so fold sizes stay balanced */
    for (int s = 0; s <= max_stratum; s++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (!strata || strata[i] == s) order[m++] = i;
        gsl_ran_shuffle(r, order, m, sizeof *order);
        for (size_t j = 0; j < m; j++) fold[order[j]] = (int)(next++ % k);
    }
}

int carta_splits_make(const carta_split_spec *spec, size_t n, const int *strata, const int *group,
                      const char *const *group_labels, size_t n_groups, const char *group_column,
                      carta_splits **out, carta_error *err)
{
    *out = NULL;
    int grouped = spec->kind == CARTA_SPLIT_GROUPED_KFOLD || spec->kind == CARTA_SPLIT_LEAVE_ONE_GROUP_OUT;
    if (grouped && !group) return carta_error_set(err, CARTA_EUSAGE, NULL, "splits: grouped schemes need a group column");
    size_t k = spec->kind == CARTA_SPLIT_LEAVE_ONE_GROUP_OUT ? n_groups
             : spec->kind == CARTA_SPLIT_HOLDOUT ? 1
             : spec->kind == CARTA_SPLIT_BOOTSTRAP ? spec->bootstrap
             : spec->kind == CARTA_SPLIT_REPEATED_KFOLD ? spec->folds * spec->repeats : spec->folds;
    size_t units = grouped ? n_groups : n;
    if ((spec->kind == CARTA_SPLIT_KFOLD || spec->kind == CARTA_SPLIT_REPEATED_KFOLD || spec->kind == CARTA_SPLIT_GROUPED_KFOLD) &&
        (spec->folds < 2 || spec->folds > units))
        return carta_error_set(err, CARTA_EDATA, NULL, "splits: %zu folds need at least %zu %s (there are %zu)", spec->folds,
                               spec->folds, grouped ? "groups" : "rows", units);
    if (spec->kind == CARTA_SPLIT_LEAVE_ONE_GROUP_OUT && n_groups < 2)
        return carta_error_set(err, CARTA_EDATA, NULL, "splits: leaving one group out needs at least two groups (found %zu)", n_groups);
    if (k == 0) return carta_error_set(err, CARTA_EDATA, NULL, "splits: no split to make");

    carta_splits *s = carta_calloc(1, sizeof *s);
    int *fold = carta_malloc((n ? n : 1) * sizeof *fold);
    size_t *order = carta_malloc(((n > n_groups ? n : n_groups) + 1) * sizeof *order);
    int *gfold = carta_malloc((n_groups + 1) * sizeof *gfold);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    int rc = CARTA_OK;
    if (!s || !fold || !order || !gfold || !r || !(s->s = carta_calloc(k, sizeof *s->s))) {
        rc = CARTA_ENOMEM;
        goto done;
    }
    gsl_rng_set(r, spec->seed);
    char label[256];
    switch (spec->kind) {
    case CARTA_SPLIT_KFOLD:
    case CARTA_SPLIT_REPEATED_KFOLD: {
        size_t reps = spec->kind == CARTA_SPLIT_KFOLD ? 1 : spec->repeats;
        for (size_t rep = 0; rep < reps && !rc; rep++) {
            deal(r, n, strata, spec->folds, fold, order);
            for (size_t f = 0; f < spec->folds && !rc; f++) {
                if (reps > 1) snprintf(label, sizeof label, "repeat=%zu, fold=%zu", rep + 1, f + 1);
                else snprintf(label, sizeof label, "fold=%zu", f + 1);
                rc = from_folds(&s->s[s->n++], fold, n, (int)f, label);
            }
        }
        break;
    }
    case CARTA_SPLIT_GROUPED_KFOLD:
        deal(r, n_groups, NULL, spec->folds, gfold, order);
        for (size_t i = 0; i < n; i++) fold[i] = gfold[group[i]];
        for (size_t f = 0; f < spec->folds && !rc; f++) {
            snprintf(label, sizeof label, "fold=%zu", f + 1);
            rc = from_folds(&s->s[s->n++], fold, n, (int)f, label);
        }
        break;
    case CARTA_SPLIT_LEAVE_ONE_GROUP_OUT:
        for (size_t g = 0; g < n_groups && !rc; g++) {
            snprintf(label, sizeof label, "%s=%s", group_column ? group_column : "group", group_labels ? group_labels[g] : "?");
            rc = from_folds(&s->s[s->n++], group, n, (int)g, label);
        }
        break;
    case CARTA_SPLIT_HOLDOUT: {
        /* Deal into 1/holdout-sized pieces is not exact; instead mark the first share of each
           shuffled stratum as test. */
        int max_stratum = 0;
        for (size_t i = 0; i < n; i++)
            if (strata && strata[i] > max_stratum) max_stratum = strata[i];
        for (int st = 0; st <= max_stratum; st++) {
            size_t m = 0;
            for (size_t i = 0; i < n; i++)
                if (!strata || strata[i] == st) order[m++] = i;
            gsl_ran_shuffle(r, order, m, sizeof *order);
            size_t t = (size_t)((double)m * spec->holdout + 0.5);
            for (size_t j = 0; j < m; j++) fold[order[j]] = j < t ? 0 : 1;
        }
        rc = from_folds(&s->s[s->n++], fold, n, 0, "holdout");
        break;
    }
    case CARTA_SPLIT_BOOTSTRAP:
        for (size_t b = 0; b < spec->bootstrap && !rc; b++) {
            carta_split *sp = &s->s[s->n++];
            snprintf(label, sizeof label, "bootstrap=%zu", b + 1);
            sp->label = carta_strdup(label);
            sp->train = carta_malloc((n ? n : 1) * sizeof *sp->train);
            sp->test = carta_malloc((n ? n : 1) * sizeof *sp->test);
            if (!sp->label || !sp->train || !sp->test) { rc = CARTA_ENOMEM; break; }
            for (size_t i = 0; i < n; i++) {
                sp->train[i] = gsl_rng_uniform_int(r, n);
                sp->test[i] = i;
            }
            sp->n_train = sp->n_test = n;
        }
        break;
    }
    if (!rc)
        for (size_t j = 0; j < s->n; j++)
            if (s->s[j].n_test == 0 || s->s[j].n_train == 0) {
                rc = carta_error_set(err, CARTA_EDATA, NULL, "splits: split %s has an empty %s set", s->s[j].label,
                                     s->s[j].n_test ? "training" : "test");
                break;
            }
done:
    if (r) gsl_rng_free(r);
    carta_free(fold);
    carta_free(order);
    carta_free(gfold);
    if (rc) {
        carta_splits_free(s);
        return rc == CARTA_ENOMEM ? carta_error_set(err, CARTA_ENOMEM, NULL, "splits: no memory") : rc;
    }
    *out = s;
    return CARTA_OK;
}
