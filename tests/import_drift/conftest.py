from tests.e2e.conftest import cli, sandbox, sandbox_url  # noqa: F401  (shared e2e fixtures)
