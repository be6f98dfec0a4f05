"""fapi: FAPI 2.0 for Python, on the fapi Rust core.

Keys (PEM, JWK, PKCS#11 URI), an issuer of DPoP-bound access tokens, a
resource server that verifies a request's token and DPoP proof in one call,
a client (assertions, DPoP proofs, PKCE, token and resource requests), and
the PKCE, DPoP ``ath`` and RFC 7638 thumbprint functions. Every refusal is a
:class:`FapiError` with the fapi ``code``, its ``name`` and the
``oauth_error``.

>>> import fapi
>>> fapi.pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'
>>> try:
...     fapi.pkce_verify("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "x" * 43)
... except fapi.PkceError as e:
...     (e.code, e.name, e.oauth_error)
(502, 'pkce_mismatch', 'invalid_grant')
"""

from fapi._fapi import (
    Client,
    HttpRequest,
    Issuer,
    PkcePair,
    ResourceServer,
    SigningKey,
    TokenResponse,
    VerifiedClaims,
    VerifiedDpop,
    __version__,
    dpop_ath,
    jwk_thumbprint,
    pkce_challenge,
    pkce_verify,
    profiles,
)
from fapi.errors import (
    ClaimsError,
    ClientAuthError,
    ConfigurationError,
    DpopError,
    EncodingError,
    FapiError,
    GrantError,
    JweError,
    KeyAlgError,
    MessageSignatureError,
    NoCredentials,
    PkceError,
    SenderConstraintError,
    SignatureError,
    StateError,
    error_class,
)

__all__ = [
    "Client",
    "HttpRequest",
    "Issuer",
    "PkcePair",
    "ResourceServer",
    "SigningKey",
    "TokenResponse",
    "VerifiedClaims",
    "VerifiedDpop",
    "__version__",
    "dpop_ath",
    "jwk_thumbprint",
    "pkce_challenge",
    "pkce_verify",
    "profiles",
    "ClaimsError",
    "ClientAuthError",
    "ConfigurationError",
    "DpopError",
    "EncodingError",
    "FapiError",
    "GrantError",
    "JweError",
    "KeyAlgError",
    "MessageSignatureError",
    "NoCredentials",
    "PkceError",
    "SenderConstraintError",
    "SignatureError",
    "StateError",
    "error_class",
]
