-- settle: the upstream answered the ticket's call now; count it until now + window, never
-- longer than it already was.
-- KEYS: see common.lua.  ARGV[1] member  ARGV[2] window µs  ARGV[3] now µs ('' TIME)  ARGV[4] slot µs
-- Returns 1 if the release time moved earlier, else 0.
local log, slots = KEYS[1], KEYS[5]
local now = clock(ARGV[3])
local old = redis.call('ZSCORE', log, ARGV[1])
if not old then
  return 0
end
old = tonumber(old)
local release = now + tonumber(ARGV[2])
if release >= old then
  return 0
end
local _, cost = parse_entry(ARGV[1])
redis.call('ZADD', log, 'XX', release, ARGV[1])
add_slot(slots, tonumber(ARGV[4]), old, -cost)
add_slot(slots, tonumber(ARGV[4]), release, cost)
return 1
