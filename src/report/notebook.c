/* `carta export-notebook`: a Jupyter notebook (nbformat 4.4) made from a finished run folder.
 * The card's Markdown (card.md) becomes one Markdown cell per "## " section; code cells load the
 * run folder's outputs by a path relative to the notebook (card.json, predictions.csv,
 * <model>.coefficients.csv) and redraw the plots with pandas and matplotlib: coefficients with
 * 95% Wald intervals, out-of-fold ROC curves and calibration by tenths of predicted risk (both
 * stored in the card: predictions.csv holds no outcome), and the distribution of the full-data
 * predictions; Kaplan-Meier and cumulative incidence curves of km and cif models. The bytes depend only on the card and the relative path: no execution counts, no
 * outputs, no cell ids (nbformat 4.4 has none), keys in a fixed order, one-space indent as
 * Jupyter writes. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <carta/alloc.h>
#include <carta/export.h>
#include <carta/fs.h>
#include <carta/jsonw.h>

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "source" as Jupyter stores it: lines that keep their "\n", the last one without. */
static int oom; /* set when a line could not be copied (reset by carta_notebook_json) */

static void source(carta_jsonw *w, const char *text, size_t len)
{
    carta_jsonw_key(w, "source");
    carta_jsonw_begin_array(w);
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) + 1 : len;
        if (end == len && text[len - 1] == '\n') end = len - 1; /* no trailing empty line */
        char *line = carta_strndup(text + i, end - i);
        if (line) carta_jsonw_string(w, line);
        else oom = 1;
        carta_free(line);
        if (end == len - 1) break;
        i = end;
    }
    carta_jsonw_end_array(w);
}

static void markdown(carta_jsonw *w, const char *text, size_t len)
{
    while (len && (text[len - 1] == '\n' || text[len - 1] == ' ')) len--;
    if (!len) return;
    carta_jsonw_begin_object(w);
    carta_jsonw_kstring(w, "cell_type", "markdown");
    carta_jsonw_key(w, "metadata");
    carta_jsonw_begin_object(w);
    carta_jsonw_end_object(w);
    source(w, text, len);
    carta_jsonw_end_object(w);
}

static void code(carta_jsonw *w, const char *text)
{
    carta_jsonw_begin_object(w);
    carta_jsonw_kstring(w, "cell_type", "code");
    carta_jsonw_key(w, "execution_count");
    carta_jsonw_null(w);
    carta_jsonw_key(w, "metadata");
    carta_jsonw_begin_object(w);
    carta_jsonw_end_object(w);
    carta_jsonw_key(w, "outputs");
    carta_jsonw_begin_array(w);
    carta_jsonw_end_array(w);
    source(w, text, strlen(text));
    carta_jsonw_end_object(w);
}

/* A Python string literal of s (repr-style, double quotes). */
static char *py_string(const char *s)
{
    size_t n = strlen(s);
    char *o = carta_malloc(4 * n + 3), *p = o;
    if (!o) return NULL;
    *p++ = '"';
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') { *p++ = '\\'; *p++ = *s; }
        else if ((unsigned char)*s < 0x20) p += sprintf(p, "\\x%02x", (unsigned char)*s);
        else *p++ = *s;
    }
    *p++ = '"';
    *p = 0;
    return o;
}

static const char *const CELL_COEF =
    "# Coefficients with 95% Wald intervals (the run's <model>.coefficients.csv).\n"
    "for m in card[\"models\"]:\n"
    "    f = RUN / (m[\"name\"] + \".coefficients.csv\")\n"
    "    if not f.exists():\n"
    "        continue\n"
    "    coef = pd.read_csv(f)\n"
    "    coef = coef[coef[\"term\"] != \"(Intercept)\"].reset_index(drop=True)\n"
    "    fig, ax = plt.subplots(figsize=(6, 0.4 * len(coef) + 1.2))\n"
    "    ax.errorbar(coef[\"coef\"], range(len(coef)), xerr=1.959963984540054 * coef[\"se\"], fmt=\"o\")\n"
    "    ax.set_yticks(range(len(coef)))\n"
    "    ax.set_yticklabels(coef[\"term\"])\n"
    "    ax.invert_yaxis()\n"
    "    ax.axvline(0, color=\"grey\", linewidth=0.8)\n"
    "    ax.set_xlabel(\"log odds ratio\" if m[\"type\"] == \"logistic\" else \"log hazard ratio\")\n"
    "    ax.set_title(m[\"name\"])\n"
    "    plt.show()\n";

static const char *const CELL_CURVES =
    "# Out-of-fold ROC curves and calibration (stored in the card by the validation).\n"
    "curves = [(m[\"name\"], (m.get(\"validation\") or {}).get(\"curves\") or {}) for m in card[\"models\"]]\n"
    "curves = [(name, c) for name, c in curves if c.get(\"roc\") or c.get(\"calibration\")]\n"
    "if curves:\n"
    "    fig, (roc_ax, cal_ax) = plt.subplots(1, 2, figsize=(10, 5))\n"
    "    for name, c in curves:\n"
    "        if c.get(\"roc\"):\n"
    "            roc_ax.plot(c[\"roc\"][\"fpr\"], c[\"roc\"][\"tpr\"], label=name)\n"
    "        if c.get(\"calibration\"):\n"
    "            cal_ax.plot(c[\"calibration\"][\"predicted\"], c[\"calibration\"][\"observed\"], \"o-\", label=name)\n"
    "    roc_ax.plot([0, 1], [0, 1], color=\"grey\", linewidth=0.8)\n"
    "    roc_ax.set_xlabel(\"1 - specificity\")\n"
    "    roc_ax.set_ylabel(\"sensitivity\")\n"
    "    roc_ax.set_title(\"ROC (out of fold)\")\n"
    "    roc_ax.legend()\n"
    "    top = max(max(c[\"calibration\"][\"predicted\"] + c[\"calibration\"][\"observed\"]) for _, c in curves if c.get(\"calibration\")) if any(c.get(\"calibration\") for _, c in curves) else 1\n"
    "    cal_ax.plot([0, top], [0, top], color=\"grey\", linewidth=0.8)\n"
    "    cal_ax.set_xlabel(\"mean predicted risk\")\n"
    "    cal_ax.set_ylabel(\"observed share\")\n"
    "    cal_ax.set_title(\"Calibration by tenths of predicted risk\")\n"
    "    cal_ax.legend()\n"
    "    plt.show()\n"
    "else:\n"
    "    print(\"no ROC or calibration curves in this card\")\n";

static const char *const CELL_PRED =
    "# Distribution of the full-data predictions per model (predictions.csv).\n"
    "for name, p in predictions.groupby(\"model\", sort=False):\n"
    "    fig, ax = plt.subplots(figsize=(6, 3))\n"
    "    ax.hist(p[\"prediction\"].dropna(), bins=30)\n"
    "    ax.set_xlabel(\"prediction\")\n"
    "    ax.set_ylabel(\"patients\")\n"
    "    ax.set_title(name)\n"
    "    plt.show()\n";

static const char *const CELL_SURV =
    "# Kaplan-Meier and cumulative incidence curves stored in the card (km and cif models).\n"
    "for m in card[\"models\"]:\n"
    "    r = m.get(\"result\") or {}\n"
    "    if m[\"type\"] == \"km\" and r.get(\"strata\"):\n"
    "        panels = [(m[\"name\"], \"survival\", [(s[\"label\"] or \"all\", s[\"table\"][\"time\"], s[\"table\"][\"surv\"]) for s in r[\"strata\"]])]\n"
    "    elif m[\"type\"] == \"cif\" and r.get(\"causes\"):\n"
    "        panels = [(m[\"name\"] + \": \" + c[\"cause\"], \"cumulative incidence\",\n"
    "                   [(s[\"label\"] or \"all\", s[\"table\"][\"time\"], s[\"table\"][\"cif\"]) for s in c[\"strata\"]]) for c in r[\"causes\"]]\n"
    "    else:\n"
    "        continue\n"
    "    for title, ylabel, lines in panels:\n"
    "        fig, ax = plt.subplots(figsize=(7, 4))\n"
    "        for label, t, y in lines:\n"
    "            ax.step([0] + list(t), [1 if ylabel == \"survival\" else 0] + list(y), where=\"post\", label=label)\n"
    "        ax.set_xlabel(\"time\")\n"
    "        ax.set_ylabel(ylabel)\n"
    "        ax.set_ylim(0, 1)\n"
    "        ax.set_title(title)\n"
    "        ax.legend(fontsize=\"small\")\n"
    "        plt.show()\n";

static const char *const CELL_METRICS =
    "# Performance metrics with confidence intervals.\n"
    "pd.DataFrame((card.get(\"performance\") or {}).get(\"metrics\") or [])\n";

int carta_notebook_json(const char *card_json, const char *card_md, const char *run_rel, char **out,
                        carta_error *err)
{
    cJSON *c = card_json ? cJSON_Parse(card_json) : NULL;
    if (!cJSON_IsObject(c)) {
        cJSON_Delete(c);
        return carta_error_set(err, CARTA_EDATA, NULL, "card.json: not a JSON object");
    }
    oom = 0;
    char *rel = py_string(run_rel);
    carta_jsonw *w = carta_jsonw_new(1);
    char *setup = NULL;
    int rc = CARTA_OK;
    if (rel) {
#define SETUP_FMT "import json\n" \
                          "from pathlib import Path\n\n" \
                          "import matplotlib.pyplot as plt\n" \
                          "import pandas as pd\n\n" \
                          "# The run folder, relative to this notebook.\n" \
                          "RUN = Path(%s)\n" \
                          "card = json.loads((RUN / \"card.json\").read_text(encoding=\"utf-8\"))\n" \
                          "predictions = pd.read_csv(RUN / \"predictions.csv\")\n" \
                          "predictions.head()\n"
        size_t n = sizeof SETUP_FMT + strlen(rel);
        if ((setup = carta_malloc(n))) snprintf(setup, n, SETUP_FMT, rel);
#undef SETUP_FMT
    }
    if (!w || !rel || !setup) {
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
        goto done;
    }
    carta_jsonw_begin_object(w);
    carta_jsonw_key(w, "cells");
    carta_jsonw_begin_array(w);
    if (card_md && card_md[0]) {
        /* One Markdown cell per "## " section (the title and summary form the first). */
        const char *s = card_md, *start = card_md;
        for (;;) {
            const char *next = strstr(s, "\n## ");
            if (!next) break;
            markdown(w, start, (size_t)(next + 1 - start));
            start = s = next + 1;
        }
        markdown(w, start, strlen(start));
    } else {
        const cJSON *md = cJSON_GetObjectItemCaseSensitive(c, "model_details");
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(md, "name"), *ov = cJSON_GetObjectItemCaseSensitive(md, "overview");
        char buf[4096];
        snprintf(buf, sizeof buf, "# Model card: %s\n\n%s\n", cJSON_IsString(nm) ? nm->valuestring : "",
                 cJSON_IsString(ov) ? ov->valuestring : "");
        markdown(w, buf, strlen(buf));
    }
    static const char intro[] = "## Plots from the run folder\n\n"
                                "The cells below read the run folder's files and redraw the card's figures with pandas and "
                                "matplotlib.\n";
    markdown(w, intro, sizeof intro - 1);
    code(w, setup);
    code(w, CELL_METRICS);
    code(w, CELL_COEF);
    code(w, CELL_CURVES);
    code(w, CELL_PRED);
    code(w, CELL_SURV);
    carta_jsonw_end_array(w);

    carta_jsonw_key(w, "metadata");
    carta_jsonw_begin_object(w);
    carta_jsonw_key(w, "kernelspec");
    carta_jsonw_begin_object(w);
    carta_jsonw_kstring(w, "display_name", "Python 3");
    carta_jsonw_kstring(w, "language", "python");
    carta_jsonw_kstring(w, "name", "python3");
    carta_jsonw_end_object(w);
    carta_jsonw_key(w, "language_info");
    carta_jsonw_begin_object(w);
    carta_jsonw_kstring(w, "name", "python");
    carta_jsonw_end_object(w);
    carta_jsonw_end_object(w);
    carta_jsonw_kint(w, "nbformat", 4);
    carta_jsonw_kint(w, "nbformat_minor", 4);
    carta_jsonw_end_object(w);
    const char *text;
    if (oom) rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    else if (!(rc = carta_jsonw_finish(w, &text, NULL, err)) && !(*out = carta_jsonw_take(w)))
        rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
done:
    carta_jsonw_free(w);
    carta_free(setup);
    carta_free(rel);
    cJSON_Delete(c);
    return rc;
}

/* The path of `to` relative to the folder `from` (both absolute and normalised, as realpath
   gives them), by whole components. */
static char *relative(const char *from, const char *to)
{
    size_t i = 0, common = 0;
    for (;; i++) {
        int fe = from[i] == '/' || from[i] == 0, te = to[i] == '/' || to[i] == 0;
        if (fe && te) common = i;
        if (from[i] != to[i] || !from[i]) break;
    }
    size_t ups = 0;
    for (const char *p = from + common; *p && strcmp(from, "/"); p++)
        if (*p == '/') ups++;
    const char *rest = to + common;
    while (*rest == '/') rest++;
    size_t n = 3 * ups + strlen(rest) + 2;
    char *o = carta_malloc(n), *q = o;
    if (!o) return NULL;
    for (size_t k = 0; k < ups; k++) { memcpy(q, "../", 3); q += 3; }
    strcpy(q, rest);
    size_t m = strlen(o);
    if (m && o[m - 1] == '/') o[m - 1] = 0;
    if (!o[0]) strcpy(o, ".");
    return o;
}

int carta_notebook_command(const char *model_dir, const char *out_path, int force, carta_error *err)
{
    char *card = NULL, *md = NULL, *nb = NULL, *path = NULL, *dflt = NULL, *dir = NULL, *rel = NULL;
    char absdir[PATH_MAX], absrun[PATH_MAX];
    size_t len;
    int rc;
    if (!(path = carta_path_resolve(model_dir, "card.json"))) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory");
    if ((rc = carta_file_read(path, path, &card, &len, err))) goto done;
    carta_free(path);
    if (!(path = carta_path_resolve(model_dir, "card.md"))) { rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory"); goto done; }
    if (carta_path_exists(path) && (rc = carta_file_read(path, path, &md, &len, err))) goto done;
    if (!out_path) {
        cJSON *c = cJSON_Parse(card);
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c, "model_details"), "name");
        const char *name = cJSON_IsString(nm) && nm->valuestring[0] && !strchr(nm->valuestring, '/') ? nm->valuestring
                                                                                                   : "model";
        size_t n = strlen(name) + 40;
        if ((dflt = carta_malloc(n))) snprintf(dflt, n, "notebooks-export/%s.ipynb", name);
        cJSON_Delete(c);
        if (!dflt) { rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory"); goto done; }
        out_path = dflt;
    }
    if (!force && carta_path_exists(out_path)) {
        carta_where at = { .file = out_path };
        rc = carta_error_set(err, CARTA_EIO, &at, "exists (use --force to replace it)");
        goto done;
    }
    if (carta_mkdir_parents(out_path) != 0) {
        carta_where at = { .file = out_path };
        rc = carta_error_set(err, CARTA_EIO, &at, "cannot create its folder: %s", strerror(errno));
        goto done;
    }
    if (!(dir = carta_path_dirname(out_path))) { rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory"); goto done; }
    if (!realpath(dir, absdir) || !realpath(model_dir, absrun)) {
        carta_where at = { .file = model_dir };
        rc = carta_error_set(err, CARTA_EIO, &at, "cannot resolve the folder: %s", strerror(errno));
        goto done;
    }
    if (!(rel = relative(absdir, absrun))) { rc = carta_error_set(err, CARTA_ENOMEM, NULL, "no memory"); goto done; }
    if ((rc = carta_notebook_json(card, md, rel, &nb, err))) goto done;
    rc = carta_file_write(out_path, nb, strlen(nb), force, err);
done:
    carta_free(rel);
    carta_free(dir);
    carta_free(dflt);
    carta_free(nb);
    carta_free(md);
    carta_free(card);
    carta_free(path);
    return rc;
}
