//! The Cortex-M4 image of the signing module (ARM MPS2 AN386 under QEMU).
//!
//! At reset it opens `fapi-requests.jsonl` in the host's working directory
//! (semihosting), provisions the module from its first line, answers every
//! other line into `fapi-responses.jsonl`, and exits through semihosting:
//!
//! | exit code | meaning |
//! |---|---|
//! | 0 | the script was served to its end (refusals are answers, not failures) |
//! | 2 | the script or the response file could not be opened, read or written |
//! | 3 | no provisioning record, or the record was refused (its line says why) |
//! | 4 | a panic (none is expected: every refusal is a typed error) |
//! | 5 | a HardFault |
#![no_std]
#![no_main]
#![deny(unsafe_code)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unreachable,
    clippy::todo,
    clippy::unimplemented
)]

mod host;
mod meter;

use cortex_m_rt::{ExceptionFrame, entry, exception};
use cortex_m_semihosting::nr;

use fapi_firmware::request::MAX_REQUEST_LEN;
use fapi_firmware::script::{self, DeviceSlot, Stop};

use host::HostFile;
use meter::SysTickMeter;

/// The request script, in the directory QEMU runs in.
const SCRIPT: &[u8] = b"fapi-requests.jsonl\0";
/// The responses, one line per request line.
const RESPONSES: &[u8] = b"fapi-responses.jsonl\0";
/// One response line: a token or proof of up to 2 KiB less its prefix and
/// metrics (a longer one is refused with `BufferTooSmall`).
const RESPONSE_LEN: usize = 2048;

const EXIT_OK: u32 = 0;
const EXIT_IO: u32 = 2;
const EXIT_PROVISIONING: u32 = 3;
const EXIT_PANIC: u32 = 4;
const EXIT_FAULT: u32 = 5;

#[entry]
fn main() -> ! {
    // `cortex-m-rt` hands these out once, as `&'static mut`: the buffers
    // and the module's keys live in .bss rather than on the stack.
    static mut LINE: [u8; MAX_REQUEST_LEN + 1] = [0; MAX_REQUEST_LEN + 1];
    static mut RESPONSE: [u8; RESPONSE_LEN] = [0; RESPONSE_LEN];
    static mut DEVICE: DeviceSlot = DeviceSlot::Empty;
    host::exit(run(LINE, RESPONSE, DEVICE))
}

fn run(line: &mut [u8], response: &mut [u8], device: &mut DeviceSlot) -> u32 {
    let Some(p) = cortex_m::Peripherals::take() else {
        return EXIT_FAULT;
    };
    let mut meter = SysTickMeter::new(p.SYST);
    let Ok(script) = HostFile::open(SCRIPT, nr::open::R_BINARY) else {
        return EXIT_IO;
    };
    let Ok(mut out) = HostFile::open(RESPONSES, nr::open::W_TRUNC_BINARY) else {
        return EXIT_IO;
    };
    match script::serve(script, line, response, device, &mut out, &mut meter) {
        Ok(_) => EXIT_OK,
        Err(Stop::NoRecord | Stop::Provisioning(_)) => EXIT_PROVISIONING,
        Err(Stop::Io(_)) => EXIT_IO,
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    // Nothing is formatted: the exit code says enough, and formatting
    // would pull `core::fmt` into the image.
    host::exit(EXIT_PANIC)
}

#[allow(unsafe_code, reason = "cortex-m-rt declares HardFault handlers unsafe")]
#[exception]
unsafe fn HardFault(_: &ExceptionFrame) -> ! {
    host::exit(EXIT_FAULT)
}
