//! Small statistics for the reform figures. Pure.

/// The median (the mean of the two middle values for an even count); 0 for no values.
pub fn median(values: &[i64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut v = values.to_vec();
    v.sort_unstable();
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    }
}

/// The nearest-rank percentile: the smallest value with at least `p` percent of the values at
/// or below it; 0 for no values.
pub fn percentile(values: &[i64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut v = values.to_vec();
    v.sort_unstable();
    let rank = ((p / 100.0) * v.len() as f64).ceil().max(1.0) as usize;
    v[rank.min(v.len()) - 1] as f64
}

/// The share of values meeting `ok`, in percent with one decimal; 0 for no values.
pub fn share_pct(values: &[i64], ok: impl Fn(i64) -> bool) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let n = values.iter().filter(|v| ok(**v)).count();
    (n as f64 * 1000.0 / values.len() as f64).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_percentile_and_share() {
        let v = [5, 1, 9, 3];
        assert_eq!(median(&v), 4.0);
        assert_eq!(median(&[7, 1, 3]), 3.0);
        assert_eq!(percentile(&v, 90.0), 9.0);
        assert_eq!(percentile(&(1..=10).collect::<Vec<_>>(), 90.0), 9.0);
        assert_eq!(percentile(&[4], 90.0), 4.0);
        assert_eq!(share_pct(&v, |d| d <= 3), 50.0);
        assert_eq!(share_pct(&[1, 2, 3], |d| d <= 1), 33.3);
        assert_eq!(
            (median(&[]), percentile(&[], 50.0), share_pct(&[], |_| true)),
            (0.0, 0.0, 0.0)
        );
    }
}
