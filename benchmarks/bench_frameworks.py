"""Benchmark: `goenv-tui report` on homes built the way frameworks install themselves, against
starting the same shells untraced.

Each home reproduces the shape of a framework's init code (written here, not copied):
- compinit-first-start: `compinit` with no dump yet — the first start of every oh-my-zsh /
  prezto / holman / thoughtbot home (the report never keeps a dump, so it is always a first start);
- prezto-like: runcoms in ~/.zprezto/runcoms linked from ~/.z*, a `pmodload` function looping over
  modules with `emulate -L zsh`, zstyle, `typeset -gU path`, a multi-line `path=(…)`, compinit with
  its dump in ~/.cache/prezto, a background zcompile in .zlogin;
- nvm-like: a 3 000-line sourced script defining ~150 functions, some called at load time with
  `local IFS`, sourced from both ~/.bashrc and ~/.zshrc;
- omz-like: ~/.oh-my-zsh with lib/*.zsh and a plugin loop over 12 plugins, compinit -d with an
  existing dump (a second start).

The floor starts every launch context's shell untraced, one after another, each from the same
state as the traced run (the dump removed again before each start on the first-start home).
Ratios: the report's own time for tracing + graph + checks (as `timings.total_ms` says) and the
whole command (Python start-up and `go env` per context included), over the floor.

    python benchmarks/bench_frameworks.py [--runs 5] [--home NAME] [--cpu] [--contain pidns|reaper]
Target (issue 10): median ≤ 1.5×, none above 2×, and no context ends in a timeout.

`--cpu` also prints, per context, the CPU time of the traced shell against the same shell started
untraced (the shells alone, without goenv-tui's own work): a figure that a loaded machine does not
distort the way it distorts wall times.
"""

from __future__ import annotations

import argparse
import atexit
import glob
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from goenv_tui.shells.contexts import all_specs  # noqa: E402
from goenv_tui.shells.tracer import SEED_PATH  # noqa: E402

GO = 'export GOPATH="$HOME/go"\nexport PATH="$PATH:/usr/local/go/bin:$GOPATH/bin"\n'


def _write(home: str, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = os.path.join(home, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            fh.write(text)


def compinit_home(home: str) -> None:
    _write(home, {
        ".zshrc": "HISTFILE=~/.zsh_history\nsetopt autocd extendedglob\nautoload -Uz compinit\ncompinit\n"
                  "zstyle ':completion:*' menu select\n" + GO,
        ".bashrc": GO, ".profile": '[ -f ~/.bashrc ] && . ~/.bashrc\n',
    })


def prezto_home(home: str) -> None:
    modules = ["environment", "terminal", "editor", "history", "directory", "spectrum", "utility", "completion",
               "prompt"]
    files = {
        ".zprezto/init.zsh": """
export ZPREZTODIR="${ZDOTDIR:-$HOME}/.zprezto"
[[ -s "${ZDOTDIR:-$HOME}/.zpreztorc" ]] && source "${ZDOTDIR:-$HOME}/.zpreztorc"
function pmodload {
  emulate -L zsh
  setopt extended_glob
  local pmodule pmodule_location
  for pmodule in "$argv[@]"; do
    if zstyle -t ":prezto:module:$pmodule" loaded 'yes' 'no'; then
      continue
    fi
    pmodule_location="${ZPREZTODIR}/modules/$pmodule"
    fpath=(${pmodule_location}/functions(-/FN) $fpath)
    source "${pmodule_location}/init.zsh"
    zstyle ":prezto:module:$pmodule" loaded 'yes'
  done
}
zstyle -a ':prezto:load' pmodule 'pmodules'
pmodload "$pmodules[@]"
unset pmodules
""",
        ".zprezto/runcoms/zshenv": 'if [[ ( "$SHLVL" -eq 1 && ! -o LOGIN ) && -s "${ZDOTDIR:-$HOME}/.zprofile" ]]; then\n'
                                   '  source "${ZDOTDIR:-$HOME}/.zprofile"\nfi\n',
        ".zprezto/runcoms/zprofile": """
export EDITOR='nano'
export PAGER='less'
typeset -gU cdpath fpath mailpath path
path=(
  $HOME/{,s}bin(N)
  /opt/{homebrew,local}/{,s}bin(N)
  /usr/local/{,s}bin(N)
  $path
)
export GOPATH="$HOME/go"
path+=($GOPATH/bin /usr/local/go/bin)
""",
        ".zprezto/runcoms/zpreztorc": "zstyle ':prezto:load' pmodule " + " ".join(f"'{m}'" for m in modules) + "\n"
                                      "zstyle ':prezto:module:editor' key-bindings 'emacs'\n",
        ".zprezto/runcoms/zshrc": 'source "${ZDOTDIR:-$HOME}/.zprezto/init.zsh"\n',
        ".zprezto/runcoms/zlogin": """
{
  zcompdump="${XDG_CACHE_HOME:-$HOME/.cache}/prezto/zcompdump"
  if [[ -s "$zcompdump" && (! -s "${zcompdump}.zwc" || "$zcompdump" -nt "${zcompdump}.zwc") ]]; then
    zcompile "$zcompdump"
  fi
} &!
""",
    }
    for m in modules:
        body = [f"# module {m}", "setopt LONG_LIST_JOBS AUTO_RESUME NOTIFY", f"zstyle ':prezto:module:{m}' color 'yes'"]
        body += [f"alias {m[:3]}{j}='ls -l {j}'" for j in range(20)]
        body += [f"function {m}-fn{j} {{\n  emulate -L zsh\n  local x=$1\n  print -r -- $x\n}}" for j in range(10)]
        if m == "completion":
            body += ["autoload -Uz compinit", '_comp_path="${XDG_CACHE_HOME:-$HOME/.cache}/prezto/zcompdump"',
                     'if [[ $_comp_path(#qNmh-20) ]]; then', '  compinit -C -d "$_comp_path"', 'else',
                     '  mkdir -p "$_comp_path:h"', '  compinit -i -d "$_comp_path"', '  touch "$_comp_path"', 'fi',
                     "unset _comp_path"]
        if m == "utility":
            body += [f"{m}-fn{j} arg{j} >/dev/null" for j in range(10)]
        files[f".zprezto/modules/{m}/init.zsh"] = "\n".join(body) + "\n"
    _write(home, files)
    for rc in ("zshenv", "zprofile", "zshrc", "zlogin", "zpreztorc"):
        os.symlink(f"{home}/.zprezto/runcoms/{rc}", f"{home}/.{rc}")
    _write(home, {".bashrc": GO, ".profile": '[ -f ~/.bashrc ] && . ~/.bashrc\n'})


def nvm_home(home: str) -> None:
    funcs = []
    for i in range(150):
        funcs.append(f"""nvm_fn{i}() {{
  local VERSION
  VERSION="${{1-}}"
  if [ -z "${{VERSION}}" ]; then
    return 1
  fi
  case "${{VERSION}}" in
    v*) VERSION="${{VERSION#v}}" ;;
    node | stable) VERSION="0.{i}" ;;
  esac
  local IFS='.'
  set -- $VERSION
  local MAJOR="${{1-0}}" MINOR="${{2-0}}" PATCH="${{3-0}}"
  if [ "${{MAJOR}}" -gt 0 ] 2>/dev/null; then
    nvm_echo "${{MAJOR}}.${{MINOR}}.${{PATCH}}" >/dev/null
  fi
  return 0
}}""")
    calls = "\n".join(f'nvm_fn{i} "v{i}.{i % 7}.{i % 3}"' for i in range(0, 150, 2))
    # What makes the real nvm.sh take a second or two: version strings run through sed/grep in
    # command substitutions, `command ls` of its directories.
    calls += "\n" + "\n".join(
        f'NVM_V{i}="$(nvm_echo "v{i}.0.0" | command sed -e \'s/^v//\' | command grep -E \'^[0-9]\')"'
        for i in range(40)) + '\ncommand ls "$NVM_DIR" >/dev/null 2>&1\n'

    script = "{ unset NVM_DIR_X; } 2>/dev/null\nnvm_echo() { command printf %s\\\\n \"$*\" 2>/dev/null; }\n"
    script += "\n".join(funcs) + "\n" + calls + "\n"
    script += 'nvm_process_parameters() {\n  local NVM_AUTO_MODE\n  NVM_AUTO_MODE=use\n  while [ "$#" -ne 0 ]; do\n' \
              '    case "$1" in --install) NVM_AUTO_MODE=install ;; --no-use) NVM_AUTO_MODE=none ;; esac\n' \
              '    shift\n  done\n  nvm_fn1 "v18.0.0"\n}\nnvm_process_parameters "$@"\n'
    rc = 'export NVM_DIR="$HOME/.nvm"\n[ -s "$NVM_DIR/nvm.sh" ] && \\. "$NVM_DIR/nvm.sh"\n' + GO
    _write(home, {".nvm/nvm.sh": script, ".bashrc": rc, ".zshrc": rc,
                  ".profile": '[ -f ~/.bashrc ] && . ~/.bashrc\n'})


def omz_home(home: str) -> None:
    plugins = ["git", "golang", "docker", "kubectl", "npm", "sudo", "history", "z", "fzf", "aws", "terraform", "extract"]
    files = {
        ".oh-my-zsh/oh-my-zsh.sh": """
ZSH_CACHE_DIR="$ZSH/cache"
fpath=($ZSH/functions $ZSH/completions $fpath)
autoload -U compaudit compinit
for plugin ($plugins); do
  if [[ -f "$ZSH/plugins/$plugin/$plugin.plugin.zsh" ]]; then
    fpath=("$ZSH/plugins/$plugin" $fpath)
  fi
done
ZSH_COMPDUMP="${ZDOTDIR:-$HOME}/.zcompdump-${HOST/.*/}-${ZSH_VERSION}"
zcompdump_revision="#omz revision: $(builtin cd -q "$ZSH"; command git rev-parse HEAD 2>/dev/null)"
if ! command grep -q -Fx "$zcompdump_revision" "$ZSH_COMPDUMP" 2>/dev/null; then
  zcompdump_refresh=1
fi
compinit -u -d "$ZSH_COMPDUMP"
if command mkdir "${ZSH_COMPDUMP}.lock" 2>/dev/null; then
  command rm -rf "${ZSH_COMPDUMP}.lock"
fi
unset zcompdump_revision zcompdump_refresh
for config_file ("$ZSH"/lib/*.zsh); do
  source "$config_file"
done
unset config_file
for plugin ($plugins); do
  source "$ZSH/plugins/$plugin/$plugin.plugin.zsh"
done
unset plugin
""",
        ".zshrc": 'export ZSH="$HOME/.oh-my-zsh"\nZSH_THEME="robbyrussell"\nplugins=(' + " ".join(plugins) + ')\n'
                  'source $ZSH/oh-my-zsh.sh\n' + GO,
        ".bashrc": GO, ".profile": '[ -f ~/.bashrc ] && . ~/.bashrc\n',
    }
    for i in range(10):
        files[f".oh-my-zsh/lib/lib{i}.zsh"] = "\n".join(
            [f"function omz_lib{i}_{j} {{\n  emulate -L zsh\n  [[ -n $1 ]] && print -r -- $1\n}}" for j in range(15)]
            + [f"alias l{i}{j}='ls -la {j}'" for j in range(15)] + ["setopt auto_pushd pushd_ignore_dups"]) + "\n"
    for p in plugins:
        body = [f"alias {p[:2]}{j}='{p} {j}'" for j in range(30)]
        body += [f"function _{p}_helper{j} {{\n  local out\n  out=$1\n}}" for j in range(5)]
        if p == "golang":
            body += ['export GOPATH="${GOPATH:-$HOME/go}"', 'path+=("$GOPATH/bin")']
        files[f".oh-my-zsh/plugins/{p}/{p}.plugin.zsh"] = "\n".join(body) + "\n"
    _write(home, files)


HOMES = {"compinit-first-start": compinit_home, "prezto-like": prezto_home, "nvm-like": nvm_home,
         "omz-like": omz_home}


def _env(home: str, shell: str) -> dict[str, str]:
    return {"HOME": home, "PATH": SEED_PATH["linux"], "TERM": "xterm-256color", "LANG": "C.UTF-8",
            "USER": os.environ.get("USER", "root"), "SHELL": shell}


def _dumps(home: str) -> set[str]:
    return set(glob.glob(f"{home}/.zcompdump*") + glob.glob(f"{home}/.cache/**/*zcompdump*", recursive=True))


def _reset(home: str, keep: set[str]) -> None:
    for path in _dumps(home) - keep:
        if os.path.isdir(path):
            os.rmdir(path)
        else:
            os.remove(path)


def floor_once(home: str, keep: set[str]) -> tuple[float, float]:
    """Every context's shell, untraced, one after another, each from the home's state; wall and CPU seconds."""
    wall = cpu = 0.0
    for spec in all_specs(("bash", "zsh")):
        _reset(home, keep)
        shell = f"/bin/{spec.shell}"
        argv = [shell] + (["-l"] if spec.login else []) + (["-i"] if spec.interactive else []) + ["-c", "exec /usr/bin/env -0"]
        env = _env(home, shell)
        if spec.sshd_command:
            env.update(SSH_CLIENT="127.0.0.1 50022 22", SSH_CONNECTION="127.0.0.1 50022 127.0.0.1 22")
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(argv, env=env, cwd=home, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60, start_new_session=True)
        wall += time.perf_counter() - start
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu += r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime
    _reset(home, keep)
    return wall, cpu


def report_once(home: str, keep: set[str]) -> tuple[float, float, float, list[str]]:
    """Whole command wall, the report's own total, CPU of the command and its children; and the
    contexts that did not end ok."""
    _reset(home, keep)
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "goenv_tui", "report", "--json", "--no-probes", "--shell", "bash,zsh",
                          "--home", home], capture_output=True, timeout=300).stdout
    wall = time.perf_counter() - start
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    data = json.loads(out)
    bad = [f"{c['id']}: {c['status']}" for c in data["contexts"] if c["status"] != "ok"]
    leftovers = _dumps(home) - keep
    if leftovers:
        bad.append(f"left in the home: {sorted(leftovers)}")
    return wall, data["timings"]["total_ms"] / 1000, r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime, bad


def shells_cpu(home: str, keep: set[str], runs: int) -> tuple[float, float]:
    """CPU ms of every context's traced shell (exactly as the tracer starts it, namespace wrappers
    included) and of the same shell untraced, medians over `runs`; printed per context."""
    from goenv_tui.host.local import LocalHost
    from goenv_tui.shells.tracer import TraceOptions, Tracer

    class Recording(LocalHost):
        launched: list[tuple[list[str], dict[str, str]]] = []

        def run(self, argv, *args, **kw):  # type: ignore[no-untyped-def]
            if kw.get("hold_stdin"):
                self.launched.append((list(argv), dict(kw.get("env") or {})))
            return super().run(argv, *args, **kw)

    def cpu(argv: list[str], env: dict[str, str]) -> float:
        spent = []
        for _ in range(runs):
            _reset(home, keep)
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run(argv, env=env, cwd=home, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=60, start_new_session=True)
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            spent.append((r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1000)
        _reset(home, keep)
        return statistics.median(spent)

    total_u = total_t = 0.0
    for spec in all_specs(("bash", "zsh")):
        host = Recording()
        host.launched = []
        Tracer(host, TraceOptions(home=home)).trace(spec)
        _reset(home, keep)
        argv, env = host.launched[-1]
        shell = f"/bin/{spec.shell}"
        plain = [shell] + (["-l"] if spec.login else []) + (["-i"] if spec.interactive else []) + ["-c", "exec /usr/bin/env -0"]
        u = cpu(plain, {k: v for k, v in env.items() if k != "PS4" and not k.startswith("_GOENV_TUI_")})
        t = cpu(argv, env)
        total_u += u
        total_t += t
        print(f"    {spec.id:28s} shell cpu untraced {u:6.1f} ms, traced {t:6.1f} ms ({t / max(u, 0.1):.1f}x)")
    return total_u, total_t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--home", choices=sorted(HOMES), action="append")
    ap.add_argument("--cpu", action="store_true", help="also the shells' own CPU, traced vs untraced, per context")
    ap.add_argument("--contain", choices=["pidns", "reaper"], default="pidns",
                    help="how the report contains its children: pidns (root: a PID namespace each, the "
                         "default here) or reaper (what a user who is not root gets: reapers forked by one "
                         "zygote)")
    args = ap.parse_args()
    os.environ["GOENV_TUI_CONTAIN"] = args.contain
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; children contained by "
          f"{args.contain}")
    ratios, whole = [], []
    for name in args.home or list(HOMES):
        home = tempfile.mkdtemp(prefix=f"goenv-bench-{name}-")
        atexit.register(shutil.rmtree, home, True)
        HOMES[name](home)
        os.makedirs(f"{home}/go/bin", exist_ok=True)
        if name == "omz-like":  # a second start: the user's first start already built the dump
            subprocess.run(["/bin/zsh", "-i", "-c", "true"], env=_env(home, "/bin/zsh"), cwd=home,
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        keep = _dumps(home)
        report_once(home, keep)  # warm the page cache
        floors, runs = [], []
        for _ in range(args.runs):  # alternated, so that a change of load weighs on both alike
            floors.append(floor_once(home, keep))
            runs.append(report_once(home, keep))
        f_wall = statistics.median(f[0] for f in floors)
        f_cpu = statistics.median(f[1] for f in floors)
        r_wall = statistics.median(r[0] for r in runs)
        r_total = statistics.median(r[1] for r in runs)
        r_cpu = statistics.median(r[2] for r in runs)
        bad = sorted({b for r in runs for b in r[3]})
        ratios.append(r_total / f_wall)
        whole.append(r_wall / f_wall)
        print(f"{name:22s} floor {f_wall * 1000:6.0f} ms (cpu {f_cpu * 1000:5.0f})  "
              f"report {r_total * 1000:6.0f} ms = {r_total / f_wall:4.2f}x  "
              f"whole command {r_wall * 1000:6.0f} ms = {r_wall / f_wall:4.2f}x (cpu {r_cpu * 1000:5.0f})"
              + (f"  NOT OK: {'; '.join(bad)}" if bad else "  all contexts ok"))
        if args.cpu:
            u, t = shells_cpu(home, keep, args.runs)
            print(f"    all shells: cpu untraced {u:.0f} ms, traced {t:.0f} ms ({t / max(u, 0.1):.2f}x)")
    print(f"median {statistics.median(ratios):.2f}x, max {max(ratios):.2f}x (report's own time over the floor); "
          f"whole command median {statistics.median(whole):.2f}x, max {max(whole):.2f}x")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
