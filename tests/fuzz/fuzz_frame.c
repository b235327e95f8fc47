/* Fuzzes the control-protocol frame decoder: the input is a byte stream
 * of frames, decoded one after another as the daemon would. Every
 * request it accepts must survive being framed again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/frame.h"
#include "proto/proto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Encodes msg as a frame and decodes it back: the same object must come
 * out, in one frame of exactly that size. */
static void
fuzz_frame_again(json_t *msg)
{
	char		*text = json_dumps(msg, JSON_COMPACT);
	size_t		 tlen = strlen(text), used = 0;
	unsigned char	*f = malloc(4 + tlen);
	json_t		*back = NULL;
	char		*why = NULL;

	if (f == NULL)
		abort();
	kz_put_be32(f, (uint32_t)tlen);
	memcpy(f + 4, text, tlen);
	if (frame_decode(f, 4 + tlen, &used, &back, &why) != 1 ||
	    used != 4 + tlen || !json_equal(msg, back))
		abort();
	json_decref(back);
	free(f);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t	 off = 0, used;
	json_t	*msg;
	char	*why;
	int	 r;

	while (off < size) {
		used = 0;
		msg = NULL;
		why = NULL;
		r = frame_decode(data + off, size - off, &used, &msg, &why);
		if (r == 0)
			break;
		if (used > size - off)
			abort();
		if (r == 1) {
			if (used < 4 || why != NULL)
				abort();
			fuzz_frame_again(msg);
			json_decref(msg);
		} else {
			if (why == NULL || msg != NULL)
				abort();
			free(why);
			if (used == 0)
				break;	/* over the limit: stream is lost */
		}
		off += used;
	}
	return 0;
}
