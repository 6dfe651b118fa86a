//! Credentials: an AccessKey pair, or STS credentials with a security token.

use std::fmt;

use dbops_core::signing::SigningKey;
use dbops_core::{EnvLookup, Error, SecretString};

/// `ALIBABA_CLOUD_ACCESS_KEY_ID`
pub const ENV_ACCESS_KEY_ID: &str = "ALIBABA_CLOUD_ACCESS_KEY_ID";
/// `ALIBABA_CLOUD_ACCESS_KEY_SECRET`
pub const ENV_ACCESS_KEY_SECRET: &str = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
/// `ALIBABA_CLOUD_SECURITY_TOKEN` (STS; optional)
pub const ENV_SECURITY_TOKEN: &str = "ALIBABA_CLOUD_SECURITY_TOKEN";

/// An AccessKey pair, with the security token of STS credentials.
#[derive(Clone)]
pub struct Credentials {
    pub(crate) access_key_id: SecretString,
    pub(crate) security_token: Option<SecretString>,
    /// HMAC key from the AccessKey secret, prepared once.
    pub(crate) signing_key: SigningKey,
    /// Whether the AccessKey secret was empty or blank (refused when a client is built).
    secret_is_blank: bool,
}

impl Credentials {
    /// An AccessKey pair.
    pub fn new(access_key_id: impl Into<SecretString>, access_key_secret: impl Into<SecretString>) -> Self {
        let secret: SecretString = access_key_secret.into();
        Self {
            access_key_id: access_key_id.into(),
            security_token: None,
            signing_key: SigningKey::new(secret.expose()),
            secret_is_blank: secret.expose().trim().is_empty(),
        }
    }

    /// STS credentials: the token is sent as `x-acs-security-token` and signed.
    pub fn sts(
        access_key_id: impl Into<SecretString>,
        access_key_secret: impl Into<SecretString>,
        security_token: impl Into<SecretString>,
    ) -> Self {
        Self {
            security_token: Some(security_token.into()),
            ..Self::new(access_key_id, access_key_secret)
        }
    }

    /// From `ALIBABA_CLOUD_ACCESS_KEY_ID`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET` and, if set,
    /// `ALIBABA_CLOUD_SECURITY_TOKEN`.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_vars(EnvLookup(dbops_core::env_var))
    }

    /// As [`Credentials::from_env`], reading variables through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        Self::from_vars(EnvLookup(|name: &str| Ok(lookup(name))))
    }

    fn from_vars(env: EnvLookup<impl Fn(&str) -> Result<Option<String>, Error>>) -> Result<Self, Error> {
        let id = env.required(ENV_ACCESS_KEY_ID)?;
        let secret = env.required(ENV_ACCESS_KEY_SECRET)?;
        Ok(Self {
            security_token: env.optional(ENV_SECURITY_TOKEN)?.map(SecretString::new),
            ..Self::new(id, secret)
        })
    }
}

impl Credentials {
    /// Refuses credentials that cannot be used: an empty secret, or an AccessKey id or security token
    /// that cannot travel in a header. The error names the credential, never its value.
    pub(crate) fn check(&self) -> Result<(), Error> {
        use dbops_core::secret::check_header_credential;
        check_header_credential("AccessKey id", self.access_key_id.expose())?;
        if self.secret_is_blank {
            return Err(Error::Config("credential AccessKey secret is empty".into()));
        }
        if let Some(token) = &self.security_token {
            check_header_credential("security token", token.expose())?;
        }
        Ok(())
    }
}

impl dbops_core::EnvCredentials for Credentials {
    fn from_env() -> Result<Self, Error> {
        Credentials::from_env()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mask = dbops_core::secret::MASK;
        f.debug_struct("Credentials")
            .field("access_key_id", &mask)
            .field("access_key_secret", &mask)
            .field("security_token", &self.security_token.as_ref().map(|_| mask))
            .finish()
    }
}
