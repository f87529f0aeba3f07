/* The data set of one experiment: every table the config names, loaded, hashed, validated and
   (when asked) harmonized. */
#include <carta/run.h>
#include <carta/alloc.h>
#include <carta/fs.h>
#include <carta/load.h>
#include <carta/sha256.h>

#include <stdlib.h>
#include <string.h>

#ifndef CARTA_DATADIR
#define CARTA_DATADIR "data-schemas"
#endif

const char *carta_datadir(void)
{
    const char *env = getenv("CARTA_DATADIR");
    return env && env[0] ? env : CARTA_DATADIR;
}

static carta_format load_format(carta_cfg_format f)
{
    switch (f) {
    case CARTA_CFG_FORMAT_CSV: return CARTA_FORMAT_CSV;
    case CARTA_CFG_FORMAT_XPT: return CARTA_FORMAT_XPT;
    case CARTA_CFG_FORMAT_SAS7BDAT: return CARTA_FORMAT_SAS7BDAT;
    case CARTA_CFG_FORMAT_JSON:
    case CARTA_CFG_FORMAT_NDJSON: return CARTA_FORMAT_DSJSON;
    case CARTA_CFG_FORMAT_AUTO: return CARTA_FORMAT_AUTO;
    }
    return CARTA_FORMAT_AUTO;
}

/* The declared types handed to the CSV reader: only strings, so that text such as "00123" stays
   text. Numbers and dates are inferred: a value that does not parse leaves its column as text,
   and validation then lists every offending value (a declared type would stop the reader at the
   first one). */
static int declared_type(carta_schema_kind k, carta_type *t)
{
    switch (k) {
    case CARTA_SCHEMA_STRING: *t = CARTA_STR; return 1;
    case CARTA_SCHEMA_DATE:
    case CARTA_SCHEMA_NUMBER:
    case CARTA_SCHEMA_INTEGER:
    case CARTA_SCHEMA_BOOLEAN:
    case CARTA_SCHEMA_DATETIME:
    case CARTA_SCHEMA_ANY: return 0;
    }
    return 0;
}

static int load_one(const carta_cfg_table *ct, const carta_run_opts *o, carta_dataset_table *dt, carta_error *err)
{
    int rc;
    dt->cfg = ct;
    if (ct->schema_resolved && (rc = carta_schema_read(ct->schema_resolved, ct->schema, &dt->schema, err))) return rc;
    size_t nf = dt->schema ? carta_schema_nfields(dt->schema) : 0, k = 0;
    const char **names = carta_calloc(nf ? nf : 1, sizeof *names);
    carta_type *types = carta_calloc(nf ? nf : 1, sizeof *types);
    const char **na = carta_calloc(ct->na.n + 1, sizeof *na);
    if (!names || !types || !na) {
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
        goto done;
    }
    for (size_t i = 0; i < nf; i++)
        if (declared_type(carta_schema_field_kind(dt->schema, i), &types[k])) names[k++] = carta_schema_field_name(dt->schema, i);
    for (size_t i = 0; i < ct->na.n; i++) na[i] = ct->na.v[i];
    carta_load_spec spec = { .path = ct->path_resolved, .shown = ct->path, .format = load_format(ct->format),
                             .sep = ct->sep, .na = ct->na.n ? na : NULL, .n_types = k, .type_names = names,
                             .types = types, .threads = o ? o->threads : 0 };
    if ((rc = carta_load_table(&spec, &dt->table, &dt->first_data_row, err))) goto done;
    rc = carta_sha256_file(ct->path_resolved, ct->path, dt->sha256, err);
done:
    carta_free(names);
    carta_free(types);
    carta_free(na);
    return rc;
}

int carta_dataset_load(const carta_config *c, const carta_run_opts *o, carta_dataset **out, carta_error *err)
{
    *out = NULL;
    carta_dataset *d = carta_calloc(1, sizeof *d);
    if (!d || !(d->tables = carta_calloc(c->n_tables ? c->n_tables : 1, sizeof *d->tables))) {
        carta_free(d);
        return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    }
    for (size_t i = 0; i < c->n_tables; i++) {
        if (o && o->log && !o->quiet) fprintf(o->log, "carta: loading %s (%s)\n", c->tables[i].name, c->tables[i].path);
        int rc = load_one(&c->tables[i], o, &d->tables[i], err);
        d->n = i + 1;
        if (rc) {
            carta_error_prefix(err, "table %s: ", c->tables[i].name);
            carta_dataset_free(d);
            return rc;
        }
    }
    *out = d;
    return CARTA_OK;
}

void carta_dataset_free(carta_dataset *d)
{
    if (!d) return;
    for (size_t i = 0; i < d->n; i++) {
        carta_table_free(d->tables[i].table);
        carta_schema_free(d->tables[i].schema);
    }
    carta_free(d->tables);
    carta_harmonize_report_clear(&d->harmonization);
    carta_free(d);
}

carta_dataset_table *carta_dataset_find(const carta_dataset *d, const char *name)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->tables[i].cfg->name, name) == 0) return &d->tables[i];
    return NULL;
}

int carta_dataset_validate(const carta_dataset *d, size_t max_examples, carta_validation *v, carta_error *err)
{
    carta_vinput *in = carta_calloc(d->n ? d->n : 1, sizeof *in);
    if (!in) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    int rc = CARTA_OK;
    size_t k = 0;
    for (size_t i = 0; i < d->n && !rc; i++) {
        const carta_dataset_table *t = &d->tables[i];
        in[k++] = (carta_vinput){ t->cfg->name, t->table, t->schema, t->first_data_row };
        if (t->schema) rc = carta_validate_table(t->table, t->cfg->name, t->schema, t->first_data_row, max_examples, v, err);
    }
    if (!rc) rc = carta_validate_foreign_keys(in, k, max_examples, v, err);
    carta_free(in);
    return rc;
}
