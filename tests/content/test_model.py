from datetime import date

from sitegen.content.model import Credit, Paper, Profile, assign_slugs, build_site, make_slug


def paper(pid, authors, day="2024-03-13", published="2022-01-01", tags=(), upvotes=0, title=None):
    return Paper(id=pid, title=title or f"Paper {pid}", authors=tuple(Credit(a) for a in authors), abstract="x",
                 published=date.fromisoformat(published), day=date.fromisoformat(day), tags=tuple(tags),
                 upvotes=upvotes, source=f"content/{pid}.yaml", line=1)


def test_slugs_are_ascii_words():
    assert make_slug("Jürgen Schmidhuber", "author") == "jurgen-schmidhuber"
    assert make_slug("Christopher Ré", "author") == "christopher-re"
    assert make_slug("🙂", "author") == "author"
    assert len(make_slug("word " * 100, "author")) <= 80


def test_names_that_slug_alike_get_distinct_stable_slugs():
    first_seen = {"José García": 1, "Jose Garcia": 2, "JOSE GARCIA": 3, "Jose Garcia 2": 4}
    slugs = assign_slugs(first_seen, "author", first_seen)
    assert slugs["José García"] == "jose-garcia"
    assert slugs["Jose Garcia 2"] == "jose-garcia-2"  # its own natural slug is never taken
    assert {slugs["Jose Garcia"], slugs["JOSE GARCIA"]} == {"jose-garcia-3", "jose-garcia-4"}
    assert len(set(slugs.values())) == 4


def test_site_indexes_authors_days_tags_and_coauthors():
    site = build_site([
        paper("a", ["Tri Dao", "Michael Poli", "Christopher Ré"], tags=["ML"], upvotes=5),
        paper("b", ["Albert Gu", "Christopher Ré"], tags=["ml", "SSM"], upvotes=9),
        paper("c", ["M. Poli", "Stefano Massaroli"], day="2024-03-14", published="2020-02-01"),
    ], [Profile("Michael Poli", aliases=("M. Poli",), affiliation="Stanford")])
    assert site.newest == ("c", "b", "a")
    assert [d.date.isoformat() for d in site.days] == ["2024-03-14", "2024-03-13"]
    assert site.days[1].papers == ("b", "a")  # by upvotes
    poli = site.authors["michael-poli"]
    assert poli.papers == ("a", "c") and poli.affiliation == "Stanford" and poli.has_profile
    assert site.paper_authors["c"] == ("michael-poli", "stefano-massaroli")
    re_ = site.authors["christopher-re"]
    assert dict(re_.coauthors) == {"tri-dao": 1, "michael-poli": 1, "albert-gu": 1}
    assert tuple(re_.topics) == (("ml", 2), ("ssm", 1))  # 'ML' and 'ml' count as one topic
    assert list(site.tags) == ["ml", "ssm"] or set(site.tags) == {"ml", "ssm"}
    assert site.tags["ml"].papers == ("b", "a")  # 'ML' and 'ml' are one topic
    assert site.author_order[0] == "albert-gu"


def test_same_name_on_one_paper_twice_counts_once():
    site = build_site([paper("a", ["X Y", "X Y"])])
    assert site.paper_authors["a"] == ("x-y",)


def test_cite_keys_are_stable_and_unique():
    site = build_site([paper("a", ["Michael Poli"], title="Monarch matrices", published="2022-03-01"),
                       paper("b", ["Michael Poli"], title="The Monarch", published="2022-05-01")])
    assert site.cite_keys == {"a": "poli2022monarch", "b": "poli2022monarchb"}


def test_huge_author_lists_do_not_blow_up_coauthors():
    names = [f"Author {i}" for i in range(2000)]
    site = build_site([paper("big", names)])
    assert len(site.authors) == 2000
    assert len(site.authors["author-1"].coauthors) == 0


from hypothesis import given, strategies as st
from slugify import slugify


@given(st.text(alphabet="abcXYZ019 .,'_-", max_size=100))
def test_slug_shortcut_equals_python_slugify(name):
    assert make_slug(name, "x") == (slugify(name, max_length=80, word_boundary=True) or "x")


def test_a_pager_links_the_first_the_last_and_the_pages_near_this_one():
    from sitegen.pages.views import Pagination

    def shown(number, total):
        pages = Pagination(number, total, "tags/x/", lambda path: "/" + path).pages
        return [page[0] if page else "…" for page in pages]

    assert shown(1, 1) == [1]
    assert shown(3, 7) == [1, 2, 3, 4, 5, 6, 7]  # a gap of one page is the page
    assert shown(1, 9) == [1, 2, 3, "…", 9]
    assert shown(10, 20) == [1, "…", 8, 9, 10, 11, 12, "…", 20]
    assert shown(546, 546) == [1, "…", 544, 545, 546]
    links = Pagination(2, 20, "tags/x/", lambda path: "/" + path).pages
    assert links[0] == (1, "/tags/x/") and links[1] == (2, "/tags/x/page/2/")


@given(total=st.integers(1, 400), data=st.data())
def test_every_page_is_reachable_and_a_pager_stays_short(total, data):
    from sitegen.pages.views import Pagination

    number = data.draw(st.integers(1, total))
    pages = Pagination(number, total, "t/", lambda path: path).pages
    numbers = [page[0] for page in pages if page]
    assert numbers == sorted(set(numbers)) and numbers[0] == 1 and numbers[-1] == total and number in numbers
    assert set(range(max(1, number - 2), min(total, number + 2) + 1)) <= set(numbers)
    assert len(pages) <= 9
    for before, page, after in zip(pages, pages[1:], pages[2:]):
        if page is None:  # an ellipsis stands for two pages or more
            assert after[0] - before[0] > 2
    for before, after in zip(pages, pages[1:]):
        if before and after:
            assert after[0] == before[0] + 1
