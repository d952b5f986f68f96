//! Bytes -> parse -> model -> rules -> every output format. The input is a head values
//! file, or `base\0head` to run the change rules too.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match data.iter().position(|byte| *byte == 0) {
        Some(split) => {
            dynalint::harness::run(Some(&data[..split]), &data[split + 1..]);
        }
        None => {
            dynalint::harness::run(None, data);
        }
    }
});
