//! Working days and time limits (EIA.md "Time limits", "Working days"). Pure.
//!
//! A date is a working day if it is Monday to Friday and not an official day off, or if it is an
//! official make-up working day. A year without published data falls back to weekends only, and
//! anything computed from it is *provisional*.
//!
//! Counting (Civil Code arts. 201-204): the start day is not counted; a period whose last day is
//! a day off ends on the next working day; the last day ends at 24:00 Asia/Shanghai.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::FieldErrors;
use crate::msg;

/// Asia/Shanghai. China has kept UTC+8 without daylight saving since 1991, so a fixed offset is
/// exact for every date this service handles.
pub fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"))
}

/// The Shanghai date of an instant.
/// The last day a stretch ending at `t` touched: the day of `t`, or the day before when `t` is
/// exactly midnight in Shanghai (24:00 of that day).
pub fn last_day_of(t: DateTime<Utc>) -> NaiveDate {
    let day = local_date(t);
    if t == start_of(day) {
        day.pred_opt().unwrap_or(day)
    } else {
        day
    }
}

pub fn local_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&shanghai()).date_naive()
}

/// The instant a Shanghai date begins (00:00 local).
pub fn start_of(date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    shanghai()
        .from_local_datetime(&midnight)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&midnight))
}

/// The instant a Shanghai date ends (24:00 local, i.e. the next day's 00:00).
pub fn end_of(date: NaiveDate) -> DateTime<Utc> {
    start_of(date.checked_add_days(Days::new(1)).unwrap_or(date))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayType {
    #[default]
    Working,
    Calendar,
}

/// One official day: a day off, or a make-up working day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficialDay {
    pub date: NaiveDate,
    #[serde(default)]
    pub name: String,
    /// `true`: a day off; `false`: a make-up working day. Accepts holiday-cn's `isOffDay`.
    #[serde(alias = "isOffDay")]
    pub off: bool,
}

/// One year's official arrangement, with the notices it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Year {
    pub year: i32,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub papers: Vec<String>,
    pub days: Vec<OfficialDay>,
}

impl Year {
    /// Parses and checks a year: every date inside it or next to it, none twice, and at least
    /// one day (an empty year is simply not published yet). A weekday listed as a working day is
    /// allowed: notices sometimes name the first day back.
    pub fn parse(value: &serde_json::Value) -> Result<Year, FieldErrors> {
        let mut errors = FieldErrors::default();
        let year: Year = match serde_json::from_value(value.clone()) {
            Ok(y) => y,
            Err(e) => {
                errors.add("calendar", msg!("err-calendar-file", detail = e));
                return Err(errors);
            }
        };
        if !(1990..=2200).contains(&year.year) {
            errors.add("year", msg!("err-between", min = 1990, max = 2200));
        }
        if year.days.is_empty() {
            errors.add("days", msg!("err-year-without-data"));
        }
        let mut seen = BTreeSet::new();
        for (i, d) in year.days.iter().enumerate() {
            // A notice may reach into the neighbouring years (the 2019 New Year holiday began on
            // 30 December 2018).
            if (d.date.year() - year.year).abs() > 1 {
                errors.add(
                    format!("days[{i}].date"),
                    msg!("err-calendar-day-outside", date = d.date, year = year.year),
                );
            }
            if !seen.insert(d.date) {
                errors.add(
                    format!("days[{i}].date"),
                    msg!("err-calendar-day-twice", date = d.date),
                );
            }
        }
        errors.into_result().map(|()| year)
    }
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The calendars in force, with a version that changes whenever any year's data does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    /// Years with published data.
    years: BTreeSet<i32>,
    /// Every official date: `true` off, `false` a make-up working day.
    days: BTreeMap<NaiveDate, bool>,
    version: String,
}

impl Calendar {
    pub fn new(years: &[Year]) -> Calendar {
        let mut sorted: Vec<&Year> = years.iter().collect();
        sorted.sort_by_key(|y| y.year);
        let mut covered = BTreeSet::new();
        let mut days = BTreeMap::new();
        for y in sorted {
            covered.insert(y.year);
            // A later year's notice has the last word on a date both mention.
            for d in &y.days {
                days.insert(d.date, d.off);
            }
        }
        let mut hasher = Sha256::new();
        for y in &covered {
            hasher.update(format!("{y};"));
        }
        for (date, off) in &days {
            hasher.update(format!("{date}{};", if *off { '-' } else { '+' }));
        }
        let version = hex::encode(hasher.finalize())[..16].to_string();
        Calendar {
            years: covered,
            days,
            version,
        }
    }

    /// A short hash of all the data; recorded with every deadline computed from it.
    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn has_year(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    pub fn years(&self) -> Vec<i32> {
        self.years.iter().copied().collect()
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        match self.days.get(&d) {
            Some(off) => !off,
            None => !is_weekend(d),
        }
    }

    fn counts(&self, d: NaiveDate, day_type: DayType) -> bool {
        match day_type {
            DayType::Working => self.is_working_day(d),
            DayType::Calendar => true,
        }
    }

    /// How many counted days lie in `(after, through]`, and whether any of them is provisional.
    pub fn count(&self, after: NaiveDate, through: NaiveDate, day_type: DayType) -> (u32, bool) {
        let mut n = 0;
        let mut provisional = false;
        let mut d = after;
        while d < through {
            d = d.succ_opt().unwrap_or(d);
            provisional |= !self.has_year(d.year());
            if self.counts(d, day_type) {
                n += 1;
            }
        }
        (n, provisional)
    }

    /// The day on which the `n`-th counted day after `start` falls (n >= 1); for calendar days,
    /// a last day that is a day off moves to the next working day.
    pub fn nth_after(&self, start: NaiveDate, n: u32, day_type: DayType) -> (NaiveDate, bool) {
        let mut d = start;
        let mut left = n;
        let mut provisional = false;
        while left > 0 {
            d = d.succ_opt().unwrap_or(d);
            provisional |= !self.has_year(d.year());
            if self.counts(d, day_type) {
                left -= 1;
            }
        }
        if day_type == DayType::Calendar {
            while !self.is_working_day(d) {
                d = d.succ_opt().unwrap_or(d);
                provisional |= !self.has_year(d.year());
            }
        }
        (d, provisional)
    }
}

/// A stretch of time during which a clock ran, or was stopped (paused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
    pub running: bool,
}

/// A clock as a user reads it at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reading {
    pub limit_days: u32,
    pub day_type: DayType,
    pub used_days: i64,
    pub remaining_days: i64,
    /// The last day of the limit (Shanghai). `None` while paused short of the limit, or never started.
    pub due: Option<NaiveDate>,
    /// 24:00 Shanghai on `due`.
    pub due_at: Option<DateTime<Utc>>,
    pub running: bool,
    pub provisional: bool,
    pub overdue: bool,
}

/// Reads a clock from the segments of its current run. Each running segment counts the days in
/// `(start date, end date]` (today, for the open one): the day a clock starts or resumes is not
/// counted, the day it stops is.
pub fn read(
    cal: &Calendar,
    limit_days: u32,
    day_type: DayType,
    segments: &[Segment],
    now: DateTime<Utc>,
) -> Reading {
    let today = local_date(now);
    let mut used: i64 = 0;
    let mut provisional = false;
    let mut due: Option<NaiveDate> = None;
    let mut running = false;
    for s in segments.iter().filter(|s| s.running) {
        let from = local_date(s.start);
        let open = s.end.is_none();
        running |= open;
        // A run stopped by its own expiry stops at 24:00 of its last day, which is 00:00 of the
        // next: that next day is not one it used.
        let through = s.end.map_or(today, last_day_of).max(from);
        if due.is_none() {
            let left = i64::from(limit_days) - used;
            if left >= 1 {
                let (reached, p) =
                    cal.nth_after(from, u32::try_from(left).unwrap_or(u32::MAX), day_type);
                if open || reached <= through {
                    due = Some(reached);
                    provisional |= p;
                }
            }
        }
        let (n, p) = cal.count(from, through, day_type);
        used += i64::from(n);
        provisional |= p;
    }
    let overdue = match due {
        Some(d) if running => days_left(cal, day_type, d, today) < 0,
        _ => used > i64::from(limit_days),
    };
    Reading {
        limit_days,
        day_type,
        used_days: used,
        remaining_days: i64::from(limit_days) - used,
        due,
        due_at: due.map(end_of),
        running,
        provisional,
        overdue,
    }
}

/// The days of `day_type` left on `today` until the last day `due` of a running clock (today
/// itself not counted), or, negative, the days past it: the one count the inbox, the case page
/// and the figures share. Past the last day, only days of the clock's kind count: a working-day
/// clock due on a Friday is not overdue on the Saturday after (no working day has passed; its
/// used days still equal its limit), and is one working day overdue on the Monday.
pub fn days_left(cal: &Calendar, day_type: DayType, due: NaiveDate, today: NaiveDate) -> i64 {
    if today <= due {
        i64::from(cal.count(today, due, day_type).0)
    } else {
        -i64::from(cal.count(due, today, day_type).0)
    }
}

/// When a warning at `fraction` of the limit falls due for a running clock: the start of the day
/// on which the used days reach `ceil(fraction * limit)`. `None` if that is already behind.
pub fn warning_at(
    cal: &Calendar,
    limit_days: u32,
    day_type: DayType,
    fraction: f64,
    segments: &[Segment],
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let threshold = (fraction * f64::from(limit_days)).ceil() as i64;
    let open = segments
        .iter()
        .rev()
        .find(|s| s.running && s.end.is_none())?;
    let closed: i64 = segments
        .iter()
        .filter(|s| s.running && s.end.is_some())
        .map(|s| {
            i64::from(
                cal.count(
                    local_date(s.start),
                    s.end.map_or(local_date(s.start), local_date),
                    day_type,
                )
                .0,
            )
        })
        .sum();
    let left = threshold - closed;
    if left < 1 {
        return None;
    }
    let (day, _) = cal.nth_after(local_date(open.start), u32::try_from(left).ok()?, day_type);
    let at = start_of(day);
    (at > now).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    const FILES: [&str; 8] = [
        include_str!("../../workflows/calendars/2019.json"),
        include_str!("../../workflows/calendars/2020.json"),
        include_str!("../../workflows/calendars/2021.json"),
        include_str!("../../workflows/calendars/2022.json"),
        include_str!("../../workflows/calendars/2023.json"),
        include_str!("../../workflows/calendars/2024.json"),
        include_str!("../../workflows/calendars/2025.json"),
        include_str!("../../workflows/calendars/2026.json"),
    ];

    fn year(y: i32) -> Year {
        let text = FILES[usize::try_from(y - 2019).expect("2019 or later")];
        Year::parse(&serde_json::from_str(text).expect("json")).expect("valid year")
    }

    fn official() -> Calendar {
        Calendar::new(&(2019..=2026).map(year).collect::<Vec<_>>())
    }

    #[test]
    fn a_run_stopped_by_its_expiry_at_24_00_has_used_its_limit_and_no_more() {
        let cal = official();
        // Started Monday 2 March 2026, five working days: its last day is Monday 9 March, and
        // its expiry stops it at 24:00 that day (00:00 on the 10th, 16:00 UTC on the 9th).
        let run = [Segment {
            start: at("2026-03-02T01:00:00Z"),
            end: Some(at("2026-03-09T16:00:00Z")),
            running: true,
        }];
        let r = read(&cal, 5, DayType::Working, &run, at("2026-03-20T01:00:00Z"));
        assert_eq!((r.used_days, r.remaining_days, r.overdue), (5, 0, false));
        assert_eq!(last_day_of(at("2026-03-09T16:00:00Z")), d("2026-03-09"));
        assert_eq!(last_day_of(at("2026-03-09T16:00:01Z")), d("2026-03-10"));
        // Stopped by an action during the 10th, it used the 10th too.
        let late = [Segment {
            start: at("2026-03-02T01:00:00Z"),
            end: Some(at("2026-03-10T01:00:00Z")),
            running: true,
        }];
        let r = read(&cal, 5, DayType::Working, &late, at("2026-03-20T01:00:00Z"));
        assert_eq!((r.used_days, r.overdue), (6, true));
    }

    #[test]
    fn a_clock_due_on_friday_is_not_overdue_on_saturday_but_on_monday() {
        let cal = official();
        // Ten working days from Friday 6 March 2026 (not counted): the last is Friday 20 March.
        let run = [Segment {
            start: at("2026-03-06T01:00:00Z"),
            end: None,
            running: true,
        }];
        let saturday = read(&cal, 10, DayType::Working, &run, at("2026-03-21T02:00:00Z"));
        assert_eq!(saturday.due, Some(d("2026-03-20")));
        assert_eq!((saturday.used_days, saturday.overdue), (10, false));
        assert_eq!(
            days_left(&cal, DayType::Working, d("2026-03-20"), d("2026-03-21")),
            0
        );
        let monday = read(&cal, 10, DayType::Working, &run, at("2026-03-23T02:00:00Z"));
        assert_eq!((monday.used_days, monday.overdue), (11, true));
        assert_eq!(
            days_left(&cal, DayType::Working, d("2026-03-20"), d("2026-03-23")),
            -1
        );
        // Overdue exactly when more days are used than the limit allows: what the figures count
        // as not within the limit.
        for day in 19..=24 {
            let now = at(&format!("2026-03-{day:02}T02:00:00Z"));
            let r = read(&cal, 10, DayType::Working, &run, now);
            assert_eq!(r.overdue, r.used_days > 10, "{day} March");
        }
    }

    #[test]
    fn spring_festival_2020_with_its_extension_and_make_up_day() {
        let cal = official();
        assert!(
            cal.is_working_day(d("2020-01-19")),
            "Sunday 19 January 2020 was a make-up working day"
        );
        assert!(!cal.is_working_day(d("2020-01-24")));
        assert!(
            !cal.is_working_day(d("2020-01-31")),
            "the second notice extended the holiday"
        );
        assert!(!cal.is_working_day(d("2020-02-02")));
        assert!(cal.is_working_day(d("2020-02-03")));
        // Accepted on Friday 17 January 2020: the 5-day limit counts Sun 19, Mon 20, Tue 21,
        // Wed 22, Thu 23, then nothing until Mon 3 February.
        assert_eq!(
            cal.nth_after(d("2020-01-17"), 5, DayType::Working),
            (d("2020-01-23"), false)
        );
        assert_eq!(
            cal.nth_after(d("2020-01-17"), 6, DayType::Working),
            (d("2020-02-03"), false)
        );
        // 10 calendar days from 17 January end on 27 January, a holiday: moved to 3 February.
        assert_eq!(
            cal.nth_after(d("2020-01-17"), 10, DayType::Calendar),
            (d("2020-02-03"), false)
        );
        assert_eq!(
            cal.count(d("2020-01-17"), d("2020-02-03"), DayType::Working),
            (6, false)
        );
    }

    #[test]
    fn national_day_2026() {
        let cal = official();
        // 2026: 1-7 October off, Saturday 10 October a working day (State Council notice 2025).
        assert!(!cal.is_working_day(d("2026-10-05")));
        assert!(cal.is_working_day(d("2026-10-10")));
        assert_eq!(
            cal.nth_after(d("2026-09-30"), 1, DayType::Working),
            (d("2026-10-08"), false)
        );
    }

    #[test]
    fn a_year_without_data_falls_back_to_weekends_and_is_provisional() {
        let cal = official();
        assert!(!cal.has_year(2027));
        // Thu 31 Dec 2026 + 2 working days: Fri 1 Jan 2027 (no notice yet, so an ordinary
        // Friday) and Mon 4 Jan, provisional.
        assert_eq!(
            cal.nth_after(d("2026-12-31"), 2, DayType::Working),
            (d("2027-01-04"), true)
        );
        assert!(!cal.nth_after(d("2026-12-01"), 2, DayType::Working).1);
    }

    #[test]
    fn a_clock_with_a_pause() {
        let cal = official();
        // Runs from Mon 2 Mar 2026 (09:00 local), paused Thu 5 Mar, resumed Mon 16 Mar.
        let segments = vec![
            Segment {
                start: at("2026-03-02T01:00:00Z"),
                end: Some(at("2026-03-05T02:00:00Z")),
                running: true,
            },
            Segment {
                start: at("2026-03-05T02:00:00Z"),
                end: Some(at("2026-03-16T01:00:00Z")),
                running: false,
            },
            Segment {
                start: at("2026-03-16T01:00:00Z"),
                end: None,
                running: true,
            },
        ];
        // Used before the pause: Tue 3, Wed 4, Thu 5 = 3. On Wed 18 Mar: + Tue 17, Wed 18 = 5.
        let r = read(
            &cal,
            10,
            DayType::Working,
            &segments,
            at("2026-03-18T04:00:00Z"),
        );
        assert_eq!((r.used_days, r.remaining_days), (5, 5));
        // 7 more after Mon 16: Tue 17 .. Wed 25.
        assert_eq!(r.due, Some(d("2026-03-25")));
        assert_eq!(r.due_at, Some(at("2026-03-25T16:00:00Z")));
        assert!(r.running && !r.overdue && !r.provisional);
        let late = read(
            &cal,
            10,
            DayType::Working,
            &segments,
            at("2026-03-26T01:00:00Z"),
        );
        assert!(late.overdue);
        assert_eq!(late.remaining_days, -1);
        // Paused: no due date, nothing running.
        let paused = read(
            &cal,
            10,
            DayType::Working,
            &segments[..2],
            at("2026-03-10T01:00:00Z"),
        );
        assert_eq!(
            (paused.used_days, paused.due, paused.running, paused.overdue),
            (3, None, false, false)
        );
        // The 50% warning of the running clock: the day the 5th day is used, Wed 18 Mar.
        assert_eq!(
            warning_at(
                &cal,
                10,
                DayType::Working,
                0.5,
                &segments,
                at("2026-03-16T02:00:00Z")
            ),
            Some(at("2026-03-17T16:00:00Z"))
        );
    }

    #[test]
    fn bad_years_are_refused_with_field_errors() {
        let bad = serde_json::json!({"year": 2030, "days": [
            {"date": "2032-01-01", "off": true},
            {"date": "2030-05-01", "off": true},
            {"date": "2030-05-01", "off": true}
        ]});
        let errors = Year::parse(&bad).expect_err("refused");
        assert!(errors.0.contains_key("days[0].date"));
        assert!(errors.0.contains_key("days[2].date"));
        assert!(Year::parse(&serde_json::json!({"year": 2027, "days": []})).is_err());
        // holiday-cn's own shape is accepted.
        let hc = serde_json::json!({"year": 2030, "papers": [], "days": [{"name": "元旦", "date": "2030-01-01", "isOffDay": true}]});
        assert!(Year::parse(&hc).is_ok());
    }

    #[test]
    fn the_version_follows_the_data() {
        let a = official();
        let mut years: Vec<Year> = (2019..=2026).map(year).collect();
        assert_eq!(a.version(), Calendar::new(&years).version());
        years[7].days.pop();
        assert_ne!(a.version(), Calendar::new(&years).version());
    }
}
