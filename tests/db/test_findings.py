"""Reading findings and the import log back, as the data-quality and import pages do."""

from datetime import date

from cpms_metrics.ingest import import_log, rejects_of
from cpms_metrics.quality import finding_cases, findings_by_kind, findings_by_month
from cpms_metrics.queries import Scope

EXPORT = (
    "reference;received_on;channel;nature;object;last_name;first_name;nir;email;company\n"
    "R1;2025-01-10;email;reclamation;autre;Roux;Léa;185057800608437;lea@x.fr;ACME\n"  # bad key
    "R2;2025-02-10;email;reclamation;autre;Roux;Léa;;lea@;ACME\n"  # no NIR, bad e-mail
    "R3;2025-02-11;email;reclamation;autre;Roux;Léa;;lea@x.fr;ACME\n"  # no NIR
    "R4;bad;email;reclamation;autre;Roux;Léa;;lea@x.fr;ACME\n"  # rejected
)


def test_findings_by_kind_month_and_cases(store, load_text):
    load_text(EXPORT)
    scope = Scope(as_of=date(2025, 3, 31))
    by_kind = findings_by_kind(store, scope).set_index("kind")
    assert by_kind.loc["nir_manquant", "cases"] == 2
    assert by_kind.loc["nir_invalide", "findings"] == 1
    assert by_kind.loc["email_invalide", "findings"] == 1
    by_month = findings_by_month(store, scope)
    february = by_month[by_month["month"] == "2025-02"].set_index("kind")["findings"]
    assert february.to_dict() == {"email_invalide": 1, "nir_manquant": 2}
    total, rows = finding_cases(store, scope, "nir_manquant", limit=1)
    assert total == 2 and rows["reference"].tolist() == ["R3"]  # newest first, one page
    total, rows = finding_cases(store, scope, "nir_invalide")
    assert "185057800608437" not in rows["value"][0]
    # the as-of date hides cases received later
    assert finding_cases(store, Scope(as_of=date(2025, 1, 31)), "nir_manquant")[0] == 0


def test_import_log_and_its_rejects(store, load_text):
    report = load_text(EXPORT, name="hebdo.csv")
    log = import_log(store)
    assert log["file_name"].tolist() == ["hebdo.csv"]
    rejects = rejects_of(store, report.import_id)
    assert list(rejects.columns) == ["line", "reference", "column", "value", "reason"]
    assert rejects["line"].tolist() == [5]
