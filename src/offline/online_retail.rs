//! Reading the UCI "Online Retail" invoices into baskets: one [`ShopperSession`] per invoice.
//!
//! Columns are found by name: `InvoiceNo`, `StockCode`, `Quantity`, `InvoiceDate`,
//! `UnitPrice` and `CustomerID` (others, such as `Description`, `Country` or a leading
//! row-number column, are ignored). Dates may be `2010-12-01 08:26:00` (the cleaned file) or
//! `12/1/2010 8:26` (the raw one).
//!
//! Each line becomes a purchase of its StockCode, replayed as an add-to-cart of its quantity,
//! at the invoice's time. The products have no category and no brand: the description is
//! free text ("WHITE HANGING HEART T-LIGHT HOLDER"), and turning it into a category would be
//! inventing one, so category features stay absent and no candidate is drawn "from the same
//! category". The unit price is kept, so the price features work.
//!
//! Not every line is a product sale. Skipped and counted, with the reason:
//! - cancellations (`InvoiceNo` starting with `C`) and lines with a quantity below 1;
//! - postage, fees and manual lines: a product's StockCode starts with a digit (`85123A`,
//!   `22423`), while `POST`, `DOT`, `M`, `C2`, `BANK CHARGES` or `gift_0001_40` do not.
//!
//! A line of more than 10,000 units fails the SDK's own event validation
//! ([`MAX_QUANTITY`](crate::event::MAX_QUANTITY)) and is skipped like a bad row (the shared
//! files top out at 2,880).

use std::io::{self, BufRead};

use crate::event::Product;
use crate::offline::csv;
use crate::offline::rees46::parse_time;
use crate::offline::session::{Action, Interaction, SessionLog, ShopperSession};

/// The columns the reader needs, in any order.
pub const COLUMNS: [&str; 6] = [
    "InvoiceNo",
    "StockCode",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
];

/// Reads invoice lines with a header. Bad and non-product lines are skipped and counted.
///
/// # Errors
/// Reading errors, and [`io::ErrorKind::InvalidData`] when the header lacks a column.
pub fn read(mut reader: impl BufRead) -> io::Result<SessionLog> {
    let header = csv::read_header(&mut reader, ',')?;
    let at = csv::locate(&header, COLUMNS)?;
    let mut log = SessionLog::default();
    let mut bytes = Vec::new();
    let mut number = 1;
    loop {
        bytes.clear();
        if reader.read_until(b'\n', &mut bytes)? == 0 {
            break;
        }
        number += 1;
        let Ok(text) = std::str::from_utf8(&bytes) else {
            log.skip(number, "not UTF-8");
            continue;
        };
        let text = csv::trim_line(text);
        if text.is_empty() {
            continue;
        }
        match parse_line(text, header.len(), at, number) {
            Ok((customer, invoice, interaction)) => log.push(&customer, &invoice, interaction),
            Err(reason) => log.skip(number, reason),
        }
    }
    Ok(log.finish())
}

fn parse_line(
    text: &str,
    width: usize,
    at: [usize; 6],
    line: usize,
) -> Result<(String, String, Interaction), String> {
    let fields = csv::split(text, ',')?;
    if fields.len() != width {
        return Err(format!("expected {width} fields, found {}", fields.len()));
    }
    let [invoice, code, quantity, date, price, customer] = at.map(|i| fields[i].as_str());
    if invoice.is_empty() {
        return Err("empty InvoiceNo".into());
    }
    if invoice.starts_with(['C', 'c']) {
        return Err(format!("cancellation {invoice:?}, not a sale"));
    }
    if !code.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!(
            "StockCode {code:?} is not a product (postage, fee or manual)"
        ));
    }
    let quantity = quantity
        .parse::<u32>()
        .ok()
        .filter(|&q| q >= 1)
        .ok_or_else(|| format!("bad Quantity {quantity:?}: expected a whole number ≥ 1"))?;
    let at_ms = parse_invoice_date(date)
        .ok_or_else(|| format!("bad InvoiceDate {date:?}: expected YYYY-MM-DD HH:MM[:SS]"))?;
    let price = price
        .parse::<f64>()
        .map_err(|_| format!("bad UnitPrice {price:?}"))?;
    // The cleaned file writes ids as floats (`17850.0`); the raw one as integers or `NA`.
    let customer = match customer.strip_suffix(".0").unwrap_or(customer) {
        "NA" | "" => "",
        id => id,
    };

    let product = Product {
        id: code.to_string(),
        category: None,
        brand: None,
        price: Some(price),
    };
    let event = Action::Purchase.event(product, quantity);
    event.validate().map_err(|e| e.to_string())?;
    let interaction = Interaction {
        at_ms,
        action: Action::Purchase,
        event,
        category_id: None,
        line,
    };
    Ok((customer.to_string(), invoice.to_string(), interaction))
}

/// `2010-12-01 08:26:00`, or the raw file's `12/1/2010 8:26`, to ms since the epoch (the
/// times are UK local; read as UTC, which only shifts every invoice alike).
pub fn parse_invoice_date(text: &str) -> Option<f64> {
    if let Some(ms) = parse_time(text) {
        return Some(ms);
    }
    let (date, time) = text.trim().split_once(' ')?;
    let mut parts = date.split('/');
    let (month, day, year) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let time = if time.matches(':').count() == 1 {
        format!("{time}:00")
    } else {
        time.to_string()
    };
    let (month, day): (u32, u32) = (month.parse().ok()?, day.parse().ok()?);
    parse_time(&format!("{year}-{month:02}-{day:02} {time}"))
}

/// The distinct products of a basket, in line order (an invoice may list one twice).
pub fn distinct_products(basket: &ShopperSession) -> Vec<&Interaction> {
    let mut seen = std::collections::HashSet::new();
    basket
        .interactions
        .iter()
        .filter(|i| seen.insert(i.product().id.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,\
                          CustomerID,Country";

    #[test]
    fn reads_invoices_as_baskets() {
        let text = format!(
            "{HEADER}\n\
             536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,\
             17850.0,United Kingdom\n\
             536365,71053,\"LANTERN, WHITE\",6,2010-12-01 08:26:00,3.39,17850.0,United Kingdom\n\
             536366,22633,HAND WARMER,6,2010-12-01 08:28:00,1.85,,United Kingdom\n"
        );
        let log = read(text.as_bytes()).unwrap();
        assert_eq!((log.rows, log.skipped, log.sessions.len()), (3, 0, 2));
        let first = &log.sessions[0];
        assert_eq!(
            (first.id.as_str(), first.user_id.as_str()),
            ("536365", "17850")
        );
        let product = first.interactions[1].product();
        assert_eq!((product.id.as_str(), product.price), ("71053", Some(3.39)));
        assert_eq!(
            (product.category.as_deref(), product.brand.as_deref()),
            (None, None)
        );
        assert!(matches!(
            first.interactions[0].event,
            crate::event::Event::AddedToCart { quantity: 6, .. }
        ));
        assert_eq!(log.sessions[1].user_id, "", "no customer: anonymous");
    }

    #[test]
    fn skips_returns_fees_and_bad_lines() {
        let text = format!(
            "{HEADER}\n\
             C536379,22423,CAKESTAND,-1,2010-12-01 09:41:00,12.75,14527.0,UK\n\
             536370,POST,POSTAGE,3,2010-12-01 08:45:00,18.0,12583.0,France\n\
             536370,22728,ALARM CLOCK,0,2010-12-01 08:45:00,3.75,12583.0,France\n\
             536370,22728,ALARM CLOCK,2,yesterday,3.75,12583.0,France\n\
             536370,22728,ALARM CLOCK,2,2010-12-01 08:45:00,-3.75,12583.0,France\n\
             536370,22728,\"ALARM CLOCK,2,2010-12-01 08:45:00,3.75,12583.0,France\n\
             536370,22727,ALARM CLOCK RED,24,2010-12-01 08:45:00,3.75,12583.0,France\n"
        );
        let log = read(text.as_bytes()).unwrap();
        assert_eq!((log.rows, log.skipped), (7, 6), "{:?}", log.problems);
        let reasons = log.problems.join("\n");
        for expected in [
            "cancellation",
            "not a product",
            "bad Quantity",
            "bad InvoiceDate",
            "product.price",
            "unterminated quote",
        ] {
            assert!(reasons.contains(expected), "{expected}: {reasons}");
        }
    }

    #[test]
    fn reads_the_raw_files_dates_and_columns() {
        assert_eq!(
            parse_invoice_date("12/1/2010 8:26"),
            parse_invoice_date("2010-12-01 08:26:00")
        );
        assert_eq!(parse_invoice_date("13/1/2010 8:26"), None);
        let text = "\"\",\"InvoiceNo\",\"StockCode\",\"Description\",\"Quantity\",\
                    \"InvoiceDate\",\"UnitPrice\",\"CustomerID\",\"Country\"\n\
                    \"1\",\"573442\",\"21479\",\"SKULL \"\"BOTTLE\"\"\",4,\"10/31/2011 10:42\",\
                    4.25,NA,\"France\"\n";
        let log = read(text.as_bytes()).unwrap();
        assert_eq!(log.skipped, 0, "{:?}", log.problems);
        assert_eq!(log.sessions[0].user_id, "");
        let err = read("InvoiceNo,Quantity\n".as_bytes()).unwrap_err();
        assert!(err.to_string().contains("`StockCode`"), "{err}");
    }
}
