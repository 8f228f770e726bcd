/* progress.c: where the bench is, on stderr. A terminal gets one live line
 * rewritten in place; a pipe or file gets one plain line per case, so that
 * logs stay readable. */
#include "harness_internal.h"

#include <sys/ioctl.h>
#include <unistd.h>

/* Columns of the terminal, so the live line never wraps (a wrapped line
 * cannot be rewritten with \r). */
static size_t terminal_width(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10)
        return ws.ws_col;
    return 80;
}

void tl__progress_rep(tl_bench *b, const char *label, unsigned rep,
                      unsigned reps)
{
    if (b->cli.quiet || (!b->progress.tty && rep != 0))
        return;
    char line[512], where[32];
    if (b->progress.planned)
        snprintf(where, sizeof where, "[%u/%u]", b->rows + 1, b->progress.planned);
    else
        snprintf(where, sizeof where, "[%u]", b->rows + 1);
    int len = snprintf(line, sizeof line, "%s %s%s%s", where, b->spec->name,
                       label ? " " : "", label ? label : "");
    if (!b->progress.tty) {
        fprintf(stderr, "%s\n", line);
        return;
    }
    if (len > 0 && (size_t)len < sizeof line) {
        if (rep == 0)
            snprintf(line + len, sizeof line - (size_t)len, "  warm-up");
        else
            snprintf(line + len, sizeof line - (size_t)len, "  rep %u/%u", rep, reps);
    }
    size_t width = terminal_width() - 1;
    fprintf(stderr, "\r\033[K%.*s", (int)width, line);
    fflush(stderr);
    b->progress.line_shown = true;
}

void tl__progress_clear(tl_bench *b)
{
    if (b->progress.line_shown) {
        fputs("\r\033[K", stderr);
        b->progress.line_shown = false;
    }
}

void tl__progress_vsay(tl_bench *b, const char *prefix, const char *fmt,
                       va_list ap)
{
    tl__progress_clear(b);
    fprintf(stderr, "%s: %s", b->spec->name, prefix ? prefix : "");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}
