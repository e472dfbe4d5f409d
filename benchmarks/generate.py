"""A deterministic, realistic synthetic listing of N papers.

Shaped like a daily-papers site: 20–60 papers per listing day, 1–16 authors per
paper (heavy-tailed), prolific authors reused Zipf-like so some have hundreds of
papers, abstracts of 120–300 words with some LaTeX, 0–4 topics out of 300.

    python -m benchmarks.generate 10000 /tmp/listing
"""

from __future__ import annotations

from bisect import bisect_left
from itertools import accumulate
import random
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import yaml

FIRST = ("Ada Alan Albert Ana Arjun Beidi Bo Carla Chen Chris Dana David Elena Emma Eric Fatima Felix Grace "
         "Hana Igor Isys Ivan Jia Jin Jonas Julia Karan Kenji Lea Lena Li Luca Maria Mateo Mei Michael Mina "
         "Nadia Nils Noah Olga Omar Pia Priya Quinn Rafael Ravi Sara Sofia Stefano Tariq Tri Uma Victor Wei "
         "Xin Yara Yusuf Zoe Jürgen Zoë José Åsa Łukasz Ngọc").split()
LAST = ("Dao Chen Poli Ré Gu Rudra Gilpin Müller Smith Garcia Kim Park Nguyen Silva Rossi Novak Ito Sato "
        "Kumar Singh Wang Li Zhang Liu Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Luo Gao Schmidt "
        "Schneider Fischer Weber Meyer Wagner Becker Hoffmann Dubois Martin Bernard Petit Leroy Moreau "
        "Rodriguez Lopez Hernandez Gonzalez Perez Sanchez Ramirez Torres Flores Rivera Gomez Diaz Okafor "
        "Mensah Haddad Nakamura Tanaka Kowalski Nowak Andersson Johansson Larsen Jensen Hansen").split()
WORDS = ("model models learning neural network networks training data efficient structured sparse dense "
         "attention transformer sequence state space graph kernel optimal control dynamics diffusion "
         "generative representation inference bayesian causal robust adversarial benchmark dataset scale "
         "scaling language vision multimodal reinforcement policy reward agent memory retrieval compression "
         "quantization pruning distillation convex stochastic gradient descent convergence theory bound "
         "analysis empirical results method approach propose show demonstrate improve performance accuracy "
         "latency hardware parallel distributed federated privacy fairness interpretable explanation "
         "physics molecular protein climate forecasting time series operator equation solver").split()
MATH = (r"$O(n \log n)$", r"$\alpha$", r"$\mathbb{R}^d$", r"$\epsilon$-optimal", r"$L^2$", r"$\sqrt{T}$",
        r"$$\min_\theta \mathbb{E}[\ell(f_\theta(x), y)]$$", r"$k \ll n$")
TOPICS = tuple(f"{a} {b}" for a in ("efficient", "robust", "neural", "causal", "generative", "sparse",
                                    "bayesian", "multimodal", "federated", "quantum", "graph", "sequence",
                                    "scientific", "reinforcement", "statistical")
               for b in ("learning", "models", "inference", "optimization", "vision", "language", "control",
                         "representations", "systems", "theory", "benchmarks", "hardware", "search",
                         "generation", "reasoning", "retrieval", "compression", "robotics", "privacy",
                         "forecasting"))[:300]
END_DAY = date(2024, 3, 14)


@dataclass(frozen=True)
class Listing:
    days: dict  # date → list of paper dicts
    authors: list[str]


class _Zipf:
    """Ranks 0..size-1 drawn with probability proportional to 1 / (rank + 1) ** skew."""

    def __init__(self, size: int, skew: float):
        self.cumulative = list(accumulate(1 / (k + 1) ** skew for k in range(size)))

    def draw(self, rng: random.Random) -> int:
        return bisect_left(self.cumulative, rng.random() * self.cumulative[-1])


def _author_count(rng: random.Random) -> int:
    return min(16, max(1, int(rng.lognormvariate(1.2, 0.6))))


def _text(rng: random.Random, low: int, high: int, math: bool) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    if math:
        for _ in range(rng.randint(1, 3)):
            words.insert(rng.randrange(len(words)), rng.choice(MATH))
    sentences, start = [], 0
    while start < len(words):
        end = start + rng.randint(12, 28)
        sentences.append(" ".join(words[start:end]).capitalize() + ".")
        start = end
    return " ".join(sentences)


def make_listing(n: int, seed: int = 7) -> Listing:
    rng = random.Random(seed)
    pool = [f"{f} {l}" for f in FIRST for l in LAST]
    rng.shuffle(pool)
    prolific = pool[:max(100, n // 25)]  # at 10,000 papers the most prolific author has about 800
    author_rank, topic_rank = _Zipf(len(prolific), 0.7), _Zipf(len(TOPICS), 1.0)
    days: dict = {}
    day, made, serial = END_DAY, 0, 0
    while made < n:
        count = min(rng.randint(20, 60), n - made)
        papers = []
        for _ in range(count):
            serial += 1
            names: list[str] = []
            for _ in range(_author_count(rng)):
                name = prolific[author_rank.draw(rng)] if rng.random() < 0.35 else rng.choice(pool)
                if name not in names:
                    names.append(name)
            paper = {
                "id": f"{day:%y%m}.{serial:05d}",
                "title": _text(rng, 6, 14, math=rng.random() < 0.05).rstrip("."),
                "authors": names,
                "abstract": _text(rng, 120, 300, math=rng.random() < 0.2),
                "published": (day - timedelta(days=rng.randint(0, 3))).isoformat(),
                "day": day.isoformat(),
                "tags": sorted({TOPICS[topic_rank.draw(rng)] for _ in range(rng.randint(0, 4))}),
                "upvotes": int(rng.paretovariate(1.3)) - 1,
                "links": {"arxiv": f"https://arxiv.org/abs/{day:%y%m}.{serial:05d}",
                          "pdf": f"https://arxiv.org/pdf/{day:%y%m}.{serial:05d}"},
            }
            papers.append(paper)
        days[day] = papers
        made += count
        day -= timedelta(days=1)
    return Listing(days, prolific)


def write_sitegen(listing: Listing, root: Path) -> Path:
    content = root / "content" / "days"
    content.mkdir(parents=True, exist_ok=True)
    for day, papers in listing.days.items():
        (content / f"{day}.yaml").write_text(yaml.safe_dump(papers, sort_keys=False, allow_unicode=True, width=100))
    profiles = [{"name": name, "affiliation": "Example University", "bio": "A prolific author."}
                for name in listing.authors[:5]]
    (root / "content" / "authors.yaml").write_text(yaml.safe_dump(profiles, allow_unicode=True))
    (root / "sitegen.yaml").write_text("title: Benchmark listing\nbase_url: https://example.org/\n")
    return root


def main() -> None:
    n, root = int(sys.argv[1]), Path(sys.argv[2])
    write_sitegen(make_listing(n), root)
    print(f"wrote {n} papers to {root}")


if __name__ == "__main__":
    main()
