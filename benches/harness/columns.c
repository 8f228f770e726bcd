/* columns.c: the statistics columns every row ends with: their names and
 * meanings, once, for the CSV header and rows, --help and the description. */
#include "harness_internal.h"

#include <math.h>

const tl__stat_column tl__stat_columns[] = {
    { .name = "unit", .help = "what the statistics count: ns per operation unless the "
              "section says otherwise" },
    { .name = "n", .help = "samples" },
    { .name = "min", .help = "the smallest sample" },
    { .name = "p05", .help = "5th percentile" },
    { .name = "median", .help = "the figure to quote" },
    { .name = "p95", .help = "95th percentile" },
    { .name = "max", .help = "the largest sample" },
    { .name = "mean", .help = "the mean of the samples" },
    { .name = "stddev", .help = "standard deviation (n - 1)" },
    { .name = "cv", .help = "coefficient of variation: stddev / mean" },
    { .name = "ci_lo", .help = "low end of the median's confidence interval (order statistics; "
               "over the runs' medians when runs > 1), at level ci_level" },
    { .name = "ci_hi", .help = "high end of that interval" },
    { .name = "outliers", .help = "samples beyond the Tukey fences (1.5 IQR)" },
    { .name = "unstable", .help = "1 when cv > unstable_cv or min or max is further than "
                  "unstable_spread times from the median, else 0" },
    { .name = "ci_level", .help = "the confidence level of [ci_lo, ci_hi], 0 to 1 (exact, "
                  "from the sample or run count: 0.75 for 3)" },
    { .name = "runs", .help = "independent processes whose samples this row combines (1 in "
              "a section measured once: a count or a size, from run 0)" },
    { .name = "cpu_median", .help = "median process CPU time per operation over a sample, in "
                    "unit (empty when not measured): above the median, threads "
                    "were spinning or running in parallel",
      .optional = true },
};
const size_t tl__stat_column_count =
    sizeof tl__stat_columns / sizeof *tl__stat_columns;

void tl__stats_header(FILE *f)
{
    for (size_t i = 0; i < tl__stat_column_count; i++)
        fprintf(f, "%s%s", i ? "," : "", tl__stat_columns[i].name);
}

/* The fields in the table's order: unit, n, the ten numbers, outliers,
 * unstable, ci_level, runs, cpu_median. A new statistic goes into the table
 * and here. */
void tl__stats_fields(FILE *f, const tl_stats *s)
{
    if (!s) {
        for (size_t i = 1; i < tl__stat_column_count; i++)
            fputc(',', f);
        return;
    }
    tl__csv_field(f, s->unit);
    fprintf(f, ",%zu", s->n);
    const double values[] = { s->min, s->p05, s->median, s->p95, s->max,
                              s->mean, s->stddev, s->cv, s->ci_lo, s->ci_hi };
    for (size_t i = 0; i < sizeof values / sizeof *values; i++)
        fprintf(f, ",%.10g", values[i]);
    fprintf(f, ",%zu,%d,%.10g,%u,", s->outliers, s->unstable ? 1 : 0,
            s->ci_level, s->runs);
    if (isfinite(s->cpu_median)) /* empty when not measured */
        fprintf(f, "%.10g", s->cpu_median);
    _Static_assert(sizeof values / sizeof *values + 7 ==
                       sizeof tl__stat_columns / sizeof *tl__stat_columns,
                   "every statistics column has a field");
}
