/* columns.c: the statistics columns every row ends with: their names and
 * meanings, once, for the CSV header and rows, --help and the description. */
#include "harness_internal.h"

const tl__stat_column tl__stat_columns[] = {
    { "unit", "what the statistics count: ns per operation unless the "
              "section says otherwise" },
    { "n", "samples" },
    { "min", "the smallest sample" },
    { "p05", "5th percentile" },
    { "median", "the figure to quote" },
    { "p95", "95th percentile" },
    { "max", "the largest sample" },
    { "mean", "the mean of the samples" },
    { "stddev", "standard deviation (n - 1)" },
    { "cv", "coefficient of variation: stddev / mean" },
    { "ci_lo", "low end of the bootstrap 95% confidence interval of the median" },
    { "ci_hi", "high end of the bootstrap 95% confidence interval of the median" },
    { "outliers", "samples beyond the Tukey fences (1.5 IQR)" },
    { "unstable", "1 when cv > unstable_cv or min or max is further than "
                  "unstable_spread times from the median, else 0" },
};
const size_t tl__stat_column_count =
    sizeof tl__stat_columns / sizeof *tl__stat_columns;

void tl__stats_header(FILE *f)
{
    for (size_t i = 0; i < tl__stat_column_count; i++)
        fprintf(f, "%s%s", i ? "," : "", tl__stat_columns[i].name);
}

/* The fields in the table's order: unit, n, the ten numbers, outliers,
 * unstable. A new statistic goes into the table and here. */
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
    fprintf(f, ",%zu,%d", s->outliers, s->unstable ? 1 : 0);
    _Static_assert(sizeof values / sizeof *values + 4 ==
                       sizeof tl__stat_columns / sizeof *tl__stat_columns,
                   "every statistics column has a field");
}
