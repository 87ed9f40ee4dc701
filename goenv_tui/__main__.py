import sys

from goenv_tui.cli import main

sys.exit(main())
