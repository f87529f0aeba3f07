/* carta: the command-line driver. It parses argv, calls one library entry point, prints the
   error message and maps the status to an exit code. Nothing else lives here. */
#include <carta/carta.h>
#include <carta/export.h>
#include <carta/run.h>
#include <carta/simulate.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Exit codes (README "Exit codes"): 0 success, 1 a check failed, 2 usage or config error,
   3 I/O error; any other failure (memory, numerics, a dependency) is 4. */
static int exit_code(int rc)
{
    switch (rc) {
    case CARTA_OK: return 0;
    case CARTA_EDATA:
    case CARTA_ECHECK: return 1;
    case CARTA_EUSAGE:
    case CARTA_ECONFIG: return 2;
    case CARTA_EIO: return 3;
    default: return 4;
    }
}

typedef struct cli {
    int quiet;
    int force;
    const char *out;
} cli;

typedef struct command {
    const char *name;
    const char *usage;
    const char *help;
    int (*run)(int argc, char **argv, const cli *o, carta_error *err);
} command;

static const command *commands(size_t *n);

/* Writes a help text with every line indented by indent (the texts' own leading blanks on
   continuation lines are replaced). */
static void print_help(FILE *fp, const char *help, const char *indent)
{
    for (const char *p = help; *p;) {
        while (*p == ' ') p++;
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        fprintf(fp, "%s%.*s\n", indent, (int)len, p);
        p += len;
        if (*p == '\n') p++;
    }
}

static void print_usage(FILE *fp)
{
    size_t n;
    const command *c = commands(&n);
    fprintf(fp, "usage: carta <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < n; i++) {
        fprintf(fp, "  carta %s\n", c[i].usage);
        print_help(fp, c[i].help, "      ");
    }
    fprintf(fp, "\noptions:\n"
                "  --help      show help (also after a command)\n"
                "  --version   print carta's version and every linked library's\n"
                "  --quiet     no progress or log lines on stderr\n"
                "\nexit codes: 0 success, 1 a check failed, 2 usage or config error, 3 I/O error,\n"
                "            4 any other failure (memory, numerics, a dependency)\n");
}

static int cmd_version(int argc, char **argv, const cli *o, carta_error *err)
{
    (void)argc; (void)argv; (void)o; (void)err;
    char buf[2048];
    fputs(carta_versions(buf, sizeof buf), stdout);
    return CARTA_OK;
}

/* Parses a whole decimal number in [lo, hi] for option `opt`; CARTA_EUSAGE otherwise. */
static int parse_long(const char *opt, const char *text, long lo, long hi, long *out, carta_error *err)
{
    char *end;
    errno = 0;
    long v = text ? strtol(text, &end, 10) : 0;
    if (!text || errno || end == text || *end || v < lo || v > hi)
        return carta_error_set(err, CARTA_EUSAGE, NULL, "%s expects a whole number from %ld to %ld (got \"%s\")",
                               opt, lo, hi, text ? text : "");
    *out = v;
    return CARTA_OK;
}

static int cmd_simulate(int argc, char **argv, const cli *o, carta_error *err)
{
    carta_sim_options so;
    carta_sim_options_default(&so);
    so.force = o->force;
    const char *dir = NULL;
    long v;
    int rc;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--trials") == 0) {
            if ((rc = parse_long(a, val, 1, 100000, &v, err))) return rc;
            so.trials = (int)v;
            i++;
        } else if (strcmp(a, "--patients") == 0) {
            if ((rc = parse_long(a, val, 1, 100000000L, &v, err))) return rc;
            so.patients = v;
            i++;
        } else if (strcmp(a, "--seed") == 0) {
            if ((rc = parse_long(a, val, 0, 2147483647L, &v, err))) return rc;
            so.seed = (uint64_t)v;
            i++;
        } else if (strcmp(a, "--format") == 0) {
            if (!val || (strcmp(val, "csv") != 0 && strcmp(val, "xpt") != 0))
                return carta_error_set(err, CARTA_EUSAGE, NULL, "--format: expected csv or xpt (got \"%s\")",
                                       val ? val : "");
            so.xpt = strcmp(val, "xpt") == 0;
            i++;
        } else if (a[0] == '-') {
            return carta_error_set(err, CARTA_EUSAGE, NULL, "simulate: unknown option %s", a);
        } else if (!dir) {
            dir = a;
        } else {
            return carta_error_set(err, CARTA_EUSAGE, NULL, "simulate: one output folder expected, got %s and %s", dir, a);
        }
    }
    if (!dir) return carta_error_set(err, CARTA_EUSAGE, NULL, "simulate: missing the output folder (see carta simulate --help)");
    if ((rc = carta_simulate(&so, dir, err)) != CARTA_OK) return rc;
    if (!o->quiet)
        fprintf(stderr, "carta: wrote %ld patients in %d trials (seed %" PRIu64 ") to %s\n", so.patients, so.trials,
                so.seed, dir);
    return CARTA_OK;
}

/* Takes --threads N out of argv (shared by the commands that run the pipeline). */
static int take_common(int *argc, char **argv, carta_run_opts *ro, carta_error *err)
{
    int k = 0, rc;
    long v;
    for (int i = 0; i < *argc; i++) {
        if (strcmp(argv[i], "--threads") == 0) {
            if ((rc = parse_long("--threads", i + 1 < *argc ? argv[i + 1] : NULL, 0, 1024, &v, err))) return rc;
            ro->threads = (int)v;
            i++;
        } else {
            argv[k++] = argv[i];
        }
    }
    *argc = k;
    return CARTA_OK;
}

static int cmd_validate(int argc, char **argv, const cli *o, carta_error *err)
{
    carta_run_opts ro = { .force = o->force, .quiet = o->quiet, .log = stderr };
    int rc = take_common(&argc, argv, &ro, err);
    if (rc) return rc;
    if (argc != 1 || argv[0][0] == '-')
        return carta_error_set(err, CARTA_EUSAGE, NULL, "validate: expected one CONFIG (see carta validate --help)");
    return carta_validate_command(argv[0], &ro, stdout, err);
}

static int cmd_run(int argc, char **argv, const cli *o, carta_error *err)
{
    carta_run_opts ro = { .force = o->force, .quiet = o->quiet, .progress = isatty(STDERR_FILENO), .log = stderr };
    int rc = take_common(&argc, argv, &ro, err);
    if (rc) return rc;
    if (argc != 1 || argv[0][0] == '-')
        return carta_error_set(err, CARTA_EUSAGE, NULL, "run: expected one CONFIG (see carta run --help)");
    return carta_run_command(argv[0], &ro, err);
}

static int cmd_verify(int argc, char **argv, const cli *o, carta_error *err)
{
    carta_run_opts ro = { .quiet = o->quiet, .progress = isatty(STDERR_FILENO), .log = stderr };
    int rc = take_common(&argc, argv, &ro, err);
    if (rc) return rc;
    if (argc != 1 || argv[0][0] == '-')
        return carta_error_set(err, CARTA_EUSAGE, NULL, "verify: expected one CARD (see carta verify --help)");
    return carta_verify_command(argv[0], 1e-9, &ro, stdout, err);
}

static int cmd_describe(int argc, char **argv, const cli *o, carta_error *err)
{
    carta_run_opts ro = { .quiet = o->quiet, .log = stderr };
    int rc = take_common(&argc, argv, &ro, err), json = 0;
    const char *by = NULL, *config = NULL;
    if (rc) return rc;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) json = 1;
        else if (strcmp(argv[i], "--by") == 0 && i + 1 < argc) by = argv[++i];
        else if (argv[i][0] == '-' || config)
            return carta_error_set(err, CARTA_EUSAGE, NULL, "describe: unexpected argument %s (see carta describe --help)", argv[i]);
        else config = argv[i];
    }
    if (!config) return carta_error_set(err, CARTA_EUSAGE, NULL, "describe: expected one CONFIG");
    return carta_describe_command(config, by, json, &ro, stdout, err);
}

/* Parses a number for option opt; CARTA_EUSAGE otherwise. */
static int parse_double(const char *opt, const char *text, double *out, carta_error *err)
{
    char *end;
    errno = 0;
    double v = text ? strtod(text, &end) : 0;
    if (!text || errno || end == text || *end)
        return carta_error_set(err, CARTA_EUSAGE, NULL, "%s expects a number (got \"%s\")", opt, text ? text : "");
    *out = v;
    return CARTA_OK;
}

static int cmd_predict(int argc, char **argv, const cli *o, carta_error *err)
{
    carta_run_opts ro = { .force = o->force, .quiet = o->quiet, .log = stderr };
    int rc = take_common(&argc, argv, &ro, err);
    const char *pos[2] = { NULL, NULL }, *model = NULL, *out = NULL;
    double times[64];
    size_t nt = 0;
    int np = 0;
    if (rc) return rc;
    for (int i = 0; i < argc; i++) {
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--model") == 0 && val) model = argv[++i];
        else if (strcmp(argv[i], "--out") == 0 && val) out = argv[++i];
        else if (strcmp(argv[i], "--time") == 0 && val) {
            if (nt == sizeof times / sizeof times[0])
                return carta_error_set(err, CARTA_EUSAGE, NULL, "predict: at most %zu --time values", nt);
            if ((rc = parse_double("--time", argv[++i], &times[nt++], err))) return rc;
        } else if (argv[i][0] == '-' || np == 2) {
            return carta_error_set(err, CARTA_EUSAGE, NULL, "predict: unexpected argument %s (see carta predict --help)", argv[i]);
        } else {
            pos[np++] = argv[i];
        }
    }
    if (np != 2) return carta_error_set(err, CARTA_EUSAGE, NULL, "predict: expected MODEL_DIR and DATA");
    return carta_predict_command(pos[0], pos[1], model, nt ? times : NULL, nt, out, o->force, &ro, err);
}

/* MODEL_DIR [--out FILE], shared by the two exports. */
static int export_args(int argc, char **argv, const char *what, const char **dir, const char **out, carta_error *err)
{
    *dir = *out = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) *out = argv[++i];
        else if (argv[i][0] == '-' || *dir)
            return carta_error_set(err, CARTA_EUSAGE, NULL, "%s: unexpected argument %s", what, argv[i]);
        else *dir = argv[i];
    }
    if (!*dir) return carta_error_set(err, CARTA_EUSAGE, NULL, "%s: expected MODEL_DIR (a run folder)", what);
    return CARTA_OK;
}

static int cmd_notebook(int argc, char **argv, const cli *o, carta_error *err)
{
    const char *dir, *out;
    int rc = export_args(argc, argv, "export-notebook", &dir, &out, err);
    return rc ? rc : carta_notebook_command(dir, out, o->force, err);
}

static int cmd_mct(int argc, char **argv, const cli *o, carta_error *err)
{
    const char *dir, *out;
    int rc = export_args(argc, argv, "export-mct", &dir, &out, err);
    return rc ? rc : carta_mct_command(dir, out, o->force, err);
}

static const command table[] = {
    { "predict", "predict [--model NAME] [--time T]... [--out FILE] [--force] MODEL_DIR DATA",
      "score new patients with a saved run: its design and a model (default the first predictive\n"
      "    one); probabilities, or for Cox the linear predictor and S(t) at --time values", cmd_predict },
    { "export-notebook", "export-notebook [--out FILE] [--force] MODEL_DIR",
      "write a Jupyter notebook (nbformat 4) of a run: the card's text and code that redraws its\n"
      "    plots from the run folder (default notebooks-export/<name>.ipynb)", cmd_notebook },
    { "export-mct", "export-mct [--out FILE] [--force] MODEL_DIR",
      "write the card in the model-card-toolkit JSON layout (the subset its schema allows)", cmd_mct },
    { "describe", "describe [--by COLUMN] [--json] CONFIG",
      "print the cohort flow and a Table 1 of the analysis dataset: n, mean (SD), median [IQR],\n"
      "    range and missing for numbers, n (%) per level for text; overall or by a column", cmd_describe },
    { "run", "run [--force] [--threads N] CONFIG",
      "run the experiment: load, validate, harmonize, build the cohort and design, fit every\n"
      "    model, validate by resampling, and write the run folder (card.json, card.md, ...)", cmd_run },
    { "verify", "verify [--threads N] CARD",
      "re-run the experiment a card.json pins (checking every data file's hash first) and\n"
      "    print each difference as JSON; exit 1 on any drift", cmd_verify },
    { "validate", "validate [--threads N] CONFIG",
      "load every table the config names, check it against its schema, harmonize when the config\n"
      "    asks; print a per-table report (rows, columns, types, missing counts, errors);\n"
      "    exit 1 when anything is invalid", cmd_validate },
    { "simulate", "simulate [--trials N] [--patients N] [--seed S] [--format csv|xpt] [--force] DIR",
      "write a synthetic multi-trial CAR-T cohort (studies, ADSL, ADAE, ADLB, ADTTE, truth.json)\n"
      "    defaults: --trials 21 --patients 4200 --seed 20231207 --format csv", cmd_simulate },
    { "version", "version", "same as --version", cmd_version },
};

static const command *commands(size_t *n)
{
    *n = sizeof table / sizeof table[0];
    return table;
}

int main(int argc, char **argv)
{
    carta_init();
    cli o = { 0 };
    carta_error err;
    carta_error_clear(&err);

    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        print_usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) return exit_code(cmd_version(0, NULL, &o, &err));

    size_t n;
    const command *c = commands(&n), *cmd = NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(argv[1], c[i].name) == 0) cmd = &c[i];
    if (!cmd) {
        fprintf(stderr, "carta: unknown command \"%s\" (see carta --help)\n", argv[1]);
        return 2;
    }

    /* Options common to every command are taken out here; the rest goes to the command. */
    char **rest = calloc((size_t)argc, sizeof *rest);
    int nrest = 0;
    if (!rest) return 4;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: carta %s\n\n", cmd->usage);
            print_help(stdout, cmd->help, "");
            free(rest);
            return 0;
        } else if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0) {
            o.quiet = 1;
        } else if (strcmp(argv[i], "--force") == 0) {
            o.force = 1;
        } else {
            rest[nrest++] = argv[i];
        }
    }
    int rc = cmd->run(nrest, rest, &o, &err);
    free(rest);
    if (rc != CARTA_OK) {
        fprintf(stderr, "carta: %s\n", err.msg[0] ? err.msg : carta_strerror(rc));
    }
    return exit_code(rc);
}
