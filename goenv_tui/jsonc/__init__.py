"""JSONC, the format of VS Code's settings.json (comments, trailing commas): `parse` reads it with
the line of every key, `edit` changes one value in place, keeping every comment and byte around it.
Used by the VS Code collector (collect/vscode.py), the settings checks and their fixes."""
