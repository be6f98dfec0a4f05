//! PKCS#11 URIs (RFC 7512) naming a private key on a token.
//!
//! `pkcs11:token=fapi;object=as-signing;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234`
//!
//! The path attributes `token`, `object`, `id` and `type`, and the query
//! attributes `module-path`, `pin-value` and `pin-source`, are understood;
//! values are percent-decoded (RFC 7512 §2.3). Every other attribute is
//! refused rather than ignored: a URI that names its key more narrowly than
//! fapi can check (`serial`, `slot-id`, ...) must not silently select a
//! wider set of keys (RFC 7512 §2.3, "a consumer ... MUST NOT use" what it
//! does not understand). A key is selected by `object` (`CKA_LABEL`) or
//! `id` (`CKA_ID`), not both.

use std::path::PathBuf;

use zeroize::Zeroizing;

/// Why a PKCS#11 URI was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UriError(pub(crate) String);

/// Where the PIN comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum PinSource {
    /// `pin-value`.
    Value(Zeroizing<String>),
    /// `pin-source=file:...` or a plain path: a file holding the PIN.
    File(PathBuf),
}

impl core::fmt::Debug for PinSource {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Value(_) => f.write_str("Value(<redacted>)"),
            Self::File(p) => f.debug_tuple("File").field(p).finish(),
        }
    }
}

/// A parsed PKCS#11 URI for a private key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyUri {
    /// `module-path`, when given.
    pub(crate) module: Option<PathBuf>,
    /// `token`: the token label.
    pub(crate) token: String,
    /// The key, by `object` label or `id`.
    pub(crate) key: fapi_pkcs11::KeyRef,
    /// `pin-value` or `pin-source`.
    pub(crate) pin: Option<PinSource>,
}

/// Decodes RFC 3986 percent-encodings.
fn pct_decode(value: &str, name: &str) -> Result<Vec<u8>, UriError> {
    let bad = || UriError(format!("PKCS#11 URI: bad percent-encoding in `{name}`"));
    let mut out = Vec::with_capacity(value.len());
    let mut it = value.bytes();
    while let Some(c) = it.next() {
        if c == b'%' {
            let hi = it
                .next()
                .and_then(|h| (h as char).to_digit(16))
                .ok_or_else(bad)?;
            let lo = it
                .next()
                .and_then(|l| (l as char).to_digit(16))
                .ok_or_else(bad)?;
            out.push(u8::try_from(hi * 16 + lo).map_err(|_| bad())?);
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

fn pct_text(value: &str, name: &str) -> Result<String, UriError> {
    String::from_utf8(pct_decode(value, name)?)
        .map_err(|_| UriError(format!("PKCS#11 URI: `{name}` is not UTF-8")))
}

/// Sets an attribute that may be given once.
fn once<T>(slot: &mut Option<T>, value: T, name: &str) -> Result<(), UriError> {
    if slot.replace(value).is_some() {
        Err(UriError(format!("PKCS#11 URI: `{name}` given twice")))
    } else {
        Ok(())
    }
}

/// Parses `uri`.
pub fn parse(uri: &str) -> Result<KeyUri, UriError> {
    let rest = uri
        .strip_prefix("pkcs11:")
        .ok_or_else(|| UriError("PKCS#11 URI: does not start with `pkcs11:`".into()))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut token = None;
    let mut object = None;
    let mut id = None;
    let mut module = None;
    let mut pin = None;
    for attr in path.split(';').filter(|a| !a.is_empty()) {
        let (name, value) = attr
            .split_once('=')
            .ok_or_else(|| UriError(format!("PKCS#11 URI: `{attr}` has no value")))?;
        match name {
            "token" => once(&mut token, pct_text(value, name)?, name)?,
            "object" => once(&mut object, pct_text(value, name)?, name)?,
            "id" => once(&mut id, pct_decode(value, name)?, name)?,
            "type" => {
                if pct_text(value, name)? != "private" {
                    return Err(UriError(
                        "PKCS#11 URI: a signing key is `type=private`".into(),
                    ));
                }
            }
            other => {
                return Err(UriError(format!(
                    "PKCS#11 URI: path attribute `{other}` is not supported"
                )));
            }
        }
    }
    for attr in query.split('&').filter(|a| !a.is_empty()) {
        let (name, value) = attr
            .split_once('=')
            .ok_or_else(|| UriError(format!("PKCS#11 URI: `{attr}` has no value")))?;
        match name {
            "module-path" => once(&mut module, PathBuf::from(pct_text(value, name)?), name)?,
            "pin-value" => once(
                &mut pin,
                PinSource::Value(Zeroizing::new(pct_text(value, name)?)),
                "pin-value or pin-source",
            )?,
            "pin-source" => {
                let source = pct_text(value, name)?;
                let path = source.strip_prefix("file:").unwrap_or(&source);
                once(
                    &mut pin,
                    PinSource::File(PathBuf::from(path)),
                    "pin-value or pin-source",
                )?;
            }
            other => {
                return Err(UriError(format!(
                    "PKCS#11 URI: query attribute `{other}` is not supported"
                )));
            }
        }
    }
    let token = token.ok_or_else(|| UriError("PKCS#11 URI: `token` is required".into()))?;
    let key = match (object, id) {
        (Some(label), None) => fapi_pkcs11::KeyRef::Label(label),
        (None, Some(id)) => fapi_pkcs11::KeyRef::Id(id),
        (Some(_), Some(_)) => {
            return Err(UriError(
                "PKCS#11 URI: name the key by `object` or by `id`, not both".into(),
            ));
        }
        (None, None) => {
            return Err(UriError("PKCS#11 URI: `object` or `id` is required".into()));
        }
    };
    Ok(KeyUri {
        module,
        token,
        key,
        pin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use fapi_pkcs11::KeyRef;

    /// RFC 7512 §3 examples, in the subset fapi reads.
    #[test]
    fn rfc7512_examples() {
        let u = parse("pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;object=my-key;type=private?pin-source=file:/etc/token_pin").unwrap();
        assert_eq!(u.token, "The Software PKCS#11 Softtoken");
        assert_eq!(u.key, KeyRef::Label("my-key".into()));
        assert_eq!(u.pin, Some(PinSource::File("/etc/token_pin".into())));
        let u = parse("pkcs11:token=Software%20PKCS%2311%20softtoken;id=%69%95%3E%5C%F4%BD%EC%91?module-path=/usr/lib/libsofthsm2.so&pin-value=1234").unwrap();
        assert_eq!(
            u.key,
            KeyRef::Id(vec![0x69, 0x95, 0x3e, 0x5c, 0xf4, 0xbd, 0xec, 0x91])
        );
        assert_eq!(u.module, Some("/usr/lib/libsofthsm2.so".into()));
        assert_eq!(u.pin, Some(PinSource::Value(Zeroizing::new("1234".into()))));
        assert!(!format!("{u:?}").contains("1234"));
    }

    #[test]
    fn refusals() {
        for bad in [
            "pkcs12:token=a;object=b",
            "pkcs11:object=b",
            "pkcs11:token=a",
            "pkcs11:token=a;object=b;id=%01",
            "pkcs11:token=a;object=b;serial=42",
            "pkcs11:token=a;object=b;type=public",
            "pkcs11:token=a;object=b?module-name=softhsm2",
            "pkcs11:token=a;object=b%2",
            "pkcs11:token=a;token=b;object=c",
            "pkcs11:token=a;object=b?pin-value=1&pin-value=2",
            "pkcs11:token=a;object",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
