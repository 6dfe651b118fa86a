//! `dbops`: every operation of the dbops clients as a subcommand,
//! `dbops <provider> <service> <operation> --<parameter> …`, generated from the specs, with the reply
//! printed as JSON. Credentials come from the vendors' environment variables; secret parameters from
//! environment variables too, never from flags.

use std::process::ExitCode;

use clap::{Arg, ArgAction, ArgMatches, Command};
use dbops_core::{Error, env_var};

mod audit;
mod db_user;
mod ended;
mod fleet;
mod select;
mod session;
mod sessions;
mod verbose;
mod watch;

mod generated {
    pub use crate::Context;
    #[rustfmt::skip]
    #[allow(clippy::all)]
    pub mod commands;
}

use ended::Ended;
use generated::commands::{self, Outcome};

/// What every subcommand shares: where to send, and whether to send at all.
#[derive(Debug, Default, Clone)]
pub struct Context {
    /// Print the signed request, secrets masked, instead of sending it.
    pub dry_run: bool,
    region: Option<String>,
    endpoint: Option<String>,
    profile: Option<String>,
    ca_bundle: Option<String>,
}

impl Context {
    fn from_matches(m: &ArgMatches) -> Self {
        Self {
            dry_run: m.get_flag("dry-run"),
            region: m.get_one::<String>("region").cloned(),
            endpoint: m.get_one::<String>("endpoint").cloned(),
            profile: m.get_one::<String>("profile").cloned(),
            ca_bundle: m.get_one::<String>("ca-bundle").cloned(),
        }
    }

    /// `--endpoint` if given (plain http only to this machine), else `--region` or the variable
    /// `region_var`; the roots of `--ca-bundle` (or `SSL_CERT_FILE`) trusted besides the system's.
    fn place<C>(
        &self,
        mut config: dbops_core::ClientConfig<C>,
        region_var: &str,
    ) -> Result<dbops_core::ClientConfig<C>, Error> {
        let bundle = match &self.ca_bundle {
            Some(path) => Some(("--ca-bundle", path.clone())),
            None => env_var("SSL_CERT_FILE")?
                .filter(|p| !p.is_empty())
                .map(|p| ("SSL_CERT_FILE", p)),
        };
        if let Some((source, path)) = bundle {
            let pem = std::fs::read(&path).map_err(|e| Error::Config(format!("{source} {path}: {e}")))?;
            config = config.add_root_certificates_pem(pem);
        }
        if let Some(endpoint) = &self.endpoint {
            let local = dbops_core::http::is_loopback_endpoint(endpoint);
            return Ok(config.endpoint(endpoint.clone()).allow_http(local));
        }
        match self
            .region
            .clone()
            .map_or_else(|| env_var(region_var), |r| Ok(Some(r)))?
        {
            Some(region) => Ok(config.region(region)),
            None => Ok(config),
        }
    }

    /// Huawei Cloud settings: `HUAWEICLOUD_SDK_AK`, `_SK`, `_PROJECT_ID` (and `_SECURITY_TOKEN`);
    /// the region from `--region` or `HUAWEICLOUD_SDK_REGION`.
    pub fn huaweicloud(&self) -> Result<huaweicloud_dbops::ClientConfig, Error> {
        self.place(huaweicloud_dbops::ClientConfig::from_env()?, "HUAWEICLOUD_SDK_REGION")
    }

    /// Alibaba Cloud settings: `ALIBABA_CLOUD_ACCESS_KEY_ID`, `_ACCESS_KEY_SECRET` (and
    /// `_SECURITY_TOKEN`), or else the Alibaba Cloud CLI's profile (`~/.aliyun/config.json`: `--profile`,
    /// `ALIBABA_CLOUD_PROFILE` or its current one; modes AK and StsToken); the documented DAS endpoint
    /// unless `--region` or `--endpoint` says otherwise.
    pub fn alibabacloud(&self) -> Result<alibabacloud_dbops::ClientConfig, Error> {
        let config = if std::env::var_os(alibabacloud_dbops::credentials::ENV_ACCESS_KEY_ID).is_some() {
            alibabacloud_dbops::ClientConfig::from_env()?
        } else {
            alibabacloud_dbops::ClientConfig::new(aliyun_profile(self.profile.clone())?)
        };
        self.place(config, "ALIBABA_CLOUD_REGION_ID")
    }

    /// A secret parameter, from the environment variable `var` (unset or empty: none).
    pub fn secret(&self, var: &str) -> Result<Option<String>, Error> {
        Ok(env_var(var)?.filter(|v| !v.is_empty()))
    }
}

/// Credentials from the Alibaba Cloud CLI's configuration file (`aliyun configure`), as documented:
/// `{"current": NAME, "profiles": [{"name", "mode", "access_key_id", "access_key_secret", "sts_token", …}]}`.
fn aliyun_profile(wanted: Option<String>) -> Result<alibabacloud_dbops::Credentials, Error> {
    let home = std::env::var_os("HOME").ok_or_else(|| {
        Error::Config(
            "no Alibaba Cloud credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET".into(),
        )
    })?;
    let path = std::path::Path::new(&home).join(".aliyun/config.json");
    let bytes = std::fs::read(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::Config(format!(
            "no Alibaba Cloud credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or configure the Alibaba Cloud CLI ({} not found)",
            path.display()
        )),
        _ => Error::Config(format!("cannot read {}: {e}", path.display())),
    })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        Error::Config(format!(
            "{} is not UTF-8 text (the Alibaba Cloud CLI writes UTF-8 JSON)",
            path.display()
        ))
    })?;
    let doc: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| Error::Config(format!("{} is not valid JSON: {e}", path.display())))?;
    let name = wanted
        .map_or_else(|| env_var("ALIBABA_CLOUD_PROFILE"), |p| Ok(Some(p)))?
        .or_else(|| doc["current"].as_str().map(str::to_string))
        .unwrap_or_else(|| "default".into());
    let profile = doc["profiles"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == name.as_str()))
        .ok_or_else(|| Error::Config(format!("no profile `{name}` in {}", path.display())))?;
    let field = |k: &str| profile[k].as_str().filter(|v| !v.is_empty()).map(str::to_string);
    let missing = |k: &str| Error::Config(format!("profile `{name}` in {} has no {k}", path.display()));
    let id = field("access_key_id").ok_or_else(|| missing("access_key_id"))?;
    let secret = field("access_key_secret").ok_or_else(|| missing("access_key_secret"))?;
    match profile["mode"].as_str().unwrap_or("AK") {
        "AK" => Ok(alibabacloud_dbops::Credentials::new(id, secret)),
        "StsToken" => Ok(alibabacloud_dbops::Credentials::sts(
            id,
            secret,
            field("sts_token").ok_or_else(|| missing("sts_token"))?,
        )),
        other => Err(Error::Config(format!(
            "profile `{name}` uses mode {other}; dbops reads AK and StsToken profiles (or set ALIBABA_CLOUD_ACCESS_KEY_ID)"
        ))),
    }
}

fn cli() -> Command {
    Command::new("dbops")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Find and kill database sessions on Huawei Cloud and Alibaba Cloud")
        .subcommand_required(true)
        .arg_required_else_help(true)
        .arg(
            Arg::new("region")
                .long("region")
                .global(true)
                .value_name("REGION")
                .help("The region (Huawei: required unless HUAWEICLOUD_SDK_REGION or --endpoint is set)"),
        )
        .arg(
            Arg::new("endpoint")
                .long("endpoint")
                .global(true)
                .value_name("URL")
                .help("The endpoint instead of the region's (plain http only to this machine)"),
        )
        .arg(
            Arg::new("profile")
                .long("profile")
                .global(true)
                .value_name("NAME")
                .help("Alibaba Cloud: the Alibaba Cloud CLI profile to use when no credential variables are set"),
        )
        .arg(
            Arg::new("ca-bundle")
                .long("ca-bundle")
                .global(true)
                .value_name("FILE")
                .help("Also trust the certificate authorities in this PEM file (default: SSL_CERT_FILE, if set)"),
        )
        .arg(
            Arg::new("verbose")
                .long("verbose")
                .short('v')
                .global(true)
                .action(ArgAction::SetTrue)
                .help("Show each call on standard error: method, path, status, request id, attempts, time (never a secret)"),
        )
        .arg(
            Arg::new("dry-run")
                .long("dry-run")
                .global(true)
                .action(ArgAction::SetTrue)
                .help("Print the signed request, secrets masked, and send nothing"),
        )
        .subcommand(sessions::command())
        .subcommand(db_user::command())
        .subcommand(
            Command::new("completions")
                .about("Print the shell completion script for bash, zsh, fish or powershell")
                .arg(
                    Arg::new("shell")
                        .required(true)
                        .value_parser(["bash", "zsh", "fish", "powershell"]),
                ),
        )
        .subcommand(Command::new("man").about("Print the manual page (roff), made from the same definitions as --help"))
        .subcommands(commands::commands())
}

/// The exit status of an error: 2 when nothing was sent (bad input or settings), 1 otherwise.
fn failed(e: &Error) -> ExitCode {
    eprintln!("error: {e}");
    match e {
        Error::InvalidRequest(_) | Error::Config(_) => Ended::NothingSent.code(),
        _ => Ended::Failed.code(),
    }
}

fn print_bytes(bytes: &[u8]) -> ExitCode {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: standard output: {e}");
            ExitCode::FAILURE
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let m = cli().get_matches();
    if m.get_flag("verbose") {
        verbose::install();
    }
    let ctx = Context::from_matches(&m);
    let Some((provider, pm)) = m.subcommand() else {
        return ExitCode::from(2);
    };
    if provider == "completions" {
        let shell = match pm.get_one::<String>("shell").map(String::as_str) {
            Some("zsh") => clap_complete::Shell::Zsh,
            Some("fish") => clap_complete::Shell::Fish,
            Some("powershell") => clap_complete::Shell::PowerShell,
            _ => clap_complete::Shell::Bash,
        };
        // Made in memory and written once: a closed pipe is an error to report, not a panic.
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut cli(), "dbops", &mut script);
        return print_bytes(&script);
    }
    if provider == "man" {
        let mut page = Vec::new();
        return match clap_mangen::Man::new(cli()).render(&mut page) {
            Ok(()) => print_bytes(&page),
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if provider == "db-user" {
        return match pm.subcommand() {
            Some(("register", rm)) => db_user::register(rm, &ctx)
                .await
                .map_or_else(|e| failed(&e), |()| ExitCode::SUCCESS),
            _ => ExitCode::from(2),
        };
    }
    if provider == "sessions" {
        return match pm.subcommand() {
            Some(("list", lm)) => sessions::list(lm, &ctx).await.map_or_else(|e| failed(&e), Ended::code),
            Some(("kill", km)) => sessions::kill(km, &ctx).await.map_or_else(|e| failed(&e), Ended::code),
            _ => ExitCode::from(2),
        };
    }
    let Some((service, sm)) = pm.subcommand() else {
        return ExitCode::from(2);
    };
    let Some((op, om)) = sm.subcommand() else {
        return ExitCode::from(2);
    };
    match commands::run(provider, service, op, om, &ctx).await {
        Ok(Outcome::Reply(reply)) => {
            println!("{reply}");
            ExitCode::SUCCESS
        }
        Ok(Outcome::DryRun(request)) => {
            print!("{request}");
            ExitCode::SUCCESS
        }
        Err(e) => failed(&e),
    }
}
