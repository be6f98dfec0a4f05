"""The FastAPI example (examples/fastapi_resource_server.py) through
FastAPI's TestClient: a DPoP-bound token accepted, refusals answered with
their status and challenge."""

import importlib.util
import pathlib

import pytest

import fapi
from conftest import in_ci

if in_ci():
    import fastapi  # noqa: F401  (.ci/python installs it: a missing one fails)
    from fastapi.testclient import TestClient
else:
    pytest.importorskip("fastapi", reason="pip install fastapi httpx to run the FastAPI example test")
    pytest.importorskip("httpx", reason="pip install fastapi httpx to run the FastAPI example test")
    from fastapi.testclient import TestClient

AS = "https://as.bank.example"
API = "https://api.bank.example"
EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "examples" / "fastapi_resource_server.py"


def load_example():
    spec = importlib.util.spec_from_file_location("fastapi_resource_server", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def setup():
    issuer = fapi.Issuer("fapi2", AS, fapi.SigningKey.generate("ES256"), audience=API)
    client = fapi.Client("fapi2", "fintech-1", AS, dpop_key=fapi.SigningKey.generate("ES256"))
    proof = client.dpop_proof("POST", issuer.token_endpoint)
    dpop = issuer.verify_dpop(proof, "POST", issuer.token_endpoint)
    token = issuer.issue_access_token("alice", "fintech-1", dpop=dpop, scope="accounts")
    rs = fapi.ResourceServer("fapi2", AS, API, issuer.jwks())
    http = TestClient(load_example().create_app(rs), base_url=API)
    return client, token.access_token, http


def get(http, client, url, token):
    req = client.resource_request("GET", url, token)
    return http.get(url, headers=req.headers_dict())


def test_guarded_route_accepts_the_bound_token(setup):
    client, token, http = setup
    r = get(http, client, f"{API}/accounts", token)
    assert r.status_code == 200, r.text
    assert r.json()["subject"] == "alice" and r.json()["client_id"] == "fintech-1"
    # With a query string: htu is the URL without it (RFC 9449 §4.3).
    assert get(http, client, f"{API}/accounts?page=2", token).status_code == 200


def test_refusals_are_answered_with_status_and_challenge(setup):
    client, token, http = setup
    # No credentials: 401 and a bare DPoP challenge.
    r = http.get(f"{API}/accounts")
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("DPoP")
    # A proof made for another URL.
    req = client.resource_request("GET", f"{API}/payments", token)
    r = http.get(f"{API}/accounts", headers=req.headers_dict())
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_dpop_proof" and "601" in r.json()["error_description"]
    assert 'error="invalid_dpop_proof"' in r.headers["www-authenticate"]
    # The same request replayed.
    req = client.resource_request("GET", f"{API}/accounts", token)
    assert http.get(f"{API}/accounts", headers=req.headers_dict()).status_code == 200
    r = http.get(f"{API}/accounts", headers=req.headers_dict())
    assert r.status_code == 401 and "409" in r.json()["error_description"]
    # The route is open where fapi does not guard it.
    assert http.get(f"{API}/healthz").json() == {"status": "ok"}
