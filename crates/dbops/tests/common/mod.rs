//! A rate-limited Alibaba gateway: it verifies each signature, answers `GetRedisAllSession` with two
//! sessions and `KillInstanceAllSession` with success, allowing `per_second` requests in any one-second window and answering `Throttling.User`
//! beyond; instance ids starting with `bad-` get an `InvalidParams` error.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use dbops_tests::{RawRequest, Reply, verify};

pub const ALI_AK: &str = "LTAITESTACCESSKEYID01";
pub const ALI_SECRET: &str = "ali-secret-must-not-leak";

pub fn rate_limited_gateway(per_second: usize) -> impl Fn(&RawRequest, usize) -> Reply + Send + Sync + 'static {
    let account = verify::AlibabaAccount {
        access_key_id: ALI_AK,
        secret: ALI_SECRET,
        security_token: None,
    };
    let window: Mutex<VecDeque<Instant>> = Mutex::new(VecDeque::new());
    move |req, _| {
        if let Err(why) = account.check(req) {
            return Reply::json(400, &format!(r#"{{"Code":"SignatureDoesNotMatch","Message":"{why}"}}"#));
        }
        {
            let mut w = window.lock().unwrap();
            let now = Instant::now();
            while w
                .front()
                .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
            {
                w.pop_front();
            }
            if w.len() >= per_second {
                return Reply::json(
                    400,
                    r#"{"Code":"Throttling.User","Message":"Request was denied due to user flow control.","RequestId":"R-T"}"#,
                );
            }
            w.push_back(now);
        }
        if req.query_param("InstanceId").is_some_and(|i| i.starts_with("bad-")) {
            return Reply::json(
                400,
                r#"{"Code":"InvalidParams","Message":"no such instance","RequestId":"R-X"}"#,
            );
        }
        if req.header("x-acs-action") == Some("KillInstanceAllSession") {
            return Reply::json(
                200,
                r#"{"Code":"200","Message":"Successful","RequestId":"R-K","Success":"true"}"#,
            );
        }
        Reply::json(
            200,
            r#"{"Code":200,"Success":true,"Data":{"Total":2,"Sessions":[{"Id":1,"Addr":"10.0.0.1:5000","Age":"700","Cmd":"blpop","Name":"worker"},{"Id":2,"Addr":"10.0.0.2:5000","Age":"3","Cmd":"get"}]}}"#,
        )
    }
}
