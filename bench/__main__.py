"""``python -m bench [--quick]``: run the benchmarks and print their ratios as JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench import extract, transform


def main() -> None:
    quick = "--quick" in sys.argv
    results = {"extract": extract.run(quick=quick), "transform": transform.run(quick=quick)}
    text = json.dumps(results, indent=2)
    print(text)
    out = Path("bench/results")
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(text + "\n")


if __name__ == "__main__":
    main()
