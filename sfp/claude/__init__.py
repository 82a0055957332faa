"""Claude Code's own files, read and written the way the client does: transcripts and settings.json."""
