"""Listing cost: a ListObjectsV2 page at the start and at the end of a 100,000-key bucket.

A page is a few index range scans, so both should cost the same. Prints the median time of
a 1000-key page at several positions, with and without a delimiter.

    python bench/listing.py [--keys 100000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from core import start_gateway


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mrap-listing-") as work:
        server = start_gateway(Path(work) / "data", workers=2)
        try:
            client = server.client()
            client.create_bucket(Bucket="listing")
            keys = [f"dir{i % 100:02d}/key-{i:07d}" for i in range(args.keys)]
            started = time.perf_counter()
            with ThreadPoolExecutor(32) as pool:
                for _ in pool.map(
                    lambda k: client.put_object(Bucket="listing", Key=k, Body=b"x"), keys
                ):
                    pass
            print(f"filled {args.keys} keys in {time.perf_counter() - started:.1f}s")
            ordered = sorted(keys)
            positions = {"start": "", "middle": ordered[len(ordered) // 2]}
            positions["end"] = ordered[-1001]
            print(f"{'page of 1000 keys':32} {'median ms':>10}")
            for label, after in positions.items():
                for delimiter in ("", "/"):
                    times = []
                    for _ in range(args.samples):
                        t0 = time.perf_counter()
                        client.list_objects_v2(
                            Bucket="listing", StartAfter=after, Delimiter=delimiter
                        )
                        times.append((time.perf_counter() - t0) * 1000)
                    name = f"{label}{' delimiter=/' if delimiter else ''}"
                    print(f"{name:32} {statistics.median(times):10.2f}")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
