"""The command line: `python -m cpms_metrics import | kpis | report | digest | sample`.

The only place of the domain that reads the clock (the day of an import, the default as-of date),
once per command, as an instant seen in the service's zone (`CPMS_TIMEZONE`).
Errors reach the user as one French sentence on stderr and an exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .access import PersonalData, audit, mask_nirs
from .definitions import VIEWS
from .errors import CpmsError, ImportFileError
from .formats import format_days, format_rate
from .ingest import import_file
from .queries import Scope, kpis
from .rejects import rejections_csv
from .servicetime import service_day
from .settings import POLICIES, load_settings
from .store import open_store

if TYPE_CHECKING:
    from .mail import Outcome

EXIT_OK, EXIT_FAILED, EXIT_SOME_REJECTED = 0, 2, 3
EXIT_BROKEN_PIPE = 128 + 13  # what a shell reports for a program ended by SIGPIPE


def _now() -> datetime:
    """The clock, read as an instant (UTC); the service's day follows from its zone."""
    return datetime.now(UTC)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"date invalide : {text} (format AAAA-MM-JJ)") from exc


def _addresses(text: str) -> tuple[str, ...]:
    from .mail import AddressError, parse_addresses

    try:
        addresses = parse_addresses(text)
    except AddressError as exc:
        raise argparse.ArgumentTypeError(exc.message) from exc
    if not addresses:
        raise argparse.ArgumentTypeError("aucune adresse électronique")
    return addresses


# argparse's own messages in French (it reads each through gettext when it needs it).
_ARGPARSE_FRENCH = {
    "usage: ": "usage : ",
    "positional arguments": "arguments",
    "options": "options",
    "subcommands": "commandes",
    "show this help message and exit": "afficher cette aide et quitter",
    "argument %(argument_name)s: %(message)s": "argument %(argument_name)s : %(message)s",
    "the following arguments are required: %s": "argument obligatoire manquant : %s",
    "one of the arguments %s is required": "l'un des arguments %s est obligatoire",
    "unrecognized arguments: %s": "arguments non reconnus : %s",
    "unknown parser %(parser_name)r (choices: %(choices)s)": (
        "commande inconnue %(parser_name)r (commandes : %(choices)s)"
    ),
    "invalid choice: %(value)r (choose from %(choices)s)": (
        "valeur %(value)r non reconnue (valeurs possibles : %(choices)s)"
    ),
    "invalid %(type)s value: %(value)r": "valeur invalide : %(value)r",
    "expected one argument": "une valeur est attendue",
    "expected at most one argument": "une valeur au plus est attendue",
    "expected at least one argument": "une valeur au moins est attendue",
    "ambiguous option: %(option)s could match %(matches)s": (
        "option ambiguë : %(option)s peut désigner %(matches)s"
    ),
    "not allowed with argument %s": "incompatible avec l'argument %s",
    "ignored explicit argument %r": "valeur %r ignorée",
    "unexpected option string: %s": "option inattendue : %s",
    "can't open '%(filename)s': %(error)s": "impossible d'ouvrir « %(filename)s » : %(error)s",
}


def _french(message: str) -> str:
    return _ARGPARSE_FRENCH.get(message, message)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        self.print_usage(sys.stderr)
        self.exit(EXIT_FAILED, f"Erreur : {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m cpms_metrics", description="Indicateurs des réclamations CPMS."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMANDE")
    db_help = "base DuckDB (par défaut : CPMS_DB)"
    policy_help = "politique de délais (par défaut : CPMS_POLICY)"

    imp = commands.add_parser("import", help="importer un export (CSV, XLSX ou Parquet)")
    imp.add_argument("file", type=Path, metavar="FICHIER", help="l'export à importer")
    imp.add_argument("--db", type=Path, metavar="BASE", help=db_help)
    imp.add_argument(
        "--rejects", type=Path, metavar="CSV", help="écrire les lignes rejetées dans ce CSV"
    )

    kp = commands.add_parser("kpis", help="indicateurs de conformité")
    kp.add_argument("--db", type=Path, metavar="BASE", help=db_help)
    kp.add_argument(
        "--as-of",
        type=_date,
        metavar="DATE",
        help="date d'arrêté AAAA-MM-JJ (par défaut : aujourd'hui dans le fuseau CPMS_TIMEZONE)",
    )
    kp.add_argument("--policy", choices=POLICIES, help=policy_help)
    kp.add_argument(
        "--from", dest="month_from", metavar="MOIS", help="premier mois de cohorte AAAA-MM"
    )
    kp.add_argument("--to", dest="month_to", metavar="MOIS", help="dernier mois de cohorte AAAA-MM")
    kp.add_argument("--json", action="store_true", help="sortie JSON (docs/regles.md §6)")

    rp = commands.add_parser("report", help="rapport mensuel PDF ou XLSX")
    rp.add_argument("--db", type=Path, metavar="BASE", help=db_help)
    rp.add_argument("--month", required=True, metavar="MOIS", help="mois du rapport AAAA-MM")
    rp.add_argument("--policy", choices=POLICIES, help=policy_help)
    rp.add_argument(
        "--as-of", type=_date, metavar="DATE", help="date d'arrêté (défaut : dernier jour du mois)"
    )
    rp.add_argument("--out", type=Path, metavar="FICHIER", help="fichier .pdf ou .xlsx")
    rp.add_argument(
        "--mail-to",
        type=_addresses,
        metavar="ADRESSES",
        help="envoyer le PDF et le classeur à ces adresses, séparées par des virgules",
    )

    dg = commands.add_parser(
        "digest", help="courriels des dossiers hors délai ou à échéance proche"
    )
    dg.add_argument("--db", type=Path, metavar="BASE", help=db_help)
    dg.add_argument(
        "--as-of",
        type=_date,
        metavar="DATE",
        help="date d'arrêté AAAA-MM-JJ (défaut : aujourd'hui)",
    )
    dg.add_argument("--policy", choices=POLICIES, help=policy_help)
    dg.add_argument(
        "--dry-run", action="store_true", help="afficher les courriels sans les envoyer"
    )

    rg = commands.add_parser(
        "register", help="registre annuel des réclamations (XLSX, recommandation ACPR 2024-R-02)"
    )
    rg.add_argument("--db", type=Path, metavar="BASE", help=db_help)
    rg.add_argument("--year", type=int, required=True, metavar="ANNÉE", help="année de réception")
    rg.add_argument(
        "--as-of",
        type=_date,
        metavar="DATE",
        help="date d'arrêté (défaut : le 31 décembre de l'année, ou aujourd'hui pour l'année en "
        "cours)",
    )
    rg.add_argument("--policy", choices=POLICIES, help=policy_help)
    rg.add_argument("--out", type=Path, required=True, metavar="FICHIER", help="fichier .xlsx")

    sm = commands.add_parser("sample", help="générer un export d'exemple")
    sm.add_argument("--rows", type=int, default=3000, metavar="N", help="nombre de dossiers")
    sm.add_argument("--seed", type=int, default=20250101, metavar="N", help="graine du tirage")
    sm.add_argument(
        "--end",
        type=_date,
        metavar="DATE",
        help="dernier jour couvert (par défaut : aujourd'hui dans le fuseau CPMS_TIMEZONE)",
    )
    sm.add_argument("--canonical", action="store_true", help="en-têtes anglais, dates ISO")
    sm.add_argument("--out", type=Path, required=True, metavar="FICHIER", help="fichier CSV")
    return parser


def _check_writable(path: Path) -> None:
    """Refuse, before anything is imported, a `--rejects` file that could not be written."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise CpmsError(f"Le fichier des rejets {path} est un dossier : indiquez un fichier.")
    if not folder.is_dir():
        raise CpmsError(
            f"Le dossier du fichier des rejets ({folder}) n'existe pas : créez-le ou indiquez "
            "un autre chemin. Rien n'a été importé."
        )
    if not os.access(path if path.exists() else folder, os.W_OK):
        raise CpmsError(
            f"Le fichier des rejets {path} ne peut pas être écrit (droits insuffisants) : "
            "indiquez un autre chemin. Rien n'a été importé."
        )


def _import(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.rejects is not None:
        _check_writable(args.rejects)
    store = open_store(args.db, settings)
    try:
        now = _now()
        report = import_file(
            store,
            args.file,
            import_day=service_day(now, settings.timezone),
            imported_at=now,
            objects=settings.objects,
            causes=settings.causes,
        )
        audit(
            store,
            who="ligne de commande",
            action="import",
            detail=f"Import n° {report.import_id} de « {args.file.name} » en ligne de commande : "
            f"{report.rows_read} lignes lues, {report.added} ajoutées, {report.updated} mises à "
            f"jour, {report.rejected} rejetées",
            at=_now(),
        )
    finally:
        store.close()
    print(f"Import de {args.file.name}")
    for line in report.summary_lines():
        print(f"  {line}")
    if len(report.rejections):
        print("Lignes rejetées :")
        for r in report.rejections.head(50).to_dict("records"):
            print(mask_nirs(f"  ligne {r['line']} ({r['field'] or '—'}) : {r['reason']}"))
        if len(report.rejections) > 50:
            print(f"  … et {len(report.rejections) - 50} autres (voir --rejects).")
    if args.rejects:
        # The page's download, byte for byte: `;`, BOM, NIRs masked, formulas kept as text.
        try:
            args.rejects.write_bytes(rejections_csv(report.rejections, PersonalData.CLEAR))
        except OSError as exc:
            raise CpmsError(
                f"L'import n° {report.import_id} est enregistré, mais le fichier des rejets "
                f"{args.rejects} n'a pas pu être écrit : {exc.strerror}."
            ) from exc
        print(f"Lignes rejetées écrites dans {args.rejects}")
    return EXIT_SOME_REJECTED if report.rejected else EXIT_OK


_percent, _days = format_rate, format_days  # the dashboard's French formats


def _print_table(result: dict[str, Any]) -> None:
    period = result["period"]
    print(
        f"Arrêté au {result['as_of']} — politique {result['policy']} — cohortes "
        f"{period['from'] or 'début'} à {period['to'] or 'fin'}"
    )
    print(
        f"Réclamations : {result['complaints']}   Demandes hors réclamation : "
        f"{result['non_complaints']}"
    )
    for key, title in (("ack", "Accusés de réception"), ("response", "Réponses")):
        b = result[key]
        print(
            f"{title:<22} dans les délais {b['on_time']:>6}  en retard {b['late']:>6}  "
            f"hors délai en cours {b['overdue']:>6}  en attente {b['pending']:>6}  "
            f"taux {_percent(b['compliance_rate']):>8}  médiane {_days(b['median_days'])}  "
            f"p90 {_days(b['p90_days'])}"
        )
    esc = result["escalation"]
    print(f"Saisines du médiateur : {esc['escalated']} ({_percent(esc['rate'])})")
    print(f"Réponses par le même canal (écrits) : {_percent(result['same_channel_rate'])}")
    backlog = result["backlog"]
    print(
        f"{VIEWS['backlog']} : {backlog['open']} ouverts, {backlog['ack_overdue']} AR hors délai, "
        f"{backlog['response_overdue']} réponses hors délai, {backlog['due_within_3_days']} à "
        "échéance sous 3 jours"
    )
    print(f"{VIEWS['due']} :")
    for key, title in (("ack", "Accusés de réception"), ("response", "Réponses")):
        b = result["due"][key]
        print(
            f"  {title:<20} dans les délais {b['on_time']:>6}  en retard {b['late']:>6}  "
            f"hors délai en cours {b['overdue']:>6}  en attente {b['pending']:>6}  "
            f"taux {_percent(b['compliance_rate']):>8}"
        )
    print(f"  Saisines du médiateur {result['due']['referrals']:>6}")
    print("Par objet :")
    for row in result["by_object"]:
        print(
            f"  {row['object']:<16} {row['complaints']:>6}"
            f"  AR {_percent(row['ack_compliance_rate']):>8}"
            f"  réponse {_percent(row['response_compliance_rate']):>8}"
            f"  saisine {_percent(row['escalation_rate']):>8}"
        )


def _kpis(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.db is not None and not args.db.exists():
        raise CpmsError(f"Base introuvable : {args.db}.")
    scope = Scope(
        as_of=args.as_of or service_day(_now(), settings.timezone),
        policy=args.policy or settings.policy,
        month_from=args.month_from,
        month_to=args.month_to,
    )
    store = open_store(args.db, settings)
    try:
        result = kpis(store, as_of=scope.as_of, scope=scope)
    finally:
        store.close()
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        _print_table(result)
    return EXIT_OK


def _register(args: argparse.Namespace) -> int:
    from .register import default_as_of, export_register

    settings = load_settings()
    if args.db is not None and not args.db.exists():
        raise CpmsError(f"Base introuvable : {args.db}.")
    if args.out.suffix.lower() != ".xlsx":
        raise CpmsError(f"Le registre s'écrit en XLSX : donnez un fichier .xlsx, pas {args.out}.")
    if not 1900 <= args.year <= 2999:
        raise CpmsError(f"Année invalide : {args.year}.")
    as_of = args.as_of or default_as_of(args.year, service_day(_now(), settings.timezone))
    store = open_store(args.db, settings)
    try:
        register, _ = export_register(
            store,
            year=args.year,
            as_of=as_of,
            policy=args.policy or settings.policy,
            who="ligne de commande",
            at=_now(),
            objects=settings.objects,
            causes=settings.causes,
            out=args.out,
        )
    finally:
        store.close()
    print(f"Registre {args.year} écrit dans {args.out} : {len(register.rows)} réclamations.")
    return EXIT_OK


def _sample(args: argparse.Namespace) -> int:
    from .sample import write_sample

    if args.rows < 0:
        raise CpmsError("Le nombre de lignes doit être positif.")
    end = args.end or service_day(_now(), load_settings().timezone)
    write_sample(args.out, args.rows, args.seed, end, canonical=args.canonical)
    print(f"{args.rows} lignes écrites dans {args.out}")
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from .mail import SmtpConfig, send_mails
    from .mail.monthly import report_mail
    from .report import build_report, write_report

    settings = load_settings()
    if args.out is None and not args.mail_to:
        raise CpmsError(
            "Indiquez où va le rapport : --out FICHIER, --mail-to ADRESSES, ou les deux."
        )
    if args.db is not None and not args.db.exists():
        raise CpmsError(f"Base introuvable : {args.db}.")
    config = SmtpConfig.from_settings(settings) if args.mail_to else None
    policy = args.policy or settings.policy
    store = open_store(args.db, settings)
    try:
        if args.out is not None:
            write_report(store, month=args.month, policy=policy, as_of=args.as_of, out=args.out)
            print(f"Rapport écrit dans {args.out}")
        if config is None:
            return EXIT_OK
        report = build_report(store, month=args.month, policy=policy, as_of=args.as_of)
        mail = report_mail(report, args.mail_to)
        outcomes = send_mails([mail], config, store=store, who="ligne de commande", at=_now())
    finally:
        store.close()
    return _sent(outcomes)


def _sent(outcomes: Sequence[Outcome]) -> int:
    """Say what went and what did not; 0 all delivered, 3 some, 2 none."""
    for outcome in outcomes:
        if outcome.delivered:
            print(f"Envoyé : « {outcome.mail.subject} » à {', '.join(outcome.delivered)}")
    for problem in dict.fromkeys(p for outcome in outcomes for p in outcome.problems):
        print(f"Erreur : {problem}", file=sys.stderr)
    lost = [o for o in outcomes if not o.complete]
    if not lost:
        return EXIT_OK
    if not any(o.delivered for o in outcomes):
        if len(outcomes) == 1:
            print("Erreur : le courriel n'est pas parti.", file=sys.stderr)
        else:
            print(f"Erreur : aucun des {len(outcomes)} courriels n'est parti.", file=sys.stderr)
        return EXIT_FAILED
    print(
        f"Erreur : {len(lost)} courriel(s) sur {len(outcomes)} non remis à tous leurs "
        "destinataires ; les autres sont partis.",
        file=sys.stderr,
    )
    return EXIT_SOME_REJECTED


def _digest(args: argparse.Namespace) -> int:
    from .access import load_handlers
    from .mail import SmtpConfig, build_digest, send_mails

    settings = load_settings()
    if args.db is not None and not args.db.exists():
        raise CpmsError(f"Base introuvable : {args.db}.")
    config = None if args.dry_run else SmtpConfig.from_settings(settings)
    handlers = load_handlers(settings.roles_file) if settings.roles_file else {}
    if not handlers:
        print(
            "Attention : aucun gestionnaire n'a d'adresse (section [handlers] du fichier des "
            "rôles, réglage CPMS_ROLES_FILE) ; leurs dossiers ne figurent que dans la synthèse.",
            file=sys.stderr,
        )
    if not settings.digest_to:
        print(
            "Attention : CPMS_DIGEST_TO est vide, la synthèse n'est pas envoyée.", file=sys.stderr
        )
    store = open_store(args.db, settings)
    try:
        digest = build_digest(
            store,
            as_of=args.as_of or service_day(_now(), settings.timezone),
            policy=args.policy or settings.policy,
            days=settings.digest_days,
            handlers=handlers,
            summary_to=settings.digest_to,
            base_url=settings.base_url,
        )
        if config is None:
            for mail in digest.mails:
                print("=" * 72)
                print(mail.preview(settings.mail_from))
            print(f"Simulation : {len(digest.mails)} courriel(s) à envoyer, aucun envoyé.")
            return EXIT_OK
        if not digest.mails:
            print("Aucun courriel à envoyer.")
            return EXIT_OK
        outcomes = send_mails(digest.mails, config, store=store, who="ligne de commande", at=_now())
    finally:
        store.close()
    return _sent(outcomes)


def main(argv: Sequence[str] | None = None) -> int:
    setattr(argparse, "_", _french)  # noqa: B010 (argparse's module-level gettext)
    args = _parser().parse_args(argv)
    handlers = {
        "import": _import, "kpis": _kpis, "report": _report, "digest": _digest, "sample": _sample,
        "register": _register,
    }  # fmt: skip
    try:
        code = handlers[args.command](args)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return code
    except BrokenPipeError:
        # `kpis | head`: the reader has gone. End quietly, as a program killed by SIGPIPE.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except ImportFileError as exc:
        print(f"Erreur : {exc.message} La base n'a pas été modifiée.", file=sys.stderr)
        return EXIT_FAILED
    except CpmsError as exc:
        print(f"Erreur : {exc.message}", file=sys.stderr)
        return EXIT_FAILED
