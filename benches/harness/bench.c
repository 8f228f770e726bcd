/* bench.c: a bench's life: open (command line, topology, files), rows,
 * answer, close (commit everything). */
#define _GNU_SOURCE
#include "runs_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <threadlab/thread.h>
#include <sys/stat.h>
#include <unistd.h>

/* A bench written wrongly (not a user error): say so and stop. */
static void bench_bug(const char *what)
{
    fprintf(stderr, "harness: bench bug: %s\n", what);
    abort();
}

/* Whether name is one of the spec's columns. */
static bool has_column(const tl_bench_spec *spec, const char *name)
{
    for (size_t i = 0; name && spec->columns[i].name; i++)
        if (strcmp(spec->columns[i].name, name) == 0)
            return true;
    return false;
}

static void check_sections(const tl_bench_spec *spec)
{
    if (!spec->sections)
        return;
    if (!has_column(spec, "section"))
        bench_bug("a bench with sections needs a \"section\" column");
    if (spec->cases_column && !has_column(spec, spec->cases_column))
        bench_bug("tl_bench_spec.cases_column is not one of the columns");
    for (const tl_bench_section *s = spec->sections; s->name; s++)
        for (size_t i = 0; s->filled && s->filled[i]; i++)
            if (!has_column(spec, s->filled[i]))
                bench_bug("a section's filled column is not one of the columns");
}

static size_t check_spec(const tl_bench_spec *spec)
{
    if (!spec || !spec->name || !*spec->name)
        bench_bug("tl_bench_spec needs a name");
    if (!tl__machine_name_ok(spec->name))
        bench_bug("the bench name must be usable as a file name");
    size_t n = 0;
    while (spec->columns && spec->columns[n].name) {
        const tl_bench_column *c = &spec->columns[n++];
        if ((unsigned)c->kind > TL_COLUMN_DERIVED || (unsigned)c->band > TL_BAND_AFFINE)
            bench_bug("a column's kind or band is not one of the enum's");
        if (c->band == TL_BAND_AFFINE && !has_column(spec, c->band_offset))
            bench_bug("a TL_BAND_AFFINE column needs band_offset, a column");
    }
    if (n == 0)
        bench_bug("tl_bench_spec needs at least one column (ended by { 0 })");
    if (spec->section_flag && !spec->sections)
        bench_bug("tl_bench_spec.section_flag needs sections");
    check_sections(spec);
    return n;
}

static void write_header(tl_bench *b)
{
    FILE *f = b->csv.f;
    for (size_t i = 0; i < b->columns; i++) {
        tl__csv_field(f, b->spec->columns[i].name);
        fputc(',', f);
    }
    tl__stats_header(f);
    fputc('\n', f);
    fflush(f);
}

/* Parses the command line. Returns -1 to go on, else the status to exit
 * with: 0 after --help, --describe or --print-machine-name, 2 after a usage
 * error, 1 out of memory. */
static int parse_command_line(tl_bench *b, const char *default_machine)
{
    char err[512];
    int rc = tl__cli_parse(b->spec, b->argc, b->argv, default_machine, b->pus,
                           &b->cli, err, sizeof err);
    if (rc == EINVAL) {
        fprintf(stderr, "%s: %s\n", b->spec->name, err);
        tl__cli_hint(b->spec, stderr);
        return 2;
    }
    if (rc != 0) {
        fprintf(stderr, "%s: error: %s\n", b->spec->name, strerror(rc));
        return 1;
    }
    if (b->cli.help)
        tl__cli_help(b->spec, default_machine, b->pus, stdout);
    else if (b->cli.describe)
        tl__describe(b->spec, stdout);
    else if (b->cli.print_machine_name)
        printf("%s\n", b->cli.machine);
    else
        return -1;
    return fflush(stdout) == 0 ? 0 : 1;
}

/* Frees what open made, for the exits before the bench runs. */
static void free_unopened(tl_bench *b)
{
    tl__cli_release(&b->cli);
    tl_topo_free(b->topo);
    free(b);
}

tl_bench *tl_bench_open(int argc, char **argv, const tl_bench_spec *spec)
{
    size_t columns = check_spec(spec);
    tl_bench *b = calloc(1, sizeof *b);
    if (!b) {
        fprintf(stderr, "%s: error: out of memory\n", spec->name);
        exit(1);
    }
    b->spec = spec;
    b->columns = columns;
    b->argc = argc;
    b->argv = argv;
    b->pus = tl_available_parallelism();
    b->started = time(NULL);
    if (getloadavg(b->load_average, 3) != 3)
        b->load_average[0] = b->load_average[1] = b->load_average[2] = NAN;
    if (tl_topo_load(&b->topo) != 0)
        b->topo = NULL; /* the machine card will say "unknown" */
    /* P (tl_bench_pus): on a made-up machine, its PUs. */
    if (b->topo && !tl_topo_is_this_machine(b->topo))
        b->pus = tl_topo_pus(b->topo);

    char slug[160];
    tl__default_machine_name(b->topo, b->pus, slug, sizeof slug);
    int status = parse_command_line(b, slug);
    if (status >= 0) {
        free_unopened(b);
        exit(status);
    }
    b->progress.tty = isatty(STDERR_FILENO);

    bool planning = tl_bench_planning(b); /* writes nothing under --out */
    struct stat st;
    b->made_out_dir = !planning && stat(b->cli.out_dir, &st) != 0;
    int err = planning ? 0 : tl__mkdirs(b->cli.out_dir);
    char name[256];
    snprintf(name, sizeof name, "%s.csv", spec->name);
    if (!err && !planning)
        err = tl__outfile_open(&b->csv, b->cli.out_dir, name);
    if (!err)
        err = tl__runs_open(b); /* samples file, runs to combine (runs.c) */
    if (err) {
        fprintf(stderr, "%s: error: cannot write in '%s': %s\n", spec->name,
                b->cli.out_dir, strerror(err));
        tl__outfile_discard(&b->csv);
        tl__runs_free(b);
        free_unopened(b);
        exit(1);
    }
    if (!planning)
        write_header(b);
    tl_timer(); /* measured now, before the bench loads the machine */
    return b;
}

/* ---- rows ------------------------------------------------------------------------- */

static void write_value(FILE *f, const tl_value *v)
{
    switch (v->kind) {
    case TL__VALUE_STR:
        tl__csv_field(f, v->as.str);
        break;
    case TL__VALUE_INT:
        fprintf(f, "%lld", v->as.i);
        break;
    case TL__VALUE_UINT:
        fprintf(f, "%llu", v->as.u);
        break;
    case TL__VALUE_NUM:
        if (!isnan(v->as.num))
            fprintf(f, "%.10g", v->as.num);
        break;
    default:
        bench_bug("a tl_value not made with TL_STR/TL_INT/TL_UINT/TL_NUM");
    }
}

/* "raw 4": the row's key, to name it in a warning (empty values left out). */
static void describe_row(const tl_value *values, size_t count, char *buf,
                         size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < count && len < size; i++) {
        const tl_value *v = &values[i];
        const char *sep = len ? " " : "";
        int n = 0;
        if (v->kind == TL__VALUE_STR && v->as.str && *v->as.str)
            n = snprintf(buf + len, size - len, "%s%s", sep, v->as.str);
        else if (v->kind == TL__VALUE_INT)
            n = snprintf(buf + len, size - len, "%s%lld", sep, v->as.i);
        else if (v->kind == TL__VALUE_UINT)
            n = snprintf(buf + len, size - len, "%s%llu", sep, v->as.u);
        else if (v->kind == TL__VALUE_NUM && !isnan(v->as.num))
            n = snprintf(buf + len, size - len, "%s%g", sep, v->as.num);
        len += n > 0 ? (size_t)n : 0;
    }
}

/* Unstable rows are counted, and the worst remembered, for one summary
 * line at close: dozens of warnings on the terminal would go unread. */
static void note_unstable(tl_bench *b, const tl_value *values, size_t count,
                          const tl_stats *s)
{
    b->unstable++;
    if (b->unstable > 1 && !(s->cv > b->worst_unstable_cv))
        return;
    b->worst_unstable_cv = s->cv;
    describe_row(values, count, b->worst_unstable, sizeof b->worst_unstable);
}

static void summarise_unstable(tl_bench *b)
{
    if (!b->unstable) /* a warning: said under --quiet too */
        return;
    tl__progress_clear(b);
    fprintf(stderr,
            "%s: warning: %u of %u cases unstable (cv above %.0f%%, or min or max "
            "further than %.1fx from the median; their rows say unstable=1); the "
            "worst: '%s' (cv %.1f%%). Rerun on a quieter machine or with more "
            "--reps.\n",
            b->spec->name, b->unstable, b->rows, TL_UNSTABLE_CV * 100,
            TL_UNSTABLE_SPREAD, b->worst_unstable, b->worst_unstable_cv * 100);
}

void tl__bench_row(tl_bench *b, const tl_stats *stats, const tl_value *values,
                   size_t count)
{
    if (!b || !values)
        bench_bug("tl_bench_row needs a bench and values");
    if (count != b->columns) {
        char what[128];
        snprintf(what, sizeof what,
                 "tl_bench_row got %zu values, but %s has %zu columns", count,
                 b->spec->name, b->columns);
        bench_bug(what);
    }
    if (tl_bench_planning(b)) { /* plan mode: nothing is written */
        b->rows++;
        return;
    }
    FILE *f = b->csv.f;
    for (size_t i = 0; i < count; i++) {
        write_value(f, &values[i]);
        fputc(',', f);
    }
    tl__stats_fields(f, stats);
    fputc('\n', f);
    errno = 0;
    if ((fflush(f) != 0 || ferror(f)) && !b->write_error)
        b->write_error = errno ? errno : EIO;
    b->rows++;
    if (stats && stats->unstable)
        note_unstable(b, values, count, stats);
}

void tl_bench_answer(tl_bench *b, const char *fmt, ...)
{
    if (!b || !fmt)
        return;
    char *text;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&text, fmt, ap);
    va_end(ap);
    if (n < 0)
        tl_bench_fail(b, "out of memory for the answer");
    free(b->answer);
    b->answer = text;
}

/* ---- closing ---------------------------------------------------------------------- */

/* Opens <out>/<bench><suffix> for writing. Returns 0 or an errno value. */
static int open_result(tl_bench *b, const char *suffix, tl__outfile *o)
{
    char name[256];
    snprintf(name, sizeof name, "%s%s", b->spec->name, suffix);
    return tl__outfile_open(o, b->cli.out_dir, name);
}

static int write_answer(tl_bench *b)
{
    tl__outfile o;
    if (!b->answer)
        return 0;
    int err = open_result(b, ".answer.txt", &o);
    if (err)
        return err;
    fprintf(o.f, "%s\n", b->answer);
    return tl__outfile_commit(&o);
}

static int write_description(tl_bench *b)
{
    tl__outfile o;
    int err = open_result(b, ".schema.json", &o);
    if (err)
        return err;
    tl__describe(b->spec, o.f);
    return tl__outfile_commit(&o);
}

/* Reports a failed write and turns it into the exit status. */
static int report(tl_bench *b, const char *what, int err)
{
    if (!err)
        return 0;
    tl__progress_clear(b);
    fprintf(stderr, "%s: error: cannot write %s in '%s': %s\n", b->spec->name,
            what, b->cli.out_dir, strerror(err));
    return 1;
}

/* The skipped cases in one line; nothing measured at all is a failure. */
static int report_skipped(tl_bench *b)
{
    if (!b->skipped)
        return 0;
    tl__progress_clear(b);
    if (b->rows == 0) {
        fprintf(stderr, "%s: error: the OS refused every case (%u): nothing "
                        "was measured\n", b->spec->name, b->skipped);
        return 1;
    }
    fprintf(stderr, "%s: %u case%s skipped because the OS refused threads or "
                    "memory (see above); the other %u rows were measured\n",
            b->spec->name, b->skipped, b->skipped == 1 ? "" : "s", b->rows);
    return 0;
}

int tl_bench_close(tl_bench *b)
{
    if (!b)
        return 1;
    tl__progress_clear(b);
    int status = 0;
    if (tl_bench_planning(b)) {
        status = tl__plan_print(b);
        goto free_bench;
    }
    tl__runs_check_complete(b); /* --combine: every recorded call replayed */
    tl__outfile_defer(); /* all of the files below, or none */
    if (b->write_error) {
        status |= report(b, "the CSV rows", b->write_error);
        tl__outfile_discard(&b->csv);
    } else {
        status |= report(b, "the CSV", tl__outfile_commit(&b->csv));
    }
    status |= report(b, "the answer", write_answer(b));
    status |= report(b, "the description", write_description(b));
    status |= report(b, "meta.json or topology.xml", tl__meta_write(b));
    status |= report_skipped(b);
    summarise_unstable(b);
    status |= report(b, "the samples or run.json", tl__runs_commit(b));
    if (status)
        tl__outfile_settle(false);
    else
        status |= report(b, "the results (a rename)", tl__outfile_settle(true));
    if (b->answer)
        printf("%s: %s\n", b->spec->name, b->answer);
    if (!b->cli.quiet && status == 0)
        fprintf(stderr, "%s: %u rows in %s/%s.csv\n", b->spec->name, b->rows,
                b->cli.out_dir, b->spec->name);
    fflush(stdout);
free_bench:
    tl__runs_free(b);
    tl_topo_free(b->topo);
    tl__cli_release(&b->cli);
    free(b->answer);
    free(b);
    return status;
}

/* ---- talking ------------------------------------------------------------------------ */

void tl_bench_plan(tl_bench *b, unsigned cases)
{
    if (b)
        b->progress.planned = cases;
}

void tl_bench_note(tl_bench *b, const char *fmt, ...)
{
    if (!b || b->cli.quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    tl__progress_vsay(b, NULL, fmt, ap);
    va_end(ap);
}

bool tl_bench_skip_refused(tl_bench *b, const char *label, int err)
{
    if (err != EAGAIN && err != ENOMEM && err != EMFILE && err != ENFILE &&
        err != EPERM)
        return false;
    if (b) {
        b->skipped++;
        tl__progress_clear(b);
        fprintf(stderr, "%s: skipped %s: the OS refused: %s\n", b->spec->name,
                label ? label : "a case", strerror(err));
    }
    return true;
}

void tl_bench_usage_error(tl_bench *b, const char *fmt, ...)
{
    tl__outfile_discard(&b->csv); /* nothing was measured */
    tl__runs_discard(b);
    if (b->made_out_dir) /* a usage error leaves no trace: not even the folder */
        rmdir(b->cli.out_dir);
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", b->spec->name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    tl__cli_hint(b->spec, stderr);
    exit(2);
}

void tl_bench_fail(tl_bench *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tl__progress_vsay(b, "error: ", fmt, ap);
    va_end(ap);
    /* The CSV stays as <bench>.csv.partial for a post-mortem; the real name
     * is never written. */
    exit(1);
}

/* ---- accessors ------------------------------------------------------------------------ */

bool tl_bench_quick(const tl_bench *b) { return b && b->cli.quick; }
unsigned tl_bench_reps(const tl_bench *b) { return b ? b->cli.reps : 0; }
unsigned tl_bench_pus(const tl_bench *b) { return b ? b->pus : tl_available_parallelism(); }
double tl_bench_min_time_s(const tl_bench *b) { return b ? b->cli.min_time_s : 0; }
tl_pin_policy tl_bench_pin(const tl_bench *b) { return b ? b->cli.pin : TL_PIN_NONE; }
const tl_topo *tl_bench_topo(const tl_bench *b) { return b ? b->topo : NULL; }
const char *tl_bench_out_dir(const tl_bench *b) { return b ? b->cli.out_dir : NULL; }
const char *tl_bench_machine(const tl_bench *b) { return b ? b->cli.machine : NULL; }
const char *tl_bench_chosen_section(const tl_bench *b) { return b ? b->cli.section : "all"; }
bool tl_bench_openmp(const tl_bench *b) { return b && !b->cli.no_openmp; }
bool tl_bench_glib(const tl_bench *b) { return b && !b->cli.no_glib; }

bool tl_bench_runs(const tl_bench *b, const char *section)
{
    const tl_bench_section *s = b && section ? b->spec->sections : NULL;
    while (s && s->name && strcmp(s->name, section) != 0)
        s++;
    if (!s || !s->name)
        bench_bug("tl_bench_runs: not a section of the bench's spec");
    return strcmp(b->cli.section, "all") == 0 || strcmp(b->cli.section, section) == 0;
}

const unsigned *tl_bench_threads(const tl_bench *b, size_t *count)
{
    if (count)
        *count = b ? b->cli.threads_count : 0;
    return b ? b->cli.threads : NULL;
}

int tl_bench_pin_self(const tl_bench *b, unsigned index)
{
    if (!b || b->cli.pin == TL_PIN_NONE)
        return 0;
    if (!b->topo)
        return ENOSYS;
    return tl_topo_pin_self(b->topo, b->cli.pin, index);
}
