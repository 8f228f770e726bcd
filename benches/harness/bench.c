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
#include <unistd.h>

/* The fixed statistics columns, after the bench's own. */
static const char stats_header[] =
    "unit,n,min,p05,median,p95,max,mean,stddev,cv,ci_lo,ci_hi,outliers,unstable,"
    "ci_level,runs,cpu_median";

/* A bench written wrongly (not a user error): say so and stop. */
static void bench_bug(const char *what)
{
    fprintf(stderr, "harness: bench bug: %s\n", what);
    abort();
}

static size_t check_spec(const tl_bench_spec *spec)
{
    if (!spec || !spec->name || !*spec->name)
        bench_bug("tl_bench_spec needs a name");
    if (!tl__machine_name_ok(spec->name))
        bench_bug("the bench name must be usable as a file name");
    size_t n = 0;
    while (spec->columns && spec->columns[n])
        n++;
    if (n == 0)
        bench_bug("tl_bench_spec needs at least one column (NULL-terminated)");
    return n;
}

static void write_header(tl_bench *b)
{
    FILE *f = b->csv.f;
    for (size_t i = 0; i < b->columns; i++) {
        tl__csv_field(f, b->spec->columns[i]);
        fputc(',', f);
    }
    fprintf(f, "%s\n", stats_header);
    fflush(f);
}

/* Parses the command line. Returns -1 to go on, else the status to exit
 * with: 0 after --help, 2 after a usage error, 1 out of memory. */
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
    if (b->cli.help) {
        tl__cli_help(b->spec, default_machine, b->pus, stdout);
        return 0;
    }
    return -1;
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

    char slug[64];
    unsigned hw_pus = tl_topo_pus(b->topo);
    tl__machine_slug(tl_topo_cpu_model(b->topo), hw_pus ? hw_pus : b->pus, slug,
                     sizeof slug);
    int status = parse_command_line(b, slug);
    if (status >= 0) {
        free_unopened(b);
        exit(status);
    }
    b->progress.tty = isatty(STDERR_FILENO);

    bool planning = tl_bench_planning(b); /* writes nothing under --out */
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

static void write_stats(FILE *f, const tl_stats *s)
{
    if (!s) {
        fputs(",,,,,,,,,,,,,,,,", f); /* 17 empty columns */
        return;
    }
    tl__csv_field(f, s->unit);
    fprintf(f, ",%zu", s->n);
    const double values[] = { s->min, s->p05, s->median, s->p95, s->max,
                              s->mean, s->stddev, s->cv, s->ci_lo, s->ci_hi };
    for (size_t i = 0; i < sizeof values / sizeof *values; i++)
        fprintf(f, ",%.10g", values[i]);
    fprintf(f, ",%zu,%d,%.10g,%u,", s->outliers, s->unstable ? 1 : 0,
            s->ci_level, s->runs);
    if (isfinite(s->cpu_median)) /* empty when not measured */
        fprintf(f, "%.10g", s->cpu_median);
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

static void warn_unstable(tl_bench *b, const tl_value *values, size_t count,
                          const tl_stats *s)
{
    char key[256];
    describe_row(values, count, key, sizeof key);
    tl__progress_clear(b);
    fprintf(stderr,
            "%s: warning: unstable case '%s': cv %.1f%%, min %.2fx and max "
            "%.2fx the median (the row says unstable=1; rerun on a quieter "
            "machine or with more --reps)\n",
            b->spec->name, key, s->cv * 100, s->median ? s->min / s->median : 0,
            s->median ? s->max / s->median : 0);
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
    write_stats(f, stats);
    fputc('\n', f);
    errno = 0;
    if ((fflush(f) != 0 || ferror(f)) && !b->write_error)
        b->write_error = errno ? errno : EIO;
    b->rows++;
    if (stats && stats->unstable)
        warn_unstable(b, values, count, stats);
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

static int write_answer(tl_bench *b)
{
    if (!b->answer)
        return 0;
    tl__outfile o;
    char name[256];
    snprintf(name, sizeof name, "%s.answer.txt", b->spec->name);
    int err = tl__outfile_open(&o, b->cli.out_dir, name);
    if (err)
        return err;
    fprintf(o.f, "%s\n", b->answer);
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
    if (b->write_error) {
        status |= report(b, "the CSV rows", b->write_error);
        tl__outfile_discard(&b->csv);
    } else {
        status |= report(b, "the CSV", tl__outfile_commit(&b->csv));
    }
    status |= report(b, "the answer", write_answer(b));
    status |= report(b, "meta.json or topology.xml", tl__meta_write(b));
    status |= report(b, "the samples or run.json", tl__runs_commit(b));
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

void tl_bench_usage_error(tl_bench *b, const char *fmt, ...)
{
    tl__outfile_discard(&b->csv); /* nothing was measured */
    tl__runs_discard(b);
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
double tl_bench_min_time_s(const tl_bench *b) { return b ? b->cli.min_time_s : 0; }
tl_pin_policy tl_bench_pin(const tl_bench *b) { return b ? b->cli.pin : TL_PIN_NONE; }
const tl_topo *tl_bench_topo(const tl_bench *b) { return b ? b->topo : NULL; }
const char *tl_bench_out_dir(const tl_bench *b) { return b ? b->cli.out_dir : NULL; }
const char *tl_bench_machine(const tl_bench *b) { return b ? b->cli.machine : NULL; }

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
