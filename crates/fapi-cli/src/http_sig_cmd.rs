//! `fapi http-sig`: HTTP message signatures (RFC 9421) with
//! `Content-Digest` (RFC 9530) under FAPI 2.0 HTTP Signatures, on the
//! core's `http_sig` and `content_digest`.
//!
//! - `sign-request`, `sign-response`: the profile's signatures
//!   (`http_sig::sign_request`, `http_sig::sign_response`), printed as the
//!   header lines to add.
//! - `verify-request`, `verify-response`: the profile's verification
//!   (`http_sig::verify_request`, `http_sig::verify_response`; BG-SIGNED-REQ:
//!   the TPP's request signature), or with `--rfc9421-label` the RFC 9421
//!   §3.2 verification of one named signature without the profile's tag
//!   and covered components (for the RFC's own examples and signers outside
//!   the profile).
//!
//! Messages are given as a method and target URI or a status, and
//! `--header 'Name: value'` lines in message order; content from a file or
//! stdin. A refusal is the core's error, its code and OAuth error, exit 1.

use std::path::Path;

use base64ct::{Base64, Encoding as _};
use fapi_core::content_digest::{self, DigestAlgorithm};
use fapi_core::http_sig::{
    self, FieldList, Message, Policy, SignatureAlgorithm, SignatureBuffers, SignatureInput,
    SignedFields, VerifiedSignature,
};
use fapi_core::jwk::{Jwks, PublicKey};
use fapi_core::profile::Profile;
use fapi_core::sfv::{BareItem, Dictionary, Member};
use fapi_core::{Alg, Clock, Error, FixedClock, PublicKeyVerifier, SystemClock};
use zeroize::Zeroizing;

use crate::cli::{
    ClockArgs, HttpSigSignRequestArgs, HttpSigSignResponseArgs, HttpSigVerifyArgs,
    HttpSigVerifyRequestArgs, HttpSigVerifyResponseArgs,
};
use crate::failure::{Context as _, Failure};
use crate::{fetch, input, output};

/// Room for the `Signature-Input` and `Signature` values a signing call
/// writes (an RSA-4096 signature is 684 base64 characters).
const FIELD_BUF: usize = 4096;

/// The verifier of `http-sig`: aws-lc, which verifies `rsa-pss-sha512`
/// with the 64-byte salt of RFC 9421 §3.3.1.
const BACKEND: &fapi_awslc::AwsLc = &fapi_awslc::AWSLC;

/// The clock `--now` sets, or the system's.
enum CliClock {
    Fixed(FixedClock),
    System,
}

impl CliClock {
    fn of(args: &ClockArgs) -> Self {
        args.now
            .map_or(Self::System, |t| Self::Fixed(FixedClock(t)))
    }

    fn get(&self) -> &dyn Clock {
        match self {
            Self::Fixed(c) => c,
            Self::System => &SystemClock,
        }
    }
}

/// Header field lines, owned, in message order.
struct Headers(Vec<(String, String)>);

impl Headers {
    /// Parses `Name: value` lines (RFC 9110 §5: a token, a colon, the
    /// value without surrounding whitespace).
    fn parse(lines: &[String], what: &str) -> Result<Self, Failure> {
        let mut out = Vec::with_capacity(lines.len() + 3);
        for line in lines {
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| Failure::usage(what, format!("not `Name: value`: {line:?}")))?;
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
            {
                return Err(Failure::usage(
                    what,
                    format!("{name:?} is not a field name (RFC 9110 §5.1)"),
                ));
            }
            out.push((name.to_owned(), value.trim_matches([' ', '\t']).to_owned()));
        }
        Ok(Self(out))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn pairs(&self) -> Vec<(&str, &str)> {
        self.0
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect()
    }

    fn len(&self) -> usize {
        self.0.iter().map(|(n, v)| n.len() + v.len() + 4).sum()
    }

    /// With content, a `Content-Digest` (RFC 9530): the one given is
    /// checked against it, else a sha-256 one is added and returned.
    fn digest(&mut self, body: &[u8], what: &str) -> Result<Option<String>, Failure> {
        if let Some(given) = self.get("content-digest") {
            content_digest::verify(given, body).refused(what)?;
            return Ok(None);
        }
        if body.is_empty() {
            return Ok(None);
        }
        let mut out = [0u8; content_digest::MAX_FIELD_LEN];
        let n = content_digest::write(DigestAlgorithm::Sha256, body, &mut out).refused(what)?;
        let value = out
            .get(..n)
            .and_then(|v| core::str::from_utf8(v).ok())
            .ok_or_else(|| Failure::refused(what, Error::Malformed))?
            .to_owned();
        self.0.push(("Content-Digest".into(), value.clone()));
        Ok(Some(value))
    }
}

/// The content named by `--body`: a file, `-` for stdin, or none.
fn body(arg: Option<&str>) -> Result<Zeroizing<Vec<u8>>, Failure> {
    match arg {
        None => Ok(Zeroizing::new(Vec::new())),
        Some("-") => input::stdin(),
        Some(path) => input::file(Path::new(path)),
    }
}

/// A scratch buffer for a signature base over these fields: each field's
/// length plus the derived components and the signature parameters.
fn scratch_len(headers: &[&Headers], uris: usize) -> usize {
    headers.iter().map(|h| h.len()).sum::<usize>() + 2 * uris + 4096
}

/// What a signing call wrote, as header lines or JSON.
fn print_signed(
    what: &str,
    digest: Option<String>,
    label: &str,
    bufs: (&[u8], &[u8]),
    out: SignedFields,
    json: bool,
) -> Result<(), Failure> {
    let text = |b: &[u8], n: usize| {
        b.get(..n)
            .and_then(|v| core::str::from_utf8(v).ok())
            .map(str::to_owned)
            .ok_or_else(|| Failure::refused(what, Error::Malformed))
    };
    let input = text(bufs.0, out.signature_input_len)?;
    let signature = text(bufs.1, out.signature_len)?;
    if !json {
        let mut lines = String::new();
        if let Some(d) = &digest {
            lines.push_str(&format!("Content-Digest: {d}\n"));
        }
        lines.push_str(&format!("Signature-Input: {input}\nSignature: {signature}"));
        return output::line(&lines);
    }
    // What was signed, read back from the field as the core wrote it.
    let dict = Dictionary::parse(&input).refused(what)?;
    let member = dict
        .get(label)
        .ok_or_else(|| Failure::refused(what, Error::SignatureMissing))?;
    let parsed = SignatureInput::from_member(label, &member).refused(what)?;
    let mut headers = serde_json::Map::new();
    if let Some(d) = digest {
        let _ = headers.insert("Content-Digest".into(), d.into());
    }
    let _ = headers.insert("Signature-Input".into(), input.as_str().into());
    let _ = headers.insert("Signature".into(), signature.as_str().into());
    output::json(&serde_json::json!({
        "label": label,
        "keyid": parsed.keyid().map(|k| k.raw()),
        "alg": parsed.alg().map(SignatureAlgorithm::name),
        "created": parsed.created(),
        "headers": headers,
    }))
}

/// Runs `fapi http-sig sign-request`: the FAPI 2.0 HTTP Signatures request
/// signature (`@method`, `@target-uri`, `authorization`, `dpop` when
/// present, `content-digest` with content; tag `fapi-2-request`).
pub fn sign_request(args: &HttpSigSignRequestArgs) -> Result<(), Failure> {
    let what = "http-sig sign-request";
    let key = input::signing_key(&args.key)?;
    let mut headers = Headers::parse(&args.request.headers, "--header")?;
    let body = body(args.body.as_deref())?;
    let digest = headers.digest(&body, what)?;
    let pairs = headers.pairs();
    let fields = FieldList(&pairs);
    let request = Message::request(&args.request.method, &args.request.uri, &fields);
    let clock = CliClock::of(&args.clock);
    let (mut a, mut b) = (vec![0u8; FIELD_BUF], vec![0u8; FIELD_BUF]);
    let mut scratch = vec![0u8; scratch_len(&[&headers], args.request.uri.len())];
    let out = http_sig::sign_request(
        &key,
        &args.label,
        &request,
        &body,
        clock.get(),
        SignatureBuffers {
            signature_input: &mut a,
            signature: &mut b,
            scratch: &mut scratch,
        },
    )
    .refused(what)?;
    print_signed(what, digest, &args.label, (&a, &b), out, args.output.json)
}

/// Runs `fapi http-sig sign-response`: the FAPI 2.0 HTTP Signatures
/// response signature (`@status`, `content-digest` with content, and of
/// the request with `;req`: `@method`, `@target-uri`, its
/// `content-digest` and its `fapi-2-request` signature; tag
/// `fapi-2-response`).
pub fn sign_response(args: &HttpSigSignResponseArgs) -> Result<(), Failure> {
    let what = "http-sig sign-response";
    let key = input::signing_key(&args.key)?;
    let mut headers = Headers::parse(&args.headers, "--header")?;
    let req_headers = Headers::parse(&args.request.request_headers, "--request-header")?;
    let body = body(args.body.as_deref())?;
    let digest = headers.digest(&body, what)?;
    let pairs = headers.pairs();
    let fields = FieldList(&pairs);
    let req_pairs = req_headers.pairs();
    let req_fields = FieldList(&req_pairs);
    let request = Message::request(
        &args.request.request_method,
        &args.request.request_uri,
        &req_fields,
    );
    let response = Message::response(args.status, &fields);
    let clock = CliClock::of(&args.clock);
    let (mut a, mut b) = (vec![0u8; FIELD_BUF], vec![0u8; FIELD_BUF]);
    let mut scratch =
        vec![0u8; scratch_len(&[&headers, &req_headers], args.request.request_uri.len())];
    let out = http_sig::sign_response(
        &key,
        &args.label,
        &response,
        &body,
        &request,
        clock.get(),
        SignatureBuffers {
            signature_input: &mut a,
            signature: &mut b,
            scratch: &mut scratch,
        },
    )
    .refused(what)?;
    print_signed(what, digest, &args.label, (&a, &b), out, args.output.json)
}

/// The HTTP signature algorithms of a requirement set: the one of each
/// JOSE algorithm's key type that RFC 9421 §3.3 registers (PS256's RSA-PSS
/// is `rsa-pss-sha512` there, ES256 `ecdsa-p256-sha256`, EdDSA `ed25519`).
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

/// The signer's JWK Set text: a file, `-`, `--jwks-json`, or an https URL.
async fn jwks_text(args: &HttpSigVerifyArgs) -> Result<String, Failure> {
    match (&args.jwks, &args.jwks_json) {
        (Some(url), None) if fetch::is_url(url) => fetch::get_text(url, args.ca.as_deref()).await,
        (path, inline) => {
            let what = if inline.is_some() {
                "--jwks-json"
            } else {
                "--jwks"
            };
            let source = input::Source::document(path.as_deref(), inline.as_deref());
            Ok(input::read(source, what, Some("--jwks-json"))?.to_string())
        }
    }
}

/// What was verified, printed as one JSON object.
fn print_verified(
    v: &VerifiedSignature<'_>,
    args: &HttpSigVerifyArgs,
    tag: Option<&str>,
) -> Result<(), Failure> {
    output::json(&serde_json::json!({
        "label": v.label,
        "keyid": v.keyid,
        "alg": v.alg.name(),
        "created": v.created,
        "tag": tag,
        "profile": args.profile.profile().name,
        "rfc9421_only": args.rfc9421_label.is_some(),
    }))
}

/// Runs `fapi http-sig verify-request` (BG-SIGNED-REQ: the TPP's
/// signature over its request, checked as FAPI 2.0 HTTP Signatures says).
pub async fn verify_request(args: &HttpSigVerifyRequestArgs) -> Result<(), Failure> {
    let what = "http-sig verify-request";
    let v = &args.verify;
    let text = jwks_text(v).await?;
    let mut jwks_scratch = vec![0u8; text.len()];
    let jwks = Jwks::from_json_in(text.as_bytes(), &mut jwks_scratch).refused("--jwks")?;
    let algs = profile_algs(&v.profile.profile());
    let headers = Headers::parse(&args.request.headers, "--header")?;
    let body = body(args.body.as_deref())?;
    let pairs = headers.pairs();
    let fields = FieldList(&pairs);
    let request = Message::request(&args.request.method, &args.request.uri, &fields);
    let clock = CliClock::of(&v.clock);
    let mut scratch = vec![0u8; scratch_len(&[&headers], args.request.uri.len())];
    let verified = match &v.rfc9421_label {
        Some(label) => verify_rfc9421(
            label,
            &algs,
            (&request, &headers),
            &body,
            None,
            &jwks,
            clock.get(),
            &mut scratch,
        )
        .refused(what)?,
        None => http_sig::verify_request(
            &Policy::request(&algs),
            &request,
            &body,
            &jwks,
            BACKEND,
            clock.get(),
            &mut scratch,
        )
        .refused(what)?,
    };
    let tag = v.rfc9421_label.is_none().then_some(http_sig::TAG_REQUEST);
    print_verified(&verified, v, tag)
}

/// Runs `fapi http-sig verify-response`: the response's signature, which
/// must cover the request it answers (RFC 9421 §2.4).
pub async fn verify_response(args: &HttpSigVerifyResponseArgs) -> Result<(), Failure> {
    let what = "http-sig verify-response";
    let v = &args.verify;
    let text = jwks_text(v).await?;
    let mut jwks_scratch = vec![0u8; text.len()];
    let jwks = Jwks::from_json_in(text.as_bytes(), &mut jwks_scratch).refused("--jwks")?;
    let algs = profile_algs(&v.profile.profile());
    let headers = Headers::parse(&args.headers, "--header")?;
    let req_headers = Headers::parse(&args.request.request_headers, "--request-header")?;
    let body = body(args.body.as_deref())?;
    let pairs = headers.pairs();
    let fields = FieldList(&pairs);
    let req_pairs = req_headers.pairs();
    let req_fields = FieldList(&req_pairs);
    let request = Message::request(
        &args.request.request_method,
        &args.request.request_uri,
        &req_fields,
    );
    let response = Message::response(args.status, &fields);
    let clock = CliClock::of(&v.clock);
    let mut scratch =
        vec![0u8; scratch_len(&[&headers, &req_headers], args.request.request_uri.len())];
    let verified = match &v.rfc9421_label {
        Some(label) => verify_rfc9421(
            label,
            &algs,
            (&response, &headers),
            &body,
            Some(&request),
            &jwks,
            clock.get(),
            &mut scratch,
        )
        .refused(what)?,
        None => http_sig::verify_response(
            &Policy::response(&algs),
            &response,
            &body,
            &request,
            &jwks,
            BACKEND,
            clock.get(),
            &mut scratch,
        )
        .refused(what)?,
    };
    let tag = v.rfc9421_label.is_none().then_some(http_sig::TAG_RESPONSE);
    print_verified(&verified, v, tag)
}

/// The member `label` of the dictionary field `name` across its lines; a
/// label twice is [`Error::DuplicateLabel`] (RFC 9421 §4.1).
fn member<'a>(headers: &'a Headers, name: &str, label: &str) -> Result<Member<'a>, Error> {
    let mut found = None;
    for (n, v) in &headers.0 {
        if !n.eq_ignore_ascii_case(name) {
            continue;
        }
        if let Some(m) = Dictionary::parse(v)?.get(label) {
            if found.is_some() {
                return Err(Error::DuplicateLabel);
            }
            found = Some(m);
        }
    }
    found.ok_or(Error::SignatureMissing)
}

/// RFC 9421 §3.2 for the signature `label`, with the core's pieces: its
/// `Signature-Input` member parsed ([`SignatureInput::from_member`]),
/// `created` required, at most [`http_sig::MAX_AGE`] s old and not in the
/// future beyond [`http_sig::DEFAULT_MAX_FUTURE_SKEW`], `expires` not
/// passed, `alg` one of `algs`, the key the JWK Set's by `keyid` (and the
/// algorithm's key type), the signature base ([`http_sig::signature_base`])
/// verified, and `Content-Digest` recomputed over the content (RFC 9530).
/// What it leaves out against the profile's verification: the `tag` and
/// the covered components the profile requires.
#[allow(clippy::too_many_arguments, reason = "each is a separate input")]
fn verify_rfc9421<'a>(
    label: &'a str,
    algs: &[SignatureAlgorithm],
    (msg, headers): (&Message<'_>, &'a Headers),
    body: &[u8],
    request: Option<&Message<'_>>,
    jwks: &Jwks<'_>,
    clock: &dyn Clock,
    scratch: &mut [u8],
) -> Result<VerifiedSignature<'a>, Error> {
    let input_member = member(headers, "signature-input", label)?;
    let Member::InnerList(_, params) = input_member else {
        return Err(Error::StructuredField);
    };
    let input = SignatureInput::from_member(label, &input_member)?;
    let sig_b64 = match member(headers, "signature", label)? {
        Member::Item(BareItem::ByteSeq(b), _) => b,
        _ => return Err(Error::StructuredField),
    };

    let now = clock.now();
    let created = input.created().ok_or(Error::MissingClaim)?;
    if created > now.saturating_add(http_sig::DEFAULT_MAX_FUTURE_SKEW) {
        return Err(Error::IssuedInFuture);
    }
    if now.saturating_sub(created) > http_sig::MAX_AGE {
        return Err(Error::TooOld);
    }
    match params.get("expires") {
        Some(BareItem::Integer(e)) if i64::try_from(now).is_ok_and(|n| n > e) => {
            return Err(Error::Expired);
        }
        _ => {}
    }

    let keyid = input
        .keyid()
        .map(|k| k.plain().map_err(|_| Error::KeyNotFound))
        .transpose()?;
    let find = |a: SignatureAlgorithm| -> Result<PublicKey, Error> {
        let key_alg = match a {
            SignatureAlgorithm::RsaPssSha512 => Alg::Ps256,
            SignatureAlgorithm::EcdsaP256Sha256 => Alg::Es256,
            SignatureAlgorithm::Ed25519 => Alg::EdDsa,
        };
        let jwk = jwks.find(keyid, key_alg)?;
        // A JWK that declares PS256 is not an rsa-pss-sha512 key.
        if a == SignatureAlgorithm::RsaPssSha512 && jwk.alg.is_some() {
            return Err(Error::KeyAlgMismatch);
        }
        Ok(jwk.key)
    };
    let (alg, key) = match input.alg() {
        Some(a) if !algs.contains(&a) => return Err(Error::AlgNotAllowed),
        Some(a) => (a, find(a)?),
        // No `alg`: the key's type decides, among the allowed algorithms
        // (RFC 9421 §3.2 step 5), and exactly one key may answer.
        None => {
            let mut found = algs.iter().filter_map(|a| find(*a).ok().map(|k| (*a, k)));
            let one = found.next().ok_or(Error::KeyNotFound)?;
            if found.next().is_some() {
                return Err(Error::KeyNotFound);
            }
            one
        }
    };

    let len = http_sig::signature_base(&input, msg, request, scratch)?;
    let base = scratch.get(..len).ok_or(Error::BufferTooSmall)?;
    let mut sig = [0u8; fapi_core::crypto::MAX_SIGNATURE_LEN];
    let sig = Base64::decode(sig_b64, &mut sig).map_err(|_| Error::BadSignature)?;
    match (alg, &key) {
        (SignatureAlgorithm::RsaPssSha512, PublicKey::Rsa(k)) => {
            BACKEND.verify_rsa_pss_sha512(k, base, sig)?;
        }
        (SignatureAlgorithm::RsaPssSha512, _) => return Err(Error::KeyAlgMismatch),
        (SignatureAlgorithm::EcdsaP256Sha256, k) => {
            BACKEND.verify_with(k, Alg::Es256, base, sig)?
        }
        (SignatureAlgorithm::Ed25519, k) => BACKEND.verify_with(k, Alg::EdDsa, base, sig)?,
    }

    // RFC 9530: the digest is the content's, whether or not it is covered.
    let mut digests = headers
        .0
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("content-digest"));
    match (digests.next(), digests.next()) {
        (Some(_), Some(_)) => return Err(Error::DuplicateLabel),
        (Some((_, d)), None) => content_digest::verify(d, body)?,
        (None, _) if !body.is_empty() => return Err(Error::DigestMismatch),
        (None, _) => {}
    }

    Ok(VerifiedSignature {
        label,
        keyid: keyid.unwrap_or(""),
        alg,
        created,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lines_parse_as_rfc9110_fields() {
        let h = Headers::parse(
            &["Content-Type:  application/json ".into(), "X-A:b:c".into()],
            "--header",
        )
        .unwrap();
        assert_eq!(h.get("content-type"), Some("application/json"));
        assert_eq!(h.get("x-a"), Some("b:c"));
        for bad in ["no colon", ": empty name", "Bad Name: x", "é: x"] {
            assert!(
                matches!(
                    Headers::parse(&[bad.into()], "--header"),
                    Err(Failure::Usage { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn profile_algorithms_map_to_rfc9421_3_3_names() {
        assert_eq!(
            profile_algs(&Profile::OBIE),
            [SignatureAlgorithm::RsaPssSha512]
        );
        let all = profile_algs(&Profile::FAPI2);
        assert!(all.contains(&SignatureAlgorithm::Ed25519));
        assert!(all.contains(&SignatureAlgorithm::EcdsaP256Sha256));
    }
}
