"""The reply engine's run: call the model, run the GPT's tools it asks for, call it again; then the outcome and its usage.

One task reads the model and hands each piece to the output itself (no queue, no second
task per token: at 50,000 tokens a second every hop is CPU a worker does not have). That
task is what a stop cancels (`stop()`: the person's, from this worker or another, or the
client's connection closing); the model's stream is closed however the task ends, which
stops the generation upstream. The reply then ends as `stopped`, with what it had written.

The tool loop: when the model's turn ends in calls to the GPT's own tools (agora.tools),
the engine runs them in order, adds the calls and their results to the conversation and
calls the model again, at most MAX_TOOL_ROUNDS times; the last call is asked to answer in
words. Calls to tools the caller supplied (/v1) end the reply: they are the caller's to run,
OpenAI-style. A turn mixing both hands back only the caller's (the model may ask for the
GPT's again next time). A call to a tool nobody has ends the reply with a note saying so.

Consequential calls (a tool that changes something outside Agora: `Tool.consequential`) are
never run without the person's word; in the chat, calls that send data to a third party
(`Tool.asks_first`) wait the same way until the person always allows them
(agora.tools.allowances). In the chat and the preview the reply *waits*: the turn's other
calls run, then the reply ends with `Outcome.waiting` (the calls to confirm and
what the conversation continues from), and a later `Reply(resume=Resume(...))` runs or
refuses them as the person decided and carries on the loop where it stopped. /v1 has nobody
to ask: the consequential calls are handed back to the caller as tool calls, OpenAI-style.
A call whose tool needs the person to sign in first (`Tool.sign_in`: an OAuth action they
have no token for) waits, or goes back to the /v1 caller, the same way.

However the reply ends, it is metered once: one usage event (every model call's tokens)
handed to the usage writer, with what the caller keeps alongside it (the chat's reply row),
in the same transaction.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from agora.credits import holds
from agora.i18n import gettext as _
from agora.knowledge import citations
from agora.metering.writer import AlongWrite, UsageWriter, Written
from agora.providers.base import CompletionRequest, Provider, ProviderError, TextDelta, ToolCallDelta, Usage, completer
from agora.replies import guardrails, leaks, model_call
from agora.replies.meter import usage_event
from agora.replies.model_call import CallRouter, Emit, Event, Turn
from agora.replies.outcome import COMPLETE, FAILED, STOPPED, Outcome, estimated_tokens
from agora.replies.prepare import Prepared
from agora.replies.waiting import Resume, Waiting, asked_call
from agora.tools import allowances
from agora.tools.base import Tool
from agora.tools.runner import ToolUse, declined, run_call

log = logging.getLogger("agora.replies")

MAX_TOOL_ROUNDS = 4  # model calls that may follow calls to the GPT's tools
BETWEEN_TURNS = "\n\n"  # between the texts of two model calls of one reply

# What a caller keeps alongside the usage event, written in its transaction: (write, value) from the outcome.
Keep = Callable[[Outcome], tuple[AlongWrite, Any]]


class ClientGone(Exception):
    """Raised by an output that can no longer write: nobody reads the reply any more."""


async def _nowhere(event: Event) -> None:
    """For a reply nobody reads as it is written (a page without JavaScript reads it once stored)."""


class Reply:
    """One reply being generated. `run()` generates and meters it; `stop()` cuts it short from any task."""

    def __init__(self, *, provider: Provider, prepared: Prepared, writer: UsageWriter, usage_key: str, message_id: int | None = None,
                 keep: Keep | None = None, urgent: bool = False, resume: Resume | None = None) -> None:
        """`keep` gives what is written with the usage event; `urgent`: the caller waits for it to be written (`stored`);
        `resume`: continue a reply that waited for the person's decision on consequential calls."""
        self.provider, self.prepared, self.writer, self.resume = provider, prepared, writer, resume
        self.usage_key, self.message_id, self.keep, self.urgent = usage_key, message_id, keep, urgent
        self.turns: list[Turn] = []
        self.tool_uses: list[ToolUse] = []
        self.returned: list[dict[str, Any]] = []  # calls to the caller's tools, handed back
        self.notes: list[str] = []
        self.waiting: Waiting | None = None
        self.outcome: Outcome | None = None
        self.stored: Written | None = None  # with `urgent`: done once the usage (and what is kept with it) is written
        self._task: asyncio.Task | None = None
        self._stopped_by: str | None = None  # "person" or "client"
        self._failure: ProviderError | None = None
        self._trouble: str | None = None  # why the reply failed, when the model server is not the reason
        self._leaks = prepared.leaks.watch() if prepared.leaks is not None else None  # the instruction-leak filter, when on
        self.screened: guardrails.Verdict | None = None  # the finished reply's verdict, when the guardrails flagged or blocked it

    def stop(self, *, client_gone: bool = False) -> None:
        """End the reply now, keeping what it wrote: the person asked (`stopped`), or the client left."""
        self._stopped_by = "client" if client_gone else self._stopped_by or "person"
        if self._task is not None:
            self._task.cancel()

    async def run(self, emit: Emit = _nowhere, *, whole: bool = False) -> Outcome:
        """Generate to the end (or a stop), passing pieces to `emit`; meter it; return how it ended.

        `whole`: ask the model for whole replies where it can give them (nothing is emitted as
        it comes, and nothing can stop it midway: a gateway's `stream: false`).
        """
        started = time.monotonic()
        if whole:
            try:
                await self._generate(emit, whole=True)
            except asyncio.CancelledError:  # this request itself is cancelled (the server shuts down)
                self._stopped_by = self._stopped_by or "client"
                self._finish(started)
                raise
            return await self._screened_finish(started)
        task = self._task = asyncio.create_task(self._cancellable(emit))
        if self._stopped_by:  # stopped before the task existed
            task.cancel()
        try:
            await task
        except asyncio.CancelledError:  # this request itself is cancelled (the server shuts down): still meter the reply
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            self._stopped_by = self._stopped_by or "client"
            self._finish(started)
            raise
        return await self._screened_finish(started)

    async def _screened_finish(self, started: float) -> Outcome:
        """The reply through the guardrails once it ended (agora.replies.guardrails), then its outcome kept and metered."""
        try:
            self.screened = await guardrails.screen_reply(self.prepared.context.settings, self._text())
        except asyncio.CancelledError:  # the request is cancelled while the reply is screened: metered all the same
            self._stopped_by = self._stopped_by or "client"
            self._finish(started)
            raise
        return self._finish(started)

    async def _cancellable(self, emit: Emit) -> None:
        try:
            await self._generate(emit, whole=False)
        except asyncio.CancelledError:  # a stop
            self._stopped_by = self._stopped_by or "person"

    async def _generate(self, emit: Emit, *, whole: bool) -> None:
        """Every turn of the reply; whatever ends it is recorded for the outcome."""
        try:
            await self._turns(emit, whole)
        except ClientGone:
            self._stopped_by = "client"
        except ProviderError as error:
            self._failure = error
        except Exception:  # a provider's or a tool's bug: logged, and the person told something went wrong
            log.exception("reply with %s failed", self.provider.name)
            self._trouble = _("The model failed unexpectedly. Try again.")

    async def _turns(self, emit: Emit, whole: bool) -> None:
        prepared = self.prepared
        complete = completer(self.provider, prepared.request.model) if whole else None
        request, first_round = prepared.request, 0
        if self.resume is not None:
            request, first_round = await self._resumed(emit)
            if self._too_long(request):
                return
        for round_number in range(first_round, MAX_TOOL_ROUNDS + 1):
            turn = Turn(request)
            self.turns.append(turn)
            prefix = BETWEEN_TURNS if any(t.pieces for t in self.turns[:-1]) or (self.resume and self.resume.text) else ""
            if complete is not None:
                await model_call.whole(complete, turn, prefix=prefix, leaks=self._leaks)
            else:
                await model_call.stream(self.provider, turn, emit, CallRouter(prepared.tools, prepared.caller_tools), prefix=prefix,
                                        leaks=self._leaks)
            if turn.finished is None or not turn.calls:
                return
            own = [call for call in turn.calls if call["function"]["name"] in prepared.tools]
            if len(own) < len(turn.calls) or round_number == MAX_TOOL_ROUNDS:  # calls for the caller, or for nobody: the reply ends
                await self._hand_back([call for call in turn.calls if call not in own], emit)
                return
            following = await self._own_calls(turn, own, request, round_number, emit)
            if following is None or self._too_long(following):
                return
            request = following

    async def _own_calls(self, turn: Turn, own: list[dict[str, Any]], request: CompletionRequest, round_number: int,
                         emit: Emit) -> CompletionRequest | None:
        """Run the turn's calls to the GPT's tools: the next request, or None when the reply ends (or waits) here."""
        prepared = self.prepared
        sign_ins = await self._sign_ins(own)
        consequential = [call for call in own if prepared.tools[call["function"]["name"]].consequential or call["id"] in sign_ins]
        if consequential and prepared.metering.source == "api":  # nobody here to ask (or to sign in): the caller decides
            await self._return_to_caller(consequential, emit)
            return None
        asked = [call for call in own if call in consequential or self._asks_first(prepared.tools[call["function"]["name"]])]
        uses = [await self._run(call) for call in own if call not in asked]
        for use in uses:
            self.tool_uses.append(use)
            await emit(use)
        assistant = {"role": "assistant", "content": turn.text or None, "tool_calls": own}
        results = [{"role": "tool", "tool_call_id": use.call_id, "content": use.content} for use in uses]
        if asked:  # the reply waits for the person's word before these
            added = request.messages[len(prepared.request.messages):]
            self.waiting = Waiting(messages=[*added, assistant, *results], round=round_number + 1,
                                   calls=[asked_call(prepared.tools[call["function"]["name"]], call, sign_in=sign_ins.get(call["id"]))
                                          for call in asked])
            return None
        return self._next_request(request, [*request.messages, assistant, *results], round_number + 1)

    async def _sign_ins(self, own: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
        """The calls whose tool needs the person to sign in first (an OAuth action they have no token for), by call id."""
        needed: dict[str, dict[str, str]] = {}
        asked: dict[str, dict[str, str] | None] = {}  # once per tool and turn
        for call in own:
            tool = self.prepared.tools[call["function"]["name"]]
            check = getattr(tool, "sign_in", None)
            if check is None:
                continue
            if tool.name not in asked:
                asked[tool.name] = await check(self.prepared.context)
            where = asked[tool.name]
            if where:
                needed[call["id"]] = where
        return needed

    def _asks_first(self, tool: Tool) -> bool:
        """A call that sends data to a third party asks in the chat until the person always allows it (agora.tools.allowances)."""
        allowed = self.prepared.allowed_always
        return allowed is not None and allowances.asks_first(tool) and allowances.key_of(tool) not in allowed

    async def _run(self, call: dict[str, Any]) -> ToolUse:
        return await run_call(self.prepared.tools[call["function"]["name"]], call_id=call["id"], arguments=call["function"]["arguments"],
                              context=self.prepared.context)

    def _next_request(self, request: CompletionRequest, messages: list[dict[str, Any]], round_number: int) -> CompletionRequest:
        last = round_number == MAX_TOOL_ROUNDS
        choice = "none" if last else ("auto" if request.tool_choice is not None else None)  # a "required" choice was met
        return replace(request, messages=messages, tool_choice=choice)

    def _too_long(self, request: CompletionRequest) -> bool:
        if self._prompt_tokens(request) + request.max_tokens > self.provider.context_window(request.model):
            self._trouble = _("The results of the tools the GPT used do not fit in what the model can read.")
            return True
        return False

    async def _resumed(self, emit: Emit) -> tuple[CompletionRequest, int]:
        """Run (or refuse) the calls the person decided on; the request the loop carries on with, and its round."""
        assert self.resume is not None
        waiting, uses = self.resume.waiting, []
        for asked in waiting.calls:
            tool = self.prepared.tools.get(asked["name"])
            if tool is None or not self.resume.allowed:
                use = declined(asked["call_id"], asked["name"], asked["arguments"], allowed=self.resume.allowed)
            else:
                use = await run_call(tool, call_id=asked["call_id"], arguments=asked["arguments"], context=self.prepared.context)
            uses.append(use)
            self.tool_uses.append(use)
            await emit(use)
        results = [{"role": "tool", "tool_call_id": use.call_id, "content": use.content} for use in uses]
        request = self.prepared.request
        return self._next_request(request, [*request.messages, *waiting.messages, *results], waiting.round), waiting.round

    async def _return_to_caller(self, calls: list[dict[str, Any]], emit: Emit) -> None:
        """/v1: consequential calls go back to the caller as tool calls (its to run, or to ask its user about)."""
        self.returned = calls
        for index, call in enumerate(calls):  # held while streamed (the GPT's own): the caller sees them whole, now
            await emit(ToolCallDelta(index=index, id=call["id"], name=call["function"]["name"], arguments=call["function"]["arguments"]))

    async def _hand_back(self, calls: list[dict[str, Any]], emit: Emit) -> None:
        """End the reply on calls the engine does not run: the caller's are theirs; otherwise a note says why it ends."""
        if self.prepared.caller_tools and calls:
            self.returned = calls  # already streamed to the caller, piece by piece
            return
        notes = [_("(The model asked to use the tool “%(name)s”, which this chat cannot run.)", name=name)
                 for name in dict.fromkeys(call["function"]["name"] for call in calls)]
        for note in notes or [_("(The model kept asking for its tools; this reply stops here.)")]:
            note = (BETWEEN_TURNS if self.notes or any(t.pieces for t in self.turns) else "") + note
            self.notes.append(note)
            await emit(TextDelta(note))

    def _finish(self, started: float) -> Outcome:
        written = self._outcome(int((time.monotonic() - started) * 1000))
        outcome = self.outcome = guardrails.applied(written, self.screened)
        along = self.keep(outcome) if self.keep is not None else None
        if self.prepared.charge is not None:  # a priced message: charged with its usage if it completed, else released
            along = holds.settlement(self.prepared.charge, complete=outcome.status == COMPLETE, along=along)
        along = guardrails.with_record(along, key=self.usage_key, prepared=self.prepared, reply=written.text, flagged=self.prepared.flagged,
                                       reply_verdict=self.screened, message_id=self.message_id)
        self.stored = self.writer.submit(usage_event(self.prepared, outcome, key=self.usage_key, message_id=self.message_id),
                                         along=along, urgent=self.urgent)
        return outcome

    def _text(self) -> str:
        prior = self.resume.text if self.resume is not None else ""  # what the reply said before it waited
        return "".join([prior] + [turn.text for turn in self.turns] + self.notes)  # str.join of each turn's list: a generator over every piece cost 15 us

    def _outcome(self, latency_ms: int) -> Outcome:
        text = self._text()
        last = self.turns[-1] if self.turns else None
        leaked = self._leaks is not None and self._leaks.leaked
        if leaked:  # stopped by the instruction-leak filter: metered and stored as any stopped reply, saying why
            status, reason = STOPPED, leaks.notice()
        elif self._stopped_by:
            status, reason = STOPPED, _("The connection closed before the reply finished.") if self._stopped_by == "client" else ""
        elif self._failure is not None:
            status, reason = FAILED, self._failure.message
        elif self._trouble is not None:
            status, reason = FAILED, self._trouble
        elif last is None or last.finished is None:
            status, reason = FAILED, _("The model stopped without finishing.")
        else:
            status, reason = COMPLETE, ""
        finish = last.finished.finish_reason if status == COMPLETE and last and last.finished else None
        if finish == "tool_calls" and not self.returned and self.waiting is None:
            finish = "stop"  # the GPT's tools ran, or a note replaced calls nobody can answer
        finish = leaks.FINISH_REASON if leaked else finish
        cited = tuple(citations.used(text, list(self.prepared.citations))) if self.prepared.citations and text else ()
        waiting = self.waiting if status == COMPLETE else None
        return Outcome(status, reason, text, self.returned, self.tool_uses, finish, self._usage(), latency_ms, self._failure, cited, waiting)

    def _usage(self) -> Usage:
        """Every turn's tokens: the provider's count where it gave one, else an estimate of what was sent and written."""
        prompt = completion = 0
        for number, turn in enumerate(self.turns):
            if turn.finished is not None:
                prompt, completion = prompt + turn.finished.usage.prompt_tokens, completion + turn.finished.usage.completion_tokens
                continue
            prompt += self.prepared.prompt_tokens if number == 0 else self._prompt_tokens(turn.request)
            written = turn.text + "".join(call["function"]["name"] + call["function"]["arguments"] for call in turn.calls)
            completion += estimated_tokens(self.provider, turn.request.model, written)
        return Usage(prompt, completion)

    def _prompt_tokens(self, request: CompletionRequest) -> int:
        return self.provider.count_tokens(request.messages, request.model) + self.prepared.tool_tokens
