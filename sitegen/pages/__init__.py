"""Which pages exist, what each shows, and how it renders.

    kinds.py    the table of page kinds: template, pages, digest inputs, papers shown, renderer
    task.py     a task: one output file and the digest of what it shows
    digests.py  the digests of the records pages show
    changes.py  what differs from the last plan's model
    plan.py     the plan: the table walked over the model, keeping what the last plan made
    text.py     a paper's rendered title and abstract
    views.py    what templates see of the model
    render.py   rendering a task: one function per kind
    theme.py    the Jinja environment and template digests
    fragments.py  `{% cache %}`: what a page shows of a paper, made once per process
    links.py    content links to paths the site does not have
"""
