/* Private to src/run: the analysis dataset of a run and the models fitted on it. */
#ifndef CARTA_RUN_INTERNAL_H
#define CARTA_RUN_INTERNAL_H

#include <carta/run.h>
#include <carta/cohort.h>
#include <carta/design.h>
#include <carta/evaluate.h>
#include <carta/glmnet.h>
#include <carta/report.h>

/* The analysis dataset: the cohort's table (one row per subject) and the design fitted on all
   of it. */
typedef struct analysis {
    carta_cohort *cohort;
    const carta_table *table;        /* owned by the cohort */
    char *binary_event;              /* the binary outcome as a condition over the table, or NULL */
    char *outcome_definition;        /* a sentence for the card */
    carta_feature_spec *features;    /* design spec built from the config (names borrowed) */
    carta_interaction_spec *interactions;
    carta_design_spec dspec;
    carta_design *design;            /* NULL without features */
    carta_design_matrix *dm;         /* the design applied to the whole table */
    carta_design_check_result *check;/* constant and collinear columns of dm, by name */
} analysis;

/* config + data -> cohort, analysis table and design. */
int analysis_build(const carta_config *c, const carta_dataset *d, analysis *a, carta_error *err);
void analysis_free(analysis *a);

/* The outcome a model needs (its `by`, `strata`, weights and cluster) over the analysis table's
   rows. */
int outcome_for_model(const carta_config *c, const analysis *a, const carta_cfg_model *m, const carta_table *t,
                      carta_outcome **out, carta_error *err);

/* A fitted model with what the card and the run folder need. */
typedef struct fitted_model {
    const carta_cfg_model *cfg;
    char *spec_json;
    carta_cox_result *cox;
    carta_logistic_result *logistic;
    carta_glmnet_path *glmnet;
    carta_gbm_model *gbm;
    char *result_json;               /* km, logrank, cif results already written as JSON */
    char *curves_csv;                /* km, cif: the curve tables as CSV text (one row per time) */
    carta_card_metric *metrics;
    size_t n_metrics;
    char *curves_json;               /* ROC and calibration curves of the out-of-fold predictions */
    char **metric_text;              /* owned strings the metrics point to */
    size_t n_metric_text;
    /* Out-of-fold and full-data predictions, per analysis-table row (NaN where none). */
    double *oof, *full;
    char **oof_split;                /* label of the split that predicted each row (borrowed) */
    carta_splits *splits;
} fitted_model;

/* Kaplan-Meier, log-rank and cumulative incidence: fitted on the whole cohort, written as JSON. */
int fit_descriptive(const carta_config *c, const analysis *a, const carta_cfg_model *m, fitted_model *f,
                    carta_error *err);

/* Cutting values out of canonical compact JSON text without re-printing them (re-printing through
   cJSON would lose digits): the top-level member `key` of an object, and item `index` of an
   array. Newly allocated (carta_free), or NULL when absent or out of memory. */
char *json_member_text(const char *json, const char *key);
char *json_item_text(const char *array_json, size_t index);

/* The fairness attributes present in the analysis table (SEX, PRODUCT, AGE as < 65 / >= 65);
   out has room for 8. */
size_t fairness_attributes(const carta_table *t, const char **out);

int fit_model(const carta_config *c, const analysis *a, const carta_cfg_model *m, const carta_run_opts *o,
              fitted_model *f, carta_error *err);
void fitted_model_clear(fitted_model *f);

#endif
