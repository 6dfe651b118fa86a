//! Text a server sent, made safe to show: cut to a length and with control characters escaped, so
//! that a hostile or broken server can neither make errors and logs arbitrarily large nor drive the
//! terminal they are printed on (ESC sequences, carriage returns that overwrite a line, BEL).

/// `text` with every control character (C0, DEL, C1) and every bidirectional-override character
/// written as a `\u{…}` escape (`\n`, `\r` and `\t` as those two-character escapes), and a backslash
/// as `\\` so that an escape cannot be forged, cut after `max_chars` characters of the original and
/// marked with `…` where cut. Text without such characters comes back as it is.
pub fn clip_escaped(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars.saturating_mul(4)));
    for (n, c) in text.chars().enumerate() {
        if n == max_chars {
            out.push('…');
            break;
        }
        push_escaped(&mut out, c);
    }
    out
}

/// [`clip_escaped`] without a length limit: for text already bounded (a table cell, a field of a
/// decoded reply).
pub fn escaped(text: &str) -> String {
    clip_escaped(text, usize::MAX)
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if c.is_control() || is_bidi_control(c) => {
            use std::fmt::Write;
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// The characters that reorder how a line is displayed (they can make text read differently from
/// what it is).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_long_texts_cut() {
        let cases = [
            ("plain text, é and 漢字", 100, "plain text, é and 漢字"),
            ("\u{1b}[31mred\u{7}", 100, "\\u{1b}[31mred\\u{7}"),
            ("a\r\nb\tc", 100, "a\\r\\nb\\tc"),
            ("back\\slash", 100, "back\\\\slash"),
            ("\u{9b}2J\u{7f}", 100, "\\u{9b}2J\\u{7f}"),
            ("\u{202e}txt.exe", 100, "\\u{202e}txt.exe"),
            ("abcdef", 3, "abc…"),
            ("abc", 3, "abc"),
            ("é\u{1b}éé", 2, "é\\u{1b}…"),
            ("", 0, ""),
            ("x", 0, "…"),
        ];
        for (text, max, want) in cases {
            assert_eq!(clip_escaped(text, max), want, "{text:?} at {max}");
        }
        assert_eq!(escaped(&"\u{1b}".repeat(3)), "\\u{1b}\\u{1b}\\u{1b}");
    }
}
