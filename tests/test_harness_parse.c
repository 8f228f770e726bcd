/* The harness's parsers and command line, in process: every malformed value
 * is refused with a one-line reason naming the flag; defaults, --quick and
 * the machine name resolve as documented. (tests/cli/harness_cli.sh checks
 * the same from outside: exit status 2 and the printed lines.) */
#include "harness_test.h"
#include "harness_internal.h"

#include <errno.h>

static void parse_numbers(void)
{
    long l;
    double d;
    size_t z;
    ASSERT_EQ(tl_parse_long("42", &l), 0);
    ASSERT_EQ(l, 42);
    ASSERT_EQ(tl_parse_long("-5", &l), 0);
    ASSERT_EQ(l, -5);
    const char *bad_longs[] = { "", " 4", "4 ", "4x", "abc", "1.5", "0x10", NULL };
    for (int i = 0; bad_longs[i]; i++)
        ASSERT_EQ(tl_parse_long(bad_longs[i], &l), EINVAL);
    ASSERT_EQ(tl_parse_long("99999999999999999999999", &l), ERANGE);

    ASSERT_EQ(tl_parse_double("0.25", &d), 0);
    ASSERT_NEAR(d, 0.25, 0);
    ASSERT_EQ(tl_parse_double("1e-3", &d), 0);
    ASSERT_NEAR(d, 1e-3, 0);
    const char *bad_doubles[] = { "", "nan", "1.5s", " 1", "x", NULL };
    for (int i = 0; bad_doubles[i]; i++)
        ASSERT_EQ(tl_parse_double(bad_doubles[i], &d), EINVAL);
    ASSERT_EQ(tl_parse_double("inf", &d), ERANGE);
    ASSERT_EQ(tl_parse_double("1e999", &d), ERANGE);

    const struct { const char *text; size_t bytes; } sizes[] = {
        { "4096", 4096 }, { "64K", 65536 }, { "64k", 65536 },
        { "8M", 8u << 20 }, { "1G", 1u << 30 }, { "2KiB", 2048 }, { "3KB", 3072 },
    };
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        ASSERT_EQ(tl_parse_size_bytes(sizes[i].text, &z), 0);
        ASSERT_EQ_U(z, sizes[i].bytes);
    }
    const char *bad_sizes[] = { "", "M", "-1", "1.5M", "4X", "4Kb", "4K ", NULL };
    for (int i = 0; bad_sizes[i]; i++)
        ASSERT_EQ(tl_parse_size_bytes(bad_sizes[i], &z), EINVAL);
    ASSERT_EQ(tl_parse_size_bytes("99999999999999T", &z), ERANGE);
}

/* Parses a thread list with pus and compares it with "a b c". */
static void threads_are(const char *text, unsigned pus, const char *expected)
{
    unsigned *list;
    size_t n;
    char got[256] = "";
    ASSERT_EQ(tl_parse_threads(text, pus, &list, &n), 0);
    for (size_t i = 0, len = 0; i < n && len < sizeof got; i++)
        len += (size_t)snprintf(got + len, sizeof got - len, "%s%u", i ? " " : "",
                                list[i]);
    free(list);
    ASSERT_STREQ(got, expected);
}

static void parse_thread_lists(void)
{
    threads_are("1,2,4", 2, "1 2 4");
    threads_are("1-4", 2, "1 2 3 4");
    threads_are("1-10x2", 2, "1 2 4 8 10"); /* ends on its upper bound */
    threads_are("1-27x3", 2, "1 3 9 27");
    threads_are("P", 6, "6");
    threads_are("1-2Px2", 3, "1 2 4 6");
    threads_are("8,1,2,2,P", 2, "1 2 8"); /* sorted, no duplicates */
    threads_are("1000000", 1, "1000000");
    const char *bad[] = { "", "0", "-1", "4-2", "1,", ",1", "1,,2", "a", "1-",
                          "1-4x1", "1-4x", "1-4xP", "1000001", "1-5000", "2Q",
                          "1 2", "0P", NULL };
    for (int i = 0; bad[i]; i++) {
        unsigned *list = NULL;
        size_t n;
        if (tl_parse_threads(bad[i], 2, &list, &n) != EINVAL)
            TL__FAIL("'%s' was accepted as a thread list", bad[i]);
        ASSERT_NULL(list);
    }
}

static void slugs(void)
{
    char buf[64];
    ASSERT_STREQ(tl__machine_slug("AMD EPYC", NULL, 2, buf, sizeof buf), "amd-epyc-2pu");
    ASSERT_STREQ(tl__machine_slug("Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz", NULL, 8,
                                  buf, sizeof buf),
                 "intel-core-i7-8650u-8pu");
    ASSERT_STREQ(tl__machine_slug("AMD EPYC 7B13 64-Core Processor", NULL, 128, buf,
                                  sizeof buf),
                 "amd-epyc-7b13-128pu");
    ASSERT_STREQ(tl__machine_slug("unknown", NULL, 4, buf, sizeof buf), "unknown-cpu-4pu");
    ASSERT_STREQ(tl__machine_slug(NULL, NULL, 1, buf, sizeof buf), "unknown-cpu-1pu");
    ASSERT_STREQ(tl__machine_slug("AMD EPYC", "25.1.1-llc32m", 2, buf, sizeof buf),
                 "amd-epyc-25.1.1-llc32m-2pu");
    tl__machine_slug("Some Vendor Extraordinarily Long Model Name With Many Words "
                     "That Goes On",
                     "25.1.1-llc768m", 256, buf, sizeof buf);
    ASSERT_TRUE(strlen(buf) <= 40 + strlen("-25.1.1-llc768m-256pu"));
    ASSERT_TRUE(tl__machine_name_ok(buf));
    ASSERT_TRUE(tl__machine_name_ok("my-box_2.local"));
    char too_long[TL__MACHINE_NAME_MAX + 2];
    memset(too_long, 'a', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    ASSERT_TRUE(!tl__machine_name_ok(too_long));
    too_long[TL__MACHINE_NAME_MAX] = '\0';
    ASSERT_TRUE(tl__machine_name_ok(too_long));
    const char *bad[] = { "", ".hidden", "a/b", "..", "sp ace", "quote'", "new\nline", NULL };
    for (int i = 0; bad[i]; i++)
        ASSERT_TRUE(!tl__machine_name_ok(bad[i]));
}

/* ---- the command line ------------------------------------------------------------------ */

static long cap = 8;
static double ratio = 1;
static size_t stack_bytes = 0;
static const char *kind = "cpu";
static bool verbose = false;
static const char *const kinds[] = { "cpu", "mem", "io", NULL };
static const tl_bench_column columns[] = {
    { .name = "k", .kind = TL_COLUMN_KEY, .help = "a key" }, { 0 } };
static const tl_bench_flag flags[] = {
    { .name = "cap", .metavar = "N", .long_value = &cap, .min = 1, .max = 64,
      .help = "at most N (default 8)" },
    { .name = "ratio", .double_value = &ratio, .help = "a ratio >= 0" },
    { .name = "stack", .size_value = &stack_bytes, .min = 16384, .max = 1 << 30,
      .help = "stack size" },
    { .name = "kind", .string_value = &kind, .choices = kinds, .help = "what" },
    { .name = "verbose", .switch_value = &verbose, .help = "say more" },
    { 0 },
};
static const tl_bench_spec spec = { .name = "t", .question = "?",
                                    .columns = columns, .flags = flags };

#define MAX_ARGS 16

/* Parses { "t", args..., NULL }; returns the result, err filled on error. */
static int parse(tl__cli *cli, char *err, size_t size, ...)
{
    char *argv[MAX_ARGS];
    int argc = 0;
    va_list ap;
    va_start(ap, size);
    argv[argc++] = "t";
    for (char *arg; (arg = va_arg(ap, char *)) && argc < MAX_ARGS - 1;)
        argv[argc++] = arg;
    va_end(ap);
    argv[argc] = NULL;
    return tl__cli_parse(&spec, argc, argv, "box-4pu", 4, cli, err, size);
}

#define REFUSED(flag, ...)                                                   \
    do {                                                                     \
        tl__cli cli_;                                                        \
        char err_[512];                                                      \
        ASSERT_EQ(parse(&cli_, err_, sizeof err_, __VA_ARGS__, NULL), EINVAL); \
        ASSERT_CONTAINS(err_, flag);                                         \
        ASSERT_TRUE(strchr(err_, '\n') == NULL);                             \
    } while (0)

static void malformed_flags(void)
{
    REFUSED("--reps", "--reps", "abc");
    REFUSED("--reps", "--reps", "0");
    REFUSED("--reps", "--reps", "-2");
    REFUSED("--reps", "--reps", "2.5");
    REFUSED("--reps", "--reps", "");
    REFUSED("--reps", "--reps=10000000");
    REFUSED("--reps: missing value", "--reps");
    REFUSED("--reps: missing value", "--reps", "--quick");
    REFUSED("--min-time", "--min-time", "0");
    REFUSED("--min-time", "--min-time", "-0.5");
    REFUSED("--min-time", "--min-time", "soon");
    REFUSED("--min-time", "--min-time", "nan");
    REFUSED("--min-time: missing value", "--min-time");
    REFUSED("--threads", "--threads", "0");
    REFUSED("--threads", "--threads", "-4");
    REFUSED("--threads", "--threads", "two");
    REFUSED("--threads", "--threads", "4-1");
    REFUSED("--threads: missing value", "--threads");
    REFUSED("--pin", "--pin", "everywhere");
    REFUSED("--pin", "--pin", "");
    REFUSED("--pin: missing value", "--pin");
    REFUSED("--out", "--out=");
    REFUSED("--out: missing value", "--out");
    REFUSED("--machine", "--machine", "../escape");
    REFUSED("--machine", "--machine", "");
    REFUSED("unknown flag '--bogus'", "--bogus");
    REFUSED("unknown flag '--bogus=1'", "--bogus=1");
    REFUSED("unknown flag '-x'", "-x");
    REFUSED("--quick: takes no value", "--quick=yes");
    REFUSED("unexpected argument 'stray'", "stray");
    /* The bench's own flags. */
    REFUSED("--cap", "--cap", "0");
    REFUSED("--cap", "--cap", "65");
    REFUSED("--cap", "--cap", "-1");
    REFUSED("--cap", "--cap", "many");
    REFUSED("--cap: missing value", "--cap");
    REFUSED("--ratio", "--ratio", "-1");
    REFUSED("--stack", "--stack", "1K");
    REFUSED("from 16K to 1G", "--stack", "1K"); /* bounds in size units */
    REFUSED("--stack", "--stack", "lots");
    REFUSED("--kind", "--kind", "gpu");
    REFUSED("--kind", "--kind", "");
    REFUSED("--verbose: takes no value", "--verbose=1");
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && strcmp(s + n - m, tail) == 0;
}

static void defaults_and_overrides(void)
{
    tl__cli cli;
    char err[512];
    unsetenv("MACHINE");
    ASSERT_EQ(parse(&cli, err, sizeof err, NULL), 0);
    ASSERT_EQ(cli.reps, 10);
    ASSERT_NEAR(cli.min_time_s, 0.01, 0);
    ASSERT_STREQ(cli.machine, "box-4pu");
    /* Run by hand, a bench writes beside itself, never into results/. */
    ASSERT_TRUE(ends_with(cli.out_dir, "/tests/scratch/box-4pu"));
    ASSERT_TRUE(strstr(cli.out_dir, "/results/") == NULL);
    ASSERT_EQ(cli.threads_count, 3); /* 1-Px2 with 4 PUs: 1 2 4 */
    ASSERT_EQ(cli.threads[2], 4);
    ASSERT_EQ(cli.pin, TL_PIN_NONE);
    ASSERT_TRUE(!cli.quick && !cli.quiet && !cli.help);
    tl__cli_release(&cli);

    /* --quick changes the defaults, not what was given, in any order. */
    ASSERT_EQ(parse(&cli, err, sizeof err, "--quick", NULL), 0);
    ASSERT_EQ(cli.reps, 3);
    ASSERT_NEAR(cli.min_time_s, 0.002, 0);
    tl__cli_release(&cli);
    ASSERT_EQ(parse(&cli, err, sizeof err, "--reps", "7", "--quick", NULL), 0);
    ASSERT_EQ(cli.reps, 7);
    tl__cli_release(&cli);

    ASSERT_EQ(parse(&cli, err, sizeof err, "--min-time=0.5", "--threads", "2P,1",
                    "--pin", "scatter", "--quiet", "--machine", "lab-1", NULL),
              0);
    ASSERT_NEAR(cli.min_time_s, 0.5, 0);
    ASSERT_EQ(cli.threads_count, 2);
    ASSERT_EQ(cli.threads[1], 8);
    ASSERT_EQ(cli.pin, TL_PIN_SCATTER);
    ASSERT_TRUE(cli.quiet);
    ASSERT_TRUE(ends_with(cli.out_dir, "/scratch/lab-1"));
    tl__cli_release(&cli);

    /* $MACHINE names the folder unless --machine does; --out wins. */
    setenv("MACHINE", "from-env", 1);
    ASSERT_EQ(parse(&cli, err, sizeof err, NULL), 0);
    ASSERT_TRUE(ends_with(cli.out_dir, "/scratch/from-env"));
    tl__cli_release(&cli);
    ASSERT_EQ(parse(&cli, err, sizeof err, "--machine", "flag", NULL), 0);
    ASSERT_STREQ(cli.machine, "flag");
    tl__cli_release(&cli);
    ASSERT_EQ(parse(&cli, err, sizeof err, "--out", "/tmp/x", NULL), 0);
    ASSERT_STREQ(cli.out_dir, "/tmp/x");
    ASSERT_STREQ(cli.machine, "from-env");
    tl__cli_release(&cli);
    setenv("MACHINE", "no/slashes", 1);
    ASSERT_EQ(parse(&cli, err, sizeof err, NULL), EINVAL);
    ASSERT_CONTAINS(err, "MACHINE");
    unsetenv("MACHINE");

    ASSERT_EQ(parse(&cli, err, sizeof err, "--help", NULL), 0);
    ASSERT_TRUE(cli.help);
    tl__cli_release(&cli);
}

static void bench_flags(void)
{
    tl__cli cli;
    char err[512];
    ASSERT_EQ(parse(&cli, err, sizeof err, "--cap", "64", "--ratio", "0.5",
                    "--stack=64K", "--kind", "io", "--verbose", NULL),
              0);
    ASSERT_EQ(cap, 64);
    ASSERT_NEAR(ratio, 0.5, 0);
    ASSERT_EQ_U(stack_bytes, 65536);
    ASSERT_STREQ(kind, "io");
    ASSERT_TRUE(verbose);
    tl__cli_release(&cli);
}

static void help_names_every_flag(void)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    ASSERT_NOT_NULL(f);
    tl__cli_help(&spec, "box-4pu", 4, f);
    fclose(f);
    const char *names[] = { "--help", "--quick", "--reps N", "--min-time S",
                            "--threads LIST", "--pin POLICY", "--out DIR",
                            "--machine NAME", "--quiet", "--cap N", "--ratio VALUE",
                            "--stack VALUE", "--kind VALUE", "--verbose", NULL };
    for (int i = 0; names[i]; i++)
        ASSERT_CONTAINS(text, names[i]);
    ASSERT_CONTAINS(text, "box-4pu");
    free(text);
}

int main(void)
{
    parse_numbers();
    parse_thread_lists();
    slugs();
    malformed_flags();
    defaults_and_overrides();
    bench_flags();
    help_names_every_flag();
    puts("ok");
    return 0;
}
