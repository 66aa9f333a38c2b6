"""Unit tests of bot.audio."""
