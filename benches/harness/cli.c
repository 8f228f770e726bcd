/* cli.c: the command line every bench shares, plus the bench's own flags. */
#define _GNU_SOURCE
#include "harness_internal.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TL__REPS_MAX 1000000
#define TL__MIN_TIME_MAX_S 3600.0
#define TL__THREADS_DEFAULT "1-Px2"

enum {
    OPT_HELP = 'h',
    OPT_QUICK = 256,
    OPT_REPS,
    OPT_MIN_TIME,
    OPT_THREADS,
    OPT_PIN,
    OPT_OUT,
    OPT_MACHINE,
    OPT_QUIET,
    OPT_DESCRIBE,
    OPT_PRINT_MACHINE_NAME,
    OPT_SECTION,
    OPT_NO_OPENMP,
    OPT_NO_GLIB,
    OPT_RUN_INDEX,
    OPT_COMBINE,
    OPT_COMBINE_FROM,
    OPT_PLAN,
    OPT_PLAN_JSON,
    OPT_EXTRA = 512 /* + index in spec->flags */
};

static void list_choices(const char *const *choices, char *buf, size_t size);

/* Which benches a common flag is for. */
enum { FOR_ALL, FOR_SECTIONS, FOR_OPENMP, FOR_GLIB };

/* The common flags, in --help order. */
static const struct common_flag {
    const char *name;
    int val;
    const char *metavar; /* NULL: a switch */
    int for_benches;
} common_flags[] = {
    { "help", OPT_HELP, NULL, FOR_ALL },
    { "quick", OPT_QUICK, NULL, FOR_ALL },
    { "reps", OPT_REPS, "N", FOR_ALL },
    { "min-time", OPT_MIN_TIME, "S", FOR_ALL },
    { "threads", OPT_THREADS, "LIST", FOR_ALL },
    { "pin", OPT_PIN, "POLICY", FOR_ALL },
    { "out", OPT_OUT, "DIR", FOR_ALL },
    { "machine", OPT_MACHINE, "NAME", FOR_ALL },
    { "quiet", OPT_QUIET, NULL, FOR_ALL },
    { "describe", OPT_DESCRIBE, NULL, FOR_ALL },
    { "print-machine-name", OPT_PRINT_MACHINE_NAME, NULL, FOR_ALL },
    { "section", OPT_SECTION, "NAME", FOR_SECTIONS },
    { "no-openmp", OPT_NO_OPENMP, NULL, FOR_OPENMP },
    { "no-glib", OPT_NO_GLIB, NULL, FOR_GLIB },
    /* Runs and plan mode (runs.c, plan.c). */
    { "run-index", OPT_RUN_INDEX, "I", FOR_ALL },
    { "combine", OPT_COMBINE, "DIRS", FOR_ALL },
    { "combine-from", OPT_COMBINE_FROM, "DIR", FOR_ALL },
    { "plan", OPT_PLAN, "json", FOR_ALL }, /* optional: --plan or --plan=json */
    { "plan-json", OPT_PLAN_JSON, "FILE", FOR_ALL },
};
#define TL__RUN_INDEX_MAX 1000000
#define N_COMMON (sizeof common_flags / sizeof *common_flags)

/* Whether the bench takes the common flag. */
static bool takes(const tl_bench_spec *spec, const struct common_flag *flag)
{
    switch (flag->for_benches) {
    case FOR_SECTIONS:
        return spec->section_flag;
    case FOR_OPENMP:
        return spec->uses & TL_USES_OPENMP;
    case FOR_GLIB:
        return spec->uses & TL_USES_GLIB;
    default:
        return true;
    }
}

/* Whether name is "all" or one of the spec's sections. */
static bool is_section(const tl_bench_spec *spec, const char *name)
{
    if (strcmp(name, "all") == 0)
        return true;
    for (const tl_bench_section *s = spec->sections; s && s->name; s++)
        if (strcmp(s->name, name) == 0)
            return true;
    return false;
}

/* "grain, batch or round_trip": the sections, for messages and --help. */
static void list_sections(const tl_bench_spec *spec, char *buf, size_t size)
{
    const char *names[64];
    size_t n = 0;
    for (const tl_bench_section *s = spec->sections; s && s->name && n < 63; s++)
        names[n++] = s->name;
    names[n] = NULL;
    list_choices(names, buf, size);
}

static size_t count_extra(const tl_bench_spec *spec)
{
    size_t n = 0;
    while (spec->flags && spec->flags[n].name)
        n++;
    return n;
}

static bool is_switch(const tl_bench_flag *flag)
{
    return flag->switch_value != NULL;
}

/* The name of the flag behind a getopt value, for messages. */
static const char *flag_name(const tl_bench_spec *spec, int val)
{
    for (size_t i = 0; i < N_COMMON; i++)
        if (common_flags[i].val == val)
            return common_flags[i].name;
    if (val >= OPT_EXTRA && (size_t)(val - OPT_EXTRA) < count_extra(spec))
        return spec->flags[val - OPT_EXTRA].name;
    return "?";
}

/* ---- messages ------------------------------------------------------------------ */

static int fail(char *err, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
    /* What the user typed is quoted back: a newline or escape in it must
     * not break the one-line message or the terminal. */
    for (char *p = err; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return EINVAL;
}

/* "cpu, mem or io" */
static void list_choices(const char *const *choices, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; choices[i] && len < size; i++) {
        const char *sep = i == 0 ? "" : choices[i + 1] ? ", " : " or ";
        len += (size_t)snprintf(buf + len, size - len, "%s%s", sep, choices[i]);
    }
}

/* A bound of a flag as its user writes it: sizes in the largest unit that
 * divides them ("1M", not 1.04858e+06), other numbers with %g. */
static void format_bound(const tl_bench_flag *flag, double value, char *buf,
                         size_t size)
{
    static const char units[] = "KMGT";
    int unit = -1;
    double scaled = value;
    while (flag->size_value && unit < 3 && scaled >= 1024 &&
           fmod(scaled, 1024) == 0) {
        scaled /= 1024;
        unit++;
    }
    if (unit >= 0)
        snprintf(buf, size, "%.0f%c", scaled, units[unit]);
    else if (flag->size_value)
        snprintf(buf, size, "%.0f", value);
    else
        snprintf(buf, size, "%g", value);
}

/* What a bench flag accepts, in words: "an integer from 1 to 64". */
static void describe_flag(const tl_bench_flag *flag, char *buf, size_t size)
{
    bool bounded = flag->min != 0 || flag->max != 0;
    const char *what = flag->long_value     ? "an integer"
                       : flag->size_value   ? "a size in bytes (4096, 64K, 8M, 1G)"
                       : flag->double_value ? "a number"
                                            : "a value";
    if (flag->string_value && flag->choices) {
        list_choices(flag->choices, buf, size);
        return;
    }
    if (flag->string_value) {
        snprintf(buf, size, "a non-empty value");
    } else if (!bounded) {
        snprintf(buf, size, "%s >= 0", what);
    } else {
        char lo[32], hi[32];
        format_bound(flag, flag->min, lo, sizeof lo);
        format_bound(flag, flag->max, hi, sizeof hi);
        snprintf(buf, size, "%s from %s to %s", what, lo, hi);
    }
}

/* ---- values ---------------------------------------------------------------------- */

static bool in_bounds(const tl_bench_flag *flag, double value)
{
    if (flag->min == 0 && flag->max == 0)
        return value >= 0;
    return value >= flag->min && value <= flag->max;
}

static bool is_choice(const char *const *choices, const char *text)
{
    for (size_t i = 0; choices[i]; i++)
        if (strcmp(choices[i], text) == 0)
            return true;
    return false;
}

/* Parses the value of a bench flag into its target. */
static int set_extra(const tl_bench_flag *flag, const char *text, char *err,
                     size_t size)
{
    char accepts[256];
    long l;
    double d;
    size_t z;
    if (flag->long_value && tl_parse_long(text, &l) == 0 &&
        in_bounds(flag, (double)l)) {
        *flag->long_value = l;
        return 0;
    }
    if (flag->double_value && tl_parse_double(text, &d) == 0 &&
        in_bounds(flag, d)) {
        *flag->double_value = d;
        return 0;
    }
    if (flag->size_value && tl_parse_size_bytes(text, &z) == 0 &&
        in_bounds(flag, (double)z)) {
        *flag->size_value = z;
        return 0;
    }
    if (flag->string_value && *text &&
        (!flag->choices || is_choice(flag->choices, text))) {
        *flag->string_value = text;
        return 0;
    }
    describe_flag(flag, accepts, sizeof accepts);
    return fail(err, size, "--%s: expected %s, got '%s'", flag->name, accepts,
                text);
}

/* Keeps a copy of text in *slot (a flag given twice: the last wins). */
static int keep(char **slot, const char *flag, const char *text, char *err,
                size_t size)
{
    if (!*text)
        return fail(err, size, "--%s: expected a folder or file, got ''", flag);
    free(*slot);
    *slot = strdup(text);
    return *slot ? 0 : ENOMEM;
}

/* The flags of runs and plan mode (see harness.h). */
static int set_runs_flag(tl__cli *cli, int val, const char *text, char *err,
                         size_t size)
{
    long index;
    switch (val) {
    case OPT_RUN_INDEX:
        if (tl_parse_long(text, &index) != 0 || index < 0 ||
            index > TL__RUN_INDEX_MAX)
            return fail(err, size,
                        "--run-index: expected an integer from 0 to %d, got '%s'",
                        TL__RUN_INDEX_MAX, text);
        cli->run_index = index;
        return 0;
    case OPT_COMBINE:
        return keep(&cli->combine, "combine", text, err, size);
    case OPT_COMBINE_FROM:
        return keep(&cli->combine_from, "combine-from", text, err, size);
    case OPT_PLAN:
        if (text && strcmp(text, "json") != 0 && strcmp(text, "text") != 0)
            return fail(err, size,
                        "--plan: expected --plan, --plan=text or --plan=json, "
                        "got '--plan=%s'",
                        text);
        cli->plan = text && strcmp(text, "json") == 0 ? TL__PLAN_JSON : TL__PLAN_TEXT;
        return 0;
    default: /* OPT_PLAN_JSON */
        if (!cli->plan)
            cli->plan = TL__PLAN_TEXT;
        return keep(&cli->plan_json, "plan-json", text, err, size);
    }
}

/* Flags of runs and plan mode that exclude each other. */
static int check_runs_flags(const tl__cli *cli, char *err, size_t size)
{
    if (cli->combine && cli->combine_from)
        return fail(err, size, "--combine and --combine-from: give one of them");
    if (cli->plan && (cli->combine || cli->combine_from))
        return fail(err, size, "--plan: nothing is combined in plan mode "
                               "(drop --combine or --plan)");
    return 0;
}

/* Parses the value of a common flag. */
static int set_common(const tl_bench_spec *spec, tl__cli *cli, int val,
                      const char *text,
                      bool *reps_given, bool *min_time_given,
                      const char **threads_text, char *err, size_t size)
{
    long reps;
    double seconds;
    switch (val) {
    case OPT_REPS:
        if (tl_parse_long(text, &reps) != 0 || reps < 1 || reps > TL__REPS_MAX)
            return fail(err, size,
                        "--reps: expected a positive integer up to %d, got '%s'",
                        TL__REPS_MAX, text);
        cli->reps = (unsigned)reps;
        *reps_given = true;
        return 0;
    case OPT_MIN_TIME:
        if (tl_parse_double(text, &seconds) != 0 || !(seconds > 0) ||
            seconds > TL__MIN_TIME_MAX_S)
            return fail(err, size,
                        "--min-time: expected a positive number of seconds "
                        "up to %g (e.g. 0.01), got '%s'",
                        TL__MIN_TIME_MAX_S, text);
        cli->min_time_s = seconds;
        *min_time_given = true;
        return 0;
    case OPT_THREADS:
        *threads_text = text; /* parsed after the loop, when P is known */
        return 0;
    case OPT_SECTION:
        if (!is_section(spec, text)) {
            char names[256];
            list_sections(spec, names, sizeof names);
            return fail(err, size, "--section: expected all, %s, got '%s'",
                        names, text);
        }
        cli->section = text;
        return 0;
    case OPT_PIN:
        if (tl_pin_policy_parse(text, &cli->pin) != 0)
            return fail(err, size,
                        "--pin: expected none, compact or scatter, got '%s'",
                        text);
        return 0;
    case OPT_OUT:
        if (!*text)
            return fail(err, size, "--out: expected a directory, got ''");
        free(cli->out_dir);
        cli->out_dir = strdup(text);
        return cli->out_dir ? 0 : ENOMEM;
    case OPT_MACHINE:
        if (!tl__machine_name_ok(text))
            return fail(err, size,
                        "--machine: expected a name of at most %d letters, "
                        "digits, '-', '_' and '.' (not first), got '%s'",
                        TL__MACHINE_NAME_MAX, text);
        free(cli->machine);
        cli->machine = strdup(text);
        return cli->machine ? 0 : ENOMEM;
    case OPT_RUN_INDEX:
    case OPT_COMBINE:
    case OPT_COMBINE_FROM:
    case OPT_PLAN:
    case OPT_PLAN_JSON:
        return set_runs_flag(cli, val, text, err, size);
    default:
        return fail(err, size, "internal error: flag %d", val);
    }
}

/* ---- getopt ------------------------------------------------------------------------ */

static struct option *build_options(const tl_bench_spec *spec)
{
    size_t extra = count_extra(spec);
    struct option *opts = calloc(N_COMMON + extra + 1, sizeof *opts);
    if (!opts)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < N_COMMON; i++)
        if (takes(spec, &common_flags[i]))
            opts[n++] = (struct option){ common_flags[i].name,
                                         common_flags[i].val == OPT_PLAN ? optional_argument
                                         : common_flags[i].metavar ? required_argument
                                                                   : no_argument,
                                         NULL, common_flags[i].val };
    for (size_t i = 0; i < extra; i++)
        opts[n + i] = (struct option){
            spec->flags[i].name,
            is_switch(&spec->flags[i]) ? no_argument : required_argument, NULL,
            OPT_EXTRA + (int)i };
    return opts;
}

/* The message for what getopt refused: arg (argv[optind - 1]) is the
 * culprit, optopt_val the flag getopt recognised in it, if any. */
static int refused(const tl_bench_spec *spec, const char *arg, int optopt_val,
                   bool missing, char *err, size_t size)
{
    if (missing)
        return fail(err, size, "--%s: missing value", flag_name(spec, optopt_val));
    if (strncmp(arg, "--", 2) == 0 && optopt_val) /* a switch given a value */
        return fail(err, size, "--%s: takes no value, got '%s'",
                    flag_name(spec, optopt_val), arg);
    if (strncmp(arg, "--", 2) != 0 && optopt_val)
        return fail(err, size, "unknown flag '-%c'", optopt_val);
    return fail(err, size, "unknown flag '%s'", arg);
}

/* A bench run by hand writes beside its program, build/<...>/benches/
 * scratch/<machine>/, never into results/: only a whole `make bench` run
 * may replace a committed results folder. (/tmp when the program's own path
 * cannot be read.) */
static int default_out_dir(tl__cli *cli)
{
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash = len > 0 ? (exe[len] = '\0', strrchr(exe, '/')) : NULL;
    if (slash)
        *slash = '\0';
    if (asprintf(&cli->out_dir, "%s/scratch/%s", slash ? exe : "/tmp/threadlab",
                 cli->machine) < 0) {
        cli->out_dir = NULL;
        return ENOMEM;
    }
    return 0;
}

/* Applies what was not given: quick or normal defaults, $MACHINE, the
 * default folder and thread list. */
static int apply_defaults(const tl_bench_spec *spec, tl__cli *cli,
                          bool reps_given, bool min_time_given,
                          const char *threads_text, const char *default_machine,
                          unsigned pus, char *err, size_t size)
{
    if (!reps_given)
        cli->reps = cli->quick ? TL__REPS_QUICK : TL__REPS_DEFAULT;
    if (!min_time_given)
        cli->min_time_s = cli->quick ? TL__MIN_TIME_QUICK_S : TL__MIN_TIME_DEFAULT_S;
    if (!cli->machine) {
        const char *env = getenv("MACHINE");
        if (env && *env && !tl__machine_name_ok(env))
            return fail(err, size,
                        "MACHINE (environment): expected a name of at most %d "
                        "letters, digits, '-', '_' and '.' (not first), got '%s'",
                        TL__MACHINE_NAME_MAX, env);
        cli->machine = strdup(env && *env ? env : default_machine);
        if (!cli->machine)
            return ENOMEM;
    }
    if (!cli->out_dir && default_out_dir(cli) != 0)
        return ENOMEM;
    bool given = threads_text != NULL;
    if (!given)
        threads_text = spec->threads_default ? spec->threads_default
                                             : TL__THREADS_DEFAULT;
    int rc = tl_parse_threads(threads_text, pus, &cli->threads,
                              &cli->threads_count);
    if (rc == EINVAL)
        return fail(err, size,
                    "%s: expected a list of thread counts such as 1,2,4 or 1-8 "
                    "or 1-4Px2 (P = %u PUs), each 1 to 1000000, got '%s'",
                    given ? "--threads" : "the bench's default --threads",
                    pus, threads_text);
    return rc;
}

int tl__cli_parse(const tl_bench_spec *spec, int argc, char **argv,
                  const char *default_machine, unsigned pus, tl__cli *cli,
                  char *err, size_t err_size)
{
    memset(cli, 0, sizeof *cli);
    cli->section = "all";
    err[0] = '\0';
    struct option *opts = build_options(spec);
    if (!opts)
        return ENOMEM;
    bool reps_given = false, min_time_given = false;
    const char *threads_text = NULL;
    int rc = 0, val;
    opterr = 0;  /* our messages, not getopt's */
    optind = 0;  /* glibc: start afresh, even if parsed before */
    /* '+': stop at the first non-flag instead of permuting argv (which must
     * stay as given for meta.json); ':': report a missing value apart. */
    while (rc == 0 && (val = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
        if (val == '?' || val == ':')
            rc = refused(spec, argv[optind - 1], optopt, val == ':', err,
                         err_size);
        else if (val == OPT_HELP)
            cli->help = true;
        else if (val == OPT_QUICK)
            cli->quick = true;
        else if (val == OPT_QUIET)
            cli->quiet = true;
        else if (val == OPT_DESCRIBE)
            cli->describe = true;
        else if (val == OPT_PRINT_MACHINE_NAME)
            cli->print_machine_name = true;
        else if (val == OPT_NO_OPENMP)
            cli->no_openmp = true;
        else if (val == OPT_NO_GLIB)
            cli->no_glib = true;
        else if (optarg && strncmp(optarg, "--", 2) == 0 && optarg[2])
            rc = fail(err, err_size, "--%s: missing value (got the flag '%s')",
                      flag_name(spec, val), optarg);
        else if (val >= OPT_EXTRA && is_switch(&spec->flags[val - OPT_EXTRA]))
            *spec->flags[val - OPT_EXTRA].switch_value = true;
        else if (val >= OPT_EXTRA)
            rc = set_extra(&spec->flags[val - OPT_EXTRA], optarg, err, err_size);
        else
            rc = set_common(spec, cli, val, optarg, &reps_given, &min_time_given,
                            &threads_text, err, err_size);
    }
    free(opts);
    if (rc == 0 && optind < argc)
        rc = fail(err, err_size, "unexpected argument '%s' (flags start with --)",
                  argv[optind]);
    if (rc == 0)
        rc = check_runs_flags(cli, err, err_size);
    if (rc == 0)
        rc = apply_defaults(spec, cli, reps_given, min_time_given, threads_text,
                            default_machine, pus, err, err_size);
    if (rc != 0)
        tl__cli_release(cli);
    return rc;
}

void tl__cli_release(tl__cli *cli)
{
    free(cli->threads);
    free(cli->out_dir);
    free(cli->machine);
    free(cli->combine);
    free(cli->combine_from);
    free(cli->plan_json);
    cli->combine = cli->combine_from = cli->plan_json = NULL;
    cli->threads = NULL;
    cli->out_dir = cli->machine = NULL;
}

/* ---- help ---------------------------------------------------------------------------- */

static void help_line(FILE *f, const char *name, const char *metavar,
                      const char *text)
{
    char left[64];
    snprintf(left, sizeof left, "--%s%s%s", name, metavar ? " " : "",
             metavar ? metavar : "");
    fprintf(f, "  %-18s ", left);
    for (const char *p = text; *p; p++) /* continuation lines line up */
        fputs(*p == '\n' ? "\n                     " : (char[]){ *p, '\0' }, f);
    fputc('\n', f);
}

static void help_bench(const tl_bench_spec *spec, FILE *f);

void tl__cli_help(const tl_bench_spec *spec, const char *default_machine,
                  unsigned pus, FILE *f)
{
    char text[512];
    fprintf(f, "%s: %s\n\nUsage: %s [flags]\n\nFlags every bench takes:\n",
            spec->name, spec->question ? spec->question : "", spec->name);
    help_line(f, "help", NULL, "print this help and exit");
    snprintf(text, sizeof text,
             "a fast, rough run: %d reps, min-time %g s, smaller sweeps",
             TL__REPS_QUICK, TL__MIN_TIME_QUICK_S);
    help_line(f, "quick", NULL, text);
    snprintf(text, sizeof text, "samples per case, 1 to %d (default %d; %d with --quick)",
             TL__REPS_MAX, TL__REPS_DEFAULT, TL__REPS_QUICK);
    help_line(f, "reps", "N", text);
    snprintf(text, sizeof text,
             "seconds a sample lasts at least: shorter operations are timed\n"
             "in batches (default %g; %g with --quick)",
             TL__MIN_TIME_DEFAULT_S, TL__MIN_TIME_QUICK_S);
    help_line(f, "min-time", "S", text);
    snprintf(text, sizeof text,
             "thread counts to sweep: 1,2,4 or 1-8 (every count) or 1-16x2\n"
             "(1,2,4,8,16); P is the PUs this process may use (%u here),\n"
             "2P twice that (default %s)",
             pus,
             spec->threads_default ? spec->threads_default : TL__THREADS_DEFAULT);
    help_line(f, "threads", "LIST", text);
    help_line(f, "pin", "POLICY",
              "where worker threads run: none (the OS decides), compact (fill\n"
              "each core's PUs, then the next core) or scatter (one per\n"
              "core, across packages first) (default none)");
    help_line(f, "out", "DIR", "results folder (default <this program's folder>/\n"
              "scratch/<machine>: never results/, which only make bench writes)");
    snprintf(text, sizeof text,
             "machine name for the default folder (default $MACHINE, else\n"
             "'%s', from the CPU model and PU count)",
             default_machine);
    help_line(f, "machine", "NAME", text);
    help_line(f, "quiet", NULL,
              "no progress or notes on stderr (warnings and errors still)");
    help_line(f, "describe", NULL,
              "print the bench's description (JSON: its question, columns,\n"
              "sections and units, as DIR/<bench>.schema.json) and exit");
    help_line(f, "print-machine-name", NULL,
              "print the machine name (as --machine NAME describes) and exit");
    help_line(f, "run-index", "I",
              "tag this run's samples as run I (default 0); runs of one\n"
              "bench made with the same flags are combined by --combine");
    help_line(f, "combine", "DIRS",
              "run nothing: answer every measurement with the samples the\n"
              "runs in DIR1,DIR2,... recorded, combined (intervals over the\n"
              "runs' medians); write the result to --out");
    help_line(f, "combine-from", "DIR",
              "as --combine, with every folder in DIR that holds this\n"
              "bench's samples file (in name order)");
    help_line(f, "plan[=json]", NULL,
              "run nothing, write nothing: print the cases it would\n"
              "measure (threads, memory, estimated time) and the totals");
    help_line(f, "plan-json", "FILE", "--plan, and the plan as JSON in FILE");
    help_bench(spec, f);
}

/* The flags of the bench: the shared ones it takes, then its own; then
 * what it writes. */
static void help_bench(const tl_bench_spec *spec, FILE *f)
{
    char text[512], names[256];
    if (spec->section_flag || spec->uses || count_extra(spec))
        fprintf(f, "\nFlags of %s:\n", spec->name);
    if (spec->section_flag) {
        list_sections(spec, names, sizeof names);
        snprintf(text, sizeof text, "run one section: %s\n(default all)", names);
        help_line(f, "section", "NAME", text);
    }
    if (spec->uses & TL_USES_OPENMP)
        help_line(f, "no-openmp", NULL,
                  "leave out the OpenMP series (ThreadSanitizer cannot see\n"
                  "inside the OpenMP runtime)");
    if (spec->uses & TL_USES_GLIB)
        help_line(f, "no-glib", NULL, "leave out the GLib series");
    for (size_t i = 0; i < count_extra(spec); i++)
        help_line(f, spec->flags[i].name,
                  is_switch(&spec->flags[i]) ? NULL
                  : spec->flags[i].metavar   ? spec->flags[i].metavar
                                             : "VALUE",
                  spec->flags[i].help ? spec->flags[i].help : "");
    fprintf(f, "\nWrites DIR/%s.csv (one row per case: the bench's columns, then\n",
            spec->name);
    tl__stats_header(f);
    fprintf(f,
            "),\nDIR/%s.samples.csv (every sample), DIR/%s.run.json (this run),\n"
            "DIR/%s.answer.txt, DIR/%s.schema.json, DIR/meta.json and\n"
            "DIR/topology.xml.\n"
            "Exit status: 0 done, 1 error, 2 usage error.\n",
            spec->name, spec->name, spec->name, spec->name);
}

void tl__cli_hint(const tl_bench_spec *spec, FILE *f)
{
    fprintf(f, "usage: %s [flags]; '%s --help' lists them\n", spec->name,
            spec->name);
}
