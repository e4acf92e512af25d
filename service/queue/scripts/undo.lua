-- Undo: take back a page decision still inside its undo window. The comment is pending
-- again and leased back to the moderator who decided it; nothing reached the feed or the
-- labels, so nothing else needs correcting. Audited.
--
-- KEYS[1]  hash   comment:<id>
-- KEYS[2]  zset   queue:pending
-- KEYS[3]  zset   queue:leases
-- KEYS[4]  hash   queue:lease_owners
-- KEYS[5]  zset   queue:held
-- KEYS[6]  hash   queue:held_data
-- KEYS[7]  stream audit
-- KEYS[8]  hash   stats:decided:<hour of the decision>
-- ARGV[1]  comment id
-- ARGV[2]  moderator name (only the one who decided may undo)
-- ARGV[3]  now (unix seconds)
-- ARGV[4]  now as shown to clients
-- ARGV[5]  the pending status value ("pending")
-- ARGV[6]  lease expiry to give the comment back with (unix s)
-- Returns  {"ok", <status it had>} or {"not_held"} | {"expired"} | {"not_yours", <moderator>}
local id, moderator, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local until_ = tonumber(redis.call('ZSCORE', KEYS[5], id))
local raw = redis.call('HGET', KEYS[6], id)
if not until_ or not raw then return {'not_held'} end
if until_ <= now then return {'expired'} end
local held = cjson.decode(raw)
if held.by ~= moderator then return {'not_yours', tostring(held.by)} end

redis.call('HSET', KEYS[1], 'status', ARGV[5])
redis.call('HDEL', KEYS[1], 'decided_at', 'decided_by', 'decision_reason')
local created = tonumber(held.created_at) or now
redis.call('ZADD', KEYS[2], created, id)
redis.call('ZADD', KEYS[3], tonumber(ARGV[6]), id)
redis.call('HSET', KEYS[4], id, moderator)
redis.call('ZREM', KEYS[5], id)
redis.call('HDEL', KEYS[6], id)
redis.call('XADD', KEYS[7], '*', 'action', 'undo', 'id', id, 'moderator', moderator,
  'from', tostring(held.status), 'to', ARGV[5], 'at', ARGV[4], 'via', 'page')
if redis.call('EXISTS', KEYS[8]) == 1 then
  redis.call('HINCRBY', KEYS[8], 'total', -1)
  redis.call('HINCRBY', KEYS[8], 'status:' .. tostring(held.status), -1)
  redis.call('HINCRBY', KEYS[8], 'moderator:' .. moderator, -1)
end
return {'ok', tostring(held.status)}
