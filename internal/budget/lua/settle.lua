-- settle: the upstream answered each ticket's call (by now); count it until now + window,
-- never longer than it already was. Settles of one budget are sent together.
-- KEYS: see common.lua.  ARGV[1] window µs  ARGV[2] now µs ('' TIME)  ARGV[3] slot µs
-- ARGV[4..] members
-- Returns how many release times moved earlier.
local log, slots = KEYS[1], KEYS[5]
local now = clock(ARGV[2])
local release = now + tonumber(ARGV[1])
local slot_us = tonumber(ARGV[3])
local moved = 0
for i = 4, #ARGV do
  local old = redis.call('ZSCORE', log, ARGV[i])
  if old then
    old = tonumber(old)
    if release < old then
      local _, cost = parse_entry(ARGV[i])
      redis.call('ZADD', log, 'XX', release, ARGV[i])
      add_slot(slots, slot_us, old, -cost)
      add_slot(slots, slot_us, release, cost)
      moved = moved + 1
    end
  end
end
return moved
