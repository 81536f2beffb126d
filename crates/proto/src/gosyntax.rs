//! Go's JSON syntax check (`encoding/json` `checkValid`, scanner.go), for its exact error texts:
//! `unexpected end of JSON input`, `invalid character 'h' looking for beginning of value`, …
//! Go runs this over the whole input before decoding anything, so a syntax error always wins
//! over a type error.

#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    BeginValueOrEmpty,
    BeginValue,
    BeginStringOrEmpty,
    BeginString,
    EndValue,
    EndTop,
    InString,
    InStringEsc,
    InStringEscU,
    InStringEscU1,
    InStringEscU12,
    InStringEscU123,
    Neg,
    One,
    Zero,
    Dot,
    Dot0,
    E,
    ESign,
    E0,
    T,
    Tr,
    Tru,
    F,
    Fa,
    Fal,
    Fals,
    N,
    Nu,
    Nul,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Parse {
    ObjectKey,
    ObjectValue,
    ArrayValue,
}

const MAX_NESTING_DEPTH: usize = 10_000;

struct Scanner {
    step: Step,
    stack: Vec<Parse>,
    end_top: bool,
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// Go's `quoteChar`: the offending byte as a Go character literal.
fn quote_char(c: u8) -> String {
    match c {
        b'\'' => "'\\''".to_owned(),
        b'"' => "'\"'".to_owned(),
        b'\\' => "'\\\\'".to_owned(),
        0x07 => "'\\a'".to_owned(),
        0x08 => "'\\b'".to_owned(),
        0x0c => "'\\f'".to_owned(),
        b'\n' => "'\\n'".to_owned(),
        b'\r' => "'\\r'".to_owned(),
        b'\t' => "'\\t'".to_owned(),
        0x0b => "'\\v'".to_owned(),
        0x00..=0x1f | 0x7f => format!("'\\x{c:02x}'"),
        // Go quotes `string(c)`, i.e. the rune U+00XX: C1 controls, NBSP and SHY are not printable.
        0x80..=0xa0 | 0xad => format!("'\\u{:04x}'", u32::from(c)),
        _ => format!("'{}'", char::from(c)),
    }
}

fn invalid(c: u8, context: &str) -> String {
    format!("invalid character {} {context}", quote_char(c))
}

impl Scanner {
    fn push(&mut self, p: Parse, next: Step) -> Result<(), String> {
        self.step = next;
        self.stack.push(p);
        if self.stack.len() > MAX_NESTING_DEPTH {
            return Err("exceeded max depth".to_owned());
        }
        Ok(())
    }

    fn pop(&mut self) {
        self.stack.pop();
        if self.stack.is_empty() {
            self.step = Step::EndTop;
            self.end_top = true;
        } else {
            self.step = Step::EndValue;
        }
    }

    fn begin_value(&mut self, c: u8) -> Result<(), String> {
        if is_space(c) {
            return Ok(());
        }
        match c {
            b'{' => return self.push(Parse::ObjectKey, Step::BeginStringOrEmpty),
            b'[' => return self.push(Parse::ArrayValue, Step::BeginValueOrEmpty),
            b'"' => self.step = Step::InString,
            b'-' => self.step = Step::Neg,
            b'0' => self.step = Step::Zero,
            b't' => self.step = Step::T,
            b'f' => self.step = Step::F,
            b'n' => self.step = Step::N,
            b'1'..=b'9' => self.step = Step::One,
            _ => return Err(invalid(c, "looking for beginning of value")),
        }
        Ok(())
    }

    fn begin_string(&mut self, c: u8) -> Result<(), String> {
        if is_space(c) {
            return Ok(());
        }
        if c == b'"' {
            self.step = Step::InString;
            return Ok(());
        }
        Err(invalid(c, "looking for beginning of object key string"))
    }

    fn end_value(&mut self, c: u8) -> Result<(), String> {
        let Some(&top) = self.stack.last() else {
            self.step = Step::EndTop;
            self.end_top = true;
            return self.end_top(c);
        };
        if is_space(c) {
            self.step = Step::EndValue;
            return Ok(());
        }
        match top {
            Parse::ObjectKey => {
                if c == b':' {
                    *self.stack.last_mut().unwrap_or(&mut Parse::ObjectKey) = Parse::ObjectValue;
                    self.step = Step::BeginValue;
                    return Ok(());
                }
                Err(invalid(c, "after object key"))
            }
            Parse::ObjectValue => {
                if c == b',' {
                    *self.stack.last_mut().unwrap_or(&mut Parse::ObjectValue) = Parse::ObjectKey;
                    self.step = Step::BeginString;
                    return Ok(());
                }
                if c == b'}' {
                    self.pop();
                    return Ok(());
                }
                Err(invalid(c, "after object key:value pair"))
            }
            Parse::ArrayValue => {
                if c == b',' {
                    self.step = Step::BeginValue;
                    return Ok(());
                }
                if c == b']' {
                    self.pop();
                    return Ok(());
                }
                Err(invalid(c, "after array element"))
            }
        }
    }

    fn end_top(&mut self, c: u8) -> Result<(), String> {
        if is_space(c) {
            Ok(())
        } else {
            Err(invalid(c, "after top-level value"))
        }
    }

    fn literal(&mut self, c: u8, want: u8, next: Step, what: &str) -> Result<(), String> {
        if c == want {
            self.step = next;
            Ok(())
        } else {
            Err(invalid(
                c,
                &format!("in literal {what} (expecting '{}')", char::from(want)),
            ))
        }
    }

    fn step(&mut self, c: u8) -> Result<(), String> {
        match self.step {
            Step::BeginValueOrEmpty => {
                if is_space(c) {
                    Ok(())
                } else if c == b']' {
                    self.end_value(c)
                } else {
                    self.begin_value(c)
                }
            }
            Step::BeginValue => self.begin_value(c),
            Step::BeginStringOrEmpty => {
                if is_space(c) {
                    Ok(())
                } else if c == b'}' {
                    *self.stack.last_mut().unwrap_or(&mut Parse::ObjectValue) = Parse::ObjectValue;
                    self.end_value(c)
                } else {
                    self.begin_string(c)
                }
            }
            Step::BeginString => self.begin_string(c),
            Step::EndValue => self.end_value(c),
            Step::EndTop => self.end_top(c),
            Step::InString => {
                match c {
                    b'"' => self.step = Step::EndValue,
                    b'\\' => self.step = Step::InStringEsc,
                    0x00..=0x1f => return Err(invalid(c, "in string literal")),
                    _ => {}
                }
                Ok(())
            }
            Step::InStringEsc => match c {
                b'b' | b'f' | b'n' | b'r' | b't' | b'\\' | b'/' | b'"' => {
                    self.step = Step::InString;
                    Ok(())
                }
                b'u' => {
                    self.step = Step::InStringEscU;
                    Ok(())
                }
                _ => Err(invalid(c, "in string escape code")),
            },
            Step::InStringEscU
            | Step::InStringEscU1
            | Step::InStringEscU12
            | Step::InStringEscU123 => {
                if !c.is_ascii_hexdigit() {
                    return Err(invalid(c, "in \\u hexadecimal character escape"));
                }
                self.step = match self.step {
                    Step::InStringEscU => Step::InStringEscU1,
                    Step::InStringEscU1 => Step::InStringEscU12,
                    Step::InStringEscU12 => Step::InStringEscU123,
                    _ => Step::InString,
                };
                Ok(())
            }
            Step::Neg => match c {
                b'0' => {
                    self.step = Step::Zero;
                    Ok(())
                }
                b'1'..=b'9' => {
                    self.step = Step::One;
                    Ok(())
                }
                _ => Err(invalid(c, "in numeric literal")),
            },
            Step::One => {
                if c.is_ascii_digit() {
                    Ok(())
                } else {
                    self.zero(c)
                }
            }
            Step::Zero => self.zero(c),
            Step::Dot => {
                if c.is_ascii_digit() {
                    self.step = Step::Dot0;
                    Ok(())
                } else {
                    Err(invalid(c, "after decimal point in numeric literal"))
                }
            }
            Step::Dot0 => {
                if c.is_ascii_digit() {
                    Ok(())
                } else if c == b'e' || c == b'E' {
                    self.step = Step::E;
                    Ok(())
                } else {
                    self.end_value(c)
                }
            }
            Step::E => {
                if c == b'+' || c == b'-' {
                    self.step = Step::ESign;
                    Ok(())
                } else {
                    self.e_sign(c)
                }
            }
            Step::ESign => self.e_sign(c),
            Step::E0 => {
                if c.is_ascii_digit() {
                    Ok(())
                } else {
                    self.end_value(c)
                }
            }
            Step::T => self.literal(c, b'r', Step::Tr, "true"),
            Step::Tr => self.literal(c, b'u', Step::Tru, "true"),
            Step::Tru => self.literal(c, b'e', Step::EndValue, "true"),
            Step::F => self.literal(c, b'a', Step::Fa, "false"),
            Step::Fa => self.literal(c, b'l', Step::Fal, "false"),
            Step::Fal => self.literal(c, b's', Step::Fals, "false"),
            Step::Fals => self.literal(c, b'e', Step::EndValue, "false"),
            Step::N => self.literal(c, b'u', Step::Nu, "null"),
            Step::Nu => self.literal(c, b'l', Step::Nul, "null"),
            Step::Nul => self.literal(c, b'l', Step::EndValue, "null"),
        }
    }

    fn zero(&mut self, c: u8) -> Result<(), String> {
        match c {
            b'.' => {
                self.step = Step::Dot;
                Ok(())
            }
            b'e' | b'E' => {
                self.step = Step::E;
                Ok(())
            }
            _ => self.end_value(c),
        }
    }

    fn e_sign(&mut self, c: u8) -> Result<(), String> {
        if c.is_ascii_digit() {
            self.step = Step::E0;
            Ok(())
        } else {
            Err(invalid(c, "in exponent of numeric literal"))
        }
    }
}

/// `Ok` if `data` is one valid JSON value (surrounded by optional whitespace), else Go's
/// `SyntaxError` text.
pub(crate) fn check_valid(data: &[u8]) -> Result<(), String> {
    let mut s = Scanner {
        step: Step::BeginValue,
        stack: Vec::new(),
        end_top: false,
    };
    for &c in data {
        s.step(c)?;
    }
    // Go's `eof()`: a number or literal may still need a delimiter to finish.
    if s.end_top {
        return Ok(());
    }
    s.step(b' ')?;
    if s.end_top {
        return Ok(());
    }
    Err("unexpected end of JSON input".to_owned())
}

#[cfg(test)]
mod tests {
    use super::check_valid;

    /// Expected texts produced by Go's `json.Unmarshal` (go1.19, `encoding/json`).
    #[test]
    fn go_texts() {
        let cases: &[(&[u8], &str)] = &[
            (b"", "unexpected end of JSON input"),
            (b" ", "unexpected end of JSON input"),
            (
                b"hello",
                "invalid character 'h' looking for beginning of value",
            ),
            (b"{", "unexpected end of JSON input"),
            (b"{\"a\"", "unexpected end of JSON input"),
            (b"{\"a\":1,", "unexpected end of JSON input"),
            (b"{\"a\" 1}", "invalid character '1' after object key"),
            (
                b"{\"a\":1 2}",
                "invalid character '2' after object key:value pair",
            ),
            (
                b"{1:2}",
                "invalid character '1' looking for beginning of object key string",
            ),
            (b"[1 2]", "invalid character '2' after array element"),
            (
                b"[1,]",
                "invalid character ']' looking for beginning of value",
            ),
            (b"{}x", "invalid character 'x' after top-level value"),
            (b"{} {}", "invalid character '{' after top-level value"),
            (b"\"abc", "unexpected end of JSON input"),
            (b"\"a\x01\"", "invalid character '\\x01' in string literal"),
            (b"\"\\x\"", "invalid character 'x' in string escape code"),
            (
                b"\"\\u12g4\"",
                "invalid character 'g' in \\u hexadecimal character escape",
            ),
            (b"-", "invalid character ' ' in numeric literal"),
            (b"-a", "invalid character 'a' in numeric literal"),
            (b"01", "invalid character '1' after top-level value"),
            (
                b"1.",
                "invalid character ' ' after decimal point in numeric literal",
            ),
            (
                b"1.a",
                "invalid character 'a' after decimal point in numeric literal",
            ),
            (
                b"1e",
                "invalid character ' ' in exponent of numeric literal",
            ),
            (
                b"1e+",
                "invalid character ' ' in exponent of numeric literal",
            ),
            (
                b"tru",
                "invalid character ' ' in literal true (expecting 'e')",
            ),
            (
                b"trux",
                "invalid character 'x' in literal true (expecting 'e')",
            ),
            (
                b"fals",
                "invalid character ' ' in literal false (expecting 'e')",
            ),
            (
                b"nulx",
                "invalid character 'x' in literal null (expecting 'l')",
            ),
            (
                b"{\"a\":tx}",
                "invalid character 'x' in literal true (expecting 'r')",
            ),
            (
                "é".as_bytes(),
                "invalid character 'Ã' looking for beginning of value",
            ),
            (
                b"'a'",
                "invalid character '\\'' looking for beginning of value",
            ),
            (b"{\"a\":1}}", "invalid character '}' after top-level value"),
            (b"{\"a\":[1,2}", "invalid character '}' after array element"),
            (
                b"\t\n{\"a\"\n:\n1,}",
                "invalid character '}' looking for beginning of object key string",
            ),
            (
                b"\x00",
                "invalid character '\\x00' looking for beginning of value",
            ),
            (
                b"\x7f",
                "invalid character '\\x7f' looking for beginning of value",
            ),
            (b"]", "invalid character ']' looking for beginning of value"),
            (
                b"{,}",
                "invalid character ',' looking for beginning of object key string",
            ),
            (b"{\"a\":1,\"b\"}", "invalid character '}' after object key"),
            (
                b"nan",
                "invalid character 'a' in literal null (expecting 'u')",
            ),
            (
                b"+1",
                "invalid character '+' looking for beginning of value",
            ),
            (b"1.5.6", "invalid character '.' after top-level value"),
            (
                b"\x80",
                "invalid character '\\u0080' looking for beginning of value",
            ),
            (
                b"\x9f",
                "invalid character '\\u009f' looking for beginning of value",
            ),
            (
                b"\xa0",
                "invalid character '\\u00a0' looking for beginning of value",
            ),
            (
                b"\xa1",
                "invalid character '\u{a1}' looking for beginning of value",
            ),
            (
                b"\xad",
                "invalid character '\\u00ad' looking for beginning of value",
            ),
            (
                b"\xff",
                "invalid character '\u{ff}' looking for beginning of value",
            ),
            (
                b"\\",
                "invalid character '\\\\' looking for beginning of value",
            ),
            (
                b"\x07",
                "invalid character '\\a' looking for beginning of value",
            ),
            (
                b"\x0b",
                "invalid character '\\v' looking for beginning of value",
            ),
            (
                b"\x1b",
                "invalid character '\\x1b' looking for beginning of value",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(
                check_valid(input).err().as_deref(),
                Some(*want),
                "{input:?}"
            );
        }
        for ok in [
            &b"{\"a\":\"\\ud800\"}"[..],
            b"1",
            b" [ ] ",
            b"{}",
            b"-0.5e+3",
            b"\"\xff\"",
        ] {
            assert_eq!(check_valid(ok), Ok(()), "{ok:?}");
        }
    }
}
