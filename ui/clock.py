"""The pages' clock: the one place of `ui` that reads it. `now()` is the instant a page writes
(audit log, history, import), aware; `today()` the service's date in `CPMS_TIMEZONE`, whatever
zone the server runs in. Tests replace `utc_now` to stand at any instant.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from cpms_metrics.formats import format_timestamp
from cpms_metrics.servicetime import service_day
from cpms_metrics.settings import load_settings


def utc_now() -> datetime:
    return datetime.now(UTC)


def zone() -> str:
    """The service's time zone (setting `CPMS_TIMEZONE`)."""
    return load_settings().timezone


def now() -> datetime:
    """The current instant, aware (UTC): what a written timestamp records."""
    return utc_now()


def today(at: datetime | None = None) -> date:
    """The service's date now (or at the instant `at`, read once with `now()` for a write that
    also records the moment): the default as-of date, the day of an import or a form."""
    return service_day(utc_now() if at is None else at, zone())


def moment_text(value: object) -> str:
    """A stored moment as the service's clocks showed it (`28/03/2026 23:30`)."""
    return format_timestamp(value, zone())


def moment_with_seconds(value: object) -> str:
    """`28/03/2026 23:30:05`: the audit log's precision."""
    return format_timestamp(value, zone(), seconds=True)
