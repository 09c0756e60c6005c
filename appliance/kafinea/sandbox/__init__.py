"""A Kafinea-compatible webservice on loopback, for development, tests, demos and training.

- `app.py`: the application (request in, response out): operations, faults, stats;
- `sessions.py`: challenges, logins and sessions; `records.py`: reading and writing records;
- `values.py`: a write's values as vtiger reads, checks and stores them;
- `vtql_parser.py` + `query.py`: VTQL as vtiger reads it, run on SQLite;
- `inventory.py`: line items and server-computed totals (group / individual tax modes);
- `modules.py`: what listtypes/describe answer (Kafinea's modules and their invented names);
- `store.py`: SQLite state; `seed.py`: the demo shop; `faults.py`: the fault plan;
- `server.py`: HTTP/1.1 server, `SandboxServer`, and `running_sandbox()` for tests.
"""
