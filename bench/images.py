"""Benchmark of /images/query/ on datasets of 1k, 10k and 100k images.

Starts a real `qfractal serve` (after `qfractal init`) in a temporary data folder on a free
127.0.0.1 port, imports one dataset per size through `POST .../dataset/import/` (one
request each), then times `images/query/` with and without filters, with `page_size=100`
and with every image on one page, and reads the server's resident memory.

    .venv/bin/python bench/images.py                       # SQLite in the temp folder
    .venv/bin/python bench/images.py --sizes 1000,10000
    .venv/bin/python bench/images.py --database-url postgresql://postgres@127.0.0.1:5432/empty_db

The PostgreSQL database must exist and be empty (or already initialized by qfractal).
Prints a table; asserts nothing.
"""

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.e2e.live_server import ADMIN, LiveServer, live_server, server_env

WELLS = [f"{row}{col:02d}" for row in "ABCDEFGHIJKLMNOP" for col in range(1, 25)]
FILTER = {"attribute_filters": {"well": ["B03", "C07", "H12"]}, "type_filters": {"is_3D": True}}


def make_images(size: int, zarr_dir: str) -> list[dict]:
    """`size` images with ~150-character zarr_urls, 2 attributes and 1 type."""
    images = []
    for n in range(size):
        well = WELLS[n % len(WELLS)]
        field = n // len(WELLS)
        images.append(
            {
                "zarr_url": f"{zarr_dir}/plate.zarr/{well[0]}/{well[1:]}/{field}_illumination_"
                f"corrected_maximum_intensity_projection_registered",
                "attributes": {"well": well, "field": field},
                "types": {"is_3D": n % 2 == 0},
            }
        )
    return images


def rss_mb(pid: int) -> float:
    try:
        import psutil  # type: ignore[import-not-found]

        return psutil.Process(pid).memory_info().rss / 2**20
    except ImportError:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Timing:
    median_ms: float
    p95_ms: float
    kbytes: float
    count: int


def measure(call: Callable[[], httpx.Response], repeat: int) -> Timing:
    samples = []
    response = call()  # warm-up, not counted
    for _ in range(repeat):
        start = time.perf_counter()
        response = call()
        samples.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return Timing(
        statistics.median(samples), p95, len(response.content) / 1024, len(response.json()["items"])
    )


def login(server: LiveServer) -> httpx.Client:
    client = httpx.Client(base_url=server.base_url, timeout=600)
    token = client.post(
        "/auth/token/login/", data={"username": ADMIN[0], "password": ADMIN[1]}
    ).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def run(server: LiveServer, sizes: list[int], repeat: int) -> list[list[str]]:
    client = login(server)
    project = client.post("/api/v2/project/", json={"name": f"bench-{time.time_ns()}"}).json()
    rows = []
    for size in sizes:
        zarr_dir = f"/data/benchmarks/images/size_{size}/very/long/path/to/the/zarr/directory"
        payload = {"name": f"ds{size}", "zarr_dir": zarr_dir, "images": make_images(size, zarr_dir)}
        start = time.perf_counter()
        imported = client.post(f"/api/v2/project/{project['id']}/dataset/import/", json=payload)
        imported.raise_for_status()
        import_s = time.perf_counter() - start
        url = f"/api/v2/project/{project['id']}/dataset/{imported.json()['id']}/images/query/"
        for label, body in (("none", None), ("well+type", FILTER)):
            for page_size in (100, None):
                params = {"page_size": page_size} if page_size else {}
                n = repeat if page_size or size <= 10_000 else max(5, repeat // 4)
                timing = measure(partial(client.post, url, json=body, params=params), n)
                rows.append(
                    [
                        f"{size:,}",
                        f"{import_s:.1f}",
                        label,
                        str(page_size or "all"),
                        str(timing.count),
                        f"{timing.median_ms:.1f}",
                        f"{timing.p95_ms:.1f}",
                        f"{timing.kbytes:,.0f}",
                        f"{rss_mb(server.process.pid):.0f}",
                    ]
                )
                print(" | ".join(rows[-1]), file=sys.stderr, flush=True)
    return rows


def print_table(rows: list[list[str]], database: str) -> None:
    header = [
        "images",
        "import s",
        "filter",
        "page_size",
        "items",
        "median ms",
        "p95 ms",
        "kB",
        "RSS MB",
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(f"\nimages/query/ on {database}")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated sizes")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per figure")
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite in a temp dir)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="qfractal-bench-") as folder:
        url = args.database_url or f"sqlite:///{folder}/qfractal.db"
        env = server_env(Path(folder), url, QFRACTAL_LOG_LEVEL="WARNING")
        with live_server(env) as server:
            rows = run(server, sizes, args.repeat)
    print_table(rows, "PostgreSQL" if args.database_url else "SQLite")


if __name__ == "__main__":
    main()
