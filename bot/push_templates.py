"""[zalo.templates]: the templates a ward had Zalo approve, one per kind of push, and where
each parameter's value comes from. Zalo takes nothing else from an OA for a resident who has
not written within its window (handlers/zalo/sender.py fills and sends them).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Strict(BaseModel):
    # As in bot/config.py: a misspelt key must be an error, not a silently ignored setting.
    model_config = ConfigDict(extra="forbid", frozen=True)


# A push's kind, as a catalog key the notice was written with (bot/services/notices.py), for
# each [zalo.templates] entry; and the push's fields each kind's template may name.
TEMPLATE_KINDS: dict[str, tuple[str, ...]] = {
    "answer": ("answer.given", "answer.forwarded"),
    "final_answer": ("answer.final",),
    "announce": ("notice.announce",),
    "remind": ("notice.remind",),
    "rejected": ("notice.rejected",),
}
# Kinds whose full text the resident still needs once a short template has told them of it:
# kept back and sent as an ordinary message when they next write to the OA (the template's
# button brings them there). Announcements and reminders are whole in their template.
FULL_TEXT_KINDS = frozenset({"answer", "final_answer", "rejected"})
TEMPLATE_FIELDS: dict[str, frozenset[str]] = {
    "answer": frozenset({"code", "title", "text", "disposition", "answer", "by", "agency", "due"}),
    "final_answer": frozenset({"code", "agency", "answer"}),
    "announce": frozenset({"title", "when", "place", "opens", "closes"}),
    "remind": frozenset({"title", "closes"}),
    "rejected": frozenset({"code", "reason"}),
}


class ZaloTemplateParam(_Strict):
    # Which of the push's fields fills the parameter, and the length Zalo approved for it:
    # a longer value is cut at a word boundary.
    field: str = Field(min_length=1)
    max_length: int = Field(default=30, ge=1, le=1000)


class ZaloTemplate(_Strict):
    """One template the ward had approved: its id and each parameter's source field."""

    template_id: str = Field(min_length=1)
    params: dict[str, ZaloTemplateParam] = Field(min_length=1)


class ZaloTemplates(_Strict):
    """Zalo's template messages, the only way to reach a resident after the window; a kind
    without a template is held until its resident writes again."""

    base_url: str = "https://business.openapi.zalo.me"
    # Each template message is paid: at most this many a day (the unit's local day, counted in
    # the database across processes); the rest wait for the next day, or for their resident
    # to write. None: no cap but Zalo's own quota.
    daily_cap: int | None = Field(default=None, ge=0)
    # Also by phone number (ZNS price), to residents who agreed at the contact step, when Zalo
    # refuses the template by user id because it cannot reach that user by id.
    by_phone: bool = False
    answer: ZaloTemplate | None = None
    final_answer: ZaloTemplate | None = None
    announce: ZaloTemplate | None = None
    remind: ZaloTemplate | None = None
    rejected: ZaloTemplate | None = None

    @model_validator(mode="after")
    def _known_fields(self) -> ZaloTemplates:
        for kind, known in TEMPLATE_FIELDS.items():
            template: ZaloTemplate | None = getattr(self, kind)
            for name, param in (template.params.items() if template else ()):
                if param.field not in known:
                    raise ValueError(
                        f"zalo.templates.{kind}.params.{name}: no field '{param.field}' "
                        f"(one of: {', '.join(sorted(known))})"
                    )
        return self

    def full_text_follows(self, catalog_key: str) -> bool:
        """Whether a notice written with `catalog_key`, once sent as a template, waits whole for its resident."""
        return any(catalog_key in TEMPLATE_KINDS[kind] for kind in FULL_TEXT_KINDS)

    def for_notice(self, catalog_key: str) -> ZaloTemplate | None:
        """The template for a notice written with `catalog_key`, if the ward has one."""
        for kind, keys in TEMPLATE_KINDS.items():
            if catalog_key in keys:
                template: ZaloTemplate | None = getattr(self, kind)
                return template
        return None
