//! Any bytes in the profile's storage key (`vitrine::fuzzing::profile_decode`): refused as
//! corrupt, or decoded into a profile within its bounds that round-trips.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vitrine::fuzzing::profile_decode(data));
