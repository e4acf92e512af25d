"""Sites: the websites that share one modq, each with its keys and its own namespace."""

from service.sites.registry import DEFAULT_GRACE_SECONDS, UNCHANGED, Site, SiteRegistry

__all__ = ["DEFAULT_GRACE_SECONDS", "UNCHANGED", "Site", "SiteRegistry"]
