/* describe.c: the bench's description as JSON (--describe and
 * <bench>.schema.json): everything a reader of its CSV needs to know, from
 * the one place it is declared, the bench's spec. */
#include "harness_internal.h"

static const char *const kind_names[] = { "key", "metric", "derived" };
static const char *const band_names[] = { NULL, "inverse", "affine" };

/* ["a", "b"] from a NULL-terminated list (NULL writes null). */
static void string_list(FILE *f, const char *const *items)
{
    if (!items) {
        fputs("null", f);
        return;
    }
    fputc('[', f);
    for (size_t i = 0; items[i]; i++) {
        fputs(i ? ", " : "", f);
        tl__json_string(f, items[i]);
    }
    fputc(']', f);
}

static void column(FILE *f, const tl_bench_column *c)
{
    fputs("    {\"name\": ", f);
    tl__json_string(f, c->name);
    fputs(", \"kind\": ", f);
    tl__json_string(f, kind_names[c->kind]);
    fputs(", \"unit\": ", f);
    tl__json_string(f, c->unit);
    fputs(", \"help\": ", f);
    tl__json_string(f, c->help);
    if (c->band != TL_BAND_NONE) {
        fputs(", \"band\": ", f);
        tl__json_string(f, band_names[c->band]);
        fputs(", \"band_offset\": ", f);
        tl__json_string(f, c->band_offset);
    }
    fputc('}', f);
}

static void section(FILE *f, const tl_bench_section *s)
{
    fputs("    {\"name\": ", f);
    tl__json_string(f, s->name);
    fputs(", \"unit\": ", f);
    tl__json_string(f, s->unit);
    fputs(", \"help\": ", f);
    tl__json_string(f, s->help);
    fputs(", \"cases\": ", f);
    string_list(f, s->cases);
    fputs(", \"filled\": ", f);
    string_list(f, s->filled ? s->filled : (const char *const[]){ NULL });
    fprintf(f, ", \"once\": %s}", s->once ? "true" : "false");
}

static void stat_columns(FILE *f)
{
    fputs("  \"stats_columns\": [\n", f);
    for (size_t i = 0; i < tl__stat_column_count; i++) {
        fputs("    {\"name\": ", f);
        tl__json_string(f, tl__stat_columns[i].name);
        fputs(", \"help\": ", f);
        tl__json_string(f, tl__stat_columns[i].help);
        if (tl__stat_columns[i].optional)
            fputs(", \"optional\": true", f);
        fputs(i + 1 < tl__stat_column_count ? "},\n" : "}\n", f);
    }
    fputs("  ],\n", f);
}

void tl__describe(const tl_bench_spec *spec, FILE *f)
{
    fputs("{\n  \"bench\": ", f);
    tl__json_string(f, spec->name);
    fputs(",\n  \"question\": ", f);
    tl__json_string(f, spec->question);
    fputs(",\n  \"measures\": ", f);
    tl__json_string(f, spec->measures);
    fputs(",\n  \"unit\": ", f);
    tl__json_string(f, spec->unit);
    fputs(",\n  \"columns\": [\n", f);
    for (size_t i = 0; spec->columns[i].name; i++) {
        fputs(i ? ",\n" : "", f);
        column(f, &spec->columns[i]);
    }
    fputs("\n  ],\n  \"cases_column\": ", f);
    tl__json_string(f, spec->cases_column);
    fputs(",\n  \"sections\": [", f);
    for (size_t i = 0; spec->sections && spec->sections[i].name; i++) {
        fputs(i ? ",\n" : "\n", f);
        section(f, &spec->sections[i]);
    }
    fputs(spec->sections && spec->sections[0].name ? "\n  ],\n" : "],\n", f);
    stat_columns(f);
    fputs("  \"unstable_cv\": ", f);
    tl__json_number(f, TL_UNSTABLE_CV);
    fputs(",\n  \"unstable_spread\": ", f);
    tl__json_number(f, TL_UNSTABLE_SPREAD);
    fputs("\n}\n", f);
}
