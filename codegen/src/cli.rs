//! The `dbops` command line's operation subcommands, written from the operation models of every spec:
//! `dbops <provider> <service> <operation> --<parameter> …`, one flag per parameter (help from the spec's
//! description), each call made through the generated builder and its reply printed as JSON. Secret
//! parameters are never flags: each is read from an environment variable (`--<name>-env` names it).

use heck::{ToKebabCase, ToShoutySnakeCase};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::model::{Int, Kind, OpModel, camel};

/// One spec's operations, as the command line sees them.
pub struct CliService<'a> {
    /// `huaweicloud`.
    pub provider: &'a str,
    /// `das`.
    pub service: &'a str,
    /// The spec's title, for `--help`.
    pub title: &'a str,
    pub operations: &'a [OpModel],
}

/// The subcommand name of a provider directory: `huaweicloud` → `huawei`, `alibabacloud` → `alibaba`.
pub fn provider_command(provider: &str) -> String {
    provider.strip_suffix("cloud").unwrap_or(provider).to_string()
}

/// The flag of a parameter (its Rust name in kebab case).
fn flag(p: &crate::model::Param) -> String {
    p.rust.to_kebab_case()
}

/// The environment variable a secret parameter is read from by default.
fn secret_env(p: &crate::model::Param) -> String {
    format!("DBOPS_{}", p.rust.to_shouty_snake_case())
}

fn help_of(op: &OpModel, p: &crate::model::Param) -> String {
    let mut h = p.description.clone().unwrap_or_default();
    if h.is_empty() {
        h = format!("`{}` of {}", p.wire, op.name);
    }
    h
}

fn arg_tokens(op: &OpModel, p: &crate::model::Param) -> TokenStream {
    let id = flag(p);
    let help = help_of(op, p);
    let required = p.required && !p.kind.is_list();
    match p.kind {
        Kind::Secret => {
            let id = format!("{id}-env");
            let default = secret_env(p);
            let help = format!(
                "The environment variable holding `{}` (a secret: never a flag). {help}",
                p.wire
            );
            quote! {
                ::clap::Arg::new(#id).long(#id).value_name("VAR").default_value(#default).help(#help)
            }
        }
        Kind::Str => quote! {
            ::clap::Arg::new(#id).long(#id).value_name("TEXT").required(#required).help(#help)
        },
        Kind::Bool => quote! {
            ::clap::Arg::new(#id)
                .long(#id)
                .value_name("true|false")
                .value_parser(::clap::value_parser!(bool))
                .required(#required)
                .help(#help)
        },
        Kind::Int(i) => {
            let parser = match i {
                Int::U64 => quote!(::clap::value_parser!(u64)),
                Int::I64 => quote!(::clap::value_parser!(i64)),
            };
            quote! {
                ::clap::Arg::new(#id).long(#id).value_name("N").value_parser(#parser).required(#required).help(#help)
            }
        }
        Kind::Strs => quote! {
            ::clap::Arg::new(#id)
                .long(#id)
                .value_name("TEXT")
                .num_args(1..)
                .action(::clap::ArgAction::Append)
                .help(#help)
        },
        Kind::Ints(i) => {
            let parser = match i {
                Int::U64 => quote!(::clap::value_parser!(u64)),
                Int::I64 => quote!(::clap::value_parser!(i64)),
            };
            quote! {
                ::clap::Arg::new(#id)
                    .long(#id)
                    .value_name("N")
                    .num_args(1..)
                    .action(::clap::ArgAction::Append)
                    .value_parser(#parser)
                    .help(#help)
            }
        }
    }
}

/// Statements applying the parsed flags to the builder `b`.
fn apply_tokens(p: &crate::model::Param) -> TokenStream {
    let id = flag(p);
    let setter = crate::ops::ident(&p.rust);
    match p.kind {
        Kind::Secret => {
            let id = format!("{id}-env");
            quote! {
                if let ::std::option::Option::Some(var) = m.get_one::<::std::string::String>(#id) {
                    if let ::std::option::Option::Some(secret) = ctx.secret(var)? {
                        b = b.#setter(secret);
                    }
                }
            }
        }
        Kind::Str => quote! {
            if let ::std::option::Option::Some(v) = m.get_one::<::std::string::String>(#id) {
                b = b.#setter(v.clone());
            }
        },
        Kind::Bool => quote! {
            if let ::std::option::Option::Some(v) = m.get_one::<bool>(#id) {
                b = b.#setter(*v);
            }
        },
        Kind::Int(i) => {
            let t = match i {
                Int::U64 => quote!(u64),
                Int::I64 => quote!(i64),
            };
            quote! {
                if let ::std::option::Option::Some(v) = m.get_one::<#t>(#id) {
                    b = b.#setter(*v);
                }
            }
        }
        Kind::Strs => quote! {
            if let ::std::option::Option::Some(v) = m.get_many::<::std::string::String>(#id) {
                b = b.#setter(v.cloned());
            }
        },
        Kind::Ints(i) => {
            let t = match i {
                Int::U64 => quote!(u64),
                Int::I64 => quote!(i64),
            };
            quote! {
                if let ::std::option::Option::Some(v) = m.get_many::<#t>(#id) {
                    b = b.#setter(v.copied());
                }
            }
        }
    }
}

/// The whole generated command-line module for these services.
pub fn tokens(services: &[CliService<'_>]) -> TokenStream {
    let mut providers: Vec<(String, Vec<&CliService<'_>>)> = Vec::new();
    for s in services {
        let p = provider_command(s.provider);
        match providers.iter_mut().find(|(n, _)| *n == p) {
            Some((_, list)) => list.push(s),
            None => providers.push((p, vec![s])),
        }
    }
    let provider_cmds = providers.iter().map(|(pname, list)| {
        let names: Vec<&str> = list.iter().map(|s| s.service).collect();
        let about = format!("{} operations: {}", list[0].provider, names.join(", "));
        let services = list.iter().map(|s| {
            let sname = s.service;
            let about = s.title;
            let ops = s.operations.iter().map(|op| {
                let name = op.id.to_kebab_case();
                let about = op.summary.clone().unwrap_or_else(|| op.name.clone());
                let long = op.description.clone().unwrap_or_default();
                let args = op
                    .params
                    .iter()
                    .filter(|p| p.credential.is_none())
                    .map(|p| arg_tokens(op, p));
                quote! {
                    ::clap::Command::new(#name).about(#about).long_about(#long) #(.arg(#args))*
                }
            });
            quote! {
                ::clap::Command::new(#sname).about(#about).subcommand_required(true) #(.subcommand(#ops))*
            }
        });
        quote! {
            ::clap::Command::new(#pname).about(#about).subcommand_required(true) #(.subcommand(#services))*
        }
    });
    let arms = services.iter().flat_map(|s| {
        let pname = provider_command(s.provider);
        let sname = s.service;
        let krate = format_ident!("{}_dbops", s.provider);
        let client = format_ident!("{}Client", camel(s.service));
        let config = format_ident!("{}", s.provider);
        s.operations.iter().map(move |op| {
            let name = op.id.to_kebab_case();
            let method = format_ident!("{}", op.id);
            let applies = op.params.iter().filter(|p| p.credential.is_none()).map(apply_tokens);
            quote! {
                (#pname, #sname, #name) => {
                    let client = #krate::#client::new(ctx.#config()?)?;
                    let mut b = client.#method();
                    #(#applies)*
                    if ctx.dry_run {
                        Ok(Outcome::DryRun(b.dry_run().await?.to_string()))
                    } else {
                        let reply = b.send().await?;
                        Ok(Outcome::Reply(::serde_json::to_value(&reply).unwrap_or_default()))
                    }
                }
            }
        })
    });
    quote! {
        use super::Context;

        /// What an operation subcommand produced.
        #[derive(Debug)]
        pub enum Outcome {
            /// The reply, as JSON.
            Reply(::serde_json::Value),
            /// The signed request a dry run would have sent, secrets masked.
            DryRun(::std::string::String),
        }

        /// One subcommand per provider, with its services and their operations.
        pub fn commands() -> ::std::vec::Vec<::clap::Command> {
            ::std::vec![#(#provider_cmds),*]
        }

        /// Runs operation `op` of `service` of `provider` with the flags in `m`.
        pub async fn run(
            provider: &str,
            service: &str,
            op: &str,
            m: &::clap::ArgMatches,
            ctx: &Context,
        ) -> ::std::result::Result<Outcome, dbops_core::Error> {
            match (provider, service, op) {
                #(#arms)*
                _ => ::std::result::Result::Err(dbops_core::Error::Config(::std::format!(
                    "no operation `{provider} {service} {op}`"
                ))),
            }
        }
    }
}
