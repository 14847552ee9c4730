"""Run the ``kpi`` command with a fault injected at the N-th file-system call (test helper, run as a script).

    python fault_harness.py count  0 recalc FILE   → prints the calls seen ("calls N writes M") at exit
    python fault_harness.py kill   N recalc FILE   → SIGKILL itself (kill -9) at the N-th call
    python fault_harness.py enospc N recalc FILE   → the N-th call that writes fails with "No space left on device"

The calls are those through which the tool changes the disk (os.open/write/fsync/replace/link/unlink/...), so
every point at which a real process could die or a real disk could fill up is reached one by one.
"""
import errno
import os
import signal
import sys

POINTS = ("open", "write", "fsync", "ftruncate", "replace", "link", "unlink", "chmod", "chown", "utime", "close",
          "mkdir", "rename")
WRITES = ("open", "write", "fsync", "ftruncate", "mkdir")   # calls that can fail with ENOSPC


def main():
    mode, n, argv = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    seen = {"all": 0, "writes": 0}
    folder = os.path.dirname(os.path.realpath(argv[-1]))
    ours = set()   # descriptors of files in the workbook's folder (a full disk there is what is tested)

    def on_our_disk(name, a):
        if name in ("open", "mkdir"):
            return os.path.realpath(os.fsdecode(a[0])).startswith(folder)
        return name not in ("write", "fsync", "ftruncate") or a[0] in ours

    def wrap(name, real):
        def fault(*a, **k):
            if name == "open" and len(a) > 1 and not a[1] & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
                return real(*a, **k)   # reading is not a point of failure of interest
            seen["all"] += 1
            writes = name in WRITES and on_our_disk(name, a)
            seen["writes"] += writes
            if mode == "kill" and seen["all"] == n:
                os.kill(os.getpid(), signal.SIGKILL)
            if mode == "enospc" and writes and seen["writes"] == n:
                if os.environ.get("FAULT_TRACE"):
                    import traceback
                    traceback.print_stack()
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            result = real(*a, **k)
            if name == "open" and on_our_disk(name, a):
                ours.add(result)
            elif name == "close":
                ours.discard(a[0])
            return result
        return fault

    from addin.book import safety  # noqa: F401  (import first: only the tool's own calls are counted)
    for name in POINTS:
        setattr(os, name, wrap(name, getattr(os, name)))
    from addin.cli import main as cli
    code = cli(argv)
    print(f"calls {seen['all']} writes {seen['writes']}", file=sys.stderr)
    sys.exit(code)


if __name__ == "__main__":
    main()
