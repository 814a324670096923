from __future__ import annotations

import pytest

from lexsync.api import ApiSettings, SettingsError
from lexsync.errors import LexsyncError


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://127.3.4.5", "http://[::1]:9000",
                                 "http://localhost:8000/", "https://api.leadexec.net"])
def test_accepted_urls(url: str) -> None:
    assert ApiSettings(base_url=url).root == url.rstrip("/")


@pytest.mark.parametrize("url", ["http://api.leadexec.net", "http://10.0.0.1",
                                 "http://localhost.evil.com", "ftp://x", "api.leadexec.net"])
def test_refused_urls(url: str) -> None:
    with pytest.raises(SettingsError) as info:
        ApiSettings(base_url=url)
    assert isinstance(info.value, LexsyncError)


def test_plain_http_names_the_reason() -> None:
    with pytest.raises(SettingsError, match="refusing plain http://"):
        ApiSettings(base_url="http://api.leadexec.net")
    with pytest.raises(SettingsError, match="refusing plain http://"):
        ApiSettings(base_url="http://127.0.0.1", allow_insecure_loopback=False)


def test_defaults_and_dialect() -> None:
    s = ApiSettings()
    assert (s.base_url, s.dialect, s.namespace, s.timeout_seconds, s.max_attempts,
            s.retry_budget_seconds, s.backoff_base_seconds, s.backoff_max_seconds,
            s.parallelism) == ("https://api.leadexec.net", "rest", "http://tempuri.org/", 30, 5,
                               60, 0.5, 10, 16)
    with pytest.raises(SettingsError, match="dialect"):
        ApiSettings(dialect="graphql")  # type: ignore[arg-type]


def test_answer_bounds_default_and_must_be_positive() -> None:
    s = ApiSettings()
    assert (s.max_answer_bytes, s.deadline_seconds, s.ca_bundle) == (32 * 1024 * 1024, 120, None)
    for bad in ({"deadline_seconds": 0}, {"max_answer_bytes": 0}):
        with pytest.raises(SettingsError, match="deadline_seconds and max_answer_bytes"):
            ApiSettings(**bad)  # type: ignore[arg-type]
