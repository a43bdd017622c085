#!/usr/bin/env python3
"""Generate the man pages and the shell completions from the built binary's
own --help texts (which cli_help() prints from the same option tables the
parser reads), and the pipeline page from the shipped, commented example
pipelines: one source each, so the pages cannot drift from what the binary
accepts.

  gen_docs.py --bin build/cloutly-pipe --src . --out build/doc

writes OUT/man/man1/cloutly-pipe.1, OUT/man/man1/cloutly-pipe-COMMAND.1,
OUT/man/man5/cloutly-pipe.yaml.5 and OUT/completions/{cloutly-pipe.bash,
_cloutly-pipe, cloutly-pipe.fish}. Python 3 standard library only.
"""
import argparse
import os
import re
import subprocess

DATE = "2026"  # no build date in the pages: reproducible builds


def helptext(binary, *args):
    p = subprocess.run([binary, *args], capture_output=True, text=True, check=True)
    return p.stdout


def commands(main_help):
    """[(name, summary)] from the Commands: section of `cloutly-pipe --help`."""
    out, inside = [], False
    for line in main_help.splitlines():
        if line.startswith("Commands:"):
            inside = True
            continue
        if inside:
            m = re.match(r"^  (\S+)\s+(.*)$", line)
            if not m:
                break
            out.append((m.group(1), m.group(2)))
    return out


def esc(text):
    """Text for roff: backslashes doubled, hyphens of options as \\-, and no
    line starting with a control character."""
    text = text.replace("\\", "\\e")
    text = re.sub(r"(?<![\w])-", r"\\-", text)
    return "\n".join(("\\&" + l) if l.startswith((".", "'")) else l for l in text.split("\n"))


OPTION_LINE = re.compile(r"^\s{2,}((?:-\w, )?--?[\w-]+(?: [^\s].*?)?)\s{2,}(\S.*)$")


def body_to_roff(lines):
    """A --help body (after the usage lines) as man sections: headings
    ending in ':' become .SH/.SS, option lines .TP, indented blocks .nf."""
    out, para = [], []

    def flush():
        if para:
            out.append(".PP\n" + esc(" ".join(para)))
            para.clear()

    for line in lines:
        if not line.strip():
            flush()
            continue
        m = OPTION_LINE.match(line)
        heading = re.match(r"^([A-Z][\w ()'-]*):\s*(.*)$", line)
        if m:
            flush()
            out.append(".TP\n.B %s\n%s" % (esc(m.group(1)), esc(m.group(2))))
        elif heading and not line.startswith(" "):
            flush()
            name = heading.group(1)
            out.append(".SH " + esc({"Options": "OPTIONS", "Exit codes": "EXIT STATUS"}
                                     .get(name, name.upper())))
            if heading.group(2):
                para.append(heading.group(2))
        elif re.match(r"^\s{2}\d+\s{2}", line):
            flush()
            code, text = line.strip().split(None, 1)
            out.append(".TP\n.B %s\n%s" % (code, esc(text)))
        elif line.startswith("  "):
            flush()
            out.append(".nf\n.RS 4\n%s\n.RE\n.fi" % esc(line.strip()))
        else:
            para.append(line.strip())
    flush()
    return "\n".join(out)


def split_usage(text):
    """(synopsis lines, the rest) of a --help text."""
    lines = text.rstrip("\n").split("\n")
    syn = []
    while lines and (lines[0].startswith("usage:") or (syn and lines[0].startswith(" ") and
                                                         lines[0].strip().startswith("["))):
        syn.append(lines.pop(0).replace("usage: ", "").strip())
    return syn, lines


def th(name, section, title):
    return ('.TH %s %d "%s" "cloutly-pipe %s" "%s"\n' % (name.upper(), section, DATE,
                                                         VERSION, title))


def command_page(name, summary, text):
    syn, rest = split_usage(text)
    page = th("cloutly-pipe-" + name, 1, "cloutly-pipe manual")
    page += ".SH NAME\ncloutly-pipe-%s \\- %s\n" % (name, esc(summary))
    page += ".SH SYNOPSIS\n.nf\n%s\n.fi\n" % esc("\n".join(syn))
    page += ".SH DESCRIPTION\n" + body_to_roff(rest) + "\n"
    page += ".SH SEE ALSO\n.BR cloutly-pipe (1),\n.BR cloutly-pipe.yaml (5)\n"
    return page


def main_page(cmds, text):
    syn, rest = split_usage(text)
    page = th("cloutly-pipe", 1, "cloutly-pipe manual")
    page += ".SH NAME\ncloutly-pipe \\- Cloutly review invites from POS and CRM exports, " \
            "and review archives\n"
    page += ".SH SYNOPSIS\n.nf\n%s\n.fi\n" % esc("\n".join(syn))
    page += ".SH DESCRIPTION\n"
    page += body_to_roff(rest) + "\n"
    page += ".SH FILES\n.TP\n.I /usr/share/doc/cloutly-pipe/examples/\n" \
            "Commented example pipelines.\n" \
            ".TP\n.I /usr/lib/systemd/system/cloutly-nightly.service\n" \
            "A hardened unit and its timer for the nightly job.\n"
    page += ".SH SEE ALSO\n" + ",\n".join(".BR cloutly-pipe-%s (1)" % c for c, _ in cmds)
    page += ",\n.BR cloutly-pipe.yaml (5)\n"
    return page


def yaml_page(src):
    page = th("cloutly-pipe.yaml", 5, "cloutly-pipe file formats")
    page += ".SH NAME\ncloutly-pipe.yaml \\- the pipeline file of cloutly-pipe\n"
    page += ".SH SYNOPSIS\n.nf\ncloutly-pipe check PIPELINE.yaml\ncloutly-pipe run PIPELINE.yaml\n.fi\n"
    page += ".SH DESCRIPTION\n.PP\n" + esc(
        "A pipeline is a YAML file (version 1) that says where contacts come from, how they "
        "are checked and to which Cloutly business and campaign they are sent (kind: invite), "
        "or how reviews are archived (kind: export). Loading is strict: an unknown key, a wrong "
        "type or a bad value is an error naming the file, line, column and key, with the "
        "nearest known key for a typo. ${VAR} comes from the environment (unset is an error). "
        "Relative paths resolve against the pipeline's folder; output and state paths may use "
        "{name}, {date}, {time} and {run_id}.") + "\n"
    page += ".PP\nThe examples below are the pipelines shipped with cloutly-pipe, every key " \
            "commented; they are installed under\n.IR /usr/share/doc/cloutly-pipe/examples/ .\n"
    for name in ("nightly-invites.yaml", "reviews-archive.yaml"):
        with open(os.path.join(src, "pipelines", name)) as f:
            text = f.read()
        page += ".SH %s\n.nf\n%s\n.fi\n" % (esc("EXAMPLE: " + name).upper(), esc(text.rstrip()))
    page += ".SH SEE ALSO\n.BR cloutly-pipe (1),\n.BR cloutly-pipe-check (1),\n" \
            ".BR cloutly-pipe-doctor (1)\n"
    return page


def options_of(text):
    """Long and short options named in a --help text, and value choices
    (e.g. --format table|csv) for the ones that have them."""
    longs = sorted(set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]+)", text)) - {"--"})
    shorts = sorted(set(re.findall(r"(?:^|[\s\[|])(-[a-zA-Z])(?=[\s,|\]])", text, re.M)))
    choices = {}
    for opt, vals in re.findall(r"(--[a-z][a-z0-9-]+)[ =]([a-z_]+(?:\|[a-z_]+)+)", text):
        choices[opt] = vals.split("|")
    return longs, shorts, choices


def bash_completion(cmds, opts):
    lines = ["# bash completion for cloutly-pipe (generated by scripts/gen_docs.py)",
             "_cloutly_pipe() {",
             "    local cur prev cmd",
             "    cur=${COMP_WORDS[COMP_CWORD]}",
             "    prev=${COMP_WORDS[COMP_CWORD-1]}",
             "    if [ \"$COMP_CWORD\" -eq 1 ]; then",
             "        COMPREPLY=($(compgen -W \"%s help --help --version\" -- \"$cur\"))"
             % " ".join(c for c, _ in cmds),
             "        return",
             "    fi",
             "    cmd=${COMP_WORDS[1]}",
             "    case \"$cmd:$prev\" in"]
    for c, _ in cmds:
        for opt, vals in sorted(opts[c][2].items()):
            lines.append("        %s:%s) COMPREPLY=($(compgen -W \"%s\" -- \"$cur\")); return ;;"
                         % (c, opt, " ".join(vals)))
    lines += ["        *:--input|*:-i|*:--output|*:--metrics-file)",
              "            COMPREPLY=($(compgen -f -- \"$cur\")); return ;;",
              "    esac",
              "    case \"$cmd\" in"]
    for c, _ in cmds:
        longs, shorts, _ = opts[c]
        files = "*.csv" if c == "guess" else "*.y*ml"
        lines.append("        %s)" % c)
        lines.append("            if [[ $cur == -* ]]; then")
        lines.append("                COMPREPLY=($(compgen -W \"%s\" -- \"$cur\"))"
                     % " ".join(longs + shorts + ["--help"]))
        lines.append("            else")
        lines.append("                COMPREPLY=($(compgen -f -X '!%s' -- \"$cur\") "
                     "$(compgen -d -- \"$cur\"))" % files)
        lines.append("            fi ;;")
    lines += ["        help) COMPREPLY=($(compgen -W \"%s\" -- \"$cur\")) ;;"
              % " ".join(c for c, _ in cmds),
              "    esac",
              "}",
              "complete -o filenames -F _cloutly_pipe cloutly-pipe", ""]
    return "\n".join(lines)


def zsh_completion(cmds, opts):
    lines = ["#compdef cloutly-pipe", "# generated by scripts/gen_docs.py", "",
             "_cloutly_pipe() {",
             "  local -a commands",
             "  commands=("]
    for c, s in cmds:
        lines.append("    '%s:%s'" % (c, s.replace("'", "'\\''").replace(":", "\\:")))
    lines += ["  )",
              "  if (( CURRENT == 2 )); then",
              "    _describe -t commands 'cloutly-pipe command' commands",
              "    _arguments '--help[show help]' '--version[show versions]'",
              "    return",
              "  fi",
              "  local cmd=${words[2]}",
              "  case $cmd in"]
    for c, _ in cmds:
        longs, shorts, choices = opts[c]
        files = "*.csv" if c == "guess" else "*.(yaml|yml)"
        specs = []
        for o in longs + shorts + ["--help"]:
            if o in choices:
                specs.append("'%s[%s]:value:(%s)'" % (o, o, " ".join(choices[o])))
            elif o in ("--input", "-i", "--output", "--metrics-file"):
                specs.append("'%s[%s]:file:_files'" % (o, o))
            else:
                specs.append("'%s[%s]'" % (o, o))
        specs.append("'*:file:_files -g \"%s\"'" % files)
        lines.append("    %s) _arguments %s ;;" % (c, " ".join(specs)))
    lines += ["    help) _describe -t commands 'command' commands ;;",
              "  esac",
              "}",
              "",
              "_cloutly_pipe \"$@\"", ""]
    return "\n".join(lines)


def fish_completion(cmds, opts):
    lines = ["# fish completion for cloutly-pipe (generated by scripts/gen_docs.py)",
             "set -l cmds %s" % " ".join(c for c, _ in cmds),
             "complete -c cloutly-pipe -f"]
    for c, s in cmds:
        lines.append("complete -c cloutly-pipe -n \"not __fish_seen_subcommand_from $cmds\" "
                     "-a %s -d '%s'" % (c, s.replace("'", "\\'")))
    lines.append("complete -c cloutly-pipe -n \"not __fish_seen_subcommand_from $cmds\" -l version")
    for c, _ in cmds:
        longs, shorts, choices = opts[c]
        cond = "-n \"__fish_seen_subcommand_from %s\"" % c
        ext = "csv" if c == "guess" else "yaml"
        lines.append("complete -c cloutly-pipe %s -F -a '(__fish_complete_suffix .%s)'"
                     % (cond, ext))
        for o in longs:
            extra = ""
            if o in choices:
                extra = " -x -a '%s'" % " ".join(choices[o])
            elif o in ("--input", "--output", "--metrics-file"):
                extra = " -r -F"
            lines.append("complete -c cloutly-pipe %s -l %s%s" % (cond, o[2:], extra))
        for o in shorts:
            lines.append("complete -c cloutly-pipe %s -s %s" % (cond, o[1:]))
    return "\n".join(lines) + "\n"


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def main():
    global VERSION
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    VERSION = helptext(a.bin, "--version").split("\n")[0].split()[-1]
    top = helptext(a.bin, "--help")
    cmds = commands(top)
    opts = {}
    man = os.path.join(a.out, "man")
    write(os.path.join(man, "man1", "cloutly-pipe.1"), main_page(cmds, top))
    for c, summary in cmds:
        text = helptext(a.bin, c, "--help")
        opts[c] = options_of(text)
        write(os.path.join(man, "man1", "cloutly-pipe-%s.1" % c), command_page(c, summary, text))
    write(os.path.join(man, "man5", "cloutly-pipe.yaml.5"), yaml_page(a.src))
    comp = os.path.join(a.out, "completions")
    write(os.path.join(comp, "cloutly-pipe.bash"), bash_completion(cmds, opts))
    write(os.path.join(comp, "_cloutly-pipe"), zsh_completion(cmds, opts))
    write(os.path.join(comp, "cloutly-pipe.fish"), fish_completion(cmds, opts))


VERSION = "?"
if __name__ == "__main__":
    main()
