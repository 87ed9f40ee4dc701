"""Minimal homes that imitate how real frameworks and version managers install themselves.

Each builder writes the few files that reproduce one framework's pattern as its installer or
README leaves it (studied in the projects' sources: go-nv/goenv, moovweb/gvm, asdf-vm/asdf ≤ 0.15
with asdf-community/asdf-golang, stefanmaric/g, sorin-ionescu/prezto, ohmyzsh/ohmyzsh, nvm):
the layout, the line the installer adds to the user's startup file, and the shell idioms their
init code uses (eval of generated code that defines functions which eval again, `local IFS`,
shim scripts, generated "DO NOT EDIT" environment files, `path=(…)` over several lines, plugin
loops, `typeset -U path`, precmd hooks). None of their code is copied; the Go they "install" is
a directory symlink to the machine's real Go, as goenv/g/gvm users often do for a system Go.
"""

from __future__ import annotations

import os

from tests import gotools
from tests.homes import Home


def append(home: Home, rel: str, text: str) -> Home:
    """Add lines at the end of a startup file, as installers do (`echo … >> ~/.bashrc`)."""
    path = home.root / rel
    before = path.read_text() if path.exists() else ""
    sep = "" if not before or before.endswith("\n") else "\n"
    return home.file(rel, before + sep + text)


def _goroot() -> str:
    return gotools.goroot_of(gotools.go())


def _version() -> str:
    return gotools.go_version(gotools.go()).removeprefix("go")


# --- goenv (go-nv/goenv, bash front end) ---------------------------------------------------------

GOENV_RC = """\
export GOENV_ROOT="$HOME/.goenv"
export PATH="$GOENV_ROOT/bin:$PATH"
eval "$(goenv init -)"
"""


def goenv(home: Home, rc_files: tuple[str, ...] = (".bashrc", ".zshrc")) -> Home:
    """`eval "$(goenv init -)"`: generated code that appends the shims directory to PATH, defines
    a `goenv` function that evals `goenv sh-<command>`, and calls it (`goenv rehash
    --only-manage-paths`) to export GOROOT=~/.goenv/versions/X and GOPATH=~/go/X. Shims are
    scripts that exec `goenv exec <tool>`; versions/X is a directory symlink to a real Go."""
    v = _version()
    root = home.p(".goenv")
    home.file(".goenv/bin/goenv", r'''
        #!/usr/bin/env bash
        set -e
        GOENV_ROOT="${GOENV_ROOT:-$HOME/.goenv}"
        version() { if [ -n "${GOENV_VERSION:-}" ]; then echo "$GOENV_VERSION"; else head -n1 "$GOENV_ROOT/version"; fi; }
        case "$1" in
        init)
          shell="${3:-$(basename "${SHELL:-bash}")}"
          cat <<EOL
        export GOENV_SHELL=$shell
        export GOENV_ROOT=$GOENV_ROOT
        if [ "\${PATH#*\$GOENV_ROOT/shims}" = "\${PATH}" ]; then
          if [ "\${GOENV_PATH_ORDER:-}" = "front" ] ; then
            export PATH="\${GOENV_ROOT}/shims:\${PATH}"
          else
            export PATH="\${PATH}:\${GOENV_ROOT}/shims"
          fi
        fi
        goenv() {
          local command
          command="\$1"
          if [ "\$#" -gt 0 ]; then
            shift
          fi
          case "\$command" in
          rehash|shell)
            eval "\$(goenv "sh-\$command" "\$@")";;
          *)
            command goenv "\$command" "\$@";;
          esac
        }
        goenv rehash --only-manage-paths
        EOL
          ;;
        sh-rehash)
          v="$(version)"
          if [ "$v" != system ]; then
            echo "export GOROOT=\"$GOENV_ROOT/versions/$v\""
            echo "export GOPATH=\"$HOME/go/$v\""
          fi
          echo "hash -r 2>/dev/null || true"
          ;;
        exec)
          shift; program="$1"; shift
          GOROOT="$GOENV_ROOT/versions/$(version)"
          export GOROOT
          export PATH="$GOROOT/bin:$PATH"
          exec "$GOROOT/bin/$program" "$@"
          ;;
        prefix) echo "$GOENV_ROOT/versions/$(version)" ;;
        *) echo "goenv: no such command '$1'" >&2; exit 1 ;;
        esac
        ''', mode=0o755)
    for tool in ("go", "gofmt"):
        home.file(f".goenv/shims/{tool}", f'''
            #!/usr/bin/env bash
            set -e
            program="${{0##*/}}"
            export GOENV_ROOT="{root}"
            exec "{root}/bin/goenv" exec "$program" "$@"
            ''', mode=0o755)
    home.symlink(f".goenv/versions/{v}", _goroot())
    home.file(".goenv/version", f"{v}\n")
    for rc in rc_files:
        append(home, rc, GOENV_RC)
    return home


# --- gvm (moovweb/gvm) -------------------------------------------------------------------------------

GVM_LINE = '[[ -s "$HOME/.gvm/scripts/gvm" ]] && source "$HOME/.gvm/scripts/gvm"\n'


def gvm(home: Home, default: str = "go", rc_files: tuple[str, ...] = (".bashrc", ".zshrc")) -> Home:
    """The installer's `[[ -s ~/.gvm/scripts/gvm ]] && source …` line; scripts/gvm → gvm-default,
    which unsets GOROOT/GOPATH/GOBIN, sources the generated environments/default ("DO NOT
    EDIT") and re-orders PATH with a helper that juggles `local IFS`.

    default="go": `gvm use goX --default` (gos/goX links to the real Go);
    default="system-empty": `gvm use system --default` after installing over a Go ≥ 1.21, whose
    environment file ends up with GOROOT="" (the installer parsed `go env`'s quoted output)."""
    v = _version()
    g = home.p(".gvm")
    home.file(".gvm/VERSION", "1.0.22\n")
    home.file(".gvm/scripts/gvm", f'export GVM_ROOT={g}\n. $GVM_ROOT/scripts/gvm-default\n')
    home.file(".gvm/scripts/gvm-default", '''
        unset GOROOT
        unset GOPATH
        unset GOBIN
        export GVM_VERSION=$(cat "$GVM_ROOT/VERSION")
        export PATH="$GVM_ROOT/bin:$PATH"
        export GVM_PATH_BACKUP="$PATH"
        [ -f "$GVM_ROOT/environments/default" ] && . "$GVM_ROOT/environments/default"
        . "$GVM_ROOT/scripts/env/cd" && cd .
        ''')
    home.file(".gvm/scripts/function/munge_path", r'''
        __gvm_munge_path() {
            local path_in="${1:-$PATH}"
            local path_in_ary; path_in_ary=()
            local gvm_ary; gvm_ary=()
            local general_ary; general_ary=()
            local defaultIFS="$IFS"
            local IFS="$defaultIFS"
            IFS=': ' path_in_ary=( $(printf "%s" "${path_in}") ) IFS="$defaultIFS"
            local _path
            for _path in "${path_in_ary[@]}"; do
                case "$_path" in
                *.gvm*) gvm_ary+=("$_path") ;;
                *) general_ary+=("$_path") ;;
                esac
            done
            local path_out
            IFS=":" path_out="${gvm_ary[*]}:${general_ary[*]}" IFS="$defaultIFS"
            printf "%s" "${path_out}"
        }
        ''')
    home.file(".gvm/scripts/env/cd", '''
        . "$GVM_ROOT/scripts/function/munge_path" || return 1
        export PATH="$(__gvm_munge_path)"
        cd() {
            builtin cd "$@" || return $?
            [ -f .go-version ] && echo "gvm: would switch to $(cat .go-version)"
            return 0
        }
        ''')
    home.dir(".gvm/bin").dir(".gvm/pkgsets/system/global/bin")
    head = "# Automatically generated file. DO NOT EDIT!\n"
    if default == "system-empty":
        env = (head + f'export GVM_ROOT; GVM_ROOT="{g}"\n'
               'export gvm_go_name; gvm_go_name="system"\n'
               'export gvm_pkgset_name; gvm_pkgset_name="global"\n'
               'export GOROOT; GOROOT=""\n'
               f'export GOPATH; GOPATH="{g}/pkgsets/system/global"\n'
               f'export PATH; PATH="{g}/pkgsets/system/global/bin:/bin:$GVM_ROOT/bin:$PATH"\n')
    else:
        home.symlink(f".gvm/gos/go{v}", _goroot())
        home.dir(f".gvm/pkgsets/go{v}/global/bin")
        env = (head + f'export GVM_ROOT; GVM_ROOT="{g}"\n'
               f'export gvm_go_name; gvm_go_name="go{v}"\n'
               'export gvm_pkgset_name; gvm_pkgset_name="global"\n'
               f'export GOROOT; GOROOT="$GVM_ROOT/gos/go{v}"\n'
               f'export GOPATH; GOPATH="$GVM_ROOT/pkgsets/go{v}/global"\n'
               f'export PATH; PATH="$GVM_ROOT/pkgsets/go{v}/global/bin:$GVM_ROOT/gos/go{v}/bin:$GVM_ROOT/bin:$PATH"\n')
    home.file(".gvm/environments/default", env)
    for rc in rc_files:
        append(home, rc, "\n" + GVM_LINE)
    return home


# --- asdf ≤ 0.15 (bash implementation) + asdf-golang -----------------------------------------------

def asdf(home: Home, rc_files: tuple[str, ...] = (".bashrc", ".zshrc")) -> Home:
    """`. "$HOME/.asdf/asdf.sh"` prepends ~/.asdf/shims and ~/.asdf/bin; `go` is a shim script
    (`# asdf-plugin: golang X` then `exec asdf exec go`), which runs the plugin's exec-env (it
    exports GOROOT only when unset) and the installed Go. The zsh side of asdf-golang sets
    GOROOT from a precmd hook, which never runs under `zsh -i -c`."""
    v = _version()
    a = home.p(".asdf")
    home.file(".asdf/asdf.sh", '''
        _asdf_bin="$ASDF_DIR/bin"
        _asdf_shims="${ASDF_DATA_DIR:-$HOME/.asdf}/shims"
        case ":$PATH:" in
          *":$_asdf_bin:"*) : ;;
          *) PATH="$_asdf_bin:$PATH" ;;
        esac
        case ":$PATH:" in
          *":$_asdf_shims:"*) : ;;
          *) PATH="$_asdf_shims:$PATH" ;;
        esac
        unset -v _asdf_bin _asdf_shims
        asdf() {
          command asdf "$@"
        }
        '''.replace('_asdf_bin="$ASDF_DIR/bin"', f'ASDF_DIR="${{ASDF_DIR:-{a}}}"\n_asdf_bin="$ASDF_DIR/bin"'))
    home.file(".asdf/bin/asdf", r'''
        #!/usr/bin/env bash
        set -e
        data="${ASDF_DATA_DIR:-$HOME/.asdf}"
        version() { awk '$1 == "golang" {print $2; exit}' "$HOME/.tool-versions"; }
        case "$1" in
        exec)
          shift; tool="$1"; shift
          export ASDF_INSTALL_VERSION="$(version)"
          export ASDF_INSTALL_PATH="$data/installs/golang/$ASDF_INSTALL_VERSION"
          . "$data/plugins/golang/bin/exec-env"
          exec "$ASDF_INSTALL_PATH/go/bin/$tool" "$@"
          ;;
        which) echo "$data/installs/golang/$(version)/go/bin/$2" ;;
        *) echo "asdf: unknown command $1" >&2; exit 1 ;;
        esac
        ''', mode=0o755)
    home.file(".asdf/plugins/golang/bin/exec-env", '''
        #!/usr/bin/env bash
        if [ "${ASDF_INSTALL_VERSION}" != 'system' ]; then
          if [[ "unset" == "${GOROOT:-unset}" ]]; then
            export GOROOT=$ASDF_INSTALL_PATH/go
          fi
          if [[ "unset" == "${GOPATH:-unset}" ]]; then
            export GOPATH=$ASDF_INSTALL_PATH/packages
          fi
        fi
        ''', mode=0o755)
    home.file(".asdf/plugins/golang/set-env.zsh", '''
        asdf_update_golang_env() {
          local go_bin_path
          go_bin_path="$(asdf which go 2>/dev/null)"
          if [[ -n "${go_bin_path}" ]]; then
            export GOROOT
            GOROOT="$(dirname "$(dirname "${go_bin_path:A}")")"
          fi
        }
        autoload -U add-zsh-hook
        add-zsh-hook precmd asdf_update_golang_env
        ''')
    home.dir(f".asdf/installs/golang/{v}").symlink(f".asdf/installs/golang/{v}/go", _goroot())
    for tool in ("go", "gofmt"):
        home.file(f".asdf/shims/{tool}", f'''
            #!/usr/bin/env bash
            # asdf-plugin: golang {v}
            exec {a}/bin/asdf exec "{tool}" "$@" # asdf_allow: ' asdf '
            ''', mode=0o755)
    home.file(".tool-versions", f"golang {v}\n")
    for rc in rc_files:
        line = '. "$HOME/.asdf/asdf.sh"\n'
        if rc == ".zshrc":
            line += '. "$HOME/.asdf/plugins/golang/set-env.zsh"\n'
        append(home, rc, line)
    return home


# --- stefanmaric/g -----------------------------------------------------------------------------------

G_LINE = ('export GOPATH="$HOME/go"; export GOROOT="$HOME/.go"; export PATH="$GOPATH/bin:$PATH"; '
          '# g-install: do NOT edit, see https://github.com/stefanmaric/g\n')


def g(home: Home, rc_files: tuple[str, ...] = (".bashrc", ".zshrc")) -> Home:
    """g's installer appends one line setting GOPATH, GOROOT and PATH together; `g use X` links
    each entry of ~/.go/.versions/X into ~/.go (so ~/.go/bin is a directory symlink) and links
    ~/go/bin/go to ~/.go/bin/go. Here .versions/X itself links to the real Go."""
    v = _version()
    home.symlink(f".go/.versions/{v}", _goroot())
    for entry in sorted(os.listdir(_goroot())):
        home.symlink(f".go/{entry}", home.p(f".go/.versions/{v}/{entry}"))
    for tool in ("go", "gofmt"):
        home.symlink(f"go/bin/{tool}", home.p(f".go/bin/{tool}"))
    for rc in rc_files:
        append(home, rc, "\n" + G_LINE)
    return home


# --- Debian's skeleton (what every account starts with) --------------------------------------------

def skeleton(home: Home) -> Home:
    """/etc/skel's pattern: ~/.profile sources ~/.bashrc, which returns early when not interactive."""
    home.file(".profile", '''
        # ~/.profile: executed by the command interpreter for login shells.
        if [ -n "$BASH_VERSION" ]; then
            if [ -f "$HOME/.bashrc" ]; then
                . "$HOME/.bashrc"
            fi
        fi
        if [ -d "$HOME/bin" ] ; then
            PATH="$HOME/bin:$PATH"
        fi
        ''')
    home.file(".bashrc", '''
        # ~/.bashrc: executed by bash(1) for non-login shells.
        case $- in
            *i*) ;;
              *) return;;
        esac
        HISTCONTROL=ignoreboth
        shopt -s histappend
        ''')
    return home


GO_LINES = f'export PATH="$PATH:{os.path.dirname(gotools.go())}"\nexport GOPATH="$HOME/go"\n'


# --- prezto (sorin-ionescu/prezto) ---------------------------------------------------------------------

def prezto(home: Home) -> Home:
    """~/.z* are symlinks into ~/.zprezto/runcoms (the user's to edit); zprofile deduplicates with
    `typeset -gU … path` and sets `path=(` over several lines with glob qualifiers; zshrc sources
    init.zsh, whose `pmodload` loops over modules (zstyle, anonymous functions with
    LOCAL_OPTIONS, autoload) and whose completion module runs compinit with no cache yet."""
    go_dir = os.path.dirname(gotools.go())
    home.file(".zprezto/init.zsh", '''
        autoload -Uz is-at-least || return 1
        function pmodload {
          local -a pmodules
          local pmodule pmodule_location
          pmodules=("$argv[@]")
          for pmodule in "$pmodules[@]"; do
            if zstyle -t ":prezto:module:$pmodule" loaded 'yes' 'no'; then
              continue
            fi
            pmodule_location="$ZPREZTODIR/modules/$pmodule"
            fpath=(${pmodule_location}/functions(-/FN) $fpath)
            function {
              local pfunction
              setopt LOCAL_OPTIONS EXTENDED_GLOB
              for pfunction in ${pmodule_location}/functions/^([_.]*|README*)(-.N:t); do
                autoload -Uz "$pfunction"
              done
            }
            if [[ -s "${pmodule_location}/init.zsh" ]]; then
              source "${pmodule_location}/init.zsh"
            fi
            if (( $? == 0 )); then
              zstyle ":prezto:module:$pmodule" loaded 'yes'
            else
              zstyle ":prezto:module:$pmodule" loaded 'no'
            fi
          done
        }
        ZPREZTODIR=${0:h}
        if [[ -s "${ZDOTDIR:-$HOME}/.zpreztorc" ]]; then
          source "${ZDOTDIR:-$HOME}/.zpreztorc"
        fi
        zstyle -a ':prezto:load' pmodule 'pmodules'
        pmodload "$pmodules[@]"
        unset pmodules
        ''')
    home.file(".zprezto/modules/environment/init.zsh", '''
        setopt COMBINING_CHARS INTERACTIVE_COMMENTS RC_QUOTES
        export PAGER="${PAGER:-less}"
        ''')
    home.file(".zprezto/modules/utility/functions/mkdcd", 'mkdir -p "$@" && cd "${@[-1]}"\n')
    home.file(".zprezto/modules/utility/init.zsh", '''
        alias ll='ls -lh'
        ''')
    home.file(".zprezto/modules/completion/init.zsh", '''
        if [[ "$TERM" == 'dumb' ]]; then
          return 1
        fi
        setopt COMPLETE_IN_WORD ALWAYS_TO_END
        autoload -Uz compinit
        _comp_path="${XDG_CACHE_HOME:-$HOME/.cache}/prezto/zcompdump"
        mkdir -p "$_comp_path:h"
        compinit -i -C -d "$_comp_path"
        unset _comp_path
        zstyle ':completion:*' menu select
        ''')
    home.file(".zprezto/runcoms/zshenv", '''
        if [[ ( "$SHLVL" -eq 1 && ! -o LOGIN ) && -s "${ZDOTDIR:-$HOME}/.zprofile" ]]; then
          source "${ZDOTDIR:-$HOME}/.zprofile"
        fi
        ''')
    home.file(".zprezto/runcoms/zprofile", f'''
        if [[ -z "$EDITOR" ]]; then
          export EDITOR='nano'
        fi
        typeset -gU cdpath fpath mailpath path
        path=(
          $HOME/{{,s}}bin(N)
          {go_dir}
          /usr/local/{{,s}}bin(N)
          $path
        )
        export GOPATH="$HOME/go"
        ''')
    home.file(".zprezto/runcoms/zshrc", '''
        if [[ -s "${ZDOTDIR:-$HOME}/.zprezto/init.zsh" ]]; then
          source "${ZDOTDIR:-$HOME}/.zprezto/init.zsh"
        fi
        ''')
    home.file(".zprezto/runcoms/zpreztorc", '''
        zstyle ':prezto:load' pmodule 'environment' 'utility' 'completion'
        ''')
    for rc in ("zshenv", "zprofile", "zshrc", "zpreztorc"):
        home.symlink(f".{rc}", home.p(f".zprezto/runcoms/{rc}"))
    return home


# --- oh-my-zsh (ohmyzsh/ohmyzsh) -----------------------------------------------------------------------

def ohmyzsh(home: Home) -> Home:
    """The installer's ~/.zshrc from templates/zshrc.zsh-template (ZSH, ZSH_THEME, plugins=(…),
    `source $ZSH/oh-my-zsh.sh`) with the user's Go lines after it; oh-my-zsh.sh extends fpath,
    loops over lib/*.zsh and the plugins with a helper function, runs compinit with no cache yet,
    and loads the theme, which sets a precmd hook."""
    home.file(".oh-my-zsh/oh-my-zsh.sh", '''
        [[ -n "$ZSH_CACHE_DIR" ]] || ZSH_CACHE_DIR="$ZSH/cache"
        [[ -n "$ZSH_CUSTOM" ]] || ZSH_CUSTOM="$ZSH/custom"
        fpath=($ZSH/{functions,completions} $ZSH_CUSTOM/{functions,completions} $fpath)
        autoload -U compaudit compinit zrecompile
        for plugin ($plugins); do
          if [[ -f "$ZSH/plugins/$plugin/$plugin.plugin.zsh" ]]; then
            fpath=("$ZSH/plugins/$plugin" $fpath)
          fi
        done
        ZSH_COMPDUMP="${ZDOTDIR:-$HOME}/.zcompdump-${SHORT_HOST:-${HOST%%.*}}-${ZSH_VERSION}"
        compinit -u -d "$ZSH_COMPDUMP"
        _omz_source() {
          local filepath="$1"
          if [[ -f "$ZSH_CUSTOM/$filepath" ]]; then
            source "$ZSH_CUSTOM/$filepath"
          elif [[ -f "$ZSH/$filepath" ]]; then
            source "$ZSH/$filepath"
          fi
        }
        for lib_file ("$ZSH"/lib/*.zsh); do
          _omz_source "lib/${lib_file:t}"
        done
        unset lib_file
        for plugin ($plugins); do
          _omz_source "plugins/$plugin/$plugin.plugin.zsh"
        done
        unset plugin
        if [[ -n "$ZSH_THEME" ]]; then
          _omz_source "themes/$ZSH_THEME.zsh-theme"
        fi
        ''')
    home.file(".oh-my-zsh/lib/history.zsh", 'HISTSIZE=50000\nSAVEHIST=10000\nsetopt extended_history\n')
    home.file(".oh-my-zsh/lib/prompt_info_functions.zsh", '''
        for _omz_f in ruby_prompt_info rvm_prompt_info virtualenv_prompt_info; do
          eval "function $_omz_f() { return 1 }"
        done
        unset _omz_f
        ''')
    home.file(".oh-my-zsh/plugins/git/git.plugin.zsh", '''
        function git_current_branch() {
          local ref
          ref=$(command git symbolic-ref --quiet HEAD 2> /dev/null) || return
          echo ${ref#refs/heads/}
        }
        alias gst='git status'
        ''')
    home.file(".oh-my-zsh/plugins/golang/golang.plugin.zsh", '''
        alias gob='go build'
        alias gopa='cd $GOPATH'
        alias gopb='cd $GOPATH/bin'
        ''')
    home.file(".oh-my-zsh/themes/robbyrussell.zsh-theme", '''
        autoload -Uz add-zsh-hook
        _omz_theme_precmd() { PROMPT="%~ %# " }
        add-zsh-hook precmd _omz_theme_precmd
        ''')
    append(home, ".zshrc", '''
        export ZSH="$HOME/.oh-my-zsh"
        ZSH_THEME="robbyrussell"
        plugins=(git golang)
        source $ZSH/oh-my-zsh.sh
        ''' + GO_LINES)
    return home


# --- nvm (nvm-sh/nvm): a heavy sourced script ------------------------------------------------------------

def nvm(home: Home, rc_files: tuple[str, ...] = (".bashrc",)) -> Home:
    """nvm's README lines (`export NVM_DIR`, `[ -s "$NVM_DIR/nvm.sh" ] && \\. "$NVM_DIR/nvm.sh"`);
    nvm.sh defines a few hundred functions, walks its version folders and puts the default node
    on PATH: slow to source, nothing to do with Go, and must not hide the user's Go lines."""
    funcs = "\n".join(
        f"nvm_fn_{i}() {{\n  local a=\"$1\"\n  case \"$a\" in\n    v*) echo \"${{a#v}}\" ;;\n    *) echo \"$a\" ;;\n  esac\n}}"
        for i in range(300))
    home.file(".nvm/nvm.sh", funcs + '''
nvm_ls() {
  local d
  for d in "$NVM_DIR"/versions/node/*; do
    [ -d "$d" ] && echo "${d##*/}"
  done
}
nvm_use_default() {
  local v i
  v="$(nvm_ls | tail -n1)"
  i=0
  while [ "$i" -lt 200 ]; do
    v="$(nvm_fn_1 "$v")"; v="v$v"
    i=$((i + 1))
  done
  PATH="$NVM_DIR/versions/node/$v/bin:$PATH"
  export PATH
}
nvm_use_default
''')
    home.file(".nvm/versions/node/v20.11.0/bin/node", "#!/bin/sh\necho v20.11.0\n", mode=0o755)
    for rc in rc_files:
        append(home, rc, '''
            export NVM_DIR="$HOME/.nvm"
            [ -s "$NVM_DIR/nvm.sh" ] && \\. "$NVM_DIR/nvm.sh"  # This loads nvm
            ''')
    return home


# --- stow-style dotfiles ----------------------------------------------------------------------------------

def stow(home: Home) -> Home:
    """Dotfiles kept in ~/dotfiles/<package>/ and linked into the home by GNU stow (relative
    links); the bash set-up is split into ~/.bashrc.d/*.sh read by a loop."""
    home.file("dotfiles/bash/.bashrc", '''
        case $- in *i*) ;; *) return;; esac
        for f in "$HOME"/.bashrc.d/*.sh; do
          [ -r "$f" ] && . "$f"
        done
        unset f
        ''')
    home.file("dotfiles/bash/.bashrc.d/10-go.sh", GO_LINES)
    home.file("dotfiles/bash/.bashrc.d/20-aliases.sh", "alias ll='ls -l'\n")
    home.file("dotfiles/bash/.profile", '[ -f "$HOME/.bashrc" ] && . "$HOME/.bashrc"\n')
    home.file("dotfiles/zsh/.zshenv", GO_LINES)
    for rel in (".bashrc", ".profile", ".bashrc.d"):
        home.symlink(rel, f"dotfiles/bash/{rel}")
    home.symlink(".zshenv", "dotfiles/zsh/.zshenv")
    return home


# --- zsh idioms: typeset -U path, precmd hooks ----------------------------------------------------------

def zsh_idioms(home: Home) -> Home:
    """`typeset -U path` deduplicates PATH (the later duplicate is dropped); a precmd hook sets
    GOFLAGS only at the first prompt, which neither `zsh -i -c` nor the editor ever reaches."""
    go_dir = os.path.dirname(gotools.go())
    home.file(".zshenv", f'''
        typeset -U path PATH
        path=({go_dir} $HOME/go/bin $path {go_dir})
        export GOPATH="$HOME/go"
        ''')
    home.file(".zshrc", '''
        _go_precmd() { export GOFLAGS=-mod=mod }
        autoload -Uz add-zsh-hook
        add-zsh-hook precmd _go_precmd
        precmd_functions+=(_go_precmd)
        ''')
    return home
