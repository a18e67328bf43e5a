//! Classification: which category and workflow a project needs, and the check at submission
//! that an application is not filed under a lower category than the catalogue demands.

use serde::Serialize;
use serde_json::Value;

use super::{App, AppError};
use crate::domain::catalogue::{workflow_for, Activity, Classification};
use crate::domain::project::{Category, ProjectData};
use crate::domain::FieldErrors;
use crate::engine::{DataSchema, Definition};

#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub covered: bool,
    pub category: Option<Category>,
    pub workflow: Option<&'static str>,
    pub decided_by: Option<Classification>,
    pub explanation: String,
    pub catalogue_edition: String,
}

/// Classifies one or more activities (a project spanning industries takes the highest).
pub fn classify(app: &App, activities: &[Activity], sensitive_area: Option<u8>) -> Answer {
    let edition = app.catalogue.edition.clone();
    match app.catalogue.classify(activities, sensitive_area) {
        Some(c) => Answer {
            covered: true,
            category: Some(c.category),
            workflow: Some(workflow_for(c.category)),
            explanation: c.explain(),
            decided_by: Some(c),
            catalogue_edition: edition,
        },
        None => Answer {
            covered: false,
            category: None,
            workflow: None,
            decided_by: None,
            explanation: "no row of the catalogue covers this industry and project type; ask the bureau (pre-consultation)".into(),
            catalogue_edition: edition,
        },
    }
}

/// What a person asks to classify: one activity, a sensitive-area class, and more activities.
#[derive(Debug, Clone, Default)]
pub struct Question {
    pub activity: Activity,
    pub sensitive_area: Option<u8>,
    pub also: Vec<Activity>,
}

/// Checks the question (a GB/T 4754 code, a sensitive-area class of 1 to 3) and classifies it.
pub fn answer(app: &App, q: Question) -> Result<Answer, AppError> {
    let mut errors = FieldErrors::default();
    if crate::domain::project::IndustryCode::parse(&q.activity.industry_code).is_none() {
        errors.add(
            "industry_code",
            "must be a GB/T 4754 code: a letter A-T and 2 to 4 digits, e.g. C1713",
        );
    }
    if q.sensitive_area.is_some_and(|c| !(1..=3).contains(&c)) {
        errors.add("sensitive_area", "1, 2 or 3");
    }
    errors.into_result().map_err(AppError::Validation)?;
    let mut activities = vec![q.activity];
    activities.extend(q.also);
    Ok(classify(app, &activities, q.sensitive_area))
}

/// Refuses EIA project data filed under a lower category than the catalogue demands.
pub fn check_category(app: &App, def: &Definition, data: &Value) -> Result<(), AppError> {
    if def.data != Some(DataSchema::EiaProject) {
        return Ok(());
    }
    let Ok(project) = ProjectData::parse(data) else {
        return Ok(());
    };
    let activity = Activity {
        industry_code: project.industry_code.as_str().to_string(),
        project_type: project.project_type.clone(),
        quantities: project.quantities.clone(),
        features: project.features.clone(),
    };
    let Some(needed) = app.catalogue.classify(&[activity], project.sensitive_area) else {
        return Ok(());
    };
    if needed.category.rank() > project.category.rank() {
        let mut e = FieldErrors::default();
        e.add(
            "category",
            format!(
                "`{}` is lower than the catalogue demands: {}; file it with the {} workflow",
                project.category.as_str(),
                needed.explain(),
                workflow_for(needed.category)
            ),
        );
        return Err(AppError::Validation(e));
    }
    Ok(())
}
