//! Signed resource requests and responses over HTTPS (RFC 9421, RFC 9530,
//! FAPI 2.0 HTTP Signatures; BG-SIGNED-REQ) under `berlin` (certificate-
//! bound tokens, `tls_client_auth`) and `fapi2-ms` (DPoP with nonces):
//! unsigned and tampered requests are refused with the core's code, a
//! signed one is served and its response verifies with the client's keys
//! of the bank (its `jwks_uri`), for that request only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::*;
use fapi_core::profile::Profile;
use fapi_server::config::ClientConfig;
use fapi_server::dev_ca::DevCa;
use serde_json::json;

const DN: &str = "CN=tpp-1,O=Example TPP";

fn consent_body() -> serde_json::Value {
    json!({"Data": {
        "Permissions": ["ReadAccountsDetail", "ReadBalances"],
        "ExpirationDateTime": "2030-01-01T00:00:00+00:00"
    }, "Risk": {}})
}

/// Sends what `make` builds (again on `use_dpop_nonce`) and returns the
/// request last sent with its reply.
async fn send_kept(
    http: &reqwest::Client,
    client: &fapi::Client,
    make: impl Fn() -> http::Request<String>,
) -> (http::Request<String>, Reply) {
    let req = make();
    let r = send(http, req.clone()).await;
    client.remember_dpop_nonce(&r.headers);
    if (r.status == 400 || r.status == 401) && r.body.contains("use_dpop_nonce") {
        let req = make();
        let r = send(http, req.clone()).await;
        return (req, r);
    }
    (req, r)
}

fn assert_code(r: &Reply, status: u16, code: u16) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.json()["error"], "invalid_request", "{}", r.body);
    let description = r.json()["error_description"].as_str().unwrap().to_owned();
    assert!(
        description.contains(&format!("fapi error {code} ")),
        "{description}"
    );
    assert!(
        r.headers.contains_key("accept-signature"),
        "{:?}",
        r.headers
    );
}

async fn signed_messages_under(profile: Profile) {
    let ca = DevCa::generate().unwrap();
    let (keys, reg) = if profile.id == fapi_core::profile::ProfileId::Berlin {
        tls_client(profile, "tpp-1", DN)
    } else {
        pkj_client(profile, "tpp-1", true)
    };
    let bank = bank(profile, ca.clone(), vec![reg]).await;
    let issuer = bank.server.issuer().to_owned();
    let client = client(profile, &issuer, &keys);
    let (cert, key) = ca.client_certificate(DN).unwrap();
    let http = http(&ca, Some((&cert, &key)));
    let md = send(
        &http,
        http::Request::get(format!("{issuer}/.well-known/oauth-authorization-server"))
            .body(String::new())
            .unwrap(),
    )
    .await
    .json();
    assert_eq!(md["http_message_signatures_required"], true, "{md}");
    let jwks = send(
        &http,
        http::Request::get(format!("{issuer}/jwks"))
            .body(String::new())
            .unwrap(),
    )
    .await
    .body;

    let cc = cc_token(&http, &client, "accounts").await;
    let url = format!("{issuer}/open-banking/v3.1/aisp/account-access-consents");
    let body = consent_body();

    // Signed: served, and the response is signed for this request.
    let (sent, r) = send_kept(&http, &client, || {
        rs_request(&client, "POST", &url, &cc, Some(&body), &[])
    })
    .await;
    assert_eq!(r.status, 201, "{}: {}", profile.name, r.body);
    let sig = client
        .verify_resource_response(&sent, r.status, &r.headers, r.body.as_bytes(), &jwks)
        .unwrap();
    assert!(!sig.key_id.is_empty());
    let id = r.json()["Data"]["ConsentId"].as_str().unwrap().to_owned();

    // A GET (no content) is signed and answered signed too.
    let get = format!("{url}/{id}");
    let (sent_get, g) = send_kept(&http, &client, || {
        rs_request(&client, "GET", &get, &cc, None, &[])
    })
    .await;
    assert_eq!(g.status, 200, "{}", g.body);
    let _ = client
        .verify_resource_response(&sent_get, g.status, &g.headers, g.body.as_bytes(), &jwks)
        .unwrap();
    // RFC 9421 §2.4: the response to one request is refused for another
    // (here the POST had a digest the GET's response does not cover).
    let e = client
        .verify_resource_response(&sent, g.status, &g.headers, g.body.as_bytes(), &jwks)
        .unwrap_err();
    assert!(
        matches!(
            e.core(),
            fapi_core::Error::BadSignature
                | fapi_core::Error::ComponentAbsent
                | fapi_core::Error::MissingComponent
        ),
        "{e}"
    );

    // BG-SIGNED-REQ: unsigned.
    let (_, r) = send_kept(&http, &client, || {
        let mut req = rs_request(&client, "POST", &url, &cc, Some(&body), &[]);
        let _ = req.headers_mut().remove("signature");
        let _ = req.headers_mut().remove("signature-input");
        req
    })
    .await;
    assert_code(&r, 400, 325);

    // RFC 9530: the body changed after signing.
    let (_, r) = send_kept(&http, &client, || {
        let mut req = rs_request(&client, "POST", &url, &cc, Some(&body), &[]);
        *req.body_mut() = req.body().replace("ReadBalances", "ReadTransactionsDetail");
        req
    })
    .await;
    assert_code(&r, 400, 326);

    // RFC 9421 §3.2: a covered header removed.
    let (_, r) = send_kept(&http, &client, || {
        let mut req = rs_request(&client, "POST", &url, &cc, Some(&body), &[]);
        let _ = req.headers_mut().remove("content-digest");
        req
    })
    .await;
    assert_code(&r, 400, 322);
    bank.server.shutdown().await;
}

/// BG-SIGNED-REQ under berlin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bg_signed_req_berlin_rfc9421_3_2_over_https() {
    signed_messages_under(Profile::BERLIN).await;
}

/// FAPI 2.0 HTTP Signatures under fapi2-ms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fapi2_ms_rfc9421_3_2_over_https() {
    signed_messages_under(Profile::FAPI2_MS).await;
}

/// BG-SIGNED-REQ: under a signing profile a client registered without a
/// key that can sign resource requests stops the server from starting,
/// with a one-line configuration error (code 1).
#[tokio::test]
async fn bg_signed_req_client_without_a_signing_key_is_a_config_error() {
    let mut reg = ClientConfig {
        client_id: "tpp-1".into(),
        name: "Example TPP".into(),
        redirect_uris: vec![REDIRECT.into()],
        auth: "tls_client_auth".into(),
        tls_client_auth_subject_dn: Some(DN.into()),
        scopes: vec!["accounts".into()],
        ..ClientConfig::default()
    };
    for jwks in [None, Some(r#"{"keys":[]}"#.to_owned())] {
        reg.jwks = jwks;
        let e = fapi_server::start(
            fapi_server::ServerConfig::new(Profile::BERLIN)
                .listen("127.0.0.1:0".parse().unwrap())
                .plain_http(true)
                .client(reg.clone()),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code(), 1, "{e}");
        let text = e.to_string();
        assert!(
            text.contains("tpp-1") && text.contains("BG-SIGNED-REQ"),
            "{text}"
        );
        assert!(!text.contains('\n'), "{text}");
    }
}
