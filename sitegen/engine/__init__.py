"""How a build runs, and runs fast: the stages in order, worker processes, and the
caches kept in `.sitegen/`. The layers below get what it keeps as plain parameters.

    build.py      the build: load → plan → compare → render → commit
    state.py      what a build keeps: once (`sitegen build`) or between builds (`sitegen serve`)
    uptodate.py   nothing to do? told without loading anything (stamp.py: the inputs' stamp)
    texts.py      titles and abstracts rendered aside, in worker processes (textstore.py keeps them)
    workers.py    render processes, each rendering its run of the render order (segments.py)
    processes.py  how processes start; background.py: work done beside the build; lock.py
    parsecache.py, textstore.py, shared_fragments.py, snapshot.py, search_job.py  the caches
    cachedir.py   every file in .sitegen/, named in one place
    report.py     what a build did
"""
