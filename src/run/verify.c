/* `carta verify CARD`: re-run the experiment a card pins and report every difference.
 *
 * The card holds the resolved config (reproducibility.config.resolved) and, in run.json beside
 * it, the config's folder relative to the run folder, so the data are found without any absolute
 * path. Every data file's SHA-256 is checked first: changed data is drift before any refit. Then
 * the pipeline runs again in memory and the two cards are compared value by value: text, booleans
 * and counts exactly; numbers within rel_tol (relative; absolute when the old value is 0). The
 * reproducibility block (library versions, build) and card_sha256 are not results and are not
 * compared. */
#include "internal.h"

#include <carta/alloc.h>
#include <carta/fs.h>
#include <carta/jsonw.h>
#include <carta/numfmt.h>
#include <carta/sha256.h>

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

typedef struct diff {
    FILE *out;
    double tol;
    size_t n;
} diff;

static void print_value(FILE *fp, const cJSON *v)
{
    if (!v) {
        fputs("(absent)", fp);
        return;
    }
    if (cJSON_IsNumber(v)) {
        char buf[40];
        fputs(carta_numfmt(v->valuedouble, buf, sizeof buf), fp);
        return;
    }
    char *s = cJSON_PrintUnformatted(v);
    if (s) {
        /* Long arrays are cut: the pointer says where to look. */
        if (strlen(s) > 200) fprintf(fp, "\"%.180s...\"", s[0] == '"' ? s + 1 : s);
        else fputs(s, fp);
        cJSON_free(s);
    }
}

static void report(diff *d, const char *ptr, const cJSON *a, const cJSON *b)
{
    d->n++;
    if (!d->out) return;
    fprintf(d->out, "{\"pointer\": \"%s\", \"old\": ", ptr);
    print_value(d->out, a);
    fputs(", \"new\": ", d->out);
    print_value(d->out, b);
    fputs("}\n", d->out);
}

static void compare(diff *d, const char *ptr, const cJSON *a, const cJSON *b)
{
    if (!a || !b || (a->type & 0xFF) != (b->type & 0xFF)) {
        report(d, ptr, a, b);
        return;
    }
    char child[1024];
    if (cJSON_IsObject(a)) {
        const cJSON *x;
        cJSON_ArrayForEach(x, a) {
            snprintf(child, sizeof child, "%s/%s", ptr, x->string);
            if (strcmp(child, "/card_sha256") == 0 || strcmp(child, "/reproducibility/libraries") == 0 ||
                strcmp(child, "/reproducibility/build") == 0)
                continue;
            compare(d, child, x, cJSON_GetObjectItemCaseSensitive(b, x->string));
        }
        cJSON_ArrayForEach(x, b) {
            if (!cJSON_GetObjectItemCaseSensitive(a, x->string)) {
                snprintf(child, sizeof child, "%s/%s", ptr, x->string);
                report(d, child, NULL, x);
            }
        }
    } else if (cJSON_IsArray(a)) {
        int na = cJSON_GetArraySize(a), nb = cJSON_GetArraySize(b);
        if (na != nb) {
            snprintf(child, sizeof child, "%s/length", ptr);
            cJSON la = { 0 }, lb = { 0 };
            la.type = lb.type = cJSON_Number;
            la.valuedouble = na;
            lb.valuedouble = nb;
            report(d, child, &la, &lb);
            return;
        }
        for (int i = 0; i < na; i++) {
            snprintf(child, sizeof child, "%s/%d", ptr, i);
            compare(d, child, cJSON_GetArrayItem(a, i), cJSON_GetArrayItem(b, i));
        }
    } else if (cJSON_IsNumber(a)) {
        double x = a->valuedouble, y = b->valuedouble;
        double rel = x == 0 ? fabs(y) : fabs(x - y) / fabs(x);
        if (!(rel <= d->tol) && !(x == y)) report(d, ptr, a, b);
    } else if (cJSON_IsString(a)) {
        if (strcmp(a->valuestring, b->valuestring) != 0) report(d, ptr, a, b);
    } else if (cJSON_IsBool(a)) {
        if (cJSON_IsTrue(a) != cJSON_IsTrue(b)) report(d, ptr, a, b);
    }
}

int carta_verify_command(const char *card_path, double rel_tol, const carta_run_opts *o, FILE *out, carta_error *err)
{
    char *card = NULL, *runjson = NULL, *dir = NULL, *run_path = NULL, *base = NULL, *resolved = NULL, *fresh = NULL;
    cJSON *old = NULL, *run = NULL, *now = NULL;
    size_t len;
    int rc;
    carta_where at = { .file = card_path };
    if ((rc = carta_file_read(card_path, card_path, &card, &len, err))) return rc;
    if (!(old = cJSON_Parse(card))) {
        rc = carta_error_set(err, CARTA_EDATA, &at, "not valid JSON");
        goto done;
    }
    const cJSON *pinned = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(old, "reproducibility"), "config");
    if (!cJSON_IsObject(pinned) || !(resolved = json_member_text(card, "reproducibility"))) {
        rc = carta_error_set(err, CARTA_EDATA, &at, "not a carta model card (no reproducibility.config)");
        goto done;
    }
    /* The resolved config, cut verbatim from the card's text so that no digit changes. */
    char *repro = resolved, *cfgobj = json_member_text(repro, "config");
    resolved = cfgobj ? json_member_text(cfgobj, "resolved") : NULL;
    carta_free(cfgobj);
    carta_free(repro);
    if (!resolved) {
        rc = carta_error_set(err, CARTA_EDATA, &at, "the card pins no resolved config");
        goto done;
    }
    dir = carta_path_dirname(card_path);
    run_path = dir ? carta_path_resolve(dir, "run.json") : NULL;
    if (!run_path) { rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory"); goto done; }
    if ((rc = carta_file_read(run_path, "run.json", &runjson, &len, err))) goto done;
    run = cJSON_Parse(runjson);
    const cJSON *rel = cJSON_GetObjectItemCaseSensitive(run, "config_dir_from_run_folder");
    if (!cJSON_IsString(rel)) {
        rc = carta_error_set(err, CARTA_EDATA, &(carta_where){ .file = "run.json" }, "config_dir_from_run_folder is missing");
        goto done;
    }
    if (!(base = carta_path_resolve(dir, rel->valuestring))) { rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory"); goto done; }

    /* Data first: a changed file is drift whatever the refit would say. */
    diff d = { out, rel_tol, 0 };
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(old, "data"), "files"), *f;
    int i = 0;
    cJSON_ArrayForEach(f, files) {
        const cJSON *path = cJSON_GetObjectItemCaseSensitive(f, "path"), *sha = cJSON_GetObjectItemCaseSensitive(f, "sha256");
        char hex[65], ptr[64];
        if (!cJSON_IsString(path) || !cJSON_IsString(sha)) continue;
        char *full = carta_path_resolve(base, path->valuestring);
        carta_error e2;
        carta_error_clear(&e2);
        snprintf(ptr, sizeof ptr, "/data/files/%d/sha256", i++);
        if (!full || carta_sha256_file(full, path->valuestring, hex, &e2) != CARTA_OK) {
            cJSON *miss = cJSON_CreateString("(file cannot be read)");
            report(&d, ptr, sha, miss);
            cJSON_Delete(miss);
        } else if (strcmp(hex, sha->valuestring) != 0) {
            cJSON *now_sha = cJSON_CreateString(hex);
            report(&d, ptr, sha, now_sha);
            cJSON_Delete(now_sha);
        }
        carta_free(full);
    }
    if (d.n) {
        rc = carta_error_set(err, CARTA_ECHECK, &at, "%zu input file(s) changed since the card was written", d.n);
        goto done;
    }
    const cJSON *raw_sha = cJSON_GetObjectItemCaseSensitive(pinned, "sha256_raw");
    if ((rc = carta_run_card(resolved, strlen(resolved), card_path, base, o,
                             cJSON_IsString(raw_sha) ? raw_sha->valuestring : "", &fresh, err)))
        goto done;
    if (!(now = cJSON_Parse(fresh))) { rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory"); goto done; }
    compare(&d, "", old, now);
    if (d.n) rc = carta_error_set(err, CARTA_ECHECK, &at, "%zu value(s) differ from the card", d.n);
    else if (o->log && !o->quiet) fprintf(o->log, "carta: %s verified: every result is unchanged\n", card_path);
done:
    cJSON_Delete(old);
    cJSON_Delete(run);
    cJSON_Delete(now);
    carta_free(card);
    carta_free(runjson);
    carta_free(dir);
    carta_free(run_path);
    carta_free(base);
    carta_free(resolved);
    carta_free(fresh);
    return rc;
}
