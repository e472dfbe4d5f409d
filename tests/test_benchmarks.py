"""The benchmark the README's speed table comes from runs as written."""

from benchmarks.generate import make_listing
from benchmarks.run import measure_sitegen


def test_the_benchmark_measures_each_kind_of_build(tmp_path):
    results = measure_sitegen(make_listing(60), runs=1, jobs=1, work=tmp_path, warm_edits=2)
    full, unchanged = results["full"], results["no-change"]
    assert full["written"] == full["files"] > full["rendered"] > 60 and full["peak_mb"] > 0  # the index is not rendered
    assert unchanged["rendered"] == unchanged["written"] == 0
    for name in ("edit abstract", "edit author name", "serve: edit abstract"):
        assert 0 < results[name]["rendered"] < full["files"] / 2, name
    assert results["edit template"]["rendered"] == 60  # every paper page, nothing else
