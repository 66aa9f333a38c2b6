"""The signed request driver, now in the package (`bot.demo.driver`) so the demo can use it."""

from bot.demo.driver import SlackDriver

__all__ = ["SlackDriver"]
