/*
 * modem_harness.c: a test driver for the modem supervisor and worker.
 *
 *   modem_harness modem-worker ARGS...   the worker (what the supervisor
 *                                        runs: it spawns this same binary)
 *   modem_harness run DEVICE [--poll DUR] [--mp-timeout DUR] [--rate R]
 *                 [--auto-ack] [--balance CODE] [--exe PATH] [--report-at N]
 *                 [--stop-on-tempfail]
 *       runs a supervisor for the dummy phone in folder DEVICE (the
 *       worker is `PATH modem-worker`, by default this binary), reads
 *       commands from stdin, one a line:
 *         send ID TO TEXT...   ack ID   ackall   balance   stop
 *         kill (SIGKILL the worker)   freeze (SIGSTOP it)
 *       and prints events on stdout, one a line:
 *         state up=U signal=S pid=P
 *         inbound id=I key=K from=F parts=P total=T text=JSON
 *         sent id=I outcome=O error=JSON
 *         balance text=JSON
 *         accepted id=I rc=RC      (modem_send's return value)
 *         acked id=I rc=RC
 *         reached n=N ms=T         (N inbound messages T ms after start)
 *         stopped
 *   modem_harness inject DEVICE FROM TEXT [REF TOTAL SEQ]
 *       drops one incoming SMS (one part when REF is given) in the dummy
 *       phone's inbox, atomically (a temporary file, then rename).
 *   modem_harness inject-report DEVICE FROM REF
 *       drops a status report for message reference REF (delivered: the
 *       smsbackup format keeps no TP-Status) in the inbox, atomically.
 *   modem_harness inject-many DEVICE COUNT
 *       drops COUNT single messages "load N" from +2547100NNNNN.
 *   modem_harness dump DEVICE FOLDER
 *       prints each message of DEVICE/sms/FOLDER:
 *         loc=N from=X coding=C concat=REF/TOTAL/SEQ text=JSON
 */
#include <gammu.h>

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "gateway/config.h"
#include "lib/gsm.h"
#include "lib/log.h"
#include "lib/util.h"
#include "modem/supervisor.h"

#define MAX_UNACKED 20000 /* inbound ids remembered for ackall */

struct harness {
	uv_loop_t loop;
	uv_pipe_t in;    /* stdin */
	struct buf line; /* partial command line */
	struct modem_supervisor *sup;
	int auto_ack;
	int stop_on_tempfail; /* stop from inside on_sent (a TEMPFAIL) */
	long report_at;       /* print "reached" after this many inbound */
	long ninbound;        /* inbound messages seen */
	int64_t started;      /* mono_ms at start */
	uint64_t unacked[MAX_UNACKED];
	size_t nunacked;
};

static void stop_all(struct harness *);

/* Prints s as a JSON string (quoted, escaped) followed by a newline. */
static void
print_json_str(const char *s)
{
	json_t *j = json_string(s != NULL ? s : "");
	char *d;

	if (j == NULL) {
		printf("\"<invalid UTF-8>\"\n");
		return;
	}
	d = json_dumps(j, JSON_ENCODE_ANY);
	printf("%s\n", d != NULL ? d : "\"\"");
	free(d);
	json_decref(j);
}

static void
on_inbound(
    struct modem_supervisor *sup, const struct modem_inbound *in, void *arg)
{
	struct harness *h = arg;
	int rc;

	printf("inbound id=%llu key=%s from=%s parts=%d total=%d text=",
	    (unsigned long long)in->id, in->key, in->from, in->parts,
	    in->total);
	print_json_str(in->text);
	if (++h->ninbound == h->report_at)
		printf("reached n=%ld ms=%lld\n", h->ninbound,
		    (long long)(mono_ms() - h->started));
	if (h->auto_ack) {
		rc = modem_ack(sup, in->id);
		printf("acked id=%llu rc=%d\n", (unsigned long long)in->id, rc);
	} else if (h->nunacked < MAX_UNACKED)
		h->unacked[h->nunacked++] = in->id;
	fflush(stdout);
}

static void
on_sent(struct modem_supervisor *sup, int64_t id, enum modem_outcome o,
    const char *error, const char *reference, void *arg)
{
	struct harness *h = arg;

	(void)sup;
	(void)reference;
	printf("sent id=%lld outcome=%s error=", (long long)id,
	    modem_outcome_name(o));
	print_json_str(error);
	fflush(stdout);
	if (o == MODEM_TEMPFAIL && h->stop_on_tempfail)
		stop_all(h);
}

static void
on_state(struct modem_supervisor *sup, int up, int signal, void *arg)
{
	(void)arg;
	printf("state up=%d signal=%d pid=%d\n", up, signal,
	    modem_supervisor_pid(sup));
	fflush(stdout);
}

static void
on_balance(struct modem_supervisor *sup, const char *text, void *arg)
{
	(void)sup;
	(void)arg;
	printf("balance text=");
	print_json_str(text);
	fflush(stdout);
}

static void
stop_all(struct harness *h)
{
	if (h->sup != NULL) {
		modem_supervisor_stop(h->sup);
		h->sup = NULL;
	}
	if (!uv_is_closing((uv_handle_t *)&h->in))
		uv_close((uv_handle_t *)&h->in, NULL);
}

/* Runs one command line. */
static void
command(struct harness *h, char *line)
{
	char *cmd, *rest, *id, *to;
	int pid, rc;
	size_t i;

	cmd = strtok_r(line, " ", &rest);
	if (cmd == NULL || h->sup == NULL)
		return;
	if (strcmp(cmd, "send") == 0) {
		id = strtok_r(NULL, " ", &rest);
		to = strtok_r(NULL, " ", &rest);
		if (id == NULL || to == NULL || rest == NULL) {
			printf("error usage: send ID TO TEXT\n");
			return;
		}
		rc = modem_send(h->sup, strtoll(id, NULL, 10), to, rest, 0);
		printf("accepted id=%s rc=%d\n", id, rc);
	} else if (strcmp(cmd, "ack") == 0) {
		id = strtok_r(NULL, " ", &rest);
		if (id == NULL)
			return;
		rc = modem_ack(h->sup, strtoull(id, NULL, 10));
		printf("acked id=%s rc=%d\n", id, rc);
	} else if (strcmp(cmd, "ackall") == 0) {
		for (i = 0; i < h->nunacked; i++) {
			rc = modem_ack(h->sup, h->unacked[i]);
			printf("acked id=%llu rc=%d\n",
			    (unsigned long long)h->unacked[i], rc);
		}
		h->nunacked = 0;
	} else if (strcmp(cmd, "balance") == 0) {
		rc = modem_balance(h->sup);
		printf("balance-asked rc=%d\n", rc);
	} else if (strcmp(cmd, "kill") == 0) {
		pid = modem_supervisor_pid(h->sup);
		if (pid > 0)
			kill(pid, SIGKILL);
		printf("killed pid=%d\n", pid);
	} else if (strcmp(cmd, "freeze") == 0) {
		/* A hung worker: it stops answering, the watchdog acts. */
		pid = modem_supervisor_pid(h->sup);
		if (pid > 0)
			kill(pid, SIGSTOP);
		printf("frozen pid=%d\n", pid);
	} else if (strcmp(cmd, "stop") == 0)
		stop_all(h);
	else
		printf("error unknown command %s\n", cmd);
	fflush(stdout);
}

static void
on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *b)
{
	static char data[65536];

	(void)handle;
	(void)suggested;
	*b = uv_buf_init(data, sizeof(data));
}

static void
on_stdin(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct harness *h = container_of((uv_pipe_t *)s, struct harness, in);
	char *nl, *line;
	size_t len;

	if (nread < 0) {
		stop_all(h);
		return;
	}
	if (buf_append(&h->line, b->base, (size_t)nread) < 0) {
		fprintf(stderr, "command line too long\n");
		stop_all(h);
		return;
	}
	while (h->line.data != NULL &&
	       (nl = memchr(h->line.data, '\n', h->line.len)) != NULL) {
		len = (size_t)(nl - h->line.data);
		line = xstrndup(h->line.data, len);
		memmove(h->line.data, nl + 1, h->line.len - len - 1);
		h->line.len -= len + 1;
		h->line.data[h->line.len] = '\0';
		command(h, line);
		free(line);
		if (h->sup == NULL)
			break;
	}
}

static int
run(int argc, char **argv)
{
	struct channel_config cc;
	struct modem_callbacks cb;
	struct harness *h;
	const char *exe = NULL;
	int i;

	if (argc < 3) {
		fprintf(stderr, "usage: modem_harness run DEVICE ...\n");
		return 2;
	}
	h = xcalloc(1, sizeof(*h));
	memset(&cc, 0, sizeof(cc));
	cc.name = "modem1";
	cc.type = CHANNEL_GAMMU;
	cc.device = argv[2];
	cc.connection = "none";
	cc.model = "dummy";
	cc.poll_interval_ms = 500;
	cc.multipart_timeout_ms = 600000;
	cc.rate.count = 0;
	for (i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--poll") == 0 && i + 1 < argc) {
			if (config_parse_duration(
				argv[++i], &cc.poll_interval_ms) < 0)
				goto bad;
		} else if (strcmp(argv[i], "--mp-timeout") == 0 &&
			   i + 1 < argc) {
			if (config_parse_duration(
				argv[++i], &cc.multipart_timeout_ms) < 0)
				goto bad;
		} else if (strcmp(argv[i], "--rate") == 0 && i + 1 < argc) {
			if (config_parse_rate(argv[++i], &cc.rate) < 0)
				goto bad;
		} else if (strcmp(argv[i], "--auto-ack") == 0)
			h->auto_ack = 1;
		else if (strcmp(argv[i], "--stop-on-tempfail") == 0)
			h->stop_on_tempfail = 1;
		else if (strcmp(argv[i], "--balance") == 0 && i + 1 < argc)
			cc.balance_ussd = argv[++i];
		else if (strcmp(argv[i], "--exe") == 0 && i + 1 < argc)
			exe = argv[++i];
		else if (strcmp(argv[i], "--report-at") == 0 && i + 1 < argc)
			h->report_at = strtol(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "unknown option %s\n", argv[i]);
			goto bad;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	uv_loop_init(&h->loop);
	buf_init(&h->line, 1 << 20);
	memset(&cb, 0, sizeof(cb));
	cb.on_inbound = on_inbound;
	cb.on_sent = on_sent;
	cb.on_state = on_state;
	cb.on_balance = on_balance;
	cb.arg = h;
	uv_pipe_init(&h->loop, &h->in, 0);
	if (uv_pipe_open(&h->in, 0) < 0 ||
	    uv_read_start((uv_stream_t *)&h->in, on_alloc, on_stdin) < 0) {
		fprintf(stderr, "stdin must be a pipe or socket\n");
		return 1;
	}
	h->started = mono_ms();
	h->sup = modem_supervisor_start(&h->loop, &cc, exe, &cb);
	if (h->sup == NULL)
		return 1;
	uv_run(&h->loop, UV_RUN_DEFAULT);
	printf("stopped\n");
	fflush(stdout);
	uv_loop_close(&h->loop);
	buf_free(&h->line);
	free(h);
	return 0;
bad:
	free(h);
	return 2;
}

/* Writes one SMS as DEVICE/sms/1/N through a temporary file. */
static int
inject_sms(const char *dev, const char *from, const char *text, int ref,
    int total, int seq, int report_ref)
{
	static GSM_SMSMessage sms;
	GSM_SMS_Backup *backup;
	struct gsm_info gi;
	unsigned char *u;
	char tmp[4096], path[4096];
	struct stat st;
	GSM_Error e;
	int n;

	memset(&sms, 0, sizeof(sms));
	GSM_SetDefaultReceivedSMSData(&sms);
	sms.PDU = SMS_Deliver;
	if (report_ref >= 0) {
		sms.PDU = SMS_Status_Report;
		sms.MessageReference = report_ref;
		sms.DeliveryStatus = 0;
	}
	sms.Folder = 1;
	sms.InboxFolder = TRUE;
	sms.State = SMS_UnRead;
	sms.Class = -1;
	u = xcalloc(2 * (strlen(from) + 2), 1);
	DecodeUTF8(u, from, strlen(from));
	CopyUnicodeString(sms.Number, u);
	free(u);
	EncodeUnicode(sms.SMSC.Number, "+254700000000", 13);
	gsm_count(text, &gi);
	sms.Coding = gi.encoding == GSM_ENC_UCS2
			 ? SMS_Coding_Unicode_No_Compression
			 : SMS_Coding_Default_No_Compression;
	if (strlen(text) > GSM_MAX_SMS_LENGTH) {
		fprintf(stderr, "text too long for one part\n");
		return -1;
	}
	DecodeUTF8(sms.Text, text, strlen(text));
	sms.Length = (int)UnicodeLength(sms.Text);
	GSM_GetCurrentDateTime(&sms.DateTime);
	sms.UDH.Type = UDH_NoUDH;
	if (total > 1) {
		sms.UDH.Type = UDH_ConcatenatedMessages;
		sms.UDH.Length = 6;
		sms.UDH.Text[0] = 0x05;
		sms.UDH.Text[1] = 0x00;
		sms.UDH.Text[2] = 0x03;
		sms.UDH.Text[3] = (unsigned char)ref;
		sms.UDH.Text[4] = (unsigned char)total;
		sms.UDH.Text[5] = (unsigned char)seq;
		sms.UDH.ID8bit = ref;
		sms.UDH.ID16bit = -1;
		sms.UDH.AllParts = total;
		sms.UDH.PartNumber = seq;
	}
	for (n = 1; n < 10000; n++) {
		snprintf(path, sizeof(path), "%s/sms/1/%d", dev, n);
		if (stat(path, &st) < 0 && errno == ENOENT)
			break;
	}
	if (n == 10000) {
		fprintf(stderr, "inbox full\n");
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s/sms/.inject.%d", dev, (int)getpid());
	unlink(tmp);
	backup = xcalloc(1, sizeof(*backup));
	GSM_ClearSMSBackup(backup);
	backup->SMS[0] = &sms;
	backup->SMS[1] = NULL;
	e = GSM_AddSMSBackupFile(tmp, backup);
	free(backup);
	if (e != ERR_NONE) {
		fprintf(
		    stderr, "cannot write %s: %s\n", tmp, GSM_ErrorString(e));
		return -1;
	}
	if (rename(tmp, path) < 0) {
		perror("rename");
		return -1;
	}
	return n;
}

static int
inject_one(const char *dev, const char *from, const char *text, int ref,
    int total, int seq)
{
	return inject_sms(dev, from, text, ref, total, seq, -1);
}

/* Makes the dummy phone's folders, as the driver would. */
static void
make_dirs(const char *dev)
{
	char path[4096];
	int i;

	mkdir(dev, 0755);
	snprintf(path, sizeof(path), "%s/sms", dev);
	mkdir(path, 0755);
	for (i = 1; i <= 5; i++) {
		snprintf(path, sizeof(path), "%s/sms/%d", dev, i);
		mkdir(path, 0755);
	}
}

static int
dump(const char *dev, const char *folder)
{
	GSM_SMS_Backup *backup;
	GSM_SMSMessage *s;
	char path[4096], out[4 * (GSM_MAX_SMS_LENGTH + 1)],
	    num[4 * (GSM_MAX_NUMBER_LENGTH + 1)];
	int n, ref, total, seq;

	backup = xcalloc(1, sizeof(*backup));
	for (n = 0; n < 10000; n++) {
		snprintf(path, sizeof(path), "%s/sms/%s/%d", dev, folder, n);
		if (access(path, F_OK) < 0)
			continue;
		GSM_ClearSMSBackup(backup);
		if (GSM_ReadSMSBackupFile(path, backup) != ERR_NONE ||
		    backup->SMS[0] == NULL) {
			printf("loc=%d unreadable\n", n);
			continue;
		}
		s = backup->SMS[0];
		EncodeUTF8(out, s->Text);
		EncodeUTF8(num, s->Number);
		ref = total = seq = 0;
		if (s->UDH.Length >= 6 && s->UDH.Text[1] == 0x00) {
			ref = s->UDH.Text[3];
			total = s->UDH.Text[4];
			seq = s->UDH.Text[5];
		}
		printf("loc=%d from=%s coding=%s concat=%d/%d/%d text=", n, num,
		    s->Coding == SMS_Coding_Unicode_No_Compression ? "UCS-2"
								   : "GSM-7",
		    ref, total, seq);
		print_json_str(out);
		GSM_FreeSMSBackup(backup);
	}
	free(backup);
	return 0;
}

int
main(int argc, char **argv)
{
	char from[32], text[32];
	long i, count;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && (strcmp(argv[1], "modem-worker") == 0 ||
			     strcmp(argv[1], "worker") == 0))
		return modem_worker_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return run(argc, argv);
	if (argc == 5 || argc == 8) {
		if (strcmp(argv[1], "inject") == 0) {
			make_dirs(argv[2]);
			if (argc == 8)
				return inject_one(argv[2], argv[3], argv[4],
					   atoi(argv[5]), atoi(argv[6]),
					   atoi(argv[7])) < 0;
			return inject_one(argv[2], argv[3], argv[4], 0, 1, 1) <
			       0;
		}
	}
	if (argc == 5 && strcmp(argv[1], "inject-report") == 0) {
		make_dirs(argv[2]);
		return inject_sms(argv[2], argv[3], "Delivered", 0, 1, 1,
			   atoi(argv[4])) < 0;
	}
	if (argc == 4 && strcmp(argv[1], "inject-many") == 0) {
		make_dirs(argv[2]);
		count = strtol(argv[3], NULL, 10);
		for (i = 1; i <= count; i++) {
			snprintf(from, sizeof(from), "+2547100%05ld", i);
			snprintf(text, sizeof(text), "load %ld", i);
			if (inject_one(argv[2], from, text, 0, 1, 1) < 0)
				return 1;
		}
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "dump") == 0)
		return dump(argv[2], argv[3]);
	fprintf(stderr,
	    "usage: modem_harness worker|run|inject|inject-many|dump ...\n");
	return 2;
}
