//! Adding an operation takes a spec and `cargo xtask generate`, nothing else: the generator's fixture
//! spec (`codegen/tests/fixtures/huaweicloud/things.json`) comes out as `dbops_tests::generated::things`,
//! with no hand-written line, and its builders are checked, signed and sent against a local gateway
//! that verifies the SDK-HMAC-SHA256 signature from the raw request.

use std::time::Duration;

use dbops_tests::generated::things::{CreateThingInput, ThingsClient, meta};
use dbops_tests::{RawRequest, Reply, Server, verify};
use huaweicloud_dbops::{ClientConfig, Credentials, Error};
use serde_json::{Value, json};

const AK: &str = "HWTESTACCESSKEY0000001";
const SK: &str = "hw-secret-key-must-not-leak";
const PROJECT: &str = "054e292c9880d4992f02c0196d3ea468";
const CODE: &str = "thing-code-must-not-leak";

fn gateway(
    expect: impl Fn(&RawRequest) -> Result<(), String> + Send + Sync + 'static,
    reply: Reply,
) -> impl Fn(&RawRequest, usize) -> Reply + Send + Sync + 'static {
    let account = verify::HuaweiAccount {
        access_key: AK,
        secret_key: SK,
        security_token: None,
        iam_token: None,
    };
    move |req, _| {
        if let Err(why) = account.check(req) {
            return Reply::json(401, &json!({"error_code": "APIGW.0301", "error_msg": why}).to_string());
        }
        if let Err(why) = expect(req) {
            return Reply::json(400, &json!({"error_code": "TEST.0001", "error_msg": why}).to_string());
        }
        reply.clone()
    }
}

fn client(server: &Server) -> ThingsClient {
    ThingsClient::new(
        ClientConfig::new(Credentials::new(AK, SK, PROJECT))
            .endpoint(server.url())
            .allow_http(true)
            .total_timeout(Duration::from_secs(5)),
    )
    .unwrap()
}

#[tokio::test]
async fn a_get_with_query_header_and_typed_reply_is_signed_and_decoded() {
    let expect = |req: &RawRequest| {
        let want = format!("/v2/{PROJECT}/shelves/shelf%2F1/things?offset=0&limit=20&color=red");
        if req.method != "GET" || req.target != want {
            return Err(format!("{} {} != GET {want}", req.method, req.target));
        }
        let signed = req.header("authorization").unwrap_or_default();
        if req.header("x-trace") != Some("t-1") || !signed.contains("x-trace") {
            return Err("X-Trace missing or unsigned".into());
        }
        if !req.body.is_empty() || req.header("content-type").is_some() {
            return Err("a GET carries no body".into());
        }
        Ok(())
    };
    let server = Server::start(gateway(
        expect,
        Reply::json(200, r#"{"things":[{"id":"t1","name":"box"}],"total_count":7}"#),
    ))
    .await;
    let page = client(&server)
        .list_things()
        .shelf_id("shelf/1")
        .offset(0)
        .limit(20)
        .color("red")
        .x_trace("t-1")
        .send()
        .await
        .unwrap();
    assert_eq!(page.total_count, Some(7));
    assert_eq!(page.things.len(), 1);
    assert_eq!(page.things[0].name.as_deref(), Some("box"));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_post_with_a_json_body_and_a_201_reply_is_signed_and_its_secret_masked_in_dry_runs() {
    let expect = |req: &RawRequest| {
        if req.method != "POST" || req.target != format!("/v2/{PROJECT}/shelves/s1/things") {
            return Err(format!("{} {}", req.method, req.target));
        }
        let body: Value = serde_json::from_slice(&req.body).map_err(|e| e.to_string())?;
        // Sorted by name as serde writes the fields; the empty optional string is left out.
        let want = json!({"code": CODE, "fragile": true, "name": "box", "tags": ["a", "b"]});
        if body != want || req.header("content-type") != Some("application/json") {
            return Err(format!("body {body}"));
        }
        Ok(())
    };
    let server = Server::start(gateway(expect, Reply::json(201, r#"{"id":"t9","name":"box"}"#))).await;
    let things = client(&server);
    let create = || {
        things.create_thing().shelf_id("s1").input(
            CreateThingInput::default()
                .name("box")
                .code(CODE)
                .fragile(true)
                .tags(["a", "b"]),
        )
    };
    // `.input(..)` replaced the shelf id set before it; set it again after.
    let thing = create().shelf_id("s1").send().await.unwrap();
    assert_eq!(thing.id.as_deref(), Some("t9"));

    let dry = create().shelf_id("s1").dry_run().await.unwrap();
    let shown = dry.to_string();
    assert!(
        !shown.contains(CODE) && !shown.contains(SK) && !shown.contains(AK),
        "{shown}"
    );
    assert_eq!(
        dry.body.as_deref().map(|b| serde_json::from_str::<Value>(b).unwrap()),
        Some(json!({"code": "***", "fragile": true, "name": "box", "tags": ["a", "b"]}))
    );
    assert_eq!(server.requests().len(), 1, "the dry run sent nothing");
    // The operation table knows the secret and the declared status.
    assert_eq!(meta::CREATE_THING.secrets, ["code"]);
    assert_eq!(meta::CREATE_THING.success, [201]);
}

#[tokio::test]
async fn the_fixture_rules_are_checked_before_anything_is_sent() {
    let server = Server::responder(Reply::json(200, "{}")).await;
    let things = client(&server);
    let list = || things.list_things().shelf_id("s1");
    let cases: Vec<(Result<_, Error>, &str, &str)> = vec![
        (list().limit(0).send().await.map(drop), "limit", "must be at least 1"),
        (list().limit(101).send().await.map(drop), "limit", "must be at most 100"),
        (
            list().color("green").send().await.map(drop),
            "color",
            "must be one of `red`, `blue`",
        ),
        (
            list().x_trace("x".repeat(17)).send().await.map(drop),
            "X-Trace",
            "must be at most 16 characters long",
        ),
        (things.list_things().send().await.map(drop), "shelf_id", "is required"),
        (
            things.create_thing().shelf_id("s1").send().await.map(drop),
            "name",
            "is required",
        ),
        (
            things
                .create_thing()
                .shelf_id("s1")
                .name("n")
                .tags(["1", "2", "3", "4"])
                .send()
                .await
                .map(drop),
            "tags",
            "must hold at most 3 items",
        ),
    ];
    for (got, field, rule) in cases {
        match got {
            Err(Error::InvalidRequest(v)) => assert_eq!((v.field(), v.rule()), (field, rule)),
            other => panic!("{field}: {other:?}"),
        }
    }
    // `offset` (`minimum: 0`) is unsigned: the type itself refuses a negative offset.
    let input = dbops_tests::generated::things::ListThingsInput::default().offset(u64::MAX);
    assert_eq!(input.offset, Some(u64::MAX));
    assert!(server.requests().is_empty());
}

/// A shelf of seven things, served a page at a time as `offset`/`limit` ask; `fail_at`: the call
/// (0-based) answered with a 500 instead.
fn shelf(fail_at: Option<usize>) -> impl Fn(&RawRequest, usize) -> Reply + Send + Sync + 'static {
    let account = verify::HuaweiAccount {
        access_key: AK,
        secret_key: SK,
        security_token: None,
        iam_token: None,
    };
    move |req, i| {
        if let Err(why) = account.check(req) {
            return Reply::json(401, &json!({"error_code": "APIGW.0301", "error_msg": why}).to_string());
        }
        if fail_at == Some(i) {
            return Reply::json(500, r#"{"error_code":"TEST.0500","error_msg":"broken page"}"#);
        }
        let q = |k: &str| req.query_param(k).and_then(|v| v.parse::<usize>().ok());
        let (offset, limit) = (q("offset").unwrap_or(0), q("limit").unwrap_or(2));
        let things: Vec<Value> = (offset..(offset + limit).min(7))
            .map(|n| json!({"id": format!("t{n}"), "name": format!("thing {n}")}))
            .collect();
        Reply::json(200, &json!({"things": things, "total_count": 7}).to_string())
    }
}

#[tokio::test]
async fn collect_all_walks_every_page_in_order() {
    let server = Server::start(shelf(None)).await;
    let all = client(&server)
        .list_things()
        .shelf_id("s1")
        .limit(3)
        .collect_all(100)
        .await
        .unwrap();
    let ids: Vec<_> = all.iter().map(|t| t.id.clone().unwrap()).collect();
    assert_eq!(ids, ["t0", "t1", "t2", "t3", "t4", "t5", "t6"]);
    let offsets: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.query_param("offset").unwrap())
        .collect();
    assert_eq!(offsets, ["0", "3", "6"], "three pages, no call past the total");

    // Without a limit the service's default page size is used (2 here); the walk ends at the total.
    let server = Server::start(shelf(None)).await;
    let all = client(&server)
        .list_things()
        .shelf_id("s1")
        .collect_all(100)
        .await
        .unwrap();
    assert_eq!(all.len(), 7);
    assert_eq!(server.requests().len(), 4);

    // From a given offset.
    let server = Server::start(shelf(None)).await;
    let all = client(&server)
        .list_things()
        .shelf_id("s1")
        .offset(5)
        .collect_all(100)
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
}

#[tokio::test]
async fn a_walk_stops_at_the_cap_and_at_a_failed_page() {
    let server = Server::start(shelf(None)).await;
    let err = client(&server)
        .list_things()
        .shelf_id("s1")
        .limit(3)
        .collect_all(5)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TooManyItems { cap: 5 }), "{err}");
    assert_eq!(server.requests().len(), 2, "no page is fetched past the cap");

    let server = Server::start(shelf(Some(1))).await;
    let err = client(&server)
        .list_things()
        .shelf_id("s1")
        .limit(3)
        .collect_all(100)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_eq!(err.code(), Some("TEST.0500"));
    assert_eq!(server.requests().len(), 2, "the walk ends at the failed page");
}
