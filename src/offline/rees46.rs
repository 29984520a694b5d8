//! Reading the REES46 behaviour log into shopper sessions of validated
//! [`Event`](crate::event::Event)s.
//!
//! The file is the Kaggle "eCommerce behavior data from multi category store" CSV of the
//! REES46 Marketing Platform: one row per action, columns
//! `event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session`,
//! found by name in the header, so any column order and extra columns are fine. Fields may be
//! quoted ([`csv`]); `category_code`, `brand` and `price` may be empty. A row that does not
//! split into the header's number of fields, or fails validation, is skipped and counted,
//! never fatal.

use std::io::{self, BufRead};

use crate::event::Product;
use crate::offline::csv;
pub use crate::offline::session::{Action, Interaction, SessionLog, ShopperSession};

/// The columns the reader needs, in any order.
pub const COLUMNS: [&str; 9] = [
    "event_time",
    "event_type",
    "product_id",
    "category_id",
    "category_code",
    "brand",
    "price",
    "user_id",
    "user_session",
];

/// Reads a REES46 CSV with a header line.
///
/// Cost: one pass, memory proportional to the kept rows.
///
/// # Errors
/// An [`io::Error`] when reading fails, and one of kind [`io::ErrorKind::InvalidData`] when the
/// first line is not a header naming every one of [`COLUMNS`]. Bad data rows are not errors:
/// they are skipped and counted in [`SessionLog::skipped`].
pub fn read(mut reader: impl BufRead) -> io::Result<SessionLog> {
    let header = csv::read_header(&mut reader, ',')?;
    let layout = Layout {
        width: header.len(),
        at: csv::locate(&header, COLUMNS)?,
    };

    let mut log = SessionLog::default();
    let mut line = Vec::new();
    let mut line_number = 1;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        line_number += 1;
        let Ok(text) = std::str::from_utf8(&line) else {
            log.skip(line_number, "not UTF-8");
            continue;
        };
        let text = csv::trim_line(text);
        if text.is_empty() {
            continue;
        }
        match layout.parse(text, line_number) {
            Ok(row) => log.push(&row.user_id, &row.session_id, row.interaction),
            Err(reason) => log.skip(line_number, reason),
        }
    }
    Ok(log.finish())
}

/// Where each needed column sits in a row.
struct Layout {
    width: usize,
    at: [usize; 9],
}

struct Row {
    user_id: String,
    session_id: String,
    interaction: Interaction,
}

impl Layout {
    fn parse(&self, text: &str, line: usize) -> Result<Row, String> {
        let fields = csv::split(text, ',')?;
        if fields.len() != self.width {
            return Err(format!(
                "expected {} fields, found {}",
                self.width,
                fields.len()
            ));
        }
        let [time, kind, product_id, category_id, category_code, brand, price, user, session] =
            self.at.map(|i| fields[i].as_str());

        let at_ms = parse_time(time).ok_or_else(|| format!("bad event_time {time:?}"))?;
        let action = Action::parse(kind).ok_or_else(|| format!("unknown event_type {kind:?}"))?;
        let price = match price {
            "" => None,
            text => Some(
                text.parse::<f64>()
                    .map_err(|_| format!("bad price {text:?}"))?,
            ),
        };
        if user.is_empty() || session.is_empty() {
            return Err("empty user_id or user_session".into());
        }
        let category_id = non_empty(category_id);
        let product = Product {
            id: product_id.to_string(),
            category: non_empty(category_code).or_else(|| category_id.clone()),
            brand: non_empty(brand),
            price,
        };
        let event = action.event(product, 1);
        event.validate().map_err(|e| e.to_string())?;
        Ok(Row {
            user_id: user.to_string(),
            session_id: session.to_string(),
            interaction: Interaction {
                at_ms,
                action,
                event,
                category_id,
                line,
            },
        })
    }
}

fn non_empty(field: &str) -> Option<String> {
    (!field.is_empty()).then(|| field.to_string())
}

/// Parses `2019-10-01 00:00:04 UTC` (also with `T`, `Z` or no zone, and fractional seconds)
/// to ms since the Unix epoch. REES46 times are all UTC.
pub fn parse_time(text: &str) -> Option<f64> {
    let text = text.trim();
    let text = text
        .strip_suffix(" UTC")
        .or_else(|| text.strip_suffix('Z'))
        .unwrap_or(text);
    let (date, time) = text.split_once([' ', 'T'])?;

    let mut date_parts = date.split('-');
    let year: i64 = date_parts.next()?.parse().ok()?;
    let month: u32 = date_parts.next()?.parse().ok()?;
    let day: u32 = date_parts.next()?.parse().ok()?;
    if date_parts.next().is_some() || !(1..=12).contains(&month) {
        return None;
    }
    if day == 0 || day > days_in_month(year, month) {
        return None;
    }

    let mut time_parts = time.split(':');
    let hour: u32 = time_parts.next()?.parse().ok()?;
    let minute: u32 = time_parts.next()?.parse().ok()?;
    let second: f64 = time_parts.next()?.parse().ok()?;
    if time_parts.next().is_some() || hour > 23 || minute > 59 || !(0.0..61.0).contains(&second) {
        return None;
    }

    let days = days_since_epoch(year, month, day) as f64;
    let seconds = days * 86_400.0 + f64::from(hour * 3600 + minute * 60) + second;
    Some((seconds * 1000.0).round())
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date.
fn days_since_epoch(year: i64, month: u32, day: u32) -> i64 {
    // Leap days in the years before `year`, counted from year 0.
    let leap_days_before = |y: i64| {
        let y = y - 1;
        y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400)
    };
    let whole_years = 365 * (year - 1970) + leap_days_before(year) - leap_days_before(1970);
    let whole_months: u32 = (1..month).map(|m| days_in_month(year, m)).sum();
    whole_years + i64::from(whole_months) + i64::from(day) - 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;

    fn log(rows: &[&str]) -> SessionLog {
        let text = format!("{}\n{}\n", COLUMNS.join(","), rows.join("\n"));
        read(text.as_bytes()).unwrap()
    }

    #[test]
    fn parses_times() {
        assert_eq!(parse_time("1970-01-01 00:00:00 UTC"), Some(0.0));
        assert_eq!(
            parse_time("2019-10-01 00:00:04 UTC"),
            Some(1_569_888_004_000.0)
        );
        assert_eq!(
            parse_time("2020-03-01T00:00:00.5Z"),
            Some(1_583_020_800_500.0)
        );
        assert_eq!(parse_time("2019-02-29 00:00:00 UTC"), None);
        assert_eq!(parse_time("2019-10-01"), None);
        assert_eq!(parse_time("1.43322E+12"), None);
    }

    #[test]
    fn groups_sessions_in_time_order() {
        let log = log(&[
            "2019-10-01 00:00:05 UTC,view,2,20,,,5.0,1,s1",
            "2019-10-01 00:00:01 UTC,view,1,10,electronics.audio,sony,9.5,7,s2",
            "2019-10-01 00:00:02 UTC,cart,3,30,,acme,1.0,1,s1",
            "2019-10-01 00:00:09 UTC,purchase,2,20,,,5.0,1,s1",
        ]);
        assert_eq!((log.rows, log.skipped), (4, 0));
        let ids: Vec<&str> = log.sessions.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["s2", "s1"]);
        let s1 = &log.sessions[1];
        let products: Vec<&str> = s1
            .interactions
            .iter()
            .map(|i| i.product().id.as_str())
            .collect();
        assert_eq!(products, ["3", "2", "2"]);
        assert!(matches!(
            s1.interactions[0].event,
            Event::AddedToCart { quantity: 1, .. }
        ));
        assert!(matches!(
            s1.interactions[2].event,
            Event::AddedToCart { .. }
        ));
        assert_eq!(s1.interactions[2].action, Action::Purchase);
    }

    #[test]
    fn falls_back_to_the_category_id() {
        let log = log(&[
            "2019-10-01 00:00:01 UTC,view,1,10,electronics.audio,sony,9.5,7,s",
            "2019-10-01 00:00:02 UTC,view,2,20,,,,7,s",
        ]);
        let items = &log.sessions[0].interactions;
        assert_eq!(
            items[0].product().category.as_deref(),
            Some("electronics.audio")
        );
        assert_eq!(items[1].product().category.as_deref(), Some("20"));
        assert_eq!(items[1].category_id.as_deref(), Some("20"));
        assert_eq!(items[1].product().brand, None);
        assert_eq!(items[1].product().price, None);
    }

    #[test]
    fn skips_and_counts_bad_rows() {
        let log = log(&[
            "2019-10-01 00:00:01 UTC,view,1,10,,,1.0,7,s",
            "2019-10-01 00:00:02 UTC,view,2,20,\"a,b,,1.0,7,s",
            "1.43322E+12,view,3,30,,,1.0,7,s",
            "2019-10-01 00:00:03 UTC,teleport,4,40,,,1.0,7,s",
            "2019-10-01 00:00:04 UTC,view,5,50,,,-3,7,s",
            "2019-10-01 00:00:05 UTC,view,,50,,,3,7,s",
            "2019-10-01 00:00:06 UTC,view,6,60,,,3,,s",
            "",
        ]);
        assert_eq!((log.rows, log.skipped, log.interactions()), (7, 6, 1));
        assert!(
            log.problems[0].starts_with("line 3: unterminated quote"),
            "{:?}",
            log.problems
        );
        assert!(
            log.problems[3].contains("product.price"),
            "{:?}",
            log.problems
        );
    }

    #[test]
    fn reads_quotes_crlf_and_extra_columns() {
        let text = "\u{feff}\"event_time\",extra,event_type,product_id,category_id,category_code,\
                    brand,price,user_id,user_session\r\n\
                    \"2019-10-01 00:00:01 UTC\",\"x,y\",view,1,10,\"a.b\",\"\",2.5,7,s\r\n\
                    2019-10-01 00:00:02 UTC,,view,2,10,,,,7,s\r\n";
        let log = read(text.as_bytes()).unwrap();
        assert_eq!((log.rows, log.skipped), (2, 0), "{:?}", log.problems);
        let items = &log.sessions[0].interactions;
        assert_eq!(items[0].product().category.as_deref(), Some("a.b"));
        assert_eq!(items[0].product().brand, None);
        assert_eq!(items[1].product().id, "2");
        assert_eq!(items[1].product().price, None);
        assert_eq!((items[0].line, items[1].line), (2, 3));
    }

    #[test]
    fn reads_columns_by_name_and_refuses_a_headerless_file() {
        let text = "user_session,user_id,price,brand,category_code,category_id,product_id,\
                    event_type,event_time\ns,7,2.5,,,10,1,view,2019-10-01 00:00:01 UTC\n";
        let log = read(text.as_bytes()).unwrap();
        assert_eq!(log.sessions[0].interactions[0].product().price, Some(2.5));

        let err = read("2019-10-01 00:00:01 UTC,view,1,10,,,1.0,7,s\n".as_bytes()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("`event_time`"), "{err}");
    }
}
