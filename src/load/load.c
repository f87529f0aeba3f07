/* The loader dispatch: picks the reader for a file and says how its rows are numbered. */
#include <carta/load.h>
#include <carta/csv.h>
#include <carta/dsjson.h>
#include <carta/xpt.h>

#include <string.h>
#include <strings.h>

static int ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && strncasecmp(s + n - k, suffix, k) == 0;
}

carta_format carta_format_from_path(const char *path)
{
    size_t n = strlen(path);
    if (ends_with(path, n, ".gz")) n -= 3;
    if (ends_with(path, n, ".csv")) return CARTA_FORMAT_CSV;
    if (ends_with(path, n, ".xpt")) return CARTA_FORMAT_XPT;
    if (ends_with(path, n, ".sas7bdat")) return CARTA_FORMAT_SAS7BDAT;
    if (ends_with(path, n, ".json") || ends_with(path, n, ".ndjson") || ends_with(path, n, ".dsjc"))
        return CARTA_FORMAT_DSJSON;
    return CARTA_FORMAT_AUTO;
}

const char *carta_format_name(carta_format f)
{
    switch (f) {
    case CARTA_FORMAT_CSV: return "csv";
    case CARTA_FORMAT_XPT: return "xpt";
    case CARTA_FORMAT_SAS7BDAT: return "sas7bdat";
    case CARTA_FORMAT_DSJSON: return "dataset-json";
    case CARTA_FORMAT_AUTO: return "auto";
    }
    return "auto";
}

int carta_load_table(const carta_load_spec *spec, carta_table **out, long *first_data_row, carta_error *err)
{
    *out = NULL;
    const char *shown = spec->shown ? spec->shown : spec->path;
    carta_format f = spec->format == CARTA_FORMAT_AUTO ? carta_format_from_path(spec->path) : spec->format;
    if (first_data_row) *first_data_row = f == CARTA_FORMAT_CSV ? 2 : 1;
    switch (f) {
    case CARTA_FORMAT_CSV: {
        carta_csv_options o;
        carta_csv_options_default(&o);
        if (spec->sep) o.sep = spec->sep;
        o.na = spec->na;
        o.n_types = spec->n_types;
        o.type_names = spec->type_names;
        o.types = spec->types;
        o.threads = spec->threads;
        return carta_csv_read(spec->path, shown, &o, out, err);
    }
    case CARTA_FORMAT_XPT: return carta_xpt_read(spec->path, shown, out, err);
    case CARTA_FORMAT_SAS7BDAT: return carta_sas7bdat_read(spec->path, shown, out, err);
    case CARTA_FORMAT_DSJSON: return carta_dsjson_read(spec->path, shown, out, err);
    case CARTA_FORMAT_AUTO: break;
    }
    carta_where at = { .file = shown };
    return carta_error_set(err, CARTA_ECONFIG, &at,
                           "cannot tell the format from the file name (expected .csv, .xpt, .sas7bdat, .json or "
                           ".ndjson; or set \"format\")");
}
