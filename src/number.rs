//! Decimal text to `f64`, by the platform's own exact reader.
//!
//! In the browser JavaScript reads the number: Rust's reader brings a 10 KB table of powers of
//! five and its code into the start-up wasm, which a page downloads on every visit, and
//! JavaScript's is exact too. Both round to the nearest `f64`; for texts of at most 20
//! significant digits (everything Vitrine writes has at most 17) the specification requires
//! it of JavaScript.

/// The number in `text`, a plain decimal such as `12.50`, `-3`, `.5`, `5.` or `1e-3` (an
/// optional sign, digits with at most one point, an optional exponent), with no other
/// character; `None` for anything else, `inf` and `NaN` included.
pub fn decimal(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let mut at = usize::from(matches!(bytes.first(), Some(b'+' | b'-')));
    let digits = |at: &mut usize| {
        let from = *at;
        while bytes.get(*at).is_some_and(u8::is_ascii_digit) {
            *at += 1;
        }
        *at - from
    };
    let mut mantissa = digits(&mut at);
    if bytes.get(at) == Some(&b'.') {
        at += 1;
        mantissa += digits(&mut at);
    }
    if mantissa == 0 {
        return None;
    }
    if let Some(b'e' | b'E') = bytes.get(at) {
        at += 1;
        if let Some(b'+' | b'-') = bytes.get(at) {
            at += 1;
        }
        if digits(&mut at) == 0 {
            return None;
        }
    }
    (at == bytes.len()).then(|| read(text))
}

/// `text`, already checked to be a plain decimal, as the nearest `f64`.
#[cfg(target_arch = "wasm32")]
pub(crate) fn read(text: &str) -> f64 {
    // Most numbers (prices, counts, times) take the exact path in Rust; a call into
    // JavaScript costs more than reading them. `parseFloat` reads the longest prefix that is
    // a number: here, all of the checked text.
    exactly(text).unwrap_or_else(|| js_sys::Number::parse_float(text))
}

/// Powers of ten that an `f64` holds exactly.
const EXACT_POWERS: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// `text`, a plain decimal, when it has at most 15 significant digits and its decimal
/// exponent is at most 22 either way: then the digits and the power of ten are both exact
/// `f64`s, and one multiplication or division rounds once, to the nearest (Clinger's fast
/// path). `None` for the rest, which needs a full reader.
fn exactly(text: &str) -> Option<f64> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa_text, exponent) = match digits.find(['e', 'E']) {
        Some(e) => (&digits[..e], digits[e + 1..].parse::<i64>().ok()?),
        None => (digits, 0),
    };
    let (mut mantissa, mut scale, mut significant) = (0u64, exponent, 0u32);
    let mut after_point = false;
    for byte in mantissa_text.bytes() {
        match byte {
            b'.' => after_point = true,
            b'0'..=b'9' => {
                if mantissa > 0 || byte != b'0' {
                    significant += 1;
                }
                if significant > 15 {
                    return None;
                }
                mantissa = mantissa * 10 + u64::from(byte - b'0');
                if after_point {
                    scale -= 1;
                }
            }
            _ => return None,
        }
    }
    let power = *EXACT_POWERS.get(scale.unsigned_abs() as usize)?;
    let value = if scale >= 0 {
        mantissa as f64 * power
    } else {
        mantissa as f64 / power
    };
    Some(if negative { -value } else { value })
}

/// `text`, already checked to be a plain decimal, as the nearest `f64`.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn read(text: &str) -> f64 {
    exactly(text).unwrap_or_else(|| {
        text.parse()
            .expect("invariant: a plain decimal is in Rust's float grammar")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_path_is_exact_where_it_answers() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut answered = 0;
        for _ in 0..200_000 {
            let digits = next() % 10u64.pow((next() % 17) as u32 + 1);
            let point = (next() % 20) as usize;
            let mut text = digits.to_string();
            if point < text.len() {
                text.insert(point, '.');
            }
            if next() % 3 == 0 {
                text = format!("{text}e{}", (next() % 60) as i64 - 30);
            }
            if let Some(fast) = exactly(&text) {
                answered += 1;
                assert_eq!(fast, text.parse::<f64>().unwrap(), "{text}");
            }
        }
        assert!(answered > 100_000, "{answered}");
        for (text, want) in [
            ("12.50", Some(12.5)),
            ("-0.001", Some(-0.001)),
            ("1733356800123.25", Some(1_733_356_800_123.25)),
        ] {
            assert_eq!(exactly(text), want, "{text}");
        }
        assert_eq!(exactly("0.1234567890123456"), None, "16 significant digits");
        assert_eq!(exactly("1e23"), None);
    }

    #[test]
    fn reads_plain_decimals_only() {
        for (text, want) in [
            ("12.50", 12.5),
            ("-3", -3.0),
            ("+3", 3.0),
            (".5", 0.5),
            ("5.", 5.0),
            ("1e-3", 0.001),
            ("2E+2", 200.0),
            ("1e400", f64::INFINITY),
        ] {
            assert_eq!(decimal(text), Some(want), "{text}");
        }
        for text in [
            "", ".", "-", "e5", "1e", "1.2.3", "12,50", " 1", "inf", "NaN", "0x10",
        ] {
            assert_eq!(decimal(text), None, "{text:?}");
        }
    }
}
