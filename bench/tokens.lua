-- SPDX-License-Identifier: ISC
-- Copyright (c) 2026 The tokend authors; see the LICENSE file.
-- wrk script: GET the URL with a different bearer token each request,
-- taken in turn from a file of tokens, one a line (BENCH_TOKENS): with
-- more tokens than the workers' credential caches hold, every request
-- misses the cache and keyd verifies its signature (the cold case).
-- Thread n starts at line n * (lines / BENCH_THREADS).
local tokens = {}
local next_id = 0
local i = 1

function setup(thread)
	thread:set("id", next_id)
	next_id = next_id + 1
end

function init(args)
	for line in io.lines(os.getenv("BENCH_TOKENS")) do
		tokens[#tokens + 1] = line
	end
	local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
	i = 1 + id * math.floor(#tokens / nthreads)
end

function request()
	local t = tokens[i]
	i = i + 1
	if i > #tokens then i = 1 end
	return wrk.format("GET", nil, { ["Authorization"] = "Bearer " .. t })
end
