/*
 * idle_conns.c: holds many idle TCP connections open to a local server, for
 * the idle-connection drill (tests/integration/drill_idle.sh).
 *
 *   idle_conns --port PORT [--count N] [--hold SECONDS] [--partial |
 *       --request] [--ready FILE]
 *
 * It opens N connections to 127.0.0.1:PORT (raising RLIMIT_NOFILE as far
 * as it may), with --partial sends a request line without its end on each,
 * with --request a whole keep-alive request and waits (2 s at most) for its
 * answer before the next connection, so that every connection held is
 * idle when the next one arrives, however slow the server (a sanitizer's
 * build), writes "connected N" to the ready file (or stdout) and then
 * watches them for SECONDS: a connection the server closes (end of file or
 * reset, after any answer it sends) counts as closed. At the end it prints
 * one line:
 *   open N closed N answered N first_close_ms N last_close_ms N
 * (times from the first connection). Exit 0, or 1 when it could not
 * connect all N, 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

/* The most connections the helper holds. */
#define IDLE_MAX_CONNS 20000
/* The longest hold. */
#define IDLE_MAX_HOLD 600

static const char partial[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n";
static const char whole[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

static long long
idle_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
idle_usage(void)
{
	fprintf(stderr, "usage: idle_conns --port PORT [--count N] "
			"[--hold SECONDS] [--partial | --request] "
			"[--ready FILE]\n");
	return 2;
}

static int
idle_connect(const struct sockaddr_in *sa)
{
	int fd, tries;

	for (tries = 0; tries < 50; tries++) {
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
			return -1;
		if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
			return fd;
		close(fd);
		if (errno != ECONNREFUSED && errno != EAGAIN &&
		    errno != ETIMEDOUT)
			return -1;
		usleep(20000);
	}
	return -1;
}

/*
 * Waits (2 s at most) for the answer to the request just sent on p: counts
 * it answered, or closed (the fd then -1) when the server closed it.
 */
static void
idle_answer(struct pollfd *p, char *buf, size_t len, int *answered, int *closed)
{
	ssize_t r;

	if (poll(p, 1, 2000) <= 0)
		return;
	r = read(p->fd, buf, len);
	if (r > 0)
		(*answered)++;
	else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
		close(p->fd);
		p->fd = -1;
		(*closed)++;
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	struct rlimit rl;
	struct pollfd *pfd;
	const char *ready = NULL;
	char buf[4096];
	long port = 0, count = 2000, hold = 15;
	long long t0, first = -1, last = -1, deadline, now;
	int i, n, opened = 0, open_now, closed = 0, answered = 0, part = 0;
	const char *payload = NULL;
	size_t payload_len = 0;
	FILE *fp;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
			port = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
			count = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--hold") == 0 && i + 1 < argc)
			hold = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--ready") == 0 && i + 1 < argc)
			ready = argv[++i];
		else if (strcmp(argv[i], "--partial") == 0)
			part = 1;
		else if (strcmp(argv[i], "--request") == 0)
			part = 2;
		else
			return idle_usage();
	}
	if (port <= 0 || port > 65535 || count <= 0 || count > IDLE_MAX_CONNS ||
	    hold < 0 || hold > IDLE_MAX_HOLD)
		return idle_usage();
	if (part == 1) {
		payload = partial;
		payload_len = sizeof(partial) - 1;
	} else if (part == 2) {
		payload = whole;
		payload_len = sizeof(whole) - 1;
	}

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)count + 64) {
		rl.rlim_cur = (rlim_t)count + 64;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			perror("idle_conns: setrlimit");
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	if ((pfd = calloc((size_t)count, sizeof(*pfd))) == NULL) {
		perror("idle_conns");
		return 1;
	}
	t0 = idle_now_ms();
	for (i = 0; i < count; i++) {
		pfd[i].fd = idle_connect(&sa);
		if (pfd[i].fd < 0) {
			fprintf(stderr, "idle_conns: connection %d: %s\n", i,
			    strerror(errno));
			break;
		}
		if (payload != NULL &&
		    write(pfd[i].fd, payload, payload_len) < 0)
			fprintf(
			    stderr, "idle_conns: write: %s\n", strerror(errno));
		pfd[i].events = POLLIN;
		opened++;
		if (part == 2)
			idle_answer(
			    &pfd[i], buf, sizeof(buf), &answered, &closed);
	}
	if (ready != NULL && (fp = fopen(ready, "w")) != NULL) {
		fprintf(fp, "connected %d\n", opened);
		fclose(fp);
	} else {
		printf("connected %d\n", opened);
		fflush(stdout);
	}

	deadline = t0 + hold * 1000;
	open_now = opened - closed;
	while (open_now > 0 && (now = idle_now_ms()) < deadline) {
		n = poll(pfd, (nfds_t)opened, (int)(deadline - now));
		if (n < 0 && errno != EINTR)
			break;
		for (i = 0; n > 0 && i < opened; i++) {
			ssize_t r;

			if (pfd[i].fd < 0 || pfd[i].revents == 0)
				continue;
			r = read(pfd[i].fd, buf, sizeof(buf));
			if (r > 0) {
				answered++;
				continue;
			}
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			close(pfd[i].fd);
			pfd[i].fd = -1;
			open_now--;
			closed++;
			now = idle_now_ms() - t0;
			if (first < 0)
				first = now;
			last = now;
		}
	}
	printf("open %d closed %d answered %d first_close_ms %lld "
	       "last_close_ms %lld\n",
	    open_now, closed, answered, first, last);
	for (i = 0; i < opened; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	free(pfd);
	return opened == count ? 0 : 1;
}
