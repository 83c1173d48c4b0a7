"""Sales order records: create (idempotent by external id), get, search, change status."""
