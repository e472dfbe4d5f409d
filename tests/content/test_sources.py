from sitegen.content.sources import find_content_files, read_source, split_front_matter
from sitegen.yamlfile import LinedDict, LinedList, parse_yaml


def test_yaml_keeps_lines_and_raw_scalars():
    data, problems = parse_yaml('id: 2203.10550\ntitle: x\ntags:\n  - 2024\n  - b\n', "a.yaml")
    assert problems == []
    assert isinstance(data, LinedDict)
    assert data.lines == {"id": 1, "title": 2, "tags": 3}
    assert data.raw["id"] == "2203.10550"  # the float would lose the trailing zero
    assert isinstance(data["tags"], LinedList)
    assert data["tags"].lines == [4, 5]
    assert data["tags"].raw == ["2024", "b"]


def test_dates_stay_text_so_bad_dates_are_reported_not_crashed():
    data, problems = parse_yaml("published: 2024-13-45\n", "a.yaml")
    assert problems == [] and data["published"] == "2024-13-45"


def test_yaml_syntax_error_has_line():
    _, problems = parse_yaml("id: a\ntitle: [unclosed\nauthors: x\n", "a.yaml")
    assert len(problems) == 1
    assert problems[0].path == "a.yaml" and problems[0].line == 3
    assert "YAML syntax error" in problems[0].message


def test_duplicate_key_is_reported():
    _, problems = parse_yaml("id: a\nid: b\n", "a.yaml")
    assert [(p.line, p.field) for p in problems] == [(2, "id")]


def test_front_matter_split_and_body_line():
    front, body, body_line, problems = split_front_matter("---\nid: a\n---\n\nHello\n", "a.md")
    assert (front, body, body_line, problems) == ("id: a", "\nHello\n", 4, [])


def test_unterminated_front_matter():
    front, _, _, problems = split_front_matter("---\nid: a\ntitle: b\n", "a.md")
    assert front is None
    assert problems[0].message == "front matter is not closed"


def test_markdown_lines_are_file_lines(tmp_path):
    path = tmp_path / "a.md"
    path.write_text("---\nid: a\nautors: [x]\n---\nBody\n")
    source = read_source(path, tmp_path)
    entry = source.entries[0]
    assert entry.fields.lines["autors"] == 3
    assert entry.body == "Body" and entry.body_line == 5


def test_bom_and_crlf_are_accepted(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_bytes(b"\xef\xbb\xbfid: a\r\ntitle: b\r\n")
    source = read_source(path, tmp_path)
    assert source.problems == []
    assert source.entries[0].fields == {"id": "a", "title": "b"}


def test_non_utf8_reports_line(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_bytes(b"id: a\ntitle: caf\xe9\n")
    source = read_source(path, tmp_path)
    assert [(p.line, p.message) for p in source.problems] == [(2, "not valid UTF-8 (byte 0xe9)")]


def test_empty_and_whitespace_files(tmp_path):
    for text in ("", "   \n\n"):
        path = tmp_path / "a.yaml"
        path.write_text(text)
        assert read_source(path, tmp_path).problems[0].message == "file is empty"


def test_list_items_that_are_not_mappings(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("- id: a\n- just text\n")
    source = read_source(path, tmp_path)
    assert len(source.entries) == 1
    assert source.problems[0].line == 2


def test_content_files_are_listed_folder_by_folder_without_hidden_drafts_or_links_out(tmp_path):
    content = tmp_path / "content"
    for name in ["b.yaml", "a-b/x.yml", "a/y.md", "a/z/w.yaml", "authors.yaml", "a/authors.yaml", ".hidden.yaml",
                 ".git/c.yaml", "_drafts/d.yaml", "notes.txt", "a/README"]:
        (content / name).parent.mkdir(parents=True, exist_ok=True)
        (content / name).write_text("x")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside/o.yaml").write_text("x")
    (content / "link-out.yaml").symlink_to(tmp_path / "outside/o.yaml")
    (content / "linked-folder").symlink_to(tmp_path / "outside")
    (content / "link-in.yaml").symlink_to(content / "b.yaml")
    found = find_content_files(content)
    # Folder by folder, as paths compare: "a/..." before "a-b/...".
    assert [inside for inside, _ in found] == ["a/authors.yaml", "a/y.md", "a/z/w.yaml", "a-b/x.yml", "b.yaml",
                                               "link-in.yaml"]
    assert [path for _, path in found] == [content / inside for inside, _ in found]
