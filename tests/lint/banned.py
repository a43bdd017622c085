#!/usr/bin/env python3
"""Banned functions, as git's banned.h bans them: each has a bounded or
reentrant replacement, and none may come back into src/. A header that
#defines them away cannot be force-included before the system headers
that declare them, so the ban is this check, run by ctest on every build.

  strcpy strcat sprintf vsprintf gets   -> snprintf, strbuf (unbounded writes)
  strtok                                -> strtok_r (hidden static state)
  atoi atol atof                        -> strtol/strtod with an end check
  asctime ctime gmtime localtime        -> the _r forms (static buffers)
"""
import os
import re
import sys

BANNED = ["strcpy", "strcat", "sprintf", "vsprintf", "gets", "strtok", "atoi", "atol", "atof",
          "asctime", "ctime", "gmtime", "localtime", "strncpy"]
PATTERN = re.compile(r"(?<![\w.>])(" + "|".join(BANNED) + r")\s*\(")


def main():
    src = os.path.join(os.environ.get("CLOUTLY_SRC", os.path.join(os.path.dirname(__file__), "..", "..")), "src")
    bad, files = [], 0
    for root, _, names in os.walk(src):
        for name in sorted(names):
            if not re.search(r"\.(c|cc|h)$", name):
                continue
            files += 1
            path = os.path.join(root, name)
            with open(path, encoding="utf-8") as fh:
                for n, line in enumerate(fh, 1):
                    code = line.split("//")[0]
                    if code.lstrip().startswith(("*", "/*")):
                        continue
                    for m in PATTERN.finditer(code):
                        bad.append(f"{os.path.relpath(path, os.path.dirname(src))}:{n}: {m.group(1)}() is banned")
    for b in bad:
        print(b)
    print(f"banned: {files} files checked, {len(bad)} uses of banned functions")
    return 1 if bad or files == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
