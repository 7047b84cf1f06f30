-- wrk script: generic JSON USSD steps. Each connection is one session at a
-- time: it dials, then answers the loop menu, and starts a new session
-- every ten steps, so the sessions stay short as real ones are.
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
	math.randomseed(id * 7919 + os.time())
	wrk.method = "POST"
	wrk.headers["Content-Type"] = "application/json"
end

-- BENCH_THINK_MS: a pause before each step, as a person reads the screen,
-- drawn between half and one and a half times it so that the sessions do
-- not answer in lockstep (0: closed loop, every session answers at once).
local think = tonumber(os.getenv("BENCH_THINK_MS") or "0")

function delay()
	if think <= 0 then
		return 0
	end
	return math.random(math.floor(think / 2), math.floor(think * 3 / 2))
end

function request()
	counter = counter + 1
	local session = math.floor(counter / 10)
	local body = string.format(
	    '{"session":"t%d-%d","from":"+2547%08d","code":"*500#","input":"%s"}',
	    id, session, (id * 1000 + session) % 100000000,
	    counter % 10 == 0 and "" or "1")
	return wrk.format(nil, "/hooks/web/ussd",
	    {["Content-Type"] = "application/json",
		["X-Baraza-Signature"] = sign(body)}, body)
end
