"""Audio: Play and Share into Slack, and the streamed relay into Slack's upload flow."""
