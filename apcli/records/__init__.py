"""The records folder on disk and nothing else: the path guard, YAML reading and writing, atomic writes and
locks, the journal, the result cache, the attendance files, git (commits, the merge driver) and the JSON
schemas. It knows the model below it and nothing above."""
