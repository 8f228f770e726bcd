/* machine.c: the machine's name, which names its results folder. */
#include "harness_internal.h"

#include <ctype.h>
#include <string.h>

bool tl__machine_name_ok(const char *name)
{
    if (!name || !*name || *name == '.')
        return false;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("-_.", *p))
            return false;
    return true;
}

/* Words of CPU model strings that say nothing about the hardware. */
static bool is_filler(const char *word, size_t len)
{
    static const char *const fillers[] = {
        "r", "tm", "c", "cpu", "processor", "with", "radeon", "graphics", NULL,
    };
    for (size_t i = 0; fillers[i]; i++)
        if (strlen(fillers[i]) == len && strncmp(word, fillers[i], len) == 0)
            return true;
    /* "64-core", "8-core": the core count follows from the PU count. */
    return len > 5 && strcmp(word + len - 5, "-core") == 0 &&
           isdigit((unsigned char)word[0]);
}

char *tl__default_machine_name(const tl_topo *topo, unsigned pus, char *buf,
                               size_t size)
{
    unsigned hw_pus = tl_topo_pus(topo);
    return tl__machine_slug(tl_topo_cpu_model(topo), hw_pus ? hw_pus : pus, buf,
                            size);
}

char *tl__machine_slug(const char *cpu_model, unsigned pus, char *buf,
                       size_t size)
{
    const size_t max_model = 40; /* folder names stay short */
    char model[128], *save = NULL;
    size_t out = 0;
    if (!cpu_model || strcmp(cpu_model, "unknown") == 0)
        cpu_model = "unknown-cpu";
    /* "@ 2.10GHz" and what follows is the clock, not the CPU. */
    snprintf(model, sizeof model, "%.*s", (int)strcspn(cpu_model, "@"),
             cpu_model);
    for (char *p = model; *p; p++)
        *p = isalnum((unsigned char)*p) || *p == '-'
                 ? (char)tolower((unsigned char)*p)
                 : ' ';
    for (char *word = strtok_r(model, " ", &save); word;
         word = strtok_r(NULL, " ", &save)) {
        word += strspn(word, "-");
        size_t len = strlen(word);
        while (len && word[len - 1] == '-')
            len--;
        if (!len || is_filler(word, len))
            continue;
        if (out + len + 1 > max_model || out + len + 2 > size)
            break;
        out += (size_t)snprintf(buf + out, size - out, "%s%.*s", out ? "-" : "",
                                (int)len, word);
    }
    snprintf(buf + out, size - out, "%s%upu", out ? "-" : "", pus);
    return buf;
}
