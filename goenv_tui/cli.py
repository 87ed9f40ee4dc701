"""The `goenv-tui` command: the full-screen app by default, `report` for scripts and CI.

Exit codes of `report`: 0 no errors found, 1 errors found, 2 usage or internal error (one line
on stderr; a traceback only with --debug).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import posixpath
import shlex
import shutil
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from goenv_tui import __version__
from goenv_tui.charset import detect as detect_charset
from goenv_tui.charset import to_ascii

if TYPE_CHECKING:
    from textual.app import App

    from goenv_tui.fixes.journal import Entry
    from goenv_tui.host import Host
    from goenv_tui.shells.tracer import TraceOptions

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad input from the user: reported in one line, exit code 2."""


class Stopped(Exception):
    """goenv-tui got SIGTERM, SIGHUP (its terminal closed) or SIGINT; `killed` processes it had
    started were killed at once."""

    def __init__(self, signum: int, killed: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.killed = killed


def _on_signal(signum: int, frame: object) -> None:
    # Kill first, then unwind: the workers' thread pool is joined on the way out, and would
    # otherwise wait for every traced shell to reach its deadline.
    raise Stopped(signum, _stop_children())


def _stop_children() -> int:
    """Kill every process goenv-tui started (traced shells, go, probes) and all they started."""
    from goenv_tui.host.process import stop_all

    return len(stop_all())


def _say(message: str) -> None:
    with contextlib.suppress(OSError, ValueError):  # the terminal may be gone (SIGHUP)
        print(message, file=sys.stderr)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def _timeout(text: str) -> float:
    """A deadline in seconds: a finite positive number (`nan` would never expire, `inf` never ends)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a finite number of seconds greater than 0")
    return value


# The options every command takes, accepted before or after the subcommand (`goenv-tui --home H
# report` and `goenv-tui report --home H` mean the same).
COMMON = ("home", "workspace", "shell", "login_shell", "timeout", "demo", "debug", "no_probes", "ssh",
          "ssh_option", "ssh_config")
_SUB = "sub_"


def _common(p: argparse.ArgumentParser, sub: bool = False) -> None:
    def add(*flags: str, **kw: Any) -> None:
        dest = flags[0].lstrip("-").replace("-", "_")
        if sub:
            # A subcommand's defaults must not overwrite what was given before the subcommand.
            kw["default"] = argparse.SUPPRESS
            kw["dest"] = _SUB + dest
        p.add_argument(*flags, **kw)

    add("--home", metavar="DIR", help="analyse this home directory instead of $HOME")
    add("--workspace", metavar="DIR", help="the Go workspace (default: the go.work or go.mod folder "
                                            "around the current directory, as go finds it; none outside one)")
    add("--shell", metavar="LIST", help="shells to trace, comma-separated (default: bash,zsh, and fish "
                                          "when it is the login shell)")
    add("--login-shell", metavar="PATH", help="treat this as the user's login shell (default: from the passwd entry)")
    add("--timeout", type=_timeout, default=5.0, metavar="SECONDS",
        help="a context that runs no new line for this long is stuck (default: 5); one that keeps "
             "running lines is slow, not stuck, and is given up to 60 s, unless the same shell started "
             "untraced crashes or does not finish in twice this (10 s at least) either (an endless recursion or loop). "
             "Tracing as a whole ends within max(60, 12 x SECONDS) s")
    add("--demo", action="store_true", help="use the bundled broken example home")
    add("--debug", action="store_true", help="show tracebacks for internal errors")
    add("--no-probes", action="store_true", help="skip the live probes of gopls, dlv and go build")
    add("--ssh", metavar="[USER@]HOST",
        help="diagnose a remote host through your own ssh client and config (which also decides the key "
             "exchange and ciphers); through your running ControlMaster when your config keeps one")
    add("--ssh-option", action="append", metavar="OPT", help="an ssh -o option (repeatable)")
    add("--ssh-config", metavar="FILE", help="an ssh config file (ssh -F)")


def _merge_common(args: argparse.Namespace) -> argparse.Namespace:
    """Fold the options given after the subcommand into those given before it; the same option
    given in both places with different values is an error, not a silent choice."""
    defaults = build_parser().parse_args([])
    for name in COMMON:
        if not hasattr(args, _SUB + name):
            continue
        later = getattr(args, _SUB + name)
        delattr(args, _SUB + name)
        earlier = getattr(args, name)
        if name == "ssh_option":
            setattr(args, name, (earlier or []) + (later or []))
        elif isinstance(later, bool):
            setattr(args, name, earlier or later)
        else:
            if earlier != getattr(defaults, name) and earlier != later:
                flag = "--" + name.replace("_", "-")
                raise UsageError(f"{flag} given twice ({earlier!r} before the command, {later!r} after it)")
            setattr(args, name, later)
    return args


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="goenv-tui", description="Find out why your Go environment is broken, and fix it.")
    parser.add_argument("--version", action="version", version=f"goenv-tui {__version__}")
    _common(parser)
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    rep = sub.add_parser("report", help="print the diagnosis (text or JSON) and exit")
    fmt = rep.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="JSON following the report contract")
    fmt.add_argument("--text", action="store_true", help="human-readable (default)")
    rep.add_argument("-v", "--verbose", action="store_true", help="every finding, detail and context")
    rep.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    rep.add_argument("--list-checks", action="store_true",
                     help="list the checks (id, severities, tool, whether it has fixes, title) and exit; "
                          "with --json as JSON")
    rep.add_argument("--check", action="append", metavar="ID",
                     help="run only this check (repeatable, or a comma-separated list of ids)")
    _common(rep, sub=True)
    fix = sub.add_parser("fix", help="preview and apply a finding's fix (with backup and undo)")
    fix.add_argument("finding", metavar="FINDING_ID", help="a finding id from the report (a unique prefix is enough)")
    fix.add_argument("--fix", dest="fix_id", metavar="FIX_ID", help="which fix, when a finding offers several")
    fix_mode = fix.add_mutually_exclusive_group()
    fix_mode.add_argument("--dry-run", action="store_true", help="show the exact change and stop")
    fix_mode.add_argument("--yes", action="store_true", help="apply without asking")
    fix.add_argument("--force-unsafe", action="store_true",
                     help="apply even a fix whose trial on a private copy was not safe (the trial's evidence is shown)")
    _common(fix, sub=True)
    wiz = sub.add_parser("wizard", help="a guided fix for someone who just wants Go working in their editor")
    wiz.add_argument("--start-over", action="store_true", help="forget the saved progress")
    _common(wiz, sub=True)
    gr = sub.add_parser("graph", help="write the environment graph (or the part about one context or variable)")
    gr.add_argument("--format", choices=("dot", "graphml", "json"), default="json",
                    help="json (node-link, contracts/graph.schema.json), graphml, or dot for `dot -Tsvg`")
    gr.add_argument("--context", metavar="C", help="only what context C reads, sets and runs")
    gr.add_argument("--variable", metavar="V", help="only variable V: who set it, through which files, what it reaches")
    gr.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    _common(gr, sub=True)
    undo = sub.add_parser("undo", help="undo a fix from the journal, or list the journal")
    undo.add_argument("entry", metavar="ENTRY_ID", nargs="?", help="a journal entry id (a unique prefix is enough)")
    undo.add_argument("--list", action="store_true", help="list what was changed, newest last")
    undo.add_argument("--yes", action="store_true", help="undo without asking (the latest fix when no id is given)")
    _common(undo, sub=True)
    return parser


def _ask(prompt: str, secret: bool) -> str:
    """Answer an ssh prompt (host key, password, passphrase) on the terminal."""
    import getpass

    if not sys.stdin.isatty():
        raise UsageError(f"ssh asks {prompt!r} and there is no terminal to answer it")
    return getpass.getpass(prompt + " ") if secret else input(prompt + " ")


def _import_core() -> None:
    """What `report` and `fix` import before they diagnose (the checks, networkx, the fix builders)."""
    import goenv_tui.diagnose  # noqa: F401
    import goenv_tui.fixes.builders  # noqa: F401
    import goenv_tui.report  # noqa: F401


def _connect_while(connect: Callable[[], Host], meanwhile: Callable[[], None]) -> Host:
    """Connecting (ssh's handshake, sshd running the login shell, the agent's start) and importing
    the diagnosis core take about as long each (0.3–1 s): both at once. The connection is made in
    a thread; if `meanwhile` fails or is interrupted, a connection that was made is closed."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["host"] = connect()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            box["error"] = exc

    thread = threading.Thread(target=run, name="ssh-connect", daemon=True)
    thread.start()
    try:
        meanwhile()
    except BaseException:
        thread.join()
        if box.get("host") is not None:
            box["host"].close()
        raise
    thread.join()
    if "error" in box:
        raise box["error"]
    host: Host = box["host"]
    return host


def _host(args: argparse.Namespace, meanwhile: Callable[[], None] | None = None) -> Host:
    """This machine, or the --ssh target through the user's own OpenSSH client (connected while
    `meanwhile` runs)."""
    from goenv_tui.host import HostError, LocalHost

    if not getattr(args, "ssh", None):
        return LocalHost()
    if args.demo:
        raise UsageError("--demo builds its example home on this machine; it cannot be used with --ssh")
    from goenv_tui.host.ssh import SSHHost

    options: list[str] = []
    if args.ssh_config:
        options += ["-F", args.ssh_config]
    for opt in args.ssh_option or []:
        options += ["-o", opt]
    try:
        if meanwhile is not None:
            host = _connect_while(lambda: SSHHost(args.ssh, options, ask=_ask), meanwhile)
        else:
            host = SSHHost(args.ssh, options, ask=_ask)
    except HostError as exc:
        raise UsageError(str(exc)) from exc
    if isinstance(host, SSHHost) and host.user_master is not None and getattr(args, "verbose", False):
        print(f"goenv-tui: connected to {args.ssh} through your ssh ControlMaster (pid {host.user_master}): no new login; "
              "it is left running as it was", file=sys.stderr)
    return host


def enclosing_workspace(host: Host, cwd: str) -> str | None:
    """The folder an editor would open for work in `cwd`: the nearest go.work above it (the Go
    workspace), else the nearest go.mod (the module), the way the go command looks them up."""
    found: dict[str, str] = {}
    d = cwd
    while True:
        for name in ("go.work", "go.mod"):
            if name not in found and host.stat(posixpath.join(d, name)).is_file:
                found[name] = d
        parent = posixpath.dirname(d)
        if parent == d:
            return found.get("go.work") or found.get("go.mod")
        d = parent


def _options(args: argparse.Namespace, host: Host | None = None) -> tuple[TraceOptions, str | None]:
    from goenv_tui.shells.registry import DRIVERS
    from goenv_tui.shells.tracer import TraceOptions

    if host is None:
        from goenv_tui.host import LocalHost

        host = LocalHost()
    if args.demo and args.home is not None:
        raise UsageError("--demo and --home cannot be used together")
    if args.home is not None and not args.home.strip():
        raise UsageError("--home: empty path (leave the option out to analyse your own home)")
    if args.workspace is not None and not args.workspace.strip():
        raise UsageError("--workspace: empty path")
    login_shell = args.login_shell
    if login_shell is not None:
        _check_login_shell(host, login_shell)
    if args.demo:
        import atexit

        from goenv_tui.demo import build_demo_home

        home = build_demo_home()
        atexit.register(shutil.rmtree, home, True)  # the demo home is ours: leave no trace
        login_shell = login_shell or "/bin/bash"
    elif host.remote:
        home = args.home or host.home()
    else:
        home = os.path.abspath(os.path.expanduser(args.home or "~"))
    if not host.stat(home).is_dir:
        raise UsageError(f"--home {home}: not a directory" + (f" on {host.name}" if host.remote else ""))
    _run_as_owner(host, home)
    default = ["bash", "zsh"]
    login = (login_shell or host.login_shell() or "").rsplit("/", 1)[-1]
    if login in DRIVERS and login not in default:
        default.append(login)  # the login shell is always traced
    shells = tuple(s.strip() for s in (args.shell or ",".join(default)).split(",") if s.strip())
    unknown = [s for s in shells if s not in DRIVERS]
    if unknown or not shells:
        raise UsageError(f"--shell: unknown shell {', '.join(unknown) or '(none)'}; choose from {', '.join(DRIVERS)}")
    workspace = args.workspace
    if workspace is not None:
        # A relative remote path starts where `ssh host cmd` starts: the remote user's home.
        workspace = posixpath.join(host.home(), workspace) if host.remote else os.path.abspath(workspace)
        if not host.stat(workspace).is_dir:
            raise UsageError(f"--workspace {workspace}: not a directory")
    elif not host.remote and not args.demo:
        workspace = enclosing_workspace(host, os.getcwd())
    opts = TraceOptions(home=home, shells=shells, timeout=args.timeout, login_shell=login_shell)
    return opts, workspace


def _run_as_owner(host: Host, home: str) -> None:
    """As root, another user's home is analysed as that user: its startup files, `go` and the
    probes never run with root's access (a startup file could otherwise write /etc or read
    /root). Refused when the owner has no account to run as."""
    from goenv_tui.host.process import RunAs

    if host.remote or os.geteuid() != 0:
        return
    owner = host.stat(home).uid
    if owner in (0, -1):
        return
    try:
        host.run_as = RunAs.for_uid(owner)
    except KeyError:
        raise UsageError(f"{home} belongs to uid {owner}, which has no account here; refusing to run its startup "
                         "files as root (create the account, or run goenv-tui as that uid)") from None


def _check_login_shell(host: Host, path: str) -> None:
    """--login-shell must name a program that exists and can run: it decides which contexts
    editors and terminals use, so a typo must not silently change the diagnosis."""
    if not path.strip():
        raise UsageError("--login-shell: empty path")
    if not path.startswith("/"):
        raise UsageError(f"--login-shell {path}: give an absolute path (as in /etc/passwd), e.g. /bin/bash")
    info = host.stat(path)
    where = f" on {host.name}" if host.remote else ""
    if not info.exists:
        raise UsageError(f"--login-shell {path}: no such file{where}")
    if not info.is_file:
        raise UsageError(f"--login-shell {path}: not a regular file{where}")
    if not info.mode & 0o111 or (not host.remote and not os.access(path, os.X_OK)):
        raise UsageError(f"--login-shell {path}: not executable{where}")


def _check_ids(given: list[str] | None) -> list[str] | None:
    """The ids of `--check` (repeated, or comma-separated); None when it was not given. An id that
    names no check is a usage error, before anything runs."""
    if given is None:
        return None
    from goenv_tui.checks.catalog import unknown_ids

    ids = list(dict.fromkeys(i.strip().upper() for g in given for i in g.split(",") if i.strip()))
    if not ids:
        raise UsageError("--check: no check id given (goenv-tui report --list-checks lists them)")
    unknown = unknown_ids(ids)
    if unknown:
        raise UsageError(f"--check: unknown check {', '.join(unknown)} (goenv-tui report --list-checks lists them)")
    return ids


def _report(args: argparse.Namespace, host: Host) -> int:
    from goenv_tui.diagnose import diagnose
    from goenv_tui.progress import Progress
    from goenv_tui.report import exit_code, render_json, render_text
    from goenv_tui.shells.contexts import all_specs

    only = _check_ids(args.check)
    if args.list_checks:
        from goenv_tui.checks import catalog

        sys.stdout.write(catalog.to_json(only) if args.json else catalog.to_text(only))
        return EXIT_OK
    opts, workspace = _options(args, host)
    progress = Progress(sys.stderr, len(all_specs(opts.shells)))  # silent unless stderr is a terminal
    try:
        d = diagnose(host, opts, workspace, probes=not args.no_probes, on_context=progress.on_context,
                     on_stage=progress.on_stage, on_probe_line=progress.on_probe_line, checks=only)
    finally:
        progress.done()
    if args.json:
        sys.stdout.write(render_json(d))
    else:
        color = {"always": True, "never": False}.get(args.color)
        if color is None:
            color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        width = shutil.get_terminal_size((100, 24)).columns if sys.stdout.isatty() else 100
        text = render_text(d, verbose=args.verbose, color=color, width=width, wrap=sys.stdout.isatty())
        charset = detect_charset()
        if not charset.utf8:
            text = to_ascii(text + (charset.note() + "\n" if args.verbose else ""), wide=True)
        sys.stdout.write(text)
    if d.facts.lost:
        print(f"goenv-tui: {d.facts.lost}; the report holds what was collected before", file=sys.stderr)
        return EXIT_USAGE
    return exit_code(d)


def _fix(args: argparse.Namespace, host: Host) -> int:
    opts, workspace = _options(args, host)
    if args.dry_run or host.remote or host.run_as is not None:
        return _fix_in_session(args, host, opts, workspace)
    from goenv_tui.fixes.lock import LockTimeout, fix_session_locked
    try:
        with fix_session_locked(host, opts.home):
            return _fix_in_session(args, host, opts, workspace)
    except LockTimeout as exc:
        raise UsageError(f"{exc}; nothing was written") from exc


def _fix_in_session(args: argparse.Namespace, host: Host, opts: TraceOptions, workspace: str | None) -> int:
    from goenv_tui.diagnose import diagnose
    from goenv_tui.fixes.engine import FixRefused, NotSafe, apply_fix
    from goenv_tui.fixes.trial import describe, run_trial
    from goenv_tui.host import HostError
    from goenv_tui.redact import redactor_for

    d = diagnose(host, opts, workspace, probes=args.finding.startswith("GOENV-PROBE") and not args.no_probes)
    matches = [f for f in d.findings if f.id == args.finding] or [f for f in d.findings if f.id.startswith(args.finding)]
    if not matches:
        raise UsageError(f"no finding {args.finding!r} now (it may be fixed already); `goenv-tui report` lists them")
    if len(matches) > 1:
        raise UsageError(f"{args.finding!r} matches {len(matches)} findings: " + ", ".join(f.id for f in matches[:6]))
    finding = matches[0]
    plans = d.plans.get(finding.id, [])
    refused = d.refused.get(finding.id, [])
    if not plans:
        print(f"{finding.id}: {finding.title}\nNo automatic fix for this one; the report explains what to change.")
        for why in refused:
            print(f"  not offered: {why}")
        return EXIT_FINDINGS
    if args.fix_id:
        plans = [p for p in plans if p.id == args.fix_id]
        if not plans:
            raise UsageError(f"--fix {args.fix_id}: choose from {', '.join(p.id for p in d.plans[finding.id])}")
    red = redactor_for(d.facts)
    print(red.text(f"{finding.id}: {finding.title}"))
    if len(plans) > 1 and not args.dry_run:
        for p in plans:
            print(f"\n  --fix {p.id}: {p.fix.title} [{p.fix.kind}]")
        raise UsageError("this finding offers several fixes; pick one with --fix (see above)")
    from goenv_tui.fixes.impact import describe as reach_lines
    from goenv_tui.fixes.impact import reach

    trials = {}
    for p in plans:
        print(red.text(f"\n{p.fix.title}  [{p.fix.kind}, --fix {p.id}]\n"))
        print(red.text(p.fix.preview.rstrip()) or "(no change)")
        print("\nWhat this reaches:")
        for line in reach_lines(reach(d.graph, p), d.facts.home):
            print(f"  {red.text(line)}")
        trials[p.id] = run_trial(host, opts, workspace, d, p)
        print("\n" + red.text(describe(trials[p.id])))
    for why in refused:
        print(f"\nNot offered: {red.text(why)}")
    if args.dry_run:
        safe = [t for t in trials.values() if t.safe or not t.tried]
        return EXIT_OK if safe else EXIT_FINDINGS
    planned = plans[0]
    if host.run_as is not None:
        raise UsageError(f"{opts.home} belongs to {host.run_as.name}; run the fix as that user "
                         f"(sudo -u {host.run_as.name} goenv-tui fix …), not as root")
    trial = trials[planned.id]
    if trial.tried and not trial.safe and not args.force_unsafe:
        print(f"goenv-tui: not applied: {red.text(trial.verdict)}. Nothing was written; --force-unsafe applies it anyway.",
              file=sys.stderr)
        return EXIT_FINDINGS
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("refusing to change files without --yes when not asked on a terminal")
        answer = input("\nApply this change? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            print("Nothing changed.")
            return EXIT_OK
    try:
        out = apply_fix(host, opts, workspace, d, planned, on_line=lambda line: print(f"  {red.text(line)}"), trial=trial,
                        force=args.force_unsafe)
    except NotSafe as exc:
        print(f"goenv-tui: {exc}", file=sys.stderr)
        return EXIT_FINDINGS
    except (FixRefused, HostError) as exc:
        print(f"goenv-tui: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"\n{red.text(out.verdict)}")
    if out.rolled_back:
        print("goenv-tui: the fix was rolled back; every file is as it was before.", file=sys.stderr)
        return EXIT_FINDINGS
    if out.entry is None and not out.applied:
        return EXIT_OK  # nothing to change: the fix was already in place
    return EXIT_OK if out.applied and out.cleared and not out.new else EXIT_FINDINGS


def _graph(args: argparse.Namespace, host: Host) -> int:
    from goenv_tui.diagnose import diagnose
    from goenv_tui.graph_export import export

    opts, workspace = _options(args, host)
    d = diagnose(host, opts, workspace, probes=not args.no_probes)
    contexts = d.graph.g.graph["contexts"]
    if args.context and args.context not in contexts:
        raise UsageError(f"--context {args.context}: no such context; choose from {', '.join(contexts)}")
    if args.variable and args.variable not in d.graph.variables():
        raise UsageError(f"--variable {args.variable}: no context sets or exports it")
    text = export(d.graph, args.format, args.context, args.variable, d.facts.home)
    if args.output:
        tmp = args.output + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, args.output)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _undo(args: argparse.Namespace, host: Host) -> int:
    from goenv_tui.display import tilde
    from goenv_tui.fixes.engine import FixRefused, latest_undoable, undo, undo_chain
    from goenv_tui.fixes.journal import Journal
    from goenv_tui.host import HostError
    from goenv_tui.redact import PLAIN

    opts, _ = _options(args, host)
    journal = Journal(host, opts.home)

    def files_of(e: Entry) -> str:
        # Quoted: a path with spaces, commas or control characters reads as exactly one path.
        return ", ".join(repr(tilde(opts.home, r.path)) for r in e.files) or shlex.join(e.argv)

    if args.list:
        try:
            entries = journal.entries()
        except HostError as exc:
            print(f"goenv-tui: {exc}", file=sys.stderr)
            return EXIT_USAGE
        if not entries:
            print(f"No fixes recorded in {journal.path}.")
        for e in entries:
            print(PLAIN.text(f"{e.id}  {e.state:<8} {e.title!r}  [{files_of(e)}]"))
        return EXIT_OK
    entry_id = args.entry
    if not entry_id:
        latest = latest_undoable(host, opts.home)
        if latest is None:
            print(f"Nothing to undo: no applied fix in {journal.path}.")
            return EXIT_OK
        entry_id = latest.id
        print(f"The latest fix: {latest.id}  {latest.title}  [{files_of(latest)}]")
    try:
        chain = undo_chain(host, opts.home, entry_id)
    except (FixRefused, HostError) as exc:
        print(f"goenv-tui: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for e in chain[:-1]:
        print(f"Undoing {e.id} first: {e.title} — it changed {files_of(e)} after {chain[-1].id}.")
    if (not args.entry or len(chain) > 1) and not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("refusing to undo without --yes when not asked on a terminal")
        what = f"these {len(chain)} fixes" if len(chain) > 1 else "it"
        if input(f"Undo {what}? [y/N] ").strip().lower() not in ("y", "yes"):
            print("Nothing changed.")
            return EXIT_OK
    try:
        undo(host, opts.home, entry_id)
    except (FixRefused, HostError) as exc:
        print(f"goenv-tui: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for e in chain:
        print(f"Undone {e.id}: {e.title} (restored {files_of(e) or 'nothing'}).")
    return EXIT_OK


def _need_terminal(what: str) -> None:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(f"{what} needs a terminal (stdin and stdout); in scripts and pipes use "
                         "`goenv-tui report` (--json or --text)")


def _run_app(app: App[Any]) -> None:
    """Run a Textual app; SIGTERM/SIGHUP kill what it started at once and close it (with a hard
    exit if it cannot close, e.g. when its terminal is gone)."""
    import threading

    def on_signal(signum: int, frame: object) -> None:
        _stop_children()
        code = 128 + signum
        threading.Timer(3.0, os._exit, (code,)).start()
        with contextlib.suppress(Exception):
            app.exit(code)

    old = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}
    try:
        app.run()
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


def _tui(args: argparse.Namespace, host: Host) -> int:
    from goenv_tui.ui.app import GoenvApp

    _need_terminal("the full-screen app")
    opts, workspace = _options(args, host)
    app = GoenvApp(opts, workspace, host=host, probes=not args.no_probes)
    _fit_charset(app)
    _run_app(app)
    if isinstance(app.return_code, int) and app.return_code > 128:
        return app.return_code
    if os.environ.get("GOENV_TUI_TIMINGS"):
        print(f"first paint {app.first_paint or 0:.3f}s, all findings {app.ready_at or 0:.3f}s")
    return EXIT_OK


def _wizard(args: argparse.Namespace, host: Host) -> int:
    from goenv_tui.ui.wizard import WizardApp

    _need_terminal("the wizard")
    opts, workspace = _options(args, host)
    app = WizardApp(opts, workspace, host=host, fresh=args.start_over)
    _fit_charset(app)
    _run_app(app)
    if isinstance(app.return_code, int) and app.return_code > 128:
        return app.return_code
    return EXIT_OK


def _fit_charset(app: App[Any]) -> None:
    """ASCII frames and symbols on a terminal whose locale is not UTF-8 (goenv_tui/charset.py)."""
    if not detect_charset().utf8:
        from goenv_tui.ui.ascii_driver import ascii_driver

        app.driver_class = ascii_driver(app.driver_class)


COMMANDS = {"report": _report, "fix": _fix, "graph": _graph, "undo": _undo, "wizard": _wizard, None: _tui}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    # Closing the terminal (SIGHUP) or `kill` (SIGTERM) must clean up as Ctrl-C does: no traced
    # shell, `go` or probe may outlive goenv-tui.
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        with contextlib.suppress(ValueError):  # not the main thread (embedded use)
            signal.signal(sig, _on_signal)
    try:
        args = _merge_common(build_parser().parse_args(argv))
        host = _host(args, _import_core if args.command in ("report", "fix") else None)
        try:
            return COMMANDS[args.command](args, host)
        finally:
            if host.remote:
                host.close()
    except UsageError as exc:
        print(f"goenv-tui: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        n = _stop_children()
        _say("goenv-tui: interrupted" + (f"; stopped {n} process{'es' if n != 1 else ''} it had started" if n else ""))
        return 130
    except Stopped as exc:
        n = exc.killed + _stop_children()
        what = "interrupted" if exc.signum == signal.SIGINT else f"stopped by {exc}"
        _say(f"goenv-tui: {what}" + (f"; killed {n} process{'es' if n != 1 else ''} it had started" if n else ""))
        return 128 + exc.signum
    except Exception as exc:  # the one place a crash becomes a message
        if debug:
            traceback.print_exc()
        print(f"goenv-tui: internal error: {exc!r} (run with --debug for details)", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
