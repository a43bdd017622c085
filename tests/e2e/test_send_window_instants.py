"""End to end, issue 12's proof list on one real-shaped file: AU east
(Sydney) and west (Perth) and an Australian mobile (every AU zone), GB, US
East and West coast, Hawaii, a US number whose area is unknown (every US
zone) and an email-only contact, run at several UTC instants held by
CLOUTLY_NOW. At each instant exactly the contacts whose local window is
open are POSTed, the others are deferred with the right "opens at", and
later runs inside their windows (of the same file, and of the next night's
file) send exactly those, each once. Also the DST change days this file's
zones have that test_send_window.py does not: AU's end (April) and the
US's start (March)."""
import os
import sqlite3
import unittest

from harness import E2E, pipeline_yaml, read_csv, write_csv

from test_send_window import HEADER, VALIDATE, WORLD as BASE_WORLD

# test_send_window.py's world and one more: a US number whose area is
# unknown, held to every US zone (before the email-only contact, last).
WORLD = BASE_WORLD[:-1] + [
    ("USX", "Tollfree", "Us", "", "+1 800 555 0199"),        # US, area unknown: every US zone
] + BASE_WORLD[-1:]


def posted(sim):
    return [r["body"].get("sourceContactId") for r in sim.accepted()]


class Instants(E2E):
    def pipeline_for(self, input_path):
        text = pipeline_yaml(input_path, self.results, self.rejects, validate=VALIDATE,
                             invite_extra="  send_window: 09:00-20:00\n  timezone: Australia/Sydney\n")
        with open(self.pipeline, "w") as f:
            f.write(text.replace("  invite_delay_days: 1\n", ""))

    def run_at(self, when):
        p = self.run_cli("run", "--no-progress", self.pipeline, env={"CLOUTLY_NOW": when})
        self.assertRun(p, 0)
        return p, {r["source_contact_id"]: r for r in read_csv(self.results)}

    def assertDeferred(self, row, opens, send_from):
        self.assertEqual(row["status"], "deferred", row)
        self.assertIn("next window opens " + opens, row["reason"])
        self.assertIn("send from " + send_from, row["reason"])

    def test_the_world_at_three_instants_and_the_next_nights_file(self):
        write_csv(self.input, HEADER, WORLD)
        self.pipeline_for(self.input)

        # A, 06:00Z: 17:00 in Sydney, 14:00 in Perth, 06:00 in London,
        # 01:00 in New York, 22:00 (Tue) in Los Angeles, 20:00 in Honolulu
        # (the window's end is exclusive), 20:00 at Adak for the US number.
        p, res = self.run_at("2026-12-02T06:00:00Z")
        # (the first request goes alone; the rest overlap, in any order)
        self.assertCountEqual(posted(self.sim), ["SYD", "PER", "MOB", "EML"])
        self.assertDeferred(res["LON"], "Wed 2026-12-02 09:00 GMT", "2026-12-02T09:00:00Z")
        self.assertDeferred(res["NYC"], "Wed 2026-12-02 09:00 EST", "2026-12-02T14:00:00Z")
        self.assertDeferred(res["LAX"], "Wed 2026-12-02 09:00 PST", "2026-12-02T17:00:00Z")
        self.assertDeferred(res["HNL"], "Wed 2026-12-02 09:00 HST", "2026-12-02T19:00:00Z")
        # Every US zone must be open: the last to open is Adak's (UTC-10 in
        # winter; ICU names it HAST or HST, by version).
        self.assertDeferred(res["USX"], "Wed 2026-12-02 09:00 ", "2026-12-02T19:00:00Z")
        self.assertIn("every zone the number may be in", res["USX"]["reason"])
        self.assertIn("deferred 5: outside 09:00-20:00 in the recipient's zone; next window opens "
                      "Wed 2026-12-02 09:00 GMT (Europe/London)", p.stderr)

        # B, 14:30Z, the same file: London (14:30) and New York (09:30).
        p, res = self.run_at("2026-12-02T14:30:00Z")
        self.assertEqual(posted(self.sim)[4:], ["LON", "NYC"])
        self.assertDeferred(res["LAX"], "Wed 2026-12-02 09:00 PST", "2026-12-02T17:00:00Z")
        self.assertDeferred(res["HNL"], "Wed 2026-12-02 09:00 HST", "2026-12-02T19:00:00Z")
        self.assertDeferred(res["USX"], "Wed 2026-12-02 09:00 ", "2026-12-02T19:00:00Z")
        self.assertEqual({res[k]["status"] for k in ("SYD", "PER", "MOB", "EML")}, {"skipped"})

        # 18:59Z: a minute before Honolulu and Adak open, Los Angeles is
        # open: it alone goes.
        p, res = self.run_at("2026-12-02T18:59:00Z")
        self.assertEqual(posted(self.sim)[6:], ["LAX"])
        self.assertDeferred(res["USX"], "Wed 2026-12-02 09:00 ", "2026-12-02T19:00:00Z")

        # C, 19:00Z, the next night's file (one new contact): yesterday's
        # Honolulu and unknown-area rows go first, then the file's own.
        night2 = os.path.join(self.dir, "night2.csv")
        write_csv(night2, HEADER, [("NEW", "New", "One", "new.one@example.com", "")])
        self.pipeline_for(night2)
        p, res = self.run_at("2026-12-02T19:00:00Z")
        self.assertEqual(posted(self.sim)[7:], ["HNL", "USX", "NEW"])
        carried = read_csv(self.results[:-4] + ".deferred.csv")
        self.assertEqual([(r["source_contact_id"], r["status"]) for r in carried],
                         [("HNL", "sent"), ("USX", "sent")])

        # Each once, and nothing is left deferred.
        ids = posted(self.sim)
        self.assertCountEqual(ids, [w[0] for w in WORLD] + ["NEW"])
        self.assertEqual(len(ids), len(set(ids)))
        db = sqlite3.connect(os.path.join(self.dir, "state.sqlite"))
        left = db.execute(
            "select count(*) from attempts a where status = 'deferred' and id = (select max(id) "
            "from attempts b where b.file_hash = a.file_hash and b.input_row = a.input_row)").fetchone()[0]
        db.close()
        self.assertEqual(left, 0)

    def test_a_us_number_of_unknown_area_goes_only_while_every_us_zone_is_open(self):
        write_csv(self.input, HEADER, [WORLD[7]])
        self.pipeline_for(self.input)
        # 01:00Z: 20:00 in New York (closed), 15:00 at Adak: not every zone.
        p, res = self.run_at("2026-12-03T01:00:00Z")
        self.assertEqual(posted(self.sim), [])
        self.assertDeferred(res["USX"], "Thu 2026-12-03 09:00 ", "2026-12-03T19:00:00Z")
        p, res = self.run_at("2026-12-03T00:59:00Z")  # 19:59 in New York, 14:59 at Adak
        self.assertEqual(posted(self.sim), ["USX"])

    def test_dst_ends_in_australia_and_starts_in_the_us(self):
        # Sunday 2026-04-05: Sydney went back to AEST at 03:00, so 09:00 is
        # 23:00Z on the 4th (it was 22:00Z the day before).
        write_csv(self.input, HEADER, [WORLD[0]])
        self.pipeline_for(self.input)
        p, res = self.run_at("2026-04-04T22:30:00Z")
        self.assertEqual(posted(self.sim), [])
        self.assertIn("it is Sun 2026-04-05 08:30 AEST", res["SYD"]["reason"])
        self.assertDeferred(res["SYD"], "Sun 2026-04-05 09:00 AEST", "2026-04-04T23:00:00Z")
        p, res = self.run_at("2026-04-04T23:00:00Z")
        self.assertEqual(posted(self.sim), ["SYD"])
        # Sunday 2026-03-08: New York went to EDT at 02:00, so 09:00 is
        # 13:00Z (14:00Z the day before), and the window closes at 00:00Z.
        write_csv(self.input, HEADER, [WORLD[4]])
        p, res = self.run_at("2026-03-08T12:30:00Z")
        self.assertEqual(posted(self.sim), ["SYD"])
        self.assertIn("it is Sun 2026-03-08 08:30 EDT", res["NYC"]["reason"])
        self.assertDeferred(res["NYC"], "Sun 2026-03-08 09:00 EDT", "2026-03-08T13:00:00Z")
        p, res = self.run_at("2026-03-08T13:00:00Z")
        self.assertEqual(posted(self.sim), ["SYD", "NYC"])

    def test_us_state_rules_give_florida_and_kentucky_their_stricter_hours(self):
        rows = [("NYC", "Newyork", "East", "", "+1 212 456 7890"),   # federal 08:00-21:00
                ("MIA", "Miami", "Fl", "", "+1 305 456 7890"),       # Florida: to 20:00
                ("LOU", "Louisville", "Ky", "", "+1 502 456 7890")]  # Kentucky: from 10:00
        write_csv(self.input, HEADER, rows)
        text = pipeline_yaml(self.input, self.results, self.rejects, validate=VALIDATE,
                             invite_extra="  send_window: us_state_rules\n")
        with open(self.pipeline, "w") as f:
            f.write(text.replace("  invite_delay_days: 1\n", ""))
        # 20:30 EST: inside the federal hours, past Florida's 20:00.
        p, res = self.run_at("2026-12-02T01:30:00Z")
        self.assertEqual(posted(self.sim), ["NYC", "LOU"])
        # Florida spans two zones: 08:00 in its Central panhandle is the opening.
        self.assertIn("every zone the number may be in (Florida)", res["MIA"]["reason"])
        self.assertDeferred(res["MIA"], "Wed 2026-12-02 08:00 CST", "2026-12-02T14:00:00Z")
        # 14:30Z the next morning: Florida is open (08:30 CST), Kentucky (also
        # Eastern and Central) waits for 10:00 CST.
        os.unlink(os.path.join(self.dir, "state.sqlite"))
        p, res = self.run_at("2026-12-02T14:30:00Z")
        self.assertEqual(posted(self.sim)[2:], ["NYC", "MIA"])
        self.assertDeferred(res["LOU"], "Wed 2026-12-02 10:00 CST", "2026-12-02T16:00:00Z")


if __name__ == "__main__":
    unittest.main()
