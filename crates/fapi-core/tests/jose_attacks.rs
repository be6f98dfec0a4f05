//! The JOSE attacks of SECURITY.md that the core refuses on its own.
//!
//! Every token here goes to a backend that accepts *every* signature, so
//! each refusal is the core's structural check, not a lucky signature
//! failure. Each test asserts the exact typed error.

use fapi_core::crypto::{PublicKeyVerifier, Verifier};
use fapi_core::jws::{self, MAX_COMPACT, MAX_HEADER, Policy};
use fapi_core::{Alg, Error, PublicJwk, PublicKey};

/// A verifier for one algorithm that accepts any signature.
struct AcceptAll(Alg);

impl Verifier for AcceptAll {
    fn alg(&self) -> Alg {
        self.0
    }
    fn verify(&self, _: &[u8], _: &[u8]) -> Result<(), Error> {
        Ok(())
    }
}

/// A backend that accepts any signature with any key.
struct AcceptAllBackend;

impl PublicKeyVerifier for AcceptAllBackend {
    fn verify_with(&self, _: &PublicKey, _: Alg, _: &[u8], _: &[u8]) -> Result<(), Error> {
        Ok(())
    }
}

const ALL: &[Alg] = &[Alg::Ps256, Alg::Es256, Alg::EdDsa];
const SIG64: [u8; 64] = [7; 64];
/// RFC 7515 A.3's public key.
const EC_JWK: &str = r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;

fn b64(bytes: &[u8]) -> String {
    let mut out = vec![0u8; fapi_core::b64::encoded_len(bytes.len())];
    fapi_core::b64::encode(bytes, &mut out).unwrap().to_owned()
}

fn token(header: &str, payload: &str, sig: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        b64(header.as_bytes()),
        b64(payload.as_bytes()),
        b64(sig)
    )
}

fn verify_fixed(token: &str, policy: &Policy<'_>, key_alg: Alg) -> Result<(), Error> {
    let mut buf = vec![0u8; token.len()];
    jws::verify(token.as_bytes(), policy, &AcceptAll(key_alg), &mut buf).map(|_| ())
}

fn verify_embedded(token: &str, policy: &Policy<'_>) -> Result<(), Error> {
    let mut buf = vec![0u8; token.len()];
    jws::verify_embedded(token.as_bytes(), policy, &AcceptAllBackend, &mut buf).map(|_| ())
}

fn es256(header: &str) -> Result<(), Error> {
    verify_fixed(&token(header, "{}", &SIG64), &Policy::new(ALL), Alg::Es256)
}

#[test]
fn control_a_well_formed_token_is_accepted_by_the_accept_all_backend() {
    assert_eq!(es256(r#"{"alg":"ES256","typ":"JWT","kid":"k"}"#), Ok(()));
    let dpop = format!(r#"{{"typ":"dpop+jwt","alg":"ES256","jwk":{EC_JWK}}}"#);
    let policy = Policy::new(ALL).with_typ("dpop+jwt");
    assert_eq!(
        verify_embedded(&token(&dpop, "{}", &SIG64), &policy),
        Ok(())
    );
}

/// F2-ALG: `alg: none` (any case) is refused, signature or not.
#[test]
fn alg_none_is_refused() {
    for none in ["none", "None", "NONE"] {
        let header = format!(r#"{{"alg":"{none}"}}"#);
        for sig in [&[][..], &SIG64[..]] {
            let t = token(&header, "{}", sig);
            assert_eq!(
                verify_fixed(&t, &Policy::new(ALL), Alg::Es256),
                Err(Error::UnsupportedAlg)
            );
        }
    }
    assert_eq!(es256(r#"{"typ":"JWT"}"#), Err(Error::UnsupportedAlg));
}

/// F2-ALG: HS256 with an RSA (or EC) public key as the HMAC secret is
/// refused before any key is touched.
#[test]
fn alg_confusion_hs256_with_public_key_is_refused() {
    let t = token(r#"{"alg":"HS256"}"#, "{}", &[1; 32]);
    for key in [Alg::Ps256, Alg::Es256, Alg::EdDsa] {
        assert_eq!(
            verify_fixed(&t, &Policy::new(ALL), key),
            Err(Error::UnsupportedAlg)
        );
    }
}

/// F2-ALG: RS256 (PKCS#1 v1.5) and the other outside algorithms.
#[test]
fn rs256_downgrade_is_refused() {
    for alg in [
        "RS256", "RS512", "PS384", "ES384", "ES256K", "Ed448", "ed25519", "es256",
    ] {
        let t = token(&format!(r#"{{"alg":"{alg}"}}"#), "{}", &[1; 256]);
        assert_eq!(
            verify_fixed(&t, &Policy::new(ALL), Alg::Ps256),
            Err(Error::UnsupportedAlg),
            "{alg}"
        );
    }
}

/// F2-ALG, RFC 9864 §2.2: `Ed25519` names EdDSA on Ed25519; it is read as
/// EdDSA, so an EdDSA key verifies it, a key of another algorithm is
/// refused, and a policy without EdDSA (CDR-ALG) refuses it.
#[test]
fn rfc9864_ed25519_is_eddsa() {
    let t = token(r#"{"alg":"Ed25519"}"#, "{}", &SIG64);
    assert_eq!(verify_fixed(&t, &Policy::new(ALL), Alg::EdDsa), Ok(()));
    assert_eq!(
        verify_fixed(&t, &Policy::new(ALL), Alg::Es256),
        Err(Error::KeyAlgMismatch)
    );
    assert_eq!(
        verify_fixed(&t, &Policy::new(&[Alg::Ps256, Alg::Es256]), Alg::EdDsa),
        Err(Error::AlgNotAllowed)
    );
}

/// An algorithm fapi implements but the profile does not allow (OFB-ALG:
/// PS256 only), and a key of another algorithm than the header's.
#[test]
fn alg_outside_profile_and_key_mismatch_are_refused() {
    let t = token(r#"{"alg":"ES256"}"#, "{}", &SIG64);
    assert_eq!(
        verify_fixed(&t, &Policy::new(&[Alg::Ps256]), Alg::Es256),
        Err(Error::AlgNotAllowed)
    );
    assert_eq!(
        verify_fixed(&t, &Policy::new(ALL), Alg::EdDsa),
        Err(Error::KeyAlgMismatch)
    );
    // An embedded key of another type than the header's algorithm.
    let okp = r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
    let h = format!(r#"{{"alg":"ES256","jwk":{okp}}}"#);
    assert_eq!(
        verify_embedded(&token(&h, "{}", &SIG64), &Policy::new(ALL)),
        Err(Error::KeyAlgMismatch)
    );
}

/// Key injection: `jwk` where the verifier holds the key, and `jku`,
/// `x5u`, `x5c` always (never fetched, never trusted).
#[test]
fn embedded_key_injection_is_refused() {
    assert_eq!(
        es256(&format!(r#"{{"alg":"ES256","jwk":{EC_JWK}}}"#)),
        Err(Error::EmbeddedKey)
    );
    for member in [
        r#""jku":"https://attacker.example/jwks""#,
        r#""x5u":"https://attacker.example/cert""#,
        r#""x5c":["MIIBIjAN"]"#,
    ] {
        let fixed = format!(r#"{{"alg":"ES256",{member}}}"#);
        assert_eq!(es256(&fixed), Err(Error::EmbeddedKey), "{member}");
        let embedded = format!(r#"{{"alg":"ES256","jwk":{EC_JWK},{member}}}"#);
        let t = token(&embedded, "{}", &SIG64);
        assert_eq!(
            verify_embedded(&t, &Policy::new(ALL)),
            Err(Error::EmbeddedKey),
            "{member}"
        );
    }
    let t = token(r#"{"alg":"ES256"}"#, "{}", &SIG64);
    assert_eq!(
        verify_embedded(&t, &Policy::new(ALL)),
        Err(Error::MissingEmbeddedKey)
    );
}

/// A private key in a DPoP proof's `jwk`, and every private member in a
/// public JWK.
#[test]
fn private_key_members_are_refused() {
    let d = r#""d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI""#;
    let jwk = format!(r#"{},{d}}}"#, &EC_JWK[..EC_JWK.len() - 1]);
    let h = format!(r#"{{"typ":"dpop+jwt","alg":"ES256","jwk":{jwk}}}"#);
    assert_eq!(
        verify_embedded(&token(&h, "{}", &SIG64), &Policy::new(ALL)),
        Err(Error::PrivateKeyMember)
    );
    for member in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
        let jwk = format!(r#"{},"{member}":"AQAB"}}"#, &EC_JWK[..EC_JWK.len() - 1]);
        assert_eq!(
            PublicJwk::from_json(jwk.as_bytes()).err(),
            Some(Error::PrivateKeyMember),
            "{member}"
        );
    }
}

/// `crit` naming an extension the caller does not understand, or empty.
#[test]
fn crit_bypass_is_refused() {
    assert_eq!(
        es256(r#"{"alg":"ES256","crit":["exp"],"exp":1}"#),
        Err(Error::UnsupportedCrit)
    );
    assert_eq!(
        es256(r#"{"alg":"ES256","crit":[]}"#),
        Err(Error::UnsupportedCrit)
    );
    let t = token(r#"{"alg":"ES256","crit":["exp"],"exp":1}"#, "{}", &SIG64);
    assert_eq!(
        verify_fixed(&t, &Policy::new(ALL).with_crit(&["exp"]), Alg::Es256),
        Ok(())
    );
}

/// RFC 7797 `b64: false` (the payload would be signed unencoded).
#[test]
fn unencoded_payload_is_refused() {
    assert_eq!(
        es256(r#"{"alg":"ES256","b64":false,"crit":["b64"]}"#),
        Err(Error::UnencodedPayload)
    );
    assert_eq!(
        es256(r#"{"alg":"ES256","b64":false}"#),
        Err(Error::UnencodedPayload)
    );
}

/// Duplicate members: `{"alg":"ES256","alg":"none"}` is read differently by
/// different parsers, so it is refused, at any depth.
#[test]
fn duplicate_members_are_refused() {
    assert_eq!(
        es256(r#"{"alg":"ES256","alg":"none"}"#),
        Err(Error::DuplicateMember)
    );
    assert_eq!(
        es256(r#"{"alg":"ES256","kid":"a","kid":"b"}"#),
        Err(Error::DuplicateMember)
    );
    let jwk = format!(r#"{},"x":"AAAA"}}"#, &EC_JWK[..EC_JWK.len() - 1]);
    let h = format!(r#"{{"alg":"ES256","jwk":{jwk}}}"#);
    assert_eq!(
        verify_embedded(&token(&h, "{}", &SIG64), &Policy::new(ALL)),
        Err(Error::DuplicateMember)
    );
    // An escaped member name is read as the name it stands for, so it
    // cannot hide a duplicate from byte comparison.
    assert_eq!(
        es256(r#"{"alg":"ES256","\u0061lg":"none"}"#),
        Err(Error::DuplicateMember)
    );
    // An escaped value is compared as the value it stands for.
    assert_eq!(es256(r#"{"alg":"ES\u00325\u0036"}"#), Ok(()));
    assert_eq!(
        es256(r#"{"alg":"ES\u0032\u0035"}"#),
        Err(Error::UnsupportedAlg)
    );
    // RFC 8259 §7: a value with any escape (non-ASCII, a quote, a
    // backslash, a control character) is read as the text it stands for,
    // which here is no algorithm at all.
    for v in [r#"ES256\u00e9"#, r#"ES256\""#, r#"ES256\\"#, r#"ES256\n"#] {
        let h = format!(r#"{{"alg":"{v}"}}"#);
        assert_eq!(es256(&h), Err(Error::UnsupportedAlg), "{h}");
    }
    // And a `kid` so written is read whole.
    assert_eq!(es256(r#"{"alg":"ES256","kid":"a\"b\\c\u00e9"}"#), Ok(()));
}

/// A JWE where a JWS is expected, by shape and by header.
#[test]
fn jwe_jws_confusion_is_refused() {
    let jwe = "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d";
    assert_eq!(
        verify_fixed(jwe, &Policy::new(ALL), Alg::Es256),
        Err(Error::Encrypted)
    );
    assert_eq!(
        es256(r#"{"alg":"ES256","enc":"A256GCM"}"#),
        Err(Error::Encrypted)
    );
    for malformed in ["a.b", "a.b.c.d", "abc", ""] {
        assert_eq!(
            verify_fixed(malformed, &Policy::new(ALL), Alg::Es256),
            Err(Error::Malformed)
        );
    }
}

/// A token of one type presented as another (an access token as a DPoP
/// proof, a proof as a request object).
#[test]
fn typ_confusion_is_refused() {
    let dpop = Policy::new(ALL).with_typ("dpop+jwt");
    for typ in [r#""typ":"at+jwt","#, r#""typ":"JWT","#, ""] {
        let t = token(&format!(r#"{{{typ}"alg":"ES256"}}"#), "{}", &SIG64);
        assert_eq!(
            verify_fixed(&t, &dpop, Alg::Es256),
            Err(Error::WrongType),
            "{typ}"
        );
    }
    // RFC 7515 §4.1.9: `application/` is optional and case does not matter.
    let t = token(
        r#"{"typ":"application/DPoP+JWT","alg":"ES256"}"#,
        "{}",
        &SIG64,
    );
    assert_eq!(verify_fixed(&t, &dpop, Alg::Es256), Ok(()));
}

/// Oversize tokens, oversize headers and deeply nested JSON.
#[test]
fn oversize_and_deep_json_are_refused() {
    let big = "a".repeat(MAX_COMPACT);
    let t = format!("{big}.a.a");
    assert_eq!(
        verify_fixed(&t, &Policy::new(ALL), Alg::Es256),
        Err(Error::TooLarge)
    );
    let kid = "k".repeat(MAX_HEADER);
    assert_eq!(
        es256(&format!(r#"{{"alg":"ES256","kid":"{kid}"}}"#)),
        Err(Error::TooLarge)
    );
    let deep = format!(
        r#"{{"alg":"ES256","x":{}1{}}}"#,
        "[".repeat(40),
        "]".repeat(40)
    );
    assert_eq!(es256(&deep), Err(Error::TooLarge));
}

/// base64url malleability: padding, the standard alphabet, whitespace and
/// non-zero trailing bits are refused, so each token has one encoding.
#[test]
fn base64_malleability_is_refused() {
    let good = token(r#"{"alg":"ES256"}"#, "{}", &SIG64);
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    let sig = parts[2].clone();
    let check = |parts: &[String]| verify_fixed(&parts.join("."), &Policy::new(ALL), Alg::Es256);
    assert_eq!(check(&parts), Ok(()));
    // 64 bytes encode to 86 characters whose last carries 4 unused bits.
    // The canonical last character has those bits zero; the next one up
    // in the alphabet sets the lowest.
    let last = sig.as_bytes()[85];
    let tweaked = char::from(last + 1);
    parts[2] = format!("{}{}", &sig[..85], tweaked);
    assert_eq!(check(&parts), Err(Error::Base64));
    parts[2] = format!("{sig}==");
    assert_eq!(check(&parts), Err(Error::Base64));
    parts[2] = sig.replace('_', "/").replace('-', "+") + "+/";
    assert_eq!(check(&parts), Err(Error::Base64));
    parts[2] = sig.clone();
    parts[1] = "e30=".into();
    assert_eq!(check(&parts), Err(Error::Base64));
    parts[1] = "e3 0".into();
    assert_eq!(check(&parts), Err(Error::Base64));
}

/// ES256 and EdDSA signatures of any length but 64 bytes (a DER ECDSA
/// signature, a truncated one) are refused before the backend is asked.
#[test]
fn wrong_signature_lengths_are_refused() {
    for len in [0, 32, 63, 65, 70, 72, 128] {
        let sig = vec![1u8; len];
        for (alg, name) in [(Alg::Es256, "ES256"), (Alg::EdDsa, "EdDSA")] {
            let t = token(&format!(r#"{{"alg":"{name}"}}"#), "{}", &sig);
            assert_eq!(
                verify_fixed(&t, &Policy::new(ALL), alg),
                Err(Error::BadSignature),
                "{len}"
            );
        }
    }
}

/// F2-ALG: RSA keys under 2048 bits are refused when the JWK is parsed.
#[test]
fn weak_rsa_keys_are_refused() {
    let jwk = |bytes: usize| {
        let mut n = vec![0xC5u8; bytes];
        n[bytes - 1] |= 1;
        format!(r#"{{"kty":"RSA","n":"{}","e":"AQAB"}}"#, b64(&n))
    };
    for bytes in [64, 128, 255] {
        assert_eq!(
            PublicJwk::from_json(jwk(bytes).as_bytes()).err(),
            Some(Error::WeakKey),
            "{bytes}"
        );
    }
    assert!(PublicJwk::from_json(jwk(256).as_bytes()).is_ok());
    // A leading zero octet would give one key two thumbprints.
    let padded = format!(
        r#"{{"kty":"RSA","n":"{}","e":"AQAB"}}"#,
        b64(&[&[0u8][..], &[0xC5; 256]].concat())
    );
    assert_eq!(
        PublicJwk::from_json(padded.as_bytes()).err(),
        Some(Error::InvalidKey)
    );
}

/// RFC 8725 §3.4: `Verified::claims` parses the payload that was checked
/// when it was read without scanning it again, and a payload swapped in
/// after verification is still checked: a duplicate claim is refused
/// either way.
#[test]
fn claims_of_a_swapped_payload_are_still_checked() {
    #[derive(serde::Deserialize)]
    struct Sub<'a> {
        sub: &'a str,
    }
    let policy = Policy::new(ALL).json_payload();
    let t = token(r#"{"alg":"ES256"}"#, r#"{"sub":"a\/b"}"#, &SIG64);
    let mut buf = [0u8; 1024];
    let mut v = jws::verify(t.as_bytes(), &policy, &AcceptAll(Alg::Es256), &mut buf).unwrap();
    let claims: Sub<'_> = v.claims().unwrap();
    assert_eq!(claims.sub, "a/b");

    let t = token(r#"{"alg":"ES256"}"#, r#"{"sub":"a","sub":"b"}"#, &SIG64);
    let mut buf = [0u8; 1024];
    assert_eq!(
        jws::verify(t.as_bytes(), &policy, &AcceptAll(Alg::Es256), &mut buf).err(),
        Some(Error::DuplicateMember)
    );

    let t = token(r#"{"alg":"ES256"}"#, r#"{"sub":"a"}"#, &SIG64);
    let mut buf = [0u8; 1024];
    let mut v = jws::verify(t.as_bytes(), &policy, &AcceptAll(Alg::Es256), &mut buf).unwrap();
    v.payload = br#"{"sub":"a","sub":"b"}"#;
    assert_eq!(v.claims::<Sub<'_>>().err(), Some(Error::DuplicateMember));
}
