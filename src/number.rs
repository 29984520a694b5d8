//! Decimal text to `f64` and back, by the platform's own exact reader and writer.
//!
//! In the browser JavaScript reads and writes the number: Rust's reader brings a 10 KB table
//! of powers of five and its code into the start-up wasm, which a page downloads on every
//! visit, and Rust's float formatting (Grisu with a Dragon4 fallback, for both the shortest
//! and the fixed-precision forms) is about as large again. JavaScript's are exact too. Both
//! readers round to the nearest `f64`; for texts of at most 20 significant digits
//! (everything Vitrine writes has at most 17) the specification requires it of JavaScript.
//! Both writers give the shortest decimal that reads back as the same `f64`.
//!
//! So the core never formats an `f64` with `{}` or `{:?}`: `Shortest` does it, and whole
//! numbers, the common case, go through integer formatting without a call into JavaScript.

use std::fmt;

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
    // `strip_prefix` and `split_once` rather than slicing by index, whose panic path would
    // bring Unicode tables into the wasm.
    let (negative, digits) = match text.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa_text, exponent) = match digits.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, exponent.parse::<i64>().ok()?),
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

/// `n` as the shortest decimal that reads back as the same `f64`, for JSON and messages:
/// whole numbers below 2^53 as integers (`5`, not `5.0`); the rest as the platform writes
/// them, with an exponent for very large and very small ones (`1e+21` in the browser,
/// `1e21` natively; whole numbers from 2^53 natively as `9007199254740992.0`: all valid
/// JSON), and `NaN`, `inf` or `Infinity` for what is not finite (the JSON writer never
/// passes those).
#[derive(Debug, Clone, Copy)]
pub struct Shortest(pub f64);

/// The largest `f64` below which every integer is exact.
pub(crate) const MAX_EXACT: f64 = 9_007_199_254_740_992.0;

/// Whether `n` is written as an integer, without a decimal writer.
pub(crate) fn is_whole(n: f64) -> bool {
    n.fract() == 0.0 && n.abs() < MAX_EXACT
}

impl fmt::Display for Shortest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        if is_whole(n) {
            // `-0.0` too: JavaScript writes it as "0", and it reads back equal.
            return write!(f, "{}", n as i64);
        }
        write_fraction(n, f)
    }
}

#[cfg(target_arch = "wasm32")]
fn write_fraction(n: f64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let text = js_sys::Number::from(n)
        .to_string_with_radix(10)
        .map_err(|_| fmt::Error)?;
    f.write_str(&String::from(text))
}

#[cfg(not(target_arch = "wasm32"))]
fn write_fraction(n: f64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(f, "{n:?}")
}

/// `numbers`, each as [`Shortest`] writes a fraction, joined by commas: the texts of a whole
/// document's fractions at once. In the browser that is one call into JavaScript instead of
/// one per number: a stored profile holds a few hundred, and a call each made writing it
/// half again as slow.
pub fn shortest_joined(numbers: &[f64]) -> String {
    #[cfg(target_arch = "wasm32")]
    {
        if numbers.is_empty() {
            return String::new();
        }
        // `join` writes each number as `String(n)` does, the same text as `toString`.
        let typed = js_sys::Float64Array::from(numbers);
        js_sys::Array::from(&typed).join(",").into()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let texts: Vec<String> = numbers.iter().map(|&n| Shortest(n).to_string()).collect();
        texts.join(",")
    }
}

/// `n` rounded to `decimals` places, for sentences shown to the shopper, such as `7.0` or
/// `42`: JavaScript's `toFixed` in the browser, `{:.N}` natively. (The two differ only on a
/// value exactly halfway, which `toFixed` rounds up and Rust to even.)
pub fn fixed(n: f64, decimals: u8) -> String {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Number::from(n)
            .to_fixed(decimals.min(100))
            .map(String::from)
            .unwrap_or_else(|_| Shortest(n).to_string())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        format!("{n:.*}", usize::from(decimals))
    }
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

    #[test]
    fn shortest_reads_back_exactly() {
        for (n, want) in [
            (5.0, "5"),
            (-0.0, "0"),
            (1_733_356_800_123.0, "1733356800123"),
            (0.1, "0.1"),
            (12.5, "12.5"),
            (-3.25, "-3.25"),
            (1.0 / 3.0, "0.3333333333333333"),
        ] {
            assert_eq!(Shortest(n).to_string(), want);
        }
        for n in [
            f64::MIN_POSITIVE,
            f64::MAX,
            2f64.powi(60),
            -123.456e-200,
            1e21,
            1.5e-7,
        ] {
            assert_eq!(Shortest(n).to_string().parse::<f64>().unwrap(), n);
        }
    }

    #[test]
    fn fixed_rounds_to_its_places() {
        assert_eq!(fixed(7.0, 1), "7.0");
        assert_eq!(fixed(0.26, 1), "0.3");
        assert_eq!(fixed(33.333, 0), "33");
        assert_eq!(fixed(99.7, 0), "100");
        assert_eq!(fixed(1.45, 1), "1.4", "1.45 is 1.4499… as an f64");
        assert_eq!(fixed(1e18, 1), "1000000000000000000.0");
    }
}
