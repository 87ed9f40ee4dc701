"""Credentials never leave the tool: one redaction used at every output boundary.

The report (JSON and text), the journal and the app's views all pass what they show through a
`Redactor`. It masks two things:
- the userinfo of URLs (`https://user:token@proxy` → `https://user:***@proxy`; a bare
  `https://token@host` → `https://***@host`), wherever such a URL appears, and the bare
  `user:token@host` form in variables that hold URLs or host patterns (GOPROXY, GONOSUMDB, …);
- the value of any variable whose name looks like it holds a secret (`GITHUB_TOKEN`,
  `NPM_AUTH_TOKEN`, `DB_PASSWORD`, `AWS_SECRET_ACCESS_KEY`, …).
The literal secret values found in the collected facts are then masked wherever they appear
(inside a finding's detail, a diff preview, a command's output), so a secret copied into some
other text is caught too. Masking is done on the rendered values only: the fix engine and the
backups keep the user's real bytes.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

MASK = "***"

# Names of variables (and of JSON keys) whose values are secrets. GOPRIVATE, GOAUTH (a command
# list), SSH_AUTH_SOCK (a socket path) and GOSUMDB are not, and do not match.
SECRET_NAME = re.compile(
    r"(?i)(token|secret|passw(or)?d|passphrase|api[_-]?key|access[_-]?key|private[_-]?key|"
    r"credential|auth[_-]?key|signing[_-]?key|(^|_)pat$)"
)
# Variables whose values are URLs or host patterns, where a bare `user:pw@host` is a credential.
URL_VALUED = re.compile(r"(?i)^(GOPROXY|GONOSUMDB|GONOPROXY|GOPRIVATE|GOINSECURE|GOSUMDB|GOVCS|"
                        r"[A-Z_]*_PROXY|[A-Z_]*_URL|[A-Z_]*_URI|[a-z_]*_proxy)$")
_URL = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<info>[^/?#@\s\"'|,;<>()\[\]]*)@")
_BARE = re.compile(r"(?<![\w/.:@%+-])(?P<user>[\w.%+-]+):(?P<pw>[^\s@/:,|\"'<>]+)@(?=[A-Za-z0-9\[])")
# `NAME=value` in text (a startup file shown, a diff preview, a command's output): the value of a
# secret-named variable is masked even when the diagnosis never saw it exported.
_ASSIGN = re.compile(r"(?<![\w$])(?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>\"[^\"\n]*\"|'[^'\n]*'|[^\s;&|)]+)")
_TOKEN_SCHEMES = ("http://", "https://")
_MIN_LITERAL = 4  # shorter "secrets" (1, true, no) would mask unrelated text


def secret_name(name: str) -> bool:
    return bool(SECRET_NAME.search(name))


def _mask(s: str, keep_length: bool) -> str:
    return "*" * len(s) if keep_length else MASK


def _url_secrets(value: str, bare: bool) -> list[str]:
    out = []
    for m in _URL.finditer(value):
        info = m["info"]
        if ":" in info:
            out.append(info.split(":", 1)[1])
        elif info and m["scheme"].lower() in _TOKEN_SCHEMES:
            out.append(info)  # https://TOKEN@host: the user part is the token
    if bare:
        out += [m["pw"] for m in _BARE.finditer(value)]
    return [s for s in out if s and s != MASK]


@dataclass(frozen=True)
class Redactor:
    """Masks credentials in strings; `secrets` are literal values known to be secret."""

    secrets: tuple[str, ...] = ()

    @staticmethod
    def from_values(pairs: Iterable[tuple[str, str]]) -> Redactor:
        """Learn the secret values from (name, value) pairs: secret-named variables, URL userinfo."""
        found: set[str] = set()
        for name, value in pairs:
            if not isinstance(value, str) or not value:
                continue
            if secret_name(name) and len(value) >= _MIN_LITERAL:
                found.add(value)
            found.update(s for s in _url_secrets(value, bool(URL_VALUED.match(name))) if len(s) >= 3)
        return Redactor(tuple(sorted(found, key=lambda s: (-len(s), s))))

    def text(self, s: str, keep_length: bool = False) -> str:
        """`s` with URL credentials and every known secret value masked."""
        if not s:
            return s

        def url(m: re.Match[str]) -> str:
            info = m["info"]
            if ":" in info:
                user, pw = info.split(":", 1)
                if pw and pw != MASK:
                    info = f"{user}:{_mask(pw, keep_length)}"
            elif info and info != MASK and m["scheme"].lower() in _TOKEN_SCHEMES:
                info = _mask(info, keep_length)
            return f"{m['scheme']}{info}@"

        s = _URL.sub(url, s)
        if "=" in s:
            def assign(m: re.Match[str]) -> str:
                value = m["value"]
                if not secret_name(m["name"]) or MASK in value or set(value) <= {"*", "'", '"'}:
                    return m[0]
                if value[:1] in "'\"" and len(value) >= 2:
                    return f"{m['name']}={value[0]}{_mask(value[1:-1], keep_length)}{value[-1]}"
                return f"{m['name']}={_mask(value, keep_length)}"

            s = _ASSIGN.sub(assign, s)
        for secret in self.secrets:
            if secret in s:
                s = s.replace(secret, _mask(secret, keep_length))
        return s

    def value(self, name: str, value: str | None, keep_length: bool = False) -> str | None:
        """A variable's value as it may be shown."""
        if value is None:
            return None
        if secret_name(name) and value:
            return _mask(value, keep_length)
        if URL_VALUED.match(name):
            value = _BARE.sub(lambda m: f"{m['user']}:{_mask(m['pw'], keep_length)}@", value)
        return self.text(value, keep_length)

    def env(self, env: Mapping[str, str]) -> dict[str, str]:
        return {k: self.value(k, v) or "" for k, v in env.items()}

    def tree(self, obj: Any, name: str | None = None, hidden: bool = False) -> Any:
        """A JSON-like structure with every string redacted. Values under a secret-named key, or
        in an object (and the objects inside it) whose name/var/key field is a secret name, are
        masked whole."""
        if isinstance(obj, str):
            return self.value(name, obj) if name is not None else self.text(obj)
        if isinstance(obj, Mapping):
            label = next((obj[k] for k in ("name", "var", "variable", "key")
                          if isinstance(obj.get(k), str)), None)
            hidden = hidden or (label is not None and secret_name(label))
            out: dict[Any, Any] = {}
            for k, v in obj.items():
                key = k if isinstance(k, str) else None
                if hidden and k in _VALUE_FIELDS and isinstance(v, str):
                    out[k] = MASK if v else v
                elif key is not None and secret_name(key):
                    out[k] = _mask_all(v)
                elif key is not None and URL_VALUED.match(key) and isinstance(v, str):
                    out[k] = self.value(key, v)
                else:
                    out[k] = self.tree(v, label if k in _VALUE_FIELDS and label else None, hidden)
            return out
        if isinstance(obj, list | tuple):
            return [self.tree(v, name, hidden) for v in obj]
        return obj


_VALUE_FIELDS = ("value", "final", "before", "after")


def _mask_all(obj: Any) -> Any:
    if isinstance(obj, str):
        return MASK if obj else obj
    if isinstance(obj, Mapping):
        return {k: _mask_all(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_mask_all(v) for v in obj]
    return obj


def _walk_pairs(obj: Any, name: str = "") -> Iterable[tuple[str, str]]:
    if isinstance(obj, str):
        yield name, obj
    elif isinstance(obj, Mapping):
        for k, v in obj.items():
            yield from _walk_pairs(v, str(k))
    elif isinstance(obj, list | tuple):
        for v in obj:
            yield from _walk_pairs(v, name)


def redactor_for(facts: Any) -> Redactor:
    """The redactor for one diagnosis: secrets from every context's environment and assignments,
    `go env` values and editor settings."""
    cached = getattr(facts, "_redactor", None)
    if isinstance(cached, Redactor):
        return cached
    pairs: list[tuple[str, str]] = []
    for t in getattr(facts, "contexts", ()):
        pairs += list(t.env.items()) + list(getattr(t, "full_env", {}).items())
        pairs += [(a.var, a.value) for a in t.assignments if a.value] + [(a.var, a.before) for a in t.assignments if a.before]
    for ge in getattr(facts, "goenvs", {}).values():
        pairs += [(k, v.value) for k, v in ge.values.items()]
    editor = getattr(facts, "editor", None)
    for s in getattr(editor, "settings", ()):
        pairs += list(_walk_pairs(s.value, s.key))
    red = Redactor.from_values(pairs)
    with contextlib.suppress(AttributeError, TypeError):
        object.__setattr__(facts, "_redactor", red)
    return red


PLAIN = Redactor()
