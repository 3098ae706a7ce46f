/* Per-program profiles: profiles/NAME.conf in the user's config directory,
 * then in /etc/torgate, chosen by --profile NAME (or FILE, or none) or by
 * the command's name. A profile holds config keys, and "include = NAME" to
 * build on another profile. */
#ifndef TORGATE_PROFILE_H
#define TORGATE_PROFILE_H

#include <stddef.h>
#include "config/conffile.h"
#include "config/config.h"
#include "config/options.h"

#define PROFILE_MAX_DEPTH 8

/* Applies the profile NAME (a name, a path with a '/', or "none").
 * explicit: asked for by name, so a missing one is an error; otherwise
 * (the command's name) a missing one is no profile. 1 when applied (and
 * cfg->profile_path set), 0 when none, -1 with err set. */
int profile_apply(const struct conf_sources *src, const char *name, int explicit,
                  struct tg_config *cfg, struct opt_state *st, char *err, size_t errlen);

/* The name of the program a command line runs, looked through the
 * wrappers that run the rest of theirs (env, nice, nohup, setsid, stdbuf,
 * timeout, ionice): "timeout 180 firefox-esr" is firefox-esr. The basename,
 * pointing into cmd. */
const char *profile_command_name(char *const *cmd);

/* A profile name torgate will look up: letters, digits, ".", "_", "+",
 * "-", not starting with "." (so never a path). */
int profile_name_ok(const char *name);

#endif
