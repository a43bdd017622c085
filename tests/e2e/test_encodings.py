"""End to end: exports in the encodings and delimiters real systems write.
Each is read without being told its encoding or delimiter; `check` says what
it found, and names with accents reach the simulator as the right UTF-8."""
import os
import unittest

from harness import E2E, read_csv

HEADER = ["Id", "First Name", "Last Name", "Email", "Phone"]
ROWS = [
    ["1", "Zoë", "Ñúñez", "zoe@example.com", "0412 345 678"],
    ["2", "François", "Müller", "francois@example.com", ""],
    ["3", "Łukasz", "Nowak", "lukasz@example.com", "0413 000 111"],   # not in cp1252
    ["4", "Bad", "Email", "bad@@example.com", ""],
]


def render(rows, delim, newline="\r\n"):
    return newline.join(delim.join(r) for r in [HEADER] + rows) + newline


class Encodings(E2E):
    sim_args = ()

    def write_input(self, data: bytes):
        with open(self.input, "wb") as f:
            f.write(data)

    def check(self):
        self.write_pipeline()
        p = self.run_cli("check", self.pipeline)
        self.assertRun(p, 0)
        return p.stdout

    def test_windows_1252_with_semicolons(self):
        rows = [r for r in ROWS if r[0] != "3"]  # Ł has no Windows-1252 byte
        self.write_input(render(rows, ";").encode("cp1252"))
        out = self.check()
        self.assertIn("encoding windows-1252", out)
        self.assertIn("delimiter ';'", out)
        self.assertIn("3: 2 valid (would be sent), 1 rejected", out)
        p = self.run_cli("run", self.pipeline)
        self.assertRun(p, 0)
        names = sorted(r["body"]["firstName"] + " " + r["body"]["lastName"] for r in self.sim.requests())
        self.assertEqual(names, ["François Müller", "Zoë Ñúñez"])
        self.assertEqual(read_csv(self.results)[0]["first_name"], "Zoë")

    def test_excel_unicode_text_is_utf16_with_tabs(self):
        self.write_input(b"\xff\xfe" + render(ROWS, "\t").encode("utf-16-le"))
        out = self.check()
        self.assertIn("encoding utf-16le", out)
        self.assertIn("delimiter tab", out)
        self.assertIn("4: 3 valid (would be sent), 1 rejected", out)
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        self.assertIn("Łukasz", [r["body"]["firstName"] for r in self.sim.requests()])

    def test_utf16_big_endian_with_bom(self):
        self.write_input(b"\xfe\xff" + render(ROWS, ",").encode("utf-16-be"))
        out = self.check()
        self.assertIn("encoding utf-16be", out)
        self.assertIn("4: 3 valid", out)

    def test_utf8_with_bom_and_pipes(self):
        self.write_input(b"\xef\xbb\xbf" + render(ROWS, "|").encode("utf-8"))
        out = self.check()
        self.assertIn("encoding utf-8 (BOM)", out)
        self.assertIn("delimiter '|'", out)
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        self.assertEqual(sorted(r["body"]["firstName"] for r in self.sim.requests()),
                         ["François", "Zoë", "Łukasz"])

    def test_an_accent_far_down_the_file_still_decides(self):
        rows = [[str(i), f"Name{i}", "Smith", f"p{i}@example.com", ""] for i in range(5000)]
        rows.append(["x", "Renée", "Côté", "renee@example.com", ""])
        self.write_input(render(rows, ",").encode("cp1252"))
        out = self.check()
        self.assertIn("encoding windows-1252", out)
        self.assertRun(self.run_cli("run", "--dry-run", self.pipeline), 0)
        res = read_csv(self.results)
        self.assertEqual(len(res), 5001)
        self.assertEqual(res[-1]["first_name"], "Renée")
        self.assertEqual(res[-1]["last_name"], "Côté")

    def test_commas_inside_quoted_fields_do_not_fool_the_sniffer(self):
        rows = [["1", "\"Smith, Jr; III\"", "A", "a@example.com", ""],
                ["2", "\"Doe, Jane\"", "B", "b@example.com", ""]]
        self.write_input(render(rows, ";").encode("utf-8"))
        out = self.check()
        self.assertIn("delimiter ';'", out)
        self.assertIn("2: 2 valid", out)

    def test_explicit_encoding_wins(self):
        self.write_input(render(ROWS[:2], ",").encode("cp1252"))
        self.write_pipeline()
        with open(self.pipeline) as f:
            text = f.read()
        with open(self.pipeline, "w") as f:
            f.write(text.replace("  columns:", "  encoding: utf-8\n  columns:"))
        p = self.run_cli("check", self.pipeline)
        self.assertRun(p, 0)
        self.assertIn("encoding utf-8", p.stdout)

    def test_binary_file_is_exit_4_with_the_byte_offset(self):
        self.write_input(b"Id,First Name,Last Name,Email,Phone\r\n1,A\x00\x01\x02,B,c@example.com,\r\n")
        self.write_pipeline()
        p = self.run_cli("check", self.pipeline)
        self.assertRun(p, 4)
        self.assertIn("byte 40 is a NUL", p.stderr)
        self.assertIn("not a text export", p.stderr)


if __name__ == "__main__":
    unittest.main()
