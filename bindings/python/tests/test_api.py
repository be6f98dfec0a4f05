"""The API in one process: an issuer, a client and a resource server, and
every refusal raised as its typed exception."""

import base64
import json
import urllib.parse

import pytest

import fapi

AS = "https://as.bank.example"
API = "https://api.bank.example"


@pytest.fixture()
def parties():
    issuer = fapi.Issuer("fapi2", AS, fapi.SigningKey.generate("ES256"), audience=API)
    dpop_key = fapi.SigningKey.generate("ES256")
    client = fapi.Client("fapi2", "fintech-1", AS,
                         signing_key=fapi.SigningKey.generate("ES256"), dpop_key=dpop_key,
                         token_endpoint=issuer.token_endpoint)
    issuer.add_private_key_jwt_client("fintech-1", "Fintech One", client.jwks())
    rs = fapi.ResourceServer("fapi2", AS, API, issuer.jwks())
    return issuer, client, rs, dpop_key


def token_for(issuer, client, scope="accounts"):
    """The token endpoint's work for the client's client-credentials request."""
    req = client.client_credentials_request(scope)
    headers = req.headers_dict()
    assert req.method == "POST" and req.url == issuer.token_endpoint
    form = urllib.parse.parse_qs(req.body)
    assert form["grant_type"] == ["client_credentials"]
    assert issuer.verify_client_assertion("fintech-1", form["client_assertion"][0], issuer.token_endpoint) == "fintech-1"
    dpop = issuer.verify_dpop(headers["dpop"], req.method, req.url)
    return issuer.issue_access_token("fintech-1", "fintech-1", dpop=dpop, scope=scope), dpop


def test_dpop_bound_token_issued_and_verified(parties):
    issuer, client, rs, dpop_key = parties
    token, dpop = token_for(issuer, client)
    assert token.token_type == "DPoP" and token.scope == "accounts"
    assert json.loads(token.to_json())["access_token"] == token.access_token
    assert dpop.jkt == dpop_key.thumbprint()
    req = client.resource_request("GET", f"{API}/accounts", token.access_token)
    claims = rs.verify(req.method, req.url, req.headers, scope="accounts")
    assert claims.client_id == "fintech-1" and claims.has_scope("accounts")
    assert claims.cnf_jkt == dpop_key.thumbprint()
    assert token.access_token not in repr(token)


def test_resource_refusals_are_typed_with_status_and_challenge(parties):
    issuer, client, rs, _ = parties
    token, _ = token_for(issuer, client)
    url = f"{API}/accounts"

    req = client.resource_request("GET", url, token.access_token)
    rs.verify("GET", url, req.headers)
    # The same proof again: replay (RFC 9449 §11.1).
    with pytest.raises(fapi.ClaimsError) as e:
        rs.verify("GET", url, req.headers)
    assert (e.value.code, e.value.name, e.value.oauth_error) == (409, "replay", "invalid_dpop_proof")
    assert e.value.status == 401 and e.value.www_authenticate.startswith("DPoP ")
    assert ("www-authenticate", e.value.www_authenticate) in e.value.headers

    # A proof for another URL and another method.
    req = client.resource_request("GET", url, token.access_token)
    with pytest.raises(fapi.DpopError) as e:
        rs.verify("GET", f"{API}/payments", req.headers)
    assert (e.value.code, e.value.name) == (601, "dpop_uri")
    req = client.resource_request("GET", url, token.access_token)
    with pytest.raises(fapi.DpopError) as e:
        rs.verify("POST", url, req.headers)
    assert (e.value.code, e.value.name) == (600, "dpop_method")

    # The token without its proof.
    with pytest.raises(fapi.DpopError) as e:
        rs.verify("GET", url, {"authorization": f"DPoP {token.access_token}"})
    assert e.value.code == 606 and e.value.status == 401

    # A scope the token does not carry: 403 insufficient_scope.
    req = client.resource_request("GET", url, token.access_token)
    with pytest.raises(fapi.GrantError) as e:
        rs.verify("GET", url, req.headers, scope="payments")
    assert (e.value.code, e.value.oauth_error, e.value.status) == (808, "insufficient_scope", 403)

    # No credentials at all: a bare challenge, no code.
    with pytest.raises(fapi.NoCredentials) as e:
        rs.verify("GET", url, {})
    assert e.value.code is None and e.value.oauth_error is None and e.value.status == 401
    assert isinstance(e.value, fapi.FapiError)

    # A header HTTP does not allow.
    with pytest.raises(fapi.EncodingError) as e:
        rs.verify("GET", url, [("bad header", "x")])
    assert e.value.code == 104


def test_token_of_another_issuer_key_is_refused(parties):
    _, client, rs, _ = parties
    other = fapi.Issuer("fapi2", AS, fapi.SigningKey.generate("ES256"), audience=API)
    token, _ = token_for_other(other, client)
    req = client.resource_request("GET", f"{API}/accounts", token.access_token)
    with pytest.raises(fapi.KeyAlgError) as e:
        rs.verify("GET", f"{API}/accounts", req.headers)
    assert (e.value.code, e.value.name, e.value.oauth_error) == (206, "key_not_found", "invalid_token")


def token_for_other(issuer, client):
    proof = client.dpop_proof("POST", issuer.token_endpoint)
    dpop = issuer.verify_dpop(proof, "POST", issuer.token_endpoint)
    return issuer.issue_access_token("alice", "fintech-1", dpop=dpop, scope="accounts"), dpop


def test_issuer_refusals(parties):
    issuer, client, _, _ = parties
    proof = client.dpop_proof("POST", issuer.token_endpoint)
    with pytest.raises(fapi.DpopError) as e:
        issuer.verify_dpop(proof, "POST", f"{AS}/par")
    assert (e.value.code, e.value.oauth_error) == (601, "invalid_dpop_proof")
    with pytest.raises(fapi.EncodingError):
        issuer.verify_dpop("not a jws", "POST", issuer.token_endpoint)
    # F2-SENDER: a token without a sender constraint is never issued.
    with pytest.raises(fapi.SenderConstraintError) as e:
        issuer.issue_access_token("alice", "fintech-1")
    assert e.value.code == 651
    # An assertion by an unregistered client.
    with pytest.raises(fapi.ClientAuthError) as e:
        issuer.verify_client_assertion("nobody", client.client_assertion(issuer.token_endpoint), issuer.token_endpoint)
    assert e.value.oauth_error == "invalid_client"


def test_key_loading_refusals():
    with pytest.raises(fapi.KeyAlgError) as e:
        fapi.SigningKey.from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    assert (e.value.code, e.value.name) == (205, "invalid_key")
    assert e.value.oauth_error == "server_error" and "PKCS#8" in e.value.reason
    with pytest.raises(fapi.KeyAlgError) as e:
        fapi.SigningKey.from_config("hello")
    assert e.value.code == 205 and "neither" in str(e.value)
    with pytest.raises(fapi.KeyAlgError) as e:
        fapi.SigningKey.generate("RS256")
    assert (e.value.code, e.value.expected, e.value.got) == (200, "PS256, ES256 or EdDSA", "RS256")
    with pytest.raises(fapi.KeyAlgError) as e:
        fapi.SigningKey.from_file("/nonexistent/key.pem")
    assert e.value.code == 206 and "/nonexistent/key.pem" in e.value.reason
    with pytest.raises(fapi.FapiError):
        fapi.SigningKey.from_jwk({"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA", "d": "AAAA"})
    with pytest.raises(fapi.FapiError):
        fapi.SigningKey.from_pkcs11_uri("pkcs11:token=nope;object=nope?module-path=/nonexistent.so&pin-value=1")
    with pytest.raises(TypeError):
        fapi.SigningKey.from_jwk(42)
    key = fapi.SigningKey.generate("EdDSA").with_key_id("as-2026")
    assert key.kid == "as-2026" and json.loads(key.public_jwk())["kid"] == "as-2026"
    with pytest.raises(fapi.EncodingError):
        key.with_key_id("k" * 4096)


def test_configuration_refusals():
    key = fapi.SigningKey.generate("ES256")
    with pytest.raises(fapi.FapiError) as e:
        fapi.Issuer("fapi3", AS, key)
    assert e.value.got == "fapi3" and "fapi2" in e.value.expected
    # obie signs with PS256 only (OB-ALG).
    with pytest.raises(fapi.KeyAlgError) as e:
        fapi.Issuer("obie", AS, key)
    assert e.value.code == 201
    with pytest.raises(fapi.FapiError):
        fapi.ResourceServer("fapi2", AS, API, '{"keys":[]}')
    with pytest.raises(fapi.EncodingError):
        fapi.ResourceServer("fapi2", AS, API, "-----BEGIN PUBLIC KEY-----")
    # A client without a DPoP key makes no DPoP proof.
    with pytest.raises(fapi.DpopError) as e:
        fapi.Client("fapi2", "fintech-1", AS).dpop_proof("GET", API)
    assert (e.value.code, e.value.name) == (606, "dpop_missing")


def test_pkce_and_thumbprint_refusals():
    with pytest.raises(fapi.PkceError) as e:
        fapi.pkce_challenge("too-short")
    assert (e.value.code, e.value.name) == (501, "pkce_verifier_format")
    with pytest.raises(fapi.PkceError) as e:
        fapi.pkce_verify("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN")
    assert (e.value.code, e.value.oauth_error) == (502, "invalid_grant")
    with pytest.raises(fapi.KeyAlgError) as e:
        fapi.jwk_thumbprint({"kty": "EC", "x": "AAAA"})
    assert e.value.code == 205
    with pytest.raises(fapi.KeyAlgError) as e:
        fapi.jwk_thumbprint({"kty": "oct", "k": "AAAA"})
    assert e.value.code == 207
    with pytest.raises(fapi.EncodingError):
        fapi.jwk_thumbprint("{not json")


def payload(jws: str) -> dict:
    part = jws.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_client_pkce_and_proofs(parties):
    _, client, _, dpop_key = parties
    pair = client.pkce()
    assert pair.method == "S256" and fapi.pkce_challenge(pair.verifier) == pair.challenge
    assert pair.verifier not in repr(pair)
    claims = payload(client.dpop_proof("GET", f"{API}/accounts?x=1", access_token="tok"))
    assert claims["htm"] == "GET" and claims["htu"] == f"{API}/accounts"
    assert claims["ath"] == fapi.dpop_ath("tok")
    client.remember_dpop_nonce("n-1")
    assert payload(client.dpop_proof("GET", API))["nonce"] == "n-1"
    with pytest.raises(fapi.DpopError):
        client.remember_dpop_nonce("bad\nnonce")


def test_error_classes_follow_the_code_ranges():
    assert fapi.error_class(101) is fapi.EncodingError
    assert fapi.error_class(650) is fapi.SenderConstraintError
    assert issubclass(fapi.DpopError, fapi.SenderConstraintError)
    assert fapi.error_class(1000) is fapi.ConfigurationError
    assert fapi.error_class(None) is fapi.NoCredentials
    assert "fapi2" in fapi.profiles()
