//! The pieces both request signatures share: RFC 3986 canonical query strings, canonical header
//! blocks, SHA-256 hex digests, and an HMAC-SHA256 key prepared once per credential.

use std::borrow::Cow;
use std::fmt;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::encode::{encode_into, push_hex};

/// An HMAC-SHA256 key, keyed once and reused for every signature (the key schedule is not redone per
/// request). `Debug` prints a mask.
#[derive(Clone)]
pub struct SigningKey(Hmac<Sha256>);

impl SigningKey {
    /// Keys HMAC-SHA256 with `secret`.
    pub fn new(secret: &str) -> Self {
        Self(Hmac::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length"))
    }

    /// Lowercase hex of HMAC-SHA256(key, message).
    pub fn sign_hex(&self, message: &[u8]) -> String {
        let mut mac = self.0.clone();
        mac.update(message);
        let mut out = String::with_capacity(64);
        push_hex(&mut out, &mac.finalize().into_bytes());
        out
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(crate::secret::MASK)
    }
}

/// Appends the lowercase hex SHA-256 of `bytes` to `out`.
pub fn push_sha256_hex(out: &mut String, bytes: &[u8]) {
    push_hex(out, &Sha256::digest(bytes));
}

/// Appends the canonical query: pairs sorted by name then value (bytewise), each `enc(k)=enc(v)`,
/// joined by `&`; an empty value gives `k=`.
pub fn canonical_query_into(out: &mut String, query: &[(&str, &str)]) {
    let mut sorted: Vec<(&str, &str)> = query.to_vec();
    sorted.sort_unstable();
    for (i, (k, v)) in sorted.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_into(out, k);
        out.push('=');
        encode_into(out, v);
    }
}

/// Appends the canonical header block (`name:value\n` per header: names lowercased and sorted, values
/// trimmed, the first of repeated names kept) and a blank line; returns the signed-header list
/// (`a;b;c`).
pub fn canonical_headers_into(out: &mut String, headers: &[(&str, &str)]) -> String {
    let mut sorted: Vec<(Cow<'_, str>, &str)> = headers
        .iter()
        .map(|(k, v)| {
            let name = if k.bytes().any(|b| b.is_ascii_uppercase()) {
                Cow::Owned(k.to_ascii_lowercase())
            } else {
                Cow::Borrowed(*k)
            };
            (name, v.trim())
        })
        .collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    sorted.dedup_by(|a, b| a.0 == b.0);
    let mut signed = String::with_capacity(96);
    for (i, (k, v)) in sorted.iter().enumerate() {
        out.push_str(k);
        out.push(':');
        out.push_str(v);
        out.push('\n');
        if i > 0 {
            signed.push(';');
        }
        signed.push_str(k);
    }
    out.push('\n');
    signed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_lowercased_sorted_trimmed_and_deduplicated() {
        let mut out = String::new();
        let signed = canonical_headers_into(&mut out, &[("X-B", " 2 "), ("a", "1"), ("x-b", "3"), ("Host", "h")]);
        assert_eq!(signed, "a;host;x-b");
        assert_eq!(out, "a:1\nhost:h\nx-b:2\n\n");
    }

    #[test]
    fn a_prepared_key_signs_like_a_fresh_one() {
        let key = SigningKey::new("key");
        assert_eq!(key.sign_hex(b"message"), key.sign_hex(b"message"));
        // RFC 4231 test case 2.
        assert_eq!(
            SigningKey::new("Jefe").sign_hex(b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(format!("{key:?}"), "***");
    }
}
