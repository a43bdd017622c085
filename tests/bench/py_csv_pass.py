#!/usr/bin/env python3
"""Baseline: a Python `csv` module pass over FILE, every row read, fields counted.

    py_csv_pass.py FILE      prints "ROWS rows, FIELDS fields" (header included)
"""
import csv
import sys


def main():
    rows = fields = 0
    with open(sys.argv[1], newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            rows += 1
            fields += len(row)
    print("%d rows, %d fields" % (rows, fields))


if __name__ == "__main__":
    main()
