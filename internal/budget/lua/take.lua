-- take: decide a batch of asks for one budget, in order, as if each were its own call made
-- at the same instant. One round trip, atomic: a lone ask is a batch of one.
-- KEYS: see common.lua.
-- ARGV[1] capacity      ARGV[2] window µs     ARGV[3] hold µs       ARGV[4] reserve
-- ARGV[5] now µs ('' Redis TIME)              ARGV[6] key TTL ms    ARGV[7] state TTL ms
-- ARGV[8] epoch candidate                     ARGV[9] restore grace µs  ARGV[10] slot µs
-- ARGV[11] replica id ('' none: no heartbeat, no outage shares)
-- ARGV[12] heartbeat: this replica is connected until (µs; 0 none)
-- ARGV[13] outage share: points set aside per replica cut off (0 none)
-- ARGV[14] µs after its heartbeat lapsed that a cut-off replica is forgotten
-- ARGV[15] n, the number of asks; then 10 values per ask:
--   cost, caller, rank (0 critical, 1 normal, 2 batch), caller cap (0: none), ticket id,
--   waiter handle from an earlier refusal ('' none), waiter id ('' do not queue),
--   waiter patience µs, lease points (0: an ordinary ask), lease life µs (also for ordinary
--   asks: a refusal while leases hold points says to ask again within it)
-- A lease ask is admitted as a lease when nobody waits and the lease leaves at least half
-- of what normal asks may use free: one entry "<ticket>|<lease points>|~lease", counted
-- until its life plus hold plus window from now (doc.go, Leases). Otherwise it is decided
-- as the ordinary ask it carries; a lease ask of cost 0 (Failover sends only those)
-- carries none, and is refused without writing anything.
-- Returns {now µs, epoch, then per ask: allowed 0|1, reason ('lease' when leased), used,
-- retry µs (-1 never), handle}
local log, state, wait, callers, slots, beats = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local capacity, window, hold, reserve = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local slot_us = tonumber(ARGV[10])
local replica = ARGV[11]
local n = tonumber(ARGV[15])
local now = clock(ARGV[5])
local epoch, born = ensure_epoch(state, ARGV[8], now)
local used = evict(log, state, callers, slots, now, slot_us)
beat(beats, replica, tonumber(ARGV[12]))
-- Replicas cut off from Redis may be spending their share alone: leave it to them.
local cut = outage(beats, replica, now, tonumber(ARGV[13]), tonumber(ARGV[14]))
local grace_end = born + tonumber(ARGV[9])
local lock = tonumber(redis.call('HGET', state, 'lock') or '0')
-- Most batches find nobody waiting: then no ask needs to look at the line (until one of
-- this batch joins it).
local anyone_waiting = redis.call('ZCARD', wait) > 0

local function decide(cost, caller, rank, cap, ticket, handle, waiter_id, patience, lease, life)
  -- After Redis lost its data, replicas write back what they admitted before anyone spends.
  if now < grace_end then
    return {0, 'exhausted', used, grace_end - now, handle}
  end
  if lock > now then
    return {0, 'lockout', used, lock - now, handle}
  end

  if lease > 0 and cap == 0 and handle == '' and not anyone_waiting
    and used + cut + lease <= math.floor((capacity - reserve) / 2) then
    local release = now + life + hold + window
    redis.call('ZADD', log, release, string.format('%s|%d|~lease', ticket, lease))
    redis.call('HINCRBY', callers, '~lease', lease)
    add_slot(slots, slot_us, release, lease)
    used = used + lease
    redis.call('HSET', state, 'used', used)
    return {1, 'lease', used, 0, ''}
  end
  if lease > 0 and cost == 0 then
    return {0, 'exhausted', used, -1, ''} -- a lease alone, not granted: nothing else to decide
  end

  local limit = capacity
  if rank ~= 0 then
    limit = capacity - reserve
  end
  if cost > limit or (cap > 0 and cost > cap) then
    return {0, 'too_expensive', used, -1, ''}
  end

  -- Points of the waiters ahead (up to 16) are set aside, so a stream of cheap asks cannot
  -- starve an expensive one that arrived first. Stale waiters (crashed replicas) age out.
  -- A capped caller's waiters together set aside no more than what its cap still allows:
  -- they cannot all be admitted, so the rest would hold back points nobody may spend.
  local me = nil
  if handle ~= '' then
    me = redis.call('ZSCORE', wait, handle)
  end
  local myscore
  if me then
    myscore = tonumber(me)
  else
    myscore = rank * 4398046511104 + math.floor(now / 1000)
  end
  local aside = 0
  local capped = {}
  local ahead = {}
  if anyone_waiting then
    ahead = redis.call('ZRANGE', wait, 0, 15, 'WITHSCORES')
  end
  for i = 1, #ahead, 2 do
    local deadline, c, wcap, wcaller = parse_waiter(ahead[i])
    local s = tonumber(ahead[i + 1])
    if deadline == nil or deadline <= now then
      redis.call('ZREM', wait, ahead[i]) -- aged out (or written by an older release)
    elseif s > myscore or ahead[i] == handle then
      break -- behind us (or us): two waiters of one millisecond must not reserve each other's points
    elseif wcap > 0 then
      local k = capped[wcaller]
      if k == nil then
        k = { wcap, 0 }
        capped[wcaller] = k
      end
      k[2] = k[2] + c
    else
      aside = aside + c
    end
  end
  for who, k in pairs(capped) do
    local room = k[1] - tonumber(redis.call('HGET', callers, who) or '0')
    if room > 0 then
      aside = aside + math.min(k[2], room)
    end
  end

  local mine = 0 -- what the caller has counted matters only against a cap
  if cap > 0 then
    mine = tonumber(redis.call('HGET', callers, caller) or '0')
  end
  local cap_ok = cap == 0 or mine + cost <= cap
  if cap_ok and used + aside + cut + cost <= limit then
    local release = now + hold + window
    redis.call('ZADD', log, release, string.format('%s|%d|%s', ticket, cost, caller))
    redis.call('HINCRBY', callers, caller, cost)
    add_slot(slots, slot_us, release, cost)
    used = used + cost
    -- Written per ask, not once per batch: a script that fails part-way (out of memory)
    -- keeps what it already did, and the total must already count it.
    redis.call('HSET', state, 'used', used)
    if me then
      redis.call('ZREM', wait, handle)
    end
    return {1, '', used, 0, ''}
  end

  -- Refused: say when enough points are released. Answered entries go at their score; an
  -- unanswered one (score beyond now + window) goes no sooner than now + window.
  local reason, need, who = 'exhausted', used + aside + cut + cost - limit, ''
  if not cap_ok then
    reason, need, who = 'caller_cap', mine + cost - cap, caller
  end
  local retry = -1
  local freed = 0
  local batch = redis.call('ZRANGEBYSCORE', log, '(' .. now, now + window, 'WITHSCORES', 'LIMIT', 0, 512)
  for i = 1, #batch, 2 do
    local _, c, whose = parse_entry(batch[i])
    if who == '' or whose == who then
      freed = freed + c
      if freed >= need then
        retry = tonumber(batch[i + 1]) - now
        break
      end
    end
  end
  if retry < 0 then
    if #batch == 1024 then
      retry = tonumber(batch[#batch]) - now -- walked far enough; wake then and ask again
    elseif (who == '' and used >= need) or (who ~= '' and mine >= need) then
      retry = window
    elseif who == '' and cut > 0 then
      retry = window -- the cut-off replicas' shares come back when they do
    end
  end

  if reason == 'exhausted' and life > 0 and (retry < 0 or retry > life)
    and tonumber(redis.call('HGET', callers, '~lease') or '0') > 0 then
    retry = life -- what leases hold unspent comes back when they close, about a life from now
  end

  if waiter_id ~= '' and not me then
    -- %d: '..' would print 1.8e+15
    handle = string.format('%d|%d|%d|%s|%s', now + patience, cost, cap, caller, waiter_id)
    redis.call('ZADD', wait, myscore, handle)
    anyone_waiting = true
  end
  return {0, reason, used, retry, handle}
end

local out = {now, epoch}
for i = 0, n - 1 do
  local b = 15 + i * 10
  local r = decide(tonumber(ARGV[b + 1]), ARGV[b + 2], tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4]),
    ARGV[b + 5], ARGV[b + 6], ARGV[b + 7], tonumber(ARGV[b + 8]), tonumber(ARGV[b + 9]), tonumber(ARGV[b + 10]))
  for j = 1, 5 do
    out[#out + 1] = r[j]
  end
end
touch(KEYS, ARGV[6], ARGV[7]) -- last, so keys made by this call get their TTL too
return out
