/* xgboost parameters, checked when the config is read. libxgboost 1.7.4 accepts a misspelt key
   (a warning at the first update) and out-of-range values (an error at the first update), so
   carta checks every key, type and range here against an allow-list taken from the xgboost 1.7
   parameter documentation, and fills in the defaults that apply (see domain/xgboost.md).
   Departures from xgboost's own defaults, both for reproducibility: tree_method "hist" (1.7's
   "auto" picks a method from the data size) and gblinear updater "coord_descent" ("shotgun" is
   not reproducible even at a fixed thread count, and is rejected). */
#include "config_int.h"

#include <carta/numfmt.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where a parameter applies. */
enum { S_ANY = 0, S_TREE, S_DART, S_LINEAR, S_BOOSTER /* tree and linear */, S_AFT };

typedef struct xgb_key {
    const char *key;
    carta_cfg_xgb_kind kind;
    int scope;
    cfg_range range;             /* NUMBER and INT */
    const char *const *values;   /* STRING with a fixed set of values */
    int has_default;
    double def;                  /* NUMBER, INT, BOOL */
    const char *def_text;        /* STRING */
} xgb_key;

static const char *const v_objective[] = { "binary:logistic", "binary:logitraw", "reg:logistic",
                                            "survival:cox", "survival:aft", NULL };
static const char *const v_metric[] = { "auc", "aucpr", "logloss", "error", "cox-nloglik",
                                         "aft-nloglik", "interval-regression-accuracy", NULL };
static const char *const v_booster[] = { "gbtree", "gblinear", "dart", NULL };
static const char *const v_tree_method[] = { "auto", "exact", "approx", "hist", NULL };
static const char *const v_grow[] = { "depthwise", "lossguide", NULL };
static const char *const v_sampling[] = { "uniform", "gradient_based", NULL };
static const char *const v_sample_type[] = { "uniform", "weighted", NULL };
static const char *const v_normalize[] = { "tree", "forest", NULL };
static const char *const v_updater[] = { "coord_descent", NULL };
static const char *const v_selector[] = { "cyclic", "shuffle", "random", "greedy", "thrifty", NULL };
static const char *const v_aft[] = { "normal", "logistic", "extreme", NULL };

#define INF INFINITY
#define NONNEG { 0, INF, 0, 0 }
#define POS { 0, INF, 1, 0 }
#define UNIT { 0, 1, 0, 0 }
#define UNIT_LO_OPEN { 0, 1, 1, 0 }
#define OPEN01 { 0, 1, 1, 1 }
#define ANYR { -INF, INF, 0, 0 }
#define NOR { 0, 0, 0, 0 }

/* Sorted by key: the resolved params come out in this order. eta and lambda have booster-
   dependent defaults (gbtree 0.3 and 1, gblinear 0.5 and 0), filled in by default_for. */
static const xgb_key KEYS[] = {
    { "aft_loss_distribution", CARTA_CFG_XGB_STRING, S_AFT, NOR, v_aft, 1, 0, "normal" },
    { "aft_loss_distribution_scale", CARTA_CFG_XGB_NUMBER, S_AFT, POS, NULL, 1, 1, NULL },
    { "alpha", CARTA_CFG_XGB_NUMBER, S_BOOSTER, NONNEG, NULL, 1, 0, NULL },
    { "base_score", CARTA_CFG_XGB_NUMBER, S_ANY, ANYR, NULL, 0, 0, NULL },
    { "booster", CARTA_CFG_XGB_STRING, S_ANY, NOR, v_booster, 1, 0, "gbtree" },
    { "colsample_bylevel", CARTA_CFG_XGB_NUMBER, S_TREE, UNIT_LO_OPEN, NULL, 1, 1, NULL },
    { "colsample_bynode", CARTA_CFG_XGB_NUMBER, S_TREE, UNIT_LO_OPEN, NULL, 1, 1, NULL },
    { "colsample_bytree", CARTA_CFG_XGB_NUMBER, S_TREE, UNIT_LO_OPEN, NULL, 1, 1, NULL },
    { "eta", CARTA_CFG_XGB_NUMBER, S_BOOSTER, NONNEG, NULL, 1, 0.3, NULL },
    { "eval_metric", CARTA_CFG_XGB_STRING, S_ANY, NOR, v_metric, 0, 0, NULL },
    { "feature_selector", CARTA_CFG_XGB_STRING, S_LINEAR, NOR, v_selector, 1, 0, "cyclic" },
    { "gamma", CARTA_CFG_XGB_NUMBER, S_TREE, NONNEG, NULL, 1, 0, NULL },
    { "grow_policy", CARTA_CFG_XGB_STRING, S_TREE, NOR, v_grow, 1, 0, "depthwise" },
    { "interaction_constraints", CARTA_CFG_XGB_STRING, S_TREE, NOR, NULL, 0, 0, NULL },
    { "lambda", CARTA_CFG_XGB_NUMBER, S_BOOSTER, NONNEG, NULL, 1, 1, NULL },
    { "max_bin", CARTA_CFG_XGB_INT, S_TREE, { 2, INF, 0, 0 }, NULL, 1, 256, NULL },
    { "max_delta_step", CARTA_CFG_XGB_NUMBER, S_TREE, NONNEG, NULL, 1, 0, NULL },
    { "max_depth", CARTA_CFG_XGB_INT, S_TREE, NONNEG, NULL, 1, 6, NULL },
    { "max_leaves", CARTA_CFG_XGB_INT, S_TREE, NONNEG, NULL, 1, 0, NULL },
    { "min_child_weight", CARTA_CFG_XGB_NUMBER, S_TREE, NONNEG, NULL, 1, 1, NULL },
    { "monotone_constraints", CARTA_CFG_XGB_STRING, S_TREE, NOR, NULL, 0, 0, NULL },
    { "normalize_type", CARTA_CFG_XGB_STRING, S_DART, NOR, v_normalize, 1, 0, "tree" },
    { "num_parallel_tree", CARTA_CFG_XGB_INT, S_TREE, { 1, INF, 0, 0 }, NULL, 1, 1, NULL },
    { "objective", CARTA_CFG_XGB_STRING, S_ANY, NOR, v_objective, 0, 0, NULL },
    { "one_drop", CARTA_CFG_XGB_BOOL, S_DART, NOR, NULL, 1, 0, NULL },
    { "rate_drop", CARTA_CFG_XGB_NUMBER, S_DART, UNIT, NULL, 1, 0, NULL },
    { "sample_type", CARTA_CFG_XGB_STRING, S_DART, NOR, v_sample_type, 1, 0, "uniform" },
    { "sampling_method", CARTA_CFG_XGB_STRING, S_TREE, NOR, v_sampling, 1, 0, "uniform" },
    { "scale_pos_weight", CARTA_CFG_XGB_NUMBER, S_ANY, POS, NULL, 1, 1, NULL },
    { "skip_drop", CARTA_CFG_XGB_NUMBER, S_DART, UNIT, NULL, 1, 0, NULL },
    { "subsample", CARTA_CFG_XGB_NUMBER, S_TREE, UNIT_LO_OPEN, NULL, 1, 1, NULL },
    { "top_k", CARTA_CFG_XGB_INT, S_LINEAR, NONNEG, NULL, 1, 0, NULL },
    { "tree_method", CARTA_CFG_XGB_STRING, S_TREE, NOR, v_tree_method, 1, 0, "hist" },
    { "updater", CARTA_CFG_XGB_STRING, S_LINEAR, NOR, v_updater, 1, 0, "coord_descent" },
};
#define N_KEYS (sizeof KEYS / sizeof KEYS[0])

/* Keys xgboost knows that carta sets itself, or aliases: each with the reason it is refused. */
static const struct { const char *key, *why; } MANAGED[] = {
    { "seed", "all randomness comes from the experiment's seed (/seed)" },
    { "random_state", "all randomness comes from the experiment's seed (/seed)" },
    { "seed_per_iteration", "all randomness comes from the experiment's seed (/seed)" },
    { "nthread", "the thread count comes from the command line (--threads)" },
    { "n_jobs", "the thread count comes from the command line (--threads)" },
    { "verbosity", "carta keeps xgboost quiet and reports errors itself" },
    { "silent", "carta keeps xgboost quiet and reports errors itself" },
    { "validate_parameters", "carta checks every parameter itself" },
    { "num_round", "set \"rounds\" beside \"params\"" },
    { "num_boost_round", "set \"rounds\" beside \"params\"" },
    { "n_estimators", "set \"rounds\" beside \"params\"" },
    { "learning_rate", "an alias: use \"eta\"" },
    { "reg_lambda", "an alias: use \"lambda\"" },
    { "reg_alpha", "an alias: use \"alpha\"" },
    { "min_split_loss", "an alias: use \"gamma\"" },
    { "gpu_id", "carta runs xgboost on the CPU" },
    { "predictor", "carta runs xgboost on the CPU" },
};
#define N_MANAGED (sizeof MANAGED / sizeof MANAGED[0])

static const xgb_key *find_key(const char *k)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(KEYS[i].key, k) == 0) return &KEYS[i];
    return NULL;
}

/* Does a parameter of this scope apply to the booster and objective? */
static int in_scope(int scope, const char *booster, const char *objective)
{
    int linear = strcmp(booster, "gblinear") == 0;
    switch (scope) {
    case S_TREE: return !linear;
    case S_DART: return strcmp(booster, "dart") == 0;
    case S_LINEAR: return linear;
    case S_AFT: return strcmp(objective, "survival:aft") == 0;
    default: return 1;
    }
}

static const char *scope_text(int scope)
{
    switch (scope) {
    case S_TREE: return "booster gbtree or dart";
    case S_DART: return "booster dart";
    case S_LINEAR: return "booster gblinear";
    case S_AFT: return "objective survival:aft";
    default: return "every booster";
    }
}

static int objective_fits(const char *obj, carta_cfg_outcome_type outcome)
{
    int surv = strncmp(obj, "survival:", 9) == 0;
    return outcome == CARTA_CFG_OUTCOME_SURVIVAL ? surv : outcome == CARTA_CFG_OUTCOME_BINARY ? !surv : 0;
}

static int metric_fits(const char *metric, const char *obj)
{
    if (strcmp(metric, "cox-nloglik") == 0) return strcmp(obj, "survival:cox") == 0;
    if (strcmp(metric, "aft-nloglik") == 0 || strcmp(metric, "interval-regression-accuracy") == 0)
        return strcmp(obj, "survival:aft") == 0;
    return strncmp(obj, "survival:", 9) != 0;
}

/* Fills p->text from its kind and value. */
static int set_text(cfg_reader *r, carta_cfg_xgb_param *p, const char *s)
{
    char buf[48];
    if (p->kind == CARTA_CFG_XGB_STRING) {
        p->text = cfg_arena_strdup(r->a, s);
    } else {
        if (p->kind == CARTA_CFG_XGB_INT) snprintf(buf, sizeof buf, "%ld", (long)p->num);
        else if (p->kind == CARTA_CFG_XGB_BOOL) snprintf(buf, sizeof buf, "%d", p->num != 0);
        else carta_numfmt(p->num, buf, sizeof buf);
        p->text = cfg_arena_strdup(r->a, buf);
    }
    return p->text ? CARTA_OK : cfg_oom(r);
}

/* Reads one given parameter v (the pointer is at it) into p. */
static int read_value(cfg_reader *r, const xgb_key *k, const cJSON *v, carta_cfg_xgb_param *p)
{
    char rt[96], num[40];
    p->key = k->key;
    p->kind = k->kind;
    switch (k->kind) {
    case CARTA_CFG_XGB_STRING:
        if (!cJSON_IsString(v)) return cfg_fail(r, "expected a string, got %s", cfg_kind(v));
        if (!v->valuestring[0]) return cfg_fail(r, "must not be empty");
        if (strcmp(k->key, "updater") == 0 && strcmp(v->valuestring, "shotgun") == 0)
            return cfg_fail(r, "\"shotgun\" is refused: its results differ from run to run even "
                               "with one thread; use \"coord_descent\"");
        if (k->values) {
            int found = 0;
            for (size_t i = 0; k->values[i]; i++) found |= strcmp(k->values[i], v->valuestring) == 0;
            if (!found) {
                char list[512];
                const char *near = cfg_nearest(v->valuestring, k->values);
                cfg_join(list, sizeof list, k->values);
                if (near)
                    return cfg_fail(r, "\"%.80s\" is not one of %s (did you mean \"%s\"?)", v->valuestring, list, near);
                return cfg_fail(r, "\"%.80s\" is not one of %s", v->valuestring, list);
            }
        }
        return set_text(r, p, v->valuestring);
    case CARTA_CFG_XGB_BOOL:
        if (!cJSON_IsBool(v)) return cfg_fail(r, "expected true or false, got %s", cfg_kind(v));
        p->num = cJSON_IsTrue(v) ? 1 : 0;
        return set_text(r, p, NULL);
    case CARTA_CFG_XGB_INT:
    case CARTA_CFG_XGB_NUMBER:
        if (!cJSON_IsNumber(v))
            return cfg_fail(r, "expected %s, got %s", k->kind == CARTA_CFG_XGB_INT ? "an integer" : "a number",
                            cfg_kind(v));
        p->num = v->valuedouble;
        if (!isfinite(p->num)) return cfg_fail(r, "the number is too large");
        if (k->kind == CARTA_CFG_XGB_INT && (p->num != floor(p->num) || fabs(p->num) > 2147483647.0))
            return cfg_fail(r, "expected an integer, got %s", carta_numfmt(p->num, num, sizeof num));
        {
            const cfg_range *rg = &k->range;
            int below = rg->lo_open ? !(p->num > rg->lo) : !(p->num >= rg->lo);
            int above = rg->hi_open ? !(p->num < rg->hi) : !(p->num <= rg->hi);
            if (below || above)
                return cfg_fail(r, "%s is out of range (must be %s)", carta_numfmt(p->num, num, sizeof num),
                                cfg_range_text(rt, sizeof rt, rg));
        }
        return set_text(r, p, NULL);
    }
    return cfg_fail(r, "internal error: unknown parameter kind");
}

int cfg_read_xgboost_params(cfg_reader *r, const cJSON *params, carta_cfg_outcome_type outcome,
                            carta_xgboost_config *x)
{
    const char *names[N_KEYS + N_MANAGED + 1];
    size_t nn = 0;
    for (size_t i = 0; i < N_KEYS; i++) names[nn++] = KEYS[i].key;
    for (size_t i = 0; i < N_MANAGED; i++) names[nn++] = MANAGED[i].key;
    names[nn] = NULL;

    /* One slot per known key, in KEYS order (sorted), filled from the config or a default. */
    carta_cfg_xgb_param *p = cfg_arena_array(r->a, N_KEYS, sizeof *p);
    unsigned char given[N_KEYS] = { 0 };
    if (!p) return cfg_oom(r);
    size_t saved = cfg_enter(r, "params");
    int rc = CARTA_OK;
    for (const cJSON *c = params ? params->child : NULL; c && rc == CARTA_OK; c = c->next) {
        size_t at = cfg_enter(r, c->string);
        const xgb_key *k = find_key(c->string);
        if (!k) {
            size_t m;
            for (m = 0; m < N_MANAGED; m++)
                if (strcmp(MANAGED[m].key, c->string) == 0) break;
            if (m < N_MANAGED) {
                rc = cfg_fail(r, "not allowed: %s", MANAGED[m].why);
            } else {
                const char *near = cfg_nearest(c->string, names);
                rc = near ? cfg_fail(r, "unknown xgboost parameter (did you mean \"%s\"?)", near)
                          : cfg_fail(r, "unknown xgboost parameter (carta accepts: %s)",
                                     cfg_join((char[1024]){ 0 }, 1024, names));
            }
        } else {
            size_t i = (size_t)(k - KEYS);
            rc = read_value(r, k, c, &p[i]);
            given[i] = 1;
        }
        cfg_leave(r, at);
    }
    if (rc != CARTA_OK) { cfg_leave(r, saved); return rc; }

    /* The objective follows the outcome unless given; a given one must fit the outcome. */
    size_t i_obj = (size_t)(find_key("objective") - KEYS), i_boost = (size_t)(find_key("booster") - KEYS);
    if (given[i_obj]) {
        if (!objective_fits(p[i_obj].text, outcome)) {
            rc = cfg_fail_key(r, "objective", "\"%s\" does not fit a %s outcome", p[i_obj].text,
                              cfg_outcome_names[outcome]);
            cfg_leave(r, saved);
            return rc;
        }
    } else {
        p[i_obj].key = "objective";
        p[i_obj].kind = CARTA_CFG_XGB_STRING;
        if ((rc = set_text(r, &p[i_obj], outcome == CARTA_CFG_OUTCOME_SURVIVAL ? "survival:cox"
                                                                                : "binary:logistic")))
            { cfg_leave(r, saved); return rc; }
        given[i_obj] = 2;
    }
    const char *booster = given[i_boost] ? p[i_boost].text : "gbtree";
    const char *objective = p[i_obj].text;
    size_t n = 0;
    for (size_t i = 0; i < N_KEYS && rc == CARTA_OK; i++) {
        const xgb_key *k = &KEYS[i];
        int applies = in_scope(k->scope, booster, objective);
        if (given[i] == 1 && !applies) {
            rc = cfg_fail_key(r, k->key, "not used with %s %s (it applies to %s)",
                              k->scope == S_AFT ? "objective" : "booster",
                              k->scope == S_AFT ? objective : booster, scope_text(k->scope));
            break;
        }
        if (given[i] == 1 && strcmp(k->key, "eval_metric") == 0 && !metric_fits(p[i].text, objective)) {
            rc = cfg_fail_key(r, k->key, "\"%s\" does not fit objective %s", p[i].text, objective);
            break;
        }
        if (!given[i] && applies && k->has_default) {
            p[i].key = k->key;
            p[i].kind = k->kind;
            p[i].num = k->def;
            /* gblinear's own defaults differ for the shared regularisation keys. */
            if (strcmp(booster, "gblinear") == 0 && strcmp(k->key, "eta") == 0) p[i].num = 0.5;
            if (strcmp(booster, "gblinear") == 0 && strcmp(k->key, "lambda") == 0) p[i].num = 0;
            rc = set_text(r, &p[i], k->def_text);
            given[i] = 2;
        }
        if (given[i]) p[n++] = p[i];
    }
    /* xgboost 1.7 takes max_depth 0 ("no limit") only when trees grow leaf by leaf. */
    const carta_cfg_xgb_param *depth = NULL, *grow = NULL, *base = NULL;
    for (size_t i = 0; rc == CARTA_OK && i < n; i++) {
        if (strcmp(p[i].key, "max_depth") == 0) depth = &p[i];
        if (strcmp(p[i].key, "grow_policy") == 0) grow = &p[i];
        if (strcmp(p[i].key, "base_score") == 0) base = &p[i];
    }
    if (rc == CARTA_OK && depth && depth->num == 0 && (!grow || strcmp(grow->text, "lossguide") != 0))
        rc = cfg_fail_key(r, "max_depth", "0 (no depth limit) needs \"grow_policy\": \"lossguide\"");
    /* A probability objective starts from a probability (xgboost fails at the first update). */
    if (rc == CARTA_OK && base && (strcmp(objective, "binary:logistic") == 0 || strcmp(objective, "reg:logistic") == 0) &&
        !(base->num > 0 && base->num < 1))
        rc = cfg_fail_key(r, "base_score", "%s is out of range for %s (must be in (0, 1))", base->text, objective);
    cfg_leave(r, saved);
    if (rc != CARTA_OK) return rc;
    x->params = p;
    x->n_params = n;
    return CARTA_OK;
}

const carta_cfg_xgb_param *carta_xgboost_config_param(const carta_xgboost_config *x, const char *key)
{
    for (size_t i = 0; i < x->n_params; i++)
        if (strcmp(x->params[i].key, key) == 0) return &x->params[i];
    return NULL;
}
