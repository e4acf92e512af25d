"""How a worker's concurrent requests share work: coalescing calls into batches
(``batching``: the scorer's waves and the store's group commit) and running long work off
gevent's event loop (``native_thread``). Imports nothing of modq's.
"""
