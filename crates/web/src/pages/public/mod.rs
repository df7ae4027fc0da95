//! The public pages: the landing page, the zakat calculator, receipt verification and the
//! campaigns' transparency pages. Nothing here needs signing in or shows personal data.

use axum::Router;
use axum::routing::get;
use maud::{Markup, html};

use super::layout;
use super::session::Visitor;
use crate::AppState;

mod campaigns;
mod verify;
mod zakat;

/// The public routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(landing))
        .route("/zakat", get(zakat::index))
        .route("/zakat/{category}", get(zakat::calculator))
        .route("/verify", get(verify::form))
        // Moved here from the API's routes: a browser gets a page in the site's layout; JSON
        // and PDF clients still get the API's answer.
        .route("/verify/{code}", get(verify::check))
        .route("/campaigns", get(campaigns::index))
        .route("/campaigns/{id}", get(campaigns::show))
}

/// `GET /`.
pub(crate) async fn landing(visitor: Visitor) -> Markup {
    let title = visitor.t("landing-title");
    let body = html! {
        section.hero {
            h1 { (title) }
            p.lead { (visitor.t("landing-lead")) }
            p.actions {
                a.button href="/zakat" { (visitor.t("landing-calculate")) }
                a.button.secondary href="/campaigns" { (visitor.t("landing-campaigns")) }
            }
        }
        section.cards {
            article.card {
                h2 { (visitor.t("nav-calculator")) }
                p { (visitor.t("landing-calculator-text")) }
                a href="/zakat" { (visitor.t("landing-calculate")) }
            }
            article.card {
                h2 { (visitor.t("nav-verify")) }
                p { (visitor.t("landing-verify-text")) }
                a href="/verify" { (visitor.t("nav-verify")) }
            }
            article.card {
                h2 { (visitor.t("nav-campaigns")) }
                p { (visitor.t("landing-campaigns-text")) }
                a href="/campaigns" { (visitor.t("landing-campaigns")) }
            }
        }
    };
    layout::public(&visitor, &title, &body)
}
