/*
 * test_mailbox.c: calls between loops on two threads (lib/mailbox.c):
 * each runs on the receiver's thread, in the order posted, a turn's posts
 * in one batch; a ping-pong both ways; a close hands over what is posted,
 * and a closed mailbox drops what it still held, unrun.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

#include "lib/mailbox.h"
#include "lib/util.h"

#define NCALLS 1000
#define ROUNDS 200

/* The test's loop and a side loop on a thread of its own. */
struct pair {
	uv_loop_t loop, side_loop;
	uv_thread_t side, main_tid, side_tid;
	struct mailbox to_main, to_side;
	struct outbox main_out, side_out;
	uv_timer_t start; /* side: its first turn */
	uv_check_t turns; /* main: counts its turns */
	int turn;         /* main's turns so far */
	int first_turn;   /* the turn the first call ran in */
	int last_turn;    /* and the last one */
	int next;         /* the number expected next */
	int wrong;        /* calls on the wrong thread or out of order */
	int rounds;       /* ping-pong rounds done */
	int bye;          /* the side's last word arrived */
	int closed;       /* main's handles closed */
};

struct call {
	struct pair *p;
	int n;
};

static int
on_thread(uv_thread_t *t)
{
	uv_thread_t me = uv_thread_self();

	return uv_thread_equal(t, &me);
}

static void
on_turn(uv_check_t *c)
{
	struct pair *p = c->data;

	p->turn++;
}

static void
on_handle_closed(uv_handle_t *h)
{
	struct pair *p = h->data;

	if (p != NULL)
		p->closed++;
}

static void
on_main_mb_closed(struct mailbox *mb)
{
	container_of(mb, struct pair, to_main)->closed++;
}

static void
on_main_ob_closed(struct outbox *ob)
{
	container_of(ob, struct pair, main_out)->closed++;
}

static void
side_run(void *arg)
{
	struct pair *p = arg;

	p->side_tid = uv_thread_self();
	uv_run(&p->side_loop, UV_RUN_DEFAULT);
}

/* Both loops, the mailboxes both ways; the side's thread not started. */
static void
pair_init(struct pair *p)
{
	memset(p, 0, sizeof(*p));
	p->main_tid = uv_thread_self();
	assert_int_equal(uv_loop_init(&p->loop), 0);
	assert_int_equal(uv_loop_init(&p->side_loop), 0);
	assert_int_equal(mailbox_init(&p->to_main, &p->loop), 0);
	assert_int_equal(mailbox_init(&p->to_side, &p->side_loop), 0);
	assert_int_equal(outbox_init(&p->main_out, &p->loop, &p->to_side), 0);
	assert_int_equal(
	    outbox_init(&p->side_out, &p->side_loop, &p->to_main), 0);
	uv_check_init(&p->loop, &p->turns);
	p->turns.data = p;
	uv_check_start(&p->turns, on_turn);
	uv_unref((uv_handle_t *)&p->turns);
	p->first_turn = -1;
}

/* Side: closes its two handles; its loop then ends. */
static void
side_close(struct pair *p)
{
	outbox_close(&p->side_out, NULL);
	mailbox_close(&p->to_side, NULL);
}

/* Main: the side's last word. Joins it, then closes main's handles. */
static void
on_bye(void *arg)
{
	struct pair *p = arg;

	if (!on_thread(&p->main_tid))
		p->wrong++;
	p->bye = 1;
	assert_int_equal(uv_thread_join(&p->side), 0);
	assert_int_equal(uv_loop_close(&p->side_loop), 0);
	outbox_close(&p->main_out, on_main_ob_closed);
	mailbox_close(&p->to_main, on_main_mb_closed);
	p->turns.data = p;
	uv_close((uv_handle_t *)&p->turns, on_handle_closed);
}

static void
pair_run(struct pair *p)
{
	assert_int_equal(uv_thread_create(&p->side, side_run, p), 0);
	uv_run(&p->loop, UV_RUN_DEFAULT);
	assert_int_equal(p->bye, 1);
	assert_int_equal(p->closed, 3);
	assert_int_equal(uv_loop_close(&p->loop), 0);
	assert_int_equal(p->wrong, 0);
}

/* Main: one numbered call. */
static void
on_call(void *arg)
{
	struct call *c = arg;
	struct pair *p = c->p;

	if (!on_thread(&p->main_tid) || c->n != p->next)
		p->wrong++;
	if (p->first_turn < 0)
		p->first_turn = p->turn;
	p->last_turn = p->turn;
	p->next++;
	free(c);
}

/* Side: NCALLS calls in one turn, its last word, and its close. */
static void
on_side_start(uv_timer_t *t)
{
	struct pair *p = t->data;
	int i;

	for (i = 0; i < NCALLS; i++) {
		struct call *c = malloc(sizeof(*c));

		assert_non_null(c);
		c->p = p;
		c->n = i;
		outbox_post(&p->side_out, on_call, c);
	}
	outbox_post(&p->side_out, on_bye, p);
	t->data = NULL;
	uv_close((uv_handle_t *)t, on_handle_closed);
	side_close(p);
}

static void
test_one_turn_in_order(void **state)
{
	struct pair p;

	(void)state;
	pair_init(&p);
	uv_timer_init(&p.side_loop, &p.start);
	p.start.data = &p;
	uv_timer_start(&p.start, on_side_start, 0, 0);
	pair_run(&p);
	assert_int_equal(p.next, NCALLS);
	/* One turn's posts cross together: main ran them in one turn. */
	assert_int_equal(p.first_turn, p.last_turn);
}

static void on_ping(void *arg);

/* Main: a pong; the next ping, or the end. */
static void
on_pong(void *arg)
{
	struct pair *p = arg;

	if (!on_thread(&p->main_tid))
		p->wrong++;
	if (++p->rounds < ROUNDS)
		outbox_post(&p->main_out, on_ping, p);
	else
		outbox_post(&p->main_out, on_ping, NULL);
}

/* Side: a ping answered with a pong; NULL: the end. */
static void
on_ping(void *arg)
{
	struct pair *p = arg;

	if (p == NULL)
		return;
	if (!on_thread(&p->side_tid))
		p->wrong++;
	outbox_post(&p->side_out, on_pong, p);
}

/* Side: the end of the ping-pong, told apart from a ping by the pair. */
static void
on_side_end(void *arg)
{
	struct pair *p = arg;

	outbox_post(&p->side_out, on_bye, p);
	side_close(p);
}

/* Main: after the last pong, the side is told to end. */
static void
on_last_pong(uv_check_t *c)
{
	struct pair *p = c->data;

	if (p->rounds == ROUNDS) {
		p->rounds++;
		outbox_post(&p->main_out, on_side_end, p);
		uv_close((uv_handle_t *)c, NULL);
	}
}

static void
test_ping_pong(void **state)
{
	struct pair p;
	uv_check_t end;

	(void)state;
	pair_init(&p);
	uv_check_init(&p.loop, &end);
	end.data = &p;
	uv_check_start(&end, on_last_pong);
	uv_unref((uv_handle_t *)&end);
	outbox_post(&p.main_out, on_ping, &p);
	pair_run(&p);
	assert_int_equal(p.rounds, ROUNDS + 1);
}

static int ran;

static void
on_never(void *arg)
{
	(void)arg;
	ran++;
}

static int mb_closed, ob_closed;

static void
on_mb_closed(struct mailbox *mb)
{
	(void)mb;
	mb_closed++;
}

static void
on_ob_closed(struct outbox *ob)
{
	(void)ob;
	ob_closed++;
}

/* One loop: what a closed mailbox still held is dropped, unrun. */
static void
test_close_drops(void **state)
{
	uv_loop_t loop;
	struct mailbox mb;
	struct outbox ob;
	int i;

	(void)state;
	ran = mb_closed = ob_closed = 0;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(mailbox_init(&mb, &loop), 0);
	assert_int_equal(outbox_init(&ob, &loop, &mb), 0);
	for (i = 0; i < 5; i++)
		outbox_post(&ob, on_never, NULL);
	/* Handed over by the close, then dropped by the mailbox's. */
	outbox_close(&ob, on_ob_closed);
	mailbox_close(&mb, on_mb_closed);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(ran, 0);
	assert_int_equal(mb_closed, 1);
	assert_int_equal(ob_closed, 1);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* One loop: posts to oneself run in the next turn, in order. */
static int order[3], norder;

static void
on_ordered(void *arg)
{
	order[norder++] = (int)(intptr_t)arg;
}

static void
test_same_loop(void **state)
{
	uv_loop_t loop;
	struct mailbox mb;
	struct outbox ob;

	(void)state;
	norder = 0;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(mailbox_init(&mb, &loop), 0);
	assert_int_equal(outbox_init(&ob, &loop, &mb), 0);
	outbox_post(&ob, on_ordered, (void *)(intptr_t)1);
	outbox_post(&ob, on_ordered, (void *)(intptr_t)2);
	outbox_post(&ob, on_ordered, (void *)(intptr_t)3);
	assert_int_equal(norder, 0);
	uv_run(&loop, UV_RUN_NOWAIT);
	uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(norder, 3);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[2], 3);
	outbox_close(&ob, NULL);
	mailbox_close(&mb, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_one_turn_in_order),
	    cmocka_unit_test(test_ping_pong),
	    cmocka_unit_test(test_close_drops),
	    cmocka_unit_test(test_same_loop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
