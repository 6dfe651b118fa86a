//! The generator behind `cargo xtask generate`.
//!
//! `specs/<provider>/<service>.json` → [`load()`] (strict JSON, OpenAPI 3.0.x, known `x-` extensions,
//! resolvable `$ref`s, unique operation ids) → [`transform::prepare`] (provider-style transforms) →
//! [`generate`] (progenitor, operation table, runtime glue, formatting, do-not-edit header) →
//! `crates/<provider>/src/generated/<service>.rs`.

pub mod cli;
pub mod error;
pub mod generate;
pub mod load;
pub mod model;
pub mod ops;
pub mod transform;

use std::path::{Path, PathBuf};

pub use error::SpecError;
pub use load::{ApiStyle, Spec, load, load_str};
pub use transform::{Prepared, prepare};

/// One generated file, its path relative to the workspace root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub path: PathBuf,
    pub contents: String,
}

/// One spec and where its code goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `huaweicloud`, from `specs/huaweicloud/`.
    pub provider: String,
    /// `das`, from `specs/huaweicloud/das.json`.
    pub service: String,
    /// The spec, relative to the workspace root, with `/` separators.
    pub spec: String,
    /// A fixture of the generator's tests (`codegen/tests/fixtures/<provider>/<service>.json`): its client
    /// goes to the test crate (`tests/src/generated/`) over the published provider crate, without mocks.
    pub fixture: bool,
}

impl Target {
    /// The generated client module, relative to the workspace root.
    pub fn output(&self) -> PathBuf {
        if self.fixture {
            PathBuf::from(format!("tests/src/generated/{}.rs", self.service))
        } else {
            PathBuf::from(format!("crates/{}/src/generated/{}.rs", self.provider, self.service))
        }
    }

    /// The path the generated code reaches its provider's runtime, `ClientConfig` and `SecretString`
    /// through: `crate` inside the provider crate, the provider crate's name from anywhere else.
    pub fn support(&self) -> String {
        if self.fixture {
            format!("{}_dbops", self.provider)
        } else {
            "crate".into()
        }
    }

    /// The generated mock helpers (feature `mock`), relative to the workspace root.
    pub fn mock_output(&self) -> PathBuf {
        PathBuf::from(format!(
            "crates/{}/src/generated/{}_mock.rs",
            self.provider, self.service
        ))
    }
}

/// The Rust (snake_case) name of an operation id or parameter, as progenitor and typify derive it.
pub fn snake_case(id: &str) -> String {
    model::snake(id)
}

/// Finds every spec under `<root>/specs/<provider>/<service>.json`, sorted.
pub fn discover(root: &Path) -> std::io::Result<Vec<Target>> {
    discover_in(root, "specs", false)
}

/// Finds the generator's test fixtures under `<root>/codegen/tests/fixtures/<provider>/<service>.json`.
pub fn discover_fixtures(root: &Path) -> std::io::Result<Vec<Target>> {
    discover_in(root, "codegen/tests/fixtures", true)
}

fn discover_in(root: &Path, dir: &str, fixture: bool) -> std::io::Result<Vec<Target>> {
    let mut targets = Vec::new();
    for provider in std::fs::read_dir(root.join(dir))? {
        let provider = provider?;
        if !provider.file_type()?.is_dir() {
            continue;
        }
        let pname = provider.file_name().to_string_lossy().into_owned();
        for file in std::fs::read_dir(provider.path())? {
            let path = file?.path();
            if path.extension().is_some_and(|e| e == "json") {
                let service = path.file_stem().unwrap_or_default().to_string_lossy().into_owned();
                targets.push(Target {
                    spec: format!("{dir}/{pname}/{service}.json"),
                    provider: pname.clone(),
                    service,
                    fixture,
                });
            }
        }
    }
    targets.sort_by(|a, b| a.spec.cmp(&b.spec));
    Ok(targets)
}

/// Generates the client module of one target.
pub fn generate_target(root: &Path, target: &Target) -> Result<Output, SpecError> {
    Ok(generate_target_files(root, target)?.remove(0))
}

/// Generates the client module and the mock helpers of one target.
pub fn generate_target_files(root: &Path, target: &Target) -> Result<Vec<Output>, SpecError> {
    let spec = load(&root.join(&target.spec))?;
    let prepared = prepare(&spec)?;
    let client = generate::client_source(&spec, target, &prepared)?;
    let mut outputs = vec![Output {
        path: target.output(),
        contents: client,
    }];
    if !target.fixture {
        outputs.push(Output {
            path: target.mock_output(),
            contents: generate::mock_source(&spec, target, &prepared)?,
        });
    }
    Ok(outputs)
}

/// Everything `cargo xtask generate` writes: each target's module and each provider's `generated/mod.rs`.
pub fn generate_all(root: &Path) -> Result<Vec<Output>, SpecError> {
    let targets =
        discover(root).map_err(|e| SpecError::new(&root.join("specs"), "", format!("cannot list specs: {e}")))?;
    let mut outputs = Vec::new();
    let mut providers: Vec<(String, Vec<String>)> = Vec::new();
    for t in &targets {
        outputs.extend(generate_target_files(root, t)?);
        match providers.iter_mut().find(|(p, _)| *p == t.provider) {
            Some((_, services)) => services.push(t.service.clone()),
            None => providers.push((t.provider.clone(), vec![t.service.clone()])),
        }
    }
    for (provider, services) in providers {
        let mut text = generate::header(&format!("specs/{provider}/"), None);
        text.push_str(
            "\n//! Generated clients, one module per spec. Formatting is the generator's, not rustfmt's.\n\n",
        );
        for s in services {
            text.push_str(&format!("#[rustfmt::skip]\npub mod {s};\n"));
            text.push_str(&format!(
                "/// httpmock helpers for [`crate::{s}`].\n#[cfg(feature = \"mock\")]\n#[rustfmt::skip]\n#[allow(clippy::all)]\npub mod {s}_mock;\n"
            ));
        }
        outputs.push(Output {
            path: PathBuf::from(format!("crates/{provider}/src/generated/mod.rs")),
            contents: text,
        });
    }
    outputs.push(cli_output(root, &targets)?);
    // The generator's fixtures: clients the test crate compiles and calls, proving that an operation
    // needs nothing but its spec.
    let fixtures = discover_fixtures(root).map_err(|e| {
        SpecError::new(
            &root.join("codegen/tests/fixtures"),
            "",
            format!("cannot list fixtures: {e}"),
        )
    })?;
    if !fixtures.is_empty() {
        let mut text = generate::header("codegen/tests/fixtures/", None);
        text.push_str(
            "\n//! Clients generated from the generator's fixture specs, over the published provider crates.\n\n",
        );
        for t in &fixtures {
            outputs.extend(generate_target_files(root, t)?);
            text.push_str(&format!(
                "#[rustfmt::skip]\n#[allow(missing_docs)]\npub mod {};\n",
                t.service
            ));
        }
        outputs.push(Output {
            path: PathBuf::from("tests/src/generated/mod.rs"),
            contents: text,
        });
    }
    Ok(outputs)
}

/// The `dbops` command line's operation subcommands, from every spec (`crates/dbops/src/generated/commands.rs`).
fn cli_output(root: &Path, targets: &[Target]) -> Result<Output, SpecError> {
    let mut loaded = Vec::new();
    for t in targets {
        let spec = load(&root.join(&t.spec))?;
        let prepared = prepare(&spec)?;
        let title = spec.doc["info"]["title"].as_str().unwrap_or_default().to_string();
        loaded.push((t, prepared, title));
    }
    let services: Vec<cli::CliService<'_>> = loaded
        .iter()
        .map(|(t, prepared, title)| cli::CliService {
            provider: &t.provider,
            service: &t.service,
            title,
            operations: &prepared.operations,
        })
        .collect();
    let tokens = cli::tokens(&services);
    let file = syn::parse2::<syn::File>(tokens).map_err(|e| {
        SpecError::new(
            &root.join("specs"),
            "",
            format!("generated command-line code does not parse: {e}"),
        )
    })?;
    let specs: Vec<&str> = targets.iter().map(|t| t.spec.as_str()).collect();
    let mut contents = generate::header(&specs.join(", "), None);
    contents.push_str(
        "\n//! The operation subcommands, one per operation of every spec. Formatting is the generator's.\n\n",
    );
    contents.push_str(&prettyplease::unparse(&file));
    Ok(Output {
        path: PathBuf::from("crates/dbops/src/generated/commands.rs"),
        contents,
    })
}
