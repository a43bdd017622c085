#!/usr/bin/python3
"""Baseline: what a user would write instead of `cloutly-pipe check`.

    /usr/bin/python3 py_phone_validate.py FILE [REGION]

Reads the gen_contacts.py export with csv.DictReader and applies the same
rules as the pipeline bench-check.yaml: first name required; email trimmed
and lower-cased, one "@", no spaces, a dot in the domain; phone parsed with
phonenumbers (Debian's python3-phonenumbers, importable by /usr/bin/python3)
in REGION (default AU), is_valid_number, number_type (a number that can
only be a landline gets no SMS), formatted E.164; at least one channel;
a second occurrence of the same email or phone skipped. Prints the counts.
"""
import csv
import sys

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

NO_SMS = {PhoneNumberType.FIXED_LINE, PhoneNumberType.TOLL_FREE, PhoneNumberType.PREMIUM_RATE,
          PhoneNumberType.SHARED_COST, PhoneNumberType.UAN, PhoneNumberType.VOICEMAIL}


def email_ok(e):
    if e.count("@") != 1 or any(c.isspace() for c in e):
        return False
    local, domain = e.split("@")
    return bool(local) and "." in domain and not domain.startswith(".") \
        and not domain.endswith(".")


def main():
    path = sys.argv[1]
    region = sys.argv[2] if len(sys.argv) > 2 else "AU"
    seen = {}
    counts = {"valid": 0, "rejected": 0, "skipped": 0}
    reasons = {}
    with open(path, newline="", encoding="utf-8-sig") as f:
        for i, row in enumerate(csv.DictReader(f), start=2):
            why = []
            first = (row.get("First Name") or "").strip()
            if not first:
                why.append("missing first name")
            email = (row.get("Email Address") or "").strip().lower()
            if email and not email_ok(email):
                why.append("invalid email")
                email = ""
            raw = (row.get("Phone Number") or "").strip()
            phone = ""
            if raw:
                try:
                    n = phonenumbers.parse(raw, region)
                    if not phonenumbers.is_valid_number(n):
                        why.append("invalid phone number")
                    elif phonenumbers.number_type(n) in NO_SMS:
                        why.append("landline")
                    else:
                        phone = phonenumbers.format_number(n, PhoneNumberFormat.E164)
                except phonenumbers.NumberParseException:
                    why.append("invalid phone number")
            if not email and not phone:
                if not why:
                    why.append("no email or phone")
                bad = True
            else:
                bad = not first
            if bad:
                counts["rejected"] += 1
                key = "; ".join(why)
                reasons[key] = reasons.get(key, 0) + 1
                continue
            dup = (email and seen.get("e" + email)) or (phone and seen.get("p" + phone))
            if dup:
                counts["skipped"] += 1
                continue
            if email:
                seen["e" + email] = i
            if phone:
                seen["p" + phone] = i
            counts["valid"] += 1
    total = sum(counts.values())
    print("rows: %d: %d valid, %d rejected, %d skipped"
          % (total, counts["valid"], counts["rejected"], counts["skipped"]))
    for k, v in sorted(reasons.items(), key=lambda kv: -kv[1]):
        print("  rejected %7d  %s" % (v, k))


if __name__ == "__main__":
    main()
