"""Reusable Textual widgets, backend-neutral: they take small view models and post Messages.

- `conversation.Conversation` (+ `Entry`): the messages of one chat, Line API.
- `chat_list.ChatList` (+ `ChatSummary`): chats sorted by activity.
- `compose.Compose`: the message editor.
- `text`: readable numbers, days, times, URLs and copied text (network text is made safe by `plow_tui.terminal_text`).
"""
