//! OpenID Connect ID tokens and JARM responses through fapi, beside the raw
//! signature primitive, in one run; and encrypted ID tokens (signed, then
//! encrypted: OpenID Connect Core §10.2) through the `fapi` crate beside
//! the raw primitives they are made of.
//!
//! - **ID token** issue and verify (ES256, PS256): `fapi_core::id_token`
//!   with `nonce`, `auth_time` and `at_hash`; verification checks `iss`,
//!   `aud`, `exp`, `iat` age, `nonce` and `at_hash`. Raw: aws-lc signing
//!   the token's exact signing input, and verifying it with a key parsed
//!   once.
//! - **JARM** issue and verify (ES256, PS256): `fapi_core::jarm` for a code
//!   response with `state`; the same raw primitives.
//! - **Encrypted ID token** (ES256 signature, `RSA-OAEP` with `A256GCM` to
//!   a 2048-bit key): `fapi::Issuer::id_token` for a client that registered
//!   encryption (the registration looked up, the client's JWKS read for its
//!   `"use":"enc"` key, sign, then encrypt), and `fapi::Client::
//!   verify_id_token` with its `DecryptionKey` (decrypt, then verify). Raw:
//!   aws-lc's ES256 signature plus its RSA-OAEP encryption of a 32-byte
//!   key, and its RSA-OAEP decryption plus its ES256 verification.
//!
//! The paired figures (alternating blocks, median of per-round ratios) are
//! printed first as `paired-oidc` lines; criterion's follow (groups
//! `oidc_*`).

use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OaepPrivateDecryptingKey, OaepPublicEncryptingKey, PrivateDecryptingKey,
};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ParsedPublicKey, RSA_PSS_2048_8192_SHA256};
use core::hint::black_box;
use criterion::{Criterion, criterion_group};
use fapi::issuer::ClientRegistration;
use fapi::jwe::EncryptedResponse;
use fapi_core::id_token::{self, IdTokenParams};
use fapi_core::jarm::{self, Response};
use fapi_core::profile::Profile;
use fapi_core::{FixedClock, PublicKey, Signer};

const P256_PK8: &[u8] = include_bytes!("../../crates/fapi-conformance/testdata/keys/p256.pk8.der");
const RSA_PK8: &[u8] =
    include_bytes!("../../crates/fapi-conformance/testdata/keys/rsa2048.pk8.der");

const ISS: &str = "https://as.bank.example.com";
const CID: &str = "s6BhdRkqt3-fapi-client-0001";
const SUB: &str = "c5b1f6f0-2d3a-4b8e-9f61-0d6f7a9e2c41";
const NONCE: &str = "n-0S6_WzA2Mj-8c55-3e1f2a9d7b60";
const ACCESS_TOKEN: &str = "eyJhbGciOiJFUzI1NiJ9.an-access-token-of-realistic-length.c2lnbmF0dXJl";
const CODE: &str = "SplxlOBeZQQYbYS6WxSbIA-9f3c2b7e6a414d0b";
const STATE: &str = "af0ifjsldkj-3e1f2a9d7b60";
/// The profile: FAPI 2.0 Message Signing (JARM required; ES256 and PS256
/// allowed).
const PROFILE: Profile = Profile::FAPI2_MS;

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// aws-lc signing a message, as the raw primitive.
type RawSign = Box<dyn Fn(&[u8]) -> Vec<u8>>;

/// One signature algorithm: fapi's key, the raw aws-lc signer and the raw
/// verifier (parsed once), fapi's verifier.
struct Case {
    name: &'static str,
    fapi: Box<dyn Signer>,
    verifier: fapi_awslc::VerifyingKey,
    raw_sign: RawSign,
    raw_verify: ParsedPublicKey,
}

fn cases() -> Vec<Case> {
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let es = fapi_awslc::Es256SigningKey::from_pkcs8_der(P256_PK8).expect("key");
    let es_raw = aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        P256_PK8,
    )
    .expect("key");
    let ps = fapi_awslc::Ps256SigningKey::from_pkcs8_der(RSA_PK8).expect("key");
    let ps_raw = aws_lc_rs::rsa::KeyPair::from_pkcs8(RSA_PK8).expect("key");
    let es_pub = es.public_key().expect("pub");
    let ps_pub = ps.public_key().expect("pub");
    let (PublicKey::P256 { x, y }, PublicKey::Rsa(rsa)) = (&es_pub, &ps_pub) else {
        unreachable!("key types")
    };
    let mut point = vec![4u8];
    point.extend_from_slice(x);
    point.extend_from_slice(y);
    let rsa_parsed = aws_lc_rs::signature::RsaPublicKeyComponents {
        n: rsa.n(),
        e: rsa.e(),
    }
    .to_parsed_public_key(&RSA_PSS_2048_8192_SHA256)
    .expect("key");
    let rng2 = rng.clone();
    vec![
        Case {
            name: "ES256",
            verifier: fapi_awslc::VerifyingKey::from_public_key(&es_pub).expect("key"),
            fapi: Box::new(es),
            raw_sign: Box::new(move |m| es_raw.sign(&rng, m).expect("sign").as_ref().to_vec()),
            raw_verify: ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point).expect("key"),
        },
        Case {
            name: "PS256",
            verifier: fapi_awslc::VerifyingKey::from_public_key(&ps_pub).expect("key"),
            fapi: Box::new(ps),
            raw_sign: Box::new(move |m| {
                let mut sig = vec![0u8; ps_raw.public_modulus_len()];
                ps_raw
                    .sign(&aws_lc_rs::signature::RSA_PSS_SHA256, &rng2, m, &mut sig)
                    .expect("sign");
                sig
            }),
            raw_verify: rsa_parsed,
        },
    ]
}

/// Splits a compact JWS into its signing input and decoded signature.
fn split(compact: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let dot = compact.iter().rposition(|c| *c == b'.').expect("dot");
    let mut sig = vec![0u8; 1024];
    let n = fapi_core::b64::decode(&compact[dot + 1..], &mut sig)
        .expect("b64")
        .len();
    sig.truncate(n);
    (compact[..dot].to_vec(), sig)
}

fn id_token_params(now: u64) -> IdTokenParams<'static> {
    let mut p = IdTokenParams::new(ISS, SUB, CID, now);
    p.nonce = Some(NONCE);
    p.auth_time = Some(now - 10);
    p.access_token = Some(ACCESS_TOKEN.as_bytes());
    p
}

fn issue_id_token(signer: &dyn Signer, now: u64, out: &mut [u8]) -> usize {
    id_token::issue(&PROFILE, &id_token_params(now), signer, out).expect("issue")
}

fn issue_jarm(signer: &dyn Signer, now: u64, out: &mut [u8]) -> usize {
    let r = Response::Code {
        code: CODE,
        state: Some(STATE),
    };
    jarm::issue(&PROFILE, ISS, CID, &r, now, 300, signer, out).expect("issue")
}

fn id_token_expectations() -> id_token::Expectations<'static> {
    id_token::Expectations::new(&PROFILE, ISS, CID)
        .expect("expectations")
        .with_nonce(NONCE)
        .with_access_token(ACCESS_TOKEN.as_bytes())
}

/// Rounds of short blocks (about 0.5 ms, at least 3 calls): on a loaded
/// machine such a block is seldom cut by the scheduler.
const ROUNDS: usize = 101;
const BLOCK: u32 = 200;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Times `raw` and `fapi` in alternating blocks, `ROUNDS` rounds, and
/// prints the medians and the median of the per-round ratios.
fn paired(op: &str, raw: &mut dyn FnMut(), fapi: &mut dyn FnMut()) {
    let once = std::time::Instant::now();
    fapi();
    let per_call = once.elapsed().as_secs_f64();
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "clamped to 3..=BLOCK"
    )]
    let block = ((0.0005 / per_call) as u32).clamp(3, BLOCK);
    let time = |f: &mut dyn FnMut()| {
        let start = std::time::Instant::now();
        for _ in 0..block {
            f();
        }
        start.elapsed().as_secs_f64() * 1e6 / f64::from(block)
    };
    for _ in 0..3 {
        let _ = (time(raw), time(fapi));
    }
    let (mut r, mut f, mut ratio) = (vec![], vec![], vec![]);
    for _ in 0..ROUNDS {
        let a = time(raw);
        let b = time(fapi);
        r.push(a);
        f.push(b);
        ratio.push(b / a);
    }
    println!(
        "paired-oidc {op}: raw {:.2} µs, fapi {:.2} µs, fapi/raw {:.3}",
        median(&mut r),
        median(&mut f),
        median(&mut ratio)
    );
}

/// The encrypted-ID-token fixture: an issuer with the client registered
/// for `RSA-OAEP` + `A256GCM`, one without (it signs only), the client
/// with its decryption key, and the issuer's published keys.
struct Encrypted {
    issuer: fapi::Issuer,
    plain: fapi::Issuer,
    client: fapi::Client,
    keys: fapi::IssuerKeys,
    token: fapi::IdToken,
}

fn encrypted() -> Encrypted {
    let enc = fapi::DecryptionKey::from_pkcs8_der(RSA_PK8)
        .expect("key")
        .with_key_id("rp-enc-1")
        .expect("kid");
    let signing = || fapi::SigningKey::from_pkcs8_der(P256_PK8).expect("key");
    let client = fapi::Client::builder(Profile::FAPI2, CID, ISS)
        .signing_key(signing())
        .dpop_key(signing())
        .decryption_key(enc, &[EncryptedResponse::IdToken])
        .build()
        .expect("client");
    let mut reg = ClientRegistration::private_key_jwt(
        CID,
        "Example Money",
        &client.jwks_json().expect("jwks"),
    );
    reg.id_token_encrypted_response_alg = Some("RSA-OAEP".into());
    reg.id_token_encrypted_response_enc = Some("A256GCM".into());
    let keys = fapi::KeySet::new(signing());
    let issuer = fapi::Issuer::builder(Profile::FAPI2, ISS, keys.clone())
        .client(reg)
        .build()
        .expect("issuer");
    let plain = fapi::Issuer::builder(Profile::FAPI2, ISS, keys)
        .build()
        .expect("issuer");
    let keys = fapi::IssuerKeys::from_jwks_json(&issuer.jwks_json().expect("jwks")).expect("keys");
    let token = fapi::IdToken::new(SUB, CID)
        .auth_time(now())
        .access_token(ACCESS_TOKEN);
    Encrypted {
        issuer,
        plain,
        client,
        keys,
        token,
    }
}

/// Raw RSA-OAEP (SHA-1, the JWE `RSA-OAEP`) on the same 2048-bit key.
fn raw_oaep() -> (OaepPublicEncryptingKey, OaepPrivateDecryptingKey) {
    let private = PrivateDecryptingKey::from_pkcs8(RSA_PK8).expect("key");
    let public = OaepPublicEncryptingKey::new(private.public_key()).expect("key");
    let private = OaepPrivateDecryptingKey::new(private).expect("key");
    (public, private)
}

fn paired_report() {
    let now = now();
    let clock = FixedClock(now);
    let mut out = vec![0u8; 8192];
    let mut buf = vec![0u8; 8192];
    for case in cases() {
        let signer = &*case.fapi;
        for (what, issue) in [
            (
                "ID token",
                issue_id_token as fn(&dyn Signer, u64, &mut [u8]) -> usize,
            ),
            ("JARM", issue_jarm),
        ] {
            let n = issue(signer, now, &mut out);
            let token = out[..n].to_vec();
            let (input, sig) = split(&token);
            paired(
                &format!("{what} issue {}", case.name),
                &mut || {
                    let _ = black_box((case.raw_sign)(black_box(&input)));
                },
                &mut || {
                    let _ = black_box(issue(signer, now, &mut out));
                },
            );
            let jarm_expect = jarm::Expectations::new(&PROFILE, ISS, CID).expect("expect");
            let id_expect = id_token_expectations();
            paired(
                &format!("{what} verify {}", case.name),
                &mut || {
                    case.raw_verify
                        .verify_sig(black_box(&input), black_box(&sig))
                        .expect("verify");
                },
                &mut || {
                    if what == "JARM" {
                        let _ = black_box(
                            jarm::verify(&token, &jarm_expect, &case.verifier, &clock, &mut buf)
                                .expect("verify"),
                        );
                    } else {
                        let _ = black_box(
                            id_token::verify(&token, &id_expect, &case.verifier, &clock, &mut buf)
                                .expect("verify"),
                        );
                    }
                },
            );
        }
    }

    // Encrypted ID tokens through the crate.
    let e = encrypted();
    let (oaep_pub, oaep_priv) = raw_oaep();
    let es_raw = aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        P256_PK8,
    )
    .expect("key");
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let jws = e.plain.id_token(&e.token).expect("issue");
    let (input, sig) = split(jws.as_bytes());
    let es = cases().swap_remove(0).raw_verify;
    let cek = [7u8; 32];
    let mut wrapped = vec![0u8; oaep_pub.ciphertext_size()];
    let wrapped_len = oaep_pub
        .encrypt(&OAEP_SHA1_MGF1SHA1, &cek, &mut wrapped, None)
        .expect("encrypt")
        .len();
    wrapped.truncate(wrapped_len);
    let mut ct = vec![0u8; oaep_pub.ciphertext_size()];
    let mut pt = vec![0u8; oaep_priv.min_output_size()];
    paired(
        "encrypted ID token issue ES256 + RSA-OAEP/A256GCM",
        &mut || {
            let _ = black_box(es_raw.sign(&rng, black_box(&input)).expect("sign"));
            let _ = black_box(
                oaep_pub
                    .encrypt(&OAEP_SHA1_MGF1SHA1, black_box(&cek), &mut ct, None)
                    .expect("encrypt")
                    .len(),
            );
        },
        &mut || {
            let _ = black_box(e.issuer.id_token(&e.token).expect("issue"));
        },
    );
    let jwe = e.issuer.id_token(&e.token).expect("issue");
    paired(
        "encrypted ID token decrypt and verify ES256 + RSA-OAEP/A256GCM",
        &mut || {
            let _ = black_box(
                oaep_priv
                    .decrypt(&OAEP_SHA1_MGF1SHA1, black_box(&wrapped), &mut pt, None)
                    .expect("decrypt")
                    .len(),
            );
            es.verify_sig(black_box(&input), black_box(&sig))
                .expect("verify");
        },
        &mut || {
            let _ = black_box(
                e.client
                    .verify_id_token(&e.keys, &jwe, None, Some(ACCESS_TOKEN))
                    .expect("verify"),
            );
        },
    );
}

fn signed(c: &mut Criterion) {
    let now = now();
    let clock = FixedClock(now);
    let mut out = vec![0u8; 8192];
    let mut buf = vec![0u8; 8192];
    for case in cases() {
        let signer = &*case.fapi;
        let n = issue_id_token(signer, now, &mut out);
        let id = out[..n].to_vec();
        let n = issue_jarm(signer, now, &mut out);
        let jr = out[..n].to_vec();
        let id_expect = id_token_expectations();
        let jarm_expect = jarm::Expectations::new(&PROFILE, ISS, CID).expect("expect");

        let mut g = c.benchmark_group(format!("oidc_id_token_{}", case.name));
        let (input, sig) = split(&id);
        let _ = g.bench_function("issue_raw_awslc", |b| {
            b.iter(|| black_box((case.raw_sign)(black_box(&input))))
        });
        let _ = g.bench_function("issue_fapi", |b| {
            b.iter(|| black_box(issue_id_token(signer, now, &mut out)))
        });
        let _ = g.bench_function("verify_raw_awslc", |b| {
            b.iter(|| {
                case.raw_verify
                    .verify_sig(black_box(&input), black_box(&sig))
            })
        });
        let _ = g.bench_function("verify_fapi", |b| {
            b.iter(|| {
                black_box(
                    id_token::verify(&id, &id_expect, &case.verifier, &clock, &mut buf)
                        .expect("verify")
                        .expires_at,
                )
            })
        });
        g.finish();

        let mut g = c.benchmark_group(format!("oidc_jarm_{}", case.name));
        let (input, sig) = split(&jr);
        let _ = g.bench_function("issue_raw_awslc", |b| {
            b.iter(|| black_box((case.raw_sign)(black_box(&input))))
        });
        let _ = g.bench_function("issue_fapi", |b| {
            b.iter(|| black_box(issue_jarm(signer, now, &mut out)))
        });
        let _ = g.bench_function("verify_raw_awslc", |b| {
            b.iter(|| {
                case.raw_verify
                    .verify_sig(black_box(&input), black_box(&sig))
            })
        });
        let _ = g.bench_function("verify_fapi", |b| {
            b.iter(|| {
                let r = jarm::verify(&jr, &jarm_expect, &case.verifier, &clock, &mut buf)
                    .expect("verify");
                black_box(matches!(r, Response::Code { .. }))
            })
        });
        g.finish();
    }
}

fn encrypted_id_token(c: &mut Criterion) {
    let e = encrypted();
    let (oaep_pub, oaep_priv) = raw_oaep();
    let cek = [7u8; 32];
    let mut ct = vec![0u8; oaep_pub.ciphertext_size()];
    let mut pt = vec![0u8; oaep_priv.min_output_size()];
    let mut wrapped = vec![0u8; oaep_pub.ciphertext_size()];
    let n = oaep_pub
        .encrypt(&OAEP_SHA1_MGF1SHA1, &cek, &mut wrapped, None)
        .expect("encrypt")
        .len();
    wrapped.truncate(n);
    let jws = e.plain.id_token(&e.token).expect("issue");
    let jwe = e.issuer.id_token(&e.token).expect("issue");
    let signing_only = fapi::Client::builder(Profile::FAPI2, CID, ISS)
        .dpop_key(fapi::SigningKey::from_pkcs8_der(P256_PK8).expect("key"))
        .build()
        .expect("client");

    let mut g = c.benchmark_group("oidc_encrypted_id_token");
    let _ = g.bench_function("rsa_oaep_encrypt_raw_awslc", |b| {
        b.iter(|| {
            black_box(
                oaep_pub
                    .encrypt(&OAEP_SHA1_MGF1SHA1, black_box(&cek), &mut ct, None)
                    .expect("encrypt")
                    .len(),
            )
        })
    });
    let _ = g.bench_function("rsa_oaep_decrypt_raw_awslc", |b| {
        b.iter(|| {
            black_box(
                oaep_priv
                    .decrypt(&OAEP_SHA1_MGF1SHA1, black_box(&wrapped), &mut pt, None)
                    .expect("decrypt")
                    .len(),
            )
        })
    });
    let _ = g.bench_function("issue_signed_fapi_issuer", |b| {
        b.iter(|| black_box(e.plain.id_token(&e.token).expect("issue")))
    });
    let _ = g.bench_function("issue_encrypted_fapi_issuer", |b| {
        b.iter(|| black_box(e.issuer.id_token(&e.token).expect("issue")))
    });
    let _ = g.bench_function("verify_signed_fapi_client", |b| {
        b.iter(|| {
            black_box(
                signing_only
                    .verify_id_token(&e.keys, &jws, None, Some(ACCESS_TOKEN))
                    .expect("verify"),
            )
        })
    });
    let _ = g.bench_function("decrypt_verify_fapi_client", |b| {
        b.iter(|| {
            black_box(
                e.client
                    .verify_id_token(&e.keys, &jwe, None, Some(ACCESS_TOKEN))
                    .expect("verify"),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, signed, encrypted_id_token);

fn main() {
    if std::env::var_os("FAPI_BENCH_CRITERION_ONLY").is_none() {
        paired_report();
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
