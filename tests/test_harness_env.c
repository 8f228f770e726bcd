/* The environment of a run: steal time and other work computed from two
 * readings of /proc (fixture files with known ticks), the machine state
 * read from /proc and /sys (fixtures: hypervisor, SMT, ASLR, governor,
 * boost; missing files are null, not guesses), and the real <bench>.run.json
 * of a bench: it parses and holds the command line, settings and
 * environment. */
#define _GNU_SOURCE
#include "harness_test.h"
#include "runs_internal.h"

#include <errno.h>

static void put(const char *root, const char *path, const char *text)
{
    char full[512], cmd[700];
    snprintf(full, sizeof full, "%s%s", root, path);
    snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\"", full);
    ASSERT_EQ(system(cmd), 0);
    FILE *f = fopen(full, "w");
    ASSERT_NOT_NULL(f);
    fputs(text, f);
    ASSERT_EQ(fclose(f), 0);
}

/* "cpu user nice system idle iowait irq softirq steal" and this process's
 * utime + stime (its name holds a space and a parenthesis, as names may). */
static void put_ticks(const char *root, unsigned long long user,
                      unsigned long long idle, unsigned long long steal,
                      unsigned long long self)
{
    char text[256];
    snprintf(text, sizeof text,
             "cpu  %llu 0 0 %llu 0 0 0 %llu 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n",
             user, idle, steal);
    put(root, "/proc/stat", text);
    snprintf(text, sizeof text,
             "42 (a b) c) R 1 42 42 0 -1 4194304 100 0 0 0 %llu %llu 0 0 20 0 1 0\n",
             self / 2, self - self / 2);
    put(root, "/proc/self/stat", text);
}

static void usage_from_ticks(const char *root)
{
    put(root, "/proc/cpuinfo", "processor\t: 0\ncpu MHz\t\t: 2000.000\n"
                               "flags\t\t: fpu sse2 hypervisor avx\n\n"
                               "processor\t: 1\ncpu MHz\t\t: 3000.000\n");
    tl__env_snapshot a, b;
    put_ticks(root, 1000, 5000, 10, 100);
    tl__env_read(root, &a);
    /* 2 s at 100 ticks/s on 2 PUs: 400 ticks; 300 busy (100 ours), 60
     * stolen, 40 idle. */
    put_ticks(root, 1300, 5040, 70, 300);
    tl__env_read(root, &b);
    ASSERT_TRUE(a.have_stat && a.have_self && b.have_stat && b.have_self);
    ASSERT_NEAR(a.cpu_mhz, 2500, 1e-9);
    a.when_ns = 1000000000;
    b.when_ns = 3000000000;
    tl__env_usage u = tl__env_usage_between(&a, &b, 100);
    ASSERT_NEAR(u.wall_s, 2, 1e-12);
    ASSERT_NEAR(u.steal_fraction, 60.0 / 400, 1e-12);
    ASSERT_NEAR(u.busy_pus, 1.5, 1e-12);
    ASSERT_NEAR(u.self_pus, 1.0, 1e-12);
    ASSERT_NEAR(u.other_busy_pus, 0.5, 1e-12);
    /* Unknown stays unknown. */
    tl__env_snapshot none = { .when_ns = 3000000000 };
    u = tl__env_usage_between(&a, &none, 100);
    ASSERT_TRUE(isnan(u.steal_fraction) && isnan(u.other_busy_pus));
}

static char *json_of(const char *root)
{
    tl__env_snapshot a, b;
    tl__env_read(root, &a);
    tl__env_read(root, &b);
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    ASSERT_NOT_NULL(f);
    tl__env_write_json(f, root, &a, &b);
    ASSERT_EQ(fclose(f), 0);
    return text;
}

static void machine_state(const char *root)
{
    put(root, "/sys/devices/system/cpu/smt/active", "0\n");
    put(root, "/sys/devices/system/cpu/smt/control", "notsupported\n");
    put(root, "/proc/sys/kernel/randomize_va_space", "2\n");
    put(root, "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "performance\n");
    put(root, "/sys/devices/system/cpu/intel_pstate/no_turbo", "1\n");
    char *json = json_of(root);
    ASSERT_CONTAINS(json, "\"hypervisor\": true");
    ASSERT_CONTAINS(json, "\"smt_active\": false");
    ASSERT_CONTAINS(json, "\"smt_control\": \"notsupported\"");
    ASSERT_CONTAINS(json, "\"aslr\": 2");
    ASSERT_CONTAINS(json, "\"scaling_governor\": \"performance\"");
    ASSERT_CONTAINS(json, "\"scaling_cur_khz\": null"); /* no such file */
    ASSERT_CONTAINS(json, "\"boost\": false");          /* no_turbo = 1 */
    free(json);
    /* An empty root: everything null, and still JSON. */
    char empty[300];
    snprintf(empty, sizeof empty, "%s/nothing", root);
    json = json_of(empty);
    ASSERT_CONTAINS(json, "\"hypervisor\": null");
    ASSERT_CONTAINS(json, "\"steal_fraction\": null");
    ASSERT_CONTAINS(json, "\"aslr\": null");
    free(json);
}

/* A real bench's run.json, read by Python's json module. */
static void run_record(const char *root)
{
    static const tl_bench_column columns[] = {
        { .name = "case", .kind = TL_COLUMN_KEY, .help = "the case" }, { 0 } };
    static const tl_bench_spec spec = { .name = "env_test", .question = "?",
                                        .columns = columns };
    char out[300];
    snprintf(out, sizeof out, "%s/out", root);
    tl_bench *b = open_bench(&spec, "--quiet", "--out", out, "--run-index", "7",
                             "--reps", "3", (char *)NULL);
    tl_spin(tl_spin_iterations(2e6)); /* some CPU time of our own */
    ASSERT_EQ(tl_bench_close(b), 0);
    char *json = slurp(out, "env_test.run.json");
    ASSERT_NOT_NULL(json);
    ASSERT_CONTAINS(json, "\"run_index\": 7");
    ASSERT_CONTAINS(json, "\"mode\": \"record\"");
    ASSERT_CONTAINS(json, "\"--run-index\", \"7\"");
    ASSERT_CONTAINS(json, "\"reps\": 3");
    free(json);
    if (system("python3 -c '' 2>/dev/null") != 0)
        return;
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import json,sys\n"
             "r=json.load(open(sys.argv[1]))\n"
             "e=r[\"environment\"]\n"
             "need=[\"wall_s\",\"steal_fraction\",\"busy_pus\",\"self_pus\","
             "\"other_busy_pus\",\"hypervisor\",\"cpu_mhz_open\",\"cpu_mhz_close\","
             "\"scaling_governor\",\"scaling_cur_khz\",\"scaling_max_khz\",\"boost\","
             "\"smt_active\",\"smt_control\",\"aslr\"]\n"
             "assert all(k in e for k in need), e\n"
             "assert e[\"wall_s\"] > 0, e\n"
             "assert e[\"steal_fraction\"] is None or 0 <= e[\"steal_fraction\"] <= 1, e\n"
             "assert r[\"settings\"][\"reps\"] == 3 and r[\"bench\"] == \"env_test\"\n"
             "' %s/env_test.run.json",
             out);
    ASSERT_EQ(system(cmd), 0);
}

int main(void)
{
    char *root = strdup(make_scratch());
    usage_from_ticks(root);
    machine_state(root);
    run_record(root);
    remove_tree(root);
    free(root);
    puts("ok");
    return 0;
}
