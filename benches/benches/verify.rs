//! Access tokens and DPoP proofs through fapi, the raw primitive and
//! `jsonwebtoken`, in one run.
//!
//! For each op, three contenders do the same job:
//! - fapi on `fapi-awslc` (and on `fapi-rustcrypto` in criterion's figures);
//! - the raw aws-lc primitive over the same signing input, key parsed once
//!   (for DPoP: the key parsed from the proof's point on every call, as a
//!   proof brings its own key);
//! - `jsonwebtoken` on aws-lc the way its documentation shows: keys parsed
//!   once, claims as serde structs, `Validation` with iss, aud and exp.
//!
//! Access tokens are bound to a client certificate (`cnf.x5t#S256`); both
//! fapi and the `jsonwebtoken` path check the binding. DPoP proofs are
//! checked against a replay store holding 100,000 live entries.
//!
//! The paired figures (alternating blocks, median of per-round ratios) are
//! printed first, as `paired-json {..}` lines that `benches/report.py`
//! reads; criterion's absolute figures follow.

use core::hint::black_box;
use std::collections::HashMap;
use std::sync::Mutex;

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ED25519, ParsedPublicKey, RSA_PSS_2048_8192_SHA256,
};
use criterion::{Criterion, criterion_group};
use fapi_core::dpop::{self, DpopConfig, DpopRequest, ProofParams};
use fapi_core::mtls::CertThumbprint;
use fapi_core::profile::Profile;
use fapi_core::store::ReplayCache;
use fapi_core::token::{self, AccessTokenParams, Confirmation, Expectations, Presented};
use fapi_core::{Error, FixedClock, PublicKey, Signer, Verifier};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

const P256_PK8: &[u8] = include_bytes!("../../crates/fapi-conformance/testdata/keys/p256.pk8.der");
const ED25519_PK8: &[u8] =
    include_bytes!("../../crates/fapi-conformance/testdata/keys/ed25519.pk8.der");
const RSA_PK8: &[u8] =
    include_bytes!("../../crates/fapi-conformance/testdata/keys/rsa2048.pk8.der");
const RSA_PK1: &[u8] =
    include_bytes!("../../crates/fapi-conformance/testdata/keys/rsa2048.pk1.der");
const CLIENT_CERT: &[u8] = include_bytes!("../../crates/fapi-core/testdata/client-cert.der");

const ISS: &str = "https://as.bank.example.com";
const AUD: &str = "https://api.bank.example.com/open-banking/v3.1/aisp";
const HTU: &str = "https://as.bank.example.com/token";
/// Live entries in the replay store while DPoP proofs are verified.
const REPLAY_LIVE: usize = 100_000;

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// A replay store on a hash map behind a mutex, through the core's
/// [`ReplayCache`] trait: what a server would run in one process. (The
/// core's `FixedReplayCache` is a linear scan meant for small devices.)
#[derive(Default)]
struct HashReplay {
    map: Mutex<HashMap<Vec<u8>, u64>>,
}

impl HashReplay {
    fn filled(n: usize, expires_at: u64) -> Self {
        let s = Self::default();
        {
            let mut m = s.map.lock().expect("lock");
            for i in 0..n {
                let _ = m.insert(format!("live-{i:08}").into_bytes(), expires_at);
            }
        }
        s
    }

    /// Forgets every id recorded since it was filled (outside the timed
    /// blocks), so the same proofs can be verified again; the live
    /// entries stay.
    fn forget_used(&self) {
        self.map
            .lock()
            .expect("lock")
            .retain(|k, _| k.starts_with(b"live-"));
    }
}

impl ReplayCache for HashReplay {
    fn record_once(&self, id: &[u8], expires_at: u64, now: u64) -> Result<(), Error> {
        let mut m = self.map.lock().map_err(|_| Error::StoreFull)?;
        match m.get_mut(id) {
            Some(e) if *e > now => Err(Error::Replay),
            Some(e) => {
                *e = expires_at;
                Ok(())
            }
            None => {
                let _ = m.insert(id.to_vec(), expires_at);
                Ok(())
            }
        }
    }
}

/// The access token claims, as `jsonwebtoken`'s documentation has them.
#[derive(Serialize, Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    aud: String,
    exp: u64,
    iat: u64,
    jti: String,
    client_id: String,
    scope: String,
    cnf: Cnf,
}

#[derive(Serialize, Deserialize)]
struct Cnf {
    #[serde(rename = "x5t#S256")]
    x5t: String,
}

#[derive(Deserialize)]
struct DpopClaims {
    jti: String,
    htm: String,
    htu: String,
    iat: u64,
}

fn b64(bytes: &[u8]) -> String {
    let mut out = vec![0u8; bytes.len() * 4 / 3 + 4];
    let n = fapi_core::b64::encode_vartime(bytes, &mut out).expect("b64");
    out.truncate(n);
    String::from_utf8(out).expect("ascii")
}

fn token_params(now: u64) -> AccessTokenParams<'static> {
    AccessTokenParams {
        issuer: ISS,
        subject: "c5b1f6f0-2d3a-4b8e-9f61-0d6f7a9e2c41",
        audience: AUD,
        client_id: "s6BhdRkqt3-fapi-client-0001",
        scope: Some("openid accounts payments fundsconfirmations"),
        issued_at: now,
        lifetime: 300,
        confirmation: Some(Confirmation::X5tS256(CertThumbprint::of_der(CLIENT_CERT))),
        consent_id: None,
    }
}

fn jwt_claims(now: u64) -> Claims {
    let p = token_params(now);
    Claims {
        iss: p.issuer.into(),
        sub: p.subject.into(),
        aud: p.audience.into(),
        exp: now + p.lifetime,
        iat: now,
        jti: b64(&[7; 16]),
        client_id: p.client_id.into(),
        scope: p.scope.unwrap_or_default().into(),
        cnf: Cnf {
            x5t: b64(&CertThumbprint::of_der(CLIENT_CERT).0),
        },
    }
}

/// jsonwebtoken's verify of an access token, with the certificate binding
/// checked as fapi checks it.
fn jwt_verify(token: &str, key: &DecodingKey, validation: &Validation) -> Claims {
    let data = jsonwebtoken::decode::<Claims>(token, key, validation).expect("jwt verify");
    let want = b64(&sha2::Sha256::digest(CLIENT_CERT));
    assert!(data.claims.cnf.x5t == want, "binding");
    data.claims
}

/// The raw primitive signing a message.
type RawSign = Box<dyn Fn(&[u8]) -> Vec<u8>>;

/// One algorithm's contenders for access tokens.
struct TokenCase {
    name: &'static str,
    alg: Algorithm,
    fapi: Box<dyn Signer>,
    fapi_rc: Option<Box<dyn Signer>>,
    raw_sign: RawSign,
    raw_verify: ParsedPublicKey,
    jwt_enc: EncodingKey,
    jwt_dec: DecodingKey,
}

fn token_cases() -> Vec<TokenCase> {
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let es = fapi_awslc::Es256SigningKey::from_pkcs8_der(P256_PK8).expect("key");
    let es_raw = aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        P256_PK8,
    )
    .expect("key");
    let ed = fapi_awslc::Ed25519SigningKey::from_pkcs8_der(ED25519_PK8).expect("key");
    let ed_raw = aws_lc_rs::signature::Ed25519KeyPair::from_pkcs8(ED25519_PK8).expect("key");
    let ps = fapi_awslc::Ps256SigningKey::from_pkcs8_der(RSA_PK8).expect("key");
    let ps_raw = aws_lc_rs::rsa::KeyPair::from_pkcs8(RSA_PK8).expect("key");

    let es_pub = es.public_key().expect("pub");
    let ed_pub = ed.public_key().expect("pub");
    let ps_pub = ps.public_key().expect("pub");
    let (PublicKey::P256 { x, y }, PublicKey::Ed25519 { x: ex }, PublicKey::Rsa(rsa)) =
        (&es_pub, &ed_pub, &ps_pub)
    else {
        unreachable!("key types")
    };
    let mut point = vec![4u8];
    point.extend_from_slice(x);
    point.extend_from_slice(y);
    let es_dec = DecodingKey::from_ec_components(&b64(x), &b64(y)).expect("key");
    let ed_dec = DecodingKey::from_ed_components(&b64(ex)).expect("key");
    let ps_dec = DecodingKey::from_rsa_raw_components(rsa.n(), rsa.e());
    let rsa_parsed = aws_lc_rs::signature::RsaPublicKeyComponents {
        n: rsa.n(),
        e: rsa.e(),
    }
    .to_parsed_public_key(&RSA_PSS_2048_8192_SHA256)
    .expect("key");
    let rng2 = rng.clone();
    vec![
        TokenCase {
            name: "ES256",
            alg: Algorithm::ES256,
            raw_sign: Box::new(move |m| es_raw.sign(&rng, m).expect("sign").as_ref().to_vec()),
            raw_verify: ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point).expect("key"),
            fapi: Box::new(es),
            fapi_rc: Some(Box::new(
                fapi_rustcrypto::Es256SigningKey::from_pkcs8_der(P256_PK8).expect("key"),
            )),
            jwt_enc: EncodingKey::from_ec_der(P256_PK8),
            jwt_dec: es_dec,
        },
        TokenCase {
            name: "EdDSA",
            alg: Algorithm::EdDSA,
            raw_sign: Box::new(move |m| ed_raw.sign(m).as_ref().to_vec()),
            raw_verify: ParsedPublicKey::new(&ED25519, ex).expect("key"),
            fapi: Box::new(ed),
            fapi_rc: Some(Box::new(
                fapi_rustcrypto::Ed25519SigningKey::from_pkcs8_der(ED25519_PK8).expect("key"),
            )),
            jwt_enc: EncodingKey::from_ed_der(ED25519_PK8),
            jwt_dec: ed_dec,
        },
        TokenCase {
            name: "PS256",
            alg: Algorithm::PS256,
            raw_sign: Box::new(move |m| {
                let mut sig = vec![0u8; ps_raw.public_modulus_len()];
                ps_raw
                    .sign(&aws_lc_rs::signature::RSA_PSS_SHA256, &rng2, m, &mut sig)
                    .expect("sign");
                sig
            }),
            raw_verify: rsa_parsed,
            fapi: Box::new(ps),
            fapi_rc: None,
            jwt_enc: EncodingKey::from_rsa_der(RSA_PK1),
            jwt_dec: ps_dec,
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

/// One paired measurement's medians, in ns, and its median ratios.
struct Paired {
    op: String,
    raw: f64,
    fapi: f64,
    jwt: f64,
    fapi_raw: f64,
    jwt_fapi: f64,
}

impl Paired {
    fn print(&self) {
        println!(
            "paired-json {{\"op\":\"{}\",\"raw_ns\":{:.0},\"fapi_ns\":{:.0},\"jwt_ns\":{:.0},\"fapi_raw\":{:.4},\"jwt_fapi\":{:.4}}}",
            self.op, self.raw, self.fapi, self.jwt, self.fapi_raw, self.jwt_fapi
        );
    }
}

const ROUNDS: usize = 41;
const BLOCK: u32 = 200;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Times raw, fapi and jsonwebtoken in alternating blocks of up to
/// `BLOCK` calls, `ROUNDS` rounds, so that all three see the same load;
/// `between` runs untimed after each round.
fn paired3(
    op: &str,
    raw: &mut dyn FnMut(),
    fapi: &mut dyn FnMut(),
    jwt: &mut dyn FnMut(),
    between: &mut dyn FnMut(),
) {
    // Blocks of `BLOCK` calls, fewer for slow ops (RSA signing): at least
    // 10 calls and about 4 ms per block.
    let once = std::time::Instant::now();
    fapi();
    let per_call = once.elapsed().as_secs_f64();
    between();
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "clamped to 10..=BLOCK"
    )]
    let block = ((0.004 / per_call) as u32).clamp(10, BLOCK);
    let time = |f: &mut dyn FnMut()| {
        let start = std::time::Instant::now();
        for _ in 0..block {
            f();
        }
        start.elapsed().as_secs_f64() * 1e9 / f64::from(block)
    };
    for _ in 0..3 {
        let _ = (time(raw), time(fapi), time(jwt));
        between();
    }
    let (mut r, mut f, mut j, mut fr, mut jf) = (vec![], vec![], vec![], vec![], vec![]);
    for _ in 0..ROUNDS {
        let a = time(raw);
        let b = time(fapi);
        let c = time(jwt);
        between();
        r.push(a);
        f.push(b);
        j.push(c);
        fr.push(b / a);
        jf.push(c / b);
    }
    let p = Paired {
        op: op.to_owned(),
        raw: median(&mut r),
        fapi: median(&mut f),
        jwt: median(&mut j),
        fapi_raw: median(&mut fr),
        jwt_fapi: median(&mut jf),
    };
    p.print();
}

fn access_tokens(c: &mut Criterion) {
    let now = now();
    let profile = Profile::FAPI2;
    let rng = fapi_awslc::SystemRandom::new();
    let expect = Expectations::new(ISS, AUD);
    let clock = FixedClock(now);
    let presented = Presented::certificate(CLIENT_CERT);
    let claims = jwt_claims(now);
    for case in token_cases() {
        let mut out = vec![0u8; 4096];
        let n =
            token::issue(&profile, &token_params(now), &*case.fapi, &rng, &mut out).expect("issue");
        let tok = out[..n].to_vec();
        let (input, sig) = split(&tok);
        let verifier =
            fapi_awslc::VerifyingKey::from_public_key(&case.fapi.public_key().expect("pub"))
                .expect("key");
        let mut header = Header::new(case.alg);
        header.typ = Some("at+jwt".into());
        header.kid = Some(case.fapi.key_id().into());
        let mut validation = Validation::new(case.alg);
        validation.set_issuer(&[ISS]);
        validation.set_audience(&[AUD]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let jwt_tok = jsonwebtoken::encode(&header, &claims, &case.jwt_enc).expect("jwt encode");
        let mut buf = vec![0u8; 4096];

        paired3(
            &format!("access-token issue {}", case.name),
            &mut || {
                let _ = black_box((case.raw_sign)(black_box(&input)));
            },
            &mut || {
                let _ = black_box(
                    token::issue(&profile, &token_params(now), &*case.fapi, &rng, &mut out)
                        .expect("issue"),
                );
            },
            &mut || {
                let _ = black_box(
                    jsonwebtoken::encode(&header, black_box(&claims), &case.jwt_enc).expect("jwt"),
                );
            },
            &mut || {},
        );
        paired3(
            &format!("access-token verify {}", case.name),
            &mut || {
                case.raw_verify
                    .verify_sig(black_box(&input), &sig)
                    .expect("raw verify");
            },
            &mut || {
                let cl = token::verify(
                    black_box(&tok),
                    &profile,
                    &expect,
                    &verifier,
                    &clock,
                    &presented,
                    &mut buf,
                )
                .expect("verify");
                let _ = black_box(cl.exp);
            },
            &mut || {
                let _ = black_box(jwt_verify(black_box(&jwt_tok), &case.jwt_dec, &validation));
            },
            &mut || {},
        );

        let mut g = c.benchmark_group(format!("access_token_{}", case.name));
        if case.alg == Algorithm::PS256 {
            // RSA signing takes milliseconds: fewer samples keep the run short.
            let _ = g.sample_size(10);
        }
        let _ = g.bench_function("issue_raw_awslc", |b| {
            b.iter(|| black_box((case.raw_sign)(black_box(&input))))
        });
        let _ = g.bench_function("issue_fapi_awslc", |b| {
            b.iter(|| token::issue(&profile, &token_params(now), &*case.fapi, &rng, &mut out))
        });
        if let Some(rc) = &case.fapi_rc {
            let _ = g.bench_function("issue_fapi_rustcrypto", |b| {
                b.iter(|| token::issue(&profile, &token_params(now), &**rc, &rng, &mut out))
            });
        }
        let _ = g.bench_function("issue_jsonwebtoken", |b| {
            b.iter(|| jsonwebtoken::encode(&header, black_box(&claims), &case.jwt_enc))
        });
        let _ = g.bench_function("verify_raw_awslc", |b| {
            b.iter(|| case.raw_verify.verify_sig(black_box(&input), &sig))
        });
        let _ = g.bench_function("verify_fapi_awslc", |b| {
            b.iter(|| {
                token::verify(
                    &tok, &profile, &expect, &verifier, &clock, &presented, &mut buf,
                )
                .map(|c| c.exp)
            })
        });
        if let Some(rc) = &case.fapi_rc {
            let pk = rc.public_key().expect("pub");
            let rc_verifier = fapi_core::crypto::KeyVerifier::new(&fapi_rustcrypto::RUSTCRYPTO, pk);
            let _ = g.bench_function("verify_fapi_rustcrypto", |b| {
                b.iter(|| {
                    token::verify(
                        &tok,
                        &profile,
                        &expect,
                        &rc_verifier,
                        &clock,
                        &presented,
                        &mut buf,
                    )
                    .map(|c| c.exp)
                })
            });
        }
        let _ = g.bench_function("verify_jsonwebtoken", |b| {
            b.iter(|| jwt_verify(black_box(&jwt_tok), &case.jwt_dec, &validation).exp)
        });
        g.finish();
    }
}

/// A verifier that does no cryptography: what `token::verify` costs by
/// itself (JOSE header, base64url, claims, checks, certificate binding).
struct NullVerifier(fapi_core::Alg);

impl Verifier for NullVerifier {
    fn alg(&self) -> fapi_core::Alg {
        self.0
    }
    fn verify(&self, _: &[u8], _: &[u8]) -> Result<(), Error> {
        Ok(())
    }
}

fn overhead(c: &mut Criterion) {
    let now = now();
    let profile = Profile::FAPI2;
    let rng = fapi_awslc::SystemRandom::new();
    let key = fapi_awslc::Ed25519SigningKey::from_pkcs8_der(ED25519_PK8).expect("key");
    let mut out = vec![0u8; 4096];
    let n = token::issue(&profile, &token_params(now), &key, &rng, &mut out).expect("issue");
    let tok = out[..n].to_vec();
    let expect = Expectations::new(ISS, AUD);
    let presented = Presented::certificate(CLIENT_CERT);
    let null = NullVerifier(fapi_core::Alg::EdDsa);
    let mut buf = vec![0u8; 4096];
    let _ = c.bench_function(&format!("overhead/token_verify_null_verifier_{n}B"), |b| {
        b.iter(|| {
            token::verify(
                black_box(&tok),
                &profile,
                &expect,
                &null,
                &FixedClock(now),
                &presented,
                &mut buf,
            )
            .map(|c| c.exp)
        })
    });
}

/// Pre-signed DPoP proofs, each with its own `jti`.
fn proofs(signer: &dyn Signer, count: usize, iat: u64) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| {
            let jti = format!("proof-{i:08}-e1f2a9d7b60");
            let params = ProofParams {
                htm: "POST",
                htu: HTU,
                iat,
                jti: &jti,
                access_token: None,
                nonce: None,
            };
            let mut out = vec![0u8; 2048];
            let n = dpop::sign_proof(signer, &params, &mut out).expect("proof");
            out.truncate(n);
            out
        })
        .collect()
}

fn dpop_proofs(c: &mut Criterion) {
    let now = now();
    let profile = Profile::FAPI2;
    let config = DpopConfig::new(&profile);
    let clock = FixedClock(now);
    let request = DpopRequest {
        method: "POST",
        uri: HTU,
        nonce_binding: None,
    };
    let es = fapi_awslc::Es256SigningKey::from_pkcs8_der(P256_PK8).expect("key");
    let ed = fapi_awslc::Ed25519SigningKey::from_pkcs8_der(ED25519_PK8).expect("key");
    let cases: [(&str, &dyn Signer, Algorithm); 2] = [
        ("ES256", &es, Algorithm::ES256),
        ("EdDSA", &ed, Algorithm::EdDSA),
    ];
    for (name, signer, alg) in cases {
        let pool = proofs(signer, BLOCK as usize, now);
        let split_pool: Vec<_> = pool.iter().map(|p| split(p)).collect();
        let pk = signer.public_key().expect("pub");
        let point: Vec<u8> = match &pk {
            PublicKey::P256 { x, y } => [&[4u8][..], x, y].concat(),
            PublicKey::Ed25519 { x } => x.to_vec(),
            PublicKey::Rsa(_) => unreachable!("no RSA proofs"),
        };
        let raw_alg: &'static dyn aws_lc_rs::signature::VerificationAlgorithm = match alg {
            Algorithm::ES256 => &ECDSA_P256_SHA256_FIXED,
            _ => &ED25519,
        };
        let store_fapi = HashReplay::filled(REPLAY_LIVE, now + 3600);
        let store_jwt = HashReplay::filled(REPLAY_LIVE, now + 3600);
        let mut validation = Validation::new(alg);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_aud = false;

        let (mut i, mut j, mut k) = (0usize, 0usize, 0usize);
        let mut raw = || {
            let (input, sig) = &split_pool[i % split_pool.len()];
            i += 1;
            // The proof brings its key: parsed on every call.
            let key = ParsedPublicKey::new(raw_alg, &point).expect("key");
            key.verify_sig(black_box(input), sig).expect("raw verify");
        };
        let mut fapi = || {
            let p = dpop::verify_proof(
                black_box(&pool[j % pool.len()]),
                &request,
                &config,
                &fapi_awslc::AWSLC,
                &clock,
                &store_fapi,
            )
            .expect("dpop");
            j += 1;
            let _ = black_box(p);
        };
        let mut jwt = || {
            let proof = core::str::from_utf8(&pool[k % pool.len()]).expect("utf8");
            k += 1;
            let header = jsonwebtoken::decode_header(proof).expect("header");
            assert!(header.typ.as_deref() == Some("dpop+jwt"), "typ");
            let jwk = header.jwk.expect("jwk");
            let key = DecodingKey::from_jwk(&jwk).expect("key");
            let data = jsonwebtoken::decode::<DpopClaims>(proof, &key, &validation).expect("jwt");
            let c = data.claims;
            assert!(
                c.htm == "POST" && c.htu == HTU && c.iat + 300 > now,
                "claims"
            );
            let jkt = jwk.thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256);
            store_jwt
                .record_once(c.jti.as_bytes(), now + 300, now)
                .expect("replay");
            let _ = black_box(jkt);
        };
        let mut between = || {
            store_fapi.forget_used();
            store_jwt.forget_used();
        };
        paired3(
            &format!("DPoP proof verify {name}"),
            &mut raw,
            &mut fapi,
            &mut jwt,
            &mut between,
        );
        let mut g = c.benchmark_group(format!("dpop_{name}"));
        let _ = g.bench_function("verify_raw_awslc", |b| b.iter(&mut raw));
        g.finish();
    }
}

criterion_group!(benches, overhead, access_tokens, dpop_proofs);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
