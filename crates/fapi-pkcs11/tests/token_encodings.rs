//! What a token returns, read by the crates that implement the encodings:
//! DER ECDSA signatures (RFC 3279 §2.2.3) through `p256`/`ecdsa`, checked
//! against every Wycheproof ECDSA P-256 SHA-256 DER case, and
//! `CKA_EC_POINT` (PKCS#11 3.0 §2.3.3) through `der` and `p256`. No token
//! is needed.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cryptoki::object::KeyType;
use fapi_conformance::{hex, wycheproof_dir};
use fapi_core::{Alg, PublicKey, PublicKeyVerifier};
use fapi_pkcs11::Error;
use fapi_pkcs11::key::{ED25519_PARAMS, P256_PARAMS, ec_public};
use fapi_pkcs11::signer::ecdsa_raw;
use fapi_rustcrypto::RUSTCRYPTO;

/// RFC 3279 §2.2.3: a token's DER `ECDSA-Sig-Value` becomes the JWS
/// `r || s` exactly when it is strict DER with `r` and `s` in range, so
/// every Wycheproof case labelled valid verifies after the conversion and
/// no case labelled invalid does (BER lengths, padded or negative
/// integers, trailing bytes, r or s out of range are each refused or fail).
#[test]
fn rfc3279_der_signatures_as_wycheproof_labels_them() {
    let Some(dir) = wycheproof_dir() else { return };
    let path = dir.join("ecdsa_secp256r1_sha256_test.json");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let (mut cases, mut converted) = (0usize, 0usize);
    for group in doc["testGroups"].as_array().unwrap() {
        let key =
            PublicKey::p256_from_sec1(&hex(group["publicKey"]["uncompressed"].as_str().unwrap()))
                .unwrap();
        for case in group["tests"].as_array().unwrap() {
            cases += 1;
            let id = &case["tcId"];
            let msg = hex(case["msg"].as_str().unwrap());
            let sig = hex(case["sig"].as_str().unwrap());
            let verified = match ecdsa_raw(&sig) {
                Ok(raw) => {
                    converted += 1;
                    RUSTCRYPTO.verify_with(&key, Alg::Es256, &msg, &raw).is_ok()
                }
                Err(e) => {
                    assert_eq!(e, Error::MalformedSignature, "#{id}");
                    false
                }
            };
            match case["result"].as_str().unwrap() {
                "valid" => assert!(verified, "#{id} valid but refused: {}", case["comment"]),
                "invalid" => assert!(!verified, "#{id} invalid but accepted: {}", case["comment"]),
                _ => {}
            }
        }
    }
    assert_eq!(
        cases,
        usize::try_from(doc["numberOfTests"].as_u64().unwrap()).unwrap()
    );
    println!("wycheproof ecdsa DER through ecdsa_raw: {cases} cases, {converted} converted");
}

/// A raw 64-byte `r || s` (what PKCS#11 `CKM_ECDSA` returns) is kept as
/// it is when `r` and `s` are in range, and refused otherwise.
#[test]
fn pkcs11_raw_ecdsa_signatures() {
    let mut raw = [0x11u8; 64];
    assert_eq!(ecdsa_raw(&raw).unwrap(), raw);
    raw[..32].fill(0);
    assert_eq!(ecdsa_raw(&raw), Err(Error::MalformedSignature), "r = 0");
    assert_eq!(
        ecdsa_raw(&[0xffu8; 64]),
        Err(Error::MalformedSignature),
        "r, s >= n"
    );
    assert_eq!(ecdsa_raw(&[0u8; 63]), Err(Error::MalformedSignature));
}

/// The P-256 base point G (SEC 2 §2.4.2), uncompressed.
const G: &str = "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5";

fn der_octet_string(content: &[u8]) -> Vec<u8> {
    let mut v = vec![0x04, u8::try_from(content.len()).unwrap()];
    v.extend_from_slice(content);
    v
}

/// PKCS#11 3.0 §2.3.3: `CKA_EC_POINT` is a DER OCTET STRING holding the
/// SEC1 point; the bare point (some tokens) and compressed points (SEC1
/// §2.3.3) give the same key; a point off the curve, a BER length and
/// trailing bytes are refused.
#[test]
fn pkcs11_3_0_ec_point_encodings() {
    let g = hex(G);
    let want = PublicKey::p256_from_sec1(&g).unwrap();
    // y of G is odd: the compressed form starts with 03.
    let mut compressed = vec![0x03];
    compressed.extend_from_slice(&g[1..33]);
    for point in [
        g.clone(),
        der_octet_string(&g),
        compressed.clone(),
        der_octet_string(&compressed),
    ] {
        assert_eq!(ec_public(KeyType::EC, P256_PARAMS, &point).unwrap(), want);
    }
    let mut off_curve = g.clone();
    off_curve[64] ^= 1;
    let mut ber = vec![0x04, 0x81, 0x41];
    ber.extend_from_slice(&g);
    let mut trailing = der_octet_string(&g);
    trailing.push(0);
    for (what, point) in [
        ("off the curve", off_curve.clone()),
        ("off the curve, DER", der_octet_string(&off_curve)),
        ("BER long-form length", ber),
        ("trailing byte", trailing),
        ("empty", vec![]),
    ] {
        assert!(
            matches!(
                ec_public(KeyType::EC, P256_PARAMS, &point),
                Err(Error::Other(_))
            ),
            "{what}"
        );
    }

    // Ed25519 (PKCS#11 3.0 §2.3.6): the 32 bytes, bare or DER.
    let x: Vec<u8> = (1..=32u8).collect();
    let want = PublicKey::Ed25519 {
        x: x.clone().try_into().unwrap(),
    };
    for point in [x.clone(), der_octet_string(&x)] {
        assert_eq!(
            ec_public(KeyType::EC_EDWARDS, ED25519_PARAMS, &point).unwrap(),
            want
        );
    }
    for point in [der_octet_string(&x[..31]), x[..31].to_vec()] {
        assert!(matches!(
            ec_public(KeyType::EC_EDWARDS, ED25519_PARAMS, &point),
            Err(Error::Other(_))
        ));
    }
}
