//! A Mermaid `stateDiagram-v2` of a workflow.

use std::fmt::Write;

use super::definition::Definition;

pub fn mermaid(def: &Definition) -> String {
    let mut out = String::from("stateDiagram-v2\n");
    let _ = writeln!(
        out,
        "    %% {} v{}: {}",
        def.key,
        def.version,
        def.title.en()
    );
    let _ = writeln!(out, "    [*] --> {}", def.states[def.initial].name);
    for action in &def.actions {
        let label = if action.by_deadline && action.roles.is_empty() {
            format!("{} (deadline)", action.name)
        } else {
            action.name.clone()
        };
        for &from in &action.from {
            let to = action.to.unwrap_or(from);
            let _ = writeln!(
                out,
                "    {} --> {}: {}",
                def.states[from].name, def.states[to].name, label
            );
        }
    }
    for state in def.states.iter().filter(|s| s.terminal) {
        let _ = writeln!(out, "    {} --> [*]", state.name);
    }
    out
}
