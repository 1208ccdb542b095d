-- Shared prelude of every budget script (prepended by redis.go).
--
-- One budget's keys, all with the same hash tag so they live on one Cluster slot:
--   KEYS[1] log     sorted set: member "<ticket>|<cost>|<caller>", score = release time (µs)
--   KEYS[2] state   hash: used (running total), lock (µs), epoch, born (µs)
--   KEYS[3] wait    sorted set: member "<deadline µs>|<cost>|<caller cap>|<caller>|<waiter id>",
--                   score = rank·2^42 + arrival ms
--   KEYS[4] callers hash: caller -> points counted
--   KEYS[5] slots   hash: floor(release / slot_us) -> points released in that slot
--   KEYS[6] beats   hash: replica id -> until when (µs) the replica counts as connected,
--                   or -(when it said goodbye): a tombstone no late or written-back beat revives
-- Time is Redis TIME unless a test passes an explicit now.

local function clock(override)
  if override ~= nil and override ~= '' then
    return tonumber(override)
  end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

local function parse_entry(member)
  local id, cost, caller = string.match(member, '^(.-)|(%d+)|(.*)$')
  return id, tonumber(cost), caller
end

local function parse_waiter(member)
  local deadline, cost, cap, caller = string.match(member, '^(%d+)|(%d+)|(%d+)|([^|]*)|')
  return tonumber(deadline), tonumber(cost), tonumber(cap), caller
end

-- ensure_epoch creates the budget's state when it is missing (first use, or Redis lost
-- its data) and returns the epoch and when it was born.
local function ensure_epoch(state, candidate, now)
  local e = redis.call('HMGET', state, 'epoch', 'born')
  if e[1] then
    return e[1], tonumber(e[2])
  end
  redis.call('HSET', state, 'epoch', candidate, 'born', now, 'used', 0)
  return candidate, now
end

local function add_slot(slots, slot_us, release, cost)
  local f = math.floor(release / slot_us)
  if redis.call('HINCRBY', slots, f, cost) <= 0 then
    redis.call('HDEL', slots, f)
  end
end

-- evict releases entries whose time has come, at most 256 per call (the rest on the next
-- call: until then the total is only ever too high, never too low). Returns used.
local function evict(log, state, callers, slots, now, slot_us)
  local gone = redis.call('ZRANGEBYSCORE', log, '-inf', now, 'WITHSCORES', 'LIMIT', 0, 256)
  local used = tonumber(redis.call('HGET', state, 'used') or '0')
  if #gone > 0 then
    local members = {}
    for i = 1, #gone, 2 do
      local _, cost, caller = parse_entry(gone[i])
      used = used - cost
      if redis.call('HINCRBY', callers, caller, -cost) <= 0 then
        redis.call('HDEL', callers, caller)
      end
      add_slot(slots, slot_us, tonumber(gone[i + 1]), -cost)
      members[#members + 1] = gone[i]
    end
    redis.call('ZREM', log, unpack(members))
  end
  if redis.call('ZCARD', log) == 0 then
    -- Nothing is alive, so nothing is counted: heals any drift (keys expired apart).
    used = 0
    redis.call('DEL', callers, slots)
  end
  redis.call('HSET', state, 'used', used)
  return used
end

-- beat records that replica is connected until until_us (a Redis time the replica derived
-- from an earlier answer, never from this call's own clock: a command that Redis runs late,
-- after the replica gave up on it, must not make the replica look connected). Only ever
-- moves later.
local function beat(beats, replica, until_us)
  if replica == '' or until_us == nil or until_us <= 0 then
    return
  end
  local cur = tonumber(redis.call('HGET', beats, replica) or '0')
  if cur >= 0 and until_us > cur then
    redis.call('HSET', beats, replica, until_us)
  end
end

-- outage returns the points to set aside for replicas cut off from Redis: share each for
-- every replica (other than me) whose heartbeat lapsed less than gone_us ago, since it may
-- be spending its local share. Replicas gone longer are forgotten: by then they have
-- stopped spending alone.
local function outage(beats, me, now, share, gone_us)
  if share <= 0 then
    return 0
  end
  local aside = 0
  local all = redis.call('HGETALL', beats)
  for i = 1, #all, 2 do
    local until_us = tonumber(all[i + 1])
    if until_us < 0 then
      if now + until_us > gone_us then
        redis.call('HDEL', beats, all[i]) -- a goodbye old enough that nothing can revive it
      end
    elseif all[i] ~= me and until_us < now then
      if until_us + gone_us <= now then
        redis.call('HDEL', beats, all[i])
      else
        aside = aside + share
      end
    end
  end
  return aside
end

local function touch(keys, ttl_ms, state_ttl_ms)
  for i = 1, #keys do
    if i == 2 or i == 6 then
      redis.call('PEXPIRE', keys[i], state_ttl_ms)
    else
      redis.call('PEXPIRE', keys[i], ttl_ms)
    end
  end
end
