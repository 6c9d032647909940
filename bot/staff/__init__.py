"""The staff chat: a registry of commands and buttons, handlers by noun, and views (parse -> service -> render)."""
