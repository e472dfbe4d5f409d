"""Content files to a frozen site model.

    sources.py   files → raw entries that remember the line of every field
    validate.py  raw entries → Paper records, or problems with file, line and field
    model.py     Paper records → the Site: authors, days, weeks, months, topics, cite keys
    update.py    the Site after an edit, made from the last one (`sitegen serve`)
    load.py      the stage: every file read, every problem collected, the model made
    entry.py     writing a new entry file (`sitegen new`, the importers)
    identifiers.py  DOIs and arXiv ids in any spelling, as links
"""
