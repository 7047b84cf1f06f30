/*
 * test_sig.c: HMAC-SHA256 (RFC 4231 vectors), the http channel's header
 * (with its time window and strict syntax),
 * Twilio's signature (the example from Twilio's documentation) and the
 * constant-time secret comparison.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

#include "lib/sig.h"

static void
test_rfc4231(void **state)
{
	unsigned char key[131], data[50];
	char hex[SIG_SHA256_HEX_LEN + 1];

	(void)state;
	/* Test case 1. */
	memset(key, 0x0b, 20);
	assert_int_equal(
	    sig_hmac_sha256_hex(key, 20, "Hi There", 8, hex, sizeof(hex)), 0);
	assert_string_equal(hex, "b0344c61d8db38535ca8afceaf0bf12b"
				 "881dc200c9833da726e9376c2e32cff7");
	/* Test case 2. */
	assert_int_equal(
	    sig_hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28,
		hex, sizeof(hex)),
	    0);
	assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c7"
				 "5a003f089d2739839dec58b964ec3843");
	/* Test case 3. */
	memset(key, 0xaa, 20);
	memset(data, 0xdd, 50);
	assert_int_equal(
	    sig_hmac_sha256_hex(key, 20, data, 50, hex, sizeof(hex)), 0);
	assert_string_equal(hex, "773ea91e36800e46854db8ebd09181a7"
				 "2959098b3ef8c122d9635514ced565fe");
	/* Test case 6: a key longer than the block size. */
	memset(key, 0xaa, 131);
	assert_int_equal(sig_hmac_sha256_hex(key, 131,
			     "Test Using Larger Than Block-Size Key - Hash Key "
			     "First",
			     54, hex, sizeof(hex)),
	    0);
	assert_string_equal(hex, "60e431591ee0b67f0d8a26aacbf5b77f"
				 "8e0bc6213728c5140546040f0ee37f54");

	/* Bad arguments fail cleanly. */
	assert_int_equal(
	    sig_hmac_sha256_hex("", 0, "x", 1, hex, sizeof(hex)), -1);
	assert_int_equal(sig_hmac_sha256_hex("k", 1, "x", 1, hex, 64), -1);
	assert_int_equal(
	    sig_hmac_sha256_hex("k", 1, NULL, 1, hex, sizeof(hex)), -1);
}

/* A fixed moment: 2025-11-24T16:00:00Z. */
#define T0 INT64_C(1764000000)

/*
 * Keyed contexts are kept for 16 keys at most (lib/sig.c): with 40 keys in
 * turn, twice over, every entry is replaced again and again, and each MAC
 * is still the same; keys that share a prefix or differ only in length
 * are not confused, and RFC 4231's case 2 holds before and after.
 */
static void
test_keyed_contexts_churn(void **state)
{
	static const char jefe[] = "5bdcc146bf60754e6a042426089575c7"
				   "5a003f089d2739839dec58b964ec3843";
	char first[40][SIG_SHA256_HEX_LEN + 1], hex[SIG_SHA256_HEX_LEN + 1];
	char key[16];
	int round, i, j;

	(void)state;
	assert_int_equal(
	    sig_hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28,
		hex, sizeof(hex)),
	    0);
	assert_string_equal(hex, jefe);
	for (round = 0; round < 2; round++)
		for (i = 0; i < 40; i++) {
			snprintf(key, sizeof(key), "key-%d", i);
			assert_int_equal(sig_hmac_sha256_hex(key, strlen(key),
					     "body", 4, hex, sizeof(hex)),
			    0);
			if (round == 0)
				memcpy(first[i], hex, sizeof(hex));
			else
				assert_string_equal(hex, first[i]);
		}
	/* "key-1" and "key-10".."key-19": no two MACs alike. */
	for (i = 0; i < 40; i++)
		for (j = i + 1; j < 40; j++)
			assert_string_not_equal(first[i], first[j]);
	/* A key that is another's prefix, as the same bytes' length. */
	assert_int_equal(
	    sig_hmac_sha256_hex("key-1", 4, "body", 4, hex, sizeof(hex)), 0);
	assert_string_not_equal(hex, first[1]);
	assert_int_equal(
	    sig_hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28,
		hex, sizeof(hex)),
	    0);
	assert_string_equal(hex, jefe);
}

/*
 * RFC 4231's cases 1 to 3, each key's context used again and again: the
 * second computation with a key starts the thread's context over
 * (lib/sig.c), and must give the same MAC as the first. Returns the
 * number of wrong MACs.
 */
static int
rfc4231_again(int rounds)
{
	static const char *const want[3] = {
	    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
	    "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"};
	unsigned char k1[20], k3[20], d3[50];
	char hex[SIG_SHA256_HEX_LEN + 1];
	int round, wrong = 0;

	memset(k1, 0x0b, sizeof(k1));
	memset(k3, 0xaa, sizeof(k3));
	memset(d3, 0xdd, sizeof(d3));
	for (round = 0; round < rounds; round++) {
		if (sig_hmac_sha256_hex(
			k1, 20, "Hi There", 8, hex, sizeof(hex)) != 0 ||
		    strcmp(hex, want[0]) != 0)
			wrong++;
		/* An empty message with case 2's key between: no trace. */
		if (sig_hmac_sha256_hex("Jefe", 4, NULL, 0, hex, sizeof(hex)) !=
		    0)
			wrong++;
		if (sig_hmac_sha256_hex("Jefe", 4,
			"what do ya want for nothing?", 28, hex,
			sizeof(hex)) != 0 ||
		    strcmp(hex, want[1]) != 0)
			wrong++;
		if (sig_hmac_sha256_hex(k3, 20, d3, 50, hex, sizeof(hex)) !=
			0 ||
		    strcmp(hex, want[2]) != 0)
			wrong++;
	}
	return wrong;
}

static void
thread_again(void *arg)
{
	*(int *)arg = rfc4231_again(200);
}

/*
 * A key's context started over gives the MAC a new one gives, on this
 * thread and on four at once (each thread has its own contexts, freed
 * when it ends).
 */
static void
test_keyed_contexts_again(void **state)
{
	uv_thread_t t[4];
	int wrong[4], i;

	(void)state;
	assert_int_equal(rfc4231_again(5), 0);
	for (i = 0; i < 4; i++) {
		wrong[i] = -1;
		assert_int_equal(
		    uv_thread_create(&t[i], thread_again, &wrong[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(uv_thread_join(&t[i]), 0);
		assert_int_equal(wrong[i], 0);
	}
	assert_int_equal(rfc4231_again(1), 0);
}

static void
test_http_header(void **state)
{
	const char *body = "{\"id\":1}";
	char h[SIG_HEADER_LEN + 1];

	(void)state;
	/* HEX is the HMAC-SHA256 of "UNIX.BODY" (openssl dgst -hmac). */
	assert_int_equal(
	    sig_http_sign("secret", T0, body, strlen(body), h, sizeof(h)), 0);
	assert_string_equal(h, "t=1764000000,sha256="
			       "65f44de4d5d7ee775de02a79c493612b"
			       "5ce867670e87791f98af05dde00ace20");
	assert_int_equal(
	    sig_http_verify("secret", T0, body, strlen(body), h), SIG_VALID);
	/* The prefix and the hex digits may come in upper case. */
	assert_int_equal(sig_http_verify("secret", T0, body, strlen(body),
			     "t=1764000000,SHA256="
			     "65F44DE4D5D7EE775DE02A79C493612B"
			     "5CE867670E87791F98AF05DDE00ACE20"),
	    SIG_VALID);
	/* An empty body has a signature too. */
	assert_int_equal(sig_http_sign("secret", T0, NULL, 0, h, sizeof(h)), 0);
	assert_string_equal(h, "t=1764000000,sha256="
			       "a9022fa0adf2d1c41125229f95b1075b"
			       "5dba92a2db3396d14d58fb2c7266399d");
	assert_int_equal(sig_http_verify("secret", T0, "", 0, h), SIG_VALID);
	/* The longest header fits the buffer. */
	assert_int_equal(sig_http_sign("secret", INT64_C(999999999999), body,
			     strlen(body), h, sizeof(h)),
	    0);
	assert_int_equal(strlen(h), SIG_HEADER_LEN);
	assert_int_equal(sig_http_verify("secret", INT64_C(999999999999), body,
			     strlen(body), h),
	    SIG_VALID);

	/* Wrong key, body, digit; empty key. */
	assert_int_equal(
	    sig_http_sign("secret", T0, body, strlen(body), h, sizeof(h)), 0);
	assert_int_equal(
	    sig_http_verify("secreT", T0, body, strlen(body), h), SIG_MISMATCH);
	assert_int_equal(
	    sig_http_verify("secret", T0, "{\"id\":2}", 8, h), SIG_MISMATCH);
	assert_int_equal(
	    sig_http_verify("", T0, body, strlen(body), h), SIG_MISMATCH);
	assert_int_equal(
	    sig_http_verify(NULL, T0, body, strlen(body), h), SIG_MISMATCH);
	h[strlen(h) - 1] = h[strlen(h) - 1] == '0' ? '1' : '0';
	assert_int_equal(
	    sig_http_verify("secret", T0, body, strlen(body), h), SIG_MISMATCH);

	/* Signing refuses an empty key, a bad time, a short buffer. */
	assert_int_equal(
	    sig_http_sign("", T0, body, strlen(body), h, sizeof(h)), -1);
	assert_int_equal(
	    sig_http_sign(NULL, T0, body, strlen(body), h, sizeof(h)), -1);
	assert_int_equal(
	    sig_http_sign("k", -1, body, strlen(body), h, sizeof(h)), -1);
	assert_int_equal(sig_http_sign("k", INT64_C(1000000000000), body,
			     strlen(body), h, sizeof(h)),
	    -1);
	assert_int_equal(
	    sig_http_sign("k", T0, body, strlen(body), h, SIG_HEADER_LEN), -1);
}

/* A signature is good for SIG_MAX_SKEW seconds either side of now. */
static void
test_http_window(void **state)
{
	const char *body = "{\"id\":1}";
	char h[SIG_HEADER_LEN + 1], old[SIG_HEADER_LEN + 1];

	(void)state;
	assert_int_equal(SIG_MAX_SKEW, 300);
	assert_int_equal(
	    sig_http_sign("secret", T0, body, strlen(body), h, sizeof(h)), 0);
	assert_int_equal(
	    sig_http_verify("secret", T0 + 300, body, strlen(body), h),
	    SIG_VALID);
	assert_int_equal(
	    sig_http_verify("secret", T0 - 300, body, strlen(body), h),
	    SIG_VALID);
	assert_int_equal(
	    sig_http_verify("secret", T0 + 301, body, strlen(body), h),
	    SIG_STALE);
	assert_int_equal(
	    sig_http_verify("secret", T0 - 301, body, strlen(body), h),
	    SIG_STALE);

	/*
	 * A replay: the body and MAC of an old request under a fresh t does
	 * not verify, since t is signed too.
	 */
	assert_int_equal(sig_http_sign("secret", T0 - 301, body, strlen(body),
			     old, sizeof(old)),
	    0);
	assert_int_equal(
	    sig_http_verify("secret", T0, body, strlen(body), old), SIG_STALE);
	memcpy(old + 2, "1764000000", 10);
	assert_int_equal(sig_http_verify("secret", T0, body, strlen(body), old),
	    SIG_MISMATCH);
}

/* The header is the sender's: anything but the exact form is refused. */
static void
test_http_malformed(void **state)
{
	static const char *const bad[] = {
	    "",
	    "sha256=65f44de4d5d7ee775de02a79c493612b5ce867670e87791f98af05dd"
	    "e00ace20",
	    "t=,sha256=65f44de4d5d7ee775de02a79c493612b5ce867670e87791f98af0"
	    "5dde00ace20",
	    "t=01764000000,sha256=65f44de4d5d7ee775de02a79c493612b5ce867670e"
	    "87791f98af05dde00ace20",
	    "t=+1764000000,sha256=65f44de4d5d7ee775de02a79c493612b5ce867670e"
	    "87791f98af05dde00ace20",
	    "t=-1764000000,sha256=65f44de4d5d7ee775de02a79c493612b5ce867670e"
	    "87791f98af05dde00ace20",
	    "t=1764000000000,sha256=65f44de4d5d7ee775de02a79c493612b5ce86767"
	    "0e87791f98af05dde00ace20",
	    "T=1764000000,sha256=65f44de4d5d7ee775de02a79c493612b5ce867670e8"
	    "7791f98af05dde00ace20",
	    " t=1764000000,sha256=65f44de4d5d7ee775de02a79c493612b5ce867670e"
	    "87791f98af05dde00ace20",
	    "t=1764000000, sha256=65f44de4d5d7ee775de02a79c493612b5ce867670e"
	    "87791f98af05dde00ace20",
	    "t=1764000000;sha256=65f44de4d5d7ee775de02a79c493612b5ce867670e8"
	    "7791f98af05dde00ace20",
	    "t=1764000000,sha1=65f44de4d5d7ee775de02a79c493612b5ce867670e877"
	    "91f98af05dde00ace20",
	    "sha256=65f44de4d5d7ee775de02a79c493612b5ce867670e87791f98af05dd"
	    "e00ace20,t=1764000000",
	    "t=1764000000,sha256=65f44de4d5d7ee775de02a79c493612b5ce867670e8"
	    "7791f98af05dde00ace2",
	    "t=1764000000,sha256=65f44de4d5d7ee775de02a79c493612b5ce867670e8"
	    "7791f98af05dde00ace200",
	    "t=1764000000,sha256=65f44de4d5d7ee775de02a79c493612b5ce867670e8"
	    "7791f98af05dde00ace20 ",
	    "t=1764000000,sha256=65f44de4d5d7ee775de02a79c493612b5ce867670e8"
	    "7791f98af05dde00ace2g",
	    "t=1764000000,sha256=65f44de4d5d7ee775de02a79c493612b5ce867670e8"
	    "7791f98af05dde00ace20,t=1764000000",
	    "t=1764000000",
	    "t=1764000000,",
	    "t=1764000000,sha256=",
	};
	const char *body = "{\"id\":1}";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sig_http_verify("secret", T0, body, strlen(body), bad[i]) !=
		    SIG_MALFORMED)
			fail_msg("accepted or misread: \"%s\"", bad[i]);
	assert_int_equal(
	    sig_http_verify("secret", T0, body, strlen(body), NULL),
	    SIG_MALFORMED);
}

/*
 * The worked example of Twilio's webhook security page: auth token 12345,
 * this URL and these parameters, given here out of order.
 */
static const char *tw_url = "https://mycompany.com/myapp.php?foo=1&bar=2";

static void
test_twilio_vector(void **state)
{
	struct sig_param p[] = {
	    {"To", "+18005551212"},
	    {"Digits", "1234"},
	    {"From", "+14158675310"},
	    {"CallSid", "CA1234567890ABCDE"},
	    {"Caller", "+14158675310"},
	};
	/* The same example as earlier SDK fixtures give it. */
	struct sig_param old[] = {
	    {"CallSid", "CA1234567890ABCDE"},
	    {"Caller", "+14158675309"},
	    {"Digits", "1234"},
	    {"From", "+14158675309"},
	    {"To", "+18005551212"},
	};
	char s[SIG_TWILIO_LEN + 1];

	(void)state;
	assert_int_equal(
	    sig_twilio_sign("12345", tw_url, p, 5, s, sizeof(s)), 0);
	assert_string_equal(s, "GvWf1cFY/Q7PnoempGyD5oXAezc=");
	assert_int_equal(sig_twilio_verify("12345", tw_url, p, 5,
			     "GvWf1cFY/Q7PnoempGyD5oXAezc="),
	    0);
	assert_int_equal(
	    sig_twilio_sign("12345", tw_url, old, 5, s, sizeof(s)), 0);
	assert_string_equal(s, "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
	/* The caller's array keeps its order. */
	assert_string_equal(p[0].name, "To");
}

static void
test_twilio_reject(void **state)
{
	struct sig_param p[] = {
	    {"To", "+18005551212"},
	    {"Digits", "1234"},
	    {"From", "+14158675310"},
	    {"CallSid", "CA1234567890ABCDE"},
	    {"Caller", "+14158675310"},
	};
	const char *good = "GvWf1cFY/Q7PnoempGyD5oXAezc=";
	char s[SIG_TWILIO_LEN + 1];

	(void)state;
	assert_int_equal(sig_twilio_verify("12346", tw_url, p, 5, good), -1);
	assert_int_equal(
	    sig_twilio_verify("12345",
		"http://mycompany.com/myapp.php?foo=1&bar=2", p, 5, good),
	    -1);
	/* A missing parameter or a changed value breaks the signature. */
	assert_int_equal(sig_twilio_verify("12345", tw_url, p, 4, good), -1);
	p[1].value = "9999";
	assert_int_equal(sig_twilio_verify("12345", tw_url, p, 5, good), -1);
	p[1].value = "1234";
	assert_int_equal(sig_twilio_verify("12345", tw_url, p, 5,
			     "GvWf1cFY/Q7PnoempGyD5oXAezd="),
	    -1);
	assert_int_equal(sig_twilio_verify("12345", tw_url, p, 5,
			     "GvWf1cFY/Q7PnoempGyD5oXAezc"),
	    -1);
	assert_int_equal(sig_twilio_verify("12345", tw_url, p, 5, ""), -1);
	assert_int_equal(sig_twilio_verify("12345", tw_url, p, 5, NULL), -1);
	assert_int_equal(sig_twilio_verify("", tw_url, p, 5, good), -1);
	assert_int_equal(sig_twilio_verify("12345", tw_url, p, 5, good), 0);

	/* Without parameters the URL alone is signed. */
	assert_int_equal(
	    sig_twilio_sign("12345", tw_url, NULL, 0, s, sizeof(s)), 0);
	assert_int_equal(sig_twilio_verify("12345", tw_url, NULL, 0, s), 0);
	assert_int_equal(sig_twilio_verify("12345", tw_url, p, 5, s), -1);

	/* Bad arguments. */
	assert_int_equal(sig_twilio_sign("12345", tw_url, p,
			     SIG_TWILIO_MAX_PARAMS + 1, s, sizeof(s)),
	    -1);
	assert_int_equal(sig_twilio_sign("12345", tw_url, p, 5, s, 28), -1);
	p[2].value = NULL;
	assert_int_equal(
	    sig_twilio_sign("12345", tw_url, p, 5, s, sizeof(s)), -1);
}

static void
test_twilio_repeated_names(void **state)
{
	/* Values of a repeated name are signed in sorted order. */
	struct sig_param a[] = {{"Media", "b"}, {"Media", "a"}, {"Body", "x"}};
	struct sig_param b[] = {{"Body", "x"}, {"Media", "a"}, {"Media", "b"}};
	char sa[SIG_TWILIO_LEN + 1], sb[SIG_TWILIO_LEN + 1];

	(void)state;
	assert_int_equal(
	    sig_twilio_sign("t", "https://x/y", a, 3, sa, sizeof(sa)), 0);
	assert_int_equal(
	    sig_twilio_sign("t", "https://x/y", b, 3, sb, sizeof(sb)), 0);
	assert_string_equal(sa, sb);
	/* "https://x/yBodyxMediaaMediab" under key "t". */
	assert_string_equal(sa, "R0l6tmRyuXgR/Nqrp56DvlYCoxs=");
}

static void
test_equal(void **state)
{
	(void)state;
	assert_true(sig_equal("s3cret-token", "s3cret-token"));
	assert_false(sig_equal("s3cret-tokeN", "s3cret-token"));
	assert_false(sig_equal("s3cret-toke", "s3cret-token"));
	assert_false(sig_equal("s3cret-token-", "s3cret-token"));
	assert_false(sig_equal("", "s3cret-token"));
	assert_false(sig_equal(NULL, "s3cret-token"));
	assert_false(sig_equal("x", NULL));
	/* An empty expected secret matches nothing, not even "". */
	assert_false(sig_equal("", ""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc4231),
	    cmocka_unit_test(test_keyed_contexts_churn),
	    cmocka_unit_test(test_keyed_contexts_again),
	    cmocka_unit_test(test_http_header),
	    cmocka_unit_test(test_http_window),
	    cmocka_unit_test(test_http_malformed),
	    cmocka_unit_test(test_twilio_vector),
	    cmocka_unit_test(test_twilio_reject),
	    cmocka_unit_test(test_twilio_repeated_names),
	    cmocka_unit_test(test_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
