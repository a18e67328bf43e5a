//! A workflow as BPMN 2.0 XML, for the modelling tools a bureau already has (bpmn.io, Camunda
//! Modeler): states as user tasks (terminal states as end events), actions as sequence flows,
//! clocks as boundary timer events on the states where they run, with their ISO 8601 durations,
//! roles as lanes; with diagram coordinates (BPMNDI), so that the file draws when it is opened.
//!
//! The layout is a plain grid: a column per step from the first state (breadth first), a lane per
//! role, nodes of the same lane and column stacked. Flows go from the right edge of their source
//! to the left edge of their target, around the nodes when they go back.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write;

use super::definition::{ClockStatus, Definition, StateId};
use crate::domain::directory::Lang;
use crate::domain::Role;

const TASK_W: i64 = 130;
const TASK_H: i64 = 64;
const EVENT: i64 = 36;
const COL_W: i64 = 210;
const ROW_H: i64 = 110;
const LANE_LABEL: i64 = 30;
const POOL_LABEL: i64 = 30;
const LEFT: i64 = POOL_LABEL + LANE_LABEL + 40;

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// An id valid as an XML NCName, from a workflow name (letters, digits, `_`).
fn id(prefix: &str, name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{prefix}_{clean}")
}

/// The ISO 8601 duration of a clock: whole days (the limit counts working or calendar days, as
/// the documentation of the timer says), or hours taken from a case-data field (an expression
/// Camunda evaluates).
fn duration(def: &Definition, clock: usize) -> String {
    let c = &def.clocks[clock];
    match &c.hours_from {
        Some(field) => format!("PT${{{field}}}H"),
        None => format!("P{}D", c.limit_days),
    }
}

struct Node {
    id: String,
    name: String,
    end: bool,
    lane: usize,
    col: i64,
    row: i64,
}

struct Flow {
    id: String,
    name: String,
    source: String,
    target: String,
}

struct Timer {
    id: String,
    name: String,
    on: String,
    duration: String,
    documentation: String,
    interrupting: bool,
}

/// Who acts in a state: the first role of the first action fired from it by a person.
fn lane_role(def: &Definition, s: StateId) -> Option<Role> {
    def.state(s)
        .actions
        .iter()
        .map(|a| &def.actions[*a])
        .filter(|a| !a.by_deadline && !a.automatic)
        .find_map(|a| a.roles.iter().next())
}

/// Columns: breadth first from the initial state; states never reached go last.
fn columns(def: &Definition) -> Vec<i64> {
    let mut col = vec![-1i64; def.states.len()];
    let mut queue = VecDeque::from([def.initial]);
    col[def.initial] = 0;
    while let Some(s) = queue.pop_front() {
        for a in &def.state(s).actions {
            if let Some(t) = def.actions[*a].to {
                if col[t] < 0 {
                    col[t] = col[s] + 1;
                    queue.push_back(t);
                }
            }
        }
    }
    let max = col.iter().copied().max().unwrap_or(0);
    col.iter()
        .map(|c| if *c < 0 { max + 1 } else { *c })
        .collect()
}

/// The workflow as a BPMN 2.0 document, its names in `lang`; `role_name` names a lane.
pub fn export(def: &Definition, lang: Lang, role_name: &dyn Fn(Option<Role>) -> String) -> String {
    let layout = Layout::of(def, lang);
    let (flows, timers) = flows_and_timers(def, lang);
    let mut out = String::new();
    write_process(&mut out, def, lang, role_name, &layout, &flows, &timers);
    write_diagram(&mut out, &layout, &flows, &timers);
    out
}

/// Where the states go: lanes by the role that acts, columns by distance from the start, rows
/// inside a lane and column.
struct Layout {
    lanes: Vec<Option<Role>>,
    nodes: Vec<Node>,
    rows_in_lane: Vec<i64>,
    lane_top: Vec<i64>,
    start_lane: usize,
}

impl Layout {
    fn of(def: &Definition, lang: Lang) -> Layout {
        let cols = columns(def);
        // Lanes in the order roles first act; the system's lane (no person acts) last.
        let mut lanes: Vec<Option<Role>> = Vec::new();
        let mut lane_of = vec![0usize; def.states.len()];
        let mut order: Vec<StateId> = (0..def.states.len()).collect();
        order.sort_by_key(|s| (cols[*s], *s));
        for s in &order {
            let r = lane_role(def, *s);
            let i = lanes.iter().position(|l| *l == r).unwrap_or_else(|| {
                lanes.push(r);
                lanes.len() - 1
            });
            lane_of[*s] = i;
        }
        // Rows inside a lane and column.
        let mut used: BTreeMap<(usize, i64), i64> = BTreeMap::new();
        let mut nodes: Vec<Node> = Vec::new();
        for s in &order {
            let st = def.state(*s);
            let key = (lane_of[*s], cols[*s]);
            let row = *used.get(&key).unwrap_or(&0);
            used.insert(key, row + 1);
            nodes.push(Node {
                id: id("State", &st.name),
                name: def.state_title(&st.name, lang),
                end: st.terminal,
                lane: lane_of[*s],
                col: cols[*s] + 1,
                row,
            });
        }
        let rows_in_lane: Vec<i64> = (0..lanes.len())
            .map(|l| {
                used.iter()
                    .filter(|((lane, _), _)| *lane == l)
                    .map(|(_, n)| *n)
                    .max()
                    .unwrap_or(1)
            })
            .collect();
        let lane_top: Vec<i64> = rows_in_lane
            .iter()
            .scan(0i64, |top, rows| {
                let t = *top;
                *top += rows * ROW_H + 20;
                Some(t)
            })
            .collect();
        Layout {
            lanes,
            nodes,
            rows_in_lane,
            lane_top,
            start_lane: lane_of[def.initial],
        }
    }
}

/// The sequence flows (the start's, each action's, each deadline's) and the timers on the
/// states where a clock runs.
fn flows_and_timers(def: &Definition, lang: Lang) -> (Vec<Flow>, Vec<Timer>) {
    let mut flows: Vec<Flow> = vec![Flow {
        id: "Flow_start".into(),
        name: String::new(),
        source: "Start".into(),
        target: id("State", &def.state(def.initial).name),
    }];
    let mut timers: Vec<Timer> = Vec::new();
    for (si, st) in def.states.iter().enumerate() {
        for (ci, status) in st.clocks.iter().enumerate() {
            if *status != ClockStatus::Running {
                continue;
            }
            let Some(action) = def.action_from(si, &def.clocks[ci].on_expiry) else {
                continue;
            };
            let timer = timer(def, lang, si, ci, action);
            flows.push(Flow {
                id: id("Flow", &format!("{}_{}_deadline", action.name, st.name)),
                name: action.title_in(lang),
                source: timer.id.clone(),
                target: id("State", &def.state(action.to.unwrap_or(si)).name),
            });
            timers.push(timer);
        }
        for a in &st.actions {
            let action = &def.actions[*a];
            let deadline = id("Flow", &format!("{}_{}_deadline", action.name, st.name));
            if action.by_deadline && flows.iter().any(|f| f.id == deadline) {
                continue; // drawn from its timer, above
            }
            flows.push(Flow {
                id: id("Flow", &format!("{}_{}", action.name, st.name)),
                name: action.title_in(lang),
                source: id("State", &st.name),
                target: id("State", &def.state(action.to.unwrap_or(si)).name),
            });
        }
    }
    (flows, timers)
}

/// The timer of clock `ci` on state `si`, whose expiry fires `action`.
fn timer(
    def: &Definition,
    lang: Lang,
    si: StateId,
    ci: usize,
    action: &super::definition::Action,
) -> Timer {
    let (st, clock) = (def.state(si), &def.clocks[ci]);
    let basis = clock
        .basis
        .as_ref()
        .map(|b| b.get(lang).to_string())
        .unwrap_or_default();
    let days = match clock.day_type {
        crate::domain::calendar::DayType::Working => "working days",
        _ => "calendar days",
    };
    Timer {
        id: id("Timer", &format!("{}_{}", clock.name, st.name)),
        name: def.clock_title(&clock.name, lang),
        on: id("State", &st.name),
        duration: duration(def, ci),
        documentation: if clock.hours_from.is_some() {
            basis
        } else {
            format!("{} {days}. {basis}", clock.limit_days)
        },
        interrupting: action.to.is_some_and(|t| t != si),
    }
}

/// The process: its lanes, start, tasks and end events, timers and flows.
fn write_process(
    out: &mut String,
    def: &Definition,
    lang: Lang,
    role_name: &dyn Fn(Option<Role>) -> String,
    layout: &Layout,
    flows: &[Flow],
    timers: &[Timer],
) {
    let title = xml(def.title.get(lang));
    let key = xml(&def.key);
    let _ = write!(
        out,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="{defs}" targetNamespace="urn:greenlane:workflow:{key}:{version}" exporter="Greenlane" exporterVersion="{pkg}">
  <bpmn:collaboration id="Collaboration_1">
    <bpmn:participant id="Participant_1" name="{title}" processRef="{process}"/>
  </bpmn:collaboration>
  <bpmn:process id="{process}" name="{title}" isExecutable="false">
    <bpmn:documentation>{title}, version {version} ({key})</bpmn:documentation>
    <bpmn:laneSet id="LaneSet_1">
"#,
        defs = id("Definitions", &def.key),
        process = id("Process", &def.key),
        version = def.version,
        pkg = env!("CARGO_PKG_VERSION"),
    );
    write_lanes(out, role_name, layout, timers);
    let refs = |node: &str, out: &mut String| {
        for f in flows.iter().filter(|f| f.target == node) {
            let _ = writeln!(out, "      <bpmn:incoming>{}</bpmn:incoming>", f.id);
        }
        for f in flows.iter().filter(|f| f.source == node) {
            let _ = writeln!(out, "      <bpmn:outgoing>{}</bpmn:outgoing>", f.id);
        }
    };
    out.push_str("    <bpmn:startEvent id=\"Start\">\n");
    refs("Start", out);
    out.push_str("    </bpmn:startEvent>\n");
    for n in &layout.nodes {
        let tag = if n.end { "endEvent" } else { "userTask" };
        let _ = writeln!(
            out,
            r#"    <bpmn:{tag} id="{}" name="{}">"#,
            n.id,
            xml(&n.name)
        );
        refs(&n.id, out);
        let _ = writeln!(out, "    </bpmn:{tag}>");
    }
    for t in timers {
        let _ = writeln!(
            out,
            r#"    <bpmn:boundaryEvent id="{}" name="{}" attachedToRef="{}" cancelActivity="{}">"#,
            t.id,
            xml(&t.name),
            t.on,
            t.interrupting
        );
        let _ = writeln!(
            out,
            "      <bpmn:documentation>{}</bpmn:documentation>",
            xml(&t.documentation)
        );
        refs(&t.id, out);
        let _ = writeln!(
            out,
            r#"      <bpmn:timerEventDefinition id="{}_def"><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{}</bpmn:timeDuration></bpmn:timerEventDefinition>"#,
            t.id,
            xml(&t.duration)
        );
        out.push_str("    </bpmn:boundaryEvent>\n");
    }
    for f in flows {
        let name = if f.name.is_empty() {
            String::new()
        } else {
            format!(r#" name="{}""#, xml(&f.name))
        };
        let _ = writeln!(
            out,
            r#"    <bpmn:sequenceFlow id="{}"{name} sourceRef="{}" targetRef="{}"/>"#,
            f.id, f.source, f.target
        );
    }
    out.push_str("  </bpmn:process>\n");
}

/// The lanes, each with the nodes in it.
fn write_lanes(
    out: &mut String,
    role_name: &dyn Fn(Option<Role>) -> String,
    layout: &Layout,
    timers: &[Timer],
) {
    for (l, role) in layout.lanes.iter().enumerate() {
        let _ = writeln!(
            out,
            r#"      <bpmn:lane id="Lane_{l}" name="{}">"#,
            xml(&role_name(*role))
        );
        if l == layout.start_lane {
            out.push_str("        <bpmn:flowNodeRef>Start</bpmn:flowNodeRef>\n");
        }
        for n in layout.nodes.iter().filter(|n| n.lane == l) {
            let _ = writeln!(out, "        <bpmn:flowNodeRef>{}</bpmn:flowNodeRef>", n.id);
            for t in timers.iter().filter(|t| t.on == n.id) {
                let _ = writeln!(out, "        <bpmn:flowNodeRef>{}</bpmn:flowNodeRef>", t.id);
            }
        }
        out.push_str("      </bpmn:lane>\n");
    }
    out.push_str("    </bpmn:laneSet>\n");
}

/// A shape's bounds: x, y, width, height.
type Bounds = (i64, i64, i64, i64);

/// The bounds of every node, by id: the start, the states, the timers on their states' edges.
fn bounds(layout: &Layout, timers: &[Timer]) -> BTreeMap<String, Bounds> {
    let mut bounds: BTreeMap<String, Bounds> = BTreeMap::new();
    let cell = |lane: usize, col: i64, row: i64, w: i64, h: i64| {
        let x = LEFT + col * COL_W + (TASK_W - w) / 2;
        let y = layout.lane_top[lane] + row * ROW_H + 20 + (TASK_H - h) / 2;
        (x, y, w, h)
    };
    bounds.insert("Start".into(), cell(layout.start_lane, 0, 0, EVENT, EVENT));
    for n in &layout.nodes {
        let (w, h) = if n.end {
            (EVENT, EVENT)
        } else {
            (TASK_W, TASK_H)
        };
        bounds.insert(n.id.clone(), cell(n.lane, n.col, n.row, w, h));
    }
    let mut on_task: BTreeMap<String, i64> = BTreeMap::new();
    for t in timers {
        let (x, y, _, h) = bounds.get(&t.on).copied().unwrap_or_default();
        let k = on_task.entry(t.on.clone()).or_insert(0);
        bounds.insert(
            t.id.clone(),
            (x + 10 + *k * (EVENT + 6), y + h - EVENT / 2, EVENT, EVENT),
        );
        *k += 1;
    }
    bounds
}

/// The points a flow's edge passes through.
fn waypoints(f: &Flow, bounds: &BTreeMap<String, Bounds>) -> Vec<(i64, i64)> {
    let (sx, sy, sw, sh) = bounds.get(&f.source).copied().unwrap_or_default();
    let (tx, ty, tw, th) = bounds.get(&f.target).copied().unwrap_or_default();
    if f.source.starts_with("Timer_") {
        // Down from the timer, then across.
        let (ax, ay) = (sx + sw / 2, sy + sh);
        vec![
            (ax, ay),
            (ax, ay + 14),
            (tx + tw / 2, ay + 14),
            (tx + tw / 2, if ty > ay { ty } else { ty + th }),
        ]
    } else if f.source == f.target {
        // A loop over the top.
        vec![
            (sx + sw - 20, sy),
            (sx + sw - 20, sy - 16),
            (sx + 20, sy - 16),
            (sx + 20, sy),
        ]
    } else if tx > sx {
        let (ax, ay) = (sx + sw, sy + sh / 2);
        let (bx, by) = (tx, ty + th / 2);
        let mut points = vec![(ax, ay)];
        if ay != by {
            let mid = ax + (bx - ax) / 2;
            points.push((mid, ay));
            points.push((mid, by));
        }
        points.push((bx, by));
        points
    } else {
        // Back to an earlier column: under the source, then up into the target.
        let below = sy.max(ty) + sh.max(th) + 18;
        vec![
            (sx + sw / 2, sy + sh),
            (sx + sw / 2, below),
            (tx + tw / 2, below),
            (tx + tw / 2, ty + th),
        ]
    }
}

/// The diagram: the pool, its lanes, every shape and every edge.
fn write_diagram(out: &mut String, layout: &Layout, flows: &[Flow], timers: &[Timer]) {
    let max_col = layout.nodes.iter().map(|n| n.col).max().unwrap_or(1);
    let width = LEFT + (max_col + 1) * COL_W;
    let height = layout.lane_top.last().copied().unwrap_or(0)
        + layout.rows_in_lane.last().copied().unwrap_or(1) * ROW_H
        + 20;
    let bounds = bounds(layout, timers);
    let _ = write!(
        out,
        r#"  <bpmndi:BPMNDiagram id="Diagram_1">
    <bpmndi:BPMNPlane id="Plane_1" bpmnElement="Collaboration_1">
      <bpmndi:BPMNShape id="Participant_1_di" bpmnElement="Participant_1" isHorizontal="true"><dc:Bounds x="0" y="0" width="{width}" height="{height}"/></bpmndi:BPMNShape>
"#
    );
    for (l, top) in layout.lane_top.iter().enumerate() {
        let h = layout.rows_in_lane[l] * ROW_H + 20;
        let _ = writeln!(
            out,
            r#"      <bpmndi:BPMNShape id="Lane_{l}_di" bpmnElement="Lane_{l}" isHorizontal="true"><dc:Bounds x="{POOL_LABEL}" y="{top}" width="{}" height="{h}"/></bpmndi:BPMNShape>"#,
            width - POOL_LABEL
        );
    }
    for (node, (x, y, w, h)) in &bounds {
        let _ = writeln!(
            out,
            r#"      <bpmndi:BPMNShape id="{node}_di" bpmnElement="{node}"><dc:Bounds x="{x}" y="{y}" width="{w}" height="{h}"/></bpmndi:BPMNShape>"#
        );
    }
    for f in flows {
        let _ = writeln!(
            out,
            r#"      <bpmndi:BPMNEdge id="{}_di" bpmnElement="{}">"#,
            f.id, f.id
        );
        for (x, y) in waypoints(f, &bounds) {
            let _ = writeln!(out, r#"        <di:waypoint x="{x}" y="{y}"/>"#);
        }
        out.push_str("      </bpmndi:BPMNEdge>\n");
    }
    out.push_str("    </bpmndi:BPMNPlane>\n  </bpmndi:BPMNDiagram>\n</bpmn:definitions>\n");
}
