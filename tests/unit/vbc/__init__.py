"""Unit tests of bot.vbc."""
