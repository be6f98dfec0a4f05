//! HTTP message signatures (RFC 9421) and `Content-Digest` (RFC 9530)
//! under the FAPI 2.0 HTTP Signatures profile: a client (the TPP under
//! Berlin Group, BG-SIGNED-REQ) signs its resource requests, the resource
//! server verifies them and signs its responses, which the client verifies
//! against the request they answer ([`fapi_core::http_sig`],
//! [`fapi_core::content_digest`]).
//!
//! A message is handed over as it is on the wire: the method and absolute
//! target URI (or the status), and its field lines as an array of
//! [`fapi_http_field`] in message order, several lines of one name
//! allowed. Field values are UTF-8 text (else `FAPI_INVALID_ARGUMENT`).

use core::ffi::c_char;

use fapi_awslc::AWSLC;
use fapi_core::content_digest::{self, DigestAlgorithm};
use fapi_core::crypto::MAX_SIGNATURE_LEN;
use fapi_core::http_sig::{
    self, FieldList, Message, Policy, SignatureAlgorithm, SignatureBuffers, SignatureInput,
    SignedFields, VerifiedSignature,
};
use fapi_core::jwk::Jwks;
use fapi_core::profile::Profile;
use fapi_core::sfv::Dictionary;
use fapi_core::{Alg, Error, FixedClock, Site};
use zeroize::Zeroizing;

use crate::ffi::{self, Context, Failure, MAX_OUTPUT, Out, Where, boundary, fapi_error_detail};
use crate::key::fapi_key;
use crate::profile::{fapi_profile, profile_arg};

/// `fapi_digest_alg`: a `Content-Digest` algorithm (RFC 9530 §5).
pub type fapi_digest_alg = u32;
/// `sha-256`, the one FAPI 2.0 HTTP Signatures suggests.
pub const FAPI_DIGEST_SHA256: fapi_digest_alg = 1;
/// `sha-512`.
pub const FAPI_DIGEST_SHA512: fapi_digest_alg = 2;

/// `fapi_http_sig_alg`: an HTTP signature algorithm (RFC 9421 §3.3).
pub type fapi_http_sig_alg = u32;
/// `rsa-pss-sha512`: RSASSA-PSS, SHA-512, 64-byte salt (RSA keys).
pub const FAPI_HTTP_SIG_RSA_PSS_SHA512: fapi_http_sig_alg = 1;
/// `ecdsa-p256-sha256` (P-256 keys).
pub const FAPI_HTTP_SIG_ECDSA_P256_SHA256: fapi_http_sig_alg = 2;
/// `ed25519` (Ed25519 keys).
pub const FAPI_HTTP_SIG_ED25519: fapi_http_sig_alg = 3;

/// The longest `Content-Digest` value [`fapi_content_digest_write`] writes
/// (`sha-512=:` and 88 base64 characters and `:`).
pub const FAPI_CONTENT_DIGEST_MAX: usize = 98;
const _: () = assert!(FAPI_CONTENT_DIGEST_MAX == content_digest::MAX_FIELD_LEN);

/// One field line of an HTTP message: its name (matched without regard to
/// case) and its value, as (pointer, length) pairs of UTF-8 text.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct fapi_http_field {
    /// The field name (`Authorization`, `content-digest`, ...).
    pub name: *const c_char,
    /// Its length.
    pub name_len: usize,
    /// The field value, without the line's leading and trailing spaces.
    pub value: *const c_char,
    /// Its length.
    pub value_len: usize,
}

/// `Debug` shows no value: an `Authorization` value is a secret.
impl core::fmt::Debug for fapi_http_field {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("fapi_http_field").finish_non_exhaustive()
    }
}

/// An HTTP request, as a signature sees it.
#[repr(C)]
#[derive(Debug)]
pub struct fapi_http_request {
    /// The method (`POST`).
    pub method: *const c_char,
    /// Its length.
    pub method_len: usize,
    /// The absolute target URI (RFC 9110 §7.1:
    /// `https://api.bank.example/payments?x=1`), as the client sent it.
    pub target_uri: *const c_char,
    /// Its length.
    pub target_uri_len: usize,
    /// The field lines, in message order (NULL when `n_fields` is 0).
    pub fields: *const fapi_http_field,
    /// Their number.
    pub n_fields: usize,
}

/// An HTTP response, as a signature sees it.
#[repr(C)]
#[derive(Debug)]
pub struct fapi_http_response {
    /// The status code (100 to 999).
    pub status: u16,
    /// The field lines, in message order (NULL when `n_fields` is 0).
    pub fields: *const fapi_http_field,
    /// Their number.
    pub n_fields: usize,
}

/// What a verified signature says. `label` and `keyid` point into the
/// caller's own `Signature-Input` field value (they are not copied): they
/// are valid as long as that value is. All zero (NULL) after a failure.
#[repr(C)]
#[derive(Debug)]
pub struct fapi_http_sig_verified {
    /// The signature's label, in the `Signature-Input` value.
    pub label: *const c_char,
    /// Its length.
    pub label_len: usize,
    /// Its `keyid`, in the `Signature-Input` value.
    pub keyid: *const c_char,
    /// Its length.
    pub keyid_len: usize,
    /// Its algorithm (`FAPI_HTTP_SIG_*`).
    pub alg: fapi_http_sig_alg,
    /// Its `created`, seconds since the epoch.
    pub created: u64,
}

impl fapi_http_sig_verified {
    const EMPTY: Self = Self {
        label: core::ptr::null(),
        label_len: 0,
        keyid: core::ptr::null(),
        keyid_len: 0,
        alg: 0,
        created: 0,
    };

    fn of(v: &VerifiedSignature<'_>) -> Self {
        Self {
            label: v.label.as_ptr().cast::<c_char>(),
            label_len: v.label.len(),
            keyid: v.keyid.as_ptr().cast::<c_char>(),
            keyid_len: v.keyid.len(),
            alg: alg_number(v.alg),
            created: v.created,
        }
    }
}

fn alg_number(a: SignatureAlgorithm) -> fapi_http_sig_alg {
    match a {
        SignatureAlgorithm::RsaPssSha512 => FAPI_HTTP_SIG_RSA_PSS_SHA512,
        SignatureAlgorithm::EcdsaP256Sha256 => FAPI_HTTP_SIG_ECDSA_P256_SHA256,
        SignatureAlgorithm::Ed25519 => FAPI_HTTP_SIG_ED25519,
    }
}

/// The HTTP signature algorithms a profile allows: one per key type of its
/// JOSE algorithms (PS256: `rsa-pss-sha512`, ES256: `ecdsa-p256-sha256`,
/// EdDSA: `ed25519`), so that a PS256-only profile (OBIE, OFB) accepts
/// only RSA signatures.
fn profile_algs(profile: &Profile) -> Vec<SignatureAlgorithm> {
    profile
        .algs
        .iter()
        .map(|a| match a {
            Alg::Ps256 => SignatureAlgorithm::RsaPssSha512,
            Alg::Es256 => SignatureAlgorithm::EcdsaP256Sha256,
            Alg::EdDsa => SignatureAlgorithm::Ed25519,
        })
        .collect()
}

type Lines<'a> = Vec<(&'a str, &'a str)>;

/// The field lines of an array.
///
/// # Safety
/// `ptr` is NULL or valid for `n` fields, each with valid pairs.
unsafe fn field_lines<'a>(
    ptr: *const fapi_http_field,
    n: usize,
    name: &str,
) -> Result<Lines<'a>, Failure> {
    // SAFETY: forwarded contract.
    let items = unsafe { ffi::slice(ptr, n, name) }?;
    items
        .iter()
        .map(|f| {
            // SAFETY: each field's pairs are valid per the contract.
            unsafe {
                Ok((
                    ffi::text(f.name, f.name_len, name)?,
                    ffi::text(f.value, f.value_len, name)?,
                ))
            }
        })
        .collect()
}

/// A request's parts.
struct Request<'a> {
    method: &'a str,
    target_uri: &'a str,
    lines: Lines<'a>,
}

/// A required request argument.
///
/// # Safety
/// `p` is NULL or a valid request with valid pairs and fields.
unsafe fn request_arg<'a>(p: *const fapi_http_request, name: &str) -> Result<Request<'a>, Failure> {
    // SAFETY: contract.
    unsafe {
        let r = ffi::arg(p, name)?;
        Ok(Request {
            method: ffi::text(r.method, r.method_len, &format!("{name}.method"))?,
            target_uri: ffi::text(
                r.target_uri,
                r.target_uri_len,
                &format!("{name}.target_uri"),
            )?,
            lines: field_lines(r.fields, r.n_fields, &format!("{name}.fields"))?,
        })
    }
}

/// A required response argument: its status and lines.
///
/// # Safety
/// `p` is NULL or a valid response with valid fields.
unsafe fn response_arg<'a>(p: *const fapi_http_response) -> Result<(u16, Lines<'a>), Failure> {
    // SAFETY: contract.
    unsafe {
        let r = ffi::arg(p, "response")?;
        Ok((
            r.status,
            field_lines(r.fields, r.n_fields, "response.fields")?,
        ))
    }
}

/// Room for a signature base over these messages: every component comes
/// from them once (duplicates are refused), plus the
/// `@signature-params` line.
fn scratch_len(parts: &[&str], lines: &[&Lines<'_>]) -> usize {
    let text: usize = parts.iter().map(|p| p.len()).sum();
    let fields: usize = lines
        .iter()
        .flat_map(|l| l.iter())
        .map(|(n, v)| n.len() + v.len() + 8)
        .sum();
    8192_usize.saturating_add(text.saturating_add(fields).saturating_mul(2))
}

/// Signs into internal buffers, then copies the two field values out.
fn sign_into(
    signature_input: Out<'_>,
    signature: Out<'_>,
    label: &str,
    scratch_len: usize,
    sign: impl FnOnce(SignatureBuffers<'_>) -> Result<SignedFields, Error>,
) -> Result<(), Failure> {
    let mut input = vec![0u8; MAX_OUTPUT];
    // `label=:` + the base64 of the longest signature + `:`.
    let sig_field = MAX_SIGNATURE_LEN.div_ceil(3) * 4 + 3;
    let mut sig = vec![0u8; label.len().saturating_add(sig_field)];
    // The base holds the `Authorization` value: zeroized.
    let mut scratch = Zeroizing::new(vec![0u8; scratch_len]);
    let n = sign(SignatureBuffers {
        signature_input: &mut input,
        signature: &mut sig,
        scratch: &mut scratch,
    })
    .map_err(|e| match e {
        Error::BufferTooSmall => Failure::core(
            e,
            "HTTP signature: the signature base or a field value is larger than fapi writes",
        ),
        e => Failure::core(e, "HTTP signature"),
    })?;
    let too_long = || Failure::core(Error::BufferTooSmall, "HTTP signature");
    ffi::put_both(
        signature_input,
        input.get(..n.signature_input_len).ok_or_else(too_long)?,
        signature,
        sig.get(..n.signature_len).ok_or_else(too_long)?,
    )
}

/// Writes the `Content-Digest` field value of `body` (RFC 9530 §2):
/// `sha-256=:<base64>:` or `sha-512=:<base64>:`. Set it on a message with
/// content before signing it. [`FAPI_CONTENT_DIGEST_MAX`] bytes always
/// suffice; another `alg` is `FAPI_INVALID_ARGUMENT`.
///
/// ```c
/// char digest[FAPI_CONTENT_DIGEST_MAX]; size_t n;
/// fapi_content_digest_write(FAPI_DIGEST_SHA256, body, body_len, digest, sizeof digest, &n, &err);
/// /* {"hello": "world"} -> sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=: */
/// ```
///
/// # Safety
/// `body` is valid for `body_len` bytes; `out` is writable for `cap` bytes;
/// `out_len` is writable; `err` is NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_content_digest_write(
    alg: fapi_digest_alg,
    body: *const u8,
    body_len: usize,
    out: *mut c_char,
    cap: usize,
    out_len: *mut usize,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::Server, || {
        // SAFETY: contract.
        let (body, out) = unsafe {
            (
                ffi::bytes(body, body_len, "body")?,
                Out::text(out, cap, out_len, "out_len")?,
            )
        };
        let alg = match alg {
            FAPI_DIGEST_SHA256 => DigestAlgorithm::Sha256,
            FAPI_DIGEST_SHA512 => DigestAlgorithm::Sha512,
            other => {
                return Err(Failure::invalid(format!(
                    "{other} is not a fapi_digest_alg"
                )));
            }
        };
        let mut value = [0u8; content_digest::MAX_FIELD_LEN];
        let n = content_digest::write(alg, body, &mut value).context("Content-Digest")?;
        out.put(value.get(..n).unwrap_or_default())
    })
}

/// Signs a resource request for FAPI 2.0 HTTP Signatures (RFC 9421 §3.1;
/// BG-SIGNED-REQ: the TPP signs its requests) with `key` (software or
/// PKCS#11) under `label`: covers `@method`, `@target-uri`,
/// `authorization`, `dpop` when the request has one and `content-digest`
/// when `body` is not empty, with `created` = `now`, `keyid` (the key id),
/// `alg` and `tag="fapi-2-request"`. Writes the `Signature-Input` and
/// `Signature` field values to add to the request.
///
/// The request must carry what is covered: an `Authorization` field, and
/// with a body its `Content-Digest` ([`fapi_content_digest_write`]); else
/// `FAPI_COMPONENT_ABSENT`. A label that is not an RFC 8941 key
/// (`[a-z*][a-z0-9_.*-]*`) is `FAPI_INVALID_PARAMETER`; an RSA key is
/// `FAPI_UNSUPPORTED_ALG` (a PS256 key signs with SHA-256, not
/// `rsa-pss-sha512`). When either buffer is too small the result is
/// `FAPI_INSUFFICIENT_SIZE`, nothing is copied and both out-lengths hold
/// the sizes needed.
///
/// ```c
/// fapi_http_field f[] = {{"Authorization", 13, authz, authz_len}, {"DPoP", 4, proof, proof_len},
///                        {"Content-Type", 12, "application/json", 16},
///                        {"Content-Digest", 14, digest, digest_len}};
/// fapi_http_request rq = {"POST", 4, "https://api.bank.example/payments", 33, f, 4};
/// char input[1024], sig[512]; size_t input_len, sig_len;
/// fapi_http_sig_sign_request(tpp_key, "sig1", 4, &rq, body, body_len, time(NULL),
///                            input, sizeof input, &input_len, sig, sizeof sig, &sig_len, &err);
/// /* Signature-Input: sig1=("@method" ...);created=...;tag="fapi-2-request"
///    Signature: sig1=:...: */
/// ```
///
/// # Safety
/// `key` is a live key; `label` and `body` are valid pairs; `request` is
/// valid with valid pairs and `n_fields` valid fields; each output buffer
/// is writable for its capacity and each out-length writable; `err` is
/// NULL or valid.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments, reason = "(pointer, length) pairs")]
pub unsafe extern "C" fn fapi_http_sig_sign_request(
    key: *const fapi_key,
    label: *const c_char,
    label_len: usize,
    request: *const fapi_http_request,
    body: *const u8,
    body_len: usize,
    now: u64,
    signature_input: *mut c_char,
    signature_input_cap: usize,
    signature_input_len: *mut usize,
    signature: *mut c_char,
    signature_cap: usize,
    signature_len: *mut usize,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::Server, || {
        // SAFETY: contract.
        let (key, label, request, body, input_out, sig_out) = unsafe {
            (
                ffi::arg(key, "key")?.signer(),
                ffi::text(label, label_len, "label")?,
                request_arg(request, "request")?,
                ffi::bytes(body, body_len, "body")?,
                Out::text(
                    signature_input,
                    signature_input_cap,
                    signature_input_len,
                    "signature_input_len",
                )?,
                Out::text(signature, signature_cap, signature_len, "signature_len")?,
            )
        };
        let fields = FieldList(&request.lines);
        let msg = Message::request(request.method, request.target_uri, &fields);
        let room = scratch_len(&[request.method, request.target_uri], &[&request.lines]);
        sign_into(input_out, sig_out, label, room, |buffers| {
            http_sig::sign_request(key, label, &msg, body, &FixedClock(now), buffers)
        })
    })
}

/// Signs a resource response for FAPI 2.0 HTTP Signatures with `key` under
/// `label`: covers `@status`, `content-digest` when `body` is not empty,
/// and of `request` (the request as it was received, its `Signature` and
/// `Signature-Input` included) with `;req`: `@method`, `@target-uri`, its
/// `content-digest` when it had one, and its `fapi-2-request` signature
/// (`signature` and `signature-input` with `;key`) when it was signed;
/// `created` = `now`, `keyid`, `alg` and `tag="fapi-2-response"`. Errors
/// and buffers as [`fapi_http_sig_sign_request`].
///
/// ```c
/// fapi_http_field rf[] = {{"Content-Type", 12, "application/json", 16},
///                         {"Content-Digest", 14, digest, digest_len}};
/// fapi_http_response rs = {201, rf, 2};
/// fapi_http_sig_sign_response(bank_key, "sig1", 4, &rs, body, body_len, &rq, time(NULL),
///                             input, sizeof input, &input_len, sig, sizeof sig, &sig_len, &err);
/// ```
///
/// # Safety
/// As [`fapi_http_sig_sign_request`]; `response` is valid with valid
/// fields.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments, reason = "(pointer, length) pairs")]
pub unsafe extern "C" fn fapi_http_sig_sign_response(
    key: *const fapi_key,
    label: *const c_char,
    label_len: usize,
    response: *const fapi_http_response,
    body: *const u8,
    body_len: usize,
    request: *const fapi_http_request,
    now: u64,
    signature_input: *mut c_char,
    signature_input_cap: usize,
    signature_input_len: *mut usize,
    signature: *mut c_char,
    signature_cap: usize,
    signature_len: *mut usize,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::Server, || {
        // SAFETY: contract.
        let (key, label, (status, lines), body, request, input_out, sig_out) = unsafe {
            (
                ffi::arg(key, "key")?.signer(),
                ffi::text(label, label_len, "label")?,
                response_arg(response)?,
                ffi::bytes(body, body_len, "body")?,
                request_arg(request, "request")?,
                Out::text(
                    signature_input,
                    signature_input_cap,
                    signature_input_len,
                    "signature_input_len",
                )?,
                Out::text(signature, signature_cap, signature_len, "signature_len")?,
            )
        };
        let fields = FieldList(&lines);
        let msg = Message::response(status, &fields);
        let req_fields = FieldList(&request.lines);
        let req = Message::request(request.method, request.target_uri, &req_fields);
        let room = scratch_len(
            &[request.method, request.target_uri],
            &[&lines, &request.lines],
        );
        sign_into(input_out, sig_out, label, room, |buffers| {
            http_sig::sign_response(key, label, &msg, body, &req, &FixedClock(now), buffers)
        })
    })
}

/// The signer's JWKS, parsed with scratch sized from the input.
fn parse_jwks<'a>(json: &'a [u8], scratch: &'a mut Vec<u8>) -> Result<Jwks<'a>, Failure> {
    scratch.resize(
        fapi_core::json::scratch_len(json).context("signer JWKS")?,
        0,
    );
    Jwks::from_json_in(json, scratch).context("signer JWKS")
}

/// Verifies the `fapi-2-request` signature of a resource request (RFC 9421
/// §3.2 under FAPI 2.0 HTTP Signatures; BG-SIGNED-REQ) with the client's
/// JWKS `signer_jwks` (JSON), at time `now`, under `profile`, whose
/// algorithms decide the signature algorithms (PS256: `rsa-pss-sha512`,
/// ES256: `ecdsa-p256-sha256`, EdDSA: `ed25519`; another is
/// `FAPI_ALG_NOT_ALLOWED`).
///
/// Refusals, each with its code (OAuth error `invalid_token`): no
/// signature, or a label without its pair (`FAPI_SIGNATURE_MISSING`); a
/// label twice (`FAPI_DUPLICATE_LABEL`, RFC 9421 §4.1); no signature tagged
/// `fapi-2-request` (`FAPI_WRONG_TAG`); one that does not cover
/// `@method`, `@target-uri`, `authorization`, `dpop` (when present),
/// `content-digest` (with a body) (`FAPI_MISSING_COMPONENT`); a covered
/// field the request lacks (`FAPI_COMPONENT_ABSENT`); `created` absent
/// (`FAPI_MISSING_CLAIM`), older than 60 s (`FAPI_TOO_OLD`) or more than
/// 10 s ahead (`FAPI_ISSUED_IN_FUTURE`); `keyid` not in the JWKS with a
/// key of the algorithm (`FAPI_KEY_NOT_FOUND`); a bad signature
/// (`FAPI_BAD_SIGNATURE`); a `Content-Digest` that is not the body's
/// (`FAPI_DIGEST_MISMATCH`, RFC 9530). The signature is checked before the
/// digest. On success `verified`, when not NULL, receives what the
/// signature says.
///
/// ```c
/// fapi_http_sig_verified v;
/// if (fapi_http_sig_verify_request(profile, &rq, body, body_len, client_jwks, jwks_len,
///                                  time(NULL), &v, &err) != FAPI_OK)
///     /* 401 */;
/// printf("%.*s signed by %.*s\n", (int)v.label_len, v.label, (int)v.keyid_len, v.keyid);
/// ```
///
/// # Safety
/// `profile` is from `fapi_profile_get`; `request` is valid with valid
/// pairs and fields; `body` and `signer_jwks` are valid pairs; `verified`
/// is NULL or writable; `err` is NULL or valid.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments, reason = "(pointer, length) pairs")]
pub unsafe extern "C" fn fapi_http_sig_verify_request(
    profile: *const fapi_profile,
    request: *const fapi_http_request,
    body: *const u8,
    body_len: usize,
    signer_jwks: *const c_char,
    signer_jwks_len: usize,
    now: u64,
    verified: *mut fapi_http_sig_verified,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    // SAFETY: contract.
    unsafe { ffi::write_out(verified, fapi_http_sig_verified::EMPTY) };
    boundary(err, Where::At(Site::ResourceRequest), || {
        // SAFETY: contract.
        let (profile, request, body, jwks) = unsafe {
            (
                profile_arg(profile)?,
                request_arg(request, "request")?,
                ffi::bytes(body, body_len, "body")?,
                ffi::bytes(signer_jwks.cast::<u8>(), signer_jwks_len, "signer_jwks")?,
            )
        };
        let mut jwks_scratch = Vec::new();
        let jwks = parse_jwks(jwks, &mut jwks_scratch)?;
        let algs = profile_algs(profile);
        // BG-SIGNED-REQ: the profile's request policy, not the caller's.
        let policy = Policy::request(&algs);
        let fields = FieldList(&request.lines);
        let msg = Message::request(request.method, request.target_uri, &fields);
        let mut scratch = Zeroizing::new(vec![
            0u8;
            scratch_len(
                &[request.method, request.target_uri],
                &[&request.lines]
            )
        ]);
        let v = http_sig::verify_request(
            &policy,
            &msg,
            body,
            &jwks,
            &AWSLC,
            &FixedClock(now),
            &mut scratch,
        )
        .context("HTTP signature of the request")?;
        // SAFETY: contract.
        unsafe { ffi::write_out(verified, fapi_http_sig_verified::of(&v)) };
        Ok(())
    })
}

/// Verifies the `fapi-2-response` signature of a resource response to
/// `request` (the request as the client sent it, its signature included)
/// with the server's JWKS `signer_jwks`, as [`fapi_http_sig_verify_request`]
/// does, and the signature must cover `@status`, `content-digest` (with a
/// body), and with `;req` the request's `@method`, `@target-uri`, its
/// `content-digest` when it had one and its `fapi-2-request` signature
/// (`FAPI_MISSING_COMPONENT`). A response signed for another request is
/// `FAPI_BAD_SIGNATURE`.
///
/// ```c
/// fapi_http_sig_verified v;
/// if (fapi_http_sig_verify_response(profile, &rs, body, body_len, &rq, bank_jwks, jwks_len,
///                                   time(NULL), &v, &err) != FAPI_OK)
///     /* do not trust the response */;
/// ```
///
/// # Safety
/// As [`fapi_http_sig_verify_request`]; `response` is valid with valid
/// fields.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments, reason = "(pointer, length) pairs")]
pub unsafe extern "C" fn fapi_http_sig_verify_response(
    profile: *const fapi_profile,
    response: *const fapi_http_response,
    body: *const u8,
    body_len: usize,
    request: *const fapi_http_request,
    signer_jwks: *const c_char,
    signer_jwks_len: usize,
    now: u64,
    verified: *mut fapi_http_sig_verified,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    // SAFETY: contract.
    unsafe { ffi::write_out(verified, fapi_http_sig_verified::EMPTY) };
    boundary(err, Where::At(Site::ResourceRequest), || {
        // SAFETY: contract.
        let (profile, (status, lines), body, request, jwks) = unsafe {
            (
                profile_arg(profile)?,
                response_arg(response)?,
                ffi::bytes(body, body_len, "body")?,
                request_arg(request, "request")?,
                ffi::bytes(signer_jwks.cast::<u8>(), signer_jwks_len, "signer_jwks")?,
            )
        };
        let mut jwks_scratch = Vec::new();
        let jwks = parse_jwks(jwks, &mut jwks_scratch)?;
        let algs = profile_algs(profile);
        let policy = Policy::response(&algs);
        let fields = FieldList(&lines);
        let msg = Message::response(status, &fields);
        let req_fields = FieldList(&request.lines);
        let req = Message::request(request.method, request.target_uri, &req_fields);
        let mut scratch = Zeroizing::new(vec![
            0u8;
            scratch_len(
                &[request.method, request.target_uri],
                &[&lines, &request.lines]
            )
        ]);
        let v = http_sig::verify_response(
            &policy,
            &msg,
            body,
            &req,
            &jwks,
            &AWSLC,
            &FixedClock(now),
            &mut scratch,
        )
        .context("HTTP signature of the response")?;
        // SAFETY: contract.
        unsafe { ffi::write_out(verified, fapi_http_sig_verified::of(&v)) };
        Ok(())
    })
}

/// Writes the signature base (RFC 9421 §2.5) of the signature `label` of a
/// message, from its `Signature-Input` member: what was signed, for
/// comparing with a peer's when a signature does not verify. It checks
/// nothing of the profile and verifies nothing.
///
/// With `response` NULL the message is `request`; otherwise it is
/// `response`, and `request` (NULL when there is none) is the request it
/// answers, for components with `;req`. No member `label` is
/// `FAPI_SIGNATURE_MISSING`; a label twice `FAPI_DUPLICATE_LABEL`; a
/// component fapi does not implement `FAPI_UNSUPPORTED_COMPONENT`; one the
/// message lacks `FAPI_COMPONENT_ABSENT`.
///
/// ```c
/// char base[4096]; size_t n;
/// fapi_http_sig_signature_base("sig-b26", 7, &rq, NULL, base, sizeof base, &n, &err);
/// /* "date": Tue, 20 Apr 2021 02:07:55 GMT\n"@method": POST\n... */
/// ```
///
/// # Safety
/// `label` is a valid pair; `request` and `response` are NULL or valid
/// with valid pairs and fields; `out` is writable for `cap` bytes;
/// `out_len` is writable; `err` is NULL or valid.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments, reason = "(pointer, length) pairs")]
pub unsafe extern "C" fn fapi_http_sig_signature_base(
    label: *const c_char,
    label_len: usize,
    request: *const fapi_http_request,
    response: *const fapi_http_response,
    out: *mut c_char,
    cap: usize,
    out_len: *mut usize,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::Server, || {
        // SAFETY: contract.
        let (label, out) = unsafe {
            (
                ffi::text(label, label_len, "label")?,
                Out::text(out, cap, out_len, "out_len")?,
            )
        };
        let request = if request.is_null() && !response.is_null() {
            None
        } else {
            // SAFETY: contract.
            Some(unsafe { request_arg(request, "request") }?)
        };
        let response = if response.is_null() {
            None
        } else {
            // SAFETY: contract.
            Some(unsafe { response_arg(response) }?)
        };
        let req_fields = request.as_ref().map(|r| FieldList(&r.lines));
        let req = request
            .as_ref()
            .zip(req_fields.as_ref())
            .map(|(r, f)| Message::request(r.method, r.target_uri, f));
        let resp_fields = response.as_ref().map(|(_, l)| FieldList(l));
        let resp = response
            .as_ref()
            .zip(resp_fields.as_ref())
            .map(|((s, _), f)| Message::response(*s, f));
        let (msg, lines, linked) = match (&resp, &response, &req, &request) {
            (Some(m), Some((_, l)), r, _) => (m, l, r.as_ref()),
            (None, _, Some(m), Some(r)) => (m, &r.lines, None),
            _ => return Err(Failure::null("request")),
        };
        // The member `label` of the message's `Signature-Input` lines.
        let mut found = None;
        for (_, line) in lines
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("signature-input"))
        {
            let dict = Dictionary::parse(line).context("Signature-Input")?;
            if let Some(m) = dict.get(label) {
                if found.is_some() {
                    return Err(Failure::core(
                        Error::DuplicateLabel,
                        "Signature-Input: the label is in two field lines",
                    ));
                }
                found = Some(m);
            }
        }
        let member = found.ok_or_else(|| {
            Failure::core(
                Error::SignatureMissing,
                &format!("Signature-Input: no member `{label}`"),
            )
        })?;
        let input = SignatureInput::from_member(label, &member).context("Signature-Input")?;
        out.produce("signature base", |buf| {
            http_sig::signature_base(&input, msg, linked, buf).context("signature base")
        })
    })
}
