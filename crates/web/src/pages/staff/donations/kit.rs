//! What the money forms (donations, their voids and refunds, distributions) share: a fresh
//! idempotency key in every rendered form, the request's digest, recording through the API's
//! path (waiting for a twin submission still in flight), problems shown at their fields, and
//! the markup of a field.
//!
//! A form is turned into the API's own JSON request and goes through the API's own checks
//! (`input::deserialize`, `validate`) and `api::apply`, under the form's key: a double submit
//! is recorded once, exactly as an API retry is.

use std::time::{Duration, Instant};

use maud::{Markup, html};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use storage::ledger::{Change, Refusal, Rendered, Renderer};
use uuid::Uuid;

use crate::AppState;
use crate::api::{self, ApiError};
use crate::pages::{PageError, Staff, Visitor};

/// The hidden field carrying a form's idempotency key.
pub(crate) const KEY_FIELD: &str = "idempotency_key";

/// How long a submission waits for its twin (the same form sent twice, the first still being
/// recorded) before giving up: a write takes milliseconds, a slow database seconds.
pub(crate) const IN_FLIGHT_WAIT: Duration = Duration::from_secs(15);

/// How often a waiting submission looks again.
const IN_FLIGHT_POLL: Duration = Duration::from_millis(20);

/// A new key for a newly rendered form.
pub(crate) fn fresh_key() -> String {
    Uuid::new_v4().to_string()
}

/// The digest a key is stored with: the form's path and its request in canonical JSON
/// (sorted keys), so the same form sent again is the same request and a form changed after
/// it was sent is another.
pub(crate) fn digest(path: &str, request: &serde_json::Value) -> [u8; 32] {
    Sha256::new()
        .chain_update(format!("POST {path}\n"))
        .chain_update(request.to_string())
        .finalize()
        .into()
}

/// Records `change` under the form's `key` through the API's path. A twin submission still
/// in flight (the key claimed by another request of this process) is waited for, and then
/// this one gets what the twin recorded, replayed.
pub(crate) async fn record(
    state: &AppState,
    staff: &Staff,
    key: &str,
    digest: [u8; 32],
    render: &Renderer,
    change: Change,
) -> Result<Rendered, ApiError> {
    let key = api::input::idempotency_key_text(key)?;
    let started = Instant::now();
    loop {
        let applied = api::apply(
            state,
            staff.caller(),
            Some(key.clone()),
            digest,
            render.clone(),
            change.clone(),
        )
        .await;
        match applied {
            Err(ApiError::KeyInFlight) if started.elapsed() < IN_FLIGHT_WAIT => {
                tokio::time::sleep(IN_FLIGHT_POLL).await;
            }
            other => return other.map(|(rendered, _replayed)| rendered),
        }
    }
}

/// The id of what a write recorded, from its rendered answer (the API's view of it).
pub(crate) fn recorded_id(rendered: &Rendered) -> Result<Uuid, PageError> {
    #[derive(Deserialize)]
    struct Recorded {
        id: Uuid,
    }
    serde_json::from_slice::<Recorded>(&rendered.body)
        .map(|recorded| recorded.id)
        .map_err(|_| PageError::Api(ApiError::Internal))
}

/// Adds `name: value` to a request unless the value is blank (left out: the API's default, or
/// its "missing field" naming the field).
pub(crate) fn put(
    request: &mut serde_json::Map<String, serde_json::Value>,
    name: &str,
    value: &str,
) {
    let value = value.trim();
    if !value.is_empty() {
        request.insert(name.to_owned(), serde_json::Value::from(value));
    }
}

/// What is wrong with a submitted form: messages at its fields, and one about the whole form.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    /// (field name, its label, the message).
    fields: Vec<(String, String, String)>,
    form: Option<String>,
}

impl Problems {
    /// Nothing wrong (a form shown for the first time).
    #[must_use]
    pub(crate) fn none() -> Problems {
        Problems::default()
    }

    /// The problem an API error names, at the form field it is about: the request's field
    /// with `.` written `_` (`donor.name` is the field `donor_name`) when `fields` (name, the
    /// message id of its label) has it, else the whole form. An error that is not about the
    /// form's content is `Err`: a page of its own (404, 403, 503).
    pub(crate) fn from_api(
        err: ApiError,
        visitor: &Visitor,
        fields: &[(&str, &str)],
    ) -> Result<Problems, PageError> {
        let mut problems = Problems::default();
        if matches!(err, ApiError::Refused(Refusal::IdempotencyKeyReused)) {
            // The form was sent before with other values (a back button, an edit): said
            // plainly; the form shown again carries a new key.
            problems.form = Some(visitor.t("money-key-reused"));
            return Ok(problems);
        }
        let (field, detail) = err.into_form_problem().map_err(PageError::Api)?;
        let name = field.as_deref().map(|field| field.replace('.', "_"));
        let known = name
            .as_deref()
            .and_then(|name| fields.iter().find(|(known, _)| *known == name));
        match (field, known) {
            (Some(field), Some((name, label))) => {
                let message = message_at_field(visitor, &field, &detail);
                problems
                    .fields
                    .push(((*name).to_owned(), visitor.t(label), message));
            }
            _ => problems.form = Some(detail),
        }
        Ok(problems)
    }

    /// Whether the form has any problem.
    pub(crate) fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.form.is_none()
    }

    /// The message at field `name`, if any.
    pub(crate) fn at(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, _, _)| field == name)
            .map(|(_, _, message)| message.as_str())
    }

    /// The summary above the form: what is wrong, each field's problem linked to its field
    /// (whose element id is `id_prefix` and its name).
    pub(crate) fn summary(&self, visitor: &Visitor, id_prefix: &str) -> Markup {
        if self.is_empty() {
            return html! {};
        }
        html! {
            div.alert.error.form-problems role="alert" {
                p { strong { (visitor.t("money-form-problems")) } }
                @if let Some(form) = &self.form {
                    p.problem-detail { (form) }
                }
                @if !self.fields.is_empty() {
                    ul {
                        @for (field, label, message) in &self.fields {
                            li { a href={ "#" (id_prefix) (field) } { (label) ": " (message) } }
                        }
                    }
                }
            }
        }
    }
}

/// The API's detail as shown at its field: without the "`field`: " it starts with (the label
/// is right there), and a field left empty said in the visitor's language.
fn message_at_field(visitor: &Visitor, field: &str, detail: &str) -> String {
    if detail.contains("missing field") {
        return visitor.t("money-required");
    }
    let prefix = format!("`{field}`: ");
    detail.strip_prefix(&prefix).unwrap_or(detail).to_owned()
}

/// One text-like field: its label, an optional hint, the input, and its problem.
pub(crate) struct Input<'a> {
    /// The element id (a form's prefix and the name).
    pub id: String,
    /// The form field's name (the API's request field).
    pub name: &'a str,
    /// The label, translated.
    pub label: String,
    /// A hint under the label, translated.
    pub hint: Option<String>,
    /// The value to show.
    pub value: &'a str,
    /// `text`, `date`, `email`, `tel`.
    pub kind: &'static str,
    /// `decimal`, `numeric`, …
    pub inputmode: Option<&'static str>,
    /// Whether the browser should insist on a value.
    pub required: bool,
    /// The most characters.
    pub maxlength: Option<usize>,
    /// Its autocomplete token (`off` for what is not the user's own data).
    pub autocomplete: Option<&'static str>,
}

impl<'a> Input<'a> {
    /// A text field `name` with `label`, its element id `prefix` + `name`.
    pub(crate) fn text(prefix: &str, name: &'a str, label: String, value: &'a str) -> Input<'a> {
        Input {
            id: format!("{prefix}{name}"),
            name,
            label,
            hint: None,
            value,
            kind: "text",
            inputmode: None,
            required: false,
            maxlength: None,
            autocomplete: Some("off"),
        }
    }

    /// The field, showing the problem `problems` has at it.
    pub(crate) fn render(&self, problems: &Problems) -> Markup {
        let problem = problems.at(self.name);
        let hint_id = format!("{}-hint", self.id);
        let error_id = format!("{}-error", self.id);
        let described = described_by(self.hint.is_some(), problem.is_some(), &hint_id, &error_id);
        html! {
            div.field {
                label for=(self.id) { (self.label) }
                @if let Some(hint) = &self.hint {
                    span.hint #(hint_id) { (hint) }
                }
                input #(self.id) name=(self.name) type=(self.kind) value=(self.value)
                    inputmode=[self.inputmode] required[self.required]
                    maxlength=[self.maxlength] autocomplete=[self.autocomplete]
                    aria-invalid=[problem.map(|_| "true")] aria-describedby=[described];
                @if let Some(problem) = problem {
                    p.field-error #(error_id) { (problem) }
                }
            }
        }
    }
}

/// A choice among `options` (value, label), with an empty first choice labelled `empty` when
/// the field may be left unset.
pub(crate) struct Select<'a> {
    /// The element id.
    pub id: String,
    /// The form field's name.
    pub name: &'a str,
    /// The label, translated.
    pub label: String,
    /// A hint under the label, translated.
    pub hint: Option<String>,
    /// The value chosen.
    pub value: &'a str,
    /// (value, label) of each choice.
    pub options: Vec<(String, String)>,
    /// The label of the empty choice, if the field may be left unset.
    pub empty: Option<String>,
}

impl Select<'_> {
    /// The field, showing the problem `problems` has at it.
    pub(crate) fn render(&self, problems: &Problems) -> Markup {
        let problem = problems.at(self.name);
        let hint_id = format!("{}-hint", self.id);
        let error_id = format!("{}-error", self.id);
        let described = described_by(self.hint.is_some(), problem.is_some(), &hint_id, &error_id);
        html! {
            div.field {
                label for=(self.id) { (self.label) }
                @if let Some(hint) = &self.hint {
                    span.hint #(hint_id) { (hint) }
                }
                select #(self.id) name=(self.name)
                    aria-invalid=[problem.map(|_| "true")] aria-describedby=[described] {
                    @if let Some(empty) = &self.empty {
                        option value="" selected[self.value.is_empty()] { (empty) }
                    }
                    @for (value, label) in &self.options {
                        option value=(value) selected[value == self.value] { (label) }
                    }
                }
                @if let Some(problem) = problem {
                    p.field-error #(error_id) { (problem) }
                }
            }
        }
    }
}

/// A free-text area.
pub(crate) fn textarea(
    id: &str,
    name: &str,
    label: &str,
    value: &str,
    problems: &Problems,
) -> Markup {
    let problem = problems.at(name);
    let error_id = format!("{id}-error");
    html! {
        div.field {
            label for=(id) { (label) }
            textarea #(id) name=(name) rows="3" maxlength=(api::NOTE_LENGTH_MAX)
                aria-invalid=[problem.map(|_| "true")]
                aria-describedby=[problem.map(|_| error_id.as_str())] { (value) }
            @if let Some(problem) = problem {
                p.field-error #(error_id) { (problem) }
            }
        }
    }
}

fn described_by(hint: bool, problem: bool, hint_id: &str, error_id: &str) -> Option<String> {
    match (hint, problem) {
        (false, false) => None,
        (true, false) => Some(hint_id.to_owned()),
        (false, true) => Some(error_id.to_owned()),
        (true, true) => Some(format!("{hint_id} {error_id}")),
    }
}

/// Today in Jakarta (WIB), the day receipts and the books date by.
pub(crate) fn today() -> time::Date {
    time::OffsetDateTime::now_utc()
        .to_offset(domain::ledger::RECEIPT_YEAR_OFFSET)
        .date()
}

/// The options of a closed set of names, each labelled by the message `prefix` + its name.
pub(crate) fn named_options<T: Copy>(
    visitor: &Visitor,
    all: &[T],
    name: impl Fn(T) -> &'static str,
    prefix: &str,
) -> Vec<(String, String)> {
    all.iter()
        .map(|item| {
            let name = name(*item);
            (name.to_owned(), visitor.t(&format!("{prefix}{name}")))
        })
        .collect()
}

/// Parses a form body (`application/x-www-form-urlencoded`, already checked for its CSRF
/// token) into `T`; a field it does not know is ignored, one that does not fit is a 400.
pub(crate) fn parse_form<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, PageError> {
    serde_urlencoded::from_bytes(body).map_err(|err| PageError::BadRequest(err.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_request_has_the_same_digest_and_another_path_or_field_another() {
        let one = serde_json::json!({"amount": "1", "type": "infak"});
        let same = serde_json::json!({"type": "infak", "amount": "1"});
        let other = serde_json::json!({"type": "infak", "amount": "2"});
        assert_eq!(digest("/a", &one), digest("/a", &same));
        assert_ne!(digest("/a", &one), digest("/a", &other));
        assert_ne!(digest("/a", &one), digest("/b", &one));
    }

    #[test]
    fn blank_fields_are_left_out_of_the_request() {
        let mut request = serde_json::Map::new();
        put(&mut request, "note", "  ");
        put(&mut request, "amount", " 10 ");
        assert_eq!(
            serde_json::Value::Object(request),
            serde_json::json!({"amount": "10"})
        );
    }

    #[test]
    fn a_field_message_drops_the_field_name_the_label_already_shows() {
        let visitor = Visitor {
            lang: crate::pages::i18n::Lang::En,
            csrf: String::new(),
            signed_in: None,
            path: "/".to_owned(),
        };
        assert_eq!(
            message_at_field(&visitor, "amount", "`amount`: must be positive"),
            "must be positive"
        );
        assert_eq!(
            message_at_field(&visitor, "type", "`type`: missing field `type`"),
            visitor.t("money-required")
        );
    }
}
