"""Files and images in the prompt: loading them, each protocol's image format on the wire
(llmock for OpenAI and Anthropic, tests/servers/wire.py for Responses, Gemini and Azure:
the bodies the servers received), the refusal for a model that does not see images, and
what the history keeps and the export shows.
"""

from __future__ import annotations

import base64
import hashlib
import os
import sqlite3

import pytest
from servers.wire import KEY as WIRE_KEY
from servers.wire import MODEL, Serving

from cherry_tui.core.attachments import (
    AttachmentError, Image, TextFile, human_size, load, user_message,
)
from cherry_tui.core.config import Provider
from cherry_tui.core.history import History, Message
from cherry_tui.core.history_export import to_markdown
from cherry_tui.core.model_kinds import sees_images
from cherry_tui.core.providers.client import Client
from cherry_tui.core.providers.errors import ProviderError

KEY = "sk-live-0123456789abcdefSECRET"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(40))
JPEG = b"\xff\xd8\xff\xe0" + bytes(30)
GIF = b"GIF89a" + bytes(20)
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(20)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def error_of(path, **kw) -> AttachmentError:
    with pytest.raises(AttachmentError) as info:
        load(path, **kw)
    msg = str(info.value)
    assert "\n" not in msg and msg
    return info.value


# ---------------------------------------------------------------------------- loading
def test_text_file_is_a_fenced_block_with_its_name(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("first line\nsecond line\n")
    got = load(f)
    assert isinstance(got, TextFile) and got.size == 23 and got.path == str(f)
    assert got.block() == "File: notes.txt\n```\nfirst line\nsecond line\n```"


def test_a_fence_inside_the_file_gets_a_longer_fence(tmp_path):
    f = tmp_path / "README.md"
    f.write_text("Run:\n```sh\nmake\n```")
    block = load(f).block()
    assert block.startswith("File: README.md\n````\n") and block.endswith("\n````")


def test_not_utf8_is_decoded_with_a_note(tmp_path):
    f = tmp_path / "latin1.txt"
    f.write_bytes("café au lait, crème brûlée\n".encode("latin-1"))
    got = load(f)
    assert isinstance(got, TextFile)
    assert "caf\ufffd" in got.text and "not UTF-8: 4 undecodable byte(s)" in got.note
    assert got.block().startswith("File: latin1.txt (not UTF-8: 4 undecodable byte(s)")


@pytest.mark.parametrize("data", [b"ELF\x00\x01\x02 text", bytes(range(128, 256)) * 4])
def test_binary_is_refused(tmp_path, data):
    f = tmp_path / "prog"
    f.write_bytes(data)
    exc = error_of(f)
    assert exc.kind == "binary" and "prog looks like a binary file" in str(exc)
    assert "PNG, JPEG, WebP or GIF" in str(exc)


def test_missing_folder_special_and_unreadable(tmp_path):
    exc = error_of(tmp_path / "nope.txt")
    assert exc.kind == "missing" and "nope.txt: no such file" in str(exc)
    exc = error_of(tmp_path)
    assert exc.kind == "folder" and "is a folder" in str(exc)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert error_of(fifo).kind == "special"  # never opened: reading it would hang
    (tmp_path / "file").write_text("x")
    exc = error_of(tmp_path / "file" / "inside")
    assert exc.kind == "unreadable" and "cannot read it" in str(exc)
    exc = error_of(tmp_path / "two\nlines\x1b[31m")  # a hostile name stays one inert line
    assert "two^Jlines^[[31m: no such file" in str(exc)


def test_too_big_names_the_limit_and_how_to_raise_it(tmp_path):
    f = tmp_path / "big.log"
    f.write_text("x" * 3000)
    exc = error_of(f, text_limit=2048, raise_hint="with --file-limit KB")
    assert exc.kind == "too-big"
    assert str(exc).startswith(f"{f} is 2.9 KB, over the 2 KB limit for a text file")
    assert str(exc).endswith("or raise the limit with --file-limit KB")
    assert isinstance(load(f, text_limit=3000), TextFile)  # at the limit: fine
    img = tmp_path / "big.png"
    img.write_bytes(PNG + bytes(5000))
    exc = error_of(img, image_limit=4096)
    assert exc.kind == "too-big" and "over the 4 KB limit for an image" in str(exc)


@pytest.mark.parametrize("data,mime", [(PNG, "image/png"), (JPEG, "image/jpeg"),
                                       (GIF, "image/gif"), (WEBP, "image/webp")])
def test_images_are_told_by_their_bytes_not_their_name(tmp_path, data, mime):
    f = tmp_path / "picture.txt"  # the name lies
    f.write_bytes(data)
    got = load(f)
    assert isinstance(got, Image) and got.mime == mime and got.data == data
    assert got.sha256 == hashlib.sha256(data).hexdigest() and got.size == len(data)
    assert got.data_url() == f"data:{mime};base64,{b64(data)}"
    fake = tmp_path / "fake.png"
    fake.write_text("just text")
    assert isinstance(load(fake), TextFile)


def test_human_size():
    assert [human_size(n) for n in (812, 1024, 1536, 20 * 1024 * 1024, 3 * 1024 ** 3)] == [
        "812 B", "1 KB", "1.5 KB", "20 MB", "3 GB"]


def test_sees_images_kinds_and_overrides():
    assert sees_images("gpt-4o") and sees_images("claude-sonnet-4-5", provider_type="anthropic")
    assert sees_images("o3")  # reasoning, and on the vision list
    assert not sees_images("deepseek-chat") and not sees_images("deepseek-reasoner")
    assert sees_images("deepseek-chat", {"deepseek-chat": "vision"})
    assert not sees_images("gpt-4o", {"gpt-4o": "chat"})


# ---------------------------------------------------------------------------- on the wire
@pytest.fixture
def files(tmp_path):
    (tmp_path / "notes.txt").write_text("remember the milk\n")
    (tmp_path / "shot.png").write_bytes(PNG)
    return [load(tmp_path / "notes.txt"), load(tmp_path / "shot.png")]


async def ask(provider: Provider, keys, model: str, messages) -> None:
    async with Client(max_retries=0, connect_timeout=5, read_timeout=10) as client:
        async for _ in client.stream_chat(provider, keys, model, messages):
            pass


BLOCK = "File: notes.txt\n```\nremember the milk\n```\n\nWhat is in the picture?"


async def test_openai_sends_image_url_parts(llmock, files):
    llmock.reply("A cat.")
    p = Provider(id="o", name="O", type="openai", address=llmock.url)
    msgs = [{"role": "system", "content": "Be brief."},
            user_message("What is in the picture?", files)]
    await ask(p, [KEY], "gpt-4o", msgs)
    sent = llmock.last_request.body["messages"]
    assert sent[0] == {"role": "system", "content": "Be brief."}
    assert sent[1] == {"role": "user", "content": [
        {"type": "text", "text": BLOCK},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{b64(PNG)}"}}]}


async def test_anthropic_sends_base64_image_blocks(llmock, files):
    llmock.reply("A cat.")
    p = Provider(id="a", name="A", type="anthropic", address=llmock.base_url("anthropic"))
    await ask(p, [KEY], "claude-sonnet-4-5", [user_message("What is in the picture?", files)])
    assert llmock.last_request.body["messages"] == [{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                     "data": b64(PNG)}},
        {"type": "text", "text": BLOCK}]}]


@pytest.mark.parametrize("kind,type_", [("responses", "openai-responses"),
                                        ("gemini", "gemini"), ("azure", "azure-openai")])
async def test_responses_gemini_and_azure_image_shapes(kind, type_, files):
    with Serving(kind) as w:
        # wire-model is guessed chat: the user's override makes it a vision model
        p = Provider(id="p", name="P", type=type_, address=w.root, models=(MODEL,),
                     model_kinds=((MODEL, "vision"),))
        await ask(p, [WIRE_KEY], MODEL, [user_message("What is in the picture?", files)])
        body = w.seen[-1].body
    url = f"data:image/png;base64,{b64(PNG)}"
    if kind == "responses":
        assert body["input"] == [{"role": "user", "content": [
            {"type": "input_text", "text": BLOCK},
            {"type": "input_image", "image_url": url}]}]
    elif kind == "gemini":
        assert body["contents"] == [{"role": "user", "parts": [
            {"text": BLOCK}, {"inlineData": {"mimeType": "image/png", "data": b64(PNG)}}]}]
    else:
        assert body["messages"] == [{"role": "user", "content": [
            {"type": "text", "text": BLOCK}, {"type": "image_url", "image_url": {"url": url}}]}]


async def test_gemini_sends_no_empty_text_beside_an_image(files):
    with Serving("gemini") as w:
        p = Provider(id="p", name="P", type="gemini", address=w.root, models=(MODEL,),
                     model_kinds=((MODEL, "vision"),))
        await ask(p, [WIRE_KEY], MODEL, [user_message("", files[1:])])
        assert w.seen[-1].body["contents"] == [{"role": "user", "parts": [
            {"inlineData": {"mimeType": "image/png", "data": b64(PNG)}}]}]


async def test_text_files_alone_keep_plain_string_content(llmock, files):
    llmock.reply("ok")
    p = Provider(id="o", name="O", type="openai", address=llmock.url)
    await ask(p, [KEY], "deepseek-chat", [user_message("What is in the picture?", files[:1])])
    assert llmock.last_request.body["messages"] == [{"role": "user", "content": BLOCK}]


async def test_an_image_to_a_model_that_does_not_see_is_refused_before_sending(files):
    with Serving("gemini") as w:
        p = Provider(id="p", name="P", type="gemini", address=w.root, models=(MODEL,))
        with pytest.raises(ProviderError) as info:
            await ask(p, [WIRE_KEY], MODEL, [user_message("What is it?", files)])
        assert w.seen == []  # nothing went out
    msg = info.value.message
    assert msg.startswith(f"{MODEL} of P (p) does not take images (its kind is chat)")
    assert f'model_kinds = {{ "{MODEL}" = "vision" }} in [providers.p]' in msg
    assert info.value.kind == "images" and WIRE_KEY not in msg


# ---------------------------------------------------------------------------- history
def test_history_keeps_text_in_full_and_images_by_path_and_hash(tmp_path, files):
    h = History(tmp_path / "h.sqlite3")
    cid = h.create("t").id
    msg = h.add(cid, Message("user", user_message("What is it?", files)["content"]))
    stored = h.add_attachments(msg.id, files)
    assert [a.kind for a in stored] == ["text", "image"]
    full = h.attachments(msg.id)
    assert full[0].text == "remember the milk\n" and full[0].size == 18
    assert full[1].text is None and full[1].sha256 == hashlib.sha256(PNG).hexdigest()
    assert full[1].path == files[1].path and full[1].mime == "image/png"
    h.add(cid, Message("assistant", "A cat.", model="gpt-4o"))
    h.close()
    h = History(tmp_path / "h.sqlite3")
    loaded = h.get(cid).messages
    assert [(a.name, a.size, a.text) for a in loaded[0].attachments] == [
        ("notes.txt", 18, None), ("shot.png", len(PNG), None)]  # names and sizes only
    assert loaded[1].attachments == []
    md = to_markdown(h.get(cid))
    assert (f"## You\n\n- Attached text: notes.txt (18 B)\n- Attached image: shot.png "
            f"({len(PNG)} B)\n\nFile: notes.txt\n") in md
    h.delete(cid)
    assert h.db.execute("SELECT count(*) FROM message_attachments").fetchone()[0] == 0


def test_a_recorded_attachment_is_sent_again_only_as_it_was(tmp_path, files):
    h = History(tmp_path / "h.sqlite3")
    msg = h.add(h.create("t").id, Message("user", "see"))
    h.add_attachments(msg.id, files)
    text, image = h.attachments(msg.id)
    assert text.attachment() == files[0]  # the text kept, even if the file changes
    assert image.attachment() == files[1]
    (tmp_path / "notes.txt").write_text("something else")
    assert text.attachment().text == "remember the milk\n"
    (tmp_path / "shot.png").write_bytes(PNG + b"edited")
    with pytest.raises(AttachmentError) as info:
        image.attachment()
    assert info.value.kind == "changed" and "shot.png changed since it was attached" in str(
        info.value)
    (tmp_path / "shot.png").unlink()
    with pytest.raises(AttachmentError) as info:
        image.attachment()
    assert info.value.kind == "missing"


def test_a_database_from_before_attachments_gets_the_table(tmp_path):
    path = tmp_path / "old.sqlite3"
    h = History(path)
    cid = h.create("old").id
    h.add(cid, Message("user", "hi"))
    h.db.execute("DROP TABLE message_attachments")
    h.close()
    h = History(path)  # opening migrates
    assert h.get(cid).messages[0].content == "hi"
    assert h.add_attachments(h.get(cid).messages[0].id, []) == []
    h.close()
    with sqlite3.connect(path) as db:
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
    assert "message_attachments" in names
