/*
 * flowset.c: a whole flows folder as one immutable set: loading the files in
 * name order, resolving jump targets, the trigger indexes the engine uses
 * (match triggers in order, a sorted keyword table, USSD codes for
 * longest-prefix matching, the one default) and lookups in them.
 */
#include "flows/flow.h"
#include "lib/fold.h"

#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct flowset *
flowset_new(const struct flow_config *cfg)
{
	struct flowset *set = xcalloc(1, sizeof(*set));
	size_t i, j, n = cfg ? cfg->nlanguages : 0;

	if (n > FLOW_MAX_LANGS)
		n = FLOW_MAX_LANGS;
	if (n == 0) {
		set->languages = xcalloc(1, sizeof(*set->languages));
		set->languages[0] = xstrdup("en");
		set->nlanguages = 1;
	} else {
		set->languages = xcalloc(n, sizeof(*set->languages));
		for (i = 0; i < n; i++) {
			set->languages[i] = xstrdup(cfg->languages[i]);
			for (j = 0; set->languages[i][j] != '\0'; j++)
				set->languages[i][j] = (char)tolower(
				    (unsigned char)set->languages[i][j]);
		}
		set->nlanguages = n;
	}
	set->ussd_limit =
	    cfg && cfg->ussd_limit ? cfg->ussd_limit : FLOW_DEFAULT_USSD_LIMIT;
	return set;
}

void
flowset_free(struct flowset *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->nflows; i++)
		flow_free(set->flows[i]);
	free(set->flows);
	for (i = 0; i < set->nfiles; i++)
		free(set->files[i]);
	free(set->files);
	for (i = 0; i < set->nlanguages; i++)
		free(set->languages[i]);
	free(set->languages);
	free(set->matches);
	free(set->keywords);
	free(set->ussd);
	free(set);
}

int
flowset_add_file(
    struct flowset *set, const char *path, struct flow_findings *findings)
{
	struct stat st;
	char *data;
	size_t got = 0;
	ssize_t n;
	int fd, rc;

	/* O_NONBLOCK: a FIFO named *.flow is refused below, not waited on
	 * (which would stop a reload, and the gateway with it). */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		flow_findings_add(findings, path, 0, 0, FINDING_ERROR,
		    "cannot open: %s", strerror(errno));
		set->nerrors++;
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		flow_findings_add(
		    findings, path, 0, 0, FINDING_ERROR, "not a regular file");
		set->nerrors++;
		close(fd);
		return -1;
	}
	if (st.st_size > FLOW_MAX_FILE) {
		flow_findings_add(findings, path, 1, 1, FINDING_ERROR,
		    "file too large (%lld bytes, at most %d)",
		    (long long)st.st_size, FLOW_MAX_FILE);
		set->nerrors++;
		close(fd);
		return -1;
	}
	/* Read one byte more than allowed to notice a file that grew. */
	data = xmalloc(FLOW_MAX_FILE + 1);
	while (got < FLOW_MAX_FILE + 1) {
		n = read(fd, data + got, FLOW_MAX_FILE + 1 - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			flow_findings_add(findings, path, 0, 0, FINDING_ERROR,
			    "read: %s", strerror(errno));
			set->nerrors++;
			free(data);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	rc = flow_parse_buffer(set, path, data, got, findings);
	free(data);
	return rc;
}

/* Resolves one target; from is the flow holding it. */
struct resolve {
	struct flowset *set;
	const struct flow *from;
	struct flow_findings *f;
};

static void
resolve_target(struct resolve *r, struct flow_target *t)
{
	switch (t->kind) {
	case TARGET_NONE:
		return;
	case TARGET_STEP:
		t->flow = r->from;
		if (flow_find_label(r->from, t->name, &t->step) < 0) {
			flow_findings_add(r->f, t->pos.file, t->pos.line,
			    t->pos.col, FINDING_ERROR,
			    "unknown step '%s' in flow '%s'", t->name,
			    r->from->name);
			r->set->nerrors++;
		}
		return;
	case TARGET_FLOW:
		t->flow = flowset_find(r->set, t->name);
		if (t->flow == NULL) {
			flow_findings_add(r->f, t->pos.file, t->pos.line,
			    t->pos.col, FINDING_ERROR, "unknown flow '%s'",
			    t->name);
			r->set->nerrors++;
		}
		return;
	}
}

static void
resolve_flow(struct resolve *r, struct flow *fl)
{
	size_t i, j;

	r->from = fl;
	for (i = 0; i < fl->nsteps; i++) {
		struct flow_step *st = &fl->steps[i];

		switch (st->kind) {
		case STEP_MENU:
			for (j = 0; j < st->u.menu.noptions; j++)
				resolve_target(
				    r, &st->u.menu.options[j].target);
			break;
		case STEP_IF:
			resolve_target(r, &st->u.cond.target);
			break;
		case STEP_GOTO:
			resolve_target(r, &st->u.go.target);
			break;
		case STEP_LOOKUP:
			resolve_target(r, &st->u.lookup.missing.target);
			break;
		case STEP_FETCH:
			resolve_target(r, &st->u.fetch.missing.target);
			resolve_target(r, &st->u.fetch.failed.target);
			break;
		case STEP_FIND_REPORT:
			resolve_target(r, &st->u.find.missing.target);
			break;
		default:
			break;
		}
	}
}

static int
keyword_cmp(const void *a, const void *b)
{
	const struct flowset_keyword *x = a, *y = b;
	int c = strcmp(x->word, y->word);

	if (c != 0)
		return c;
	/* Equal words (an error): keep the first flow first. */
	return x->flow->index < y->flow->index
		   ? -1
		   : x->flow->index > y->flow->index;
}

static int
ussd_cmp(const void *a, const void *b)
{
	const struct flowset_ussd *x = a, *y = b;

	if (x->prefix_len != y->prefix_len)
		return x->prefix_len > y->prefix_len ? -1 : 1;
	if (x->flow->index != y->flow->index)
		return x->flow->index < y->flow->index ? -1 : 1;
	return strcmp(x->code, y->code);
}

/* Builds the trigger indexes. */
static void
build_indexes(struct flowset *set)
{
	size_t i, j, nm = 0, nk = 0, nu = 0;

	for (i = 0; i < set->nflows; i++)
		for (j = 0; j < set->flows[i]->ntriggers; j++)
			switch (set->flows[i]->triggers[j].kind) {
			case TRIGGER_MATCH:
				nm++;
				break;
			case TRIGGER_KEYWORD:
				nk++;
				break;
			case TRIGGER_USSD:
				nu++;
				break;
			case TRIGGER_DEFAULT:
				break;
			}
	set->matches = xcalloc(nm ? nm : 1, sizeof(*set->matches));
	set->keywords = xcalloc(nk ? nk : 1, sizeof(*set->keywords));
	set->ussd = xcalloc(nu ? nu : 1, sizeof(*set->ussd));
	for (i = 0; i < set->nflows; i++) {
		const struct flow *fl = set->flows[i];

		for (j = 0; j < fl->ntriggers; j++) {
			const struct flow_trigger *t = &fl->triggers[j];

			switch (t->kind) {
			case TRIGGER_MATCH:
				set->matches[set->nmatches].re = &t->re;
				set->matches[set->nmatches++].flow = fl;
				break;
			case TRIGGER_KEYWORD:
				set->keywords[set->nkeywords].word = t->word;
				set->keywords[set->nkeywords++].flow = fl;
				break;
			case TRIGGER_USSD:
				set->ussd[set->nussd].code = t->word;
				set->ussd[set->nussd].prefix_len =
				    strlen(t->word) - 1;
				set->ussd[set->nussd++].flow = fl;
				break;
			case TRIGGER_DEFAULT:
				if (set->default_flow == NULL)
					set->default_flow = fl;
				break;
			}
		}
	}
	qsort(
	    set->keywords, set->nkeywords, sizeof(*set->keywords), keyword_cmp);
	qsort(set->ussd, set->nussd, sizeof(*set->ussd), ussd_cmp);
}

int
flowset_finish(struct flowset *set, struct flow_findings *findings)
{
	struct resolve r;
	size_t i, before;

	if (set->finished) {
		flow_findings_add(findings, NULL, 0, 0, FINDING_ERROR,
		    "internal: flowset_finish called twice");
		return -1;
	}
	r.set = set;
	r.f = findings;
	for (i = 0; i < set->nflows; i++)
		resolve_flow(&r, set->flows[i]);
	build_indexes(set);
	before = findings->nerrors;
	flow_check(set, findings);
	set->nerrors += findings->nerrors - before;
	set->finished = 1;
	return set->nerrors > 0 ? -1 : 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* True when name ends in ".flow" and does not start with '.'. */
static int
is_flow_file(const char *name)
{
	size_t n = strlen(name);

	return n > 5 && name[0] != '.' && strcmp(name + n - 5, ".flow") == 0;
}

int
flowset_load(const char *dir, const struct flow_config *cfg,
    struct flowset **out, struct flow_findings *findings)
{
	struct flowset *set;
	struct dirent *de;
	DIR *d;
	char **names = NULL, *path;
	size_t n = 0, i;
	int rc;

	*out = NULL;
	if ((d = opendir(dir)) == NULL) {
		flow_findings_add(findings, dir, 0, 0, FINDING_ERROR,
		    "cannot open the flows folder: %s", strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (!is_flow_file(de->d_name))
			continue;
		if (n >= FLOW_MAX_FILES) {
			flow_findings_add(findings, dir, 0, 0, FINDING_ERROR,
			    "too many .flow files (at most %d)",
			    FLOW_MAX_FILES);
			for (i = 0; i < n; i++)
				free(names[i]);
			free(names);
			closedir(d);
			return -1;
		}
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);

	set = flowset_new(cfg);
	for (i = 0; i < n; i++) {
		size_t dl = strlen(dir);

		path = xasprintf("%s%s%s", dir,
		    dl > 0 && dir[dl - 1] == '/' ? "" : "/", names[i]);
		flowset_add_file(set, path, findings);
		free(path);
		free(names[i]);
	}
	free(names);
	rc = flowset_finish(set, findings);
	flow_findings_sort(findings);
	if (rc < 0) {
		flowset_free(set);
		return -1;
	}
	*out = set;
	return 0;
}

int
flowset_load_buffer(const char *name, const char *data, size_t len,
    const struct flow_config *cfg, struct flowset **out,
    struct flow_findings *findings)
{
	struct flowset *set = flowset_new(cfg);
	int rc;

	*out = NULL;
	flow_parse_buffer(set, name, data, len, findings);
	rc = flowset_finish(set, findings);
	flow_findings_sort(findings);
	if (rc < 0) {
		flowset_free(set);
		return -1;
	}
	*out = set;
	return 0;
}

const struct flow *
flowset_find(const struct flowset *set, const char *name)
{
	size_t i;

	for (i = 0; i < set->nflows; i++)
		if (strcmp(set->flows[i]->name, name) == 0)
			return set->flows[i];
	return NULL;
}

const struct flow *
flowset_keyword(const struct flowset *set, const char *word)
{
	char *up;
	const struct flow *found = NULL;
	size_t lo = 0, hi = set->nkeywords, n = strlen(word);

	if (n == 0 || n > FLOW_MAX_WORD)
		return NULL;
	up = fold_upper(word, n);
	/* Lower bound, so equal words (an error) still give the first flow. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(set->keywords[mid].word, up) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < set->nkeywords && strcmp(set->keywords[lo].word, up) == 0)
		found = set->keywords[lo].flow;
	free(up);
	return found;
}

const struct flow *
flowset_ussd(const struct flowset *set, const char *dialled, const char **rest,
    size_t *restlen)
{
	size_t i, n = strlen(dialled);

	*rest = dialled + n;
	*restlen = 0;
	for (i = 0; i < set->nussd; i++) {
		const struct flowset_ussd *u = &set->ussd[i];
		const char *r;
		size_t rl;

		if (n < u->prefix_len ||
		    memcmp(dialled, u->code, u->prefix_len) != 0)
			continue;
		r = dialled + u->prefix_len;
		if (*r != '\0' && *r != '#' && *r != '*')
			continue;
		if (*r == '*')
			r++;
		rl = strlen(r);
		if (rl > 0 && r[rl - 1] == '#')
			rl--;
		*rest = r;
		*restlen = rl;
		return u->flow;
	}
	return NULL;
}

int
flowset_language(const struct flowset *set, const char *lang)
{
	size_t i;

	for (i = 0; i < set->nlanguages; i++)
		if (str_ieq(set->languages[i], lang))
			return (int)i;
	return -1;
}
