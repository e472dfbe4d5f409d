"""Staged files, the atomic commit into output/, and the manifest of what output/ holds."""
