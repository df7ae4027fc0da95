//! The category rules. Each builds its answer step by step in a [`Work`], which records every
//! value used (with its source) and every rule applied (with its citation).

use rust_decimal::Decimal;

use super::citations as cite;
use super::livestock::{self, Animal};
use super::{
    Calculation, Data, FitrahForm, Holding, InKind, IncomeMethod, Irrigation, Jewellery, Nisab,
    NisabBasis, Options, Parameter, Period, Question, Sourced, Step, StockHolding, ZakatError,
    format_decimal,
};

/// Kilograms of grain (gabah) in the harvest nisab: five wasq.
const NISAB_GRAIN_KG: u32 = 653;
/// Rice in one sa', by weight (tenths of a kg) and by volume (tenths of a litre).
const SA_RICE_KG_TENTHS: i64 = 25;
const SA_RICE_LITRE_TENTHS: i64 = 35;
/// Staple food in one mudd, in grams: the fidyah of one day for one person, in kind.
const MUDD_GRAMS: i64 = 675;
/// Where values given by the user come from.
const GIVEN: &str = "given in the request";

/// A calculation in progress.
struct Work<'a> {
    question: &'a Question,
    options: Options,
    data: &'a Data,
    parameters: Vec<Parameter>,
    trace: Vec<Step>,
    nisab: Option<Nisab>,
}

impl Work<'_> {
    fn step(&mut self, rule: impl Into<String>, citation: &'static str) {
        self.trace.push(Step {
            rule: rule.into(),
            citation,
        });
    }

    fn given(&mut self, name: &'static str, value: &dyn std::fmt::Display) {
        self.parameters.push(Parameter {
            name,
            value: value.to_string(),
            source: GIVEN.to_owned(),
        });
    }

    fn amount(&mut self, name: &'static str, value: Decimal) -> Result<Decimal, ZakatError> {
        not_negative(name, value)?;
        self.given(name, &format_decimal(value));
        Ok(value)
    }

    /// A data value in force on the date, or the request's, recorded with its source.
    fn data(&mut self, name: &'static str, value: Option<&Sourced>) -> Result<Decimal, ZakatError> {
        let Some(sourced) = value else {
            return Err(ZakatError::new(
                name,
                format!(
                    "no value is in force on {}: pass `{name}` in the request",
                    self.question.date
                ),
            ));
        };
        if sourced.value <= Decimal::ZERO {
            // A price or nisab of nothing would make every holding due.
            return Err(ZakatError::new(name, "must be more than 0"));
        }
        self.parameters.push(Parameter {
            name,
            value: format_decimal(sourced.value),
            source: sourced.source.clone(),
        });
        Ok(sourced.value)
    }

    /// The money nisab in rupiah, per the nisab basis.
    fn money_nisab(&mut self) -> Result<Decimal, ZakatError> {
        let gold = |work: &mut Self| -> Result<Decimal, ZakatError> {
            let price = work.data(
                "gold_price_per_gram",
                work.data.gold_price_per_gram.as_ref(),
            )?;
            let grams = work.options.gold_nisab_grams;
            let value = price * grams;
            work.step(
                format!(
                    "gold nisab: {} g x {} = {}",
                    grams.normalize(),
                    rp(price),
                    rp(value)
                ),
                cite::NISAB_GOLD,
            );
            Ok(value)
        };
        let silver = |work: &mut Self| -> Result<Decimal, ZakatError> {
            let price = work.data(
                "silver_price_per_gram",
                work.data.silver_price_per_gram.as_ref(),
            )?;
            let grams = work.options.silver_nisab_grams;
            let value = price * grams;
            work.step(
                format!(
                    "silver nisab: {} g x {} = {}",
                    grams.normalize(),
                    rp(price),
                    rp(value)
                ),
                cite::NISAB_SILVER,
            );
            Ok(value)
        };
        let (gold_grams, silver_grams) = (
            self.options.gold_nisab_grams.normalize(),
            self.options.silver_nisab_grams.normalize(),
        );
        let (basis, value) = match self.options.nisab_basis {
            NisabBasis::Gold => (format!("{gold_grams} g gold"), gold(self)?),
            NisabBasis::Silver => (format!("{silver_grams} g silver"), silver(self)?),
            NisabBasis::LowerOfTwo => {
                let (gold, silver) = (gold(self)?, silver(self)?);
                let (basis, value) = if silver < gold {
                    (format!("{silver_grams} g silver (lower of two)"), silver)
                } else {
                    (format!("{gold_grams} g gold (lower of two)"), gold)
                };
                self.step(
                    format!("nisab: the lower, {}", rp(value)),
                    cite::NISAB_LOWER,
                );
                (basis, value)
            }
        };
        self.nisab = Some(Nisab {
            basis,
            value,
            unit: "IDR",
        });
        Ok(value)
    }

    /// Whether the haul is complete; records the step either way.
    fn haul(&mut self) -> Result<bool, ZakatError> {
        let Some(since) = self.question.held_since else {
            self.step(
                "haul: held a full lunar year (no start date given)",
                cite::HAUL,
            );
            return Ok(true);
        };
        self.given("held_since", &since);
        let calendar = self.options.haul_calendar;
        let haul = super::haul::haul(since, self.question.date, calendar)
            .map_err(|err| ZakatError::new("held_since", err.to_string()))?;
        let verdict = if haul.complete {
            "complete"
        } else {
            "not complete, nothing due yet"
        };
        let (rule, citation) = match haul.hijri {
            None => (
                format!(
                    "haul: held {} days since {since}; a lunar year is 354.367 days: {verdict}",
                    haul.days
                ),
                cite::HAUL,
            ),
            Some((start, end)) => (
                format!(
                    "haul: held from {start} ({since}) to {end} ({}), {} days; a Hijri year (Umm al-Qura): {verdict}",
                    self.question.date, haul.days
                ),
                cite::HAUL_HIJRI,
            ),
        };
        self.step(rule, citation);
        Ok(haul.complete)
    }

    /// `base` compared with `nisab`, then 2.5 % of it: the money answer.
    fn money_due(mut self, base: Decimal, nisab: Decimal, citation: &'static str) -> Calculation {
        if base < nisab {
            self.step(
                format!(
                    "{} is below the nisab of {}: nothing due",
                    rp(base),
                    rp(nisab)
                ),
                citation,
            );
            return self.finish(None, Vec::new());
        }
        self.step(
            format!("{} reaches the nisab of {}", rp(base), rp(nisab)),
            citation,
        );
        let exact = quarter_tenth(base);
        self.step(
            format!("{} x 2.5 % = {}", rp(base), rp(exact)),
            cite::RATE_QUARTER_TENTH,
        );
        self.finish(Some(exact), Vec::new())
    }

    fn nothing_due(self) -> Calculation {
        self.finish(None, Vec::new())
    }

    fn finish(mut self, exact: Option<Decimal>, in_kind: Vec<InKind>) -> Calculation {
        let payable = exact.map(|exact| {
            let payable = self.options.rounding.apply(exact);
            if payable != exact {
                self.step(
                    format!(
                        "payable: {} rounded {} = {}",
                        rp(exact),
                        self.options.rounding,
                        rp(payable)
                    ),
                    cite::ROUNDING,
                );
            }
            payable
        });
        let due = exact.is_some_and(|exact| exact > Decimal::ZERO) || !in_kind.is_empty();
        Calculation {
            category: self.question.holding.category(),
            date: self.question.date,
            due,
            currency: "IDR",
            amount_exact: exact,
            amount_payable: payable,
            in_kind,
            nisab: self.nisab,
            options: self.options,
            parameters: self.parameters,
            trace: self.trace,
        }
    }
}

/// 2.5 % of `base`, exactly: a division by 40, which terminates.
fn quarter_tenth(base: Decimal) -> Decimal {
    base / Decimal::from(40)
}

pub(super) fn calculate(
    question: &Question,
    options: Options,
    data: &Data,
) -> Result<Calculation, ZakatError> {
    let mut work = Work {
        question,
        options,
        data,
        parameters: Vec::new(),
        trace: Vec::new(),
        nisab: None,
    };
    match &question.holding {
        Holding::Maal { cash, debts } => maal(work, *cash, *debts),
        Holding::Gold {
            grams,
            karat,
            jewellery,
        } => gold(work, *grams, *karat, *jewellery),
        Holding::Silver { grams, jewellery } => silver(work, *grams, *jewellery),
        Holding::Trade {
            cash,
            inventory,
            receivables,
            debts,
        } => trade(work, [*cash, *inventory, *receivables], *debts),
        Holding::Income {
            income,
            period,
            deductions,
            annual_total,
        } => zakat_on_income(work, *income, *period, *deductions, *annual_total),
        Holding::Fitrah {
            persons,
            form,
            region,
            class,
        } => fitrah(work, *persons, *form, region, class.as_deref()),
        Holding::Agriculture {
            harvest_kg,
            irrigation,
        } => agriculture(work, *harvest_kg, *irrigation),
        Holding::Livestock { animal, count } => livestock(work, *animal, *count),
        Holding::Mining { value } => {
            let value = work.amount("value", *value)?;
            work.step("mining: no haul, due when extracted", cite::MINING);
            let nisab = work.money_nisab()?;
            Ok(work.money_due(value, nisab, cite::MINING))
        }
        Holding::Rikaz { value } => {
            let value = work.amount("value", *value)?;
            let exact = value / Decimal::from(5);
            work.step(
                format!("rikaz: {} x 20 % = {}", rp(value), rp(exact)),
                cite::RIKAZ,
            );
            Ok(work.finish(Some(exact), Vec::new()))
        }
        Holding::Stocks {
            market_value,
            holding,
        } => stocks(work, *market_value, *holding),
        Holding::Fidyah {
            days,
            persons,
            region,
            class,
        } => fidyah(work, *days, *persons, region, class.as_deref()),
    }
}

fn maal(mut work: Work<'_>, cash: Decimal, debts: Decimal) -> Result<Calculation, ZakatError> {
    let cash = work.amount("cash", cash)?;
    let debts = work.amount("debts", debts)?;
    let base = deduct_debts(&mut work, cash, debts);
    if !work.haul()? {
        return Ok(work.nothing_due());
    }
    let nisab = work.money_nisab()?;
    let citation = nisab_citation(work.options);
    Ok(work.money_due(base, nisab, citation))
}

fn trade(
    mut work: Work<'_>,
    [cash, inventory, receivables]: [Decimal; 3],
    debts: Decimal,
) -> Result<Calculation, ZakatError> {
    let cash = work.amount("cash", cash)?;
    let inventory = work.amount("inventory", inventory)?;
    let receivables = work.amount("receivables", receivables)?;
    let debts = work.amount("debts", debts)?;
    let assets = cash + inventory + receivables;
    work.step(
        format!(
            "trade assets: cash {} + inventory {} + receivables {} = {}",
            rp(cash),
            rp(inventory),
            rp(receivables),
            rp(assets)
        ),
        cite::TRADE_BASE,
    );
    let base = deduct_debts(&mut work, assets, debts);
    if !work.haul()? {
        return Ok(work.nothing_due());
    }
    let nisab = work.money_nisab()?;
    let citation = nisab_citation(work.options);
    Ok(work.money_due(base, nisab, citation))
}

fn deduct_debts(work: &mut Work<'_>, assets: Decimal, debts: Decimal) -> Decimal {
    if !work.options.deduct_debts {
        work.step(
            "debts not deducted (option deduct_debts = false)",
            cite::DEBTS,
        );
        return assets;
    }
    let base = (assets - debts).max(Decimal::ZERO);
    work.step(
        format!(
            "{} - debts due within 12 months {} = {}",
            rp(assets),
            rp(debts),
            rp(base)
        ),
        cite::DEBTS,
    );
    base
}

fn gold(
    mut work: Work<'_>,
    grams: Decimal,
    karat: u8,
    jewellery: Jewellery,
) -> Result<Calculation, ZakatError> {
    let grams = work.amount("grams", grams)?;
    if !(1..=24).contains(&karat) {
        return Err(ZakatError::new(
            "karat",
            format!("{karat} is not a karat: use 1 to 24"),
        ));
    }
    work.given("karat", &karat);
    work.given("jewellery", &jewellery);
    if !metal_is_zakatable(&mut work, jewellery) {
        return Ok(work.nothing_due());
    }
    let pure = grams * Decimal::from(karat) / Decimal::from(24);
    work.step(
        format!(
            "pure gold: {} g x {karat} / 24 = {} g",
            format_decimal(grams),
            format_decimal(pure)
        ),
        cite::KARAT,
    );
    metal(work, pure, "gold")
}

fn silver(
    mut work: Work<'_>,
    grams: Decimal,
    jewellery: Jewellery,
) -> Result<Calculation, ZakatError> {
    let grams = work.amount("grams", grams)?;
    work.given("jewellery", &jewellery);
    if !metal_is_zakatable(&mut work, jewellery) {
        return Ok(work.nothing_due());
    }
    metal(work, grams, "silver")
}

/// Worn jewellery is exempt unless the options say otherwise.
fn metal_is_zakatable(work: &mut Work<'_>, jewellery: Jewellery) -> bool {
    match jewellery {
        Jewellery::Worn if !work.options.worn_jewellery_zakatable => {
            work.step(
                "jewellery in normal use: exempt (option worn_jewellery_zakatable = false)",
                cite::JEWELLERY,
            );
            false
        }
        Jewellery::Worn => {
            work.step(
                "jewellery in normal use: zakatable (option worn_jewellery_zakatable = true)",
                cite::JEWELLERY,
            );
            true
        }
        Jewellery::Stored => {
            work.step(
                "jewellery kept for saving or trade: zakatable",
                cite::JEWELLERY,
            );
            true
        }
        Jewellery::None => true,
    }
}

/// Pure `grams` of `metal`: the weight against its nisab, then 2.5 % of the value.
fn metal(mut work: Work<'_>, grams: Decimal, metal: &str) -> Result<Calculation, ZakatError> {
    let (nisab_grams, citation, price) = if metal == "gold" {
        let price = work.data(
            "gold_price_per_gram",
            work.data.gold_price_per_gram.as_ref(),
        )?;
        (work.options.gold_nisab_grams, cite::NISAB_GOLD, price)
    } else {
        let price = work.data(
            "silver_price_per_gram",
            work.data.silver_price_per_gram.as_ref(),
        )?;
        (work.options.silver_nisab_grams, cite::NISAB_SILVER, price)
    };
    if !work.haul()? {
        return Ok(work.nothing_due());
    }
    let nisab = nisab_grams;
    let nisab_grams = nisab_grams.normalize();
    work.nisab = Some(Nisab {
        basis: format!("{nisab_grams} g {metal}"),
        value: nisab,
        unit: "g",
    });
    if grams < nisab {
        work.step(
            format!(
                "{} g is below the nisab of {nisab_grams} g: nothing due",
                format_decimal(grams)
            ),
            citation,
        );
        return Ok(work.nothing_due());
    }
    work.step(
        format!(
            "{} g reaches the nisab of {nisab_grams} g",
            format_decimal(grams)
        ),
        citation,
    );
    let value = grams * price;
    work.step(
        format!(
            "value: {} g x {} = {}",
            format_decimal(grams),
            rp(price),
            rp(value)
        ),
        citation,
    );
    let exact = quarter_tenth(value);
    work.step(
        format!("{} x 2.5 % = {}", rp(value), rp(exact)),
        cite::RATE_QUARTER_TENTH,
    );
    Ok(work.finish(Some(exact), Vec::new()))
}

fn zakat_on_income(
    mut work: Work<'_>,
    income: Decimal,
    period: Period,
    deductions: Decimal,
    annual_total: Option<Decimal>,
) -> Result<Calculation, ZakatError> {
    let income = work.amount("income", income)?;
    work.given("period", &period);
    work.step("income: no haul, zakat on each receipt", cite::INCOME);
    let base = match work.options.income_method {
        IncomeMethod::Gross => income,
        IncomeMethod::Net => {
            let deductions = work.amount("deductions", deductions)?;
            let net = (income - deductions).max(Decimal::ZERO);
            work.step(
                format!(
                    "net: {} - basic needs and instalments {} = {}",
                    rp(income),
                    rp(deductions),
                    rp(net)
                ),
                cite::INCOME_NET,
            );
            net
        }
    };
    let (name, published, basis) = match period {
        Period::Monthly => (
            "nisab_monthly",
            work.data.nisab_monthly.as_ref(),
            "BAZNAS monthly income nisab",
        ),
        Period::Annual => (
            "nisab_annual",
            work.data.nisab_annual.as_ref(),
            "BAZNAS annual income nisab",
        ),
    };
    let nisab = work.data(name, published)?;
    work.nisab = Some(Nisab {
        basis: basis.to_owned(),
        value: nisab,
        unit: "IDR",
    });
    let citation = match period {
        Period::Monthly => cite::INCOME_MONTHLY,
        Period::Annual => cite::INCOME,
    };
    if base < nisab
        && period == Period::Monthly
        && let Some(total) = annual_total
    {
        return annual_reconciliation(work, base, nisab, total);
    }
    Ok(work.money_due(base, nisab, citation))
}

/// A month below the monthly nisab, checked against the year's total and the annual nisab.
fn annual_reconciliation(
    mut work: Work<'_>,
    base: Decimal,
    monthly_nisab: Decimal,
    total: Decimal,
) -> Result<Calculation, ZakatError> {
    let total = work.amount("annual_total", total)?;
    let annual = work.data("nisab_annual", work.data.nisab_annual.as_ref())?;
    if total < annual {
        work.step(
            format!(
                "{} is below the monthly nisab of {}, and the year's {} is below the annual nisab of {}: nothing due",
                rp(base),
                rp(monthly_nisab),
                rp(total),
                rp(annual)
            ),
            cite::INCOME_ANNUAL_RECONCILIATION,
        );
        return Ok(work.nothing_due());
    }
    work.step(
        format!(
            "{} is below the monthly nisab of {}, but the year's {} reaches the annual nisab of {}",
            rp(base),
            rp(monthly_nisab),
            rp(total),
            rp(annual)
        ),
        cite::INCOME_ANNUAL_RECONCILIATION,
    );
    let exact = quarter_tenth(base);
    work.step(
        format!("{} x 2.5 % = {}", rp(base), rp(exact)),
        cite::RATE_QUARTER_TENTH,
    );
    Ok(work.finish(Some(exact), Vec::new()))
}

fn fitrah(
    mut work: Work<'_>,
    persons: u32,
    form: super::FitrahForm,
    region: &str,
    class: Option<&str>,
) -> Result<Calculation, ZakatError> {
    if persons == 0 {
        // Nobody to pay for is a mistake in the request, not a household that owes nothing.
        return Err(ZakatError::new("persons", "must be at least 1"));
    }
    work.given("persons", &persons);
    work.given("form", &form);
    work.step(format!("{persons} person(s), one sa' each"), cite::FITRAH);
    let persons_decimal = Decimal::from(persons);
    match form {
        FitrahForm::Cash => {
            work.given("region", &region);
            if let Some(class) = class {
                work.given("class", &class);
            }
            let per_person =
                work.data("fitrah_per_person", work.data.fitrah_per_person.as_ref())?;
            let exact = per_person * persons_decimal;
            let source = work
                .parameters
                .last()
                .map(|p| p.source.clone())
                .unwrap_or_default();
            work.step(
                format!("{persons} x {} ({source}) = {}", rp(per_person), rp(exact)),
                cite::FITRAH,
            );
            Ok(work.finish(Some(exact), Vec::new()))
        }
        FitrahForm::RiceKg | FitrahForm::RiceLitre => {
            let (tenths, unit) = if form == FitrahForm::RiceKg {
                (SA_RICE_KG_TENTHS, "kg")
            } else {
                (SA_RICE_LITRE_TENTHS, "litre")
            };
            let per_person = Decimal::new(tenths, 1);
            let quantity = per_person * persons_decimal;
            work.step(
                format!(
                    "{persons} x {} {unit} of rice = {} {unit}",
                    format_decimal(per_person),
                    format_decimal(quantity)
                ),
                cite::FITRAH_RICE,
            );
            Ok(work.finish(None, vec![InKind::Quantity { unit, quantity }]))
        }
    }
}

/// Fidyah: days x persons x the rate in force, and the same in kind (a mudd a day each).
fn fidyah(
    mut work: Work<'_>,
    days: u32,
    persons: u32,
    region: &str,
    class: Option<&str>,
) -> Result<Calculation, ZakatError> {
    if days == 0 {
        return Err(ZakatError::new("days", "must be at least 1"));
    }
    if persons == 0 {
        return Err(ZakatError::new("persons", "must be at least 1"));
    }
    work.given("days", &days);
    work.given("persons", &persons);
    work.given("region", &region);
    if let Some(class) = class {
        work.given("class", &class);
    }
    let per_day = work.data("fidyah_per_day", work.data.fidyah_per_day.as_ref())?;
    let source = work
        .parameters
        .last()
        .map(|p| p.source.clone())
        .unwrap_or_default();
    let meals = Decimal::from(days) * Decimal::from(persons);
    let exact = per_day * meals;
    work.step(
        format!(
            "{days} day(s) x {persons} person(s) x {} ({source}) = {}",
            rp(per_day),
            rp(exact)
        ),
        cite::FIDYAH,
    );
    let mudd_kg = Decimal::new(MUDD_GRAMS, 3);
    let quantity = meals * mudd_kg;
    work.step(
        format!(
            "in kind: {} meal(s) x {} kg of staple food = {} kg",
            meals,
            format_decimal(mudd_kg),
            format_decimal(quantity)
        ),
        cite::FIDYAH_MUDD,
    );
    Ok(work.finish(
        Some(exact),
        vec![InKind::Quantity {
            unit: "kg",
            quantity,
        }],
    ))
}

fn agriculture(
    mut work: Work<'_>,
    harvest_kg: Decimal,
    irrigation: Irrigation,
) -> Result<Calculation, ZakatError> {
    let harvest = work.amount("harvest_kg", harvest_kg)?;
    work.given("irrigation", &irrigation);
    work.step(
        "harvest: no haul, due at each harvest; the nisab is on the quantity",
        cite::AGRICULTURE_NISAB,
    );
    let nisab = Decimal::from(NISAB_GRAIN_KG);
    work.nisab = Some(Nisab {
        basis: format!("{NISAB_GRAIN_KG} kg grain (gabah)"),
        value: nisab,
        unit: "kg",
    });
    if harvest < nisab {
        work.step(
            format!(
                "{} kg is below the nisab of {NISAB_GRAIN_KG} kg: nothing due",
                format_decimal(harvest)
            ),
            cite::AGRICULTURE_NISAB,
        );
        return Ok(work.nothing_due());
    }
    work.step(
        format!(
            "{} kg reaches the nisab of {NISAB_GRAIN_KG} kg",
            format_decimal(harvest)
        ),
        cite::AGRICULTURE_NISAB,
    );
    let (rate, text, citation) = match irrigation {
        Irrigation::RainFed => (Decimal::new(10, 2), "10 %", cite::AGRICULTURE_RATE),
        Irrigation::Irrigated => (Decimal::new(5, 2), "5 %", cite::AGRICULTURE_RATE),
        Irrigation::Mixed => (Decimal::new(75, 3), "7.5 %", cite::AGRICULTURE_MIXED),
    };
    let quantity = harvest * rate;
    work.step(
        format!(
            "{} kg x {text} ({irrigation}) = {} kg",
            format_decimal(harvest),
            format_decimal(quantity)
        ),
        citation,
    );
    Ok(work.finish(
        None,
        vec![InKind::Quantity {
            unit: "kg",
            quantity,
        }],
    ))
}

fn livestock(mut work: Work<'_>, animal: Animal, count: u32) -> Result<Calculation, ZakatError> {
    work.given("animal", &animal);
    work.given("count", &count);
    if !work.haul()? {
        return Ok(work.nothing_due());
    }
    let nisab = livestock::nisab(animal);
    work.nisab = Some(Nisab {
        basis: format!("{nisab} {animal}"),
        value: Decimal::from(nisab),
        unit: "head",
    });
    let (due, citation) = match animal {
        Animal::Sheep => (livestock::sheep(count), cite::LIVESTOCK),
        Animal::Cattle => (livestock::cattle(count), cite::CATTLE),
        Animal::Camel => {
            let rule = work.options.camels_above_120;
            let citation = if count > 120 && rule == super::CamelsAbove120::Hanafi {
                cite::CAMELS_HANAFI
            } else {
                cite::LIVESTOCK
            };
            (livestock::camels(count, rule), citation)
        }
    };
    let listed: Vec<String> = due.iter().map(|(kind, n)| format!("{n} {kind}")).collect();
    work.step(
        if due.is_empty() {
            format!("{count} {animal}: below the nisab of {nisab}, nothing due")
        } else {
            format!("{count} {animal}: {}", listed.join(" + "))
        },
        citation,
    );
    let in_kind = due
        .into_iter()
        .map(|(kind, count)| InKind::Animals { kind, count })
        .collect();
    Ok(work.finish(None, in_kind))
}

fn stocks(
    mut work: Work<'_>,
    market_value: Decimal,
    holding: StockHolding,
) -> Result<Calculation, ZakatError> {
    let value = work.amount("market_value", market_value)?;
    work.given("holding", &holding);
    if holding == StockHolding::LongTerm {
        work.step(
            "long-term holding: zakat on market value, as for trading (institution practice)",
            cite::STOCKS,
        );
    }
    if !work.haul()? {
        return Ok(work.nothing_due());
    }
    let nisab = work.money_nisab()?;
    Ok(work.money_due(value, nisab, cite::STOCKS))
}

fn nisab_citation(options: Options) -> &'static str {
    match options.nisab_basis {
        NisabBasis::Gold => cite::NISAB_GOLD,
        NisabBasis::Silver => cite::NISAB_SILVER,
        NisabBasis::LowerOfTwo => cite::NISAB_LOWER,
    }
}

fn not_negative(field: &'static str, value: Decimal) -> Result<(), ZakatError> {
    if value.is_sign_negative() && !value.is_zero() {
        return Err(ZakatError::new(field, "must not be negative"));
    }
    Ok(())
}

/// Rupiah as the trace writes them: `Rp 3,500,000` (exact decimals kept: `Rp 3,437.5`).
fn rp(value: Decimal) -> Rp {
    Rp(crate::decimal_text::DecimalText::new(value, 0, Some(b',')))
}

/// An amount in the trace's form, written where it is formatted (no `String` of its own).
struct Rp(crate::decimal_text::DecimalText);

impl std::fmt::Display for Rp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Rp ")?;
        f.write_str(self.0.as_str())
    }
}
