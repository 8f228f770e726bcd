/* outfile.c: result files appear whole under their real name, or not at
 * all: written as <name>.partial, synced, then renamed (atomic on POSIX). */
#define _GNU_SOURCE
#include "harness_internal.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int tl__mkdirs(const char *dir)
{
    char *path = strdup(dir);
    if (!path)
        return ENOMEM;
    int err = 0;
    /* Each prefix ending before a '/', then the whole path. */
    for (char *p = path + 1; !err; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            err = errno;
        *p = saved;
        if (saved == '\0')
            break;
    }
    struct stat st;
    if (!err && stat(dir, &st) != 0)
        err = errno;
    else if (!err && !S_ISDIR(st.st_mode))
        err = ENOTDIR; /* not the EEXIST mkdir left in errno */
    free(path);
    return err;
}

int tl__outfile_open(tl__outfile *o, const char *dir, const char *name)
{
    memset(o, 0, sizeof *o);
    if (asprintf(&o->final_path, "%s/%s", dir, name) < 0) {
        o->final_path = NULL;
        return ENOMEM;
    }
    if (asprintf(&o->temp_path, "%s.partial", o->final_path) < 0) {
        o->temp_path = NULL;
        tl__outfile_discard(o);
        return ENOMEM;
    }
    o->f = fopen(o->temp_path, "w");
    if (!o->f) {
        int err = errno;
        tl__outfile_discard(o);
        return err;
    }
    return 0;
}

static void release(tl__outfile *o)
{
    free(o->temp_path);
    free(o->final_path);
    memset(o, 0, sizeof *o);
}

/* The renames held back while a bench writes its set of files: (temp,
 * final) pairs, owned. The harness runs on one thread (harness.h). */
static struct pending {
    char *temp_path, *final_path;
} *pending;
static size_t pending_count;
static bool deferring;

void tl__outfile_defer(void)
{
    deferring = true;
}

int tl__outfile_adopt(const char *temp_path, const char *final_path)
{
    if (!deferring)
        return rename(temp_path, final_path) == 0 ? 0 : errno;
    struct pending *grown = realloc(pending, (pending_count + 1) * sizeof *pending);
    char *temp = strdup(temp_path), *final = strdup(final_path);
    if (!grown || !temp || !final) {
        if (grown)
            pending = grown;
        free(temp);
        free(final);
        return ENOMEM;
    }
    pending = grown;
    pending[pending_count++] = (struct pending){ temp, final };
    return 0;
}

int tl__outfile_settle(bool publish)
{
    int err = 0;
    /* A rename can fail on what stands at the real name (a directory in
     * the way): look at every one before the first is published. */
    struct stat st;
    for (size_t i = 0; publish && !err && i < pending_count; i++)
        if (stat(pending[i].final_path, &st) == 0 && S_ISDIR(st.st_mode))
            err = EISDIR;
    if (err)
        publish = false;
    for (size_t i = 0; i < pending_count; i++) {
        if (publish && !err && rename(pending[i].temp_path, pending[i].final_path) != 0)
            err = errno;
        if (!publish || err)
            unlink(pending[i].temp_path);
        free(pending[i].temp_path);
        free(pending[i].final_path);
    }
    free(pending);
    pending = NULL;
    pending_count = 0;
    deferring = false;
    return err;
}

int tl__outfile_commit(tl__outfile *o)
{
    if (!o->f)
        return EBADF;
    int err = 0;
    errno = 0;
    if (fflush(o->f) != 0 || ferror(o->f))
        err = errno ? errno : EIO;
    /* Synced before the rename, so that after a crash the real name holds
     * either the old file or the whole new one. */
    if (!err && fsync(fileno(o->f)) != 0 && errno != EINVAL)
        err = errno;
    if (fclose(o->f) != 0 && !err)
        err = errno ? errno : EIO;
    o->f = NULL;
    if (!err)
        err = tl__outfile_adopt(o->temp_path, o->final_path);
    if (err)
        unlink(o->temp_path);
    release(o);
    return err;
}

void tl__outfile_discard(tl__outfile *o)
{
    if (o->f) {
        fclose(o->f);
        unlink(o->temp_path);
    }
    release(o);
}
