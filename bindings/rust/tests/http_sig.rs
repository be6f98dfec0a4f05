//! Signed resource requests and responses (RFC 9421, RFC 9530, FAPI 2.0
//! HTTP Signatures; BG-SIGNED-REQ): the client signs, the resource server
//! verifies with the JWK Set of the client the token was issued to, signs
//! its response for that request, and the client verifies it. Each refusal
//! is checked for its core code and its HTTP answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;

use axum::body::Body;
use axum::routing::post;
use axum::{Router, body::Bytes};
use fapi::http_sig::MemoryClientKeys;
use fapi::issuer::AccessToken;
use fapi::layer::FapiLayer;
use fapi::resource::{ResourceError, VerifiedClaims, VerifiedRequest};
use fapi::{Client, Issuer, IssuerKeys, KeySet, ResourceServer, SigningKey};
use fapi_core::profile::Profile;
use fapi_core::{Alg, Clock, Error, FixedClock, Signer, SystemClock};
use http::{HeaderValue, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

const AS: &str = "https://as.bank.example";
const API: &str = "https://api.bank.example";
const PAYMENTS: &str = "https://api.bank.example/payments";
const BODY: &str = r#"{"amount":"10.00","currency":"EUR"}"#;

struct World {
    profile: Profile,
    issuer: Issuer,
    client_key: SigningKey,
    client: Client,
    other: Client,
    bank_key: SigningKey,
    keys: Arc<MemoryClientKeys>,
}

fn new_client(profile: Profile, id: &str, key: &SigningKey) -> Client {
    Client::builder(profile, id, AS)
        .signing_key(key.clone())
        .dpop_key(SigningKey::generate(Alg::Es256).unwrap())
        .build()
        .unwrap()
}

fn world(profile: Profile) -> World {
    let issuer = Issuer::builder(
        profile,
        AS,
        KeySet::new(SigningKey::generate(Alg::Es256).unwrap()),
    )
    .audience(API)
    .build()
    .unwrap();
    let client_key = SigningKey::generate(Alg::Es256)
        .unwrap()
        .with_key_id("tpp-1-sig")
        .unwrap();
    let client = new_client(profile, "fintech-1", &client_key);
    let other = new_client(
        profile,
        "fintech-2",
        &SigningKey::generate(Alg::EdDsa).unwrap(),
    );
    let keys = Arc::new(MemoryClientKeys::new());
    for c in [&client, &other] {
        keys.insert(c.client_id(), &c.jwks_json().unwrap()).unwrap();
    }
    World {
        profile,
        issuer,
        client_key,
        client,
        other,
        bank_key: SigningKey::generate(Alg::Es256).unwrap(),
        keys,
    }
}

impl World {
    fn rs(&self) -> Arc<ResourceServer> {
        let keys = IssuerKeys::from_jwks_json(&self.issuer.jwks_json().unwrap()).unwrap();
        Arc::new(
            ResourceServer::builder(self.profile, AS, API, keys)
                .client_keys(Arc::clone(&self.keys) as _)
                .response_signing_key(self.bank_key.clone())
                .build()
                .unwrap(),
        )
    }

    fn bank_jwks(&self) -> String {
        KeySet::new(self.bank_key.clone()).jwks_json().unwrap()
    }

    /// A token for `client`'s DPoP key.
    async fn token(&self, client: &Client) -> String {
        let endpoint = self.issuer.token_endpoint().to_owned();
        let proof = client.dpop_proof("POST", &endpoint, None).unwrap();
        let dpop = self
            .issuer
            .verify_dpop(&proof, "POST", &endpoint)
            .await
            .unwrap();
        let t = AccessToken::new("alice", client.client_id(), dpop.binding()).scope("payments");
        self.issuer
            .issue_access_token(t)
            .await
            .unwrap()
            .access_token
    }

    async fn payment(&self) -> Request<String> {
        let token = self.token(&self.client).await;
        self.client
            .resource_request_with_body("POST", PAYMENTS, &token, "application/json", BODY.into())
            .unwrap()
    }
}

async fn verify(
    rs: &ResourceServer,
    req: &Request<String>,
) -> Result<VerifiedRequest, ResourceError> {
    rs.verify_message(
        req.method().as_str(),
        &req.uri().to_string(),
        req.headers(),
        req.body().as_bytes(),
        None,
        Some("payments"),
    )
    .await
}

/// A refusal by the signature checks: `400 invalid_request`, the core
/// code in the challenge, and an `Accept-Signature` (RFC 9421 §5.1).
fn assert_refused(r: Result<VerifiedRequest, ResourceError>, code: Error) {
    let e = r.unwrap_err();
    assert_eq!(e.error(), Some(code), "{e}");
    assert_eq!(e.status(), 400, "{e}");
    assert_eq!(e.oauth_error().unwrap().as_str(), "invalid_request");
    assert!(
        e.www_authenticate()
            .contains(&format!("fapi error {}", code.code()))
    );
    let accept = e.accept_signature().unwrap();
    assert!(accept.contains(r#"tag="fapi-2-request""#), "{accept}");
}

/// BG-SIGNED-REQ, RFC 9421 §3.2, §2.4: a signed payment verifies with the
/// client's key; the bank signs its response for that request, and the
/// client verifies it with the bank's JWK Set.
#[tokio::test]
async fn bg_signed_req_rfc9421_3_2_request_and_response_round_trip() {
    {
        let w = world(Profile::FAPI2_MS);
        let rs = w.rs();
        let req = w.payment().await;
        let input = req.headers()["signature-input"].to_str().unwrap();
        for c in [
            r#""@method""#,
            r#""@target-uri""#,
            r#""authorization""#,
            r#""dpop""#,
            r#""content-digest""#,
            r#"keyid="tpp-1-sig""#,
            r#"alg="ecdsa-p256-sha256""#,
            r#"tag="fapi-2-request""#,
        ] {
            assert!(input.contains(c), "{c} in {input}");
        }
        let verified = verify(&rs, &req).await.unwrap();
        assert_eq!(verified.claims().client_id, "fintech-1");
        let sig = verified.signature().unwrap();
        assert_eq!(sig.key_id, "tpp-1-sig");
        assert_eq!(verified.target_uri(), PAYMENTS);

        let mut headers = http::HeaderMap::new();
        let body = br#"{"status":"AcceptedSettlementInProcess"}"#;
        rs.sign_response(&verified, 201, &mut headers, body)
            .unwrap();
        let input = headers["signature-input"].to_str().unwrap();
        for c in [
            r#""@status""#,
            r#""content-digest""#,
            r#""@method";req"#,
            r#""@target-uri";req"#,
            r#""content-digest";req"#,
            r#""signature";req;key="sig1""#,
            r#""signature-input";req;key="sig1""#,
            r#"tag="fapi-2-response""#,
        ] {
            assert!(input.contains(c), "{c} in {input}");
        }
        let got = w
            .client
            .verify_resource_response(&req, 201, &headers, body, &w.bank_jwks())
            .unwrap();
        assert_eq!(got.key_id, w.bank_key.key_id());
        // RFC 9530: the response body changed is refused.
        let e = w
            .client
            .verify_resource_response(&req, 201, &headers, b"{}", &w.bank_jwks())
            .unwrap_err();
        assert_eq!(e.core(), Error::DigestMismatch);
        // @status is covered.
        let e = w
            .client
            .verify_resource_response(&req, 200, &headers, body, &w.bank_jwks())
            .unwrap_err();
        assert_eq!(e.core(), Error::BadSignature);
    }
}

/// BG-SIGNED-REQ, RFC 9421 §3.2: an unsigned request is refused
/// (`SignatureMissing`), also through the bodiless call.
#[tokio::test]
async fn bg_signed_req_rfc9421_3_2_unsigned_refused() {
    let w = world(Profile::FAPI2_MS);
    let rs = w.rs();
    let mut req = w.payment().await;
    let _ = req.headers_mut().remove("signature");
    let _ = req.headers_mut().remove("signature-input");
    assert_refused(verify(&rs, &req).await, Error::SignatureMissing);

    let token = w.token(&w.client).await;
    let mut get = w.client.resource_request("GET", PAYMENTS, &token).unwrap();
    assert!(get.headers().contains_key("signature"));
    let _ = get.headers_mut().remove("signature");
    let e = rs
        .verify_request("GET", "/payments", get.headers(), None)
        .await
        .unwrap_err();
    assert_eq!(e.error(), Some(Error::SignatureMissing));
    assert_eq!(e.status(), 400);
}

/// The bodiless call cannot skip the content's digest: a request that
/// declares content is refused (`DigestMismatch`) before anything else.
#[tokio::test]
async fn rfc9530_bodiless_verify_refuses_a_request_with_content() {
    let w = world(Profile::FAPI2_MS);
    let rs = w.rs();
    let req = w.payment().await;
    let e = rs
        .verify_request("POST", PAYMENTS, req.headers(), None)
        .await
        .unwrap_err();
    assert_eq!(e.error(), Some(Error::DigestMismatch));
    let e = rs
        .verify_request_with_scope("POST", PAYMENTS, req.headers(), None, "payments")
        .await
        .unwrap_err();
    assert_eq!(e.error(), Some(Error::DigestMismatch));
    for (name, value) in [("content-length", "5"), ("transfer-encoding", "chunked")] {
        let token = w.token(&w.client).await;
        let mut get = w.client.resource_request("GET", PAYMENTS, &token).unwrap();
        let _ = get
            .headers_mut()
            .insert(name, HeaderValue::from_static(value));
        let e = rs
            .verify_request("GET", PAYMENTS, get.headers(), None)
            .await
            .unwrap_err();
        assert_eq!(e.error(), Some(Error::DigestMismatch), "{name}");
    }
}

/// RFC 9530 §2: the body changed after signing is refused.
#[tokio::test]
async fn rfc9530_2_tampered_body_refused() {
    let w = world(Profile::FAPI2_MS);
    let rs = w.rs();
    let mut req = w.payment().await;
    *req.body_mut() = BODY.replace("10.00", "9999.00");
    assert_refused(verify(&rs, &req).await, Error::DigestMismatch);
}

/// RFC 9421 §3.2: a covered header removed (`ComponentAbsent`), and
/// content added to a request whose signature does not cover its digest
/// (`MissingComponent`: FAPI 2.0 HTTP Signatures requires it).
#[tokio::test]
async fn rfc9421_3_2_missing_covered_component_refused() {
    let w = world(Profile::FAPI2_MS);
    let rs = w.rs();
    let mut req = w.payment().await;
    let _ = req.headers_mut().remove("content-digest");
    assert_refused(verify(&rs, &req).await, Error::ComponentAbsent);

    let token = w.token(&w.client).await;
    let mut req = w.client.resource_request("POST", PAYMENTS, &token).unwrap();
    *req.body_mut() = BODY.into();
    let _ = req.headers_mut().insert(
        "content-digest",
        HeaderValue::from_static("sha-256=:nothing+signed+here+AAAAAAAAAAAAAAAAAAAAAA=:"),
    );
    assert_refused(verify(&rs, &req).await, Error::MissingComponent);
}

/// FAPI 2.0 HTTP Signatures: `created` more than 60 s old is refused.
#[tokio::test]
async fn rfc9421_2_3_stale_created_refused() {
    let w = world(Profile::FAPI2_MS);
    let rs = w.rs();
    let mut req = w.payment().await;
    let now = SystemClock.now();
    let late = Client::builder(Profile::FAPI2_MS, "fintech-1", AS)
        .signing_key(w.client_key.clone())
        .dpop_key(SigningKey::generate(Alg::Es256).unwrap())
        .clock(Arc::new(FixedClock(now - 61)))
        .build()
        .unwrap();
    late.sign_resource_request(&mut req).unwrap();
    assert_refused(verify(&rs, &req).await, Error::TooOld);
}

/// A key that is not the registered one, under the registered `kid`, does
/// not verify (`BadSignature`); another client's key is not looked up in
/// this client's JWK Set (`KeyNotFound`), even though that client is
/// registered.
#[tokio::test]
async fn bg_signed_req_wrong_key_and_another_clients_key_refused() {
    let w = world(Profile::FAPI2_MS);
    let rs = w.rs();
    let mut req = w.payment().await;
    let forger = new_client(
        Profile::FAPI2_MS,
        "fintech-1",
        &SigningKey::generate(Alg::Es256)
            .unwrap()
            .with_key_id("tpp-1-sig")
            .unwrap(),
    );
    forger.sign_resource_request(&mut req).unwrap();
    assert_refused(verify(&rs, &req).await, Error::BadSignature);

    let mut req = w.payment().await;
    w.other.sign_resource_request(&mut req).unwrap();
    assert_refused(verify(&rs, &req).await, Error::KeyNotFound);

    // A client whose keys the server does not have.
    w.keys.remove("fintech-1");
    let req = w.payment().await;
    assert_refused(verify(&rs, &req).await, Error::KeyNotFound);
}

/// RFC 9421 §4.1: a label given twice across field lines is refused.
#[tokio::test]
async fn rfc9421_4_1_duplicate_label_refused() {
    let w = world(Profile::FAPI2_MS);
    let rs = w.rs();
    let mut req = w.payment().await;
    let again = req.headers()["signature-input"].clone();
    let _ = req.headers_mut().append("signature-input", again);
    assert_refused(verify(&rs, &req).await, Error::DuplicateLabel);
}

/// RFC 9421 §2.4: a response signed for one request does not verify for
/// another (the request's signature and target are covered with `;req`).
#[tokio::test]
async fn rfc9421_2_4_response_for_another_request_refused() {
    let w = world(Profile::FAPI2_MS);
    let rs = w.rs();
    let first = w.payment().await;
    let second = w.payment().await;
    let verified = verify(&rs, &first).await.unwrap();
    let mut headers = http::HeaderMap::new();
    rs.sign_response(&verified, 200, &mut headers, b"{}")
        .unwrap();
    let jwks = w.bank_jwks();
    assert!(
        w.client
            .verify_resource_response(&first, 200, &headers, b"{}", &jwks)
            .is_ok()
    );
    let e = w
        .client
        .verify_resource_response(&second, 200, &headers, b"{}", &jwks)
        .unwrap_err();
    assert_eq!(e.core(), Error::BadSignature);
    // A response with no signature at all.
    let e = w
        .client
        .verify_resource_response(&first, 200, &http::HeaderMap::new(), b"", &jwks)
        .unwrap_err();
    assert_eq!(e.core(), Error::SignatureMissing);
    // A response signed by a key not in the bank's JWK Set.
    let e = w
        .client
        .verify_resource_response(&first, 200, &headers, b"{}", &w.other.jwks_json().unwrap())
        .unwrap_err();
    assert_eq!(e.core(), Error::KeyNotFound);
}

/// BG-SIGNED-REQ: a signing profile refuses to build a resource server
/// without client keys or a response key, and a client without a signing
/// key.
#[test]
fn bg_signed_req_builders_require_the_keys() {
    let w = world(Profile::FAPI2_MS);
    for profile in [Profile::FAPI2_MS, Profile::BERLIN] {
        let b = || {
            ResourceServer::builder(
                profile,
                AS,
                API,
                IssuerKeys::from_jwks_json(&w.issuer.jwks_json().unwrap()).unwrap(),
            )
        };
        let no_keys = b().response_signing_key(w.bank_key.clone()).build();
        assert_eq!(no_keys.unwrap_err().core(), Error::ProfileViolation);
        let no_response_key = b().client_keys(Arc::clone(&w.keys) as _).build();
        assert_eq!(no_response_key.unwrap_err().core(), Error::ProfileViolation);
        let e = Client::builder(profile, "fintech-1", AS)
            .build()
            .unwrap_err();
        assert_eq!(e.core(), Error::ProfileViolation);
    }
    // Other profiles are unchanged.
    assert!(
        ResourceServer::builder(
            Profile::FAPI2,
            AS,
            API,
            IssuerKeys::from_jwks_json(&w.issuer.jwks_json().unwrap()).unwrap(),
        )
        .build()
        .is_ok()
    );
}

async fn pay(claims: VerifiedClaims, body: Bytes) -> (StatusCode, String) {
    (
        StatusCode::CREATED,
        format!(r#"{{"payer":"{}","bytes":{}}}"#, claims.subject, body.len()),
    )
}

fn app(rs: Arc<ResourceServer>) -> Router {
    Router::new().route("/payments", post(pay)).layer(
        FapiLayer::new(rs)
            .require_scope("payments")
            .body_limit(1024),
    )
}

/// The tower layer under a signing profile: the body is read and its
/// digest checked, the inner service sees the same bytes, and the response
/// comes back signed for the request; a tampered body is 400, a body over
/// the limit 413 (`TooLarge`), both without reaching the service.
#[tokio::test]
async fn bg_signed_req_layer_verifies_and_signs() {
    let w = world(Profile::FAPI2_MS);
    let rs = w.rs();
    let req = w.payment().await;
    let sent = req.clone();
    let r = app(Arc::clone(&rs))
        .oneshot(req.map(Body::from))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let (parts, body) = r.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    assert_eq!(
        &body[..],
        format!(r#"{{"payer":"alice","bytes":{}}}"#, BODY.len()).as_bytes()
    );
    let _ = w
        .client
        .verify_resource_response(&sent, 201, &parts.headers, &body, &w.bank_jwks())
        .unwrap();

    let mut req = w.payment().await;
    *req.body_mut() = BODY.replace("10.00", "11.00");
    let r = app(Arc::clone(&rs))
        .oneshot(req.map(Body::from))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let challenge = r.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains("fapi error 326"), "{challenge}");
    assert!(r.headers().contains_key("accept-signature"));

    let token = w.token(&w.client).await;
    let big = w
        .client
        .resource_request_with_body(
            "POST",
            PAYMENTS,
            &token,
            "application/json",
            "x".repeat(2000),
        )
        .unwrap();
    let r = app(rs).oneshot(big.map(Body::from)).await.unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let challenge = r.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains("fapi error 102"), "{challenge}");
}

/// RFC 9421 §3.3.1, BG-SIGNED-REQ: a client whose key is RSA signs its
/// requests `rsa-pss-sha512` (SHA-512, 64-byte salt), and its registered
/// JWK Set leaves `alg` out (the key also signs PS256 assertions), so the
/// bank verifies them; a bank that signs with RSA is verified the same way.
#[cfg(feature = "rsa-signing")]
#[tokio::test]
async fn bg_signed_req_rfc9421_3_3_1_rsa_pss_sha512_round_trip() {
    let mut w = world(Profile::FAPI2_MS);
    let rsa = SigningKey::generate(Alg::Ps256)
        .unwrap()
        .with_key_id("tpp-1-rsa")
        .unwrap();
    w.client = new_client(Profile::FAPI2_MS, "fintech-1", &rsa);
    let jwks = w.client.jwks_json().unwrap();
    assert!(!jwks.contains(r#""alg""#), "{jwks}");
    w.keys.insert("fintech-1", &jwks).unwrap();
    let rs = w.rs();
    let req = w.payment().await;
    let input = req.headers()["signature-input"].to_str().unwrap();
    assert!(input.contains(r#"alg="rsa-pss-sha512""#), "{input}");
    let verified = verify(&rs, &req).await.unwrap();
    assert_eq!(verified.signature().unwrap().key_id, "tpp-1-rsa");
    let mut headers = http::HeaderMap::new();
    rs.sign_response(&verified, 201, &mut headers, b"{}")
        .unwrap();
    let _ = w
        .client
        .verify_resource_response(&req, 201, &headers, b"{}", &w.bank_jwks())
        .unwrap();
}

/// RFC 8259 §7: a client's registered JWK Set that writes its strings with
/// escapes is read as the same keys.
#[tokio::test]
async fn bg_signed_req_escaped_client_jwks_verifies() {
    let w = world(Profile::FAPI2_MS);
    let jwks = w.client.jwks_json().unwrap();
    let escaped = jwks
        .replace(r#""kty""#, r#""\u006bty""#)
        .replace(r#""kid":"tpp-1-sig""#, r#""kid":"tpp\u002d1-sig""#);
    assert_ne!(escaped, jwks);
    w.keys.insert("fintech-1", &escaped).unwrap();
    assert_eq!(
        fapi::http_sig::usable_keys(&Profile::FAPI2_MS, &escaped),
        Ok(1)
    );
    let req = w.payment().await;
    let verified = verify(&w.rs(), &req).await.unwrap();
    assert_eq!(verified.signature().unwrap().key_id, "tpp-1-sig");
}
