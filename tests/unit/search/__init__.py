"""Unit tests of bot.search."""
