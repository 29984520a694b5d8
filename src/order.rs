//! Sorting, by one routine for the whole crate.
//!
//! Every `sort_by` on its own element type, with its own closure, compiles its own copy of
//! the standard library's stable sort: 4 to 6 KB of wasm apiece, 21 KB in the start-up
//! module for four call sites. Sorting indices with a comparison behind `dyn` compiles it
//! once; the callers then read their items in that order.

use std::cmp::Ordering;

/// Sorts `indices` by `compare`, a stable sort: indices that compare equal keep their order.
///
/// A merge sort of its own, bottom up, rather than the standard library's: that one is
/// about 4 KB of wasm even compiled once, and the lists here are short (a widget's items, a
/// profile table's entries). Runs already in order are copied, not merged, so a list that is
/// sorted already (a widget in the server's order) costs one comparison per run.
pub fn sort_indices(indices: &mut [usize], compare: &dyn Fn(usize, usize) -> Ordering) {
    let n = indices.len();
    let mut from = indices.to_vec();
    let mut into = vec![0; n];
    let mut width = 1;
    while width < n {
        for start in (0..n).step_by(2 * width) {
            let middle = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            merge(
                &from[start..middle],
                &from[middle..end],
                &mut into[start..end],
                compare,
            );
        }
        std::mem::swap(&mut from, &mut into);
        width *= 2;
    }
    indices.copy_from_slice(&from);
}

/// Merges the sorted runs `left` and `right` into `out`; of two that compare equal, the one
/// from `left` comes first.
fn merge(
    left: &[usize],
    right: &[usize],
    out: &mut [usize],
    compare: &dyn Fn(usize, usize) -> Ordering,
) {
    let (mut l, mut r) = (0, 0);
    let in_order = match (left.last(), right.first()) {
        (Some(&last), Some(&first)) => compare(first, last) != Ordering::Less,
        _ => true,
    };
    for slot in out.iter_mut() {
        let from_left = r == right.len()
            || (l < left.len() && (in_order || compare(right[r], left[l]) != Ordering::Less));
        if from_left {
            *slot = left[l];
            l += 1;
        } else {
            *slot = right[r];
            r += 1;
        }
    }
}

/// The indices `0..n` sorted by `compare`, stably.
pub fn sorted_indices(n: usize, compare: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut indices: Vec<usize> = (0..n).collect();
    sort_indices(&mut indices, compare);
    indices
}

/// The indices `0..n` sorted by `key`, with only the last index of each key: for reading
/// entries where a later one replaces an earlier one of the same key.
pub fn last_of_each_key<'a>(n: usize, key: &dyn Fn(usize) -> &'a str) -> Vec<usize> {
    let mut indices = sorted_indices(n, &|a, b| key(a).cmp(key(b)));
    // Sorted stably: of equal keys, the later index comes second, and takes the place.
    indices.dedup_by(|later, kept| {
        let same = key(*later) == key(*kept);
        if same {
            *kept = *later;
        }
        same
    });
    indices
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_index_of_each_key() {
        let keys = ["b", "a", "b", "c", "a", "b"];
        assert_eq!(last_of_each_key(keys.len(), &|i| keys[i]), [4, 5, 3]);
    }

    #[test]
    fn sorts_as_the_standard_stable_sort_does() {
        let mut rng = crate::offline::rng::SplitMix64::new(7);
        for n in [0, 1, 2, 3, 5, 8, 17, 100, 1000, 1025] {
            for distinct in [1, 3, n.max(1)] {
                let keys: Vec<usize> = (0..n).map(|_| rng.below(distinct)).collect();
                let mut expected: Vec<usize> = (0..n).collect();
                expected.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
                let by_key = |a: usize, b: usize| keys[a].cmp(&keys[b]);
                assert_eq!(
                    sorted_indices(n, &by_key),
                    expected,
                    "{n} of {distinct} keys"
                );
                let mut reversed: Vec<usize> = (0..n).rev().collect();
                sort_indices(&mut reversed, &by_key);
                expected = (0..n).rev().collect();
                expected.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
                assert_eq!(reversed, expected, "{n} of {distinct} keys, from the end");
            }
        }
    }

    #[test]
    fn sorts_stably() {
        let keys = [3, 1, 2, 1, 3];
        assert_eq!(
            sorted_indices(keys.len(), &|a, b| keys[a].cmp(&keys[b])),
            [1, 3, 2, 0, 4]
        );
        let mut some = vec![4, 0, 2];
        sort_indices(&mut some, &|a, b| keys[b].cmp(&keys[a]));
        assert_eq!(some, [4, 0, 2], "4 and 0 tie, and keep their order");
    }
}
