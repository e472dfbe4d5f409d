"""Property tests: arbitrary strings in every field never become script, event handlers,
javascript:/data: links or broken markup; the loaders never crash on arbitrary bytes."""

import os
import re
from urllib.parse import quote

import yaml
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from invariants import check_site
from sitegen.sources import parse_yaml, read_source, split_front_matter
from sitekit import build_dir, write_files

PAYLOADS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)",
            "data:text/html;base64,PHNjcmlwdD4=", '"><svg onload=alert(1)>', "</title><script>x</script>",
            "{{ 7*7 }}", "{% raw %}", "$\\text{<script>}$", "[x](javascript:alert(1))", "<a href=//evil>",
            "\u202e", "\x00", "&#106;avascript:", "<iframe src=//evil>", "<style>*{}</style>", "]]>", "'\"`"]
text = st.one_of(st.sampled_from(PAYLOADS), st.text(min_size=1, max_size=60),
                 st.lists(st.sampled_from(PAYLOADS), min_size=1, max_size=3).map("".join)
                 ).map(lambda s: s + " x")  # never blank, so the entry is valid and gets built
BUILT = []
# CI runs a bounded number of examples; SITEGEN_FUZZ_EXAMPLES=20000 runs the loaders longer (README).
FUZZ = int(os.environ.get("SITEGEN_FUZZ_EXAMPLES", "200"))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=text, name=text, abstract=text, tag=text, venue=text, link=text)
# Markup after an <iframe> is its raw text to an HTML parser: the sanitiser keeps it as
# escaped text, which shows `href="javascript:` but is no link (found by this property).
@example(title="<script>alert(1)</script> x", name="x", tag="x", venue="x", link="x",
         abstract="<img src=x onerror=alert(1)><iframe src=//evil>[x](javascript:alert(1)) x")
def test_hostile_strings_in_every_field(tmp_path_factory, title, name, abstract, tag, venue, link):
    site = tmp_path_factory.mktemp("hostile")
    entry = {"id": "evil", "title": title, "authors": [name, {"name": name + "2", "affiliation": venue}],
             "abstract": abstract, "published": "2024-01-01", "tags": [tag], "venue": venue,
             "links": {"code": "https://example.org/" + quote(link[:20])}}
    write_files(site, {"content/evil.yaml": yaml.safe_dump([entry], allow_unicode=True),
                       "sitegen.yaml": "base_url: https://example.org/\nsearch: false\n"})
    try:
        build_dir(site)
    except Exception as error:  # content may be rejected, but only as a reported problem
        from sitegen.problems import ContentError
        assert isinstance(error, ContentError), error
        return
    BUILT.append(title)
    check_site(site / "output", "/", content_links={"/x"})  # the payload's own <img src=x>
    for path in (site / "output").rglob("*.html"):
        page = path.read_text()
        page = re.sub(r'<script type="application/ld\+json">[^<]*</script>|<script src="/(copy|search).js"[^>]*>',
                      "", page)
        assert not re.search(r"<(script|iframe|object|embed|style)\b", page, re.I), path
        # A URL attribute inside a tag (check_site reads every one with a parser): text that
        # merely shows such markup, escaped (`&lt;a href="javascript:...`), runs nothing.
        assert not re.search(r"""<[a-z][^<>]*\s(href|src|action|formaction)\s*=\s*["']?\s*(javascript|data|vbscript):""",
                             page, re.I), path


@pytest.mark.parametrize("attribute", ['href=" java\tscript:alert(1)"', "src=&#106;avascript:alert(1)",
                                       'action="DATA:text/html,x"', 'srcset="a.png 1x, data:image/png,x 2x"'])
def test_site_check_finds_script_urls_in_any_spelling(tmp_path, attribute):
    """The checks above would pass on nothing if check_site missed a spelling a browser runs."""
    page = f'<!DOCTYPE html><title>t</title><h1>t</h1><a {attribute}>x</a><p>&lt;a href="javascript:x"&gt;</p>'
    write_files(tmp_path, {"index.html": page})
    with pytest.raises(AssertionError, match="script or data URLs"):
        check_site(tmp_path)


def test_most_hostile_sites_were_built_not_rejected():
    assert len(BUILT) >= 15  # the property above ran on real builds, not on rejected entries


@settings(max_examples=FUZZ, deadline=None)
@given(st.binary(max_size=400))
def test_yaml_loader_never_crashes(data):
    value, problems = parse_yaml(data.decode("utf-8", errors="replace"), "fuzz.yaml")  # never raises
    assert all(p.path == "fuzz.yaml" and p.message for p in problems)


@settings(max_examples=FUZZ, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400), st.sampled_from([".yaml", ".md"]))
def test_source_files_become_entries_or_problems(tmp_path_factory, data, suffix):
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / f"entry{suffix}"
    path.write_bytes(data)
    source = read_source(path, folder)  # must not raise
    assert source.entries or source.problems or not data.strip()


@settings(max_examples=FUZZ, deadline=None)
@given(st.text(max_size=200))
def test_front_matter_split_never_crashes(text):
    front, body, line, problems = split_front_matter(text, "x.md")
    assert (front is None) == bool(problems)
