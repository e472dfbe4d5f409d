from sitegen.commands.cli import entry

entry()
