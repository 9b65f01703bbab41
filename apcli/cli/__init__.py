"""The `ap` command line: parses options, calls the core, prints. Nothing else lives here."""
