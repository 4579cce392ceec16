"""Benchmark 5: the digitisation pipeline's image processing and delivery package.

1. Throughput: ``virtual_access.processing.analyse`` — the work the ``process_capture`` task
   does to a master (decode check, SHA-256, metadata, web derivative, thumbnail, colours) —
   over N generated station images in one process, against a bare Pillow loop doing the same
   operations on the same files in the same run; images/s and CPU seconds per image.
2. Peak memory: ``analyse`` of a ~200 MB (uncompressed) tiled TIFF master in a child process,
   its own high-water mark (``VmHWM``, see ``own_peak_kb``); the bare Pillow loop on the same
   file, and a child that only starts (Django set up, the module imported), for contrast.
3. Package: ``virtual_access.packaging.build`` of a request of 500 processed images (real files:
   the images above and their derivatives, reused), against a bare ``zipfile`` of the same files
   with the same choice (every image STORED), both fsynced.

Images are made once under ``var/bench/digitisation/`` (kept for later runs). The request rows
are made under the institution ``BENCHD`` and deleted first, so the section may run again.
"""

from __future__ import annotations

import colorsys
import hashlib
import json
import os
import random
import resource
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyvips
from PIL import Image

CODE = "BENCHD"
ROOT = Path(__file__).resolve().parent.parent
#: (images, width, height) of the throughput set; every TIFF_EVERY-th image is a TIFF.
FULL, QUICK = (200, 4000, 3000), (40, 2000, 1500)
TIFF_EVERY = 10
#: The big master: 10000 × 7000 RGB, 210 MB of pixels, as in the bounded-memory test.
BIG_WIDTH, BIG_HEIGHT = 10_000, 7_000
WEB_EDGE, THUMBNAIL_EDGE, JPEG_QUALITY, PALETTE_SIZE = 2048, 256, 85, 8
CHUNK = 1024 * 1024
GRAIN_TILE = 512


# -- test images ----------------------------------------------------------------------------------


def _camera_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "EOS 5D Mark IV"
    camera = exif.get_ifd(0x8769)
    camera[0x9003] = "2026:05:01 10:00:00"
    camera[0x829D] = 8.0
    camera[0x8827] = 200
    data = exif.tobytes()
    return data if data.startswith(b"Exif") else b"Exif\x00\x00" + data


def _station_image(width: int, height: int, seed: int) -> pyvips.Image:
    """A specimen-like photograph: smooth structure (Perlin noise) in a few colours over a
    light background, with sensor grain, so that JPEG compresses it as it does a real one."""
    rng = random.Random(seed)
    cell = rng.choice([64, 128, 256])
    bands = []
    base = [rng.randint(90, 200) for _ in range(3)]
    for band in range(3):
        # Made at an eighth of the size and enlarged: the structure is smooth anyway.
        small = pyvips.Image.perlin(
            width // 8, height // 8, cell_size=cell // 8, seed=seed * 3 + band
        )
        structure = small.copy_memory().resize(8, kernel="linear")
        # Grain: a tile of noise repeated (noise over the full frame costs seconds per image).
        tile = pyvips.Image.gaussnoise(
            GRAIN_TILE, GRAIN_TILE, sigma=6, seed=seed * 7 + band
        ).copy_memory()
        grain = tile.replicate(-(-width // GRAIN_TILE), -(-height // GRAIN_TILE))
        grain = grain.crop(0, 0, width, height)
        bands.append(structure * rng.uniform(50, 90) + grain + base[band])
    image = bands[0].bandjoin(bands[1:]).cast("uchar")
    image = image.copy(interpretation="srgb", xres=600 / 25.4, yres=600 / 25.4)
    image.set_type(pyvips.GValue.blob_type, "exif-data", _camera_exif())
    return image


def make_images(directory: Path, count: int, width: int, height: int) -> list[Path]:
    """``count`` station images (JPEG, every tenth an LZW TIFF), made once and kept."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        tiff = n % TIFF_EVERY == TIFF_EVERY - 1
        path = directory / f"IMG_{n:04d}.{'tif' if tiff else 'jpg'}"
        if not path.exists():
            partial = path.with_name(f".{path.name}.partial{path.suffix}")
            image = _station_image(width, height, seed=n + 1)
            if tiff:
                image.tiffsave(str(partial), compression="lzw", predictor="horizontal")
            else:
                image.jpegsave(str(partial), Q=92)
            partial.replace(path)
        paths.append(path)
    return paths


def make_big_master(path: Path) -> Path:
    """A tiled, deflate-compressed TIFF of 10000 × 7000 RGB (210 MB of pixels)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        xy = pyvips.Image.xyz(BIG_WIDTH, BIG_HEIGHT)
        image = (xy[0] * 255 / BIG_WIDTH).bandjoin(
            [xy[1] * 255 / BIG_HEIGHT, (xy[0] + xy[1]) % 256]
        )
        partial = path.with_name(f".{path.name}.partial.tif")
        image.cast("uchar").tiffsave(
            str(partial), tile=True, tile_width=256, tile_height=256, compression="deflate"
        )
        partial.replace(path)
    return path


# -- the two loops --------------------------------------------------------------------------------


def pipeline_one(master: Path, out: Path) -> dict[str, Any]:
    """What the task does to one master (``processing.analyse``), derivatives into ``out``."""
    from virtual_access import processing

    return processing.analyse(master, out / f"{master.stem}-web.jpg", out / f"{master.stem}-t.jpg")


def bare_one(master: Path, out: Path) -> dict[str, Any]:
    """The same operations as a person would write them with Pillow alone."""
    with Image.open(master) as image:
        image.verify()  # the decode check Pillow offers without decoding
    digest = hashlib.sha256()
    with master.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    web_path, thumbnail_path = out / f"{master.stem}-web.jpg", out / f"{master.stem}-t.jpg"
    with Image.open(master) as image:
        found = {"format": image.format, "size": image.size, "mode": image.mode}
        found["dpi"] = image.info.get("dpi")
        exif = image.getexif()
        camera = exif.get_ifd(0x8769)
        found["exif"] = {
            "Make": exif.get(0x010F),
            "Model": exif.get(0x0110),
            "DateTimeOriginal": camera.get(0x9003),
            "FNumber": camera.get(0x829D),
            "ISOSpeedRatings": camera.get(0x8827),
        }
        image.thumbnail((WEB_EDGE, WEB_EDGE))
        web = image if image.mode in ("RGB", "L") else image.convert("RGB")
        web.save(web_path, "JPEG", quality=JPEG_QUALITY, optimize=True)
    with Image.open(web_path) as web:
        web.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE))
        web.save(thumbnail_path, "JPEG", quality=JPEG_QUALITY)
    with Image.open(thumbnail_path) as thumbnail:
        quantised = thumbnail.convert("RGB").quantize(PALETTE_SIZE, Image.Quantize.MEDIANCUT)
    palette = quantised.getpalette() or []
    counts = sorted(quantised.getcolors(PALETTE_SIZE) or [], reverse=True)
    found["colours"] = [
        colorsys.rgb_to_hls(*(c / 255 for c in palette[i * 3 : i * 3 + 3])) for _n, i in counts
    ]
    found["sha256"] = digest.hexdigest()
    return found


@dataclass(frozen=True)
class Throughput:
    name: str
    images: int
    seconds: float
    cpu_seconds: float

    @property
    def per_second(self) -> float:
        return self.images / self.seconds


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of this process
    return usage.ru_utime + usage.ru_stime


def _loop(name: str, work, paths: list[Path], out: Path) -> tuple[Throughput, list]:
    out.mkdir(parents=True, exist_ok=True)
    results = []
    wall, cpu = time.perf_counter(), _cpu()
    for path in paths:
        results.append(work(path, out))
    return Throughput(name, len(paths), time.perf_counter() - wall, _cpu() - cpu), results


def throughput(
    directory: Path, quick: bool
) -> tuple[Throughput, Throughput, list[Path], list[dict[str, Any]]]:
    """Both loops over the same files, one after the other, after one untimed warm-up image each
    (and every file read once, so both find them in the page cache)."""
    count, width, height = QUICK if quick else FULL
    print(f"[digitisation] {count} images {width}×{height} (made once)…", flush=True)
    paths = make_images(directory / f"images-{width}x{height}", count, width, height)
    for path in paths:
        path.read_bytes()
    out = directory / "out"
    (out / "warm").mkdir(parents=True, exist_ok=True)
    pipeline_one(paths[0], out / "warm")
    bare_one(paths[0], out / "warm")
    print(f"[digitisation] processing {count} images: pipeline, then bare Pillow…", flush=True)
    pipeline, found = _loop("pipeline (processing.analyse)", pipeline_one, paths, out / "pipeline")
    bare, _ = _loop("bare Pillow loop", bare_one, paths, out / "bare")
    return pipeline, bare, paths, found


# -- peak memory ----------------------------------------------------------------------------------

CHILD = """
import os, sys
from pathlib import Path
import django

django.setup()
sys.path.insert(0, os.getcwd())
from bench import digitisation
from virtual_access import processing  # noqa: F401 (the baseline imports what the others do)

master, out, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
out.mkdir(parents=True, exist_ok=True)
if mode == "pipeline":
    found = digitisation.pipeline_one(master, out)
    assert (found["width"], found["height"]) == (digitisation.BIG_WIDTH, digitisation.BIG_HEIGHT)
elif mode == "bare":
    found = digitisation.bare_one(master, out)
print(digitisation.own_peak_kb())
"""


@dataclass(frozen=True)
class Peak:
    name: str
    megabytes: float
    seconds: float


def own_peak_kb() -> int:
    """This process's peak resident memory (``VmHWM``), in kB, counted from its ``exec``.

    Not ``ru_maxrss`` from ``wait4``: Linux keeps in it the high-water mark of the address space
    the child had before ``exec``, a copy of the parent's (the benchmark's own few hundred MB).
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # not Linux: an upper bound


def _child_peak(name: str, master: Path, out: Path, mode: str) -> Peak:
    """Run one child; it reports its own peak resident memory as it ends."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(master), str(out), mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{name}: the child failed ({done.returncode}): {done.stderr[-2000:]}")
    peak_kb = int(done.stdout.strip().splitlines()[-1])
    return Peak(name, peak_kb / 1024, time.perf_counter() - started)


def peak_memory(directory: Path) -> tuple[Path, list[Peak]]:
    master = make_big_master(directory / "big" / "MASTER_10000x7000_tiled_deflate.tif")
    print(f"[digitisation] peak memory on {master.name} (three children)…", flush=True)
    out = directory / "out" / "big"
    return master, [
        _child_peak("pipeline (processing.analyse)", master, out / "pipeline", "pipeline"),
        _child_peak("bare Pillow loop", master, out / "bare", "bare"),
        _child_peak("baseline (start-up only)", master, out / "none", "none"),
    ]


# -- package --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PackageResult:
    images: int
    files: int
    package_seconds: float
    package_mb: float
    bare_seconds: float
    bare_mb: float

    @property
    def ratio(self) -> float:
        return self.package_seconds / self.bare_seconds


def _reset():
    from django.contrib.auth import get_user_model

    from collections_app.models import Collection, Institution, Specimen
    from virtual_access.models import DigitisationRequest

    DigitisationRequest.objects.filter(institution__code=CODE).delete()  # items, captures too
    Specimen.objects.filter(collection__institution__code=CODE).delete()
    Collection.objects.filter(institution__code=CODE).delete()
    Institution.objects.filter(code=CODE).delete()
    institution = Institution.objects.create(code=CODE, name="Digitisation benchmark", country="GB")
    collection = Collection.objects.create(institution=institution, code="ENT", name="Insects")
    users = get_user_model().objects
    curator, _ = users.get_or_create(email="bench-curator@example.org", defaults={"full_name": "B"})
    researcher, _ = users.get_or_create(
        email="bench-researcher@example.org", defaults={"full_name": "R"}
    )
    return institution, collection, curator, researcher


def _processed_request(directory: Path, images: int, paths: list[Path], found: list[dict]):
    """A request in progress with ``images`` catalogued items, one processed capture each,
    whose files are the benchmark's images and their pipeline derivatives (reused in turn)."""
    from django.utils import timezone

    from collections_app.models import Specimen
    from virtual_access.models import Capture, DigitisationItem, DigitisationRequest

    institution, collection, curator, researcher = _reset()
    request = DigitisationRequest.objects.create(
        requester=researcher,
        institution=institution,
        title="Benchmark package",
        purpose="Benchmark.",
        licence="CC-BY-4.0",
    )
    request.collections.add(collection)
    DigitisationRequest.objects.filter(pk=request.pk).update(
        status="in_progress", submitted_at=timezone.now()
    )
    request.refresh_from_db()
    specimens = Specimen.objects.bulk_create(
        Specimen(
            collection=collection,
            catalog_number=f"BENCHD{n:06d}",
            scientific_name="Carabus auratus",
            family="Carabidae",
            country="FR",
            locality="Fontainebleau",
            event_date="1903-06-12",
        )
        for n in range(images)
    )
    items = DigitisationItem.objects.bulk_create(
        DigitisationItem(request=request, specimen=s, status="processed") for s in specimens
    )
    now, files, captures = timezone.now(), [], []
    for n, item in enumerate(items):
        master, measured = paths[n % len(paths)], found[n % len(found)]
        web = directory / "out" / "pipeline" / f"{master.stem}-web.jpg"
        thumbnail = web.with_name(f"{master.stem}-t.jpg")
        names = [str(p.relative_to(directory)) for p in (master, web, thumbnail)]
        # In the zip as in the package: one folder per variant, one name per capture.
        for folder, name in zip(("masters", "web", "thumbnails"), names, strict=True):
            files.append((directory / name, f"{folder}/BENCHD{n:06d}{Path(name).suffix}"))
        captures.append(
            Capture(
                item=item,
                file=names[0],
                original_name=master.name,
                size=master.stat().st_size,
                uploaded_by=curator,
                status="processed",
                processed_at=now,
                web=names[1],
                thumbnail=names[2],
                **{k: v for k, v in measured.items()},
            )
        )
    Capture.objects.bulk_create(captures, batch_size=500)
    return request, files


def _bare_zip(path: Path, files: list[tuple[Path, str]]) -> None:
    """The same files into a zip, every one STORED as the package stores images, fsynced."""
    with path.open("wb") as handle:
        with zipfile.ZipFile(handle, "w", allowZip64=True) as zf:
            for source, name in files:
                zf.write(source, name, compress_type=zipfile.ZIP_STORED)
        handle.flush()
        os.fsync(handle.fileno())


def package(directory: Path, images: int, paths: list[Path], found: list[dict]) -> PackageResult:
    from django.test import override_settings

    from virtual_access import packaging

    print(f"[digitisation] package of {images} processed images, then a bare zip…", flush=True)
    with override_settings(MEDIA_ROOT=str(directory)):
        request, files = _processed_request(directory, images, paths, found)
        started = time.perf_counter()
        built = packaging.build(request)
        package_seconds = time.perf_counter() - started
        package_file = directory / built["package"]
        package_mb = package_file.stat().st_size / 1e6
        package_file.unlink()
        bare = directory / "packages" / "bare.zip"
        started = time.perf_counter()
        _bare_zip(bare, files)
        bare_seconds = time.perf_counter() - started
        bare_mb = bare.stat().st_size / 1e6
        bare.unlink()
    return PackageResult(images, len(files), package_seconds, package_mb, bare_seconds, bare_mb)


def describe(found: dict[str, Any]) -> str:
    """One measured image, for a line under the table (what both loops really found)."""
    shown = {k: found[k] for k in ("format", "width", "height", "dpi", "exif") if k in found}
    return json.dumps(shown, ensure_ascii=False, default=str)
