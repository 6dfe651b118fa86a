//! A local stand-in for the vendor gateways, to point the examples at:
//!
//! ```text
//! cargo run -p dbops-tests --bin local-gateway -- huawei 8080 <secret-key>
//! cargo run -p dbops-tests --bin local-gateway -- alibaba 8080 <access-key-secret>
//! ```
//!
//! It checks each request's signature as the real gateway would (answering 401 APIGW.0301 or
//! SignatureDoesNotMatch on a mismatch), prints what it received (never the secrets), and answers every
//! operation of the specs with the spec's own example reply (the documented one where the docs give
//! one): the examples find, show and kill the sessions the vendor docs show.

use dbops_tests::examples::Examples;
use dbops_tests::{Reply, Server, verify};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [provider, port, secret] = args.as_slice() else {
        return Err("usage: local-gateway (huawei|alibaba) <port> <secret>".into());
    };
    let secret: &'static str = Box::leak(secret.clone().into_boxed_str());
    let (huawei, specs) = match provider.as_str() {
        "huawei" => (true, "huaweicloud"),
        "alibaba" => (false, "alibabacloud"),
        other => return Err(format!("unknown provider `{other}`").into()),
    };
    let examples = Examples::load(specs).map_err(|e| e.to_string())?;
    let server = Server::start_on(port.parse()?, move |req, i| {
        let verdict = if huawei {
            verify::huawei(req, secret)
        } else {
            verify::alibaba(req, secret)
        };
        let action = req.header("x-acs-action").unwrap_or("");
        let params: Vec<String> = req.query().into_iter().map(|(k, _)| k).collect();
        println!(
            "#{i} {} {} {action} params={params:?} body={}B signature={}",
            req.method,
            req.path(),
            req.body.len(),
            verdict
                .as_ref()
                .map_or_else(|e| format!("REFUSED ({e})"), |_| "ok".into())
        );
        match (verdict, examples.reply_for(req)) {
            (Ok(_), Some(reply)) => Reply::json(200, reply).with_header("X-Request-Id", &format!("local-{i}")),
            (Ok(_), None) if huawei => Reply::json(404, r#"{"error_code":"APIGW.0101","error_msg":"no such API"}"#),
            (Ok(_), None) => Reply::json(
                404,
                &format!(r#"{{"Code":"InvalidAction.NotFound","Message":"no such action","RequestId":"local-{i}"}}"#),
            ),
            (Err(why), _) if huawei => {
                Reply::json(401, &format!(r#"{{"error_code":"APIGW.0301","error_msg":"{why}"}}"#))
            }
            (Err(why), _) => Reply::json(
                400,
                &format!(r#"{{"Code":"SignatureDoesNotMatch","Message":"{why}","RequestId":"local-{i}"}}"#),
            ),
        }
    })
    .await;
    println!("listening on {}", server.url());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
