//! Compact JWE (RFC 7516) through fapi against the primitives underneath,
//! in one run: for `RSA-OAEP-256` + `A256GCM` and `RSA-OAEP` +
//! `A128CBC-HS256`, a 2048-bit key on aws-lc and a nested JWT of about
//! 1 KiB (an ES256 JWS, `cty: JWT`),
//!
//! - `fapi_core::jwe::decrypt` and `encrypt` with the `fapi-awslc` keys;
//! - the RSA-OAEP decryption (encryption) of the JWE's CEK by aws-lc alone
//!   (`OaepPrivateDecryptingKey`, `OaepPublicEncryptingKey`, the same key);
//! - the content decryption (encryption) alone, with the crates fapi-core
//!   uses (`aes-gcm`; `aes` + `cbc` + `hmac` for RFC 7518 §5.2), over the
//!   same ciphertext, IV and AAD.
//!
//! The paired runs (printed first) time `raw` = RSA + content against
//! fapi in alternating blocks; criterion then measures each part alone.

use core::hint::black_box;

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rsa::{
    KeySize, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepAlgorithm, OaepPrivateDecryptingKey,
    OaepPublicEncryptingKey, PrivateDecryptingKey,
};
use criterion::{Criterion, criterion_group};
use fapi_core::jwe::{self, ContentEnc, EncryptParams, KeyAlg, Policy};
use fapi_core::jws::HeaderParams;
use fapi_core::{Error, Random, b64};

struct Os(fapi_awslc::SystemRandom);
impl Random for Os {
    fn fill(&self, d: &mut [u8]) -> Result<(), Error> {
        self.0.fill(d)
    }
}

/// The recipient's key three ways: fapi's decrypting and encrypting keys,
/// and aws-lc's own OAEP keys, all from one PKCS#8 document.
struct Keys {
    fapi: fapi_awslc::RsaOaepDecryptionKey,
    fapi_public: fapi_awslc::RsaOaepEncryptionKey,
    raw: OaepPrivateDecryptingKey,
    raw_public: OaepPublicEncryptingKey,
}

fn keys() -> Keys {
    let key = PrivateDecryptingKey::generate(KeySize::Rsa2048).expect("RSA key");
    let pkcs8 = key.as_der().expect("PKCS#8");
    let fapi = fapi_awslc::RsaOaepDecryptionKey::from_pkcs8_der(pkcs8.as_ref()).expect("key");
    let fapi_public = fapi.encryption_key().expect("public key");
    let raw_public = OaepPublicEncryptingKey::new(key.public_key()).expect("public key");
    let raw = OaepPrivateDecryptingKey::new(key).expect("OAEP key");
    Keys {
        fapi,
        fapi_public,
        raw,
        raw_public,
    }
}

/// A nested JWT of about 1 KiB: an ES256 JWS over ID-token-like claims.
fn nested_jwt() -> Vec<u8> {
    let signer = fapi_awslc::Es256SigningKey::from_bytes(&[0x8e; 32]).expect("key");
    let claims = format!(
        r#"{{"iss":"https://as.bank.example.com","sub":"c5b1f6f0-2d3a-4b8e-9f61-0d6f7a9e2c41","aud":"s6BhdRkqt3-fapi-client-0001","iat":1732610000,"exp":1732610300,"nonce":"n-0S6_WzA2Mj","auth_time":1732609990,"acr":"urn:openbanking:psd2:sca","openbanking_intent_id":"urn:bank:intent:58923","s_hash":"76sa5dd","c_hash":"asd097d","address":{{"street_address":"1 Main St","locality":"Anytown","postal_code":"12345","country":"GB"}},"pad":"{}"}}"#,
        "x".repeat(210)
    );
    let mut out = vec![0u8; 4096];
    let header = HeaderParams::typed("JWT").with_kid(fapi_core::Signer::key_id(&signer));
    let n = fapi_core::jws::sign(&signer, &header, claims.as_bytes(), &mut out).expect("sign");
    out.truncate(n);
    out
}

fn oaep(alg: KeyAlg) -> &'static OaepAlgorithm {
    match alg {
        KeyAlg::RsaOaep => &OAEP_SHA1_MGF1SHA1,
        KeyAlg::RsaOaep256 => &OAEP_SHA256_MGF1SHA256,
    }
}

fn b64d(s: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; s.len()];
    let n = b64::decode_vartime(s, &mut buf).expect("base64url").len();
    buf.truncate(n);
    buf
}

/// One JWE and its parts decoded, for the raw contenders.
struct Case {
    alg: KeyAlg,
    enc: ContentEnc,
    compact: Vec<u8>,
    aad: Vec<u8>,
    encrypted_key: Vec<u8>,
    cek: Vec<u8>,
    iv: Vec<u8>,
    ciphertext: Vec<u8>,
    tag: Vec<u8>,
}

fn case(keys: &Keys, payload: &[u8], alg: KeyAlg, enc: ContentEnc, rng: &Os) -> Case {
    let params = EncryptParams::new(alg, enc).nested_jwt();
    let mut out = vec![0u8; jwe::encrypt_buf_len(payload.len(), 256)];
    let n = jwe::encrypt(&params, payload, &keys.fapi_public, rng, &mut out).expect("encrypt");
    out.truncate(n);
    let parts: Vec<&[u8]> = out.split(|c| *c == b'.').collect();
    let encrypted_key = b64d(parts[1]);
    let mut cek = vec![0u8; 256];
    let len = keys
        .raw
        .decrypt(oaep(alg), &encrypted_key, &mut cek, None)
        .expect("unwrap")
        .len();
    cek.truncate(len);
    Case {
        alg,
        enc,
        aad: parts[0].to_vec(),
        encrypted_key,
        cek,
        iv: b64d(parts[2]),
        ciphertext: b64d(parts[3]),
        tag: b64d(parts[4]),
        compact: out.clone(),
    }
}

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The content decryption alone, on the crates fapi-core uses: AES-GCM
/// (RFC 7518 §5.3), or RFC 7518 §5.2.2.2 (HMAC-SHA-256 over
/// AAD || IV || ciphertext || AL, then AES-128-CBC).
fn raw_open(c: &Case, buf: &mut Vec<u8>) -> usize {
    use aes_gcm::{AeadInOut as _, KeyInit as _};
    buf.clear();
    buf.extend_from_slice(&c.ciphertext);
    match c.enc {
        ContentEnc::A256Gcm => {
            let cipher = aes_gcm::Aes256Gcm::new_from_slice(&c.cek).expect("key");
            let nonce =
                aes_gcm::aead::Nonce::<aes_gcm::Aes256Gcm>::try_from(&c.iv[..]).expect("iv");
            let tag = aes_gcm::aead::Tag::<aes_gcm::Aes256Gcm>::try_from(&c.tag[..]).expect("tag");
            cipher
                .decrypt_inout_detached(&nonce, &c.aad, buf.as_mut_slice().into(), &tag)
                .expect("open");
            buf.len()
        }
        ContentEnc::A128CbcHs256 => {
            use cbc::cipher::{BlockModeDecrypt as _, KeyIvInit as _, block_padding::Pkcs7};
            use hmac::Mac as _;
            let (mac_key, enc_key) = c.cek.split_at(16);
            let mut mac = <HmacSha256 as hmac::KeyInit>::new_from_slice(mac_key).expect("mac key");
            mac.update(&c.aad);
            mac.update(&c.iv);
            mac.update(buf);
            mac.update(&(8 * c.aad.len() as u64).to_be_bytes());
            mac.verify_truncated_left(&c.tag).expect("tag");
            let dec = cbc::Decryptor::<aes::Aes128>::new_from_slices(enc_key, &c.iv).expect("key");
            dec.decrypt_padded::<Pkcs7>(buf).expect("padding").len()
        }
        _ => unreachable!("benchmarked: A256GCM and A128CBC-HS256"),
    }
}

/// The content encryption alone, as `raw_open` in reverse.
fn raw_seal(c: &Case, plaintext: &[u8], buf: &mut Vec<u8>) -> usize {
    use aes_gcm::{AeadInOut as _, KeyInit as _};
    buf.clear();
    buf.extend_from_slice(plaintext);
    match c.enc {
        ContentEnc::A256Gcm => {
            let cipher = aes_gcm::Aes256Gcm::new_from_slice(&c.cek).expect("key");
            let nonce =
                aes_gcm::aead::Nonce::<aes_gcm::Aes256Gcm>::try_from(&c.iv[..]).expect("iv");
            let tag = cipher
                .encrypt_inout_detached(&nonce, &c.aad, buf.as_mut_slice().into())
                .expect("seal");
            let _ = black_box(tag);
            buf.len()
        }
        ContentEnc::A128CbcHs256 => {
            use cbc::cipher::{BlockModeEncrypt as _, KeyIvInit as _, block_padding::Pkcs7};
            use hmac::Mac as _;
            let (mac_key, enc_key) = c.cek.split_at(16);
            let len = buf.len();
            buf.resize(len / 16 * 16 + 16, 0);
            let enc = cbc::Encryptor::<aes::Aes128>::new_from_slices(enc_key, &c.iv).expect("key");
            let n = enc.encrypt_padded::<Pkcs7>(buf, len).expect("pad").len();
            let mut mac = <HmacSha256 as hmac::KeyInit>::new_from_slice(mac_key).expect("mac key");
            mac.update(&c.aad);
            mac.update(&c.iv);
            mac.update(&buf[..n]);
            mac.update(&(8 * c.aad.len() as u64).to_be_bytes());
            let _ = black_box(mac.finalize().into_bytes());
            n
        }
        _ => unreachable!("benchmarked: A256GCM and A128CBC-HS256"),
    }
}

fn label(c: &Case) -> String {
    format!("{}+{}", c.alg.name(), c.enc.name())
}

const PAIRS: [(KeyAlg, ContentEnc); 2] = [
    (KeyAlg::RsaOaep256, ContentEnc::A256Gcm),
    (KeyAlg::RsaOaep, ContentEnc::A128CbcHs256),
];

/// Times `raw` and `fapi` in alternating blocks of `block` calls, so both
/// see the same load on a shared machine; prints the median time per call
/// of each and the median of the per-round ratios.
fn paired(name: &str, block: u32, mut raw: impl FnMut(), mut fapi: impl FnMut()) {
    const ROUNDS: usize = 21;
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
    println!(
        "paired {name}: raw {:.2} µs, fapi {:.2} µs, median ratio fapi/raw {:.3}",
        median(&mut r),
        median(&mut f),
        median(&mut ratio)
    );
}

fn paired_report() {
    let rng = Os(fapi_awslc::SystemRandom::new());
    let keys = keys();
    let payload = nested_jwt();
    println!("nested JWT payload: {} bytes", payload.len());
    for (alg, enc) in PAIRS {
        let c = case(&keys, &payload, alg, enc, &rng);
        println!("{}: compact JWE {} bytes", label(&c), c.compact.len());
        let mut buf = vec![0u8; jwe::decrypt_buf_len(c.compact.len())];
        let mut content = Vec::with_capacity(2048);
        let mut cek = [0u8; 256];
        let policy = Policy::ALL.nested_jwt();
        paired(
            &format!("decrypt {}", label(&c)),
            20,
            || {
                let n = keys
                    .raw
                    .decrypt(oaep(alg), black_box(&c.encrypted_key), &mut cek, None)
                    .expect("unwrap")
                    .len();
                let _ = black_box(n);
                let _ = black_box(raw_open(&c, &mut content));
            },
            || {
                let d = jwe::decrypt(black_box(&c.compact), &policy, &keys.fapi, &rng, &mut buf)
                    .expect("decrypt");
                let _ = black_box(d.plaintext.len());
            },
        );
        let params = EncryptParams::new(alg, enc).nested_jwt();
        let mut out = vec![0u8; jwe::encrypt_buf_len(payload.len(), 256)];
        let mut ek = [0u8; 256];
        paired(
            &format!("encrypt {}", label(&c)),
            100,
            || {
                let n = keys
                    .raw_public
                    .encrypt(oaep(alg), black_box(&c.cek), &mut ek, None)
                    .expect("wrap")
                    .len();
                let _ = black_box(n);
                let _ = black_box(raw_seal(&c, &payload, &mut content));
            },
            || {
                let n = jwe::encrypt(
                    &params,
                    black_box(&payload),
                    &keys.fapi_public,
                    &rng,
                    &mut out,
                )
                .expect("encrypt");
                let _ = black_box(n);
            },
        );
    }
}

fn criterion_jwe(cr: &mut Criterion) {
    let rng = Os(fapi_awslc::SystemRandom::new());
    let keys = keys();
    let payload = nested_jwt();
    for (alg, enc) in PAIRS {
        let c = case(&keys, &payload, alg, enc, &rng);
        let mut g = cr.benchmark_group(label(&c));
        let mut buf = vec![0u8; jwe::decrypt_buf_len(c.compact.len())];
        let mut content = Vec::with_capacity(2048);
        let mut cek = [0u8; 256];
        let mut ek = [0u8; 256];
        let mut out = vec![0u8; jwe::encrypt_buf_len(payload.len(), 256)];
        let policy = Policy::ALL.nested_jwt();
        let params = EncryptParams::new(alg, enc).nested_jwt();
        let _ = g.bench_function("fapi_decrypt", |b| {
            b.iter(|| {
                jwe::decrypt(black_box(&c.compact), &policy, &keys.fapi, &rng, &mut buf)
                    .expect("decrypt")
                    .plaintext
                    .len()
            })
        });
        let _ = g.bench_function("awslc_rsa_oaep_decrypt", |b| {
            b.iter(|| {
                keys.raw
                    .decrypt(oaep(alg), black_box(&c.encrypted_key), &mut cek, None)
                    .expect("unwrap")
                    .len()
            })
        });
        let _ = g.bench_function("content_decrypt", |b| b.iter(|| raw_open(&c, &mut content)));
        let _ = g.bench_function("fapi_encrypt", |b| {
            b.iter(|| {
                jwe::encrypt(
                    &params,
                    black_box(&payload),
                    &keys.fapi_public,
                    &rng,
                    &mut out,
                )
                .expect("encrypt")
            })
        });
        let _ = g.bench_function("awslc_rsa_oaep_encrypt", |b| {
            b.iter(|| {
                keys.raw_public
                    .encrypt(oaep(alg), black_box(&c.cek), &mut ek, None)
                    .expect("wrap")
                    .len()
            })
        });
        let _ = g.bench_function("content_encrypt", |b| {
            b.iter(|| raw_seal(&c, black_box(&payload), &mut content))
        });
        g.finish();
    }
}

criterion_group!(benches, criterion_jwe);

fn main() {
    if std::env::var_os("FAPI_BENCH_CRITERION_ONLY").is_none() {
        paired_report();
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
