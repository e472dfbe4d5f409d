"""Bring papers in: entries written into content/ from arXiv, BibTeX or a Daily Papers
JSON export. Importers write content; they never touch output/."""
