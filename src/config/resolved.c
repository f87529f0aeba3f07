/* The resolved config as canonical JSON: keys in the order the config reference lists them,
   every default written out, numbers through carta_numfmt (via carta_jsonw), paths as written.
   Whatever is written here must be accepted by the reader and give the same text again. */
#include <carta/config.h>
#include <carta/alloc.h>
#include <carta/jsonw.h>

#include "config_int.h"

#include <math.h>
#include <string.h>

static void kstr_or_null(carta_jsonw *w, const char *key, const char *s)
{
    carta_jsonw_kstring(w, key, s); /* NULL is written as null */
}

static void kstrings(carta_jsonw *w, const char *key, carta_cfg_strings s)
{
    carta_jsonw_key(w, key);
    carta_jsonw_begin_array(w);
    for (size_t i = 0; i < s.n; i++) carta_jsonw_string(w, s.v[i]);
    carta_jsonw_end_array(w);
}

static void knums(carta_jsonw *w, const char *key, carta_cfg_numbers x)
{
    carta_jsonw_knumbers(w, key, x.v, x.n);
}

static void write_data(carta_jsonw *w, const carta_config *c)
{
    carta_jsonw_key(w, "data");
    carta_jsonw_begin_object(w);
    carta_jsonw_key(w, "tables");
    carta_jsonw_begin_object(w);
    for (size_t i = 0; i < c->n_tables; i++) {
        const carta_cfg_table *t = &c->tables[i];
        carta_jsonw_key(w, t->name);
        carta_jsonw_begin_object(w);
        carta_jsonw_kstring(w, "path", t->path);
        kstr_or_null(w, "schema", t->schema);
        carta_jsonw_kstring(w, "format", cfg_format_names[t->format]);
        if (t->format == CARTA_CFG_FORMAT_CSV) {
            char sep[2] = { t->sep, '\0' };
            carta_jsonw_kstring(w, "sep", sep);
            kstrings(w, "na", t->na);
        }
        carta_jsonw_end_object(w);
    }
    carta_jsonw_end_object(w);
    if (c->harmonize.enabled) {
        carta_jsonw_key(w, "harmonize");
        carta_jsonw_begin_object(w);
        carta_jsonw_kstring(w, "crs_scale", c->harmonize.crs_scale);
        carta_jsonw_kstring(w, "mapping_bound", cfg_bound_names[c->harmonize.mapping_bound]);
        carta_jsonw_kstring(w, "units", cfg_units_names[c->harmonize.units]);
        carta_jsonw_end_object(w);
    }
    carta_jsonw_end_object(w);
}

static void write_outcome(carta_jsonw *w, const carta_cfg_outcome *o)
{
    carta_jsonw_key(w, "outcome");
    carta_jsonw_begin_object(w);
    carta_jsonw_kstring(w, "type", cfg_outcome_names[o->type]);
    switch (o->type) {
    case CARTA_CFG_OUTCOME_BINARY:
        carta_jsonw_kstring(w, "event", o->event);
        carta_jsonw_key(w, "grade_at_least");
        if (o->grade_at_least) carta_jsonw_int(w, o->grade_at_least); else carta_jsonw_null(w);
        carta_jsonw_knumber(w, "within_days", o->within_days); /* NaN is null */
        break;
    case CARTA_CFG_OUTCOME_SURVIVAL:
        carta_jsonw_kstring(w, "time", o->time);
        carta_jsonw_kstring(w, "event", o->event);
        kstr_or_null(w, "start", o->start);
        break;
    case CARTA_CFG_OUTCOME_COMPETING:
        carta_jsonw_kstring(w, "time", o->time);
        carta_jsonw_kstring(w, "cause", o->cause);
        carta_jsonw_kstring(w, "censor", o->censor);
        if (o->causes.n) kstrings(w, "causes", o->causes);
        break;
    }
    kstr_or_null(w, "id", o->id);
    kstr_or_null(w, "table", o->table);
    kstr_or_null(w, "paramcd", o->paramcd);
    carta_jsonw_end_object(w);
}

static void write_feature(carta_jsonw *w, const carta_cfg_feature *f)
{
    carta_jsonw_begin_object(w);
    carta_jsonw_kstring(w, "name", f->name);
    carta_jsonw_kstring(w, "type", cfg_feature_type_names[f->type]);
    if (f->type == CARTA_CFG_FEATURE_CATEGORICAL) {
        kstr_or_null(w, "reference", f->reference);
        if (f->levels.n) kstrings(w, "levels", f->levels);
        carta_jsonw_kint(w, "pool_rare", f->pool_rare);
    }
    kstr_or_null(w, "from", f->from);
    carta_jsonw_kbool(w, "baseline", f->baseline);
    if (f->type == CARTA_CFG_FEATURE_NUMERIC) {
        carta_jsonw_kstring(w, "transform", cfg_transform_names[f->transform]);
        if (f->has_clip) carta_jsonw_knumbers(w, "clip", f->clip, 2); /* an open side is null */
        else { carta_jsonw_key(w, "clip"); carta_jsonw_null(w); }
    }
    carta_jsonw_kstring(w, "derive", cfg_derive_names[f->derive]);
    if (f->args.n) kstrings(w, "args", f->args);
    carta_jsonw_end_object(w);
}

static void write_xgboost(carta_jsonw *w, const carta_xgboost_config *x)
{
    carta_jsonw_key(w, "params");
    carta_jsonw_begin_object(w);
    for (size_t i = 0; i < x->n_params; i++) {
        const carta_cfg_xgb_param *p = &x->params[i];
        carta_jsonw_key(w, p->key);
        switch (p->kind) {
        case CARTA_CFG_XGB_NUMBER: carta_jsonw_number(w, p->num); break;
        case CARTA_CFG_XGB_INT: carta_jsonw_int(w, (int64_t)p->num); break;
        case CARTA_CFG_XGB_BOOL: carta_jsonw_bool(w, p->num != 0); break;
        case CARTA_CFG_XGB_STRING: carta_jsonw_string(w, p->text); break;
        }
    }
    carta_jsonw_end_object(w);
    carta_jsonw_kint(w, "rounds", x->rounds);
    carta_jsonw_key(w, "early_stopping_rounds");
    if (x->early_stopping_rounds) {
        carta_jsonw_int(w, x->early_stopping_rounds);
        carta_jsonw_knumber(w, "early_stopping_fraction", x->early_stopping_fraction);
    } else {
        carta_jsonw_null(w);
    }
    carta_jsonw_kbool(w, "shap", x->shap);
}

/* lambda (a number, null, or the cv rule), alpha and, with a cv rule, lambda_cv. */
static void write_penalty(carta_jsonw *w, double lambda, double alpha, carta_cfg_lambda_rule rule,
                          const carta_cfg_lambda_cv *cv)
{
    if (rule == CARTA_CFG_LAMBDA_FIXED) carta_jsonw_knumber(w, "lambda", lambda);
    else carta_jsonw_kstring(w, "lambda", cfg_lambda_rule_names[rule]);
    carta_jsonw_knumber(w, "alpha", alpha);
    if (rule == CARTA_CFG_LAMBDA_FIXED) return;
    carta_jsonw_key(w, "lambda_cv");
    carta_jsonw_begin_object(w);
    carta_jsonw_kint(w, "folds", cv->folds);
    carta_jsonw_kint(w, "nlambda", cv->nlambda);
    carta_jsonw_knumber(w, "lambda_min_ratio", cv->lambda_min_ratio);
    carta_jsonw_end_object(w);
}

static void write_model(carta_jsonw *w, const carta_cfg_model *m)
{
    carta_jsonw_begin_object(w);
    carta_jsonw_kstring(w, "name", m->name);
    carta_jsonw_kstring(w, "type", cfg_model_names[m->type]);
    switch (m->type) {
    case CARTA_CFG_MODEL_KM:
        kstrings(w, "by", m->km.by);
        kstr_or_null(w, "weights", m->km.weights);
        carta_jsonw_kstring(w, "conf_type", cfg_conf_names[m->km.conf_type]);
        carta_jsonw_knumber(w, "conf_level", m->km.conf_level);
        knums(w, "probs", m->km.probs);
        carta_jsonw_knumber(w, "tau", m->km.tau);
        knums(w, "times", m->km.times);
        carta_jsonw_kint(w, "ctype", m->km.ctype);
        break;
    case CARTA_CFG_MODEL_LOGRANK:
        kstrings(w, "by", m->logrank.by);
        kstrings(w, "strata", m->logrank.strata);
        carta_jsonw_knumber(w, "rho", m->logrank.rho);
        break;
    case CARTA_CFG_MODEL_CIF:
        kstrings(w, "by", m->cif.by);
        carta_jsonw_kstring(w, "conf_type", cfg_conf_names[m->cif.conf_type]);
        carta_jsonw_knumber(w, "conf_level", m->cif.conf_level);
        knums(w, "times", m->cif.times);
        break;
    case CARTA_CFG_MODEL_COX: {
        const carta_cox_config *k = &m->cox;
        carta_jsonw_kstring(w, "ties", cfg_ties_names[k->ties]);
        kstrings(w, "strata", k->strata);
        kstr_or_null(w, "weights", k->weights);
        write_penalty(w, k->lambda, k->alpha, k->lambda_rule, &k->lambda_cv);
        /* The elastic-net Cox model takes no other option (the reader refuses them). */
        if (!isnan(k->lambda) || k->lambda_rule != CARTA_CFG_LAMBDA_FIXED) break;
        kstr_or_null(w, "cluster", k->cluster);
        kstr_or_null(w, "offset", k->offset);
        carta_jsonw_kbool(w, "robust", k->robust);
        carta_jsonw_knumber(w, "eps", k->eps);
        carta_jsonw_knumber(w, "step_tol", k->step_tol);
        carta_jsonw_knumber(w, "toler_chol", k->toler_chol);
        carta_jsonw_knumber(w, "toler_inf", k->toler_inf);
        carta_jsonw_kint(w, "max_iter", k->max_iter);
        carta_jsonw_knumber(w, "conf_level", k->conf_level);
        carta_jsonw_kstring(w, "zph_transform", cfg_zph_names[k->zph_transform]);
        carta_jsonw_key(w, "residuals");
        carta_jsonw_begin_array(w);
        for (int j = 0; cfg_resid_names[j]; j++)
            if (k->residuals & (1u << j)) carta_jsonw_string(w, cfg_resid_names[j]);
        carta_jsonw_end_array(w);
        carta_jsonw_key(w, "newdata");
        carta_jsonw_begin_array(w);
        for (size_t i = 0; i < k->n_newdata; i++) {
            carta_jsonw_begin_object(w);
            for (size_t j = 0; j < k->newdata[i].n; j++) {
                const carta_cfg_value *v = &k->newdata[i].v[j];
                carta_jsonw_key(w, v->column);
                if (v->is_string) carta_jsonw_string(w, v->str); else carta_jsonw_number(w, v->num);
            }
            carta_jsonw_end_object(w);
        }
        carta_jsonw_end_array(w);
        break;
    }
    case CARTA_CFG_MODEL_LOGISTIC: {
        const carta_logistic_config *k = &m->logistic;
        carta_jsonw_kbool(w, "firth", k->firth);
        write_penalty(w, k->lambda, k->alpha, k->lambda_rule, &k->lambda_cv);
        kstr_or_null(w, "weights", k->weights);
        kstr_or_null(w, "offset", k->offset);
        carta_jsonw_knumber(w, "eps", k->eps);
        carta_jsonw_kint(w, "max_iter", k->max_iter);
        carta_jsonw_kint(w, "max_halving", k->max_halving);
        carta_jsonw_knumber(w, "conf_level", k->conf_level);
        break;
    }
    case CARTA_CFG_MODEL_XGBOOST:
        write_xgboost(w, &m->xgboost);
        break;
    }
    carta_jsonw_end_object(w);
}

static void write_validation(carta_jsonw *w, const carta_cfg_validation *v)
{
    carta_cfg_scheme s = v->scheme;
    carta_jsonw_key(w, "validation");
    carta_jsonw_begin_object(w);
    carta_jsonw_kstring(w, "scheme", cfg_scheme_names[s]);
    if (s == CARTA_CFG_SCHEME_KFOLD || s == CARTA_CFG_SCHEME_REPEATED_KFOLD || s == CARTA_CFG_SCHEME_GROUPED_KFOLD)
        carta_jsonw_kint(w, "folds", v->folds);
    if (s == CARTA_CFG_SCHEME_REPEATED_KFOLD) carta_jsonw_kint(w, "repeats", v->repeats);
    if (s == CARTA_CFG_SCHEME_GROUPED_KFOLD || s == CARTA_CFG_SCHEME_LEAVE_ONE_STUDY_OUT)
        carta_jsonw_kstring(w, "group", v->group);
    if (s == CARTA_CFG_SCHEME_HOLDOUT) carta_jsonw_knumber(w, "holdout", v->holdout);
    if (s == CARTA_CFG_SCHEME_KFOLD || s == CARTA_CFG_SCHEME_REPEATED_KFOLD || s == CARTA_CFG_SCHEME_HOLDOUT)
        carta_jsonw_kbool(w, "stratify", v->stratify);
    carta_jsonw_kint(w, "bootstrap", v->bootstrap);
    carta_jsonw_knumber(w, "conf_level", v->conf_level);
    /* null = the default attributes (SEX, PRODUCT, AGE at 65, when present) */
    carta_jsonw_key(w, "fairness");
    if (v->fairness_default) {
        carta_jsonw_null(w);
    } else {
        carta_jsonw_begin_array(w);
        for (size_t i = 0; i < v->n_fairness; i++) {
            carta_jsonw_begin_object(w);
            carta_jsonw_kstring(w, "column", v->fairness[i].column);
            if (v->fairness[i].cuts.n) knums(w, "cuts", v->fairness[i].cuts);
            if (v->fairness[i].levels.n) kstrings(w, "levels", v->fairness[i].levels);
            carta_jsonw_end_object(w);
        }
        carta_jsonw_end_array(w);
    }
    carta_jsonw_end_object(w);
}

static void write_card(carta_jsonw *w, const carta_cfg_card *k)
{
    carta_jsonw_key(w, "card");
    carta_jsonw_begin_object(w);
    kstr_or_null(w, "intended_use", k->intended_use);
    kstrings(w, "users", k->users);
    kstrings(w, "out_of_scope", k->out_of_scope);
    kstrings(w, "limitations", k->limitations);
    kstrings(w, "tradeoffs", k->tradeoffs);
    kstrings(w, "caveats", k->caveats);
    kstrings(w, "references", k->references);
    carta_jsonw_kint(w, "small_count_threshold", k->small_count_threshold);
    carta_jsonw_end_object(w);
}

int carta_config_resolved_json(const carta_config *c, char **out, carta_error *err)
{
    *out = NULL;
    carta_jsonw *w = carta_jsonw_new(0);
    if (!w) return carta_error_set(err, CARTA_ENOMEM, NULL, "out of memory while writing the resolved config");
    carta_jsonw_begin_object(w);
    carta_jsonw_kstring(w, "name", c->name);
    kstr_or_null(w, "description", c->description);
    carta_jsonw_kint(w, "seed", (int64_t)c->seed);
    write_data(w, c);
    carta_jsonw_key(w, "cohort");
    carta_jsonw_begin_object(w);
    kstr_or_null(w, "where", c->where);
    carta_jsonw_end_object(w);
    write_outcome(w, &c->outcome);
    carta_jsonw_key(w, "features");
    carta_jsonw_begin_array(w);
    for (size_t i = 0; i < c->n_features; i++) write_feature(w, &c->features[i]);
    carta_jsonw_end_array(w);
    carta_jsonw_key(w, "interactions");
    carta_jsonw_begin_array(w);
    for (size_t i = 0; i < c->n_interactions; i++) {
        carta_jsonw_begin_array(w);
        carta_jsonw_string(w, c->interactions[i].a);
        carta_jsonw_string(w, c->interactions[i].b);
        carta_jsonw_end_array(w);
    }
    carta_jsonw_end_array(w);
    carta_jsonw_key(w, "missing");
    carta_jsonw_begin_object(w);
    carta_jsonw_kstring(w, "strategy", cfg_missing_names[c->missing.strategy]);
    carta_jsonw_kbool(w, "indicators", c->missing.indicators);
    carta_jsonw_end_object(w);
    carta_jsonw_key(w, "models");
    carta_jsonw_begin_array(w);
    for (size_t i = 0; i < c->n_models; i++) write_model(w, &c->models[i]);
    carta_jsonw_end_array(w);
    write_validation(w, &c->validation);
    write_card(w, &c->card);
    carta_jsonw_kstring(w, "output", c->output);
    carta_jsonw_end_object(w);

    const char *text;
    int rc = carta_jsonw_finish(w, &text, NULL, err);
    if (rc == CARTA_OK) *out = carta_jsonw_take(w);
    carta_jsonw_free(w);
    return rc;
}
