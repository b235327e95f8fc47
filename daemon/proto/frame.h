/* Decoding of control-protocol request frames (proto.h): a 4-byte
 * big-endian length, then that many bytes of JSON holding one request
 * object. Pure: no I/O, so the socket code and the fuzzer share it. */
#ifndef KZ_FRAME_H
#define KZ_FRAME_H

#include <jansson.h>
#include <stddef.h>

/* Decodes the frame at the start of buf (len bytes available).
 *
 *  1  a whole valid request: *msg is the object (caller decrefs), with
 *     "v" equal to KZ_PROTO_VERSION, "cmd" a string, "params" absent or
 *     an object and "as" absent, null or a string (other keys are
 *     ignored); *consumed is the frame's size.
 *  0  more bytes are needed; nothing is set.
 * -1  a bad frame: *why (caller frees) says what is wrong, with line and
 *     column for invalid JSON. *consumed is the frame's size, so the
 *     caller may answer and go on with the next frame; or 0 when the
 *     length itself is over KZ_REQUEST_MAX, after which the stream cannot
 *     be resynchronised (answer 413 and stop reading). */
int	 frame_decode(const unsigned char *buf, size_t len, size_t *consumed,
	    json_t **msg, char **why);

#endif
