"""End to end: rows deferred from one file are sent by a later run of a
NEW file, first and each once (issue 12, "a later run sends it before new
rows, in its window"). The nightly cron case: tonight's export defers the
Australians; tomorrow's run reads tomorrow's export and sends yesterday's
deferred rows (those now inside their window) before its own. Clock held
by CLOUTLY_NOW; assertions on the simulator's request log and the ledger."""
import os
import signal
import sqlite3
import unittest

from harness import E2E, pipeline_yaml, read_csv, write_csv

HEADER = ["Id", "First Name", "Last Name", "Email", "Phone"]
# No cooldown: what keeps a carried row from a second invite is the
# deferral's own rule ("invited since it was deferred"), not cooldown_days.
VALIDATE = "  default_country: AU\n  landlines: send\n  cooldown_days: 0\n"
WINDOW = "  send_window: 09:00-20:00\n  timezone: Australia/Sydney\n"

# Tonight's export (run 1 at 16:00Z: 03:00 in Sydney, 00:00 in Perth,
# 11:00 in New York).
NIGHT1 = [
    ("SYD", "Sydney", "Harbour", "", "+61 2 9374 4001"),
    ("PER", "Perth", "Swan", "", "+61 8 9234 5678"),
    ("GONE", "Gone", "Away", "gone@example.com", "+61 2 9374 4009"),  # erased before run 2
    ("OTHER", "Other", "Pipe", "", "+61 2 9374 4010"),  # invited by another pipeline meanwhile
    ("OPTOUT", "Opted", "Out", "", "+61 2 9374 4011"),  # on the suppression list before run 2
    ("NYC", "Newyork", "East", "", "+1 212 456 7890"),
]
# Tomorrow's export: another file. PER again (the same person), a new
# Australian, a New Yorker (21:00 there at run 2: deferred in turn).
NIGHT2 = [
    ("PER2", "Perth", "Swan", "", "+61 8 9234 5678"),
    ("SYD2", "Sydney", "Second", "", "+61 2 9374 4002"),
    ("NYC2", "Newyork", "Second", "", "+1 212 456 7891"),
]


def posted(sim):
    return [r["body"].get("sourceContactId") for r in sim.accepted()]


def posted_phones(sim):
    return [r["body"]["channel"].get("phoneNumber") or r["body"]["channel"].get("email")
            for r in sim.accepted()]


class CarryDeferred(E2E):
    def pipeline_for(self, input_path, name="e2e", results=None, path=None, extra="",
                     validate=VALIDATE):
        text = pipeline_yaml(input_path, results or self.results, self.rejects,
                             validate=validate, invite_extra=WINDOW + extra, name=name)
        text = text.replace("  invite_delay_days: 1\n", "")
        path = path or self.pipeline
        with open(path, "w") as f:
            f.write(text)
        return path

    def run_at(self, when, pipeline=None, code=0):
        p = self.run_cli("run", "--no-progress", pipeline or self.pipeline, env={"CLOUTLY_NOW": when})
        self.assertRun(p, code)
        return p

    def carried_results(self):
        path = self.results[:-4] + ".deferred.csv"
        return {r["source_contact_id"]: r for r in read_csv(path)} if os.path.exists(path) else {}

    def test_a_later_run_of_a_new_file_sends_the_earlier_deferrals_first_and_once(self):
        night1 = os.path.join(self.dir, "night1.csv")
        night2 = os.path.join(self.dir, "night2.csv")
        night3 = os.path.join(self.dir, "night3.csv")
        write_csv(night1, HEADER, NIGHT1)
        write_csv(night2, HEADER, NIGHT2)
        write_csv(night3, HEADER, [("LATE", "Late", "Comer", "late@example.com", "")])
        self.pipeline_for(night1)

        # Run 1: only New York is inside its window.
        p = self.run_at("2026-12-01T16:00:00Z")
        self.assertEqual(posted(self.sim), ["NYC"])
        res = {r["source_contact_id"]: r for r in read_csv(self.results)}
        self.assertEqual({k for k, r in res.items() if r["status"] == "deferred"},
                         {"SYD", "PER", "GONE", "OTHER", "OPTOUT"})
        self.assertIn("deferred 5: outside 09:00-20:00 in the recipient's zone; next window opens "
                      "Wed 2026-12-02 09:00 AEDT", p.stderr)
        self.assertEqual(self.carried_results(), {})  # nothing carried: no file written

        # Between the runs: GONE asks to be forgotten; OTHER is invited by
        # another pipeline of the account (same ledger, same business).
        p = self.run_cli("ledger", "forget", self.pipeline, "--contact", "gone@example.com",
                         "--suppress")
        self.assertRun(p, 0)
        db = sqlite3.connect(os.path.join(self.dir, "state.sqlite"))
        erased = db.execute("select email, phone, first_name, last_name, source_contact_id, "
                            "timezone from attempts where input_row = 4").fetchall()
        db.close()
        self.assertEqual(erased, [(None,) * 6])
        optouts = os.path.join(self.dir, "optouts.csv")
        with open(optouts, "w") as f:
            f.write("phone\n+61 2 9374 4011\n")
        p = self.run_cli("ledger", "suppress", self.pipeline, "--file", optouts)
        self.assertRun(p, 0)
        other_in = os.path.join(self.dir, "other.csv")
        write_csv(other_in, HEADER, [("OTHER-B", "Other", "Pipe", "", "+61 2 9374 4010")])
        other = self.pipeline_for(other_in, name="other", path=os.path.join(self.dir, "other.yaml"),
                                  results=os.path.join(self.dir, "other-results.csv"),
                                  extra="")
        self.run_at("2026-12-01T23:00:00Z", other)
        self.assertEqual(posted(self.sim), ["NYC", "OTHER-B"])

        # Run 2, tomorrow's file, at 02:00Z: 13:00 in Sydney, 10:00 in Perth,
        # 21:00 in New York. Yesterday's SYD and PER go first, then night 2's
        # own rows; PER2 (the same person as PER) is not sent again.
        self.pipeline_for(night2)
        p = self.run_at("2026-12-02T02:00:00Z")
        ids = posted(self.sim)
        self.assertEqual(ids[2:], ["SYD", "PER", "SYD2"])
        carried = self.carried_results()
        self.assertEqual(carried["SYD"]["status"], "sent")
        self.assertEqual(carried["PER"]["status"], "sent")
        self.assertIn("deferred by an earlier run at 2026-12-01 16:00 UTC, from", carried["SYD"]["reason"])
        self.assertIn("night1.csv' row 2", carried["SYD"]["reason"])
        self.assertEqual(carried["SYD"]["input_row"], "2")  # its own file's row
        self.assertEqual(carried["OTHER"]["status"], "skipped")
        self.assertIn("invited since it was deferred", carried["OTHER"]["reason"])
        self.assertNotIn("GONE", carried)  # erased: nothing left to send it with
        self.assertEqual(carried["OPTOUT"]["status"], "skipped")
        self.assertIn("on the suppression list", carried["OPTOUT"]["reason"])
        res = {r["source_contact_id"]: r for r in read_csv(self.results)}
        self.assertEqual([r["source_contact_id"] for r in read_csv(self.results)], ["PER2", "SYD2", "NYC2"])
        self.assertEqual(res["PER2"]["status"], "skipped")
        self.assertIn("already sent", res["PER2"]["reason"])
        self.assertEqual(res["NYC2"]["status"], "deferred")
        self.assertIn("deferred by earlier runs from other files, sent first: sent 2, skipped 2",
                      p.stderr)
        # The carried requests were the whole request: names and channel.
        syd = [r["body"] for r in self.sim.accepted() if r["body"].get("sourceContactId") == "SYD"][0]
        self.assertEqual((syd["firstName"], syd["lastName"], syd["channel"]),
                         ("Sydney", "Harbour", {"phoneNumber": "+61293744001"}))

        # A rerun of night 1 (with a cooldown, as the suppression list
        # and the other pipeline's invite need) sends nothing: its deferred
        # rows were sent by run 2, under their own file and row.
        self.pipeline_for(night1, validate=VALIDATE.replace("cooldown_days: 0", "cooldown_days: 90"))
        p = self.run_at("2026-12-02T02:30:00Z")
        self.assertEqual(len(posted(self.sim)), 5)  # NYC, OTHER-B, SYD, PER, SYD2
        res = {r["source_contact_id"]: r for r in read_csv(self.results)}
        self.assertEqual(res["SYD"]["status"], "skipped")
        self.assertIn("already sent", res["SYD"]["reason"])

        # Run 3, a third file at 14:00Z (09:00 in New York): NYC2 from
        # night 2 goes first, then LATE.
        self.pipeline_for(night3)
        self.run_at("2026-12-02T14:00:00Z")
        ids = posted(self.sim)
        self.assertEqual(ids[5:], ["NYC2", "LATE"])
        # Each person once: no phone or email was posted twice.
        phones = posted_phones(self.sim)
        self.assertEqual(len(phones), len(set(phones)))
        # The ledger: nothing deferred is left that a later run would send.
        db = sqlite3.connect(os.path.join(self.dir, "state.sqlite"))
        left = db.execute(
            "select count(*) from attempts a where status = 'deferred' and id = (select max(id) "
            "from attempts b where b.file_hash = a.file_hash and b.input_row = a.input_row) "
            "and (email is not null or phone is not null)").fetchone()[0]
        rows = db.execute("select file_path, input_row, status, phone, reason from attempts order by id").fetchall()
        db.close()
        self.assertEqual(left, 0, "\n".join(map(str, rows)))
        self.assertEqual(self.carried_results()["NYC2"]["status"], "sent")

    def test_a_dry_run_and_other_pipelines_do_not_carry_this_pipelines_deferrals(self):
        night1 = os.path.join(self.dir, "night1.csv")
        write_csv(night1, HEADER, NIGHT1[:1])
        self.pipeline_for(night1)
        self.run_at("2026-12-01T16:00:00Z")
        other_in = os.path.join(self.dir, "other.csv")
        write_csv(other_in, HEADER, [("X", "X", "Y", "x@example.com", "")])
        other = self.pipeline_for(other_in, name="other", path=os.path.join(self.dir, "other.yaml"))
        self.run_at("2026-12-02T02:00:00Z", other)
        self.assertEqual(posted(self.sim), ["X"])
        # A dry run of this pipeline with a new file sends nothing at all.
        night2 = os.path.join(self.dir, "night2.csv")
        write_csv(night2, HEADER, NIGHT2[1:2])
        self.pipeline_for(night2)
        p = self.run_cli("run", "--dry-run", "--no-progress", self.pipeline,
                         env={"CLOUTLY_NOW": "2026-12-02T02:00:00Z"})
        self.assertRun(p, 0)
        self.assertEqual(posted(self.sim), ["X"])
        self.assertIn("plan: 1 row deferred by earlier runs from other files is due: a real run "
                      "sends it first", p.stderr)
        # The real run does.
        self.run_at("2026-12-02T02:00:00Z")
        self.assertEqual(posted(self.sim), ["X", "SYD", "SYD2"])

    def test_a_run_killed_while_a_carried_row_is_in_flight_never_sends_it_again(self):
        night1 = os.path.join(self.dir, "night1.csv")
        write_csv(night1, HEADER, NIGHT1[:2])  # SYD and PER, both deferred at 16:00Z
        self.pipeline_for(night1)
        self.run_at("2026-12-01T16:00:00Z")
        self.assertEqual(posted(self.sim), [])
        # Run 2 of a new file: the simulator holds the first carried POST's
        # answer (accepted: the SMS went), and the run is killed.
        hold = os.path.join(self.dir, "hold")
        open(hold, "w").close()
        self.start_sim("--hold-file", hold)
        night2 = os.path.join(self.dir, "night2.csv")
        write_csv(night2, HEADER, NIGHT2[1:2])
        self.pipeline_for(night2)
        child = self.start_cli("run", "--no-progress", self.pipeline,
                               env={"CLOUTLY_NOW": "2026-12-02T02:00:00Z"})
        self.sim.wait_for("the carried POST held", lambda c: c["held"] == 1)
        child.signal(signal.SIGKILL)
        child.finish()
        os.unlink(hold)
        self.sim.quiesce()
        self.assertEqual(posted(self.sim), ["SYD"])
        # Run 3, another file: SYD's intent is on record, so it is not carried
        # again; PER (never attempted) is.
        night3 = os.path.join(self.dir, "night3.csv")
        write_csv(night3, HEADER, [("LATE", "Late", "Comer", "late@example.com", "")])
        self.pipeline_for(night3)
        self.run_at("2026-12-02T03:00:00Z")
        self.assertEqual(posted(self.sim), ["SYD", "PER", "LATE"])
        # A rerun of night 1 reports SYD in doubt (not sent again) and PER sent.
        self.pipeline_for(night1)
        p = self.run_at("2026-12-02T03:30:00Z", code=1)
        res = {r["source_contact_id"]: r for r in read_csv(self.results)}
        self.assertEqual(res["SYD"]["status"], "in_doubt")
        self.assertEqual(res["PER"]["status"], "skipped")
        self.assertEqual(posted(self.sim), ["SYD", "PER", "LATE"])

    def test_max_per_day_with_a_new_file_every_night_completes_once_within_the_cap(self):
        # The cron case under a daily cap: each night's export is new, the
        # rows over the cap are carried to the following nights.
        cap = "  max_per_day: 4\n"
        nights = [("2026-11-30T22:00:00Z", [(f"A{i}", f"A{i}", "Cap", f"a{i}@example.com", "") for i in range(10)]),
                  ("2026-12-01T22:00:00Z", [(f"B{i}", f"B{i}", "Cap", f"b{i}@example.com", "") for i in range(3)]),
                  ("2026-12-02T22:00:00Z", []),
                  ("2026-12-03T22:00:00Z", [])]
        per_day, seen = [], 0
        for n, (when, rows) in enumerate(nights, 1):
            path = os.path.join(self.dir, f"night{n}.csv")
            write_csv(path, HEADER, rows)
            self.pipeline_for(path, extra=cap)
            self.run_at(when)  # 09:00 in Sydney (the business's day)
            ids = posted(self.sim)
            per_day.append(len(ids) - seen)
            seen = len(ids)
        # Never more than the cap in a Sydney day, every contact once, all sent.
        self.assertEqual(per_day, [4, 4, 4, 1])
        ids = posted(self.sim)
        self.assertEqual(len(ids), len(set(ids)))
        self.assertCountEqual(ids, [r[0] for _, rows in nights for r in rows])
        # Night 3 sent the two A rows due then before the B rows (carried in
        # deferral order), and deferred the last B row under its own file.
        self.assertCountEqual(ids[4:8], ["A4", "A5", "A6", "A7"])  # (overlapping: any order)
        self.assertCountEqual(ids[8:12], ["A8", "A9", "B0", "B1"])
        self.assertEqual(ids[12:], ["B2"])


if __name__ == "__main__":
    unittest.main()
