//! Every Wycheproof file of the three FAPI algorithms through every backend.
//!
//! Rules, asserted per case:
//! - `valid`: the signature verifies.
//! - `invalid`: it is rejected (any error; the signature path never
//!   panics).
//! - `acceptable`: **rejected**. Wycheproof marks as acceptable what a
//!   strict implementation may refuse (legacy encodings, weak parameters);
//!   fapi verifies tokens from the open internet and takes the strict side.
//!   The files in use today have no acceptable case; the count is printed
//!   so that a new version of the files that adds some is noticed.
//! - The DER ECDSA file goes through a strict DER-to-`r || s` converter
//!   first: a DER signature the converter refuses counts as rejected.
//! - The salt-0 PSS file: every case, valid or not under its own
//!   parameters, must be rejected under PS256 (salt length 32) -- except
//!   the one case the file describes as "s_len changed to 32": that
//!   signature was made with a 32-byte salt, so it *is* a correct PS256
//!   signature, and both backends must verify it. The test asserts that
//!   there is exactly one such case.
//!
//! Vectors are read at test time from `$FAPI_WYCHEPROOF_DIR`; see
//! `fapi_conformance::wycheproof_dir`.

use fapi_conformance::{backends, der_to_raw, hex, wycheproof_dir};
use fapi_core::jwk::RsaPublicKey;
use fapi_core::{Alg, Error, PublicKey, PublicKeyVerifier};
use serde_json::Value;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// `valid` verifies; `invalid` and `acceptable` are rejected.
    AsLabelled,
    /// Every case is rejected, except one made with a 32-byte salt (the
    /// salt-0 file's "s_len changed to 32").
    Salt0,
}

#[derive(Clone, Copy)]
enum SigFormat {
    Raw,
    Der,
}

#[derive(Default, Debug)]
struct Counts {
    valid: usize,
    invalid: usize,
    acceptable: usize,
    verified: usize,
    rejected: usize,
}

fn load(name: &str) -> Option<Value> {
    let dir = wycheproof_dir()?;
    let path = dir.join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    Some(serde_json::from_str(&text).expect("Wycheproof JSON"))
}

fn group_key(group: &Value, alg: Alg) -> PublicKey {
    let pk = &group["publicKey"];
    match alg {
        Alg::Es256 => {
            PublicKey::p256_from_sec1(&hex(pk["uncompressed"].as_str().unwrap())).unwrap()
        }
        Alg::EdDsa => PublicKey::Ed25519 {
            x: hex(pk["pk"].as_str().unwrap()).try_into().unwrap(),
        },
        Alg::Ps256 => {
            let n = hex(pk["modulus"].as_str().unwrap());
            let e = hex(pk["publicExponent"].as_str().unwrap());
            let strip = |b: &[u8]| {
                b.iter()
                    .position(|x| *x != 0)
                    .map_or(vec![], |i| b[i..].to_vec())
            };
            PublicKey::Rsa(RsaPublicKey::new(&strip(&n), &strip(&e)).unwrap())
        }
    }
}

fn run_file(name: &str, alg: Alg, format: SigFormat, expect: Expect) {
    let Some(doc) = load(name) else { return };
    for (backend_name, backend) in backends() {
        let mut c = Counts::default();
        let mut salt32_cases = 0usize;
        for group in doc["testGroups"].as_array().unwrap() {
            if alg == Alg::Ps256 {
                assert_eq!(group["sha"], "SHA-256", "{name}");
                assert_eq!(group["mgfSha"], "SHA-256", "{name}");
            }
            let key = group_key(group, alg);
            for case in group["tests"].as_array().unwrap() {
                let id = &case["tcId"];
                let msg = hex(case["msg"].as_str().unwrap());
                let sig = hex(case["sig"].as_str().unwrap());
                let result = verify(backend, &key, alg, format, &msg, &sig);
                let label = case["result"].as_str().unwrap();
                match label {
                    "valid" => c.valid += 1,
                    "invalid" => c.invalid += 1,
                    "acceptable" => c.acceptable += 1,
                    other => panic!("{name} #{id}: unknown result {other}"),
                }
                match result {
                    Ok(()) => c.verified += 1,
                    Err(e) => {
                        c.rejected += 1;
                        // Signature failures carry no detail.
                        assert_eq!(e, Error::BadSignature, "{name} #{id} ({backend_name})");
                    }
                }
                let must_verify = match expect {
                    Expect::AsLabelled => label == "valid",
                    Expect::Salt0 => {
                        let salt32 = case["comment"] == "s_len changed to 32";
                        salt32_cases += usize::from(salt32);
                        salt32
                    }
                };
                assert_eq!(
                    result.is_ok(),
                    must_verify,
                    "{name} #{id} via {backend_name}: {label} case {} ({})",
                    if result.is_ok() {
                        "verified"
                    } else {
                        "was rejected"
                    },
                    case["comment"]
                );
            }
        }
        println!(
            "wycheproof {name} [{backend_name}]: {} cases (valid {}, invalid {}, acceptable {}) -> verified {}, rejected {}",
            c.valid + c.invalid + c.acceptable,
            c.valid,
            c.invalid,
            c.acceptable,
            c.verified,
            c.rejected
        );
        if expect == Expect::Salt0 {
            assert_eq!(salt32_cases, 1, "{name}: the one salt-32 case");
            assert_eq!(c.verified, 1, "{name}: only the salt-32 case verifies");
        }
        assert_eq!(
            c.valid + c.invalid + c.acceptable,
            usize::try_from(doc["numberOfTests"].as_u64().unwrap()).unwrap(),
            "{name}: every case ran"
        );
    }
}

fn verify(
    backend: &dyn PublicKeyVerifier,
    key: &PublicKey,
    alg: Alg,
    format: SigFormat,
    msg: &[u8],
    sig: &[u8],
) -> Result<(), Error> {
    match format {
        SigFormat::Raw => backend.verify_with(key, alg, msg, sig),
        // A DER signature the strict converter refuses counts as rejected.
        SigFormat::Der => match der_to_raw(sig) {
            Some(raw) => backend.verify_with(key, alg, msg, &raw),
            None => Err(Error::BadSignature),
        },
    }
}

#[test]
fn ecdsa_p256_sha256_p1363() {
    run_file(
        "ecdsa_secp256r1_sha256_p1363_test.json",
        Alg::Es256,
        SigFormat::Raw,
        Expect::AsLabelled,
    );
}

#[test]
fn ecdsa_p256_sha256_der() {
    run_file(
        "ecdsa_secp256r1_sha256_test.json",
        Alg::Es256,
        SigFormat::Der,
        Expect::AsLabelled,
    );
}

#[test]
fn ed25519() {
    run_file(
        "ed25519_test.json",
        Alg::EdDsa,
        SigFormat::Raw,
        Expect::AsLabelled,
    );
}

#[test]
fn rsa_pss_2048_sha256_salt32() {
    run_file(
        "rsa_pss_2048_sha256_mgf1_32_test.json",
        Alg::Ps256,
        SigFormat::Raw,
        Expect::AsLabelled,
    );
}

#[test]
fn rsa_pss_3072_sha256_salt32() {
    run_file(
        "rsa_pss_3072_sha256_mgf1_32_test.json",
        Alg::Ps256,
        SigFormat::Raw,
        Expect::AsLabelled,
    );
}

#[test]
fn rsa_pss_4096_sha256_salt32() {
    run_file(
        "rsa_pss_4096_sha256_mgf1_32_test.json",
        Alg::Ps256,
        SigFormat::Raw,
        Expect::AsLabelled,
    );
}

/// F2-ALG: PS256 means a 32-byte salt; a salt-0 signature never verifies.
#[test]
fn f2_alg_rsa_pss_salt0_rejected_under_ps256() {
    run_file(
        "rsa_pss_2048_sha256_mgf1_0_test.json",
        Alg::Ps256,
        SigFormat::Raw,
        Expect::Salt0,
    );
}
