//! `fapi::IssuerKeys::discover` against this server: RFC 8414 metadata
//! and its `issuer` (§3.3), the JWKS fetched, and fetched again when a
//! token names a `kid` the cache does not hold (the server restarted with
//! a new key on the same address), at most once per interval (counted by
//! the server's own `/metrics`). Plain HTTP on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use core::net::SocketAddr;
use core::time::Duration;
use std::time::Instant;

use fapi::discover::Discovery;
use fapi::{Alg, CoreError, Detail, OAuthError, Profile, ResourceServer, SigningKey};
use fapi_server::config::ClientConfig;
use fapi_server::{RunningServer, ServerConfig, start};
use http::HeaderMap;

const INTERVAL: Duration = Duration::from_secs(4);

async fn server(addr: SocketAddr, kid: &str, client: &ClientConfig) -> RunningServer {
    let key = SigningKey::generate(Alg::Es256)
        .unwrap()
        .with_key_id(kid)
        .unwrap();
    let config = ServerConfig::new(Profile::FAPI2)
        .listen(addr)
        .plain_http(true)
        .signing_key(key)
        .client(client.clone());
    start(config).await.unwrap()
}

fn plain() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// How many times the server answered `GET /jwks`, from its `/metrics`.
async fn jwks_fetches(http: &reqwest::Client, base: &str) -> u64 {
    let text = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| l.starts_with("fapi_http_requests_total{method=\"GET\",route=\"/jwks\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

fn bearer(token: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    let _ = h.insert("authorization", format!("Bearer {token}").parse().unwrap());
    h
}

/// A token naming `kid` in its header (the key is chosen from the header
/// before anything else is read).
fn unknown_kid_token(kid: &str) -> String {
    let header = format!(r#"{{"alg":"ES256","typ":"at+jwt","kid":"{kid}"}}"#);
    let mut out = vec![0u8; 256];
    let h = fapi_core::b64::encode(header.as_bytes(), &mut out).unwrap();
    format!("{h}.e30.AAAA")
}

#[tokio::test]
async fn rfc8414_discovery_then_refresh_on_an_unknown_kid_at_most_once_per_interval() {
    let (keys, reg) = common::pkj_client(Profile::FAPI2, "fintech-1", true);
    let first = server("127.0.0.1:0".parse().unwrap(), "k1", &reg).await;
    let addr = first.local_addr();
    let issuer = first.issuer().to_owned();
    assert!(issuer.starts_with("http://127.0.0.1:"), "{issuer}");
    let http = plain();

    // Discovery: the metadata's issuer is this one, the JWKS holds k1.
    let found = Discovery::new(&issuer)
        .http_client(plain())
        .min_refresh(INTERVAL)
        .discover()
        .await
        .unwrap();
    let discovered_at = Instant::now();
    assert_eq!(found.kids(), ["k1 (ES256)"]);
    assert_eq!(found.jwks_uri(), Some(format!("{issuer}/jwks").as_str()));
    let rs = ResourceServer::builder(Profile::FAPI2, &issuer, &issuer, found)
        .build()
        .unwrap();

    // A token of the running server verifies with the cached keys.
    let client = common::client(Profile::FAPI2, &issuer, &keys);
    let t1 = common::cc_token(&http, &client, "accounts").await;
    let request = client
        .resource_request("GET", &format!("{issuer}/accounts"), &t1)
        .unwrap();
    let claims = rs.verify(&request, None).await.unwrap();
    assert_eq!(claims.client_id, "fintech-1");

    // The issuer restarts with a new key (k2) on the same address.
    first.shutdown().await;
    let second = server(addr, "k2", &reg).await;
    assert_eq!(second.issuer(), issuer);
    let client = common::client(Profile::FAPI2, &issuer, &keys);
    let t2 = common::cc_token(&http, &client, "accounts").await;
    assert_eq!(jwks_fetches(&http, &issuer).await, 0);

    // Once the interval since the discovery has passed, the unknown kid
    // makes the resource server fetch the JWKS again: the token passes.
    tokio::time::sleep(INTERVAL.saturating_sub(discovered_at.elapsed())).await;
    let request = client
        .resource_request("GET", &format!("{issuer}/accounts"), &t2)
        .unwrap();
    let claims = rs.verify(&request, None).await.unwrap();
    assert_eq!(claims.client_id, "fintech-1");
    assert_eq!(jwks_fetches(&http, &issuer).await, 1);

    // More unknown kids within the interval: refused, no fetch.
    for i in 0..5 {
        let e = rs
            .verify_request(
                "GET",
                "/accounts",
                &bearer(&unknown_kid_token(&format!("x{i}"))),
                None,
            )
            .await
            .unwrap_err();
        assert_eq!(e.error(), Some(CoreError::KeyNotFound));
        assert_eq!(
            e.detail(),
            Some(&Detail::UnknownKid {
                kid: Some(format!("x{i}")),
                alg: "ES256".into(),
                known: vec!["k2 (ES256)".into()],
            })
        );
    }
    assert_eq!(jwks_fetches(&http, &issuer).await, 1, "rate limited");

    // After the interval, one more fetch.
    tokio::time::sleep(INTERVAL).await;
    let e = rs
        .verify_request("GET", "/accounts", &bearer(&unknown_kid_token("y")), None)
        .await
        .unwrap_err();
    assert_eq!(e.error(), Some(CoreError::KeyNotFound));
    assert_eq!(jwks_fetches(&http, &issuer).await, 2);
    second.shutdown().await;
}

/// RFC 8414 §3.3: the metadata's `issuer` must be the URL discovered,
/// exactly; the error names both.
#[tokio::test]
async fn rfc8414_3_3_issuer_other_than_the_url_is_refused() {
    let (_, reg) = common::pkj_client(Profile::FAPI2, "fintech-1", true);
    let s = server("127.0.0.1:0".parse().unwrap(), "k1", &reg).await;
    let issuer = s.issuer().to_owned();
    let as_localhost = issuer.replace("127.0.0.1", "localhost");
    let e = Discovery::new(&as_localhost)
        .http_client(plain())
        .discover()
        .await
        .unwrap_err();
    assert_eq!(e.core(), CoreError::WrongIssuer);
    assert_eq!(
        e.detail(),
        Some(Detail::Mismatch {
            field: "issuer",
            expected: as_localhost.clone(),
            got: issuer.clone(),
        })
    );
    assert!(
        e.to_string()
            .contains(&format!("issuer: expected {as_localhost}, got {issuer}")),
        "{e}"
    );
    s.shutdown().await;
}

/// Nothing listening: a typed `Fetch` error, `temporarily_unavailable`.
#[tokio::test]
async fn unreachable_issuer_is_a_typed_fetch_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let e = fapi::IssuerKeys::discover(&format!("http://{addr}"))
        .await
        .unwrap_err();
    assert!(matches!(e, fapi::Error::Fetch { .. }), "{e}");
    assert_eq!(e.core(), CoreError::StoreFailed);
    assert_eq!(e.oauth_error(), OAuthError::TemporarilyUnavailable);
    assert!(
        e.to_string().starts_with("store_failed (fapi error "),
        "{e}"
    );
}
