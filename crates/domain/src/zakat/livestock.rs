//! Livestock: the tables of the letter of Abu Bakr (sheep, camels) and of Mu'adh (cattle).
//! Pure functions from a head count to the animals due.

use crate::names::named_enum;

use super::CamelsAbove120;

named_enum! {
    /// A kind of free-grazing livestock.
    pub enum Animal ("animal") {
        /// Sheep and goats.
        Sheep = "sheep",
        /// Cattle and buffalo.
        Cattle = "cattle",
        /// Camels.
        Camel = "camel",
    }
}

/// Animals due: `(kind, count)` pairs, largest first; empty below the nisab.
pub type Due = Vec<(&'static str, u32)>;

/// The smallest herd that owes anything.
#[must_use]
pub fn nisab(animal: Animal) -> u32 {
    match animal {
        Animal::Sheep => 40,
        Animal::Cattle => 30,
        Animal::Camel => 5,
    }
}

/// Sheep and goats: 40-120 one, 121-200 two, 201-399 three, then one per hundred.
#[must_use]
pub fn sheep(count: u32) -> Due {
    let due = match count {
        0..40 => 0,
        40..=120 => 1,
        121..=200 => 2,
        201..=399 => 3,
        _ => count / 100,
    };
    animals(&[("sheep", due)])
}

/// Cattle: 30-39 a tabi', 40-59 a musinnah; from 60 the count rounded down to ten is covered
/// by thirties (tabi') and forties (musinnah), with as many musinnah (the older, worth more to
/// the recipients) as the count allows.
#[must_use]
pub fn cattle(count: u32) -> Due {
    match count {
        0..30 => Vec::new(),
        30..40 => animals(&[("tabi", 1)]),
        40..60 => animals(&[("musinnah", 1)]),
        _ => {
            let (musinnah, tabi) = cover(count / 10 * 10, 40, 30);
            animals(&[("musinnah", musinnah), ("tabi", tabi)])
        }
    }
}

/// Camels up to 120 by the small table; above, per `rule`.
#[must_use]
pub fn camels(count: u32, rule: CamelsAbove120) -> Due {
    if count <= 120 {
        return small_camel_table(count);
    }
    match rule {
        CamelsAbove120::Majority => {
            // Every 40 a bint labun, every 50 a hiqqah, over the count rounded down to ten
            // (121-129: three bint labun), as many hiqqah as the count allows.
            let (hiqqah, bint_labun) = cover(count / 10 * 10, 50, 40);
            animals(&[("hiqqah", hiqqah), ("bint_labun", bint_labun)])
        }
        CamelsAbove120::Hanafi => hanafi_camels(count),
    }
}

/// 1-120 camels.
fn small_camel_table(count: u32) -> Due {
    match count {
        0..5 => Vec::new(),
        5..25 => animals(&[("sheep", count / 5)]),
        25..=35 => animals(&[("bint_makhad", 1)]),
        36..=45 => animals(&[("bint_labun", 1)]),
        46..=60 => animals(&[("hiqqah", 1)]),
        61..=75 => animals(&[("jadhaah", 1)]),
        76..=90 => animals(&[("bint_labun", 2)]),
        _ => animals(&[("hiqqah", 2)]),
    }
}

/// Hanafi, above 120: the hiqqahs so far, and on the rest the small table again (sheep per
/// five, a bint makhad from 25, a bint labun from 36), until the rest reaches 46, which makes
/// one more hiqqah. Up to 149 the rest is counted over 120 (two hiqqah); from 150 over the
/// last multiple of 50 (one hiqqah per 50).
fn hanafi_camels(count: u32) -> Due {
    let (hiqqah, rest) = if count < 150 {
        (2, count - 120)
    } else {
        (count / 50, count % 50)
    };
    match rest {
        0..5 => animals(&[("hiqqah", hiqqah)]),
        5..25 => animals(&[("hiqqah", hiqqah), ("sheep", rest / 5)]),
        25..=35 => animals(&[("hiqqah", hiqqah), ("bint_makhad", 1)]),
        36..=45 => animals(&[("hiqqah", hiqqah), ("bint_labun", 1)]),
        _ => animals(&[("hiqqah", hiqqah + 1)]),
    }
}

/// `(a, b)` with `a * large + b * small == total` and `a` as large as possible.
fn cover(total: u32, large: u32, small: u32) -> (u32, u32) {
    (0..=total / large)
        .rev()
        .find_map(|a| {
            let rest = total - a * large;
            rest.is_multiple_of(small).then_some((a, rest / small))
        })
        .unwrap_or((0, total / small))
}

fn animals(due: &[(&'static str, u32)]) -> Due {
    due.iter()
        .copied()
        .filter(|&(_, count)| count > 0)
        .collect()
}
