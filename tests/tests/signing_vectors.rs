//! Signing evidence from outside the signers: the vendors' published vectors and hand-derived ones, kept
//! as data files under `tests/vectors/<provider>/<case>/` (one folder a case, as the
//! aws-signing-test-suite lays them out):
//!
//! - `request.txt`: the request as sent (request line, headers, blank line, body), `\r\n` line ends;
//! - `canonical-request.txt`, `string-to-sign.txt`, `authorization.txt`: what signing must produce;
//! - `context.json`: the credentials and where the case comes from;
//! - `published.json`: the figures the vendor published (canonical-request hash, signature), if any.
//!
//! `derive.py` there wrote the expected files from canonical requests written out by hand from the
//! vendors' algorithm descriptions, with Python's hashlib and hmac; it checks every published figure.
//! Each case is run through the pure signer and, when the request names its host, through the runtime's
//! signing of a real `reqwest::Request` (its choice of headers to sign included).

use std::path::{Path, PathBuf};

use dbops_core::signing::SigningKey;
use serde_json::Value;
use sha2::{Digest, Sha256};

struct Case {
    name: String,
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    canonical: String,
    string_to_sign: String,
    authorization: String,
    access_key: String,
    secret_key: String,
    published: Value,
}

impl Case {
    fn path(&self) -> &str {
        self.target.split_once('?').map_or(self.target.as_str(), |(p, _)| p)
    }

    fn raw_query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }

    fn query(&self) -> Vec<(String, String)> {
        let dec = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .unwrap()
                .into_owned()
        };
        self.raw_query()
            .split('&')
            .filter(|s| !s.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (dec(k), dec(v))
            })
            .collect()
    }

    /// The request's headers that the runtime's rule `signs` (given lowercase names) signs.
    fn signed_headers(&self, signs: fn(&str) -> bool) -> Vec<(&str, &str)> {
        self.headers
            .iter()
            .filter(|(k, _)| signs(&k.to_ascii_lowercase()))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The published figures hold for the expected files (they were derived by hand, so this checks
    /// the derivation, not the code).
    fn check_published(&self) {
        if let Some(hash) = self.published.get("canonical_request_sha256").and_then(Value::as_str) {
            let got: String = Sha256::digest(self.canonical.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(
                got, hash,
                "{}: hand-written canonical request vs the published hash",
                self.name
            );
        }
        if let Some(sig) = self.published.get("signature").and_then(Value::as_str) {
            assert!(
                self.authorization.ends_with(&format!("Signature={sig}")),
                "{}: expected authorization vs the published signature",
                self.name
            );
        }
    }

    /// The request as a `reqwest::Request` to `https://{Host}{target}`, without its `Host` header (the
    /// HTTP stack and the runtime derive it from the URL); `None` when the case names no host.
    fn reqwest(&self) -> Option<reqwest::Request> {
        let host = self.header("host")?;
        let url = format!("https://{host}{}", self.target).parse().unwrap();
        let mut request = reqwest::Request::new(self.method.parse().unwrap(), url);
        for (k, v) in self.headers.iter().filter(|(k, _)| !k.eq_ignore_ascii_case("host")) {
            request.headers_mut().append(
                reqwest::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        if !self.body.is_empty() {
            *request.body_mut() = Some(self.body.clone().into());
        }
        Some(request)
    }
}

fn cases(provider: &str) -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors").join(provider);
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.iter().map(|d| load(d)).collect()
}

fn load(dir: &Path) -> Case {
    let text = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap_or_else(|e| panic!("{}/{f}: {e}", dir.display()));
    let raw = std::fs::read(dir.join("request.txt")).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a blank line ends the head");
    let head = std::str::from_utf8(&raw[..split]).unwrap();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap().split(' ');
    let (method, target) = (first.next().unwrap().to_string(), first.next().unwrap().to_string());
    let headers = lines
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.to_string(), v.trim().to_string())
        })
        .collect();
    let context: Value = serde_json::from_str(&text("context.json")).unwrap();
    Case {
        name: dir.file_name().unwrap().to_string_lossy().into_owned(),
        method,
        target,
        headers,
        body: raw[split + 4..].to_vec(),
        canonical: text("canonical-request.txt"),
        string_to_sign: text("string-to-sign.txt"),
        authorization: text("authorization.txt"),
        access_key: context["access_key"].as_str().unwrap().to_string(),
        secret_key: context["secret_key"].as_str().unwrap().to_string(),
        published: serde_json::from_str(&text("published.json")).unwrap(),
    }
}

#[test]
fn huawei_vectors() {
    use huaweicloud_dbops::runtime::{authorization, signs_header};
    use huaweicloud_dbops::signer::{SignableRequest, canonical_request, sign, string_to_sign};
    let cases = cases("huawei");
    assert!(cases.len() >= 7, "{} cases", cases.len());
    let mut through_runtime = 0;
    for case in &cases {
        case.check_published();
        let date = case.header("x-sdk-date").unwrap();
        let query = case.query();
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let headers = case.signed_headers(signs_header);
        let req = SignableRequest {
            method: &case.method,
            path: case.path(),
            query: &query,
            headers: &headers,
            body: &case.body,
        };
        let (canonical, _) = canonical_request(&req);
        assert_eq!(canonical, case.canonical, "{}: canonical request", case.name);
        assert_eq!(
            string_to_sign(&canonical, date),
            case.string_to_sign,
            "{}: string to sign",
            case.name
        );
        assert_eq!(
            sign(&req, &case.secret_key, date).authorization(&case.access_key),
            case.authorization,
            "{}: authorization",
            case.name
        );
        if let Some(request) = case.reqwest() {
            let got = authorization(&request, &case.access_key, &SigningKey::new(&case.secret_key), date);
            assert_eq!(got, case.authorization, "{}: the runtime's signature", case.name);
            through_runtime += 1;
        }
    }
    assert!(through_runtime >= 5, "{through_runtime}");
}

#[test]
fn alibaba_vectors() {
    use alibabacloud_dbops::runtime::{authorization, signs_header};
    use alibabacloud_dbops::signer::{Query, SignableRequest, canonical_request, hex_sha256, sign, string_to_sign};
    let cases = cases("alibaba");
    assert!(cases.len() >= 2, "{} cases", cases.len());
    for case in &cases {
        case.check_published();
        let query = case.query();
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let headers = case.signed_headers(signs_header);
        let hashed = hex_sha256(&case.body);
        // Decoded pairs, canonicalized by the signer; and the query exactly as sent.
        for query in [Query::Pairs(&query), Query::Canonical(case.raw_query())] {
            let req = SignableRequest {
                method: &case.method,
                path: case.path(),
                query,
                headers: &headers,
                hashed_payload: &hashed,
            };
            let (canonical, _) = canonical_request(&req);
            assert_eq!(canonical, case.canonical, "{}: canonical request", case.name);
            assert_eq!(
                string_to_sign(&canonical),
                case.string_to_sign,
                "{}: string to sign",
                case.name
            );
            assert_eq!(
                sign(&req, &case.secret_key).authorization(&case.access_key),
                case.authorization,
                "{}: authorization",
                case.name
            );
        }
        let request = case.reqwest().expect("every Alibaba case names its host");
        let got = authorization(&request, &case.access_key, &SigningKey::new(&case.secret_key));
        assert_eq!(got, case.authorization, "{}: the runtime's signature", case.name);
    }
}

#[test]
fn the_underscore_rule_is_what_the_go_vectors_pin() {
    // Without the rule, the Go SDK's vectors would sign `test_underscore` too and not match.
    let case = cases("huawei")
        .into_iter()
        .find(|c| c.name == "go-sdk-get-underscore-header")
        .unwrap();
    assert!(case.header("TEST_UNDERSCORE").is_some());
    assert!(!huaweicloud_dbops::runtime::signs_header("test_underscore"));
    assert!(huaweicloud_dbops::runtime::signs_header("x-security-token"));
    assert!(!huaweicloud_dbops::runtime::signs_header("authorization"));
}
