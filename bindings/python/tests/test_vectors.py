"""Known answers from the RFCs (/work/shared/spec/vectors.md), through the
Python API. Inputs are copied from the RFC texts."""

import base64
import json

import pytest

import fapi

# RFC 7636 Appendix B.
RFC7636_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
RFC7636_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

# RFC 7638 §3.1 (the example RSA key; its `alg` RS256 is not read).
RFC7638_JWK = {
    "kty": "RSA",
    "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}
RFC7638_THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

# RFC 8037 A.1 (private), A.2 (public), A.3 (thumbprint).
RFC8037_D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
RFC8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"

# RFC 9449 §4.1 Figure 2 and §7.1.
RFC9449_PROOF = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg"
RFC9449_JKT = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
RFC9449_TOKEN = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"
RFC9449_ATH = "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"


def b64url_json(part: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_rfc7636_appendix_b_pkce_s256():
    assert fapi.pkce_challenge(RFC7636_VERIFIER) == RFC7636_CHALLENGE
    fapi.pkce_verify(RFC7636_VERIFIER, RFC7636_CHALLENGE)


def test_rfc7638_section_3_1_rsa_thumbprint():
    assert fapi.jwk_thumbprint(RFC7638_JWK) == RFC7638_THUMBPRINT
    # The same key as JSON text, members in another order.
    text = json.dumps({k: RFC7638_JWK[k] for k in ("kid", "e", "n", "kty")})
    assert fapi.jwk_thumbprint(text) == RFC7638_THUMBPRINT


def test_rfc8037_a3_okp_thumbprint_and_the_a1_key_loaded():
    assert fapi.jwk_thumbprint({"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X}) == RFC8037_THUMBPRINT
    # A.1's private key through the key loader: its public half (A.2) and
    # its default kid, the A.3 thumbprint.
    key = fapi.SigningKey.from_jwk({"kty": "OKP", "crv": "Ed25519", "d": RFC8037_D, "x": RFC8037_X})
    assert key.alg == "EdDSA"
    assert key.kid == RFC8037_THUMBPRINT
    assert key.thumbprint() == RFC8037_THUMBPRINT
    public = json.loads(key.public_jwk())
    assert public["x"] == RFC8037_X and "d" not in public
    assert RFC8037_D not in repr(key)


def test_rfc9449_figure2_jkt_of_the_proof_key():
    header = b64url_json(RFC9449_PROOF.split(".")[0])
    assert fapi.jwk_thumbprint(header["jwk"]) == RFC9449_JKT


def test_rfc9449_7_1_ath():
    assert fapi.dpop_ath(RFC9449_TOKEN) == RFC9449_ATH


def test_rfc9449_figure2_proof_signature_verifies_then_its_2019_iat_is_refused():
    # The proof's signature, typ, alg and embedded key pass; what is refused
    # is its age (iat 1562262616, July 2019): a time error, not a signature
    # error. The same proof with a changed signature is a signature error.
    issuer = fapi.Issuer("fapi2", "https://server.example.com", fapi.SigningKey.generate("ES256"),
                         token_endpoint="https://server.example.com/token")
    with pytest.raises(fapi.ClaimsError) as e:
        issuer.verify_dpop(RFC9449_PROOF, "POST", "https://server.example.com/token")
    assert 400 <= e.value.code < 500 and e.value.oauth_error == "invalid_dpop_proof"
    head, payload, sig = RFC9449_PROOF.split(".")
    flipped = ("A" if sig[0] != "A" else "B") + sig[1:]
    with pytest.raises(fapi.SignatureError) as e:
        issuer.verify_dpop(f"{head}.{payload}.{flipped}", "POST", "https://server.example.com/token")
    assert (e.value.code, e.value.name) == (300, "bad_signature")
