/* harness_internal.h: what the harness's files share; not for benches (tests may
 * include it for white-box checks). */
#ifndef TL_HARNESS_INTERNAL_H
#define TL_HARNESS_INTERNAL_H

#include "harness.h"

#include <stdarg.h>
#include <stdio.h>

/* ---- the command line (cli.c) ------------------------------------------------- */

#define TL__REPS_DEFAULT 10
#define TL__REPS_QUICK 3
#define TL__MIN_TIME_DEFAULT_S 0.01
#define TL__MIN_TIME_QUICK_S 0.002

typedef struct tl__cli {
    bool help, quick, quiet;
    bool describe;     /* --describe: print the description, exit */
    bool print_machine_name; /* --print-machine-name: print it, exit */
    bool no_openmp, no_glib; /* only where spec->uses says */
    const char *section; /* "all" or a section name (points into argv) */
    unsigned reps;
    double min_time_s;
    unsigned *threads; /* owned */
    size_t threads_count;
    tl_pin_policy pin;
    char *out_dir;     /* owned: --out, or <program folder>/scratch/<machine> */
    char *machine;     /* owned: --machine, $MACHINE, or the slug */
    /* Runs and plan mode (runs_internal.h). */
    long run_index;    /* --run-index: tags this run's samples; 0 */
    char *combine;     /* owned: --combine DIR1,DIR2,..., or NULL */
    char *combine_from; /* owned: --combine-from RUNSDIR, or NULL */
    int plan;          /* TL__PLAN_*: --plan, --plan=json, --plan-json */
    char *plan_json;   /* owned: --plan-json FILE, or NULL */
} tl__cli;

enum { TL__PLAN_OFF, TL__PLAN_TEXT, TL__PLAN_JSON };

/* Parses argv into *cli. default_machine is used when neither --machine nor
 * $MACHINE is given; pus is what P means in --threads. Returns 0, ENOMEM, or
 * EINVAL with the one-line reason (naming the flag, without the program
 * name) in err. */
int tl__cli_parse(const tl_bench_spec *spec, int argc, char **argv,
                  const char *default_machine, unsigned pus, tl__cli *cli,
                  char *err, size_t err_size);
void tl__cli_release(tl__cli *cli);

/* Prints --help for spec to f. */
void tl__cli_help(const tl_bench_spec *spec, const char *default_machine,
                  unsigned pus, FILE *f);

/* Prints the usage hint that follows a usage error. */
void tl__cli_hint(const tl_bench_spec *spec, FILE *f);

/* A machine name is a path component: letters, digits, '-', '_', '.', not
 * starting with '.'. */
bool tl__machine_name_ok(const char *name);

/* The longest machine name: a folder name, with room left under NAME_MAX
 * (255) for "compare-A-vs-B", ".tmp-<pid>-" and "-quick". */
#define TL__MACHINE_NAME_MAX 100

/* The default machine name of this machine, the one place it is computed:
 * the slug of the topology's CPU model, what tells apart CPUs of one model
 * string (family.model.stepping, the total LLC), the whole machine's PU
 * count (pus, the process's, when the topology does not say), then
 * "-bound<N>" when the process may use only N of them and "-clang" for a
 * clang build: "amd-epyc-25.1.1-llc32m-2pu". Results of different machines,
 * bindings or compilers never share a folder. Writes into buf; returns
 * buf. */
char *tl__default_machine_name(const tl_topo *topo, unsigned pus, char *buf,
                               size_t size);

/* "amd-epyc-2pu": the CPU model lower-cased, its marketing words dropped,
 * runs of other characters made one '-', then tag (when not NULL or empty:
 * "amd-epyc-25.1.1-2pu"), then the PU count. Writes into buf; returns buf. */
char *tl__machine_slug(const char *cpu_model, const char *tag, unsigned pus,
                       char *buf, size_t size);

/* ---- files written whole or not at all (outfile.c) ---------------------------- */

typedef struct tl__outfile {
    FILE *f;           /* open on temp_path while writing */
    char *temp_path;   /* <final>.partial */
    char *final_path;
} tl__outfile;

/* Creates dir (and its parents) if missing. Returns 0 or an errno value. */
int tl__mkdirs(const char *dir);

/* Opens <dir>/<name>.partial for writing. Returns 0 or an errno value. */
int tl__outfile_open(tl__outfile *o, const char *dir, const char *name);

/* Flushes, syncs and closes the file, then renames it to its final name.
 * Returns 0 or an errno value; the temporary file is removed on error. */
int tl__outfile_commit(tl__outfile *o);

/* Closes and removes the temporary file; the final name is untouched.
 * Accepts an outfile never opened (zeroed). */
void tl__outfile_discard(tl__outfile *o);

/* A bench writes all of its files or none under their real names: after
 * tl__outfile_defer, commits (and adopts) write and sync the temporary file
 * but hold back its rename; tl__outfile_settle(true) then does every rename,
 * tl__outfile_settle(false) removes every temporary file instead. Settle
 * returns 0 or the errno of a failed rename (the files after it are not
 * published). */
void tl__outfile_defer(void);
int tl__outfile_settle(bool publish);

/* A finished temporary file written by other means (hwloc's XML export):
 * renamed to final_path now, or at settle time while deferring. Returns 0
 * or an errno value. */
int tl__outfile_adopt(const char *temp_path, const char *final_path);

/* ---- CSV and JSON text (csv.c, json.c) ------------------------------------------ */

/* Writes one CSV field, quoted when it holds a comma, quote, CR or LF, or
 * starts or ends with a space (RFC 4180). */
void tl__csv_field(FILE *f, const char *text);

/* Writes text as a JSON string literal, quotes included: escapes quotes,
 * backslashes and control characters, and replaces bytes that are not valid
 * UTF-8 with U+FFFD so the file always parses. NULL writes null. */
void tl__json_string(FILE *f, const char *text);

/* A double as a JSON number (null for NaN or infinities). */
void tl__json_number(FILE *f, double value);

/* ---- the statistics columns and the description (columns.c, describe.c) ---- */

/* The fixed statistics columns every row ends with, in CSV order: the one
 * list of them, read by the CSV writer, --help and the description. */
typedef struct tl__stat_column {
    const char *name;  /* "median" */
    const char *help;  /* what it holds, one line */
    bool optional;     /* may be empty in a measured row (not measured) */
} tl__stat_column;

extern const tl__stat_column tl__stat_columns[];
extern const size_t tl__stat_column_count;

/* Writes the statistics columns' names, comma-separated (no newline). */
void tl__stats_header(FILE *f);

/* Writes a row's statistics fields, comma-separated (empty ones for NULL:
 * a row that measured nothing). */
void tl__stats_fields(FILE *f, const tl_stats *s);

/* Writes the bench's description as JSON (a newline at the end): name,
 * question, columns, sections, statistics columns, thresholds. */
void tl__describe(const tl_bench_spec *spec, FILE *f);

/* ---- the bench itself (bench.c) -------------------------------------------------- */

typedef struct tl__progress {
    bool tty;          /* live line (\r) rather than plain lines */
    bool line_shown;   /* a live line is on screen, to be cleared */
    unsigned planned;  /* cases announced by tl_bench_plan, or 0 */
} tl__progress;

struct tl_bench {
    const tl_bench_spec *spec;
    size_t columns;
    int argc;
    char **argv;
    tl__cli cli;
    tl_topo *topo;     /* NULL if hwloc failed */
    unsigned pus;      /* what P means: available parallelism */
    tl__outfile csv;
    unsigned rows;
    char *answer;      /* owned, or NULL */
    tl__progress progress;
    double load_average[3]; /* at open: how busy the machine was */
    time_t started;
    int write_error;   /* first errno writing a row, or 0 */
    unsigned skipped;  /* cases the OS refused (tl_bench_skip_refused) */
    unsigned unstable; /* rows marked unstable, summed up at close */
    double worst_unstable_cv;
    char worst_unstable[128]; /* that row's key values */
    struct tl__runs *runs; /* record, replay and plan state (runs.c) */
};

/* ---- progress on stderr (progress.c) --------------------------------------------- */

/* Shows where the bench is: "[3/12] spawn_cost raw threads=4  rep 5/10".
 * A live line on a terminal; elsewhere one plain line per case (rep 0). */
void tl__progress_rep(tl_bench *b, const char *label, unsigned rep,
                      unsigned reps);

/* Clears the live line so that other text can be printed. */
void tl__progress_clear(tl_bench *b);

/* Prints "<bench>: " + message + newline on stderr, the live line cleared. */
void tl__progress_vsay(tl_bench *b, const char *prefix, const char *fmt,
                       va_list ap) __attribute__((format(printf, 3, 0)));

/* ---- machine card (meta.c) ------------------------------------------------------- */

/* Writes <out>/meta.json and <out>/topology.xml. Returns 0 or an errno. */
int tl__meta_write(const tl_bench *b);

#endif /* TL_HARNESS_INTERNAL_H */
