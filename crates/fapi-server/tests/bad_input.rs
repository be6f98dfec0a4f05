//! Malformed and hostile requests at the HTTP layer: each is answered with
//! the right OAuth error and status, never a 500 and never an acceptance.
//! One test per case.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::*;
use fapi_core::authorize::UserAction;
use fapi_core::profile::Profile;
use fapi_server::dev_ca::DevCa;
use serde_json::json;

struct Setup {
    bank: Bank,
    client: fapi::Client,
    http: reqwest::Client,
    issuer: String,
}

async fn fapi2() -> Setup {
    let profile = Profile::FAPI2;
    let (keys, reg) = pkj_client(profile, "fintech-1", true);
    let bank = bank(profile, DevCa::generate().unwrap(), vec![reg]).await;
    let issuer = bank.server.issuer().to_owned();
    let client = client(profile, &issuer, &keys);
    let http = http(&bank.ca, None);
    Setup {
        bank,
        client,
        http,
        issuer,
    }
}

async fn reply(r: reqwest::Response) -> Reply {
    Reply {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        body: r.text().await.unwrap(),
    }
}

async fn post_raw(s: &Setup, path: &str, ct: &str, body: impl Into<reqwest::Body>) -> Reply {
    let r = s
        .http
        .post(format!("{}{path}", s.issuer))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    reply(r).await
}

fn assert_oauth(r: &Reply, status: u16, error: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.json()["error"], error, "{}", r.body);
    assert_eq!(r.headers["cache-control"], "no-store");
}

fn action() -> UserAction {
    UserAction::new("On to your bank").unwrap()
}

async fn account_consent(s: &Setup) -> String {
    let cc = cc_token(&s.http, &s.client, "accounts").await;
    let url = format!(
        "{}/open-banking/v3.1/aisp/account-access-consents",
        s.issuer
    );
    let body = json!({"Data": {"Permissions": ["ReadAccountsDetail"]}, "Risk": {}});
    let r = send_dpop(&s.http, &s.client, || {
        rs_request(&s.client, "POST", &url, &cc, Some(&body), &[])
    })
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["Data"]["ConsentId"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn par_with_a_json_content_type_is_invalid_request() {
    let s = fapi2().await;
    let r = post_raw(
        &s,
        "/par",
        "application/json",
        r#"{"client_id":"fintech-1"}"#,
    )
    .await;
    assert_oauth(&r, 400, "invalid_request");
}

#[tokio::test]
async fn token_without_a_content_type_is_invalid_request() {
    let s = fapi2().await;
    let r = s
        .http
        .post(format!("{}/token", s.issuer))
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_oauth(&reply(r).await, 400, "invalid_request");
}

/// RFC 6749 §3.1: a parameter given twice.
#[tokio::test]
async fn par_with_a_duplicate_parameter_is_invalid_request() {
    let s = fapi2().await;
    let consent = account_consent(&s).await;
    let (par, _) = s
        .client
        .par_request(action(), "accounts", Some(&consent))
        .unwrap();
    let body = format!("{}&scope=payments", par.body());
    let r = post_raw(&s, "/par", "application/x-www-form-urlencoded", body).await;
    assert_oauth(&r, 400, "invalid_request");
}

#[tokio::test]
async fn token_with_a_duplicate_grant_type_is_invalid_request() {
    let s = fapi2().await;
    let r = post_raw(
        &s,
        "/token",
        "application/x-www-form-urlencoded",
        "grant_type=client_credentials&grant_type=refresh_token",
    )
    .await;
    assert_oauth(&r, 400, "invalid_request");
}

#[tokio::test]
async fn an_oversized_form_body_is_413() {
    let s = fapi2().await;
    let body = format!(
        "grant_type=client_credentials&pad={}",
        "a".repeat(fapi_server::MAX_BODY + 1)
    );
    let r = post_raw(&s, "/token", "application/x-www-form-urlencoded", body).await;
    assert_eq!(r.status, 413, "{}", r.body);
}

#[tokio::test]
async fn an_oversized_header_block_is_431() {
    let s = fapi2().await;
    let r = s
        .http
        .get(format!("{}/jwks", s.issuer))
        .header("x-padding", "a".repeat(fapi_server::MAX_HEAD + 1))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 431);
}

#[tokio::test]
async fn a_form_body_that_is_not_utf8_is_invalid_request() {
    let s = fapi2().await;
    let r = post_raw(
        &s,
        "/token",
        "application/x-www-form-urlencoded",
        vec![0xff, 0xfe, b'=', 0x80],
    )
    .await;
    assert_oauth(&r, 400, "invalid_request");
}

#[tokio::test]
async fn par_from_an_unknown_client_is_401_invalid_client() {
    let s = fapi2().await;
    let r = post_raw(
        &s,
        "/par",
        "application/x-www-form-urlencoded",
        "client_id=nobody&response_type=code&scope=accounts",
    )
    .await;
    assert_oauth(&r, 401, "invalid_client");
}

#[tokio::test]
async fn token_from_an_unknown_client_is_401_invalid_client() {
    let s = fapi2().await;
    let unknown = || {
        let req = s.client.client_credentials_request("accounts").unwrap();
        let (parts, body) = req.into_parts();
        let body = body.replace("client_id=fintech%2D1", "client_id=nobody");
        http::Request::from_parts(parts, body)
    };
    let r = send_dpop(&s.http, &s.client, unknown).await;
    assert_oauth(&r, 401, "invalid_client");
}

/// F2-SENDER: under DPoP the token endpoint requires a proof.
#[tokio::test]
async fn token_without_a_dpop_header_is_invalid_dpop_proof() {
    let s = fapi2().await;
    let req = s.client.client_credentials_request("accounts").unwrap();
    let r = post_raw(
        &s,
        "/token",
        "application/x-www-form-urlencoded",
        req.body().clone(),
    )
    .await;
    assert_oauth(&r, 400, "invalid_dpop_proof");
}

/// RFC 9449 §8: the first proof without the server's nonce.
#[tokio::test]
async fn token_proof_without_the_nonce_is_use_dpop_nonce_with_a_nonce() {
    let s = fapi2().await;
    let r = send(
        &s.http,
        s.client.client_credentials_request("accounts").unwrap(),
    )
    .await;
    assert_oauth(&r, 400, "use_dpop_nonce");
    assert!(r.headers.contains_key("dpop-nonce"));
}

/// RFC 9449 §11.1: the same proof twice.
#[tokio::test]
async fn a_replayed_dpop_proof_is_invalid_dpop_proof() {
    let s = fapi2().await;
    let _ = cc_token(&s.http, &s.client, "accounts").await;
    let req = s.client.client_credentials_request("accounts").unwrap();
    let proof = req.headers()["dpop"].to_str().unwrap().to_owned();
    let ok = send(&s.http, req).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let mut again = s.client.client_credentials_request("accounts").unwrap();
    let _ = again
        .headers_mut()
        .insert("dpop", http::HeaderValue::from_str(&proof).unwrap());
    assert_oauth(&send(&s.http, again).await, 400, "invalid_dpop_proof");
}

#[tokio::test]
async fn token_with_an_unknown_grant_type_is_unsupported_grant_type() {
    let s = fapi2().await;
    let r = post_raw(
        &s,
        "/token",
        "application/x-www-form-urlencoded",
        "grant_type=password&username=a&password=b",
    )
    .await;
    assert_oauth(&r, 400, "unsupported_grant_type");
}

#[tokio::test]
async fn client_credentials_for_an_unregistered_scope_is_invalid_scope() {
    let s = fapi2().await;
    let r = send_dpop(&s.http, &s.client, || {
        s.client.client_credentials_request("admin").unwrap()
    })
    .await;
    assert_oauth(&r, 400, "invalid_scope");
}

/// F2-CODE-ONCE: the same code twice.
#[tokio::test]
async fn a_replayed_code_is_invalid_grant() {
    let s = fapi2().await;
    let consent = account_consent(&s).await;
    let (session, code) = authorize_code(
        &s.http,
        &s.client,
        "accounts",
        &consent,
        ("alice", "alice-password"),
    )
    .await;
    let first = send_dpop(&s.http, &s.client, || {
        s.client.code_token_request(&session, &code).unwrap()
    })
    .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let again = send_dpop(&s.http, &s.client, || {
        s.client.code_token_request(&session, &code).unwrap()
    })
    .await;
    assert_oauth(&again, 400, "invalid_grant");
}

#[tokio::test]
async fn par_for_an_unknown_consent_is_invalid_request() {
    let s = fapi2().await;
    let (par, _) = s
        .client
        .par_request(action(), "accounts", Some("aac-unknown"))
        .unwrap();
    let r = send(&s.http, par).await;
    assert_oauth(&r, 400, "invalid_request");
}

#[tokio::test]
async fn par_for_an_unregistered_redirect_uri_is_invalid_request() {
    let s = fapi2().await;
    let consent = account_consent(&s).await;
    let (par, _) = s
        .client
        .par_request(action(), "accounts", Some(&consent))
        .unwrap();
    let body = par.body().replace("fintech%2Eexample", "evil%2Eexample");
    assert_ne!(&body, par.body());
    let r = post_raw(&s, "/par", "application/x-www-form-urlencoded", body).await;
    assert_oauth(&r, 400, "invalid_request");
}

/// F2-PAR: no pushed request, no authorization.
#[tokio::test]
async fn authorize_without_a_request_uri_is_an_error_page() {
    let s = fapi2().await;
    let r = s
        .http
        .get(format!(
            "{}/authorize?client_id=fintech-1&response_type=code&scope=accounts",
            s.issuer
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    assert!(r.text().await.unwrap().contains("invalid_request"));
}

#[tokio::test]
async fn authorize_with_a_duplicate_request_uri_is_refused() {
    let s = fapi2().await;
    let r = s
        .http
        .get(format!(
            "{}/authorize?client_id=fintech-1&request_uri=a&request_uri=b",
            s.issuer
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

async fn login_page(s: &Setup) -> String {
    let consent = account_consent(s).await;
    let (par, _) = s
        .client
        .par_request(action(), "accounts", Some(&consent))
        .unwrap();
    let r = send(&s.http, par).await;
    let uri = r.json()["request_uri"].as_str().unwrap().to_owned();
    s.http
        .get(s.client.authorization_url(&uri))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn login(s: &Setup, html: &str, csrf: &str, password: &str) -> reqwest::Response {
    s.http
        .post(format!("{}/authorize/login", s.issuer))
        .form(&[
            ("txn", hidden(html, "txn").as_str()),
            ("csrf", csrf),
            ("username", "alice"),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_wrong_password_shows_the_login_page_again_with_401() {
    let s = fapi2().await;
    let html = login_page(&s).await;
    let r = login(&s, &html, &hidden(&html, "csrf"), "wrong").await;
    assert_eq!(r.status(), 401);
    let page = r.text().await.unwrap();
    assert!(page.contains("wrong") && page.contains("action=\"/authorize/login\""));
}

#[tokio::test]
async fn a_login_with_another_csrf_token_is_refused() {
    let s = fapi2().await;
    let html = login_page(&s).await;
    let r = login(&s, &html, "forged", "alice-password").await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn a_consent_decision_before_login_is_refused() {
    let s = fapi2().await;
    let html = login_page(&s).await;
    let r = s
        .http
        .post(format!("{}/authorize/consent", s.issuer))
        .form(&[
            ("txn", hidden(&html, "txn")),
            ("csrf", hidden(&html, "csrf")),
            ("decision", "approve".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn a_denied_consent_redirects_with_access_denied_and_iss() {
    let s = fapi2().await;
    let html = login_page(&s).await;
    let page = login(&s, &html, &hidden(&html, "csrf"), "alice-password")
        .await
        .text()
        .await
        .unwrap();
    let r = s
        .http
        .post(format!("{}/authorize/consent", s.issuer))
        .form(&[
            ("txn", hidden(&page, "txn")),
            ("csrf", hidden(&page, "csrf")),
            ("decision", "deny".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let loc = r.headers()["location"].to_str().unwrap();
    assert!(
        loc.starts_with(REDIRECT) && loc.contains("error=access_denied") && loc.contains("iss="),
        "{loc}"
    );
}

#[tokio::test]
async fn resource_request_with_bad_json_is_invalid_request() {
    let s = fapi2().await;
    let cc = cc_token(&s.http, &s.client, "accounts").await;
    let url = format!(
        "{}/open-banking/v3.1/aisp/account-access-consents",
        s.issuer
    );
    let r = send_dpop(&s.http, &s.client, || {
        let mut req = rs_request(&s.client, "POST", &url, &cc, Some(&json!({})), &[]);
        *req.body_mut() = "{\"Data\":".into();
        req
    })
    .await;
    assert_oauth(&r, 400, "invalid_request");
}

#[tokio::test]
async fn resource_request_without_a_token_is_401() {
    let s = fapi2().await;
    let r = s
        .http
        .get(format!("{}/open-banking/v3.1/aisp/accounts", s.issuer))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().contains_key("www-authenticate"));
}

#[tokio::test]
async fn resource_request_for_an_unknown_consent_is_refused() {
    let s = fapi2().await;
    let cc = cc_token(&s.http, &s.client, "accounts").await;
    let url = format!(
        "{}/open-banking/v3.1/aisp/account-access-consents/aac-nope",
        s.issuer
    );
    let r = send_dpop(&s.http, &s.client, || {
        rs_request(&s.client, "GET", &url, &cc, None, &[])
    })
    .await;
    assert_oauth(&r, 400, "invalid_request");
}

#[tokio::test]
async fn payment_consent_without_an_idempotency_key_is_invalid_request() {
    let s = fapi2().await;
    let cc = cc_token(&s.http, &s.client, "payments").await;
    let url = format!(
        "{}/open-banking/v3.1/pisp/domestic-payment-consents",
        s.issuer
    );
    let body = json!({"Data": {"Initiation": {}}, "Risk": {}});
    let r = send_dpop(&s.http, &s.client, || {
        rs_request(&s.client, "POST", &url, &cc, Some(&body), &[])
    })
    .await;
    assert_oauth(&r, 400, "invalid_request");
}

#[tokio::test]
async fn an_unknown_endpoint_is_404_json() {
    let s = fapi2().await;
    let r = s
        .http
        .get(format!("{}/nope", s.issuer))
        .send()
        .await
        .unwrap();
    assert_oauth(&reply(r).await, 404, "invalid_request");
    s.bank.server.shutdown().await;
}

/// BG-MTLS: a certificate of the trusted CA with another subject DN, and
/// a self-signed certificate with the registered DN.
#[tokio::test]
async fn a_tls_client_certificate_that_does_not_match_is_invalid_client() {
    let profile = Profile::BERLIN;
    let ca = DevCa::generate().unwrap();
    let (keys, reg) = tls_client(profile, "tpp-1", "CN=tpp-1,O=Example TPP");
    let bank = bank(profile, ca.clone(), vec![reg]).await;
    let client = client(profile, bank.server.issuer(), &keys);
    let (cert, key) = ca
        .client_certificate("CN=someone-else,O=Example TPP")
        .unwrap();
    let other = http(&ca, Some((&cert, &key)));
    let r = send(
        &other,
        client.client_credentials_request("accounts").unwrap(),
    )
    .await;
    assert_oauth(&r, 401, "invalid_client");
    let (pem, _, key) =
        fapi_server::dev_ca::self_signed_client_certificate("CN=tpp-1,O=Example TPP").unwrap();
    let forged = http(&ca, Some((&pem, &key)));
    let r = send(
        &forged,
        client.client_credentials_request("accounts").unwrap(),
    )
    .await;
    assert_oauth(&r, 401, "invalid_client");
}

/// RFC 8705 §2, RFC 6749 §5.2: a `tls_client_auth` client without a
/// certificate has not authenticated: `401 invalid_client`.
#[tokio::test]
async fn a_tls_client_without_a_certificate_is_refused() {
    let profile = Profile::BERLIN;
    let ca = DevCa::generate().unwrap();
    let (keys, reg) = tls_client(profile, "tpp-1", "CN=tpp-1,O=Example TPP");
    let bank = bank(profile, ca.clone(), vec![reg]).await;
    let client = client(profile, bank.server.issuer(), &keys);
    let bare = http(&ca, None);
    let r = send(
        &bare,
        client.client_credentials_request("accounts").unwrap(),
    )
    .await;
    assert_oauth(&r, 401, "invalid_client");
}

/// OB-SENDER: no certificate, no certificate-bound token.
#[tokio::test]
async fn an_mtls_token_request_without_a_certificate_is_refused() {
    let profile = Profile::OBIE;
    let ca = DevCa::generate().unwrap();
    let (keys, reg) = pkj_client(profile, "fintech-1", false);
    let bank = bank(profile, ca.clone(), vec![reg]).await;
    let client = client(profile, bank.server.issuer(), &keys);
    let bare = http(&ca, None);
    let r = send(
        &bare,
        client.client_credentials_request("accounts").unwrap(),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.json()["error"].is_string());
}

/// OB-REQOBJ: plain parameters without a signed request object.
#[tokio::test]
async fn obie_par_without_a_request_object_is_refused() {
    let profile = Profile::OBIE;
    let ca = DevCa::generate().unwrap();
    let (keys, reg) = pkj_client(profile, "fintech-1", false);
    let bank = bank(profile, ca.clone(), vec![reg]).await;
    let client = client(profile, bank.server.issuer(), &keys);
    let (cert, key) = ca.client_certificate("CN=fintech-1").unwrap();
    let http = http(&ca, Some((&cert, &key)));
    let (par, _) = client.par_request(action(), "openid", None).unwrap();
    let body: String = par
        .body()
        .split('&')
        .filter(|p| !p.starts_with("request="))
        .collect::<Vec<_>>()
        .join("&");
    let r = http
        .post(format!("{}/par", bank.server.issuer()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

/// A replay store whose backend is unreachable.
struct Unreachable;

#[async_trait::async_trait]
impl fapi::store::ReplayStore for Unreachable {
    async fn record_once(&self, _: &[u8], _: u64, _: u64) -> Result<(), fapi_core::Error> {
        Err(fapi_core::Error::StoreFailed)
    }
}

/// A store that fails is 503 `temporarily_unavailable`, never an
/// acceptance.
#[tokio::test]
async fn an_unreachable_store_is_503_temporarily_unavailable() {
    let profile = Profile::FAPI2;
    let (keys, reg) = pkj_client(profile, "fintech-1", true);
    let ca = DevCa::generate().unwrap();
    let mut stores = fapi_server::Stores::memory();
    stores.replay = std::sync::Arc::new(Unreachable);
    let server = fapi_server::start(
        fapi_server::ServerConfig::new(profile)
            .listen("127.0.0.1:0".parse().unwrap())
            .dev_ca(ca.clone())
            .stores(stores)
            .client(reg),
    )
    .await
    .unwrap();
    let client = client(profile, server.issuer(), &keys);
    let http = http(&ca, None);
    let r = send_dpop(&http, &client, || {
        client.client_credentials_request("accounts").unwrap()
    })
    .await;
    assert_oauth(&r, 503, "temporarily_unavailable");
    server.shutdown().await;
}
