/* csv.c: RFC 4180 fields. */
#include "harness_internal.h"

#include <string.h>

void tl__csv_field(FILE *f, const char *text)
{
    if (!text)
        return;
    size_t len = strlen(text);
    bool quote = strpbrk(text, ",\"\r\n") != NULL ||
                 (len && (text[0] == ' ' || text[len - 1] == ' '));
    if (!quote) {
        fputs(text, f);
        return;
    }
    fputc('"', f);
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            fputc('"', f); /* a quote inside is doubled */
        fputc(*p, f);
    }
    fputc('"', f);
}
