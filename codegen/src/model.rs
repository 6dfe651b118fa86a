//! The operation model the generator writes builders, checks and wire forms from: every parameter of
//! every operation with its Rust type, its rules and where it goes on the wire, read from the
//! hand-written spec (before the transforms that prepare progenitor's input).

use heck::{ToSnakeCase, ToUpperCamelCase};
use serde_json::Value;

use crate::error::{SpecError, push};
use crate::load::{ApiStyle, METHODS, Spec, resolve};

/// Where a parameter goes on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loc {
    /// A segment of the path template.
    Path,
    /// The query string (every parameter of an RPC action).
    Query,
    /// A header.
    Header,
    /// A top-level property of the JSON body.
    Body,
}

/// The integer types of the Rust API: a schema with `minimum >= 0` is unsigned, so the type carries
/// the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Int {
    I64,
    U64,
}

/// A parameter's Rust type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Str,
    /// A secret string (`x-secret`): `SecretString`, masked in `Debug` and dry runs.
    Secret,
    Bool,
    Int(Int),
    Strs,
    Ints(Int),
}

impl Kind {
    pub fn is_list(self) -> bool {
        matches!(self, Kind::Strs | Kind::Ints(_))
    }
}

/// One rule of the spec, checked over the typed value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    Pattern(String),
    MinLength(u64),
    MaxLength(u64),
    MinItems(u64),
    MaxItems(u64),
    Minimum(i64),
    Maximum(i64),
    IntegerText { min: i64, max: i64 },
    OneOf(Vec<String>),
}

/// One parameter of an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// The name on the wire (`InstanceId`, `X-Language`, `db_user_id`).
    pub wire: String,
    /// The Rust name (`instance_id`, `x_language`).
    pub rust: String,
    pub loc: Loc,
    pub kind: Kind,
    pub required: bool,
    pub description: Option<String>,
    /// Rules on the value (on the list itself, for lists).
    pub rules: Vec<Rule>,
    /// Rules on each item of a list.
    pub item_rules: Vec<Rule>,
    /// Filled from the client's credentials (`x-from-credentials`), not set by callers.
    pub credential: Option<String>,
    /// A list sent as JSON-array text (`x-json-array-text`).
    pub json_text: bool,
}

/// `x-absent-when`: the parameter must be left out while another (boolean) parameter has this value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbsentWhen {
    pub param: String,
    pub other: String,
    pub value: bool,
    pub why: String,
}

/// `x-reply-outcome`: the fields of a success reply that report failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The success flag's Rust field and whether it is a string (`"false"`) rather than a boolean.
    pub success: (String, bool),
    /// The code's Rust field and whether it is a string rather than an integer.
    pub code: Option<(String, bool)>,
    pub message: Option<String>,
    pub request_id: Option<String>,
}

/// The typed reply of an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// The generated type's name (a schema under `components/schemas`).
    pub type_name: String,
    pub outcome: Option<Outcome>,
}

/// `x-pagination`: an offset/limit list operation, whose pages the generated `collect_all` walks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pagination {
    /// The Rust names of the offset and limit parameters.
    pub offset: String,
    pub limit: String,
    /// The Rust name of the reply's item list, and the item type.
    pub items: String,
    pub item_type: String,
    /// The Rust name of the reply's total count, if it has one.
    pub total: Option<String>,
}

/// What `x-wait` compares the done-field with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    Equals(bool),
    In(Vec<String>),
}

/// `x-wait`: an operation called again until its reply says it is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wait {
    /// Rust field path of the done-field, and what makes it done.
    pub field: Vec<String>,
    pub done: Done,
    /// Rust field path of the state shown when the deadline passes.
    pub state: Vec<String>,
    /// Input parameters (Rust names) set from reply fields (Rust paths) before the next call.
    pub carry: Vec<(String, Vec<String>)>,
}

/// One operation, as the builders and wire writers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpModel {
    /// The vendor's name (`DeleteProcess`).
    pub name: String,
    /// The Rust method name (`delete_process`).
    pub id: String,
    pub method: String,
    /// The path template (for `acs-rpc`, the pseudo path that keeps actions apart in the spec).
    pub path: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub rpc_action: Option<String>,
    pub params: Vec<Param>,
    /// `x-at-least-one-of` of the body (wire names).
    pub at_least_one_of: Vec<String>,
    pub absent_when: Vec<AbsentWhen>,
    /// `None`: the success reply carries nothing.
    pub output: Option<Output>,
    pub success: Vec<u16>,
    pub pagination: Option<Pagination>,
    pub wait: Option<Wait>,
}

impl OpModel {
    /// The wire names of the secret parameters.
    pub fn secrets(&self) -> Vec<String> {
        self.params
            .iter()
            .filter(|p| p.kind == Kind::Secret)
            .map(|p| p.wire.clone())
            .collect()
    }
}

/// Names a Rust method, field or variable may not take: the builder's own methods.
const RESERVED: [&str; 4] = ["input", "send", "dry_run", "check"];

/// The Rust (snake_case) name of an operation id or a parameter, as progenitor and typify derive it.
pub fn snake(name: &str) -> String {
    name.to_snake_case()
}

/// The type-name form (`DeleteProcess`, `Das`).
pub fn camel(name: &str) -> String {
    name.to_upper_camel_case()
}

/// Reads every operation of a spec.
pub fn operations(spec: &Spec) -> Result<Vec<OpModel>, SpecError> {
    let doc = &spec.doc;
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("checked by load") {
        for (method, op) in item
            .as_object()
            .expect("checked by load")
            .iter()
            .filter(|(k, _)| METHODS.contains(&k.as_str()))
        {
            let op_ptr = push(&push("/paths", path), method);
            ops.push(operation(spec, path, method, op, &op_ptr)?);
        }
    }
    Ok(ops)
}

fn operation(spec: &Spec, path: &str, method: &str, op: &Value, op_ptr: &str) -> Result<OpModel, SpecError> {
    let doc = &spec.doc;
    let err = |p: &str, m: String| SpecError::new(&spec.file, p, m);
    let name = op["operationId"].as_str().expect("checked by load").to_string();
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let mut params = Vec::new();
    for (i, p) in op
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let p_ptr = push(&push(op_ptr, "parameters"), &i.to_string());
        let p = resolve(doc, p);
        let wire = p["name"].as_str().unwrap_or_default().to_string();
        let loc = match (spec.style, p["in"].as_str()) {
            (ApiStyle::AcsRpc, _) => Loc::Query,
            (_, Some("path")) => Loc::Path,
            (_, Some("header")) => Loc::Header,
            (_, Some("query")) => Loc::Query,
            (_, other) => {
                return Err(err(
                    &p_ptr,
                    format!("parameters in `{}` are not supported", other.unwrap_or("")),
                ));
            }
        };
        let mut param = param(spec, &wire, resolve(doc, &p["schema"]), &push(&p_ptr, "schema"))?;
        param.loc = loc;
        param.required = p["required"].as_bool() == Some(true) || loc == Loc::Path;
        param.description = text(p, "description");
        param.credential = text(p, "x-from-credentials");
        params.push(param);
    }
    let mut at_least_one_of = Vec::new();
    if let Some(body) = op.pointer("/requestBody/content/application~1json/schema") {
        let body_ptr = push(op_ptr, "requestBody");
        let body = resolve(doc, body);
        if body.get("type").and_then(Value::as_str) != Some("object") {
            return Err(err(&body_ptr, "a JSON request body must be an object schema".into()));
        }
        let required: Vec<&str> = body
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (wire, prop) in body.get("properties").and_then(Value::as_object).into_iter().flatten() {
            let prop = resolve(doc, prop);
            let mut param = param(spec, wire, prop, &push(&push(&body_ptr, "properties"), wire))?;
            param.loc = Loc::Body;
            param.required = required.contains(&wire.as_str());
            param.description = text(prop, "description");
            params.push(param);
        }
        at_least_one_of = body
            .get("x-at-least-one-of")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default();
    }
    // Names must be unique and may not shadow the builder's own methods.
    for (i, p) in params.iter().enumerate() {
        if RESERVED.contains(&p.rust.as_str()) || params[..i].iter().any(|q| q.rust == p.rust) {
            return Err(err(
                op_ptr,
                format!(
                    "parameter `{}` gives the Rust name `{}`, which is taken",
                    p.wire, p.rust
                ),
            ));
        }
    }
    let mut absent_when = Vec::new();
    for p in params.iter() {
        let Some(rule) = param_schema_ext(spec, op, &p.wire, "x-absent-when") else {
            continue;
        };
        let other = rule
            .get("param")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let value = rule.get("value").and_then(Value::as_bool).unwrap_or(true);
        let why = rule.get("why").and_then(Value::as_str).unwrap_or_default().to_string();
        if !params.iter().any(|q| q.wire == other && q.kind == Kind::Bool) {
            return Err(err(
                op_ptr,
                format!(
                    "`x-absent-when` of `{}` names `{other}`, which is not a boolean parameter",
                    p.wire
                ),
            ));
        }
        absent_when.push(AbsentWhen {
            param: p.wire.clone(),
            other,
            value,
            why,
        });
    }

    let mut success = Vec::new();
    let mut output = None;
    for (code, resp) in op.get("responses").and_then(Value::as_object).into_iter().flatten() {
        let Some(status) = code.parse::<u16>().ok().filter(|s| (200..300).contains(s)) else {
            continue;
        };
        success.push(status);
        let Some(schema) = resp.pointer("/content/application~1json/schema") else {
            continue;
        };
        let resolved = resolve(doc, schema);
        let empty = resolved
            .get("properties")
            .and_then(Value::as_object)
            .is_some_and(|p| p.is_empty());
        if empty {
            continue;
        }
        let Some(type_name) = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
        else {
            return Err(err(
                &push(&push(op_ptr, "responses"), code),
                "a success reply with content must be a `$ref` to a named schema".into(),
            ));
        };
        output = Some(Output {
            type_name: camel(type_name),
            outcome: outcome(spec, resolved, &format!("/components/schemas/{type_name}"))?,
        });
    }
    if success.is_empty() {
        return Err(err(
            &push(op_ptr, "responses"),
            "declares no success (2xx) response".into(),
        ));
    }
    let reply_schema = op
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(code, _)| code.starts_with('2'))
        .find_map(|(_, r)| r.pointer("/content/application~1json/schema"))
        .map(|s| resolve(doc, s));
    let pagination = match op.get("x-pagination") {
        Some(ext) => Some(pagination(
            spec,
            ext,
            &params,
            reply_schema,
            &push(op_ptr, "x-pagination"),
        )?),
        None => None,
    };
    let wait = match op.get("x-wait") {
        Some(ext) => Some(wait(spec, ext, &params, reply_schema, &push(op_ptr, "x-wait"))?),
        None => None,
    };
    Ok(OpModel {
        id: snake(&name),
        name,
        method: method.to_uppercase(),
        path: path.to_string(),
        summary: text(op, "summary"),
        description: text(op, "description"),
        rpc_action: text(op, "x-acs-action"),
        params,
        at_least_one_of,
        absent_when,
        output,
        success,
        pagination,
        wait,
    })
}

fn pagination(
    spec: &Spec,
    ext: &Value,
    params: &[Param],
    reply: Option<&Value>,
    ptr: &str,
) -> Result<Pagination, SpecError> {
    let doc = &spec.doc;
    let err = |m: String| SpecError::new(&spec.file, ptr, m);
    let name = |k: &str| ext.get(k).and_then(Value::as_str);
    let int_param = |k: &str| -> Result<String, SpecError> {
        let wire = name(k).ok_or_else(|| err(format!("needs `{k}`, the name of a query parameter")))?;
        match params.iter().find(|p| p.wire == wire) {
            Some(p) if p.loc == Loc::Query && matches!(p.kind, Kind::Int(_)) && !p.required => Ok(p.rust.clone()),
            _ => Err(err(format!(
                "`{k}` names `{wire}`, which is not an optional integer query parameter"
            ))),
        }
    };
    let offset = int_param("offset")?;
    let limit = int_param("limit")?;
    let reply = reply.ok_or_else(|| err("the operation's reply has no JSON body to take pages from".into()))?;
    let props = reply.get("properties").and_then(Value::as_object);
    let items_name = name("items").ok_or_else(|| err("needs `items`, the reply's list property".into()))?;
    let items = props
        .and_then(|p| p.get(items_name))
        .map(|v| resolve(doc, v))
        .filter(|v| v.get("type").and_then(Value::as_str) == Some("array"))
        .ok_or_else(|| {
            err(format!(
                "`items` names `{items_name}`, which is not an array property of the reply"
            ))
        })?;
    let item_type = items
        .pointer("/items/$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
        .ok_or_else(|| {
            err(format!(
                "the items of `{items_name}` must be a `$ref` to a named schema"
            ))
        })?;
    let total = match name("total") {
        Some(t) => {
            let is_int = props
                .and_then(|p| p.get(t))
                .map(|v| resolve(doc, v))
                .and_then(|v| v.get("type"))
                .and_then(Value::as_str)
                == Some("integer");
            if !is_int {
                return Err(err(format!(
                    "`total` names `{t}`, which is not an integer property of the reply"
                )));
            }
            Some(snake(t))
        }
        None => None,
    };
    Ok(Pagination {
        offset,
        limit,
        items: snake(items_name),
        item_type: camel(item_type),
        total,
    })
}

/// A dotted path of reply properties (`Data.IsFinish`), each one optional, as Rust field names.
fn reply_path(spec: &Spec, reply: &Value, path: &str, ptr: &str) -> Result<(Vec<String>, Value), SpecError> {
    let doc = &spec.doc;
    let mut schema = reply;
    let mut out = Vec::new();
    for seg in path.split('.') {
        let required = schema
            .get("required")
            .and_then(Value::as_array)
            .is_some_and(|r| r.iter().any(|n| n == seg));
        let next = schema
            .get("properties")
            .and_then(|p| p.get(seg))
            .map(|v| resolve(doc, v));
        match next {
            Some(next) if !required => {
                out.push(snake(seg));
                schema = next;
            }
            _ => {
                return Err(SpecError::new(
                    &spec.file,
                    ptr,
                    format!("`{path}` is not a path of optional properties of the reply (at `{seg}`)"),
                ));
            }
        }
    }
    Ok((out, schema.clone()))
}

fn wait(spec: &Spec, ext: &Value, params: &[Param], reply: Option<&Value>, ptr: &str) -> Result<Wait, SpecError> {
    let err = |m: String| SpecError::new(&spec.file, ptr, m);
    let reply = reply.ok_or_else(|| err("the operation's reply has no JSON body to wait on".into()))?;
    let done_ext = ext.get("done").ok_or_else(|| err("needs `done`".into()))?;
    let field = done_ext
        .get("field")
        .and_then(Value::as_str)
        .ok_or_else(|| err("`done` needs `field`".into()))?;
    let (field_path, field_schema) = reply_path(spec, reply, field, ptr)?;
    let field_type = field_schema.get("type").and_then(Value::as_str);
    let done = match (done_ext.get("equals"), done_ext.get("in")) {
        (Some(Value::Bool(b)), None) if field_type == Some("boolean") => Done::Equals(*b),
        (None, Some(Value::Array(values))) if field_type == Some("string") => {
            Done::In(values.iter().filter_map(Value::as_str).map(str::to_string).collect())
        }
        _ => {
            return Err(err(format!(
                "`done` needs `equals` (a boolean field) or `in` (a list, for a string field); `{field}` is {}",
                field_type.unwrap_or("untyped")
            )));
        }
    };
    let state = ext
        .get("state")
        .and_then(Value::as_str)
        .ok_or_else(|| err("needs `state`, the reply property that tells the state".into()))?;
    let (state, _) = reply_path(spec, reply, state, ptr)?;
    let mut carry = Vec::new();
    for (param, path) in ext.get("carry").and_then(Value::as_object).into_iter().flatten() {
        let p = params
            .iter()
            .find(|p| &p.wire == param && p.kind == Kind::Str)
            .ok_or_else(|| err(format!("`carry` names `{param}`, which is not a string parameter")))?;
        let path = path
            .as_str()
            .ok_or_else(|| err(format!("`carry.{param}` must be a reply path")))?;
        let (path, schema) = reply_path(spec, reply, path, ptr)?;
        if schema.get("type").and_then(Value::as_str) != Some("string") {
            return Err(err(format!("`carry.{param}` must name a string property of the reply")));
        }
        carry.push((p.rust.clone(), path));
    }
    Ok(Wait {
        field: field_path,
        done,
        state,
        carry,
    })
}

/// An extension on a parameter's schema (query/path/header) or body property schema.
fn param_schema_ext<'a>(spec: &'a Spec, op: &'a Value, wire: &str, ext: &str) -> Option<&'a Value> {
    let doc = &spec.doc;
    for p in op.get("parameters").and_then(Value::as_array).into_iter().flatten() {
        let p = resolve(doc, p);
        if p["name"].as_str() == Some(wire) {
            return resolve(doc, &p["schema"]).get(ext).or_else(|| p.get(ext));
        }
    }
    let body = resolve(doc, op.pointer("/requestBody/content/application~1json/schema")?);
    resolve(doc, body.get("properties")?.get(wire)?).get(ext)
}

fn param(spec: &Spec, wire: &str, schema: &Value, ptr: &str) -> Result<Param, SpecError> {
    let doc = &spec.doc;
    let err = |m: String| SpecError::new(&spec.file, ptr, m);
    let ty = |s: &Value| s.get("type").and_then(Value::as_str).map(str::to_string);
    let mut rules = Vec::new();
    let mut item_rules = Vec::new();
    let mut json_text = false;
    let kind = if schema.get("x-secret").and_then(Value::as_bool) == Some(true) {
        if ty(schema).as_deref() != Some("string") {
            return Err(err("`x-secret` belongs on a string schema".into()));
        }
        scalar_rules(schema, &mut rules);
        Kind::Secret
    } else {
        let array = match schema.get("x-json-array-text") {
            Some(inner) => {
                json_text = true;
                inner
            }
            None => schema,
        };
        match ty(array).as_deref() {
            Some("string") => {
                scalar_rules(schema, &mut rules);
                Kind::Str
            }
            Some("boolean") => Kind::Bool,
            Some("integer") => {
                let int = int_type(schema);
                scalar_rules(schema, &mut rules);
                drop_implied(&mut rules, int);
                Kind::Int(int)
            }
            Some("array") => {
                let items = resolve(doc, array.get("items").unwrap_or(&Value::Null));
                if let Some(n) = array.get("minItems").and_then(Value::as_u64) {
                    rules.push(Rule::MinItems(n));
                }
                if let Some(n) = array.get("maxItems").and_then(Value::as_u64) {
                    rules.push(Rule::MaxItems(n));
                }
                scalar_rules(items, &mut item_rules);
                match ty(items).as_deref() {
                    Some("string") => Kind::Strs,
                    Some("integer") => {
                        let int = int_type(items);
                        drop_implied(&mut item_rules, int);
                        Kind::Ints(int)
                    }
                    other => {
                        return Err(err(format!(
                            "lists of `{}` are not supported: the generator writes lists of strings or integers",
                            other.unwrap_or("?")
                        )));
                    }
                }
            }
            other => {
                return Err(err(format!(
                    "parameter `{wire}` of type `{}` is not supported: strings, booleans, integers and lists of them are",
                    other.unwrap_or("?")
                )));
            }
        }
    };
    for r in rules.iter().chain(&item_rules) {
        if let Rule::Pattern(p) = r
            && let Err(e) = regress::Regex::new(p)
        {
            return Err(err(format!(
                "pattern `{p}` is not a valid ECMAScript regular expression: {e}"
            )));
        }
    }
    Ok(Param {
        wire: wire.to_string(),
        rust: snake(wire),
        loc: Loc::Body,
        kind,
        required: false,
        description: None,
        rules,
        item_rules,
        credential: None,
        json_text,
    })
}

fn int_type(schema: &Value) -> Int {
    if schema.get("minimum").and_then(Value::as_i64).is_some_and(|m| m >= 0) {
        Int::U64
    } else {
        Int::I64
    }
}

/// `minimum: 0` on an unsigned type is the type itself.
fn drop_implied(rules: &mut Vec<Rule>, int: Int) {
    if int == Int::U64 {
        rules.retain(|r| *r != Rule::Minimum(0));
    }
}

fn scalar_rules(schema: &Value, rules: &mut Vec<Rule>) {
    if let Some(p) = schema.get("pattern").and_then(Value::as_str) {
        rules.push(Rule::Pattern(p.to_string()));
    }
    if let Some(n) = schema.get("minLength").and_then(Value::as_u64) {
        rules.push(Rule::MinLength(n));
    }
    if let Some(n) = schema.get("maxLength").and_then(Value::as_u64) {
        rules.push(Rule::MaxLength(n));
    }
    if let Some(n) = schema.get("minimum").and_then(Value::as_i64) {
        rules.push(Rule::Minimum(n));
    }
    if let Some(n) = schema.get("maximum").and_then(Value::as_i64) {
        rules.push(Rule::Maximum(n));
    }
    if let Some(t) = schema.get("x-integer-text") {
        let min = t["minimum"].as_i64().unwrap_or(i64::MIN);
        let max = t["maximum"].as_i64().unwrap_or(i64::MAX);
        rules.push(Rule::IntegerText { min, max });
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        rules.push(Rule::OneOf(
            values.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        ));
    }
}

fn outcome(spec: &Spec, schema: &Value, ptr: &str) -> Result<Option<Outcome>, SpecError> {
    let Some(ext) = schema.get("x-reply-outcome") else {
        return Ok(None);
    };
    let props = schema.get("properties").and_then(Value::as_object);
    let field = |key: &str| -> Result<Option<(String, bool)>, SpecError> {
        let Some(name) = ext.get(key).and_then(Value::as_str) else {
            return Ok(None);
        };
        let Some(prop) = props.and_then(|p| p.get(name)) else {
            return Err(SpecError::new(
                &spec.file,
                push(ptr, "x-reply-outcome"),
                format!("`{key}` names `{name}`, which is not a property of this schema"),
            ));
        };
        let is_string = resolve(&spec.doc, prop).get("type").and_then(Value::as_str) == Some("string");
        Ok(Some((snake(name), is_string)))
    };
    let success = field("success")?.ok_or_else(|| {
        SpecError::new(
            &spec.file,
            push(ptr, "x-reply-outcome"),
            "needs `success`, the flag that reports failure",
        )
    })?;
    Ok(Some(Outcome {
        success,
        code: field("code")?,
        message: field("message")?.map(|f| f.0),
        request_id: field("requestId")?.map(|f| f.0),
    }))
}
