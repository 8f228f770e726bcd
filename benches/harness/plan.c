/* plan.c: --plan. The bench's main() runs as usual but measures nothing:
 * each measuring call becomes a planned case (threads alive at once, peak
 * memory, estimated time) and gets placeholder statistics back; at close
 * the plan is printed, and nothing under --out is written. So a plan shows
 * what a bench would do on this machine (or on a synthetic hwloc topology)
 * without doing it. */
#define _GNU_SOURCE
#include "runs_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void tl__plan_add(tl_bench *b, const char *label, const tl_measure_opts *opts,
                  double estimate_s)
{
    tl__runs *runs = b->runs;
    if (runs->case_count == runs->case_cap) {
        size_t cap = runs->case_cap ? runs->case_cap * 2 : 64;
        tl__planned_case *more = realloc(runs->cases, cap * sizeof *more);
        if (!more)
            tl_bench_fail(b, "out of memory for the plan");
        runs->cases = more;
        runs->case_cap = cap;
    }
    tl__planned_case *c = &runs->cases[runs->case_count++];
    *c = (tl__planned_case){
        .label = strdup(label ? label : ""),
        .threads = opts && opts->threads ? opts->threads : 1,
        .memory_bytes = opts ? opts->memory_bytes : 0,
        .estimate_s = estimate_s,
        .estimated = opts && opts->estimate_ns > 0,
        .once = runs->current && runs->current->once,
    };
    if (!c->label)
        tl_bench_fail(b, "out of memory for the plan");
}

void tl__plan_placeholder(const tl_bench *b, const tl_measure_opts *opts,
                          const char *unit, tl_stats *out)
{
    unsigned reps = opts && opts->reps ? opts->reps : b->cli.reps;
    *out = (tl_stats){ .n = reps, .min = 1, .p05 = 1, .median = 1, .p95 = 1,
                       .max = 1, .mean = 1, .ci_lo = 1, .ci_hi = 1,
                       .iterations = opts && opts->iterations ? opts->iterations : 1,
                       .ci_level = 0, .runs = 1, .cpu_median = 1 };
    snprintf(out->unit, sizeof out->unit, "%s", unit ? unit : "");
}

void tl_bench_plan_case(tl_bench *b, const tl_measure_opts *opts)
{
    if (!tl_bench_planning(b) || !opts)
        return;
    unsigned reps = opts->reps ? opts->reps : b->cli.reps;
    tl__plan_add(b, opts->label, opts, reps * fmax(opts->estimate_ns, 0) * 1e-9);
}

void tl_bench_plan_fact(tl_bench *b, const char *name, double value)
{
    if (!tl_bench_planning(b) || !name)
        return;
    tl__runs *runs = b->runs;
    for (size_t i = 0; i < runs->fact_count; i++)
        if (strcmp(runs->facts[i].name, name) == 0) {
            runs->facts[i].value = value;
            return;
        }
    if (runs->fact_count == runs->fact_cap) {
        size_t cap = runs->fact_cap ? runs->fact_cap * 2 : 16;
        tl__plan_fact *more = realloc(runs->facts, cap * sizeof *more);
        if (!more)
            tl_bench_fail(b, "out of memory for the plan");
        runs->facts = more;
        runs->fact_cap = cap;
    }
    runs->facts[runs->fact_count] = (tl__plan_fact){ strdup(name), value };
    if (!runs->facts[runs->fact_count].name)
        tl_bench_fail(b, "out of memory for the plan");
    runs->fact_count++;
}

/* ---- printing ------------------------------------------------------------------------ */

typedef struct plan_totals {
    size_t cases;
    unsigned max_threads;
    size_t peak_memory_bytes;
    double estimate_s;
    double once_estimate_s; /* the part of it measured once (run 0 only) */
} plan_totals;

static plan_totals totals_of(const tl__runs *runs)
{
    plan_totals t = { .cases = runs->case_count };
    for (size_t i = 0; i < runs->case_count; i++) {
        const tl__planned_case *c = &runs->cases[i];
        t.max_threads = c->threads > t.max_threads ? c->threads : t.max_threads;
        if (c->memory_bytes > t.peak_memory_bytes)
            t.peak_memory_bytes = c->memory_bytes;
        t.estimate_s += c->estimate_s;
        t.once_estimate_s += c->once ? c->estimate_s : 0;
    }
    return t;
}

static void print_text(const tl_bench *b, FILE *f)
{
    const tl__runs *runs = b->runs;
    plan_totals t = totals_of(runs);
    fprintf(f, "%s: plan (nothing measured; %u reps, min-time %g s)\n",
            b->spec->name, b->cli.reps, b->cli.min_time_s);
    for (size_t i = 0; i < runs->case_count; i++) {
        const tl__planned_case *c = &runs->cases[i];
        fprintf(f, "  [%zu] %-40s threads %-6u memory %-12zu est %.3f s%s%s\n",
                i + 1, c->label, c->threads, c->memory_bytes, c->estimate_s,
                c->estimated ? "" : " (from reps x min-time)",
                c->once ? " (once: run 0 only)" : "");
    }
    for (size_t i = 0; i < runs->fact_count; i++)
        fprintf(f, "  fact %s = %.10g\n", runs->facts[i].name,
                runs->facts[i].value);
    fprintf(f,
            "  total: %zu cases, at most %u threads at once, peak memory %zu "
            "bytes, estimated %.1f s",
            t.cases, t.max_threads, t.peak_memory_bytes, t.estimate_s);
    if (t.once_estimate_s > 0)
        fprintf(f, " (%.1f s of it in sections measured once, in run 0 only)",
                t.once_estimate_s);
    fputc('\n', f);
}

static void print_json(const tl_bench *b, FILE *f)
{
    const tl__runs *runs = b->runs;
    plan_totals t = totals_of(runs);
    fputs("{\n  \"bench\": ", f);
    tl__json_string(f, b->spec->name);
    fprintf(f, ",\n  \"reps\": %u,\n  \"min_time_s\": ", b->cli.reps);
    tl__json_number(f, b->cli.min_time_s);
    fputs(",\n  \"cases\": [", f);
    for (size_t i = 0; i < runs->case_count; i++) {
        const tl__planned_case *c = &runs->cases[i];
        fputs(i ? ",\n    {\"label\": " : "\n    {\"label\": ", f);
        tl__json_string(f, c->label);
        fprintf(f, ", \"threads\": %u, \"memory_bytes\": %zu, \"estimate_s\": ",
                c->threads, c->memory_bytes);
        tl__json_number(f, c->estimate_s);
        fprintf(f, ", \"estimated\": %s%s}", c->estimated ? "true" : "false",
                c->once ? ", \"once\": true" : "");
    }
    fputs("],\n  \"facts\": {", f);
    for (size_t i = 0; i < runs->fact_count; i++) {
        fputs(i ? ", " : "", f);
        tl__json_string(f, runs->facts[i].name);
        fputs(": ", f);
        tl__json_number(f, runs->facts[i].value);
    }
    fprintf(f, "},\n  \"totals\": {\"cases\": %zu, \"max_threads\": %u, "
               "\"peak_memory_bytes\": %zu, \"estimate_s\": ",
            t.cases, t.max_threads, t.peak_memory_bytes);
    tl__json_number(f, t.estimate_s);
    fputs(", \"once_estimate_s\": ", f);
    tl__json_number(f, t.once_estimate_s);
    fputs("}\n}\n", f);
}

static bool has_fact(const tl__runs *runs, const char *name)
{
    for (size_t i = 0; i < runs->fact_count; i++)
        if (strcmp(runs->facts[i].name, name) == 0)
            return true;
    return false;
}

int tl__plan_print(tl_bench *b)
{
    /* What every plan is for: the machine the topology describes (a bench
     * may say otherwise, e.g. when it sizes for fewer PUs). */
    if (!has_fact(b->runs, "pus"))
        tl_bench_plan_fact(b, "pus", b->topo ? tl_topo_pus(b->topo) : b->pus);
    if (!has_fact(b->runs, "memory_total_bytes") && b->topo)
        tl_bench_plan_fact(b, "memory_total_bytes", (double)tl_topo_memory_size(b->topo));
    if (b->cli.plan == TL__PLAN_JSON)
        print_json(b, stdout);
    else
        print_text(b, stdout);
    fflush(stdout);
    if (!b->cli.plan_json)
        return 0;
    FILE *f = fopen(b->cli.plan_json, "w");
    if (f)
        print_json(b, f);
    if (!f || fclose(f) != 0) {
        fprintf(stderr, "%s: error: cannot write the plan to '%s': %s\n",
                b->spec->name, b->cli.plan_json, strerror(errno));
        return 1;
    }
    return 0;
}
