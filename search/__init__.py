"""The search library (Whoosh): schema, analysers, indexer, query parsing, facets, highlighting, text extraction.

Takes and returns plain data; imports nothing from `portal` or `reviewers`.
"""
