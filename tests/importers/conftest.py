"""Fixtures of the importers' tests: the fake arXiv and Daily Papers APIs (fakeapis.py),
pointed at through SITEGEN_ARXIV_API and SITEGEN_HF_API, and the fake clock."""

from __future__ import annotations

import pytest

from fakeapis import FakeArxiv, FakeClock, FakeDailyPapers
from sitegen.importers import fetch


@pytest.fixture
def fake_clock(monkeypatch) -> FakeClock:
    """The importers' waits and time of day, on a fake clock (2024-03-15 12:00 UTC);
    arXiv's own 3 s interval, not a test's."""
    clock = FakeClock()
    monkeypatch.setattr(fetch, "PACER", fetch.Pacer(now=clock.now, sleep=clock.sleep, wall=clock.wall))
    monkeypatch.delenv("SITEGEN_ARXIV_DELAY", raising=False)
    return clock


@pytest.fixture
def arxiv_api(monkeypatch, fake_clock) -> FakeArxiv:
    api = FakeArxiv().start()
    monkeypatch.setenv("SITEGEN_ARXIV_API", api.url)
    yield api
    api.stop()


@pytest.fixture
def hf_api(monkeypatch, fake_clock) -> FakeDailyPapers:
    api = FakeDailyPapers().start()
    monkeypatch.setenv("SITEGEN_HF_API", api.url)
    yield api
    api.stop()
