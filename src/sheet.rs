//! CSV as people open it: UTF-8 with a byte-order mark (so that Excel on Chinese Windows reads
//! it as UTF-8, not GBK), CRLF line ends (RFC 4180), the header line always, even with no rows,
//! and no cell that a spreadsheet would run as a formula (a text beginning with `=`, `+`, `-`,
//! `@`, a tab or a carriage return gets a leading apostrophe; plain numbers are left as they
//! are). Every CSV Greenlane serves, to people or to the API, is written here. Pure.

use serde::Serialize;

/// The UTF-8 byte-order mark.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A text a spreadsheet would not run: formula-like text gets a leading apostrophe.
pub fn inert(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell
        .chars()
        .next()
        .is_some_and(|c| matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r'));
    if risky && cell.parse::<f64>().is_err() {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// A CSV being written.
pub struct Sheet {
    w: csv::Writer<Vec<u8>>,
}

impl Sheet {
    /// A sheet with its header line.
    pub fn new<I, S>(header: I) -> Result<Sheet, csv::Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(BOM.to_vec());
        w.write_record(header.into_iter().map(|h| h.as_ref().to_string()))?;
        Ok(Sheet { w })
    }

    /// One row; every cell made inert.
    pub fn row<I, S>(&mut self, cells: I) -> Result<(), csv::Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.w
            .write_record(cells.into_iter().map(|c| inert(c.as_ref()).into_owned()))
    }

    pub fn bytes(self) -> Result<Vec<u8>, csv::Error> {
        self.w
            .into_inner()
            .map_err(|e| csv::Error::from(std::io::Error::other(e.to_string())))
    }
}

/// Flat records (structs of scalars) as CSV: the header from the field names in declaration
/// order (from a default record when there are none).
pub fn of<T: Serialize + Default>(rows: &[T]) -> Result<Vec<u8>, csv::Error> {
    let mut plain = csv::Writer::from_writer(Vec::new());
    if rows.is_empty() {
        plain.serialize(T::default())?;
    }
    for r in rows {
        plain.serialize(r)?;
    }
    let plain = plain
        .into_inner()
        .map_err(|e| csv::Error::from(std::io::Error::other(e.to_string())))?;
    let mut records = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&plain[..])
        .into_records();
    let header = records.next().transpose()?.unwrap_or_default();
    let mut sheet = Sheet::new(header.iter())?;
    if !rows.is_empty() {
        for r in records {
            sheet.row(r?.iter())?;
        }
    }
    sheet.bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Default)]
    struct Row {
        project: String,
        balance_kg: i64,
    }

    #[test]
    fn every_csv_has_a_bom_its_header_and_no_formula() {
        let empty = of::<Row>(&[]).expect("csv");
        assert_eq!(empty, b"\xEF\xBB\xBFproject,balance_kg\r\n");
        let rows = [
            Row {
                project: "=HYPERLINK(\"http://x\",\"open\")".into(),
                balance_kg: -5,
            },
            Row {
                project: "涪陵纸业".into(),
                balance_kg: 7,
            },
        ];
        let text = String::from_utf8(of(&rows).expect("csv")).expect("utf-8");
        assert_eq!(
            text,
            "\u{feff}project,balance_kg\r\n\"'=HYPERLINK(\"\"http://x\"\",\"\"open\"\")\",-5\r\n涪陵纸业,7\r\n"
        );
        for (cell, out) in [
            ("+1 555", "'+1 555"),
            ("-cmd", "'-cmd"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("=1+1", "'=1+1"),
            ("-12.5", "-12.5"),
            ("plain", "plain"),
        ] {
            assert_eq!(inert(cell), out);
        }
    }
}
