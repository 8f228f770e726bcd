/* runs.c: runs as the unit of repetition. Every run records its samples in
 * <bench>.samples.csv; --combine runs the bench's main() again and answers
 * each measuring call with what that call recorded in every run (see
 * harness.h, "runs, replay and plan mode"). */
#define _GNU_SOURCE
#include "runs_internal.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char samples_header[] =
    "call,case,label,run,sample,value,unit,iterations,cpu_ns";
#define N_SAMPLE_FIELDS 9

bool tl_bench_replaying(const tl_bench *b)
{
    return b && (b->cli.combine || b->cli.combine_from);
}

bool tl_bench_planning(const tl_bench *b)
{
    return b && b->cli.plan != TL__PLAN_OFF;
}

static bool is_once_call(unsigned call) { return call >= TL_ONCE_CALL_BASE; }

unsigned tl__runs_call(tl_bench *b)
{
    tl__runs *runs = b->runs;
    if (!runs)
        return 0;
    if (runs->current && runs->current->once)
        return TL_ONCE_CALL_BASE + runs->next_once_call++;
    return runs->next_call++;
}

bool tl_bench_section_begin(tl_bench *b, const char *section)
{
    bool measured = tl_bench_runs(b, section); /* a bench bug if unknown */
    const tl_bench_section *s = b->spec->sections;
    while (strcmp(s->name, section) != 0)
        s++;
    if (b->runs)
        b->runs->current = s;
    /* A count or a size: run 0 measures it, combining answers from run 0. */
    if (!measured || !s->once || tl_bench_replaying(b))
        return measured;
    return b->cli.run_index == 0;
}

/* ---- writing samples ---------------------------------------------------------- */

/* A label as one CSV field on one line: CR and LF become spaces, so that
 * the file reads line by line (and by Python's csv module as is). */
static void write_label(FILE *f, const char *label)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", label ? label : "");
    for (char *p = buf; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    tl__csv_field(f, buf);
}

static void write_sample(FILE *f, const tl__sample_row *r)
{
    fprintf(f, "%u,%u,", r->call, r->case_index);
    write_label(f, r->label);
    fprintf(f, ",%ld,%u,%.17g,", r->run, r->sample, r->value);
    tl__csv_field(f, r->unit);
    fprintf(f, ",%llu,", (unsigned long long)r->iterations);
    if (isfinite(r->cpu_ns))
        fprintf(f, "%.17g", r->cpu_ns);
    fputc('\n', f);
}

static void flush_samples(tl__runs *runs)
{
    errno = 0;
    if ((fflush(runs->samples.f) != 0 || ferror(runs->samples.f)) &&
        !runs->write_error)
        runs->write_error = errno ? errno : EIO;
}

void tl__runs_record(tl_bench *b, unsigned call, unsigned case_index,
                     const char *label, const char *unit,
                     const double *values, const double *cpu_ns, size_t n,
                     uint64_t iterations)
{
    if (!b->runs || !b->runs->samples.f)
        return;
    tl__sample_row r = { .call = call, .case_index = case_index,
                         .run = b->cli.run_index, .label = (char *)label,
                         .iterations = iterations };
    snprintf(r.unit, sizeof r.unit, "%s", unit ? unit : "");
    for (size_t i = 0; i < n; i++) {
        r.sample = (unsigned)i;
        r.value = values[i];
        r.cpu_ns = cpu_ns ? cpu_ns[i] : NAN;
        write_sample(b->runs->samples.f, &r);
    }
    flush_samples(b->runs);
}

/* ---- reading a run's samples ---------------------------------------------------- */

/* Splits a CSV line (RFC 4180 quoting, no line breaks inside fields) in
 * place into at most max fields. Returns the field count. */
static size_t split_csv(char *line, char **fields, size_t max)
{
    size_t count = 0;
    char *in = line;
    for (;;) {
        char *out = in, *start = in;
        bool quoted = *in == '"';
        if (quoted)
            in++;
        while (*in && (quoted || *in != ',')) {
            if (quoted && *in == '"' && in[1] == '"')
                in++;
            else if (quoted && *in == '"') {
                quoted = false;
                in++;
                continue;
            }
            *out++ = *in++;
        }
        bool more = *in == ',';
        *out = '\0';
        if (count < max)
            fields[count++] = start;
        if (!more)
            return count;
        in++;
    }
}

static bool parse_unsigned(const char *text, unsigned long long *out)
{
    long v;
    if (tl_parse_long(text, &v) != 0 || v < 0)
        return false;
    *out = (unsigned long long)v;
    return true;
}

/* Parses one line of a samples file into *r (label strdup'ed). */
static bool parse_sample(char *line, tl__sample_row *r)
{
    char *f[N_SAMPLE_FIELDS + 1];
    unsigned long long call, kase, sample, iterations;
    long run;
    if (split_csv(line, f, N_SAMPLE_FIELDS + 1) != N_SAMPLE_FIELDS ||
        !parse_unsigned(f[0], &call) || !parse_unsigned(f[1], &kase) ||
        tl_parse_long(f[3], &run) != 0 || !parse_unsigned(f[4], &sample) ||
        tl_parse_double(f[5], &r->value) != 0 ||
        !parse_unsigned(f[7], &iterations) ||
        (*f[8] && tl_parse_double(f[8], &r->cpu_ns) != 0))
        return false;
    if (!*f[8])
        r->cpu_ns = NAN;
    r->call = (unsigned)call;
    r->case_index = (unsigned)kase;
    r->run = run;
    r->sample = (unsigned)sample;
    r->iterations = iterations;
    snprintf(r->unit, sizeof r->unit, "%s", f[6]);
    r->label = strdup(f[2]);
    return r->label != NULL;
}

static void add_row(tl_bench *b, tl__run_data *run, const tl__sample_row *r)
{
    if (run->count == run->cap) {
        size_t cap = run->cap ? run->cap * 2 : 256;
        tl__sample_row *rows = realloc(run->rows, cap * sizeof *rows);
        if (!rows)
            tl_bench_fail(b, "out of memory reading %s", run->dir);
        run->rows = rows;
        run->cap = cap;
    }
    run->rows[run->count++] = *r;
}

/* <dir>/<bench><suffix>, whole, or NULL (errno set). */
static char *read_whole(tl_bench *b, const char *dir, const char *suffix,
                        char **path_out)
{
    char *path = NULL, *text = NULL;
    size_t size = 0;
    if (asprintf(&path, "%s/%s%s", dir, b->spec->name, suffix) < 0)
        tl_bench_fail(b, "out of memory");
    FILE *f = fopen(path, "r");
    if (f) {
        FILE *mem = open_memstream(&text, &size);
        char buf[65536];
        size_t n;
        while (mem && (n = fread(buf, 1, sizeof buf, f)) > 0)
            fwrite(buf, 1, n, mem);
        if (mem)
            fclose(mem);
        fclose(f);
    }
    if (path_out)
        *path_out = path;
    else
        free(path);
    return text;
}

static int by_call(const void *pa, const void *pb)
{
    const tl__sample_row *a = pa, *b = pb;
    if (a->call != b->call)
        return a->call < b->call ? -1 : 1;
    if (a->case_index != b->case_index)
        return a->case_index < b->case_index ? -1 : 1;
    return a->sample < b->sample ? -1 : a->sample > b->sample;
}

static void load_samples(tl_bench *b, tl__run_data *run)
{
    char *path;
    int saved;
    char *text = read_whole(b, run->dir, ".samples.csv", &path);
    saved = errno;
    if (!text)
        tl_bench_fail(b, "cannot combine: cannot read %s: %s", path,
                      strerror(saved));
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    if (!line || strcmp(line, samples_header) != 0)
        tl_bench_fail(b, "cannot combine: %s does not start with the header '%s'",
                      path, samples_header);
    size_t number = 1;
    while ((line = strtok_r(NULL, "\n", &save))) {
        number++;
        tl__sample_row r;
        if (!parse_sample(line, &r))
            tl_bench_fail(b, "cannot combine: %s line %zu is not a sample row",
                          path, number);
        add_row(b, run, &r);
    }
    free(text);
    free(path);
    run->run_json = read_whole(b, run->dir, ".run.json", NULL);
    run->index = run->count ? run->rows[0].run : -1;
    /* By call, then case and sample: the calls of once sections, numbered
     * apart, sit among the others in run 0's file. */
    qsort(run->rows, run->count, sizeof *run->rows, by_call);
}

/* ---- the runs to combine ---------------------------------------------------------- */

static void add_run(tl_bench *b, const char *dir, size_t len)
{
    tl__runs *runs = b->runs;
    tl__run_data *more = realloc(runs->runs, (runs->run_count + 1) * sizeof *more);
    if (!more)
        tl_bench_fail(b, "out of memory");
    runs->runs = more;
    tl__run_data *run = &runs->runs[runs->run_count++];
    *run = (tl__run_data){ .dir = strndup(dir, len) };
    if (!run->dir)
        tl_bench_fail(b, "out of memory");
    load_samples(b, run);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* --combine-from RUNSDIR: its sub-folders holding <bench>.samples.csv, in
 * name order. */
static void add_runs_from(tl_bench *b, const char *root)
{
    DIR *d = opendir(root);
    if (!d)
        tl_bench_fail(b, "cannot combine: cannot read --combine-from '%s': %s",
                      root, strerror(errno));
    char **names = NULL;
    size_t count = 0;
    for (struct dirent *e; (e = readdir(d));) {
        char *path, **more;
        struct stat st;
        if (e->d_name[0] == '.' ||
            asprintf(&path, "%s/%s/%s.samples.csv", root, e->d_name,
                     b->spec->name) < 0)
            continue;
        bool is_run = stat(path, &st) == 0 && S_ISREG(st.st_mode);
        free(path);
        if (!is_run)
            continue;
        if (!(more = realloc(names, (count + 1) * sizeof *names)))
            tl_bench_fail(b, "out of memory");
        names = more;
        if (asprintf(&names[count], "%s/%s", root, e->d_name) < 0)
            tl_bench_fail(b, "out of memory");
        count++;
    }
    closedir(d);
    if (count == 0)
        tl_bench_fail(b, "cannot combine: no folder in '%s' holds %s.samples.csv",
                      root, b->spec->name);
    qsort(names, count, sizeof *names, by_name);
    for (size_t i = 0; i < count; i++) {
        add_run(b, names[i], strlen(names[i]));
        free(names[i]);
    }
    free(names);
}

/* Two runs with the same --run-index would be indistinguishable in the
 * combined samples file: refuse rather than guess. */
static void check_run_indexes(tl_bench *b)
{
    const tl__runs *runs = b->runs;
    for (size_t i = 0; i < runs->run_count; i++)
        for (size_t j = i + 1; j < runs->run_count; j++)
            if (runs->runs[i].index >= 0 &&
                runs->runs[i].index == runs->runs[j].index)
                tl_bench_fail(b,
                              "cannot combine: %s and %s are both run %ld (give "
                              "each run its own --run-index)",
                              runs->runs[i].dir, runs->runs[j].dir,
                              runs->runs[i].index);
}

static void load_runs(tl_bench *b)
{
    const char *list = b->cli.combine;
    if (b->cli.combine_from)
        add_runs_from(b, b->cli.combine_from);
    while (list && *list) {
        size_t len = strcspn(list, ",");
        if (len)
            add_run(b, list, len);
        list += len + (list[len] == ',');
    }
    if (b->runs->run_count == 0)
        tl_bench_fail(b, "cannot combine: --combine names no folder");
    check_run_indexes(b);
}

int tl__runs_open(tl_bench *b)
{
    b->runs = calloc(1, sizeof *b->runs);
    if (!b->runs)
        return ENOMEM;
    tl__env_read("", &b->runs->env_open);
    if (tl_bench_planning(b))
        return 0;
    if (tl_bench_replaying(b))
        load_runs(b);
    char name[256];
    snprintf(name, sizeof name, "%s.samples.csv", b->spec->name);
    int err = tl__outfile_open(&b->runs->samples, b->cli.out_dir, name);
    if (err)
        return err;
    fprintf(b->runs->samples.f, "%s\n", samples_header);
    flush_samples(b->runs);
    return 0;
}

/* ---- replaying a call ------------------------------------------------------------- */

/* The rows of call `call` in run: [*first, *end) (rows are sorted by
 * call, so any order of replay finds them). */
static void rows_of_call(const tl__run_data *run, unsigned call, size_t *first,
                         size_t *end)
{
    size_t lo = 0, hi = run->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (run->rows[mid].call < call)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t i = lo;
    while (i < run->count && run->rows[i].call == call)
        i++;
    *first = lo;
    *end = i;
}

static void check_row(tl_bench *b, const tl__run_data *run,
                      const tl__sample_row *r, const char *label,
                      const char *unit)
{
    if (strcmp(r->label, label ? label : "") != 0 || strcmp(r->unit, unit) != 0)
        tl_bench_fail(b,
                      "cannot combine: call %u case %u is '%s' (%s) here but "
                      "'%s' (%s) in %s: the runs were made with other flags or "
                      "another build",
                      r->call, r->case_index, label ? label : "", unit, r->label,
                      r->unit, run->dir);
}

/* Gathers the values (and CPU times) of the case from every run, checking
 * each row; counts[r] per run. Returns the runs that recorded it. */
static size_t gather(tl_bench *b, unsigned call, unsigned case_index,
                     const char *label, const char *unit, double *values,
                     double *cpu, size_t *counts, uint64_t *iterations)
{
    tl__runs *runs = b->runs;
    size_t with = 0, n = 0;
    for (size_t r = 0; r < runs->run_count; r++) {
        tl__run_data *run = &runs->runs[r];
        size_t first, end, before = n;
        if (is_once_call(call) && run->index != 0)
            continue; /* measured in run 0 only */
        rows_of_call(run, call, &first, &end);
        for (size_t i = first; i < end; i++) {
            const tl__sample_row *row = &run->rows[i];
            if (row->case_index != case_index)
                continue;
            check_row(b, run, row, label, unit);
            values[n] = row->value;
            cpu[n++] = row->cpu_ns;
            iterations[with] = row->iterations;
            if (runs->samples.f)
                write_sample(runs->samples.f, row);
        }
        if (n > before)
            counts[with++] = n - before;
    }
    return with;
}

/* A call of a section measured once needs run 0 among the runs. */
static void check_run_zero(tl_bench *b, unsigned call, const char *label)
{
    const tl__runs *runs = b->runs;
    for (size_t r = 0; r < runs->run_count; r++)
        if (runs->runs[r].index == 0)
            return;
    const tl_bench_section *s = runs->current;
    tl_bench_fail(b,
                  "cannot combine: call %u ('%s', section %s) is measured once, "
                  "in run 0 (--run-index 0), and none of the %zu runs is run 0",
                  call, label ? label : "", s ? s->name : "?", runs->run_count);
}

int tl__runs_replay(tl_bench *b, unsigned call, unsigned case_index,
                    const char *label, const char *unit, tl_stats *out)
{
    tl__runs *runs = b->runs;
    size_t total = 0, expected = is_once_call(call) ? 1 : runs->run_count;
    if (is_once_call(call))
        check_run_zero(b, call, label);
    for (size_t r = 0; r < runs->run_count; r++)
        total += runs->runs[r].count;
    double *values = malloc((total + 1) * sizeof *values);
    double *cpu = malloc((total + 1) * sizeof *cpu);
    size_t *counts = malloc(runs->run_count * sizeof *counts);
    uint64_t *iterations = malloc(runs->run_count * sizeof *iterations);
    int err = values && cpu && counts && iterations ? 0 : ENOMEM;
    size_t with = err ? 0 : gather(b, call, case_index, label, unit, values,
                                   cpu, counts, iterations);
    if (!err && with == 0)
        err = ENODATA; /* it failed in every run */
    else if (!err && with < expected)
        tl_bench_fail(b,
                      "cannot combine: call %u ('%s') has samples in %zu of "
                      "the %zu runs (it failed in the others)",
                      call, label ? label : "", with, expected);
    size_t n = 0;
    for (size_t r = 0; r < with; r++)
        n += counts[r];
    if (!err)
        err = tl__stats_combine(values, counts, with, unit, out);
    if (!err) {
        out->cpu_median = tl__median_of(cpu, n);
        out->iterations = iterations[with / 2]; /* a run's batch: they differ */
        flush_samples(runs);
    }
    free(values);
    free(cpu);
    free(counts);
    free(iterations);
    return err;
}

/* ---- the bench's own samples -------------------------------------------------------- */

int tl_bench_stats(tl_bench *b, const double *samples, size_t n,
                   const char *unit, tl_stats *out)
{
    if (!b || !out)
        return EINVAL;
    unsigned call = tl__runs_call(b);
    if (tl_bench_planning(b)) {
        tl__plan_placeholder(b, NULL, unit ? unit : "", out);
        return 0;
    }
    if (tl_bench_replaying(b))
        return tl__runs_replay(b, call, 0, NULL, unit ? unit : "", out);
    int err = tl_stats_compute(samples, n, unit, out);
    if (!err)
        tl__runs_record(b, call, 0, NULL, out->unit, samples, NULL, n, 1);
    return err;
}

/* ---- closing ---------------------------------------------------------------------------- */

void tl__runs_discard(tl_bench *b)
{
    if (b->runs)
        tl__outfile_discard(&b->runs->samples);
}

void tl__runs_free(tl_bench *b)
{
    tl__runs *runs = b->runs;
    if (!runs)
        return;
    tl__outfile_discard(&runs->samples);
    for (size_t r = 0; r < runs->run_count; r++) {
        for (size_t i = 0; i < runs->runs[r].count; i++)
            free(runs->runs[r].rows[i].label);
        free(runs->runs[r].rows);
        free(runs->runs[r].dir);
        free(runs->runs[r].run_json);
    }
    free(runs->runs);
    for (size_t i = 0; i < runs->case_count; i++)
        free(runs->cases[i].label);
    free(runs->cases);
    for (size_t i = 0; i < runs->fact_count; i++)
        free(runs->facts[i].name);
    free(runs->facts);
    free(runs);
    b->runs = NULL;
}

/* The most calls of each kind a run recorded: max + 1, or 0. */
static void calls_recorded(const tl__run_data *run, unsigned *calls,
                           unsigned *once_calls)
{
    *calls = *once_calls = 0;
    for (size_t i = 0; i < run->count; i++) {
        unsigned c = run->rows[i].call;
        if (is_once_call(c) && c - TL_ONCE_CALL_BASE + 1 > *once_calls)
            *once_calls = c - TL_ONCE_CALL_BASE + 1;
        else if (!is_once_call(c) && c + 1 > *calls)
            *calls = c + 1;
    }
}

void tl__runs_check_complete(tl_bench *b)
{
    const tl__runs *runs = b->runs;
    for (size_t r = 0; runs && r < runs->run_count; r++) {
        const tl__run_data *run = &runs->runs[r];
        unsigned calls, once_calls;
        calls_recorded(run, &calls, &once_calls);
        if (calls > runs->next_call || once_calls > runs->next_once_call)
            tl_bench_fail(b,
                          "cannot combine: %s recorded %u measuring calls, but "
                          "this combine made only %u: the runs were made with "
                          "other flags or another build",
                          run->dir, calls > runs->next_call ? calls : once_calls,
                          calls > runs->next_call ? runs->next_call
                                                  : runs->next_once_call);
    }
}

int tl__runs_commit(tl_bench *b)
{
    tl__runs *runs = b->runs;
    if (!runs)
        return 0;
    int err = runs->write_error;
    if (err)
        tl__outfile_discard(&runs->samples);
    else if (runs->samples.f)
        err = tl__outfile_commit(&runs->samples);
    int json_err = tl__run_json_write(b);
    return err ? err : json_err;
}
