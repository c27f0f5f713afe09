"""``st run`` with each spec and the project's ``schemathesis.toml`` passes each bundled server.

The same command the README shows, as a subprocess from the repository root (where schemathesis
finds ``schemathesis.toml``), kept short with a few examples per operation and a fixed seed.
A fault the toml cannot excuse makes the same command fail, so the pass is not a dead check.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from conformance import registry

ROOT = Path(__file__).resolve().parents[1]
ST = Path(sys.executable).with_name("st")
CONFIG = ROOT / "schemathesis.toml"


def st_run(spec: Path, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [str(ST), "run", str(spec), "--url", url, "-n", "3", "-w", "1", "--seed", "7"]
    return subprocess.run(
        [*command, "--no-color", *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_every_spec_has_a_project_in_the_toml() -> None:
    titles = {project["title"] for project in tomllib.loads(CONFIG.read_text())["project"]}
    for profile in registry.profiles().values():
        spec = yaml.safe_load(profile.spec_file.read_text(encoding="utf-8"))
        assert spec["info"]["title"] in titles, profile.name


@pytest.mark.parametrize("api", registry.bundled())
def test_st_run_passes_the_bundled_server(api: str, serve: Callable[..., str]) -> None:
    result = st_run(registry.profile(api).spec_file, serve(api))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "generated" in result.stdout


def test_st_run_fails_a_server_that_breaks_its_spec(serve: Callable[..., str]) -> None:
    """Redis's list answered as text/plain: content_type_conformance must fail the run."""
    api = "redis-enterprise"
    url = serve(api, "list-content-type")
    spec = registry.profile(api).spec_file
    result = st_run(spec, url, "--phases", "coverage", "--include-path", "/v1/actions")
    assert result.returncode == 1, result.stdout[-4000:]
    assert "Undocumented Content-Type" in result.stdout
