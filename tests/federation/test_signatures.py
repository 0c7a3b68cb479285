"""RFC 9421 signatures of node-to-node calls: what verifies, and every way one is refused."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import given
from hypothesis import strategies as st

from accord.errors import VerificationFailed
from accord.federation import signatures

KEY = Ed25519PrivateKey.generate()
URL = "https://b.example/api/v1/federation/handshakes"
NOW = 1_800_000_000
NONCE = "n" * 24


def _key_for(keyid: str) -> Ed25519PublicKey:
    if keyid != "SHA256:a":
        raise VerificationFailed("unknown", code="federation.unknown-peer")
    return KEY.public_key()


def _signed(body: bytes = b"{}", created: int = NOW) -> dict[str, str]:
    headers = signatures.sign(
        KEY, "SHA256:a", method="POST", target_uri=URL, body=body, created=created, nonce=NONCE
    )
    return {k.lower(): v for k, v in headers.items()}


def _verify(
    headers: dict[str, str], *, body: bytes = b"{}", method: str = "POST", url: str = URL
) -> None:
    signatures.verify(headers, method=method, target_uri=url, body=body, now=NOW, key_for=_key_for)


def test_signature_base_follows_rfc_9421_section_2_5() -> None:
    params = signatures.signature_params(1618884473, "test-key-ed25519", "abcdefghijklmnopqrst")
    base = signatures.signature_base(
        "post", "https://example.com/foo?param=Value", "sha-256=:X:", params
    )
    assert base.decode().splitlines() == [
        '"@method": POST',
        '"@target-uri": https://example.com/foo?param=Value',
        '"content-digest": sha-256=:X:',
        '"@signature-params": ("@method" "@target-uri" "content-digest");created=1618884473;'
        'keyid="test-key-ed25519";alg="ed25519";nonce="abcdefghijklmnopqrst"',
    ]


def test_content_digest_is_rfc_9530_sha_256() -> None:
    # RFC 9530 appendix B.1: {"hello": "world"}
    assert signatures.content_digest(b'{"hello": "world"}') == (
        "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
    )


def test_a_signed_call_verifies() -> None:
    call = signatures.verify(
        _signed(), method="POST", target_uri=URL, body=b"{}", now=NOW + 10, key_for=_key_for
    )
    assert (call.keyid, call.created, call.nonce) == ("SHA256:a", NOW, NONCE)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"body": b'{"x":1}'}, "federation.digest-mismatch"),
        ({"method": "PUT"}, "federation.bad-signature"),
        ({"url": "https://c.example/api/v1/federation/handshakes"}, "federation.bad-signature"),
    ],
)
def test_any_change_to_a_covered_component_is_refused(change: dict[str, object], code: str) -> None:
    with pytest.raises(VerificationFailed) as raised:
        _verify(_signed(), **change)  # type: ignore[arg-type]
    assert raised.value.code == code


@pytest.mark.parametrize("created", [NOW - 301, NOW + 301])
def test_stale_or_future_signatures_are_refused(created: int) -> None:
    with pytest.raises(VerificationFailed) as raised:
        _verify(_signed(created=created))
    assert raised.value.code == "federation.stale"


def test_missing_or_reshaped_headers_are_refused() -> None:
    headers = _signed()
    for broken in (
        {k: v for k, v in headers.items() if k != "signature"},
        {**headers, "signature-input": headers["signature-input"].replace('"content-digest"', "")},
        {**headers, "signature": "sig2=:AAAA:"},
    ):
        with pytest.raises(VerificationFailed):
            _verify(broken)


def test_a_signature_by_another_key_is_refused() -> None:
    other = Ed25519PrivateKey.generate()
    headers = signatures.sign(
        other, "SHA256:a", method="POST", target_uri=URL, body=b"{}", created=NOW, nonce=NONCE
    )
    with pytest.raises(VerificationFailed) as raised:
        _verify({k.lower(): v for k, v in headers.items()})
    assert raised.value.code == "federation.bad-signature"


@given(st.binary(max_size=256), st.binary(min_size=1, max_size=8))
def test_no_body_but_the_signed_one_verifies(body: bytes, extra: bytes) -> None:
    headers = _signed(body)
    _verify(headers, body=body)
    with pytest.raises(VerificationFailed):
        _verify(headers, body=body + extra)
