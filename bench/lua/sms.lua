-- wrk script: generic JSON SMS webhooks, each with a new provider id, from
-- BENCH_SENDERS numbers in turn (default 1000: residents text again; 0: a
-- new number every time), all answered by the bench's keyword flow.
local senders = tonumber(os.getenv("BENCH_SENDERS") or "1000")
local counter = 0
-- BENCH_ID_BASE: the first thread's id (two wrk at once keep ids apart).
local thread_id = tonumber(os.getenv("BENCH_ID_BASE") or "0")
-- BENCH_RANDOM_IDS=1: provider ids in no order (as Africa's Talking's and
-- Twilio's are), where by default they grow; see bench/e2e.
local random_ids = os.getenv("BENCH_RANDOM_IDS") == "1"
-- Webhooks are signed (sign.lua, beside this file).
local sign = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or
    "./") .. "sign.lua")

function setup(thread)
	thread:set("id", thread_id)
	thread_id = thread_id + 1
end

function init(args)
	counter = 0
	wrk.method = "POST"
	wrk.headers["Content-Type"] = "application/json"
end

function request()
	counter = counter + 1
	local n = id * 100000000 + counter
	local from = senders > 0 and (n % senders) or (n % 100000000)
	local body
	if random_ids then
		body = string.format(
		    '{"id":"%08x%08x-%d","from":"+2547%08d","to":"40404","text":"PING %d"}',
		    math.random(0, 0x7fffffff), math.random(0, 0x7fffffff),
		    n, from, n)
	else
		body = string.format(
		    '{"id":"b%d","from":"+2547%08d","to":"40404","text":"PING %d"}',
		    n, from, n)
	end
	return wrk.format(nil, "/hooks/web/sms",
	    {["Content-Type"] = "application/json",
		["X-Baraza-Signature"] = sign(body)}, body)
end
