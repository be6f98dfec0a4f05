//! The account-information and payment flows over HTTPS, end to end:
//! DPoP under `fapi2` (with server nonces), certificate-bound tokens under
//! `obie` (signed request objects, PS256) and `berlin` (`tls_client_auth`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::*;
use fapi_core::profile::Profile;
use fapi_server::dev_ca::DevCa;
use serde_json::json;

fn account_consent_body() -> serde_json::Value {
    json!({"Data": {
        "Permissions": ["ReadAccountsDetail", "ReadBalances", "ReadTransactionsDetail"],
        "ExpirationDateTime": "2030-01-01T00:00:00+00:00",
        "TransactionFromDateTime": "2025-01-01T00:00:00+00:00",
        "TransactionToDateTime": "2030-01-01T00:00:00+00:00"
    }, "Risk": {}})
}

fn payment_initiation() -> serde_json::Value {
    json!({
        "InstructionIdentification": "instr-1",
        "EndToEndIdentification": "e2e-1",
        "InstructedAmount": {"Amount": "10.00", "Currency": "GBP"},
        "CreditorAccount": {"SchemeName": "UK.OBIE.SortCodeAccountNumber", "Identification": "08080021325698", "Name": "ACME Inc"}
    })
}

/// The account-information flow: consent (client credentials), PAR,
/// login, consent page, code, token, then accounts, balances and
/// transactions. F2-PAR, F2-ISS, F2-SENDER, F2-AS-INFO.
async fn account_flow(
    http: &reqwest::Client,
    client: &fapi::Client,
    issuer: &str,
) -> serde_json::Value {
    let cc = cc_token(http, client, "accounts").await;
    let url = format!("{issuer}/open-banking/v3.1/aisp/account-access-consents");
    let body = account_consent_body();
    let r = send_dpop(http, client, || {
        rs_request(client, "POST", &url, &cc, Some(&body), &[])
    })
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let consent_id = r.json()["Data"]["ConsentId"].as_str().unwrap().to_owned();
    assert_eq!(r.json()["Data"]["Status"], "AwaitingAuthorisation");

    // F2-SENDER / CDR-CODE-FLOW: a client credentials token reads no account data.
    let accounts = format!("{issuer}/open-banking/v3.1/aisp/accounts");
    let r = send_dpop(http, client, || {
        rs_request(client, "GET", &accounts, &cc, None, &[])
    })
    .await;
    assert_eq!(r.status, 403, "{}", r.body);

    let tokens = authorize(
        http,
        client,
        "openid accounts",
        &consent_id,
        ("alice", "alice-password"),
    )
    .await;
    let at = tokens["access_token"].as_str().unwrap().to_owned();

    let get = format!("{url}/{consent_id}");
    let r = send_dpop(http, client, || {
        rs_request(client, "GET", &get, &cc, None, &[])
    })
    .await;
    assert_eq!(r.json()["Data"]["Status"], "Authorised", "{}", r.body);

    let r = send_dpop(http, client, || {
        rs_request(client, "GET", &accounts, &at, None, &[])
    })
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let id = r.json()["Data"]["Account"][0]["AccountId"]
        .as_str()
        .unwrap()
        .to_owned();
    for what in ["balances", "transactions"] {
        let u = format!("{accounts}/{id}/{what}");
        let r = send_dpop(http, client, || {
            rs_request(client, "GET", &u, &at, None, &[])
        })
        .await;
        assert_eq!(r.status, 200, "{what}: {}", r.body);
        assert!(r.json()["Links"]["Self"].as_str().unwrap().ends_with(what));
    }
    tokens
}

/// The payment flow: consent with an idempotency key, authorisation, funds
/// confirmation, the payment once, its status.
async fn payment_flow(http: &reqwest::Client, client: &fapi::Client, issuer: &str) {
    let cc = cc_token(http, client, "payments").await;
    let url = format!("{issuer}/open-banking/v3.1/pisp/domestic-payment-consents");
    let body = json!({"Data": {"Initiation": payment_initiation()}, "Risk": {}});
    let r = send_dpop(http, client, || {
        rs_request(
            client,
            "POST",
            &url,
            &cc,
            Some(&body),
            &[("x-idempotency-key", "idem-1")],
        )
    })
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let consent_id = r.json()["Data"]["ConsentId"].as_str().unwrap().to_owned();
    // The same idempotency key: the same consent.
    let again = send_dpop(http, client, || {
        rs_request(
            client,
            "POST",
            &url,
            &cc,
            Some(&body),
            &[("x-idempotency-key", "idem-1")],
        )
    })
    .await;
    assert_eq!(again.json()["Data"]["ConsentId"], consent_id.as_str());

    let tokens = authorize(
        http,
        client,
        "openid payments",
        &consent_id,
        ("bob", "bob-password"),
    )
    .await;
    let at = tokens["access_token"].as_str().unwrap().to_owned();
    let funds = format!("{url}/{consent_id}/funds-confirmation");
    let r = send_dpop(http, client, || {
        rs_request(client, "GET", &funds, &at, None, &[])
    })
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json()["Data"]["FundsAvailableResult"]["FundsAvailable"],
        true
    );

    let pay = format!("{issuer}/open-banking/v3.1/pisp/domestic-payments");
    let order =
        json!({"Data": {"ConsentId": consent_id, "Initiation": payment_initiation()}, "Risk": {}});
    let r = send_dpop(http, client, || {
        rs_request(client, "POST", &pay, &at, Some(&order), &[])
    })
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let payment_id = r.json()["Data"]["DomesticPaymentId"]
        .as_str()
        .unwrap()
        .to_owned();
    // The consent pays once.
    let twice = send_dpop(http, client, || {
        rs_request(client, "POST", &pay, &at, Some(&order), &[])
    })
    .await;
    assert_eq!(twice.status, 403, "{}", twice.body);
    let status = format!("{pay}/{payment_id}");
    let r = send_dpop(http, client, || {
        rs_request(client, "GET", &status, &at, None, &[])
    })
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["Data"]["ConsentId"], consent_id.as_str());
}

/// F2-SENDER (DPoP), F2-PAR, F2-ISS, F2-RT-NO-ROTATE: both flows under
/// fapi2 with DPoP-bound tokens and server nonces; refresh, introspection
/// and revocation of the refresh token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fapi2_dpop_account_and_payment_flows() {
    let profile = Profile::FAPI2;
    let (keys, reg) = pkj_client(profile, "fintech-1", true);
    let bank = bank(profile, DevCa::generate().unwrap(), vec![reg]).await;
    let issuer = bank.server.issuer().to_owned();
    let client = client(profile, &issuer, &keys);
    let http = http(&bank.ca, None);
    let tokens = account_flow(&http, &client, &issuer).await;
    assert_eq!(tokens["token_type"], "DPoP");
    payment_flow(&http, &client, &issuer).await;

    // F2-RT-NO-ROTATE: the same refresh token comes back.
    let rt = tokens["refresh_token"].as_str().unwrap().to_owned();
    let r = send_dpop(&http, &client, || client.refresh_request(&rt).unwrap()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["refresh_token"], rt.as_str());

    // RFC 7662 for the refresh token, then RFC 7009 revocation.
    let form = |path: &str, token: &str| {
        let assertion = client.client_assertion(&issuer).unwrap();
        http.post(format!("{issuer}{path}")).form(&[
            ("token", token),
            ("client_id", "fintech-1"),
            (
                "client_assertion_type",
                fapi_core::assertion::ASSERTION_TYPE,
            ),
            ("client_assertion", &assertion),
        ])
    };
    let r = form("/introspect", &rt).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["active"], true);
    let r = form("/revoke", &rt).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = form("/introspect", &rt)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["active"], false);
    let r = send_dpop(&http, &client, || client.refresh_request(&rt).unwrap()).await;
    assert_eq!(r.json()["error"], "invalid_grant", "{}", r.body);
    bank.server.shutdown().await;
}

/// OB-SENDER, OB-REQOBJ, OB-INTENT, OB-ALG: both flows under obie, tokens
/// bound to the client certificate (`cnf.x5t#S256`), request objects signed
/// with PS256.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn obie_mtls_account_and_payment_flows() {
    let profile = Profile::OBIE;
    let ca = DevCa::generate().unwrap();
    let (keys, reg) = pkj_client(profile, "fintech-1", false);
    let bank = bank(profile, ca.clone(), vec![reg]).await;
    let issuer = bank.server.issuer().to_owned();
    let client = client(profile, &issuer, &keys);
    let (cert, key) = ca.client_certificate("CN=fintech-1,O=Fintech One").unwrap();
    let http = http(&ca, Some((&cert, &key)));
    let tokens = account_flow(&http, &client, &issuer).await;
    assert_eq!(tokens["token_type"], "Bearer");
    payment_flow(&http, &client, &issuer).await;

    // F2-RT-NO-ROTATE under MTLS: the refresh token is bound to the
    // certificate; from another certificate it is refused.
    let rt = tokens["refresh_token"].as_str().unwrap().to_owned();
    let r = send(&http, client.refresh_request(&rt).unwrap()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["refresh_token"], rt.as_str());
    let (cert2, key2) = ca.client_certificate("CN=fintech-1,O=Fintech One").unwrap();
    let other = common::http(&ca, Some((&cert2, &key2)));
    let r = send(&other, client.refresh_request(&rt).unwrap()).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["error"], "invalid_grant");

    // OB-SENDER: the same token from a connection without the certificate.
    let bare = common::http(&ca, None);
    let at = tokens["access_token"].as_str().unwrap();
    let url = format!("{issuer}/open-banking/v3.1/aisp/accounts");
    let r = send(&bare, rs_request(&client, "GET", &url, at, None, &[])).await;
    assert_eq!(r.status, 401, "{}", r.body);
    bank.server.shutdown().await;
}

/// BG-MTLS, BG-CODE-FLOW: the account flow under berlin with a
/// `tls_client_auth` client identified by its certificate's subject DN.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn berlin_tls_client_auth_account_flow() {
    let profile = Profile::BERLIN;
    let ca = DevCa::generate().unwrap();
    let (keys, reg) = tls_client(profile, "tpp-1", "CN=tpp-1,O=Example TPP");
    let bank = bank(profile, ca.clone(), vec![reg]).await;
    let issuer = bank.server.issuer().to_owned();
    let client = client(profile, &issuer, &keys);
    let (cert, key) = ca.client_certificate("CN=tpp-1,O=Example TPP").unwrap();
    let http = http(&ca, Some((&cert, &key)));
    let tokens = account_flow(&http, &client, &issuer).await;
    assert_eq!(tokens["token_type"], "Bearer");
    bank.server.shutdown().await;
}

/// Standard base64 (the `x5c` encoding, RFC 7517 §4.7) from the core's
/// base64url.
fn b64_std(der: &[u8]) -> String {
    let mut out = vec![0u8; der.len() * 4 / 3 + 4];
    let url = fapi_core::b64::encode(der, &mut out).unwrap().to_owned();
    let mut s: String = url
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    while !s.len().is_multiple_of(4) {
        s.push('=');
    }
    s
}

/// F2-CLIENT-AUTH: `self_signed_tls_client_auth` (RFC 8705 §2.2) under
/// fapi2: the certificate registered as `x5c` authenticates the client,
/// another self-signed certificate does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fapi2_self_signed_tls_client_auth_only_with_the_registered_certificate() {
    let profile = Profile::FAPI2;
    let (pem, der, key) =
        fapi_server::dev_ca::self_signed_client_certificate("CN=fintech-2,O=Fintech Two").unwrap();
    let jwks =
        json!({"keys": [{"kty": "EC", "crv": "P-256", "use": "sig", "x5c": [b64_std(&der)]}]});
    let reg = fapi_server::config::ClientConfig {
        client_id: "fintech-2".into(),
        name: "Fintech Two Ltd".into(),
        redirect_uris: vec![REDIRECT.into()],
        auth: "self_signed_tls_client_auth".into(),
        jwks: Some(jwks.to_string()),
        jwks_file: None,
        tls_client_auth_subject_dn: None,
        scopes: vec!["accounts".into()],
        ..fapi_server::config::ClientConfig::default()
    };
    let ca = DevCa::generate().unwrap();
    let bank = bank(profile, ca.clone(), vec![reg]).await;
    let keys = ClientKeys {
        id: "fintech-2".into(),
        key: None,
        dpop: Some(fapi::SigningKey::generate(fapi_core::Alg::Es256).unwrap()),
        tls: true,
    };
    let client = client(profile, bank.server.issuer(), &keys);
    let registered = http(&ca, Some((&pem, &key)));
    let r = send_dpop(&registered, &client, || {
        client.client_credentials_request("accounts").unwrap()
    })
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["token_type"], "DPoP");
    let (other_pem, _, other_key) =
        fapi_server::dev_ca::self_signed_client_certificate("CN=fintech-2,O=Fintech Two").unwrap();
    let other = http(&ca, Some((&other_pem, &other_key)));
    let r = send_dpop(&other, &client, || {
        client.client_credentials_request("accounts").unwrap()
    })
    .await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(r.json()["error"], "invalid_client");
    bank.server.shutdown().await;
}

async fn account_flow_under(profile: Profile) {
    let ca = DevCa::generate().unwrap();
    let dpop = profile
        .sender
        .contains(&fapi_core::profile::SenderConstraint::Dpop);
    let (keys, reg) = pkj_client(profile, "fintech-1", dpop);
    let bank = bank(profile, ca.clone(), vec![reg]).await;
    let issuer = bank.server.issuer().to_owned();
    let client = client(profile, &issuer, &keys);
    let (cert, key) = ca.client_certificate("CN=fintech-1,O=Fintech One").unwrap();
    let http = http(&ca, Some((&cert, &key)));
    let tokens = account_flow(&http, &client, &issuer).await;
    let want = if dpop { "DPoP" } else { "Bearer" };
    assert_eq!(tokens["token_type"], want);
    bank.server.shutdown().await;
}

/// CDR-AT-TTL, CDR-PAR-TTL, CDR-CODE-FLOW: the account flow under
/// fapi2-plus (DPoP).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fapi2_plus_account_flow() {
    account_flow_under(Profile::FAPI2_PLUS).await;
}

/// OFB-PAR, OFB-ALG: the account flow under ofb (PS256, signed request
/// object, certificate-bound tokens).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ofb_account_flow() {
    account_flow_under(Profile::OFB).await;
}

/// CDR-PAR, CDR-HOK: the account flow under cdr (request object with the
/// arrangement, certificate-bound tokens).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cdr_account_flow() {
    account_flow_under(Profile::CDR).await;
}
