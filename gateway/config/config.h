/* The one configuration struct, filled from config files, a profile and
 * the command line (cli.c, conffile.c, profile.c). */
#ifndef TORGATE_CONFIG_H
#define TORGATE_CONFIG_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#define TORGATE_VERSION "0.1.0"
#define TG_DEFAULT_SOCKS "127.0.0.1:9050"
#define TG_DEFAULT_CONTROL "127.0.0.1:9051"
#define TG_DEFAULT_MTU 1500
#define TG_MIN_MTU 1280          /* IPv6's minimum */
#define TG_MAX_MTU 65535
#define TG_MAX_EXPOSE 8
#define TG_MAX_PUBLISH 8
#define TG_MAX_ONION 8
#define TG_MAX_ONION_AUTH 16
#define TG_MAX_MOUNTS 64         /* --bind, --bind-ro, --hide */
#define TG_MAX_ENV 64            /* --setenv, --unsetenv, --keepenv */
#define TG_STRINGS 32768         /* room for the strings config files give */

/* What every torgate sandbox shows instead of the host's identity
 * (sandbox_identity.c): Whonix's generic hostname and machine-id, so that
 * torgate users look alike, and one fixed boot_id. */
#define TG_SANDBOX_HOSTNAME   "host"
#define TG_SANDBOX_MACHINE_ID "b08dfa6083e7567a1921a715000001fb"
#define TG_SANDBOX_BOOT_ID    "b08dfa60-83e7-4567-a192-1a715000001f"
#define TG_SANDBOX_USER       "user"      /* --generic-user: the name, and /home/user */

/* Exit codes, as env(1) and timeout(1) use them. */
#define TG_EXIT_FAILURE   125    /* torgate itself failed */
#define TG_EXIT_NOEXEC    126    /* CMD found but not executable */
#define TG_EXIT_NOTFOUND  127    /* CMD not found */

enum tg_dns_mode {
    TG_DNS_MAP = 0,              /* virtual addresses; Tor resolves at CONNECT */
    TG_DNS_RESOLVE,              /* real addresses via Tor's SOCKS RESOLVE */
};

enum tg_seccomp {
    TG_SECCOMP_DEFAULT = 0,      /* the built-in policy (seccomp_policy.c) */
    TG_SECCOMP_OFF,              /* no policy; TIOCSTI/TIOCLINUX stay refused */
    TG_SECCOMP_FILE,             /* a policy file */
};

enum tg_isolate {
    TG_ISOLATE_INSTANCE = 0,     /* one SOCKS credential for the instance */
    TG_ISOLATE_HOST,             /* one per destination host */
    TG_ISOLATE_STREAM,           /* one per stream */
};

/* --socket NAME: the outside sockets the command may reach, by name
 * (sandbox_ipc.c). Everything else of the host's IPC is out of reach. */
enum tg_socket {
    TG_SOCKET_WAYLAND     = 1u << 0,
    TG_SOCKET_X11         = 1u << 1,
    TG_SOCKET_PULSEAUDIO  = 1u << 2,
    TG_SOCKET_SESSION_BUS = 1u << 3,   /* --dbus */
    TG_SOCKET_SSH_AGENT   = 1u << 4,
    TG_SOCKET_GPG_AGENT   = 1u << 5,
    TG_SOCKET_FALLBACK_X11 = 1u << 6,  /* x11 when no Wayland socket is shared */
    TG_SOCKET_X11_NESTED  = 1u << 7,   /* --x11 nested: an X server of its own */
};

/* --bind, --bind-ro, --hide (sandbox_mounts.c). */
enum tg_mount_kind { TG_MOUNT_BIND, TG_MOUNT_BIND_RO, TG_MOUNT_HIDE };
struct tg_mount {
    enum tg_mount_kind kind;
    int optional;                /* "-PATH": a missing source is skipped */
    const char *src;             /* absolute */
    const char *dst;             /* absolute; src when not given */
};

/* --setenv NAME=VALUE, --unsetenv NAME, --keepenv NAME (with --clearenv). */
enum tg_env_op { TG_ENV_SET, TG_ENV_UNSET, TG_ENV_KEEP };
struct tg_env {
    enum tg_env_op op;
    const char *text;            /* NAME=VALUE or NAME */
};

struct tg_config {
    struct sockaddr_storage socks_addr;
    socklen_t socks_addrlen;
    char socks_name[128];        /* as given, for messages */
    struct sockaddr_storage tor_control_addr;  /* --tor-control (--check) */
    socklen_t tor_control_len;
    char tor_control_name[128];
    int log_level;               /* enum log_level */
    unsigned mtu;
    int tun_fd;                  /* --tun-fd N, or -1 */
    const char *netns_path;      /* --netns PATH (points into argv), or NULL */
    pid_t netns_pid;             /* --pid PID, or 0 */
    int force;                   /* --force: serve a namespace with other links up */
    const char *name;            /* --name (points into argv), or NULL: derived */
    enum tg_isolate isolate;     /* --isolate */
    int optimistic;              /* --connect optimistic (default): the app's first bytes go with the CONNECT */
    int no_wait;                 /* --no-wait: do not wait for Tor's bootstrap */
    unsigned sockets;            /* --socket NAME: enum tg_socket bits */
    /* --expose HOSTPORT[:PORT]: the host's 127.0.0.1:host_port reachable
     * at the sandbox's 127.0.0.1:ns_port (expose.c). */
    struct { unsigned short host_port, ns_port; } expose[TG_MAX_EXPOSE];
    int nexpose;
    /* --publish [ADDR:]HOSTPORT:PORT: the host's ADDR:HOSTPORT leads to the
     * command's port PORT (publish.c). */
    struct {
        struct sockaddr_storage addr;
        socklen_t addrlen;
        char name[64];
        unsigned short ns_port;
    } publish[TG_MAX_PUBLISH];
    int npublish;
    /* --onion-service VPORT[:PORT]: an onion service whose port VPORT
     * reaches the command's PORT, over the --publish path (onion.c). */
    struct { unsigned short vport, port; } onion[TG_MAX_ONION];
    int nonion;
    int onion_first;             /* publish[onion_first + i] is onion[i]'s listener */
    const char *onion_key;       /* --onion-key FILE: the service's key, kept there */
    const char *onion_auth[TG_MAX_ONION_AUTH];   /* --onion-auth FILE: a client's public key */
    int nonion_auth;
    enum tg_dns_mode dns_mode;
    int ping_local;              /* --ping local: the gateway answers echo requests */
    int offload;                 /* --offload: a TUN with IFF_VNET_HDR (tun.c) */
    enum tg_seccomp seccomp;     /* --seccomp */
    const char *seccomp_file;    /* --seccomp FILE (points into argv), or NULL */
    char **cmd;                  /* NULL-terminated argv of CMD, or NULL */
    /* The command's view of files and its environment (profiles). */
    struct tg_mount mounts[TG_MAX_MOUNTS];
    int nmounts;
    int private_home;            /* --private-home: an empty tmpfs on $HOME */
    struct tg_env env[TG_MAX_ENV];
    int nenv;
    int clearenv;                /* --clearenv: only a few variables and --keepenv pass */
    int utc;                     /* --utc: the command's clock says UTC */
    int generic_user;            /* --generic-user: "user", at /home/user */
    char profile_path[4096];     /* the profile applied, or "" */
    char profile_for[64];        /* the command's name a profile was looked up by, or "" */
    char conf_read[2][4096];     /* the config files read (system, user), or "" */
    /* Strings from config files live here (values from argv stay in argv). */
    char strings[TG_STRINGS];
    size_t strings_used;
};

/* A copy of s (len bytes, then a NUL) in cfg's string room, or NULL when
 * it is full. */
const char *config_strdup(struct tg_config *cfg, const char *s, size_t len);

#endif
