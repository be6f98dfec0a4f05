//! A request script and how the module serves it.
//!
//! The host writes a script, one JSON object per line: the provisioning
//! record first (see [`crate::provision`]), then requests (see
//! [`crate::request`]). [`serve`] answers each non-blank line with exactly
//! one response line (see [`crate::response`]), in order, and ends with the
//! totals line. A line longer than the line buffer is refused with
//! [`Error::TooLarge`] and skipped to its end; it never overruns anything.
//!
//! Where the bytes come from and go to ([`Source`], [`Sink`]) and what is
//! measured ([`Meter`]) are the firmware's: semihosting files, SysTick and
//! stack painting on the Cortex-M4; memory in the tests.

use fapi_core::Error;
use zeroize::Zeroize;

use crate::device::Device;
use crate::response::{self, Metrics, PREFIX_ROOM, Stats};

/// Where a script's bytes come from.
pub trait Source {
    /// Reads up to `buf.len()` bytes, returning how many; 0 at the end.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Error>;
}

/// Where responses go.
pub trait Sink {
    /// Writes all of `bytes`.
    fn write(&mut self, bytes: &[u8]) -> Result<(), Error>;
}

/// Measures each request.
pub trait Meter {
    /// Called just before a request is served.
    fn begin(&mut self);
    /// Called just after; what was measured.
    fn end(&mut self) -> Metrics;
    /// The stack reserved by the linker, and the static RAM (bytes).
    fn memory(&self) -> (u32, u32);
}

/// A meter that measures nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoMeter;

impl Meter for NoMeter {
    fn begin(&mut self) {}
    fn end(&mut self) -> Metrics {
        Metrics::default()
    }
    fn memory(&self) -> (u32, u32) {
        (0, 0)
    }
}

/// One line of a script.
#[derive(Debug, PartialEq, Eq)]
pub enum Line<'a> {
    /// The line, without its `\n` (or `\r\n`).
    Text(&'a [u8]),
    /// A line longer than the buffer, skipped.
    TooLong,
}

/// Splits what a [`Source`] reads into lines, in a caller's buffer.
pub struct Lines<'b, S: Source> {
    src: S,
    buf: &'b mut [u8],
    start: usize,
    end: usize,
    eof: bool,
}

impl<'b, S: Source> Lines<'b, S> {
    /// Lines of `src`, each at most `buf.len() - 1` bytes.
    pub fn new(src: S, buf: &'b mut [u8]) -> Self {
        Self {
            src,
            buf,
            start: 0,
            end: 0,
            eof: false,
        }
    }

    /// The next line, or `None` at the end.
    ///
    /// ```
    /// use fapi_firmware::script::{Line, Lines, Source};
    ///
    /// struct Text(&'static [u8]);
    /// impl Source for Text {
    ///     fn read(&mut self, buf: &mut [u8]) -> Result<usize, fapi_core::Error> {
    ///         let n = self.0.len().min(buf.len());
    ///         buf[..n].copy_from_slice(&self.0[..n]);
    ///         self.0 = &self.0[n..];
    ///         Ok(n)
    ///     }
    /// }
    /// let mut buf = [0u8; 8];
    /// let mut lines = Lines::new(Text(b"short\nmuch too long\nend"), &mut buf);
    /// assert_eq!(lines.next_line().unwrap(), Some(Line::Text(b"short")));
    /// assert_eq!(lines.next_line().unwrap(), Some(Line::TooLong));
    /// assert_eq!(lines.next_line().unwrap(), Some(Line::Text(b"end")));
    /// assert_eq!(lines.next_line().unwrap(), None);
    /// ```
    pub fn next_line(&mut self) -> Result<Option<Line<'_>>, Error> {
        loop {
            let pending = self.buf.get(self.start..self.end).unwrap_or(&[]);
            if let Some(i) = pending.iter().position(|b| *b == b'\n') {
                let (from, to) = (self.start, self.start.saturating_add(i));
                self.start = to.saturating_add(1);
                return Ok(Some(self.text(from, to)));
            }
            if self.eof {
                if self.start < self.end {
                    let (from, to) = (self.start, self.end);
                    self.start = self.end;
                    return Ok(Some(self.text(from, to)));
                }
                return Ok(None);
            }
            // Keep the partial line at the front, then read more.
            self.buf.copy_within(self.start..self.end, 0);
            self.end = self.end.saturating_sub(self.start);
            self.start = 0;
            if self.end >= self.buf.len() {
                self.skip_line()?;
                return Ok(Some(Line::TooLong));
            }
            let n = self.read_at(self.end)?;
            self.end = self.end.saturating_add(n);
            self.eof = n == 0;
        }
    }

    /// Zeroes the bytes of the lines already handed out (the provisioning
    /// record holds the DRBG seed: it must not stay in the buffer).
    pub fn wipe_consumed(&mut self) {
        if let Some(done) = self.buf.get_mut(..self.start) {
            done.zeroize();
        }
    }

    fn text(&self, from: usize, to: usize) -> Line<'_> {
        let line = self.buf.get(from..to).unwrap_or(&[]);
        Line::Text(line.strip_suffix(b"\r").unwrap_or(line))
    }

    fn read_at(&mut self, at: usize) -> Result<usize, Error> {
        let room = self.buf.get_mut(at..).ok_or(Error::BufferTooSmall)?;
        let n = self.src.read(room)?;
        if n > room.len() {
            return Err(Error::TooLarge);
        }
        Ok(n)
    }

    /// Drops bytes up to and including the next `\n`.
    fn skip_line(&mut self) -> Result<(), Error> {
        loop {
            let n = self.read_at(0)?;
            if n == 0 {
                (self.start, self.end, self.eof) = (0, 0, true);
                return Ok(());
            }
            let read = self.buf.get(..n).unwrap_or(&[]);
            if let Some(i) = read.iter().position(|b| *b == b'\n') {
                (self.start, self.end) = (i.saturating_add(1), n);
                return Ok(());
            }
        }
    }
}

/// Where the provisioned module lives: a static on the Cortex-M4.
///
/// The explicit `u8` tag is 0 for [`DeviceSlot::Empty`], so a static
/// holding an empty slot is all zeros and goes to `.bss`: no copy of it in
/// flash, as an `Option<Device>` (whose `None` is a niche value) would need.
#[repr(C, u8)]
#[derive(Debug, Default)]
#[allow(
    clippy::large_enum_variant,
    reason = "a static slot: boxing is what it exists to avoid"
)]
pub enum DeviceSlot {
    /// Not provisioned yet.
    #[default]
    Empty,
    /// The provisioned module.
    Provisioned(Device),
}

/// Why a script could not be served to its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The script is empty: no provisioning record.
    NoRecord,
    /// The provisioning record was refused (the response line says why).
    Provisioning(Error),
    /// Reading the script or writing a response failed.
    Io(Error),
}

/// Serves a script: provisions the module from the first line, then
/// answers every request line, then writes the totals.
///
/// `lines` holds one line at a time (a longer one is refused with
/// [`Error::TooLarge`]), `out` one response line, and `device` the
/// provisioned module: on the Cortex-M4 all three are statics, so that the
/// stack holds only what a request needs while it is served.
///
/// ```
/// use fapi_firmware::script::{self, NoMeter, Sink, Source};
///
/// struct Text<'a>(&'a [u8]);
/// impl Source for Text<'_> {
///     fn read(&mut self, buf: &mut [u8]) -> Result<usize, fapi_core::Error> {
///         let n = self.0.len().min(buf.len());
///         buf[..n].copy_from_slice(&self.0[..n]);
///         self.0 = &self.0[n..];
///         Ok(n)
///     }
/// }
/// struct Out(Vec<u8>);
/// impl Sink for Out {
///     fn write(&mut self, b: &[u8]) -> Result<(), fapi_core::Error> {
///         self.0.extend_from_slice(b);
///         Ok(())
///     }
/// }
///
/// let script = b"{\"seed\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\",\"now\":1,\"profiles\":[\"fapi2\"]}\n{\"cmd\":\"reboot\"}\n";
/// let (mut lines, mut out, mut sink) = ([0u8; 2049], [0u8; 3072], Out(Vec::new()));
/// let mut device = script::DeviceSlot::Empty;
/// let stats = script::serve(Text(script), &mut lines, &mut out, &mut device, &mut sink, &mut NoMeter).unwrap();
/// assert_eq!(stats.requests, 1);
/// let text = String::from_utf8(sink.0).unwrap();
/// assert!(text.lines().nth(1).unwrap().contains("\"code\":810"));
/// ```
pub fn serve<S: Source, W: Sink, M: Meter>(
    src: S,
    lines: &mut [u8],
    out: &mut [u8],
    device: &mut DeviceSlot,
    sink: &mut W,
    meter: &mut M,
) -> Result<Stats, Stop> {
    let mut lines = Lines::new(src, lines);
    let provisioning = provision(&mut lines, out, device, sink, meter)?;
    let DeviceSlot::Provisioned(device) = device else {
        return Err(Stop::NoRecord);
    };
    let mut stats = answer_all(device, &mut lines, out, sink, meter)?;
    stats.stack_peak = stats.stack_peak.max(provisioning.stack.unwrap_or(0));
    (stats.stack_size, stats.static_ram) = meter.memory();
    let n = response::stats(out, &stats).map_err(Stop::Io)?;
    sink.write(out.get(..n).unwrap_or(&[])).map_err(Stop::Io)?;
    Ok(stats)
}

// `provision` and `answer_all` are kept out of `serve` so that what each
// needs on the stack is there only while it runs.

/// Provisions the module into `slot` from the first non-blank line.
#[inline(never)]
fn provision<S: Source, W: Sink, M: Meter>(
    lines: &mut Lines<'_, S>,
    out: &mut [u8],
    slot: &mut DeviceSlot,
    sink: &mut W,
    meter: &mut M,
) -> Result<Metrics, Stop> {
    loop {
        match lines.next_line().map_err(Stop::Io)? {
            None => return Err(Stop::NoRecord),
            Some(Line::Text(t)) if is_blank(t) => {}
            Some(Line::Text(t)) => {
                meter.begin();
                let device = Device::provision(t);
                let m = meter.end();
                lines.wipe_consumed();
                let answer = device.as_ref().map(|_| ()).map_err(|e| *e);
                write_provisioned(out, answer, &m, sink)?;
                *slot = DeviceSlot::Provisioned(device.map_err(Stop::Provisioning)?);
                return Ok(m);
            }
            Some(Line::TooLong) => {
                write_answer(out, Err(Error::TooLarge), &Metrics::default(), sink)?;
                return Err(Stop::Provisioning(Error::TooLarge));
            }
        }
    }
}

/// Answers every request line after the provisioning record.
#[inline(never)]
fn answer_all<S: Source, W: Sink, M: Meter>(
    device: &Device,
    lines: &mut Lines<'_, S>,
    out: &mut [u8],
    sink: &mut W,
    meter: &mut M,
) -> Result<Stats, Stop> {
    let mut stats = Stats::default();
    loop {
        let m = match lines.next_line().map_err(Stop::Io)? {
            None => return Ok(stats),
            Some(Line::Text(t)) if is_blank(t) => continue,
            Some(Line::Text(t)) => {
                meter.begin();
                let value = out.get_mut(PREFIX_ROOM..).unwrap_or(&mut []);
                let answer = device.handle(t, value);
                let m = meter.end();
                write_answer(out, answer, &m, sink)?;
                m
            }
            Some(Line::TooLong) => {
                let m = Metrics::default();
                write_answer(out, Err(Error::TooLarge), &m, sink)?;
                m
            }
        };
        stats.requests = stats.requests.saturating_add(1);
        stats.stack_peak = stats.stack_peak.max(m.stack.unwrap_or(0));
    }
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

#[inline(never)]
fn write_answer<W: Sink>(
    out: &mut [u8],
    answer: Result<crate::device::Answer, Error>,
    m: &Metrics,
    sink: &mut W,
) -> Result<(), Stop> {
    // An answer that does not fit the response line is refused as such.
    let n = match response::finish(out, answer, m) {
        Ok(n) => n,
        Err(e) => response::finish(out, Err(e), m).map_err(Stop::Io)?,
    };
    sink.write(out.get(..n).unwrap_or(&[])).map_err(Stop::Io)
}

fn write_provisioned<W: Sink>(
    out: &mut [u8],
    answer: Result<(), Error>,
    m: &Metrics,
    sink: &mut W,
) -> Result<(), Stop> {
    let n = match answer {
        Ok(()) => response::provisioned(out, m),
        Err(e) => response::finish(out, Err(e), m),
    }
    .map_err(Stop::Io)?;
    sink.write(out.get(..n).unwrap_or(&[])).map_err(Stop::Io)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source that hands out at most `chunk` bytes per read.
    struct Chunks<'a> {
        data: &'a [u8],
        chunk: usize,
    }

    impl Source for Chunks<'_> {
        fn read(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
            let n = self.data.len().min(buf.len()).min(self.chunk);
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    struct Failing;
    impl Source for Failing {
        fn read(&mut self, _: &mut [u8]) -> Result<usize, Error> {
            Err(Error::StoreFailed)
        }
    }

    #[derive(Default)]
    struct Out(Vec<u8>);
    impl Sink for Out {
        fn write(&mut self, b: &[u8]) -> Result<(), Error> {
            self.0.extend_from_slice(b);
            Ok(())
        }
    }

    fn lines_of(data: &[u8], buf_len: usize, chunk: usize) -> Vec<Option<Vec<u8>>> {
        let mut buf = vec![0u8; buf_len];
        let mut lines = Lines::new(Chunks { data, chunk }, &mut buf);
        let mut all = Vec::new();
        while let Some(l) = lines.next_line().unwrap() {
            all.push(match l {
                Line::Text(t) => Some(t.to_vec()),
                Line::TooLong => None,
            });
        }
        all
    }

    #[test]
    fn splits_lines_whatever_the_reads() {
        let data = b"one\r\ntwo\n\nthree-is-long\nfour";
        for chunk in [1, 2, 3, 7, 100] {
            let got = lines_of(data, 8, chunk);
            assert_eq!(
                got,
                vec![
                    Some(b"one".to_vec()),
                    Some(b"two".to_vec()),
                    Some(Vec::new()),
                    None,
                    Some(b"four".to_vec()),
                ],
                "chunk {chunk}"
            );
        }
        // A line of exactly buffer length minus one fits; one more does not.
        assert_eq!(lines_of(b"1234567\nx", 8, 3)[0], Some(b"1234567".to_vec()));
        assert_eq!(
            lines_of(b"12345678\nx", 8, 3),
            vec![None, Some(b"x".to_vec())]
        );
        // An over-long last line without a newline.
        assert_eq!(
            lines_of(b"a\n123456789012", 8, 5),
            vec![Some(b"a".to_vec()), None]
        );
        assert!(lines_of(b"", 8, 5).is_empty());
    }

    const SEED: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

    fn run(script: &[u8]) -> (Result<Stats, Stop>, Vec<String>) {
        let (mut lines, mut out, mut sink) = (vec![0u8; 2049], vec![0u8; 2048], Out::default());
        let mut device = DeviceSlot::Empty;
        let r = serve(
            Chunks {
                data: script,
                chunk: 61,
            },
            &mut lines,
            &mut out,
            &mut device,
            &mut sink,
            &mut NoMeter,
        );
        let text = String::from_utf8(sink.0).unwrap();
        (r, text.lines().map(str::to_owned).collect())
    }

    /// One response per request line, in order; oversized input, malformed
    /// JSON and unknown commands are typed answers, and the run goes on.
    #[test]
    fn serves_a_script() {
        let script = format!(
            "\n{{\"seed\":\"{SEED}\",\"now\":1900000000,\"profiles\":[\"fapi2\"]}}\n\
             {{\"cmd\":\"jwk\",\"alg\":\"EdDSA\"}}\n\
             \n\
             {}\n\
             {{\"cmd\":\"fly\"}}\n\
             {{oops\n\
             {{\"cmd\":\"jwk\",\"alg\":\"PS256\"}}",
            "x".repeat(5000)
        );
        let (r, out) = run(script.as_bytes());
        let stats = r.unwrap();
        assert_eq!(stats.requests, 5);
        assert_eq!(out.len(), 7);
        assert!(out[0].starts_with(r#"{"ok":true,"provisioned":true"#));
        assert!(out[1].starts_with(r#"{"ok":true,"jwk":{"kty":"OKP""#));
        assert_eq!(out[2], r#"{"ok":false,"code":102}"#);
        assert_eq!(out[3], r#"{"ok":false,"code":810}"#);
        assert_eq!(out[4], r#"{"ok":false,"code":101}"#);
        assert_eq!(out[5], r#"{"ok":false,"code":206}"#);
        assert!(out[6].starts_with(r#"{"stats":{"requests":5,"#));
    }

    /// The provisioning record carries the seed: once the module is
    /// provisioned, no copy of it is left in the line buffer.
    #[test]
    fn the_seed_does_not_stay_in_the_line_buffer() {
        let script = format!(
            "{{\"seed\":\"{SEED}\",\"now\":1,\"profiles\":[\"fapi2\"]}}\n{{\"cmd\":\"jwk\",\"alg\":\"ES256\"}}\n"
        );
        let (mut lines, mut out, mut sink) = (vec![0u8; 2049], vec![0u8; 2048], Out::default());
        let mut device = DeviceSlot::Empty;
        let source = Chunks {
            data: script.as_bytes(),
            chunk: 4096,
        };
        let stats = serve(
            source,
            &mut lines,
            &mut out,
            &mut device,
            &mut sink,
            &mut NoMeter,
        );
        assert_eq!(stats.map(|s| s.requests), Ok(1));
        let seed = SEED.as_bytes();
        assert!(!lines.windows(8).any(|w| seed.windows(8).any(|s| s == w)));
        assert!(!out.windows(8).any(|w| seed.windows(8).any(|s| s == w)));
    }

    #[test]
    fn stops_without_a_good_record() {
        assert_eq!(run(b"").0, Err(Stop::NoRecord));
        assert_eq!(run(b"\n \n").0, Err(Stop::NoRecord));
        let (r, out) = run(br#"{"seed":"AAEC","now":1,"profiles":["fapi2"]}"#);
        assert_eq!(r, Err(Stop::Provisioning(Error::InvalidParameter)));
        assert_eq!(out, vec![r#"{"ok":false,"code":810}"#.to_owned()]);
        let (r, out) = run(&[b'{'; 3000]);
        assert_eq!(r, Err(Stop::Provisioning(Error::TooLarge)));
        assert_eq!(out, vec![r#"{"ok":false,"code":102}"#.to_owned()]);
        let (mut lines, mut out, mut sink) = ([0u8; 64], [0u8; 256], Out::default());
        let mut device = DeviceSlot::Empty;
        assert_eq!(
            serve(
                Failing,
                &mut lines,
                &mut out,
                &mut device,
                &mut sink,
                &mut NoMeter
            ),
            Err(Stop::Io(Error::StoreFailed))
        );
    }
}
