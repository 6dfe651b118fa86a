//! Loading a spec: strict JSON (duplicate keys are errors), OpenAPI 3.0.x checks, the `x-` extensions,
//! `$ref` targets and operation ids.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::Path;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{SpecError, push};

/// HTTP methods an OpenAPI path item may hold.
pub const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// The `x-` extensions the specs may use, and where. `specs/README.md` documents each one.
pub const EXTENSIONS: &[(&str, &str)] = &[
    ("x-api-style", "document root: `huawei-rest` or `acs-rpc`"),
    ("x-acs-action", "operation of an `acs-rpc` spec: the RPC Action name"),
    (
        "x-iam-action",
        "operation: the IAM/RAM action that authorizes it (documentation)",
    ),
    (
        "x-doc-choice",
        "anywhere: where the vendor docs contradict themselves, the choice made and why",
    ),
    ("x-signing", "security scheme: the request-signing algorithm"),
    (
        "x-upstream",
        "parameter or property: the vendor definition's value this spec departs from on purpose, and `why`",
    ),
    (
        "x-region",
        "server: the one region this server entry serves (an exception to the regional URL pattern)",
    ),
    (
        "x-secret",
        "parameter or property schema: the value is a secret (masked in Debug, never logged)",
    ),
    (
        "x-at-least-one-of",
        "object schema: at least one of these properties must be present and non-empty",
    ),
    (
        "x-integer-text",
        "string schema: the text is a decimal integer within {minimum, maximum}",
    ),
    (
        "x-from-credentials",
        "path parameter: filled from the client's credentials (`project_id`), not set by callers",
    ),
    (
        "x-absent-when",
        "parameter schema: {param, value, why}: must be left out while boolean `param` is `value`",
    ),
    (
        "x-reply-outcome",
        "response schema: {success, code, message, requestId}: the fields of a success reply that report failure",
    ),
    (
        "x-pagination",
        "operation: {offset, limit, items, total}: an offset/limit list, walked by the generated `collect_all`",
    ),
    (
        "x-wait",
        "operation: {done: {field, equals|in}, state, carry}: called again until done, by the generated `wait`",
    ),
    (
        "x-source",
        "anywhere: the official SDK file a fact comes from (documentation)",
    ),
    (
        "x-json-array-text",
        "string schema of a parameter: the value is JSON-array text of this array schema",
    ),
];

/// The API styles the generator knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiStyle {
    /// REST paths and JSON bodies, signed with SDK-HMAC-SHA256 (Huawei Cloud).
    HuaweiRest,
    /// RPC style: `POST /`, Action and Version in headers, parameters in the query (Alibaba Cloud).
    AcsRpc,
}

/// A spec that passed every check.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Where it was read from.
    pub file: std::path::PathBuf,
    /// The document.
    pub doc: Value,
    /// Lowercase hex SHA-256 of the file's bytes.
    pub sha256: String,
    /// Its style.
    pub style: ApiStyle,
}

/// Reads and checks a spec file.
pub fn load(file: &Path) -> Result<Spec, SpecError> {
    let text =
        std::fs::read_to_string(file).map_err(|e| SpecError::new(file, "", format!("cannot read the file: {e}")))?;
    load_str(file, &text)
}

/// Checks a spec given as text; `file` names it in errors.
pub fn load_str(file: &Path, text: &str) -> Result<Spec, SpecError> {
    check_duplicate_keys(file, text)?;
    let doc: Value =
        serde_json::from_str(text).map_err(|e| SpecError::new(file, "", format!("malformed JSON: {e}")))?;
    let style = check_document(file, &doc)?;
    let sha256 = hex::encode(Sha256::digest(text.as_bytes()));
    Ok(Spec {
        file: file.to_path_buf(),
        doc,
        sha256,
        style,
    })
}

fn check_duplicate_keys(file: &Path, text: &str) -> Result<(), SpecError> {
    let found = RefCell::new(None);
    let failed_at = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let result = DupCheck {
        pointer: String::new(),
        found: &found,
        failed_at: &failed_at,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    if let Some((pointer, key)) = found.into_inner() {
        return Err(SpecError::new(
            file,
            pointer,
            format!("duplicate key `{key}` (JSON keeps only one of them)"),
        ));
    }
    let pointer = failed_at.into_inner().unwrap_or_default();
    result.map_err(|e| SpecError::new(file, pointer, format!("malformed JSON: {e}")))
}

struct DupCheck<'a> {
    pointer: String,
    found: &'a RefCell<Option<(String, String)>>,
    /// The innermost value being read when the JSON broke.
    failed_at: &'a RefCell<Option<String>>,
}

impl DupCheck<'_> {
    fn note<T, E>(&self, pointer: &str, r: Result<T, E>) -> Result<T, E> {
        if r.is_err() && self.failed_at.borrow().is_none() {
            *self.failed_at.borrow_mut() = Some(pointer.to_string());
        }
        r
    }
}

impl<'de> DeserializeSeed<'de> for DupCheck<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DupCheck<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        loop {
            let pointer = format!("{}/{i}", self.pointer);
            let next = seq.next_element_seed(DupCheck {
                pointer: pointer.clone(),
                found: self.found,
                failed_at: self.failed_at,
            });
            if self.note(&pointer, next)?.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = self.note(&self.pointer, map.next_key::<String>())? {
            let pointer = push(&self.pointer, &key);
            if !seen.insert(key.clone()) {
                *self.found.borrow_mut() = Some((self.pointer.clone(), key));
                return Err(de::Error::custom("duplicate key"));
            }
            let value = map.next_value_seed(DupCheck {
                pointer: pointer.clone(),
                found: self.found,
                failed_at: self.failed_at,
            });
            self.note(&pointer, value)?;
        }
        Ok(())
    }
}

fn check_document(file: &Path, doc: &Value) -> Result<ApiStyle, SpecError> {
    let err = |p: &str, m: String| SpecError::new(file, p, m);
    let root = doc
        .as_object()
        .ok_or_else(|| err("", "the document must be a JSON object".into()))?;
    match root.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.0.") => {}
        Some(v) => {
            return Err(err(
                "/openapi",
                format!("OpenAPI version `{v}` is not supported: only 3.0.x is"),
            ));
        }
        None => {
            return Err(err(
                "/openapi",
                "missing the `openapi` version string (3.0.x required)".into(),
            ));
        }
    }
    let info = root
        .get("info")
        .and_then(Value::as_object)
        .ok_or_else(|| err("/info", "missing the `info` object".into()))?;
    for key in ["title", "version"] {
        if !info.get(key).is_some_and(Value::is_string) {
            return Err(err(&push("/info", key), format!("missing `info.{key}` (a string)")));
        }
    }
    check_extensions(file, doc, "")?;
    check_refs(file, doc, doc, "")?;

    let style = match root.get("x-api-style").and_then(Value::as_str) {
        Some("huawei-rest") => ApiStyle::HuaweiRest,
        Some("acs-rpc") => ApiStyle::AcsRpc,
        Some(other) => {
            return Err(err(
                "/x-api-style",
                format!("unknown API style `{other}` (known: huawei-rest, acs-rpc)"),
            ));
        }
        None => {
            return Err(err(
                "/x-api-style",
                "missing `x-api-style` (huawei-rest or acs-rpc)".into(),
            ));
        }
    };

    let paths = root
        .get("paths")
        .and_then(Value::as_object)
        .ok_or_else(|| err("/paths", "missing the `paths` object".into()))?;
    if paths.is_empty() {
        return Err(err("/paths", "the spec has no operations".into()));
    }
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    let mut actions: BTreeMap<String, String> = BTreeMap::new();
    for (path, item) in paths {
        let item_ptr = push("/paths", path);
        if !path.starts_with('/') {
            return Err(err(&item_ptr, format!("path `{path}` must start with `/`")));
        }
        let item = item
            .as_object()
            .ok_or_else(|| err(&item_ptr, "a path item must be an object".into()))?;
        for (method, op) in item.iter().filter(|(k, _)| METHODS.contains(&k.as_str())) {
            let op_ptr = push(&item_ptr, method);
            let op = op
                .as_object()
                .ok_or_else(|| err(&op_ptr, "an operation must be an object".into()))?;
            let id = match op.get("operationId") {
                Some(Value::String(id)) if !id.is_empty() => id,
                _ => {
                    return Err(err(
                        &op_ptr,
                        format!("the {} operation on `{path}` has no operationId", method.to_uppercase()),
                    ));
                }
            };
            let snake = crate::snake_case(id);
            if let Some(first) = ids.insert(snake.clone(), op_ptr.clone()) {
                return Err(err(
                    &push(&op_ptr, "operationId"),
                    format!("duplicate operation `{id}` (same Rust name `{snake}` as the operation at #{first})"),
                ));
            }
            if style == ApiStyle::AcsRpc {
                let action = op
                    .get("x-acs-action")
                    .and_then(Value::as_str)
                    .ok_or_else(|| err(&op_ptr, "an acs-rpc operation needs `x-acs-action`".into()))?;
                if let Some(first) = actions.insert(action.to_string(), op_ptr.clone()) {
                    return Err(err(
                        &push(&op_ptr, "x-acs-action"),
                        format!("duplicate action `{action}` (also at #{first})"),
                    ));
                }
                if method != "post" {
                    return Err(err(
                        &op_ptr,
                        "acs-rpc operations are sent as POST; declare them under `post`".into(),
                    ));
                }
                if op.contains_key("requestBody") {
                    return Err(err(
                        &push(&op_ptr, "requestBody"),
                        "acs-rpc operations carry every parameter in the query; no requestBody".into(),
                    ));
                }
            }
            if let Some(params) = op.get("parameters").and_then(Value::as_array) {
                for (i, p) in params.iter().enumerate() {
                    let p_ptr = push(&push(&op_ptr, "parameters"), &i.to_string());
                    let p = resolve(doc, p);
                    let loc = p.get("in").and_then(Value::as_str).unwrap_or("");
                    if style == ApiStyle::AcsRpc && loc != "query" {
                        return Err(err(
                            &push(&p_ptr, "in"),
                            format!("acs-rpc parameters go in the query, not `{loc}`"),
                        ));
                    }
                    if loc == "path"
                        && !path.contains(&format!("{{{}}}", p.get("name").and_then(Value::as_str).unwrap_or("")))
                    {
                        return Err(err(
                            &push(&p_ptr, "name"),
                            "path parameter does not appear in the path template".into(),
                        ));
                    }
                }
            }
        }
    }
    Ok(style)
}

/// Follows a local `$ref` (already checked to resolve) once.
pub fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
        Some(p) => doc.pointer(p).unwrap_or(v),
        None => v,
    }
}

fn check_extensions(file: &Path, v: &Value, pointer: &str) -> Result<(), SpecError> {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let p = push(pointer, k);
                // Keys under `properties` and `paths` name things; they are not keywords.
                let is_name_map =
                    pointer.ends_with("/properties") || pointer == "/paths" || pointer.ends_with("/schemas");
                if !is_name_map && k.starts_with("x-") {
                    if !EXTENSIONS.iter().any(|(name, _)| name == k) {
                        let known: Vec<_> = EXTENSIONS.iter().map(|(n, _)| *n).collect();
                        return Err(SpecError::new(
                            file,
                            p,
                            format!("unknown extension `{k}` (known: {})", known.join(", ")),
                        ));
                    }
                    check_extension_value(file, k, child, map, &p)?;
                }
                check_extensions(file, child, &p)?;
            }
            Ok(())
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                check_extensions(file, child, &format!("{pointer}/{i}"))?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn check_extension_value(
    file: &Path,
    name: &str,
    v: &Value,
    owner: &serde_json::Map<String, Value>,
    pointer: &str,
) -> Result<(), SpecError> {
    let err = |m: &str| Err(SpecError::new(file, pointer, format!("`{name}`: {m}")));
    match name {
        "x-secret" if !v.is_boolean() => err("must be true or false"),
        "x-at-least-one-of" => {
            let Some(names) = v.as_array().filter(|a| a.len() >= 2 && a.iter().all(Value::is_string)) else {
                return err("must list two or more property names");
            };
            let props = owner.get("properties").and_then(Value::as_object);
            for n in names.iter().filter_map(Value::as_str) {
                if !props.is_some_and(|p| p.contains_key(n)) {
                    return err(&format!("names `{n}`, which is not a property of this schema"));
                }
            }
            Ok(())
        }
        "x-integer-text" => {
            if owner.get("type").and_then(Value::as_str) != Some("string") {
                return err("belongs on a schema of type string");
            }
            let min = v.get("minimum").and_then(Value::as_i64);
            let max = v.get("maximum").and_then(Value::as_i64);
            match (min, max) {
                (Some(a), Some(b)) if a <= b => Ok(()),
                _ => err("needs integer `minimum` and `maximum` with minimum <= maximum"),
            }
        }
        "x-json-array-text" => {
            if owner.get("type").and_then(Value::as_str) != Some("string") {
                return err("belongs on a schema of type string");
            }
            if v.get("type").and_then(Value::as_str) != Some("array") || v.get("items").is_none() {
                return err("must be an array schema with `items`");
            }
            Ok(())
        }
        "x-absent-when" => {
            let ok = v.get("param").is_some_and(Value::is_string)
                && v.get("value").is_some_and(Value::is_boolean)
                && v.get("why").is_some_and(Value::is_string);
            if ok {
                Ok(())
            } else {
                err("needs `param` (a string), `value` (true or false) and `why` (a string)")
            }
        }
        "x-reply-outcome" => {
            let Some(map) = v.as_object().filter(|m| m.contains_key("success")) else {
                return err("must be an object naming at least `success`");
            };
            for (k, name) in map {
                if !["success", "code", "message", "requestId"].contains(&k.as_str()) {
                    return err(&format!("unknown key `{k}` (known: success, code, message, requestId)"));
                }
                let Some(name) = name.as_str() else {
                    return err(&format!("`{k}` must name a property"));
                };
                if !owner
                    .get("properties")
                    .and_then(Value::as_object)
                    .is_some_and(|p| p.contains_key(name))
                {
                    return err(&format!("`{k}` names `{name}`, which is not a property of this schema"));
                }
            }
            Ok(())
        }
        "x-pagination" | "x-wait" if !v.is_object() => err("must be an object"),
        "x-upstream" if !v.get("why").is_some_and(Value::is_string) => {
            err("must be an object with `why`, the reason for the difference, besides the upstream values")
        }
        "x-api-style" | "x-acs-action" | "x-iam-action" | "x-doc-choice" | "x-signing" | "x-region"
        | "x-from-credentials" | "x-source"
            if !v.is_string() =>
        {
            err("must be a string")
        }
        _ => Ok(()),
    }
}

fn check_refs(file: &Path, doc: &Value, v: &Value, pointer: &str) -> Result<(), SpecError> {
    match v {
        Value::Object(map) => {
            if let Some(r) = map.get("$ref") {
                let p = push(pointer, "$ref");
                let target = r
                    .as_str()
                    .ok_or_else(|| SpecError::new(file, p.clone(), "`$ref` must be a string"))?;
                let Some(local) = target.strip_prefix('#') else {
                    return Err(SpecError::new(
                        file,
                        p,
                        format!("`$ref` `{target}` is not local to this document"),
                    ));
                };
                if doc.pointer(local).is_none() {
                    return Err(SpecError::new(
                        file,
                        p,
                        format!("dangling `$ref`: `{target}` points at nothing"),
                    ));
                }
            }
            for (k, child) in map {
                check_refs(file, doc, child, &push(pointer, k))?;
            }
            Ok(())
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                check_refs(file, doc, child, &format!("{pointer}/{i}"))?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}
