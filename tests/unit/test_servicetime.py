"""The service's day: an instant seen in CPMS_TIMEZONE, whatever zone the server's clock is in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from cpms_metrics.errors import SettingsError
from cpms_metrics.formats import DASH, format_timestamp
from cpms_metrics.servicetime import service_day, service_time
from cpms_metrics.settings import load_settings

PARIS = "Europe/Paris"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 3, 28, 22, 59), date(2026, 3, 28)),  # 23:59 in Paris (winter, UTC+1)
        (utc(2026, 3, 28, 23, 30), date(2026, 3, 29)),  # 00:30 in Paris: already the next day
        (utc(2026, 3, 29, 0, 59), date(2026, 3, 29)),  # 01:59 CET, just before the spring change
        (utc(2026, 3, 29, 1, 0), date(2026, 3, 29)),  # 03:00 CEST: the change (02:00 skipped)
        (utc(2026, 3, 29, 21, 59), date(2026, 3, 29)),  # 23:59 CEST (UTC+2)
        (utc(2026, 3, 29, 22, 0), date(2026, 3, 30)),  # midnight CEST: two hours before UTC's
        (utc(2026, 7, 14, 22, 30), date(2026, 7, 15)),  # summer: from 22:00 UTC on
        (utc(2026, 10, 24, 22, 30), date(2026, 10, 25)),  # 00:30 CEST, the night of the change
        (utc(2026, 10, 25, 0, 30), date(2026, 10, 25)),  # 02:30 CEST, first of the two 02:30s
        (utc(2026, 10, 25, 1, 30), date(2026, 10, 25)),  # 02:30 CET, the second one
        (utc(2026, 10, 25, 22, 59), date(2026, 10, 25)),  # 23:59 CET: winter again (UTC+1)
        (utc(2026, 10, 25, 23, 0), date(2026, 10, 26)),
        (utc(2026, 12, 31, 23, 15), date(2027, 1, 1)),  # New Year's Eve: a new year in Paris
    ],
)
def test_the_service_day_is_the_date_in_paris(now: datetime, expected: date) -> None:
    assert service_day(now, PARIS) == expected


def test_the_day_depends_on_the_instant_not_on_the_zone_it_is_written_in() -> None:
    new_york = datetime(2026, 3, 28, 19, 30, tzinfo=ZoneInfo("America/New_York"))  # 23:30 UTC
    assert service_day(new_york, PARIS) == date(2026, 3, 29)
    assert service_day(utc(2026, 3, 28, 23, 30), "UTC") == date(2026, 3, 28)


def test_service_time_is_aware_in_the_service_zone() -> None:
    winter = service_time(utc(2026, 3, 28, 23, 30), PARIS)
    summer = service_time(utc(2026, 3, 29, 22, 0), PARIS)
    assert (winter.day, winter.hour, winter.minute) == (29, 0, 30)
    assert winter.utcoffset() == timedelta(hours=1)
    assert (summer.day, summer.hour) == (30, 0)
    assert summer.utcoffset() == timedelta(hours=2)


def test_a_naive_instant_is_refused() -> None:
    # Naive, it would silently mean the server's own zone: the bug this module exists to avoid.
    with pytest.raises(ValueError, match="aware"):
        service_day(datetime(2026, 3, 28, 23, 30), PARIS)


def test_an_unknown_zone_is_explained_in_french_and_names_the_setting() -> None:
    with pytest.raises(SettingsError, match="CPMS_TIMEZONE") as caught:
        service_day(utc(2026, 3, 28, 23, 30), "Europe/Pariss")
    assert "Fuseau horaire inconnu : « Europe/Pariss »" in caught.value.message


def test_the_setting_defaults_to_paris_and_refuses_an_unknown_zone() -> None:
    assert load_settings({}).timezone == PARIS
    assert load_settings({"CPMS_TIMEZONE": " America/Cayenne "}).timezone == "America/Cayenne"
    with pytest.raises(SettingsError, match="CPMS_TIMEZONE='Mars/Olympus' n'est pas valide"):
        load_settings({"CPMS_TIMEZONE": "Mars/Olympus"})
    with pytest.raises(SettingsError, match="fuseau horaire inconnu"):
        load_settings({"CPMS_TIMEZONE": ""})


@pytest.mark.parametrize(
    ("value", "zone", "expected"),
    [
        (utc(2026, 3, 28, 23, 30), PARIS, "29/03/2026 00:30"),
        (utc(2026, 7, 1, 8, 5), PARIS, "01/07/2026 10:05"),  # summer time: UTC+2
        (pd.Timestamp("2026-01-12 09:30", tz="UTC"), PARIS, "12/01/2026 10:30"),
        (pd.Timestamp("2026-01-12 10:30", tz=PARIS), "UTC", "12/01/2026 09:30"),
        # Naive: already the service's wall-clock time (as the database reads one).
        (datetime(2026, 1, 12, 9, 30), PARIS, "12/01/2026 09:30"),
        (None, PARIS, DASH),
        (pd.NaT, PARIS, DASH),
    ],
)
def test_a_stored_moment_is_shown_at_the_service_hour(value: object, zone: str, expected: str):
    assert format_timestamp(value, zone) == expected


def test_seconds_when_asked() -> None:
    assert format_timestamp(utc(2026, 1, 12, 9, 30, 5), PARIS, seconds=True) == (
        "12/01/2026 10:30:05"
    )
