//! The signing module on a Cortex-M4, end to end: builds `firmware/`
//! (release), boots it under QEMU (`mps2-an386`, semihosting) with a script
//! of requests, and checks every answer on the host with fapi-core and
//! fapi-awslc: issued tokens and signed proofs verify with the JWKs the
//! module exported, and every request that breaks a rule the module
//! enforces is refused with that rule's `fapi_core::Error` code.
//!
//! Needs `qemu-system-arm` and the `thumbv7em-none-eabihf` target
//! (`.ci/firmware` installs both). Where either is missing the test says so
//! and passes; under `CI=true` it fails.
//!
//! The run also checks the RAM budget (static RAM plus the peak stack,
//! measured by stack painting, at most 16 KiB) and prints the measurements
//! `firmware/README.md` reports.

use core::time::Duration;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::{Value, json};

use fapi_awslc::{AWSLC, Ed25519SigningKey};
use fapi_core::crypto::KeyVerifier;
use fapi_core::dpop::{self, DpopConfig, DpopRequest, NonceIssuer, NonceKey, ProofParams};
use fapi_core::mtls::CertThumbprint;
use fapi_core::profile::Profile;
use fapi_core::store::FixedReplayCache;
use fapi_core::token::{self, Expectations, Presented};
use fapi_core::{Alg, Error, FixedClock, PublicJwk, PublicKey, Signer};

/// The module's clock at provisioning.
/// The resource request that the host's DPoP-bound tokens come with.
const RS_REQUEST: DpopRequest<'static> = DpopRequest {
    method: "GET",
    uri: "https://api.bank.example/accounts",
    nonce_binding: None,
};

const NOW: u64 = 1_900_000_000;
/// The module's own lifetime cap.
const DEVICE_CAP: u64 = 900;
const SEED: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
const ISSUER: &str = "https://as.bank.example";
const AUDIENCE: &str = "https://api.bank.example";
/// The RAM the module may use, stack included.
const RAM_LIMIT: u64 = 16 * 1024;
/// MPS2 core clock (SysTick's source) under QEMU: 25 MHz; with
/// `-icount shift=0` one instruction is 1 ns, so one tick is 40.
const INSTRUCTIONS_PER_TICK: u64 = 40;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn client_cert() -> Vec<u8> {
    std::fs::read(root().join("crates/fapi-core/testdata/client-cert.der")).unwrap()
}

/// `cnf.x5t#S256` of the test client certificate, computed independently
/// (`openssl x509 -outform DER | sha256sum`, base64url).
fn client_x5t() -> String {
    let x5t = std::fs::read_to_string(root().join("crates/fapi-core/testdata/client-cert.x5t"));
    x5t.unwrap().trim().to_owned()
}

/// Whether QEMU and the target are here; `Err` says what is missing.
fn prerequisites() -> Result<(), String> {
    let qemu = Command::new("qemu-system-arm").arg("--version").output();
    if !qemu.is_ok_and(|o| o.status.success()) {
        return Err("qemu-system-arm not found".into());
    }
    let targets = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|e| format!("rustup: {e}"))?;
    if !String::from_utf8_lossy(&targets.stdout).contains("thumbv7em-none-eabihf") {
        return Err("rustup target thumbv7em-none-eabihf not installed".into());
    }
    Ok(())
}

/// Builds the firmware (release) in its own build and returns the image.
fn build_firmware() -> PathBuf {
    let dir = root().join("firmware");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "--locked"])
        .current_dir(&dir)
        // The outer build's settings are not the firmware's.
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .status()
        .expect("cargo runs");
    assert!(status.success(), "the firmware build failed");
    dir.join("target/thumbv7em-none-eabihf/release/fapi-firmware")
}

/// Boots the image under QEMU with `script`, returning QEMU's exit code and
/// the response lines.
fn run_firmware(image: &Path, script: &[u8]) -> (i32, Vec<String>) {
    let dir = std::env::temp_dir().join(format!("fapi-firmware-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("fapi-requests.jsonl"), script).unwrap();
    let _ = std::fs::remove_file(dir.join("fapi-responses.jsonl"));
    let mut qemu = Command::new("qemu-system-arm")
        .args(["-machine", "mps2-an386", "-cpu", "cortex-m4", "-nographic"])
        .args(["-semihosting-config", "enable=on,target=native"])
        .args(["-icount", "shift=0", "-kernel"])
        .arg(image)
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("qemu-system-arm starts");
    let deadline = Instant::now() + Duration::from_secs(300);
    let status = loop {
        if let Some(s) = qemu.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = qemu.kill();
            panic!("the firmware did not finish within 300 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = std::fs::read_to_string(dir.join("fapi-responses.jsonl")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    (
        status.code().unwrap_or(-1),
        out.lines().map(str::to_owned).collect(),
    )
}

/// What a request must give.
enum Expect {
    /// A refusal with this error.
    Refused(Error),
    /// The public JWK of the module's key for this algorithm.
    Jwk(Alg),
    /// An access token under the profile, bound as the binding says.
    Token {
        profile: Profile,
        alg: Alg,
        binding: Binding,
        lifetime: u64,
        consent: Option<&'static str>,
    },
    /// A DPoP proof for this request.
    Proof {
        profile: Profile,
        alg: Alg,
        method: &'static str,
        uri: &'static str,
        access_token: Option<&'static str>,
        nonce: bool,
    },
}

/// What an issued token is bound to.
#[derive(Clone, Copy)]
enum Binding {
    /// The test client certificate.
    Certificate,
    /// The host's DPoP key.
    Dpop,
}

struct Script {
    lines: Vec<Vec<u8>>,
    expect: Vec<Expect>,
}

impl Script {
    fn push(&mut self, request: Value, expect: Expect) {
        self.lines.push(serde_json::to_vec(&request).unwrap());
        self.expect.push(expect);
    }

    fn push_raw(&mut self, line: &[u8], expect: Expect) {
        self.lines.push(line.to_vec());
        self.expect.push(expect);
    }
}

fn claims(lifetime: u64, cnf: Value) -> Value {
    json!({
        "iss": ISSUER, "sub": "alice", "aud": AUDIENCE, "client_id": "fintech-1",
        "scope": "accounts payments", "iat": NOW, "exp": NOW + lifetime, "cnf": cnf,
    })
}

fn issue(profile: &str, alg: &str, claims: Value) -> Value {
    json!({"cmd": "issue", "profile": profile, "alg": alg, "claims": claims})
}

fn without(mut v: Value, member: &str) -> Value {
    let _ = v.as_object_mut().unwrap().remove(member);
    v
}

fn with(mut v: Value, member: &str, value: Value) -> Value {
    let _ = v.as_object_mut().unwrap().insert(member.to_owned(), value);
    v
}

/// The request script: every kind of request that succeeds, and a request
/// breaking each rule the module enforces, plus malformed commands.
fn script(x5t: &str, jkt: &str, nonce: &str) -> Script {
    let mut s = Script {
        lines: Vec::new(),
        expect: Vec::new(),
    };
    let mtls = json!({"x5t#S256": x5t});
    let dpop_cnf = json!({"jkt": jkt});
    use Expect::*;

    // --- exports ---------------------------------------------------------
    s.push(json!({"cmd": "jwk", "alg": "ES256"}), Jwk(Alg::Es256));
    s.push(json!({"cmd": "jwk", "alg": "EdDSA"}), Jwk(Alg::EdDsa));
    // No RSA key in the module.
    s.push(
        json!({"cmd": "jwk", "alg": "PS256"}),
        Refused(Error::KeyNotFound),
    );

    // --- tokens the profiles allow ---------------------------------------
    let token = |profile, alg, binding, lifetime, consent| Token {
        profile,
        alg,
        binding,
        lifetime,
        consent,
    };
    s.push(
        issue("fapi2-plus", "ES256", claims(300, dpop_cnf.clone())),
        token(Profile::FAPI2_PLUS, Alg::Es256, Binding::Dpop, 300, None),
    );
    s.push(
        issue("fapi2-plus", "EdDSA", claims(600, mtls.clone())),
        token(
            Profile::FAPI2_PLUS,
            Alg::EdDsa,
            Binding::Certificate,
            600,
            None,
        ),
    );
    s.push(
        issue("fapi2", "EdDSA", claims(DEVICE_CAP, dpop_cnf.clone())),
        token(Profile::FAPI2, Alg::EdDsa, Binding::Dpop, DEVICE_CAP, None),
    );
    s.push(
        issue(
            "cdr",
            "ES256",
            with(
                claims(120, mtls.clone()),
                "cdr_arrangement_id",
                json!("arr-7"),
            ),
        ),
        token(
            Profile::CDR,
            Alg::Es256,
            Binding::Certificate,
            120,
            Some("arr-7"),
        ),
    );

    // --- lifetime caps (CDR-AT-TTL; the module's own cap) -----------------
    s.push(
        issue("fapi2-plus", "ES256", claims(86_400, dpop_cnf.clone())),
        Refused(Error::LifetimeTooLong),
    );
    s.push(
        issue("cdr", "ES256", claims(601, mtls.clone())),
        Refused(Error::LifetimeTooLong),
    );
    s.push(
        issue("cdr", "ES256", claims(119, mtls.clone())),
        Refused(Error::LifetimeTooShort),
    );
    s.push(
        issue("fapi2", "EdDSA", claims(DEVICE_CAP + 1, dpop_cnf.clone())),
        Refused(Error::LifetimeTooLong),
    );
    s.push(
        issue("fapi2", "EdDSA", claims(0, dpop_cnf.clone())),
        Refused(Error::LifetimeTooShort),
    );

    // --- sender constraint (F2-SENDER, CDR-HOK, OB-SENDER) ------------------
    s.push(
        issue("fapi2", "ES256", without(claims(300, json!(null)), "cnf")),
        Refused(Error::SenderConstraintMissing),
    );
    s.push(
        issue("cdr", "ES256", claims(300, dpop_cnf.clone())),
        Refused(Error::SenderConstraintMissing),
    );
    s.push(
        issue("obie", "PS256", claims(300, dpop_cnf.clone())),
        Refused(Error::SenderConstraintMissing),
    );
    // OB-ALG allows PS256, whose key this module does not hold.
    s.push(
        issue("obie", "PS256", claims(300, mtls.clone())),
        Refused(Error::KeyNotFound),
    );

    // --- algorithms (F2-ALG, CDR-ALG, OB-ALG) ----------------------------
    s.push(
        issue("cdr", "EdDSA", claims(300, mtls.clone())),
        Refused(Error::AlgNotAllowed),
    );
    s.push(
        issue("obie", "ES256", claims(300, mtls.clone())),
        Refused(Error::AlgNotAllowed),
    );
    for alg in ["HS256", "none", "RS256", "es256"] {
        s.push(
            issue("fapi2", alg, claims(300, mtls.clone())),
            Refused(Error::UnsupportedAlg),
        );
    }

    // --- required claims (RFC 9068 §2.2), the clock, the consent claim ----
    for member in ["iss", "sub", "aud", "client_id", "iat", "exp"] {
        s.push(
            issue("fapi2", "ES256", without(claims(300, mtls.clone()), member)),
            Refused(Error::MissingClaim),
        );
    }
    s.push(
        issue(
            "fapi2",
            "ES256",
            with(claims(300, mtls.clone()), "sub", json!("")),
        ),
        Refused(Error::MissingClaim),
    );
    let at = |iat: u64| {
        with(
            with(claims(300, mtls.clone()), "iat", json!(iat)),
            "exp",
            json!(iat + 300),
        )
    };
    s.push(
        issue("fapi2", "ES256", at(NOW + 11)),
        Refused(Error::IssuedInFuture),
    );
    s.push(
        issue("fapi2", "ES256", at(NOW - 11)),
        Refused(Error::TooOld),
    );
    s.push(
        issue(
            "cdr",
            "ES256",
            with(
                claims(300, mtls.clone()),
                "openbanking_intent_id",
                json!("i"),
            ),
        ),
        Refused(Error::InvalidParameter),
    );
    // The module draws `jti` itself: a claim it does not know is refused.
    s.push(
        issue(
            "fapi2",
            "ES256",
            with(claims(300, mtls.clone()), "jti", json!("x")),
        ),
        Refused(Error::Json),
    );
    s.push(
        issue(
            "fapi2",
            "ES256",
            with(claims(300, mtls.clone()), "admin", json!(true)),
        ),
        Refused(Error::Json),
    );
    s.push(
        issue("fapi2", "ES256", claims(300, json!({"jkt": "AAAA"}))),
        Refused(Error::InvalidParameter),
    );
    s.push(
        issue(
            "fapi2",
            "ES256",
            claims(300, json!({"jkt": jkt, "x5t#S256": x5t})),
        ),
        Refused(Error::InvalidParameter),
    );

    // --- profiles the module was not provisioned with ---------------------
    s.push(
        issue("ofb", "ES256", claims(300, mtls.clone())),
        Refused(Error::ProfileViolation),
    );
    s.push(
        issue("fapi3", "ES256", claims(300, mtls.clone())),
        Refused(Error::ProfileViolation),
    );

    // --- DPoP proofs --------------------------------------------------------
    let proof = |profile: &str, alg: &str, htm: &str, htu: &str| json!({"cmd": "dpop", "profile": profile, "alg": alg, "htm": htm, "htu": htu});
    s.push(
        proof("fapi2", "EdDSA", "POST", "https://as.bank.example/token"),
        Proof {
            profile: Profile::FAPI2,
            alg: Alg::EdDsa,
            method: "POST",
            uri: "https://as.bank.example/token",
            access_token: None,
            nonce: false,
        },
    );
    s.push(
        with(
            with(
                proof(
                    "fapi2-plus",
                    "ES256",
                    "GET",
                    "https://api.bank.example/accounts",
                ),
                "access_token",
                json!("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            ),
            "nonce",
            json!(nonce),
        ),
        Proof {
            profile: Profile::FAPI2_PLUS,
            alg: Alg::Es256,
            method: "GET",
            uri: "https://api.bank.example/accounts",
            access_token: Some("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            nonce: true,
        },
    );
    // CDR-HOK: MTLS only, so no proofs under cdr.
    s.push(
        proof("cdr", "ES256", "POST", "https://as.bank.example/token"),
        Refused(Error::ProfileViolation),
    );
    s.push(
        proof("fapi2", "HS256", "POST", "https://as.bank.example/token"),
        Refused(Error::UnsupportedAlg),
    );
    s.push(
        proof("fapi2", "EdDSA", "POST", "http://as.bank.example/token"),
        Refused(Error::DpopUri),
    );
    s.push(
        proof(
            "fapi2",
            "EdDSA",
            "POST",
            "https://as.bank.example/token?x=1",
        ),
        Refused(Error::DpopUri),
    );
    s.push(
        proof("fapi2", "EdDSA", "P OST", "https://as.bank.example/token"),
        Refused(Error::DpopMethod),
    );
    s.push(
        with(
            proof("fapi2", "EdDSA", "POST", "https://as.bank.example/token"),
            "nonce",
            json!("not a nonce"),
        ),
        Refused(Error::DpopNonceInvalid),
    );
    s.push(
        with(
            proof("fapi2", "EdDSA", "POST", "https://as.bank.example/token"),
            "access_token",
            json!("two words"),
        ),
        Refused(Error::InvalidParameter),
    );

    // --- malformed commands: typed errors, never a fault --------------------
    s.push_raw(b"not json", Refused(Error::Json));
    s.push_raw(br#"{"cmd":"#, Refused(Error::Json));
    s.push_raw(b"[1,2,3]", Refused(Error::Json));
    s.push_raw(&[0xff, 0xfe, b'{', 0x00, b'}'], Refused(Error::Json));
    s.push_raw(
        br#"{"cmd":"jwk","cmd":"issue","alg":"ES256"}"#,
        Refused(Error::DuplicateMember),
    );
    s.push_raw(
        format!(r#"{{"cmd":{}}}"#, "[".repeat(40)).as_bytes(),
        Refused(Error::TooLarge),
    );
    s.push(
        json!({"cmd": "export-private-key", "alg": "ES256"}),
        Refused(Error::InvalidParameter),
    );
    s.push(json!({"alg": "ES256"}), Refused(Error::InvalidParameter));
    s.push(json!({"cmd": "jwk"}), Refused(Error::InvalidParameter));
    s.push_raw(
        format!(
            r#"{{"cmd":"jwk","alg":"ES256","pad":"{}"}}"#,
            "x".repeat(4000)
        )
        .as_bytes(),
        Refused(Error::TooLarge),
    );
    s
}

/// Checks one answer against what its request expects.
struct Verifier<'a> {
    jwks: &'a mut Vec<(Alg, PublicKey)>,
    host_key: &'a Ed25519SigningKey,
    nonces: &'a NonceIssuer,
    cert: &'a [u8],
}

impl Verifier<'_> {
    fn device_key(&self, alg: Alg) -> PublicKey {
        let found = self.jwks.iter().find(|(a, _)| *a == alg);
        found.expect("the JWK was exported first").1.clone()
    }

    fn check(&mut self, i: usize, answer: &Value, expect: &Expect) {
        match expect {
            Expect::Refused(want) => {
                assert_eq!(answer["ok"], false, "line {i}: {answer}");
                let code = u16::try_from(answer["code"].as_u64().unwrap()).unwrap();
                assert_eq!(Error::from_code(code), Some(*want), "line {i}: {answer}");
            }
            Expect::Jwk(alg) => {
                assert_eq!(answer["ok"], true, "line {i}: {answer}");
                let text = serde_json::to_vec(&answer["jwk"]).unwrap();
                let jwk = PublicJwk::from_json(&text).unwrap();
                assert_eq!(jwk.alg, Some(*alg));
                // The key id is the RFC 7638 thumbprint of the key.
                assert_eq!(jwk.kid, Some(jwk.thumbprint().to_b64().as_str()));
                self.jwks.push((*alg, jwk.key));
            }
            Expect::Token {
                profile,
                alg,
                binding,
                lifetime,
                consent,
            } => {
                assert_eq!(answer["ok"], true, "line {i}: {answer}");
                let t = answer["token"].as_str().unwrap();
                let key = KeyVerifier::new(&AWSLC, self.device_key(*alg));
                let expect = Expectations::new(ISSUER, AUDIENCE);
                // The proof of the host's DPoP key, for a DPoP-bound token.
                let proof = self.host_proof(t);
                let presented = match binding {
                    Binding::Certificate => Presented::certificate(self.cert),
                    Binding::Dpop => Presented::dpop(&proof, &RS_REQUEST),
                };
                let mut buf = [0u8; 8192];
                let clock = FixedClock(NOW);
                let c = token::verify(
                    t.as_bytes(),
                    profile,
                    &expect,
                    &key,
                    &clock,
                    &presented,
                    &mut buf,
                )
                .unwrap_or_else(|e| panic!("line {i}: {e:?}"));
                assert_eq!((c.subject, c.client_id), ("alice", "fintech-1"));
                assert!(c.has_scope("payments"));
                assert_eq!((c.iat, c.exp), (NOW, NOW + lifetime));
                assert_eq!(c.consent_id, *consent);
                assert_eq!(c.jti.len(), token::JTI_LEN);
                // Without what it is bound to, the token is refused.
                let none = token::verify(
                    t.as_bytes(),
                    profile,
                    &expect,
                    &key,
                    &clock,
                    &Presented::default(),
                    &mut buf,
                );
                assert!(
                    matches!(none, Err(Error::DpopMissing | Error::CertificateMismatch)),
                    "{none:?}"
                );
                // And it does not verify with the module's other key.
                let other = if *alg == Alg::Es256 {
                    Alg::EdDsa
                } else {
                    Alg::Es256
                };
                let wrong = KeyVerifier::new(&AWSLC, self.device_key(other));
                assert!(
                    token::verify(
                        t.as_bytes(),
                        &Profile::FAPI2,
                        &expect,
                        &wrong,
                        &clock,
                        &presented,
                        &mut buf
                    )
                    .is_err()
                );
            }
            Expect::Proof {
                profile,
                alg,
                method,
                uri,
                access_token,
                nonce,
            } => {
                assert_eq!(answer["ok"], true, "line {i}: {answer}");
                let p = answer["proof"].as_str().unwrap();
                let request = DpopRequest {
                    method,
                    uri,
                    nonce_binding: None,
                };
                let config = DpopConfig::new(profile);
                let config = if *nonce {
                    config.with_nonces(self.nonces)
                } else {
                    config
                };
                let replay = FixedReplayCache::<8>::new();
                let verify = || match access_token {
                    Some(t) => dpop::verify_resource_proof(
                        p.as_bytes(),
                        &request,
                        t,
                        &config,
                        &AWSLC,
                        &FixedClock(NOW),
                        &replay,
                    )
                    .map(|r| r.proof().clone()),
                    None => dpop::verify_proof(
                        p.as_bytes(),
                        &request,
                        &config,
                        &AWSLC,
                        &FixedClock(NOW),
                        &replay,
                    ),
                };
                let v = verify().unwrap_or_else(|e| panic!("line {i}: {e:?}"));
                // Signed by the module's key, at the module's clock.
                assert_eq!(v.key, self.device_key(*alg));
                assert_eq!(v.jkt, self.device_key(*alg).thumbprint());
                assert_eq!(v.iat, NOW);
                // Its `jti` is used once.
                let again = verify();
                assert_eq!(again.err(), Some(Error::Replay));
            }
        }
    }

    /// A DPoP proof by the host's key for a resource request with `token`.
    fn host_proof(&self, token: &str) -> dpop::ResourceProof {
        let params = ProofParams {
            htm: "GET",
            htu: "https://api.bank.example/accounts",
            iat: NOW,
            jti: "host-proof-1",
            access_token: Some(token),
            nonce: None,
        };
        let mut out = [0u8; 2048];
        let n = dpop::sign_proof(self.host_key, &params, &mut out).unwrap();
        let config = DpopConfig::new(&Profile::FAPI2);
        let replay = FixedReplayCache::<4>::new();
        dpop::verify_resource_proof(
            &out[..n],
            &RS_REQUEST,
            token,
            &config,
            &AWSLC,
            &FixedClock(NOW),
            &replay,
        )
        .unwrap()
    }
}

/// F2-SENDER, F2-ALG, CDR-AT-TTL, CDR-ALG, CDR-HOK, OB-ALG, OB-SENDER,
/// OB-INTENT at the key: the module on a Cortex-M4 under QEMU signs what the
/// profiles allow, refuses what they refuse, and every answer checks out on
/// the host with fapi-core and fapi-awslc.
#[test]
fn firmware_enforces_the_profile_at_the_key() {
    if let Err(missing) = prerequisites() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "firmware test: {missing}, and CI=true"
        );
        eprintln!("firmware test SKIPPED: {missing} (bash .ci/firmware installs it)");
        return;
    }
    let image = build_firmware();
    let host_key = Ed25519SigningKey::from_bytes(&[42u8; 32]).unwrap();
    let jkt = host_key.public_key().unwrap().thumbprint().to_b64();
    let nonces = NonceIssuer::new(NonceKey::new([7u8; 32]), dpop::DEFAULT_NONCE_BUCKET).unwrap();
    let nonce = nonces.issue(NOW, None).unwrap();
    let x5t = client_x5t();
    assert!(CertThumbprint::of_der(&client_cert()).matches_b64(&x5t));
    let s = script(&x5t, jkt.as_str(), nonce.as_str());

    let record = json!({
        "seed": SEED, "now": NOW, "profiles": ["fapi2", "fapi2-plus", "cdr", "obie"],
        "max_lifetime": DEVICE_CAP,
    });
    let mut text = serde_json::to_vec(&record).unwrap();
    for line in &s.lines {
        text.push(b'\n');
        text.extend_from_slice(line);
    }
    text.push(b'\n');
    let (code, out) = run_firmware(&image, &text);
    assert_eq!(code, 0, "firmware exit code; responses: {out:#?}");
    // One answer per line, then the totals.
    assert_eq!(out.len(), s.lines.len() + 2, "{out:#?}");
    let answers: Vec<Value> = out
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(answers[0]["provisioned"], true, "{}", out[0]);

    let mut jwks = Vec::new();
    let cert = client_cert();
    let mut v = Verifier {
        jwks: &mut jwks,
        host_key: &host_key,
        nonces: &nonces,
        cert: &cert,
    };
    for (i, expect) in s.expect.iter().enumerate() {
        v.check(i + 2, &answers[i + 1], expect);
    }

    // Measurements: every answer carries its ticks and stack depth.
    let stats = &answers[s.lines.len() + 1]["stats"];
    let n = |k: &str| stats[k].as_u64().unwrap_or_else(|| panic!("stats.{k}"));
    assert_eq!(n("requests"), s.lines.len() as u64);
    let (peak, size, statics) = (n("stack_peak"), n("stack_size"), n("static_ram"));
    assert!(peak < size, "the stack reached its end: {stats}");
    assert!(
        statics + peak <= RAM_LIMIT,
        "RAM over 16 KiB: {statics} static + {peak} stack"
    );
    let ticks = |i: usize| answers[i + 1]["ticks"].as_u64().unwrap();
    let insns = |i: usize| ticks(i) * INSTRUCTIONS_PER_TICK;
    let of = |want: &dyn Fn(&Expect) -> bool| s.expect.iter().position(want).unwrap();
    eprintln!("firmware: static RAM {statics} B, peak stack {peak} B of {size} B");
    eprintln!(
        "firmware: provisioning (two keys): {} instructions",
        answers[0]["ticks"].as_u64().unwrap() * INSTRUCTIONS_PER_TICK
    );
    for (what, i) in [
        (
            "ES256 access token",
            of(&|e| {
                matches!(
                    e,
                    Expect::Token {
                        alg: Alg::Es256,
                        ..
                    }
                )
            }),
        ),
        (
            "EdDSA access token",
            of(&|e| {
                matches!(
                    e,
                    Expect::Token {
                        alg: Alg::EdDsa,
                        ..
                    }
                )
            }),
        ),
        (
            "ES256 DPoP proof",
            of(&|e| {
                matches!(
                    e,
                    Expect::Proof {
                        alg: Alg::Es256,
                        ..
                    }
                )
            }),
        ),
        (
            "EdDSA DPoP proof",
            of(&|e| {
                matches!(
                    e,
                    Expect::Proof {
                        alg: Alg::EdDsa,
                        ..
                    }
                )
            }),
        ),
    ] {
        let n = insns(i);
        eprintln!(
            "firmware: {what}: {n} instructions (QEMU -icount shift=0), {:.1}/s at 100 MHz, stack {} B",
            100e6 / n as f64,
            answers[i + 1]["stack"]
        );
    }
}
