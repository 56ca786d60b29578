//! CSV exports (the audit log, the user list, analytics), written with the `csv` crate (RFC 4180
//! quoting) and safe to open in a spreadsheet: a cell that starts with `=`, `+`, `-`, `@`, a tab or
//! a carriage return would be read as a formula, so it gets a leading `'` (the OWASP advice for
//! CSV injection). The text stays readable; a spreadsheet shows it as text.

/// A cell as written to an export.
pub fn neutralized(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// A CSV document: a header line, then one line per row.
pub fn to_csv<R, C>(header: &[&str], rows: R) -> String
where
    R: IntoIterator<Item = C>,
    C: IntoIterator<Item = String>,
{
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_record(header).expect("writing to memory");
    for row in rows {
        let cells: Vec<String> = row
            .into_iter()
            .map(|c| neutralized(&c).into_owned())
            .collect();
        w.write_record(&cells).expect("writing to memory");
    }
    let bytes = w.into_inner().expect("writing to memory");
    String::from_utf8(bytes).expect("cells are UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralized_and_cells_quoted() {
        let out = to_csv(
            &["a", "b"],
            [
                vec![
                    "=HYPERLINK(\"x\")".to_owned(),
                    "plain, with comma".to_owned(),
                ],
                vec!["-1".to_owned(), "@SUM(A1)".to_owned()],
                vec!["\tx".to_owned(), "ok".to_owned()],
            ],
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "a,b");
        assert_eq!(lines[1], r#""'=HYPERLINK(""x"")","plain, with comma""#);
        assert_eq!(lines[2], "'-1,'@SUM(A1)");
        assert_eq!(lines[3], "'\tx,ok");
    }
}
