"""The fapi C API from Python through ctypes alone (no compiled extension):
how a server that is not written in Rust sees fapi.

    bash .ci/capi   # or, after bindings/c/install.sh PREFIX: cd bindings/c/tests/python &&
    FAPI_LIB=PREFIX/lib/libfapi.so python3 -m unittest -v test_fapi

Known answers: RFC 7638 §3.1 and RFC 8037 A.3 (JWK thumbprints), RFC 7636
Appendix B (PKCE S256). Round trips: a DPoP proof, a DPoP-bound access
token from issue to the resource server, an ID token signed, encrypted to
a decryption key loaded from PKCS#8 DER, decrypted and verified; an HTTP
request signed by the client (RFC 9421, BG-SIGNED-REQ) and the response
signed by the bank, each verified; JWTs verified with the key of an
issuer's JWK Set that their kid names. Refusals: a replayed proof, with its
code and OAuth error; a wrong nonce; a JWE whose tag was modified (the one
decryption error); a signed body changed (RFC 9530 digest); a JWT of a
key outside the set (key_not_found, naming its kid).
"""

import base64
import ctypes
import json
import os
import re
import time
import unittest
from ctypes import (Structure, byref, c_bool, c_char_p, c_size_t, c_uint16, c_uint32, c_uint64,
                    c_void_p)

# FAPI_LIB, else the installed library as the dynamic loader finds it
# (bindings/c/install.sh /usr/local and ldconfig).
LIB = ctypes.CDLL(os.environ.get("FAPI_LIB", "libfapi.so.0.1"))

FAPI_OK = 0
FAPI_PKCE_MISMATCH = 502
FAPI_REPLAY = 409
FAPI_INSUFFICIENT_SIZE = 0x10002
FAPI_DECRYPTION_FAILED = 310
FAPI_NONCE_MISMATCH = 412
FAPI_KEY_NOT_FOUND = 206
FAPI_ALG_ES256 = 2
FAPI_ALG_EDDSA = 3
FAPI_DIGEST_SHA256 = 1
FAPI_DIGEST_MISMATCH = 326
FAPI_HTTP_SIG_ECDSA_P256_SHA256 = 2
FAPI_HTTP_SIG_ED25519 = 3

RFC7638_JWK = (
    '{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPF'
    "FxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65Y"
    "GjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI"
    "4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    '","e":"AQAB","kid":"2011-04-29"}'
)
# The RSA-2048 test key of the C tests (vectors.h), as PKCS#8 DER.
_VECTORS = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "c", "vectors.h")).read()
RSA_PKCS8_DER = base64.b64decode("".join(
    line for line in re.findall(r'"([^"]*)\\n"',
                                _VECTORS.split("#define RSA_PKCS8_PEM")[1].split("#define")[0])
    if not line.startswith("-----")))
RFC8037_JWK = '{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}'


class ErrorDetail(Structure):
    _fields_ = [("message", c_void_p), ("message_cap", c_size_t),
                ("oauth_error", c_void_p), ("oauth_error_cap", c_size_t)]


class DpopProofParams(Structure):
    _fields_ = [("htm", c_char_p), ("htm_len", c_size_t), ("htu", c_char_p), ("htu_len", c_size_t),
                ("iat", c_uint64), ("access_token", c_char_p), ("access_token_len", c_size_t),
                ("nonce", c_char_p), ("nonce_len", c_size_t)]


class DpopRequest(Structure):
    _fields_ = [("method", c_char_p), ("method_len", c_size_t), ("uri", c_char_p),
                ("uri_len", c_size_t), ("access_token", c_char_p), ("access_token_len", c_size_t),
                ("nonces", c_void_p), ("nonce_binding", c_char_p), ("nonce_binding_len", c_size_t)]


class AccessTokenParams(Structure):
    _fields_ = [("issuer", c_char_p), ("issuer_len", c_size_t), ("subject", c_char_p),
                ("subject_len", c_size_t), ("audience", c_char_p), ("audience_len", c_size_t),
                ("client_id", c_char_p), ("client_id_len", c_size_t), ("scope", c_char_p),
                ("scope_len", c_size_t), ("issued_at", c_uint64), ("lifetime", c_uint64),
                ("dpop", c_void_p), ("client_cert_der", c_char_p),
                ("client_cert_der_len", c_size_t), ("consent_id", c_char_p),
                ("consent_id_len", c_size_t)]


class TokenExpectations(Structure):
    _fields_ = [("issuer", c_char_p), ("issuer_len", c_size_t), ("audience", c_char_p),
                ("audience_len", c_size_t), ("leeway", c_uint64)]


class ResourceRequest(Structure):
    _fields_ = [("access_token", c_char_p), ("access_token_len", c_size_t),
                ("method", c_char_p), ("method_len", c_size_t), ("uri", c_char_p),
                ("uri_len", c_size_t), ("dpop_proof", c_char_p), ("dpop_proof_len", c_size_t),
                ("client_cert_der", c_char_p), ("client_cert_der_len", c_size_t),
                ("now", c_uint64), ("nonces", c_void_p), ("nonce_binding", c_char_p),
                ("nonce_binding_len", c_size_t)]


class IdTokenParams(Structure):
    _fields_ = [("issuer", c_char_p), ("issuer_len", c_size_t), ("subject", c_char_p),
                ("subject_len", c_size_t), ("client_id", c_char_p), ("client_id_len", c_size_t),
                ("issued_at", c_uint64), ("lifetime", c_uint64), ("auth_time", c_uint64),
                ("nonce", c_char_p), ("nonce_len", c_size_t), ("acr", c_char_p),
                ("acr_len", c_size_t), ("access_token", c_char_p), ("access_token_len", c_size_t),
                ("code", c_char_p), ("code_len", c_size_t), ("state", c_char_p),
                ("state_len", c_size_t), ("intent_id", c_char_p), ("intent_id_len", c_size_t),
                ("sharing_expires_at", c_uint64), ("refresh_token_expires_at", c_uint64), ("max_age", c_uint64)]


class IdTokenExpectations(Structure):
    _fields_ = [("issuer", c_char_p), ("issuer_len", c_size_t), ("client_id", c_char_p),
                ("client_id_len", c_size_t), ("nonce", c_char_p), ("nonce_len", c_size_t),
                ("access_token", c_char_p), ("access_token_len", c_size_t), ("code", c_char_p),
                ("code_len", c_size_t), ("state", c_char_p), ("state_len", c_size_t),
                ("algs", c_void_p), ("n_algs", c_size_t), ("max_age", c_uint64),
                ("leeway", c_uint64), ("now", c_uint64)]


class JwtExpectations(Structure):
    _fields_ = [("typ", c_char_p), ("typ_len", c_size_t), ("issuer", c_char_p),
                ("issuer_len", c_size_t), ("audience", c_char_p), ("audience_len", c_size_t),
                ("now", c_uint64), ("leeway", c_uint64)]


class HttpField(Structure):
    _fields_ = [("name", c_char_p), ("name_len", c_size_t), ("value", c_char_p),
                ("value_len", c_size_t)]


class HttpRequest(Structure):
    _fields_ = [("method", c_char_p), ("method_len", c_size_t), ("target_uri", c_char_p),
                ("target_uri_len", c_size_t), ("fields", ctypes.POINTER(HttpField)),
                ("n_fields", c_size_t)]


class HttpResponse(Structure):
    _fields_ = [("status", c_uint16), ("fields", ctypes.POINTER(HttpField)),
                ("n_fields", c_size_t)]


class HttpSigVerified(Structure):
    _fields_ = [("label", c_void_p), ("label_len", c_size_t), ("keyid", c_void_p),
                ("keyid_len", c_size_t), ("alg", c_uint32), ("created", c_uint64)]

    def text(self, name):
        return ctypes.string_at(getattr(self, name), getattr(self, name + "_len")).decode()


def http_fields(lines):
    """A C array of fapi_http_field for (name, value) pairs (bytes kept alive by the caller)."""
    return (HttpField * len(lines))(*[HttpField(n, len(n), v, len(v)) for n, v in lines])


class FapiError(Exception):
    def __init__(self, code, message, oauth_error):
        super().__init__(f"{code} {message} ({oauth_error})")
        self.code, self.message, self.oauth_error = code, message, oauth_error


def call(fn, *args):
    """Calls `fn` with a fresh error detail as its last argument."""
    msg, oauth = ctypes.create_string_buffer(512), ctypes.create_string_buffer(32)
    detail = ErrorDetail(ctypes.cast(msg, c_void_p), 512, ctypes.cast(oauth, c_void_p), 32)
    code = getattr(LIB, fn)(*args, byref(detail))
    if code != FAPI_OK:
        raise FapiError(code, msg.value.decode(), oauth.value.decode())


def text_out(fn, *args, cap=8192):
    """Calls a function that writes text to (buf, cap, &len)."""
    buf, n = ctypes.create_string_buffer(cap), c_size_t(0)
    call(fn, *args, buf, c_size_t(cap), byref(n))
    return buf.raw[: n.value].decode()


def pair(s):
    b = s.encode()
    return c_char_p(b), c_size_t(len(b))


for _fn in ["fapi_jwk_thumbprint", "fapi_pkce_challenge", "fapi_pkce_verify", "fapi_key_generate",
            "fapi_key_id", "fapi_key_public", "fapi_dpop_proof_create", "fapi_dpop_proof_verify",
            "fapi_access_token_issue", "fapi_access_token_verify", "fapi_profile_get",
            "fapi_replay_cache_new", "fapi_id_token_issue", "fapi_id_token_verify",
            "fapi_decryption_key_from_pkcs8", "fapi_decryption_key_jwk", "fapi_jwe_encrypt",
            "fapi_jwe_decrypt", "fapi_content_digest_write", "fapi_http_sig_sign_request",
            "fapi_http_sig_sign_response", "fapi_http_sig_verify_request",
            "fapi_http_sig_verify_response", "fapi_jwks_write", "fapi_jws_sign",
            "fapi_key_set_from_jwks", "fapi_key_set_len", "fapi_key_set_jwt_verify"]:
    getattr(LIB, _fn).restype = c_uint32
for _fn in ["fapi_key_free", "fapi_public_key_free", "fapi_replay_cache_free",
            "fapi_verified_dpop_proof_free", "fapi_decryption_key_free", "fapi_key_set_free"]:
    getattr(LIB, _fn).restype = None
    getattr(LIB, _fn).argtypes = [c_void_p]


class Fapi(unittest.TestCase):
    def setUp(self):
        self.handles = []
        self.profile = c_void_p()
        call("fapi_profile_get", *pair("fapi2"), byref(self.profile))
        self.cache = self.handle("fapi_replay_cache_new", "fapi_replay_cache_free", c_size_t(1024))

    def tearDown(self):
        for free, h in reversed(self.handles):
            getattr(LIB, free)(h)

    def handle(self, fn, free, *args):
        h = c_void_p()
        call(fn, *args, byref(h))
        self.handles.append((free, h))
        return h

    def key(self, alg=FAPI_ALG_ES256):
        return self.handle("fapi_key_generate", "fapi_key_free", c_uint32(alg))

    def sign_http(self, fn, *args):
        """A signing call: the Signature-Input and Signature values."""
        bufs = [ctypes.create_string_buffer(1024) for _ in range(2)]
        lens = [c_size_t(0), c_size_t(0)]
        call(fn, *args, bufs[0], c_size_t(1024), byref(lens[0]), bufs[1], c_size_t(1024),
             byref(lens[1]))
        return [b.raw[: n.value] for b, n in zip(bufs, lens)]

    def test_http_signatures_round_trip(self):
        """RFC 9421 §3.1/§3.2 under FAPI 2.0 HTTP Signatures (BG-SIGNED-REQ), RFC 9530."""
        tpp, bank, now = self.key(), self.key(FAPI_ALG_EDDSA), int(time.time())
        body, uri = b'{"hello": "world"}', b"https://api.bank.example/payments"
        # RFC 9530 Appendix B: the digest of this body
        digest = text_out("fapi_content_digest_write", c_uint32(FAPI_DIGEST_SHA256), body,
                          c_size_t(len(body))).encode()
        self.assertEqual(digest, b"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:")
        lines = [(b"Authorization", b"DPoP at-1"), (b"Content-Type", b"application/json"),
                 (b"Content-Digest", digest)]
        fields = http_fields(lines)
        req = HttpRequest(b"POST", 4, uri, len(uri), fields, len(lines))
        sig_input, sig = self.sign_http("fapi_http_sig_sign_request", tpp, *pair("sig1"),
                                        byref(req), body, c_size_t(len(body)), c_uint64(now))
        self.assertTrue(sig_input.startswith(
            b'sig1=("@method" "@target-uri" "authorization" "content-digest");created='))
        self.assertTrue(sig_input.endswith(b';alg="ecdsa-p256-sha256";tag="fapi-2-request"'))
        lines += [(b"Signature-Input", sig_input), (b"Signature", sig)]
        fields = http_fields(lines)
        req = HttpRequest(b"POST", 4, uri, len(uri), fields, len(lines))
        tpp_jwks = text_out("fapi_jwks_write", byref(c_void_p(tpp.value)), c_size_t(1))
        v = HttpSigVerified()
        call("fapi_http_sig_verify_request", self.profile, byref(req), body, c_size_t(len(body)),
             *pair(tpp_jwks), c_uint64(now + 1), byref(v))
        self.assertEqual((v.text("label"), v.text("keyid"), v.alg, v.created),
                         ("sig1", text_out("fapi_key_id", tpp), FAPI_HTTP_SIG_ECDSA_P256_SHA256,
                          now))
        # The body changed after signing: its digest no longer matches.
        other = b'{"hello": "mallory"}'
        with self.assertRaises(FapiError) as e:
            call("fapi_http_sig_verify_request", self.profile, byref(req), other,
                 c_size_t(len(other)), *pair(tpp_jwks), c_uint64(now + 1), None)
        self.assertEqual((e.exception.code, e.exception.oauth_error),
                         (FAPI_DIGEST_MISMATCH, "invalid_token"))
        # The bank's response, bound to the signed request (RFC 9421 §2.4).
        rbody = b'{"status": "accepted"}'
        rdigest = text_out("fapi_content_digest_write", c_uint32(FAPI_DIGEST_SHA256), rbody,
                           c_size_t(len(rbody))).encode()
        rlines = [(b"Content-Digest", rdigest)]
        rfields = http_fields(rlines)
        resp = HttpResponse(201, rfields, len(rlines))
        rin, rsig = self.sign_http("fapi_http_sig_sign_response", bank, *pair("sig1"),
                                   byref(resp), rbody, c_size_t(len(rbody)), byref(req),
                                   c_uint64(now))
        self.assertIn(b'"signature";req;key="sig1"', rin)
        rlines += [(b"Signature-Input", rin), (b"Signature", rsig)]
        rfields = http_fields(rlines)
        resp = HttpResponse(201, rfields, len(rlines))
        bank_jwks = text_out("fapi_jwks_write", byref(c_void_p(bank.value)), c_size_t(1))
        call("fapi_http_sig_verify_response", self.profile, byref(resp), rbody,
             c_size_t(len(rbody)), byref(req), *pair(bank_jwks), c_uint64(now + 2), byref(v))
        self.assertEqual((v.text("label"), v.alg), ("sig1", FAPI_HTTP_SIG_ED25519))

    def test_key_set_chooses_the_key_by_kid(self):
        """A resource server's fapi_key_set: the issuer's JWKS, each JWT verified with the key
        its kid names; a key outside the set is key_not_found, naming the kid."""
        current, previous, stranger = self.key(), self.key(FAPI_ALG_EDDSA), self.key()
        keys = (c_void_p * 2)(current.value, previous.value)
        jwks = text_out("fapi_jwks_write", keys, c_size_t(2))
        issuer_keys = self.handle("fapi_key_set_from_jwks", "fapi_key_set_free", *pair(jwks))
        n = c_size_t(0)
        call("fapi_key_set_len", issuer_keys, byref(n))
        self.assertEqual(n.value, 2)
        now = int(time.time())
        claims = json.dumps({"iss": "https://as.example", "aud": "https://rs.example",
                             "exp": now + 60, "iat": now, "jti": "j1"}).encode()
        ex = JwtExpectations(b"JWT", 3, b"https://as.example", 18, b"https://rs.example", 18,
                             now, 10)
        algs = (c_uint32 * 2)(FAPI_ALG_ES256, FAPI_ALG_EDDSA)
        for signer in (current, previous, stranger):
            jwt = text_out("fapi_jws_sign", signer, *pair("JWT"), claims, c_size_t(len(claims)))
            args = (issuer_keys, *pair(jwt), algs, c_size_t(2), byref(ex))
            if signer is stranger:
                with self.assertRaises(FapiError) as e:
                    text_out("fapi_key_set_jwt_verify", *args)
                self.assertEqual((e.exception.code, e.exception.oauth_error),
                                 (FAPI_KEY_NOT_FOUND, "invalid_token"))
                self.assertIn(text_out("fapi_key_id", stranger), e.exception.message)
            else:
                self.assertEqual(json.loads(text_out("fapi_key_set_jwt_verify", *args)),
                                 json.loads(claims))

    def test_rfc7638_and_rfc8037_thumbprints(self):
        self.assertEqual(text_out("fapi_jwk_thumbprint", *pair(RFC7638_JWK)),
                         "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        self.assertEqual(text_out("fapi_jwk_thumbprint", *pair(RFC8037_JWK)),
                         "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k")

    def test_rfc7636_pkce(self):
        verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        self.assertEqual(text_out("fapi_pkce_challenge", *pair(verifier)), challenge)
        call("fapi_pkce_verify", *pair(verifier), *pair(challenge))
        with self.assertRaises(FapiError) as e:
            call("fapi_pkce_verify", *pair(verifier[:-1] + "l"), *pair(challenge))
        self.assertEqual((e.exception.code, e.exception.oauth_error),
                         (FAPI_PKCE_MISMATCH, "invalid_grant"))

    def proof(self, key, method, uri, now, token=None):
        t = token.encode() if token else None
        p = DpopProofParams(method.encode(), len(method), uri.encode(), len(uri), now,
                            t, len(t) if t else 0, None, 0)
        return text_out("fapi_dpop_proof_create", key, byref(p))

    def verify_proof(self, proof, req, now, verified=None):
        """fapi_dpop_proof_verify: the jkt, and the verified proof's handle."""
        jkt, n = ctypes.create_string_buffer(64), c_size_t(0)
        out = byref(verified) if verified is not None else c_void_p(None)
        call("fapi_dpop_proof_verify", self.profile, *pair(proof), byref(req), self.cache,
             c_uint64(now), jkt, c_size_t(64), byref(n), out)
        return jkt.raw[: n.value].decode()

    def test_dpop_proof_round_trip_and_replay_refused(self):
        client, now = self.key(), int(time.time())
        uri = "https://as.bank.example/token"
        proof = self.proof(client, "POST", uri, now)
        req = DpopRequest(b"POST", 4, uri.encode(), len(uri), None, 0)
        jkt = self.verify_proof(proof, req, now)
        self.assertEqual(jkt, text_out("fapi_key_id", client))
        # The same proof a second time: refused, and why.
        with self.assertRaises(FapiError) as e:
            self.verify_proof(proof, req, now)
        self.assertEqual(e.exception.code, FAPI_REPLAY)
        self.assertEqual(e.exception.oauth_error, "invalid_dpop_proof")
        self.assertIn("replay", e.exception.message)

    def test_access_token_round_trip(self):
        client, as_key, now = self.key(), self.key(), int(time.time())
        token_uri, api = "https://as.bank.example/token", "https://api.bank.example/accounts"
        proof = self.proof(client, "POST", token_uri, now)
        req = DpopRequest(b"POST", 4, token_uri.encode(), len(token_uri), None, 0)
        verified = c_void_p()
        jkt = self.verify_proof(proof, req, now, verified)
        self.handles.append(("fapi_verified_dpop_proof_free", verified))
        params = AccessTokenParams(b"https://as.bank.example", 23, b"alice", 5,
                                   b"https://api.bank.example", 24, b"fintech-1", 9,
                                   b"accounts", 8, now, 300, verified, None, 0, None, 0)
        token = text_out("fapi_access_token_issue", self.profile, as_key, byref(params))
        # A buffer too small says how large it must be.
        small, n = ctypes.create_string_buffer(16), c_size_t(0)
        with self.assertRaises(FapiError) as e:
            call("fapi_access_token_issue", self.profile, as_key, byref(params), small,
                 c_size_t(16), byref(n))
        self.assertEqual((e.exception.code, n.value), (FAPI_INSUFFICIENT_SIZE, len(token)))

        # The resource server: the AS public key, a proof with ath.
        as_pub = self.handle("fapi_key_public", "fapi_public_key_free", as_key)
        rs_proof = self.proof(client, "GET", api, now, token)
        expect = TokenExpectations(b"https://as.bank.example", 23, b"https://api.bank.example",
                                   24, 10)
        rr = ResourceRequest(token.encode(), len(token), b"GET", 3, api.encode(), len(api),
                             rs_proof.encode(), len(rs_proof), None, 0, now)
        claims = json.loads(text_out("fapi_access_token_verify", self.profile, as_pub,
                                     byref(expect), byref(rr), self.cache))
        self.assertEqual(claims["sub"], "alice")
        self.assertEqual(claims["client_id"], "fintech-1")
        self.assertEqual(claims["cnf"], {"jkt": jkt})
        # Without its proof the token is refused: the DPoP scheme's error.
        bare = ResourceRequest(token.encode(), len(token), b"GET", 3, api.encode(), len(api),
                               None, 0, None, 0, now)
        with self.assertRaises(FapiError) as e:
            text_out("fapi_access_token_verify", self.profile, as_pub, byref(expect), byref(bare),
                     self.cache)
        self.assertEqual((e.exception.code, e.exception.oauth_error), (606, "invalid_dpop_proof"))

    def test_encrypted_id_token_round_trip(self):
        """An ID token signed, encrypted to the client's key (cty JWT), decrypted, verified."""
        as_key, now = self.key(), int(time.time())
        client_key = self.handle("fapi_decryption_key_from_pkcs8", "fapi_decryption_key_free",
                                 RSA_PKCS8_DER, c_size_t(len(RSA_PKCS8_DER)))
        jwk = json.loads(text_out("fapi_decryption_key_jwk", client_key, *pair("RSA-OAEP")))
        self.assertEqual((jwk["use"], jwk["alg"]), ("enc", "RSA-OAEP"))
        self.assertEqual(jwk["kid"], "D_QuazKjNoeM1YlShpczidcABuOZi-MdNfG_BkqBqRE")
        params = IdTokenParams(b"https://as.bank.example", 23, b"alice", 5, b"fintech-1", 9,
                               now, 300, now - 30, b"n-0S6_WzA2Mj", 12)
        id_token = text_out("fapi_id_token_issue", self.profile, as_key, byref(params))
        recipient = json.dumps({"keys": [jwk]})
        plain = id_token.encode()
        jwe = text_out("fapi_jwe_encrypt", self.profile, *pair(recipient), *pair("RSA-OAEP"),
                       *pair("A256GCM"), *pair("JWT"), plain, c_size_t(len(plain)))
        inner = text_out("fapi_jwe_decrypt", self.profile, client_key, *pair(jwe), c_bool(True))
        self.assertEqual(inner, id_token)
        as_pub = self.handle("fapi_key_public", "fapi_public_key_free", as_key)
        expect = IdTokenExpectations(b"https://as.bank.example", 23, b"fintech-1", 9,
                                     b"n-0S6_WzA2Mj", 12, leeway=10, now=now)
        claims = json.loads(text_out("fapi_id_token_verify", self.profile, as_pub, byref(expect),
                                     *pair(inner)))
        self.assertEqual((claims["sub"], claims["aud"], claims["auth_time"]),
                         ("alice", "fintech-1", now - 30))
        # Another nonce: refused.
        expect.nonce, expect.nonce_len = b"n-another", 9
        with self.assertRaises(FapiError) as e:
            text_out("fapi_id_token_verify", self.profile, as_pub, byref(expect), *pair(inner))
        self.assertEqual((e.exception.code, e.exception.oauth_error),
                         (FAPI_NONCE_MISMATCH, "invalid_grant"))
        # The tag modified: the one decryption error, no detail.
        head, tag = jwe.rsplit(".", 1)
        tampered = head + "." + ("B" if tag[0] == "A" else "A") + tag[1:]
        with self.assertRaises(FapiError) as e:
            text_out("fapi_jwe_decrypt", self.profile, client_key, *pair(tampered), c_bool(True))
        self.assertEqual(e.exception.code, FAPI_DECRYPTION_FAILED)


if __name__ == "__main__":
    unittest.main()
