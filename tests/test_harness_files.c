/* What a bench leaves on disk: CSV rows escaped and flushed as measured,
 * files under their real names only once complete (a run killed mid-way
 * leaves none), the answer, the description, and a meta.json that parses as
 * JSON whatever the command line held. */
#define _GNU_SOURCE
#include "harness_test.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

static const tl_bench_column columns[] = {
    { .name = "name", .kind = TL_COLUMN_KEY, .help = "a name" },
    { .name = "value", .kind = TL_COLUMN_METRIC, .help = "a value" },
    { 0 } };
static const char *label = "";
static const tl_bench_flag flags[] = {
    { .name = "label", .metavar = "TEXT", .string_value = &label,
      .help = "any text, recorded in meta.json's command line" },
    { 0 },
};
static const tl_bench_spec spec = { .name = "files_test", .question = "?",
                                    .columns = columns, .flags = flags };

static const char header[] =
    "name,value,unit,n,min,p05,median,p95,max,mean,stddev,cv,ci_lo,ci_hi,"
    "outliers,unstable,ci_level,runs,cpu_median\n";

/* In a child: a bench writing to $TL_TEST_OUT. */
static tl_bench *open_child_bench(void)
{
    return open_bench(&spec, "--quiet", "--out", getenv("TL_TEST_OUT"),
                      (char *)NULL);
}

static tl_stats one_two_three(void)
{
    const double x[] = { 1, 2, 3 };
    tl_stats s;
    ASSERT_EQ(tl_stats_compute(x, 3, "ns", &s), 0);
    return s;
}

static void escaping_and_commit(void)
{
    char *dir = make_scratch();
    tl_bench *b = open_bench(&spec, "--quiet", "--out", dir, (char *)NULL);
    tl_stats s = one_two_three();
    tl_bench_row(b, &s, TL_STR("plain"), TL_INT(-3));
    tl_bench_row(b, &s, TL_STR("a,b"), TL_UINT(7));
    tl_bench_row(b, &s, TL_STR("say \"hi\""), TL_NUM(0.5));
    tl_bench_row(b, &s, TL_STR("two\nlines"), TL_NUM(NAN));
    tl_bench_row(b, NULL, TL_STR(" padded"), TL_STR(NULL));

    /* Flushed as measured, under the temporary name only. */
    ASSERT_TRUE(!exists(dir, "files_test.csv"));
    char *partial = slurp(dir, "files_test.csv.partial");
    ASSERT_NOT_NULL(partial);
    ASSERT_CONTAINS(partial, "\" padded\",,");
    free(partial);

    tl_bench_answer(b, "draft");
    tl_bench_answer(b, "It takes %d ns.", 2);
    ASSERT_EQ(tl_bench_close(b), 0);
    ASSERT_TRUE(!exists(dir, "files_test.csv.partial"));
    char *csv = slurp(dir, "files_test.csv");
    ASSERT_NOT_NULL(csv);
    ASSERT_TRUE(strncmp(csv, header, strlen(header)) == 0);
    /* 1,2,3: min 1, p05 1.1, median 2, p95 2.9, max 3, mean 2, sd 1, cv .5 */
    ASSERT_CONTAINS(csv, "\nplain,-3,ns,3,1,1.1,2,2.9,3,2,1,0.5,");
    ASSERT_CONTAINS(csv, "\n\"a,b\",7,ns,3,");
    ASSERT_CONTAINS(csv, "\n\"say \"\"hi\"\"\",0.5,ns,");
    ASSERT_CONTAINS(csv, "\n\"two\nlines\",,ns,");
    /* outliers 0, unstable (cv 50%), ci_level 0.75 (n = 3), 1 run, no CPU */
    ASSERT_CONTAINS(csv, ",0,1,0.75,1,\n");
    ASSERT_CONTAINS(csv, "\n\" padded\",,,,,,,,,,,,,,,,,,\n"); /* 17 empty stats */
    free(csv);
    char *answer = slurp(dir, "files_test.answer.txt");
    ASSERT_STREQ(answer, "It takes 2 ns.\n");
    free(answer);
    ASSERT_TRUE(exists(dir, "meta.json"));
    ASSERT_TRUE(exists(dir, "topology.xml"));
    ASSERT_TRUE(!exists(dir, "meta.json.partial"));
    ASSERT_TRUE(!exists(dir, "topology.xml.partial"));
    /* The description, from the spec: its columns and the statistics'. */
    char *schema = slurp(dir, "files_test.schema.json");
    ASSERT_NOT_NULL(schema);
    ASSERT_CONTAINS(schema, "\"bench\": \"files_test\"");
    ASSERT_CONTAINS(schema, "{\"name\": \"value\", \"kind\": \"metric\"");
    ASSERT_CONTAINS(schema, "{\"name\": \"unstable\", \"help\": ");
    ASSERT_CONTAINS(schema, "\"sections\": []");
    free(schema);
    ASSERT_TRUE(!exists(dir, "files_test.schema.json.partial"));

    /* A CSV reader agrees on every field. */
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import csv,sys; r=list(csv.reader(open(sys.argv[1])));"
             "assert len(r)==6 and all(len(x)==19 for x in r), r;"
             "assert [x[0] for x in r[1:]]==[\"plain\",\"a,b\",\"say \\\"hi\\\"\","
             "\"two\\nlines\",\" padded\"], r' %s/files_test.csv",
             dir);
    if (system("python3 -c '' 2>/dev/null") == 0)
        ASSERT_EQ(system(cmd), 0);
    remove_tree(dir);
}

/* Child: writes two rows, then dies as a kill -9 would kill it. */
static int child_killed(void)
{
    tl_bench *b = open_child_bench();
    tl_stats s = one_two_three();
    tl_bench_row(b, &s, TL_STR("first"), TL_INT(1));
    tl_bench_row(b, &s, TL_STR("second"), TL_INT(2));
    tl_bench_answer(b, "never written");
    raise(SIGKILL);
    return 1;
}

static int child_fails(void)
{
    tl_bench *b = open_child_bench();
    tl_bench_row(b, NULL, TL_STR("only"), TL_INT(1));
    tl_bench_fail(b, "the %s broke", "probe");
}

static void killed_run_leaves_no_file(void)
{
    char *dir = make_scratch(), env[128];
    const char *envs[] = { env, NULL };
    tl_test_child_result r;
    snprintf(env, sizeof env, "TL_TEST_OUT=%s", dir);
    tl_test_child("killed", envs, &r);
    ASSERT_EQ(r.signal, SIGKILL);
    ASSERT_TRUE(!exists(dir, "files_test.csv"));
    ASSERT_TRUE(!exists(dir, "files_test.answer.txt"));
    ASSERT_TRUE(!exists(dir, "meta.json"));
    /* The rows measured before the kill were flushed. */
    char *partial = slurp(dir, "files_test.csv.partial");
    ASSERT_NOT_NULL(partial);
    ASSERT_CONTAINS(partial, "\nsecond,2,");
    free(partial);

    /* tl_bench_fail: exit 1, one error line, still no real file. */
    tl_test_child("fails", envs, &r);
    ASSERT_EQ(r.exit_code, 1);
    ASSERT_CONTAINS(r.output, "files_test: error: the probe broke\n");
    ASSERT_TRUE(!exists(dir, "files_test.csv"));

    /* The next complete run replaces the leftover. */
    tl_bench *b = open_bench(&spec, "--quiet", "--out", dir, (char *)NULL);
    tl_bench_row(b, NULL, TL_STR("fresh"), TL_INT(3));
    ASSERT_EQ(tl_bench_close(b), 0);
    char *csv = slurp(dir, "files_test.csv");
    ASSERT_TRUE(strstr(csv, "second") == NULL && strstr(csv, "fresh") != NULL);
    free(csv);
    ASSERT_TRUE(!exists(dir, "files_test.csv.partial"));
    remove_tree(dir);
}

/* Child: an unstable row warns on stderr, even with --quiet. */
static int child_unstable(void)
{
    tl_bench *b = open_child_bench();
    tl_stats s = one_two_three();
    tl_bench_row(b, &s, TL_STR("shaky"), TL_INT(4));
    return tl_bench_close(b);
}

/* Child: a row with the wrong number of values is a bench bug. */
static int child_bad_row(void)
{
    tl_bench *b = open_child_bench();
    tl_bench_row(b, NULL, TL_STR("one value only"));
    return 0;
}

/* Child: the bench refuses a value its own way. */
static int child_usage_error(void)
{
    tl_bench *b = open_child_bench();
    tl_bench_usage_error(b, "--label: expected a colour, got '%s'", "loud");
}

static void warnings_and_bugs(void)
{
    char *dir = make_scratch(), env[128];
    const char *envs[] = { env, NULL };
    tl_test_child_result r;
    snprintf(env, sizeof env, "TL_TEST_OUT=%s", dir);
    tl_test_child("unstable", envs, &r);
    ASSERT_EQ(r.exit_code, 0);
    ASSERT_CONTAINS(r.output, "files_test: warning: 1 of 1 cases unstable");
    ASSERT_CONTAINS(r.output, "the worst: 'shaky 4' (cv 50.0%)");

    tl_test_child("usage_error", envs, &r);
    ASSERT_EQ(r.exit_code, 2);
    ASSERT_TRUE(strncmp(r.output,
                        "files_test: --label: expected a colour, got 'loud'\n"
                        "usage: files_test [flags]",
                        70) == 0);
    ASSERT_TRUE(!exists(dir, "files_test.csv.partial"));
    char *csv = slurp(dir, "files_test.csv"); /* the earlier run's, intact */
    ASSERT_CONTAINS(csv, "\nshaky,4,");
    free(csv);

    tl_test_child("bad_row", envs, &r);
    ASSERT_EQ(r.signal, SIGABRT);
    ASSERT_CONTAINS(r.output, "tl_bench_row got 1 values, but files_test has 2 columns");
    remove_tree(dir);
}

/* A file that cannot be written (a directory where meta.json goes, /dev/full
 * behind the answer) costs the whole set: no file under its real name. */
static void all_or_none(void)
{
    char *dir = make_scratch(), path[512];
    snprintf(path, sizeof path, "%s/meta.json", dir);
    ASSERT_EQ(mkdir(path, 0755), 0);
    tl_bench *b = open_bench(&spec, "--quiet", "--out", dir, (char *)NULL);
    tl_stats s = one_two_three();
    tl_bench_row(b, &s, TL_STR("plain"), TL_INT(1));
    tl_bench_answer(b, "It takes 2 ns.");
    ASSERT_EQ(tl_bench_close(b), 1);
    const char *files[] = { "files_test.csv", "files_test.answer.txt",
                            "files_test.schema.json", "files_test.samples.csv",
                            "files_test.run.json", "topology.xml",
                            "files_test.csv.partial", "topology.xml.partial", NULL };
    for (size_t i = 0; files[i]; i++)
        ASSERT_TRUE(!exists(dir, files[i]));
    remove_tree(dir);

    dir = make_scratch();
    snprintf(path, sizeof path, "%s/files_test.answer.txt.partial", dir);
    if (symlink("/dev/full", path) == 0) { /* the answer's write fails */
        b = open_bench(&spec, "--quiet", "--out", dir, (char *)NULL);
        tl_bench_row(b, &s, TL_STR("plain"), TL_INT(1));
        tl_bench_answer(b, "It takes 2 ns.");
        ASSERT_EQ(tl_bench_close(b), 1);
        ASSERT_TRUE(!exists(dir, "files_test.csv") && !exists(dir, "meta.json"));
    }
    remove_tree(dir);
}

static void meta_json_parses(void)
{
    TL_TEST_SKIP_IF(system("python3 -c '' 2>/dev/null") != 0, "no python3");
    char *dir = make_scratch();
    /* Quotes, backslashes, control characters and bytes that are not UTF-8
     * all end up as valid JSON. */
    tl_bench *b = open_bench(&spec, "--quiet", "--out", dir, "--label",
                             "q\"b\\s\tt\nn\x01 \xff\xfe \xc3\xa9", (char *)NULL);
    ASSERT_EQ(tl_bench_close(b), 0);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "python3 -m json.tool %s/meta.json > /dev/null", dir);
    ASSERT_EQ(system(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import json,sys; m=json.load(open(sys.argv[1]));"
             "r=json.load(open(sys.argv[2]));"
             "assert r[\"command_line\"][-1]==\"q\\\"b\\\\s\\tt\\nn\\x01 \\ufffd\\ufffd \\u00e9\", r;"
             "assert m[\"timer_overhead_ns\"]>0 and m[\"timer_resolution_ns\"]>0, m;"
             "assert m[\"pus\"]>=1 and m[\"cpu_model\"] and m[\"machine\"], m;"
             "assert \"command_line\" not in m and m[\"quick\"] is False, m;"
             "assert m[\"pus_usable\"]==m[\"pus\"]<=m[\"pus_machine\"] and m[\"fingerprint\"], m;"
             "assert len(m[\"date\"])==20, m;"
             "assert all(k in m for k in (\"hostname\",\"packages\",\"cores\","
             "\"numa_nodes\",\"l1d_cache_bytes\",\"llc_bytes\",\"kernel\",\"libc\","
             "\"compiler\",\"compiler_flags\",\"openmp\",\"cpufreq_governor\","
             "\"load_average\",\"git_commit\",\"llc_total_bytes\",\"memory_bytes\")), m'"
             " %s/meta.json %s/files_test.run.json",
             dir, dir);
    ASSERT_EQ(system(cmd), 0);
    /* hwloc reads its own XML back: lstopo, when installed. */
    snprintf(cmd, sizeof cmd,
             "! command -v lstopo-no-graphics >/dev/null || "
             "lstopo-no-graphics -i %s/topology.xml --of console >/dev/null",
             dir);
    ASSERT_EQ(system(cmd), 0);
    remove_tree(dir);
}

int main(int argc, char **argv)
{
    const char *child = tl_test_child_case(argc, argv);
    if (child) {
        if (strcmp(child, "killed") == 0)
            return child_killed();
        if (strcmp(child, "fails") == 0)
            return child_fails();
        if (strcmp(child, "unstable") == 0)
            return child_unstable();
        if (strcmp(child, "usage_error") == 0)
            return child_usage_error();
        if (strcmp(child, "bad_row") == 0)
            return child_bad_row();
        return 99;
    }
    escaping_and_commit();
    killed_run_leaves_no_file();
    warnings_and_bugs();
    meta_json_parses();
    all_or_none();
    puts("ok");
    return 0;
}
