"""Making a records folder: `ap init` (the folder, its settings and calendar templates) and the demo school."""
