"""End to end: quiet hours in the recipient's zone, with the clock held by
CLOUTLY_NOW. Exactly the contacts whose local window is open are posted;
the others are deferred with when their window opens, and a later run in
their windows sends exactly those, each once. Also: invite_delay_days
across a weekend rule, DST change days, wait, email_only, the dry-run plan,
and invite.max_per_day over three days across two pipelines."""
import collections
import os
import re
import sqlite3
import unittest

from harness import E2E, pipeline_yaml, read_csv, write_csv

HEADER = ["Id", "First Name", "Last Name", "Email", "Phone"]
# Every contact's zone, and the run (A, B or C below) whose window holds it.
WORLD = [
    ("SYD", "Sydney", "East", "", "+61 2 9374 4001"),        # Australia/Sydney
    ("PER", "Perth", "West", "", "+61 8 9234 5678"),         # Australia/Perth
    ("MOB", "Mobile", "Anywhere", "", "+61 412 345 678"),    # every Australian zone
    ("LON", "London", "Gb", "", "+44 7400 123456"),          # Europe/London
    ("NYC", "Newyork", "East", "", "+1 212 456 7890"),       # America/New_York
    ("LAX", "Losangeles", "West", "", "+1 310 456 7890"),    # America/Los_Angeles
    ("HNL", "Honolulu", "Hi", "", "+1 808 456 7890"),        # Pacific/Honolulu
    ("EML", "Email", "Only", "email.only@example.com", ""),  # email_window: any
]
VALIDATE = "  default_country: AU\n  landlines: send\n"


def posted_ids(sim):
    return [r["body"].get("sourceContactId") for r in sim.accepted()]


class SendWindow(E2E):
    def yaml(self, invite_extra="", delay=True, name="e2e", input_path=None, results=None):
        text = pipeline_yaml(input_path or self.input, results or self.results, self.rejects,
                             validate=VALIDATE, invite_extra=invite_extra, name=name)
        if not delay:
            text = text.replace("  invite_delay_days: 1\n", "")
        return text

    def write(self, text, path=None):
        with open(path or self.pipeline, "w") as f:
            f.write(text)

    def run_at(self, when, *args, path=None):
        p = self.run_cli("run", "--no-progress", *(args or ()), path or self.pipeline,
                         env={"CLOUTLY_NOW": when})
        self.assertRun(p, 0)
        return p, {r["source_contact_id"]: r for r in read_csv(self.results)}

    def test_only_open_windows_are_posted_and_later_runs_send_the_rest_once(self):
        write_csv(self.input, HEADER, WORLD)
        # The default window (09:00-20:00) for phones, any for email; the
        # invite arrives a day after the POST, so that is when it must hold.
        self.write(self.yaml(invite_extra="  send_window: 09:00-20:00\n  timezone: Australia/Sydney\n"))
        # A: 2026-12-01 23:00Z -> arrives 12-02 10:00 Sydney, 07:00 Perth,
        # 23:00 London, 18:00 New York, 15:00 Los Angeles, 13:00 Honolulu.
        p, res = self.run_at("2026-12-01T23:00:00Z")
        self.assertCountEqual(posted_ids(self.sim), ["SYD", "NYC", "LAX", "HNL", "EML"])
        self.assertEqual({k for k, r in res.items() if r["status"] == "deferred"}, {"PER", "MOB", "LON"})
        # Each deferral says when its window opens, as the POST time in UTC.
        self.assertIn("send from 2026-12-02T01:00:00Z", res["PER"]["reason"])   # 09:00 AWST
        self.assertIn("next window opens Thu 2026-12-03 09:00 AWST", res["PER"]["reason"])
        self.assertIn("send from 2026-12-02T01:00:00Z", res["MOB"]["reason"])   # the last zone to open
        self.assertIn("every zone the number may be in", res["MOB"]["reason"])
        self.assertIn("send from 2026-12-02T09:00:00Z", res["LON"]["reason"])   # 09:00 GMT
        self.assertRegex(p.stderr, r"deferred 3: outside 09:00-20:00 in the recipient's zone; "
                                   r"next window opens .*09:00 AWST")
        self.assertIn("deferred 3", p.stderr)
        # The ledger holds the deferrals.
        db = sqlite3.connect(os.path.join(self.dir, "state.sqlite"))
        self.assertEqual(db.execute("select count(*) from attempts where status = 'deferred'").fetchone()[0], 3)
        db.close()
        # B: 2026-12-02 03:00Z: Perth and every Australian zone are open; London is not.
        p, res = self.run_at("2026-12-02T03:00:00Z")
        self.assertCountEqual(posted_ids(self.sim), ["SYD", "NYC", "LAX", "HNL", "EML", "PER", "MOB"])
        self.assertEqual(res["LON"]["status"], "deferred")
        self.assertIn("send from 2026-12-02T09:00:00Z", res["LON"]["reason"])
        self.assertIn("already sent", res["SYD"]["reason"])
        # C: 2026-12-02 10:00Z: London's turn.
        p, res = self.run_at("2026-12-02T10:00:00Z")
        ids = posted_ids(self.sim)
        self.assertCountEqual(ids, [w[0] for w in WORLD])
        self.assertEqual(len(ids), len(set(ids)))  # nobody twice
        self.assertEqual(res["LON"]["status"], "sent")
        self.assertNotIn("deferred", {r["status"] for r in res.values()})

    def test_dry_run_shows_the_plan(self):
        write_csv(self.input, HEADER, WORLD)
        self.write(self.yaml(invite_extra="  send_window: 09:00-20:00\n"))
        p = self.run_cli("run", "--dry-run", "--no-progress", self.pipeline,
                         env={"CLOUTLY_NOW": "2026-12-01T23:00:00Z"})
        self.assertRun(p, 0)
        self.assertEqual(self.sim.requests(), [])
        self.assertIn("plan: 5 inside their window now, 3 deferred", p.stderr)
        self.assertRegex(p.stderr, r"\n\s+2  from Thu 2026-12-03 09:00 AWST \(Australia/Perth.*\(2026-12-02T01:00:00Z\)")
        self.assertRegex(p.stderr, r"\n\s+1  from Thu 2026-12-03 09:00 GMT \(Europe/London\) \(2026-12-02T09:00:00Z\)")
        self.assertIn("campaign finishes about 2026-12-02T09:00", p.stderr)
        res = {r["source_contact_id"]: r["status"] for r in read_csv(self.results)}
        self.assertEqual(res["LON"], "deferred")
        self.assertEqual(res["SYD"], "dry_run")
        # Nothing was recorded by the dry run.
        self.assertFalse(os.path.exists(os.path.join(self.dir, "state.sqlite")))

    def test_check_shows_the_plan_with_no_network(self):
        write_csv(self.input, HEADER, WORLD)
        self.write(self.yaml(invite_extra="  send_window: 09:00-20:00\n"))
        p = self.run_cli("check", self.pipeline, env={"CLOUTLY_NOW": "2026-12-02T10:00:00Z"})
        self.assertRun(p, 0)
        self.assertEqual(self.sim.requests(None), [])
        self.assertIn("8 valid (would be sent)", p.stdout)
        # 10:00Z (+1 day): London and Perth inside, the rest not.
        self.assertIn("plan: 3 inside their window now, 5 deferred", p.stdout)
        self.assertRegex(p.stdout, r"\n\s+1  from Thu 2026-12-03 09:00 HST \(Pacific/Honolulu\) "
                                   r"\(2026-12-02T19:00:00Z\)")

    def test_bad_window_keys_are_errors_with_a_place(self):
        write_csv(self.input, HEADER, [WORLD[0]])
        for extra, want in [("  send_window: 20:00-09:00\n", "end after it starts"),
                            ("  send_window: funday 09:00-17:00\n", "expected days like mon"),
                            ("  email_window: us_state_rules\n", "us_state_rules is for send_window"),
                            ("  outside_window: later\n", "expected defer, wait or email_only"),
                            ("  spread: lumpy\n", "expected even or none")]:
            self.write(self.yaml(invite_extra=extra))
            p = self.run_cli("check", self.pipeline)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertRegex(p.stderr, r"pipeline\.yaml:\d+:\d+: ")
            self.assertIn(want, p.stderr)
        self.write(self.yaml(invite_extra="  send_window: 09:00-20:00\n  timezone: Mars/Olympus\n"))
        p = self.run_cli("check", self.pipeline)
        self.assertEqual(p.returncode, 2)
        self.assertIn("invite.timezone 'Mars/Olympus' is not a time zone", p.stderr)
        p = self.run_cli("run", self.pipeline, env={"CLOUTLY_NOW": "tomorrow"})
        self.assertEqual(p.returncode, 2)
        self.assertIn("CLOUTLY_NOW", p.stderr)
        self.assertEqual(self.sim.requests(), [])

    def test_delay_days_meet_the_weekend_rule(self):
        write_csv(self.input, HEADER, [WORLD[0]])
        self.write(self.yaml(invite_extra="  send_window: mon-fri 09:00-21:00, sat-sun 10:00-18:00\n"))
        # Friday 2026-12-04 20:30 AEDT: the invite would arrive Saturday 20:30.
        p, res = self.run_at("2026-12-04T09:30:00Z")
        self.assertEqual(posted_ids(self.sim), [])
        self.assertIn("the invite would arrive Sat 2026-12-05 20:30 AEDT, outside "
                      "mon-fri 09:00-21:00, sat-sun 10:00-18:00", res["SYD"]["reason"])
        self.assertIn("send from 2026-12-04T23:00:00Z", res["SYD"]["reason"])
        # Thursday 20:30: it arrives Friday 20:30, inside Friday's 21:00.
        os.unlink(os.path.join(self.dir, "state.sqlite"))
        p, res = self.run_at("2026-12-03T09:30:00Z")
        self.assertEqual(posted_ids(self.sim), ["SYD"])

    def test_a_number_of_unknown_area_needs_every_zone_open(self):
        write_csv(self.input, HEADER, [WORLD[2]])
        # No send_window: the default, 09:00-20:00 (the comment keeps the
        # harness from turning quiet hours off).
        self.write(self.yaml(delay=False, invite_extra="  # send_window: default\n"))
        # 00:30Z: 11:30 in Sydney but 08:30 in Perth: not yet.
        p, res = self.run_at("2026-12-02T00:30:00Z")
        self.assertEqual(posted_ids(self.sim), [])
        self.assertIn("send from 2026-12-02T01:00:00Z", res["MOB"]["reason"])
        # 01:00Z: 09:00 in Perth, 12:00 at Lord Howe: every zone is open.
        p, res = self.run_at("2026-12-02T01:00:00Z")
        self.assertEqual(posted_ids(self.sim), ["MOB"])

    def test_dst_change_days_in_australia_and_the_us(self):
        write_csv(self.input, HEADER, [WORLD[0]])
        self.write(self.yaml(delay=False, invite_extra="  send_window: 09:00-20:00\n"))
        # Sunday 2026-10-04: Sydney went to AEDT at 02:00, so 09:00 is 22:00Z
        # on the 3rd (an hour earlier than the day before).
        p, res = self.run_at("2026-10-03T21:59:00Z")
        self.assertEqual(posted_ids(self.sim), [])
        self.assertIn("send from 2026-10-03T22:00:00Z", res["SYD"]["reason"])
        p, res = self.run_at("2026-10-03T22:00:00Z")
        self.assertEqual(posted_ids(self.sim), ["SYD"])
        # Sunday 2026-11-01: New York went back to EST at 02:00, so 09:00 is
        # 14:00Z (it was 13:00Z the day before).
        write_csv(self.input, HEADER, [WORLD[4]])
        p, res = self.run_at("2026-11-01T13:30:00Z")
        self.assertEqual(posted_ids(self.sim), ["SYD"])
        self.assertIn("send from 2026-11-01T14:00:00Z", res["NYC"]["reason"])
        self.assertIn("Sun 2026-11-01 08:30 EST", res["NYC"]["reason"])
        p, res = self.run_at("2026-11-01T14:00:00Z")
        self.assertEqual(posted_ids(self.sim), ["SYD", "NYC"])

    def test_the_timezone_column_wins_over_the_number(self):
        header = HEADER + ["Zone"]
        rows = [("MOVED", "Moved", "West", "", "+61 2 9374 4002", "Australia/Perth"),
                ("EMAILZ", "Email", "Zone", "z@example.com", "", "Europe/London"),
                ("BADZ", "Bad", "Zone", "", "+61 2 9374 4003", "Mars/Olympus")]
        write_csv(self.input, header, rows)
        columns = ('    firstName: "First Name"\n    lastName: "Last Name"\n    email: "Email"\n'
                   '    phoneNumber: "Phone"\n    sourceContactId: "Id"\n    timezone: "Zone"\n')
        text = pipeline_yaml(self.input, self.results, self.rejects, validate=VALIDATE,
                             columns=columns, invite_extra="  send_window: 09:00-20:00\n"
                                                           "  email_window: 09:00-20:00\n"
                                                           "  timezone: Australia/Sydney\n")
        self.write(text.replace("  invite_delay_days: 1\n", ""))
        # 23:00Z: 10:00 in Sydney (the numbers), 07:00 in Perth, 23:00 in London.
        p, res = self.run_at("2026-12-01T23:00:00Z")
        self.assertEqual(posted_ids(self.sim), ["BADZ"])
        self.assertIn("Australia/Perth from the timezone column", res["MOVED"]["reason"])
        self.assertEqual(res["EMAILZ"]["status"], "deferred")
        self.assertIn("send from 2026-12-02T09:00:00Z", res["EMAILZ"]["reason"])
        self.assertIn('timezone "Mars/Olympus" is not a tzdata zone', res["BADZ"]["reason"])

    def test_email_only_drops_the_phone_and_defers_phone_only_contacts(self):
        rows = [("BOTH", "Both", "Channels", "both@example.com", "+61 8 9234 5679"), WORLD[1]]
        write_csv(self.input, HEADER, rows)
        self.write(self.yaml(delay=False, invite_extra="  send_window: 09:00-20:00\n"
                                                           "  outside_window: email_only\n"))
        p, res = self.run_at("2026-12-01T23:00:00Z")  # 07:00 in Perth
        bodies = [r["body"] for r in self.sim.accepted()]
        self.assertEqual(len(bodies), 1)
        self.assertEqual(bodies[0]["channel"], {"email": "both@example.com"})
        self.assertIn("sent by email only", res["BOTH"]["reason"])
        self.assertEqual(res["PER"]["status"], "deferred")

    def test_wait_sleeps_until_the_window_opens(self):
        write_csv(self.input, HEADER, [WORLD[0]])
        self.write(self.yaml(delay=False, invite_extra="  send_window: 09:00-20:00\n"
                                                           "  outside_window: wait\n"))
        # Two seconds before 09:00 in Sydney.
        p, res = self.run_at("2026-12-01T21:59:58Z")
        self.assertEqual(posted_ids(self.sim), ["SYD"])
        self.assertEqual(res["SYD"]["status"], "sent")
        self.assertIn("waited:", res["SYD"]["reason"])
        self.assertIn("waiting until Wed 2026-12-02 09:00 AEDT (Australia/Sydney)", p.stderr)

    def test_spread_even_shares_the_days_cap_over_the_window(self):
        rows = [(f"S{i}", f"First{i}", "Spread", f"spread{i}@example.com", "") for i in range(11)]
        write_csv(self.input, HEADER, rows)
        self.write(self.yaml(invite_extra="  send_window: 09:00-20:00\n  max_per_day: 11\n"
                                          "  spread: even\n  timezone: Australia/Sydney\n"))
        # 09:00 in Sydney: the first hour's share of 11 over 11 hours.
        p, res = self.run_at("2026-11-30T22:00:00Z")
        self.assertEqual(len(self.sim.accepted()), 1)
        self.assertIn("spread: even allows 1 of invite.max_per_day (11) by now; goes from "
                      "Tue 2026-12-01 10:00 AEDT (2026-11-30T23:00:00Z)", res["S1"]["reason"])
        # 13:30: five and a half hours in, six.
        self.run_at("2026-12-01T02:30:00Z")
        self.assertEqual(len(self.sim.accepted()), 6)
        # 19:30: the whole cap.
        self.run_at("2026-12-01T08:30:00Z")
        ids = posted_ids(self.sim)
        self.assertCountEqual(ids, [r[0] for r in rows])

    def test_max_per_day_over_three_days_across_two_pipelines(self):
        rows = [(f"E{i}", f"First{i}", "Cap", f"cap{i}@example.com", "") for i in range(10)]
        write_csv(self.input, HEADER, rows)
        cap = "  max_per_day: 4\n  timezone: Australia/Sydney\n"
        self.write(self.yaml(invite_extra=cap))
        # A second pipeline (its own name and file) sharing the ledger.
        other_input = os.path.join(self.dir, "other.csv")
        write_csv(other_input, HEADER, [(f"O{i}", f"Other{i}", "Cap", f"other{i}@example.com", "")
                                        for i in range(3)])
        other = os.path.join(self.dir, "other.yaml")
        other_results = os.path.join(self.dir, "other-results.csv")
        self.write(self.yaml(invite_extra=cap, name="other", input_path=other_input,
                                 results=other_results), other)
        per_day = collections.Counter()
        seen = 0
        # Day 1 (2026-12-01, Sydney): two runs of the first pipeline, one of the other.
        days = [("2026-11-30T22:00:00Z", "2026-11-30T23:00:00Z"),
                ("2026-12-01T22:00:00Z", "2026-12-01T23:00:00Z"),
                ("2026-12-02T22:00:00Z", "2026-12-02T23:00:00Z")]
        for day, (first, second) in enumerate(days, 1):
            p, res = self.run_at(first)
            p, res = self.run_at(second)
            self.run_at(second, path=other)
            ids = posted_ids(self.sim)
            per_day[day] = len(ids) - seen
            seen = len(ids)
            if day == 1:
                deferred = [r for r in res.values() if r["status"] == "deferred"]
                self.assertEqual(len(deferred), 6)
                self.assertTrue(all("invite.max_per_day (4)" in r["reason"] for r in deferred))
                # The 6 over the cap: 4 go on the 2nd, 2 on the 3rd.
                goes = collections.Counter(re.search(r"goes from \w+ (\d{4}-\d\d-\d\d)", r["reason"]).group(1)
                                           for r in deferred)
                # (the second run of day 1 sees 6 over the cap again)
                self.assertEqual(goes, {"2026-12-02": 4, "2026-12-03": 2})
        self.assertEqual(dict(per_day), {1: 4, 2: 4, 3: 4})
        ids = posted_ids(self.sim)
        self.assertEqual(len(ids), len(set(ids)))
        self.assertCountEqual(ids, [r[0] for r in rows] + ["O0", "O1"])
        # A fourth day finishes the other pipeline's campaign.
        self.run_at("2026-12-03T22:00:00Z", path=other)
        self.assertCountEqual(posted_ids(self.sim), [r[0] for r in rows] + ["O0", "O1", "O2"])


if __name__ == "__main__":
    unittest.main()
