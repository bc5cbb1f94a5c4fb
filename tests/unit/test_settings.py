from pathlib import Path

import pytest

from cpms_metrics.errors import SettingsError
from cpms_metrics.settings import load_settings


def test_defaults():
    settings = load_settings({})
    assert settings.db_path == Path("data/cpms.duckdb")
    assert settings.policy == "cpms"
    assert settings.holiday_region == "metropole"
    assert settings.extend_to_working_day is False
    assert "remboursement" in settings.objects


def test_values_from_environment():
    settings = load_settings(
        {
            "CPMS_POLICY": "ACPR",
            "CPMS_HOLIDAY_REGION": "alsace-moselle",
            "CPMS_EXTEND_TO_WORKING_DAY": "1",
            "CPMS_OBJECTS": "Adhésion, Prestation, autre",
        }
    )
    assert settings.policy == "acpr"
    assert settings.holiday_region == "alsace-moselle"
    assert settings.extend_to_working_day is True
    assert settings.objects == ("adhesion", "prestation", "autre")


@pytest.mark.parametrize(
    "env",
    [{"CPMS_POLICY": "x"}, {"CPMS_HOLIDAY_REGION": "corse"}, {"CPMS_EXTEND_TO_WORKING_DAY": "2"}],
)
def test_invalid_values_are_explained_in_french(env):
    with pytest.raises(SettingsError, match="n'est pas valide"):
        load_settings(env)


def test_memory_limit():
    assert load_settings({"CPMS_MEMORY_LIMIT": "512 MB"}).memory_limit == "512MB"
    with pytest.raises(SettingsError, match="taille"):
        load_settings({"CPMS_MEMORY_LIMIT": "beaucoup"})
