"""`make bench`: the pipeline against a hand-written DuckDB reference and a pandas notebook."""
