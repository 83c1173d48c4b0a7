"""erp backend tables (filled in by the erp stand-in)."""
