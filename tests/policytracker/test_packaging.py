"""The package as `pip install .` builds it (the Dockerfile's way) carries every app with its
templates, static files, translations, migrations and reference data, and nothing of the source
tree's own (benchmarks, tests)."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
# What the apps need at run time besides their modules.
DATA_FOLDERS = ("templates", "static", "locale", "data")


@pytest.fixture(scope="module")
def wheel_files(tmp_path_factory) -> set[str]:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", out, ROOT],
        check=True,
        capture_output=True,
        cwd=out,  # not the source tree, where `build/` would be left behind
    )
    (wheel,) = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def project_apps() -> list[str]:
    """The project's own apps (not Django's or a library's), as installed in settings."""
    return [
        config.name
        for config in apps.get_app_configs()
        if Path(config.path).resolve().is_relative_to(ROOT) and config.name != "bench"
    ]


def test_every_app_and_its_files_are_in_the_package(wheel_files):
    expected = set()
    for name in [*project_apps(), "policytracker", "caching"]:
        package = ROOT / name
        for path in package.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                expected.add(path.relative_to(ROOT).as_posix())
    missing = sorted(expected - wheel_files)
    assert not missing, f"not in the package: {missing[:20]}"
    for folder in DATA_FOLDERS:  # each kind of data file is there at all
        assert any(f"/{folder}/" in name for name in wheel_files), folder


def test_the_source_trees_own_folders_stay_out(wheel_files):
    tops = {name.split("/")[0] for name in wheel_files}
    assert not {"bench", "tests", "docs"} & tops
