"""Unit tests of bot.people."""
