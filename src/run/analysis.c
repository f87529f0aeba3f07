/* From the config and the loaded data to the analysis dataset: the subject table joined with the
 * outcome's table, long tables reduced per subject (baseline labs, worst adverse-event grade in a
 * window), derived predictors, the cohort filter, then the design fitted on the result. */
#include "internal.h"

#include <carta/alloc.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const AE_CRS = "Cytokine release syndrome";
static const char *const AE_ICANS = "Immune effector cell-associated neurotoxicity syndrome";

static int has_column(carta_cohort *c, const char *name, carta_error *err, int *yes)
{
    const carta_table *t;
    int rc = carta_cohort_table(c, &t, err);
    if (!rc) *yes = carta_table_find(t, name) != NULL;
    return rc;
}

/* Adds column `name` as the baseline record (ABLFL == "Y") of PARAMCD `name` in table src. */
static int add_baseline(carta_cohort *c, const carta_dataset_table *src, const char *name, carta_error *err)
{
    carta_reduce_spec r;
    carta_reduce_spec_default(&r);
    r.rule = CARTA_REDUCE_BASELINE;
    r.source = src->cfg->name;
    r.name = name;
    r.param = name;
    return carta_cohort_reduce(c, src->table, &r, err);
}

static carta_derive_kind derive_kind(carta_cfg_derive d)
{
    switch (d) {
    case CARTA_CFG_DERIVE_EASIX: return CARTA_DERIVE_EASIX;
    case CARTA_CFG_DERIVE_M_EASIX: return CARTA_DERIVE_M_EASIX;
    case CARTA_CFG_DERIVE_S_EASIX: return CARTA_DERIVE_S_EASIX;
    case CARTA_CFG_DERIVE_CAR_HEMATOTOX: return CARTA_DERIVE_CAR_HEMATOTOX;
    case CARTA_CFG_DERIVE_DAYS_BETWEEN:
    case CARTA_CFG_DERIVE_NONE: return CARTA_DERIVE_DAYS_BETWEEN;
    }
    return CARTA_DERIVE_DAYS_BETWEEN;
}

/* The lab parameters a derived score reads by default (carta/cohort.h). */
static size_t default_inputs(carta_cfg_derive d, const char *const **names)
{
    static const char *const easix[] = { "LDH", "CREAT", "PLAT" }, *const measix[] = { "LDH", "CRP", "PLAT" };
    static const char *const seasix[] = { "LDH", "PLAT" }, *const hematotox[] = { "PLAT", "ANC", "HGB", "CRP", "FERRITIN" };
    switch (d) {
    case CARTA_CFG_DERIVE_EASIX: *names = easix; return 3;
    case CARTA_CFG_DERIVE_M_EASIX: *names = measix; return 3;
    case CARTA_CFG_DERIVE_S_EASIX: *names = seasix; return 2;
    case CARTA_CFG_DERIVE_CAR_HEMATOTOX: *names = hematotox; return 5;
    case CARTA_CFG_DERIVE_DAYS_BETWEEN:
    case CARTA_CFG_DERIVE_NONE: break;
    }
    *names = NULL;
    return 0;
}

static int add_features(const carta_config *c, const carta_dataset *d, const char *subjects, analysis *a,
                        carta_error *err)
{
    int rc = CARTA_OK;
    for (size_t i = 0; i < c->n_features && !rc; i++) {
        const carta_cfg_feature *f = &c->features[i];
        char where[64];
        snprintf(where, sizeof where, "feature %s: ", f->name);
        if (f->derive != CARTA_CFG_DERIVE_NONE) {
            const char *const *inputs;
            size_t k = f->args.n ? 0 : default_inputs(f->derive, &inputs);
            const carta_dataset_table *lab = carta_dataset_find(d, f->from ? f->from : "adlb");
            for (size_t j = 0; j < k && !rc; j++) {
                int yes = 0;
                if ((rc = has_column(a->cohort, inputs[j], err, &yes))) break;
                if (!yes && lab && lab->table) rc = add_baseline(a->cohort, lab, inputs[j], err);
            }
            carta_derive_spec ds = { derive_kind(f->derive), f->name, f->args.n ? f->args.v : NULL, f->args.n };
            if (!rc) rc = carta_cohort_derive(a->cohort, &ds, err);
        } else if (f->from && strcmp(f->from, subjects) != 0) {
            const carta_dataset_table *src = carta_dataset_find(d, f->from);
            if (!src) {
                carta_where at = { .file = c->file, .field = "/features" };
                rc = carta_error_set(err, CARTA_ECONFIG, &at, "feature %s comes from table %s, which is not loaded", f->name, f->from);
            } else if (f->baseline) {
                rc = add_baseline(a->cohort, src, f->name, err);
            } else {
                int yes = 0;
                if (!(rc = has_column(a->cohort, f->name, err, &yes)) && !yes) {
                    carta_join_spec j = { .source = src->cfg->name, .columns = &f->name, .n_columns = 1 };
                    j.policy.orphan = CARTA_KEY_EXCLUDE;
                    j.policy.absent = CARTA_KEY_MISSING;
                    rc = carta_cohort_join(a->cohort, src->table, &j, err);
                }
            }
        }
        if (rc) carta_error_prefix(err, "%s", where);
    }
    return rc;
}

/* A binary outcome named by an adverse event and a minimum grade within a window: the worst
   (harmonized when available) grade of that event's records becomes a column. */
static int add_binary_event(const carta_config *c, const carta_dataset *d, analysis *a, carta_error *err)
{
    const carta_cfg_outcome *o = &c->outcome;
    const char *event = o->event ? o->event : "CRS";
    const char *term = strcmp(event, "CRS") == 0 ? AE_CRS : strcmp(event, "ICANS") == 0 ? AE_ICANS : event;
    const carta_dataset_table *ae = carta_dataset_find(d, o->table ? o->table : "adae");
    carta_where at = { .file = c->file, .field = "/outcome" };
    if (!ae || !ae->table) /* (table NULL: the subject table itself, already the cohort's) */
        return carta_error_set(err, CARTA_ECONFIG, &at, "an adverse-event outcome needs the table %s", o->table ? o->table : "adae");
    char name[96];
    snprintf(name, sizeof name, "%s_WORST_GRADE", strcmp(event, "CRS") == 0 || strcmp(event, "ICANS") == 0 ? event : "AE");
    carta_reduce_spec r;
    carta_reduce_spec_default(&r);
    r.rule = CARTA_REDUCE_WORST;
    r.source = ae->cfg->name;
    r.name = name;
    int harmonized = carta_table_find(ae->table, "ASTCTGR") != NULL;
    r.value = harmonized ? "ASTCTGR" : "AETOXGR";
    r.term = term;
    r.window_lo = 0;
    r.window_hi = isnan(o->within_days) ? (double)INFINITY : o->within_days;
    /* Days from the dates when both are there (day 0 = infusion), else from the study day. */
    int dates = 0;
    if (carta_table_find(ae->table, "ASTDT")) {
        int rc = has_column(a->cohort, "TRTSDT", err, &dates);
        if (rc) return rc;
    }
    if (dates) {
        r.date_col = "ASTDT";
        r.ref_col = "TRTSDT";
    } else {
        r.day_col = "ASTDY";
        r.day_origin = CARTA_DAY_SDTM;
    }
    int rc = carta_cohort_reduce(a->cohort, ae->table, &r, err);
    if (rc) return rc;
    char expr[160], def[512];
    snprintf(expr, sizeof expr, "%s >= %ld", name, o->grade_at_least);
    if (isnan(o->within_days))
        snprintf(def, sizeof def, "%s grade >= %ld (%s grades) at any time", event, o->grade_at_least,
                 harmonized ? "ASTCT-harmonized" : "as reported");
    else
        snprintf(def, sizeof def, "%s grade >= %ld (%s grades) within %g days of the reference date (TRTSDT)", event,
                 o->grade_at_least, harmonized ? "ASTCT-harmonized" : "as reported", o->within_days);
    if (!(a->binary_event = carta_strdup(expr)) || !(a->outcome_definition = carta_strdup(def)))
        return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    return CARTA_OK;
}

static carta_transform transform_of(carta_cfg_transform t)
{
    switch (t) {
    case CARTA_CFG_TRANSFORM_LOG: return CARTA_TRANSFORM_LOG;
    case CARTA_CFG_TRANSFORM_LOG2: return CARTA_TRANSFORM_LOG2;
    case CARTA_CFG_TRANSFORM_STANDARDIZE: return CARTA_TRANSFORM_STANDARDIZE;
    case CARTA_CFG_TRANSFORM_NONE: return CARTA_TRANSFORM_NONE;
    }
    return CARTA_TRANSFORM_NONE;
}

static int build_design(const carta_config *c, analysis *a, carta_error *err)
{
    if (c->n_features == 0) return CARTA_OK;
    if (!(a->features = carta_calloc(c->n_features, sizeof *a->features)))
        return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    for (size_t i = 0; i < c->n_features; i++) {
        const carta_cfg_feature *f = &c->features[i];
        carta_feature_spec *s = &a->features[i];
        carta_feature_spec_default(s);
        s->name = f->name;
        /* "numeric" is the config's default: a text column is then categorical, as R treats it. */
        s->type = f->type == CARTA_CFG_FEATURE_CATEGORICAL ? CARTA_FEATURE_CATEGORICAL : CARTA_FEATURE_AUTO;
        s->transform = transform_of(f->transform);
        if (f->has_clip) {
            s->clip = 1;
            s->clip_lo = f->clip[0];
            s->clip_hi = f->clip[1];
        }
        s->reference = f->reference;
        s->levels = f->levels.n ? f->levels.v : NULL;
        s->n_levels = f->levels.n;
        s->pool_min_count = f->pool_rare > 0 ? (size_t)f->pool_rare : 0;
    }
    carta_design_spec_default(&a->dspec);
    a->dspec.features = a->features;
    a->dspec.n_features = c->n_features;
    a->dspec.missing = c->missing.strategy == CARTA_CFG_MISSING_MEDIAN ? CARTA_MISSING_MEDIAN
                       : c->missing.strategy == CARTA_CFG_MISSING_NONE ? CARTA_MISSING_NAN : CARTA_MISSING_OMIT;
    a->dspec.indicators = c->missing.indicators;
    if (c->n_interactions) {
        if (!(a->interactions = carta_calloc(c->n_interactions, sizeof *a->interactions)))
            return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
        for (size_t k = 0; k < c->n_interactions; k++)
            a->interactions[k] = (carta_interaction_spec){ c->interactions[k].a, c->interactions[k].b };
        a->dspec.interactions = a->interactions;
        a->dspec.n_interactions = c->n_interactions;
    }
    int rc = carta_design_fit(&a->dspec, a->table, &a->design, err);
    if (!rc) rc = carta_design_apply(a->design, a->table, &a->dm, err);
    /* Constant and collinear columns are found and named before any model sees them. */
    if (!rc) rc = carta_design_check(&a->dm->x, NULL, &a->check, err);
    return rc;
}

int analysis_build(const carta_config *c, carta_dataset *d, analysis *a, carta_error *err)
{
    memset(a, 0, sizeof *a);
    const carta_cfg_outcome *o = &c->outcome;
    carta_dataset_table *subj = carta_dataset_find(d, "adsl");
    if (!subj && o->table) subj = carta_dataset_find(d, o->table);
    if (!subj) subj = &d->tables[0];
    carta_cohort_keys keys = { "STUDYID", "USUBJID" };
    if (!carta_table_find(subj->table, "STUDYID")) keys.study = NULL;
    if (!carta_table_find(subj->table, "USUBJID")) keys.subject = NULL;
    carta_key_policy policy = { 0 };
    /* Adopted, not copied: the subject table becomes the analysis table (the memory target of
       the analysis-dataset stage). Its loaded counts stay for the card's file list. */
    size_t n_rows = carta_table_nrows(subj->table), n_cols = carta_table_ncols(subj->table);
    int rc = carta_cohort_adopt(subj->table, subj->cfg->name, &keys, &policy, &a->cohort, err);
    if (rc) return rc;
    subj->table = NULL;
    subj->n_rows = n_rows;
    subj->n_cols = n_cols;

    /* The outcome's own table (ADTTE), one parameter of it. */
    int ae_outcome = o->type == CARTA_CFG_OUTCOME_BINARY && o->grade_at_least > 0;
    if (!ae_outcome && o->table && strcmp(o->table, subj->cfg->name) != 0) {
        const carta_dataset_table *ot = carta_dataset_find(d, o->table);
        carta_join_spec j = { .source = ot->cfg->name, .param = o->paramcd };
        j.policy.orphan = CARTA_KEY_EXCLUDE;
        j.policy.absent = CARTA_KEY_EXCLUDE;
        if ((rc = carta_cohort_join(a->cohort, ot->table, &j, err))) return rc;
    }
    if ((rc = add_features(c, d, subj->cfg->name, a, err))) return rc;
    if (ae_outcome && (rc = add_binary_event(c, d, a, err))) return rc;
    if (c->where && (rc = carta_cohort_where(a->cohort, c->where, "/cohort/where", err))) {
        /* The expression is the config's: name the config file before its JSON pointer. */
        if (rc == CARTA_ECONFIG) carta_error_prefix(err, "%s: ", c->file);
        return rc;
    }
    if ((rc = carta_cohort_table(a->cohort, &a->table, err))) return rc;

    if (!a->outcome_definition) {
        char def[768];
        switch (o->type) {
        case CARTA_CFG_OUTCOME_BINARY:
            snprintf(def, sizeof def, "event when %s", o->event ? o->event : "?");
            break;
        case CARTA_CFG_OUTCOME_SURVIVAL:
            snprintf(def, sizeof def, "time %s%s%s, event when %s%s%s%s", o->start ? o->start : "", o->start ? " to " : "",
                     o->time ? o->time : "?", o->event ? o->event : "?", o->paramcd ? " (PARAMCD " : "",
                     o->paramcd ? o->paramcd : "", o->paramcd ? ")" : "");
            break;
        case CARTA_CFG_OUTCOME_COMPETING:
            snprintf(def, sizeof def, "time %s%s%s, cause %s (censored when %s)", o->start ? o->start : "",
                     o->start ? " to " : "", o->time ? o->time : "?", o->cause ? o->cause : "?",
                     o->censor ? o->censor : "?");
            break;
        }
        if (!(a->outcome_definition = carta_strdup(def))) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    }
    return build_design(c, a, err);
}

void analysis_free(analysis *a)
{
    carta_design_check_free(a->check);
    carta_design_matrix_free(a->dm);
    carta_design_free(a->design);
    carta_free(a->features);
    carta_free(a->interactions);
    carta_free(a->binary_event);
    carta_free(a->outcome_definition);
    carta_cohort_free(a->cohort);
    memset(a, 0, sizeof *a);
}

int outcome_for_model(const carta_config *c, const analysis *a, const carta_cfg_model *m, const carta_table *t,
                      carta_outcome **out, carta_error *err)
{
    const carta_cfg_outcome *o = &c->outcome;
    carta_outcome_spec s = { .name = "/outcome" };
    s.type = o->type == CARTA_CFG_OUTCOME_BINARY ? CARTA_OUTCOME_BINARY
             : o->type == CARTA_CFG_OUTCOME_SURVIVAL ? CARTA_OUTCOME_SURVIVAL : CARTA_OUTCOME_COMPETING;
    s.event = a->binary_event ? a->binary_event : o->event;
    s.time = o->time;
    s.start = o->start;
    s.id = o->start ? o->id : NULL;
    s.cause = o->cause;
    s.censor = o->censor;
    switch (m->type) {
    case CARTA_CFG_MODEL_KM:
        s.group = m->km.by.v;
        s.n_group = m->km.by.n;
        s.weight = m->km.weights;
        break;
    case CARTA_CFG_MODEL_LOGRANK:
        s.group = m->logrank.by.v;
        s.n_group = m->logrank.by.n;
        s.strata = m->logrank.strata.v;
        s.n_strata = m->logrank.strata.n;
        break;
    case CARTA_CFG_MODEL_CIF:
        s.group = m->cif.by.v;
        s.n_group = m->cif.by.n;
        break;
    case CARTA_CFG_MODEL_COX:
        s.strata = m->cox.strata.v;
        s.n_strata = m->cox.strata.n;
        s.weight = m->cox.weights;
        s.offset = m->cox.offset;
        s.cluster = m->cox.cluster;
        break;
    case CARTA_CFG_MODEL_LOGISTIC:
        s.weight = m->logistic.weights;
        s.offset = m->logistic.offset;
        break;
    case CARTA_CFG_MODEL_XGBOOST:
        break;
    }
    char ptr[64]; /* the offset is the model's key: its errors name it */
    snprintf(ptr, sizeof ptr, "/models/%zu/offset", (size_t)(m - c->models));
    s.offset_name = ptr;
    if (s.offset) {
        /* a missing or text column is a configuration error (the outcome stage names the rows
           with a missing or infinite value) */
        const carta_column *oc = carta_table_find(t, s.offset);
        if (!oc || oc->type == CARTA_STR || oc->type == CARTA_DATE) {
            carta_where at = { .file = c->file, .field = ptr };
            return oc ? carta_error_set(err, CARTA_ECONFIG, &at, "column %.80s has type %s: an offset must be numeric",
                                        s.offset, carta_type_name(oc->type))
                      : carta_error_set(err, CARTA_ECONFIG, &at, "no column %.80s in the analysis table", s.offset);
        }
    }
    return carta_outcome_build(&s, t, out, err);
}
