/*
 * harness.h: the measurement kit every threadlab benchmark is written on.
 *
 * A bench is a short main(): it declares its name, its question, its key
 * columns and any flags of its own; the harness parses the common command
 * line, times operations (warm-up, calibrated batches), summarises samples,
 * reports progress on stderr and writes the results:
 *
 *   static int empty(void *ctx, uint64_t iterations) { ... return 0; }
 *
 *   int main(int argc, char **argv)
 *   {
 *       static const tl_bench_column columns[] = {
 *           { .name = "strategy", .kind = TL_COLUMN_KEY, .help = "the API" },
 *           { .name = "threads", .kind = TL_COLUMN_KEY, .help = "at once" },
 *           { 0 } };
 *       tl_bench *b = tl_bench_open(argc, argv, &(tl_bench_spec){
 *           .name = "spawn_cost",
 *           .question = "What does one thread cost?",
 *           .columns = columns });
 *       size_t n;
 *       const unsigned *threads = tl_bench_threads(b, &n);
 *       tl_bench_plan(b, n);
 *       for (size_t i = 0; i < n; i++) {
 *           tl_stats s;
 *           if (tl_bench_measure(b, spawn_join, &threads[i],
 *                                &(tl_measure_opts){ .label = "raw" }, &s) == 0)
 *               tl_bench_row(b, &s, TL_STR("raw"), TL_UINT(threads[i]));
 *       }
 *       tl_bench_answer(b, "One thread costs %.0f us.", ...);
 *       return tl_bench_close(b);
 *   }
 *
 * The spec is the one description of the bench: --describe prints it as
 * JSON (the same as <bench>.schema.json) and exits; the Python scripts, the
 * CSV checker and the README's column tables all read it from there.
 *
 * Files, in --out (default <program folder>/scratch/<machine>/):
 *   <bench>.csv         the bench's columns, then the statistics columns
 *                       (their one list is in columns.c);
 *                       rows are flushed as measured into <bench>.csv.partial,
 *                       renamed to <bench>.csv by tl_bench_close, so a run
 *                       that dies never leaves a half file under the real name
 *   <bench>.samples.csv every sample of the run (see "runs" below)
 *   <bench>.run.json    this run's command line, settings and environment
 *   <bench>.answer.txt  the sentence given to tl_bench_answer
 *   <bench>.schema.json the bench's description (what --describe prints)
 *   meta.json           the machine card (see meta.c) and this run's settings
 *   topology.xml        hwloc's view of the machine
 * all written by tl_bench_close, each under a temporary name then renamed.
 *
 * The harness is for the bench's main thread: call it from one thread. The
 * operations it times may of course start threads of their own.
 */
#ifndef TL_HARNESS_H
#define TL_HARNESS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <threadlab/topo.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- clock ------------------------------------------------------------------ */

/* CLOCK_MONOTONIC in nanoseconds: the one clock all measurements use. */
static inline uint64_t tl_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* What reading the clock costs and how fine it is, measured (once per
 * process, the first time it is asked for) rather than taken from
 * clock_getres: the median cost of one tl_now_ns() call, and the smallest
 * step seen between two readings. */
typedef struct tl_timer_info {
    double overhead_ns;
    double resolution_ns;
    double getres_ns; /* what clock_getres claims, for comparison */
} tl_timer_info;

const tl_timer_info *tl_timer(void);

/* ---- statistics ---------------------------------------------------------------- */

/* The summary of a case's samples. Medians are the figure to quote. */
typedef struct tl_stats {
    char unit[16];      /* "ns" (per operation) for tl_bench_measure; the
                           caller's unit otherwise ("bytes", "ratio"...) */
    size_t n;           /* samples */
    double min, p05, median, p95, max; /* percentiles: linear interpolation
                                          between order statistics */
    double mean, stddev; /* stddev with n - 1 (0 for one sample) */
    double cv;          /* stddev / mean (0 when the mean is 0) */
    double ci_lo, ci_hi; /* confidence interval of the median: order
                            statistics (distribution-free), at level
                            ci_level; after --combine, over the runs'
                            medians (see "runs" below) */
    size_t outliers;    /* samples beyond the Tukey fences (1.5 IQR) */
    bool unstable;      /* cv > TL_UNSTABLE_CV, or min or max further than
                           TL_UNSTABLE_SPREAD times from the median */
    uint64_t iterations; /* operations per sample: the calibrated batch of
                            tl_bench_measure, 1 for the other ways */
    /* Runs and CPU time (added after the fields above; more may follow). */
    double ci_level;     /* the probability that [ci_lo, ci_hi] holds the
                            median: >= 0.95 from 6 samples (or runs) on,
                            less below: 0.75 at 3, 0.9375 at 5, 0 at 1 */
    unsigned runs;       /* independent processes combined: 1, or K after
                            --combine of K runs (n counts all their samples) */
    double cpu_median;   /* process CPU time per operation (per sample for
                            tl_bench_sample), ns, median; NaN when not
                            measured (tl_stats_compute, tl_bench_stats) */
} tl_stats;

#define TL_UNSTABLE_CV 0.10
#define TL_UNSTABLE_SPREAD 1.5

/* Summarises n samples (any order; not modified) measured in unit. Returns
 * 0, EINVAL (n == 0, a NULL pointer, a NaN sample) or ENOMEM. */
int tl_stats_compute(const double *samples, size_t n, const char *unit,
                     tl_stats *out);

/* ---- declaring a bench ---------------------------------------------------------- */

/* A flag of the bench's own, e.g. --cap N. Give a name, a help line, and
 * exactly one target; tl_bench_open fills the target when the flag is given
 * and leaves it alone (the default) otherwise. Bad values are usage errors
 * (exit 2) like those of the common flags. */
typedef struct tl_bench_flag {
    const char *name;          /* "cap" for --cap */
    const char *metavar;       /* "N" in --help; ignored for switches */
    const char *help;          /* one line; say the default */
    long *long_value;          /* an integer in [min, max] */
    double *double_value;      /* a number in [min, max] */
    size_t *size_value;        /* bytes: 4096, 64K, 8M, 1G (powers of 1024),
                                  in [min, max] */
    const char **string_value; /* non-empty text (points into argv); one of
                                  choices if given */
    bool *switch_value;        /* no value; set to true when present */
    double min, max;           /* bounds for numbers; min == max == 0 means
                                  ">= 0, no upper bound" */
    const char *const *choices; /* NULL-terminated, for string_value */
} tl_bench_flag;

/* What a bench column holds: its description (<bench>.schema.json, the
 * README's tables, the CSV checker) says so. */
typedef enum tl_column_kind {
    TL_COLUMN_KEY,     /* names the case: section, strategy, threads... */
    TL_COLUMN_METRIC,  /* a number measured beside the statistics */
    TL_COLUMN_DERIVED, /* a number the bench computed from the statistics */
} tl_column_kind;

/* How a derived column's 95% band follows from the median's (for charts):
 * the value at ci_lo and ci_hi instead of the median. */
typedef enum tl_column_band {
    TL_BAND_NONE,    /* no band */
    TL_BAND_INVERSE, /* value = k / median (speedup, efficiency) */
    TL_BAND_AFFINE,  /* value = k x median - band_offset's column (an
                        overhead: k x wall - the work itself) */
} tl_column_band;

/* One of the bench's own columns, in CSV order (key columns first). */
typedef struct tl_bench_column {
    const char *name;       /* "threads" */
    tl_column_kind kind;
    const char *unit;       /* "ns", "bytes", "x"...; NULL for labels, counts */
    const char *help;       /* what it holds, one line (the README shows it) */
    tl_column_band band;    /* derived columns: see tl_column_band */
    const char *band_offset; /* TL_BAND_AFFINE: the column subtracted */
    /* More fields may be added at any time; zero means the default. */
} tl_bench_column;

/* A section of a bench: the rows whose "section" column has its name. */
typedef struct tl_bench_section {
    const char *name;  /* "grain" */
    const char *unit;  /* the unit of its statistics: "ns", "bytes"... */
    const char *help;  /* what a row measures, one line */
    const char *const *cases; /* the values the spec's cases_column takes in
                                 its rows, NULL-terminated; NULL: any */
    const char *const *filled; /* bench columns filled in every row of it,
                                  NULL-terminated; NULL: none */
    bool once;         /* it measures a count or a size that is the same in
                          every run (threads a capped child created, a
                          kernel limit, bytes per thread), not a time:
                          measured in run 0 only, its rows say runs = 1
                          (see tl_bench_section_begin); say why in help */
    /* More fields may be added at any time; zero means the default. */
} tl_bench_section;

/* A NULL-terminated list of strings, for tl_bench_section:
 * .cases = TL_LIST("pool", "raw"). */
#define TL_LIST(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* Peers a bench compares against, whose flags the harness then adds. */
#define TL_USES_OPENMP 1u /* --no-openmp; see tl_bench_openmp */
#define TL_USES_GLIB 2u   /* --no-glib; see tl_bench_glib */

typedef struct tl_bench_spec {
    const char *name;      /* "thread_count": file names, messages */
    const char *question;  /* one sentence, for --help and the report */
    const tl_bench_column *columns; /* the bench's own columns, ended by an
                                       entry with a NULL name */
    const tl_bench_flag *flags; /* extra flags, ended by an entry with a NULL
                                   name; NULL for none */
    const char *threads_default; /* default --threads list (same syntax);
                                    NULL = "1-Px2" */
    const tl_bench_section *sections; /* ended by an entry with a NULL name;
                                         NULL: the bench has no "section"
                                         column */
    const char *cases_column; /* the column sections list the values of
                                 ("strategy"); NULL: sections list none */
    bool section_flag;     /* the harness adds --section NAME (default all):
                              see tl_bench_runs */
    unsigned uses;         /* TL_USES_OPENMP | TL_USES_GLIB */
    const char *measures;  /* without sections: what a row's statistics
                              measure, one line ("wall time of ...") */
    const char *unit;      /* without sections: their unit ("ns"); NULL:
                              not checked */
    /* More fields may be added at any time; zero means the default. */
} tl_bench_spec;

typedef struct tl_bench tl_bench;

/* Parses the common command line and the spec's flags, loads the topology,
 * measures the timer, and prepares the output folder and <bench>.csv.partial
 * (header written). Exits with status 2 on a usage error (one line on stderr
 * naming the flag, then a hint), 0 after --help, 1 if the output cannot be
 * created: a bench's main has nothing to clean up at that point. spec and
 * argv must outlive the bench. Never returns NULL. */
tl_bench *tl_bench_open(int argc, char **argv, const tl_bench_spec *spec);

/* Commits the results: renames the CSV to its real name, writes the answer,
 * meta.json and topology.xml, prints the answer on stdout, frees the bench.
 * Returns the exit status for main: 0, or 1 if anything could not be written
 * (said on stderr). Accepts NULL (returns 1). */
int tl_bench_close(tl_bench *b);

/* ---- what the command line said ---------------------------------------------- */

bool tl_bench_quick(const tl_bench *b);   /* --quick: run a small sweep too */
unsigned tl_bench_reps(const tl_bench *b); /* samples per case */
double tl_bench_min_time_s(const tl_bench *b);
/* P, as --threads and the benches' defaults read it: this process's
 * parallelism (tl_available_parallelism: its binding and cgroup quota), or,
 * on a made-up machine (--plan on HWLOC_SYNTHETIC or an XML topology), that
 * machine's PUs. */
unsigned tl_bench_pus(const tl_bench *b);
/* The --threads list, ascending, no duplicates, each >= 1. Lives as long as
 * b. */
const unsigned *tl_bench_threads(const tl_bench *b, size_t *count);
tl_pin_policy tl_bench_pin(const tl_bench *b);
/* The topology, or NULL if hwloc could not load one (then pinning is
 * impossible and the machine card says "unknown"). Lives as long as b. */
const tl_topo *tl_bench_topo(const tl_bench *b);
const char *tl_bench_out_dir(const tl_bench *b);
const char *tl_bench_machine(const tl_bench *b);
/* --section: "all" or the name of one of spec->sections. */
const char *tl_bench_chosen_section(const tl_bench *b);
/* Whether the section runs: --section is all or it. Naming a section the
 * spec does not declare is a bench bug (aborts). */
bool tl_bench_runs(const tl_bench *b, const char *section);
/* Whether to run the OpenMP (GLib) series: false after --no-openmp
 * (--no-glib). Builds without the library must still leave it out. */
bool tl_bench_openmp(const tl_bench *b);
bool tl_bench_glib(const tl_bench *b);

/* Pins the calling thread as the index-th worker under --pin. Returns 0
 * (always, for --pin none), or the errno of tl_topo_pin_self (ENOSYS when no
 * topology could be loaded). Safe to call from the bench's worker threads. */
int tl_bench_pin_self(const tl_bench *b, unsigned index);

/* ---- measuring ------------------------------------------------------------------ */

/* The operation to time: do it `iterations` times, return 0 or an errno value
 * (which stops the measurement and is returned by tl_bench_measure). */
typedef int (*tl_bench_op)(void *ctx, uint64_t iterations);

/* One sample measured by the bench itself, in the unit it declares: a wall
 * time with its own setup excluded, bytes of RSS... Return 0 or an errno
 * value (which stops the measurement). */
typedef int (*tl_bench_sampler)(void *ctx, double *sample);

/* The memory --plan counts for one thread alive: its touched stack pages,
 * TLS and kernel task (the reserved 8 MiB stack is address space, not
 * memory). Every bench's plan uses this one figure. */
#define TL_PLAN_THREAD_BYTES (64u * 1024u)

/* How to measure one case; NULL or zero fields mean the defaults. */
typedef struct tl_measure_opts {
    const char *label;   /* progress: "raw threads=4"; NULL = no label */
    const char *unit;    /* tl_bench_sample only: "ns", "bytes"...; NULL = "ns" */
    unsigned reps;       /* samples; 0 = --reps */
    double min_time_s;   /* tl_bench_measure: a sample lasts at least this;
                            0 = --min-time */
    uint64_t iterations; /* tl_bench_measure: a fixed batch instead of
                            calibrating; 0 = calibrate */
    bool no_warmup;      /* skip the discarded warm-up run (for expensive
                            samplers whose first run is as good as any) */
    /* For --plan (see tl_bench_planning); measuring ignores them. */
    unsigned threads;    /* threads the case has alive at once; 0 = 1 */
    size_t memory_bytes; /* peak memory the case needs; 0 = unknown */
    double estimate_ns;  /* one operation's time (one sample's for
                            tl_bench_sample), if the bench knows it; 0 =
                            estimate from --reps and --min-time */
    /* More fields may be added at any time; zero means the default. */
} tl_measure_opts;

/* Times op: one warm-up call, then (unless opts->iterations is set) a
 * calibration that doubles, then extrapolates, the batch until one batch
 * lasts at least min-time; then reps batches of that size. Each sample is a
 * batch's time divided by its size: nanoseconds per operation, timer
 * overhead included (negligible once batches last >= min-time). Fills *out
 * and returns 0, or returns op's error, or ENOMEM. */
int tl_bench_measure(tl_bench *b, tl_bench_op op, void *ctx,
                     const tl_measure_opts *opts, tl_stats *out);

/* Collects reps samples from sampler (after one discarded warm-up sample
 * unless opts->no_warmup) and summarises them in opts->unit. Returns 0,
 * sampler's error, or ENOMEM. */
int tl_bench_sample(tl_bench *b, tl_bench_sampler sampler, void *ctx,
                    const tl_measure_opts *opts, tl_stats *out);

/* One operation of an interleaved measurement. */
typedef struct tl_bench_case {
    const char *label; /* progress: "pthread"; NULL = no label */
    tl_bench_op op;
    void *ctx;
} tl_bench_case;

/* Times several operations as tl_bench_measure times one, but interleaved,
 * so that their medians can be compared: drift (another process waking up,
 * the clock frequency changing) hits them all alike instead of whichever
 * ran at that moment. Each case gets its warm-up and calibrated batch size
 * on its own (opts as for tl_bench_measure, applied to every case); then
 * reps rounds each take one batch of every case, in order. Fills out[i] for
 * cases[i] and returns 0, or returns the first op error, EINVAL (NULL
 * arguments, count 0, a case without op) or ENOMEM. */
int tl_bench_measure_interleaved(tl_bench *b, const tl_bench_case *cases,
                                 size_t count, const tl_measure_opts *opts,
                                 tl_stats *out);

/* ---- runs, replay and plan mode ------------------------------------------------ */

/* Runs are the unit of repetition: samples inside one process do not see
 * what changes between processes (where threads first land, address-space
 * layout, other tenants), so a bench is run K times (--run-index I tags
 * each) and the runs are combined.
 *
 * Record (every normal run): every sample of every stats-producing call
 * (tl_bench_measure, _interleaved, _sample, tl_bench_stats) is appended to
 * <out>/<bench>.samples.csv:
 *   call,case,label,run,sample,value,unit,iterations,cpu_ns
 * call: the call's sequence number in the process (0, 1, ...; the calls
 * of sections measured once from TL_ONCE_CALL_BASE on); case: the
 * index within an interleaved call (else 0); label: the case's label;
 * run: --run-index; sample: 0..reps-1; value: the sample (per operation);
 * iterations: the batch size; cpu_ns: process CPU time per operation over
 * the sample (empty when not measured). Only calls that succeed are kept.
 * <out>/<bench>.run.json records the command line, the settings and the
 * environment of the run (see env.c).
 *
 * Combine (--combine DIR1,DIR2,... or --combine-from RUNSDIR, whose
 * sub-folders holding <bench>.samples.csv are the runs): main() runs again
 * with the runs' other flags, but no measuring call runs its operation:
 * call number k returns the combined statistics of what call k recorded in
 * every run (a label or unit that differs is an error: exit 1, naming the
 * call), so the bench's rows, derived columns and answer come from all the
 * runs. Combined rows have runs = K, n = all samples, and the interval of
 * the median over the K runs' medians (tl_stats.ci_lo). The output folder
 * gets the concatenated samples file and a run.json listing the runs'.
 *
 * Plan (--plan, --plan=json, --plan-json FILE): main() runs but nothing is
 * measured and no file under --out is written: each measuring call records
 * a planned case (label, opts->threads, opts->memory_bytes, an estimated
 * time) and returns placeholder statistics: every figure 1 (in the unit),
 * n = reps, runs = 1, stable, so ratios come out 1 and nothing divides by
 * zero. tl_bench_close prints the plan instead of results. */

/* Sections measured once (tl_bench_section.once): repeating a count or a
 * size K times buys nothing, so a run with --run-index > 0 skips them and
 * --combine takes their rows from run 0 alone (runs = 1; no run 0 among the
 * runs is an error: exit 1, one line). Their calls are numbered apart in the
 * samples file (from TL_ONCE_CALL_BASE), so a run that skips them numbers
 * every other call as run 0 does. --plan counts them in run 0's plan only.
 *
 * tl_bench_section_begin says which section the measuring calls that follow
 * belong to (until the next one), and returns whether this process measures
 * it: tl_bench_runs, and for a once section, not in a run > 0 (in combine
 * mode: true, answered from run 0). A bench with once sections begins every
 * section with it; one without need not call it. Naming a section the spec
 * does not declare is a bench bug (aborts). */
bool tl_bench_section_begin(tl_bench *b, const char *section);

#define TL_ONCE_CALL_BASE 1000000u

/* True in combine mode: the bench may skip work whose only use is to feed
 * measuring calls (their operations are not run). */
bool tl_bench_replaying(const tl_bench *b);

/* True with --plan: the bench should skip expensive set-up (pools, probes)
 * that measuring would need. */
bool tl_bench_planning(const tl_bench *b);

/* Statistics of samples the bench collected itself, in unit, recorded like
 * a measuring call's: tl_stats_compute plus the samples file. In combine
 * mode samples are ignored (may be NULL, n 0) and the runs' are combined;
 * in plan mode the placeholders come back. Returns 0 or as
 * tl_stats_compute (ENODATA when no run recorded this call). */
int tl_bench_stats(tl_bench *b, const double *samples, size_t n,
                   const char *unit, tl_stats *out);

/* A fact of the plan for tests and readers ("array_bytes", 1.5e9): printed
 * with the plan, and under "facts" in its JSON; a later value of the same
 * name replaces the earlier. Does nothing outside plan mode. */
void tl_bench_plan_fact(tl_bench *b, const char *name, double value);

/* A case the bench runs on its own (outside the measuring calls), for the
 * plan's totals: opts->label, threads, memory_bytes, and estimate_ns times
 * opts->reps (or --reps). Does nothing outside plan mode. */
void tl_bench_plan_case(tl_bench *b, const tl_measure_opts *opts);

/* ---- work to time --------------------------------------------------------------- */

/* Busy CPU work the compiler can neither remove nor shorten: `iterations`
 * steps of a dependent multiply-add chain (a few ns each, no memory
 * traffic), whose result is returned. The unit of CPU-bound tasks. */
uint64_t tl_spin(uint64_t iterations);

/* The same chain carried on from x (tl_spin(n) is tl_spin_from(n, n)).
 * Tasks of a few ns that run back to back on one thread should link their
 * chains (x = tl_spin_from(x, n)): independent chains let the CPU overlap
 * the end of one task with the start of the next, and such tasks would run
 * faster than calibrated. */
uint64_t tl_spin_from(uint64_t x, uint64_t iterations);

/* The time one tl_spin iteration takes on this machine, measured once per
 * process: the fastest of 100 batches of about 1 ms, after 100 ms of
 * warm-up (on a shared VM most batches lose some time to other guests,
 * which would make every calibrated task run short). Thread-safe. */
double tl_spin_ns_per_iteration(void);

/* The tl_spin iterations that last about ns (at least 1). Thread-safe. */
uint64_t tl_spin_iterations(double ns);

/* A meeting point for a team of threads, to time a fork-join in which every
 * thread takes part: an empty task could otherwise be run by whichever
 * thread comes first, and a pool timed "forking" no thread at all. */
typedef struct tl_rendezvous {
    atomic_uint arrived; /* threads that reached it since the reset */
    unsigned expected;   /* team size */
    atomic_bool stuck;   /* someone gave up waiting (see tl_rendezvous_wait) */
} tl_rendezvous;

/* Prepares r for a team of `expected` threads; not while one waits. */
void tl_rendezvous_reset(tl_rendezvous *r, unsigned expected);

/* Arrives and waits until the whole team has: spins briefly, then yields
 * (more threads than PUs must let the others run). Returns true, or false
 * after 5 s without the team, having set r->stuck: the strategy under test
 * ran fewer threads at once than asked, which the bench reports as an
 * error rather than hang. */
bool tl_rendezvous_wait(tl_rendezvous *r);

/* Sleeps ns nanoseconds (CLOCK_MONOTONIC), resuming after signals: the unit
 * of tasks that block, standing for IO. Now libthreadlab's (thread.h);
 * declared here too for the files that include only this header. */
void tl_sleep_ns(uint64_t ns);

/* ---- writing results ----------------------------------------------------------- */

/* One value of a bench column: make them with the macros below. */
typedef struct tl_value {
    enum { TL__VALUE_STR, TL__VALUE_INT, TL__VALUE_UINT, TL__VALUE_NUM } kind;
    union {
        const char *str;  /* NULL writes an empty field */
        long long i;
        unsigned long long u;
        double num;       /* written with %.10g; NaN writes an empty field */
    } as;
} tl_value;

#define TL_STR(s) ((tl_value){ .kind = TL__VALUE_STR, .as.str = (s) })
#define TL_INT(x) ((tl_value){ .kind = TL__VALUE_INT, .as.i = (long long)(x) })
#define TL_UINT(x) \
    ((tl_value){ .kind = TL__VALUE_UINT, .as.u = (unsigned long long)(x) })
#define TL_NUM(x) ((tl_value){ .kind = TL__VALUE_NUM, .as.num = (double)(x) })

/* Writes one CSV row: the values of the bench's columns, in the spec's
 * order, then the statistics columns (empty when stats is NULL, for rows
 * that measured nothing, e.g. a probe that failed). The row is flushed to
 * disk now. Warns on stderr when stats->unstable. Giving a different number
 * of values than the spec has columns is a bug: it aborts with a message.
 *
 *   tl_bench_row(b, &stats, TL_STR("pool"), TL_UINT(threads), TL_NUM(speedup));
 */
#define tl_bench_row(b, stats, ...)                                          \
    tl__bench_row((b), (stats), (const tl_value[]){ __VA_ARGS__ },           \
                  sizeof((const tl_value[]){ __VA_ARGS__ }) / sizeof(tl_value))
void tl__bench_row(tl_bench *b, const tl_stats *stats, const tl_value *values,
                   size_t count);

/* The one-sentence answer the bench measured, printf-style; a later call
 * replaces an earlier one. Written to <bench>.answer.txt by
 * tl_bench_close. */
void tl_bench_answer(tl_bench *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- talking to the user --------------------------------------------------------- */

/* How many cases (rows) the bench will measure, for "[3/12]" in the
 * progress; without it progress shows "[3]". */
void tl_bench_plan(tl_bench *b, unsigned cases);

/* A note on stderr ("<bench>: ..."), keeping the live progress line intact;
 * silent with --quiet. */
void tl_bench_note(tl_bench *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A case the OS would not give what it needs: threads (EAGAIN: RLIMIT_NPROC,
 * threads-max, pid_max, cgroup pids.max), memory (ENOMEM), descriptors
 * (EMFILE, ENFILE) or a permission (EPERM). Then it prints one line naming
 * the case and the reason ("<bench>: skipped <label>: the OS refused: ..."),
 * counts the case, and returns true: the bench leaves the case out and goes
 * on with the others; tl_bench_close sums the skipped cases up and exits 1
 * only when no row at all could be measured. Any other err (a bug, a broken
 * measurement) returns false, and the bench should tl_bench_fail. */
bool tl_bench_skip_refused(tl_bench *b, const char *label, int err);

/* A usage error found by the bench itself (a flag value its type allowed
 * but the bench does not): removes the CSV begun by tl_bench_open, prints
 * "<bench>: " and the message, which should name the flag, then the usage
 * hint; exits 2. */
void tl_bench_usage_error(tl_bench *b, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));

/* A fatal error: prints "<bench>: error: ..." and exits 1, leaving no
 * results under their real names. */
void tl_bench_fail(tl_bench *b, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));

/* ---- parsing helpers (also used for the common flags) ---------------------------- */

/* Each returns 0, or EINVAL when text is not entirely a value of the kind
 * (leading/trailing junk, empty) or ERANGE when it does not fit. */
int tl_parse_long(const char *text, long *out);
int tl_parse_double(const char *text, double *out);     /* finite only */
int tl_parse_size_bytes(const char *text, size_t *out); /* 64K, 8M, 1G */

/* Parses a thread-count list: items separated by commas, each N, A-B (every
 * count from A to B) or A-BxK (A, A*K, A*K*K... and B); a count may be P or
 * kP, meaning k times pus. Values 1..1,000,000, at most 4096 of them. Fills
 * *out (malloc'ed, ascending, no duplicates; the caller frees) and *count.
 * Returns 0, EINVAL or ENOMEM. */
int tl_parse_threads(const char *text, unsigned pus, unsigned **out,
                     size_t *count);

#ifdef __cplusplus
}
#endif

#endif /* TL_HARNESS_H */
