"""End to end: the API's refusals and failures (SPEC section 5) where the
assertion needs code: several requests in flight when a stop comes, Retry-After
spacing, a server that is not there, SIGINT. The faults that are a table of
"this input + this fault -> these statuses and requests" are case folders in
tests/e2e/cases/1xx-* (played by test_cases.py).

Nothing here depends on how fast the machine is: requests are kept in flight
with the simulator's --hold-file and waited on through its counters, and a
signal is sent only once the binary has said it saw the previous one."""
import collections
import os
import signal
import socket
import unittest

from harness import API_KEY, E2E, contacts, read_csv, write_csv

HEADER = ["Id", "First Name", "Last Name", "Email", "Phone"]
NOT_ATTEMPTED = "not attempted: the run stopped early (a later run sends it)"


def per_contact(requests):
    return collections.Counter(r["body"]["channel"]["email"] for r in requests)


class Faults(E2E):
    sim_args = ()

    def run_with(self, n, *sim_args, expect, **pipeline):
        self.start_sim(*sim_args)
        write_csv(self.input, HEADER, contacts(n))
        self.write_pipeline(**pipeline)
        p = self.run_cli("run", self.pipeline)
        self.assertRun(p, expect)
        return p, read_csv(self.results)

    def test_429_storm_with_retry_after_completes_every_row_once(self):
        p, res = self.run_with(8, "--storm-429", "2:4", "--retry-after", "1", expect=0)
        self.assertEqual([r["status"] for r in res], ["sent"] * 8)
        posted = self.sim.requests()
        self.assertEqual(sum(1 for r in posted if r["status"] == 429), 4)
        accepted = per_contact(self.sim.accepted())
        self.assertEqual(len(accepted), 8)
        self.assertEqual(set(accepted.values()), {1})
        # Retry-After: 1 was honoured: nothing came within a second of the first 429.
        first_429 = min(r["t_arrival"] for r in posted if r["status"] == 429)
        after = [r["t_arrival"] for r in posted if r["t_arrival"] > first_429 and r["status"] != 429]
        self.assertGreaterEqual(min(after) - first_429, 0.95)

    def test_connection_refused_is_retried_then_failed(self):
        write_csv(self.input, HEADER, contacts(1))
        self.write_pipeline()
        # A port bound and never listened on refuses every connection, and no
        # other test's simulator can take it meanwhile (a stopped simulator's
        # port could be handed to the next one that asks for port 0).
        with socket.socket() as dead:
            dead.bind(("127.0.0.1", 0))
            url = f"http://127.0.0.1:{dead.getsockname()[1]}/api/v1"
            p = self.run_cli("run", self.pipeline, env={"CLOUTLY_BASE_URL": url})
        self.assertRun(p, 1)
        res = read_csv(self.results)
        self.assertEqual(res[0]["status"], "failed")
        self.assertIn("could not reach the API", res[0]["reason"])
        self.assertEqual(self.sim.requests(None), [])


class StopAtTheFirstRequest(E2E):
    """SPEC 5: a 401 stops the run at once, a 404 on a one-business run stops
    it after the first. The first request of a run goes alone, whatever
    max_in_flight says, until an answer proves the key and the target: so a
    wrong key or campaign costs exactly one POST. The simulator holds the
    first answer; the test sees exactly one request in flight, releases it,
    and counts: not one POST more goes out."""
    sim_args = None

    def stop_after_the_first(self, *sim_args, env=None, expect):
        hold = os.path.join(self.dir, "hold")
        open(hold, "w").close()
        self.start_sim("--hold-file", hold, *sim_args)
        write_csv(self.input, HEADER, contacts(7))
        self.write_pipeline(extra_api="  max_in_flight: 4\n")
        child = self.start_cli("run", self.pipeline, env=env)
        self.sim.wait_for("the first POST in flight", lambda c: c["held"] == 1)
        os.unlink(hold)
        code, err = child.finish()
        self.assertEqual(code, expect, err)
        self.assertNotIn(API_KEY, err)
        self.sim.quiesce()
        posted = self.sim.requests()
        self.assertEqual(len(posted), 1, "a POST went out after the stop")
        self.assertEqual(dict(per_contact(posted)), {"person0@example.com": 1})
        res = read_csv(self.results)
        self.assertEqual([r["input_row"] for r in res], [str(i) for i in range(2, 9)])
        self.assertEqual([r["reason"] for r in res[1:]], [NOT_ATTEMPTED] * 6)
        self.assertEqual({r["status"] for r in res[1:]}, {"skipped"})
        return posted, res[:1], err

    def test_401_with_four_allowed_in_flight_costs_one_post(self):
        posted, settled, err = self.stop_after_the_first(
            env={"CLOUTLY_API_KEY": "wrong-key"}, expect=3)
        self.assertEqual({r["status"] for r in posted}, {401})
        self.assertEqual({(r["status"], r["http_status"]) for r in settled}, {("skipped", "401")})
        self.assertIn("CLOUTLY_API_KEY", err)
        self.assertNotIn("wrong-key", err)

    def test_404_with_four_allowed_in_flight_costs_one_post(self):
        posted, settled, err = self.stop_after_the_first(
            "--campaign", "9b1d3f6e-8c2a-4e5b-a7d4-3f0e2c1b5a69", expect=2)
        self.assertEqual({r["status"] for r in posted}, {404})
        self.assertEqual({(r["status"], r["reason"]) for r in settled},
                         {("failed", "HTTP 404: Campaign not found")})
        self.assertIn("campaign", err)


class Interrupt(E2E):
    sim_args = None

    def test_sigint_finishes_in_flight_records_everything_and_exits_5(self):
        # Some invites go through; then the simulator holds its answers, and
        # SIGINT comes while requests wait on it: those finish, no new one starts.
        hold = os.path.join(self.dir, "hold")
        self.start_sim("--hold-file", hold)
        write_csv(self.input, HEADER, contacts(40))
        self.write_pipeline(rate="10/s")
        child = self.start_cli("run", self.pipeline)
        self.sim.wait_for("five invites through", lambda c: c["accepted"] >= 5)
        open(hold, "w").close()
        self.sim.wait_for("a request held in flight", lambda c: c["held"] >= 1)
        child.signal(signal.SIGINT)
        child.wait_stderr("interrupted: finishing the")
        os.unlink(hold)
        code, err = child.finish()
        self.assertEqual(code, 5, err)
        res = read_csv(self.results)
        self.assertEqual(len(res), 40)
        sent = [r for r in res if r["status"] == "sent"]
        skipped = [r for r in res if r["status"] == "skipped"]
        self.assertEqual(len(sent) + len(skipped), 40)
        self.assertEqual({r["reason"] for r in skipped},
                         {"not attempted: the run was interrupted (a later run sends it)"})
        # Every request the server saw is recorded as sent: none was abandoned.
        self.sim.quiesce()
        self.assertEqual(len(sent), len(self.sim.accepted()))
        self.assertEqual(len(sent), len(self.sim.requests()))
        self.assertGreater(len(sent), 5)
        self.assertGreater(len(skipped), 0)


if __name__ == "__main__":
    unittest.main()
