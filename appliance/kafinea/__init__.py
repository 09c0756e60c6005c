"""Kafinea (vtiger webservice) client, schema map, ticket mapping, sync worker and sandbox.

- `client.py`: `KafineaClient` (login, listtypes, describe, retrieve, create, revise, update,
  delete, query, query_all); `errors.py`: the exception tree the callers decide on;
- `vtql.py`: safe VTQL building and paging; `schema.py`: roles -> module/field names, discovery;
- `catalog_pull.py`: changed products with their taxes; `account_pull.py`: customer accounts;
- `documents.py`: what each journaled document becomes in Kafinea (invoice, credit note,
  payment, cash transaction); `steps.py`: what to do next for one outbox row;
- `sync.py`: the worker that performs those steps, in order, exactly once;
- `sandbox/`: a Kafinea-compatible server for development, tests, demos and training.
"""
