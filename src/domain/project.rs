//! The case data of an EIA application (`data = "eia_project"` in a workflow).
//! Parsed field by field so that every bad field is reported at once.

use serde_json::{Map, Value};
use validator::ValidateLength;

use super::{CreditCode, FieldErrors};

pub const FIELDS: [&str; 6] = [
    "project_name",
    "credit_code",
    "industry_code",
    "location",
    "investment_fen",
    "category",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
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
    fn parse(s: &str) -> Option<Category> {
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
    pub fn parse(value: &Value) -> Result<Location, String> {
        let geometry = geojson::Geometry::from_json_value(value.clone())
            .map_err(|e| format!("not a GeoJSON geometry: {e}"))?;
        match &geometry.value {
            geojson::Value::Point(position) => check_position(position)?,
            geojson::Value::Polygon(rings) => {
                if rings.is_empty() {
                    return Err("a Polygon needs at least one ring".into());
                }
                for ring in rings {
                    if ring.len() < 4 {
                        return Err("each Polygon ring needs at least 4 positions".into());
                    }
                    if ring.first() != ring.last() {
                        return Err("each Polygon ring must end where it starts".into());
                    }
                    for position in ring {
                        check_position(position)?;
                    }
                }
            }
            _ => return Err("must be a GeoJSON Point or Polygon".into()),
        }
        Ok(Location(value.clone()))
    }

    pub fn as_json(&self) -> &Value {
        &self.0
    }
}

fn check_position(position: &[f64]) -> Result<(), String> {
    match position {
        [lon, lat] | [lon, lat, _] => {
            if !(-180.0..=180.0).contains(lon) || !(-90.0..=90.0).contains(lat) {
                return Err(format!(
                    "position [{lon}, {lat}] is outside WGS84 longitude/latitude ranges"
                ));
            }
            Ok(())
        }
        _ => Err("a position is [longitude, latitude]".into()),
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
}

impl ProjectData {
    /// Parses case data, reporting every bad, missing or unknown field.
    pub fn parse(value: &Value) -> Result<ProjectData, FieldErrors> {
        let mut errors = FieldErrors::default();
        let Some(map) = value.as_object() else {
            errors.add("data", "must be a JSON object");
            return Err(errors);
        };
        for key in map.keys() {
            if !FIELDS.contains(&key.as_str()) {
                errors.add(key.clone(), "unknown field");
            }
        }
        let project_name = text(map, "project_name", &mut errors).and_then(|name| {
            let trimmed = name.trim();
            if trimmed.validate_length(Some(1), Some(200), None) {
                Some(trimmed.to_string())
            } else {
                errors.add("project_name", "must be 1 to 200 characters");
                None
            }
        });
        let credit_code =
            text(map, "credit_code", &mut errors).and_then(|c| match CreditCode::parse(c) {
                Ok(code) => Some(code),
                Err(e) => {
                    errors.add("credit_code", e.to_string());
                    None
                }
            });
        let industry_code = text(map, "industry_code", &mut errors).and_then(|c| {
            let code = IndustryCode::parse(c);
            if code.is_none() {
                errors.add(
                    "industry_code",
                    "must be a GB/T 4754 code: a letter A-T and 2 to 4 digits, e.g. C1713",
                );
            }
            code
        });
        let location = match map.get("location") {
            None => {
                errors.add("location", "required");
                None
            }
            Some(v) => match Location::parse(v) {
                Ok(l) => Some(l),
                Err(e) => {
                    errors.add("location", e);
                    None
                }
            },
        };
        let investment_fen = match map.get("investment_fen") {
            None => {
                errors.add("investment_fen", "required");
                None
            }
            Some(v) => match v.as_i64() {
                Some(n) if n >= 0 => Some(n),
                _ => {
                    errors.add(
                        "investment_fen",
                        "must be a whole, non-negative number of fen",
                    );
                    None
                }
            },
        };
        let category = text(map, "category", &mut errors).and_then(|c| {
            let category = Category::parse(c);
            if category.is_none() {
                errors.add(
                    "category",
                    "must be one of report, report_form, registration",
                );
            }
            category
        });
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
            }),
            _ => Err(errors),
        }
    }
}

fn text<'a>(map: &'a Map<String, Value>, field: &str, errors: &mut FieldErrors) -> Option<&'a str> {
    match map.get(field) {
        None => {
            errors.add(field, "required");
            None
        }
        Some(Value::String(s)) => Some(s),
        Some(_) => {
            errors.add(field, "must be a string");
            None
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
