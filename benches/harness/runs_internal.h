/* runs_internal.h: what the harness shares about runs (record and replay of
 * samples, runs.c), plan mode (plan.c), the environment of a run (env.c)
 * and the statistics behind them (stats.c). Not for benches; tests may
 * include it for white-box checks. */
#ifndef TL_RUNS_INTERNAL_H
#define TL_RUNS_INTERNAL_H

#include "harness_internal.h"

/* ---- statistics (stats.c) ------------------------------------------------------ */

/* The order-statistic interval of the median of sorted x (n >= 1): the
 * narrowest [x_(k), x_(n+1-k)] whose level, in *level, is at least 95%, or
 * [min, max] with its lower level when n < 6 (see stats.c). */
void tl__median_interval(const double *x, size_t n, double *lo, double *hi,
                         double *level);

/* Summarises the samples of several runs, run after run (run_counts[r] of
 * them each, none 0): the figures of all samples pooled, the interval of
 * the median over the runs' medians, runs = the run count. One run gives
 * exactly tl_stats_compute. Returns 0, EINVAL or ENOMEM. */
int tl__stats_combine(const double *samples, const size_t *run_counts,
                      size_t runs, const char *unit, tl_stats *out);

/* The median of the finite values among n (NaN if none). */
double tl__median_of(const double *values, size_t n);

/* ---- the environment of a run (env.c) ------------------------------------------ */

/* What /proc says at one moment: the system's CPU ticks and this
 * process's, with the monotonic time they were read at. */
typedef struct tl__env_snapshot {
    bool have_stat;           /* /proc/stat was read */
    unsigned long long busy, idle, iowait, steal, total; /* ticks, all CPUs */
    bool have_self;           /* /proc/self/stat was read */
    unsigned long long self_ticks;  /* utime + stime of this process */
    uint64_t when_ns;         /* tl_now_ns() at the reading */
    double cpu_mhz;           /* mean "cpu MHz" of /proc/cpuinfo, or NaN */
} tl__env_snapshot;

/* Reads a snapshot from root's /proc ("" for the real one; tests give a
 * folder of fixtures). Fields that cannot be read are left marked so. */
void tl__env_read(const char *root, tl__env_snapshot *s);

/* What happened between two snapshots, per second of wall time. */
typedef struct tl__env_usage {
    double wall_s;
    double steal_fraction;  /* steal ticks / all ticks; NaN if unknown */
    double busy_pus;        /* PUs busy on average (anyone) */
    double self_pus;        /* PUs this process kept busy on average */
    double other_busy_pus;  /* busy_pus - self_pus, >= 0 */
} tl__env_usage;

/* ticks_per_s: sysconf(_SC_CLK_TCK). */
tl__env_usage tl__env_usage_between(const tl__env_snapshot *a,
                                    const tl__env_snapshot *b,
                                    double ticks_per_s);

/* Writes the "environment" object of run.json (no key, just the object):
 * the usage between a and b, and what root's /proc and /sys say about the
 * hypervisor, frequency, governor, boost, SMT and ASLR. */
void tl__env_write_json(FILE *f, const char *root, const tl__env_snapshot *a,
                        const tl__env_snapshot *b);

/* Writes <out>/<bench>.run.json (fields: see env.c). Returns 0 or an
 * errno. */
int tl__run_json_write(const tl_bench *b);

/* ---- record, replay, plan (runs.c, plan.c) ---------------------------------------- */

typedef struct tl__sample_row {
    unsigned call, case_index, sample;
    long run;
    char *label;           /* owned */
    char unit[16];
    double value, cpu_ns;  /* cpu_ns NaN when empty */
    uint64_t iterations;
} tl__sample_row;

/* One run loaded for --combine. */
typedef struct tl__run_data {
    char *dir;             /* owned */
    tl__sample_row *rows;  /* owned, by call, case and sample */
    size_t count, cap;
    char *run_json;        /* owned text of <dir>/<bench>.run.json, or NULL */
    long index;            /* its --run-index (from its rows); -1 if none */
} tl__run_data;

typedef struct tl__planned_case {
    char *label;           /* owned */
    unsigned threads;
    size_t memory_bytes;
    double estimate_s;
    bool estimated;        /* the bench gave estimate_ns */
    bool once;             /* in a section measured once (run 0 only) */
} tl__planned_case;

typedef struct tl__plan_fact {
    char *name;            /* owned */
    double value;
} tl__plan_fact;

typedef struct tl__runs tl__runs;
struct tl__runs {
    unsigned next_call;    /* sequence number of the next measuring call */
    unsigned next_once_call; /* ... in a section measured once, less
                                TL_ONCE_CALL_BASE */
    const tl_bench_section *current; /* tl_bench_section_begin's, or NULL */
    tl__outfile samples;   /* <bench>.samples.csv: record and combine */
    tl__run_data *runs;    /* combine: the runs, owned */
    size_t run_count;
    tl__planned_case *cases; /* plan: owned */
    size_t case_count, case_cap;
    tl__plan_fact *facts;  /* plan: owned */
    size_t fact_count, fact_cap;
    tl__env_snapshot env_open;
    int write_error;       /* first errno writing samples, or 0 */
};

/* Called by tl_bench_open once the command line is parsed and (outside
 * plan mode) the output folder exists: loads the runs to combine (a bad
 * run is fatal: exit 1 with the reason), opens the samples file, reads the
 * environment. Returns 0 or the errno of creating the samples file. */
int tl__runs_open(tl_bench *b);

/* Combine mode, at close before anything is committed: every call the runs
 * recorded was replayed, or it is fatal (exit 1): a bench that made fewer
 * calls than its runs did was run with other flags. */
void tl__runs_check_complete(tl_bench *b);

/* Called by tl_bench_close: commits the samples file and writes run.json.
 * Returns 0 or an errno. */
int tl__runs_commit(tl_bench *b);

/* Removes the samples file begun by tl__runs_open (usage errors). */
void tl__runs_discard(tl_bench *b);

/* Frees what tl__runs_open made. Accepts a bench without it. */
void tl__runs_free(tl_bench *b);

/* The sequence number of a new measuring call: from TL_ONCE_CALL_BASE on
 * in a section measured once. */
unsigned tl__runs_call(tl_bench *b);

/* Records the n samples of case case_index of call `call`. */
void tl__runs_record(tl_bench *b, unsigned call, unsigned case_index,
                     const char *label, const char *unit,
                     const double *values, const double *cpu_ns, size_t n,
                     uint64_t iterations);

/* Combine mode: the combined statistics of case case_index of call `call`
 * over every run, after checking its label and unit (a mismatch is fatal,
 * exit 1). Returns 0, ENODATA (no run recorded it) or ENOMEM. */
int tl__runs_replay(tl_bench *b, unsigned call, unsigned case_index,
                    const char *label, const char *unit, tl_stats *out);

/* Plan mode: records a planned case and fills *out with the placeholder
 * statistics. */
void tl__plan_add(tl_bench *b, const char *label, const tl_measure_opts *opts,
                  double estimate_s);
void tl__plan_placeholder(const tl_bench *b, const tl_measure_opts *opts,
                          const char *unit, tl_stats *out);

/* Plan mode: prints the plan (text or JSON, and --plan-json FILE). Returns
 * the exit status: 0, or 1 if the JSON file cannot be written. */
int tl__plan_print(tl_bench *b);

#endif /* TL_RUNS_INTERNAL_H */
