//! PKCS#11 URIs (RFC 7512) naming a signing key in an HSM:
//! `pkcs11:token=fapi;object=as-signing?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/fapi/pin`.
//!
//! Path attributes (separated by `;`): `token` (the token label, required),
//! `object` (the key's `CKA_LABEL`), `id` (its `CKA_ID`, percent-encoded
//! bytes), `type` (`private` when present). Query attributes (separated by
//! `&`): `module-path` (the module; without it, `$FAPI_PKCS11_MODULE` or
//! Debian's SoftHSM2), `pin-source` (a `file:` URI or an absolute path to a
//! file holding the PIN) or `pin-value`. Values are percent-decoded
//! (RFC 7512 §2.3). An attribute given twice, an unknown attribute, a key
//! named by neither `object` nor `id`, and a missing PIN are refused: a URI
//! that could name a key other than the one meant never loads.

use std::path::PathBuf;

use percent_encoding::percent_decode_str;
use zeroize::Zeroizing;

use crate::error::KeyError;

/// The URI scheme.
pub const SCHEME: &str = "pkcs11:";

/// Where the PIN comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum PinSource {
    /// `pin-source`: a file holding the PIN.
    File(PathBuf),
    /// `pin-value`: the PIN itself (zeroized on drop, never printed).
    Value(Zeroizing<String>),
}

impl core::fmt::Debug for PinSource {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::File(p) => f.debug_tuple("File").field(p).finish(),
            Self::Value(_) => f.write_str("Value(<redacted>)"),
        }
    }
}

/// A parsed PKCS#11 URI naming one private key.
///
/// ```
/// use fapi::pkcs11_uri::{Pkcs11Uri, PinSource};
///
/// let uri = Pkcs11Uri::parse(
///     "pkcs11:token=fapi;object=as%2Dsigning;id=%01%a0?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/fapi/pin",
/// ).unwrap();
/// assert_eq!(uri.token, "fapi");
/// assert_eq!(uri.object.as_deref(), Some("as-signing"));
/// assert_eq!(uri.id.as_deref(), Some(&[0x01, 0xa0][..]));
/// assert_eq!(uri.pin, PinSource::File("/etc/fapi/pin".into()));
/// assert!(format!("{uri:?}").contains("as-signing"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pkcs11Uri {
    /// `token`: the token label.
    pub token: String,
    /// `object`: the key's label.
    pub object: Option<String>,
    /// `id`: the key's `CKA_ID`.
    pub id: Option<Vec<u8>>,
    /// `module-path`, when given.
    pub module_path: Option<PathBuf>,
    /// The PIN.
    pub pin: PinSource,
}

fn bad(reason: String) -> KeyError {
    KeyError::new(fapi_core::Error::InvalidParameter, reason)
}

fn decode(name: &str, value: &str) -> Result<Vec<u8>, KeyError> {
    // RFC 7512 §2.3: only pchars and percent-encodings; a stray '%' fails.
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let ok = bytes
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
            if !ok {
                return Err(bad(format!(
                    "PKCS#11 URI: {name}: a '%' not followed by two hex digits"
                )));
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    Ok(percent_decode_str(value).collect())
}

fn text(name: &str, value: &str) -> Result<String, KeyError> {
    String::from_utf8(decode(name, value)?)
        .map_err(|_| bad(format!("PKCS#11 URI: {name} is not UTF-8")))
}

fn set<T>(slot: &mut Option<T>, name: &str, value: T) -> Result<(), KeyError> {
    if slot.replace(value).is_some() {
        return Err(bad(format!("PKCS#11 URI: {name} given twice")));
    }
    Ok(())
}

fn pin_file(source: &str) -> Result<PathBuf, KeyError> {
    // `file:/path`, `file:///path` (RFC 8089), or an absolute path.
    let path = match source.strip_prefix("file:") {
        Some(rest) => rest.strip_prefix("//").unwrap_or(rest),
        None => source,
    };
    if !path.starts_with('/') {
        return Err(bad(format!(
            "PKCS#11 URI: pin-source {source:?} is not a file: URI or an absolute path"
        )));
    }
    Ok(PathBuf::from(path))
}

impl Pkcs11Uri {
    /// Parses `uri` (see the module documentation).
    pub fn parse(uri: &str) -> Result<Self, KeyError> {
        let rest = uri
            .get(..SCHEME.len())
            .filter(|s| s.eq_ignore_ascii_case(SCHEME))
            .and_then(|_| uri.get(SCHEME.len()..))
            .ok_or_else(|| bad("PKCS#11 URI: does not start with pkcs11:".into()))?;
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (mut token, mut object, mut id, mut kind) = (None, None, None, None);
        for attr in path.split(';').filter(|a| !a.is_empty()) {
            let (name, value) = attr
                .split_once('=')
                .ok_or_else(|| bad(format!("PKCS#11 URI: {attr:?} has no '='")))?;
            match name {
                "token" => set(&mut token, name, text(name, value)?)?,
                "object" => set(&mut object, name, text(name, value)?)?,
                "id" => set(&mut id, name, decode(name, value)?)?,
                "type" => set(&mut kind, name, text(name, value)?)?,
                other => {
                    return Err(bad(format!(
                        "PKCS#11 URI: path attribute {other:?} is not supported"
                    )));
                }
            }
        }
        let (mut module, mut pin_source, mut pin_value) = (None, None, None);
        for attr in query.split('&').filter(|a| !a.is_empty()) {
            let (name, value) = attr
                .split_once('=')
                .ok_or_else(|| bad(format!("PKCS#11 URI: {attr:?} has no '='")))?;
            match name {
                "module-path" => set(&mut module, name, PathBuf::from(text(name, value)?))?,
                "pin-source" => set(&mut pin_source, name, pin_file(&text(name, value)?)?)?,
                "pin-value" => set(&mut pin_value, name, Zeroizing::new(text(name, value)?))?,
                other => {
                    return Err(bad(format!(
                        "PKCS#11 URI: query attribute {other:?} is not supported"
                    )));
                }
            }
        }
        if kind.as_deref().is_some_and(|k| k != "private") {
            return Err(bad(
                "PKCS#11 URI: type must be private for a signing key".into()
            ));
        }
        let token = token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| bad("PKCS#11 URI: no token".into()))?;
        if object.is_none() && id.is_none() {
            return Err(bad(
                "PKCS#11 URI: neither object nor id names the key".into()
            ));
        }
        let pin = match (pin_source, pin_value) {
            (Some(p), None) => PinSource::File(p),
            (None, Some(v)) => PinSource::Value(v),
            (Some(_), Some(_)) => {
                return Err(bad("PKCS#11 URI: both pin-source and pin-value".into()));
            }
            (None, None) => return Err(bad("PKCS#11 URI: no pin-source or pin-value".into())),
        };
        Ok(Self {
            token,
            object,
            id,
            module_path: module,
            pin,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7512_examples_and_value_pin() {
        let u = Pkcs11Uri::parse(
            "pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;object=my-sign-key;type=private?pin-value=12%2634",
        )
        .unwrap();
        assert_eq!(u.token, "The Software PKCS#11 Softtoken");
        assert_eq!(u.object.as_deref(), Some("my-sign-key"));
        assert_eq!(u.module_path, None);
        assert_eq!(u.pin, PinSource::Value(Zeroizing::new("12&34".into())));
        assert!(!format!("{u:?}").contains("12&34"));
        let u = Pkcs11Uri::parse("PKCS11:token=t;id=%00%FF?pin-source=file:///run/pin").unwrap();
        assert_eq!(u.id, Some(vec![0, 0xff]));
        assert_eq!(u.pin, PinSource::File("/run/pin".into()));
    }

    #[test]
    fn ambiguous_or_malformed_uris_are_refused() {
        for uri in [
            "pkcs12:token=t;object=o?pin-value=1",
            "pkcs11:object=o?pin-value=1",
            "pkcs11:token=t?pin-value=1",
            "pkcs11:token=t;object=o",
            "pkcs11:token=t;token=u;object=o?pin-value=1",
            "pkcs11:token=t;object=o;serial=1?pin-value=1",
            "pkcs11:token=t;object=o;type=public?pin-value=1",
            "pkcs11:token=t;object=o%2?pin-value=1",
            "pkcs11:token=t;object=%FF?pin-value=1",
            "pkcs11:token=t;object=o?pin-value=1&pin-source=/p",
            "pkcs11:token=t;object=o?pin-source=relative/pin",
            "pkcs11:token=t;object=o?pin-source=https://example.com/pin",
            "pkcs11:token=t;object=o?module-name=softhsm2&pin-value=1",
            "pkcs11:token;object=o?pin-value=1",
        ] {
            let e = Pkcs11Uri::parse(uri).unwrap_err();
            assert_eq!(e.error(), fapi_core::Error::InvalidParameter, "{uri}");
            assert!(e.reason().starts_with("PKCS#11 URI"), "{uri}: {e}");
        }
    }
}
