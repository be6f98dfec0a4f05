//! ID tokens, JARM and signed introspection over HTTPS, encrypted where
//! the client registered it:
//!
//! - OpenID Connect Core §3.1.3.3: `openid` granted → an ID token in the
//!   token response, verified by the `fapi` Client (`nonce`, `at_hash`);
//!   §12.2: one on refresh too.
//! - OB-INTENT: under obie it carries the consent as
//!   `openbanking_intent_id`; one without it is refused by the Client.
//! - CDR-ALG: an ID token encrypted (nested JWT) to the client's enc key;
//!   a registration outside the set stops the server.
//! - OFB-ALG: a JARM response encrypted RSA-OAEP + A256GCM; outside the
//!   set, or `id_token_encrypted_response_alg` at all (OFB Security
//!   Profile §5.2.2.1), the server does not start.
//! - FAPI 2.0 Message Signing §5.4 (JARM): the code, and the decline's
//!   `access_denied`, only inside `response`; a plain response refused by
//!   the Client.
//! - RFC 9701: `Accept: application/token-introspection+jwt` gives the
//!   signed response.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::*;
use fapi::client::AuthSession;
use fapi::issuer::TokenResponse;
use fapi::jwe::{DecryptionKey, KeyAlg, Policy};
use fapi::{Client, IssuerKeys};
use fapi_core::profile::{Profile, SenderConstraint};
use fapi_server::ServeError;
use fapi_server::config::ClientConfig;
use fapi_server::dev_ca::DevCa;
use serde_json::json;

const ALICE: (&str, &str) = ("alice", "alice-password");

struct Setup {
    bank: Bank,
    issuer: String,
    client: Client,
    http: reqwest::Client,
    keys: IssuerKeys,
}

/// A bank under `profile` with one `private_key_jwt` client, its
/// registration edited by `edit`; the client runs under `client_profile`
/// (to ask for JARM where the bank's profile only offers it).
async fn setup(
    profile: Profile,
    client_profile: Profile,
    edit: impl FnOnce(&mut ClientConfig),
) -> Setup {
    let ca = DevCa::generate().unwrap();
    let dpop = profile.sender.contains(&SenderConstraint::Dpop);
    let (keys, mut reg) = pkj_client(profile, "fintech-1", dpop);
    edit(&mut reg);
    let bank = bank(profile, ca.clone(), vec![reg]).await;
    let issuer = bank.server.issuer().to_owned();
    let client = client(client_profile, &issuer, &keys);
    let (cert, key) = ca.client_certificate("CN=fintech-1,O=Fintech One").unwrap();
    let http = http(&ca, Some((&cert, &key)));
    let keys = issuer_keys(&http, &issuer).await;
    Setup {
        bank,
        issuer,
        client,
        http,
        keys,
    }
}

/// The client's JWK Set with the public half of `enc` added (`"use":
/// "enc"`, RFC 7517 §4.2).
fn with_enc_key(reg: &mut ClientConfig, enc: &DecryptionKey, alg: KeyAlg) {
    let mut set: serde_json::Value = serde_json::from_str(reg.jwks.as_deref().unwrap()).unwrap();
    let jwk: serde_json::Value = serde_json::from_str(&enc.public_jwk_json(alg)).unwrap();
    set["keys"].as_array_mut().unwrap().push(jwk);
    reg.jwks = Some(set.to_string());
}

/// An authorised account-access consent's id (client credentials, then
/// the consent endpoint).
async fn consent(s: &Setup) -> String {
    let cc = cc_token(&s.http, &s.client, "accounts").await;
    let url = format!(
        "{}/open-banking/v3.1/aisp/account-access-consents",
        s.issuer
    );
    let body = json!({"Data": {
        "Permissions": ["ReadAccountsDetail", "ReadBalances"],
        "ExpirationDateTime": "2030-01-01T00:00:00+00:00"
    }, "Risk": {}});
    let r = send_dpop(&s.http, &s.client, || {
        rs_request(&s.client, "POST", &url, &cc, Some(&body), &[])
    })
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["Data"]["ConsentId"].as_str().unwrap().to_owned()
}

/// The code's token response, as the Client reads it.
async fn redeem(s: &Setup, session: &AuthSession, code: &str) -> TokenResponse {
    let r = send_dpop(&s.http, &s.client, || {
        s.client.code_token_request(session, code).unwrap()
    })
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    s.client.token_response(&r.body).unwrap()
}

/// The query parameters of a redirect.
fn params(location: &str) -> Vec<(String, String)> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The user signs in and answers `action` (`approve` or `deny`) to an
/// `openid accounts` request for a fresh consent; JARM §2.3.1: the redirect
/// carries only `response`. Returns the session, the redirect and the
/// `response` value.
async fn jarm_redirect(s: &Setup, action: &str) -> (AuthSession, String, String) {
    let consent_id = consent(s).await;
    let (session, location) = authorize_redirect(
        &s.http,
        &s.client,
        "openid accounts",
        &consent_id,
        ALICE,
        action,
    )
    .await;
    let p = params(&location);
    assert_eq!(p.len(), 1, "only response: {location}");
    assert_eq!(p[0].0, "response", "{location}");
    let response = p[0].1.clone();
    (session, location, response)
}

/// The JOSE header of a compact JWS or JWE.
fn header(compact: &str) -> serde_json::Value {
    let h = compact.split('.').next().unwrap();
    let mut buf = vec![0u8; h.len()];
    serde_json::from_slice(fapi_core::b64::decode(h.as_bytes(), &mut buf).unwrap()).unwrap()
}

fn start_refusal(profile: Profile, edit: impl FnOnce(&mut ClientConfig)) -> String {
    let (_, mut reg) = pkj_client(profile, "fintech-1", false);
    edit(&mut reg);
    let config = fapi_server::ServerConfig::new(profile)
        .listen("127.0.0.1:0".parse().unwrap())
        .client(reg);
    let rt = tokio::runtime::Handle::current();
    match tokio::task::block_in_place(|| rt.block_on(fapi_server::start(config))) {
        Err(ServeError::Config(line)) => line,
        other => panic!(
            "{}: expected a refusal at start, got {other:?}",
            profile.name
        ),
    }
}

/// OpenID Connect Core §3.1.3.3: with `openid` granted the token response
/// has an ID token, which the fapi Client verifies: signature, `iss`,
/// `aud`, the session's `nonce`, `at_hash` of the access token issued with
/// it, `auth_time`; another access token's `at_hash` is refused. §12.2:
/// the refresh response has one too, about the same user.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidc_core_3_1_3_3_id_token_at_token_endpoint() {
    let s = setup(Profile::FAPI2, Profile::FAPI2, |_| {}).await;
    let consent_id = consent(&s).await;
    let (session, code) =
        authorize_code(&s.http, &s.client, "openid accounts", &consent_id, ALICE).await;
    assert!(session.nonce().is_some());
    let tokens = redeem(&s, &session, &code).await;
    let id_token = tokens.id_token.as_deref().expect("an id_token");
    let at = &tokens.access_token;
    let v = s
        .client
        .verify_id_token(&s.keys, id_token, Some(&session), Some(at))
        .unwrap();
    assert_eq!(v.subject, "alice");
    assert!(v.auth_time.is_some_and(|t| t <= v.issued_at));
    // at_hash binds the ID token to its access token.
    let other = cc_token(&s.http, &s.client, "accounts").await;
    let e = s
        .client
        .verify_id_token(&s.keys, id_token, Some(&session), Some(&other))
        .unwrap_err();
    assert_eq!(e.core(), fapi_core::Error::HashMismatch, "{e}");
    // OpenID Connect Core §12.2: refreshed, the same user, a new at_hash.
    let rt = tokens.refresh_token.as_deref().unwrap();
    let r = send_dpop(&s.http, &s.client, || s.client.refresh_request(rt).unwrap()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let refreshed = s.client.token_response(&r.body).unwrap();
    let v2 = s
        .client
        .verify_id_token(
            &s.keys,
            refreshed
                .id_token
                .as_deref()
                .expect("an id_token on refresh"),
            None,
            Some(&refreshed.access_token),
        )
        .unwrap();
    assert_eq!(v2.subject, v.subject);
    // Without openid, no ID token.
    let consent_id = consent(&s).await;
    let (session, code) = authorize_code(&s.http, &s.client, "accounts", &consent_id, ALICE).await;
    assert!(redeem(&s, &session, &code).await.id_token.is_none());
    s.bank.server.shutdown().await;
}

/// OB-INTENT: under obie the ID token carries the authorised consent as
/// `openbanking_intent_id`, and the Client reads it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ob_intent_id_token_carries_consent_id() {
    let s = setup(Profile::OBIE, Profile::OBIE, |_| {}).await;
    let consent_id = consent(&s).await;
    let (session, code) =
        authorize_code(&s.http, &s.client, "openid accounts", &consent_id, ALICE).await;
    let tokens = redeem(&s, &session, &code).await;
    let v = s
        .client
        .verify_id_token(
            &s.keys,
            tokens.id_token.as_deref().unwrap(),
            Some(&session),
            Some(&tokens.access_token),
        )
        .unwrap();
    assert_eq!(v.intent_id.as_deref(), Some(consent_id.as_str()));
    s.bank.server.shutdown().await;
}

/// OB-INTENT broken: an ID token without `openbanking_intent_id` (a fapi2
/// bank's) is refused by a client holding it to obie's rules.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ob_intent_id_token_without_intent_is_refused() {
    let s = setup(Profile::FAPI2, Profile::FAPI2, |_| {}).await;
    let consent_id = consent(&s).await;
    let (session, code) =
        authorize_code(&s.http, &s.client, "openid accounts", &consent_id, ALICE).await;
    let tokens = redeem(&s, &session, &code).await;
    // obie's rules, with the bank's algorithm.
    let obie = Profile {
        algs: Profile::FAPI2.algs,
        ..Profile::OBIE
    };
    let strict = Client::builder(obie, "fintech-1", &s.issuer)
        .redirect_uri(REDIRECT)
        .build()
        .unwrap();
    let e = strict
        .verify_id_token(&s.keys, tokens.id_token.as_deref().unwrap(), None, None)
        .unwrap_err();
    assert_eq!(e.core(), fapi_core::Error::MissingClaim, "{e}");
    s.bank.server.shutdown().await;
}

/// CDR-ALG: a client registering `id_token_encrypted_response_alg`
/// RSA-OAEP-256 with A256GCM gets its ID token as a nested JWT (`cty:
/// "JWT"`) to its enc key; decrypted with its key it verifies (nonce,
/// at_hash, the CDR `acr`). A registration outside CDR-ALG stops the
/// server at start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cdr_alg_encrypted_id_token() {
    let enc = DecryptionKey::generate()
        .unwrap()
        .with_key_id("fintech-enc")
        .unwrap();
    let s = setup(Profile::CDR, Profile::CDR, |reg| {
        with_enc_key(reg, &enc, KeyAlg::RsaOaep256);
        reg.id_token_encrypted_response_alg = Some("RSA-OAEP-256".into());
        reg.id_token_encrypted_response_enc = Some("A256GCM".into());
    })
    .await;
    let consent_id = consent(&s).await;
    let (session, code) =
        authorize_code(&s.http, &s.client, "openid accounts", &consent_id, ALICE).await;
    let tokens = redeem(&s, &session, &code).await;
    let jwe = tokens.id_token.as_deref().unwrap();
    assert_eq!(jwe.split('.').count(), 5, "a JWE");
    let h = header(jwe);
    assert_eq!(
        (&h["alg"], &h["enc"], &h["cty"], &h["kid"]),
        (
            &json!("RSA-OAEP-256"),
            &json!("A256GCM"),
            &json!("JWT"),
            &json!("fintech-enc")
        )
    );
    let inner = enc
        .decrypt_nested_jwt(jwe, &Policy::from_profile(&Profile::CDR))
        .unwrap();
    let v = s
        .client
        .verify_id_token(&s.keys, &inner, Some(&session), Some(&tokens.access_token))
        .unwrap();
    assert_eq!(v.acr.as_deref(), Some("urn:cds.au:cdr:2"));
    s.bank.server.shutdown().await;
    // CDR-ALG: A192GCM is not in the set.
    let line = start_refusal(Profile::CDR, |reg| {
        with_enc_key(reg, &enc, KeyAlg::RsaOaep);
        reg.id_token_encrypted_response_alg = Some("RSA-OAEP".into());
        reg.id_token_encrypted_response_enc = Some("A192GCM".into());
    });
    assert!(
        line.starts_with(
            "client fintech-1: under cdr, expected id_token_encrypted_response_enc one of A128GCM, A256GCM"
        ),
        "{line}"
    );
}

/// OFB-ALG: a client registering `authorization_encrypted_response_alg`
/// RSA-OAEP with A256GCM and asking for `response_mode=jwt` gets the JARM
/// response encrypted to its enc key; decrypted, the Client reads the code
/// from it and redeems it. RSA-OAEP-256 is outside OFB-ALG, and any
/// `id_token_encrypted_response_alg` is refused under ofb (OFB Security
/// Profile §5.2.2.1): the server does not start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ofb_alg_encrypted_jarm() {
    let enc = DecryptionKey::generate().unwrap();
    let jarm_client = Profile {
        jarm_required: true,
        ..Profile::OFB
    };
    let s = setup(Profile::OFB, jarm_client, |reg| {
        with_enc_key(reg, &enc, KeyAlg::RsaOaep);
        reg.authorization_encrypted_response_alg = Some("RSA-OAEP".into());
        reg.authorization_encrypted_response_enc = Some("A256GCM".into());
    })
    .await;
    let (session, _, response) = jarm_redirect(&s, "approve").await;
    let jwe = &response;
    assert_eq!(jwe.split('.').count(), 5, "a JWE");
    let h = header(jwe);
    assert_eq!(
        (&h["alg"], &h["enc"], &h["cty"]),
        (&json!("RSA-OAEP"), &json!("A256GCM"), &json!("JWT"))
    );
    let inner = enc
        .decrypt_nested_jwt(jwe, &Policy::from_profile(&Profile::OFB))
        .unwrap();
    let signed = format!("{REDIRECT}?response={}", &*inner);
    let code = s
        .client
        .authorization_response(&session, &s.keys, &signed)
        .unwrap();
    let tokens = redeem(&s, &session, &code).await;
    // The token endpoint's ID token: signed, not encrypted.
    assert_eq!(tokens.id_token.unwrap().split('.').count(), 3);
    s.bank.server.shutdown().await;

    let line = start_refusal(Profile::OFB, |reg| {
        with_enc_key(reg, &enc, KeyAlg::RsaOaep256);
        reg.authorization_encrypted_response_alg = Some("RSA-OAEP-256".into());
        reg.authorization_encrypted_response_enc = Some("A256GCM".into());
    });
    assert_eq!(
        line,
        "client fintech-1: under ofb, expected authorization_encrypted_response_alg one of RSA-OAEP, got RSA-OAEP-256"
    );
    let line = start_refusal(Profile::OFB, |reg| {
        with_enc_key(reg, &enc, KeyAlg::RsaOaep);
        reg.id_token_encrypted_response_alg = Some("RSA-OAEP".into());
        reg.id_token_encrypted_response_enc = Some("A256GCM".into());
    });
    assert_eq!(
        line,
        "client fintech-1: id_token_encrypted_response_alg RSA-OAEP is refused under ofb: OFB Security Profile §5.2.2.1 returns the token endpoint's ID token unencrypted"
    );
}

/// FAPI 2.0 Message Signing §5.4, JARM §2.3.1: under fapi2-ms the approval
/// redirect carries only `response`, signed by the issuer; the Client
/// reads the code from it (state and `iss` inside), redeems it and
/// verifies the ID token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fapi2_ms_5_4_jarm_success() {
    let s = setup(Profile::FAPI2_MS, Profile::FAPI2_MS, |_| {}).await;
    let (session, location, response) = jarm_redirect(&s, "approve").await;
    assert_eq!(response.split('.').count(), 3, "signed");
    let code = s
        .client
        .authorization_response(&session, &s.keys, &location)
        .unwrap();
    let tokens = redeem(&s, &session, &code).await;
    let _ = s
        .client
        .verify_id_token(
            &s.keys,
            tokens.id_token.as_deref().unwrap(),
            Some(&session),
            Some(&tokens.access_token),
        )
        .unwrap();
    s.bank.server.shutdown().await;
}

/// JARM §4.2 (errors are JARM responses too): the user's decline comes
/// back under fapi2-ms as a signed `response` carrying `access_denied`,
/// which the Client reports.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jarm_4_2_decline_is_a_signed_access_denied() {
    let s = setup(Profile::FAPI2_MS, Profile::FAPI2_MS, |_| {}).await;
    let (session, location, _) = jarm_redirect(&s, "deny").await;
    let e = s
        .client
        .authorization_response(&session, &s.keys, &location)
        .unwrap_err();
    assert!(e.to_string().contains("access_denied"), "{e}");
    s.bank.server.shutdown().await;
}

/// FAPI 2.0 Message Signing §5.4: a plain (unsigned) authorization
/// response is refused by the fapi2-ms Client, even with the right state
/// and `iss`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fapi2_ms_5_4_plain_response_refused_by_client() {
    let s = setup(Profile::FAPI2_MS, Profile::FAPI2_MS, |_| {}).await;
    let (_, session) = s
        .client
        .par_request(
            fapi_core::authorize::UserAction::new("On to your bank").unwrap(),
            "openid accounts",
            None,
        )
        .unwrap();
    let mut u = url::Url::parse(REDIRECT).unwrap();
    let _ = u
        .query_pairs_mut()
        .append_pair("code", "a-code")
        .append_pair("state", session.state())
        .append_pair("iss", &s.issuer);
    let e = s
        .client
        .authorization_response(&session, &s.keys, u.as_str())
        .unwrap_err();
    assert_eq!(e.core(), fapi_core::Error::PlainResponseRefused, "{e}");
    s.bank.server.shutdown().await;
}

/// RFC 9701 §4, §5: `Accept: application/token-introspection+jwt` gives
/// the signed response (`Content-Type: application/token-introspection+jwt`,
/// `aud` the caller), which the Client verifies; without it, RFC 7662
/// JSON. A caller registering `introspection_encrypted_response_alg` gets
/// it encrypted (RFC 9701 §6).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc9701_signed_introspection_by_accept() {
    let enc = DecryptionKey::generate().unwrap();
    for encrypted in [false, true] {
        let s = setup(Profile::FAPI2_MS, Profile::FAPI2_MS, |reg| {
            if encrypted {
                with_enc_key(reg, &enc, KeyAlg::RsaOaep);
                reg.introspection_encrypted_response_alg = Some("RSA-OAEP".into());
            }
        })
        .await;
        let token = cc_token(&s.http, &s.client, "accounts").await;
        let endpoint = format!("{}/introspect", s.issuer);
        let plain = send(
            &s.http,
            s.client.introspection_request(&endpoint, &token).unwrap(),
        )
        .await;
        assert_eq!(plain.status, 200, "{}", plain.body);
        assert_eq!(plain.headers["content-type"], "application/json");
        let mut req = s.client.introspection_request(&endpoint, &token).unwrap();
        let _ = req.headers_mut().insert(
            http::header::ACCEPT,
            http::HeaderValue::from_static("application/token-introspection+jwt"),
        );
        let r = send(&s.http, req).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            r.headers["content-type"],
            "application/token-introspection+jwt"
        );
        let jwt = if encrypted {
            assert_eq!(r.body.split('.').count(), 5, "a JWE");
            enc.decrypt_nested_jwt(&r.body, &Policy::from_profile(&Profile::FAPI2_MS))
                .unwrap()
                .to_string()
        } else {
            r.body.clone()
        };
        assert!(
            s.client
                .verify_signed_introspection(&s.keys, &jwt, "fintech-1")
                .unwrap()
        );
        s.bank.server.shutdown().await;
    }
}
