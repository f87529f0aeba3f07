/* card.json: the canonical record of a run (ARCHITECTURE "The model card contract";
 * ../shared/domain/model-cards.md section 5 for the layout, Mitchell et al. 2019 and TRIPOD+AI
 * 2024 for the contents). Keys are written in a fixed order through the streaming writer,
 * numbers as the shortest text that reads back to the same double, undefined values as null.
 * Small counts are suppressed: a count c with 0 < c < threshold is written as the string
 * "<threshold", so that no card reveals individual patients. Patient-level values (residuals,
 * predictions) never enter the card; they go to files beside it. */
#include <carta/report.h>
#include <carta/alloc.h>
#include <carta/carta.h>
#include <carta/jsonw.h>
#include <carta/sha256.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

/* A count, suppressed below the threshold. */
static void count(carta_jsonw *w, const char *key, double c, long threshold)
{
    if (key) carta_jsonw_key(w, key);
    carta_jsonw_count(w, c, threshold);
}

static void strings(carta_jsonw *w, const char *key, carta_card_strings s)
{
    carta_jsonw_key(w, key);
    carta_jsonw_begin_array(w);
    for (size_t i = 0; i < s.n; i++) carta_jsonw_string(w, s.v[i]);
    carta_jsonw_end_array(w);
}

/* A p x p column-major matrix as an array of rows. */
static void matrix(carta_jsonw *w, const char *key, const double *m, size_t p)
{
    carta_jsonw_key(w, key);
    if (!m) {
        carta_jsonw_null(w);
        return;
    }
    carta_jsonw_begin_array(w);
    double *row = carta_malloc((p ? p : 1) * sizeof *row);
    for (size_t i = 0; i < p && row; i++) {
        for (size_t j = 0; j < p; j++) row[j] = m[i + j * p];
        carta_jsonw_begin_array(w);
        for (size_t j = 0; j < p; j++) carta_jsonw_number(w, row[j]);
        carta_jsonw_end_array(w);
    }
    carta_free(row);
    carta_jsonw_end_array(w);
}

static void test(carta_jsonw *w, const char *key, double stat, double df, double p)
{
    carta_jsonw_key(w, key);
    carta_jsonw_begin_object(w);
    carta_jsonw_knumber(w, "stat", stat);
    carta_jsonw_knumber(w, "df", df);
    carta_jsonw_knumber(w, "p", p);
    carta_jsonw_end_object(w);
}

/* ---- cox.zph per term: the terms' names ----
   The Cox result gives the per-term tests (R's cox.zph(terms = TRUE)) in term order; the run
   numbers the terms as R's model.matrix `assign` does (src/run/models.c, design_term_of): a
   feature's columns form one term, a missing indicator its own, each interaction its own, in the
   order of their first column. The card names them from the predictors the same way: a feature's
   columns are the consecutive coefficients its `terms` list names; its term is the feature's name
   (R's term label of a factor), or the column's name for a transformed numeric ("log(bili)"); an
   interaction column "a:b" of two features' columns is the term "<a's term>:<b's term>"; any other
   column names itself. When this grouping does not reproduce the result's terms (their number, and
   each term's df as its count of non-aliased columns), the names are not given (null). */

/* k > 0 when the joined list s ("c1, c2, ...") is exactly the column names j .. j + k - 1. */
static size_t run_match(const char *s, const carta_cox_result *r, size_t j)
{
    size_t k = 0, pos = 0;
    while (j + k < r->p) {
        size_t len = strlen(r->terms[j + k].term);
        if (strncmp(s + pos, r->terms[j + k].term, len) != 0) return 0;
        pos += len;
        k++;
        if (s[pos] == '\0') return k;
        if (strncmp(s + pos, ", ", 2) != 0) return 0;
        pos += 2;
    }
    return 0;
}

typedef struct zph_labels {
    size_t *group;  /* p: the term of each column */
    char **label;   /* p: the term label of each column (owned) */
    size_t n;       /* number of terms; labels valid only when n == r->n_zph_by_term */
    int ok;         /* the grouping reproduces the result's terms */
} zph_labels;

static void zph_labels_free(zph_labels *z, size_t p)
{
    for (size_t j = 0; z->label && j < p; j++) carta_free(z->label[j]);
    carta_free(z->label);
    carta_free(z->group);
}

/* The main-effect term of column j of predictor pr (k columns). */
static const char *main_label(const carta_card_predictor *pr, size_t k, const char *column)
{
    return k == 1 && pr->transform && strcmp(pr->transform, "none") != 0 ? column : pr->name;
}

static int zph_labels_make(const carta_card_input *in, const carta_cox_result *r, zph_labels *z)
{
    size_t p = r->p, np = in->n_predictors, none = (size_t)-1;
    memset(z, 0, sizeof *z);
    size_t *pred = carta_malloc((p ? p : 1) * sizeof *pred), *width = carta_calloc(np ? np : 1, sizeof *width);
    z->group = carta_malloc((p ? p : 1) * sizeof *z->group);
    z->label = carta_calloc(p ? p : 1, sizeof *z->label);
    int rc = pred && width && z->group && z->label ? CARTA_OK : CARTA_ENOMEM;
    for (size_t j = 0; !rc && j < p; j++) pred[j] = none;
    /* The features' runs of columns. */
    for (size_t j = 0; !rc && j < p; j++) {
        if (pred[j] != none) continue;
        for (size_t i = 0; i < np; i++) {
            const char *t = in->predictors[i].terms;
            size_t k = width[i] || !t || !*t ? 0 : run_match(t, r, j);
            if (!k) continue;
            for (size_t e = 0; e < k; e++) pred[j + e] = i;
            width[i] = k;
            break;
        }
    }
    for (size_t j = 0; !rc && j < p; j++) {
        const char *col = r->terms[j].term;
        const char *lab = col;
        char *own = NULL;
        if (pred[j] != none) lab = main_label(&in->predictors[pred[j]], width[pred[j]], col);
        else
            for (const char *c = strchr(col, ':'); c && !own; c = strchr(c + 1, ':')) {
                /* "a:b" with a and b columns of two different features */
                size_t la = (size_t)(c - col), a = none, b = none;
                for (size_t i = 0; i < p; i++) {
                    if (pred[i] == none) continue;
                    if (a == none && strlen(r->terms[i].term) == la && strncmp(r->terms[i].term, col, la) == 0) a = i;
                    if (b == none && strcmp(r->terms[i].term, c + 1) == 0) b = i;
                }
                if (a == none || b == none || pred[a] == pred[b]) continue;
                const char *sa = main_label(&in->predictors[pred[a]], width[pred[a]], r->terms[a].term);
                const char *sb = main_label(&in->predictors[pred[b]], width[pred[b]], r->terms[b].term);
                size_t n = strlen(sa) + strlen(sb) + 2;
                if (!(own = carta_malloc(n))) rc = CARTA_ENOMEM;
                else snprintf(own, n, "%s:%s", sa, sb);
            }
        if (!rc && !own && !(own = carta_strdup(lab))) rc = CARTA_ENOMEM;
        if (rc) break;
        z->label[j] = own;
        /* terms numbered in the order of their first column */
        size_t g = z->n;
        for (size_t i = 0; i < j && g == z->n; i++)
            if (strcmp(z->label[i], own) == 0) g = z->group[i];
        z->group[j] = g;
        if (g == z->n) z->n++;
    }
    carta_free(pred);
    carta_free(width);
    if (rc) {
        zph_labels_free(z, p);
        memset(z, 0, sizeof *z);
        return rc;
    }
    z->ok = z->n == r->n_zph_by_term;
    for (size_t t = 0; z->ok && t < z->n; t++) {
        size_t kept = 0;
        for (size_t j = 0; j < p; j++) kept += z->group[j] == t && !r->terms[j].aliased;
        double df = r->zph_by_term[t].df;
        z->ok = isnan(df) ? kept == 0 : df == (double)kept;
    }
    return CARTA_OK;
}

/* "by_term": [{term, columns, chisq, df, p}, ...]: R's cox.zph(terms = TRUE) rows. */
static int write_zph_by_term(carta_jsonw *w, const carta_card_input *in, const carta_cox_result *r)
{
    zph_labels z;
    memset(&z, 0, sizeof z);
    int rc = r->n_zph_by_term ? zph_labels_make(in, r, &z) : CARTA_OK;
    if (rc) return rc;
    carta_jsonw_key(w, "by_term");
    carta_jsonw_begin_array(w);
    for (size_t t = 0; t < r->n_zph_by_term; t++) {
        carta_jsonw_begin_object(w);
        const char *label = NULL;
        for (size_t j = 0; z.ok && j < r->p && !label; j++)
            if (z.group[j] == t) label = z.label[j];
        carta_jsonw_kstring(w, "term", label);
        carta_jsonw_key(w, "columns");
        if (!z.ok) carta_jsonw_null(w);
        else {
            carta_jsonw_begin_array(w);
            for (size_t j = 0; j < r->p; j++)
                if (z.group[j] == t) carta_jsonw_string(w, r->terms[j].term);
            carta_jsonw_end_array(w);
        }
        carta_jsonw_knumber(w, "chisq", r->zph_by_term[t].stat);
        carta_jsonw_knumber(w, "df", r->zph_by_term[t].df);
        carta_jsonw_knumber(w, "p", r->zph_by_term[t].p);
        carta_jsonw_end_object(w);
    }
    carta_jsonw_end_array(w);
    zph_labels_free(&z, r->p);
    return CARTA_OK;
}

/* The Cox result; CARTA_ENOMEM (the per-term names' working memory). */
static int write_cox(carta_jsonw *w, const carta_card_input *in, const carta_cox_result *r, long thr)
{
    static const char *const zph_names[] = { "none", "km", "identity", "rank", "log" };
    carta_jsonw_begin_object(w);
    count(w, "n", (double)r->n, thr);
    count(w, "events", (double)r->events, thr);
    carta_jsonw_kint(w, "n_dropped", (int64_t)r->n_dropped);
    carta_jsonw_kint(w, "iterations", r->iterations);
    carta_jsonw_kbool(w, "converged", r->converged);
    carta_jsonw_key(w, "coefficients");
    carta_jsonw_begin_array(w);
    for (size_t j = 0; j < r->p; j++) {
        const carta_cox_term *t = &r->terms[j];
        carta_jsonw_begin_object(w);
        carta_jsonw_kstring(w, "term", t->term);
        carta_jsonw_knumber(w, "coef", t->coef);
        carta_jsonw_knumber(w, "se", t->se);
        if (r->robust) carta_jsonw_knumber(w, "robust_se", t->robust_se);
        carta_jsonw_knumber(w, "hr", t->hr);
        carta_jsonw_knumber(w, "hr_lower", t->hr_lower);
        carta_jsonw_knumber(w, "hr_upper", t->hr_upper);
        carta_jsonw_knumber(w, "z", t->z);
        carta_jsonw_knumber(w, "p", t->p);
        carta_jsonw_end_object(w);
    }
    carta_jsonw_end_array(w);
    matrix(w, "vcov", r->vcov, r->p);
    if (r->robust) matrix(w, "robust_vcov", r->robust_vcov, r->p);
    /* The centring of the linear predictor (predictions.csv, carta predict). */
    carta_jsonw_knumbers(w, "means", r->means, r->means ? r->p : 0);
    carta_jsonw_knumbers(w, "loglik", r->loglik, 2);
    carta_jsonw_key(w, "tests");
    carta_jsonw_begin_object(w);
    test(w, "lr", r->lr.stat, r->lr.df, r->lr.p);
    test(w, "wald", r->wald.stat, r->wald.df, r->wald.p);
    test(w, "score", r->score.stat, r->score.df, r->score.p);
    if (r->robust) test(w, "robust_score", r->robust_score.stat, r->robust_score.df, r->robust_score.p);
    carta_jsonw_end_object(w);
    carta_jsonw_key(w, "concordance");
    carta_jsonw_begin_object(w);
    carta_jsonw_knumber(w, "c", r->concordance);
    carta_jsonw_knumber(w, "se", r->concordance_se);
    carta_jsonw_end_object(w);
    carta_jsonw_key(w, "zph");
    if (r->zph_terms) {
        carta_jsonw_begin_object(w);
        carta_jsonw_kstring(w, "transform", r->zph_transform >= 0 && r->zph_transform <= 4 ? zph_names[r->zph_transform] : "?");
        carta_jsonw_key(w, "terms");
        carta_jsonw_begin_array(w);
        for (size_t j = 0; j < r->p; j++) {
            carta_jsonw_begin_object(w);
            carta_jsonw_kstring(w, "term", r->terms[j].term);
            carta_jsonw_knumber(w, "chisq", r->zph_terms[j].stat);
            carta_jsonw_knumber(w, "df", r->zph_terms[j].df);
            carta_jsonw_knumber(w, "p", r->zph_terms[j].p);
            carta_jsonw_end_object(w);
        }
        carta_jsonw_end_array(w);
        if (write_zph_by_term(w, in, r)) return CARTA_ENOMEM;
        carta_jsonw_key(w, "global");
        carta_jsonw_begin_object(w);
        carta_jsonw_knumber(w, "chisq", r->zph_global.stat);
        carta_jsonw_knumber(w, "df", r->zph_global.df);
        carta_jsonw_knumber(w, "p", r->zph_global.p);
        carta_jsonw_end_object(w);
        carta_jsonw_end_object(w);
    } else {
        carta_jsonw_null(w);
    }
    carta_jsonw_key(w, "basehaz");
    carta_jsonw_begin_array(w);
    for (size_t s = 0; s < r->n_basehaz; s++) {
        carta_jsonw_begin_object(w);
        carta_jsonw_kstring(w, "label", r->basehaz[s].label);
        carta_jsonw_knumbers(w, "time", r->basehaz[s].time, r->basehaz[s].n_time);
        carta_jsonw_knumbers(w, "cumhaz", r->basehaz[s].cumhaz, r->basehaz[s].n_time);
        carta_jsonw_end_object(w);
    }
    carta_jsonw_end_array(w);
    carta_jsonw_key(w, "curves");
    carta_jsonw_begin_array(w);
    for (size_t k = 0; k < r->n_curves; k++) {
        const carta_cox_curve *c = &r->curves[k];
        carta_jsonw_begin_object(w);
        carta_jsonw_kstring(w, "label", c->label);
        carta_jsonw_knumbers(w, "time", c->time, c->n_time);
        carta_jsonw_knumbers(w, "surv", c->surv, c->n_time);
        carta_jsonw_knumbers(w, "std_err", c->std_err, c->n_time);
        carta_jsonw_knumbers(w, "lower", c->lower, c->n_time);
        carta_jsonw_knumbers(w, "upper", c->upper, c->n_time);
        carta_jsonw_end_object(w);
    }
    carta_jsonw_end_array(w);
    carta_jsonw_kstring(w, "warnings", r->warnings);
    carta_jsonw_end_object(w);
    return CARTA_OK;
}

static void write_logistic(carta_jsonw *w, const carta_logistic_result *r, long thr)
{
    carta_jsonw_begin_object(w);
    count(w, "n", (double)r->n, thr);
    count(w, "events", r->events, thr);
    carta_jsonw_kbool(w, "firth", r->firth);
    carta_jsonw_kint(w, "iterations", r->iterations);
    carta_jsonw_kbool(w, "converged", r->converged);
    carta_jsonw_kbool(w, "separation", r->separation);
    carta_jsonw_kstring(w, "separation_term", r->separation_term);
    carta_jsonw_key(w, "coefficients");
    carta_jsonw_begin_array(w);
    for (size_t j = 0; j < r->p; j++) {
        const carta_logistic_term *t = &r->terms[j];
        carta_jsonw_begin_object(w);
        carta_jsonw_kstring(w, "term", t->term);
        carta_jsonw_knumber(w, "coef", t->coef);
        carta_jsonw_knumber(w, "se", t->se);
        carta_jsonw_knumber(w, "or", t->odds_ratio);
        carta_jsonw_knumber(w, "or_lower", t->or_lower);
        carta_jsonw_knumber(w, "or_upper", t->or_upper);
        carta_jsonw_knumber(w, "z", t->z);
        carta_jsonw_knumber(w, "p", t->p);
        carta_jsonw_end_object(w);
    }
    carta_jsonw_end_array(w);
    matrix(w, "vcov", r->vcov, r->p);
    double ll[2] = { r->loglik_null, r->loglik };
    carta_jsonw_knumbers(w, "loglik", ll, 2);
    carta_jsonw_knumber(w, "penalized_loglik", r->penalized_loglik);
    carta_jsonw_knumber(w, "deviance", r->deviance);
    carta_jsonw_knumber(w, "null_deviance", r->null_deviance);
    carta_jsonw_knumber(w, "aic", r->aic);
    carta_jsonw_key(w, "tests");
    carta_jsonw_begin_object(w);
    test(w, "lr", r->lr.stat, r->lr.df, r->lr.p);
    test(w, "wald", r->wald.stat, r->wald.df, r->wald.p);
    carta_jsonw_end_object(w);
    carta_jsonw_end_object(w);
}

/* An elastic-net fit at the configured lambda: coefficients on the original scale (glmnet's
   standardize = TRUE reports them so), deviance and the share explained. No standard errors:
   penalized estimates have none that mean what a Wald interval says. */
static void write_glmnet(carta_jsonw *w, const carta_glmnet_path *g, const char *cv_json)
{
    carta_jsonw_begin_object(w);
    carta_jsonw_kstring(w, "family", g->family == CARTA_GLMNET_LOGISTIC ? "binomial" : "cox");
    carta_jsonw_knumber(w, "lambda", g->lambda[0]);
    carta_jsonw_key(w, "coefficients");
    carta_jsonw_begin_array(w);
    if (g->family == CARTA_GLMNET_LOGISTIC) {
        carta_jsonw_begin_object(w);
        carta_jsonw_kstring(w, "term", "(Intercept)");
        carta_jsonw_knumber(w, "coef", g->intercept[0]);
        carta_jsonw_end_object(w);
    }
    for (size_t j = 0; j < g->p; j++) {
        carta_jsonw_begin_object(w);
        carta_jsonw_kstring(w, "term", g->names[j]);
        carta_jsonw_knumber(w, "coef", g->coef[j]);
        carta_jsonw_end_object(w);
    }
    carta_jsonw_end_array(w);
    carta_jsonw_knumber(w, "deviance", g->deviance[0]);
    carta_jsonw_knumber(w, "null_deviance", g->null_deviance);
    carta_jsonw_knumber(w, "dev_ratio", g->dev_ratio[0]);
    carta_jsonw_kint(w, "df", g->df[0]);
    carta_jsonw_kbool(w, "converged", g->converged);
    if (cv_json) {
        /* lambda chosen by cross-validation: the rule, the folds and the CV curve */
        carta_jsonw_key(w, "cv");
        carta_jsonw_raw(w, cv_json);
    }
    carta_jsonw_end_object(w);
}

static void write_gbm(carta_jsonw *w, const carta_gbm_model *m)
{
    size_t n;
    const carta_gbm_importance *imp = carta_gbm_importance_of(m, &n);
    carta_jsonw_begin_object(w);
    carta_jsonw_kint(w, "rounds", carta_gbm_rounds(m));
    carta_jsonw_kstring(w, "artifact", "model.json (xgboost JSON; loads in Python's and R's xgboost)");
    carta_jsonw_key(w, "importance");
    carta_jsonw_begin_array(w);
    for (size_t j = 0; j < n; j++) {
        carta_jsonw_begin_object(w);
        carta_jsonw_kstring(w, "feature", imp[j].feature);
        carta_jsonw_knumber(w, "weight", imp[j].weight);
        carta_jsonw_knumber(w, "gain", imp[j].gain);
        carta_jsonw_knumber(w, "cover", imp[j].cover);
        carta_jsonw_knumber(w, "total_gain", imp[j].total_gain);
        carta_jsonw_knumber(w, "mean_abs_shap", imp[j].mean_abs_shap);
        carta_jsonw_end_object(w);
    }
    carta_jsonw_end_array(w);
    carta_jsonw_end_object(w);
}

static void write_metric(carta_jsonw *w, const char *model, const carta_card_metric *m, long thr)
{
    carta_jsonw_begin_object(w);
    if (model) carta_jsonw_kstring(w, "model", model);
    carta_jsonw_kstring(w, "name", m->name);
    carta_jsonw_knumber(w, "value", m->value);
    carta_jsonw_knumber(w, "lower", m->lower);
    carta_jsonw_knumber(w, "upper", m->upper);
    carta_jsonw_kstring(w, "ci_method", m->ci_method);
    carta_jsonw_kstring(w, "slice", m->slice);
    count(w, "n", (double)m->n, thr);
    count(w, "events", m->events, thr);
    carta_jsonw_end_object(w);
}

/* Splits "name version" lines into [{name, version}]. */
static void libraries(carta_jsonw *w, const char *versions)
{
    carta_jsonw_key(w, "libraries");
    carta_jsonw_begin_array(w);
    for (const char *line = versions; line && *line;) {
        const char *end = strchr(line, '\n'), *sp = strchr(line, ' ');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (sp && (size_t)(sp - line) < len) {
            char name[64], ver[256];
            snprintf(name, sizeof name, "%.*s", (int)(sp - line), line);
            snprintf(ver, sizeof ver, "%.*s", (int)(len - (size_t)(sp - line) - 1), sp + 1);
            carta_jsonw_begin_object(w);
            carta_jsonw_kstring(w, "name", name);
            carta_jsonw_kstring(w, "version", ver);
            carta_jsonw_end_object(w);
        }
        if (!end) break;
        line = end + 1;
    }
    carta_jsonw_end_array(w);
}

/* TRIPOD+AI items and where the card answers them (item numbers as in Collins et al. 2024). */
static void tripod(carta_jsonw *w, const carta_card_input *in)
{
    static const struct { const char *item, *topic, *pointer; } items[] = {
        { "3a", "context and intended use", "/intended_use" },
        { "5a", "data sources", "/data/files" },
        { "6a", "eligibility", "/data/cohort/flow" },
        { "7", "data preparation and harmonisation", "/outcome/harmonization" },
        { "8a", "outcome definition", "/outcome" },
        { "9a", "predictors", "/predictors" },
        { "10", "sample size", "/sample_size" },
        { "11", "missing data", "/missing_data" },
        { "12a", "use of the data: splits and resampling", "/models" },
        { "12c", "model type and building", "/models" },
        { "12e", "performance measures", "/performance" },
        { "20a", "participant flow", "/data/cohort/flow" },
        { "20b", "participant characteristics by study (Table 1)", "/data/studies" },
        { "21", "participants and events per analysis", "/sample_size" },
        { "22", "full model specification", "/models" },
        { "23a", "performance with confidence intervals", "/performance" },
        { "25", "limitations", "/considerations/limitations" },
    };
    carta_jsonw_key(w, "tripod_ai");
    carta_jsonw_begin_array(w);
    for (size_t k = 0; k < sizeof items / sizeof items[0]; k++) {
        int reported = 1;
        if (strcmp(items[k].item, "7") == 0) reported = in->harmonization_version != NULL;
        if (strcmp(items[k].item, "12e") == 0 || strcmp(items[k].item, "23a") == 0) {
            reported = 0;
            for (size_t m = 0; m < in->n_models; m++) reported |= in->models[m].n_metrics > 0;
        }
        if (strcmp(items[k].item, "25") == 0) reported = in->limitations.n > 0;
        if (strcmp(items[k].item, "20b") == 0) reported = in->studies_json && strcmp(in->studies_json, "[]") != 0;
        carta_jsonw_begin_object(w);
        carta_jsonw_kstring(w, "item", items[k].item);
        carta_jsonw_kstring(w, "topic", items[k].topic);
        carta_jsonw_kstring(w, "status", reported ? "reported" : "not reported");
        carta_jsonw_kstring(w, "pointer", items[k].pointer);
        carta_jsonw_end_object(w);
    }
    carta_jsonw_end_array(w);
}

/* CARTA_ENOMEM when a part needing working memory could not get it (the text is then unusable). */
static int write_card(carta_jsonw *w, const carta_card_input *in, const char *hash)
{
    long thr = in->small_count_threshold;
    carta_jsonw_begin_object(w);
    carta_jsonw_kstring(w, "schema", "carta-model-card/1.0");
    carta_jsonw_kstring(w, "card_sha256", hash);

    carta_jsonw_key(w, "model_details");
    carta_jsonw_begin_object(w);
    carta_jsonw_kstring(w, "name", in->name);
    carta_jsonw_kstring(w, "overview", in->description);
    carta_jsonw_kstring(w, "generated_by", "carta " CARTA_VERSION);
    carta_jsonw_key(w, "model_types");
    carta_jsonw_begin_array(w);
    for (size_t m = 0; m < in->n_models; m++) carta_jsonw_string(w, in->models[m].type);
    carta_jsonw_end_array(w);
    strings(w, "references", in->references);
    carta_jsonw_end_object(w);

    carta_jsonw_key(w, "intended_use");
    carta_jsonw_begin_object(w);
    carta_jsonw_kstring(w, "primary_uses", in->intended_use);
    strings(w, "primary_users", in->users);
    strings(w, "out_of_scope", in->out_of_scope);
    carta_jsonw_end_object(w);

    carta_jsonw_key(w, "outcome");
    carta_jsonw_begin_object(w);
    carta_jsonw_kstring(w, "type", in->outcome_type);
    carta_jsonw_kstring(w, "definition", in->outcome_definition);
    carta_jsonw_key(w, "config");
    carta_jsonw_raw(w, in->outcome_json ? in->outcome_json : "null");
    carta_jsonw_key(w, "harmonization");
    if (in->harmonization_version) {
        carta_jsonw_begin_object(w);
        carta_jsonw_kstring(w, "mapping_table", in->harmonization_version);
        carta_jsonw_kstring(w, "mapping_sha256", in->mapping_sha256);
        carta_jsonw_kstring(w, "units_sha256", in->units_sha256);
        carta_jsonw_kstring(w, "bound_used", in->harmonization_bound);
        carta_jsonw_key(w, "studies");
        carta_jsonw_raw(w, in->harmonization_json ? in->harmonization_json : "[]");
        carta_jsonw_end_object(w);
    } else {
        carta_jsonw_null(w);
    }
    carta_jsonw_end_object(w);

    carta_jsonw_key(w, "data");
    carta_jsonw_begin_object(w);
    carta_jsonw_key(w, "files");
    carta_jsonw_begin_array(w);
    for (size_t i = 0; i < in->n_files; i++) {
        const carta_card_file *f = &in->files[i];
        carta_jsonw_begin_object(w);
        carta_jsonw_kstring(w, "table", f->table);
        carta_jsonw_kstring(w, "path", f->path);
        carta_jsonw_kstring(w, "format", f->format);
        carta_jsonw_kstring(w, "sha256", f->sha256);
        carta_jsonw_kint(w, "rows", (int64_t)f->rows);
        carta_jsonw_kint(w, "cols", (int64_t)f->cols);
        carta_jsonw_end_object(w);
    }
    carta_jsonw_end_array(w);
    /* The per-study table with a compact Table 1 by study (carta_card_studies_json). */
    carta_jsonw_key(w, "studies");
    carta_jsonw_raw(w, in->studies_json ? in->studies_json : "[]");
    carta_jsonw_key(w, "cohort");
    carta_jsonw_begin_object(w);
    carta_jsonw_key(w, "flow");
    carta_jsonw_begin_array(w);
    for (size_t i = 0; i < in->n_flow; i++) {
        carta_jsonw_begin_object(w);
        carta_jsonw_kstring(w, "step", in->flow[i].description);
        count(w, "n", (double)in->flow[i].n_remaining, thr);
        count(w, "excluded", (double)in->flow[i].n_excluded, thr);
        carta_jsonw_kstring(w, "reason", in->flow[i].reason);
        carta_jsonw_end_object(w);
    }
    carta_jsonw_end_array(w);
    count(w, "n", (double)in->n_subjects, thr);
    count(w, "events", in->n_events, thr);
    carta_jsonw_end_object(w);
    carta_jsonw_end_object(w);

    carta_jsonw_key(w, "predictors");
    carta_jsonw_begin_array(w);
    for (size_t i = 0; i < in->n_predictors; i++) {
        const carta_card_predictor *p = &in->predictors[i];
        carta_jsonw_begin_object(w);
        carta_jsonw_kstring(w, "name", p->name);
        carta_jsonw_kstring(w, "type", p->type);
        carta_jsonw_kstring(w, "source", p->source);
        carta_jsonw_kstring(w, "transform", p->transform);
        carta_jsonw_kstring(w, "terms", p->terms);
        count(w, "missing", (double)p->n_missing, thr);
        count(w, "imputed", (double)p->n_imputed, thr);
        carta_jsonw_end_object(w);
    }
    carta_jsonw_end_array(w);

    carta_jsonw_key(w, "missing_data");
    carta_jsonw_begin_object(w);
    carta_jsonw_kstring(w, "strategy", in->missing_strategy);
    carta_jsonw_end_object(w);

    carta_jsonw_key(w, "design_checks");
    carta_jsonw_begin_object(w);
    carta_jsonw_key(w, "issues");
    carta_jsonw_begin_array(w);
    for (size_t i = 0; i < in->n_design_issues; i++) carta_jsonw_string(w, in->design_issues[i]);
    carta_jsonw_end_array(w);
    carta_jsonw_end_object(w);

    carta_jsonw_key(w, "sample_size");
    carta_jsonw_begin_object(w);
    count(w, "n", (double)in->n_subjects, thr);
    count(w, "events", in->n_events, thr);
    carta_jsonw_kint(w, "candidate_parameters", (int64_t)in->n_parameters);
    carta_jsonw_knumber(w, "events_per_parameter", in->n_parameters ? in->n_events / (double)in->n_parameters : (double)NAN);
    carta_jsonw_end_object(w);

    carta_jsonw_key(w, "models");
    carta_jsonw_begin_array(w);
    for (size_t m = 0; m < in->n_models; m++) {
        const carta_card_model *md = &in->models[m];
        carta_jsonw_begin_object(w);
        carta_jsonw_kstring(w, "name", md->name);
        carta_jsonw_kstring(w, "type", md->type);
        carta_jsonw_key(w, "spec");
        carta_jsonw_raw(w, md->spec_json ? md->spec_json : "{}");
        carta_jsonw_key(w, "result");
        if (md->cox) {
            if (write_cox(w, in, md->cox, thr)) return CARTA_ENOMEM;
        }
        else if (md->logistic) write_logistic(w, md->logistic, thr);
        else if (md->glmnet) write_glmnet(w, md->glmnet, md->glmnet_cv_json);
        else if (md->gbm) write_gbm(w, md->gbm);
        else carta_jsonw_raw(w, md->result_json ? md->result_json : "null");
        carta_jsonw_key(w, "validation");
        carta_jsonw_begin_object(w);
        carta_jsonw_kstring(w, "scheme", md->validation_scheme ? md->validation_scheme : "none");
        carta_jsonw_key(w, "metrics");
        carta_jsonw_begin_array(w);
        for (size_t k = 0; k < md->n_metrics; k++) write_metric(w, NULL, &md->metrics[k], thr);
        carta_jsonw_end_array(w);
        carta_jsonw_key(w, "curves");
        carta_jsonw_raw(w, md->curves_json ? md->curves_json : "null");
        carta_jsonw_end_object(w);
        carta_jsonw_end_object(w);
    }
    carta_jsonw_end_array(w);

    carta_jsonw_key(w, "performance");
    carta_jsonw_begin_object(w);
    carta_jsonw_key(w, "metrics");
    carta_jsonw_begin_array(w);
    for (size_t m = 0; m < in->n_models; m++)
        for (size_t k = 0; k < in->models[m].n_metrics; k++) write_metric(w, in->models[m].name, &in->models[m].metrics[k], thr);
    carta_jsonw_end_array(w);
    carta_jsonw_end_object(w);

    carta_jsonw_key(w, "fairness");
    carta_jsonw_begin_object(w);
    strings(w, "attributes", in->fairness_attributes);
    carta_jsonw_kstring(w, "method", in->fairness_attributes.n
                                         ? "discrimination of the out-of-fold predictions within each level of each "
                                           "attribute: the performance metrics whose slice names the attribute"
                                         : "no validation or no attribute to slice by");
    carta_jsonw_end_object(w);

    carta_jsonw_key(w, "considerations");
    carta_jsonw_begin_object(w);
    strings(w, "limitations", in->limitations);
    strings(w, "tradeoffs", in->tradeoffs);
    strings(w, "caveats", in->caveats);
    carta_jsonw_kint(w, "small_count_threshold", in->small_count_threshold);
    carta_jsonw_end_object(w);

    tripod(w, in);

    carta_jsonw_key(w, "reproducibility");
    carta_jsonw_begin_object(w);
    carta_jsonw_key(w, "config");
    carta_jsonw_begin_object(w);
    carta_jsonw_kstring(w, "sha256_raw", in->config_sha256);
    carta_jsonw_kstring(w, "sha256_resolved", in->resolved_config_sha256);
    carta_jsonw_key(w, "resolved");
    carta_jsonw_raw(w, in->resolved_config_json ? in->resolved_config_json : "null");
    carta_jsonw_end_object(w);
    carta_jsonw_key(w, "validation");
    carta_jsonw_raw(w, in->validation_json ? in->validation_json : "null");
    libraries(w, in->versions);
    carta_jsonw_key(w, "rng");
    carta_jsonw_begin_object(w);
    carta_jsonw_kstring(w, "algorithm", "GSL mt19937");
    carta_jsonw_kint(w, "seed", (int64_t)in->seed);
    carta_jsonw_kstring(w, "substreams", "one per resampling split, seeded from the config seed and the split's index");
    carta_jsonw_end_object(w);
    carta_jsonw_key(w, "build");
    carta_jsonw_begin_object(w);
#ifdef __VERSION__
    carta_jsonw_kstring(w, "compiler", "gcc-compatible " __VERSION__);
#else
    carta_jsonw_kstring(w, "compiler", "unknown");
#endif
    carta_jsonw_kstring(w, "numerics", "-std=c11 -ffp-contract=off, no -ffast-math; fixed reduction order");
    carta_jsonw_end_object(w);
    carta_jsonw_key(w, "threads");
    carta_jsonw_begin_object(w);
    carta_jsonw_kbool(w, "deterministic_reduction", 1);
    carta_jsonw_kstring(w, "note", "the thread count is recorded in run.json: results do not depend on it");
    carta_jsonw_end_object(w);
    carta_jsonw_end_object(w);
    carta_jsonw_end_object(w);
    return CARTA_OK;
}

int carta_card_json(const carta_card_input *in, char **out, size_t *len, carta_error *err)
{
    *out = NULL;
    char hex[65] = "";
    for (int pass = 0; pass < 2; pass++) {
        carta_jsonw *w = carta_jsonw_new(2);
        if (!w) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory for the model card");
        const char *text;
        size_t n;
        int rc = write_card(w, in, hex) ? carta_error_set(err, CARTA_ENOMEM, NULL, "no memory for the model card")
                                        : carta_jsonw_finish(w, &text, &n, err);
        if (rc) {
            carta_jsonw_free(w);
            return rc;
        }
        if (pass == 0) {
            /* The hash covers the card with an empty card_sha256. */
            carta_sha256 s;
            carta_sha256_init(&s);
            carta_sha256_update(&s, text, n);
            carta_sha256_final(&s, hex);
        } else {
            if (len) *len = n;
            *out = carta_jsonw_take(w);
        }
        carta_jsonw_free(w);
    }
    return CARTA_OK;
}
