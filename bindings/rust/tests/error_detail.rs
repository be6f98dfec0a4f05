//! Refusals say what was expected and what came: each value kind (`htu`,
//! `htm`, `aud`, `iss`, `typ`, a missing claim, an unknown `kid`, `exp`
//! against now) at the resource server, in its `Detail` and in the
//! `error_description` of its challenge; the `htu` origin set on the
//! builder for a server behind a proxy; the issuer's DPoP check.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;

use fapi::issuer::AccessToken;
use fapi::resource::ResourceError;
use fapi::{Alg, Client, Detail, Issuer, IssuerKeys, KeySet, Profile, ResourceServer, SigningKey};
use fapi_core::jws::{self, HeaderParams};
use fapi_core::{FixedClock, Signer};
use http::HeaderMap;

const AS: &str = "https://as.bank.example";
const API: &str = "https://api.bank.example";

struct World {
    key: SigningKey,
    issuer: Issuer,
    client: Client,
}

fn world() -> World {
    let key = SigningKey::generate(Alg::Es256)
        .unwrap()
        .with_key_id("as-1")
        .unwrap();
    let issuer = Issuer::builder(Profile::FAPI2, AS, KeySet::new(key.clone()))
        .audience(API)
        .build()
        .unwrap();
    let client = Client::builder(Profile::FAPI2, "fintech-1", AS)
        .redirect_uri("https://fintech.example/cb")
        .dpop_key(SigningKey::generate(Alg::Es256).unwrap())
        .build()
        .unwrap();
    World {
        key,
        issuer,
        client,
    }
}

fn keys(w: &World) -> IssuerKeys {
    IssuerKeys::from_jwks_json(&w.issuer.jwks_json().unwrap()).unwrap()
}

fn rs(w: &World) -> ResourceServer {
    ResourceServer::builder(Profile::FAPI2, AS, API, keys(w))
        .build()
        .unwrap()
}

async fn token(w: &World, t: impl FnOnce(AccessToken) -> AccessToken) -> String {
    let endpoint = w.issuer.token_endpoint().to_owned();
    let proof = w.client.dpop_proof("POST", &endpoint, None).unwrap();
    let dpop = w
        .issuer
        .verify_dpop(&proof, "POST", &endpoint)
        .await
        .unwrap();
    let t = t(AccessToken::new("alice", "fintech-1", dpop.binding()).scope("accounts"));
    w.issuer.issue_access_token(t).await.unwrap().access_token
}

/// The headers of a DPoP-bound request for `token`, with a proof for
/// `method` `htu`.
fn headers(w: &World, token: &str, method: &str, htu: &str) -> HeaderMap {
    let proof = w.client.dpop_proof(method, htu, Some(token)).unwrap();
    let mut h = HeaderMap::new();
    let _ = h.insert("authorization", format!("DPoP {token}").parse().unwrap());
    let _ = h.insert("dpop", proof.parse().unwrap());
    h
}

async fn refused(rs: &ResourceServer, method: &str, uri: &str, h: &HeaderMap) -> ResourceError {
    rs.verify_request(method, uri, h, None).await.unwrap_err()
}

fn mismatch(field: &'static str, expected: &str, got: &str) -> Detail {
    Detail::Mismatch {
        field,
        expected: expected.into(),
        got: got.into(),
    }
}

/// The case of a local request: the proof's `htu` origin is not the
/// audience's, and the refusal says both.
#[tokio::test]
async fn htu_origin_other_than_the_audience_says_both() {
    let w = world();
    let rs = rs(&w);
    let t = token(&w, |t| t).await;
    let h = headers(&w, &t, "GET", "http://localhost:8080/accounts");
    let e = refused(&rs, "GET", "/accounts", &h).await;
    assert_eq!(e.error(), Some(fapi_core::Error::DpopUri));
    assert_eq!(
        e.detail(),
        Some(&mismatch(
            "htu",
            "https://api.bank.example/accounts",
            "http://localhost:8080/accounts"
        ))
    );
    assert!(
        e.www_authenticate().contains(
            r#"error_description="fapi error 601 (dpop_uri): htu: expected https://api.bank.example/accounts, got http://localhost:8080/accounts""#
        ),
        "{}",
        e.www_authenticate()
    );
    // The headers render (the values are safe in a quoted parameter).
    assert!(e.headers().contains_key("www-authenticate"));
}

/// Behind a proxy: the origin clients use is set on the builder, and
/// request paths are joined to it, not to the audience's.
#[tokio::test]
async fn htu_origin_set_on_the_builder_for_a_server_behind_a_proxy() {
    let w = world();
    let rs = ResourceServer::builder(Profile::FAPI2, AS, API, keys(&w))
        .origin("https://public.bank.example:8443/")
        .build()
        .unwrap();
    let t = token(&w, |t| t).await;
    let ok = headers(&w, &t, "GET", "https://public.bank.example:8443/accounts");
    let claims = rs
        .verify_request("GET", "/accounts", &ok, None)
        .await
        .unwrap();
    assert_eq!(claims.subject, "alice");
    // The audience's origin is no longer the one requests are for.
    let h = headers(&w, &t, "GET", "https://api.bank.example/accounts");
    let e = refused(&rs, "GET", "/accounts", &h).await;
    assert_eq!(
        e.detail(),
        Some(&mismatch(
            "htu",
            "https://public.bank.example:8443/accounts",
            "https://api.bank.example/accounts"
        ))
    );
}

#[tokio::test]
async fn htm_other_than_the_method() {
    let w = world();
    let t = token(&w, |t| t).await;
    let h = headers(&w, &t, "POST", "https://api.bank.example/accounts");
    let e = refused(&rs(&w), "GET", "/accounts", &h).await;
    assert_eq!(e.error(), Some(fapi_core::Error::DpopMethod));
    assert_eq!(e.detail(), Some(&mismatch("htm", "GET", "POST")));
}

#[tokio::test]
async fn aud_and_iss_other_than_this_servers() {
    let w = world();
    let t = token(&w, |t| t.audience("https://other.bank.example")).await;
    let h = headers(&w, &t, "GET", "https://api.bank.example/accounts");
    let e = refused(&rs(&w), "GET", "/accounts", &h).await;
    assert_eq!(e.error(), Some(fapi_core::Error::WrongAudience));
    assert_eq!(
        e.detail(),
        Some(&mismatch("aud", API, "https://other.bank.example"))
    );

    let t = token(&w, |t| t).await;
    let h = headers(&w, &t, "GET", "https://api.bank.example/accounts");
    let other_as = ResourceServer::builder(Profile::FAPI2, "https://as2.example", API, keys(&w))
        .build()
        .unwrap();
    let e = refused(&other_as, "GET", "/accounts", &h).await;
    assert_eq!(e.error(), Some(fapi_core::Error::WrongIssuer));
    assert_eq!(
        e.detail(),
        Some(&mismatch("iss", "https://as2.example", AS))
    );
}

#[tokio::test]
async fn exp_against_now() {
    let w = world();
    let t = token(&w, |t| t.lifetime(60)).await;
    let h = headers(&w, &t, "GET", "https://api.bank.example/accounts");
    let now = rs(&w).now();
    let later = ResourceServer::builder(Profile::FAPI2, AS, API, keys(&w))
        .clock(Arc::new(FixedClock(now + 100)))
        .build()
        .unwrap();
    let e = refused(&later, "GET", "/accounts", &h).await;
    // The proof is too old first at that clock; the token is checked by
    // itself through a request without a proof below.
    assert!(e.error().is_some());
    let mut bearer = HeaderMap::new();
    let _ = bearer.insert("authorization", format!("Bearer {t}").parse().unwrap());
    let e = refused(&later, "GET", "/accounts", &bearer).await;
    assert_eq!(e.error(), Some(fapi_core::Error::Expired));
    let Some(Detail::Expired { exp, now: at }) = e.detail().cloned() else {
        panic!("{e}");
    };
    assert_eq!(at, now + 100);
    assert!(exp <= now + 60 && exp + 40 <= at, "{exp} {at}");
    assert!(
        e.www_authenticate()
            .contains(&format!("exp {exp} is {} s before now {at}", at - exp)),
        "{}",
        e.www_authenticate()
    );
}

/// A token signed by the issuer's key with the wrong `typ`, or without a
/// claim, made by hand.
fn hand_made(key: &SigningKey, typ: &str, claims: &str) -> String {
    let mut out = vec![0u8; 4096];
    let header = HeaderParams::typed(typ).with_kid(key.key_id());
    let n = jws::sign(key, &header, claims.as_bytes(), &mut out).unwrap();
    String::from_utf8(out[..n].to_vec()).unwrap()
}

#[tokio::test]
async fn typ_and_missing_claim() {
    let w = world();
    let rs = rs(&w);
    let now = rs.now();
    let bearer = |t: &str| {
        let mut h = HeaderMap::new();
        let _ = h.insert("authorization", format!("Bearer {t}").parse().unwrap());
        h
    };
    let full = format!(
        r#"{{"iss":"{AS}","aud":"{API}","sub":"alice","client_id":"fintech-1","jti":"j1","iat":{now},"exp":{}}}"#,
        now + 60
    );
    let t = hand_made(&w.key, "JWT", &full);
    let e = refused(&rs, "GET", "/accounts", &bearer(&t)).await;
    assert_eq!(e.error(), Some(fapi_core::Error::WrongType));
    assert_eq!(e.detail(), Some(&mismatch("typ", "at+jwt", "JWT")));

    let no_client_id = full.replace(r#""client_id":"fintech-1","#, "");
    let t = hand_made(&w.key, "at+jwt", &no_client_id);
    let e = refused(&rs, "GET", "/accounts", &bearer(&t)).await;
    assert_eq!(e.error(), Some(fapi_core::Error::MissingClaim));
    assert_eq!(
        e.detail(),
        Some(&Detail::MissingClaim { name: "client_id" })
    );
    assert!(
        e.www_authenticate()
            .contains("fapi error 400 (missing_claim): missing claim client_id"),
        "{}",
        e.www_authenticate()
    );
}

#[tokio::test]
async fn kid_asked_for_against_the_kids_known() {
    let w = world();
    let t = token(&w, |t| t).await;
    let other = KeySet::new(
        SigningKey::generate(Alg::Es256)
            .unwrap()
            .with_key_id("as-2")
            .unwrap(),
    );
    let rs = ResourceServer::builder(
        Profile::FAPI2,
        AS,
        API,
        IssuerKeys::from_jwks_json(&other.jwks_json().unwrap()).unwrap(),
    )
    .build()
    .unwrap();
    let h = headers(&w, &t, "GET", "https://api.bank.example/accounts");
    let e = refused(&rs, "GET", "/accounts", &h).await;
    assert_eq!(e.error(), Some(fapi_core::Error::KeyNotFound));
    assert_eq!(
        e.detail(),
        Some(&Detail::UnknownKid {
            kid: Some("as-1".into()),
            alg: "ES256".into(),
            known: vec!["as-2 (ES256)".into()],
        })
    );
    assert!(
        e.www_authenticate()
            .contains("kid as-1 (ES256) is not one of the issuer's keys: known as-2 (ES256)"),
        "{}",
        e.www_authenticate()
    );
}

/// At the token endpoint: `fapi::Error` carries the detail, and its
/// `Display` names the error first with its code labelled.
#[tokio::test]
async fn issuer_dpop_check_says_the_htu() {
    let w = world();
    let endpoint = w.issuer.token_endpoint().to_owned();
    let proof = w
        .client
        .dpop_proof("POST", "http://localhost:9000/token", None)
        .unwrap();
    let e = w
        .issuer
        .verify_dpop(&proof, "POST", &endpoint)
        .await
        .unwrap_err();
    assert_eq!(e.code(), 601);
    assert_eq!(e.oauth_error().as_str(), "invalid_dpop_proof");
    assert_eq!(
        e.detail(),
        Some(mismatch("htu", &endpoint, "http://localhost:9000/token"))
    );
    assert_eq!(
        e.to_string(),
        format!(
            "dpop_uri (fapi error 601) at DpopProof: invalid_dpop_proof: htu: expected {endpoint}, got http://localhost:9000/token"
        )
    );
}
