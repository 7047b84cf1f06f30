/*
 * flows_bench.c: engine steps per second for a three-step flow (an ask,
 * a menu and a say), without I/O: route, answer, answer, many times over.
 *   flows_bench [SECONDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flows/engine.h"
#include "flows/flow.h"
#include "lib/util.h"

static const char src[] = "flow bench\n"
			  "  on keyword BENCH\n"
			  "  ask name \"Your name?\"\n"
			  "    check /^\\w+$/ \"Letters only:\"\n"
			  "  menu ward \"Your ward, {name}?\"\n"
			  "    option \"Central\"\n"
			  "    option \"Majengo\"\n"
			  "  say \"Thanks {name}, you are in {ward}.\"\n";

int
main(int argc, char **argv)
{
	struct flow_config fc = {NULL, 0, 0};
	struct flow_findings f;
	struct flowset *set;
	struct engine eng;
	double secs = argc > 1 ? atof(argv[1]) : 3.0;
	int64_t start, now;
	unsigned long runs = 0;

	flow_findings_init(&f);
	if (flowset_load_buffer(
		"bench.flow", src, strlen(src), &fc, &set, &f) != 0) {
		flow_findings_print(&f, stderr);
		return 1;
	}
	flow_findings_free(&f);
	memset(&eng, 0, sizeof(eng));
	eng.set = set;
	start = mono_ms();
	do {
		/* Bounded: at most 10 million conversations. */
		for (int i = 0; i < 1000; i++) {
			struct engine_result r = {0};
			struct flow_session *s;
			char *dump;

			s = engine_session_new(
			    ENGINE_SMS, "+254700000001", NULL, 0);
			if (engine_route_sms(&eng, s, "BENCH", &r) != 1 ||
			    r.status != ENGINE_WAIT)
				return 1;
			/* Each wait is stored and loaded, as the gateway does. */
			dump = engine_session_dump(s);
			engine_session_free(s);
			engine_session_load(dump, strlen(dump), &s);
			free(dump);
			engine_input(&eng, s, "Amina", &r);
			dump = engine_session_dump(s);
			engine_session_free(s);
			engine_session_load(dump, strlen(dump), &s);
			free(dump);
			engine_input(&eng, s, "2", &r);
			if (r.status != ENGINE_END ||
			    strstr(r.text, "Majengo") == NULL)
				return 1;
			engine_result_free(&r);
			engine_session_free(s);
		}
		runs += 1000;
		now = mono_ms();
	} while (now - start < secs * 1000 && runs < 10000000);
	printf("engine: %.0f conversations/s, %.0f steps/s (3 steps each, "
	       "session saved and loaded at each wait)\n",
	    runs * 1000.0 / (double)(now - start),
	    runs * 3000.0 / (double)(now - start));
	flowset_free(set);
	return 0;
}
