-- wrk script for scripts/bench-http.sh and bench-instructions.sh: GETs the paths listed in a file
-- (one a line) in rotation, each wrk thread from its own offset, so that a working set of
-- distinct blobs is read rather than one hot blob.
--
--   wrk -s scripts/bench-rotate.lua URL -- PATHS_FILE [HEADER_VALUE_OF_AUTHORIZATION]
--
-- wrk runs every connection of a thread through one request() function, so the thread's
-- connections share its position: each request takes the next path, and a path comes round
-- again only after all the others (with N paths and T threads, about N / T requests later).
-- Refusals are not checked here (a response() function makes wrk copy every body into Lua):
-- the caller fails on wrk's "Non-2xx or 3xx responses" line.
local threads = 0
function setup(thread)
    thread:set("number", threads)
    threads = threads + 1
end

local paths = {}
local position = 0
local headers = {}

function init(args)
    for line in io.lines(args[1]) do
        if #line > 0 then paths[#paths + 1] = line end
    end
    if args[2] then headers["Authorization"] = args[2] end
    local spread = math.floor(#paths / 8)
    position = (number * spread) % #paths
end

function request()
    position = position % #paths + 1
    return wrk.format("GET", paths[position], headers)
end
