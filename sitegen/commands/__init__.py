"""The command line: `sitegen build | check | new | serve | init | deploy | import`.

    cli.py      the commands and their options (build, check, new)
    serve.py    the dev server: rebuild on change, reload the browser
    init.py     a new site, ready for GitHub Pages
    deploy.py   publish to the gh-pages branch
    imports.py  `sitegen import arxiv | bibtex | json`
    check.py    `sitegen check --links`: every link of the built site resolves
"""
