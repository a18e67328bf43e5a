//! Reading a cell of the catalogue into conditions, by the catalogue's own rules of reading:
//! split at "；" outside brackets; a trailing paragraph qualifies the whole cell; each condition
//! is a catch-all, a printed quantity threshold or range, the item's sensitive area, an action,
//! or a yes/no question in the official words.

use serde::Serialize;

use super::Tier;

/// What a project does (the catalogue names these words: 新建, 扩建 / 增建, 改建, 迁建, 退役).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ProjectAction {
    New,
    Expansion,
    Rebuild,
    Relocation,
    Decommissioning,
}

impl ProjectAction {
    pub const ALL: [ProjectAction; 5] = [
        ProjectAction::New,
        ProjectAction::Expansion,
        ProjectAction::Rebuild,
        ProjectAction::Relocation,
        ProjectAction::Decommissioning,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProjectAction::New => "new",
            ProjectAction::Expansion => "expansion",
            ProjectAction::Rebuild => "rebuild",
            ProjectAction::Relocation => "relocation",
            ProjectAction::Decommissioning => "decommissioning",
        }
    }

    pub fn parse(s: &str) -> Option<ProjectAction> {
        ProjectAction::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// The words of an action as printed, longest first.
const ACTION_WORDS: [(&str, &[ProjectAction]); 7] = [
    (
        "改、扩建",
        &[ProjectAction::Rebuild, ProjectAction::Expansion],
    ),
    ("新建", &[ProjectAction::New]),
    ("扩建", &[ProjectAction::Expansion]),
    ("增建", &[ProjectAction::Expansion]),
    ("改建", &[ProjectAction::Rebuild]),
    ("迁建", &[ProjectAction::Relocation]),
    ("退役", &[ProjectAction::Decommissioning]),
];

/// The units printed in the catalogue, longest first so that `吨/小时` is not read as `吨`.
pub const UNITS: [&str; 20] = [
    "立方米/日",
    "吨/小时",
    "兆电子伏",
    "平方米",
    "立方米",
    "吨/年",
    "吨/日",
    "吨级",
    "公里",
    "千瓦",
    "兆瓦",
    "千伏",
    "千升",
    "兆帕",
    "头",
    "只",
    "亩",
    "张",
    "件",
    "吨",
];

/// One end of a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Bound {
    pub value: f64,
    pub inclusive: bool,
}

/// A printed quantity threshold or range, in its first printed unit (`万` and `亿` expanded).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Threshold {
    pub unit: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_least: Option<Bound>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub below: Option<Bound>,
}

impl Threshold {
    /// Whether a size (in the threshold's unit) falls inside.
    pub fn holds(&self, size: f64) -> bool {
        let low = self.at_least.is_none_or(|b| {
            if b.inclusive {
                size >= b.value
            } else {
                size > b.value
            }
        });
        let high = self.below.is_none_or(|b| {
            if b.inclusive {
                size <= b.value
            } else {
                size < b.value
            }
        });
        low && high
    }
}

/// What kind of condition a piece of a cell is.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConditionKind {
    /// `全部` or `其他`: met unless the applicant says no (an exception in its brackets applies).
    CatchAll {
        #[serde(skip_serializing_if = "Option::is_none")]
        scope: Option<String>,
    },
    /// A printed quantity threshold or range: answered with the project's size.
    Threshold { threshold: Threshold },
    /// `涉及环境敏感区的`, read with the item's definition of sensitive areas.
    SensitiveArea,
    /// Only actions (`新建、扩建、退役`): decided by what the project does.
    Action,
    /// Anything else: a yes/no question in the official words.
    Question,
}

/// One condition of a cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Condition {
    /// `{item}.{tier}.{k}`, k counted from 1 in the printed order.
    pub id: String,
    /// The official words of this condition.
    pub text: String,
    #[serde(flatten)]
    pub kind: ConditionKind,
    /// The actions the text names (outside brackets); empty when it names none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<ProjectAction>,
    /// Whether the text speaks of the item's sensitive area (`涉及环境敏感区`).
    pub sensitive_area: bool,
    /// Whether the item's file keeps this condition as a question on purpose.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub kept_as_text: bool,
}

/// A cell read: `/` has no conditions; a trailing paragraph is its note.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    pub text: String,
    pub conditions: Vec<Condition>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn is_open(c: char) -> bool {
    c == '（' || c == '('
}

fn is_close(c: char) -> bool {
    c == '）' || c == ')'
}

/// Each character with how deep in brackets it stands (a bracket counts as inside).
fn depths(text: &str) -> impl Iterator<Item = (char, usize)> + '_ {
    let mut depth = 0usize;
    text.chars().map(move |c| {
        if is_open(c) {
            depth += 1;
            (c, depth)
        } else if is_close(c) {
            let inside = depth.max(1);
            depth = depth.saturating_sub(1);
            (c, inside)
        } else {
            (c, depth)
        }
    })
}

/// Splits at `sep` outside brackets.
pub fn split_outside(text: &str, sep: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    for (c, depth) in depths(text) {
        if c == sep && depth == 0 {
            parts.push(String::new());
        } else if let Some(last) = parts.last_mut() {
            last.push(c);
        }
    }
    parts
}

/// The text with every bracketed part left out.
pub fn outside_brackets(text: &str) -> String {
    depths(text)
        .filter(|(_, depth)| *depth == 0)
        .map(|(c, _)| c)
        .collect()
}

/// Whether brackets balance.
pub fn balanced(text: &str) -> bool {
    let mut depth = 0i64;
    for c in text.chars() {
        if is_open(c) {
            depth += 1;
        } else if is_close(c) {
            depth -= 1;
            if depth < 0 {
                return false;
            }
        }
    }
    depth == 0
}

/// A bound word after a quantity.
#[derive(Debug, Clone, Copy, PartialEq)]
enum BoundWord {
    /// 及以上
    AtLeast,
    /// 以上 (strict when paired with `及以下` in the next cell, or written `（不含）以上`)
    Above,
    /// 及以下
    AtMost,
    /// 以下
    Below,
}

/// A number with its unit as printed, and what follows it.
#[derive(Debug, Clone, PartialEq)]
struct Mention {
    value: f64,
    unit: Option<String>,
    bound: Option<BoundWord>,
    /// `（不含）` between the unit and the bound word.
    excluded: bool,
    /// `大于` or `不小于` before the number.
    prefix: Option<BoundWord>,
}

/// Every number outside brackets, with its unit and bound. Digits right after an ASCII letter
/// (`P3`) are a name, not a quantity.
fn mentions(text: &str) -> Vec<Mention> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if is_open(c) {
            depth += 1;
            i += 1;
            continue;
        }
        if is_close(c) {
            depth = depth.saturating_sub(1);
            i += 1;
            continue;
        }
        let after_letter = i > 0 && chars[i - 1].is_ascii_alphabetic();
        if depth > 0 || !c.is_ascii_digit() || after_letter {
            i += 1;
            continue;
        }
        let before: String = chars[..i].iter().collect();
        let prefix = if before.ends_with("不小于") {
            Some(BoundWord::AtLeast)
        } else if before.ends_with("大于") {
            Some(BoundWord::Above)
        } else {
            None
        };
        let start = i;
        while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
            i += 1;
        }
        let digits: String = chars[start..i].iter().collect();
        let mut value: f64 = digits.parse().unwrap_or(f64::NAN);
        if i < chars.len() && chars[i] == '/' {
            // A fraction (1/4): no unit a size could be given in.
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '/') {
                i += 1;
            }
            out.push(Mention {
                value: f64::NAN,
                unit: None,
                bound: None,
                excluded: false,
                prefix,
            });
            continue;
        }
        match chars.get(i) {
            Some('万') => {
                value *= 10_000.0;
                i += 1;
            }
            Some('亿') => {
                value *= 100_000_000.0;
                i += 1;
            }
            _ => {}
        }
        let rest: String = chars[i..].iter().collect();
        let unit = UNITS.iter().find(|u| rest.starts_with(**u)).copied();
        if let Some(u) = unit {
            i += u.chars().count();
        }
        // One bracket right after the unit: another unit (45.5兆瓦), an explanation, or 不含.
        let mut excluded = false;
        if unit.is_some() && chars.get(i).is_some_and(|c| is_open(*c)) {
            let mut d = 0usize;
            let open = i;
            while i < chars.len() {
                if is_open(chars[i]) {
                    d += 1;
                } else if is_close(chars[i]) {
                    d -= 1;
                    if d == 0 {
                        i += 1;
                        break;
                    }
                }
                i += 1;
            }
            let inner: String = chars[open + 1..i.saturating_sub(1)].iter().collect();
            excluded = inner == "不含";
        }
        let rest: String = chars[i..].iter().collect();
        let bound = [
            ("及以上", BoundWord::AtLeast),
            ("以上", BoundWord::Above),
            ("及以下", BoundWord::AtMost),
            ("以下", BoundWord::Below),
        ]
        .into_iter()
        .find(|(w, _)| rest.starts_with(w));
        if let Some((w, _)) = bound {
            i += w.chars().count();
        }
        out.push(Mention {
            value,
            unit: unit.map(str::to_string),
            bound: bound.map(|(_, b)| b),
            excluded,
            prefix,
        });
    }
    out
}

/// How a condition's quantities read.
#[derive(Debug, Clone, PartialEq)]
pub enum Quantities {
    None,
    /// One threshold or one range; `above_pending` when a plain `以上` waits for the item's
    /// pairing rule (strict when the next cell prints the same bound `及以下`).
    One {
        threshold: Threshold,
        above_pending: bool,
    },
    /// Quantities the reader cannot turn into one threshold: the reason.
    Unreadable(&'static str),
}

fn lower(m: &Mention) -> Option<(Bound, bool)> {
    let b = m.prefix.or(m.bound)?;
    match b {
        BoundWord::AtLeast => Some((
            Bound {
                value: m.value,
                inclusive: true,
            },
            false,
        )),
        BoundWord::Above => Some((
            Bound {
                value: m.value,
                inclusive: !(m.excluded || m.prefix == Some(BoundWord::Above)),
            },
            // Only a plain 以上 waits for the pairing rule.
            !(m.excluded || m.prefix.is_some()),
        )),
        _ => None,
    }
}

fn upper(m: &Mention) -> Option<Bound> {
    match m.bound? {
        BoundWord::AtMost => Some(Bound {
            value: m.value,
            inclusive: true,
        }),
        BoundWord::Below => Some(Bound {
            value: m.value,
            inclusive: false,
        }),
        _ => None,
    }
}

/// Reads the quantities of a condition's text.
pub fn quantities(text: &str) -> Quantities {
    let ms = mentions(text);
    if ms.is_empty() {
        return Quantities::None;
    }
    if ms.iter().any(|m| m.unit.is_none() || !m.value.is_finite()) {
        return Quantities::Unreadable("a number without a unit the catalogue prints");
    }
    if ms.iter().any(|m| m.bound.is_none() && m.prefix.is_none()) {
        return Quantities::Unreadable("a quantity without 以上 or 以下");
    }
    if outside_brackets(text).contains('或') {
        return Quantities::Unreadable("one of several alternatives (或)");
    }
    let unit = ms[0].unit.clone().unwrap_or_default();
    match ms.as_slice() {
        [m] => {
            if let Some((b, pending)) = lower(m) {
                Quantities::One {
                    threshold: Threshold {
                        unit,
                        at_least: Some(b),
                        below: None,
                    },
                    above_pending: pending,
                }
            } else if let Some(b) = upper(m) {
                Quantities::One {
                    threshold: Threshold {
                        unit,
                        at_least: None,
                        below: Some(b),
                    },
                    above_pending: false,
                }
            } else {
                Quantities::Unreadable("a quantity without 以上 or 以下")
            }
        }
        [a, b] if a.unit == b.unit => {
            let (lo, hi) = match (lower(a), upper(b), lower(b), upper(a)) {
                (Some(lo), Some(hi), _, _) => (lo, hi),
                (_, _, Some(lo), Some(hi)) => (lo, hi),
                _ => return Quantities::Unreadable("two quantities that are not a range"),
            };
            if lo.0.value >= hi.value {
                return Quantities::Unreadable("a range whose ends are the wrong way round");
            }
            Quantities::One {
                threshold: Threshold {
                    unit,
                    at_least: Some(lo.0),
                    below: Some(hi),
                },
                above_pending: lo.1,
            }
        }
        _ => Quantities::Unreadable("several quantities in one condition"),
    }
}

/// The actions a condition's text names outside brackets, and the text without them.
fn actions(outer: &str) -> (Vec<ProjectAction>, String) {
    let mut found = Vec::new();
    let mut rest = outer.to_string();
    for (word, acts) in ACTION_WORDS {
        if rest.contains(word) {
            rest = rest.replace(word, "");
            for a in acts {
                if !found.contains(a) {
                    found.push(*a);
                }
            }
        }
    }
    found.sort();
    (found, rest)
}

fn speaks_of_sensitive_area(outer: &str) -> bool {
    outer
        .match_indices("涉及环境敏感区")
        .any(|(i, _)| !outer[..i].ends_with('不'))
}

/// A condition read from its text, before the item's pairing rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Read {
    pub kind: ConditionKind,
    pub actions: Vec<ProjectAction>,
    pub sensitive_area: bool,
    pub above_pending: bool,
    /// Why its quantities could not be read, when they could not.
    pub unreadable: Option<&'static str>,
}

/// Reads one condition.
pub fn read(text: &str) -> Read {
    let outer = outside_brackets(text);
    let (acts, rest) = actions(&outer);
    let bare = rest.trim_end_matches('的').replace('、', "");
    let sensitive_area = speaks_of_sensitive_area(&outer);
    let trimmed = outer.trim_end_matches('的');
    let mut above_pending = false;
    let mut unreadable = None;
    let kind = if trimmed == "全部" || trimmed == "其他" {
        let scope = text
            .find(['（', '('])
            .map(|i| text[i..].to_string())
            .filter(|s| !s.is_empty());
        ConditionKind::CatchAll { scope }
    } else {
        match quantities(text) {
            Quantities::One {
                threshold,
                above_pending: p,
            } => {
                above_pending = p;
                ConditionKind::Threshold { threshold }
            }
            Quantities::Unreadable(why) => {
                unreadable = Some(why);
                ConditionKind::Question
            }
            Quantities::None if !acts.is_empty() && bare.is_empty() => ConditionKind::Action,
            Quantities::None if bare == "涉及环境敏感区" => ConditionKind::SensitiveArea,
            Quantities::None => ConditionKind::Question,
        }
    };
    Read {
        kind,
        actions: acts,
        sensitive_area,
        above_pending,
        unreadable,
    }
}

/// Splits a cell into its conditions and trailing note (after a newline).
pub fn cell(no: u32, tier: Tier, text: &str) -> (Vec<(String, String, Read)>, Option<String>) {
    let (main, note) = match text.split_once('\n') {
        Some((m, n)) => (m, Some(n.trim().to_string())),
        None => (text, None),
    };
    if main.trim() == "/" {
        return (Vec::new(), note);
    }
    let conditions = split_outside(main, '；')
        .into_iter()
        .enumerate()
        .map(|(k, piece)| {
            let id = format!("{no}.{}.{}", tier.as_str(), k + 1);
            let r = read(&piece);
            (id, piece, r)
        })
        .collect();
    (conditions, note)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn threshold(text: &str) -> Threshold {
        match quantities(text) {
            Quantities::One { threshold, .. } => threshold,
            other => panic!("{text}: {other:?}"),
        }
    }

    fn at_least(v: f64) -> Option<Bound> {
        Some(Bound {
            value: v,
            inclusive: true,
        })
    }

    #[test]
    fn cells_split_at_semicolons_outside_brackets_and_keep_their_note() {
        let (cs, note) = cell(
            67,
            Tier::Report,
            "有电镀工艺的；有钝化工艺的热镀锌；使用有机涂层的（喷粉、喷塑、浸塑和电泳除外；年用溶剂型涂料（含稀释剂）10吨以下和用非溶剂型低VOCs含量涂料的除外）",
        );
        assert_eq!(cs.len(), 3);
        assert_eq!(cs[2].0, "67.report.3");
        assert!(cs[2].1.ends_with("的除外）"));
        assert_eq!(note, None);
        let (cs, note) = cell(
            20,
            Tier::ReportForm,
            "不含发酵工艺的淀粉、淀粉糖制造；淀粉制品制造；豆制品制造\n以上均不含单纯分装的",
        );
        assert_eq!(cs.len(), 3);
        assert_eq!(note.as_deref(), Some("以上均不含单纯分装的"));
        assert!(cell(1, Tier::Report, "/").0.is_empty());
    }

    #[test]
    fn kinds_follow_the_words() {
        let k = |t: &str| read(t).kind;
        assert!(
            matches!(k("全部（手工纸、加工纸制造除外）"), ConditionKind::CatchAll { scope: Some(s) } if s == "（手工纸、加工纸制造除外）")
        );
        assert!(matches!(k("其他"), ConditionKind::CatchAll { scope: None }));
        // 其他 followed by more words names a kind of project: a question.
        assert_eq!(k("其他屠宰"), ConditionKind::Question);
        assert_eq!(k("涉及环境敏感区的"), ConditionKind::SensitiveArea);
        assert_eq!(
            k("涉及环境敏感区的（含内部集输管线建设）"),
            ConditionKind::SensitiveArea
        );
        assert_eq!(k("新建、扩建、退役"), ConditionKind::Action);
        assert_eq!(read("新建、扩建、退役").actions.len(), 3);
        assert_eq!(k("新建"), ConditionKind::Action);
        let r = read("新建涉及环境敏感区的");
        assert_eq!(
            (r.kind, r.actions, r.sensitive_area),
            (ConditionKind::SensitiveArea, vec![ProjectAction::New], true)
        );
        assert_eq!(k("手工纸制造"), ConditionKind::Question);
        assert!(!read("不涉及环境敏感区的三级、四级公路").sensitive_area);
        // Actions inside brackets are not the condition's.
        assert!(
            read("全部（含新建或扩建的独立尾矿库；不含单独的矿石破碎、集运）")
                .actions
                .is_empty()
        );
        assert_eq!(
            read("以上项目的改、扩建（不含在已许可场所增加）").actions,
            vec![ProjectAction::Expansion, ProjectAction::Rebuild]
        );
    }

    #[test]
    fn thresholds_read_units_ten_thousands_and_bounds() {
        let t = threshold("年出栏生猪5000头（其他畜禽种类折合猪的养殖量）及以上的规模化畜禽养殖");
        assert_eq!(
            (t.unit.as_str(), t.at_least, t.below),
            ("头", at_least(5000.0), None)
        );
        let t = threshold("新建、扩建日处理10万吨及以上城乡污水处理的");
        assert_eq!(t.at_least, at_least(100_000.0));
        let t = threshold("年生产能力1亿立方米及以上的煤层气开采");
        assert_eq!((t.unit.as_str(), t.at_least), ("立方米", at_least(1e8)));
        let t = threshold("燃煤、燃油锅炉总容量65吨/小时（45.5兆瓦）及以下的");
        assert_eq!(t.unit, "吨/小时");
        assert_eq!(
            t.below,
            Some(Bound {
                value: 65.0,
                inclusive: true
            })
        );
        let t = threshold("新建30公里（不含）以上的二级及以上等级公路");
        assert_eq!(
            t.at_least,
            Some(Bound {
                value: 30.0,
                inclusive: false
            })
        );
        let t = threshold("住院床位20张以下的（不含20张住院床位的）");
        assert_eq!(
            t.below,
            Some(Bound {
                value: 20.0,
                inclusive: false
            })
        );
        // Ranges, in either order.
        let t = threshold("用海面积1000亩以下300亩及以上的网箱养殖");
        assert_eq!(
            (t.at_least, t.below.map(|b| b.value)),
            (at_least(300.0), Some(1000.0))
        );
        let t = threshold("涉及环境敏感区的容积5万立方米及以上500万立方米以下的人工湖、人工湿地");
        assert_eq!(
            (t.at_least, t.below.map(|b| b.value)),
            (at_least(50_000.0), Some(5_000_000.0))
        );
        let t = threshold("吞吐（储）50万吨（万立方米）及以上的粉煤灰和废弃物储藏工程");
        assert_eq!((t.unit.as_str(), t.at_least), ("吨", at_least(500_000.0)));
        let t = threshold("单个泊位1000吨级及以上的内河港口");
        assert_eq!(t.unit, "吨级");
        let t = threshold("爆破挤淤、炸礁（岩）量在0.2万立方米及以上的水下炸礁（岩）及爆破工程");
        assert_eq!(t.at_least, at_least(2000.0));
        // P3 is a name; numbers inside brackets are exceptions, not the condition's size.
        assert_eq!(quantities("P3、P4生物安全实验室"), Quantities::None);
        assert_eq!(
            quantities("有发酵工艺的（年生产能力1000千升以下的除外）"),
            Quantities::None
        );
    }

    #[test]
    fn what_is_not_one_threshold_is_said() {
        for text in [
            "屠宰生猪10万头、肉牛1万头、肉羊15万只、禽类1000万只及以上的",
            "年用溶剂型胶粘剂10吨及以上的，或年用溶剂型处理剂3吨及以上的",
            "年补水量占引水河流引水断面天然年径流量1/4及以上的人工湖、人工湿地",
            "挖沟埋设单条管道长度20公里及以上或涉及环境敏感区的油气集输管道、电（光）缆工程",
            "营业面积5000平方米及以上且年用非溶剂型低VOCs含量涂料10吨及以上的",
        ] {
            assert!(
                matches!(quantities(text), Quantities::Unreadable(_)),
                "{text}"
            );
        }
    }

    #[test]
    fn a_threshold_holds_at_and_around_its_bounds() {
        let t = threshold("新建、扩建住院床位500张及以上的");
        assert!(t.holds(500.0) && t.holds(500.5) && !t.holds(499.0));
        let t = threshold("住院床位20张以下的（不含20张住院床位的）");
        assert!(t.holds(19.0) && !t.holds(20.0) && !t.holds(21.0));
        let t = threshold("其他处置方式日处置能力50吨以下10吨及以上的");
        assert!(t.holds(10.0) && t.holds(49.9) && !t.holds(50.0) && !t.holds(9.9));
        let t = threshold("新建30公里（不含）以上的二级及以上等级公路");
        assert!(!t.holds(30.0) && t.holds(30.1) && !t.holds(29.0));
        let t = threshold("燃煤、燃油锅炉总容量65吨/小时（45.5兆瓦）及以下的");
        assert!(t.holds(65.0) && !t.holds(65.1) && t.holds(64.0));
        let t = threshold("地面集中光伏电站总容量大于6000千瓦");
        assert!(!t.holds(6000.0) && t.holds(6001.0));
        let t = threshold("接入电压等级不小于10千伏");
        assert!(t.holds(10.0) && !t.holds(9.9));
    }
}
