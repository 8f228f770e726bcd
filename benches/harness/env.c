/* env.c: the environment of one bench run, and <bench>.run.json, its record.
 *
 * A figure is only as good as the machine was quiet while it was measured:
 * /proc/stat read at open and at close gives the steal time (a hypervisor
 * running other guests on our CPUs) and the CPU time others used beside
 * us; the rest (hypervisor present, frequency, governor, boost, SMT, ASLR)
 * says what kind of machine the numbers come from. Everything unreadable is
 * null, never a guess. run.json fields:
 *   bench, run_index, mode ("record" or "combine"), command_line [...],
 *   settings {quick, reps, min_time_s, pin, threads [...], out_dir},
 *   started (UTC, ISO 8601),
 *   environment {
 *     wall_s            seconds from tl_bench_open to tl_bench_close
 *     steal_fraction    steal ticks / all CPU ticks over the run (0..1)
 *     busy_pus          PUs busy on average over the run (anyone's work)
 *     self_pus          PUs this process kept busy on average (its CPU time
 *                       / wall time; children such as probes count as other)
 *     other_busy_pus    busy_pus - self_pus: other work during the bench
 *     hypervisor        the "hypervisor" cpuinfo flag (true/false)
 *     cpu_mhz_open, cpu_mhz_close  mean "cpu MHz" of /proc/cpuinfo
 *     scaling_governor, scaling_cur_khz, scaling_max_khz  cpu0's cpufreq
 *     boost             cpufreq/boost, or not intel_pstate/no_turbo
 *     smt_active        /sys/devices/system/cpu/smt/active (true/false)
 *     smt_control       .../smt/control ("on", "off", "notsupported"...)
 *     aslr              /proc/sys/kernel/randomize_va_space (0, 1, 2)
 *   },
 *   runs [ the run.json of every run combined (combine mode only) ]
 */
#define _GNU_SOURCE
#include "runs_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* root + path, whole (at most 64 KiB is ever needed), or NULL. */
static char *read_file(const char *root, const char *path)
{
    char full[512];
    snprintf(full, sizeof full, "%s%s", root, path);
    FILE *f = fopen(full, "r");
    if (!f)
        return NULL;
    char *text = malloc(65536);
    size_t n = text ? fread(text, 1, 65535, f) : 0;
    fclose(f);
    if (text)
        text[n] = '\0';
    return text;
}

/* The first line of root + path, trailing blanks removed, into buf. */
static bool read_line(const char *root, const char *path, char *buf,
                      size_t size)
{
    char *text = read_file(root, path);
    if (!text)
        return false;
    size_t len = strcspn(text, "\n");
    while (len && (text[len - 1] == ' ' || text[len - 1] == '\t'))
        len--;
    snprintf(buf, size, "%.*s", (int)len, text);
    free(text);
    return len > 0;
}

static bool read_number(const char *root, const char *path, double *out)
{
    char line[64], *end;
    if (!read_line(root, path, line, sizeof line))
        return false;
    *out = strtod(line, &end);
    return end != line;
}

/* The aggregate "cpu" line: user nice system idle iowait irq softirq steal
 * (guest time is already inside user). */
static void read_proc_stat(const char *root, tl__env_snapshot *s)
{
    char *text = read_file(root, "/proc/stat");
    unsigned long long v[8] = { 0 };
    s->have_stat = text && sscanf(text, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
                                  &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                                  &v[6], &v[7]) >= 4;
    free(text);
    if (!s->have_stat)
        return;
    s->idle = v[3];
    s->iowait = v[4];
    s->steal = v[7];
    s->busy = v[0] + v[1] + v[2] + v[5] + v[6];
    s->total = s->busy + s->idle + s->iowait + s->steal;
}

/* utime and stime, fields 14 and 15, counted after the ')' that ends the
 * command name (which may itself hold spaces and parentheses). */
static void read_self_stat(const char *root, tl__env_snapshot *s)
{
    char *text = read_file(root, "/proc/self/stat");
    char *p = text ? strrchr(text, ')') : NULL;
    unsigned long long utime, stime;
    s->have_self = p && sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u "
                                      "%*u %*u %llu %llu",
                               &utime, &stime) == 2;
    if (s->have_self)
        s->self_ticks = utime + stime;
    free(text);
}

static double mean_cpu_mhz(const char *root)
{
    char *text = read_file(root, "/proc/cpuinfo");
    double sum = 0;
    unsigned count = 0;
    for (char *p = text; p && (p = strstr(p, "cpu MHz")); p++) {
        double mhz;
        if (sscanf(p, "cpu MHz : %lf", &mhz) == 1 ||
            sscanf(p, "cpu MHz\t: %lf", &mhz) == 1) {
            sum += mhz;
            count++;
        }
    }
    free(text);
    return count ? sum / count : NAN;
}

void tl__env_read(const char *root, tl__env_snapshot *s)
{
    memset(s, 0, sizeof *s);
    read_proc_stat(root, s);
    read_self_stat(root, s);
    s->cpu_mhz = mean_cpu_mhz(root);
    s->when_ns = tl_now_ns();
}

tl__env_usage tl__env_usage_between(const tl__env_snapshot *a,
                                    const tl__env_snapshot *b,
                                    double ticks_per_s)
{
    tl__env_usage u = { .steal_fraction = NAN, .busy_pus = NAN,
                        .self_pus = NAN, .other_busy_pus = NAN };
    u.wall_s = b->when_ns > a->when_ns ? (double)(b->when_ns - a->when_ns) / 1e9 : 0;
    if (!(u.wall_s > 0) || !(ticks_per_s > 0))
        return u;
    if (a->have_stat && b->have_stat && b->total > a->total) {
        u.steal_fraction = (double)(b->steal - a->steal) / (double)(b->total - a->total);
        u.busy_pus = (double)(b->busy - a->busy) / ticks_per_s / u.wall_s;
    }
    if (a->have_self && b->have_self && b->self_ticks >= a->self_ticks)
        u.self_pus = (double)(b->self_ticks - a->self_ticks) / ticks_per_s / u.wall_s;
    if (isfinite(u.busy_pus) && isfinite(u.self_pus))
        u.other_busy_pus = fmax(0, u.busy_pus - u.self_pus);
    return u;
}

/* ---- JSON -------------------------------------------------------------------------- */

static void key(FILE *f, bool *first, const char *name)
{
    fputs(*first ? "\n    " : ",\n    ", f);
    *first = false;
    tl__json_string(f, name);
    fputs(": ", f);
}

static void number_or_null(FILE *f, bool *first, const char *name, bool known,
                           double value)
{
    key(f, first, name);
    tl__json_number(f, known ? value : NAN);
}

static void line_or_null(FILE *f, bool *first, const char *name,
                         const char *root, const char *path)
{
    char line[128];
    key(f, first, name);
    tl__json_string(f, read_line(root, path, line, sizeof line) ? line : NULL);
}

static void bool_or_null(FILE *f, bool *first, const char *name, int value)
{
    key(f, first, name);
    fputs(value < 0 ? "null" : value ? "true" : "false", f);
}

/* 1 if the cpuinfo flags say hypervisor, 0 if flags are there without it,
 * -1 if there are no flags to read. */
static int hypervisor_flag(const char *root)
{
    char *text = read_file(root, "/proc/cpuinfo");
    char *flags = text ? strstr(text, "\nflags") : NULL;
    int found = -1;
    if (flags) {
        size_t len = strcspn(flags + 1, "\n");
        flags[len + 1] = '\0';
        found = strstr(flags, " hypervisor") != NULL;
    }
    free(text);
    return found;
}

static int boost_state(const char *root)
{
    double v;
    if (read_number(root, "/sys/devices/system/cpu/cpufreq/boost", &v))
        return v != 0;
    if (read_number(root, "/sys/devices/system/cpu/intel_pstate/no_turbo", &v))
        return v == 0;
    return -1;
}

static void write_machine_state(FILE *f, bool *first, const char *root)
{
    double v;
    bool_or_null(f, first, "hypervisor", hypervisor_flag(root));
    line_or_null(f, first, "scaling_governor", root,
                 "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
    bool known = read_number(root, "/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq", &v);
    number_or_null(f, first, "scaling_cur_khz", known, v);
    known = read_number(root, "/sys/devices/system/cpu/cpu0/cpufreq/scaling_max_freq", &v);
    number_or_null(f, first, "scaling_max_khz", known, v);
    bool_or_null(f, first, "boost", boost_state(root));
    known = read_number(root, "/sys/devices/system/cpu/smt/active", &v);
    bool_or_null(f, first, "smt_active", known ? v != 0 : -1);
    line_or_null(f, first, "smt_control", root, "/sys/devices/system/cpu/smt/control");
    known = read_number(root, "/proc/sys/kernel/randomize_va_space", &v);
    number_or_null(f, first, "aslr", known, v);
}

void tl__env_write_json(FILE *f, const char *root, const tl__env_snapshot *a,
                        const tl__env_snapshot *b)
{
    tl__env_usage u = tl__env_usage_between(a, b, (double)sysconf(_SC_CLK_TCK));
    bool first = true;
    fputc('{', f);
    number_or_null(f, &first, "wall_s", true, u.wall_s);
    number_or_null(f, &first, "steal_fraction", true, u.steal_fraction);
    number_or_null(f, &first, "busy_pus", true, u.busy_pus);
    number_or_null(f, &first, "self_pus", true, u.self_pus);
    number_or_null(f, &first, "other_busy_pus", true, u.other_busy_pus);
    number_or_null(f, &first, "cpu_mhz_open", true, a->cpu_mhz);
    number_or_null(f, &first, "cpu_mhz_close", true, b->cpu_mhz);
    write_machine_state(f, &first, root);
    fputs("\n  }", f);
}

/* ---- <bench>.run.json ---------------------------------------------------------------- */

static void write_settings(FILE *f, const tl_bench *b)
{
    fprintf(f, "{\"quick\": %s, \"reps\": %u, \"min_time_s\": ",
            b->cli.quick ? "true" : "false", b->cli.reps);
    tl__json_number(f, b->cli.min_time_s);
    fputs(", \"pin\": ", f);
    tl__json_string(f, tl_pin_policy_name(b->cli.pin));
    fputs(", \"threads\": [", f);
    for (size_t i = 0; i < b->cli.threads_count; i++)
        fprintf(f, "%s%u", i ? ", " : "", b->cli.threads[i]);
    fputs("], \"out_dir\": ", f);
    tl__json_string(f, b->cli.out_dir);
    fputc('}', f);
}

/* The runs' own records, as they are (each a JSON object, or null). */
static void write_combined_runs(FILE *f, const tl__runs *runs)
{
    fputs(",\n  \"runs\": [", f);
    for (size_t r = 0; r < runs->run_count; r++) {
        const char *text = runs->runs[r].run_json;
        size_t len = text ? strlen(text) : 0;
        while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
            len--;
        bool object = len >= 2 && text[0] == '{' && text[len - 1] == '}';
        fputs(r ? ",\n" : "\n", f);
        if (object)
            fwrite(text, 1, len, f);
        else
            fputs("null", f);
    }
    fputs("]", f);
}

static void write_run_json(FILE *f, const tl_bench *b)
{
    char started[32];
    struct tm tm;
    strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ",
             gmtime_r(&b->started, &tm));
    tl__env_snapshot now;
    tl__env_read("", &now);
    fputs("{\n  \"bench\": ", f);
    tl__json_string(f, b->spec->name);
    fprintf(f, ",\n  \"run_index\": %ld,\n  \"mode\": \"%s\",\n  \"command_line\": [",
            b->cli.run_index, tl_bench_replaying(b) ? "combine" : "record");
    for (int i = 0; i < b->argc; i++) {
        fputs(i ? ", " : "", f);
        tl__json_string(f, b->argv[i]);
    }
    fputs("],\n  \"settings\": ", f);
    write_settings(f, b);
    fprintf(f, ",\n  \"started\": \"%s\",\n  \"environment\": ", started);
    tl__env_write_json(f, "", &b->runs->env_open, &now);
    if (tl_bench_replaying(b))
        write_combined_runs(f, b->runs);
    fputs("\n}\n", f);
}

int tl__run_json_write(const tl_bench *b)
{
    tl__outfile o;
    char name[256];
    snprintf(name, sizeof name, "%s.run.json", b->spec->name);
    int err = tl__outfile_open(&o, b->cli.out_dir, name);
    if (err)
        return err;
    write_run_json(o.f, b);
    return tl__outfile_commit(&o);
}
