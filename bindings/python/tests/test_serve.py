"""A round trip against a real `fapi serve` (the reference bank), started
on a free loopback port as .ci/interop starts it: the Python client gets a
DPoP-bound token from the server (client credentials, private_key_jwt, the
server's DPoP nonce answered), and the Python resource server verifies that
token and a fresh proof against the JWKS the server publishes."""

import json
import selectors
import ssl
import subprocess
import time
import urllib.error
import urllib.request

import pytest

import fapi

PROFILE = "fapi2"
CLIENT_ID = "fintech-1"


def start_serve(fapi_bin, tmp_path, jwks):
    clients = tmp_path / "clients.toml"
    clients.write_text(
        "[[client]]\n"
        f'client_id = "{CLIENT_ID}"\n'
        'name = "Fintech One"\n'
        'redirect_uris = ["https://fintech.example/cb"]\n'
        'auth = "private_key_jwt"\n'
        f"jwks = '{jwks}'\n"
        'scopes = ["openid", "accounts", "payments"]\n'
    )
    err = open(tmp_path / "serve.err", "wb")
    proc = subprocess.Popen(
        [fapi_bin, "serve", "--profile", PROFILE, "--listen", "127.0.0.1:0", "--json",
         "--clients", str(clients), "--dev-ca-dir", str(tmp_path / "dev-ca")],
        stdout=subprocess.PIPE, stderr=err,
    )
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + 60
    line = b""
    while not line.endswith(b"\n") and time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        if sel.select(timeout=0.5):
            chunk = proc.stdout.read1(4096)
            if not chunk:
                break
            line += chunk
    sel.close()
    if not line.endswith(b"\n"):
        proc.kill()
        proc.wait()
        pytest.fail("fapi serve printed no ready line:\n" + (tmp_path / "serve.err").read_text())
    ready = json.loads(line.split(b"\n")[0])
    assert ready["event"] == "ready" and ready["profile"] == PROFILE
    return proc, ready


def send(ctx, req):
    """Sends an fapi.HttpRequest; returns (status, headers, body)."""
    r = urllib.request.Request(req.url, data=req.body.encode() if req.body else None,
                               headers=req.headers_dict(), method=req.method)
    try:
        with urllib.request.urlopen(r, context=ctx, timeout=30) as resp:
            return resp.status, resp.headers, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def get_json(ctx, url):
    with urllib.request.urlopen(url, context=ctx, timeout=30) as resp:
        return json.loads(resp.read())


def test_token_from_fapi_serve_verified_by_the_python_resource_server(fapi_bin, tmp_path):
    signing = fapi.SigningKey.generate("ES256")
    dpop_key = fapi.SigningKey.generate("ES256")
    jwks = json.dumps({"keys": [json.loads(signing.public_jwk())]}, separators=(",", ":"))
    proc, ready = start_serve(fapi_bin, tmp_path, jwks)
    try:
        issuer = ready["issuer"]
        ctx = ssl.create_default_context(cafile=ready["ca"])
        meta = get_json(ctx, f"{issuer}/.well-known/oauth-authorization-server")
        assert meta["issuer"] == issuer
        client = fapi.Client(PROFILE, CLIENT_ID, issuer, signing_key=signing, dpop_key=dpop_key,
                             token_endpoint=meta["token_endpoint"])

        # The token request; the server asks for its DPoP nonce first
        # (RFC 9449 §8), the client answers once with it.
        status, headers, body = send(ctx, client.client_credentials_request("accounts"))
        if status == 400 and "use_dpop_nonce" in body:
            client.remember_dpop_nonce(headers["DPoP-Nonce"])
            status, headers, body = send(ctx, client.client_credentials_request("accounts"))
        assert status == 200, body
        token = client.token_response(body)
        assert token.token_type == "DPoP"

        # The Python resource server, with the server's published keys.
        server_jwks = get_json(ctx, meta["jwks_uri"])
        rs = fapi.ResourceServer(PROFILE, issuer, issuer, server_jwks)
        url = f"{issuer}/open-banking/v3.1/aisp/accounts"
        req = client.resource_request("GET", url, token.access_token)
        claims = rs.verify(req.method, req.url, req.headers, scope="accounts")
        assert claims.client_id == CLIENT_ID
        assert claims.cnf_jkt == dpop_key.thumbprint()
        assert claims.has_scope("accounts")

        # The same token with a proof made by another key is refused.
        thief = fapi.Client(PROFILE, CLIENT_ID, issuer, signing_key=signing,
                            dpop_key=fapi.SigningKey.generate("ES256"))
        stolen = thief.resource_request("GET", url, token.access_token)
        with pytest.raises(fapi.DpopError) as e:
            rs.verify(stolen.method, stolen.url, stolen.headers)
        assert (e.value.code, e.value.name, e.value.status) == (605, "dpop_key_mismatch", 401)

        # A resource server trusting other keys refuses the server's token.
        other = fapi.Issuer(PROFILE, issuer, fapi.SigningKey.generate("ES256"))
        wrong = fapi.ResourceServer(PROFILE, issuer, issuer, other.jwks())
        req = client.resource_request("GET", url, token.access_token)
        with pytest.raises(fapi.KeyAlgError) as e:
            wrong.verify(req.method, req.url, req.headers)
        assert e.value.code == 206
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
