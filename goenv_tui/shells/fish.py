"""fish: how each launch context starts it, and how its startup is traced.

fish has no PS4. Two of its own mechanisms are combined:

* `fish_trace` (set in the environment before startup) prints every command fish runs to stderr
  as `-…-> command args`, one `-` per block on the parser's stack. It shows every file fish sources
  (`source PATH`, including its own startup files and conf.d snippets) and every function call,
  but no file or line.
* An `--on-variable` handler for every watched variable runs `status stack-trace` when the
  variable changes. fish stops that stack trace at the event block, whose "called on line N of
  file F" is exactly where the change happened (the innermost line, inside a function body if the
  change was made there). A `--on-event fish_read` handler does the same for `read`.

The handlers must exist before any config file runs. share/config.fish (fish 3.x) calls
`__fish_set_locale`, an autoloaded function, before `__fish_reconstruct_path` and before conf.d:
fish is started with XDG_DATA_DIRS naming a temporary directory first (plus the default data
directory, so the vendor directories are unchanged), whose `fish/vendor_functions.d` holds a
`__fish_set_locale.fish` that installs the handlers, puts XDG_DATA_DIRS and the vendor/function
paths back as they would have been, then loads and calls fish's own `__fish_set_locale`.

Lines that changed no watched variable (function calls, `source`, `return`, a command that hangs)
are placed by aligning the trace with a static reading of the file: the trace gives the file
(frame), the nesting level and the expanded command; the static index gives the candidate lines.
Those are exact when the command is unique in its block, and are corrected by every exact line an
event reports.

Attribution: a change inside one of fish's own functions (fish_add_path, export, …) or inside a
sourced stream (`source (… | psub)`) is reported at the user's line that called it (`via` names
the function, or "source"); inside a user function at its body line with the call site. PATH set
by fish's `__fish_reconstruct_path` from the universal fish_user_paths is reported at that
variable's `SETUVAR` line in fish_variables (`via: universal`), as are exported universal GO*
variables. Event handlers do not appear in fish_trace, so a change one of them makes is credited
to the command that triggered it.

The user's fish state is left as it was: fish keeps its universal variables in
$__fish_config_dir/fish_variables (created at the first start, rewritten by `set -U` and by
`fish_add_path`, universal by default) and creates its config and data directories. Each traced
start therefore gets its own XDG_CONFIG_HOME and XDG_DATA_HOME under the hook directory, whose
`fish` folders mirror the user's (a symlink per entry) except for fish_variables, which is a
private copy (or absent, as it was). fish fixes both places when it starts; the hook puts the two
variables back before any user file runs, so the user's files and the programs they start see the
real values. Paths of the mirror in the trace and in the final environment are mapped back to the
user's. Contexts traced in parallel no longer see each other's universal variables either: a
`fish_add_path` in config.fish is credited to config.fish, not to a fish_variables an earlier
trace created.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from goenv_tui.host import Host, RunResult
from goenv_tui.model import ContextTrace
from goenv_tui.shells.driver import Launch, Reading, ShellDriver, StartError, TraceJob, env_dump
from goenv_tui.shells.fish_trace import fold
from goenv_tui.shells.trace import END_MARK, VarState

NAME = "fish"
HOOK_FUNCTION = "__fish_set_locale"


# --- starting fish --------------------------------------------------------------------------------

def command(env_bin: str) -> str:
    """The command run after startup: the end marker, then the environment, NUL-separated."""
    return f": {END_MARK}; builtin printf '\\x1eGOENV_TUI_ENV\\x1e'; exec {env_bin} -0"


@dataclass(frozen=True)
class FishInfo:
    data_dir: str
    version: tuple[int, ...]


def parse_info(stdout: str) -> FishInfo | None:
    """Output of `fish -N -c 'echo $__fish_data_dir; echo $version'`."""
    lines = [ln.strip() for ln in stdout.splitlines() if ln.strip()]
    if len(lines) < 2 or not lines[0].startswith("/"):
        return None
    nums = tuple(int(x) for x in re.findall(r"\d+", lines[1])[:3])
    return FishInfo(lines[0].rstrip("/"), nums)


# Build the private config and data folders of one traced start: $1 the hook directory, $2 the
# user's fish config folder, $3 their fish data folder. Symlinks, so nothing is copied but the
# universal variables, which fish may rewrite.
MIRROR = r"""umask 077
for kind in config data; do
  mkdir -p "$1/$kind/fish" || exit 1
  if [ "$kind" = config ]; then src=$2; else src=$3; fi
  [ -d "$src" ] || continue
  for e in "$src"/* "$src"/.[!.]* "$src"/..?*; do
    [ -e "$e" ] || [ -L "$e" ] || continue
    n=${e##*/}
    if [ "$kind" = config ] && [ "$n" = fish_variables ]; then
      cat "$e" > "$1/config/fish/fish_variables" || exit 1
    else
      ln -s "$e" "$1/$kind/fish/$n" || exit 1
    fi
  done
done
"""


def config_dir(home: str, env: dict[str, str]) -> str:
    base = env.get("XDG_CONFIG_HOME") or f"{home.rstrip('/')}/.config"
    return f"{base.rstrip('/')}/fish"


def data_dir(home: str, env: dict[str, str]) -> str:
    base = env.get("XDG_DATA_HOME") or f"{home.rstrip('/')}/.local/share"
    return f"{base.rstrip('/')}/fish"


def mirror_argv(hook_dir: str, home: str, env: dict[str, str]) -> list[str]:
    return ["/bin/sh", "-c", MIRROR, "sh", hook_dir.rstrip("/"), config_dir(home, env), data_dir(home, env)]


def mirror_env(env: dict[str, str], hook_dir: str) -> dict[str, str]:
    out = dict(env)
    out["XDG_CONFIG_HOME"] = f"{hook_dir.rstrip('/')}/config"
    out["XDG_DATA_HOME"] = f"{hook_dir.rstrip('/')}/data"
    return out


def unmirror(text: str, hook_dir: str, home: str, env: dict[str, str]) -> str:
    """The trace (or the environment) with the mirror's paths put back to the user's."""
    hook = hook_dir.rstrip("/")
    for kind, real in (("config", config_dir(home, env)), ("data", data_dir(home, env))):
        text = text.replace(f"{hook}/{kind}/fish", real)
    return text


def hook_path(hook_dir: str) -> str:
    return f"{hook_dir.rstrip('/')}/fish/vendor_functions.d/{HOOK_FUNCTION}.fish"


def trace_env(env: dict[str, str], hook_dir: str, info: FishInfo) -> dict[str, str]:
    """The environment fish starts with: tracing on, the hook directory first in XDG_DATA_DIRS."""
    out = mirror_env(env, hook_dir)
    out["fish_trace"] = "1"
    original = env.get("XDG_DATA_DIRS")
    parent = info.data_dir.rsplit("/", 1)[0] or "/"
    out["XDG_DATA_DIRS"] = f"{hook_dir.rstrip('/')}:{original if original else parent}"
    if info.version[:1] >= (4,):
        # fish 4 calls __fish_set_locale only when LANG is unset; the hook sets it back.
        out.pop("LANG", None)
    return out


def clean_env(env_out: dict[str, str], traced: dict[str, str], base: dict[str, str]) -> dict[str, str]:
    """The final environment without what tracing added, should the hook not have removed it."""
    out = dict(env_out)
    for name in ("fish_trace", "XDG_DATA_DIRS", "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        if name in traced and out.get(name) == traced[name] and base.get(name) != traced[name]:
            if name in base:
                out[name] = base[name]
            else:
                out.pop(name)
    if "LANG" in base and "LANG" not in traced and "LANG" not in out and out:
        out["LANG"] = base["LANG"]  # fish 4: LANG was held back for the hook, which did not run
    return out


def _fish_quote(s: str) -> str:
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def hook_script(watched: list[str], hook_dir: str, env: dict[str, str], info: FishInfo) -> str:
    """The autoloaded `__fish_set_locale` that installs the handlers, then runs fish's own."""
    hook = hook_dir.rstrip("/")
    names = [v for v in dict.fromkeys(watched) if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", v)]
    on_var = " ".join(f"--on-variable {v}" for v in names)
    original_xdg = env.get("XDG_DATA_DIRS")
    restore_xdg = (f"set -gx XDG_DATA_DIRS {_fish_quote(original_xdg)}" if original_xdg
                   else "set -e XDG_DATA_DIRS")
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME"):  # fish has fixed its own folders by now
        restore_xdg += (f"\n    set -gx {name} {_fish_quote(env[name])}" if env.get(name)
                        else f"\n    set -e {name}")
    restore_lang = ""
    if info.version[:1] >= (4,) and env.get("LANG"):
        restore_lang = f"    set -gx LANG {_fish_quote(env['LANG'])}\n"
    real = f"{info.data_dir}/functions/{HOOK_FUNCTION}.fish"
    return f"""# goenv-tui: installed for one trace, removed afterwards.
function {HOOK_FUNCTION}
    functions -e {HOOK_FUNCTION}
    {restore_xdg}
{restore_lang}    set -gu fish_trace $fish_trace
    for __goenv_tui_v in __fish_vendor_completionsdirs __fish_vendor_functionsdirs __fish_vendor_confdirs fish_complete_path fish_function_path
        set -q $__goenv_tui_v
        and set $__goenv_tui_v (string match -v -- {_fish_quote(hook + '/fish/*')} $$__goenv_tui_v)
    end
    # One printf per record, so that nothing (a traced command) can land inside it.
    function __goenv_tui_emit
        set -l n $argv[2]
        set -l s 0
        set -q $n; and set s 1
        set -l x 0
        set -qx $n; and set x 1
        printf '\\x1eGOENV\\x1f%s\\x1f%s\\x1f%s\\x1f%s\\x1f%s\\x1f%s\\x1f%s\\x1d' $argv[1] $n $s $x (count $$n) \\
            (printf '%s\\x1c' $$n | string collect) (status stack-trace | string collect) >&2
    end
    function __goenv_tui_var {on_var}
        __goenv_tui_emit V $argv[3]
    end
    function __goenv_tui_read --on-event fish_read
        printf '\\x1eGOENV\\x1fR\\x1f%s\\x1d' (status stack-trace | string collect) >&2
    end
    printf '\\x1eGOENV\\x1fH\\x1f%s\\x1f%s\\x1d' $__fish_data_dir $version >&2
    for __goenv_tui_v in {' '.join(names)}
        __goenv_tui_emit I $__goenv_tui_v
    end
    if test -f {_fish_quote(real)}
        source {_fish_quote(real)}
        {HOOK_FUNCTION} $argv
    end
end
"""


def candidate_files(home: str, listdir: Callable[[str], list[str]] | None = None,
                    config_home: str | None = None) -> list[str]:
    """The user's fish startup files: config.fish, conf.d/*.fish, and the universal variables."""
    base = (config_home or f"{home.rstrip('/')}/.config").rstrip("/") + "/fish"
    out = [f"{base}/fish_variables", f"{base}/config.fish"]
    if listdir is not None:
        try:
            names = listdir(f"{base}/conf.d")
        except Exception:  # noqa: BLE001 - a missing or unreadable conf.d is no conf.d
            names = []
        out[1:1] = [f"{base}/conf.d/{n}" for n in sorted(names) if n.endswith(".fish")]
    return out


def variables_path(home: str, env: dict[str, str]) -> str:
    config_home = env.get("XDG_CONFIG_HOME") or f"{home.rstrip('/')}/.config"
    return f"{config_home.rstrip('/')}/fish/fish_variables"


class FishDriver(ShellDriver):
    name = NAME
    writes_state_at_start = True  # fish_variables, at every start
    watch_costs_per_line = False  # a handler per variable runs only when it changes

    def syntax_argv(self, shell_path: str, path: str) -> list[str]:
        return [shell_path, "--no-execute", path]

    def __init__(self, host: Host) -> None:
        super().__init__(host)
        self._info: dict[str, FishInfo | None] = {}
        self._lock = threading.Lock()

    def candidate_files(self, home: str, env: Mapping[str, str]) -> list[str]:
        return candidate_files(home, self.host.listdir, env.get("XDG_CONFIG_HOME"))

    def why_not_read(self, path: str, home: str, existing: set[str], traces: list[ContextTrace]) -> str:
        return "no fish context that was traced reads it"

    # fish reads config.fish and conf.d in every mode (only `status is-login` / `is-interactive`
    # tell the contexts apart), so no fish file is dormant as a whole: dormant_candidates is [].

    def info(self, shell_path: str) -> FishInfo | None:
        """fish's data directory and version (`fish -N`, with a scratch HOME: fish creates its
        config directories in HOME)."""
        with self._lock:
            if shell_path not in self._info:
                scratch = self.host.make_temp_dir("goenv-tui-fish-")
                try:
                    res = self.host.run([shell_path, "-N", "-c", "echo $__fish_data_dir; echo $version"],
                                        env={"PATH": "/usr/bin:/bin", "HOME": scratch}, cwd=scratch, timeout=5)
                    self._info[shell_path] = parse_info(res.stdout.decode(errors="replace"))
                finally:
                    self.host.remove_tree(scratch)
            return self._info[shell_path]

    def prepare(self, job: TraceJob) -> Launch:
        info = self.info(job.shell_path)
        if info is None:
            raise StartError(f"could not ask {job.shell_path} for its data directory and version")
        base_env = self.context_env(job.spec, job.env)
        hook_dir = self.host.make_temp_dir("goenv-tui-fish-")
        # fish's own state (universal variables, its folders) in a private mirror: see the docstring.
        mirrored = self.host.run(mirror_argv(hook_dir, job.home, base_env), env={"PATH": "/usr/bin:/bin"}, timeout=10)
        if not mirrored.ok:
            self.host.remove_tree(hook_dir)
            raise StartError("could not prepare a private copy of fish's state: "
                             f"{mirrored.error or mirrored.stderr.decode(errors='replace')[:200]}")
        hook = hook_path(hook_dir)
        self.host.makedirs(hook.rsplit("/", 1)[0])
        self.host.write_atomic(hook, hook_script(job.watched, hook_dir, base_env, info).encode())
        return _FishLaunch(self.argv(job.spec, job.shell_path, command(job.env_bin)), trace_env(base_env, hook_dir, info),
                           cleanup=lambda: self.host.remove_tree(hook_dir), info=info, hook_dir=hook_dir,
                           base_env=base_env)

    def read(self, job: TraceJob, launch: Launch, res: RunResult) -> Reading:
        assert isinstance(launch, _FishLaunch)
        base_env, hook_dir, info = launch.base_env, launch.hook_dir, launch.info
        stderr = unmirror(res.stderr.decode("utf-8", errors="replace"), hook_dir, job.home, base_env)
        stdout = unmirror(res.stdout.decode("utf-8", errors="surrogateescape"), hook_dir, job.home,
                          base_env).encode("utf-8", errors="surrogateescape")
        initial = {v: VarState(True, True, base_env[v]) for v in job.watched if v in base_env}
        traced = fold(stderr, job.watched, initial, job.home, job.text, hook_dir, info.data_dir,
                      variables_path(job.home, base_env), exited=not res.timed_out)
        notes: list[str] = []
        if not traced.hooked and (traced.result.finished or not res.timed_out):
            notes.append(f"fish {'.'.join(map(str, info.version))}: the tracing hook did not run before the config "
                         "files, so no change is attributed to a line (the final environment is exact)")
        env_out = clean_env(env_dump(stdout), launch.env, base_env)
        return Reading(traced.result, env_out, stopped_at=traced.stopped_at, notes=notes)


@dataclass
class _FishLaunch(Launch):
    info: FishInfo = FishInfo("", ())
    hook_dir: str = ""
    base_env: dict[str, str] = field(default_factory=dict)  # the environment before tracing was added
