//! The browser layer in a real headless Chromium (wasm-bindgen-test with chromedriver).
//!
//! Run with `make test-wasm`. Each test builds its own DOM, uses its own storage prefix, and
//! tears both down, so tests stay independent within the one page they share.
#![cfg(target_arch = "wasm32")]

use vitrine::Vitrine;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;
use web_sys::Element;

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// A recommendations widget: (id, category, brand, price) in server order.
fn widget(items: &[(&str, &str, &str, &str)]) -> Element {
    let section = document().create_element("section").unwrap();
    section
        .set_attribute("data-vitrine-widget", "recommendations")
        .unwrap();
    for (rank, (id, category, brand, price)) in items.iter().enumerate() {
        let article = document().create_element("article").unwrap();
        article.set_attribute("data-vitrine-item", id).unwrap();
        article
            .set_attribute("data-vitrine-category", category)
            .unwrap();
        article.set_attribute("data-vitrine-brand", brand).unwrap();
        article.set_attribute("data-vitrine-price", price).unwrap();
        article
            .set_attribute("data-vitrine-rank", &rank.to_string())
            .unwrap();
        section.append_child(&article).unwrap();
    }
    document().body().unwrap().append_child(&section).unwrap();
    section
}

fn displayed_ids(container: &Element) -> Vec<String> {
    let children = container.children();
    (0..children.length())
        .filter_map(|i| children.item(i))
        .filter_map(|e| e.get_attribute("data-vitrine-item"))
        .collect()
}

fn start(prefix: &str) -> Vitrine {
    let config = js_sys::Object::new();
    js_sys::Reflect::set(&config, &"storagePrefix".into(), &prefix.into()).unwrap();
    js_sys::Reflect::set(&config, &"autoCapture".into(), &JsValue::FALSE).unwrap();
    // Every test shopper in the personalized arm: the holdout is tested on its own.
    js_sys::Reflect::set(&config, &"holdout".into(), &0.into()).unwrap();
    Vitrine::new(config.into(), None).unwrap()
}

fn view(id: &str, category: &str, brand: &str) -> JsValue {
    let json = format!(
        r#"{{"type":"product_viewed",
            "product":{{"id":"{id}","category":"{category}","brand":"{brand}","price":100}}}}"#
    );
    js_sys::JSON::parse(&json).unwrap()
}

fn code_of(error: &JsValue) -> String {
    js_sys::Reflect::get(error, &"code".into())
        .unwrap()
        .as_string()
        .unwrap_or_default()
}

fn message_of(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_default()
}

/// A re-rank of `container` (of `ITEMS`) failed with `code`, a message holding `fragment`,
/// and left the server's order, marked `fallback`.
fn assert_kept_server_order(container: &Element, error: &JsValue, code: &str, fragment: &str) {
    assert_eq!(code_of(error), code);
    let message = message_of(error);
    assert!(message.contains(fragment), "{message}");
    assert_eq!(displayed_ids(container), ["1", "2", "3", "4", "5"]);
    assert_eq!(
        container.get_attribute("data-vitrine-state").as_deref(),
        Some("fallback")
    );
}

/// Starts Vitrine with `config_json`, which must be refused; the error's code and message.
fn refusal(config_json: &str) -> (String, String) {
    let config = js_sys::JSON::parse(config_json).unwrap();
    let Err(error) = Vitrine::new(config, None) else {
        panic!("{config_json} must be refused");
    };
    (code_of(&error), message_of(&error))
}

const ITEMS: [(&str, &str, &str, &str); 5] = [
    ("1", "electronics.smartphone", "apple", "999"),
    ("2", "electronics.smartphone", "samsung", "700"),
    ("3", "furniture.living_room.sofa", "ikea", "450"),
    ("4", "appliances.kitchen.washer", "lg", "380"),
    ("5", "furniture.living_room.chair", "ikea", "120"),
];

#[wasm_bindgen_test]
fn affinity_moves_matching_items_up_and_keeps_server_ranks() {
    let vitrine = start("test-rerank");
    vitrine
        .track(view("x1", "furniture.living_room.sofa", "ikea"))
        .unwrap();
    vitrine
        .track(view("x2", "furniture.living_room.chair", "ikea"))
        .unwrap();
    let container = widget(&ITEMS);

    vitrine.rerank(&container).unwrap();

    let ids = displayed_ids(&container);
    let mut first_two = ids[..2].to_vec();
    first_two.sort();
    assert_eq!(
        first_two,
        ["3", "5"],
        "the shopper's furniture comes first: {ids:?}"
    );
    assert_eq!(
        container.get_attribute("data-vitrine-state").as_deref(),
        Some("ranked")
    );
    let sofa = container
        .query_selector("[data-vitrine-item='3']")
        .unwrap()
        .unwrap();
    assert_eq!(
        sofa.get_attribute("data-vitrine-rank").as_deref(),
        Some("2")
    );
    assert!(sofa.get_attribute("data-vitrine-signal").is_some());
    vitrine.erase();
    container.remove();
}

#[wasm_bindgen_test]
fn pinned_items_stay_and_the_brand_cap_holds() {
    // In the personalized arm, as `start` puts every test shopper: a holdout shopper (10 %
    // by default, drawn at random) would see the server's order.
    let config = js_sys::JSON::parse(
        r#"{"storagePrefix":"test-policy","autoCapture":false,"holdout":0,
            "maxPerBrand":1,"diversityDepth":3}"#,
    )
    .unwrap();
    let vitrine = Vitrine::new(config, None).unwrap();
    vitrine
        .track(view("x1", "furniture.living_room.sofa", "ikea"))
        .unwrap();
    vitrine
        .track(view("x2", "furniture.living_room.chair", "ikea"))
        .unwrap();
    let container = widget(&ITEMS);
    let sponsored = container
        .query_selector("[data-vitrine-item='1']")
        .unwrap()
        .unwrap();
    sponsored.set_attribute("data-vitrine-pinned", "").unwrap();

    vitrine.rerank(&container).unwrap();

    let ids = displayed_ids(&container);
    assert_eq!(ids[0], "1", "the pinned item keeps slot 0: {ids:?}");
    let ikea_in_top_3 = ids[..3]
        .iter()
        .filter(|id| ["3", "5"].contains(&id.as_str()));
    assert_eq!(
        ikea_in_top_3.count(),
        1,
        "one ikea item in the top 3: {ids:?}"
    );
    assert_eq!(
        sponsored.get_attribute("data-vitrine-signal").as_deref(),
        Some("pinned")
    );
    let signals: Vec<String> = ["3", "5"]
        .iter()
        .filter_map(|id| {
            container
                .query_selector(&format!("[data-vitrine-item='{id}']"))
                .ok()??
                .get_attribute("data-vitrine-signal")
        })
        .collect();
    assert!(
        signals.iter().any(|s| s == "brand_diversity"),
        "the capped ikea item says why: {signals:?}"
    );
    vitrine.erase();
    container.remove();
}

#[wasm_bindgen_test]
fn a_zero_brand_cap_is_refused_by_name() {
    let (code, message) = refusal(r#"{"storagePrefix":"test-cap","maxPerBrand":0}"#);
    assert_eq!(code, "invalid_field");
    assert!(message.contains("maxPerBrand"), "{message}");
}

#[wasm_bindgen_test]
fn orders_and_engagement_go_through_the_page_api() {
    let vitrine = start("test-order");
    let order = js_sys::JSON::parse(
        r#"{"type":"order_completed","revenue":20,
            "items":[{"product":{"id":"1","category":"家電.冷蔵庫","price":20},
                      "quantity":1}]}"#,
    )
    .unwrap();
    vitrine.track(order).unwrap();
    let bad = js_sys::JSON::parse(
        r#"{"type":"order_completed",
            "items":[{"product":{"id":"2","price":-1}}]}"#,
    )
    .unwrap();
    let error = vitrine.track(bad).unwrap_err();
    assert_eq!(code_of(&error), "invalid_field");
    assert!(
        message_of(&error).contains("items[0].product.price"),
        "{}",
        message_of(&error)
    );

    let engagement = vitrine.engagement().unwrap();
    let level = js_sys::Reflect::get(&engagement, &"level".into()).unwrap();
    assert_eq!(level.as_string().as_deref(), Some("new"));
    let score = js_sys::Reflect::get(&engagement, &"score".into()).unwrap();
    assert!(score.as_f64().is_some_and(|s| s > 0.0 && s <= 1.0));
    let described = vitrine.describe_profile().join(" ");
    assert!(
        described.contains("1 orders") && described.contains("家電"),
        "{described}"
    );
    vitrine.erase();
}

#[wasm_bindgen_test]
fn a_bad_item_keeps_the_server_order_and_names_the_attribute() {
    let vitrine = start("test-bad-item");
    vitrine
        .track(view("x1", "furniture.living_room.sofa", "ikea"))
        .unwrap();
    let bad_prices = [
        // Not a number: refused as the attribute is read.
        ("twelve", "data-vitrine-price"),
        // A number the product's own check refuses, under its own name ("price").
        (
            "-3",
            "`data-vitrine-price`: expected a finite, non-negative number",
        ),
    ];
    for (price, named) in bad_prices {
        let mut items = ITEMS.to_vec();
        items[1].3 = price;
        let container = widget(&items);

        let error = vitrine.rerank(&container).unwrap_err();

        assert_kept_server_order(&container, &error, "invalid_field", named);
        container.remove();
    }
    vitrine.erase();
}

#[wasm_bindgen_test]
fn an_unknown_widget_kind_is_named_by_its_attribute() {
    let vitrine = start("test-bad-kind");
    let container = widget(&ITEMS);
    container
        .set_attribute("data-vitrine-widget", "carousel")
        .unwrap();

    let error = vitrine.rerank(&container).unwrap_err();

    assert_kept_server_order(
        &container,
        &error,
        "invalid_field",
        "`data-vitrine-widget`: ",
    );
    vitrine.erase();
    container.remove();
}

#[wasm_bindgen_test]
fn invalid_events_are_refused_with_the_field_named() {
    let vitrine = start("test-invalid");
    let bad = js_sys::JSON::parse(r#"{"type":"product_viewed","product":{"id":"1","price":-1}}"#)
        .unwrap();
    let error = vitrine.track(bad).unwrap_err();
    assert_eq!(code_of(&error), "invalid_field");
    assert!(
        message_of(&error).contains("`product.price`"),
        "{}",
        message_of(&error)
    );

    let unknown = js_sys::JSON::parse(r#"{"type":"teleported"}"#).unwrap();
    assert_eq!(
        code_of(&vitrine.track(unknown).unwrap_err()),
        "malformed_input"
    );
}

#[wasm_bindgen_test]
fn the_profile_persists_across_instances() {
    let mut first = start("test-persist");
    first.track(view("7", "kids.toys", "lego")).unwrap();
    first.stop();

    let second = start("test-persist");
    let text = second.describe_profile().join(" ");
    assert!(text.contains("kids.toys"), "{text}");
    second.erase();
}

#[wasm_bindgen_test]
fn a_throwing_storage_falls_back_to_memory_without_losing_events() {
    let break_storage = js_sys::Function::new_no_args(
        "window.__setItem = Storage.prototype.setItem;
         Storage.prototype.setItem = function () {
           throw new DOMException('full', 'QuotaExceededError');
         };",
    );
    let restore = js_sys::Function::new_no_args(
        "Storage.prototype.setItem = window.__setItem; delete window.__setItem;",
    );
    break_storage.call0(&JsValue::NULL).unwrap();

    let vitrine = start("test-quota");
    vitrine.track(view("9", "sport.bicycle", "trek")).unwrap();
    vitrine.flush();
    let degraded = vitrine.storage_degraded();
    let text = vitrine.describe_profile().join(" ");
    restore.call0(&JsValue::NULL).unwrap();

    assert!(degraded.is_some(), "the fallback is reported");
    assert!(
        text.contains("sport.bicycle"),
        "the event survived in memory: {text}"
    );
}

#[wasm_bindgen_test]
fn a_corrupt_stored_profile_resets_with_a_report() {
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    storage
        .set_item("test-corrupt.profile", "{\"schema\":1,\"garbage")
        .unwrap();
    let reports = js_sys::Array::new();
    let hook = js_sys::Function::new_with_args("e", "this.push(e.code)").bind0(&reports);
    let config =
        js_sys::JSON::parse(r#"{"storagePrefix":"test-corrupt","autoCapture":false}"#).unwrap();

    let vitrine = Vitrine::new(config, Some(hook)).unwrap();

    assert_eq!(
        reports.get(0).as_string().as_deref(),
        Some("corrupt_storage")
    );
    assert_eq!(vitrine.describe_profile().len(), 1, "a fresh profile");
    vitrine.erase();
}

/// The size of this test module's wasm memory, in bytes.
fn memory_bytes() -> u32 {
    wasm_bindgen::memory()
        .unchecked_into::<js_sys::WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length()
}

#[wasm_bindgen_test]
fn a_stored_value_too_long_to_be_ours_is_not_read_and_is_reported() {
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    // 1 Mi characters: over the 256 Ki Vitrine reads, well under what storage allows.
    let huge = "x".repeat(1 << 20);
    storage.set_item("test-huge.profile", &huge).unwrap();
    let reports = js_sys::Array::new();
    let hook =
        js_sys::Function::new_with_args("e", "this.push(e.code + ' ' + e.message)").bind0(&reports);
    let config =
        js_sys::JSON::parse(r#"{"storagePrefix":"test-huge","autoCapture":false}"#).unwrap();
    let memory_before = memory_bytes();

    let vitrine = Vitrine::new(config, Some(hook)).unwrap();

    let report = reports.get(0).as_string().unwrap_or_default();
    assert!(report.starts_with("corrupt_storage"), "{report}");
    assert!(
        report.contains("test-huge.profile: 1048576 characters"),
        "{report}"
    );
    let memory_after = memory_bytes();
    assert!(
        memory_after - memory_before < 1 << 20,
        "the value was not copied in: {memory_before} -> {memory_after} bytes"
    );
    vitrine.track(view("1", "kids.toys", "lego")).unwrap();
    vitrine.erase();
}

#[wasm_bindgen_test]
fn numbers_are_written_by_javascript_and_read_back_exactly() {
    use vitrine::json::{self, Value};
    use vitrine::number::{self, Shortest};
    for n in [
        0.1,
        1.0 / 3.0,
        12.5,
        -3.25,
        1_733_356_800_123.25,
        1e21,
        1.5e-7,
        -123.456e-200,
        f64::MIN_POSITIVE,
        f64::MAX,
    ] {
        let text = Shortest(n).to_string();
        assert_eq!(number::decimal(&text), Some(n), "{text}");
        let written = Value::Number(n).to_json();
        assert_eq!(
            json::parse(&written).unwrap(),
            Value::Number(n),
            "{written}"
        );
    }
    // JavaScript's own forms, which JSON accepts.
    assert_eq!(Shortest(1e21).to_string(), "1e+21");
    assert_eq!(Shortest(5.0).to_string(), "5");
    // A document's fractions are written in one call, each back in its place.
    let doc = json::parse(r#"[0.5, 1, {"a": 0.25, "b": [1e21, -3.75, 2]}, "x", 1.5]"#).unwrap();
    assert_eq!(
        doc.to_json(),
        r#"[0.5,1,{"a":0.25,"b":[1e+21,-3.75,2]},"x",1.5]"#
    );
    assert_eq!(json::parse("[1, 2]").unwrap().to_json(), "[1,2]");
    // The profile's sentences round as JavaScript's toFixed does, without calling it.
    assert_eq!(number::fixed(7.0, 1), "7.0");
    assert_eq!(number::fixed(1.45, 1), "1.4");
    assert_eq!(number::fixed(99.7, 0), "100");
}

#[wasm_bindgen_test]
fn fixed_writes_what_to_fixed_writes() {
    use vitrine::number;
    let mut random = vitrine::offline::rng::SplitMix64::new(2026);
    let mut next = move || random.next_u64();
    for i in 0..20_000 {
        let decimals = (next() % 4) as u8;
        // Every fourth value an exact half at its last place, where rounding is decided.
        let n = if i % 4 == 0 {
            ((next() % 200_000) as f64 + 0.5) / 10f64.powi(i32::from(decimals))
        } else {
            (next() >> 11) as f64 / (1u64 << 53) as f64 * 10f64.powi((next() % 8) as i32)
        };
        let n = if next() % 2 == 0 { n } else { -n };
        let javascript = String::from(js_sys::Number::from(n).to_fixed(decimals).unwrap());
        assert_eq!(
            number::fixed(n, decimals),
            javascript,
            "{} to {decimals}",
            n as f32
        );
    }
}

#[wasm_bindgen_test]
fn a_nan_price_is_refused_not_dropped() {
    let vitrine = start("test-nan");
    let event = js_sys::JSON::parse(r#"{"type":"product_viewed","product":{"id":"1"}}"#).unwrap();
    let product = js_sys::Reflect::get(&event, &"product".into()).unwrap();
    js_sys::Reflect::set(&product, &"price".into(), &JsValue::from_f64(f64::NAN)).unwrap();
    let error = vitrine.track(event).unwrap_err();
    assert!(
        message_of(&error).contains("`product.price`"),
        "{}",
        message_of(&error)
    );
}

#[wasm_bindgen_test]
fn a_config_typo_is_named() {
    let (code, message) = refusal(r#"{"syncUrll":"/v1/signals"}"#);
    assert_eq!(code, "malformed_input");
    assert!(message.contains("syncUrll"), "{message}");
}

#[wasm_bindgen_test]
fn a_config_type_error_names_the_option_in_javascript_words() {
    let (code, message) = refusal(r#"{"personalWeight":"high"}"#);
    assert_eq!(code, "malformed_input");
    assert!(message.contains("`personalWeight`"), "{message}");
    assert!(message.contains("expected a number"), "{message}");
    assert!(!message.contains("f64"), "{message}");
}

#[wasm_bindgen_test]
fn a_null_option_takes_its_default_and_a_fraction_is_no_count() {
    let mut vitrine = start_with(
        r#"{"storagePrefix":"t-null","autoCapture":false,"holdout":0,
            "syncIntervalMs":null,"consent":null}"#,
    );
    vitrine.stop();
    let (code, message) = refusal(r#"{"maxPerBrand":1.5}"#);
    assert_eq!(code, "malformed_input");
    assert!(
        message.contains("`maxPerBrand`: expected a whole number, got 1.5"),
        "{message}"
    );
    let (_, message) = refusal(r#"{"consent":"opt-maybe"}"#);
    assert!(
        message.contains(r#"expected "opt-in" or "opt-out""#),
        "{message}"
    );
}

#[wasm_bindgen_test]
fn a_broken_model_is_refused() {
    let vitrine = start("test-model");
    let error = vitrine.load_model(b"not an onnx model").unwrap_err();
    assert_eq!(code_of(&error), "model_runtime");
    assert!(!vitrine.has_model());
}

/// Golden vectors in the browser: wasm tract scores the shipped model as onnxruntime did when
/// `models/train.py` exported it (the native twin is `tests/golden.rs`).
#[wasm_bindgen_test]
fn wasm_tract_matches_the_golden_vectors() {
    let scorer = vitrine::model::Scorer::from_onnx(include_bytes!("../models/ranker.onnx"))
        .expect("the shipped model meets the contract");
    let golden: serde_json::Value =
        serde_json::from_str(include_str!("../models/golden.json")).unwrap();
    let tolerance = golden["tolerance"].as_f64().unwrap_or(1e-5) as f32;
    let floats = |v: &serde_json::Value| -> Vec<f32> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect()
    };
    let mut checked = 0;
    for group in golden["groups"].as_array().unwrap() {
        let rows: Vec<f32> = group["rows"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(floats)
            .collect();
        let expected = floats(&group["scores"]);
        let scores = scorer.score(&rows).unwrap();
        assert_eq!(scores.len(), expected.len());
        for (got, want) in scores.iter().zip(&expected) {
            assert!(
                (got - want).abs() <= tolerance,
                "wasm tract {got} vs onnxruntime {want}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} golden scores");
}

#[wasm_bindgen_test]
fn a_retention_that_is_not_positive_is_refused_naming_the_option() {
    let (code, message) = refusal(r#"{"retentionDays":0}"#);
    assert_eq!(code, "invalid_field");
    assert!(message.contains("`retentionDays`"), "{message}");
}

#[wasm_bindgen_test]
fn paused_the_widgets_go_back_to_server_order_and_nothing_is_recorded() {
    let vitrine = start("test-pause");
    vitrine
        .track(view("x1", "furniture.living_room.sofa", "ikea"))
        .unwrap();
    let container = widget(&ITEMS);
    vitrine.rerank(&container).unwrap();
    assert_ne!(
        displayed_ids(&container),
        ["1", "2", "3", "4", "5"],
        "ranked first"
    );

    vitrine.pause();
    assert!(vitrine.paused());
    assert_eq!(displayed_ids(&container), ["1", "2", "3", "4", "5"]);
    assert_eq!(
        container.get_attribute("data-vitrine-state").as_deref(),
        Some("fallback")
    );
    assert!(vitrine.rerank(&container).unwrap().is_null());
    vitrine.track(view("x2", "kids.toys", "lego")).unwrap();
    assert!(!vitrine.describe_profile().join(" ").contains("kids.toys"));

    vitrine.resume();
    assert!(!vitrine.paused());
    vitrine.erase();
    container.remove();
}

fn start_with(config_json: &str) -> Vitrine {
    Vitrine::new(js_sys::JSON::parse(config_json).unwrap(), None).unwrap()
}

fn consent_field(vitrine: &Vitrine, field: &str) -> JsValue {
    js_sys::Reflect::get(&vitrine.consent().unwrap(), &field.into()).unwrap()
}

#[wasm_bindgen_test]
fn a_holdout_shopper_sees_server_order_explained_as_holdout() {
    let vitrine = start_with(r#"{"storagePrefix":"test-holdout","autoCapture":false,"holdout":1}"#);
    assert_eq!(vitrine.arm(), "holdout");
    vitrine
        .track(view("x1", "furniture.living_room.sofa", "ikea"))
        .unwrap();
    let container = widget(&ITEMS);
    let explanations = vitrine.rerank(&container).unwrap();
    assert_eq!(displayed_ids(&container), ["1", "2", "3", "4", "5"]);
    assert_eq!(
        container.get_attribute("data-vitrine-state").as_deref(),
        Some("holdout")
    );
    let first = js_sys::Reflect::get(&explanations, &0.into()).unwrap();
    let signal = js_sys::Reflect::get(&first, &"signal".into()).unwrap();
    assert_eq!(signal.as_string().as_deref(), Some("holdout"));
    assert!(
        vitrine.describe_profile().join(" ").contains("furniture"),
        "tracking goes on in the holdout"
    );
    vitrine.erase();
    container.remove();
}

#[wasm_bindgen_test]
fn a_holdout_fraction_outside_zero_to_one_is_refused_by_name() {
    let (code, message) = refusal(r#"{"holdout":1.5}"#);
    assert_eq!(code, "invalid_field");
    assert!(message.contains("`holdout`"), "{message}");
    let (_, message) = refusal(r#"{"consent":"maybe"}"#);
    assert!(message.contains("`consent`"), "{message}");
}

#[wasm_bindgen_test]
fn opt_in_waits_for_a_grant_and_a_revoke_is_stored() {
    let vitrine =
        start_with(r#"{"storagePrefix":"test-consent","autoCapture":false,"consent":"opt-in"}"#);
    assert_eq!(consent_field(&vitrine, "syncAllowed"), JsValue::FALSE);
    assert_eq!(
        consent_field(&vitrine, "reason").as_string().as_deref(),
        Some("not_asked")
    );
    vitrine.grant_consent();
    assert_eq!(consent_field(&vitrine, "syncAllowed"), JsValue::TRUE);
    vitrine.revoke_consent();
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    let stored = storage.get_item("test-consent.consent").unwrap().unwrap();
    assert!(stored.contains(r#""choice":"revoked""#), "{stored}");

    // A new instance on the same device remembers the revoke.
    let again = start_with(r#"{"storagePrefix":"test-consent","autoCapture":false}"#);
    assert_eq!(
        consent_field(&again, "reason").as_string().as_deref(),
        Some("revoked")
    );
    again.erase();
    assert!(storage.get_item("test-consent.consent").unwrap().is_none());
}

/// A JavaScript function of `rows` (a `Float32Array` of 13 features per item) and `scores`
/// (one place per item), as the npm wrapper hands the ranker module's `scoreInto` to the core.
fn js_scorer(body: &str) -> js_sys::Function {
    js_sys::Function::new_with_args("rows, scores", body)
}

#[wasm_bindgen_test]
fn a_javascript_scorer_ranks_and_a_broken_one_leaves_the_server_order() {
    let vitrine = start("test-js-scorer");
    // Scores that rise with the server position: the last item comes first.
    vitrine.use_scorer(js_scorer(
        "scores.set(scores.map((_, i) => 10 * i)); return scores.length;",
    ));
    assert!(vitrine.has_model());
    let container = widget(&ITEMS);
    vitrine.rerank(&container).unwrap();
    assert_eq!(displayed_ids(&container)[0], "5");

    vitrine.use_scorer(js_scorer("scores[0] = 1; return 1;"));
    let again = widget(&ITEMS);
    let error = vitrine.rerank(&again).unwrap_err();
    assert_kept_server_order(&again, &error, "model_runtime", "1 scores for 5");

    vitrine.use_scorer(js_scorer("return Float32Array.from(scores);"));
    let silent = widget(&ITEMS);
    let error = vitrine.rerank(&silent).unwrap_err();
    assert_kept_server_order(&silent, &error, "model_runtime", "did not report");
    vitrine.erase();
    container.remove();
    again.remove();
    silent.remove();
}

/// The core hands the scorer views on its own memory. A scorer that makes that memory grow
/// (here directly; in a page, by calling back into the core) finds them emptied, and is
/// called again on copies: its scores still count.
#[wasm_bindgen_test]
fn a_scorer_that_grows_the_cores_memory_is_called_again_on_copies() {
    let vitrine = start("test-grow");
    let make = js_sys::Function::new_with_args(
        "memory",
        "const calls = []; \
         const score = (rows, scores) => { \
           calls.push(scores.length); \
           if (calls.length === 1) memory.grow(1); \
           scores.set(scores.map((_, i) => 10 * i)); return rows.length / 13; }; \
         score.calls = calls; return score;",
    );
    let scorer: js_sys::Function = make
        .call1(&JsValue::NULL, &wasm_bindgen::memory())
        .unwrap()
        .unchecked_into();
    vitrine.use_scorer(scorer.clone());
    let container = widget(&ITEMS);
    vitrine.rerank(&container).unwrap();
    assert_eq!(
        displayed_ids(&container)[0],
        "5",
        "the second call's scores"
    );
    let calls = js_sys::Reflect::get(&scorer, &"calls".into()).unwrap();
    // The first call found its arrays emptied (writing to one threw): nothing arrived.
    assert_eq!(
        js_sys::JSON::stringify(&calls)
            .unwrap()
            .as_string()
            .unwrap(),
        "[5,5]"
    );
    vitrine.erase();
    container.remove();
}

/// Whatever a scorer throws, the error names it: an `Error`'s message, a thrown string, or
/// the type of anything else.
#[wasm_bindgen_test]
fn a_throwing_scorer_is_named_by_what_it_threw() {
    let vitrine = start("test-thrown");
    let cases = [
        (
            "throw new RangeError('rows out of range');",
            "the ranker failed: rows out of range",
        ),
        (
            "throw 'tract fell over';",
            "the ranker failed: tract fell over",
        ),
        (
            "throw new Error();",
            "the ranker failed: a thrown value of type object",
        ),
        (
            "throw { rows };",
            "the ranker failed: a thrown value of type object",
        ),
        (
            "throw 42;",
            "the ranker failed: a thrown value of type number",
        ),
        (
            "throw undefined;",
            "the ranker failed: a thrown value of type undefined",
        ),
    ];
    for (body, fragment) in cases {
        vitrine.use_scorer(js_scorer(body));
        let container = widget(&ITEMS);
        let error = vitrine.rerank(&container).unwrap_err();
        assert_kept_server_order(&container, &error, "model_runtime", fragment);
        container.remove();
    }
    vitrine.erase();
}

#[wasm_bindgen_test]
fn a_second_ranking_of_a_ranked_widget_moves_no_node() {
    let vitrine = start("test-moves");
    vitrine
        .track(view("x1", "furniture.living_room.sofa", "ikea"))
        .unwrap();
    let container = widget(&ITEMS);
    vitrine.rerank(&container).unwrap();
    let ranked = displayed_ids(&container);
    assert_ne!(ranked, ["1", "2", "3", "4", "5"], "ranked first");

    let watch = js_sys::Function::new_with_args(
        "c",
        "const o = new MutationObserver(() => {}); \
         o.observe(c, { childList: true, attributes: true, subtree: true }); return o;",
    );
    let observer = watch.call1(&JsValue::NULL, &container).unwrap();
    vitrine.rerank(&container).unwrap();
    let take: js_sys::Function = js_sys::Reflect::get(&observer, &"takeRecords".into())
        .unwrap()
        .unchecked_into();
    let records: js_sys::Array = take.call0(&observer).unwrap().unchecked_into();
    assert_eq!(displayed_ids(&container), ranked);
    // Only the widget's own `data-vitrine-state`, set again to "ranked".
    assert_eq!(records.length(), 1, "{:?}", records);
    vitrine.erase();
    container.remove();
}

#[wasm_bindgen_test]
fn a_value_holding_the_batch_separator_is_read_one_by_one_and_refused_by_name() {
    let vitrine = start("test-separator");
    let mut items = ITEMS.to_vec();
    items[2].2 = "ik\u{1f}=ea";
    let container = widget(&items);
    let error = vitrine.rerank(&container).unwrap_err();
    assert_eq!(code_of(&error), "invalid_field");
    assert!(
        message_of(&error).contains("data-vitrine-brand"),
        "{}",
        message_of(&error)
    );
    assert_eq!(displayed_ids(&container), ["1", "2", "3", "4", "5"]);
    vitrine.erase();
    container.remove();
}

/// How many times the profile saw product `id`, viewed or clicked.
fn views_of(vitrine: &Vitrine, id: &str) -> f64 {
    let profile = vitrine.profile().unwrap();
    let recent = js_sys::Reflect::get(&profile, &"recent".into()).unwrap();
    js_sys::Array::from(&recent)
        .iter()
        .find(|item| js_sys::Reflect::get(item, &"id".into()).unwrap() == id)
        .map_or(0.0, |item| {
            js_sys::Reflect::get(&item, &"views".into())
                .unwrap()
                .as_f64()
                .unwrap()
        })
}

#[wasm_bindgen_test]
fn open_captures_nothing_until_begin_and_a_second_begin_installs_nothing() {
    let document = web_sys::window().unwrap().document().unwrap();
    let product_page: web_sys::HtmlElement =
        document.create_element("div").unwrap().unchecked_into();
    product_page
        .set_attribute("data-vitrine-item", "p-begin")
        .unwrap();
    product_page
        .set_attribute("data-vitrine-detail", "")
        .unwrap();
    product_page
        .set_attribute("data-vitrine-category", "garden.tools")
        .unwrap();
    document
        .body()
        .unwrap()
        .append_child(&product_page)
        .unwrap();
    let config = || js_sys::JSON::parse(r#"{"storagePrefix":"test-begin","holdout":0}"#).unwrap();

    let mut vitrine = Vitrine::open(config(), None).unwrap();
    product_page.click();
    assert_eq!(views_of(&vitrine, "p-begin"), 0.0, "open alone captured");
    vitrine.begin();
    assert_eq!(
        views_of(&vitrine, "p-begin"),
        1.0,
        "begin scans the product page"
    );
    vitrine.begin();
    product_page.click();
    // One click listener: the second `begin` installed no other.
    assert_eq!(views_of(&vitrine, "p-begin"), 2.0);
    vitrine.erase();
    vitrine.stop();

    let mut stopped = Vitrine::open(config(), None).unwrap();
    stopped.stop();
    stopped.begin();
    product_page.click();
    assert_eq!(
        views_of(&stopped, "p-begin"),
        0.0,
        "begin after stop captured"
    );
    stopped.erase();
    product_page.remove();
}
