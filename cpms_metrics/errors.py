"""Errors that cross from the domain into the app or the command line.

Every failure a user can cause or meet becomes a `CpmsError` with a French message and a short
title; the original exception, when there is one, stays attached as `__cause__`.
"""

from __future__ import annotations


class CpmsError(Exception):
    """An error to show to a user as it is: `message` and `title` are French sentences."""

    title = "Erreur"

    def __init__(self, message: str, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return self.message


class SettingsError(CpmsError):
    title = "Réglage invalide"


class ImportFileError(CpmsError):
    """The file cannot be loaded at all; the database is left as it was."""

    title = "Import impossible"


class HeaderNotFound(ImportFileError):
    """No line of the file holds every required column once mapped: a profile (or the mapping
    step of the import page) must say which column is which."""

    title = "En-tête non reconnu"


class StoreError(CpmsError):
    title = "Base de données indisponible"


class ValidationError(CpmsError):
    """A form or a command received values that break the field rules."""

    title = "Saisie invalide"

    def __init__(self, problems: dict[str, str], message: str | None = None) -> None:
        self.problems = problems
        text = message or "; ".join(f"{field} : {reason}" for field, reason in problems.items())
        super().__init__(text)
