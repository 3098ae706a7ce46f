/* libFuzzer harness for config files and profiles (gateway/config/conffile.c and
 * the options it applies, options.c, options_path.c): the bytes
 * are a file's contents, applied as /etc/torgate/torgate.conf would be.
 * Checked: a parse either succeeds or names a line inside the input; the
 * configuration stays within its bounds (counts, the string arena), every
 * path it holds is absolute and every string lies in the arena, every
 * --setenv is NAME=VALUE and the MTU within its range. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/conffile.h"
#include "config/options.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static struct tg_config cfg;

static int in_arena(const char *s)
{
    return s >= cfg.strings && s < cfg.strings + cfg.strings_used &&
           memchr(s, '\0', (size_t)(cfg.strings + cfg.strings_used - s)) != NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    setenv("HOME", "/home/fuzz", 1);
    setenv("USER", "fuzz", 1);
    setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct opt_state st;
    struct options_ctx ctx = { &cfg, &st };
    char err[512];
    unsigned line = 0;
    size_t lines = 1;
    options_defaults(&cfg, &st);
    st.file = "/etc/torgate/torgate.conf";
    st.file_is_profile = size > 0 && data[0] == 'P';
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    if (conffile_parse((const char *)data, size, options_key_cb, &ctx, &line, err, sizeof(err)) != 0) {
        CHECK(line >= 1 && line <= lines);
        CHECK(err[0] != '\0' && memchr(err, '\0', sizeof(err)) != NULL);
    }
    CHECK(cfg.strings_used <= sizeof(cfg.strings));
    CHECK(cfg.nmounts >= 0 && cfg.nmounts <= TG_MAX_MOUNTS);
    CHECK(cfg.nenv >= 0 && cfg.nenv <= TG_MAX_ENV);
    CHECK(cfg.nexpose >= 0 && cfg.nexpose <= TG_MAX_EXPOSE);
    CHECK(cfg.npublish >= 0 && cfg.npublish <= TG_MAX_PUBLISH);
    CHECK(cfg.mtu >= TG_MIN_MTU && cfg.mtu <= TG_MAX_MTU);
    for (int i = 0; i < cfg.nmounts; i++) {
        CHECK(in_arena(cfg.mounts[i].src) && in_arena(cfg.mounts[i].dst));
        CHECK(cfg.mounts[i].src[0] == '/' && cfg.mounts[i].dst[0] == '/');
        CHECK(strcmp(cfg.mounts[i].src, "/") != 0 && strcmp(cfg.mounts[i].dst, "/") != 0);
    }
    for (int i = 0; i < cfg.nenv; i++) {
        CHECK(in_arena(cfg.env[i].text));
        CHECK((strchr(cfg.env[i].text, '=') != NULL) == (cfg.env[i].op == TG_ENV_SET));
    }
    if (cfg.seccomp == TG_SECCOMP_FILE)
        CHECK(cfg.seccomp_file != NULL && in_arena(cfg.seccomp_file) && cfg.seccomp_file[0] == '/');
    if (cfg.name != NULL)
        CHECK(in_arena(cfg.name));
    if (st.socks != NULL)
        CHECK(in_arena(st.socks));
    if (st.profile != NULL)
        CHECK(in_arena(st.profile));
    return 0;
}
