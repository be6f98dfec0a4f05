//! The attacks of the FAPI 2.0 attacker model on the account-information
//! and payment flows, under every profile, over HTTPS against a started
//! bank. Each is refused with its status, its OAuth error and the core's
//! typed error (`fapi error N (name)` in `error_description` or on the
//! error page), and the honest flow around it still works: the payment
//! flow (consent, authorisation, funds, the payment, its status) under
//! each profile, with the user's token; the PAR and access token lifetimes
//! are the profile's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use common::*;
use fapi_core::authorize::UserAction;
use fapi_core::profile::{Profile, SenderConstraint};
use fapi_core::{Alg, Error, Signer as _};
use fapi_server::dev_ca::DevCa;
use serde_json::json;

const ALICE: (&str, &str) = ("alice", "alice-password");
const BOB: (&str, &str) = ("bob", "bob-password");

/// A bank under one profile, its client (`fintech-1`, or `tpp-1` with
/// `tls_client_auth` under berlin) on a connection with its certificate,
/// and a second registered client.
struct Setup {
    profile: Profile,
    bank: Bank,
    issuer: String,
    keys: ClientKeys,
    client: fapi::Client,
    other: fapi::Client,
    http: reqwest::Client,
    /// The second client's connection (its own certificate).
    other_http: reqwest::Client,
    /// The subject DN of the client's certificate.
    dn: &'static str,
}

fn dpop(profile: &Profile) -> bool {
    profile.sender.contains(&SenderConstraint::Dpop)
}

async fn setup(profile: Profile) -> Setup {
    let ca = DevCa::generate().unwrap();
    let berlin = profile.id == Profile::BERLIN.id;
    let (dn, other_dn) = if berlin {
        ("CN=tpp-1,O=Example TPP", "CN=tpp-2,O=Example TPP")
    } else {
        ("CN=fintech-1,O=Fintech One", "CN=fintech-2,O=Fintech Two")
    };
    let ((keys, reg), (other_keys, other_reg)) = if berlin {
        (
            tls_client(profile, "tpp-1", dn),
            tls_client(profile, "tpp-2", other_dn),
        )
    } else {
        let d = dpop(&profile);
        (
            pkj_client(profile, "fintech-1", d),
            pkj_client(profile, "fintech-2", d),
        )
    };
    let bank = bank(profile, ca.clone(), vec![reg, other_reg]).await;
    let issuer = bank.server.issuer().to_owned();
    let client = client(profile, &issuer, &keys);
    let other = common::client(profile, &issuer, &other_keys);
    let (cert, key) = ca.client_certificate(dn).unwrap();
    let http = http(&ca, Some((&cert, &key)));
    let (cert, key) = ca.client_certificate(other_dn).unwrap();
    let other_http = common::http(&ca, Some((&cert, &key)));
    Setup {
        profile,
        bank,
        issuer,
        keys,
        client,
        other,
        http,
        other_http,
        dn,
    }
}

/// `r` is the refusal `status` `error` for the core's `core` error.
fn refused(r: &Reply, status: u16, error: &str, core: Error, what: &str) {
    assert_eq!(r.status, status, "{what}: {}", r.body);
    let json = r.json();
    assert_eq!(json["error"], error, "{what}: {}", r.body);
    let description = json["error_description"].as_str().unwrap_or_default();
    assert!(
        description.starts_with(&core.to_string()),
        "{what}: expected {core}, got {description:?}"
    );
}

/// An error page at the authorization endpoint for the core's `core`
/// error (with its OAuth `error`).
fn refused_page(r: &Reply, error: &str, core: Error, what: &str) {
    assert_eq!(r.status, 400, "{what}: {}", r.body);
    let shown = format!("{error} ({core})");
    assert!(
        r.body.contains(&shown),
        "{what}: expected {shown} in {}",
        r.body
    );
    assert!(!r.body.contains("name=\"csrf\""), "{what}: {}", r.body);
}

async fn get(http: &reqwest::Client, url: &str) -> Reply {
    let r = http.get(url).send().await.unwrap();
    Reply {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        body: r.text().await.unwrap(),
    }
}

/// An account-access consent created with a client credentials token.
async fn account_consent(s: &Setup) -> String {
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

/// The code of `location` (F2-ISS: the client checks `iss` and `state`).
async fn code_of(s: &Setup, session: &fapi::client::AuthSession, location: &str) -> String {
    let keys = issuer_keys(&s.http, &s.issuer).await;
    s.client
        .authorization_response(session, &keys, location)
        .unwrap()
}

async fn redeem(s: &Setup, session: &fapi::client::AuthSession, code: &str) -> Reply {
    send_dpop(&s.http, &s.client, || {
        s.client.code_token_request(session, code).unwrap()
    })
    .await
}

fn accounts_url(s: &Setup) -> String {
    format!("{}/open-banking/v3.1/aisp/accounts", s.issuer)
}

/// The header of the compact JWS `jws`.
fn jws_header(jws: &str) -> serde_json::Value {
    let part = jws.split('.').next().unwrap();
    let mut buf = vec![0u8; part.len()];
    serde_json::from_slice(fapi_core::b64::decode(part.as_bytes(), &mut buf).unwrap()).unwrap()
}

/// The pushed request for `consent`, started on the user's action
/// (F2-CLIENT-INFO: the fapi Client takes a `UserAction`): its request URI
/// and session. Its `expires_in` is within the profile's PAR lifetime
/// (F2-PAR-TTL, OFB-PAR-TTL, CDR-PAR-TTL).
async fn push_timed(s: &Setup, consent: &str) -> (String, fapi::client::AuthSession) {
    let (par, session) = s
        .client
        .par_request(
            UserAction::new("On to your bank").unwrap(),
            "accounts",
            Some(consent),
        )
        .unwrap();
    let r = send(&s.http, par).await;
    assert_eq!(r.status, 201, "{}: {}", s.profile.name, r.body);
    let ttl = r.json()["expires_in"].as_u64().unwrap();
    let allowed = s.profile.par_ttl;
    assert!(
        (allowed.min..=allowed.max).contains(&ttl),
        "{}: PAR expires_in {ttl}, allowed {}..={}",
        s.profile.name,
        allowed.min,
        allowed.max
    );
    let uri = r.json()["request_uri"].as_str().unwrap().to_owned();
    (uri, session)
}

/// The pushed request's body with its request object's claims passed
/// through `edit` and signed again with the client's key.
fn with_request_object(s: &Setup, body: &str, edit: impl Fn(&mut serde_json::Value)) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (name, value) in form_urlencoded::parse(body.as_bytes()) {
        if name != "request" {
            let _ = out.append_pair(&name, &value);
            continue;
        }
        let payload = value.split('.').nth(1).unwrap();
        let mut buf = vec![0u8; payload.len()];
        let raw = fapi_core::b64::decode(payload.as_bytes(), &mut buf).unwrap();
        let mut claims: serde_json::Value = serde_json::from_slice(raw).unwrap();
        edit(&mut claims);
        let key = s.keys.key.as_ref().unwrap();
        let header = fapi_core::jws::HeaderParams {
            typ: Some("oauth-authz-req+jwt"),
            kid: Some(key.key_id()),
            jwk: None,
        };
        let mut signed = vec![0u8; 16 * 1024];
        let n =
            fapi_core::jws::sign(key, &header, claims.to_string().as_bytes(), &mut signed).unwrap();
        let _ = out.append_pair("request", core::str::from_utf8(&signed[..n]).unwrap());
    }
    out.finish()
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The authorization-side attacks: a request URI used again after its
/// code (F2-PAR), one of another client (F2-PAR), the code again
/// (F2-CODE-ONCE), a code with another session's PKCE verifier (F2-PKCE,
/// code injection), parameters not pushed (F2-PAR), unsigned parameters
/// where the profile signs requests and a request object valid too long
/// (OB-REQOBJ, CDR-REQ-TTL). Returns the access token of a new
/// authorization, its lifetime the profile's.
async fn authorization_attacks(s: &Setup) -> String {
    let name = s.profile.name;
    let consent = account_consent(s).await;
    let (uri, session) = push_timed(s, &consent).await;

    // F2-PAR: the request URI of another client is not this client's.
    let r = get(&s.http, &s.other.authorization_url(&uri)).await;
    refused_page(&r, "unauthorized_client", Error::ClientMismatch, name);

    let location = decide(&s.http, &s.client, &uri, ALICE, "approve").await;
    let code = code_of(s, &session, &location).await;

    // F2-PAR: after the decision the request URI is spent.
    let r = get(&s.http, &s.client.authorization_url(&uri)).await;
    refused_page(&r, "invalid_request_uri", Error::RequestUriInvalid, name);

    // F2-PKCE: the code injected into another session (another verifier).
    let consent2 = account_consent(s).await;
    let (uri2, session2) = push_timed(s, &consent2).await;
    let location2 = decide(&s.http, &s.client, &uri2, ALICE, "approve").await;
    let code2 = code_of(s, &session2, &location2).await;
    let r = redeem(s, &session, &code2).await;
    refused(&r, 400, "invalid_grant", Error::PkceMismatch, name);

    let r = redeem(s, &session, &code).await;
    assert_eq!(r.status, 200, "{name}: {}", r.body);
    // F2-CODE-ONCE (CDR-CODE-ONCE): the same code again (which revokes
    // the tokens of its first redemption, RFC 6749 §4.1.2: grants.rs).
    let r = redeem(s, &session, &code).await;
    refused(&r, 400, "invalid_grant", Error::CodeInvalid, name);

    // F2-PAR (OFB-PAR, CDR-PAR): parameters at the authorization endpoint
    // that were not pushed.
    let plain = format!(
        "{}/authorize?client_id={}&response_type=code&scope=accounts&redirect_uri={}",
        s.issuer,
        s.client.client_id(),
        REDIRECT
    );
    let r = get(&s.http, &plain).await;
    assert_eq!(r.status, 400, "{name}: {}", r.body);
    assert!(r.body.contains("invalid_request"), "{name}: {}", r.body);

    if s.profile.signed_request_required {
        // OB-REQOBJ: the pushed request without its signed request object.
        let consent3 = account_consent(s).await;
        let (par, _) = s
            .client
            .par_request(
                UserAction::new("On to your bank").unwrap(),
                "accounts",
                Some(&consent3),
            )
            .unwrap();
        let (parts, body) = par.into_parts();
        let body: Vec<&str> = body
            .split('&')
            .filter(|p| !p.starts_with("request="))
            .collect();
        let r = send(&s.http, http::Request::from_parts(parts, body.join("&"))).await;
        refused(
            &r,
            400,
            "invalid_request",
            Error::SignedRequestRequired,
            name,
        );
    }
    if let (true, Some(max)) = (
        s.profile.signed_request_required,
        s.profile.request_object_max_ttl,
    ) {
        // OB-REQOBJ, CDR-REQ-TTL: a request object valid longer than the
        // profile allows (`exp - nbf`) is refused; signed again the same
        // way with half the allowed lifetime it is accepted.
        for (lifetime, accepted) in [(max + 60, false), (max / 2, true)] {
            let consent = account_consent(s).await;
            let (par, _) = s
                .client
                .par_request(
                    UserAction::new("On to your bank").unwrap(),
                    "accounts",
                    Some(&consent),
                )
                .unwrap();
            let (parts, body) = par.into_parts();
            let now = unix_now();
            let body = with_request_object(s, &body, |c| {
                c["nbf"] = json!(now);
                c["exp"] = json!(now + lifetime);
            });
            let r = send(&s.http, http::Request::from_parts(parts, body)).await;
            if accepted {
                assert_eq!(r.status, 201, "{name} {lifetime} s: {}", r.body);
            } else {
                refused(
                    &r,
                    400,
                    "invalid_request_object",
                    Error::LifetimeTooLong,
                    name,
                );
            }
        }
    }
    let consent = account_consent(s).await;
    let tokens = authorize(&s.http, &s.client, "accounts", &consent, ALICE).await;
    // The access token's lifetime is the profile's (CDR-AT-TTL, OFB-AT-TTL).
    let ttl = tokens["expires_in"].as_u64().unwrap();
    let allowed = s.profile.access_token_ttl;
    assert!(
        (allowed.min..=allowed.max).contains(&ttl),
        "{name}: expires_in {ttl}, allowed {}..={}",
        allowed.min,
        allowed.max
    );
    tokens["access_token"].as_str().unwrap().to_owned()
}

/// The stolen-token attacks at the resource server (F2-SENDER): under
/// DPoP the proof replayed and the token with the attacker's own DPoP key;
/// with certificate-bound tokens (OB-SENDER, CDR-HOK, BG-MTLS) the token
/// on a connection without a certificate, and with the attacker's
/// certificate of the same subject from the same CA.
async fn stolen_token_attacks(s: &Setup, at: &str) {
    let name = s.profile.name;
    let url = accounts_url(s);
    if dpop(&s.profile) {
        let r = send_dpop(&s.http, &s.client, || {
            rs_request(&s.client, "GET", &url, at, None, &[])
        })
        .await;
        assert_eq!(r.status, 200, "{name}: {}", r.body);
        // The nonce is now known: one request, sent twice.
        let req = rs_request(&s.client, "GET", &url, at, None, &[]);
        let (parts, body) = req.into_parts();
        let again = http::Request::from_parts(parts.clone(), body.clone());
        let r = send(&s.http, http::Request::from_parts(parts, body)).await;
        assert_eq!(r.status, 200, "{name}: {}", r.body);
        let r = send(&s.http, again).await;
        refused(&r, 401, "invalid_dpop_proof", Error::Replay, name);

        // The attacker has the token and its own DPoP key.
        let attacker = ClientKeys {
            dpop: Some(fapi::SigningKey::generate(client_alg(&s.profile)).unwrap()),
            ..s.keys.clone()
        };
        let attacker = client(s.profile, &s.issuer, &attacker);
        let r = send_dpop(&s.http, &attacker, || {
            rs_request(&attacker, "GET", &url, at, None, &[])
        })
        .await;
        // RFC 9449 §7.1: a token not bound to the proof's key is an
        // invalid token.
        refused(&r, 401, "invalid_token", Error::DpopKeyMismatch, name);
    } else {
        let r = send(&s.http, rs_request(&s.client, "GET", &url, at, None, &[])).await;
        assert_eq!(r.status, 200, "{name}: {}", r.body);
        let bare = http(&s.bank.ca, None);
        let r = send(&bare, rs_request(&s.client, "GET", &url, at, None, &[])).await;
        refused(&r, 401, "invalid_token", Error::CertificateMismatch, name);
        let (cert, key) = s.bank.ca.client_certificate(s.dn).unwrap();
        let attacker = http(&s.bank.ca, Some((&cert, &key)));
        let r = send(&attacker, rs_request(&s.client, "GET", &url, at, None, &[])).await;
        refused(&r, 401, "invalid_token", Error::CertificateMismatch, name);
    }
}

/// The payment flow with the user's token, and the client credentials
/// token at each payment resource (CDR-CODE-FLOW, BG-CODE-FLOW): it has
/// no user and no consent, so it confirms no funds and submits no
/// payment: `403 insufficient_scope`. It reads the status of its own
/// client's payment (the UK Open Banking Payment Initiation API reads
/// `GET /domestic-payments/{id}` with a client credentials token), and
/// another client's token does not see the payment at all.
async fn payment_flow_and_client_credentials(s: &Setup) {
    let name = s.profile.name;
    let cc = cc_token(&s.http, &s.client, "payments").await;
    let consents = format!(
        "{}/open-banking/v3.1/pisp/domestic-payment-consents",
        s.issuer
    );
    let initiation = json!({
        "InstructionIdentification": "instr-1",
        "EndToEndIdentification": "e2e-1",
        "InstructedAmount": {"Amount": "12.50", "Currency": "GBP"},
        "CreditorAccount": {"SchemeName": "UK.OBIE.SortCodeAccountNumber", "Identification": "08080021325698", "Name": "ACME Inc"}
    });
    let body = json!({"Data": {"Initiation": initiation}, "Risk": {}});
    let idem = [("x-idempotency-key", "idem-attacks")];
    let r = send_dpop(&s.http, &s.client, || {
        rs_request(&s.client, "POST", &consents, &cc, Some(&body), &idem)
    })
    .await;
    assert_eq!(r.status, 201, "{name}: {}", r.body);
    let consent = r.json()["Data"]["ConsentId"].as_str().unwrap().to_owned();
    let tokens = authorize(&s.http, &s.client, "payments", &consent, BOB).await;
    let user = tokens["access_token"].as_str().unwrap().to_owned();

    let funds = format!("{consents}/{consent}/funds-confirmation");
    let pay = format!("{}/open-banking/v3.1/pisp/domestic-payments", s.issuer);
    let order = json!({"Data": {"ConsentId": consent, "Initiation": initiation}, "Risk": {}});
    let r = send_dpop(&s.http, &s.client, || {
        rs_request(&s.client, "GET", &funds, &cc, None, &[])
    })
    .await;
    refused(
        &r,
        403,
        "insufficient_scope",
        Error::InsufficientScope,
        name,
    );
    let r = send_dpop(&s.http, &s.client, || {
        rs_request(&s.client, "POST", &pay, &cc, Some(&order), &[])
    })
    .await;
    refused(
        &r,
        403,
        "insufficient_scope",
        Error::InsufficientScope,
        name,
    );

    let r = send_dpop(&s.http, &s.client, || {
        rs_request(&s.client, "GET", &funds, &user, None, &[])
    })
    .await;
    assert_eq!(r.status, 200, "{name}: {}", r.body);
    let r = send_dpop(&s.http, &s.client, || {
        rs_request(&s.client, "POST", &pay, &user, Some(&order), &[])
    })
    .await;
    assert_eq!(r.status, 201, "{name}: {}", r.body);
    let id = r.json()["Data"]["DomesticPaymentId"]
        .as_str()
        .unwrap()
        .to_owned();
    let status = format!("{pay}/{id}");
    let r = send_dpop(&s.http, &s.client, || {
        rs_request(&s.client, "GET", &status, &cc, None, &[])
    })
    .await;
    assert_eq!(r.status, 200, "{name}: {}", r.body);
    let theirs = cc_token(&s.other_http, &s.other, "payments").await;
    let r = send_dpop(&s.other_http, &s.other, || {
        rs_request(&s.other, "GET", &status, &theirs, None, &[])
    })
    .await;
    assert_eq!(r.status, 400, "{name}: {}", r.body);
    assert_eq!(r.json()["error"], "invalid_request", "{name}: {}", r.body);
    let r = send_dpop(&s.http, &s.client, || {
        rs_request(&s.client, "GET", &status, &user, None, &[])
    })
    .await;
    assert_eq!(r.status, 200, "{name}: {}", r.body);
    assert_eq!(r.json()["Data"]["ConsentId"], consent.as_str(), "{name}");
}

/// Every attack under `profile`, and the payment flow.
async fn attacks_under(profile: Profile) {
    let s = setup(profile).await;
    let at = authorization_attacks(&s).await;
    // The algorithm the bank really signs with is one of the profile's:
    // PS256 under obie and ofb (OB-ALG, OFB-ALG).
    let alg = jws_header(&at)["alg"].as_str().unwrap().to_owned();
    let alg = Alg::from_name(&alg).unwrap();
    assert!(profile.algs.contains(&alg), "{}: {alg:?}", profile.name);
    stolen_token_attacks(&s, &at).await;
    payment_flow_and_client_credentials(&s).await;
    s.bank.server.shutdown().await;
}

/// F2-PAR, F2-CODE-ONCE, F2-PKCE, F2-ISS, F2-SENDER (DPoP), F2-CLIENT-AUTH
/// (private_key_jwt), F2-ALG (ES256) under fapi2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fapi2_attacks_f2_par_f2_code_once_f2_pkce_f2_sender() {
    attacks_under(Profile::FAPI2).await;
}

/// fapi2-plus: the F2 rules with CDR-AT-TTL and CDR-PAR-TTL lifetimes,
/// CDR-CODE-FLOW (client credentials only for consents).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fapi2_plus_attacks_cdr_code_flow() {
    attacks_under(Profile::FAPI2_PLUS).await;
}

/// OB-ALG (PS256), OB-REQOBJ, OB-SENDER under obie.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn obie_attacks_ob_alg_ob_reqobj_ob_sender() {
    assert_eq!(Profile::OBIE.algs, &[Alg::Ps256]);
    attacks_under(Profile::OBIE).await;
}

/// OFB-ALG (PS256), OFB-PAR, OFB-PAR-TTL, OFB-AT-TTL, OFB-PKCE,
/// OFB-CLIENT-AUTH under ofb.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ofb_attacks_ofb_alg_ofb_par_ofb_pkce() {
    assert_eq!(Profile::OFB.algs, &[Alg::Ps256]);
    attacks_under(Profile::OFB).await;
}

/// CDR-HOK, CDR-PAR, CDR-PAR-TTL, CDR-AT-TTL, CDR-REQ-TTL, CDR-CODE-ONCE,
/// CDR-CLIENT-AUTH, CDR-CODE-FLOW, CDR-ALG (the bank signs with one of
/// PS256 and ES256) under cdr.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cdr_attacks_cdr_hok_cdr_par_cdr_code_once() {
    attacks_under(Profile::CDR).await;
}

/// BG-MTLS (tls_client_auth, certificate-bound tokens), BG-PKCE,
/// BG-CODE-FLOW, BG-SIGNED-REQ (signed resource requests) under berlin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn berlin_attacks_bg_mtls_bg_pkce_bg_code_flow() {
    attacks_under(Profile::BERLIN).await;
}

/// RFC 9449 §10.1: a DPoP proof sent to the PAR endpoint (without
/// `dpop_jkt`) binds the code to its key; the token endpoint refuses the
/// code with a proof of another key or with none (`400
/// invalid_dpop_proof`), and redeems it with the client's own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc9449_s10_1_par_dpop_proof_binds_the_code() {
    for profile in [Profile::FAPI2, Profile::FAPI2_PLUS] {
        let s = setup(profile).await;
        let name = profile.name;
        let par_url = format!("{}/par", s.issuer);
        let code = || async {
            let consent = account_consent(&s).await;
            let (par, session) = s
                .client
                .par_request(
                    UserAction::new("On to your bank").unwrap(),
                    "accounts",
                    Some(&consent),
                )
                .unwrap();
            let (parts, body) = par.into_parts();
            let body: Vec<&str> = body
                .split('&')
                .filter(|p| !p.starts_with("dpop_jkt="))
                .collect();
            let body = body.join("&");
            let r = send_dpop(&s.http, &s.client, || {
                let mut req = http::Request::from_parts(parts.clone(), body.clone());
                let proof = s.client.dpop_proof("POST", &par_url, None).unwrap();
                let _ = req
                    .headers_mut()
                    .insert("dpop", http::HeaderValue::from_str(&proof).unwrap());
                req
            })
            .await;
            assert_eq!(r.status, 201, "{name}: {}", r.body);
            let uri = r.json()["request_uri"].as_str().unwrap().to_owned();
            let location = decide(&s.http, &s.client, &uri, ALICE, "approve").await;
            let code = code_of(&s, &session, &location).await;
            (session, code)
        };
        let attacker = ClientKeys {
            dpop: Some(fapi::SigningKey::generate(client_alg(&profile)).unwrap()),
            ..s.keys.clone()
        };
        let attacker = client(profile, &s.issuer, &attacker);
        let (session, c) = code().await;
        let r = send_dpop(&s.http, &attacker, || {
            attacker.code_token_request(&session, &c).unwrap()
        })
        .await;
        // The fapi Issuer answers a proof of the wrong key as a DPoP
        // failure (`invalid_dpop_proof`, RFC 9449 §5), not a grant one.
        refused(&r, 400, "invalid_dpop_proof", Error::DpopKeyMismatch, name);

        let (session, c) = code().await;
        let mut req = s.client.code_token_request(&session, &c).unwrap();
        let _ = req.headers_mut().remove("dpop");
        let r = send(&s.http, req).await;
        refused(&r, 400, "invalid_dpop_proof", Error::DpopMissing, name);

        let (session, c) = code().await;
        let r = redeem(&s, &session, &c).await;
        assert_eq!(r.status, 200, "{name}: {}", r.body);
        s.bank.server.shutdown().await;
    }
}

/// F2-CODE-ONCE, CDR-CODE-ONCE: 16 token requests redeem one code at once,
/// each with its own client authentication and DPoP proof: exactly one
/// gets a token, every other `400 invalid_grant` (`CodeInvalid`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f2_code_once_concurrent_redemptions_one_token() {
    for profile in [Profile::FAPI2, Profile::CDR] {
        let s = setup(profile).await;
        let consent = account_consent(&s).await;
        let (uri, session) = push(&s.http, &s.client, "accounts", &consent).await;
        let location = decide(&s.http, &s.client, &uri, ALICE, "approve").await;
        let code = code_of(&s, &session, &location).await;
        let reqs: Vec<_> = (0..16)
            .map(|_| s.client.code_token_request(&session, &code).unwrap())
            .collect();
        let replies = race(&s.http, reqs).await;
        let wins = replies.iter().filter(|r| r.status == 200).count();
        assert_eq!(wins, 1, "{}: {:?}", profile.name, statuses(&replies));
        for r in replies.iter().filter(|r| r.status != 200) {
            refused(r, 400, "invalid_grant", Error::CodeInvalid, profile.name);
        }
        s.bank.server.shutdown().await;
    }
}

/// F2-SENDER (DPoP): 16 copies of one resource request (one proof, one
/// `jti`) at once: exactly one is answered, every other is `401
/// invalid_dpop_proof` (`Replay`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f2_sender_concurrent_dpop_proof_one_answer() {
    let s = setup(Profile::FAPI2).await;
    let consent = account_consent(&s).await;
    let tokens = authorize(&s.http, &s.client, "accounts", &consent, ALICE).await;
    let at = tokens["access_token"].as_str().unwrap();
    let url = accounts_url(&s);
    // A first request learns the resource server's nonce.
    let r = send_dpop(&s.http, &s.client, || {
        rs_request(&s.client, "GET", &url, at, None, &[])
    })
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (parts, body) = rs_request(&s.client, "GET", &url, at, None, &[]).into_parts();
    let copies: Vec<_> = (0..16)
        .map(|_| http::Request::from_parts(parts.clone(), body.clone()))
        .collect();
    let replies = race(&s.http, copies).await;
    assert_eq!(
        replies.iter().filter(|r| r.status == 200).count(),
        1,
        "{:?}",
        statuses(&replies)
    );
    for r in replies.iter().filter(|r| r.status != 200) {
        refused(r, 401, "invalid_dpop_proof", Error::Replay, "fapi2");
    }
    s.bank.server.shutdown().await;
}

fn statuses(replies: &[Reply]) -> Vec<u16> {
    replies.iter().map(|r| r.status).collect()
}

/// Sends `reqs` at once, each on its own task: the replies in order.
async fn race(http: &reqwest::Client, reqs: Vec<http::Request<String>>) -> Vec<Reply> {
    let tasks: Vec<_> = reqs
        .into_iter()
        .map(|req| {
            let http = http.clone();
            tokio::spawn(async move { send(&http, req).await })
        })
        .collect();
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}
