"""What modq holds about a commenter: erase it on request, export it, and let it age out."""

from service.privacy.erasure import (
    ErasureReport,
    Person,
    erase_person,
    export_person,
)
from service.privacy.retention import RetentionReport, sweep_retention

__all__ = [
    "ErasureReport",
    "Person",
    "RetentionReport",
    "erase_person",
    "export_person",
    "sweep_retention",
]
