//! The Redis side: `CLIENT LIST` and `CLIENT KILL`.

use serde_json::{Value, json};

/// One line of `CLIENT LIST`, as `name=value` pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pairs: Vec<(String, String)>,
}

impl Client {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn int(&self, name: &str) -> i64 {
        self.get(name).and_then(|v| v.parse().ok()).unwrap_or_default()
    }

    pub fn id(&self) -> u64 {
        self.get("id").and_then(|v| v.parse().ok()).unwrap_or_default()
    }

    /// The client's address without its port.
    pub fn ip(&self) -> &str {
        let addr = self.get("addr").unwrap_or_default();
        addr.rsplit_once(':').map_or(addr, |(a, _)| a)
    }

    /// As DAS's `GetRedisAllSession` reports a session.
    pub fn to_das(&self, node_id: &str) -> Value {
        json!({
            "Id": self.id(), "Addr": self.get("addr"), "Client": self.ip(), "ClientDesc": "",
            "Cmd": self.get("cmd"), "Db": self.int("db"), "Age": self.get("age"), "Idle": self.int("idle"),
            "Flags": self.get("flags"), "Name": self.get("name"), "NodeId": node_id, "Fd": self.int("fd"),
            "Events": self.get("events"), "Multi": self.int("multi"), "Qbuf": self.int("qbuf"),
            "QbufFree": self.int("qbuf-free"), "Obl": self.int("obl"), "Oll": self.int("oll"),
            "Omem": self.int("omem"), "Sub": self.int("sub"), "Psub": self.int("psub"),
        })
    }
}

/// Parses the reply of `CLIENT LIST`.
pub fn parse(list: &str) -> Vec<Client> {
    list.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| Client {
            pairs: line
                .split(' ')
                .filter_map(|p| p.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        })
        .collect()
}

/// Every client of the server.
pub async fn clients(conn: &mut redis::aio::MultiplexedConnection) -> redis::RedisResult<Vec<Client>> {
    let list: String = redis::cmd("CLIENT").arg("LIST").query_async(conn).await?;
    Ok(parse(&list))
}

/// `CLIENT KILL ID id`: whether a client was killed.
pub async fn kill(conn: &mut redis::aio::MultiplexedConnection, id: u64) -> redis::RedisResult<bool> {
    let n: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("ID")
        .arg(id)
        .query_async(conn)
        .await?;
    Ok(n > 0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn client_list_lines_become_das_sessions() {
        let list = "id=7 addr=127.0.0.1:52220 laddr=127.0.0.1:6379 fd=8 name=worker age=12 idle=3 flags=b db=2 \
                    sub=0 psub=0 multi=-1 qbuf=0 qbuf-free=0 obl=0 oll=0 omem=0 events=r cmd=blpop user=default\n";
        let clients = super::parse(list);
        assert_eq!(clients.len(), 1);
        let s = clients[0].to_das("r-sandbox");
        assert_eq!(s["Id"], 7);
        assert_eq!(s["Client"], "127.0.0.1");
        assert_eq!(s["Cmd"], "blpop");
        assert_eq!(s["Db"], 2);
        assert_eq!(s["Age"], "12");
        assert_eq!(s["Multi"], -1);
    }
}
