//! `cargo xtask upstream`: what the vendor changed. Reads the vendors' own machine-readable
//! definitions into one comparable form and diffs `specs/` against it.
//!
//! Sources:
//! - Huawei API Explorer's per-operation Swagger 2.0 documents, published on crates.io as
//!   `huawei-cloud-api-definitions-DAS` and `-DDS` (fetched with `cargo info`, which puts a crate's
//!   sources in cargo's registry cache; never a dependency);
//! - the official Alibaba Cloud Python SDK `alibabacloud_das20200116` from PyPI (`pip download
//!   --no-deps`, unpacked with Python's `zipfile`), read by [`alibaba_sdk`].
//!
//! The copy read is kept under `target/upstream/`, so that `--offline` works from it.

mod alibaba_sdk;
mod huawei_sdk;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use serde_json::{Value, json};

/// One operation, as any source describes it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Op {
    pub method: String,
    pub path: String,
    /// By name.
    pub params: BTreeMap<String, Param>,
    /// The success reply's top-level fields, by name: their types.
    pub reply: BTreeMap<String, Field>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Param {
    /// `path`, `query`, `header` or `body` (a top-level property of the JSON body).
    pub location: String,
    pub ty: String,
    /// `None` where the source does not say (the Huawei Python SDKs).
    pub required: Option<bool>,
    /// `None` where the source does not say (the Python SDKs).
    pub enums: Option<Vec<String>>,
    /// Where it is in the spec (ours only).
    pub pointer: String,
    /// The upstream values this spec departs from on purpose, and why (`x-upstream`, ours only).
    pub chosen: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Field {
    pub ty: String,
    pub pointer: String,
    pub chosen: Option<Value>,
}

/// One difference.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub kind: &'static str,
    pub operation: String,
    pub field: String,
    pub pointer: String,
    pub ours: String,
    pub upstream: String,
    /// Set when the spec records this upstream value on purpose (`x-upstream`): why.
    pub chosen: Option<String>,
}

fn ptr_escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// A schema's type in one word: `string`, `integer`, `boolean`, `object`, `array<…>`.
fn type_of(doc: &Value, schema: &Value) -> String {
    let schema = resolve(doc, schema);
    match schema.get("type").and_then(Value::as_str) {
        Some("array") => format!("array<{}>", type_of(doc, schema.get("items").unwrap_or(&Value::Null))),
        Some("number") => "number".into(),
        Some(t) => t.into(),
        None if schema.get("properties").is_some() => "object".into(),
        None if schema.get("oneOf").is_some() || schema.get("anyOf").is_some() => "one-of".into(),
        None => "any".into(),
    }
}

/// Follows a local `$ref` (`#/definitions/…`, `#/components/…`).
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix('#')
            .and_then(|p| doc.pointer(p))
            .map_or(v, |target| resolve(doc, target)),
        None => v,
    }
}

/// The enum values a schema gives (none: an empty list).
fn enums(v: &Value) -> Option<Vec<String>> {
    let values = v.get("enum").and_then(Value::as_array).map(|e| {
        e.iter()
            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
            .collect()
    });
    Some(values.unwrap_or_default())
}

/// The top-level properties of an object schema, with `required`.
fn properties<'a>(doc: &'a Value, schema: &'a Value) -> Vec<(&'a String, &'a Value, bool)> {
    let schema = resolve(doc, schema);
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.iter().map(|(k, v)| (k, v, required.contains(&k.as_str()))).collect())
        .unwrap_or_default()
}

/// Headers that carry authentication, which the signer writes: not parameters of an operation.
const AUTH_HEADERS: [&str; 3] = ["X-Auth-Token", "X-Sdk-Date", "Authorization"];

/// A Huawei API Explorer document (Swagger 2.0, one operation).
pub fn read_huawei_definition(doc: &Value) -> Result<(String, Op), String> {
    let paths = doc["paths"].as_object().ok_or("no `paths`")?;
    let (path, item) = paths.iter().next().ok_or("no path")?;
    let (method, op) = item.as_object().and_then(|m| m.iter().next()).ok_or("no operation")?;
    let name = op["operationId"].as_str().ok_or("no operationId")?.to_string();
    let mut out = Op {
        method: method.to_uppercase(),
        path: path.clone(),
        ..Op::default()
    };
    for p in op["parameters"].as_array().into_iter().flatten() {
        let p = resolve(doc, p);
        let pname = p["name"].as_str().unwrap_or_default();
        match p["in"].as_str() {
            Some("body") => {
                for (k, v, required) in properties(doc, &p["schema"]) {
                    out.params.insert(
                        k.clone(),
                        Param {
                            location: "body".into(),
                            ty: type_of(doc, v),
                            required: Some(required),
                            enums: enums(resolve(doc, v)),
                            ..Param::default()
                        },
                    );
                }
            }
            Some("header") if AUTH_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(pname)) => {}
            Some(location) => {
                out.params.insert(
                    pname.to_string(),
                    Param {
                        location: location.into(),
                        ty: type_of(doc, p),
                        required: Some(p["required"].as_bool().unwrap_or(false)),
                        enums: enums(p),
                        ..Param::default()
                    },
                );
            }
            None => return Err(format!("{name}: a parameter without `in`")),
        }
    }
    let ok = op["responses"]
        .as_object()
        .and_then(|r| r.iter().find(|(code, _)| code.starts_with('2')).map(|(_, v)| v));
    if let Some(schema) = ok.and_then(|r| r.get("schema")) {
        for (k, v, _) in properties(doc, schema) {
            out.reply.insert(
                k.clone(),
                Field {
                    ty: type_of(doc, v),
                    ..Field::default()
                },
            );
        }
    }
    Ok((name, out))
}

/// The operations of one of our specs (OpenAPI 3.0), with JSON pointers into it.
pub fn read_spec(doc: &Value) -> BTreeMap<String, Op> {
    let mut ops = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let Some(name) = op["operationId"].as_str() else {
                continue;
            };
            let base = format!("/paths/{}/{method}", ptr_escape(path));
            let mut out = Op {
                method: method.to_uppercase(),
                path: path.clone(),
                ..Op::default()
            };
            for (i, p) in op["parameters"].as_array().into_iter().flatten().enumerate() {
                let pointer = match p.get("$ref").and_then(Value::as_str) {
                    Some(r) => r.trim_start_matches('#').to_string(),
                    None => format!("{base}/parameters/{i}"),
                };
                let p = resolve(doc, p);
                let schema = p.get("schema").unwrap_or(&Value::Null);
                out.params.insert(
                    p["name"].as_str().unwrap_or_default().to_string(),
                    Param {
                        location: p["in"].as_str().unwrap_or_default().into(),
                        ty: type_of(doc, schema),
                        required: Some(p["required"].as_bool().unwrap_or(false)),
                        enums: enums(resolve(doc, schema)),
                        pointer,
                        chosen: p.get("x-upstream").or_else(|| schema.get("x-upstream")).cloned(),
                    },
                );
            }
            let body = op.pointer("/requestBody/content/application~1json/schema");
            if let Some(schema) = body {
                let at = schema.get("$ref").and_then(Value::as_str).map_or_else(
                    || format!("{base}/requestBody/content/application~1json/schema"),
                    |r| r.trim_start_matches('#').to_string(),
                );
                for (k, v, required) in properties(doc, schema) {
                    out.params.insert(
                        k.clone(),
                        Param {
                            location: "body".into(),
                            ty: type_of(doc, v),
                            required: Some(required),
                            enums: enums(resolve(doc, v)),
                            pointer: format!("{at}/properties/{}", ptr_escape(k)),
                            chosen: recorded(doc, v),
                        },
                    );
                }
            }
            let reply = op
                .get("responses")
                .and_then(Value::as_object)
                .and_then(|r| r.iter().find(|(code, _)| code.starts_with('2')).map(|(_, v)| v))
                .and_then(|r| r.pointer("/content/application~1json/schema"));
            if let Some(schema) = reply {
                let at = schema.get("$ref").and_then(Value::as_str).map_or_else(
                    || format!("{base}/responses/200"),
                    |r| r.trim_start_matches('#').to_string(),
                );
                for (k, v, _) in properties(doc, schema) {
                    out.reply.insert(
                        k.clone(),
                        Field {
                            ty: type_of(doc, v),
                            pointer: format!("{at}/properties/{}", ptr_escape(k)),
                            chosen: recorded(doc, v),
                        },
                    );
                }
            }
            ops.insert(name.to_string(), out);
        }
    }
    ops
}

/// The `x-upstream` of a property: on it, or on the named schema it refers to.
fn recorded(doc: &Value, v: &Value) -> Option<Value> {
    v.get("x-upstream")
        .or_else(|| resolve(doc, v).get("x-upstream"))
        .cloned()
}

/// Whether the spec records `upstream` as the vendor's value of `aspect` on purpose.
fn chosen(recorded: Option<&Value>, aspect: &str, upstream: &str) -> Option<String> {
    let r = recorded?;
    let value = r.get(aspect)?;
    let text = value.as_str().map_or_else(|| value.to_string(), str::to_string);
    (text == upstream).then(|| r["why"].as_str().unwrap_or("(no reason given)").to_string())
}

/// Upstream operations that look like ours (sessions, processes, kills) and that we lack.
fn is_candidate(name: &str) -> bool {
    ["Process", "Session", "Kill"].iter().any(|w| name.contains(w))
}

/// The differences between our operations and upstream's, for one service.
pub fn diff(ours: &BTreeMap<String, Op>, upstream: &BTreeMap<String, Op>) -> Vec<Line> {
    let mut out = Vec::new();
    let line = |kind, operation: &str, field: &str, pointer: &str, ours: String, up: String, chosen| Line {
        kind,
        operation: operation.to_string(),
        field: field.to_string(),
        pointer: pointer.to_string(),
        ours,
        upstream: up,
        chosen,
    };
    for (name, op) in ours {
        let Some(up) = upstream.get(name) else {
            out.push(line(
                "operation-gone",
                name,
                "",
                "",
                format!("{} {}", op.method, op.path),
                "-".into(),
                None,
            ));
            continue;
        };
        if (&op.method, &op.path) != (&up.method, &up.path) {
            out.push(line(
                "operation-moved",
                name,
                "",
                "",
                format!("{} {}", op.method, op.path),
                format!("{} {}", up.method, up.path),
                None,
            ));
        }
        for (pname, p) in &op.params {
            match up.params.get(pname) {
                None => out.push(line(
                    "parameter-removed",
                    name,
                    pname,
                    &p.pointer,
                    p.location.clone(),
                    "-".into(),
                    None,
                )),
                Some(u) => {
                    let c = p.chosen.as_ref();
                    if p.location != u.location {
                        let why = chosen(c, "in", &u.location);
                        out.push(line(
                            "parameter-moved",
                            name,
                            pname,
                            &p.pointer,
                            p.location.clone(),
                            u.location.clone(),
                            why,
                        ));
                    }
                    if p.ty != u.ty {
                        let why = chosen(c, "type", &u.ty);
                        out.push(line(
                            "parameter-type",
                            name,
                            pname,
                            &p.pointer,
                            p.ty.clone(),
                            u.ty.clone(),
                            why,
                        ));
                    }
                    if let (Some(ours), Some(theirs)) = (p.required, u.required)
                        && ours != theirs
                    {
                        let why = chosen(c, "required", &theirs.to_string());
                        out.push(line(
                            "parameter-required",
                            name,
                            pname,
                            &p.pointer,
                            ours.to_string(),
                            theirs.to_string(),
                            why,
                        ));
                    }
                    if let (Some(ours), Some(theirs)) = (&p.enums, &u.enums)
                        && ours != theirs
                    {
                        let up_enums = theirs.join("|");
                        let why = chosen(c, "enum", &up_enums);
                        out.push(line(
                            "parameter-enum",
                            name,
                            pname,
                            &p.pointer,
                            ours.join("|"),
                            up_enums,
                            why,
                        ));
                    }
                }
            }
        }
        for (pname, u) in &up.params {
            if !op.params.contains_key(pname) {
                let pointer = format!(
                    "/paths/{}/{}/parameters",
                    ptr_escape(&op.path),
                    op.method.to_lowercase()
                );
                out.push(line(
                    "parameter-added",
                    name,
                    pname,
                    &pointer,
                    "-".into(),
                    format!("{} {}", u.location, u.ty),
                    None,
                ));
            }
        }
        for (fname, f) in &op.reply {
            match up.reply.get(fname) {
                None => out.push(line(
                    "reply-field-removed",
                    name,
                    fname,
                    &f.pointer,
                    f.ty.clone(),
                    "-".into(),
                    None,
                )),
                Some(u) if u.ty != f.ty => {
                    let why = chosen(f.chosen.as_ref(), "type", &u.ty);
                    out.push(line(
                        "reply-field-type",
                        name,
                        fname,
                        &f.pointer,
                        f.ty.clone(),
                        u.ty.clone(),
                        why,
                    ));
                }
                Some(_) => {}
            }
        }
        for (fname, u) in &up.reply {
            if !op.reply.contains_key(fname) {
                out.push(line(
                    "reply-field-added",
                    name,
                    fname,
                    "",
                    "-".into(),
                    u.ty.clone(),
                    None,
                ));
            }
        }
    }
    for (name, up) in upstream {
        if !ours.contains_key(name) && is_candidate(name) {
            out.push(line(
                "candidate",
                name,
                "",
                "",
                "-".into(),
                format!("{} {}", up.method, up.path),
                None,
            ));
        }
    }
    out
}

/// Where a source comes from.
#[derive(Clone, Copy)]
enum Kind {
    /// A crates.io data crate of Huawei API Explorer documents.
    Crate,
    /// A Python SDK wheel on PyPI.
    PyPi,
}

/// A source, and the spec file it is compared with.
struct Source {
    name: &'static str,
    kind: Kind,
    spec: &'static str,
}

const SOURCES: [Source; 5] = [
    Source {
        name: "huawei-cloud-api-definitions-DAS",
        kind: Kind::Crate,
        spec: "specs/huaweicloud/das.json",
    },
    Source {
        name: "huawei-cloud-api-definitions-DDS",
        kind: Kind::Crate,
        spec: "specs/huaweicloud/dds.json",
    },
    Source {
        name: "huaweicloudsdkdas",
        kind: Kind::PyPi,
        spec: "specs/huaweicloud/das.json",
    },
    Source {
        name: "huaweicloudsdkdds",
        kind: Kind::PyPi,
        spec: "specs/huaweicloud/dds.json",
    },
    Source {
        name: "alibabacloud_das20200116",
        kind: Kind::PyPi,
        spec: "specs/alibabacloud/das.json",
    },
];

/// Fetches the latest version of a source into `cache/<name>/<version>/`; returns the version and
/// that directory.
fn fetch(s: &Source, cache: &Path) -> Result<(String, PathBuf), String> {
    match s.kind {
        Kind::Crate => fetch_crate(s.name, cache),
        Kind::PyPi => fetch_wheel(s.name, cache),
    }
}

fn fetch_wheel(package: &str, cache: &Path) -> Result<(String, PathBuf), String> {
    let download = cache.join("downloads");
    std::fs::create_dir_all(&download).map_err(|e| format!("{}: {e}", download.display()))?;
    let mut out = Command::new("python3");
    out.args([
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--disable-pip-version-check",
        "--only-binary",
        ":all:",
        "-d",
    ])
    .arg(&download)
    .arg(package);
    let text = stdout_of(out, &format!("pip download {package}"))?;
    // The wheel pip names in its output ("Saved …" or "File was already downloaded …").
    let wheel = text
        .split_whitespace()
        .find(|w| w.ends_with(".whl"))
        .map(|w| download.join(Path::new(w).file_name().unwrap_or_default()))
        .ok_or_else(|| format!("pip download {package}: no wheel in its output"))?;
    let file = wheel.file_name().unwrap_or_default().to_string_lossy().into_owned();
    let version = file
        .split('-')
        .nth(1)
        .ok_or_else(|| format!("{file}: no version in the wheel's name"))?
        .to_string();
    let dest = cache.join(package).join(&version);
    let status = Command::new("python3")
        .args(["-m", "zipfile", "-e"])
        .arg(&wheel)
        .arg(&dest)
        .status()
        .map_err(|e| format!("unpacking {file}: {e}"))?;
    if !status.success() {
        return Err(format!("unpacking {file} failed"));
    }
    Ok((version, dest))
}

/// Runs `cmd` (`what`, in errors): its standard output, or its error's last line.
fn stdout_of(mut cmd: Command, what: &str) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{what}: {e}"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(format!("{what}: {}", stderr.lines().last().unwrap_or_default()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Fetches the latest version of `krate` with cargo (into its registry cache) and copies its
/// definitions under `cache`; returns the version and the copy's directory.
fn fetch_crate(krate: &str, cache: &Path) -> Result<(String, PathBuf), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.args(["info", "--registry", "crates-io", krate]);
    let info = stdout_of(cmd, &format!("cargo info {krate}"))?;
    let version = info
        .lines()
        .find_map(|l| l.strip_prefix("version: "))
        .map(|v| v.split_whitespace().next().unwrap_or_default().to_string())
        .ok_or_else(|| format!("cargo info {krate}: no version"))?;
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .ok_or("neither CARGO_HOME nor HOME is set")?;
    let registry = home.join("registry/src");
    let unpacked = std::fs::read_dir(&registry)
        .map_err(|e| format!("{}: {e}", registry.display()))?
        .filter_map(Result::ok)
        .map(|d| d.path().join(format!("{krate}-{version}")))
        .find(|p| p.is_dir())
        .ok_or_else(|| format!("{krate} {version} is not in cargo's registry cache"))?;
    let dest = cache.join(krate).join(&version);
    std::fs::create_dir_all(&dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    for entry in std::fs::read_dir(unpacked.join("src")).map_err(|e| format!("{krate}: {e}"))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|e| e == "json") {
            std::fs::copy(&path, dest.join(path.file_name().unwrap_or_default())).map_err(|e| e.to_string())?;
        }
    }
    Ok((version, dest))
}

/// The operations of a fetched source.
fn read_source(s: &Source, dir: &Path) -> Result<BTreeMap<String, Op>, String> {
    match s.kind {
        Kind::Crate => read_dir(dir),
        Kind::PyPi if s.name.starts_with("huaweicloudsdk") => {
            // huaweicloudsdkdas/v3/das_client.py and v3/model/*.py
            let service = s.name.trim_start_matches("huaweicloudsdk");
            let v3 = dir.join(s.name).join("v3");
            let client_file = v3.join(format!("{service}_client.py"));
            let client =
                std::fs::read_to_string(&client_file).map_err(|e| format!("{}: {e}", client_file.display()))?;
            let models = huawei_sdk::models(&python_files(&v3.join("model"))?);
            let ops = huawei_sdk::read(&client, &models);
            if ops.is_empty() {
                return Err(format!("{service}_client.py: no operation found"));
            }
            Ok(ops)
        }
        Kind::PyPi => {
            let pkg = dir.join(s.name);
            let client = std::fs::read_to_string(pkg.join("client.py")).map_err(|e| format!("client.py: {e}"))?;
            let ops = alibaba_sdk::read(&client, &python_files(&pkg.join("models"))?);
            if ops.is_empty() {
                return Err("client.py: no action found".into());
            }
            Ok(ops)
        }
    }
}

/// The sources of the `.py` files of a directory.
fn python_files(dir: &Path) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|e| e == "py") {
            out.push(std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?);
        }
    }
    Ok(out)
}

/// The newest cached copy of `krate`.
fn cached(krate: &str, cache: &Path) -> Result<(String, PathBuf), String> {
    let dir = cache.join(krate);
    let mut versions: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|_| {
            format!(
                "{krate}: nothing cached under {} (run once without --offline)",
                dir.display()
            )
        })?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    versions.sort();
    let v = versions.pop().ok_or_else(|| format!("{krate}: nothing cached"))?;
    Ok((v.clone(), dir.join(v)))
}

/// Every operation in a directory of Huawei definitions.
fn read_dir(dir: &Path) -> Result<BTreeMap<String, Op>, String> {
    let mut ops = BTreeMap::new();
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let doc: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let (name, op) = read_huawei_definition(&doc).map_err(|e| format!("{}: {e}", path.display()))?;
        ops.insert(name, op);
    }
    Ok(ops)
}

/// `cargo xtask upstream [--offline] [--json]`.
pub fn run(root: &Path, args: &[&str]) -> ExitCode {
    let offline = args.contains(&"--offline");
    let as_json = args.contains(&"--json");
    if let Some(bad) = args.iter().find(|a| !["--offline", "--json"].contains(a)) {
        eprintln!("upstream: unknown argument `{bad}` (usage: cargo xtask upstream [--offline] [--json])");
        return ExitCode::from(2);
    }
    let cache = root.join("target/upstream");
    let mut report = Vec::new();
    for s in &SOURCES {
        let got = if offline {
            cached(s.name, &cache)
        } else {
            fetch(s, &cache)
        };
        let (version, dir) = match got {
            Ok(v) => v,
            Err(e) => {
                eprintln!("upstream: {} could not be fetched: {e}", s.name);
                return ExitCode::from(2);
            }
        };
        let upstream = match read_source(s, &dir) {
            Ok(ops) => ops,
            Err(e) => {
                eprintln!("upstream: {} could not be read: {e}", s.name);
                return ExitCode::from(2);
            }
        };
        let spec: Value = match std::fs::read_to_string(root.join(s.spec))
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
        {
            Ok(v) => v,
            Err(e) => {
                eprintln!("upstream: {}: {e}", s.spec);
                return ExitCode::from(2);
            }
        };
        for l in diff(&read_spec(&spec), &upstream) {
            report.push((s, version.clone(), l));
        }
    }
    let drift = report.iter().filter(|(_, _, l)| l.chosen.is_none()).count();
    if as_json {
        let lines: Vec<Value> = report
            .iter()
            .map(|(s, v, l)| {
                json!({"kind": l.kind, "operation": l.operation, "field": l.field, "spec": s.spec,
                       "pointer": l.pointer, "ours": l.ours, "upstream": l.upstream,
                       "source": s.name, "version": v, "chosen": l.chosen})
            })
            .collect();
        println!("{}", Value::Array(lines));
    } else {
        for chosen_ones in [false, true] {
            let rows: Vec<_> = report
                .iter()
                .filter(|(_, _, l)| l.chosen.is_some() == chosen_ones)
                .collect();
            if chosen_ones && !rows.is_empty() {
                println!("\nchosen differences (x-upstream; not drift):");
            }
            for (s, v, l) in rows {
                println!(
                    "{:<20} {:<28} {:<18} ours: {:<22} upstream: {:<30} {} {}#{} [{} {}]",
                    l.kind,
                    l.operation,
                    l.field,
                    l.ours,
                    l.upstream,
                    l.chosen.as_deref().map_or(String::new(), |w| format!("({w})")),
                    s.spec,
                    l.pointer,
                    s.name,
                    v
                );
            }
        }
        eprintln!(
            "upstream: {drift} difference(s) to look at, {} chosen",
            report.len() - drift
        );
    }
    if drift == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Huawei API Explorer document in the source's own shape (Swagger 2.0, one operation).
    fn definition() -> Value {
        json!({
            "swagger": "2.0",
            "paths": {"/v3/{project_id}/instances/{instance_id}/processes": {"get": {
                "operationId": "ListProcesses",
                "parameters": [
                    {"in": "path", "name": "project_id", "required": true, "type": "string"},
                    {"in": "path", "name": "instance_id", "required": true, "type": "string"},
                    {"in": "header", "name": "X-Auth-Token", "required": true, "type": "string"},
                    {"in": "query", "name": "db_user_id", "required": true, "type": "string"},
                    {"in": "query", "name": "node_id", "required": false, "type": "string"},
                    {"in": "query", "name": "limit", "required": false, "type": "string"},
                    {"enum": ["zh-cn", "en-us", "fr-fr"], "in": "header", "name": "X-Language", "type": "string"}
                ],
                "responses": {"200": {"schema": {"$ref": "#/definitions/Resp"}}}
            }}},
            "definitions": {"Resp": {"properties": {
                "count": {"type": "integer"},
                "processes": {"type": "array", "items": {"$ref": "#/definitions/Process"}},
                "next": {"type": "string"}
            }}, "Process": {"properties": {"id": {"type": "string"}}}}
        })
    }

    fn kill_definition() -> Value {
        json!({"paths": {"/v3/{project_id}/instances/{instance_id}/kill-process": {"post": {
            "operationId": "CancelInstanceProcess",
            "parameters": [{"in": "body", "name": "b", "schema": {"properties": {
                "engine_type": {"type": "string"},
                "processes": {"type": "array", "items": {"properties": {"id": {"type": "string"}}}}
            }, "required": ["processes"]}}],
            "responses": {"200": {}}
        }}}})
    }

    /// Ours, in the specs' shape: `user` (gone upstream), `limit` typed integer (a chosen difference),
    /// `X-Language` with two values.
    fn spec() -> Value {
        json!({"paths": {"/v3/{project_id}/instances/{instance_id}/processes": {"get": {
            "operationId": "ListProcesses",
            "parameters": [
                {"name": "project_id", "in": "path", "required": true, "schema": {"type": "string"}},
                {"name": "instance_id", "in": "path", "required": true, "schema": {"type": "string"}},
                {"name": "db_user_id", "in": "query", "required": true, "schema": {"type": "string"}},
                {"name": "user", "in": "query", "schema": {"type": "string"}},
                {"name": "limit", "in": "query", "schema": {"type": "integer",
                    "x-upstream": {"type": "string", "why": "the service parses a number"}}},
                {"$ref": "#/components/parameters/Lang"}
            ],
            "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Resp"}}}}}
        }}},
        "components": {
            "parameters": {"Lang": {"name": "X-Language", "in": "header", "schema": {"type": "string", "enum": ["zh-cn", "en-us"]}}},
            "schemas": {"Resp": {"type": "object", "properties": {
                "count": {"type": "string"},
                "processes": {"type": "array", "items": {"type": "object", "properties": {}}}
            }}}
        }})
    }

    fn report() -> Vec<Line> {
        let mut upstream = BTreeMap::new();
        for d in [definition(), kill_definition()] {
            let (name, op) = read_huawei_definition(&d).unwrap();
            upstream.insert(name, op);
        }
        diff(&read_spec(&spec()), &upstream)
    }

    fn find<'a>(r: &'a [Line], kind: &str, field: &str) -> &'a Line {
        r.iter()
            .find(|l| l.kind == kind && l.field == field)
            .unwrap_or_else(|| panic!("no {kind} {field} in {r:#?}"))
    }

    #[test]
    fn the_reader_takes_parameters_body_fields_and_reply_fields_and_skips_auth_headers() {
        let (name, op) = read_huawei_definition(&kill_definition()).unwrap();
        assert_eq!(name, "CancelInstanceProcess");
        assert_eq!(op.method, "POST");
        assert_eq!(op.params["processes"].location, "body");
        assert_eq!(op.params["processes"].ty, "array<object>");
        assert_eq!(op.params["processes"].required, Some(true));
        assert_eq!(op.params["engine_type"].required, Some(false));
        let (_, list) = read_huawei_definition(&definition()).unwrap();
        assert!(
            !list.params.contains_key("X-Auth-Token"),
            "the signer's header is not a parameter"
        );
        assert_eq!(list.reply["processes"].ty, "array<object>");
    }

    #[test]
    fn an_added_a_removed_a_retyped_parameter_and_a_new_operation_are_reported() {
        let r = report();
        let added = find(&r, "parameter-added", "node_id");
        assert_eq!((added.upstream.as_str(), added.chosen.as_ref()), ("query string", None));
        let removed = find(&r, "parameter-removed", "user");
        assert_eq!(
            removed.pointer,
            "/paths/~1v3~1{project_id}~1instances~1{instance_id}~1processes/get/parameters/3"
        );
        let lang = find(&r, "parameter-enum", "X-Language");
        assert_eq!(
            (lang.ours.as_str(), lang.upstream.as_str()),
            ("zh-cn|en-us", "zh-cn|en-us|fr-fr")
        );
        assert_eq!(lang.pointer, "/components/parameters/Lang");
        let count = find(&r, "reply-field-type", "count");
        assert_eq!((count.ours.as_str(), count.upstream.as_str()), ("string", "integer"));
        assert_eq!(count.pointer, "/components/schemas/Resp/properties/count");
        assert_eq!(find(&r, "reply-field-added", "next").upstream, "string");
        let new = r.iter().find(|l| l.kind == "candidate").unwrap();
        assert_eq!(new.operation, "CancelInstanceProcess");
        assert_eq!(
            new.upstream,
            "POST /v3/{project_id}/instances/{instance_id}/kill-process"
        );
    }

    #[test]
    fn a_chosen_difference_is_listed_apart_with_its_reason() {
        let r = report();
        let limit = find(&r, "parameter-type", "limit");
        assert_eq!((limit.ours.as_str(), limit.upstream.as_str()), ("integer", "string"));
        assert_eq!(limit.chosen.as_deref(), Some("the service parses a number"));
        // Recorded for another upstream value: still drift.
        let mut s = spec();
        s["paths"]["/v3/{project_id}/instances/{instance_id}/processes"]["get"]["parameters"][4]["schema"]["x-upstream"]
            ["type"] = json!("boolean");
        let (name, op) = read_huawei_definition(&definition()).unwrap();
        let r = diff(&read_spec(&s), &BTreeMap::from([(name, op)]));
        assert_eq!(find(&r, "parameter-type", "limit").chosen, None);
    }

    #[test]
    fn an_operation_upstream_no_longer_has_is_reported() {
        let r = diff(&read_spec(&spec()), &BTreeMap::new());
        assert_eq!(r.len(), 1);
        assert_eq!(
            (r[0].kind, r[0].operation.as_str()),
            ("operation-gone", "ListProcesses")
        );
    }
}
