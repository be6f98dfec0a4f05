//! Compact JWS signing through fapi against the raw backends, in one run.
//!
//! For each algorithm: the raw backend signing the exact signing input that
//! `fapi_core::jws::sign` produces, and `jws::sign` itself (header JSON,
//! base64url of header, payload and signature, the backend call).

use core::hint::black_box;

use criterion::{Criterion, criterion_group};
use fapi_core::Signer as _;
use fapi_core::jws::{self, HeaderParams};

/// A realistic JWT access token payload (RFC 9068 claims, a DPoP `cnf`),
/// about 400 bytes.
const PAYLOAD: &[u8] = br#"{"iss":"https://as.bank.example.com","sub":"c5b1f6f0-2d3a-4b8e-9f61-0d6f7a9e2c41","aud":"https://api.bank.example.com/open-banking/v3.1/aisp","client_id":"s6BhdRkqt3-fapi-client-0001","iat":1732610000,"nbf":1732610000,"exp":1732610300,"jti":"9f3c2b7e-6a41-4d0b-8c55-3e1f2a9d7b60","scope":"openid accounts payments fundsconfirmations","cnf":{"jkt":"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"},"acr":"urn:openbanking:psd2:sca","auth_time":1732609990}"#;

const P256_SCALAR: [u8; 32] = [
    0x8e, 0x9b, 0x10, 0x9e, 0x71, 0x90, 0x98, 0xbf, 0x98, 0x04, 0x87, 0xdf, 0x1f, 0x5d, 0x77, 0xe9,
    0xcb, 0x29, 0x60, 0x6e, 0xbe, 0xd2, 0x26, 0x3b, 0x5f, 0x57, 0xc2, 0x13, 0xdf, 0x84, 0xf4, 0xb2,
];
const ED25519_SEED: [u8; 32] = [
    0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
    0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
];

/// The signing input (`header.payload`) that `jws::sign` builds for `signer`.
fn signing_input(signer: &dyn fapi_core::Signer, header: &HeaderParams<'_>) -> Vec<u8> {
    let mut out = vec![0u8; 4096];
    let n = jws::sign(signer, header, PAYLOAD, &mut out).expect("sign");
    let compact = &out[..n];
    let last_dot = compact.iter().rposition(|c| *c == b'.').expect("dot");
    compact[..last_dot].to_vec()
}

fn es256(c: &mut Criterion) {
    let aws = fapi_awslc::Es256SigningKey::from_bytes(&P256_SCALAR).expect("key");
    let rc = fapi_rustcrypto::Es256SigningKey::from_bytes(&P256_SCALAR).expect("key");
    let raw_p256 = p256::ecdsa::SigningKey::from_slice(&P256_SCALAR).expect("key");
    let header = HeaderParams::typed("at+jwt").with_kid(aws.key_id());
    let input = signing_input(&aws, &header);
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let mut out = [0u8; 2048];

    let mut g = c.benchmark_group("es256");
    let _ = g.bench_function("awslc_raw", |b| {
        b.iter(|| black_box(aws.as_aws_lc().sign(&rng, black_box(&input)).expect("sign")))
    });
    let _ = g.bench_function("awslc_fapi_jws", |b| {
        b.iter(|| black_box(jws::sign(&aws, &header, black_box(PAYLOAD), &mut out).expect("sign")))
    });
    let _ = g.bench_function("p256_raw", |b| {
        use p256::ecdsa::signature::Signer as _;
        b.iter(|| {
            let s: p256::ecdsa::Signature = raw_p256.try_sign(black_box(&input)).expect("sign");
            black_box(s)
        })
    });
    let _ = g.bench_function("rustcrypto_fapi_jws", |b| {
        b.iter(|| black_box(jws::sign(&rc, &header, black_box(PAYLOAD), &mut out).expect("sign")))
    });
    g.finish();
}

fn eddsa(c: &mut Criterion) {
    let aws = fapi_awslc::Ed25519SigningKey::from_bytes(&ED25519_SEED).expect("key");
    let rc = fapi_rustcrypto::Ed25519SigningKey::from_bytes(&ED25519_SEED).expect("key");
    let raw_dalek = ed25519_dalek::SigningKey::from_bytes(&ED25519_SEED);
    let header = HeaderParams::typed("at+jwt").with_kid(aws.key_id());
    let input = signing_input(&aws, &header);
    let mut out = [0u8; 2048];

    let mut g = c.benchmark_group("eddsa");
    let _ = g.bench_function("awslc_raw", |b| {
        b.iter(|| black_box(aws.as_aws_lc().sign(black_box(&input))))
    });
    let _ = g.bench_function("awslc_fapi_jws", |b| {
        b.iter(|| black_box(jws::sign(&aws, &header, black_box(PAYLOAD), &mut out).expect("sign")))
    });
    let _ = g.bench_function("dalek_raw", |b| {
        use ed25519_dalek::Signer as _;
        b.iter(|| black_box(raw_dalek.sign(black_box(&input))))
    });
    let _ = g.bench_function("rustcrypto_fapi_jws", |b| {
        b.iter(|| black_box(jws::sign(&rc, &header, black_box(PAYLOAD), &mut out).expect("sign")))
    });
    g.finish();
}

/// A signer that does no cryptography: what `jws::sign` costs by itself.
struct NullSigner;

impl fapi_core::Signer for NullSigner {
    fn alg(&self) -> fapi_core::Alg {
        fapi_core::Alg::Es256
    }
    fn key_id(&self) -> &str {
        "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
    }
    fn sign(&self, _: &[u8], signature: &mut [u8]) -> Result<usize, fapi_core::Error> {
        signature
            .get_mut(..64)
            .ok_or(fapi_core::Error::BufferTooSmall)?
            .fill(0x5a);
        Ok(64)
    }
    fn public_key(&self) -> Result<fapi_core::PublicKey, fapi_core::Error> {
        Err(fapi_core::Error::SigningFailed)
    }
}

fn overhead(c: &mut Criterion) {
    let header = HeaderParams::typed("at+jwt").with_kid(NullSigner.key_id());
    let mut out = [0u8; 2048];
    let mut g = c.benchmark_group("overhead");
    let _ = g.bench_function("jws_sign_null_signer", |b| {
        b.iter(|| {
            black_box(jws::sign(&NullSigner, &header, black_box(PAYLOAD), &mut out).expect("sign"))
        })
    });
    let _ = g.bench_function("b64_encode_payload", |b| {
        b.iter(|| {
            black_box(
                fapi_core::b64::encode(black_box(PAYLOAD), &mut out)
                    .expect("encode")
                    .len(),
            )
        })
    });
    let _ = g.bench_function("b64_encode_vartime_payload", |b| {
        b.iter(|| {
            black_box(fapi_core::b64::encode_vartime(black_box(PAYLOAD), &mut out).expect("encode"))
        })
    });
    let _ = g.bench_function("zero_3k", |b| {
        b.iter(|| {
            let mut head = [0u8; 2048];
            let mut sig = [0u8; 1024];
            let _ = black_box(&mut head);
            let _ = black_box(&mut sig);
        })
    });
    g.finish();
}

/// Times `raw` and `fapi` in alternating blocks of `BLOCK` calls, so that
/// both see the same load on a shared machine, and prints the median time
/// per call of each and the median of the per-round ratios.
fn paired(name: &str, mut raw: impl FnMut(), mut fapi: impl FnMut()) {
    const ROUNDS: usize = 41;
    const BLOCK: u32 = 200;
    let time = |f: &mut dyn FnMut()| {
        let start = std::time::Instant::now();
        for _ in 0..BLOCK {
            f();
        }
        start.elapsed().as_secs_f64() * 1e9 / f64::from(BLOCK)
    };
    for _ in 0..3 {
        let _ = (time(&mut raw), time(&mut fapi)); // warm-up
    }
    let (mut r, mut f, mut ratio) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let a = time(&mut raw);
        let b = time(&mut fapi);
        r.push(a);
        f.push(b);
        ratio.push(b / a);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "paired {name}: raw {:.0} ns, fapi {:.0} ns, median ratio fapi/raw {:.3}",
        median(&mut r),
        median(&mut f),
        median(&mut ratio)
    );
}

/// The paired runs, printed before criterion's.
fn paired_report() {
    let mut out = [0u8; 2048];
    let rng = aws_lc_rs::rand::SystemRandom::new();

    let aws = fapi_awslc::Es256SigningKey::from_bytes(&P256_SCALAR).expect("key");
    let header = HeaderParams::typed("at+jwt").with_kid(aws.key_id());
    let input = signing_input(&aws, &header);
    paired(
        "es256 aws-lc",
        || {
            let _ = black_box(aws.as_aws_lc().sign(&rng, black_box(&input)).expect("sign"));
        },
        || {
            let _ =
                black_box(jws::sign(&aws, &header, black_box(PAYLOAD), &mut out).expect("sign"));
        },
    );
    let rc = fapi_rustcrypto::Es256SigningKey::from_bytes(&P256_SCALAR).expect("key");
    let raw_p256 = p256::ecdsa::SigningKey::from_slice(&P256_SCALAR).expect("key");
    paired(
        "es256 p256",
        || {
            use p256::ecdsa::signature::Signer as _;
            let s: p256::ecdsa::Signature = raw_p256.try_sign(black_box(&input)).expect("sign");
            let _ = black_box(s);
        },
        || {
            let _ = black_box(jws::sign(&rc, &header, black_box(PAYLOAD), &mut out).expect("sign"));
        },
    );

    let aws = fapi_awslc::Ed25519SigningKey::from_bytes(&ED25519_SEED).expect("key");
    let header = HeaderParams::typed("at+jwt").with_kid(aws.key_id());
    let input = signing_input(&aws, &header);
    paired(
        "eddsa aws-lc",
        || {
            let _ = black_box(aws.as_aws_lc().sign(black_box(&input)));
        },
        || {
            let _ =
                black_box(jws::sign(&aws, &header, black_box(PAYLOAD), &mut out).expect("sign"));
        },
    );
    let rc = fapi_rustcrypto::Ed25519SigningKey::from_bytes(&ED25519_SEED).expect("key");
    let raw_dalek = ed25519_dalek::SigningKey::from_bytes(&ED25519_SEED);
    paired(
        "eddsa ed25519-dalek",
        || {
            use ed25519_dalek::Signer as _;
            let _ = black_box(raw_dalek.sign(black_box(&input)));
        },
        || {
            let _ = black_box(jws::sign(&rc, &header, black_box(PAYLOAD), &mut out).expect("sign"));
        },
    );
}

criterion_group!(benches, overhead, es256, eddsa);

fn main() {
    paired_report();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
