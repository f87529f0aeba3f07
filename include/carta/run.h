/* carta/run.h: the commands that run the pipeline stage by stage. run/ is the one module that
   calls every stage; main.c only parses argv and calls these. */
#ifndef CARTA_RUN_H
#define CARTA_RUN_H

#include <stdio.h>
#include <carta/config.h>
#include <carta/error.h>
#include <carta/harmonize.h>
#include <carta/schema.h>
#include <carta/table.h>
#include <carta/validate.h>

/* Options every command shares. */
typedef struct carta_run_opts {
    int force;        /* replace existing results */
    int threads;      /* 0 = one per core */
    int quiet;        /* no log lines */
    int progress;     /* per-step progress (folds, replicates): only when stderr is a terminal */
    FILE *log;        /* log lines and progress (stderr); NULL = none */
} carta_run_opts;

/* One loaded input table. */
typedef struct carta_dataset_table {
    const carta_cfg_table *cfg;   /* borrowed from the config */
    carta_table *table;
    carta_schema *schema;         /* NULL when the config names none */
    long first_data_row;          /* 2 for CSV, 1 otherwise (carta/load.h) */
    char sha256[65];              /* of the file's bytes */
    size_t n_rows, n_cols;        /* set when table was handed to the cohort (table NULL then) */
} carta_dataset_table;

typedef struct carta_dataset {
    carta_dataset_table *tables;  /* in config order */
    size_t n;
    int harmonized;
    carta_harmonize_report harmonization;
    char mapping_sha256[65];      /* of the CRS mapping table used, "" when none */
    char units_sha256[65];
} carta_dataset;

/* Loads every table the config names (with its schema's declared types for CSV) and hashes its
   file. Errors are the loaders' and schema reader's. *out: carta_dataset_free. */
int carta_dataset_load(const carta_config *c, const carta_run_opts *o, carta_dataset **out, carta_error *err);
void carta_dataset_free(carta_dataset *d);

/* The table named name, or NULL. */
carta_dataset_table *carta_dataset_find(const carta_dataset *d, const char *name);

/* Validates every table that has a schema, and the foreign keys between them, into v. */
int carta_dataset_validate(const carta_dataset *d, size_t max_examples, carta_validation *v, carta_error *err);

/* The folder of carta's data tables (CRS mapping, lab units): $CARTA_DATADIR, else the
   data-schemas folder of the source tree carta was built from. */
const char *carta_datadir(void);

/* When the config has data.harmonize: regrades the table named "adae" and converts the units
   of "adlb", using the registry "studies" and carta's mapping and unit tables; the harmonized
   tables replace the originals. A no-op without data.harmonize. */
int carta_dataset_harmonize(carta_dataset *d, const carta_config *c, carta_error *err);

/* Writes the harmonization report (per trial: what was regraded, mapped and converted). */
void carta_harmonize_report_print(const carta_harmonize_report *r, FILE *fp);

/* `carta validate CONFIG`: loads and validates every table, harmonizes when asked, and prints
   the report to out. CARTA_ECHECK when any table is invalid (exit 1). */
int carta_validate_command(const char *config_path, const carta_run_opts *o, FILE *out, carta_error *err);

/* `carta run CONFIG`: the whole pipeline; writes the run folder named by the config's output
   (card.json, card.md, run.json, predictions.csv, design.json, saved models), all or nothing.
   CARTA_EIO when the folder exists and o->force is 0 (checked before any work). */
int carta_run_command(const char *config_path, const carta_run_opts *o, carta_error *err);

/* Runs the pipeline of a config given as text (as a card pins it) without writing anything, and
   returns the card.json text it produces (*card: carta_free). base_dir is where the config's
   relative paths start. */
int carta_run_card(const char *config_text, size_t len, const char *shown, const char *base_dir,
                   const carta_run_opts *o, const char *config_sha, char **card, carta_error *err);

/* `carta describe CONFIG`: the cohort flow and a Table 1 of the analysis dataset's features
   (overall, or by the text column `by`), as text or (json = 1) as JSON, to out. */
int carta_describe_command(const char *config_path, const char *by, int json, const carta_run_opts *o, FILE *out,
                           carta_error *err);

/* `carta verify CARD`: checks every data file's hash, re-runs the pinned config and compares
   every result with the card: exact for text and counts, within rel_tol for numbers. Writes each
   difference to out as one line of JSON ({"pointer", "old", "new"}). CARTA_ECHECK on any drift. */
int carta_verify_command(const char *card_path, double rel_tol, const carta_run_opts *o, FILE *out, carta_error *err);

#endif
