//! RFC 3986 percent-encoding as both signers define it: keep `A-Z a-z 0-9 - _ . ~`, encode every other
//! UTF-8 byte as `%XX` with uppercase hex.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but the unreserved characters.
pub const RFC3986: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Appends the encoding of `s` to `out`.
pub fn encode_into(out: &mut String, s: &str) {
    for chunk in utf8_percent_encode(s, RFC3986) {
        out.push_str(chunk);
    }
}

/// The encoding of `s`.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    encode_into(&mut out, s);
    out
}

/// Appends the lowercase hex of `bytes` to `out`.
pub fn push_hex(out: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2);
    for b in bytes {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 15)] as char);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_unreserved_and_encodes_the_rest() {
        let cases = [
            ("AZaz09-_.~", "AZaz09-_.~"),
            (" ", "%20"),
            ("*", "%2A"),
            ("/tmp/123", "%2Ftmp%2F123"),
            ("一 (&=?!#%.*)", "%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29"),
            ("+", "%2B"),
            ("[\"a\",1]", "%5B%22a%22%2C1%5D"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(super::encode(input), want, "{input}");
        }
    }

    #[test]
    fn hex_is_lowercase_and_complete() {
        let mut s = String::from("x");
        super::push_hex(&mut s, &[0x00, 0x0f, 0xa5, 0xff]);
        assert_eq!(s, "x000fa5ff");
    }
}
