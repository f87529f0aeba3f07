/* carta: the command-line driver. It parses argv, calls one library entry point, prints the
   error message and maps the status to an exit code. Nothing else lives here. */
#include <carta/carta.h>

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

static void print_usage(FILE *fp)
{
    size_t n;
    const command *c = commands(&n);
    fprintf(fp, "usage: carta <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < n; i++) fprintf(fp, "  %-44s %s\n", c[i].usage, c[i].help);
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

static const command table[] = {
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
            printf("usage: carta %s\n\n%s\n", cmd->usage, cmd->help);
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
