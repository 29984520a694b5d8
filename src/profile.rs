//! The shopper's private profile: what they seem to like, kept on the device only.
//!
//! A [`Profile`] is updated by validated [`Event`]s and read by feature extraction. It is
//! bounded: every table has a capacity and evicts its weakest entry, and the recent-items ring
//! forgets the oldest, so its serialized size stays small however long the shopper browses.

use crate::affinity::{AffinityTable, Decayed};
use crate::engagement::{Action, Engagement, EngagementEstimate};
use crate::error::{Error, Result};
use crate::event::{top_category, Event, Product, MAX_ID_BYTES, MAX_LABEL_BYTES};
use crate::event_log::Writers;
use crate::json::{Object, Value};
use crate::number::{self, Shortest};
use crate::stored::{self, Fields};

/// The version of the stored profile's shape. Bump it, and add a step to [`migrate`],
/// whenever the serialized form changes.
pub const PROFILE_SCHEMA: u32 = 2;
/// Inactivity after which the next event starts a new session.
pub const SESSION_TIMEOUT_MS: f64 = 30.0 * 60.0 * 1000.0;
/// How many recently seen items the profile remembers.
pub const RECENT_CAPACITY: usize = 32;
/// How many products can sit in the remembered cart.
pub const CART_CAPACITY: usize = 64;

const CATEGORY_CAPACITY: usize = 48;
const TOP_CATEGORY_CAPACITY: usize = 24;
const BRAND_CAPACITY: usize = 48;
const PRICE_BAND_CAPACITY: usize = 16;

/// How strongly each kind of action says "I like this".
const VIEW_WEIGHT: f64 = 1.0;
const CLICK_WEIGHT: f64 = 1.5;
const CART_WEIGHT: f64 = 4.0;
const REMOVE_WEIGHT: f64 = -2.0;
const PURCHASE_WEIGHT: f64 = 6.0;
/// Opening a category page says less than opening a product of it.
const LIST_WEIGHT: f64 = 0.5;
/// A minute of reading a product page adds half a view; dwell past ten minutes in one event
/// adds nothing more, since a tab left open on a page is not interest.
const DWELL_WEIGHT_PER_MINUTE: f64 = 0.5;
const DWELL_COUNTED_SECONDS: f64 = 600.0;

/// Tunables for a profile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProfileConfig {
    /// Affinities halve after this long without reinforcement.
    pub half_life_ms: f64,
}

impl Default for ProfileConfig {
    fn default() -> Self {
        // A week: long enough to remember a shopping mission across visits, short enough that
        // last month's gift hunt stops steering today's results.
        ProfileConfig {
            half_life_ms: 7.0 * 24.0 * 3_600_000.0,
        }
    }
}

/// A product the shopper recently looked at.
#[derive(Debug, Clone, PartialEq)]
pub struct RecentItem {
    /// The product id.
    pub id: String,
    /// Its category path, if known.
    pub category: Option<String>,
    /// Its brand, if known.
    pub brand: Option<String>,
    /// When it was last viewed or clicked, ms since the epoch.
    pub last_seen_ms: f64,
    /// How many times it was viewed or clicked.
    pub views: u32,
    /// Seconds its page was visible, summed over its dwell events; stored only when not 0.
    pub dwell_s: f64,
}

impl RecentItem {
    fn to_value(&self) -> Value {
        let dwell = (self.dwell_s != 0.0).then_some(self.dwell_s);
        Object::new()
            .with("id", self.id.as_str())
            .with_some("category", self.category.as_deref())
            .with_some("brand", self.brand.as_deref())
            .with("last_seen_ms", self.last_seen_ms)
            .with("views", self.views)
            .with_some("dwell_s", dwell)
            .into()
    }

    fn from_fields(fields: &Fields) -> Result<Self> {
        Ok(RecentItem {
            id: fields.string("id")?,
            category: fields.optional_string("category")?,
            brand: fields.optional_string("brand")?,
            last_seen_ms: fields.number("last_seen_ms")?,
            views: fields.small("views")?,
            dwell_s: fields.number_or("dwell_s", 0.0)?,
        })
    }
}

/// Where the shopper is in the current visit.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Session {
    /// When the session's first event happened.
    pub started_ms: f64,
    /// When its latest event happened.
    pub last_event_ms: f64,
    /// How many events it has had.
    pub events: u32,
}

/// Lifetime counters, for engagement and for the aggregated sync. A counter missing from a
/// stored profile (one written before it existed) reads as 0.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Totals {
    /// Every accepted event.
    pub events: u64,
    /// Product views.
    pub views: u64,
    /// Product clicks.
    pub clicks: u64,
    /// Add-to-cart events.
    pub cart_adds: u64,
    /// Searches.
    pub searches: u64,
    /// Sessions started.
    pub sessions: u64,
    /// Products shown in lists and widgets.
    pub impressions: u64,
    /// Category and list pages opened.
    pub list_views: u64,
    /// Times the cart was looked at.
    pub cart_views: u64,
    /// Checkouts started.
    pub checkouts: u64,
    /// Orders completed.
    pub orders: u64,
}

/// The local profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    schema: u32,
    config: ProfileConfig,
    /// The latest time seen. Events are applied at `max(event time, clock)`, so a wall clock
    /// that jumps backwards cannot make weights grow or sessions overlap.
    clock_ms: f64,
    /// Exact category paths.
    pub categories: AffinityTable,
    /// First segments of category paths.
    pub top_categories: AffinityTable,
    /// Brands.
    pub brands: AffinityTable,
    /// Price bands, see [`price_band`].
    pub price_bands: AffinityTable,
    /// Decayed sum of `ln(1 + price)` over engaged products, and the matching weight.
    log_price_sum: Decayed,
    log_price_weight: Decayed,
    /// Recently seen products, newest first.
    pub recent: Vec<RecentItem>,
    /// Products believed to be in the cart, oldest first.
    pub cart: Vec<String>,
    /// The current session.
    pub session: Session,
    /// Lifetime counters.
    pub totals: Totals,
    /// Recency, frequency and depth of visits.
    pub engagement: Engagement,
    /// Per tab, how far into its own events this profile goes: what lets another tab's
    /// profile be adopted without losing or doubling events (see [`crate::event_log`]).
    /// Stored only when not empty.
    pub writers: Writers,
}

impl Default for Profile {
    fn default() -> Self {
        Profile::new(ProfileConfig::default())
    }
}

impl Profile {
    /// An empty profile.
    pub fn new(config: ProfileConfig) -> Self {
        Profile {
            schema: PROFILE_SCHEMA,
            config,
            clock_ms: 0.0,
            categories: AffinityTable::default(),
            top_categories: AffinityTable::default(),
            brands: AffinityTable::default(),
            price_bands: AffinityTable::default(),
            log_price_sum: Decayed::default(),
            log_price_weight: Decayed::default(),
            recent: Vec::new(),
            cart: Vec::new(),
            session: Session::default(),
            totals: Totals::default(),
            engagement: Engagement::default(),
            writers: Writers::default(),
        }
    }

    /// The tunables this profile decays with.
    pub fn config(&self) -> ProfileConfig {
        self.config
    }

    /// The affinity half-life, in ms.
    pub fn half_life_ms(&self) -> f64 {
        self.config.half_life_ms
    }

    /// The latest time the profile has seen, ms since the epoch.
    pub fn clock_ms(&self) -> f64 {
        self.clock_ms
    }

    /// Applies one validated event that happened at `at_ms`.
    pub fn apply(&mut self, event: &Event, at_ms: f64) {
        let now = if at_ms.is_finite() {
            at_ms.max(self.clock_ms)
        } else {
            self.clock_ms
        };
        self.clock_ms = now;
        let new_visit = self.touch_session(now);
        self.totals.events += 1;

        let mut action = Action::Browse;
        match event {
            Event::ProductViewed { product } => {
                self.totals.views += 1;
                self.engage(product, VIEW_WEIGHT, now);
                self.remember(product, now);
            }
            Event::ProductClicked { product, .. } => {
                self.totals.clicks += 1;
                self.engage(product, CLICK_WEIGHT, now);
                self.remember(product, now);
            }
            Event::AddedToCart { product, .. } => {
                self.totals.cart_adds += 1;
                action = Action::Commit;
                self.engage(product, CART_WEIGHT, now);
                self.put_in_cart(&product.id);
            }
            Event::RemovedFromCart { product, .. } => {
                self.engage(product, REMOVE_WEIGHT, now);
                self.cart.retain(|id| id != &product.id);
            }
            Event::ProductsSearched { .. } => self.totals.searches += 1,
            Event::ProductImpression { .. } => self.totals.impressions += 1,
            Event::ProductDwell { product, seconds } => {
                let minutes = seconds.min(DWELL_COUNTED_SECONDS) / 60.0;
                self.engage(product, DWELL_WEIGHT_PER_MINUTE * minutes, now);
                if let Some(item) = self.recent.iter_mut().find(|item| item.id == product.id) {
                    // Rounded to a tenth: the stored sum reads back as written.
                    item.dwell_s = ((item.dwell_s + seconds) * 10.0).round() / 10.0;
                }
            }
            Event::ListViewed { category, .. } => {
                self.totals.list_views += 1;
                if let Some(category) = category {
                    self.engage_category(category, LIST_WEIGHT, now);
                }
            }
            Event::CartViewed { products } => {
                self.totals.cart_views += 1;
                // The page knows its cart better than a trail of add and remove events does.
                if let Some(products) = products {
                    self.cart.clear();
                    for product in products {
                        self.put_in_cart(&product.id);
                    }
                }
            }
            Event::CheckoutStarted { .. } => {
                self.totals.checkouts += 1;
                action = Action::Commit;
            }
            Event::OrderCompleted { items, .. } => {
                self.totals.orders += 1;
                action = Action::Commit;
                for line in items {
                    self.engage(&line.product, PURCHASE_WEIGHT, now);
                    self.cart.retain(|id| id != &line.product.id);
                }
            }
        }
        self.engagement.record(action, now, new_visit);
    }

    /// How engaged the shopper is, as of `now_ms`; it never leaves the device.
    pub fn engagement(&self, now_ms: f64) -> EngagementEstimate {
        self.engagement.estimate(now_ms.max(self.clock_ms))
    }

    /// The mean `ln(1 + price)` of the products the shopper engaged with, if any had a price.
    pub fn mean_log_price(&self, now_ms: f64) -> Option<f64> {
        let weight = self.log_price_weight.at(now_ms, self.config.half_life_ms);
        (weight > 1e-9).then(|| self.log_price_sum.at(now_ms, self.config.half_life_ms) / weight)
    }

    /// The decayed total engagement weight: zero for a new shopper, growing with activity.
    pub fn strength(&self, now_ms: f64) -> f64 {
        self.top_categories.total(now_ms, self.config.half_life_ms)
    }

    /// The profile in plain words, one sentence per fact, strongest interests first.
    pub fn describe(&self, now_ms: f64) -> Vec<String> {
        let now = now_ms.max(self.clock_ms);
        let half_life = self.config.half_life_ms;
        let t = &self.totals;
        if t.events == 0 {
            return vec!["Vitrine has recorded nothing on this device yet.".to_owned()];
        }
        let mut lines = vec![format!(
            "{} actions recorded over {} visit(s): {} product views, {} clicks, {} cart additions, \
             {} orders, {} searches (the search words themselves are not kept).",
            t.events, t.sessions, t.views, t.clicks, t.cart_adds, t.orders, t.searches
        )];
        let named = |table: &AffinityTable| -> Vec<String> {
            let total = table.total(now, half_life);
            table
                .top(3, now, half_life)
                .into_iter()
                .filter(|(label, w)| !label.is_empty() && *w > 0.0 && total > 0.0)
                .map(|(label, w)| format!("{label} ({}%)", number::fixed(100.0 * w / total, 0)))
                .collect()
        };
        let categories = named(&self.categories);
        if !categories.is_empty() {
            lines.push(format!(
                "Categories you seem to like: {}.",
                categories.join(", ")
            ));
        }
        let brands = named(&self.brands);
        if !brands.is_empty() {
            lines.push(format!("Brands you seem to like: {}.", brands.join(", ")));
        }
        if let Some(mean) = self.mean_log_price(now) {
            lines.push(format!(
                "Typical price of what you look at: about {}.",
                // Not `exp_m1`: its precision near zero is lost to the rounding anyway, and
                // it would bring a second exponential into the start-up module.
                number::fixed(mean.exp() - 1.0, 0)
            ));
        }
        lines.push(format!(
            "{} recently viewed product(s) and {} product(s) in the cart are remembered.",
            self.recent.len(),
            self.cart.len()
        ));
        lines.push(format!(
            "Interests fade by half every {} days without new activity.",
            number::fixed(half_life / 86_400_000.0, 1)
        ));
        lines
    }

    /// Serializes the profile for storage.
    pub fn to_json(&self) -> String {
        self.to_value().to_json()
    }

    /// Restores a stored profile.
    ///
    /// # Errors
    /// [`Error::Corrupt`] when the text is not a profile of a schema this version knows; the
    /// caller starts afresh and reports it.
    pub fn from_json(json: &str) -> Result<Self> {
        let value = migrate(stored::parse("profile", json)?)?;
        let profile = Profile::from_value(&value)?;
        profile.check_bounds()?;
        Ok(profile)
    }

    /// The stored form, which the page's `profile()` shows too.
    pub fn to_value(&self) -> Value {
        let totals = &self.totals;
        let recent: Vec<Value> = self.recent.iter().map(RecentItem::to_value).collect();
        let cart: Vec<Value> = self.cart.iter().map(|id| id.as_str().into()).collect();
        let profile = Object::new()
            .with("schema", self.schema)
            .with(
                "config",
                Object::new().with("half_life_ms", self.config.half_life_ms),
            )
            .with("clock_ms", self.clock_ms)
            .with("categories", self.categories.to_value())
            .with("top_categories", self.top_categories.to_value())
            .with("brands", self.brands.to_value())
            .with("price_bands", self.price_bands.to_value())
            .with("log_price_sum", self.log_price_sum.to_value())
            .with("log_price_weight", self.log_price_weight.to_value())
            .with("recent", recent)
            .with("cart", cart)
            .with(
                "session",
                Object::new()
                    .with("started_ms", self.session.started_ms)
                    .with("last_event_ms", self.session.last_event_ms)
                    .with("events", self.session.events),
            )
            .with(
                "totals",
                Object::new()
                    .with("events", totals.events)
                    .with("views", totals.views)
                    .with("clicks", totals.clicks)
                    .with("cart_adds", totals.cart_adds)
                    .with("searches", totals.searches)
                    .with("sessions", totals.sessions)
                    .with("impressions", totals.impressions)
                    .with("list_views", totals.list_views)
                    .with("cart_views", totals.cart_views)
                    .with("checkouts", totals.checkouts)
                    .with("orders", totals.orders),
            )
            .with("engagement", self.engagement.to_value());
        let writers = (!self.writers.is_empty()).then(|| self.writers.to_value());
        profile.with_some("writers", writers).into()
    }

    /// A profile of the current schema from its stored form; its bounds are checked by
    /// `from_json`. Unknown fields are ignored, as they always were.
    fn from_value(value: &Value) -> Result<Self> {
        let fields = Fields::of(value, "profile")?;
        let config = fields.object("config")?;
        let session = fields.object("session")?;
        let totals = fields.object("totals")?;
        Ok(Profile {
            schema: fields.small("schema")?,
            config: ProfileConfig {
                half_life_ms: config.number("half_life_ms")?,
            },
            clock_ms: fields.number("clock_ms")?,
            categories: AffinityTable::read(&fields, "categories")?,
            top_categories: AffinityTable::read(&fields, "top_categories")?,
            brands: AffinityTable::read(&fields, "brands")?,
            price_bands: AffinityTable::read(&fields, "price_bands")?,
            log_price_sum: Decayed::read(&fields, "log_price_sum")?,
            log_price_weight: Decayed::read(&fields, "log_price_weight")?,
            recent: fields.list("recent", |at, item| {
                RecentItem::from_fields(&Fields::of(item, at)?)
            })?,
            cart: fields.strings("cart")?,
            session: Session {
                started_ms: session.number("started_ms")?,
                last_event_ms: session.number("last_event_ms")?,
                events: session.small("events")?,
            },
            totals: Totals {
                events: totals.count_or_zero("events")?,
                views: totals.count_or_zero("views")?,
                clicks: totals.count_or_zero("clicks")?,
                cart_adds: totals.count_or_zero("cart_adds")?,
                searches: totals.count_or_zero("searches")?,
                sessions: totals.count_or_zero("sessions")?,
                impressions: totals.count_or_zero("impressions")?,
                list_views: totals.count_or_zero("list_views")?,
                cart_views: totals.count_or_zero("cart_views")?,
                checkouts: totals.count_or_zero("checkouts")?,
                orders: totals.count_or_zero("orders")?,
            },
            engagement: Engagement::read(&fields, "engagement")?,
            writers: Writers::read(&fields, "writers")?,
        })
    }

    /// Checks a profile read from storage against the bounds this code keeps it in, so that
    /// a stored blob edited by hand, or written by a broken build, cannot grow the profile
    /// past its size budget or feed non-finite numbers into decay.
    fn check_bounds(&self) -> Result<()> {
        if !(self.config.half_life_ms.is_finite() && self.config.half_life_ms > 0.0) {
            return Err(Error::Corrupt(
                "profile half-life is not a positive number".into(),
            ));
        }
        if !self.clock_ms.is_finite() {
            return Err(Error::Corrupt(format!(
                "profile clock: {}",
                Shortest(self.clock_ms)
            )));
        }
        self.categories
            .check("categories", CATEGORY_CAPACITY, MAX_LABEL_BYTES)?;
        self.top_categories
            .check("top_categories", TOP_CATEGORY_CAPACITY, MAX_LABEL_BYTES)?;
        self.brands
            .check("brands", BRAND_CAPACITY, MAX_LABEL_BYTES)?;
        self.price_bands
            .check("price_bands", PRICE_BAND_CAPACITY, MAX_LABEL_BYTES)?;
        self.log_price_sum.check("log_price_sum")?;
        self.log_price_weight.check("log_price_weight")?;
        if self.recent.len() > RECENT_CAPACITY || self.cart.len() > CART_CAPACITY {
            return Err(Error::Corrupt(format!(
                "profile holds {} recent items and {} cart lines, at most {RECENT_CAPACITY} \
                 and {CART_CAPACITY}",
                self.recent.len(),
                self.cart.len()
            )));
        }
        let ids = self.recent.iter().map(|item| &item.id).chain(&self.cart);
        if let Some(id) = ids.into_iter().find(|id| id.len() > MAX_ID_BYTES) {
            return Err(Error::Corrupt(format!(
                "profile holds an id of {} bytes, at most {MAX_ID_BYTES}",
                id.len()
            )));
        }
        let labels = self
            .recent
            .iter()
            .flat_map(|item| [&item.category, &item.brand])
            .flatten();
        if labels
            .into_iter()
            .any(|label| label.len() > MAX_LABEL_BYTES)
        {
            return Err(Error::Corrupt(format!(
                "profile holds a recent item's label over {MAX_LABEL_BYTES} bytes"
            )));
        }
        let times_finite = self.recent.iter().all(|item| {
            item.last_seen_ms.is_finite() && item.dwell_s.is_finite() && item.dwell_s >= 0.0
        }) && self.session.started_ms.is_finite()
            && self.session.last_event_ms.is_finite();
        if !times_finite {
            return Err(Error::Corrupt(
                "profile holds a time that is not finite".into(),
            ));
        }
        self.writers.check()?;
        self.engagement.check()
    }

    /// Extends the current session, or starts one; true when it started one.
    fn touch_session(&mut self, now: f64) -> bool {
        let expired = now - self.session.last_event_ms > SESSION_TIMEOUT_MS;
        let starts = self.session.events == 0 || expired;
        if starts {
            self.session = Session {
                started_ms: now,
                last_event_ms: now,
                events: 0,
            };
            self.totals.sessions += 1;
        }
        self.session.last_event_ms = now;
        self.session.events = self.session.events.saturating_add(1);
        starts
    }

    fn put_in_cart(&mut self, id: &str) {
        if !self.cart.iter().any(|held| held == id) {
            if self.cart.len() >= CART_CAPACITY {
                self.cart.remove(0);
            }
            self.cart.push(id.to_owned());
        }
    }

    fn engage_category(&mut self, category: &str, weight: f64, now: f64) {
        let half_life = self.config.half_life_ms;
        self.categories
            .bump(category, weight, now, half_life, CATEGORY_CAPACITY);
        self.top_categories.bump(
            top_category(category),
            weight,
            now,
            half_life,
            TOP_CATEGORY_CAPACITY,
        );
    }

    fn engage(&mut self, product: &Product, weight: f64, now: f64) {
        let half_life = self.config.half_life_ms;
        if let Some(category) = &product.category {
            self.engage_category(category, weight, now);
        } else {
            // Products without a category still count toward the shopper's overall strength.
            self.top_categories
                .bump("", weight, now, half_life, TOP_CATEGORY_CAPACITY);
        }
        if let Some(brand) = &product.brand {
            self.brands
                .bump(brand, weight, now, half_life, BRAND_CAPACITY);
        }
        if let Some(price) = product.price {
            self.price_bands.bump(
                price_band(price),
                weight,
                now,
                half_life,
                PRICE_BAND_CAPACITY,
            );
            if weight > 0.0 {
                self.log_price_sum
                    .add(weight * price.ln_1p(), now, half_life);
                self.log_price_weight.add(weight, now, half_life);
            }
        }
    }

    fn remember(&mut self, product: &Product, now: f64) {
        let (views, dwell_s) = match self.recent.iter().position(|item| item.id == product.id) {
            Some(i) => {
                let item = self.recent.remove(i);
                (item.views, item.dwell_s)
            }
            None => (0, 0.0),
        };
        // At most 32 items: moving them is cheaper than a deque's code in the wasm.
        self.recent.insert(
            0,
            RecentItem {
                id: product.id.clone(),
                category: product.category.clone(),
                brand: product.brand.clone(),
                last_seen_ms: now,
                views: views.saturating_add(1),
                dwell_s,
            },
        );
        self.recent.truncate(RECENT_CAPACITY);
    }
}

/// Brings a stored profile of any known schema up to [`PROFILE_SCHEMA`], one step at a time.
fn migrate(mut value: Value) -> Result<Value> {
    loop {
        let schema = value
            .get("schema")
            .and_then(Value::as_u64)
            .ok_or_else(|| Error::Corrupt("profile has no schema version".into()))?;
        match schema {
            v if v == u64::from(PROFILE_SCHEMA) => return Ok(value),
            1 => value = schema_1_to_2(value)?,
            v => return Err(Error::Corrupt(format!("profile schema {v} is not known"))),
        }
    }
}

/// Schema 2 added engagement and more counters: seed engagement from the lifetime counters,
/// as of the profile's clock, so a returning shopper is not taken for a new one.
fn schema_1_to_2(value: Value) -> Result<Value> {
    let count = |key: &str| {
        value
            .get("totals")
            .and_then(|totals| totals.get(key))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    let (visits, actions, commitments) = (count("sessions"), count("events"), count("cart_adds"));
    let clock = value.get("clock_ms").and_then(Value::as_f64).unwrap_or(0.0);
    let engagement = Engagement::seeded(visits, actions, commitments, clock);
    let Value::Object(mut object) = value else {
        return Err(Error::Corrupt("profile is not an object".into()));
    };
    object.insert("engagement", engagement.to_value());
    object.insert("schema", 2u32);
    Ok(object.into())
}

/// The price band of a price: bands double in width, `p0` below 1, `p1` for [1, 2), … `p15`
/// for 16384 and above.
pub fn price_band(price: f64) -> &'static str {
    // Labels rather than `format!`: the features look one up per candidate of every list.
    const BANDS: [&str; 16] = [
        "p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "p10", "p11", "p12", "p13",
        "p14", "p15",
    ];
    let band = if price.is_nan() || price < 1.0 {
        0
    } else {
        // floor(log2(price)) is the exponent of a float at least 1, read from its bits: a
        // logarithm per candidate was a tenth of the features' time in the browser. (A
        // price of a few ulps under a power of two rounds up through `log2`, not here.)
        let exponent = ((price.to_bits() >> 52) & 0x7ff) as i64 - 1023;
        (exponent + 1).clamp(1, 15)
    };
    BANDS[band as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(id: &str, category: &str, brand: &str, price: f64) -> Event {
        Event::ProductViewed {
            product: Product {
                id: id.into(),
                category: Some(category.into()),
                brand: Some(brand.into()),
                price: Some(price),
            },
        }
    }

    fn product(id: &str, category: &str) -> Product {
        Product {
            id: id.into(),
            category: Some(category.into()),
            brand: None,
            price: Some(10.0),
        }
    }

    #[test]
    fn impressions_count_but_move_no_affinity() {
        let mut p = Profile::default();
        let shown = Event::ProductImpression {
            product: product("1", "furniture.sofa"),
            widget: None,
            position: Some(0),
        };
        p.apply(&shown, 1_000.0);
        assert_eq!(p.totals.impressions, 1);
        assert_eq!(p.categories.total(1_000.0, p.half_life_ms()), 0.0);
        assert!(p.recent.is_empty());
    }

    #[test]
    fn an_order_is_the_strongest_signal_and_empties_those_cart_lines() {
        let mut p = Profile::default();
        let sofa = product("1", "furniture.sofa");
        let added = Event::AddedToCart {
            product: sofa.clone(),
            quantity: 1,
        };
        p.apply(&added, 1_000.0);
        p.apply(&view("2", "electronics.tv", "lg", 500.0), 2_000.0);
        let order = Event::OrderCompleted {
            items: vec![crate::event::OrderLine {
                product: sofa,
                quantity: 1,
            }],
            revenue: Some(10.0),
        };
        p.apply(&order, 3_000.0);
        assert!(p.cart.is_empty());
        assert_eq!(p.totals.orders, 1);
        let hl = p.half_life_ms();
        assert!(p.top_categories.share("furniture", 3_000.0, hl) > 0.9);
    }

    #[test]
    fn a_viewed_cart_replaces_the_believed_one() {
        let mut p = Profile::default();
        let added = Event::AddedToCart {
            product: product("1", "a"),
            quantity: 1,
        };
        p.apply(&added, 1_000.0);
        let viewed = Event::CartViewed {
            products: Some(vec![product("2", "a"), product("3", "b")]),
        };
        p.apply(&viewed, 2_000.0);
        assert_eq!(p.cart, vec!["2".to_owned(), "3".to_owned()]);
        p.apply(&Event::CartViewed { products: None }, 3_000.0);
        assert_eq!(p.cart.len(), 2, "a cart view without lines changes nothing");
    }

    #[test]
    fn a_schema_1_profile_migrates_with_its_history() {
        let mut p = Profile::default();
        for i in 0..5 {
            p.apply(&view(&i.to_string(), "a.b", "c", 5.0), 1e12 + f64::from(i));
        }
        let mut v1: serde_json::Value = serde_json::from_str(&p.to_json()).unwrap();
        let object = v1.as_object_mut().unwrap();
        object.remove("engagement");
        object.insert("schema".into(), 1.into());
        let totals = object["totals"].as_object_mut().unwrap();
        for key in [
            "impressions",
            "list_views",
            "cart_views",
            "checkouts",
            "orders",
        ] {
            totals.remove(key);
        }

        let migrated = Profile::from_json(&v1.to_string()).unwrap();
        assert_eq!(migrated.totals, p.totals);
        assert_eq!(migrated.categories, p.categories);
        let estimate = migrated.engagement(1e12 + 10.0);
        assert!((estimate.depth - 5.0).abs() < 1e-6, "{estimate:?}");
        assert!(migrated.to_json().contains(r#""schema":2"#));
    }

    #[test]
    fn dwell_strengthens_the_product_and_sums_on_its_recent_item() {
        let mut p = Profile::default();
        let viewed = view("1", "a.b", "c", 5.0);
        p.apply(&viewed, 1e12);
        let weight = |p: &Profile| p.categories.weight("a.b", 1e12, p.half_life_ms());
        let after_view = weight(&p);
        let product = viewed.product().unwrap().clone();

        let dwell = |seconds| Event::ProductDwell {
            product: product.clone(),
            seconds,
        };
        p.apply(&dwell(30.0), 1e12);
        p.apply(&dwell(12.34), 1e12);
        assert!((weight(&p) - after_view - 0.5 * 42.34 / 60.0).abs() < 1e-9);
        assert_eq!(p.recent[0].dwell_s, 42.3);

        // A tab left open for an hour counts as ten minutes.
        let before = weight(&p);
        p.apply(&dwell(3600.0), 1e12);
        assert!((weight(&p) - before - 5.0).abs() < 1e-9);

        // Viewing it again keeps its dwell; the stored form reads back as written.
        p.apply(&viewed, 1e12 + 1.0);
        assert_eq!(p.recent[0].dwell_s, 3642.3);
        assert_eq!(Profile::from_json(&p.to_json()).unwrap(), p);
    }

    #[test]
    fn a_stored_profile_past_its_bounds_is_refused_as_corrupt() {
        let mut p = Profile::default();
        p.apply(&view("1", "a.b", "c", 5.0), 1e12);
        let stored: serde_json::Value = serde_json::from_str(&p.to_json()).unwrap();

        let mut too_many = stored.clone();
        let brands = too_many["brands"]["entries"].as_object_mut().unwrap();
        for i in 0..=BRAND_CAPACITY {
            brands.insert(
                format!("brand {i}"),
                serde_json::json!({"v": 1.0, "t": 1e12}),
            );
        }
        let error = Profile::from_json(&too_many.to_string()).unwrap_err();
        assert_eq!(error.code(), "corrupt_storage");
        assert!(error.to_string().contains("brands"), "{error}");

        let mut negative = stored.clone();
        negative["categories"]["entries"]["a.b"]["v"] = (-3.0).into();
        let error = Profile::from_json(&negative.to_string()).unwrap_err();
        assert!(error.to_string().contains("categories"), "{error}");

        let mut long_id = stored;
        long_id["cart"] = serde_json::json!(["x".repeat(MAX_ID_BYTES + 1)]);
        let error = Profile::from_json(&long_id.to_string()).unwrap_err();
        assert!(error.to_string().contains("id of 129 bytes"), "{error}");
    }

    #[test]
    fn stays_under_32_kib_after_a_million_varied_events() {
        let mut rng = crate::offline::rng::SplitMix64::new(7);
        let mut p = Profile::default();
        let mut now = 1.5e12;
        let label = |rng: &mut crate::offline::rng::SplitMix64, n: usize, what: &str| {
            format!(
                "{what}-{}-“ünïcode”-{}",
                rng.below(n),
                "x".repeat(rng.below(40))
            )
        };
        for _ in 0..1_000_000 {
            now += 1_000.0 + rng.below(3_600_000) as f64 * rng.below(2) as f64;
            let product = Product {
                id: format!("{}{}", rng.below(1_000_000), "p".repeat(rng.below(100))),
                category: Some(format!(
                    "{}.{}",
                    label(&mut rng, 40, "top"),
                    label(&mut rng, 400, "leaf")
                )),
                brand: Some(label(&mut rng, 3_000, "brand")),
                price: Some(rng.below(100_000) as f64 / 7.0),
            };
            let event = match rng.below(10) {
                0 => Event::AddedToCart {
                    product,
                    quantity: 1,
                },
                1 => Event::ProductClicked {
                    product,
                    widget: None,
                    position: None,
                },
                2 => Event::ProductImpression {
                    product,
                    widget: None,
                    position: None,
                },
                _ => Event::ProductViewed { product },
            };
            p.apply(&event, now);
        }
        let json = p.to_json();
        eprintln!("profile after 10^6 events: {} bytes", json.len());
        assert!(json.len() <= 32 * 1024, "{} bytes", json.len());
        // Every number reads back to the same f64 (`Debug`'s shortest form, then `parse`).
        assert_eq!(Profile::from_json(&json).unwrap(), p);
    }

    #[test]
    fn learns_categories_brands_and_prices() {
        let mut p = Profile::default();
        p.apply(
            &view("1", "electronics.smartphone", "apple", 1000.0),
            1_000.0,
        );
        p.apply(
            &view("2", "electronics.smartphone", "samsung", 800.0),
            2_000.0,
        );
        p.apply(
            &view("3", "appliances.kitchen.washer", "lg", 300.0),
            3_000.0,
        );
        let hl = p.half_life_ms();
        assert!((p.top_categories.share("electronics", 3_000.0, hl) - 2.0 / 3.0).abs() < 1e-6);
        assert!(p.brands.share("apple", 3_000.0, hl) > 0.3);
        assert_eq!(p.recent.first().unwrap().id, "3");
        let mean = p.mean_log_price(3_000.0).unwrap();
        assert!(mean > 300f64.ln() && mean < 1000f64.ln());
    }

    #[test]
    fn sessions_end_after_thirty_idle_minutes() {
        let mut p = Profile::default();
        p.apply(&view("1", "a", "b", 1.0), 0.0);
        p.apply(&view("2", "a", "b", 1.0), SESSION_TIMEOUT_MS - 1.0);
        assert_eq!(p.totals.sessions, 1);
        p.apply(&view("3", "a", "b", 1.0), 2.0 * SESSION_TIMEOUT_MS + 1.0);
        assert_eq!(p.totals.sessions, 2);
        assert_eq!(p.session.events, 1);
    }

    #[test]
    fn stays_bounded() {
        let mut p = Profile::default();
        for i in 0..20_000 {
            let e = view(
                &i.to_string(),
                &format!("c{}.x{}", i % 97, i % 13),
                &format!("b{i}"),
                i as f64,
            );
            p.apply(&e, i as f64 * 1000.0);
        }
        assert!(p.to_json().len() < 16 * 1024, "{} bytes", p.to_json().len());
        assert_eq!(p.recent.len(), RECENT_CAPACITY);
    }

    #[test]
    fn round_trips_and_rejects_garbage() {
        let mut p = Profile::default();
        p.apply(&view("1", "家電.冷蔵庫", "“Smart” 👟", 10.0), 5.0);
        assert_eq!(Profile::from_json(&p.to_json()).unwrap(), p);
        assert_eq!(
            Profile::from_json("{not json").unwrap_err().code(),
            "corrupt_storage"
        );
        assert!(Profile::from_json(r#"{"schema":99}"#)
            .unwrap_err()
            .to_string()
            .contains("99"));
    }

    #[test]
    fn describes_itself_in_plain_words() {
        let mut p = Profile::default();
        assert_eq!(p.describe(0.0).len(), 1);
        p.apply(&view("1", "electronics.smartphone", "apple", 999.0), 5.0);
        let text = p.describe(5.0).join("\n");
        assert!(text.contains("electronics.smartphone (100%)"), "{text}");
        assert!(text.contains("apple"), "{text}");
        assert!(text.contains("about 999"), "{text}");
    }

    #[test]
    fn price_bands_double() {
        assert_eq!(price_band(0.5), "p0");
        assert_eq!(price_band(1.0), "p1");
        assert_eq!(price_band(300.0), "p9");
        assert_eq!(price_band(1e9), "p15");
        // The edges of a band, read from the float's exponent.
        assert_eq!(price_band(0.999_999), "p0");
        assert_eq!(price_band(1.999_999), "p1");
        assert_eq!(price_band(2.0), "p2");
        assert_eq!(price_band(1023.99), "p10");
        assert_eq!(price_band(1024.0), "p11");
        assert_eq!(price_band(16_383.99), "p14");
        assert_eq!(price_band(16_384.0), "p15");
        assert_eq!(price_band(f64::MAX), "p15");
        assert_eq!(price_band(f64::INFINITY), "p15");
        // Validation keeps NaN out of prices; one that slipped through would get band 0.
        assert_eq!(price_band(f64::NAN), "p0");
        assert_eq!(price_band(-3.0), "p0");
    }
}
