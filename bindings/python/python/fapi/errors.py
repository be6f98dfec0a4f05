"""The exceptions of fapi.

Every refusal raises a subclass of :class:`FapiError`. It carries the fapi
numeric ``code`` (stable, shared with the Rust crate and the C API), its
``name`` (``"replay"``, ``"dpop_uri"``, ...) and the OAuth ``oauth_error`` a
server answers with (``"invalid_dpop_proof"``, ``"invalid_token"``, ...).
The subclass is chosen by the code's hundreds::

    try:
        rs.verify("GET", url, headers)
    except fapi.DpopError as e:      # 600-649
        print(e.code, e.name, e.oauth_error)
    except fapi.FapiError as e:      # everything else
        return Response(status_code=e.status,
                        headers={"WWW-Authenticate": e.www_authenticate})
"""

from __future__ import annotations

from typing import List, Optional, Tuple, Type


class FapiError(Exception):
    """A refusal of fapi.

    Attributes:
        code: the fapi error code (e.g. 409), ``None`` only for
            :class:`NoCredentials`.
        name: the code's name (e.g. ``"replay"``).
        oauth_error: the OAuth error (e.g. ``"invalid_dpop_proof"``);
            ``None`` for :class:`NoCredentials` (RFC 6750 §3.1).
        site: where it happened (``"DpopProof"``, ``"ResourceRequest"``, ...).
        expected, got: the values compared, when the refusal is a mismatch.
        reason: why a key did not load, as the parser or the backend said it.
        status: from :meth:`ResourceServer.verify`, the HTTP status to
            answer with (401, 400, 403, ...); ``None`` elsewhere.
        www_authenticate: from :meth:`ResourceServer.verify`, the
            ``WWW-Authenticate`` value to answer with.
        headers: from :meth:`ResourceServer.verify`, every header to answer
            with (``WWW-Authenticate``, ``DPoP-Nonce``, ...).
    """

    code: Optional[int]
    name: str
    oauth_error: Optional[str]
    site: Optional[str]
    expected: Optional[str]
    got: Optional[str]
    reason: Optional[str]
    status: Optional[int]
    www_authenticate: Optional[str]
    headers: List[Tuple[str, str]]

    def __init__(
        self,
        message: str,
        code: Optional[int],
        name: str,
        oauth_error: Optional[str],
        *,
        site: Optional[str] = None,
        expected: Optional[str] = None,
        got: Optional[str] = None,
        reason: Optional[str] = None,
        status: Optional[int] = None,
        www_authenticate: Optional[str] = None,
        headers: Optional[List[Tuple[str, str]]] = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.name = name
        self.oauth_error = oauth_error
        self.site = site
        self.expected = expected
        self.got = got
        self.reason = reason
        self.status = status
        self.www_authenticate = www_authenticate
        self.headers = list(headers or [])


class EncodingError(FapiError):
    """1xx: base64url, JSON, sizes, malformed input."""


class KeyAlgError(FapiError):
    """2xx: algorithms and keys (not allowed, weak, invalid, not found)."""


class SignatureError(FapiError):
    """300-309: JWS (bad signature, wrong ``typ``, embedded keys)."""


class JweError(FapiError):
    """310-319: JWE (decryption, algorithms, nesting)."""


class MessageSignatureError(FapiError):
    """320-329: HTTP message signatures (RFC 9421) and digests (RFC 9530)."""


class ClaimsError(FapiError):
    """4xx: claims and time (expired, audience, issuer, replay)."""


class PkceError(FapiError):
    """5xx: PKCE (method, verifier format, mismatch)."""


class SenderConstraintError(FapiError):
    """6xx: sender constraint (DPoP, mutual TLS certificate)."""


class DpopError(SenderConstraintError):
    """600-649: DPoP (method, URI, ``ath``, nonce, key)."""


class ClientAuthError(FapiError):
    """7xx: client authentication."""


class GrantError(FapiError):
    """8xx: grants, codes, request URIs, scopes, redirects."""


class StateError(FapiError):
    """9xx: the server's stores and randomness."""


class ConfigurationError(FapiError):
    """10xx: configuration outside the profile."""


class NoCredentials(FapiError):
    """A resource request that carried no access token at all (401 with a
    bare challenge, RFC 6750 §3.1): ``code`` and ``oauth_error`` are None."""


_RANGES: List[Tuple[int, int, Type[FapiError]]] = [
    (100, 199, EncodingError),
    (200, 299, KeyAlgError),
    (300, 309, SignatureError),
    (310, 319, JweError),
    (320, 329, MessageSignatureError),
    (400, 499, ClaimsError),
    (500, 599, PkceError),
    (600, 649, DpopError),
    (650, 699, SenderConstraintError),
    (700, 799, ClientAuthError),
    (800, 899, GrantError),
    (900, 999, StateError),
    (1000, 1099, ConfigurationError),
]


def error_class(code: Optional[int]) -> Type[FapiError]:
    """The exception class of a fapi ``code`` (``None``: NoCredentials)."""
    if code is None:
        return NoCredentials
    for low, high, cls in _RANGES:
        if low <= code <= high:
            return cls
    return FapiError


def _make(message, code, name, oauth_error, **kwargs) -> FapiError:
    # Called by the extension module for every refusal.
    return error_class(code)(message, code, name, oauth_error, **kwargs)


__all__ = [
    "FapiError",
    "EncodingError",
    "KeyAlgError",
    "SignatureError",
    "JweError",
    "MessageSignatureError",
    "ClaimsError",
    "PkceError",
    "SenderConstraintError",
    "DpopError",
    "ClientAuthError",
    "GrantError",
    "StateError",
    "ConfigurationError",
    "NoCredentials",
    "error_class",
]
