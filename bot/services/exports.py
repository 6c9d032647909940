"""Agenda and announcement files as staff download them: rendered, named, and the download audited."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.documents.announcement import announcement_docx, announcement_filename
from bot.documents.agenda import agenda_csv, agenda_docx, agenda_xlsx, export_filename
from bot.documents.records import AgendaDocument
from bot.services.agenda import AgendaService
from bot.services.audit import AuditService

AGENDA_FORMATS: dict[str, Callable[[AgendaDocument], bytes]] = {
    "docx": agenda_docx, "xlsx": agenda_xlsx, "csv": agenda_csv,
}


@dataclass(frozen=True)
class ExportedFile:
    name: str
    content: bytes
    items: int


class ExportService:
    def __init__(self, agenda: AgendaService, audit: AuditService) -> None:
        self._agenda = agenda
        self._audit = audit

    @staticmethod
    def knows(fmt: str) -> bool:
        return fmt in AGENDA_FORMATS

    async def agenda_file(self, meeting_id: int, fmt: str, actor: str, *, file_name: str | None = None) -> ExportedFile:
        """The meeting's agenda as a file of `fmt` (docx, xlsx, csv), its download audited.

        `file_name` is the name it will be saved under, when the caller chooses one."""
        document = await self._agenda.document(meeting_id)
        name = file_name or export_filename(document, fmt)
        exported = ExportedFile(name, AGENDA_FORMATS[fmt](document), len(document.entries))
        after: dict[str, object] = {"items": exported.items, "file": exported.name}
        await self._audit.record(actor, f"agenda.export.{fmt}", f"meeting:{meeting_id}", after=after)
        return exported

    async def announcement_file(self, meeting_id: int, actor: str, *, file_name: str | None = None) -> ExportedFile:
        """The meeting's announcement (the 7-day notice) as a DOCX, its download audited."""
        document = await self._agenda.announcement(meeting_id)
        exported = ExportedFile(file_name or announcement_filename(document), announcement_docx(document), 0)
        await self._audit.record(
            actor, "announcement.export.docx", f"meeting:{meeting_id}", after={"file": exported.name}
        )
        return exported
