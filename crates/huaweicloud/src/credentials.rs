//! Credentials: permanent AK/SK, temporary AK/SK with a security token, or an IAM token; and the
//! project id every request names.

use std::fmt;

use dbops_core::signing::SigningKey;
use dbops_core::{EnvLookup, Error, SecretString};

/// `HUAWEICLOUD_SDK_AK`: the access key id.
pub const ENV_AK: &str = "HUAWEICLOUD_SDK_AK";
/// `HUAWEICLOUD_SDK_SK`: the secret access key.
pub const ENV_SK: &str = "HUAWEICLOUD_SDK_SK";
/// `HUAWEICLOUD_SDK_PROJECT_ID`: the project id of the region.
pub const ENV_PROJECT_ID: &str = "HUAWEICLOUD_SDK_PROJECT_ID";
/// `HUAWEICLOUD_SDK_SECURITY_TOKEN`: the security token of temporary AK/SK (optional).
pub const ENV_SECURITY_TOKEN: &str = "HUAWEICLOUD_SDK_SECURITY_TOKEN";

/// How requests are authenticated.
#[derive(Clone)]
pub enum Auth {
    /// AK/SK signing (SDK-HMAC-SHA256); with a security token for temporary credentials.
    AkSk {
        /// The access key id.
        access_key: SecretString,
        /// The secret access key.
        secret_key: SecretString,
        /// The security token of temporary credentials.
        security_token: Option<SecretString>,
    },
    /// An IAM user token sent as `X-Auth-Token`; requests are not signed.
    Token(SecretString),
}

/// Credentials and the project they act in.
#[derive(Clone)]
pub struct Credentials {
    pub(crate) auth: Auth,
    pub(crate) project_id: String,
    /// HMAC key from the secret key, prepared once (AK/SK only).
    pub(crate) signing_key: Option<SigningKey>,
}

impl Credentials {
    /// Permanent AK/SK.
    pub fn new(
        access_key: impl Into<SecretString>,
        secret_key: impl Into<SecretString>,
        project_id: impl Into<String>,
    ) -> Self {
        let auth = Auth::AkSk {
            access_key: access_key.into(),
            secret_key: secret_key.into(),
            security_token: None,
        };
        Self::with_auth(auth, project_id.into())
    }

    fn with_auth(auth: Auth, project_id: String) -> Self {
        let signing_key = match &auth {
            Auth::AkSk { secret_key, .. } => Some(SigningKey::new(secret_key.expose())),
            Auth::Token(_) => None,
        };
        Self {
            auth,
            project_id,
            signing_key,
        }
    }

    /// Temporary AK/SK with their security token (sent as `X-Security-Token` and signed).
    pub fn temporary(
        access_key: impl Into<SecretString>,
        secret_key: impl Into<SecretString>,
        security_token: impl Into<SecretString>,
        project_id: impl Into<String>,
    ) -> Self {
        let auth = Auth::AkSk {
            access_key: access_key.into(),
            secret_key: secret_key.into(),
            security_token: Some(security_token.into()),
        };
        Self::with_auth(auth, project_id.into())
    }

    /// An IAM token (`X-Auth-Token`); no signature is computed.
    pub fn iam_token(token: impl Into<SecretString>, project_id: impl Into<String>) -> Self {
        Self::with_auth(Auth::Token(token.into()), project_id.into())
    }

    /// From `HUAWEICLOUD_SDK_AK`, `HUAWEICLOUD_SDK_SK`, `HUAWEICLOUD_SDK_PROJECT_ID` and, if set,
    /// `HUAWEICLOUD_SDK_SECURITY_TOKEN`.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_vars(EnvLookup(dbops_core::env_var))
    }

    /// As [`Credentials::from_env`], reading variables through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        Self::from_vars(EnvLookup(|name: &str| Ok(lookup(name))))
    }

    fn from_vars(env: EnvLookup<impl Fn(&str) -> Result<Option<String>, Error>>) -> Result<Self, Error> {
        let access_key = SecretString::new(env.required(ENV_AK)?);
        let secret_key = SecretString::new(env.required(ENV_SK)?);
        let project_id = env.required(ENV_PROJECT_ID)?;
        let security_token = env.optional(ENV_SECURITY_TOKEN)?.map(SecretString::new);
        Ok(Self::with_auth(
            Auth::AkSk {
                access_key,
                secret_key,
                security_token,
            },
            project_id,
        ))
    }

    /// Refuses credentials that cannot be used: an empty key, or an access key, security token, IAM
    /// token or project id that cannot travel in a header. The error names the credential, never its
    /// value.
    pub(crate) fn check(&self) -> Result<(), Error> {
        use dbops_core::secret::{check_header_credential, check_non_empty};
        match &self.auth {
            Auth::AkSk {
                access_key,
                secret_key,
                security_token,
            } => {
                check_header_credential("access key", access_key.expose())?;
                check_non_empty("secret key", secret_key.expose())?;
                if let Some(token) = security_token {
                    check_header_credential("security token", token.expose())?;
                }
            }
            Auth::Token(token) => check_header_credential("IAM token", token.expose())?,
        }
        check_header_credential("project id", &self.project_id)
    }

    /// The project id.
    pub fn project_id(&self) -> &str {
        &self.project_id
    }

    /// How requests are authenticated.
    pub fn auth(&self) -> &Auth {
        &self.auth
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::AkSk { security_token, .. } => f
                .debug_struct("AkSk")
                .field("access_key", &dbops_core::secret::MASK)
                .field("secret_key", &dbops_core::secret::MASK)
                .field(
                    "security_token",
                    &security_token.as_ref().map(|_| dbops_core::secret::MASK),
                )
                .finish(),
            Auth::Token(_) => f.debug_tuple("Token").field(&dbops_core::secret::MASK).finish(),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("auth", &self.auth)
            .field("project_id", &self.project_id)
            .finish()
    }
}
