//! What the generated code hands the runtime: a request in its wire form ([`WireRequest`]), written
//! straight from the typed input, and how a typed reply is read ([`Reply`]).

use crate::encode::encode_into;
use crate::error::ServiceError;

/// One request as the generated code writes it for its API style: the runtime adds the endpoint, the
/// provider's headers and the signature, and sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WireRequest {
    /// The path after the endpoint, each parameter encoded as one segment (`/` for RPC actions).
    pub path: String,
    /// The query, percent-encoded (RFC 3986), without `?`; empty for none.
    pub query: String,
    /// The operation's own headers (lowercase names), such as `x-language`.
    pub headers: Vec<(&'static str, String)>,
    /// The JSON body, if the operation has one.
    pub body: Option<Vec<u8>>,
}

/// Writes a query string: `name=value` pairs percent-encoded (RFC 3986) and joined by `&`, in the order
/// written (the generator writes RPC parameters sorted by name: the canonical form they are signed in).
#[derive(Debug, Default)]
pub struct Query(String);

impl Query {
    /// An empty query with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        Self(String::with_capacity(capacity))
    }

    fn name(&mut self, name: &str) {
        if !self.0.is_empty() {
            self.0.push('&');
        }
        encode_into(&mut self.0, name);
        self.0.push('=');
    }

    /// A string parameter, as it is.
    pub fn str(&mut self, name: &str, value: &str) {
        self.name(name);
        encode_into(&mut self.0, value);
    }

    /// A boolean parameter: `true` or `false`.
    pub fn bool(&mut self, name: &str, value: bool) {
        self.str(name, if value { "true" } else { "false" });
    }

    /// An integer parameter, in decimal.
    pub fn int(&mut self, name: &str, value: impl itoa::Integer) {
        self.str(name, itoa::Buffer::new().format(value));
    }

    /// A list parameter as JSON-array text (`["a","b"]`, `[1,2]`), as `serde_json` writes it.
    pub fn json<T: serde::Serialize>(&mut self, name: &str, items: &[T]) {
        let text = serde_json::to_string(items).unwrap_or_default();
        self.str(name, &text);
    }

    /// The query text.
    pub fn finish(self) -> String {
        self.0
    }
}

/// The decoded `(name, value)` pairs of a query written by [`Query`] (for mocks that match on them).
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

/// Whether a JSON reply holds at most `max` list items, counted over every list at every depth, read
/// without building anything: the check that bounds what decoding the reply may allocate (a 3 MB body
/// of a million `{}` items would decode into hundreds of megabytes of empty structs). A body that is
/// not JSON passes, so that decoding it reports what is wrong with it.
pub fn within_item_limit(body: &[u8], max: usize) -> bool {
    use serde::de::DeserializeSeed;
    // Each item takes at least two bytes of its own: its first byte, and the comma or closing bracket
    // after it (a comma for all but a list's last item, whose list's closing bracket is no item's first
    // byte). So a body of at most `2 × max` bytes holds at most `max` items, and is not read twice.
    if body.len() / 2 <= max {
        return true;
    }
    let mut budget = Budget {
        left: max,
        exceeded: false,
    };
    let mut de = serde_json::Deserializer::from_slice(body);
    let _ = (Count(&mut budget)).deserialize(&mut de);
    !budget.exceeded
}

struct Budget {
    left: usize,
    exceeded: bool,
}

/// Counts list items down from the budget, stopping when they run out; ignores everything else.
struct Count<'a>(&'a mut Budget);

impl<'de> serde::de::DeserializeSeed<'de> for Count<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Count<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JSON")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        loop {
            if self.0.left == 0 {
                // One more item is too many; the end of the list is not.
                return match seq.next_element::<serde::de::IgnoredAny>()? {
                    None => Ok(()),
                    Some(_) => {
                        self.0.exceeded = true;
                        Err(serde::de::Error::custom("more list items than the limit"))
                    }
                };
            }
            self.0.left -= 1;
            if seq.next_element_seed(Count(&mut *self.0))?.is_none() {
                self.0.left += 1;
                return Ok(());
            }
        }
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key::<serde::de::IgnoredAny>()?.is_some() {
            map.next_value_seed(Count(&mut *self.0))?;
        }
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// A typed reply of an operation, as the generated code declares it.
pub trait Reply: Sized {
    /// Decodes a success reply's body.
    fn decode(body: &[u8]) -> Result<Self, serde_json::Error>;

    /// A success reply that reports a failure in its body (`Success: false`): the error it stands for.
    /// The runtime fills in the HTTP status.
    fn failure(&self) -> Option<ServiceError> {
        None
    }

    /// The request id the reply's body carries, if any.
    fn request_id(&self) -> Option<&str> {
        None
    }

    /// The reply with the request id its headers carry (`X-Request-Id`, `x-acs-request-id`), for replies
    /// whose body has none.
    fn with_header_request_id(self, _id: Option<&str>) -> Self {
        self
    }
}

/// The reply of an operation whose success reply carries nothing (any body, none or `{}`, is
/// accepted): the request id the service gave it, for support tickets and audit logs.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Done {
    /// The service's request id (`X-Request-Id`), when the reply had one.
    pub request_id: Option<String>,
}

impl Reply for Done {
    fn decode(_: &[u8]) -> Result<Self, serde_json::Error> {
        Ok(Self::default())
    }

    fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    fn with_header_request_id(mut self, id: Option<&str>) -> Self {
        self.request_id = id.map(str::to_string);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_items_are_counted_at_every_depth() {
        let cases: [(&[u8], usize, bool); 13] = [
            (br#"{"a":[{},{},{}]}"#, 3, true),
            (br#"{"a":[{},{},{}]}"#, 2, false),
            (br#"{"a":[1,2],"b":{"c":[3]}}"#, 3, true),
            (br#"{"a":[1,2],"b":{"c":[3]}}"#, 2, false),
            (br#"[[1],[2]]"#, 4, true),
            (br#"[[1],[2]]"#, 3, false),
            (br#"{"a":[],"s":"[1,2,3]"}"#, 0, true),
            (br#"{"a":[1]}"#, 0, false),
            // At most two bytes an item: no list can hold more than half the body's length.
            (br#"[0,0]"#, 2, true),
            (br#"[[],[]]"#, 3, true),
            (br#"[0,0,0]"#, 2, false),
            // Not JSON: left to the decoder to report.
            (b"<html>", 0, true),
            (b"", 0, true),
        ];
        for (body, max, want) in cases {
            assert_eq!(
                within_item_limit(body, max),
                want,
                "{} at {max}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn a_query_is_written_encoded_in_order() {
        let mut q = Query::with_capacity(8);
        q.str("DbUser", "a b&c");
        q.bool("KillAllSessions", false);
        q.int("Limit", 20u32);
        q.json("SessionIds", &[1u64, 2]);
        q.json("IgnoredUsers", &["x\"y".to_string()]);
        let text = q.finish();
        assert_eq!(
            text,
            "DbUser=a%20b%26c&KillAllSessions=false&Limit=20&SessionIds=%5B1%2C2%5D&IgnoredUsers=%5B%22x%5C%22y%22%5D"
        );
        assert_eq!(
            query_pairs(&text),
            [
                ("DbUser", "a b&c"),
                ("KillAllSessions", "false"),
                ("Limit", "20"),
                ("SessionIds", "[1,2]"),
                ("IgnoredUsers", "[\"x\\\"y\"]"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
    }
}
