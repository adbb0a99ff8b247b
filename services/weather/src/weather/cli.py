"""`python -m weather migrate|downgrade|seed|serve|import-open-meteo|push-bulletin`.

servicekit's extra commands take no options of their own, so the options of
`import-open-meteo` and `push-bulletin` are parsed here and the bare command name is handed on.

`push-bulletin [--date YYYY-MM-DD]` (default: today in Asia/Shanghai) mass-sends the date's
bulletin and city chart from 东莞天气 through the gateway, once per date (`weather.bulletin_push`).
Exit codes: 0 sent now or already sent before; 1 failed (recorded; running it again retries);
2 usage (bad or future date); 3 another run is sending it right now (run again later to see).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from servicekit.cli import CliCommand, run_service_cli
from servicekit.db import make_engine
from servicekit.errors import ValidationFailed
from weather.bulletin_push import BulletinPusher
from weather.clock import today_local
from weather.main import create_app
from weather.open_meteo import (
    OpenMeteoError,
    fetch,
    import_documents,
    import_locations,
    read_file,
)
from weather.reference import location_names
from weather.seed import seed
from weather.serving import check_forecast_date
from weather.settings import WeatherSettings

IMPORT = "import-open-meteo"
IMPORT_HELP = "import an Open-Meteo daily forecast (file or upstream) as a system issuance"
PUSH = "push-bulletin"
PUSH_HELP = (
    "mass-send the day's bulletin and city chart from 东莞天气 through the gateway, "
    "once per date (群发每日天气短评)"
)


def import_parser() -> argparse.ArgumentParser:
    """The options of `import-open-meteo`."""
    parser = argparse.ArgumentParser(prog=f"python -m weather {IMPORT}", description=IMPORT_HELP)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--file", type=Path, help="a recorded /v1/forecast response (JSON)")
    where.add_argument(
        "--url",
        nargs="?",
        const="",
        metavar="URL",
        help="fetch from URL (default: WEATHER_OPEN_METEO_URL) for the city and the 33 locations",
    )
    parser.add_argument(
        "--location",
        action="append",
        dest="locations",
        metavar="CODE",
        help="the location of each document, in order (default: dongguan for one document; "
        "the city then the 33 locations in reference order for a list)",
    )
    parser.add_argument("--note", default="", help="a note stored with the issuance")
    return parser


def run_import(settings: WeatherSettings, options: argparse.Namespace) -> str:
    """Import as the options say and return a one-line summary (OpenMeteoError on failure)."""
    codes = options.locations
    unknown = [c for c in codes or () if c not in location_names()]
    if unknown:
        raise OpenMeteoError(f"未知的地点：{'、'.join(unknown)}")
    if options.file is not None:
        documents = read_file(options.file, codes)
    else:
        known = {d.code: d for d in import_locations()}
        wanted = [known[c] for c in codes] if codes else list(known.values())
        documents = fetch(
            url=options.url or settings.open_meteo_url,
            locations=wanted,
            timeout=settings.open_meteo_timeout_seconds,
        )
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            issuance = import_documents(session=session, documents=documents, note=options.note)
            return (
                f"weather: imported issuance {issuance.id} for {issuance.forecast_date} "
                f"(version {issuance.version}, {len(documents)} locations)"
            )
    finally:
        engine.dispose()


def push_parser() -> argparse.ArgumentParser:
    """The options of `push-bulletin`."""
    parser = argparse.ArgumentParser(
        prog=f"python -m weather {PUSH}",
        description=PUSH_HELP,
        epilog="exit codes: 0 sent or already sent, 1 failed (a later run retries), "
        "2 usage, 3 another run is sending it now",
    )
    parser.add_argument(
        "--date",
        type=date.fromisoformat,
        default=None,
        metavar="YYYY-MM-DD",
        help="the bulletin's date (default: today in Asia/Shanghai); not a future date",
    )
    return parser


def run_push(settings: WeatherSettings, options: argparse.Namespace) -> int:
    """Push as the options say, print the outcome and return the exit code."""
    today = today_local()
    bulletin_date: date = options.date or today
    if bulletin_date > today:
        print(
            f"weather: {bulletin_date} 尚未到来，不能提前群发 / "
            f"cannot push the bulletin of a future date ({bulletin_date})",
            file=sys.stderr,
        )
        return 2
    try:
        check_forecast_date(forecast_date=bulletin_date, today=today, field="date", where="query")
    except ValidationFailed:
        print(
            f"weather: 只能群发一年之内的短评 / {bulletin_date} is more than a year ago",
            file=sys.stderr,
        )
        return 2
    engine = make_engine(settings.database_url)
    try:
        result = BulletinPusher.from_settings(settings, engine).push(bulletin_date)
    except SQLAlchemyError as exc:
        print(
            f"weather: 数据库不可用，未群发 / database unavailable, nothing sent: "
            f"{type(exc).__name__}",
            file=sys.stderr,
        )
        return 1
    finally:
        engine.dispose()
    print(f"weather: {result.message}", file=sys.stdout if result.exit_code == 0 else sys.stderr)
    return result.exit_code


OPTION_PARSERS = {IMPORT: import_parser, PUSH: push_parser}


def main(argv: Sequence[str] | None = None) -> None:
    """Run one command of the weather service."""
    args = list(sys.argv[1:] if argv is None else argv)
    options = None
    if args[:1] and args[0] in OPTION_PARSERS:
        options = OPTION_PARSERS[args[0]]().parse_args(args[1:])

    def _import(settings: WeatherSettings) -> None:
        assert options is not None
        try:
            print(run_import(settings, options))
        except OpenMeteoError as exc:
            sys.exit(f"weather: import failed: {exc}")

    def _push(settings: WeatherSettings) -> None:
        assert options is not None
        sys.exit(run_push(settings, options))

    run_service_cli(
        package="weather",
        settings_factory=WeatherSettings,
        app_factory=create_app,
        seed=seed,
        default_port=8003,
        argv=args[:1] if options is not None else args,
        extra_commands={
            IMPORT: CliCommand(help=IMPORT_HELP, run=_import),
            PUSH: CliCommand(help=PUSH_HELP, run=_push),
        },
    )
