//! The host, reached through ARM semihosting: the request script and the
//! responses are files in the directory QEMU runs in, and the exit code
//! goes back to QEMU's own.
//!
//! Semihosting calls are `bkpt 0xab` with an operation number and a
//! parameter block (ARM "Semihosting for AArch32 and AArch64", v2.0); they
//! are `unsafe` because the host reads and writes the memory the block
//! points to. Each call below hands it a block that lives across the call
//! and buffers whose lengths are the ones given.
#![allow(unsafe_code, reason = "semihosting calls: see each SAFETY note")]

use cortex_m_semihosting::{nr, syscall};

use fapi_core::Error;
use fapi_firmware::script::{Sink, Source};

/// `SYS_EXIT_EXTENDED`: exit with a status code (semihosting v2.0 §6.5).
const SYS_EXIT_EXTENDED: usize = 0x20;
/// `ADP_Stopped_ApplicationExit`: a normal exit, with the code as subcode.
const ADP_STOPPED_APPLICATION_EXIT: usize = 0x2_0026;

/// A file on the host, closed on drop.
pub struct HostFile {
    fd: usize,
}

impl HostFile {
    /// Opens `name` (NUL-terminated) in semihosting `mode`
    /// (`nr::open::*`): [`Error::StoreFailed`] when the host refuses.
    pub fn open(name: &[u8], mode: usize) -> Result<Self, Error> {
        let len = match name.split_last() {
            Some((0, head)) if !head.contains(&0) => head.len(),
            _ => return Err(Error::InvalidParameter),
        };
        let block = [name.as_ptr() as usize, mode, len];
        // SAFETY: SYS_OPEN reads `len` bytes (and the NUL) at `name`, which
        // is borrowed for the call; `block` lives across it.
        let fd = unsafe { syscall(nr::OPEN, &block) };
        if fd == usize::MAX {
            return Err(Error::StoreFailed);
        }
        Ok(Self { fd })
    }
}

impl Source for HostFile {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        let block = [self.fd, buf.as_mut_ptr() as usize, buf.len()];
        // SAFETY: SYS_READ writes at most `buf.len()` bytes at `buf`, which
        // is borrowed mutably for the call.
        let not_read = unsafe { syscall(nr::READ, &block) };
        // It returns how many bytes it did not read: more than asked for is
        // an error report.
        buf.len().checked_sub(not_read).ok_or(Error::StoreFailed)
    }
}

impl Sink for HostFile {
    fn write(&mut self, mut bytes: &[u8]) -> Result<(), Error> {
        while !bytes.is_empty() {
            let block = [self.fd, bytes.as_ptr() as usize, bytes.len()];
            // SAFETY: SYS_WRITE reads `bytes.len()` bytes at `bytes`,
            // borrowed for the call.
            let not_written = unsafe { syscall(nr::WRITE, &block) };
            let written = bytes
                .len()
                .checked_sub(not_written)
                .ok_or(Error::StoreFailed)?;
            if written == 0 {
                return Err(Error::StoreFailed);
            }
            bytes = bytes.get(written..).ok_or(Error::StoreFailed)?;
        }
        Ok(())
    }
}

impl Drop for HostFile {
    fn drop(&mut self) {
        let block = [self.fd];
        // SAFETY: SYS_CLOSE takes the handle only.
        let _ = unsafe { syscall(nr::CLOSE, &block) };
    }
}

/// Ends the program with `code` as QEMU's exit status.
pub fn exit(code: u32) -> ! {
    let block = [ADP_STOPPED_APPLICATION_EXIT, code as usize];
    // SAFETY: SYS_EXIT_EXTENDED reads the two words of `block`.
    let _ = unsafe { syscall(SYS_EXIT_EXTENDED, &block) };
    // A debugger may let the program go on; it stops here.
    loop {
        cortex_m::asm::wfi();
    }
}
