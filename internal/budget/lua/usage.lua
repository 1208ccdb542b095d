-- usage: the budget's state, after evicting what expired.
-- KEYS: see common.lua.  ARGV[1] now µs ('' TIME)  ARGV[2] slot µs
-- Returns {used, lock remaining µs, waiters, epoch or '', now µs, {slot, points, ...}, {caller, points, ...}}
local log, state, wait, callers, slots = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local now = clock(ARGV[1])
local slot_us = tonumber(ARGV[2])
local used = 0
if redis.call('EXISTS', state) == 1 then
  used = evict(log, state, callers, slots, now, slot_us)
end
local lock = tonumber(redis.call('HGET', state, 'lock') or '0') - now
if lock < 0 then
  lock = 0
end
return {used, lock, redis.call('ZCARD', wait), redis.call('HGET', state, 'epoch') or '', now,
  redis.call('HGETALL', slots), redis.call('HGETALL', callers)}
