//! What the register, campaign, settings and user forms share: reading what a form sent,
//! making it the JSON body the API's handler takes (so the form is checked, written and
//! audited exactly as an API request is), and showing what the API refused next to the field
//! it names, with what was typed kept.

use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use maud::{Markup, html};
use serde_json::{Map, Value};
use storage::ledger::Refusal;

use super::super::super::error::PageError;
use super::super::super::session::{CSRF_FIELD, Visitor};
use crate::api::ApiError;

/// The hidden field carrying a form's idempotency key: a fresh UUID per rendered form, sent
/// to the API's idempotency store as `Idempotency-Key`, so a form posted twice files once.
pub(crate) const IDEMPOTENCY_FIELD: &str = "idempotency_key";

/// The largest API response a form reads back (an id, an NPWZ, a campaign).
const RESPONSE_BYTES_MAX: usize = 64 * 1024;

/// The fields a form sent, in order (a field may come more than once: checkboxes).
#[derive(Clone, Debug, Default)]
pub(crate) struct Sent(Vec<(String, String)>);

impl<S: Send + Sync> FromRequest<S> for Sent {
    type Rejection = PageError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Form(fields) = axum::Form::<Vec<(String, String)>>::from_request(request, state)
            .await
            .map_err(|err| PageError::BadRequest(err.body_text()))?;
        Ok(Sent(fields))
    }
}

impl Sent {
    /// The fields of a query string (`?name=…&nik=…`).
    pub(crate) fn from_query(query: Option<&str>) -> Sent {
        Sent(
            form_urlencoded::parse(query.unwrap_or_default().as_bytes())
                .map(|(name, value)| (name.into_owned(), value.into_owned()))
                .collect(),
        )
    }

    /// The last value sent for `name`, trimmed; empty if none.
    pub(crate) fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .rev()
            .find(|(field, _)| field == name)
            .map_or("", |(_, value)| value.trim())
    }

    /// `name`'s value, if it is not empty.
    pub(crate) fn given(&self, name: &str) -> Option<String> {
        Some(self.get(name))
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    }

    /// Every non-empty value sent for `name`.
    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(field, value)| field == name && !value.trim().is_empty())
            .map(|(_, value)| value.trim())
            .collect()
    }

    /// The text fields `names` as a JSON object, leaving out those left empty (the API reads
    /// an absent optional field as not given).
    pub(crate) fn json(&self, names: &[&str]) -> Map<String, Value> {
        names
            .iter()
            .filter_map(|name| {
                self.given(name)
                    .map(|value| ((*name).to_owned(), Value::String(value)))
            })
            .collect()
    }

    /// The `Idempotency-Key` header the API's handler reads, from the form's hidden key.
    pub(crate) fn key_headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(key) = self
            .given(IDEMPOTENCY_FIELD)
            .and_then(|key| HeaderValue::from_str(&key).ok())
        {
            headers.insert("idempotency-key", key);
        }
        headers
    }

    /// The form again, as sent.
    pub(crate) fn filled(self) -> Filled {
        Filled {
            values: self
                .0
                .into_iter()
                .filter(|(name, _)| name != CSRF_FIELD)
                .collect(),
            problem: None,
        }
    }

    /// The form again, as sent, to show with `problem`.
    pub(crate) fn refill(self, problem: Problem) -> Filled {
        Filled {
            problem: Some(problem),
            ..self.filled()
        }
    }
}

/// What is wrong with what a form sent: the field (named as the API names it) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Problem {
    /// The field at fault; `None`: the form as a whole.
    pub field: Option<String>,
    /// The API's explanation.
    pub message: String,
}

impl Problem {
    /// A problem with `field`.
    pub(crate) fn at(field: &str, message: impl Into<String>) -> Problem {
        Problem {
            field: Some(field.to_owned()),
            message: message.into(),
        }
    }

    /// What the API refused, if it is about what the form sent (shown on the form, 422);
    /// anything else (a role, a database down, a bug) is the page's error.
    pub(crate) fn from_api(err: ApiError) -> Result<Problem, PageError> {
        match err {
            ApiError::Invalid { field, message } => Ok(Problem {
                field: Some(field),
                message,
            }),
            ApiError::ShareAboveCap { ref field, .. } => {
                let field = field.clone();
                Ok(Problem {
                    field: Some(field),
                    message: err.detail(),
                })
            }
            ApiError::Refused(Refusal::Books(domain::ledger::Refusal::CampaignAsnaf)) => {
                Ok(Problem {
                    field: Some("allowed_asnaf".to_owned()),
                    message: err.detail(),
                })
            }
            ApiError::Refused(Refusal::IdempotencyKeyReused | Refusal::Books(_))
            | ApiError::Erased(_)
            | ApiError::IdempotencyKey(_)
            | ApiError::KeyInFlight => Ok(Problem {
                field: None,
                message: err.detail(),
            }),
            other => Err(PageError::Api(other)),
        }
    }
}

/// A form's values to show and, after a refusal, what was wrong.
#[derive(Clone, Debug, Default)]
pub(crate) struct Filled {
    values: Vec<(String, String)>,
    /// What the last submission got wrong.
    pub problem: Option<Problem>,
}

impl Filled {
    /// An empty form with a fresh idempotency key.
    pub(crate) fn fresh() -> Filled {
        Filled::default().with(IDEMPOTENCY_FIELD, uuid::Uuid::new_v4().to_string())
    }

    /// The form with `name` set to `value`.
    #[must_use]
    pub(crate) fn with(mut self, name: &str, value: impl Into<String>) -> Filled {
        self.values.push((name.to_owned(), value.into()));
        self
    }

    /// The form with `name` set to `value`, if any.
    #[must_use]
    pub(crate) fn with_some(self, name: &str, value: Option<impl Into<String>>) -> Filled {
        match value {
            Some(value) => self.with(name, value),
            None => self,
        }
    }

    /// The form with `problem` to show.
    #[must_use]
    pub(crate) fn refused(mut self, problem: Problem) -> Filled {
        self.problem = Some(problem);
        self
    }

    /// The value to show in `name`.
    pub(crate) fn value(&self, name: &str) -> &str {
        self.values
            .iter()
            .rev()
            .find(|(field, _)| field == name)
            .map_or("", |(_, value)| value.as_str())
    }

    /// Whether `value` is among the values of `name` (a ticked checkbox).
    pub(crate) fn has(&self, name: &str, value: &str) -> bool {
        self.values
            .iter()
            .any(|(field, given)| field == name && given == value)
    }

    /// The problem with `name`, if the last submission had one.
    pub(crate) fn error(&self, name: &str) -> Option<&str> {
        self.problem
            .as_ref()
            .filter(|problem| problem.field.as_deref() == Some(name))
            .map(|problem| problem.message.as_str())
    }

    /// The problem to show above the form: one about no field, or about a field the form
    /// does not show (`fields`).
    pub(crate) fn general_error(&self, fields: &[&str]) -> Option<&str> {
        self.problem
            .as_ref()
            .filter(|problem| {
                problem
                    .field
                    .as_deref()
                    .is_none_or(|field| !fields.contains(&field))
            })
            .map(|problem| problem.message.as_str())
    }
}

/// The summary above a refused form: that it was not saved, which field is wrong and why.
pub(crate) fn summary(visitor: &Visitor, filled: &Filled, fields: &[(&str, String)]) -> Markup {
    let Some(problem) = &filled.problem else {
        return html! {};
    };
    let names: Vec<&str> = fields.iter().map(|(name, _)| *name).collect();
    html! {
        div.alert.error role="alert" {
            p { strong { (visitor.t("admin-form-not-saved")) } }
            @if let Some(message) = filled.general_error(&names) {
                p { (message) }
            } @else if let Some((_, label)) = fields.iter().find(|(name, _)| problem.field.as_deref() == Some(*name)) {
                p { (label) ": " (problem.message) }
            }
        }
    }
}

/// How a field is typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    Email,
    Password,
    Date,
    Number,
    Textarea,
}

/// A labelled field of a form.
pub(crate) struct Field<'a> {
    id: String,
    name: &'a str,
    label: String,
    kind: Kind,
    required: bool,
    hint: Option<String>,
    maxlength: Option<usize>,
    autocomplete: Option<&'a str>,
    inputmode: Option<&'a str>,
    min: Option<i64>,
    max: Option<i64>,
}

impl<'a> Field<'a> {
    /// A text field `name` (element id `{form}-{name}`), labelled `label`.
    pub(crate) fn new(form: &str, name: &'a str, label: String) -> Field<'a> {
        Field {
            id: format!("{form}-{name}"),
            name,
            label,
            kind: Kind::Text,
            required: false,
            hint: None,
            maxlength: None,
            autocomplete: None,
            inputmode: None,
            min: None,
            max: None,
        }
    }

    pub(crate) fn kind(mut self, kind: Kind) -> Self {
        self.kind = kind;
        self
    }

    pub(crate) fn required(mut self) -> Self {
        self.required = true;
        self
    }

    pub(crate) fn hint(mut self, hint: String) -> Self {
        self.hint = Some(hint);
        self
    }

    pub(crate) fn max_length(mut self, length: usize) -> Self {
        self.maxlength = Some(length);
        self
    }

    pub(crate) fn autocomplete(mut self, token: &'a str) -> Self {
        self.autocomplete = Some(token);
        self
    }

    pub(crate) fn inputmode(mut self, mode: &'a str) -> Self {
        self.inputmode = Some(mode);
        self
    }

    pub(crate) fn range(mut self, min: i64, max: i64) -> Self {
        self.min = Some(min);
        self.max = Some(max);
        self
    }

    /// The label, the hint, the problem (if any) and the field with its value.
    pub(crate) fn render(&self, filled: &Filled) -> Markup {
        let error = filled.error(self.name);
        let hint_id = format!("{}-hint", self.id);
        let error_id = format!("{}-error", self.id);
        let described: Vec<&str> = [
            self.hint.as_ref().map(|_| hint_id.as_str()),
            error.map(|_| error_id.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect();
        let described = (!described.is_empty()).then(|| described.join(" "));
        let invalid = error.map(|_| "true");
        let value = filled.value(self.name);
        let kind = match self.kind {
            Kind::Text | Kind::Textarea => "text",
            Kind::Email => "email",
            Kind::Password => "password",
            Kind::Date => "date",
            Kind::Number => "number",
        };
        html! {
            div.field {
                label for=(self.id) { (self.label) }
                @if let Some(hint) = &self.hint {
                    span.hint id=(hint_id) { (hint) }
                }
                @if let Some(error) = error {
                    p.field-error id=(error_id) { (error) }
                }
                @if self.kind == Kind::Textarea {
                    textarea id=(self.id) name=(self.name) rows="3" required[self.required]
                        maxlength=[self.maxlength] aria-invalid=[invalid] aria-describedby=[described.as_deref()] { (value) }
                } @else if self.kind == Kind::Password {
                    input id=(self.id) type=(kind) name=(self.name) required[self.required]
                        maxlength=[self.maxlength] autocomplete=[self.autocomplete]
                        aria-invalid=[invalid] aria-describedby=[described.as_deref()];
                } @else {
                    input id=(self.id) type=(kind) name=(self.name) value=(value) required[self.required]
                        maxlength=[self.maxlength] autocomplete=[self.autocomplete] inputmode=[self.inputmode]
                        min=[self.min] max=[self.max]
                        aria-invalid=[invalid] aria-describedby=[described.as_deref()];
                }
            }
        }
    }
}

/// A labelled drop-down: `options` are (value, label); `blank`, if given, is the label of an
/// empty first choice.
pub(crate) fn select(
    filled: &Filled,
    field: (&str, &str),
    label: &str,
    options: &[(String, String)],
    blank: Option<&str>,
) -> Markup {
    let (form, name) = field;
    let id = format!("{form}-{name}");
    let error = filled.error(name);
    let error_id = format!("{id}-error");
    let chosen = filled.value(name);
    html! {
        div.field {
            label for=(id) { (label) }
            @if let Some(error) = error {
                p.field-error id=(error_id) { (error) }
            }
            select id=(id) name=(name) required[blank.is_none()]
                aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| error_id.as_str())] {
                @if let Some(blank) = blank {
                    option value="" selected[chosen.is_empty()] { (blank) }
                }
                @for (value, text) in options {
                    option value=(value) selected[chosen == value] { (text) }
                }
            }
        }
    }
}

/// A group of checkboxes `name`, one per (value, label).
pub(crate) fn checkboxes(
    filled: &Filled,
    field: (&str, &str),
    legend: &str,
    hint: &str,
    options: &[(String, String)],
) -> Markup {
    let (form, name) = field;
    let error = filled.error(name);
    let error_id = format!("{form}-{name}-error");
    let hint_id = format!("{form}-{name}-hint");
    let described = match error {
        Some(_) => format!("{hint_id} {error_id}"),
        None => hint_id.clone(),
    };
    html! {
        fieldset.choices aria-describedby=(described) {
            legend { (legend) }
            p.hint id=(hint_id) { (hint) }
            @if let Some(error) = error {
                p.field-error id=(error_id) { (error) }
            }
            @for (value, text) in options {
                @let id = format!("{form}-{name}-{value}");
                div.choice {
                    input id=(id) type="checkbox" name=(name) value=(value) checked[filled.has(name, value)];
                    label for=(id) { (text) }
                }
            }
        }
    }
}

/// The hidden idempotency key of a form that creates something.
pub(crate) fn key_field(filled: &Filled) -> Markup {
    html! { input type="hidden" name=(IDEMPOTENCY_FIELD) value=(filled.value(IDEMPOTENCY_FIELD)); }
}

/// The JSON body of an API handler's answer.
pub(crate) async fn answer_json(response: Response) -> Result<Value, PageError> {
    let bytes = axum::body::to_bytes(response.into_body(), RESPONSE_BYTES_MAX)
        .await
        .map_err(|_| PageError::Api(ApiError::Internal))?;
    serde_json::from_slice(&bytes).map_err(|_| PageError::Api(ApiError::Internal))
}

/// The scope an API body's digest is taken in: what the page's form posts to.
pub(crate) fn scope(path: &str) -> String {
    format!("POST {path}\n")
}

/// A date and time the API wrote (RFC 3339) as the visitor's language writes it.
pub(crate) fn api_time(visitor: &Visitor, text: &str) -> String {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).map_or_else(
        |_| text.to_owned(),
        |at| super::super::super::format::date_time(visitor.lang, at),
    )
}

/// Checks that every message id in `ids` (ids the pages build from names, which the
/// catalogue test cannot see in the code) is in both catalogues.
#[cfg(test)]
pub(crate) fn assert_messages_exist(ids: impl IntoIterator<Item = String>) {
    use super::super::super::i18n::Lang;
    let missing: Vec<String> = ids
        .into_iter()
        .flat_map(|id| Lang::ALL.map(|lang| (lang, id.clone())))
        .filter(|(lang, id)| lang.t(id) == *id)
        .map(|(lang, id)| format!("{}: {id}", lang.tag()))
        .collect();
    assert!(missing.is_empty(), "missing messages: {missing:#?}");
}
