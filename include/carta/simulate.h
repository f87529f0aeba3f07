/* carta/simulate.h: a synthetic multi-trial CAR-T cohort with a known risk model.
   The generator writes what a consortium receives from many trials (ADaM-style ADSL, ADAE,
   ADLB, ADTTE and a study registry), each trial with its own CRS grading scale, lab units and
   follow-up, plus truth.json: the model behind the data and every patient's true ASTCT grade. */
#ifndef CARTA_SIMULATE_H
#define CARTA_SIMULATE_H

#include <stdint.h>
#include <carta/error.h>

typedef struct carta_sim_options {
    int trials;       /* number of trials, >= 1 (default 21: three per product) */
    long patients;    /* patients over all trials, >= trials (default 4200) */
    uint64_t seed;    /* default 20231207 */
    int force;        /* replace an existing output folder */
    int xpt;          /* 1: write SAS XPORT v5 files (studies.xpt, adsl.xpt, ...) instead of CSV */
} carta_sim_options;

/* Fills the defaults above. */
void carta_sim_options_default(carta_sim_options *o);

/* Checks the options: CARTA_EUSAGE with a message for out-of-range values. */
int carta_sim_options_check(const carta_sim_options *o, carta_error *err);

/* Writes studies.csv, adsl.csv, adae.csv, adlb.csv, adtte.csv and truth.json into the folder
   dir, all or nothing (a temporary folder beside dir is renamed into place). Memory does not
   grow with the number of patients. With xpt the tables are converted to SAS XPORT v5 after
   they are written (each table is then held in memory once, as XPORT needs its row count). Deterministic for a given seed: each trial draws from its
   own GSL mt19937 stream seeded from (seed, trial). CARTA_EIO when dir exists and force is 0,
   or on a write failure; CARTA_ENOMEM. */
int carta_simulate(const carta_sim_options *o, const char *dir, carta_error *err);

/* Facts about the seven products the generator draws trials from (for tests and reports). */
typedef struct carta_sim_product {
    const char *name;     /* "axi-cel", "tisa-cel-LBCL", ... */
    const char *trial;    /* pivotal trial */
    const char *target, *costim, *disease;
    const char *scale;    /* CRS scale of the pivotal trial: LEE2014, PENN, ASTCT */
    int n_published;      /* patients treated in the pivotal trial */
    double crs_any, crs_ge3;  /* published as-reported CRS rates, pivotal scale */
    double onset_median;      /* published median CRS onset, days after infusion */
    double neuro_any, neuro_ge3; /* published neurotoxicity rates (the trial's own definition) */
    double dose_median;       /* typical dose, 10^6 CAR+ cells/kg (approximate) */
    double os_t[2], os_s[2];   /* OS landmarks: months and survival (t = 0: unused) */
    double pfs_t[2], pfs_s[2]; /* PFS (EFS for ALL) landmarks */
} carta_sim_product;

/* The product table (7 entries) and its length. */
const carta_sim_product *carta_sim_products(int *n);

#endif
