#!/usr/bin/env python3
"""The tree is formatted with .clang-format: every source file in src/ is
what clang-format makes of it (--dry-run -Werror). Skipped, saying so, when
clang-format is not installed (scripts/deps.sh installs it for CI)."""
import os
import shutil
import subprocess
import sys


def main():
    root = os.environ.get("CLOUTLY_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
    tool = shutil.which("clang-format")
    if not tool:
        print("format: clang-format is not installed: not checked")
        return 0
    files = []
    for base, _, names in os.walk(os.path.join(root, "src")):
        files += [os.path.join(base, n) for n in sorted(names) if n.endswith((".c", ".h", ".cc"))]
    p = subprocess.run([tool, "--style=file", "--dry-run", "-Werror", *files], cwd=root,
                       capture_output=True, text=True)
    bad = sorted({line.split(":")[0] for line in p.stderr.splitlines() if ": error:" in line})
    for b in bad:
        print(f"{os.path.relpath(b, root)}: not formatted (run clang-format -i on it)")
    print(f"format: {len(files)} files checked, {len(bad)} not formatted")
    return 1 if bad or not files else 0


if __name__ == "__main__":
    sys.exit(main())
