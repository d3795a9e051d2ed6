"""Which differences of a cross-validated grid hold: every pair of cells, paired over the same
folds, at 95 % and at the Bonferroni level for the number of pairs in the grid.

``tinymir experiment`` marks a pair whose 95 % corrected resampled t interval (Nadeau & Bengio)
excludes zero. With many pairs in one grid some intervals exclude zero by chance alone (one in
twenty pairs where nothing differs), so this script also gives each interval at confidence
1 − 0.05 / pairs (Bonferroni): a difference that still excludes zero there holds for the grid as
a whole. It reads the ``results.json`` files that ``tinymir experiment`` writes (or their copies
in ``bench/results/grid_*_cv.json``) and prints one table per grid, e.g.

    python bench/grid_differences.py bench/results/grid_cnn3_recipe_cv.json

The per-fold scores come from the file (``<metric>_runs``, fold j at index j in every cell).
"""
from __future__ import annotations

import argparse
import json
from itertools import combinations

import numpy as np

from tinymir.compare import paired_difference


def grid_pairs(results: dict, metric: str) -> list[dict]:
    """Every pair of cells: the mean paired difference in ``metric`` and its intervals at 95 %
    and at the Bonferroni level for all the grid's pairs."""
    cells = [(row["cell"], np.asarray(row[f"{metric}_runs"], dtype=np.float64))
             for row in results["cells"]]
    pairs = list(combinations(cells, 2))
    strict = 1 - 0.05 / max(1, len(pairs))
    fraction = results["cv"]["test_fraction"]
    found = []
    for (a, a_runs), (b, b_runs) in pairs:
        plain = paired_difference(a_runs, b_runs, fraction)
        corrected = paired_difference(a_runs, b_runs, fraction, confidence=strict)
        found.append({"a": a, "b": b, "mean": plain.mean, "low": plain.low, "high": plain.high,
                      "holds_95": plain.low > 0 or plain.high < 0,
                      "strict_confidence": strict, "strict_low": corrected.low,
                      "strict_high": corrected.high,
                      "holds_for_grid": corrected.low > 0 or corrected.high < 0})
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results", nargs="+", help="results.json of cross-validated grids")
    parser.add_argument("--metric", default=None,
                        help="score to compare (default: the grid's first metric)")
    parser.add_argument("--all", action="store_true", help="print every pair, not only those "
                        "whose 95 %% interval excludes zero")
    args = parser.parse_args()
    for path in args.results:
        results = json.loads(open(path).read())
        if not results.get("cv"):
            raise SystemExit(f"{path}: not a cross-validated grid (no cv)")
        metric = args.metric or results["metrics"][0]
        pairs = grid_pairs(results, metric)
        folds = len(results["cells"][0][f"{metric}_runs"])
        print(f"## {results['name']}\n{path}: {len(results['cells'])} cells, {folds} folds, "
              f"{len(pairs)} pairs; {metric}; strict level "
              f"{100 * pairs[0]['strict_confidence']:.2f} % (Bonferroni)")
        for row in results["cells"]:
            print(f"  {row['cell']:40s} {row[f'{metric}_mean']:.3f} ± {row[f'{metric}_std']:.3f}")
        for pair in pairs:
            if args.all or pair["holds_95"]:
                verdict = ("holds for the grid" if pair["holds_for_grid"]
                           else "95 % only" if pair["holds_95"] else "no")
                print(f"  {pair['a']} - {pair['b']}: {pair['mean']:+.3f} "
                      f"[{pair['low']:+.3f}, {pair['high']:+.3f}] strict "
                      f"[{pair['strict_low']:+.3f}, {pair['strict_high']:+.3f}]: {verdict}")
        print()


if __name__ == "__main__":
    main()
