#!/usr/bin/env python3
"""Generate a realistic, deterministic contacts export for the benchmarks.

    gen_contacts.py N OUT.csv [--phones] [--clean] [--one-contact] [--seed S]

Writes N data rows under the header

    Reference ID,First Name,Last Name,Email Address,Phone Number,City,Notes

The Phone Number column is always there; it is filled only with --phones
(so one pipeline fits both files). About 100 bytes a row without phones,
about 110 with (~100 MB / ~110 MB at 1,000,000 rows). What is in it:

- about a quarter of all fields quoted: notes with commas and "" quotes,
  "City, STATE", last names with a comma ("Smith, Jr"), and whole rows
  from an exporter that quotes every text field;
- about 1% of rows with a quoted note spanning two lines (embedded newline);
- a few % of rows with an invalid email ("bob@@x.com", "bob at x.com",
  "bob@example", an inner space), ~2% with none, upper case and stray
  spaces around otherwise good emails (check trims and lower-cases them);
- ~0.5% without a first name;
- ~3% duplicates: the email (and phone) of an earlier row, sometimes in
  another case;
- with --phones: AU mobiles and landlines in national formats
  ("0412 345 678", "(02) 9374 4000", "0412345678", "02 9374 4000"), some
  international ("+61 412 345 678"), a few % invalid or too short, some empty.

--one-contact gives every row the same placeholder email and phone (POS
exports fill a missing contact that way): all but the first are duplicates.

--clean leaves out every invalid, missing or duplicate value (the rate
benchmark wants every row sent). The same N, flags and seed always give the
same bytes. Python standard library only.
"""
import argparse
import random
import sys

HEADER = "Reference ID,First Name,Last Name,Email Address,Phone Number,City,Notes\n"

FIRST = ("Olivia Charlotte Amelia Isla Mia Ava Grace Chloe Willow Matilda Ella Sophie Harper "
         "Ruby Evie Zoe Lily Sienna Ivy Isabella Jack Noah Oliver William Leo Henry Thomas "
         "Charlie James Lucas Hudson Ethan Liam Max Archie Mason Harrison Oscar Hunter Samuel "
         "Mei Priya Aarav Wei Minh Sakura Fatima Mohammed Giulia Nikos Siobhan Tane Aroha "
         "Zoë José Renée Chloé Łukasz Mary-Kate Jean-Luc").split()
LAST = ("Smith Jones Williams Brown Wilson Taylor Johnson White Martin Anderson Thompson Nguyen "
        "Thomas Walker Harris Lee Ryan Robinson Kelly King Davis Wright Evans Roberts Green Hall "
        "Wood Jackson Clarke Patel Khan Chen Wang Singh Tran Papadopoulos Rossi Murphy O'Brien "
        "O'Connor McDonald MacKenzie Fitzgerald Kowalski Müller García Ngata").split() + [
            "Van der Berg", "De Silva", "Te Whare", "Ó Súilleabháin"]
CITIES = ("Sydney Melbourne Brisbane Perth Adelaide Hobart Canberra Darwin Newcastle Geelong "
          "Wollongong Parramatta Penrith Bondi Manly Fremantle Toowoomba Ballarat Bendigo "
          "Cairns Townsville Launceston Mackay Bunbury").split() + [
              "Surry Hills", "Bondi Beach", "Gold Coast", "Sunshine Coast", "St Kilda",
              "Glen Waverley", "Box Hill", "Port Macquarie", "Coffs Harbour", "Alice Springs"]
STATES = ["NSW", "VIC", "QLD", "WA", "SA", "TAS", "ACT", "NT"]
DOMAINS = ["gmail.com", "outlook.com", "hotmail.com", "yahoo.com.au", "bigpond.com",
           "icloud.com", "optusnet.com.au", "example.com.au", "company.com.au", "uni.edu.au"]
NOTES_PLAIN = ["VIP", "Prefers email", "Walk-in", "Referred by a friend", "Online booking",
               "Regular", "Gift card", "Loyalty member", "First visit", "Birthday in March"]
NOTES_COMMA = ["Regular, oat flat white", "Called twice, no answer", "Prefers SMS, not calls",
               "Booked online, paid in store", "Allergies: nuts, dairy",
               "Moved from Perth, new address", "Big order, happy with service",
               "Came with family, 4 people", "Asked about gift cards, loyalty",
               "Late pick-up, no complaint"]
NOTES_QUOTE = ['Said "best coffee in town"', 'Wants "the usual", extra hot',
               'Complained about "wait time", resolved', 'Nickname "Jonno"',
               'Asked for "no receipt", email only']
NOTES_NL = ["Called back\nprefers SMS", "Old address:\n12 Campbell Pde", "Paid cash\nno receipt",
            "Note from Sam:\nfollow up next week"]
TAILS = ["", "", " - last visit 2026-03-14", " - staff: Sam", " (see previous booking)",
         " - spent over $200", " - weekend customer", " - via Instagram",
         " - came in with partner", " - second visit this month"]
# the two digits after "04" that AU mobiles have (libphonenumber's metadata)
MOBILE_PFX = ["%d%d" % (a, b) for a in (0, 1, 2, 3) for b in range(10)] + [
    "60", "66", "68",
    "50", "51", "52", "55", "57", "70", "72", "77", "80", "88", "90", "99"]
LAND_PFX = [("02", "9"), ("02", "8"), ("03", "9"), ("03", "8"), ("07", "3"), ("08", "9"),
            ("08", "8"), ("02", "6"), ("03", "5"), ("07", "5")]


def q(s):
    """Quote a CSV field."""
    return '"' + s.replace('"', '""') + '"'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("rows", type=int)
    ap.add_argument("out")
    ap.add_argument("--phones", action="store_true", help="fill the Phone Number column")
    ap.add_argument("--clean", action="store_true",
                    help="no invalid, missing or duplicate emails, phones or names")
    ap.add_argument("--one-contact", action="store_true",
                    help="the same placeholder email (and phone) on every row")
    ap.add_argument("--seed", type=int, default=2026)
    a = ap.parse_args()

    rng = random.Random(a.seed)
    rnd = rng.random
    choice = rng.choice
    randrange = rng.randrange
    phones, clean = a.phones, a.clean
    recent = []  # (email, phone) of earlier rows, for duplicates

    def mobile():
        return "04%s%06d" % (choice(MOBILE_PFX), randrange(10 ** 6))

    def phone_value():
        x = rnd()
        if not clean and x < 0.06:
            return ""                                   # no phone
        if not clean and x < 0.10:
            return choice(["0412 345", "12345", "0412 345 678 9", "(02) 4123 4567",
                           "0000 000 000", "n/a", "+61 412 34"])  # invalid
        x = rnd()
        if x < 0.62:
            m = mobile()
            return "%s %s %s" % (m[:4], m[4:7], m[7:])  # 0412 345 678
        if x < 0.70:
            m = mobile()
            return "+61 %s %s %s" % (m[1:4], m[4:7], m[7:])
        if x < 0.76:
            return mobile()                             # 0412345678
        area, d = choice(LAND_PFX)
        n = "%s%03d" % (d, randrange(1000))
        if x < 0.93:
            return "(%s) %s %04d" % (area, n, randrange(10000))
        if x < 0.97:
            return "%s %s %04d" % (area, n, randrange(10000))
        return "+61 %s %s %04d" % (area[1], n, randrange(10000))

    out = open(a.out, "w", encoding="utf-8", newline="")
    out.write(HEADER)
    buf = []
    for i in range(1, a.rows + 1):
        first = choice(FIRST)
        last = choice(LAST)
        dom = choice(DOMAINS)
        x = rnd()
        if x < 0.4:
            email = "%s.%s%d@%s" % (first, last, randrange(1000), dom)
        elif x < 0.7:
            email = "%s%s%d@%s" % (first[0], last, randrange(100000), dom)
        else:
            email = "%s_%d@%s" % (first, randrange(1000000), dom)
        email = email.replace(" ", "").replace("'", "")
        x = rnd()
        if x < 0.9:
            email = email.lower()
        elif x < 0.95:
            email = " " + email + " "                   # stray spaces: trimmed
        phone = phone_value() if phones else ""
        if a.one_contact:
            email, phone = "noemail@example.com", ("0400 000 000" if phones else "")

        if not clean:
            x = rnd()
            if x < 0.03 and recent:                     # duplicate of an earlier row
                email, p2 = choice(recent)
                if rnd() < 0.3:
                    email = email.upper()
                if phones:
                    phone = p2
            elif x < 0.045:                             # invalid email
                e = email.strip()
                email = choice([e.replace("@", "@@"), e.replace("@", " at "),
                                e.split(".")[0] + "@" + e.split("@")[1].split(".")[0],
                                e.replace("@", ""), e[:3] + " " + e[3:]])
            elif x < 0.065:
                email = ""                              # no email
            if rnd() < 0.005:
                first = ""                              # no first name
        if len(recent) < 20000:
            recent.append((email, phone))
        elif rnd() < 0.01:
            recent[randrange(20000)] = (email, phone)

        city = choice(CITIES)
        x = rnd()
        if x < 0.35:
            city = q(city + ", " + choice(STATES))
        elif x < 0.38:
            city = ""

        x = rnd()
        if x < 0.15:
            notes = ""
        elif x < 0.35:
            notes = choice(NOTES_PLAIN) + choice(TAILS)
        elif x < 0.85:
            notes = q(choice(NOTES_COMMA) + choice(TAILS))
        elif x < 0.99:
            notes = q(choice(NOTES_QUOTE) + choice(TAILS))
        else:
            notes = q(choice(NOTES_NL))                 # embedded newline

        if rnd() < 0.13:                                # exporter that quotes every text field
            first, last, email = q(first), q(last), q(email)
            if phone:
                phone = q(phone)
            if city and city[0] != '"':
                city = q(city)
            if notes and notes[0] != '"':
                notes = q(notes)
        else:
            x = rnd()
            if x < 0.04:
                last = q(last + ", Jr")                 # a comma in a name
            elif x < 0.10:
                last = q(last)
            if rnd() < 0.05 and first:
                first = q(first)
            if phone and rnd() < 0.10:
                phone = q(phone)

        buf.append("C-%07d,%s,%s,%s,%s,%s,%s\n" % (i, first, last, email, phone, city, notes))
        if len(buf) >= 20000:
            out.write("".join(buf))
            buf.clear()
    out.write("".join(buf))
    out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
