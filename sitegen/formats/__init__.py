"""How a page's content is written out: Markdown and math as HTML, RSS, BibTeX, the JSON API, scholarly metadata and the search index."""
