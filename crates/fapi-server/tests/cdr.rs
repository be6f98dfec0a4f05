//! The CDR rules of the token endpoint, introspection and arrangements,
//! over HTTPS under `cdr`: the token response names the arrangement
//! (`cdr_arrangement_id`); introspection of a refresh token answers
//! `active`, `exp`, `scope` and `cdr_arrangement_id`, never `username`
//! (CDR-INTROSPECT); a new authorisation naming an authorised arrangement
//! amends it, revoking the old refresh token only once it succeeds, while
//! unknown ids and another client's are refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::*;
use fapi::Client;
use fapi_core::authorize::UserAction;
use fapi_core::profile::Profile;
use fapi_server::dev_ca::DevCa;
use serde_json::json;

const CDR: Profile = Profile::CDR;
/// The sharing duration asked for: 90 days (CDR: refresh tokens live up
/// to it).
const SHARING: u64 = 90 * 24 * 3600;
const ALICE: (&str, &str) = ("alice", "alice-password");

struct Fintech {
    client: Client,
    http: reqwest::Client,
}

/// A `private_key_jwt` client's keys, registration and TLS certificate
/// (CDR-HOK: tokens bound to it).
fn registration(
    ca: &DevCa,
    id: &str,
) -> (
    ClientKeys,
    fapi_server::config::ClientConfig,
    reqwest::Client,
) {
    let (keys, reg) = pkj_client(CDR, id, false);
    let (cert, key) = ca
        .client_certificate(&format!("CN={id},O=Fintech"))
        .unwrap();
    (keys, reg, http(ca, Some((&cert, &key))))
}

/// The client at `issuer`, asking for a 90-day sharing duration.
fn fintech(issuer: &str, keys: &ClientKeys, http: reqwest::Client) -> Fintech {
    let client = Client::builder(CDR, &keys.id, issuer)
        .redirect_uri(REDIRECT)
        .signing_key(keys.key.clone().unwrap())
        .sharing_duration(SHARING)
        .build()
        .unwrap();
    Fintech { client, http }
}

/// An account-access consent (the arrangement) created by `f`.
async fn arrangement(f: &Fintech, issuer: &str) -> String {
    let cc = cc_token(&f.http, &f.client, "accounts").await;
    let url = format!("{issuer}/open-banking/v3.1/aisp/account-access-consents");
    let body = json!({"Data": {"Permissions": ["ReadAccountsDetail", "ReadBalances"]}, "Risk": {}});
    let r = send(
        &f.http,
        rs_request(&f.client, "POST", &url, &cc, Some(&body), &[]),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["Data"]["ConsentId"].as_str().unwrap().to_owned()
}

async fn introspect(f: &Fintech, issuer: &str, token: &str) -> serde_json::Value {
    let req = f
        .client
        .introspection_request(&format!("{issuer}/introspect"), token)
        .unwrap();
    let r = send(&f.http, req).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

async fn refresh(f: &Fintech, token: &str) -> common::Reply {
    send(&f.http, f.client.refresh_request(token).unwrap()).await
}

/// The pushed request naming the arrangement `id`.
async fn par(f: &Fintech, id: &str) -> common::Reply {
    let (req, _) = f
        .client
        .par_request(
            UserAction::new("On to your bank").unwrap(),
            "openid accounts",
            Some(id),
        )
        .unwrap();
    send(&f.http, req).await
}

/// The consent page `user` reaches for the pushed request `uri`: the login
/// page, then the login form posted with the user's password.
async fn consent_page(f: &Fintech, issuer: &str, uri: &str, user: &str) -> String {
    let html = f
        .http
        .get(f.client.authorization_url(uri))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    f.http
        .post(format!("{issuer}/authorize/login"))
        .form(&[
            ("txn", hidden(&html, "txn")),
            ("csrf", hidden(&html, "csrf")),
            ("username", user.into()),
            ("password", format!("{user}-password")),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// CDR token rules: the token response of a code grant, and of a
/// refresh, carries `cdr_arrangement_id`; CDR-INTROSPECT: introspection
/// of the refresh token answers `active`, `exp`, `scope` and
/// `cdr_arrangement_id`, and never `username`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cdr_token_response_and_cdr_introspect_name_the_arrangement() {
    let ca = DevCa::generate().unwrap();
    let (keys, reg, tls) = registration(&ca, "fintech-1");
    let bank = bank(CDR, ca.clone(), vec![reg]).await;
    let issuer = bank.server.issuer().to_owned();
    let f = fintech(&issuer, &keys, tls);
    let id = arrangement(&f, &issuer).await;
    let before = now();
    let tokens = authorize(&f.http, &f.client, "openid accounts", &id, ALICE).await;
    assert_eq!(tokens["cdr_arrangement_id"], id.as_str(), "{tokens}");
    let rt = tokens["refresh_token"].as_str().unwrap().to_owned();

    let v = introspect(&f, &issuer, &rt).await;
    assert_eq!(v["active"], true, "{v}");
    assert_eq!(v["cdr_arrangement_id"], id.as_str(), "{v}");
    assert_eq!(v["scope"], "openid accounts", "{v}");
    assert!(v.get("username").is_none(), "{v}");
    // exp: when the refresh token stops being active, more than 28 days
    // and up to the sharing duration from its issue.
    let exp = v["exp"].as_u64().unwrap_or_else(|| panic!("no exp: {v}"));
    assert!(exp > before + 28 * 24 * 3600, "{exp}");
    assert!(exp <= now() + SHARING, "{exp}");

    let r = refresh(&f, &rt).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["cdr_arrangement_id"], id.as_str(), "{}", r.body);
    bank.server.shutdown().await;
}

/// The CDR rule for a new authorisation naming an existing arrangement:
/// allowed for the client that holds it; the old refresh token stays
/// active while the amendment is under way and is revoked once it
/// succeeds (its code redeemed); the new tokens carry the same
/// `cdr_arrangement_id`. A denied amendment revokes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cdr_arrangement_amended_old_tokens_revoked_after_success() {
    let ca = DevCa::generate().unwrap();
    let (keys, reg, tls) = registration(&ca, "fintech-1");
    let bank = bank(CDR, ca.clone(), vec![reg]).await;
    let issuer = bank.server.issuer().to_owned();
    let f = fintech(&issuer, &keys, tls);
    let id = arrangement(&f, &issuer).await;
    let first = authorize(&f.http, &f.client, "openid accounts", &id, ALICE).await;
    let old_rt = first["refresh_token"].as_str().unwrap().to_owned();

    // The amendment: PAR, login, approval; the old token still works.
    let (session, code) = authorize_code(&f.http, &f.client, "openid accounts", &id, ALICE).await;
    assert_eq!(introspect(&f, &issuer, &old_rt).await["active"], true);
    let r = send(
        &f.http,
        f.client.code_token_request(&session, &code).unwrap(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let amended = r.json();
    assert_eq!(amended["cdr_arrangement_id"], id.as_str(), "{amended}");
    let new_rt = amended["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(new_rt, old_rt);

    // Once it succeeded: the old refresh token is revoked, the new one is
    // live under the same arrangement.
    assert_eq!(
        introspect(&f, &issuer, &old_rt).await,
        json!({"active": false})
    );
    let r = refresh(&f, &old_rt).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["error"], "invalid_grant");
    let v = introspect(&f, &issuer, &new_rt).await;
    assert_eq!(
        (v["active"].clone(), v["cdr_arrangement_id"].clone()),
        (json!(true), json!(id))
    );
    let r = refresh(&f, &new_rt).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // The arrangement stays authorised, and its data readable.
    let at = amended["access_token"].as_str().unwrap();
    let accounts = format!("{issuer}/open-banking/v3.1/aisp/accounts");
    let r = send(
        &f.http,
        rs_request(&f.client, "GET", &accounts, at, None, &[]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // The access token of the earlier authorisation is revoked with its
    // grant: the resource server refuses it.
    let old_at = first["access_token"].as_str().unwrap();
    let r = send(
        &f.http,
        rs_request(&f.client, "GET", &accounts, old_at, None, &[]),
    )
    .await;
    assert_eq!(r.status, 401, "{}", r.body);

    // An amendment the user denies changes nothing.
    let r = par(&f, &id).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let uri = r.json()["request_uri"].as_str().unwrap().to_owned();
    let page = consent_page(&f, &issuer, &uri, "alice").await;
    assert!(page.contains("Amends"), "{page}");
    let denied = f
        .http
        .post(format!("{issuer}/authorize/consent"))
        .form(&[
            ("txn", hidden(&page, "txn")),
            ("csrf", hidden(&page, "csrf")),
            ("decision", "deny".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 303);
    assert_eq!(introspect(&f, &issuer, &new_rt).await["active"], true);
    bank.server.shutdown().await;
}

/// The CDR rule's refusals: a PAR naming an unknown arrangement, or one
/// another client holds, is `400 invalid_request`; an amendment is
/// approved only by the user who authorised the arrangement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cdr_arrangement_unknown_or_another_clients_refused() {
    let ca = DevCa::generate().unwrap();
    let (keys, reg, tls) = registration(&ca, "fintech-1");
    let (other_keys, other_reg, other_tls) = registration(&ca, "fintech-2");
    let bank = bank(CDR, ca.clone(), vec![reg, other_reg]).await;
    let issuer = bank.server.issuer().to_owned();
    let f = fintech(&issuer, &keys, tls);
    let other = fintech(&issuer, &other_keys, other_tls);
    let id = arrangement(&f, &issuer).await;
    let _ = authorize(&f.http, &f.client, "openid accounts", &id, ALICE).await;

    for (who, named) in [(&f, "aac-unknown"), (&other, id.as_str())] {
        let r = par(who, named).await;
        assert_eq!(r.status, 400, "{named}: {}", r.body);
        assert_eq!(r.json()["error"], "invalid_request", "{}", r.body);
    }

    // Another user cannot approve the amendment of alice's arrangement.
    let r = par(&f, &id).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let uri = r.json()["request_uri"].as_str().unwrap().to_owned();
    let page = consent_page(&f, &issuer, &uri, "bob").await;
    let r = f
        .http
        .post(format!("{issuer}/authorize/consent"))
        .form(&[
            ("txn", hidden(&page, "txn")),
            ("csrf", hidden(&page, "csrf")),
            ("decision", "approve".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
    bank.server.shutdown().await;
}
