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
//! Rounding to a fixed number of places ([`fixed`]) is integer arithmetic here, the same in
//! the browser as natively: JavaScript's `toFixed` is a method the page can replace.

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
#[cfg(all(target_arch = "wasm32", not(feature = "ranker")))]
pub(crate) fn read(text: &str) -> f64 {
    // Most numbers (prices, counts, times) take the exact path in Rust; a call into
    // JavaScript costs more than reading them.
    exactly(text).unwrap_or_else(|| page_safe::read(text))
}

/// The calls into JavaScript that read and write numbers, by the language's own conversions
/// rather than methods the page may have replaced (`src/page_safe.js` says which).
///
/// In the core only. The ranker's wasm writes no numbers as text, and a snippet of its own
/// would take a file name of the core's: both modules' snippets share one folder of the
/// package, named after this crate.
#[cfg(all(target_arch = "wasm32", not(feature = "ranker")))]
mod page_safe {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen(module = "/src/page_safe.js")]
    extern "C" {
        /// `text`, a plain decimal, as JavaScript reads a number literal.
        #[wasm_bindgen(js_name = vitrineReadNumber)]
        pub fn read(text: &str) -> f64;

        /// Each of `numbers` as JavaScript writes it, joined by commas.
        #[wasm_bindgen(js_name = vitrineNumberTexts)]
        pub fn texts(numbers: &[f64]) -> String;
    }
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
#[cfg(any(not(target_arch = "wasm32"), feature = "ranker"))]
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

#[cfg(all(target_arch = "wasm32", not(feature = "ranker")))]
fn write_fraction(n: f64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_str(&page_safe::texts(&[n]))
}

#[cfg(any(not(target_arch = "wasm32"), feature = "ranker"))]
fn write_fraction(n: f64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(f, "{n:?}")
}

/// `numbers`, each as [`Shortest`] writes a fraction, joined by commas: the texts of a whole
/// document's fractions at once. In the browser that is one call into JavaScript instead of
/// one per number: a stored profile holds a few hundred, and a call each made writing it
/// half again as slow.
pub fn shortest_joined(numbers: &[f64]) -> String {
    #[cfg(all(target_arch = "wasm32", not(feature = "ranker")))]
    {
        if numbers.is_empty() {
            return String::new();
        }
        page_safe::texts(numbers)
    }
    #[cfg(any(not(target_arch = "wasm32"), feature = "ranker"))]
    {
        let texts: Vec<String> = numbers.iter().map(|&n| Shortest(n).to_string()).collect();
        texts.join(",")
    }
}

/// `n` rounded to `decimals` places (at most 9), for sentences shown to the shopper, such as
/// `7.0` or `42`: the text JavaScript's `toFixed` gives, computed here because a page may
/// have replaced `toFixed`. Beyond 2^53 units of the last place, and for what is not finite,
/// it is the text [`Shortest`] writes.
pub fn fixed(n: f64, decimals: u8) -> String {
    let decimals = u32::from(decimals.min(9));
    let scale = 10u64.pow(decimals);
    let (product, error) = exact_product(n.abs(), scale as f64);
    if product.is_nan() || product >= MAX_EXACT {
        return Shortest(n).to_string();
    }
    // The product rounds to a multiple of one half only when the exact value is near one:
    // its error then says on which side it lies. An exact half goes up, as `toFixed` does.
    let floor = product.floor();
    let fraction = product - floor;
    let up = fraction > 0.5 || (fraction == 0.5 && error >= 0.0);
    let units = floor as u64 + u64::from(up);
    let sign = if n < 0.0 { "-" } else { "" };
    let whole = units / scale;
    if decimals == 0 {
        return format!("{sign}{whole}");
    }
    let places = units % scale;
    format!("{sign}{whole}.{places:0width$}", width = decimals as usize)
}

/// `a × b` as the nearest `f64` and the exact remainder (Dekker's product: each factor split
/// into two halves of 26 bits, whose partial products are exact). No fused multiply-add:
/// wasm has none, and its software version is larger than this.
fn exact_product(a: f64, b: f64) -> (f64, f64) {
    let split = |x: f64| {
        let c = 134_217_729.0 * x; // 2^27 + 1
        let high = c - (c - x);
        (high, x - high)
    };
    let product = a * b;
    if !product.is_finite() {
        return (product, 0.0);
    }
    let (a_high, a_low) = split(a);
    let (b_high, b_low) = split(b);
    let error = ((a_high * b_high - product) + a_high * b_low + a_low * b_high) + a_low * b_low;
    (product, error)
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
        assert_eq!(fixed(0.125, 2), "0.13", "an exact half goes up");
        assert_eq!(fixed(2.5, 0), "3");
        assert_eq!(fixed(-1.25, 1), "-1.3");
        assert_eq!(fixed(-0.04, 1), "-0.0", "as toFixed writes it");
        assert_eq!(fixed(0.5, 3), "0.500");
        assert_eq!(fixed(123.456, 12), "123.456000000", "at most 9 places");
        assert_eq!(
            fixed(1e18, 1),
            Shortest(1e18).to_string(),
            "beyond 2^53 units"
        );
        assert_eq!(fixed(f64::NAN, 1), Shortest(f64::NAN).to_string());
    }

    #[test]
    fn fixed_agrees_with_exact_decimal_rounding() {
        // Against Rust's `{:.N}`, which rounds the exact binary value too; the two differ only
        // on exact halves, which Rust sends to the even neighbour.
        let mut random = crate::offline::rng::SplitMix64::new(2026);
        let mut checked = 0;
        for _ in 0..200_000 {
            let state = random.next_u64();
            let decimals = (state % 4) as u8;
            let n = (state >> 11) as f64 / (1u64 << 53) as f64 * 10f64.powi((state % 7) as i32);
            let scaled = n * 10f64.powi(i32::from(decimals));
            if scaled.fract() == 0.5 {
                continue;
            }
            checked += 1;
            assert_eq!(
                fixed(n, decimals),
                format!("{n:.*}", usize::from(decimals)),
                "{n:?} to {decimals}"
            );
        }
        assert!(checked > 190_000, "{checked}");
    }
}
