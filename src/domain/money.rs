//! Money: stored and computed in fen (whole numbers), read and typed in yuan. Pure.

/// A whole number with thousands separators: `1,250,000`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    grouped
}

/// Fen as yuan with thousands separators and two decimals: `¥1,234.56`, `¥0.40`.
pub fn yuan(fen: i64) -> String {
    let negative = fen < 0;
    let fen = fen.unsigned_abs();
    format!(
        "{}¥{}.{:02}",
        if negative { "-" } else { "" },
        thousands(fen / 100),
        fen % 100
    )
}

/// Whether a data or payload field holds fen (`price_fen`, `deposit_fen`): such a field is
/// always shown in yuan.
pub fn is_fen_field(name: &str) -> bool {
    name.ends_with("_fen")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fen_read_as_yuan() {
        assert_eq!(yuan(125_000_000_000), "¥1,250,000,000.00");
        assert_eq!(yuan(40), "¥0.40");
        assert_eq!(yuan(5), "¥0.05");
        assert_eq!(yuan(50_000), "¥500.00");
        assert_eq!(yuan(-123_456), "-¥1,234.56");
        assert!(is_fen_field("price_fen") && !is_fen_field("fence"));
    }
}
