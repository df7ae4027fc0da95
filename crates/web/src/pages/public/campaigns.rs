//! Campaign transparency: `/campaigns` and `/campaigns/{id}`. What each campaign collected,
//! what the amil took, what it paid out by asnaf or purpose, and what it holds — sums from the
//! books ([`storage::views`]), never a donor's or a recipient's name, NIK or anything else
//! about a person.

use axum::extract::{Path, State};
use domain::ledger::BOOKS_CURRENCY;
use maud::{Markup, html};
use rust_decimal::Decimal;
use storage::views::public::{CampaignSummary, Target};
use uuid::Uuid;

use crate::AppState;
use crate::pages::error::PageError;
use crate::pages::format;
use crate::pages::layout;
use crate::pages::session::Visitor;

/// `GET /campaigns`.
pub(crate) async fn index(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Markup, PageError> {
    let campaigns = state.database().public_campaigns().await?;
    let title = visitor.t("public-campaigns-title");
    let body = html! {
        h1 { (title) }
        p.lead { (visitor.t("public-campaigns-lead")) }
        @if campaigns.is_empty() {
            p.panel { (visitor.t("public-campaigns-none")) }
        } @else {
            ul.cards.campaigns {
                @for campaign in &campaigns {
                    li.card.campaign {
                        h2 { a href={ "/campaigns/" (campaign.id) } { (campaign.name) } }
                        p { (campaign.purpose) }
                        (figures(&visitor, campaign))
                    }
                }
            }
        }
    };
    Ok(layout::public(&visitor, &title, &body))
}

/// `GET /campaigns/{id}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Markup, PageError> {
    let id: Uuid = id.parse().map_err(|_| PageError::NotFound)?;
    let campaign = state
        .database()
        .public_campaign(id)
        .await?
        .ok_or(PageError::NotFound)?;
    let lang = visitor.lang;
    let body = html! {
        p.breadcrumb { a href="/campaigns" { (visitor.t("public-campaigns-title")) } }
        h1 { (campaign.name) }
        p.lead { (campaign.purpose) }
        (figures(&visitor, &campaign))
        section aria-labelledby="campaign-flows" {
            h2 #campaign-flows { (visitor.t("public-campaign-flows")) }
            div.table-wrap tabindex="0" {
                table {
                    tbody {
                        tr {
                            th scope="row" { (visitor.t_args("public-campaign-received", &[("count", campaign.donations.into())])) }
                            td.number { (rupiah(lang, campaign.received_minor)) }
                        }
                        tr {
                            th scope="row" { (visitor.t("public-campaign-reversed")) }
                            td.number { (less(lang, campaign.reversed_minor)) }
                        }
                        tr {
                            th scope="row" { (visitor.t("public-campaign-amil-share")) }
                            td.number { (less(lang, campaign.amil_share_minor)) }
                        }
                        tr {
                            th scope="row" { (visitor.t("public-campaign-distributed")) }
                            td.number { (less(lang, campaign.distributed_minor)) }
                        }
                    }
                    tfoot {
                        tr {
                            th scope="row" { (visitor.t("public-campaign-balance")) }
                            td.number #campaign-balance { (rupiah(lang, campaign.balance_minor)) }
                        }
                    }
                }
            }
            p.hint { (visitor.t("public-campaign-balance-hint")) }
        }
        section aria-labelledby="campaign-uses" {
            h2 #campaign-uses { (visitor.t("public-campaign-uses")) }
            @if campaign.uses.is_empty() {
                p { (visitor.t("public-campaign-uses-none")) }
            } @else {
                div.table-wrap tabindex="0" {
                    table #campaign-uses-table {
                        thead {
                            tr {
                                th scope="col" { (visitor.t("public-campaign-use")) }
                                th.number scope="col" { (visitor.t("public-campaign-use-count")) }
                                th.number scope="col" { (visitor.t("public-campaign-use-amount")) }
                            }
                        }
                        tbody {
                            @for used in &campaign.uses {
                                tr {
                                    th scope="row" { (visitor.t(&target_label(used.target))) }
                                    td.number { (format::count(lang, used.count)) }
                                    td.number { (rupiah(lang, used.amount_minor)) }
                                }
                            }
                        }
                        tfoot {
                            tr {
                                th scope="row" { (visitor.t("public-campaign-total")) }
                                td.number { (format::count(lang, campaign.uses.iter().map(|used| used.count).sum())) }
                                td.number { (rupiah(lang, campaign.distributed_minor)) }
                            }
                        }
                    }
                }
            }
            h3 { (visitor.t("public-campaign-allowed")) }
            ul.allowed {
                @for asnaf in &campaign.allowed_asnaf {
                    li { (visitor.t(&format!("public-asnaf-{}", asnaf.as_str()))) }
                }
            }
        }
        p.hint { (visitor.t("public-campaign-privacy")) }
    };
    Ok(layout::public(&visitor, &campaign.name, &body))
}

/// The three figures every campaign shows: collected, distributed, held — and how much of what
/// it collected has gone out.
fn figures(visitor: &Visitor, campaign: &CampaignSummary) -> Markup {
    let lang = visitor.lang;
    let collected = campaign.collected_minor();
    html! {
        dl.figures {
            div {
                dt { (visitor.t("public-campaign-collected")) }
                dd.collected { (rupiah(lang, collected)) }
            }
            div {
                dt { (visitor.t("public-campaign-distributed")) }
                dd.distributed { (rupiah(lang, campaign.distributed_minor)) }
            }
            div {
                dt { (visitor.t("public-campaign-balance")) }
                dd.balance { (rupiah(lang, campaign.balance_minor)) }
            }
        }
        @if collected > 0 {
            @let label = visitor.t("public-campaign-progress");
            @let percent = campaign.distributed_minor.saturating_mul(100) / collected;
            p.progress-line {
                progress value=(campaign.distributed_minor.clamp(0, collected)) max=(collected) aria-label=(label) {}
                " "
                span { (visitor.t_args("public-campaign-progress-text", &[("percent", format::count(lang, percent).into())])) }
            }
        }
    }
}

/// Minor units of the books' currency (zero and negative included) as the language writes
/// them.
fn rupiah(lang: crate::pages::i18n::Lang, minor: i64) -> String {
    format::rupiah(
        lang,
        Decimal::new(minor, u32::from(BOOKS_CURRENCY.exponent())),
    )
}

/// An amount taken off (`− Rp 1.937.500`); nothing taken off is `Rp 0`.
fn less(lang: crate::pages::i18n::Lang, minor: i64) -> String {
    if minor == 0 {
        rupiah(lang, 0)
    } else {
        format!("\u{2212} {}", rupiah(lang, minor))
    }
}

fn target_label(target: Target) -> String {
    match target {
        Target::Asnaf(asnaf) => format!("public-asnaf-{}", asnaf.as_str()),
        Target::Purpose(purpose) => format!("public-purpose-{}", purpose.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::i18n::Lang;
    use domain::{Asnaf, PublicPurpose};

    #[test]
    fn every_asnaf_and_purpose_has_its_name_in_both_languages() {
        let targets = Asnaf::ALL
            .iter()
            .map(|a| Target::Asnaf(*a))
            .chain(PublicPurpose::ALL.iter().map(|p| Target::Purpose(*p)));
        for target in targets {
            let id = target_label(target);
            assert_ne!(Lang::Id.t(&id), id);
            assert_ne!(Lang::En.t(&id), id);
        }
    }
}
