-- Decide: record a moderator's final decision on a pending comment, all at once:
-- the comment's status, leaving the queue, the websites' feed, the training
-- label, the audit record and the hourly stats. Nothing is written unless
-- every check passes. A correction (ARGV[13] = "1": a moderator's "correct": true,
-- or a site's feedback) also re-decides a comment decided before, automatically or
-- by a moderator; its feed entry's event is "corrected".
--
-- KEYS[1]  hash   comment:<id>
-- KEYS[2]  zset   queue:pending       pending comment ids (score: created_at)
-- KEYS[3]  zset   queue:leases        leased comment ids (score: lease expiry, unix s)
-- KEYS[4]  hash   queue:lease_owners  comment id -> moderator
-- KEYS[5]  stream decisions           feed of final decisions (websites poll it)
-- KEYS[6]  stream labels              training labels
-- KEYS[7]  stream audit               who decided what and when
-- KEYS[8]  hash   stats:decided:<hour> decision counts of this UTC hour
-- ARGV[1]  comment id
-- ARGV[2]  moderator name
-- ARGV[3]  now (unix seconds)
-- ARGV[4]  decided_at as shown to clients
-- ARGV[5]  the pending status value ("pending")
-- ARGV[6]  new status ("approved" | "rejected")
-- ARGV[7]  reason ("" | "spam" | "toxic" | "other")
-- ARGV[8]  spam label ("0" | "1" | "")
-- ARGV[9]  toxic label ("0" | "1" | "")
-- ARGV[10] "1" to write a training label, "0" not to
-- ARGV[11] seconds to keep the hourly stats hash
-- ARGV[12] where the decision came from ("api" | "page" | "feedback")
-- ARGV[13] "1" for a correction (an earlier decision may be replaced), else "0"
-- ARGV[14] who decides: "moderator" (ARGV[2] is their name) or "site" (ARGV[2] is
--          "site:<name>"; a site's feedback overrides leases and is not counted in
--          the moderators' hourly stats)
-- Returns  {"ok", <decisions entry id>, <created_at>, <event>, <previous status>}
--          or {"not_found"} | {"decided", <status>} | {"leased", <holder>, <expiry>}
local comment, pending, leases, owners = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id, moderator, now, decided_at = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local pending_status, status, reason = ARGV[5], ARGV[6], ARGV[7]
local correcting, by_site = ARGV[13] == '1', ARGV[14] == 'site'

local f = redis.call('HMGET', comment, 'status', 'external_id', 'text', 'name', 'email',
  'url', 'thread', 'model_version', 'spam', 'toxicity', 'created_at')
local current = f[1]
if not current then return {'not_found'} end
if current ~= pending_status and not correcting then return {'decided', current} end
-- The first human decision of a pending comment is "decided"; feedback from a site and
-- the correction of an earlier decision (automatic or human) are "corrected".
local event = 'decided'
if by_site or current ~= pending_status then event = 'corrected' end

local expiry = tonumber(redis.call('ZSCORE', leases, id))
local holder = redis.call('HGET', owners, id)
if expiry and expiry > now and holder ~= moderator and not by_site then
  return {'leased', tostring(holder), tostring(expiry)}
end
local held = (expiry and expiry > now) and '1' or '0'

redis.call('HSET', comment, 'status', status, 'decided_at', decided_at,
  'decided_by', moderator, 'decision_reason', reason)
redis.call('ZREM', pending, id)
redis.call('ZREM', leases, id)
redis.call('HDEL', owners, id)

local external_id = f[2] or ''
local entry = redis.call('XADD', KEYS[5], '*', 'id', id, 'external_id', external_id,
  'thread', f[7] or '', 'status', status, 'decided_at', decided_at, 'reason', reason,
  'by', moderator, 'event', event)

if ARGV[10] == '1' then
  local domain = ''
  local email = f[5] or ''
  local at = string.match(email, '@([^@]+)$')
  if at then domain = '@' .. string.lower(at) end
  redis.call('XADD', KEYS[6], '*', 'id', id, 'text', f[3] or '', 'name', f[4] or '',
    'email', domain, 'url', f[6] or '', 'spam', ARGV[8], 'toxic', ARGV[9],
    'source', 'moderator', 'thread', f[7] or '', 'model_version', f[8] or '',
    'spam_score', f[9] or '', 'toxicity_score', f[10] or '',
    'decided_by', moderator, 'decided_at', decided_at, 'event', event)
end

if by_site then
  redis.call('XADD', KEYS[7], '*', 'action', 'feedback', 'id', id,
    'site', string.sub(moderator, 6), 'by', moderator, 'from', current, 'to', status,
    'reason', reason, 'at', decided_at, 'event', event, 'via', ARGV[12],
    'decision_entry', entry)
  return {'ok', entry, f[11] or '', event, current}
end

redis.call('XADD', KEYS[7], '*', 'action', 'decide', 'id', id, 'moderator', moderator,
  'from', current, 'to', status, 'reason', reason, 'at', decided_at,
  'held_lease', held, 'via', ARGV[12], 'decision_entry', entry, 'event', event)

redis.call('HINCRBY', KEYS[8], 'total', 1)
redis.call('HINCRBY', KEYS[8], 'status:' .. status, 1)
redis.call('HINCRBY', KEYS[8], 'moderator:' .. moderator, 1)
redis.call('EXPIRE', KEYS[8], ARGV[11])
return {'ok', entry, f[11] or '', event, current}
