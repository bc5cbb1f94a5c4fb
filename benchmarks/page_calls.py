"""Each page's domain calls, as the page makes them through ui/data.py (without Streamlit's cache),
so the benchmark can time a page's data apart from its rendering."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cpms_metrics import queries, worklist
from cpms_metrics.queries import Scope
from cpms_metrics.store import Store

Call = Callable[[Store, Scope], Any]


def _kpis(store: Store, scope: Scope) -> Any:
    return queries.kpis(store, as_of=scope.as_of, scope=scope)


def _by_object(store: Store, scope: Scope) -> Any:
    return queries.monthly_by(store, scope, "object")


PAGE_CALLS: dict[str, list[Call]] = {
    "dashboard.py": [
        _kpis,
        queries.monthly,
        worklist.open_case_bands,
    ],
    "pages/1_accuses_de_reception.py": [
        _kpis,
        queries.monthly,
        lambda s, sc: queries.summarise(s, sc, "channel"),
        lambda s, sc: worklist.delay_distribution(s, sc, "ack"),
        lambda s, sc: worklist.count_cases(s, sc, "ack_late"),
        lambda s, sc: worklist.list_cases(s, sc, "ack_late", limit=25, offset=0),
    ],
    "pages/2_delais_de_reponse.py": [
        _kpis,
        queries.monthly,
        lambda s, sc: queries.summarise(s, sc, "channel"),
        lambda s, sc: worklist.time_to_answer(worklist.answer_durations(s, sc)),
        lambda s, sc: worklist.count_cases(s, sc, "answer_late"),
        lambda s, sc: worklist.list_cases(s, sc, "answer_late", limit=25, offset=0),
    ],
    "pages/3_objets.py": [_kpis, _by_object],
    "pages/4_mediation.py": [
        _kpis,
        queries.monthly,
        lambda s, sc: queries.summarise(s, sc, "mediator"),
        lambda s, sc: queries.summarise(s, sc, "object"),
        worklist.referral_delays,
        worklist.referral_delay_stats,
        lambda s, sc: worklist.count_cases(s, sc, "misrouted"),
        lambda s, sc: worklist.list_cases(s, sc, "misrouted", limit=25, offset=0),
    ],
    "pages/5_dossiers_a_echeance.py": [
        worklist.open_case_bands,
        worklist.open_case_handlers,
        lambda s, sc: worklist.count_open_cases(s, sc, bands=(), handler=None),
        lambda s, sc: worklist.open_cases(s, sc, bands=(), handler=None, limit=25, offset=0),
    ],
}
