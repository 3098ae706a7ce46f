/* The native protocol's framing and the filter's allow-list (wire.h).
 * Numbers are PulseAudio's (pulsecore/native-common.h, pstream.c,
 * tagstruct.h); they are the protocol, stable since its version 8. */
#include "pulse/wire.h"

#include <stdio.h>
#include <string.h>

#define CHANNEL_CONTROL   0xffffffffu
#define FLAG_SHMMASK      0xff000000u   /* shared-memory data, release, revoke */
#define FLAG_SEEKMASK     0x000000ffu   /* an audio packet's seek mode */
#define FLAG_SHMWRITABLE  0x00800000u
#define TAG_U32           'L'
#define TAG_ARBITRARY     'x'
#define PROTOCOL_SHM      0x80000000u   /* in AUTH's version: "I can use shared memory" */
#define PROTOCOL_MEMFD    0x40000000u   /* "... and memfd" */

enum {
    CMD_ERROR = 0, CMD_AUTH = 8,
};

/* Every command, by number, and whether a client may send it. What a
 * program inside needs to play and record is here; what makes the daemon
 * load code, open connections, or act on other programs is not. */
static const struct {
    const char *name;
    unsigned char pass;
} commands[] = {
    [0] = { "ERROR", 0 },                 [1] = { "TIMEOUT", 0 },
    [2] = { "REPLY", 0 },                 [3] = { "CREATE_PLAYBACK_STREAM", 1 },
    [4] = { "DELETE_PLAYBACK_STREAM", 1 }, [5] = { "CREATE_RECORD_STREAM", 1 },
    [6] = { "DELETE_RECORD_STREAM", 1 },  [7] = { "EXIT", 0 },
    [8] = { "AUTH", 1 },                  [9] = { "SET_CLIENT_NAME", 1 },
    [10] = { "LOOKUP_SINK", 1 },          [11] = { "LOOKUP_SOURCE", 1 },
    [12] = { "DRAIN_PLAYBACK_STREAM", 1 }, [13] = { "STAT", 1 },
    [14] = { "GET_PLAYBACK_LATENCY", 1 }, [15] = { "CREATE_UPLOAD_STREAM", 1 },
    [16] = { "DELETE_UPLOAD_STREAM", 1 }, [17] = { "FINISH_UPLOAD_STREAM", 1 },
    [18] = { "PLAY_SAMPLE", 1 },          [19] = { "REMOVE_SAMPLE", 1 },
    [20] = { "GET_SERVER_INFO", 1 },      [21] = { "GET_SINK_INFO", 1 },
    [22] = { "GET_SINK_INFO_LIST", 1 },   [23] = { "GET_SOURCE_INFO", 1 },
    [24] = { "GET_SOURCE_INFO_LIST", 1 },
    /* Module arguments name servers and files of the host; other clients'
     * entries name the programs the user runs outside. */
    [25] = { "GET_MODULE_INFO", 0 },      [26] = { "GET_MODULE_INFO_LIST", 0 },
    [27] = { "GET_CLIENT_INFO", 0 },      [28] = { "GET_CLIENT_INFO_LIST", 0 },
    [29] = { "GET_SINK_INPUT_INFO", 1 },  [30] = { "GET_SINK_INPUT_INFO_LIST", 1 },
    [31] = { "GET_SOURCE_OUTPUT_INFO", 1 }, [32] = { "GET_SOURCE_OUTPUT_INFO_LIST", 1 },
    [33] = { "GET_SAMPLE_INFO", 1 },      [34] = { "GET_SAMPLE_INFO_LIST", 1 },
    [35] = { "SUBSCRIBE", 1 },            [36] = { "SET_SINK_VOLUME", 1 },
    [37] = { "SET_SINK_INPUT_VOLUME", 1 }, [38] = { "SET_SOURCE_VOLUME", 1 },
    [39] = { "SET_SINK_MUTE", 1 },        [40] = { "SET_SOURCE_MUTE", 1 },
    [41] = { "CORK_PLAYBACK_STREAM", 1 }, [42] = { "FLUSH_PLAYBACK_STREAM", 1 },
    [43] = { "TRIGGER_PLAYBACK_STREAM", 1 },
    [44] = { "SET_DEFAULT_SINK", 0 },     [45] = { "SET_DEFAULT_SOURCE", 0 },
    [46] = { "SET_PLAYBACK_STREAM_NAME", 1 }, [47] = { "SET_RECORD_STREAM_NAME", 1 },
    [48] = { "KILL_CLIENT", 0 },          [49] = { "KILL_SINK_INPUT", 0 },
    [50] = { "KILL_SOURCE_OUTPUT", 0 },   [51] = { "LOAD_MODULE", 0 },
    [52] = { "UNLOAD_MODULE", 0 },        [53] = { "ADD_AUTOLOAD", 0 },
    [54] = { "REMOVE_AUTOLOAD", 0 },      [55] = { "GET_AUTOLOAD_INFO", 0 },
    [56] = { "GET_AUTOLOAD_INFO_LIST", 0 }, [57] = { "GET_RECORD_LATENCY", 1 },
    [58] = { "CORK_RECORD_STREAM", 1 },   [59] = { "FLUSH_RECORD_STREAM", 1 },
    [60] = { "PREBUF_PLAYBACK_STREAM", 1 }, [61] = { "REQUEST", 0 },
    [62] = { "OVERFLOW", 0 },             [63] = { "UNDERFLOW", 0 },
    [64] = { "PLAYBACK_STREAM_KILLED", 0 }, [65] = { "RECORD_STREAM_KILLED", 0 },
    [66] = { "SUBSCRIBE_EVENT", 0 },
    /* Moving a stream can send it to a network sink the user set up. */
    [67] = { "MOVE_SINK_INPUT", 0 },      [68] = { "MOVE_SOURCE_OUTPUT", 0 },
    [69] = { "SET_SINK_INPUT_MUTE", 1 },  [70] = { "SUSPEND_SINK", 0 },
    [71] = { "SUSPEND_SOURCE", 0 },       [72] = { "SET_PLAYBACK_STREAM_BUFFER_ATTR", 1 },
    [73] = { "SET_RECORD_STREAM_BUFFER_ATTR", 1 },
    [74] = { "UPDATE_PLAYBACK_STREAM_SAMPLE_RATE", 1 },
    [75] = { "UPDATE_RECORD_STREAM_SAMPLE_RATE", 1 },
    [76] = { "PLAYBACK_STREAM_SUSPENDED", 0 }, [77] = { "RECORD_STREAM_SUSPENDED", 0 },
    [78] = { "PLAYBACK_STREAM_MOVED", 0 }, [79] = { "RECORD_STREAM_MOVED", 0 },
    [80] = { "UPDATE_RECORD_STREAM_PROPLIST", 1 }, [81] = { "UPDATE_PLAYBACK_STREAM_PROPLIST", 1 },
    [82] = { "UPDATE_CLIENT_PROPLIST", 1 }, [83] = { "REMOVE_RECORD_STREAM_PROPLIST", 1 },
    [84] = { "REMOVE_PLAYBACK_STREAM_PROPLIST", 1 }, [85] = { "REMOVE_CLIENT_PROPLIST", 1 },
    [86] = { "STARTED", 0 },
    /* Module extensions write the daemon's databases; object messages
     * reach modules (Bluetooth's among them); a card profile can switch a
     * Bluetooth link on. */
    [87] = { "EXTENSION", 0 },            [88] = { "GET_CARD_INFO", 1 },
    [89] = { "GET_CARD_INFO_LIST", 1 },   [90] = { "SET_CARD_PROFILE", 0 },
    [91] = { "CLIENT_EVENT", 0 },         [92] = { "PLAYBACK_STREAM_EVENT", 0 },
    [93] = { "RECORD_STREAM_EVENT", 0 },  [94] = { "PLAYBACK_BUFFER_ATTR_CHANGED", 0 },
    [95] = { "RECORD_BUFFER_ATTR_CHANGED", 0 }, [96] = { "SET_SINK_PORT", 0 },
    [97] = { "SET_SOURCE_PORT", 0 },      [98] = { "SET_SOURCE_OUTPUT_VOLUME", 1 },
    [99] = { "SET_SOURCE_OUTPUT_MUTE", 1 }, [100] = { "SET_PORT_LATENCY_OFFSET", 0 },
    /* Shared memory hands file descriptors across; the filter passes none. */
    [101] = { "ENABLE_SRBCHANNEL", 0 },   [102] = { "DISABLE_SRBCHANNEL", 0 },
    [103] = { "REGISTER_MEMFD_SHMID", 0 }, [104] = { "SEND_OBJECT_MESSAGE", 0 },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void desc_frame(const uint8_t d[PULSE_DESC_LEN], struct pulse_desc *out)
{
    out->length = be32(d);
    out->kind = be32(d + 4) == CHANNEL_CONTROL ? PULSE_CONTROL : PULSE_AUDIO;
    out->why = NULL;
    if (out->length > PULSE_FRAME_MAX) {
        out->kind = PULSE_BAD;
        out->why = "a packet longer than PulseAudio allows";
    }
}

void pulse_desc_parse_server(const uint8_t d[PULSE_DESC_LEN], struct pulse_desc *out)
{
    desc_frame(d, out);
}

void pulse_desc_parse(const uint8_t d[PULSE_DESC_LEN], struct pulse_desc *out)
{
    desc_frame(d, out);
    if (out->kind == PULSE_BAD)
        return;
    uint32_t flags = be32(d + 16);
    if (out->kind == PULSE_CONTROL && flags != 0) {
        out->kind = PULSE_BAD;
        out->why = "a command with shared-memory flags";
    } else if (out->kind == PULSE_CONTROL && out->length > PULSE_CONTROL_MAX) {
        out->kind = PULSE_BAD;
        out->why = "a command longer than the filter reads";
    } else if (out->kind == PULSE_AUDIO && (flags & (FLAG_SHMMASK | FLAG_SHMWRITABLE)) != 0) {
        out->kind = PULSE_BAD;
        out->why = "audio in shared memory, which the filter never offered";
    } else if (out->kind == PULSE_AUDIO && (out->length == 0 || (flags & ~FLAG_SEEKMASK) != 0)) {
        out->kind = PULSE_BAD;
        out->why = "an audio packet with no samples or unknown flags";
    }
}

/* A u32 tag at *off: 0 with *v set and *off past it, or -1. */
static int get_u32(const uint8_t *p, size_t len, size_t *off, uint32_t *v)
{
    if (len - *off < 5 || p[*off] != TAG_U32)
        return -1;
    *v = be32(p + *off + 1);
    *off += 5;
    return 0;
}

enum pulse_verdict pulse_control_check(uint8_t *payload, size_t len, uint32_t *command, uint32_t *tag)
{
    size_t off = 0;
    uint32_t version;
    if (get_u32(payload, len, &off, command) != 0 || get_u32(payload, len, &off, tag) != 0)
        return PULSE_MALFORMED;
    if (*command >= NCOMMANDS || !commands[*command].pass)
        return PULSE_REFUSE;
    if (*command != CMD_AUTH)
        return PULSE_PASS;
    /* AUTH: version, then the cookie. The offer of shared memory goes:
     * the server then sends audio through the socket, where the filter
     * sees it, and never a file descriptor. */
    size_t voff = off;
    if (get_u32(payload, len, &off, &version) != 0 || len - off < 5 || payload[off] != TAG_ARBITRARY)
        return PULSE_MALFORMED;
    put_be32(payload + voff + 1, version & ~(PROTOCOL_SHM | PROTOCOL_MEMFD));
    return PULSE_PASS;
}

void pulse_error_packet(uint8_t out[PULSE_ERROR_LEN], uint32_t tag, uint32_t code)
{
    memset(out, 0, PULSE_DESC_LEN);
    put_be32(out, PULSE_ERROR_LEN - PULSE_DESC_LEN);
    put_be32(out + 4, CHANNEL_CONTROL);
    uint8_t *t = out + PULSE_DESC_LEN;
    const uint32_t words[3] = { CMD_ERROR, tag, code };
    for (int i = 0; i < 3; i++) {
        t[5 * i] = TAG_U32;
        put_be32(t + 5 * i + 1, words[i]);
    }
}

const char *pulse_command_name(uint32_t command, char *buf, size_t len)
{
    if (command < NCOMMANDS && commands[command].name != NULL)
        return commands[command].name;
    snprintf(buf, len, "command %u", (unsigned)command);
    return buf;
}
