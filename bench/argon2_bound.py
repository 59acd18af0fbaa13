"""argon2id alone, as the hub verifies passwords, on every core at once: the bound of item 1
of issue 16 ("argon2id at that cost, hashing on both cores at once, peaks at ~107
verifications/s here"), measured in the sitting itself since the machine's speed drifts.

Usage: argon2_bound.py SECONDS. The hub's own `Passwords` with its default cost (OWASP:
19 MiB, t=2, one lane: libsodium) and one hashing thread per core, fed by as many callers;
prints one JSON line: verifications/s, and this process's CPU per verification, user and
kernel apart (libsodium maps fresh memory for each one, which the kernel zeroes).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import threading
import time

from idp.accounts.passwords import Passwords
from idp.settings import Settings

PASSWORD = "Bench-mark-2026!"


def main() -> None:
    seconds = float(sys.argv[1])
    cores = os.cpu_count() or 1
    passwords = Passwords(Settings.from_env({}, argon2_threads=cores))
    stored = passwords.hash(PASSWORD)
    assert passwords.verify(stored, PASSWORD)
    counts = [0] * cores
    until = time.monotonic() + seconds

    def caller(i: int) -> None:
        while time.monotonic() < until:
            passwords.verify(stored, PASSWORD)
            counts[i] += 1

    before, started = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    threads = [threading.Thread(target=caller, args=(i,)) for i in range(cores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed, after = time.monotonic() - started, resource.getrusage(resource.RUSAGE_SELF)
    done = max(sum(counts), 1)
    print(json.dumps({
        "per_second": round(done / elapsed, 1), "threads": cores,
        "user_ms": round((after.ru_utime - before.ru_utime) / done * 1e3, 2),
        "kernel_ms": round((after.ru_stime - before.ru_stime) / done * 1e3, 2)}))


if __name__ == "__main__":
    main()
