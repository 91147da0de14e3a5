"""Helpers the tests share: the baseline register, git repositories built for a test, the
real-world register, and where the repository's files are."""
