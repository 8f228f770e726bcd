/* Sections measured once (tl_bench_section.once): three runs of a tiny
 * bench whose once section sits between two timed calls. Run 0 measures
 * it, runs 1 and 2 skip it (its sampler is not called there), and the
 * timed call after it keeps its number, so the combine matches every
 * label; the combined once row has runs = 1 and run 0's samples only, the
 * timed rows runs = 3. A combine without run 0 fails with one line naming
 * the call. --plan marks the once case and counts it in run 0's plan only. */
#define _GNU_SOURCE
#include "harness_test.h"

#define RUNS 3
#define REPS 4

static unsigned size_calls; /* the once section's sampler, this process */

static int op(void *ctx, uint64_t iterations)
{
    (void)ctx;
    tl_spin(iterations);
    return 0;
}

/* Run r's sizes are 1000 (r + 1) + 0, 1, 2...: run 0's are 1000..1003. */
static int size_sampler(void *ctx, double *sample)
{
    double *next = ctx;
    size_calls++;
    *sample = (*next)++;
    return 0;
}

static const tl_bench_column columns[] = {
    { .name = "section", .kind = TL_COLUMN_KEY, .help = "the section" }, { 0 } };
static const tl_bench_section sections[] = {
    { .name = "time", .unit = "ns", .help = "a time: every run" },
    { .name = "size", .unit = "bytes", .once = true,
      .help = "a size, the same in every run: run 0 only" },
    { 0 } };
static const tl_bench_spec spec = { .name = "once_test", .question = "?",
                                    .columns = columns, .sections = sections };

static int bench_main(char *const *args)
{
    tl_bench *b = open_bench_argv(&spec, args);
    tl_stats st;
    tl_measure_opts timed = { .label = "before", .iterations = 10 };
    if (tl_bench_section_begin(b, "time")) {
        ASSERT_EQ(tl_bench_measure(b, op, NULL, &timed, &st), 0);
        tl_bench_row(b, &st, TL_STR("before"));
    }
    const char *run = getenv("TL_RUN");
    double next = 1000.0 * (1 + atoi(run ? run : "0"));
    if (tl_bench_section_begin(b, "size")) {
        ASSERT_EQ(tl_bench_sample(b, size_sampler, &next,
                                  &(tl_measure_opts){ .label = "size", .unit = "bytes",
                                                      .no_warmup = true,
                                                      .estimate_ns = 2e9 },
                                  &st),
                  0);
        tl_bench_row(b, &st, TL_STR("size"));
    }
    if (tl_bench_section_begin(b, "time")) {
        timed.label = "after";
        ASSERT_EQ(tl_bench_measure(b, op, NULL, &timed, &st), 0);
        tl_bench_row(b, &st, TL_STR("after"));
    }
    return tl_bench_close(b);
}

static void record_runs(const char *root)
{
    for (int r = 0; r < RUNS; r++) {
        char out[256], index[16];
        snprintf(out, sizeof out, "%s/run-%d", root, r);
        snprintf(index, sizeof index, "%d", r);
        setenv("TL_RUN", index, 1);
        size_calls = 0;
        char *args[] = { "--quiet", "--out", out, "--run-index", index, "--reps",
                         "4", NULL };
        ASSERT_EQ(bench_main(args), 0);
        ASSERT_EQ(size_calls, r == 0 ? REPS : 0); /* measured in run 0 only */
        char *csv = slurp(out, "once_test.csv");
        ASSERT_NOT_NULL(csv);
        if (r == 0)
            ASSERT_CONTAINS(csv, "\nsize,");
        else
            ASSERT_TRUE(strstr(csv, "\nsize,") == NULL);
        free(csv);
    }
    unsetenv("TL_RUN");
}

/* The CSV row whose first field is key: field i (0-based) as a number.
 * Columns: section, unit(1), n(2), min, p05, median(5), ..., runs(16). */
static double field_of(const char *dir, const char *key, int i)
{
    char *csv = slurp(dir, "once_test.csv");
    ASSERT_NOT_NULL(csv);
    char needle[64];
    snprintf(needle, sizeof needle, "\n%s,", key);
    const char *line = strstr(csv, needle);
    ASSERT_NOT_NULL(line);
    for (line++; i > 0; i--) {
        line = strchr(line, ',');
        ASSERT_NOT_NULL(line);
        line++;
    }
    double v = atof(line);
    free(csv);
    return v;
}

static void check_combined(const char *root, const char *dir)
{
    ASSERT_NEAR(field_of(dir, "size", 16), 1, 0);    /* runs */
    ASSERT_NEAR(field_of(dir, "size", 2), REPS, 0);  /* n: run 0's */
    ASSERT_NEAR(field_of(dir, "size", 5), 1001.5, 1e-9); /* 1000..1003 */
    ASSERT_NEAR(field_of(dir, "before", 16), RUNS, 0);
    ASSERT_NEAR(field_of(dir, "after", 16), RUNS, 0);
    ASSERT_NEAR(field_of(dir, "after", 2), RUNS * REPS, 0);
    /* The combined samples: every run's timed rows, run 0's size rows. */
    char *samples = slurp(dir, "once_test.samples.csv");
    ASSERT_NOT_NULL(samples);
    char once_row[64];
    snprintf(once_row, sizeof once_row, "\n%u,0,size,0,", TL_ONCE_CALL_BASE);
    ASSERT_CONTAINS(samples, once_row);
    ASSERT_TRUE(strstr(samples, ",size,1,") == NULL);
    free(samples);
    (void)root;
}

/* Child: combine the runs in $TL_RUNS. */
static int child_combine(void)
{
    char *args[] = { "--quiet", "--out", getenv("TL_OUT"), "--combine",
                     getenv("TL_RUNS"), NULL };
    bench_main(args);
    return 0; /* not reached: the combine must fail */
}

static void combine_without_run_zero(const char *root)
{
    char out[300], runs[600];
    snprintf(out, sizeof out, "TL_OUT=%s/no-zero", root);
    snprintf(runs, sizeof runs, "TL_RUNS=%s/run-1,%s/run-2", root, root);
    const char *env[] = { out, runs, NULL };
    static tl_test_child_result r;
    tl_test_child("combine", env, &r);
    ASSERT_EQ(r.exit_code, 1);
    char expected[160];
    snprintf(expected, sizeof expected,
             "once_test: error: cannot combine: call %u ('size', section size) is "
             "measured once, in run 0 (--run-index 0), and none of the 2 runs is "
             "run 0\n", TL_ONCE_CALL_BASE);
    ASSERT_CONTAINS(r.output, expected);
}

/* The plan of run 0 has the once case, marked; run 1's has not. */
static void plan_counts_once_once(const char *root)
{
    char path0[300], path1[300];
    snprintf(path0, sizeof path0, "%s/plan-0.json", root);
    snprintf(path1, sizeof path1, "%s/plan-1.json", root);
    char *args0[] = { "--quiet", "--plan-json", path0, "--reps", "4", NULL };
    char *args1[] = { "--quiet", "--plan-json", path1, "--reps", "4",
                      "--run-index", "1", NULL };
    ASSERT_EQ(bench_main(args0), 0);
    ASSERT_EQ(bench_main(args1), 0);
    char *plan0 = slurp(root, "plan-0.json"), *plan1 = slurp(root, "plan-1.json");
    ASSERT_NOT_NULL(plan0);
    ASSERT_NOT_NULL(plan1);
    ASSERT_CONTAINS(plan0, "{\"label\": \"size\"");
    ASSERT_CONTAINS(plan0, "\"estimated\": true, \"once\": true}");
    ASSERT_CONTAINS(plan0, "\"once_estimate_s\": 8");   /* 4 reps of 2 s */
    ASSERT_TRUE(strstr(plan1, "\"size\"") == NULL);
    ASSERT_CONTAINS(plan1, "\"once_estimate_s\": 0}");
    free(plan0);
    free(plan1);
}

int main(int argc, char **argv)
{
    if (tl_test_child_case(argc, argv))
        return child_combine();
    char *root = strdup(make_scratch());
    record_runs(root);
    char combined[300];
    snprintf(combined, sizeof combined, "%s/combined", root);
    char *args[] = { "--quiet", "--out", combined, "--combine-from", root, "--reps",
                     "4", NULL };
    size_calls = 0;
    ASSERT_EQ(bench_main(args), 0);
    ASSERT_EQ(size_calls, 0); /* answered from run 0's record */
    check_combined(root, combined);
    combine_without_run_zero(root);
    plan_counts_once_once(root);
    remove_tree(root);
    free(root);
    puts("ok");
    return 0;
}
