"""`stackaudit --version`: the package's version and, in a git checkout, its commit.

The commit is read from the checkout's own files (HEAD, the ref it names, packed-refs), so no git
binary is needed and nothing is run."""
from __future__ import annotations

from importlib import metadata
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]


def version_line() -> str:
    try:
        version = metadata.version("stackaudit")
    except metadata.PackageNotFoundError:
        version = "unknown (not installed)"
    commit = checkout_commit(CHECKOUT / ".git")
    return f"stackaudit {version}" + (f" (commit {commit[:12]})" if commit else "")


def checkout_commit(dot_git: Path) -> str | None:
    """The commit HEAD names in a checkout (a worktree's `.git` file points at its git dir), or None."""
    try:
        if dot_git.is_file():
            pointer = dot_git.read_text().strip()
            if not pointer.startswith("gitdir: "):
                return None
            dot_git = (dot_git.parent / pointer[len("gitdir: "):]).resolve()
        head = (dot_git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head if is_commit(head) else None
        ref = head[len("ref: "):]
        common = dot_git
        if (dot_git / "commondir").is_file():       # a linked worktree keeps its refs in the main git dir
            common = (dot_git / (dot_git / "commondir").read_text().strip()).resolve()
        for git_dir in (dot_git, common):
            if (git_dir / ref).is_file():
                value = (git_dir / ref).read_text().strip()
                return value if is_commit(value) else None
        packed = common / "packed-refs"
        if packed.is_file():
            for line in packed.read_text().splitlines():
                value, _, name = line.partition(" ")
                if name == ref and is_commit(value):
                    return value
    except (OSError, UnicodeDecodeError):
        return None
    return None


def is_commit(value: str) -> bool:
    return len(value) in (40, 64) and all(c in "0123456789abcdef" for c in value)
