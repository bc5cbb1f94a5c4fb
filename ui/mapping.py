"""The import page's mapping step: when a file's headers are not recognised, say on screen which
column is which and what its unknown values mean, preview the rows as they will be loaded, and
save the mapping as an import profile (a TOML file of CPMS_PROFILES_DIR)."""

from __future__ import annotations

import re
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import streamlit as st

from cpms_metrics import CpmsError
from cpms_metrics.fields import COLUMN_BY_NAME, REQUIRED, Vocabulary, label
from cpms_metrics.ingest import first_rows, likely_header, read_and_prepare, unknown_values
from cpms_metrics.profiles import (
    Profile,
    draft_profile,
    guess_value,
    profile_toml,
    vocabularies,
)
from cpms_metrics.store import scratch_prefix
from ui import data
from ui.format import format_count, md

ABSENT = "— absente du fichier —"
FIXED = "Valeur fixe : "
REJECT = "— rejeter la ligne —"
# The columns offered: the required ones, then the dates a file of another tool often has.
OFFERED = (*REQUIRED, "sent_on", "acknowledged_on", "responded_on", "handler")
PREVIEW_ROWS = 10


@dataclass(frozen=True)
class MappingSource:
    """An upload whose headers were not recognised, kept until its mapping is done."""

    name: str
    content: bytes
    reason: str  # why it was not read as it is (French)


@contextmanager
def _saved(source: MappingSource) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=scratch_prefix()) as folder:
        path = Path(folder) / (Path(source.name).name or "export.csv")
        path.write_bytes(source.content)
        yield path


def profile_file_name(name: str) -> str:
    """`Outil X (2025)` -> `outil_x_2025.toml`."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    stem = re.sub(r"[^0-9a-z]+", "_", plain).strip("_") or "profil"
    return f"{stem}.toml"


def _column_choice(
    name: str, header: list[str], guess: str | None, enums: dict[str, Vocabulary]
) -> str:
    spec = COLUMN_BY_NAME[name]
    options = [ABSENT, *header]
    if name in enums and spec.required:
        options += [FIXED + label(enums[name], v) for v in enums[name]]
    default = guess if guess in header else ABSENT
    return st.selectbox(
        f"{spec.header}{' (obligatoire)' if spec.required else ''}",
        options,
        index=options.index(default),
        key=f"map_column_{name}",
    )


def mapped_profile(header: list[str], draft: Profile, enums: dict[str, Vocabulary]) -> Profile:
    """The profile the select boxes describe (columns and constants)."""
    columns: dict[str, str] = {}
    constants: dict[str, str] = {}
    grid = st.columns(3)
    for position, name in enumerate(OFFERED):
        with grid[position % 3]:
            choice = _column_choice(name, header, draft.columns.get(name), enums)
        if choice.startswith(FIXED):
            text = choice.removeprefix(FIXED)
            constants[name] = next(v for v in enums[name] if label(enums[name], v) == text)
        elif choice != ABSENT:
            columns[name] = choice
    return replace(draft, columns=columns, constants=constants)


def _value_choices(
    profile: Profile, unknown: dict[str, list[str]], enums: dict[str, Vocabulary]
) -> dict[str, dict[str, str]]:
    values: dict[str, dict[str, str]] = {}
    for column, texts in unknown.items():
        vocabulary = enums[column]
        allowed = list(vocabulary)
        shown = COLUMN_BY_NAME[column].header
        st.markdown(f"**{shown}** : valeurs du fichier inconnues")
        grid = st.columns(3)
        for i, text in enumerate(texts):
            options = [REJECT, *allowed]
            guess = guess_value(text, vocabulary)
            names = {REJECT: REJECT, **{v: label(vocabulary, v) for v in allowed}}
            with grid[i % 3]:
                choice = st.selectbox(
                    f"« {text} »",
                    options,
                    index=options.index(guess) if guess else 0,
                    format_func=names.__getitem__,
                    key=f"map_value_{column}_{i}",
                )
            if choice != REJECT:
                values.setdefault(column, {})[text] = choice
    return values


def mapping_step(
    source: MappingSource, *, today: date, objects: tuple[str, ...], folder: Path
) -> Profile | None:
    """Draw the mapping step; returns the profile to check the import with once the person asks
    for it, else None."""
    causes = data.settings().causes
    enums = vocabularies(objects, causes)
    with _saved(source) as path:
        rows = first_rows(path)
        index = likely_header(rows)
        header = [h.strip() for h in rows[index] if h.strip()] if rows else []
        draft, _ = draft_profile(header, Path(source.name).stem)
        draft = replace(draft, header_row=index + 1)
        st.markdown(
            f"##### :material/table_edit: Correspondance des colonnes de « {md(source.name)} »"
        )
        st.caption(
            f"{md(source.reason)} Indiquez quelle colonne du fichier (en-tête ligne {index + 1}) "
            "donne chaque information ; une colonne obligatoire que le fichier n'a pas peut "
            "prendre une valeur fixe. Une étape dont la date est absente du fichier (accusé de "
            "réception, réponse) ne sera pas suivie pour ces dossiers."
        )
        profile = mapped_profile(header, draft, enums)
        missing = [
            COLUMN_BY_NAME[c].header
            for c in REQUIRED
            if c not in profile.columns and c not in profile.constants
        ]
        if missing:
            st.warning(
                "À indiquer encore : " + ", ".join(f"« {m} »" for m in missing) + ".",
                icon=":material/warning:",
            )
            return None
        try:
            unknown = unknown_values(path, profile, objects, causes)
            profile = replace(profile, values=_value_choices(profile, unknown, enums))
            prepared = read_and_prepare(
                path, import_day=today, objects=objects, causes=causes, profile=profile
            )
        except CpmsError as exc:
            st.error(f"**{exc.title}** — {md(exc.message)}", icon=":material/error:")
            return None
    st.markdown("**Aperçu** : les premières lignes telles qu'elles seront chargées")
    assert prepared.accepted is not None
    preview = prepared.accepted.slice(0, PREVIEW_ROWS).to_pandas()
    st.dataframe(
        preview.rename(columns={c: COLUMN_BY_NAME[c].header for c in preview.columns}),
        hide_index=True,
        width="stretch",
    )
    st.caption(
        f"{format_count(prepared.rows_read)} ligne(s) lue(s), "
        f"{format_count(prepared.rejected_rows)} rejetée(s) avec cette correspondance."
    )
    with st.container(horizontal=True, vertical_alignment="bottom"):
        name = st.text_input("Nom du profil", value=profile.name, key="map_profile_name", width=280)
        if st.button("Enregistrer ce profil", icon=":material/save:", key="map_save"):
            save_profile(replace(profile, name=name), folder)
        check = st.button(
            "Vérifier l'import avec cette correspondance",
            type="primary",
            icon=":material/fact_check:",
            key="map_check",
        )
    return replace(profile, name=name) if check else None


def save_profile(profile: Profile, folder: Path) -> Path | None:
    """Write `profile` as a TOML file of `folder` (never over another one); says so on screen."""
    target = folder / profile_file_name(profile.name)
    if target.exists():
        st.error(
            f"Le profil {target.name} existe déjà dans {folder} : choisissez un autre nom.",
            icon=":material/error:",
        )
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target.write_text(profile_toml(profile), encoding="utf-8")
    except OSError as exc:
        st.error(
            f"Le profil ne peut pas être écrit dans {folder} ({exc.strerror}) : vérifiez le "
            "réglage CPMS_PROFILES_DIR.",
            icon=":material/error:",
        )
        return None
    st.success(
        f"Profil enregistré : {target} (choisissez-le au prochain import de ce format, ou "
        f"`import --profile {target.stem}`).",
        icon=":material/check_circle:",
    )
    return target


def profile_names(folder: Path) -> list[str]:
    """The profiles kept in `folder`, by name of file."""
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []
