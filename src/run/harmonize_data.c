/* The harmonize stage as an experiment runs it: carta's mapping and unit tables, read from
   carta_datadir(), applied to the experiment's "adae" and "adlb" tables. */
#include <carta/run.h>
#include <carta/alloc.h>
#include <carta/fs.h>
#include <carta/load.h>
#include <carta/sha256.h>

#include <string.h>

/* Loads a CSV data table of carta's own (mapping, units) and hashes it. */
static int load_own(const char *file, carta_table **t, char sha[65], carta_error *err)
{
    char *path = carta_path_resolve(carta_datadir(), file);
    if (!path) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    carta_load_spec spec = { .path = path, .shown = file, .format = CARTA_FORMAT_CSV };
    int rc = carta_load_table(&spec, t, NULL, err);
    if (!rc) rc = carta_sha256_file(path, file, sha, err);
    carta_free(path);
    return rc;
}

int carta_dataset_harmonize(carta_dataset *d, const carta_config *c, carta_error *err)
{
    if (!c->harmonize.enabled) return CARTA_OK;
    if (c->harmonize.units != CARTA_CFG_UNITS_CONVENTIONAL)
        return carta_error_set(err, CARTA_ECONFIG, &(carta_where){ .file = c->file, .field = "/data/harmonize/units" },
                               "only \"conventional\" units are available in this version of carta (lab_units.csv)");
    carta_dataset_table *studies = carta_dataset_find(d, "studies"), *adae = carta_dataset_find(d, "adae");
    carta_dataset_table *adlb = carta_dataset_find(d, "adlb");
    if (!studies)
        return carta_error_set(err, CARTA_ECONFIG, &(carta_where){ .file = c->file, .field = "/data/harmonize" },
                               "harmonization needs the study registry as a table named \"studies\"");
    carta_table *mt = NULL, *ut = NULL, *out = NULL;
    carta_grade_map *gm = NULL;
    carta_unit_map *um = NULL;
    int rc = CARTA_OK;
    carta_bound bound = c->harmonize.mapping_bound == CARTA_CFG_BOUND_MIN ? CARTA_BOUND_MIN
                        : c->harmonize.mapping_bound == CARTA_CFG_BOUND_MAX ? CARTA_BOUND_MAX : CARTA_BOUND_POINT;
    if (adae) {
        if ((rc = load_own("crs_astct_mapping.csv", &mt, d->mapping_sha256, err)) ||
            (rc = carta_grade_map_from_table(mt, &gm, err)) ||
            (rc = carta_harmonize_grades(gm, bound, studies->table, adae->table, &out, &d->harmonization, err)))
            goto done;
        carta_table_free(adae->table);
        adae->table = out;
        out = NULL;
    }
    if (adlb) {
        if ((rc = load_own("lab_units.csv", &ut, d->units_sha256, err)) || (rc = carta_unit_map_from_table(ut, &um, err)) ||
            (rc = carta_harmonize_units(um, studies->table, adlb->table, &out, &d->harmonization, err)))
            goto done;
        carta_table_free(adlb->table);
        adlb->table = out;
        out = NULL;
    }
    d->harmonized = 1;
done:
    carta_table_free(mt);
    carta_table_free(ut);
    carta_grade_map_free(gm);
    carta_unit_map_free(um);
    return rc;
}

void carta_harmonize_report_print(const carta_harmonize_report *r, FILE *fp)
{
    static const char *const bounds[] = { "point", "min", "max" };
    fprintf(fp, "harmonization: CRS and ICANS to ASTCT with %s (bound %s); lab units to one convention\n",
            r->mapping_version ? r->mapping_version : "(no mapping used)", bounds[r->bound]);
    fprintf(fp, "  %-12s %-9s %8s %8s %8s %8s %8s %8s %10s %10s\n", "study", "scale", "CRS", "signs", "mapped", "ASTCT",
            "changed", "ICANS", "labs", "converted");
    for (size_t i = 0; i < r->n_studies; i++) {
        const carta_harmonize_study *s = &r->studies[i];
        fprintf(fp, "  %-12s %-9s %8ld %8ld %8ld %8ld %8ld %8ld %10ld %10ld\n", s->studyid, s->crs_scale, s->crs_records,
                s->from_signs, s->mapped, s->identity, s->changed, s->icans_records, s->lab_records, s->lab_converted);
    }
}
