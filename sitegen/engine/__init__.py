"""How a build runs fast: worker processes, warm state and its snapshot, reuse of the last plan, and the caches in .sitegen/. The other layers get what it keeps as plain parameters."""
