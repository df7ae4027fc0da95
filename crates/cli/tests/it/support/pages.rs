//! A browser without JavaScript for the page tests: keeps cookies, reads each page's CSRF
//! token and sends it with the next form, and does not follow redirects (tests see the 303s).

use std::sync::Mutex;

use domain::Role;
use reqwest::header::HeaderMap;

use super::TestApp;

/// The password of every user `TestApp::user_with_token` creates.
pub const TEST_PASSWORD: &str = "a test password of some length";

/// A page as received.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    /// Where a redirect points.
    pub fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_else(|| panic!("no Location on a {} answer: {}", self.status, self.body))
    }

    /// The value of the first `<input name="{name}" … value="…">` (as rendered by maud: `name`
    /// before `value`), unescaped for `&amp;`.
    pub fn input_value(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\"");
        let at = self.body.find(&marker)?;
        let tag_end = self.body[at..].find('>')? + at;
        let tag = &self.body[at..tag_end];
        let value = tag.split("value=\"").nth(1)?.split('"').next()?;
        Some(value.replace("&amp;", "&"))
    }
}

/// A cookie-keeping client of one application.
pub struct PageClient {
    pub client: reqwest::Client,
    base: String,
    csrf: Mutex<Option<String>>,
}

impl PageClient {
    /// A new visitor of `app` (no cookies yet).
    pub fn new(app: &TestApp) -> PageClient {
        PageClient {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: app.url(""),
            csrf: Mutex::new(None),
        }
    }

    /// A new user with `role`, signed in: (client, e-mail, API token of the same user).
    pub async fn signed_in(app: &TestApp, role: Role) -> (PageClient, String, String) {
        let (token, _, email) = app.user_with_token(role, None).await;
        let client = PageClient::new(app);
        let answer = client.sign_in(&email, TEST_PASSWORD).await;
        assert_eq!(answer.status, 303, "signing in: {}", answer.body);
        (client, email, token)
    }

    /// Posts the sign-in form (after a `GET` of it for the CSRF token).
    pub async fn sign_in(&self, email: &str, password: &str) -> Page {
        let form = self.get("/login").await;
        assert_eq!(form.status, 200, "{}", form.body);
        self.post_form("/login", &[("email", email), ("password", password)])
            .await
    }

    /// GETs `path` (path and query); remembers the page's CSRF token.
    pub async fn get(&self, path: &str) -> Page {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("the server answers");
        self.page(response).await
    }

    /// POSTs `fields` as a form with the CSRF token of the last page seen.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.csrf().unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("_csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// POSTs exactly `fields` (no CSRF token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .form(fields)
            .send()
            .await
            .expect("the server answers");
        self.page(response).await
    }

    /// The CSRF token of the last page that had a form.
    pub fn csrf(&self) -> Option<String> {
        self.csrf.lock().unwrap().clone()
    }

    async fn page(&self, response: reqwest::Response) -> Page {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap();
        let page = Page {
            status,
            headers,
            body,
        };
        if let Some(token) = page.input_value("_csrf") {
            *self.csrf.lock().unwrap() = Some(token);
        }
        page
    }
}

/// Signs in a user with `role` — shorthand for [`PageClient::signed_in`].
#[allow(dead_code, reason = "for the page tests of each area")]
pub async fn staff(app: &TestApp, role: Role) -> PageClient {
    PageClient::signed_in(app, role).await.0
}
