"""The command line: build, check, new, serve, init, deploy, import."""
