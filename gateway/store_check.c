/*
 * store_check.c: the store's checks of its callers' values and the texts
 * of its lists and searches, for both kinds of store (store_check.h).
 */
#include <string.h>

#include "gateway/store.h"
#include "gateway/store_check.h"
#include "lib/util.h"

int
store_too_long(const char *s, size_t max)
{
	return s != NULL && strnlen(s, max + 1) > max;
}

int
store_valid_name(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0' || store_too_long(s, STORE_NAME_MAX))
		return 0;
	if (!(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z')))
		return 0;
	for (i = 1; s[i] != '\0'; i++)
		if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

int
store_valid_e164(const char *s)
{
	size_t i;

	if (s == NULL || s[0] != '+' || s[1] < '1' || s[1] > '9')
		return 0;
	for (i = 2; s[i] != '\0'; i++)
		if (s[i] < '0' || s[i] > '9' || i > 15)
			return 0;
	return 1;
}

int
store_valid_topic(const char *s)
{
	return s != NULL && s[0] != '\0' && !store_too_long(s, STORE_NAME_MAX);
}

int
store_valid_role(const char *s)
{
	return s != NULL &&
	       (strcmp(s, "viewer") == 0 || strcmp(s, "staff") == 0 ||
		   strcmp(s, "admin") == 0);
}

int
store_valid_text(const char *s, size_t max)
{
	return s != NULL && s[0] != '\0' && strnlen(s, max + 1) <= max;
}

char *
store_like_pattern(const char *v)
{
	struct buf b;
	size_t i;

	if (v == NULL)
		return NULL;
	buf_init(&b, 4 * STORE_TEXT_MAX);
	buf_puts(&b, "%");
	for (i = 0; v[i] != '\0'; i++) {
		if (v[i] == '%' || v[i] == '_' || v[i] == '\\')
			buf_puts(&b, "\\");
		if (buf_append(&b, &v[i], 1) < 0)
			break;
	}
	buf_puts(&b, "%");
	return buf_steal(&b);
}

char *
store_strings_json(const char *const *v, size_t n)
{
	struct buf b;
	size_t i, k;

	if (n == 0)
		return NULL;
	buf_init(&b, (size_t)1 << 20);
	buf_puts(&b, "[");
	for (i = 0; i < n; i++) {
		buf_puts(&b, i ? ",\"" : "\"");
		for (k = 0; v[i] != NULL && v[i][k] != '\0'; k++) {
			unsigned char c = (unsigned char)v[i][k];

			if (c == '"' || c == '\\')
				buf_printf(&b, "\\%c", c);
			else if (c < 0x20)
				buf_printf(&b, "\\u%04x", c);
			else
				buf_append(&b, &v[i][k], 1);
		}
		buf_puts(&b, "\"");
	}
	buf_puts(&b, "]");
	return buf_steal(&b);
}

char *
store_ids_json(const int64_t *v, size_t n)
{
	struct buf b;
	size_t i;

	if (n == 0)
		return NULL;
	buf_init(&b, (size_t)1 << 20);
	buf_puts(&b, "[");
	for (i = 0; i < n; i++)
		buf_printf(&b, "%s%lld", i ? "," : "", (long long)v[i]);
	buf_puts(&b, "]");
	return buf_steal(&b);
}
