-- forget: a replica stops while connected and will never spend alone: the others need not
-- set its share aside. A tombstone, not a deletion, so that no heartbeat sent before (run
-- late) or written back after a data loss brings it back.
-- KEYS: see common.lua.  ARGV[1] replica id  ARGV[2] now µs ('' TIME)
local now = clock(ARGV[2])
redis.call('HSET', KEYS[6], ARGV[1], -now)
return 1
