"""kpis on a French Windows-1252 export equals the independent pandas implementation of
docs/regles.md (benchmarks/pandas_peer.py) on the same records in canonical form, for both
policies, several as-of dates and periods."""

import sys
from datetime import date
from pathlib import Path

import pytest

from cpms_metrics import kpis
from cpms_metrics.sample import generate

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import pandas_peer


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("peer")
    french = generate(4000, 11, date(2026, 6, 30)).astype(object)
    # some answer dates carry a time, as French exports do
    column = "Date de réponse"
    french[column] = [
        v + (" 14:32" if v and i % 3 == 0 else "") for i, v in enumerate(french[column])
    ]
    (folder / "fr.csv").write_bytes(french.to_csv(sep=";", index=False).encode("cp1252"))
    generate(4000, 11, date(2026, 6, 30), canonical=True).to_csv(folder / "can.csv", index=False)
    return folder


@pytest.fixture
def both(store, exports, load_text):
    report = load_text((exports / "fr.csv").read_text(encoding="cp1252"), encoding="cp1252",
                       import_day=date(2026, 6, 30))  # fmt: skip
    assert report.rejected == 0
    return store, pandas_peer.load_canonical(str(exports / "can.csv"))


@pytest.mark.parametrize("as_of", [date(2025, 3, 31), date(2025, 12, 31), date(2026, 6, 30)])
@pytest.mark.parametrize("policy", ["cpms", "acpr"])
@pytest.mark.parametrize("period", [(None, None), ("2025-01", "2025-12"), ("2026-02", None)])
def test_same_figures_as_the_peer(both, as_of, policy, period):
    store, frame = both
    ours = kpis(store, as_of=as_of, policy=policy, month_from=period[0], month_to=period[1])
    peer = pandas_peer.kpis(
        frame, as_of=as_of, policy=policy, month_from=period[0], month_to=period[1]
    )
    assert ours == peer


@pytest.mark.parametrize("period", [(None, None), ("2025-04", "2025-09"), ("2026-01", "2026-03")])
def test_outcome_block_is_computed_from_outcomes_amounts_and_causes(both, period):
    """The export carries outcomes (French spellings and synonyms), amounts in French decimals
    and causes: the block counts them, and equals the peer's, for periods of the past."""
    store, frame = both
    ours = kpis(store, as_of=date(2026, 6, 30), month_from=period[0], month_to=period[1])
    block = ours["outcome"]
    assert set(block) == {"fondee", "partiellement_fondee", "non_fondee", "not_recorded",
                          "founded_rate", "redress_total"}  # fmt: skip
    assert min(block["fondee"], block["partiellement_fondee"], block["non_fondee"]) > 0
    assert block["not_recorded"] > 0 and block["redress_total"] > 0
    assert 0 < block["founded_rate"] < 1
    peer = pandas_peer.kpis(frame, as_of=date(2026, 6, 30), month_from=period[0],
                            month_to=period[1])  # fmt: skip
    assert block == peer["outcome"]
    with store.cursor() as cur:
        causes = cur.execute("SELECT count(DISTINCT cause) FROM complaints").fetchall()[0][0]
    assert causes == 7
