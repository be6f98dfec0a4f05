//! `SigningKey` as an HA signing group: several PKCS#11 URIs in one
//! configuration value, on the two group tokens of
//! `crates/fapi-pkcs11/tests/softhsm-setup.sh` (`FAPI_PKCS11_HA_TOKENS`).
//! The same key is put in both tokens with `softhsm2-util --import`.
//! Skipped without the tokens; under CI=true their absence fails.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use fapi::SigningKey;
use fapi_core::crypto::KeyVerifier;
use fapi_core::{Alg, Error, Signer, Verifier};

struct Env {
    module: String,
    pin: String,
    a: String,
    b: String,
}

fn env() -> Option<Env> {
    let tokens = std::env::var("FAPI_PKCS11_HA_TOKENS").unwrap_or_default();
    let labels: Vec<&str> = tokens.split_whitespace().collect();
    let (Ok(pin), [a, b, ..]) = (std::env::var("FAPI_PKCS11_PIN"), labels.as_slice()) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true and no SoftHSM2 group tokens: source crates/fapi-pkcs11/tests/softhsm-setup.sh"
        );
        eprintln!("*** SKIPPED: no SoftHSM2 group tokens (FAPI_PKCS11_HA_TOKENS) ***");
        return None;
    };
    Some(Env {
        module: fapi_pkcs11::token::module_path_from_env()
            .display()
            .to_string(),
        pin,
        a: (*a).to_owned(),
        b: (*b).to_owned(),
    })
}

/// Imports the PKCS#8 PEM key at `file` (from this crate's directory)
/// into `token` with `CKA_ID` `id` (hex) and `CKA_LABEL` `label`.
fn import(env: &Env, token: &str, file: &str, id: &str, label: &str) {
    let path = format!("{}/{file}", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("softhsm2-util")
        .args(["--import", &path, "--token", token, "--label", label])
        .args(["--id", id, "--pin", &env.pin])
        .output()
        .expect("run softhsm2-util");
    assert!(
        out.status.success(),
        "softhsm2-util --import: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn uri(env: &Env, token: &str, label: &str) -> String {
    format!(
        "pkcs11:token={token};object={label}?module-path={}&pin-value={}",
        env.module, env.pin
    )
}

/// A hex `CKA_ID` no other run used (the tokens live for the setup's run).
fn fresh_id(n: u8) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{:08x}{:08x}{n:02x}", std::process::id(), nanos)
}

/// All three group tests import before the module is loaded in this
/// process, and share it: one test function.
#[test]
fn signing_key_group_from_config() {
    let Some(env) = env() else { return };
    let (same, other) = (fresh_id(1), fresh_id(2));
    import(&env, &env.a, "testdata/pkcs8-p256.pem", &same, "group-key");
    import(&env, &env.b, "testdata/pkcs8-p256.pem", &same, "group-key");
    import(&env, &env.a, "testdata/pkcs8-p256.pem", &other, "mixed-key");
    // Another P-256 key (the C API tests'), PKCS#8 as softhsm2-util wants.
    import(
        &env,
        &env.b,
        "../c/tests/keys/p256-test-key.pem",
        &other,
        "mixed-key",
    );

    // Two URIs, one per line: one key, two members.
    let config = format!(
        "{}\n  {}\n",
        uri(&env, &env.a, "group-key"),
        uri(&env, &env.b, "group-key")
    );
    let key = SigningKey::from_config(&config).unwrap();
    assert!(key.is_hsm());
    assert_eq!(key.alg(), Alg::Es256);
    let group = key.hsm_group().unwrap();
    assert_eq!(group.members_in(), 2);
    let single = SigningKey::from_config(&uri(&env, &env.a, "group-key")).unwrap();
    assert!(single.hsm_group().is_none());
    assert_eq!(key.key_id(), single.key_id());
    assert_eq!(key.public_key(), single.public_key());
    let v = KeyVerifier::new(&fapi_awslc::AWSLC, key.public_key().unwrap());
    for i in 0..8u8 {
        let mut sig = [0u8; 64];
        let n = key.sign(&[i; 16], &mut sig).unwrap();
        assert_eq!(v.verify(&[i; 16], &sig[..n]), Ok(()));
    }
    let health = group.health();
    assert!(health.iter().all(|m| m.signatures >= 1), "{health:?}");
    assert!(health[0].name.contains(&env.a) && health[1].name.contains(&env.b));
    assert!(!format!("{key:?}").contains(&env.pin));

    // Another key under the same id in the second token: refused, naming
    // both members and both kids.
    let mixed = format!(
        "{} {}",
        uri(&env, &env.a, "mixed-key"),
        uri(&env, &env.b, "mixed-key")
    );
    let e = SigningKey::from_config(&mixed).unwrap_err();
    assert_eq!(e.error(), Error::InvalidKey);
    let (ka, kb) = (
        SigningKey::from_config(&uri(&env, &env.a, "mixed-key")).unwrap(),
        SigningKey::from_config(&uri(&env, &env.b, "mixed-key")).unwrap(),
    );
    assert_ne!(ka.key_id(), kb.key_id());
    for part in [&env.a, &env.b, ka.key_id(), kb.key_id()] {
        assert!(e.reason().contains(part), "{part} in {}", e.reason());
    }
    assert!(!e.reason().contains(&env.pin));

    // A member that does not open is named.
    let missing = format!(
        "{} {}",
        uri(&env, &env.a, "group-key"),
        uri(&env, &env.b, "no-such-key")
    );
    let e = SigningKey::from_config(&missing).unwrap_err();
    assert_eq!(e.error(), Error::KeyNotFound);
    assert!(
        e.reason().starts_with("PKCS#11 group member 2 (token ") && e.reason().contains(&env.b),
        "{}",
        e.reason()
    );

    // A member that is not a PKCS#11 URI is named.
    let e = SigningKey::from_config(&format!("{} garbage", uri(&env, &env.a, "group-key")))
        .unwrap_err();
    assert_eq!(e.error(), Error::InvalidParameter);
    assert!(
        e.reason().starts_with("PKCS#11 group member 2:"),
        "{}",
        e.reason()
    );
    let e = SigningKey::from_pkcs11_group(&[&uri(&env, &env.a, "group-key")]).unwrap_err();
    assert_eq!(e.error(), Error::InvalidParameter);
}
