-- wrk script: SMS webhooks paced at a fixed rate per connection (delay()),
-- for the round trip: the reply's arrival at the fake provider is matched
-- to the inbound message by its text.
local counter = 0
local thread_id = 0
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

function delay()
	return tonumber(os.getenv("BENCH_DELAY_MS") or "10")
end

function request()
	counter = counter + 1
	local n = id * 100000000 + counter
	local body = string.format(
	    '{"id":"r%d","from":"+2547%08d","to":"40404","text":"PING %d"}',
	    n, n % 100000000, n)
	return wrk.format(nil, "/hooks/web/sms",
	    {["Content-Type"] = "application/json",
		["X-Baraza-Signature"] = sign(body)}, body)
end
