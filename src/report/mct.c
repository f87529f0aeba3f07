/* The model card in Google's model-card-toolkit (MCT) layout, schema v0.0.2
 * (tensorflow/model-card-toolkit, model_card_toolkit/schema/v0.0.2/model_card.schema.json), for
 * tools that read that format. The schema has additionalProperties: false everywhere, so only
 * the subset below is written, mapped from carta's card as /work/shared/domain/model-cards.md
 * section 5 sets out:
 *   model_details            <- model_details (name, overview; version.name = generated_by;
 *                               references[{reference}])
 *   model_parameters         <- models[].spec (model_architecture, one line per model),
 *                               data.files (data[{name, link, description}]), outcome (output_format),
 *                               predictors (input_format)
 *   quantitative_analysis.performance_metrics <- performance.metrics: type = "<model>: <metric>",
 *                               value, slice, confidence_interval {lower_bound, upper_bound}
 *   considerations           <- considerations (limitations, tradeoffs, caveats as ethical
 *                               considerations) and intended_use (use_cases, users, out_of_scope
 *                               as limitations)
 *   quantitative_analysis.graphics <- the plots of card.html (carta_card_plots): collection
 *                               [{name: the plot's file name, image: the standalone SVG document,
 *                               base64 (RFC 4648, with padding)}], when the text is a carta card
 * The toolkit's proto declares value and the bounds as strings, so numbers are written as the
 * shortest text that reads back to the same double.
 * The schema's graphic.image is a base64 string annotated with contentMediaType "image/png";
 * JSON Schema (draft 7) does not assert content annotations, so SVG validates, but the
 * toolkit's own HTML template shows each image as data:image/jpeg, which browsers do not
 * display for SVG. carta writes SVG (it has no rasterizer); the name ends in .svg so that a
 * reader can tell. */
#include <carta/alloc.h>
#include <carta/export.h>
#include <carta/fs.h>
#include <carta/jsonw.h>
#include <carta/numfmt.h>
#include <carta/report.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = get(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Standard base64 (RFC 4648 section 4, with '=' padding) of n bytes; NULL when out of memory. */
static char *base64(const unsigned char *in, size_t n)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = carta_malloc(4 * ((n + 2) / 3) + 1), *o = out;
    if (!out) return NULL;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0u) | (i + 2 < n ? in[i + 2] : 0u);
        *o++ = al[v >> 18 & 63];
        *o++ = al[v >> 12 & 63];
        *o++ = i + 1 < n ? al[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? al[v & 63] : '=';
    }
    *o = '\0';
    return out;
}

static void num_string(carta_jsonw *w, const char *key, const cJSON *v)
{
    char buf[40];
    if (!cJSON_IsNumber(v)) return;
    carta_jsonw_kstring(w, key, carta_numfmt(v->valuedouble, buf, sizeof buf));
}

/* [{key: s}] from a string or an array of strings. */
static void described(carta_jsonw *w, const char *name, const char *key, const cJSON *a, const cJSON *b)
{
    carta_jsonw_key(w, name);
    carta_jsonw_begin_array(w);
    const cJSON *src[2] = { a, b };
    for (int k = 0; k < 2; k++) {
        const cJSON *e;
        if (cJSON_IsString(src[k]) && src[k]->valuestring[0]) {
            carta_jsonw_begin_object(w);
            carta_jsonw_kstring(w, key, src[k]->valuestring);
            carta_jsonw_end_object(w);
        } else if (cJSON_IsArray(src[k])) {
            cJSON_ArrayForEach(e, src[k]) {
                if (!cJSON_IsString(e)) continue;
                carta_jsonw_begin_object(w);
                carta_jsonw_kstring(w, key, e->valuestring);
                carta_jsonw_end_object(w);
            }
        }
    }
    carta_jsonw_end_array(w);
}

int carta_mct_json(const char *card_json, char **out, carta_error *err)
{
    *out = NULL;
    cJSON *c = card_json ? cJSON_Parse(card_json) : NULL;
    if (!cJSON_IsObject(c)) {
        cJSON_Delete(c);
        return carta_error_set(err, CARTA_EDATA, NULL, "card.json: not a JSON object");
    }
    /* The plots, when the text is a carta card (other JSON objects export without graphics). */
    carta_card_plot *plots = NULL;
    size_t n_plots = 0;
    carta_error perr;
    carta_error_clear(&perr);
    int prc = carta_card_plots(card_json, &plots, &n_plots, &perr);
    if (prc == CARTA_ENOMEM) {
        cJSON_Delete(c);
        return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    }
    carta_jsonw *w = carta_jsonw_new(2);
    if (!w) {
        cJSON_Delete(c);
        carta_card_plots_free(plots, n_plots);
        return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    }
    const cJSON *md = get(c, "model_details"), *iu = get(c, "intended_use"), *co = get(c, "considerations");
    carta_jsonw_begin_object(w);
    carta_jsonw_kstring(w, "schema_version", "0.0.2");

    carta_jsonw_key(w, "model_details");
    carta_jsonw_begin_object(w);
    carta_jsonw_kstring(w, "name", str(md, "name") ? str(md, "name") : "");
    if (str(md, "overview")) carta_jsonw_kstring(w, "overview", str(md, "overview"));
    if (str(md, "generated_by")) {
        carta_jsonw_key(w, "version");
        carta_jsonw_begin_object(w);
        carta_jsonw_kstring(w, "name", str(md, "generated_by"));
        carta_jsonw_end_object(w);
    }
    described(w, "references", "reference", get(md, "references"), NULL);
    carta_jsonw_end_object(w);

    /* model_parameters */
    carta_jsonw_key(w, "model_parameters");
    carta_jsonw_begin_object(w);
    {
        char *arch = NULL;
        size_t alen = 0;
        FILE *fp = open_memstream(&arch, &alen);
        const cJSON *m;
        int first = 1;
        cJSON_ArrayForEach(m, get(c, "models")) {
            char *spec = cJSON_PrintUnformatted(get(m, "spec"));
            if (fp) fprintf(fp, "%s%s (%s): %s", first ? "" : "\n", str(m, "name") ? str(m, "name") : "?",
                            str(m, "type") ? str(m, "type") : "?", spec ? spec : "{}");
            cJSON_free(spec);
            first = 0;
        }
        if (fp) fclose(fp);
        carta_jsonw_kstring(w, "model_architecture", arch ? arch : "");
        free(arch);
    }
    carta_jsonw_key(w, "data");
    carta_jsonw_begin_array(w);
    const cJSON *f;
    cJSON_ArrayForEach(f, get(get(c, "data"), "files")) {
        char desc[512];
        const cJSON *rows = get(f, "rows"), *cols = get(f, "cols");
        snprintf(desc, sizeof desc, "%s table, %.0f rows x %.0f columns, sha256 %s",
                 str(f, "format") ? str(f, "format") : "?", cJSON_IsNumber(rows) ? rows->valuedouble : 0.0,
                 cJSON_IsNumber(cols) ? cols->valuedouble : 0.0, str(f, "sha256") ? str(f, "sha256") : "?");
        carta_jsonw_begin_object(w);
        carta_jsonw_kstring(w, "name", str(f, "table") ? str(f, "table") : "");
        if (str(f, "path")) carta_jsonw_kstring(w, "link", str(f, "path"));
        carta_jsonw_kstring(w, "description", desc);
        carta_jsonw_end_object(w);
    }
    carta_jsonw_end_array(w);
    {
        /* input_format: the predictors' names; output_format: the outcome definition. */
        char *in = NULL;
        size_t ilen = 0;
        FILE *fp = open_memstream(&in, &ilen);
        const cJSON *p, *preds = get(c, "predictors");
        int first = 1;
        if (cJSON_IsArray(preds) && fp) {
            fputs("one row per patient with the columns ", fp);
            cJSON_ArrayForEach(p, preds) {
                const char *nm = cJSON_IsString(p) ? p->valuestring : str(p, "name");
                if (!nm) continue;
                fprintf(fp, "%s%s", first ? "" : ", ", nm);
                first = 0;
            }
        }
        if (fp) fclose(fp);
        if (in && in[0] && !first) carta_jsonw_kstring(w, "input_format", in);
        free(in);
        const cJSON *oc = get(c, "outcome");
        if (str(oc, "definition")) {
            char buf[1024];
            snprintf(buf, sizeof buf, "%s outcome: %s", str(oc, "type") ? str(oc, "type") : "", str(oc, "definition"));
            carta_jsonw_kstring(w, "output_format", buf);
        }
    }
    carta_jsonw_end_object(w);

    carta_jsonw_key(w, "quantitative_analysis");
    carta_jsonw_begin_object(w);
    carta_jsonw_key(w, "performance_metrics");
    carta_jsonw_begin_array(w);
    const cJSON *m;
    cJSON_ArrayForEach(m, get(get(c, "performance"), "metrics")) {
        char type[256];
        snprintf(type, sizeof type, "%s: %s", str(m, "model") ? str(m, "model") : "?", str(m, "name") ? str(m, "name") : "?");
        carta_jsonw_begin_object(w);
        carta_jsonw_kstring(w, "type", type);
        num_string(w, "value", get(m, "value"));
        if (str(m, "slice")) carta_jsonw_kstring(w, "slice", str(m, "slice"));
        if (cJSON_IsNumber(get(m, "lower")) && cJSON_IsNumber(get(m, "upper"))) {
            carta_jsonw_key(w, "confidence_interval");
            carta_jsonw_begin_object(w);
            num_string(w, "lower_bound", get(m, "lower"));
            num_string(w, "upper_bound", get(m, "upper"));
            carta_jsonw_end_object(w);
        }
        carta_jsonw_end_object(w);
    }
    carta_jsonw_end_array(w);
    int oom = 0;
    if (n_plots) {
        carta_jsonw_key(w, "graphics");
        carta_jsonw_begin_object(w);
        carta_jsonw_kstring(w, "description", "The plots of the carta model card (card.html), each a standalone SVG document, base64-encoded.");
        carta_jsonw_key(w, "collection");
        carta_jsonw_begin_array(w);
        for (size_t i = 0; i < n_plots; i++) {
            char *b64 = base64((const unsigned char *)plots[i].svg, strlen(plots[i].svg));
            oom |= !b64;
            carta_jsonw_begin_object(w);
            carta_jsonw_kstring(w, "name", plots[i].name);
            carta_jsonw_kstring(w, "image", b64 ? b64 : "");
            carta_jsonw_end_object(w);
            carta_free(b64);
        }
        carta_jsonw_end_array(w);
        carta_jsonw_end_object(w);
    }
    carta_card_plots_free(plots, n_plots);
    carta_jsonw_end_object(w);

    carta_jsonw_key(w, "considerations");
    carta_jsonw_begin_object(w);
    described(w, "users", "description", get(iu, "primary_users"), NULL);
    described(w, "use_cases", "description", get(iu, "primary_uses"), NULL);
    described(w, "limitations", "description", get(co, "limitations"), get(iu, "out_of_scope"));
    described(w, "tradeoffs", "description", get(co, "tradeoffs"), NULL);
    described(w, "ethical_considerations", "name", get(co, "caveats"), NULL);
    carta_jsonw_end_object(w);
    carta_jsonw_end_object(w);

    cJSON_Delete(c);
    const char *text;
    size_t len;
    int rc = oom ? carta_error_set(err, CARTA_ENOMEM, NULL, "no memory") : carta_jsonw_finish(w, &text, &len, err);
    if (!rc) {
        *out = carta_jsonw_take(w);
        if (!*out) rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    }
    carta_jsonw_free(w);
    return rc;
}

int carta_mct_command(const char *model_dir, const char *out_path, int force, carta_error *err)
{
    char *path = carta_path_resolve(model_dir, "card.json"), *card = NULL, *mct = NULL;
    size_t len;
    if (!path) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    int rc = carta_file_read(path, path, &card, &len, err);
    if (!rc) rc = carta_mct_json(card, &mct, err);
    if (!rc) {
        if (!out_path || !strcmp(out_path, "-")) {
            if (fputs(mct, stdout) == EOF)
                rc = carta_error_set(err, CARTA_EIO, NULL, "cannot write to standard output");
        } else {
            rc = carta_file_write(out_path, mct, strlen(mct), force, err);
        }
    }
    carta_free(mct);
    carta_free(card);
    carta_free(path);
    return rc;
}
