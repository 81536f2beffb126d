//! The entry-list filter (`/`): pure matching, no I/O.
//!
//! - `paid` — substring (case-sensitive) of the payload text or a metadata key or value;
//! - `re:pa+id` — a regular expression over the same;
//! - `$.a.b == "x"`, `$.n != 3`, `$.n > 2.5`, `$.n < 10`, `$.a[0].b` — a JSON-path comparison
//!   on the payload (parsed as JSON); `$.a.b` alone means "exists".

use regex::Regex;
use skope_client::Entry;
use std::fmt;

/// A parsed filter.
#[derive(Debug, Clone)]
pub enum Filter {
    Substring(String),
    Regex(Regex),
    Json(JsonFilter),
}

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Exists,
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
}

/// `$.path OP value`.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonFilter {
    pub path: Vec<Step>,
    pub op: Op,
    pub value: serde_json::Value,
}

/// The prefix that makes a filter a regular expression.
pub const REGEX_PREFIX: &str = "re:";

impl Filter {
    /// Parse the text typed after `/`.
    ///
    /// # Errors
    /// An empty filter, a bad regex, a bad JSON path.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            return Err("empty filter".to_owned());
        }
        if let Some(re) = text.strip_prefix(REGEX_PREFIX) {
            return Regex::new(re)
                .map(Filter::Regex)
                .map_err(|e| format!("bad regex: {}", last_line(&e.to_string())));
        }
        if text.trim_start().starts_with('$') {
            return parse_json(text.trim()).map(Filter::Json);
        }
        Ok(Filter::Substring(text.to_owned()))
    }

    /// Whether `e` passes.
    #[must_use]
    pub fn matches(&self, e: &Entry) -> bool {
        match self {
            Filter::Json(j) => j.matches(e.payload_bytes()),
            _ => {
                let text = String::from_utf8_lossy(e.payload_bytes());
                self.finds(&text)
                    || e.metadata
                        .iter()
                        .any(|(k, v)| self.finds(k) || self.finds(v))
            }
        }
    }

    fn finds(&self, text: &str) -> bool {
        match self {
            Filter::Substring(s) => text.contains(s.as_str()),
            Filter::Regex(r) => r.is_match(text),
            Filter::Json(_) => false,
        }
    }

    /// Byte ranges of the matches in `text` (for highlighting; none for JSON paths).
    #[must_use]
    pub fn ranges(&self, text: &str) -> Vec<(usize, usize)> {
        match self {
            Filter::Substring(s) if !s.is_empty() => text
                .match_indices(s.as_str())
                .map(|(i, m)| (i, i + m.len()))
                .collect(),
            Filter::Regex(r) => r
                .find_iter(text)
                .filter(|m| !m.is_empty())
                .map(|m| (m.start(), m.end()))
                .collect(),
            _ => Vec::new(),
        }
    }
}

fn last_line(s: &str) -> String {
    s.lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or(s)
        .trim()
        .to_owned()
}

impl JsonFilter {
    /// Whether the payload is JSON and passes.
    #[must_use]
    pub fn matches(&self, payload: &[u8]) -> bool {
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(payload) else {
            return false;
        };
        let mut cur = &v;
        for step in &self.path {
            let next = match step {
                Step::Key(k) => cur.get(k.as_str()),
                Step::Index(i) => cur.get(*i),
            };
            match next {
                Some(n) => cur = n,
                None => return false,
            }
        }
        let num = || Some((cur.as_f64()?, self.value.as_f64()?));
        match self.op {
            Op::Exists => true,
            Op::Eq => json_eq(cur, &self.value),
            Op::Ne => !json_eq(cur, &self.value),
            Op::Gt => num().is_some_and(|(a, b)| a > b),
            Op::Lt => num().is_some_and(|(a, b)| a < b),
            Op::Ge => num().is_some_and(|(a, b)| a >= b),
            Op::Le => num().is_some_and(|(a, b)| a <= b),
        }
    }
}

/// Equal values; numbers compare by value (`1 == 1.0`).
fn json_eq(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() < f64::EPSILON * x.abs().max(1.0),
        _ => a == b,
    }
}

/// `$.a.b[0]."key with space" OP value`.
fn parse_json(text: &str) -> Result<JsonFilter, String> {
    let usage = "JSON path: $.a.b == \"x\" | != | > | < | >= | <= | (exists)";
    let chars: Vec<char> = text.chars().collect();
    let mut i = 1; // after '$'
    let mut path = Vec::new();
    loop {
        match chars.get(i) {
            Some('.') => {
                i += 1;
                if chars.get(i) == Some(&'"') {
                    let (s, n) = quoted(&chars[i..]).ok_or(usage)?;
                    path.push(Step::Key(s));
                    i += n;
                } else {
                    let start = i;
                    while chars
                        .get(i)
                        .is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '-'))
                    {
                        i += 1;
                    }
                    if start == i {
                        return Err(format!("{usage}: a key after '.'"));
                    }
                    path.push(Step::Key(chars[start..i].iter().collect()));
                }
            }
            Some('[') => {
                i += 1;
                if chars.get(i) == Some(&'"') {
                    let (s, n) = quoted(&chars[i..]).ok_or(usage)?;
                    path.push(Step::Key(s));
                    i += n;
                } else {
                    let start = i;
                    while chars.get(i).is_some_and(char::is_ascii_digit) {
                        i += 1;
                    }
                    let n: String = chars[start..i].iter().collect();
                    path.push(Step::Index(
                        n.parse().map_err(|_| format!("{usage}: an index in [ ]"))?,
                    ));
                }
                if chars.get(i) != Some(&']') {
                    return Err(format!("{usage}: a closing ']'"));
                }
                i += 1;
            }
            _ => break,
        }
    }
    let rest: String = chars[i..].iter().collect();
    let rest = rest.trim();
    if rest.is_empty() {
        return Ok(JsonFilter {
            path,
            op: Op::Exists,
            value: serde_json::Value::Null,
        });
    }
    let (op, value) = [
        ("==", Op::Eq),
        ("!=", Op::Ne),
        (">=", Op::Ge),
        ("<=", Op::Le),
        (">", Op::Gt),
        ("<", Op::Lt),
    ]
    .into_iter()
    .find_map(|(s, op)| rest.strip_prefix(s).map(|v| (op, v.trim())))
    .ok_or_else(|| format!("{usage}: unknown operator in {rest:?}"))?;
    let value: serde_json::Value = serde_json::from_str(value)
        .map_err(|_| format!("{usage}: {value:?} is not a JSON value (strings in \"quotes\")"))?;
    if matches!(op, Op::Gt | Op::Lt | Op::Ge | Op::Le) && !value.is_number() {
        return Err(format!("{usage}: > and < compare numbers"));
    }
    Ok(JsonFilter { path, op, value })
}

/// A `"…"` string at the start of `chars` (JSON escapes) and how many chars it took.
fn quoted(chars: &[char]) -> Option<(String, usize)> {
    let mut i = 1;
    while i < chars.len() && chars[i] != '"' {
        if chars[i] == '\\' {
            i += 1;
        }
        i += 1;
    }
    if i >= chars.len() {
        return None;
    }
    let raw: String = chars[..=i].iter().collect();
    Some((serde_json::from_str(&raw).ok()?, i + 1))
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Exists => "exists",
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Gt => ">",
            Op::Lt => "<",
            Op::Ge => ">=",
            Op::Le => "<=",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skope_client::Metadata;

    fn entry(payload: &str, meta: &[(&str, &str)]) -> Entry {
        let mut metadata = Metadata::new();
        for (k, v) in meta {
            metadata.insert((*k).into(), (*v).into());
        }
        Entry {
            payload: Some(payload.as_bytes().to_vec()),
            metadata,
            ..Entry::default()
        }
    }

    #[test]
    fn substring_and_regex_over_payload_and_metadata() {
        let e = entry(r#"{"status":"paid"}"#, &[("trace", "t-0042")]);
        assert!(Filter::parse("paid").expect("ok").matches(&e));
        assert!(Filter::parse("t-0042").expect("ok").matches(&e));
        assert!(Filter::parse("trace").expect("ok").matches(&e));
        assert!(!Filter::parse("shipped").expect("ok").matches(&e));
        assert!(Filter::parse("re:pa+id").expect("ok").matches(&e));
        assert!(Filter::parse("re:^t-\\d{4}$").expect("ok").matches(&e));
        assert!(!Filter::parse("re:^paid$").expect("ok").matches(&e));
        assert!(Filter::parse("re:(").is_err());
        assert!(Filter::parse("").is_err());
    }

    #[test]
    fn json_paths() {
        let e = entry(
            r#"{"a":{"b":"x","n":3,"list":[{"k":1}]},"key space":true}"#,
            &[],
        );
        let m = |f: &str| Filter::parse(f).expect(f).matches(&e);
        assert!(m(r#"$.a.b == "x""#));
        assert!(!m(r#"$.a.b == "y""#));
        assert!(m(r#"$.a.b != "y""#));
        assert!(m("$.a.n > 2"));
        assert!(!m("$.a.n > 3"));
        assert!(m("$.a.n >= 3"));
        assert!(m("$.a.n < 3.5"));
        assert!(m("$.a.n == 3.0"));
        assert!(m("$.a.b"));
        assert!(!m("$.a.c"));
        assert!(m("$.a.list[0].k == 1"));
        assert!(!m("$.a.list[1]"));
        assert!(m(r#"$["key space"] == true"#));
        assert!(m(r#"$."key space""#));
        assert!(!m(r#"$.a.b > 1"#)); // a string is not a number
        assert!(
            !Filter::parse("$.a")
                .expect("ok")
                .matches(&entry("not json", &[]))
        );
        assert!(Filter::parse("$.a ~ 1").is_err());
        assert!(Filter::parse("$.a > \"x\"").is_err());
        assert!(Filter::parse("$.a == x").is_err());
        assert!(Filter::parse("$.").is_err());
    }

    #[test]
    fn ranges_for_highlighting() {
        let f = Filter::parse("ab").expect("ok");
        assert_eq!(f.ranges("xabyab"), vec![(1, 3), (4, 6)]);
        let f = Filter::parse("re:a+").expect("ok");
        assert_eq!(f.ranges("baaab"), vec![(1, 4)]);
        let f = Filter::parse("$.a").expect("ok");
        assert!(f.ranges("a").is_empty());
    }
}
