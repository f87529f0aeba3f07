/* Derived CAR-T predictors, computed per subject from columns of the analysis table (usually
   baseline labs reduced from ADLB, in the canonical units of data-schemas/lab_units.csv).

   EASIX   = LDH (U/L) x creatinine (mg/dL) / platelets (10^9/L)
   m-EASIX = LDH (U/L) x CRP (mg/dL) / platelets (10^9/L)
   s-EASIX = LDH (U/L) / platelets (10^9/L)
       Pennisi M et al. Modified EASIX predicts severe cytokine release syndrome and
       neurotoxicity after CAR T cells. Blood Adv 2021;5(17):3397-3406. The scores are usually
       modelled as log2(score) (feature transform "log2"), so every input must be > 0.

   CAR-HEMATOTOX (Rejeski K et al. CAR-HEMATOTOX: a model for CAR T-cell-related hematologic
   toxicity in relapsed/refractory large B-cell lymphoma. Blood 2021;138(24):2499-2513), the sum
   of five points measured before lymphodepletion (0..7; >= 2 is "HT-high"):
       platelets (10^9/L)  > 175: 0    75..175: 1    < 75: 2
       ANC (10^9/L)        >= 1.2: 0   < 1.2: 1
       haemoglobin (g/dL)  >= 9.0: 0   < 9.0: 1
       CRP (mg/dL)         <= 3.0: 0   > 3.0: 1
       ferritin (ng/mL)    < 650: 0    650..2000: 1  > 2000: 2
   The publication gives the bands as "> 1200 / < 1200" etc. without saying where a value equal
   to a cut-off goes; carta puts it in the middle band for the three-level items (75 and 175
   score 1; 650 and 2000 score 1) and on the low-risk side for the two-level items (ANC 1.2,
   Hb 9.0 and CRP 3.0 score 0). The documentation states this choice.

   days_between(from, to) = to - from in days (date columns, or numbers of days). */
#include "internal.h"

#include <carta/alloc.h>

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define MISS ((double)NAN)

enum { U_NONE, U_ENZYME, U_MGDL, U_COUNT, U_GDL, U_NGML };

/* Unit spellings accepted for each kind (compared without blanks, case-insensitively). */
static const char *const unit_names[][6] = {
    [U_NONE] = { NULL },
    [U_ENZYME] = { "U/L", "IU/L", NULL },
    [U_MGDL] = { "mg/dL", NULL },
    [U_COUNT] = { "10^9/L", "x10^9/L", "10^3/uL", "10^3/\xc2\xb5L", "G/L", "GI/L" },
    [U_GDL] = { "g/dL", NULL },
    [U_NGML] = { "ng/mL", "ug/L", "\xc2\xb5g/L", NULL },
};

static int unit_ok(const char *unit, int kind)
{
    if (!unit || !unit[0] || kind == U_NONE) return 1;
    char u[64];
    size_t k = 0;
    for (const char *s = unit; *s && k < sizeof u - 1; s++)
        if (!isspace((unsigned char)*s)) u[k++] = *s;
    u[k] = '\0';
    for (size_t i = 0; i < 6 && unit_names[kind][i]; i++) {
        const char *a = unit_names[kind][i];
        size_t j = 0;
        while (a[j] && u[j] && tolower((unsigned char)a[j]) == tolower((unsigned char)u[j])) j++;
        if (!a[j] && !u[j]) return 1;
    }
    return 0;
}

typedef struct derive_def {
    const char *label;
    size_t n_args;
    const char *defaults[5];
    int units[5];
} derive_def;

static const derive_def defs[] = {
    [CARTA_DERIVE_EASIX] = { "easix", 3, { "LDH", "CREAT", "PLAT" }, { U_ENZYME, U_MGDL, U_COUNT } },
    [CARTA_DERIVE_M_EASIX] = { "m_easix", 3, { "LDH", "CRP", "PLAT" }, { U_ENZYME, U_MGDL, U_COUNT } },
    [CARTA_DERIVE_S_EASIX] = { "s_easix", 2, { "LDH", "PLAT" }, { U_ENZYME, U_COUNT } },
    [CARTA_DERIVE_CAR_HEMATOTOX] = { "car_hematotox", 5, { "PLAT", "ANC", "HGB", "CRP", "FERRITIN" },
                                     { U_COUNT, U_COUNT, U_GDL, U_MGDL, U_NGML } },
    [CARTA_DERIVE_DAYS_BETWEEN] = { "days_between", 2, { NULL, NULL }, { U_NONE, U_NONE } },
};

static double hematotox(double plt, double anc, double hb, double crp, double fer)
{
    double s = 0;
    s += plt > 175 ? 0 : plt >= 75 ? 1 : 2;
    s += anc >= 1.2 ? 0 : 1;
    s += hb >= 9.0 ? 0 : 1;
    s += crp <= 3.0 ? 0 : 1;
    s += fer < 650 ? 0 : fer <= 2000 ? 1 : 2;
    return s;
}

int carta_cohort_derive(carta_cohort *c, const carta_derive_spec *spec, carta_error *err)
{
    if (cohort_usable(c, err)) return CARTA_ENOMEM;
    if ((unsigned)spec->kind > CARTA_DERIVE_DAYS_BETWEEN)
        return carta_error_set(err, CARTA_ECONFIG, NULL, "derive: unknown kind %d", (int)spec->kind);
    const derive_def *d = &defs[spec->kind];
    if (!spec->name || !spec->name[0])
        return carta_error_set(err, CARTA_ECONFIG, NULL, "derive %s: the new column needs a name", d->label);
    carta_where at = { .field = spec->name };
    if (spec->args ? spec->n_args != d->n_args : spec->kind == CARTA_DERIVE_DAYS_BETWEEN)
        return carta_error_set(err, CARTA_ECONFIG, &at, "%s takes %zu columns, got %zu", d->label, d->n_args,
                               spec->args ? spec->n_args : 0);
    const carta_column *col[5] = { NULL };
    for (size_t k = 0; k < d->n_args; k++) {
        const char *name = spec->args ? spec->args[k] : d->defaults[k];
        if (!(col[k] = carta_table_find(c->wide, name)))
            return carta_error_set(err, CARTA_EDATA, &at, "%s needs column %s, which the analysis table lacks", d->label,
                                   name);
        if (col[k]->type == CARTA_STR)
            return carta_error_set(err, CARTA_EDATA, &at, "%s needs numbers, but column %s holds strings", d->label,
                                   name);
        if (!unit_ok(col[k]->unit, d->units[k]))
            return carta_error_set(err, CARTA_EDATA, &at, "%s needs %s in %s, but it is in %s (harmonize units first)",
                                   d->label, name, unit_names[d->units[k]][0], col[k]->unit);
    }
    /* Check the values of the subjects in the cohort before adding anything. */
    examples bad = { 0 };
    int easix = spec->kind <= CARTA_DERIVE_S_EASIX;
    for (size_t w = 0; w < c->n_all && spec->kind != CARTA_DERIVE_DAYS_BETWEEN; w++) {
        if (!c->keep[w]) continue;
        for (size_t k = 0; k < d->n_args; k++) {
            double v = carta_column_number(col[k], w);
            if (isnan(v)) continue;
            if (easix ? v <= 0 : v < 0) {
                char key[260], buf[400], val[40];
                cohort_key_text(c, w, key, sizeof key);
                cohort_value_text(col[k], w, val, sizeof val);
                snprintf(buf, sizeof buf, "%s (%s = %s)", key, col[k]->name, val);
                examples_add(&bad, buf);
                break;
            }
        }
    }
    if (bad.count)
        return carta_error_set(err, CARTA_EDATA, &at, "%s needs %s values; %zu subject%s %s: %s", d->label,
                               easix ? "positive" : "non-negative", bad.count, bad.count == 1 ? " has" : "s have",
                               easix ? "a value <= 0" : "a negative value", bad.text);
    carta_column *dst;
    int rc = cohort_new_column(c, spec->name, CARTA_F64, &dst, d->label, err);
    if (rc) return rc;
    for (size_t w = 0; w < c->n_all; w++) {
        double x[5];
        int miss = 0;
        for (size_t k = 0; k < d->n_args; k++) miss |= isnan(x[k] = carta_column_number(col[k], w));
        double v;
        if (miss) {
            v = MISS;
        } else {
            switch (spec->kind) {
            case CARTA_DERIVE_EASIX:
            case CARTA_DERIVE_M_EASIX: v = x[0] * x[1] / x[2]; break;
            case CARTA_DERIVE_S_EASIX: v = x[0] / x[1]; break;
            case CARTA_DERIVE_CAR_HEMATOTOX: v = hematotox(x[0], x[1], x[2], x[3], x[4]); break;
            case CARTA_DERIVE_DAYS_BETWEEN:
            default: v = x[1] - x[0]; break;
            }
        }
        if (carta_column_push_f64(dst, v)) {
            carta_table_drop_column(c->wide, spec->name);
            return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory for column %s", spec->name);
        }
    }
    if (spec->kind == CARTA_DERIVE_DAYS_BETWEEN && carta_column_set_meta(dst, NULL, "days", NULL)) {
        carta_table_drop_column(c->wide, spec->name);
        return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory for column %s", spec->name);
    }
    return CARTA_OK;
}
