//! Reads for the public pages: each campaign's sums — what it collected, what the amil took,
//! what it paid out by asnaf or purpose, what it still holds. Sums only: nothing here reads a
//! donor, a recipient or a note, so a page built on it cannot show personal data.
//!
//! Amounts are IDR minor units as the books keep them: a gift in another currency counts at the
//! rupiah it was booked at (`booked_minor`), as in the collections report.

use std::collections::HashMap;

use domain::ledger::{Account, BOOKS_CURRENCY};
use domain::{Asnaf, PublicPurpose};
use sqlx::Row as _;
use uuid::Uuid;

use crate::StorageError;
use crate::database::{Database, Pool};
use crate::ledger::campaign_rules;

/// The campaigns, newest first, with their rules.
const CAMPAIGNS: &str = "\
SELECT id, name, purpose, allowed_asnaf, amil_share_percent FROM campaigns \
WHERE $1 IS NULL OR id = $1 \
ORDER BY created_at DESC, id";

/// Per campaign: the gifts received for it in the books' currency (or booked in it), their
/// amil share, and what of them was voided or refunded since (with the share given back).
const COLLECTED: &str = "\
SELECT d.campaign_id, CAST(COUNT(*) AS BIGINT) AS count, \
       CAST(SUM(COALESCE(d.booked_minor, d.amount_minor)) AS BIGINT) AS received_minor, \
       CAST(SUM(d.amil_share_minor) AS BIGINT) AS amil_share_minor, \
       CAST(SUM(COALESCE((SELECT SUM(COALESCE(r.booked_minor, r.amount_minor)) \
                          FROM donation_reversals r WHERE r.donation_id = d.id), 0)) AS BIGINT) AS reversed_minor, \
       CAST(SUM(COALESCE((SELECT SUM(r.amil_share_minor) \
                          FROM donation_reversals r WHERE r.donation_id = d.id), 0)) AS BIGINT) AS amil_share_reversed_minor \
FROM donations d \
WHERE d.campaign_id IS NOT NULL AND ($1 IS NULL OR d.campaign_id = $1) \
  AND (d.booked_minor IS NOT NULL OR d.currency = $2) \
GROUP BY d.campaign_id";

/// Per campaign and asnaf or purpose: what was paid out of its money.
const DISTRIBUTED: &str = "\
SELECT campaign_id, COALESCE(asnaf, purpose) AS target, CAST(COUNT(*) AS BIGINT) AS count, \
       CAST(SUM(amount_minor) AS BIGINT) AS amount_minor \
FROM distributions \
WHERE campaign_id IS NOT NULL AND ($1 IS NULL OR campaign_id = $1) AND currency = $2 \
GROUP BY campaign_id, COALESCE(asnaf, purpose)";

/// The kept balances of the accounts held per campaign (`fund:<fund>:<campaign>`).
const HELD: &str = "\
SELECT account, balance_minor FROM account_balances \
WHERE currency = $1 AND account LIKE 'fund:%:%'";

/// One campaign as the public sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CampaignSummary {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// What its money is for.
    pub purpose: String,
    /// The asnaf its money may pay.
    pub allowed_asnaf: Vec<Asnaf>,
    /// Gifts received for it.
    pub donations: i64,
    /// What they came to, before voids and refunds.
    pub received_minor: i64,
    /// What was voided or refunded of them since.
    pub reversed_minor: i64,
    /// The amil's share taken from them, less what voids and refunds gave back.
    pub amil_share_minor: i64,
    /// Paid out of its money.
    pub distributed_minor: i64,
    /// What its accounts hold now (the books' kept balances).
    pub balance_minor: i64,
    /// Paid out, per asnaf or public purpose (those paid only, in the order they are listed).
    pub uses: Vec<CampaignUse>,
}

impl CampaignSummary {
    /// Received less voided and refunded.
    #[must_use]
    pub fn collected_minor(&self) -> i64 {
        self.received_minor - self.reversed_minor
    }
}

/// What a campaign paid for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    /// One of the asnaf.
    Asnaf(Asnaf),
    /// A public-interest purpose (non-halal money).
    Purpose(PublicPurpose),
}

impl Target {
    /// The asnaf's or purpose's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Asnaf(asnaf) => asnaf.as_str(),
            Target::Purpose(purpose) => purpose.as_str(),
        }
    }

    fn parse(text: &str) -> Option<Target> {
        text.parse()
            .map(Target::Asnaf)
            .or_else(|_| text.parse().map(Target::Purpose))
            .ok()
    }
}

/// The distributions of a campaign to one asnaf or purpose, summed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CampaignUse {
    /// To whom or what.
    pub target: Target,
    /// How many distributions.
    pub count: i64,
    /// What they came to.
    pub amount_minor: i64,
}

/// Sums read per campaign before they are put together.
#[derive(Default)]
struct Sums {
    donations: i64,
    received_minor: i64,
    reversed_minor: i64,
    amil_share_minor: i64,
    uses: Vec<CampaignUse>,
    balance_minor: i64,
}

/// Runs `$body` with `$pool` bound to the backend's pool (the statements are the same text on
/// both; only the executor's type differs).
macro_rules! on_pool {
    ($database:expr, |$pool:ident| $body:expr) => {
        match &$database.pool {
            Pool::Sqlite($pool) => $body,
            Pool::Postgres($pool) => $body,
        }
    };
}

fn decode_error(message: String) -> StorageError {
    StorageError::from(sqlx::Error::Decode(message.into()))
}

impl Database {
    /// Every campaign, newest first, with its sums.
    pub async fn public_campaigns(&self) -> Result<Vec<CampaignSummary>, StorageError> {
        self.public_campaign_summaries(None).await
    }

    /// One campaign with its sums; `None` if there is no such campaign.
    pub async fn public_campaign(&self, id: Uuid) -> Result<Option<CampaignSummary>, StorageError> {
        Ok(self
            .public_campaign_summaries(Some(id))
            .await?
            .into_iter()
            .next())
    }

    async fn public_campaign_summaries(
        &self,
        only: Option<Uuid>,
    ) -> Result<Vec<CampaignSummary>, StorageError> {
        let Rows {
            campaigns,
            collected,
            distributed,
            held,
        } = self.public_campaign_rows(only).await?;
        let mut sums: HashMap<Uuid, Sums> = HashMap::new();
        for row in collected {
            let sums = sums.entry(row.campaign_id).or_default();
            sums.donations = row.count;
            sums.received_minor = row.received_minor;
            sums.reversed_minor = row.reversed_minor;
            sums.amil_share_minor = row.amil_share_minor - row.amil_share_reversed_minor;
        }
        for (id, target, count, amount_minor) in distributed {
            let target = Target::parse(&target)
                .ok_or_else(|| decode_error(format!("a distribution to `{target}`")))?;
            sums.entry(id).or_default().uses.push(CampaignUse {
                target,
                count,
                amount_minor,
            });
        }
        for (code, balance_minor) in held {
            if let Some(Account::Fund(_, Some(id))) = Account::from_code(&code) {
                // Funds are credit-normal: what one holds is the negated sum of its lines.
                sums.entry(id).or_default().balance_minor -= balance_minor;
            }
        }
        Ok(campaigns
            .into_iter()
            .map(|(id, name, purpose, allowed_asnaf)| {
                let mut sums = sums.remove(&id).unwrap_or_default();
                sums.uses.sort_by_key(|used| used.target);
                CampaignSummary {
                    id,
                    name,
                    purpose,
                    allowed_asnaf,
                    donations: sums.donations,
                    received_minor: sums.received_minor,
                    reversed_minor: sums.reversed_minor,
                    amil_share_minor: sums.amil_share_minor,
                    distributed_minor: sums.uses.iter().map(|used| used.amount_minor).sum(),
                    balance_minor: sums.balance_minor,
                    uses: sums.uses,
                }
            })
            .collect())
    }

    /// The rows the summaries are made of, one campaign's or every one's.
    async fn public_campaign_rows(&self, only: Option<Uuid>) -> Result<Rows, StorageError> {
        let currency = BOOKS_CURRENCY.code();
        // Four reads; a batch committing between them can put one view's figures a batch
        // apart, which the next view puts right (these are not statements of account).
        let (campaigns, collected, distributed, held) = on_pool!(self, |pool| {
            let campaigns = sqlx::query(CAMPAIGNS).bind(only).fetch_all(pool).await?;
            let collected = sqlx::query(COLLECTED)
                .bind(only)
                .bind(currency)
                .fetch_all(pool)
                .await?;
            let distributed = sqlx::query(DISTRIBUTED)
                .bind(only)
                .bind(currency)
                .fetch_all(pool)
                .await?;
            let held = sqlx::query(HELD).bind(currency).fetch_all(pool).await?;
            (
                campaigns
                    .iter()
                    .map(|row| {
                        let rules = campaign_rules(
                            row.try_get("allowed_asnaf")?,
                            row.try_get("amil_share_percent")?,
                        )
                        .map_err(|err| decode_error(format!("a campaign's rules: {err}")))?;
                        Ok((
                            row.try_get("id")?,
                            row.try_get("name")?,
                            row.try_get("purpose")?,
                            rules.allowed_asnaf.iter().collect(),
                        ))
                    })
                    .collect::<Result<Vec<CampaignRow>, StorageError>>()?,
                collected
                    .iter()
                    .map(|row| {
                        Ok(Collected {
                            campaign_id: row.try_get("campaign_id")?,
                            count: row.try_get("count")?,
                            received_minor: row.try_get("received_minor")?,
                            amil_share_minor: row.try_get("amil_share_minor")?,
                            reversed_minor: row.try_get("reversed_minor")?,
                            amil_share_reversed_minor: row.try_get("amil_share_reversed_minor")?,
                        })
                    })
                    .collect::<Result<Vec<Collected>, sqlx::Error>>()?,
                distributed
                    .iter()
                    .map(|row| {
                        Ok((
                            row.try_get("campaign_id")?,
                            row.try_get("target")?,
                            row.try_get("count")?,
                            row.try_get("amount_minor")?,
                        ))
                    })
                    .collect::<Result<Vec<(Uuid, String, i64, i64)>, sqlx::Error>>()?,
                held.iter()
                    .map(|row| Ok((row.try_get("account")?, row.try_get("balance_minor")?)))
                    .collect::<Result<Vec<(String, i64)>, sqlx::Error>>()?,
            )
        });
        Ok(Rows {
            campaigns,
            collected,
            distributed,
            held,
        })
    }
}

/// What [`Database::public_campaign_rows`] reads.
struct Rows {
    campaigns: Vec<CampaignRow>,
    collected: Vec<Collected>,
    distributed: Vec<(Uuid, String, i64, i64)>,
    held: Vec<(String, i64)>,
}

/// A campaign's id, name, purpose and allowed asnaf.
type CampaignRow = (Uuid, String, String, Vec<Asnaf>);

/// One campaign's gifts, summed.
struct Collected {
    campaign_id: Uuid,
    count: i64,
    received_minor: i64,
    amil_share_minor: i64,
    reversed_minor: i64,
    amil_share_reversed_minor: i64,
}
