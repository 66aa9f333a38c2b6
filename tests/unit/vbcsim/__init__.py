"""Unit tests of bot.vbcsim."""
