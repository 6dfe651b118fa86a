//! A local stand-in for the vendor gateways, to point the examples at:
//!
//! ```text
//! cargo run -p dbops-tests --bin local-gateway -- huawei 8080 <secret-key>
//! cargo run -p dbops-tests --bin local-gateway -- alibaba 8080 <access-key-secret>
//! ```
//!
//! It checks each request's signature as the real gateway would (answering 401 APIGW.0301 or
//! SignatureDoesNotMatch on a mismatch), prints what it received (never the secrets), and answers success.

use dbops_tests::{Reply, Server, verify};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [provider, port, secret] = args.as_slice() else {
        return Err("usage: local-gateway (huawei|alibaba) <port> <secret>".into());
    };
    let secret: &'static str = Box::leak(secret.clone().into_boxed_str());
    let huawei = match provider.as_str() {
        "huawei" => true,
        "alibaba" => false,
        other => return Err(format!("unknown provider `{other}`").into()),
    };
    let server = Server::start_on(port.parse()?, move |req, i| {
        let verdict = if huawei { verify::huawei(req, secret) } else { verify::alibaba(req, secret) };
        let action = req.header("x-acs-action").unwrap_or("");
        let params: Vec<String> = req.query().into_iter().map(|(k, _)| k).collect();
        println!(
            "#{i} {} {} {action} params={params:?} body={}B signature={}",
            req.method,
            req.path(),
            req.body.len(),
            verdict.as_ref().map_or_else(|e| format!("REFUSED ({e})"), |_| "ok".into())
        );
        match (verdict, huawei) {
            (Ok(_), true) => Reply::json(200, "{}").with_header("X-Request-Id", &format!("local-{i}")),
            (Ok(_), false) if action == "KillInstanceAllSession" => Reply::json(
                200,
                &format!(r#"{{"Code":"200","Message":"Successful","Data":"None","RequestId":"local-{i}","Success":"true"}}"#),
            ),
            (Ok(_), false) => Reply::json(
                200,
                &format!(r#"{{"Code":200,"Message":"Successful","Data":"local-task-{i}","RequestId":"local-{i}","Success":true}}"#),
            ),
            (Err(why), true) => Reply::json(401, &format!(r#"{{"error_code":"APIGW.0301","error_msg":"{why}"}}"#)),
            (Err(why), false) => Reply::json(
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
