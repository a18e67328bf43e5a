//! The pre-licence approval catalogue (EIA.md, "Before a business licence"): items a business
//! needs approved before it is licensed, each with a status history (pre-licence, moved after
//! the licence, abolished, merged into another item) and effective dates. Pure: parsing import
//! rows, the status of an item on a date, and the reduction report.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Needed before the business licence.
    PreLicence,
    /// Still needed, but after the licence (后置).
    PostLicence,
    Abolished,
    /// Folded into another item (`merged_into`).
    Merged,
}

impl Status {
    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "pre_licence" => Some(Status::PreLicence),
            "post_licence" => Some(Status::PostLicence),
            "abolished" => Some(Status::Abolished),
            "merged" => Some(Status::Merged),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::PreLicence => "pre_licence",
            Status::PostLicence => "post_licence",
            Status::Abolished => "abolished",
            Status::Merged => "merged",
        }
    }
}

/// One item of the catalogue with its history, oldest change first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    pub code: String,
    pub name: String,
    pub authority: String,
    pub legal_basis: String,
    /// The kinds of business it applies to; `*` for every kind.
    pub business_kinds: Vec<String>,
    pub history: Vec<Change>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub status: Status,
    pub effective_from: NaiveDate,
    pub merged_into: Option<String>,
}

impl Item {
    /// The status in force on `on`: the latest change effective on or before it; `None` before
    /// the item existed.
    pub fn status_on(&self, on: NaiveDate) -> Option<&Change> {
        self.history
            .iter()
            .filter(|c| c.effective_from <= on)
            .max_by_key(|c| c.effective_from)
    }

    pub fn is_pre_licence_on(&self, on: NaiveDate) -> bool {
        self.status_on(on)
            .is_some_and(|c| c.status == Status::PreLicence)
    }

    /// True if it applies to this kind of business (or to every kind).
    pub fn applies_to(&self, business: &str) -> bool {
        self.business_kinds
            .iter()
            .any(|k| k == "*" || k == business)
    }
}

/// The pre-licence items for a kind of business (or every item, for `None`) on a date, by code.
pub fn pre_licence_on<'a>(
    items: &'a [Item],
    on: NaiveDate,
    business: Option<&str>,
) -> Vec<&'a Item> {
    let mut out: Vec<&Item> = items
        .iter()
        .filter(|i| i.is_pre_licence_on(on))
        .filter(|i| business.is_none_or(|b| i.applies_to(b)))
        .collect();
    out.sort_by(|a, b| a.code.cmp(&b.code));
    out
}

/// One authority's line in the reduction report.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Reduction {
    pub authority: String,
    pub baseline: usize,
    pub on: usize,
    pub reduced: i64,
    /// Of the baseline's items, what became of them by the later date.
    pub moved_after_licence: usize,
    pub abolished: usize,
    pub merged: usize,
    /// The reduction as a percentage of the baseline, one decimal.
    pub reduced_pct: f64,
}

fn line(authority: String, items: &[&Item], baseline: NaiveDate, on: NaiveDate) -> Reduction {
    let before: Vec<&&Item> = items
        .iter()
        .filter(|i| i.is_pre_licence_on(baseline))
        .collect();
    let after = items.iter().filter(|i| i.is_pre_licence_on(on)).count();
    let fate = |s: Status| {
        before
            .iter()
            .filter(|i| i.status_on(on).is_some_and(|c| c.status == s))
            .count()
    };
    let reduced = before.len() as i64 - after as i64;
    Reduction {
        authority,
        baseline: before.len(),
        on: after,
        reduced,
        moved_after_licence: fate(Status::PostLicence),
        abolished: fate(Status::Abolished),
        merged: fate(Status::Merged),
        reduced_pct: if before.is_empty() {
            0.0
        } else {
            (reduced as f64 * 1000.0 / before.len() as f64).round() / 10.0
        },
    }
}

/// The reduction report: per authority, and in total (authority `*`), the pre-licence items at
/// the baseline date against another date.
pub fn reduction(items: &[Item], baseline: NaiveDate, on: NaiveDate) -> Vec<Reduction> {
    let mut by_authority: BTreeMap<&str, Vec<&Item>> = BTreeMap::new();
    for i in items {
        by_authority
            .entry(i.authority.as_str())
            .or_default()
            .push(i);
    }
    let mut out: Vec<Reduction> = by_authority
        .into_iter()
        .map(|(a, list)| line(a.to_string(), &list, baseline, on))
        .filter(|r| r.baseline > 0 || r.on > 0)
        .collect();
    let all: Vec<&Item> = items.iter().collect();
    out.push(line("*".into(), &all, baseline, on));
    out
}

/// One row of an import file (CSV with a header; see `workflows/catalogue/README.md`).
#[derive(Debug, Clone, Deserialize)]
pub struct ImportRow {
    pub code: String,
    pub name: String,
    pub authority: String,
    pub legal_basis: String,
    pub business_kinds: String,
    pub status: String,
    pub effective_from: String,
    #[serde(default)]
    pub merged_into: Option<String>,
}

fn code_ok(c: &str) -> bool {
    (1..=20).contains(&c.len())
        && c.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
}

fn kind_ok(k: &str) -> bool {
    k == "*"
        || ((1..=40).contains(&k.len())
            && k.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'))
}

/// Validates import rows (numbered by their line in the file) against each other and against
/// the codes already stored; answers the items they describe, or every problem, by line.
pub fn check_import(
    rows: &[(usize, ImportRow)],
    known_codes: &BTreeSet<String>,
) -> Result<Vec<Item>, Vec<(usize, String, super::Msg)>> {
    let mut problems = Vec::new();
    let mut items: BTreeMap<String, Item> = BTreeMap::new();
    let file_codes: BTreeSet<&str> = rows.iter().map(|(_, r)| r.code.trim()).collect();
    for (line, r) in rows {
        let mut bad = |field: &str, m: super::Msg| problems.push((*line, field.to_string(), m));
        let code = r.code.trim();
        if !code_ok(code) {
            bad("code", crate::msg!("err-licence-code"));
        }
        for (field, value, max) in [
            ("name", &r.name, 200),
            ("authority", &r.authority, 100),
            ("legal_basis", &r.legal_basis, 300),
        ] {
            if value.trim().is_empty() || value.trim().chars().count() > max {
                bad(field, crate::msg!("err-required-at-most", max = max));
            }
        }
        let kinds: Vec<String> = r
            .business_kinds
            .split(';')
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty())
            .collect();
        if kinds.is_empty() || !kinds.iter().all(|k| kind_ok(k)) {
            bad("business_kinds", crate::msg!("err-business-kinds"));
        }
        let status = Status::parse(r.status.trim());
        if status.is_none() {
            bad("status", crate::msg!("err-licence-status"));
        }
        let date = NaiveDate::parse_from_str(r.effective_from.trim(), "%Y-%m-%d").ok();
        if date.is_none() {
            bad("effective_from", crate::msg!("err-date"));
        }
        let merged_into = r
            .merged_into
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(str::to_string);
        match (status, &merged_into) {
            (Some(Status::Merged), None) => {
                bad("merged_into", crate::msg!("err-merged-needs-target"))
            }
            (Some(Status::Merged), Some(m)) => {
                if m == code {
                    bad("merged_into", crate::msg!("err-merged-into-itself"));
                } else if !file_codes.contains(m.as_str()) && !known_codes.contains(m) {
                    bad("merged_into", crate::msg!("err-merged-unknown", code = m));
                }
            }
            (Some(_), Some(_)) => bad("merged_into", crate::msg!("err-merged-only")),
            _ => {}
        }
        let (Some(status), Some(date)) = (status, date) else {
            continue;
        };
        let item = items.entry(code.to_string()).or_insert_with(|| Item {
            code: code.to_string(),
            name: r.name.trim().to_string(),
            authority: r.authority.trim().to_string(),
            legal_basis: r.legal_basis.trim().to_string(),
            business_kinds: kinds.clone(),
            history: Vec::new(),
        });
        if item.name != r.name.trim()
            || item.authority != r.authority.trim()
            || item.legal_basis != r.legal_basis.trim()
            || item.business_kinds != kinds
        {
            bad(
                "code",
                crate::msg!("err-licence-described-twice", code = code),
            );
        }
        match item.history.iter().find(|c| c.effective_from == date) {
            Some(c) if c.status != status || c.merged_into != merged_into => bad(
                "effective_from",
                crate::msg!("err-licence-status-twice", code = code, date = date),
            ),
            Some(_) => {}
            None => item.history.push(Change {
                status,
                effective_from: date,
                merged_into,
            }),
        }
    }
    if !problems.is_empty() {
        problems.sort();
        return Err(problems);
    }
    let mut out: Vec<Item> = items.into_values().collect();
    for i in &mut out {
        i.history.sort_by_key(|c| c.effective_from);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn item(code: &str, authority: &str, kinds: &[&str], history: &[(&str, Status)]) -> Item {
        Item {
            code: code.into(),
            name: format!("item {code}"),
            authority: authority.into(),
            legal_basis: "basis".into(),
            business_kinds: kinds.iter().map(|k| k.to_string()).collect(),
            history: history
                .iter()
                .map(|(date, status)| Change {
                    status: *status,
                    effective_from: d(date),
                    merged_into: (*status == Status::Merged).then(|| "A".to_string()),
                })
                .collect(),
        }
    }

    #[test]
    fn status_on_a_date_is_the_latest_change_in_force() {
        let i = item(
            "B",
            "x",
            &["*"],
            &[
                ("2014-01-01", Status::PreLicence),
                ("2015-10-01", Status::PostLicence),
            ],
        );
        assert!(!i.is_pre_licence_on(d("2013-12-31")), "before it existed");
        assert!(i.is_pre_licence_on(d("2014-01-01")));
        assert!(i.is_pre_licence_on(d("2015-09-30")));
        assert!(!i.is_pre_licence_on(d("2015-10-01")), "the day it moved");
    }

    #[test]
    fn the_reduction_report_counts_per_authority_and_in_total() {
        let items = vec![
            item("A", "land", &["*"], &[("2014-01-01", Status::PreLicence)]),
            item(
                "B",
                "land",
                &["mining"],
                &[
                    ("2014-01-01", Status::PreLicence),
                    ("2016-01-01", Status::Merged),
                ],
            ),
            item(
                "C",
                "water",
                &["chemical"],
                &[
                    ("2014-01-01", Status::PreLicence),
                    ("2016-01-01", Status::Abolished),
                ],
            ),
        ];
        let r = reduction(&items, d("2015-01-01"), d("2017-01-01"));
        let total = r.last().expect("total");
        assert_eq!(
            (
                total.baseline,
                total.on,
                total.reduced,
                total.merged,
                total.abolished
            ),
            (3, 1, 2, 1, 1)
        );
        assert_eq!(total.reduced_pct, 66.7);
        assert_eq!(r[0].authority, "land");
        assert_eq!((r[0].baseline, r[0].on), (2, 1));
        let mining = pre_licence_on(&items, d("2015-01-01"), Some("mining"));
        assert_eq!(
            mining.iter().map(|i| i.code.as_str()).collect::<Vec<_>>(),
            vec!["A", "B"]
        );
    }

    #[test]
    fn import_rows_are_checked_by_line() {
        let row = |code: &str, status: &str, date: &str, merged: Option<&str>| ImportRow {
            code: code.into(),
            name: "n".into(),
            authority: "a".into(),
            legal_basis: "b".into(),
            business_kinds: "*".into(),
            status: status.into(),
            effective_from: date.into(),
            merged_into: merged.map(str::to_string),
        };
        let ok = check_import(
            &[
                (2, row("A", "pre_licence", "2014-01-01", None)),
                (3, row("B", "pre_licence", "2014-01-01", None)),
                (4, row("B", "merged", "2016-01-01", Some("A"))),
            ],
            &BTreeSet::new(),
        )
        .expect("valid");
        assert_eq!(ok.len(), 2);
        let bad = check_import(
            &[
                (2, row("a b", "pre_licence", "2014-01-01", None)),
                (3, row("C", "gone", "2014-13-01", None)),
                (4, row("D", "merged", "2016-01-01", Some("NOPE"))),
            ],
            &BTreeSet::new(),
        )
        .expect_err("invalid");
        let fields: Vec<(usize, &str)> = bad.iter().map(|(l, f, _)| (*l, f.as_str())).collect();
        assert_eq!(
            fields,
            vec![
                (2, "code"),
                (3, "effective_from"),
                (3, "status"),
                (4, "merged_into")
            ]
        );
    }
}
