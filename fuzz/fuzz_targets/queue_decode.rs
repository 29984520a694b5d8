//! Any bytes in the outbox's storage key: decoding either refuses them or yields an outbox
//! that keeps its promises (see `vitrine::fuzzing::queue_decode`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vitrine::fuzzing::queue_decode(data));
