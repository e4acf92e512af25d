-- Flush: commit the page decisions whose undo window has passed: each one's entry goes
-- to the websites' feed and its label to the training labels, in the order they were
-- decided, and leaves the held set. Run before the feed is read and on every sweep.
--
-- KEYS[1]  zset   queue:held          held comment ids (score: commit time, unix s)
-- KEYS[2]  hash   queue:held_data     held comment id -> JSON {"feed", "label", ...}
-- KEYS[3]  stream decisions           feed of final decisions
-- KEYS[4]  stream labels              training labels
-- ARGV[1]  now (unix seconds)
-- ARGV[2]  most decisions to commit in this call
-- Returns  how many were committed
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(due) do
  local raw = redis.call('HGET', KEYS[2], id)
  if raw then
    local held = cjson.decode(raw)
    redis.call('XADD', KEYS[3], '*', unpack(held.feed))
    if type(held.label) == 'table' then redis.call('XADD', KEYS[4], '*', unpack(held.label)) end
  end
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
end
return #due
