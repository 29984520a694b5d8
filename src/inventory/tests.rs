//! The inventory held to the code: every stored record and every batch, fully populated,
//! has exactly the declared paths.

use super::*;
use crate::consent::{Choice, Consent};
use crate::controls::Controls;
use crate::event::{Event, Product, WidgetKind};
use crate::holdout::Assignment;
use crate::ledger::{Ledger, Transport};
use crate::outbox::{Delivery, Outbox, SyncConfig};
use crate::profile::Profile;
use crate::signals::tests::SeededEntropy;
use crate::signals::SignalBatch;

const DAY: f64 = 86_400_000.0;

fn product(id: &str) -> Product {
    Product {
        id: id.into(),
        category: Some("electronics.smartphone".into()),
        brand: Some("apple".into()),
        price: Some(999.0),
    }
}

/// A profile with every kind of event applied, so that every field holds something.
fn busy_profile() -> Profile {
    let mut profile = Profile::default();
    let events = [
        Event::ProductViewed {
            product: product("1"),
        },
        Event::ProductClicked {
            product: product("2"),
            widget: Some(WidgetKind::Recommendations),
            position: Some(3),
        },
        Event::AddedToCart {
            product: product("2"),
            quantity: 1,
        },
        Event::ProductsSearched {
            query: "phone".into(),
            result_count: Some(4),
        },
        Event::ProductDwell {
            product: product("1"),
            seconds: 42.0,
        },
    ];
    let mut log = crate::event_log::EventLog::new("tab-1".into());
    for (i, event) in events.iter().enumerate() {
        log.record(&mut profile, event, 10.0 * DAY + i as f64);
    }
    profile
}

fn value(json: &str) -> serde_json::Value {
    serde_json::from_str(json).unwrap()
}

fn assert_declared_exactly(name: &str, json: &str, fields: &[Field]) {
    let value = value(json);
    assert_eq!(
        undeclared(&value, fields),
        Vec::<String>::new(),
        "{name}: undeclared paths"
    );
    assert_eq!(
        unused(&value, fields),
        Vec::<&str>::new(),
        "{name}: stale declarations"
    );
}

fn pending_outbox() -> Outbox {
    let mut outbox = Outbox::new();
    let mut entropy = SeededEntropy::new(4);
    outbox.reach(crate::funnel::FunnelStage::Click);
    outbox.next_batch(
        &busy_profile(),
        crate::signals::Arm::Personalized,
        10.0 * DAY,
        &SyncConfig::default(),
        &mut entropy,
    );
    outbox
}

#[test]
fn every_batch_field_is_declared() {
    let batch = SignalBatch::from_profile(
        &busy_profile(),
        crate::signals::Arm::Holdout,
        crate::funnel::FunnelStage::Click,
        1.0,
        &mut SeededEntropy::new(1),
    );
    assert_declared_exactly("batch", &batch.to_json(), INVENTORY.sent[0].fields);
}

#[test]
fn every_stored_record_is_declared() {
    let profile = busy_profile();
    assert_declared_exactly(
        "profile",
        &profile.to_json(),
        stored_fields(PROFILE_KEY).unwrap(),
    );

    let outbox = pending_outbox();
    assert!(outbox.pending().is_some());
    assert_declared_exactly(
        "outbox",
        &outbox.to_json(),
        stored_fields(OUTBOX_KEY).unwrap(),
    );

    let mut ledger = Ledger::default();
    let batch = outbox.pending().unwrap();
    ledger.record(batch, Transport::Fetch, Delivery::Status(202), DAY);
    ledger.record(batch, Transport::Beacon, Delivery::HandedOver, DAY);
    assert_declared_exactly(
        "ledger",
        &ledger.to_json(),
        stored_fields(LEDGER_KEY).unwrap(),
    );

    let controls = Controls::with_paused(true).to_json();
    assert_declared_exactly("controls", &controls, stored_fields(CONTROLS_KEY).unwrap());

    let consent = Consent::new(Choice::Revoked, DAY).to_json();
    assert_declared_exactly("consent", &consent, stored_fields(CONSENT_KEY).unwrap());

    let assignment = Assignment::draw(&mut SeededEntropy::new(3)).to_json();
    assert_declared_exactly(
        "assignment",
        &assignment,
        stored_fields(ASSIGNMENT_KEY).unwrap(),
    );
}

#[test]
fn empty_records_hold_nothing_undeclared() {
    let fresh = [
        (PROFILE_KEY, Profile::default().to_json()),
        (OUTBOX_KEY, Outbox::new().to_json()),
        (LEDGER_KEY, Ledger::default().to_json()),
    ];
    for (key, json) in fresh {
        let fields = stored_fields(key).unwrap();
        assert_eq!(
            undeclared(&value(&json), fields),
            Vec::<String>::new(),
            "{key}"
        );
    }
}

#[test]
fn an_undeclared_field_is_caught() {
    let with_extra = value(r#"{"schema":1,"paused":true,"last_url":"/product/1"}"#);
    let fields = stored_fields(CONTROLS_KEY).unwrap();
    assert_eq!(undeclared(&with_extra, fields), ["last_url"]);

    let in_a_map = value(r#"{"categories":{"entries":{"a.b":{"v":1,"t":2,"id":"7"}}}}"#);
    let fields = stored_fields(PROFILE_KEY).unwrap();
    assert_eq!(undeclared(&in_a_map, fields), ["categories.entries.a.b.id"]);
}

#[test]
fn the_committed_inventory_file_is_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/privacy/inventory.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == to_json(),
        "privacy/inventory.json is out of date: run `cargo run --bin vitrine-inventory`"
    );
}
