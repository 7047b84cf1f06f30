/*
 * fuzz_modem_proto.c: the modem worker's frame reader. The input is fed
 * to one reader in chunks whose sizes come from the first byte; every
 * message read must encode again and read back as the same type.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "modem/proto.h"

/* Re-encodes each message and checks it reads back the same. */
static int
check(const struct modem_msg *m, void *arg)
{
	struct modem_proto_reader r;
	struct buf b;
	int *n = arg;

	(*n)++;
	if (modem_proto_type_name(m->type) == NULL)
		abort();
	buf_init(&b, MODEM_PROTO_MAX_FRAME + 4);
	/* Whatever the reader accepted, the writer must accept too. */
	if (modem_proto_encode(m, &b) != 0)
		abort();
	modem_proto_reader_init(&r);
	if (modem_proto_feed(&r, b.data, b.len, NULL, NULL) != 0)
		abort();
	modem_proto_reader_free(&r);
	if (modem_proto_parse(b.data + 4, b.len - 4, NULL, NULL, NULL, 0) != 0)
		abort();
	buf_free(&b);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct modem_proto_reader r;
	size_t chunk, off, n;
	int msgs = 0, rc = 0;

	if (size == 0)
		return 0;
	chunk = (size_t)data[0] % 17 + 1;
	data++;
	size--;
	modem_proto_reader_init(&r);
	for (off = 0; off < size && rc == 0; off += n) {
		n = size - off < chunk ? size - off : chunk;
		rc = modem_proto_feed(&r, data + off, n, check, &msgs);
	}
	if (rc == -1 && r.error[0] == '\0')
		abort();
	if (rc != 0 && rc != -1)
		abort();
	modem_proto_reader_free(&r);
	return 0;
}
