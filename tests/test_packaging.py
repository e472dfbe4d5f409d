"""A non-editable install carries the default theme: `sitegen build` works in any folder."""

import subprocess
import sys
import venv

from sitekit import PAPER, REPO, write_files


def test_wheel_install_builds_a_site_elsewhere(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-q", "-w", str(wheels)],
                   check=True, capture_output=True)
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q",
                    str(next(wheels.glob("*.whl")))], check=True, capture_output=True)
    site = write_files(tmp_path / "site", {"content/a.yaml": PAPER})
    result = subprocess.run([str(env_dir / "bin" / "sitegen"), "build"], cwd=site, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    where = subprocess.run([str(python), "-c", "import sitegen; print(sitegen.__file__)"], cwd=tmp_path,
                           capture_output=True, text=True).stdout
    assert str(env_dir) in where  # the installed copy, not the checkout
    assert (site / "output/style.css").is_file() and (site / "output/papers/2203.00555/index.html").is_file()
