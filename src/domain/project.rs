//! The case data of an EIA application (`data = "eia_project"` in a workflow).
//! Parsed field by field so that every bad field is reported at once.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use uuid::Uuid;
use validator::ValidateLength;

use super::{CreditCode, FieldErrors, Msg};
use crate::msg;

pub const FIELDS: [&str; 14] = [
    "project_name",
    "place",
    "credit_code",
    "industry_code",
    "location",
    "investment_fen",
    "category",
    "project_type",
    "quantities",
    "features",
    "sensitive_area",
    "pre_consultation",
    "supersedes",
    "classification",
];

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 环境影响报告书: full assessment.
    Report,
    /// 环境影响报告表.
    ReportForm,
    /// 环境影响登记表: filing only.
    Registration,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Report => "report",
            Category::ReportForm => "report_form",
            Category::Registration => "registration",
        }
    }

    /// How much assessment it demands: registration < report form < report.
    pub fn rank(self) -> u8 {
        match self {
            Category::Registration => 0,
            Category::ReportForm => 1,
            Category::Report => 2,
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        match s {
            "report" => Some(Category::Report),
            "report_form" => Some(Category::ReportForm),
            "registration" => Some(Category::Registration),
            _ => None,
        }
    }
}

/// A GB/T 4754 industry code: a section letter A-T and two to four digits (`C17`, `C1713`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct IndustryCode(String);

impl IndustryCode {
    pub fn parse(s: &str) -> Option<IndustryCode> {
        let mut chars = s.chars();
        let section = chars.next()?;
        let digits = chars.as_str();
        let ok = ('A'..='T').contains(&section)
            && (2..=4).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| IndustryCode(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A site: a GeoJSON Point or Polygon in WGS84, kept as given.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(transparent)]
pub struct Location(Value);

impl Location {
    pub fn parse(value: &Value) -> Result<Location, Msg> {
        let geometry =
            geojson::Geometry::from_json_value(value.clone()).map_err(|_| msg!("err-location"))?;
        match &geometry.value {
            geojson::Value::Point(position) => check_position(position)?,
            geojson::Value::Polygon(rings) => {
                if rings.is_empty() {
                    return Err(msg!("err-polygon-no-ring"));
                }
                for ring in rings {
                    if ring.len() < 4 {
                        return Err(msg!("err-polygon-ring-short", min = 4));
                    }
                    if ring.first() != ring.last() {
                        return Err(msg!("err-polygon-ring-open"));
                    }
                    for position in ring {
                        check_position(position)?;
                    }
                }
            }
            _ => return Err(msg!("err-location")),
        }
        Ok(Location(value.clone()))
    }

    pub fn as_json(&self) -> &Value {
        &self.0
    }
}

fn check_position(position: &[f64]) -> Result<(), Msg> {
    match position {
        [lon, lat] | [lon, lat, _] => {
            if !(-180.0..=180.0).contains(lon) || !(-90.0..=90.0).contains(lat) {
                return Err(msg!("err-position-outside", lon = lon, lat = lat));
            }
            Ok(())
        }
        _ => Err(msg!("err-position")),
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProjectData {
    pub project_name: String,
    pub credit_code: CreditCode,
    pub industry_code: IndustryCode,
    pub location: Location,
    pub investment_fen: i64,
    pub category: Category,
    /// What the catalogue calls the project within its industry (`paper`, `pulp` ...).
    pub project_type: Option<String>,
    /// Named quantities the catalogue's thresholds read (`annual_output_t`: 120000).
    pub quantities: BTreeMap<String, f64>,
    /// Process features (`electroplating`).
    pub features: Vec<String>,
    /// The class of sensitive area the site lies in (1, 2 or 3), if any.
    pub sensitive_area: Option<u8>,
    /// An answered pre-consultation this application follows.
    pub pre_consultation: Option<Uuid>,
    /// An approved application this one replaces after a major change.
    pub supersedes: Option<Uuid>,
}

impl ProjectData {
    /// Parses case data, reporting every bad, missing or unknown field.
    pub fn parse(value: &Value) -> Result<ProjectData, FieldErrors> {
        let mut errors = FieldErrors::default();
        let Some(map) = value.as_object() else {
            errors.add("data", msg!("err-not-an-object"));
            return Err(errors);
        };
        for key in map.keys() {
            if !FIELDS.contains(&key.as_str()) {
                errors.add(key.clone(), msg!("err-unknown-field"));
            }
        }
        let project_name = text(map, "project_name", &mut errors).and_then(|name| {
            let trimmed = name.trim();
            if trimmed.validate_length(Some(1), Some(200), None) {
                Some(trimmed.to_string())
            } else {
                errors.add("project_name", msg!("err-length", min = 1, max = 200));
                None
            }
        });
        let credit_code = credit_code_field(map, &mut errors);
        let industry_code = industry_code_field(map, &mut errors);
        let location = location_field(map, &mut errors);
        let investment_fen = match map.get("investment_fen") {
            None => {
                errors.add("investment_fen", msg!("err-required"));
                None
            }
            Some(v) => match v.as_i64() {
                Some(n) if n >= 0 => Some(n),
                _ => {
                    errors.add("investment_fen", msg!("err-fen"));
                    None
                }
            },
        };
        let category = text(map, "category", &mut errors).and_then(|c| {
            let category = Category::parse(c);
            if category.is_none() {
                errors.add("category", msg!("err-category"));
            }
            category
        });
        let project_type = optional_text(map, "project_type", 100, &mut errors);
        // The site's place name (district, town), shown with its coordinates in notices.
        let _ = optional_text(map, "place", 200, &mut errors);
        let quantities = quantities(map, &mut errors);
        let features = string_list(map, "features", &mut errors);
        let sensitive_area = match map.get("sensitive_area") {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_u64() {
                Some(n @ 1..=3) => Some(n as u8),
                _ => {
                    errors.add("sensitive_area", msg!("err-sensitive-class"));
                    None
                }
            },
        };
        // Decided and recorded by the app against the catalogue's edition (`app::classify`).
        if map
            .get("classification")
            .is_some_and(|v| !v.is_object() && !v.is_null())
        {
            errors.add("classification", msg!("err-not-an-object"));
        }
        let pre_consultation = optional_uuid(map, "pre_consultation", &mut errors);
        let supersedes = optional_uuid(map, "supersedes", &mut errors);
        match (
            project_name,
            credit_code,
            industry_code,
            location,
            investment_fen,
            category,
        ) {
            (
                Some(project_name),
                Some(credit_code),
                Some(industry_code),
                Some(location),
                Some(investment_fen),
                Some(category),
            ) if errors.is_empty() => Ok(ProjectData {
                project_name,
                credit_code,
                industry_code,
                location,
                investment_fen,
                category,
                project_type,
                quantities,
                features,
                sensitive_area,
                pre_consultation,
                supersedes,
            }),
            _ => Err(errors),
        }
    }
}

fn text<'a>(map: &'a Map<String, Value>, field: &str, errors: &mut FieldErrors) -> Option<&'a str> {
    match map.get(field) {
        None => {
            errors.add(field, msg!("err-required"));
            None
        }
        Some(Value::String(s)) => Some(s),
        Some(_) => {
            errors.add(field, msg!("err-not-a-string"));
            None
        }
    }
}

/// The enterprise's credit code, check character verified.
fn credit_code_field(map: &Map<String, Value>, errors: &mut FieldErrors) -> Option<CreditCode> {
    text(map, "credit_code", errors).and_then(|c| {
        CreditCode::parse(c)
            .map_err(|e| errors.add("credit_code", e.into()))
            .ok()
    })
}

fn industry_code_field(map: &Map<String, Value>, errors: &mut FieldErrors) -> Option<IndustryCode> {
    text(map, "industry_code", errors).and_then(|c| {
        let code = IndustryCode::parse(c);
        if code.is_none() {
            errors.add("industry_code", msg!("err-industry-code"));
        }
        code
    })
}

fn location_field(map: &Map<String, Value>, errors: &mut FieldErrors) -> Option<Location> {
    match map.get("location") {
        None => {
            errors.add("location", msg!("err-required"));
            None
        }
        Some(v) => Location::parse(v)
            .map_err(|e| errors.add("location", e))
            .ok(),
    }
}

fn optional_text(
    map: &Map<String, Value>,
    field: &str,
    max: u64,
    errors: &mut FieldErrors,
) -> Option<String> {
    match map.get(field) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().validate_length(Some(1), Some(max), None) => {
            Some(s.trim().to_string())
        }
        Some(_) => {
            errors.add(field, msg!("err-length", min = 1, max = max));
            None
        }
    }
}

fn required_text(
    map: &Map<String, Value>,
    field: &str,
    max: u64,
    errors: &mut FieldErrors,
) -> Option<String> {
    if map.get(field).is_none_or(Value::is_null) {
        errors.add(field, msg!("err-required"));
        return None;
    }
    optional_text(map, field, max, errors)
}

fn optional_uuid(map: &Map<String, Value>, field: &str, errors: &mut FieldErrors) -> Option<Uuid> {
    match map.get(field) {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_str().and_then(|s| Uuid::parse_str(s).ok()) {
            Some(id) => Some(id),
            None => {
                errors.add(field, msg!("err-case-id"));
                None
            }
        },
    }
}

fn string_list(map: &Map<String, Value>, field: &str, errors: &mut FieldErrors) -> Vec<String> {
    match map.get(field) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items))
            if items
                .iter()
                .all(|i| i.as_str().is_some_and(|s| !s.trim().is_empty())) =>
        {
            items
                .iter()
                .filter_map(|i| i.as_str().map(|s| s.trim().to_string()))
                .collect()
        }
        Some(_) => {
            errors.add(field, msg!("err-list-of-non-empty"));
            Vec::new()
        }
    }
}

fn quantities(map: &Map<String, Value>, errors: &mut FieldErrors) -> BTreeMap<String, f64> {
    match map.get("quantities") {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(Value::Object(q)) => {
            let mut out = BTreeMap::new();
            for (k, v) in q {
                match v.as_f64() {
                    Some(n) if n >= 0.0 && n.is_finite() => {
                        out.insert(k.clone(), n);
                    }
                    _ => errors.add(format!("quantities.{k}"), msg!("err-non-negative-number")),
                }
            }
            out
        }
        Some(_) => {
            errors.add("quantities", msg!("err-named-numbers"));
            BTreeMap::new()
        }
    }
}

fn unknown_fields(map: &Map<String, Value>, known: &[&str], errors: &mut FieldErrors) {
    for key in map.keys() {
        if !known.contains(&key.as_str()) {
            errors.add(key.clone(), msg!("err-unknown-field"));
        }
    }
}

fn object<'a>(value: &'a Value, errors: &mut FieldErrors) -> Option<&'a Map<String, Value>> {
    let map = value.as_object();
    if map.is_none() {
        errors.add("data", msg!("err-not-an-object"));
    }
    map
}

/// A planning EIA's data: the plan, not a project.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PlanData {
    pub plan_name: String,
    /// `industrial_park`, `river_basin`, `urban`, `transport`, `other`.
    pub plan_type: String,
    /// The planned area: a GeoJSON Polygon.
    pub area: Location,
    pub area_km2: Option<f64>,
    pub credit_code: Option<CreditCode>,
}

pub const PLAN_TYPES: [&str; 5] = [
    "industrial_park",
    "river_basin",
    "urban",
    "transport",
    "other",
];

impl PlanData {
    pub fn parse(value: &Value) -> Result<PlanData, FieldErrors> {
        let mut errors = FieldErrors::default();
        let Some(map) = object(value, &mut errors) else {
            return Err(errors);
        };
        unknown_fields(
            map,
            &["plan_name", "plan_type", "area", "area_km2", "credit_code"],
            &mut errors,
        );
        let plan_name = required_text(map, "plan_name", 200, &mut errors);
        let plan_type = required_text(map, "plan_type", 40, &mut errors).filter(|t| {
            let ok = PLAN_TYPES.contains(&t.as_str());
            if !ok {
                errors.add("plan_type", msg!("err-plan-type"));
            }
            ok
        });
        let area = match map.get("area") {
            None => {
                errors.add("area", msg!("err-required"));
                None
            }
            Some(v) if v.get("type").and_then(Value::as_str) != Some("Polygon") => {
                errors.add("area", msg!("err-polygon"));
                None
            }
            Some(v) => Location::parse(v).map_err(|e| errors.add("area", e)).ok(),
        };
        let area_km2 = match map.get("area_km2") {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_f64() {
                Some(n) if n > 0.0 => Some(n),
                _ => {
                    errors.add("area_km2", msg!("err-positive"));
                    None
                }
            },
        };
        let credit_code = optional_text(map, "credit_code", 18, &mut errors).and_then(|c| {
            CreditCode::parse(&c)
                .map_err(|e| errors.add("credit_code", e.into()))
                .ok()
        });
        match (plan_name, plan_type, area) {
            (Some(plan_name), Some(plan_type), Some(area)) if errors.is_empty() => Ok(PlanData {
                plan_name,
                plan_type,
                area,
                area_km2,
                credit_code,
            }),
            _ => Err(errors),
        }
    }
}

/// A pre-consultation question about a project.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ConsultationData {
    pub project_name: String,
    pub credit_code: CreditCode,
    pub industry_code: IndustryCode,
    pub location: Location,
    pub question: String,
}

impl ConsultationData {
    pub fn parse(value: &Value) -> Result<ConsultationData, FieldErrors> {
        let mut errors = FieldErrors::default();
        let Some(map) = object(value, &mut errors) else {
            return Err(errors);
        };
        unknown_fields(
            map,
            &[
                "project_name",
                "credit_code",
                "industry_code",
                "location",
                "question",
                "project_type",
            ],
            &mut errors,
        );
        let project_name = required_text(map, "project_name", 200, &mut errors);
        let credit_code = credit_code_field(map, &mut errors);
        let industry_code = industry_code_field(map, &mut errors);
        let location = location_field(map, &mut errors);
        let question = required_text(map, "question", 4000, &mut errors);
        let _ = optional_text(map, "project_type", 100, &mut errors);
        match (project_name, credit_code, industry_code, location, question) {
            (
                Some(project_name),
                Some(credit_code),
                Some(industry_code),
                Some(location),
                Some(question),
            ) if errors.is_empty() => Ok(ConsultationData {
                project_name,
                credit_code,
                industry_code,
                location,
                question,
            }),
            _ => Err(errors),
        }
    }
}

/// A re-review of an approval whose construction starts more than 5 years after it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RereviewData {
    pub approved_case: Uuid,
    pub project_name: String,
    pub approved_on: chrono::NaiveDate,
    pub construction_start: chrono::NaiveDate,
}

impl RereviewData {
    pub fn parse(value: &Value) -> Result<RereviewData, FieldErrors> {
        let mut errors = FieldErrors::default();
        let Some(map) = object(value, &mut errors) else {
            return Err(errors);
        };
        unknown_fields(
            map,
            &[
                "approved_case",
                "project_name",
                "approved_on",
                "construction_start",
                "reason",
            ],
            &mut errors,
        );
        let approved_case = optional_uuid(map, "approved_case", &mut errors);
        if approved_case.is_none() && !errors.0.contains_key("approved_case") {
            errors.add("approved_case", msg!("err-required"));
        }
        let project_name = required_text(map, "project_name", 200, &mut errors);
        let mut date = |field: &str| {
            required_text(map, field, 10, &mut errors).and_then(|s| {
                match chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
                    Ok(d) => Some(d),
                    Err(_) => {
                        errors.add(field, msg!("err-date"));
                        None
                    }
                }
            })
        };
        let approved_on = date("approved_on");
        let construction_start = date("construction_start");
        let _ = optional_text(map, "reason", 4000, &mut errors);
        if let (Some(a), Some(c)) = (approved_on, construction_start) {
            let five_years = a.checked_add_months(chrono::Months::new(60)).unwrap_or(a);
            if c <= five_years {
                errors.add("construction_start", msg!("err-re-review-five-years"));
            }
        }
        match (approved_case, project_name, approved_on, construction_start) {
            (
                Some(approved_case),
                Some(project_name),
                Some(approved_on),
                Some(construction_start),
            ) if errors.is_empty() => Ok(RereviewData {
                approved_case,
                project_name,
                approved_on,
                construction_start,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn valid() -> Value {
        json!({
            "project_name": "Fuling paper mill expansion",
            "credit_code": "91350100M000100Y43",
            "industry_code": "C2221",
            "location": {"type": "Point", "coordinates": [107.39, 29.70]},
            "investment_fen": 1_200_000_000_i64,
            "category": "report_form"
        })
    }

    #[test]
    fn parses_valid_data() {
        let data = ProjectData::parse(&valid()).expect("valid");
        assert_eq!(data.category, Category::ReportForm);
        assert_eq!(data.industry_code.as_str(), "C2221");
    }

    #[test]
    fn reports_every_bad_field_at_once() {
        let mut v = valid();
        v["credit_code"] = json!("91350100M000100Y44");
        v["industry_code"] = json!("Z99");
        v["investment_fen"] = json!(10.5);
        v["location"] = json!({"type": "LineString", "coordinates": [[0, 0], [1, 1]]});
        v["colour"] = json!("green");
        v.as_object_mut().map(|m| m.remove("category"));
        let errors = ProjectData::parse(&v).expect_err("invalid");
        let fields: Vec<&str> = errors.0.keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            vec![
                "category",
                "colour",
                "credit_code",
                "industry_code",
                "investment_fen",
                "location"
            ]
        );
    }

    #[test]
    fn polygons_must_be_closed_and_in_range() {
        let open = json!({"type": "Polygon", "coordinates": [[[106.0, 29.0], [106.1, 29.0], [106.1, 29.1], [106.0, 29.2]]]});
        assert!(Location::parse(&open).is_err());
        let closed = json!({"type": "Polygon", "coordinates": [[[106.0, 29.0], [106.1, 29.0], [106.1, 29.1], [106.0, 29.0]]]});
        assert!(Location::parse(&closed).is_ok());
        let far = json!({"type": "Point", "coordinates": [190.0, 29.0]});
        assert!(Location::parse(&far).is_err());
    }

    #[test]
    fn industry_codes() {
        for ok in ["C17", "C171", "C1713", "A01"] {
            assert!(IndustryCode::parse(ok).is_some(), "{ok}");
        }
        for bad in ["", "C", "C1", "C17134", "U12", "c1713", "C17a"] {
            assert!(IndustryCode::parse(bad).is_none(), "{bad}");
        }
    }
}

/// An application for a business licence: who applies, for what kind of business. The checklist
/// of pre-licence items is written by the system when it is submitted, never by the applicant.
#[derive(Debug, Clone, PartialEq)]
pub struct LicenceData {
    pub business_name: String,
    /// The kind of business, as the pre-licence catalogue names kinds (`chemical`, `catering`).
    pub business_kind: String,
    pub credit_code: Option<CreditCode>,
}

const LICENCE_FIELDS: [&str; 4] = ["business_name", "business_kind", "credit_code", "checklist"];

impl LicenceData {
    pub fn parse(value: &Value) -> Result<LicenceData, FieldErrors> {
        let mut errors = FieldErrors::default();
        let Some(map) = value.as_object() else {
            errors.add("data", msg!("err-not-an-object"));
            return Err(errors);
        };
        for key in map.keys() {
            if !LICENCE_FIELDS.contains(&key.as_str()) {
                errors.add(key.clone(), msg!("err-unknown-field"));
            }
        }
        let name = text(map, "business_name", &mut errors)
            .map(str::trim)
            .filter(|n| {
                let ok = n.validate_length(Some(1), Some(200), None);
                if !ok {
                    errors.add("business_name", msg!("err-length", min = 1, max = 200));
                }
                ok
            })
            .map(str::to_string);
        let kind = text(map, "business_kind", &mut errors)
            .filter(|k| {
                let ok = (1..=40).contains(&k.len())
                    && k.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
                if !ok {
                    errors.add("business_kind", msg!("err-business-kind"));
                }
                ok
            })
            .map(str::to_string);
        let credit_code = match map.get("credit_code") {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_str().map(CreditCode::parse) {
                Some(Ok(c)) => Some(c),
                Some(Err(e)) => {
                    errors.add("credit_code", e.into());
                    None
                }
                None => {
                    errors.add("credit_code", msg!("err-not-a-string"));
                    None
                }
            },
        };
        if let Some(list) = map.get("checklist") {
            let ok = list.as_array().is_some_and(|items| {
                items
                    .iter()
                    .all(|i| i.get("code").and_then(Value::as_str).is_some())
            });
            if !ok {
                errors.add("checklist", msg!("err-checklist"));
            }
        }
        match (name, kind) {
            (Some(business_name), Some(business_kind)) if errors.is_empty() => Ok(LicenceData {
                business_name,
                business_kind,
                credit_code,
            }),
            _ => Err(errors),
        }
    }
}
