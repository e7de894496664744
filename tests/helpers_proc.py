"""What ``/proc`` shows anyone on the machine about a process's open files."""

from __future__ import annotations

import os
from pathlib import Path


def open_files(pid: int) -> list[str]:
    """What each file descriptor of process ``pid`` points to (``socket:[inode]`` for a socket);
    empty once the process is gone.

    A busy process opens and closes files while its list is read: a descriptor closed between
    the listing and its ``readlink`` is skipped, not taken to mean the process holds nothing."""
    try:
        descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return []
    targets = []
    for fd in descriptors:
        try:
            targets.append(os.readlink(fd))
        except OSError:
            continue
    return targets
