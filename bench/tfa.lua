-- SPDX-License-Identifier: ISC
-- Copyright (c) 2026 The tokend authors; see the LICENSE file.
-- wrk script: POST /auth/login with a TOTP code, each code used once.
--
-- Environment:
--	BENCH_TFA	file of "email password S C0 C1 ... CK" lines: the
--			codes of the time steps S to S + K (bench/tfa.py)
--	BENCH_TFA_STATE	file of "email step" lines: the last step each user
--			was sent a code of; read at the start when it
--			exists, rewritten at the end
--	BENCH_THREADS	the -t of wrk
--
-- keyd takes a code of a user only for a step later than the last one
-- it took from that user (keyd/tfa.c), so a user logs in at most once a
-- 30 s step.  Thread n takes the users n, n + BENCH_THREADS, ... and
-- goes round them in turn, sending each user the code of the step of
-- the moment (os.time()), and skips a user already sent a code of this
-- step or a later one; bench.sh seeds enough users that a user comes
-- round again only after a minute at the argon2 rate, so that no user
-- has two logins in flight and none is skipped.
--
-- A login bound to fail is never sent: a refused code counts as a
-- failed login, and failures from one address hold back every later
-- login from it, the plain login runs' too (keyd/lockout.c).  So when
-- every user of the thread was sent a code of this step, delay() holds
-- the connection until the next step ("waits"); when request() finds no
-- user all the same (another connection took the last one meanwhile),
-- or the file has no code for the step, it sends GET /server/ping
-- instead, which counts as a bad response ("no user", "no code").
--
-- "Good responses/sec" is the rate of 200 answers with an access token;
-- 401 answers (a code refused) are counted apart as "refused" (wrk
-- counts them among the non-2xx answers), other 2xx and 3xx as "Bad
-- responses".

local threads = {}
local next_id = 0

function setup(thread)
	thread:set("id", next_id)
	next_id = next_id + 1
	table.insert(threads, thread)
end

function init(args)
	local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
	local state, i = {}, 0
	local f = io.open(os.getenv("BENCH_TFA_STATE"), "r")
	if f then
		for line in f:lines() do
			local email, step = line:match("^(%S+) (%d+)$")
			if email then state[email] = tonumber(step) end
		end
		f:close()
	end
	emails, prefix, first, codes, last = {}, {}, {}, {}, {}
	n, k, ok, bad, refused, waits, nouser, nocode = 0, 0, 0, 0, 0, 0, 0, 0
	for line in io.lines(os.getenv("BENCH_TFA")) do
		local email, pw, s0, rest = line:match("^(%S+) (%S+) (%d+) (.*)$")
		if email then
			if i % nthreads == id then
				n = n + 1
				emails[n] = email
				prefix[n] = '{"email":"' .. email ..
				    '","password":"' .. pw .. '","otp":"'
				first[n] = tonumber(s0)
				codes[n] = {}
				for c in rest:gmatch("%d+") do
					table.insert(codes[n], c)
				end
				last[n] = state[email] or -1
			end
			i = i + 1
		end
	end
	assert(n > 0, "no TFA users for this thread")
	headers = { ["Content-Type"] = "application/json" }
end

-- The next user after k not sent a code of step yet, or nil.
local function free_user(step)
	for i = 1, n do
		local j = (k + i - 1) % n + 1
		if last[j] < step then
			return j
		end
	end
	return nil
end

function delay()
	local t = os.time()
	if free_user(math.floor(t / 30)) then
		return 0
	end
	waits = waits + 1
	return (30 - t % 30) * 1000 + 100
end

function request()
	local step = math.floor(os.time() / 30)
	local j = free_user(step)
	local code = j and codes[j][step - first[j] + 1]
	if j == nil or code == nil then
		if j == nil then nouser = nouser + 1 else nocode = nocode + 1 end
		return wrk.format("GET", "/server/ping")
	end
	k = j
	last[k] = step
	return wrk.format("POST", "/auth/login", headers,
	    prefix[k] .. code .. '"}')
end

function response(status, headers, body)
	if status == 200 and body:find('"access_token":"', 1, true) then
		ok = ok + 1
	elseif status == 401 then
		refused = refused + 1
	elseif status < 400 then
		bad = bad + 1
	end
end

function done(summary, latency, requests)
	local f = assert(io.open(os.getenv("BENCH_TFA_STATE"), "w"))
	local users, ok_all, bad_all, refused_all = 0, 0, 0, 0
	local waits_all, nouser_all, nocode_all = 0, 0, 0
	for _, t in ipairs(threads) do
		local e, l = t:get("emails"), t:get("last")
		for j = 1, t:get("n") do
			if l[j] >= 0 then
				f:write(e[j], " ", l[j], "\n")
			end
		end
		users = users + t:get("n")
		ok_all = ok_all + t:get("ok")
		bad_all = bad_all + t:get("bad")
		refused_all = refused_all + t:get("refused")
		waits_all = waits_all + t:get("waits")
		nouser_all = nouser_all + t:get("nouser")
		nocode_all = nocode_all + t:get("nocode")
	end
	f:close()
	io.write(string.format("tfa: %d users, %d refused (401), " ..
	    "%d waits for a new step, %d no user, %d no code\n", users,
	    refused_all, waits_all, nouser_all, nocode_all))
	io.write(string.format("Bad responses: %d\n", bad_all))
	io.write(string.format("Good responses: %d\n", ok_all))
	io.write(string.format("Good responses/sec: %.2f\n",
	    ok_all / (summary.duration / 1e6)))
end
