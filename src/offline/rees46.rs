//! Reading the REES46 behaviour log into shopper sessions of validated [`Event`]s.
//!
//! The file is the Kaggle "eCommerce behavior data from multi category store" CSV of the
//! REES46 Marketing Platform: one row per action, columns
//! `event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session`.
//! Its fields never contain quoted commas, so a row is split on commas by hand; a row that does
//! not split into the header's number of fields, or fails validation, is skipped and counted,
//! never fatal.

use std::collections::HashMap;
use std::io::{self, BufRead};

use crate::event::{Event, Product};

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

/// How many skipped rows are described in [`Rees46Log::problems`]; the rest are only counted.
const MAX_PROBLEMS: usize = 10;

/// What the shopper did, as REES46 names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `view`: a product page was opened.
    View,
    /// `cart`: the product went into the cart.
    Cart,
    /// `purchase`: the product was bought.
    Purchase,
    /// `remove_from_cart`: the product left the cart (absent from the 2019-10 slice).
    RemoveFromCart,
}

impl Action {
    fn parse(value: &str) -> Option<Action> {
        match value {
            "view" => Some(Action::View),
            "cart" => Some(Action::Cart),
            "purchase" => Some(Action::Purchase),
            "remove_from_cart" => Some(Action::RemoveFromCart),
            _ => None,
        }
    }

    /// Whether this action says "I like this product" (everything but a removal).
    pub fn is_engagement(self) -> bool {
        self != Action::RemoveFromCart
    }

    fn event(self, product: Product) -> Event {
        match self {
            Action::View => Event::ProductViewed { product },
            // The event vocabulary has no purchase yet. A purchase is the strongest engagement
            // a shopper can show, and adding to the cart is the strongest one the profile
            // weighs, so a purchase replays as an add-to-cart (the product then also counts
            // as "in the cart", which the live SDK would see the same way until checkout).
            Action::Cart | Action::Purchase => Event::AddedToCart {
                product,
                quantity: 1,
            },
            Action::RemoveFromCart => Event::RemovedFromCart {
                product,
                quantity: 1,
            },
        }
    }
}

/// One row of the log, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Interaction {
    /// When it happened, ms since the Unix epoch.
    pub at_ms: f64,
    /// The REES46 action.
    pub action: Action,
    /// The event as the SDK would have captured it. Its product's category is the
    /// `category_code` path, or the numeric `category_id` when the code is empty: the same
    /// rule the demo store uses for its `data-vitrine-category` attribute.
    pub event: Event,
    /// The numeric `category_id`, which every row has even when the code is empty.
    pub category_id: Option<String>,
}

impl Interaction {
    /// The product this interaction is about.
    pub fn product(&self) -> &Product {
        self.event
            .product()
            .expect("invariant: every REES46 action is about a product")
    }
}

/// One visit of one shopper, its interactions in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct ShopperSession {
    /// The `user_session` UUID.
    pub id: String,
    /// The `user_id`.
    pub user_id: String,
    /// Interactions ordered by time; rows with equal times keep their file order.
    pub interactions: Vec<Interaction>,
}

impl ShopperSession {
    /// When the session's first interaction happened, ms since the epoch.
    pub fn started_ms(&self) -> f64 {
        self.interactions.first().map_or(f64::INFINITY, |i| i.at_ms)
    }
}

/// A whole log, grouped into sessions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rees46Log {
    /// Sessions ordered by start time, then by session id.
    pub sessions: Vec<ShopperSession>,
    /// Data rows read (the header excluded), kept or skipped.
    pub rows: usize,
    /// Rows skipped because they were malformed or failed validation.
    pub skipped: usize,
    /// Line number and reason of the first few skipped rows.
    pub problems: Vec<String>,
}

impl Rees46Log {
    /// How many interactions were kept.
    pub fn interactions(&self) -> usize {
        self.rows - self.skipped
    }
}

/// Reads a REES46 CSV with a header line.
///
/// Cost: one pass, memory proportional to the kept rows.
///
/// # Errors
/// An [`io::Error`] when reading fails, and one of kind [`io::ErrorKind::InvalidData`] when the
/// first line is not a header naming every one of [`COLUMNS`]. Bad data rows are not errors:
/// they are skipped and counted in [`Rees46Log::skipped`].
pub fn read(mut reader: impl BufRead) -> io::Result<Rees46Log> {
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line)?;
    let header = String::from_utf8_lossy(&line);
    let header = header
        .trim_start_matches('\u{feff}')
        .trim_end_matches(['\r', '\n']);
    let layout = Layout::from_header(header)?;

    let mut log = Rees46Log::default();
    let mut by_key: HashMap<(String, String), usize> = HashMap::new();
    let mut line_number = 1;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        line_number += 1;
        let text = match std::str::from_utf8(&line) {
            Ok(text) => text.trim_end_matches(['\r', '\n']),
            Err(_) => {
                log.skip(line_number, "not UTF-8".into());
                continue;
            }
        };
        if text.is_empty() {
            continue;
        }
        log.rows += 1;
        match layout.parse(text) {
            Ok(row) => {
                let key = (row.user_id, row.session_id);
                let next = log.sessions.len();
                let index = *by_key.entry(key.clone()).or_insert(next);
                if index == next {
                    log.sessions.push(ShopperSession {
                        id: key.1,
                        user_id: key.0,
                        interactions: Vec::new(),
                    });
                }
                log.sessions[index].interactions.push(row.interaction);
            }
            Err(reason) => log.skip(line_number, reason),
        }
    }

    for session in &mut log.sessions {
        // A stable sort: equal times keep the file's order, which is REES46's own.
        session
            .interactions
            .sort_by(|a, b| a.at_ms.total_cmp(&b.at_ms));
    }
    log.sessions.sort_by(|a, b| {
        a.started_ms()
            .total_cmp(&b.started_ms())
            .then_with(|| a.id.cmp(&b.id))
            .then_with(|| a.user_id.cmp(&b.user_id))
    });
    Ok(log)
}

impl Rees46Log {
    fn skip(&mut self, line_number: usize, reason: String) {
        self.skipped += 1;
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(format!("line {line_number}: {reason}"));
        }
    }
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
    fn from_header(header: &str) -> io::Result<Layout> {
        let names: Vec<&str> = header.split(',').map(unquote).collect();
        let mut at = [0; 9];
        for (slot, column) in at.iter_mut().zip(COLUMNS) {
            *slot = names.iter().position(|n| *n == column).ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("the header has no `{column}` column: {header:?}"),
                )
            })?;
        }
        Ok(Layout {
            width: names.len(),
            at,
        })
    }

    fn parse(&self, text: &str) -> Result<Row, String> {
        let fields: Vec<&str> = text.split(',').map(unquote).collect();
        if fields.len() != self.width {
            return Err(format!(
                "expected {} fields, found {} (a quoted comma?)",
                self.width,
                fields.len()
            ));
        }
        let [time, kind, product_id, category_id, category_code, brand, price, user, session] =
            self.at.map(|i| fields[i]);

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
        let event = action.event(product);
        event.validate().map_err(|e| e.to_string())?;
        Ok(Row {
            user_id: user.to_string(),
            session_id: session.to_string(),
            interaction: Interaction {
                at_ms,
                action,
                event,
                category_id,
            },
        })
    }
}

fn unquote(field: &str) -> &str {
    let field = field.trim();
    field
        .strip_prefix('"')
        .and_then(|f| f.strip_suffix('"'))
        .unwrap_or(field)
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

    fn log(rows: &[&str]) -> Rees46Log {
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
            "2019-10-01 00:00:02 UTC,view,2,20,\"a,b\",,1.0,7,s",
            "1.43322E+12,view,3,30,,,1.0,7,s",
            "2019-10-01 00:00:03 UTC,teleport,4,40,,,1.0,7,s",
            "2019-10-01 00:00:04 UTC,view,5,50,,,-3,7,s",
            "2019-10-01 00:00:05 UTC,view,,50,,,3,7,s",
            "2019-10-01 00:00:06 UTC,view,6,60,,,3,,s",
            "",
        ]);
        assert_eq!((log.rows, log.skipped, log.interactions()), (7, 6, 1));
        assert!(
            log.problems[0].starts_with("line 3: expected 9 fields"),
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
