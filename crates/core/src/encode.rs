//! RFC 3986 percent-encoding as both signers define it: keep `A-Z a-z 0-9 - _ . ~`, encode every other
//! UTF-8 byte as `%XX` with uppercase hex.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

/// Everything but the unreserved characters.
pub const RFC3986: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Appends the encoding of `s` to `out`.
pub fn encode_into(out: &mut String, s: &str) {
    out.extend(percent_encoding::utf8_percent_encode(s, RFC3986));
}

/// The encoding of `s`.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    encode_into(&mut out, s);
    out
}

/// Longest path parameter accepted, in bytes once percent-encoded. Far above any documented id; it
/// keeps a hostile or mistaken value from making a URL the HTTP stack cannot carry.
pub const MAX_PATH_SEGMENT_BYTES: usize = 4096;

/// Longest URL the HTTP stack can send (`http::Uri`'s limit), in bytes.
pub const MAX_URL_BYTES: usize = (u16::MAX - 1) as usize;

/// Checks that `value` can be the path parameter `name` as one segment: not empty, not `.` or `..`,
/// at most [`MAX_PATH_SEGMENT_BYTES`] once encoded. The violation names the parameter.
pub fn check_path_segment(name: &str, value: &str) -> Result<(), crate::Violation> {
    if value.is_empty() {
        return Err(crate::Violation::new(
            name,
            "must not be empty (it is one URL path segment)",
        ));
    }
    if value == "." || value == ".." {
        return Err(crate::Violation::new(
            name,
            "must not be `.` or `..` (a URL path segment that would move the request to another path)",
        ));
    }
    // Encoding at most triples the length: short values need no count.
    if value.len() > MAX_PATH_SEGMENT_BYTES / 3 && encoded_len(value) > MAX_PATH_SEGMENT_BYTES {
        return Err(crate::Violation::new(
            name,
            format!("must be at most {MAX_PATH_SEGMENT_BYTES} bytes once percent-encoded (one URL path segment)"),
        ));
    }
    Ok(())
}

/// Appends the path parameter `name` to `path` as exactly one URL path segment, what the generated
/// clients put into their URLs: checked by [`check_path_segment`] first, then every byte outside
/// `A-Z a-z 0-9 - _ . ~` percent-encoded, so `/`, `\`, `%`, `?` and `#` cannot end the segment, start
/// another or open a query. (The dot segments `.` and `..`, which a URL parser resolves away whatever
/// their encoding, are refused by the check.)
pub fn push_path_param(path: &mut String, name: &str, value: &str) -> Result<(), crate::Violation> {
    check_path_segment(name, value)?;
    encode_into(path, value);
    Ok(())
}

/// The length of `s` once encoded by [`encode_into`].
pub fn encoded_len(s: &str) -> usize {
    percent_encoding::utf8_percent_encode(s, RFC3986).map(str::len).sum()
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
    let out = &mut buf[..2 * bytes.len()];
    hex::encode_to_slice(bytes, out).expect("the buffer is twice as long as the bytes");
    std::str::from_utf8(out).expect("hex digits are ASCII")
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
    fn a_path_parameter_stays_one_segment_or_is_refused_by_name() {
        use super::{MAX_PATH_SEGMENT_BYTES, check_path_segment, encoded_len, push_path_param};
        for id in [
            "x\\..\\..\\v4\\p\\nodes\\n",
            "a/b",
            "..%2F",
            "%2e%2e",
            "a?b#c",
            "\\",
            ". ",
            "...",
            "é",
        ] {
            let mut seg = String::new();
            push_path_param(&mut seg, "node_id", id).unwrap();
            assert!(
                seg.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~%".contains(&b)),
                "{seg}"
            );
            assert_ne!(seg, ".");
            assert_ne!(seg, "..");
            assert_eq!(encoded_len(id), seg.len());
            // The URL parser keeps it as one segment, and it decodes back to the id.
            let url = url::Url::parse(&format!("https://h/v3/p/nodes/{seg}/session")).unwrap();
            let segs: Vec<&str> = url.path_segments().unwrap().collect();
            assert_eq!(segs.len(), 5, "{id} -> {url}");
            assert_eq!(percent_encoding::percent_decode_str(segs[3]).decode_utf8().unwrap(), id);
        }
        for (id, rule) in [
            ("", "must not be empty"),
            (".", "must not be `.` or `..`"),
            ("..", "must not be `.` or `..`"),
        ] {
            let mut path = String::from("/v3/");
            let v = push_path_param(&mut path, "instance_id", id).unwrap_err();
            assert_eq!(v.field, "instance_id");
            assert!(v.rule.starts_with(rule), "{}", v.rule);
            assert_eq!(path, "/v3/", "nothing is written for a refused parameter");
        }
        let long = "a".repeat(MAX_PATH_SEGMENT_BYTES);
        assert!(check_path_segment("instance_id", &long).is_ok());
        let v = check_path_segment("instance_id", &"/".repeat(MAX_PATH_SEGMENT_BYTES / 3 + 1)).unwrap_err();
        assert_eq!(v.field, "instance_id");
        assert!(v.rule.contains("at most 4096 bytes"), "{}", v.rule);
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
