#!/usr/bin/env bash
# Installs everything the test suite needs, idempotently: the shells it traces, tmux for the
# end-to-end runs, sshd for the remote tests, a second (older) Go, gopls and dlv, and the Python
# package with its test extras. With GOENV_TUI_CI=1 a tool that is still missing afterwards is a
# failure, never a silent skip.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v zsh >/dev/null || need_apt+=(zsh)
command -v fish >/dev/null || need_apt+=(fish)
command -v tmux >/dev/null || need_apt+=(tmux)
command -v unshare >/dev/null || need_apt+=(util-linux)
command -v mount >/dev/null || need_apt+=(mount)  # the UI fixtures bind-mount their own /etc files
[ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)
[ -x /usr/lib/go-1.19/bin/go ] || need_apt+=(golang-1.19-go)
# Frameworks as Debian packages them, for tests/realworld (none of them touches /etc).
command -v rbenv >/dev/null || need_apt+=(rbenv)
command -v direnv >/dev/null || need_apt+=(direnv)
command -v fzf >/dev/null || need_apt+=(fzf)
[ -f /usr/share/liquidprompt/liquidprompt ] || need_apt+=(liquidprompt)
[ -f /usr/share/zsh-antigen/antigen.zsh ] || need_apt+=(zsh-antigen)
[ -f /usr/share/zplug/init.zsh ] || need_apt+=(zplug)
[ -f /usr/share/zsh-autosuggestions/zsh-autosuggestions.zsh ] || need_apt+=(zsh-autosuggestions)
[ -f /usr/share/zsh-syntax-highlighting/zsh-syntax-highlighting.zsh ] || need_apt+=(zsh-syntax-highlighting)
if [ ${#need_apt[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        echo "install-test-deps: apt-get install ${need_apt[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
    else
        echo "install-test-deps: please install: ${need_apt[*]}" >&2
    fi
fi

# bash-completion installs /etc/profile.d/bash_completion.sh, which would change every login bash
# on the machine: unpack the package for the tests instead (tests/realworld/debian.py).
TEST_CACHE=${GOENV_TUI_TEST_CACHE:-$HOME/.cache/goenv-tui-tests}
BASH_COMPLETION="$TEST_CACHE/bash-completion/usr/share/bash-completion/bash_completion"
if [ ! -f "$BASH_COMPLETION" ] && command -v apt-get >/dev/null; then
    echo "install-test-deps: unpack bash-completion into $TEST_CACHE"
    mkdir -p "$TEST_CACHE"
    (cd "$TEST_CACHE" && rm -f bash-completion_*.deb && apt-get download -qq bash-completion 2>/dev/null \
        && dpkg-deb -x bash-completion_*.deb bash-completion && rm -f bash-completion_*.deb) || true
fi

# gopls v0.24 needs Go 1.27; v0.23.0 is the newest that builds with the Go this machine has.
GOPLS_VERSION=${GOPLS_VERSION:-v0.23.0}
DLV_VERSION=${DLV_VERSION:-v1.27.2}

PY=${PYTHON:-python3}
"$PY" -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[test]'
if command -v pyenv >/dev/null; then pyenv rehash; fi  # a shim for the new goenv-tui command

if command -v go >/dev/null || [ -x /usr/local/go/bin/go ]; then
    GO=$(command -v go || echo /usr/local/go/bin/go)
    GOBIN_DIR=$("$GO" env GOBIN); [ -n "$GOBIN_DIR" ] || GOBIN_DIR="$("$GO" env GOPATH)/bin"
    [ -x "$GOBIN_DIR/gopls" ] || { echo "install-test-deps: go install gopls"; "$GO" install golang.org/x/tools/gopls@"$GOPLS_VERSION"; }
    [ -x "$GOBIN_DIR/dlv" ] || { echo "install-test-deps: go install dlv"; "$GO" install github.com/go-delve/delve/cmd/dlv@"$DLV_VERSION"; }
fi

# An unprivileged account whose homes the root-only tests analyse (they must run as it, issue 13).
if [ "$(id -u)" -eq 0 ] && ! id goenvhome >/dev/null 2>&1; then
    useradd -m -s /bin/bash goenvhome
fi

if [ "${GOENV_TUI_CI:-}" = 1 ]; then
    missing=()
    for tool in bash zsh fish tmux unshare setpriv; do command -v "$tool" >/dev/null || missing+=("$tool"); done
    [ "$(id -u)" -ne 0 ] || id goenvhome >/dev/null 2>&1 || missing+=(user-goenvhome)
    [ -x /usr/sbin/sshd ] || missing+=(sshd)
    [ -x /usr/lib/go-1.19/bin/go ] || missing+=(go-1.19)
    command -v go >/dev/null || [ -x /usr/local/go/bin/go ] || missing+=(go)
    for tool in rbenv direnv fzf; do command -v "$tool" >/dev/null || missing+=("$tool"); done
    for f in /usr/share/liquidprompt/liquidprompt /usr/share/zsh-antigen/antigen.zsh /usr/share/zplug/init.zsh \
             /usr/share/zsh-autosuggestions/zsh-autosuggestions.zsh \
             /usr/share/zsh-syntax-highlighting/zsh-syntax-highlighting.zsh "$BASH_COMPLETION"; do
        [ -f "$f" ] || missing+=("$f")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "install-test-deps: missing after install: ${missing[*]}" >&2
        exit 1
    fi
fi
