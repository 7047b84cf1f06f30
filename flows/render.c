/*
 * render.c: SMS and USSD layout of engine replies (see render.h).
 */
#include "flows/render.h"

#include <stdint.h>
#include <string.h>

#include "lib/log.h"
#include "lib/util.h"

/*
 * The number of bytes one character takes at s: a valid sequence's length,
 * or 1 for a broken one, so a broken character counts as one per byte and no
 * count ever runs past the end.
 */
static size_t
utf8_step(const char *s, size_t len)
{
	size_t n = utf8_seq(s, len);

	return n ? n : 1;
}

size_t
render_utf8_chars(const char *s)
{
	size_t len, n = 0, i = 0;

	if (s == NULL)
		return 0;
	len = strlen(s);
	while (i < len) {
		i += utf8_step(s + i, len - i);
		n++;
	}
	return n;
}

/*
 * True when s[0..len) is the start of a multi-byte character that len cuts
 * short: a lead byte followed only by continuation bytes, fewer than it needs.
 */
static int
utf8_truncated(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t need, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 4;
	else
		return 0;
	if (len >= need)
		return 0;
	for (i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return 1;
}

size_t
render_utf8_prefix(const char *s, size_t len, size_t maxchars)
{
	size_t i = 0, n = 0;

	while (i < len && n < maxchars) {
		if (utf8_truncated(s + i, len - i))
			break;
		i += utf8_step(s + i, len - i);
		n++;
	}
	return i;
}

/* Appends "N. text" for option index i (shown as i + 1) to b. */
static void
put_option(struct buf *b, size_t i, const char *text)
{
	if (buf_putu(b, i + 1) == -1 || buf_puts(b, ". ") == -1 ||
	    buf_puts(b, text ? text : "") == -1)
		fatalx("render: option too long");
}

char *
render_sms(const char *text, const char *const *options, size_t noptions)
{
	struct buf b;
	size_t i;

	buf_init(&b, SIZE_MAX / 2);
	if (buf_puts(&b, text ? text : "") == -1)
		fatalx("render: text too long");
	for (i = 0; i < noptions; i++) {
		if (b.len > 0 && buf_puts(&b, "\n") == -1)
			fatalx("render: text too long");
		put_option(&b, i, options[i]);
	}
	if (b.data == NULL)
		return xstrdup("");
	return buf_steal(&b);
}

/* Characters of option line i ("N. text"). */
static size_t
option_chars(size_t i, const char *text)
{
	size_t digits = 1, n;

	for (n = i + 1; n >= 10; n /= 10)
		digits++;
	return digits + 2 + render_utf8_chars(text ? text : "");
}

char *
render_ussd_page(const char *header, const char *const *options,
    size_t noptions, size_t first, size_t max, size_t *next)
{
	struct buf b;
	size_t used, i, last, more;

	if (max == 0)
		max = RENDER_USSD_MAX_DEFAULT;
	if (first > noptions)
		first = noptions;
	used = render_utf8_chars(header ? header : "");
	more = 1 + strlen(RENDER_MORE); /* "\n0. More" */

	/*
	 * First see whether everything left fits without a paging line; if
	 * not, take options while they fit with room for "0. More". A page
	 * with a header (the first: later pages have none) may hold none, so
	 * that a long question stays within max ("Question?\n0. More"); a
	 * page without one, or whose header is over max anyway, takes at
	 * least one, so paging always moves on.
	 */
	last = first;
	{
		size_t total = used;

		for (i = first; i < noptions; i++)
			total +=
			    (total > 0 ? 1 : 0) + option_chars(i, options[i]);
		if (total <= max)
			last = noptions;
	}
	if (last < noptions) {
		size_t total = used;

		for (i = first; i < noptions; i++) {
			size_t cost =
			    (total > 0 ? 1 : 0) + option_chars(i, options[i]);

			if ((i > first || (used > 0 && used + more <= max)) &&
			    total + cost + more > max)
				break;
			total += cost;
		}
		last = i;
	}

	buf_init(&b, SIZE_MAX / 2);
	if (buf_puts(&b, header ? header : "") == -1)
		fatalx("render: header too long");
	for (i = first; i < last; i++) {
		if (b.len > 0 && buf_puts(&b, "\n") == -1)
			fatalx("render: screen too long");
		put_option(&b, i, options[i]);
	}
	if (last < noptions) {
		if (b.len > 0 && buf_puts(&b, "\n") == -1)
			fatalx("render: screen too long");
		if (buf_puts(&b, RENDER_MORE) == -1)
			fatalx("render: screen too long");
	}
	if (next != NULL)
		*next = last;
	if (b.data == NULL)
		return xstrdup("");
	return buf_steal(&b);
}

char *
render_ussd_wire(const char *screen, int end)
{
	return xasprintf("%s %s", end ? "END" : "CON", screen ? screen : "");
}
