#!/usr/bin/env python3
"""No hidden process state in config/ and core/: every `static` (or
thread-local) variable there must be const. A static mutable makes two
loads, two pipelines or two threads share what each should own; pass it
in a struct instead. Fails with file:line for each such variable.

KNOWN lists the ones still waiting for their owner's rework, so a new one
fails while the old ones are tracked; remove an entry when it is fixed."""
import os
import re
import sys

FOLDERS = ["config", "core"]
KNOWN = {
    ("core/log.c", "max_level"),  # the log level and format: to become a logger handle
    ("core/log.c", "as_json"),
}
# `static` (or _Thread_local / __thread) then a type and a name, ended by
# '=', '[' or ';' before any '(' (a function): a variable.
VAR = re.compile(r"^\s*(?:static\s+(?:_Thread_local\s+|__thread\s+)?|_Thread_local\s+|__thread\s+)"
                 r"(?P<decl>[^(;=]*?)(?P<name>\w+)\s*(?:\[[^\]]*\]\s*)*(?:=|;)")


def main():
    src = os.path.join(os.environ.get("CLOUTLY_SRC",
                                      os.path.join(os.path.dirname(__file__), "..", "..")), "src")
    bad, checked = [], 0
    for folder in FOLDERS:
        for name in sorted(os.listdir(os.path.join(src, folder))):
            if not re.search(r"\.(c|cc|h)$", name):
                continue
            rel = f"{folder}/{name}"
            checked += 1
            with open(os.path.join(src, rel), encoding="utf-8") as fh:
                for n, line in enumerate(fh, 1):
                    m = VAR.match(line)
                    if not m or re.search(r"\bconst\b", m.group("decl")):
                        continue
                    if (rel, m.group("name")) in KNOWN:
                        continue
                    bad.append(f"src/{rel}:{n}: static mutable '{m.group('name')}': "
                               "pass it in a struct the caller owns")
    for b in bad:
        print(b)
    if checked == 0:
        print("no files checked: wrong CLOUTLY_SRC?")
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
