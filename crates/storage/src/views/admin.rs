//! Reads for the register, campaign, settings and user pages: the campaigns as opened (their
//! sums are the public pages' [`Database::public_campaigns`]), the users and their API tokens
//! (never a secret: only hashes are stored, and these reads do not even return those), and the
//! history of the settings and of the institution profile.
//!
//! Every write these pages make goes through the ledger or the administrative writes in
//! [`crate::ledger`], each with its audit entry; nothing here writes.

use domain::{Asnaf, Role};
use sqlx::Row as _;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::StorageError;
use crate::database::{Database, Pool};

/// The most campaigns the staff list shows: an institution runs dozens, not thousands.
pub const CAMPAIGN_LIST_MAX: i64 = 500;

/// The most API tokens listed for one user (a user holds a handful; revoked ones pile up).
pub const TOKEN_LIST_MAX: i64 = 200;

/// The most changes of the settings or of the institution profile listed as their history.
pub const SETTINGS_HISTORY_MAX: i64 = 100;

/// Runs `$body` with `$pool` bound to whichever backend's pool the database has: the same SQL
/// text (`$n` placeholders work on both), type-checked against each driver.
macro_rules! on_either {
    ($database:expr, |$pool:ident| $body:expr) => {
        match &$database.pool {
            Pool::Sqlite($pool) => $body,
            Pool::Postgres($pool) => $body,
        }
    };
}

/// A campaign as it was opened: what the staff list shows beside its sums (those come from
/// [`Database::public_campaigns`], the same as the public pages show).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CampaignOpened {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// The asnaf its money may pay as declared; `None`: every asnaf but the amil (campaigns
    /// opened before they declared it, and those that left it to the default).
    pub allowed_asnaf: Option<Vec<Asnaf>>,
    /// The amil's share of infak/sedekah given for it, in percent (`None`: none declared).
    pub amil_share_percent: Option<String>,
    /// When it was opened.
    pub created_at: OffsetDateTime,
}

/// A user as the users page lists them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserAccount {
    /// Their id.
    pub id: i64,
    /// Their e-mail (they sign in with it).
    pub email: String,
    /// Their role.
    pub role: Role,
    /// When the account was created.
    pub created_at: OffsetDateTime,
    /// When it was disabled, if it is.
    pub disabled_at: Option<OffsetDateTime>,
}

/// An API token as its user's page lists it: never the token, never its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiTokenInfo {
    /// Its id (`token revoke --id`).
    pub id: i64,
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// When it stops working (`None`: until revoked).
    pub expires_at: Option<OffsetDateTime>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<OffsetDateTime>,
}

impl ApiTokenInfo {
    /// Whether it works at `now`: not revoked and not expired.
    #[must_use]
    pub fn live(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| at > now)
    }
}

/// One change of a ledger setting, as stored (the newest per key is in force).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingChange {
    /// `amil_share_percent`, `amil_share_infak_percent` or `amil_shortfall`.
    pub key: String,
    /// The value set.
    pub value: String,
    /// Who set it (`user:<id>`, `operator:<name>`).
    pub changed_by: String,
    /// When.
    pub changed_at: OffsetDateTime,
}

/// One version of the institution profile (the newest is in force).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstitutionChange {
    /// The institution's name then.
    pub name: String,
    /// Its licence number then.
    pub licence_number: String,
    /// Its NPWZ code then.
    pub code: i64,
    /// Who set it.
    pub changed_by: String,
    /// When.
    pub changed_at: OffsetDateTime,
}

fn role(text: &str) -> Result<Role, sqlx::Error> {
    Role::ALL
        .into_iter()
        .find(|role| role.as_str() == text)
        .ok_or_else(|| sqlx::Error::Decode(format!("unknown role `{text}`").into()))
}

fn asnaf_list(text: Option<String>) -> Result<Option<Vec<Asnaf>>, sqlx::Error> {
    text.map(|text| {
        text.split(',')
            .map(str::parse)
            .collect::<Result<Vec<Asnaf>, _>>()
            .map_err(|err| sqlx::Error::Decode(Box::new(err)))
    })
    .transpose()
}

impl Database {
    /// Every campaign as it was opened, newest first, at most [`CAMPAIGN_LIST_MAX`].
    pub async fn staff_campaigns(&self) -> Result<Vec<CampaignOpened>, StorageError> {
        Ok(on_either!(self, |pool| {
            sqlx::query(
                "SELECT id, name, allowed_asnaf, amil_share_percent, created_at \
                 FROM campaigns ORDER BY created_at DESC, id LIMIT $1",
            )
            .bind(CAMPAIGN_LIST_MAX)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|row| {
                Ok(CampaignOpened {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    allowed_asnaf: asnaf_list(row.try_get("allowed_asnaf")?)?,
                    amil_share_percent: row.try_get("amil_share_percent")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// Every user, in the order they were created.
    pub async fn user_accounts(&self) -> Result<Vec<UserAccount>, StorageError> {
        Ok(on_either!(self, |pool| {
            sqlx::query("SELECT id, email, role, created_at, disabled_at FROM users ORDER BY id")
                .fetch_all(pool)
                .await?
                .iter()
                .map(|row| {
                    Ok(UserAccount {
                        id: row.try_get("id")?,
                        email: row.try_get("email")?,
                        role: role(&row.try_get::<String, _>("role")?)?,
                        created_at: row.try_get("created_at")?,
                        disabled_at: row.try_get("disabled_at")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// The user with this id, if any.
    pub async fn user_account(&self, id: i64) -> Result<Option<UserAccount>, StorageError> {
        Ok(on_either!(self, |pool| {
            sqlx::query("SELECT id, email, role, created_at, disabled_at FROM users WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
                .map(|row| {
                    Ok::<_, sqlx::Error>(UserAccount {
                        id: row.try_get("id")?,
                        email: row.try_get("email")?,
                        role: role(&row.try_get::<String, _>("role")?)?,
                        created_at: row.try_get("created_at")?,
                        disabled_at: row.try_get("disabled_at")?,
                    })
                })
                .transpose()?
        }))
    }

    /// A user's API tokens (not their web sessions), newest first, at most
    /// [`TOKEN_LIST_MAX`].
    pub async fn api_tokens_of(&self, user_id: i64) -> Result<Vec<ApiTokenInfo>, StorageError> {
        Ok(on_either!(self, |pool| {
            sqlx::query(
                "SELECT id, created_at, expires_at, revoked_at FROM api_tokens \
                 WHERE user_id = $1 AND kind = 'api' ORDER BY id DESC LIMIT $2",
            )
            .bind(user_id)
            .bind(TOKEN_LIST_MAX)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|row| {
                Ok(ApiTokenInfo {
                    id: row.try_get("id")?,
                    created_at: row.try_get("created_at")?,
                    expires_at: row.try_get("expires_at")?,
                    revoked_at: row.try_get("revoked_at")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// The newest changes of the ledger settings, newest first, at most
    /// [`SETTINGS_HISTORY_MAX`].
    pub async fn setting_changes(&self) -> Result<Vec<SettingChange>, StorageError> {
        Ok(on_either!(self, |pool| {
            sqlx::query(
                "SELECT key, value, changed_by, changed_at FROM settings ORDER BY id DESC LIMIT $1",
            )
            .bind(SETTINGS_HISTORY_MAX)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|row| {
                Ok(SettingChange {
                    key: row.try_get("key")?,
                    value: row.try_get("value")?,
                    changed_by: row.try_get("changed_by")?,
                    changed_at: row.try_get("changed_at")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?
        }))
    }

    /// The newest versions of the institution profile, newest first, at most
    /// [`SETTINGS_HISTORY_MAX`].
    pub async fn institution_changes(&self) -> Result<Vec<InstitutionChange>, StorageError> {
        Ok(on_either!(self, |pool| {
            sqlx::query(
                "SELECT name, licence_number, CAST(code AS BIGINT) AS code, changed_by, changed_at \
                 FROM institution_profiles ORDER BY id DESC LIMIT $1",
            )
            .bind(SETTINGS_HISTORY_MAX)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|row| {
                Ok(InstitutionChange {
                    name: row.try_get("name")?,
                    licence_number: row.try_get("licence_number")?,
                    code: row.try_get("code")?,
                    changed_by: row.try_get("changed_by")?,
                    changed_at: row.try_get("changed_at")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?
        }))
    }
}
