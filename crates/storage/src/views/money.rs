//! Reads for the donation and distribution pages: the names a page shows beside the ids the
//! books keep (donors, recipients, campaigns) and a donation's reversals.
//!
//! Names are personal data: the pages ask for them only for staff who may read them, and
//! count the read first (`personal_data_reads`), as the registers' API does.

use std::collections::HashMap;

use sqlx::{QueryBuilder, Row as _};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::StorageError;
use crate::database::{Database, Pool};

/// The most names one read looks up: a page of a list (`DONATION_PAGE_SIZE_MAX`).
pub const NAMES_PER_READ_MAX: usize = 200;

/// The most campaigns a form offers to choose from; an institution runs dozens.
pub const CAMPAIGN_CHOICES_MAX: u16 = 500;

/// A person on a register as a list shows them: their name (the erasure marker once erased)
/// and, for a donor, the NPWZ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonName {
    /// Full name.
    pub name: String,
    /// The donor's NPWZ, if one was issued (donors only).
    pub npwz: Option<String>,
}

/// A campaign as a form offers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CampaignChoice {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
}

/// A void or refund of a donation, as its page lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReversalLine {
    /// Its id.
    pub id: Uuid,
    /// `true` for a void, `false` for a refund.
    pub void: bool,
    /// How much, in the donation's currency's minor units.
    pub amount_minor: i64,
    /// Why.
    pub reason: Option<String>,
    /// Who recorded it.
    pub recorded_by: i64,
    /// When.
    pub recorded_at: OffsetDateTime,
}

/// Runs `$body` with `$pool` bound to the backend's pool (the statements are the same text on
/// both backends; the rows they return are each backend's own type).
macro_rules! on_backend {
    ($database:expr, |$pool:ident| $body:expr) => {
        match &$database.pool {
            Pool::Sqlite($pool) => $body,
            Pool::Postgres($pool) => $body,
        }
    };
}

/// Which register a name is read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NameRegister {
    Donors,
    Recipients,
}

impl Database {
    /// The names and NPWZ of the donors `ids` (at most [`NAMES_PER_READ_MAX`]; those not
    /// found are left out). Personal data: count the read before calling.
    pub async fn donor_names(
        &self,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, PersonName>, StorageError> {
        self.person_names(NameRegister::Donors, ids).await
    }

    /// The names of the recipients `ids`, as [`Database::donor_names`].
    pub async fn recipient_names(
        &self,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, PersonName>, StorageError> {
        self.person_names(NameRegister::Recipients, ids).await
    }

    async fn person_names(
        &self,
        register: NameRegister,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, PersonName>, StorageError> {
        let mut ids: Vec<Uuid> = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        ids.truncate(NAMES_PER_READ_MAX);
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let select = match register {
            NameRegister::Donors => "SELECT id, name, npwz FROM donors WHERE id IN (",
            NameRegister::Recipients => {
                "SELECT id, name, CAST(NULL AS TEXT) AS npwz FROM recipients WHERE id IN ("
            }
        };
        let rows = on_backend!(self, |pool| {
            let mut query = QueryBuilder::new(select);
            let mut list = query.separated(", ");
            for id in &ids {
                list.push_bind(*id);
            }
            query.push(")");
            query
                .build()
                .persistent(false)
                .fetch_all(pool)
                .await?
                .iter()
                .map(|row| {
                    Ok((
                        row.try_get::<Uuid, _>("id")?,
                        PersonName {
                            name: row.try_get("name")?,
                            npwz: row.try_get("npwz")?,
                        },
                    ))
                })
                .collect::<Result<HashMap<_, _>, sqlx::Error>>()?
        });
        Ok(rows)
    }

    /// The campaigns a donation or distribution may be for, by name (at most
    /// [`CAMPAIGN_CHOICES_MAX`]).
    pub async fn campaign_choices(&self) -> Result<Vec<CampaignChoice>, StorageError> {
        const SELECT: &str = "SELECT id, name FROM campaigns ORDER BY name, id LIMIT $1";
        let choices = on_backend!(self, |pool| {
            sqlx::query(SELECT)
                .bind(i64::from(CAMPAIGN_CHOICES_MAX))
                .fetch_all(pool)
                .await?
                .iter()
                .map(|row| {
                    Ok(CampaignChoice {
                        id: row.try_get("id")?,
                        name: row.try_get("name")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(choices)
    }

    /// A donation's voids and refunds, oldest first.
    pub async fn donation_reversals(
        &self,
        donation_id: Uuid,
    ) -> Result<Vec<ReversalLine>, StorageError> {
        const SELECT: &str = "SELECT id, kind, amount_minor, reason, recorded_by, recorded_at \
             FROM donation_reversals WHERE donation_id = $1 ORDER BY recorded_at, id";
        let lines = on_backend!(self, |pool| {
            sqlx::query(SELECT)
                .bind(donation_id)
                .fetch_all(pool)
                .await?
                .iter()
                .map(|row| {
                    Ok(ReversalLine {
                        id: row.try_get("id")?,
                        void: row.try_get::<String, _>("kind")? == "void",
                        amount_minor: row.try_get("amount_minor")?,
                        reason: row.try_get("reason")?,
                        recorded_by: row.try_get("recorded_by")?,
                        recorded_at: row.try_get("recorded_at")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(lines)
    }
}
