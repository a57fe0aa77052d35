"""Timestamps: parsing what clients send, and writing them back out. Every timestamp inside the
service is aware and in UTC; one sent without an offset is taken as UTC."""
from datetime import datetime, timezone

from .errors import BadRequest


def parse_timestamp(value, field):
    """Parses an ISO 8601 date-time such as "2024-07-01T17:00:00+02:00"."""
    if not isinstance(value, str):
        raise BadRequest(f'{field} must be an ISO 8601 date-time such as "2024-07-01T17:00:00Z"')
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadRequest(f'{field} must be an ISO 8601 date-time such as "2024-07-01T17:00:00Z"') from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def now():
    return datetime.now(timezone.utc)


def to_iso(moment):
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
