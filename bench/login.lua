-- SPDX-License-Identifier: ISC
-- Copyright (c) 2026 The tokend authors; see the LICENSE file.
-- wrk script: POST /auth/login, rotating through distinct users.
--
-- Environment:
--	BENCH_USERS	file of "email password" lines
--	BENCH_THREADS	the -t of wrk
--
-- Thread n takes the users n, n + BENCH_THREADS, ... and sends their
-- logins in turn, so that with as many users as connections no user has
-- more than a login or two in flight at a time.  Answers that are 2xx or
-- 3xx but not a 200 with an access token are counted as "Bad responses"
-- (wrk counts only statuses above 399).  "Good responses/sec" is the
-- rate of the expected answers alone: 200 with an access token.

local threads = {}
local next_id = 0

function setup(thread)
	thread:set("id", next_id)
	next_id = next_id + 1
	table.insert(threads, thread)
end

function init(args)
	local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
	local i = 0
	bodies, n, bad, ok = {}, 0, 0, 0
	for line in io.lines(os.getenv("BENCH_USERS")) do
		local email, pw = line:match("^(%S+) (.*)$")
		if email then
			if i % nthreads == id then
				n = n + 1
				bodies[n] = wrk.format("POST", "/auth/login",
				    { ["Content-Type"] = "application/json" },
				    '{"email":"' .. email .. '","password":"' ..
				    pw .. '"}')
			end
			i = i + 1
		end
	end
	assert(n > 0, "no users for this thread")
	k = 0
end

function request()
	k = k % n + 1
	return bodies[k]
end

function response(status, headers, body)
	if status == 200 and body:find('"access_token":"', 1, true) then
		ok = ok + 1
	elseif status < 400 then
		bad = bad + 1
	end
end

function done(summary, latency, requests)
	local bad_all, ok_all = 0, 0
	for _, t in ipairs(threads) do
		bad_all = bad_all + t:get("bad")
		ok_all = ok_all + t:get("ok")
	end
	io.write(string.format("Bad responses: %d\n", bad_all))
	io.write(string.format("Good responses: %d\n", ok_all))
	io.write(string.format("Good responses/sec: %.2f\n",
	    ok_all / (summary.duration / 1e6)))
end
