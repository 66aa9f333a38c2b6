"""Unit tests of bot.grammar."""
