#!/usr/bin/env python3
"""Checks that keep the docs true without servers (CTest labels docs and unit):

1. every shell block of README.md, docs/*.md, src/README.md and bench/README.md is marked runnable or
   not-runnable (docs_blocks_test.py runs the runnable ones);
2. every environment variable the code reads (src/, scripts/) is in docs/configuration.md, with the default
   the code has where the code states one next to the name;
3. a malformed value of a variable is refused with exit 2 and one line that names the variable;
4. every "SPEC §N" cited in src/, tests/, docs/, bench/, scripts/ or README.md is a section of docs/spec.md,
   and nothing cites notes that are not in the repository;
5. every relative link of those Markdown pages points at a file that exists.

Prints one "path:line: problem" per finding and exits 1 when there is any.
"""
import argparse
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import markdown_blocks  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
THIS_DIR = os.path.relpath(os.path.dirname(os.path.abspath(__file__)), ROOT)
SCANNED = ["src", "tests", "docs", "bench", "scripts", "cmake", ".ci", "README.md", "CMakeLists.txt"]
TEXT_SUFFIXES = (".cpp", ".hpp", ".h", ".cu", ".cuh", ".py", ".md", ".sh", ".txt", ".cmake", ".json", ".toml", "run")


def source_files(tops, suffixes=TEXT_SUFFIXES):
    for top in tops:
        path = os.path.join(ROOT, top)
        if os.path.isfile(path):
            yield top
            continue
        for dirpath, dirnames, filenames in os.walk(path):
            dirnames[:] = sorted(d for d in dirnames if d not in ("__pycache__", ".cache") and not d.startswith("build"))
            for name in sorted(filenames):
                if name.endswith(suffixes):
                    yield os.path.relpath(os.path.join(dirpath, name), ROOT)


def read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8", errors="replace") as f:
        return f.read()


def lines_with(pattern, rel):
    for number, line in enumerate(read(rel).splitlines(), 1):
        for m in pattern.finditer(line):
            yield number, m


# 1. Markers -----------------------------------------------------------------------------------------------

def check_markers():
    problems = []
    for page in markdown_blocks.marked_pages(ROOT):
        problems += markdown_blocks.marker_problems(ROOT, page)
    return problems


# 2. Variables in docs/configuration.md ----------------------------------------------------------------------

# env::get("X"), env::get_or("X", ...), env::get_int("X", ...), std::getenv("X"); and any string literal that is
# an upper-case name with an underscore, which in src/ is always a variable's name (also where a loop or a
# helper passes the name on).
_ENV_CALL = re.compile(r'\b(?:env::get(?:_or|_int|_double)?|std::getenv|getenv|secure_getenv)\(\s*"([A-Za-z_][A-Za-z0-9_]*)"')
_CAPS_LITERAL = re.compile(r'"([A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9])"')
_GET_OR_DEFAULT = re.compile(r'env::get_or\(\s*"([A-Z][A-Z0-9_]*)"\s*,\s*"([^"]+)"')
# `field = value;  // NAME ...` in a settings header: the default stated next to the variable's name.
_FIELD_DEFAULT = re.compile(r'=\s*([^;]+?);\s*//\s*([A-Z][A-Z0-9]*_[A-Z0-9_]+)\b')
_SCRIPT_VAR = re.compile(r'\$\{?(YPA_[A-Z0-9_]+)')
# Upper-case string literals in src/ that are not variables (none so far).
NOT_VARIABLES = set()


def variables_read():
    """{name: "path:line"} for every variable the code and the scripts read; {name: default} where stated."""
    names, defaults = {}, {}
    for rel in source_files(["src"], (".cpp", ".hpp", ".h", ".cu", ".cuh")):
        for number, m in lines_with(_ENV_CALL, rel):
            names.setdefault(m.group(1), f"{rel}:{number}")
        for number, m in lines_with(_CAPS_LITERAL, rel):
            if m.group(1) not in NOT_VARIABLES:
                names.setdefault(m.group(1), f"{rel}:{number}")
        for number, m in lines_with(_GET_OR_DEFAULT, rel):
            defaults.setdefault(m.group(1), (m.group(2), f"{rel}:{number}"))
        if rel.endswith(".hpp"):
            for number, m in lines_with(_FIELD_DEFAULT, rel):
                defaults.setdefault(m.group(2), (m.group(1).strip(), f"{rel}:{number}"))
    for rel in source_files(["scripts", ".ci"], (".sh", "run")):
        for number, m in lines_with(_SCRIPT_VAR, rel):
            names.setdefault(m.group(1), f"{rel}:{number}")
    return names, defaults


def default_spellings(value):
    """How a C++ default may be written in the docs: "Asia/Tokyo", {120, 900, 1800} -> 120,900,1800, 2.0 -> 2."""
    value = value.strip().strip('"')
    if value.startswith("{") and value.endswith("}"):
        value = ",".join(part.strip() for part in value[1:-1].split(","))
    spellings = {value}
    if re.fullmatch(r"\d+\.0", value):
        spellings.add(value[:-2])
    return spellings


def check_configuration_doc():
    page = "docs/configuration.md"
    doc = read(page)
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]*)(?=[`=])", doc))
    names, defaults = variables_read()
    problems = []
    for name, where in sorted(names.items()):
        if name not in documented:
            problems.append(f"{where}: the code reads {name}, which {page} does not list")
    for name, (value, where) in sorted(defaults.items()):
        if name not in documented:
            continue
        rows = [line for line in doc.splitlines() if f"`{name}`" in line or f"`{name}=" in line]
        spans = [span for line in rows for span in re.findall(r"`([^`]*)`", line)]
        if not any(s in span for s in default_spellings(value) for span in spans):
            problems.append(f"{where}: {name} defaults to {value}, which {page} does not say next to the name")
    return problems


# 3. Malformed variables are named in the error -----------------------------------------------------------

RUN = ["run_pipeline", "--run-id", "docs_check", "--from", "2025-01-01", "--to", "2025-01-01"]
SERVE = ["serve", "--listen", "127.0.0.1:1"]
MALFORMED = [
    ("CLICKHOUSE_PORT", "abc", ["list_runs"]),
    ("CLICKHOUSE_PORT", "70000", ["list_runs"]),
    ("CLICKHOUSE_DB", "yama-goti", ["list_runs"]),
    ("CLICKHOUSE_CLUSTER", "a b", ["list_runs"]),
    ("CLICKHOUSE_COMPRESSION", "lz4", ["list_runs"]),
    ("PIPELINE_TZ", "Asia/Atlantis", ["list_runs"]),
    ("PIPELINE_INTERVAL_MIN", "7", ["list_runs"]),
    ("PIPELINE_INTERVAL_MIN", "fifteen", RUN),
    ("PIPELINE_LOOKBACK_MIN", "0", RUN),
    ("PIPELINE_MIN_QUORUM", "-1", RUN),
    ("FEATURE_WINDOWS_MIN", "120,,900", RUN),
    ("OUTLIER_BAND", "wide", RUN),
    ("BOLL_K", "-2", RUN),
    ("PIPELINE_BATCH_DAYS", "0", RUN),
    ("PIPELINE_DEVICE", "tpu", RUN),
    ("BACKUP_KEEP", "two", ["list_runs"]),
    ("PGPORT", "abc", RUN),
    ("PGPORT", "99999", RUN),
    ("DATABASE_URL", "ypa", RUN),
    ("API_LISTEN", "8000", SERVE),
    ("API_THREADS", "1", SERVE),
    ("API_POOL_SIZE", "zero", SERVE),
    ("API_CACHE_MS", "-1", SERVE),
    ("API_CACHE_MAX_MB", "0", SERVE),
    ("YPA_COMPARE_SLICE_CELLS", "many", ["compare_runs", "--base", "a", "--target", "b"]),
    ("YPA_COMPARE_SLICE_CELLS", "12abc", ["compare_runs", "--base", "a", "--target", "b"]),
    ("YPA_SQL_LOG", "/nonexistent-folder/statements.jsonl", ["list_runs"]),
    ("YPA_SQL_LOG_ROWS", "yes", ["list_runs"]),
]

# Well-formed values that the checks above must let through (the run then fails on the missing servers).
WELL_FORMED = [
    ("PGPORT", "1,2", RUN),  # libpq's list, one port per host
    ("PIPELINE_DEVICE", "auto", RUN),  # cuda:0 is refused on a machine without a GPU
    ("DATABASE_URL", "postgresql://127.0.0.1:1/ypa", RUN),
    ("DATABASE_URL", "host=127.0.0.1 port=1 dbname=ypa", RUN),
    ("PIPELINE_TZ", "Europe/Berlin", ["list_runs"]),
]


def check_malformed_variables(ypa):
    # No servers: a variable that is not checked up front shows as a refused connection that does not name it.
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"),
            "CLICKHOUSE_HOST": "127.0.0.1", "CLICKHOUSE_PORT": "1", "PGHOST": "127.0.0.1", "PGPORT": "1",
            "PGCONNECT_TIMEOUT": "2", "API_JWT_SECRET": "a secret long enough for any check of its length"}
    problems = []
    for name, value, args in MALFORMED:
        env = dict(base, **{name: value})
        p = subprocess.run([ypa] + args, env=env, capture_output=True, text=True, timeout=60)
        err = p.stderr.strip()
        what = f"{name}={value} ypa {' '.join(args)}"
        if p.returncode != 2:
            problems.append(f"{what}: exit {p.returncode}, expected 2 (stderr: {err!r})")
        elif len(err.splitlines()) != 1 or name not in err:
            problems.append(f"{what}: the error does not name {name} on one line: {err!r}")
    for name, value, args in WELL_FORMED:
        env = dict(base, **{name: value})
        p = subprocess.run([ypa] + args, env=env, capture_output=True, text=True, timeout=60)
        if name in p.stderr:
            problems.append(f"{name}={value} ypa {' '.join(args)}: a well-formed value is refused: "
                            f"{p.stderr.strip()!r}")
    return problems


# 4. SPEC sections and notes that are not here ------------------------------------------------------------

_SPEC_REF = re.compile(r"SPEC(?:'s)?\s*§\s*(\d+(?:\.\d+)*)((?:\s*(?:-|–|,|and|or)\s*§?\s*\d+(?:\.\d+)*)*)")
_SPEC_HEADING = re.compile(r"^#{2,4}\s+(\d+(?:\.\d+)*)\.?\s")
_ELSEWHERE_NOTES = re.compile(r"research[ _-]?notes?|notes/research|research\.md|shared notes", re.I)


def spec_sections():
    return {m.group(1) for line in read("docs/spec.md").splitlines() for m in [_SPEC_HEADING.match(line)] if m}


def cited_sections(match):
    """"SPEC §3-6" -> 3, 4, 5, 6; "SPEC §2 and §6" -> 2, 6."""
    cited = [match.group(1)]
    for sep, number in re.findall(r"(-|–|,|and|or)\s*§?\s*(\d+(?:\.\d+)*)", match.group(2)):
        if sep in "-–" and cited[-1].isdigit() and number.isdigit():
            cited += [str(n) for n in range(int(cited[-1]) + 1, int(number) + 1)]
        else:
            cited.append(number)
    return cited


def check_citations():
    if not os.path.exists(os.path.join(ROOT, "docs", "spec.md")):
        return ["docs/spec.md: missing; it holds the sections that \"SPEC §N\" cites"]
    sections = spec_sections()
    problems = []
    if not sections:
        return ["docs/spec.md: no numbered sections (## N. ...)"]
    for rel in source_files(SCANNED):
        if rel.startswith(THIS_DIR + os.sep):
            continue  # the patterns themselves
        for number, m in lines_with(_SPEC_REF, rel):
            for section in cited_sections(m):
                if section not in sections:
                    problems.append(f"{rel}:{number}: cites SPEC §{section}, which docs/spec.md does not have")
        for number, m in lines_with(_ELSEWHERE_NOTES, rel):
            problems.append(f"{rel}:{number}: cites {m.group(0)!r}, which is not in the repository: "
                            f"state the fact where it is used, or in a page of docs/")
    return problems


# 5. Links ------------------------------------------------------------------------------------------------

_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def check_links():
    problems = []
    for page in markdown_blocks.marked_pages(ROOT):
        in_fence = False
        for number, line in enumerate(read(page).splitlines(), 1):
            if re.match(r"^\s*(```|~~~)", line):
                in_fence = not in_fence
            if in_fence:
                continue
            for m in _LINK.finditer(line):
                target = m.group(1).split("#", 1)[0]
                if not target or re.match(r"^[a-z]+:", target):
                    continue
                if not os.path.exists(os.path.normpath(os.path.join(ROOT, os.path.dirname(page), target))):
                    problems.append(f"{page}:{number}: link to {m.group(1)}, which does not exist")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ypa", required=True, help="the ypa binary, for the checks of malformed variables")
    args = parser.parse_args()
    checks = [("markers", check_markers), ("configuration.md", check_configuration_doc),
              ("malformed variables", lambda: check_malformed_variables(args.ypa)),
              ("SPEC citations", check_citations), ("links", check_links)]
    failed = 0
    for title, check in checks:
        problems = check()
        print(f"{title}: {'ok' if not problems else f'{len(problems)} problem(s)'}")
        for problem in problems:
            print("  " + problem)
        failed += len(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
