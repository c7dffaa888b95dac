"""The one exception every ``sarchat`` command reports as a one-line error with exit status 2.

Each stage raises its own subclass (a bad official file, a prepared set that cannot be used, a
run log that cannot be read, ...), and the message names the file and the record. ``sarchat``'s
entry point catches ``SarchatError`` once, so no command repeats the printing and the status.
"""

from __future__ import annotations


class SarchatError(Exception):
    """Input or state a command cannot work with; the message names the file and the record."""


EXIT_USAGE = 2  # the status of a SarchatError, as argparse uses for a bad argument
EXIT_INTERRUPTED = 130  # Ctrl-C (SIGINT), as a shell reports a process it interrupted
