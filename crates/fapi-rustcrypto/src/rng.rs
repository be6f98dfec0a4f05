//! `fapi_core::Random` seen as a `rand_core` generator.

use fapi_core::{Error, Random};

/// Adapts a [`Random`] to `rand_core`'s fallible generator traits.
pub(crate) struct RngAdapter<'a, R: Random + ?Sized>(pub(crate) &'a R);

impl<R: Random + ?Sized> rand_core::TryRng for RngAdapter<'_, R> {
    type Error = Error;

    fn try_next_u32(&mut self) -> Result<u32, Error> {
        let mut b = [0u8; 4];
        self.0.fill(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Error> {
        let mut b = [0u8; 8];
        self.0.fill(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Error> {
        self.0.fill(dst)
    }
}

impl<R: Random + ?Sized> rand_core::TryCryptoRng for RngAdapter<'_, R> {}
