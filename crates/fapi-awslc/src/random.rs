//! The operating system's random generator.

use aws_lc_rs::rand::SecureRandom as _;
use fapi_core::{Error, Random};

/// aws-lc's system generator as a [`fapi_core::Random`].
#[derive(Clone, Debug, Default)]
pub struct SystemRandom(aws_lc_rs::rand::SystemRandom);

impl SystemRandom {
    /// The system generator.
    #[must_use]
    pub fn new() -> Self {
        Self(aws_lc_rs::rand::SystemRandom::new())
    }
}

impl Random for SystemRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), Error> {
        self.0.fill(dest).map_err(|_| Error::RandomFailed)
    }
}
