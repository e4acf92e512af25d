"""Signed webhooks (the Standard Webhooks specification) pushed to the sites.

How an event travels:
1. Its source is a Redis stream written in the same script as the change itself:
   ``P:events:created`` by the intake script (only while an endpoint wants
   ``comment.created``), ``P:decisions`` by the decision scripts (``event`` =
   ``decided`` or ``corrected``).
2. The router (``router.py``; one per namespace at a time, under a Redis lease)
   reads both streams from its cursor, builds each event's body once, and queues
   one message per subscribed endpoint, moving its cursor in the same script.
3. The delivery worker (``worker.py``; any number of processes on any hosts) claims
   due messages by pushing their due time forward by a lease (``outbox.py``), POSTs
   them signed (``signing.py``, ``sender.py``), and records the outcome: delivered,
   retried later with the spec's backoff, failed (replayable), or endpoint gone (410).
One comment's messages to one endpoint leave in order: only the head of the comment's
chain is due at any time.
"""
