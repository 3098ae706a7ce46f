#define _GNU_SOURCE
#include "config/profile.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

struct profile_ctx {
    const struct conf_sources *src;
    struct tg_config *cfg;
    struct opt_state *st;
    /* The files being read, outermost first: an include never reads one
     * of them again (so a user's firefox.conf can include the system's). */
    struct { dev_t dev; ino_t ino; } stack[PROFILE_MAX_DEPTH];
    int depth;
};

int profile_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '+' || c == '-'))
            return 0;
    }
    return 1;
}

/* Wrappers that run the rest of their command line, and how many of their
 * leading non-option words are theirs (timeout's duration). Their options
 * and, for env, VAR=VALUE words are skipped too. */
static const struct { const char *name; int words; const char *with_value; } wrappers[] = {
    { "env", 0, "uSC" }, { "nice", 0, "n" }, { "nohup", 0, "" }, { "setsid", 0, "" },
    { "stdbuf", 0, "ioe" }, { "timeout", 1, "sk" }, { "ionice", 0, "cnp" },
};

const char *profile_command_name(char *const *cmd)
{
    size_t i = 0;
    for (int depth = 0; cmd[i] != NULL && depth < 8; depth++) {
        const char *slash = strrchr(cmd[i], '/');
        const char *base = slash != NULL ? slash + 1 : cmd[i];
        size_t w = 0;
        while (w < sizeof(wrappers) / sizeof(wrappers[0]) && strcmp(base, wrappers[w].name) != 0)
            w++;
        if (w == sizeof(wrappers) / sizeof(wrappers[0]))
            return base;
        i++;
        /* Options: "-n 5", "-n5", "--adjustment=5"; env's "A=B" too. */
        while (cmd[i] != NULL && (cmd[i][0] == '-' || (w == 0 && strchr(cmd[i], '=') != NULL))) {
            if (strcmp(cmd[i], "--") == 0) {
                i++;
                break;
            }
            int takes = cmd[i][0] == '-' && cmd[i][1] != '-' && cmd[i][1] != '\0' && cmd[i][2] == '\0' &&
                        strchr(wrappers[w].with_value, cmd[i][1]) != NULL;
            i += takes && cmd[i + 1] != NULL ? 2 : 1;
        }
        for (int k = 0; k < wrappers[w].words && cmd[i] != NULL; k++)
            i++;
    }
    /* Only wrappers, nothing they run: the first one's name. */
    const char *slash = strrchr(cmd[0], '/');
    return slash != NULL ? slash + 1 : cmd[0];
}

static int on_stack(const struct profile_ctx *c, const struct stat *st)
{
    for (int i = 0; i < c->depth; i++)
        if (c->stack[i].dev == st->st_dev && c->stack[i].ino == st->st_ino)
            return 1;
    return 0;
}

/* The first NAME.conf in the search path not already being read. */
static int find(const struct profile_ctx *c, const char *name, char *path, size_t pathlen,
                char *looked, size_t lookedlen, int *loop)
{
    *loop = 0;
    size_t used = 0;
    char own[PATH_MAX] = "";
    looked[0] = '\0';
    /* An including file's siblings first: a set of profiles kept together
     * (given by path, say) includes its own. */
    const char *slash = c->st->file != NULL ? strrchr(c->st->file, '/') : NULL;
    if (slash != NULL)
        snprintf(own, sizeof(own), "%.*s", (int)(slash - c->st->file), c->st->file);
    for (int i = 0; i < 3; i++) {
        const char *dir = i == 0 ? own : c->src->profile_dirs[i - 1];
        struct stat st;
        if (dir[0] == '\0' || (i > 0 && strcmp(dir, own) == 0))
            continue;
        int w = snprintf(path, pathlen, "%s/%s.conf", dir, name);
        if (w < 0 || (size_t)w >= pathlen)
            continue;
        if (used < lookedlen) {
            int k = snprintf(looked + used, lookedlen - used, "%s%s", used > 0 ? ", " : "", path);
            used += k > 0 ? (size_t)k : 0;
        }
        if (stat(path, &st) == 0) {
            if (!on_stack(c, &st))
                return 0;
            *loop = 1;
        }
    }
    return -1;
}

static int load(struct profile_ctx *c, const char *path, char *err, size_t errlen);

static int profile_cb(void *ctx, const char *key, const char *value, char *err, size_t errlen)
{
    struct profile_ctx *c = ctx;
    if (strcmp(key, "include") != 0)
        return options_apply_key(c->cfg, c->st, key, value, err, errlen);
    char path[PATH_MAX], looked[1024];
    int loop;
    if (strchr(value, '/') != NULL) {
        if (value[0] != '/') {
            snprintf(err, errlen, "include '%s': give a profile NAME or an absolute path", value);
            return -1;
        }
        snprintf(path, sizeof(path), "%s", value);
    } else if (!profile_name_ok(value)) {
        snprintf(err, errlen, "include '%s': not a profile name (letters, digits, . _ + -)", value);
        return -1;
    } else if (find(c, value, path, sizeof(path), looked, sizeof(looked), &loop) != 0) {
        if (loop)
            snprintf(err, errlen, "include '%s': an include loop (the only %s.conf found is "
                     "being read already)", value, value);
        else
            snprintf(err, errlen, "include '%s': no such profile (looked for %s)", value, looked);
        return -1;
    }
    return load(c, path, err, errlen) < 0 ? -1 : 0;
}

static int load(struct profile_ctx *c, const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "profile %s: %s", path, strerror(errno));
        return -1;
    }
    if (on_stack(c, &st)) {
        snprintf(err, errlen, "%s includes itself (through include lines)", path);
        return -1;
    }
    if (c->depth == PROFILE_MAX_DEPTH) {
        snprintf(err, errlen, "%s: includes nested more than %d deep", path, PROFILE_MAX_DEPTH);
        return -1;
    }
    c->stack[c->depth].dev = st.st_dev;
    c->stack[c->depth].ino = st.st_ino;
    c->depth++;
    const char *outer = c->st->file;
    c->st->file = path;
    c->st->file_is_profile = 1;
    int rc = conffile_load(path, 0, profile_cb, c, err, errlen);
    c->st->file = outer;
    c->depth--;
    return rc;
}

int profile_apply(const struct conf_sources *src, const char *name, int explicit,
                  struct tg_config *cfg, struct opt_state *st, char *err, size_t errlen)
{
    struct profile_ctx c = { .src = src, .cfg = cfg, .st = st, .depth = 0 };
    char path[PATH_MAX], looked[1024];
    int loop;
    if (strcmp(name, "none") == 0)
        return 0;
    if (strchr(name, '/') != NULL) {
        snprintf(path, sizeof(path), "%s", name);
    } else if (!profile_name_ok(name)) {
        if (!explicit)
            return 0;
        snprintf(err, errlen, "bad --profile '%s': give a NAME (letters, digits, . _ + -), a FILE "
                 "with a '/', or none", name);
        return -1;
    } else if (find(&c, name, path, sizeof(path), looked, sizeof(looked), &loop) != 0) {
        if (!explicit)
            return 0;
        snprintf(err, errlen, "no profile '%s'%s%s (looked for %s); write one there or give "
                 "--profile FILE", name, st->profile_file != NULL ? ", chosen in " : "",
                 st->profile_file != NULL ? st->profile_file : "",
                 looked[0] != '\0' ? looked : "nothing: no config directory");
        return -1;
    }
    int rc = load(&c, path, err, errlen);
    st->file = NULL;
    st->file_is_profile = 0;
    if (rc < 0)
        return -1;
    snprintf(cfg->profile_path, sizeof(cfg->profile_path), "%s", path);
    return 1;
}
