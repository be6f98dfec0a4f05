//! The device: two keys that never leave it, and the requests it serves.
//!
//! At provisioning the module draws an ES256 (P-256) key and an EdDSA
//! (Ed25519) key from its random source, and answers requests with
//! [`Device::handle`]: export a public JWK, issue an access token, sign a
//! DPoP proof. Signing goes through [`crate::policy`] first; the keys sign
//! only [`Approved`] requests, so a request the profile refuses is refused
//! here, with the profile's typed error.

use fapi_core::dpop::{self, ProofParams};
use fapi_core::{Alg, Error, PublicJwk, Random, Signer, token};
use fapi_rustcrypto::{Ed25519SigningKey, Es256SigningKey};

use crate::drbg::Drbg;
use crate::policy::{Approved, Policy, ProofGrant, TokenGrant};
use crate::provision::Provisioning;
use crate::request::Request;

/// Random bytes in a DPoP proof's `jti` (128 bits).
pub const PROOF_JTI_BYTES: usize = 16;

/// What an answer holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnswerKind {
    /// A public JWK (JSON).
    Jwk,
    /// A compact JWS access token.
    Token,
    /// A compact JWS DPoP proof.
    Proof,
}

impl AnswerKind {
    /// The response member that carries it.
    #[must_use]
    pub const fn member(self) -> &'static str {
        match self {
            Self::Jwk => "jwk",
            Self::Token => "token",
            Self::Proof => "proof",
        }
    }
}

/// A request served: `len` bytes of `kind` at the start of the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Answer {
    /// What was written.
    pub kind: AnswerKind,
    /// How many bytes.
    pub len: usize,
}

/// A provisioned signing module. Its keys zeroize on drop; its `Debug`
/// prints key ids only.
pub struct Device {
    es256: Es256SigningKey,
    eddsa: Ed25519SigningKey,
    rng: Drbg,
    policy: Policy,
}

impl Device {
    /// Provisions a module from a provisioning record (see
    /// [`crate::provision`]): the DRBG is seeded, then the ES256 key and the
    /// EdDSA key are drawn from it, in that order.
    pub fn provision(record: &[u8]) -> Result<Self, Error> {
        Self::from_provisioning(&Provisioning::parse(record)?)
    }

    /// Provisions a module from a parsed record.
    #[inline(never)]
    pub fn from_provisioning(p: &Provisioning) -> Result<Self, Error> {
        let rng = Drbg::from_seed(*p.seed);
        let es256 = Es256SigningKey::generate(&rng)?;
        let eddsa = Ed25519SigningKey::generate(&rng)?;
        Ok(Self {
            es256,
            eddsa,
            rng,
            policy: Policy::new(p),
        })
    }

    /// The device key for `alg`: [`Error::KeyNotFound`] for PS256 (RSA keys
    /// belong in an HSM with RSA hardware, not in this module). Private:
    /// outside this type a key is reached only through an [`Approved`]
    /// request, or for its public half ([`Device::public_jwk`]).
    fn key(&self, alg: Alg) -> Result<&dyn Signer, Error> {
        match alg {
            Alg::Es256 => Ok(&self.es256),
            Alg::EdDsa => Ok(&self.eddsa),
            Alg::Ps256 => Err(Error::KeyNotFound),
        }
    }

    /// Serves one request line, writing the answer into `out`.
    ///
    /// Every refusal is a typed [`Error`]: the request's own
    /// ([`Request::parse`]), the policy's ([`Policy`]), or the signing's
    /// ([`Error::BufferTooSmall`] when `out` cannot hold the answer).
    ///
    /// ```
    /// use fapi_core::Error;
    /// use fapi_firmware::Device;
    ///
    /// let d = Device::provision(br#"{"seed":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8","now":1900000000,"profiles":["cdr"]}"#).unwrap();
    /// let mut out = [0u8; 2048];
    /// // CDR-ALG: PS256 or ES256 only.
    /// let eddsa = br#"{"cmd":"issue","profile":"cdr","alg":"EdDSA","claims":{"iss":"i","sub":"s","aud":"a","client_id":"c","iat":1900000000,"exp":1900000300,"cnf":{"x5t#S256":"dO4C4-1vtdal_qqmnBEIPDMvwndfAUuComC-If3aYi4"}}}"#;
    /// assert_eq!(d.handle(eddsa, &mut out), Err(Error::AlgNotAllowed));
    /// let es256 = String::from_utf8(eddsa.to_vec()).unwrap().replace("EdDSA", "ES256");
    /// let token = d.handle(es256.as_bytes(), &mut out).unwrap();
    /// assert!(out[..token.len].starts_with(b"eyJ"));
    /// ```
    pub fn handle(&self, line: &[u8], out: &mut [u8]) -> Result<Answer, Error> {
        match Request::parse(line)? {
            Request::Jwk(alg) => Ok(Answer {
                kind: AnswerKind::Jwk,
                len: self.public_jwk(alg, out)?,
            }),
            Request::Issue(r) => {
                let grant = self.policy.approve_token(&r)?;
                Ok(Answer {
                    kind: AnswerKind::Token,
                    len: self.issue(&grant, out)?,
                })
            }
            Request::Proof(r) => {
                let grant = self.policy.approve_proof(&r)?;
                Ok(Answer {
                    kind: AnswerKind::Proof,
                    len: self.sign_proof(&grant, out)?,
                })
            }
        }
    }

    // Each request kind is its own function, never inlined into `handle`:
    // its buffers (4 KiB of claims in `token::issue`, a key and 4 KiB in
    // `dpop::sign_proof`) are then on the stack only while it runs, instead
    // of all of them in one frame for every request.

    /// Writes the public JWK of the `alg` key (with `kid`, `alg` and
    /// `use`) into `out`, returning its length.
    #[inline(never)]
    pub fn public_jwk(&self, alg: Alg, out: &mut [u8]) -> Result<usize, Error> {
        let key = self.key(alg)?;
        PublicJwk::new(key.public_key()?, Some(key.key_id())).write_json(out)
    }

    /// Signs an approved access token into `out`, returning its length.
    /// `token::issue` checks the profile once more (algorithm, lifetime,
    /// sender constraint) and draws the `jti`.
    #[inline(never)]
    pub fn issue(&self, grant: &Approved<TokenGrant<'_>>, out: &mut [u8]) -> Result<usize, Error> {
        let g = grant.get();
        token::issue(&g.profile, &g.params, self.key(g.alg)?, &self.rng, out)
    }

    /// Signs an approved DPoP proof into `out`, returning its length; the
    /// `jti` is 128 bits from the module's random source.
    #[inline(never)]
    pub fn sign_proof(
        &self,
        grant: &Approved<ProofGrant<'_>>,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let g = grant.get();
        let mut raw = [0u8; PROOF_JTI_BYTES];
        self.rng.fill(&mut raw)?;
        let mut jti = [0u8; fapi_core::b64::encoded_len(PROOF_JTI_BYTES)];
        let jti = fapi_core::b64::encode(&raw, &mut jti)?;
        let params = ProofParams {
            htm: g.htm,
            htu: g.htu,
            iat: g.iat,
            jti,
            access_token: g.access_token,
            nonce: g.nonce,
        };
        dpop::sign_proof(self.key(g.alg)?, &params, out)
    }
}

impl core::fmt::Debug for Device {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Device")
            .field("es256", &self.es256.key_id())
            .field("eddsa", &self.eddsa.key_id())
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fapi_core::jwk::PublicJwk;

    const REC: &[u8] = br#"{"seed":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8","now":1900000000,"profiles":["fapi2","cdr"],"max_lifetime":600}"#;

    #[test]
    fn exports_jwks_whose_kid_is_the_thumbprint() {
        let d = Device::provision(REC).unwrap();
        let mut out = [0u8; 512];
        for alg in [Alg::Es256, Alg::EdDsa] {
            let n = d.public_jwk(alg, &mut out).unwrap();
            let jwk = PublicJwk::from_json(&out[..n]).unwrap();
            assert_eq!(jwk.alg, Some(alg));
            assert_eq!(jwk.kid, Some(jwk.thumbprint().to_b64().as_str()));
        }
        assert_eq!(d.public_jwk(Alg::Ps256, &mut out), Err(Error::KeyNotFound));
        // Same seed, same keys; another seed, other keys.
        let again = Device::provision(REC).unwrap();
        assert_eq!(again.es256.key_id(), d.es256.key_id());
        let other = Device::provision(
            &REC.to_vec()
                .iter()
                .map(|b| if *b == b'A' { b'B' } else { *b })
                .collect::<Vec<u8>>(),
        )
        .unwrap();
        assert_ne!(other.es256.key_id(), d.es256.key_id());
        // Debug shows key ids, no key material.
        let dbg = format!("{d:?}");
        assert!(dbg.contains(d.eddsa.key_id()) && !dbg.contains("seed"));
    }

    #[test]
    fn handle_signs_and_refuses() {
        let d = Device::provision(REC).unwrap();
        let mut out = [0u8; 2048];
        let jkt = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        let line = format!(
            r#"{{"cmd":"issue","profile":"fapi2","alg":"EdDSA","claims":{{"iss":"https://as","sub":"alice","aud":"https://rs","client_id":"c","iat":1900000000,"exp":1900000300,"cnf":{{"jkt":"{jkt}"}}}}}}"#
        );
        let a = d.handle(line.as_bytes(), &mut out).unwrap();
        assert_eq!(a.kind, AnswerKind::Token);
        assert_eq!(out[..a.len].iter().filter(|b| **b == b'.').count(), 2);
        // The module's cap (600 s) under fapi2, which has none.
        let long = line.replace("1900000300", "1900003600");
        assert_eq!(
            d.handle(long.as_bytes(), &mut out),
            Err(Error::LifetimeTooLong)
        );
        // PS256 passes the policy under fapi2 but the module has no RSA key.
        let rsa = line.replace("EdDSA", "PS256");
        assert_eq!(d.handle(rsa.as_bytes(), &mut out), Err(Error::KeyNotFound));
        // An output buffer too small for the token.
        assert_eq!(
            d.handle(line.as_bytes(), &mut out[..100]),
            Err(Error::BufferTooSmall)
        );
        let p = d
            .handle(
                br#"{"cmd":"dpop","profile":"fapi2","alg":"ES256","htm":"GET","htu":"https://rs/accounts"}"#,
                &mut out,
            )
            .unwrap();
        assert_eq!(p.kind, AnswerKind::Proof);
        assert_eq!(d.handle(b"not json", &mut out), Err(Error::Json));
    }
}
