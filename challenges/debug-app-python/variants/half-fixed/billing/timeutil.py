"""Timestamps: parsing what clients send, and writing them back out."""
from datetime import datetime

from .errors import BadRequest


def parse_timestamp(value, field):
    """Parses an ISO 8601 date-time such as "2024-07-01T17:00:00+02:00"."""
    if not isinstance(value, str):
        raise BadRequest(f'{field} must be an ISO 8601 date-time such as "2024-07-01T17:00:00Z"')
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadRequest(f'{field} must be an ISO 8601 date-time such as "2024-07-01T17:00:00Z"') from None
    # Keep every timestamp naive, like now(): Python refuses to compare naive and aware ones.
    return parsed.replace(tzinfo=None)


def now():
    return datetime.now()


def to_iso(moment):
    return moment.isoformat(timespec="seconds")
