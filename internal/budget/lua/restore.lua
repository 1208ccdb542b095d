-- restore: write back entries a replica admitted (through Redis, or alone during an
-- outage) after Redis lost them or could not be reached. Idempotent: an entry already
-- present is left as it is.
-- KEYS: see common.lua.
-- ARGV[1] now µs ('' TIME)  ARGV[2] key TTL ms  ARGV[3] state TTL ms  ARGV[4] epoch candidate
-- ARGV[5] slot µs, ARGV[6] n: then n pairs (member, µs until its release) to write back,
-- then members to cancel: asks whose answer the replica never received (a timeout while
-- Redis hung); they were never forwarded, so their points are given back.
-- Returns {epoch, used, restored count}
local log, state, wait, callers, slots = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local now = clock(ARGV[1])
local slot_us = tonumber(ARGV[5])
local epoch = ensure_epoch(state, ARGV[4], now)
local used = evict(log, state, callers, slots, now, slot_us)
local restored = 0
local n = tonumber(ARGV[6])
for i = 7 + 2 * n, #ARGV do
  local old = redis.call('ZSCORE', log, ARGV[i])
  if old then
    local _, cost, caller = parse_entry(ARGV[i])
    redis.call('ZREM', log, ARGV[i])
    if redis.call('HINCRBY', callers, caller, -cost) <= 0 then
      redis.call('HDEL', callers, caller)
    end
    add_slot(slots, slot_us, tonumber(old), -cost)
    used = used - cost
  end
end
for i = 7, 6 + 2 * n, 2 do
  local member, left = ARGV[i], tonumber(ARGV[i + 1])
  if left > 0 and not redis.call('ZSCORE', log, member) then
    local _, cost, caller = parse_entry(member)
    redis.call('ZADD', log, now + left, member)
    redis.call('HINCRBY', callers, caller, cost)
    add_slot(slots, slot_us, now + left, cost)
    used = used + cost
    restored = restored + 1
  end
end
redis.call('HSET', state, 'used', used)
touch(KEYS, ARGV[2], ARGV[3])
return {epoch, used, restored}
