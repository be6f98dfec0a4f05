//! Bad inputs, each refused with its exact typed error.
//!
//! Tokens are built from hand-written header JSON and signed with a real
//! key, so that every refusal below comes from the check under test and
//! not from a failed signature.

use fapi_core::b64;
use fapi_core::jws::{self, Policy};
use fapi_core::{Alg, Error, PublicJwk, PublicKey, Signer};

const PAYLOAD: &[u8] = br#"{"sub":"alice"}"#;

fn enc(bytes: &[u8]) -> String {
    let mut out = vec![0u8; b64::encoded_len(bytes.len())];
    b64::encode(bytes, &mut out).unwrap().to_owned()
}

/// `b64(header).b64(payload).b64(signature)` with a real signature by
/// `signer` over the first two parts.
fn token(signer: &dyn Signer, header: &str, payload: &[u8]) -> String {
    let input = format!("{}.{}", enc(header.as_bytes()), enc(payload));
    let mut sig = [0u8; 1024];
    let n = signer.sign(input.as_bytes(), &mut sig).unwrap();
    format!("{input}.{}", enc(&sig[..n]))
}

fn es256() -> fapi_rustcrypto::Es256SigningKey {
    fapi_rustcrypto::Es256SigningKey::from_bytes(&[3u8; 32]).unwrap()
}

fn ed25519() -> fapi_rustcrypto::Ed25519SigningKey {
    fapi_rustcrypto::Ed25519SigningKey::from_bytes(&[4u8; 32]).unwrap()
}

/// Verifies `compact` with the ES256 test key under `policy`.
fn verify_es256(compact: &str, policy: &Policy<'_>) -> Result<(), Error> {
    let key = es256().verifying_key();
    let mut buf = [0u8; 40 * 1024];
    jws::verify(compact.as_bytes(), policy, &key, &mut buf).map(|_| ())
}

fn es256_policy() -> Policy<'static> {
    Policy::new(&[Alg::Es256])
}

/// F2-ALG: `none`, HS256, RS256 and other algorithms outside the three are
/// refused before any key is used.
#[test]
fn f2_alg_refused_algorithms() {
    let k = es256();
    for alg in ["none", "HS256", "RS256", "ES384", "PS512", "es256"] {
        let t = token(&k, &format!(r#"{{"alg":"{alg}"}}"#), PAYLOAD);
        assert_eq!(
            verify_es256(&t, &es256_policy()),
            Err(Error::UnsupportedAlg),
            "{alg}"
        );
    }
    // `none` with an empty signature, the classic form.
    let t = format!("{}.{}.", enc(br#"{"alg":"none"}"#), enc(PAYLOAD));
    assert_eq!(
        verify_es256(&t, &es256_policy()),
        Err(Error::UnsupportedAlg)
    );
    // No `alg` at all.
    let t = token(&k, r#"{"typ":"JWT"}"#, PAYLOAD);
    assert_eq!(
        verify_es256(&t, &es256_policy()),
        Err(Error::UnsupportedAlg)
    );
}

/// F2-ALG: HS256 with an RSA public key as the "secret" (the key-confusion
/// attack) is refused as an algorithm, whatever the key.
#[test]
fn f2_alg_hs256_header_with_rsa_key() {
    let rsa = fapi_awslc::Ps256SigningKey::generate(2048).unwrap();
    let t = token(&rsa, r#"{"alg":"HS256"}"#, PAYLOAD);
    let key = fapi_awslc::Ps256VerifyingKey::from_public_key(&rsa.public_key().unwrap()).unwrap();
    let mut buf = [0u8; 4096];
    assert_eq!(
        jws::verify(t.as_bytes(), &Policy::new(&[Alg::Ps256]), &key, &mut buf).err(),
        Some(Error::UnsupportedAlg)
    );
}

/// An ES256 header verified with an Ed25519 key, and an ES256 header
/// carrying an Ed25519 `jwk`.
#[test]
fn es256_header_with_ed25519_key() {
    let ed = ed25519();
    let t = token(&ed, r#"{"alg":"ES256"}"#, PAYLOAD);
    let key = ed.verifying_key();
    let mut buf = [0u8; 4096];
    let all = Policy::new(Alg::ALL);
    assert_eq!(
        jws::verify(t.as_bytes(), &all, &key, &mut buf).err(),
        Some(Error::KeyAlgMismatch)
    );

    let mut jwk = [0u8; 256];
    let n = PublicJwk::new(ed.public_key().unwrap(), None)
        .write_json(&mut jwk)
        .unwrap();
    let jwk = core::str::from_utf8(&jwk[..n]).unwrap();
    let t = token(
        &ed,
        &format!(r#"{{"alg":"ES256","typ":"dpop+jwt","jwk":{jwk}}}"#),
        PAYLOAD,
    );
    for (name, backend) in fapi_conformance::backends() {
        assert_eq!(
            jws::verify_embedded(t.as_bytes(), &all, backend, &mut buf).err(),
            Some(Error::KeyAlgMismatch),
            "{name}"
        );
        // The run-time verifier refuses a mismatch on its own too.
        assert_eq!(
            backend.verify_with(&ed.public_key().unwrap(), Alg::Es256, b"m", &[0u8; 64]),
            Err(Error::KeyAlgMismatch),
            "{name}"
        );
    }
}

#[test]
fn alg_outside_allow_list() {
    let t = token(&es256(), r#"{"alg":"ES256"}"#, PAYLOAD);
    assert_eq!(
        verify_es256(&t, &Policy::new(&[Alg::Ps256, Alg::EdDsa])),
        Err(Error::AlgNotAllowed)
    );
}

#[test]
fn oversized_token() {
    let big = vec![b'a'; jws::MAX_COMPACT];
    let t = token(&es256(), r#"{"alg":"ES256"}"#, &big);
    assert!(t.len() > jws::MAX_COMPACT);
    assert_eq!(verify_es256(&t, &es256_policy()), Err(Error::TooLarge));
}

#[test]
fn malformed_and_padded_base64() {
    let t = token(&es256(), r#"{"alg":"ES256"}"#, PAYLOAD);
    let parts: Vec<&str> = t.split('.').collect();
    // A character outside the alphabet in the header, and in the payload.
    let bad_header = format!("{}!.{}.{}", parts[0], parts[1], parts[2]);
    assert_eq!(
        verify_es256(&bad_header, &es256_policy()),
        Err(Error::Base64)
    );
    let std_alphabet = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        parts[2].replace(['-', '_'], "+")
    );
    assert_eq!(
        verify_es256(&std_alphabet, &es256_policy()),
        Err(Error::Base64)
    );
    // Padding on the header and on the signature.
    let padded_header = format!("{}=.{}.{}", parts[0], parts[1], parts[2]);
    assert_eq!(
        verify_es256(&padded_header, &es256_policy()),
        Err(Error::Base64)
    );
    let padded_sig = format!("{}.{}.{}==", parts[0], parts[1], parts[2]);
    assert_eq!(
        verify_es256(&padded_sig, &es256_policy()),
        Err(Error::Base64)
    );
}

#[test]
fn malformed_json_header() {
    let k = es256();
    for h in [
        r#"{"alg":"ES256""#,
        r#"{"alg":ES256}"#,
        r#"["ES256"]"#,
        r#"{"alg":"ES256"} x"#,
    ] {
        assert_eq!(
            verify_es256(&token(&k, h, PAYLOAD), &es256_policy()),
            Err(Error::Json),
            "{h}"
        );
    }
}

#[test]
fn duplicate_header_members() {
    let k = es256();
    let t = token(&k, r#"{"alg":"ES256","alg":"ES256"}"#, PAYLOAD);
    assert_eq!(
        verify_es256(&t, &es256_policy()),
        Err(Error::DuplicateMember)
    );
    let t = token(&k, r#"{"alg":"ES256","typ":"JWT","typ":"at+jwt"}"#, PAYLOAD);
    assert_eq!(
        verify_es256(&t, &es256_policy()),
        Err(Error::DuplicateMember)
    );
}

#[test]
fn unknown_crit() {
    let k = es256();
    let t = token(&k, r#"{"alg":"ES256","crit":["exp"],"exp":1}"#, PAYLOAD);
    assert_eq!(
        verify_es256(&t, &es256_policy()),
        Err(Error::UnsupportedCrit)
    );
    let t = token(&k, r#"{"alg":"ES256","crit":[]}"#, PAYLOAD);
    assert_eq!(
        verify_es256(&t, &es256_policy()),
        Err(Error::UnsupportedCrit)
    );
    // Understood by the caller: accepted.
    let t = token(&k, r#"{"alg":"ES256","crit":["exp"],"exp":1}"#, PAYLOAD);
    assert_eq!(
        verify_es256(&t, &es256_policy().with_crit(&["exp"])),
        Ok(())
    );
}

#[test]
fn unencoded_payload() {
    let t = token(
        &es256(),
        r#"{"alg":"ES256","b64":false,"crit":["b64"]}"#,
        PAYLOAD,
    );
    assert_eq!(
        verify_es256(&t, &es256_policy().with_crit(&["b64"])),
        Err(Error::UnencodedPayload)
    );
}

#[test]
fn key_carrying_headers_outside_dpop() {
    let k = es256();
    let mut jwk = [0u8; 256];
    let n = PublicJwk::new(k.public_key().unwrap(), None)
        .write_json(&mut jwk)
        .unwrap();
    let jwk = core::str::from_utf8(&jwk[..n]).unwrap();
    for h in [
        format!(r#"{{"alg":"ES256","jwk":{jwk}}}"#),
        r#"{"alg":"ES256","jku":"https://attacker.example/jwks"}"#.to_owned(),
        r#"{"alg":"ES256","x5u":"https://attacker.example/cert"}"#.to_owned(),
        r#"{"alg":"ES256","x5c":["MIIB"]}"#.to_owned(),
    ] {
        assert_eq!(
            verify_es256(&token(&k, &h, PAYLOAD), &es256_policy()),
            Err(Error::EmbeddedKey),
            "{h}"
        );
    }
    // `jku` is refused even where an embedded `jwk` is asked for.
    let t = token(
        &k,
        &format!(r#"{{"alg":"ES256","jwk":{jwk},"jku":"https://a.example"}}"#),
        PAYLOAD,
    );
    let mut buf = [0u8; 4096];
    assert_eq!(
        jws::verify_embedded(t.as_bytes(), &es256_policy(), &fapi_awslc::AWSLC, &mut buf).err(),
        Some(Error::EmbeddedKey)
    );
    // A DPoP verification without a `jwk`.
    let t = token(&k, r#"{"alg":"ES256"}"#, PAYLOAD);
    assert_eq!(
        jws::verify_embedded(t.as_bytes(), &es256_policy(), &fapi_awslc::AWSLC, &mut buf).err(),
        Some(Error::MissingEmbeddedKey)
    );
}

#[test]
fn jwe_is_refused() {
    let jwe = "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d";
    assert_eq!(verify_es256(jwe, &es256_policy()), Err(Error::Encrypted));
    let t = token(&es256(), r#"{"alg":"ES256","enc":"A256GCM"}"#, PAYLOAD);
    assert_eq!(verify_es256(&t, &es256_policy()), Err(Error::Encrypted));
    assert_eq!(verify_es256("a.b", &es256_policy()), Err(Error::Malformed));
    assert_eq!(
        verify_es256("a.b.c.d", &es256_policy()),
        Err(Error::Malformed)
    );
}

#[test]
fn wrong_typ() {
    let k = es256();
    let p = es256_policy().with_typ("dpop+jwt");
    assert_eq!(
        verify_es256(&token(&k, r#"{"alg":"ES256","typ":"JWT"}"#, PAYLOAD), &p),
        Err(Error::WrongType)
    );
    assert_eq!(
        verify_es256(&token(&k, r#"{"alg":"ES256"}"#, PAYLOAD), &p),
        Err(Error::WrongType)
    );
    // RFC 7515 §4.1.9: case-insensitive, `application/` optional.
    let ok = token(
        &k,
        r#"{"alg":"ES256","typ":"application/DPoP+JWT"}"#,
        PAYLOAD,
    );
    assert_eq!(verify_es256(&ok, &p), Ok(()));
}

#[test]
fn private_members_in_public_jwk() {
    let base = r#""kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0""#;
    for member in ["d", "p", "q", "dp", "dq", "qi", "k"] {
        let json = format!(r#"{{{base},"{member}":"AAAA"}}"#);
        assert_eq!(
            PublicJwk::from_json(json.as_bytes()).err(),
            Some(Error::PrivateKeyMember),
            "{member}"
        );
        let set = format!(r#"{{"keys":[{{{base},"{member}":"AAAA"}}]}}"#);
        assert_eq!(
            fapi_core::jwk::Jwks::from_json(set.as_bytes()).err(),
            Some(Error::PrivateKeyMember),
            "{member} in a JWKS"
        );
    }
    // In a DPoP proof's header.
    let k = es256();
    let h = format!(
        r#"{{"alg":"ES256","typ":"dpop+jwt","jwk":{{{base},"d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}}}}"#
    );
    let mut buf = [0u8; 4096];
    assert_eq!(
        jws::verify_embedded(
            token(&k, &h, PAYLOAD).as_bytes(),
            &es256_policy(),
            &fapi_awslc::AWSLC,
            &mut buf
        )
        .err(),
        Some(Error::PrivateKeyMember)
    );
}

/// F2-ALG: RSA keys under 2048 bits are weak.
#[test]
fn f2_alg_rsa_1024_is_weak() {
    let mut n = vec![0xc5u8; 128];
    n[127] = 0x01;
    let json = format!(r#"{{"kty":"RSA","n":"{}","e":"AQAB"}}"#, enc(&n));
    assert_eq!(
        PublicJwk::from_json(json.as_bytes()).err(),
        Some(Error::WeakKey)
    );
    assert_eq!(
        fapi_core::jwk::RsaPublicKey::new(&n, &[1, 0, 1]).err(),
        Some(Error::WeakKey)
    );
}

#[test]
fn unsupported_key_types() {
    let p384 = r#"{"kty":"EC","crv":"P-384","x":"AAAA","y":"AAAA"}"#;
    assert_eq!(
        PublicJwk::from_json(p384.as_bytes()).err(),
        Some(Error::UnsupportedKeyType)
    );
    let x25519 = r#"{"kty":"OKP","crv":"X25519","x":"AAAA"}"#;
    assert_eq!(
        PublicJwk::from_json(x25519.as_bytes()).err(),
        Some(Error::UnsupportedKeyType)
    );
    // A symmetric key: its `k` is secret material, so it is refused as such.
    let oct = r#"{"kty":"oct","k":"c2VjcmV0"}"#;
    assert_eq!(
        PublicJwk::from_json(oct.as_bytes()).err(),
        Some(Error::PrivateKeyMember)
    );
    assert_eq!(
        PublicJwk::from_json(br#"{"kty":"oct"}"#).err(),
        Some(Error::UnsupportedKeyType)
    );
    // The RFC 7638 §3.1 JWK says `"alg":"RS256"`: not a FAPI algorithm.
    let rs256 = r#"{"kty":"RSA","e":"AQAB","alg":"RS256","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}"#;
    assert_eq!(
        PublicJwk::from_json(rs256.as_bytes()).err(),
        Some(Error::UnsupportedAlg)
    );
}

#[test]
fn wrong_length_ec_coordinates() {
    let y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
    for x in [enc(&[1u8; 31]), enc(&[1u8; 33]), String::new()] {
        let json = format!(r#"{{"kty":"EC","crv":"P-256","x":"{x}","y":"{y}"}}"#);
        assert_eq!(
            PublicJwk::from_json(json.as_bytes()).err(),
            Some(Error::InvalidKey),
            "{x}"
        );
    }
    // 32 bytes each, but not a point on the curve.
    let off = PublicKey::P256 {
        x: [1u8; 32],
        y: [2u8; 32],
    };
    for (name, backend) in fapi_conformance::backends() {
        assert_eq!(
            backend.verify_with(&off, Alg::Es256, b"m", &[1u8; 64]),
            Err(Error::InvalidKey),
            "{name}"
        );
    }
    assert_eq!(
        fapi_rustcrypto::Es256VerifyingKey::from_public_key(&off).err(),
        Some(Error::InvalidKey)
    );
    assert_eq!(
        fapi_awslc::Es256VerifyingKey::from_public_key(&off).err(),
        Some(Error::InvalidKey)
    );
}

#[test]
fn tampered_payload_and_signature() {
    let k = es256();
    let t = token(&k, r#"{"alg":"ES256"}"#, PAYLOAD);
    let parts: Vec<&str> = t.split('.').collect();
    let payload = format!("{}.{}.{}", parts[0], enc(br#"{"sub":"mallory"}"#), parts[2]);
    assert_eq!(
        verify_es256(&payload, &es256_policy()),
        Err(Error::BadSignature)
    );
    let mut sig = [0u8; 64];
    sig.copy_from_slice(b64::decode(parts[2].as_bytes(), &mut [0u8; 64]).unwrap());
    sig[10] ^= 1;
    let signature = format!("{}.{}.{}", parts[0], parts[1], enc(&sig));
    assert_eq!(
        verify_es256(&signature, &es256_policy()),
        Err(Error::BadSignature)
    );
    // The same through both backends' run-time verifiers.
    for (name, backend) in fapi_conformance::backends() {
        let kv = fapi_core::crypto::KeyVerifier::new(backend, k.public_key().unwrap());
        let mut buf = [0u8; 4096];
        assert_eq!(
            jws::verify(payload.as_bytes(), &es256_policy(), &kv, &mut buf).err(),
            Some(Error::BadSignature),
            "{name}"
        );
    }
}

#[test]
fn es256_signature_of_wrong_length() {
    let k = es256();
    let t = token(&k, r#"{"alg":"ES256"}"#, PAYLOAD);
    let parts: Vec<&str> = t.split('.').collect();
    let mut sig = vec![0u8; 64];
    sig.copy_from_slice(b64::decode(parts[2].as_bytes(), &mut [0u8; 64]).unwrap());
    for len in [0usize, 63, 65, 72] {
        let mut s = sig.clone();
        s.resize(len, 0);
        let t = format!("{}.{}.{}", parts[0], parts[1], enc(&s));
        assert_eq!(
            verify_es256(&t, &es256_policy()),
            Err(Error::BadSignature),
            "{len}"
        );
        for (name, backend) in fapi_conformance::backends() {
            assert_eq!(
                backend.verify_with(&k.public_key().unwrap(), Alg::Es256, b"m", &s),
                Err(Error::BadSignature),
                "{name} {len}"
            );
        }
    }
}

/// An Ed25519 public key of small order (here the identity) with the
/// signature `R = identity, S = 0` "verifies" any message under lenient
/// verification (aws-lc's accepted it). Both backends refuse the key.
#[test]
fn ed25519_small_order_key_and_trivial_signature() {
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let key = PublicKey::Ed25519 { x: identity };
    let mut sig = [0u8; 64];
    sig[0] = 1; // R = identity, S = 0
    for (name, backend) in fapi_conformance::backends() {
        let r = backend.verify_with(&key, Alg::EdDsa, b"any message", &sig);
        assert_eq!(r, Err(Error::InvalidKey), "{name}");
    }
    assert_eq!(
        fapi_awslc::Ed25519VerifyingKey::from_public_key(&key).err(),
        Some(Error::InvalidKey)
    );
    assert_eq!(
        fapi_rustcrypto::Ed25519VerifyingKey::from_public_key(&key).err(),
        Some(Error::InvalidKey)
    );
    // The same forgery as a DPoP proof with the key in its header.
    let jwk = format!(
        r#"{{"kty":"OKP","crv":"Ed25519","x":"{}"}}"#,
        enc(&identity)
    );
    let input = format!(
        "{}.{}",
        enc(format!(r#"{{"alg":"EdDSA","typ":"dpop+jwt","jwk":{jwk}}}"#).as_bytes()),
        enc(br#"{"htm":"POST"}"#)
    );
    let proof = format!("{input}.{}", enc(&sig));
    for (name, backend) in fapi_conformance::backends() {
        let mut buf = [0u8; 1024];
        assert_eq!(
            jws::verify_embedded(
                proof.as_bytes(),
                &Policy::new(&[Alg::EdDsa]),
                backend,
                &mut buf
            )
            .err(),
            Some(Error::InvalidKey),
            "{name}"
        );
    }
}
