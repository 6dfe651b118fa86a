//! Secrets: held in [`secrecy`] boxes from the moment they are read (zeroed on drop), printed as a mask.

use std::fmt;

use secrecy::{ExposeSecret, SecretBox};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The mask every secret prints as.
pub const MASK: &str = "***";

/// A secret string: an access key secret, a security token, a database password.
///
/// `Debug` and `Display` print `***`; the value only leaves through [`SecretString::expose`] and, for
/// request parameters that must travel to the service, through `Serialize`.
pub struct SecretString(SecretBox<str>);

impl SecretString {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretBox::from(value.into().into_boxed_str()))
    }

    /// The secret itself. Call only where the value must be used (signing, the wire).
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The secret as an HTTP header value marked sensitive (left out of `Debug` and of HTTP/2 header
    /// compression); `None` if it is not a valid header value.
    pub fn header_value(&self) -> Option<reqwest::header::HeaderValue> {
        let mut v = reqwest::header::HeaderValue::from_str(self.expose()).ok()?;
        v.set_sensitive(true);
        Some(v)
    }
}

/// Checks a credential that travels in an HTTP header or in the signature (an access key id, a
/// security token, an IAM token, a project id): it must be non-empty printable ASCII without spaces.
/// The error names the credential, never its value.
pub fn check_header_credential(name: &str, value: &str) -> Result<(), crate::Error> {
    check_non_empty(name, value)?;
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(crate::Error::Config(format!(
            "credential {name} holds a character that cannot be sent in an HTTP header \
             (only printable ASCII without spaces is accepted)"
        )));
    }
    Ok(())
}

/// Checks that a credential (a secret key, say) is not empty or blank. The error names the credential.
pub fn check_non_empty(name: &str, value: &str) -> Result<(), crate::Error> {
    if value.trim().is_empty() {
        return Err(crate::Error::Config(format!("credential {name} is empty")));
    }
    Ok(())
}

impl Clone for SecretString {
    fn clone(&self) -> Self {
        Self::new(self.expose())
    }
}

impl PartialEq for SecretString {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

/// Secrets that are request parameters must reach the service, so they serialize in clear.
impl Serialize for SecretString {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.expose())
    }
}

impl<'de> Deserialize<'de> for SecretString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self::new)
    }
}

impl schemars::JsonSchema for SecretString {
    fn schema_name() -> String {
        "SecretString".into()
    }

    fn json_schema(generator: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        let mut schema = String::json_schema(generator).into_object();
        schema.metadata().write_only = true;
        schema.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_mask_the_value() {
        let s = SecretString::new("hunter2");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn unusable_credentials_are_named_never_shown() {
        assert!(check_header_credential("access key", "AKID0123").is_ok());
        for (value, rule) in [
            ("", "is empty"),
            ("  ", "is empty"),
            ("ab\r\nX-Evil: 1", "cannot be sent in an HTTP header"),
            ("tab\there", "cannot be sent in an HTTP header"),
            ("sp ace", "cannot be sent in an HTTP header"),
            ("é-non-ascii", "cannot be sent in an HTTP header"),
            ("nul\0", "cannot be sent in an HTTP header"),
        ] {
            let e = check_header_credential("security token", value)
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("credential security token") && e.contains(rule),
                "{value:?}: {e}"
            );
            if !value.trim().is_empty() {
                assert!(!e.contains(value), "{e}");
            }
        }
        assert!(check_non_empty("secret key", "s").is_ok());
        assert_eq!(
            check_non_empty("secret key", "").unwrap_err().to_string(),
            "client configuration: credential secret key is empty"
        );
    }

    #[test]
    fn serializes_in_clear_for_the_wire() {
        let s = SecretString::new("p@ss");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"p@ss\"");
        let back: SecretString = serde_json::from_str("\"p@ss\"").unwrap();
        assert_eq!(back, s);
    }
}
