"""Import profiles: how the export of another tool maps onto the canonical columns.

A profile is a TOML file (docs/format-export.md, "Exports d'autres outils : profils d'import"):
its `[columns]` name the file's headers, `[values.<column>]` translate its values, `[constants]`
fill a column the file lacks, `[fallback]` replaces an unknown value instead of rejecting the row.
The import applies it between reading the file and normalising its values.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ImportFileError
from .fields import (
    CANONICAL,
    CHANNELS,
    COLUMN_BY_NAME,
    DATE_COLUMNS,
    HEADER_KEYS,
    MEDIATORS,
    NATURES,
    OUTCOMES,
    REQUIRED,
    RISK_CARRIERS,
    Vocabulary,
    cause_vocabulary,
    fold,
    object_vocabulary,
    value_keys,
)
from .settings import DEFAULT_CAUSE_LIST

_KEYS = ("name", "header_row", "date_format", "columns", "values", "constants", "fallback")


def vocabularies(
    objects: tuple[str, ...], causes: tuple[str, ...] = DEFAULT_CAUSE_LIST
) -> dict[str, Vocabulary]:
    """The enumerated columns and their allowed values (`objects` and `causes` are settings)."""
    return {
        "outcome": OUTCOMES,
        "cause": cause_vocabulary(causes),
        "channel": CHANNELS,
        "response_channel": CHANNELS,
        "nature": NATURES,
        "object": object_vocabulary(objects),
        "risk_carrier": RISK_CARRIERS,
        "mediator": MEDIATORS,
    }


@dataclass(frozen=True)
class Profile:
    """A checked profile. `columns`: canonical name -> header as written in the file;
    `values`: canonical column -> {value in the file: canonical value}."""

    name: str = ""
    header_row: int | None = None  # 1-based line (or spreadsheet row) of the header
    date_format: str | None = None  # strptime format, tried before the default formats
    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    fallback: dict[str, str] = field(default_factory=dict)

    def header_keys(self) -> dict[str, str]:
        """Folded header -> canonical name: the profile's columns, then the default names of
        the columns the profile does not name."""
        named = {fold(header): name for name, header in self.columns.items()}
        keys = {k: n for k, n in HEADER_KEYS.items() if n not in self.columns}
        keys.update(named)
        return keys

    def value_keys(self, column: str, vocabulary: Vocabulary) -> dict[str, str]:
        """Folded spelling -> canonical value: the default spellings, then the profile's."""
        keys = value_keys(vocabulary)
        keys.update({fold(text): value for text, value in self.values.get(column, {}).items()})
        return keys


NO_PROFILE = Profile()


def _problem(source: str, key: str, text: str) -> ImportFileError:
    return ImportFileError(f"Profil « {source} », clé « {key} » : {text}", title="Profil invalide")


def _table(data: dict[str, Any], key: str, source: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise _problem(source, key, "une table [" + key + "] est attendue.")
    return value


def _column(name: str, key: str, source: str) -> None:
    if name not in COLUMN_BY_NAME:
        raise _problem(
            source,
            key,
            f"« {name} » n'est pas une colonne connue (colonnes : {', '.join(CANONICAL)}).",
        )


def _allowed(vocabulary: Vocabulary) -> str:
    return ", ".join(vocabulary)


def parse_profile(
    data: dict[str, Any],
    source: str,
    objects: tuple[str, ...],
    causes: tuple[str, ...] = DEFAULT_CAUSE_LIST,
) -> Profile:
    """Check a profile read from TOML; raises ImportFileError naming the faulty key."""
    for key in data:
        if key not in _KEYS:
            raise _problem(source, key, f"clé inconnue (clés possibles : {', '.join(_KEYS)}).")
    name = data.get("name", Path(source).stem)
    if not isinstance(name, str):
        raise _problem(source, "name", "un texte entre guillemets est attendu.")
    header_row = data.get("header_row")
    if header_row is not None and (
        not isinstance(header_row, int) or isinstance(header_row, bool) or header_row < 1
    ):
        raise _problem(source, "header_row", "un numéro de ligne (1, 2, 3…) est attendu.")
    date_format = data.get("date_format")
    if date_format is not None and (not isinstance(date_format, str) or "%" not in date_format):
        raise _problem(
            source, "date_format", 'un format comme "%m/%d/%Y" (%d jour, %m mois, %Y année).'
        )
    enums = vocabularies(objects, causes)
    columns: dict[str, str] = {}
    for column, header in _table(data, "columns", source).items():
        _column(column, f"columns.{column}", source)
        if not isinstance(header, str) or not header.strip():
            raise _problem(source, f"columns.{column}", "l'en-tête du fichier est attendu.")
        columns[column] = header.strip()
    values: dict[str, dict[str, str]] = {}
    for column, table in _table(data, "values", source).items():
        _column(column, f"values.{column}", source)
        if column not in enums:
            raise _problem(
                source,
                f"values.{column}",
                f"seules ces colonnes ont des valeurs : {', '.join(enums)}.",
            )
        if not isinstance(table, dict):
            raise _problem(source, f"values.{column}", f"une table [values.{column}] est attendue.")
        values[column] = {}
        for text, value in table.items():
            if value not in enums[column]:
                raise _problem(
                    source,
                    f"values.{column}.{text}",
                    f"« {value} » n'est pas une valeur permise ({_allowed(enums[column])}).",
                )
            values[column][str(text)] = value
    constants: dict[str, str] = {}
    for column, value in _table(data, "constants", source).items():
        _column(column, f"constants.{column}", source)
        if not isinstance(value, str) or not value.strip():
            raise _problem(source, f"constants.{column}", "une valeur entre guillemets attendue.")
        if column in enums and value not in enums[column]:
            raise _problem(
                source,
                f"constants.{column}",
                f"« {value} » n'est pas une valeur permise ({_allowed(enums[column])}).",
            )
        if column in DATE_COLUMNS:
            raise _problem(source, f"constants.{column}", "une date ne peut être constante.")
        if column in columns:
            raise _problem(
                source, f"constants.{column}", "cette colonne est déjà lue dans [columns]."
            )
        constants[column] = value
    fallback: dict[str, str] = {}
    for column, value in _table(data, "fallback", source).items():
        _column(column, f"fallback.{column}", source)
        if column not in enums:
            raise _problem(
                source, f"fallback.{column}", f"seules ces colonnes en ont : {', '.join(enums)}."
            )
        if value not in enums[column]:
            raise _problem(
                source,
                f"fallback.{column}",
                f"« {value} » n'est pas une valeur permise ({_allowed(enums[column])}).",
            )
        fallback[column] = value
    return Profile(name, header_row, date_format, columns, values, constants, fallback)


def profile_path(reference: str, folder: Path | None) -> Path:
    """A profile given as a path, or as the name of a file of the profiles folder."""
    path = Path(reference)
    if path.is_file():
        return path
    if folder is not None:
        for candidate in (folder / reference, folder / f"{reference}.toml"):
            if candidate.is_file():
                return candidate
        known = sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []
        listed = f" Profils du dossier {folder} : {', '.join(known)}." if known else ""
        raise ImportFileError(
            f"Profil « {reference} » introuvable (ni fichier, ni profil du dossier {folder}, "
            f"réglage CPMS_PROFILES_DIR).{listed}",
            title="Profil introuvable",
        )
    raise ImportFileError(f"Profil « {reference} » introuvable.", title="Profil introuvable")


def load_profile(
    reference: str,
    *,
    folder: Path | None,
    objects: tuple[str, ...],
    causes: tuple[str, ...] = DEFAULT_CAUSE_LIST,
) -> Profile:
    """Read and check a profile; raises ImportFileError (French, naming the key) when it is bad."""
    path = profile_path(reference, folder)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise ImportFileError(
            f"Profil « {path.name} » : ce n'est pas un TOML lisible ({exc}).",
            title="Profil invalide",
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFileError(f"Profil « {path} » illisible.", title="Profil invalide") from exc
    return parse_profile(data, path.name, objects, causes)


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def profile_toml(profile: Profile, *, comments: dict[str, str] | None = None) -> str:
    """The TOML text of a profile; `comments` adds, per canonical column not mapped, a
    commented line for a person to complete."""
    lines = [f"name = {_toml_string(profile.name)}"]
    if profile.header_row is not None:
        lines.append(f"header_row = {profile.header_row}")
    if profile.date_format:
        lines.append(f"date_format = {_toml_string(profile.date_format)}")
    lines += ["", "[columns]                      # colonne canonique = en-tête dans le fichier"]
    for name in CANONICAL:
        if name in profile.columns:
            lines.append(f"{name} = {_toml_string(profile.columns[name])}")
        elif comments and name in comments:
            lines.append(f"# {name} = {comments[name]}")
    for column, table in profile.values.items():
        if table:
            lines += ["", f"[values.{column}]"]
            lines += [f"{_toml_string(t)} = {_toml_string(v)}" for t, v in table.items()]
    if profile.constants:
        lines += ["", "[constants]"]
        lines += [f"{c} = {_toml_string(v)}" for c, v in profile.constants.items()]
    elif comments and any(c in comments for c in REQUIRED):
        lines += ["", "# [constants]                  # une valeur pour toutes les lignes,"
                  " pour une colonne obligatoire que le fichier n'a pas"]  # fmt: skip
        lines += [f'# {c} = "?"' for c in REQUIRED if c in comments]
        lines += ["", "# [values.channel]             # valeur dans le fichier = valeur canonique",
                  '# "Web" = "email"', "", "# [fallback]                   # valeur mise à la "
                  "place d'une valeur inconnue", '# object = "autre"']  # fmt: skip
    if profile.fallback:
        lines += ["", "[fallback]"]
        lines += [f"{c} = {_toml_string(v)}" for c, v in profile.fallback.items()]
    return "\n".join(lines) + "\n"


def guess_column(header: str, *, taken: set[str]) -> str | None:
    """The canonical column a foreign header most likely names, or None."""
    key = fold(header)
    if key in HEADER_KEYS and HEADER_KEYS[key] not in taken:
        return HEADER_KEYS[key]
    hints = (
        ("reference", ("id", "reference", "ref", "numero", "number", "dossier", "case")),
        ("received_on", ("received", "reception", "recu", "datesenttocompany", "opened")),
        ("sent_on", ("sent", "envoi", "submitted", "datereceived")),
        ("acknowledged_on", ("acknowledg", "accuse", "ack")),
        ("responded_on", ("respon", "reponse", "answer", "closed", "clos")),
        ("channel", ("channel", "canal", "via", "source", "medium")),
        ("nature", ("nature", "type", "kind")),
        ("object", ("object", "objet", "product", "issue", "motif", "subject", "topic")),
        ("handler", ("handler", "agent", "owner", "gestionnaire", "assigned")),
        ("description", ("narrative", "description", "texte", "text", "comment")),
    )
    for name, words in hints:
        if name in DATE_COLUMNS and "date" not in key and not key.endswith(("on", "le")):
            continue  # a date column's header says so
        if name not in taken and any(word in key for word in words):
            return name
    return None


def guess_value(text: str, vocabulary: Vocabulary) -> str | None:
    """The allowed value a foreign spelling most likely means (a known spelling inside it, or
    it inside one), or None."""
    key = fold(text)
    if not key:
        return None
    for spelling, value in sorted(value_keys(vocabulary).items(), key=lambda kv: -len(kv[0])):
        if len(spelling) >= 3 and (spelling in key or key in spelling):
            return value
    return None


def draft_profile(header: list[str], name: str) -> tuple[Profile, dict[str, str]]:
    """A profile guessed from a file's headers, and for every required column left unguessed a
    hint to complete by hand (the headers seen)."""
    columns: dict[str, str] = {}
    for text in header:
        if not text.strip():
            continue
        guess = guess_column(text, taken=set(columns))
        if guess is not None:
            columns[guess] = text.strip()
    seen = ", ".join(_toml_string(h.strip()) for h in header if h.strip())
    comments = {
        c: f'"?"   # à compléter : un de {seen}' if c in REQUIRED else '"?"'
        for c in CANONICAL
        if c not in columns
    }
    return Profile(name=name, columns=columns), comments
