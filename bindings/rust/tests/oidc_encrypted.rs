//! Encrypted ID tokens, JARM responses and introspection responses
//! through the crate: the issuer signs, then encrypts to the key the client
//! registered (a nested JWT); the client decrypts with its own key, then
//! verifies. The registered algorithms are the profile's (OFB-ALG,
//! CDR-ALG).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use fapi::issuer::{ClientRegistration, JarmResponse};
use fapi::jwe::{self, ContentEnc, EncryptedResponse, KeyAlg};
use fapi::{Client, DecryptionKey, IdToken, Issuer, IssuerKeys, KeySet, SigningKey};
use fapi_core::authorize::UserAction;
use fapi_core::profile::Profile;
use fapi_core::{Alg, Error};

const AS: &str = "https://as.bank.example";
const CID: &str = "fintech-1";
const ENC_KID: &str = "fintech-enc-1";

/// A client of `client_id` with a fresh encryption key expecting `kinds`
/// encrypted.
fn client(profile: Profile, client_id: &str, kinds: &[EncryptedResponse]) -> Client {
    let key = DecryptionKey::generate()
        .unwrap()
        .with_key_id(ENC_KID)
        .unwrap();
    Client::builder(profile, client_id, AS)
        .redirect_uri("https://fintech.example/cb")
        .signing_key(SigningKey::generate(Alg::Es256).unwrap())
        .dpop_key(SigningKey::generate(Alg::Es256).unwrap())
        .decryption_key(key, kinds)
        .build()
        .unwrap()
}

/// The client's registration (its JWK Set with its `"use":"enc"` key),
/// changed by `f`.
fn registration(c: &Client, f: impl FnOnce(&mut ClientRegistration)) -> ClientRegistration {
    let mut r = ClientRegistration::private_key_jwt(
        c.client_id(),
        "Example Money",
        &c.jwks_json().unwrap(),
    );
    f(&mut r);
    r
}

/// An issuer with `reg` registered, another with the same keys and no
/// registration (it signs only), and the published keys.
fn issuers(profile: Profile, reg: ClientRegistration) -> (Issuer, Issuer, IssuerKeys) {
    let keys = KeySet::new(SigningKey::generate(Alg::Es256).unwrap());
    let issuer = Issuer::builder(profile, AS, keys.clone())
        .client(reg)
        .build()
        .unwrap();
    let plain = Issuer::builder(profile, AS, keys).build().unwrap();
    let published = IssuerKeys::from_jwks_json(&issuer.jwks_json().unwrap()).unwrap();
    (issuer, plain, published)
}

/// The protected header of a compact JWE.
fn jwe_header(compact: &str) -> serde_json::Value {
    let h = compact.split('.').next().unwrap();
    let mut buf = vec![0u8; h.len()];
    serde_json::from_slice(fapi_core::b64::decode(h.as_bytes(), &mut buf).unwrap()).unwrap()
}

/// `compact` with the first character of part `i` changed (all six of its
/// bits are data: the result is still canonical base64url).
fn tamper(compact: &str, i: usize) -> String {
    let mut parts: Vec<String> = compact.split('.').map(str::to_owned).collect();
    let first = parts[i].remove(0);
    parts[i].insert(0, if first == 'A' { 'B' } else { 'A' });
    parts.join(".")
}

/// OpenID Connect Core §10.2, Registration §2: a client that registered
/// `id_token_encrypted_response_alg` (the `enc` defaulting to
/// A128CBC-HS256) gets its ID token signed, then encrypted to its
/// `"use":"enc"` key as a nested JWT; it decrypts and verifies. The same
/// token signed only is refused (the client expects encryption), and a
/// client without the key refuses the JWE.
#[test]
fn oidc_core_10_2_encrypted_id_token_round_trip() {
    let c = client(Profile::FAPI2, CID, &[EncryptedResponse::IdToken]);
    let reg = registration(&c, |r| {
        r.id_token_encrypted_response_alg = Some("RSA-OAEP-256".into());
    });
    let (issuer, plain, keys) = issuers(Profile::FAPI2, reg);
    let t = IdToken::new("alice", CID)
        .nonce("n-1")
        .access_token("at-1")
        .auth_time(5);
    let jwe = issuer.id_token(&t).unwrap();
    assert_eq!(jwe.split('.').count(), 5);
    let h = jwe_header(&jwe);
    assert_eq!(h["alg"], "RSA-OAEP-256");
    assert_eq!(h["enc"], "A128CBC-HS256");
    assert_eq!(h["cty"], "JWT");
    assert_eq!(h["kid"], ENC_KID);
    let v = c.verify_id_token(&keys, &jwe, None, Some("at-1")).unwrap();
    assert_eq!(v.subject, "alice");
    assert_eq!(v.auth_time, Some(5));
    // The claims are checked after decryption, as for a signed token.
    assert_eq!(
        c.verify_id_token(&keys, &jwe, None, Some("at-2"))
            .unwrap_err()
            .core(),
        Error::HashMismatch
    );
    // Signed only: refused by the client that registered encryption.
    let jws = plain.id_token(&t).unwrap();
    assert_eq!(jws.split('.').count(), 3);
    assert_eq!(
        c.verify_id_token(&keys, &jws, None, Some("at-1"))
            .unwrap_err()
            .core(),
        Error::EncryptionRequired
    );
    // A client that registered no encryption is sent no JWE.
    let signing_only = client(Profile::FAPI2, CID, &[]);
    assert_eq!(
        signing_only
            .verify_id_token(&keys, &jwe, None, None)
            .unwrap_err()
            .core(),
        Error::Encrypted
    );
    assert!(
        signing_only
            .verify_id_token(&keys, &jws, None, Some("at-1"))
            .is_ok()
    );
}

/// RFC 7516 §11.5: an encrypted ID token whose authentication tag,
/// ciphertext or encrypted key was changed, or that was encrypted to
/// another key, is the one decryption error.
#[test]
fn oidc_core_10_2_tampered_encrypted_id_token_is_the_one_decryption_error() {
    let c = client(Profile::FAPI2, CID, &[EncryptedResponse::IdToken]);
    let reg = registration(&c, |r| {
        r.id_token_encrypted_response_alg = Some("RSA-OAEP".into());
        r.id_token_encrypted_response_enc = Some("A256GCM".into());
    });
    let (issuer, _, keys) = issuers(Profile::FAPI2, reg);
    let jwe = issuer.id_token(&IdToken::new("alice", CID)).unwrap();
    assert!(c.verify_id_token(&keys, &jwe, None, None).is_ok());
    for part in [4, 3, 1] {
        let e = c
            .verify_id_token(&keys, &tamper(&jwe, part), None, None)
            .unwrap_err();
        assert_eq!(e.core(), Error::DecryptionFailed, "part {part}");
    }
    // Another client's key (the same kid).
    let other = client(Profile::FAPI2, CID, &[EncryptedResponse::IdToken]);
    assert_eq!(
        other
            .verify_id_token(&keys, &jwe, None, None)
            .unwrap_err()
            .core(),
        Error::DecryptionFailed
    );
    // The error says nothing more.
    let e = c
        .verify_id_token(&keys, &tamper(&jwe, 4), None, None)
        .unwrap_err();
    assert!(!e.to_string().contains("tag"), "{e}");
}

/// CDR-ALG: RSA-OAEP or RSA-OAEP-256 with AES-128 or AES-256: each pair
/// registered round-trips with its algorithms in the JWE header; RSA1_5
/// and A192GCM are refused at registration.
#[test]
fn cdr_alg_encrypted_id_token_rsa_oaep_with_aes_128_or_256() {
    for (alg, enc) in [
        ("RSA-OAEP", "A256GCM"),
        ("RSA-OAEP-256", "A128GCM"),
        ("RSA-OAEP", "A128CBC-HS256"),
        ("RSA-OAEP-256", "A256CBC-HS512"),
    ] {
        let c = client(Profile::CDR, CID, &[EncryptedResponse::IdToken]);
        let reg = registration(&c, |r| {
            r.id_token_encrypted_response_alg = Some(alg.into());
            r.id_token_encrypted_response_enc = Some(enc.into());
        });
        let (issuer, _, keys) = issuers(Profile::CDR, reg);
        let jwe = issuer
            .id_token(&IdToken::new("alice", CID).acr("urn:cds.au:cdr:2"))
            .unwrap();
        let h = jwe_header(&jwe);
        assert_eq!(
            (h["alg"].as_str(), h["enc"].as_str()),
            (Some(alg), Some(enc))
        );
        let v = c.verify_id_token(&keys, &jwe, None, None).unwrap();
        assert_eq!(v.acr.as_deref(), Some("urn:cds.au:cdr:2"));
    }
    let c = client(Profile::CDR, CID, &[EncryptedResponse::IdToken]);
    let issuer = Issuer::builder(
        Profile::CDR,
        AS,
        KeySet::new(SigningKey::generate(Alg::Es256).unwrap()),
    )
    .build()
    .unwrap();
    for (alg, enc, want) in [
        ("RSA1_5", Some("A128GCM"), Error::AlgNotAllowed),
        ("dir", None, Error::AlgNotAllowed),
        ("RSA-OAEP", Some("A192GCM"), Error::EncNotAllowed),
    ] {
        let reg = registration(&c, |r| {
            r.id_token_encrypted_response_alg = Some(alg.into());
            r.id_token_encrypted_response_enc = enc.map(Into::into);
        });
        assert_eq!(issuer.add_client(reg).unwrap_err().core(), want, "{alg}");
    }
}

/// OFB-ALG: encryption is RSA-OAEP with A256GCM only. RSA-OAEP-256, an
/// `alg` alone (A128CBC-HS256) and A128GCM are refused at registration;
/// RSA-OAEP with A256GCM round-trips; a JWE outside the set is refused by
/// the client too.
#[test]
fn ofb_alg_encryption_outside_rsa_oaep_a256gcm_refused() {
    // OFB-ALG signs with PS256 (software RSA signing is a feature); the
    // encryption rule is the same with ES256.
    let ofb = Profile {
        algs: &[Alg::Es256],
        ..Profile::OFB
    };
    let c = client(ofb, CID, &[EncryptedResponse::IdToken]);
    let issuer = Issuer::builder(
        ofb,
        AS,
        KeySet::new(SigningKey::generate(Alg::Es256).unwrap()),
    )
    .build()
    .unwrap();
    for (alg, enc, want) in [
        ("RSA-OAEP-256", Some("A256GCM"), Error::AlgNotAllowed),
        ("RSA-OAEP", None, Error::EncNotAllowed),
        ("RSA-OAEP", Some("A128GCM"), Error::EncNotAllowed),
        ("RSA-OAEP", Some("A256CBC-HS512"), Error::EncNotAllowed),
    ] {
        let reg = registration(&c, |r| {
            r.authorization_encrypted_response_alg = Some(alg.into());
            r.authorization_encrypted_response_enc = enc.map(Into::into);
        });
        let e = issuer.add_client(reg).unwrap_err();
        assert_eq!(e.core(), want, "{alg} {enc:?}");
        assert!(
            e.to_string().contains("authorization_encrypted_response_"),
            "{e}"
        );
    }
    let reg = registration(&c, |r| {
        r.id_token_encrypted_response_alg = Some("RSA-OAEP".into());
        r.id_token_encrypted_response_enc = Some("A256GCM".into());
    });
    let (issuer, plain, keys) = issuers(ofb, reg);
    let jwe = issuer.id_token(&IdToken::new("alice", CID)).unwrap();
    assert_eq!(
        c.verify_id_token(&keys, &jwe, None, None).unwrap().subject,
        "alice"
    );
    // The client decrypts within OFB's set only.
    let jws = plain.id_token(&IdToken::new("alice", CID)).unwrap();
    let jwks = c.jwks_json().unwrap();
    for (alg, enc, want) in [
        (KeyAlg::RsaOaep, ContentEnc::A128Gcm, Error::EncNotAllowed),
        (
            KeyAlg::RsaOaep256,
            ContentEnc::A256Gcm,
            Error::AlgNotAllowed,
        ),
    ] {
        let outside = jwe::encrypt(jws.as_bytes(), &jwks, alg, enc, Some("JWT")).unwrap();
        assert_eq!(
            c.verify_id_token(&keys, &outside, None, None)
                .unwrap_err()
                .core(),
            want,
            "{alg:?} {enc:?}"
        );
    }
}

/// JARM §2.2: a client that registered
/// `authorization_encrypted_response_alg` gets its authorization response
/// signed, then encrypted; it decrypts, verifies and reads the code. A
/// response signed only is refused, and so is a JWE that is not a nested
/// JWT (no `cty: "JWT"`).
#[test]
fn jarm_2_2_encrypted_response() {
    let c = client(Profile::FAPI2_MS, CID, &[EncryptedResponse::Authorization]);
    let reg = registration(&c, |r| {
        r.authorization_encrypted_response_alg = Some("RSA-OAEP".into());
        r.authorization_encrypted_response_enc = Some("A256GCM".into());
    });
    let (issuer, plain, keys) = issuers(Profile::FAPI2_MS, reg);
    let (_, session) = c
        .par_request(
            UserAction::new("Continue to your bank").unwrap(),
            "accounts",
            None,
        )
        .unwrap();
    let response = JarmResponse::Code {
        code: "c-1".into(),
        state: Some(session.state().to_owned()),
    };
    let jwe = issuer.jarm(CID, &response, 300).unwrap();
    let h = jwe_header(&jwe);
    assert_eq!(
        (h["alg"].as_str(), h["enc"].as_str()),
        (Some("RSA-OAEP"), Some("A256GCM"))
    );
    assert_eq!(h["cty"], "JWT");
    let redirect = |jwt: &str| format!("https://fintech.example/cb?response={jwt}");
    assert_eq!(
        c.authorization_response(&session, &keys, &redirect(&jwe))
            .unwrap(),
        "c-1"
    );
    let jws = plain.jarm(CID, &response, 300).unwrap();
    assert_eq!(
        c.authorization_response(&session, &keys, &redirect(&jws))
            .unwrap_err()
            .core(),
        Error::EncryptionRequired
    );
    let not_nested = jwe::encrypt(
        jws.as_bytes(),
        &c.jwks_json().unwrap(),
        KeyAlg::RsaOaep,
        ContentEnc::A256Gcm,
        None,
    )
    .unwrap();
    assert_eq!(
        c.authorization_response(&session, &keys, &redirect(&not_nested))
            .unwrap_err()
            .core(),
        Error::NotNestedJwt
    );
    assert_eq!(
        c.authorization_response(&session, &keys, &redirect(&tamper(&jwe, 4)))
            .unwrap_err()
            .core(),
        Error::DecryptionFailed
    );
}

/// RFC 9701 §5, §6: a resource server that registered
/// `introspection_encrypted_response_alg`/`_enc` gets the signed
/// introspection response encrypted to its key; signed only, it is
/// refused.
#[test]
fn rfc9701_6_encrypted_introspection() {
    let rs = client(
        Profile::FAPI2_MS,
        "rs-1",
        &[EncryptedResponse::Introspection],
    );
    let reg = registration(&rs, |r| {
        r.introspection_encrypted_response_alg = Some("RSA-OAEP-256".into());
        r.introspection_encrypted_response_enc = Some("A256CBC-HS512".into());
    });
    let (issuer, plain, keys) = issuers(Profile::FAPI2_MS, reg);
    let body = serde_json::json!({"active": true, "scope": "accounts"});
    let jwe = issuer.signed_introspection("rs-1", &body).unwrap();
    let h = jwe_header(&jwe);
    assert_eq!(
        (h["alg"].as_str(), h["enc"].as_str(), h["cty"].as_str()),
        (Some("RSA-OAEP-256"), Some("A256CBC-HS512"), Some("JWT"))
    );
    assert!(rs.verify_signed_introspection(&keys, &jwe, "rs-1").unwrap());
    // The audience is checked after decryption.
    assert_eq!(
        rs.verify_signed_introspection(&keys, &jwe, "rs-2")
            .unwrap_err()
            .core(),
        Error::WrongAudience
    );
    let jws = plain.signed_introspection("rs-1", &body).unwrap();
    assert_eq!(
        rs.verify_signed_introspection(&keys, &jws, "rs-1")
            .unwrap_err()
            .core(),
        Error::EncryptionRequired
    );
    // Another resource server, registered for signed responses only.
    assert_eq!(
        issuer
            .signed_introspection("rs-2", &body)
            .unwrap()
            .split('.')
            .count(),
        3
    );
}

/// OpenID Connect Dynamic Client Registration §2: a registration asking for
/// encryption needs an RSA `"use":"enc"` key in its JWK Set (the responses
/// are encrypted to it), and an `enc` needs its `alg`.
#[test]
fn oidc_registration_2_encryption_needs_an_enc_key_and_an_alg() {
    let signing_only = Client::builder(Profile::FAPI2, CID, AS)
        .signing_key(SigningKey::generate(Alg::Es256).unwrap())
        .dpop_key(SigningKey::generate(Alg::Es256).unwrap())
        .build()
        .unwrap();
    let reg = registration(&signing_only, |r| {
        r.id_token_encrypted_response_alg = Some("RSA-OAEP".into());
    });
    let e = reg.check(&Profile::FAPI2).unwrap_err();
    assert_eq!(e.core(), Error::KeyNotFound);
    assert!(
        e.to_string()
            .contains(r#"an RSA "use":"enc" key for RSA-OAEP"#),
        "{e}"
    );
    let mut tls = ClientRegistration::tls_client_auth(CID, "Example Money", "CN=fintech-1");
    tls.introspection_encrypted_response_alg = Some("RSA-OAEP".into());
    assert_eq!(
        tls.check(&Profile::FAPI2).unwrap_err().core(),
        Error::KeyNotFound
    );
    let c = client(Profile::FAPI2, CID, &[EncryptedResponse::IdToken]);
    let reg = registration(&c, |r| {
        r.id_token_encrypted_response_enc = Some("A128GCM".into());
    });
    assert_eq!(
        reg.check(&Profile::FAPI2).unwrap_err().core(),
        Error::InvalidParameter
    );
    // The client's JWK Set carries both keys: the signing key and the
    // enc key, without private members.
    let set: serde_json::Value = serde_json::from_str(&c.jwks_json().unwrap()).unwrap();
    let keys = set["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    let enc = keys.iter().find(|k| k["use"] == "enc").unwrap();
    assert_eq!(enc["kid"], ENC_KID);
    assert!(enc.get("d").is_none() && enc.get("alg").is_none());
}
