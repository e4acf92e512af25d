"""Protocol translation between modq and the platforms that use it (no Flask here)."""
