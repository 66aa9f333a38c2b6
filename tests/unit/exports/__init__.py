"""Unit tests of bot.exports."""
