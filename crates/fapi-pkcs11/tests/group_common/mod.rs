//! What the HA signing group tests and bench share: one software-made P-256
//! key imported into several SoftHSM2 tokens with `C_CreateObject`, and the
//! SoftHSM2 token directories (to take a token away from under the module).
#![allow(
    dead_code,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::path::{Path, PathBuf};

use cryptoki::object::{Attribute, KeyType, ObjectClass};
use fapi_pkcs11::{KeyInfo, KeyRef, SessionPool, key, keys};
use p256::elliptic_curve::sec1::ToSec1Point as _;
use zeroize::Zeroizing;

/// The labels of the group's tokens (`FAPI_PKCS11_HA_TOKENS`, set by
/// `softhsm-setup.sh`).
pub fn ha_tokens() -> Option<Vec<String>> {
    let v = std::env::var("FAPI_PKCS11_HA_TOKENS").ok()?;
    let labels: Vec<String> = v.split_whitespace().map(str::to_owned).collect();
    (labels.len() >= 2).then_some(labels)
}

/// A fresh P-256 private scalar from aws-lc's generator.
pub fn p256_secret() -> p256::SecretKey {
    loop {
        let mut bytes = Zeroizing::new([0u8; 32]);
        aws_lc_rs::rand::fill(bytes.as_mut_slice()).unwrap();
        if let Ok(k) = p256::SecretKey::from_slice(bytes.as_slice()) {
            return k;
        }
    }
}

/// Imports `secret` into the token of `pool` as a signing key pair with
/// `CKA_ID` `id` and `CKA_LABEL` `label` (private, sensitive, not
/// extractable), and returns it as the token describes it.
pub fn import_p256(
    pool: &SessionPool,
    secret: &p256::SecretKey,
    id: &[u8],
    label: &str,
) -> KeyInfo {
    let point = secret.public_key().to_sec1_point(false);
    // CKA_EC_POINT: a DER OCTET STRING holding the SEC1 point.
    let mut ec_point = vec![0x04, 0x41];
    ec_point.extend_from_slice(point.as_bytes());
    let common = |class: ObjectClass| {
        vec![
            Attribute::Class(class),
            Attribute::KeyType(KeyType::EC),
            Attribute::Token(true),
            Attribute::Id(id.to_vec()),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::EcParams(key::P256_PARAMS.to_vec()),
        ]
    };
    let mut public = common(ObjectClass::PUBLIC_KEY);
    public.extend([
        Attribute::Private(false),
        Attribute::Verify(true),
        Attribute::EcPoint(ec_point),
    ]);
    let scalar = Zeroizing::new(secret.to_bytes().to_vec());
    let mut private = common(ObjectClass::PRIVATE_KEY);
    private.extend([
        Attribute::Private(true),
        Attribute::Sign(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Value(scalar.to_vec()),
    ]);
    let lease = pool.lease().unwrap();
    keys::serialized(|| {
        let _ = lease.session().create_object(&public).unwrap();
        let _ = lease.session().create_object(&private).unwrap();
    });
    drop(lease);
    keys::describe(pool, &KeyRef::Id(id.to_vec())).unwrap()
}

/// SoftHSM2's token directory, from `SOFTHSM2_CONF`.
pub fn softhsm_tokendir() -> PathBuf {
    let conf = std::env::var("SOFTHSM2_CONF").expect("SOFTHSM2_CONF");
    let text = std::fs::read_to_string(&conf).unwrap();
    let line = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("directories.tokendir"))
        .expect("directories.tokendir in SOFTHSM2_CONF");
    PathBuf::from(line.trim().trim_start_matches('=').trim())
}

/// The subdirectory of the token directory that holds the token labelled
/// `label` (SoftHSM2 keeps each token in a directory named by a UUID, with
/// its label in `token.object`).
pub fn token_subdir(label: &str) -> PathBuf {
    let dir = softhsm_tokendir();
    let padded = format!("{label:<32}");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let Ok(object) = std::fs::read(path.join("token.object")) else {
            continue;
        };
        if object.windows(padded.len()).any(|w| w == padded.as_bytes()) {
            return path;
        }
    }
    panic!(
        "no SoftHSM2 token directory for {label} in {}",
        dir.display()
    );
}

/// The token `label` taken away from the module: its directory renamed, so
/// that SoftHSM2 finds neither the token's objects nor the token; put back
/// when dropped.
pub struct TokenAway {
    from: PathBuf,
    to: PathBuf,
}

impl TokenAway {
    pub fn take(label: &str) -> Self {
        let from = token_subdir(label);
        let to = from.with_extension("away");
        std::fs::rename(&from, &to).unwrap();
        Self { from, to }
    }

    pub fn path(&self) -> &Path {
        &self.from
    }
}

impl Drop for TokenAway {
    fn drop(&mut self) {
        let _ = std::fs::rename(&self.to, &self.from);
    }
}
