/*
 * fuzz_form.c: form decoding (with and without %00 taken, one field
 * alone), the charsets a value may be read in, and the percent-encoding
 * round trip.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/charset.h"
#include "lib/form.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *err = NULL;
	struct form f;
	char *enc, *dec;
	size_t i;

	if (form_parse(&f, s, size, &err) == 0) {
		if (err != NULL || f.npairs > FORM_MAX_PAIRS)
			abort();
		for (i = 0; i < f.npairs; i++) {
			if (f.pairs[i].name[0] == '\0')
				abort();
			if (form_get(&f, f.pairs[i].name) == NULL)
				abort();
			(void)strlen(f.pairs[i].value);
		}
	} else if (err == NULL || f.npairs != 0)
		abort();
	form_free(&f);

	/* With %00 taken: lengths within the input, charsets read whole. */
	if (form_parse_flags(&f, s, size, FORM_KEEP_NUL, &err) == 0) {
		for (i = 0; i < f.npairs; i++) {
			struct buf b;
			size_t len = 0;

			(void)form_get_len(&f, f.pairs[i].name, &len);
			if (f.pairs[i].value_len > size ||
			    f.pairs[i].value[f.pairs[i].value_len] != '\0')
				abort();
			buf_init(&b, CHARSET_UTF8_MAX(f.pairs[i].value_len));
			charset_to_utf8((enum charset)(i % 6),
			    (const uint8_t *)f.pairs[i].value,
			    f.pairs[i].value_len, &b);
			if (strlen(buf_cstr(&b)) != b.len)
				abort(); /* a NUL came out */
			buf_free(&b);
		}
	}
	form_free(&f);
	if (query_get(s, size, "secret", &dec) == 1)
		free(dec);
	else if (dec != NULL)
		abort();

	if (url_decode(s, size, URL_PLUS_SPACE, &dec, &err) == 0) {
		if (strlen(dec) > size)
			abort();
		free(dec);
	} else if (dec != NULL || err == NULL)
		abort();

	/* Encoding then decoding gives the input back (no NUL inside). */
	if (memchr(s, '\0', size) == NULL) {
		enc = url_encode(s, size);
		for (i = 0; enc[i] != '\0'; i++)
			if (enc[i] == '+' || enc[i] == '&' || enc[i] == '=')
				abort();
		if (url_decode(enc, strlen(enc), 0, &dec, &err) != 0)
			abort();
		if (strlen(dec) != size || memcmp(dec, s, size) != 0)
			abort();
		free(dec);
		free(enc);
	}
	return 0;
}
