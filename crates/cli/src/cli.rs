//! The command line: what each command is, parsed by clap.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::commands;
use crate::exit::{self, Exit};
use crate::instance::{self, Attach};

/// Donation and zakat platform for Islamic charity institutions.
///
/// Serves the platform and operates it like an OTP release. Configuration comes from the
/// environment (`config show`); with none, dev mode on SQLite under ./data, port 4000.
#[derive(Debug, Parser)]
#[command(name = "donation_platform", version = crate::VERSION, disable_version_flag = true)]
struct Cli {
    /// Read variables from this env file first (`NAME=value` lines, as systemd's
    /// `EnvironmentFile`); the process environment wins over it.
    #[arg(long, global = true, value_name = "PATH")]
    env_file: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server in the foreground, logging to stderr, until SIGTERM or SIGINT.
    ///
    /// The mode for systemd, containers and Kubernetes. In dev it applies pending migrations
    /// first; in prod it refuses to start on a schema that is behind (run `migrate`). On
    /// SIGTERM it stops accepting, lets in-flight requests finish (bounded), closes idle
    /// connections and exits 0.
    Start,
    /// Start the server in the background; return once it is ready.
    ///
    /// Exits 0 once the instance is ready, or non-zero with the reason from its log. Its output
    /// goes to `log/donation_platform.log` in the runtime directory (`tmp/` in a release).
    Daemon,
    /// Run the server in the foreground with the admin console attached.
    ///
    /// Leaving the console (`quit`, Ctrl-D) stops the server.
    #[command(alias = "start_iex")]
    Console,
    /// Attach an interactive admin console to the running instance.
    ///
    /// Line editing and history; `help` lists the commands, `quit` or Ctrl-D leaves.
    Remote,
    /// Run one console command on the running instance and print its result.
    ///
    /// `rpc status`, `rpc "audit verify"`; exits 0, or 1 if the command failed. `rpc help`
    /// lists the commands.
    Rpc {
        /// The console command and its arguments.
        #[arg(required = true, num_args = 1.., value_name = "COMMAND")]
        command: Vec<String>,
    },
    /// Print the running instance's process id.
    Pid,
    /// Stop the running instance gracefully and wait until it is gone.
    ///
    /// It stops accepting, lets requests in flight finish (bounded) and exits.
    Stop,
    /// Replace the running instance with a fresh one, with zero downtime.
    ///
    /// Same release; the new process re-reads the configuration (env file included).
    Restart(ReplaceArgs),
    /// Replace the running instance with another release, with zero downtime.
    ///
    /// Runs `releases/VERSION/`, unpacked first from the `donation_platform-VERSION.tar.gz`
    /// copied there: its `.sha256` is required, and its `.minisig` when `RELEASE_PUBLIC_KEY` is
    /// set; links, devices and setuid bits are refused and nothing is installed then.
    Upgrade {
        /// The release to run, as in releases/<VERSION>/.
        version: String,
        #[command(flatten)]
        options: ReplaceArgs,
    },
    /// Replace the running instance with the previous release, with zero downtime.
    Rollback(ReplaceArgs),
    /// List the installed releases.
    ///
    /// `*` marks the current one, `-` the previous one (what `rollback` runs).
    Releases,
    /// Apply pending database migrations and exit.
    ///
    /// Safe to run from several instances at once: one migrates, the others wait and find
    /// nothing left to do.
    Migrate {
        /// Only report pending migrations; exit 1 if there are any.
        #[arg(long)]
        check: bool,
    },
    /// Validate or print the runtime configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Manage the users who sign in to the API and the staff pages.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API bearer tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Verify or export the audit chain.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Check the books.
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// Generate receipts in bulk.
    #[command(subcommand)]
    Receipts(ReceiptsCommand),
    /// Calculate zakat or fidyah as the public calculator does, with the data in force
    ///
    /// `zakat income --date 2025-03-01 --income 10000000`; `zakat livestock --date 2025-03-01
    /// --animal camel --count 130 --madhhab hanafi`; `zakat fidyah --days 3`. Without `--date`,
    /// today in WIB (UTC+7). `zakat <category> --help` lists the category's fields; they are
    /// those of `POST /api/v1/zakat/{category}` (see the OpenAPI document).
    // clap's own help cannot list fields that depend on the category: the command prints its
    // help itself, and the category's fields when one is named.
    #[command(disable_help_flag = true)]
    Zakat {
        /// Print help; after a category, the category's fields.
        #[arg(short = 'h', long = "help")]
        help: bool,
        /// `maal`, `gold`, `silver`, `trade`, `income`, `fitrah`, `agriculture`, `livestock`,
        /// `mining`, `rikaz`, `stocks` or `fidyah`.
        #[arg(required_unless_present = "help")]
        category: Option<String>,
        /// Print the result as JSON (the API's bytes) instead of a table.
        #[arg(long)]
        json: bool,
        /// `--field value` pairs.
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "--FIELD VALUE"
        )]
        fields: Vec<String>,
    },
    /// Exit 0 when the instance on this host is ready (`GET /readyz` answers 200).
    ///
    /// For container health checks (`HEALTHCHECK CMD ["donation_platform", "healthcheck"]`)
    /// and scripts: reads only `PORT`, asks loopback over plain HTTP, gives up after 5 s, and
    /// otherwise exits 1 with the reason on one line.
    Healthcheck,
    /// Print a fresh random secret suitable for `SECRET_KEY_BASE`.
    GenSecret,
    /// Print the systemd service unit for a release root installed at `--prefix`.
    ///
    /// `donation_platform systemd-unit --prefix /srv/donation_platform >
    /// /etc/systemd/system/donation_platform.service`; the unit runs as the user `donation`
    /// with the environment file `/etc/donation_platform/env` (docs/OPERATIONS.md).
    SystemdUnit {
        /// The release root: the directory holding `bin/`, `releases/`, `tmp/` and `var/`.
        #[arg(
            long,
            value_name = "DIR",
            default_value = ops::systemd::TEMPLATE_PREFIX,
            value_parser = ops::systemd::InstallPrefix::parse
        )]
        prefix: ops::systemd::InstallPrefix,
    },
    /// Print the release name and version.
    Version,
}

#[derive(Debug, clap::Args)]
struct ReplaceArgs {
    /// Seconds the new process may take to become ready before it is stopped and the running
    /// instance keeps serving.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    timeout: u64,
}

impl ReplaceArgs {
    fn options(&self) -> commands::replace::Options {
        commands::replace::Options {
            ready_timeout: std::time::Duration::from_secs(self.timeout),
        }
    }
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Report every configuration problem at once (exit 78), or confirm it is valid.
    Check,
    /// Print the effective configuration, secrets shown as ***.
    Show {
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user. The password is read from a prompt, or from `--password-file`.
    Create {
        /// The user's e-mail address (their login).
        #[arg(long)]
        email: String,
        /// `admin`, `amil` (records donations and distributions) or `auditor` (reads, verifies).
        #[arg(long)]
        role: domain::Role,
        /// Read the password from this file (first line) instead of prompting.
        #[arg(long, value_name = "PATH")]
        password_file: Option<PathBuf>,
    },
    /// List users.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Disable a user: they can no longer sign in and their tokens stop working.
    Disable {
        /// The user's e-mail address.
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create an API token for a user and print it once on stdout (only its hash is stored).
    ///
    /// The token works for `--expires-in` (default 90 days, at most 365), then answers 401
    /// naming when it expired.
    Create {
        /// The user's e-mail address.
        #[arg(long)]
        email: String,
        /// How long the token works: a whole number of days, hours or minutes (`90d`, `12h`,
        /// `30m`), at most `365d`. Default `90d`.
        #[arg(long, value_name = "LIFETIME")]
        expires_in: Option<String>,
    },
    /// Revoke a token by its id (printed when it was created).
    Revoke {
        /// The token's id.
        #[arg(long)]
        id: i64,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Recompute the audit chain and check its signed checkpoints; exit 1 naming the first bad
    /// entry if anything was changed, removed or reordered.
    Verify {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Also check that every head saved in this file (lines of `audit head`) is still in
        /// the chain with the same hash: catches a rewrite even by someone holding the secret.
        #[arg(long, value_name = "FILE")]
        against: Option<PathBuf>,
    },
    /// Verify the chain, then print its head signed with the audit key (seq, hash, signature,
    /// public key) as one JSON line, to keep outside the database (format: docs/AUDIT.md).
    Head,
    /// Write the chain as JSON Lines for independent verification (format: docs/AUDIT.md).
    Export {
        /// Write to this file instead of stdout.
        #[arg(long, value_name = "PATH")]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum ReceiptsCommand {
    /// Write the annual consolidated Bukti Setor Zakat of every donor who gave zakat in a
    /// year, one file each, named by NPWZ (or donor id): `bukti-setor-2026-<NPWZ>.pdf`.
    ///
    /// Streams the donors a page at a time; a progress bar on a terminal.
    Annual {
        /// The calendar year (by the date received).
        #[arg(long)]
        year: i32,
        /// The directory to write into (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// `pdf` (default) or `html`.
        #[arg(long, value_enum, default_value = "pdf")]
        format: commands::receipts::Format,
    },
}

#[derive(Debug, Subcommand)]
enum LedgerCommand {
    /// Recompute every account's balance from the journal and compare it with the balance
    /// kept beside it (what `GET /api/v1/funds` and the writer's checks read); exit 1 listing
    /// each difference (account, currency, kept, journal).
    Check {
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Parses `args`, runs the command and returns the process exit code. Errors are printed
/// once, as `error: …`, with the exit code their kind calls for.
pub fn run(args: impl IntoIterator<Item = impl Into<OsString> + Clone>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() { exit::USAGE } else { 0 };
            err.print().ok();
            return ExitCode::from(code);
        }
    };
    // `upgrade` unpacks a release for the service user to run, whatever user runs it; every
    // other command creates only the instance's own files (data, secret, logs, socket).
    if !matches!(cli.command, Command::Upgrade { .. }) {
        ops::process::make_created_files_private();
    }
    match dispatch(&cli) {
        Ok(code) => code,
        Err(err) => {
            let (message, code) = match err.downcast_ref::<Exit>() {
                Some(exit) => (exit.to_string(), exit.exit_code()),
                None => (format!("{err:#}"), ExitCode::FAILURE),
            };
            eprintln!("error: {message}");
            // A successor that fails tells its predecessor why, for `upgrade` to report.
            instance::handoff::report_start_failure(&message);
            code
        }
    }
}

fn dispatch(cli: &Cli) -> anyhow::Result<ExitCode> {
    let env_file = cli.env_file.as_deref();
    match &cli.command {
        Command::Start => instance::run(env_file, Attach::Nothing),
        Command::Console => instance::run(env_file, Attach::Console),
        Command::Daemon => commands::daemon::run(env_file),
        Command::Remote => commands::control::remote(env_file),
        Command::Rpc { command } => commands::control::rpc(env_file, &command.join(" ")),
        Command::Pid => commands::control::pid(env_file),
        Command::Stop => commands::control::stop(env_file),
        Command::Restart(options) => commands::replace::restart(env_file, options.options()),
        Command::Upgrade { version, options } => {
            commands::replace::upgrade(env_file, version, options.options())
        }
        Command::Rollback(options) => commands::replace::rollback(env_file, options.options()),
        Command::Releases => commands::replace::releases(),
        Command::Migrate { check } => commands::migrate::run(env_file, *check),
        Command::Config(ConfigCommand::Check) => commands::config::check(env_file),
        Command::Config(ConfigCommand::Show { json }) => commands::config::show(env_file, *json),
        Command::User(UserCommand::Create {
            email,
            role,
            password_file,
        }) => commands::users::create(env_file, email, *role, password_file.as_deref()),
        Command::User(UserCommand::List { json }) => commands::users::list(env_file, *json),
        Command::User(UserCommand::Disable { email }) => commands::users::disable(env_file, email),
        Command::Token(TokenCommand::Create { email, expires_in }) => {
            commands::users::create_token(env_file, email, expires_in.as_deref())
        }
        Command::Token(TokenCommand::Revoke { id }) => commands::users::revoke_token(env_file, *id),
        Command::Audit(AuditCommand::Verify { json, against }) => {
            commands::audit::verify(env_file, *json, against.as_deref())
        }
        Command::Audit(AuditCommand::Head) => commands::audit::head(env_file),
        Command::Audit(AuditCommand::Export { output }) => {
            commands::audit::export(env_file, output.as_deref())
        }
        Command::Ledger(LedgerCommand::Check { json }) => commands::ledger::check(env_file, *json),
        Command::Receipts(ReceiptsCommand::Annual { year, out, format }) => {
            commands::receipts::annual(env_file, *year, out, *format)
        }
        Command::Zakat {
            help,
            category,
            json,
            fields,
        } => {
            if let Some(category) = category {
                commands::zakat::run(env_file, category, fields, *json, *help)
            } else {
                let mut command = <Cli as clap::CommandFactory>::command();
                let zakat = command
                    .find_subcommand_mut("zakat")
                    .expect("the zakat command is declared");
                commands::zakat::print(&zakat.render_long_help().to_string())
            }
        }
        Command::Healthcheck => commands::healthcheck::run(env_file),
        Command::GenSecret => commands::secret::generate(),
        Command::SystemdUnit { prefix } => {
            print!("{}", ops::systemd::service_unit(prefix));
            Ok(ExitCode::SUCCESS)
        }
        Command::Version => {
            println!("donation_platform {}", crate::VERSION);
            Ok(ExitCode::SUCCESS)
        }
    }
}
