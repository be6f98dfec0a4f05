//! What the firmware measures of each request: SysTick ticks at the core
//! clock, and the deepest stack, found by stack painting.
//!
//! SysTick counts core clock cycles on silicon. QEMU has no cycle model:
//! under `-icount shift=0` each instruction advances the virtual clock by
//! 1 ns, and the MPS2 core clock (SysTick's source) runs at 25 MHz, so one
//! tick is 40 instructions, deterministically. The README says how the
//! counts were turned into instructions, and that they are not a silicon
//! measurement.
//!
//! Stack: `cortex-m-rt` paints the whole stack at reset (`paint-stack`);
//! before each request the free part below the current stack pointer is
//! painted again, and after it the painted words left at the bottom say how
//! deep the request went (`cortex-m-stack`).

use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m::peripheral::SYST;
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::exception;

use fapi_firmware::response::Metrics;
use fapi_firmware::script::Meter;

/// SysTick's reload value: the counter's full 24 bits.
const RELOAD: u32 = 0x00ff_ffff;
/// Where RAM starts (memory.x): static RAM is what lies below the stack.
const RAM_ORIGIN: usize = 0x2000_0000;

/// SysTick wraps since [`Meter::begin`].
static WRAPS: AtomicU32 = AtomicU32::new(0);

#[exception]
fn SysTick() {
    let _ = WRAPS.fetch_add(1, Ordering::Relaxed);
}

/// SysTick and the painted stack.
pub struct SysTickMeter {
    syst: SYST,
    start: u32,
}

impl SysTickMeter {
    /// Starts SysTick at the core clock, counting wraps in its exception.
    pub fn new(mut syst: SYST) -> Self {
        syst.set_clock_source(SystClkSource::Core);
        syst.set_reload(RELOAD);
        syst.clear_current();
        syst.enable_interrupt();
        syst.enable_counter();
        Self { syst, start: 0 }
    }

    /// Ticks since `begin`: SysTick counts down, and wraps every 2^24.
    fn elapsed(&self) -> u64 {
        loop {
            let w = WRAPS.load(Ordering::Relaxed);
            let now = SYST::get_current();
            if WRAPS.load(Ordering::Relaxed) == w {
                let span = u64::from(RELOAD).saturating_add(1);
                return u64::from(w)
                    .saturating_mul(span)
                    .saturating_add(u64::from(self.start))
                    .saturating_sub(u64::from(now));
            }
        }
    }
}

impl Meter for SysTickMeter {
    fn begin(&mut self) {
        cortex_m_stack::repaint_stack();
        WRAPS.store(0, Ordering::Relaxed);
        self.start = SYST::get_current();
        // The counter keeps running: `syst` is held so nothing else can
        // reconfigure it.
        let _ = &self.syst;
    }

    fn end(&mut self) -> Metrics {
        let ticks = self.elapsed();
        let free = cortex_m_stack::stack_painted();
        Metrics {
            ticks: Some(ticks),
            stack: Some(cortex_m_stack::stack_size().saturating_sub(free)),
        }
    }

    fn memory(&self) -> (u32, u32) {
        let bottom = cortex_m_stack::stack().end as usize;
        let statics = u32::try_from(bottom.saturating_sub(RAM_ORIGIN)).unwrap_or(u32::MAX);
        (cortex_m_stack::stack_size(), statics)
    }
}
