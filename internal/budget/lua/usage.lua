-- usage: the budget's state, after evicting what expired; also a replica's heartbeat.
-- KEYS: see common.lua.  ARGV[1] now µs ('' TIME)  ARGV[2] slot µs
-- ARGV[3] replica id ('' none)  ARGV[4] heartbeat: connected until µs (0 none)
-- ARGV[5] state TTL ms (the heartbeats' too)
-- Returns {used, lock remaining µs, waiters, epoch or '', now µs, {slot, points, ...},
--          {caller, points, ...}, {replica, connected until µs, ...}}
local log, state, wait, callers, slots, beats = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local now = clock(ARGV[1])
local slot_us = tonumber(ARGV[2])
local used = 0
if redis.call('EXISTS', state) == 1 then
  used = evict(log, state, callers, slots, now, slot_us)
end
beat(beats, ARGV[3], tonumber(ARGV[4]))
redis.call('PEXPIRE', beats, ARGV[5])
local lock = tonumber(redis.call('HGET', state, 'lock') or '0') - now
if lock < 0 then
  lock = 0
end
return {used, lock, redis.call('ZCARD', wait), redis.call('HGET', state, 'epoch') or '', now,
  redis.call('HGETALL', slots), redis.call('HGETALL', callers), redis.call('HGETALL', beats)}
