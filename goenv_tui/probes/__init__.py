"""Live probes: a file that exists is not a tool that works.

gopls is started the way an editor starts it and spoken to in LSP; dlv is driven at its
`(dlv)` prompt; go builds and vets a scratch module. Each probe runs in one context's exact
environment, under a deadline, in its own process group, and says what failed in the tool's own
words plus a classification the checks turn into findings.
"""

from __future__ import annotations

# What a probe found is a model type (goenv_tui.model.ProbeResult): collect, the checks and the
# UI read it without depending on how probes run.
