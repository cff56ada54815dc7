"""Pure logic of cherry-tui: no Textual, no Rich (see tests/test_architecture.py).

httpx imports its own command line (``httpx._main``: Rich, Pygments, Click) when it is
imported and those are installed, as they are beside Textual. cherry-tui never runs
httpx's command line, so that module is marked absent before httpx is first imported:
httpx then goes without it, as it is written to, and core loads no UI library.
"""

import sys

sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
