"""The pure stream parts of the client, fed bytes the way a network delivers them.

llmock cannot send CRLF, comment lines, ``data:`` without a space or events split at
arbitrary bytes; these tests feed such streams to the parser directly.
"""

from __future__ import annotations

import json

import pytest

from cherry_tui.core.text import inert
from cherry_tui.core.client import (
    AnthropicStreamDecoder,
    ContentDelta,
    Finish,
    OpenAIStreamDecoder,
    ReasoningDelta,
    SSEEvent,
    SSEParser,
    ThinkSplitter,
    Usage,
    _StreamProblem,
    parse_model_list,
    parse_openai_completion,
)


def chunk(content=None, *, reasoning=None, reasoning_field="reasoning_content", finish=None,
          usage=None, choices=True) -> dict:
    delta = {}
    if content is not None:
        delta["content"] = content
    if reasoning is not None:
        delta[reasoning_field] = reasoning
    obj = {"id": "c1", "object": "chat.completion.chunk",
           "choices": [{"index": 0, "delta": delta, "finish_reason": finish}] if choices else []}
    if usage is not None:
        obj["usage"] = usage
    return obj


def sse(obj, nl="\n", space=" ") -> bytes:
    data = obj if isinstance(obj, str) else json.dumps(obj)
    return f"data:{space}{data}{nl}{nl}".encode()


def decode(stream: bytes, pieces: list[int] | None = None, decoder=None):
    """Feed ``stream`` split at ``pieces`` (or byte by byte) and return all events."""
    parser = SSEParser()
    decoder = decoder or OpenAIStreamDecoder()
    bounds = pieces if pieces is not None else list(range(1, len(stream)))
    parts, last = [], 0
    for b in [*bounds, len(stream)]:
        parts.append(stream[last:b])
        last = b
    events = []
    for part in parts:
        for ev in parser.feed(part):
            events.extend(decoder.feed(ev))
    for ev in parser.close():
        events.extend(decoder.feed(ev))
    events.extend(decoder.end())
    return events


def text_of(events, cls=ContentDelta) -> str:
    return "".join(e.text for e in events if isinstance(e, cls))


BASIC = (sse(chunk("")) + sse(chunk("Hello")) + sse(chunk(", wörld 🌍")) + sse(chunk(finish="stop"))
         + sse(chunk(choices=False, usage={"prompt_tokens": 3, "completion_tokens": 4,
                                          "total_tokens": 7}))
         + sse("[DONE]"))


# ---------------------------------------------------------------------------- framing
def test_basic_stream_gives_typed_events_in_order():
    events = decode(BASIC, pieces=[])
    assert events == [ContentDelta("Hello"), ContentDelta(", wörld 🌍"),
                      Usage(3, 4, 7), Finish("stop")]


def test_byte_by_byte_gives_the_same_text_multibyte_utf8_split_included():
    events = decode(BASIC)  # every byte its own read: 🌍 and ö arrive in pieces
    assert text_of(events) == "Hello, wörld 🌍"
    assert events[-1] == Finish("stop")
    assert Usage(3, 4, 7) in events


def test_crlf_line_endings_with_crlf_split_across_reads():
    stream = BASIC.replace(b"\n", b"\r\n")
    for cut in range(1, len(stream)):
        events = decode(stream, pieces=[cut])
        assert text_of(events) == "Hello, wörld 🌍", cut
        assert events[-1] == Finish("stop")


def test_bare_cr_line_endings():
    events = decode(BASIC.replace(b"\n", b"\r"), pieces=[7, 50, 51, 120])
    assert text_of(events) == "Hello, wörld 🌍"


def test_data_without_space_and_comment_keepalives():
    stream = (b": keep-alive\n\n" + sse(chunk("A"), space="") + b":ping\n"
              + sse(chunk("B")) + b": OPENROUTER PROCESSING\n\n"
              + sse(chunk(finish="stop"), space="") + b"data:[DONE]\n\n")
    events = decode(stream, pieces=[3, 20, 21])
    assert events == [ContentDelta("A"), ContentDelta("B"), Finish("stop")]


def test_several_events_in_one_read_and_one_event_over_many_reads():
    parser = SSEParser()
    evs = parser.feed(sse(chunk("a")) + sse(chunk("b")) + sse(chunk("c")))
    assert [json.loads(e.data)["choices"][0]["delta"]["content"] for e in evs] == ["a", "b", "c"]
    one = sse(chunk("split"))
    assert parser.feed(one[:5]) == []
    assert parser.feed(one[5:-1]) == []  # all but the blank line: not dispatched yet
    (ev,) = parser.feed(one[-1:])
    assert json.loads(ev.data)["choices"][0]["delta"]["content"] == "split"


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"])
def test_a_long_line_over_many_reads_is_one_event(eol):
    text = "".join(chr(0x4E00 + i % 500) for i in range(300_000))  # multibyte, ~900 KB
    stream = sse(chunk(text), nl=eol.decode()) + b"data: [DONE]" + eol + eol
    for size in (7, 4096, 65536):  # 7: line ends and characters split between reads
        parser = SSEParser()
        events = [e for i in range(0, len(stream), size) for e in parser.feed(stream[i:i + size])]
        events += parser.close()
        assert [json.loads(e.data)["choices"][0]["delta"]["content"] for e in events[:1]] == [text]
        assert [e.data for e in events[1:]] == ["[DONE]"]


def test_multiline_data_and_event_field():
    parser = SSEParser()
    (ev,) = parser.feed(b"event: message_delta\ndata: {\"a\":\ndata: 1}\nid: 7\nretry: 10\n\n")
    assert ev == SSEEvent('{"a":\n1}', "message_delta")
    assert json.loads(ev.data) == {"a": 1}


def test_last_event_without_trailing_blank_line_still_counts():
    stream = sse(chunk("x")) + sse(chunk(finish="length")) + b"data: [DONE]"
    assert decode(stream, pieces=[])[-1] == Finish("length")


# ---------------------------------------------------------------------------- ends
def test_finish_reason_without_done_is_a_complete_answer():
    events = decode(sse(chunk("ok")) + sse(chunk(finish="stop")), pieces=[])
    assert events == [ContentDelta("ok"), Finish("stop")]


def test_done_without_finish_reason_is_accepted():
    assert decode(sse(chunk("ok")) + sse("[DONE]"), pieces=[])[-1] == Finish(None)


def test_stream_ending_with_neither_finish_nor_done_is_truncated():
    with pytest.raises(_StreamProblem) as info:
        decode(sse(chunk("Hel")) + sse(chunk("lo")), pieces=[])
    assert info.value.kind == "truncated"


def test_malformed_json_chunk_is_an_error_not_skipped():
    stream = (sse(chunk("Hi")) + b'data: {"choices": [{"delta": {"cont\n\n'
              + sse(chunk(finish="stop")))
    with pytest.raises(_StreamProblem) as info:
        decode(stream, pieces=[])
    assert info.value.kind == "malformed"
    assert info.value.detail.startswith('{"choices"')


def test_error_object_inside_the_stream():
    stream = sse(chunk("Hi")) + sse({"error": {"message": "model overloaded", "code": 503}})
    with pytest.raises(_StreamProblem) as info:
        decode(stream, pieces=[])
    assert info.value.kind == "error"
    assert "model overloaded" in info.value.detail and "503" in info.value.detail


# ---------------------------------------------------------------------------- reasoning
@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_reasoning_fields(field):
    stream = (sse(chunk(reasoning="Let me think. ", reasoning_field=field))
              + sse(chunk(reasoning="2+2=4.", reasoning_field=field))
              + sse(chunk("4")) + sse(chunk(finish="stop")) + sse("[DONE]"))
    events = decode(stream, pieces=[])
    assert text_of(events, ReasoningDelta) == "Let me think. 2+2=4."
    assert text_of(events) == "4"
    assert isinstance(events[0], ReasoningDelta)


ANSWER = "<think>\nThe user asks 1+1.\n</think>\n\nThe answer is 2. Tags like </think> stay."


@pytest.mark.parametrize("cut", range(0, len(ANSWER) + 1))
def test_inline_think_split_at_every_position(cut):
    parts = [p for p in (ANSWER[:cut], ANSWER[cut:]) if p]
    stream = b"".join(sse(chunk(p)) for p in parts) + sse(chunk(finish="stop"))
    events = decode(stream, pieces=[])
    assert text_of(events, ReasoningDelta) == "\nThe user asks 1+1.\n"
    assert text_of(events) == "The answer is 2. Tags like </think> stay."


def test_think_one_character_per_chunk():
    stream = b"".join(sse(chunk(c)) for c in ANSWER) + sse(chunk(finish="stop"))
    events = decode(stream)
    assert text_of(events, ReasoningDelta) == "\nThe user asks 1+1.\n"
    assert text_of(events) == "The answer is 2. Tags like </think> stay."


def test_think_tag_not_at_the_start_is_content():
    s = ThinkSplitter()
    events = s.feed("Use <think>") + s.feed(" tags</think> like this") + s.flush()
    assert events and all(isinstance(e, ContentDelta) for e in events)
    assert text_of(events) == "Use <think> tags</think> like this"


def test_unclosed_think_is_reasoning_and_a_lone_partial_tag_is_content():
    s = ThinkSplitter()
    assert text_of(s.feed("<think>still thinking") + s.flush(), ReasoningDelta) == "still thinking"
    s = ThinkSplitter()
    assert s.feed("<thi") == []
    assert s.flush() == [ContentDelta("<thi")]


def test_non_streamed_completion_with_think_and_usage():
    obj = {"choices": [{"index": 0, "finish_reason": "stop",
                        "message": {"role": "assistant", "content": "<think>hm</think>\nParis"}}],
           "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}}
    assert parse_openai_completion(obj) == ("Paris", "hm", Usage(5, 2, 7), "stop")


# ---------------------------------------------------------------------------- anthropic
def test_anthropic_stream_events():
    evs = [
        ("message_start", {"type": "message_start", "message": {"usage": {"input_tokens": 9}}}),
        ("ping", {"type": "ping"}),
        ("content_block_delta", {"type": "content_block_delta",
                                 "delta": {"type": "thinking_delta", "thinking": "hmm"}}),
        ("content_block_delta", {"type": "content_block_delta",
                                 "delta": {"type": "text_delta", "text": "Hi"}}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "max_tokens"},
                           "usage": {"output_tokens": 3}}),
        ("message_stop", {"type": "message_stop"}),
    ]
    stream = b"".join(f"event: {e}\r\ndata: {json.dumps(d)}\r\n\r\n".encode() for e, d in evs)
    events = decode(stream, decoder=AnthropicStreamDecoder())
    assert events == [ReasoningDelta("hmm"), ContentDelta("Hi"), Usage(9, 3, 12), Finish("length")]


def test_anthropic_stream_without_message_stop_is_truncated():
    stream = (b'event: content_block_delta\ndata: {"type":"content_block_delta","delta":'
              b'{"type":"text_delta","text":"Hi"}}\n\n')
    with pytest.raises(_StreamProblem) as info:
        decode(stream, pieces=[], decoder=AnthropicStreamDecoder())
    assert info.value.kind == "truncated"


def test_anthropic_error_event():
    stream = (b'event: error\ndata: {"type":"error","error":{"type":"overloaded_error",'
              b'"message":"Overloaded"}}\n\n')
    with pytest.raises(_StreamProblem) as info:
        decode(stream, pieces=[], decoder=AnthropicStreamDecoder())
    assert info.value.kind == "error" and "Overloaded" in info.value.detail


# ---------------------------------------------------------------------------- misc
def test_model_list_shapes():
    assert parse_model_list({"object": "list", "data": [{"id": "b"}, {"id": "a"}, {"id": "a"}]}) \
        == ["a", "b"]
    assert parse_model_list({"models": [{"name": "llama3:8b", "model": "llama3:8b"},
                                        {"name": "qwen2:0.5b"}]}) == ["llama3:8b", "qwen2:0.5b"]
    assert parse_model_list({"models": ["z", "y"]}) == ["y", "z"]
    assert parse_model_list({"detail": "nope"}) is None


def test_the_gate_on_a_stream_of_mixed_controls():
    raw = "red \x1b[31mtext\x1b[0m\x07 title\x1b]0;pwned\x07 csi\x9b2J ok\ttab\r\nline\rback"
    safe = inert(raw)
    assert "\x1b" not in safe and "\x07" not in safe and "\x9b" not in safe and "\r" not in safe
    assert "^[[31mtext" in safe and "\ttab\nline" in safe and "^Mback" in safe
