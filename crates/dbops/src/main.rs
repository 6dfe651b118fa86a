//! `dbops`: every operation of the dbops clients as a subcommand,
//! `dbops <provider> <service> <operation> --<parameter> …`, generated from the specs, with the reply
//! printed as JSON. Credentials come from the vendors' environment variables; secret parameters from
//! environment variables too, never from flags.

use std::process::ExitCode;

use clap::{Arg, ArgAction, ArgMatches, Command};
use dbops_core::Error;

mod fleet;
mod sessions;

mod generated {
    pub use crate::Context;
    #[rustfmt::skip]
    #[allow(clippy::all)]
    pub mod commands;
}

use generated::commands::{self, Outcome};

/// What every subcommand shares: where to send, and whether to send at all.
#[derive(Debug, Default, Clone)]
pub struct Context {
    /// Print the signed request, secrets masked, instead of sending it.
    pub dry_run: bool,
    region: Option<String>,
    endpoint: Option<String>,
}

impl Context {
    fn from_matches(m: &ArgMatches) -> Self {
        Self {
            dry_run: m.get_flag("dry-run"),
            region: m.get_one::<String>("region").cloned(),
            endpoint: m.get_one::<String>("endpoint").cloned(),
        }
    }

    /// `--endpoint` if given (plain http only to this machine), else `--region` or the variable `region_var`.
    fn place<C>(
        &self,
        config: dbops_core::ClientConfig<C>,
        region_var: &str,
    ) -> Result<dbops_core::ClientConfig<C>, Error> {
        if let Some(endpoint) = &self.endpoint {
            let local = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
                .iter()
                .any(|p| endpoint.starts_with(p));
            return Ok(config.endpoint(endpoint.clone()).allow_http(local));
        }
        match self.region.clone().or_else(|| std::env::var(region_var).ok()) {
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
    /// `_SECURITY_TOKEN`); the documented DAS endpoint unless `--region` or `--endpoint` says otherwise.
    pub fn alibabacloud(&self) -> Result<alibabacloud_dbops::ClientConfig, Error> {
        self.place(alibabacloud_dbops::ClientConfig::from_env()?, "ALIBABA_CLOUD_REGION_ID")
    }

    /// A secret parameter, from the environment variable `var`.
    pub fn secret(&self, var: &str) -> Option<String> {
        std::env::var(var).ok().filter(|v| !v.is_empty())
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
            Arg::new("dry-run")
                .long("dry-run")
                .global(true)
                .action(ArgAction::SetTrue)
                .help("Print the signed request, secrets masked, and send nothing"),
        )
        .subcommand(sessions::command())
        .subcommands(commands::commands())
}

/// The exit status of an error: 2 when nothing was sent (bad input or settings), 1 otherwise.
fn failed(e: &Error) -> ExitCode {
    eprintln!("error: {e}");
    match e {
        Error::InvalidRequest(_) | Error::Config(_) => ExitCode::from(2),
        _ => ExitCode::FAILURE,
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let m = cli().get_matches();
    let ctx = Context::from_matches(&m);
    let Some((provider, pm)) = m.subcommand() else {
        return ExitCode::from(2);
    };
    if provider == "sessions" {
        return match pm.subcommand() {
            Some(("list", lm)) => match sessions::list(lm, &ctx).await {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(e) => failed(&e),
            },
            Some(("kill", km)) => match sessions::kill(km, &ctx).await {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(e) => failed(&e),
            },
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
            let text = if reply.is_null() {
                "{}".to_string()
            } else {
                reply.to_string()
            };
            println!("{text}");
            ExitCode::SUCCESS
        }
        Ok(Outcome::DryRun(request)) => {
            print!("{request}");
            ExitCode::SUCCESS
        }
        Err(e) => failed(&e),
    }
}
