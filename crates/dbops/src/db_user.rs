//! `dbops db-user register`: registers a database account with Huawei Cloud DAS (`RegisterDbUser`) and
//! prints the DAS connection id (`db_user_id`) that `sessions` needs for huawei-das. The password comes
//! from `DBOPS_DB_USER_PASSWORD` or, on a terminal, a prompt that does not echo it: never from a flag.

use std::io::IsTerminal;

use clap::{Arg, ArgMatches, Command};
use dbops_core::Error;

use crate::Context;

/// `dbops db-user …`.
pub fn command() -> Command {
    Command::new("db-user")
        .about("Huawei Cloud DAS: the database accounts DAS connects with")
        .subcommand_required(true)
        .subcommand(
            Command::new("register")
                .about("Register a database account with DAS and print its db_user_id")
                .arg(
                    Arg::new("instance")
                        .long("instance")
                        .value_name("ID")
                        .required(true)
                        .help("The MySQL instance"),
                )
                .arg(
                    Arg::new("db-username")
                        .long("db-username")
                        .value_name("NAME")
                        .required(true)
                        .help("The database account"),
                ),
        )
}

/// `dbops db-user register`.
pub async fn register(m: &ArgMatches, ctx: &Context) -> Result<(), Error> {
    let password = match ctx.secret("DBOPS_DB_USER_PASSWORD")? {
        Some(p) => p,
        None if std::io::stdin().is_terminal() => dialoguer::Password::new()
            .with_prompt("database password")
            .interact()
            .map_err(|e| Error::Config(format!("password prompt: {e}")))?,
        None => {
            return Err(Error::Config(
                "the password comes from DBOPS_DB_USER_PASSWORD or a prompt on a terminal, never a flag".into(),
            ));
        }
    };
    let das = huaweicloud_dbops::DasClient::new(ctx.huaweicloud()?)?;
    let b = das
        .register_db_user()
        .instance_id(m.get_one::<String>("instance").cloned().unwrap_or_default())
        .db_username(m.get_one::<String>("db-username").cloned().unwrap_or_default())
        .db_user_password(password)
        .datastore_type("MySQL");
    if ctx.dry_run {
        print!("{}", b.dry_run().await?);
        return Ok(());
    }
    let reply = b.send().await?;
    println!("{}", serde_json::json!({"db_user_id": reply.db_user_id}));
    Ok(())
}
