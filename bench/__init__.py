"""Performance benchmarks, run as ``python -m bench`` (``make bench``)."""
