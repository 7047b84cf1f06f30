/*
 * console.c: the staff console's files under /console/ (docs/console.md).
 *
 * Every page has its own URL and gets the same shell (index.html), which
 * loads the page's module; /console/login gets login.html. Assets live
 * under /console/assets/. Files are read from the console folder on each
 * request (they are small, and an upgrade needs no restart): the source
 * tree's web/console when the program runs from its build tree, else the
 * installed copy in $(pkgdatadir)/console. A path is served only when it
 * is made of plain names ([A-Za-z0-9._-], none starting with a dot) and
 * its real path (symbolic links resolved) is still inside the folder.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "council/console.h"
#include "gateway/answer.h"
#include "lib/log.h"
#include "lib/util.h"

#ifndef CONSOLE_INSTALLED_DIR
#define CONSOLE_INSTALLED_DIR "/usr/local/share/baraza/console"
#endif
#ifndef CONSOLE_SOURCE_DIR
#define CONSOLE_SOURCE_DIR "web/console"
#endif
#ifndef CONSOLE_BUILD_DIR
#define CONSOLE_BUILD_DIR ""
#endif

/* Longest path under /console/ worth looking at. */
#define CONSOLE_PATH_MAX 256

/* Pages without an id, each its own URL. */
static const char *const pages[] = {
    "",
    "messages",
    "reports",
    "broadcasts",
    "notifications",
    "contacts",
    "flows",
    "tables",
    "users",
};

/* Pages of one thing: the prefix, then a number. */
static const char *const item_pages[] = {
    "messages/contact/",
    "reports/",
    "contacts/",
};

/* Content types by file name ending. */
static const struct {
	const char *ext;
	const char *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
};

static const char not_found_html[] =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>Page not found</title></head><body><h1>Page not found</h1>"
    "<p>There is no such page. Go to the <a href=\"/console/\">"
    "overview</a>.</p></body></html>\n";

static int
is_dir(const char *path)
{
	struct stat st;

	return path[0] != '\0' && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* True when this program is the one in the build tree it was built in. */
static int
runs_from_build_tree(void)
{
	char exe[PATH_MAX], build[PATH_MAX];
	ssize_t n;
	char *slash;

	if (CONSOLE_BUILD_DIR[0] == '\0' ||
	    realpath(CONSOLE_BUILD_DIR, build) == NULL)
		return 0;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return 0;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return 0;
	*slash = '\0';
	return strcmp(exe, build) == 0;
}

const char *
console_dir(const struct config *cfg)
{
	if (cfg != NULL && cfg->console_dir != NULL)
		return is_dir(cfg->console_dir) ? cfg->console_dir : NULL;
	if (runs_from_build_tree()) {
		if (is_dir(CONSOLE_BUILD_DIR "/console-staged"))
			return CONSOLE_BUILD_DIR "/console-staged";
		if (is_dir(CONSOLE_SOURCE_DIR))
			return CONSOLE_SOURCE_DIR;
	}
	if (is_dir(CONSOLE_INSTALLED_DIR))
		return CONSOLE_INSTALLED_DIR;
	if (is_dir(CONSOLE_SOURCE_DIR))
		return CONSOLE_SOURCE_DIR;
	return NULL;
}

/* True when s is 1 to 19 decimal digits and nothing else. */
static int
all_digits(const char *s)
{
	size_t n = strspn(s, "0123456789");

	return n > 0 && n < 20 && s[n] == '\0';
}

/* The HTML file of the page at rest, or NULL when rest is no page. */
static const char *
page_file(const char *rest)
{
	size_t i, n;

	if (strcmp(rest, "login") == 0)
		return "login.html";
	for (i = 0; i < nitems(pages); i++)
		if (strcmp(rest, pages[i]) == 0)
			return "index.html";
	for (i = 0; i < nitems(item_pages); i++) {
		n = strlen(item_pages[i]);
		if (strncmp(rest, item_pages[i], n) == 0 &&
		    all_digits(rest + n))
			return "index.html";
	}
	return NULL;
}

/*
 * True when rel is a relative path of plain names: letters, digits, '.',
 * '_' and '-', separated by single slashes, none empty or starting with a
 * dot (so no "..", no hidden file), no percent sign, backslash or NUL.
 */
static int
safe_relpath(const char *rel)
{
	const char *p = rel;
	int start = 1;

	if (*p == '\0' || strlen(p) > CONSOLE_PATH_MAX)
		return 0;
	for (; *p != '\0'; p++) {
		if (*p == '/') {
			if (start)
				return 0;
			start = 1;
			continue;
		}
		if (start && *p == '.')
			return 0;
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			(*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
			*p == '-'))
			return 0;
		start = 0;
	}
	return !start;
}

static const char *
content_type(const char *name)
{
	size_t i, n = strlen(name), e;

	for (i = 0; i < nitems(types); i++) {
		e = strlen(types[i].ext);
		if (n > e && strcmp(name + n - e, types[i].ext) == 0)
			return types[i].type;
	}
	return NULL;
}

/*
 * Reads dir/rel into b, when its real path is a regular file inside dir's
 * of at most CONSOLE_FILE_MAX bytes. Returns 0, -1 when there is no such
 * file to serve, -2 when it is there but cannot be served.
 */
static int
read_inside(const char *dir, const char *rel, struct buf *b)
{
	char root[PATH_MAX], want[PATH_MAX], real[PATH_MAX], chunk[16384];
	struct stat st;
	ssize_t n;
	size_t rl;
	int fd, rc = -2;

	if (realpath(dir, root) == NULL)
		return -2;
	if (snprintf(want, sizeof(want), "%s/%s", root, rel) >=
	    (int)sizeof(want))
		return -1;
	if (realpath(want, real) == NULL)
		return -1;
	rl = strlen(root);
	if (strncmp(real, root, rl) != 0 || real[rl] != '/')
		return -1;
	if ((fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	if (st.st_size > CONSOLE_FILE_MAX) {
		log_warn("console", "file too large to serve file=%s size=%lld",
		    rel, (long long)st.st_size);
		close(fd);
		return -2;
	}
	buf_reset(b);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			rc = 0;
		if (n <= 0 || buf_append(b, chunk, (size_t)n) != 0)
			break;
	}
	close(fd);
	return rc;
}

/* A strong ETag of the content: FNV-1a, 64 bits, and the length. */
static void
make_etag(const struct buf *b, char *out, size_t outlen)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < b->len; i++) {
		h ^= (unsigned char)b->data[i];
		h *= 0x100000001b3ULL;
	}
	snprintf(out, outlen, "\"%016llx-%zx\"", (unsigned long long)h, b->len);
}

/*
 * True when the If-None-Match value inm names etag: "*", or a list of
 * tags, each maybe weak (W/"..."), compared weakly as RFC 9110 says.
 */
static int
etag_matches(const char *inm, const char *etag)
{
	const char *p = inm, *q;
	size_t el = strlen(etag);

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '*')
			return 1;
		if (p[0] == 'W' && p[1] == '/')
			p += 2;
		q = p;
		while (*q != '\0' && *q != ',')
			q++;
		while (q > p && (q[-1] == ' ' || q[-1] == '\t'))
			q--;
		if ((size_t)(q - p) == el && memcmp(p, etag, el) == 0)
			return 1;
		while (*q != '\0' && *q != ',')
			q++;
		p = q;
	}
	return 0;
}

/*
 * True when the Accept-Encoding value ae takes gzip: "gzip" or "x-gzip"
 * among its codings, without q=0.
 */
static int
accepts_gzip(const char *ae)
{
	const char *p = ae, *e, *q;
	size_t n;

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		e = p + strcspn(p, ",");
		n = strcspn(p, " \t;,");
		if ((n == 4 && strncasecmp(p, "gzip", 4) == 0) ||
		    (n == 6 && strncasecmp(p, "x-gzip", 6) == 0)) {
			/* q=0, q=0.0, q=0.00, q=0.000: not acceptable. */
			q = strstr(p, "q=");
			if (q == NULL || q > e)
				return 1;
			q += 2;
			if (*q != '0')
				return 1;
			for (q++; *q == '.' || *q == '0'; q++)
				;
			/* A digit other than 0 follows: a q above 0. */
			return q < e && *q >= '1' && *q <= '9';
		}
		p = e;
	}
	return 0;
}

static void
not_found(struct http_request *req)
{
	http_respond_ex(req, 404, "text/html; charset=utf-8",
	    "Cache-Control: no-cache\r\n", not_found_html,
	    sizeof(not_found_html) - 1);
}

void
console_files(struct gateway *gw, struct http_request *req, const char *rest)
{
	const char *dir, *file, *type, *inm, *ae;
	char rel[CONSOLE_PATH_MAX + 16], gz[CONSOLE_PATH_MAX + 20], etag[48],
	    extra[200];
	struct buf b;
	int html, rc, zipped = 0;

	if (strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "HEAD") != 0) {
		answer_method(req, "GET, HEAD");
		return;
	}
	if ((file = page_file(rest)) != NULL)
		snprintf(rel, sizeof(rel), "%s", file);
	else if (strncmp(rest, "assets/", 7) == 0 && safe_relpath(rest))
		snprintf(rel, sizeof(rel), "%s", rest);
	else {
		not_found(req);
		return;
	}
	if ((type = content_type(rel)) == NULL) {
		not_found(req);
		return;
	}
	if ((dir = console_dir(gw->cfg)) == NULL) {
		log_warn("console",
		    "no console folder: install baraza "
		    "(make install) or run it from its build tree");
		http_respond(req, 503, "text/plain; charset=utf-8",
		    "the console's files are not installed\n", 38);
		return;
	}
	buf_init(&b, CONSOLE_FILE_MAX);
	ae = http_header(req, "Accept-Encoding");
	snprintf(gz, sizeof(gz), "%s.gz", rel);
	if (ae != NULL && accepts_gzip(ae) && read_inside(dir, gz, &b) == 0)
		zipped = 1;
	rc = zipped ? 0 : read_inside(dir, rel, &b);
	if (rc == -1) {
		buf_free(&b);
		not_found(req);
		return;
	}
	if (rc != 0) {
		buf_free(&b);
		http_respond(req, 500, "text/plain; charset=utf-8",
		    "the file cannot be served\n", 26);
		return;
	}
	html = strcmp(type, "text/html; charset=utf-8") == 0;
	make_etag(&b, etag, sizeof(etag));
	snprintf(extra, sizeof(extra),
	    "Cache-Control: %s\r\nETag: %s\r\nVary: Accept-Encoding\r\n%s",
	    html ? "no-cache" : "max-age=300", etag,
	    zipped ? "Content-Encoding: gzip\r\n" : "");
	inm = http_header(req, "If-None-Match");
	if (inm != NULL && etag_matches(inm, etag))
		http_respond_ex(req, 304, NULL, extra, NULL, 0);
	else
		http_respond_ex(req, 200, type, extra, b.data, b.len);
	buf_free(&b);
}
