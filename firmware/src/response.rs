//! The JSON lines the module answers with, one per request line:
//!
//! ```json
//! {"ok":true,"token":"eyJ...","ticks":123456,"stack":9120}
//! {"ok":true,"jwk":{"kty":"EC",...},"ticks":100,"stack":3000}
//! {"ok":false,"code":405,"ticks":900,"stack":2000}
//! ```
//!
//! `code` is the stable `fapi_core::Error` code (`Error::from_code` gives
//! the error back; its name is left to the host, to keep the table of
//! names out of flash).
//! `ticks` (SysTick ticks at the core clock while the request was served)
//! and `stack` (the deepest stack, in bytes, while it was served) are the
//! firmware's measurements, absent where nothing measured them. After the
//! last request the module writes one line of totals:
//!
//! ```json
//! {"stats":{"requests":42,"stack_peak":9120,"stack_size":28000,"static_ram":4400}}
//! ```

use fapi_core::Error;
use fapi_core::json::Writer;

use crate::device::{Answer, AnswerKind};

/// Bytes kept free at the start of the output buffer for the response
/// prefix: the answer is written after them, then moved into place.
pub const PREFIX_ROOM: usize = 32;

/// Measurements of one request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Metrics {
    /// SysTick ticks at the core clock.
    pub ticks: Option<u64>,
    /// The deepest stack, in bytes.
    pub stack: Option<u32>,
}

/// Totals after the last request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Request lines served.
    pub requests: u32,
    /// The deepest stack over the whole run, in bytes.
    pub stack_peak: u32,
    /// The stack reserved by the linker, in bytes.
    pub stack_size: u32,
    /// `.data` + `.bss`, in bytes.
    pub static_ram: u32,
}

/// Turns the answer at `buf[PREFIX_ROOM..]` (or the refusal) into one
/// response line in `buf`, newline included, and returns its length.
///
/// A JWK is JSON and is written as it is; a token or proof is base64url and
/// dots, written as a string without escaping.
///
/// ```
/// use fapi_core::Error;
/// use fapi_firmware::response::{self, Metrics};
///
/// let mut buf = [0u8; 128];
/// let n = response::finish(&mut buf, Err(Error::LifetimeTooLong), &Metrics::default()).unwrap();
/// assert_eq!(&buf[..n], b"{\"ok\":false,\"code\":405}\n");
/// ```
pub fn finish(buf: &mut [u8], answer: Result<Answer, Error>, m: &Metrics) -> Result<usize, Error> {
    match answer {
        Ok(a) => {
            let end = PREFIX_ROOM
                .checked_add(a.len)
                .ok_or(Error::BufferTooSmall)?;
            if end > buf.len() {
                return Err(Error::BufferTooSmall);
            }
            let mut prefix = [0u8; PREFIX_ROOM];
            let p = {
                let mut w = Writer::new(&mut prefix);
                w.raw(br#"{"ok":true,"#)?;
                w.key(a.kind.member())?;
                if a.kind != AnswerKind::Jwk {
                    w.raw(b"\"")?;
                }
                w.len()
            };
            buf.copy_within(PREFIX_ROOM..end, p);
            buf.get_mut(..p)
                .ok_or(Error::BufferTooSmall)?
                .copy_from_slice(prefix.get(..p).ok_or(Error::BufferTooSmall)?);
            let at = p.checked_add(a.len).ok_or(Error::BufferTooSmall)?;
            let mut w = Writer::new(buf.get_mut(at..).ok_or(Error::BufferTooSmall)?);
            if a.kind != AnswerKind::Jwk {
                w.raw(b"\"")?;
            }
            metrics(&mut w, m)?;
            w.raw(b"}\n")?;
            at.checked_add(w.len()).ok_or(Error::BufferTooSmall)
        }
        Err(e) => {
            let mut w = Writer::new(buf);
            w.raw(br#"{"ok":false,"code":"#)?;
            w.uint(u64::from(e.code()))?;
            metrics(&mut w, m)?;
            w.raw(b"}\n")?;
            Ok(w.len())
        }
    }
}

fn metrics(w: &mut Writer<'_>, m: &Metrics) -> Result<(), Error> {
    if let Some(t) = m.ticks {
        w.raw(br#","ticks":"#)?;
        w.uint(t)?;
    }
    if let Some(s) = m.stack {
        w.raw(br#","stack":"#)?;
        w.uint(u64::from(s))?;
    }
    Ok(())
}

/// Writes the answer to the provisioning record,
/// `{"ok":true,"provisioned":true}` with the metrics, into `buf`.
pub fn provisioned(buf: &mut [u8], m: &Metrics) -> Result<usize, Error> {
    let mut w = Writer::new(buf);
    w.raw(br#"{"ok":true,"provisioned":true"#)?;
    metrics(&mut w, m)?;
    w.raw(b"}\n")?;
    Ok(w.len())
}

/// Writes the totals line into `buf`, returning its length.
pub fn stats(buf: &mut [u8], s: &Stats) -> Result<usize, Error> {
    let mut w = Writer::new(buf);
    w.raw(br#"{"stats":{"requests":"#)?;
    w.uint(u64::from(s.requests))?;
    w.raw(br#","stack_peak":"#)?;
    w.uint(u64::from(s.stack_peak))?;
    w.raw(br#","stack_size":"#)?;
    w.uint(u64::from(s.stack_size))?;
    w.raw(br#","static_ram":"#)?;
    w.uint(u64::from(s.static_ram))?;
    w.raw(b"}}\n")?;
    Ok(w.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_json_lines() {
        let mut buf = [0u8; 128];
        buf[PREFIX_ROOM..PREFIX_ROOM + 5].copy_from_slice(b"a.b.c");
        let a = Answer {
            kind: AnswerKind::Token,
            len: 5,
        };
        let m = Metrics {
            ticks: Some(7),
            stack: Some(8),
        };
        let n = finish(&mut buf, Ok(a), &m).unwrap();
        assert_eq!(
            &buf[..n],
            b"{\"ok\":true,\"token\":\"a.b.c\",\"ticks\":7,\"stack\":8}\n"
        );
        buf[PREFIX_ROOM..PREFIX_ROOM + 7].copy_from_slice(br#"{"k":1}"#);
        let a = Answer {
            kind: AnswerKind::Jwk,
            len: 7,
        };
        let n = finish(&mut buf, Ok(a), &Metrics::default()).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&buf[..n]).unwrap();
        assert_eq!(v["jwk"]["k"], 1);
        // Too small a buffer is an error, not a panic.
        let mut small = [0u8; 40];
        let a = Answer {
            kind: AnswerKind::Token,
            len: 8,
        };
        assert_eq!(finish(&mut small, Ok(a), &m), Err(Error::BufferTooSmall));
        let a = Answer {
            kind: AnswerKind::Token,
            len: 100,
        };
        assert!(finish(&mut small, Ok(a), &m).is_err());
        let n = stats(&mut buf, &Stats::default()).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&buf[..n]).unwrap();
        assert_eq!(v["stats"]["requests"], 0);
    }
}
