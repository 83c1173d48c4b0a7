"""inventory backend tables (filled in by the inventory stand-in)."""
