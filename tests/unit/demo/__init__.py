"""Unit tests of bot.demo."""
