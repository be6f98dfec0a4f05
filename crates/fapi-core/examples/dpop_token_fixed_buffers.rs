//! `fapi-core` without allocation: an authorization server issues a
//! DPoP-bound access token (RFC 9068, F2-SENDER), a client signs a DPoP
//! proof (RFC 9449) for `GET /accounts`, and the resource server checks the
//! proof and the token. Every step writes into a fixed-size buffer on the
//! stack and the `jti`s go to a fixed-capacity replay cache: the same calls
//! run on firmware, where the core is `no_std` with no allocator. Only
//! `main` and `println!` here use `std`.
//!
//! Keys are P-256 keys of the RustCrypto `p256` crate behind the core's
//! `Signer` and `PublicKeyVerifier` traits (an HSM or aws-lc key plugs in
//! the same way); randomness is the operating system's (firmware: its TRNG).
//!
//! `cargo run -p fapi-core --example dpop_token_fixed_buffers`; `cargo test`
//! runs it too.

use fapi_core::crypto::KeyVerifier;
use fapi_core::dpop::{self, DpopConfig, DpopRequest, ProofParams};
use fapi_core::profile::Profile;
use fapi_core::store::FixedReplayCache;
use fapi_core::token::{self, AccessTokenParams, Confirmation, Expectations, Presented};
use fapi_core::{Alg, Error, FixedClock, PublicKey, PublicKeyVerifier, Random, Signer, Site};
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};

const ISSUER: &str = "https://as.bank.example";
const API: &str = "https://api.bank.example";
const ACCOUNTS: DpopRequest<'static> = DpopRequest {
    method: "GET",
    uri: "https://api.bank.example/accounts",
    nonce_binding: None,
};
/// The time a device's clock reads (seconds since the epoch).
const NOW: u64 = 1_765_000_000;

/// An ES256 key behind the core's `Signer` trait.
struct Es256(SigningKey);

impl Signer for Es256 {
    fn alg(&self) -> Alg {
        Alg::Es256
    }
    fn key_id(&self) -> &str {
        "es256-1"
    }
    fn sign(&self, message: &[u8], out: &mut [u8]) -> Result<usize, Error> {
        let sig: Signature = self.0.try_sign(message).map_err(|_| Error::SigningFailed)?;
        let bytes = sig.to_bytes();
        let out = out.get_mut(..bytes.len()).ok_or(Error::BufferTooSmall)?;
        out.copy_from_slice(&bytes);
        Ok(bytes.len())
    }
    fn public_key(&self) -> Result<PublicKey, Error> {
        PublicKey::p256_from_sec1(self.0.verifying_key().to_sec1_point(false).as_bytes())
    }
}

/// ES256 verification with `p256`; the key's algorithm must be the header's.
struct P256;

impl PublicKeyVerifier for P256 {
    fn verify_with(&self, key: &PublicKey, alg: Alg, msg: &[u8], sig: &[u8]) -> Result<(), Error> {
        key.check_alg(alg)?;
        let vk = VerifyingKey::from_sec1_bytes(&key.sec1_point()?)
            .map_err(|_| Error::UnsupportedKeyType)?;
        let sig = Signature::from_slice(sig).map_err(|_| Error::BadSignature)?;
        vk.verify(msg, &sig).map_err(|_| Error::BadSignature)
    }
}

/// The operating system's random source.
struct OsRandom;

impl Random for OsRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), Error> {
        getrandom::fill(dest).map_err(|_| Error::RandomFailed)
    }
}

fn generate() -> Result<Es256, Error> {
    let mut secret = zeroize::Zeroizing::new([0u8; 32]);
    OsRandom.fill(secret.as_mut())?;
    SigningKey::from_slice(secret.as_ref())
        .map(Es256)
        .map_err(|_| Error::InvalidKey)
}

/// The resource server: the proof (`htm`, `htu`, `ath`, its `jti` once),
/// then the token, bound to the proof's key, with the `accounts` scope.
/// A refusal comes with the site that decides its OAuth error.
fn check(
    as_key: &PublicKey,
    jtis: &FixedReplayCache<64>,
    token: &str,
    proof: &[u8],
) -> Result<(), (Error, Site)> {
    let profile = Profile::FAPI2;
    let config = DpopConfig::new(&profile);
    let proof = dpop::verify_resource_proof(
        proof,
        &ACCOUNTS,
        token,
        &config,
        &P256,
        &FixedClock(NOW),
        jtis,
    )
    .map_err(|e| (e, Site::DpopProof))?;
    let verifier = KeyVerifier::new(&P256, as_key.clone());
    let mut buf = [0u8; token::MAX_TOKEN_LEN];
    let expect = Expectations::new(ISSUER, API);
    let presented = Presented::dpop(&proof, &ACCOUNTS);
    let claims = token::verify(
        token.as_bytes(),
        &profile,
        &expect,
        &verifier,
        &FixedClock(NOW),
        &presented,
        &mut buf,
    )
    .map_err(|e| (e, Site::ResourceRequest))?;
    if !claims.has_scope("accounts") {
        return Err((Error::InsufficientScope, Site::ResourceRequest));
    }
    println!(
        "accepted: {} for {}, scope {:?}",
        claims.subject, claims.client_id, claims.scope
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn core::error::Error>> {
    let (as_signer, dpop_key) = (generate()?, generate()?);
    let jtis = FixedReplayCache::<64>::new(); // no heap: usable in a `static`

    // The authorization server: a token bound to the client's DPoP key.
    let params = AccessTokenParams {
        issuer: ISSUER,
        subject: "alice",
        audience: API,
        client_id: "fintech-1",
        scope: Some("accounts"),
        issued_at: NOW,
        lifetime: 300,
        confirmation: Some(Confirmation::Jkt(dpop_key.public_key()?.thumbprint())),
        consent_id: None,
    };
    let mut token_buf = [0u8; 2048];
    let n = token::issue(
        &Profile::FAPI2,
        &params,
        &as_signer,
        &OsRandom,
        &mut token_buf,
    )?;
    let token = core::str::from_utf8(token_buf.get(..n).ok_or(Error::BufferTooSmall)?)?;

    // The client: a proof for this request, with `ath` of this token.
    let p = ProofParams {
        htm: "GET",
        htu: ACCOUNTS.uri,
        iat: NOW,
        jti: "proof-1",
        access_token: Some(token),
        nonce: None,
    };
    let mut proof_buf = [0u8; 1024];
    let n = dpop::sign_proof(&dpop_key, &p, &mut proof_buf)?;
    let proof = proof_buf.get(..n).ok_or(Error::BufferTooSmall)?;

    let as_key = as_signer.public_key()?;
    check(&as_key, &jtis, token, proof).map_err(|(e, _)| e)?;
    // The same proof again (F2-SENDER): the replay cache refuses it.
    match check(&as_key, &jtis, token, proof) {
        Err((Error::Replay, site)) => {
            println!(
                "replayed proof: refused, {}, {}",
                Error::Replay,
                Error::Replay.oauth_error(site).as_str()
            );
            Ok(())
        }
        other => Err(format!("replayed proof: expected {}, got {other:?}", Error::Replay).into()),
    }
}

#[cfg(test)]
mod tests {
    /// F2-SENDER: the token is accepted with its own proof, and the proof
    /// is refused the second time.
    #[test]
    fn example_runs() {
        if let Err(e) = super::main() {
            panic!("{e}");
        }
    }
}
