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

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ED25519, ParsedPublicKey, RSA_PSS_2048_8192_SHA256,
};
use core::hint::black_box;
use criterion::{Criterion, criterion_group};
use fapi::memory::MemoryReplayCache;
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

/// The `fapi` crate's sharded in-memory replay cache
/// (`fapi::memory::MemoryReplayCache`, through the core's `ReplayCache`
/// trait), holding `n` live entries before the first timed call.
fn filled_replay(n: usize, expires_at: u64, now: u64) -> MemoryReplayCache {
    let s = MemoryReplayCache::new();
    for i in 0..n {
        s.record_once_now(format!("live-{i:08}").as_bytes(), expires_at, now)
            .expect("fresh id");
    }
    s
}

/// Proofs (or assertions) needed so that no timed call sees one twice:
/// every block of the warm-up and the measured rounds, and one more.
const POOL: usize = (ROUNDS + 3) * BLOCK as usize + 1;

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

/// One paired measurement's medians, in ns, and its median ratios
/// (`jwt` is `None` where jsonwebtoken has no such operation).
struct Paired {
    op: String,
    raw: f64,
    fapi: f64,
    jwt: Option<f64>,
    fapi_raw: f64,
    jwt_fapi: Option<f64>,
}

impl Paired {
    fn print(&self) {
        let opt = |v: Option<f64>, digits: usize| {
            v.map_or_else(|| "null".to_owned(), |x| format!("{x:.digits$}"))
        };
        println!(
            "paired-json {{\"op\":\"{}\",\"raw_ns\":{:.0},\"fapi_ns\":{:.0},\"jwt_ns\":{},\"fapi_raw\":{:.4},\"jwt_fapi\":{}}}",
            self.op,
            self.raw,
            self.fapi,
            opt(self.jwt, 0),
            self.fapi_raw,
            opt(self.jwt_fapi, 4)
        );
    }
}

/// Rounds of short blocks: on a loaded machine a block of about 0.5 ms is
/// seldom cut by the scheduler (a time slice is a few ms), so the median
/// of the per-round ratios is not taken over preempted blocks.
const ROUNDS: usize = 161;
const BLOCK: u32 = 200;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Times raw, fapi and jsonwebtoken in alternating blocks of up to
/// `BLOCK` calls, `ROUNDS` rounds, so that all three see the same load.
fn paired3(op: &str, raw: &mut dyn FnMut(), fapi: &mut dyn FnMut(), jwt: &mut dyn FnMut()) {
    paired(op, raw, fapi, Some(jwt));
}

/// [`paired3`] for an operation jsonwebtoken does not have.
fn paired2(op: &str, raw: &mut dyn FnMut(), fapi: &mut dyn FnMut()) {
    paired(op, raw, fapi, None);
}

fn paired(
    op: &str,
    raw: &mut dyn FnMut(),
    fapi: &mut dyn FnMut(),
    mut jwt: Option<&mut dyn FnMut()>,
) {
    if skip_paired() {
        return;
    }
    // Blocks of `BLOCK` calls, fewer for slow ops (RSA signing): at least
    // 3 calls and about 0.5 ms per block.
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
        start.elapsed().as_secs_f64() * 1e9 / f64::from(block)
    };
    for _ in 0..3 {
        let _ = (time(raw), time(fapi), jwt.as_mut().map(|j| time(*j)));
    }
    let (mut r, mut f, mut j, mut fr, mut jf) = (vec![], vec![], vec![], vec![], vec![]);
    for _ in 0..ROUNDS {
        let a = time(raw);
        let b = time(fapi);
        r.push(a);
        f.push(b);
        fr.push(b / a);
        if let Some(jwt) = jwt.as_mut() {
            let c = time(*jwt);
            j.push(c);
            jf.push(c / b);
        }
    }
    let has_jwt = !j.is_empty();
    let p = Paired {
        op: op.to_owned(),
        raw: median(&mut r),
        fapi: median(&mut f),
        jwt: has_jwt.then(|| median(&mut j)),
        fapi_raw: median(&mut fr),
        jwt_fapi: has_jwt.then(|| median(&mut jf)),
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
        // Every timed call gets a proof of its own (a fresh `jti`), so no
        // store has to forget anything between rounds.
        let pool = proofs(signer, POOL, now);
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
        let store_fapi = filled_replay(REPLAY_LIVE, now + 3600, now);
        let store_jwt = filled_replay(REPLAY_LIVE, now + 3600, now);
        let mut validation = Validation::new(alg);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_aud = false;

        // The proof brings its key, but a client proves with one key for
        // many requests: parsed once, as fapi-awslc's key cache keeps it.
        let raw_key = ParsedPublicKey::new(raw_alg, &point).expect("key");
        let (mut i, mut j, mut k) = (0usize, 0usize, 0usize);
        let mut raw = || {
            let (input, sig) = &split_pool[i % split_pool.len()];
            i += 1;
            raw_key
                .verify_sig(black_box(input), sig)
                .expect("raw verify");
        };
        let mut fapi = || {
            let p = dpop::verify_proof(
                black_box(&pool[j]),
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
            let proof = core::str::from_utf8(&pool[k]).expect("utf8");
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
        paired3(
            &format!("DPoP proof verify {name}"),
            &mut raw,
            &mut fapi,
            &mut jwt,
        );
        let mut g = c.benchmark_group(format!("dpop_{name}"));
        let _ = g.bench_function("verify_raw_awslc", |b| b.iter(&mut raw));
        g.finish();
    }
}

const CLIENT_ID: &str = "s6BhdRkqt3-fapi-client-0001";
const TOKEN_EP: &str = "https://as.bank.example.com/token";
const REDIRECT: &str = "https://client.example.org/cb";
const PKCE_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// A client assertion's claims, as jsonwebtoken reads them.
#[derive(Serialize, Deserialize)]
struct AssertionClaims {
    iss: String,
    sub: String,
    aud: String,
    jti: String,
    exp: u64,
    iat: u64,
}

/// `private_key_jwt` (RFC 7523): the client's key from its registered
/// JWKS, selected by `kid` on every call, the claims, the `jti` replay
/// check on a store of 100,000 live entries.
fn client_assertions(c: &mut Criterion) {
    let now = now();
    let profile = Profile::FAPI2;
    let clock = FixedClock(now);
    let key = fapi_awslc::Es256SigningKey::from_pkcs8_der(P256_PK8).expect("key");
    let pk = key.public_key().expect("pub");
    let kid = key.key_id().to_owned();
    let mut jwks_out = vec![0u8; 4096];
    let n = fapi_core::jwk::write_jwks(
        &[fapi_core::jwk::PublicJwk::new(pk.clone(), Some(&kid))],
        &mut jwks_out,
    )
    .expect("jwks");
    jwks_out.truncate(n);
    let jwks = fapi_core::jwk::Jwks::from_json(&jwks_out).expect("jwks");
    let jwt_jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_slice(&jwks_out).expect("jwks");
    let endpoints = [TOKEN_EP];
    let config = fapi_core::assertion::AssertionConfig::new(&profile, ISS)
        .with_endpoint_audiences(&endpoints);
    let pool: Vec<Vec<u8>> = (0..POOL)
        .map(|i| {
            let claims = AssertionClaims {
                iss: CLIENT_ID.into(),
                sub: CLIENT_ID.into(),
                aud: ISS.into(),
                jti: format!("assertion-{i:08}-7f3c9a"),
                exp: now + 60,
                iat: now,
            };
            let payload = serde_json::to_vec(&claims).expect("json");
            let header = fapi_core::jws::HeaderParams {
                typ: None,
                kid: Some(&kid),
                jwk: None,
            };
            let mut out = vec![0u8; 2048];
            let n = fapi_core::jws::sign(&key, &header, &payload, &mut out).expect("sign");
            out.truncate(n);
            out
        })
        .collect();
    let split_pool: Vec<_> = pool.iter().map(|p| split(p)).collect();
    let PublicKey::P256 { x, y } = &pk else {
        unreachable!("P-256")
    };
    let point = [&[4u8][..], x, y].concat();
    let store_fapi = filled_replay(REPLAY_LIVE, now + 3600, now);
    let store_jwt = filled_replay(REPLAY_LIVE, now + 3600, now);
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_issuer(&[CLIENT_ID]);
    validation.set_audience(&[ISS]);
    validation.sub = Some(CLIENT_ID.into());
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);

    // The client's registered key: parsed once, as fapi-awslc's key
    // cache keeps it.
    let raw_key = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point).expect("key");
    let (mut i, mut j, mut k) = (0usize, 0usize, 0usize);
    let mut raw = || {
        let (input, sig) = &split_pool[i % split_pool.len()];
        i += 1;
        raw_key
            .verify_sig(black_box(input), sig)
            .expect("raw verify");
    };
    let mut fapi = || {
        let v = fapi_core::assertion::verify_assertion(
            black_box(&pool[j]),
            CLIENT_ID,
            &jwks,
            &config,
            &fapi_awslc::AWSLC,
            &clock,
            &store_fapi,
        )
        .expect("assertion");
        j += 1;
        let _ = black_box(v);
    };
    let mut jwt = || {
        let a = core::str::from_utf8(&pool[k]).expect("utf8");
        k += 1;
        let header = jsonwebtoken::decode_header(a).expect("header");
        let jwk = jwt_jwks
            .find(header.kid.as_deref().expect("kid"))
            .expect("key");
        let key = DecodingKey::from_jwk(jwk).expect("key");
        let data = jsonwebtoken::decode::<AssertionClaims>(a, &key, &validation).expect("jwt");
        store_jwt
            .record_once(data.claims.jti.as_bytes(), data.claims.exp, now)
            .expect("replay");
        let _ = black_box(data.claims.exp);
    };
    paired3(
        "client assertion verify ES256",
        &mut raw,
        &mut fapi,
        &mut jwt,
    );
    let mut g = c.benchmark_group("client_assertion_ES256");
    let _ = g.bench_function("verify_raw_awslc", |b| b.iter(&mut raw));
    g.finish();
}

/// PKCE S256 (RFC 7636 §4.6), the RFC 7638 thumbprint of a JWK, and an
/// authorization code issued and redeemed through the `fapi` crate's
/// in-memory store.
fn small_ops(c: &mut Criterion) {
    // PKCE: fapi against SHA-256 and base64url by hand (jsonwebtoken has
    // no PKCE).
    let challenge = fapi_core::pkce::Challenge::s256(PKCE_VERIFIER).expect("challenge");
    let challenge = challenge.as_str().to_owned();
    let mut pkce_raw = || {
        let d = sha2::Sha256::digest(black_box(PKCE_VERIFIER).as_bytes());
        let mut enc = [0u8; 43];
        let n = fapi_core::b64::encode_vartime(&d, &mut enc).expect("b64");
        assert!(&enc[..n] == challenge.as_bytes(), "pkce");
    };
    let mut pkce_fapi = || {
        fapi_core::pkce::verify(black_box(PKCE_VERIFIER), &challenge).expect("pkce");
    };
    paired2("PKCE S256 verify", &mut pkce_raw, &mut pkce_fapi);

    // RFC 7638 thumbprint of a P-256 public JWK as it arrives (JSON, with
    // `kid` and `alg`): fapi against jsonwebtoken (parse, then its
    // `thumbprint`), and against SHA-256 of the canonical members alone.
    let key = fapi_awslc::Es256SigningKey::from_pkcs8_der(P256_PK8).expect("key");
    let PublicKey::P256 { x, y } = key.public_key().expect("pub") else {
        unreachable!("P-256")
    };
    let jwk_json = format!(
        r#"{{"kty":"EC","crv":"P-256","x":"{}","y":"{}","kid":"{}","alg":"ES256","use":"sig"}}"#,
        b64(&x),
        b64(&y),
        key.key_id()
    );
    let canonical = format!(
        r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
        b64(&x),
        b64(&y)
    );
    let mut tp_raw = || {
        let _ = black_box(sha2::Sha256::digest(black_box(canonical.as_bytes())));
    };
    let mut tp_fapi = || {
        let t = fapi_core::Thumbprint::of_jwk(black_box(jwk_json.as_bytes())).expect("jkt");
        let _ = black_box(t.to_b64());
    };
    let mut tp_jwt = || {
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_str(black_box(&jwk_json)).expect("jwk");
        let _ = black_box(jwk.thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256));
    };
    paired3(
        "RFC 7638 thumbprint",
        &mut tp_raw,
        &mut tp_fapi,
        &mut tp_jwt,
    );

    // An authorization code: issued for a consent (from a pushed request)
    // into `fapi::memory::MemoryStore`, then redeemed with PKCE. Raw: the
    // primitives underneath (32 random bytes from aws-lc, SHA-256 of the
    // code as its store key, the PKCE digest), no store.
    let now = now();
    let profile = Profile::FAPI2;
    let rng = fapi_awslc::SystemRandom::new();
    let request = fapi_core::authorize::AuthorizationRequest {
        client_id: CLIENT_ID,
        response_type: "code",
        redirect_uri: Some(REDIRECT),
        scope: "openid accounts",
        state: Some("af0ifjsldkj"),
        code_challenge: Some(&challenge),
        code_challenge_method: Some("S256"),
        dpop_jkt: None,
        consent_id: Some("urn:bank:aac:1"),
        nonce: None,
        response_mode: None,
    };
    let params =
        fapi_core::authorize::AuthorizationParams::from_request(&profile, &request).expect("req");
    let pushed = fapi::memory::MemoryStore::new();
    let uri = fapi_core::par::push(&profile, &pushed, &rng, params, None, 60, now).expect("par");
    let params = fapi_core::par::take(&pushed, CLIENT_ID, uri.as_str(), now).expect("take");
    let consent = fapi_core::authorize::ConsentPrompt::new("Example Money", params)
        .expect("prompt")
        .approve("user-42")
        .expect("consent");
    let codes = fapi::memory::MemoryStore::new();
    let aws_rng = aws_lc_rs::rand::SystemRandom::new();
    let mut code_raw = || {
        let mut code = [0u8; 32];
        aws_lc_rs::rand::SecureRandom::fill(&aws_rng, &mut code).expect("rng");
        let mut enc = [0u8; 43];
        let n = fapi_core::b64::encode_vartime(&code, &mut enc).expect("b64");
        let _ = black_box(sha2::Sha256::digest(&enc[..n]));
        let _ = black_box(sha2::Sha256::digest(PKCE_VERIFIER.as_bytes()));
    };
    // One consent decided on again and again: its request URI spend (a
    // replay cache record, measured on its own above) always passes here.
    struct Unspent;
    impl fapi_core::store::ReplayCache for Unspent {
        fn record_once(&self, _: &[u8], _: u64, _: u64) -> Result<(), fapi_core::Error> {
            Ok(())
        }
    }
    let revoked = fapi::memory::MemoryStore::new();
    let retention = fapi_core::code::Retention {
        tombstone: 360,
        revocation: 3600,
    };
    let mut code_fapi = || {
        let code = fapi_core::code::issue(&profile, &codes, &Unspent, &rng, &consent, 60, now)
            .expect("code");
        let presented = fapi_core::code::Presented {
            code: code.as_str(),
            client_id: CLIENT_ID,
            redirect_uri: REDIRECT,
            dpop: None,
        };
        let grant = fapi_core::code::redeem(&codes, &revoked, &presented, retention, now, |c| {
            fapi_core::pkce::verify(PKCE_VERIFIER, c)
        })
        .expect("redeem");
        let _ = black_box(grant);
    };
    paired2(
        "code issue and redeem (in-memory store)",
        &mut code_raw,
        &mut code_fapi,
    );

    let mut g = c.benchmark_group("small_ops");
    let _ = g.bench_function("pkce_verify_fapi", |b| b.iter(&mut pkce_fapi));
    let _ = g.bench_function("thumbprint_fapi", |b| b.iter(&mut tp_fapi));
    let _ = g.bench_function("thumbprint_jsonwebtoken", |b| b.iter(&mut tp_jwt));
    let _ = g.bench_function("code_issue_redeem_fapi", |b| b.iter(&mut code_fapi));
    g.finish();
}

/// Operations per second with one thread and with two, in alternating
/// rounds (median of the per-round ratios): access tokens issued (ES256,
/// aws-lc key) and DPoP proofs verified (ES256, each proof once, one
/// shared replay cache of 100,000 live entries).
fn throughput() {
    const PER_THREAD: usize = 1000;
    const TROUNDS: usize = 7;
    let now = now();
    let profile = Profile::FAPI2;
    let key = fapi_awslc::Es256SigningKey::from_pkcs8_der(P256_PK8).expect("key");
    let rng = fapi_awslc::SystemRandom::new();
    let config = DpopConfig::new(&profile);
    let request = DpopRequest {
        method: "POST",
        uri: HTU,
        nonce_binding: None,
    };
    let store = filled_replay(REPLAY_LIVE, now + 3600, now);
    // One batch of proofs per thread per run: (1 + 2) runs a round.
    let all = proofs(&key, PER_THREAD * 3 * (TROUNDS + 1), now);
    let mut batches = all.chunks(PER_THREAD);

    let issue = |_: &[Vec<u8>]| {
        let mut out = vec![0u8; 4096];
        for _ in 0..PER_THREAD {
            let _ = black_box(
                token::issue(&profile, &token_params(now), &key, &rng, &mut out).expect("issue"),
            );
        }
    };
    let verify = |batch: &[Vec<u8>]| {
        for p in batch {
            let _ = black_box(
                dpop::verify_proof(
                    p,
                    &request,
                    &config,
                    &fapi_awslc::AWSLC,
                    &FixedClock(now),
                    &store,
                )
                .expect("dpop"),
            );
        }
    };
    // Wall time of `threads` threads each doing one batch, as ops/s.
    let run = |threads: usize, work: &(dyn Fn(&[Vec<u8>]) + Sync), batches: &[&[Vec<u8>]]| {
        let start = std::time::Instant::now();
        std::thread::scope(|s| {
            for b in batches.iter().take(threads) {
                let _ = s.spawn(move || work(b));
            }
        });
        #[allow(clippy::cast_precision_loss, reason = "small counts")]
        let ops = (threads * PER_THREAD) as f64;
        ops / start.elapsed().as_secs_f64()
    };
    for (op, work, uses_proofs) in [
        (
            "access tokens issued/s ES256",
            &issue as &(dyn Fn(&[Vec<u8>]) + Sync),
            false,
        ),
        ("DPoP proofs verified/s ES256", &verify, true),
    ] {
        let (mut t1, mut t2, mut ratio) = (vec![], vec![], vec![]);
        let none: &[Vec<u8>] = &[];
        for round in 0..=TROUNDS {
            // Each proof is verified once: fresh batches every run.
            let (a, b, c) = if uses_proofs {
                (
                    batches.next().expect("batch"),
                    batches.next().expect("batch"),
                    batches.next().expect("batch"),
                )
            } else {
                (none, none, none)
            };
            // Alternate the order, so that neither always runs first.
            let (one, two) = if round % 2 == 0 {
                let one = run(1, work, &[a]);
                (one, run(2, work, &[b, c]))
            } else {
                let two = run(2, work, &[b, c]);
                (run(1, work, &[a]), two)
            };
            // Round 0 is the warm-up.
            if round > 0 {
                t1.push(one);
                t2.push(two);
                ratio.push(two / one);
            }
        }
        println!(
            "throughput-json {{\"op\":\"{op}\",\"t1\":{:.0},\"t2\":{:.0},\"ratio\":{:.3}}}",
            median(&mut t1),
            median(&mut t2),
            median(&mut ratio)
        );
    }
}

/// The two base64url decoders on a token's payload, and the Ed25519 point
/// decompression that the small-order list saves on each run-time key.
fn parts(c: &mut Criterion) {
    let now = now();
    let key = fapi_awslc::Ed25519SigningKey::from_pkcs8_der(ED25519_PK8).expect("key");
    let mut out = vec![0u8; 4096];
    let n = token::issue(
        &Profile::FAPI2,
        &token_params(now),
        &key,
        &fapi_awslc::SystemRandom::new(),
        &mut out,
    )
    .expect("issue");
    let parts = fapi_core::jws::split(&out[..n]).expect("split");
    let payload = parts.payload.to_vec();
    let mut dec = vec![0u8; payload.len()];
    let PublicKey::Ed25519 { x } = key.public_key().expect("pub") else {
        unreachable!("Ed25519")
    };
    let mut g = c.benchmark_group("parts");
    let _ = g.bench_function(format!("b64_decode_ct_{}B", payload.len()), |b| {
        b.iter(|| fapi_core::b64::decode(black_box(&payload), &mut dec).map(<[u8]>::len))
    });
    let _ = g.bench_function(format!("b64_decode_vartime_{}B", payload.len()), |b| {
        b.iter(|| fapi_core::b64::decode_vartime(black_box(&payload), &mut dec).map(<[u8]>::len))
    });
    // The `x5t#S256` binding hashes the client certificate: part of the
    // null-verifier figure, though not JOSE or claims work.
    let _ = g.bench_function(format!("sha256_client_cert_{}B", CLIENT_CERT.len()), |b| {
        b.iter(|| CertThumbprint::of_der(black_box(CLIENT_CERT)))
    });
    let _ = g.bench_function("ed25519_decompress_dalek", |b| {
        b.iter(|| ed25519_dalek::VerifyingKey::from_bytes(black_box(&x)).map(|k| k.is_weak()))
    });
    g.finish();
}

/// `FAPI_BENCH_CRITERION_ONLY=1` skips the paired runs and the throughput
/// (for `perf record` of one criterion benchmark).
fn skip_paired() -> bool {
    std::env::var_os("FAPI_BENCH_CRITERION_ONLY").is_some()
}

/// `/proc/loadavg`, printed with the figures: the machine is shared.
fn load(when: &str) {
    let l = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let l: Vec<&str> = l.split_whitespace().take(3).collect();
    println!(
        "load-json {{\"when\":\"{when}\",\"loadavg\":\"{}\"}}",
        l.join(" ")
    );
}

criterion_group!(
    benches,
    overhead,
    parts,
    access_tokens,
    dpop_proofs,
    client_assertions,
    small_ops
);

fn main() {
    load("start");
    benches();
    load("after the paired and criterion runs");
    if !skip_paired() {
        throughput();
    }
    load("end");
    Criterion::default().configure_from_args().final_summary();
}
