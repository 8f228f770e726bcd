/* --plan: main() runs, nothing is measured (no operation is called) and
 * nothing is written under --out; every measuring call becomes a planned
 * case with its threads, memory and estimated time, and returns the
 * placeholder statistics; the plan prints as text, or JSON that parses,
 * with totals that add up. */
#define _GNU_SOURCE
#include "harness_test.h"

#include <errno.h>

static unsigned op_calls;

static int op(void *ctx, uint64_t iterations)
{
    (void)ctx;
    (void)iterations;
    op_calls++;
    return 0;
}

static int sampler(void *ctx, double *sample)
{
    (void)ctx;
    op_calls++;
    *sample = 1;
    return 0;
}

static const tl_bench_column columns[] = {
    { .name = "case", .kind = TL_COLUMN_KEY, .help = "the case" }, { 0 } };
static const tl_bench_spec spec = { .name = "plan_test", .question = "?",
                                    .columns = columns };

#define MIB ((size_t)1 << 20)

/* A bench whose cases say what they need. Returns tl_bench_close's status. */
static int bench_main(tl_bench *b)
{
    ASSERT_TRUE(tl_bench_planning(b));
    ASSERT_TRUE(!tl_bench_replaying(b));
    tl_stats s, pair[2];
    /* 1 us per operation, fixed batch of 100, 5 reps: 1 us + 500 us */
    tl_measure_opts fixed = { .label = "fixed", .iterations = 100, .reps = 5,
                              .threads = 4, .memory_bytes = 8 * MIB,
                              .estimate_ns = 1000 };
    ASSERT_EQ(tl_bench_measure(b, op, NULL, &fixed, &s), 0);
    ASSERT_NEAR(s.median, 1, 0); /* the placeholder */
    ASSERT_EQ(s.n, 5);
    ASSERT_EQ(s.runs, 1);
    ASSERT_TRUE(!s.unstable);
    const tl_bench_case cases[] = { { "a", op, NULL }, { "b", op, NULL } };
    ASSERT_EQ(tl_bench_measure_interleaved(
                  b, cases, 2, &(tl_measure_opts){ .threads = 16 }, pair),
              0);
    ASSERT_NEAR(pair[1].median / pair[0].median, 1, 0);
    /* A 2 ms sample, 3 reps and a warm-up: 8 ms */
    ASSERT_EQ(tl_bench_sample(b, sampler, NULL,
                              &(tl_measure_opts){ .label = "rss", .unit = "bytes",
                                                  .reps = 3, .estimate_ns = 2e6,
                                                  .memory_bytes = 64 * MIB },
                              &s),
              0);
    ASSERT_STREQ(s.unit, "bytes");
    tl_bench_plan_case(b, &(tl_measure_opts){ .label = "probe", .threads = 100,
                                              .reps = 2, .estimate_ns = 1e9 });
    ASSERT_EQ(tl_bench_stats(b, NULL, 0, "ratio", &s), 0);
    tl_bench_plan_fact(b, "array_bytes", 1e6);
    tl_bench_plan_fact(b, "array_bytes", 3e6); /* replaces */
    tl_bench_plan_fact(b, "max_tasks", 256);
    tl_bench_row(b, &s, TL_STR("fixed"));
    tl_bench_answer(b, "nothing");
    ASSERT_EQ(op_calls, 0);
    return tl_bench_close(b);
}

static char *run_plan(const char *dir, const char *json_path)
{
    char out[256];
    snprintf(out, sizeof out, "%s/out", dir);
    tl_bench *b = open_bench(&spec, "--quiet", "--out", out, "--plan-json",
                             json_path, "--min-time", "0.01", "--reps", "4",
                             (char *)NULL);
    ASSERT_EQ(bench_main(b), 0);
    struct stat st;
    ASSERT_TRUE(stat(out, &st) != 0); /* nothing under --out, not even it */
    return slurp("/", json_path);
}

static void plan_as_json(void)
{
    char *dir = strdup(make_scratch());
    char path[256];
    snprintf(path, sizeof path, "%s/plan.json", dir);
    char *json = run_plan(dir, path);
    ASSERT_NOT_NULL(json);
    ASSERT_CONTAINS(json, "\"bench\": \"plan_test\"");
    ASSERT_CONTAINS(json, "{\"label\": \"fixed\", \"threads\": 4, \"memory_bytes\": "
                          "8388608, \"estimate_s\": 0.000501, \"estimated\": true}");
    ASSERT_CONTAINS(json, "\"facts\": {\"array_bytes\": 3000000, \"max_tasks\": 256, \"pus\": ");
    ASSERT_CONTAINS(json, "\"totals\": {\"cases\": 5, \"max_threads\": 100, "
                          "\"peak_memory_bytes\": 67108864");
    free(json);
    if (system("python3 -c '' 2>/dev/null") == 0) {
        /* The interleaved cases: no estimate, so 2 x min-time x 1.2 of
         * calibration and 4 reps of min-time x 1.2 each: 0.072 s apiece. */
        char cmd[1024];
        snprintf(cmd, sizeof cmd,
                 "python3 -c 'import json,sys,math\n"
                 "p=json.load(open(sys.argv[1]))\n"
                 "c=p[\"cases\"]\n"
                 "assert [x[\"label\"] for x in c]==[\"fixed\",\"a\",\"b\",\"rss\",\"probe\"], c\n"
                 "assert all(math.isclose(x[\"estimate_s\"], 0.072) for x in c[1:3]), c\n"
                 "assert math.isclose(c[3][\"estimate_s\"], 0.008), c\n"
                 "assert math.isclose(c[4][\"estimate_s\"], 2.0), c\n"
                 "t=p[\"totals\"]\n"
                 "assert math.isclose(t[\"estimate_s\"], sum(x[\"estimate_s\"] for x in c))\n"
                 "assert t[\"max_threads\"]==max(x[\"threads\"] for x in c)==100\n"
                 "' %s",
                 path);
        ASSERT_EQ(system(cmd), 0);
    }
    remove_tree(dir);
    free(dir);
}

/* Child: the text plan on stdout. */
static int child_text(void)
{
    tl_bench *b = open_bench(&spec, "--quiet", "--plan", "--out", getenv("TL_OUT"),
                             (char *)NULL);
    bench_main(b);
    puts("child ok");
    return 0;
}

static void plan_as_text(void)
{
    char *dir = make_scratch();
    char out[300];
    snprintf(out, sizeof out, "TL_OUT=%s/out", dir);
    const char *env[] = { out, NULL };
    static tl_test_child_result r;
    tl_test_child("text", env, &r);
    ASSERT_EQ(r.exit_code, 0);
    ASSERT_CONTAINS(r.output, "plan_test: plan (nothing measured");
    ASSERT_CONTAINS(r.output, "] fixed ");
    ASSERT_CONTAINS(r.output, "fact array_bytes = 3000000");
    ASSERT_CONTAINS(r.output, "total: 5 cases, at most 100 threads at once, peak "
                              "memory 67108864 bytes, estimated");
    ASSERT_TRUE(strstr(r.output, "plan_test: nothing") == NULL); /* no answer */
    ASSERT_TRUE(!exists(dir, "out"));
    remove_tree(dir);
}

/* Bad plan flags are usage errors. */
static int child_bad(void)
{
    const char *which = getenv("TL_BAD");
    if (strcmp(which, "value") == 0)
        open_bench(&spec, "--plan=yaml", (char *)NULL);
    else
        open_bench(&spec, "--plan", "--combine", "/tmp", (char *)NULL);
    return 0;
}

static void bad_flags(void)
{
    static tl_test_child_result r;
    const char *value[] = { "TL_BAD=value", NULL }, *both[] = { "TL_BAD=both", NULL };
    tl_test_child("bad", value, &r);
    ASSERT_EQ(r.exit_code, 2);
    ASSERT_CONTAINS(r.output, "plan_test: --plan: expected --plan, --plan=text or "
                              "--plan=json, got '--plan=yaml'");
    tl_test_child("bad", both, &r);
    ASSERT_EQ(r.exit_code, 2);
    ASSERT_CONTAINS(r.output, "plan_test: --plan: nothing is combined in plan mode");
}

int main(int argc, char **argv)
{
    const char *child = tl_test_child_case(argc, argv);
    if (child)
        return strcmp(child, "text") == 0 ? child_text() : child_bad();
    plan_as_json();
    plan_as_text();
    bad_flags();
    puts("ok");
    return 0;
}
