//! What the authorization endpoint serves, and what the metadata says of
//! it (RFC 9126 §5, OpenID Connect Discovery 1.0 §3): under every profile
//! only pushed requests, also under `obie` (which would allow a request
//! object by value) and `berlin` (plain parameters); the metadata says
//! `require_pushed_authorization_requests: true` and
//! `request_parameter_supported: false`, and a request by value or by
//! plain parameters is refused `par_required`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::*;
use fapi_core::authorize::AuthorizationRequest;
use fapi_core::profile::Profile;
use fapi_server::dev_ca::DevCa;

fn query(pairs: &[(&str, &str)]) -> String {
    let mut f = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        let _ = f.append_pair(k, v);
    }
    f.finish()
}

/// The metadata of `issuer`.
async fn metadata(http: &reqwest::Client, issuer: &str) -> serde_json::Value {
    http.get(format!("{issuer}/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The authorization endpoint's answer to `query`: status and page.
async fn authorize(http: &reqwest::Client, issuer: &str, query: &str) -> (u16, String) {
    let r = http
        .get(format!("{issuer}/authorize?{query}"))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// RFC 9126 §5 under obie: the metadata says pushed requests only, and a
/// signed request object by value at the authorization endpoint
/// (`?client_id&request=`) is refused `par_required` (`invalid_request`),
/// never read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn obie_rfc9126_5_metadata_says_par_only_and_request_by_value_is_refused() {
    let profile = Profile::OBIE;
    let ca = DevCa::generate().unwrap();
    let (keys, reg) = pkj_client(profile, "fintech-1", false);
    let bank = bank(profile, ca.clone(), vec![reg]).await;
    let issuer = bank.server.issuer().to_owned();
    let client = client(profile, &issuer, &keys);
    let http = http(&ca, None);
    let md = metadata(&http, &issuer).await;
    assert_eq!(md["require_pushed_authorization_requests"], true, "{md}");
    assert_eq!(md["request_parameter_supported"], false, "{md}");
    assert_eq!(md["request_uri_parameter_supported"], false, "{md}");

    let pkce = client.pkce().unwrap();
    let ro = client
        .request_object(&AuthorizationRequest {
            client_id: "fintech-1",
            response_type: "code",
            redirect_uri: Some(REDIRECT),
            scope: "openid accounts",
            state: Some("st4te"),
            code_challenge: Some(pkce.challenge()),
            code_challenge_method: Some("S256"),
            dpop_jkt: None,
            consent_id: None,
            nonce: None,
            response_mode: None,
        })
        .unwrap();
    let q = query(&[
        ("client_id", "fintech-1"),
        ("response_type", "code"),
        ("scope", "openid accounts"),
        ("request", &ro),
    ]);
    let (status, page) = authorize(&http, &issuer, &q).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("invalid_request"), "{page}");
    assert!(page.contains("par_required"), "{page}");
    bank.server.shutdown().await;
}

/// RFC 9126 §5 under berlin: the metadata says pushed requests only, and
/// an authorization request in plain query parameters is refused
/// `par_required` (`invalid_request`), not `unsupported_response_type`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn berlin_rfc9126_5_metadata_says_par_only_and_plain_parameters_are_refused() {
    let profile = Profile::BERLIN;
    let ca = DevCa::generate().unwrap();
    let (keys, reg) = tls_client(profile, "tpp-1", "CN=tpp-1,O=Example TPP");
    let bank = bank(profile, ca.clone(), vec![reg]).await;
    let issuer = bank.server.issuer().to_owned();
    let client = client(profile, &issuer, &keys);
    let http = http(&ca, None);
    let md = metadata(&http, &issuer).await;
    assert_eq!(md["require_pushed_authorization_requests"], true, "{md}");
    assert_eq!(md["request_parameter_supported"], false, "{md}");

    let pkce = client.pkce().unwrap();
    let q = query(&[
        ("client_id", "tpp-1"),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid accounts"),
        ("state", "st4te"),
        ("code_challenge", pkce.challenge()),
        ("code_challenge_method", "S256"),
    ]);
    let (status, page) = authorize(&http, &issuer, &q).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("invalid_request"), "{page}");
    assert!(page.contains("par_required"), "{page}");
    assert!(!page.contains("unsupported_response_type"), "{page}");
    bank.server.shutdown().await;
}

/// RFC 9126 §5, F2-METADATA: every profile's metadata says the same of
/// the authorization endpoint, because the same endpoint serves them all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_profile_metadata_says_par_only_rfc9126_5() {
    for profile in Profile::ALL {
        let ca = DevCa::generate().unwrap();
        let bank = bank(*profile, ca.clone(), vec![]).await;
        let issuer = bank.server.issuer().to_owned();
        let md = metadata(&http(&ca, None), &issuer).await;
        assert_eq!(
            md["require_pushed_authorization_requests"], true,
            "{}",
            profile.name
        );
        assert_eq!(md["request_parameter_supported"], false, "{}", profile.name);
        bank.server.shutdown().await;
    }
}
