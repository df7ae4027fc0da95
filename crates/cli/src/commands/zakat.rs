//! `zakat <category> --field value …`: the calculator from the command line, with the data in
//! force in this instance's database. It builds the domain's request from the same named
//! fields as `POST /api/v1/zakat/{category}`, so the two cannot disagree.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::str::FromStr as _;

use domain::zakat::request::{COMMON_FIELDS, Field, category_fields, today_in_wib};
use domain::zakat::{Calculation, Category, InKind, Request, format_decimal};
use serde_json::{Map, Value};

use super::with_ledger;
use crate::exit::{self, Exit};

/// Fields whose values are whole numbers, and yes/no flags; everything else is text.
const NUMBER_FIELDS: [&str; 4] = ["karat", "persons", "count", "days"];
const FLAG_FIELDS: [&str; 2] = ["worn_jewellery_zakatable", "deduct_debts"];

/// Runs one calculation; prints a table, or the API's JSON with `json`. `--help` among the
/// fields lists the category's fields instead.
pub fn run(
    env_file: Option<&Path>,
    category: &str,
    fields: &[String],
    json: bool,
    help: bool,
) -> anyhow::Result<ExitCode> {
    let category =
        Category::from_str(category).map_err(|err| Exit::new(exit::USAGE, err.to_string()))?;
    if help
        || fields
            .iter()
            .any(|field| field == "--help" || field == "-h")
    {
        return print(&category_help(category));
    }
    // `--json` may come after the category, among the fields.
    let json = json || fields.iter().any(|field| field == "--json");
    let fields: Vec<String> = fields
        .iter()
        .filter(|field| *field != "--json")
        .cloned()
        .collect();
    let fields = parse_fields(&fields)?;
    let request = Request::from_fields(category, &fields).map_err(|err| refused(&err))?;
    let result = with_ledger(env_file, async |database, _key| {
        let records = database.zakat_records().await?;
        let today = today_in_wib(time::OffsetDateTime::now_utc());
        request.answer(&records, today).map_err(|err| refused(&err))
    })?;
    let text = if json {
        let mut text = serde_json::to_string_pretty(&result)?;
        text.push('\n');
        text
    } else {
        table(&result)
    };
    print(&text)
}

/// A request the domain refused, as the API's problem `detail` words it.
fn refused(err: &domain::zakat::RequestError) -> anyhow::Error {
    Exit::new(exit::USAGE, format!("`{}`: {err}", err.field())).into()
}

/// Writes `text` to standard output. A reader that went away (`… | head`) is not an error: the
/// command stops quietly, as `cat` does, instead of panicking in `println!`.
pub(crate) fn print(text: &str) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(err) => Err(anyhow::Error::new(err).context("failed to write the result")),
    }
}

/// What `zakat <category> --help` prints: the category's fields, then the common ones.
fn category_help(category: Category) -> String {
    let mut out = String::new();
    writeln!(
        out,
        "donation_platform zakat {category} [--json] [--FIELD VALUE]…\n\nfields of `{category}`:"
    )
    .ok();
    let list = |out: &mut String, fields: &[Field]| {
        for field in fields {
            writeln!(out, "  --{:26}{}", field.name.replace('_', "-"), field.help).ok();
        }
    };
    list(&mut out, category_fields(category));
    writeln!(out, "\nthe date, options and data values (every category):").ok();
    list(&mut out, &COMMON_FIELDS);
    writeln!(
        out,
        "\n`-` and `_` are the same in names; `--field=value` works too; --json prints the API's JSON"
    )
    .ok();
    out
}

/// `--name value` and `--name=value` pairs as the request's JSON fields (`-` in names may be
/// `_`).
fn parse_fields(args: &[String]) -> anyhow::Result<Map<String, Value>> {
    let mut fields = Map::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let Some(flag) = arg.strip_prefix("--") else {
            return Err(usage(&format!("{arg:?} is not a `--field value` pair")));
        };
        let (name, value) = match flag.split_once('=') {
            Some((name, value)) => (name, value.to_owned()),
            None => (
                flag,
                args.next()
                    .ok_or_else(|| usage(&format!("--{flag} needs a value")))?
                    .clone(),
            ),
        };
        let name = name.replace('-', "_");
        let value =
            if NUMBER_FIELDS.contains(&name.as_str()) {
                Value::from(value.parse::<u64>().map_err(|_| {
                    usage(&format!("--{name} must be a whole number, not {value:?}"))
                })?)
            } else if FLAG_FIELDS.contains(&name.as_str()) {
                Value::from(value.parse::<bool>().map_err(|_| {
                    usage(&format!(
                        "--{name} must be `true` or `false`, not {value:?}"
                    ))
                })?)
            } else {
                Value::from(value)
            };
        fields.insert(name, value);
    }
    Ok(fields)
}

fn usage(message: &str) -> anyhow::Error {
    Exit::new(
        exit::USAGE,
        format!("{message}: write fields as `--date 2025-03-01 --income 10000000`"),
    )
    .into()
}

/// The result as the operator reads it.
fn table(result: &Calculation) -> String {
    let mut out = String::new();
    let due = if result.due { "due" } else { "not due" };
    writeln!(out, "zakat {} on {}: {due}", result.category, result.date).ok();
    for (label, amount) in [
        ("amount (exact)", result.amount_exact),
        ("amount payable", result.amount_payable),
    ] {
        if let Some(amount) = amount {
            writeln!(
                out,
                "{label:16}{} {}",
                format_decimal(amount),
                result.currency
            )
            .ok();
        }
    }
    for item in &result.in_kind {
        let what = match item {
            InKind::Animals { kind, count } => format!("{count} {kind}"),
            InKind::Quantity { unit, quantity } => format!("{} {unit}", format_decimal(*quantity)),
        };
        writeln!(out, "{:16}{what}", "in kind").ok();
    }
    if let Some(nisab) = &result.nisab {
        let value = if nisab.unit == "IDR" {
            format_decimal(nisab.value)
        } else {
            nisab.value.normalize().to_string()
        };
        writeln!(
            out,
            "{:16}{value} {} ({})",
            "nisab", nisab.unit, nisab.basis
        )
        .ok();
    }
    writeln!(out, "values used").ok();
    for parameter in &result.parameters {
        writeln!(
            out,
            "  {:22}{:16}{}",
            parameter.name, parameter.value, parameter.source
        )
        .ok();
    }
    writeln!(out, "steps").ok();
    for (number, step) in result.trace.iter().enumerate() {
        writeln!(
            out,
            "  {}. {}\n     [{}]",
            number + 1,
            step.rule,
            step.citation
        )
        .ok();
    }
    out
}
