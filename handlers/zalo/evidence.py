"""Evidence with answers on Zalo: a photo or a document staff attached to an answer, sent to a
Zalo resident after the answer's text.

Zalo sends a file only as a consultation message, so only within its window (the resident
wrote in the last 7 days); outside it the file is held, like any push without a template,
and goes out when the resident writes again. The file is first uploaded to the OA — a photo
to the image upload (JPG/PNG up to 1 MB, answered with an `attachment_id`), a document to the
file upload (PDF/DOC/DOCX up to 5 MB, answered with a `token`) — then sent as an attachment:
a photo in a media template with the caption as its text, a document as a file attachment
(Zalo shows its name; a file message has no text).
"""

from __future__ import annotations

import weakref
from typing import Any

from bot.domain.evidence import EvidenceKind
from bot.domain.messages import Reply
from handlers.zalo.api import ZaloApi, ZaloApiError, ZaloUploads

IMAGE_UPLOAD_PATH = "/v2.0/oa/upload/image"
FILE_UPLOAD_PATH = "/v2.0/oa/upload/file"
# Zalo's limit on a consultation message's text, as for any text the bot sends.
CAPTION_LIMIT = 2000
# What Zalo named each file by when it was uploaded, per OA (its API), by the file's digest: a
# publish sends the same photo to every follower of a concern, and one upload serves them all.
# Forgotten when a send naming it fails (Zalo need not keep uploads for ever): the retry uploads
# again. In memory only: after a restart a file is uploaded once more.
KEPT_UPLOADS = 256
_uploaded: weakref.WeakKeyDictionary[ZaloApi, dict[str, str]] = weakref.WeakKeyDictionary()


def _message(reply: Reply, reference: str) -> dict[str, Any]:
    assert reply.evidence is not None
    if reply.evidence.kind == EvidenceKind.PHOTO:
        media = {"template_type": "media", "elements": [{"media_type": "image", "attachment_id": reference}]}
        return {"text": reply.text[:CAPTION_LIMIT], "attachment": {"type": "template", "payload": media}}
    return {"attachment": {"type": "file", "payload": {"token": reference}}}


async def _upload(api: ZaloApi, reply: Reply) -> str:
    file = reply.evidence
    assert file is not None
    photo = file.kind == EvidenceKind.PHOTO
    data = await ZaloUploads(api).upload(IMAGE_UPLOAD_PATH if photo else FILE_UPLOAD_PATH, file.filename,
                                         reply.evidence_content, file.content_type)
    reference = data.get("attachment_id" if photo else "token")
    if not isinstance(reference, str) or not reference:
        raise ZaloApiError(-1, "the upload's answer names no file")
    return reference


async def send_evidence(api: ZaloApi, user_id: str, reply: Reply) -> None:
    """Upload the reply's file (once per file) and send it to `user_id`; the API's errors are the
    caller's to classify."""
    file = reply.evidence
    assert file is not None
    known = _uploaded.setdefault(api, {})
    reference = known.get(file.digest)
    if reference is None:
        reference = await _upload(api, reply)
        if len(known) >= KEPT_UPLOADS:
            del known[next(iter(known))]
        known[file.digest] = reference
    try:
        await api.send_message(user_id, _message(reply, reference))
    except Exception:
        known.pop(file.digest, None)
        raise
