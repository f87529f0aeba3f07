/* carta/export.h: what carta makes from a finished run folder (written by `carta run`):
   predictions for new patients, a Jupyter notebook, and the model card in the
   model-card-toolkit JSON layout. */
#ifndef CARTA_EXPORT_H
#define CARTA_EXPORT_H

#include <stddef.h>
#include <stdio.h>
#include <carta/error.h>

struct carta_run_opts; /* carta/run.h; declared here so that report/ need not include run.h */

/* ---- carta predict (src/run/predict.c) ---------------------------------------------------------- */

/* Scores the patients of data_path (any format carta_load_table reads; one row per patient with
   the design's feature columns) with the run folder model_dir: applies model_dir/design.json and
   the model named `model` (NULL = the first predictive model of card.json), and writes CSV to fp:
       STUDYID, USUBJID (each only when the data has it), row (1-based input row), prediction,
       [lp, surv_<t>...,] note
   logistic: prediction = probability, from card.json's coefficients (shortest round-trip text).
   cox: prediction = lp = x'b (uncentred, R's reference = "zero"; centred on the card's
     result.means when the card has them), surv_<t> = exp(-H0(t) exp(x'b)) from result.basehaz
     (uncentred baseline, step function) at times[0..n_times) or, when n_times is 0, at 25%, 50%
     and 75% of the last baseline-hazard time; unstratified models only.
   xgboost: prediction = probability (binary:logistic) or hazard ratio (survival:cox, with lp =
     the margin), through carta_gbm_load_json on model_dir/<model>.xgboost.json.
   Rows the design drops (complete case) are written with empty prediction columns and a note
   naming the missing features. Errors: CARTA_EIO (missing files), CARTA_EDATA (a missing column,
   an unknown level: named; a card without the model or with terms that differ from the design),
   CARTA_EUSAGE (model not found or not predictive), CARTA_EDEP, CARTA_ENOMEM. Nothing is written
   to fp on error. */
int carta_predict_write(const char *model_dir, const char *data_path, const char *model, const double *times,
                        size_t n_times, FILE *fp, carta_error *err);

/* `carta predict MODEL_DIR DATA [--model NAME] [--out FILE]`: carta_predict_write into out_path
   (NULL or "-" = stdout) written all or nothing; an existing out_path is CARTA_EIO without force.
   times/n_times: the S(t) times of a Cox model (e.g. from a repeated --time option; NULL/0 = the
   default). o may be NULL (no log). */
int carta_predict_command(const char *model_dir, const char *data_path, const char *model, const double *times,
                          size_t n_times, const char *out_path, int force, const struct carta_run_opts *o,
                          carta_error *err);

/* ---- carta export-notebook (src/report/notebook.c) ---------------------------------------------- */

/* The notebook (nbformat 4.4 JSON, deterministic bytes) of the run folder whose card.json text is
   card_json and card.md text is card_md (may be NULL: sections then come from card.json only).
   run_rel is the run folder's path relative to the notebook's folder, as the code cells open it.
   *out: NUL-terminated, carta_free. CARTA_EDATA for a card that is not JSON, CARTA_ENOMEM. */
int carta_notebook_json(const char *card_json, const char *card_md, const char *run_rel, char **out,
                        carta_error *err);

/* `carta export-notebook MODEL_DIR [--out FILE]`: writes the notebook to out_path (NULL =
   notebooks-export/<card name>.ipynb; missing folders are created), all or nothing, refusing to
   replace an existing file without force. CARTA_EIO, CARTA_EDATA, CARTA_ENOMEM. */
int carta_notebook_command(const char *model_dir, const char *out_path, int force, carta_error *err);

/* ---- model-card-toolkit export (src/report/mct.c) ----------------------------------------------- */

/* The card (card.json text) in the model-card-toolkit v0.0.2 layout: schema_version,
   model_details {name, overview, version{name}, references[{reference}]}, model_parameters
   {model_architecture, data[{name, link, description}], input_format, output_format},
   quantitative_analysis.performance_metrics[{type, value, slice, confidence_interval
   {lower_bound, upper_bound}}] (numbers as shortest round-trip text, as the toolkit's proto has
   strings), considerations {users, use_cases, limitations, tradeoffs, ethical_considerations}.
   No key outside the toolkit's schema. *out: carta_free. CARTA_EDATA, CARTA_ENOMEM. */
int carta_mct_json(const char *card_json, char **out, carta_error *err);

/* `carta export-mct MODEL_DIR [--out FILE]` (suggested): carta_mct_json of MODEL_DIR/card.json
   into out_path (NULL or "-" = stdout; a file is written all or nothing). */
int carta_mct_command(const char *model_dir, const char *out_path, int force, carta_error *err);

#endif
