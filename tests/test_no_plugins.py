"""ap's start: nothing outside ap sees a pupil's case as it is validated."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_no_pydantic_plugin_installed_beside_ap_is_handed_a_case(demo: Path, tmp_path: Path) -> None:
    """A pydantic plugin (found by its package's entry point) would be given every case validated."""
    site = tmp_path / "site"
    (site / "spy-1.0.dist-info").mkdir(parents=True)
    (site / "spy-1.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: spy\nVersion: 1.0\n")
    (site / "spy-1.0.dist-info" / "entry_points.txt").write_text("[pydantic]\nspy = spy:plugin\n")
    seen = tmp_path / "seen"
    (site / "spy.py").write_text(
        "import pathlib\n"
        "class Plugin:\n"
        "    def new_schema_validator(self, *args, **kwargs):\n"
        f"        pathlib.Path({str(seen)!r}).write_text('handed a model')\n"
        "        return None, None, None\n"
        "plugin = Plugin()\n"
    )
    script = "import pydantic.plugin._loader as l; print(len(list(l.get_plugins())))"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path])}
    env.pop("PYDANTIC_DISABLE_PLUGINS", None)
    found = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "1"  # the spy is a plugin pydantic would use
    command = [sys.executable, "-m", "apcli", "--records", str(demo), "--today", "2026-11-27", "check"]
    done = subprocess.run(command, env={**env, "AP_CACHE_DIR": str(tmp_path / "cache")}, capture_output=True, text=True)
    assert done.returncode in (0, 1) and "Checked" in done.stdout + done.stderr, done.stderr
    assert not seen.exists()
