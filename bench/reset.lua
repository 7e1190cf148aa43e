-- SPDX-License-Identifier: ISC
-- Copyright (c) 2026 The tokend authors; see the LICENSE file.
-- wrk script: POST /auth/password/request, rotating through emails.
--
-- Environment:
--	BENCH_RESET	file of emails, one a line (bench users and unknown
--			addresses, in turn)
--	BENCH_RESET_URL	the reset_url of every request (on the
--			configuration's reset-url-allow)
--	BENCH_THREADS	the -t of wrk
--
-- Thread n takes the emails n, n + BENCH_THREADS, ... in turn.  Every
-- request must be answered 204, known email or not: "Good responses/sec"
-- is the rate of the 204 answers; other 2xx and 3xx answers are "Bad
-- responses" (wrk counts only statuses above 399).

local threads = {}
local next_id = 0

function setup(thread)
	thread:set("id", next_id)
	next_id = next_id + 1
	table.insert(threads, thread)
end

function init(args)
	local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
	local url = os.getenv("BENCH_RESET_URL")
	local i = 0
	bodies, n, bad, ok = {}, 0, 0, 0
	for email in io.lines(os.getenv("BENCH_RESET")) do
		if email ~= "" then
			if i % nthreads == id then
				n = n + 1
				bodies[n] = wrk.format("POST",
				    "/auth/password/request",
				    { ["Content-Type"] = "application/json" },
				    '{"email":"' .. email ..
				    '","reset_url":"' .. url .. '"}')
			end
			i = i + 1
		end
	end
	assert(n > 0, "no emails for this thread")
	k = 0
end

function request()
	k = k % n + 1
	return bodies[k]
end

function response(status, headers, body)
	if status == 204 then
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
