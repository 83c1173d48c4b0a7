"""Customer records: get, search, create, update, and upsert by external id."""
