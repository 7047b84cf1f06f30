-- wrk script: generic JSON SMS webhooks, each with a new provider id and a
-- new sender, all answered by the bench's keyword flow.
local counter = 0
local thread_id = 0

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
	local body = string.format(
	    '{"id":"b%d","from":"+2547%08d","to":"40404","text":"PING %d"}',
	    n, n % 100000000, n)
	return wrk.format(nil, "/hooks/web/sms", nil, body)
end
