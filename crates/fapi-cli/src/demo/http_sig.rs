//! Signed resource messages (RFC 9421 HTTP Message Signatures, RFC 9530
//! `Content-Digest`) under the FAPI 2.0 HTTP Signatures profile: the TPP
//! signs its requests (BG-SIGNED-REQ under `berlin`; `fapi2-ms`), the bank
//! signs its responses, each bound to the request it answers. The fintech
//! creates a consent with a signed request and verifies the bank's signed
//! response; then the attacks, each the fintech's real request (or the
//! bank's real response) changed on its way:
//!
//! - the request without any signature: `signature_missing`;
//! - a valid signature of the fintech's own key that does not cover the
//!   body (`content-digest` left out of `Signature-Input`):
//!   `missing_component`;
//! - the body changed after signing: `digest_mismatch` (RFC 9530 §2);
//! - a signature `created` 120 s ago (the fintech's key, its clock
//!   behind), over a fresh request: `too_old` (at most 60 s);
//! - a second signature of another request under the same label `sig1`
//!   in a second field line: `duplicate_label` (RFC 9421 §4.1);
//!
//! each refused by the bank with `400 invalid_request` naming the core's
//! error; and the bank's signed response to one request presented as the
//! response to another: the client refuses it, `bad_signature` (the
//! response signature covers the request's signature with `;req`, RFC
//! 9421 §2.4).

use std::sync::Arc;

use fapi::Client;
use fapi::http_sig::{SIGNATURE, SIGNATURE_INPUT};
use fapi_core::content_digest::{self, DigestAlgorithm};
use fapi_core::profile::Profile;
use fapi_core::{Clock, Error as CoreError, SystemClock};
use http::{HeaderValue, Request};
use serde_json::{Value, json};

use super::flows::{client_token, expect, outcome, why};
use super::forge::client_verdict;
use super::party::Party;
use super::report::{Refusal, Report};
use crate::failure::Failure;
use crate::https::Answer;

const FLOW: &str = "signed resource messages (RFC 9421, RFC 9530)";
const CONSENTS: &str = "/open-banking/v3.1/aisp/account-access-consents";
/// How far behind the stale signer's clock is: twice the 60 s a
/// signature may be old.
const BEHIND: u64 = 120;

/// The requirement a signed message exercises under `profile`:
/// BG-SIGNED-REQ under `berlin`; under `fapi2-ms`, whose catalogue IDs are
/// FAPI 2.0's (none on message signatures), the FAPI 2.0 HTTP Signatures
/// profile by name; none where messages are not signed.
pub fn ids(profile: &Profile) -> &'static [&'static str] {
    if !profile.signed_messages_required {
        &[]
    } else if profile.name == Profile::BERLIN.name {
        &["BG-SIGNED-REQ"]
    } else {
        &["FAPI 2.0 HTTP Signatures"]
    }
}

fn with(profile: &Profile, more: &[&'static str]) -> Vec<&'static str> {
    let mut v = ids(profile).to_vec();
    v.extend_from_slice(more);
    v
}

/// The refusal the bank must answer a bad signature with: `400
/// invalid_request` naming the core's `error`.
fn expected(error: CoreError) -> String {
    format!("invalid_request ({})", error.name())
}

/// The core error the bank named in `error_description` (`fapi error
/// <code> (<name>)`), read back by its code.
fn core_error(a: &Answer) -> Option<CoreError> {
    let from_body = a.json()["error_description"].as_str().map(str::to_owned);
    let from_header = || {
        a.header("www-authenticate")?
            .split("error_description=\"")
            .nth(1)?
            .split('"')
            .next()
            .map(str::to_owned)
    };
    let text = from_body.or_else(from_header)?;
    let code = text
        .strip_prefix("fapi error ")?
        .split(' ')
        .next()?
        .parse()
        .ok()?;
    CoreError::from_code(code)
}

/// What the bank answered a signature attack: accepted, or its refusal
/// with the core error it named when the status is 400.
fn bank_verdict(a: &Answer) -> Result<String, Refusal> {
    let mut refusal = match outcome(a, "invalid_request") {
        Ok(accepted) => return Ok(accepted),
        Err(refusal) => refusal,
    };
    if let (Some(400), Some(e)) = (refusal.status, core_error(a)) {
        refusal.oauth = format!("{} ({})", refusal.oauth, e.name());
    }
    Err(refusal)
}

/// A clock that many seconds behind the system's.
struct Behind(u64);

impl Clock for Behind {
    fn now(&self) -> u64 {
        SystemClock.now().saturating_sub(self.0)
    }
}

/// The fintech's keys in a client whose clock is [`BEHIND`]: its
/// signatures are valid but stale.
fn stale_signer(p: &Party) -> Result<Client, Failure> {
    let mut b = Client::builder(p.profile, p.client_id, &p.issuer)
        .signing_key(p.signing_key.clone())
        .clock(Arc::new(Behind(BEHIND)));
    if let Some(k) = &p.dpop_key {
        b = b.dpop_key(k.clone());
    }
    b.build().map_err(|e| Failure::fapi("the stale signer", &e))
}

/// `req` signed by the fintech without its body: a valid signature whose
/// `Signature-Input` leaves `content-digest` out, then the body's
/// `Content-Digest` set beside it, uncovered.
fn signed_without_the_body(
    client: &Client,
    req: Request<String>,
) -> Result<Request<String>, Failure> {
    let (mut parts, body) = req.into_parts();
    let uri = parts.uri.to_string();
    client
        .sign_resource_headers(parts.method.as_str(), &uri, &mut parts.headers, b"")
        .map_err(|e| Failure::fapi("a signature without the body", &e))?;
    let mut out = [0u8; content_digest::MAX_FIELD_LEN];
    let n = content_digest::write(DigestAlgorithm::Sha256, body.as_bytes(), &mut out)
        .map_err(|e| Failure::refused("a Content-Digest", e))?;
    let value = HeaderValue::from_bytes(out.get(..n).unwrap_or_default())
        .map_err(|e| Failure::environment("a Content-Digest", e))?;
    let _ = parts.headers.insert(fapi::http_sig::CONTENT_DIGEST, value);
    Ok(Request::from_parts(parts, body))
}

/// `req` with the `Signature-Input` and `Signature` field lines of
/// `other` appended: a second signature under the same label.
fn with_second_signature(mut req: Request<String>, other: &Request<String>) -> Request<String> {
    for name in [SIGNATURE_INPUT, SIGNATURE] {
        for v in other.headers().get_all(name) {
            let _ = req.headers_mut().append(name, v.clone());
        }
    }
    req
}

fn consent(permissions: &[&str]) -> Value {
    json!({"Data": {
        "Permissions": permissions,
        "ExpirationDateTime": "2099-01-01T00:00:00Z"}, "Risk": {}})
}

/// The signed consent creation and its verified response, then the
/// attacks on signed messages. Under a profile that does not sign
/// messages, nothing.
pub async fn signed_messages(r: &mut Report, p: &Party) {
    let profile = p.profile;
    if !profile.signed_messages_required {
        return;
    }
    r.text(&format!("  -- {FLOW}"));
    let Some(cc) = r.step(
        FLOW,
        "client credentials token",
        &["F2-FLOWS"],
        client_token(p, "accounts").await,
    ) else {
        return;
    };
    let at = cc.access_token.as_str();
    let body_a = consent(&["ReadAccountsDetail", "ReadBalances"]);
    let body_b = consent(&["ReadAccountsDetail"]);
    let post = |body: &Value| p.resource("POST", CONSENTS, at, Some(body), &[]);

    // The signed request and the bank's signed response, verified.
    let first = async {
        let (a, sent) = p.exchange(|| post(&body_a)).await.map_err(|e| why(&e))?;
        expect(&a, 201)?;
        let sig = p
            .verify_response(&sent, &a)
            .await?
            .ok_or("no response signature")?;
        Ok::<_, String>((a, sent, sig))
    }
    .await;
    let Some((answer_a, _, sig)) = r.step(
        FLOW,
        "consent created by a request signed with Content-Digest (sig1, fapi-2-request); the bank's response signature verified (fapi-2-response, the request bound with ;req)",
        &with(&profile, &["RFC 9421 §3.1", "RFC 9421 §3.2", "RFC 9421 §2.4", "RFC 9530 §2"]),
        first,
    ) else {
        return;
    };
    r.text(&format!(
        "     --      the bank signed with {} under keyid {}",
        sig.alg.name(),
        sig.key_id
    ));

    // BG-SIGNED-REQ: a request without a signature.
    let seen = match p
        .send(|| p.resource_unsigned("POST", CONSENTS, at, Some(&body_a), &[]))
        .await
    {
        Ok(a) => bank_verdict(&a),
        Err(e) => Ok(why(&e)),
    };
    r.attack(
        FLOW,
        "resource-request-without-a-signature",
        "A2",
        &with(&profile, &["RFC 9421 §3.2"]),
        &expected(CoreError::SignatureMissing),
        seen,
    );

    // A valid signature that leaves the body out: whoever carries the
    // request could change it unseen.
    let seen = match p
        .send(|| {
            let req = p.resource_unsigned("POST", CONSENTS, at, Some(&body_a), &[])?;
            signed_without_the_body(&p.client, req)
        })
        .await
    {
        Ok(a) => bank_verdict(&a),
        Err(e) => Ok(why(&e)),
    };
    r.attack(
        FLOW,
        "signature-that-does-not-cover-the-body",
        "A2",
        &with(&profile, &["RFC 9421 §3.2", "RFC 9530 §2"]),
        &expected(CoreError::MissingComponent),
        seen,
    );

    // The body changed after signing, Content-Digest and signature kept.
    let seen = match p
        .send(|| {
            let mut req = post(&body_a)?;
            *req.body_mut() = body_b.to_string();
            Ok(req)
        })
        .await
    {
        Ok(a) => bank_verdict(&a),
        Err(e) => Ok(why(&e)),
    };
    r.attack(
        FLOW,
        "body-changed-after-signing",
        "A2",
        &with(&profile, &["RFC 9530 §2", "RFC 9421 §3.2"]),
        &expected(CoreError::DigestMismatch),
        seen,
    );

    // A signature `created` 120 s ago over an otherwise fresh request.
    let seen = match stale_signer(p) {
        Ok(stale) => match p
            .send(|| {
                let mut req = p.resource_unsigned("POST", CONSENTS, at, Some(&body_a), &[])?;
                stale
                    .sign_resource_request(&mut req)
                    .map_err(|e| Failure::fapi("a stale signature", &e))?;
                Ok(req)
            })
            .await
        {
            Ok(a) => bank_verdict(&a),
            Err(e) => Ok(why(&e)),
        },
        Err(e) => Ok(format!("setup failed: {}", why(&e))),
    };
    r.attack(
        FLOW,
        "signature-created-120-s-ago",
        "A5",
        &with(&profile, &["RFC 9421 §3.2.1", "RFC 9421 §2.3"]),
        &expected(CoreError::TooOld),
        seen,
    );

    // A second signature under the same label, in a second field line:
    // which one counts would be the sender's choice.
    let seen = match p
        .send(|| {
            let req = post(&body_a)?;
            let other = post(&body_b)?;
            Ok(with_second_signature(req, &other))
        })
        .await
    {
        Ok(a) => bank_verdict(&a),
        Err(e) => Ok(why(&e)),
    };
    r.attack(
        FLOW,
        "second-signature-under-the-same-label",
        "A2",
        &with(&profile, &["RFC 9421 §4.1", "RFC 9421 §4.3"]),
        &expected(CoreError::DuplicateLabel),
        seen,
    );

    // The bank's signed response to the first request, presented as the
    // response to another one: the client refuses it.
    let seen = async {
        let (b, sent_b) = p.exchange(|| post(&body_b)).await.map_err(|e| why(&e))?;
        expect(&b, 201)?;
        // Its own response verifies: only the pairing is wrong.
        let _ = p.verify_response(&sent_b, &b).await?;
        let jwks = p.bank_jwks().await?;
        Ok::<_, String>(client_verdict(
            p.client.verify_resource_response(
                &sent_b,
                answer_a.status,
                &answer_a.headers,
                answer_a.body.as_bytes(),
                &jwks,
            ),
            |s| format!("signature {} accepted", s.key_id),
        ))
    }
    .await;
    let seen = seen.unwrap_or_else(|e| Ok(format!("setup failed: {e}")));
    r.attack(
        FLOW,
        "response-signature-made-for-another-request",
        "A2",
        &with(&profile, &["RFC 9421 §2.4", "RFC 9421 §3.2"]),
        CoreError::BadSignature.name(),
        seen,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;

    fn answer(status: u16, body: &str, www: Option<&str>) -> Answer {
        let mut headers = HeaderMap::new();
        if let Some(w) = www {
            let _ = headers.insert("www-authenticate", HeaderValue::from_str(w).unwrap());
        }
        Answer {
            status,
            headers,
            body: body.into(),
        }
    }

    #[test]
    fn bg_signed_req_ids_by_profile() {
        assert_eq!(ids(&Profile::BERLIN), ["BG-SIGNED-REQ"]);
        assert_eq!(ids(&Profile::FAPI2_MS), ["FAPI 2.0 HTTP Signatures"]);
        assert!(ids(&Profile::FAPI2).is_empty());
    }

    #[test]
    fn rfc6750_3_1_the_core_error_is_read_from_the_body_or_the_challenge() {
        let body =
            r#"{"error":"invalid_request","error_description":"fapi error 326 (digest_mismatch)"}"#;
        assert_eq!(
            bank_verdict(&answer(400, body, None)).unwrap_err().oauth,
            expected(CoreError::DigestMismatch)
        );
        let www = r#"Bearer error="invalid_request", error_description="fapi error 320 (duplicate_label)""#;
        assert_eq!(
            bank_verdict(&answer(400, "", Some(www))).unwrap_err().oauth,
            expected(CoreError::DuplicateLabel)
        );
        // Another status is not the expected refusal, whatever it names.
        assert_ne!(
            bank_verdict(&answer(401, body, None)).unwrap_err().oauth,
            expected(CoreError::DigestMismatch)
        );
        assert!(bank_verdict(&answer(201, "{}", None)).is_ok());
    }

    #[test]
    fn rfc9421_4_1_the_second_signature_is_a_second_field_line() {
        let req = |v: &str| {
            Request::post("https://bank.example/c")
                .header(SIGNATURE_INPUT, format!("sig1=({v})"))
                .header(SIGNATURE, "sig1=:AA==:")
                .body(String::new())
                .unwrap()
        };
        let both = with_second_signature(req(r#""@method""#), &req(r#""@status""#));
        assert_eq!(both.headers().get_all(SIGNATURE_INPUT).iter().count(), 2);
        assert_eq!(both.headers().get_all(SIGNATURE).iter().count(), 2);
    }

    #[test]
    fn rfc9421_3_2_the_signature_without_the_body_leaves_content_digest_out() {
        let client = Client::builder(Profile::BERLIN, "tpp-1", "https://as.bank.example")
            .signing_key(fapi::SigningKey::generate(fapi_core::Alg::Es256).unwrap())
            .build()
            .unwrap();
        let req = Request::post("https://bank.example/consents")
            .header("authorization", "Bearer t")
            .body(r#"{"hello": "world"}"#.to_owned())
            .unwrap();
        let req = signed_without_the_body(&client, req).unwrap();
        let input = req.headers()[SIGNATURE_INPUT].to_str().unwrap();
        assert!(
            input.starts_with(r#"sig1=("@method" "@target-uri" "authorization");"#),
            "{input}"
        );
        // RFC 9530 §2 example: the digest of the body is set, uncovered.
        assert_eq!(
            req.headers()["content-digest"],
            "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
        );
    }

    #[test]
    fn rfc9421_2_3_the_stale_clock_is_behind_by_120_s() {
        let now = SystemClock.now();
        let stale = Behind(BEHIND).now();
        assert!(now - stale >= BEHIND && now - stale <= BEHIND + 1);
    }
}
