//! The audit chain: every change is chained, and any edit, deletion, reordering or truncation
//! made directly in the database is reported with the first bad sequence number.

use domain::Role;
use serde_json::json;

use domain::audit::CheckpointKey;

use crate::support::{BinaryCommand, RawConnection, TestApp};

/// An app with a few donations, a refund and a distribution on its chain.
async fn app_with_history() -> (TestApp, i64) {
    let app = TestApp::spawn().await;
    let amil = app.token(Role::Amil).await;
    let today = time::OffsetDateTime::now_utc()
        .to_offset(domain::ledger::RECEIPT_YEAR_OFFSET)
        .date()
        .to_string();
    for amount in ["100000", "250000", "4000000", "50000"] {
        app.donate(
            &amil,
            &json!({ "type": "zakat_maal", "amount": amount, "currency": "IDR", "method": "cash",
                                    "received_on": today, "anonymous": true }),
        )
        .await;
    }
    let mut raw = RawConnection::open(app.database_url()).await;
    let entries = raw.count("SELECT COUNT(*) FROM audit_entries").await;
    assert!(
        entries >= 6,
        "user, token and donations are chained: {entries}"
    );
    (app, entries)
}

/// Lets the test change what the application never may.
async fn tamper(app: &TestApp, sql: &str) {
    let mut raw = RawConnection::open(app.database_url()).await;
    let unlock = if raw.is_sqlite() {
        "DROP TRIGGER audit_entries_are_never_updated; DROP TRIGGER audit_entries_are_never_deleted;"
    } else {
        "ALTER TABLE audit_entries DISABLE TRIGGER USER;"
    };
    raw.execute(unlock).await.unwrap();
    raw.execute(sql).await.unwrap();
}

async fn first_bad_seq(app: &TestApp) -> Option<u64> {
    let report = app
        .state
        .database()
        .audit_verify(app.state.checkpoint_key())
        .await
        .unwrap();
    report.problem.map(|problem| problem.seq)
}

async fn finish(app: TestApp) {
    // The invariants of teardown do not hold for a tampered chain; stop without them.
    app.stop_without_checks().await;
}

#[tokio::test]
async fn an_untouched_chain_verifies() {
    let (app, entries) = app_with_history().await;
    let report = app
        .state
        .database()
        .audit_verify(app.state.checkpoint_key())
        .await
        .unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.entries, u64::try_from(entries).unwrap());
    assert!(report.checkpoints_verified >= 3);
    app.teardown().await;
}

#[tokio::test]
async fn an_edited_payload_is_named() {
    let (app, _) = app_with_history().await;
    tamper(
        &app,
        "UPDATE audit_entries SET payload = replace(payload, '4000000', '400000') WHERE seq = 5",
    )
    .await;
    let changed = RawConnection::open(app.database_url())
        .await
        .count("SELECT COUNT(*) FROM audit_entries WHERE payload LIKE '%\"400000.00\"%'")
        .await;
    assert_eq!(changed, 1, "the tampering took effect");
    assert_eq!(first_bad_seq(&app).await, Some(5));
    finish(app).await;
}

#[tokio::test]
async fn an_edited_actor_is_named() {
    let (app, _) = app_with_history().await;
    tamper(
        &app,
        "UPDATE audit_entries SET actor = 'user:999' WHERE seq = 4",
    )
    .await;
    assert_eq!(first_bad_seq(&app).await, Some(4));
    finish(app).await;
}

#[tokio::test]
async fn a_deleted_entry_is_named() {
    let (app, _) = app_with_history().await;
    tamper(&app, "DELETE FROM audit_entries WHERE seq = 3").await;
    assert_eq!(first_bad_seq(&app).await, Some(3));
    finish(app).await;
}

#[tokio::test]
async fn reordered_entries_are_named() {
    let (app, _) = app_with_history().await;
    tamper(
        &app,
        "UPDATE audit_entries SET seq = -1 WHERE seq = 3; UPDATE audit_entries SET seq = 3 WHERE seq = 4; \
         UPDATE audit_entries SET seq = 4 WHERE seq = -1;",
    )
    .await;
    assert_eq!(first_bad_seq(&app).await, Some(3));
    finish(app).await;
}

#[tokio::test]
async fn removing_the_newest_entries_is_detected_against_the_last_checkpoint() {
    let (app, entries) = app_with_history().await;
    tamper(
        &app,
        &format!("DELETE FROM audit_entries WHERE seq > {}", entries - 2),
    )
    .await;
    assert_eq!(
        first_bad_seq(&app).await,
        Some(u64::try_from(entries - 1).unwrap())
    );
    finish(app).await;
}

#[tokio::test]
async fn the_audit_verify_command_names_the_first_bad_entry_and_exports_json_lines() {
    let (app, entries) = app_with_history().await;
    let dir = crate::support::binary::temp_dir();
    let data_dir = app.data_dir();
    let run = |args: &[&str]| {
        BinaryCommand::new(dir.path())
            .args(args.iter().copied())
            .env("DATABASE_URL", app.database_url())
            .env("DATA_DIR", &data_dir)
            .output()
    };
    let ok = run(&["audit", "verify"]);
    assert_eq!(ok.code(), 0, "{}", ok.all_output());
    assert!(
        ok.stdout
            .contains(&format!("audit chain ok: {entries} entries")),
        "{}",
        ok.stdout
    );

    let export = run(&["audit", "export"]);
    assert_eq!(export.code(), 0, "{}", export.all_output());
    let lines: Vec<serde_json::Value> = export
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let chained = lines.iter().filter(|line| line["kind"] == "entry").count();
    assert_eq!(i64::try_from(chained).unwrap(), entries);
    assert!(lines.iter().any(|line| line["kind"] == "checkpoint"));

    tamper(
        &app,
        "UPDATE audit_entries SET subject = 'donation:someone-else' WHERE seq = 6",
    )
    .await;
    let broken = run(&["audit", "verify"]);
    assert_eq!(broken.code(), 1, "{}", broken.all_output());
    assert!(
        broken.stdout.contains("BROKEN at entry 6"),
        "{}",
        broken.stdout
    );
    finish(app).await;
}

#[tokio::test]
async fn financial_rows_cannot_be_changed_or_deleted() {
    let (app, _) = app_with_history().await;
    let mut raw = RawConnection::open(app.database_url()).await;
    for statement in [
        "UPDATE donations SET amount_minor = 1",
        "DELETE FROM donations",
        "UPDATE journal_lines SET amount_minor = 1",
        "DELETE FROM journal_lines",
        "DELETE FROM journal_entries",
        "UPDATE audit_entries SET actor = 'x'",
        "DELETE FROM audit_entries",
        "DELETE FROM audit_checkpoints",
        "UPDATE idempotency_keys SET status = 500",
    ] {
        let err = raw.execute(statement).await.expect_err(statement);
        assert!(
            err.to_string().contains("append-only"),
            "{statement}: {err}"
        );
    }
    app.teardown().await;
}

// --- Signed checkpoints, saved heads and the reference verifier ----------------------------

/// A secret of the length config demands, other than the app's: an attacker's, or the next
/// one after a rotation.
const OTHER_SECRET: &str =
    "another SECRET_KEY_BASE, at least sixty-four bytes long, for the attacker or a rotation";

const REFERENCE_VERIFIER: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../tools/audit_verify.py");

/// Runs the binary against the app's database with its (generated) secret, plus `env`.
struct Auditor<'a> {
    app: &'a TestApp,
    dir: tempfile::TempDir,
}

/// What a verifier said: its exit code and the sequence number it named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Verdict {
    code: i32,
    seq: Option<u64>,
}

fn named_seq(stdout: &str) -> Option<u64> {
    let (_, rest) = stdout.split_once("BROKEN at entry ")?;
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

impl<'a> Auditor<'a> {
    fn new(app: &'a TestApp) -> Self {
        Auditor {
            app,
            dir: crate::support::binary::temp_dir(),
        }
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> crate::support::binary::Outcome {
        BinaryCommand::new(self.dir.path())
            .args(args.iter().copied())
            .env("DATABASE_URL", self.app.database_url())
            .env("DATA_DIR", self.app.data_dir())
            .envs(env.iter().copied())
            .output()
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_owned()
    }

    /// `audit verify` (with `args`), its verdict.
    fn binary(&self, args: &[&str], env: &[(&str, &str)]) -> Verdict {
        let mut all = vec!["audit", "verify"];
        all.extend_from_slice(args);
        let outcome = self.run(&all, env);
        assert!([0, 1].contains(&outcome.code()), "{}", outcome.all_output());
        Verdict {
            code: outcome.code(),
            seq: named_seq(&outcome.stdout),
        }
    }

    /// `audit head` saved to a file; returns the file's path and the head.
    fn save_head(&self) -> (String, serde_json::Value) {
        let outcome = self.run(&["audit", "head"], &[]);
        assert_eq!(outcome.code(), 0, "{}", outcome.all_output());
        assert_eq!(
            outcome.stdout.lines().count(),
            1,
            "one line: {}",
            outcome.stdout
        );
        let path = self.path("heads.jsonl");
        std::fs::write(&path, &outcome.stdout).unwrap();
        (path, serde_json::from_str(&outcome.stdout).unwrap())
    }

    /// The reference verifier on a fresh export, with `args`.
    fn python(&self, args: &[&str]) -> Verdict {
        let export = self.path("export.jsonl");
        let outcome = self.run(&["audit", "export", "--output", &export], &[]);
        assert_eq!(outcome.code(), 0, "{}", outcome.all_output());
        let output = std::process::Command::new("python3")
            .arg(REFERENCE_VERIFIER)
            .arg(&export)
            .args(args)
            .output()
            .expect("python3 runs");
        let outcome = crate::support::binary::Outcome::from(output);
        assert!([0, 1].contains(&outcome.code()), "{}", outcome.all_output());
        Verdict {
            code: outcome.code(),
            seq: named_seq(&outcome.stdout),
        }
    }

    /// Both verifiers, the binary and the reference one (with the public key alone), give
    /// `expected`.
    fn assert_both(&self, expected: Verdict) {
        assert_eq!(self.binary(&[], &[]), expected, "audit verify");
        assert_eq!(
            self.python(&["--public-key", &self.public_key()]),
            expected,
            "the reference verifier"
        );
    }

    /// The app's public key, as `audit head` prints it.
    fn public_key(&self) -> String {
        self.app.state.checkpoint_key().public_key().to_string()
    }
}

fn ok() -> Verdict {
    Verdict { code: 0, seq: None }
}

fn broken_at(seq: u64) -> Verdict {
    Verdict {
        code: 1,
        seq: Some(seq),
    }
}

/// A byte string as a literal of the app's backend.
fn bytes_literal(raw: &RawConnection, bytes: &[u8]) -> String {
    let hex = domain::audit::to_hex(bytes);
    if raw.is_sqlite() {
        format!("X'{hex}'")
    } else {
        format!("'\\x{hex}'::bytea")
    }
}

/// Opens both audit tables to the test, as an attacker with database write access would.
async fn unlocked(app: &TestApp) -> RawConnection {
    let mut raw = RawConnection::open(app.database_url()).await;
    let unlock = if raw.is_sqlite() {
        "DROP TRIGGER IF EXISTS audit_entries_are_never_updated; DROP TRIGGER IF EXISTS audit_entries_are_never_deleted; \
         DROP TRIGGER IF EXISTS audit_checkpoints_are_never_updated; DROP TRIGGER IF EXISTS audit_checkpoints_are_never_deleted;"
    } else {
        "ALTER TABLE audit_entries DISABLE TRIGGER USER; ALTER TABLE audit_checkpoints DISABLE TRIGGER USER;"
    };
    raw.execute(unlock).await.unwrap();
    raw
}

async fn checkpoint_seqs(app: &TestApp) -> Vec<u64> {
    let mut raw = RawConnection::open(app.database_url()).await;
    let count = raw.count("SELECT COUNT(*) FROM audit_checkpoints").await;
    let mut seqs = Vec::new();
    for offset in 0..count {
        let seq = raw
            .count(&format!(
                "SELECT seq FROM audit_checkpoints ORDER BY seq LIMIT 1 OFFSET {offset}"
            ))
            .await;
        seqs.push(u64::try_from(seq).unwrap());
    }
    seqs
}

/// Edits entry `seq`'s payload and recomputes the chain from there with the algorithm of
/// docs/AUDIT.md, then re-signs every checkpoint at or after it with `signer` (Ed25519): what an
/// attacker holding `signer`'s secret and write access can do. Returns the re-signed seqs.
async fn rewrite_from(
    app: &TestApp,
    auditor: &Auditor<'_>,
    seq: u64,
    signer: &CheckpointKey,
) -> Vec<u64> {
    let export = auditor.run(&["audit", "export"], &[]);
    assert_eq!(export.code(), 0, "{}", export.all_output());
    let entries: Vec<serde_json::Value> = export
        .stdout
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .filter(|line| line["kind"] == "entry")
        .collect();
    let mut raw = unlocked(app).await;
    let mut hashes = std::collections::BTreeMap::new();
    let mut prev_hash = domain::audit::GENESIS_PREV_HASH;
    let mut edited = false;
    for entry in &entries {
        let entry_seq = entry["seq"].as_u64().unwrap();
        let mut payload = entry["payload"].as_str().unwrap().to_owned();
        if entry_seq == seq {
            let changed = payload.replace("4000000.00", "400000.00");
            assert_ne!(
                changed, payload,
                "entry {seq} holds the amount to edit: {payload}"
            );
            payload = changed;
            edited = true;
        }
        let fields = domain::audit::EntryFields {
            seq: entry_seq,
            recorded_at: entry["recorded_at"].as_str().unwrap(),
            actor: entry["actor"].as_str().unwrap(),
            action: entry["action"].as_str().unwrap(),
            subject: entry["subject"].as_str().unwrap(),
            payload_digest: domain::audit::payload_digest(payload.as_bytes()),
        };
        let hash = domain::audit::entry_hash(&prev_hash, &fields);
        if entry_seq >= seq {
            raw.execute(&format!(
                "UPDATE audit_entries SET payload = '{}', payload_digest = {}, prev_hash = {}, hash = {} WHERE seq = {entry_seq}",
                payload.replace('\'', "''"),
                bytes_literal(&raw, &fields.payload_digest),
                bytes_literal(&raw, &prev_hash),
                bytes_literal(&raw, &hash),
            ))
            .await
            .unwrap();
        }
        hashes.insert(entry_seq, hash);
        prev_hash = hash;
    }
    assert!(edited, "the chain has an entry {seq}");
    let mut resigned = Vec::new();
    for checkpoint in checkpoint_seqs(app).await.into_iter().filter(|&s| s >= seq) {
        let hash = hashes[&checkpoint];
        raw.execute(&format!(
            "UPDATE audit_checkpoints SET hash = {}, algorithm = 'ed25519', key_id = {}, signature = {} WHERE seq = {checkpoint}",
            bytes_literal(&raw, &hash),
            bytes_literal(&raw, &signer.public_key().to_bytes()),
            bytes_literal(&raw, &signer.sign(checkpoint, &hash)),
        ))
        .await
        .unwrap();
        resigned.push(checkpoint);
    }
    assert!(!resigned.is_empty(), "the rewrite reaches a checkpoint");
    resigned
}

#[tokio::test]
async fn an_untouched_chain_verifies_with_the_public_key_alone_and_against_its_saved_head() {
    let (app, entries) = app_with_history().await;
    let auditor = Auditor::new(&app);
    let (heads, head) = auditor.save_head();
    assert_eq!(head["seq"], entries);
    assert_eq!(head["algorithm"], "ed25519");
    assert_eq!(head["public_key"], auditor.public_key());
    let public_key = auditor.public_key();
    assert_eq!(auditor.binary(&[], &[]), ok());
    assert_eq!(auditor.binary(&["--against", &heads], &[]), ok());
    assert_eq!(auditor.python(&["--public-key", &public_key]), ok());
    assert_eq!(
        auditor.python(&["--public-key", &public_key, "--against", &heads]),
        ok()
    );
    // The verifier needs a key: with none it refuses to guess.
    let export = auditor.path("export.jsonl");
    let bare = std::process::Command::new("python3")
        .args([REFERENCE_VERIFIER, &export])
        .output()
        .unwrap();
    assert_eq!(bare.status.code(), Some(64));
    app.teardown().await;
}

#[tokio::test]
async fn relabelled_checkpoint_keys_fail_in_the_binary_and_the_reference_verifier() {
    let (app, _) = app_with_history().await;
    let auditor = Auditor::new(&app);
    let first = checkpoint_seqs(&app).await[0];
    let unknown = CheckpointKey::derive(OTHER_SECRET.as_bytes()).public_key();
    let mut raw = unlocked(&app).await;
    let relabel = format!(
        "UPDATE audit_checkpoints SET key_id = {}",
        bytes_literal(&raw, &unknown.to_bytes())
    );
    raw.execute(&relabel).await.unwrap();
    auditor.assert_both(broken_at(first));
    // A broken chain is never witnessed.
    let head = auditor.run(&["audit", "head"], &[]);
    assert_eq!(head.code(), 1, "{}", head.all_output());
    assert!(head.stdout.is_empty(), "{}", head.stdout);
    assert!(head.stderr.contains("BROKEN"), "{}", head.stderr);
    // The old attack exactly: an 8-byte key id that is nobody's.
    let relabel = format!(
        "UPDATE audit_checkpoints SET key_id = {}",
        bytes_literal(&raw, &[1, 2, 3, 4, 5, 6, 7, 8])
    );
    raw.execute(&relabel).await.unwrap();
    auditor.assert_both(broken_at(first));
    finish(app).await;
}

#[tokio::test]
async fn a_chain_rewritten_and_re_signed_with_another_key_fails() {
    let (app, _) = app_with_history().await;
    let auditor = Auditor::new(&app);
    let attacker = CheckpointKey::derive(OTHER_SECRET.as_bytes());
    let resigned = rewrite_from(&app, &auditor, 5, &attacker).await;
    auditor.assert_both(broken_at(resigned[0]));
    // Deleting the checkpoints instead leaves the newest entry unsigned.
    let entries = RawConnection::open(app.database_url())
        .await
        .count("SELECT MAX(seq) FROM audit_entries")
        .await;
    let mut raw = unlocked(&app).await;
    raw.execute("DELETE FROM audit_checkpoints").await.unwrap();
    let newest = u64::try_from(entries).unwrap();
    auditor.assert_both(broken_at(newest));
    finish(app).await;
}

#[tokio::test]
async fn a_saved_head_catches_a_rewrite_re_signed_with_the_real_secret() {
    let (app, entries) = app_with_history().await;
    let auditor = Auditor::new(&app);
    let (heads, _) = auditor.save_head();
    let public_key = auditor.public_key();
    // The attacker holds the secret: the rewritten chain is signed by the real key.
    rewrite_from(&app, &auditor, 5, app.state.checkpoint_key()).await;
    let head_seq = u64::try_from(entries).unwrap();
    assert_eq!(
        auditor.binary(&[], &[]),
        ok(),
        "only a witness can catch this"
    );
    assert_eq!(auditor.python(&["--public-key", &public_key]), ok());
    assert_eq!(
        auditor.binary(&["--against", &heads], &[]),
        broken_at(head_seq)
    );
    assert_eq!(
        auditor.python(&["--public-key", &public_key, "--against", &heads]),
        broken_at(head_seq)
    );
    let text = auditor.run(&["audit", "verify", "--against", &heads], &[]);
    assert!(
        text.stdout.contains("saved head") && text.stdout.contains("rewritten"),
        "{}",
        text.stdout
    );
    finish(app).await;
}

#[tokio::test]
async fn a_saved_head_beyond_the_end_or_under_an_unknown_key_fails() {
    let (app, entries) = app_with_history().await;
    let auditor = Auditor::new(&app);
    let public_key = auditor.public_key();
    let (heads, head) = auditor.save_head();
    // A forged head: signed by another key.
    let forged = storage::ledger::HeadLine::sign(
        &CheckpointKey::derive(OTHER_SECRET.as_bytes()),
        2,
        &[7; 32],
    );
    let forged_file = auditor.path("forged.jsonl");
    std::fs::write(&forged_file, serde_json::to_string(&forged).unwrap()).unwrap();
    assert_eq!(
        auditor.binary(&["--against", &forged_file], &[]),
        broken_at(2)
    );
    assert_eq!(
        auditor.python(&["--public-key", &public_key, "--against", &forged_file]),
        broken_at(2)
    );
    // A file that is not saved heads is a usage error, named, in both.
    let garbage = auditor.path("garbage.jsonl");
    std::fs::write(&garbage, "{\"seq\": \"one\"}\n").unwrap();
    let refused = auditor.run(&["audit", "verify", "--against", &garbage], &[]);
    assert_eq!(refused.code(), 64, "{}", refused.all_output());
    assert!(refused.stderr.contains("line 1 of"), "{}", refused.stderr);
    // A file larger than any set of saved heads could be is refused before it is read whole.
    let huge = auditor.path("huge.jsonl");
    std::fs::write(&huge, "\n".repeat(12 * 1024 * 1024)).unwrap();
    let refused = auditor.run(&["audit", "verify", "--against", &huge], &[]);
    assert_eq!(refused.code(), 64, "{}", refused.all_output());
    assert!(refused.stderr.contains("larger than"), "{}", refused.stderr);
    let export = auditor.path("export.jsonl");
    let python = std::process::Command::new("python3")
        .args([REFERENCE_VERIFIER, &export, "--public-key", &public_key])
        .args(["--against", &garbage])
        .output()
        .unwrap();
    assert_eq!(python.status.code(), Some(64));
    // The newest entries removed, with their checkpoints: only the saved head knows. (Each
    // request here was its own batch, so the entry left newest has its checkpoint.)
    let cut = entries - 2;
    let mut raw = unlocked(&app).await;
    raw.execute(&format!(
        "DELETE FROM audit_entries WHERE seq > {cut}; DELETE FROM audit_checkpoints WHERE seq > {cut};"
    ))
    .await
    .unwrap();
    assert_eq!(
        auditor.binary(&[], &[]),
        ok(),
        "only a witness can catch this"
    );
    let head_seq = head["seq"].as_u64().unwrap();
    assert_eq!(
        auditor.binary(&["--against", &heads], &[]),
        broken_at(head_seq)
    );
    assert_eq!(
        auditor.python(&["--public-key", &public_key, "--against", &heads]),
        broken_at(head_seq)
    );
    finish(app).await;
}

#[tokio::test]
async fn a_rotated_secret_accepts_earlier_checkpoints_only_when_their_key_is_listed() {
    let (app, _) = app_with_history().await;
    let auditor = Auditor::new(&app);
    let first = checkpoint_seqs(&app).await[0];
    let old_key = auditor.public_key();
    let new_key = CheckpointKey::derive(OTHER_SECRET.as_bytes())
        .public_key()
        .to_string();
    let rotated = [("SECRET_KEY_BASE", OTHER_SECRET)];
    assert_eq!(auditor.binary(&[], &rotated), broken_at(first));
    let listed = [
        ("SECRET_KEY_BASE", OTHER_SECRET),
        ("AUDIT_PREVIOUS_PUBLIC_KEYS", old_key.as_str()),
    ];
    assert_eq!(auditor.binary(&[], &listed), ok());
    let text = auditor.run(&["audit", "verify"], &listed);
    assert!(
        text.stdout.contains("with an earlier key"),
        "{}",
        text.stdout
    );
    assert_eq!(
        auditor.python(&["--public-key", &new_key, "--previous-public-keys", &old_key]),
        ok()
    );
    assert_eq!(
        auditor.python(&["--public-key", &new_key]),
        broken_at(first)
    );
    // A malformed list is a configuration error naming the variable.
    let bad = auditor.run(
        &["audit", "verify"],
        &[("AUDIT_PREVIOUS_PUBLIC_KEYS", "not-a-key")],
    );
    assert_eq!(bad.code(), 78, "{}", bad.all_output());
    assert!(
        bad.stderr.contains("AUDIT_PREVIOUS_PUBLIC_KEYS"),
        "{}",
        bad.stderr
    );
    app.teardown().await;
}

#[tokio::test]
async fn legacy_hmac_checkpoints_verify_with_the_secret_and_never_with_the_public_key_alone() {
    let (app, _) = app_with_history().await;
    let auditor = Auditor::new(&app);
    let seqs = checkpoint_seqs(&app).await;
    // The checkpoints a release before migration 0005 wrote: HMAC, inserted without the
    // `algorithm` column (as that release, or one rolled back to, still does), so the
    // migration's default labels them.
    let key = app.state.checkpoint_key();
    let hashes = {
        let export = auditor.run(&["audit", "export"], &[]);
        export
            .stdout
            .lines()
            .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
            .filter(|line| line["kind"] == "checkpoint")
            .map(|line| {
                let hash = domain::audit::from_hex(line["hash"].as_str().unwrap()).unwrap();
                (
                    line["seq"].as_u64().unwrap(),
                    <[u8; 32]>::try_from(hash).unwrap(),
                )
            })
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let mut raw = unlocked(&app).await;
    raw.execute("DELETE FROM audit_checkpoints").await.unwrap();
    for seq in &seqs {
        let (signature, id) = key.legacy_hmac_sign(*seq, &hashes[seq]);
        raw.execute(&format!(
            "INSERT INTO audit_checkpoints (seq, hash, key_id, signature, created_at) \
             VALUES ({seq}, {}, {}, {}, '2026-11-30T10:00:00Z')",
            bytes_literal(&raw, &hashes[seq]),
            bytes_literal(&raw, &id),
            bytes_literal(&raw, &signature)
        ))
        .await
        .unwrap();
    }
    let labelled = raw
        .count("SELECT COUNT(*) FROM audit_checkpoints WHERE algorithm = 'hmac-sha256'")
        .await;
    assert_eq!(labelled, i64::try_from(seqs.len()).unwrap());
    assert_eq!(auditor.binary(&[], &[]), ok());
    let text = auditor.run(&["audit", "verify"], &[]);
    assert!(text.stdout.contains("legacy HMAC"), "{}", text.stdout);
    let public_key = auditor.public_key();
    let secret_file = app.data_dir().join("secret_key_base");
    assert_eq!(
        auditor.python(&["--public-key", &public_key]),
        broken_at(seqs[0])
    );
    assert_eq!(
        auditor.python(&["--secret-file", secret_file.to_str().unwrap()]),
        ok()
    );
    // Under another secret they cannot be verified: a failure, not a pass.
    assert_eq!(
        auditor.binary(&[], &[("SECRET_KEY_BASE", OTHER_SECRET)]),
        broken_at(seqs[0])
    );
    // `audit head` still signs with Ed25519 (after verifying the HMAC checkpoints with the
    // secret), and that saved head vouches for them after a rotation: with it, and the old
    // public key listed, the rotated secret's verification passes.
    let (heads, head) = auditor.save_head();
    assert_eq!(head["algorithm"], "ed25519");
    let new_key = CheckpointKey::derive(OTHER_SECRET.as_bytes())
        .public_key()
        .to_string();
    let rotated = [
        ("SECRET_KEY_BASE", OTHER_SECRET),
        ("AUDIT_PREVIOUS_PUBLIC_KEYS", public_key.as_str()),
    ];
    assert_eq!(auditor.binary(&[], &rotated), broken_at(seqs[0]));
    assert_eq!(auditor.binary(&["--against", &heads], &rotated), ok());
    let text = auditor.run(&["audit", "verify", "--against", &heads], &rotated);
    assert!(
        text.stdout.contains("vouched for by a saved head"),
        "{}",
        text.stdout
    );
    let python_rotated = [
        "--public-key",
        &new_key,
        "--previous-public-keys",
        &public_key,
        "--against",
        &heads,
    ];
    assert_eq!(auditor.python(&python_rotated), ok());
    assert_eq!(auditor.python(&python_rotated[..4]), broken_at(seqs[0]));
    app.token(Role::Amil).await;
    let signed = RawConnection::open(app.database_url())
        .await
        .count("SELECT COUNT(*) FROM audit_checkpoints WHERE algorithm = 'ed25519'")
        .await;
    assert!(signed >= 1, "new checkpoints are Ed25519");
    assert_eq!(auditor.binary(&[], &[]), ok());
    assert_eq!(
        auditor.python(&["--secret-file", secret_file.to_str().unwrap()]),
        ok()
    );
    app.teardown().await;
}
