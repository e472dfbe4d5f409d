"""Which pages exist and what each shows: the plan of tasks with their digests, the views templates see, the theme, and the renderer."""
