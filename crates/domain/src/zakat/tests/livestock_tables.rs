//! Every head count from 0 to 200 against the tables as the sources state them, written out
//! here by hand, range by range (not computed by the code under test).

use std::ops::RangeInclusive;

use super::super::{CamelsAbove120, camels, cattle, sheep};

type Table = &'static [(RangeInclusive<u32>, &'static [(&'static str, u32)])];

const SHEEP: Table = &[
    (0..=39, &[]),
    (40..=120, &[("sheep", 1)]),
    (121..=200, &[("sheep", 2)]),
];

const CATTLE: Table = &[
    (0..=29, &[]),
    (30..=39, &[("tabi", 1)]),
    (40..=59, &[("musinnah", 1)]),
    (60..=69, &[("tabi", 2)]),
    (70..=79, &[("musinnah", 1), ("tabi", 1)]),
    (80..=89, &[("musinnah", 2)]),
    (90..=99, &[("tabi", 3)]),
    (100..=109, &[("musinnah", 1), ("tabi", 2)]),
    (110..=119, &[("musinnah", 2), ("tabi", 1)]),
    (120..=129, &[("musinnah", 3)]),
    (130..=139, &[("musinnah", 1), ("tabi", 3)]),
    (140..=149, &[("musinnah", 2), ("tabi", 2)]),
    (150..=159, &[("musinnah", 3), ("tabi", 1)]),
    (160..=169, &[("musinnah", 4)]),
    (170..=179, &[("musinnah", 2), ("tabi", 3)]),
    (180..=189, &[("musinnah", 3), ("tabi", 2)]),
    (190..=199, &[("musinnah", 4), ("tabi", 1)]),
    (200..=200, &[("musinnah", 5)]),
];

const CAMELS_UP_TO_120: Table = &[
    (0..=4, &[]),
    (5..=9, &[("sheep", 1)]),
    (10..=14, &[("sheep", 2)]),
    (15..=19, &[("sheep", 3)]),
    (20..=24, &[("sheep", 4)]),
    (25..=35, &[("bint_makhad", 1)]),
    (36..=45, &[("bint_labun", 1)]),
    (46..=60, &[("hiqqah", 1)]),
    (61..=75, &[("jadhaah", 1)]),
    (76..=90, &[("bint_labun", 2)]),
    (91..=120, &[("hiqqah", 2)]),
];

const CAMELS_MAJORITY_ABOVE_120: Table = &[
    (121..=129, &[("bint_labun", 3)]),
    (130..=139, &[("hiqqah", 1), ("bint_labun", 2)]),
    (140..=149, &[("hiqqah", 2), ("bint_labun", 1)]),
    (150..=159, &[("hiqqah", 3)]),
    (160..=169, &[("bint_labun", 4)]),
    (170..=179, &[("hiqqah", 1), ("bint_labun", 3)]),
    (180..=189, &[("hiqqah", 2), ("bint_labun", 2)]),
    (190..=199, &[("hiqqah", 3), ("bint_labun", 1)]),
    (200..=200, &[("hiqqah", 4)]),
];

const CAMELS_HANAFI_ABOVE_120: Table = &[
    (121..=124, &[("hiqqah", 2)]),
    (125..=129, &[("hiqqah", 2), ("sheep", 1)]),
    (130..=134, &[("hiqqah", 2), ("sheep", 2)]),
    (135..=139, &[("hiqqah", 2), ("sheep", 3)]),
    (140..=144, &[("hiqqah", 2), ("sheep", 4)]),
    (145..=149, &[("hiqqah", 2), ("bint_makhad", 1)]),
    (150..=154, &[("hiqqah", 3)]),
    (155..=159, &[("hiqqah", 3), ("sheep", 1)]),
    (160..=164, &[("hiqqah", 3), ("sheep", 2)]),
    (165..=169, &[("hiqqah", 3), ("sheep", 3)]),
    (170..=174, &[("hiqqah", 3), ("sheep", 4)]),
    (175..=185, &[("hiqqah", 3), ("bint_makhad", 1)]),
    (186..=195, &[("hiqqah", 3), ("bint_labun", 1)]),
    (196..=200, &[("hiqqah", 4)]),
];

fn check(name: &str, tables: &[Table], due: impl Fn(u32) -> Vec<(&'static str, u32)>) {
    let mut covered = 0;
    for table in tables {
        for (range, expected) in *table {
            for count in range.clone() {
                assert_eq!(due(count), expected.to_vec(), "{name}: {count}");
                covered += 1;
            }
        }
    }
    assert_eq!(covered, 201, "{name}: the tables cover 0 to 200 once");
}

#[test]
fn sheep_from_0_to_200() {
    check("sheep", &[SHEEP], sheep);
    assert_eq!(sheep(399), vec![("sheep", 3)]);
    assert_eq!(sheep(400), vec![("sheep", 4)]);
    assert_eq!(sheep(550), vec![("sheep", 5)]);
}

#[test]
fn cattle_from_0_to_200() {
    check("cattle", &[CATTLE], cattle);
}

#[test]
fn camels_from_0_to_200_majority() {
    check(
        "camels (majority)",
        &[CAMELS_UP_TO_120, CAMELS_MAJORITY_ABOVE_120],
        |count| camels(count, CamelsAbove120::Majority),
    );
}

#[test]
fn camels_from_0_to_200_hanafi() {
    check(
        "camels (hanafi)",
        &[CAMELS_UP_TO_120, CAMELS_HANAFI_ABOVE_120],
        |count| camels(count, CamelsAbove120::Hanafi),
    );
}
