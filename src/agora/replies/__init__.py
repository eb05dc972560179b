"""The reply engine: one path from a question to a metered answer, for the web chat, /v1 and the editor's preview.

    admission (may this person ask this GPT, on their plan)  -> prepare.py, admission.py
    compose (preamble, instructions, context, history fitted) -> compose.py, context.py
    call the model, run the GPT's tools, call again           -> engine.py, model_call.py
    outcome (complete, stopped, failed, and why)              -> outcome.py
    meter (one usage event, through the usage writer)         -> meter.py

Each output is a thin function of the engine's events: the chat's Server-Sent Events
(agora.chat.sse), /v1's OpenAI chunks and JSON (agora.api.openai), the preview's events
(agora.chat.preview). docs/chat.md draws the flow.
"""
