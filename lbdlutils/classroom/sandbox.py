"""The walls around a student's code: limits, no network, and a file system it can read but barely write.

Applied by the student's own process to itself, before it reads a line of the submission, and
irrevocable: Linux's Landlock (kernel 5.13 or later; 6.7 or later also denies TCP) confines reads to
Python's libraries and writes to one folder; a new user and network namespace leaves no network
interface; resource limits cap memory, CPU time and file sizes. Nothing here runs in the grader.
"""

from __future__ import annotations

import ctypes
import os
import platform
import resource
import sys
from collections.abc import Iterable
from pathlib import Path

_SYSCALLS = {"create_ruleset": 444, "add_rule": 445, "restrict_self": 446}  # the same on x86-64 and arm64
_PR_SET_NO_NEW_PRIVS, _CLONE_NEWUSER, _CLONE_NEWNET, _CLONE_NEWPID = 38, 0x10000000, 0x40000000, 0x20000000
_RULE_PATH_BENEATH, _CREATE_RULESET_VERSION = 1, 1
# access rights by Landlock ABI version: what each version can deny
_FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1}
_FILE_RIGHTS = 1 | 2 | 4 | (1 << 14) | (1 << 15)  # execute, write, read, truncate, ioctl: all a file can take
_READ = 1 | 4 | 8  # execute, read a file, read a directory
_NET_TCP = 1 | 2  # bind and connect (ABI 4)
_SCOPES = 1 | 2  # abstract unix sockets and signals outside the sandbox (ABI 6)


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def landlock_abi() -> int:
    """The Landlock ABI version this kernel offers, 0 where it has none (or this is not Linux)."""
    if platform.system() != "Linux":
        return 0
    version = _libc().syscall(_SYSCALLS["create_ruleset"], None, 0, _CREATE_RULESET_VERSION)
    return max(int(version), 0)


def _namespaces_allowed() -> bool:
    """Whether an unprivileged process may make user, network and PID namespaces (tried in a child)."""
    pid = os.fork()
    if pid == 0:
        ok = _libc().unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0 and _libc().unshare(_CLONE_NEWPID) == 0
        os._exit(0 if ok else 1)
    return os.waitpid(pid, 0)[1] == 0


def can_isolate() -> str | None:
    """None when this machine can sandbox a submission, else what is missing, in words."""
    if platform.system() != "Linux":
        return f"grading needs Linux (Landlock and namespaces); this is {platform.system()}"
    if landlock_abi() < 1:
        return ("this Linux kernel has no Landlock (5.13 or later, with 'landlock' in the lsm= boot list): "
                "a submission could read the solutions")
    if not _namespaces_allowed():
        return ("unprivileged user namespaces are refused here (on Ubuntu: sysctl "
                "kernel.apparmor_restrict_unprivileged_userns=0): a submission's network and processes "
                "could not be cut off")
    return None


def _entries(folder: Path, skip: tuple[str, ...]) -> list[Path]:
    """The entries of ``folder`` whose names do not start with one of ``skip`` (case and _ - . ignored)."""
    norm = lambda name: name.lower().lstrip("_").replace("-", "_").replace(".", "_").replace("editable___", "")
    return [p for p in folder.iterdir() if not norm(p.name).startswith(skip)] if folder.is_dir() else []


def readable(lib: Path, hide: Iterable[Path] = ()) -> list[Path]:
    """What a submission may read: system libraries, Python's own, every installed package but lbdlutils, ``lib``.

    Folders are opened one level down wherever a whole folder would also open lbdlutils, the teacher's
    copy (with the notebooks and their solutions): site-packages, and a standard library that holds it.
    A folder on ``sys.path`` that holds one of ``hide`` (the teacher's notebooks) is not opened at all.
    """
    hidden = [Path(h).resolve() for h in hide]
    out = [Path(p) for p in ("/etc", "/sys", "/lib", "/lib64", "/usr/lib64", "/proc/self", "/proc/cpuinfo",
                             "/proc/meminfo", "/proc/stat", "/dev/urandom", "/dev/zero")]
    out += _entries(Path("/usr/lib"), ("python",)) + [lib, Path(sys.executable)]
    here = Path.cwd().resolve()
    for entry in (Path(p).resolve() for p in sys.path if p and os.path.isabs(p)):
        if here.is_relative_to(entry) or any(h.is_relative_to(entry) for h in hidden) or not entry.exists():
            continue  # the grader's own folders, and any holding the solutions, are never opened whole
        if entry.name in ("site-packages", "dist-packages"):
            out += _entries(entry, ("lbdlutils",))
        elif (entry / "site-packages").is_dir() or (entry / "dist-packages").is_dir():
            out += _entries(entry, ("site_packages", "dist_packages"))
        else:  # the standard library, lib-dynload, a zip, the copy of lbdlutils
            out.append(entry)
    return sorted({p for p in out if p.exists()})


def _add(libc: ctypes.CDLL, ruleset: int, path: Path, rights: int) -> None:
    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    try:
        rule = _PathBeneath(rights if path.is_dir() else rights & _FILE_RIGHTS, fd)
        if libc.syscall(_SYSCALLS["add_rule"], ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), 0) != 0:
            raise OSError(ctypes.get_errno(), f"landlock_add_rule({path})")
    finally:
        os.close(fd)


def restrict_files(read: Iterable[Path], write: Iterable[Path]) -> int:
    """Allow reading only under ``read`` and writing only under ``write``, for good; returns the ABI used."""
    abi, libc = landlock_abi(), _libc()
    fs = _FS_BY_ABI[max(k for k in _FS_BY_ABI if k <= abi)]
    attr = _RulesetAttr(fs, _NET_TCP if abi >= 4 else 0, _SCOPES if abi >= 6 else 0)
    size = ctypes.sizeof(_RulesetAttr) if abi >= 6 else (16 if abi >= 4 else 8)
    ruleset = libc.syscall(_SYSCALLS["create_ruleset"], ctypes.byref(attr), size, 0)
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset")
    try:
        for path in read:
            _add(libc, ruleset, Path(path), _READ)
        for path in write:
            _add(libc, ruleset, Path(path), fs)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
        if libc.syscall(_SYSCALLS["restrict_self"], ruleset, 0) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self")
    finally:
        os.close(ruleset)
    return abi


def cut_network() -> bool:
    """Move this process into new user and network namespaces, which have no interface up; False if refused."""
    return _libc().unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0


def limit_resources(memory_bytes: int, cpu_seconds: int, file_bytes: int = 64 << 20, processes: int = 64) -> None:
    """Cap the address space, the CPU time (then SIGKILL), file sizes, core dumps, and the user's process count.

    The process count binds only a user other than root; the PID namespace (see :mod:`.runner`) ends
    every process of a submission when the grader ends it.
    """
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if os.getuid() != 0:
        resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))


# seccomp: refuse socket() (any family, even a named Unix socket, which Landlock does not cover) and
# io_uring (whose own socket operation would bypass the filter); everything else is allowed
_ARCH = {"x86_64": (0xC000003E, (41, 425)), "aarch64": (0xC00000B7, (198, 425))}


class _Filter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(_Filter))]


def deny_sockets() -> None:
    """No new socket for this process and its children, for good (needs no_new_privs, set by Landlock first)."""
    arch, (socket_nr, uring_nr) = _ARCH[platform.machine()]
    ld, jeq, ret = 0x20, 0x15, 0x06  # BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K, BPF_RET|BPF_K
    allow, deny, kill = 0x7FFF0000, 0x00050000 | 1, 0x80000000  # ALLOW, ERRNO(EPERM), KILL_PROCESS
    code = [(ld, 0, 0, 4), (jeq, 1, 0, arch), (ret, 0, 0, kill),  # another architecture's calls: killed
            (ld, 0, 0, 0), (0x35, 3, 0, 0x40000000),  # BPF_JGE: x32 system calls, never needed: refused
            (jeq, 2, 0, socket_nr), (jeq, 1, 0, uring_nr), (ret, 0, 0, allow), (ret, 0, 0, deny)]
    filters = (_Filter * len(code))(*[_Filter(*c) for c in code])
    program = _Program(len(code), filters)
    if _libc().prctl(22, 2, ctypes.byref(program), 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")


def enter(folder: Path, memory_bytes: int, cpu_seconds: int, lib: Path, network_cut: bool,
          hide: Iterable[Path] = ()) -> dict[str, object]:
    """The remaining walls, for a process about to run a submission from ``folder``.

    ``network_cut`` says whether :func:`cut_network` succeeded: it must run first, while the process
    still has one thread (torch's import starts others, and a threaded process cannot change namespace).
    """
    if not network_cut:
        raise OSError("no network namespace: refusing to run a submission with the network open")
    limit_resources(memory_bytes, cpu_seconds)
    abi = restrict_files(readable(lib, hide), [folder, Path("/dev/null")])
    deny_sockets()
    return {"landlock_abi": abi, "network_namespace": network_cut, "memory_bytes": memory_bytes,
            "cpu_seconds": cpu_seconds}
