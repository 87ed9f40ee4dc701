"""Editing settings.json text: replace, insert and remove keys at the top level and one level deep,
with comments, blank lines, indentation, line endings and the trailing-comma style kept exactly."""

from __future__ import annotations

import pytest

from goenv_tui.jsonc.edit import remove_key, set_value
from goenv_tui.jsonc.parse import JsoncError, parse

SETTINGS = """\
// user settings
{
  /* the Go extension
     block comment spanning lines */
  "go.goroot": "/usr/local/go", // trailing comment

  "go.toolsEnvVars": {
    // flags for gopls
    "GOFLAGS": "-mod=vendor",
    "GOPRIVATE": "example.com/*" /* why, } { " */
  },
  "url": "https://proxy.golang.org, // not a comment",
  "editor.tabSize": 4
}
"""

TRAILING = """\
{
    "go.useLanguageServer": false,
    "go.toolsEnvVars": {
        "GOFLAGS": "-tags=x",
    },
}
"""


def lines_kept(before: str, after: str, *lines: str) -> None:
    for line in lines:
        assert line in before.splitlines(keepends=True)
        assert line in after.splitlines(keepends=True), line


# --- replace ------------------------------------------------------------------------------------

def test_replace_top_level_value_in_place() -> None:
    out = set_value(SETTINGS, ("go.goroot",), "/opt/go")
    assert out == SETTINGS.replace('"go.goroot": "/usr/local/go"', '"go.goroot": "/opt/go"')


def test_replace_nested_value_in_place() -> None:
    out = set_value(SETTINGS, ("go.toolsEnvVars", "GOPRIVATE"), "corp.example/*")
    assert out == SETTINGS.replace('"example.com/*" /*', '"corp.example/*" /*')
    assert parse(out)["go.toolsEnvVars"] == {"GOFLAGS": "-mod=vendor", "GOPRIVATE": "corp.example/*"}


def test_replace_with_other_types_serialized_by_json_dumps() -> None:
    assert set_value(SETTINGS, ("editor.tabSize",), 2).endswith('  "editor.tabSize": 2\n}\n')
    assert '"go.goroot": null, // trailing comment' in set_value(SETTINGS, ("go.goroot",), None)
    assert '"url": "a \\"quoted\\" \\\\ path", ' not in set_value(SETTINGS, ("url",), 'a "quoted" \\ path')
    assert '"url": "a \\"quoted\\" \\\\ path",\n' in set_value(SETTINGS, ("url",), 'a "quoted" \\ path')
    assert '"url": "überall",' in set_value(SETTINGS, ("url",), "überall")


def test_replace_an_object_value_is_indented_like_the_file() -> None:
    out = set_value(TRAILING, ("go.toolsEnvVars",), {"GOFLAGS": "-v", "GOPROXY": "direct"})
    assert out == """\
{
    "go.useLanguageServer": false,
    "go.toolsEnvVars": {
        "GOFLAGS": "-v",
        "GOPROXY": "direct"
    },
}
"""


def test_replace_the_last_of_duplicate_keys() -> None:
    text = '{\n  "a": 1,\n  "a": 2\n}\n'
    assert set_value(text, ("a",), 3) == '{\n  "a": 1,\n  "a": 3\n}\n'


# --- insert -------------------------------------------------------------------------------------

def test_insert_top_level_without_trailing_comma() -> None:
    out = set_value(SETTINGS, ("go.useLanguageServer",), True)
    assert out == SETTINGS.replace('  "editor.tabSize": 4\n}',
                                   '  "editor.tabSize": 4,\n  "go.useLanguageServer": true\n}')


def test_insert_keeps_the_comment_after_the_previous_value() -> None:
    text = '{\n  "a": 1 // one\n}\n'
    assert set_value(text, ("b",), 2) == '{\n  "a": 1, // one\n  "b": 2\n}\n'
    text = '{\n  "a": 1, /* one */ // and more\n}\n'
    assert set_value(text, ("b",), 2) == '{\n  "a": 1, /* one */ // and more\n  "b": 2,\n}\n'


def test_insert_keeps_trailing_comma_style() -> None:
    out = set_value(TRAILING, ("go.goroot",), "/usr/local/go")
    assert out == TRAILING.replace('    },\n}', '    },\n    "go.goroot": "/usr/local/go",\n}')


def test_insert_one_level_deep() -> None:
    out = set_value(SETTINGS, ("go.toolsEnvVars", "GOPROXY"), "direct")
    assert out == SETTINGS.replace('    "GOPRIVATE": "example.com/*" /* why, } { " */\n',
                                   '    "GOPRIVATE": "example.com/*", /* why, } { " */\n    "GOPROXY": "direct"\n')
    out = set_value(TRAILING, ("go.toolsEnvVars", "GOPROXY"), "direct")
    assert out == TRAILING.replace('"-tags=x",\n', '"-tags=x",\n        "GOPROXY": "direct",\n')


def test_insert_creates_the_missing_object() -> None:
    out = set_value(TRAILING, ("go.alternateTools", "go"), "/usr/local/go/bin/go")
    assert out == TRAILING.replace('    },\n}', '    },\n    "go.alternateTools": {\n'
                                               '        "go": "/usr/local/go/bin/go"\n    },\n}')


def test_insert_into_empty_objects() -> None:
    assert set_value("{}", ("a",), 1) == '{\n    "a": 1\n}'
    assert set_value("{ }\n", ("a",), 1) == '{\n    "a": 1\n}\n'
    assert set_value("{\n}\n", ("a",), 1) == '{\n    "a": 1\n}\n'
    text = '{\n  "editor.tabSize": 2,\n  "go.toolsEnvVars": {},\n}\n'
    assert set_value(text, ("go.toolsEnvVars", "GOFLAGS"), "-v") == (
        '{\n  "editor.tabSize": 2,\n  "go.toolsEnvVars": {\n    "GOFLAGS": "-v"\n  },\n}\n')
    # comments inside an otherwise empty object stay, and the new key goes after them
    text = '{\n  // nothing yet\n  /* really */\n}\n'
    assert set_value(text, ("a",), True) == '{\n  // nothing yet\n  /* really */\n  "a": true\n}\n'


def test_insert_into_inline_objects() -> None:
    assert set_value('{"a": 1}', ("b",), [1, 2]) == '{"a": 1, "b": [1, 2]}'
    assert set_value('{"a": 1,}', ("b",), "x") == '{"a": 1, "b": "x",}'
    assert set_value('{"t": {"a": 1}}\n', ("t", "b"), 2) == '{"t": {"a": 1, "b": 2}}\n'


def test_empty_or_comment_only_document_gets_an_object() -> None:
    assert set_value("", ("a",), 1) == '{\n    "a": 1\n}\n'
    assert set_value("// my settings\n", ("t", "b"), 2) == '// my settings\n{\n    "t": {\n        "b": 2\n    }\n}\n'


def test_indentation_follows_the_file() -> None:
    tabs = '{\n\t"a": {\n\t\t"x": 1\n\t}\n}\n'
    assert set_value(tabs, ("b",), {"y": 2}) == '{\n\t"a": {\n\t\t"x": 1\n\t},\n\t"b": {\n\t\t"y": 2\n\t}\n}\n'
    assert set_value(tabs, ("a", "z"), 3) == '{\n\t"a": {\n\t\t"x": 1,\n\t\t"z": 3\n\t}\n}\n'
    two = '{\n  "a": {}\n}\n'
    assert set_value(two, ("a", "x"), 1) == '{\n  "a": {\n    "x": 1\n  }\n}\n'


# --- remove -------------------------------------------------------------------------------------

def test_remove_top_level_key_keeps_comments_on_other_lines() -> None:
    out = remove_key(SETTINGS, ("go.goroot",))
    # the comment on the same line after the value goes with it; the block comment above stays
    assert out == SETTINGS.replace('  "go.goroot": "/usr/local/go", // trailing comment\n', "")
    lines_kept(SETTINGS, out, "// user settings\n", "  /* the Go extension\n", "     block comment spanning lines */\n", "\n")


def test_remove_last_key_drops_the_comma_before_it() -> None:
    out = remove_key(SETTINGS, ("editor.tabSize",))
    assert out == SETTINGS.replace('  "url": "https://proxy.golang.org, // not a comment",\n  "editor.tabSize": 4\n',
                                   '  "url": "https://proxy.golang.org, // not a comment"\n')
    text = '{\n  "a": 1, // one\n  "b": 2\n}\n'
    assert remove_key(text, ("b",)) == '{\n  "a": 1 // one\n}\n'


def test_remove_with_trailing_commas() -> None:
    assert remove_key(TRAILING, ("go.useLanguageServer",)) == TRAILING.replace('    "go.useLanguageServer": false,\n', "")
    out = remove_key(TRAILING, ("go.toolsEnvVars",))
    assert out == '{\n    "go.useLanguageServer": false,\n}\n'


def test_remove_one_level_deep() -> None:
    out = remove_key(SETTINGS, ("go.toolsEnvVars", "GOFLAGS"))
    assert out == SETTINGS.replace('    "GOFLAGS": "-mod=vendor",\n', "")
    lines_kept(SETTINGS, out, "    // flags for gopls\n")
    out = remove_key(SETTINGS, ("go.toolsEnvVars", "GOPRIVATE"))
    assert out == SETTINGS.replace('    "GOFLAGS": "-mod=vendor",\n    "GOPRIVATE": "example.com/*" /* why, } { " */\n',
                                   '    "GOFLAGS": "-mod=vendor"\n')


def test_remove_the_only_key_leaves_an_empty_object() -> None:
    text = '{\n  "go.toolsEnvVars": {\n    "GOFLAGS": "-mod=vendor"\n  },\n  "x": 1\n}\n'
    assert remove_key(text, ("go.toolsEnvVars", "GOFLAGS")) == '{\n  "go.toolsEnvVars": {},\n  "x": 1\n}\n'
    assert remove_key('{"a": 1}\n', ("a",)) == "{}\n"
    assert remove_key('{ "a": 1 }', ("a",)) == "{}"
    # a comment inside stays, so the object is not collapsed
    text = '{\n  "t": {\n    // keep\n    "a": 1\n  }\n}\n'
    assert remove_key(text, ("t", "a")) == '{\n  "t": {\n    // keep\n  }\n}\n'


def test_remove_a_multi_line_value() -> None:
    text = '{\n  "a": 0,\n  "t": {\n    "x": 1, // inner\n    "y": [\n      2\n    ]\n  },\n  // after\n  "b": 3\n}\n'
    assert remove_key(text, ("t",)) == '{\n  "a": 0,\n  // after\n  "b": 3\n}\n'


def test_remove_in_inline_objects() -> None:
    assert remove_key('{"a": 1, "b": 2}', ("a",)) == '{"b": 2}'
    assert remove_key('{"a": 1, "b": 2}', ("b",)) == '{"a": 1}'
    assert remove_key('{"a": 1, "b": 2, }', ("b",)) == '{"a": 1, }'
    assert remove_key('{"t": {"a": 1, "b": 2}, "c": 3}\n', ("t", "a")) == '{"t": {"b": 2}, "c": 3}\n'
    assert remove_key('{ "a": 1, // about a\n  "b": 2\n}', ("a",)) == '{\n  "b": 2\n}'
    text = '{\n  "a": 1, /* between */ "b": 2\n}\n'
    assert remove_key(text, ("b",)) == '{\n  "a": 1 /* between */\n}\n'


def test_remove_every_duplicate() -> None:
    text = '{\n  "a": 1,\n  "b": 2,\n  "a": 3\n}\n'
    assert remove_key(text, ("a",)) == '{\n  "b": 2\n}\n'


def test_strings_and_comments_are_not_syntax() -> None:
    text = '{\n  "a//b": "x /* y */ , }", /* "a": 9, } */\n  // "b": 1,\n  "b": "{\\"c\\": 1}"\n}\n'
    out = remove_key(text, ("a//b",))
    assert out == '{\n  // "b": 1,\n  "b": "{\\"c\\": 1}"\n}\n'
    assert parse(out) == {"b": '{"c": 1}'}
    assert remove_key(text, ("a",)) == text  # only inside a comment
    out = set_value(text, ("b",), "}")
    assert out == text.replace('"{\\"c\\": 1}"', '"}"')


# --- line endings, idempotence, errors ------------------------------------------------------------

def test_crlf_line_endings_are_kept() -> None:
    text = SETTINGS.replace("\n", "\r\n")
    for out in (set_value(text, ("go.useLanguageServer",), False), set_value(text, ("go.toolsEnvVars", "X"), "1"),
                set_value(text, ("go.alternateTools",), {"go": "/g"}), remove_key(text, ("go.goroot",)),
                remove_key(text, ("editor.tabSize",)), remove_key(text, ("go.toolsEnvVars", "GOPRIVATE"))):
        assert "\n" not in out.replace("\r\n", ""), out
        assert out.replace("\r\n", "\n") != SETTINGS
    assert remove_key(text, ("go.goroot",)) == remove_key(SETTINGS, ("go.goroot",)).replace("\n", "\r\n")
    assert (set_value(text, ("go.alternateTools",), {"go": "/g"})
            == set_value(SETTINGS, ("go.alternateTools",), {"go": "/g"}).replace("\n", "\r\n"))
    assert set_value("{}\r\n", ("a",), 1) == '{\r\n    "a": 1\r\n}\r\n'
    assert remove_key('{\r\n  "a": 1\r\n}\r\n', ("a",)) == "{}\r\n"


def test_a_byte_order_mark_is_kept() -> None:
    text = '\ufeff{\n  "a": 1\n}\n'
    assert set_value(text, ("b",), 2) == '\ufeff{\n  "a": 1,\n  "b": 2\n}\n'
    assert remove_key(text, ("a",)) == "\ufeff{}\n"


def test_idempotent() -> None:
    once = set_value(SETTINGS, ("go.toolsEnvVars", "GOFLAGS"), "-v")
    assert set_value(once, ("go.toolsEnvVars", "GOFLAGS"), "-v") == once
    assert set_value(SETTINGS, ("editor.tabSize",), 4) is SETTINGS
    # the same value spelled differently is still the same value
    assert set_value('{"t": { "b" : 1, "a": [ 1 ] }}', ("t",), {"a": [1], "b": 1}) == '{"t": { "b" : 1, "a": [ 1 ] }}'
    # but 1 is not true, and 1 is not 1.0
    assert set_value('{"a": 1}', ("a",), True) == '{"a": true}'
    assert set_value('{"a": 1}', ("a",), 1.0) == '{"a": 1.0}'
    removed = remove_key(SETTINGS, ("go.goroot",))
    assert remove_key(removed, ("go.goroot",)) == removed
    for missing in (("nope",), ("go.toolsEnvVars", "NOPE"), ("go.alternateTools", "go"), ("url", "x"), ("a", "b", "c")):
        assert remove_key(SETTINGS, missing) is SETTINGS
    assert remove_key("", ("a",)) == "" and remove_key("// only\n", ("a",)) == "// only\n"


@pytest.mark.parametrize("text", [
    SETTINGS, TRAILING, "{}", '{"a": 1}', '{"a": 1,}', '{ "a": 1 }', '{\n  "a": 1 // c\n}\n',
    '{\n  "a": 1, // c\n}\n', "{\r\n\t\"a\": 1\r\n}\r\n", '{\n  "t": {\n    "x": 1\n  }\n}\n',
])
def test_insert_then_remove_gives_the_original_back(text: str) -> None:
    value = parse(text)
    for path in (("new.key",), ("t", "new"), ("go.toolsEnvVars", "GOPROXY")):
        added = set_value(text, path, {"v": [1, "two"]} if len(path) == 1 else "x")
        assert added != text
        # a key added with its object goes with that object
        assert remove_key(added, path if path[0] in value else path[:1]) == text


@pytest.mark.parametrize("text,line", [
    ('{\n  "a": 1\n  "b": 2\n}\n', 3),  # missing comma
    ('{\n  /* never closed\n  "a": 1\n}\n', 2),
    ('{\n  "a": "open\n}\n', 2),
    ('{\n  "a": 1\n', 3),
    ('[1, 2]\n', 1),  # settings must be an object
    ('"text"', 1),
    ("{'a': 1}", 1),
])
def test_invalid_input_raises(text: str, line: int) -> None:
    for edit in (lambda: set_value(text, ("a",), 2), lambda: remove_key(text, ("a",))):
        with pytest.raises(JsoncError) as err:
            edit()
        assert err.value.line == line


def test_setting_through_a_non_object_raises() -> None:
    with pytest.raises(JsoncError, match='"url" is not an object') as err:
        set_value(SETTINGS, ("url", "x"), 1)
    assert err.value.line == 12


def test_bad_paths_and_values_raise() -> None:
    with pytest.raises(ValueError):
        set_value("{}", (), 1)
    with pytest.raises(ValueError):
        remove_key("{}", ("a", 1))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        set_value("{}", ("a",), float("nan"))
    with pytest.raises(TypeError):
        set_value("{}", ("a",), object())
