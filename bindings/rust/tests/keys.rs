//! Keys from configuration: PEM, DER, private JWKs (RFC examples) and
//! PKCS#11 URIs (against SoftHSM2 when a token is set up), checked against
//! what OpenSSL and the RFCs say the public keys are.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use fapi::{KeySet, SigningKey};
use fapi_core::crypto::KeyVerifier;
use fapi_core::{Alg, Error, PublicKey, Signer, Verifier};

fn testdata(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/testdata/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn text(name: &str) -> String {
    String::from_utf8(testdata(name)).unwrap()
}

/// The raw public key OpenSSL wrote: the tail of its SubjectPublicKeyInfo.
fn openssl_point(spki: &str, len: usize) -> Vec<u8> {
    let der = testdata(spki);
    der[der.len() - len..].to_vec()
}

fn signs_and_verifies(key: &SigningKey) {
    let sig = {
        let mut out = [0u8; 1024];
        let n = key.sign(b"message", &mut out).unwrap();
        out[..n].to_vec()
    };
    let v = KeyVerifier::new(&fapi_awslc::AWSLC, key.public_key().unwrap());
    assert_eq!(v.verify(b"message", &sig), Ok(()));
    assert_eq!(v.verify(b"other", &sig), Err(Error::BadSignature));
}

/// F2-ALG: OpenSSL's P-256 keys load from SEC1 PEM (with its EC PARAMETERS
/// block), PKCS#8 PEM and both DER forms, and their public keys are the
/// ones OpenSSL wrote.
#[test]
fn f2_alg_openssl_p256_and_ed25519_keys_load() {
    for (key, spki) in [
        (
            SigningKey::from_pem(&text("sec1-p256.pem")),
            "sec1-p256.spki.der",
        ),
        (
            SigningKey::from_sec1_der(&testdata("sec1-p256.der")),
            "sec1-p256.spki.der",
        ),
        (
            SigningKey::from_pem(&text("pkcs8-p256.pem")),
            "pkcs8-p256.spki.der",
        ),
        (
            SigningKey::from_pkcs8_der(&testdata("pkcs8-p256.der")),
            "pkcs8-p256.spki.der",
        ),
        (
            SigningKey::from_file(format!(
                "{}/testdata/sec1-p256.der",
                env!("CARGO_MANIFEST_DIR")
            )),
            "sec1-p256.spki.der",
        ),
    ] {
        let key = key.unwrap();
        assert_eq!(key.alg(), Alg::Es256);
        let point = key.public_key().unwrap().sec1_point().unwrap();
        assert_eq!(point.to_vec(), openssl_point(spki, 65));
        // the default kid is the RFC 7638 thumbprint
        assert_eq!(
            key.key_id(),
            key.public_key().unwrap().thumbprint().to_b64().as_str()
        );
        signs_and_verifies(&key);
    }
    let ed = SigningKey::from_pem(&text("pkcs8-ed25519.pem")).unwrap();
    assert_eq!(ed.alg(), Alg::EdDsa);
    let PublicKey::Ed25519 { x } = ed.public_key().unwrap() else {
        panic!("not Ed25519")
    };
    assert_eq!(x.to_vec(), openssl_point("pkcs8-ed25519.spki.der", 32));
    signs_and_verifies(&ed);
}

/// F2-ALG: other curves, encrypted keys, RSA without the feature, public
/// keys and garbage are refused with typed errors and the parser's reason.
#[test]
fn f2_alg_other_keys_are_refused_with_the_reason() {
    let cases = [
        (
            SigningKey::from_pem(&text("sec1-p384.pem")),
            Error::UnsupportedKeyType,
            "SEC1",
        ),
        (
            SigningKey::from_pem(&text("pkcs8-p384.pem")),
            Error::UnsupportedKeyType,
            "P-256",
        ),
        (
            SigningKey::from_pem(&text("pkcs8-p256-encrypted.pem")),
            Error::UnsupportedKeyType,
            "encrypted",
        ),
        (
            SigningKey::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
            Error::InvalidKey,
            "PUBLIC KEY",
        ),
        (
            SigningKey::from_pem("no pem here"),
            Error::InvalidKey,
            "PEM",
        ),
        (
            SigningKey::from_pkcs8_der(b"\x30\x03\x02\x01\x00"),
            Error::InvalidKey,
            "PKCS#8",
        ),
        (
            SigningKey::from_sec1_der(b"garbage"),
            Error::InvalidKey,
            "SEC1",
        ),
        (
            SigningKey::from_config("hello"),
            Error::InvalidKey,
            "neither",
        ),
        (
            SigningKey::from_file("/nonexistent/key.pem"),
            Error::KeyNotFound,
            "nonexistent",
        ),
    ];
    for (i, (got, want, reason)) in cases.into_iter().enumerate() {
        let e = got.unwrap_err();
        assert_eq!(e.error(), want, "case {i}: {e}");
        assert!(e.reason().contains(reason), "case {i}: {e}");
    }
    // a PEM of two keys is ambiguous
    let two = format!("{}{}", text("pkcs8-p256.pem"), text("pkcs8-ed25519.pem"));
    assert!(
        SigningKey::from_pem(&two)
            .unwrap_err()
            .reason()
            .contains("more than one")
    );
    #[cfg(not(feature = "rsa-signing"))]
    {
        let e = SigningKey::from_pem(&text("pkcs8-rsa2048.pem")).unwrap_err();
        assert_eq!(e.error(), Error::UnsupportedKeyType);
        assert!(e.reason().contains("HSM"), "{e}");
    }
    #[cfg(feature = "rsa-signing")]
    {
        let key = SigningKey::from_pem(&text("pkcs8-rsa2048.pem")).unwrap();
        assert_eq!(key.alg(), Alg::Ps256);
        signs_and_verifies(&key);
    }
}

// RFC 7515 Appendix A.3: the ES256 example key.
const RFC7515_A3: &str = r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}"#;
// RFC 8037 Appendix A.1: the Ed25519 example key; A.3 gives its thumbprint.
const RFC8037_A1: &str = r#"{"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;

/// Private JWKs: the RFC example keys load, their thumbprints are the RFCs'
/// (RFC 8037 A.3), `kid` is kept, and inconsistent keys are refused.
#[test]
fn private_jwks_of_the_rfcs_load() {
    let ed = SigningKey::from_jwk(RFC8037_A1).unwrap();
    assert_eq!(ed.alg(), Alg::EdDsa);
    assert_eq!(ed.key_id(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    let es = SigningKey::from_config(&RFC7515_A3.replace(
        '{',
        r#"{"kid":"as-1","alg":"ES256","use":"sig","key_ops":["sign"],"#,
    ))
    .unwrap();
    assert_eq!(es.alg(), Alg::Es256);
    assert_eq!(es.key_id(), "as-1");
    signs_and_verifies(&es);
    let jwk: serde_json::Value = serde_json::from_str(&es.public_jwk_json().unwrap()).unwrap();
    assert_eq!(jwk["x"], "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU");
    assert!(jwk.get("d").is_none());

    let refused = [
        (RFC7515_A3.replace("f83O", "g83O"), Error::InvalidKey),
        (
            RFC7515_A3.replace(r#","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI""#, ""),
            Error::InvalidKey,
        ),
        (
            RFC7515_A3.replace('{', r#"{"alg":"EdDSA","#),
            Error::KeyAlgMismatch,
        ),
        (
            RFC7515_A3.replace('{', r#"{"alg":"HS256","#),
            Error::UnsupportedAlg,
        ),
        (
            RFC7515_A3.replace('{', r#"{"use":"enc","#),
            Error::InvalidKey,
        ),
        (
            RFC7515_A3.replace('{', r#"{"key_ops":["verify"],"#),
            Error::InvalidKey,
        ),
        (
            RFC7515_A3.replace("P-256", "P-384"),
            Error::UnsupportedKeyType,
        ),
        (
            r#"{"kty":"oct","k":"AAAA","d":"AA"}"#.into(),
            Error::UnsupportedKeyType,
        ),
        ("{not json".into(), Error::Json),
    ];
    for (jwk, want) in refused {
        assert_eq!(
            SigningKey::from_jwk(&jwk).unwrap_err().error(),
            want,
            "{jwk}"
        );
    }
}

#[test]
fn key_set_jwks_is_what_the_resource_server_selects_from() {
    let mut set = KeySet::new(SigningKey::from_jwk(RFC8037_A1).unwrap());
    set.rotate(SigningKey::from_jwk(RFC7515_A3).unwrap())
        .unwrap();
    let rs = fapi::IssuerKeys::from_jwks_json(&set.jwks_json().unwrap()).unwrap();
    assert_eq!(rs.len(), 2);
    let ed_kid = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";
    assert_eq!(
        rs.select(Some(ed_kid), Alg::EdDsa).unwrap().alg(),
        Alg::EdDsa
    );
    assert_eq!(rs.select(None, Alg::Es256).unwrap().alg(), Alg::Es256);
}

/// A key in SoftHSM2 loads by its PKCS#11 URI (RFC 7512) and signs; its
/// signatures verify with aws-lc. Skipped without a token (see
/// `crates/fapi-pkcs11/tests/softhsm-setup.sh`); under CI=true a missing
/// token fails.
#[test]
fn f2_alg_hsm_key_loads_by_pkcs11_uri() {
    let module = fapi_pkcs11::token::module_path_from_env();
    let (Ok(token), Ok(pin)) = (
        std::env::var("FAPI_PKCS11_TOKEN"),
        std::env::var("FAPI_PKCS11_PIN"),
    ) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true and no SoftHSM2 token: source crates/fapi-pkcs11/tests/softhsm-setup.sh"
        );
        eprintln!("*** SKIPPED: no SoftHSM2 token (FAPI_PKCS11_TOKEN, FAPI_PKCS11_PIN) ***");
        return;
    };
    let pool = fapi_pkcs11::SessionPool::new(
        fapi_pkcs11::Token::open(&module, &token).unwrap(),
        fapi_pkcs11::Pin::new(&pin),
        fapi_pkcs11::PoolConfig::default(),
    )
    .unwrap();
    let label = format!("fapi-uri-{}", std::process::id());
    let info = fapi_pkcs11::keys::generate(&pool, fapi_pkcs11::KeySpec::P256, &label).unwrap();
    let dir = std::env::temp_dir().join(format!("fapi-uri-pin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pin_file = dir.join("pin");
    std::fs::write(&pin_file, format!("{pin}\n")).unwrap();
    let uri = format!(
        "pkcs11:token={token};object={label};type=private?module-path={}&pin-source=file:{}",
        module.display(),
        pin_file.display()
    );
    let key = SigningKey::from_config(&uri).unwrap();
    assert!(key.is_hsm());
    assert_eq!(key.alg(), Alg::Es256);
    assert_eq!(key.public_key().unwrap(), info.public);
    signs_and_verifies(&key);
    // by CKA_ID, PIN inline
    let id: String = info.id.iter().map(|b| format!("%{b:02x}")).collect();
    let by_id = format!(
        "pkcs11:token={token};id={id}?module-path={}&pin-value={pin}",
        module.display()
    );
    assert_eq!(
        SigningKey::from_pkcs11_uri(&by_id)
            .unwrap()
            .public_key()
            .unwrap(),
        info.public
    );
    // a label that is not on the token, and a wrong PIN
    let missing = uri.replace(&label, "no-such-key");
    assert_eq!(
        SigningKey::from_pkcs11_uri(&missing).unwrap_err().error(),
        Error::KeyNotFound
    );
    // a PIN file that is not there (a wrong PIN is the token's business,
    // and PKCS#11 logins are per application: tested in fapi-pkcs11)
    let no_pin = uri.replace(&pin_file.display().to_string(), "/nonexistent/pin");
    let e = SigningKey::from_pkcs11_uri(&no_pin).unwrap_err();
    assert!(e.reason().contains("PIN"), "{e}");
    fapi_pkcs11::keys::destroy(&pool, &info.id).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}
