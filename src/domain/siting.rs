//! Waterfront siting rules (EIA.md, "Waterfront siting rules"): the geodesic distance from a site
//! (a point or a polygon) to the nearest river line, and the rules it breaks. River lines and
//! rules are data (`workflows/geo/`). Pure.

use geo::{
    Closest, Contains, Distance, Geodesic, HaversineClosestPoint, Intersects, LineString,
    MultiLineString, Point, Polygon,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A river line of a class (`trunk`, `major_tributary`).
#[derive(Debug, Clone)]
pub struct River {
    pub name: String,
    pub class: String,
    pub lines: MultiLineString<f64>,
}

fn positions(v: &Value) -> Option<Vec<(f64, f64)>> {
    v.as_array()?
        .iter()
        .map(|p| {
            let p = p.as_array()?;
            Some((p.first()?.as_f64()?, p.get(1)?.as_f64()?))
        })
        .collect()
}

fn line(v: &Value) -> Option<LineString<f64>> {
    let pts = positions(v)?;
    (pts.len() >= 2).then(|| LineString::from(pts))
}

/// Reads river lines from a GeoJSON FeatureCollection whose features have `name` and `class`
/// properties and LineString or MultiLineString geometries.
pub fn rivers_from_geojson(text: &str) -> Result<Vec<River>, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let features = doc
        .get("features")
        .and_then(Value::as_array)
        .ok_or("not a GeoJSON FeatureCollection")?;
    let mut rivers = Vec::new();
    for (i, f) in features.iter().enumerate() {
        let prop = |k: &str| {
            f.get("properties")
                .and_then(|p| p.get(k))
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or(format!("feature {i}: property `{k}` missing"))
        };
        let geometry = f
            .get("geometry")
            .ok_or(format!("feature {i}: no geometry"))?;
        let coords = geometry
            .get("coordinates")
            .ok_or(format!("feature {i}: no coordinates"))?;
        let lines = match geometry.get("type").and_then(Value::as_str) {
            Some("LineString") => vec![line(coords).ok_or(format!("feature {i}: bad line"))?],
            Some("MultiLineString") => coords
                .as_array()
                .ok_or(format!("feature {i}: bad lines"))?
                .iter()
                .map(|l| line(l).ok_or(format!("feature {i}: bad line")))
                .collect::<Result<_, _>>()?,
            _ => return Err(format!("feature {i}: a LineString or MultiLineString")),
        };
        rivers.push(River {
            name: prop("name")?,
            class: prop("class")?,
            lines: MultiLineString::new(lines),
        });
    }
    if rivers.is_empty() {
        return Err("no river lines".into());
    }
    Ok(rivers)
}

/// What a rule is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// An industrial project of a restricted industry.
    RestrictedIndustry,
    /// A new industrial park (a planning EIA of type `industrial_park`).
    IndustrialPark,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub basis: String,
    pub applies_to: Subject,
    pub distance_m: f64,
    pub river_classes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// GB/T 4754 code prefixes of the industries the 1 km rule restricts (`C26`).
    pub restricted_industries: Vec<RestrictedIndustry>,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestrictedIndustry {
    pub code: String,
    pub name: String,
}

impl Rules {
    pub fn parse(text: &str) -> Result<Rules, String> {
        let rules: Rules = toml::from_str(text).map_err(|e| e.to_string())?;
        if rules.rules.is_empty() {
            return Err("no rules".into());
        }
        for r in &rules.rules {
            if !r.distance_m.is_finite() || r.distance_m <= 0.0 || r.river_classes.is_empty() {
                return Err(format!(
                    "rule `{}`: a positive distance and at least one river class",
                    r.id
                ));
            }
        }
        Ok(rules)
    }

    /// The restricted industry an industry code falls in, if any.
    pub fn restricted(&self, industry_code: &str) -> Option<&RestrictedIndustry> {
        self.restricted_industries
            .iter()
            .find(|r| industry_code.starts_with(&r.code))
    }
}

/// A site: a point or a polygon, in WGS84 longitude/latitude.
#[derive(Debug, Clone)]
pub enum Site {
    Point(Point<f64>),
    Polygon(Polygon<f64>),
}

impl Site {
    /// From a GeoJSON Point or Polygon (already validated as GeoJSON).
    pub fn from_geojson(v: &Value) -> Result<Site, String> {
        let coords = v.get("coordinates").ok_or("no coordinates")?;
        match v.get("type").and_then(Value::as_str) {
            Some("Point") => {
                let p = positions(&Value::Array(vec![coords.clone()]))
                    .and_then(|p| p.first().copied())
                    .ok_or("a Point is [longitude, latitude]")?;
                Ok(Site::Point(Point::new(p.0, p.1)))
            }
            Some("Polygon") => {
                let rings = coords.as_array().ok_or("a Polygon is a list of rings")?;
                let mut lines = rings
                    .iter()
                    .map(|r| line(r).ok_or("a ring is a list of positions"))
                    .collect::<Result<Vec<_>, _>>()?
                    .into_iter();
                let exterior = lines.next().ok_or("a Polygon needs a ring")?;
                Ok(Site::Polygon(Polygon::new(exterior, lines.collect())))
            }
            _ => Err("a GeoJSON Point or Polygon".into()),
        }
    }
}

/// Geodesic distance (metres, WGS84) from a point to a line string: the closest point on the
/// line is found on the sphere, then measured on the ellipsoid.
fn point_to_line(p: Point<f64>, l: &LineString<f64>) -> f64 {
    match l.haversine_closest_point(&p) {
        Closest::Intersection(_) => 0.0,
        Closest::SinglePoint(q) => Geodesic.distance(p, q),
        Closest::Indeterminate => l
            .points()
            .map(|q| Geodesic.distance(p, q))
            .fold(f64::INFINITY, f64::min),
    }
}

/// The geodesic distance in metres from a site to a river's lines (0 when they touch or cross).
pub fn distance_m(site: &Site, lines: &MultiLineString<f64>) -> f64 {
    match site {
        Site::Point(p) => lines
            .iter()
            .map(|l| point_to_line(*p, l))
            .fold(f64::INFINITY, f64::min),
        Site::Polygon(poly) => {
            if lines.intersects(poly) {
                return 0.0;
            }
            // Between two non-crossing sets of segments the shortest distance runs from a
            // vertex of one to the other.
            let from_site = poly
                .exterior()
                .points()
                .flat_map(|v| lines.iter().map(move |l| point_to_line(v, l)))
                .fold(f64::INFINITY, f64::min);
            let from_river = lines
                .iter()
                .flat_map(|l| l.points())
                .filter(|v| !poly.contains(v))
                .map(|v| point_to_line(v, poly.exterior()))
                .fold(f64::INFINITY, f64::min);
            from_site.min(from_river)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Nearest {
    pub river: String,
    pub class: String,
    /// Metres, rounded to the metre.
    pub distance_m: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    pub rule: String,
    pub title: String,
    pub basis: String,
    pub river: String,
    pub distance_m: f64,
    pub limit_m: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// The nearest trunk or major-tributary line.
    pub nearest: Option<Nearest>,
    /// The restricted industry the project falls in, if any.
    pub restricted_industry: Option<String>,
    pub flags: Vec<Flag>,
}

/// Checks a site: for an industrial project (`industry_code`) or a new industrial park.
pub fn check(
    rivers: &[River],
    rules: &Rules,
    site: &Site,
    subject_industry: Option<&str>,
    industrial_park: bool,
) -> Check {
    let distances: Vec<(&River, f64)> = rivers
        .iter()
        .map(|r| (r, distance_m(site, &r.lines).round()))
        .collect();
    let nearest = distances
        .iter()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(r, d)| Nearest {
            river: r.name.clone(),
            class: r.class.clone(),
            distance_m: *d,
        });
    let restricted = subject_industry.and_then(|c| rules.restricted(c));
    let mut flags = Vec::new();
    for rule in &rules.rules {
        let applies = match rule.applies_to {
            Subject::RestrictedIndustry => restricted.is_some(),
            Subject::IndustrialPark => industrial_park,
        };
        if !applies {
            continue;
        }
        let closest = distances
            .iter()
            .filter(|(r, _)| rule.river_classes.contains(&r.class))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((river, d)) = closest {
            if *d < rule.distance_m {
                flags.push(Flag {
                    rule: rule.id.clone(),
                    title: rule.title.clone(),
                    basis: rule.basis.clone(),
                    river: river.name.clone(),
                    distance_m: *d,
                    limit_m: rule.distance_m,
                });
            }
        }
    }
    Check {
        nearest,
        restricted_industry: restricted.map(|r| format!("{} {}", r.code, r.name)),
        flags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn river() -> Vec<River> {
        // A north-south line along the meridian 106.5 E.
        vec![River {
            name: "Test".into(),
            class: "trunk".into(),
            lines: MultiLineString::new(vec![LineString::from(vec![(106.5, 29.0), (106.5, 30.0)])]),
        }]
    }

    fn rules() -> Rules {
        Rules::parse(
            r#"
            restricted_industries = [{ code = "C26", name = "chemicals" }]
            [[rules]]
            id = "industry_1km"
            title = "t"
            basis = "b"
            applies_to = "restricted_industry"
            distance_m = 1000
            river_classes = ["trunk"]
            [[rules]]
            id = "park_5km"
            title = "t"
            basis = "b"
            applies_to = "industrial_park"
            distance_m = 5000
            river_classes = ["trunk"]
            "#,
        )
        .expect("rules")
    }

    #[test]
    fn a_point_on_the_line_is_zero_metres_away() {
        let site = Site::Point(Point::new(106.5, 29.5));
        assert_eq!(distance_m(&site, &river()[0].lines), 0.0);
    }

    #[test]
    fn about_one_point_two_kilometres_passes_one_rule_and_fails_the_other() {
        // 0.0124 degrees of longitude at 29.5 N is about 1.2 km.
        let site = Site::Point(Point::new(106.5124, 29.5));
        let d = distance_m(&site, &river()[0].lines);
        assert!((1150.0..1250.0).contains(&d), "{d}");
        let project = check(&river(), &rules(), &site, Some("C2614"), false);
        assert!(project.flags.is_empty(), "{project:?}");
        let park = check(&river(), &rules(), &site, None, true);
        assert_eq!(park.flags.len(), 1);
        assert_eq!(park.flags[0].rule, "park_5km");
        let near = check(
            &river(),
            &rules(),
            &Site::Point(Point::new(106.505, 29.5)),
            Some("C26"),
            false,
        );
        assert_eq!(near.flags[0].rule, "industry_1km");
        let harmless = check(
            &river(),
            &rules(),
            &Site::Point(Point::new(106.505, 29.5)),
            Some("I65"),
            false,
        );
        assert!(harmless.flags.is_empty(), "not a restricted industry");
    }

    #[test]
    fn a_polygon_measures_from_its_nearest_edge_and_touching_is_zero() {
        let square = |west: f64| {
            Site::Polygon(Polygon::new(
                LineString::from(vec![
                    (west, 29.49),
                    (west + 0.01, 29.49),
                    (west + 0.01, 29.51),
                    (west, 29.51),
                    (west, 29.49),
                ]),
                vec![],
            ))
        };
        let d = distance_m(&square(106.5124), &river()[0].lines);
        assert!((1150.0..1250.0).contains(&d), "{d}");
        assert_eq!(distance_m(&square(106.495), &river()[0].lines), 0.0);
    }
}
