//! `/siting`: the waterfront siting check on its own: coordinates or a polygon and an industry
//! in, the nearest river, the distance and the rules the site breaks out, with a sketch of the
//! river lines around the site and the 1 km and 5 km bands.

use std::fmt::Write;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use serde_json::{json, Value};

use super::case::river_name;
use crate::app::{App, AppError};
use crate::domain::siting::Check;
use crate::web::forms::Errors;
use crate::web::graph::escape;
use crate::web::i18n::{self, Lang};
use crate::web::layout::Chrome;
use crate::web::session::Signed;
use crate::web::{render_as, WebError};

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    #[serde(default)]
    lon: Option<String>,
    #[serde(default)]
    lat: Option<String>,
    /// A polygon instead of a point: `lon lat` pairs, one per line or separated by `;`.
    #[serde(default)]
    polygon: Option<String>,
    #[serde(default)]
    industry: Option<String>,
    #[serde(default)]
    park: Option<String>,
}

pub struct Outcome {
    pub check: super::case::SitingView,
    pub sketch: String,
}

#[derive(Template)]
#[template(path = "siting.html")]
pub struct SitingPage {
    pub c: Chrome,
    pub lon: String,
    pub lat: String,
    pub polygon: String,
    pub industry: String,
    pub park: bool,
    pub errors: Errors,
    pub outcome: Option<Outcome>,
}

fn number(v: &str) -> Option<f64> {
    v.trim().parse::<f64>().ok().filter(|x| x.is_finite())
}

/// The GeoJSON geometry the form describes, or the fields that are wrong.
fn geometry(p: &Params, lang: Lang, errors: &mut Errors) -> Option<Value> {
    let polygon = p.polygon.as_deref().unwrap_or("").trim();
    if !polygon.is_empty() {
        let mut ring: Vec<[f64; 2]> = Vec::new();
        for pair in polygon
            .split(['\n', ';'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let nums: Vec<Option<f64>> = pair
                .split([' ', ',', '\t'])
                .filter(|s| !s.is_empty())
                .map(number)
                .collect();
            match nums.as_slice() {
                [Some(lon), Some(lat)] => ring.push([*lon, *lat]),
                _ => {
                    errors.add("polygon", lang, "siting-polygon-format");
                    return None;
                }
            }
        }
        if ring.len() < 3 {
            errors.add("polygon", lang, "siting-polygon-format");
            return None;
        }
        if ring.first() != ring.last() {
            ring.push(ring[0]);
        }
        return Some(json!({"type": "Polygon", "coordinates": [ring]}));
    }
    let lon = p.lon.as_deref().and_then(number);
    let lat = p.lat.as_deref().and_then(number);
    match (lon, lat) {
        (Some(lon), Some(lat)) => Some(json!({"type": "Point", "coordinates": [lon, lat]})),
        _ => {
            if lon.is_none() {
                errors.add("lon", lang, "siting-lon");
            }
            if lat.is_none() {
                errors.add("lat", lang, "siting-lat");
            }
            None
        }
    }
}

/// `GET /siting`: the form, and the check when coordinates are given.
pub async fn page(
    who: Signed,
    app: web::Data<App>,
    q: web::Query<Params>,
) -> Result<HttpResponse, WebError> {
    let lang = who.ctx.lang;
    let asked = q.lon.is_some() || q.lat.is_some() || q.polygon.is_some();
    let mut errors = Errors::default();
    let mut outcome = None;
    let industry = q.industry.clone().unwrap_or_default().trim().to_string();
    let park = q.park.as_deref() == Some("1");
    if asked {
        if let Some(g) = geometry(&q, lang, &mut errors) {
            let input = json!({
                "geometry": g,
                "industry_code": if industry.is_empty() { Value::Null } else { json!(industry) },
                "industrial_park": park,
            });
            match crate::app::siting::check_request(&app, &input) {
                Ok(check) => outcome = Some(describe(&app, lang, &g, &check)),
                Err(AppError::Validation(fe)) => {
                    let polygon = q.polygon.as_deref().is_some_and(|p| !p.trim().is_empty());
                    for (field, messages) in &fe.0 {
                        let field = match field.as_str() {
                            "industry_code" => "industry",
                            "geometry" if polygon => "polygon",
                            "geometry" => "lat",
                            other => other,
                        };
                        for m in messages {
                            errors.push(field, i18n::msg(lang, m));
                        }
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_as(
        status,
        &SitingPage {
            c: Chrome::new(&who.ctx, "siting-page-title"),
            lon: q.lon.clone().unwrap_or_default(),
            lat: q.lat.clone().unwrap_or_default(),
            polygon: q.polygon.clone().unwrap_or_default(),
            industry,
            park,
            errors,
            outcome,
        },
    )
}

fn describe(app: &App, lang: Lang, geometry: &Value, check: &Check) -> Outcome {
    Outcome {
        check: super::case::siting_view(lang, check),
        sketch: sketch(app, lang, geometry, check),
    }
}

/// The site's points (lon, lat).
fn site_points(geometry: &Value) -> Vec<(f64, f64)> {
    let pair = |v: &Value| Some((v.get(0)?.as_f64()?, v.get(1)?.as_f64()?));
    match geometry["type"].as_str() {
        Some("Point") => pair(&geometry["coordinates"]).into_iter().collect(),
        _ => geometry["coordinates"][0]
            .as_array()
            .map(|r| r.iter().filter_map(pair).collect())
            .unwrap_or_default(),
    }
}

/// A map sketch around the site: river lines, the site, and circles of 1 km and 5 km around
/// its centre, on an equirectangular projection at the site's latitude (good enough at this
/// scale); north is up, with a scale bar.
fn sketch(app: &App, lang: Lang, geometry: &Value, check: &Check) -> String {
    const W: f64 = 560.0;
    const H: f64 = 360.0;
    let pts = site_points(geometry);
    if pts.is_empty() {
        return String::new();
    }
    let n = pts.len() as f64;
    let (clon, clat) = (
        pts.iter().map(|p| p.0).sum::<f64>() / n,
        pts.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let m_per_deg_lat = 111_320.0;
    let m_per_deg_lon = 111_320.0 * clat.to_radians().cos().max(0.01);
    // Half the width shown, in metres: enough for the 5 km band and the nearest river.
    let nearest = check.nearest.as_ref().map_or(0.0, |n| n.distance_m);
    let half_w = (nearest * 1.4).clamp(6_500.0, 60_000.0);
    let scale = (W / 2.0) / half_w; // px per metre
    let xy = |lon: f64, lat: f64| {
        (
            W / 2.0 + (lon - clon) * m_per_deg_lon * scale,
            H / 2.0 - (lat - clat) * m_per_deg_lat * scale,
        )
    };
    let title = i18n::t(lang, "siting-sketch");
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"sketch\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-labelledby=\"sketch-t sketch-d\"><title id=\"sketch-t\">{}</title><desc id=\"sketch-d\">{}</desc><rect class=\"land\" x=\"0\" y=\"0\" width=\"{W}\" height=\"{H}\"/>",
        escape(&title),
        escape(&i18n::t(lang, "siting-sketch-desc")),
    );
    for (r, label) in [(5_000.0, "5 km"), (1_000.0, "1 km")] {
        let _ = write!(
            s,
            "<circle class=\"band\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"{:.1}\"/><text class=\"band-label\" x=\"{:.1}\" y=\"{:.1}\">{label}</text>",
            W / 2.0,
            H / 2.0,
            r * scale,
            W / 2.0 + 4.0,
            H / 2.0 - r * scale - 4.0,
        );
    }
    for river in app.siting.rivers.iter() {
        let mut d = String::new();
        for line in &river.lines.0 {
            let mut first = true;
            for c in &line.0 {
                let (x, y) = xy(c.x, c.y);
                let _ = write!(d, "{}{x:.1} {y:.1}", if first { " M" } else { " L" });
                first = false;
            }
        }
        if !d.is_empty() {
            let _ = write!(
                s,
                "<path class=\"river\" d=\"{}\"><title>{}</title></path>",
                d.trim(),
                escape(&river_name(lang, &river.name))
            );
        }
    }
    if pts.len() == 1 {
        let (x, y) = xy(pts[0].0, pts[0].1);
        let _ = write!(
            s,
            "<circle class=\"site\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"6\"/>"
        );
    } else {
        let poly: Vec<String> = pts
            .iter()
            .map(|p| {
                let (x, y) = xy(p.0, p.1);
                format!("{x:.1},{y:.1}")
            })
            .collect();
        let _ = write!(s, "<polygon class=\"site\" points=\"{}\"/>", poly.join(" "));
    }
    // Scale bar: 1 km, bottom left; north arrow, top right.
    let bar = 1_000.0 * scale;
    let _ = write!(
        s,
        "<line class=\"scale\" x1=\"16\" x2=\"{:.1}\" y1=\"{y}\" y2=\"{y}\"/><text class=\"band-label\" x=\"16\" y=\"{ty}\">1 km</text><text class=\"north\" x=\"{nx}\" y=\"24\" text-anchor=\"middle\">N ↑</text></svg>",
        16.0 + bar,
        y = H - 14.0,
        ty = H - 20.0,
        nx = W - 20.0,
    );
    s
}
