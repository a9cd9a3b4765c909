"""Test infrastructure shared by every app: a pytest plugin (registered in the root
``conftest.py``) with the reference data, the institution tree and staff personas, the
signed-in client, and the race harness for tests with real threads.

    from jiaozi.testing.race import race, retrying, atomically

Nothing here is imported by application code."""
