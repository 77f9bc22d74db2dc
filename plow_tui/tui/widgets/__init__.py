"""Reusable Textual widgets, backend-neutral: they take small view models and post Messages.

- `conversation.Conversation` (+ `Entry`): the messages of one chat, Line API.
- `chat_list.ChatList` (+ `ChatSummary`): chats sorted by activity.
- `compose.Compose`: the message editor.
- `text`: making network text safe and readable (literal, numbers, times).
"""
