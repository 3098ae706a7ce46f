/* PulseAudio's native protocol, as far as the sound filter must read it
 * (the protocol is one for PulseAudio and PipeWire's pulse server). Pure
 * functions over buffers; every wire detail stays inside pulse/.
 *
 * A connection is a sequence of packets, each a 20-byte descriptor (five
 * big-endian 32-bit words: length, channel, offset high, offset low,
 * flags) and `length` bytes. Channel 0xffffffff is a control packet, a
 * "tagstruct" that starts with the command and its tag (a sequence
 * number the reply echoes); any other channel carries audio for a stream,
 * inline, or as a reference into shared memory when flags say so. */
#ifndef TORGATE_PULSE_WIRE_H
#define TORGATE_PULSE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define PULSE_DESC_LEN     20
#define PULSE_FRAME_MAX    (16u << 20)  /* PulseAudio's own bound on a packet */
#define PULSE_CONTROL_MAX  (1u << 20)   /* the biggest command the filter reads */
#define PULSE_ERROR_LEN    (PULSE_DESC_LEN + 15)
#define PULSE_ERR_ACCESS   1u           /* PA_ERR_ACCESS: "Access denied" */

enum pulse_kind {
    PULSE_CONTROL,     /* a command or a reply: read whole, then judged */
    PULSE_AUDIO,       /* a stream's samples, inline: passed as they come */
    PULSE_BAD,         /* the connection is closed */
};

struct pulse_desc {
    enum pulse_kind kind;
    uint32_t length;
    const char *why;   /* PULSE_BAD: what was wrong, for the log */
};

/* Reads one descriptor sent by a client. Shared-memory references and
 * their release and revoke notes are PULSE_BAD: the filter asks the
 * server for no shared memory (pulse_control_check), so a client that
 * sends them anyway is not a PulseAudio client. */
void pulse_desc_parse(const uint8_t d[PULSE_DESC_LEN], struct pulse_desc *out);

/* The same for the server's side, which is only framed, not judged. */
void pulse_desc_parse_server(const uint8_t d[PULSE_DESC_LEN], struct pulse_desc *out);

enum pulse_verdict {
    PULSE_PASS,        /* send it on (an AUTH has had its shared-memory offer taken out) */
    PULSE_REFUSE,      /* answer with pulse_error_packet(tag) instead */
    PULSE_MALFORMED,   /* close the connection */
};

/* Judges one control packet's payload against the allow-list: playback,
 * recording, samples, volume and mute, information and events pass;
 * loading or unloading modules, extensions, object messages, card
 * profiles, moving or killing other programs' streams, shared-memory
 * set-up, telling the daemon to exit and anything unknown are refused.
 * *command and *tag are set whenever the packet has them. */
enum pulse_verdict pulse_control_check(uint8_t *payload, size_t len, uint32_t *command, uint32_t *tag);

/* The packet that answers a refused command: ERROR, its tag, code. */
void pulse_error_packet(uint8_t out[PULSE_ERROR_LEN], uint32_t tag, uint32_t code);

/* "LOAD_MODULE", for messages; "command 200" for unknown numbers (into
 * buf, which must hold 24 bytes). */
const char *pulse_command_name(uint32_t command, char *buf, size_t len);

#endif
