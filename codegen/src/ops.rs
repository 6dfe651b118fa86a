//! The operation layer progenitor cannot express, written from the operation model
//! ([`crate::model`]): per service a client with one method per operation; per operation a typed input
//! (`<Op>Input`) with a generated `check` over its typed values, a fluent builder (`<Op>`) with one
//! setter per parameter and `send` / `dry_run`, and the wire form of its API style (REST: method, path
//! with each id as one segment, query, headers, JSON body; RPC: `POST /` with every parameter in the
//! canonical query). The hand-written provider runtime only signs, sends, retries and reads replies.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};

use crate::error::SpecError;
use crate::load::{ApiStyle, Spec};
use crate::model::{Done, Int, Kind, Loc, OpModel, Param, Rule, camel};
use crate::transform::Prepared;

pub(crate) fn ident(name: &str) -> syn::Ident {
    syn::parse_str::<syn::Ident>(name).unwrap_or_else(|_| syn::Ident::new_raw(name, Span::call_site()))
}

fn int_ty(int: Int) -> TokenStream {
    match int {
        Int::I64 => quote!(i64),
        Int::U64 => quote!(u64),
    }
}

/// The type of a parameter's value (one item, for lists).
fn value_ty(kind: Kind) -> TokenStream {
    match kind {
        Kind::Str | Kind::Strs => quote!(::std::string::String),
        Kind::Secret => quote!(__SecretString),
        Kind::Bool => quote!(bool),
        Kind::Int(i) | Kind::Ints(i) => int_ty(i),
    }
}

/// The input's field type: a list, or an optional scalar (required ones are checked to be set).
fn field_ty(kind: Kind) -> TokenStream {
    let v = value_ty(kind);
    if kind.is_list() {
        quote!(::std::vec::Vec<#v>)
    } else {
        quote!(::std::option::Option<#v>)
    }
}

fn doc_of(p: &Param) -> String {
    let mut doc = format!("`{}` ({}", p.wire, loc_name(p.loc));
    doc.push_str(if p.required { ", required)" } else { ", optional)" });
    if let Some(d) = &p.description {
        doc.push_str(": ");
        doc.push_str(d);
    }
    doc
}

fn loc_name(loc: Loc) -> &'static str {
    match loc {
        Loc::Path => "path",
        Loc::Query => "query",
        Loc::Header => "header",
        Loc::Body => "body",
    }
}

/// The setter of a parameter on the input (`consuming self`).
fn setter(p: &Param) -> TokenStream {
    let name = ident(&p.rust);
    let doc = doc_of(p);
    let v = value_ty(p.kind);
    match p.kind {
        Kind::Str | Kind::Secret => quote! {
            #[doc = #doc]
            pub fn #name(mut self, value: impl ::std::convert::Into<#v>) -> Self {
                self.#name = ::std::option::Option::Some(value.into());
                self
            }
        },
        Kind::Bool | Kind::Int(_) => quote! {
            #[doc = #doc]
            pub fn #name(mut self, value: #v) -> Self {
                self.#name = ::std::option::Option::Some(value);
                self
            }
        },
        Kind::Strs => quote! {
            #[doc = #doc]
            ///
            /// Replaces the list set before.
            pub fn #name<I>(mut self, value: I) -> Self
            where
                I: ::std::iter::IntoIterator,
                I::Item: ::std::convert::Into<::std::string::String>,
            {
                self.#name = value.into_iter().map(::std::convert::Into::into).collect();
                self
            }
        },
        Kind::Ints(_) => quote! {
            #[doc = #doc]
            ///
            /// Replaces the list set before.
            pub fn #name(mut self, value: impl ::std::iter::IntoIterator<Item = #v>) -> Self {
                self.#name = value.into_iter().collect();
                self
            }
        },
    }
}

/// The same setter on the builder, handing over to the input's.
fn builder_setter(p: &Param) -> TokenStream {
    let name = ident(&p.rust);
    let doc = doc_of(p);
    let v = value_ty(p.kind);
    match p.kind {
        Kind::Str | Kind::Secret => quote! {
            #[doc = #doc]
            pub fn #name(mut self, value: impl ::std::convert::Into<#v>) -> Self {
                self.input = self.input.#name(value);
                self
            }
        },
        Kind::Bool | Kind::Int(_) => quote! {
            #[doc = #doc]
            pub fn #name(mut self, value: #v) -> Self {
                self.input = self.input.#name(value);
                self
            }
        },
        Kind::Strs => quote! {
            #[doc = #doc]
            ///
            /// Replaces the list set before.
            pub fn #name<I>(mut self, value: I) -> Self
            where
                I: ::std::iter::IntoIterator,
                I::Item: ::std::convert::Into<::std::string::String>,
            {
                self.input = self.input.#name(value);
                self
            }
        },
        Kind::Ints(_) => quote! {
            #[doc = #doc]
            ///
            /// Replaces the list set before.
            pub fn #name(mut self, value: impl ::std::iter::IntoIterator<Item = #v>) -> Self {
                self.input = self.input.#name(value);
                self
            }
        },
    }
}

/// The static holding a pattern, compiled once.
fn pattern_ident(op: &OpModel, p: &Param, n: usize) -> syn::Ident {
    format_ident!("{}_{}_PATTERN_{}", op.id.to_uppercase(), p.rust.to_uppercase(), n)
}

/// Statements applying `rules` to `v` (a `&str` or an integer), naming the field with `name`.
fn rule_checks(
    rules: &[Rule],
    v: &TokenStream,
    kind: Kind,
    name: &dyn Fn(TokenStream) -> TokenStream,
    patterns: &mut Vec<(syn::Ident, String)>,
    pattern_base: &dyn Fn(usize) -> syn::Ident,
) -> Vec<TokenStream> {
    let int = match kind {
        Kind::Int(i) | Kind::Ints(i) => Some(i),
        _ => None,
    };
    rules
        .iter()
        .filter(|r| !matches!(r, Rule::MinItems(_) | Rule::MaxItems(_)))
        .map(|r| {
            let rule = match r {
                Rule::Pattern(p) => {
                    let id = pattern_base(patterns.len());
                    patterns.push((id.clone(), p.clone()));
                    quote!(dbops_core::check::pattern(#v, &#id))
                }
                Rule::MinLength(n) => {
                    let n = *n as usize;
                    quote!(dbops_core::check::min_length(#v, #n))
                }
                Rule::MaxLength(n) => {
                    let n = *n as usize;
                    quote!(dbops_core::check::max_length(#v, #n))
                }
                Rule::Minimum(n) | Rule::Maximum(n) => {
                    let f = if matches!(r, Rule::Minimum(_)) {
                        quote!(minimum)
                    } else {
                        quote!(maximum)
                    };
                    let bound = match int {
                        Some(Int::U64) => {
                            let n = (*n).max(0) as u64;
                            quote!(#n)
                        }
                        _ => quote!(#n),
                    };
                    quote!(dbops_core::check::#f(#v, #bound))
                }
                Rule::IntegerText { min, max } => quote!(dbops_core::check::integer_text(#v, #min, #max)),
                Rule::OneOf(values) => quote!(dbops_core::check::one_of(#v, &[#(#values),*])),
                Rule::MinItems(_) | Rule::MaxItems(_) => unreachable!("filtered"),
            };
            let named = name(rule);
            quote!(#named?;)
        })
        .collect()
}

/// Whether a parameter counts as given (for `x-at-least-one-of` and `x-absent-when`): set, and not
/// empty for strings and lists.
fn given(p: &Param) -> TokenStream {
    let f = ident(&p.rust);
    match p.kind {
        Kind::Str => quote!(self.#f.as_deref().is_some_and(|v| !v.is_empty())),
        Kind::Secret => quote!(self.#f.as_ref().is_some_and(|v| !v.expose().is_empty())),
        Kind::Bool | Kind::Int(_) => quote!(self.#f.is_some()),
        Kind::Strs | Kind::Ints(_) => quote!(!self.#f.is_empty()),
    }
}

/// The generated `check` of one input.
fn check_fn(op: &OpModel, patterns: &mut Vec<(syn::Ident, String)>) -> TokenStream {
    let mut stmts = Vec::new();
    for p in op.params.iter().filter(|p| p.credential.is_none()) {
        let f = ident(&p.rust);
        let wire = &p.wire;
        let base = |n: usize| pattern_ident(op, p, n);
        let field = |r: TokenStream| quote!(dbops_core::check::field(#wire, #r));
        match p.kind {
            Kind::Strs | Kind::Ints(_) => {
                for r in &p.rules {
                    match r {
                        Rule::MinItems(n) => {
                            let n = *n as usize;
                            stmts.push(quote!(dbops_core::check::field(#wire, dbops_core::check::min_items(self.#f.len(), #n))?;));
                        }
                        Rule::MaxItems(n) => {
                            let n = *n as usize;
                            stmts.push(quote!(dbops_core::check::field(#wire, dbops_core::check::max_items(self.#f.len(), #n))?;));
                        }
                        _ => {}
                    }
                }
                let v = if p.kind == Kind::Strs {
                    quote!(v.as_str())
                } else {
                    quote!(*v)
                };
                let item = |r: TokenStream| quote!(dbops_core::check::item(#wire, i, #r));
                let checks = rule_checks(&p.item_rules, &v, p.kind, &item, patterns, &|n| {
                    pattern_ident(op, p, 100 + n)
                });
                if !checks.is_empty() {
                    stmts.push(quote! {
                        for (i, v) in self.#f.iter().enumerate() {
                            #(#checks)*
                        }
                    });
                }
            }
            _ => {
                let (bind, v) = match p.kind {
                    Kind::Str => (quote!(self.#f.as_deref()), quote!(v)),
                    Kind::Secret => (quote!(self.#f.as_ref().map(__SecretString::expose)), quote!(v)),
                    _ => (quote!(self.#f), quote!(v)),
                };
                let checks = rule_checks(&p.rules, &v, p.kind, &field, patterns, &base);
                let present = if matches!(p.kind, Kind::Str | Kind::Secret) && !p.required {
                    // An empty optional string is left out of the request, so it is not checked either.
                    quote!(#bind.filter(|v| !v.is_empty()))
                } else {
                    bind
                };
                if p.required && checks.is_empty() {
                    stmts.push(quote! {
                        if #present.is_none() {
                            return ::std::result::Result::Err(dbops_core::check::required(#wire));
                        }
                    });
                } else if p.required {
                    stmts.push(quote! {
                        let ::std::option::Option::Some(v) = #present else {
                            return ::std::result::Result::Err(dbops_core::check::required(#wire));
                        };
                        #(#checks)*
                    });
                } else if !checks.is_empty() {
                    stmts.push(quote! {
                        if let ::std::option::Option::Some(v) = #present {
                            #(#checks)*
                        }
                    });
                }
            }
        }
    }
    if !op.at_least_one_of.is_empty() {
        let names = &op.at_least_one_of;
        let given: Vec<_> = names
            .iter()
            .filter_map(|n| op.params.iter().find(|p| &p.wire == n))
            .map(given)
            .collect();
        stmts.push(quote!(dbops_core::check::at_least_one_of(&[#(#names),*], &[#(#given),*])?;));
    }
    for a in &op.absent_when {
        let (Some(p), Some(other)) = (
            op.params.iter().find(|p| p.wire == a.param),
            op.params.iter().find(|p| p.wire == a.other),
        ) else {
            continue;
        };
        let given = given(p);
        let other_f = ident(&other.rust);
        let value = a.value;
        let wire = &a.param;
        let rule = format!("must be left out when {} is {}: {}", a.other, a.value, a.why);
        stmts.push(quote! {
            if self.#other_f == ::std::option::Option::Some(#value) && #given {
                return ::std::result::Result::Err(dbops_core::Violation::new(#wire, #rule));
            }
        });
    }
    let doc = format!(
        "Checks every rule the spec gives `{}`'s parameters, naming the field and the rule of the first one broken. `send` and `dry_run` call it before anything is built.",
        op.name
    );
    quote! {
        #[doc = #doc]
        pub fn check(&self) -> ::std::result::Result<(), dbops_core::Violation> {
            #(#stmts)*
            ::std::result::Result::Ok(())
        }
    }
}

/// The value of a checked parameter for the wire: `&str` for strings, the number or flag itself.
fn wire_value(p: &Param) -> TokenStream {
    let f = ident(&p.rust);
    match p.kind {
        Kind::Str => quote!(self.#f.as_deref().unwrap_or_default()),
        Kind::Secret => quote!(self.#f.as_ref().map(__SecretString::expose).unwrap_or_default()),
        Kind::Bool | Kind::Int(_) => quote!(self.#f.unwrap_or_default()),
        Kind::Strs | Kind::Ints(_) => quote!(&self.#f),
    }
}

/// Statements adding a parameter to `query` (a `dbops_core::wire::Query`), leaving out what is absent.
fn query_stmt(p: &Param) -> TokenStream {
    let f = ident(&p.rust);
    let wire = &p.wire;
    match p.kind {
        Kind::Str if p.required => quote!(query.str(#wire, self.#f.as_deref().unwrap_or_default());),
        Kind::Str => quote! {
            if let ::std::option::Option::Some(v) = self.#f.as_deref().filter(|v| !v.is_empty()) {
                query.str(#wire, v);
            }
        },
        Kind::Secret if p.required => quote! {
            query.str(#wire, self.#f.as_ref().map(__SecretString::expose).unwrap_or_default());
        },
        Kind::Secret => quote! {
            if let ::std::option::Option::Some(v) = self.#f.as_ref().map(__SecretString::expose).filter(|v| !v.is_empty()) {
                query.str(#wire, v);
            }
        },
        Kind::Bool => quote! {
            if let ::std::option::Option::Some(v) = self.#f {
                query.bool(#wire, v);
            }
        },
        Kind::Int(_) => quote! {
            if let ::std::option::Option::Some(v) = self.#f {
                query.int(#wire, v);
            }
        },
        Kind::Strs | Kind::Ints(_) if p.json_text => quote! {
            if !self.#f.is_empty() {
                query.json(#wire, &self.#f);
            }
        },
        Kind::Strs => quote! {
            for v in &self.#f {
                query.str(#wire, v);
            }
        },
        Kind::Ints(_) => quote! {
            for v in &self.#f {
                query.int(#wire, *v);
            }
        },
    }
}

/// `wire_query` of an input: the query as it is sent (and signed), parameters in spec order for REST
/// and sorted by name (the canonical form) for RPC.
fn query_fn(style: ApiStyle, params: &[&Param]) -> TokenStream {
    let mut params: Vec<&Param> = params.to_vec();
    if style == ApiStyle::AcsRpc {
        params.sort_by(|a, b| a.wire.cmp(&b.wire));
    }
    if params.is_empty() {
        return quote! {
            /// The query string this input is sent with: none.
            #[doc(hidden)]
            pub fn wire_query(&self) -> ::std::string::String {
                ::std::string::String::new()
            }
        };
    }
    let stmts = params.iter().map(|p| query_stmt(p));
    quote! {
        /// The query string this input is sent with (percent-encoded, without `?`), secrets in clear:
        /// for the runtime and the mock helpers, not for display.
        #[doc(hidden)]
        pub fn wire_query(&self) -> ::std::string::String {
            let mut query = dbops_core::wire::Query::with_capacity(256);
            #(#stmts)*
            query.finish()
        }
    }
}

/// Statements writing the path template, each parameter checked and encoded as one segment.
fn path_stmts(spec: &Spec, op: &OpModel) -> Result<TokenStream, SpecError> {
    let mut stmts = Vec::new();
    let mut rest = op.path.as_str();
    let mut capacity = op.path.len();
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else {
            break;
        };
        let lit = &rest[..open];
        if !lit.is_empty() {
            stmts.push(quote!(path.push_str(#lit);));
        }
        let name = &rest[open + 1..close];
        let p = op
            .params
            .iter()
            .find(|p| p.wire == name && p.loc == Loc::Path)
            .ok_or_else(|| {
                SpecError::new(
                    &spec.file,
                    crate::error::push("/paths", &op.path),
                    format!("path parameter `{name}` is not declared"),
                )
            })?;
        let value = if p.credential.is_some() {
            let v = format_ident!("credential_{}", p.rust);
            quote!(#v)
        } else {
            wire_value(p)
        };
        stmts.push(quote!(dbops_core::encode::push_path_param(&mut path, #name, #value)?;));
        capacity += 32;
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        stmts.push(quote!(path.push_str(#rest);));
    }
    Ok(quote! {
        let mut path = ::std::string::String::with_capacity(#capacity);
        #(#stmts)*
    })
}

/// The body of a REST operation: a struct borrowing the input's values, serialized by serde_json with
/// the wire names (fields sorted by name; absent and empty optional values left out).
fn body_stmts(params: &[&Param]) -> TokenStream {
    if params.is_empty() {
        return quote!(let body = ::std::option::Option::None;);
    }
    let mut params: Vec<&Param> = params.to_vec();
    params.sort_by(|a, b| a.wire.cmp(&b.wire));
    let fields = params.iter().map(|p| {
        let f = ident(&p.rust);
        let wire = &p.wire;
        let (ty, skip) = match (p.kind, p.required) {
            (Kind::Str | Kind::Secret, true) => (quote!(&'a str), None),
            (Kind::Str | Kind::Secret, false) => (quote!(::std::option::Option<&'a str>), Some("Option::is_none")),
            (Kind::Bool, true) => (quote!(bool), None),
            (Kind::Bool, false) => (quote!(::std::option::Option<bool>), Some("Option::is_none")),
            (Kind::Int(i), true) => (int_ty(i), None),
            (Kind::Int(i), false) => {
                let t = int_ty(i);
                (quote!(::std::option::Option<#t>), Some("Option::is_none"))
            }
            (Kind::Strs, r) => (quote!(&'a [::std::string::String]), (!r).then_some("<[_]>::is_empty")),
            (Kind::Ints(i), r) => {
                let t = int_ty(i);
                (quote!(&'a [#t]), (!r).then_some("<[_]>::is_empty"))
            }
        };
        match skip {
            Some(skip) => quote!(#[serde(rename = #wire, skip_serializing_if = #skip)] #f: #ty,),
            None => quote!(#[serde(rename = #wire)] #f: #ty,),
        }
    });
    let values = params.iter().map(|p| {
        let f = ident(&p.rust);
        let v = match (p.kind, p.required) {
            (Kind::Str, false) => quote!(self.#f.as_deref().filter(|v| !v.is_empty())),
            (Kind::Secret, false) => {
                quote!(self.#f.as_ref().map(__SecretString::expose).filter(|v| !v.is_empty()))
            }
            (Kind::Bool | Kind::Int(_), false) => quote!(self.#f),
            _ => wire_value(p),
        };
        quote!(#f: #v,)
    });
    quote! {
        #[derive(serde::Serialize)]
        struct Body<'a> {
            #(#fields)*
        }
        let body = serde_json::to_vec(&Body { #(#values)* })
            .map_err(|e| dbops_core::Error::InvalidRequest(dbops_core::Violation::new("body", e.to_string())))?;
        let body = ::std::option::Option::Some(body);
    }
}

fn header_stmt(p: &Param) -> TokenStream {
    let f = ident(&p.rust);
    let name = p.wire.to_ascii_lowercase();
    match p.kind {
        Kind::Str | Kind::Secret => {
            let v = if p.kind == Kind::Secret {
                quote!(self.#f.as_ref().map(__SecretString::expose))
            } else {
                quote!(self.#f.as_deref())
            };
            quote! {
                if let ::std::option::Option::Some(v) = #v.filter(|v| !v.is_empty()) {
                    headers.push((#name, v.to_string()));
                }
            }
        }
        Kind::Bool | Kind::Int(_) => quote! {
            if let ::std::option::Option::Some(v) = self.#f {
                headers.push((#name, v.to_string()));
            }
        },
        Kind::Strs | Kind::Ints(_) => quote! {
            if !self.#f.is_empty() {
                let v: ::std::vec::Vec<::std::string::String> = self.#f.iter().map(|v| v.to_string()).collect();
                headers.push((#name, v.join(",")));
            }
        },
    }
}

/// `wire`: the checked input in its wire form.
fn wire_fn(spec: &Spec, op: &OpModel) -> Result<TokenStream, SpecError> {
    let query_params: Vec<&Param> = op.params.iter().filter(|p| p.loc == Loc::Query).collect();
    let query_fn = query_fn(spec.style, &query_params);
    let body = match spec.style {
        ApiStyle::AcsRpc => {
            if op.params.iter().any(|p| p.credential.is_some()) {
                return Err(SpecError::new(
                    &spec.file,
                    crate::error::push("/paths", &op.path),
                    "`x-from-credentials` is supported on REST path parameters only",
                ));
            }
            quote! {
                let _ = runtime;
                self.check()?;
                ::std::result::Result::Ok(dbops_core::wire::WireRequest {
                    path: "/".into(),
                    query: self.wire_query(),
                    headers: ::std::vec::Vec::new(),
                    body: ::std::option::Option::None,
                })
            }
        }
        ApiStyle::HuaweiRest => {
            let mut credentials = Vec::new();
            for p in op.params.iter() {
                let Some(name) = &p.credential else { continue };
                if p.loc != Loc::Path {
                    return Err(SpecError::new(
                        &spec.file,
                        crate::error::push("/paths", &op.path),
                        "`x-from-credentials` is supported on path parameters only",
                    ));
                }
                // Its rules were checked once, when the client was built (`credential_checks`).
                let v = format_ident!("credential_{}", p.rust);
                credentials.push(quote! {
                    let #v = runtime.credential(#name)?;
                });
            }
            let path = path_stmts(spec, op)?;
            let headers: Vec<_> = op
                .params
                .iter()
                .filter(|p| p.loc == Loc::Header)
                .map(header_stmt)
                .collect();
            let body_params: Vec<&Param> = op.params.iter().filter(|p| p.loc == Loc::Body).collect();
            let body = body_stmts(&body_params);
            quote! {
                self.check()?;
                #(#credentials)*
                #path
                #[allow(unused_mut)]
                let mut headers = ::std::vec::Vec::new();
                #(#headers)*
                #body
                ::std::result::Result::Ok(dbops_core::wire::WireRequest {
                    path,
                    query: self.wire_query(),
                    headers,
                    body,
                })
            }
        }
    };
    Ok(quote! {
        #query_fn

        /// The checked input in its wire form.
        fn wire(&self, runtime: &__Runtime) -> ::std::result::Result<dbops_core::wire::WireRequest, dbops_core::Error> {
            #body
        }
    })
}

fn output_ty(op: &OpModel) -> TokenStream {
    match &op.output {
        Some(o) => {
            let t = format_ident!("{}", o.type_name);
            quote!(types::#t)
        }
        None => quote!(dbops_core::wire::Done),
    }
}

/// The input, the builder and the client method of one operation.
fn operation_tokens(spec: &Spec, op: &OpModel, client: &syn::Ident) -> Result<(TokenStream, TokenStream), SpecError> {
    let input = format_ident!("{}Input", op.name);
    let builder = format_ident!("{}", op.name);
    let method = ident(&op.id);
    let meta_static = format_ident!("{}", op.id.to_uppercase());
    let callable: Vec<&Param> = op.params.iter().filter(|p| p.credential.is_none()).collect();
    let fields = callable.iter().map(|p| {
        let f = ident(&p.rust);
        let ty = field_ty(p.kind);
        let doc = doc_of(p);
        let wire = &p.wire;
        quote! {
            #[doc = #doc]
            #[serde(rename = #wire)]
            pub #f: #ty,
        }
    });
    let setters = callable.iter().map(|p| setter(p));
    let builder_setters = callable.iter().map(|p| builder_setter(p));
    let mut patterns = Vec::new();
    let check = check_fn(op, &mut patterns);
    let wire = wire_fn(spec, op)?;
    let pattern_statics = patterns
        .iter()
        .map(|(id, p)| quote!(static #id: dbops_core::check::Pattern = dbops_core::check::Pattern::new(#p);));
    let output = output_ty(op);
    let title = op.summary.clone().unwrap_or_else(|| op.name.clone());
    let mut about = format!("`{}`: {title}.", op.name);
    if let Some(d) = &op.description {
        about.push_str("\n\n");
        about.push_str(d);
    }
    let input_doc = format!(
        "The parameters of `{}`, for those who build them apart from the call: set them with the setters (or field by field), then pass the value whole with [`{}::input`]. Fields the vendor adds later are added here without breaking callers. Deserializes from JSON with the spec's wire names.",
        op.name, op.name
    );
    let builder_doc = format!(
        "A `{}` request: one setter per parameter, then [`{}::send`] (or [`{}::dry_run`]).\n\n{about}",
        op.name, op.name, op.name
    );
    let send_doc = format!(
        "Checks the parameters, then signs and sends the request, retrying as the client's policy allows. Nothing is sent when a parameter breaks a rule ([`dbops_core::Error::InvalidRequest`], naming it).{}",
        if op.output.as_ref().is_some_and(|o| o.outcome.is_some()) {
            " A reply whose body reports failure is an [`dbops_core::Error::Service`]."
        } else {
            ""
        }
    );
    let method_doc = format!("{about}\n\nReturns a request builder: set the parameters, then `.send().await`.");
    let pages = pages_fn(op, &meta_static);
    let wait = wait_fn(op, &meta_static);
    let items = quote! {
        #(#pattern_statics)*

        #[doc = #input_doc]
        #[derive(Debug, Clone, Default, serde::Deserialize)]
        #[serde(default, deny_unknown_fields)]
        #[non_exhaustive]
        pub struct #input {
            #(#fields)*
        }

        impl #input {
            #(#setters)*

            #check

            #wire
        }

        #[doc = #builder_doc]
        #[derive(Debug, Clone)]
        #[must_use = "a request builder does nothing until `send` or `dry_run` is awaited"]
        pub struct #builder<'a> {
            client: &'a #client,
            input: #input,
        }

        impl #builder<'_> {
            #(#builder_setters)*

            /// Replaces every parameter set so far with `input`.
            pub fn input(mut self, input: #input) -> Self {
                self.input = input;
                self
            }

            #[doc = #send_doc]
            pub async fn send(self) -> ::std::result::Result<#output, dbops_core::Error> {
                let wire = self.input.wire(&self.client.runtime);
                self.client.runtime.send::<#output>(&meta::#meta_static, wire).await
            }

            /// Checks the parameters and builds and signs the request exactly as `send` would, without
            /// sending it: method, URL, headers and body, with credentials and secret parameters masked.
            pub async fn dry_run(self) -> ::std::result::Result<dbops_core::PreparedRequest, dbops_core::Error> {
                let wire = self.input.wire(&self.client.runtime);
                self.client.runtime.dry_run(&meta::#meta_static, wire)
            }

            #pages

            #wait
        }
    };
    let client_method = quote! {
        #[doc = #method_doc]
        pub fn #method(&self) -> #builder<'_> {
            #builder {
                client: self,
                input: #input::default(),
            }
        }
    };
    Ok((items, client_method))
}

/// Rust tokens reading a path of optional reply fields: `Option<&T>` of the last one.
fn reply_path(path: &[String]) -> TokenStream {
    let segs = path.iter().map(|f| {
        let f = ident(f);
        quote!(.and_then(|v| v.#f.as_ref()))
    });
    quote!(::std::option::Option::Some(&reply) #(#segs)*)
}

/// `collect_all` of an `x-pagination` operation.
fn pages_fn(op: &OpModel, meta_static: &syn::Ident) -> TokenStream {
    let (Some(p), Some(output)) = (&op.pagination, &op.output) else {
        return TokenStream::new();
    };
    let out = format_ident!("{}", output.type_name);
    let item = format_ident!("{}", p.item_type);
    let int_of = |name: &str| {
        op.params
            .iter()
            .find(|q| q.rust == name)
            .map(|q| match q.kind {
                Kind::Int(i) => int_ty(i),
                _ => quote!(u64),
            })
            .unwrap_or(quote!(u64))
    };
    let (offset, limit, items) = (ident(&p.offset), ident(&p.limit), ident(&p.items));
    let (oty, lty) = (int_of(&p.offset), int_of(&p.limit));
    let total_done = match &p.total {
        Some(_) => quote!(|| page_total.is_some_and(|t| offset >= t)),
        None => TokenStream::new(),
    };
    let total_read = match &p.total {
        Some(t) => {
            let t = ident(t);
            quote!(let page_total = page.#t.and_then(|t| #oty::try_from(t).ok());)
        }
        None => TokenStream::new(),
    };
    let doc = format!(
        "Walks every page of `{}`: from the offset set (0 if none), a page of `limit` at a time (the service's default if none), until a page is empty or short, or the total count is reached. Returns the items of all pages; more than `cap` of them is [`dbops_core::Error::TooManyItems`], a page longer than `limit` or one that repeats the page before it (a service ignoring the offset) is [`dbops_core::Error::Decode`], and a failed call ends the walk with its error.",
        op.name
    );
    let name = &op.name;
    quote! {
        #[doc = #doc]
        pub async fn collect_all(self, cap: usize) -> ::std::result::Result<::std::vec::Vec<types::#item>, dbops_core::Error> {
            let client = self.client;
            let mut input = self.input;
            let mut all = ::std::vec::Vec::new();
            // The length of the last page, to tell a page that repeats it.
            let mut last = 0usize;
            let mut offset: #oty = input.#offset.unwrap_or(0);
            loop {
                input.#offset = ::std::option::Option::Some(offset);
                let page: types::#out = client.runtime.send(&meta::#meta_static, input.wire(&client.runtime)).await?;
                #total_read
                let got = page.#items.len();
                if let ::std::option::Option::Some(limit) = input.#limit && (got as #lty) > limit {
                    return ::std::result::Result::Err(dbops_core::Error::decode(
                        ::std::option::Option::None,
                        &::std::format!("a page of `{}` holds {got} items, more than the limit of {limit} asked for", #name),
                    ));
                }
                if got > 0 && got == last && all[all.len() - last..] == page.#items[..] {
                    return ::std::result::Result::Err(dbops_core::Error::decode(
                        ::std::option::Option::None,
                        &::std::format!("the page of `{}` at offset {offset} repeats the page before it: the service ignores the offset", #name),
                    ));
                }
                if all.len() + got > cap {
                    return ::std::result::Result::Err(dbops_core::Error::TooManyItems { cap });
                }
                all.extend(page.#items);
                last = got;
                offset += got as #oty;
                let short = input.#limit.is_some_and(|limit| (got as #lty) < limit);
                if got == 0 || short #total_done {
                    return ::std::result::Result::Ok(all);
                }
            }
        }
    }
}

/// `wait` of an `x-wait` operation.
fn wait_fn(op: &OpModel, meta_static: &syn::Ident) -> TokenStream {
    let (Some(w), Some(output)) = (&op.wait, &op.output) else {
        return TokenStream::new();
    };
    let out = format_ident!("{}", output.type_name);
    let field = reply_path(&w.field);
    let done = match &w.done {
        Done::Equals(b) => quote!(#field == ::std::option::Option::Some(&#b)),
        Done::In(values) => quote!(#field.is_some_and(|v| [#(#values),*].contains(&v.as_str()))),
    };
    let state = reply_path(&w.state);
    let carry = w.carry.iter().map(|(param, path)| {
        let param = ident(param);
        let path = reply_path(path);
        quote! {
            if let ::std::option::Option::Some(v) = #path {
                input.#param = ::std::option::Option::Some(v.clone());
            }
        }
    });
    let name = &op.name;
    let doc = format!(
        "Calls `{name}` until its reply says it is done, pausing between calls as `policy` says, and returns that reply. When the policy's deadline passes first: [`dbops_core::Error::NotDone`] with the last state seen. A call the service throttled (once the client's retries are spent) is made again after the next pause, within the deadline; any other failed call ends the wait with its error."
    );
    quote! {
        #[doc = #doc]
        pub async fn wait(self, policy: dbops_core::WaitPolicy) -> ::std::result::Result<types::#out, dbops_core::Error> {
            let client = self.client;
            #[allow(unused_mut)]
            let mut input = self.input;
            let mut waiter = dbops_core::wait::Waiter::new(&policy);
            loop {
                let reply: types::#out = match client.runtime.send(&meta::#meta_static, input.wire(&client.runtime)).await {
                    ::std::result::Result::Ok(reply) => reply,
                    ::std::result::Result::Err(e) if e.is_throttling() => {
                        waiter.pause_throttled(#name, e).await?;
                        continue;
                    }
                    ::std::result::Result::Err(e) => return ::std::result::Result::Err(e),
                };
                if #done {
                    return ::std::result::Result::Ok(reply);
                }
                #(#carry)*
                waiter.pause(#name, #state.map(|v| v.to_string())).await?;
            }
        }
    }
}

/// `dbops_core::wire::Reply` for an output type: decoding, and the failure its body may report
/// (`x-reply-outcome`).
fn reply_impl(op: &OpModel) -> Option<TokenStream> {
    let o = op.output.as_ref()?;
    let t = format_ident!("{}", o.type_name);
    let extra = o.outcome.as_ref().map(|outcome| {
        let (success, success_is_text) = &outcome.success;
        let success = ident(success);
        let failed = if *success_is_text {
            quote!(self.#success.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("false")))
        } else {
            quote!(matches!(self.#success, ::std::option::Option::Some(false)))
        };
        let code = outcome.code.as_ref().map(|(c, is_text)| {
            let c = ident(c);
            if *is_text {
                quote!(e.code = self.#c.clone();)
            } else {
                quote!(e.code = self.#c.map(|c| c.to_string());)
            }
        });
        let message = outcome.message.as_ref().map(|m| {
            let m = ident(m);
            quote!(e.message = self.#m.clone();)
        });
        let request_id = outcome.request_id.as_ref().map(|r| {
            let r = ident(r);
            quote!(e.request_id = self.#r.clone();)
        });
        let request_id_fn = outcome.request_id.as_ref().map(|r| {
            let r = ident(r);
            quote! {
                fn request_id(&self) -> ::std::option::Option<&str> {
                    self.#r.as_deref()
                }
            }
        });
        quote! {
            fn failure(&self) -> ::std::option::Option<dbops_core::ServiceError> {
                if !(#failed) {
                    return ::std::option::Option::None;
                }
                let mut e = dbops_core::ServiceError::new(200);
                #code
                #message
                #request_id
                ::std::option::Option::Some(e)
            }
            #request_id_fn
        }
    });
    Some(quote! {
        impl dbops_core::wire::Reply for types::#t {
            fn decode(body: &[u8]) -> ::std::result::Result<Self, serde_json::Error> {
                serde_json::from_slice(body)
            }
            #extra
        }
    })
}

/// Everything the generator adds to progenitor's types for one service.
pub fn service_tokens(spec: &Spec, target: &crate::Target, prepared: &Prepared) -> Result<TokenStream, SpecError> {
    let ops = &prepared.operations;
    let client = format_ident!("{}Client", camel(&target.service));
    let (provider, service, version) = (&target.provider, &target.service, &prepared.version);
    let default_endpoint = &prepared.default_endpoint;
    let region_count = prepared.regions.len();
    let regions = prepared.regions.iter().map(|(r, u)| quote!((#r, #u)));
    // RPC services have one documented endpoint, used when no region is chosen; REST services are
    // regional and need a region or an endpoint.
    let service_default = match spec.style {
        ApiStyle::AcsRpc => quote!(::std::option::Option::Some(#default_endpoint)),
        ApiStyle::HuaweiRest => quote!(::std::option::Option::None),
    };
    let statics = ops.iter().map(|op| {
        let id = format_ident!("{}", op.id.to_uppercase());
        let (name, rust, method) = (&op.name, &op.id, &op.method);
        let path = if op.rpc_action.is_some() { "/" } else { op.path.as_str() };
        let action = match &op.rpc_action {
            Some(a) => quote!(::std::option::Option::Some(#a)),
            None => quote!(::std::option::Option::None),
        };
        let secrets = op.secrets();
        let success = &op.success;
        let doc = format!("The `{name}` operation.");
        quote! {
            #[doc = #doc]
            pub static #id: Operation = Operation::new(#name, #rust, #method, #path, #action, &[#(#secrets),*], &[#(#success),*]);
        }
    });
    let all = ops.iter().map(|op| format_ident!("{}", op.id.to_uppercase()));
    let count = ops.len();
    let mut items = Vec::new();
    let mut methods = Vec::new();
    for op in ops {
        let (i, m) = operation_tokens(spec, op, &client)?;
        items.push(i);
        methods.push(m);
    }
    let (credential_checks, credential_patterns) = credential_checks(ops);
    let mut replies = Vec::new();
    let mut seen = Vec::new();
    for op in ops {
        if let Some(o) = &op.output
            && !seen.contains(&o.type_name)
        {
            seen.push(o.type_name.clone());
            replies.extend(reply_impl(op));
        }
    }
    let from_env = match spec.style {
        ApiStyle::AcsRpc => quote! {
            /// A client with credentials from the provider's environment variables, at the default
            /// endpoint.
            pub fn from_env() -> ::std::result::Result<Self, dbops_core::Error> {
                Self::new(__ClientConfig::from_env()?)
            }
        },
        ApiStyle::HuaweiRest => quote! {
            /// A client for `region` with credentials from the provider's environment variables.
            pub fn from_env(region: &str) -> ::std::result::Result<Self, dbops_core::Error> {
                Self::new(__ClientConfig::from_env()?.region(region))
            }
        },
    };
    let title = spec.doc["info"]["title"].as_str().unwrap_or_default();
    let client_doc = format!(
        "The {title} client: one method per operation, each returning a request builder. Calls are checked, signed, retried and traced; clones share the connection pool and limits."
    );
    let support: syn::Path = syn::parse_str(&target.support()).expect("a crate path");
    Ok(quote! {
        #[allow(unused_imports)]
        use #support::{runtime::Runtime as __Runtime, ClientConfig as __ClientConfig, SecretString as __SecretString};

        /// What the runtime and tools know of this service and each operation.
        pub mod meta {
            use dbops_core::meta::{Operation, Service};
            /// The provider, as named under `specs/`.
            pub const PROVIDER: &str = #provider;
            /// The service, as named under `specs/`.
            pub const SERVICE: &str = #service;
            /// The API version (`info.version`).
            pub const API_VERSION: &str = #version;
            /// The endpoint of the spec's first server, variables at their defaults.
            pub const DEFAULT_ENDPOINT: &str = #default_endpoint;
            /// Region → endpoint, sorted by region.
            pub static REGIONS: [(&str, &str); #region_count] = [#(#regions),*];
            /// The service as the runtime sees it.
            pub static SERVICE_INFO: Service = Service::new(PROVIDER, SERVICE, API_VERSION, #service_default, &REGIONS);
            #(#statics)*
            /// Every operation of this service.
            pub static OPERATIONS: [&Operation; #count] = [#(&#all),*];
        }

        #[doc = #client_doc]
        #[derive(Debug, Clone)]
        pub struct #client {
            runtime: __Runtime,
        }

        impl #client {
            /// A client with these settings. Fails, before anything is sent, on unusable credentials
            /// (among them a value the operations take from the credentials that breaks the spec's
            /// rules for it), an unknown region, a malformed endpoint and plain http unless allowed.
            pub fn new(config: __ClientConfig) -> ::std::result::Result<Self, dbops_core::Error> {
                let runtime = __Runtime::new(config, &meta::SERVICE_INFO)?;
                #credential_checks
                ::std::result::Result::Ok(Self { runtime })
            }

            #from_env

            #(#methods)*
        }

        #(#credential_patterns)*

        #(#items)*

        #(#replies)*
    })
}

/// The checks `new` makes of the values operations take from the credentials (`x-from-credentials`):
/// every rule any operation's spec gives them, once per client rather than on every call, an unusable
/// value refused as a configuration error naming the credential and the rule. Also the pattern statics
/// those checks use.
fn credential_checks(ops: &[OpModel]) -> (TokenStream, Vec<TokenStream>) {
    let mut seen: Vec<(&String, &Vec<Rule>)> = Vec::new();
    let mut patterns = Vec::new();
    let mut checks = Vec::new();
    for op in ops {
        for p in &op.params {
            let Some(name) = &p.credential else { continue };
            let key = (name, &p.rules);
            if p.rules.is_empty() || seen.contains(&key) {
                continue;
            }
            seen.push(key);
            let wire = &p.wire;
            let base = |n: usize| format_ident!("CREDENTIAL_{}_PATTERN_{}", name.to_uppercase(), n);
            let rules = rule_checks(
                &p.rules,
                &quote!(v),
                p.kind,
                &|r: TokenStream| quote!(dbops_core::check::field(#wire, #r)),
                &mut patterns,
                &base,
            );
            checks.push(quote! {
                let v = runtime.credential(#name)?;
                let checked = (|| -> ::std::result::Result<(), dbops_core::Violation> {
                    #(#rules)*
                    ::std::result::Result::Ok(())
                })();
                if let ::std::result::Result::Err(e) = checked {
                    return ::std::result::Result::Err(dbops_core::Error::Config(format!(
                        "the credentials' `{}` {}",
                        e.field(),
                        e.rule()
                    )));
                }
            });
        }
    }
    let statics = patterns
        .iter()
        .map(|(id, p)| quote!(static #id: dbops_core::check::Pattern = dbops_core::check::Pattern::new(#p);))
        .collect();
    (quote!(#(#checks)*), statics)
}
