"""Freed memory given back to the system once hashing is idle (sitekit/memory.py, issue 16)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from sitekit.memory import IdleRelease


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_nothing_is_released_while_the_work_goes_on_nor_twice_after_it() -> None:
    clock, released = Clock(), []
    idle = IdleRelease(idle=1.0, clock=clock, release=lambda: released.append(1) or True)
    assert idle.tick() is False  # nothing used yet
    idle.used()
    clock.now += 0.5
    assert idle.tick() is False and not released  # still busy: the pages would come back
    idle.used()
    clock.now += 0.9
    assert idle.tick() is False  # 0.9 s since the last use
    clock.now += 0.2
    assert idle.tick() is True and released == [1]
    clock.now += 5
    assert idle.tick() is False and released == [1]  # nothing used since


def test_freed_heap_pages_go_back_to_the_system() -> None:
    """In a fresh interpreter (its own heap): 32 MiB of small blocks freed below one still in
    use stay resident (glibc trims only the top of a heap by itself) until released."""
    script = textwrap.dedent("""
        import ctypes
        from sitekit.memory import release_freed_memory

        libc = ctypes.CDLL(None)
        libc.malloc.restype = ctypes.c_void_p
        libc.malloc.argtypes = [ctypes.c_size_t]
        libc.free.argtypes = [ctypes.c_void_p]

        def rss_kib():
            with open("/proc/self/status") as status:
                return next(int(l.split()[1]) for l in status if l.startswith("VmRSS"))

        blocks = [libc.malloc(16384) for _ in range(2048)]
        for block in blocks:
            ctypes.memset(block, 1, 16384)
        keep = libc.malloc(16384)  # above them: the heap's top cannot shrink
        for block in blocks:
            libc.free(block)
        before = rss_kib()
        assert release_freed_memory() is True
        print(before - rss_kib())
        libc.free(keep)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) > 24 * 1024, f"only {int(out.stdout)} KiB given back"


def test_each_hash_counts_as_use_of_the_hashing_memory() -> None:
    from idp.accounts.passwords import Passwords
    from idp.settings import Settings

    clock, released = Clock(), []
    passwords = Passwords(Settings.from_env({}, argon2_memory_kib=1024, argon2_time_cost=1,
                                            argon2_threads=1))
    passwords.memory = IdleRelease(idle=1.0, clock=clock,
                                   release=lambda: released.append(1) or True)
    hashed = passwords.hash("x")
    clock.now += 2
    assert passwords.memory.tick() is True
    passwords.verify(hashed, "x")
    assert passwords.memory.tick() is False  # a verification just now
    clock.now += 2
    assert passwords.memory.tick() is True and released == [1, 1]
