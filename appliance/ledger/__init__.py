"""SQLite stores: the fiscal journal, the catalogue cache and the sync outbox."""
