#!/usr/bin/env python3
"""Writes ypa.1.gz, the manual page of `ypa`, from the binary's own --help (run at build time by CMake).

help2man turns `ypa --help` into NAME, SYNOPSIS, DESCRIPTION and OPTIONS; this script adds a COMMANDS
section with every subcommand's --help (its options, its subcommands, recursively), plus ENVIRONMENT,
FILES and SEE ALSO, and keeps the help's example blocks (such as "Quick start:") as typed lines, which
help2man would otherwise join into one paragraph. The page changes whenever the help text does.
"""
import argparse
import gzip
import os
import re
import subprocess
import sys
import tempfile

# An entry of a CLI11 "Options:" or "Subcommands:" list: two spaces, the name, two or more spaces, the text;
# a long name puts its text on the next, deeper indented line.
_ITEM = re.compile(r"^  (\S.*?)(?:\s{2,}(\S.*))?$")
_HEADING = re.compile(r"^(\S[^:]*):$")


def roff(text):
    """Plain text as roff: backslashes and minus signs escaped, no line taken for a request."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    if text.startswith((".", "'")):
        text = "\\&" + text
    return text


def roff_quoted(text):
    return '"' + roff(text).replace('"', "\\(dq") + '"'


def help_text(ypa, args):
    p = subprocess.run([ypa] + args + ["--help"], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        sys.exit(f"make_man: `ypa {' '.join(args)} --help` exited {p.returncode}: {p.stderr.strip()}")
    return p.stdout


def parse(text):
    """CLI11 help -> (description lines, usage, [(heading, [(name, text)])], footer lines)."""
    lines = text.rstrip("\n").splitlines()
    description, usage, lists, footer = [], "", [], []
    i = 0
    while i < len(lines) and not lines[i].startswith("Usage: "):
        description.append(lines[i])
        i += 1
    if i < len(lines):
        usage = lines[i][len("Usage: "):].strip()
        i += 1
    while i < len(lines):
        line = lines[i]
        m = _HEADING.match(line)
        if m and m.group(1) in ("Options", "Subcommands", "Positionals"):
            items = []
            i += 1
            while i < len(lines) and lines[i].startswith("  "):
                if lines[i].startswith("    ") and items:  # the text of a long name, or more of it
                    name, desc = items[-1]
                    items[-1] = (name, (desc + " " + lines[i].strip()).strip())
                else:
                    item = _ITEM.match(lines[i])
                    items.append((item.group(1), item.group(2) or ""))
                i += 1
            lists.append((m.group(1), items))
            continue
        footer.append(line)
        i += 1
    return description, usage, lists, footer


def prose(lines):
    """Free text of a help: filled paragraphs; indented lines and "Example: ..." lines kept as typed."""
    out, verbatim = [], []

    def flush():
        if verbatim:
            out.extend([".RS", ".nf"] + [roff(v) for v in verbatim] + [".fi", ".RE"])
            verbatim.clear()

    paragraph_open = False
    for line in lines:
        if not line.strip():
            flush()
            paragraph_open = False
            continue
        if line.startswith("  "):
            verbatim.append(line.strip())
            continue
        flush()
        m = re.match(r"^(Examples?:)\s*(\S.*)?$", line)
        if not m and re.match(r"^[A-Z][A-Za-z ]*: ", line):
            paragraph_open = False  # "Endpoints: ...", "Environment: ...": a paragraph of its own
        if m:
            out.extend([".PP", roff(m.group(1))])
            if m.group(2):
                verbatim.append(m.group(2))
            paragraph_open = False
            continue
        if not paragraph_open:
            out.append(".PP")
            paragraph_open = True
        out.append(roff(line))
    flush()
    return out


def item_tag(name):
    """`--pg-port INT:INT in [1 - 65535]` -> the flags bold, their argument italic (REQUIRED plain)."""
    words = name.split(" ")
    flags = []
    while words and words[0].startswith("-"):
        flags.append(words.pop(0))
    required = bool(words) and words[-1] == "REQUIRED"
    if required:
        words.pop()
    parts = []
    if flags:
        parts.append("\\fB" + roff(" ".join(flags)) + "\\fR")
    if words:
        parts.append("\\fI" + roff(" ".join(words)) + "\\fR")
    if required:
        parts.append("(required)")
    return " ".join(parts) if parts else roff(name)


def command_section(ypa, path, depth=0):
    """The COMMANDS subsection of `ypa <path...>` and, after it, those of its own subcommands."""
    description, usage, lists, footer = parse(help_text(ypa, path))
    out = [".SS " + roff_quoted(usage or "ypa " + " ".join(path))]
    out += prose(description)
    children = []
    for heading, items in lists:
        shown = [(n, d) for n, d in items if n != "-h,--help"]
        if not shown:
            continue
        out += [".PP", roff(heading + ":")]
        for name, desc in shown:
            out += [".TP", item_tag(name) if heading == "Options" else "\\fB" + roff(name) + "\\fR", roff(desc)]
        if heading == "Subcommands":
            children += [name for name, _ in shown]
    out += prose(footer)
    if depth < 2:
        for child in children:
            out += command_section(ypa, path + [child], depth + 1)
    return out


def include_file(ypa, subcommands):
    commands = ['[COMMANDS]', ".PP",
                "Each subcommand takes its own options (\\fBypa\\fR \\fIsubcommand\\fR \\fB\\-\\-help\\fR):"]
    for sub in subcommands:
        commands += command_section(ypa, [sub])
    environment = [
        "[ENVIRONMENT]",
        "Configuration comes from the environment; flags override it. The servers: CLICKHOUSE_HOST,",
        "CLICKHOUSE_PORT, CLICKHOUSE_DB, CLICKHOUSE_USER, CLICKHOUSE_PASSWORD, and PostgreSQL's DATABASE_URL",
        "or libpq's PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE. The pipeline: PIPELINE_TZ,",
        "PIPELINE_INTERVAL_MIN, FEATURE_WINDOWS_MIN and the other PIPELINE_* variables. The API: API_JWT_SECRET,",
        "API_LISTEN and the other API_* variables.",
        ".PP",
        "A malformed value is refused with one line naming the variable, and exit status 2, before any server",
        "is contacted.",
        "\\fI/etc/ypa/ypa.env\\fR lists every variable with its default.",
    ]
    files = [
        "[FILES]",
        ".TP", "\\fI/etc/ypa/ypa.env\\fR",
        "The environment of the systemd units (every variable commented out, with its default). It holds",
        "passwords: mode 0600, owner root.",
        ".TP", "\\fI/lib/systemd/system/ypa\\-schedule.service\\fR",
        "Runs \\fBypa schedule\\fR, which keeps the run \\fIlive\\fR current. Installed, not enabled.",
        ".TP", "\\fI/lib/systemd/system/ypa\\-serve.service\\fR",
        "Runs \\fBypa serve\\fR, the REST API. Installed, not enabled.",
    ]
    exit_status = [
        "[EXIT STATUS]",
        "0 success; 1 a negative answer (a dry run, runs that differ, servers that do not answer);",
        "2 an error, with a one\\-line message on standard error.",
    ]
    see_also = ["[SEE ALSO]", "\\fBsystemctl\\fR(1), \\fBjournalctl\\fR(1), \\fBsystemd.exec\\fR(5)"]
    return "\n".join(commands + exit_status + environment + files + see_also) + "\n"


def keep_example_blocks(page, top_help):
    """help2man makes a heading such as "Quick start:" a subsection of .TP paragraphs, joining its lines;
    show its lines as typed instead, as the help prints them."""
    lines = top_help.splitlines()
    for i, line in enumerate(lines):
        m = _HEADING.match(line)
        if not m or m.group(1) in ("Options", "Subcommands", "Positionals", "Usage"):
            continue
        block = []
        for following in lines[i + 1:]:
            if not following.startswith("  "):
                break
            block.append(following.strip())
        if not block:
            continue
        start = page.find(".SS " + roff_quoted(line) + "\n")
        if start < 0:
            continue
        body_start = page.index("\n", start) + 1
        end = re.compile(r"^\.(PP|SH|SS)\b", re.M).search(page, body_start)
        end = end.start() if end else len(page)
        page = page[:body_start] + "\n".join([".RS", ".nf"] + [roff(b) for b in block] + [".fi", ".RE"]) + \
            "\n" + page[end:]
    return page


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ypa", required=True, help="the built ypa binary")
    parser.add_argument("--output", required=True, help="the gzipped page to write (ypa.1.gz)")
    parser.add_argument("--help2man", default="help2man")
    args = parser.parse_args()

    top = help_text(args.ypa, [])
    _, _, lists, _ = parse(top)
    subcommands = [name for heading, items in lists if heading == "Subcommands" for name, _ in items]
    if not subcommands:
        sys.exit("make_man: `ypa --help` lists no subcommands")
    with tempfile.TemporaryDirectory() as tmp:
        include = os.path.join(tmp, "ypa.h2m")
        with open(include, "w", encoding="utf-8") as f:
            f.write(include_file(args.ypa, subcommands))
        raw = os.path.join(tmp, "ypa.1")
        name = "turns scraped iPhone buy-back prices into time series in ClickHouse, with versioned runs and a REST API"
        p = subprocess.run([args.help2man, "--no-info", "--section=1", "--name", name, "--include", include,
                            "--output", raw, args.ypa], capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            sys.exit(f"make_man: help2man failed ({p.returncode}): {p.stderr.strip()}")
        with open(raw, encoding="utf-8") as f:
            page = keep_example_blocks(f.read(), top)
    # Left-aligned and unhyphenated: the page is full of names (CLICKHOUSE_USER, --batch-days) that must
    # read as typed.
    page = re.sub(r"^(\.TH .*\n)", r"\1.ad l\n.nh\n", page, count=1, flags=re.M)
    tmp_out = args.output + ".tmp"
    # mtime=0 and no file name in the header: the same help text gives the same bytes.
    with open(tmp_out, "wb") as raw_out, gzip.GzipFile(filename="", mode="wb", fileobj=raw_out, mtime=0,
                                                      compresslevel=9) as gz:
        gz.write(page.encode("utf-8"))
    os.replace(tmp_out, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
