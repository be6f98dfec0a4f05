//! Signatures and tokens made in SoftHSM2, verified through fapi's own
//! software backends (`fapi-rustcrypto`, `fapi-awslc`) and through the
//! core's access-token verification: an HSM key plugs into every path a
//! software key does.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use fapi_awslc::AWSLC;
use fapi_core::crypto::{KeyVerifier, MAX_SIGNATURE_LEN};
use fapi_core::mtls::CertThumbprint;
use fapi_core::profile::Profile;
use fapi_core::token::{self, AccessTokenParams, Confirmation, Expectations, Presented};
use fapi_core::{Alg, Error, FixedClock, PublicKeyVerifier, Random, Signer};
use fapi_pkcs11::{HsmSigner, KeyRef, KeySpec, keys};
use fapi_rustcrypto::RUSTCRYPTO;

use common::{hsm, unique};

/// Counter-based bytes for `jti`s: the token's randomness is not under test
/// here, its signature is.
struct Counter(core::sync::atomic::AtomicU8);

impl Random for Counter {
    fn fill(&self, dest: &mut [u8]) -> Result<(), Error> {
        for b in dest {
            *b = self.0.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
        }
        Ok(())
    }
}

/// F2-ALG: ES256, PS256 and EdDSA signatures made in the HSM verify with
/// both fapi backends, and a changed message is refused by both.
#[test]
fn f2_alg_hsm_signatures_verify_with_fapi_backends() {
    let Some(hsm) = hsm() else { return };
    let pool = hsm.pool();
    for alg in Alg::ALL {
        let info = keys::generate(&pool, KeySpec::for_alg(*alg), &unique("backends")).unwrap();
        let signer = HsmSigner::new(Arc::clone(&pool), &KeyRef::Id(info.id.clone()), *alg).unwrap();
        let message = b"eyJhbGciOiJQUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9";
        let mut sig = [0u8; MAX_SIGNATURE_LEN];
        let n = signer.sign(message, &mut sig).unwrap();
        let public = signer.public_key().unwrap();
        let backends: [(&str, &dyn PublicKeyVerifier); 2] =
            [("rustcrypto", &RUSTCRYPTO), ("awslc", &AWSLC)];
        for (name, backend) in backends {
            assert_eq!(
                backend.verify_with(&public, *alg, message, &sig[..n]),
                Ok(()),
                "{alg} HSM signature through {name}"
            );
            assert_eq!(
                backend.verify_with(&public, *alg, b"another message", &sig[..n]),
                Err(Error::BadSignature),
                "{alg} changed message through {name}"
            );
        }
    }
}

/// F2-SENDER: an access token signed in the HSM, bound to a client
/// certificate, verifies through the core's resource-server checks with
/// either software backend; without the certificate it is refused.
#[test]
fn f2_sender_hsm_access_token_verifies_at_resource_server() {
    let Some(hsm) = hsm() else { return };
    let pool = hsm.pool();
    let cert = include_bytes!("../../fapi-core/testdata/client-cert.der");
    let profile = Profile::FAPI2;
    for alg in Alg::ALL {
        let info = keys::generate(&pool, KeySpec::for_alg(*alg), &unique("at")).unwrap();
        let signer = HsmSigner::new(Arc::clone(&pool), &KeyRef::Id(info.id.clone()), *alg).unwrap();
        let now = 1_900_000_000;
        let params = AccessTokenParams {
            issuer: "https://as.bank.example",
            subject: "alice",
            audience: "https://rs.bank.example",
            client_id: "fintech-1",
            scope: Some("accounts"),
            issued_at: now,
            lifetime: 300,
            confirmation: Some(Confirmation::X5tS256(CertThumbprint::of_der(cert))),
            consent_id: None,
        };
        let mut out = [0u8; 4096];
        let n = token::issue(&profile, &params, &signer, &Counter(0.into()), &mut out).unwrap();
        let at = &out[..n];
        let expect = Expectations::new("https://as.bank.example", "https://rs.bank.example");
        let with_cert = Presented::certificate(cert);
        let public = signer.public_key().unwrap();
        let verifiers: [(&str, &dyn PublicKeyVerifier); 2] =
            [("rustcrypto", &RUSTCRYPTO), ("awslc", &AWSLC)];
        for (name, backend) in verifiers {
            let key = KeyVerifier::new(backend, public.clone());
            let mut buf = [0u8; 4096];
            let claims = token::verify(
                at,
                &profile,
                &expect,
                &key,
                &FixedClock(now + 10),
                &with_cert,
                &mut buf,
            )
            .unwrap_or_else(|e| panic!("{alg} through {name}: {e}"));
            assert_eq!(claims.subject, "alice");
            assert_eq!(claims.client_id, "fintech-1");
            assert!(claims.has_scope("accounts"));
            let mut buf = [0u8; 4096];
            assert_eq!(
                token::verify(
                    at,
                    &profile,
                    &expect,
                    &key,
                    &FixedClock(now + 10),
                    &Presented::default(),
                    &mut buf,
                )
                .unwrap_err(),
                Error::CertificateMismatch,
                "{alg} without the certificate"
            );
        }
    }
}
