//! Which of a few shopper segments a profile is nearest to, on the device.
//!
//! A segment is the nearest of [`SEGMENT_COUNT`] centroids to the profile vector below. The
//! centroids are computed offline, by seeded k-means over profiles replayed from real REES46
//! sessions (`vitrine-dataset --write-segments`), and shipped in `models/segments.json`,
//! whose centroids `build.rs` compiles into the SDK as `SHIPPED_CENTROIDS`. The segment is
//! readable by the page and travels only noised, by randomized response, in the signal batch.
//!
//! # The profile vector
//! [`VECTOR_LEN`] numbers, each in `[0, 1]`, named by [`VECTOR_NAMES`]:
//! - one per [`INTEREST_DOMAIN`] slot: that top-level category's share of the shopper's
//!   decayed top-category affinity (they sum to 1, or are all 0 for a shopper with none);
//! - `activity`: `1 − e^(−events / 10)`, how much the shopper has done at all;
//! - `commitment`: `1 − e^(−(cart adds + orders))`, whether they have started buying.
//!
//! Shares rather than raw weights, so that a shopper's segment says what they like and not
//! how long they have been browsing; the two engagement numbers keep window shoppers and
//! buyers of the same interest apart.

use crate::json::Value;
use crate::number::Shortest;
use crate::stored::{self, Fields};

use crate::error::{Error, Result};
use crate::offline::rng::SplitMix64;
use crate::profile::Profile;
use crate::signals::{interest_index, INTEREST_DOMAIN, SEGMENT_COUNT};

/// Numbers in a profile vector: the interest shares, then `activity` and `commitment`.
pub const VECTOR_LEN: usize = INTEREST_DOMAIN.len() + 2;

/// The name of each number of the profile vector, in order.
pub const VECTOR_NAMES: [&str; VECTOR_LEN] = [
    "electronics",
    "appliances",
    "computers",
    "furniture",
    "auto",
    "apparel",
    "construction",
    "kids",
    "accessories",
    "sport",
    "stationery",
    "country_yard",
    "medicine",
    "other",
    "activity",
    "commitment",
];

/// The version of `models/segments.json`'s shape.
pub const SEGMENTS_SCHEMA: u32 = 1;

/// Events at which `activity` reaches 1 − 1/e.
const ACTIVITY_SCALE_EVENTS: f64 = 10.0;

/// A profile's position in segment space.
pub type ProfileVector = [f64; VECTOR_LEN];

/// The profile vector of `profile`, as of its own clock.
pub fn profile_vector(profile: &Profile) -> ProfileVector {
    let now = profile.clock_ms();
    let half_life = profile.half_life_ms();
    let mut v = [0.0; VECTOR_LEN];
    for (label, weight) in profile.top_categories.top(usize::MAX, now, half_life) {
        // Removals can push a label's decayed weight below zero; it then says nothing.
        v[interest_index(&label)] += weight.max(0.0);
    }
    let total: f64 = v[..INTEREST_DOMAIN.len()].iter().sum();
    if total > 0.0 {
        for share in &mut v[..INTEREST_DOMAIN.len()] {
            *share /= total;
        }
    }
    let totals = &profile.totals;
    v[INTEREST_DOMAIN.len()] = 1.0 - (-(totals.events as f64) / ACTIVITY_SCALE_EVENTS).exp();
    v[INTEREST_DOMAIN.len() + 1] = 1.0 - (-((totals.cart_adds + totals.orders) as f64)).exp();
    v
}

include!(concat!(env!("OUT_DIR"), "/shipped_segments.rs"));

/// The shipped centroids and where they came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Segments {
    /// [`SEGMENTS_SCHEMA`].
    pub schema: u32,
    /// [`VECTOR_NAMES`], so that a file built for another vector is refused.
    pub vector: Vec<String>,
    /// [`SEGMENT_COUNT`] centroids of [`VECTOR_LEN`] numbers.
    pub centroids: Vec<Vec<f64>>,
    /// How they were computed: free-form, for people (`null` when absent).
    pub provenance: Value,
}

impl Segments {
    /// Parses and checks a segments file.
    ///
    /// # Errors
    /// [`Error::Malformed`] for text that is not its JSON shape, [`Error::InvalidField`]
    /// naming the first field that does not fit this build's vector.
    pub fn parse(json: &str) -> Result<Self> {
        let segments = Segments::read(json).map_err(stored::as_malformed)?;
        if segments.schema != SEGMENTS_SCHEMA {
            return Err(Error::invalid("schema", "1", segments.schema));
        }
        if segments.vector != VECTOR_NAMES {
            return Err(Error::invalid(
                "vector",
                "the names of segment::VECTOR_NAMES, in order",
                segments.vector.join(","),
            ));
        }
        if segments.centroids.len() != usize::from(SEGMENT_COUNT) {
            return Err(Error::invalid(
                "centroids",
                "8 centroids",
                segments.centroids.len(),
            ));
        }
        for (i, c) in segments.centroids.iter().enumerate() {
            if c.len() != VECTOR_LEN || !c.iter().all(|x| x.is_finite()) {
                return Err(Error::invalid(
                    format!("centroids[{i}]"),
                    "16 finite numbers",
                    format!("{} numbers: {}", c.len(), listed(c)),
                ));
            }
        }
        Ok(segments)
    }

    /// The file's fields, of their types; `parse` checks them.
    fn read(json: &str) -> Result<Self> {
        let value = stored::parse("segments", json)?;
        let fields = Fields::of(&value, "segments")?;
        let number = |at: String, x: &Value| {
            x.as_f64()
                .ok_or_else(|| Error::Corrupt(format!("`{at}`: expected a number")))
        };
        let segments = Segments {
            schema: fields.small("schema")?,
            vector: fields.strings("vector")?,
            centroids: fields
                .array("centroids")?
                .map(|(at, centroid)| {
                    let numbers = centroid
                        .as_array()
                        .ok_or_else(|| Error::Corrupt(format!("`{at}`: expected a list")))?;
                    numbers
                        .iter()
                        .enumerate()
                        .map(|(i, x)| number(format!("{at}[{i}]"), x))
                        .collect()
                })
                .collect::<Result<_>>()?,
            provenance: fields.get("provenance").cloned().unwrap_or(Value::Null),
        };
        Ok(segments)
    }

    /// `models/segments.json` as this build was made with it, parsed and checked: for the
    /// tools and the tests. The SDK reads `SHIPPED_CENTROIDS` instead.
    ///
    /// # Errors
    /// As [`Segments::parse`].
    pub fn shipped() -> Result<Segments> {
        Segments::parse(include_str!("../models/segments.json"))
    }
}

/// The shopper's segment by the shipped centroids, in `0..SEGMENT_COUNT`.
pub fn segment_of(profile: &Profile) -> u8 {
    nearest(&SHIPPED_CENTROIDS, &profile_vector(profile)) as u8
}

fn distance2(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// The index of the centroid nearest to `v` (squared Euclidean distance; ties go to the lower
/// index).
fn nearest<C: AsRef<[f64]>>(centroids: &[C], v: &[f64]) -> usize {
    let mut best = (0, f64::INFINITY);
    for (i, c) in centroids.iter().enumerate() {
        let d = distance2(c.as_ref(), v);
        if d < best.1 {
            best = (i, d);
        }
    }
    best.0
}

/// The result of [`kmeans`].
#[derive(Debug, Clone, PartialEq)]
pub struct Clustering {
    /// `k` centroids.
    pub centroids: Vec<Vec<f64>>,
    /// How many points each centroid owns.
    pub sizes: Vec<usize>,
    /// Lloyd iterations run.
    pub iterations: usize,
    /// Mean squared distance of a point to its centroid.
    pub inertia: f64,
}

/// Seeded k-means (k-means++ start, then Lloyd's iterations until no point moves or
/// `max_iterations`): the offline step that computes the shipped centroids. The same points
/// and seed always give the same centroids.
///
/// # Panics
/// When there are fewer points than `k`: the caller checks its data first.
pub fn kmeans(points: &[ProfileVector], k: usize, seed: u64, max_iterations: usize) -> Clustering {
    assert!(
        points.len() >= k && k > 0,
        "invariant: k-means needs at least k points"
    );
    let mut rng = SplitMix64::new(seed);
    let mut centroids: Vec<Vec<f64>> = vec![points[rng.below(points.len())].to_vec()];
    let mut d2: Vec<f64> = points.iter().map(|p| distance2(p, &centroids[0])).collect();
    while centroids.len() < k {
        let total: f64 = d2.iter().sum();
        // All points on the chosen centroids already: any point will do.
        let pick = if total > 0.0 {
            let target = rng.next_f64() * total;
            let mut acc = 0.0;
            d2.iter()
                .position(|d| {
                    acc += d;
                    acc > target
                })
                .unwrap_or(points.len() - 1)
        } else {
            rng.below(points.len())
        };
        centroids.push(points[pick].to_vec());
        for (d, p) in d2.iter_mut().zip(points) {
            *d = d.min(distance2(p, &centroids[centroids.len() - 1]));
        }
    }
    let mut owner = vec![usize::MAX; points.len()];
    let mut iterations = 0;
    while iterations < max_iterations {
        iterations += 1;
        let mut moved = false;
        for (o, p) in owner.iter_mut().zip(points) {
            let n = nearest(&centroids, p);
            moved |= *o != n;
            *o = n;
        }
        if !moved {
            break;
        }
        let mut sums = vec![vec![0.0; VECTOR_LEN]; k];
        let mut counts = vec![0usize; k];
        for (&o, p) in owner.iter().zip(points) {
            counts[o] += 1;
            for (s, x) in sums[o].iter_mut().zip(p) {
                *s += x;
            }
        }
        for ((c, s), &n) in centroids.iter_mut().zip(sums).zip(&counts) {
            // An emptied centroid stays where it was rather than collapsing to the origin.
            if n > 0 {
                *c = s.into_iter().map(|x| x / n as f64).collect();
            }
        }
    }
    let mut sizes = vec![0; k];
    for &o in &owner {
        sizes[o] += 1;
    }
    let inertia = owner
        .iter()
        .zip(points)
        .map(|(&o, p)| distance2(p, &centroids[o]))
        .sum::<f64>()
        / points.len() as f64;
    Clustering {
        centroids,
        sizes,
        iterations,
        inertia,
    }
}

/// `numbers` as "1, 0.5, NaN", for an error message.
fn listed(numbers: &[f64]) -> String {
    let texts: Vec<String> = numbers.iter().map(|&n| Shortest(n).to_string()).collect();
    texts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, Product};

    fn viewer_of(category: &str, views: usize) -> Profile {
        let mut p = Profile::default();
        for i in 0..views {
            let product = Product {
                id: format!("{i}"),
                category: Some(category.to_owned()),
                brand: None,
                price: None,
            };
            p.apply(&Event::ProductViewed { product }, 1_000.0 * (i + 1) as f64);
        }
        p
    }

    #[test]
    fn the_vector_is_shares_and_bounded_engagement() {
        let v = profile_vector(&viewer_of("computers.notebook", 3));
        assert_eq!(v[interest_index("computers")], 1.0);
        assert_eq!(v[..INTEREST_DOMAIN.len()].iter().sum::<f64>(), 1.0);
        assert!(v[INTEREST_DOMAIN.len()] > 0.2 && v[INTEREST_DOMAIN.len()] < 0.3);
        assert_eq!(v[INTEREST_DOMAIN.len() + 1], 0.0);
        assert!(profile_vector(&Profile::default())
            .iter()
            .all(|&x| x == 0.0));
    }

    #[test]
    fn the_shipped_centroids_parse_and_separate_interests() {
        let shipped = Segments::shipped().unwrap();
        let phones = segment_of(&viewer_of("electronics.smartphone", 5));
        let sofas = segment_of(&viewer_of("furniture.living_room.sofa", 5));
        assert!(phones < SEGMENT_COUNT && sofas < SEGMENT_COUNT);
        assert_eq!(shipped.centroids.len(), usize::from(SEGMENT_COUNT));
        assert_ne!(
            phones,
            segment_of(&Profile::default()),
            "a shopper is not a newcomer"
        );
    }

    #[test]
    fn the_compiled_centroids_are_the_files() {
        let shipped = Segments::shipped().unwrap();
        assert_eq!(shipped.centroids, SHIPPED_CENTROIDS.map(Vec::from).to_vec());
    }

    #[test]
    fn a_file_for_another_vector_is_refused_by_field() {
        let text = include_str!("../models/segments.json").replacen("\"activity\"", "\"x\"", 1);
        let err = Segments::parse(&text).unwrap_err();
        assert!(err.to_string().contains("`vector`"), "{err}");
    }

    #[test]
    fn kmeans_is_deterministic_and_finds_separated_groups() {
        let mut points = Vec::new();
        for i in 0..60 {
            let mut p = [0.0; VECTOR_LEN];
            p[i % 3] = 1.0;
            p[VECTOR_LEN - 2] = (i % 7) as f64 * 0.01;
            points.push(p);
        }
        let a = kmeans(&points, 3, 11, 50);
        assert_eq!(a, kmeans(&points, 3, 11, 50));
        let mut sizes = a.sizes.clone();
        sizes.sort_unstable();
        assert_eq!(sizes, [20, 20, 20]);
        assert!(a.inertia < 1e-3, "inertia {}", a.inertia);
    }
}
