/* Browsers' single-instance conventions, parsed without side effects (see
 * singleton_parse.h). Every input here comes from files or a command line
 * torgate does not control: each parser is bounded and gives up quietly on
 * anything malformed, because the worst outcome of a wrong guess must be a
 * missing or a needless warning, never a failed run. */
#include "sandbox/singleton_parse.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct singleton_app apps[] = {
    { "firefox", SINGLETON_MOZILLA, "Firefox", ".mozilla/firefox", "mozilla/firefox" },
    { "firefox-esr", SINGLETON_MOZILLA, "Firefox", ".mozilla/firefox", "mozilla/firefox" },
    { "firefox-bin", SINGLETON_MOZILLA, "Firefox", ".mozilla/firefox", "mozilla/firefox" },
    { "librewolf", SINGLETON_MOZILLA, "LibreWolf", ".librewolf", NULL },
    { "icecat", SINGLETON_MOZILLA, "IceCat", ".mozilla/icecat", NULL },
    { "waterfox", SINGLETON_MOZILLA, "Waterfox", ".waterfox", NULL },
    { "thunderbird", SINGLETON_MOZILLA, "Thunderbird", ".thunderbird", NULL },
    { "thunderbird-bin", SINGLETON_MOZILLA, "Thunderbird", ".thunderbird", NULL },
    { "chromium", SINGLETON_CHROMIUM, "Chromium", "chromium", NULL },
    { "chromium-browser", SINGLETON_CHROMIUM, "Chromium", "chromium", NULL },
    { "chrome", SINGLETON_CHROMIUM, "Chrome", "google-chrome", NULL },
    { "google-chrome", SINGLETON_CHROMIUM, "Chrome", "google-chrome", NULL },
    { "google-chrome-stable", SINGLETON_CHROMIUM, "Chrome", "google-chrome", NULL },
    { "google-chrome-beta", SINGLETON_CHROMIUM, "Chrome", "google-chrome-beta", NULL },
    { "google-chrome-unstable", SINGLETON_CHROMIUM, "Chrome", "google-chrome-unstable", NULL },
    { "brave", SINGLETON_CHROMIUM, "Brave", "BraveSoftware/Brave-Browser", NULL },
    { "brave-browser", SINGLETON_CHROMIUM, "Brave", "BraveSoftware/Brave-Browser", NULL },
    { "brave-browser-stable", SINGLETON_CHROMIUM, "Brave", "BraveSoftware/Brave-Browser", NULL },
    { "vivaldi", SINGLETON_CHROMIUM, "Vivaldi", "vivaldi", NULL },
    { "vivaldi-stable", SINGLETON_CHROMIUM, "Vivaldi", "vivaldi", NULL },
    { "microsoft-edge", SINGLETON_CHROMIUM, "Edge", "microsoft-edge", NULL },
    { "microsoft-edge-stable", SINGLETON_CHROMIUM, "Edge", "microsoft-edge", NULL },
    { "microsoft-edge-beta", SINGLETON_CHROMIUM, "Edge", "microsoft-edge-beta", NULL },
    { "microsoft-edge-dev", SINGLETON_CHROMIUM, "Edge", "microsoft-edge-dev", NULL },
    { "opera", SINGLETON_CHROMIUM, "Opera", "opera", NULL },
};

const struct singleton_app *singleton_parse_app(const char *cmd0)
{
    if (cmd0 == NULL)
        return NULL;
    const char *slash = strrchr(cmd0, '/');
    const char *base = slash != NULL ? slash + 1 : cmd0;
    for (size_t i = 0; i < sizeof(apps) / sizeof(apps[0]); i++)
        if (strcmp(base, apps[i].exe) == 0)
            return &apps[i];
    return NULL;
}

/* ---- command lines --------------------------------------------------- */

/* Gecko's option syntax (CmdLineAndEnvUtils.h): "-name" or "--name",
 * case-insensitive, the value either after '=' or as the next argument
 * when that does not itself start with '-'. */
static int moz_option(char *const *argv, size_t i, const char *name, const char **value)
{
    const char *a = argv[i];
    if (a[0] != '-')
        return 0;
    a += a[1] == '-' ? 2 : 1;
    size_t n = strlen(name);
    if (strncasecmp(a, name, n) != 0 || (a[n] != '\0' && a[n] != '='))
        return 0;
    *value = NULL;
    if (a[n] == '=')
        *value = a + n + 1;
    else if (argv[i + 1] != NULL && argv[i + 1][0] != '-')
        *value = argv[i + 1];
    return 1;
}

static void parse_moz(char *const *argv, struct singleton_args *out)
{
    const char *v;
    for (size_t i = 1; argv[i] != NULL; i++) {
        if (moz_option(argv, i, "new-instance", &v)) {
            out->new_instance = 1;
        } else if (moz_option(argv, i, "profilemanager", &v)) {
            out->profile_manager = 1;
        } else if (moz_option(argv, i, "profile", &v)) {
            /* Gecko takes the first occurrence. */
            if (out->profile_path == NULL && v != NULL && v[0] != '\0')
                out->profile_path = v;
        } else if (moz_option(argv, i, "p", &v)) {
            if (v == NULL || v[0] == '\0')
                out->profile_manager = 1;
            else if (out->profile_name == NULL)
                out->profile_name = v;
        }
    }
}

/* Chromium's switch syntax (base/command_line.cc on POSIX): "--name" or
 * "-name", case-sensitive, a value only after '='; a bare "--" ends the
 * switches; the last occurrence wins. */
static const char *chrome_switch(const char *a, const char *name)
{
    if (a[0] != '-')
        return NULL;
    a += a[1] == '-' ? 2 : 1;
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0 || (a[n] != '\0' && a[n] != '='))
        return NULL;
    return a + n;
}

static void parse_chrome(char *const *argv, struct singleton_args *out)
{
    const char *rest;
    for (size_t i = 1; argv[i] != NULL; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if ((rest = chrome_switch(argv[i], "user-data-dir")) != NULL)
            out->user_data_dir = rest[0] == '=' && rest[1] != '\0' ? rest + 1 : NULL;
        else if (chrome_switch(argv[i], "headless") != NULL)
            out->headless = 1;
    }
}

void singleton_parse_args(enum singleton_family family, char *const *argv,
                          struct singleton_args *out)
{
    memset(out, 0, sizeof(*out));
    if (argv == NULL || argv[0] == NULL)
        return;
    if (family == SINGLETON_MOZILLA)
        parse_moz(argv, out);
    else
        parse_chrome(argv, out);
}

/* ---- lock symlinks --------------------------------------------------- */

/* A whole string of decimal digits naming a possible pid: kill(2) gives 0
 * and negative numbers a meaning (process groups, everything) that a lock
 * must never be able to ask for. */
static int parse_pid(const char *s, long *pid)
{
    long v = 0;
    if (*s == '\0')
        return -1;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
        if (v > INT_MAX)
            return -1;
    }
    if (v <= 0)
        return -1;
    *pid = v;
    return 0;
}

int singleton_parse_moz_lock(const char *target, long *pid)
{
    const char *colon = strrchr(target, ':');
    if (colon == NULL || colon == target)
        return -1;
    const char *p = colon + 1;
    if (*p == '+')
        p++;
    return parse_pid(p, pid);
}

int singleton_parse_chrome_lock(const char *target, char *host, size_t hostlen, long *pid)
{
    const char *dash = strrchr(target, '-');
    if (dash == NULL || dash == target || hostlen == 0)
        return -1;
    size_t n = (size_t)(dash - target);
    if (n >= hostlen || parse_pid(dash + 1, pid) != 0)
        return -1;
    memcpy(host, target, n);
    host[n] = '\0';
    return 0;
}

/* ---- profiles.ini / installs.ini -------------------------------------- */

#define INI_LINE_MAX (SINGLETON_PATH_MAX + 64)

enum ini_section { SEC_OTHER, SEC_PROFILE, SEC_INSTALL };

/* One [ProfileN] section as it is read. */
struct ini_profile {
    int seen;
    int is_default;
    char name[256];
    char path[SINGLETON_PATH_MAX];
};

struct ini_state {
    const char *root;
    const char *want_name;
    enum ini_section sec;
    struct ini_profile cur;
    size_t nprofiles;
    struct ini_profile legacy_default;   /* the first Default=1 */
    struct ini_profile last;             /* for "the only profile" */
    struct singleton_profiles named;     /* -P NAME */
    struct singleton_profiles installs;  /* every install's Default= */
};

static void add_path(struct singleton_profiles *out, const char *root, const char *rel)
{
    char full[SINGLETON_PATH_MAX];
    int n;
    if (rel[0] == '\0')
        return;
    if (rel[0] == '/')
        n = snprintf(full, sizeof(full), "%s", rel);
    else
        n = snprintf(full, sizeof(full), "%s/%s", root, rel);
    if (n < 0 || (size_t)n >= sizeof(full))
        return;
    for (size_t i = 0; i < out->n; i++)
        if (strcmp(out->path[i], full) == 0)
            return;
    if (out->n < SINGLETON_MAX_PROFILES)
        memcpy(out->path[out->n++], full, (size_t)n + 1);
}

static void end_profile(struct ini_state *st)
{
    if (st->sec != SEC_PROFILE || !st->cur.seen || st->cur.path[0] == '\0')
        return;
    st->nprofiles++;
    st->last = st->cur;
    if (st->cur.is_default && st->legacy_default.path[0] == '\0')
        st->legacy_default = st->cur;
    if (st->want_name != NULL && strcmp(st->cur.name, st->want_name) == 0)
        add_path(&st->named, st->root, st->cur.path);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

static void ini_line(struct ini_state *st, char *line, int installs_file)
{
    char *s = trim(line);
    if (s[0] == '\0' || s[0] == ';' || s[0] == '#')
        return;
    if (s[0] == '[') {
        char *close = strchr(s, ']');
        end_profile(st);
        memset(&st->cur, 0, sizeof(st->cur));
        st->sec = SEC_OTHER;
        if (close == NULL)
            return;
        *close = '\0';
        if (installs_file)
            st->sec = SEC_INSTALL;          /* installs.ini: one section per install */
        else if (strncmp(s + 1, "Profile", 7) == 0)
            st->sec = SEC_PROFILE;
        else if (strncmp(s + 1, "Install", 7) == 0)
            st->sec = SEC_INSTALL;
        return;
    }
    char *eq = strchr(s, '=');
    if (eq == NULL)
        return;
    *eq = '\0';
    char *key = trim(s), *val = trim(eq + 1);
    if (st->sec == SEC_INSTALL) {
        if (strcmp(key, "Default") == 0)
            add_path(&st->installs, st->root, val);
    } else if (st->sec == SEC_PROFILE) {
        st->cur.seen = 1;
        if (strcmp(key, "Name") == 0 && strlen(val) < sizeof(st->cur.name))
            memcpy(st->cur.name, val, strlen(val) + 1);
        else if (strcmp(key, "Path") == 0 && strlen(val) < sizeof(st->cur.path))
            memcpy(st->cur.path, val, strlen(val) + 1);
        else if (strcmp(key, "Default") == 0)
            st->cur.is_default = strcmp(val, "1") == 0;
    }
}

static void ini_text(struct ini_state *st, const char *text, size_t len, int installs_file)
{
    char line[INI_LINE_MAX];
    size_t i = 0;
    if (text == NULL)
        return;
    if (len > SINGLETON_INI_MAX)
        len = SINGLETON_INI_MAX;
    st->sec = SEC_OTHER;
    memset(&st->cur, 0, sizeof(st->cur));
    while (i < len) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t n = nl != NULL ? (size_t)(nl - (text + i)) : len - i;
        /* A line too long to be a path is skipped whole; a NUL cuts it. */
        if (n < sizeof(line)) {
            memcpy(line, text + i, n);
            line[n] = '\0';
            ini_line(st, line, installs_file);
        }
        i += n + 1;
    }
    end_profile(st);
}

void singleton_parse_profiles(const char *profiles_ini, size_t plen,
                              const char *installs_ini, size_t ilen,
                              const char *root, const char *name,
                              struct singleton_profiles *out)
{
    /* ~80 KiB, kept off the stack; the gateway is single-threaded. */
    static struct ini_state st;
    memset(&st, 0, sizeof(st));
    memset(out, 0, sizeof(*out));
    st.root = root;
    st.want_name = name;
    ini_text(&st, profiles_ini, plen, 0);
    ini_text(&st, installs_ini, ilen, 1);
    if (name != NULL) {
        *out = st.named;
        return;
    }
    if (st.installs.n > 0)
        *out = st.installs;
    else if (st.legacy_default.path[0] != '\0')
        add_path(out, root, st.legacy_default.path);
    else if (st.nprofiles == 1)
        add_path(out, root, st.last.path);
}
