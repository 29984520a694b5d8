//! A small map from a label to a value, kept sorted by label.
//!
//! The profile's tables hold at most a few dozen labels. A sorted `Vec` finds one by binary
//! search, and inserting into it moves at most about 2 KB; `BTreeMap`, which these
//! tables used before, put 21 KB of node-balancing code into the start-up wasm for them.
//! The browser layer keys its few stored records, and the impressions a page view counted
//! (up to thousands on an endless list, an insertion each), by it too, rather than by
//! `HashMap`, whose tables and SipHash were 15 KB more.
//! Iteration is in label order, as it was, so the stored form is unchanged.

/// Labels and their values, in label order, each label once.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelMap<V> {
    entries: Vec<(String, V)>,
}

impl<V> Default for LabelMap<V> {
    fn default() -> Self {
        LabelMap {
            entries: Vec::new(),
        }
    }
}

impl<V> LabelMap<V> {
    fn find(&self, label: &str) -> std::result::Result<usize, usize> {
        self.entries
            .binary_search_by(|(held, _)| held.as_str().cmp(label))
    }

    /// Whether `label` is in the map.
    pub fn contains_key(&self, label: &str) -> bool {
        self.find(label).is_ok()
    }

    /// The value of `label`, if present.
    pub fn get(&self, label: &str) -> Option<&V> {
        self.find(label).ok().map(|i| &self.entries[i].1)
    }

    /// Sets `label` to `value`, replacing what it held.
    pub fn insert(&mut self, label: String, value: V) {
        match self.find(&label) {
            Ok(i) => self.entries[i].1 = value,
            Err(i) => self.entries.insert(i, (label, value)),
        }
    }

    /// The value of `label`, inserted as `V::default()` first if absent.
    pub fn get_or_default(&mut self, label: &str) -> &mut V
    where
        V: Default,
    {
        let i = match self.find(label) {
            Ok(i) => i,
            Err(i) => {
                self.entries.insert(i, (label.to_owned(), V::default()));
                i
            }
        };
        &mut self.entries[i].1
    }

    /// Removes `label`, returning its value if it was present.
    pub fn remove(&mut self, label: &str) -> Option<V> {
        let i = self.find(label).ok()?;
        Some(self.entries.remove(i).1)
    }

    /// Removes every label.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Keeps only the entries for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &V) -> bool) {
        self.entries.retain(|(label, value)| keep(label, value));
    }

    /// The labels and their values, in label order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        self.entries
            .iter()
            .map(|(label, value)| (label.as_str(), value))
    }

    /// How many labels there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is no label.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<V> FromIterator<(String, V)> for LabelMap<V> {
    /// The map of `entries` in any order; of two equal labels the later one stays. One sort,
    /// not an insertion each: a stored table may hold any number of entries until its bounds
    /// are checked.
    fn from_iter<I: IntoIterator<Item = (String, V)>>(entries: I) -> Self {
        let read: Vec<(String, V)> = entries.into_iter().collect();
        let order = crate::order::last_of_each_key(read.len(), &|i| read[i].0.as_str());
        let mut read: Vec<Option<(String, V)>> = read.into_iter().map(Some).collect();
        let entries = order
            .into_iter()
            .map(|i| read[i].take().expect("invariant: each index comes once"))
            .collect();
        LabelMap { entries }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_labels_sorted_and_unique() {
        let mut map: LabelMap<u32> = [("b", 2), ("a", 1), ("c", 3), ("a", 4)]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        assert_eq!(
            map.iter().collect::<Vec<_>>(),
            [("a", &4), ("b", &2), ("c", &3)]
        );
        *map.get_or_default("ab") += 5;
        *map.get_or_default("b") += 5;
        map.remove("c");
        map.remove("zz");
        assert_eq!(
            map.iter().collect::<Vec<_>>(),
            [("a", &4), ("ab", &5), ("b", &7)]
        );
        assert!(map.contains_key("ab") && !map.contains_key("c"));
        assert_eq!((map.get("b"), map.get("x")), (Some(&7), None));
        map.retain(|label, _| label != "a");
        assert_eq!(map.len(), 2);
        map.insert("0".into(), 0);
        assert_eq!(map.iter().next(), Some(("0", &0)));
    }
}
