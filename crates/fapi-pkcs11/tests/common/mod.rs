//! What the HSM tests share: the SoftHSM2 token and the TPM token from the
//! environment (see `softhsm-setup.sh` and `tpm-setup.sh`), unique labels,
//! and independent verifiers built directly on RustCrypto and on aws-lc-rs.
#![allow(
    dead_code,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use core::sync::atomic::{AtomicU32, Ordering};
use core::time::Duration;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use fapi_core::{Alg, PublicKey};
use fapi_pkcs11::{Pin, PoolConfig, SessionPool, Token};

/// The token the tests use, from the variables `softhsm-setup.sh` exports.
///
/// It holds a process-wide lock while it lives, so the tests of one test
/// binary use the token one at a time: SoftHSM2's file object store fails
/// now and then (`CKR_GENERAL_ERROR`) when one test generates keys while
/// another reads the token. Each test still signs from several threads
/// where it means to.
pub struct Hsm {
    /// `SoftHSM2` or `TPM`, for messages.
    pub name: &'static str,
    pub module: PathBuf,
    pub token: String,
    pub reinit_token: String,
    pub pin: String,
    pub so_pin: String,
    _one_at_a_time: MutexGuard<'static, ()>,
}

/// Taken by every [`Hsm`]; a test that panicked while holding it leaves
/// the token usable for the next.
static TOKEN_IN_USE: Mutex<()> = Mutex::new(());

/// The token, or `None` (with a loud message) when there is none. Under
/// `CI=true` a missing token fails the test instead.
pub fn hsm() -> Option<Hsm> {
    let module = fapi_pkcs11::token::module_path_from_env();
    let token = std::env::var("FAPI_PKCS11_TOKEN").ok();
    let pin = std::env::var("FAPI_PKCS11_PIN").ok();
    let ready = module.exists() && token.is_some() && pin.is_some();
    if !ready {
        let why = format!(
            "SoftHSM2 token not available (module {} exists: {}; FAPI_PKCS11_TOKEN/FAPI_PKCS11_PIN set: {}). \
             Run `. crates/fapi-pkcs11/tests/softhsm-setup.sh` first.",
            module.display(),
            module.exists(),
            token.is_some() && pin.is_some()
        );
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true and {why}");
        }
        eprintln!("\n*** SKIPPED: {why} ***\n");
        return None;
    }
    let one_at_a_time = TOKEN_IN_USE.lock().unwrap_or_else(PoisonError::into_inner);
    Some(Hsm {
        name: "SoftHSM2",
        module,
        token: token.unwrap_or_default(),
        reinit_token: std::env::var("FAPI_PKCS11_REINIT_TOKEN")
            .unwrap_or_else(|_| "fapi-reinit".into()),
        pin: pin.unwrap_or_default(),
        so_pin: std::env::var("FAPI_PKCS11_SO_PIN").unwrap_or_default(),
        _one_at_a_time: one_at_a_time,
    })
}

/// Taken by every TPM [`Hsm`]: tpm2-pkcs11 keeps one connection to the
/// TPM per token, and a software TPM holds three transient objects.
static TPM_IN_USE: Mutex<()> = Mutex::new(());

/// Whether `tpm-setup.sh` made a TPM token (its variables are set).
pub fn tpm_configured() -> bool {
    std::env::var_os("FAPI_TPM_PKCS11_MODULE").is_some()
}

/// The TPM token of `tpm-setup.sh` (swtpm and tpm2-pkcs11), or `None` (with
/// a loud message) when there is none. Under `CI=true` a missing token
/// fails the test instead.
pub fn tpm() -> Option<Hsm> {
    let module = std::env::var_os("FAPI_TPM_PKCS11_MODULE").map(PathBuf::from);
    let token = std::env::var("FAPI_TPM_TOKEN").ok();
    let pin = std::env::var("FAPI_TPM_PIN").ok();
    let (Some(module), Some(token), Some(pin)) = (module.filter(|m| m.exists()), token, pin) else {
        let why = "TPM token not available (FAPI_TPM_PKCS11_MODULE, FAPI_TPM_TOKEN or \
                   FAPI_TPM_PIN unset, or the module missing). \
                   Run `. crates/fapi-pkcs11/tests/tpm-setup.sh` first.";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true and {why}");
        }
        eprintln!("\n*** SKIPPED: {why} ***\n");
        return None;
    };
    let one_at_a_time = TPM_IN_USE.lock().unwrap_or_else(PoisonError::into_inner);
    Some(Hsm {
        name: "TPM",
        module,
        reinit_token: token.clone(),
        token,
        pin,
        so_pin: std::env::var("FAPI_TPM_SO_PIN").unwrap_or_default(),
        _one_at_a_time: one_at_a_time,
    })
}

impl Hsm {
    pub fn token(&self) -> Token {
        Token::open(&self.module, &self.token).expect("open the test token")
    }

    pub fn pool(&self) -> Arc<SessionPool> {
        self.pool_with(PoolConfig::default())
    }

    pub fn pool_with(&self, config: PoolConfig) -> Arc<SessionPool> {
        let pool = Arc::new(
            SessionPool::new(self.token(), Pin::new(&self.pin), config).expect("open the pool"),
        );
        self.unload_keys(&pool);
        pool
    }

    /// On the TPM: logs out and in again, which makes tpm2-pkcs11 flush
    /// every key it loaded. A software TPM reached without a resource
    /// manager holds three objects, and tpm2-pkcs11 keeps each key loaded
    /// from its first use until logout, so a test that uses more than two
    /// keys calls this in between. The pool sees nothing: login state is
    /// shared by all sessions. No-op on SoftHSM2.
    pub fn unload_keys(&self, pool: &SessionPool) {
        if self.name != "TPM" {
            return;
        }
        let lease = pool.lease().expect("a session");
        lease.session().logout().expect("C_Logout");
        pool.login(lease.session()).expect("C_Login");
    }
}

/// A label no other test uses.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{prefix}-{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Verifies with the RustCrypto crates directly (p256, ed25519-dalek, rsa).
pub fn verify_rustcrypto(key: &PublicKey, message: &[u8], sig: &[u8]) -> bool {
    match key {
        PublicKey::P256 { .. } => {
            use p256::ecdsa::signature::Verifier as _;
            let point = key.sec1_point().unwrap();
            let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(&point).unwrap();
            let Ok(sig) = p256::ecdsa::Signature::from_slice(sig) else {
                return false;
            };
            vk.verify(message, &sig).is_ok()
        }
        PublicKey::Ed25519 { x } => {
            let vk = ed25519_dalek::VerifyingKey::from_bytes(x).unwrap();
            let Ok(sig) = <[u8; 64]>::try_from(sig) else {
                return false;
            };
            vk.verify_strict(message, &ed25519_dalek::Signature::from_bytes(&sig))
                .is_ok()
        }
        PublicKey::Rsa(k) => {
            use rsa::signature::Verifier as _;
            let n = rsa::BoxedUint::from_be_slice_vartime(k.n());
            let e = rsa::BoxedUint::from_be_slice_vartime(k.e());
            let pk = rsa::PublicKey::new(n, e).unwrap();
            // PS256: salt length 32, exactly.
            let vk = rsa::pss::VerifyingKey::<sha2::Sha256>::new_with_salt_len(pk, 32);
            let Ok(sig) = rsa::pss::Signature::try_from(sig) else {
                return false;
            };
            vk.verify(message, &sig).is_ok()
        }
    }
}

/// Verifies with aws-lc-rs directly.
pub fn verify_awslc(key: &PublicKey, message: &[u8], sig: &[u8]) -> bool {
    use aws_lc_rs::signature;
    match key {
        PublicKey::P256 { .. } => {
            let point = key.sec1_point().unwrap();
            signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                .verify(message, sig)
                .is_ok()
        }
        PublicKey::Ed25519 { x } => signature::UnparsedPublicKey::new(&signature::ED25519, x)
            .verify(message, sig)
            .is_ok(),
        PublicKey::Rsa(k) => signature::RsaPublicKeyComponents { n: k.n(), e: k.e() }
            .verify(&signature::RSA_PSS_2048_8192_SHA256, message, sig)
            .is_ok(),
    }
}

/// Asserts that `sig` verifies under `key` with both independent stacks.
pub fn assert_verifies(key: &PublicKey, message: &[u8], sig: &[u8]) {
    assert!(
        verify_rustcrypto(key, message, sig),
        "RustCrypto refused an HSM signature"
    );
    assert!(
        verify_awslc(key, message, sig),
        "aws-lc-rs refused an HSM signature"
    );
}

/// A test-only [`fapi_core::Verifier`]: a signature is good only when both
/// RustCrypto and aws-lc-rs accept it.
pub struct BothVerifier(pub PublicKey);

impl fapi_core::Verifier for BothVerifier {
    fn alg(&self) -> Alg {
        self.0.alg()
    }
    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), fapi_core::Error> {
        if verify_rustcrypto(&self.0, message, signature)
            && verify_awslc(&self.0, message, signature)
        {
            Ok(())
        } else {
            Err(fapi_core::Error::BadSignature)
        }
    }
}

/// The swtpm of `tpm-setup.sh`: its pid file, ports and state directory,
/// for the tests that stop the TPM and start it again.
pub struct Swtpm {
    dir: PathBuf,
    port: String,
    ctrl: String,
    bin: String,
}

impl Swtpm {
    pub fn from_env() -> Option<Self> {
        Some(Self {
            dir: PathBuf::from(std::env::var_os("FAPI_TPM_DIR")?),
            port: std::env::var("FAPI_TPM_PORT").ok()?,
            ctrl: std::env::var("FAPI_TPM_CTRL_PORT").ok()?,
            bin: std::env::var("FAPI_TPM_SWTPM").ok()?,
        })
    }

    pub fn pid(&self) -> String {
        std::fs::read_to_string(self.dir.join("swtpm.pid"))
            .unwrap()
            .trim()
            .to_owned()
    }

    pub fn listening(&self) -> bool {
        std::net::TcpStream::connect(format!("127.0.0.1:{}", self.ctrl)).is_ok()
    }

    /// SIGTERM to the swtpm whose pid the setup recorded; waits until its
    /// ports are closed.
    pub fn stop(&self) {
        let status = Command::new("kill").arg(self.pid()).status().unwrap();
        assert!(status.success());
        let start = Instant::now();
        while self.listening() {
            assert!(start.elapsed() < Duration::from_secs(10), "swtpm still up");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The same command line as `fapi_tpm_start_swtpm` in `tpm-setup.sh`.
    pub fn start(&self) {
        let dir = self.dir.display();
        let status = Command::new(&self.bin)
            .args(["socket", "--tpm2"])
            .arg("--server")
            .arg(format!("type=tcp,port={},bindaddr=127.0.0.1", self.port))
            .arg("--ctrl")
            .arg(format!("type=tcp,port={},bindaddr=127.0.0.1", self.ctrl))
            .arg("--tpmstate")
            .arg(format!("dir={dir}/state"))
            .args(["--flags", "not-need-init,startup-clear"])
            .arg("--pid")
            .arg(format!("file={dir}/swtpm.pid"))
            .arg("--log")
            .arg(format!("file={dir}/swtpm.log"))
            .arg("--daemon")
            .status()
            .unwrap();
        assert!(status.success());
        let start = Instant::now();
        while !self.listening() {
            assert!(start.elapsed() < Duration::from_secs(10), "swtpm not up");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
