"""Benchmarks: ``python -m bench`` (issue 7, docs/benchmarks.md) and the roster-import
benchmark ``bench/import_bench.py`` (docs/import.md)."""
