//! Kill MySQL sessions through Huawei Cloud DAS (`DeleteProcess`).
//!
//! ```text
//! export HUAWEICLOUD_SDK_AK=… HUAWEICLOUD_SDK_SK=… HUAWEICLOUD_SDK_PROJECT_ID=…   # HUAWEICLOUD_SDK_SECURITY_TOKEN for temporary AK/SK
//! export HUAWEICLOUD_SDK_REGION=cn-north-4        # or HUAWEICLOUD_SDK_ENDPOINT=https://… (http:// is accepted for local test servers)
//! cargo run -p huaweicloud-dbops --example delete_process -- \
//!     <instance_id> <db_user_id> [user=NAME] [database=NAME] [process=ID]...
//! ```

use huaweicloud_dbops::das::DeleteProcessInput;
use huaweicloud_dbops::{ClientConfig, DasClient};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [instance_id, db_user_id, rest @ ..] = args.as_slice() else {
        return Err(
            "usage: delete_process <instance_id> <db_user_id> [user=NAME] [database=NAME] [process=ID]...".into(),
        );
    };
    let mut input = DeleteProcessInput::default()
        .instance_id(instance_id)
        .db_user_id(db_user_id);
    for arg in rest {
        match arg.split_once('=') {
            Some(("user", v)) => input.user = Some(v.to_string()),
            Some(("database", v)) => input.database = Some(v.to_string()),
            Some(("process", v)) => input.process_ids.push(v.to_string()),
            _ => return Err(format!("unknown argument `{arg}`").into()),
        }
    }

    let mut config = ClientConfig::from_env()?;
    match std::env::var("HUAWEICLOUD_SDK_ENDPOINT") {
        Ok(endpoint) => config = config.allow_http(endpoint.starts_with("http://")).endpoint(endpoint),
        Err(_) => {
            config = config.region(
                std::env::var("HUAWEICLOUD_SDK_REGION")
                    .map_err(|_| "set HUAWEICLOUD_SDK_REGION or HUAWEICLOUD_SDK_ENDPOINT")?,
            )
        }
    }
    let client = DasClient::new(config)?;
    client.delete_process().input(input).send().await?;
    println!("sessions killed on instance {instance_id}");
    Ok(())
}
