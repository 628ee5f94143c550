"""Time and memory of reading monthly-report uploads: the former openpyxl reader against the
streaming reader, on a normal 20,000-row report and on every hostile file of the test corpus.

Run from the project root:

    .venv/bin/python -m bench.upload_bench                # every file, a few minutes
    .venv/bin/python -m bench.upload_bench --cpu 30       # CPU seconds allowed to one read

Each read runs in a fresh child process under a CPU-time limit (`--cpu`, 60 s by default) and a
4 GiB address-space limit, so a bomb stops there instead of taking the machine. The child reads
the file's bytes, notes its peak resident memory, reads the file, and reports the wall-clock
time and how much the peak grew. The former reader is openpyxl's read-only mode as the portal
used it (with `data_only=True`, the archive's declared sizes checked first), without defusedxml,
which the portal did not have; it is kept here only to be measured. Files are built by
tests/supervision/upload_corpus.py; those that would fetch a URL are left out.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ADDRESS_SPACE = 4 * 2**30


def old_reader(data: bytes) -> str:
    """The former XLSX path: declared sizes checked, then openpyxl's read-only rows."""
    import openpyxl

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
    if len(members) > 2_000 or sum(m.file_size for m in members) > 200 * 2**20:
        return "refused: unpacks too large"
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        return old_collect(enumerate((list(r) for r in rows), start=1))
    finally:
        workbook.close()


def old_collect(numbered) -> str:
    """The former row loop: the header, then every non-blank row kept, up to 20,000."""
    from portal.reporting.loan_files import _blank

    kept = []
    for number, cells in numbered:
        if number > 1 and not _blank(cells):
            if len(kept) >= 20_000:
                return "refused: over 20,000 rows"
            kept.append((number, cells))
    return f"read {len(kept)} rows"


def new_reader(data: bytes) -> str:
    from portal.reporting.loan_files import FileRefused, read_table

    try:
        return f"read {len(read_table(data).rows)} rows"
    except FileRefused as refused:
        return "refused: " + str(refused)[:24] + "…"


def child(reader: str, path: str) -> None:
    """Read one file with one reader and print what it cost, as JSON."""
    if reader == "old":
        os.environ["OPENPYXL_DEFUSEDXML"] = "False"  # as the portal ran it
    from portal.reporting import loan_files  # noqa: F401  (imports before the baseline)

    data = Path(path).read_bytes()
    is_csv = not data.startswith(b"PK")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    try:
        if reader == "new" or is_csv:
            # The former CSV path differs from the new one only in the limits it lacked.
            outcome = new_reader(data) if reader == "new" else old_csv(data)
        else:
            outcome = old_reader(data)
    except MemoryError:
        outcome = "MemoryError (4 GiB)"
    except Exception as error:  # the former reader raised many kinds; the portal showed one message
        outcome = f"error: {type(error).__name__}"
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "mib": (peak - before) / 1024, "outcome": outcome}))


def old_csv(data: bytes) -> str:
    """The former CSV path: decode, csv.reader over the whole text, every record kept."""
    import csv
    import unicodedata

    text = data.decode("utf-8-sig", errors="strict")
    if any(unicodedata.category(c) == "Cc" and c not in "\t\r\n" for c in text):
        return "refused: binary"
    try:
        return old_collect(enumerate(csv.reader(io.StringIO(text, newline="")), start=1))
    except csv.Error:
        return "refused: csv error"


def measure(reader: str, path: Path, cpu: int) -> dict[str, object]:
    """Run one read in a child process under the CPU and memory limits."""

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))

    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, "-m", "bench.upload_bench", "--child", reader, str(path)],
        capture_output=True,
        text=True,
        preexec_fn=limits,
        timeout=cpu * 4 + 60,
        check=False,
    )
    if done.returncode == 0 and done.stdout.strip():
        return json.loads(done.stdout.strip().splitlines()[-1])
    elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "mib": None, "outcome": f"killed at the {cpu} s CPU limit"}


def files(folder: Path) -> list[tuple[str, Path]]:
    """The normal reports and the corpus, written to a folder."""
    from tests.supervision import upload_corpus as corpus

    built = [
        ("normal report, 20,000 rows (XLSX)", corpus.normal_xlsx),
        ("normal report, 20,000 rows (CSV)", corpus.normal_csv),
        *[(name, build) for name, build, _fragment in corpus.BOMBS],
    ]
    paths = []
    for index, (name, build) in enumerate(built):
        path = folder / f"{index:02d}"
        path.write_bytes(build())
        paths.append((name, path))
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu", type=int, default=60, help="CPU seconds allowed to one read")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as folder:
        print("| file | size | former reader | streaming reader |")
        print("| --- | ---: | --- | --- |")
        for name, path in files(Path(folder)):
            cells = [f"{path.stat().st_size / 1024:,.0f} KB"]
            for reader in ("old", "new"):
                result = measure(reader, path, args.cpu)
                mib = "?" if result["mib"] is None else f"{result['mib']:,.0f} MiB"
                cells.append(f"{result['seconds']:.2f} s, {mib}, {result['outcome']}")
            print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
