"""crm backend tables (filled in by the crm stand-in)."""
