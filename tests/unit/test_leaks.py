"""What hostile testing found leaking (issue 12): local mode under a foreign host name, an
unverified e-mail let in, NIRs typed in other fields, Markdown in stored text, oversized fields."""

from __future__ import annotations

import pytest

from cpms_metrics.access import Mode, access_for, host_name, is_loopback_host


def local(host: str | None) -> Mode:
    return access_for(
        auth_configured=False,
        logged_in=False,
        email=None,
        roles=None,
        address="127.0.0.1",
        host=host,
    ).mode


# --- DNS rebinding ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host, name",
    [
        ("localhost:8501", "localhost"),
        ("LocalHost.:8501", "localhost"),  # case and the final dot of a fully qualified name
        ("[::1]:8501", "::1"),
        ("127.0.0.1", "127.0.0.1"),
        ("evil.example:8501", "evil.example"),
    ],
)
def test_host_name(host: str, name: str) -> None:
    assert host_name(host) == name


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:8501", "127.0.0.1:8501", "127.3.4.5", "[::1]:8501", "[::1]"]
)
def test_local_mode_under_a_loopback_host(host: str) -> None:
    assert is_loopback_host(host)
    assert local(host) is Mode.LOCAL


@pytest.mark.parametrize(
    "host",
    [
        "evil.example:8501",  # resolves to 127.0.0.1 for the time of the attack
        "evil.example",
        "localhost.evil.example:8501",
        "127.0.0.1.nip.io:8501",
        "192.168.1.10:8501",
        "[::2]:8501",
    ],
)
def test_no_local_mode_under_another_host_name(host: str) -> None:
    who = access_for(
        auth_configured=False,
        logged_in=False,
        email=None,
        roles=None,
        address="127.0.0.1",
        host=host,
    )
    assert who.mode is Mode.CLOSED and not who.granted
    assert who.refusal is not None and "localhost" in who.refusal and "[auth]" in who.refusal


def test_without_a_request_local_mode_stays() -> None:
    assert local(None) is Mode.LOCAL  # a script run without a browser: nothing to rebind


def test_a_hostile_host_header_is_not_echoed_as_it_is() -> None:
    who = access_for(
        auth_configured=False,
        logged_in=False,
        email=None,
        roles=None,
        address="127.0.0.1",
        host="![x](http://evil/x.png)",
    )
    assert who.refusal is not None and "(" not in who.refusal.split("»")[0]


# --- email_verified -----------------------------------------------------------------------------


def login(email_verified: object) -> Mode | None:
    who = access_for(
        auth_configured=True,
        logged_in=True,
        email="admin@cpms.fr",
        roles={"admin@cpms.fr": "admin"},
        address="0.0.0.0",
        email_verified=email_verified,
    )
    return who.mode if who.granted else None


@pytest.mark.parametrize("claim", [0, "0", "false", "False", False, "no", "", 0.0, [], "yes"])
def test_an_unverified_address_is_refused(claim: object) -> None:
    assert login(claim) is None


@pytest.mark.parametrize("claim", [True, "true", "TRUE", 1, "1", None])  # None: no claim sent
def test_a_verified_address_gets_in(claim: object) -> None:
    assert login(claim) is Mode.LOGIN
