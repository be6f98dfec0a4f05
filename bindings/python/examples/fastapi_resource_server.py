"""A FastAPI resource server guarded by fapi.

Every request to a protected route is verified in one call: the access
token (signature against the issuer's JWKS, ``iss``, ``aud``, lifetime),
its DPoP proof for this request's method and URL (``htm``, ``htu``,
``ath``, ``jti`` spent once, ``cnf.jkt``), and the route's scope. A refusal
is answered as RFC 6750 §3 and RFC 9449 §7.1 say: the status, the
``WWW-Authenticate`` challenge and the fapi code in ``error_description``.

Run it (``pip install fapi fastapi uvicorn``)::

    FAPI_ISSUER=https://as.bank.example \\
    FAPI_AUDIENCE=https://api.bank.example \\
    FAPI_JWKS_FILE=issuer-jwks.json \\
    uvicorn --factory fastapi_resource_server:app_from_env

Behind a TLS-terminating proxy, set ``FAPI_ORIGIN`` to the public origin
(``https://api.bank.example``): the DPoP proof's ``htu`` names the URL the
client used, not the one the proxy forwards to.
"""

import os
from typing import Callable, Optional

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

import fapi


def create_app(rs: fapi.ResourceServer, origin: Optional[str] = None) -> FastAPI:
    """The API, its routes guarded by ``rs``.

    ``origin`` (``https://api.bank.example``) replaces the scheme and host
    of the request URL that the proof is checked against.
    """
    app = FastAPI(title="accounts API guarded by fapi")

    @app.exception_handler(fapi.FapiError)
    async def refused(request: Request, exc: fapi.FapiError) -> JSONResponse:
        # exc.headers holds WWW-Authenticate (and DPoP-Nonce when the
        # server requires nonces): the answer the client needs to retry.
        body = {"error": exc.oauth_error or "invalid_token", "error_description": str(exc)}
        if exc.code is None:
            body = {}  # RFC 6750 §3.1: no error for a request without credentials
        return JSONResponse(body, status_code=exc.status or 401, headers=dict(exc.headers))

    def require(scope: str) -> Callable[[Request], fapi.VerifiedClaims]:
        """A dependency: the verified claims of a request carrying ``scope``."""

        def verified(request: Request) -> fapi.VerifiedClaims:
            url = str(request.url)
            if origin is not None:
                url = origin.rstrip("/") + request.url.path
                if request.url.query:
                    url += "?" + request.url.query
            # A plain `def`: FastAPI runs it in its thread pool, and the
            # verification releases the GIL.
            return rs.verify(request.method, url, request.headers.items(), scope=scope)

        return verified

    @app.get("/accounts")
    def accounts(claims: fapi.VerifiedClaims = Depends(require("accounts"))) -> dict:
        return {
            "subject": claims.subject,
            "client_id": claims.client_id,
            "accounts": [{"id": "acc-1", "currency": "EUR"}],
        }

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok"}

    return app


def app_from_env() -> FastAPI:
    """The app configured by FAPI_PROFILE (default fapi2), FAPI_ISSUER,
    FAPI_AUDIENCE, FAPI_JWKS_FILE and, behind a proxy, FAPI_ORIGIN."""
    with open(os.environ["FAPI_JWKS_FILE"], encoding="utf-8") as f:
        jwks = f.read()
    rs = fapi.ResourceServer(
        os.environ.get("FAPI_PROFILE", "fapi2"),
        os.environ["FAPI_ISSUER"],
        os.environ["FAPI_AUDIENCE"],
        jwks,
    )
    return create_app(rs, os.environ.get("FAPI_ORIGIN"))
