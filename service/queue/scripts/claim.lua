-- Claim: lease up to `limit` pending comments to one moderator, atomically.
-- Two claims never get the same comment: Redis runs one script at a time and
-- this one skips every comment that holds an unexpired lease.
--
-- KEYS[1]  zset   queue:pending       pending comment ids (score: created_at)
-- KEYS[2]  zset   queue:leases        leased comment ids (score: lease expiry, unix s)
-- KEYS[3]  hash   queue:lease_owners  comment id -> moderator
-- ARGV[1]  moderator name
-- ARGV[2]  now (unix seconds)
-- ARGV[3]  new lease expiry (unix seconds)
-- ARGV[4]  limit: most comments to hand out
-- ARGV[5…] candidate ids, best first (the caller's sort and filter)
-- Returns  the claimed ids: the moderator's own live leases first (renewed), then new ones.
local pending, leases, owners = KEYS[1], KEYS[2], KEYS[3]
local moderator, now, expires = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local limit = tonumber(ARGV[4])

-- Sweep: an expired lease returns its comment to the queue.
for _, id in ipairs(redis.call('ZRANGEBYSCORE', leases, '-inf', now)) do
  redis.call('ZREM', leases, id)
  redis.call('HDEL', owners, id)
end

local claimed, taken = {}, {}
-- The moderator's own leases come back first, renewed (a reloaded page keeps its batch).
for _, id in ipairs(redis.call('ZRANGE', leases, 0, -1)) do
  if redis.call('HGET', owners, id) == moderator then
    if redis.call('ZSCORE', pending, id) then
      redis.call('ZADD', leases, expires, id)
      if #claimed < limit then
        claimed[#claimed + 1] = id
        taken[id] = true
      end
    else
      redis.call('ZREM', leases, id)
      redis.call('HDEL', owners, id)
    end
  end
end

for i = 5, #ARGV do
  if #claimed >= limit then break end
  local id = ARGV[i]
  if not taken[id] and redis.call('ZSCORE', pending, id)
      and not redis.call('ZSCORE', leases, id) then
    redis.call('ZADD', leases, expires, id)
    redis.call('HSET', owners, id, moderator)
    claimed[#claimed + 1] = id
    taken[id] = true
  end
end
return claimed
