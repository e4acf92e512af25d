-- Sweep: return every comment whose lease has expired to the queue.
--
-- KEYS[1]  zset   queue:leases        leased comment ids (score: lease expiry, unix s)
-- KEYS[2]  hash   queue:lease_owners  comment id -> moderator
-- ARGV[1]  now (unix seconds)
-- Returns  how many leases expired.
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
for _, id in ipairs(expired) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
end
return #expired
