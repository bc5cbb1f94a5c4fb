"""The sidebar filters, the same on every page: cohort months, as-of date, policy, object, channel,
risk carrier, company.

They live in three places kept in step: the URL (`?from=2025-01&to=2025-12&as_of=2025-12-31&
policy=acpr&object=…`, so a filtered view is a link one can send), the session (so they survive a
change of page) and the widgets. The URL wins when it differs from what this session last wrote
there (a link just opened, the browser's back button); otherwise the session does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

import streamlit as st

from cpms_metrics.access import mask_nirs
from cpms_metrics.deadlines import add_months
from cpms_metrics.errors import CpmsError
from cpms_metrics.fields import CHANNELS, RISK_CARRIERS, label, object_vocabulary
from cpms_metrics.months import FIRST_MONTH, LAST_MONTH, month_of, months_between, parse_month
from cpms_metrics.queries import Scope
from cpms_metrics.settings import POLICIES
from ui.format import POLICY_LABELS, format_date, md, month_label, period_label

DEFAULT_MONTHS = 12
MIN_DAY, MAX_DAY = date(2000, 1, 1), date(2100, 12, 31)
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")

# URL parameter -> Filters field, for the lists.
LIST_PARAMS = {
    "object": "objects",
    "channel": "channels",
    "carrier": "risk_carriers",
    "company": "companies",
}
PARAMS = ("from", "to", "as_of", "policy", *LIST_PARAMS)

_STATE = "filters"  # the session's filters
_WRITTEN = "filters_url"  # the URL parameters this session last wrote
_WIDGET = {  # Filters field -> widget key
    "month_from": "flt_from",
    "month_to": "flt_to",
    "as_of": "flt_as_of",
    "policy": "flt_policy",
    "objects": "flt_objects",
    "channels": "flt_channels",
    "risk_carriers": "flt_carriers",
    "companies": "flt_companies",
}


def default_period(as_of: date) -> tuple[str, str]:
    """The 12 cohort months ending with the as-of month."""
    return month_of(add_months(as_of, 1 - DEFAULT_MONTHS)), month_of(as_of)


@dataclass(frozen=True)
class Filters:
    as_of: date
    policy: str
    month_from: str
    month_to: str
    objects: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    risk_carriers: tuple[str, ...] = ()
    companies: tuple[str, ...] = ()

    @classmethod
    def default(cls, today: date, policy: str) -> Filters:
        month_from, month_to = default_period(today)
        return cls(as_of=today, policy=policy, month_from=month_from, month_to=month_to)

    def scope(self) -> Scope:
        return Scope(
            as_of=self.as_of,
            policy=self.policy,
            month_from=self.month_from,
            month_to=self.month_to,
            objects=self.objects,
            channels=self.channels,
            risk_carriers=self.risk_carriers,
            companies=self.companies,
        )

    @property
    def months(self) -> list[str]:
        return months_between(self.month_from, self.month_to)

    @property
    def has_default_period(self) -> bool:
        return (self.month_from, self.month_to) == default_period(self.as_of)

    def previous(self) -> Filters:
        """The period of the same length just before, seen as of the same point in it."""
        length = len(self.months)
        first = date.fromisoformat(f"{self.month_from}-01")
        last = date.fromisoformat(f"{self.month_to}-01")
        return replace(
            self,
            as_of=add_months(self.as_of, -length),
            month_from=month_of(add_months(first, -length)),
            month_to=month_of(add_months(last, -length)),
        )

    def query_params(self) -> dict[str, str | list[str]]:
        params: dict[str, str | list[str]] = {
            "from": self.month_from,
            "to": self.month_to,
            "as_of": self.as_of.isoformat(),
            "policy": self.policy,
        }
        for name, attribute in LIST_PARAMS.items():
            values = getattr(self, attribute)
            if values:
                params[name] = list(values)
        return params

    def describe(self) -> str:
        """One line: which cohorts, as of which date, under which policy, with which filters;
        Markdown, the companies (stored text) escaped and NIRs masked."""
        parts = [
            f"Réclamations reçues {period_label(self.month_from, self.month_to)}",
            f"situation au {format_date(self.as_of)}",
            POLICY_LABELS[self.policy],
        ]
        vocabularies = {
            "objects": ("Objet", object_vocabulary(self.objects)),
            "channels": ("Canal", CHANNELS),
            "risk_carriers": ("Porteur de risque", RISK_CARRIERS),
        }
        for attribute, (title, vocabulary) in vocabularies.items():
            values = getattr(self, attribute)
            if values:
                parts.append(f"{title} : {', '.join(label(vocabulary, v) for v in values)}")
        if self.companies:
            parts.append(f"Entreprise : {md(', '.join(self.companies))}")
        return " · ".join(parts)


def _plausible(month: str) -> bool:
    try:
        parse_month(month)
    except CpmsError:
        return False
    return True


def parse_params(
    params: Mapping[str, Sequence[str]], today: date, default_policy: str, objects: Sequence[str]
) -> tuple[Filters, list[str]]:
    """Filters from URL parameters (lists of values), and a French note per value ignored.

    Missing parameters take their default: as of today, the 12 months ending with the as-of
    month, the default policy, no other filter.
    """
    problems: list[str] = []

    def single(name: str) -> str | None:
        values = [v for v in params.get(name, ()) if v.strip()]
        return values[-1].strip() if values else None

    as_of = today
    if (text := single("as_of")) is not None:
        try:
            as_of = date.fromisoformat(text)
            if not MIN_DAY <= as_of <= MAX_DAY:
                raise ValueError(text)
        except ValueError:
            as_of = today
            problems.append(
                f"date d'arrêté « {md(text)} » ignorée (format AAAA-MM-JJ, du "
                f"{format_date(MIN_DAY)} au {format_date(MAX_DAY)})"
            )
    month_from, month_to = default_period(as_of)
    for name in ("from", "to"):
        text = single(name)
        if text is None:
            continue
        if not _MONTH.fullmatch(text):
            problems.append(f"mois « {md(text)} » ignoré (format AAAA-MM)")
        elif not _plausible(text):
            problems.append(f"mois « {text} » ignoré (de {FIRST_MONTH:%Y-%m} à {LAST_MONTH:%Y-%m})")
        elif name == "from":
            month_from = text
        else:
            month_to = text
    if month_from > month_to:
        month_from, month_to = month_to, month_from
        problems.append("mois de début après le mois de fin : les deux ont été inversés")
    policy = default_policy
    if (text := single("policy")) is not None:
        if text.lower() in POLICIES:
            policy = text.lower()
        else:
            problems.append(f"politique « {md(text)} » ignorée (cpms ou acpr)")
    allowed = {
        "objects": tuple(objects),
        "channels": tuple(CHANNELS),
        "risk_carriers": tuple(RISK_CARRIERS),
    }
    lists: dict[str, tuple[str, ...]] = {}
    for name, attribute in LIST_PARAMS.items():
        values = list(dict.fromkeys(v.strip() for v in params.get(name, ()) if v.strip()))
        if attribute in allowed:
            unknown = [v for v in values if v not in allowed[attribute]]
            if unknown:
                problems.append(f"{name} « {md(', '.join(unknown))} » ignoré")
            values = [v for v in values if v in allowed[attribute]]
        lists[attribute] = tuple(values)
    filters = Filters(as_of=as_of, policy=policy, month_from=month_from, month_to=month_to, **lists)
    return filters, problems


def _url_params() -> dict[str, list[str]]:
    return {name: st.query_params.get_all(name) for name in PARAMS if name in st.query_params}


def _as_lists(params: Mapping[str, str | list[str]]) -> dict[str, list[str]]:
    return {k: [v] if isinstance(v, str) else list(v) for k, v in params.items()}


def current_filters(
    today: date, default_policy: str, objects: Sequence[str]
) -> tuple[Filters, list[str]]:
    """This run's filters: from the URL when it says something new, else from the session."""
    state = st.session_state
    url = _url_params()
    problems: list[str] = []
    if url and url != state.get(_WRITTEN):
        state[_STATE], problems = parse_params(url, today, default_policy, objects)
    elif _STATE not in state:
        state[_STATE] = Filters.default(today, default_policy)
    filters: Filters = state[_STATE]
    wanted = _as_lists(filters.query_params())
    if url != wanted:
        st.query_params.from_dict(filters.query_params())
    state[_WRITTEN] = wanted
    return filters, problems


# --- Widgets ------------------------------------------------------------------------------------


def _from_widgets() -> None:
    """on_change of every filter widget: the session's filters become what the widgets show."""
    state = st.session_state
    old: Filters = state[_STATE]
    month_from, month_to = sorted((state[_WIDGET["month_from"]], state[_WIDGET["month_to"]]))
    chosen = Filters(
        as_of=old.as_of,
        policy=state[_WIDGET["policy"]],
        month_from=month_from,
        month_to=month_to,
        objects=tuple(state[_WIDGET["objects"]]),
        channels=tuple(state[_WIDGET["channels"]]),
        risk_carriers=tuple(state[_WIDGET["risk_carriers"]]),
        companies=tuple(state[_WIDGET["companies"]]),
    )
    as_of = state[_WIDGET["as_of"]] or old.as_of  # a cleared date keeps the previous one
    state[_STATE] = _moved_to(chosen, as_of)


def _moved_to(filters: Filters, as_of: date) -> Filters:
    """`filters` as of another day, the default period following it."""
    if not filters.has_default_period:
        return replace(filters, as_of=as_of)
    month_from, month_to = default_period(as_of)
    return replace(filters, as_of=as_of, month_from=month_from, month_to=month_to)


def _reset(filters: Filters) -> None:
    st.session_state[_STATE] = filters


def filter_widgets(
    filters: Filters,
    *,
    today: date,
    default_policy: str,
    objects: Sequence[str],
    companies: Sequence[str],
    first_month: str | None,
) -> None:
    """The filter widgets, showing `filters`; a change reruns the page with the new filters."""
    state = st.session_state
    for attribute, key in _WIDGET.items():
        state[key] = getattr(filters, attribute)
        if isinstance(state[key], tuple):
            state[key] = list(state[key])
    default_from, _ = default_period(filters.as_of)
    start = min(m for m in (first_month, default_from, filters.month_from) if m)
    end = max(filters.month_to, month_of(filters.as_of))
    months = months_between(start, end)[::-1]  # most recent first

    st.markdown("**Période et règles**")
    left, right = st.columns(2)
    left.selectbox(
        "Reçues de",
        months,
        format_func=month_label,
        key=_WIDGET["month_from"],
        on_change=_from_widgets,
    )
    right.selectbox(
        "à", months, format_func=month_label, key=_WIDGET["month_to"], on_change=_from_widgets
    )
    st.date_input(
        "Situation au",
        min_value=MIN_DAY,
        max_value=MAX_DAY,
        format="DD/MM/YYYY",
        key=_WIDGET["as_of"],
        help="Les chiffres reproduisent la situation au soir de cette date.",
        on_change=_from_widgets,
    )
    if filters.as_of != today:
        st.button(
            "Revenir à aujourd'hui",
            icon=":material/today:",
            type="tertiary",
            on_click=_reset,
            args=(_moved_to(filters, today),),
        )
    st.radio(
        "Délais appliqués",
        POLICIES,
        format_func=POLICY_LABELS.__getitem__,
        key=_WIDGET["policy"],
        help="Engagement CPMS : AR sous 10 jours calendaires à compter de la réception. "
        "Référentiel ACPR (2024-R-02) : AR sous 10 jours ouvrables à compter de l'envoi. "
        "Réponse sous 2 mois dans les deux cas.",
        on_change=_from_widgets,
    )
    narrowed = any((filters.objects, filters.channels, filters.risk_carriers, filters.companies))
    vocabulary = object_vocabulary(tuple(dict.fromkeys([*objects, *filters.objects])))
    with st.expander("Objet, canal, porteur, entreprise", expanded=narrowed):
        st.multiselect(
            "Objet",
            list(vocabulary),
            format_func=lambda v: label(vocabulary, v),
            key=_WIDGET["objects"],
            placeholder="Tous",
            on_change=_from_widgets,
        )
        st.multiselect(
            "Canal",
            list(CHANNELS),
            format_func=lambda v: label(CHANNELS, v),
            key=_WIDGET["channels"],
            placeholder="Tous",
            on_change=_from_widgets,
        )
        st.multiselect(
            "Porteur de risque",
            list(RISK_CARRIERS),
            format_func=lambda v: label(RISK_CARRIERS, v),
            key=_WIDGET["risk_carriers"],
            placeholder="Tous",
            on_change=_from_widgets,
        )
        st.multiselect(
            "Entreprise / souscripteur",
            list(dict.fromkeys([*companies, *filters.companies])),
            format_func=mask_nirs,  # the value stays whole: it filters the query
            key=_WIDGET["companies"],
            placeholder="Toutes",
            on_change=_from_widgets,
        )
    default = Filters.default(today, default_policy)
    if filters != default:
        st.button(
            "Réinitialiser les filtres",
            icon=":material/filter_alt_off:",
            type="tertiary",
            on_click=_reset,
            args=(default,),
        )
