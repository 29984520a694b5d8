//! Sorting, by one routine for the whole crate.
//!
//! Every `sort_by` on its own element type, with its own closure, compiles its own copy of
//! the standard library's stable sort: 4 to 6 KB of wasm apiece, 21 KB in the start-up
//! module for four call sites. Sorting indices with a comparison behind `dyn` compiles it
//! once; the callers then read their items in that order.

use std::cmp::Ordering;

/// Sorts `indices` by `compare`, a stable sort: indices that compare equal keep their order.
pub fn sort_indices(indices: &mut [usize], compare: &dyn Fn(usize, usize) -> Ordering) {
    indices.sort_by(|&a, &b| compare(a, b));
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
