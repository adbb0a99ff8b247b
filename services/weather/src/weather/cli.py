"""`python -m weather migrate|downgrade|seed|serve|import-open-meteo`.

servicekit's extra commands take no options of their own, so the options of
`import-open-meteo` are parsed here and the bare command name is handed on.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlmodel import Session

from servicekit.cli import CliCommand, run_service_cli
from servicekit.db import make_engine
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
from weather.settings import WeatherSettings

IMPORT = "import-open-meteo"
IMPORT_HELP = "import an Open-Meteo daily forecast (file or upstream) as a system issuance"


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


def main(argv: Sequence[str] | None = None) -> None:
    """Run one command of the weather service."""
    args = list(sys.argv[1:] if argv is None else argv)
    options = import_parser().parse_args(args[1:]) if args[:1] == [IMPORT] else None

    def _import(settings: WeatherSettings) -> None:
        assert options is not None
        try:
            print(run_import(settings, options))
        except OpenMeteoError as exc:
            sys.exit(f"weather: import failed: {exc}")

    run_service_cli(
        package="weather",
        settings_factory=WeatherSettings,
        app_factory=create_app,
        seed=seed,
        default_port=8003,
        argv=args[:1] if options is not None else args,
        extra_commands={IMPORT: CliCommand(help=IMPORT_HELP, run=_import)},
    )
