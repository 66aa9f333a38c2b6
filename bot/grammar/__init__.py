"""The `/recordings` filter grammar's parts; importers use ``bot.filters``, its public face."""
