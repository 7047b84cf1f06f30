/*
 * test_pg_msg.c: the PostgreSQL store's messages, queue, idempotency keys
 * and modem state (store_pg_msg.c) against SQLite's (store_msg.c,
 * store_misc.c): the same calls on an empty store of each kind must give
 * the same answers, written down line by line and compared. Skipped where
 * PostgreSQL is not installed (pgtest.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/store_int.h"
#include "gateway/store_pg.h"
#include "lib/util.h"
#include "pgtest.h"

#define T0 INT64_C(1764900000000) /* a fixed time: any day works */

enum { T_SPEND, T_FORGET, T_CONTACT, T_N };

static const char *const t_sql[T_N] = {
    [T_SPEND] = "SELECT coalesce(sum(segments), 0) FROM spend"
		" WHERE channel = $1",
    [T_FORGET] = "UPDATE messages SET text = NULL WHERE id = $1",
    [T_CONTACT] = "INSERT INTO contacts (phone, created, updated)"
		  " VALUES ($1, 1, 1)",
};

static const struct pgs_sql t_tab = {PGS_PART_TEST, t_sql, T_N};

/* Runs test statement i with one text parameter. */
static void
t_exec(struct store *st, int i, const char *text)
{
	struct pgs_params p;

	pgs_p_init(&p);
	pgs_p_text(&p, text);
	assert_int_equal(pgs_exec(st, &t_tab, i, &p, NULL), 0);
}

/*
 * Message id's text forgotten (as privacy does): SQLite by hand, since the
 * operation that does it belongs to another part.
 */
static void
forget(struct store *st, int pg, int64_t id)
{
	char sql[80], num[24];

	snprintf(num, sizeof(num), "%lld", (long long)id);
	if (pg) {
		t_exec(st, T_FORGET, num);
		return;
	}
	snprintf(sql, sizeof(sql),
	    "UPDATE messages SET text = NULL WHERE id = %s", num);
	assert_int_equal(
	    sqlite3_exec(st->db, sql, NULL, NULL, NULL), SQLITE_OK);
}

/* A contact for phone (id 1 in an empty store), each kind its own way. */
static void
contact(struct store *st, int pg, const char *phone)
{
	struct store_contact c;

	if (pg) {
		t_exec(st, T_CONTACT, phone);
		return;
	}
	assert_int_equal(store_contact_touch(st, phone, "at", 1, &c), 1);
	assert_int_equal(c.id, 1);
	store_contact_free(&c);
}

/* The segments spent on channel: each kind asked its own way. */
static int64_t
spent(struct store *st, int pg, const char *channel)
{
	int64_t n = -1;

	if (pg) {
		struct pgs_params p;
		PGresult *r;

		pgs_p_init(&p);
		pgs_p_text(&p, channel);
		r = pgs_run(st, &t_tab, T_SPEND, &p);
		assert_non_null(r);
		n = pgs_get_int(r, 0, 0);
		PQclear(r);
	} else {
		char day[STORE_DAY_LEN];

		assert_int_equal(store_spend_segments(st, channel,
				     store_local_day(T0 + 50, day), &n),
		    0);
	}
	return n;
}

static int
on_received(void *arg, const struct store_msg_received *m)
{
	buf_printf(arg, "received %lld %s %s %s\n", (long long)m->id,
	    m->channel, m->phone, m->text ? m->text : "-");
	return 0;
}

static int
on_modem(void *arg, const struct store_modem *m)
{
	buf_printf(arg,
	    "modem %s up=%d signal=%d net=%s bal=%s at=%lld "
	    "err=%s fail=%lld rest=%lld upd=%lld\n",
	    m->channel, m->up, m->signal, m->network ? m->network : "-",
	    m->balance ? m->balance : "-", (long long)m->balance_at,
	    m->last_error ? m->last_error : "-", (long long)m->failures,
	    (long long)m->restarts, (long long)m->updated);
	return 0;
}

static void
show_msg(struct store *st, struct buf *b, int64_t id)
{
	struct store_msg m;
	int rc = store_msg_get(st, id, &m);

	if (rc != 0) {
		buf_printf(b, "get %lld -> %d\n", (long long)id, rc);
		return;
	}
	buf_printf(b,
	    "get %lld dir=%d ch=%s phone=%s state=%s err=%s pid=%s "
	    "att=%d seg=%d c=%lld u=%lld\n",
	    (long long)m.id, (int)m.direction, m.channel, m.phone,
	    msg_state_name(m.state), m.error ? m.error : "-",
	    m.provider_id ? m.provider_id : "-", m.attempts, m.segments,
	    (long long)m.created, (long long)m.updated);
	store_msg_free(&m);
}

static void
claim(struct store *st, struct buf *b, const char *ch, int64_t now, size_t max,
    int64_t upto)
{
	struct store_queue_msg *v;
	size_t n, i;
	int rc = store_queue_claim_upto(st, ch, now, max, upto, &v, &n);

	buf_printf(b, "claim %s -> %d n=%zu\n", ch, rc, n);
	for (i = 0; i < n; i++)
		buf_printf(b, "  %lld %s %s att=%d c=%lld seg=%d\n",
		    (long long)v[i].id, v[i].phone, v[i].text, v[i].attempts,
		    (long long)v[i].created, v[i].segments);
	store_queue_msgs_free(v, n);
}

/* The calls, the same on both kinds; what they answered goes to b. */
static void
script(struct store *st, int pg, struct buf *b)
{
	struct store_msg_in in = {.channel = "at",
	    .kind = MSG_SMS,
	    .phone = "+254700000001",
	    .text = "BAL 1234567",
	    .state = MSG_RECEIVED,
	    .provider_id = "ATXid_1"};
	struct store_msg_out out = {.channel = "at",
	    .kind = MSG_SMS,
	    .phone = "+254700000002",
	    .text = "Your balance is KES 1,250.",
	    .state = MSG_QUEUED,
	    .segments = 1,
	    .next_attempt = T0};
	static const unsigned char hash[STORE_IDEM_HASH] = {1, 2, 0, 4, 255};
	struct store_modem m = {.channel = "m1",
	    .up = 1,
	    .signal = 71,
	    .network = "Safaricom",
	    .balance = "KES 40",
	    .balance_at = T0,
	    .failures = 2,
	    .restarts = 1,
	    .updated = T0 + 1};
	struct store_idem idem;
	struct store_contact c;
	int64_t id = 0, o[5];
	int i, rc;

	/* Inbound: once per provider id, a retry answered as a duplicate. */
	rc = store_msg_insert_inbound(st, &in, T0, &id);
	buf_printf(b, "in -> %d %lld\n", rc, (long long)id);
	in.provider_id = NULL;
	in.text = "STATUS 42";
	rc = store_msg_insert_inbound_contact(st, &in, T0 + 2, &id, &c);
	buf_printf(b, "in contact -> %d %lld %lld\n", rc, (long long)id,
	    (long long)c.id);
	store_contact_free(&c);
	rc = store_msg_insert_inbound_contact(st, &in, T0 + 3, &id, &c);
	buf_printf(b, "in contact again -> %d %lld\n", rc, (long long)id);
	store_contact_free(&c);
	contact(st, pg, "+254700000009");
	in.phone = "+254700000009";
	in.provider_id = "ATXid_2";
	rc = store_msg_insert_inbound_contact(st, &in, T0 + 3, &id, &c);
	/* The whole contact comes back, for the flow not to read it again. */
	buf_printf(b, "in known contact -> %d %lld %lld %s %s\n", rc,
	    (long long)id, (long long)c.id, c.phone, c.fields);
	store_contact_free(&c);
	in.phone = "+254700000001";
	in.provider_id = "";
	in.state = MSG_QUEUED;
	buf_printf(b, "in bad state -> %d\n",
	    store_msg_insert_inbound(st, &in, T0, &id));
	buf_printf(b, "state -> %d\n",
	    store_msg_inbound_state(st, id, MSG_HANDLED, 0, T0 + 4));
	buf_printf(b, "state bad -> %d\n",
	    store_msg_inbound_state(st, 2, MSG_SENT, 0, T0 + 4));
	buf_printf(
	    b, "each -> %d\n", store_msg_each_received(st, on_received, b));

	/* Outbound and the queue. */
	for (i = 0; i < 5; i++) {
		out.next_attempt = T0 + (i == 4 ? 5000 : 0);
		out.segments = i + 1;
		rc = store_msg_insert_outbound(st, &out, T0 + 10 + i, &o[i]);
		buf_printf(b, "out -> %d %lld\n", rc, (long long)o[i]);
	}
	out.state = MSG_RECEIVED;
	buf_printf(b, "out bad -> %d\n",
	    store_msg_insert_outbound(st, &out, T0, NULL));
	buf_printf(b, "max id %lld\n", (long long)store_msg_max_id(st));
	buf_printf(b, "next due %lld none %lld\n",
	    (long long)store_queue_next_due(st, "at"),
	    (long long)store_queue_next_due(st, "tw"));
	/* Only ids up to the durable watermark, then two at a time. */
	claim(st, b, "at", T0 + 20, 10, o[0]);
	claim(st, b, "at", T0 + 20, 2, INT64_MAX);
	buf_printf(
	    b, "sent -> %d\n", store_queue_sent(st, o[0], "prov-1", T0 + 30));
	buf_printf(b, "sent again -> %d\n",
	    store_queue_sent(st, o[0], "prov-1", T0 + 31));
	buf_printf(b, "retry -> %d\n",
	    store_queue_retry(st, o[1], T0 + 2000, "busy", T0 + 32));
	buf_printf(
	    b, "fail -> %d\n", store_queue_fail(st, o[2], NULL, T0 + 33));
	buf_printf(b, "spent %lld\n", (long long)spent(st, pg, "at"));
	buf_printf(b, "report -> %d\n",
	    store_queue_report(
		st, "at", "prov-1", 0, MSG_DELIVERED, NULL, T0 + 40));
	buf_printf(b, "report again -> %d\n",
	    store_queue_report(
		st, "at", "prov-1", 0, MSG_FAILED, "late", T0 + 41));
	buf_printf(b, "report own -> %d\n",
	    store_queue_report(st, "at", NULL, o[2], MSG_SENT, NULL, T0 + 42));
	buf_printf(b, "report bad -> %d\n",
	    store_queue_report(st, "at", "x", 0, MSG_HANDLED, NULL, T0));
	rc = store_queue_newest(st, "at", "prov-1", &id);
	buf_printf(b, "newest -> %d %lld\n", rc, (long long)id);
	rc = store_queue_newest(st, "at", "nope", &id);
	buf_printf(b, "newest none -> %d %lld\n", rc, (long long)id);
	claim(st, b, "at", T0 + 3000, 1, INT64_MAX);
	buf_printf(b, "recover -> %d\n", store_queue_recover(st, T0 + 50));
	buf_printf(b, "move -> %d\n",
	    store_queue_move(st, "at", "tw", T0 + 60, T0 + 60));
	claim(st, b, "tw", T0 + 10000, 10, INT64_MAX);
	for (i = 0; i < 5; i++)
		show_msg(st, b, o[i]);
	show_msg(st, b, 1);
	show_msg(st, b, 999);

	/* Sent with the channel and segments of its claim: spent once. */
	out.channel = "sp";
	out.state = MSG_QUEUED;
	out.segments = 3;
	out.next_attempt = T0;
	rc = store_msg_insert_outbound(st, &out, T0 + 70, &id);
	claim(st, b, "sp", T0 + 70, 10, INT64_MAX);
	buf_printf(b, "sent claimed -> %d\n",
	    store_queue_sent_claimed(st, id, "prov-sp", "sp", 3, T0 + 71));
	buf_printf(b, "sent claimed again -> %d\n",
	    store_queue_sent_claimed(st, id, "prov-sp", "sp", 3, T0 + 72));
	buf_printf(b, "spent sp %lld\n", (long long)spent(st, pg, "sp"));
	show_msg(st, b, id);

	/* Stored claimed (outq_enqueue when its channel has room): its first
	 * attempt, no claim finds it, and it is sent as a claimed one. */
	out.channel = "sk";
	out.state = MSG_SENDING;
	out.segments = 1;
	rc = store_msg_insert_outbound(st, &out, T0 + 80, &id);
	buf_printf(b, "out sending -> %d\n", rc);
	show_msg(st, b, id);
	claim(st, b, "sk", T0 + 80, 10, INT64_MAX);
	buf_printf(b, "sent taken -> %d\n",
	    store_queue_sent_claimed(st, id, "prov-sk", "sk", 1, T0 + 81));
	show_msg(st, b, id);

	/* A provider's retry, last: PostgreSQL's identity spends a number on
	 * the row not inserted, SQLite not (ids are unique, not dense, on
	 * either). */
	in.provider_id = "ATXid_1";
	in.state = MSG_RECEIVED;
	rc = store_msg_insert_inbound(st, &in, T0 + 1, &id);
	buf_printf(b, "in again -> %d %lld\n", rc, (long long)id);
	in.phone = "+254700000009";
	in.provider_id = "ATXid_2";
	rc = store_msg_insert_inbound_contact(st, &in, T0 + 4, &id, &c);
	buf_printf(b, "in known contact dup -> %d %lld %lld\n", rc,
	    (long long)id, (long long)c.id);
	store_contact_free(&c);

	/* Idempotency keys. */
	rc = store_idem_get(st, "messages", "k1", &idem);
	buf_printf(b, "idem none -> %d\n", rc);
	buf_printf(b, "idem put -> %d\n",
	    store_idem_put(st, "messages", "k1", hash, 202, "{\"id\":5}", T0));
	buf_printf(b, "idem put again -> %d\n",
	    store_idem_put(
		st, "messages", "k1", hash, 202, "{\"id\":6}", T0 + 5));
	rc = store_idem_get(st, "messages", "k1", &idem);
	buf_printf(b, "idem -> %d len=%zu st=%d %s c=%lld same=%d\n", rc,
	    idem.hash_len, idem.status, idem.answer, (long long)idem.created,
	    memcmp(idem.hash, hash, sizeof(hash)) == 0);
	store_idem_free(&idem);
	buf_printf(
	    b, "purge -> %lld\n", (long long)store_idem_purge(st, T0 + 6));
	buf_printf(b, "idem gone -> %d\n",
	    store_idem_get(st, "messages", "k1", &idem));

	/* Modem state. */
	buf_printf(b, "modem none -> %d\n",
	    store_modem_state_get(st, "m1", on_modem, b));
	buf_printf(b, "modem put -> %d\n", store_modem_state_put(st, &m));
	m.balance = NULL;
	m.balance_at = -1;
	m.network = NULL;
	m.up = 0;
	buf_printf(b, "modem put again -> %d\n", store_modem_state_put(st, &m));
	buf_printf(
	    b, "modem -> %d\n", store_modem_state_get(st, "m1", on_modem, b));
}

/* A forgotten text stays queued but uses up a place in the claim. */
static void
forgotten(struct store *st, int pg, struct buf *b)
{
	struct store_msg_out out = {.channel = "at",
	    .kind = MSG_SMS,
	    .phone = "+254700000002",
	    .text = "Collection moves to Thursday.",
	    .state = MSG_QUEUED,
	    .segments = 1,
	    .next_attempt = T0};
	int64_t id[3];
	int i;

	for (i = 0; i < 3; i++)
		assert_int_equal(
		    store_msg_insert_outbound(st, &out, T0, &id[i]), 0);
	forget(st, pg, id[0]);
	claim(st, b, "at", T0, 2, INT64_MAX);
	claim(st, b, "at", T0, 2, INT64_MAX);
	claim(st, b, "at", T0, 2, INT64_MAX);
	for (i = 0; i < 3; i++)
		show_msg(st, b, id[i]);
	buf_printf(
	    b, "next due %lld\n", (long long)store_queue_next_due(st, "at"));
	buf_printf(b, "claim none -> %d\n",
	    store_queue_claim(st, "at", T0, 0,
		&(struct store_queue_msg *){NULL}, &(size_t){1}));
}

static void
test_forgotten_text(void **state)
{
	struct store *sq, *pg;
	struct buf a, b;

	(void)state;
	if (pgtest_pair(&sq, &pg) != 0)
		skip();
	buf_init(&a, 1 << 16);
	buf_init(&b, 1 << 16);
	forgotten(sq, 0, &a);
	forgotten(pg, 1, &b);
	assert_string_equal(buf_cstr(&b), buf_cstr(&a));
	assert_non_null(strstr(buf_cstr(&a), "claim at -> 0 n=1\n  2 "));
	buf_free(&a);
	buf_free(&b);
	store_close(sq);
	store_close(pg);
}

static void
test_same_answers(void **state)
{
	struct store *sq, *pg;
	struct buf a, b;

	(void)state;
	if (pgtest_pair(&sq, &pg) != 0)
		skip();
	buf_init(&a, 1 << 20);
	buf_init(&b, 1 << 20);
	script(sq, 0, &a);
	script(pg, 1, &b);
	assert_string_equal(buf_cstr(&b), buf_cstr(&a));
	/* And the answers are the ones meant, not two equal mistakes. */
	assert_non_null(strstr(buf_cstr(&a), "in again -> -3 1\n"));
	assert_non_null(strstr(
	    buf_cstr(&a), "in known contact -> 0 4 1 +254700000009 {}\n"));
	assert_non_null(
	    strstr(buf_cstr(&a), "in known contact dup -> -3 4 1\n"));
	assert_non_null(strstr(buf_cstr(&a), "claim at -> 0 n=1\n"));
	assert_non_null(strstr(buf_cstr(&a), "sent again -> 0\n"));
	assert_non_null(strstr(buf_cstr(&a), "report again -> 1\n"));
	assert_non_null(strstr(buf_cstr(&a), "recover -> 1\n"));
	assert_non_null(strstr(buf_cstr(&a), "sent claimed again -> 0\n"));
	assert_non_null(strstr(buf_cstr(&a), "spent sp 3\n"));
	assert_non_null(
	    strstr(buf_cstr(&a), "ch=sk phone=+254700000002 "
				 "state=sending err=- pid=- att=1"));
	assert_non_null(strstr(buf_cstr(&a), "claim sk -> 0 n=0\n"));
	assert_non_null(
	    strstr(buf_cstr(&a), "state=sent err=- pid=prov-sk att=1"));
	buf_free(&a);
	buf_free(&b);
	store_close(sq);
	store_close(pg);
}

/* Two nodes claiming at once never take the same message. */
static void
test_claims_skip_locked(void **state)
{
	struct store *sq, *pg, *other;
	struct store_msg_out out = {.channel = "at",
	    .kind = MSG_SMS,
	    .phone = "+254700000002",
	    .text = "Water is back on.",
	    .state = MSG_QUEUED,
	    .segments = 1,
	    .next_attempt = T0};
	struct store_queue_msg *v, *w;
	size_t n, k;
	char *err = NULL;
	int i;

	(void)state;
	if (pgtest_pair(&sq, &pg) != 0)
		skip();
	for (i = 0; i < 4; i++)
		assert_int_equal(
		    store_msg_insert_outbound(pg, &out, T0, NULL), 0);
	assert_int_equal(store_open(pgtest_uri(), 0, &other, &err), 0);
	/* The first node's claim is not committed yet when the second asks. */
	assert_int_equal(store_begin(pg), 0);
	assert_int_equal(
	    store_queue_claim_upto(pg, "at", T0, 3, INT64_MAX, &v, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(store_begin(other), 0);
	assert_int_equal(
	    store_queue_claim_upto(other, "at", T0, 3, INT64_MAX, &w, &k), 0);
	assert_int_equal(k, 1);
	assert_int_equal(w[0].id, 4);
	assert_int_equal(store_commit(other), 0);
	assert_int_equal(store_commit(pg), 0);
	assert_int_equal(v[0].id, 1);
	assert_int_equal(v[2].id, 3);
	store_queue_msgs_free(v, n);
	store_queue_msgs_free(w, k);
	store_close(other);
	store_close(sq);
	store_close(pg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_answers),
	    cmocka_unit_test(test_forgotten_text),
	    cmocka_unit_test(test_claims_skip_locked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
