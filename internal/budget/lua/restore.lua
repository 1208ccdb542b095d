-- restore: write back entries a replica admitted (through Redis, or alone during an
-- outage) after Redis lost them or could not be reached. Idempotent: an entry already
-- present is left as it is, unless it was answered since (its release moves earlier).
-- KEYS: see common.lua.
-- ARGV[1] now µs ('' TIME)  ARGV[2] key TTL ms  ARGV[3] state TTL ms  ARGV[4] epoch candidate
-- ARGV[5] slot µs  ARGV[6] replica id ('' none)  ARGV[7] heartbeat: connected until µs (0 none)
-- ARGV[8] b, then b pairs (replica, connected until µs): heartbeats the replica last saw,
-- written back so that a Redis restarted empty still leaves cut-off replicas their share;
-- then n (ARGV[9 + 2b]) and n pairs (member, µs until its release) to write back;
-- then members to cancel: asks whose answer the replica never received (a timeout while
-- Redis hung); they were never forwarded, so their points are given back.
-- Returns {epoch, used, restored count, now µs}
local log, state, wait, callers, slots, beats = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local now = clock(ARGV[1])
local slot_us = tonumber(ARGV[5])
local epoch = ensure_epoch(state, ARGV[4], now)
local used = evict(log, state, callers, slots, now, slot_us)
local b = tonumber(ARGV[8])
for i = 9, 8 + 2 * b, 2 do
  beat(beats, ARGV[i], tonumber(ARGV[i + 1]))
end
beat(beats, ARGV[6], tonumber(ARGV[7]))
local first = 10 + 2 * b
local n = tonumber(ARGV[first - 1])
local restored = 0
for i = first + 2 * n, #ARGV do
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
for i = first, first - 1 + 2 * n, 2 do
  local member, left = ARGV[i], tonumber(ARGV[i + 1])
  if left > 0 then
    local _, cost, caller = parse_entry(member)
    local old = redis.call('ZSCORE', log, member)
    if not old then
      redis.call('ZADD', log, now + left, member)
      redis.call('HINCRBY', callers, caller, cost)
      add_slot(slots, slot_us, now + left, cost)
      used = used + cost
      restored = restored + 1
    elseif now + left < tonumber(old) then
      -- answered during the outage: count it until window after the answer, as settle would
      redis.call('ZADD', log, 'XX', now + left, member)
      add_slot(slots, slot_us, tonumber(old), -cost)
      add_slot(slots, slot_us, now + left, cost)
    end
  end
end
redis.call('HSET', state, 'used', used)
touch(KEYS, ARGV[2], ARGV[3])
return {epoch, used, restored, now}
