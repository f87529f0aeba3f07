/* `carta validate CONFIG`: load, validate and harmonize the data, fit nothing. */
#include <carta/run.h>

int carta_validate_command(const char *config_path, const carta_run_opts *o, FILE *out, carta_error *err)
{
    carta_config *c = NULL;
    carta_dataset *d = NULL;
    carta_validation *v = NULL;
    int rc;
    if ((rc = carta_config_load(config_path, &c, err)) || (rc = carta_dataset_load(c, o, &d, err))) goto done;
    if (!(v = carta_validation_new())) {
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
        goto done;
    }
    if ((rc = carta_dataset_validate(d, 5, v, err))) goto done;
    carta_validation_format(v, out);
    for (size_t i = 0; i < d->n; i++)
        if (!d->tables[i].schema)
            fprintf(out, "note: table %s (%s) has no schema: loaded %zu rows and %zu columns, nothing checked\n",
                    d->tables[i].cfg->name, d->tables[i].cfg->path, carta_table_nrows(d->tables[i].table),
                    carta_table_ncols(d->tables[i].table));
    /* Invalid data is reported and stops here; harmonization needs valid tables. */
    if ((rc = carta_validation_status(v, err))) goto done;
    if (c->harmonize.enabled) {
        if ((rc = carta_dataset_harmonize(d, c, err))) goto done;
        carta_harmonize_report_print(&d->harmonization, out);
    }
done:
    carta_validation_free(v);
    carta_dataset_free(d);
    carta_config_free(c);
    return rc;
}
