"""The Airy Core Chat Plugin client: plow-tui's second backend (see AIRY.md).

plow-tui talks to an Airy instance the way a website visitor's chat widget
does: `http.AiryClient` for the three HTTP calls, `stomp` for the framing of
the WebSocket, and `stream.AiryConversation` for a conversation that survives
dropped sockets and expired tokens without losing or doubling a message.
"""
