//! Bytes -> parse -> model -> rules -> every output format. The input is one side
//! (`values[\0dynalint.toml[\0chart defaults]]`), or two separated by `\0\0\0`:
//! `base\0\0\0head`, each side with its own configuration and chart defaults, to run
//! the change rules too.
#![no_main]

use dynalint::harness::{Side, run_sides};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let separator = b"\0\0\0";
    match data.windows(3).position(|window| window == separator) {
        Some(split) => {
            run_sides(
                Some(Side::split(&data[..split])),
                Side::split(&data[split + 3..]),
            );
        }
        None => {
            run_sides(None, Side::split(data));
        }
    }
});
