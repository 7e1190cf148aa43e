-- SPDX-License-Identifier: ISC
-- Copyright (c) 2026 The tokend authors; see the LICENSE file.
-- wrk script: POST /auth/refresh, each refresh token used exactly once.
--
-- Environment:
--	BENCH_POOL	file of live refresh tokens, one a line; read at the
--			start, rewritten at the end with the tokens still unused
--	BENCH_THREADS	the -t of wrk
--
-- Every wrk thread has its own Lua state and its own connections (25 of
-- the 50 with -t2 -c50).  Thread n takes the lines n, n + BENCH_THREADS,
-- ... of the pool as its queue.  request() pops the oldest token of the
-- queue; response() pushes the token of every 200 answer.  A connection
-- sends its next request only after response() saw the previous answer,
-- so while every answer is a 200 a thread has exactly as many tokens as
-- it was given, of which at most one per connection is in flight: a
-- queue of at least the connections of the thread never runs dry.
--
-- When the queue is empty all the same (answers that were not 200 lost
-- their tokens), the request carries the token "pool-empty", which the
-- server must refuse (401): wrk counts it as an error, and done() prints
-- "pool empty N".  Answers that are 2xx or 3xx but not a 200 with a
-- refresh token are counted as "Bad responses" (wrk counts only statuses
-- above 399); "Good responses/sec" is the rate of the 200 answers with a
-- refresh token alone.  The tokens of requests still in flight when wrk
-- stops are lost, since the server may have used them: done() writes
-- back only the unused ones, and bench.sh tops the pool up with logins
-- before the next run.

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
	queue, head, tail = {}, 1, 0
	empty, bad, ok = 0, 0, 0
	for line in io.lines(os.getenv("BENCH_POOL")) do
		if line ~= "" then
			if i % nthreads == id then
				tail = tail + 1
				queue[tail] = line
			end
			i = i + 1
		end
	end
	given = tail
	wrk.method = "POST"
	wrk.path = "/auth/refresh"
	wrk.headers["Content-Type"] = "application/json"
end

function request()
	local t
	if head > tail then
		empty = empty + 1
		t = "pool-empty"
	else
		t = queue[head]
		queue[head] = nil
		head = head + 1
	end
	return wrk.format(nil, nil, nil, '{"refresh_token":"' .. t .. '"}')
end

function response(status, headers, body)
	if status == 200 then
		local t = body:match('"refresh_token":"([^"]+)"')
		if t then
			tail = tail + 1
			queue[tail] = t
			ok = ok + 1
		else
			bad = bad + 1
		end
	elseif status < 400 then
		bad = bad + 1
	end
end

function done(summary, latency, requests)
	local f = assert(io.open(os.getenv("BENCH_POOL"), "w"))
	local left, given_all, empty_all, bad_all, ok_all = 0, 0, 0, 0, 0
	for _, t in ipairs(threads) do
		local q, h, n = t:get("queue"), t:get("head"), t:get("tail")
		for i = h, n do
			f:write(q[i], "\n")
			left = left + 1
		end
		given_all = given_all + t:get("given")
		empty_all = empty_all + t:get("empty")
		bad_all = bad_all + t:get("bad")
		ok_all = ok_all + t:get("ok")
	end
	f:close()
	io.write(string.format("refresh: pool %d tokens, %d left unused, " ..
	    "pool empty %d\n", given_all, left, empty_all))
	io.write(string.format("Bad responses: %d\n", bad_all))
	io.write(string.format("Good responses: %d\n", ok_all))
	io.write(string.format("Good responses/sec: %.2f\n",
	    ok_all / (summary.duration / 1e6)))
end
