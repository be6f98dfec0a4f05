//! The whole authorization code flow through the crate: the client's PAR
//! request, client authentication, the consent, the code and its
//! redemption with PKCE and DPoP, refresh without rotation, introspection,
//! and the refusals on the way.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::HashMap;

use fapi::issuer::{ClientRegistration, PushRequest};
use fapi::{Client, Issuer, KeySet, SigningKey};
use fapi_core::authorize::UserAction;
use fapi_core::{Alg, Error, profile::Profile};

const AS: &str = "https://as.bank.example";
const REDIRECT: &str = "https://fintech.example/cb";

fn form(body: &str) -> HashMap<String, String> {
    body.split('&')
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap();
            let v = percent_encoding::percent_decode_str(v)
                .decode_utf8()
                .unwrap();
            (k.to_owned(), v.into_owned())
        })
        .collect()
}

fn setup(profile: Profile) -> (Issuer, Client) {
    let client = Client::builder(profile, "fintech-1", AS)
        .redirect_uri(REDIRECT)
        .signing_key(SigningKey::generate(Alg::Es256).unwrap())
        .dpop_key(SigningKey::generate(Alg::Es256).unwrap())
        .build()
        .unwrap();
    let reg = ClientRegistration::private_key_jwt(
        "fintech-1",
        "Example Money",
        &client.jwks_json().unwrap(),
    );
    let keys = KeySet::new(SigningKey::generate(Alg::Es256).unwrap());
    let issuer = Issuer::builder(profile, AS, keys)
        .audience("https://api.bank.example")
        .client(reg)
        .build()
        .unwrap();
    (issuer, client)
}

/// F2-PAR, F2-ISS, F2-PKCE, F2-CODE-ONCE, F2-RT-NO-ROTATE, F2-SENDER: the
/// flow end to end, and each step refusing its replay.
#[tokio::test]
async fn f2_code_flow_end_to_end() {
    let (issuer, client) = setup(Profile::FAPI2);
    let action = UserAction::new("You will be sent to your bank to approve").unwrap();
    let (par, session) = client
        .par_request(action, "accounts", Some("aac-1"))
        .unwrap();
    let f = form(par.body());
    let authed = issuer
        .verify_client_assertion(
            &f["client_id"],
            &f["client_assertion"],
            issuer.par_endpoint(),
        )
        .await
        .unwrap();
    // the same assertion again: its jti is spent
    let again = issuer
        .verify_client_assertion(
            &f["client_id"],
            &f["client_assertion"],
            issuer.par_endpoint(),
        )
        .await
        .unwrap_err();
    assert_eq!(again.core(), Error::Replay);
    assert_eq!(again.oauth_error().as_str(), "invalid_client");
    let pushed = issuer
        .push(&authed, None, &PushRequest::from_form(par.body()).unwrap())
        .await
        .unwrap();
    assert_eq!(pushed.expires_in, 60);
    // F2-PAR: no request_uri, no authorization
    assert_eq!(
        issuer
            .authorize("fintech-1", None)
            .await
            .unwrap_err()
            .core(),
        Error::ParRequired
    );
    let prompt = issuer
        .authorize("fintech-1", Some(&pushed.request_uri))
        .await
        .unwrap();
    assert_eq!(prompt.client_name(), "Example Money");
    // F2-PAR: a reload (or a second tab) shows the pushed request again; it
    // is spent at the decision, once
    let reload = issuer
        .authorize("fintech-1", Some(&pushed.request_uri))
        .await
        .unwrap();
    assert_eq!(reload, prompt);
    let response = issuer
        .new_code(&prompt.approve("alice").unwrap())
        .await
        .unwrap();
    assert_eq!(
        issuer
            .new_code(&reload.clone().approve("alice").unwrap())
            .await
            .unwrap_err()
            .core(),
        Error::RequestUriInvalid
    );
    assert_eq!(
        issuer.decline(&reload).await.unwrap_err().core(),
        Error::RequestUriInvalid
    );
    assert_eq!(
        issuer
            .authorize("fintech-1", Some(&pushed.request_uri))
            .await
            .unwrap_err()
            .core(),
        Error::RequestUriInvalid
    );
    // F2-ISS: a response from another issuer is refused by the client
    let forged = response.redirect.replace("as.bank.example", "evil.example");
    assert_eq!(
        client.code_from(&session, &forged).unwrap_err().core(),
        Error::WrongIssuer
    );
    let code = client.code_from(&session, &response.redirect).unwrap();
    // The redirect's parameters, for a response sent otherwise (JARM).
    assert_eq!(response.code, code);
    assert_eq!(response.state.as_deref(), Some(session.state()));
    assert_eq!(response.iss, AS);
    assert_eq!(
        response.jarm(),
        fapi::issuer::JarmResponse::Code {
            code: code.clone(),
            state: Some(session.state().to_owned()),
        }
    );
    assert!(!format!("{response:?}").contains(&code));

    let token_request = client.code_token_request(&session, &code).unwrap();
    let f = form(token_request.body());
    let authed = issuer
        .verify_client_assertion("fintech-1", &f["client_assertion"], issuer.token_endpoint())
        .await
        .unwrap();
    let proof = token_request.headers()["dpop"].to_str().unwrap();
    let dpop = issuer
        .verify_dpop(proof, "POST", issuer.token_endpoint())
        .await
        .unwrap();
    let tokens = issuer
        .redeem_code(
            &authed,
            dpop.binding(),
            Some(&dpop),
            &f["code"],
            REDIRECT,
            Some(&f["code_verifier"]),
        )
        .await
        .unwrap();
    assert_eq!(tokens.token_type, "DPoP");
    assert!(tokens.grant_id.is_some());
    assert!(!tokens.to_json().contains("grant_id"));
    // OpenID Connect Core §3.1.3.3: the ID token the server adds is sent,
    // and the client's parsing keeps it.
    assert!(!tokens.to_json().contains("id_token"));
    let mut with_id = tokens.clone();
    with_id.id_token = Some("h.p.s".into());
    let parsed = client.token_response(&with_id.to_json()).unwrap();
    assert_eq!(parsed.id_token.as_deref(), Some("h.p.s"));
    assert_eq!(parsed.access_token, tokens.access_token);
    let rt = tokens.refresh_token.clone().unwrap();

    // F2-RT-NO-ROTATE: refreshing hands back the same refresh token
    for _ in 0..2 {
        let r = client.refresh_request(&rt).unwrap();
        let proof = r.headers()["dpop"].to_str().unwrap();
        let d = issuer
            .verify_dpop(proof, "POST", issuer.token_endpoint())
            .await
            .unwrap();
        let refreshed = issuer.refresh(&authed, d.binding(), &rt).await.unwrap();
        assert_eq!(refreshed.refresh_token.as_deref(), Some(rt.as_str()));
        assert_ne!(refreshed.access_token, tokens.access_token);
    }
    // F2-SENDER: another DPoP key cannot use the refresh token
    let thief = Client::builder(Profile::FAPI2, "fintech-1", AS)
        .dpop_key(SigningKey::generate(Alg::Es256).unwrap())
        .build()
        .unwrap();
    let proof = thief
        .dpop_proof("POST", issuer.token_endpoint(), None)
        .unwrap();
    let d = issuer
        .verify_dpop(&proof, "POST", issuer.token_endpoint())
        .await
        .unwrap();
    assert_eq!(
        issuer
            .refresh(&authed, d.binding(), &rt)
            .await
            .unwrap_err()
            .core(),
        Error::DpopKeyMismatch
    );

    // client credentials: a token for the client itself, no user
    let cc = issuer
        .client_credentials(&authed, dpop.binding(), "consents")
        .await
        .unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&issuer.introspect(&authed, &cc.access_token).await.unwrap()).unwrap();
    assert_eq!(v["sub"], "fintech-1");

    // introspection of both tokens
    let v: serde_json::Value =
        serde_json::from_str(&issuer.introspect(&authed, &rt).await.unwrap()).unwrap();
    assert_eq!(v["active"], true);
    assert_eq!(v["token_type"], "refresh_token");
    let v: serde_json::Value = serde_json::from_str(
        &issuer
            .introspect(&authed, &tokens.access_token)
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(v["active"], true);
    assert_eq!(v["sub"], "alice");

    // F2-CODE-ONCE: the second redemption is refused; RFC 6749 §4.1.2:
    // the tokens of the first are revoked (refresh refused, both inactive)
    let twice = issuer
        .redeem_code(
            &authed,
            dpop.binding(),
            Some(&dpop),
            &f["code"],
            REDIRECT,
            Some(&f["code_verifier"]),
        )
        .await
        .unwrap_err();
    assert_eq!(twice.core(), Error::CodeInvalid);
    assert_eq!(twice.oauth_error().as_str(), "invalid_grant");
    let r = client.refresh_request(&rt).unwrap();
    let d = issuer
        .verify_dpop(
            r.headers()["dpop"].to_str().unwrap(),
            "POST",
            issuer.token_endpoint(),
        )
        .await
        .unwrap();
    let refused = issuer.refresh(&authed, d.binding(), &rt).await.unwrap_err();
    assert_eq!(refused.core(), Error::TokenInactive);
    assert_eq!(refused.oauth_error().as_str(), "invalid_grant");
    for t in [&rt, &tokens.access_token] {
        let v: serde_json::Value =
            serde_json::from_str(&issuer.introspect(&authed, t).await.unwrap()).unwrap();
        assert_eq!(v["active"], false);
    }
    issuer.revoke(&rt).await.unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&issuer.introspect(&authed, &rt).await.unwrap()).unwrap();
    assert_eq!(v["active"], false);
}

/// RFC 9449 §10: a code bound to the client's DPoP key (dpop_jkt) cannot be
/// redeemed with a proof of another key, nor without a proof.
#[tokio::test]
async fn code_bound_to_dpop_key() {
    let (issuer, client) = setup(Profile::FAPI2);
    let action = UserAction::new("You will be sent to your bank").unwrap();
    let (par, session) = client.par_request(action, "accounts", None).unwrap();
    let f = form(par.body());
    let authed = issuer
        .verify_client_assertion("fintech-1", &f["client_assertion"], issuer.par_endpoint())
        .await
        .unwrap();
    let pushed = issuer
        .push(&authed, None, &PushRequest::from_form(par.body()).unwrap())
        .await
        .unwrap();
    let prompt = issuer
        .authorize("fintech-1", Some(&pushed.request_uri))
        .await
        .unwrap();
    let response = issuer
        .new_code(&prompt.approve("alice").unwrap())
        .await
        .unwrap();
    let code = client.code_from(&session, &response.redirect).unwrap();
    let other = Client::builder(Profile::FAPI2, "fintech-1", AS)
        .dpop_key(SigningKey::generate(Alg::Es256).unwrap())
        .build()
        .unwrap();
    let proof = other
        .dpop_proof("POST", issuer.token_endpoint(), None)
        .unwrap();
    let d = issuer
        .verify_dpop(&proof, "POST", issuer.token_endpoint())
        .await
        .unwrap();
    let e = issuer
        .redeem_code(
            &authed,
            d.binding(),
            Some(&d),
            &code,
            REDIRECT,
            Some(session.pkce().verifier()),
        )
        .await
        .unwrap_err();
    assert_eq!(e.core(), Error::DpopKeyMismatch);
}

/// F2-CLIENT-AUTH, FAPI 2.0 final §5.3.2.1: under fapi2 an assertion for
/// the token endpoint URL is refused at the PAR and at the token endpoint;
/// RFC 7523 §3, RFC 9126 §2: under cdr the token endpoint URL and the URL
/// the assertion was sent to are accepted at either.
#[tokio::test]
async fn fapi2_final_5_3_2_1_and_rfc7523_s3_assertion_audiences() {
    let (issuer, client) = setup(Profile::FAPI2);
    for (aud, at) in [
        (issuer.token_endpoint(), issuer.par_endpoint()),
        (issuer.token_endpoint(), issuer.token_endpoint()),
        (issuer.par_endpoint(), issuer.par_endpoint()),
    ] {
        let assertion = client.client_assertion(aud).unwrap();
        let e = issuer
            .verify_client_assertion("fintech-1", &assertion, at)
            .await
            .unwrap_err();
        assert_eq!(e.core(), Error::WrongAudience, "{aud} at {at}");
        assert_eq!(e.oauth_error().as_str(), "invalid_client");
    }
    let (issuer, client) = setup(Profile::CDR);
    for (aud, at) in [
        (issuer.token_endpoint(), issuer.par_endpoint()),
        (issuer.par_endpoint(), issuer.par_endpoint()),
        (issuer.token_endpoint(), issuer.token_endpoint()),
        (AS, issuer.par_endpoint()),
    ] {
        let assertion = client.client_assertion(aud).unwrap();
        assert!(
            issuer
                .verify_client_assertion("fintech-1", &assertion, at)
                .await
                .is_ok(),
            "{aud} at {at}"
        );
    }
    // The PAR endpoint is not where a token request is sent.
    let assertion = client.client_assertion(issuer.par_endpoint()).unwrap();
    let e = issuer
        .verify_client_assertion("fintech-1", &assertion, issuer.token_endpoint())
        .await
        .unwrap_err();
    assert_eq!(e.core(), Error::WrongAudience);
}

/// F2-CLIENT-AUTH: an unknown client and an assertion for another
/// audience are refused as invalid_client; OB-ALG: under obie an ES256 key
/// neither signs for a client nor for the issuer.
#[tokio::test]
async fn f2_client_auth_and_ob_alg_refusals() {
    let (issuer, client) = setup(Profile::FAPI2);
    let assertion = client.client_assertion("https://other-as.example").unwrap();
    let e = issuer
        .verify_client_assertion("fintech-1", &assertion, issuer.token_endpoint())
        .await
        .unwrap_err();
    assert_eq!(e.core(), Error::WrongAudience);
    assert_eq!(e.oauth_error().as_str(), "invalid_client");
    let e = issuer
        .verify_client_assertion("nobody", &assertion, issuer.token_endpoint())
        .await
        .unwrap_err();
    assert_eq!(e.core(), Error::UnknownClient);

    let client = Client::builder(Profile::OBIE, "fintech-1", AS)
        .redirect_uri(REDIRECT)
        .signing_key(SigningKey::generate(Alg::Es256).unwrap())
        .build();
    // OB-ALG: ES256 is not PS256
    assert_eq!(client.unwrap_err().core(), Error::AlgNotAllowed);
    let keys = KeySet::new(SigningKey::generate(Alg::Es256).unwrap());
    let e = Issuer::builder(Profile::OBIE, AS, keys)
        .build()
        .unwrap_err();
    assert_eq!(e.core(), Error::AlgNotAllowed);
}

/// CDR-AT-TTL, F2-CODE-TTL: lifetimes outside the profile are refused when
/// the issuer is built; the defaults are inside every profile.
#[tokio::test]
async fn cdr_at_ttl_lifetimes_checked_at_build() {
    for p in [
        Profile::FAPI2,
        Profile::FAPI2_PLUS,
        Profile::CDR,
        Profile::OFB,
    ] {
        let l = fapi::issuer::Lifetimes::for_profile(&p);
        assert!(p.access_token_ttl.contains(l.access_token), "{}", p.name);
        assert!(p.code_ttl.contains(l.code));
        assert!(p.par_ttl.contains(l.request_uri));
    }
    let keys = KeySet::new(SigningKey::generate(Alg::Es256).unwrap());
    let mut l = fapi::issuer::Lifetimes::for_profile(&Profile::CDR);
    l.access_token = 601;
    let e = Issuer::builder(Profile::CDR, AS, keys.clone())
        .lifetimes(l)
        .build()
        .unwrap_err();
    assert_eq!(e.core(), Error::LifetimeTooLong);
    l.access_token = 300;
    l.code = 61;
    let e = Issuer::builder(Profile::CDR, AS, keys)
        .lifetimes(l)
        .build()
        .unwrap_err();
    assert_eq!(e.core(), Error::LifetimeTooLong);
}

/// RFC 9449 §8: an issuer requiring nonces answers a proof without one
/// with use_dpop_nonce; the client remembers the DPoP-Nonce header and its
/// next proof passes.
#[tokio::test]
async fn token_endpoint_dpop_nonce() {
    let keys = KeySet::new(SigningKey::generate(Alg::Es256).unwrap());
    let issuer = Issuer::builder(Profile::FAPI2, AS, keys)
        .dpop_nonces(fapi_core::dpop::NonceKey::new([9; 32]))
        .build()
        .unwrap();
    let client = Client::builder(Profile::FAPI2, "fintech-1", AS)
        .dpop_key(SigningKey::generate(Alg::Es256).unwrap())
        .build()
        .unwrap();
    let proof = client
        .dpop_proof("POST", issuer.token_endpoint(), None)
        .unwrap();
    let e = issuer
        .verify_dpop(&proof, "POST", issuer.token_endpoint())
        .await
        .unwrap_err();
    assert_eq!(e.core(), Error::DpopNonceRequired);
    assert_eq!(e.oauth_error().as_str(), "use_dpop_nonce");
    let mut headers = http::HeaderMap::new();
    let nonce = issuer.dpop_nonce().unwrap().unwrap();
    let _ = headers.insert("dpop-nonce", nonce.parse().unwrap());
    client.remember_dpop_nonce(&headers);
    let proof = client
        .dpop_proof("POST", issuer.token_endpoint(), None)
        .unwrap();
    assert!(
        issuer
            .verify_dpop(&proof, "POST", issuer.token_endpoint())
            .await
            .is_ok()
    );
}

/// CDR-INTROSPECT: under the CDR only refresh tokens are introspectable;
/// an access token answers inactive, and a refresh token never carries
/// username.
#[tokio::test]
async fn cdr_introspect_access_tokens_are_inactive() {
    let cert: &[u8] = include_bytes!("../../../crates/fapi-core/testdata/client-cert.der");
    let keys = KeySet::new(SigningKey::generate(Alg::Es256).unwrap());
    let issuer = Issuer::builder(Profile::CDR, AS, keys)
        .client(ClientRegistration::tls_client_auth(
            "fintech-1",
            "Example Money",
            "CN=tpp.example",
        ))
        .build()
        .unwrap();
    let presented = fapi_core::mtls::PresentedCertificate {
        der: cert,
        subject_dn: Some("CN=tpp.example"),
        ..Default::default()
    };
    // CDR-CLIENT-AUTH: no MTLS client authentication under the CDR.
    assert_eq!(
        issuer
            .authenticate_tls_client("fintech-1", &presented)
            .unwrap_err()
            .core(),
        Error::ClientAuthMethod
    );
    let fapi2 = Issuer::builder(
        Profile::FAPI2,
        AS,
        KeySet::new(SigningKey::generate(Alg::Es256).unwrap()),
    )
    .client(ClientRegistration::tls_client_auth(
        "fintech-1",
        "Example Money",
        "CN=tpp.example",
    ))
    .build()
    .unwrap();
    let authed = fapi2
        .authenticate_tls_client("fintech-1", &presented)
        .unwrap();
    let t = fapi::issuer::AccessToken::new(
        "alice",
        "fintech-1",
        fapi::issuer::Binding::certificate(cert),
    );
    let token = issuer.issue_access_token(t.clone()).await.unwrap();
    let v: serde_json::Value = serde_json::from_str(
        &issuer
            .introspect(&authed, &token.access_token)
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(v, serde_json::json!({"active": false}));
    // under fapi2 the same kind of token is introspectable
    let token = fapi2.issue_access_token(t).await.unwrap();
    let v: serde_json::Value = serde_json::from_str(
        &fapi2
            .introspect(&authed, &token.access_token)
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(v["active"], true);
}

/// F2-PAR, RFC 9126 §5: the issuer's authorization endpoint serves only
/// pushed requests, also under a set that would allow plain parameters
/// (`berlin`): without a `request_uri` it is `ParRequired`, never a
/// request read from nothing.
#[tokio::test]
async fn f2_par_pushed_requests_only_under_every_profile() {
    for profile in [
        Profile::FAPI2,
        Profile::FAPI2_PLUS,
        Profile::CDR,
        Profile::BERLIN,
    ] {
        let (issuer, _) = setup(profile);
        let e = issuer.authorize("fintech-1", None).await.unwrap_err();
        assert_eq!(e.core(), Error::ParRequired, "{}", profile.name);
        assert_eq!(e.oauth_error().as_str(), "invalid_request");
    }
}

/// Key rotation: after the issuer rotates, tokens of the old key still
/// verify at a resource server that fetched the new JWKS (selected by
/// `kid`); once the old key is retired they do not.
#[tokio::test]
async fn rotation_old_tokens_verify_until_retired() {
    use fapi::issuer::{AccessToken, Binding};
    let cert: &[u8] = include_bytes!("../../../crates/fapi-core/testdata/client-cert.der");
    let api = "https://api.bank.example";
    let keys = KeySet::new(
        SigningKey::generate(Alg::Es256)
            .unwrap()
            .with_key_id("2026-01")
            .unwrap(),
    );
    let issuer = Issuer::builder(Profile::FAPI2, AS, keys)
        .audience(api)
        .build()
        .unwrap();
    let t = || AccessToken::new("alice", "fintech-1", Binding::certificate(cert));
    let old = issuer.issue_access_token(t()).await.unwrap().access_token;
    issuer
        .rotate_key(
            SigningKey::generate(Alg::EdDsa)
                .unwrap()
                .with_key_id("2026-02")
                .unwrap(),
        )
        .unwrap();
    let new = issuer.issue_access_token(t()).await.unwrap().access_token;
    let rs = fapi::ResourceServer::builder(
        Profile::FAPI2,
        AS,
        api,
        fapi::IssuerKeys::from_jwks_json(&issuer.jwks_json().unwrap()).unwrap(),
    )
    .build()
    .unwrap();
    let mut headers = http::HeaderMap::new();
    for t in [&old, &new] {
        let _ = headers.insert("authorization", format!("Bearer {t}").parse().unwrap());
        assert!(
            rs.verify_request("GET", "/x", &headers, Some(cert))
                .await
                .is_ok()
        );
    }
    issuer.retire_key("2026-01");
    rs.set_issuer_jwks(&issuer.jwks_json().unwrap()).unwrap();
    let _ = headers.insert("authorization", format!("Bearer {old}").parse().unwrap());
    let e = rs
        .verify_request("GET", "/x", &headers, Some(cert))
        .await
        .unwrap_err();
    assert_eq!(e.error(), Some(Error::KeyNotFound));
}

/// No `Debug` of this crate prints a token, code, request URI, request
/// object, PIN or key.
#[tokio::test]
async fn debug_never_shows_secrets() {
    let (issuer, client) = setup(Profile::FAPI2);
    let action = UserAction::new("On to your bank").unwrap();
    let (par, session) = client.par_request(action, "accounts", None).unwrap();
    let f = form(par.body());
    let authed = issuer
        .verify_client_assertion("fintech-1", &f["client_assertion"], issuer.par_endpoint())
        .await
        .unwrap();
    let mut push = PushRequest::from_form(par.body()).unwrap();
    let pushed = issuer.push(&authed, None, &push).await.unwrap();
    push.request = Some("eyJhbGciOiJFUzI1NiJ9.e30.c2ln".into());
    let prompt = issuer
        .authorize("fintech-1", Some(&pushed.request_uri))
        .await
        .unwrap();
    let response = issuer
        .new_code(&prompt.approve("alice").unwrap())
        .await
        .unwrap();
    let code = client.code_from(&session, &response.redirect).unwrap();
    let proof = client
        .dpop_proof("POST", issuer.token_endpoint(), None)
        .unwrap();
    let dpop = issuer
        .verify_dpop(&proof, "POST", issuer.token_endpoint())
        .await
        .unwrap();
    let tokens = issuer
        .redeem_code(
            &authed,
            dpop.binding(),
            Some(&dpop),
            &code,
            REDIRECT,
            Some(session.pkce().verifier()),
        )
        .await
        .unwrap();
    let uri = fapi::pkcs11_uri::Pkcs11Uri::parse("pkcs11:token=t;object=o?pin-value=s3cr3t-4711")
        .unwrap();
    let shown = format!(
        "{pushed:?} {push:?} {response:?} {tokens:?} {session:?} {uri:?} {client:?} {issuer:?} {:?}",
        SigningKey::generate(Alg::EdDsa).unwrap()
    );
    for secret in [
        pushed.request_uri.as_str(),
        "eyJhbGciOiJFUzI1NiJ9",
        code.as_str(),
        &tokens.access_token,
        tokens.refresh_token.as_deref().unwrap(),
        session.pkce().verifier(),
        "s3cr3t-4711",
    ] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
}
