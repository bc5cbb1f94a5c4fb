"""CPMS complaint metrics: the domain of the dashboard, importable and testable without Streamlit.

`open_store(path)` opens (creating or upgrading) a DuckDB database; `kpis(store, as_of=...)` returns
the figures of docs/regles.md §6.
"""

from .errors import CpmsError
from .queries import Scope, kpis
from .store import Store, open_store

__all__ = ["CpmsError", "Scope", "Store", "kpis", "open_store"]
