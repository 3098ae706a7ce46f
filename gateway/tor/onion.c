/* --onion-service VPORT[:PORT] and --onion-key FILE: an onion service of
 * the command's, made before it runs. Tor serves it; its port VPORT leads
 * to a listener of the gateway's on 127.0.0.1 and from there through the
 * TUN to the command's PORT (the --publish path: a way in, never out).
 *
 * The service is ephemeral and belongs to the control connection made
 * here, which the gateway keeps open while it runs: when torgate ends, or
 * dies, Tor takes the service down. A kept key is the only thing written:
 * a new file, 0600, created only when missing; a key file that anyone but
 * its owner could read is refused, as Tor refuses its own. */
#define _GNU_SOURCE
#include "tor/onion.h"
#include "base/log.h"
#include "tor/torctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REPLY_MAX 16384

/* The kept key: 1 loaded, 0 no such file (one will be made), -1 refused. */
static int key_load(const char *path, char key[ONION_KEY_MAX + 1])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0 && errno == ENOENT)
        return 0;
    if (fd < 0) {
        log_error("--onion-key %s: cannot open it: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    char text[ONION_KEY_MAX + 2];
    ssize_t n = -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        log_error("--onion-key %s is not a file; give the path of the service's key file", path);
    } else if (st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
        log_error("--onion-key %s may be read by others (owner uid %u, mode %04o): the key is the "
                  "onion address; chmod 600 it (and chown it to you), or make a new address with "
                  "a new file", path, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
    } else {
        n = read(fd, text, sizeof(text));
    }
    close(fd);
    if (n < 0)
        return -1;
    if (onion_parse_key(text, (size_t)n, key) != 0) {
        log_error("--onion-key %s does not hold an onion service key (one line, ED25519-V3:...); "
                  "give the file torgate made, or a missing file to make a new address", path);
        return -1;
    }
    return 1;
}

static int key_save(const char *path, const char *key)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        log_error("--onion-key %s: cannot create it: %s; give a path in a directory of yours",
                  path, strerror(errno));
        return -1;
    }
    char line[ONION_KEY_MAX + 2];
    int n = snprintf(line, sizeof(line), "%s\n", key);
    int ok = write(fd, line, (size_t)n) == n && fsync(fd) == 0;
    int e = errno;
    if (close(fd) != 0 || !ok) {
        log_error("--onion-key %s: cannot write it: %s", path, strerror(ok ? errno : e));
        (void)unlink(path);
        return -1;
    }
    return 0;
}

/* A client's public key, from its NAME.auth file. 0, or -1 (said). */
static int auth_load(const char *path, char key[ONION_AUTH_KEY_LEN + 1])
{
    char text[256];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof(text));
    int e = errno;
    if (fd >= 0)
        close(fd);
    if (n < 0) {
        log_error("--onion-auth %s: cannot read it: %s", path, strerror(e));
        return -1;
    }
    if (onion_parse_auth(text, (size_t)n, key) != 0) {
        log_error("--onion-auth %s does not hold a client's public key (descriptor:x25519:KEY, "
                  "KEY 52 characters of base32, as in Tor's authorized_clients/NAME.auth)", path);
        return -1;
    }
    return 0;
}

/* "ADD_ONION KEY [Flags=...] Port=V,127.0.0.1:H ... [ClientAuthV3=K ...]". */
static int add_command(const struct tg_config *cfg, const unsigned short *host_ports, const char *key,
                       char *out, size_t cap)
{
    const char *flags = cfg->onion_key == NULL ? (cfg->nonion_auth > 0 ? " Flags=DiscardPK,V3Auth"
                                                                        : " Flags=DiscardPK")
                        : cfg->nonion_auth > 0 ? " Flags=V3Auth" : "";
    int n = snprintf(out, cap, "ADD_ONION %s%s", key[0] != '\0' ? key : "NEW:ED25519-V3", flags);
    for (int i = 0; i < cfg->nonion && n > 0 && (size_t)n < cap; i++)
        n += snprintf(out + n, cap - (size_t)n, " Port=%u,127.0.0.1:%u", (unsigned)cfg->onion[i].vport,
                      (unsigned)host_ports[i]);
    for (int i = 0; i < cfg->nonion_auth && n > 0 && (size_t)n < cap; i++) {
        char client[ONION_AUTH_KEY_LEN + 1];
        if (auth_load(cfg->onion_auth[i], client) != 0)
            return -2;
        n += snprintf(out + n, cap - (size_t)n, " ClientAuthV3=%s", client);
    }
    if (n > 0 && (size_t)n + 2 < cap)
        n += snprintf(out + n, cap - (size_t)n, "\r\n");
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* The reply's first line, for a message. */
static const char *first_line(char *reply)
{
    reply[strcspn(reply, "\r\n")] = '\0';
    return reply;
}

int onion_publish(const struct tg_config *cfg, const unsigned short *host_ports,
                  struct onion_service *out)
{
    static char reply[REPLY_MAX];
    char key[ONION_KEY_MAX + 1] = "", made[ONION_KEY_MAX + 1], cmd[4096], why[800];
    out->fd = -1;
    int have = cfg->onion_key != NULL ? key_load(cfg->onion_key, key) : 0;
    if (have < 0)
        return -1;
    int fd = torctl_open(&cfg->tor_control_addr, cfg->tor_control_len, cfg->tor_control_name, reply,
                         sizeof(reply), why, sizeof(why));
    if (fd < 0) {
        log_error("--onion-service needs Tor's control port: %s", why);
        return -1;
    }
    int built = add_command(cfg, host_ports, key, cmd, sizeof(cmd));
    if (built != 0) {
        if (built == -1)
            log_error("--onion-service: too many ports and clients for one request");
        close(fd);
        return -1;
    }
    int code = torctl_cmd(fd, cmd, reply, sizeof(reply));
    if (code != 250) {
        log_error("Tor refused the onion service (ADD_ONION): %s; %s",
                  code < 0 ? "no answer" : first_line(reply),
                  have ? "is the key in --onion-key already in use (another torgate)?"
                       : "does this Tor support v3 onion services (0.3.5 or later)?");
        close(fd);
        return -1;
    }
    if (onion_parse_added(reply, out->id, made) != 0) {
        log_error("Tor's answer to ADD_ONION is not what Tor says (%s); is --tor-control Tor's?",
                  first_line(reply));
        close(fd);
        return -1;
    }
    if (cfg->onion_key != NULL && have == 0 &&
        (made[0] == '\0' || key_save(cfg->onion_key, made) != 0)) {
        if (made[0] == '\0')
            log_error("--onion-key %s: Tor made the service but gave no key to keep", cfg->onion_key);
        close(fd);                          /* the service goes with it */
        return -1;
    }
    if (torctl_cmd(fd, "SETEVENTS HS_DESC\r\n", reply, sizeof(reply)) != 250) {
        log_error("Tor's control port would not report the onion service's publication "
                  "(SETEVENTS HS_DESC): %s", first_line(reply));
        close(fd);
        return -1;
    }
    out->fd = fd;
    log_info("onion service %s.onion made (%s key); waiting for Tor to publish it", out->id,
             cfg->onion_key == NULL ? "a new, forgotten" : have ? "the kept" : "a new, kept");
    return 0;
}
