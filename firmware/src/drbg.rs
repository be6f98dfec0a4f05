//! The device's random source.
//!
//! On real hardware the module reads its TRNG (through `fapi_core::Random`,
//! which is fallible because hardware generators fail). Under QEMU there is
//! no TRNG, so the model draws from a DRBG seeded by the provisioning
//! record: ChaCha20 (RFC 8439) as a keystream generator, `chacha20`'s
//! `ChaCha20Rng`. The same seed gives the same keys, which is what a test
//! needs and what a production module must never do: its seed is the TRNG
//! output, never an input from the host.

use core::cell::RefCell;

use chacha20::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

use fapi_core::{Error, Random};

/// Bytes of the DRBG seed.
pub const SEED_LEN: usize = 32;

/// A ChaCha20 keystream generator seeded once. Its state is zeroized on
/// drop (`chacha20`'s `zeroize` feature) and never printed.
pub struct Drbg {
    rng: RefCell<ChaCha20Rng>,
}

impl Drbg {
    /// A generator seeded with `seed`.
    ///
    /// ```
    /// use fapi_core::Random;
    /// use fapi_firmware::drbg::Drbg;
    ///
    /// let (a, b) = (Drbg::from_seed([7; 32]), Drbg::from_seed([7; 32]));
    /// let (mut x, mut y) = ([0u8; 16], [0u8; 16]);
    /// a.fill(&mut x).unwrap();
    /// b.fill(&mut y).unwrap();
    /// assert_eq!(x, y);
    /// ```
    #[must_use]
    pub fn from_seed(seed: [u8; SEED_LEN]) -> Self {
        Self {
            rng: RefCell::new(ChaCha20Rng::from_seed(seed)),
        }
    }
}

impl Random for Drbg {
    fn fill(&self, dest: &mut [u8]) -> Result<(), Error> {
        // Single-threaded: a second borrow would be a re-entrant call from
        // an interrupt, which the firmware never makes; it fails typed.
        let mut rng = self.rng.try_borrow_mut().map_err(|_| Error::RandomFailed)?;
        rng.fill_bytes(dest);
        Ok(())
    }
}

impl core::fmt::Debug for Drbg {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Drbg").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8439 §2.4.2 keystream: the generator is the ChaCha20 block
    /// function with a zero nonce and counter starting at 0. With the key
    /// of RFC 8439 Appendix A.1 test vector #1 (all zeros) the first block
    /// is the RFC's keystream.
    #[test]
    fn keystream_is_rfc8439_chacha20() {
        let d = Drbg::from_seed([0; 32]);
        let mut out = [0u8; 16];
        d.fill(&mut out).unwrap();
        // RFC 8439 A.1, test vector #1, first 16 bytes of the keystream.
        assert_eq!(
            out,
            [
                0x76, 0xb8, 0xe0, 0xad, 0xa0, 0xf1, 0x3d, 0x90, 0x40, 0x5d, 0x6a, 0xe5, 0x53, 0x86,
                0xbd, 0x28
            ]
        );
    }

    #[test]
    fn debug_prints_no_state() {
        let d = Drbg::from_seed([9; 32]);
        assert_eq!(format!("{d:?}"), "Drbg { .. }");
    }
}
