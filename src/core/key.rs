//! Entity identity: `(type, id)` rendered as the key `"Type:id"`.
//!
//! Ids compare as strings, so `1` and `"1"` name the same entity (as Apollo's `Todo:1`).
//! Numbers are rendered the way JavaScript's `String(n)` renders the number JS holds (the
//! nearest double), so a key built in JS (`type + ':' + String(id)`) and one built here agree
//! for every number: `1e3` is `1000`, `123456789012345680000` stays as written, `1e21` is
//! `1e+21`, `-0` is `0`, and an integer beyond 2^53 is the double JS rounds it to.

use serde_json::{Number, Value};

/// The largest integer a JS number holds exactly (2^53).
const JS_SAFE: f64 = 9_007_199_254_740_992.0;

/// The string form of an id, or `None` when the value cannot be an id (only strings and
/// finite numbers can).
pub fn id_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(number_string(n)),
        _ => None,
    }
}

/// Appends `id_string(v)` to `out`; a safe integer (the usual id) is written without a
/// `String` of its own (the one-pass reader builds every entity key through here).
pub fn push_id(out: &mut String, v: &Value) -> Option<()> {
    if let Some(i) = v.as_i64().filter(|i| i.unsigned_abs() <= JS_SAFE as u64) {
        if i < 0 {
            out.push('-');
        }
        let mut digits = [0u8; 20];
        out.extend(
            decimal(i.unsigned_abs(), &mut digits)
                .iter()
                .map(|&d| char::from(d)),
        );
        return Some(());
    }
    out.push_str(&id_string(v)?);
    Some(())
}

/// The decimal digits of `n`, written at the end of `digits` (the batch writer and `push_id`).
pub(crate) fn decimal(mut n: u64, digits: &mut [u8; 20]) -> &[u8] {
    let mut at = digits.len();
    loop {
        at -= 1;
        // A digit: n % 10 < 10.
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &digits[at..]
}

fn number_string(n: &Number) -> String {
    let exact = |i: u64| i <= JS_SAFE as u64;
    if let Some(i) = n.as_i64().filter(|i| exact(i.unsigned_abs())) {
        return i.to_string();
    }
    if let Some(u) = n.as_u64().filter(|u| exact(*u)) {
        return u.to_string();
    }
    match n.as_f64().and_then(Number::from_f64) {
        Some(f) => js_string(&f.to_string()),
        None => n.to_string(),
    }
}

/// JavaScript's `Number.prototype.toString()` of the double serde_json wrote as `text`
/// (its shortest round-trip digits, like JS's: `1.2345678901234568e+20`, `0.1`, `-0.0`).
fn js_string(text: &str) -> String {
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exp) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.trim_start_matches('+').parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all: String = [int, frac].concat();
    let lead = all.len() - all.trim_start_matches('0').len();
    let digits = all.trim_start_matches('0').trim_end_matches('0');
    if digits.is_empty() {
        return "0".to_owned(); // 0 and -0 alike, as String(-0)
    }
    // The value is 0.DIGITS x 10^n.
    let k = digits.len() as i32;
    let n = int.len() as i32 + exp - lead as i32;
    let mut out = String::with_capacity(digits.len() + 8);
    if negative {
        out.push('-');
    }
    let zeros = |out: &mut String, count: i32| (0..count).for_each(|_| out.push('0'));
    if k <= n && n <= 21 {
        out.push_str(digits);
        zeros(&mut out, n - k);
    } else if 0 < n && n <= 21 {
        let (a, b) = digits.split_at(n as usize);
        out.push_str(a);
        out.push('.');
        out.push_str(b);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        zeros(&mut out, -n);
        out.push_str(digits);
    } else {
        let (a, b) = digits.split_at(1);
        out.push_str(a);
        if !b.is_empty() {
            out.push('.');
            out.push_str(b);
        }
        out.push('e');
        out.push(if n - 1 < 0 { '-' } else { '+' });
        out.push_str(&(n - 1).unsigned_abs().to_string());
    }
    out
}

/// `"Type:id"`.
pub fn entity_key(type_name: &str, id: &str) -> String {
    let mut k = String::with_capacity(type_name.len() + 1 + id.len());
    k.push_str(type_name);
    k.push(':');
    k.push_str(id);
    k
}

/// The type part of a key (type names never contain `:`; the schema rejects them).
pub fn type_of(key: &str) -> &str {
    key.split_once(':').map_or(key, |(t, _)| t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn push_id_writes_what_id_string_gives() {
        for v in [
            json!(0),
            json!(7),
            json!(-7),
            json!(9_007_199_254_740_992u64),
            json!(-9_007_199_254_740_992i64),
            json!(9_007_199_254_740_993u64),
            json!(18446744073709551615u64),
            json!(-9223372036854775808i64),
            json!(1.5),
            json!(-0.0),
            json!(1e21),
            json!("a:b"),
        ] {
            let mut out = String::from("T:");
            push_id(&mut out, &v).expect("an id");
            assert_eq!(out, format!("T:{}", id_string(&v).expect("an id")), "{v}");
        }
        assert_eq!(push_id(&mut String::new(), &json!(true)), None);
    }
}
