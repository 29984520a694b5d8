//! Any bytes as an event from the page (`vitrine::fuzzing::event_parse`): refused with a
//! named field, or accepted as an event that round-trips and keeps a profile in bounds.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vitrine::fuzzing::event_parse(data));
