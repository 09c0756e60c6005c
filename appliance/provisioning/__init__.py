"""Setting a till up: the technician's setup file, the wizard's back end, the checks before.

- `setup_file` (decide, pure): `appliance-setup.toml` read and validated, every problem named;
- `plan` (decide, pure): the files, modes and owners applying it changes;
- `files` (act): staging and renaming them into place under a root, all or nothing;
- `apply`: `provision(source, root)`, the three steps in order, the outcome in `status`;
- `login`: the one "test before configure" login, and `health`: can this till sell?
- `wizard`: the on-screen wizard's back end (handed the function that builds the till);
- `status`: `setup-status.json`, written by `apply`, read by the kiosk's banner.
"""
