//! The delimited-text rules every log reader shares: fields, quotes and the header.
//!
//! Public logs arrive as "CSV" of several dialects: comma or semicolon separated, fields
//! optionally in double quotes (a quote inside doubled, `""`), CRLF or LF line ends, a byte
//! order mark before the header. One line is one record: a quoted field that spans lines is
//! not supported (none of the logs we read has one), and shows up as a row with an
//! unterminated quote, which the readers skip and count.

use std::io;

/// Splits one line (its line end already removed) into fields, honouring double quotes.
///
/// Fields are trimmed of surrounding spaces outside the quotes, so `a, "b" ` gives `a`, `b`.
///
/// # Errors
/// A short reason when a quote is left open or text follows a closing quote.
pub fn split(line: &str, delimiter: char) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => {
                        return Err(format!("unterminated quote in field {}", fields.len() + 1))
                    }
                }
            }
            while chars.peek() == Some(&' ') {
                chars.next();
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(c) if c == delimiter => fields.push(field),
                Some(c) => {
                    return Err(format!(
                        "unexpected {c:?} after a closing quote in field {}",
                        fields.len() + 1
                    ))
                }
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field.trim_end().to_string());
                        return Ok(fields);
                    }
                    Some(c) if c == delimiter => break,
                    Some(c) => field.push(c),
                }
            }
            fields.push(field.trim_end().to_string());
        }
    }
}

/// Removes a line end (`\n` or `\r\n`) and, for the first line, a byte order mark.
pub fn trim_line(text: &str) -> &str {
    text.trim_start_matches('\u{feff}')
        .trim_end_matches(['\r', '\n'])
}

/// Where each of `wanted` sits in `header` (a header line, split with [`split`]).
///
/// # Errors
/// [`io::ErrorKind::InvalidData`] naming the first missing column and listing the header,
/// so that a file of the wrong format or without a header line is refused at once.
pub fn locate<const N: usize>(header: &[String], wanted: [&str; N]) -> io::Result<[usize; N]> {
    let mut at = [0; N];
    for (slot, column) in at.iter_mut().zip(wanted) {
        *slot = header
            .iter()
            .position(|name| name == column)
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "line 1: the header has no `{column}` column (expected {}; found {:?})",
                        wanted.join(", "),
                        header
                    ),
                )
            })?;
    }
    Ok(at)
}

/// Reads the header line of `reader` and splits it.
///
/// # Errors
/// Reading errors, and [`io::ErrorKind::InvalidData`] for an empty file or a header that
/// does not split.
pub fn read_header(reader: &mut impl io::BufRead, delimiter: char) -> io::Result<Vec<String>> {
    let mut bytes = Vec::new();
    reader.read_until(b'\n', &mut bytes)?;
    let text = String::from_utf8_lossy(&bytes);
    let text = trim_line(&text);
    if text.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "line 1: the file is empty; expected a header line",
        ));
    }
    split(text, delimiter)
        .map_err(|reason| io::Error::new(io::ErrorKind::InvalidData, format!("line 1: {reason}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(line: &str) -> Vec<String> {
        split(line, ',').unwrap()
    }

    #[test]
    fn splits_plain_and_quoted_fields() {
        assert_eq!(fields("a,b,,c"), ["a", "b", "", "c"]);
        assert_eq!(fields(r#""a,b",c"#), ["a,b", "c"]);
        assert_eq!(fields(r#""say ""hi""",x"#), [r#"say "hi""#, "x"]);
        assert_eq!(fields(r#" "a" , b "#), ["a", "b"]);
        assert_eq!(fields(""), [""]);
        assert_eq!(fields("a,"), ["a", ""]);
        assert_eq!(split("1;NA;x", ';').unwrap(), ["1", "NA", "x"]);
    }

    #[test]
    fn refuses_broken_quotes() {
        assert!(split(r#""open,b"#, ',')
            .unwrap_err()
            .contains("unterminated"));
        assert!(split(r#""a"b,c"#, ',')
            .unwrap_err()
            .contains("after a closing quote"));
    }

    #[test]
    fn finds_columns_by_name() {
        let header = fields("x,b,a");
        assert_eq!(locate(&header, ["a", "b"]).unwrap(), [2, 1]);
        let err = locate(&header, ["a", "zzz"]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(
            err.to_string()
                .contains("line 1: the header has no `zzz` column"),
            "{err}"
        );
    }

    #[test]
    fn reads_a_header_with_bom_and_crlf() {
        let mut text = "\u{feff}a;b\r\nrest".as_bytes();
        assert_eq!(read_header(&mut text, ';').unwrap(), ["a", "b"]);
        assert!(read_header(&mut "".as_bytes(), ',').is_err());
    }
}
