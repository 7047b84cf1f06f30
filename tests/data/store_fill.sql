-- tests/data/store_fill.sql: a row or two in every table of the store, with
-- what a copy must keep: NULLs, UTF-8 beyond the BMP, bytes, a negative
-- number, ids with gaps and sequences past the last id (reports 50 and
-- events 20 were given, then deleted). Loaded into a migrated SQLite file
-- by tests/integration/postgres.sh.
INSERT INTO contacts VALUES (1, '+254700000001', 'sw', 0, '{"account":"1234567","name":"Amina ✓"}', 'at', 1764806400000, 1764806400000);
INSERT INTO contacts VALUES (7, '+254700000007', NULL, 1, '{}', NULL, 1764806400001, 1764806400002);
INSERT INTO broadcasts VALUES (3, 'Boil water in ward 4 😀', 'ward4', 'at', 1764806400000, 1764806400000, 2, 2, NULL);
INSERT INTO messages VALUES (10, 'in', 'at', 'sms', 1, '+254700000001', 'BAL 1234567', 'handled', 'ATXid_1', 1, 0, NULL, NULL, NULL, 1764806400000, 1764806400000, NULL);
INSERT INTO messages VALUES (11, 'out', 'at', 'sms', 1, '+254700000001', 'Balance: KES 1,250', 'sent', 'ATPid_2', 1, 1, NULL, NULL, NULL, 1764806400000, 1764806400100, NULL);
INSERT INTO messages VALUES (12, 'out', 'at', 'sms', 7, '+254700000007', 'Boil water', 'queued', NULL, 1, 0, 1764806400000, 'HTTP 503', 3, 1764806400000, 1764806400000, NULL);
INSERT INTO messages VALUES (13, 'out', 'at', 'ussd', NULL, '+254799999999', NULL, 'failed', NULL, 2, 5, NULL, 'bad number', NULL, 1764806400000, 1764806400000, NULL);
INSERT INTO sessions VALUES ('at:ussd:abc', 1, 'water', '{"step":"menu"}', 1764806500000, 1764806400000, 'at *384#', 'CON Water\n1. Balance', 1);
INSERT INTO reports VALUES (41, 1, 'report', 'burst pipe', 'Kibera, near school', 'water everywhere', 'acknowledged', 1764806400000, 1764806400000, NULL, NULL, NULL);
INSERT INTO reports VALUES (42, 7, 'report', 'leak', NULL, NULL, 'resolved', 1764806400000, 1764806400000, 1764806400000, 'yes', 1764806400000);
INSERT INTO reports VALUES (50, NULL, 'report', 'x', NULL, NULL, 'open', 1764806400000, 1764806400000, NULL, NULL, NULL);
DELETE FROM reports WHERE id = 50;
INSERT INTO report_events VALUES (1, 41, 1764806400000, 'open', NULL);
INSERT INTO report_events VALUES (2, 41, 1764806400001, 'acknowledged', 'crew sent');
INSERT INTO subscriptions VALUES (1, 'ward4', 1764806400000);
INSERT INTO subscriptions VALUES (7, 'ward4', 1764806400000);
INSERT INTO data_tables VALUES ('accounts', 'account', '["account","name","balance"]', 1, 1764806400000);
INSERT INTO data_rows VALUES ('accounts', '1234567', '{"account":"1234567","name":"Amina","balance":"1250"}');
INSERT INTO modem_state VALUES ('gsm1', 1, 18, 'Safaricom', 'KES 50', 1764806400000, NULL, 0, 1, 1764806400000);
INSERT INTO idempotency VALUES ('broadcasts', 'k1', x'00ff10e2', 201, '{"id":3}', 1764806400000);
INSERT INTO users VALUES (2, 'wanjiru', 'admin', 'scrypt$16$1$1$c2FsdA==$aGFzaA==', 1764806400000, 1764806400000, NULL);
INSERT INTO web_sessions VALUES (x'0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20', 2, 'csrf-token', 1764806400000, 1764806400000, 1764850000000);
INSERT INTO audit VALUES (5, 1764806400000, 'wanjiru', 'broadcast', 'broadcast 3', '{"recipients":2}');
INSERT INTO campaign_sent VALUES ('reminders', '1234567', -3, '2026-12-07', 12, 1764806400000);
INSERT INTO campaign_runs VALUES ('reminders', 1764806400000);
INSERT INTO events VALUES (9, 'crm', 'report.created', '{"id":41}', 1764806400000, 2, 1764806460000, 'HTTP 500');
INSERT INTO events VALUES (20, 'crm', 'report.created', '{"id":42}', 1764806400000, 0, 1764806460000, NULL);
DELETE FROM events WHERE id = 20;
INSERT INTO spend VALUES ('at', '2026-12-04', '', 3);
INSERT INTO channel_log VALUES (100, 1764806400000, 'at', 11, 201, 35, 'username=x&to=%2B254700000001', NULL, '{"SMSMessageData":{}}');
