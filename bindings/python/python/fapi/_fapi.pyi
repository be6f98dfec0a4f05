"""Type stubs of the extension module ``fapi._fapi`` (src/lib.rs)."""

from os import PathLike
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union

JsonLike = Union[str, Dict[str, Any]]
Headers = Union[Mapping[str, str], Iterable[Tuple[str, str]]]

__version__: str

class SigningKey:
    """A private signing key: software or in an HSM. ``repr`` shows no key material.

    >>> key = SigningKey.generate("ES256")
    >>> key.alg
    'ES256'
    """

    @staticmethod
    def generate(alg_name: str) -> SigningKey:
        """A fresh software key: "ES256", "EdDSA" or "PS256" (RSA 2048).

        Raises :class:`fapi.KeyAlgError` for another name."""
    @staticmethod
    def from_pem(pem: str) -> SigningKey:
        """PKCS#8 ``PRIVATE KEY``, SEC1 ``EC PRIVATE KEY`` or PKCS#1 ``RSA PRIVATE KEY``.

        >>> SigningKey.from_pem(open("as-key.pem").read())  # doctest: +SKIP
        """
    @staticmethod
    def from_jwk(jwk: JsonLike) -> SigningKey:
        """A private JWK (EC P-256, OKP Ed25519, RSA), as JSON text or a dict."""
    @staticmethod
    def from_pkcs11_uri(uri: str) -> SigningKey:
        """A key in an HSM: ``pkcs11:token=T;object=O?module-path=M&pin-source=file:P``."""
    @staticmethod
    def from_config(value: str) -> SigningKey:
        """A ``pkcs11:`` URI, a PEM document or a JWK, told apart by their start."""
    @staticmethod
    def from_file(path: Union[str, PathLike[str]]) -> SigningKey:
        """The key in a file: PEM, JWK, or PKCS#8/SEC1 DER."""
    def with_key_id(self, kid: str) -> SigningKey:
        """The same key published under ``kid`` (default: its thumbprint)."""
    @property
    def alg(self) -> str: ...
    @property
    def kid(self) -> str: ...
    @property
    def is_hsm(self) -> bool: ...
    def public_jwk(self) -> str:
        """The public JWK (``kid``, ``alg``, ``use``) as JSON."""
    def thumbprint(self) -> str:
        """The RFC 7638 thumbprint of the public key."""

class HttpRequest:
    """A request built by :class:`Client`, to send with any HTTP library.

    >>> r = client.client_credentials_request("accounts")  # doctest: +SKIP
    >>> urllib.request.Request(r.url, r.body.encode(), r.headers_dict(), method=r.method)  # doctest: +SKIP
    """

    method: str
    url: str
    headers: List[Tuple[str, str]]
    body: str
    def headers_dict(self) -> Dict[str, str]: ...

class TokenResponse:
    access_token: str
    token_type: str
    expires_in: int
    scope: Optional[str]
    refresh_token: Optional[str]
    id_token: Optional[str]
    def to_json(self) -> str:
        """The token endpoint's JSON body."""

class VerifiedDpop:
    """A DPoP proof verified by :meth:`Issuer.verify_dpop` (its ``jti`` spent)."""

    @property
    def jkt(self) -> str: ...

class VerifiedClaims:
    subject: str
    client_id: str
    scope: Optional[str]
    jti: str
    exp: int
    iat: int
    cnf_jkt: Optional[str]
    consent_id: Optional[str]
    def has_scope(self, scope: str) -> bool: ...

class PkcePair:
    verifier: str
    challenge: str
    method: str

class Issuer:
    """An authorization server's token issuing (in-memory stores).

    >>> issuer = Issuer("fapi2", "https://as.example", SigningKey.generate("ES256"),
    ...                 audience="https://api.example")
    >>> dpop = issuer.verify_dpop(proof, "POST", issuer.token_endpoint)  # doctest: +SKIP
    >>> issuer.issue_access_token("alice", "fintech-1", dpop=dpop, scope="accounts")  # doctest: +SKIP
    """

    def __init__(
        self,
        profile_name: str,
        issuer: str,
        key: SigningKey,
        *,
        audience: Optional[str] = None,
        token_endpoint: Optional[str] = None,
        par_endpoint: Optional[str] = None,
    ) -> None: ...
    @property
    def issuer(self) -> str: ...
    @property
    def token_endpoint(self) -> str: ...
    def jwks(self) -> str:
        """The JWKS to publish at the ``jwks_uri``."""
    def dpop_nonce(self) -> Optional[str]: ...
    def verify_dpop(self, proof: str, method: str, url: str) -> VerifiedDpop:
        """Verifies a ``DPoP`` header sent to ``method`` ``url``; raises :class:`fapi.DpopError` & co."""
    def issue_access_token(
        self,
        subject: str,
        client_id: str,
        *,
        dpop: Optional[VerifiedDpop] = None,
        certificate: Optional[bytes] = None,
        scope: Optional[str] = None,
        audience: Optional[str] = None,
        lifetime: Optional[int] = None,
        consent_id: Optional[str] = None,
    ) -> TokenResponse:
        """An access token bound to ``dpop`` or to the TLS ``certificate`` (exactly one)."""
    def rotate_key(self, key: SigningKey) -> None: ...
    def retire_key(self, kid: str) -> None: ...
    def add_private_key_jwt_client(self, client_id: str, name: str, jwks: JsonLike) -> None: ...
    def verify_client_assertion(self, client_id: str, assertion: str, endpoint: str) -> str:
        """Verifies a ``private_key_jwt`` assertion; returns the client id."""

class ResourceServer:
    """Verifies a resource request in one call: token, DPoP proof (method
    and URL), scope. Refusals raise :class:`fapi.FapiError` subclasses with
    ``status``, ``www_authenticate`` and ``headers`` to answer with.

    >>> rs = ResourceServer("fapi2", "https://as.example", "https://api.example", jwks)  # doctest: +SKIP
    >>> claims = rs.verify("GET", "https://api.example/accounts", headers, scope="accounts")  # doctest: +SKIP
    """

    def __init__(
        self,
        profile_name: str,
        issuer: str,
        audience: str,
        jwks: JsonLike,
        *,
        origin: Optional[str] = None,
        leeway: Optional[int] = None,
    ) -> None: ...
    def set_issuer_jwks(self, jwks: JsonLike) -> None: ...
    def dpop_nonce(self) -> Optional[str]: ...
    def verify(
        self,
        method: str,
        url: str,
        headers: Optional[Headers] = None,
        *,
        scope: Optional[str] = None,
        certificate: Optional[bytes] = None,
        body: Optional[bytes] = None,
    ) -> VerifiedClaims: ...

class Client:
    """A fintech client: assertions, DPoP proofs, PKCE, ready-made requests.

    >>> client = Client("fapi2", "fintech-1", "https://as.example",
    ...                 signing_key=SigningKey.generate("ES256"),
    ...                 dpop_key=SigningKey.generate("ES256"))
    >>> client.pkce().method
    'S256'
    """

    def __init__(
        self,
        profile_name: str,
        client_id: str,
        issuer: str,
        *,
        signing_key: Optional[SigningKey] = None,
        dpop_key: Optional[SigningKey] = None,
        redirect_uri: Optional[str] = None,
        token_endpoint: Optional[str] = None,
        par_endpoint: Optional[str] = None,
    ) -> None: ...
    @property
    def client_id(self) -> str: ...
    def jwks(self) -> str: ...
    def pkce(self) -> PkcePair: ...
    def client_assertion(self, aud: str) -> str: ...
    def dpop_proof(self, method: str, url: str, access_token: Optional[str] = None) -> str: ...
    def remember_dpop_nonce(self, nonce: str) -> None: ...
    def client_credentials_request(self, scope: str) -> HttpRequest: ...
    def resource_request(self, method: str, url: str, access_token: str) -> HttpRequest: ...
    def token_response(self, body: str) -> TokenResponse: ...

def pkce_challenge(verifier: str) -> str:
    """The S256 challenge of a verifier (RFC 7636 §4.2).

    >>> pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
    'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'
    """

def pkce_verify(verifier: str, challenge: str) -> None:
    """Raises :class:`fapi.PkceError` unless ``verifier`` matches ``challenge``."""

def jwk_thumbprint(jwk: JsonLike) -> str:
    """The RFC 7638 thumbprint of a JWK (EC P-256, OKP Ed25519, RSA)."""

def dpop_ath(access_token: str) -> str:
    """The DPoP ``ath`` of a token (RFC 9449 §4.2).

    >>> dpop_ath("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU")
    'fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo'
    """

def profiles() -> List[str]:
    """The profile names: fapi2, fapi2-plus, fapi2-ms, obie, cdr, ofb, berlin."""
