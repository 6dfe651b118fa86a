//! ACS3-HMAC-SHA256 (Alibaba Cloud signature V3) as a pure function of the request parts, the
//! AccessKey secret, the time and the nonce (both already among the headers).
//!
//! ```text
//! CanonicalRequest = METHOD \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n HashedPayload
//! StringToSign     = "ACS3-HMAC-SHA256" \n HexSha256(CanonicalRequest)
//! Signature        = Hex(HMAC-SHA256(AccessKeySecret, StringToSign))
//! Authorization    = "ACS3-HMAC-SHA256 Credential={AccessKeyId},SignedHeaders={names},Signature={sig}"
//! ```

use dbops_core::signing::{SigningKey, canonical_headers_into, push_sha256_hex, sha256_hex};

pub use dbops_core::signing::canonical_query_into;

/// The algorithm name, first word of the `Authorization` header.
pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// Hex SHA-256 of the empty body, the `x-acs-content-sha256` of every RPC call.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The query of a request to sign.
#[derive(Debug, Clone, Copy)]
pub enum Query<'a> {
    /// Decoded pairs in any order; they are sorted and encoded.
    Pairs(&'a [(&'a str, &'a str)]),
    /// A query already in canonical form (sorted, RFC 3986 encoded), as the runtime builds it for the
    /// wire; used as it is.
    Canonical(&'a str),
}

/// The parts of a request that the signature covers.
#[derive(Debug, Clone, Copy)]
pub struct SignableRequest<'a> {
    /// `POST` for RPC calls.
    pub method: &'a str,
    /// The canonical URI: `/` for RPC calls.
    pub path: &'a str,
    /// The query.
    pub query: Query<'a>,
    /// The headers to sign: `host`, `content-type` when sent, and every `x-acs-*`; any case, any order.
    pub headers: &'a [(&'a str, &'a str)],
    /// Hex SHA-256 of the body (the `x-acs-content-sha256` value).
    pub hashed_payload: &'a str,
}

/// The outcome of signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// `host;x-acs-action;…`
    pub signed_headers: String,
    /// Lowercase hex.
    pub signature: String,
}

impl Signature {
    /// The `Authorization` header value.
    pub fn authorization(&self, access_key_id: &str) -> String {
        [
            ALGORITHM,
            " Credential=",
            access_key_id,
            ",SignedHeaders=",
            &self.signed_headers,
            ",Signature=",
            &self.signature,
        ]
        .concat()
    }
}

/// The canonical request and the signed-header list.
pub fn canonical_request(req: &SignableRequest<'_>) -> (String, String) {
    let mut out = String::with_capacity(512);
    out.push_str(req.method);
    out.push('\n');
    out.push_str(req.path);
    out.push('\n');
    match req.query {
        Query::Pairs(pairs) => canonical_query_into(&mut out, pairs),
        Query::Canonical(q) => out.push_str(q),
    }
    out.push('\n');
    let signed = canonical_headers_into(&mut out, req.headers);
    out.push_str(&signed);
    out.push('\n');
    out.push_str(req.hashed_payload);
    (out, signed)
}

/// Signs a request with the AccessKey secret.
pub fn sign(req: &SignableRequest<'_>, access_key_secret: &str) -> Signature {
    sign_with(req, &SigningKey::new(access_key_secret))
}

/// As [`sign`], with a key prepared once for many signatures.
pub fn sign_with(req: &SignableRequest<'_>, key: &SigningKey) -> Signature {
    let (canonical, signed_headers) = canonical_request(req);
    // The string to sign, fed to the HMAC piece by piece.
    let hash = sha256_hex(canonical.as_bytes());
    Signature {
        signed_headers,
        signature: key.sign_hex_parts(&[ALGORITHM.as_bytes(), b"\n", hash.as_str().as_bytes()]),
    }
}

/// The string to sign for a canonical request: the algorithm, then the canonical request's hash.
pub fn string_to_sign(canonical: &str) -> String {
    let mut sts = String::with_capacity(ALGORITHM.len() + 65);
    sts.push_str(ALGORITHM);
    sts.push('\n');
    push_sha256_hex(&mut sts, canonical.as_bytes());
    sts
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn hex_sha256(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(64);
    push_sha256_hex(&mut s, bytes);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTOR_HEADERS: [(&str, &str); 6] = [
        ("host", "ecs.cn-shanghai.aliyuncs.com"),
        ("x-acs-action", "RunInstances"),
        ("x-acs-version", "2014-05-26"),
        ("x-acs-date", "2023-10-26T10:22:32Z"),
        ("x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d"),
        ("x-acs-content-sha256", EMPTY_SHA256),
    ];

    #[test]
    fn alibaba_v3_documentation_vector() {
        let req = SignableRequest {
            method: "POST",
            path: "/",
            query: Query::Pairs(&[
                ("RegionId", "cn-shanghai"),
                ("ImageId", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"),
            ]),
            headers: &VECTOR_HEADERS,
            hashed_payload: EMPTY_SHA256,
        };
        let (canonical, signed) = canonical_request(&req);
        assert_eq!(
            signed,
            "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version"
        );
        assert_eq!(
            hex_sha256(canonical.as_bytes()),
            "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259"
        );
        let sig = sign(&req, "YourAccessKeySecret");
        assert_eq!(
            sig.signature,
            "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
        );
        assert_eq!(
            sig.authorization("YourAccessKeyId"),
            "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;\
             x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
        );
    }

    fn query_line(query: &[(&str, &str)]) -> String {
        let mut s = String::new();
        canonical_query_into(&mut s, query);
        s
    }

    #[test]
    fn canonical_query_edge_cases() {
        let cases: [(&str, &[(&str, &str)], &str); 6] = [
            ("empty value", &[("NodeId", ""), ("A", "1")], "A=1&NodeId="),
            (
                "reserved characters",
                &[("DbUserPassword", "p@ss w*rd+/=&")],
                "DbUserPassword=p%40ss%20w%2Ard%2B%2F%3D%26",
            ),
            ("unicode", &[("DbUser", "用户")], "DbUser=%E7%94%A8%E6%88%B7"),
            (
                "JSON-array text",
                &[("IgnoredUsers", "[\"u1\",\"u 2\"]")],
                "IgnoredUsers=%5B%22u1%22%2C%22u%202%22%5D",
            ),
            (
                "integer array",
                &[("SessionIds", "[10805639,10805623]")],
                "SessionIds=%5B10805639%2C10805623%5D",
            ),
            (
                "sorted bytewise: uppercase before lowercase",
                &[("b", "1"), ("B", "2"), ("a", "3")],
                "B=2&a=3&b=1",
            ),
        ];
        for (what, query, want) in cases {
            assert_eq!(query_line(query), want, "{what}");
        }
    }

    #[test]
    fn a_canonical_query_is_used_as_given_and_signs_like_its_pairs() {
        let pairs = [("SessionIds", "[1,2]"), ("DbUser", "u 1")];
        let mut canonical = String::new();
        canonical_query_into(&mut canonical, &pairs);
        assert_eq!(canonical, "DbUser=u%201&SessionIds=%5B1%2C2%5D");
        let with_pairs = SignableRequest {
            method: "POST",
            path: "/",
            query: Query::Pairs(&pairs),
            headers: &VECTOR_HEADERS,
            hashed_payload: EMPTY_SHA256,
        };
        let with_canonical = SignableRequest {
            query: Query::Canonical(&canonical),
            ..with_pairs
        };
        // Both forms give the query line written out by hand (the vectors in tests/vectors pin the
        // signatures).
        for req in [&with_pairs, &with_canonical] {
            let (canonical, _) = canonical_request(req);
            assert_eq!(
                canonical.split('\n').nth(2),
                Some("DbUser=u%201&SessionIds=%5B1%2C2%5D")
            );
        }
    }

    #[test]
    fn host_with_port_is_signed_as_given() {
        let mut headers = VECTOR_HEADERS;
        headers[0] = ("host", "127.0.0.1:8443");
        let req = SignableRequest {
            method: "POST",
            path: "/",
            query: Query::Pairs(&[]),
            headers: &headers,
            hashed_payload: EMPTY_SHA256,
        };
        let (canonical, signed) = canonical_request(&req);
        assert_eq!(canonical.split('\n').nth(3), Some("host:127.0.0.1:8443"));
        assert!(signed.starts_with("host;"), "{signed}");
    }
}
