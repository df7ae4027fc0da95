//! The sources a calculation's steps cite (`reference/zakat.md` §12 lists them). One constant
//! per rule, so a step can never carry an empty citation.

/// The rate on money, gold, silver, trade goods and income.
pub const RATE_QUARTER_TENTH: &str =
    "PMA 52/2014 jo. PMA 31/2019: 2.5 % on money, gold, silver, trade and income";
/// The gold nisab.
pub const NISAB_GOLD: &str = "PMA 52/2014 jo. PMA 31/2019; MUI fatwa 3/2003: nisab 85 g gold";
/// The silver nisab.
pub const NISAB_SILVER: &str = "Sunan Abi Dawud 1573: nisab 200 dirham = 595 g silver";
/// Lower of the two nisab.
pub const NISAB_LOWER: &str =
    "reference §2: some bodies measure money against the lower of the gold and silver nisab";
/// The lunar year of possession.
pub const HAUL: &str = "Sunan Abi Dawud 1573: no zakat on wealth until a (lunar) year has passed";
/// Debts due within the year.
pub const DEBTS: &str = "AAOIFI Shari'ah Standard 35: debts due within 12 months are deducted";
/// What counts in trade.
pub const TRADE_BASE: &str = "PMA 52/2014 jo. PMA 31/2019: cash + stock at market value + collectible receivables - short-term debts; fixed assets excluded";
/// Zakat on income.
pub const INCOME: &str = "MUI fatwa 3/2003: zakat on income, 2.5 %, nisab 85 g gold a year";
/// The monthly comparison.
pub const INCOME_MONTHLY: &str =
    "BAZNAS: the month's income is compared with the published monthly nisab";
/// The annual reconciliation.
pub const INCOME_ANNUAL_RECONCILIATION: &str =
    "BAZNAS: a month below nisab is due when the year's total reaches the annual nisab";
/// Net income.
pub const INCOME_NET: &str =
    "MUI fatwa 3/2003 (net method, institution option): basic needs and instalments deducted";
/// One sa' per person.
pub const FITRAH: &str = "Sahih al-Bukhari 1503: one sa' of food for every person";
/// The sa' in rice.
pub const FITRAH_RICE: &str = "BAZNAS: one sa' = 2.5 kg or 3.5 litres of rice";
/// The harvest nisab.
pub const AGRICULTURE_NISAB: &str =
    "Sahih al-Bukhari 1447: no zakat below five wasq = 653 kg of grain (gabah)";
/// The harvest rates.
pub const AGRICULTURE_RATE: &str =
    "Sahih al-Bukhari 1483: a tenth when watered by rain, half a tenth when irrigated";
/// The mixed rate.
pub const AGRICULTURE_MIXED: &str =
    "reference §6: watered both ways, three quarters of a tenth (7.5 %)";
/// Livestock tables (sheep, camels).
pub const LIVESTOCK: &str = "Sahih al-Bukhari 1454: the letter of Abu Bakr on livestock";
/// Cattle.
pub const CATTLE: &str =
    "Sunan al-Tirmidhi 623: a tabi' for every 30 cattle, a musinnah for every 40";
/// Hanafi camels above 120.
pub const CAMELS_HANAFI: &str =
    "al-Hidayah (Hanafi): above 120 the small table restarts on top of the hiqqahs";
/// Worn jewellery.
pub const JEWELLERY: &str =
    "reference §7: worn jewellery zakatable for Hanafi; exempt for Shafi'i, Maliki, Hanbali";
/// Karat.
pub const KARAT: &str = "reference §7: zakatable weight = weight x karat / 24";
/// Mining.
pub const MINING: &str = "PMA 52/2014 jo. PMA 31/2019: mining 2.5 %, gold nisab, no haul";
/// Rikaz.
pub const RIKAZ: &str = "Sahih al-Bukhari 1499: a fifth on rikaz, no nisab and no haul";
/// Stocks.
pub const STOCKS: &str = "reference §9: shares on market value, 2.5 %, gold nisab, haul";
/// The haul counted on the Hijri calendar.
pub const HAUL_HIJRI: &str = "reference §2: the haul by a chosen Hijri calendar (Umm al-Qura): complete on the anniversary of the start date";
/// Fidyah: feeding a poor person for each day missed.
pub const FIDYAH: &str =
    "QS Al-Baqarah 2:184: those who cannot fast redeem each day by feeding a poor person (fidyah)";
/// Fidyah in kind: one mudd a day.
pub const FIDYAH_MUDD: &str =
    "Shafi'i practice (BAZNAS): one mudd of staple food per day, about 0.675 kg";
/// Rounding.
pub const ROUNDING: &str = "reference §1: payable rounded to the whole rupiah, up by default (in favour of the recipients)";
