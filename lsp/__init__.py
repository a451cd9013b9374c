"""The dlint language server (`dlint lsp`): diagnostics, quick fixes, hover and completion."""
