//! FAPI 1.0 Part 1 §6.2.1-11 (mandatory in Open Finance Brasil): every
//! resource server response carries `x-fapi-interaction-id`, the client's
//! UUID echoed or a fresh one, on success and on every refusal (400, 401,
//! 403, 404); a value that is not an RFC 4122 UUID is refused with a
//! fresh id. Over HTTPS under obie and ofb (MTLS) and fapi2 (DPoP).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::*;
use fapi_core::interaction::InteractionId;
use fapi_core::profile::{Profile, SenderConstraint};
use fapi_server::dev_ca::DevCa;
use serde_json::json;

const HEADER: &str = "x-fapi-interaction-id";
const AISP: &str = "/open-banking/v3.1/aisp";

fn id_of(r: &Reply) -> String {
    r.headers
        .get(HEADER)
        .unwrap_or_else(|| panic!("no {HEADER}: {} {}", r.status, r.body))
        .to_str()
        .unwrap()
        .to_owned()
}

fn fresh(r: &Reply) -> String {
    let id = id_of(r);
    assert!(InteractionId::parse(id.as_bytes()).is_ok(), "{id}");
    id
}

async fn echoed_on_every_response(profile: Profile) {
    let ca = DevCa::generate().unwrap();
    let dpop = profile.sender.contains(&SenderConstraint::Dpop);
    let (keys, reg) = pkj_client(profile, "fintech-1", dpop);
    let bank = bank(profile, ca.clone(), vec![reg]).await;
    let issuer = bank.server.issuer().to_owned();
    let client = client(profile, &issuer, &keys);
    let (cert, key) = ca.client_certificate("CN=fintech-1,O=Fintech One").unwrap();
    let http = http(&ca, Some((&cert, &key)));
    let cc = cc_token(&http, &client, "accounts").await;
    let sent = "C1B2D3E4-0000-4000-8000-00000000002A";
    let with_id = [(HEADER, sent)];
    let consents = format!("{issuer}{AISP}/account-access-consents");
    let accounts = format!("{issuer}{AISP}/accounts");
    let body = json!({"Data": {"Permissions": ["ReadBalances"]}, "Risk": {}});

    // 201: the consent created, the id echoed as sent.
    let r = send_dpop(&http, &client, || {
        rs_request(&client, "POST", &consents, &cc, Some(&body), &with_id)
    })
    .await;
    assert_eq!((r.status, id_of(&r)), (201, sent.to_owned()), "{}", r.body);
    // 403: a client credentials token reads no account data.
    let r = send_dpop(&http, &client, || {
        rs_request(&client, "GET", &accounts, &cc, None, &with_id)
    })
    .await;
    assert_eq!((r.status, id_of(&r)), (403, sent.to_owned()), "{}", r.body);
    // 400: a consent body that is not JSON.
    let r = send_dpop(&http, &client, || {
        let mut req = rs_request(&client, "POST", &consents, &cc, Some(&body), &with_id);
        *req.body_mut() = "{".into();
        req
    })
    .await;
    assert_eq!((r.status, id_of(&r)), (400, sent.to_owned()), "{}", r.body);
    // 401: no token at all; 404: no such resource.
    for (url, status) in [
        (accounts.clone(), 401),
        (format!("{issuer}{AISP}/no-such-resource"), 404),
    ] {
        let r = send(
            &http,
            http::Request::get(&url)
                .header(HEADER, sent)
                .body(String::new())
                .unwrap(),
        )
        .await;
        assert_eq!((r.status, id_of(&r)), (status, sent.to_owned()), "{url}");
        // None sent: a fresh UUID, one per response.
        let a = send(&http, http::Request::get(&url).body(String::new()).unwrap()).await;
        let b = send(&http, http::Request::get(&url).body(String::new()).unwrap()).await;
        assert_eq!(a.status, status);
        assert_ne!(fresh(&a), fresh(&b));
    }

    // Not a UUID: refused 400 invalid_request before anything is read,
    // with a fresh id, never the value sent.
    let r = send_dpop(&http, &client, || {
        rs_request(
            &client,
            "POST",
            &consents,
            &cc,
            Some(&body),
            &[(HEADER, "1234")],
        )
    })
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["error"], "invalid_request", "{}", r.body);
    assert!(
        r.json()["error_description"]
            .as_str()
            .unwrap()
            .contains("\"1234\""),
        "{}",
        r.body
    );
    assert_ne!(fresh(&r), "1234");
    bank.server.shutdown().await;
}

/// FAPI 1.0 Part 1 §6.2.1-11 under obie (FAPI 1.0 Advanced).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn obie_fapi1_6_2_1_11_interaction_id_on_every_response() {
    echoed_on_every_response(Profile::OBIE).await;
}

/// FAPI 1.0 Part 1 §6.2.1-11, mandatory in Open Finance Brasil.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ofb_fapi1_6_2_1_11_interaction_id_on_every_response() {
    echoed_on_every_response(Profile::OFB).await;
}

/// The same under fapi2, where it is harmless (DPoP-bound tokens).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fapi2_interaction_id_on_every_response() {
    echoed_on_every_response(Profile::FAPI2).await;
}
