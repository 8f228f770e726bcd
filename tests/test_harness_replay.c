/* Record and replay: three runs of a tiny bench record their samples; a
 * combine run answers every measuring call from them without running an
 * operation, and its rows say runs = 3, n = every run's samples, with the
 * interval of the median over the runs' medians. The samples files load
 * with Python's csv module and match. Runs recorded with other labels
 * cannot be combined (exit 1, naming the bench and the call). */
#define _GNU_SOURCE
#include "harness_test.h"

#include <errno.h>

#define REPS 5
#define RUNS 3

static unsigned op_calls, sampler_calls;
static bool variant; /* --variant: another label, to make runs that differ */

static int op(void *ctx, uint64_t iterations)
{
    (void)ctx;
    op_calls++;
    tl_spin(iterations);
    return 0;
}

typedef struct counter {
    double base, next;
} counter;

/* Run r's samples are 100 (r + 1) + 1..REPS (the 0th is the warm-up). */
static int sampler(void *ctx, double *sample)
{
    counter *c = ctx;
    sampler_calls++;
    *sample = c->base + c->next++;
    return 0;
}

static const tl_bench_column columns[] = {
    { .name = "case", .kind = TL_COLUMN_KEY, .help = "the case" },
    { .name = "ratio", .kind = TL_COLUMN_METRIC, .help = "a ratio" }, { 0 } };
static const tl_bench_flag flags[] = {
    { .name = "variant", .help = "another label", .switch_value = &variant },
    { 0 },
};
static const tl_bench_spec spec = { .name = "replay_test", .question = "?",
                                    .columns = columns, .flags = flags };

/* The bench: every kind of measuring call, and rows derived from them. */
static int bench_main(char *const *args)
{
    variant = false;
    tl_bench *b = open_bench_argv(&spec, args);
    tl_stats single, pair[2], rss, own;
    tl_measure_opts fixed = { .label = variant ? "single-b" : "single",
                              .iterations = 100 };
    ASSERT_EQ(tl_bench_measure(b, op, NULL, &fixed, &single), 0);
    const tl_bench_case cases[] = { { "fast", op, NULL }, { "slow", op, NULL } };
    ASSERT_EQ(tl_bench_measure_interleaved(b, cases, 2,
                                           &(tl_measure_opts){ .iterations = 50 },
                                           pair),
              0);
    /* $TL_RUN (set by record_runs) picks the sampler's values. */
    const char *run = getenv("TL_RUN");
    counter c = { .base = 100.0 * (double)(1 + atoi(run ? run : "0")) };
    ASSERT_EQ(tl_bench_sample(b, sampler, &c, &(tl_measure_opts){ .label = "rss",
                                                                  .unit = "bytes" },
                              &rss),
              0);
    double mine[3] = { c.base, c.base + 1, c.base + 2 };
    ASSERT_EQ(tl_bench_stats(b, tl_bench_replaying(b) ? NULL : mine,
                             tl_bench_replaying(b) ? 0 : 3, "ratio", &own),
              0);
    if (getenv("TL_EXTRA_CALL")) /* a run that made one call more */
        ASSERT_EQ(tl_bench_stats(b, mine, 3, "ratio", &own), 0);
    tl_bench_row(b, &single, TL_STR("single"), TL_NUM(NAN));
    tl_bench_row(b, &pair[0], TL_STR("fast"), TL_NUM(NAN));
    tl_bench_row(b, &pair[1], TL_STR("slow"), TL_NUM(pair[1].median / pair[0].median));
    tl_bench_row(b, &rss, TL_STR("rss"), TL_NUM(NAN));
    tl_bench_row(b, &own, TL_STR("own"), TL_NUM(NAN));
    tl_bench_answer(b, "rss median %.0f", rss.median);
    return tl_bench_close(b);
}

static void record_runs(const char *root)
{
    for (int r = 0; r < RUNS; r++) {
        char out[256], index[16];
        snprintf(out, sizeof out, "%s/run-%d", root, r);
        snprintf(index, sizeof index, "%d", r);
        setenv("TL_RUN", index, 1);
        char *args[] = { "--quiet", "--out", out, "--run-index", index, "--reps",
                         "5", NULL };
        ASSERT_EQ(bench_main(args), 0);
        ASSERT_TRUE(exists(out, "replay_test.samples.csv"));
        ASSERT_TRUE(exists(out, "replay_test.run.json"));
    }
    unsetenv("TL_RUN");
}

/* The CSV row whose first field is key (the whole line, owned by csv). */
static char *row_of(char *csv, const char *key)
{
    char needle[64];
    snprintf(needle, sizeof needle, "\n%s,", key);
    char *line = strstr(csv, needle);
    ASSERT_NOT_NULL(line);
    line++;
    line[strcspn(line, "\n")] = '\0';
    return line;
}

/* Field i (0-based) of a line without quotes, as a number. */
static double field(const char *line, int i)
{
    for (; i > 0; i--) {
        line = strchr(line, ',');
        ASSERT_NOT_NULL(line);
        line++;
    }
    return atof(line);
}

/* Columns: case,ratio, then unit(2),n(3),min(4),p05,median(6),p95,max(8),
 * mean,stddev,cv,ci_lo(12),ci_hi(13),outliers,unstable,ci_level(16),
 * runs(17),cpu_median(18). */
static void check_combined(const char *dir)
{
    char *csv = slurp(dir, "replay_test.csv");
    ASSERT_NOT_NULL(csv);
    char *rss = row_of(csv, "rss");
    ASSERT_NEAR(field(rss, 3), RUNS * REPS, 0);
    ASSERT_NEAR(field(rss, 17), RUNS, 0);
    /* 101..105, 201..205, 301..305: pooled median 203; run medians 103,
     * 203, 303, so the interval is [103, 303] at 75%. */
    ASSERT_NEAR(field(rss, 6), 203, 0);
    ASSERT_NEAR(field(rss, 12), 103, 0);
    ASSERT_NEAR(field(rss, 13), 303, 0);
    ASSERT_NEAR(field(rss, 16), 0.75, 1e-9);
    free(csv);
    csv = slurp(dir, "replay_test.csv");
    char *own = row_of(csv, "own");
    ASSERT_NEAR(field(own, 3), RUNS * 3, 0);
    ASSERT_NEAR(field(own, 6), 201, 0); /* 100..102, 200..202, 300..302 */
    free(csv);
    csv = slurp(dir, "replay_test.csv");
    char *slow = row_of(csv, "slow");
    ASSERT_NEAR(field(slow, 3), RUNS * REPS, 0);
    ASSERT_TRUE(field(slow, 18) > 0); /* CPU time was recorded */
    free(csv);
    char *answer = slurp(dir, "replay_test.answer.txt");
    ASSERT_STREQ(answer, "rss median 203\n");
    free(answer);
}

static size_t count_lines(const char *dir, const char *name)
{
    char *text = slurp(dir, name);
    ASSERT_NOT_NULL(text);
    size_t n = 0;
    for (char *p = text; *p; p++)
        n += *p == '\n';
    free(text);
    return n;
}

/* The combined samples file holds every run's rows, and Python's csv
 * module reads each file as it is, with the same rows. */
static void check_samples(const char *root, const char *combined)
{
    size_t lines = 0;
    for (int r = 0; r < RUNS; r++) {
        char dir[256];
        snprintf(dir, sizeof dir, "%s/run-%d", root, r);
        lines += count_lines(dir, "replay_test.samples.csv") - 1;
    }
    ASSERT_EQ(count_lines(combined, "replay_test.samples.csv") - 1, lines);
    /* single, fast, slow, rss: REPS each; own: 3. */
    ASSERT_EQ(lines, RUNS * (4 * REPS + 3));
    if (system("python3 -c '' 2>/dev/null") != 0)
        return;
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import csv,sys,glob\n"
             "rows=lambda p: list(csv.DictReader(open(p)))\n"
             "c=rows(sys.argv[1]+\"/replay_test.samples.csv\")\n"
             "runs=sorted(glob.glob(sys.argv[2]+\"/run-*/replay_test.samples.csv\"))\n"
             "each=[r for p in runs for r in rows(p)]\n"
             "key=lambda r: (r[\"run\"], int(r[\"call\"]), r[\"case\"], r[\"sample\"])\n"
             "assert sorted(c, key=key)==sorted(each, key=key), (len(c), len(each))\n"
             "assert {r[\"run\"] for r in c}=={\"0\",\"1\",\"2\"}\n"
             "assert all(float(r[\"value\"])>0 and int(r[\"iterations\"])>=1 for r in c)\n"
             "assert {r[\"label\"] for r in c}=={\"single\",\"fast\",\"slow\",\"rss\",\"\"}\n"
             "' %s %s",
             combined, root);
    ASSERT_EQ(system(cmd), 0);
}

static void record_and_combine(void)
{
    char *root = strdup(make_scratch());
    record_runs(root);
    char combined[256];
    snprintf(combined, sizeof combined, "%s/combined", root);
    op_calls = sampler_calls = 0;
    char *args[] = { "--quiet", "--out", combined, "--combine-from", root,
                     "--reps", "5", NULL };
    ASSERT_EQ(bench_main(args), 0);
    ASSERT_EQ(op_calls, 0);       /* nothing ran: */
    ASSERT_EQ(sampler_calls, 0);  /* every answer came from the runs */
    check_combined(combined);
    check_samples(root, combined);
    char *json = slurp(combined, "replay_test.run.json");
    ASSERT_CONTAINS(json, "\"mode\": \"combine\"");
    ASSERT_CONTAINS(json, "\"runs\": [");
    free(json);
    /* --combine with a list gives the same answer. */
    char list[2048], again[256];
    snprintf(list, sizeof list, "%s/run-0,%s/run-1,%s/run-2", root, root, root);
    snprintf(again, sizeof again, "%s/again", root);
    char *args2[] = { "--quiet", "--out", again, "--combine", list, NULL };
    ASSERT_EQ(bench_main(args2), 0);
    check_combined(again);
    remove_tree(root);
    free(root);
}

/* Child: combine two runs whose first call has different labels. */
static int child_mismatch(void)
{
    char *args[] = { "--quiet", "--out", getenv("TL_OUT"), "--combine",
                     getenv("TL_RUNS"), NULL };
    bench_main(args);
    return 0; /* not reached: the combine must fail */
}

static void mismatch_is_an_error(void)
{
    char *root = strdup(make_scratch());
    char a[256], b[256], out[300], runs[600];
    snprintf(a, sizeof a, "%s/a", root);
    snprintf(b, sizeof b, "%s/b", root);
    char *args_a[] = { "--quiet", "--out", a, "--run-index", "0", NULL };
    char *args_b[] = { "--quiet", "--out", b, "--run-index", "1", "--variant", NULL };
    ASSERT_EQ(bench_main(args_a), 0);
    ASSERT_EQ(bench_main(args_b), 0);
    snprintf(out, sizeof out, "TL_OUT=%s/out", root);
    snprintf(runs, sizeof runs, "TL_RUNS=%s,%s", a, b);
    const char *env[] = { out, runs, NULL };
    static tl_test_child_result r;
    tl_test_child("mismatch", env, &r);
    ASSERT_EQ(r.exit_code, 1);
    ASSERT_CONTAINS(r.output, "replay_test: error: cannot combine: call 0 case 0 "
                              "is 'single' (ns) here but 'single-b' (ns) in");
    /* The same run twice: one run index, refused. */
    snprintf(runs, sizeof runs, "TL_RUNS=%s,%s", a, a);
    tl_test_child("mismatch", env, &r);
    ASSERT_EQ(r.exit_code, 1);
    ASSERT_CONTAINS(r.output, "are both run 0");
    /* A run that made more calls than the combine replays. */
    char c[256], *args_c[] = { "--quiet", "--out", c, "--run-index", "2", NULL };
    snprintf(c, sizeof c, "%s/c", root);
    setenv("TL_EXTRA_CALL", "1", 1);
    ASSERT_EQ(bench_main(args_c), 0);
    unsetenv("TL_EXTRA_CALL");
    snprintf(runs, sizeof runs, "TL_RUNS=%s,%s", a, c);
    tl_test_child("mismatch", env, &r);
    ASSERT_EQ(r.exit_code, 1);
    ASSERT_CONTAINS(r.output, "recorded 5 measuring calls, but this combine made only 4");
    remove_tree(root);
    free(root);
}

int main(int argc, char **argv)
{
    const char *child = tl_test_child_case(argc, argv);
    if (child)
        return child_mismatch();
    record_and_combine();
    mismatch_is_an_error();
    puts("ok");
    return 0;
}
