"""The JSONC parser: VS Code's settings syntax, the line of every key, errors with lines, and no
hang or deep recursion on hostile input."""

from __future__ import annotations

import contextlib
import time

import pytest

from goenv_tui.jsonc.parse import MAX_DEPTH, JsoncError, parse, parse_with_lines

SETTINGS = """\
// user settings
{
  /* the Go extension
     block comment spanning lines */
  "go.goroot": "/usr/local/go", // trailing comment
  "go.toolsEnvVars": {
    "GOFLAGS": "-tags=integration",
    "GOPRIVATE": "example.com/*", // a // inside a string is text, not a comment
  },
  "url": "https://proxy.golang.org",
  "list": [
    1,
    {"deep": {"er": true}},
  ],
  "gopls": {"ui.semanticTokens": true},
}
"""


def test_comments_trailing_commas_and_lines() -> None:
    value, lines = parse_with_lines(SETTINGS)
    assert value == {
        "go.goroot": "/usr/local/go",
        "go.toolsEnvVars": {"GOFLAGS": "-tags=integration", "GOPRIVATE": "example.com/*"},
        "url": "https://proxy.golang.org",
        "list": [1, {"deep": {"er": True}}],
        "gopls": {"ui.semanticTokens": True},
    }
    assert lines[("go.goroot",)] == 5
    assert lines[("go.toolsEnvVars",)] == 6
    assert lines[("go.toolsEnvVars", "GOFLAGS")] == 7
    assert lines[("go.toolsEnvVars", "GOPRIVATE")] == 8
    assert lines[("list", 0)] == 12
    assert lines[("list", 1, "deep", "er")] == 13
    assert lines[("gopls", "ui.semanticTokens")] == 15


def test_escapes() -> None:
    text = r'{"a": "q\"b\\s\/n\nt\tu\u00e9", "emoji": "\ud83d\ude00", "lone": "\ud800x", "tab": "a	b"}'
    assert parse(text) == {"a": 'q"b\\s/n\nt\tué', "emoji": "😀", "lone": "\ufffdx", "tab": "a\tb"}


def test_numbers_literals_and_top_level_values() -> None:
    assert parse('[0, -1, 2.5, 1e3, -0.5E-2, true, false, null]') == [0, -1, 2.5, 1000.0, -0.005, True, False, None]
    assert parse('  "just a string"  ') == "just a string"
    assert parse("{}") == {} and parse("[]") == [] and parse("[1,]") == [1]


def test_line_breaks_crlf_cr_and_bom() -> None:
    _, lines = parse_with_lines('\ufeff{\r\n"a": 1,\r\n"b": 2,\r"c": 3\n}')
    assert lines == {("a",): 2, ("b",): 3, ("c",): 4}


def test_duplicate_key_last_wins_and_drops_old_lines() -> None:
    value, lines = parse_with_lines('{\n"a": {"x": 1},\n"a": {"y": 2}\n}')
    assert value == {"a": {"y": 2}}
    assert lines == {("a",): 3, ("a", "y"): 3}


def test_empty_document() -> None:
    assert parse_with_lines("  // nothing\n/* at all */\n", allow_empty=True) == (None, {})
    with pytest.raises(JsoncError) as e:
        parse("// nothing\n")
    assert e.value.line == 2 and "empty" in e.value.message


@pytest.mark.parametrize(("text", "line", "words"), [
    ('{\n  "a": 1\n  "b": 2\n}', 3, "comma is probably missing"),
    ('{\n  "a": "unterminated\n}', 2, "not closed"),
    ('{\n  "a": 1,\n  /* never closed\n}', 3, "*/ missing"),
    ('{\n  "a": [1, 2\n', 3, "never closed"),
    ('{\n  "a": {\n', 3, "object opened on line 2 is never closed"),
    ("{\n  'a': 1\n}", 2, "double quotes"),
    ('{\n  a: 1\n}', 2, "property name in double quotes"),
    ('{\n  "a": yes\n}', 2, "unexpected word `yes`"),
    ('{\n  "a": "bad \\q escape"\n}', 2, "invalid escape `\\q`"),
    ('{\n  "a": "\\u12"\n}', 2, "four hex digits"),
    ('{\n  "a": 01\n}', 2, "invalid number"),
    ('{\n  "a": 1\n}\n}', 4, "after the end"),
    ('{\n  "a" 1\n}', 2, "expected `:`"),
    ('[\n1,\n,\n]', 3, "expected a value before `,`"),
    ('{\n  "a":\n', 3, "file ends here"),
])
def test_errors_name_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(JsoncError) as e:
        parse(text)
    assert e.value.line == line, e.value
    assert words in e.value.message
    assert str(e.value).startswith(f"line {line}: ")


def test_nesting_is_capped() -> None:
    ok = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert parse(ok) is not None
    with pytest.raises(JsoncError) as e:
        parse("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    assert "nested more than 200 levels" in e.value.message
    with pytest.raises(JsoncError):
        parse('{"a":' * 100_000)


def test_hostile_input_is_fast() -> None:
    start = time.monotonic()
    for text in ("[" * 1_000_000, "/*" + "x" * 2_000_000, '"' + "a" * 2_000_000, "{" + '"k":1,' * 200_000 + "}",
                 "\n" * 1_000_000 + "x", "//" * 500_000):
        with contextlib.suppress(JsoncError):
            parse(text)
    assert time.monotonic() - start < 10
