//! Two tabs, one profile: each tab's own recent events, numbered, so that a profile another
//! tab wrote can be adopted without losing this tab's events or counting any twice.
//!
//! Every tab of a store applies its events to its own copy of the profile and writes that
//! copy to storage now and then. Last writer wins would drop whatever the other tab did in
//! between. Instead each tab numbers its events with a sequence of its own (monotonic, never
//! the wall clock, which may jump) and keeps the latest ones in an [`EventLog`]; the stored
//! profile records, per tab, how far into that tab's sequence it goes ([`Writers`]). A tab
//! that reads a profile written elsewhere adopts it and applies again only its own events
//! past that mark, so each event is in the merged profile exactly once.
//!
//! The mark is carried along by every tab that adopts a profile, so it survives a race
//! where both tabs write at once: whichever write storage keeps, the other tab hears of it,
//! adopts it and re-applies what it lacks. Known limit: an event that fell out of a tab's
//! log (more than [`LOG_CAPACITY`] events before another tab's write is heard of, which
//! takes milliseconds) cannot be re-applied, and that merge loses it.

use crate::error::{Error, Result};
use crate::event::Event;
use crate::json::{Object, Value};
use crate::label_map::LabelMap;
use crate::profile::Profile;
use crate::stored::Fields;

/// How many of its own events a tab keeps for re-applying.
pub const LOG_CAPACITY: usize = 512;
/// How many tabs a profile remembers marks for; the one that wrote longest ago goes first.
pub const WRITERS_CAPACITY: usize = 16;
/// Longest tab id accepted from storage, in bytes.
const MAX_TAB_BYTES: usize = 32;

/// Per tab, the last of its events that a profile contains.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Writers {
    tabs: LabelMap<Mark>,
}

/// How far into one tab's sequence a profile goes.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Mark {
    /// The sequence number of the tab's last event in the profile.
    seq: u64,
    /// When that event was applied (profile time), to choose which mark to forget.
    t: f64,
}

impl Writers {
    /// The last of `tab`'s events this profile contains; 0 for none.
    pub fn seq_of(&self, tab: &str) -> u64 {
        self.tabs.get(tab).map_or(0, |mark| mark.seq)
    }

    /// The stored form, `{"tabs": {tab: {"seq": n, "t": ms}, …}}`.
    pub fn to_value(&self) -> Value {
        let tabs: Object = self
            .tabs
            .iter()
            .map(|(tab, mark)| {
                let mark = Object::new().with("seq", mark.seq).with("t", mark.t);
                (tab.to_owned(), mark.into())
            })
            .collect();
        Object::new().with("tabs", tabs).into()
    }

    /// The stored marks in field `key` of `fields`, none when it is absent; their bounds
    /// are [`Self::check`]'s.
    ///
    /// # Errors
    /// [`Error::Corrupt`] naming the field when it is not of the stored form.
    pub fn read(fields: &Fields, key: &str) -> Result<Self> {
        if fields.get(key).is_none() {
            return Ok(Writers::default());
        }
        let tabs = fields.object(key)?.entries("tabs", |tab, at, mark| {
            let mark = Fields::of(mark, at)?;
            let seq = mark.count("seq")?;
            Ok((
                tab.to_owned(),
                Mark {
                    seq,
                    t: mark.number("t")?,
                },
            ))
        })?;
        Ok(Writers {
            tabs: tabs.into_iter().collect(),
        })
    }

    /// Whether no tab has a mark.
    pub fn is_empty(&self) -> bool {
        self.tabs.is_empty()
    }

    fn advance(&mut self, tab: &str, seq: u64, at_ms: f64) {
        self.tabs.insert(tab.to_owned(), Mark { seq, t: at_ms });
        while self.tabs.len() > WRITERS_CAPACITY {
            let oldest = self
                .tabs
                .iter()
                .min_by(|a, b| a.1.t.total_cmp(&b.1.t))
                .map(|(tab, _)| tab.to_owned());
            if let Some(oldest) = oldest {
                self.tabs.remove(&oldest);
            }
        }
    }

    /// Checks marks read from storage: at most [`WRITERS_CAPACITY`], short ids, finite times.
    ///
    /// # Errors
    /// [`Error::Corrupt`] saying what is out of bounds.
    pub fn check(&self) -> Result<()> {
        let bad_mark = |(tab, mark): (&str, &Mark)| {
            tab.len() > MAX_TAB_BYTES || tab.is_empty() || !mark.t.is_finite()
        };
        if self.tabs.len() > WRITERS_CAPACITY || self.tabs.iter().any(bad_mark) {
            return Err(Error::Corrupt("profile writers are out of bounds".into()));
        }
        Ok(())
    }
}

/// One tab's own events since it started, the latest [`LOG_CAPACITY`] of them.
#[derive(Debug, Clone)]
pub struct EventLog {
    tab: String,
    seq: u64,
    /// The latest events, oldest first; older ones are dropped in batches (see `record`).
    events: Vec<Logged>,
}

#[derive(Debug, Clone)]
struct Logged {
    seq: u64,
    at_ms: f64,
    event: Event,
}

impl EventLog {
    /// The log of a tab known by `tab`, a random id of at most 32 bytes that this tab alone
    /// uses (it is stored with the profile and never sent).
    pub fn new(tab: String) -> EventLog {
        debug_assert!(!tab.is_empty() && tab.len() <= MAX_TAB_BYTES);
        EventLog {
            tab,
            seq: 0,
            events: Vec::new(),
        }
    }

    /// This tab's id.
    pub fn tab(&self) -> &str {
        &self.tab
    }

    /// Applies `event` to `profile` as this tab's next event, and keeps it for re-applying.
    pub fn record(&mut self, profile: &mut Profile, event: &Event, at_ms: f64) {
        self.seq += 1;
        let logged = Logged {
            seq: self.seq,
            at_ms,
            event: event.clone(),
        };
        self.apply(profile, &logged);
        self.events.push(logged);
        // A batch of old events at a time: dropping the oldest on every event would move
        // the whole log each time. Only the latest LOG_CAPACITY are ever read.
        if self.events.len() >= 2 * LOG_CAPACITY {
            self.events.drain(..self.events.len() - LOG_CAPACITY);
        }
    }

    /// `stored`, a profile another tab wrote, with this tab's events that it lacks applied
    /// again in their order. Returns it and how many events were applied again.
    pub fn adopt(&self, mut stored: Profile) -> (Profile, usize) {
        let contained = stored.writers.seq_of(&self.tab);
        let mut again = 0;
        let latest = &self.events[self.events.len().saturating_sub(LOG_CAPACITY)..];
        for logged in latest.iter().filter(|l| l.seq > contained) {
            self.apply(&mut stored, logged);
            again += 1;
        }
        (stored, again)
    }

    /// Applies one of this tab's events to `profile` and moves the tab's mark past it.
    fn apply(&self, profile: &mut Profile, logged: &Logged) {
        profile.apply(&logged.event, logged.at_ms);
        let applied_at = profile.clock_ms();
        profile.writers.advance(&self.tab, logged.seq, applied_at);
    }

    /// Forgets every logged event: the profile they went into was erased.
    pub fn clear(&mut self) {
        self.events.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Product;

    fn view(id: &str) -> Event {
        Event::ProductViewed {
            product: Product {
                id: id.into(),
                category: Some("a.b".into()),
                brand: None,
                price: Some(3.0),
            },
        }
    }

    /// A tab: its copy of the profile, its log, and the stored text it last wrote or read.
    struct Tab {
        profile: Profile,
        log: EventLog,
        known: Option<String>,
    }

    impl Tab {
        fn new(id: &str, storage: &Option<String>) -> Tab {
            let profile = storage
                .as_deref()
                .map_or_else(Profile::default, |s| Profile::from_json(s).unwrap());
            Tab {
                profile,
                log: EventLog::new(id.into()),
                known: storage.clone(),
            }
        }

        fn track(&mut self, id: &str, at: f64) {
            self.log.record(&mut self.profile, &view(id), at);
        }

        /// What the engine does before a write, and when it hears of another tab's write.
        fn hear(&mut self, storage: &Option<String>) {
            if let Some(stored) = storage {
                if self.known.as_ref() != Some(stored) {
                    let other = Profile::from_json(stored).unwrap();
                    self.profile = self.log.adopt(other).0;
                    self.known = Some(stored.clone());
                }
            }
        }

        fn write(&mut self, storage: &mut Option<String>) {
            self.hear(storage);
            let json = self.profile.to_json();
            self.known = Some(json.clone());
            *storage = Some(json);
        }
    }

    #[test]
    fn two_tabs_writing_in_turn_keep_every_event() {
        let mut storage = None;
        let mut a = Tab::new("a", &storage);
        let mut b = Tab::new("b", &storage);
        for i in 0..10 {
            a.track(&format!("a{i}"), 1e12 + f64::from(i));
            b.track(&format!("b{i}"), 1e12 + f64::from(i));
            if i % 3 == 0 {
                a.write(&mut storage);
            }
            if i % 4 == 1 {
                b.write(&mut storage);
            }
        }
        a.write(&mut storage);
        b.write(&mut storage);
        a.hear(&storage);
        let stored = Profile::from_json(storage.as_deref().unwrap()).unwrap();
        assert_eq!(stored.totals.views, 20);
        assert_eq!(a.profile, stored);
        assert_eq!(b.profile.totals.views, 20);
    }

    #[test]
    fn a_write_that_raced_another_is_repaired_when_heard_of() {
        let mut storage = None;
        let mut a = Tab::new("a", &storage);
        let mut b = Tab::new("b", &storage);
        a.track("a1", 1e12);
        b.track("b1", 1e12);
        // Both write before either hears of the other: storage keeps B's, without A's event.
        let mut seen_by_a = storage.clone();
        a.write(&mut seen_by_a);
        b.write(&mut storage);
        assert_eq!(
            Profile::from_json(storage.as_deref().unwrap())
                .unwrap()
                .totals
                .views,
            1
        );
        // A hears of B's write (the storage event), adopts it and writes again.
        a.hear(&storage);
        a.write(&mut storage);
        b.hear(&storage);
        let stored = Profile::from_json(storage.as_deref().unwrap()).unwrap();
        assert_eq!(stored.totals.views, 2);
        assert_eq!(b.profile.totals.views, 2);
        assert_eq!(stored.writers.seq_of("a"), 1);
        assert_eq!(stored.writers.seq_of("b"), 1);
    }

    #[test]
    fn adopting_the_same_profile_twice_counts_nothing_twice() {
        let mut a = EventLog::new("a".into());
        let mut mine = Profile::default();
        a.record(&mut mine, &view("1"), 1e12);
        let (once, again) = a.adopt(Profile::default());
        assert_eq!((once.totals.views, again), (1, 1));
        let (twice, again) = a.adopt(once.clone());
        assert_eq!((twice.totals.views, again), (1, 0));
        assert_eq!(twice, once);
    }

    #[test]
    fn a_clock_that_jumps_back_does_not_reorder_the_sequence() {
        let mut a = EventLog::new("a".into());
        let mut mine = Profile::default();
        a.record(&mut mine, &view("1"), 2e12);
        a.record(&mut mine, &view("2"), 1e12);
        assert_eq!(mine.writers.seq_of("a"), 2);
        let (adopted, again) = a.adopt(Profile::default());
        assert_eq!(again, 2);
        assert_eq!(
            adopted.recent[0].id, "2",
            "applied in sequence order, not time order"
        );
        assert_eq!(adopted.clock_ms(), 2e12, "the clock never runs back");
    }

    #[test]
    fn marks_stay_bounded_and_forget_the_longest_idle_tab() {
        let mut profile = Profile::default();
        for i in 0..=WRITERS_CAPACITY {
            let mut log = EventLog::new(format!("tab{i}"));
            log.record(&mut profile, &view("1"), 1e12 + i as f64);
        }
        assert_eq!(profile.writers.tabs.len(), WRITERS_CAPACITY);
        assert_eq!(profile.writers.seq_of("tab0"), 0);
        assert_eq!(profile.writers.seq_of(&format!("tab{WRITERS_CAPACITY}")), 1);
        profile.writers.check().unwrap();
    }
}
