/* Kaplan-Meier, log-rank and cumulative incidence in a run: fitted on the whole cohort (no
 * design, no resampling) and written into the card as JSON with the names of ARCHITECTURE's card
 * contract. Counts per time below the card's small-count threshold are written as "<5". */
#include "internal.h"

#include <carta/alloc.h>
#include <carta/jsonw.h>
#include <carta/cif.h>
#include <carta/km.h>
#include <carta/logrank.h>

#include <math.h>
#include <carta/csvout.h>
#include <stdio.h>
#include <string.h>

static void count1(carta_jsonw *w, const char *key, double v, long thr)
{
    carta_jsonw_key(w, key);
    carta_jsonw_count(w, v, thr);
}

static void counts(carta_jsonw *w, const char *key, const double *v, size_t n, long thr)
{
    carta_jsonw_key(w, key);
    carta_jsonw_begin_array(w);
    for (size_t i = 0; i < n; i++) carta_jsonw_count(w, v[i], thr);
    carta_jsonw_end_array(w);
}

/* The curve tables are written as CSV into a memory stream (counts as they are: the run folder
   is not the card, and these are per-time aggregates, not patient rows). */
static FILE *csv_begin(char **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    return open_memstream(buf, len);
}

/* Closes the stream (which is when *buf becomes final); the text goes to *out (carta_free) or
   CARTA_ENOMEM. */
static int csv_end(FILE *fp, char **buf, char **out, carta_error *err)
{
    int bad = !fp || ferror(fp);
    if (fp && fclose(fp) != 0) bad = 1;
    if (bad || !*buf) {
        carta_free(*buf);
        return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory for a curve table");
    }
    *out = *buf;
    return CARTA_OK;
}

static int km_conf(carta_cfg_conf_type t)
{
    switch (t) {
    case CARTA_CFG_CONF_PLAIN: return CARTA_KM_CONF_PLAIN;
    case CARTA_CFG_CONF_LOGLOG: return CARTA_KM_CONF_LOGLOG;
    case CARTA_CFG_CONF_LOGIT: return CARTA_KM_CONF_LOGIT;
    case CARTA_CFG_CONF_ARCSIN: return CARTA_KM_CONF_ARCSIN;
    case CARTA_CFG_CONF_LOG: return CARTA_KM_CONF_LOG;
    }
    return CARTA_KM_CONF_LOG;
}

static void write_km(carta_jsonw *w, const carta_km_result *r, long thr)
{
    carta_jsonw_begin_object(w);
    carta_jsonw_knumber(w, "tau", r->tau);
    carta_jsonw_key(w, "strata");
    carta_jsonw_begin_array(w);
    for (size_t k = 0; k < r->n_curves; k++) {
        const carta_km_curve *c = &r->curves[k];
        carta_jsonw_begin_object(w);
        carta_jsonw_kstring(w, "label", c->label);
        count1(w, "n", (double)c->n, thr);
        count1(w, "events", c->events, thr);
        carta_jsonw_knumber(w, "median", c->median);
        carta_jsonw_knumber(w, "median_lower", c->median_lower);
        carta_jsonw_knumber(w, "median_upper", c->median_upper);
        carta_jsonw_key(w, "quantiles");
        carta_jsonw_begin_array(w);
        for (size_t q = 0; q < c->n_quantiles; q++) {
            carta_jsonw_begin_object(w);
            carta_jsonw_knumber(w, "p", c->quantiles[q].p);
            carta_jsonw_knumber(w, "time", c->quantiles[q].time);
            carta_jsonw_knumber(w, "lower", c->quantiles[q].lower);
            carta_jsonw_knumber(w, "upper", c->quantiles[q].upper);
            carta_jsonw_end_object(w);
        }
        carta_jsonw_end_array(w);
        carta_jsonw_knumber(w, "rmst", c->rmst);
        carta_jsonw_knumber(w, "rmst_se", c->rmst_se);
        carta_jsonw_key(w, "table");
        carta_jsonw_begin_object(w);
        carta_jsonw_knumbers(w, "time", c->time, c->n_rows);
        counts(w, "n_risk", c->n_risk, c->n_rows, thr);
        counts(w, "n_event", c->n_event, c->n_rows, thr);
        counts(w, "n_censor", c->n_censor, c->n_rows, thr);
        carta_jsonw_knumbers(w, "surv", c->surv, c->n_rows);
        carta_jsonw_knumbers(w, "std_err", c->std_err, c->n_rows);
        carta_jsonw_knumbers(w, "lower", c->lower, c->n_rows);
        carta_jsonw_knumbers(w, "upper", c->upper, c->n_rows);
        carta_jsonw_knumbers(w, "cumhaz", c->cumhaz, c->n_rows);
        carta_jsonw_knumbers(w, "cumhaz_se", c->cumhaz_se, c->n_rows);
        carta_jsonw_end_object(w);
        carta_jsonw_key(w, "at_times");
        carta_jsonw_begin_object(w);
        carta_jsonw_knumbers(w, "time", c->sum_time, c->n_summary);
        counts(w, "n_risk", c->sum_n_risk, c->n_summary, thr);
        counts(w, "n_event", c->sum_n_event, c->n_summary, thr);
        counts(w, "n_censor", c->sum_n_censor, c->n_summary, thr);
        carta_jsonw_knumbers(w, "surv", c->sum_surv, c->n_summary);
        carta_jsonw_knumbers(w, "std_err", c->sum_std_err, c->n_summary);
        carta_jsonw_knumbers(w, "lower", c->sum_lower, c->n_summary);
        carta_jsonw_knumbers(w, "upper", c->sum_upper, c->n_summary);
        carta_jsonw_end_object(w);
        carta_jsonw_end_object(w);
    }
    carta_jsonw_end_array(w);
    carta_jsonw_end_object(w);
}

static int fit_km(const carta_config *c, const carta_cfg_model *m, const carta_outcome *y, carta_jsonw *w,
                  char **curves, carta_error *err)
{
    const carta_km_config *k = &m->km;
    carta_km_spec s;
    carta_km_spec_default(&s);
    s.conf_type = km_conf(k->conf_type);
    s.conf_level = k->conf_level;
    s.ctype = k->ctype;
    s.probs = k->probs.v;
    s.n_probs = k->probs.n;
    s.tau = k->tau;
    s.times = k->times.n ? k->times.v : NULL;
    s.n_times = k->times.n;
    carta_km_result *r = NULL;
    int rc = carta_km_fit(&s, &y->surv, &r, err);
    if (!rc) write_km(w, r, c->card.small_count_threshold);
    if (!rc) {
        char *buf;
        size_t len;
        FILE *fp = csv_begin(&buf, &len);
        if (fp) {
            fputs("group,time,n_risk,n_event,n_censor,surv,std_err,lower,upper,cumhaz,cumhaz_se\n", fp);
            for (size_t g = 0; g < r->n_curves; g++) {
                const carta_km_curve *cv = &r->curves[g];
                for (size_t i = 0; i < cv->n_rows; i++) {
                    const double v[] = { cv->time[i], cv->n_risk[i], cv->n_event[i], cv->n_censor[i], cv->surv[i],
                                         cv->std_err[i], cv->lower[i], cv->upper[i], cv->cumhaz[i], cv->cumhaz_se[i] };
                    carta_csv_write_text(fp, cv->label);
                    for (size_t j = 0; j < sizeof v / sizeof v[0]; j++) {
                        putc(',', fp);
                        carta_csv_write_number(fp, v[j]);
                    }
                    putc('\n', fp);
                }
            }
        }
        rc = csv_end(fp, &buf, curves, err);
    }
    carta_km_result_free(r);
    return rc;
}

/* survdiff's result: chi-square, df, p, rho, the groups with observed and expected summed over
   strata, and the variance matrix. */
static int fit_logrank(const carta_config *c, const carta_cfg_model *m, const carta_outcome *y, carta_jsonw *w,
                       carta_error *err)
{
    carta_logrank_spec s;
    carta_logrank_spec_default(&s);
    s.rho = m->logrank.rho;
    carta_logrank_result *r = NULL;
    int rc = carta_logrank_fit(&s, &y->surv, &r, err);
    if (rc) return rc;
    long thr = c->card.small_count_threshold;
    carta_jsonw_begin_object(w);
    carta_jsonw_knumber(w, "chisq", r->chisq);
    carta_jsonw_knumber(w, "df", r->df);
    carta_jsonw_knumber(w, "p", r->p);
    carta_jsonw_knumber(w, "rho", r->rho);
    carta_jsonw_key(w, "groups");
    carta_jsonw_begin_array(w);
    for (size_t g = 0; g < r->n_groups; g++) {
        carta_jsonw_begin_object(w);
        carta_jsonw_kstring(w, "label", r->groups[g].label);
        count1(w, "n", (double)r->groups[g].n, thr);
        carta_jsonw_knumber(w, "observed", r->groups[g].observed);
        carta_jsonw_knumber(w, "expected", r->groups[g].expected);
        carta_jsonw_end_object(w);
    }
    carta_jsonw_end_array(w);
    carta_jsonw_key(w, "var");
    carta_jsonw_begin_array(w);
    for (size_t g = 0; g < r->n_groups; g++) {
        carta_jsonw_begin_array(w);
        for (size_t h = 0; h < r->n_groups; h++) carta_jsonw_number(w, r->var[g * r->n_groups + h]);
        carta_jsonw_end_array(w);
    }
    carta_jsonw_end_array(w);
    carta_jsonw_end_object(w);
    carta_logrank_result_free(r);
    return CARTA_OK;
}

/* Aalen-Johansen curves for every cause by group, with Gray's test per cause. */
static int fit_cif(const carta_cfg_model *m, const carta_outcome *y, carta_jsonw *w, char **curves, carta_error *err)
{
    carta_cif_spec s;
    carta_cif_spec_default(&s);
    s.conf_type = km_conf(m->cif.conf_type);
    s.conf_level = m->cif.conf_level;
    /* Gray's test (cmprsk::cuminc) has no form for delayed entry: with (start, stop] rows the
       curves are estimated and the card's "gray" is null. */
    s.gray = y->surv.start == NULL;
    carta_cif_result *r = NULL;
    int rc = carta_cif_fit(&s, &y->surv, &r, err);
    if (rc) return rc;
    carta_jsonw_begin_object(w);
    carta_jsonw_key(w, "causes");
    carta_jsonw_begin_array(w);
    for (size_t k = 0; k < r->n_causes; k++) {
        const carta_cif_cause *cz = &r->causes[k];
        carta_jsonw_begin_object(w);
        carta_jsonw_kstring(w, "cause", cz->cause);
        carta_jsonw_key(w, "strata");
        carta_jsonw_begin_array(w);
        for (size_t g = 0; g < cz->n_curves; g++) {
            const carta_cif_curve *cv = &cz->curves[g];
            carta_jsonw_begin_object(w);
            carta_jsonw_kstring(w, "label", cv->label);
            carta_jsonw_key(w, "table");
            carta_jsonw_begin_object(w);
            carta_jsonw_knumbers(w, "time", cv->time, cv->n_rows);
            carta_jsonw_knumbers(w, "cif", cv->cif, cv->n_rows);
            carta_jsonw_knumbers(w, "std_err", cv->std_err, cv->n_rows);
            carta_jsonw_knumbers(w, "lower", cv->lower, cv->n_rows);
            carta_jsonw_knumbers(w, "upper", cv->upper, cv->n_rows);
            carta_jsonw_end_object(w);
            carta_jsonw_end_object(w);
        }
        carta_jsonw_end_array(w);
        carta_jsonw_key(w, "gray");
        if (cz->has_gray) {
            carta_jsonw_begin_object(w);
            carta_jsonw_knumber(w, "chisq", cz->gray_chisq);
            carta_jsonw_knumber(w, "df", cz->gray_df);
            carta_jsonw_knumber(w, "p", cz->gray_p);
            carta_jsonw_end_object(w);
        } else {
            carta_jsonw_null(w);
        }
        carta_jsonw_end_object(w);
    }
    carta_jsonw_end_array(w);
    carta_jsonw_end_object(w);
    char *buf;
    size_t len;
    FILE *fp = csv_begin(&buf, &len);
    if (fp) {
        fputs("cause,group,time,cif,std_err,lower,upper\n", fp);
        for (size_t k = 0; k < r->n_causes; k++)
            for (size_t g = 0; g < r->causes[k].n_curves; g++) {
                const carta_cif_curve *cv = &r->causes[k].curves[g];
                for (size_t i = 0; i < cv->n_rows; i++) {
                    carta_csv_write_text(fp, r->causes[k].cause);
                    putc(',', fp);
                    carta_csv_write_text(fp, cv->label);
                    const double v[] = { cv->time[i], cv->cif[i], cv->std_err[i], cv->lower[i], cv->upper[i] };
                    for (size_t j = 0; j < 5; j++) {
                        putc(',', fp);
                        carta_csv_write_number(fp, v[j]);
                    }
                    putc('\n', fp);
                }
            }
    }
    carta_cif_result_free(r);
    return csv_end(fp, &buf, curves, err);
}

int fit_descriptive(const carta_config *c, const analysis *a, const carta_cfg_model *m, fitted_model *f,
                    carta_error *err)
{
    carta_outcome *y = NULL;
    carta_jsonw *w = carta_jsonw_new(0);
    int rc = w ? CARTA_OK : carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    if (!rc) rc = outcome_for_model(c, a, m, a->table, &y, err);
    if (!rc) {
        switch (m->type) {
        case CARTA_CFG_MODEL_KM: rc = fit_km(c, m, y, w, &f->curves_csv, err); break;
        case CARTA_CFG_MODEL_LOGRANK: rc = fit_logrank(c, m, y, w, err); break;
        case CARTA_CFG_MODEL_CIF: rc = fit_cif(m, y, w, &f->curves_csv, err); break;
        case CARTA_CFG_MODEL_COX:
        case CARTA_CFG_MODEL_LOGISTIC:
        case CARTA_CFG_MODEL_XGBOOST: {
            carta_where at = { .file = c->file, .field = "/models" };
            rc = carta_error_set(err, CARTA_EUSAGE, &at, "internal error: %s is not a descriptive model", m->name);
            break;
        }
        }
    }
    if (!rc) {
        const char *json;
        if (!(rc = carta_jsonw_finish(w, &json, NULL, err)) && !(f->result_json = carta_jsonw_take(w)))
            rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    }
    if (rc) carta_error_prefix(err, "model %s: ", m->name);
    carta_jsonw_free(w);
    carta_outcome_free(y);
    return rc;
}
