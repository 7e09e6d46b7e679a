"""Copy the npm packages the product uses into the Python package (run by the set-up, never committed)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = ROOT / "node_modules"
PACKAGE = ROOT / "src" / "minsheng"

COPIES = {
    "htmx.org/dist/htmx.min.js": "web/static/vendor/htmx.min.js",
    "echarts/dist/echarts.min.js": "web/static/vendor/echarts.min.js",
    "china-division/dist/provinces.json": "org/division/provinces.json",
    "china-division/dist/cities.json": "org/division/cities.json",
    "china-division/dist/areas.json": "org/division/areas.json",
    "china-division/dist/streets.json": "org/division/streets.json",
}


def main() -> int:
    missing = [source for source in COPIES if not (MODULES / source).exists()]
    if missing:
        print("missing npm files (run `npm ci` first): " + ", ".join(missing), file=sys.stderr)
        return 1
    for source, target in COPIES.items():
        destination = PACKAGE / target
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(MODULES / source, destination)
    print(f"copied {len(COPIES)} vendor files into src/minsheng")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
