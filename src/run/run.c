/* `carta run CONFIG`: the whole pipeline, and the run folder it writes.
 *
 * config -> load -> validate -> harmonize -> cohort -> design -> fit (+ resampling) -> card.
 * The run folder is written into a temporary folder beside the target and renamed into place
 * only when every file is complete; an existing run folder is kept unless --force is given.
 * card.json holds nothing that changes between identical runs; run.json beside it holds the
 * clock time, the host, the wall time and the thread count. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "internal.h"
#include "gbm_baseline.h"

#include <carta/alloc.h>
#include <carta/carta.h>
#include <carta/fs.h>
#include <carta/jsonw.h>
#include <carta/load.h>
#include <carta/csvout.h>
#include <carta/numfmt.h>
#include <carta/sha256.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* Everything one run produces in memory. */
typedef struct run_state {
    carta_config *cfg;
    carta_dataset *data;
    analysis an;
    fitted_model *models;
    size_t n_models;
    char *resolved;           /* canonical resolved config */
    char *config_dir_rel;     /* the config's folder relative to the output folder */
    char *card;               /* card.json text */
    size_t card_len;
} run_state;

static void state_free(run_state *s)
{
    for (size_t i = 0; i < s->n_models; i++) fitted_model_clear(&s->models[i]);
    carta_free(s->models);
    analysis_free(&s->an);
    carta_dataset_free(s->data);
    carta_free(s->resolved);
    carta_free(s->config_dir_rel);
    carta_free(s->card);
    carta_config_free(s->cfg);
    memset(s, 0, sizeof *s);
}

/* `to` relative to `from` (both existing folders), without leaving an absolute path behind. */
static char *relative_path(const char *from, const char *to)
{
    char a[PATH_MAX], b[PATH_MAX];
    if (!realpath(from, a) || !realpath(to, b)) return NULL;
    size_t common = 0, i = 0;
    while (a[i] && a[i] == b[i]) {
        if (a[i] == '/') common = i;
        i++;
    }
    if (!a[i] && (b[i] == '/' || !b[i])) common = i;
    else if (!b[i] && a[i] == '/') common = i;
    char out[PATH_MAX] = "";
    size_t n = 0;
    for (const char *p = a + common; *p; p++)
        if (*p == '/') n += (size_t)snprintf(out + n, sizeof out - n, "%s..", n ? "/" : "");
    const char *rest = b + common;
    if (*rest == '/') rest++;
    if (*rest) snprintf(out + n, sizeof out - n, "%s%s", n ? "/" : "", rest);
    return carta_strdup(out[0] ? out : ".");
}

static const char *outcome_type_name(carta_cfg_outcome_type t)
{
    return t == CARTA_CFG_OUTCOME_BINARY ? "binary" : t == CARTA_CFG_OUTCOME_SURVIVAL ? "survival" : "competing";
}

static char *harmonization_json(const carta_harmonize_report *r)
{
    carta_jsonw *w = carta_jsonw_new(0);
    if (!w) return NULL;
    carta_jsonw_begin_array(w);
    for (size_t i = 0; i < r->n_studies; i++) {
        const carta_harmonize_study *s = &r->studies[i];
        carta_jsonw_begin_object(w);
        carta_jsonw_kstring(w, "study", s->studyid);
        carta_jsonw_kstring(w, "scale", s->crs_scale);
        carta_jsonw_kint(w, "crs", s->crs_records);
        carta_jsonw_kint(w, "from_signs", s->from_signs);
        carta_jsonw_kint(w, "mapped", s->mapped);
        carta_jsonw_kint(w, "astct", s->identity);
        carta_jsonw_kint(w, "changed", s->changed);
        carta_jsonw_kint(w, "icans", s->icans_records);
        carta_jsonw_kint(w, "labs", s->lab_records);
        carta_jsonw_kint(w, "labs_converted", s->lab_converted);
        carta_jsonw_end_object(w);
    }
    carta_jsonw_end_array(w);
    const char *t;
    carta_error e;
    carta_error_clear(&e);
    char *out = carta_jsonw_finish(w, &t, NULL, &e) == CARTA_OK ? carta_jsonw_take(w) : NULL;
    carta_jsonw_free(w);
    return out;
}

static const char *transform_name(carta_cfg_transform t)
{
    switch (t) {
    case CARTA_CFG_TRANSFORM_LOG: return "log";
    case CARTA_CFG_TRANSFORM_LOG2: return "log2";
    case CARTA_CFG_TRANSFORM_STANDARDIZE: return "standardize";
    case CARTA_CFG_TRANSFORM_NONE: return "none";
    }
    return "none";
}

/* The card from the run's state. Strings built here live in `keep` until the card is written. */
static int build_card(run_state *s, const char *config_sha, carta_error *err)
{
    const carta_config *c = s->cfg;
    carta_card_input in;
    memset(&in, 0, sizeof in);
    int rc = CARTA_OK;
    char **keep = carta_calloc(4 * c->n_features + 17, sizeof *keep);
    size_t nk = 0;
    carta_card_file *files = carta_calloc(s->data->n + 1, sizeof *files);
    carta_card_flow *flow = NULL;
    carta_card_predictor *preds = carta_calloc(c->n_features + 1, sizeof *preds);
    carta_card_model *models = carta_calloc(s->n_models + 1, sizeof *models);
    carta_outcome *y = NULL;
    const char **issues = NULL;
    char versions[2048];
    char resolved_sha[65];
    if (!keep || !files || !preds || !models) {
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
        goto done;
    }
    in.name = c->name;
    in.description = c->description;
    in.intended_use = c->card.intended_use;
    in.users = (carta_card_strings){ c->card.users.v, c->card.users.n };
    in.out_of_scope = (carta_card_strings){ c->card.out_of_scope.v, c->card.out_of_scope.n };
    in.limitations = (carta_card_strings){ c->card.limitations.v, c->card.limitations.n };
    in.tradeoffs = (carta_card_strings){ c->card.tradeoffs.v, c->card.tradeoffs.n };
    in.caveats = (carta_card_strings){ c->card.caveats.v, c->card.caveats.n };
    in.references = (carta_card_strings){ c->card.references.v, c->card.references.n };
    in.small_count_threshold = c->card.small_count_threshold;
    in.outcome_type = outcome_type_name(c->outcome.type);
    in.outcome_definition = s->an.outcome_definition;
    in.outcome_json = keep[nk++] = json_member_text(s->resolved, "outcome");
    if (s->data->harmonized) {
        static const char *const bounds[] = { "point", "min", "max" };
        in.harmonization_version = s->data->harmonization.mapping_version ? s->data->harmonization.mapping_version : "none";
        in.harmonization_bound = bounds[s->data->harmonization.bound];
        in.mapping_sha256 = s->data->mapping_sha256;
        in.units_sha256 = s->data->units_sha256;
        in.harmonization_json = keep[nk++] = harmonization_json(&s->data->harmonization);
    }
    for (size_t i = 0; i < s->data->n; i++) {
        const carta_dataset_table *t = &s->data->tables[i];
        files[i] = (carta_card_file){ t->cfg->name, t->cfg->path, carta_format_name(carta_format_from_path(t->cfg->path)),
                                      t->sha256, t->table ? carta_table_nrows(t->table) : t->n_rows,
                                      t->table ? carta_table_ncols(t->table) : t->n_cols };
    }
    in.files = files;
    in.n_files = s->data->n;
    const carta_flow *fl = carta_cohort_flow(s->an.cohort);
    if (!(flow = carta_calloc(fl->n + 1, sizeof *flow))) {
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
        goto done;
    }
    for (size_t i = 0; i < fl->n; i++)
        flow[i] = (carta_card_flow){ fl->steps[i].description, fl->steps[i].n_remaining, fl->steps[i].n_excluded, fl->steps[i].reason };
    in.flow = flow;
    in.n_flow = fl->n;
    /* Subjects and events of the analysis (after complete-case selection when there is a design). */
    carta_cfg_model plain;
    memset(&plain, 0, sizeof plain);
    plain.type = CARTA_CFG_MODEL_XGBOOST;
    if ((rc = outcome_for_model(c, &s->an, &plain, s->an.table, &y, err))) goto done;
    size_t n_used = s->an.dm ? s->an.dm->x.n : y->n;
    double events = 0;
    for (size_t k = 0; k < n_used; k++) {
        size_t i = s->an.dm ? s->an.dm->rows[k] : k;
        events += y->type == CARTA_OUTCOME_BINARY ? y->y[i] : (double)(y->status[i] != 0);
    }
    in.n_subjects = n_used;
    in.n_events = events;
    /* data.studies: the analysed rows per study, their events, the registry and the features. */
    {
        double *ev = carta_malloc((n_used ? n_used : 1) * sizeof *ev);
        const char **vars = carta_calloc(c->n_features + 1, sizeof *vars);
        const carta_dataset_table *reg = carta_dataset_find(s->data, "studies");
        for (size_t k = 0; ev && k < n_used; k++) {
            size_t i = s->an.dm ? s->an.dm->rows[k] : k;
            ev[k] = y->type == CARTA_OUTCOME_BINARY ? y->y[i] : (double)(y->status[i] != 0);
        }
        for (size_t i = 0; vars && i < c->n_features; i++) vars[i] = c->features[i].name;
        carta_card_studies_spec sp = { s->an.table, s->an.dm ? s->an.dm->rows : NULL, n_used, ev, reg ? reg->table : NULL,
                                       vars, c->n_features, c->card.small_count_threshold };
        rc = ev && vars ? carta_card_studies_json(&sp, &keep[nk], err) : carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
        carta_free(ev);
        carta_free(vars);
        if (rc) goto done;
        in.studies_json = keep[nk++];
    }
    for (size_t i = 0; i < c->n_features; i++) {
        const carta_cfg_feature *f = &c->features[i];
        carta_card_predictor *p = &preds[i];
        p->name = f->name;
        p->type = f->derive != CARTA_CFG_DERIVE_NONE ? "derived" : f->type == CARTA_CFG_FEATURE_CATEGORICAL ? "categorical" : "numeric";
        char src[256];
        if (f->derive != CARTA_CFG_DERIVE_NONE) snprintf(src, sizeof src, "%s", carta_cfg_derive_name(f->derive));
        else if (f->from) snprintf(src, sizeof src, "%s%s", f->from, f->baseline ? " (baseline record)" : "");
        else snprintf(src, sizeof src, "analysis table");
        p->source = keep[nk++] = carta_strdup(src);
        p->transform = transform_name(f->transform);
        if (s->an.design && i < carta_design_nfeatures(s->an.design)) {
            const carta_design_feature *df = carta_design_feature_at(s->an.design, i);
            /* The feature's design columns, ", "-joined at full length: the card matches them to
               the Cox result's columns (cox.zph per term), so they must never be cut short. */
            size_t len = 1;
            for (size_t j = 0; j < df->n_terms; j++) len += strlen(carta_design_term(s->an.design, df->first_term + j)) + 2;
            char *terms = carta_malloc(len);
            if (!terms) {
                rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
                goto done;
            }
            size_t n = 0;
            terms[0] = '\0';
            for (size_t j = 0; j < df->n_terms; j++)
                n += (size_t)snprintf(terms + n, len - n, "%s%s", j ? ", " : "", carta_design_term(s->an.design, df->first_term + j));
            p->terms = keep[nk++] = terms;
            p->n_missing = df->n_missing;
            p->n_imputed = df->n_imputed;
        }
    }
    in.predictors = preds;
    in.n_predictors = c->n_features;
    if (s->an.check && s->an.check->n_issues) {
        if (!(issues = carta_calloc(s->an.check->n_issues, sizeof *issues))) {
            rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
            goto done;
        }
        for (size_t i = 0; i < s->an.check->n_issues; i++) issues[i] = s->an.check->issues[i].message;
        in.design_issues = issues;
        in.n_design_issues = s->an.check->n_issues;
    }
    in.missing_strategy = c->missing.strategy == CARTA_CFG_MISSING_MEDIAN
                              ? (c->missing.indicators ? "median/mode imputation with missing indicators" : "median/mode imputation")
                          : c->missing.strategy == CARTA_CFG_MISSING_NONE ? "left missing (NaN) for estimators that handle it"
                                                                          : "complete case (rows with a missing predictor are dropped)";
    in.n_parameters = s->an.design ? carta_design_p(s->an.design) : 0;
    for (size_t m = 0; m < s->n_models; m++) {
        fitted_model *f = &s->models[m];
        models[m] = (carta_card_model){ f->cfg->name, carta_cfg_model_type_name(f->cfg->type), f->spec_json, f->cox,
                                        f->logistic, f->glmnet, f->gbm, f->result_json,
                                        f->splits ? carta_cfg_scheme_name(c->validation.scheme) : "none", f->metrics,
                                        f->n_metrics, f->curves_json, f->glmnet_cv_json };
    }
    in.models = models;
    in.n_models = s->n_models;
    in.validation_json = keep[nk++] = json_member_text(s->resolved, "validation");
    const char *fair[CARTA_CFG_MAX_FAIRNESS];
    int validated = 0;
    for (size_t m = 0; m < s->n_models; m++) validated |= s->models[m].splits != NULL;
    in.fairness_attributes = (carta_card_strings){ fair, validated ? fairness_attributes(c, s->an.table, fair) : 0 };
    in.seed = c->seed;
    in.config_sha256 = config_sha;
    carta_sha256 h;
    carta_sha256_init(&h);
    carta_sha256_update(&h, s->resolved, strlen(s->resolved));
    carta_sha256_final(&h, resolved_sha);
    in.resolved_config_sha256 = resolved_sha;
    in.resolved_config_json = s->resolved;
    in.versions = carta_versions(versions, sizeof versions);
    rc = carta_card_json(&in, &s->card, &s->card_len, err);
done:
    carta_outcome_free(y);
    carta_free(issues);
    for (size_t i = 0; keep && i < nk; i++) carta_free(keep[i]);
    carta_free(keep);
    carta_free(files);
    carta_free(flow);
    carta_free(preds);
    carta_free(models);
    return rc;
}

/* Loads, validates, harmonizes, builds the analysis, fits every model, writes the card text. */
static int run_pipeline(carta_config *cfg, const carta_run_opts *o, const char *config_sha, run_state *s, carta_error *err)
{
    s->cfg = cfg;
    carta_validation *v = NULL;
    int rc;
    if ((rc = carta_config_resolved_json(cfg, &s->resolved, err)) || (rc = carta_dataset_load(cfg, o, &s->data, err))) return rc;
    if (!(v = carta_validation_new())) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    rc = carta_dataset_validate(s->data, 5, v, err);
    if (!rc) rc = carta_validation_status(v, err);
    carta_validation_free(v);
    if (rc) return rc;
    if ((rc = carta_dataset_harmonize(s->data, cfg, err))) return rc;
    if (o->log && !o->quiet) fprintf(o->log, "carta: building the analysis dataset\n");
    if ((rc = analysis_build(cfg, s->data, &s->an, err))) return rc;
    for (size_t i = 0; s->an.check && i < s->an.check->n_issues && o->log && !o->quiet; i++)
        fprintf(o->log, "carta: design: %s\n", s->an.check->issues[i].message);
    if (!(s->models = carta_calloc(cfg->n_models, sizeof *s->models))) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    for (size_t m = 0; m < cfg->n_models; m++) {
        if (o->log && !o->quiet) fprintf(o->log, "carta: fitting %s (%s)\n", cfg->models[m].name, carta_cfg_model_type_name(cfg->models[m].type));
        rc = fit_model(cfg, &s->an, &cfg->models[m], o, &s->models[m], err);
        s->n_models = m + 1;
        if (rc) return rc;
        char *models = json_member_text(s->resolved, "models");
        s->models[m].spec_json = models ? json_item_text(models, m) : NULL;
        carta_free(models);
    }
    return build_card(s, config_sha, err);
}

/* ---- The run folder ---- */

static int write_text(const char *dir, const char *name, const char *text, size_t len, carta_error *err)
{
    char *path = carta_path_resolve(dir, name);
    if (!path) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    int rc = carta_file_write(path, text, len, 1, err);
    carta_free(path);
    return rc;
}

/* predictions.csv: one row per subject and predictive model: keys, the full-data prediction,
   the out-of-fold prediction and the split that made it. */
static int write_predictions(const run_state *s, const char *dir, carta_error *err)
{
    char *path = carta_path_resolve(dir, "predictions.csv");
    carta_out out;
    int rc = path ? carta_out_open(&out, path, 1, err) : carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    carta_free(path);
    if (rc) return rc;
    const carta_table *t = s->an.table;
    const carta_column *study = carta_table_find(t, "STUDYID"), *subj = carta_table_find(t, "USUBJID");
    fputs("STUDYID,USUBJID,row,model,prediction,oof_prediction,split\n", out.fp);
    for (size_t m = 0; m < s->n_models; m++) {
        const fitted_model *f = &s->models[m];
        if (!f->full) continue;
        for (size_t i = 0; i < carta_table_nrows(t); i++) {
            if (isnan(f->full[i]) && isnan(f->oof[i])) continue;
            if (study && study->type == CARTA_STR) carta_csv_write_text(out.fp, carta_column_str(study, i));
            putc(',', out.fp);
            if (subj && subj->type == CARTA_STR) carta_csv_write_text(out.fp, carta_column_str(subj, i));
            fprintf(out.fp, ",%zu,", i + 1);
            carta_csv_write_text(out.fp, f->cfg->name);
            putc(',', out.fp);
            carta_csv_write_number(out.fp, f->full[i]);
            putc(',', out.fp);
            carta_csv_write_number(out.fp, f->oof[i]);
            putc(',', out.fp);
            carta_csv_write_text(out.fp, f->oof_split ? f->oof_split[i] : NULL);
            putc('\n', out.fp);
        }
    }
    return carta_out_commit(&out, err);
}

/* <model>.coefficients.csv: term, coef, se for Cox, logistic and elastic-net models (an elastic
   net has no standard errors: the column is empty). One layout, so the notebook reads all. */
static int write_coefficients(const char *dir, const fitted_model *f, carta_error *err)
{
    char name[256];
    snprintf(name, sizeof name, "%s.coefficients.csv", f->cfg->name);
    char *path = carta_path_resolve(dir, name);
    carta_out out;
    if (!path) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    int rc = carta_out_open(&out, path, 1, err);
    carta_free(path);
    if (rc) return rc;
    fputs("term,coef,se\n", out.fp);
    const carta_glmnet_path *g = f->glmnet;
    size_t p = g ? g->p + 1 : f->cox ? f->cox->p : f->logistic->p;
    for (size_t j = 0; j < p; j++) {
        if (g && j == 0 && g->family == CARTA_GLMNET_COX) continue; /* a Cox model has no intercept */
        const char *term = g ? (j ? g->names[j - 1] : "(Intercept)") : f->cox ? f->cox->terms[j].term : f->logistic->terms[j].term;
        double coef = g ? (j ? g->coef[j - 1] : g->intercept[0]) : f->cox ? f->cox->terms[j].coef : f->logistic->terms[j].coef;
        double se = g ? (double)NAN : f->cox ? f->cox->terms[j].se : f->logistic->terms[j].se;
        carta_csv_write_text(out.fp, term);
        putc(',', out.fp);
        carta_csv_write_number(out.fp, coef);
        putc(',', out.fp);
        carta_csv_write_number(out.fp, se);
        putc('\n', out.fp);
    }
    return carta_out_commit(&out, err);
}

/* Saved models: the fitted design, xgboost JSON, coefficient tables. */
static int write_artifacts(const run_state *s, const char *dir, carta_error *err)
{
    int rc = CARTA_OK;
    if (s->an.design) {
        char *json = NULL;
        if ((rc = carta_design_to_json(s->an.design, &json, err))) return rc;
        rc = write_text(dir, "design.json", json, strlen(json), err);
        carta_free(json);
        if (rc) return rc;
    }
    for (size_t m = 0; m < s->n_models && !rc; m++) {
        const fitted_model *f = &s->models[m];
        char name[256];
        if (f->curves_csv) {
            snprintf(name, sizeof name, "%s.curves.csv", f->cfg->name);
            rc = write_text(dir, name, f->curves_csv, strlen(f->curves_csv), err);
        } else if (f->gbm) {
            char *json;
            size_t len;
            if ((rc = carta_gbm_save_json(f->gbm, &json, &len, err))) break;
            snprintf(name, sizeof name, "%s.xgboost.json", f->cfg->name);
            rc = write_text(dir, name, json, len, err);
            carta_free(json);
            if (!rc) rc = write_gbm_baseline(s->cfg, &s->an, f, dir, err);
        } else if (f->glmnet || f->cox || f->logistic) {
            rc = write_coefficients(dir, f, err);
        }
    }
    return rc;
}

static int write_run_json(const run_state *s, const carta_run_opts *o, const char *dir, double wall,
                          const carta_card_plot *plots, size_t n_plots, carta_error *err)
{
    carta_jsonw *w = carta_jsonw_new(2);
    if (!w) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    char host[256] = "", stamp[64] = "";
    gethostname(host, sizeof host - 1);
    time_t now = time(NULL);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    struct utsname u;
    memset(&u, 0, sizeof u);
    uname(&u);
    carta_jsonw_begin_object(w);
    carta_jsonw_kstring(w, "note", "facts that change between identical runs; never part of card.json");
    carta_jsonw_kstring(w, "finished_at", stamp);
    carta_jsonw_knumber(w, "wall_seconds", wall);
    carta_jsonw_kstring(w, "host", host);
    carta_jsonw_kstring(w, "platform", u.sysname);
    carta_jsonw_kstring(w, "kernel", u.release);
    carta_jsonw_kstring(w, "arch", u.machine);
    carta_jsonw_kint(w, "threads", o->threads);
    carta_jsonw_kstring(w, "config_dir_from_run_folder", s->config_dir_rel);
    /* The plots of card.html as standalone SVG files (carta_card_plots), in the page's order. */
    carta_jsonw_key(w, "plots");
    carta_jsonw_begin_array(w);
    for (size_t i = 0; i < n_plots; i++) {
        char rel[300];
        snprintf(rel, sizeof rel, "plots/%s", plots[i].name);
        carta_jsonw_string(w, rel);
    }
    carta_jsonw_end_array(w);
    carta_jsonw_end_object(w);
    const char *t;
    size_t len;
    int rc = carta_jsonw_finish(w, &t, &len, err);
    if (!rc) rc = write_text(dir, "run.json", t, len, err);
    carta_jsonw_free(w);
    return rc;
}

int carta_run_command(const char *config_path, const carta_run_opts *o, carta_error *err)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    run_state s;
    memset(&s, 0, sizeof s);
    carta_config *cfg = NULL;
    carta_outdir od;
    memset(&od, 0, sizeof od);
    char config_sha[65];
    char *md = NULL, *html = NULL;
    carta_card_plot *plots = NULL;
    size_t n_plots = 0;
    int rc;
    if ((rc = carta_config_load(config_path, &cfg, err))) return rc;
    if ((rc = carta_sha256_file(config_path, config_path, config_sha, err))) {
        carta_config_free(cfg);
        return rc;
    }
    /* Refuse to overwrite before doing any work. */
    if (!o->force && carta_path_exists(cfg->output_resolved)) {
        carta_where at = { .file = cfg->output };
        rc = carta_error_set(err, CARTA_EIO, &at, "the run folder already exists (use --force to replace it)");
        carta_config_free(cfg);
        return rc;
    }
    if ((rc = run_pipeline(cfg, o, config_sha, &s, err))) goto done;
    if ((rc = carta_outdir_open(&od, cfg->output_resolved, o->force, err))) goto done;
    /* The config's folder as seen from the run folder: `carta verify` finds the data through it. */
    s.config_dir_rel = relative_path(od.tmp, cfg->base_dir && cfg->base_dir[0] ? cfg->base_dir : ".");
    if (!s.config_dir_rel) {
        rc = carta_error_set(err, CARTA_EIO, NULL, "cannot relate the config folder to the run folder");
        goto done;
    }
    if ((rc = write_text(od.tmp, "card.json", s.card, s.card_len, err)) || (rc = carta_card_markdown(s.card, &md, err)) ||
        (rc = write_text(od.tmp, "card.md", md, strlen(md), err)) || (rc = carta_card_html(s.card, &html, err)) ||
        (rc = write_text(od.tmp, "card.html", html, strlen(html), err)) || (rc = write_predictions(&s, od.tmp, err)) ||
        (rc = write_artifacts(&s, od.tmp, err)) || (rc = carta_card_plots(s.card, &plots, &n_plots, err)) ||
        (rc = carta_card_plots_write(plots, n_plots, od.tmp, err)))
        goto done;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    if ((rc = write_run_json(&s, o, od.tmp, wall, plots, n_plots, err))) goto done;
    rc = carta_outdir_commit(&od, err);
    if (!rc && o->log && !o->quiet) fprintf(o->log, "carta: wrote %s\n", cfg->output);
done:
    if (rc && od.tmp) carta_outdir_abort(&od);
    carta_free(md);
    carta_free(html);
    carta_card_plots_free(plots, n_plots);
    state_free(&s); /* frees cfg too */
    return rc;
}

int carta_run_card(const char *config_text, size_t len, const char *shown, const char *base_dir,
                   const carta_run_opts *o, const char *config_sha, char **card, carta_error *err)
{
    run_state s;
    memset(&s, 0, sizeof s);
    carta_config *cfg = NULL;
    *card = NULL;
    int rc = carta_config_parse(config_text, len, shown, base_dir, &cfg, err);
    if (rc) return rc;
    rc = run_pipeline(cfg, o, config_sha, &s, err);
    if (!rc) {
        *card = s.card;
        s.card = NULL;
    }
    state_free(&s);
    return rc;
}
