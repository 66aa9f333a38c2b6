"""vbc-recordings-bot: VBC call recordings in Slack."""
