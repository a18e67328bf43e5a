//! The EIA classification catalogue as data: which category (and so which workflow) a project
//! needs, and why. Pure.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::project::Category;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalogue {
    edition: String,
    rows: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Row {
    pub id: String,
    pub industry: String,
    #[serde(default)]
    pub project_type: Option<String>,
    pub title: String,
    pub rules: Vec<Rule>,
    #[serde(default)]
    pub sensitive: Vec<SensitiveRule>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub category: Category,
    #[serde(default)]
    pub feature: Option<String>,
    #[serde(default)]
    pub quantity: Option<String>,
    #[serde(default)]
    pub at_least: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SensitiveRule {
    pub class: u8,
    pub category: Category,
}

impl Rule {
    fn describe(&self) -> String {
        match (&self.feature, &self.quantity, self.at_least) {
            (Some(f), _, _) => format!("the process includes `{f}`"),
            (_, Some(q), Some(n)) => format!("`{q}` is at least {n}"),
            _ => "in every case".to_string(),
        }
    }
}

/// What is being classified: one activity of a project.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct Activity {
    pub industry_code: String,
    #[serde(default)]
    pub project_type: Option<String>,
    #[serde(default)]
    pub quantities: BTreeMap<String, f64>,
    #[serde(default)]
    pub features: Vec<String>,
}

/// The outcome, with the row and condition that decided it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classification {
    pub category: Category,
    pub row: String,
    pub row_title: String,
    pub condition: String,
    /// Set when the sensitive-area override raised the category.
    pub sensitive_override: Option<String>,
}

impl Classification {
    pub fn explain(&self) -> String {
        let mut s = format!(
            "the classification catalogue (row `{}`, {}) requires `{}` because {}",
            self.row,
            self.row_title,
            self.category.as_str(),
            self.condition
        );
        if let Some(o) = &self.sensitive_override {
            s.push_str(&format!("; {o}"));
        }
        s
    }
}

#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    pub edition: String,
    rows: Vec<Row>,
}

impl Catalogue {
    pub fn parse(file: &str, source: &str) -> Result<Catalogue, Vec<String>> {
        let raw: RawCatalogue = toml::from_str(source)
            .map_err(|e| vec![format!("{file}: {}", e.to_string().trim_end())])?;
        let mut errors = Vec::new();
        let mut ids = std::collections::BTreeSet::new();
        for row in &raw.rows {
            if !ids.insert(row.id.clone()) {
                errors.push(format!("{file}: row `{}` appears twice", row.id));
            }
            if row.rules.is_empty() {
                errors.push(format!("{file}: row `{}` has no rules", row.id));
            }
            for (i, r) in row.rules.iter().enumerate() {
                if r.quantity.is_some() != r.at_least.is_some() {
                    errors.push(format!(
                        "{file}: row `{}` rule {}: `quantity` and `at_least` go together",
                        row.id,
                        i + 1
                    ));
                }
            }
            if row
                .rules
                .last()
                .is_some_and(|r| r.feature.is_some() || r.quantity.is_some())
            {
                errors.push(format!("{file}: row `{}`: the last rule must hold always, so that every project gets a category", row.id));
            }
            for s in &row.sensitive {
                if !(1..=3).contains(&s.class) {
                    errors.push(format!(
                        "{file}: row `{}`: sensitive class must be 1, 2 or 3",
                        row.id
                    ));
                }
            }
        }
        if errors.is_empty() {
            Ok(Catalogue {
                edition: raw.edition,
                rows: raw.rows,
            })
        } else {
            Err(errors)
        }
    }

    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// The most specific row for an activity: the longest industry prefix, a matching project
    /// type preferred over a row without one.
    fn row_for(&self, a: &Activity) -> Option<&Row> {
        self.rows
            .iter()
            .filter(|r| a.industry_code.starts_with(&r.industry))
            .filter(|r| r.project_type.is_none() || r.project_type == a.project_type)
            .max_by_key(|r| (r.industry.len(), r.project_type.is_some()))
    }

    fn classify_one(&self, a: &Activity, sensitive_area: Option<u8>) -> Option<Classification> {
        let row = self.row_for(a)?;
        let rule = row
            .rules
            .iter()
            .find(|r| match (&r.feature, &r.quantity, r.at_least) {
                (Some(f), _, _) => a.features.contains(f),
                (_, Some(q), Some(n)) => a.quantities.get(q).is_some_and(|v| *v >= n),
                _ => true,
            })?;
        let mut out = Classification {
            category: rule.category,
            row: row.id.clone(),
            row_title: row.title.clone(),
            condition: rule.describe(),
            sensitive_override: None,
        };
        if let Some(class) = sensitive_area {
            if let Some(s) = row
                .sensitive
                .iter()
                .filter(|s| s.class == class)
                .max_by_key(|s| s.category.rank())
            {
                if s.category.rank() > out.category.rank() {
                    out.sensitive_override = Some(format!(
                        "the site is in a class {class} sensitive area, which raises it from `{}`",
                        out.category.as_str()
                    ));
                    out.category = s.category;
                }
            }
        }
        Some(out)
    }

    /// The category a project needs: the highest over its activities. `None` when no row
    /// covers any of them (this catalogue is a subset).
    pub fn classify(
        &self,
        activities: &[Activity],
        sensitive_area: Option<u8>,
    ) -> Option<Classification> {
        activities
            .iter()
            .filter_map(|a| self.classify_one(a, sensitive_area))
            .max_by_key(|c| c.category.rank())
    }
}

/// The workflow that handles a category.
pub fn workflow_for(category: Category) -> &'static str {
    match category {
        Category::Report => "eia_report",
        Category::ReportForm => "eia_report_form",
        Category::Registration => "eia_registration",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: &str = include_str!("../../workflows/catalogue/classification.toml");

    fn activity(industry: &str, project_type: Option<&str>) -> Activity {
        Activity {
            industry_code: industry.into(),
            project_type: project_type.map(str::to_string),
            ..Activity::default()
        }
    }

    #[test]
    fn conditions_thresholds_features_and_the_sensitive_override() {
        let c = Catalogue::parse("c.toml", SHIPPED).expect("valid");
        let sewage = |q: f64, s| {
            let mut a = activity("D4620", Some("sewage_treatment"));
            a.quantities.insert("daily_capacity_t".into(), q);
            c.classify(&[a], s).expect("covered")
        };
        assert_eq!(sewage(499.0, None).category, Category::Registration);
        assert_eq!(sewage(500.0, None).category, Category::ReportForm);
        assert_eq!(
            sewage(500.0, None).condition,
            "`daily_capacity_t` is at least 500"
        );
        let raised = sewage(100.0, Some(1));
        assert_eq!(raised.category, Category::ReportForm);
        assert!(raised.sensitive_override.is_some());
        assert_eq!(sewage(100.0, Some(3)).category, Category::Registration);

        let mut plating = activity("C3360", Some("surface_treatment"));
        assert_eq!(
            c.classify(&[plating.clone()], None)
                .expect("covered")
                .category,
            Category::ReportForm
        );
        plating.features.push("electroplating".into());
        let r = c.classify(&[plating], None).expect("covered");
        assert_eq!(
            (r.category, r.row.as_str()),
            (Category::Report, "surface-treatment")
        );
        assert!(r
            .explain()
            .contains("the process includes `electroplating`"));
    }

    #[test]
    fn a_project_spanning_rows_takes_the_highest_and_uncovered_ones_are_none() {
        let c = Catalogue::parse("c.toml", SHIPPED).expect("valid");
        let both = [activity("G5910", None), activity("C2221", Some("pulp"))];
        assert_eq!(
            c.classify(&both, None).expect("covered").category,
            Category::Report
        );
        assert!(c.classify(&[activity("A0111", None)], None).is_none());
        assert_eq!(workflow_for(Category::ReportForm), "eia_report_form");
    }

    #[test]
    fn refuses_rows_without_a_fallback() {
        let bad = "edition = \"x\"\n[[rows]]\nid = \"r\"\nindustry = \"C1\"\ntitle = \"t\"\nrules = [{ category = \"report\", feature = \"x\" }]\n";
        let e = Catalogue::parse("c.toml", bad).expect_err("refused");
        assert!(e[0].contains("the last rule must hold always"), "{e:?}");
    }
}
