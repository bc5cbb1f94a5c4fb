"""The service's day and hour: an instant read by a boundary (command line, pages) seen in the
service's time zone (`CPMS_TIMEZONE`, Europe/Paris by default), whatever zone the server runs in.

Pure functions of the instant they are given: nothing here reads the clock.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import SettingsError

DEFAULT_ZONE = "Europe/Paris"


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone_info(name: str) -> ZoneInfo:
    """The time zone called `name` (an IANA name such as `Europe/Paris`); SettingsError, in
    French and naming the setting, when there is no such zone."""
    try:
        return _zone(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise SettingsError(
            f"Fuseau horaire inconnu : « {name} ». Indiquez dans CPMS_TIMEZONE un nom de fuseau "
            f"de la base IANA, par exemple {DEFAULT_ZONE}."
        ) from exc


def service_time(now: datetime, zone: str) -> datetime:
    """The instant `now` (aware) as the clocks of the service show it: an aware datetime in
    `zone`. A naive `now` is refused: it would silently mean the server's own zone."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("service_time needs an aware datetime (an instant, e.g. in UTC)")
    return now.astimezone(zone_info(zone))


def service_day(now: datetime, zone: str) -> date:
    """The service's date at the instant `now`: the day every deadline is judged against
    (2026-03-28 23:30 UTC is already 2026-03-29 in Paris)."""
    return service_time(now, zone).date()
