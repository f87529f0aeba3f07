/* card.md: a Markdown rendering of card.json (parsed back, so it can only say what the card
 * says). Sections follow ../shared/domain/model-cards.md section 6. Numbers are shown with 4
 * significant digits; the card keeps them exact. */
#include <carta/report.h>
#include <carta/alloc.h>

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct buf {
    char *s;
    size_t n, cap;
    int oom;
} buf;

static void add(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(buf *b, const char *fmt, ...)
{
    if (b->oom) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0) return;
    if (b->n + (size_t)k + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 8192;
        while (cap < b->n + (size_t)k + 1) cap *= 2;
        char *s = carta_realloc(b->s, cap);
        if (!s) { b->oom = 1; return; }
        b->s = s;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)k;
}

static const cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = get(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A value as a table cell: numbers with 4 significant digits, suppressed counts as written. */
static void cell(buf *b, const cJSON *v)
{
    if (cJSON_IsNumber(v)) {
        double x = v->valuedouble;
        if (x == floor(x) && fabs(x) < 1e9) add(b, "%.0f", x);
        else add(b, "%.4g", x);
    } else if (cJSON_IsString(v)) {
        /* Pipes would break the table. */
        for (const char *c = v->valuestring; *c; c++) add(b, *c == '|' ? "\\|" : "%c", *c);
    } else if (cJSON_IsBool(v)) {
        add(b, "%s", cJSON_IsTrue(v) ? "yes" : "no");
    } else {
        add(b, "NA");
    }
}

static void bullets(buf *b, const cJSON *arr)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, arr) if (cJSON_IsString(e)) add(b, "- %s\n", e->valuestring);
}

/* A table of the given keys over an array of objects. */
static void table(buf *b, const cJSON *rows, const char *const *keys, const char *const *heads, size_t nk)
{
    add(b, "|");
    for (size_t k = 0; k < nk; k++) add(b, " %s |", heads[k]);
    add(b, "\n|");
    for (size_t k = 0; k < nk; k++) add(b, "---|");
    add(b, "\n");
    const cJSON *r;
    cJSON_ArrayForEach(r, rows) {
        add(b, "|");
        for (size_t k = 0; k < nk; k++) {
            add(b, " ");
            cell(b, get(r, keys[k]));
            add(b, " |");
        }
        add(b, "\n");
    }
    add(b, "\n");
}

/* A compact cell of the per-study Table 1 (as card.html shows it). */
static void table1_cell(buf *b, const cJSON *v)
{
    if (!v) {
        add(b, "NA");
        return;
    }
    const char *type = str(v, "type");
    if (type && strcmp(type, "numeric") == 0) {
        const cJSON *med = get(v, "median");
        if (!cJSON_IsNumber(med)) {
            add(b, "NA");
            return;
        }
        cell(b, med);
        add(b, " [");
        cell(b, get(v, "q1"));
        add(b, ", ");
        cell(b, get(v, "q3"));
        add(b, "]");
        return;
    }
    const cJSON *l;
    int first = 1;
    cJSON_ArrayForEach(l, get(v, "levels")) {
        add(b, "%s", first ? "" : ", ");
        cell(b, get(l, "level"));
        add(b, " ");
        cell(b, get(l, "n"));
        if (cJSON_IsNumber(get(l, "percent"))) add(b, " (%.0f%%)", get(l, "percent")->valuedouble);
        first = 0;
    }
    if (first) add(b, "NA");
}

/* 1 when some study has a text value for key (a column that is null everywhere is left out). */
static int any_text(const cJSON *studies, const char *key)
{
    const cJSON *st;
    cJSON_ArrayForEach(st, studies) if (str(st, key)) return 1;
    return 0;
}

/* data.studies: one row per study (registry facts, n, events, compact Table 1). */
static void studies_table(buf *b, const cJSON *studies)
{
    if (cJSON_GetArraySize(studies) <= 0) return;
    const cJSON *vars = get(cJSON_GetArrayItem(studies, 0), "table1"), *v, *st;
    static const char *const keys[] = { "studyid", "product", "crs_scale_reported", "n", "events" };
    static const char *const heads[] = { "study", "product", "CRS scale reported", "n", "events" };
    int show[5] = { 1, any_text(studies, "product"), any_text(studies, "crs_scale_reported"), 1, 1 };
    add(b, "Studies (registry facts; the analysed patients of each study; counts below the threshold suppressed):\n\n|");
    for (size_t k = 0; k < 5; k++)
        if (show[k]) add(b, " %s |", heads[k]);
    size_t nv = 0;
    cJSON_ArrayForEach(v, vars) {
        const char *type = str(v, "type");
        add(b, " %s, %s |", str(v, "variable") ? str(v, "variable") : "?", type && strcmp(type, "numeric") == 0 ? "median [IQR]" : "n (%)");
        nv++;
    }
    add(b, "\n|");
    for (size_t k = 0; k < 5 + nv; k++)
        if (k >= 5 || show[k]) add(b, "---|");
    add(b, "\n");
    cJSON_ArrayForEach(st, studies) {
        add(b, "|");
        for (size_t k = 0; k < 5; k++) {
            if (!show[k]) continue;
            add(b, " ");
            cell(b, get(st, keys[k]));
            add(b, " |");
        }
        cJSON_ArrayForEach(v, vars) {
            const cJSON *mine = NULL, *x;
            cJSON_ArrayForEach(x, get(st, "table1")) {
                const char *a = str(x, "variable"), *c = str(v, "variable");
                if (a && c && strcmp(a, c) == 0) {
                    mine = x;
                    break;
                }
            }
            add(b, " ");
            table1_cell(b, mine);
            add(b, " |");
        }
        add(b, "\n");
    }
    add(b, "\n");
}

/* The plots card.html draws for the model named name, as the files of the run folder. */
static void plot_list(buf *b, const char *name, const carta_card_plot *plots, size_t n)
{
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        if (!plots[i].model || !name || strcmp(plots[i].model, name) != 0) continue;
        if (!any) add(b, "Plots (in card.html, and as SVG files in the run folder):\n\n");
        add(b, "- `plots/%s`: %s\n", plots[i].name, plots[i].caption);
        any = 1;
    }
    if (any) add(b, "\n");
}

/* The proportional-hazards test (cox.zph): one row per term as R's cox.zph prints by default
   (terms = TRUE; a factor is one row with df = its columns), then GLOBAL; then the per-column
   tests (terms = FALSE) when some term has more than one column. */
static void zph_section(buf *b, const cJSON *zph)
{
    if (!cJSON_IsObject(zph)) return;
    const cJSON *g = get(zph, "global"), *bt = get(zph, "by_term"), *r;
    add(b, "Proportional hazards (Schoenfeld residuals, cox.zph, transform %s):\n\n", str(zph, "transform") ? str(zph, "transform") : "?");
    add(b, "| term | chisq | df | p |\n|---|---|---|---|\n");
    int k = 0, wide = 0;
    const cJSON *rows = cJSON_GetArraySize(bt) > 0 ? bt : get(zph, "terms");
    cJSON_ArrayForEach(r, rows) {
        add(b, "| ");
        if (cJSON_IsString(get(r, "term"))) cell(b, get(r, "term"));
        else add(b, "term %d", k + 1);
        add(b, " | ");
        cell(b, get(r, "chisq"));
        add(b, " | ");
        cell(b, get(r, "df"));
        add(b, " | ");
        cell(b, get(r, "p"));
        add(b, " |\n");
        if (cJSON_GetArraySize(get(r, "columns")) > 1 || !cJSON_IsArray(get(r, "columns"))) wide = 1;
        k++;
    }
    add(b, "| GLOBAL | ");
    cell(b, get(g, "chisq"));
    add(b, " | ");
    cell(b, get(g, "df"));
    add(b, " | ");
    cell(b, get(g, "p"));
    add(b, " |\n\n");
    if (cJSON_GetArraySize(bt) > 0 && wide) {
        static const char *const kk[] = { "term", "chisq", "df", "p" };
        static const char *const hh[] = { "column", "chisq", "df", "p" };
        add(b, "Per column (cox.zph terms = FALSE):\n\n");
        table(b, get(zph, "terms"), kk, hh, 4);
    }
}

static void model_section(buf *b, const cJSON *m, const carta_card_plot *plots, size_t n_plots)
{
    const char *type = str(m, "type");
    const cJSON *res = get(m, "result");
    add(b, "### %s (%s)\n\n", str(m, "name") ? str(m, "name") : "?", type ? type : "?");
    const char *off = str(get(m, "spec"), "offset");
    if (off) add(b, "Offset: `%s`, added to the linear predictor with coefficient 1.\n\n", off);
    /* Without a result only the validation part is written. */
    if (!type || !res || cJSON_IsNull(res)) type = "";
    if (strcmp(type, "cox") == 0 && !get(res, "lambda")) {
        static const char *const k[] = { "term", "coef", "hr", "hr_lower", "hr_upper", "se", "z", "p" };
        static const char *const h[] = { "term", "coef", "HR", "lower", "upper", "se", "z", "p" };
        add(b, "n = ");
        cell(b, get(res, "n"));
        add(b, ", events = ");
        cell(b, get(res, "events"));
        add(b, ", concordance = ");
        cell(b, get(get(res, "concordance"), "c"));
        add(b, " (se ");
        cell(b, get(get(res, "concordance"), "se"));
        add(b, ")\n\n");
        table(b, get(res, "coefficients"), k, h, 8);
        const cJSON *t = get(res, "tests");
        static const char *const names[] = { "lr", "wald", "score" };
        static const char *const shown[] = { "Likelihood ratio", "Wald", "Score" };
        for (int i = 0; i < 3; i++) {
            add(b, "%s test: chi-square ", shown[i]);
            cell(b, get(get(t, names[i]), "stat"));
            add(b, " on ");
            cell(b, get(get(t, names[i]), "df"));
            add(b, " df, p = ");
            cell(b, get(get(t, names[i]), "p"));
            add(b, i < 2 ? "; " : ".\n\n");
        }
        zph_section(b, get(res, "zph"));
    } else if ((strcmp(type, "logistic") == 0 || strcmp(type, "cox") == 0) && get(res, "lambda")) {
        static const char *const k[] = { "term", "coef" };
        static const char *const h[] = { "term", "coef" };
        add(b, "Elastic net (%s), alpha ", str(res, "family") ? str(res, "family") : "?");
        cell(b, get(get(m, "spec"), "alpha")); /* the result does not carry it; the spec does */
        add(b, ", at lambda ");
        cell(b, get(res, "lambda"));
        add(b, ", ");
        cell(b, get(res, "df"));
        add(b, " nonzero coefficients, deviance explained ");
        cell(b, get(res, "dev_ratio"));
        if (get(res, "cv")) {
            add(b, "; lambda chosen by ");
            cell(b, get(get(res, "cv"), "folds"));
            add(b, "-fold cross-validation (%s)", str(get(res, "cv"), "rule") ? str(get(res, "cv"), "rule") : "?");
            add(b, ", lambda.min ");
            cell(b, get(get(res, "cv"), "lambda_min"));
            add(b, ", lambda.1se ");
            cell(b, get(get(res, "cv"), "lambda_1se"));
        }
        add(b, ".\n\n");
        table(b, get(res, "coefficients"), k, h, 2);
    } else if (strcmp(type, "logistic") == 0) {
        static const char *const k[] = { "term", "coef", "or", "or_lower", "or_upper", "se", "z", "p" };
        static const char *const h[] = { "term", "coef", "OR", "lower", "upper", "se", "z", "p" };
        add(b, "n = ");
        cell(b, get(res, "n"));
        add(b, ", events = ");
        cell(b, get(res, "events"));
        add(b, ", Firth: ");
        cell(b, get(res, "firth"));
        add(b, ", converged: ");
        cell(b, get(res, "converged"));
        if (cJSON_IsTrue(get(res, "separation"))) add(b, ", **separation detected** (%s)", str(res, "separation_term") ? str(res, "separation_term") : "?");
        add(b, "\n\n");
        table(b, get(res, "coefficients"), k, h, 8);
    } else if (strcmp(type, "xgboost") == 0) {
        static const char *const k[] = { "feature", "gain", "cover", "weight", "mean_abs_shap" };
        static const char *const h[] = { "feature", "gain", "cover", "weight", "mean abs SHAP" };
        add(b, "Boosting rounds kept: ");
        cell(b, get(res, "rounds"));
        add(b, ".\n\n");
        table(b, get(res, "importance"), k, h, 5);
    } else if (strcmp(type, "km") == 0) {
        static const char *const k[] = { "label", "n", "events", "median", "median_lower", "median_upper", "rmst", "rmst_se" };
        static const char *const h[] = { "group", "n", "events", "median", "lower", "upper", "RMST", "RMST se" };
        table(b, get(res, "strata"), k, h, 8);
    } else if (strcmp(type, "logrank") == 0) {
        static const char *const k[] = { "label", "n", "observed", "expected" };
        static const char *const h[] = { "group", "n", "observed", "expected" };
        table(b, get(res, "groups"), k, h, 4);
        add(b, "Chi-square ");
        cell(b, get(res, "chisq"));
        add(b, " on ");
        cell(b, get(res, "df"));
        add(b, " df, p = ");
        cell(b, get(res, "p"));
        add(b, ".\n\n");
    }
    const cJSON *metrics = get(get(m, "validation"), "metrics");
    if (cJSON_GetArraySize(metrics) > 0) {
        static const char *const k[] = { "name", "slice", "value", "lower", "upper", "ci_method", "n", "events" };
        static const char *const h[] = { "metric", "slice", "value", "lower", "upper", "CI", "n", "events" };
        add(b, "Validation (%s):\n\n", str(get(m, "validation"), "scheme") ? str(get(m, "validation"), "scheme") : "none");
        table(b, metrics, k, h, 8);
    }
    plot_list(b, str(m, "name"), plots, n_plots);
}

int carta_card_markdown(const char *card_json, char **out, carta_error *err)
{
    *out = NULL;
    cJSON *c = cJSON_Parse(card_json);
    if (!c || !str(c, "schema") || strncmp(str(c, "schema"), "carta-model-card/", 17) != 0) {
        cJSON_Delete(c);
        return carta_error_set(err, CARTA_EDATA, NULL, "not a carta model card");
    }
    /* The plots card.html draws, to name their files under each model. */
    carta_card_plot *plots = NULL;
    size_t n_plots = 0;
    int rc = carta_card_plots(card_json, &plots, &n_plots, err);
    if (rc) {
        cJSON_Delete(c);
        return rc;
    }
    buf b = { 0 };
    const cJSON *md = get(c, "model_details"), *iu = get(c, "intended_use"), *oc = get(c, "outcome");
    const cJSON *data = get(c, "data"), *cons = get(c, "considerations");
    add(&b, "# Model card: %s\n\n", str(md, "name") ? str(md, "name") : "?");
    if (str(md, "overview")) add(&b, "%s\n\n", str(md, "overview"));
    add(&b, "Card SHA-256 `%s`, written by %s.\n\n", str(c, "card_sha256") ? str(c, "card_sha256") : "?",
        str(md, "generated_by") ? str(md, "generated_by") : "carta");

    add(&b, "## Intended use\n\n%s\n\n", str(iu, "primary_uses") ? str(iu, "primary_uses") : "Not stated.");
    if (cJSON_GetArraySize(get(iu, "primary_users"))) { add(&b, "Users:\n\n"); bullets(&b, get(iu, "primary_users")); add(&b, "\n"); }
    if (cJSON_GetArraySize(get(iu, "out_of_scope"))) { add(&b, "Out of scope:\n\n"); bullets(&b, get(iu, "out_of_scope")); add(&b, "\n"); }

    add(&b, "## Outcome\n\n%s (%s).\n\n", str(oc, "definition") ? str(oc, "definition") : "?", str(oc, "type") ? str(oc, "type") : "?");
    const cJSON *h = get(oc, "harmonization");
    if (h && !cJSON_IsNull(h)) {
        add(&b, "Grades harmonized to ASTCT with mapping table `%s` (bound: %s; SHA-256 `%s`).\n\n",
            str(h, "mapping_table") ? str(h, "mapping_table") : "?", str(h, "bound_used") ? str(h, "bound_used") : "?",
            str(h, "mapping_sha256") ? str(h, "mapping_sha256") : "?");
        static const char *const k[] = { "study", "scale", "crs", "from_signs", "mapped", "astct", "changed", "labs_converted" };
        static const char *const hd[] = { "study", "scale", "CRS records", "from signs", "mapped", "already ASTCT", "grade changed", "labs converted" };
        table(&b, get(h, "studies"), k, hd, 8);
    }

    add(&b, "## Data\n\n");
    static const char *const fk[] = { "table", "path", "format", "rows", "cols", "sha256" };
    static const char *const fh[] = { "table", "file", "format", "rows", "columns", "SHA-256" };
    table(&b, get(data, "files"), fk, fh, 6);
    studies_table(&b, get(data, "studies"));
    add(&b, "Cohort flow:\n\n");
    static const char *const ck[] = { "step", "n", "excluded", "reason" };
    static const char *const chd[] = { "step", "remaining", "excluded", "reason" };
    table(&b, get(get(data, "cohort"), "flow"), ck, chd, 4);

    add(&b, "## Predictors\n\n");
    static const char *const pk[] = { "name", "type", "source", "transform", "terms", "missing", "imputed" };
    static const char *const ph[] = { "predictor", "type", "source", "transform", "model terms", "missing", "imputed" };
    table(&b, get(c, "predictors"), pk, ph, 7);
    const cJSON *issue;
    cJSON_ArrayForEach(issue, get(get(c, "design_checks"), "issues")) if (cJSON_IsString(issue)) add(&b, "- Design check: %s\n", issue->valuestring);
    add(&b, "\nMissing data: %s. Sample size: n = ", str(get(c, "missing_data"), "strategy") ? str(get(c, "missing_data"), "strategy") : "?");
    cell(&b, get(get(c, "sample_size"), "n"));
    add(&b, ", events = ");
    cell(&b, get(get(c, "sample_size"), "events"));
    add(&b, ", events per candidate parameter = ");
    cell(&b, get(get(c, "sample_size"), "events_per_parameter"));
    add(&b, ".\n\n");

    add(&b, "## Models\n\n");
    const cJSON *m;
    cJSON_ArrayForEach(m, get(c, "models")) model_section(&b, m, plots, n_plots);
    carta_card_plots_free(plots, n_plots);

    add(&b, "## Performance\n\n");
    const cJSON *perf = get(get(c, "performance"), "metrics");
    if (cJSON_GetArraySize(perf)) {
        static const char *const k[] = { "model", "name", "slice", "value", "lower", "upper", "ci_method" };
        static const char *const hd[] = { "model", "metric", "slice", "value", "lower", "upper", "CI" };
        table(&b, perf, k, hd, 7);
    } else {
        add(&b, "No validation was configured.\n\n");
    }

    const cJSON *fair = get(c, "fairness");
    if (cJSON_GetArraySize(get(fair, "attributes")) > 0) {
        add(&b, "## Fairness\n\nPerformance is sliced by ");
        const cJSON *at;
        int first = 1;
        cJSON_ArrayForEach(at, get(fair, "attributes")) {
            if (cJSON_IsString(at)) add(&b, "%s%s", first ? "" : ", ", at->valuestring);
            first = 0;
        }
        add(&b, ": %s (see each model's validation table).\n\n", str(fair, "method") ? str(fair, "method") : "");
    }

    add(&b, "## Limitations and considerations\n\n");
    bullets(&b, get(cons, "limitations"));
    bullets(&b, get(cons, "tradeoffs"));
    bullets(&b, get(cons, "caveats"));
    add(&b, "\nCounts below ");
    cell(&b, get(cons, "small_count_threshold"));
    add(&b, " are shown as \"<");
    cell(&b, get(cons, "small_count_threshold"));
    add(&b, "\".\n\n");

    add(&b, "## TRIPOD+AI items\n\n");
    static const char *const tk[] = { "item", "topic", "status", "pointer" };
    static const char *const th[] = { "item", "topic", "status", "where in card.json" };
    table(&b, get(c, "tripod_ai"), tk, th, 4);

    add(&b, "## Reproducibility\n\n");
    const cJSON *rp = get(c, "reproducibility");
    add(&b, "Config SHA-256 `%s` (resolved `%s`); RNG %s, seed ", str(get(rp, "config"), "sha256_raw") ? str(get(rp, "config"), "sha256_raw") : "?",
        str(get(rp, "config"), "sha256_resolved") ? str(get(rp, "config"), "sha256_resolved") : "?",
        str(get(rp, "rng"), "algorithm") ? str(get(rp, "rng"), "algorithm") : "?");
    cell(&b, get(get(rp, "rng"), "seed"));
    add(&b, ". Re-run and compare with `carta verify card.json`.\n\n");
    static const char *const lk[] = { "name", "version" };
    static const char *const lh[] = { "library", "version" };
    table(&b, get(rp, "libraries"), lk, lh, 2);
    cJSON_Delete(c);
    if (b.oom) {
        carta_free(b.s);
        return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory for card.md");
    }
    *out = b.s;
    return CARTA_OK;
}
