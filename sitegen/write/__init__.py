"""Writing output/: nothing there changes until every page has rendered.

    staging.py   rendered files wait in a staging folder
    commit.py    the staged files move into output/ atomically; what the content no longer makes leaves
    manifest.py  what output/ holds, file by file: the digests the next build compares with
"""
