//! JWE (RFC 7516, RFC 7518) in the core: the content encryption layer's
//! known answers, and every refusal the protected header can earn before a
//! key is touched. RSA-OAEP itself is tested through the backends
//! (fapi-conformance `tests/jwe.rs`).

use core::cell::Cell;

use fapi_core::jwe::{self, ContentEnc, KeyAlg, KeyDecrypter, Policy};
use fapi_core::profile::Profile;
use fapi_core::{Error, Random, b64};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

const KERCKHOFFS_P: &str = "41206369706865722073797374656d206d757374206e6f7420626520726571756972656420746f206265207365637265742c20616e64206974206d7573742062652061626c6520746f2066616c6c20696e746f207468652068616e6473206f662074686520656e656d7920776974686f757420696e636f6e76656e69656e6365";
const KERCKHOFFS_A: &str =
    "546865207365636f6e64207072696e6369706c65206f662041756775737465204b6572636b686f666673";
const B_IV: &str = "1af38c2dc2b96ffdd86694092341bc04";

fn cbc_kat(enc: ContentEnc, k: &str, e: &str, t: &str) {
    let (k, p, iv, a) = (hex(k), hex(KERCKHOFFS_P), hex(B_IV), hex(KERCKHOFFS_A));
    let mut buf = p.clone();
    buf.resize(enc.ciphertext_len(p.len()), 0);
    let mut tag = [0u8; 32];
    let n = jwe::seal(enc, &k, &iv, &a, &mut buf, p.len(), &mut tag).unwrap();
    assert_eq!(&buf[..n], &hex(e)[..], "E");
    assert_eq!(&tag[..enc.tag_len()], &hex(t)[..], "T");
    let n = jwe::open(enc, &k, &iv, &a, &mut buf, &tag[..enc.tag_len()]).unwrap();
    assert_eq!(&buf[..n], &p[..]);
}

/// RFC 7518 Appendix B.1: AES_128_CBC_HMAC_SHA_256 with the appendix's K,
/// P, IV and A gives exactly its E and T.
#[test]
fn rfc7518_b1_a128cbc_hs256_known_answer() {
    cbc_kat(
        ContentEnc::A128CbcHs256,
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        "c80edfa32ddf39d5ef00c0b468834279a2e46a1b8049f792f76bfe54b903a9c9a94ac9b47ad2655c5f10f9aef71427e2fc6f9b3f399a221489f16362c703233609d45ac69864e3321cf82935ac4096c86e133314c54019e8ca7980dfa4b9cf1b384c486f3a54c51078158ee5d79de59fbd34d848b3d69550a67646344427ade54b8851ffb598f7f80074b9473c82e2db",
        "652c3fa36b0a7c5b3219fab3a30bc1c4",
    );
}

/// RFC 7518 Appendix B.3: AES_256_CBC_HMAC_SHA_512.
#[test]
fn rfc7518_b3_a256cbc_hs512_known_answer() {
    cbc_kat(
        ContentEnc::A256CbcHs512,
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
        "4affaaadb78c31c5da4b1b590d10ffbd3dd8d5d302423526912da037ecbcc7bd822c301dd67c373bccb584ad3e9279c2e6d12a1374b77f077553df829410446b36ebd97066296ae6427ea75c2e0846a11a09ccf5370dc80bfecbad28c73f09b3a3b75e662a2594410ae496b2e2e6609e31e6e02cc837f053d21f37ff4f51950bbe2638d09dd7a4930930806d0703b1f6",
        "4dd3b4c088a7f45c216839645b2012bf2e6269a8c56a816dbc1b267761955bc5",
    );
}

/// RFC 7516 §11.5: a bad tag, a bad CBC padding behind a good tag is
/// impossible to reach, and a CEK of the wrong length all end in the one
/// error; a wrong IV or tag length is a length error, decided on public
/// data.
#[test]
fn rfc7516_11_5_content_failures_are_one_error() {
    for enc in ContentEnc::ALL {
        let cek = vec![9u8; enc.cek_len()];
        let iv = vec![1u8; enc.iv_len()];
        let mut buf = vec![0u8; 48];
        buf[..5].copy_from_slice(b"hello");
        let mut tag = [0u8; 32];
        let n = jwe::seal(enc, &cek, &iv, b"aad", &mut buf, 5, &mut tag).unwrap();
        let tag = &tag[..enc.tag_len()];
        let ct = buf[..n].to_vec();
        // Flipped ciphertext, flipped tag, other AAD, short CEK.
        let mut bad = ct.clone();
        bad[0] ^= 1;
        assert_eq!(
            jwe::open(enc, &cek, &iv, b"aad", &mut bad, tag),
            Err(Error::DecryptionFailed)
        );
        let mut t2 = tag.to_vec();
        t2[0] ^= 1;
        assert_eq!(
            jwe::open(enc, &cek, &iv, b"aad", &mut ct.clone(), &t2),
            Err(Error::DecryptionFailed)
        );
        assert_eq!(
            jwe::open(enc, &cek, &iv, b"aaX", &mut ct.clone(), tag),
            Err(Error::DecryptionFailed)
        );
        assert_eq!(
            jwe::open(enc, &cek[1..], &iv, b"aad", &mut ct.clone(), tag),
            Err(Error::DecryptionFailed)
        );
        // Truncated ciphertext (CBC: not whole blocks).
        assert_eq!(
            jwe::open(enc, &cek, &iv, b"aad", &mut ct[..n - 1].to_vec(), tag),
            Err(Error::DecryptionFailed)
        );
        assert_eq!(
            jwe::open(enc, &cek, &iv[1..], b"aad", &mut ct.clone(), tag),
            Err(Error::JweLength)
        );
        assert_eq!(
            jwe::open(enc, &cek, &iv, b"aad", &mut ct.clone(), &tag[1..]),
            Err(Error::JweLength)
        );
        let n2 = jwe::open(enc, &cek, &iv, b"aad", &mut ct.clone(), tag).unwrap();
        assert_eq!(n2, 5);
    }
}

/// A key that must never be reached (header refusals come first), or that
/// fails to unwrap (the MMA path).
struct Key {
    unwrap: Result<usize, Error>,
    calls: Cell<u32>,
}

impl KeyDecrypter for Key {
    fn algs(&self) -> &[KeyAlg] {
        &KeyAlg::ALL
    }
    fn key_id(&self) -> Option<&str> {
        Some("enc-1")
    }
    fn modulus_len(&self) -> usize {
        256
    }
    fn unwrap_key(&self, _: KeyAlg, _: &[u8], out: &mut [u8]) -> Result<usize, Error> {
        self.calls.set(self.calls.get() + 1);
        if let Ok(n) = self.unwrap {
            out[..n].fill(5);
        }
        self.unwrap
    }
}

struct Counter(Cell<u32>);
impl Random for Counter {
    fn fill(&self, d: &mut [u8]) -> Result<(), Error> {
        self.0.set(self.0.get() + 1);
        d.fill(0x42);
        Ok(())
    }
}

fn jwe_with(header: &str, ek_len: usize, iv_len: usize, ct_len: usize, tag_len: usize) -> String {
    let enc = |b: &[u8]| {
        let mut out = vec![0u8; b64::encoded_len(b.len())];
        let n = b64::encode_vartime(b, &mut out).unwrap();
        String::from_utf8(out[..n].to_vec()).unwrap()
    };
    [
        enc(header.as_bytes()),
        enc(&vec![7u8; ek_len]),
        enc(&vec![1u8; iv_len]),
        enc(&vec![2u8; ct_len]),
        enc(&vec![3u8; tag_len]),
    ]
    .join(".")
}

fn decrypt_err(compact: &str, policy: &Policy<'_>) -> (Error, u32) {
    let key = Key {
        unwrap: Err(Error::DecryptionFailed),
        calls: Cell::new(0),
    };
    let mut buf = vec![0u8; jwe::decrypt_buf_len(compact.len())];
    let err = jwe::decrypt(
        compact.as_bytes(),
        policy,
        &key,
        &Counter(Cell::new(0)),
        &mut buf,
    )
    .unwrap_err();
    (err, key.calls.get())
}

fn header_err(header: &str) -> Error {
    let (e, calls) = decrypt_err(&jwe_with(header, 256, 12, 16, 16), &Policy::ALL);
    assert_eq!(calls, 0, "{header}: the key was used");
    e
}

/// RFC 7518 §4.2 (RSA1_5, RFC 3218), §4.5 (dir) and every other `alg` are
/// refused before the key is touched.
#[test]
fn rfc7518_4_refuses_rsa1_5_dir_and_other_algs() {
    for alg in [
        "RSA1_5",
        "dir",
        "A128KW",
        "ECDH-ES",
        "RSA-OAEP-384",
        "none",
        "PS256",
        "",
    ] {
        let h = format!(r#"{{"alg":"{alg}","enc":"A128GCM"}}"#);
        assert_eq!(header_err(&h), Error::UnsupportedAlg, "{alg}");
    }
    assert_eq!(header_err(r#"{"enc":"A128GCM"}"#), Error::UnsupportedAlg);
}

/// RFC 7518 §5.1: only the four `enc` values.
#[test]
fn rfc7518_5_1_refuses_other_encs() {
    for enc in ["A192GCM", "A192CBC-HS384", "a128gcm", "A128CBC", ""] {
        let h = format!(r#"{{"alg":"RSA-OAEP","enc":"{enc}"}}"#);
        assert_eq!(header_err(&h), Error::UnsupportedEnc, "{enc}");
    }
    assert_eq!(header_err(r#"{"alg":"RSA-OAEP"}"#), Error::UnsupportedEnc);
}

/// RFC 7516 §4.1.3 (`zip`), §4.1.13 (`crit`), RFC 8725 §3.4 (duplicate
/// members).
#[test]
fn rfc7516_4_1_refuses_zip_crit_and_duplicates() {
    assert_eq!(
        header_err(r#"{"alg":"RSA-OAEP","enc":"A128GCM","zip":"DEF"}"#),
        Error::Compressed
    );
    assert_eq!(
        header_err(r#"{"alg":"RSA-OAEP","enc":"A128GCM","crit":["exp"],"exp":1}"#),
        Error::UnsupportedCrit
    );
    assert_eq!(
        header_err(r#"{"alg":"RSA-OAEP","enc":"A128GCM","alg":"RSA-OAEP"}"#),
        Error::DuplicateMember
    );
    assert_eq!(header_err("not json"), Error::Json);
}

/// OFB-ALG: RSA-OAEP with A256GCM only; CDR-ALG: RSA-OAEP or RSA-OAEP-256
/// with any of the four. The profile's lists are what `Policy` reads.
#[test]
fn ofb_alg_and_cdr_alg_allow_lists_are_enforced() {
    let ofb = Policy::from_profile(&Profile::OFB);
    let cdr = Policy::from_profile(&Profile::CDR);
    let h = |alg: &str, enc: &str| {
        jwe_with(
            &format!(r#"{{"alg":"{alg}","enc":"{enc}"}}"#),
            256,
            12,
            16,
            16,
        )
    };
    assert_eq!(
        decrypt_err(&h("RSA-OAEP-256", "A256GCM"), &ofb),
        (Error::AlgNotAllowed, 0)
    );
    assert_eq!(
        decrypt_err(&h("RSA-OAEP", "A128GCM"), &ofb),
        (Error::EncNotAllowed, 0)
    );
    assert_eq!(
        decrypt_err(&h("RSA-OAEP", "A128CBC-HS256"), &ofb),
        (Error::EncNotAllowed, 0)
    );
    // Allowed by the profile: the key is reached.
    assert_eq!(
        decrypt_err(&h("RSA-OAEP", "A256GCM"), &ofb),
        (Error::DecryptionFailed, 1)
    );
    assert_eq!(
        decrypt_err(&h("RSA-OAEP-256", "A128GCM"), &cdr),
        (Error::DecryptionFailed, 1)
    );
    // A profile with no restriction allows the full set.
    let fapi2 = Policy::from_profile(&Profile::FAPI2);
    assert_eq!(fapi2.algs, KeyAlg::ALL_NAMES);
    assert_eq!(fapi2.encs, ContentEnc::ALL_NAMES);
}

/// RFC 7519 §5.2, RFC 7515 §4.1.10: a nested JWT says `cty: JWT`
/// (case-insensitively).
#[test]
fn rfc7519_5_2_nested_jwt_requires_cty_jwt() {
    let nested = Policy::ALL.nested_jwt();
    let h = |extra: &str| {
        jwe_with(
            &format!(r#"{{"alg":"RSA-OAEP","enc":"A128GCM"{extra}}}"#),
            256,
            12,
            16,
            16,
        )
    };
    assert_eq!(decrypt_err(&h(""), &nested), (Error::NotNestedJwt, 0));
    assert_eq!(
        decrypt_err(&h(r#","cty":"json""#), &nested),
        (Error::NotNestedJwt, 0)
    );
    for cty in ["JWT", "jwt", "application/jwt"] {
        let c = format!(r#","cty":"{cty}""#);
        assert_eq!(
            decrypt_err(&h(&c), &nested),
            (Error::DecryptionFailed, 1),
            "{cty}"
        );
    }
}

/// RFC 7518 §4.3, §5.2.2.1, §5.3: encrypted key, IV and tag lengths.
#[test]
fn rfc7518_wrong_lengths_are_refused() {
    let gcm = r#"{"alg":"RSA-OAEP","enc":"A128GCM"}"#;
    let cbc = r#"{"alg":"RSA-OAEP","enc":"A256CBC-HS512"}"#;
    for (h, ek, iv, tag) in [
        (gcm, 255, 12, 16),
        (gcm, 257, 12, 16),
        (gcm, 0, 12, 16),
        (gcm, 2000, 12, 16),
        (gcm, 256, 16, 16),
        (gcm, 256, 12, 12),
        (cbc, 256, 12, 32),
        (cbc, 256, 16, 16),
    ] {
        assert_eq!(
            decrypt_err(&jwe_with(h, ek, iv, 16, tag), &Policy::ALL),
            (Error::JweLength, 0)
        );
    }
    assert_eq!(decrypt_err("a.b.c", &Policy::ALL).0, Error::Malformed);
    assert_eq!(decrypt_err("a.b.c.d.e.f", &Policy::ALL).0, Error::Malformed);
}

/// RFC 3218 §2.3.2 (the MMA countermeasure): the random CEK is drawn on
/// every call, and a key that does not unwrap, or unwraps to a CEK of the
/// wrong length, ends in the same error as a bad tag.
#[test]
fn rfc3218_unwrap_failure_continues_with_a_random_cek() {
    let compact = jwe_with(
        r#"{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"enc-1"}"#,
        256,
        12,
        16,
        16,
    );
    for unwrap in [Err(Error::DecryptionFailed), Ok(16), Ok(32)] {
        let key = Key {
            unwrap,
            calls: Cell::new(0),
        };
        let rng = Counter(Cell::new(0));
        let mut buf = vec![0u8; jwe::decrypt_buf_len(compact.len())];
        let err = jwe::decrypt(compact.as_bytes(), &Policy::ALL, &key, &rng, &mut buf).unwrap_err();
        assert_eq!(err, Error::DecryptionFailed);
        assert_eq!((key.calls.get(), rng.0.get()), (1, 1));
    }
    // A `kid` that is not the key's is refused before the key is used.
    let other = jwe_with(
        r#"{"alg":"RSA-OAEP","enc":"A256GCM","kid":"enc-2"}"#,
        256,
        12,
        16,
        16,
    );
    assert_eq!(decrypt_err(&other, &Policy::ALL), (Error::KeyNotFound, 0));
}
