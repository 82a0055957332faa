"""Quality gates: shell commands from gates.yaml, run in parallel inside hard time bounds after a change."""
