//! A workflow's state graph as SVG, drawn on the server: layout-rs places the states and routes
//! the transitions (the Graphviz `dot` method, in pure Rust); this module writes the SVG itself,
//! so that labels in Chinese get their real width, the current state and the visited path are
//! marked by class (styled in `app.css`, no inline styles), and the picture has a title.
//! Pages put a text list of the same states beside it for screen readers.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;
use std::sync::{Mutex, OnceLock};

use layout::core::base::Orientation;
use layout::core::color::Color;
use layout::core::format::{ClipHandle, RenderBackend};
use layout::core::geometry::Point;
use layout::core::style::StyleAttr;
use layout::std_shapes::shapes::{Arrow, Element, ShapeKind};
use layout::topo::layout::VisualGraph;

use crate::engine::Definition;
use crate::web::i18n::Lang;

const FONT: f64 = 13.0;
const LINE: f64 = 17.0;
/// The widest a label line may be, in pixels.
const WRAP: f64 = 190.0;

/// How a state is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Current,
    Visited,
    Other,
}

fn char_width(c: char) -> f64 {
    if c.is_ascii() {
        FONT * 0.58
    } else {
        FONT
    }
}

fn width(s: &str) -> f64 {
    s.chars().map(char_width).sum()
}

/// Breaks a label into lines no wider than [`WRAP`]: at spaces for words, anywhere for Chinese
/// (after punctuation when it can).
fn wrap(label: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut word = String::new();
    let flush_word = |line: &mut String, word: &mut String, lines: &mut Vec<String>| {
        if width(line) + width(word) > WRAP && !line.trim().is_empty() {
            lines.push(line.trim().to_string());
            line.clear();
        }
        line.push_str(word);
        word.clear();
    };
    for c in label.chars() {
        if c.is_ascii() {
            word.push(c);
            if c == ' ' {
                flush_word(&mut line, &mut word, &mut lines);
            }
        } else {
            flush_word(&mut line, &mut word, &mut lines);
            if width(&line) + char_width(c) > WRAP {
                lines.push(line.trim().to_string());
                line.clear();
            }
            line.push(c);
        }
    }
    flush_word(&mut line, &mut word, &mut lines);
    if !line.trim().is_empty() {
        lines.push(line.trim().to_string());
    }
    lines.truncate(4);
    lines
}

/// The SVG of `def`'s states and transitions. `visited` holds the (from, to) pairs a case went
/// through; `current` is its state. Transitions to the same state (escalations) are left out.
/// The layout is computed once per workflow version and language; a case only marks it.
pub fn svg(
    def: &Definition,
    lang: Lang,
    current: Option<&str>,
    visited: &BTreeSet<(String, String)>,
    title: &str,
) -> String {
    let mut out = layout(def, lang).replacen(TITLE, &escape(title), 1);
    let seen: BTreeSet<&str> = visited
        .iter()
        .flat_map(|(a, b)| [a.as_str(), b.as_str()])
        .collect();
    for name in seen.iter().copied().filter(|n| Some(*n) != current) {
        mark(
            &mut out,
            &format!("data-state=\"{}\" class=\"", escape(name)),
            "visited ",
        );
    }
    if let Some(name) = current {
        mark(
            &mut out,
            &format!("data-state=\"{}\" class=\"", escape(name)),
            "current ",
        );
    }
    for (from, to) in visited {
        mark(
            &mut out,
            &format!("data-edge=\"{}>{}\" class=\"", escape(from), escape(to)),
            "visited ",
        );
    }
    out
}

const TITLE: &str = "\u{0}TITLE\u{0}";

/// Adds `class` in front of the class list after every `anchor`.
fn mark(svg: &mut String, anchor: &str, class: &str) {
    *svg = svg.replace(anchor, &format!("{anchor}{class}"));
}

/// The laid-out graph of a workflow version in a language, with its states and edges named
/// (`data-state`, `data-edge`) so that a case can mark its own.
fn layout(def: &Definition, lang: Lang) -> std::sync::Arc<String> {
    type Cache = HashMap<(String, u32, Lang), std::sync::Arc<String>>;
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    let key = (def.key.clone(), def.version, lang);
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(hit) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return hit.clone();
    }
    let drawn = std::sync::Arc::new(draw(def, lang));
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, drawn.clone());
    drawn
}

fn draw(def: &Definition, lang: Lang) -> String {
    let mut vg = VisualGraph::new(Orientation::TopToBottom);
    let mut handles = Vec::new();
    for s in &def.states {
        let label = s
            .title
            .as_ref()
            .map_or_else(|| s.name.clone(), |t| t.get(lang).to_string());
        let lines = wrap(&label);
        let w = lines.iter().map(|l| width(l)).fold(60.0, f64::max) + 24.0;
        let h = lines.len() as f64 * LINE + 16.0;
        let class = if s.terminal {
            "state terminal"
        } else {
            "state"
        };
        let look = StyleAttr::new(Color::fast("black"), 1, None, 6, FONT as usize);
        let elem = Element::create_with_properties(
            ShapeKind::new_box(&lines.join("\n")),
            look,
            Orientation::TopToBottom,
            Point::new(w, h),
            format!("data-state=\"{}\" class=\"{class}\"", escape(&s.name)),
        );
        handles.push(vg.add_node(elem));
    }
    let mut edges = BTreeSet::new();
    for a in &def.actions {
        let Some(to) = a.to else { continue };
        for &from in &a.from {
            if from == to || !edges.insert((from, to)) {
                continue;
            }
            // An action open from many states (withdrawal) is drawn lighter, so the main path reads.
            let class = format!(
                "edge{}{}",
                if def.is_exit(a) { " minor" } else { "" },
                if a.by_deadline && a.roles.is_empty() {
                    " deadline"
                } else {
                    ""
                }
            );
            let arrow = Arrow::simple_with_properties(
                "",
                format!(
                    "data-edge=\"{}>{}\" class=\"{class}\"",
                    escape(&def.states[from].name),
                    escape(&def.states[to].name)
                ),
            );
            vg.add_edge(arrow, handles[from], handles[to]);
        }
    }
    let mut out = Writer::default();
    vg.do_it(false, false, false, &mut out);
    out.finish(TITLE)
}

/// Collects draw calls into SVG elements and the picture's bounds.
#[derive(Default)]
struct Writer {
    body: String,
    min: Option<(f64, f64)>,
    max: Option<(f64, f64)>,
    /// The properties of the last box drawn (its label is drawn next).
    props: String,
}

pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Writer {
    fn grow(&mut self, p: Point) {
        let (x0, y0) = self.min.unwrap_or((p.x, p.y));
        let (x1, y1) = self.max.unwrap_or((p.x, p.y));
        self.min = Some((x0.min(p.x), y0.min(p.y)));
        self.max = Some((x1.max(p.x), y1.max(p.y)));
    }

    fn finish(self, title: &str) -> String {
        let (x0, y0) = self.min.unwrap_or((0.0, 0.0));
        let (x1, y1) = self.max.unwrap_or((0.0, 0.0));
        let pad = 8.0;
        let (x, y, w, h) = (x0 - pad, y0 - pad, x1 - x0 + 2.0 * pad, y1 - y0 + 2.0 * pad);
        format!(
            "<svg class=\"graph\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"{x:.0} {y:.0} {w:.0} {h:.0}\" \
             width=\"{w:.0}\" height=\"{h:.0}\" role=\"img\" aria-labelledby=\"graph-title\">\
             <title id=\"graph-title\">{}</title>\
             <defs><marker id=\"gl-arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">\
             <path d=\"M0,0 L10,5 L0,10 z\" class=\"arrowhead\"/></marker>\
             <marker id=\"gl-arrow-visited\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">\
             <path d=\"M0,0 L10,5 L0,10 z\" class=\"arrowhead visited\"/></marker></defs>{}</svg>",
            title,
            self.body
        )
    }
}

impl RenderBackend for Writer {
    fn draw_rect(
        &mut self,
        xy: Point,
        size: Point,
        _look: &StyleAttr,
        properties: Option<String>,
        _clip: Option<ClipHandle>,
    ) {
        self.grow(xy);
        self.grow(Point::new(xy.x + size.x, xy.y + size.y));
        self.props = properties.unwrap_or_default();
        let _ = write!(
            self.body,
            "<rect {} x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"6\"/>",
            self.props, xy.x, xy.y, size.x, size.y
        );
    }

    fn draw_line(&mut self, _: Point, _: Point, _: &StyleAttr, _: Option<String>) {}

    fn draw_circle(&mut self, _: Point, _: Point, _: &StyleAttr, _: Option<String>) {}

    fn draw_text(&mut self, xy: Point, text: &str, _look: &StyleAttr) {
        let lines: Vec<&str> = text.lines().collect();
        let top = xy.y - (lines.len() as f64 - 1.0) * LINE / 2.0;
        // The label carries its box's name, so that marking the state marks its text too.
        let props = self.props.replacen("class=\"", "class=\"label ", 1);
        let _ = write!(
            self.body,
            "<text {props} x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" dominant-baseline=\"central\">",
            xy.x, top
        );
        for (i, line) in lines.iter().enumerate() {
            let _ = write!(
                self.body,
                "<tspan x=\"{:.1}\" dy=\"{}\">{}</tspan>",
                xy.x,
                if i == 0 { 0.0 } else { LINE },
                escape(line)
            );
        }
        self.body.push_str("</text>");
    }

    fn draw_arrow(
        &mut self,
        path: &[(Point, Point)],
        dashed: bool,
        head: (bool, bool),
        _look: &StyleAttr,
        properties: Option<String>,
        _text: &str,
    ) {
        if path.len() < 2 {
            return;
        }
        for (a, b) in path {
            self.grow(*a);
            self.grow(*b);
        }
        let mut d = format!(
            "M {:.1} {:.1} C {:.1} {:.1}, {:.1} {:.1}, {:.1} {:.1}",
            path[0].0.x,
            path[0].0.y,
            path[0].1.x,
            path[0].1.y,
            path[1].0.x,
            path[1].0.y,
            path[1].1.x,
            path[1].1.y
        );
        for p in path.iter().skip(2) {
            let _ = write!(d, " S {:.1} {:.1}, {:.1} {:.1}", p.0.x, p.0.y, p.1.x, p.1.y);
        }
        let props = properties.unwrap_or_default();
        let props = if dashed {
            props.replacen("class=\"", "class=\"dashed ", 1)
        } else {
            props
        };
        let marker = "url(#gl-arrow)";
        let _ = write!(
            self.body,
            "<path {props} d=\"{d}\"{}{} fill=\"none\"/>",
            if head.1 {
                format!(" marker-end=\"{marker}\"")
            } else {
                String::new()
            },
            if head.0 {
                format!(" marker-start=\"{marker}\"")
            } else {
                String::new()
            },
        );
    }

    fn create_clip(&mut self, _: Point, _: Point, _: usize) -> ClipHandle {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_wrap_by_their_real_width() {
        let long =
            "Acceptance check: answer within five days or the application counts as accepted";
        let lines = wrap(long);
        assert!(lines.len() > 1, "{lines:?}");
        assert!(lines.iter().all(|l| width(l) <= WRAP + 1.0), "{lines:?}");
        let zh = wrap("受理审查（《行政许可法》第三十二条）：5日内答复，逾期视为受理");
        assert!(
            zh.len() > 1 && zh.iter().all(|l| width(l) <= WRAP + 1.0),
            "{zh:?}"
        );
        assert_eq!(wrap("Draft"), vec!["Draft"]);
    }

    #[test]
    fn the_graph_marks_the_current_state_and_the_path_taken() {
        let source = include_str!("../../workflows/eia_report_form.toml");
        let def = Definition::parse("eia_report_form.toml", source).expect("valid");
        let visited: BTreeSet<(String, String)> =
            [("draft".to_string(), "submitted".to_string())].into();
        let svg = svg(&def, Lang::Zh, Some("submitted"), &visited, "流程图");
        assert!(svg.starts_with("<svg class=\"graph\""), "{svg}");
        assert!(svg.contains("<title id=\"graph-title\">流程图</title>"));
        assert!(
            svg.contains("data-state=\"submitted\" class=\"current state\""),
            "{svg}"
        );
        assert!(
            svg.contains("data-state=\"draft\" class=\"visited state\""),
            "{svg}"
        );
        assert!(
            svg.contains("data-state=\"draft\" class=\"visited label state\""),
            "{svg}"
        );
        assert!(
            svg.contains("data-edge=\"draft>submitted\" class=\"visited edge\""),
            "{svg}"
        );
        assert!(
            !svg.contains("data-state=\"evaluation\" class=\"visited"),
            "{svg}"
        );
        // The layout is kept; another case of the same version marks its own states.
        let other = super::svg(&def, Lang::Zh, Some("draft"), &BTreeSet::new(), "t");
        assert!(
            other.contains("data-state=\"draft\" class=\"current state\""),
            "{other}"
        );
        assert!(!other.contains("class=\"visited"), "{other}");
        assert!(svg.contains(">已提交：受理审查<") || svg.contains(">已提交：受理审查</tspan>"));
        assert!(!svg.contains("style="), "no inline styles: {svg}");
    }
}
