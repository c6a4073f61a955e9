"""Print the claims whose verdict or numbers differ between two runs.

    python scripts/compare_claims.py A B [--rtol 1e-6]

A and B are each a results root (its claims.parquet), a claims.parquet, or docs/claims.md (the
default run's claims as documented). Exit status 0 when they agree, 1 when some claim differs.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from easy2hard.pipeline.claims_report import differences, read_claims  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first")
    parser.add_argument("second")
    parser.add_argument("--rtol", type=float, default=1e-6,
                        help="relative tolerance on estimates and intervals")
    args = parser.parse_args()
    for path in (args.first, args.second):
        target = Path(path) / "claims.parquet" if Path(path).is_dir() else Path(path)
        if not target.exists():
            parser.error(f"{target}: no such claims table (run the pipeline with claims on)")
    lines = differences(read_claims(args.first), read_claims(args.second), args.rtol)
    print("\n".join(lines) if lines else "the claims agree")
    return 1 if lines else 0


if __name__ == "__main__":
    raise SystemExit(main())
