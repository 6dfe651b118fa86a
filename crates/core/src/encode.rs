//! RFC 3986 percent-encoding as both signers define it: keep `A-Z a-z 0-9 - _ . ~`, encode every other
//! UTF-8 byte as `%XX` with uppercase hex.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

/// Everything but the unreserved characters.
pub const RFC3986: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Whether `b` is left as it is: `A-Z a-z 0-9 - _ . ~`.
fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Appends the encoding of `s` to `out`.
pub fn encode_into(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if unreserved(b) {
            continue;
        }
        // Runs of unreserved (ASCII) bytes are copied whole. A non-empty run starts after an ASCII
        // byte or after the last byte of an encoded character, so both its ends are boundaries.
        if start < i {
            out.push_str(&s[start..i]);
        }
        out.push('%');
        out.push(char::from(HEX_UPPER[usize::from(b >> 4)]));
        out.push(char::from(HEX_UPPER[usize::from(b & 15)]));
        start = i + 1;
    }
    out.push_str(&s[start..]);
}

/// The encoding of `s`.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    encode_into(&mut out, s);
    out
}

/// Appends the lowercase hex of `bytes` to `out`.
pub fn push_hex(out: &mut String, bytes: &[u8]) {
    let mut buf = [0u8; 128];
    for chunk in bytes.chunks(64) {
        out.push_str(hex_into(&mut buf, chunk));
    }
}

/// Writes the lowercase hex of `bytes` into the start of `buf` (at least twice as long) and returns it.
pub fn hex_into<'a>(buf: &'a mut [u8], bytes: &[u8]) -> &'a str {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in bytes.iter().enumerate() {
        buf[2 * i] = HEX[usize::from(b >> 4)];
        buf[2 * i + 1] = HEX[usize::from(b & 15)];
    }
    std::str::from_utf8(&buf[..2 * bytes.len()]).expect("hex digits are ASCII")
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
            let reference: String = percent_encoding::utf8_percent_encode(input, super::RFC3986).collect();
            assert_eq!(super::encode(input), reference, "{input}");
        }
    }

    #[test]
    fn every_ascii_character_is_encoded_as_percent_encoding_does() {
        let all: String = (0u8..128).map(char::from).chain(['é', '一', '😀']).collect();
        let reference: String = percent_encoding::utf8_percent_encode(&all, super::RFC3986).collect();
        assert_eq!(super::encode(&all), reference);
    }

    #[test]
    fn hex_is_lowercase_and_complete() {
        let mut s = String::from("x");
        super::push_hex(&mut s, &[0x00, 0x0f, 0xa5, 0xff]);
        assert_eq!(s, "x000fa5ff");
        // Longer than one 64-byte chunk.
        let bytes: Vec<u8> = (0..=255).collect();
        let mut long = String::new();
        super::push_hex(&mut long, &bytes);
        assert_eq!(long, bytes.iter().map(|b| format!("{b:02x}")).collect::<String>());
    }
}
