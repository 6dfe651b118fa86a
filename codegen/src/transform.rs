//! Provider-style transforms: from the faithful, hand-written spec to the document progenitor generates
//! from, plus the per-operation facts progenitor cannot carry (wire path, RPC action, local rules).
//!
//! What changes, and why:
//! - Constraint keywords (`pattern`, `minLength`, `maxLength`, `minItems`, `maxItems`, `minimum`,
//!   `maximum`, and every `x-` rule) become [`Rule`]s checked by the runtime before anything is sent,
//!   and are removed from the generator's input so the Rust API takes plain `String`s and numbers.
//! - `x-secret` schemas become a reference to `SecretString`, replaced by the runtime's masking type.
//! - Error responses (4xx/5xx) are removed: the runtime reads every non-success reply itself, so a
//!   malformed error body still yields the HTTP status, code and request id.
//! - A success response whose schema is an empty object (`{}`) carries no information: it is treated as
//!   having no body, so both `{}` and an empty reply succeed.
//! - `acs-rpc`: each operation's query parameters become one JSON request-body type (JSON-array-text
//!   parameters become real arrays); the runtime turns that body back into the RPC query string, sends
//!   `POST /` and carries the Action and Version in headers. The pseudo path only keeps operations apart.

use serde_json::{Map, Value, json};

use crate::error::{SpecError, push};
use crate::load::{ApiStyle, METHODS, Spec, resolve};

/// Where a checked value sits in the request, as the runtime sees it before sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loc {
    /// A path template parameter.
    Path(String),
    /// A query parameter.
    Query(String),
    /// A header.
    Header(String),
    /// A top-level property of the JSON request body (empty: the body itself).
    Body(String),
}

/// One local check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    Pattern(String),
    MinLength(u64),
    MaxLength(u64),
    MinItems(u64),
    MaxItems(u64),
    Minimum(i64),
    Maximum(i64),
    IntegerText { min: i64, max: i64 },
    AtLeastOneOf(Vec<String>),
}

/// A check bound to a request field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub loc: Loc,
    /// Applies to each item of an array value rather than to the value.
    pub each: bool,
    pub check: Check,
}

/// What the runtime needs to know of one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationMeta {
    /// The vendor's operation name, as in the spec (`DeleteProcess`).
    pub name: String,
    /// The Rust name progenitor gives it (`delete_process`).
    pub id: String,
    /// The HTTP method on the wire.
    pub method: String,
    /// The path template on the wire.
    pub path: String,
    /// The RPC Action, for `acs-rpc` specs.
    pub rpc_action: Option<String>,
    /// Local checks, in spec order.
    pub rules: Vec<Rule>,
    /// Request fields holding secrets.
    pub secrets: Vec<String>,
    /// The JSON request body's generated type, which the runtime reads field by field.
    pub body: Option<BodyMeta>,
}

/// A request-body type as the runtime reads it: its fields, for the local rules and (RPC) the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyMeta {
    /// The schema name, which is also the generated type's name.
    pub type_name: String,
    /// The fields, sorted bytewise by wire name.
    pub fields: Vec<BodyField>,
}

/// One top-level field of a request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyField {
    /// The name on the wire.
    pub wire: String,
    /// The Rust field name progenitor gives it.
    pub rust: String,
    pub kind: FieldKind,
    pub required: bool,
}

/// The body field types the runtime reads without going through JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Str,
    Secret,
    Int,
    Bool,
    Strs,
    Ints,
}

/// The transformed document and the operation facts.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub doc: Value,
    pub openapi: openapiv3::OpenAPI,
    pub operations: Vec<OperationMeta>,
    pub version: String,
    pub has_secrets: bool,
    /// The endpoint used when no region is chosen: the first server, variables at their defaults.
    pub default_endpoint: String,
    /// Region → endpoint, from the first server's `region` variable and the `x-region` servers.
    pub regions: Vec<(String, String)>,
}

const CONSTRAINTS: [&str; 7] = [
    "pattern",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minimum",
    "maximum",
];

/// Applies the transforms for the spec's style.
pub fn prepare(spec: &Spec) -> Result<Prepared, SpecError> {
    let src = &spec.doc;
    let mut doc = src.clone();
    let mut operations = Vec::new();
    let mut new_schemas = Map::new();
    let mut has_secrets = false;
    // (operation index, schema name, where the body is declared)
    let mut body_types: Vec<(usize, String, String)> = Vec::new();

    let paths = src["paths"].as_object().expect("checked by load");
    for (path, item) in paths {
        for (method, op) in item
            .as_object()
            .expect("checked")
            .iter()
            .filter(|(k, _)| METHODS.contains(&k.as_str()))
        {
            let name = op["operationId"].as_str().expect("checked").to_string();
            let mut meta = OperationMeta {
                id: crate::snake_case(&name),
                name: name.clone(),
                method: method.to_uppercase(),
                path: path.clone(),
                rpc_action: op.get("x-acs-action").and_then(Value::as_str).map(str::to_string),
                rules: Vec::new(),
                secrets: Vec::new(),
                body: None,
            };
            let op_ptr = push(&push("/paths", path), method);
            let out_op = doc.pointer_mut(&op_ptr).expect("same document");

            let params: Vec<Value> = op
                .get("parameters")
                .and_then(Value::as_array)
                .map(|ps| ps.iter().map(|p| resolve(src, p).clone()).collect())
                .unwrap_or_default();

            match spec.style {
                ApiStyle::HuaweiRest => {
                    for p in &params {
                        let pname = p["name"].as_str().unwrap_or_default().to_string();
                        let loc = match p["in"].as_str() {
                            Some("path") => Loc::Path(pname.clone()),
                            Some("header") => Loc::Header(pname.clone()),
                            _ => Loc::Query(pname.clone()),
                        };
                        collect_rules(src, &p["schema"], loc, &mut meta);
                    }
                    if let Some(body) = op.pointer("/requestBody/content/application~1json/schema") {
                        if let Some(name) = body
                            .get("$ref")
                            .and_then(Value::as_str)
                            .and_then(|r| r.strip_prefix("#/components/schemas/"))
                        {
                            body_types.push((operations.len(), name.to_string(), push(&op_ptr, "requestBody")));
                        } else {
                            return Err(SpecError::new(
                                &spec.file,
                                push(&op_ptr, "requestBody"),
                                "a JSON request body must be a `$ref` to a named schema under components/schemas",
                            ));
                        }
                        let body = resolve(src, body);
                        collect_object_rules(src, body, &mut meta);
                    }
                }
                ApiStyle::AcsRpc => {
                    meta.method = "POST".into();
                    meta.path = "/".into();
                    let mut props = Map::new();
                    let mut required = Vec::new();
                    for p in &params {
                        let pname = p["name"].as_str().unwrap_or_default().to_string();
                        collect_rules(src, &p["schema"], Loc::Body(pname.clone()), &mut meta);
                        let mut schema = p["schema"].clone();
                        if let Some(inner) = schema.get("x-json-array-text") {
                            schema = inner.clone();
                        }
                        if let (Some(d), Some(obj)) = (p.get("description"), schema.as_object_mut()) {
                            obj.insert("description".into(), d.clone());
                        }
                        props.insert(pname.clone(), schema);
                        if p["required"].as_bool() == Some(true) {
                            required.push(Value::String(pname));
                        }
                    }
                    let body_name = format!("{name}Request");
                    body_types.push((operations.len(), body_name.clone(), op_ptr.clone()));
                    new_schemas.insert(
                        body_name.clone(),
                        json!({
                            "type": "object",
                            "description": format!("Parameters of the {name} action. On the wire they travel in the query string of `POST /`."),
                            "required": required,
                            "properties": props,
                        }),
                    );
                    let o = out_op.as_object_mut().expect("object");
                    o.remove("parameters");
                    o.insert(
                        "requestBody".into(),
                        json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{body_name}")}}}}),
                    );
                }
            }

            // Keep success responses only; an empty-object success schema means "no body".
            if let Some(responses) = out_op.get_mut("responses").and_then(Value::as_object_mut) {
                responses.retain(|code, _| code.starts_with('2'));
                for r in responses.values_mut() {
                    let empty = r
                        .pointer("/content/application~1json/schema")
                        .map(|s| resolve(src, s))
                        .is_some_and(|s| {
                            s.get("properties")
                                .and_then(Value::as_object)
                                .is_some_and(Map::is_empty)
                        });
                    if empty {
                        r.as_object_mut().expect("object").remove("content");
                    }
                }
            }
            has_secrets |= !meta.secrets.is_empty();
            operations.push(meta);
        }
    }

    if let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
        schemas.extend(new_schemas);
    } else {
        doc["components"]["schemas"] = Value::Object(new_schemas);
    }
    strip(&mut doc, &mut has_secrets);
    if has_secrets {
        doc["components"]["schemas"]["SecretString"] =
            json!({"type": "string", "description": "A secret; shown masked in Debug output."});
    }

    for (i, name, at) in body_types {
        operations[i].body = Some(body_meta(spec, &doc, &name, &at)?);
    }

    let (default_endpoint, regions) = endpoints(spec)?;
    let openapi: openapiv3::OpenAPI = serde_json::from_value(doc.clone())
        .map_err(|e| SpecError::new(&spec.file, "", format!("not a valid OpenAPI 3.0 document: {e}")))?;
    let version = src["info"]["version"].as_str().unwrap_or_default().into();
    Ok(Prepared {
        doc,
        openapi,
        operations,
        version,
        has_secrets,
        default_endpoint,
        regions,
    })
}

/// The fields of request-body schema `name` in the transformed document.
fn body_meta(spec: &Spec, doc: &Value, name: &str, at: &str) -> Result<BodyMeta, SpecError> {
    let schema = &doc["components"]["schemas"][name];
    let err = |field: &str, what: &str| {
        SpecError::new(
            &spec.file,
            at,
            format!("request body `{name}`, field `{field}`: {what}"),
        )
    };
    if schema.get("type").and_then(Value::as_str) != Some("object") {
        return Err(err("", "a request body must be an object"));
    }
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut fields = Vec::new();
    for (wire, prop) in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let ty = |s: &Value| s.get("type").and_then(Value::as_str).map(str::to_string);
        let kind = if prop.get("$ref").and_then(Value::as_str) == Some("#/components/schemas/SecretString") {
            FieldKind::Secret
        } else {
            match (ty(prop).as_deref(), prop.get("items").and_then(ty).as_deref()) {
                (Some("string"), _) if prop.get("format").is_none() && prop.get("enum").is_none() => FieldKind::Str,
                (Some("integer"), _) if prop.get("format").is_none_or(|f| f == "int64") => FieldKind::Int,
                (Some("boolean"), _) => FieldKind::Bool,
                (Some("array"), Some("string")) => FieldKind::Strs,
                (Some("array"), Some("integer")) => FieldKind::Ints,
                _ => {
                    return Err(err(
                        wire,
                        "the runtime reads plain strings, int64 integers, booleans and lists of strings or \
                         integers; anything else is not supported in a request body",
                    ));
                }
            }
        };
        fields.push(BodyField {
            wire: wire.clone(),
            rust: crate::snake_case(wire),
            kind,
            required: required.contains(&wire.as_str()),
        });
    }
    fields.sort_by(|a, b| a.wire.cmp(&b.wire));
    Ok(BodyMeta {
        type_name: name.to_string(),
        fields,
    })
}

/// Reads the endpoints from `servers`: the first entry is the regional pattern (its variables at their
/// defaults give the default endpoint; its `region` enum lists the regions); entries with `x-region`
/// are exceptions to the pattern.
fn endpoints(spec: &Spec) -> Result<(String, Vec<(String, String)>), SpecError> {
    let servers = spec
        .doc
        .get("servers")
        .and_then(Value::as_array)
        .filter(|s| !s.is_empty());
    let servers =
        servers.ok_or_else(|| SpecError::new(&spec.file, "/servers", "needs at least one server (the endpoint)"))?;
    let url_of = |i: usize| {
        servers[i]
            .get("url")
            .and_then(Value::as_str)
            .ok_or_else(|| SpecError::new(&spec.file, format!("/servers/{i}/url"), "a server needs a `url` string"))
    };
    let pattern = url_of(0)?;
    let vars = servers[0].get("variables").and_then(Value::as_object);
    let mut default_endpoint = pattern.to_string();
    for (name, var) in vars.into_iter().flatten() {
        let default = var.get("default").and_then(Value::as_str).ok_or_else(|| {
            SpecError::new(
                &spec.file,
                format!("/servers/0/variables/{name}/default"),
                "a server variable needs a default",
            )
        })?;
        default_endpoint = default_endpoint.replace(&format!("{{{name}}}"), default);
    }
    let mut regions: Vec<(String, String)> = Vec::new();
    if let Some(list) = vars
        .and_then(|v| v.get("region"))
        .and_then(|r| r.get("enum"))
        .and_then(Value::as_array)
    {
        for r in list.iter().filter_map(Value::as_str) {
            regions.push((r.to_string(), pattern.replace("{region}", r)));
        }
    }
    for (i, server) in servers.iter().enumerate().skip(1) {
        let Some(region) = server.get("x-region").and_then(Value::as_str) else {
            continue;
        };
        let url = url_of(i)?.to_string();
        match regions.iter_mut().find(|(r, _)| r == region) {
            Some(entry) => entry.1 = url,
            None => regions.push((region.to_string(), url)),
        }
    }
    regions.sort();
    Ok((default_endpoint, regions))
}

fn collect_object_rules(doc: &Value, schema: &Value, meta: &mut OperationMeta) {
    if let Some(names) = schema.get("x-at-least-one-of").and_then(Value::as_array) {
        let names = names.iter().filter_map(Value::as_str).map(str::to_string).collect();
        meta.rules.push(Rule {
            loc: Loc::Body(String::new()),
            each: false,
            check: Check::AtLeastOneOf(names),
        });
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (name, prop) in props {
            collect_rules(doc, resolve(doc, prop), Loc::Body(name.clone()), meta);
        }
    }
}

fn collect_rules(doc: &Value, schema: &Value, loc: Loc, meta: &mut OperationMeta) {
    let schema = resolve(doc, schema);
    let field = match &loc {
        Loc::Path(n) | Loc::Query(n) | Loc::Header(n) | Loc::Body(n) => n.clone(),
    };
    if schema.get("x-secret").and_then(Value::as_bool) == Some(true) {
        meta.secrets.push(field);
    }
    scalar_rules(schema, &loc, false, meta);
    let array = schema.get("x-json-array-text").unwrap_or(schema);
    if array.get("type").and_then(Value::as_str) == Some("array") {
        if let Some(n) = array.get("minItems").and_then(Value::as_u64) {
            meta.rules.push(Rule {
                loc: loc.clone(),
                each: false,
                check: Check::MinItems(n),
            });
        }
        if let Some(n) = array.get("maxItems").and_then(Value::as_u64) {
            meta.rules.push(Rule {
                loc: loc.clone(),
                each: false,
                check: Check::MaxItems(n),
            });
        }
        if let Some(items) = array.get("items") {
            scalar_rules(resolve(doc, items), &loc, true, meta);
        }
    }
}

fn scalar_rules(schema: &Value, loc: &Loc, each: bool, meta: &mut OperationMeta) {
    let mut push = |check| {
        meta.rules.push(Rule {
            loc: loc.clone(),
            each,
            check,
        })
    };
    if let Some(p) = schema.get("pattern").and_then(Value::as_str) {
        push(Check::Pattern(p.to_string()));
    }
    if let Some(n) = schema.get("minLength").and_then(Value::as_u64) {
        push(Check::MinLength(n));
    }
    if let Some(n) = schema.get("maxLength").and_then(Value::as_u64) {
        push(Check::MaxLength(n));
    }
    if let Some(n) = schema.get("minimum").and_then(Value::as_i64) {
        push(Check::Minimum(n));
    }
    if let Some(n) = schema.get("maximum").and_then(Value::as_i64) {
        push(Check::Maximum(n));
    }
    if let Some(t) = schema.get("x-integer-text") {
        let min = t["minimum"].as_i64().unwrap_or(i64::MIN);
        let max = t["maximum"].as_i64().unwrap_or(i64::MAX);
        push(Check::IntegerText { min, max });
    }
}

/// Removes constraint keywords and `x-` extensions from schemas; turns `x-secret` schemas into a
/// `SecretString` reference.
fn strip(v: &mut Value, has_secrets: &mut bool) {
    match v {
        Value::Object(map) => {
            if map.get("x-secret").and_then(Value::as_bool) == Some(true) {
                map.clear();
                map.insert("$ref".into(), json!("#/components/schemas/SecretString"));
                *has_secrets = true;
                return;
            }
            let is_schema = map.contains_key("type") || map.contains_key("items") || map.contains_key("properties");
            map.retain(|k, _| !(k.starts_with("x-") || (is_schema && CONSTRAINTS.contains(&k.as_str()))));
            for (k, child) in map.iter_mut() {
                if k == "properties" || k == "schemas" || k == "paths" {
                    // Maps of names: recurse into each value without treating the map as a schema.
                    if let Value::Object(m) = child {
                        for c in m.values_mut() {
                            strip(c, has_secrets);
                        }
                    }
                } else {
                    strip(child, has_secrets);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|c| strip(c, has_secrets)),
        _ => {}
    }
}
