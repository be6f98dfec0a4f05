//! The example resource server (`examples/resource_server.rs`) behind the
//! fapi tower layer, sent the six requests of the acceptance list: each
//! response's status and `WWW-Authenticate` header are checked.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../examples/resource_server.rs"]
mod example;

use std::sync::Arc;

use axum::body::Body;
use fapi::issuer::AccessToken;
use fapi::{Client, Issuer, IssuerKeys, KeySet, ResourceServer, SigningKey};
use fapi_core::dpop::NonceKey;
use fapi_core::{Alg, profile::Profile};
use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

const AS: &str = "https://as.bank.example";
const API: &str = "https://api.bank.example";
const ACCOUNTS: &str = "https://api.bank.example/accounts";

struct World {
    issuer: Issuer,
    client: Client,
    other: Client,
}

fn client(id: &str) -> Client {
    Client::builder(Profile::FAPI2, id, AS)
        .redirect_uri("https://fintech.example/cb")
        .dpop_key(SigningKey::generate(Alg::Es256).unwrap())
        .build()
        .unwrap()
}

fn world() -> World {
    let keys = KeySet::new(SigningKey::generate(Alg::Es256).unwrap());
    let issuer = Issuer::builder(Profile::FAPI2, AS, keys)
        .audience(API)
        .build()
        .unwrap();
    World {
        issuer,
        client: client("fintech-1"),
        other: client("fintech-2"),
    }
}

fn rs(w: &World, nonces: bool) -> Arc<ResourceServer> {
    let keys = IssuerKeys::from_jwks_json(&w.issuer.jwks_json().unwrap()).unwrap();
    let mut b = ResourceServer::builder(Profile::FAPI2, AS, API, keys);
    if nonces {
        b = b.dpop_nonces(NonceKey::new([7; 32]));
    }
    Arc::new(b.build().unwrap())
}

/// A token for `client`'s DPoP key, issued after its proof at the token
/// endpoint verified.
async fn token_for(w: &World, client: &Client) -> String {
    let endpoint = w.issuer.token_endpoint().to_owned();
    let proof = client.dpop_proof("POST", &endpoint, None).unwrap();
    let dpop = w
        .issuer
        .verify_dpop(&proof, "POST", &endpoint)
        .await
        .unwrap();
    let t = AccessToken::new("alice", client.client_id(), dpop.binding()).scope("accounts");
    w.issuer.issue_access_token(t).await.unwrap().access_token
}

async fn send(rs: &Arc<ResourceServer>, req: Request<String>) -> Response<Body> {
    example::app(Arc::clone(rs))
        .oneshot(req.map(Body::from))
        .await
        .unwrap()
}

fn challenge(r: &Response<Body>) -> &str {
    r.headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

const ALGS: &str = r#"algs="PS256 ES256 EdDSA""#;

/// F2-SENDER: a valid DPoP-bound request passes, and the same proof sent
/// again is refused as a replay (RFC 9449 §11.1).
#[tokio::test]
async fn f2_sender_valid_request_then_replayed_proof() {
    let w = world();
    let rs = rs(&w, false);
    let token = token_for(&w, &w.client).await;
    let req = w.client.resource_request("GET", ACCOUNTS, &token).unwrap();
    let replay = req.clone();
    let ok = send(&rs, req).await;
    assert_eq!(ok.status(), StatusCode::OK);
    let body = ok.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], br#"{"accounts":[],"owner":"alice"}"#);

    let r = send(&rs, replay).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenge(&r),
        format!(
            r#"DPoP error="invalid_dpop_proof", error_description="fapi error 409 (replay)", {ALGS}"#
        )
    );
}

/// A proof whose `ath` is for another token (RFC 9449 §4.3 check 11).
#[tokio::test]
async fn proof_for_another_token_is_refused() {
    let w = world();
    let rs = rs(&w, false);
    let token = token_for(&w, &w.client).await;
    let other_token = token_for(&w, &w.client).await;
    let mut req = w.client.resource_request("GET", ACCOUNTS, &token).unwrap();
    let proof = w
        .client
        .dpop_proof("GET", ACCOUNTS, Some(&other_token))
        .unwrap();
    let _ = req.headers_mut().insert("dpop", proof.parse().unwrap());
    let r = send(&rs, req).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenge(&r),
        format!(
            r#"DPoP error="invalid_dpop_proof", error_description="fapi error 602 (dpop_ath)", {ALGS}"#
        )
    );
}

/// F2-SENDER: a token bound to another key, sent with a valid proof of
/// the sender's own key (RFC 9449 §7.1: invalid_token).
#[tokio::test]
async fn f2_sender_token_bound_to_another_key_is_refused() {
    let w = world();
    let rs = rs(&w, false);
    let stolen = token_for(&w, &w.other).await;
    let req = w.client.resource_request("GET", ACCOUNTS, &stolen).unwrap();
    let r = send(&rs, req).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenge(&r),
        format!(
            r#"DPoP error="invalid_token", error_description="fapi error 605 (dpop_key_mismatch)", {ALGS}"#
        )
    );
}

/// F2-SENDER: the DPoP-bound token as a bearer token, without a proof
/// (RFC 9449 §7.2), is refused; so is a request without credentials
/// (RFC 6750 §3.1: a challenge without an error code).
#[tokio::test]
async fn f2_sender_bearer_token_without_dpop_is_refused() {
    let w = world();
    let rs = rs(&w, false);
    let token = token_for(&w, &w.client).await;
    let req = Request::get(ACCOUNTS)
        .header("authorization", format!("Bearer {token}"))
        .body(String::new())
        .unwrap();
    let r = send(&rs, req).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenge(&r),
        format!(
            r#"DPoP error="invalid_token", error_description="fapi error 606 (dpop_missing)", {ALGS}"#
        )
    );
    let r = send(&rs, Request::get(ACCOUNTS).body(String::new()).unwrap()).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenge(&r), format!("DPoP {ALGS}"));
}

/// A server that requires nonces answers a proof without one with
/// `use_dpop_nonce` and a fresh `DPoP-Nonce` (RFC 9449 §9); the client
/// retries once with it and gets through.
#[tokio::test]
async fn missing_nonce_gets_use_dpop_nonce_and_the_retry_passes() {
    let w = world();
    let rs = rs(&w, true);
    let token = token_for(&w, &w.client).await;
    let req = w.client.resource_request("GET", ACCOUNTS, &token).unwrap();
    let r = send(&rs, req).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenge(&r),
        format!(
            r#"DPoP error="use_dpop_nonce", error_description="fapi error 603 (dpop_nonce_required)", {ALGS}"#
        )
    );
    let nonce = r.headers().get("dpop-nonce").unwrap().to_str().unwrap();
    assert_eq!(nonce.len(), 43);

    let r = w
        .client
        .send_with_dpop("GET", ACCOUNTS, Some(&token), |proof| {
            let req = Request::get(ACCOUNTS)
                .header("authorization", format!("DPoP {token}"))
                .header("dpop", proof)
                .body(String::new())
                .unwrap();
            send(&rs, req)
        })
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

/// A token without the scope the route needs: 403 insufficient_scope.
#[tokio::test]
async fn missing_scope_is_forbidden() {
    let w = world();
    let rs = rs(&w, false);
    let endpoint = w.issuer.token_endpoint().to_owned();
    let proof = w.client.dpop_proof("POST", &endpoint, None).unwrap();
    let dpop = w
        .issuer
        .verify_dpop(&proof, "POST", &endpoint)
        .await
        .unwrap();
    let t = AccessToken::new("alice", "fintech-1", dpop.binding()).scope("payments");
    let token = w.issuer.issue_access_token(t).await.unwrap().access_token;
    let r = send(
        &rs,
        w.client.resource_request("GET", ACCOUNTS, &token).unwrap(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(challenge(&r).starts_with(r#"DPoP error="insufficient_scope""#));
}

/// Malformed requests: two Authorization headers, an unknown scheme, a
/// token with spaces, two DPoP headers, a DPoP scheme without a proof, a
/// token that is not a JWS, and a token of another issuer's key.
#[tokio::test]
async fn malformed_requests_are_refused_with_typed_errors() {
    let w = world();
    let rs = rs(&w, false);
    let token = token_for(&w, &w.client).await;
    let proof = w.client.dpop_proof("GET", ACCOUNTS, Some(&token)).unwrap();
    let base = || Request::get(ACCOUNTS);
    let cases: Vec<(Request<String>, u16, &str)> = vec![
        (
            base()
                .header("authorization", format!("DPoP {token}"))
                .header("authorization", format!("DPoP {token}"))
                .header("dpop", &proof)
                .body(String::new())
                .unwrap(),
            400,
            "invalid_request",
        ),
        (
            base()
                .header("authorization", format!("Basic {token}"))
                .body(String::new())
                .unwrap(),
            400,
            "invalid_request",
        ),
        (
            base()
                .header("authorization", "DPoP a b")
                .header("dpop", &proof)
                .body(String::new())
                .unwrap(),
            400,
            "invalid_request",
        ),
        (
            base()
                .header("authorization", format!("DPoP {token}"))
                .header("dpop", &proof)
                .header("dpop", &proof)
                .body(String::new())
                .unwrap(),
            400,
            "invalid_request",
        ),
        (
            base()
                .header("authorization", format!("DPoP {token}"))
                .body(String::new())
                .unwrap(),
            401,
            "invalid_dpop_proof",
        ),
        (
            base()
                .header("authorization", "DPoP not-a-jws")
                .header(
                    "dpop",
                    w.client
                        .dpop_proof("GET", ACCOUNTS, Some("not-a-jws"))
                        .unwrap(),
                )
                .body(String::new())
                .unwrap(),
            401,
            "invalid_token",
        ),
    ];
    for (i, (req, status, error)) in cases.into_iter().enumerate() {
        let r = send(&rs, req).await;
        assert_eq!(r.status().as_u16(), status, "case {i}: {}", challenge(&r));
        assert!(
            challenge(&r).contains(&format!("error=\"{error}\"")),
            "case {i}: {}",
            challenge(&r)
        );
    }
    // A token signed by a key the issuer never published.
    let rogue = Issuer::builder(
        Profile::FAPI2,
        AS,
        KeySet::new(SigningKey::generate(Alg::Es256).unwrap()),
    )
    .audience(API)
    .build()
    .unwrap();
    let forged = token_for(
        &World {
            issuer: rogue,
            client: client("fintech-1"),
            other: client("fintech-2"),
        },
        &w.client,
    )
    .await;
    let r = send(
        &rs,
        w.client.resource_request("GET", ACCOUNTS, &forged).unwrap(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(
        challenge(&r).contains(r#"error="invalid_token""#),
        "{}",
        challenge(&r)
    );
}

#[test]
fn push_form_with_a_repeated_parameter_is_refused() {
    use fapi::issuer::PushRequest;
    let ok = PushRequest::from_form("response_type=code&scope=a+b&state=%2F").unwrap();
    assert_eq!(ok.scope, "a b");
    assert_eq!(ok.state.as_deref(), Some("/"));
    assert_eq!(
        PushRequest::from_form("scope=a&scope=b"),
        Err(fapi_core::Error::InvalidParameter)
    );
    assert_eq!(
        PushRequest::from_form("scope=%FF"),
        Err(fapi_core::Error::InvalidParameter)
    );
}

/// RFC 9126 §2.1: a pushed request that names a `request_uri` is refused
/// where it is read.
#[test]
fn rfc9126_s2_1_push_form_with_request_uri_is_refused() {
    use fapi::issuer::PushRequest;
    let err = PushRequest::from_form(
        "response_type=code&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aabc",
    )
    .unwrap_err();
    assert_eq!(err, fapi_core::Error::InvalidParameter);
    assert_eq!(
        err.oauth_error(fapi_core::Site::ParRequest).as_str(),
        "invalid_request"
    );
    let hinted = PushRequest::from_form("response_type=code&id_token_hint=x").unwrap();
    assert_eq!(hinted.id_token_hint.as_deref(), Some("x"));
}

/// The claims extractor on a route the layer does not guard answers 500:
/// a configuration fault never lets a request through unverified.
#[tokio::test]
async fn extractor_without_the_layer_never_passes() {
    use fapi::resource::VerifiedClaims;
    async fn handler(c: VerifiedClaims) -> String {
        c.subject
    }
    let app = axum::Router::new().route("/accounts", axum::routing::get(handler));
    let r = app
        .oneshot(Request::get(ACCOUNTS).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

/// CDR-HOK, OB-SENDER, F2-SENDER: under the CDR a token is bound to the
/// client certificate; it passes with that certificate and is refused
/// without it or with another (RFC 6750 §3 `Bearer` challenge), and a
/// DPoP binding cannot be issued at all.
#[tokio::test]
async fn cdr_hok_certificate_bound_token() {
    let cert: &[u8] = include_bytes!("../../../crates/fapi-core/testdata/client-cert.der");
    let keys = KeySet::new(SigningKey::generate(Alg::Es256).unwrap());
    let issuer = Issuer::builder(Profile::CDR, AS, keys)
        .audience(API)
        .build()
        .unwrap();
    let t = AccessToken::new(
        "alice",
        "fintech-1",
        fapi::issuer::Binding::certificate(cert),
    )
    .scope("accounts");
    let token = issuer.issue_access_token(t).await.unwrap();
    assert_eq!(token.token_type, "Bearer");
    let jwks = issuer.jwks_json().unwrap();
    let rs = ResourceServer::builder(
        Profile::CDR,
        AS,
        API,
        IssuerKeys::from_jwks_json(&jwks).unwrap(),
    )
    .build()
    .unwrap();
    let mut headers = http::HeaderMap::new();
    let _ = headers.insert(
        "authorization",
        format!("Bearer {}", token.access_token).parse().unwrap(),
    );
    let claims = rs
        .verify_request("GET", "/accounts", &headers, Some(cert))
        .await
        .unwrap();
    assert!(claims.cnf_x5t_s256.is_some());
    for presented in [None, Some(&b"another certificate"[..])] {
        let e = rs
            .verify_request("GET", "/accounts", &headers, presented)
            .await
            .unwrap_err();
        assert_eq!(e.status(), 401);
        assert_eq!(
            e.www_authenticate(),
            r#"Bearer error="invalid_token", error_description="fapi error 650 (certificate_mismatch)""#
        );
    }
    // CDR-HOK: no DPoP-bound token under the CDR
    let w = world();
    let endpoint = w.issuer.token_endpoint().to_owned();
    let proof = w.client.dpop_proof("POST", &endpoint, None).unwrap();
    let dpop = w
        .issuer
        .verify_dpop(&proof, "POST", &endpoint)
        .await
        .unwrap();
    let e = issuer
        .issue_access_token(AccessToken::new("alice", "fintech-1", dpop.binding()))
        .await
        .unwrap_err();
    assert_eq!(e.core(), fapi_core::Error::SenderConstraintMissing);
}

/// The example adds the layer with `route_layer`: a path with no route is
/// 404, not a 401 asking for a token; a route that exists stays guarded.
#[tokio::test]
async fn unknown_route_is_404_and_known_route_is_guarded() {
    let w = world();
    let rs = rs(&w, false);
    let r = send(
        &rs,
        Request::get("/no-such-route").body(String::new()).unwrap(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = send(&rs, Request::get("/accounts").body(String::new()).unwrap()).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}
