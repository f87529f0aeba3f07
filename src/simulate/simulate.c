/* The synthetic multi-trial CAR-T cohort generator.
 *
 * The world it simulates, patient by patient (README "Synthetic cohort" has the full account):
 *   1. Baseline covariates and pre-lymphodepletion labs, drawn the same way in every trial.
 *   2. CRS as the trial's pivotal scale would report it: a cumulative logit model
 *        logit P(grade >= k | x) = alpha[product][k] + 0.5 z(log2 m-EASIX) + 1.0 high burden
 *                                  + 0.8 Flu/Cy + 0.3 z(dose),
 *      with the intercepts solved so that each product's marginal any-grade and grade >= 3
 *      rates equal the published ones (cart.md table (b)).
 *   3. The true ASTCT grade, drawn inside the interval that the mapping table (cart.md A.4)
 *      allows for that reported grade (the point value with probability 0.6), and the CRS
 *      signs (temperature, vasopressors, oxygen) that give exactly that ASTCT grade under the
 *      component rule. A trial on another scale reports the grade of its own scale that is
 *      consistent with the true ASTCT grade.
 *   4. ICANS (cumulative logit on ASTCT grade), CRS onset day (log-normal around the
 *      product's median, none after day 14), and OS and PFS from Weibull models with
 *      proportional effects, calibrated to the published landmarks, censored at the trial's
 *      data cut-off (every patient has at least 36 months of potential follow-up).
 * The model's intercepts are solved on a fixed calibration sample (its own RNG stream, the
 * same for every seed), so the truth does not depend on the seed; the data do.
 * Output streams: memory does not grow with the number of patients. */
#include <carta/simulate.h>
#include <carta/alloc.h>
#include <carta/fs.h>
#include <carta/jsonw.h>
#include <carta/table.h>
#include <carta/csv.h>
#include <carta/xpt.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_GRADES 4          /* CRS and ICANS grades 1..4 modelled; grade 5 is not generated */
#define CALIB_N 4000        /* calibration sample per product */
#define DAYS_PER_MONTH 30.4375
#define FOLLOW_UP_DAYS 1096 /* 36 months after the last infusion */
#define ACCRUAL_DAYS 365
#define LN2 0.69314718055994530942

/* Coefficients of the risk models (the "truth"). */
static const double B_CRS_MEASIX = 0.5, B_CRS_BURDEN = 1.0, B_CRS_FLUCY = 0.8, B_CRS_DOSE = 0.3;
static const double B_ICANS_MEASIX = 0.4, B_ICANS_BURDEN = 0.6;
static const double B_SURV_ECOG = 0.3, B_SURV_LDH = 0.25, B_SURV_BURDEN = 0.4;
/* Share of non-severe reported CRS that is grade 2, and of severe CRS that is grade 4. */
static const double SHARE_G2 = 0.45, SHARE_G4 = 0.25;

/* Log-normal lab distributions (natural log mean and SD) in canonical units. */
static const double LDH_MU = 5.634789603169249 /* log 280 */, LDH_SD = 0.5;
static const double CRP_MU = 0.4054651081081644 /* log 1.5 */, CRP_SD = 1.0;
static const double PLT_MU = 5.0106352940962555 /* log 150 */, PLT_SD = 0.55;
static const double CREAT_MU = -0.10536051565782628 /* log 0.9 */, CREAT_SD = 0.25;
static const double FERR_MU = 6.396929655216146 /* log 600 */, FERR_SD = 0.9;
static const double ANC_MU = 0.9162907318741551 /* log 2.5 */, ANC_SD = 0.6;

enum scale { ASTCT, LEE2014, PENN, CARTOX, MSKCC, N_SCALES };
static const char *const scale_names[N_SCALES] = { "ASTCT", "LEE2014", "PENN", "CARTOX", "MSKCC" };

/* cart.md A.4: reported grade 1..4 -> ASTCT point, min, max. */
static const int mapping[N_SCALES][N_GRADES][3] = {
    [ASTCT] = { { 1, 1, 1 }, { 2, 2, 2 }, { 3, 3, 3 }, { 4, 4, 4 } },
    [LEE2014] = { { 1, 0, 1 }, { 2, 1, 3 }, { 3, 1, 4 }, { 4, 1, 4 } },
    [PENN] = { { 1, 0, 1 }, { 1, 1, 2 }, { 2, 1, 4 }, { 4, 3, 4 } },
    [CARTOX] = { { 1, 0, 1 }, { 2, 1, 3 }, { 3, 1, 4 }, { 4, 1, 4 } },
    [MSKCC] = { { 1, 1, 1 }, { 2, 2, 3 }, { 3, 2, 4 }, { 4, 3, 4 } },
};

typedef struct model {
    double crs_alpha[N_GRADES];
    double icans_alpha[N_GRADES];
    double os_shape, os_scale, pfs_shape, pfs_scale; /* Weibull, days */
} model;

typedef struct patient {
    double age;
    int male, ecog, burden_high, ld, bridging; /* ld: 0 Flu/Cy, 1 bendamustine, 2 Cy alone */
    double dose_z, dose;
    double ldh, crp, plt, creat, ferr, anc, hgb; /* canonical units, rounded as reported */
    double z_measix, z_ldh;
} patient;

static const char *const ld_names[] = { "FLU/CY", "BENDAMUSTINE", "CY" };

static double logistic(double x) { return 1.0 / (1.0 + exp(-x)); }
static double round_to(double x, double unit) { return floor(x / unit + 0.5) * unit; }
static double clamp(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }

static int scale_of(const char *name)
{
    for (int s = 0; s < N_SCALES; s++)
        if (strcmp(scale_names[s], name) == 0) return s;
    return ASTCT;
}

/* Draws one patient's baseline; the same draws serve the calibration sample and the data. */
static void draw_baseline(gsl_rng *r, const carta_sim_product *p, patient *x)
{
    int all = strcmp(p->disease, "ALL") == 0;
    double mean = all ? 12 : strcmp(p->disease, "LBCL") == 0 ? 58 : strcmp(p->disease, "MCL") == 0 ? 65 : 61;
    double sd = all ? 5 : strcmp(p->disease, "LBCL") == 0 ? 12 : 9;
    x->age = floor(clamp(mean + gsl_ran_gaussian_ziggurat(r, sd), all ? 3 : 18, all ? 25 : 85));
    x->male = gsl_rng_uniform(r) < (all ? 0.57 : 0.62);
    double u = gsl_rng_uniform(r);
    x->ecog = u < 0.40 ? 0 : u < 0.95 ? 1 : 2;
    x->burden_high = gsl_rng_uniform(r) < 0.45;
    u = gsl_rng_uniform(r);
    x->ld = u < 0.90 ? 0 : u < 0.96 ? 1 : 2;
    x->bridging = gsl_rng_uniform(r) < 0.40;
    x->dose_z = gsl_ran_gaussian_ziggurat(r, 1.0);
    x->dose = round_to(p->dose_median * exp(0.25 * x->dose_z), 0.01);
    /* Labs are rounded to the precision a lab reports, and the models use the rounded values,
       so that scores derived from the written data reproduce the truth exactly. */
    x->ldh = fmax(50, round_to(exp(LDH_MU + gsl_ran_gaussian_ziggurat(r, LDH_SD)), 1));
    x->crp = fmax(0.01, round_to(exp(CRP_MU + gsl_ran_gaussian_ziggurat(r, CRP_SD)), 0.01));
    x->plt = fmax(5, round_to(exp(PLT_MU + gsl_ran_gaussian_ziggurat(r, PLT_SD)), 1));
    x->creat = fmax(0.2, round_to(exp(CREAT_MU + gsl_ran_gaussian_ziggurat(r, CREAT_SD)), 0.01));
    x->ferr = fmax(5, round_to(exp(FERR_MU + gsl_ran_gaussian_ziggurat(r, FERR_SD)), 1));
    x->anc = fmax(0.01, round_to(exp(ANC_MU + gsl_ran_gaussian_ziggurat(r, ANC_SD)), 0.01));
    x->hgb = round_to(clamp(10.5 + gsl_ran_gaussian_ziggurat(r, 1.5), 6, 16), 0.1);
    double log2_measix = log2(x->ldh * x->crp / x->plt);
    x->z_measix = (log2_measix - (LDH_MU + CRP_MU - PLT_MU) / LN2) /
                  (sqrt(LDH_SD * LDH_SD + CRP_SD * CRP_SD + PLT_SD * PLT_SD) / LN2);
    x->z_ldh = (log(x->ldh) - LDH_MU) / LDH_SD;
}

static double eta_crs(const patient *x)
{
    return B_CRS_MEASIX * x->z_measix + B_CRS_BURDEN * x->burden_high + B_CRS_FLUCY * (x->ld == 0) +
           B_CRS_DOSE * x->dose_z;
}
static double eta_icans(const patient *x) { return B_ICANS_MEASIX * x->z_measix + B_ICANS_BURDEN * x->burden_high; }
static double eta_surv(const patient *x)
{
    return B_SURV_ECOG * (x->ecog >= 1) + B_SURV_LDH * x->z_ldh + B_SURV_BURDEN * x->burden_high;
}

/* The intercept alpha with mean_i logistic(alpha + eta_i) = target (monotone: bisection). */
static double solve_intercept(const double *eta, size_t n, double target)
{
    double lo = -30, hi = 30;
    for (int it = 0; it < 100; it++) {
        double mid = 0.5 * (lo + hi), m = 0;
        for (size_t i = 0; i < n; i++) m += logistic(mid + eta[i]);
        if (m / (double)n < target) lo = mid; else hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* Marginal Weibull survival at t: mean_i exp(-(t/scale)^shape * exp(eta_i)). */
static double marginal_surv(const double *eta, size_t n, double shape, double scale, double t)
{
    double h = pow(t / scale, shape), m = 0;
    for (size_t i = 0; i < n; i++) m += exp(-h * exp(eta[i]));
    return m / (double)n;
}

static double solve_scale(const double *eta, size_t n, double shape, double t, double s)
{
    double lo = log(1e-3), hi = log(1e7);
    for (int it = 0; it < 100; it++) {
        double mid = 0.5 * (lo + hi);
        if (marginal_surv(eta, n, shape, exp(mid), t) < s) lo = mid; else hi = mid;
    }
    return exp(0.5 * (lo + hi));
}

/* Weibull shape and scale matching one landmark (shape 1) or two (shape solved too). */
static void solve_weibull(const double *eta, size_t n, const double *tm, const double *s, double *shape,
                          double *scale)
{
    double t1 = tm[0] * DAYS_PER_MONTH, t2 = tm[1] * DAYS_PER_MONTH;
    if (tm[1] <= 0) {
        *shape = 1;
        *scale = solve_scale(eta, n, 1, t1, s[0]);
        return;
    }
    /* With S(t1) held fixed, a larger shape lowers S(t2): bisect on the shape. */
    double lo = 0.05, hi = 5;
    for (int it = 0; it < 60; it++) {
        double k = 0.5 * (lo + hi), sc = solve_scale(eta, n, k, t1, s[0]);
        if (marginal_surv(eta, n, k, sc, t2) > s[1]) lo = k; else hi = k;
    }
    *shape = 0.5 * (lo + hi);
    *scale = solve_scale(eta, n, *shape, t1, s[0]);
}

/* Solves every product's intercepts and survival parameters on a fixed calibration sample. */
static int calibrate(const carta_sim_product *prods, int np, model *m)
{
    double *eta = carta_malloc(3 * CALIB_N * sizeof *eta);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!eta || !r) {
        carta_free(eta);
        if (r) gsl_rng_free(r);
        return CARTA_ENOMEM;
    }
    double *e_crs = eta, *e_icans = eta + CALIB_N, *e_surv = eta + 2 * CALIB_N;
    for (int k = 0; k < np; k++) {
        const carta_sim_product *p = &prods[k];
        gsl_rng_set(r, 1000003UL + (unsigned long)k);
        for (size_t i = 0; i < CALIB_N; i++) {
            patient x;
            draw_baseline(r, p, &x);
            e_crs[i] = eta_crs(&x);
            e_icans[i] = eta_icans(&x);
            e_surv[i] = eta_surv(&x);
        }
        double crs[N_GRADES] = { p->crs_any, p->crs_ge3 + SHARE_G2 * (p->crs_any - p->crs_ge3), p->crs_ge3,
                                 SHARE_G4 * p->crs_ge3 };
        double neu[N_GRADES] = { p->neuro_any, p->neuro_ge3 + SHARE_G2 * (p->neuro_any - p->neuro_ge3),
                                 p->neuro_ge3, SHARE_G4 * p->neuro_ge3 };
        for (int g = 0; g < N_GRADES; g++) {
            m[k].crs_alpha[g] = solve_intercept(e_crs, CALIB_N, crs[g]);
            m[k].icans_alpha[g] = solve_intercept(e_icans, CALIB_N, neu[g]);
        }
        solve_weibull(e_surv, CALIB_N, p->os_t, p->os_s, &m[k].os_shape, &m[k].os_scale);
        solve_weibull(e_surv, CALIB_N, p->pfs_t, p->pfs_s, &m[k].pfs_shape, &m[k].pfs_scale);
    }
    gsl_rng_free(r);
    carta_free(eta);
    return CARTA_OK;
}

/* Grade from a cumulative logit model: one uniform draw, counted against each threshold. */
static int draw_grade(gsl_rng *r, const double *alpha, double eta)
{
    double u = gsl_rng_uniform(r);
    int g = 0;
    for (int k = 0; k < N_GRADES; k++)
        if (u < logistic(alpha[k] + eta)) g = k + 1;
    return g;
}

/* The true ASTCT grade behind a grade reported on `scale`: the mapping table's point value
   with probability 0.6, otherwise another value of its [min, max] interval, uniformly. */
static int draw_astct(gsl_rng *r, int scale, int reported)
{
    if (reported == 0) return 0;
    const int *m = mapping[scale][reported - 1];
    int n_other = m[2] - m[1];
    if (n_other == 0 || gsl_rng_uniform(r) < 0.6) return m[0];
    int k = (int)gsl_rng_uniform_int(r, (unsigned long)n_other), v = m[1];
    for (;; v++) {
        if (v == m[0]) continue;
        if (k-- == 0) return v;
    }
}

/* The grade a trial on `scale` reports for true ASTCT grade a. Graders disagree (Pennisi et al.
   2020: the same grade in every system for only 25% of patients), so with probability 0.3 any
   grade whose interval holds a is drawn; otherwise the grade whose point value is nearest to a
   (ties drawn at random). Either way a stays inside the reported grade's interval. */
static int report_on_scale(gsl_rng *r, int scale, int a)
{
    if (scale == ASTCT || a == 0) return a;
    int cand[N_GRADES], nc = 0, any[N_GRADES], na = 0, best = 99;
    for (int g = 1; g <= N_GRADES; g++) {
        const int *m = mapping[scale][g - 1];
        if (a < m[1] || a > m[2]) continue;
        any[na++] = g;
        int d = abs(m[0] - a);
        if (d < best) { best = d; nc = 0; }
        if (d == best) cand[nc++] = g;
    }
    if (nc == 0) return a; /* every scale's intervals cover 1..4; kept for safety */
    if (na > 1 && gsl_rng_uniform(r) < 0.3) return any[gsl_rng_uniform_int(r, (unsigned long)na)];
    return nc == 1 ? cand[0] : cand[gsl_rng_uniform_int(r, (unsigned long)nc)];
}

/* CRS signs that give exactly ASTCT grade a under the component rule (cart.md A.4). */
typedef struct signs {
    double tmax;
    int hypot, vaso_n;
    double vaso_hours;
    const char *o2dev;
    double o2flow;
} signs;

static void draw_signs(gsl_rng *r, int a, signs *s)
{
    s->tmax = a >= 1 ? round_to(38.0 + gsl_ran_gamma(r, 2.0, 0.4), 0.1) : round_to(36.8 + 1.0 * gsl_rng_uniform(r), 0.1);
    if (a >= 1 && s->tmax < 38.0) s->tmax = 38.0;
    if (a == 0 && s->tmax >= 38.0) s->tmax = 37.9;
    /* Which of hypotension and hypoxia sets the grade; the other stays at or below it. */
    int hypo = 0, hypox = 0;
    if (a >= 2) {
        int lead = gsl_rng_uniform(r) < 0.5;
        int other = (int)gsl_rng_uniform_int(r, (unsigned long)(a + 1));
        if (other == 1) other = 0; /* level 1 does not exist for either component */
        hypo = lead ? a : other;
        hypox = lead ? other : a;
    }
    s->hypot = hypo >= 2;
    s->vaso_n = hypo == 3 ? 1 : hypo == 4 ? 2 + (gsl_rng_uniform(r) < 0.3) : 0;
    s->vaso_hours = s->vaso_n ? round_to(exp(log(20) + gsl_ran_gaussian_ziggurat(r, 0.8)), 0.5) : 0;
    static const char *const low[] = { "LOW-FLOW NASAL CANNULA", "BLOW-BY" };
    static const char *const high[] = { "HIGH-FLOW NASAL CANNULA", "FACEMASK", "NON-REBREATHER", "VENTURI MASK" };
    static const char *const pos[] = { "CPAP", "BIPAP", "MECHANICAL VENTILATION" };
    switch (hypox) {
    case 2:
        s->o2dev = low[gsl_rng_uniform(r) < 0.85 ? 0 : 1];
        s->o2flow = s->o2dev == low[0] ? (double)(1 + gsl_rng_uniform_int(r, 6)) : 0;
        break;
    case 3:
        s->o2dev = high[gsl_rng_uniform_int(r, 4)];
        s->o2flow = s->o2dev == high[0] ? (double)(8 + gsl_rng_uniform_int(r, 33)) : (double)(6 + gsl_rng_uniform_int(r, 10));
        break;
    case 4:
        s->o2dev = pos[gsl_rng_uniform_int(r, 3)];
        s->o2flow = 0;
        break;
    default:
        s->o2dev = "NONE";
        s->o2flow = 0;
    }
}

/* Day (0 = infusion) from a log-normal around median; resampled above max_day. */
static int draw_onset(gsl_rng *r, double median, double sigma, int max_day)
{
    for (int tries = 0; tries < 1000; tries++) {
        double d = floor(exp(log(median + 0.5) + gsl_ran_gaussian_ziggurat(r, sigma)));
        if (d <= max_day) return (int)d;
    }
    return max_day;
}

/* ---- Buffered CSV output with exact, locale-free number formatting. ---- */

typedef struct out {
    FILE *fp;
    const char *name;
} out;

static void put(out *o, const char *s) { fputs(s, o->fp); }
static void sep(out *o) { putc(',', o->fp); }
static void nl(out *o) { putc('\n', o->fp); }

static void put_int(out *o, long long v)
{
    char buf[24];
    int n = 0;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do { buf[n++] = (char)('0' + u % 10); u /= 10; } while (u);
    if (v < 0) putc('-', o->fp);
    while (n) putc(buf[--n], o->fp);
}

/* x rounded to `dec` decimals (0..4), written without exponent. */
static void put_fix(out *o, double x, int dec)
{
    static const double pow10[] = { 1, 10, 100, 1000, 10000 };
    long long scaled = llround(x * pow10[dec]);
    if (scaled < 0) { putc('-', o->fp); scaled = -scaled; }
    put_int(o, scaled / (long long)pow10[dec]);
    if (dec) {
        char frac[8];
        long long f = scaled % (long long)pow10[dec];
        for (int i = dec - 1; i >= 0; i--) { frac[i] = (char)('0' + f % 10); f /= 10; }
        frac[dec] = '\0';
        putc('.', o->fp);
        fputs(frac, o->fp);
    }
}

static void put_date(out *o, int64_t days)
{
    int64_t y;
    unsigned m, d;
    carta_civil_from_days(days, &y, &m, &d);
    fprintf(o->fp, "%04lld-%02u-%02u", (long long)y, m, d);
}

/* ---- The generator. ---- */

typedef struct trial {
    char id[16];
    int product, scale, signs, phase;
    int crp_mg_l, creat_umol, hgb_g_l, plt_alt, ferr_alt;
    int64_t start, cutoff; /* days since 1970 */
    long n;
} trial;

static void plan_trials(const carta_sim_options *o, const carta_sim_product *prods, int np, trial *t)
{
    double w = 0;
    for (int j = 0; j < o->trials; j++) w += prods[j % np].n_published;
    long assigned = 0;
    for (int j = 0; j < o->trials; j++) {
        const carta_sim_product *p = &prods[j % np];
        int round = j / np;
        trial *x = &t[j];
        memset(x, 0, sizeof *x);
        snprintf(x->id, sizeof x->id, "CART%03d", j + 1);
        x->product = j % np;
        /* Each product's first trial uses its pivotal trial's scale, the next one CARTOX (CD28
           products) or MSKCC, the third ASTCT, and so on. */
        int pivotal = scale_of(p->scale);
        x->scale = round % 3 == 0 ? pivotal : round % 3 == 1 ? (strcmp(p->costim, "CD28") == 0 ? CARTOX : MSKCC) : ASTCT;
        x->signs = round % 2 == 1 || x->scale == ASTCT;
        x->phase = round == 0 ? 2 : 3;
        x->crp_mg_l = j % 2;
        x->creat_umol = (j / 2) % 2;
        x->hgb_g_l = j % 3 == 2;
        x->plt_alt = j % 4 == 1;
        x->ferr_alt = j % 5 == 3;
        x->start = carta_days_from_civil(2016, 1, 1) + 60 * j;
        x->cutoff = x->start + ACCRUAL_DAYS + FOLLOW_UP_DAYS;
        x->n = (long)floor((double)o->patients * p->n_published / w);
        if (x->n < 1) x->n = 1;
        assigned += x->n;
    }
    /* Hand out the rounding remainder one patient at a time, first trials first. */
    for (int j = 0; assigned < o->patients; j = (j + 1) % o->trials, assigned++) t[j].n++;
    for (int j = o->trials - 1; assigned > o->patients; j = (j + o->trials - 1) % o->trials)
        if (t[j].n > 1) { t[j].n--; assigned--; }
}

/* splitmix64: turns (seed, trial) into well-separated mt19937 seeds. */
static unsigned long stream_seed(uint64_t seed, int index)
{
    uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (uint64_t)(index + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (unsigned long)(z & 0xffffffffUL) | 1UL;
}

void carta_sim_options_default(carta_sim_options *o)
{
    o->trials = 21;
    o->patients = 4200;
    o->seed = 20231207;
    o->force = 0;
    o->xpt = 0;
}

int carta_sim_options_check(const carta_sim_options *o, carta_error *err)
{
    if (o->trials < 1 || o->trials > 100000)
        return carta_error_set(err, CARTA_EUSAGE, NULL, "--trials must be between 1 and 100000 (got %d)", o->trials);
    if (o->patients < o->trials || o->patients > 100000000L)
        return carta_error_set(err, CARTA_EUSAGE, NULL,
                               "--patients must be at least the number of trials (%d) and at most 1e8 (got %ld)",
                               o->trials, o->patients);
    return CARTA_OK;
}

enum { F_STUDIES, F_ADSL, F_ADAE, F_ADLB, F_ADTTE, F_TRUTH, N_FILES };
static const char *const file_names[N_FILES] = { "studies.csv", "adsl.csv", "adae.csv", "adlb.csv", "adtte.csv", "truth.json" };

static void write_headers(out *f)
{
    put(&f[F_STUDIES], "STUDYID,PRODUCT,TRIAL,TARGET,COSTIM,DISEASE,PHASE,CRSSCALE,ICANSSCL,CRSSIGNS,"
                       "CRPU,CREATU,HGBU,PLATU,FERRITU,STUDYSDT,DCUTDT,NSUBJ\n");
    put(&f[F_ADSL], "STUDYID,USUBJID,SUBJID,SITEID,AGE,SEX,ECOG,DISEASE,PRODUCT,COSTIM,TUMBURD,LDREG,"
                    "BRIDGFL,DOSE,TRTSDT,SAFFL,DTHFL,DTHDT,LSTALVDT\n");
    put(&f[F_ADAE], "STUDYID,USUBJID,AESEQ,AEDECOD,AETOXGR,ASTDT,ASTDY,AESER,CRSTMAX,HYPOTFL,VASONUM,"
                    "VASODUR,O2DEV,O2FLOW,CRSDTHFL\n");
    put(&f[F_ADLB], "STUDYID,USUBJID,PARAMCD,PARAM,AVAL,AVALU,ADT,ADY,AVISIT,ABLFL,BASE\n");
    put(&f[F_ADTTE], "STUDYID,USUBJID,PARAMCD,PARAM,AVAL,AVALU,CNSR,STARTDT,ADT,EVNTDESC\n");
}

static void write_study(out *o, const trial *t, const carta_sim_product *p)
{
    put(o, t->id); sep(o); put(o, p->name); sep(o); put(o, p->trial); sep(o); put(o, p->target); sep(o);
    put(o, p->costim); sep(o); put(o, p->disease); sep(o); put_int(o, t->phase); sep(o);
    put(o, scale_names[t->scale]); sep(o); put(o, "ASTCT"); sep(o); put(o, t->signs ? "Y" : "N"); sep(o);
    put(o, t->crp_mg_l ? "mg/L" : "mg/dL"); sep(o); put(o, t->creat_umol ? "umol/L" : "mg/dL"); sep(o);
    put(o, t->hgb_g_l ? "g/L" : "g/dL"); sep(o); put(o, t->plt_alt ? "10^3/uL" : "10^9/L"); sep(o);
    put(o, t->ferr_alt ? "ug/L" : "ng/mL"); sep(o); put_date(o, t->start); sep(o); put_date(o, t->cutoff); sep(o);
    put_int(o, t->n); nl(o);
}

static void lab_rows(out *o, const trial *t, const char *usubjid, int64_t infusion, const patient *x, gsl_rng *r)
{
    /* Canonical value, factor to the trial's unit, the unit, decimals. */
    struct { const char *cd, *name; double v, f; const char *unit; int dec; } lab[] = {
        { "LDH", "Lactate Dehydrogenase", x->ldh, 1, "U/L", 0 },
        { "CRP", "C-Reactive Protein", x->crp, t->crp_mg_l ? 10 : 1, t->crp_mg_l ? "mg/L" : "mg/dL", t->crp_mg_l ? 1 : 2 },
        { "CREAT", "Creatinine", x->creat, t->creat_umol ? 88.42 : 1, t->creat_umol ? "umol/L" : "mg/dL", t->creat_umol ? 4 : 2 },
        { "PLAT", "Platelets", x->plt, 1, t->plt_alt ? "10^3/uL" : "10^9/L", 0 },
        { "FERRITIN", "Ferritin", x->ferr, 1, t->ferr_alt ? "ug/L" : "ng/mL", 0 },
        { "ANC", "Absolute Neutrophil Count", x->anc, 1, "10^9/L", 2 },
        { "HGB", "Hemoglobin", x->hgb, t->hgb_g_l ? 10 : 1, t->hgb_g_l ? "g/L" : "g/dL", t->hgb_g_l ? 0 : 1 },
    };
    for (size_t k = 0; k < sizeof lab / sizeof lab[0]; k++) {
        double base = lab[k].v * lab[k].f;
        /* Screening (day -10) varies around the pre-lymphodepletion baseline (day -5). */
        double scr = base * exp(gsl_ran_gaussian_ziggurat(r, 0.15));
        for (int visit = 0; visit < 2; visit++) {
            int ady = visit == 0 ? -10 : -5;
            put(o, t->id); sep(o); put(o, usubjid); sep(o); put(o, lab[k].cd); sep(o);
            put(o, lab[k].name); sep(o); put_fix(o, visit == 0 ? scr : base, lab[k].dec); sep(o);
            put(o, lab[k].unit); sep(o); put_date(o, infusion + ady); sep(o); put_int(o, ady); sep(o);
            put(o, visit == 0 ? "SCREENING" : "PRE-LYMPHODEPLETION"); sep(o); put(o, visit ? "Y" : "");
            sep(o); put_fix(o, base, lab[k].dec); nl(o);
        }
    }
}

static void tte_row(out *o, const trial *t, const char *usubjid, const char *cd, const char *name, int64_t infusion,
                    double days, int cnsr, const char *desc)
{
    int64_t day = (int64_t)floor(days);
    put(o, t->id); sep(o); put(o, usubjid); sep(o); put(o, cd); sep(o); put(o, name); sep(o);
    put_int(o, day + 1); sep(o); put(o, "DAYS"); sep(o); put_int(o, cnsr); sep(o); put_date(o, infusion); sep(o);
    put_date(o, infusion + day); sep(o); put(o, desc); nl(o);
}

/* Generates one trial's patients into the open files. */
static void generate_trial(const carta_sim_options *opt, int j, const trial *t, const carta_sim_product *p,
                           const model *m, gsl_rng *r, out *f, long *first_truth)
{
    gsl_rng_set(r, stream_seed(opt->seed, j));
    int pivotal = scale_of(p->scale);
    int cd28 = strcmp(p->costim, "CD28") == 0;
    for (long i = 0; i < t->n; i++) {
        patient x;
        char usubjid[64], subjid[24], site[24];
        snprintf(subjid, sizeof subjid, "%05ld", i + 1);
        snprintf(site, sizeof site, "%ld", 101 + i % 10);
        snprintf(usubjid, sizeof usubjid, "%s-%s-%s", t->id, site, subjid);
        draw_baseline(r, p, &x);
        int64_t infusion = t->start + (int64_t)gsl_rng_uniform_int(r, ACCRUAL_DAYS);

        /* Survival first: a death before CRS onset means no CRS. One uniform drives both OS
           and PFS (comonotone), so progression never follows death. */
        double u = gsl_rng_uniform_pos(r), e = exp(eta_surv(&x));
        double t_os = m->os_scale * pow(-log(u) / e, 1.0 / m->os_shape);
        double t_pfs = m->pfs_scale * pow(-log(u) / e, 1.0 / m->pfs_shape);
        int pfs_is_death = t_pfs >= t_os;
        if (pfs_is_death) t_pfs = t_os;
        double censor = (double)(t->cutoff - infusion);

        int g_piv = draw_grade(r, m->crs_alpha, eta_crs(&x));
        int astct = pivotal == ASTCT ? g_piv : draw_astct(r, pivotal, g_piv);
        int reported = t->scale == pivotal ? g_piv : report_on_scale(r, t->scale, astct);
        int onset = draw_onset(r, p->onset_median, 0.5, 14);
        if (t_os < onset) astct = reported = 0;
        signs s;
        draw_signs(r, astct, &s);
        int icans = draw_grade(r, m->icans_alpha, eta_icans(&x));
        int icans_onset = draw_onset(r, cd28 ? 4 : 6, 0.5, 28);
        if (t_os < icans_onset) icans = 0;

        int died = t_os <= censor;
        out *o = &f[F_ADSL];
        put(o, t->id); sep(o); put(o, usubjid); sep(o); put(o, subjid); sep(o); put(o, site); sep(o);
        put_int(o, (long long)x.age); sep(o); put(o, x.male ? "M" : "F"); sep(o); put_int(o, x.ecog); sep(o);
        put(o, p->disease); sep(o); put(o, p->name); sep(o); put(o, p->costim); sep(o);
        put(o, x.burden_high ? "HIGH" : "LOW"); sep(o); put(o, ld_names[x.ld]); sep(o);
        put(o, x.bridging ? "Y" : "N"); sep(o); put_fix(o, x.dose, 2); sep(o); put_date(o, infusion); sep(o);
        put(o, "Y"); sep(o); put(o, died ? "Y" : "N"); sep(o);
        if (died) put_date(o, infusion + (int64_t)floor(t_os));
        sep(o); put_date(o, died ? infusion + (int64_t)floor(t_os) : t->cutoff); nl(o);

        o = &f[F_ADAE];
        int seq = 0;
        if (reported > 0) {
            put(o, t->id); sep(o); put(o, usubjid); sep(o); put_int(o, ++seq); sep(o);
            put(o, "Cytokine release syndrome"); sep(o); put_int(o, reported); sep(o);
            put_date(o, infusion + onset); sep(o); put_int(o, onset); sep(o); put(o, reported >= 3 ? "Y" : "N"); sep(o);
            if (t->signs) {
                put_fix(o, s.tmax, 1); sep(o); put(o, s.hypot ? "Y" : "N"); sep(o); put_int(o, s.vaso_n); sep(o);
                put_fix(o, s.vaso_hours, 1); sep(o); put(o, s.o2dev); sep(o); put_fix(o, s.o2flow, 0); sep(o);
                put(o, "N");
            } else {
                put(o, ",,,,,,");
            }
            nl(o);
        }
        if (icans > 0) {
            put(o, t->id); sep(o); put(o, usubjid); sep(o); put_int(o, ++seq); sep(o);
            put(o, "Immune effector cell-associated neurotoxicity syndrome"); sep(o); put_int(o, icans); sep(o);
            put_date(o, infusion + icans_onset); sep(o); put_int(o, icans_onset); sep(o);
            put(o, icans >= 3 ? "Y" : "N"); put(o, ",,,,,,,"); nl(o);
        }

        lab_rows(&f[F_ADLB], t, usubjid, infusion, &x, r);

        o = &f[F_ADTTE];
        tte_row(o, t, usubjid, "OS", "Overall Survival", infusion, died ? t_os : censor, !died, died ? "DEATH" : "CENSORED");
        int pfs_event = t_pfs <= censor;
        tte_row(o, t, usubjid, "PFS", "Progression-Free Survival", infusion, pfs_event ? t_pfs : censor, !pfs_event,
                !pfs_event ? "CENSORED" : pfs_is_death ? "DEATH" : "PROGRESSION");
        if (reported > 0) tte_row(o, t, usubjid, "TTCRS", "Time to CRS Onset", infusion, onset, 0, "CRS");
        else if (t_os < 28) tte_row(o, t, usubjid, "TTCRS", "Time to CRS Onset", infusion, t_os, 1, "DEATH");
        else tte_row(o, t, usubjid, "TTCRS", "Time to CRS Onset", infusion, 27, 1, "CENSORED");

        o = &f[F_TRUTH];
        if ((*first_truth)++) putc(',', o->fp);
        put_int(o, astct);
    }
}

/* The model part of truth.json (everything but the per-patient grades). */
static int truth_model(const carta_sim_options *opt, const carta_sim_product *prods, int np, const model *m,
                       char **text, carta_error *err)
{
    carta_jsonw *w = carta_jsonw_new(2);
    if (!w) return carta_error_set(err, CARTA_ENOMEM, NULL, "no memory for truth.json");
    carta_jsonw_begin_object(w);
    carta_jsonw_kstring(w, "generator", "carta simulate");
    carta_jsonw_kint(w, "seed", (int64_t)opt->seed);
    carta_jsonw_kint(w, "trials", opt->trials);
    carta_jsonw_kint(w, "patients", opt->patients);
    carta_jsonw_key(w, "crs_model");
    carta_jsonw_begin_object(w);
    carta_jsonw_kstring(w, "type", "cumulative logit: logit P(reported grade >= k) = intercept[product][k] + sum(coef * x); "
                                   "grade reported on the product's pivotal-trial scale");
    carta_jsonw_key(w, "coefficients");
    carta_jsonw_begin_object(w);
    carta_jsonw_knumber(w, "z_log2_m_easix", B_CRS_MEASIX);
    carta_jsonw_knumber(w, "tumour_burden_high", B_CRS_BURDEN);
    carta_jsonw_knumber(w, "ld_flu_cy", B_CRS_FLUCY);
    carta_jsonw_knumber(w, "z_dose", B_CRS_DOSE);
    carta_jsonw_end_object(w);
    carta_jsonw_knumber(w, "log2_m_easix_mean", (LDH_MU + CRP_MU - PLT_MU) / LN2);
    carta_jsonw_knumber(w, "log2_m_easix_sd", sqrt(LDH_SD * LDH_SD + CRP_SD * CRP_SD + PLT_SD * PLT_SD) / LN2);
    carta_jsonw_kstring(w, "z_dose", "log(DOSE / product dose_median) / 0.25");
    carta_jsonw_knumber(w, "share_grade2_of_nonsevere", SHARE_G2);
    carta_jsonw_knumber(w, "share_grade4_of_severe", SHARE_G4);
    carta_jsonw_knumber(w, "astct_point_probability", 0.6);
    carta_jsonw_end_object(w);
    carta_jsonw_key(w, "icans_model");
    carta_jsonw_begin_object(w);
    carta_jsonw_kstring(w, "type", "cumulative logit on the ASTCT ICANS grade");
    carta_jsonw_key(w, "coefficients");
    carta_jsonw_begin_object(w);
    carta_jsonw_knumber(w, "z_log2_m_easix", B_ICANS_MEASIX);
    carta_jsonw_knumber(w, "tumour_burden_high", B_ICANS_BURDEN);
    carta_jsonw_end_object(w);
    carta_jsonw_end_object(w);
    carta_jsonw_key(w, "survival_model");
    carta_jsonw_begin_object(w);
    carta_jsonw_kstring(w, "type", "Weibull proportional hazards: S(t|x) = exp(-(t/scale)^shape * exp(sum(coef * x))), "
                                   "t in days; OS and PFS share one uniform draw");
    carta_jsonw_key(w, "coefficients");
    carta_jsonw_begin_object(w);
    carta_jsonw_knumber(w, "ecog_ge_1", B_SURV_ECOG);
    carta_jsonw_knumber(w, "z_log_ldh", B_SURV_LDH);
    carta_jsonw_knumber(w, "tumour_burden_high", B_SURV_BURDEN);
    carta_jsonw_end_object(w);
    carta_jsonw_knumber(w, "log_ldh_mean", LDH_MU);
    carta_jsonw_knumber(w, "log_ldh_sd", LDH_SD);
    carta_jsonw_end_object(w);
    carta_jsonw_key(w, "products");
    carta_jsonw_begin_array(w);
    for (int k = 0; k < np; k++) {
        carta_jsonw_begin_object(w);
        carta_jsonw_kstring(w, "product", prods[k].name);
        carta_jsonw_kstring(w, "pivotal_scale", prods[k].scale);
        carta_jsonw_knumber(w, "crs_any_published", prods[k].crs_any);
        carta_jsonw_knumber(w, "crs_ge3_published", prods[k].crs_ge3);
        carta_jsonw_knumbers(w, "crs_intercepts", m[k].crs_alpha, N_GRADES);
        carta_jsonw_knumbers(w, "icans_intercepts", m[k].icans_alpha, N_GRADES);
        carta_jsonw_knumber(w, "os_shape", m[k].os_shape);
        carta_jsonw_knumber(w, "os_scale_days", m[k].os_scale);
        carta_jsonw_knumber(w, "pfs_shape", m[k].pfs_shape);
        carta_jsonw_knumber(w, "pfs_scale_days", m[k].pfs_scale);
        carta_jsonw_knumber(w, "dose_median", prods[k].dose_median);
        carta_jsonw_end_object(w);
    }
    carta_jsonw_end_array(w);
    carta_jsonw_end_object(w);
    const char *t;
    int rc = carta_jsonw_finish(w, &t, NULL, err);
    if (rc == CARTA_OK) *text = carta_jsonw_take(w);
    carta_jsonw_free(w);
    return rc;
}

/* Replaces each CSV table of the folder by its SAS XPORT v5 version. */
static int convert_to_xpt(const char *dir, carta_error *err)
{
    static const char *const tables[] = { "studies", "adsl", "adae", "adlb", "adtte" };
    int rc = CARTA_OK;
    for (size_t k = 0; k < sizeof tables / sizeof tables[0] && !rc; k++) {
        char csv[64], xpt[64], member[16];
        snprintf(csv, sizeof csv, "%s.csv", tables[k]);
        snprintf(xpt, sizeof xpt, "%s.xpt", tables[k]);
        size_t i = 0;
        for (; tables[k][i] && i < sizeof member - 1; i++) member[i] = (char)(tables[k][i] - ('a' - 'A'));
        member[i] = '\0';
        char *pc = carta_path_resolve(dir, csv), *px = carta_path_resolve(dir, xpt);
        carta_table *t = NULL;
        if (!pc || !px) rc = carta_error_set(err, CARTA_ENOMEM, NULL, "simulate: no memory");
        /* Identifiers with leading zeros stay text. */
        static const char *const text_cols[] = { "SUBJID", "SITEID" };
        static const carta_type text_types[] = { CARTA_STR, CARTA_STR };
        carta_csv_options co;
        carta_csv_options_default(&co);
        co.n_types = 2;
        co.type_names = text_cols;
        co.types = text_types;
        if (!rc) rc = carta_csv_read(pc, csv, &co, &t, err);
        if (!rc) rc = carta_xpt_write(t, px, member, 1, err);
        if (!rc) remove(pc);
        carta_table_free(t);
        carta_free(pc);
        carta_free(px);
    }
    return rc;
}

int carta_simulate(const carta_sim_options *opt, const char *dir, carta_error *err)
{
    int rc = carta_sim_options_check(opt, err);
    if (rc) return rc;
    int np;
    const carta_sim_product *prods = carta_sim_products(&np);
    model *m = carta_calloc((size_t)np, sizeof *m);
    trial *t = carta_calloc((size_t)opt->trials, sizeof *t);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    char *head = NULL;
    out f[N_FILES];
    memset(f, 0, sizeof f);
    carta_outdir od;
    memset(&od, 0, sizeof od);
    if (!m || !t || !r) { rc = carta_error_set(err, CARTA_ENOMEM, NULL, "simulate: no memory"); goto done; }
    if ((rc = calibrate(prods, np, m)) != CARTA_OK) {
        carta_error_set(err, rc, NULL, "simulate: no memory for the calibration sample");
        goto done;
    }
    plan_trials(opt, prods, np, t);
    if ((rc = truth_model(opt, prods, np, m, &head, err)) != CARTA_OK) goto done;
    if ((rc = carta_outdir_open(&od, dir, opt->force, err)) != CARTA_OK) goto done;
    for (int k = 0; k < N_FILES; k++) {
        char *path = carta_path_resolve(od.tmp, file_names[k]);
        f[k].name = file_names[k];
        f[k].fp = path ? fopen(path, "w") : NULL;
        int e = errno;
        carta_free(path);
        if (!f[k].fp) {
            carta_where at = { .file = file_names[k] };
            rc = carta_error_set(err, CARTA_EIO, &at, "cannot write: %s", strerror(e));
            goto done;
        }
        setvbuf(f[k].fp, NULL, _IOFBF, 1 << 20);
    }
    write_headers(f);
    /* truth.json: the model object with the per-patient grades appended as its last key. */
    size_t hl = strlen(head);
    while (hl && (head[hl - 1] == '\n' || head[hl - 1] == '}')) hl--;
    fwrite(head, 1, hl, f[F_TRUTH].fp);
    put(&f[F_TRUTH], ",\n  \"astct_crs_grade_order\": \"adsl.csv rows\",\n  \"astct_crs_grade\": [");
    long n_truth = 0;
    for (int j = 0; j < opt->trials; j++) {
        write_study(&f[F_STUDIES], &t[j], &prods[t[j].product]);
        generate_trial(opt, j, &t[j], &prods[t[j].product], &m[t[j].product], r, f, &n_truth);
    }
    put(&f[F_TRUTH], "]\n}\n");
    for (int k = 0; k < N_FILES; k++) {
        int bad = ferror(f[k].fp);
        if (fclose(f[k].fp) != 0) bad = 1;
        f[k].fp = NULL;
        if (bad && !rc) {
            carta_where at = { .file = file_names[k] };
            rc = carta_error_set(err, CARTA_EIO, &at, "write failed (disk full?)");
        }
    }
    if (!rc && opt->xpt) rc = convert_to_xpt(od.tmp, err);
    if (!rc) rc = carta_outdir_commit(&od, err);
done:
    for (int k = 0; k < N_FILES; k++)
        if (f[k].fp) fclose(f[k].fp);
    if (rc && od.tmp) carta_outdir_abort(&od);
    carta_free(head);
    if (r) gsl_rng_free(r);
    carta_free(t);
    carta_free(m);
    return rc;
}
