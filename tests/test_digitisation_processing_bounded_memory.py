"""A museum master of about 200 MB (uncompressed) is processed in bounded memory: libvips
streams it tile by tile, so the process's peak stays far below the image's size."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pyvips

ROOT = Path(__file__).resolve().parent.parent
#: 10000 × 7000 RGB: 210 MB of pixels.
WIDTH, HEIGHT = 10_000, 7_000
PEAK_LIMIT_MB = 300

CHILD = textwrap.dedent(
    """
    import json, os, sys
    from pathlib import Path
    import django

    os.environ["DJANGO_SETTINGS_MODULE"] = "elvis.settings_test"
    django.setup()
    from virtual_access.processing import analyse

    master, out = Path(sys.argv[1]), Path(sys.argv[2])
    found = analyse(master, out / "web.jpg", out / "thumb.jpg")
    # VmHWM is this program's own peak: ru_maxrss would also count the parent's memory
    # from before the exec (the kernel keeps it across exec), i.e. the test runner's.
    status = Path("/proc/self/status").read_text()
    peak_kb = int(next(l.split()[1] for l in status.splitlines() if l.startswith("VmHWM:")))
    print(json.dumps({"width": found["width"], "height": found["height"], "peak_kb": peak_kb}))
    """
)


def make_master(path: Path) -> None:
    """A tiled, compressed TIFF with a pattern (written by libvips, itself in a stream)."""
    xy = pyvips.Image.xyz(WIDTH, HEIGHT)
    image = (xy[0] * 255 / WIDTH).bandjoin([xy[1] * 255 / HEIGHT, (xy[0] + xy[1]) % 256])
    image.cast("uchar").tiffsave(
        str(path), tile=True, tile_width=256, tile_height=256, compression="deflate"
    )


def test_a_200_mb_tiff_is_processed_under_300_mb_of_memory(tmp_path):
    master = tmp_path / "NHMUK010101234.tif"
    make_master(master)

    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(master), str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert (found["width"], found["height"]) == (WIDTH, HEIGHT)
    assert WIDTH * HEIGHT * 3 > 200 * 1024 * 1024
    assert found["peak_kb"] / 1024 < PEAK_LIMIT_MB
    assert (tmp_path / "web.jpg").stat().st_size > 0
