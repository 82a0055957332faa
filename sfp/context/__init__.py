"""What sfp adds to a prompt: TAGs from the user's context files, and the project's evidence checks."""
