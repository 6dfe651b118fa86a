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
        self.sign_hex_parts(&[message])
    }

    /// Lowercase hex of HMAC-SHA256(key, the concatenation of `parts`): a message made of pieces is
    /// signed without being put together first.
    pub fn sign_hex_parts(&self, parts: &[&[u8]]) -> String {
        let mut mac = self.0.clone();
        for part in parts {
            mac.update(part);
        }
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

/// A SHA-256 digest in lowercase hex, held on the stack.
pub struct HexDigest([u8; 64]);

impl HexDigest {
    /// The 64 hex digits.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("hex digits are ASCII")
    }
}

/// The lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> HexDigest {
    let mut out = [0u8; 64];
    crate::encode::hex_into(&mut out, &Sha256::digest(bytes));
    HexDigest(out)
}

/// Calls `f` with `("host", host)` and the headers of `headers` that `signs` selects (by lowercase
/// name; values that are not text are left out), sorted by name: the list the signers canonicalize,
/// gathered on the stack for the usual dozen headers.
pub fn with_signed_headers<R>(
    host: &str,
    headers: &http::HeaderMap,
    signs: impl Fn(&str) -> bool,
    f: impl FnOnce(&[(&str, &str)]) -> R,
) -> R {
    const ON_STACK: usize = 16;
    let mut stack = [("", ""); ON_STACK];
    let mut spilled: Vec<(&str, &str)> = Vec::new();
    let mut n = 0;
    let all = std::iter::once(("host", host)).chain(
        headers
            .iter()
            .filter(|(name, _)| name.as_str() != "host" && signs(name.as_str()))
            .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?))),
    );
    for header in all {
        if n < ON_STACK {
            stack[n] = header;
        } else {
            if spilled.is_empty() {
                spilled.extend_from_slice(&stack);
            }
            spilled.push(header);
        }
        n += 1;
    }
    let list: &mut [(&str, &str)] = if n <= ON_STACK { &mut stack[..n] } else { &mut spilled };
    // Stable: repeated names keep their order, and the canonical block keeps the first.
    list.sort_by(|a, b| a.0.cmp(b.0));
    f(list)
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
    // Headers already lowercase, sorted and unique (as [`with_signed_headers`] gives them, but for
    // repeats) are written as they are; others are first lowercased, sorted and deduplicated.
    if headers.windows(2).all(|w| w[0].0 < w[1].0)
        && headers.iter().all(|(k, _)| !k.bytes().any(|b| b.is_ascii_uppercase()))
    {
        return write_header_block(out, headers.iter().copied());
    }
    let mut sorted: Vec<(Cow<'_, str>, &str)> = headers
        .iter()
        .map(|(k, v)| {
            let name = if k.bytes().any(|b| b.is_ascii_uppercase()) {
                Cow::Owned(k.to_ascii_lowercase())
            } else {
                Cow::Borrowed(*k)
            };
            (name, *v)
        })
        .collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    sorted.dedup_by(|a, b| a.0 == b.0);
    write_header_block(out, sorted.iter().map(|(k, v)| (k.as_ref(), *v)))
}

/// Writes `name:value\n` per header (values trimmed) and a blank line; returns the names joined by `;`.
fn write_header_block<'a>(out: &mut String, headers: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut signed = String::with_capacity(96);
    for (i, (k, v)) in headers.enumerate() {
        out.push_str(k);
        out.push(':');
        out.push_str(v.trim());
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
    fn sorted_lowercase_headers_take_the_short_way_to_the_same_block() {
        for headers in [
            &[("a", " 1"), ("host", "h"), ("x-b", "2 ")][..],
            &[("x-b", "2 "), ("host", "h"), ("a", " 1")][..],
            &[("A", " 1"), ("host", "h"), ("x-b", "2 ")][..],
        ] {
            let mut out = String::new();
            assert_eq!(canonical_headers_into(&mut out, headers), "a;host;x-b");
            assert_eq!(out, "a:1\nhost:h\nx-b:2\n\n");
        }
    }

    #[test]
    fn signed_headers_are_gathered_sorted_with_the_host_and_spill_past_the_stack() {
        let mut map = http::HeaderMap::new();
        map.insert("x-z", "z".parse().unwrap());
        map.insert("authorization", "no".parse().unwrap());
        map.insert("host", "ignored".parse().unwrap());
        map.insert("accept", "json".parse().unwrap());
        let owned = |h: &[(&str, &str)]| -> Vec<(String, String)> {
            h.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        let got = with_signed_headers("h:8", &map, |n| n != "authorization", owned);
        let want = [("accept", "json"), ("host", "h:8"), ("x-z", "z")];
        assert_eq!(got, want.map(|(k, v)| (k.to_string(), v.to_string())));
        for i in 0..40 {
            map.insert(
                http::HeaderName::try_from(format!("x-{i:02}")).unwrap(),
                "v".parse().unwrap(),
            );
        }
        let got = with_signed_headers("h:8", &map, |n| n != "authorization", owned);
        assert_eq!(got.len(), 43);
        assert!(got.windows(2).all(|w| w[0].0 < w[1].0), "{got:?}");
    }

    #[test]
    fn a_message_signed_in_pieces_signs_like_the_whole() {
        let key = SigningKey::new("Jefe");
        assert_eq!(
            key.sign_hex_parts(&[b"what do ya ", b"", b"want for nothing?"]),
            key.sign_hex(b"what do ya want for nothing?")
        );
        // FIPS 180-2 "abc".
        assert_eq!(
            sha256_hex(b"abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
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
