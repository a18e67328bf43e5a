//! An edition of the catalogue: read from its file, checked, and searched.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::parse::{self, Cell, Condition, ConditionKind};
use super::Tier;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEdition {
    edition: String,
    title: String,
    title_en: String,
    issued_by: String,
    in_force_from: toml::value::Datetime,
    source: String,
    articles: Vec<RawText>,
    area_types: Vec<AreaType>,
    notes: Vec<RawText>,
    items: Vec<RawItem>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawText {
    text: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    no: u32,
    section: String,
    name: String,
    codes: Vec<String>,
    report: String,
    report_form: String,
    registration: String,
    #[serde(default)]
    sensitive_areas: Option<SensitiveAreas>,
    #[serde(default)]
    page: Option<u32>,
    /// Conditions with printed quantities kept as yes/no questions on purpose.
    #[serde(default)]
    as_text: Vec<String>,
}

/// A named type of environmentally sensitive area (article 3), in one of its three classes.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AreaType {
    pub id: String,
    pub class: u8,
    /// Its name in the article's words.
    pub name: String,
}

/// An item's definition of "environmentally sensitive area", verbatim, and the types it names.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SensitiveAreas {
    pub text: String,
    pub types: Vec<String>,
}

/// A GB/T 4754 code as printed after an item's name; `*`: only in an industrial building.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemCode {
    pub code: String,
    pub industrial_building: bool,
}

/// One item (二级类别) of the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    pub no: u32,
    pub section: String,
    pub name: String,
    pub codes: Vec<ItemCode>,
    /// The report, report form and registration cells, in that order.
    pub cells: [Cell; 3],
    pub sensitive_areas: Option<SensitiveAreas>,
    /// The page of the printed text.
    pub page: Option<u32>,
}

impl Item {
    pub fn cell(&self, tier: Tier) -> &Cell {
        &self.cells[tier as usize]
    }

    pub fn conditions(&self) -> impl Iterator<Item = (Tier, &Condition)> {
        Tier::ALL
            .into_iter()
            .flat_map(move |t| self.cell(t).conditions.iter().map(move |c| (t, c)))
    }

    pub fn condition(&self, id: &str) -> Option<&Condition> {
        self.conditions().map(|(_, c)| c).find(|c| c.id == id)
    }

    /// The two-digit codes of its section (`十九、造纸和纸制品业22`: 22).
    fn section_codes(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut digits = String::new();
        for c in self.section.chars().chain(std::iter::once(' ')) {
            if c.is_ascii_digit() {
                digits.push(c);
            } else if !digits.is_empty() {
                out.push(std::mem::take(&mut digits));
            }
        }
        out
    }

    /// Whether a typed GB/T 4754 code (digits, the letter taken off) matches by prefix either
    /// way; an item without codes of its own is matched by its section's.
    pub fn matches_code(&self, digits: &str) -> bool {
        let own: Vec<String> = if self.codes.is_empty() {
            self.section_codes()
        } else {
            self.codes.iter().map(|c| c.code.clone()).collect()
        };
        own.iter()
            .any(|c| c.starts_with(digits) || digits.starts_with(c.as_str()))
    }
}

/// One edition of the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Edition {
    pub edition: String,
    pub title: String,
    pub title_en: String,
    pub issued_by: String,
    pub in_force_from: NaiveDate,
    pub source: String,
    pub articles: Vec<String>,
    pub area_types: Vec<AreaType>,
    pub notes: Vec<String>,
    pub items: Vec<Item>,
}

/// The line of the `n`-th (0-based) line of `source` that starts with `header`, 1-based.
fn line_of(source: &str, header: &str, n: usize) -> usize {
    source
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with(header))
        .nth(n)
        .map(|(i, _)| i + 1)
        .unwrap_or(0)
}

/// The line of `field =` inside the item that starts at `from`.
fn field_line(source: &str, from: usize, field: &str) -> usize {
    source
        .lines()
        .enumerate()
        .skip(from)
        .take_while(|(i, l)| *i == from || !l.starts_with("[["))
        .find(|(_, l)| l.trim_start().starts_with(&format!("{field} ")))
        .map(|(i, _)| i + 1)
        .unwrap_or(from)
}

fn valid_code(code: &str) -> bool {
    let digits = code.strip_suffix('*').unwrap_or(code);
    (2..=4).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

impl Edition {
    /// Reads and checks an edition; every problem is named with its line.
    pub fn parse(file: &str, source: &str) -> Result<Edition, Vec<String>> {
        let raw: RawEdition = toml::from_str(source)
            .map_err(|e| vec![format!("{file}: {}", e.to_string().trim_end())])?;
        let mut errors = Vec::new();
        let in_force_from = raw
            .in_force_from
            .date
            .and_then(|d| NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into()));
        if in_force_from.is_none() {
            errors.push(format!(
                "{file}, line {}: `in_force_from` must be a date",
                line_of(source, "in_force_from", 0)
            ));
        }
        if raw.edition.trim().is_empty()
            || !raw
                .edition
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            errors.push(format!(
                "{file}, line {}: `edition` must be letters, digits and -",
                line_of(source, "edition", 0)
            ));
        }
        let mut area_ids = BTreeSet::new();
        for (i, a) in raw.area_types.iter().enumerate() {
            if !area_ids.insert(a.id.clone()) || !(1..=3).contains(&a.class) {
                errors.push(format!(
                    "{file}, line {}: area type `{}` appears twice or has a class other than 1, 2 or 3",
                    line_of(source, "[[area_types]]", i),
                    a.id
                ));
            }
        }
        let mut items = Vec::new();
        for (i, r) in raw.items.into_iter().enumerate() {
            let at = line_of(source, "[[items]]", i);
            let line = |field: &str| field_line(source, at.saturating_sub(1), field);
            if r.no as usize != i + 1 {
                errors.push(format!(
                    "{file}, line {}: item {} is numbered {}; items are numbered 1 to N without gaps",
                    line("no"),
                    i + 1,
                    r.no
                ));
            }
            if r.section.trim().is_empty() || r.name.trim().is_empty() {
                errors.push(format!(
                    "{file}, line {at}: item {} needs a section and a name",
                    r.no
                ));
            }
            let mut codes = Vec::new();
            for c in &r.codes {
                let digits = c.strip_suffix('*').unwrap_or(c);
                if !valid_code(c) || !r.name.contains(c.as_str()) {
                    errors.push(format!(
                        "{file}, line {}: item {}: code `{c}` is not 2 to 4 digits (and `*`) printed in its name",
                        line("codes"),
                        r.no
                    ));
                }
                if codes.iter().any(|x: &ItemCode| x.code == digits) {
                    errors.push(format!(
                        "{file}, line {}: item {}: code `{c}` appears twice",
                        line("codes"),
                        r.no
                    ));
                }
                codes.push(ItemCode {
                    code: digits.to_string(),
                    industrial_building: c.ends_with('*'),
                });
            }
            if let Some(s) = &r.sensitive_areas {
                for t in &s.types {
                    if !area_ids.contains(t) {
                        errors.push(format!(
                            "{file}, line {}: item {}: unknown area type `{t}`",
                            line("sensitive_areas"),
                            r.no
                        ));
                    }
                }
                if s.text.trim().is_empty() || s.types.is_empty() {
                    errors.push(format!(
                        "{file}, line {}: item {}: a sensitive-area definition needs its text and the types it names",
                        line("sensitive_areas"),
                        r.no
                    ));
                }
            }
            let mut kept: BTreeSet<&str> = r.as_text.iter().map(String::as_str).collect();
            let texts = [&r.report, &r.report_form, &r.registration];
            let mut cells = Vec::new();
            for (tier, text) in Tier::ALL.into_iter().zip(texts) {
                let field = tier.as_str();
                if text.trim().is_empty() {
                    errors.push(format!(
                        "{file}, line {}: item {}: `{field}` is empty (a category that does not apply is `/`)",
                        line(field),
                        r.no
                    ));
                }
                if !parse::balanced(text) {
                    errors.push(format!(
                        "{file}, line {}: item {}: `{field}` has unbalanced brackets",
                        line(field),
                        r.no
                    ));
                }
                let (read, note) = parse::cell(r.no, tier, text);
                let mut conditions = Vec::new();
                for (id, piece, c) in read {
                    let kept_as_text = kept.remove(id.as_str());
                    if piece.trim().is_empty() {
                        errors.push(format!(
                            "{file}, line {}: item {}: condition `{id}` is empty",
                            line(field),
                            r.no
                        ));
                    }
                    if let (Some(why), false) = (c.unreadable, kept_as_text) {
                        errors.push(format!(
                            "{file}, line {}: item {}: condition `{id}` ({piece}) has {why}; list it in `as_text` to keep it as a yes/no question",
                            line(field),
                            r.no
                        ));
                    }
                    if kept_as_text && c.unreadable.is_none() {
                        errors.push(format!(
                            "{file}, line {}: item {}: condition `{id}` is read without trouble; take it out of `as_text`",
                            line("as_text"),
                            r.no
                        ));
                    }
                    conditions.push((
                        Condition {
                            id,
                            text: piece,
                            kind: c.kind,
                            actions: c.actions,
                            sensitive_area: c.sensitive_area,
                            kept_as_text,
                        },
                        c.above_pending,
                    ));
                }
                cells.push((text.clone(), conditions, note));
            }
            for id in kept {
                errors.push(format!(
                    "{file}, line {}: item {}: `as_text` names `{id}`, which is not a condition of this item",
                    line("as_text"),
                    r.no
                ));
            }
            pair_bounds(&mut cells);
            let mut cells = cells.into_iter().map(|(text, conditions, note)| Cell {
                text,
                conditions: conditions.into_iter().map(|(c, _)| c).collect(),
                note,
            });
            let (Some(report), Some(report_form), Some(registration)) =
                (cells.next(), cells.next(), cells.next())
            else {
                continue;
            };
            if [&report, &report_form, &registration]
                .iter()
                .all(|c| c.conditions.is_empty())
            {
                errors.push(format!(
                    "{file}, line {at}: item {}: every cell is `/`",
                    r.no
                ));
            }
            items.push(Item {
                no: r.no,
                section: r.section,
                name: r.name,
                codes,
                cells: [report, report_form, registration],
                sensitive_areas: r.sensitive_areas,
                page: r.page,
            });
        }
        if items.is_empty() {
            errors.push(format!("{file}: an edition needs items"));
        }
        match (errors.is_empty(), in_force_from) {
            (true, Some(in_force_from)) => Ok(Edition {
                edition: raw.edition,
                title: raw.title,
                title_en: raw.title_en,
                issued_by: raw.issued_by,
                in_force_from,
                source: raw.source,
                articles: raw.articles.into_iter().map(|a| a.text).collect(),
                area_types: raw.area_types,
                notes: raw.notes.into_iter().map(|a| a.text).collect(),
                items,
            }),
            _ => Err(errors),
        }
    }

    pub fn item(&self, no: u32) -> Option<&Item> {
        self.items.get((no as usize).checked_sub(1)?)
    }

    /// The sections in printed order, each with its items' numbers.
    pub fn sections(&self) -> Vec<(&str, Vec<u32>)> {
        let mut out: Vec<(&str, Vec<u32>)> = Vec::new();
        for item in &self.items {
            match out.last_mut() {
                Some((s, nos)) if *s == item.section => nos.push(item.no),
                _ => out.push((&item.section, vec![item.no])),
            }
        }
        out
    }

    /// Items whose name holds every word of `q` and whose codes match `code` (a GB/T 4754 code
    /// with or without its letter). `None` when `code` is not a code.
    pub fn search(&self, q: &str, code: &str) -> Option<Vec<&Item>> {
        let code = code.trim();
        let digits = code
            .strip_prefix(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(code);
        if !code.is_empty()
            && (digits.is_empty()
                || digits.len() > 6
                || !digits.bytes().all(|b| b.is_ascii_digit()))
        {
            return None;
        }
        let words: Vec<&str> = q.split_whitespace().collect();
        Some(
            self.items
                .iter()
                .filter(|i| digits.is_empty() || i.matches_code(digits))
                .filter(|i| words.iter().all(|w| i.name.contains(w)))
                .collect(),
        )
    }

    /// The paragraphs of an article (its first line and those up to the next article).
    pub fn article_text(&self, n: usize) -> Vec<&str> {
        let prefix = format!("第{}条", chinese_number(n));
        let Some(start) = self.articles.iter().position(|a| a.starts_with(&prefix)) else {
            return Vec::new();
        };
        self.articles[start..]
            .iter()
            .enumerate()
            .take_while(|(i, a)| *i == 0 || !a.starts_with('第'))
            .map(|(_, a)| a.as_str())
            .collect()
    }

    pub fn area_type(&self, id: &str) -> Option<&AreaType> {
        self.area_types.iter().find(|a| a.id == id)
    }

    /// How many conditions of each kind, and those kept as questions although they print a
    /// quantity.
    pub fn counts(&self) -> (usize, usize, Vec<&Condition>) {
        let all: Vec<&Condition> = self
            .items
            .iter()
            .flat_map(|i| i.conditions().map(|(_, c)| c))
            .collect();
        let thresholds = all
            .iter()
            .filter(|c| matches!(c.kind, ConditionKind::Threshold { .. }))
            .count();
        let kept = all.iter().copied().filter(|c| c.kept_as_text).collect();
        (all.len(), thresholds, kept)
    }
}

fn chinese_number(n: usize) -> &'static str {
    [
        "零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十",
    ]
    .get(n)
    .copied()
    .unwrap_or("")
}

/// A cell as read: its text, each condition with whether a plain `以上` waits for pairing, and
/// its note.
type ReadCell = (String, Vec<(Condition, bool)>, Option<String>);

/// Where a cell's `X以上` is paired with `X及以下` in the next cell of the same item (item 91),
/// `X以上` is strictly more than X.
fn pair_bounds(cells: &mut [ReadCell]) {
    for t in 0..cells.len().saturating_sub(1) {
        let next: Vec<(f64, String)> = cells[t + 1]
            .1
            .iter()
            .filter_map(|(c, _)| match &c.kind {
                ConditionKind::Threshold { threshold } => threshold
                    .below
                    .filter(|b| b.inclusive)
                    .map(|b| (b.value, threshold.unit.clone())),
                _ => None,
            })
            .collect();
        for (c, pending) in cells[t].1.iter_mut() {
            if !*pending {
                continue;
            }
            if let ConditionKind::Threshold { threshold } = &mut c.kind {
                let unit = threshold.unit.clone();
                if let Some(b) = threshold.at_least.as_mut() {
                    if next.iter().any(|(v, u)| *v == b.value && *u == unit) {
                        b.inclusive = false;
                    }
                }
            }
        }
    }
}

/// Every edition shipped, oldest first.
#[derive(Debug, Clone, Default)]
pub struct Catalogues {
    editions: Vec<Arc<Edition>>,
}

impl Catalogues {
    pub fn new(mut editions: Vec<Edition>) -> Result<Catalogues, String> {
        editions.sort_by_key(|e| e.in_force_from);
        let mut seen = BTreeSet::new();
        for e in &editions {
            if !seen.insert(e.edition.clone()) {
                return Err(format!("edition `{}` is shipped twice", e.edition));
            }
        }
        Ok(Catalogues {
            editions: editions.into_iter().map(Arc::new).collect(),
        })
    }

    pub fn all(&self) -> &[Arc<Edition>] {
        &self.editions
    }

    pub fn get(&self, edition: &str) -> Option<Arc<Edition>> {
        self.editions.iter().find(|e| e.edition == edition).cloned()
    }

    /// The edition in force on a day: the newest that took effect by then.
    pub fn in_force(&self, on: NaiveDate) -> Option<Arc<Edition>> {
        self.editions
            .iter()
            .rev()
            .find(|e| e.in_force_from <= on)
            .or_else(|| self.editions.first())
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub const SHIPPED: &str = include_str!("../../../workflows/classification/2021.toml");

    fn shipped() -> Edition {
        Edition::parse("2021.toml", SHIPPED).expect("the shipped edition reads")
    }

    #[test]
    fn the_shipped_edition_has_173_items_in_55_sections() {
        let e = shipped();
        assert_eq!(e.items.len(), 173);
        assert_eq!(e.sections().len(), 55);
        assert_eq!(
            e.in_force_from,
            NaiveDate::from_ymd_opt(2021, 1, 1).expect("date")
        );
        assert_eq!(e.articles.iter().filter(|a| a.starts_with('第')).count(), 7);
        assert_eq!(e.notes.len(), 6);
        assert_eq!(
            e.items
                .iter()
                .filter(|i| i.sensitive_areas.is_some())
                .count(),
            51
        );
        assert_eq!(
            e.items
                .iter()
                .filter(|i| i.codes.iter().any(|c| c.industrial_building))
                .count(),
            26
        );
        let paper = e.item(37).expect("37");
        assert_eq!(
            paper.codes,
            vec![
                ItemCode {
                    code: "221".into(),
                    industrial_building: true
                },
                ItemCode {
                    code: "222".into(),
                    industrial_building: true
                }
            ]
        );
        assert!(e.article_text(5)[0].starts_with("第五条 本名录未作规定的建设项目"));
        assert_eq!(e.article_text(3).len(), 5);
    }

    /// The official text, as extracted from the published order (with its provenance).
    const SOURCE: &str =
        include_str!("../../../workflows/classification/source/catalogue_2021.tsv.txt");

    fn bare(s: &str) -> String {
        s.chars().filter(|c| !c.is_whitespace()).collect()
    }

    #[test]
    fn every_shipped_row_is_the_official_text_character_for_character() {
        let e = shipped();
        let block = |name: &str| -> Vec<&str> {
            SOURCE
                .lines()
                .skip_while(|l| l.trim() != name)
                .skip(1)
                .take_while(|l| !l.trim().is_empty() && !l.starts_with('['))
                .collect()
        };
        let rows: Vec<Vec<&str>> = block("[表]")
            .into_iter()
            .skip(1)
            .map(|l| l.split('\t').collect())
            .collect();
        assert_eq!(rows.len(), 173);
        assert_eq!(rows.len(), e.items.len());
        for (row, item) in rows.iter().zip(&e.items) {
            let cell = |s: &str| bare(&s.replace("\\n", "\n"));
            assert_eq!(row.len(), 8, "{row:?}");
            assert_eq!(row[0], item.no.to_string());
            assert_eq!(bare(row[1]), bare(&item.section), "item {}", item.no);
            assert_eq!(bare(row[2]), bare(&item.name), "item {}", item.no);
            for (k, tier) in Tier::ALL.into_iter().enumerate() {
                assert_eq!(
                    cell(row[3 + k]),
                    bare(&item.cell(tier).text),
                    "item {} {tier:?}",
                    item.no
                );
                // The conditions and the note together are the cell again.
                let c = item.cell(tier);
                let mut again = c
                    .conditions
                    .iter()
                    .map(|c| c.text.clone())
                    .collect::<Vec<_>>()
                    .join("；");
                if c.conditions.is_empty() {
                    again = "/".into();
                }
                if let Some(n) = &c.note {
                    again.push_str(n);
                }
                assert_eq!(cell(row[3 + k]), bare(&again), "item {} {tier:?}", item.no);
            }
            let sensitive = item
                .sensitive_areas
                .as_ref()
                .map(|s| bare(&s.text))
                .unwrap_or_default();
            assert_eq!(bare(row[6]), sensitive, "item {}", item.no);
            assert_eq!(Some(row[7].parse::<u32>().expect("page")), item.page);
        }
        let articles: Vec<String> = block("[正文]").into_iter().map(bare).collect();
        assert_eq!(
            articles,
            e.articles.iter().map(|a| bare(a)).collect::<Vec<_>>()
        );
        let notes: Vec<String> = block("[说明]").into_iter().map(bare).collect();
        assert_eq!(notes, e.notes.iter().map(|a| bare(a)).collect::<Vec<_>>());
    }

    #[test]
    fn items_are_found_by_code_with_or_without_its_letter_and_by_words() {
        let e = shipped();
        let nos = |q: &str, code: &str| -> Vec<u32> {
            e.search(q, code)
                .expect("a code")
                .iter()
                .map(|i| i.no)
                .collect()
        };
        assert_eq!(nos("", "C2221"), vec![37]);
        assert_eq!(nos("", "2221"), vec![37]);
        assert_eq!(nos("", "22"), vec![37, 38]);
        assert_eq!(nos("", "C1713"), vec![28]);
        assert_eq!(nos("", "G594"), vec![149]);
        // An ordinary warehouse is not in the catalogue.
        assert!(nos("", "G5911").is_empty());
        // Items without codes of their own answer to their section's: agriculture is 01.
        assert_eq!(nos("", "A0111"), vec![1, 2]);
        assert_eq!(nos("医院", ""), vec![108, 123]);
        assert_eq!(nos("污水 再生", ""), vec![95]);
        assert!(e.search("", "C-22").is_none());
    }

    #[test]
    fn item_91_reads_65_t_per_hour_as_strictly_more_in_the_report_cell() {
        let e = shipped();
        let boiler = e.item(91).expect("91");
        let report = &boiler.cell(Tier::Report).conditions[0];
        let ConditionKind::Threshold { threshold } = &report.kind else {
            panic!("{report:?}")
        };
        assert!(!threshold.holds(65.0) && threshold.holds(65.5));
        // A plain 以上 that is not paired keeps the number (天然气锅炉 1吨/小时以上).
        let gas = &boiler.cell(Tier::ReportForm).conditions[1];
        let ConditionKind::Threshold { threshold } = &gas.kind else {
            panic!("{gas:?}")
        };
        assert!(threshold.holds(1.0));
    }

    #[test]
    fn a_broken_edition_is_refused_with_the_line_at_fault() {
        let gap = SHIPPED.replacen("no = 2\n", "no = 3\n", 1);
        let errors = Edition::parse("x.toml", &gap).expect_err("a gap");
        assert!(
            errors
                .iter()
                .any(|e| e.contains("item 2 is numbered 3") && e.starts_with("x.toml, line ")),
            "{errors:?}"
        );
        let line = SHIPPED
            .lines()
            .position(|l| l.contains("屠宰生猪10万头"))
            .expect("item 18")
            + 1;
        let unkept = SHIPPED.replacen("as_text = [\"18.report.1\"]\n", "", 1);
        let errors = Edition::parse("x.toml", &unkept).expect_err("unkept");
        assert!(
            errors
                .iter()
                .any(|e| e.contains(&format!("line {line}: item 18: condition `18.report.1`"))),
            "{errors:?}"
        );
        let bracket = SHIPPED.replacen("手工纸制造；", "手工纸制造（；", 1);
        let errors = Edition::parse("x.toml", &bracket).expect_err("bracket");
        assert!(
            errors.iter().any(|e| e.contains("unbalanced")),
            "{errors:?}"
        );
        let code = SHIPPED.replacen("codes = [\"221*\", \"222*\"]", "codes = [\"229*\"]", 1);
        let errors = Edition::parse("x.toml", &code).expect_err("code");
        assert!(errors.iter().any(|e| e.contains("`229*`")), "{errors:?}");
    }
}
