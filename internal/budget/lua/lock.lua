-- lock: the upstream locked the organisation out; refuse every ask until now + ARGV[1].
-- KEYS: see common.lua.  ARGV[1] duration µs  ARGV[2] now µs ('' TIME)  ARGV[3] state TTL ms
-- ARGV[4] epoch candidate
-- Returns the lock's end (µs), which only ever moves later.
local state = KEYS[2]
local now = clock(ARGV[2])
ensure_epoch(state, ARGV[4], now)
local until_us = now + tonumber(ARGV[1])
local cur = tonumber(redis.call('HGET', state, 'lock') or '0')
if until_us > cur then
  redis.call('HSET', state, 'lock', until_us)
  cur = until_us
end
redis.call('PEXPIRE', state, ARGV[3])
return cur
