//! `zakat <category> --field value …`: the calculator from the command line, with the data in
//! force in this instance's database; the same code answers the HTTP endpoint.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use serde_json::{Map, Value};

use super::with_ledger;
use crate::exit::{self, Exit};

/// Fields whose values are whole numbers, and yes/no flags; everything else is text.
const NUMBER_FIELDS: [&str; 3] = ["karat", "persons", "count"];
const FLAG_FIELDS: [&str; 2] = ["worn_jewellery_zakatable", "deduct_debts"];

/// Runs one calculation; prints a table, or the API's JSON with `json`.
pub fn run(
    env_file: Option<&Path>,
    category: &str,
    fields: &[String],
    json: bool,
) -> anyhow::Result<ExitCode> {
    // `--json` may come after the category, among the fields.
    let json = json || fields.iter().any(|field| field == "--json");
    let fields: Vec<String> = fields
        .iter()
        .filter(|field| *field != "--json")
        .cloned()
        .collect();
    let fields = parse_fields(&fields)?;
    with_ledger(env_file, async |database, _key| {
        let stored = web::api::zakat::stored_data(database).await?;
        let result = web::api::zakat::answer(&stored, category, fields)
            .map_err(|err| Exit::new(exit::USAGE, err.detail()))?;
        if json {
            println!("{}", serde_json::to_string_pretty(&result)?);
        } else {
            print!("{}", table(&serde_json::to_value(&result)?));
        }
        Ok(ExitCode::SUCCESS)
    })
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
fn table(result: &Value) -> String {
    let text = |value: &Value| {
        value
            .as_str()
            .map_or_else(|| value.to_string(), str::to_owned)
    };
    let mut out = String::new();
    let due = if result["due"] == Value::Bool(true) {
        "due"
    } else {
        "not due"
    };
    writeln!(
        out,
        "zakat {} on {}: {due}",
        text(&result["category"]),
        text(&result["date"])
    )
    .ok();
    for (label, key) in [
        ("amount (exact)", "amount_exact"),
        ("amount payable", "amount_payable"),
    ] {
        if let Some(amount) = result[key].as_str() {
            writeln!(out, "{label:16}{amount} IDR").ok();
        }
    }
    for item in result["in_kind"].as_array().into_iter().flatten() {
        let what = match (item.get("kind"), item.get("unit")) {
            (Some(kind), _) => format!("{} {}", item["count"], text(kind)),
            (_, Some(unit)) => format!("{} {}", text(&item["quantity"]), text(unit)),
            _ => item.to_string(),
        };
        writeln!(out, "{:16}{what}", "in kind").ok();
    }
    if let Some(nisab) = result["nisab"].as_object() {
        writeln!(
            out,
            "{:16}{} {} ({})",
            "nisab",
            text(&nisab["value"]),
            text(&nisab["unit"]),
            text(&nisab["basis"])
        )
        .ok();
    }
    writeln!(out, "values used").ok();
    for parameter in result["parameters"].as_array().into_iter().flatten() {
        writeln!(
            out,
            "  {:22}{:16}{}",
            text(&parameter["name"]),
            text(&parameter["value"]),
            text(&parameter["source"])
        )
        .ok();
    }
    writeln!(out, "steps").ok();
    for (number, step) in result["trace"].as_array().into_iter().flatten().enumerate() {
        writeln!(
            out,
            "  {}. {}\n     [{}]",
            number + 1,
            text(&step["rule"]),
            text(&step["citation"])
        )
        .ok();
    }
    out
}
