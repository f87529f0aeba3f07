/* Private to src/harmonize: the report bookkeeping shared by grading.c and units.c. */
#ifndef CARTA_HARMONIZE_INTERNAL_H
#define CARTA_HARMONIZE_INTERNAL_H

#include <carta/harmonize.h>

/* Fills report->studies from the registry (STUDYID, CRSSCALE, ICANSSCL) unless already done. */
int report_init(carta_harmonize_report *r, const carta_table *studies, carta_error *err);

/* The study entry for studyid, or NULL when the registry does not list it. */
carta_harmonize_study *report_study(carta_harmonize_report *r, const char *studyid);

/* A string column that must exist in t, or NULL with CARTA_EDATA in err. */
const carta_column *need_column(const carta_table *t, const char *name, carta_type type, carta_error *err);

#endif
