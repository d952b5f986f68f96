//! Plain scalars as go-yaml v2 (YAML 1.1) resolves them, and numbers as Helm prints
//! them: booleans in every spelling, octal, binary, underscores, floats, binary data.

use super::{Value, Yaml11};

/// Resolve a plain scalar as go-yaml v2 does.
pub fn resolve_plain(text: &str) -> (Value, Option<Yaml11>) {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return (Value::Null, None),
        "true" | "True" | "TRUE" => return (Value::Bool(true), None),
        "false" | "False" | "FALSE" => return (Value::Bool(false), None),
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => {
            return (Value::Bool(true), Some(Yaml11::Bool));
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => {
            return (Value::Bool(false), Some(Yaml11::Bool));
        }
        ".nan" | ".NaN" | ".NAN" => return (Value::Float(f64::NAN), None),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return (Value::Float(f64::INFINITY), None);
        }
        "-.inf" | "-.Inf" | "-.INF" => return (Value::Float(f64::NEG_INFINITY), None),
        _ => {}
    }
    let string = || (Value::String(text.to_string()), None);
    match text.as_bytes()[0] {
        // go-yaml hands these to Go's ParseFloat, which refuses overflow.
        b'.' => match text.parse::<f64>() {
            Ok(number) if number.is_finite() => (Value::Float(number), None),
            _ => string(),
        },
        b'0'..=b'9' | b'+' | b'-' => {
            let plain: String = text.chars().filter(|&c| c != '_').collect();
            if let Some(number) = go_parse_int(&plain) {
                let yaml11 = is_leading_zero_octal(&plain).then_some(Yaml11::Octal);
                return (number, yaml11);
            }
            if is_yaml_float(&plain)
                && let Ok(number) = plain.parse::<f64>()
                && number.is_finite()
            {
                return (Value::Float(number), None);
            }
            let binary = plain
                .strip_prefix("0b")
                .map(|digits| (false, digits))
                .or_else(|| plain.strip_prefix("-0b").map(|digits| (true, digits)));
            // Go's ParseInt refuses an empty digit string: `0b` alone stays text.
            if let Some((negative, digits)) = binary
                && !digits.is_empty()
                && let Some(number) = parse_digits(digits, 2)
            {
                return (
                    signed(number, negative).unwrap_or(Value::UInt(number)),
                    None,
                );
            }
            string()
        }
        _ => string(),
    }
}

/// `0123`-style integers, octal to Go's `ParseInt(s, 0, 64)` and decimal to YAML 1.2,
/// where the two readings differ (`05` is 5 either way; `010` is 8 or 10).
fn is_leading_zero_octal(plain: &str) -> bool {
    let digits = plain.trim_start_matches(['+', '-']);
    digits.len() > 1
        && digits.starts_with('0')
        && digits[1..].bytes().all(|byte| byte.is_ascii_digit())
        && parse_digits(&digits[1..], 8) != parse_digits(&digits[1..], 10)
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`, go-yaml's float syntax.
fn is_yaml_float(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut index = 0;
    if matches!(bytes.first(), Some(b'+' | b'-')) {
        index += 1;
    }
    let digits = |index: &mut usize| {
        let start = *index;
        while *index < bytes.len() && bytes[*index].is_ascii_digit() {
            *index += 1;
        }
        *index - start
    };
    if bytes.get(index) == Some(&b'.') {
        index += 1;
        if digits(&mut index) == 0 {
            return false;
        }
    } else {
        if digits(&mut index) == 0 {
            return false;
        }
        if bytes.get(index) == Some(&b'.') {
            index += 1;
            digits(&mut index);
        }
    }
    if matches!(bytes.get(index), Some(b'e' | b'E')) {
        index += 1;
        if matches!(bytes.get(index), Some(b'+' | b'-')) {
            index += 1;
        }
        if digits(&mut index) == 0 {
            return false;
        }
    }
    index == bytes.len()
}

/// Go's `strconv.ParseInt(s, 0, 64)`, falling back to `ParseUint` as go-yaml does.
fn go_parse_int(text: &str) -> Option<Value> {
    let (negative, unsigned_text, had_sign) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..], true),
        b'+' => (false, &text[1..], true),
        _ => (false, text, false),
    };
    if unsigned_text.is_empty() {
        return None;
    }
    // Go: a leading `0b`, `0o` or `0x` (with at least one digit after it) picks the
    // base; any other leading `0` means octal.
    let (base, digits) = match unsigned_text.strip_prefix('0') {
        Some(rest) if rest.len() >= 2 => match rest.as_bytes()[0].to_ascii_lowercase() {
            b'b' => (2, &rest[1..]),
            b'o' => (8, &rest[1..]),
            b'x' => (16, &rest[1..]),
            _ => (8, rest),
        },
        Some(rest) => (8, rest),
        None => (10, unsigned_text),
    };
    let magnitude = parse_digits(digits, base)?;
    match signed(magnitude, negative) {
        Some(value) => Some(value),
        // ParseUint accepts no sign.
        None if !had_sign => Some(Value::UInt(magnitude)),
        None => None,
    }
}

fn signed(magnitude: u64, negative: bool) -> Option<Value> {
    if negative {
        if magnitude == 1 << 63 {
            Some(Value::Int(i64::MIN))
        } else {
            i64::try_from(magnitude)
                .ok()
                .map(|number| Value::Int(-number))
        }
    } else {
        i64::try_from(magnitude).ok().map(Value::Int)
    }
}

fn parse_digits(digits: &str, base: u32) -> Option<u64> {
    let mut value: u64 = 0;
    for character in digits.chars() {
        let digit = character.to_digit(base)?;
        value = value.checked_mul(base as u64)?.checked_add(digit as u64)?;
    }
    Some(value)
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 32)`, which sigs.k8s.io/yaml uses for float keys.
pub(super) fn go_format_float32(number: f64) -> String {
    let single = number as f32;
    if single == 0.0 {
        return "0".to_string();
    }
    // Shortest round-trip digits of the f32, in scientific form: d.ddddde±x.
    let scientific = format!("{single:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    // With the shortest precision Go switches to exponent form from 1e6 on.
    if !(-4..6).contains(&exponent) {
        let fraction = &digits[1..];
        let dot = if fraction.is_empty() { "" } else { "." };
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        format!(
            "{sign}{}{dot}{fraction}e{exponent_sign}{:02}",
            &digits[..1],
            exponent.abs()
        )
    } else {
        format!("{sign}{single}")
    }
}

pub(super) fn decode_base64(text: &str) -> Option<String> {
    let mut bits: u32 = 0;
    let mut bit_count = 0;
    let mut bytes = Vec::new();
    for character in text.chars().filter(|c| !c.is_whitespace()) {
        let value = match character {
            'A'..='Z' => character as u32 - 'A' as u32,
            'a'..='z' => character as u32 - 'a' as u32 + 26,
            '0'..='9' => character as u32 - '0' as u32 + 52,
            '+' => 62,
            '/' => 63,
            '=' => break,
            _ => return None,
        };
        bits = (bits << 6) | value;
        bit_count += 6;
        if bit_count >= 8 {
            bit_count -= 8;
            bytes.push((bits >> bit_count) as u8);
            bits &= (1 << bit_count) - 1;
        }
    }
    Some(String::from_utf8_lossy(&bytes).into_owned())
}
