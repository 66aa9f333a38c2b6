"""Entrypoint: ``recordings-bot run | demo | sim | migrate``; the only reader of the environment."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from dotenv import load_dotenv

from bot.settings import Settings, SettingsError, has_slack_credentials


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="recordings-bot", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (Socket Mode or HTTP); the demo without credentials")
    sub.add_parser("demo", help="the bot against the bundled VBC simulator, in a console")
    sub.add_parser("sim", help="the VBC simulator alone (--host --port --seed ...)", add_help=False)
    sub.add_parser("migrate", help="apply database migrations and exit")
    args, rest = parser.parse_known_args(argv)
    if rest and args.command != "sim":
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    load_dotenv()  # the real environment wins over .env
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its plugin chatter on every start
    command = args.command or "run"
    if command == "sim":
        from bot.vbc.sim import main_sim

        main_sim(rest)
        return
    if command == "demo" or (command == "run" and not has_slack_credentials(os.environ)):
        from bot.demo import main_demo

        if command == "run":
            logging.getLogger(__name__).warning(
                "no Slack credentials in the environment or .env: starting the demo"
            )
        main_demo(env=dict(os.environ))
        return
    try:
        settings = Settings.from_env(os.environ)
    except SettingsError as exc:
        sys.exit(f"recordings-bot: {exc}")
    if command == "migrate":
        asyncio.run(_migrate(settings))
        return
    # Settings hold the token now; Bolt would read the variable again and warn that our
    # client (which honours SLACK_API_URL) wins over it.
    os.environ.pop("SLACK_BOT_TOKEN", None)
    asyncio.run(_run(settings))


async def _migrate(settings: Settings) -> None:
    from bot.db import create_engine, migrate

    engine = create_engine(settings.database_url)
    await migrate(engine)
    await engine.dispose()


async def _run(settings: Settings) -> None:
    from bot.app import build_runtime
    from bot.serve import serve

    await serve(await build_runtime(settings))


if __name__ == "__main__":
    main()
