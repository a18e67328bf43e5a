//! Forms generated from what the workflows declare: the case-data form from a workflow's data
//! schema, an action's form from its payload fields; and the reverse, from the submitted fields
//! to the JSON the use cases take. Validation stays in the use cases: what cannot even be read
//! (a number that is not one) is reported here, everything else by the same checks as the API.

use serde_json::{json, Map, Value};

use super::i18n::{self, Lang};
use super::session::FormData;
use crate::domain::FieldErrors;
use crate::engine::definition::FieldSpec;
use crate::engine::{DataSchema, FieldKind};

// ------------------------------------------------------------------ errors

/// One message next to one field.
#[derive(Debug, Clone)]
pub struct FieldError {
    pub field: String,
    /// The field's label, for the summary at the top ("" when the message says it all).
    pub label: String,
    pub message: String,
    code: Option<String>,
}

impl FieldError {
    pub fn anchor(&self) -> String {
        anchor(&self.field)
    }
}

/// The id of a field's input: `f-` and the field's name (`quantities.x` is `quantities`'s).
pub fn anchor(field: &str) -> String {
    let base = field.split(['.', '[']).next().unwrap_or(field);
    let slug: String = base
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("f-{slug}")
}

/// A date typed in a filter (`YYYY-MM-DD`): `None` when empty; a value that cannot be read is
/// named in `errors` and left out.
pub fn optional_date(
    lang: Lang,
    errors: &mut Errors,
    field: &str,
    value: &Option<String>,
) -> Option<chrono::NaiveDate> {
    let v = value.as_deref().filter(|s| !s.is_empty())?;
    match v.parse::<chrono::NaiveDate>() {
        Ok(d) => Some(d),
        Err(_) => {
            errors.add(field, lang, "form-date");
            None
        }
    }
}

/// The errors of a form, in the order they are shown.
#[derive(Debug, Clone, Default)]
pub struct Errors {
    items: Vec<FieldError>,
}

impl Errors {
    /// A message from the translation files.
    pub fn add(&mut self, field: &str, lang: Lang, id: &str) {
        self.items.push(FieldError {
            field: field.to_string(),
            label: String::new(),
            message: i18n::t(lang, id),
            code: Some(id.to_string()),
        });
    }

    /// A message already in the page's language.
    pub fn push(&mut self, field: &str, message: String) {
        self.items.push(FieldError {
            field: field.to_string(),
            label: String::new(),
            message,
            code: None,
        });
    }

    /// The use case's field errors, translated; `base` names the field of a nested form
    /// (`quantities.annual_t` belongs to `quantities`). Fields already reported are skipped.
    pub fn extend_from(&mut self, lang: Lang, fields: &FieldErrors) {
        for (field, messages) in &fields.0 {
            let base = field.split(['.', '[']).next().unwrap_or(field).to_string();
            if self.items.iter().any(|e| e.field == base) {
                continue;
            }
            for m in messages {
                self.items.push(FieldError {
                    field: base.clone(),
                    label: String::new(),
                    message: i18n::msg(lang, m),
                    code: None,
                });
            }
        }
    }

    /// Gives each error the label its field has on the form (for the summary).
    pub fn label_with(&mut self, label: impl Fn(&str) -> Option<String>) {
        for e in &mut self.items {
            if let Some(l) = label(&e.field) {
                e.label = l;
            }
        }
    }

    /// Moves the errors of field `from` to field `to` (a value typed in another unit).
    pub fn rename(&mut self, from: &str, to: &str) {
        for e in &mut self.items {
            if e.field == from {
                e.field = to.to_string();
            }
        }
    }

    pub fn has_code(&self, id: &str) -> bool {
        self.items.iter().any(|e| e.code.as_deref() == Some(id))
    }

    /// The first message for a field.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.items
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn anchor_of(&self, field: &str) -> String {
        anchor(field)
    }

    pub fn items(&self) -> &[FieldError] {
        &self.items
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

// ------------------------------------------------------------------ fields

/// How a field is entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One line of text.
    Text,
    /// Several lines of text.
    LongText,
    /// A whole number.
    Integer,
    /// A decimal number.
    Decimal,
    /// An amount in yuan, stored in fen.
    Money,
    /// `YYYY-MM-DD`.
    Date,
    /// The id of another case.
    CaseId,
    /// One of fixed values.
    Choice(&'static [&'static str]),
    /// One of fixed numbers (`sensitive_area`: 1, 2, 3).
    NumberChoice(&'static [&'static str]),
    /// A list, one item per line.
    Lines,
    /// Named numbers, one `name = value` per line.
    Quantities,
    /// A site: a point (longitude, latitude) or a polygon.
    Location,
    /// A planned area: a polygon only.
    Area,
    /// Set by the workflow (the category a workflow takes); shown, not entered.
    Fixed,
    /// Several of fixed values (payload lists with allowed values).
    Several,
    /// Yes or no.
    Flag,
}

/// A field of a workflow's case data.
#[derive(Debug, Clone, Copy)]
pub struct DataField {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
}

const fn f(name: &'static str, kind: Kind, required: bool) -> DataField {
    DataField {
        name,
        kind,
        required,
    }
}

pub const PLAN_TYPES: &[&str] = &[
    "industrial_park",
    "river_basin",
    "urban",
    "transport",
    "other",
];

const EIA_PROJECT: &[DataField] = {
    use Kind::*;
    &[
        f("project_name", Text, true),
        f("credit_code", Text, true),
        f("industry_code", Text, true),
        f("category", Fixed, true),
        f("place", Text, false),
        f("location", Location, true),
        f("investment_fen", Money, true),
        f("pre_consultation", CaseId, false),
        f("supersedes", CaseId, false),
    ]
};
const PLANNING: &[DataField] = {
    use Kind::*;
    &[
        f("plan_name", Text, true),
        f("plan_type", Choice(PLAN_TYPES), true),
        f("area", Area, true),
        f("area_km2", Decimal, false),
        f("credit_code", Text, false),
    ]
};
const CONSULTATION: &[DataField] = {
    use Kind::*;
    &[
        f("project_name", Text, true),
        f("credit_code", Text, true),
        f("industry_code", Text, true),
        f("project_type", Text, false),
        f("location", Location, true),
        f("question", LongText, true),
    ]
};
const REREVIEW: &[DataField] = {
    use Kind::*;
    &[
        f("approved_case", CaseId, true),
        f("project_name", Text, true),
        f("approved_on", Date, true),
        f("construction_start", Date, true),
        f("reason", LongText, false),
    ]
};
const LICENCE: &[DataField] = {
    use Kind::*;
    &[
        f("business_name", Text, true),
        f("business_kind", Text, true),
        f("credit_code", Text, false),
    ]
};

const POLLUTANTS: &[&str] = &["COD", "NH3-N", "SO2", "NOx"];
const CLEARING: &[&str] = &["uniform", "pay_as_bid"];
/// A listing or a negotiated transfer: the rights, the amount, the price per kg; a listing's
/// window, a transfer's buyer.
const LOT: &[DataField] = {
    use Kind::*;
    &[
        f("project_name", Text, false),
        f("pollutant", Choice(POLLUTANTS), true),
        f("basin", Choice(&crate::domain::ledger::NAMED_BASINS), true),
        f("valid_to", Date, true),
        f("amount_kg", Integer, true),
        f("price_fen", Money, true),
        f("buyer", Text, false),
        f("window_hours", Integer, false),
    ]
};
const AUCTION_LOT: &[DataField] = {
    use Kind::*;
    &[
        f("project_name", Text, false),
        f("pollutant", Choice(POLLUTANTS), true),
        f("basin", Choice(&crate::domain::ledger::NAMED_BASINS), true),
        f("valid_to", Date, true),
        f("amount_kg", Integer, true),
        f("reserve_price_fen", Money, true),
        f("increment_fen", Money, true),
        f("clearing", Choice(CLEARING), true),
        f("max_share_pct", Integer, false),
        f("window_hours", Integer, true),
        f("deposit_fen", Money, true),
        f("basin_rule", Flag, false),
    ]
};

/// The case-data form of a workflow: its schema's fields, less those the workflow does not use
/// (a listing has no buyer; a negotiated transfer has no window).
pub fn fields_of(def: &crate::engine::Definition) -> Vec<DataField> {
    let unused: &[&str] = match def.key.as_str() {
        "listing" => &["buyer"],
        "negotiated_transfer" => &["window_hours"],
        _ => &[],
    };
    def.data
        .map(data_fields)
        .unwrap_or(&[])
        .iter()
        .filter(|f| !unused.contains(&f.name))
        .copied()
        .collect()
}

/// The case-data form of a schema, in the order an applicant fills it in.
pub fn data_fields(schema: DataSchema) -> &'static [DataField] {
    match schema {
        DataSchema::EiaProject => EIA_PROJECT,
        DataSchema::Planning => PLANNING,
        DataSchema::Consultation => CONSULTATION,
        DataSchema::Rereview => REREVIEW,
        DataSchema::BusinessLicence => LICENCE,
        DataSchema::Lot => LOT,
        DataSchema::AuctionLot => AUCTION_LOT,
    }
}

/// A field as a template draws it. `control` says which input: `text`, `textarea`, `number`,
/// `date`, `select`, `radios`, `checkboxes`, `checkbox`, `location`, `area`, `fixed`.
#[derive(Debug, Clone)]
pub struct FieldView {
    pub name: String,
    pub anchor: String,
    pub label: String,
    pub hint: String,
    pub required: bool,
    pub control: &'static str,
    pub value: String,
    /// For choices: (value, label, chosen).
    pub options: Vec<(String, String, bool)>,
    /// For a site: "point" or "polygon", and the entered parts.
    pub mode: String,
    pub lon: String,
    pub lat: String,
    pub polygon: String,
    pub inputmode: &'static str,
    pub error: Option<String>,
}

impl FieldView {
    fn new(name: &str, label: String, hint: String, required: bool, control: &'static str) -> Self {
        FieldView {
            name: name.to_string(),
            anchor: anchor(name),
            label,
            hint,
            required,
            control,
            value: String::new(),
            options: Vec::new(),
            mode: "point".into(),
            lon: String::new(),
            lat: String::new(),
            polygon: String::new(),
            inputmode: "",
            error: None,
        }
    }

    /// The ids the input is described by (hint and error).
    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if !self.hint.is_empty() {
            ids.push(format!("{}-hint", self.anchor));
        }
        if self.error.is_some() {
            ids.push(format!("{}-error", self.anchor));
        }
        ids.join(" ")
    }
}

/// The label of a case-data field in `lang`.
pub fn data_label(lang: Lang, name: &str) -> String {
    i18n::t(lang, &format!("data-{}", name.replace('_', "-")))
}

fn data_hint(lang: Lang, name: &str) -> String {
    i18n::lookup(lang, &format!("data-{}-hint", name.replace('_', "-")), None).unwrap_or_default()
}

/// The title of a fixed value of a case-data field (`plan_type`, `category`, `sensitive_area`),
/// or of a named value with its own messages (`basin-yangtze-upper`).
pub fn option_label(lang: Lang, field: &str, value: &str) -> String {
    let (f, v) = (field.replace('_', "-"), value.replace('_', "-"));
    i18n::lookup(lang, &format!("opt-{f}-{v}"), None)
        .or_else(|| i18n::lookup(lang, &format!("{f}-{v}"), None))
        .unwrap_or_else(|| value.to_string())
}

/// The form's fields for case data `data` (as stored, or as entered), with `errors`.
pub fn data_views(
    lang: Lang,
    fields: &[DataField],
    data: &Value,
    entered: Option<&FormData>,
    errors: &Errors,
) -> Vec<FieldView> {
    fields
        .iter()
        .map(|field| {
            let name = field.name;
            let control = match field.kind {
                Kind::Text | Kind::CaseId => "text",
                Kind::LongText | Kind::Lines | Kind::Quantities => "textarea",
                Kind::Integer | Kind::Decimal | Kind::Money => "text",
                Kind::Date => "date",
                Kind::Choice(_) => "select",
                Kind::NumberChoice(_) => "radios",
                Kind::Location => "location",
                Kind::Area => "area",
                Kind::Fixed => "fixed",
                Kind::Several => "checkboxes",
                Kind::Flag => "checkbox",
            };
            let mut v = FieldView::new(
                name,
                data_label(lang, name),
                data_hint(lang, name),
                field.required,
                control,
            );
            v.inputmode = match field.kind {
                Kind::Integer => "numeric",
                Kind::Decimal | Kind::Money => "decimal",
                _ => "",
            };
            v.error = errors.get(name).map(str::to_string);
            let stored = data.get(name);
            match entered {
                Some(form) => {
                    v.value = form.raw(name).to_string();
                    v.mode = form
                        .get(&format!("{name}__mode"))
                        .unwrap_or("point")
                        .to_string();
                    v.lon = form.raw(&format!("{name}__lon")).to_string();
                    v.lat = form.raw(&format!("{name}__lat")).to_string();
                    v.polygon = form.raw(&format!("{name}__polygon")).to_string();
                }
                None => fill_from_data(&mut v, field.kind, stored),
            }
            if field.kind == Kind::Fixed {
                v.value = stored
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or(v.value);
            }
            let choices: &[&str] = match field.kind {
                Kind::Choice(c) | Kind::NumberChoice(c) => c,
                _ => &[],
            };
            if !choices.is_empty() {
                if !field.required || matches!(field.kind, Kind::Choice(_)) {
                    let none_label = if matches!(field.kind, Kind::Choice(_)) {
                        i18n::t(lang, "choose-one")
                    } else {
                        option_label(lang, name, "none")
                    };
                    v.options
                        .push((String::new(), none_label, v.value.is_empty()));
                }
                for c in choices {
                    v.options
                        .push((c.to_string(), option_label(lang, name, c), v.value == *c));
                }
            }
            if field.kind == Kind::Fixed {
                v.hint = option_label(lang, name, &v.value);
            }
            v
        })
        .collect()
}

fn fill_from_data(v: &mut FieldView, kind: Kind, stored: Option<&Value>) {
    let Some(value) = stored.filter(|s| !s.is_null()) else {
        return;
    };
    match kind {
        Kind::Money => {
            if let Some(fen) = value.as_i64() {
                v.value = if fen % 100 == 0 {
                    (fen / 100).to_string()
                } else {
                    format!("{}.{:02}", fen / 100, fen % 100)
                };
            }
        }
        Kind::Lines | Kind::Several => {
            v.value = value
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default();
        }
        Kind::Quantities => {
            v.value = value
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, n)| format!("{k} = {n}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default();
        }
        Kind::Location | Kind::Area => {
            let kind = value
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let coords = value.get("coordinates");
            if kind == "Point" {
                v.mode = "point".into();
                v.lon = coords
                    .and_then(|c| c.get(0))
                    .map(|n| n.to_string())
                    .unwrap_or_default();
                v.lat = coords
                    .and_then(|c| c.get(1))
                    .map(|n| n.to_string())
                    .unwrap_or_default();
            } else if kind == "Polygon" {
                v.mode = "polygon".into();
                v.polygon = coords
                    .and_then(|c| c.get(0))
                    .and_then(Value::as_array)
                    .map(|ring| {
                        ring.iter()
                            .filter_map(|p| Some(format!("{}, {}", p.get(0)?, p.get(1)?)))
                            .collect::<Vec<_>>()
                            .join("\n")
                    })
                    .unwrap_or_default();
            }
        }
        _ => {
            v.value = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
        }
    }
}

/// Reads the case data from a submitted form. What cannot be read is reported in `errors` and
/// left out, so the use case's validation reports the rest; a blank optional field is `null`
/// (it clears a stored value).
pub fn read_data(
    fields: &[DataField],
    form: &FormData,
    fixed: &Map<String, Value>,
    lang: Lang,
    errors: &mut Errors,
) -> Map<String, Value> {
    let mut out = Map::new();
    for field in fields {
        let name = field.name;
        if field.kind == Kind::Fixed {
            if let Some(v) = fixed.get(name) {
                out.insert(name.to_string(), v.clone());
            }
            continue;
        }
        match read_field(field.kind, name, form) {
            Ok(Some(v)) => {
                out.insert(name.to_string(), v);
            }
            Ok(None) if !field.required => {
                out.insert(name.to_string(), Value::Null);
            }
            Ok(None) => {}
            Err(id) => errors.add(name, lang, id),
        }
    }
    out
}

/// One field's value: `Ok(None)` when left blank; `Err(message id)` when it cannot be read.
fn read_field(kind: Kind, name: &str, form: &FormData) -> Result<Option<Value>, &'static str> {
    let text = form.get(name);
    match kind {
        Kind::Text | Kind::LongText | Kind::Date | Kind::CaseId | Kind::Choice(_) => {
            Ok(text.map(|t| json!(t)))
        }
        Kind::Fixed => Ok(None),
        Kind::Integer => text
            .map(|t| {
                t.parse::<i64>()
                    .map(|n| json!(n))
                    .map_err(|_| "form-not-whole-number")
            })
            .transpose(),
        Kind::Decimal => text
            .map(|t| {
                t.replace(',', "")
                    .parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .map(|n| json!(n))
                    .ok_or("form-not-number")
            })
            .transpose(),
        Kind::Money => text
            .map(|t| parse_yuan(t).map(|fen| json!(fen)))
            .transpose(),
        Kind::NumberChoice(_) => text
            .map(|t| {
                t.parse::<i64>()
                    .map(|n| json!(n))
                    .map_err(|_| "form-choose-one")
            })
            .transpose(),
        Kind::Lines | Kind::Several => {
            let items = lines_of(form, name);
            Ok((!items.is_empty()).then(|| json!(items)))
        }
        Kind::Flag => Ok(Some(json!(form.get(name).is_some()))),
        Kind::Quantities => {
            let mut map = Map::new();
            for line in form
                .raw(name)
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
            {
                let (k, v) = line
                    .split_once('=')
                    .or_else(|| line.split_once(':'))
                    .ok_or("form-quantities")?;
                let n: f64 = v.trim().parse().map_err(|_| "form-quantities")?;
                if k.trim().is_empty() || !n.is_finite() {
                    return Err("form-quantities");
                }
                map.insert(k.trim().to_string(), json!(n));
            }
            Ok((!map.is_empty()).then_some(Value::Object(map)))
        }
        Kind::Location | Kind::Area => read_site(kind, name, form),
    }
}

fn lines_of(form: &FormData, name: &str) -> Vec<String> {
    let mut items: Vec<String> = Vec::new();
    for v in form.all(name) {
        items.extend(
            v.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string),
        );
    }
    items
}

/// A site from its parts: a point's longitude and latitude, or a polygon's positions, one
/// `longitude, latitude` per line (closed if it does not end where it starts).
fn read_site(kind: Kind, name: &str, form: &FormData) -> Result<Option<Value>, &'static str> {
    let mode = if kind == Kind::Area {
        "polygon"
    } else {
        form.get(&format!("{name}__mode")).unwrap_or("point")
    };
    if mode == "point" {
        let lon = form.get(&format!("{name}__lon"));
        let lat = form.get(&format!("{name}__lat"));
        return match (lon, lat) {
            (None, None) => Ok(None),
            (Some(lon), Some(lat)) => {
                let lon: f64 = lon.parse().map_err(|_| "form-coordinates")?;
                let lat: f64 = lat.parse().map_err(|_| "form-coordinates")?;
                Ok(Some(json!({"type": "Point", "coordinates": [lon, lat]})))
            }
            _ => Err("form-coordinates"),
        };
    }
    let text = form.raw(&format!("{name}__polygon")).trim().to_string();
    if text.is_empty() {
        return Ok(None);
    }
    if text.starts_with('{') {
        return serde_json::from_str(&text)
            .map(Some)
            .map_err(|_| "form-polygon");
    }
    let mut ring = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let mut parts = line
            .split([',', ' ', '\t', '，'])
            .map(str::trim)
            .filter(|p| !p.is_empty());
        let (Some(a), Some(b), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err("form-polygon");
        };
        let lon: f64 = a.parse().map_err(|_| "form-polygon")?;
        let lat: f64 = b.parse().map_err(|_| "form-polygon")?;
        ring.push(json!([lon, lat]));
    }
    if ring.len() < 3 {
        return Err("form-polygon");
    }
    if ring.first() != ring.last() {
        let first = ring[0].clone();
        ring.push(first);
    }
    Ok(Some(json!({"type": "Polygon", "coordinates": [ring]})))
}

/// Yuan, with up to two decimals and optional thousands separators, as fen.
pub fn parse_yuan(text: &str) -> Result<i64, &'static str> {
    let t: String = text
        .trim()
        .trim_start_matches(['¥', '￥'])
        .chars()
        .filter(|c| *c != ',' && *c != '，' && !c.is_whitespace())
        .collect();
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    let ok = !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && frac.len() <= 2
        && frac.bytes().all(|b| b.is_ascii_digit());
    if !ok {
        return Err("form-money");
    }
    let whole: i64 = whole.parse().map_err(|_| "form-money")?;
    let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| "form-money")?;
    whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(frac))
        .ok_or("form-money")
}

/// Fen written as a person types yuan, without the sign or separators (`35` -> `0.35`), to fill a
/// form again.
pub fn yuan_input(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    format!("{sign}{}.{:02}", fen / 100, fen % 100)
}

/// An amount a form took in yuan, as fen for the use case: `Null` when left empty, the
/// `form-money` message id when it cannot be read as yuan with at most two decimals.
pub fn yuan_field(form: &FormData, field: &str) -> Result<serde_json::Value, &'static str> {
    match form.get(field).map(str::trim) {
        None | Some("") => Ok(serde_json::Value::Null),
        Some(v) => parse_yuan(v).map(serde_json::Value::from),
    }
}

// ------------------------------------------------------------------ action payloads

/// The fields of an action's payload, as declared in the workflow.
pub fn payload_views(
    lang: Lang,
    payload: &[(String, FieldSpec)],
    entered: Option<&FormData>,
    errors: &Errors,
) -> Vec<FieldView> {
    payload
        .iter()
        .map(|(name, spec)| {
            let label = spec
                .title
                .as_ref()
                .map_or_else(|| name.replace('_', " "), |t| t.get(lang).to_string());
            let control = match (spec.kind, spec.allowed.is_empty()) {
                (FieldKind::Text, false) => "radios",
                (FieldKind::Text, true) => "textarea",
                (FieldKind::List, false) => "checkboxes",
                (FieldKind::List, true) => "textarea",
                (FieldKind::Integer, _) => "text",
                (FieldKind::Boolean, _) => "checkbox",
            };
            let hint = match (spec.kind, spec.allowed.is_empty()) {
                (FieldKind::List, true) => i18n::t(lang, "hint-one-per-line"),
                (FieldKind::List, false) => i18n::t(lang, "hint-choose-all"),
                _ => String::new(),
            };
            let mut v = FieldView::new(name, label, hint, spec.required, control);
            if spec.kind == FieldKind::Integer {
                v.inputmode = "numeric";
            }
            v.error = errors.get(name).map(str::to_string);
            let chosen = entered.map(|f| f.all(name)).unwrap_or_default();
            v.value = entered.map(|f| f.raw(name).to_string()).unwrap_or_default();
            for value in &spec.allowed {
                let label = spec
                    .labels
                    .get(value)
                    .map_or_else(|| value.clone(), |t| t.get(lang).to_string());
                v.options
                    .push((value.clone(), label, chosen.contains(value)));
            }
            v
        })
        .collect()
}

/// Reads an action's payload from its form.
pub fn read_payload(
    payload: &[(String, FieldSpec)],
    form: &FormData,
    lang: Lang,
    errors: &mut Errors,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, spec) in payload {
        let kind = match spec.kind {
            FieldKind::Text => Kind::LongText,
            FieldKind::List if spec.allowed.is_empty() => Kind::Lines,
            FieldKind::List => Kind::Several,
            FieldKind::Integer => Kind::Integer,
            FieldKind::Boolean => Kind::Flag,
        };
        match read_field(kind, name, form) {
            Ok(Some(v)) => {
                out.insert(name.to_string(), v);
            }
            Ok(None) if spec.kind == FieldKind::List && !spec.required => {
                out.insert(name.to_string(), json!([]));
            }
            Ok(None) => {}
            Err(id) => errors.add(name, lang, id),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> FormData {
        FormData(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn the_project_form_has_every_field_the_schema_knows() {
        let names: Vec<&str> = data_fields(DataSchema::EiaProject)
            .iter()
            .map(|f| f.name)
            .collect();
        // The classification has its own step (`/cases/new`); the fields the illustrative
        // catalogue read are kept by the cases that recorded them, not asked any more.
        let asked_elsewhere = [
            "classification",
            "project_type",
            "quantities",
            "features",
            "sensitive_area",
        ];
        let mut expected: Vec<&str> = crate::domain::project::FIELDS
            .iter()
            .copied()
            .filter(|f| !asked_elsewhere.contains(f))
            .collect();
        expected.sort_unstable();
        let mut got = names.clone();
        got.sort_unstable();
        assert_eq!(got, expected);
        assert_eq!(PLAN_TYPES, crate::domain::project::PLAN_TYPES);
    }

    #[test]
    fn fen_fill_a_yuan_field_again_as_typed() {
        assert_eq!(yuan_input(35), "0.35");
        assert_eq!(yuan_input(50_000), "500.00");
        assert_eq!(parse_yuan(&yuan_input(123_456)), Ok(123_456));
        let f = FormData(vec![
            ("p".into(), "0.4".into()),
            ("q".into(), "4 fen".into()),
        ]);
        assert_eq!(yuan_field(&f, "p"), Ok(serde_json::json!(40)));
        assert_eq!(yuan_field(&f, "q"), Err("form-money"));
        assert_eq!(yuan_field(&f, "r"), Ok(serde_json::Value::Null));
    }

    #[test]
    fn yuan_become_fen_and_bad_amounts_are_named() {
        assert_eq!(parse_yuan("12,500,000"), Ok(1_250_000_000));
        assert_eq!(parse_yuan("¥ 1.5"), Ok(150));
        assert_eq!(parse_yuan("0.05"), Ok(5));
        for bad in ["", "1.234", "-5", "abc", "1e5", "99999999999999999999"] {
            assert_eq!(parse_yuan(bad), Err("form-money"), "{bad}");
        }
    }

    #[test]
    fn sites_read_as_a_point_or_a_closed_polygon() {
        let point = form(&[
            ("location__mode", "point"),
            ("location__lon", "107.39"),
            ("location__lat", "29.7"),
        ]);
        assert_eq!(
            read_site(Kind::Location, "location", &point),
            Ok(Some(
                json!({"type": "Point", "coordinates": [107.39, 29.7]})
            ))
        );
        let polygon = form(&[
            ("location__mode", "polygon"),
            (
                "location__polygon",
                "107.1, 29.1\n107.2 29.1\n107.2，29.2\n",
            ),
        ]);
        let got = read_site(Kind::Location, "location", &polygon)
            .expect("read")
            .expect("some");
        assert_eq!(got["coordinates"][0].as_array().map(Vec::len), Some(4));
        assert_eq!(got["coordinates"][0][0], got["coordinates"][0][3]);
        let half = form(&[("location__lon", "107.1")]);
        assert_eq!(
            read_site(Kind::Location, "location", &half),
            Err("form-coordinates")
        );
    }

    #[test]
    fn quantities_are_named_numbers_one_per_line() {
        let f = form(&[(
            "quantities",
            "annual_output_t = 120000\ndaily_capacity_t: 500",
        )]);
        assert_eq!(
            read_field(Kind::Quantities, "quantities", &f),
            Ok(Some(
                json!({"annual_output_t": 120000.0, "daily_capacity_t": 500.0})
            ))
        );
        let bad = form(&[("quantities", "lots")]);
        assert_eq!(
            read_field(Kind::Quantities, "quantities", &bad),
            Err("form-quantities")
        );
    }
}
