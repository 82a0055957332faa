"""Backups of the files a session's context lives in, and putting them back (the runbook's state rollback).

`model` is the data, `create` makes a backup, `store` lists, loads and prunes them, `restore` puts
files back and verifies.
"""
