"""`python -m traffic migrate|downgrade|seed|serve|reconcile`."""

from datetime import timedelta

from servicekit.cli import CliCommand, run_service_cli
from traffic.main import create_app
from traffic.seed import seed
from traffic.settings import TrafficSettings


def reconcile(settings: TrafficSettings) -> None:
    """One reconciliation run against WeChat Pay (cron runs it; idempotent)."""
    from servicekit.db import make_engine
    from servicekit.logging import configure_logging
    from traffic.payments.provider import MerchantConfig, WechatPayClient
    from traffic.payments.reconciliation import reconcile_once

    configure_logging("traffic", settings.log_level)
    engine = make_engine(settings.database_url)
    pay = WechatPayClient(MerchantConfig.from_settings(settings))
    try:
        report = reconcile_once(
            engine, pay, older_than=timedelta(seconds=settings.reconcile_after_seconds)
        )
    finally:
        pay.close()
        engine.dispose()
    print(report.summary())
    for problem in report.bills_unavailable + report.provider_errors:
        print(f"  {problem}")
    if report.provider_errors:
        raise SystemExit(1)


COMMANDS = {
    "reconcile": CliCommand(
        help="query WeChat Pay about open orders and the trade bill; repair our state",
        run=reconcile,
    )
}

if __name__ == "__main__":
    run_service_cli("traffic", TrafficSettings, create_app, seed=seed, extra_commands=COMMANDS)
