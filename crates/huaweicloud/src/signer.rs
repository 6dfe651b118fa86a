//! SDK-HMAC-SHA256, the Huawei Cloud API gateway's AK/SK request signature, as a pure function of the
//! request parts, the key pair and the time.
//!
//! ```text
//! CanonicalRequest = METHOD \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n HexSha256(body)
//! StringToSign     = "SDK-HMAC-SHA256" \n X-Sdk-Date \n HexSha256(CanonicalRequest)
//! Signature        = Hex(HMAC-SHA256(SK, StringToSign))
//! Authorization    = "SDK-HMAC-SHA256 Access={AK}, SignedHeaders={names}, Signature={sig}"
//! ```

use dbops_core::encode::encode_into;
use dbops_core::signing::{SigningKey, canonical_headers_into, canonical_query_into, push_sha256_hex, sha256_hex};
use percent_encoding::percent_decode_str;

/// The algorithm name, first word of the `Authorization` header.
pub const ALGORITHM: &str = "SDK-HMAC-SHA256";

/// The parts of a request that the signature covers.
#[derive(Debug, Clone, Copy)]
pub struct SignableRequest<'a> {
    /// `GET`, `POST`, `DELETE`, …
    pub method: &'a str,
    /// The URL path as sent, percent-encoded or not (segments are decoded, then encoded canonically).
    pub path: &'a str,
    /// Decoded query pairs, in any order; repeated keys allowed.
    pub query: &'a [(&'a str, &'a str)],
    /// Headers to sign, `host` and `x-sdk-date` included; names in any case, any order.
    pub headers: &'a [(&'a str, &'a str)],
    /// The exact body bytes sent.
    pub body: &'a [u8],
}

/// The outcome of signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// `content-type;host;x-sdk-date`
    pub signed_headers: String,
    /// Lowercase hex.
    pub signature: String,
}

impl Signature {
    /// The `Authorization` header value.
    pub fn authorization(&self, access_key: &str) -> String {
        [
            ALGORITHM,
            " Access=",
            access_key,
            ", SignedHeaders=",
            &self.signed_headers,
            ", Signature=",
            &self.signature,
        ]
        .concat()
    }
}

/// The canonical request and the signed-header list.
pub fn canonical_request(req: &SignableRequest<'_>) -> (String, String) {
    let mut out = String::with_capacity(320 + req.path.len() + req.headers.len() * 32);
    out.push_str(req.method);
    out.push('\n');
    // CanonicalURI: each decoded segment encoded, always ending in '/'.
    for segment in req.path.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        if segment.contains('%') {
            encode_into(&mut out, &percent_decode_str(segment).decode_utf8_lossy());
        } else {
            encode_into(&mut out, segment);
        }
    }
    out.push_str("/\n");
    canonical_query_into(&mut out, req.query);
    out.push('\n');
    let signed = canonical_headers_into(&mut out, req.headers);
    out.push_str(&signed);
    out.push('\n');
    push_sha256_hex(&mut out, req.body);
    (out, signed)
}

/// The string to sign for a canonical request and an `X-Sdk-Date` value.
pub fn string_to_sign(canonical: &str, sdk_date: &str) -> String {
    let mut s = String::with_capacity(ALGORITHM.len() + sdk_date.len() + 66);
    s.push_str(ALGORITHM);
    s.push('\n');
    s.push_str(sdk_date);
    s.push('\n');
    push_sha256_hex(&mut s, canonical.as_bytes());
    s
}

/// Signs a request. `sdk_date` must be the `x-sdk-date` header value among `req.headers`.
pub fn sign(req: &SignableRequest<'_>, secret_key: &str, sdk_date: &str) -> Signature {
    sign_with(req, &SigningKey::new(secret_key), sdk_date)
}

/// As [`sign`], with a key prepared once for many signatures.
pub fn sign_with(req: &SignableRequest<'_>, key: &SigningKey, sdk_date: &str) -> Signature {
    let (canonical, signed_headers) = canonical_request(req);
    // The string to sign, fed to the HMAC piece by piece.
    let hash = sha256_hex(canonical.as_bytes());
    let signature = key.sign_hex_parts(&[
        ALGORITHM.as_bytes(),
        b"\n",
        sdk_date.as_bytes(),
        b"\n",
        hash.as_str().as_bytes(),
    ]);
    Signature {
        signed_headers,
        signature,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex_sha256(s: &str) -> String {
        let mut out = String::new();
        push_sha256_hex(&mut out, s.as_bytes());
        out
    }

    #[test]
    fn huawei_signing_guide_vector() {
        let req = SignableRequest {
            method: "GET",
            path: "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs",
            query: &[("limit", "2"), ("marker", "13551d6b-755d-4757-b956-536f674975c0")],
            headers: &[
                ("Content-Type", "application/json"),
                ("X-Sdk-Date", "20191115T033655Z"),
                ("host", "service.region.example.com"),
            ],
            body: b"",
        };
        let (canonical, signed) = canonical_request(&req);
        assert_eq!(signed, "content-type;host;x-sdk-date");
        assert_eq!(
            hex_sha256(&canonical),
            "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a"
        );
        let sig = sign(&req, "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc", "20191115T033655Z");
        assert_eq!(
            sig.signature,
            "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"
        );
        assert_eq!(
            sig.authorization("QTWAOYTTINDUT2QVKYUC"),
            "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, \
             Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"
        );
    }

    #[test]
    fn python_sdk_vectors() {
        let headers = [
            ("host", "service.endpoint.myhuaweicloud.com"),
            ("x-sdk-date", "20200608T023900Z"),
        ];
        let cases: [(&str, &[u8], &str); 2] = [
            (
                "GET",
                b"",
                "cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f128e12cd842",
            ),
            (
                "POST",
                br#"{"name":"test","id":1}"#,
                "436b1ac0a1ae03705934bb70ef2f2e09f7bfed2117d731a38235053199323a1f",
            ),
        ];
        for (method, body, want) in cases {
            let req = SignableRequest {
                method,
                path: "/resources",
                query: &[("size", "1")],
                headers: &headers,
                body,
            };
            let sig = sign(&req, "SecretKey", "20200608T023900Z");
            assert_eq!(sig.signed_headers, "host;x-sdk-date");
            assert_eq!(sig.signature, want, "{method}");
        }
    }

    fn canonical_line(req: &SignableRequest<'_>, line: usize) -> String {
        canonical_request(req).0.split('\n').nth(line).unwrap().to_string()
    }

    fn with(path: &'static str, query: &'static [(&'static str, &'static str)]) -> SignableRequest<'static> {
        SignableRequest {
            method: "GET",
            path,
            query,
            headers: &[("host", "h")],
            body: b"",
        }
    }

    #[test]
    fn canonical_query_vector_sorts_repeats_and_encodes() {
        let query = [
            ("limit", "1"),
            ("enable", "true"),
            ("test", "一 (&=?!#%.*)"),
            ("path", "/tmp/123"),
            ("multi", "3"),
            ("multi", "1"),
            ("multi", "2"),
        ];
        let req = SignableRequest {
            method: "GET",
            path: "/",
            query: &query,
            headers: &[("host", "h")],
            body: b"",
        };
        assert_eq!(
            canonical_line(&req, 2),
            "enable=true&limit=1&multi=1&multi=2&multi=3&path=%2Ftmp%2F123&test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29"
        );
    }

    #[test]
    fn edge_cases_of_the_canonical_request() {
        // (description, request, line of the canonical request, expected)
        let cases = [
            (
                "empty value keeps its '='",
                with("/a", &[("k", ""), ("a", "1")]),
                2,
                "a=1&k=",
            ),
            ("no query is an empty line", with("/a", &[]), 2, ""),
            (
                "reserved chars in values",
                with("/a", &[("q", "a+b c*~")]),
                2,
                "q=a%2Bb%20c%2A~",
            ),
            (
                "path gains a trailing slash",
                with("/v3/p/instances/i/process", &[]),
                1,
                "/v3/p/instances/i/process/",
            ),
            ("trailing slash kept once", with("/v3/p/", &[]), 1, "/v3/p/"),
            ("root path", with("/", &[]), 1, "/"),
            (
                "encoded segments decoded then encoded",
                with("/a%20b/%E4%B8%80", &[]),
                1,
                "/a%20b/%E4%B8%80/",
            ),
            ("reserved chars in segments", with("/a:b@c", &[]), 1, "/a%3Ab%40c/"),
        ];
        for (what, req, line, want) in cases {
            assert_eq!(canonical_line(&req, line), want, "{what}");
        }
    }

    #[test]
    fn body_hash_covers_the_exact_bytes_even_for_delete() {
        let headers = [("host", "h"), ("x-sdk-date", "20200101T000000Z")];
        let empty = SignableRequest {
            method: "DELETE",
            path: "/p",
            query: &[],
            headers: &headers,
            body: b"",
        };
        let (canonical, _) = canonical_request(&empty);
        assert!(canonical.ends_with("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        let body = br#"{"db_user_id":"x","user":"u"}"#;
        let with_body = SignableRequest { body, ..empty };
        let (canonical2, _) = canonical_request(&with_body);
        assert!(canonical2.starts_with("DELETE\n/p/\n\nhost:h\nx-sdk-date:20200101T000000Z\n\nhost;x-sdk-date\n"));
        assert!(!canonical2.ends_with("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        assert_ne!(
            sign(&empty, "k", "20200101T000000Z"),
            sign(&with_body, "k", "20200101T000000Z")
        );
        // One byte more changes the signature.
        let spaced = SignableRequest {
            body: br#"{"db_user_id":"x","user":"u"} "#,
            ..empty
        };
        assert_ne!(
            sign(&with_body, "k", "20200101T000000Z"),
            sign(&spaced, "k", "20200101T000000Z")
        );
    }

    #[test]
    fn header_names_are_lowercased_sorted_and_values_trimmed() {
        let headers = [
            ("X-Sdk-Date", " 20200101T000000Z "),
            ("Host", "h"),
            ("Content-Type", "application/json"),
        ];
        let req = SignableRequest {
            method: "POST",
            path: "/",
            query: &[],
            headers: &headers,
            body: b"",
        };
        let (canonical, signed) = canonical_request(&req);
        assert_eq!(signed, "content-type;host;x-sdk-date");
        assert!(canonical.contains("content-type:application/json\nhost:h\nx-sdk-date:20200101T000000Z\n\n"));
    }
}
