"""The handoff: a session's state built from its transcript, kept on disk, and put back into context.

`record` is the data, `markdown` its form for people, `store` where it is kept and how long,
`resume` what the next session is told, `checkpoint` the sequence a hook or command runs.
"""
