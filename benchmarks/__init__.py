"""Benchmarks: synthetic listings built by sitegen, Pelican and Hugo."""
