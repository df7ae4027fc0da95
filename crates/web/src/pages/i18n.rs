//! Indonesian and English: which one a request gets, and the message catalogues.
//!
//! Every string a page shows lives in a Project Fluent catalogue under `crates/web/locales`
//! (`id/*.ftl`, `en/*.ftl`, one file per area of the pages), compiled into the binary. The
//! language is, in order: `?lang=` on the request (which also sets the `lang` cookie), the
//! `lang` cookie, the best of `Accept-Language`, Indonesian.

use std::borrow::Cow;
use std::collections::HashMap;

use axum::http::{HeaderMap, header};
use fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader as _, langid, static_loader};

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "id",
        // Bidi isolation marks (U+2068/U+2069) around every argument would end up inside
        // attribute values and numbers people copy; the pages set `dir` themselves.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static INDONESIAN: LanguageIdentifier = langid!("id");
static ENGLISH: LanguageIdentifier = langid!("en");

/// The cookie remembering a visitor's choice of language.
pub(crate) const LANG_COOKIE: &str = "lang";

/// A language the pages speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    /// Bahasa Indonesia (the default).
    Id,
    /// English.
    En,
}

impl Lang {
    /// Both, in the order the switcher shows them.
    pub const ALL: [Lang; 2] = [Lang::Id, Lang::En];

    /// The BCP 47 tag (`<html lang>`, `?lang=`).
    #[must_use]
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }

    /// The language's own name, for the switcher.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Lang::Id => "Bahasa Indonesia",
            Lang::En => "English",
        }
    }

    /// `id`, `en`, `id-ID`, `en-GB`, … (case-insensitive); `None` for any other language.
    #[must_use]
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next()?.trim();
        if primary.eq_ignore_ascii_case("id") || primary.eq_ignore_ascii_case("in") {
            Some(Lang::Id)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    fn identifier(self) -> &'static LanguageIdentifier {
        match self {
            Lang::Id => &INDONESIAN,
            Lang::En => &ENGLISH,
        }
    }

    /// The message `id` in this language (the Indonesian one if this catalogue lacks it; the
    /// id itself, never a panic, if both do — a test keeps that from shipping).
    #[must_use]
    pub fn t(self, id: &str) -> String {
        LOCALES
            .try_lookup(self.identifier(), id)
            .unwrap_or_else(|| id.to_owned())
    }

    /// The message `id` with its arguments (`{ $name }` in the catalogue).
    #[must_use]
    pub fn t_args(self, id: &str, args: &[(&'static str, Arg)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(name, value)| (Cow::Borrowed(*name), value.to_fluent()))
            .collect();
        LOCALES
            .try_lookup_with_args(self.identifier(), id, &args)
            .unwrap_or_else(|| id.to_owned())
    }
}

/// An argument of a message: text is shown as given (format numbers and money with
/// [`super::format`] first), a count selects plural forms.
#[derive(Clone, Debug)]
pub enum Arg {
    /// Shown as is.
    Text(String),
    /// A count (selects `[one]`/`[other]`).
    Count(i64),
}

impl Arg {
    fn to_fluent(&self) -> FluentValue<'_> {
        match self {
            Arg::Text(text) => FluentValue::from(text.as_str()),
            Arg::Count(count) => FluentValue::from(*count),
        }
    }
}

impl From<String> for Arg {
    fn from(text: String) -> Arg {
        Arg::Text(text)
    }
}

impl From<&str> for Arg {
    fn from(text: &str) -> Arg {
        Arg::Text(text.to_owned())
    }
}

impl From<i64> for Arg {
    fn from(count: i64) -> Arg {
        Arg::Count(count)
    }
}

/// The language a request asked for with `?lang=`, if any.
#[must_use]
pub fn requested(query: Option<&str>) -> Option<Lang> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(name, _)| name == "lang")
        .and_then(|(_, value)| Lang::parse(&value))
}

/// The language for a request with `headers` and no `?lang=`: the `lang` cookie, else the
/// first language of `Accept-Language` (by quality) we speak, else Indonesian.
#[must_use]
pub fn negotiate(headers: &HeaderMap) -> Lang {
    cookie_choice(headers)
        .or_else(|| accepted(headers))
        .unwrap_or(Lang::Id)
}

fn cookie_choice(headers: &HeaderMap) -> Option<Lang> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == LANG_COOKIE)
        .and_then(|(_, value)| Lang::parse(value))
}

/// Entries of `Accept-Language` read at most: a longer header is an attack, not a browser.
const ACCEPT_LANGUAGE_ENTRIES_MAX: usize = 32;

fn accepted(headers: &HeaderMap) -> Option<Lang> {
    let value = headers.get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
    let mut best: Option<(u16, Lang)> = None;
    for entry in value.split(',').take(ACCEPT_LANGUAGE_ENTRIES_MAX) {
        let mut parts = entry.split(';');
        let Some(lang) = parts.next().and_then(|tag| Lang::parse(tag.trim())) else {
            continue;
        };
        let quality = parts
            .find_map(|part| part.trim().strip_prefix("q="))
            .map_or(1000, quality_per_mille);
        // The first of equal quality wins: the browser lists them in preference order.
        if quality > 0 && best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, lang));
        }
    }
    best.map(|(_, lang)| lang)
}

/// `0.8` → 800; anything unreadable counts as 0 (not acceptable).
fn quality_per_mille(text: &str) -> u16 {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let whole: u16 = match whole {
        "0" => 0,
        "1" => 1000,
        _ => return 0,
    };
    let fraction: String = fraction.chars().take(3).collect();
    if !fraction.chars().all(|c| c.is_ascii_digit()) {
        return 0;
    }
    let padded = format!("{fraction:0<3}");
    (whole + padded.parse::<u16>().unwrap_or(0)).min(1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn accept_language_picks_the_best_language_we_speak() {
        let pick = |value| accepted(&headers(&[(header::ACCEPT_LANGUAGE, value)]));
        assert_eq!(pick("en-US,en;q=0.9,id;q=0.8"), Some(Lang::En));
        assert_eq!(pick("fr-FR, id;q=0.5, en;q=0.4"), Some(Lang::Id));
        assert_eq!(pick("fr, de"), None);
        assert_eq!(pick("id;q=0, en;q=0.1"), Some(Lang::En));
        assert_eq!(pick("en;q=0.5, id"), Some(Lang::Id));
        assert_eq!(pick("en;q=abc"), None);
    }

    #[test]
    fn the_cookie_wins_over_the_header_and_indonesian_is_the_default() {
        let both = headers(&[
            (header::ACCEPT_LANGUAGE, "en"),
            (header::COOKIE, "other=1; lang=id"),
        ]);
        assert_eq!(negotiate(&both), Lang::Id);
        assert_eq!(negotiate(&HeaderMap::new()), Lang::Id);
        assert_eq!(requested(Some("a=1&lang=en")), Some(Lang::En));
        assert_eq!(requested(Some("lang=xx")), None);
    }

    /// Every message id in one catalogue is in the other: a page never shows a raw id or,
    /// silently, the other language.
    #[test]
    fn both_catalogues_hold_the_same_messages() {
        let ids = |lang: &str| catalogue_ids(lang);
        let indonesian = ids("id");
        let english = ids("en");
        let only_id: Vec<_> = indonesian.difference(&english).collect();
        let only_en: Vec<_> = english.difference(&indonesian).collect();
        assert!(
            only_id.is_empty() && only_en.is_empty(),
            "only in id: {only_id:?}; only in en: {only_en:?}"
        );
        assert!(!indonesian.is_empty());
    }

    /// Every `t("…")`/`t_args("…"` id in the pages' code exists in the catalogues.
    #[test]
    fn every_message_the_code_asks_for_exists() {
        let known = catalogue_ids("id");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/pages");
        let mut missing = Vec::new();
        // This file's own examples are not messages.
        for path in rust_files(&root)
            .into_iter()
            .filter(|path| !path.ends_with("i18n.rs"))
        {
            let source = std::fs::read_to_string(&path).unwrap();
            for id in message_ids_used(&source) {
                if !known.contains(&id) {
                    missing.push(format!("{}: {id}", path.display()));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "messages missing from the catalogues: {missing:#?}"
        );
    }

    fn catalogue_ids(lang: &str) -> std::collections::BTreeSet<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales")
            .join(lang);
        let mut ids = std::collections::BTreeSet::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for line in text.lines() {
                let Some((id, _)) = line.split_once('=') else {
                    continue;
                };
                let id = id.trim_end();
                let starts_a_message = line.starts_with(|c: char| c.is_ascii_alphabetic());
                if starts_a_message
                    && id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    ids.insert(id.to_owned());
                }
            }
        }
        ids
    }

    fn rust_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files.extend(rust_files(&path));
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
        files
    }

    /// The literal ids passed as `t("id")` or `t_args("id", …)`.
    fn message_ids_used(source: &str) -> Vec<String> {
        let mut ids = Vec::new();
        for marker in ["t(\"", "t_args(\""] {
            let mut rest = source;
            while let Some(at) = rest.find(marker) {
                let preceding = rest[..at].chars().next_back();
                rest = &rest[at + marker.len()..];
                // `.t("` or ` t("`, not `format!("` or `split("`.
                if preceding.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                    continue;
                }
                if let Some(end) = rest.find('"') {
                    ids.push(rest[..end].to_owned());
                }
            }
        }
        ids
    }
}
