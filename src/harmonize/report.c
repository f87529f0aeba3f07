/* The harmonization report: one entry per registered trial, in registry order. */
#include "internal.h"

#include <carta/alloc.h>

#include <string.h>

const carta_column *need_column(const carta_table *t, const char *name, carta_type type, carta_error *err)
{
    carta_where at = { .file = carta_table_source(t), .field = name };
    const carta_column *c = carta_table_find(t, name);
    if (!c) {
        carta_error_set(err, CARTA_EDATA, &at, "required column is missing");
        return NULL;
    }
    if (type == CARTA_STR && c->type != CARTA_STR) {
        carta_error_set(err, CARTA_EDATA, &at, "expected text values, found %s", carta_type_name(c->type));
        return NULL;
    }
    if (type != CARTA_STR && c->type == CARTA_STR) {
        carta_error_set(err, CARTA_EDATA, &at, "expected numbers, found text");
        return NULL;
    }
    return c;
}

void carta_harmonize_report_clear(carta_harmonize_report *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->n_studies; i++) {
        carta_free(r->studies[i].studyid);
        carta_free(r->studies[i].crs_scale);
        carta_free(r->studies[i].icans_scale);
    }
    carta_free(r->studies);
    carta_free(r->mapping_version);
    memset(r, 0, sizeof *r);
}

int report_init(carta_harmonize_report *r, const carta_table *studies, carta_error *err)
{
    if (r->studies) return CARTA_OK;
    const carta_column *id = need_column(studies, "STUDYID", CARTA_STR, err);
    const carta_column *crs = id ? need_column(studies, "CRSSCALE", CARTA_STR, err) : NULL;
    if (!id || !crs) return CARTA_EDATA;
    const carta_column *icans = carta_table_find(studies, "ICANSSCL");
    size_t n = carta_table_nrows(studies);
    r->studies = carta_calloc(n ? n : 1, sizeof *r->studies);
    if (!r->studies) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory for the harmonization report");
    for (size_t i = 0; i < n; i++) {
        carta_harmonize_study *s = &r->studies[i];
        const char *sid = carta_column_str(id, i), *sc = carta_column_str(crs, i);
        const char *ic = icans && icans->type == CARTA_STR ? carta_column_str(icans, i) : NULL;
        carta_where at = { .file = carta_table_source(studies), .field = sid ? "CRSSCALE" : "STUDYID" };
        if (!sid || !sc) {
            r->n_studies = i;
            return carta_error_set(err, CARTA_EDATA, &at, "study %zu of the registry has no value", i + 1);
        }
        s->studyid = carta_strdup(sid);
        s->crs_scale = carta_strdup(sc);
        s->icans_scale = carta_strdup(ic ? ic : "ASTCT");
        r->n_studies = i + 1;
        if (!s->studyid || !s->crs_scale || !s->icans_scale)
            return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory for the harmonization report");
        for (size_t j = 0; j < i; j++)
            if (strcmp(r->studies[j].studyid, sid) == 0) {
                carta_where w = { .file = carta_table_source(studies), .field = "STUDYID" };
                return carta_error_set(err, CARTA_EDATA, &w, "study %s is registered twice", sid);
            }
    }
    return CARTA_OK;
}

carta_harmonize_study *report_study(carta_harmonize_report *r, const char *studyid)
{
    /* Called once per distinct STUDYID of a table (its dictionary), never per record. */
    for (size_t i = 0; i < r->n_studies; i++)
        if (strcmp(r->studies[i].studyid, studyid) == 0) return &r->studies[i];
    return NULL;
}
