/* carta/harmonize.h: making trials comparable. CRS and ICANS grades are brought to ASTCT
   (regraded from the underlying signs where a trial recorded them, else mapped from the
   trial's own scale through a versioned mapping table), and lab values are converted to one
   unit convention. Every step is counted per trial for the harmonization report. */
#ifndef CARTA_HARMONIZE_H
#define CARTA_HARMONIZE_H

#include <stddef.h>
#include <carta/error.h>
#include <carta/table.h>

/* Which end of a mapped grade's ASTCT interval to use (sensitivity analysis). */
typedef enum carta_bound { CARTA_BOUND_POINT, CARTA_BOUND_MIN, CARTA_BOUND_MAX } carta_bound;

typedef struct carta_grade_map carta_grade_map;
typedef struct carta_unit_map carta_unit_map;

/* Reads the mapping table (data-schemas/crs_astct_mapping.csv, loaded as a table with columns
   VERSION, SYNDROME, SCALE, GRADE, POINT, MIN, MAX). CARTA_EDATA naming the row for a missing
   column, a grade outside 0..5, MIN > POINT or POINT > MAX, a duplicate (SYNDROME, SCALE,
   GRADE) or more than one VERSION. The result is owned by the caller. */
int  carta_grade_map_from_table(const carta_table *t, carta_grade_map **out, carta_error *err);
void carta_grade_map_free(carta_grade_map *m);
/* The table's VERSION value (borrowed). */
const char *carta_grade_map_version(const carta_grade_map *m);
/* Looks up (syndrome, scale, grade): 0 and the three values, or -1 when absent. */
int carta_grade_map_lookup(const carta_grade_map *m, const char *syndrome, const char *scale, int grade,
                           int *point, int *min, int *max);

/* Reads the unit table (data-schemas/lab_units.csv: PARAMCD, UNIT, CANONICAL, MULTIPLY,
   DIVIDE): value in CANONICAL = value in UNIT * MULTIPLY / DIVIDE. CARTA_EDATA naming the row
   for a missing column, a non-positive factor, a duplicate (PARAMCD, UNIT), or one PARAMCD
   with two canonical units. */
int  carta_unit_map_from_table(const carta_table *t, carta_unit_map **out, carta_error *err);
void carta_unit_map_free(carta_unit_map *m);

/* What was done to one trial. */
typedef struct carta_harmonize_study {
    char *studyid;
    char *crs_scale;      /* the trial's CRS scale as registered */
    char *icans_scale;
    long crs_records;     /* CRS adverse-event records */
    long from_signs;      /* regraded from temperature, vasopressors and oxygen */
    long mapped;          /* mapped through the table (the grade changed in `changed` of them) */
    long identity;        /* already ASTCT without signs */
    long changed;         /* records whose ASTCT grade differs from the reported grade */
    long icans_records;
    long lab_records;
    long lab_converted;   /* records whose unit was not the canonical one */
} carta_harmonize_study;

typedef struct carta_harmonize_report {
    char *mapping_version;
    carta_bound bound;
    size_t n_studies;
    carta_harmonize_study *studies; /* in the order of the studies table */
} carta_harmonize_report;

/* Frees the report's contents (not the struct itself); safe on a zeroed report. */
void carta_harmonize_report_clear(carta_harmonize_report *r);

/* Adds ASTCTGR (the grade used: point, min or max as `bound` says), ASTCTLO and ASTCTHI (the
   interval; equal to ASTCTGR when regraded from signs or already ASTCT) and ASTCTSRC ("SIGNS",
   "MAPPING" or "IDENTITY") to a copy of adae, for records whose AEDECOD is "Cytokine release
   syndrome" or "Immune effector cell-associated neurotoxicity syndrome" (case-insensitive);
   other records get missing values. studies is the registry (STUDYID, CRSSCALE, ICANSSCL).
   Signs are used when the record has CRSTMAX (numeric, deg C) with VASONUM, HYPOTFL and
   O2DEV (and optionally O2FLOW, CRSDTHFL); the component rule is in README "Harmonization".
   Counts are added to report (whose studies are set up from the registry on first use).
   CARTA_EDATA naming the study and record for an unregistered study, a scale or grade the
   table does not map, or a missing column; CARTA_ENOMEM. */
int carta_harmonize_grades(const carta_grade_map *map, carta_bound bound, const carta_table *studies,
                           const carta_table *adae, carta_table **out, carta_harmonize_report *report,
                           carta_error *err);

/* Converts the lab table to canonical units: a copy of adlb where AVAL (and BASE when present)
   are in the unit the table names canonical for each PARAMCD, AVALU holds that unit, and the
   values as recorded are kept in AVALORIG and AVALUORIG. The unit comes from AVALU (or
   LBSTRESU). A parameter absent from the unit table is copied unchanged; a record whose unit
   the table does not know for its parameter is CARTA_EDATA naming the study, the parameter
   and the unit. */
int carta_harmonize_units(const carta_unit_map *map, const carta_table *studies, const carta_table *adlb,
                          carta_table **out, carta_harmonize_report *report, carta_error *err);

#endif
