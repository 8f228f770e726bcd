/* machine.c: the machine's name, which names its results folder. */
#include "harness_internal.h"

#include <ctype.h>
#include <string.h>

bool tl__machine_name_ok(const char *name)
{
    if (!name || !*name || *name == '.' || strlen(name) > TL__MACHINE_NAME_MAX)
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

/* What tells apart machines that share a CPU model string (KVM guests say
 * "AMD EPYC" for every generation): family.model.stepping where the CPU
 * reports them, and the total last-level cache ("llc32m"). Empty when
 * neither is known (synthetic topologies). */
static void identity_tag(const tl_topo *topo, char *buf, size_t size)
{
    const char *family = tl_topo_cpu_info(topo, "CPUFamilyNumber");
    const char *model = tl_topo_cpu_info(topo, "CPUModelNumber");
    const char *stepping = tl_topo_cpu_info(topo, "CPUStepping");
    size_t out = 0;
    buf[0] = '\0';
    if (family && model && tl__machine_name_ok(family) && tl__machine_name_ok(model))
        out = (size_t)snprintf(buf, size, "%s.%s%s%s", family, model,
                               stepping && tl__machine_name_ok(stepping) ? "." : "",
                               stepping && tl__machine_name_ok(stepping) ? stepping : "");
    unsigned long long llc = tl_topo_llc_total_size(topo);
    if (llc && out < size) {
        const char *sep = out ? "-" : "";
        if (llc >= 1024 * 1024)
            snprintf(buf + out, size - out, "%sllc%llum", sep, llc >> 20);
        else
            snprintf(buf + out, size - out, "%sllc%lluk", sep, llc >> 10);
    }
}

char *tl__default_machine_name(const tl_topo *topo, unsigned pus, char *buf,
                               size_t size)
{
    char tag[64] = "";
    unsigned machine_pus = tl_topo_machine_pus(topo), usable = tl_topo_pus(topo);
    if (topo)
        identity_tag(topo, tag, sizeof tag);
    tl__machine_slug(tl_topo_cpu_model(topo), tag, machine_pus ? machine_pus : pus,
                     buf, size);
    size_t len = strlen(buf);
    /* A run bound to part of the machine (taskset, Slurm, a cgroup) is not
     * the machine's result: it gets a folder of its own. */
    if (usable && machine_pus && usable < machine_pus && len < size)
        snprintf(buf + len, size - len, "-bound%u", usable);
    /* So is a build with another compiler, and so its OpenMP runtime. */
    len = strlen(buf);
#if defined(__clang__)
    if (len < size)
        snprintf(buf + len, size - len, "-clang");
#endif
    return buf;
}

char *tl__machine_slug(const char *cpu_model, const char *tag, unsigned pus,
                       char *buf, size_t size)
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
    if (tag && *tag && out + strlen(tag) + 2 < size)
        out += (size_t)snprintf(buf + out, size - out, "%s%s", out ? "-" : "", tag);
    snprintf(buf + out, size - out, "%s%upu", out ? "-" : "", pus);
    return buf;
}
