//! The frame of every page: head, header with the menus (public, or the staff's by role), the
//! language switcher, and the footer; and the error pages.

use axum::http::StatusCode;
use domain::Role;
use domain::role::{ADMINS, PERSONAL_DATA_READERS, REPORT_READERS, VERIFIERS};
use maud::{DOCTYPE, Markup, html};

use super::assets;
use super::error::ErrorPage;
use super::i18n::Lang;
use super::session::{Staff, Visitor};

/// One entry of a menu: where it goes, its message id, who sees it.
struct NavItem {
    href: &'static str,
    label: &'static str,
    roles: &'static [Role],
}

/// The public menu.
const PUBLIC_NAV: &[NavItem] = &[
    NavItem {
        href: "/",
        label: "nav-home",
        roles: &[],
    },
    NavItem {
        href: "/zakat",
        label: "nav-calculator",
        roles: &[],
    },
    NavItem {
        href: "/campaigns",
        label: "nav-campaigns",
        roles: &[],
    },
    NavItem {
        href: "/verify",
        label: "nav-verify",
        roles: &[],
    },
];

/// The staff menu; each user sees the entries their role may use.
const STAFF_NAV: &[NavItem] = &[
    NavItem {
        href: "/staff",
        label: "nav-dashboard",
        roles: REPORT_READERS,
    },
    NavItem {
        href: "/staff/donations",
        label: "nav-donations",
        roles: REPORT_READERS,
    },
    NavItem {
        href: "/staff/muzakki",
        label: "nav-muzakki",
        roles: PERSONAL_DATA_READERS,
    },
    NavItem {
        href: "/staff/mustahik",
        label: "nav-mustahik",
        roles: PERSONAL_DATA_READERS,
    },
    NavItem {
        href: "/staff/campaigns",
        label: "nav-campaigns",
        roles: REPORT_READERS,
    },
    NavItem {
        href: "/staff/distributions",
        label: "nav-distributions",
        roles: REPORT_READERS,
    },
    NavItem {
        href: "/staff/reports",
        label: "nav-reports",
        roles: REPORT_READERS,
    },
    NavItem {
        href: "/staff/audit",
        label: "nav-audit",
        roles: VERIFIERS,
    },
    NavItem {
        href: "/staff/settings",
        label: "nav-settings",
        roles: ADMINS,
    },
    NavItem {
        href: "/staff/users",
        label: "nav-users",
        roles: ADMINS,
    },
];

/// A public page: `title` (already translated) over `body`.
#[must_use]
pub fn public(visitor: &Visitor, title: &str, body: &Markup) -> Markup {
    document(visitor, title, &public_header(visitor), body)
}

/// A staff page: the menu for the user's role, `title` over `body`.
#[must_use]
pub fn staff(staff: &Staff, title: &str, body: &Markup) -> Markup {
    document(&staff.visitor, title, &staff_header(staff), body)
}

fn document(visitor: &Visitor, title: &str, header: &Markup, body: &Markup) -> Markup {
    let lang = visitor.lang;
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (lang.t("brand")) }
                link rel="stylesheet" href=(assets::url("app.css"));
                link rel="icon" href=(assets::url("favicon.svg")) type="image/svg+xml";
                script src=(assets::url("app.js")) defer {}
            }
            body {
                a.skip href="#main" { (lang.t("skip-to-content")) }
                (header)
                main #main tabindex="-1" {
                    (body)
                }
                footer.site-footer {
                    p { (lang.t("footer-note")) }
                }
            }
        }
    }
}

fn current(visitor: &Visitor, href: &str) -> bool {
    let path = visitor.path.split('?').next().unwrap_or_default();
    if href == "/" || href == "/staff" {
        path == href
    } else {
        path == href || path.starts_with(&format!("{href}/"))
    }
}

fn nav(visitor: &Visitor, items: &[NavItem], role: Option<Role>, label: &str) -> Markup {
    html! {
        nav.menu aria-label=(label) {
            ul {
                @for item in items {
                    @if item.roles.is_empty() || role.is_some_and(|role| item.roles.contains(&role)) {
                        li {
                            @if current(visitor, item.href) {
                                a href=(item.href) aria-current="page" { (visitor.t(item.label)) }
                            } @else {
                                a href=(item.href) { (visitor.t(item.label)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The page asked for in `lang`: the same path and query (a report's period, a calculation's
/// figures), `lang` replaced.
fn in_language(visitor: &Visitor, lang: Lang) -> String {
    let (path, query) = visitor
        .path
        .split_once('?')
        .unwrap_or((visitor.path.as_str(), ""));
    let mut kept = form_urlencoded::Serializer::new(String::new());
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if name != "lang" {
            kept.append_pair(&name, &value);
        }
    }
    kept.append_pair("lang", lang.tag());
    format!("{path}?{}", kept.finish())
}

fn language_switch(visitor: &Visitor) -> Markup {
    html! {
        ul.languages aria-label=(visitor.t("language")) {
            @for lang in Lang::ALL {
                li {
                    @if lang == visitor.lang {
                        span aria-current="true" lang=(lang.tag()) { (lang.name()) }
                    } @else {
                        a href=(in_language(visitor, lang)) lang=(lang.tag()) hreflang=(lang.tag()) { (lang.name()) }
                    }
                }
            }
        }
    }
}

fn public_header(visitor: &Visitor) -> Markup {
    html! {
        header.site-header {
            a.brand href="/" { (visitor.t("brand")) }
            (nav(visitor, PUBLIC_NAV, None, &visitor.t("nav-public")))
            div.tools {
                (language_switch(visitor))
                @if visitor.signed_in.is_some() {
                    a.button.secondary href="/staff" { (visitor.t("nav-dashboard")) }
                } @else {
                    a.button.secondary href="/login" { (visitor.t("sign-in")) }
                }
            }
        }
    }
}

fn staff_header(staff: &Staff) -> Markup {
    html! {
        header.site-header.staff {
            a.brand href="/staff" { (staff.t("brand")) }
            (nav(&staff.visitor, STAFF_NAV, Some(staff.role), &staff.t("nav-staff")))
            div.tools {
                (language_switch(&staff.visitor))
                details.account {
                    summary { (staff.email) " · " (staff.t(&format!("role-{}", staff.role.as_str()))) }
                    div.account-menu {
                        form method="post" action="/logout" {
                            (staff.csrf_field())
                            button #sign-out type="submit" { (staff.t("sign-out")) }
                        }
                        form method="post" action="/logout/everywhere" {
                            (staff.csrf_field())
                            button type="submit" { (staff.t("sign-out-everywhere")) }
                        }
                    }
                }
            }
        }
    }
}

/// The page shown for an [`ErrorPage`]: a localised explanation of the status and, if any,
/// the technical detail.
pub(crate) fn error_page(visitor: &Visitor, page: &ErrorPage) -> Markup {
    let (title, explanation) = match page.status {
        StatusCode::NOT_FOUND => ("error-404-title", "error-404-text"),
        StatusCode::FORBIDDEN => ("error-403-title", "error-403-text"),
        StatusCode::TOO_MANY_REQUESTS => ("error-429-title", "error-429-text"),
        StatusCode::SERVICE_UNAVAILABLE => ("error-503-title", "error-503-text"),
        status if status.is_client_error() => ("error-400-title", "error-400-text"),
        _ => ("error-500-title", "error-500-text"),
    };
    let title = visitor.t(title);
    let body = html! {
        section.error {
            h1 { (title) }
            p { (visitor.t(explanation)) }
            @if let Some(detail) = &page.detail {
                p.detail { (detail) }
            }
            p { a href="/" { (visitor.t("error-back-home")) } }
        }
    };
    public(visitor, &title, &body)
}
