//! `user` and `token` commands on the real binary, and what they do to API access.

use storage::test_support::TestDatabase;

use crate::support::BinaryCommand;
use crate::support::binary::temp_dir;

#[tokio::test]
#[expect(
    clippy::too_many_lines,
    reason = "one story: create, use, revoke, disable, audit"
)]
async fn users_and_tokens_are_managed_from_the_command_line() {
    let database = TestDatabase::create().await;
    let dir = temp_dir();
    let data_dir = database.dir().join("data");
    let command = |args: &[&str]| {
        BinaryCommand::new(dir.path())
            .args(args.iter().copied())
            .env("DATA_DIR", &data_dir)
            .env("DATABASE_URL", &database.url)
            .env("PORT", "0")
    };
    let password = dir.path().join("password");
    std::fs::write(&password, "correct horse battery staple\n").unwrap();
    let password = password.to_str().unwrap();
    let short = dir.path().join("short");
    std::fs::write(&short, "short\n").unwrap();

    let created = command(&[
        "user",
        "create",
        "--email",
        "Amil@Example.org",
        "--role",
        "amil",
        "--password-file",
        password,
    ])
    .output();
    assert_eq!(created.code(), 0, "{}", created.all_output());
    assert!(
        created
            .stdout
            .contains("created user 1 amil@example.org (amil)"),
        "{}",
        created.stdout
    );
    assert!(
        !created.all_output().contains("correct horse"),
        "the password is never printed"
    );

    let again = command(&[
        "user",
        "create",
        "--email",
        "amil@example.org",
        "--role",
        "admin",
        "--password-file",
        password,
    ])
    .output();
    assert_eq!(again.code(), 64, "{}", again.all_output());
    assert!(again.stderr.contains("exists already"), "{}", again.stderr);

    let weak = command(&[
        "user",
        "create",
        "--email",
        "b@example.org",
        "--role",
        "amil",
        "--password-file",
        short.to_str().unwrap(),
    ])
    .output();
    assert_eq!(weak.code(), 64);
    assert!(weak.stderr.contains("too short"), "{}", weak.stderr);

    let no_terminal = command(&[
        "user",
        "create",
        "--email",
        "c@example.org",
        "--role",
        "amil",
    ])
    .output();
    assert_eq!(no_terminal.code(), 64);
    assert!(
        no_terminal.stderr.contains("--password-file"),
        "{}",
        no_terminal.stderr
    );

    let bad_role = command(&[
        "user",
        "create",
        "--email",
        "d@example.org",
        "--role",
        "root",
        "--password-file",
        password,
    ])
    .output();
    assert_eq!(bad_role.code(), 64);
    assert!(
        bad_role.stderr.contains("`admin`, `amil`, `auditor`"),
        "{}",
        bad_role.stderr
    );

    let nobody = command(&["token", "create", "--email", "nobody@example.org"]).output();
    assert_eq!(nobody.code(), 64);
    assert!(
        nobody.stderr.contains("no active user"),
        "{}",
        nobody.stderr
    );

    let token = command(&["token", "create", "--email", "amil@example.org"]).output();
    assert_eq!(token.code(), 0, "{}", token.all_output());
    let first = token.stdout.trim().to_owned();
    assert!(
        first.starts_with("dpt_") && !first.contains('\n'),
        "only the token on stdout: {first}"
    );

    let mut server = command(&["start"]).spawn_server();
    server.wait_ready().await;
    let funds = server.url("/api/v1/funds");
    let donations = server.url("/api/v1/donations");
    let today = time::OffsetDateTime::now_utc()
        .to_offset(domain::ledger::RECEIPT_YEAR_OFFSET)
        .date()
        .to_string();
    let read = |token: String| {
        let funds = funds.clone();
        async move {
            reqwest::Client::new()
                .get(funds)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let write = |token: String| {
        let donations = donations.clone();
        let body = serde_json::json!({ "type": "infak", "amount": "1000", "currency": "IDR", "method": "cash",
                                       "received_on": today, "anonymous": true });
        async move {
            let key = uuid::Uuid::new_v4().to_string();
            let request = reqwest::Client::new()
                .post(donations)
                .bearer_auth(token)
                .header("Idempotency-Key", key);
            request.json(&body).send().await.unwrap().status().as_u16()
        }
    };
    assert_eq!(read(first.clone()).await, 200);
    assert_eq!(write(first.clone()).await, 201);

    let revoked = command(&["token", "revoke", "--id", "1"]).output();
    assert_eq!(revoked.code(), 0, "{}", revoked.all_output());
    assert_eq!(
        write(first.clone()).await,
        401,
        "a revoked token never writes again"
    );
    tokio::time::sleep(web::AUTHENTICATION_TTL).await;
    assert_eq!(
        read(first.clone()).await,
        401,
        "and stops reading within the authentication TTL"
    );

    let second = command(&["token", "create", "--email", "amil@example.org"])
        .output()
        .stdout
        .trim()
        .to_owned();
    assert_eq!(read(second.clone()).await, 200);
    let disabled = command(&["user", "disable", "--email", "amil@example.org"]).output();
    assert_eq!(disabled.code(), 0, "{}", disabled.all_output());
    assert_eq!(
        write(second.clone()).await,
        401,
        "a disabled user never writes again"
    );
    tokio::time::sleep(web::AUTHENTICATION_TTL).await;
    assert_eq!(
        read(second).await,
        401,
        "and stops reading within the authentication TTL"
    );

    let listed = command(&["user", "list", "--json"]).output();
    let users: serde_json::Value = serde_json::from_str(&listed.stdout).unwrap();
    assert_eq!(users[0]["email"], "amil@example.org");
    assert_eq!(users[0]["disabled"], true);

    let verify = command(&["audit", "verify"]).output();
    assert_eq!(verify.code(), 0, "{}", verify.all_output());
    assert!(
        verify.stdout.contains("6 entries"),
        "user, token, donation, revoke, token, disable: {}",
        verify.stdout
    );
    server.signal("TERM");
    server.wait_exit(std::time::Duration::from_secs(10));
    database.drop_database().await;
}
