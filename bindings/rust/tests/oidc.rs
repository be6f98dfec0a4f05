//! ID tokens, JARM and signed introspection through the crate: the
//! issuer signs, the client verifies; the registration's algorithms are
//! checked against the profile.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use fapi::issuer::{ClientRegistration, JarmResponse};
use fapi::{Client, IdToken, Issuer, IssuerKeys, KeySet, SigningKey};
use fapi_core::authorize::UserAction;
use fapi_core::profile::{Profile, ResponseMode};
use fapi_core::{Alg, Error};

const AS: &str = "https://as.bank.example";
const CID: &str = "fintech-1";

fn setup(profile: Profile, alg: Alg) -> (Issuer, Client, IssuerKeys) {
    let client = Client::builder(profile, CID, AS)
        .redirect_uri("https://fintech.example/cb")
        .signing_key(SigningKey::generate(alg).unwrap())
        .dpop_key(SigningKey::generate(alg).unwrap())
        .build()
        .unwrap();
    let keys = KeySet::new(SigningKey::generate(alg).unwrap());
    let issuer = Issuer::builder(profile, AS, keys).build().unwrap();
    let published = IssuerKeys::from_jwks_json(&issuer.jwks_json().unwrap()).unwrap();
    (issuer, client, published)
}

/// OpenID Connect Core §3.1.3.7: the issuer's ID token verifies at the
/// client with the session's nonce and the access token's at_hash; another
/// nonce or access token is refused.
#[tokio::test]
async fn oidc_core_3_1_3_7_id_token_issuer_to_client() {
    let (issuer, client, keys) = setup(Profile::FAPI2, Alg::Es256);
    let (_, session) = client
        .par_request(
            UserAction::new("Continue to your bank").unwrap(),
            "openid accounts",
            None,
        )
        .unwrap();
    let nonce = session.nonce().expect("a nonce with openid").to_owned();
    let t = issuer
        .id_token(
            &IdToken::new("alice", CID)
                .nonce(&nonce)
                .access_token("at-1")
                .auth_time(5),
        )
        .unwrap();
    let v = client
        .verify_id_token(&keys, &t, Some(&session), Some("at-1"))
        .unwrap();
    assert_eq!(v.subject, "alice");
    assert_eq!(v.auth_time, Some(5));
    let e = client
        .verify_id_token(&keys, &t, Some(&session), Some("at-2"))
        .unwrap_err();
    assert_eq!(e.core(), Error::HashMismatch);
    let other = issuer
        .id_token(&IdToken::new("alice", CID).nonce("another"))
        .unwrap();
    let e = client
        .verify_id_token(&keys, &other, Some(&session), None)
        .unwrap_err();
    assert_eq!(e.core(), Error::NonceMismatch);
    // Another client's token names both audiences in the error.
    let theirs = issuer
        .id_token(&IdToken::new("alice", "fintech-2"))
        .unwrap();
    let e = client
        .verify_id_token(&keys, &theirs, None, None)
        .unwrap_err();
    assert_eq!(e.core(), Error::WrongAudience);
    assert!(
        e.to_string()
            .contains("expected fintech-1, got \"fintech-2\""),
        "{e}"
    );
}

/// OB-INTENT: under obie the issuer requires the intent id and the client
/// reads it back.
#[tokio::test]
async fn ob_intent_claim_in_id_token_through_the_crate() {
    // OB-ALG is PS256 (software RSA is a feature); the rule is the same.
    let obie = Profile {
        algs: &[Alg::Es256],
        ..Profile::OBIE
    };
    let (issuer, client, keys) = setup(obie, Alg::Es256);
    assert_eq!(
        issuer
            .id_token(&IdToken::new("alice", CID))
            .unwrap_err()
            .core(),
        Error::MissingClaim
    );
    let t = issuer
        .id_token(&IdToken::new("alice", CID).intent_id("urn-alphabank-intent-1"))
        .unwrap();
    let v = client.verify_id_token(&keys, &t, None, None).unwrap();
    assert_eq!(v.intent_id.as_deref(), Some("urn-alphabank-intent-1"));
}

/// JARM §2.3, FAPI 2.0 Message Signing §5.4: under fapi2-ms the client asks
/// for response_mode=jwt, reads only the `response` parameter, checks the
/// issuer and state; a plain response is refused.
#[tokio::test]
async fn fapi2_ms_5_4_jarm_issuer_to_client() {
    let (issuer, client, keys) = setup(Profile::FAPI2_MS, Alg::Es256);
    let (par, session) = client
        .par_request(
            UserAction::new("Continue to your bank").unwrap(),
            "accounts",
            None,
        )
        .unwrap();
    assert_eq!(session.response_mode(), ResponseMode::Jwt);
    assert!(par.body().contains("response_mode=jwt"));
    let state = session.state().to_owned();
    let jwt = issuer
        .jarm(
            CID,
            &JarmResponse::Code {
                code: "c-1".into(),
                state: Some(state.clone()),
            },
            300,
        )
        .unwrap();
    let redirect = format!("https://fintech.example/cb?response={jwt}");
    assert_eq!(
        client
            .authorization_response(&session, &keys, &redirect)
            .unwrap(),
        "c-1"
    );
    // A plain response, by either entry point.
    let plain = format!(
        "https://fintech.example/cb?code=c-1&state={state}&iss=https%3A%2F%2Fas.bank.example"
    );
    for e in [
        client
            .authorization_response(&session, &keys, &plain)
            .unwrap_err(),
        client.code_from(&session, &plain).unwrap_err(),
    ] {
        assert_eq!(e.core(), Error::PlainResponseRefused);
    }
    // Another state; an error response.
    let other = issuer
        .jarm(
            CID,
            &JarmResponse::Code {
                code: "c-1".into(),
                state: Some("x".into()),
            },
            300,
        )
        .unwrap();
    let e = client
        .authorization_response(
            &session,
            &keys,
            &format!("https://fintech.example/cb?response={other}"),
        )
        .unwrap_err();
    assert_eq!(e.core(), Error::InvalidParameter);
    let denied = issuer
        .jarm(
            CID,
            &JarmResponse::Error {
                error: "access_denied".into(),
                description: None,
                state: Some(state),
            },
            300,
        )
        .unwrap();
    let e = client
        .authorization_response(
            &session,
            &keys,
            &format!("https://fintech.example/cb?response={denied}"),
        )
        .unwrap_err();
    assert!(e.to_string().contains("error access_denied"), "{e}");
    // RFC 9207: a response of another issuer.
    let (evil, _, evil_keys) = setup(Profile::FAPI2_MS, Alg::Es256);
    let _ = evil;
    let e = client
        .authorization_response(&session, &evil_keys, &redirect)
        .unwrap_err();
    assert_eq!(e.core(), Error::KeyNotFound);
    assert_eq!(
        issuer
            .jarm(
                CID,
                &JarmResponse::Code {
                    code: "c".into(),
                    state: None
                },
                601
            )
            .unwrap_err()
            .core(),
        Error::LifetimeTooLong
    );
}

/// RFC 9701: the issuer's signed introspection response verifies for its
/// audience only.
#[tokio::test]
async fn rfc9701_signed_introspection_through_the_crate() {
    let (issuer, client, keys) = setup(Profile::FAPI2_MS, Alg::Es256);
    let jwt = issuer
        .signed_introspection(
            "rs-1",
            &serde_json::json!({"active": true, "scope": "accounts"}),
        )
        .unwrap();
    assert!(
        client
            .verify_signed_introspection(&keys, &jwt, "rs-1")
            .unwrap()
    );
    let e = client
        .verify_signed_introspection(&keys, &jwt, "rs-2")
        .unwrap_err();
    assert_eq!(e.core(), Error::WrongAudience);
    assert_eq!(
        issuer
            .signed_introspection("rs-1", &serde_json::json!([1]))
            .unwrap_err()
            .core(),
        Error::Json
    );
}

/// OFB-ALG, CDR-ALG, F2-ALG: the registration's response algorithms are
/// checked at registration, naming the value and the allowed ones.
#[tokio::test]
async fn ofb_alg_cdr_alg_registration_response_algorithms() {
    let enc_key = fapi::DecryptionKey::generate().unwrap();
    let jwks = format!(
        r#"{{"keys":[{}]}}"#,
        enc_key.public_jwk_json(fapi::jwe::KeyAlg::RsaOaep)
    );
    let reg = || ClientRegistration::private_key_jwt(CID, "Example Money", &jwks);
    let mut r = reg();
    r.id_token_encrypted_response_alg = Some("RSA-OAEP".into());
    r.id_token_encrypted_response_enc = Some("A128GCM".into());
    let e = r.check(&Profile::OFB).unwrap_err();
    assert_eq!(e.core(), Error::EncNotAllowed);
    assert!(
        e.to_string()
            .contains("expected id_token_encrypted_response_enc one of A256GCM, got A128GCM"),
        "{e}"
    );
    assert!(r.check(&Profile::CDR).is_ok());
    // alg alone means A128CBC-HS256: not OFB's.
    r.id_token_encrypted_response_enc = None;
    let e = r.check(&Profile::OFB).unwrap_err();
    assert_eq!(e.core(), Error::EncNotAllowed);
    assert!(
        e.to_string().contains(
            "expected id_token_encrypted_response_enc one of A256GCM, got A128CBC-HS256 (the default when none is registered)"
        ),
        "{e}"
    );
    for bad in ["RSA1_5", "dir", "ECDH-ES"] {
        let mut r = reg();
        r.authorization_encrypted_response_alg = Some(bad.into());
        assert_eq!(
            r.check(&Profile::FAPI2).unwrap_err().core(),
            Error::AlgNotAllowed,
            "{bad}"
        );
    }
    let mut r = reg();
    r.introspection_encrypted_response_enc = Some("A256GCM".into());
    assert_eq!(
        r.check(&Profile::FAPI2).unwrap_err().core(),
        Error::InvalidParameter
    );
    let mut r = reg();
    r.authorization_signed_response_alg = Some("HS256".into());
    let e = r.check(&Profile::CDR).unwrap_err();
    assert!(
        e.to_string()
            .contains("expected authorization_signed_response_alg one of PS256, ES256, got HS256"),
        "{e}"
    );
    // The issuer refuses such a client at build and at add_client.
    let keys = KeySet::new(SigningKey::generate(Alg::Es256).unwrap());
    assert!(
        Issuer::builder(Profile::CDR, AS, keys.clone())
            .client(r.clone())
            .build()
            .is_err()
    );
    let issuer = Issuer::builder(Profile::CDR, AS, keys).build().unwrap();
    assert_eq!(
        issuer.add_client(r).unwrap_err().core(),
        Error::AlgNotAllowed
    );
    // A registered ID token algorithm that is not the signing key's.
    let mut r = reg();
    r.id_token_signed_response_alg = Some("PS256".into());
    issuer.add_client(r).unwrap();
    let e = issuer
        .id_token(&IdToken::new("alice", CID).acr("urn:cds.au:cdr:2"))
        .unwrap_err();
    assert_eq!(e.core(), Error::AlgNotAllowed);
}
