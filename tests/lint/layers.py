#!/usr/bin/env python3
"""The tree's layers, enforced: every #include "x/y.h" in src/ names a folder
at or below the including file's own layer (src/CMakeLists.txt lists them).
Fails with file:line for each include that points up a layer, each include
without a folder, and each folder the table does not know."""
import os
import re
import sys

LAYERS = ["core", "config", "store", "api", "intake", "export", "invite", "guess", "report", "cli"]
# Which lower layers each layer may use (the CMake link order says the same).
ALLOWED = {
    "core": {"core"},
    "config": {"config", "core"},
    "store": {"store", "config", "core"},
    "api": {"api", "config", "core"},
    "intake": {"intake", "config", "core"},
    "export": {"export", "api", "store", "config", "core"},
    "invite": {"invite", "intake", "api", "store", "config", "core"},
    "guess": {"guess", "intake", "api", "config", "core"},
    "report": {"report", "intake", "store", "config", "core"},
    "cli": set(LAYERS),
}

def main():
    src = os.path.join(os.environ.get("CLOUTLY_SRC", os.path.join(os.path.dirname(__file__), "..", "..")), "src")
    bad = []
    checked = 0
    for folder in sorted(os.listdir(src)):
        path = os.path.join(src, folder)
        if not os.path.isdir(path):
            continue
        if folder not in ALLOWED:
            bad.append(f"src/{folder}: a folder the layer table does not know")
            continue
        for name in sorted(os.listdir(path)):
            if not re.search(r"\.(c|cc|h)$", name):
                continue
            with open(os.path.join(path, name), encoding="utf-8") as fh:
                for n, line in enumerate(fh, 1):
                    m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                    if not m:
                        continue
                    checked += 1
                    inc = m.group(1)
                    if "/" not in inc:
                        bad.append(f"src/{folder}/{name}:{n}: include \"{inc}\" names no folder")
                        continue
                    target = inc.split("/", 1)[0]
                    if target not in ALLOWED[folder]:
                        bad.append(f"src/{folder}/{name}:{n}: {folder}/ includes \"{inc}\", a layer above or beside it")
    for b in bad:
        print(b)
    print(f"layers: {checked} includes checked, {len(bad)} wrong")
    if checked == 0:
        print("layers: no include found: wrong source folder?")
        return 1
    return 1 if bad else 0

if __name__ == "__main__":
    sys.exit(main())
