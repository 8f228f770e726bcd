/* parse.c: strict parsers for flag values: all of the text, or an error. */
#include "harness_internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TL__THREADS_MAX_VALUE 1000000u
#define TL__THREADS_MAX_ITEMS 4096u

int tl_parse_long(const char *text, long *out)
{
    if (!text || !out || !*text || isspace((unsigned char)*text))
        return EINVAL;
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (*end != '\0')
        return EINVAL;
    if (errno == ERANGE)
        return ERANGE;
    *out = value;
    return 0;
}

int tl_parse_double(const char *text, double *out)
{
    if (!text || !out || !*text || isspace((unsigned char)*text))
        return EINVAL;
    char *end;
    errno = 0;
    double value = strtod(text, &end);
    if (*end != '\0' || isnan(value))
        return EINVAL;
    if (errno == ERANGE || isinf(value))
        return ERANGE;
    *out = value;
    return 0;
}

int tl_parse_size_bytes(const char *text, size_t *out)
{
    if (!text || !out || !isdigit((unsigned char)*text))
        return EINVAL;
    char *end;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno == ERANGE)
        return ERANGE;
    static const char units[] = "KMGT";
    const char *unit = *end ? strchr(units, toupper((unsigned char)*end)) : NULL;
    if (unit) {
        for (const char *u = units; u <= unit; u++) {
            if (value > ULLONG_MAX / 1024)
                return ERANGE;
            value *= 1024;
        }
        end++;
        if (strcmp(end, "iB") == 0 || strcmp(end, "B") == 0)
            end += strlen(end);
    }
    if (*end != '\0')
        return EINVAL;
    if (value > SIZE_MAX)
        return ERANGE;
    *out = (size_t)value;
    return 0;
}

/* A count in a --threads list: digits, P (the PUs), or digits then P (that
 * many times the PUs). Advances *p past it. */
static int parse_count(const char **p, unsigned pus, unsigned long *out)
{
    const char *s = *p;
    unsigned long value = 1;
    bool digits = isdigit((unsigned char)*s);
    if (digits) {
        char *end;
        errno = 0;
        value = strtoul(s, &end, 10);
        if (errno == ERANGE || value > TL__THREADS_MAX_VALUE)
            return EINVAL;
        s = end;
    }
    if (*s == 'P' || *s == 'p') {
        value *= pus;
        s++;
    } else if (!digits) {
        return EINVAL;
    }
    if (value < 1 || value > TL__THREADS_MAX_VALUE)
        return EINVAL;
    *p = s;
    *out = value;
    return 0;
}

static int by_unsigned(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return (x > y) - (x < y);
}

/* Appends the counts of one item (N, A-B or A-BxK) starting at *p. */
static int parse_item(const char **p, unsigned pus, unsigned *list,
                      size_t *count)
{
    unsigned long first, last, factor = 0;
    if (parse_count(p, pus, &first) != 0)
        return EINVAL;
    last = first;
    if (**p == '-') {
        (*p)++;
        if (parse_count(p, pus, &last) != 0 || last < first)
            return EINVAL;
        if (**p == 'x') {
            char *end;
            (*p)++;
            if (!isdigit((unsigned char)**p))
                return EINVAL;
            factor = strtoul(*p, &end, 10);
            *p = end;
            if (factor < 2 || factor > TL__THREADS_MAX_VALUE)
                return EINVAL;
        }
    }
    for (unsigned long v = first; v <= last;) {
        if (*count == TL__THREADS_MAX_ITEMS)
            return EINVAL;
        list[(*count)++] = (unsigned)v;
        if (v == last)
            break;
        v = factor ? v * factor : v + 1;
        if (v > last)
            v = last; /* a geometric range ends on its upper bound */
    }
    return 0;
}

int tl_parse_threads(const char *text, unsigned pus, unsigned **out,
                     size_t *count_out)
{
    if (!text || !out || !count_out)
        return EINVAL;
    unsigned *list = malloc(TL__THREADS_MAX_ITEMS * sizeof *list);
    if (!list)
        return ENOMEM;
    size_t count = 0;
    const char *p = text;
    for (;;) {
        if (parse_item(&p, pus ? pus : 1, list, &count) != 0)
            break;
        if (*p == '\0') {
            qsort(list, count, sizeof *list, by_unsigned);
            size_t kept = 0;
            for (size_t i = 0; i < count; i++)
                if (kept == 0 || list[kept - 1] != list[i])
                    list[kept++] = list[i];
            *out = list;
            *count_out = kept;
            return 0;
        }
        if (*p++ != ',')
            break;
    }
    free(list);
    return EINVAL;
}
