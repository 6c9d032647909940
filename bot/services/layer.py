"""The one service layer: every service of one unit, built together, for chat, CLI and web alike."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.config import Settings
from bot.services.agenda import AgendaService
from bot.services.answers import AnswerService
from bot.services.evidence import EvidenceService
from bot.services.audit import AuditService
from bot.services.carryover import CarryOverService
from bot.services.exports import ExportService
from bot.services.followup import FollowUpService
from bot.services.meetings import MeetingService
from bot.services.notices import Notices
from bot.services.open311 import Open311Intake
from bot.services.public import PublicService
from bot.services.publishing import PublishingService
from bot.services.results import ResultsService
from bot.services.roles import Roles
from bot.services.schedule import Schedule
from bot.services.statistics import StatisticsService
from bot.services.triage import TriageService
from bot.services.web_login import WebLoginService
from bot.services.web_photos import PhotoService
from bot.services.web_queue import QueueSearch
from bot.text import Catalog
from storage.db import Database


@dataclass(frozen=True)
class ServiceLayer:
    database: Database
    catalog: Catalog
    notices: Notices
    meetings: MeetingService
    triage: TriageService
    agenda: AgendaService
    answers: AnswerService
    publishing: PublishingService
    followup: FollowUpService
    carryover: CarryOverService
    results: ResultsService
    statistics: StatisticsService
    audit: AuditService
    exports: ExportService
    schedule: Schedule
    web_login: WebLoginService
    queue_search: QueueSearch
    photos: PhotoService
    evidence: EvidenceService
    public: PublicService
    open311: Open311Intake

    @classmethod
    def build(cls, settings: Settings, database: Database, clock: Clock, catalog: Catalog | None = None) -> ServiceLayer:
        """The services of the config's unit over one database."""
        catalog = catalog or Catalog.load()
        notices = Notices(catalog, Roles(settings).staff_chat_address)
        agenda = AgendaService(settings, database, clock, catalog)
        audit = AuditService(database, clock)
        meetings = MeetingService(settings, database, clock, notices)
        public = PublicService(settings, database, clock, catalog)
        return cls(
            database=database,
            catalog=catalog,
            notices=notices,
            meetings=meetings,
            triage=TriageService(settings, database, clock, notices),
            agenda=agenda,
            answers=AnswerService(settings, database, clock),
            publishing=PublishingService(settings, database, clock, notices),
            followup=FollowUpService(settings, database, clock, notices),
            carryover=CarryOverService(settings, database, clock, notices),
            results=ResultsService(settings, database, clock),
            statistics=StatisticsService(settings, database, clock),
            audit=audit,
            exports=ExportService(agenda, audit),
            schedule=Schedule(settings, database, clock, notices),
            web_login=WebLoginService(settings, database, clock, audit),
            queue_search=QueueSearch(settings, database, clock, meetings),
            photos=PhotoService(settings, database, clock),
            evidence=EvidenceService(settings, database, clock),
            public=public,
            open311=Open311Intake(settings, database, clock, catalog, public),
        )
