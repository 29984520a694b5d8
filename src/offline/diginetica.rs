//! Reading the Diginetica view log (CIKM Cup 2016) into shopper sessions.
//!
//! Two semicolon-separated files: the views, `session_id;user_id;item_id;timeframe;eventdate`,
//! and the categories, `itemId;categoryId`. Columns are found by name in each header.
//!
//! What the log has and what it lacks, and how each maps to the SDK's [`Product`]:
//!
//! - every row is a product view; there are no carts or purchases in this file;
//! - the category is the numeric `categoryId` (flat: it is its own top-level category), and it
//!   is also the `category_id` same-category candidates are drawn from; an item the
//!   categories file does not list has no category;
//! - there is no brand and no price, so those features stay absent (zero), never invented;
//! - `user_id` is `NA` for most sessions: the shopper is then anonymous and their history is
//!   the session alone;
//! - a view's time is the `eventdate` (a day, UTC midnight) plus `timeframe`, the ms since the
//!   session's first view. So two sessions of one user on the same day both "start" at
//!   midnight and neither counts as the other's history: a known shortcoming of the log.

use std::collections::HashMap;
use std::io::{self, BufRead};

use crate::event::Product;
use crate::offline::csv;
use crate::offline::rees46::parse_time;
use crate::offline::session::{Action, Interaction, SessionLog};

/// The view log's columns, in any order.
pub const VIEW_COLUMNS: [&str; 5] = ["session_id", "user_id", "item_id", "timeframe", "eventdate"];

/// The categories file's columns, in any order.
pub const CATEGORY_COLUMNS: [&str; 2] = ["itemId", "categoryId"];

/// Item → category, from `product-categories.csv`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Categories {
    by_item: HashMap<String, String>,
    /// Data rows read, kept or skipped.
    pub rows: usize,
    /// Rows skipped as malformed.
    pub skipped: usize,
    /// Line number and reason of the first few skipped rows.
    pub problems: Vec<String>,
}

impl Categories {
    /// The category of `item`, if the file lists it.
    pub fn of(&self, item: &str) -> Option<&str> {
        self.by_item.get(item).map(String::as_str)
    }

    /// How many items have a category.
    pub fn len(&self) -> usize {
        self.by_item.len()
    }

    /// Whether no item has one.
    pub fn is_empty(&self) -> bool {
        self.by_item.is_empty()
    }
}

/// Reads `product-categories.csv`. Bad rows are skipped and counted.
///
/// # Errors
/// Reading errors, and [`io::ErrorKind::InvalidData`] when the header lacks a column.
pub fn read_categories(mut reader: impl BufRead) -> io::Result<Categories> {
    let header = csv::read_header(&mut reader, ';')?;
    let [item, category] = csv::locate(&header, CATEGORY_COLUMNS)?;
    let mut categories = Categories::default();
    for_each_row(reader, |number, text| {
        categories.rows += 1;
        let parsed = csv::split(text, ';').and_then(|fields| {
            if fields.len() != header.len() {
                return Err(format!(
                    "expected {} fields, found {}",
                    header.len(),
                    fields.len()
                ));
            }
            let (item, category) = (&fields[item], &fields[category]);
            if item.is_empty() || category.is_empty() {
                return Err("empty itemId or categoryId".into());
            }
            Ok((item.clone(), category.clone()))
        });
        match parsed {
            Ok((item, category)) => {
                categories.by_item.insert(item, category);
            }
            Err(reason) => {
                categories.skipped += 1;
                if categories.problems.len() < 10 {
                    categories.problems.push(format!("line {number}: {reason}"));
                }
            }
        }
    })?;
    Ok(categories)
}

/// Reads the view log, taking each item's category from `categories`. Bad rows are skipped
/// and counted in [`SessionLog::skipped`].
///
/// # Errors
/// Reading errors, and [`io::ErrorKind::InvalidData`] when the header lacks a column.
pub fn read(mut reader: impl BufRead, categories: &Categories) -> io::Result<SessionLog> {
    let header = csv::read_header(&mut reader, ';')?;
    let at = csv::locate(&header, VIEW_COLUMNS)?;
    let mut log = SessionLog::default();
    let mut views = Vec::new();
    for_each_row(reader, |number, text| {
        match parse_view(text, header.len(), at, categories, number) {
            Ok(view) => views.push(view),
            Err(reason) => log.skip(number, reason),
        }
    })?;
    // The log leaves `user_id` at NA on some rows of a session whose other rows name the
    // user: a session belongs to the user any of its rows names.
    let mut user_of: HashMap<String, String> = HashMap::new();
    for (user, session, _) in &views {
        if !user.is_empty() {
            user_of
                .entry(session.clone())
                .or_insert_with(|| user.clone());
        }
    }
    for (_, session, interaction) in views {
        let user = user_of.get(&session).map_or("", String::as_str);
        log.push(user, &session, interaction);
    }
    Ok(log.finish())
}

fn parse_view(
    text: &str,
    width: usize,
    at: [usize; 5],
    categories: &Categories,
    line: usize,
) -> Result<(String, String, Interaction), String> {
    let fields = csv::split(text, ';')?;
    if fields.len() != width {
        return Err(format!("expected {width} fields, found {}", fields.len()));
    }
    let [session, user, item, timeframe, date] = at.map(|i| fields[i].as_str());
    if session.is_empty() {
        return Err("empty session_id".into());
    }
    let day_ms = parse_time(&format!("{date} 00:00:00"))
        .ok_or_else(|| format!("bad eventdate {date:?}: expected YYYY-MM-DD"))?;
    let offset_ms = timeframe
        .parse::<f64>()
        .ok()
        .filter(|t| t.is_finite() && *t >= 0.0)
        .ok_or_else(|| format!("bad timeframe {timeframe:?}: expected ms, at least 0"))?;
    let user = if user == "NA" { "" } else { user };

    let category = categories.of(item).map(str::to_string);
    let product = Product {
        id: item.to_string(),
        category: category.clone(),
        brand: None,
        price: None,
    };
    let event = Action::View.event(product, 1);
    event.validate().map_err(|e| e.to_string())?;
    let interaction = Interaction {
        at_ms: day_ms + offset_ms,
        action: Action::View,
        event,
        category_id: category,
        line,
    };
    Ok((user.to_string(), session.to_string(), interaction))
}

/// Calls `row` with the 1-based line number and text of each non-empty data line; lines that
/// are not UTF-8 are passed as an empty-field line so that the caller counts them as bad.
fn for_each_row(mut reader: impl BufRead, mut row: impl FnMut(usize, &str)) -> io::Result<()> {
    let mut bytes = Vec::new();
    let mut number = 1;
    loop {
        bytes.clear();
        if reader.read_until(b'\n', &mut bytes)? == 0 {
            return Ok(());
        }
        number += 1;
        let text = match std::str::from_utf8(&bytes) {
            Ok(text) => csv::trim_line(text),
            // One field, so the width check reports it.
            Err(_) => "\u{fffd}",
        };
        if !text.is_empty() {
            row(number, text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn categories() -> Categories {
        let text = "itemId;categoryId\n10;7\n11;7\n12;\nbroken\n13;8\n";
        read_categories(text.as_bytes()).unwrap()
    }

    #[test]
    fn reads_categories_and_counts_bad_rows() {
        let c = categories();
        assert_eq!((c.rows, c.skipped, c.len()), (5, 2, 3));
        assert_eq!(c.of("11"), Some("7"));
        assert_eq!(c.of("12"), None);
        assert!(
            c.problems[0].starts_with("line 4: empty"),
            "{:?}",
            c.problems
        );
    }

    #[test]
    fn reads_views_into_sessions() {
        let text = "session_id;user_id;item_id;timeframe;eventdate\r\n\
                    1;NA;10;5000;2016-05-09\r\n\
                    1;NA;99;1000;2016-05-09\r\n\
                    2;42;13;0;2016-05-10\r\n\
                    2;NA;11;9;2016-05-10\r\n";
        let log = read(text.as_bytes(), &categories()).unwrap();
        assert_eq!((log.rows, log.skipped, log.sessions.len()), (4, 0, 2));
        let first = &log.sessions[0];
        assert_eq!(first.user_id, "", "NA is an anonymous shopper");
        let ids: Vec<&str> = first
            .interactions
            .iter()
            .map(|i| i.product().id.as_str())
            .collect();
        assert_eq!(ids, ["99", "10"], "ordered by timeframe");
        assert_eq!(first.interactions[0].product().category, None);
        let viewed = first.interactions[1].product();
        assert_eq!(
            (viewed.category.as_deref(), viewed.brand.as_deref()),
            (Some("7"), None)
        );
        assert_eq!(viewed.price, None);
        assert_eq!(
            first.interactions[1].at_ms - first.interactions[0].at_ms,
            4000.0
        );
        assert_eq!(log.sessions[1].user_id, "42");
        assert_eq!(
            log.sessions[1].interactions.len(),
            2,
            "an NA row joins its session's user"
        );
        assert_eq!(
            log.sessions[1].interactions[0].category_id.as_deref(),
            Some("8")
        );
    }

    #[test]
    fn skips_malformed_views() {
        let text = "eventdate;item_id;timeframe;user_id;session_id\n\
                    2016-05-09;10;0;NA;1\n\
                    2016-13-09;10;0;NA;1\n\
                    2016-05-09;10;-5;NA;1\n\
                    2016-05-09;10;x;NA;1\n\
                    2016-05-09;10;0;NA\n\
                    2016-05-09;10;0;NA;\n\
                    2016-05-09;;0;NA;1\n";
        let log = read(text.as_bytes(), &Categories::default()).unwrap();
        assert_eq!((log.rows, log.skipped), (7, 6), "{:?}", log.problems);
        assert!(
            log.problems[0].contains("bad eventdate"),
            "{:?}",
            log.problems
        );
        assert!(
            log.problems[3].contains("expected 5 fields"),
            "{:?}",
            log.problems
        );
        assert!(log.problems[5].contains("product.id"), "{:?}", log.problems);
    }

    #[test]
    fn refuses_a_header_without_the_columns() {
        let err = read("a;b;c\n1;2;3\n".as_bytes(), &Categories::default()).unwrap_err();
        assert!(err.to_string().contains("`session_id`"), "{err}");
        let err = read_categories("itemId,categoryId\n".as_bytes()).unwrap_err();
        assert!(err.to_string().contains("`itemId`"), "{err}");
    }
}
