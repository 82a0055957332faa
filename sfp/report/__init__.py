"""`sfp report`: a self-contained HTML page of charts drawn from sfp's own records.

`records` (the records, as plain data) -> `datasets` (what each chart shows) -> `charts` (SVG) and
`page` (HTML); `collect` is the one part that reads files.
"""
