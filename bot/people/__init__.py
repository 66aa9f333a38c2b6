"""People: who is asking (Asker), who they are in VBC (Directory), what they may see (policy)."""
