//! `receipts annual`: every donor's consolidated Bukti Setor Zakat of a year, one file each.

use std::io::IsTerminal as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use domain::receipts::Institution;

use super::with_ledger;

/// Donors read per query: the generator holds one page of ids and one donor's year at a time,
/// whatever the institution's size.
const DONOR_PAGE_SIZE: u16 = 500;

/// What `receipts annual` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A5 PDF.
    Pdf,
    /// Printable HTML.
    Html,
}

/// Writes the annual receipt of every donor who gave zakat received in `year` into `out`
/// (created if missing), named `bukti-setor-<year>-<NPWZ or donor id>.<pdf|html>`. A progress
/// bar on a terminal; quiet otherwise; a summary line at the end.
pub fn annual(
    env_file: Option<&Path>,
    year: i32,
    out: &Path,
    format: Format,
) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        web::api::ANNUAL_YEARS.contains(&year),
        "`--year {year}` is out of range: give a year from {} to {}",
        web::api::ANNUAL_YEARS.start(),
        web::api::ANNUAL_YEARS.end()
    );
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create the output directory `{}`", out.display()))?;
    with_ledger(env_file, async |database, _| {
        let from = time::Date::from_calendar_date(year, time::Month::January, 1)?;
        let to = time::Date::from_calendar_date(year, time::Month::December, 31)?;
        let total = database
            .zakat_donor_count(from, to)
            .await
            .context("cannot count the donors")?;
        let institution = database
            .institution()
            .await
            .context("cannot read the institution profile")?
            .unwrap_or_else(Institution::unset);
        let progress = if std::io::stderr().is_terminal() {
            indicatif::ProgressBar::new(total)
        } else {
            indicatif::ProgressBar::hidden()
        };
        progress.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} receipts ({per_sec}, {eta} left)",
            )
            .expect("a valid template"),
        );
        let mut written = 0_u64;
        let mut after = None;
        loop {
            let donors = database
                .zakat_donors(from, to, after, DONOR_PAGE_SIZE)
                .await
                .context("cannot list the donors")?;
            after = donors.last().copied();
            for donor_id in &donors {
                let Some(annual) = web::receipts::load_annual(database, *donor_id, year)
                    .await
                    .with_context(|| format!("cannot read the donations of donor `{donor_id}`"))?
                else {
                    continue;
                };
                let name = annual
                    .payer
                    .npwz
                    .clone()
                    .unwrap_or_else(|| donor_id.to_string());
                let (bytes, extension) = match format {
                    Format::Pdf => (web::receipts::pdf::annual(&annual, &institution), "pdf"),
                    Format::Html => (
                        web::receipts::html::annual(&annual, &institution).into_bytes(),
                        "html",
                    ),
                };
                let path = out.join(format!("bukti-setor-{year}-{name}.{extension}"));
                std::fs::write(&path, bytes)
                    .with_context(|| format!("cannot write `{}`", path.display()))?;
                written += 1;
                progress.inc(1);
            }
            if donors.len() < usize::from(DONOR_PAGE_SIZE) {
                break;
            }
        }
        progress.finish_and_clear();
        println!(
            "wrote {written} annual receipt(s) for {year} to {}",
            out.display()
        );
        Ok(ExitCode::SUCCESS)
    })
}
