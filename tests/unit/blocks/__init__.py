"""Unit tests of bot.blocks."""
