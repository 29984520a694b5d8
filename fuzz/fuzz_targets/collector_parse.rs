//! A request body as the collector receives it (`vitrine::fuzzing::collector_parse`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vitrine::fuzzing::collector_parse(data));
