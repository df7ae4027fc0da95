//! The web pages' security: CSRF on every form, the security headers on every kind of
//! response, the session cookie's attributes (dev and prod), sign-in throttling, signing out
//! (here and everywhere), the language negotiation and the embedded assets.

use domain::Role;

use crate::support::binary::temp_dir;
use crate::support::pages::{PageClient, TEST_PASSWORD};
use crate::support::{GOOD_SECRET, TestApp};

#[tokio::test]
async fn a_form_without_the_sessions_csrf_token_is_refused_403_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (staff, _, _) = PageClient::signed_in(&app, Role::Amil).await;
    assert_eq!(staff.get("/staff").await.status, 200);

    // No token, a wrong token, the right token in a body that is not a form.
    let missing = staff.post_raw("/logout", &[]).await;
    assert_eq!(missing.status, 403);
    assert!(
        missing.body.contains("<h1>"),
        "an HTML page: {}",
        missing.body
    );
    let wrong = staff
        .post_raw("/logout", &[("_csrf", "not-the-token")])
        .await;
    assert_eq!(wrong.status, 403);
    let token = staff.csrf().unwrap();
    let plain = staff
        .client
        .post(app.url("/logout"))
        .header("content-type", "text/plain")
        .body(format!("_csrf={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 403);
    assert_eq!(staff.get("/staff").await.status, 200, "still signed in");

    // Another visitor's token is not this session's.
    let other = PageClient::new(&app);
    other.get("/login").await;
    let foreign = other.csrf().unwrap();
    assert_ne!(foreign, token);
    assert_eq!(
        staff
            .post_raw("/logout", &[("_csrf", &foreign)])
            .await
            .status,
        403
    );

    // The sign-in form is protected too.
    let visitor = PageClient::new(&app);
    let answer = visitor
        .post_raw(
            "/login",
            &[("email", "x@example.org"), ("password", TEST_PASSWORD)],
        )
        .await;
    assert_eq!(answer.status, 403);

    // With the token, the same request works.
    assert_eq!(staff.post_form("/logout", &[]).await.status, 303);
    app.teardown().await;
}

/// The headers every response carries, whatever produced it.
fn assert_security_headers(what: &str, headers: &reqwest::header::HeaderMap, prod: bool) {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_else(|| panic!("{what}: no `{name}` header in {headers:?}"))
            .to_owned()
    };
    let policy = header("content-security-policy");
    assert!(policy.contains("script-src 'self'"), "{what}: {policy}");
    assert!(!policy.contains("unsafe-inline"), "{what}: {policy}");
    assert!(!policy.contains("unsafe-eval"), "{what}: {policy}");
    assert!(
        policy.contains("frame-ancestors 'none'"),
        "{what}: {policy}"
    );
    assert!(policy.contains("default-src 'none'"), "{what}: {policy}");
    assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header("referrer-policy"), "same-origin", "{what}");
    assert_eq!(header("x-frame-options"), "DENY", "{what}");
    let hsts = headers.get("strict-transport-security");
    if prod {
        let hsts = hsts
            .unwrap_or_else(|| panic!("{what}: no HSTS in prod"))
            .to_str()
            .unwrap();
        assert!(hsts.starts_with("max-age=63072000"), "{what}: {hsts}");
    } else {
        assert!(hsts.is_none(), "{what}: HSTS over plain HTTP in dev");
    }
}

#[tokio::test]
async fn every_response_carries_the_security_headers_pages_errors_assets_and_the_api() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let home = client.get(app.url("/")).send().await.unwrap();
    let html = home.headers().clone();
    let body = home.text().await.unwrap();
    let css = body
        .split('"')
        .find(|part| part.starts_with("/assets/app-") && is_css(part))
        .expect("the page links its stylesheet")
        .to_owned();
    let checks: Vec<(&str, reqwest::RequestBuilder, u16)> = vec![
        ("a page", client.get(app.url("/login")), 200),
        ("a redirect", client.get(app.url("/staff")), 303),
        (
            "an HTML 404",
            client
                .get(app.url("/nowhere"))
                .header("accept", "text/html"),
            404,
        ),
        ("a problem 404", client.get(app.url("/api/v1/nowhere")), 404),
        ("an API 401", client.get(app.url("/api/v1/funds")), 401),
        (
            "a 403 page",
            client.post(app.url("/logout")).form(&[("a", "b")]),
            403,
        ),
        ("an asset", client.get(app.url(&css)), 200),
        (
            "an operations endpoint",
            client.get(app.url("/healthz")),
            200,
        ),
        ("a 405", client.delete(app.url("/healthz")), 405),
    ];
    assert_security_headers("the home page", &html, false);
    for (what, request, status) in checks {
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{what}");
        assert_security_headers(what, response.headers(), false);
    }
    app.teardown().await;
}

/// The `Set-Cookie` of the session cookie on `response`.
fn session_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .find(|cookie| cookie.contains("session="))
        .unwrap_or_else(|| panic!("no session cookie in {:?}", response.headers()))
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_lax_and_in_prod_secure_with_the_host_prefix() {
    // Dev, over plain HTTP: neither `Secure` nor the prefix (a browser would drop them).
    let app = TestApp::spawn().await;
    let response = reqwest::get(app.url("/login")).await.unwrap();
    let cookie = session_cookie(&response);
    assert!(cookie.starts_with("session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert!(!cookie.contains("Domain"), "{cookie}");
    app.teardown().await;

    // Prod: `__Host-session`, Secure, and HSTS on every response.
    let dir = temp_dir();
    let url = format!("sqlite://{}", dir.path().join("prod.db").display());
    let data_dir = dir.path().join("data");
    let pairs = vec![
        ("APP_ENV", "prod"),
        ("DATABASE_URL", url.as_str()),
        ("DATA_DIR", data_dir.to_str().unwrap()),
        ("PORT", "0"),
        ("SECRET_KEY_BASE", GOOD_SECRET),
    ];
    let config = cli::config::Config::load(&cli::config::Environment::from_pairs(pairs), None)
        .expect("the configuration is valid");
    let database = cli::app::connect_database(&config).await.unwrap();
    database.migrate().await.unwrap();
    database.close().await;
    let app = cli::app::App::build(&config).await.expect("the app builds");
    let address = crate::support::binary::loopback(app.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        stopped.await.ok();
    }));
    let response = reqwest::get(format!("http://{address}/login"))
        .await
        .unwrap();
    let cookie = session_cookie(&response);
    assert!(cookie.starts_with("__Host-session="), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute}: {cookie}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
    assert_security_headers("a prod page", response.headers(), true);
    let problem = reqwest::get(format!("http://{address}/api/v1/nowhere"))
        .await
        .unwrap();
    assert_security_headers("a prod problem", problem.headers(), true);
    stop.send(()).ok();
    server.await.unwrap();
}

#[tokio::test]
async fn the_sixth_wrong_password_within_the_window_is_429_with_retry_after() {
    let app = TestApp::spawn().await;
    let (_, _, email) = app.user_with_token(Role::Amil, None).await;
    let guesser = PageClient::new(&app);
    for attempt in 1..=5 {
        let answer = guesser
            .sign_in(&email, &format!("wrong guess {attempt}"))
            .await;
        assert_eq!(answer.status, 401, "attempt {attempt}");
        assert!(answer.body.contains("role=\"alert\""), "{}", answer.body);
    }
    let sixth = guesser.sign_in(&email, "wrong guess 6").await;
    assert_eq!(sixth.status, 429);
    let retry_after: u64 = sixth.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((800..=900).contains(&retry_after), "{retry_after}");
    // The account waits out the window even for the right password, from anywhere.
    let owner = PageClient::new(&app);
    assert_eq!(owner.sign_in(&email, TEST_PASSWORD).await.status, 429);
    // Another account is not locked by it.
    let (_, _, other) = app.user_with_token(Role::Amil, None).await;
    let colleague = PageClient::new(&app);
    assert_eq!(colleague.sign_in(&other, TEST_PASSWORD).await.status, 303);
    app.teardown().await;
}

#[tokio::test]
async fn signing_out_ends_the_session_and_everywhere_ends_every_session_of_the_user() {
    let app = TestApp::spawn().await;
    let (laptop, email, _) = PageClient::signed_in(&app, Role::Admin).await;
    let phone = PageClient::new(&app);
    assert_eq!(phone.sign_in(&email, TEST_PASSWORD).await.status, 303);
    let tablet = PageClient::new(&app);
    assert_eq!(tablet.sign_in(&email, TEST_PASSWORD).await.status, 303);
    assert_eq!(laptop.get("/staff").await.status, 200);

    // The laptop's own sign-out: the phone and the tablet stay signed in.
    assert_eq!(laptop.get("/staff").await.status, 200);
    let out = laptop.post_form("/logout", &[]).await;
    assert_eq!((out.status, out.location()), (303, "/"));
    let after = laptop.get("/staff").await;
    assert_eq!(after.status, 303);
    assert!(
        after.location().starts_with("/login?next=%2Fstaff"),
        "{}",
        after.location()
    );
    assert_eq!(phone.get("/staff").await.status, 200);

    // The phone signs out everywhere: the tablet's session ends at once.
    assert_eq!(phone.get("/staff").await.status, 200);
    assert_eq!(phone.post_form("/logout/everywhere", &[]).await.status, 303);
    assert_eq!(tablet.get("/staff").await.status, 303);
    assert_eq!(phone.get("/staff").await.status, 303);
    app.teardown().await;
}

#[tokio::test]
async fn a_replayed_cookie_of_an_ended_session_and_a_forged_cookie_are_not_signed_in() {
    let app = TestApp::spawn().await;
    let (_, email, _) = PageClient::signed_in(&app, Role::Amil).await;
    // Sign in with a bare client to see the cookie itself.
    let bare = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = bare.get(app.url("/login")).send().await.unwrap();
    let anonymous = session_cookie(&form);
    let anonymous = anonymous.split(';').next().unwrap().to_owned();
    let html = form.text().await.unwrap();
    let csrf = html
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let signed_in = bare
        .post(app.url("/login"))
        .header("cookie", &anonymous)
        .form(&[
            ("_csrf", csrf),
            ("email", email.as_str()),
            ("password", TEST_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    let cookie = session_cookie(&signed_in);
    assert!(cookie.contains("Max-Age=43200"), "{cookie}");
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let staff = |cookie: String| {
        let bare = bare.clone();
        let url = app.url("/staff");
        async move {
            bare.get(url)
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(staff(cookie.clone()).await, 200);

    // Tampered with: one character changed, or made up.
    let mut tampered = cookie.clone().into_bytes();
    let last = tampered.len() - 3;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    assert_eq!(staff(String::from_utf8(tampered).unwrap()).await, 303);
    assert_eq!(staff("session=eyJjc3JmIjoiYSJ9".to_owned()).await, 303);

    // Signed out: the old cookie, replayed, no longer signs anyone in.
    let page = bare
        .get(app.url("/staff"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = page
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let out = bare
        .post(app.url("/logout"))
        .header("cookie", &cookie)
        .form(&[("_csrf", csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    assert_eq!(staff(cookie).await, 303);
    app.teardown().await;
}

#[tokio::test]
async fn sign_in_returns_to_a_local_path_only() {
    let app = TestApp::spawn().await;
    let (_, _, email) = app.user_with_token(Role::Auditor, None).await;
    for (next, expected) in [
        ("/staff/reports", "/staff/reports"),
        ("//evil.example/x", "/staff"),
        ("https://evil.example/", "/staff"),
    ] {
        let visitor = PageClient::new(&app);
        visitor
            .get(&format!("/login?next={}", urlencode(next)))
            .await;
        let answer = visitor
            .post_form(
                "/login",
                &[
                    ("email", &email),
                    ("password", TEST_PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(
            (answer.status, answer.location()),
            (303, expected),
            "{next}"
        );
    }
    app.teardown().await;
}

fn urlencode(text: &str) -> String {
    text.replace('%', "%25")
        .replace('/', "%2F")
        .replace(':', "%3A")
}

#[tokio::test]
async fn the_language_is_the_asked_one_then_the_remembered_one_then_accept_language() {
    let app = TestApp::spawn().await;
    let visitor = PageClient::new(&app);
    let lang_of = |page: &crate::support::pages::Page| {
        page.body.split("<html lang=\"").nth(1).unwrap()[..2].to_owned()
    };
    assert_eq!(
        lang_of(&visitor.get("/").await),
        "id",
        "Indonesian by default"
    );
    let english = visitor
        .client
        .get(app.url("/"))
        .header("accept-language", "en-GB,en;q=0.9,id;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        english.starts_with("<!DOCTYPE html><html lang=\"en\""),
        "{english}"
    );
    assert!(english.contains("Sign in"));
    // Asked for: shown and remembered over the browser's preference.
    let asked = visitor.get("/?lang=id").await;
    assert_eq!(lang_of(&asked), "id");
    let remembered = visitor
        .client
        .get(app.url("/login"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(remembered.contains("<html lang=\"id\""), "{remembered}");
    assert!(remembered.contains("Kata sandi"));
    app.teardown().await;
}

#[tokio::test]
async fn assets_are_digested_immutable_and_precompressed_by_what_the_client_accepts() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::new();
    let home = client
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let assets: Vec<String> = home
        .split('"')
        .filter(|part| part.starts_with("/assets/"))
        .map(str::to_owned)
        .collect();
    assert_eq!(assets.len(), 3, "css, icon, js: {assets:?}");
    for asset in &assets {
        let plain = client.get(app.url(asset)).send().await.unwrap();
        assert_eq!(plain.status(), 200, "{asset}");
        assert_eq!(
            plain.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert!(plain.headers().get("content-encoding").is_none());
        let identity = plain.bytes().await.unwrap();
        let brotli = client
            .get(app.url(asset))
            .header("accept-encoding", "gzip, br")
            .send()
            .await
            .unwrap();
        if is_css(asset) {
            assert_eq!(brotli.headers()["content-encoding"], "br", "{asset}");
            assert_eq!(brotli.headers()["vary"], "Accept-Encoding");
            assert!(brotli.bytes().await.unwrap().len() < identity.len() / 2);
        }
    }
    let unknown = client
        .get(app.url("/assets/app-0000000000.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    app.teardown().await;
}

/// What every page must be without JavaScript: a whole document in the visitor's language with
/// one `<h1>`, no inline script (the CSP would block it) and no inline style, the token in
/// every posting form, and a label for every field a person fills in.
pub(crate) fn assert_a_whole_page_without_javascript(path: &str, html: &str) {
    assert!(
        html.starts_with("<!DOCTYPE html><html lang=\""),
        "{path}: {html}"
    );
    assert_eq!(html.matches("<h1").count(), 1, "{path}: one h1\n{html}");
    for script in html.split("<script").skip(1) {
        let tag = &script[..script.find('>').unwrap()];
        assert!(
            tag.contains(" src=\"/assets/"),
            "{path}: an inline script: <script{tag}>"
        );
        assert!(
            script[tag.len() + 1..].starts_with("</script>"),
            "{path}: a script with a body"
        );
    }
    assert!(
        !html.contains(" style=\""),
        "{path}: an inline style attribute"
    );
    assert!(
        !html.contains(" onclick=") && !html.contains(" onsubmit="),
        "{path}: an inline handler"
    );
    for form in html.split("<form").skip(1) {
        let form = &form[..form.find("</form>").unwrap_or(form.len())];
        let head = &form[..form.find('>').unwrap()];
        if head.contains("method=\"post\"") {
            assert!(
                form.contains("name=\"_csrf\""),
                "{path}: a posting form without the token: <form{head}>"
            );
        }
    }
    for input in html
        .split("<input")
        .skip(1)
        .chain(html.split("<select").skip(1))
        .chain(html.split("<textarea").skip(1))
    {
        let tag = &input[..input.find('>').unwrap()];
        if tag.contains("type=\"hidden\"") || tag.contains("type=\"submit\"") {
            continue;
        }
        let id = tag.split(" id=\"").nth(1).map_or_else(
            || panic!("{path}: a field without an id (so without a label): <input{tag}>"),
            |rest| rest.split('"').next().unwrap(),
        );
        let labelled = html.contains(&format!("for=\"{id}\"")) || tag.contains("aria-label");
        assert!(labelled, "{path}: no <label for=\"{id}\">");
    }
}

#[tokio::test]
async fn every_page_renders_whole_without_javascript_in_both_languages() {
    let app = TestApp::spawn().await;
    let (admin, _, token) = PageClient::signed_in(&app, Role::Admin).await;
    let routes = every_route(&app, &token).await;
    let mut failures = Vec::new();
    for lang in ["id", "en"] {
        for route in &routes {
            let separator = if route.contains('?') { '&' } else { '?' };
            let path = format!("{route}{separator}lang={lang}");
            let page = admin.get(&path).await;
            if page.status != 200 {
                failures.push(format!("{path}: {}", page.status));
                continue;
            }
            assert!(
                page.body.contains(&format!("<html lang=\"{lang}\"")),
                "{path}"
            );
            assert_a_whole_page_without_javascript(&path, &page.body);
        }
    }
    // And what a visitor who is not signed in sees.
    let visitor = PageClient::new(&app);
    for path in [
        "/",
        "/login",
        "/zakat",
        "/verify",
        "/campaigns",
        "/login?lang=en",
    ] {
        let page = visitor.get(path).await;
        if page.status == 200 {
            assert_a_whole_page_without_javascript(path, &page.body);
        } else {
            failures.push(format!("{path} (signed out): {}", page.status));
        }
    }
    assert!(
        failures.is_empty(),
        "pages that did not render: {failures:#?}"
    );
    app.teardown().await;
}

/// Whether an asset's name ends in `.css` (in any case).
fn is_css(name: &str) -> bool {
    std::path::Path::new(name)
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("css"))
}

/// Every route of the pages, with something on each: a campaign, a muzakki with a donation,
/// a mustahik.
async fn every_route(app: &TestApp, token: &str) -> Vec<String> {
    // Something on every page: a campaign, a muzakki with a donation, a mustahik paid.
    let campaign = app
        .post(
            "/api/v1/campaigns",
            token,
            None,
            &serde_json::json!({"name": "Banjir Demak", "purpose": "disaster relief", "allowed_asnaf": ["fakir", "miskin"]}),
        )
        .await;
    assert_eq!(campaign.status(), 201);
    let campaign: serde_json::Value = campaign.json().await.unwrap();
    let donation = app
        .donate(
            token,
            &serde_json::json!({"type": "zakat_maal", "amount": "2500000", "currency": "IDR", "method": "cash",
                "received_on": time::OffsetDateTime::now_utc().date().to_string(),
                "donor": {"name": "Siti Aminah"}}),
        )
        .await;
    let recipient = app
        .post(
            "/api/v1/recipients",
            token,
            Some(&uuid::Uuid::new_v4().to_string()),
            &serde_json::json!({"name": "Pak Darto", "asnaf": "miskin"}),
        )
        .await;
    let recipient: serde_json::Value = recipient.json().await.unwrap();
    let donor_id = donation["donor_id"].as_str().unwrap_or_default().to_owned();
    let code = donation["verification_url"]
        .as_str()
        .and_then(|url| url.rsplit('/').next())
        .unwrap_or_default()
        .to_owned();
    let today = time::OffsetDateTime::now_utc().date();
    let period = format!("from={}-01-01&to={today}", today.year());
    vec![
        "/".to_owned(),
        "/zakat".to_owned(),
        "/zakat/maal".to_owned(),
        "/zakat/maal?cash=150000000&gold_price_per_gram=1500000".to_owned(),
        "/zakat/fidyah".to_owned(),
        "/verify".to_owned(),
        format!("/verify/{code}"),
        "/campaigns".to_owned(),
        format!("/campaigns/{}", campaign["id"].as_str().unwrap_or_default()),
        "/staff".to_owned(),
        "/staff/donations".to_owned(),
        "/staff/donations/new".to_owned(),
        format!("/staff/donations/{}", donation["id"].as_str().unwrap()),
        "/staff/distributions".to_owned(),
        "/staff/distributions/new".to_owned(),
        "/staff/muzakki".to_owned(),
        "/staff/muzakki/new".to_owned(),
        format!("/staff/muzakki/{donor_id}"),
        "/staff/mustahik".to_owned(),
        "/staff/mustahik/new".to_owned(),
        format!(
            "/staff/mustahik/{}",
            recipient["id"].as_str().unwrap_or_default()
        ),
        "/staff/campaigns".to_owned(),
        "/staff/campaigns/new".to_owned(),
        "/staff/reports".to_owned(),
        format!("/staff/reports/changes-in-funds?{period}"),
        format!("/staff/reports/financial-position?at={today}"),
        format!("/staff/reports/collections?{period}"),
        format!("/staff/reports/distributions?{period}"),
        "/staff/audit".to_owned(),
        "/staff/audit/verify".to_owned(),
        "/staff/settings".to_owned(),
        "/staff/users".to_owned(),
    ]
}
