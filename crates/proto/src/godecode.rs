//! Decoding with the semantics of Go's `encoding/json` (v1) `Unmarshal`, which is what a Go
//! streamkit peer applies to every payload:
//!
//! * a syntax error anywhere wins, with Go's text ([`crate::gosyntax`]);
//! * struct keys match exactly or else case-insensitively (Go's folding: `ſ` ≈ `s`, `K` ≈ `k`);
//!   unknown keys are ignored;
//! * `null` for a struct field is a no-op (the field keeps its zero value); inside a map or a
//!   list it stores the zero value;
//! * a repeated key is applied again: the last scalar wins, objects merge;
//! * strings: invalid UTF-8 and lone surrogates become U+FFFD;
//! * integers must be integer literals in range (`1.0`, `1e2`, `-0` into `uint64` fail);
//! * type errors read `json: cannot unmarshal number into Go struct field Peek.space of type
//!   string` (innermost struct, full field path, Go type names); errors of custom decoders (hex,
//!   base64, UUID) are passed through unchanged, as Go does.
//!
//! The input is first checked by the Go scanner, then split into raw tokens by a small
//! tokenizer that may assume valid JSON; serde visitors are driven directly, so no
//! `serde_json` position suffix ever leaks into a message.

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

/// A decoding error; `Display` is Go's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GoError(pub(crate) String);

impl fmt::Display for GoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GoError {}

impl de::Error for GoError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        GoError(msg.to_string())
    }
}

/// `json.Unmarshal(bytes, &T)`.
pub(crate) fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, GoError> {
    crate::gosyntax::check_valid(bytes).map_err(GoError)?;
    let text = lossy_utf8(bytes);
    from_valid_str(&text)
}

/// Like [`from_slice`] for text already known to be valid JSON.
pub(crate) fn from_valid_str<T: DeserializeOwned>(text: &str) -> Result<T, GoError> {
    let root = trim(text);
    let saved: Saved = Rc::new(RefCell::new(None));
    let ctx = Ctx {
        owner: None,
        path: None,
        hint: None,
        base: root.as_ptr() as usize,
        fresh: false,
        saved: Rc::clone(&saved),
    };
    let value = T::deserialize(Value {
        raws: vec![root],
        ctx,
    })?;
    let first_saved = saved.borrow_mut().take();
    match first_saved {
        Some((_, e)) => Err(e),
        None => Ok(value),
    }
}

/// Whether strict `serde_json` decoding is known to give Go's result for `bytes`: no array
/// anywhere (serde accepts one as a struct) and every object key made of `[a-z0-9_$]` only
/// (so no key that Go would match case-insensitively, and no escape in a key).
pub(crate) fn plain_keys(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'[' => return false,
            b'"' => {
                let end = string_end(bytes, i);
                let after = skip_ws(bytes, end);
                if bytes.get(after) == Some(&b':') {
                    let key = &bytes[i + 1..end.saturating_sub(1).max(i + 1)];
                    if !key
                        .iter()
                        .all(|c| matches!(c, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'$'))
                    {
                        return false;
                    }
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    true
}

/// Go decodes invalid UTF-8 inside strings as one U+FFFD per offending byte.
pub(crate) fn lossy_utf8(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            let mut out = String::with_capacity(bytes.len() + 8);
            let mut rest = bytes;
            loop {
                match std::str::from_utf8(rest) {
                    Ok(s) => {
                        out.push_str(s);
                        break;
                    }
                    Err(e) => {
                        let (good, bad) = rest.split_at(e.valid_up_to());
                        out.push_str(std::str::from_utf8(good).unwrap_or_default());
                        let n = e.error_len().unwrap_or(bad.len());
                        out.extend(std::iter::repeat_n('\u{fffd}', n));
                        rest = &bad[n..];
                    }
                }
            }
            Cow::Owned(out)
        }
    }
}

/// Go's case-insensitive key match (`foldName`): ASCII case plus the two non-ASCII runes that
/// fold to ASCII letters, `ſ` (U+017F) → `s` and `K` (U+212A) → `k`.
pub(crate) fn fold_eq(key: &str, name: &str) -> bool {
    let fold = |c: char| match c {
        '\u{17f}' => 'S',
        '\u{212a}' => 'K',
        c => c.to_ascii_uppercase(),
    };
    // Peers spell keys exactly almost always: compare bytes first (frame decode is hot).
    key == name
        || (key.len() == name.len() && key.eq_ignore_ascii_case(name))
        || key.chars().map(fold).eq(name.chars().map(fold))
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_ascii() && is_ws(c as u8))
}

/// End (exclusive) of the valid JSON value starting at `i` (no leading whitespace).
fn value_end(s: &[u8], mut i: usize) -> usize {
    match s.get(i) {
        Some(b'"') => string_end(s, i),
        Some(b'{' | b'[') => {
            let mut depth = 0_usize;
            while i < s.len() {
                match s[i] {
                    b'"' => {
                        i = string_end(s, i);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            i
        }
        _ => {
            while i < s.len() && !matches!(s[i], b',' | b'}' | b']') && !is_ws(s[i]) {
                i += 1;
            }
            i
        }
    }
}

/// End (exclusive) of the string token starting with the quote at `i`.
fn string_end(s: &[u8], mut i: usize) -> usize {
    i += 1;
    // Jump between quotes and backslashes with SIMD: payload strings are long base64.
    while let Some(off) = s
        .get(i..)
        .and_then(|rest| memchr::memchr2(b'"', b'\\', rest))
    {
        i += off;
        if s[i] == b'"' {
            return i + 1;
        }
        i += 2;
    }
    s.len().max(i)
}

fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && is_ws(s[i]) {
        i += 1;
    }
    i
}

/// Members of a valid JSON object, in order, duplicates kept: (unescaped key, raw value).
pub(crate) fn members(raw: &str) -> Vec<(Cow<'_, str>, &str)> {
    let s = raw.as_bytes();
    let mut out = Vec::new();
    let mut i = skip_ws(s, 1);
    while i < s.len() && s[i] == b'"' {
        let kend = string_end(s, i);
        let key = unquote_cow(&raw[i..kend]);
        i = skip_ws(s, kend) + 1; // ':'
        i = skip_ws(s, i);
        let vend = value_end(s, i);
        out.push((key, &raw[i..vend]));
        i = skip_ws(s, vend);
        if i < s.len() && s[i] == b',' {
            i = skip_ws(s, i + 1);
        } else {
            break;
        }
    }
    out
}

/// Elements of a valid JSON array.
fn elements(raw: &str) -> Vec<&str> {
    let s = raw.as_bytes();
    let mut out = Vec::new();
    let mut i = skip_ws(s, 1);
    while i < s.len() && s[i] != b']' {
        let end = value_end(s, i);
        out.push(&raw[i..end]);
        i = skip_ws(s, end);
        if i < s.len() && s[i] == b',' {
            i = skip_ws(s, i + 1);
        } else {
            break;
        }
    }
    out
}

/// Go's `unquote` of a valid string token (with its quotes).
pub(crate) fn unquote(token: &str) -> String {
    unquote_cow(token).into_owned()
}

/// [`unquote`], borrowing when there is no escape.
pub(crate) fn unquote_cow(token: &str) -> Cow<'_, str> {
    let inner = &token[1..token.len().saturating_sub(1).max(1)];
    if !inner.contains('\\') {
        return Cow::Borrowed(inner);
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.char_indices().peekable();
    let hex4 = |at: usize| -> Option<u32> {
        inner
            .get(at..at + 4)
            .and_then(|h| u32::from_str_radix(h, 16).ok())
    };
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some((_, e)) = chars.next() else { break };
        match e {
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'u' => {
                let Some(u) = hex4(i + 2) else { break };
                for _ in 0..4 {
                    chars.next();
                }
                if (0xD800..0xE000).contains(&u) {
                    // A valid pair is `\uD8xx\uDCxx`; anything else is U+FFFD.
                    let low = (inner.get(i + 6..i + 8) == Some("\\u"))
                        .then(|| hex4(i + 8))
                        .flatten();
                    match low {
                        Some(l) if u < 0xDC00 && (0xDC00..0xE000).contains(&l) => {
                            let c = 0x10000 + ((u - 0xD800) << 10) + (l - 0xDC00);
                            out.push(char::from_u32(c).unwrap_or('\u{fffd}'));
                            for _ in 0..6 {
                                chars.next();
                            }
                        }
                        _ => out.push('\u{fffd}'),
                    }
                } else {
                    out.push(char::from_u32(u).unwrap_or('\u{fffd}'));
                }
            }
            other => out.push(other), // `"`, `\`, `/`
        }
    }
    Cow::Owned(out)
}

/// Go type names of the fields whose type is not told by the serde call that reads them.
fn field_hint(field: &str) -> Option<&'static str> {
    Some(match field {
        "payload" => "[]uint8",
        "metadata" => "map[string]string",
        "offsets" => "map[string]lexkey.LexKey",
        "offset" => "lexkey.LexKey",
        "workers" => "[]api.WorkerInfo",
        "worker_id" | "store_id" | "id" | "node" => "uuid.UUID",
        _ => return None,
    })
}

/// Go's name of one of our structs (all live in package `api`).
fn go_struct(rust: &'static str) -> &'static str {
    match rust {
        "Trx" => "TRX",
        other => other,
    }
}

/// Errors Go saves while it keeps decoding (`UnmarshalTypeError`): the first one in document
/// order is returned at the end, unless an aborting error (a field decoder's own) came first.
type Saved = Rc<RefCell<Option<(usize, GoError)>>>;

/// A field decoder of its own: the canonical text, or its error.
type Check = fn(&str) -> Result<String, String>;

/// A field path, innermost last; built only into text when an error is reported.
struct Path {
    parent: Option<Rc<Path>>,
    field: Rc<str>,
}

fn path_text(p: Option<&Rc<Path>>) -> String {
    match p {
        None => String::new(),
        Some(p) => match &p.parent {
            None => p.field.to_string(),
            Some(parent) => format!("{}.{}", path_text(Some(parent)), p.field),
        },
    }
}

/// Where a value sits, for Go's error text.
#[derive(Clone)]
struct Ctx {
    /// The innermost enclosing struct (Go name) or `None` at top level.
    owner: Option<&'static str>,
    /// Field path from the top (`trx.number`); map keys and list indices are not part of it.
    path: Option<Rc<Path>>,
    /// The Go type of this value when the serde call can't tell it.
    hint: Option<&'static str>,
    /// Address of the whole input, to order errors by position.
    base: usize,
    /// A map element: every occurrence decodes into a fresh zero value (`null` stores zero).
    fresh: bool,
    saved: Saved,
}

/// Every occurrence of one value, in document order (a key repeated in an object, or the same
/// field reached through repeated enclosing objects): Go decodes each into the same place.
struct Value<'a> {
    raws: Vec<&'a str>,
    ctx: Ctx,
}

fn kind_of(raw: &str) -> &'static str {
    match raw.as_bytes().first() {
        Some(b'"') => "string",
        Some(b'{') => "object",
        Some(b'[') => "array",
        Some(b't' | b'f') => "bool",
        Some(b'n') | None => "null",
        _ => "number",
    }
}

fn is_null(raw: &str) -> bool {
    raw.starts_with('n')
}

impl<'a> Value<'a> {
    fn type_error(&self, value: &str, go_type: &str) -> GoError {
        let go_type = self.ctx.hint.unwrap_or(go_type);
        match self.ctx.owner {
            Some(owner) => GoError(format!(
                "json: cannot unmarshal {value} into Go struct field {owner}.{} of type {go_type}",
                path_text(self.ctx.path.as_ref())
            )),
            None => GoError(format!(
                "json: cannot unmarshal {value} into Go value of type {go_type}"
            )),
        }
    }

    /// Save a type error for the occurrence `raw` (Go keeps going).
    fn save(&self, raw: &str, err: GoError) {
        let pos = (raw.as_ptr() as usize).wrapping_sub(self.ctx.base);
        let mut saved = self.ctx.saved.borrow_mut();
        if saved.as_ref().is_none_or(|(p, _)| pos < *p) {
            *saved = Some((pos, err));
        }
    }

    /// The occurrences after the last `null` (for kinds that `null` resets to nil).
    fn after_reset(&self) -> Vec<&'a str> {
        let from = self
            .raws
            .iter()
            .rposition(|r| is_null(r))
            .map_or(0, |i| i + 1);
        self.raws[from..].to_vec()
    }

    fn with(&self, raws: Vec<&'a str>, ctx: Ctx) -> Value<'a> {
        Value { raws, ctx }
    }

    /// Map values and list elements: same struct and path, element type told by serde.
    fn element_ctx(&self) -> Ctx {
        let hint = match self.ctx.hint {
            Some("map[string]lexkey.LexKey") => Some("lexkey.LexKey"),
            _ => None,
        };
        Ctx {
            hint,
            fresh: false,
            ..self.ctx.clone()
        }
    }

    /// Scalars: each occurrence is decoded in turn; `null` leaves the value as it was, a type
    /// error is saved. Returns the winning occurrence, if any.
    fn scalar(&self, go_type: &str, ok: impl Fn(&str) -> Result<(), String>) -> Option<&'a str> {
        let mut win = None;
        for raw in &self.raws {
            if is_null(raw) {
                if self.ctx.fresh {
                    win = None;
                }
                continue;
            }
            match ok(raw) {
                Ok(()) => win = Some(*raw),
                Err(value) => self.save(raw, self.type_error(&value, go_type)),
            }
        }
        win
    }

    fn number<T: std::str::FromStr + Default>(&self, go_type: &str) -> T {
        let win = self.scalar(go_type, |raw| match raw.as_bytes()[0] {
            b'-' | b'0'..=b'9' => raw
                .parse::<T>()
                .map(drop)
                .map_err(|_| format!("number {raw}")),
            _ => Err(kind_of(raw).to_owned()),
        });
        win.and_then(|raw| raw.parse().ok()).unwrap_or_default()
    }

    /// Members of every object occurrence (after the last reset when `reset`), grouped by key
    /// in first-occurrence order; non-objects are type errors.
    fn grouped(
        &self,
        go_type: &str,
        reset: bool,
        key_of: impl Fn(&str) -> Option<String>,
    ) -> Vec<(String, Vec<&'a str>)> {
        let raws = if reset {
            self.after_reset()
        } else {
            self.raws.clone()
        };
        let mut groups: Vec<(String, Vec<&'a str>)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for raw in raws {
            match raw.as_bytes()[0] {
                b'{' => {
                    for (key, value) in members(raw) {
                        let Some(key) = key_of(&key) else { continue };
                        // Linear search while small; an index past that (a peer may send
                        // huge maps).
                        let found = if groups.len() < 16 {
                            groups.iter().position(|(k, _)| *k == key)
                        } else {
                            if index.is_empty() {
                                index.extend(
                                    groups.iter().enumerate().map(|(i, (k, _))| (k.clone(), i)),
                                );
                            }
                            index.get(&key).copied()
                        };
                        match found {
                            Some(i) => groups[i].1.push(value),
                            None => {
                                if !index.is_empty() {
                                    index.insert(key.clone(), groups.len());
                                }
                                groups.push((key, vec![value]));
                            }
                        }
                    }
                }
                b'n' => {}
                _ => self.save(raw, self.type_error(kind_of(raw), go_type)),
            }
        }
        groups
    }
}

macro_rules! integer {
    ($($method:ident $visit:ident $t:ty => $go:literal),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GoError> {
            let n: $t = self.number($go);
            visitor.$visit(n)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Value<'_> {
    type Error = GoError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GoError> {
        let raw = self.raws.last().copied().unwrap_or("null");
        match raw.as_bytes()[0] {
            b'n' => visitor.visit_unit(),
            b't' => visitor.visit_bool(true),
            b'f' => visitor.visit_bool(false),
            b'"' => visitor.visit_string(unquote(raw)),
            b'[' => self.deserialize_seq(visitor),
            b'{' => self.deserialize_map(visitor),
            _ => {
                if let Ok(u) = raw.parse::<u64>() {
                    visitor.visit_u64(u)
                } else if let Ok(i) = raw.parse::<i64>() {
                    visitor.visit_i64(i)
                } else {
                    visitor.visit_f64(raw.parse::<f64>().unwrap_or(f64::NAN))
                }
            }
        }
    }

    integer! {
        deserialize_u8 visit_u8 u8 => "uint8",
        deserialize_u16 visit_u16 u16 => "uint16",
        deserialize_u32 visit_u32 u32 => "uint32",
        deserialize_u64 visit_u64 u64 => "uint64",
        deserialize_i8 visit_i8 i8 => "int8",
        deserialize_i16 visit_i16 i16 => "int16",
        deserialize_i32 visit_i32 i32 => "int32",
        deserialize_i64 visit_i64 i64 => "int64",
        deserialize_f32 visit_f32 f32 => "float32",
        deserialize_f64 visit_f64 f64 => "float64",
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GoError> {
        let win = self.scalar("bool", |raw| match raw.as_bytes()[0] {
            b't' | b'f' => Ok(()),
            _ => Err(kind_of(raw).to_owned()),
        });
        visitor.visit_bool(win == Some("true"))
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GoError> {
        let win = self.scalar("string", |raw| match raw.as_bytes()[0] {
            b'"' => Ok(()),
            _ => Err(kind_of(raw).to_owned()),
        });
        // Field decoders of their own (Go's `UnmarshalText`, `[]byte`, `LexKey`): every
        // occurrence is decoded, the first failure aborts.
        // A bad base64 string is a saved error in Go (`[]byte` is decoded by `literalStore`);
        // `UnmarshalText` (UUID) and `UnmarshalJSON` (LexKey) errors abort at once.
        let check: Option<Check> = match self.ctx.hint {
            Some("uuid.UUID") => Some(|s| go_uuid(s).map_err(|e| e.0)),
            Some("lexkey.LexKey") => Some(|s| {
                crate::lexkey::LexKey::from_hex(s)
                    .map(|_| s.to_owned())
                    .map_err(|e| e.to_string())
            }),
            _ => None,
        };
        let mut last = None;
        for raw in &self.raws {
            if raw.starts_with('"') {
                let s = unquote(raw);
                last = Some(match check {
                    Some(check) => check(&s).map_err(GoError)?,
                    None if self.ctx.hint == Some("[]uint8") => match crate::b64::check(&s) {
                        Ok(()) => s,
                        Err(e) => {
                            self.save(raw, GoError(e));
                            String::new()
                        }
                    },
                    None => s,
                });
            } else if is_null(raw) && self.ctx.fresh {
                last = None;
            }
        }
        match (win, last) {
            (Some(_), Some(s))
                if !(self.ctx.fresh && self.raws.last().is_some_and(|r| is_null(r))) =>
            {
                visitor.visit_string(s)
            }
            // Nothing (valid) was given: the zero value.
            _ if self.ctx.hint == Some("uuid.UUID") => {
                visitor.visit_str("00000000-0000-0000-0000-000000000000")
            }
            _ => visitor.visit_str(""),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GoError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GoError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GoError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GoError> {
        self.deserialize_str(visitor)
    }

    /// `[]byte`, `LexKey`: `null` resets to nil.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GoError> {
        let raws = self.after_reset();
        if raws.is_empty() {
            return visitor.visit_none();
        }
        let ctx = self.ctx.clone();
        visitor.visit_some(self.with(raws, ctx))
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GoError> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, GoError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, GoError> {
        visitor.visit_newtype_struct(self)
    }

    /// Slices: `null` resets to nil; element `i` of every array decodes into the same element.
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GoError> {
        let mut arrays: Vec<Vec<&str>> = Vec::new();
        for raw in self.after_reset() {
            if raw.starts_with('[') {
                arrays.push(elements(raw));
            } else {
                self.save(raw, self.type_error(kind_of(raw), "[]interface {}"));
            }
        }
        let len = arrays.last().map_or(0, Vec::len);
        let items: Vec<Vec<&str>> = (0..len)
            .map(|i| arrays.iter().filter_map(|a| a.get(i).copied()).collect())
            .collect();
        let ctx = self.element_ctx();
        visitor.visit_seq(Seq {
            items: items.into_iter(),
            ctx,
        })
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, GoError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, GoError> {
        self.deserialize_seq(visitor)
    }

    /// Maps: `null` resets to nil; objects merge, a repeated key decodes into the same element.
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GoError> {
        let groups = self.grouped("map[string]interface {}", true, |k| Some(k.to_owned()));
        let ctx = Ctx {
            fresh: true,
            ..self.element_ctx()
        };
        visitor.visit_map(Map {
            groups: groups.into_iter(),
            pending: None,
            ctx,
            owner: None,
        })
    }

    /// Structs: `null` is a no-op; keys match exactly or else case-insensitively; unknown keys
    /// are skipped.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, GoError> {
        let owner = go_struct(name);
        let groups = self.grouped(&format!("api.{owner}"), false, |key| {
            fields
                .iter()
                .find(|f| **f == key)
                .or_else(|| fields.iter().find(|f| fold_eq(key, f)))
                .map(|f| (*f).to_owned())
        });
        let ctx = self.ctx.clone();
        visitor.visit_map(Map {
            groups: groups.into_iter(),
            pending: None,
            ctx,
            owner: Some(owner),
        })
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, GoError> {
        Err(GoError(
            "enums are not part of the streamkit wire format".to_owned(),
        ))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GoError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GoError> {
        visitor.visit_unit()
    }
}

/// google/uuid `ParseBytes` (v1.6), with its error texts; `Ok` is the canonical form.
fn go_uuid(s: &str) -> Result<String, GoError> {
    let b = s.as_bytes();
    let format = || GoError("invalid UUID format".to_owned());
    let hex: Vec<u8> = match b.len() {
        36 | 45 | 38 => {
            let body = match b.len() {
                45 => {
                    if !b[..9].eq_ignore_ascii_case(b"urn:uuid:") {
                        return Err(GoError(format!(
                            "invalid urn prefix: {:?}",
                            String::from_utf8_lossy(&b[..9])
                        )));
                    }
                    &b[9..]
                }
                38 => &b[1..37],
                _ => b,
            };
            if body[8] != b'-' || body[13] != b'-' || body[18] != b'-' || body[23] != b'-' {
                return Err(format());
            }
            body.iter().copied().filter(|c| *c != b'-').collect()
        }
        32 => b.to_vec(),
        n => return Err(GoError(format!("invalid UUID length: {n}"))),
    };
    if hex.len() != 32 || !hex.iter().all(u8::is_ascii_hexdigit) {
        return Err(format());
    }
    let bytes = hex::decode(&hex).map_err(|_| format())?;
    let id = uuid::Uuid::from_slice(&bytes).map_err(|_| format())?;
    Ok(id.hyphenated().to_string())
}

struct Seq<'a> {
    items: std::vec::IntoIter<Vec<&'a str>>,
    ctx: Ctx,
}

impl<'de> SeqAccess<'de> for Seq<'_> {
    type Error = GoError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, GoError> {
        match self.items.next() {
            Some(raws) => seed
                .deserialize(Value {
                    raws,
                    ctx: self.ctx.clone(),
                })
                .map(Some),
            None => Ok(None),
        }
    }
}

/// A struct's fields (`owner` = its Go name) or a map's elements, each with all its
/// occurrences.
struct Map<'a> {
    groups: std::vec::IntoIter<(String, Vec<&'a str>)>,
    pending: Option<(String, Vec<&'a str>)>,
    ctx: Ctx,
    owner: Option<&'static str>,
}

impl<'de> MapAccess<'de> for Map<'_> {
    type Error = GoError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, GoError> {
        let Some((key, raws)) = self.groups.next() else {
            return Ok(None);
        };
        let d: de::value::StrDeserializer<'_, GoError> = key.as_str().into_deserializer();
        let k = seed.deserialize(d)?;
        self.pending = Some((key, raws));
        Ok(Some(k))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, GoError> {
        let (key, raws) = self
            .pending
            .take()
            .ok_or_else(|| GoError("value without key".to_owned()))?;
        let ctx = match self.owner {
            Some(owner) => {
                let path = Some(Rc::new(Path {
                    parent: self.ctx.path.clone(),
                    field: Rc::from(key.as_str()),
                }));
                Ctx {
                    owner: Some(owner),
                    path,
                    hint: field_hint(&key),
                    fresh: false,
                    ..self.ctx.clone()
                }
            }
            None => self.ctx.clone(),
        };
        seed.deserialize(Value { raws, ctx })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::{ConsumeSegment, Entry, Peek, SubscribeWorkers, WorkerInventory};
    use std::collections::BTreeMap;

    fn err<T: DeserializeOwned + fmt::Debug>(s: &str) -> String {
        from_slice::<T>(s.as_bytes())
            .err()
            .map(|e| e.0)
            .unwrap_or_else(|| "<ok>".to_owned())
    }

    /// Each expectation below was produced by Go's `json.Unmarshal` (go1.19).
    #[test]
    fn go_semantics() {
        let p: Peek = from_slice(br#"{"space":null,"segment":null}"#).unwrap_or_default();
        assert_eq!(p, Peek::default());
        let p: Peek = from_slice(br#"{"Space":"a","SEGMENT":"b"}"#).unwrap_or_default();
        assert_eq!((p.space.as_str(), p.segment.as_str()), ("a", "b"));
        let p: Peek = from_slice(br#"{"space":"a","space":"b"}"#).unwrap_or_default();
        assert_eq!(p.space, "b");
        let p: Peek = from_slice("{\"\u{17f}pace\":\"x\"}".as_bytes()).unwrap_or_default();
        assert_eq!(p.space, "x");
        let c: ConsumeSegment =
            from_slice(br#"{"min_sequence":5,"min_sequence":null}"#).unwrap_or_default();
        assert_eq!(c.min_sequence, 5);
        let e: Entry = from_slice(br#"{"metadata":{"a":"1"},"metadata":{"b":"2"},"trx":null}"#)
            .unwrap_or_default();
        assert_eq!(e.metadata.len(), 2);
        let e: Entry = from_slice(br#"{"metadata":{"a":null}}"#).unwrap_or_default();
        assert_eq!(
            e.metadata,
            BTreeMap::from([("a".to_owned(), String::new())])
        );
        let w: WorkerInventory = from_slice(br#"{"workers":null}"#).unwrap_or_default();
        assert!(w.workers.is_empty());
        let e: Entry =
            from_slice(br#"{"payload":"eB==","space":"\ud800x\ud83d\ude00"}"#).unwrap_or_default();
        assert_eq!(e.payload.as_deref(), Some(&b"x"[..]));
        assert_eq!(e.space, "\u{fffd}x\u{1f600}");
        let e: Entry = from_slice(b"{\"space\":\"a\xffb\"}").unwrap_or_default();
        assert_eq!(e.space, "a\u{fffd}b");

        let cases: &[(&str, String)] = &[(r#"{"space":5}"#, err::<Peek>(r#"{"space":5}"#))];
        assert_eq!(
            cases[0].1,
            "json: cannot unmarshal number into Go struct field Peek.space of type string"
        );
        assert_eq!(
            err::<Peek>(r#"{"space":true}"#),
            "json: cannot unmarshal bool into Go struct field Peek.space of type string"
        );
        assert_eq!(
            err::<Peek>(r#"{"space":[1]}"#),
            "json: cannot unmarshal array into Go struct field Peek.space of type string"
        );
        assert_eq!(
            err::<Peek>(r#"{"space":{}}"#),
            "json: cannot unmarshal object into Go struct field Peek.space of type string"
        );
        assert_eq!(
            err::<Peek>(r#"{"space":1.5}"#),
            "json: cannot unmarshal number into Go struct field Peek.space of type string"
        );
        for (input, lit) in [
            ("-1", "-1"),
            ("1.5", "1.5"),
            ("1e2", "1e2"),
            ("18446744073709551616", "18446744073709551616"),
            ("-0", "-0"),
            ("0.0", "0.0"),
        ] {
            assert_eq!(
                err::<ConsumeSegment>(&format!(r#"{{"min_sequence":{input}}}"#)),
                format!(
                    "json: cannot unmarshal number {lit} into Go struct field ConsumeSegment.min_sequence of type uint64"
                )
            );
        }
        assert_eq!(
            err::<ConsumeSegment>(r#"{"min_timestamp":9223372036854775808}"#),
            "json: cannot unmarshal number 9223372036854775808 into Go struct field ConsumeSegment.min_timestamp of type int64"
        );
        assert_eq!(err::<ConsumeSegment>(r#"{"min_timestamp":-0}"#), "<ok>");
        assert_eq!(
            err::<ConsumeSegment>(r#"{"min_sequence":"1"}"#),
            "json: cannot unmarshal string into Go struct field ConsumeSegment.min_sequence of type uint64"
        );
        assert_eq!(
            err::<Entry>(r#"{"trx":{"number":"x"}}"#),
            "json: cannot unmarshal string into Go struct field TRX.trx.number of type uint64"
        );
        assert_eq!(
            err::<Entry>(r#"{"trx":5}"#),
            "json: cannot unmarshal number into Go struct field Entry.trx of type api.TRX"
        );
        assert_eq!(
            err::<Entry>(r#"{"payload":5}"#),
            "json: cannot unmarshal number into Go struct field Entry.payload of type []uint8"
        );
        assert_eq!(
            err::<Entry>(r#"{"payload":"eA"}"#),
            "illegal base64 data at input byte 0"
        );
        assert_eq!(
            err::<Entry>(r#"{"payload":"e A=="}"#),
            "illegal base64 data at input byte 1"
        );
        assert_eq!(
            err::<Entry>(r#"{"payload":"eA=x"}"#),
            "illegal base64 data at input byte 2"
        );
        assert_eq!(
            err::<Entry>(r#"{"payload":"eA==eA=="}"#),
            "illegal base64 data at input byte 4"
        );
        assert_eq!(
            err::<Entry>(r#"{"metadata":{"k":5}}"#),
            "json: cannot unmarshal number into Go struct field Entry.metadata of type string"
        );
        assert_eq!(
            err::<Entry>(r#"{"metadata":[]}"#),
            "json: cannot unmarshal array into Go struct field Entry.metadata of type map[string]string"
        );
        assert_eq!(
            err::<WorkerInventory>(r#"{"workers":[{"worker_id":1}]}"#),
            "json: cannot unmarshal number into Go struct field WorkerInfo.workers.worker_id of type uuid.UUID"
        );
        assert_eq!(
            err::<WorkerInventory>(r#"{"workers":{}}"#),
            "json: cannot unmarshal object into Go struct field WorkerInventory.workers of type []api.WorkerInfo"
        );
        assert_eq!(
            err::<SubscribeWorkers>(r#"{"worker_id":"abc"}"#),
            "invalid UUID length: 3"
        );
        assert_eq!(err::<SubscribeWorkers>(r#"{"worker_id":null}"#), "<ok>");
        assert_eq!(
            err::<Peek>(r#""x""#),
            "json: cannot unmarshal string into Go value of type api.Peek"
        );
        assert_eq!(
            err::<String>("5"),
            "json: cannot unmarshal number into Go value of type string"
        );
        assert_eq!(
            err::<Peek>("{\"space\":1 2}"),
            "invalid character '2' after object key:value pair"
        );
    }

    #[test]
    fn go_uuid_forms() {
        let want = Ok("6a1f0c2e-8d4b-4f3a-9b2c-7e5d1a0f9c88".to_owned());
        assert_eq!(go_uuid("6a1f0c2e-8d4b-4f3a-9b2c-7e5d1a0f9c88"), want);
        assert_eq!(go_uuid("6A1F0C2E-8D4B-4F3A-9B2C-7E5D1A0F9C88"), want);
        assert_eq!(
            go_uuid("URN:uuid:6a1f0c2e-8d4b-4f3a-9b2c-7e5d1a0f9c88"),
            want
        );
        assert_eq!(go_uuid("{6a1f0c2e-8d4b-4f3a-9b2c-7e5d1a0f9c88}"), want);
        assert_eq!(go_uuid("6a1f0c2e8d4b4f3a9b2c7e5d1a0f9c88"), want);
        assert_eq!(
            go_uuid(""),
            Err(GoError("invalid UUID length: 0".to_owned()))
        );
        assert_eq!(
            go_uuid("6a1f0c2e-8d4b-4f3a-9b2c-7e5d1a0f9c8z"),
            Err(GoError("invalid UUID format".to_owned()))
        );
    }

    #[test]
    fn tokenizer() {
        let m = members(r#" { "a" : [1, {"b":"}"}] , "\u0041\"" :"x\\" ,"c":{}} "#.trim());
        let keys: Vec<&str> = m.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, ["a", "A\"", "c"]);
        assert_eq!(m[0].1, r#"[1, {"b":"}"}]"#);
        assert_eq!(m[1].1, r#""x\\""#);
    }
}
