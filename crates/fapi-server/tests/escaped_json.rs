//! JSON written with escapes (RFC 8259 §7) where the bank reads it: a
//! client's registered JWK Set as PHP's `json_encode` writes it (every `/`
//! as `\/`), and DPoP proofs and client assertions whose header and claims
//! are written with escapes. Valid JSON is read; it is never a 500.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::*;
use fapi::SigningKey;
use fapi_core::profile::Profile;
use fapi_server::dev_ca::DevCa;

/// RFC 8259 §7 (any character may be escaped) and RFC 6749 §5.2: a
/// `private_key_jwt` client whose registered JWK Set writes its `kid`
/// `keys\/2024\/1` authenticates at the token endpoint with assertions
/// whose header names `keys/2024/1`. The set used to be read without room
/// to decode the escape, and the token endpoint answered 500
/// `server_error`.
#[tokio::test]
async fn rfc8259_7_client_jwks_with_escaped_slashes_authenticates() {
    let profile = Profile::FAPI2;
    let key = SigningKey::generate(client_alg(&profile))
        .unwrap()
        .with_key_id("keys/2024/1")
        .unwrap();
    let jwks = fapi::KeySet::new(key.clone())
        .jwks_json()
        .unwrap()
        .replace('/', "\\/");
    assert!(jwks.contains(r#""keys\/2024\/1""#), "{jwks}");
    let (mut keys, mut reg) = pkj_client(profile, "fintech-php", true);
    keys.key = Some(key);
    reg.jwks = Some(jwks);
    let bank = bank(profile, DevCa::generate().unwrap(), vec![reg]).await;
    let client = client(profile, bank.server.issuer(), &keys);
    let http = http(&bank.ca, None);
    let r = send_dpop(&http, &client, || {
        client.client_credentials_request("accounts").unwrap()
    })
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.json()["access_token"].is_string(), "{}", r.body);
}
