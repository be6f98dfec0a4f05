//! HTTP message signatures (RFC 9421) under FAPI 2.0 HTTP Signatures
//! through fapi against the primitives underneath, in one run: a resource
//! request (`POST`, `Authorization`, `DPoP`, `Content-Type`) with a
//! **1 KiB body** and its `Content-Digest` (RFC 9530, `sha-256`), for
//! `ecdsa-p256-sha256`, `ed25519` and `rsa-pss-sha512` (RSA-2048), every
//! key on aws-lc:
//!
//! - **fapi sign**: `content_digest::write` over the body, then
//!   `http_sig::sign_request` (the `Signature-Input` written and parsed
//!   again, the signature base, the signature, its base64) with the
//!   `fapi-awslc` key;
//! - **fapi verify**: `http_sig::verify_request` (both fields parsed, the
//!   profile's components and `created` checked, the key found in a JWKS by
//!   `keyid`, the base, the signature by `fapi_awslc::AWSLC`, the
//!   `Content-Digest` recomputed over the body);
//! - **raw**: the SHA-256 of the body plus the bare signature (the bare
//!   verification) of the same signature base by aws-lc alone, with the
//!   same key (`EcdsaKeyPair`, `Ed25519KeyPair`, `RsaKeyPair` with
//!   `RSA_PSS_SHA512`; `UnparsedPublicKey` and `RsaPublicKeyComponents`
//!   to verify, parsing the public key each call as fapi's run-time
//!   verifier does).
//!
//! The paired runs (printed first) time raw against fapi in alternating
//! blocks; criterion then measures each part alone, with the SHA-256 and
//! SHA-512 of 1 KiB.

use core::hint::black_box;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ED25519, RSA_PSS_2048_8192_SHA512, RSA_PSS_SHA512,
    RsaPublicKeyComponents, UnparsedPublicKey,
};
use criterion::{Criterion, criterion_group};
use fapi_core::content_digest::{self, DigestAlgorithm};
use fapi_core::http_sig::{
    self, FieldList, Message, Policy, SignatureAlgorithm, SignatureBuffers, SignatureInput,
};
use fapi_core::jwk::{Jwks, PublicJwk, write_jwks};
use fapi_core::sfv::Dictionary;
use fapi_core::{FixedClock, PublicKey, Signer};
use sha2::Digest as _;

const NOW: u64 = 1_732_610_000;
const TARGET: &str = "https://rs.bank.example.com/open-banking/v4.0/pisp/domestic-payments";

/// The three keys, fapi's and aws-lc's views of each.
struct Keys {
    es256: fapi_awslc::Es256SigningKey,
    ed25519: fapi_awslc::Ed25519SigningKey,
    rsa: fapi_awslc::Ps256SigningKey,
    jwks: Vec<u8>,
}

fn keys() -> Keys {
    let es256 = fapi_awslc::Es256SigningKey::from_bytes(&[0x8e; 32])
        .and_then(|k| k.with_key_id("ec-1"))
        .expect("key");
    let ed25519 = fapi_awslc::Ed25519SigningKey::from_bytes(&[0x42; 32])
        .and_then(|k| k.with_key_id("ed-1"))
        .expect("key");
    let rsa = fapi_awslc::Ps256SigningKey::generate(2048)
        .and_then(|k| k.with_key_id("rsa-1"))
        .expect("key");
    let mut rsa_jwk = PublicJwk::new(rsa.public_key().expect("public"), Some("rsa-1"));
    // An rsa-pss-sha512 key names no JOSE `alg` (PS256 would be SHA-256).
    rsa_jwk.alg = None;
    let jwks_keys = [
        PublicJwk::new(es256.public_key().expect("public"), Some("ec-1")),
        PublicJwk::new(ed25519.public_key().expect("public"), Some("ed-1")),
        rsa_jwk,
    ];
    let mut jwks = vec![0u8; 4096];
    let n = write_jwks(&jwks_keys, &mut jwks).expect("JWKS");
    jwks.truncate(n);
    Keys {
        es256,
        ed25519,
        rsa,
        jwks,
    }
}

/// The 1 KiB body: a payment initiation padded to 1,024 bytes.
fn body() -> Vec<u8> {
    let mut b = br#"{"Data":{"ConsentId":"58923","Initiation":{"InstructionIdentification":"ACME412","EndToEndIdentification":"FRESCO.21302.GFX.20","InstructedAmount":{"Amount":"165.88","Currency":"GBP"},"CreditorAccount":{"SchemeName":"UK.OBIE.SortCodeAccountNumber","Identification":"08080021325698","Name":"ACME Inc"}}},"Risk":{"PaymentContextCode":"EcommerceGoods","pad":""#.to_vec();
    b.resize(1024 - 4, b'x');
    b.extend_from_slice(b"\"}}\n");
    assert_eq!(b.len(), 1024);
    b
}

/// A DPoP-bound access token and its proof, about the size of real ones.
struct Credentials {
    authorization: String,
    dpop: String,
}

fn credentials() -> Credentials {
    Credentials {
        authorization: format!("DPoP {}", "A".repeat(420)),
        dpop: format!("eyJ0eXAiOiJkcG9wK2p3dCJ9.{}", "B".repeat(560)),
    }
}

/// The request's fields other than the signature.
fn fields<'a>(cred: &'a Credentials, digest: &'a str) -> [(&'static str, &'a str); 4] {
    [
        ("Authorization", cred.authorization.as_str()),
        ("DPoP", cred.dpop.as_str()),
        ("Content-Type", "application/json"),
        ("Content-Digest", digest),
    ]
}

fn digest_field(body: &[u8]) -> String {
    let mut out = [0u8; content_digest::MAX_FIELD_LEN];
    let n = content_digest::write(DigestAlgorithm::Sha256, body, &mut out).expect("digest");
    String::from_utf8(out[..n].to_vec()).expect("ASCII")
}

/// fapi's signing: the digest, then the signature fields.
fn fapi_sign(
    signer: &dyn Signer,
    cred: &Credentials,
    body: &[u8],
    bufs: &mut Bufs,
) -> (usize, usize) {
    let mut digest = [0u8; content_digest::MAX_FIELD_LEN];
    let n = content_digest::write(DigestAlgorithm::Sha256, body, &mut digest).expect("digest");
    let digest = core::str::from_utf8(&digest[..n]).expect("ASCII");
    let pairs = fields(cred, digest);
    let list = FieldList(&pairs);
    let msg = Message::request("POST", TARGET, &list);
    let out = http_sig::sign_request(
        signer,
        "sig1",
        &msg,
        body,
        &FixedClock(NOW),
        SignatureBuffers {
            signature_input: &mut bufs.input,
            signature: &mut bufs.signature,
            scratch: &mut bufs.scratch,
        },
    )
    .expect("sign");
    (out.signature_input_len, out.signature_len)
}

struct Bufs {
    input: Vec<u8>,
    signature: Vec<u8>,
    scratch: Vec<u8>,
}

impl Bufs {
    fn new() -> Self {
        Self {
            input: vec![0u8; 1024],
            signature: vec![0u8; 1024],
            scratch: vec![0u8; 8192],
        }
    }
}

/// One signed request and what the raw contenders need from it.
struct Case {
    alg: SignatureAlgorithm,
    /// The request's fields, signature included.
    fields: Vec<(&'static str, String)>,
    /// The signature base fapi signed.
    base: Vec<u8>,
    /// The raw signature.
    signature: Vec<u8>,
    public: PublicKey,
}

fn case(signer: &dyn Signer, cred: &Credentials, alg: SignatureAlgorithm, body: &[u8]) -> Case {
    let mut bufs = Bufs::new();
    let (il, sl) = fapi_sign(signer, cred, body, &mut bufs);
    let input = String::from_utf8(bufs.input[..il].to_vec()).expect("ASCII");
    let sig_field = String::from_utf8(bufs.signature[..sl].to_vec()).expect("ASCII");
    assert!(
        input.contains(&format!("alg=\"{}\"", alg.name())),
        "{input}"
    );
    let digest = digest_field(body);
    let mut fields: Vec<(&'static str, String)> = fields(cred, &digest)
        .iter()
        .map(|(k, v)| (*k, (*v).to_owned()))
        .collect();
    let dict = Dictionary::parse(&input).expect("Signature-Input");
    let (label, member) = dict.iter().next().expect("one member");
    let parsed = SignatureInput::from_member(label, &member).expect("input");
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let list = FieldList(&pairs);
    let msg = Message::request("POST", TARGET, &list);
    let mut base = vec![0u8; 8192];
    let n = http_sig::signature_base(&parsed, &msg, None, &mut base).expect("base");
    base.truncate(n);
    let b64 = sig_field.trim_start_matches("sig1=:").trim_end_matches(':');
    let mut sig = vec![0u8; 1024];
    let m = base64_std_decode(b64, &mut sig);
    sig.truncate(m);
    fields.push(("Signature-Input", input));
    fields.push(("Signature", sig_field));
    Case {
        alg,
        fields,
        base,
        signature: sig,
        public: signer.public_key().expect("public"),
    }
}

fn base64_std_decode(s: &str, out: &mut [u8]) -> usize {
    let url: String = s
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    fapi_core::b64::decode(url.as_bytes(), out)
        .expect("base64")
        .len()
}

fn fapi_verify(c: &Case, body: &[u8], jwks: &Jwks<'_>, scratch: &mut [u8]) {
    let pairs: [(&str, &str); 6] =
        core::array::from_fn(|i| (c.fields[i].0, c.fields[i].1.as_str()));
    let list = FieldList(&pairs);
    let msg = Message::request("POST", TARGET, &list);
    let v = http_sig::verify_request(
        &Policy::request(SignatureAlgorithm::ALL),
        &msg,
        body,
        jwks,
        &fapi_awslc::AWSLC,
        &FixedClock(NOW + 1),
        scratch,
    )
    .expect("verify");
    assert_eq!(v.alg, c.alg);
}

/// aws-lc's bare signature of the base, with the key behind `keys`.
fn raw_sign(keys: &Keys, alg: SignatureAlgorithm, base: &[u8], rng: &SystemRandom) -> usize {
    match alg {
        SignatureAlgorithm::EcdsaP256Sha256 => keys
            .es256
            .as_aws_lc()
            .sign(rng, base)
            .expect("sign")
            .as_ref()
            .len(),
        SignatureAlgorithm::Ed25519 => keys.ed25519.as_aws_lc().sign(base).as_ref().len(),
        SignatureAlgorithm::RsaPssSha512 => {
            let pair = keys.rsa.as_aws_lc();
            let mut out = [0u8; 512];
            let n = pair.public_modulus_len();
            pair.sign(&RSA_PSS_SHA512, rng, base, &mut out[..n])
                .expect("sign");
            n
        }
    }
}

/// aws-lc's bare verification of the base.
fn raw_verify(c: &Case) {
    match (&c.public, c.alg) {
        (PublicKey::P256 { .. }, SignatureAlgorithm::EcdsaP256Sha256) => {
            let point = c.public.sec1_point().expect("point");
            UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point)
                .verify(&c.base, &c.signature)
                .expect("verify");
        }
        (PublicKey::Ed25519 { x }, SignatureAlgorithm::Ed25519) => {
            UnparsedPublicKey::new(&ED25519, x)
                .verify(&c.base, &c.signature)
                .expect("verify");
        }
        (PublicKey::Rsa(k), SignatureAlgorithm::RsaPssSha512) => {
            RsaPublicKeyComponents { n: k.n(), e: k.e() }
                .verify(&RSA_PSS_2048_8192_SHA512, &c.base, &c.signature)
                .expect("verify");
        }
        _ => unreachable!("each case has its own key type"),
    }
}

fn signer(keys: &Keys, alg: SignatureAlgorithm) -> &dyn Signer {
    match alg {
        SignatureAlgorithm::EcdsaP256Sha256 => &keys.es256,
        SignatureAlgorithm::Ed25519 => &keys.ed25519,
        SignatureAlgorithm::RsaPssSha512 => &keys.rsa,
    }
}

const ALGS: [SignatureAlgorithm; 3] = [
    SignatureAlgorithm::EcdsaP256Sha256,
    SignatureAlgorithm::Ed25519,
    SignatureAlgorithm::RsaPssSha512,
];

/// Times `raw` and `fapi` in alternating blocks of `block` calls, so both
/// see the same load on a shared machine; prints the median time per call
/// of each and the median of the per-round ratios.
fn paired(name: &str, block: u32, mut raw: impl FnMut(), mut fapi: impl FnMut()) {
    const ROUNDS: usize = 31;
    let time = |f: &mut dyn FnMut()| {
        let start = std::time::Instant::now();
        for _ in 0..block {
            f();
        }
        start.elapsed().as_secs_f64() * 1e6 / f64::from(block)
    };
    for _ in 0..2 {
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
    let (rm, fm) = (median(&mut r), median(&mut f));
    println!(
        "paired {name}: raw {rm:.2} µs, fapi {fm:.2} µs, fapi - raw {:.2} µs, median ratio fapi/raw {:.3}",
        fm - rm,
        median(&mut ratio)
    );
}

fn paired_report() {
    let keys = keys();
    let body = body();
    let jwks = Jwks::from_json(&keys.jwks).expect("JWKS");
    let rng = SystemRandom::new();
    let cred = credentials();
    println!("body: {} bytes", body.len());
    for alg in ALGS {
        let c = case(signer(&keys, alg), &cred, alg, &body);
        println!(
            "{}: signature base {} bytes, Signature-Input {} bytes",
            alg.name(),
            c.base.len(),
            c.fields[4].1.len()
        );
        let block = if alg == SignatureAlgorithm::RsaPssSha512 {
            5
        } else {
            50
        };
        let mut bufs = Bufs::new();
        paired(
            &format!("sign {}", alg.name()),
            block,
            || {
                let _ = black_box(sha2::Sha256::digest(black_box(&body)));
                let _ = black_box(raw_sign(&keys, alg, black_box(&c.base), &rng));
            },
            || {
                let _ = black_box(fapi_sign(
                    signer(&keys, alg),
                    &cred,
                    black_box(&body),
                    &mut bufs,
                ));
            },
        );
        let mut scratch = vec![0u8; 8192];
        paired(
            &format!("verify {}", alg.name()),
            50,
            || {
                let _ = black_box(sha2::Sha256::digest(black_box(&body)));
                raw_verify(black_box(&c));
            },
            || fapi_verify(black_box(&c), black_box(&body), &jwks, &mut scratch),
        );
    }
}

fn criterion_http_sig(cr: &mut Criterion) {
    let keys = keys();
    let body = body();
    let jwks = Jwks::from_json(&keys.jwks).expect("JWKS");
    let rng = SystemRandom::new();
    let cred = credentials();
    for alg in ALGS {
        let c = case(signer(&keys, alg), &cred, alg, &body);
        let mut g = cr.benchmark_group(alg.name());
        let mut bufs = Bufs::new();
        let mut scratch = vec![0u8; 8192];
        let _ = g.bench_function("fapi_sign_request", |b| {
            b.iter(|| fapi_sign(signer(&keys, alg), &cred, black_box(&body), &mut bufs))
        });
        let _ = g.bench_function("awslc_sign_base", |b| {
            b.iter(|| raw_sign(&keys, alg, black_box(&c.base), &rng))
        });
        let _ = g.bench_function("fapi_verify_request", |b| {
            b.iter(|| fapi_verify(black_box(&c), black_box(&body), &jwks, &mut scratch))
        });
        let _ = g.bench_function("awslc_verify_base", |b| {
            b.iter(|| raw_verify(black_box(&c)))
        });
        g.finish();
    }
    let mut g = cr.benchmark_group("digest_1KiB");
    let _ = g.bench_function("sha256", |b| {
        b.iter(|| sha2::Sha256::digest(black_box(&body)))
    });
    let _ = g.bench_function("sha512", |b| {
        b.iter(|| sha2::Sha512::digest(black_box(&body)))
    });
    let mut out = [0u8; content_digest::MAX_FIELD_LEN];
    let _ = g.bench_function("content_digest_write_sha256", |b| {
        b.iter(|| content_digest::write(DigestAlgorithm::Sha256, black_box(&body), &mut out))
    });
    let field = digest_field(&body);
    let _ = g.bench_function("content_digest_verify_sha256", |b| {
        b.iter(|| content_digest::verify(black_box(&field), black_box(&body)))
    });
    g.finish();
}

criterion_group!(benches, criterion_http_sig);

fn main() {
    if std::env::var_os("FAPI_BENCH_CRITERION_ONLY").is_none() {
        paired_report();
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
