//! JWT access tokens (RFC 9068): issued by the authorization server under
//! a profile, bound to a verified DPoP proof's key or to a client
//! certificate; verified by the resource server together with the
//! request's DPoP proof or client certificate.

use core::ffi::c_char;

use fapi_awslc::SystemRandom;
use fapi_core::dpop::DpopRequest;
use fapi_core::mtls::CertThumbprint;
use fapi_core::token::{self, AccessTokenParams, Confirmation, Expectations, Presented};
use fapi_core::{Error, FixedClock, Site, Verifier};

use crate::dpop::{self, fapi_dpop_nonces, fapi_verified_dpop_proof};
use crate::ffi::{self, Context, Failure, Out, Where, boundary, fapi_error_detail};
use crate::key::{fapi_key, fapi_public_key};
use crate::key_set::fapi_key_set;
use crate::profile::{fapi_profile, profile_arg};
use crate::replay::fapi_replay_cache;
use crate::values;

/// The contents of an access token to issue. Texts are (pointer, length)
/// pairs; optional ones are NULL when absent.
///
/// The sender constraint (F2-SENDER) is exactly one of `dpop` (the token
/// request's verified DPoP proof: `cnf.jkt`) and `client_cert_der` (the
/// client certificate of the TLS connection: `cnf.x5t#S256`). A token
/// cannot be bound to a key that no proof was verified for.
#[repr(C)]
#[derive(Debug)]
pub struct fapi_access_token_params {
    /// `iss`.
    pub issuer: *const c_char,
    /// Its length.
    pub issuer_len: usize,
    /// `sub`.
    pub subject: *const c_char,
    /// Its length.
    pub subject_len: usize,
    /// `aud`: the resource server.
    pub audience: *const c_char,
    /// Its length.
    pub audience_len: usize,
    /// `client_id`.
    pub client_id: *const c_char,
    /// Its length.
    pub client_id_len: usize,
    /// `scope` (space-separated), or NULL.
    pub scope: *const c_char,
    /// Its length.
    pub scope_len: usize,
    /// `iat`, seconds since the epoch.
    pub issued_at: u64,
    /// Lifetime in seconds (`exp = iat + lifetime`), within the profile's
    /// range (CDR-AT-TTL, OFB-AT-TTL).
    pub lifetime: u64,
    /// The verified DPoP proof of the token request, or NULL.
    pub dpop: *const fapi_verified_dpop_proof,
    /// The DER client certificate, or NULL.
    pub client_cert_der: *const u8,
    /// Its length.
    pub client_cert_der_len: usize,
    /// The consent id, written under the profile's consent claim
    /// (`openbanking_intent_id`, `cdr_arrangement_id`), or NULL.
    pub consent_id: *const c_char,
    /// Its length.
    pub consent_id_len: usize,
}

/// What the resource server expects of a token.
#[repr(C)]
#[derive(Debug)]
pub struct fapi_token_expectations {
    /// The authorization server's issuer identifier.
    pub issuer: *const c_char,
    /// Its length.
    pub issuer_len: usize,
    /// This resource server's audience value.
    pub audience: *const c_char,
    /// Its length.
    pub audience_len: usize,
    /// Clock leeway for `nbf` and `iat` (FAPI 2.0: 10 s; more than 60 is
    /// `FAPI_PROFILE_VIOLATION`).
    pub leeway: u64,
}

/// A resource request as the resource server received it.
#[repr(C)]
#[derive(Debug)]
pub struct fapi_resource_request {
    /// The access token (from `Authorization: DPoP <token>`).
    pub access_token: *const c_char,
    /// Its length.
    pub access_token_len: usize,
    /// The request method.
    pub method: *const c_char,
    /// Its length.
    pub method_len: usize,
    /// The absolute request URI.
    pub uri: *const c_char,
    /// Its length.
    pub uri_len: usize,
    /// The `DPoP` header, or NULL.
    pub dpop_proof: *const c_char,
    /// Its length.
    pub dpop_proof_len: usize,
    /// The DER client certificate of the TLS connection, or NULL.
    pub client_cert_der: *const u8,
    /// Its length.
    pub client_cert_der_len: usize,
    /// The time of the request, seconds since the epoch.
    pub now: u64,
    /// The server's DPoP nonce issuer when it requires nonces, or NULL.
    pub nonces: *const fapi_dpop_nonces,
    /// What the nonce is bound to, or NULL.
    pub nonce_binding: *const u8,
    /// Its length.
    pub nonce_binding_len: usize,
}

/// The most bytes the claims JSON of [`fapi_access_token_verify`] takes:
/// every value but `iss` and `aud` comes from the token's payload, which is
/// shorter than the token, and is written with no more escaping than the
/// payload had.
fn claims_bound(token: &str, issuer: &str, audience: &str) -> usize {
    token
        .len()
        .saturating_add(issuer.len())
        .saturating_add(audience.len())
        .saturating_add(128)
}

/// Issues an access token signed by `key` under `profile` (RFC 9068,
/// `typ` `at+jwt`, a 128-bit `jti`). Refused: a key whose algorithm the
/// profile does not allow (`FAPI_ALG_NOT_ALLOWED`), a lifetime outside the
/// profile's range (`FAPI_LIFETIME_TOO_LONG`, `FAPI_LIFETIME_TOO_SHORT`), a
/// token without a sender constraint the profile allows
/// (`FAPI_SENDER_CONSTRAINT_MISSING`, F2-SENDER), both constraints at once
/// (`FAPI_INVALID_PARAMETER`).
///
/// ```c
/// fapi_access_token_params t = {.issuer = "https://as.example", .issuer_len = 18,
///     .subject = "alice", .subject_len = 5, .audience = "https://rs.example", .audience_len = 18,
///     .client_id = "c1", .client_id_len = 2, .issued_at = time(NULL), .lifetime = 300,
///     .dpop = verified_proof};
/// char token[4096]; size_t n;
/// fapi_access_token_issue(profile, key, &t, token, sizeof token, &n, &err);
/// ```
///
/// # Safety
/// `profile` is from `fapi_profile_get`; `key` is a live key; `params` is
/// valid with valid pairs; `out` is writable for `cap` bytes; `out_len` is
/// writable; `err` is NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_access_token_issue(
    profile: *const fapi_profile,
    key: *const fapi_key,
    params: *const fapi_access_token_params,
    out: *mut c_char,
    cap: usize,
    out_len: *mut usize,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::Server, || {
        // SAFETY: contract.
        let (profile, key, p, out) = unsafe {
            (
                profile_arg(profile)?,
                ffi::arg(key, "key")?.signer(),
                ffi::arg(params, "params")?,
                Out::text(out, cap, out_len, "out_len")?,
            )
        };
        // SAFETY: contract: the params' pairs and handle are valid.
        let (issuer, subject, audience, client_id, scope, consent_id, proof, cert) = unsafe {
            (
                ffi::text(p.issuer, p.issuer_len, "params.issuer")?,
                ffi::text(p.subject, p.subject_len, "params.subject")?,
                ffi::text(p.audience, p.audience_len, "params.audience")?,
                ffi::text(p.client_id, p.client_id_len, "params.client_id")?,
                ffi::opt_text(p.scope, p.scope_len, "params.scope")?,
                ffi::opt_text(p.consent_id, p.consent_id_len, "params.consent_id")?,
                ffi::opt_arg(p.dpop),
                ffi::opt_bytes(
                    p.client_cert_der,
                    p.client_cert_der_len,
                    "params.client_cert_der",
                )?,
            )
        };
        // F2-SENDER: the binding comes from a verified proof or the TLS
        // certificate; the core refuses a token with neither.
        let confirmation = match (proof, cert) {
            (Some(pr), None) => Some(Confirmation::Jkt(pr.proof.jkt)),
            (None, Some(der)) => Some(Confirmation::X5tS256(CertThumbprint::of_der(der))),
            (None, None) => None,
            (Some(_), Some(_)) => {
                return Err(Failure::core(
                    Error::InvalidParameter,
                    "access token: bind it to the DPoP proof or to the certificate, not both",
                ));
            }
        };
        let params = AccessTokenParams {
            issuer,
            subject,
            audience,
            client_id,
            scope,
            issued_at: p.issued_at,
            lifetime: p.lifetime,
            confirmation,
            consent_id,
        };
        let rng = SystemRandom::new();
        out.produce("access token", |buf| {
            token::issue(profile, &params, key, &rng, buf).context("access token")
        })
    })
}

/// Verifies an access token at the resource server, with the request's
/// DPoP proof or client certificate, under `profile`.
///
/// When the request carries a `DPoP` header, the proof is verified first
/// for this very token (`htm`, `htu`, and `ath` of `access_token`), its
/// `jti` recorded in `cache`; then the token: `typ` `at+jwt`, `alg` in the
/// profile's list, the signature with `as_key`, `iss`, `aud`, `exp`, `nbf`,
/// `iat`, the required claims, and its binding: `cnf.jkt` to the proof's key
/// (`FAPI_DPOP_KEY_MISMATCH`, `FAPI_DPOP_MISSING`), `cnf.x5t#S256` to the
/// certificate (`FAPI_CERTIFICATE_MISMATCH`); a bearer token is
/// `FAPI_SENDER_CONSTRAINT_MISSING`. Proof refusals map to
/// `invalid_dpop_proof` (or `use_dpop_nonce`), token refusals to
/// `invalid_token`.
///
/// The verified claims are written to `claims_out` as JSON: `iss`, `sub`,
/// `aud`, `client_id`, `scope`, `jti`, `exp`, `iat`, `cnf` and the
/// profile's consent claim. A buffer of `access_token_len + issuer_len +
/// audience_len + 128` bytes always suffices; a smaller one is refused with
/// that size before the DPoP proof is checked, so its `jti` is not used up.
///
/// ```c
/// fapi_token_expectations ex = {"https://as.example", 18, "https://rs.example", 18, 10};
/// fapi_resource_request rq = {token, token_len, "GET", 3, uri, strlen(uri),
///                             dpop_header, dpop_len, NULL, 0, time(NULL), NULL, NULL, 0};
/// char claims[4096]; size_t n;
/// if (fapi_access_token_verify(profile, as_key, &ex, &rq, jtis, claims, sizeof claims, &n, &err)
///     != FAPI_OK)
///     /* WWW-Authenticate: DPoP error="<err.oauth_error>" */;
/// ```
///
/// # Safety
/// `profile` is from `fapi_profile_get`; `as_key` is a live public key;
/// `expect` and `request` are valid with valid pairs; `cache` is NULL or a
/// live cache (required with a DPoP proof); `claims_out` is writable for
/// `cap` bytes; `claims_len` is writable; `err` is NULL or valid.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments, reason = "(pointer, length) pairs")]
pub unsafe extern "C" fn fapi_access_token_verify(
    profile: *const fapi_profile,
    as_key: *const fapi_public_key,
    expect: *const fapi_token_expectations,
    request: *const fapi_resource_request,
    cache: *const fapi_replay_cache,
    claims_out: *mut c_char,
    cap: usize,
    claims_len: *mut usize,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::At(Site::ResourceRequest), || {
        // SAFETY: contract.
        let as_key = unsafe { ffi::arg(as_key, "as_key") }?;
        // SAFETY: contract, forwarded.
        unsafe {
            verify_request(
                profile,
                TokenKey::Public(as_key),
                expect,
                request,
                cache,
                claims_out,
                cap,
                claims_len,
            )
        }
    })
}

/// The key that verifies an access token: one public key, or a JWK Set
/// whose key is chosen by the token's `kid` and `alg`.
pub(crate) enum TokenKey<'a> {
    /// One key.
    Public(&'a fapi_public_key),
    /// A JWK Set.
    Set(&'a fapi_key_set),
}

/// The body of [`fapi_access_token_verify`], with either kind of key.
///
/// # Safety
/// As [`fapi_access_token_verify`].
#[allow(clippy::too_many_arguments, reason = "the C function's arguments")]
pub(crate) unsafe fn verify_request(
    profile: *const fapi_profile,
    key: TokenKey<'_>,
    expect: *const fapi_token_expectations,
    request: *const fapi_resource_request,
    cache: *const fapi_replay_cache,
    claims_out: *mut c_char,
    cap: usize,
    claims_len: *mut usize,
) -> Result<(), Failure> {
    {
        // SAFETY: contract.
        let (profile, e, r, cache, mut out) = unsafe {
            (
                profile_arg(profile)?,
                ffi::arg(expect, "expect")?,
                ffi::arg(request, "request")?,
                ffi::opt_arg(cache),
                Out::text(claims_out, cap, claims_len, "claims_len")?,
            )
        };
        // SAFETY: contract: the pairs of `expect` and `request` are valid.
        let (issuer, audience, token_text, method, uri, proof, cert) = unsafe {
            (
                ffi::text(e.issuer, e.issuer_len, "expect.issuer")?,
                ffi::text(e.audience, e.audience_len, "expect.audience")?,
                ffi::text(r.access_token, r.access_token_len, "request.access_token")?,
                ffi::text(r.method, r.method_len, "request.method")?,
                ffi::text(r.uri, r.uri_len, "request.uri")?,
                ffi::opt_bytes(
                    r.dpop_proof.cast::<u8>(),
                    r.dpop_proof_len,
                    "request.dpop_proof",
                )?,
                ffi::opt_bytes(
                    r.client_cert_der,
                    r.client_cert_der_len,
                    "request.client_cert_der",
                )?,
            )
        };
        // The claims are never longer than the token's payload plus the
        // expected issuer and audience: a buffer under that bound is refused
        // before the proof's `jti` is used.
        out.reserve(claims_bound(token_text, issuer, audience))?;
        // The leeway is capped by the core (60 s): more is refused, before
        // the proof's `jti` is used.
        let expectations = Expectations::new(issuer, audience)
            .with_leeway(e.leeway)
            .context("token expectations")?;
        // SAFETY: contract: the request's issuer and binding are valid.
        let (nonces, nonce_binding) =
            unsafe { dpop::nonce_config(r.nonces, r.nonce_binding, r.nonce_binding_len) }?;
        let request = DpopRequest {
            method,
            uri,
            nonce_binding,
        };
        // The key, chosen before the proof's `jti` is used: a token no key
        // of the set answers is refused without spending the proof.
        let public_verifier;
        let verifier: &dyn Verifier = match key {
            TokenKey::Public(k) => {
                public_verifier = k.verifier();
                &public_verifier
            }
            TokenKey::Set(set) => set.select(token_text.as_bytes(), "access token")?,
        };
        // F2-SENDER: the proof is verified for this very token (`ath`) and
        // request (`htm`, `htu`); `token::verify` checks the binding again
        // through `Presented::dpop`, which takes only a `ResourceProof`.
        let verified_proof = match proof {
            Some(proof) => {
                let cache = cache.ok_or_else(|| Failure::null("cache"))?;
                Some(
                    dpop::verify_resource(
                        profile, proof, &request, token_text, nonces, cache, r.now,
                    )
                    .map_err(|f| f.at(Where::At(Site::DpopProof)))?,
                )
            }
            None => None,
        };
        let mut presented = match verified_proof.as_ref() {
            Some(proof) => Presented::dpop(proof, &request),
            None => Presented::default(),
        };
        if let Some(der) = cert {
            presented = presented.with_certificate(der);
        }
        let mut buf = vec![0u8; token_text.len()];
        let claims = token::verify(
            token_text.as_bytes(),
            profile,
            &expectations,
            verifier,
            &FixedClock(r.now),
            &presented,
            &mut buf,
        )
        .map_err(|err| {
            let expected = values::Expected {
                typ: Some("at+jwt"),
                issuer,
                audience,
                algs: profile.algs,
                now: r.now,
                leeway: e.leeway,
                required: &["iss", "sub", "aud", "client_id", "exp", "iat", "jti"],
            };
            match values::explain(err, token_text.as_bytes(), &expected) {
                Some(v) => Failure::core(err, &format!("access token ({v})")),
                None => Failure::core(err, "access token"),
            }
        })?;
        let mut cnf = serde_json::Map::new();
        if let Some(jkt) = claims.cnf_jkt {
            let _ = cnf.insert("jkt".into(), jkt.into());
        }
        if let Some(x5t) = claims.cnf_x5t_s256 {
            let _ = cnf.insert("x5t#S256".into(), x5t.into());
        }
        let mut doc = serde_json::Map::new();
        let mut put = |name: &str, value: serde_json::Value| {
            let _ = doc.insert(name.to_owned(), value);
        };
        put("iss", issuer.into());
        put("sub", claims.subject.into());
        put("aud", audience.into());
        put("client_id", claims.client_id.into());
        put("jti", claims.jti.into());
        put("exp", claims.exp.into());
        put("iat", claims.iat.into());
        put("cnf", cnf.into());
        if let Some(scope) = claims.scope {
            put("scope", scope.into());
        }
        if let (Some(name), Some(id)) = (profile.consent_claim, claims.consent_id) {
            put(name, id.into());
        }
        let doc = serde_json::Value::Object(doc);
        out.put(doc.to_string().as_bytes())
    }
}
