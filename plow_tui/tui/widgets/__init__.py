"""Reusable Textual widgets that know no backend: they take view models and post Messages.

They import neither `plow_tui.client` nor a wing (`tui/plow`, `tui/airy`):
tests/test_layering.py checks it.

- `view_models`: `Entry` (one message) and `ChatSummary` (one chat), what each wing's `views.py` makes.
- `chat_panel.ChatPanel` (+ `Sending`): one conversation as both backends show it, and the sending seam.
- `conversation.Conversation`: the messages of one chat, Line API.
- `chat_list.ChatList`: chats sorted by activity.
- `compose.Compose`: the message editor.
- `text`: readable days, times, URLs and copied text (network text is made safe by `plow_tui.terminal_text`).
"""
