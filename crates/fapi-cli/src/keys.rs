//! Public keys out of signing keys: one JWK, or the JWK Set of several
//! (`fapi::KeySet`, the first key listed first).

use fapi::{KeySet, SigningKey};

use crate::failure::{Context as _, Failure};

/// The JWK Set of `keys`, in order.
pub fn jwks_json(keys: &[SigningKey]) -> Result<String, Failure> {
    let mut rev = keys.iter().rev();
    let last = rev
        .next()
        .ok_or_else(|| Failure::usage("KEY", "at least one key"))?;
    let mut set = KeySet::new(last.clone());
    for k in rev {
        // Each rotation makes `k` active and keeps the previous ones
        // published after it: the set lists the keys in argument order.
        set.rotate(k.clone())
            .map_err(|e| Failure::key("the JWK Set", &e))?;
    }
    set.jwks_json().refused("the JWK Set")
}

/// The public JWK of `key`.
pub fn public_jwk(key: &SigningKey) -> Result<serde_json::Value, Failure> {
    let jwks = jwks_json(core::slice::from_ref(key))?;
    let mut v: serde_json::Value = serde_json::from_str(&jwks)
        .map_err(|_| Failure::refused("the JWK", fapi_core::Error::Json))?;
    Ok(v["keys"][0].take())
}
