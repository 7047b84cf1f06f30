/*
 * memo.c: a small table, per thread, from a session's text to what it
 * stands for (engine.c keeps the session itself). Two-way set-associative:
 * an FNV-1a hash of the text picks a set of two slots, a new text replaces
 * an empty slot of the two or else the one stored first, so a text
 * survives the next one that lands in its set (with 200 sessions taking
 * turns, about four in five are still there at their next turn). A hit is
 * a byte-for-byte match: what it returns is what was stored for those very
 * bytes, and it leaves the table (the turn that read a text stores a new
 * one). Bounded: MEMO_SLOTS texts of at most MEMO_TEXT_MAX bytes each, per
 * thread that uses it (the loop's, in the gateway): a KiB or two a slot
 * for a USSD menu's session.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flows/memo.h"
#include "lib/util.h"

struct slot {
	char *text;           /* the bytes, owned; NULL: empty */
	size_t len;           /* of text */
	void *value;          /* what they stand for, owned */
	void (*drop)(void *); /* frees value */
	uint64_t stamp;       /* when it was stored: the older of a set goes */
};

static _Thread_local struct slot *slots; /* MEMO_SLOTS, or NULL */
static _Thread_local uint64_t clock_;    /* stamps handed out */

/* The first of the two slots of text's set. */
static struct slot *
set_of(const char *text, size_t len)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)text[i];
		h *= 1099511628211ULL;
	}
	return &slots[(h % (MEMO_SLOTS / 2)) * 2];
}

static int
holds(const struct slot *sl, const char *text, size_t len)
{
	return sl->text != NULL && sl->len == len &&
	       memcmp(sl->text, text, len) == 0;
}

void *
memo_take(const char *text, size_t len)
{
	struct slot *set, *sl;
	void *v;

	if (slots == NULL || text == NULL || len > MEMO_TEXT_MAX)
		return NULL;
	set = set_of(text, len);
	if (holds(&set[0], text, len))
		sl = &set[0];
	else if (holds(&set[1], text, len))
		sl = &set[1];
	else
		return NULL;
	v = sl->value;
	free(sl->text);
	sl->text = NULL;
	sl->value = NULL;
	sl->stamp = 0;
	return v;
}

void
memo_put(const char *text, size_t len, void *value, void (*drop)(void *))
{
	struct slot *set, *sl;

	if (text == NULL || value == NULL || len > MEMO_TEXT_MAX) {
		if (value != NULL)
			drop(value);
		return;
	}
	if (slots == NULL)
		slots = xcalloc(MEMO_SLOTS, sizeof(*slots));
	set = set_of(text, len);
	if (holds(&set[1], text, len) ||
	    (!holds(&set[0], text, len) && set[1].stamp < set[0].stamp))
		sl = &set[1];
	else
		sl = &set[0];
	free(sl->text);
	if (sl->value != NULL)
		sl->drop(sl->value);
	sl->text = xmalloc(len + 1);
	memcpy(sl->text, text, len);
	sl->text[len] = '\0';
	sl->len = len;
	sl->value = value;
	sl->drop = drop;
	sl->stamp = ++clock_;
}

void
memo_clear(void)
{
	size_t i;

	if (slots == NULL)
		return;
	for (i = 0; i < MEMO_SLOTS; i++) {
		free(slots[i].text);
		if (slots[i].value != NULL)
			slots[i].drop(slots[i].value);
	}
	free(slots);
	slots = NULL;
}
