"""Entrypoint: ``recordings-bot run | check | demo | sim | migrate | secret``; the only env
reader."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from dotenv import load_dotenv

from bot.settings import DEFAULT_DATABASE_URL, Settings, SettingsError, is_unconfigured

DESCRIPTION = (
    "Find, play and export Vonage Business Communications call recordings from Slack. "
    "Settings come from the environment and a .env file in the current directory; "
    "see the README's configuration table."
)
EPILOG = "After filling .env, run `recordings-bot check`; then `recordings-bot run`."
KEY_HINT = (
    "Put it in BOT_SECRET_KEY. To rotate keys, list the new one first: BOT_SECRET_KEY=<new>,<old> "
    "(the first encrypts and signs, every one decrypts and verifies)."
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="recordings-bot", description=DESCRIPTION, epilog=EPILOG)
    sub = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")
    sub.add_parser("run", help="run the bot (Socket Mode or HTTP); the demo without credentials")
    sub.add_parser(
        "check", help="try the settings: database, VBC login and user, Slack token and scopes"
    )
    sub.add_parser("demo", help="the bot against the bundled VBC simulator, in a console")
    sub.add_parser("sim", help="the VBC simulator alone (--host --port --seed ...)", add_help=False)
    sub.add_parser("migrate", help="apply database migrations and exit")
    sub.add_parser("secret", help="print a fresh BOT_SECRET_KEY")
    args, rest = parser.parse_known_args(argv)
    if rest and args.command != "sim":
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "secret":
        from bot.people.crypto import new_secret_key

        print(new_secret_key())  # noqa: T201 - the command's whole output
        print(KEY_HINT, file=sys.stderr)  # noqa: T201
        return
    load_dotenv()  # the real environment wins over .env
    _configure_logging(os.environ)
    command = args.command or "run"
    if command == "sim":
        from bot.vbcsim import main_sim

        main_sim(rest)
        return
    if command == "run" and is_unconfigured(os.environ):
        if not sys.stdin.isatty():
            # On a host, an empty configuration is a mistake, not a request for the demo.
            sys.exit(
                "recordings-bot: no Slack or VBC settings in the environment or .env; "
                "fill them in (see .env.example and the README), or run `recordings-bot demo`"
            )
        logging.getLogger(__name__).warning("nothing configured yet: starting the demo")
        command = "demo"
    if command == "demo":
        from bot.demo import main_demo

        main_demo(env=dict(os.environ))
        return
    if command == "check":
        from bot.ops.check import check_env

        sys.exit(check_env(os.environ, print))
    if command == "migrate":
        _exit_on_database_error(_migrate, os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
        return
    try:
        settings = Settings.from_env(os.environ)
    except SettingsError as exc:
        sys.exit(f"recordings-bot: {exc}")
    # Settings hold the token now; Bolt would read the variable again and warn that our
    # client (which honours SLACK_API_URL) wins over it.
    os.environ.pop("SLACK_BOT_TOKEN", None)
    _exit_on_database_error(lambda: _run(settings), settings.database_url)


def _configure_logging(env: Mapping[str, str]) -> None:
    """LOG_LEVEL is the bot's own; libraries stay at WARNING unless LOG_LEVEL_LIBRARIES says.

    At DEBUG, slack_sdk logs Web API bodies (an OAuth install's tokens, signed links in
    messages), SQLAlchemy every statement with its parameters, httpx every URL: a bot at
    LOG_LEVEL=DEBUG must not write those, so they need a second, explicit switch.
    """
    from bot.ops.logs import LOG_FORMATS, configure

    levels = logging.getLevelNamesMapping()
    level = _level(env, "LOG_LEVEL", "INFO", levels)
    floor = logging.getLevelName(max(levels[level], logging.WARNING))
    libraries = _level(env, "LOG_LEVEL_LIBRARIES", floor, levels)
    log_format = env.get("LOG_FORMAT", "").strip().lower() or "text"
    if log_format not in LOG_FORMATS:
        sys.exit(f"recordings-bot: LOG_FORMAT must be text or json, not {log_format!r}")
    configure(
        level=level, libraries=libraries, log_format=log_format, own=("bot", "handlers", __name__)
    )


def _level(env: Mapping[str, str], key: str, default: str, levels: Mapping[str, int]) -> str:
    level = env.get(key, "").strip().upper() or default
    if level not in levels:
        sys.exit(f"recordings-bot: {key} must be DEBUG, INFO, WARNING or ERROR, not {level!r}")
    return level


def _exit_on_database_error(
    main: Callable[[], Coroutine[Any, Any, None]], database_url: str
) -> None:
    """An unreachable or unwritable database is a setting to fix, not a traceback to read."""
    from bot.store.engine import DatabaseError, shown_url

    try:
        asyncio.run(main())
    except (OSError, DatabaseError) as exc:
        sys.exit(f"recordings-bot: cannot use the database {shown_url(database_url)}: {exc}")


async def _migrate() -> None:
    from bot.store.engine import create_engine, migrate

    engine = create_engine(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()


async def _run(settings: Settings) -> None:
    from bot.app import build_runtime
    from bot.web.serve import serve

    await serve(await build_runtime(settings))


if __name__ == "__main__":
    main()
