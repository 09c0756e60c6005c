"""Kafinea (vtiger webservice) client, schema map, ticket mapping, sync worker and sandbox.

- `client.py`: `KafineaClient` (login, listtypes, describe, retrieve, create, revise, update,
  delete, query, query_all); `errors.py`: the exception tree the callers decide on;
- `vtql.py`: safe VTQL building and paging; `schema.py`: roles -> module/field names, discovery;
- `catalog_pull.py`: changed products with their taxes; `health.py`: read-only checks (doctor);
- `mapping.py`, `sync.py`: tickets to Kafinea documents, and the worker that posts them;
- `sandbox/`: a Kafinea-compatible server for development, tests, demos and training.
"""
