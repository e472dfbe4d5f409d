"""How what a page shows is written out, each format on its own: they know nothing of
pages or of the build (a paper comes as shown.ShownPaper).

    markup.py     titles and abstracts: Markdown and LaTeX math → safe HTML (MathML) and plain text
    feeds.py      RSS 2.0 feeds, the sitemap, robots.txt
    digest.py     the weekly digest: a week's top papers as email-safe HTML, an RSS item a week
    bibtex.py     BibTeX entries
    api.py        /api/papers.json and /api/authors.json
    scholarly.py  citation_* tags, schema.org JSON-LD, OpenGraph and Twitter cards
    search.py     the search index: terms, shards and records
    jsontext.py   JSON as the site writes it
"""
