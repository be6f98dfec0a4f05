//! `fapi keygen`: a fresh signing key, as a PKCS#8 PEM document (stdout or
//! a new file of mode 0600) or inside an HSM.
//!
//! F2-ALG: only ES256 (P-256), EdDSA (Ed25519) and PS256 (RSA 2048) keys
//! are made; clap refuses any other name (exit 2). Every software key is
//! loaded back through `fapi::SigningKey::from_pem` before it is written,
//! so what is written is what a server built on fapi loads.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair};
use fapi::pkcs11_uri::{PinSource, Pkcs11Uri};
use fapi_core::{Alg, Signer as _};
use zeroize::Zeroizing;

use crate::cli::KeygenArgs;
use crate::failure::Failure;
use crate::{keys, output};

/// Runs `fapi keygen`.
pub fn run(args: &KeygenArgs) -> Result<(), Failure> {
    let alg = args.alg.alg();
    if let Some(uri) = &args.pkcs11 {
        return in_hsm(uri, alg);
    }
    let pem = pkcs8_pem(alg)?;
    // The key as fapi loads it: F2-ALG checked once more.
    let key = fapi::SigningKey::from_pem(&pem).map_err(|e| Failure::key("the new key", &e))?;
    match &args.out {
        Some(path) => {
            write_private(path, &pem)?;
            output::json(&keys::public_jwk(&key)?)
        }
        None if args.output.json => output::json(&serde_json::json!({
            "private_key_pem": pem.as_str(),
            "jwk": keys::public_jwk(&key)?,
        })),
        None => output::line(pem.trim_end()),
    }
}

/// A fresh software key for `alg` as PKCS#8 (RFC 5958) PEM, from aws-lc.
pub fn pkcs8_pem(alg: Alg) -> Result<Zeroizing<String>, Failure> {
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let failed = |_| Failure::refused("generating a key", fapi_core::Error::RandomFailed);
    let der: Zeroizing<Vec<u8>> = Zeroizing::new(match alg {
        Alg::Es256 => EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(failed)?
            .as_ref()
            .to_vec(),
        Alg::EdDsa => Ed25519KeyPair::generate_pkcs8(&rng)
            .map_err(failed)?
            .as_ref()
            .to_vec(),
        Alg::Ps256 => {
            // F2-ALG: 2048 bits, the smallest RSA key allowed.
            let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                .map_err(failed)?;
            let der: aws_lc_rs::encoding::Pkcs8V1Der<'static> = pair.as_der().map_err(failed)?;
            der.as_ref().to_vec()
        }
    });
    let pem = pem_rfc7468::encode_string("PRIVATE KEY", pem_rfc7468::LineEnding::LF, &der)
        .map_err(|e| Failure::environment("PEM encoding", e))?;
    Ok(Zeroizing::new(pem))
}

/// Writes `pem` to a new file at `path`, readable by its owner only. An
/// existing file is never overwritten.
fn write_private(path: &Path, pem: &str) -> Result<(), Failure> {
    let what = path.display().to_string();
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Failure::environment(&what, e))?;
    f.write_all(pem.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| Failure::environment(&what, e))
}

/// Generates the key inside the HSM the URI names (`object` is its label)
/// and prints its public JWK, loaded back by the URI.
fn in_hsm(uri: &str, alg: Alg) -> Result<(), Failure> {
    let what = "the PKCS#11 URI";
    let parsed = Pkcs11Uri::parse(uri).map_err(|e| Failure::usage(what, e.to_string()))?;
    let label = parsed
        .object
        .clone()
        .ok_or_else(|| Failure::usage(what, "object=LABEL names the new key"))?;
    if parsed.id.is_some() {
        return Err(Failure::usage(
            what,
            "id= is chosen by the HSM: name the key by object= only",
        ));
    }
    let hsm = |e: fapi_pkcs11::Error| Failure::environment("PKCS#11", e);
    let module = parsed
        .module_path
        .clone()
        .unwrap_or_else(fapi_pkcs11::token::module_path_from_env);
    let token = fapi_pkcs11::Token::open(&module, &parsed.token).map_err(hsm)?;
    let pin = match &parsed.pin {
        PinSource::File(p) => fapi_pkcs11::Pin::from_file(p).map_err(hsm)?,
        PinSource::Value(v) => fapi_pkcs11::Pin::new(v),
    };
    let pool = fapi_pkcs11::SessionPool::new(token, pin, fapi_pkcs11::PoolConfig::default())
        .map_err(hsm)?;
    // One label, one key: a second key of the same label would make the
    // URI ambiguous.
    if fapi_pkcs11::keys::describe(&pool, &fapi_pkcs11::KeyRef::Label(label.clone())).is_ok() {
        return Err(Failure::usage(
            what,
            format!("the token already holds a key labelled {label:?}"),
        ));
    }
    let _ = fapi_pkcs11::keys::generate(&pool, fapi_pkcs11::KeySpec::for_alg(alg), &label)
        .map_err(hsm)?;
    drop(pool);
    let key =
        fapi::SigningKey::from_pkcs11_uri(uri).map_err(|e| Failure::key("the new HSM key", &e))?;
    if key.alg() != alg {
        return Err(Failure::refused(
            "the new HSM key",
            fapi_core::Error::KeyAlgMismatch,
        ));
    }
    output::json(&keys::public_jwk(&key)?)
}
